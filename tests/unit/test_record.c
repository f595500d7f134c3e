/*
 * test_record.c -- routing/record.c: the Redis route record v1
 * (docs/ROUTES.md).  Everything in Redis is untrusted: every bad vector
 * must be refused as a whole, never half-applied.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "routing/routing.h"

#define EXAMPLE \
	"{\"v\":1,\"target\":\"10.0.0.7\",\"runtime_port\":4001," \
	"\"status\":\"active\",\"ports\":{\"8080\":\"auth\",\"3000\":\"public\"}," \
	"\"revoked_before\":1700000000,\"team\":\"t1\",\"region\":\"us\"," \
	"\"inject\":{\"name\":\"X-Drawbridge-Secret\",\"value\":\"s3cr3t\"}}"

/* The canonical form of EXAMPLE: schema order, ports ascending. */
#define EXAMPLE_CANON \
	"{\"v\":1,\"target\":\"10.0.0.7\",\"runtime_port\":4001," \
	"\"status\":\"active\",\"ports\":{\"3000\":\"public\",\"8080\":\"auth\"}," \
	"\"revoked_before\":1700000000,\"team\":\"t1\",\"region\":\"us\"," \
	"\"inject\":{\"name\":\"X-Drawbridge-Secret\",\"value\":\"s3cr3t\"}}"

#define MIN_PRE	"{\"v\":1,\"target\":\"10.0.0.7\",\"status\":\"active\""
#define MIN	MIN_PRE "}"
/* MIN plus one member. */
#define WITH(m)	MIN_PRE "," m "}"
#define INJ(n, v) WITH("\"inject\":{\"name\":" n ",\"value\":" v "}")

static int
parse(const char *json, struct route *r)
{
	char	 err[256];

	return route_record_parse(json, strlen(json), "sbx1", r, err,
	    sizeof(err));
}

