/*
 * test_host.c -- routing/host.c: Host header and path routing against the
 * security catalog, groups B (host) and C (path).  Case names carry the
 * catalog id where one applies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"

#define UUID	"3f2a1b4c-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
#define UUIDN	"12345678-1234-4abc-9def-123456789abc"	/* digits first */
#define ID63	"a23456789012345678901234567890123456789012345678901234567890123"
#define ID64	ID63 "4"

static struct config conf;

/* Defaults plus the routing fields, the only ones host_parse reads. */
static int
setup(void **state)
{
	static const char *const domains[] = {
		"sb.test", "us.sb.test", "Example.COM"
	};
	static const char *const paths[] = { "proxy.sb.test", "px.example.net" };
	size_t	 i;

	(void)state;
	config_defaults(&conf);
	for (i = 0; i < DB_ARRLEN(domains); i++)
		str_lcpy(conf.domains[conf.ndomains++], domains[i],
		    sizeof(conf.domains[0]));
	for (i = 0; i < DB_ARRLEN(paths); i++)
		str_lcpy(conf.path_hosts[conf.npath_hosts++], paths[i],
		    sizeof(conf.path_hosts[0]));
	return 0;
}

struct hcase {
	const char	*name;
	const char	*host;
	const char	*target;
	enum host_rc	 rc;
	enum host_mode	 mode;		/* checked when rc is OK / RUNTIME_PORT */
	const char	*sandbox;
	uint16_t	 port;
	const char	*canon;		/* NULL: not checked */
	const char	*out;		/* upstream target; NULL = input */
};

#define OK(n, h, t, m, s, p, c, o)	{ n, h, t, HOST_OK, m, s, p, c, o }
#define RT(n, h, t, s, c)	OK(n, h, t, HOST_MODE_RUNTIME, s, 0, c, NULL)
#define PT(n, h, t, s, p)	OK(n, h, t, HOST_MODE_PORT, s, p, NULL, NULL)
#define PA(n, h, t, s, o)	OK(n, h, t, HOST_MODE_PATH, s, 0, NULL, o)
#define BAD(n, h, t)		{ n, h, t, HOST_BAD, 0, NULL, 0, NULL, NULL }
#define UNK(n, h, t)		{ n, h, t, HOST_UNKNOWN, 0, NULL, 0, NULL, NULL }
#define R4001(n, h, s)		{ n, h, "/", HOST_RUNTIME_PORT, \
				  HOST_MODE_PORT, s, 4001, NULL, NULL }

