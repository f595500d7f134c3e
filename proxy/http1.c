/*
 * http1.c -- the strict HTTP/1.1 head parser and chunked decoder.
 *
 * Pure functions over a byte span: no allocation, no globals beyond a
 * constant character-class table, no libevent.  Every scan is a single
 * forward pass bounded by the caller's limits; no strlen on input.
 *
 * Errors are reported at the first offending byte (or at the end of the
 * first offending line for per-field rules, or at the end of the head for
 * whole-message rules).  So a prefix of a head parses to HTTP1_INCOMPLETE or
 * to the same error as the whole head; the fuzzers check this.
 *
 * Request error codes (struct http1_request: status, code):
 *
 *   code                          status  cause (catalog ids)
 *   leading_empty_line             400    CR/LF before the request line
 *   bad_request_line               400    empty method/target, extra SP
 *   bad_method                     400    method not 1*tchar
 *   method_not_allowed             405    CONNECT, TRACE (any case)
 *   bad_target                     400    SP/CTL/DEL/'#'/non-ASCII in the
 *                                         target, '*', authority-form,
 *                                         absolute-form not
 *                                         http(s)://authority/path, userinfo
 *   bad_version                    400    not "HTTP/" DIGIT "." DIGIT;
 *                                         HTTP/0.9 (no version) (A37)
 *   http_version                   505    HTTP/x.y other than 1.0, 1.1
 *   uri_too_long                   414    request line > max_line
 *   headers_too_large              431    head > max_head, or more than
 *                                         max_headers field lines
 *   bare_cr                        400    CR not followed by LF (A17)
 *   bare_lf                        400    LF not preceded by CR
 *   obs_fold                       400    field line starting with SP/HTAB,
 *                                         also the first one (A14, A15)
 *   bad_header_name                400    empty name, non-tchar, '%' (A11g),
 *                                         no colon (A11, A16, A40)
 *   space_before_colon             400    "Name : v" (A10)
 *   underscore_in_header_name      400    "Content_Length" (A11d/e)
 *   bad_header_value               400    NUL, CTL (not HTAB), DEL (A39)
 *   bad_content_length             400    not 1..19 DIGITs, list, sign,
 *                                         empty (A05, A06, A09)
 *   duplicate_content_length       400    two CL lines, even equal (A04)
 *   cl_and_te                      400    CL and TE together (A01, A02)
 *   bad_transfer_encoding          400    TE list, duplicate TE line,
 *                                         non-token value (A12)
 *   unsupported_transfer_coding    501    TE a single token != chunked
 *   te_http10                      400    TE on HTTP/1.0 (A19)
 *   missing_host                   400    HTTP/1.1 without Host
 *   duplicate_host                 400    two Host lines
 *   bad_host                       400    empty, userinfo '@', ',', or a
 *                                         byte outside the authority set
 *   bad_connection                 400    Connection element not a token,
 *                                         or naming Content-Length,
 *                                         Transfer-Encoding, Host or
 *                                         Authorization (A34, A41)
 *   upgrade_with_body              400    Upgrade with CL > 0 or chunked
 *   expectation_failed             417    Expect other than one
 *                                         "100-continue" (A30)
 *
 * Response codes (struct http1_response.code; always 502 to the client):
 * the header codes above apply, except that underscores are allowed in
 * names, Host/Expect/Upgrade are not interpreted, and any Transfer-Encoding
 * other than one "chunked" is bad_transfer_encoding.  Plus:
 *   bad_status_line     not "HTTP/1.x DDD[ reason]", status outside 100..599
 *   status_line_too_long  status line > max_line
 *
 * Chunked decoder: HTTP1_CHUNK_ERR for anything but 1..15 HEXDIG sizes,
 * ";name[=token|quoted-string]" extensions with BWS, CRLF after the size
 * line and after the data, a size line (with CRLF) > HTTP1_CHUNK_MAX_LINE,
 * trailer fields breaking the field rules or > HTTP1_CHUNK_MAX_TRAILER
 * bytes, and any bare CR or LF (A20-A22, A24a, A26).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/common.h"
#include "proxy/http1.h"

#define C_TCHAR		0x01	/* RFC 9110 tchar */
#define C_RNAME		0x02	/* tchar but '_', '%': request names */
#define C_VALUE		0x04	/* field-vchar, obs-text, SP, HTAB */
#define C_TARGET	0x08	/* VCHAR except '#' */
#define C_HOST		0x10	/* unreserved, sub-delims but ',', :[]% */
#define C_HEX		0x20	/* HEXDIG */
#define C_QDTEXT	0x40	/* qdtext */
#define C_VCHAR		0x80	/* 0x21..0x7e */

