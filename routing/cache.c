/*
 * routing/cache.c -- the per-worker route cache in front of the store.
 *
 * One table per worker thread (no locks).  An entry is keyed by sandbox id
 * and is one of:
 *   POSITIVE  a parsed route (the cache holds one reference) until expires;
 *   NEGATIVE  "not found" (nil, or an invalid record) until expires;
 *   PENDING   no data yet, a fetch is in flight.
 * Any entry may also have a fetch in flight (a refresh of expired data).
 *
 * Lookups:
 *   fresh POSITIVE -> FOUND now; fresh NEGATIVE -> NOTFOUND now.  The hot
 *   path never waits on Redis for a sandbox it knows.
 *   otherwise -> join the id's fetch (one store_get_route per id in flight,
 *   however many lookups wait) and return PENDING; the callback runs from
 *   the store's callback, i.e. from the event loop, never from inside
 *   routes_lookup.  When the store is down or times out, an expired
 *   POSITIVE entry is served for route-stale past its expiry ("stale if
 *   error"), then ROUTES_UNAVAILABLE.  If the store is known to be down a
 *   lookup is answered at once (stale or UNAVAILABLE) without a fetch.
 *
 * A refresh that returns byte-identical JSON keeps the route object (and so
 * its generation and the upstream pool key); anything else loaded gets a
 * new route with the next generation of this cache.
 *
 * Invalidation (pub/sub): an id drops that entry, "*" or NULL (resubscribe)
 * drops all.  A fetch in flight for a dropped entry is detached: its
 * waiters get its answer, but the answer is not cached (it may predate
 * the change).
 *
 * Bounds: at most ROUTES_MAX_ENTRIES entries with data (evicting expired
 * entries first, then the oldest negative, then the oldest positive; the
 * age lists are in load order and TTLs are uniform per kind, so each list
 * head is also its earliest expiry) and ROUTES_MAX_FETCHES fetches in
 * flight (beyond that a lookup is answered like "store down").  The table
 * is keyed with SipHash-1-3 under a random key: ids come from Host headers.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "routing/routing.h"

#define ROUTES_MAX_ENTRIES	65536	/* entries with data, per worker */
#define ROUTES_MAX_FETCHES	4096	/* ids being fetched at once */
#define ROUTES_MIN_BUCKETS	64
#define ROUTES_MAX_BUCKETS	65536	/* power of two */

enum routes_kind {
	ENTRY_PENDING = 0,
	ENTRY_POSITIVE,
	ENTRY_NEGATIVE
};

struct routes_fetch;

struct routes_entry {
	struct routes_entry *next;		/* hash chain */
	TAILQ_ENTRY(routes_entry) age;		/* rt->pos or rt->neg */
	uint64_t	 hash;
	enum routes_kind kind;
	struct route	*route;		/* POSITIVE: the cache's reference */
	uint64_t	 vhash;		/* POSITIVE: hash of the record JSON */
	uint64_t	 expires;	/* ms, cache clock */
	struct routes_fetch *fetch;	/* in flight, or NULL */
	size_t		 idlen;
	char		 id[ROUTE_MAX_ID + 1];
};

TAILQ_HEAD(routes_age, routes_entry);

struct routes_req {
	TAILQ_ENTRY(routes_req) entry;	/* fetch->waiters */
	struct routes_fetch *fetch;
	routes_cb	*cb;
	void		*arg;
};

TAILQ_HEAD(routes_waiters, routes_req);

struct routes_fetch {
	TAILQ_ENTRY(routes_fetch) entry;	/* rt->fetches */
	struct routes	*rt;
	struct routes_entry *e;		/* NULL: detached, do not cache */
	struct store_req *sreq;
	struct routes_waiters waiters;
	char		 id[ROUTE_MAX_ID + 1];
};

TAILQ_HEAD(routes_fetches, routes_fetch);

struct routes {
	const struct config *conf;
	struct store	*store;
	struct routes_entry **buckets;
	size_t		 nbuckets;	/* power of two */
	size_t		 nentries;	/* in the table, any kind */
	size_t		 ncached;	/* POSITIVE + NEGATIVE */
	struct routes_age pos;		/* load order */
	struct routes_age neg;
	struct routes_fetches fetches;
	size_t		 nfetches;
	uint64_t	 generation;
	uint64_t	 key[2];	/* SipHash key */
	uint64_t	(*clock)(void *);
	void		*clock_arg;
	routes_listener	*listener;
	void		*listener_arg;
	struct routes_stats stats;
};

