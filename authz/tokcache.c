/*
 * tokcache.c -- per-worker cache of verified bearer tokens.
 *
 * Direct-mapped: slot = first bytes of SHA-256(token) & mask.  A slot keeps
 * the digest (never the token) and the verified claims, so memory is
 * bounded at slots * sizeof(struct tokcache_slot) (~200 bytes) whatever the
 * tokens look like.  A hit needs an equal digest (CRYPTO_memcmp) and
 * claims.exp > now: the cache never extends a token past its own exp (the
 * verifier's leeway only makes it a miss, then a fresh verify).
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
#include <openssl/sha.h>

#include "common/common.h"
#include "config/config.h"
#include "authz/authz.h"

/* Largest cache we build, whatever was asked for (the config's own cap;
 * 1M slots is about 200 MB). */
#define TOKCACHE_MAX_SLOTS	(1u << 20)

struct tokcache_slot {
	unsigned char	 digest[SHA256_DIGEST_LENGTH];
	int		 used;
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

void
tokcache_free(struct tokcache *tc)
{
	if (tc == NULL)
		return;
	free(tc->slots);	/* digests and claims: nothing secret */
	free(tc);
}

/* The slot for tok, with its digest in d; NULL if caching is off. */
static struct tokcache_slot *
tokcache_slot(struct tokcache *tc, const char *tok, size_t len,
    unsigned char *d)
{
	uint64_t h;

	if (tc == NULL || tc->nslots == 0 || tok == NULL || len == 0 ||
	    len > CONF_MAX_TOKEN_BYTES)
		return NULL;
	if (SHA256((const unsigned char *)tok, len, d) == NULL)
		return NULL;
	memcpy(&h, d, sizeof(h));
	return &tc->slots[h & tc->mask];
}

int
tokcache_get(struct tokcache *tc, const char *tok, size_t len, time_t now,
    struct authz_claims *out)
{
	unsigned char	 d[SHA256_DIGEST_LENGTH];
	struct tokcache_slot *s;

	if ((s = tokcache_slot(tc, tok, len, d)) == NULL || !s->used)
		return 0;
	if (CRYPTO_memcmp(s->digest, d, sizeof(d)) != 0)
		return 0;
	if (s->claims.exp <= (int64_t)now) {
		s->used = 0;	/* expired: free the slot */
		return 0;
	}
	*out = s->claims;
	return 1;
}

void
tokcache_put(struct tokcache *tc, const char *tok, size_t len,
    const struct authz_claims *c)
{
	unsigned char	 d[SHA256_DIGEST_LENGTH];
	struct tokcache_slot *s;

	if (c == NULL || (s = tokcache_slot(tc, tok, len, d)) == NULL)
		return;
	memcpy(s->digest, d, sizeof(d));
	s->claims = *c;
	s->used = 1;
}