static const unsigned char http1_cls[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 00 */
	0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 08 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 18 */
	0x44, 0xdf, 0x8c, 0xc7, 0xdf, 0xdd, 0xdf, 0xdf,	/* 20 */
	0xdc, 0xdc, 0xdf, 0xdf, 0xcc, 0xdf, 0xdf, 0xcc,	/* 28 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* 30 */
	0xff, 0xff, 0xdc, 0xdc, 0xcc, 0xdc, 0xcc, 0xcc,	/* 38 */
	0xcc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xdf,	/* 40 */
	0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf,	/* 48 */
	0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf,	/* 50 */
	0xdf, 0xdf, 0xdf, 0xdc, 0x8c, 0xdc, 0xcf, 0xdd,	/* 58 */
	0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xdf,	/* 60 */
	0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf,	/* 68 */
	0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf, 0xdf,	/* 70 */
	0xdf, 0xdf, 0xdf, 0xcc, 0xcf, 0xcc, 0xdf, 0x00,	/* 78 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 80 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 88 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 90 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 98 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* a0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* a8 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* b0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* b8 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* c0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* c8 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* d0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* d8 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* e0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* e8 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* f0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* f8 */
};

#define CLS(c, m)	(http1_cls[(unsigned char)(c)] & (m))
#define IS_OWS(c)	((c) == ' ' || (c) == '\t')

#define HTTP1_CL_MAX_DIGITS	19
#define HTTP1_CHUNK_MAX_DIGITS	15

/* One error: the status for the client and the stable code. */
struct http1_err {
	int		 status;
	const char	*code;
};

/* Per-head state of the header semantics, local to one parse. */
struct http1_seen {
	int		 te;
	int		 conn_close;
	int		 conn_keepalive;
	int		 conn_upgrade;
	int		 upgrade_ws;
	int		 expect;
};

enum http1_line {
	HTTP1_LINE_FIELD = 0,
	HTTP1_LINE_END,
	HTTP1_LINE_MORE,
	HTTP1_LINE_ERR
};

static int
http1_fail(struct http1_err *e, int status, const char *code)
{
	e->status = status;
	e->code = code;
	return -1;
}

int
http1_is_tchar(unsigned char c)
{
	return CLS(c, C_TCHAR) != 0;
}

static int
http1_span_is(const char *s, size_t len, const char *lit, size_t litlen)
{
	return len == litlen && str_span_eqi(s, len, lit);
}

#define SPAN_IS(s, len, lit)	http1_span_is(s, len, lit, sizeof(lit) - 1)

int
http1_find(const struct http1_header *h, size_t n, const char *name,
    size_t namelen)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (h[i].namelen == namelen &&
		    str_span_eqi(h[i].name, namelen, name))
			return (int)i;
	return -1;
}

/*
 * Next element of a comma list s[*pos..len): OWS trimmed, empty elements
 * skipped.  Returns 0 and the element span, or -1 at the end.
 */
static int
http1_list_next(const char *s, size_t len, size_t *pos, const char **e,
    size_t *elen)
{
	size_t	 i = *pos, b, t;

	for (;;) {
		while (i < len && (IS_OWS(s[i]) || s[i] == ','))
			i++;
		if (i >= len) {
			*pos = i;
			return -1;
		}
		b = i;
		while (i < len && s[i] != ',')
			i++;
		t = i;
		while (t > b && IS_OWS(s[t - 1]))
			t--;
		if (t > b) {
			*e = s + b;
			*elen = t - b;
			*pos = i;
			return 0;
		}
	}
}

static int
http1_all(const char *s, size_t len, unsigned char mask)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!CLS(s[i], mask))
			return 0;
	return 1;
}

/* Host value or absolute-form authority: non-empty, authority bytes. */
static int
http1_host_ok(const char *s, size_t len)
{
	return len > 0 && http1_all(s, len, C_HOST);
}

/*
 * Scan one field line (or the empty line that ends the head) at *off.
 * Bytes at or past max_head cannot belong to the head.  nocap: the head
 * already holds the maximum number of field lines.  names: C_RNAME for
 * requests (no '_'), C_TCHAR for responses.  On HTTP1_LINE_FIELD fills *h;
 * on FIELD and END moves *off past the CRLF.
 */
static enum http1_line
http1_field_line(const char *buf, size_t len, size_t max_head, size_t *off,
    int nocap, unsigned char names, struct http1_header *h,
    struct http1_err *e)
{
	size_t		 i = *off, lim = DB_MIN(len, max_head);
	size_t		 nb, ne, vb, ve;
	unsigned char	 c;

