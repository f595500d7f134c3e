/*
 * tokcache.c -- per-worker cache of verified bearer tokens.
 *
 * Direct-mapped: slot = FNV-1a(token) & mask.  A slot keeps a copy of the
 * token and its verified claims; a hit needs the very same bytes
 * (CRYPTO_memcmp, so probing cannot learn a cached token by timing) and
 * claims.exp > now: the cache never extends a token past its own exp (the
 * verifier's leeway only makes it a miss, then a fresh verify).  Only
 * tokens jwt_verify() accepted enter, each at most TOKCACHE_MAX_TOKEN
 * bytes, so memory is bounded at slots * (sizeof(struct tokcache_slot) +
 * the size of legitimately minted tokens).  An earlier
 * version keyed slots by SHA-256: exact, but the hash was 12% of a small
 * request's instructions (bench/README.md).  A crafted collision of the
 * unkeyed index only evicts; it can never produce a hit.
 *
 * Only tokens that jwt_verify() accepted may be put.  The cached result is
 * only as good as the config it was verified under: a worker must start a
 * new cache when it switches to a new config snapshot.
 *
 * Not thread-safe by design: one cache per worker thread.  Every function
 * accepts NULL, meaning "caching disabled".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/common.h"
#include "config/config.h"
#include "authz/authz.h"

/* Largest cache we build, whatever was asked for (the config's own cap;
 * 1M slots is about 200 MB). */
#define TOKCACHE_MAX_SLOTS	(1u << 20)
#define TOKCACHE_MAX_TOKEN	CONF_MAX_TOKEN_BYTES /* only verified tokens enter */

struct tokcache_slot {
	char		*tok;		/* owned copy; NULL: empty slot */
	size_t		 len;
	struct authz_claims claims;
};

struct tokcache {
	size_t		 mask;
	size_t		 nslots;		/* 0: never hits */
	struct tokcache_slot *slots;
};

/*
 * A cache of at least `slots` entries rounded up to a power of two (capped
 * at TOKCACHE_MAX_SLOTS).  0 returns a cache that never hits.  Returns NULL
 * on allocation failure.  Free with tokcache_free().
 */
struct tokcache *
tokcache_new(size_t slots)
{
	struct tokcache	*tc;
	size_t		 n = 1;

	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return NULL;
	if (slots == 0)
		return tc;
	if (slots > TOKCACHE_MAX_SLOTS)
		slots = TOKCACHE_MAX_SLOTS;
	while (n < slots)
		n <<= 1;
	if ((tc->slots = calloc(n, sizeof(*tc->slots))) == NULL) {
		free(tc);
		return NULL;
	}
	tc->nslots = n;
	tc->mask = n - 1;
	return tc;
}

static void
tokcache_clear(struct tokcache_slot *s)
{
	if (s->tok != NULL) {
		OPENSSL_cleanse(s->tok, s->len);	/* a live credential */
		free(s->tok);
	}
	s->tok = NULL;
	s->len = 0;
}

void
tokcache_free(struct tokcache *tc)
{
	size_t	 i;

	if (tc == NULL)
		return;
	for (i = 0; i < tc->nslots; i++)
		tokcache_clear(&tc->slots[i]);
	free(tc->slots);
	free(tc);
}

/* The slot for tok; NULL if caching is off or tok is not cacheable. */
static struct tokcache_slot *
tokcache_slot(struct tokcache *tc, const char *tok, size_t len)
{
	if (tc == NULL || tc->nslots == 0 || tok == NULL || len == 0 ||
	    len > TOKCACHE_MAX_TOKEN)
		return NULL;
	return &tc->slots[str_hash(tok, len) & tc->mask];
}

int
tokcache_get(struct tokcache *tc, const char *tok, size_t len, time_t now,
    struct authz_claims *out)
{
	struct tokcache_slot *s;

	if ((s = tokcache_slot(tc, tok, len)) == NULL || s->tok == NULL ||
	    s->len != len || CRYPTO_memcmp(s->tok, tok, len) != 0)
		return 0;
	if (s->claims.exp <= (int64_t)now) {
		tokcache_clear(s);	/* expired: free the slot */
		return 0;
	}
	*out = s->claims;
	return 1;
}

void
tokcache_put(struct tokcache *tc, const char *tok, size_t len,
    const struct authz_claims *c)
{
	struct tokcache_slot *s;
	char	*copy;

	if (c == NULL || (s = tokcache_slot(tc, tok, len)) == NULL ||
	    (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, tok, len);
	tokcache_clear(s);
	s->tok = copy;
	s->len = len;
	s->claims = *c;
}
