// DEPS: proxy/http1.c common/str.c common/log.c
// DICT: tests/fuzz/http1.dict
/*
 * fuzz_http1_request.c -- http1_parse_request over arbitrary bytes.
 *
 * Input: byte 0 selects the limits (bit 0: small limits, so 414/431 are
 * reachable) and a split point (bits 1..7); the rest is the head.
 *
 * Invariants checked (abort() on violation):
 *   - a prefix (at the split point, and one byte short) gives INCOMPLETE,
 *     or the same error, or -- once the head is complete -- the same head;
 *   - an accepted head ends in CRLF CRLF, holds CR only before LF, no NUL,
 *     all spans lie inside it, names are tchar without '_', values carry no
 *     CR/LF/NUL and no outer OWS, the target is origin-form;
 *   - never both Content-Length and chunked; HTTP/1.1 always has Host;
 *   - the head alone (without the bytes after it) parses the same;
 *   - errors carry a known status and a non-empty code.
 * Every parse runs over an exact-size heap copy so ASan sees over-reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy/http1.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct http1_limits fuzz_small = { 512, 8, 128 };
static const struct http1_limits fuzz_big = { CONF_MAX_HEADER_BYTES,
    CONF_MAX_HEADERS, CONF_MAX_REQUEST_LINE };

static struct http1_request fuzz_full, fuzz_part;

static enum http1_rc
fuzz_parse(const uint8_t *in, size_t n, const struct http1_limits *l,
    struct http1_request *r)
{
	char		*b;
	enum http1_rc	 rc;

	if ((b = malloc(n ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(b, in, n);
	rc = http1_parse_request(b, n, l, r);
	/* Spans point into b: compare by offset before it goes. */
	if (rc == HTTP1_OK) {
		r->method = (const char *)in + (r->method - b);
		r->target = (const char *)in + (r->target - b);
		if (r->abs_host != NULL)
			r->abs_host = (const char *)in + (r->abs_host - b);
		if (r->host != NULL)
			r->host = (const char *)in + (r->host - b);
	}
	free(b);
	return rc;
}

static int
fuzz_in(const char *p, size_t len, const char *base, size_t n)
{
	return p != NULL && p >= base && len <= n && (size_t)(p - base) <=
	    n - len;
}

static void
fuzz_check_ok(const uint8_t *in, size_t n, const struct http1_request *r,
    const struct http1_limits *l)
{
	const char	*b = (const char *)in;
	size_t		 i, h = r->headlen;

	if (h < 4 || h > n || h > l->max_head || memcmp(b + h - 4,
	    "\r\n\r\n", 4) != 0 || memchr(b, 0, h) != NULL)
		abort();
	for (i = 0; i < h; i++)
		if ((b[i] == '\r') != (i + 1 < h && b[i + 1] == '\n'))
			abort();
		else if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			abort();
	if (!fuzz_in(r->method, r->methodlen, b, h) || r->methodlen == 0 ||
	    !fuzz_in(r->target, r->targetlen, b, h) || r->targetlen == 0 ||
	    r->target[0] != '/')
		abort();
	if (r->abs_host != NULL && (!fuzz_in(r->abs_host, r->abs_hostlen, b,
	    h) || r->abs_hostlen == 0))
		abort();
	if (r->minor != 0 && r->minor != 1)
		abort();
	if (r->has_cl && r->chunked)
		abort();
	if (r->minor == 1 && r->host == NULL)
		abort();
	if (r->host != NULL && (r->hostlen == 0 || memchr(r->host, '@',
	    r->hostlen) != NULL || memchr(r->host, ',', r->hostlen) != NULL))
		abort();
	if (r->chunked && r->minor == 0)
		abort();
	if (r->upgrade && (r->chunked || r->content_length > 0))
		abort();
	if (r->nheaders > l->max_headers || r->nheaders > CONF_MAX_HEADERS)
		abort();
}

