/*
 * test_config.c -- config/config.c: every directive good and bad, exact
 * "name:line: message" errors, repeats, caps, file format, and config_load
 * with real key files (permissions, lengths, PEM types).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/common.h"
#include "config/config.h"

#define OFF(f)	offsetof(struct config, f)

static int
parse(const char *text, struct config *conf, char *err, size_t errlen)
{
	return config_parse("t", text, strlen(text), conf, err, errlen);
}

static uint64_t
u64_at(const struct config *conf, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)conf + off, sizeof(v));
	return v;
}

/* Good vectors for the uint64_t fields: text parses, field == want. */
static const struct {
	const char	*text;
	size_t		 off;
	uint64_t	 want;
} good_u64[] = {
	{ "redis-timeout 1ms", OFF(redis_timeout_ms), 1 },
	{ "redis-timeout 60s", OFF(redis_timeout_ms), 60000 },
	{ "redis-timeout 2", OFF(redis_timeout_ms), 2000 },
	{ "route-ttl 100ms", OFF(route_ttl_ms), 100 },
	{ "route-ttl 5m", OFF(route_ttl_ms), 300000 },
	{ "route-ttl 24h", OFF(route_ttl_ms), 86400000 },
	{ "route-negative-ttl 0", OFF(route_negative_ttl_ms), 0 },
	{ "route-negative-ttl 1h", OFF(route_negative_ttl_ms), 3600000 },
	{ "route-stale 0", OFF(route_stale_ms), 0 },
	{ "route-stale 2h", OFF(route_stale_ms), 7200000 },
	{ "jwt-leeway 0", OFF(jwt_leeway_s), 0 },
	{ "jwt-leeway 300s", OFF(jwt_leeway_s), 300 },
	{ "jwt-leeway 5m", OFF(jwt_leeway_s), 300 },
	{ "jwt-leeway 2000ms", OFF(jwt_leeway_s), 2 },
	{ "timeout-header 10ms", OFF(timeout_header_ms), 10 },
	{ "timeout-header 3s", OFF(timeout_header_ms), 3000 },
	{ "timeout-idle 2m", OFF(timeout_idle_ms), 120000 },
	{ "timeout-body 45s", OFF(timeout_body_ms), 45000 },
	{ "timeout-connect 250ms", OFF(timeout_connect_ms), 250 },
	{ "timeout-first-byte 24h", OFF(timeout_first_byte_ms), 86400000 },
	{ "timeout-upstream-idle 1h", OFF(timeout_upstream_idle_ms),
	    3600000 },
	{ "max-header-bytes 1k", OFF(max_header_bytes), 1024 },
	{ "max-header-bytes 64k", OFF(max_header_bytes), 65536 },
	{ "max-header-bytes 4096", OFF(max_header_bytes), 4096 },
	{ "max-headers 1", OFF(max_headers), 1 },
	{ "max-headers 256", OFF(max_headers), 256 },
	{ "max-request-line 256", OFF(max_request_line), 256 },
	{ "max-request-line 16k", OFF(max_request_line), 16384 },
	{ "max-connections 1", OFF(max_connections), 1 },
	{ "max-connections 1000000", OFF(max_connections), 1000000 },
	{ "max-body 0", OFF(max_body_bytes), 0 },
	{ "max-body 10m", OFF(max_body_bytes), 10485760 },
	{ "max-body 2g", OFF(max_body_bytes), 2147483648ULL },
	{ "buffer-size 4k", OFF(buffer_bytes), 4096 },
	{ "buffer-size 16m", OFF(buffer_bytes), 16777216 },
	{ "upstream-keepalive 0", OFF(upstream_keepalive), 0 },
	{ "upstream-keepalive 1024", OFF(upstream_keepalive), 1024 },
	{ "upstream-idle-timeout 90s", OFF(upstream_idle_timeout_ms),
	    90000 },
};

static void
test_good_numbers(void **state)
{
	struct config conf;
	char	 err[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(good_u64); i++) {
		if (parse(good_u64[i].text, &conf, err, sizeof(err)) != 0)
			fail_msg("%s: %s", good_u64[i].text, err);
		if (u64_at(&conf, good_u64[i].off) != good_u64[i].want)
			fail_msg("%s: got %llu want %llu", good_u64[i].text,
			    (unsigned long long)u64_at(&conf, good_u64[i].off),
			    (unsigned long long)good_u64[i].want);
		config_free_contents(&conf);
	}
}

