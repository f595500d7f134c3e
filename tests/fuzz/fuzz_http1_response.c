// DEPS: proxy/http1.c common/str.c common/log.c
// DICT: tests/fuzz/http1.dict
/*
 * fuzz_http1_response.c -- http1_parse_response (the hostile upstream)
 * over arbitrary bytes.
 *
 * Input: byte 0 selects the limits (bit 0: small) and a split point (bits
 * 1..7); the rest is the response head.
 *
 * Invariants checked (abort() on violation):
 *   - a prefix gives INCOMPLETE, or the same error, or the same head;
 *   - an accepted head ends in CRLF CRLF, has CR only before LF and no
 *     NUL; status is 100..599, minor 0 or 1; reason and fields lie inside
 *     the head, values have no CR/LF/NUL and no outer OWS;
 *   - never both Content-Length and chunked; chunked never on HTTP/1.0;
 *   - keepalive only with a delimited body (CL, chunked, 1xx/204/304);
 *   - the head alone parses the same; errors have a non-empty code.
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

static struct http1_response fuzz_full, fuzz_part;

static int
fuzz_in(const char *p, size_t len, const char *base, size_t n)
{
	return p != NULL && p >= base && len <= n && (size_t)(p - base) <=
	    n - len;
}

/* Parse an exact-size heap copy; check what needs the live buffer. */
static enum http1_rc
fuzz_parse(const uint8_t *in, size_t n, const struct http1_limits *l,
    struct http1_response *p)
{
	char		*b;
	size_t		 i, j, h;
	enum http1_rc	 rc;

	if ((b = malloc(n ? n : 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(b, in, n);
	rc = http1_parse_response(b, n, l, p);
	if (rc != HTTP1_OK)
		goto out;
	h = p->headlen;
	if (h < 4 || h > n || h > l->max_head ||
	    memcmp(b + h - 4, "\r\n\r\n", 4) != 0 || memchr(b, 0, h) != NULL)
		abort();
	for (i = 0; i < h; i++)
		if ((b[i] == '\r') != (i + 1 < h && b[i + 1] == '\n'))
			abort();
		else if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			abort();
	if (p->reasonlen > 0 && !fuzz_in(p->reason, p->reasonlen, b, h))
		abort();
	for (i = 0; i < p->nheaders; i++) {
		const struct http1_header *x = &p->headers[i];

		if (!fuzz_in(x->name, x->namelen, b, h) ||
		    !fuzz_in(x->value, x->valuelen, b, h) || x->namelen == 0)
			abort();
		for (j = 0; j < x->namelen; j++)
			if (!http1_is_tchar((unsigned char)x->name[j]))
				abort();
		for (j = 0; j < x->valuelen; j++)
			if (x->value[j] == '\r' || x->value[j] == '\n' ||
			    x->value[j] == '\0')
				abort();
		if (x->valuelen > 0 && (x->value[0] == ' ' ||
		    x->value[0] == '\t' || x->value[x->valuelen - 1] == ' ' ||
		    x->value[x->valuelen - 1] == '\t'))
			abort();
	}
	p->reason = NULL;
out:
	free(b);
	return rc;
}

static void
fuzz_same(const struct http1_response *a, const struct http1_response *b,
    enum http1_rc rc)
{
	if (rc == HTTP1_ERR) {
		if (strcmp(a->code, b->code) != 0)
			abort();
		return;
	}
	if (a->headlen != b->headlen || a->nheaders != b->nheaders ||
	    a->status != b->status || a->minor != b->minor ||
	    a->reasonlen != b->reasonlen || a->has_cl != b->has_cl ||
	    a->content_length != b->content_length ||
	    a->chunked != b->chunked || a->keepalive != b->keepalive)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http1_limits *l;
	const uint8_t		*in;
	size_t			 n, k;
	enum http1_rc		 rc;
	int			 nobody;

	if (size == 0)
		return 0;
	l = (data[0] & 1) ? &fuzz_small : &fuzz_big;
	in = data + 1;
	n = size - 1;

	rc = fuzz_parse(in, n, l, &fuzz_full);
	switch (rc) {
	case HTTP1_OK:
		if (fuzz_full.status < 100 || fuzz_full.status > 599 ||
		    (fuzz_full.minor != 0 && fuzz_full.minor != 1))
			abort();
		if (fuzz_full.has_cl && fuzz_full.chunked)
			abort();
		if (fuzz_full.chunked && fuzz_full.minor == 0)
			abort();
		nobody = fuzz_full.status < 200 || fuzz_full.status == 204 ||
		    fuzz_full.status == 304;
		if (fuzz_full.keepalive && !nobody && !fuzz_full.has_cl &&
		    !fuzz_full.chunked)
			abort();
		if (fuzz_full.nheaders > l->max_headers)
			abort();
		if (fuzz_parse(in, fuzz_full.headlen, l, &fuzz_part) !=
		    HTTP1_OK)
			abort();
		fuzz_same(&fuzz_full, &fuzz_part, HTTP1_OK);
		break;
	case HTTP1_ERR:
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