	if (i >= lim)
		goto edge;
	c = (unsigned char)buf[i];
	if (c == '\r') {
		if (i + 1 >= max_head)
			goto toolarge;
		if (i + 1 >= len)
			return HTTP1_LINE_MORE;
		if (buf[i + 1] != '\n')
			goto bare_cr;
		*off = i + 2;
		return HTTP1_LINE_END;
	}
	if (c == '\n')
		goto bare_lf;
	if (IS_OWS(c)) {
		http1_fail(e, 400, "obs_fold");
		return HTTP1_LINE_ERR;
	}
	if (nocap)
		goto toolarge;

	nb = i;
	while (i < lim && CLS(buf[i], names))
		i++;
	if (i >= lim)
		goto edge;
	c = (unsigned char)buf[i];
	if (c != ':') {
		if (IS_OWS(c))
			http1_fail(e, 400, "space_before_colon");
		else if (c == '_')
			http1_fail(e, 400, "underscore_in_header_name");
		else if (c == '\n')
			goto bare_lf;
		else
			http1_fail(e, 400, "bad_header_name");
		return HTTP1_LINE_ERR;
	}
	if (i == nb) {
		http1_fail(e, 400, "bad_header_name");
		return HTTP1_LINE_ERR;
	}
	ne = i++;
	while (i < lim && IS_OWS(buf[i]))
		i++;
	vb = i;
	while (i < lim && CLS(buf[i], C_VALUE))
		i++;
	if (i >= lim)
		goto edge;
	c = (unsigned char)buf[i];
	if (c == '\n')
		goto bare_lf;
	if (c != '\r') {
		http1_fail(e, 400, "bad_header_value");
		return HTTP1_LINE_ERR;
	}
	if (i + 1 >= max_head)
		goto toolarge;
	if (i + 1 >= len)
		return HTTP1_LINE_MORE;
	if (buf[i + 1] != '\n')
		goto bare_cr;
	ve = i;
	while (ve > vb && IS_OWS(buf[ve - 1]))
		ve--;
	h->name = buf + nb;
	h->namelen = ne - nb;
	h->value = buf + vb;
	h->valuelen = ve - vb;
	*off = i + 2;
	return HTTP1_LINE_FIELD;

edge:
	if (i < max_head)
		return HTTP1_LINE_MORE;
toolarge:
	http1_fail(e, 431, "headers_too_large");
	return HTTP1_LINE_ERR;
bare_cr:
	http1_fail(e, 400, "bare_cr");
	return HTTP1_LINE_ERR;
bare_lf:
	http1_fail(e, 400, "bare_lf");
	return HTTP1_LINE_ERR;
}

/* Content-Length value: 1..19 DIGIT, nothing else. */
static int
http1_content_length(const char *v, size_t len, uint64_t *out)
{
	if (len > HTTP1_CL_MAX_DIGITS)
		return -1;
	return str_parse_u64(v, len, INT64_MAX, out);
}

/*
 * Connection: collect close/keep-alive/upgrade; refuse elements that are
 * not tokens or that name a framing or routing field (A34).
 */
static int
http1_connection(const struct http1_header *h, struct http1_seen *s,
    struct http1_err *e)
{
	const char	*el;
	size_t		 pos = 0, n;

	while (http1_list_next(h->value, h->valuelen, &pos, &el, &n) == 0) {
		if (!http1_all(el, n, C_TCHAR))
			return http1_fail(e, 400, "bad_connection");
		if (SPAN_IS(el, n, "close"))
			s->conn_close = 1;
		else if (SPAN_IS(el, n, "keep-alive"))
			s->conn_keepalive = 1;
		else if (SPAN_IS(el, n, "upgrade"))
			s->conn_upgrade = 1;
		else if (SPAN_IS(el, n, "content-length") ||
		    SPAN_IS(el, n, "transfer-encoding") ||
		    SPAN_IS(el, n, "host") ||
		    SPAN_IS(el, n, "authorization"))
			return http1_fail(e, 400, "bad_connection");
	}
	return 0;
}

/*
 * Framing fields, shared by both directions.  req: a single token other
 * than "chunked" is 501 (request) rather than a plain error.
 */
static int
http1_framing(const struct http1_header *h, int minor, int *has_cl,
    uint64_t *cl, int *chunked, struct http1_seen *s, int req,
    struct http1_err *e)
{
	if (SPAN_IS(h->name, h->namelen, "content-length")) {
		if (*has_cl)
			return http1_fail(e, 400, "duplicate_content_length");
		if (s->te)
			return http1_fail(e, 400, "cl_and_te");
		if (http1_content_length(h->value, h->valuelen, cl) == -1)
			return http1_fail(e, 400, "bad_content_length");
		*has_cl = 1;
		return 0;
	}
	/* Transfer-Encoding */
	if (s->te)
		return http1_fail(e, 400, "bad_transfer_encoding");
	if (minor == 0)
		return http1_fail(e, 400, "te_http10");
	if (*has_cl)
		return http1_fail(e, 400, "cl_and_te");
	s->te = 1;
	if (SPAN_IS(h->value, h->valuelen, "chunked")) {
		*chunked = 1;
		return 0;
	}
	if (req && h->valuelen > 0 && http1_all(h->value, h->valuelen,
	    C_TCHAR))
		return http1_fail(e, 501, "unsupported_transfer_coding");
	return http1_fail(e, 400, "bad_transfer_encoding");
}

