/*
 * test_cookie.c -- authz/cookie.c: the session cookie (mint, verify,
 * rotation, every malformed shape), the Cookie header (find, strip,
 * duplicates), and the bootstrap `next` path (catalog E05 open-redirect
 * variants and E07 duplicate names at this layer).
 *
 * The expected MAC is computed here with OpenSSL directly, so the format
 * documented in docs/BROWSER.md is pinned by an independent encoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define NOW	1700000000
#define HOST	"8080-sbx1.sb.test"

static struct config conf;	/* keys "c1" (signs) and "c0" (old) */
static struct config conf_old;	/* only "c0" */
static struct config conf_none;	/* no cookie key */

static unsigned char c1_secret[] = "c1-cookie-secret-0123456789abcdef";
static unsigned char c0_secret[] = "c0-cookie-secret-0123456789abcdef";

static void
set_key(struct conf_jwt_key *k, const char *kid, unsigned char *s)
{
	memset(k, 0, sizeof(*k));
	(void)str_lcpy(k->kid, kid, sizeof(k->kid));
	k->alg = CONF_ALG_HS256;
	k->key = s;
	k->keylen = strlen((char *)s);
}

static int
setup(void **state)
{
	(void)state;
	config_defaults(&conf);
	set_key(&conf.cookie_keys[0], "c1", c1_secret);
	set_key(&conf.cookie_keys[1], "c0", c0_secret);
	conf.ncookie_keys = 2;
	config_defaults(&conf_old);
	set_key(&conf_old.cookie_keys[0], "c0", c0_secret);
	conf_old.ncookie_keys = 1;
	config_defaults(&conf_none);
	return 0;
}

/* Independent encoder: v1.<kid>.<exp>.<b64url(HMAC)>. */
static void
ref_cookie(const char *kid, const unsigned char *key, const char *exp,
    const char *host, char *out, size_t outsz)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char		 msg[1024], b64[64];
	unsigned char	 mac[32];
	unsigned int	 ml = 0;
	size_t		 i, n = 0;
	uint32_t	 v;
	int		 len;

	len = snprintf(msg, sizeof(msg), "drawbridge-cookie-v1.%s.%s.%s",
	    kid, exp, host);
	assert_true(len > 0 && (size_t)len < sizeof(msg));
	assert_non_null(HMAC(EVP_sha256(), key, (int)strlen((const char *)key),
	    (unsigned char *)msg, (size_t)len, mac, &ml));
	assert_int_equal(ml, 32);
	for (i = 0; i + 3 <= 32; i += 3) {
		v = (uint32_t)mac[i] << 16 | (uint32_t)mac[i + 1] << 8 |
		    mac[i + 2];
		b64[n++] = tab[v >> 18];
		b64[n++] = tab[(v >> 12) & 63];
		b64[n++] = tab[(v >> 6) & 63];
		b64[n++] = tab[v & 63];
	}
	v = (uint32_t)mac[30] << 16 | (uint32_t)mac[31] << 8;
	b64[n++] = tab[v >> 18];
	b64[n++] = tab[(v >> 12) & 63];
	b64[n++] = tab[(v >> 6) & 63];
	b64[n] = '\0';
	assert_int_equal(n, 43);
	len = snprintf(out, outsz, "v1.%s.%s.%s", kid, exp, b64);
	assert_true(len > 0 && (size_t)len < outsz);
}

static enum cookie_rc
verify(const struct config *c, const char *v, const char *host, time_t now)
{
	return cookie_verify(c, v, strlen(v), host, now);
}

/* ---- mint / verify ---- */