static const struct hcase host_cases[] = {
	/* Good host-routed forms. */
	RT("runtime basic", "sbx1.sb.test", "/sandbox/processes", "sbx1",
	    "sbx1.sb.test"),
	RT("runtime uuid", UUID ".sb.test", "/sandbox/files", UUID, NULL),
	RT("runtime uuid with all-digit first group", UUIDN ".sb.test", "/",
	    UUIDN, NULL),
	PT("port uuid", "3000-" UUID ".sb.test", "/", UUID, 3000),
	PT("port uuid with all-digit first group", "3000-" UUIDN ".sb.test",
	    "/", UUIDN, 3000),
	PT("port min", "1-sbx1.sb.test", "/", "sbx1", 1),
	PT("port max", "65535-sbx1.sb.test", "/", "sbx1", 65535),
	PT("port id with hyphens", "8080-a-b-c.sb.test", "/x?y=1", "a-b-c",
	    8080),
	RT("region domain, longest suffix wins", "sbx1.us.sb.test", "/",
	    "sbx1", "sbx1.us.sb.test"),
	PT("region domain port form", "3000-sbx1.us.sb.test", "/", "sbx1",
	    3000),
	RT("configured domain in upper case", "sbx1.example.com", "/", "sbx1",
	    "sbx1.example.com"),
	RT("id of 63 chars", ID63 ".sb.test", "/", ID63, NULL),
	RT("single-char id", "a.sb.test", "/", "a", NULL),
	RT("target passed through undecoded", "sbx1.sb.test",
	    "/sandbox/%2e%2e/x;y?q=%2f", "sbx1", NULL),
	RT("target with query only", "sbx1.sb.test", "/?", "sbx1", NULL),

	/* B01 empty and list-valued Host. */
	BAD("B01e empty host", "", "/"),
	BAD("B01d host list", "sbx1.sb.test, sbx2.sb.test", "/"),
	BAD("B01d host list no space", "sbx1.sb.test,sbx2.sb.test", "/"),

	/* B04 IP literals are never ours. */
	UNK("B04 ipv4 literal", "127.0.0.1", "/"),
	UNK("B04 ipv4 literal with port", "127.0.0.1:6379", "/"),
	UNK("B04 metadata ip", "169.254.169.254", "/latest/meta-data/"),
	UNK("B04 ipv6 literal", "[::1]", "/"),
	UNK("B04 ipv6 literal with port", "[::1]:4001", "/"),
	BAD("B04 ipv6 unterminated", "[::1", "/"),
	BAD("B04 ipv6 empty", "[]", "/"),
	BAD("B04 ipv6 junk", "[zz::1]", "/"),
	BAD("B04 ipv6 junk after", "[::1]x", "/"),
	BAD("B04 ipv6 bad port", "[::1]:0", "/"),

	/* B07 port suffix: valid ports ignored, bad syntax 400. */
	RT("B07 port 443 ignored", "sbx1.sb.test:443", "/", "sbx1",
	    "sbx1.sb.test"),
	RT("B07 other port ignored", "sbx1.sb.test:444", "/", "sbx1", NULL),
	RT("B07 4001 is not the runtime port", "sbx1.sb.test:4001", "/",
	    "sbx1", NULL),
	PT("B07 exposed form keeps its own port", "3000-sbx1.sb.test:4001",
	    "/", "sbx1", 3000),
	RT("B07 empty port", "sbx1.sb.test:", "/", "sbx1", "sbx1.sb.test"),
	RT("B07 port 65535", "sbx1.sb.test:65535", "/", "sbx1", NULL),
	BAD("B07 port 0", "sbx1.sb.test:0", "/"),
	BAD("B07 port 65536", "sbx1.sb.test:65536", "/"),
	BAD("B07 port 98777", "sbx1.sb.test:98777", "/"),
	BAD("B07 double port", "sbx1.sb.test:443:443", "/"),
	BAD("B07 signed port", "sbx1.sb.test:+443", "/"),
	BAD("B07 spaced port", "sbx1.sb.test: 443", "/"),
	BAD("B07 zero-padded port", "sbx1.sb.test:0443", "/"),
	BAD("B07 huge port", "sbx1.sb.test:18446744073709551617", "/"),
	BAD("B07 hex port", "sbx1.sb.test:0x1bb", "/"),
	BAD("B07 port only", ":443", "/"),

	/* B09 trailing dot and empty labels. */
	RT("B09 trailing dot stripped", "sbx1.sb.test.", "/", "sbx1",
	    "sbx1.sb.test"),
	PT("B09 trailing dot with port", "3000-sbx1.sb.test.:443", "/",
	    "sbx1", 3000),
	BAD("B09 empty inner label", "sbx1..sb.test", "/"),
	BAD("B09 empty first label", ".sb.test", "/"),
	BAD("B09 just a dot", ".", "/"),
	BAD("B09 two trailing dots", "sbx1.sb.test..", "/"),
	UNK("B09 trailing dot on apex", "sb.test.", "/"),

	/* B10 case folding. */
	RT("B10 upper case host", "SBX1.SB.TEST", "/", "sbx1",
	    "sbx1.sb.test"),
	PT("B10 upper case port form", "3000-SBX1.sb.test", "/", "sbx1",
	    3000),
	RT("B10 mixed case", "Sbx1.sb.test", "/", "sbx1", "sbx1.sb.test"),
	RT("B10 upper case uuid", "3F2A1B4C-1D2E-4F5A-9B8C-7D6E5F4A3B2C"
	    ".SB.TEST.", "/", UUID, NULL),

	/* B11 non-ASCII, IDN, percent. */
	BAD("B11 utf-8 in domain", "sbx1.sb.t\xc3\xabst", "/"),
	BAD("B11 homoglyph id", "sbx\xd0\xb0" "1.sb.test", "/"),
	RT("B11 xn-- id is just an id", "xn--sbx1-abc.sb.test", "/",
	    "xn--sbx1-abc", NULL),
	BAD("B11 percent in host", "sbx1%2esb.test", "/"),
	BAD("B11 underscore", "sbx_1.sb.test", "/"),

	/* B12 reserved port spoofing. */
	R4001("B12 4001 exposed", "4001-sbx1.sb.test", "sbx1"),
	R4001("B12 4001 upper case", "4001-SBX1.SB.TEST.:443", "sbx1"),
	BAD("B12 zero-padded 4001", "04001-sbx1.sb.test", "/"),
	BAD("B12 signed 4001", "+4001-sbx1.sb.test", "/"),
	UNK("B12 dotted 4001", "4001.0-sbx1.sb.test", "/"),
	RT("B12 hex 4001 is an unrelated id", "0x0fa1-sbx1.sb.test", "/",
	    "0x0fa1-sbx1", NULL),
	BAD("B12 16-bit wrap", "69537-sbx1.sb.test", "/"),
	BAD("B12 32-bit wrap", "4294971297-sbx1.sb.test", "/"),
	BAD("B12 64-bit wrap", "18446744073709555617-sbx1.sb.test", "/"),
	BAD("B12 leading hyphen", "-4001-sbx1.sb.test", "/"),
	BAD("B12 double hyphen", "4001--sbx1.sb.test", "/"),
	R4001("B12 id with hyphen", "4001-sbx1-x.sb.test", "sbx1-x"),
	BAD("B12 empty id", "4001-.sb.test", "/"),
	BAD("B12 port 0", "0-sbx1.sb.test", "/"),

	/* B14 leading zeros. */
	BAD("B14 leading zero port", "03000-sbx1.sb.test", "/"),

	/* B15 suffix on label boundaries, exactly one label. */
	UNK("B15 deeper name", "3000-sbx1.evil.sb.test", "/"),
	UNK("B15 label in front", "x.3000-sbx1.sb.test", "/"),
	UNK("B15 suffix then more", "3000-sbx1.sb.test.evil.example", "/"),
	UNK("B15 no label boundary", "3000-sbx1.evilsb.test", "/"),
	UNK("B15 apex", "sb.test", "/"),
	UNK("B15 apex of a longer domain", "us.sb.test", "/"),
	UNK("B15 deeper than region", "sbx1.eu.sb.test", "/"),
	UNK("B15 path host plus suffix", "proxy.sb.test.evil", "/"),
	UNK("B15 unrelated host", "example.org", "/"),
	UNK("B15 single label", "localhost", "/"),

	/* B20 path or control bytes in Host. */
	BAD("B20 slash", "sbx1.sb.test/../x", "/"),
	BAD("B20 backslash", "sbx1.sb.test\\", "/"),
	BAD("B20 percent nul", "sbx1.sb.test%00", "/"),
	BAD("B20 control", "sbx1.sb.test\x02", "/"),
	BAD("B20 space", "sbx1.sb.test sbx2.sb.test", "/"),
	BAD("B20 tab", "sbx1.sb.test\t", "/"),
	BAD("B20 at sign", "user@sbx1.sb.test", "/"),
	BAD("label of 64", ID64 ".sb.test", "/"),
	BAD("id ends in hyphen", "sbx1-.sb.test", "/"),
	BAD("id starts with hyphen", "-sbx1.sb.test", "/"),

	/* B06, C09 target syntax on host-routed requests. */
	BAD("B06 asterisk", "sbx1.sb.test", "*"),
	BAD("B06 no leading slash", "sbx1.sb.test", "sandbox/exec"),
	BAD("B06 authority form", "sbx1.sb.test", "sbx1.sb.test:443"),
	BAD("B06 fragment", "sbx1.sb.test", "/x#frag"),
	BAD("B06 empty target", "sbx1.sb.test", ""),
	BAD("C09 space in target", "3000-sbx1.sb.test", "/a b"),
	BAD("C09 control in target", "3000-sbx1.sb.test", "/a\x01"),
	BAD("C09 DEL in target", "sbx1.sb.test", "/a\x7f"),
	BAD("C09 non-ascii in target", "sbx1.sb.test", "/\xc3\xa9"),
	BAD("C09 non-ascii in query", "sbx1.sb.test", "/?q=\xff"),
	BAD("C04 backslash in target", "sbx1.sb.test", "/a\\b"),

	/* C01 path routing, good forms. */
	PA("C01 happy path", "proxy.sb.test", "/sandbox/sbx1/processes?limit=5",
	    "sbx1", "/sandbox/processes?limit=5"),
	PA("C01 id only", "proxy.sb.test", "/sandbox/sbx1", "sbx1",
	    "/sandbox"),
	PA("C01 id and query", "proxy.sb.test", "/sandbox/sbx1?q=1", "sbx1",
	    "/sandbox?q=1"),
	PA("C01 id and slash", "proxy.sb.test", "/sandbox/sbx1/", "sbx1",
	    "/sandbox/"),
	PA("C01 uuid", "proxy.sb.test", "/sandbox/" UUID "/files/watch/w1/ws"
	    "?sessionId=" UUID, UUID, "/sandbox/files/watch/w1/ws?sessionId="
	    UUID),
	PA("C01 path host upper case, port, dot", "PROXY.SB.TEST.:443",
	    "/sandbox/sbx1/exec", "sbx1", "/sandbox/exec"),
	PA("C01 second path host", "px.example.net:8443", "/sandbox/sbx1/x",
	    "sbx1", "/sandbox/x"),
	PA("C05 double encoding forwarded as is", "proxy.sb.test",
	    "/sandbox/sbx1/%252e%252e/sbx2/exec", "sbx1",
	    "/sandbox/%252e%252e/sbx2/exec"),
	PA("C09 encoded CRLF stays encoded", "proxy.sb.test",
	    "/sandbox/sbx1/%0d%0aX-Injected:%201", "sbx1",
	    "/sandbox/%0d%0aX-Injected:%201"),
	PA("C10 query cannot choose the route", "proxy.sb.test",
	    "/sandbox/sbx1/exec?x=/sandbox/sbx2/", "sbx1",
	    "/sandbox/exec?x=/sandbox/sbx2/"),
	PA("C10 sessionId", "proxy.sb.test", "/sandbox/sbx1/exec?sessionId=sbx2",
	    "sbx1", "/sandbox/exec?sessionId=sbx2"),
	PA("C10 encoded path in query", "proxy.sb.test",
	    "/sandbox/sbx1/files/download?path=%2Fhome%2F..%2Fx%5c%00", "sbx1",
	    "/sandbox/files/download?path=%2Fhome%2F..%2Fx%5c%00"),
	PA("C10 dot segments in query", "proxy.sb.test",
	    "/sandbox/sbx1/x?/../y", "sbx1", "/sandbox/x?/../y"),
	PA("semicolon in remainder", "proxy.sb.test", "/sandbox/sbx1/a;b",
	    "sbx1", "/sandbox/a;b"),
	PA("encoded bytes in remainder", "proxy.sb.test",
	    "/sandbox/sbx1/a%20b%3F", "sbx1", "/sandbox/a%20b%3F"),
	PA("dots inside a segment", "proxy.sb.test", "/sandbox/sbx1/a..b/.x",
	    "sbx1", "/sandbox/a..b/.x"),
	PA("C07 different id is a different id", "proxy.sb.test",
	    "/sandbox/sbx1x/exec", "sbx1x", "/sandbox/exec"),

	/* C02 dot segments. */
	BAD("C02 traversal", "proxy.sb.test", "/sandbox/sbx1/../sbx2/exec"),
	BAD("C02 dot segment before id", "proxy.sb.test",
	    "/sandbox/./sbx1/x"),
	BAD("C02 dot id", "proxy.sb.test", "/sandbox/../x"),
	BAD("C02 trailing dot segment", "proxy.sb.test", "/sandbox/sbx1/a/."),
	BAD("C02 dot-dot before query", "proxy.sb.test",
	    "/sandbox/sbx1/..?x"),
	BAD("C02 dot first segment", "proxy.sb.test", "/./sandbox/sbx1"),
	BAD("C12 traversal to metrics", "proxy.sb.test",
	    "/sandbox/sbx1/../../metrics"),

	/* C04 encoded slash and backslash. */
	BAD("C04 encoded slash in id", "proxy.sb.test", "/sandbox/sbx1%2fexec"),
	BAD("C04 encoded slash upper", "proxy.sb.test",
	    "/sandbox/sbx1%2F..%2Fsbx2/"),
	BAD("C04 encoded slash in prefix", "proxy.sb.test",
	    "/sandbox%2fsbx2/"),
	BAD("C04 backslash", "proxy.sb.test", "/sandbox\\sbx2/exec"),
	BAD("C04 backslash dots", "proxy.sb.test", "/sandbox/sbx1\\..\\sbx2"),
	BAD("C04 encoded backslash", "proxy.sb.test",
	    "/sandbox/sbx1%5c..%5csbx2"),
	BAD("C04 encoded slash in remainder", "proxy.sb.test",
	    "/sandbox/sbx1/a%2Fb"),
	BAD("C04 encoded backslash in remainder", "proxy.sb.test",
	    "/sandbox/sbx1/a%5Cb"),
	BAD("C04 encoded dot in remainder", "proxy.sb.test",
	    "/sandbox/sbx1/%2e%2e/x"),
	BAD("C04 encoded dot upper", "proxy.sb.test", "/sandbox/sbx1/a%2Eb"),

	/* C06 semicolons in the routing segments. */
	BAD("C06 matrix param on id", "proxy.sb.test",
	    "/sandbox/sbx1;x=y/exec"),
	BAD("C06 matrix param on prefix", "proxy.sb.test", "/sandbox;/sbx2/exec"),
	BAD("C06 semicolon then traversal", "proxy.sb.test",
	    "/sandbox/sbx1;/../sbx2/"),

	/* C07 prefix and case confusion. */
	UNK("C07 plural prefix", "proxy.sb.test", "/sandboxes/sbx1/"),
	UNK("C07 upper case prefix", "proxy.sb.test", "/SANDBOX/sbx1/"),
	UNK("C07 upper case id", "proxy.sb.test", "/sandbox/SBX1/"),
	UNK("C07 short prefix", "proxy.sb.test", "/sandbo/sbx1/"),

	/* C09 fragments, spaces, controls, NUL, overlong UTF-8. */
	BAD("C09 fragment", "proxy.sb.test", "/sandbox/sbx1/exec#x"),
	BAD("C09 space", "proxy.sb.test", "/sandbox/sbx1/a b"),
	BAD("C09 encoded nul", "proxy.sb.test", "/sandbox/sbx1/%00"),
	BAD("C09 control", "proxy.sb.test", "/sandbox/sbx1/\x01"),
	BAD("C09 overlong utf-8 id", "proxy.sb.test",
	    "/sandbox/%c0%ae%c0%ae/sbx2"),
	BAD("C09 raw utf-8", "proxy.sb.test", "/sandbox/sbx1/\xc3\xa9"),
	BAD("C09 malformed percent", "proxy.sb.test", "/sandbox/sbx1/%zz"),
	BAD("C09 truncated percent", "proxy.sb.test", "/sandbox/sbx1/%4"),
	BAD("C09 percent at end", "proxy.sb.test", "/sandbox/sbx1/%"),
	BAD("C09 percent before query", "proxy.sb.test", "/sandbox/sbx1/%?a"),
	BAD("C09 tab in query", "proxy.sb.test", "/sandbox/sbx1/x?a\tb"),

	/* C11 reserved paths on a path host (not ours to handle here). */
	UNK("C11 _hb on path host", "proxy.sb.test", "/_hb/auth?grant=G1"),
	BAD("C11 encoded _hb", "proxy.sb.test", "/%5Fhb/auth?grant=G1"),
	BAD("C11 encoded _hb lower", "proxy.sb.test", "/%5fhb/auth?grant=G1"),
	BAD("C11 _hb encoded slash", "proxy.sb.test", "/_hb%2fauth?grant=G1"),
	BAD("C11 _hb dot segment", "proxy.sb.test", "/_hb/./auth?grant=G1"),

	/* Other paths on a path host: 404. */
	UNK("path host root", "proxy.sb.test", "/"),
	UNK("path host other path", "proxy.sb.test", "/foo"),
	UNK("path host bare prefix", "proxy.sb.test", "/sandbox"),
	UNK("path host prefix slash", "proxy.sb.test", "/sandbox/"),
	UNK("path host prefix query", "proxy.sb.test", "/sandbox?x=1"),
	UNK("path host empty id", "proxy.sb.test", "/sandbox//x"),
	UNK("path host double slash", "proxy.sb.test", "//sandbox/sbx1"),
	UNK("path host bad id", "proxy.sb.test", "/sandbox/-x/y"),
	UNK("path host id of 64", "proxy.sb.test", "/sandbox/" ID64 "/x"),
	UNK("C12 healthz on path host", "proxy.sb.test", "/healthz"),
	BAD("path host asterisk", "proxy.sb.test", "*"),
	BAD("path host empty target", "proxy.sb.test", ""),
};