static void
test_record_example(void **state)
{
	struct route	 r;
	char		 err[256];

	(void)state;
	assert_int_equal(route_record_parse(EXAMPLE, strlen(EXAMPLE), "sbx1",
	    &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(r.refcnt, 0);
	assert_int_equal(r.generation, 0);
	assert_string_equal(r.id, "sbx1");
	assert_string_equal(r.target, "10.0.0.7");
	assert_int_equal(r.runtime_port, 4001);
	assert_int_equal(r.status, ROUTE_ACTIVE);
	assert_int_equal(r.nports, 2);
	assert_int_equal(r.ports[0].port, 3000);
	assert_int_equal(r.ports[0].access, ROUTE_PUBLIC);
	assert_int_equal(r.ports[1].port, 8080);
	assert_int_equal(r.ports[1].access, ROUTE_PROTECTED);
	assert_int_equal(r.revoked_before, 1700000000);
	assert_string_equal(r.team, "t1");
	assert_string_equal(r.region, "us");
	assert_string_equal(r.inject_name, "X-Drawbridge-Secret");
	assert_string_equal(r.inject_value, "s3cr3t");
}

static void
test_record_defaults(void **state)
{
	struct route	 r;

	(void)state;
	assert_int_equal(parse(MIN, &r), 0);
	assert_int_equal(r.runtime_port, ROUTE_RUNTIME_PORT);
	assert_int_equal(r.nports, 0);
	assert_int_equal(r.revoked_before, 0);
	assert_string_equal(r.team, "");
	assert_string_equal(r.region, "");
	assert_string_equal(r.inject_name, "");
	assert_string_equal(r.inject_value, "");
	assert_null(route_find_port(&r, 3000));
}

struct gcase {
	const char	*name;
	const char	*json;
	const char	*target;	/* canonical target, NULL: 10.0.0.7 */
	enum route_status status;	/* 0: active */
	uint16_t	 runtime_port;	/* 0: 4001 */
};

static const struct gcase good_cases[] = {
	{ "minimal", MIN, NULL, 0, 0 },
	{ "whitespace around", " \n\t" MIN " \n", NULL, 0, 0 },
	{ "ipv6 target", "{\"v\":1,\"target\":\"fd00::7\",\"status\":\"active\"}",
	    "fd00::7", 0, 0 },
	{ "ipv6 target canonicalised",
	    "{\"v\":1,\"target\":\"FD00:0:0::0:7\",\"status\":\"active\"}",
	    "fd00::7", 0, 0 },
	{ "loopback target", "{\"v\":1,\"target\":\"127.0.0.1\","
	    "\"status\":\"active\"}", "127.0.0.1", 0, 0 },
	{ "status paused", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"paused\"}", NULL, ROUTE_PAUSED, 0 },
	{ "status starting", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"starting\"}", NULL, ROUTE_STARTING, 0 },
	{ "status closed", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"closed\"}", NULL, ROUTE_CLOSED, 0 },
	{ "runtime port 1", WITH("\"runtime_port\":1"), NULL, 0, 1 },
	{ "runtime port 65535", WITH("\"runtime_port\":65535"), NULL, 0,
	    65535 },
	{ "runtime port moved, 4001 still not exposable",
	    WITH("\"runtime_port\":9000,\"ports\":{\"3000\":\"auth\"}"), NULL,
	    0, 9000 },
	{ "unknown field ignored", WITH("\"future\":{\"x\":[1,2,{}]}"), NULL,
	    0, 0 },
	{ "unknown inject field ignored", WITH("\"inject\":{\"name\":\"X-A\","
	    "\"value\":\"b\",\"flags\":3}"), NULL, 0, 0 },
	{ "empty ports", WITH("\"ports\":{}"), NULL, 0, 0 },
	{ "upstream tls with a name", WITH("\"tls\":true,\"tls_name\":"
	    "\"sbx.tls.test\""), NULL, 0, 0 },
	{ "upstream tls off", WITH("\"tls\":false"), NULL, 0, 0 },
	{ "empty team", WITH("\"team\":\"\""), NULL, 0, 0 },
	{ "team of 63", WITH("\"team\":\"" "0123456789012345678901234567890"
	    "12345678901234567890123456789012\""), NULL, 0, 0 },
	{ "inject value with tab and space", INJ("\"X-A\"", "\"a\\tb c\""),
	    NULL, 0, 0 },
	{ "inject value empty", INJ("\"X-A\"", "\"\""), NULL, 0, 0 },
	{ "inject token name", INJ("\"x-a_b.c!#$%&'*+^`|~\"", "\"v\""),
	    NULL, 0, 0 },
	{ "revoked_before large", WITH("\"revoked_before\":"
	    "9223372036854775807"), NULL, 0, 0 },
};

static void
test_record_good(void **state)
{
	size_t	 i;
	int	 fails = 0;

	(void)state;
	for (i = 0; i < DB_ARRLEN(good_cases); i++) {
		const struct gcase *c = &good_cases[i];
		struct route	 r;
		char		 err[256];

		if (route_record_parse(c->json, strlen(c->json), "sbx1", &r,
		    err, sizeof(err)) != 0) {
			print_error("good \"%s\": refused: %s\n", c->name,
			    err);
			fails++;
			continue;
		}
		if (strcmp(r.target, c->target ? c->target : "10.0.0.7") ||
		    r.status != (c->status ? c->status : ROUTE_ACTIVE) ||
		    r.runtime_port != (c->runtime_port ? c->runtime_port :
		    ROUTE_RUNTIME_PORT)) {
			print_error("good \"%s\": wrong fields\n", c->name);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

struct bcase {
	const char	*name;
	const char	*json;
};

static const struct bcase bad_cases[] = {
	/* Not a v1 record at all. */
	{ "empty", "" },
	{ "tls not a boolean", WITH("\"tls\":1") },
	{ "tls_name with a space", WITH("\"tls\":true,\"tls_name\":\"a b\"") },
	{ "tls_name empty", WITH("\"tls_name\":\"\"") },
	{ "not json", "hello" },
	{ "truncated", "{\"v\":1,\"target\":\"10.0.0.7\"" },
	{ "array", "[1]" },
	{ "null", "null" },
	{ "string", "\"x\"" },
	{ "trailing garbage", MIN " x" },
	{ "two objects", MIN MIN },
	{ "duplicate key", WITH("\"status\":\"closed\"") },
	{ "duplicate v", WITH("\"v\":1") },
	{ "duplicate port key", WITH("\"ports\":{\"3000\":\"public\","
	    "\"3000\":\"auth\"}") },
	{ "duplicate inject name", WITH("\"inject\":{\"name\":\"X-A\","
	    "\"name\":\"Host\",\"value\":\"v\"}") },
	{ "nul escape", WITH("\"team\":\"a\\u0000b\"") },
	{ "invalid utf-8", WITH("\"team\":\"\xff\"") },

	/* v */
	{ "v missing", "{\"target\":\"10.0.0.7\",\"status\":\"active\"}" },
	{ "v 2", "{\"v\":2,\"target\":\"10.0.0.7\",\"status\":\"active\"}" },
	{ "v 0", "{\"v\":0,\"target\":\"10.0.0.7\",\"status\":\"active\"}" },
	{ "v string", "{\"v\":\"1\",\"target\":\"10.0.0.7\","
	    "\"status\":\"active\"}" },
	{ "v real", "{\"v\":1.0,\"target\":\"10.0.0.7\","
	    "\"status\":\"active\"}" },
	{ "v bool", "{\"v\":true,\"target\":\"10.0.0.7\","
	    "\"status\":\"active\"}" },
	{ "v huge", "{\"v\":99999999999999999999,\"target\":\"10.0.0.7\","
	    "\"status\":\"active\"}" },

	/* target */
	{ "target missing", "{\"v\":1,\"status\":\"active\"}" },
	{ "target name", "{\"v\":1,\"target\":\"example.com\","
	    "\"status\":\"active\"}" },
	{ "target localhost", "{\"v\":1,\"target\":\"localhost\","
	    "\"status\":\"active\"}" },
	{ "target octet 256", "{\"v\":1,\"target\":\"10.0.0.256\","
	    "\"status\":\"active\"}" },
	{ "target short ipv4", "{\"v\":1,\"target\":\"10.7\","
	    "\"status\":\"active\"}" },
	{ "target space", "{\"v\":1,\"target\":\"10.0.0.7 \","
	    "\"status\":\"active\"}" },
	{ "target with port", "{\"v\":1,\"target\":\"10.0.0.7:80\","
	    "\"status\":\"active\"}" },
	{ "target bracketed", "{\"v\":1,\"target\":\"[::1]\","
	    "\"status\":\"active\"}" },
	{ "target zone id", "{\"v\":1,\"target\":\"fe80::1%eth0\","
	    "\"status\":\"active\"}" },
	{ "target unspecified v4", "{\"v\":1,\"target\":\"0.0.0.0\","
	    "\"status\":\"active\"}" },
	{ "target unspecified v6", "{\"v\":1,\"target\":\"::\","
	    "\"status\":\"active\"}" },
	{ "target number", "{\"v\":1,\"target\":167772167,"
	    "\"status\":\"active\"}" },
	{ "target empty", "{\"v\":1,\"target\":\"\",\"status\":\"active\"}" },
	{ "target nul", "{\"v\":1,\"target\":\"10.0.0.7\\u0000x\","
	    "\"status\":\"active\"}" },
	{ "target too long", "{\"v\":1,\"target\":\"0000:0000:0000:0000:0000:"
	    "0000:0000:0000:0000:0000:0000:0000:0000:0001\","
	    "\"status\":\"active\"}" },
	{ "target v4-mapped too long", "{\"v\":1,\"target\":\"0000:0000:"
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000:ffff:10.0.0.7\","
	    "\"status\":\"active\"}" },

	/* runtime_port */
	{ "runtime port 0", WITH("\"runtime_port\":0") },
	{ "runtime port 65536", WITH("\"runtime_port\":65536") },
	{ "runtime port 4001+65536", WITH("\"runtime_port\":69537") },
	{ "runtime port negative", WITH("\"runtime_port\":-1") },
	{ "runtime port string", WITH("\"runtime_port\":\"4001\"") },
	{ "runtime port real", WITH("\"runtime_port\":4001.0") },
	{ "runtime port null", WITH("\"runtime_port\":null") },

	/* status */
	{ "status missing", "{\"v\":1,\"target\":\"10.0.0.7\"}" },
	{ "status upper case", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"ACTIVE\"}" },
	{ "status unknown", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"deleted\"}" },
	{ "status number", "{\"v\":1,\"target\":\"10.0.0.7\",\"status\":1}" },
	{ "status prefix", "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"status\":\"active \"}" },

	/* ports */
	{ "ports array", WITH("\"ports\":[3000]") },
	{ "ports null", WITH("\"ports\":null") },
	{ "ports 4001", WITH("\"ports\":{\"4001\":\"public\"}") },
	{ "ports 4001 among others", WITH("\"ports\":{\"3000\":\"public\","
	    "\"4001\":\"auth\"}") },
	{ "ports moved runtime port", WITH("\"runtime_port\":9000,"
	    "\"ports\":{\"9000\":\"auth\"}") },
	{ "ports 4001 with moved runtime", WITH("\"runtime_port\":9000,"
	    "\"ports\":{\"4001\":\"auth\"}") },
	{ "ports leading zero", WITH("\"ports\":{\"04001\":\"public\"}") },
	{ "ports zero", WITH("\"ports\":{\"0\":\"public\"}") },
	{ "ports 65536", WITH("\"ports\":{\"65536\":\"public\"}") },
	{ "ports 16-bit wrap", WITH("\"ports\":{\"69537\":\"public\"}") },
	{ "ports empty key", WITH("\"ports\":{\"\":\"public\"}") },
	{ "ports sign", WITH("\"ports\":{\"+3000\":\"public\"}") },
	{ "ports space", WITH("\"ports\":{\" 3000\":\"public\"}") },
	{ "ports name", WITH("\"ports\":{\"http\":\"public\"}") },
	{ "ports bad access", WITH("\"ports\":{\"3000\":\"private\"}") },
	{ "ports upper access", WITH("\"ports\":{\"3000\":\"PUBLIC\"}") },
	{ "ports bool access", WITH("\"ports\":{\"3000\":true}") },
	{ "ports object access", WITH("\"ports\":{\"3000\":{}}") },

	/* revoked_before */
	{ "revoked negative", WITH("\"revoked_before\":-1") },
	{ "revoked string", WITH("\"revoked_before\":\"0\"") },
	{ "revoked real", WITH("\"revoked_before\":1.5") },

	/* team, region */
	{ "team number", WITH("\"team\":1") },
	{ "team of 64", WITH("\"team\":\"01234567890123456789012345678901"
	    "23456789012345678901234567890123\"") },
	{ "team newline", WITH("\"team\":\"a\\nb\"") },
	{ "region non-ascii", WITH("\"region\":\"\xc3\xa9u\"") },
	{ "region null", WITH("\"region\":null") },

	/* inject */
	{ "inject string", WITH("\"inject\":\"X-A: b\"") },
	{ "inject array", WITH("\"inject\":[\"X-A\",\"b\"]") },
	{ "inject no name", WITH("\"inject\":{\"value\":\"v\"}") },
	{ "inject no value", WITH("\"inject\":{\"name\":\"X-A\"}") },
	{ "inject empty name", INJ("\"\"", "\"v\"") },
	{ "inject name number", INJ("1", "\"v\"") },
	{ "inject value number", INJ("\"X-A\"", "1") },
	{ "inject Host", INJ("\"Host\"", "\"v\"") },
	{ "inject host", INJ("\"host\"", "\"v\"") },
	{ "inject Authorization", INJ("\"Authorization\"", "\"v\"") },
	{ "inject Cookie", INJ("\"Cookie\"", "\"v\"") },
	{ "inject Content-Length", INJ("\"Content-Length\"", "\"0\"") },
	{ "inject Transfer-Encoding", INJ("\"Transfer-Encoding\"",
	    "\"chunked\"") },
	{ "inject Connection", INJ("\"Connection\"", "\"close\"") },
	{ "inject Keep-Alive", INJ("\"Keep-Alive\"", "\"v\"") },
	{ "inject TE", INJ("\"TE\"", "\"trailers\"") },
	{ "inject Upgrade", INJ("\"Upgrade\"", "\"websocket\"") },
	{ "inject Trailer", INJ("\"Trailer\"", "\"v\"") },
	{ "inject Proxy-Authorization", INJ("\"Proxy-Authorization\"",
	    "\"v\"") },
	{ "inject X-Forwarded-For", INJ("\"X-Forwarded-For\"", "\"1.2.3.4\"") },
	{ "inject space in name", INJ("\"X A\"", "\"v\"") },
	{ "inject colon in name", INJ("\"X-A:\"", "\"v\"") },
	{ "inject newline in name", INJ("\"X-A\\r\\nHost\"", "\"v\"") },
	{ "inject non-ascii name", INJ("\"X-\xc3\xa9\"", "\"v\"") },
	{ "inject name of 64", INJ("\"X-234567890123456789012345678901234567"
	    "89012345678901234567890123\"", "\"v\"") },
	{ "inject CRLF in value", INJ("\"X-A\"",
	    "\"v\\r\\nX-Injected: 1\"") },
	{ "inject LF in value", INJ("\"X-A\"", "\"v\\nb\"") },
	{ "inject CR in value", INJ("\"X-A\"", "\"v\\rb\"") },
	{ "inject NUL in value", INJ("\"X-A\"", "\"v\\u0000b\"") },
	{ "inject control in value", INJ("\"X-A\"", "\"v\\u0001\"") },
	{ "inject DEL in value", INJ("\"X-A\"", "\"v\\u007f\"") },
	{ "inject non-ascii value", INJ("\"X-A\"", "\"\xc3\xa9\"") },
	{ "inject leading space in value", INJ("\"X-A\"", "\" v\"") },
	{ "inject trailing tab in value", INJ("\"X-A\"", "\"v\\t\"") },
};

static void
test_record_bad(void **state)
{
	size_t	 i;
	int	 fails = 0;

	(void)state;
	for (i = 0; i < DB_ARRLEN(bad_cases); i++) {
		const struct bcase *c = &bad_cases[i];
		struct route	 r;
		char		 err[256];

		err[0] = '\0';
		if (route_record_parse(c->json, strlen(c->json), "sbx1", &r,
		    err, sizeof(err)) != -1) {
			print_error("bad \"%s\": accepted\n", c->name);
			fails++;
		} else if (err[0] == '\0') {
			print_error("bad \"%s\": no reason\n", c->name);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* ROUTE_MAX_PORTS exactly is fine, one more is refused. */
/* Parse errors never quote record content (it may hold the secret). */
static void
test_record_err_no_secret(void **state)
{
	static const char j[] = WITH("\"inject\":{\"name\":\"X-A\","
	    "\"value\":\"s3cr3t\\u0000\"}");
	static const char k[] = WITH("\"inject\":{\"name\":\"X-A\","
	    "\"value\":\"s3cr3t\"  x}");
	struct route	 r;
	char		 err[256];

	(void)state;
	assert_int_equal(route_record_parse(j, strlen(j), "sbx1", &r, err,
	    sizeof(err)), -1);
	assert_null(strstr(err, "s3cr3t"));
	assert_int_equal(route_record_parse(k, strlen(k), "sbx1", &r, err,
	    sizeof(err)), -1);
	assert_null(strstr(err, "s3cr3t"));
	assert_non_null(strstr(err, "line 1"));
}

static void
test_record_port_limit(void **state)
{
	char		 buf[4096];
	struct route	 r;
	size_t		 n, i;
	int		 k;

	(void)state;
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)snprintf(buf, sizeof(buf), "%s,\"ports\":{",
		    MIN_PRE);
		for (i = 0; i < ROUTE_MAX_PORTS + (size_t)extra; i++) {
			k = snprintf(buf + n, sizeof(buf) - n, "%s\"%zu\":"
			    "\"%s\"", i ? "," : "", 10000 - i,
			    i % 2 ? "public" : "auth");
			assert_true(k > 0 && (size_t)k < sizeof(buf) - n);
			n += (size_t)k;
		}
		k = snprintf(buf + n, sizeof(buf) - n, "}}");
		assert_true(k > 0 && (size_t)k < sizeof(buf) - n);
		assert_int_equal(parse(buf, &r), extra ? -1 : 0);
	}
	/* The accepted one is sorted and searchable. */
	buf[0] = '\0';
	n = (size_t)snprintf(buf, sizeof(buf), "%s,\"ports\":{", MIN_PRE);
	for (i = 0; i < ROUTE_MAX_PORTS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%zu\":"
		    "\"%s\"", i ? "," : "", 10000 - i, i % 2 ? "public" :
		    "auth");
	(void)snprintf(buf + n, sizeof(buf) - n, "}}");
	assert_int_equal(parse(buf, &r), 0);
	assert_int_equal(r.nports, ROUTE_MAX_PORTS);
	for (i = 1; i < r.nports; i++)
		assert_true(r.ports[i - 1].port < r.ports[i].port);
	assert_non_null(route_find_port(&r, 10000));
	assert_int_equal(route_find_port(&r, 10000)->access, ROUTE_PROTECTED);
	assert_int_equal(route_find_port(&r, 9999)->access, ROUTE_PUBLIC);
	assert_null(route_find_port(&r, 10000 - ROUTE_MAX_PORTS));
	assert_null(route_find_port(&r, 4001));
}

/* Records over ROUTE_MAX_RECORD are refused before they are parsed. */
static void
test_record_size_limit(void **state)
{
	static char	 buf[ROUTE_MAX_RECORD + 2];
	struct route	 r;
	char		 err[128];
	size_t		 pre = strlen(MIN_PRE);

	(void)state;
	/* MIN_PRE, padding spaces, "}" : exactly ROUTE_MAX_RECORD bytes. */
	memcpy(buf, MIN_PRE, pre);
	memset(buf + pre, ' ', ROUTE_MAX_RECORD - pre - 1);
	buf[ROUTE_MAX_RECORD - 1] = '}';
	assert_int_equal(route_record_parse(buf, ROUTE_MAX_RECORD, "sbx1",
	    &r, err, sizeof(err)), 0);
	memset(buf + pre, ' ', ROUTE_MAX_RECORD - pre);
	buf[ROUTE_MAX_RECORD] = '}';
	assert_int_equal(route_record_parse(buf, ROUTE_MAX_RECORD + 1, "sbx1",
	    &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
}

/* Length-driven: bytes after len are not read; a NUL inside is an error. */
static void
test_record_lengths(void **state)
{
	static const char j[] = MIN "garbage";
	static const char nul[] = MIN_PRE "\0}";
	struct route	 r;

	(void)state;
	assert_int_equal(route_record_parse(j, strlen(MIN), "sbx1", &r, NULL,
	    0), 0);
	assert_int_equal(route_record_parse(j, strlen(MIN) - 1, "sbx1", &r,
	    NULL, 0), -1);
	assert_int_equal(route_record_parse(nul, sizeof(nul) - 1, "sbx1", &r,
	    NULL, 0), -1);
}

static void
test_record_bad_id(void **state)
{
	char		 id[ROUTE_MAX_ID + 2];
	struct route	 r;
	char		 err[64];

	(void)state;
	assert_int_equal(route_record_parse(MIN, strlen(MIN), NULL, &r, err,
	    sizeof(err)), -1);
	assert_int_equal(route_record_parse(MIN, strlen(MIN), "", &r, err,
	    sizeof(err)), -1);
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(route_record_parse(MIN, strlen(MIN), id, &r, err,
	    sizeof(err)), -1);
	id[sizeof(id) - 2] = '\0';
	assert_int_equal(route_record_parse(MIN, strlen(MIN), id, &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.id, id);
}

static void
test_record_format(void **state)
{
	struct route	 r, r2;
	char		 buf[2048];
	int		 n;

	(void)state;
	assert_int_equal(parse(EXAMPLE, &r), 0);
	n = route_record_format(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(EXAMPLE_CANON));
	assert_string_equal(buf, EXAMPLE_CANON);

	/* Round trip: parse(format(r)) == r, and format is a fixed point. */
	assert_int_equal(parse(buf, &r2), 0);
	assert_string_equal(r2.target, r.target);
	assert_int_equal(r2.runtime_port, r.runtime_port);
	assert_int_equal(r2.status, r.status);
	assert_int_equal(r2.nports, r.nports);
	assert_int_equal(r2.ports[1].port, r.ports[1].port);
	assert_int_equal(r2.ports[1].access, r.ports[1].access);
	assert_int_equal(r2.revoked_before, r.revoked_before);
	assert_string_equal(r2.inject_value, r.inject_value);

	/* Minimal record: optional members omitted, defaults explicit. */
	assert_int_equal(parse(MIN, &r), 0);
	assert_int_equal(route_record_format(&r, buf, sizeof(buf)), (int)
	    strlen("{\"v\":1,\"target\":\"10.0.0.7\",\"runtime_port\":4001,"
	    "\"status\":\"active\",\"ports\":{},\"revoked_before\":0}"));
	assert_string_equal(buf, "{\"v\":1,\"target\":\"10.0.0.7\","
	    "\"runtime_port\":4001,\"status\":\"active\",\"ports\":{},"
	    "\"revoked_before\":0}");

	/* Quotes and backslashes are escaped. */
	assert_int_equal(parse(WITH("\"team\":\"a\\\"b\\\\c\","
	    "\"inject\":{\"name\":\"X-A\",\"value\":\"q\\\"\"}"), &r), 0);
	assert_string_equal(r.team, "a\"b\\c");
	assert_true(route_record_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"team\":\"a\\\"b\\\\c\""));
	assert_int_equal(parse(buf, &r2), 0);
	assert_string_equal(r2.team, r.team);
	assert_string_equal(r2.inject_value, "q\"");
}

static void
test_record_format_limits(void **state)
{
	struct route	 r;
	char		 buf[512];
	int		 n;
	size_t		 i;

	(void)state;
	assert_int_equal(parse(EXAMPLE, &r), 0);
	n = route_record_format(&r, buf, sizeof(buf));
	assert_true(n > 0);
	/* Every buffer too small by any amount fails cleanly. */
	for (i = 0; i <= (size_t)n; i++)
		assert_int_equal(route_record_format(&r, buf, i), -1);
	assert_int_equal(route_record_format(&r, buf, (size_t)n + 1), n);

	r.status = 0;
	assert_int_equal(route_record_format(&r, buf, sizeof(buf)), -1);
	r.status = ROUTE_CLOSED + 1;
	assert_int_equal(route_record_format(&r, buf, sizeof(buf)), -1);
	r.status = ROUTE_ACTIVE;
	r.nports = ROUTE_MAX_PORTS + 1;
	assert_int_equal(route_record_format(&r, buf, sizeof(buf)), -1);
	r.nports = 0;
	memset(r.team, 'x', sizeof(r.team));	/* unterminated */
	assert_int_equal(route_record_format(&r, buf, sizeof(buf)), -1);
}

static void
test_record_status_name(void **state)
{
	(void)state;
	assert_string_equal(route_status_name(ROUTE_ACTIVE), "active");
	assert_string_equal(route_status_name(ROUTE_PAUSED), "paused");
	assert_string_equal(route_status_name(ROUTE_STARTING), "starting");
	assert_string_equal(route_status_name(ROUTE_CLOSED), "closed");
	assert_string_equal(route_status_name(0), "unknown");
	assert_string_equal(route_status_name(99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_example),
		cmocka_unit_test(test_record_defaults),
		cmocka_unit_test(test_record_good),
		cmocka_unit_test(test_record_bad),
		cmocka_unit_test(test_record_err_no_secret),
		cmocka_unit_test(test_record_port_limit),
		cmocka_unit_test(test_record_size_limit),
		cmocka_unit_test(test_record_lengths),
		cmocka_unit_test(test_record_bad_id),
		cmocka_unit_test(test_record_format),
		cmocka_unit_test(test_record_format_limits),
		cmocka_unit_test(test_record_status_name),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