/* Apply the request rules to one complete field line. */
static int
http1_req_field(struct http1_request *r, const struct http1_header *h,
    struct http1_seen *s, struct http1_err *e)
{
	const char	*el;
	size_t		 pos = 0, n;

	switch (h->namelen) {
	case 4:
		if (!SPAN_IS(h->name, 4, "host"))
			break;
		if (r->host != NULL)
			return http1_fail(e, 400, "duplicate_host");
		if (!http1_host_ok(h->value, h->valuelen))
			return http1_fail(e, 400, "bad_host");
		r->host = h->value;
		r->hostlen = h->valuelen;
		break;
	case 6:
		if (!SPAN_IS(h->name, 6, "expect"))
			break;
		if (s->expect ||
		    !SPAN_IS(h->value, h->valuelen, "100-continue"))
			return http1_fail(e, 417, "expectation_failed");
		s->expect = 1;
		break;
	case 7:
		if (!SPAN_IS(h->name, 7, "upgrade"))
			break;
		r->upgrade = 1;
		while (http1_list_next(h->value, h->valuelen, &pos, &el,
		    &n) == 0)
			if (SPAN_IS(el, n, "websocket"))
				s->upgrade_ws = 1;
		break;
	case 10:
		if (SPAN_IS(h->name, 10, "connection"))
			return http1_connection(h, s, e);
		break;
	case 14:
		if (SPAN_IS(h->name, 14, "content-length"))
			return http1_framing(h, r->minor, &r->has_cl,
			    &r->content_length, &r->chunked, s, 1, e);
		break;
	case 17:
		if (SPAN_IS(h->name, 17, "transfer-encoding"))
			return http1_framing(h, r->minor, &r->has_cl,
			    &r->content_length, &r->chunked, s, 1, e);
		break;
	}
	return 0;
}

static void
http1_limits_get(const struct http1_limits *l, size_t *max_head,
    size_t *max_headers, size_t *max_line)
{
	if (l == NULL) {
		*max_head = CONF_MAX_HEADER_BYTES;
		*max_headers = CONF_MAX_HEADERS;
		*max_line = CONF_MAX_REQUEST_LINE;
		return;
	}
	*max_head = l->max_head;
	*max_headers = DB_MIN(l->max_headers, (size_t)CONF_MAX_HEADERS);
	*max_line = l->max_line;
}

/*
 * Where a request-line segment scan stopped at the window edge (i equals
 * min(len, max_line, max_head)): 431 if the head cannot end in max_head,
 * 414 if the line cannot end in max_line, else wait for more.  In the
 * version segment the byte at max_line may still be the ending CR, which
 * the caller has already ruled out when i < len.
 */
static enum http1_rc
http1_rl_edge(size_t i, size_t len, size_t max_head, size_t max_line,
    int version, struct http1_err *e)
{
	if (i >= max_head) {
		http1_fail(e, 431, "headers_too_large");
		return HTTP1_ERR;
	}
	if (i >= max_line && (!version || i < len)) {
		http1_fail(e, 414, "uri_too_long");
		return HTTP1_ERR;
	}
	return HTTP1_INCOMPLETE;
}

static int
http1_method_forbidden(const char *m, size_t len)
{
	return SPAN_IS(m, len, "CONNECT") || SPAN_IS(m, len, "TRACE");
}

/*
 * Classify a complete target t[0..len): origin-form, or absolute-form
 * http(s)://authority/path (authority to abs_host, path to target).
 */
static int
http1_target(struct http1_request *r, const char *t, size_t len,
    struct http1_err *e)
{
	size_t	 skip, i;

	if (t[0] == '/') {
		r->target = t;
		r->targetlen = len;
		return 0;
	}
	if (len > 7 && str_span_eqi(t, 7, "http://"))
		skip = 7;
	else if (len > 8 && str_span_eqi(t, 8, "https://"))
		skip = 8;
	else
		return http1_fail(e, 400, "bad_target");
	for (i = skip; i < len && t[i] != '/'; i++)
		;
	if (i == len || !http1_host_ok(t + skip, i - skip))
		return http1_fail(e, 400, "bad_target");
	r->abs_host = t + skip;
	r->abs_hostlen = i - skip;
	r->target = t + i;
	r->targetlen = len - i;
	return 0;
}

/*
 * The request line: method SP target SP version CRLF.  Returns HTTP1_OK
 * with *off past the CRLF.
 */