static void
test_host_table(void **state)
{
	char	 rw[512];
	size_t	 i;
	int	 fails = 0;

	(void)state;
	for (i = 0; i < DB_ARRLEN(host_cases); i++) {
		const struct hcase *c = &host_cases[i];
		struct host_route r;
		enum host_rc rc;
		const char *why = NULL;

		memset(rw, 'Z', sizeof(rw));
		rc = host_parse(&conf, c->host, strlen(c->host), c->target,
		    strlen(c->target), rw, sizeof(rw), &r);
		if (rc != c->rc)
			why = "rc";
		else if (rc == HOST_OK || rc == HOST_RUNTIME_PORT) {
			const char *want = c->out ? c->out : c->target;

			if (r.mode != c->mode)
				why = "mode";
			else if (strcmp(r.sandbox, c->sandbox) != 0)
				why = "sandbox";
			else if (!host_valid_id(r.sandbox, strlen(r.sandbox)))
				why = "invalid id accepted";
			else if (r.port != c->port)
				why = "port";
			else if (c->canon != NULL &&
			    strcmp(r.host, c->canon) != 0)
				why = "canonical host";
			else if (rc == HOST_OK && (r.target_len !=
			    strlen(want) ||
			    memcmp(r.target, want, r.target_len) != 0))
				why = "target";
			else if (rc == HOST_OK && c->mode == HOST_MODE_PATH &&
			    (r.target != rw || rw[r.target_len] != '\0'))
				why = "rewrite buffer";
			else if (rc == HOST_OK && c->mode != HOST_MODE_PATH &&
			    r.target != c->target)
				why = "target not passed through";
		}
		if (why != NULL) {
			print_error("case \"%s\": %s (rc %d, want %d)\n",
			    c->name, why, (int)rc, (int)c->rc);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* Host values with embedded NULs are never C strings: length-driven. */
static void
test_host_embedded_nul(void **state)
{
	static const char h[] = "sbx1.sb.test\0.evil";
	static const char t[] = "/sandbox/sbx1/a\0b";
	struct host_route r;
	char	 rw[64];

	(void)state;
	assert_int_equal(host_parse(&conf, h, sizeof(h) - 1, "/", 1, rw,
	    sizeof(rw), &r), HOST_BAD);
	assert_int_equal(host_parse(&conf, "proxy.sb.test", 13, t,
	    sizeof(t) - 1, rw, sizeof(rw), &r), HOST_BAD);
	assert_int_equal(host_parse(&conf, "sbx1.sb.test", 12, t,
	    sizeof(t) - 1, rw, sizeof(rw), &r), HOST_BAD);
}

/* The rewrite never writes past the buffer it was given. */
static void
test_host_rewrite_bounds(void **state)
{
	static const char t[] = "/sandbox/sbx1/abc?d";	/* -> /sandbox/abc?d */
	struct host_route r;
	char	 rw[32];
	size_t	 need = strlen("/sandbox/abc?d") + 1, n;

	(void)state;
	for (n = 0; n <= need; n++) {
		memset(rw, 'Z', sizeof(rw));
		assert_int_equal(host_parse(&conf, "proxy.sb.test", 13, t,
		    sizeof(t) - 1, rw, n, &r), n < need ? HOST_BAD : HOST_OK);
		assert_int_equal(rw[n], 'Z');
	}
	assert_string_equal(r.target, "/sandbox/abc?d");
}

/* Hosts longer than a hostname, and long valid ones. */
static void
test_host_lengths(void **state)
{
	char	 h[600], rw[8];
	struct host_route r;
	size_t	 n = 0;

	(void)state;
	/* 4 * 63 + 3 dots = 255 > 253 */
	while (n < 4 * 64) {
		memset(h + n, 'a', 63);
		n += 63;
		h[n++] = '.';
	}
	assert_int_equal(host_parse(&conf, h, n - 1, "/", 1, rw, sizeof(rw),
	    &r), HOST_BAD);
	assert_int_equal(host_parse(&conf, h, 253, "/", 1, rw, sizeof(rw),
	    &r), HOST_UNKNOWN);
	/* 3 * 63 + "." + 60 + ".sb.test" = 261: one label too many anyway */
	memset(h, 'b', sizeof(h));
	assert_int_equal(host_parse(&conf, h, sizeof(h), "/", 1, rw,
	    sizeof(rw), &r), HOST_BAD);
}

/* A config with nothing in it routes nothing. */
static void
test_host_empty_config(void **state)
{
	struct config	 empty;
	struct host_route r;
	char	 rw[64];

	(void)state;
	memset(&empty, 0, sizeof(empty));
	assert_int_equal(host_parse(&empty, "sbx1.sb.test", 12, "/", 1, rw,
	    sizeof(rw), &r), HOST_UNKNOWN);
	assert_string_equal(r.host, "sbx1.sb.test");
}

struct idcase {
	const char	*id;
	int		 valid;
};

static void
test_host_valid_id(void **state)
{
	static const struct idcase cases[] = {
		{ "a", 1 }, { "0", 1 }, { "sbx1", 1 }, { UUID, 1 },
		{ ID63, 1 }, { "a-b", 1 }, { "a--b", 1 }, { "xn--x", 1 },
		{ "", 0 }, { ID64, 0 }, { "-a", 0 }, { "a-", 0 }, { "-", 0 },
		{ "A", 0 }, { "sbX1", 0 }, { "a.b", 0 }, { "a_b", 0 },
		{ "a b", 0 }, { "a%2e", 0 }, { "\xc3\xa9", 0 }, { "a/b", 0 },
		{ "a;b", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(cases); i++) {
		if (host_valid_id(cases[i].id, strlen(cases[i].id)) !=
		    cases[i].valid)
			print_error("id \"%s\"\n", cases[i].id);
		assert_int_equal(host_valid_id(cases[i].id,
		    strlen(cases[i].id)), cases[i].valid);
	}
	assert_int_equal(host_valid_id("ab\0c", 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_host_embedded_nul),
		cmocka_unit_test(test_host_rewrite_bounds),
		cmocka_unit_test(test_host_lengths),
		cmocka_unit_test(test_host_empty_config),
		cmocka_unit_test(test_host_valid_id),
	};

	return cmocka_run_group_tests_name("host", tests, setup, NULL);
}