static void	 routes_inval(void *, const char *, size_t);

/* SipHash-1-3 (Aumasson, Bernstein): keyed, so ids cannot be chosen to
 * collide. */
#define ROUTES_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define ROUTES_SIPROUND do {						\
	v0 += v1; v1 = ROUTES_ROTL(v1, 13); v1 ^= v0;			\
	v0 = ROUTES_ROTL(v0, 32);					\
	v2 += v3; v3 = ROUTES_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROUTES_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROUTES_ROTL(v1, 17); v1 ^= v2;			\
	v2 = ROUTES_ROTL(v2, 32);					\
} while (0)

static uint64_t
routes_hash(const struct routes *rt, const void *p, size_t len)
{
	const unsigned char *in = p;
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ rt->key[0];
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ rt->key[1];
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ rt->key[0];
	uint64_t	 v3 = 0x7465646279746573ULL ^ rt->key[1];
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 i, j, end = len - (len & 7);

	for (i = 0; i < end; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (uint64_t)in[i + j] << (8 * j);
		v3 ^= m;
		ROUTES_SIPROUND;
		v0 ^= m;
	}
	for (j = 0; j < (len & 7); j++)
		b |= (uint64_t)in[end + j] << (8 * j);
	v3 ^= b;
	ROUTES_SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	ROUTES_SIPROUND;
	ROUTES_SIPROUND;
	ROUTES_SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
routes_monotonic_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
routes_now(const struct routes *rt)
{
	return rt->clock(rt->clock_arg);
}

void
routes_set_clock(struct routes *rt, uint64_t (*clock)(void *), void *arg)
{
	rt->clock = clock != NULL ? clock : routes_monotonic_ms;
	rt->clock_arg = arg;
}

void
route_ref(struct route *r)
{
	r->refcnt++;
}

void
route_unref(struct route *r)
{
	if (r != NULL && --r->refcnt == 0)
		free(r);
}

void
routes_stats(const struct routes *rt, struct routes_stats *out)
{
	*out = rt->stats;
}

/* The table. */

static struct routes_entry *
routes_find(const struct routes *rt, const char *id, size_t idlen)
{
	struct routes_entry *e;
	uint64_t	 h = routes_hash(rt, id, idlen);

	for (e = rt->buckets[h & (rt->nbuckets - 1)]; e != NULL; e = e->next)
		if (e->hash == h && e->idlen == idlen &&
		    memcmp(e->id, id, idlen) == 0)
			return e;
	return NULL;
}

/* Double the bucket array (best effort: on failure chains just grow). */
static void
routes_grow(struct routes *rt)
{
	struct routes_entry **nb, *e, *next;
	size_t		 n = rt->nbuckets * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < rt->nbuckets; i++)
		for (e = rt->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(rt->buckets);
	rt->buckets = nb;
	rt->nbuckets = n;
}

/* A new PENDING entry for id, or NULL on allocation failure. */
static struct routes_entry *
routes_insert(struct routes *rt, const char *id, size_t idlen)
{
	struct routes_entry *e, **b;

	if (rt->nentries >= rt->nbuckets && rt->nbuckets < ROUTES_MAX_BUCKETS)
		routes_grow(rt);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, idlen);
	e->idlen = idlen;
	e->hash = routes_hash(rt, id, idlen);
	b = &rt->buckets[e->hash & (rt->nbuckets - 1)];
	e->next = *b;
	*b = e;
	rt->nentries++;
	return e;
}

/* Forget e's data (it becomes PENDING). */
static void
routes_clear(struct routes *rt, struct routes_entry *e)
{
	switch (e->kind) {
	case ENTRY_POSITIVE:
		TAILQ_REMOVE(&rt->pos, e, age);
		route_unref(e->route);
		e->route = NULL;
		rt->ncached--;
		break;
	case ENTRY_NEGATIVE:
		TAILQ_REMOVE(&rt->neg, e, age);
		rt->ncached--;
		break;
	case ENTRY_PENDING:
		break;
	}
	e->kind = ENTRY_PENDING;
}