static enum http1_rc
http1_request_line(const char *buf, size_t len, size_t max_head,
    size_t max_line, struct http1_request *r, size_t *off,
    struct http1_err *e)
{
	size_t		 stop = DB_MIN(DB_MIN(len, max_head), max_line);
	size_t		 i = 0, tb, vb;
	unsigned char	 c;
	const char	*v;

	if (len == 0)
		return HTTP1_INCOMPLETE;
	c = (unsigned char)buf[0];
	if (c == '\r' || c == '\n') {
		http1_fail(e, 400, "leading_empty_line");
		return HTTP1_ERR;
	}

	/* method */
	while (i < stop && CLS(buf[i], C_TCHAR))
		i++;
	if (i == stop)
		return http1_rl_edge(i, len, max_head, max_line, 0, e);
	c = (unsigned char)buf[i];
	if (c != ' ' || i == 0) {
		http1_fail(e, 400, c == '\n' ? "bare_lf" : i == 0 || c == '\r' ?
		    "bad_request_line" : "bad_method");
		return HTTP1_ERR;
	}
	r->method = buf;
	r->methodlen = i;
	if (http1_method_forbidden(buf, i)) {
		http1_fail(e, 405, "method_not_allowed");
		return HTTP1_ERR;
	}

	/* target */
	tb = ++i;
	while (i < stop && CLS(buf[i], C_TARGET))
		i++;
	if (i == stop)
		return http1_rl_edge(i, len, max_head, max_line, 0, e);
	c = (unsigned char)buf[i];
	if (c != ' ' || i == tb) {
		http1_fail(e, 400, c == '\n' ? "bare_lf" : c == '\r' ?
		    "bad_version" : c == ' ' ? "bad_request_line" :
		    "bad_target");
		return HTTP1_ERR;
	}
	if (http1_target(r, buf + tb, i - tb, e) == -1)
		return HTTP1_ERR;

	/* version */
	vb = ++i;
	while (i < stop && CLS(buf[i], C_VCHAR))
		i++;
	if (i == stop && !(i < len && i < max_head && buf[i] == '\r'))
		return http1_rl_edge(i, len, max_head, max_line, 1, e);
	c = (unsigned char)buf[i];
	if (c != '\r') {
		http1_fail(e, 400, c == '\n' ? "bare_lf" : c == ' ' ?
		    "bad_request_line" : "bad_version");
		return HTTP1_ERR;
	}
	if (i + 1 >= max_head) {
		http1_fail(e, 431, "headers_too_large");
		return HTTP1_ERR;
	}
	if (i + 1 >= len)
		return HTTP1_INCOMPLETE;
	if (buf[i + 1] != '\n') {
		http1_fail(e, 400, "bare_cr");
		return HTTP1_ERR;
	}
	v = buf + vb;
	if (i - vb != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') {
		http1_fail(e, 400, "bad_version");
		return HTTP1_ERR;
	}
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
		http1_fail(e, 505, "http_version");
		return HTTP1_ERR;
	}
	r->minor = v[7] - '0';
	*off = i + 2;
	return HTTP1_OK;
}

static void
http1_request_reset(struct http1_request *r)
{
	r->method = r->target = r->abs_host = r->host = NULL;
	r->methodlen = r->targetlen = r->abs_hostlen = r->hostlen = 0;
	r->minor = 0;
	r->nheaders = 0;
	r->has_cl = r->chunked = r->keepalive = 0;
	r->content_length = 0;
	r->upgrade = r->upgrade_websocket = r->expect_continue = 0;
	r->headlen = 0;
	r->status = 0;
	r->code = NULL;
}

