/*
 * test_http1.c -- the strict HTTP/1.1 parser and chunked decoder against
 * the group-A cases of the security catalog (ids in the case names) and
 * good vectors.  Every request/response vector is also parsed at every
 * prefix: a prefix must give INCOMPLETE, the same error, or (once the head
 * is complete) the same result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "proxy/http1.h"

#define PUB	"Host: 3000-sbx1.sb.test\r\n"
#define POST	"POST / HTTP/1.1\r\n" PUB
#define S(x)	x, sizeof(x) - 1

static const struct http1_limits lim = { 32768, 100, 8192 };

struct rcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 status;	/* 0: expect HTTP1_OK */
	const char	*code;
};

static const struct rcase req_bad[] = {
	{ "A01 CL.TE", S(POST "Content-Length: 13\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED"),
	    400, "cl_and_te" },
	{ "A02 TE.CL", S(POST "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 4\r\n\r\n2b\r\nGPOST / HTTP/1.1\r\n"),
	    400, "cl_and_te" },
	{ "A04 dup CL", S(POST "Content-Length: 5\r\nContent-Length: 10\r\n"
	    "\r\nhelloworld"), 400, "duplicate_content_length" },
	{ "A04 dup CL same", S(POST "Content-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n"), 400, "duplicate_content_length" },
	{ "A05a CL 5, 5", S(POST "Content-Length: 5, 5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A05b CL 5, 10", S(POST "Content-Length: 5, 10\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A05c CL 0, 5", S(POST "Content-Length: 0, 5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A05d CL 5, 0", S(POST "Content-Length: 5, 0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A05e CL 5,5", S(POST "Content-Length: 5,5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL +5", S(POST "Content-Length: +5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL -0", S(POST "Content-Length: -0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL -1", S(POST "Content-Length: -1\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 0x5", S(POST "Content-Length: 0x5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 0o5", S(POST "Content-Length: 0o5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 5e0", S(POST "Content-Length: 5e0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 5.0", S(POST "Content-Length: 5.0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 1_0", S(POST "Content-Length: 1_0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 1 0", S(POST "Content-Length: 1 0\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 5abc", S(POST "Content-Length: 5abc\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A06 CL 20 digits", S(POST "Content-Length: "
	    "00000000000000000005\r\n\r\n"), 400, "bad_content_length" },
	{ "A06 CL overflow", S(POST "Content-Length: 9999999999999999999"
	    "\r\n\r\n"), 400, "bad_content_length" },
	{ "A09 CL empty", S(POST "Content-Length: \r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A09 CL empty then 43", S(POST "Content-Length: \r\n"
	    "Content-Length: 43\r\n\r\n"), 400, "bad_content_length" },
	{ "A10 CL space colon", S(POST "Content-Length : 5\r\n\r\nhello"),
	    400, "space_before_colon" },
	{ "A10 TE space colon", S(POST "Transfer-Encoding : chunked\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 400, "space_before_colon" },
	{ "A11a tab colon", S(POST "Content-Length\t: 5\r\n\r\n"), 400,
	    "space_before_colon" },
	{ "A11b \\x85", S(POST "Content-Length\x85: 10\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A11c \\xa0", S(POST "Content-Length\xa0: 10\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A11d Content_Length", S(POST "Content_Length: 5\r\n\r\n"), 400,
	    "underscore_in_header_name" },
	{ "A11e Transfer_Encoding", S(POST "Transfer_Encoding: chunked\r\n"
	    "\r\n"), 400, "underscore_in_header_name" },
	{ "A11f Transfer Encoding", S(POST "Transfer Encoding: chunked\r\n"
	    "\r\n"), 400, "space_before_colon" },
	{ "A11g percent", S(POST "Transfer-%45ncoding: chunked\r\n\r\n"),
	    400, "bad_header_name" },
	{ "A11h \\x82", S(POST "Transf\x82r-Encoding: chunked\r\n\r\n"),
	    400, "bad_header_name" },
	{ "A11i CR in name", S(POST "Transfer\r-Encoding: chunked\r\n\r\n"),
	    400, "bad_header_name" },
	{ "A12 xchunked", S(POST "Transfer-Encoding: xchunked\r\n\r\n"),
	    501, "unsupported_transfer_coding" },
	{ "A12 chunk", S(POST "Transfer-Encoding: chunk\r\n\r\n"), 501,
	    "unsupported_transfer_coding" },
	{ "A12 gzip", S(POST "Transfer-Encoding: gzip\r\n\r\n"), 501,
	    "unsupported_transfer_coding" },
	{ "A12 'chunked'", S(POST "Transfer-Encoding: 'chunked'\r\n\r\n"),
	    501, "unsupported_transfer_coding" },
	{ "A12 quoted", S(POST "Transfer-Encoding: \"chunked\"\r\n\r\n"),
	    400, "bad_transfer_encoding" },
	{ "A12 chunked, identity", S(POST "Transfer-Encoding: chunked, "
	    "identity\r\n\r\n"), 400, "bad_transfer_encoding" },
	{ "A12 identity, chunked", S(POST "Transfer-Encoding: identity, "
	    "chunked\r\n\r\n"), 400, "bad_transfer_encoding" },
	{ "A12 gzip, chunked", S(POST "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n"), 400, "bad_transfer_encoding" },
	{ "A12 cow chunked bar", S(POST "Transfer-Encoding: cow chunked bar"
	    "\r\n\r\n"), 400, "bad_transfer_encoding" },
	{ "A12 encoded-word", S(POST "Transfer-Encoding: "
	    "=?UTF-8?B?Y2h1bmtlZA==?=\r\n\r\n"), 400,
	    "bad_transfer_encoding" },
	{ "A12 \\x96", S(POST "Transfer-Encoding: ch\x96nked\r\n\r\n"), 400,
	    "bad_transfer_encoding" },
	{ "A12 \\xff", S(POST "Transfer-Encoding: \xff" "chunked\r\n\r\n"),
	    400, "bad_transfer_encoding" },
	{ "A12 NUL", S(POST "Transfer-Encoding: chunked\x00\r\n\r\n"), 400,
	    "bad_header_value" },
	{ "A12 VT", S(POST "Transfer-Encoding: \x0b" "chunked\r\n\r\n"),
	    400, "bad_header_value" },
	{ "A12 FF", S(POST "Transfer-Encoding: \x0c" "chunked\r\n\r\n"),
	    400, "bad_header_value" },
	{ "A12 empty", S(POST "Transfer-Encoding: \r\n\r\n"), 400,
	    "bad_transfer_encoding" },
	{ "A12 CL then xchunked", S(POST "Content-Length: 5\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\nhello"), 400, "cl_and_te" },
	{ "A12 TE twice", S(POST "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 400,
	    "bad_transfer_encoding" },
	{ "A14 TE fold", S(POST "Transfer-Encoding:\r\n chunked\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 400, "bad_transfer_encoding" },
	{ "A14 CL fold", S(POST "Content-Length:\r\n 5\r\n\r\n"), 400,
	    "bad_content_length" },
	{ "A14 fold", S(POST "X-A: one\r\n two\r\n\r\n"), 400, "obs_fold" },
	{ "A14 tab fold", S(POST "Content-Length: 0\r\n\tTransfer-Encoding: "
	    "chunked\r\n\r\n"), 400, "obs_fold" },
	{ "A15 leading ws first field", S("POST / HTTP/1.1\r\n"
	    "\tTransfer-Encoding: chunked\r\n" PUB "Content-Length: 0\r\n"
	    "\r\n"), 400, "obs_fold" },
	{ "A16 no colon", S(POST "Transfer-Encoding chunked\r\n\r\n"), 400,
	    "space_before_colon" },
	{ "A16 no colon nospace", S(POST "Foo\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A16 split name", S(POST "Transfer-\r\nEncoding: chunked\r\n\r\n"),
	    400, "bad_header_name" },
	{ "A17a bare CR", S(POST "X: a\rTransfer-Encoding: chunked\r\n\r\n"),
	    400, "bare_cr" },
	{ "A17b bare CR", S(POST "Visible: :/\rSmuggled: :)\r\n\r\n"), 400,
	    "bare_cr" },
	{ "A17c bare CR", S(POST "X: a\r b\r\n\r\n"), 400, "bare_cr" },
	{ "A17 CR CR", S(POST "X: a\r\r\n\r\n"), 400, "bare_cr" },
	{ "A17 head end CR X", S(POST "\r\rX"), 400, "bare_cr" },
	{ "A17 bare LF value", S(POST "X: a\nHost: b\r\n\r\n"), 400,
	    "bare_lf" },
	{ "A17 bare LF line", S(POST "\n"), 400, "bare_lf" },
	{ "A17 bare LF request line", S("GET / HTTP/1.1\nHost: a\r\n\r\n"),
	    400, "bare_lf" },
	{ "A19 TE on 1.0", S("POST / HTTP/1.0\r\n" PUB "Transfer-Encoding: "
	    "chunked\r\nContent-Length: 5\r\n\r\nhello"), 400, "te_http10" },
	{ "A34 Connection CL", S(POST "Connection: Content-Length\r\n\r\n"),
	    400, "bad_connection" },
	{ "A34 Connection TE", S(POST "Connection: Transfer-Encoding\r\n"
	    "\r\n"), 400, "bad_connection" },
	{ "A34 Connection Host", S(POST "Connection: Host\r\n\r\n"), 400,
	    "bad_connection" },
	{ "A34 Connection close, CL", S(POST "Connection: close, "
	    "Content-Length\r\n\r\n"), 400, "bad_connection" },
	{ "A34 Connection non-token", S(POST "Connection: keep alive\r\n"
	    "\r\n"), 400, "bad_connection" },
	{ "A35 PRI", S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 400,
	    "bad_target" },
	{ "A37 HTTP/0.9", S("GET /\r\n\r\n"), 400, "bad_version" },
	{ "A37 HTTP/1.01", S("GET / HTTP/1.01\r\n" PUB "\r\n"), 400,
	    "bad_version" },
	{ "A37 HTTP/1.10", S("GET / HTTP/1.10\r\n" PUB "\r\n"), 400,
	    "bad_version" },
	{ "A37 HTTP/1.257", S("GET / HTTP/1.257\r\n" PUB "\r\n"), 400,
	    "bad_version" },
	{ "A37 HTTP/-1.1", S("GET / HTTP/-1.1\r\n" PUB "\r\n"), 400,
	    "bad_version" },
	{ "A37 HTTP/4294967295.255", S("GET / HTTP/4294967295.255\r\n" PUB
	    "\r\n"), 400, "bad_version" },
	{ "A37 http/1.1", S("GET / http/1.1\r\n" PUB "\r\n"), 400,
	    "bad_version" },
	{ "A37 HTTP/2.0", S("GET / HTTP/2.0\r\n" PUB "\r\n"), 505,
	    "http_version" },
	{ "A37 HTTP/1.2", S("GET / HTTP/1.2\r\n" PUB "\r\n"), 505,
	    "http_version" },
	{ "A37 HTTP/0.9 versioned", S("GET / HTTP/0.9\r\n" PUB "\r\n"), 505,
	    "http_version" },
	{ "A37 HTTP/ CR CR", S("GET / HTTP/\r\r1.1\r\n" PUB "\r\n"), 400,
	    "bare_cr" },
	{ "A37 trailing space", S("GET / HTTP/1.1 \r\n" PUB "\r\n"), 400,
	    "bad_request_line" },
	{ "A37 extra field", S("GET / HTTP/1.1 x\r\n" PUB "\r\n"), 400,
	    "bad_request_line" },
	{ "A39 NUL value", S(POST "X: a\x00" "b\r\n\r\n"), 400,
	    "bad_header_value" },
	{ "A39 NUL host", S("GET / HTTP/1.1\r\nHost: 3000-sbx1.sb.test\x00"
	    ".evil\r\n\r\n"), 400, "bad_header_value" },
	{ "A39 CTLs", S(POST "X: \x01\x02\x03\r\n\r\n"), 400,
	    "bad_header_value" },
	{ "A39 DEL", S(POST "X: a\x7f" "b\r\n\r\n"), 400,
	    "bad_header_value" },
	{ "A40 empty name", S(POST ": x\r\n\r\n"), 400, "bad_header_name" },
	{ "A40 colon only", S(POST ":\r\n\r\n"), 400, "bad_header_name" },
	{ "A40 space in name", S(POST "Foo Bar: x\r\n\r\n"), 400,
	    "space_before_colon" },
	{ "A40 non-ASCII name", S(POST "\xef" "foo: bar\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A40 quote name", S(POST "a\"b: x\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A40 paren name", S(POST "a(b: x\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A40 slash name", S(POST "a/b: x\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A40 at name", S(POST "a@b: x\r\n\r\n"), 400, "bad_header_name" },
	{ "A40 brace name", S(POST "a{b: x\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A40 NUL name", S(POST "a\x00" "b: x\r\n\r\n"), 400,
	    "bad_header_name" },
	{ "A41 LPAD host", S(POST "X-Junk: x\r\n Host: other\r\n\r\n"), 400,
	    "obs_fold" },
	{ "A41 SPACE host", S("GET / HTTP/1.1\r\nHost : other\r\n\r\n"),
	    400, "space_before_colon" },
	{ "A41 TAB host", S("GET / HTTP/1.1\r\nHost\t: other\r\n\r\n"), 400,
	    "space_before_colon" },
	{ "A41 NWRAP host", S(POST "X-Junk: x\nHost: other\r\n\r\n"), 400,
	    "bare_lf" },
	{ "A41 RWRAP host", S(POST "X-Junk: x\rHost: other\r\n\r\n"), 400,
	    "bare_cr" },
	{ "A41 DUPE host", S(POST "Host: other\r\n\r\n"), 400,
	    "duplicate_host" },
	{ "A41 UNDER auth", S(POST "X_Authorization: Bearer x\r\n\r\n"), 400,
	    "underscore_in_header_name" },
	{ "A41 HOP host", S(POST "Connection: Host\r\n\r\n"), 400,
	    "bad_connection" },
	{ "A41 SKIPHOP", S(POST "Connection : Host\r\n\r\n"), 400,
	    "space_before_colon" },
	{ "A30b Expect y 100-continue", S(POST "Content-Length: 5\r\n"
	    "Expect: y 100-continue\r\n\r\n"), 417, "expectation_failed" },
	{ "A30c Expect fold", S(POST "Content-Length: 5\r\nExpect:\r\n"
	    " 100-continue\r\n\r\n"), 417, "expectation_failed" },
	{ "A30d Expect list", S(POST "Content-Length: 5\r\n"
	    "Expect: 100-Continue, foo\r\n\r\n"), 417, "expectation_failed" },
	{ "A30 Expect twice", S(POST "Expect: 100-continue\r\n"
	    "Expect: 100-continue\r\n\r\n"), 417, "expectation_failed" },
	{ "CONNECT", S("CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n"),
	    405, "method_not_allowed" },
	{ "TRACE", S("TRACE / HTTP/1.1\r\n" PUB "\r\n"), 405,
	    "method_not_allowed" },
	{ "trace lower", S("trace / HTTP/1.1\r\n" PUB "\r\n"), 405,
	    "method_not_allowed" },
	{ "bad method", S("GE(T / HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_method" },
	{ "empty method", S(" / HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_request_line" },
	{ "two spaces", S("GET  / HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_request_line" },
	{ "leading CRLF", S("\r\nGET / HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "leading_empty_line" },
	{ "leading LF", S("\nGET / HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "leading_empty_line" },
	{ "authority-form", S("GET a.b:443 HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "asterisk OPTIONS", S("OPTIONS * HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "fragment", S("GET /a#b HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "CTL target", S("GET /a\x01" "b HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "DEL target", S("GET /a\x7f HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "non-ASCII target", S("GET /\xc3\xa9 HTTP/1.1\r\n" PUB "\r\n"),
	    400, "bad_target" },
	{ "space target", S("GET /a b HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_request_line" },
	{ "tab target", S("GET /a\tb HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "absolute no path", S("GET http://a.b HTTP/1.1\r\n" PUB "\r\n"),
	    400, "bad_target" },
	{ "absolute query no path", S("GET http://a.b?x HTTP/1.1\r\n" PUB
	    "\r\n"), 400, "bad_target" },
	{ "absolute userinfo", S("GET http://u@a.b/ HTTP/1.1\r\n" PUB
	    "\r\n"), 400, "bad_target" },
	{ "absolute empty authority", S("GET http:///p HTTP/1.1\r\n" PUB
	    "\r\n"), 400, "bad_target" },
	{ "absolute ftp", S("GET ftp://a.b/ HTTP/1.1\r\n" PUB "\r\n"), 400,
	    "bad_target" },
	{ "missing Host", S("GET / HTTP/1.1\r\n\r\n"), 400, "missing_host" },
	{ "empty Host", S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 400,
	    "bad_host" },
	{ "empty Host spaces", S("GET / HTTP/1.1\r\nHost:   \r\n\r\n"), 400,
	    "bad_host" },
	{ "Host userinfo", S("GET / HTTP/1.1\r\nHost: u@a:80\r\n\r\n"), 400,
	    "bad_host" },
	{ "Host comma", S("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n"), 400,
	    "bad_host" },
	{ "Host space", S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400,
	    "bad_host" },
	{ "Host slash", S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400,
	    "bad_host" },
	{ "Host 1.0 duplicate", S("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n"
	    "\r\n"), 400, "duplicate_host" },
	{ "Upgrade with CL", S("GET / HTTP/1.1\r\n" PUB "Upgrade: websocket"
	    "\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\nhello"), 400,
	    "upgrade_with_body" },
	{ "Upgrade with chunked", S("POST / HTTP/1.1\r\n" PUB
	    "Transfer-Encoding: chunked\r\nUpgrade: h2c\r\n\r\n"), 400,
	    "upgrade_with_body" },
};

static void
check_prefixes(const char *name, const char *in, size_t len,
    const struct http1_request *full, enum http1_rc frc)
{
	static struct http1_request p;
	size_t			 k;
	enum http1_rc		 rc;

	for (k = 0; k < len; k++) {
		rc = http1_parse_request(in, k, &lim, &p);
		if (rc == HTTP1_INCOMPLETE)
			continue;
		if (rc != frc)
			fail_msg("%s: prefix %zu gave rc %d, full %d", name, k,
			    rc, frc);
		if (rc == HTTP1_ERR && (p.status != full->status ||
		    strcmp(p.code, full->code) != 0))
			fail_msg("%s: prefix %zu gave %d %s, full %d %s", name,
			    k, p.status, p.code, full->status, full->code);
		if (rc == HTTP1_OK && p.headlen != full->headlen)
			fail_msg("%s: prefix %zu headlen %zu, full %zu", name,
			    k, p.headlen, full->headlen);
	}
}

static void
test_request_bad(void **state)
{
	static struct http1_request r;
	size_t			 i;
	enum http1_rc		 rc;

	(void)state;
	for (i = 0; i < DB_ARRLEN(req_bad); i++) {
		const struct rcase *c = &req_bad[i];

		rc = http1_parse_request(c->in, c->len, &lim, &r);
		if (rc != HTTP1_ERR)
			fail_msg("%s: rc %d, want ERR", c->name, rc);
		if (r.status != c->status || strcmp(r.code, c->code) != 0)
			fail_msg("%s: got %d %s, want %d %s", c->name, r.status,
			    r.code, c->status, c->code);
		check_prefixes(c->name, c->in, c->len, &r, rc);
	}
}

static const char *
hdr(const struct http1_request *r, const char *name)
{
	static char	 buf[256];
	int		 i;

	i = http1_find(r->headers, r->nheaders, name, strlen(name));
	if (i < 0)
		return NULL;
	assert_int_equal(str_spancpy(buf, sizeof(buf), r->headers[i].value,
	    r->headers[i].valuelen), 0);
	return buf;
}

static char *
span(const char *s, size_t len)
{
	static char	 buf[4][256];
	static int	 n;
	char		*b = buf[n++ % 4];

	if (s == NULL)
		return NULL;
	assert_int_equal(str_spancpy(b, 256, s, len), 0);
	return b;
}

static struct http1_request *
parse_ok(const char *in, size_t len)
{
	static struct http1_request r;
	enum http1_rc		 rc;

	rc = http1_parse_request(in, len, &lim, &r);
	if (rc != HTTP1_OK)
		fail_msg("rc %d (%d %s) for %.*s", rc, r.status,
		    r.code ? r.code : "-", (int)len, in);
	check_prefixes("good", in, len, &r, rc);
	/* Re-parse: a prefix scan must not have clobbered anything. */
	assert_int_equal(http1_parse_request(in, len, &lim, &r), HTTP1_OK);
	return &r;
}

static void
test_request_good(void **state)
{
	struct http1_request	*r;
	const char		*in;

	(void)state;
	/* GET with query. */
	in = "GET /a/b?x=1&y=%20 HTTP/1.1\r\n" PUB "Accept: */*\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_string_equal(span(r->method, r->methodlen), "GET");
	assert_string_equal(span(r->target, r->targetlen), "/a/b?x=1&y=%20");
	assert_null(r->abs_host);
	assert_int_equal(r->minor, 1);
	assert_int_equal(r->nheaders, 2);
	assert_string_equal(span(r->host, r->hostlen), "3000-sbx1.sb.test");
	assert_false(r->has_cl);
	assert_false(r->chunked);
	assert_true(r->keepalive);
	assert_false(r->upgrade);
	assert_int_equal(r->headlen, strlen(in));
	assert_string_equal(hdr(r, "accept"), "*/*");
	assert_null(hdr(r, "cookie"));

	/* POST with CL; OWS trimmed. */
	in = POST "Content-Length:   5 \t\r\nX-Empty:\r\n\r\nhello";
	r = parse_ok(in, strlen(in));
	assert_true(r->has_cl);
	assert_int_equal(r->content_length, 5);
	assert_int_equal(r->headlen, strlen(in) - 5);
	assert_string_equal(hdr(r, "X-EMPTY"), "");
	assert_string_equal(hdr(r, "content-length"), "5");

	/* A07: leading zeros read as decimal. */
	in = POST "Content-Length: 0005\r\n\r\nhello";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->content_length, 5);
	in = POST "Content-Length: 010\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->content_length, 10);
	in = POST "Content-Length: 9223372036854775807\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->content_length, INT64_MAX);

	/* Chunked, case-insensitive, OWS around it. */
	in = POST "Transfer-Encoding:  ChunKed \r\n\r\n0\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->chunked);
	assert_false(r->has_cl);
	assert_int_equal(r->headlen, strlen(in) - 5);

	/* A32: pipelined, headlen of the first. */
	in = "GET /1 HTTP/1.1\r\n" PUB "\r\nGET /2 HTTP/1.1\r\n" PUB "\r\n";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->headlen, strlen(in) / 2);
	assert_string_equal(span(r->target, r->targetlen), "/1");
	r = parse_ok(in + strlen(in) / 2, strlen(in) / 2);
	assert_string_equal(span(r->target, r->targetlen), "/2");

	/* Absolute-form: path in target, authority in abs_host. */
	in = "GET http://3000-sbx1.sb.test/p?q HTTP/1.1\r\n" PUB "\r\n";
	r = parse_ok(in, strlen(in));
	assert_string_equal(span(r->target, r->targetlen), "/p?q");
	assert_string_equal(span(r->abs_host, r->abs_hostlen),
	    "3000-sbx1.sb.test");
	in = "GET HTTPS://a.b:8443/ HTTP/1.1\r\nHost: a.b:8443\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_string_equal(span(r->target, r->targetlen), "/");
	assert_string_equal(span(r->abs_host, r->abs_hostlen), "a.b:8443");

	/* HTTP/1.0: no Host needed, keep-alive only on request. */
	in = "GET / HTTP/1.0\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->minor, 0);
	assert_null(r->host);
	assert_false(r->keepalive);
	in = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: [::1]:80\r\n"
	    "\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->keepalive);
	assert_string_equal(span(r->host, r->hostlen), "[::1]:80");
	in = "GET / HTTP/1.1\r\n" PUB "Connection: foo, close\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_false(r->keepalive);

	/* Lower-case and custom methods are tokens. */
	in = "get / HTTP/1.1\r\n" PUB "\r\n";
	r = parse_ok(in, strlen(in));
	assert_string_equal(span(r->method, r->methodlen), "get");
	in = "PROPFIND /x HTTP/1.1\r\n" PUB "\r\n";
	r = parse_ok(in, strlen(in));

	/* A27: HEAD with CL: the parser reports the body; never infers. */
	in = "HEAD / HTTP/1.1\r\n" PUB "Content-Length: 50\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->has_cl);
	assert_int_equal(r->content_length, 50);

	/* WebSocket upgrade. */
	in = "GET /ws HTTP/1.1\r\n" PUB "Upgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: x\r\n"
	    "Content-Length: 0\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->upgrade);
	assert_true(r->upgrade_websocket);
	assert_true(r->keepalive);
	/* No Connection: upgrade, or POST: not a websocket upgrade. */
	in = "GET /ws HTTP/1.1\r\n" PUB "Upgrade: websocket\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->upgrade);
	assert_false(r->upgrade_websocket);
	in = "POST /ws HTTP/1.1\r\n" PUB "Upgrade: websocket\r\n"
	    "Connection: upgrade\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_false(r->upgrade_websocket);
	/* A36: h2c is reported as an upgrade, never as websocket. */
	in = "GET / HTTP/1.1\r\n" PUB "Connection: Upgrade, HTTP2-Settings\r\n"
	    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->upgrade);
	assert_false(r->upgrade_websocket);

	/* A30a: Expect: 100-continue. */
	in = POST "Content-Length: 5\r\nExpect: 100-Continue\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_true(r->expect_continue);
	in = POST "Content-Length: 5\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_false(r->expect_continue);

	/* Obs-text in a value is allowed; HTAB inside too. */
	in = "GET / HTTP/1.1\r\n" PUB "X: caf\xc3\xa9\tok\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_string_equal(hdr(r, "x"), "caf\xc3\xa9\tok");

	/* Underscore-free tchar names. */
	in = "GET / HTTP/1.1\r\n" PUB "!#$&'*+-.^`|~09azAZ: v\r\n\r\n";
	r = parse_ok(in, strlen(in));
	assert_int_equal(r->nheaders, 2);
}

static void
test_request_incomplete(void **state)
{
	static struct http1_request r;
	static const char *const v[] = {
		"",
		"G",
		"GET",
		"GET /",
		"GET / HTTP/1.1",
		"GET / HTTP/1.1\r",
		"GET / HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: a",
		"GET / HTTP/1.1\r\nHost: a\r",
		"GET / HTTP/1.1\r\nHost: a\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(v); i++)
		assert_int_equal(http1_parse_request(v[i], strlen(v[i]), &lim,
		    &r), HTTP1_INCOMPLETE);
	/* NULL limits mean the hard caps. */
	assert_int_equal(http1_parse_request(S("GET / HTTP/1.1\r\nHost: a\r\n"
	    "\r\n"), NULL, &r), HTTP1_OK);
}

static void
test_request_limits(void **state)
{
	static struct http1_request r;
	static char		 buf[70000];
	struct http1_limits	 l = { 1024, 4, 64 };
	size_t			 n, i;
	enum http1_rc		 rc;

	(void)state;
	/* Request line of exactly max_line is fine; one more is 414. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET /%s HTTP/1.1\r\nHost: a"
	    "\r\n\r\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(strchr(buf, '\r') - buf, 64);
	assert_int_equal(http1_parse_request(buf, n, &l, &r), HTTP1_OK);
	n = (size_t)snprintf(buf, sizeof(buf), "GET /%s HTTP/1.1\r\nHost: a"
	    "\r\n\r\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	rc = http1_parse_request(buf, n, &l, &r);
	assert_int_equal(rc, HTTP1_ERR);
	assert_int_equal(r.status, 414);
	assert_string_equal(r.code, "uri_too_long");
	/* A long target is 414 before the line ends. */
	memset(buf, 'a', 200);
	memcpy(buf, "GET /", 5);
	assert_int_equal(http1_parse_request(buf, 200, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 414);
	assert_int_equal(http1_parse_request(buf, 63, &l, &r),
	    HTTP1_INCOMPLETE);
	/* At max_line bytes of target the line cannot fit any more. */
	assert_int_equal(http1_parse_request(buf, 64, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 414);

	/* Four fields are fine, five are 431. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n"
	    "A: 1\r\nB: 2\r\nC: 3\r\n\r\n");
	assert_int_equal(http1_parse_request(buf, n, &l, &r), HTTP1_OK);
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n"
	    "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
	assert_int_equal(http1_parse_request(buf, n, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 431);
	assert_string_equal(r.code, "headers_too_large");

	/* Head of exactly max_head is fine; one byte more is 431. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n"
	    "X: ");
	memset(buf + n, 'x', 1024 - n - 4);
	memcpy(buf + 1020, "\r\n\r\n", 4);
	assert_int_equal(http1_parse_request(buf, 1024, &l, &r), HTTP1_OK);
	assert_int_equal(r.headlen, 1024);
	memmove(buf + 1021, buf + 1020, 4);
	buf[1020] = 'x';
	assert_int_equal(http1_parse_request(buf, 1025, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 431);
	/* 431 also without the end in sight. */
	assert_int_equal(http1_parse_request(buf, 1024, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 431);
	assert_int_equal(http1_parse_request(buf, 1000, &l, &r),
	    HTTP1_INCOMPLETE);

	/* Config caps above the array size are clamped. */
	l.max_head = sizeof(buf);
	l.max_headers = 100000;
	l.max_line = 8192;
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (i = 0; i < CONF_MAX_HEADERS + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "Host%zu: a\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(http1_parse_request(buf, n, &l, &r), HTTP1_ERR);
	assert_int_equal(r.status, 431);
}

static const struct rcase resp_cases[] = {
	{ "ok CL", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), 0,
	    NULL },
	{ "ok empty reason", S("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
	    0, NULL },
	{ "ok no reason", S("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"), 0,
	    NULL },
	{ "ok underscore", S("HTTP/1.1 200 OK\r\nX_Foo: 1\r\n\r\n"), 0,
	    NULL },
	{ "ok reason obs-text", S("HTTP/1.1 200 Tr\xe8s bien\t!\r\n\r\n"), 0,
	    NULL },
	{ "A01 CL+TE", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 502, "cl_and_te" },
	{ "A02 TE+CL", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n"), 502, "cl_and_te" },
	{ "A04 dup CL", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n"), 502, "duplicate_content_length" },
	{ "A05 CL list", S("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"),
	    502, "bad_content_length" },
	{ "A06 CL sign", S("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"),
	    502, "bad_content_length" },
	{ "A12 TE gzip", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
	    "\r\n"), 502, "bad_transfer_encoding" },
	{ "A12 TE list", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
	    "chunked\r\n\r\n"), 502, "bad_transfer_encoding" },
	{ "A12 TE twice", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 502,
	    "bad_transfer_encoding" },
	{ "A19 TE on 1.0", S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n"), 502, "te_http10" },
	{ "A10 space colon", S("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n"
	    "\r\n"), 502, "space_before_colon" },
	{ "A14 obs-fold", S("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), 502,
	    "obs_fold" },
	{ "A17 bare CR", S("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), 502,
	    "bare_cr" },
	{ "A17 bare LF", S("HTTP/1.1 200 OK\nX: a\r\n\r\n"), 502, "bare_lf" },
	{ "A17 bare LF field", S("HTTP/1.1 200 OK\r\nX: a\n\r\n"), 502,
	    "bare_lf" },
	{ "A39 NUL", S("HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n"), 502,
	    "bad_header_value" },
	{ "A40 empty name", S("HTTP/1.1 200 OK\r\n: a\r\n\r\n"), 502,
	    "bad_header_name" },
	{ "A34 Connection CL", S("HTTP/1.1 200 OK\r\nConnection: "
	    "content-length\r\n\r\n"), 502, "bad_connection" },
	{ "status 99", S("HTTP/1.1 099 x\r\n\r\n"), 502, "bad_status_line" },
	{ "status 600", S("HTTP/1.1 600 x\r\n\r\n"), 502, "bad_status_line" },
	{ "status 2 digits", S("HTTP/1.1 20 OK\r\n\r\n"), 502,
	    "bad_status_line" },
	{ "status 4 digits", S("HTTP/1.1 2000 OK\r\n\r\n"), 502,
	    "bad_status_line" },
	{ "status two spaces", S("HTTP/1.1  200 OK\r\n\r\n"), 502,
	    "bad_status_line" },
	{ "HTTP/2", S("HTTP/2 200 OK\r\n\r\n"), 502, "bad_status_line" },
	{ "HTTP/1.2", S("HTTP/1.2 200 OK\r\n\r\n"), 502, "bad_version" },
	{ "HTTP/2.0", S("HTTP/2.0 200 OK\r\n\r\n"), 502, "bad_version" },
	{ "ICY", S("ICY 200 OK\r\n\r\n"), 502, "bad_status_line" },
	{ "lower http", S("http/1.1 200 OK\r\n\r\n"), 502, "bad_status_line" },
	{ "CTL reason", S("HTTP/1.1 200 O\x01K\r\n\r\n"), 502,
	    "bad_status_line" },
	{ "leading CRLF", S("\r\nHTTP/1.1 200 OK\r\n\r\n"), 502,
	    "bad_status_line" },
};

static void
test_response(void **state)
{
	static struct http1_response p, q;
	size_t			 i, k;
	enum http1_rc		 rc, prc;

	(void)state;
	for (i = 0; i < DB_ARRLEN(resp_cases); i++) {
		const struct rcase *c = &resp_cases[i];

		rc = http1_parse_response(c->in, c->len, &lim, &p);
		if (c->status == 0 && rc != HTTP1_OK)
			fail_msg("%s: rc %d %s", c->name, rc, p.code);
		if (c->status != 0 && (rc != HTTP1_ERR ||
		    strcmp(p.code, c->code) != 0))
			fail_msg("%s: rc %d %s, want %s", c->name, rc,
			    p.code ? p.code : "-", c->code);
		for (k = 0; k < c->len; k++) {
			prc = http1_parse_response(c->in, k, &lim, &q);
			if (prc == HTTP1_INCOMPLETE)
				continue;
			if (prc != rc || (rc == HTTP1_ERR &&
			    strcmp(p.code, q.code) != 0) ||
			    (rc == HTTP1_OK && p.headlen != q.headlen))
				fail_msg("%s: prefix %zu differs", c->name, k);
		}
	}
}

static void
test_response_fields(void **state)
{
	static struct http1_response p;
	static const struct {
		const char	*in;
		int		 status, keepalive, has_cl, chunked;
	} v[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 200, 1, 1,
		    0 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		    200, 1, 0, 1 },
		{ "HTTP/1.1 200 OK\r\n\r\n", 200, 0, 0, 0 },
		{ "HTTP/1.1 204 No Content\r\n\r\n", 204, 1, 0, 0 },
		{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
		    304, 1, 1, 0 },
		{ "HTTP/1.1 100 Continue\r\n\r\n", 100, 1, 0, 0 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n", 101, 1, 0, 0 },
		{ "HTTP/1.1 200 OK\r\nConnection: close\r\n"
		    "Content-Length: 1\r\n\r\n", 200, 0, 1, 0 },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 200, 0, 1,
		    0 },
		{ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
		    "Content-Length: 1\r\n\r\n", 200, 1, 1, 0 },
		{ "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n", 599, 1, 1,
		    0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(v); i++) {
		assert_int_equal(http1_parse_response(v[i].in, strlen(v[i].in),
		    &lim, &p), HTTP1_OK);
		assert_int_equal(p.status, v[i].status);
		assert_int_equal(p.keepalive, v[i].keepalive);
		assert_int_equal(p.has_cl, v[i].has_cl);
		assert_int_equal(p.chunked, v[i].chunked);
		assert_int_equal(p.headlen, strlen(v[i].in));
	}
	assert_int_equal(http1_parse_response(S("HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\n\r\n"), &lim, &p), HTTP1_OK);
	assert_string_equal(span(p.reason, p.reasonlen), "Not Found");
	assert_int_equal(p.minor, 1);
	assert_int_equal(http1_parse_response(S("HTTP/1.1 200 OK\r\n"),
	    &lim, &p), HTTP1_INCOMPLETE);
}

/* Chunked decoder: one feeding strategy. */
struct dec {
	enum http1_chunk_rc rc;
	char		 out[16384];
	size_t		 outlen;
	size_t		 consumed;
};

/* mode 0: whole; 1: byte by byte; >= 2: random pieces seeded by mode. */
static void
decode(const char *in, size_t len, unsigned mode, struct dec *d)
{
	struct http1_chunked	 c;
	size_t			 ps = 0, pe, off, used, dl;
	unsigned		 seed = mode;

	http1_chunked_init(&c);
	d->outlen = 0;
	d->consumed = 0;
	d->rc = HTTP1_CHUNK_MORE;
	while (ps < len) {
		if (mode == 0)
			pe = len;
		else if (mode == 1)
			pe = ps + 1;
		else
			pe = ps + 1 + (size_t)(rand_r(&seed) % 7);
		if (pe > len)
			pe = len;
		off = ps;
		while (off < pe) {
			d->rc = http1_chunked_step(&c, in + off, pe - off,
			    &used, &dl);
			switch (d->rc) {
			case HTTP1_CHUNK_DATA:
				assert_true(dl > 0);
				assert_true(off + used + dl <= pe);
				assert_true(d->outlen + dl <= sizeof(d->out));
				memcpy(d->out + d->outlen, in + off + used, dl);
				d->outlen += dl;
				off += used + dl;
				break;
			case HTTP1_CHUNK_MORE:
				assert_int_equal(used, pe - off);
				off = pe;
				break;
			case HTTP1_CHUNK_DONE:
				d->consumed = off + used;
				return;
			case HTTP1_CHUNK_ERR:
				return;
			}
		}
		ps = pe;
	}
	if (d->rc == HTTP1_CHUNK_DATA)
		d->rc = HTTP1_CHUNK_MORE;
}

struct ccase {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum http1_chunk_rc rc;	/* DONE, ERR or MORE at the end */
	const char	*out;	/* decoded data when DONE */
	size_t		 tail;	/* bytes left after DONE */
};

#define CD(n, s, o, t)	{ n, S(s), HTTP1_CHUNK_DONE, o, t }
#define CE(n, s)	{ n, S(s), HTTP1_CHUNK_ERR, NULL, 0 }

static const struct ccase chunk_cases[] = {
	CD("simple", "5\r\nhello\r\n0\r\n\r\n", "hello", 0),
	CD("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	    "hello world", 0),
	CD("hex upper", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0),
	CD("hex lower", "a\r\n0123456789\r\n00\r\n\r\n", "0123456789", 0),
	CD("15 digits", "000000000000005\r\nhello\r\n0\r\n\r\n", "hello", 0),
	CD("ext", "5;a=b\r\nhello\r\n0;x\r\n\r\n", "hello", 0),
	CD("A22g ext BWS", "5 ; a=b\r\nhello\r\n0\r\n\r\n", "hello", 0),
	CD("ext BWS eq", "5;a = b;c\t=\t\"q\\\"x\" ;d\r\nhello\r\n0\r\n\r\n",
	    "hello", 0),
	CD("ext quoted", "5;a=\"x y;z\"\r\nhello\r\n0\r\n\r\n", "hello", 0),
	CD("A25 trailer CL", "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n",
	    "hello", 0),
	CD("A25 trailer TE", "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n", "hello", 0),
	CD("A25 trailer Host", "5\r\nhello\r\n0\r\nHost: 3000-sbx2.sb.test"
	    "\r\n\r\n", "hello", 0),
	CD("A25 trailer auth", "5\r\nhello\r\n0\r\nAuthorization: Bearer "
	    "TOK2\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", "hello", 0),
	CD("A26 request in trailer", "0\r\nX:POST / HTTP/1.1\r\n\r\n", "", 0),
	CD("pipelined tail", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc",
	    16),
	CE("A20 space", "5\r\nhello\r\n 5\r\nhello\r\n0\r\n\r\n"),
	CE("A20 leading space", " 5\r\nhello\r\n0\r\n\r\n"),
	CE("A20 plus", "+5\r\nhello\r\n0\r\n\r\n"),
	CE("A20 0x", "0x5\r\nhello\r\n0\r\n\r\n"),
	CE("A20 minus", "-0\r\n\r\n"),
	CE("A20 underscore", "0_2e\r\n"),
	CE("A21 Z", "Z\r\nZZ\r\n"),
	CE("A21 5xbc", "5xbc\r\nhello\r\n0\r\n\r\n"),
	CE("A21 never validated", "1these-bytes-never-get-validated\r\nZ\r\n"
	    "0\r\n\r\n"),
	CE("A21 16 digits", "FFFFFFFFFFFFFFED\r\n0\r\n\r\n"),
	CE("A21 23 digits", "00000000000000000000005\r\nhello\r\n0\r\n\r\n"),
	CE("A22a LF in ext", "5;\nhello\r\n0\r\n\r\n"),
	CE("A22b CR in ext", "5;a\rb\r\nhello\r\n0\r\n\r\n"),
	CE("A22c CR CR", "2\r\r;a\r\n02\r\n41\r\n0\r\n\r\n"
	    "GET /bad HTTP/1.1\r\n"),
	CE("A22d no name", "5;\r\nhello\r\n0\r\n\r\n"),
	CE("A22e bad name", "5;bad[=x\r\nhello\r\n0\r\n\r\n"),
	CE("A22f NUL ext", "5;\x00" "ext\r\nhello\r\n0\r\n\r\n"),
	CE("ext eq no value", "5;a=\r\nhello\r\n0\r\n\r\n"),
	CE("ext unterminated quote", "5;a=\"x\r\nhello\r\n0\r\n\r\n"),
	CE("ext trailing ws", "5;a=b \r\nhello\r\n0\r\n\r\n"),
	CE("size trailing ws", "5 \r\nhello\r\n0\r\n\r\n"),
	CE("no CRLF after data", "3\r\nabcXX0\r\n\r\n"),
	CE("no CRLF after data 2", "3\r\nabc3\r\ndef\r\n0\r\n\r\n"),
	CE("LF only after data", "3\r\nabc\n0\r\n\r\n"),
	CE("bare LF size", "5\nhello\r\n0\r\n\r\n"),
	CE("blank line between", "5\r\nhello\r\n\r\n0\r\n\r\n"),
	CE("empty size", "\r\n"),
	CE("A26 bad trailer", "0\r\nbadtrailer\r\n\r\n"),
	CE("trailer fold", "0\r\nX: a\r\n b\r\n\r\n"),
	CE("trailer space colon", "0\r\nX : a\r\n\r\n"),
	CE("trailer NUL", "0\r\nX: a\x00\r\n\r\n"),
	CE("trailer bare LF", "0\r\nX: a\n\r\n"),
	CE("final bare LF", "0\r\n\n"),
	CE("final CR X", "0\r\n\rX"),
	{ "unfinished", S("5\r\nhel"), HTTP1_CHUNK_MORE, NULL, 0 },
	/* A21 "5abc" is the valid size 0x5abc: waits for its data. */
	{ "A21 5abc", S("5abc\r\nhello\r\n0\r\n\r\n"), HTTP1_CHUNK_MORE,
	    NULL, 0 },
	{ "unfinished last", S("5\r\nhello\r\n0\r\n"), HTTP1_CHUNK_MORE, NULL,
	    0 },
};

static void
test_chunked_table(void **state)
{
	static struct dec	 d0, d;
	size_t			 i;
	unsigned		 m;

	(void)state;
	for (i = 0; i < DB_ARRLEN(chunk_cases); i++) {
		const struct ccase *c = &chunk_cases[i];

		decode(c->in, c->len, 0, &d0);
		if (d0.rc != c->rc)
			fail_msg("%s: rc %d want %d", c->name, d0.rc, c->rc);
		if (c->rc == HTTP1_CHUNK_DONE) {
			if (d0.outlen != strlen(c->out) ||
			    memcmp(d0.out, c->out, d0.outlen) != 0)
				fail_msg("%s: data %.*s", c->name,
				    (int)d0.outlen, d0.out);
			assert_int_equal(c->len - d0.consumed, c->tail);
		}
		for (m = 1; m < 40; m++) {
			decode(c->in, c->len, m, &d);
			if (d.rc != d0.rc || d.outlen != d0.outlen ||
			    d.consumed != d0.consumed ||
			    memcmp(d.out, d0.out, d.outlen) != 0)
				fail_msg("%s: split mode %u differs", c->name,
				    m);
		}
	}
}

static size_t
append(char *buf, size_t off, size_t size, const char *s, size_t n)
{
	assert_true(off + n <= size);
	memcpy(buf + off, s, n);
	return off + n;
}

static void
test_chunked_limits(void **state)
{
	static char		 buf[16384];
	static struct dec	 d;
	size_t			 n;
	int			 k;
	unsigned		 m;

	(void)state;
	/* A24a: a size line longer than HTTP1_CHUNK_MAX_LINE. */
	n = append(buf, 0, sizeof(buf), "5;a=", 4);
	memset(buf + n, 'x', 4096);
	n += 4096;
	n = append(buf, n, sizeof(buf), "\r\nhello\r\n0\r\n\r\n", 14);
	decode(buf, n, 0, &d);
	assert_int_equal(d.rc, HTTP1_CHUNK_ERR);
	/* Exactly HTTP1_CHUNK_MAX_LINE bytes with CRLF is fine. */
	n = append(buf, 0, sizeof(buf), "5;a=", 4);
	memset(buf + n, 'x', HTTP1_CHUNK_MAX_LINE - 6);
	n += HTTP1_CHUNK_MAX_LINE - 6;
	n = append(buf, n, sizeof(buf), "\r\nhello\r\n0\r\n\r\n", 14);
	decode(buf, n, 0, &d);
	assert_int_equal(d.rc, HTTP1_CHUNK_DONE);
	buf[4] = 'y';
	memmove(buf + 5, buf + 4, n - 4);
	decode(buf, n + 1, 0, &d);
	assert_int_equal(d.rc, HTTP1_CHUNK_ERR);

	/* Trailer section over HTTP1_CHUNK_MAX_TRAILER. */
	n = append(buf, 0, sizeof(buf), "0\r\n", 3);
	for (k = 0; k < 500; k++)
		n = append(buf, n, sizeof(buf), "X-T: 12\r\n", 9);
	n = append(buf, n, sizeof(buf), "\r\n", 2);
	decode(buf, n, 0, &d);
	assert_int_equal(d.rc, HTTP1_CHUNK_ERR);
	n = append(buf, 0, sizeof(buf), "0\r\n", 3);
	for (k = 0; k < 400; k++)
		n = append(buf, n, sizeof(buf), "X-T: 12\r\n", 9);
	n = append(buf, n, sizeof(buf), "\r\n", 2);
	decode(buf, n, 0, &d);
	assert_int_equal(d.rc, HTTP1_CHUNK_DONE);

	/* A24c: many small chunks; same data whatever the splits. */
	n = 0;
	for (k = 0; k < 500; k++)
		n = append(buf, n, sizeof(buf), "a\r\n0123456789\r\n", 15);
	n = append(buf, n, sizeof(buf), "0\r\n\r\n", 5);
	for (m = 0; m < 20; m++) {
		decode(buf, n, m, &d);
		assert_int_equal(d.rc, HTTP1_CHUNK_DONE);
		assert_int_equal(d.outlen, 5000);
		assert_int_equal(d.consumed, n);
	}
}

static void
test_chunked_big(void **state)
{
	struct http1_chunked	 c;
	size_t			 used, dl;
	static const char	 in[] = "FFFFFFFFFFFFFFF\r\nabc";

	(void)state;
	/* 15 hex digits: a huge size, data handed out as it arrives. */
	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_step(&c, in, sizeof(in) - 1, &used,
	    &dl), HTTP1_CHUNK_DATA);
	assert_int_equal(used, 17);
	assert_int_equal(dl, 3);
	assert_true(c.remain == 0xFFFFFFFFFFFFFFFull - 3);
	/* After DONE or ERR the decoder stays put. */
	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_step(&c, "x", 1, &used, &dl),
	    HTTP1_CHUNK_ERR);
	assert_int_equal(http1_chunked_step(&c, "0\r\n\r\n", 5, &used, &dl),
	    HTTP1_CHUNK_ERR);
	http1_chunked_init(&c);
	assert_int_equal(http1_chunked_step(&c, "0\r\n\r\n", 5, &used, &dl),
	    HTTP1_CHUNK_DONE);
	assert_int_equal(used, 5);
	assert_int_equal(http1_chunked_step(&c, "0\r\n\r\n", 5, &used, &dl),
	    HTTP1_CHUNK_DONE);
	assert_int_equal(used, 0);
}

static void
test_tchar_find(void **state)
{
	static const char	 tch[] = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct http1_header	 h[2] = {
		{ "Host", 4, "a", 1 },
		{ "X-Y", 3, "b", 1 },
	};
	int			 c;

	(void)state;
	for (c = 0; c < 256; c++)
		assert_int_equal(http1_is_tchar((unsigned char)c),
		    c != 0 && memchr(tch, c, sizeof(tch) - 1) != NULL);
	assert_int_equal(http1_find(h, 2, "x-y", 3), 1);
	assert_int_equal(http1_find(h, 2, "HOST", 4), 0);
	assert_int_equal(http1_find(h, 2, "hos", 3), -1);
	assert_int_equal(http1_find(h, 0, "host", 4), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_request_good),
		cmocka_unit_test(test_request_incomplete),
		cmocka_unit_test(test_request_limits),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_response_fields),
		cmocka_unit_test(test_chunked_table),
		cmocka_unit_test(test_chunked_limits),
		cmocka_unit_test(test_chunked_big),
		cmocka_unit_test(test_tchar_find),
	};

	return cmocka_run_group_tests_name("http1", tests, NULL, NULL);
}