/* Bad vectors: the exact error. */
static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* format */
	{ "bogus 1", "t:1: unknown directive \"bogus\"" },
	{ "Listen 127.0.0.1:80", "t:1: unknown directive \"Listen\"" },
	{ "\n\nlisten", "t:3: listen: expected 1 to 2 arguments, got 0" },
	{ "listen 127.0.0.1:1 127.0.0.1:2",
	    "t:1: listen: unknown option \"127.0.0.1:2\" (expected tls)" },
	{ "listen 127.0.0.1:1 tls x",
	    "t:1: listen: expected 1 to 2 arguments, got 3" },
	{ "cookie-samesite loose",
	    "t:1: cookie-samesite: expected lax, strict or none, got "
	    "\"loose\"" },
	{ "stream-close-on-route-change yes",
	    "t:1: stream-close-on-route-change: expected on or off, got "
	    "\"yes\"" },
	{ "tls-no-sni maybe",
	    "t:1: tls-no-sni: expected default or refuse, got \"maybe\"" },
	{ "auth-path _hb",
	    "t:1: auth-path: \"_hb\" is not an absolute path (2..63 bytes)" },
	{ "upgrade-allow a,b", "t:1: upgrade-allow: \"a,b\" is not a token" },
	{ "presign-key a.b k", "t:1: presign-key: invalid kid \"a.b\" "
	    "(allowed: A-Z a-z 0-9 _ : / + = -)" },
	{ "jwt-key a HS256", "t:1: jwt-key: expected 3 arguments, got 2" },
	{ "a b c d e f g h i j k l m n o p q",
	    "t:1: too many words (max 16)" },
	{ "workers 1\x01", "t:1: invalid character 0x01" },
	{ "# ok\nworkers\r1", "t:2: invalid character 0x0d" },
	{ "workers 1\x7f", "t:1: invalid character 0x7f" },
	/* listen */
	{ "listen 127.0.0.1", "t:1: listen: invalid address in "
	    "\"127.0.0.1\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen localhost:80",
	    "t:1: listen: \"localhost\" is not an IP address" },
	{ "listen 127.0.0.1:65536", "t:1: listen: invalid port in "
	    "\"127.0.0.1:65536\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen 127.0.0.1:080", "t:1: listen: invalid port in "
	    "\"127.0.0.1:080\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen 127.0.0.1:", "t:1: listen: invalid port in "
	    "\"127.0.0.1:\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen ::1:80", "t:1: listen: invalid address in "
	    "\"::1:80\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen [::1]80", "t:1: listen: invalid address in "
	    "\"[::1]80\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen []:80", "t:1: listen: invalid address in "
	    "\"[]:80\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen 1.2.3:80", "t:1: listen: \"1.2.3\" is not an IP address" },
	{ "listen 127.0.0.1:80\nlisten 127.0.0.1:80",
	    "t:2: listen: duplicate address \"127.0.0.1:80\"" },
	/* admin-listen */
	{ "admin-listen 127.0.0.1", "t:1: admin-listen: invalid address in "
	    "\"127.0.0.1\" (expected ADDR:PORT or [IPv6]:PORT)" },
	{ "listen 127.0.0.1:80\nadmin-listen 127.0.0.1:80",
	    "t:2: admin-listen: \"127.0.0.1:80\" is also a listen address" },
	{ "admin-listen 127.0.0.1:80\nlisten 127.0.0.1:80",
	    "t:2: listen: \"127.0.0.1:80\" is also the admin-listen address" },
	/* workers */
	{ "workers 0", "t:1: workers: \"0\" is not auto or a number in "
	    "1..64" },
	{ "workers 65", "t:1: workers: \"65\" is not auto or a number in "
	    "1..64" },
	{ "workers -1", "t:1: workers: \"-1\" is not auto or a number in "
	    "1..64" },
	{ "workers AUTO", "t:1: workers: \"AUTO\" is not auto or a number "
	    "in 1..64" },
	/* domain, path-host */
	{ "domain *.example.com", "t:1: domain: invalid hostname "
	    "\"*.example.com\" (write the name without a leading \"*.\" or "
	    "\".\")" },
	{ "domain .example.com", "t:1: domain: invalid hostname "
	    "\".example.com\" (write the name without a leading \"*.\" or "
	    "\".\")" },
	{ "domain exa_mple.com",
	    "t:1: domain: invalid hostname \"exa_mple.com\"" },
	{ "domain -a.com", "t:1: domain: invalid hostname \"-a.com\"" },
	{ "domain a-.com", "t:1: domain: invalid hostname \"a-.com\"" },
	{ "domain a..com", "t:1: domain: invalid hostname \"a..com\"" },
	{ "domain a.com..", "t:1: domain: invalid hostname \"a.com..\"" },
	{ "domain 10.0.0.1:80",
	    "t:1: domain: invalid hostname \"10.0.0.1:80\"" },
	{ "domain a.com\ndomain A.COM.",
	    "t:2: domain: duplicate \"a.com\"" },
	{ "path-host a/b", "t:1: path-host: invalid hostname \"a/b\"" },
	{ "path-host x.io\npath-host x.io",
	    "t:2: path-host: duplicate \"x.io\"" },
	/* redis */
	{ "redis unix:run/redis.sock", "t:1: redis: unix socket path must "
	    "be absolute in \"unix:run/redis.sock\"" },
	{ "redis 127.0.0.1:0",
	    "t:1: redis: port must be 1..65535 in \"127.0.0.1:0\"" },
	{ "redis 127.0.0.1", "t:1: redis: invalid address in \"127.0.0.1\" "
	    "(expected HOST:PORT or unix:/PATH)" },
	{ "redis 127.0.0.1:99999", "t:1: redis: invalid port in "
	    "\"127.0.0.1:99999\" (expected HOST:PORT or unix:/PATH)" },
	{ "redis bad_host:6379", "t:1: redis: invalid host \"bad_host\"" },
	{ "redis-prefix a*", "t:1: redis-prefix: \"a*\" must not contain "
	    "any of * ? [ ] \\" },
	{ "redis-prefix a[b]", "t:1: redis-prefix: \"a[b]\" must not contain "
	    "any of * ? [ ] \\" },
	/* durations */
	{ "redis-timeout 0", "t:1: redis-timeout: 0 out of range "
	    "(1ms..60000ms)" },
	{ "redis-timeout 61s", "t:1: redis-timeout: 61s out of range "
	    "(1ms..60000ms)" },
	{ "redis-timeout abc", "t:1: redis-timeout: invalid duration "
	    "\"abc\" (use e.g. 250ms, 10s, 5m, 1h)" },
	{ "redis-timeout 10x", "t:1: redis-timeout: invalid duration "
	    "\"10x\" (use e.g. 250ms, 10s, 5m, 1h)" },
	{ "redis-timeout 10S", "t:1: redis-timeout: invalid duration "
	    "\"10S\" (use e.g. 250ms, 10s, 5m, 1h)" },
	{ "redis-timeout -1s", "t:1: redis-timeout: invalid duration "
	    "\"-1s\" (use e.g. 250ms, 10s, 5m, 1h)" },
	{ "route-ttl 99ms", "t:1: route-ttl: 99ms out of range "
	    "(100ms..86400000ms)" },
	{ "route-negative-ttl 2h", "t:1: route-negative-ttl: 2h out of "
	    "range (0ms..3600000ms)" },
	{ "route-stale 25h", "t:1: route-stale: 25h out of range "
	    "(0ms..86400000ms)" },
	{ "timeout-header 0", "t:1: timeout-header: 0 out of range "
	    "(10ms..86400000ms)" },
	{ "timeout-idle 9ms", "t:1: timeout-idle: 9ms out of range "
	    "(10ms..86400000ms)" },
	{ "timeout-body 25h", "t:1: timeout-body: 25h out of range "
	    "(10ms..86400000ms)" },
	{ "timeout-connect 1ms", "t:1: timeout-connect: 1ms out of range "
	    "(10ms..86400000ms)" },
	{ "timeout-first-byte s", "t:1: timeout-first-byte: invalid "
	    "duration \"s\" (use e.g. 250ms, 10s, 5m, 1h)" },
	{ "timeout-upstream-idle 0ms", "t:1: timeout-upstream-idle: 0ms out "
	    "of range (10ms..86400000ms)" },
	{ "upstream-idle-timeout 99999999999999999999s",
	    "t:1: upstream-idle-timeout: invalid duration "
	    "\"99999999999999999999s\" (use e.g. 250ms, 10s, 5m, 1h)" },
	/* jwt */
	{ "jwt-key k none k.key", "t:1: jwt-key: unknown algorithm \"none\" "
	    "(HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512)" },
	{ "jwt-key k hs256 k.key", "t:1: jwt-key: unknown algorithm "
	    "\"hs256\" (HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 "
	    "ES512)" },
	{ "jwt-key k PS256 k.key", "t:1: jwt-key: unknown algorithm "
	    "\"PS256\" (HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 "
	    "ES512)" },
	{ "jwt-key a\"b HS256 k.key", "t:1: jwt-key: invalid kid \"a\"b\" "
	    "(allowed: A-Z a-z 0-9 . _ : / + = -)" },
	{ "jwt-key a HS256 a.key\n# x\njwt-key a RS256 b.pem",
	    "t:3: jwt-key: duplicate kid \"a\" (first on line 1)" },
	{ "jwt-leeway 301s",
	    "t:1: jwt-leeway: 301s out of range (0s..300s)" },
	{ "jwt-leeway 1500ms", "t:1: jwt-leeway: must be whole seconds" },
	{ "jwt-leeway x",
	    "t:1: jwt-leeway: invalid duration \"x\" (use e.g. 30s)" },
	{ "token-cache 1048577", "t:1: token-cache: \"1048577\" is not a "
	    "number in 0..1048576" },
	{ "token-cache -1",
	    "t:1: token-cache: \"-1\" is not a number in 0..1048576" },
	/* trusted-proxy */
	{ "trusted-proxy 10.0.0.1/8",
	    "t:1: trusted-proxy: \"10.0.0.1/8\" has host bits set" },
	{ "trusted-proxy 10.0.0.0/33", "t:1: trusted-proxy: invalid prefix "
	    "length in \"10.0.0.0/33\" (0..32)" },
	{ "trusted-proxy 10.0.0.0/08", "t:1: trusted-proxy: invalid prefix "
	    "length in \"10.0.0.0/08\" (0..32)" },
	{ "trusted-proxy 10.0.0.0/", "t:1: trusted-proxy: invalid prefix "
	    "length in \"10.0.0.0/\" (0..32)" },
	{ "trusted-proxy ::/129", "t:1: trusted-proxy: invalid prefix "
	    "length in \"::/129\" (0..128)" },
	{ "trusted-proxy 2001:db8::1/32",
	    "t:1: trusted-proxy: \"2001:db8::1/32\" has host bits set" },
	{ "trusted-proxy example.com/8",
	    "t:1: trusted-proxy: invalid address in \"example.com/8\"" },
	{ "trusted-proxy 10.0.0.0/8\ntrusted-proxy 10.0.0.0/8",
	    "t:2: trusted-proxy: duplicate \"10.0.0.0/8\"" },
	/* limits and caps */
	{ "max-header-bytes 65k", "t:1: max-header-bytes: 65k out of range "
	    "(1024..65536 bytes)" },
	{ "max-header-bytes 1023", "t:1: max-header-bytes: 1023 out of range "
	    "(1024..65536 bytes)" },
	{ "max-header-bytes 32kb", "t:1: max-header-bytes: invalid size "
	    "\"32kb\" (use e.g. 512, 32k, 8m, 1g)" },
	{ "max-headers 257",
	    "t:1: max-headers: 257 out of range (1..256)" },
	{ "max-headers 0", "t:1: max-headers: 0 out of range (1..256)" },
	{ "max-headers 1k", "t:1: max-headers: \"1k\" is not a number" },
	{ "max-request-line 17k", "t:1: max-request-line: 17k out of range "
	    "(256..16384 bytes)" },
	{ "max-connections 1000001", "t:1: max-connections: 1000001 out of "
	    "range (1..1000000)" },
	{ "max-body -1", "t:1: max-body: invalid size \"-1\" (use e.g. 512, "
	    "32k, 8m, 1g)" },
	{ "max-body 1025g", "t:1: max-body: 1025g out of range "
	    "(0..1099511627776 bytes)" },
	{ "buffer-size 4095", "t:1: buffer-size: 4095 out of range "
	    "(4096..16777216 bytes)" },
	{ "buffer-size 17m", "t:1: buffer-size: 17m out of range "
	    "(4096..16777216 bytes)" },
	{ "upstream-keepalive 1025", "t:1: upstream-keepalive: 1025 out of "
	    "range (0..1024)" },
	{ "access-log logs/access.log", "t:1: access-log: "
	    "\"logs/access.log\" is not stderr, off or an absolute path" },
};