/* Unlink and free e; a fetch in flight is detached, not cancelled. */
static void
routes_remove(struct routes *rt, struct routes_entry *e)
{
	struct routes_entry **pp;

	routes_clear(rt, e);
	if (e->fetch != NULL)
		e->fetch->e = NULL;
	for (pp = &rt->buckets[e->hash & (rt->nbuckets - 1)]; *pp != e;
	    pp = &(*pp)->next)
		;
	*pp = e->next;
	rt->nentries--;
	free(e);
}

/* Make room for one more entry with data. */
static void
routes_evict(struct routes *rt, uint64_t now)
{
	struct routes_entry *p = TAILQ_FIRST(&rt->pos);
	struct routes_entry *n = TAILQ_FIRST(&rt->neg), *victim;

	if (p != NULL && p->expires <= now)
		victim = p;
	else if (n != NULL)
		victim = n;	/* expired or not: negatives are cheapest */
	else
		victim = p;
	if (victim == NULL)
		return;
	if (victim->fetch != NULL)
		routes_clear(rt, victim);
	else
		routes_remove(rt, victim);
}

/* Store data into e (takes over r's reference if POSITIVE). */
static void
routes_set(struct routes *rt, struct routes_entry *e, enum routes_kind kind,
    struct route *r, uint64_t vhash, uint64_t now)
{
	if (e->kind == ENTRY_PENDING && rt->ncached >= ROUTES_MAX_ENTRIES)
		routes_evict(rt, now);
	if (kind == ENTRY_POSITIVE && e->kind == ENTRY_POSITIVE &&
	    e->route == r) {
		/* Same record reloaded: keep the object, renew the TTL. */
		TAILQ_REMOVE(&rt->pos, e, age);
		route_unref(r);		/* the caller's extra reference */
	} else {
		routes_clear(rt, e);
		e->route = r;
		e->vhash = vhash;
		rt->ncached++;
	}
	e->kind = kind;
	if (kind == ENTRY_POSITIVE) {
		e->expires = now + rt->conf->route_ttl_ms;
		TAILQ_INSERT_TAIL(&rt->pos, e, age);
	} else {
		e->expires = now + rt->conf->route_negative_ttl_ms;
		TAILQ_INSERT_TAIL(&rt->neg, e, age);
	}
}

/* Fetches. */

static void
routes_fetch_free(struct routes *rt, struct routes_fetch *f)
{
	struct routes_req *q;

	while ((q = TAILQ_FIRST(&f->waiters)) != NULL) {
		TAILQ_REMOVE(&f->waiters, q, entry);
		free(q);
	}
	if (f->e != NULL)
		f->e->fetch = NULL;
	TAILQ_REMOVE(&rt->fetches, f, entry);
	rt->nfetches--;
	free(f);
}

/*
 * Turn a store answer into (result, route).  Updates f->e unless the fetch
 * was detached.  *rp is a reference the caller releases.
 */
static enum routes_result
routes_fetch_result(struct routes *rt, struct routes_fetch *f,
    const char *val, size_t len, int err, uint64_t now, struct route **rp)
{
	struct routes_entry *e = f->e;
	struct route	*r;
	uint64_t	 vhash;
	char		 why[128];

	*rp = NULL;
	switch (err) {
	case STORE_OK:
		vhash = routes_hash(rt, val, len);
		if (e != NULL && e->kind == ENTRY_POSITIVE &&
		    e->vhash == vhash) {
			r = e->route;
			route_ref(r);
		} else {
			if ((r = malloc(sizeof(*r))) == NULL)
				goto unavailable;
			if (route_record_parse(val, len, f->id, r, why,
			    sizeof(why)) == -1) {
				log_warnx("route %s: invalid record (%s); "
				    "treated as not found", f->id, why);
				free(r);
				goto notfound;
			}
			r->refcnt = 1;
			r->generation = ++rt->generation;
		}
		if (e != NULL) {
			route_ref(r);	/* the cache's reference */
			routes_set(rt, e, ENTRY_POSITIVE, r, vhash, now);
		}
		*rp = r;
		return ROUTES_FOUND;
	case STORE_NIL:
	case STORE_INVALID:	/* the store logged why */
		goto notfound;
	default:		/* STORE_DOWN, STORE_TIMEOUT */
		goto unavailable;
	}
notfound:
	if (e != NULL)
		routes_set(rt, e, ENTRY_NEGATIVE, NULL, 0, now);
	return ROUTES_NOTFOUND;
unavailable:
	if (e != NULL && e->kind == ENTRY_POSITIVE &&
	    now <= e->expires + rt->conf->route_stale_ms) {
		route_ref(e->route);
		*rp = e->route;
		return ROUTES_FOUND;	/* stale */
	}
	if (e != NULL && e->kind == ENTRY_PENDING)
		routes_remove(rt, e);	/* nothing to keep */
	return ROUTES_UNAVAILABLE;
}