enum http1_rc
http1_parse_request(const char *buf, size_t len,
    const struct http1_limits *lim, struct http1_request *r)
{
	struct http1_seen	 s;
	struct http1_err	 e = { 0, NULL };
	struct http1_header	*h;
	size_t			 max_head, max_headers, max_line, off = 0;
	enum http1_rc		 rc;

	http1_request_reset(r);
	memset(&s, 0, sizeof(s));
	http1_limits_get(lim, &max_head, &max_headers, &max_line);

	rc = http1_request_line(buf, len, max_head, max_line, r, &off, &e);
	if (rc != HTTP1_OK)
		goto out;
	for (;;) {
		h = &r->headers[r->nheaders < CONF_MAX_HEADERS ?
		    r->nheaders : CONF_MAX_HEADERS - 1];
		switch (http1_field_line(buf, len, max_head, &off,
		    r->nheaders >= max_headers, C_RNAME, h, &e)) {
		case HTTP1_LINE_FIELD:
			r->nheaders++;
			if (http1_req_field(r, h, &s, &e) == -1) {
				rc = HTTP1_ERR;
				goto out;
			}
			continue;
		case HTTP1_LINE_END:
			break;
		case HTTP1_LINE_MORE:
			rc = HTTP1_INCOMPLETE;
			goto out;
		case HTTP1_LINE_ERR:
			rc = HTTP1_ERR;
			goto out;
		}
		break;
	}

	/* Whole-message rules. */
	if (r->minor == 1 && r->host == NULL) {
		http1_fail(&e, 400, "missing_host");
		rc = HTTP1_ERR;
		goto out;
	}
	if (r->upgrade && (r->chunked ||
	    (r->has_cl && r->content_length > 0))) {
		http1_fail(&e, 400, "upgrade_with_body");
		rc = HTTP1_ERR;
		goto out;
	}
	r->keepalive = r->minor == 1 ? !s.conn_close :
	    s.conn_keepalive && !s.conn_close;
	r->upgrade_websocket = r->upgrade && s.upgrade_ws && s.conn_upgrade &&
	    r->minor == 1 && r->methodlen == 3 &&
	    memcmp(r->method, "GET", 3) == 0;
	r->expect_continue = s.expect && r->minor == 1;
	r->headlen = off;
	return HTTP1_OK;

out:
	if (rc == HTTP1_ERR) {
		r->status = e.status;
		r->code = e.code;
	}
	return rc;
}

/*
 * The status line: "HTTP/1." DIGIT SP 3DIGIT [SP reason] CRLF.  The reason
 * may hold SP, HTAB, VCHAR and obs-text.
 */
static enum http1_rc
http1_status_line(const char *buf, size_t len, size_t max_head,
    size_t max_line, struct http1_response *p, size_t *off,
    struct http1_err *e)
{
	size_t		 stop = DB_MIN(DB_MIN(len, max_head), max_line);
	size_t		 i = 0;
	unsigned char	 c;

	while (i < stop && CLS(buf[i], C_VALUE))
		i++;
	if (i == stop && !(i < len && i < max_head && buf[i] == '\r')) {
		if (i >= max_head) {
			http1_fail(e, 502, "headers_too_large");
			return HTTP1_ERR;
		}
		if (i >= max_line && i < len) {
			http1_fail(e, 502, "status_line_too_long");
			return HTTP1_ERR;
		}
		return HTTP1_INCOMPLETE;
	}
	c = (unsigned char)buf[i];
	if (c != '\r') {
		http1_fail(e, 502, c == '\n' ? "bare_lf" : "bad_status_line");
		return HTTP1_ERR;
	}
	if (i + 1 >= max_head) {
		http1_fail(e, 502, "headers_too_large");
		return HTTP1_ERR;
	}
	if (i + 1 >= len)
		return HTTP1_INCOMPLETE;
	if (buf[i + 1] != '\n') {
		http1_fail(e, 502, "bare_cr");
		return HTTP1_ERR;
	}
	/* buf[0..i) is the line. */
	if (i < 12 || memcmp(buf, "HTTP/", 5) != 0 || buf[6] != '.' ||
	    buf[8] != ' ' || (i > 12 && buf[12] != ' ')) {
		http1_fail(e, 502, "bad_status_line");
		return HTTP1_ERR;
	}
	if (buf[5] != '1' || (buf[7] != '0' && buf[7] != '1')) {
		http1_fail(e, 502, "bad_version");
		return HTTP1_ERR;
	}
	if (buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9') {
		http1_fail(e, 502, "bad_status_line");
		return HTTP1_ERR;
	}
	p->minor = buf[7] - '0';
	p->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
	    (buf[11] - '0');
	p->reason = buf + DB_MIN(i, (size_t)13);
	p->reasonlen = i > 13 ? i - 13 : 0;
	*off = i + 2;
	return HTTP1_OK;
}

static void
http1_response_reset(struct http1_response *p)
{
	p->minor = 0;
	p->status = 0;
	p->reason = NULL;
	p->reasonlen = 0;
	p->nheaders = 0;
	p->has_cl = p->chunked = p->keepalive = 0;
	p->content_length = 0;
	p->headlen = 0;
	p->code = NULL;
}

static int
http1_resp_field(struct http1_response *p, const struct http1_header *h,
    struct http1_seen *s, struct http1_err *e)
{
	switch (h->namelen) {
	case 10:
		if (SPAN_IS(h->name, 10, "connection"))
			return http1_connection(h, s, e);
		break;
	case 14:
	case 17:
		if (SPAN_IS(h->name, h->namelen, "content-length") ||
		    SPAN_IS(h->name, h->namelen, "transfer-encoding"))
			return http1_framing(h, p->minor, &p->has_cl,
			    &p->content_length, &p->chunked, s, 0, e);
		break;
	}
	return 0;
}