static void
test_bad(void **state)
{
	struct config conf;
	char	 err[512];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(bad); i++) {
		if (parse(bad[i].text, &conf, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].text);
		if (strcmp(err, bad[i].err) != 0)
			fail_msg("%s:\n got  %s\n want %s", bad[i].text, err,
			    bad[i].err);
		config_free_contents(&conf);
	}
}

static void
test_defaults(void **state)
{
	struct config conf;
	char	 err[256];

	(void)state;
	assert_int_equal(parse("", &conf, err, sizeof(err)), 0);
	assert_string_equal(conf.path, "t");
	assert_int_equal(conf.nlisten, 0);
	assert_int_equal(conf.admin_set, 0);
	assert_int_equal(conf.workers, 0);
	assert_string_equal(conf.redis_host, "127.0.0.1");
	assert_int_equal(conf.redis_port, 6379);
	assert_string_equal(conf.redis_prefix, "drawbridge:");
	assert_int_equal(conf.redis_timeout_ms, 250);
	assert_int_equal(conf.route_ttl_ms, 30000);
	assert_int_equal(conf.route_negative_ttl_ms, 2000);
	assert_int_equal(conf.route_stale_ms, 60000);
	assert_string_equal(conf.jwt_audience, "drawbridge");
	assert_string_equal(conf.jwt_issuer, "");
	assert_int_equal(conf.jwt_leeway_s, 30);
	assert_int_equal(conf.token_cache_slots, 4096);
	assert_int_equal(conf.timeout_header_ms, 10000);
	assert_int_equal(conf.timeout_idle_ms, 60000);
	assert_int_equal(conf.timeout_body_ms, 30000);
	assert_int_equal(conf.timeout_connect_ms, 5000);
	assert_int_equal(conf.timeout_first_byte_ms, 60000);
	assert_int_equal(conf.timeout_upstream_idle_ms, 60000);
	assert_int_equal(conf.max_header_bytes, 32768);
	assert_int_equal(conf.max_headers, 100);
	assert_int_equal(conf.max_request_line, 8192);
	assert_int_equal(conf.max_connections, 10000);
	assert_int_equal(conf.max_body_bytes, 0);
	assert_int_equal(conf.buffer_bytes, 65536);
	assert_int_equal(conf.upstream_keepalive, 8);
	assert_int_equal(conf.upstream_idle_timeout_ms, 30000);
	assert_string_equal(conf.access_log, "stderr");
	config_free_contents(&conf);
}