/* The store's answer for f: update the cache, then answer every waiter. */
static void
routes_fetch_cb(void *arg, const char *val, size_t len, int err)
{
	struct routes_fetch *f = arg;
	struct routes	*rt = f->rt;
	struct routes_req *q;
	struct route	*r;
	enum routes_result res;
	int		 stale;

	f->sreq = NULL;
	stale = (err == STORE_DOWN || err == STORE_TIMEOUT);
	res = routes_fetch_result(rt, f, val, len, err, routes_now(rt), &r);
	stale = stale && res == ROUTES_FOUND;
	/* New lookups of this id no longer join f. */
	if (f->e != NULL) {
		f->e->fetch = NULL;
		f->e = NULL;
	}
	while ((q = TAILQ_FIRST(&f->waiters)) != NULL) {
		routes_cb	*cb = q->cb;
		void		*cbarg = q->arg;

		TAILQ_REMOVE(&f->waiters, q, entry);
		free(q);
		if (stale)
			rt->stats.stale_hits++;
		if (r != NULL)
			route_ref(r);
		cb(cbarg, res, r);
	}
	route_unref(r);
	routes_fetch_free(rt, f);
}

/* Wait on f; NULL on allocation failure. */
static struct routes_req *
routes_join(struct routes_fetch *f, routes_cb *cb, void *arg)
{
	struct routes_req *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->fetch = f;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&f->waiters, q, entry);
	return q;
}