enum http1_rc
http1_parse_response(const char *buf, size_t len,
    const struct http1_limits *lim, struct http1_response *p)
{
	struct http1_seen	 s;
	struct http1_err	 e = { 0, NULL };
	struct http1_header	*h;
	size_t			 max_head, max_headers, max_line, off = 0;
	enum http1_rc		 rc;
	int			 nobody;

	http1_response_reset(p);
	memset(&s, 0, sizeof(s));
	http1_limits_get(lim, &max_head, &max_headers, &max_line);

	rc = http1_status_line(buf, len, max_head, max_line, p, &off, &e);
	if (rc != HTTP1_OK)
		goto out;
	for (;;) {
		h = &p->headers[p->nheaders < CONF_MAX_HEADERS ?
		    p->nheaders : CONF_MAX_HEADERS - 1];
		switch (http1_field_line(buf, len, max_head, &off,
		    p->nheaders >= max_headers, C_TCHAR, h, &e)) {
		case HTTP1_LINE_FIELD:
			p->nheaders++;
			if (http1_resp_field(p, h, &s, &e) == -1) {
				rc = HTTP1_ERR;
				goto out;
			}
			continue;
		case HTTP1_LINE_END:
			break;
		case HTTP1_LINE_MORE:
			rc = HTTP1_INCOMPLETE;
			goto out;
		case HTTP1_LINE_ERR:
			rc = HTTP1_ERR;
			goto out;
		}
		break;
	}

	/*
	 * Reuse needs a delimited body: a response that may carry a body
	 * but has neither CL nor chunked runs to the close.
	 */
	nobody = p->status < 200 || p->status == 204 || p->status == 304;
	p->keepalive = (p->minor == 1 ? !s.conn_close :
	    s.conn_keepalive && !s.conn_close) &&
	    (nobody || p->has_cl || p->chunked);
	p->headlen = off;
	return HTTP1_OK;

out:
	if (rc == HTTP1_ERR)
		p->code = e.code;
	return rc;
}

/*
 * Chunked decoder.  The size line is "1*HEXDIG *(BWS ';' BWS name [BWS '='
 * BWS (token / quoted-string)]) CRLF"; linelen counts its bytes (so while
 * in CH_SIZE it also counts the digits).  remain accumulates the size,
 * then counts the data down.  trailer counts trailer-section bytes.
 */
enum {
	CH_SIZE0 = 0,	/* first hex digit */
	CH_SIZE,	/* more digits, BWS, ';' or CR */
	CH_SIZE_BWS,	/* after the size: BWS then ';' */
	CH_EXT_PRE,	/* after ';': BWS then a name */
	CH_EXT_NAME,
	CH_EXT_NAME_BWS, /* after a name: BWS then '=' or ';' */
	CH_EXT_VAL_PRE,	/* after '=': BWS then token or '"' */
	CH_EXT_TOKEN,
	CH_EXT_QUOTED,
	CH_EXT_QPAIR,
	CH_EXT_AFTER,	/* after a value: ';' or CR */
	CH_EXT_AFTER_BWS, /* BWS after a value: ';' only */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TR_START,
	CH_TR_NAME,
	CH_TR_VALUE,
	CH_TR_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERR
};

void
http1_chunked_init(struct http1_chunked *c)
{
	c->state = CH_SIZE0;
	c->remain = 0;
	c->linelen = 0;
	c->trailer = 0;
}

static int
http1_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

