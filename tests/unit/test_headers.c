/*
 * test_headers.c -- both head rewrites (proxy/headers.c) and access-log
 * redaction (proxy/access.c): what reaches the hostile upstream (catalog
 * group F) and what comes back from it (group G).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "proxy/proxy.h"

static char *
head_request(const char *raw, struct hdr_req_ctx *c)
{
	static struct http1_request req;
	struct http1_limits lim = { 32768, 100, 8192 };
	struct evbuffer *b = evbuffer_new();
	size_t	 n;
	char	*out;

	assert_int_equal(http1_parse_request(raw, strlen(raw), &lim, &req),
	    HTTP1_OK);
	if (c->target == NULL) {
		c->target = req.target;
		c->target_len = req.targetlen;
	}
	if (c->peer_ip == NULL)
		c->peer_ip = "192.0.2.7";
	headers_request(b, &req, c);
	n = evbuffer_get_length(b);
	out = calloc(1, n + 1);
	evbuffer_remove(b, out, n);
	evbuffer_free(b);
	return out;
}

static void
test_F_hop_by_hop_removed(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	o = head_request("GET /x?a=1 HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "Connection: keep-alive, X-Secret\r\nKeep-Alive: 5\r\n"
	    "X-Secret: s\r\nTE: trailers\r\nProxy-Authorization: p\r\n"
	    "Upgrade: h2c\r\nAccept: */*\r\n\r\n", &c);
	assert_non_null(strstr(o, "GET /x?a=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(o, "Host: sbx1.sb.test\r\n"));
	assert_non_null(strstr(o, "Accept: */*\r\n"));
	assert_null(strstr(o, "Connection"));
	assert_null(strstr(o, "Keep-Alive"));
	assert_null(strstr(o, "X-Secret"));
	assert_null(strstr(o, "TE:"));
	assert_null(strstr(o, "Proxy-Authorization"));
	assert_null(strstr(o, "Upgrade"));
	free(o);
}

static void
test_F01_authorization_stripped(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	c.strip_auth = 1;
	o = head_request("GET / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "Authorization: Bearer abc.def.ghi\r\n\r\n", &c);
	assert_null(strstr(o, "Authorization"));
	assert_null(strstr(o, "abc.def.ghi"));
	free(o);
	memset(&c, 0, sizeof(c));
	o = head_request("GET / HTTP/1.1\r\nHost: 3000-sbx1.sb.test\r\n"
	    "Authorization: Basic dXNlcjpwYXNz\r\n\r\n", &c);
	assert_non_null(strstr(o, "Authorization: Basic dXNlcjpwYXNz\r\n"));
	free(o);
}

static void
test_F_our_cookie_stripped(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	c.strip_cookie = 1;
	o = head_request("GET / HTTP/1.1\r\nHost: 3000-sbx1.sb.test\r\n"
	    "Cookie: a=1; __Host-drawbridge=v1.k.1.mac; b=2\r\n\r\n", &c);
	assert_null(strstr(o, "__Host-drawbridge"));
	assert_non_null(strstr(o, "Cookie: a=1; b=2\r\n"));
	free(o);
	memset(&c, 0, sizeof(c));
	c.strip_cookie = 1;
	o = head_request("GET / HTTP/1.1\r\nHost: 3000-sbx1.sb.test\r\n"
	    "Cookie: __Host-drawbridge=v1.k.1.mac\r\n\r\n", &c);
	assert_null(strstr(o, "Cookie"));
	free(o);
}

static void
test_F_forwarded_overwritten(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	o = head_request("GET / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
	    "X-Forwarded-Host: evil\r\nForwarded: for=6.6.6.6\r\n"
	    "X-Real-IP: 6.6.6.6\r\nX-Request-Id: fake\r\n\r\n", &c);
	assert_null(strstr(o, "6.6.6.6"));
	assert_null(strstr(o, "evil"));
	assert_null(strstr(o, "fake"));
	assert_non_null(strstr(o, "X-Forwarded-For: 192.0.2.7\r\n"));
	assert_non_null(strstr(o, "X-Forwarded-Proto: http\r\n"));
	assert_non_null(strstr(o, "X-Forwarded-Host: sbx1.sb.test\r\n"));
	free(o);

	/* A trusted load balancer's chain is extended, not replaced. */
	memset(&c, 0, sizeof(c));
	c.peer_trusted = 1;
	c.tls = 1;
	o = head_request("GET / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "X-Forwarded-For: 198.51.100.1\r\n\r\n", &c);
	assert_non_null(strstr(o,
	    "X-Forwarded-For: 198.51.100.1, 192.0.2.7\r\n"));
	assert_non_null(strstr(o, "X-Forwarded-Proto: https\r\n"));
	free(o);
}

static void
test_F_framing_regenerated(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	c.body = 1;
	c.content_length = 5;
	o = head_request("POST / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "Content-Length: 0005\r\n\r\n", &c);
	assert_non_null(strstr(o, "Content-Length: 5\r\n"));
	assert_null(strstr(o, "0005"));
	free(o);
	memset(&c, 0, sizeof(c));
	c.body = 2;
	o = head_request("POST / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", &c);
	assert_non_null(strstr(o, "Transfer-Encoding: chunked\r\n"));
	assert_null(strstr(o, "Content-Length"));
	assert_null(strstr(o, "Expect"));
	free(o);
}

static void
test_F_inject_header(void **state)
{
	struct hdr_req_ctx c = { 0 };
	char	*o;

	(void)state;
	c.inject_name = "X-Drawbridge-Secret";
	c.inject_value = "s3cr3t";
	o = head_request("GET / HTTP/1.1\r\nHost: sbx1.sb.test\r\n"
	    "x-drawbridge-secret: forged\r\n\r\n", &c);
	assert_null(strstr(o, "forged"));
	assert_non_null(strstr(o, "X-Drawbridge-Secret: s3cr3t\r\n"));
	free(o);
}

static char *
head_response(const char *raw, struct hdr_resp_ctx *c)
{
	static struct http1_response resp;
	struct http1_limits lim = { 65536, 256, 16384 };
	struct evbuffer *b = evbuffer_new();
	size_t	 n;
	char	*out;

	assert_int_equal(http1_parse_response(raw, strlen(raw), &lim, &resp),
	    HTTP1_OK);
	headers_response(b, &resp, c);
	n = evbuffer_get_length(b);
	out = calloc(1, n + 1);
	evbuffer_remove(b, out, n);
	evbuffer_free(b);
	return out;
}

static void
test_G_cookie_tossing_dropped(void **state)
{
	struct hdr_resp_ctx c = { 0 };
	char	*o;

	(void)state;
	c.client_minor = 1;
	c.framing = RESP_LENGTH;
	c.content_length = 0;
	o = head_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	    "Set-Cookie: a=1; Path=/\r\n"
	    "Set-Cookie: b=2; Domain=.sb.test; Path=/\r\n"
	    "Set-Cookie: c=3; path=/; DOMAIN=sb.test\r\n"
	    "Set-Cookie: __Host-drawbridge=x; Path=/; Secure\r\n"
	    "Clear-Site-Data: \"cookies\"\r\nAlt-Svc: h3=\":443\"\r\n\r\n",
	    &c);
	assert_non_null(strstr(o, "Set-Cookie: a=1; Path=/\r\n"));
	assert_null(strstr(o, "b=2"));
	assert_null(strstr(o, "c=3"));
	assert_null(strstr(o, "__Host-drawbridge"));
	assert_null(strstr(o, "Clear-Site-Data"));
	assert_null(strstr(o, "Alt-Svc"));
	assert_int_equal(c.dropped_cookies, 3);
	free(o);
}

static void
test_G_response_framing(void **state)
{
	struct hdr_resp_ctx c = { 0 };
	char	*o;

	(void)state;
	c.client_minor = 1;
	c.framing = RESP_CHUNKED;
	o = head_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close, X-Up\r\nX-Up: 1\r\n\r\n", &c);
	assert_non_null(strstr(o, "Transfer-Encoding: chunked\r\n"));
	assert_null(strstr(o, "X-Up"));
	assert_null(strstr(o, "Connection"));
	free(o);
	memset(&c, 0, sizeof(c));
	c.client_minor = 0;
	c.framing = RESP_LENGTH;
	c.content_length = 3;
	o = head_response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", &c);
	assert_non_null(strstr(o, "Content-Length: 3\r\n"));
	assert_non_null(strstr(o, "Connection: keep-alive\r\n"));
	free(o);
}

static void
test_O_access_redaction(void **state)
{
	char	 buf[256];

	(void)state;
	access_redact("/_hb/auth?grant=eyJx.y.z&next=%2F", 33, buf,
	    sizeof(buf));
	assert_string_equal(buf, "/_hb/auth?grant=REDACTED&next=%2F");
	access_redact("/f?token=abc&sig=def&path=/a", 28, buf, sizeof(buf));
	assert_string_equal(buf, "/f?token=REDACTED&sig=REDACTED&path=/a");
	access_redact("/plain", 6, buf, sizeof(buf));
	assert_string_equal(buf, "/plain");
	access_redact("/x?a=1&b", 8, buf, sizeof(buf));
	assert_string_equal(buf, "/x?a=1&b");
	access_redact("/x?grant=secret", 15, buf, 12);
	assert_null(strstr(buf, "secret"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_F_hop_by_hop_removed),
		cmocka_unit_test(test_F01_authorization_stripped),
		cmocka_unit_test(test_F_our_cookie_stripped),
		cmocka_unit_test(test_F_forwarded_overwritten),
		cmocka_unit_test(test_F_framing_regenerated),
		cmocka_unit_test(test_F_inject_header),
		cmocka_unit_test(test_G_cookie_tossing_dropped),
		cmocka_unit_test(test_G_response_framing),
		cmocka_unit_test(test_O_access_redaction),
	};

	return cmocka_run_group_tests_name("headers", tests, NULL, NULL);
}
