/*
 * test_tokcache.c -- authz/tokcache.c: hits, misses, expiry, collisions,
 * the disabled cache, bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define NOW	1700000000

static struct authz_claims
claims(const char *sbx, int64_t exp, uint16_t port)
{
	struct authz_claims c;

	memset(&c, 0, sizeof(c));
	str_lcpy(c.sbx, sbx, sizeof(c.sbx));
	str_lcpy(c.kid, "k1", sizeof(c.kid));
	c.iat = NOW - 10;
	c.exp = exp;
	c.port = port;
	return c;
}

static void
test_hit_miss(void **state)
{
	struct tokcache	*tc = tokcache_new(16);
	struct authz_claims c = claims("sbx1", NOW + 60, 8080), out;
	const char	*tok = "aaa.bbb.ccc";

	(void)state;
	assert_non_null(tc);
	assert_int_equal(tokcache_get(tc, tok, strlen(tok), NOW, &out), 0);
	tokcache_put(tc, tok, strlen(tok), &c);
	memset(&out, 0, sizeof(out));
	assert_int_equal(tokcache_get(tc, tok, strlen(tok), NOW, &out), 1);
	assert_memory_equal(&out, &c, sizeof(c));
	/* A prefix, an extension and a one-byte change all miss. */
	assert_int_equal(tokcache_get(tc, tok, strlen(tok) - 1, NOW, &out), 0);
	assert_int_equal(tokcache_get(tc, "aaa.bbb.ccc.", 12, NOW, &out), 0);
	assert_int_equal(tokcache_get(tc, "aaa.bbb.ccd", 11, NOW, &out), 0);
	assert_int_equal(tokcache_get(tc, "", 0, NOW, &out), 0);
	assert_int_equal(tokcache_get(tc, NULL, 0, NOW, &out), 0);
	tokcache_free(tc);
}

/* A hit needs exp > now; exp is the token's own (leeway is the verifier's). */
static void
test_expiry(void **state)
{
	static const struct {
		int64_t	 exp;
		time_t	 now;
		int	 hit;
	} v[] = {
		{ NOW + 1, NOW, 1 },
		{ NOW, NOW, 0 },
		{ NOW - 1, NOW, 0 },
		{ NOW + 3600, NOW + 3599, 1 },
		{ NOW + 3600, NOW + 3600, 0 },
		{ INT64_MAX, NOW, 1 },
		{ 0, NOW, 0 },
	};
	struct tokcache	*tc = tokcache_new(8);
	struct authz_claims c, out;
	size_t		 i;

	(void)state;
	assert_non_null(tc);
	for (i = 0; i < DB_ARRLEN(v); i++) {
		c = claims("sbx1", v[i].exp, 0);
		tokcache_put(tc, "t.t.t", 5, &c);
		assert_int_equal(tokcache_get(tc, "t.t.t", 5, v[i].now, &out),
		    v[i].hit);
	}
	/* Once seen expired, the slot stays empty even for an earlier now. */
	c = claims("sbx1", NOW, 0);
	tokcache_put(tc, "t.t.t", 5, &c);
	assert_int_equal(tokcache_get(tc, "t.t.t", 5, NOW, &out), 0);
	assert_int_equal(tokcache_get(tc, "t.t.t", 5, NOW - 100, &out), 0);
	tokcache_free(tc);
}

/* Direct-mapped: many tokens in a tiny cache evict each other but never
 * return another token's claims. */
static void
test_collisions(void **state)
{
	struct tokcache	*tc = tokcache_new(4);
	struct authz_claims c, out;
	char		 tok[32], sbx[32];
	int		 i, hits = 0;

	(void)state;
	assert_non_null(tc);
	for (i = 0; i < 200; i++) {
		snprintf(tok, sizeof(tok), "tok.%d.x", i);
		snprintf(sbx, sizeof(sbx), "sbx%d", i);
		c = claims(sbx, NOW + 60, 0);
		tokcache_put(tc, tok, strlen(tok), &c);
	}
	for (i = 0; i < 200; i++) {
		snprintf(tok, sizeof(tok), "tok.%d.x", i);
		snprintf(sbx, sizeof(sbx), "sbx%d", i);
		if (tokcache_get(tc, tok, strlen(tok), NOW, &out)) {
			assert_string_equal(out.sbx, sbx);
			hits++;
		}
	}
	assert_in_range(hits, 1, 4);
	tokcache_free(tc);
}

/* Size 0 and NULL: caching disabled, every call safe. */
static void
test_disabled(void **state)
{
	struct tokcache	*tc = tokcache_new(0);
	struct authz_claims c = claims("sbx1", NOW + 60, 0), out;

	(void)state;
	assert_non_null(tc);
	tokcache_put(tc, "a.b.c", 5, &c);
	assert_int_equal(tokcache_get(tc, "a.b.c", 5, NOW, &out), 0);
	tokcache_free(tc);

	tokcache_put(NULL, "a.b.c", 5, &c);
	assert_int_equal(tokcache_get(NULL, "a.b.c", 5, NOW, &out), 0);
	tokcache_free(NULL);
}

/* Tokens over the cap are never cached nor hashed; odd sizes round up. */
static void
test_bounds(void **state)
{
	struct tokcache	*tc = tokcache_new(3);
	struct authz_claims c = claims("sbx1", NOW + 60, 0), out;
	size_t		 big = CONF_MAX_TOKEN_BYTES + 1;
	char		*t = malloc(big);

	(void)state;
	assert_non_null(tc);
	assert_non_null(t);
	memset(t, 'a', big);
	tokcache_put(tc, t, big, &c);
	assert_int_equal(tokcache_get(tc, t, big, NOW, &out), 0);
	tokcache_put(tc, t, big - 1, &c);
	assert_int_equal(tokcache_get(tc, t, big - 1, NOW, &out), 1);
	tokcache_put(tc, "x.y.z", 5, NULL);	/* ignored */
	free(t);
	tokcache_free(tc);

	/* A huge request is capped, not an allocation failure. */
	tc = tokcache_new(SIZE_MAX);
	assert_non_null(tc);
	tokcache_put(tc, "a.b.c", 5, &c);
	assert_int_equal(tokcache_get(tc, "a.b.c", 5, NOW, &out), 1);
	tokcache_free(tc);
}

/* Put twice: the newer claims win. */
static void
test_overwrite(void **state)
{
	struct tokcache	*tc = tokcache_new(64);
	struct authz_claims a = claims("sbx1", NOW + 60, 0);
	struct authz_claims b = claims("sbx2", NOW + 120, 3000), out;

	(void)state;
	assert_non_null(tc);
	tokcache_put(tc, "a.b.c", 5, &a);
	tokcache_put(tc, "a.b.c", 5, &b);
	assert_int_equal(tokcache_get(tc, "a.b.c", 5, NOW, &out), 1);
	assert_string_equal(out.sbx, "sbx2");
	assert_int_equal(out.port, 3000);
	tokcache_free(tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_overwrite),
	};

	return cmocka_run_group_tests_name("tokcache", tests, NULL, NULL);
}