enum http1_chunk_rc
http1_chunked_step(struct http1_chunked *c, const char *in, size_t len,
    size_t *used, size_t *datalen)
{
	size_t		 i = 0, n;
	unsigned char	 b;

	*datalen = 0;
	*used = 0;
	if (c->state == CH_DONE)
		return HTTP1_CHUNK_DONE;
	if (c->state == CH_ERR)
		return HTTP1_CHUNK_ERR;

	while (i < len) {
		if (c->state == CH_DATA) {
			n = DB_MIN((uint64_t)(len - i), c->remain);
			c->remain -= n;
			if (c->remain == 0)
				c->state = CH_DATA_CR;
			*used = i;
			*datalen = n;
			return HTTP1_CHUNK_DATA;
		}
		b = (unsigned char)in[i++];
		if (c->state < CH_DATA) {
			if (++c->linelen > HTTP1_CHUNK_MAX_LINE)
				goto fail;
		} else if (c->state >= CH_TR_START) {
			if (++c->trailer > HTTP1_CHUNK_MAX_TRAILER)
				goto fail;
		}
		switch (c->state) {
		case CH_SIZE0:
			if (!CLS(b, C_HEX))
				goto fail;
			c->remain = (uint64_t)http1_hexval(b);
			c->state = CH_SIZE;
			break;
		case CH_SIZE:
			if (CLS(b, C_HEX)) {
				/* linelen counts this digit too. */
				if (c->linelen > HTTP1_CHUNK_MAX_DIGITS)
					goto fail;
				c->remain = c->remain << 4 |
				    (uint64_t)http1_hexval(b);
			} else if (b == ';')
				c->state = CH_EXT_PRE;
			else if (IS_OWS(b))
				c->state = CH_SIZE_BWS;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else
				goto fail;
			break;
		case CH_SIZE_BWS:
			if (b == ';')
				c->state = CH_EXT_PRE;
			else if (!IS_OWS(b))
				goto fail;
			break;
		case CH_EXT_PRE:
			if (CLS(b, C_TCHAR))
				c->state = CH_EXT_NAME;
			else if (!IS_OWS(b))
				goto fail;
			break;
		case CH_EXT_NAME:
			if (CLS(b, C_TCHAR))
				break;
			if (b == '=')
				c->state = CH_EXT_VAL_PRE;
			else if (b == ';')
				c->state = CH_EXT_PRE;
			else if (IS_OWS(b))
				c->state = CH_EXT_NAME_BWS;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else
				goto fail;
			break;
		case CH_EXT_NAME_BWS:
			if (b == '=')
				c->state = CH_EXT_VAL_PRE;
			else if (b == ';')
				c->state = CH_EXT_PRE;
			else if (!IS_OWS(b))
				goto fail;
			break;
		case CH_EXT_VAL_PRE:
			if (b == '"')
				c->state = CH_EXT_QUOTED;
			else if (CLS(b, C_TCHAR))
				c->state = CH_EXT_TOKEN;
			else if (!IS_OWS(b))
				goto fail;
			break;
		case CH_EXT_TOKEN:
			if (CLS(b, C_TCHAR))
				break;
			if (b == ';')
				c->state = CH_EXT_PRE;
			else if (IS_OWS(b))
				c->state = CH_EXT_AFTER_BWS;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else
				goto fail;
			break;
		case CH_EXT_QUOTED:
			if (b == '"')
				c->state = CH_EXT_AFTER;
			else if (b == '\\')
				c->state = CH_EXT_QPAIR;
			else if (!CLS(b, C_QDTEXT))
				goto fail;
			break;
		case CH_EXT_QPAIR:
			if (!CLS(b, C_VALUE))
				goto fail;
			c->state = CH_EXT_QUOTED;
			break;
		case CH_EXT_AFTER:
			if (b == ';')
				c->state = CH_EXT_PRE;
			else if (IS_OWS(b))
				c->state = CH_EXT_AFTER_BWS;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else
				goto fail;
			break;
		case CH_EXT_AFTER_BWS:
			if (b == ';')
				c->state = CH_EXT_PRE;
			else if (!IS_OWS(b))
				goto fail;
			break;
		case CH_SIZE_LF:
			if (b != '\n')
				goto fail;
			c->linelen = 0;
			c->state = c->remain == 0 ? CH_TR_START : CH_DATA;
			break;
		case CH_DATA_CR:
			if (b != '\r')
				goto fail;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (b != '\n')
				goto fail;
			c->state = CH_SIZE0;
			break;
		case CH_TR_START:
			if (b == '\r')
				c->state = CH_END_LF;
			else if (CLS(b, C_TCHAR))
				c->state = CH_TR_NAME;
			else
				goto fail;
			break;
		case CH_TR_NAME:
			if (b == ':')
				c->state = CH_TR_VALUE;
			else if (!CLS(b, C_TCHAR))
				goto fail;
			break;
		case CH_TR_VALUE:
			if (b == '\r')
				c->state = CH_TR_LF;
			else if (!CLS(b, C_VALUE))
				goto fail;
			break;
		case CH_TR_LF:
			if (b != '\n')
				goto fail;
			c->state = CH_TR_START;
			break;
		case CH_END_LF:
			if (b != '\n')
				goto fail;
			c->state = CH_DONE;
			*used = i;
			return HTTP1_CHUNK_DONE;
		default:
			goto fail;
		}
	}
	*used = i;
	return HTTP1_CHUNK_MORE;

fail:
	c->state = CH_ERR;
	*used = i;
	return HTTP1_CHUNK_ERR;
}

/* Pointers into [from, from + headlen) move to the same offset in to. */
#define HTTP1_REBASE(p)	do {						\
	if ((p) != NULL)						\
		(p) = to + ((p) - from);				\
} while (0)

void
http1_rebase(struct http1_request *r, const char *from, const char *to)
{
	size_t	 i;

	HTTP1_REBASE(r->method);
	HTTP1_REBASE(r->target);
	HTTP1_REBASE(r->abs_host);
	HTTP1_REBASE(r->host);
	for (i = 0; i < r->nheaders; i++) {
		HTTP1_REBASE(r->headers[i].name);
		HTTP1_REBASE(r->headers[i].value);
	}
}