static void
t_mint_format(void **state)
{
	char	 buf[COOKIE_MAX_VALUE + 1], ref[512];
	int	 n;

	(void)state;
	n = cookie_mint(&conf, HOST, NOW + 3600, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	ref_cookie("c1", c1_secret, "1700003600", HOST, ref, sizeof(ref));
	assert_string_equal(buf, ref);
	assert_int_equal(verify(&conf, buf, HOST, NOW), COOKIE_OK);
	assert_int_equal(verify(&conf, buf, HOST, NOW + 3599), COOKIE_OK);
	/* Path-routed host binds the sandbox too. */
	n = cookie_mint(&conf, "px.sb.test/sandbox/sbx1", NOW + 60, buf,
	    sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(verify(&conf, buf, "px.sb.test/sandbox/sbx1", NOW),
	    COOKIE_OK);
	assert_int_equal(verify(&conf, buf, "px.sb.test/sandbox/sbx2", NOW),
	    COOKIE_BAD_SIGNATURE);
}

static void
t_mint_bad(void **state)
{
	char	 buf[COOKIE_MAX_VALUE + 1], small[40];

	(void)state;
	assert_int_equal(cookie_mint(&conf_none, HOST, NOW, buf, sizeof(buf)),
	    -1);
	assert_int_equal(cookie_mint(&conf, "", NOW, buf, sizeof(buf)), -1);
	assert_int_equal(cookie_mint(&conf, "A.sb.test", NOW, buf,
	    sizeof(buf)), -1);
	assert_int_equal(cookie_mint(&conf, "a b", NOW, buf, sizeof(buf)), -1);
	assert_int_equal(cookie_mint(&conf, HOST, 0, buf, sizeof(buf)), -1);
	assert_int_equal(cookie_mint(&conf, HOST, -5, buf, sizeof(buf)), -1);
	assert_int_equal(cookie_mint(&conf, HOST, NOW, small, sizeof(small)),
	    -1);
	assert_string_equal(small, "");
}

/* Other hosts: sibling sandbox, other port, runtime, port spelling. */
static void
t_other_hosts(void **state)
{
	static const char *const others[] = {
		"3000-sbx1.sb.test", "8080-sbx2.sb.test", "sbx1.sb.test",
		"08080-sbx1.sb.test", "8080-sbx1.sb.test.", "8080-sbx1.sb.tes",
		"px.sb.test/sandbox/sbx1", "8080-sbx1.other.test",
	};
	char	 buf[COOKIE_MAX_VALUE + 1];
	size_t	 i;

	(void)state;
	assert_true(cookie_mint(&conf, HOST, NOW + 60, buf, sizeof(buf)) > 0);
	for (i = 0; i < DB_ARRLEN(others); i++)
		assert_int_equal(verify(&conf, buf, others[i], NOW),
		    COOKIE_BAD_SIGNATURE);
	/* A host the proxy would never pass (upper case, empty). */
	assert_int_equal(verify(&conf, buf, "8080-SBX1.sb.test", NOW),
	    COOKIE_WRONG_HOST);
	assert_int_equal(verify(&conf, buf, "", NOW), COOKIE_WRONG_HOST);
}

static void
t_expiry(void **state)
{
	char	 buf[COOKIE_MAX_VALUE + 1];

	(void)state;
	assert_true(cookie_mint(&conf, HOST, NOW, buf, sizeof(buf)) > 0);
	assert_int_equal(verify(&conf, buf, HOST, NOW - 1), COOKIE_OK);
	assert_int_equal(verify(&conf, buf, HOST, NOW), COOKIE_EXPIRED);
	assert_int_equal(verify(&conf, buf, HOST, NOW + 1), COOKIE_EXPIRED);
}

static void
t_rotation(void **state)
{
	char	 buf[COOKIE_MAX_VALUE + 1];

	(void)state;
	/* Minted by the old config (c0 signs), still verified after c1 was
	 * put in front; dropped keys make cookies unknown. */
	assert_true(cookie_mint(&conf_old, HOST, NOW + 60, buf,
	    sizeof(buf)) > 0);
	assert_memory_equal(buf, "v1.c0.", 6);
	assert_int_equal(verify(&conf, buf, HOST, NOW), COOKIE_OK);
	assert_true(cookie_mint(&conf, HOST, NOW + 60, buf, sizeof(buf)) > 0);
	assert_int_equal(verify(&conf_old, buf, HOST, NOW),
	    COOKIE_UNKNOWN_KEY);
	assert_int_equal(verify(&conf_none, buf, HOST, NOW),
	    COOKIE_UNKNOWN_KEY);
}

struct bad_vec {
	const char	*name;
	const char	*val;		/* NULL: built from `fmt` below */
	enum cookie_rc	 want;
};

/*
 * A good cookie for HOST at NOW+60 is G; vectors are written against its
 * fields: "%M" in a value is replaced by G's MAC.
 */
static const struct bad_vec bad_vecs[] = {
	{ "empty", "", COOKIE_MALFORMED },
	{ "version 2", "v2.c1.1700000060.%M", COOKIE_MALFORMED },
	{ "version upper", "V1.c1.1700000060.%M", COOKIE_MALFORMED },
	{ "no version", "c1.1700000060.%M", COOKIE_MALFORMED },
	{ "extra field", "v1.c1.1700000060.%M.x", COOKIE_MALFORMED },
	{ "trailing dot", "v1.c1.1700000060.%M.", COOKIE_MALFORMED },
	{ "empty kid", "v1..1700000060.%M", COOKIE_MALFORMED },
	{ "kid with space", "v1.c 1.1700000060.%M", COOKIE_MALFORMED },
	{ "unknown kid", "v1.c9.1700000060.%M", COOKIE_UNKNOWN_KEY },
	{ "kid case", "v1.C1.1700000060.%M", COOKIE_UNKNOWN_KEY },
	{ "exp leading zero", "v1.c1.01700000060.%M", COOKIE_MALFORMED },
	{ "exp zero", "v1.c1.0.%M", COOKIE_MALFORMED },
	{ "exp plus", "v1.c1.+1700000060.%M", COOKIE_MALFORMED },
	{ "exp minus", "v1.c1.-1700000060.%M", COOKIE_MALFORMED },
	{ "exp space", "v1.c1. 1700000060.%M", COOKIE_MALFORMED },
	{ "exp hex", "v1.c1.0x65536a7c.%M", COOKIE_MALFORMED },
	{ "exp 2^63", "v1.c1.9223372036854775808.%M", COOKIE_MALFORMED },
	{ "exp 20 digits", "v1.c1.17000000600000000000.%M", COOKIE_MALFORMED },
	{ "exp changed", "v1.c1.1700000061.%M", COOKIE_BAD_SIGNATURE },
	{ "exp far future", "v1.c1.9999999999.%M", COOKIE_BAD_SIGNATURE },
	{ "kid swapped", "v1.c0.1700000060.%M", COOKIE_BAD_SIGNATURE },
	{ "mac empty", "v1.c1.1700000060.", COOKIE_MALFORMED },
	{ "mac short", "v1.c1.1700000060.AAAA", COOKIE_MALFORMED },
	{ "mac zero", "v1.c1.1700000060."
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    COOKIE_BAD_SIGNATURE },
	{ "mac spare bits", "v1.c1.1700000060."
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", COOKIE_MALFORMED },
	{ "mac padded", "v1.c1.1700000060.%M=", COOKIE_MALFORMED },
	{ "mac std b64", "v1.c1.1700000060."
	    "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", COOKIE_MALFORMED },
	{ "mac slash", "v1.c1.1700000060."
	    "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", COOKIE_MALFORMED },
	{ "quoted", "\"v1.c1.1700000060.%M\"", COOKIE_MALFORMED },
	{ "leading space", " v1.c1.1700000060.%M", COOKIE_MALFORMED },
	{ "trailing space", "v1.c1.1700000060.%M ", COOKIE_MALFORMED },
	{ "NUL inside", "v1.c1.1700000060.%M\0", COOKIE_MALFORMED },
};

static void
t_bad_values(void **state)
{
	char	 good[COOKIE_MAX_VALUE + 1], val[1024];
	const char *mac;
	size_t	 i, o, len;

	(void)state;
	assert_true(cookie_mint(&conf, HOST, NOW + 60, good,
	    sizeof(good)) > 0);
	assert_int_equal(verify(&conf, good, HOST, NOW), COOKIE_OK);
	mac = strrchr(good, '.') + 1;
	for (i = 0; i < DB_ARRLEN(bad_vecs); i++) {
		const char *s = bad_vecs[i].val;

		for (o = 0; *s != '\0'; s++) {
			if (s[0] == '%' && s[1] == 'M') {
				memcpy(val + o, mac, strlen(mac));
				o += strlen(mac);
				s++;
			} else
				val[o++] = *s;
		}
		val[o] = '\0';
		len = o;
		if (strcmp(bad_vecs[i].name, "NUL inside") == 0)
			len++;		/* the NUL is part of the span */
		if (cookie_verify(&conf, val, len, HOST, NOW) !=
		    bad_vecs[i].want)
			fail_msg("%s: got %s, want %s", bad_vecs[i].name,
			    cookie_code(cookie_verify(&conf, val, len, HOST,
			    NOW)), cookie_code(bad_vecs[i].want));
	}
}

/* Every single-character change of a good cookie is refused. */
static void
t_tamper_each_byte(void **state)
{
	char	 good[COOKIE_MAX_VALUE + 1], t[COOKIE_MAX_VALUE + 1];
	size_t	 i, len;
	const char *subst = "A_-.0z9";

	(void)state;
	len = (size_t)cookie_mint(&conf, HOST, NOW + 60, good, sizeof(good));
	for (i = 0; i < len; i++) {
		const char *c;

		for (c = subst; *c != '\0'; c++) {
			if (*c == good[i])
				continue;
			memcpy(t, good, len + 1);
			t[i] = *c;
			assert_int_not_equal(cookie_verify(&conf, t, len, HOST,
			    NOW), COOKIE_OK);
		}
		/* Truncated at i. */
		assert_int_not_equal(cookie_verify(&conf, good, i, HOST, NOW),
		    COOKIE_OK);
	}
	/* Longer than the ceiling. */
	memset(t, 'A', sizeof(t));
	assert_int_equal(cookie_verify(&conf, t, COOKIE_MAX_VALUE + 1, HOST,
	    NOW), COOKIE_MALFORMED);
}

static void
t_codes(void **state)
{
	(void)state;
	assert_string_equal(cookie_code(COOKIE_OK), "ok");
	assert_string_equal(cookie_code(COOKIE_MALFORMED), "cookie_malformed");
	assert_string_equal(cookie_code(COOKIE_UNKNOWN_KEY),
	    "cookie_unknown_key");
	assert_string_equal(cookie_code(COOKIE_BAD_SIGNATURE),
	    "cookie_bad_signature");
	assert_string_equal(cookie_code(COOKIE_EXPIRED), "cookie_expired");
	assert_string_equal(cookie_code(COOKIE_WRONG_HOST),
	    "cookie_wrong_host");
	assert_string_equal(cookie_code((enum cookie_rc)99), "cookie_invalid");
}

/* ---- Cookie header ---- */

struct hdr_vec {
	const char	*hdr;
	int		 rc;		/* cookie_find */
	const char	*val;		/* found value */
	const char	*stripped;	/* cookie_strip output */
};

static const struct hdr_vec hdr_vecs[] = {
	{ "", 0, NULL, "" },
	{ "a=1", 0, NULL, "a=1" },
	{ "__Host-drawbridge=v1.x", 1, "v1.x", "" },
	{ "a=1; __Host-drawbridge=V; b=2", 1, "V", "a=1; b=2" },
	{ "a=1;__Host-drawbridge=V;b=2", 1, "V", "a=1; b=2" },
	{ "  a=1 ;\t__Host-drawbridge = V ;  b=2  ", 1, "V", "a=1; b=2" },
	{ ";;__Host-drawbridge=V;;", 1, "V", "" },
	{ "a=x=y; __Host-drawbridge=V", 1, "V", "a=x=y" },
	{ "a=\"q; r\"; __Host-drawbridge=V", 1, "V", "a=\"q; r\"" },
	{ "__Host-drawbridge=", 1, "", "" },
	{ "nameless; __Host-drawbridge=V", 1, "V", "nameless" },
	{ "__Host-drawbridge; a=1", 0, NULL, "__Host-drawbridge; a=1" },
	{ "__Host-drawbridgeX=V; a=1", 0, NULL, "__Host-drawbridgeX=V; a=1" },
	{ "X__Host-drawbridge=V", 0, NULL, "X__Host-drawbridge=V" },
	{ "__host-drawbridge=V", 0, NULL, "__host-drawbridge=V" },
	{ "drawbridge=V", 0, NULL, "drawbridge=V" },
	/* E07: our name twice, in any order, even with the same value. */
	{ "__Host-drawbridge=A; __Host-drawbridge=B", -1, NULL, "" },
	{ "__Host-drawbridge=a;__Host-drawbridge=a", -1, NULL, "" },
	{ "x=1; __Host-drawbridge=A; y=2; __Host-drawbridge=B; z=3", -1,
	    NULL, "x=1; y=2; z=3" },
	{ "a=1;b=2;c=3", 0, NULL, "a=1; b=2; c=3" },
};

static void
t_find_strip(void **state)
{
	char		 out[512];
	const char	*v;
	size_t		 i, vl, ol;
	int		 rc;

	(void)state;
	for (i = 0; i < DB_ARRLEN(hdr_vecs); i++) {
		const struct hdr_vec *t = &hdr_vecs[i];

		rc = cookie_find(t->hdr, strlen(t->hdr), &v, &vl);
		if (rc != t->rc)
			fail_msg("find \"%s\": rc %d want %d", t->hdr, rc,
			    t->rc);
		if (t->val != NULL) {
			assert_non_null(v);
			if (vl != strlen(t->val) ||
			    memcmp(v, t->val, vl) != 0)
				fail_msg("find \"%s\": value \"%.*s\"", t->hdr,
				    (int)vl, v);
		} else
			assert_null(v);
		assert_int_equal(cookie_strip(t->hdr, strlen(t->hdr), out,
		    sizeof(out), &ol), 0);
		assert_int_equal(ol, strlen(out));
		if (strcmp(out, t->stripped) != 0)
			fail_msg("strip \"%s\": \"%s\" want \"%s\"", t->hdr,
			    out, t->stripped);
	}
}

static void
t_strip_sizes(void **state)
{
	const char *h = "__Host-drawbridge=V;a;b;c;d", *v;
	char	 out[64];
	size_t	 ol, n, vl;

	(void)state;
	/* Output grows ("; " joins); 2 * len + 1 always fits. */
	assert_int_equal(cookie_strip(h, strlen(h), out, sizeof(out), &ol), 0);
	assert_string_equal(out, "a; b; c; d");
	for (n = 0; n <= 10; n++) {
		assert_int_equal(cookie_strip(h, strlen(h), out, n, &ol), -1);
		assert_int_equal(ol, 0);
		if (n > 0)
			assert_string_equal(out, "");
	}
	assert_int_equal(cookie_strip(h, strlen(h), out, 11, &ol), 0);
	assert_int_equal(ol, 10);
	/* Span, not C string: bytes past len are ignored. */
	assert_int_equal(cookie_find("a=1; __Host-drawbridge=V", 5, &v, &vl),
	    0);
}

/* ---- next ---- */

struct next_vec {
	const char	*raw;
	int		 rc;
	const char	*want;
};

static const struct next_vec next_vecs[] = {
	/* Good: same-host paths. */
	{ "/", 0, "/" },
	{ "/app", 0, "/app" },
	{ "%2Fapp%3Fx%3D1", 0, "/app?x=1" },
	{ "/app?x=1&y=2#frag", 0, "/app?x=1&y=2#frag" },
	{ "/a/../b/./c", 0, "/a/../b/./c" },
	{ "/.well-known/x", 0, "/.well-known/x" },
	{ "/files/a%252Fb", 0, "/files/a%2Fb" },
	{ "/sp%20ace", 0, "/sp%20ace" },
	{ "/q%3Fa%3D%22x%22", 0, "/q?a=%22x%22" },
	{ "/50%2525off", 0, "/50%25off" },
	{ "/50%25off", 0, "/50%25off" },
	{ "/a:b@c!$&'()*+,;=~", 0, "/a:b@c!$&'()*+,;=~" },
	{ "/%7Bx%7D%5B%5D%60%5E%7C%3C%3E", 0, "/%7Bx%7D%5B%5D%60%5E%7C%3C%3E" },
	{ "/_hb/auth?grant=x", 0, "/_hb/auth?grant=x" },
	/* E05: absolute and scheme-relative. */
	{ "https://evil.example/", -1, "/" },
	{ "https%3A%2F%2Fevil.example%2F", -1, "/" },
	{ "//evil.example", -1, "/" },
	{ "%2F%2Fevil.example", -1, "/" },
	{ "%2f%2fevil.example", -1, "/" },
	{ "/%2F/evil.example", -1, "/" },
	{ "/%2f/evil.example", -1, "/" },
	{ "///evil.example", -1, "/" },
	/* Backslashes, raw and encoded, anywhere. */
	{ "/\\evil.example", -1, "/" },
	{ "\\/evil.example", -1, "/" },
	{ "/%5Cevil.example", -1, "/" },
	{ "/%5cevil.example", -1, "/" },
	{ "%5C%5Cevil.example", -1, "/" },
	{ "/ok/%5C", -1, "/" },
	/* Tab, CR, LF, NUL, DEL, raw and encoded. */
	{ "/\t/evil.example", -1, "/" },
	{ "/%09/evil.example", -1, "/" },
	{ "/%0a/evil.example", -1, "/" },
	{ "/%0A/evil.example", -1, "/" },
	{ "/%0d%0aSet-Cookie:%20x=y", -1, "/" },
	{ "/%00", -1, "/" },
	{ "/a%7f", -1, "/" },
	{ "/a\x01", -1, "/" },
	/* Leading space, schemes, relative. */
	{ " /evil", -1, "/" },
	{ "%20/evil", -1, "/" },
	{ "javascript:alert(1)", -1, "/" },
	{ "javascript%3Aalert(1)", -1, "/" },
	{ "data:text/html,x", -1, "/" },
	{ "http:/evil.example", -1, "/" },
	{ "https:evil.example", -1, "/" },
	{ "evil.example", -1, "/" },
	{ "./x", -1, "/" },
	{ "", -1, "/" },
	{ "?x=1", -1, "/" },
	{ "#x", -1, "/" },
	/* Double encoding that decodes to a redirect once more. */
	{ "/%252F/evil.example", -1, "/" },
	{ "%252F%252Fevil.example", -1, "/" },
	{ "/%255Cevil.example", -1, "/" },
	{ "/%2509/evil", -1, "/" },
	{ "/x%2500", -1, "/" },
	/* Broken escapes and non-ASCII. */
	{ "/%", -1, "/" },
	{ "/%2", -1, "/" },
	{ "/%zz", -1, "/" },
	{ "/%C3%A9", -1, "/" },
	{ "/\xc3\xa9", -1, "/" },
	{ "/%E2%80%AE", -1, "/" },
	{ "/%EF%BC%8F%EF%BC%8Fevil", -1, "/" },
};

static void
t_next(void **state)
{
	char	 out[COOKIE_MAX_NEXT + 1];
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < DB_ARRLEN(next_vecs); i++) {
		const struct next_vec *t = &next_vecs[i];

		memset(out, 'X', sizeof(out));
		rc = cookie_next_path(t->raw, strlen(t->raw), out,
		    sizeof(out));
		if (rc != t->rc || strcmp(out, t->want) != 0)
			fail_msg("next \"%s\": rc %d \"%s\", want %d \"%s\"",
			    t->raw, rc, out, t->rc, t->want);
		/* Whatever comes out is one '/' then not '/' or '\'. */
		assert_int_equal(out[0], '/');
		assert_true(out[1] != '/' && out[1] != '\\');
	}
}

static void
t_next_limits(void **state)
{
	static char raw[16 * 1024 + 1], out[COOKIE_MAX_NEXT + 1];
	char	 tiny[4];

	(void)state;
	/* A 16 KiB path. */
	raw[0] = '/';
	memset(raw + 1, 'a', sizeof(raw) - 2);
	raw[sizeof(raw) - 1] = '\0';
	assert_int_equal(cookie_next_path(raw, strlen(raw), out, sizeof(out)),
	    -1);
	assert_string_equal(out, "/");
	/* Exactly COOKIE_MAX_NEXT fits; one more does not. */
	assert_int_equal(cookie_next_path(raw, COOKIE_MAX_NEXT, out,
	    sizeof(out)), 0);
	assert_int_equal(strlen(out), COOKIE_MAX_NEXT);
	assert_int_equal(cookie_next_path(raw, COOKIE_MAX_NEXT + 1, out,
	    sizeof(out)), -1);
	/* Re-encoding that outgrows the limit. */
	memset(raw + 1, '"', COOKIE_MAX_NEXT - 1);
	assert_int_equal(cookie_next_path(raw, COOKIE_MAX_NEXT, out,
	    sizeof(out)), -1);
	/* Small output buffers. */
	assert_int_equal(cookie_next_path("/abcdef", 7, tiny, sizeof(tiny)),
	    -1);
	assert_string_equal(tiny, "/");
	assert_int_equal(cookie_next_path("/ab", 3, tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "/ab");
	assert_int_equal(cookie_next_path("/ab", 3, tiny, 1), -1);
	assert_string_equal(tiny, "");
	assert_int_equal(cookie_next_path(NULL, 0, tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "/");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_mint_format),
		cmocka_unit_test(t_mint_bad),
		cmocka_unit_test(t_other_hosts),
		cmocka_unit_test(t_expiry),
		cmocka_unit_test(t_rotation),
		cmocka_unit_test(t_bad_values),
		cmocka_unit_test(t_tamper_each_byte),
		cmocka_unit_test(t_codes),
		cmocka_unit_test(t_find_strip),
		cmocka_unit_test(t_strip_sizes),
		cmocka_unit_test(t_next),
		cmocka_unit_test(t_next_limits),
	};

	return cmocka_run_group_tests_name("cookie", tests, setup, NULL);
}