static void
fuzz_same(const struct http1_request *a, const struct http1_request *b,
    enum http1_rc rc)
{
	if (rc == HTTP1_ERR) {
		if (a->status != b->status || strcmp(a->code, b->code) != 0)
			abort();
		return;
	}
	if (a->headlen != b->headlen || a->nheaders != b->nheaders ||
	    a->has_cl != b->has_cl || a->content_length != b->content_length ||
	    a->chunked != b->chunked || a->keepalive != b->keepalive ||
	    a->upgrade != b->upgrade ||
	    a->upgrade_websocket != b->upgrade_websocket ||
	    a->expect_continue != b->expect_continue || a->minor != b->minor ||
	    a->method != b->method || a->methodlen != b->methodlen ||
	    a->target != b->target || a->targetlen != b->targetlen ||
	    a->host != b->host || a->hostlen != b->hostlen)
		abort();
}

static void
fuzz_prefix(const uint8_t *in, size_t k, const struct http1_limits *l,
    enum http1_rc frc)
{
	enum http1_rc	 rc;

	rc = fuzz_parse(in, k, l, &fuzz_part);
	if (rc == HTTP1_INCOMPLETE)
		return;
	if (rc != frc)
		abort();
	fuzz_same(&fuzz_full, &fuzz_part, rc);
}

/* Field-level checks need the live buffer: run them on a heap copy. */
static void
fuzz_fields(const uint8_t *in, size_t n, const struct http1_limits *l)
{
	struct http1_request	*r = &fuzz_part;
	char			*b;
	size_t			 i, j;

	if ((b = malloc(n)) == NULL)
		abort();
	memcpy(b, in, n);
	if (http1_parse_request(b, n, l, r) != HTTP1_OK)
		abort();
	for (i = 0; i < r->nheaders; i++) {
		const struct http1_header *x = &r->headers[i];

		if (!fuzz_in(x->name, x->namelen, b, r->headlen) ||
		    !fuzz_in(x->value, x->valuelen, b, r->headlen) ||
		    x->namelen == 0)
			abort();
		for (j = 0; j < x->namelen; j++)
			if (!http1_is_tchar((unsigned char)x->name[j]) ||
			    x->name[j] == '_')
				abort();
		for (j = 0; j < x->valuelen; j++)
			if (x->value[j] == '\r' || x->value[j] == '\n' ||
			    x->value[j] == '\0')
				abort();
		if (x->valuelen > 0 && (x->value[0] == ' ' ||
		    x->value[0] == '\t' || x->value[x->valuelen - 1] == ' ' ||
		    x->value[x->valuelen - 1] == '\t'))
			abort();
		if (http1_find(r->headers, r->nheaders, x->name,
		    x->namelen) > (int)i)
			abort();
	}
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http1_limits *l;
	const uint8_t		*in;
	size_t			 n, k;
	enum http1_rc		 rc;

	if (size == 0)
		return 0;
	l = (data[0] & 1) ? &fuzz_small : &fuzz_big;
	in = data + 1;
	n = size - 1;

	rc = fuzz_parse(in, n, l, &fuzz_full);
	switch (rc) {
	case HTTP1_OK:
		fuzz_check_ok(in, n, &fuzz_full, l);
		fuzz_fields(in, n, l);
		/* The head alone parses the same. */
		if (fuzz_parse(in, fuzz_full.headlen, l, &fuzz_part) !=
		    HTTP1_OK)
			abort();
		fuzz_same(&fuzz_full, &fuzz_part, HTTP1_OK);
		break;
	case HTTP1_ERR:
		switch (fuzz_full.status) {
		case 400: case 405: case 414: case 417: case 431: case 501:
		case 505:
			break;
		default:
			abort();
		}
		if (fuzz_full.code == NULL || fuzz_full.code[0] == '\0')
			abort();
		break;
	case HTTP1_INCOMPLETE:
		break;
	default:
		abort();
	}
	k = n * (size_t)(data[0] >> 1) / 128;
	fuzz_prefix(in, k, l, rc);
	if (n > 0)
		fuzz_prefix(in, n - 1, l, rc);
	return 0;
}