/* Directives whose values are not plain numbers. */
static void
test_good_values(void **state)
{
	struct config conf;
	char	 err[256];
	const char *text =
	    "listen 127.0.0.1:8080\n"
	    "listen [::1]:0\n"
	    "listen [::1]:0\n"		/* port 0 twice is fine */
	    "listen 0.0.0.0:65535\n"
	    "admin-listen [::]:9090\n"
	    "workers 4\n"
	    "domain Sbx.Example.COM.\n"
	    "domain localhost\n"
	    "path-host App.Example.com\n"
	    "redis [::1]:6380\n"
	    "redis-prefix db:test:\n"
	    "jwt-key dev HS256 dev.key\n"
	    "jwt-key prod-2024.1 ES384 /etc/keys/prod.pem\n"
	    "jwt-audience off\n"
	    "jwt-issuer https://auth.example.com/\n"
	    "token-cache 0\n"
	    "trusted-proxy 10.0.0.0/8\n"
	    "trusted-proxy ::1\n"
	    "trusted-proxy 0.0.0.0/0\n"
	    "access-log /var/log/drawbridge/access.log\n";

	(void)state;
	if (parse(text, &conf, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(conf.nlisten, 4);
	assert_string_equal(conf.listen[0].host, "127.0.0.1");
	assert_int_equal(conf.listen[0].port, 8080);
	assert_string_equal(conf.listen[1].host, "::1");
	assert_int_equal(conf.listen[1].port, 0);
	assert_int_equal(conf.listen[3].port, 65535);
	assert_int_equal(conf.admin_set, 1);
	assert_string_equal(conf.admin.host, "::");
	assert_int_equal(conf.admin.port, 9090);
	assert_int_equal(conf.workers, 4);
	assert_int_equal(config_workers(&conf), 4);
	assert_int_equal(conf.ndomains, 2);
	assert_string_equal(conf.domains[0], "sbx.example.com");
	assert_string_equal(conf.domains[1], "localhost");
	assert_int_equal(conf.npath_hosts, 1);
	assert_string_equal(conf.path_hosts[0], "app.example.com");
	assert_string_equal(conf.redis_host, "::1");
	assert_int_equal(conf.redis_port, 6380);
	assert_string_equal(conf.redis_prefix, "db:test:");
	assert_int_equal(conf.njwt_keys, 2);
	assert_string_equal(conf.jwt_keys[0].kid, "dev");
	assert_int_equal(conf.jwt_keys[0].alg, CONF_ALG_HS256);
	assert_string_equal(conf.jwt_keys[0].path, "dev.key");
	assert_int_equal(conf.jwt_keys[0].line, 12);
	assert_null(conf.jwt_keys[0].key);
	assert_string_equal(conf.jwt_keys[1].kid, "prod-2024.1");
	assert_int_equal(conf.jwt_keys[1].alg, CONF_ALG_ES384);
	assert_string_equal(conf.jwt_audience, "");
	assert_string_equal(conf.jwt_issuer, "https://auth.example.com/");
	assert_int_equal(conf.token_cache_slots, 0);
	assert_int_equal(conf.ntrusted, 3);
	assert_int_equal(conf.trusted[0].family, AF_INET);
	assert_int_equal(conf.trusted[0].bits, 8);
	assert_int_equal(conf.trusted[1].family, AF_INET6);
	assert_int_equal(conf.trusted[1].bits, 128);
	assert_int_equal(conf.trusted[2].bits, 0);
	assert_string_equal(conf.access_log,
	    "/var/log/drawbridge/access.log");
	config_free_contents(&conf);

	assert_int_equal(parse("workers auto\nredis unix:/run/redis.sock\n"
	    "redis-timeout 5s\naccess-log off\njwt-audience api\n"
	    "redis-prefix x\n", &conf, err, sizeof(err)), 0);
	assert_int_equal(conf.workers, 0);
	assert_true(config_workers(&conf) >= 1);
	assert_true(config_workers(&conf) <= CONF_MAX_WORKERS);
	assert_string_equal(conf.redis_host, "unix:/run/redis.sock");
	assert_int_equal(conf.redis_port, 0);
	assert_string_equal(conf.access_log, "off");
	assert_string_equal(conf.jwt_audience, "api");
	assert_string_equal(conf.redis_prefix, "x");
	config_free_contents(&conf);

	assert_int_equal(parse("redis LocalHost.:6379", &conf, err,
	    sizeof(err)), 0);
	assert_string_equal(conf.redis_host, "localhost");
	config_free_contents(&conf);
}

/* Comments, blank lines, tabs, CRLF, no final newline. */
static void
test_format(void **state)
{
	struct config conf;
	char	 err[256];
	const char *text =
	    "# a comment\n"
	    "\n"
	    "   \t  \n"
	    "\t# indented comment\n"
	    "listen\t127.0.0.1:1  # trailing comment\r\n"
	    "  domain   a.example\t\t\n"
	    "workers 2#not-a-comment-start\n"
	    "max-headers 50";

	(void)state;
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "t:7: workers: \"2#not-a-comment-start\" "
	    "is not auto or a number in 1..64");
	config_free_contents(&conf);

	text = "# a comment\n\n   \t  \n\t# indented\n"
	    "listen\t127.0.0.1:1  # trailing comment\r\n"
	    "  domain   a.example\t\t\n"
	    "workers 2 #comment\n"
	    "max-headers 50";
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(conf.nlisten, 1);
	assert_int_equal(conf.listen[0].port, 1);
	assert_string_equal(conf.domains[0], "a.example");
	assert_int_equal(conf.workers, 2);
	assert_int_equal(conf.max_headers, 50);
	config_free_contents(&conf);

	/* A NUL byte inside the text (length-delimited, not a C string). */
	assert_int_equal(config_parse("n", "workers 1\n\0x", 12, &conf, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "n:2: invalid character 0x00");
	config_free_contents(&conf);
	/* Length bounds the text: the NUL-terminated tail is not read. */
	assert_int_equal(config_parse("n", "workers 1\nbogus", 10, &conf, err,
	    sizeof(err)), 0);
	config_free_contents(&conf);
}

static const char *const once[] = {
	"admin-listen 127.0.0.1:9",
	"workers 2",
	"redis 127.0.0.1:6379",
	"redis-prefix p:",
	"redis-timeout 1s",
	"route-ttl 1s",
	"route-negative-ttl 1s",
	"route-stale 1s",
	"jwt-audience a",
	"jwt-issuer i",
	"jwt-leeway 1s",
	"token-cache 1",
	"timeout-header 1s",
	"timeout-idle 1s",
	"timeout-body 1s",
	"timeout-connect 1s",
	"timeout-first-byte 1s",
	"timeout-upstream-idle 1s",
	"max-header-bytes 2k",
	"max-headers 2",
	"max-request-line 2k",
	"max-connections 2",
	"max-body 2",
	"buffer-size 8k",
	"upstream-keepalive 2",
	"upstream-idle-timeout 2s",
	"access-log off",
};

static void
test_repeated(void **state)
{
	struct config conf;
	char	 err[256], text[256], want[256], kw[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(once); i++) {
		size_t	 kl = strcspn(once[i], " ");

		assert_true(kl < sizeof(kw));
		memcpy(kw, once[i], kl);
		kw[kl] = '\0';
		(void)snprintf(text, sizeof(text), "%s\n# c\n%s\n", once[i],
		    once[i]);
		(void)snprintf(want, sizeof(want),
		    "t:3: %s: repeated (first on line 1)", kw);
		if (parse(text, &conf, err, sizeof(err)) != -1)
			fail_msg("repeat accepted: %s", once[i]);
		if (strcmp(err, want) != 0)
			fail_msg("got %s want %s", err, want);
		config_free_contents(&conf);
		/* ... and once is fine. */
		if (parse(once[i], &conf, err, sizeof(err)) != 0)
			fail_msg("%s: %s", once[i], err);
		config_free_contents(&conf);
	}
}

/* Repeatable directives stop at their CONF_MAX_* cap. */
static void
test_caps(void **state)
{
	static const struct {
		const char	*pre, *post;	/* line = pre N post */
		int		 max;
		const char	*msg;
	} caps[] = {
		{ "listen 127.0.0.1:", "\n", CONF_MAX_LISTEN,
		    "listen: too many (max 8)" },
		{ "domain d", ".example\n", CONF_MAX_DOMAINS,
		    "domain: too many (max 32)" },
		{ "path-host p", ".example\n", CONF_MAX_PATH_HOSTS,
		    "path-host: too many (max 16)" },
		{ "jwt-key k", " HS256 k.key\n", CONF_MAX_JWT_KEYS,
		    "jwt-key: too many (max 16)" },
		{ "trusted-proxy 10.0.0.", "\n", CONF_MAX_TRUSTED,
		    "trusted-proxy: too many (max 32)" },
	};
	struct config conf;
	char	 text[8192], err[256], want[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(caps); i++) {
		size_t	 len = 0;
		int	 j;

		for (j = 1; j <= caps[i].max + 1; j++) {
			int n = snprintf(text + len, sizeof(text) - len,
			    "%s%d%s", caps[i].pre, j, caps[i].post);

			assert_true(n > 0 && (size_t)n < sizeof(text) - len);
			len += (size_t)n;
			if (j == caps[i].max) {
				/* exactly at the cap is fine */
				assert_int_equal(config_parse("t", text, len,
				    &conf, err, sizeof(err)), 0);
				config_free_contents(&conf);
			}
		}
		(void)snprintf(want, sizeof(want), "t:%d: %s",
		    caps[i].max + 1, caps[i].msg);
		assert_int_equal(config_parse("t", text, len, &conf, err,
		    sizeof(err)), -1);
		assert_string_equal(err, want);
		config_free_contents(&conf);
	}
}

/* Long values: names at the length limits. */
static void
test_lengths(void **state)
{
	struct config conf;
	char	 text[1024], err[512], label[64];

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	(void)snprintf(text, sizeof(text), "domain %s.example", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	config_free_contents(&conf);
	(void)snprintf(text, sizeof(text), "domain b%s.example", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	config_free_contents(&conf);
	/* 4 * 63 + 3 dots = 255 > 253 */
	(void)snprintf(text, sizeof(text), "domain %s.%s.%s.%s", label, label,
	    label, label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	config_free_contents(&conf);
	/* kid of 63 ok, 64 not */
	(void)snprintf(text, sizeof(text), "jwt-key %s HS256 k", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	config_free_contents(&conf);
	(void)snprintf(text, sizeof(text), "jwt-key x%s HS256 k", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "t:1: jwt-key: kid too long (max 63 bytes)");
	config_free_contents(&conf);
	/* redis-prefix of 63 ok, 64 not */
	(void)snprintf(text, sizeof(text), "redis-prefix %s", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	config_free_contents(&conf);
	(void)snprintf(text, sizeof(text), "redis-prefix x%s", label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "t:1: redis-prefix: too long (max 63 bytes)");
	config_free_contents(&conf);
	(void)snprintf(text, sizeof(text), "jwt-issuer %s%s", label, label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), 0);
	config_free_contents(&conf);
	(void)snprintf(text, sizeof(text), "jwt-issuer %s%s%s", label, label,
	    label);
	assert_int_equal(parse(text, &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "t:1: jwt-issuer: too long (max 127 bytes)");
	config_free_contents(&conf);
}

/* The error buffer is always NUL-terminated, even when tiny. */
static void
test_err_truncation(void **state)
{
	struct config conf;
	char	 err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("bogus", &conf, err, sizeof(err)), -1);
	assert_string_equal(err, "t:1: un");
	config_free_contents(&conf);
	assert_int_equal(parse("bogus", &conf, NULL, 0), -1);
	config_free_contents(&conf);
}

static void
test_alg_names(void **state)
{
	static const char *const names[] = { "HS256", "HS384", "HS512",
	    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512" };
	enum conf_alg alg;
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(names); i++) {
		assert_int_equal(config_alg_parse(names[i], &alg), 0);
		assert_string_equal(config_alg_name(alg), names[i]);
	}
	assert_int_equal(config_alg_parse("none", &alg), -1);
	assert_int_equal(config_alg_parse("HS256 ", &alg), -1);
	assert_int_equal(config_alg_parse("", &alg), -1);
}

static void
test_trusted(void **state)
{
	static const struct {
		int		 family;
		const char	*addr;
		int		 want;
	} v[] = {
		{ AF_INET, "10.1.2.3", 1 },
		{ AF_INET, "11.0.0.1", 0 },
		{ AF_INET, "192.168.1.129", 1 },
		{ AF_INET, "192.168.1.127", 0 },
		{ AF_INET, "192.168.1.255", 1 },
		{ AF_INET, "172.16.0.1", 0 },
		{ AF_INET6, "::1", 1 },
		{ AF_INET6, "::2", 0 },
		{ AF_INET6, "2001:db8:ffff::1", 1 },
		{ AF_INET6, "2001:db9::1", 0 },
		{ AF_INET6, "::ffff:10.9.9.9", 1 },	/* mapped */
		{ AF_INET6, "::ffff:11.9.9.9", 0 },
		{ AF_INET6, "::a09:909", 0 },	/* not mapped */
	};
	struct config conf;
	unsigned char a[16];
	char	 err[256];
	size_t	 i;

	(void)state;
	assert_int_equal(parse("trusted-proxy 10.0.0.0/8\n"
	    "trusted-proxy 192.168.1.128/25\n"
	    "trusted-proxy ::1\n"
	    "trusted-proxy 2001:db8::/32\n", &conf, err, sizeof(err)), 0);
	for (i = 0; i < DB_ARRLEN(v); i++) {
		assert_int_equal(inet_pton(v[i].family, v[i].addr, a), 1);
		if (config_is_trusted(&conf, v[i].family, a) != v[i].want)
			fail_msg("%s: want %d", v[i].addr, v[i].want);
	}
	assert_int_equal(config_is_trusted(&conf, AF_UNIX, a), 0);
	config_free_contents(&conf);

	/* None configured: nothing is trusted; /0 trusts everything. */
	assert_int_equal(parse("", &conf, err, sizeof(err)), 0);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", a), 1);
	assert_int_equal(config_is_trusted(&conf, AF_INET, a), 0);
	config_free_contents(&conf);
	assert_int_equal(parse("trusted-proxy 0.0.0.0/0", &conf, err,
	    sizeof(err)), 0);
	assert_int_equal(config_is_trusted(&conf, AF_INET, a), 1);
	assert_int_equal(inet_pton(AF_INET6, "::1", a), 1);
	assert_int_equal(config_is_trusted(&conf, AF_INET6, a), 0);
	config_free_contents(&conf);
}

/* config_load: files in a private temporary directory. */

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char	 cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write tmpdir/name with mode; returns the full path (static buffer). */
static const char *
put_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	(void)unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char *
put_str(const char *name, const char *s, mode_t mode)
{
	return put_file(name, s, strlen(s), mode);
}

/* Generate a key and write its public (or private) PEM to tmpdir/name. */
static void
put_pem(const char *name, const char *type, const char *param, size_t bits,
    int private)
{
	char	 path[256];
	EVP_PKEY *pk;
	FILE	*f;

	if (strcmp(type, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	assert_non_null(pk);
	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (private)
		assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0,
		    NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	EVP_PKEY_free(pk);
}

#define SECRET	"0123456789abcdef0123456789abcdef"	/* 32 bytes */
#define BASE	"listen 127.0.0.1:0\ndomain sbx.test\n"

/* Load conf text as tmpdir/d.conf; returns the config or NULL + err. */
static struct config *
load(const char *text, char *err, size_t errlen, char *cfpath, size_t cflen)
{
	const char *p = put_str("d.conf", text, 0644);

	(void)str_lcpy(cfpath, p, cflen);
	return config_load(cfpath, err, errlen);
}

static void
test_load_ok(void **state)
{
	struct config *conf;
	char	 err[512], cf[256];

	(void)state;
	put_str("hs.key", SECRET "\n", 0600);
	put_str("hs2.key", SECRET "xyz\r\n", 0400);
	put_pem("rs.pem", "RSA", NULL, 2048, 0);
	put_pem("es256.pem", "EC", "P-256", 0, 0);
	put_pem("es384.pem", "EC", "P-384", 0, 0);
	put_pem("es512.pem", "EC", "P-521", 0, 0);
	conf = load(BASE
	    "jwt-key hs HS256 hs.key\n"
	    "jwt-key hs2 HS512 hs2.key\n"
	    "jwt-key rs RS256 rs.pem\n"
	    "jwt-key rs5 RS512 rs.pem\n"
	    "jwt-key es ES256 es256.pem\n"
	    "jwt-key es3 ES384 es384.pem\n"
	    "jwt-key es5 ES512 es512.pem\n", err, sizeof(err), cf, sizeof(cf));
	if (conf == NULL)
		fail_msg("%s", err);
	assert_string_equal(conf->path, cf);
	assert_int_equal(conf->njwt_keys, 7);
	assert_int_equal(conf->jwt_keys[0].keylen, 32);
	assert_memory_equal(conf->jwt_keys[0].key, SECRET, 32);
	assert_int_equal(conf->jwt_keys[1].keylen, 35);
	assert_memory_equal(conf->jwt_keys[1].key, SECRET "xyz", 35);
	assert_non_null(strstr((char *)conf->jwt_keys[2].key,
	    "-----BEGIN PUBLIC KEY-----"));
	assert_int_equal(strlen((char *)conf->jwt_keys[2].key),
	    conf->jwt_keys[2].keylen);
	assert_non_null(strstr((char *)conf->jwt_keys[4].key,
	    "-----BEGIN PUBLIC KEY-----"));
	config_free(conf);
	config_free(NULL);

	/* Absolute key path; path-host alone satisfies the host check. */
	{
		char	 text[512];

		(void)snprintf(text, sizeof(text), "listen 127.0.0.1:0\n"
		    "path-host app.test\njwt-key a HS384 %s/hs.key\n", tmpdir);
		conf = load(text, err, sizeof(err), cf, sizeof(cf));
		if (conf == NULL)
			fail_msg("%s", err);
		assert_int_equal(conf->jwt_keys[0].keylen, 32);
		config_free(conf);
	}
}

static void
test_load_bad(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;	/* after "<cf>:" */
	} v[] = {
		{ "domain a.test\njwt-key k HS256 hs.key\n",
		    "0: no listen directive" },
		{ "listen 127.0.0.1:0\njwt-key k HS256 hs.key\n",
		    "0: no domain or path-host directive" },
		{ BASE, "0: no jwt-key directive" },
		{ BASE "bogus\n", "3: unknown directive \"bogus\"" },
		{ BASE "jwt-key k HS256 world.key\n", "3: key file world.key "
		    "is readable by group or others (chmod 600)" },
		{ BASE "jwt-key k HS256 group.key\n", "3: key file group.key "
		    "is readable by group or others (chmod 600)" },
		{ BASE "jwt-key k HS256 gw.key\n", "3: key file gw.key "
		    "is writable by group or others (chmod 600)" },
		{ BASE "jwt-key k HS256 short.key\n", "3: key file short.key: "
		    "secret is 31 bytes, HS256 needs at least 32" },
		{ BASE "jwt-key k HS256 empty.key\n", "3: key file empty.key: "
		    "secret is 0 bytes, HS256 needs at least 32" },
		{ BASE "jwt-key k HS256 nl2.key\n", "3: key file nl2.key: "
		    "secret is 31 bytes, HS256 needs at least 32" },
		{ BASE "jwt-key k HS256 missing.key\n", "3: key file "
		    "missing.key: No such file or directory" },
		{ BASE "jwt-key k HS256 .\n",
		    "3: key file . is not a regular file" },
		{ BASE "jwt-key k HS256 pub600.pem\n", "3: key file pub600.pem "
		    "is PEM; HS256 needs a raw secret" },
		{ BASE "jwt-key k HS256 hs.key\njwt-key r RS256 es256.pem\n",
		    "4: key file es256.pem is not an RSA public key "
		    "(alg RS256)" },
		{ BASE "jwt-key r RS384 rs1024.pem\n", "3: key file rs1024.pem "
		    "is an RSA key shorter than 2048 bits (alg RS384)" },
		{ BASE "jwt-key e ES256 rs.pem\n", "3: key file rs.pem is not "
		    "an EC public key (alg ES256)" },
		{ BASE "jwt-key e ES384 es256.pem\n", "3: key file es256.pem "
		    "is not a P-384 key (alg ES384)" },
		{ BASE "jwt-key e ES256 es384.pem\n", "3: key file es384.pem "
		    "is not a P-256 key (alg ES256)" },
		{ BASE "jwt-key e ES512 es256.pem\n", "3: key file es256.pem "
		    "is not a P-521 key (alg ES512)" },
		{ BASE "jwt-key r RS256 priv.pem\n", "3: key file priv.pem "
		    "contains a private key; give RS256 the public key only" },
		{ BASE "jwt-key r RS256 hs.key\n", "3: key file hs.key is not "
		    "a PEM public key" },
		{ BASE "jwt-key r RS256 pubww.pem\n", "3: key file pubww.pem "
		    "is writable by others (chmod 644)" },
	};
	struct config *conf;
	char	 err[512], cf[256], want[512];
	size_t	 i;

	(void)state;
	put_str("hs.key", SECRET, 0600);
	put_str("world.key", SECRET, 0604);
	put_str("group.key", SECRET, 0640);
	put_str("gw.key", SECRET, 0620);
	put_str("short.key", "123456789abcdef0123456789abcdef\n", 0600);
	put_str("empty.key", "", 0600);
	/* only one trailing newline is stripped: 30 + "\n" = 31 */
	put_str("nl2.key", "23456789abcdef0123456789abcdef\n\n", 0600);
	put_pem("pub600.pem", "EC", "P-256", 0, 0);
	put_pem("rs.pem", "RSA", NULL, 2048, 0);
	put_pem("rs1024.pem", "RSA", NULL, 1024, 0);
	put_pem("es256.pem", "EC", "P-256", 0, 0);
	put_pem("es384.pem", "EC", "P-384", 0, 0);
	put_pem("priv.pem", "RSA", NULL, 2048, 1);
	put_pem("pubww.pem", "EC", "P-256", 0, 0);
	{
		char	 p[256];

		(void)snprintf(p, sizeof(p), "%s/pubww.pem", tmpdir);
		assert_int_equal(chmod(p, 0646), 0);
		(void)snprintf(p, sizeof(p), "%s/pub600.pem", tmpdir);
		assert_int_equal(chmod(p, 0600), 0);
	}
	for (i = 0; i < DB_ARRLEN(v); i++) {
		conf = load(v[i].text, err, sizeof(err), cf, sizeof(cf));
		if (conf != NULL)
			fail_msg("accepted: %s", v[i].text);
		(void)snprintf(want, sizeof(want), "%s:%s", cf, v[i].err);
		if (strcmp(err, want) != 0)
			fail_msg("%s\n got  %s\n want %s", v[i].text, err,
			    want);
	}
}

static void
test_load_file(void **state)
{
	struct config *conf;
	char	 err[512], want[512], path[256];
	char	*big;
	size_t	 n = 1024 * 1024 + 1;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	assert_null(config_load(path, err, sizeof(err)));
	(void)snprintf(want, sizeof(want), "%s:0: cannot open: No such file "
	    "or directory", path);
	assert_string_equal(err, want);

	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	(void)str_lcpy(path, put_file("big.conf", big, n, 0644), sizeof(path));
	assert_null(config_load(path, err, sizeof(err)));
	(void)snprintf(want, sizeof(want), "%s:0: cannot read: larger than "
	    "1 MiB", path);
	assert_string_equal(err, want);
	free(big);

	/* A directory is not a config file. */
	assert_null(config_load(tmpdir, err, sizeof(err)));
	assert_int_equal(strncmp(err, tmpdir, strlen(tmpdir)), 0);

	/* Exactly 1 MiB is fine as far as size goes. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	memcpy(big, BASE "jwt-key k HS256 hs.key\n",
	    strlen(BASE "jwt-key k HS256 hs.key\n"));
	put_str("hs.key", SECRET, 0600);
	(void)str_lcpy(path, put_file("max.conf", big, n - 1, 0644),
	    sizeof(path));
	conf = config_load(path, err, sizeof(err));
	if (conf == NULL)
		fail_msg("%s", err);
	config_free(conf);
	free(big);
}

/* The line-length limit: 4096 bytes is fine, 4097 is an error. */
static void
test_line_limit(void **state)
{
	struct config conf;
	char	 err[256];
	char	*text;

	(void)state;
	text = malloc(4098);
	assert_non_null(text);
	memset(text, ' ', 4097);
	text[0] = '#';
	assert_int_equal(config_parse("t", text, 4096, &conf, err,
	    sizeof(err)), 0);
	config_free_contents(&conf);
	assert_int_equal(config_parse("t", text, 4097, &conf, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t:1: line too long (max 4096 bytes)");
	config_free_contents(&conf);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_numbers),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_err_truncation),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_trusted),
		cmocka_unit_test(test_load_ok),
		cmocka_unit_test(test_load_bad),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests_name("config", tests, setup_dir,
	    teardown_dir);
}