static struct routes_fetch *
routes_fetch_start(struct routes *rt, struct routes_entry *e)
{
	struct routes_fetch *f;

	if (rt->nfetches >= ROUTES_MAX_FETCHES ||
	    (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->rt = rt;
	TAILQ_INIT(&f->waiters);
	memcpy(f->id, e->id, e->idlen + 1);
	if ((f->sreq = store_get_route(rt->store, f->id, routes_fetch_cb,
	    f)) == NULL) {
		free(f);
		return NULL;
	}
	f->e = e;
	e->fetch = f;
	TAILQ_INSERT_TAIL(&rt->fetches, f, entry);
	rt->nfetches++;
	rt->stats.store_gets++;
	return f;
}

/* Answer from expired data without the store: stale or UNAVAILABLE. */
static enum routes_result
routes_stale(struct routes *rt, struct routes_entry *e, uint64_t now,
    struct route **out)
{
	if (e != NULL && e->kind == ENTRY_POSITIVE &&
	    now <= e->expires + rt->conf->route_stale_ms) {
		rt->stats.stale_hits++;
		route_ref(e->route);
		*out = e->route;
		return ROUTES_FOUND;
	}
	return ROUTES_UNAVAILABLE;
}

/* Sandbox id charset ([a-z0-9-]); the full rule is host_valid_id()'s. */
static int
routes_id_ok(const char *id, size_t len)
{
	size_t	 i;

	if (len == 0 || len > ROUTE_MAX_ID)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

enum routes_result
routes_lookup(struct routes *rt, const char *id, routes_cb *cb, void *arg,
    struct routes_req **reqp, struct route **out)
{
	struct routes_entry *e;
	struct routes_fetch *f;
	struct routes_req *q;
	uint64_t	 now;
	size_t		 idlen;
	int		 created = 0;

	*reqp = NULL;
	*out = NULL;
	idlen = strnlen(id, ROUTE_MAX_ID + 1);
	if (!routes_id_ok(id, idlen))
		return ROUTES_NOTFOUND;
	now = routes_now(rt);
	e = routes_find(rt, id, idlen);
	if (e != NULL && e->kind != ENTRY_PENDING && now < e->expires) {
		if (e->kind == ENTRY_NEGATIVE) {
			rt->stats.negative_hits++;
			return ROUTES_NOTFOUND;
		}
		rt->stats.hits++;
		route_ref(e->route);
		*out = e->route;
		return ROUTES_FOUND;
	}
	/*
	 * Expired but still within route-stale: answer now and refresh in
	 * the background (changes are pushed by pub/sub anyway; the TTL is
	 * the safety net), so a known sandbox never waits on Redis.
	 */
	if (e != NULL && e->kind == ENTRY_POSITIVE &&
	    store_connected(rt->store) &&
	    now <= e->expires + rt->conf->route_stale_ms) {
		if (e->fetch == NULL)
			(void)routes_fetch_start(rt, e);
		rt->stats.stale_hits++;
		route_ref(e->route);
		*out = e->route;
		return ROUTES_FOUND;
	}
	rt->stats.misses++;
	if (e != NULL && e->fetch != NULL)
		f = e->fetch;
	else {
		if (!store_connected(rt->store))
			return routes_stale(rt, e, now, out);
		if (e == NULL) {
			if ((e = routes_insert(rt, id, idlen)) == NULL)
				return ROUTES_UNAVAILABLE;
			created = 1;
		}
		if ((f = routes_fetch_start(rt, e)) == NULL) {
			if (created)
				routes_remove(rt, e);
			return routes_stale(rt, created ? NULL : e, now, out);
		}
	}
	if ((q = routes_join(f, cb, arg)) == NULL)
		return routes_stale(rt, e, now, out);
	*reqp = q;
	return ROUTES_PENDING;
}

void
routes_cancel(struct routes_req *q)
{
	if (q == NULL)
		return;
	TAILQ_REMOVE(&q->fetch->waiters, q, entry);
	free(q);
}

/* Invalidation from the store: one id, or everything. */
static void
routes_inval(void *arg, const char *id, size_t len)
{
	struct routes	*rt = arg;
	struct routes_entry *e;
	size_t		 i;

	if (id == NULL || (len == 1 && id[0] == '*')) {
		rt->stats.flushes++;
		for (i = 0; i < rt->nbuckets; i++)
			while ((e = rt->buckets[i]) != NULL)
				routes_remove(rt, e);
		return;
	}
	rt->stats.invalidations++;
	if (!routes_id_ok(id, len))
		return;
	if ((e = routes_find(rt, id, len)) != NULL)
		routes_remove(rt, e);
	if (rt->listener != NULL) {
		char	 buf[ROUTE_MAX_ID + 1];

		memcpy(buf, id, len);
		buf[len] = '\0';
		rt->listener(rt->listener_arg, buf);
	}
}

struct store *
routes_store(struct routes *rt)
{
	return rt->store;
}

void
routes_set_listener(struct routes *rt, routes_listener *cb, void *arg)
{
	rt->listener = cb;
	rt->listener_arg = arg;
}

/*
 * A cache for one worker: its own store connections on base.  conf must
 * outlive it.  Returns NULL on allocation failure.
 */
struct routes *
routes_new(struct event_base *base, const struct config *conf)
{
	struct routes	*rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return NULL;
	rt->conf = conf;
	rt->clock = routes_monotonic_ms;
	TAILQ_INIT(&rt->pos);
	TAILQ_INIT(&rt->neg);
	TAILQ_INIT(&rt->fetches);
	arc4random_buf(rt->key, sizeof(rt->key));
	rt->nbuckets = ROUTES_MIN_BUCKETS;
	if ((rt->buckets = calloc(rt->nbuckets, sizeof(*rt->buckets))) ==
	    NULL)
		goto fail;
	if ((rt->store = store_new(base, conf, routes_inval, rt)) == NULL)
		goto fail;
	return rt;
fail:
	routes_free(rt);
	return NULL;
}

/*
 * Free the cache and its store.  Pending lookups are dropped without their
 * callbacks; routes still referenced by callers stay valid until their
 * last route_unref().  Not from inside a routes callback.
 */
void
routes_free(struct routes *rt)
{
	struct routes_fetch *f;
	size_t		 i;

	if (rt == NULL)
		return;
	store_free(rt->store);	/* drops its requests without callbacks */
	while ((f = TAILQ_FIRST(&rt->fetches)) != NULL)
		routes_fetch_free(rt, f);
	if (rt->buckets != NULL)
		for (i = 0; i < rt->nbuckets; i++)
			while (rt->buckets[i] != NULL)
				routes_remove(rt, rt->buckets[i]);
	free(rt->buckets);
	free(rt);
}
