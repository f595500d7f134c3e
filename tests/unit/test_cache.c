/*
 * test_cache.c -- routing/cache.c against tests/unit/fake_store.c: hits,
 * misses, negative entries, coalescing, cancel, TTL, stale-if-down
 * (catalog group M), invalidation, generations and reference counts.
 * Time is injected (routes_set_clock); the fake store answers only when a
 * test says so, so every callback provably runs outside routes_lookup.
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

/* tests/unit/fake_store.c */
extern struct store *fake_store_last;
void	 fake_store_set_connected(int);
size_t	 fake_store_pending(void);
size_t	 fake_store_issued(void);
size_t	 fake_store_cancelled(void);
const char *fake_store_key(size_t);
int	 fake_store_complete(const char *, int, const char *);
size_t	 fake_store_complete_all(int, const char *);
void	 fake_store_inval(const char *);

#define REC_A	"{\"v\":1,\"target\":\"10.0.0.7\",\"status\":\"active\"}"
#define REC_B	"{\"v\":1,\"target\":\"10.0.0.8\",\"status\":\"active\"}"
#define REC_A2	"{\"v\":1,\"target\":\"10.0.0.7\",\"status\":\"paused\"}"
#define TTL	30000
#define NTTL	2000
#define STALE	60000

struct fx {
	struct config	 conf;
	struct routes	*rt;
	uint64_t	 now;
};

struct answer {
	int		 calls;
	enum routes_result res;
	struct route	*r;
};

static int in_lookup;	/* a callback inside routes_lookup is a bug */

static uint64_t
fx_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static int
setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	config_defaults(&fx.conf);
	fx.conf.route_ttl_ms = TTL;
	fx.conf.route_negative_ttl_ms = NTTL;
	fx.conf.route_stale_ms = STALE;
	fx.now = 1000000;
	if ((fx.rt = routes_new(NULL, &fx.conf)) == NULL)
		return -1;
	routes_set_clock(fx.rt, fx_clock, &fx.now);
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	routes_free(fx->rt);
	config_free_contents(&fx->conf);
	return 0;
}

static void
answer_cb(void *arg, enum routes_result res, struct route *r)
{
	struct answer	*a = arg;

	assert_false(in_lookup);
	a->calls++;
	a->res = res;
	route_unref(a->r);
	a->r = r;
	if (res == ROUTES_FOUND)
		assert_non_null(r);
	else
		assert_null(r);
}

static enum routes_result
lookup(struct fx *fx, const char *id, struct answer *a,
    struct routes_req **req, struct route **out)
{
	struct routes_req *q;
	struct route	*r;
	enum routes_result res;

	in_lookup = 1;
	res = routes_lookup(fx->rt, id, answer_cb, a, &q, &r);
	in_lookup = 0;
	if (res == ROUTES_PENDING)
		assert_non_null(q);
	else
		assert_null(q);
	if (res == ROUTES_FOUND)
		assert_non_null(r);
	else
		assert_null(r);
	if (req != NULL)
		*req = q;
	if (out != NULL)
		*out = r;
	else
		route_unref(r);
	return res;
}

/* Load id with record json; returns the cache's route (borrowed). */
static struct route *
load(struct fx *fx, const char *id, const char *json)
{
	struct answer	 a = { 0 };
	struct route	*r;

	assert_int_equal(lookup(fx, id, &a, NULL, NULL), ROUTES_PENDING);
	assert_int_equal(fake_store_complete(id, STORE_OK, json), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.res, ROUTES_FOUND);
	r = a.r;
	route_unref(a.r);
	return r;
}

static struct routes_stats
stats(struct fx *fx)
{
	struct routes_stats s;

	routes_stats(fx->rt, &s);
	return s;
}

/* A miss answered by the store, then the same id looked up again. */
struct miss_case {
	const char	*name;
	int		 err;
	const char	*val;
	enum routes_result first;	/* via callback */
	enum routes_result second;	/* synchronous, or PENDING */
};

static const struct miss_case miss_cases[] = {
	{ "ok", STORE_OK, REC_A, ROUTES_FOUND, ROUTES_FOUND },
	{ "nil", STORE_NIL, NULL, ROUTES_NOTFOUND, ROUTES_NOTFOUND },
	{ "M05_invalid_reply", STORE_INVALID, NULL, ROUTES_NOTFOUND,
	    ROUTES_NOTFOUND },
	{ "bad_json", STORE_OK, "{\"v\":1,", ROUTES_NOTFOUND,
	    ROUTES_NOTFOUND },
	{ "bad_version", STORE_OK,
	    "{\"v\":2,\"target\":\"10.0.0.7\",\"status\":\"active\"}",
	    ROUTES_NOTFOUND, ROUTES_NOTFOUND },
	{ "not_object", STORE_OK, "42", ROUTES_NOTFOUND, ROUTES_NOTFOUND },
	{ "M02_down", STORE_DOWN, NULL, ROUTES_UNAVAILABLE, ROUTES_PENDING },
	{ "timeout", STORE_TIMEOUT, NULL, ROUTES_UNAVAILABLE,
	    ROUTES_PENDING },
};

static void
test_miss_answers(void **state)
{
	struct fx	*fx = *state;
	size_t		 i;
	char		 id[32], key[64];

	for (i = 0; i < DB_ARRLEN(miss_cases); i++) {
		const struct miss_case *c = &miss_cases[i];
		struct answer	 a = { 0 }, b = { 0 };
		size_t		 issued = fake_store_issued();

		snprintf(id, sizeof(id), "miss-%zu", i);
		print_message("case %s\n", c->name);
		assert_int_equal(lookup(fx, id, &a, NULL, NULL),
		    ROUTES_PENDING);
		assert_int_equal(fake_store_issued(), issued + 1);
		snprintf(key, sizeof(key), "drawbridge:route:%s", id);
		assert_int_equal(fake_store_pending(), 1);
		assert_string_equal(fake_store_key(0), key);
		assert_int_equal(a.calls, 0);
		assert_int_equal(fake_store_complete(id, c->err, c->val), 0);
		assert_int_equal(a.calls, 1);
		assert_int_equal(a.res, c->first);
		if (c->first == ROUTES_FOUND) {
			assert_string_equal(a.r->id, id);
			assert_string_equal(a.r->target, "10.0.0.7");
		}
		route_unref(a.r);
		assert_int_equal(lookup(fx, id, &b, NULL, NULL), c->second);
		if (c->second == ROUTES_PENDING) {
			assert_int_equal(fake_store_issued(), issued + 2);
			fake_store_complete_all(STORE_NIL, NULL);
			route_unref(b.r);
		} else
			assert_int_equal(fake_store_issued(), issued + 1);
	}
}

static void
test_hit_no_store(void **state)
{
	struct fx	*fx = *state;
	struct route	*r, *r2;
	struct routes_stats s0 = stats(fx), s1;
	size_t		 issued;
	int		 i;

	r = load(fx, "hit", REC_A);
	issued = fake_store_issued();
	for (i = 0; i < 100; i++) {
		fx->now += TTL / 200;
		assert_int_equal(lookup(fx, "hit", NULL, NULL, &r2),
		    ROUTES_FOUND);
		assert_ptr_equal(r2, r);
		route_unref(r2);
	}
	assert_int_equal(fake_store_issued(), issued);
	s1 = stats(fx);
	assert_int_equal(s1.hits - s0.hits, 100);
	assert_int_equal(s1.store_gets - s0.store_gets, 1);
	/* A known sandbox is served even while the store is down. */
	fake_store_set_connected(0);
	assert_int_equal(lookup(fx, "hit", NULL, NULL, NULL), ROUTES_FOUND);
	fake_store_set_connected(1);
}

static void
test_negative_ttl(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a = { 0 };
	struct routes_stats s0 = stats(fx);

	assert_int_equal(lookup(fx, "neg", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("neg", STORE_NIL, NULL);
	assert_int_equal(a.res, ROUTES_NOTFOUND);
	fx->now += NTTL - 1;
	assert_int_equal(lookup(fx, "neg", NULL, NULL, NULL),
	    ROUTES_NOTFOUND);
	assert_int_equal(stats(fx).negative_hits - s0.negative_hits, 1);
	fx->now += 1;
	assert_int_equal(lookup(fx, "neg", &a, NULL, NULL), ROUTES_PENDING);
	/* The sandbox appeared meanwhile. */
	fake_store_complete("neg", STORE_OK, REC_A);
	assert_int_equal(a.res, ROUTES_FOUND);
	route_unref(a.r);
	assert_int_equal(lookup(fx, "neg", NULL, NULL, NULL), ROUTES_FOUND);
}

static void
test_bad_ids(void **state)
{
	static const char *const ids[] = {
		"", "UPPER", "a b", "a\n", "a.b", "a/b", "x%2e",
		"a23456789012345678901234567890123456789012345678901234567890"
		    "1234"
	};
	struct fx	*fx = *state;
	size_t		 i, issued = fake_store_issued();

	for (i = 0; i < DB_ARRLEN(ids); i++)
		assert_int_equal(lookup(fx, ids[i], NULL, NULL, NULL),
		    ROUTES_NOTFOUND);
	assert_int_equal(fake_store_issued(), issued);
	fake_store_inval("a b");	/* ignored */
}

static void
test_coalescing(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a[10];
	struct routes_stats s0 = stats(fx);
	size_t		 i, issued = fake_store_issued();

	memset(a, 0, sizeof(a));
	for (i = 0; i < DB_ARRLEN(a); i++)
		assert_int_equal(lookup(fx, "coal", &a[i], NULL, NULL),
		    ROUTES_PENDING);
	assert_int_equal(fake_store_issued(), issued + 1);
	assert_int_equal(fake_store_pending(), 1);
	assert_int_equal(stats(fx).store_gets - s0.store_gets, 1);
	fake_store_complete("coal", STORE_OK, REC_A);
	for (i = 0; i < DB_ARRLEN(a); i++) {
		assert_int_equal(a[i].calls, 1);
		assert_int_equal(a[i].res, ROUTES_FOUND);
		assert_ptr_equal(a[i].r, a[0].r);
	}
	/* The cache's reference plus one per waiter. */
	assert_int_equal(a[0].r->refcnt, 1 + 10);
	for (i = 0; i < DB_ARRLEN(a); i++)
		route_unref(a[i].r);
	assert_int_equal(a[0].r->refcnt, 1);
	/* Coalesced failures too: 10 waiters, one DOWN, 10 answers. */
	memset(a, 0, sizeof(a));
	for (i = 0; i < DB_ARRLEN(a); i++)
		assert_int_equal(lookup(fx, "coal2", &a[i], NULL, NULL),
		    ROUTES_PENDING);
	assert_int_equal(fake_store_pending(), 1);
	fake_store_complete("coal2", STORE_DOWN, NULL);
	for (i = 0; i < DB_ARRLEN(a); i++)
		assert_int_equal(a[i].res, ROUTES_UNAVAILABLE);
}

static void
test_cancel(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a[3];
	struct routes_req *q[3];
	size_t		 i;

	memset(a, 0, sizeof(a));
	for (i = 0; i < 3; i++)
		assert_int_equal(lookup(fx, "can", &a[i], &q[i], NULL),
		    ROUTES_PENDING);
	routes_cancel(q[1]);
	routes_cancel(NULL);
	fake_store_complete("can", STORE_OK, REC_A);
	assert_int_equal(a[0].calls, 1);
	assert_int_equal(a[1].calls, 0);
	assert_int_equal(a[2].calls, 1);
	route_unref(a[0].r);
	route_unref(a[2].r);

	/* Everyone cancels: the answer still fills the cache. */
	memset(a, 0, sizeof(a));
	for (i = 0; i < 3; i++)
		assert_int_equal(lookup(fx, "can2", &a[i], &q[i], NULL),
		    ROUTES_PENDING);
	for (i = 0; i < 3; i++)
		routes_cancel(q[i]);
	fake_store_complete("can2", STORE_OK, REC_B);
	for (i = 0; i < 3; i++)
		assert_int_equal(a[i].calls, 0);
	assert_int_equal(lookup(fx, "can2", NULL, NULL, NULL), ROUTES_FOUND);
}

/* A callback may look up again (same or other id) and cancel others. */
struct reenter {
	struct fx	*fx;
	struct routes_req *victim;
	enum routes_result again;
	int		 calls;
};

static void
reenter_cb(void *arg, enum routes_result res, struct route *r)
{
	struct reenter	*x = arg;

	assert_false(in_lookup);
	x->calls++;
	(void)res;
	route_unref(r);
	routes_cancel(x->victim);
	x->victim = NULL;
	x->again = lookup(x->fx, "reent", NULL, NULL, NULL);
}

static void
test_reentrant_callback(void **state)
{
	struct fx	*fx = *state;
	struct reenter	 x = { fx, NULL, 0, 0 };
	struct answer	 b = { 0 };
	struct routes_req *q;
	struct route	*r;

	in_lookup = 1;
	assert_int_equal(routes_lookup(fx->rt, "reent", reenter_cb, &x, &q,
	    &r), ROUTES_PENDING);
	in_lookup = 0;
	assert_int_equal(lookup(fx, "reent", &b, &x.victim, NULL),
	    ROUTES_PENDING);
	fake_store_complete("reent", STORE_OK, REC_A);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.again, ROUTES_FOUND);
	assert_int_equal(b.calls, 0);
}

static void
test_ttl_refresh_generation(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a = { 0 };
	struct route	*r1, *r2, *got;
	uint64_t	 g1;

	r1 = load(fx, "ttl", REC_A);
	route_ref(r1);			/* a session still holds it */
	g1 = r1->generation;
	fx->now += TTL - 1;
	assert_int_equal(lookup(fx, "ttl", NULL, NULL, NULL), ROUTES_FOUND);
	fx->now += 1;
	/* Expired: served at once while a refresh runs in the background
	 * (a known sandbox never waits on Redis); identical JSON keeps the
	 * object and its generation. */
	assert_int_equal(lookup(fx, "ttl", &a, NULL, &got), ROUTES_FOUND);
	assert_ptr_equal(got, r1);
	route_unref(got);
	fake_store_complete("ttl", STORE_OK, REC_A);
	assert_int_equal(a.calls, 0);
	assert_int_equal(lookup(fx, "ttl", NULL, NULL, &got), ROUTES_FOUND);
	assert_ptr_equal(got, r1);
	assert_int_equal(got->generation, g1);
	route_unref(got);
	/* Expired again: changed JSON gives a new route, new generation. */
	fx->now += TTL;
	assert_int_equal(lookup(fx, "ttl", NULL, NULL, NULL), ROUTES_FOUND);
	fake_store_complete("ttl", STORE_OK, REC_A2);
	assert_int_equal(lookup(fx, "ttl", NULL, NULL, &r2), ROUTES_FOUND);
	assert_ptr_not_equal(r2, r1);
	assert_true(r2->generation > g1);
	assert_int_equal(r2->status, ROUTE_PAUSED);
	/* The old route survives for its holder (ASan checks the rest). */
	assert_int_equal(r1->refcnt, 1);
	assert_int_equal(r1->status, ROUTE_ACTIVE);
	route_unref(r1);
	route_unref(r2);
}

/* Catalog M02: stale-if-down within and beyond route-stale. */
struct stale_case {
	const char	*name;
	uint64_t	 past;		/* ms past expiry */
	int		 connected;
	int		 err;		/* store answer when connected */
	enum routes_result res;
	int		 stale;		/* stale_hits increment */
};

static const struct stale_case stale_cases[] = {
	{ "down_within", 1, 1, STORE_DOWN, ROUTES_FOUND, 1 },
	{ "timeout_within", 1000, 1, STORE_TIMEOUT, ROUTES_FOUND, 1 },
	{ "down_at_edge", STALE, 1, STORE_DOWN, ROUTES_FOUND, 1 },
	{ "down_beyond", STALE + 1, 1, STORE_DOWN, ROUTES_UNAVAILABLE, 0 },
	{ "timeout_beyond", STALE + 5000, 1, STORE_TIMEOUT,
	    ROUTES_UNAVAILABLE, 0 },
	{ "disconnected_within", 10, 0, 0, ROUTES_FOUND, 1 },
	{ "disconnected_beyond", STALE + 1, 0, 0, ROUTES_UNAVAILABLE, 0 },
};

static void
test_stale_if_down(void **state)
{
	struct fx	*fx = *state;
	size_t		 i;
	char		 id[32];

	for (i = 0; i < DB_ARRLEN(stale_cases); i++) {
		const struct stale_case *c = &stale_cases[i];
		struct answer	 a = { 0 };
		struct route	*r, *got = NULL;
		struct routes_stats s0;
		enum routes_result res;

		print_message("case %s\n", c->name);
		snprintf(id, sizeof(id), "stale-%zu", i);
		r = load(fx, id, REC_A);
		fx->now += TTL + c->past;
		s0 = stats(fx);
		fake_store_set_connected(c->connected);
		res = lookup(fx, id, &a, NULL, &got);
		if (c->connected && c->past <= STALE) {
			/* Served stale at once; the background refresh
			 * then fails and changes nothing. */
			assert_int_equal(res, ROUTES_FOUND);
			fake_store_complete(id, c->err, NULL);
			assert_int_equal(a.calls, 0);
		} else if (c->connected) {
			assert_int_equal(res, ROUTES_PENDING);
			fake_store_complete(id, c->err, NULL);
			assert_int_equal(a.calls, 1);
			res = a.res;
			got = a.r;
			a.r = NULL;
		}
		fake_store_set_connected(1);
		assert_int_equal(res, c->res);
		if (res == ROUTES_FOUND)
			assert_ptr_equal(got, r);
		route_unref(got);
		assert_int_equal(stats(fx).stale_hits - s0.stale_hits,
		    c->stale);
		/* Redis is back: the next lookup refreshes (answering
		 * from the stale entry meanwhile when it may). */
		memset(&a, 0, sizeof(a));
		if (lookup(fx, id, &a, NULL, NULL) == ROUTES_FOUND) {
			fake_store_complete(id, STORE_OK, REC_A);
			assert_int_equal(a.calls, 0);
		} else {
			fake_store_complete(id, STORE_OK, REC_A);
			assert_int_equal(a.res, ROUTES_FOUND);
			route_unref(a.r);
		}
	}
	/* Never seen + store down: fail closed at once, no command. */
	fake_store_set_connected(0);
	assert_int_equal(lookup(fx, "never", NULL, NULL, NULL),
	    ROUTES_UNAVAILABLE);
	fake_store_set_connected(1);
	assert_int_equal(fake_store_pending(), 0);
}

static void
test_invalidate_one_and_flush(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a = { 0 };
	struct route	*ra, *rb, *held;
	struct routes_stats s0 = stats(fx), s1;
	uint64_t	 ga;
	size_t		 issued;

	ra = load(fx, "inv-a", REC_A);
	rb = load(fx, "inv-b", REC_B);
	held = ra;
	route_ref(held);
	ga = ra->generation;
	fake_store_inval("inv-a");
	fake_store_inval("unknown-id");
	issued = fake_store_issued();
	assert_int_equal(lookup(fx, "inv-b", NULL, NULL, NULL), ROUTES_FOUND);
	assert_int_equal(lookup(fx, "inv-a", &a, NULL, NULL), ROUTES_PENDING);
	assert_int_equal(fake_store_issued(), issued + 1);
	fake_store_complete("inv-a", STORE_OK, REC_A);
	/* Same JSON, but a new load: new generation (new pool key). */
	assert_ptr_not_equal(a.r, held);
	assert_true(a.r->generation > ga);
	assert_int_equal(held->refcnt, 1);
	route_unref(held);
	route_unref(a.r);
	a.r = NULL;
	s1 = stats(fx);
	assert_int_equal(s1.invalidations - s0.invalidations, 2);

	/* "*" and NULL (resubscribed) flush everything. */
	fake_store_inval("*");
	assert_int_equal(lookup(fx, "inv-b", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("inv-b", STORE_OK, REC_B);
	route_unref(a.r);
	a.r = NULL;
	assert_int_equal(lookup(fx, "inv-b", NULL, NULL, NULL), ROUTES_FOUND);
	fake_store_inval(NULL);
	assert_int_equal(lookup(fx, "inv-b", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("inv-b", STORE_NIL, NULL);
	assert_int_equal(a.res, ROUTES_NOTFOUND);
	assert_int_equal(stats(fx).flushes - s0.flushes, 2);
	(void)rb;
}

/* An invalidation racing a fetch: waiters get the answer, the cache
 * does not keep it (it may predate the change). */
static void
test_invalidate_during_fetch(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a = { 0 }, b = { 0 }, c = { 0 };
	size_t		 issued;

	assert_int_equal(lookup(fx, "race", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_inval("race");
	issued = fake_store_issued();
	/* A lookup after the invalidation does not join the old fetch. */
	assert_int_equal(lookup(fx, "race", &b, NULL, NULL), ROUTES_PENDING);
	assert_int_equal(fake_store_issued(), issued + 1);
	assert_int_equal(fake_store_complete("race", STORE_OK, REC_A), 0);
	assert_int_equal(a.res, ROUTES_FOUND);
	assert_int_equal(b.calls, 0);
	assert_int_equal(fake_store_complete("race", STORE_OK, REC_B), 0);
	assert_int_equal(b.res, ROUTES_FOUND);
	assert_string_equal(b.r->target, "10.0.0.8");
	assert_int_equal(lookup(fx, "race", NULL, NULL, NULL), ROUTES_FOUND);
	route_unref(a.r);
	route_unref(b.r);

	/* Flush during a refresh that then fails: no stale serving of a
	 * route that was invalidated. */
	fx->now += TTL;
	assert_int_equal(lookup(fx, "race", NULL, NULL, NULL), ROUTES_FOUND);
	fake_store_inval(NULL);
	fake_store_complete("race", STORE_DOWN, NULL);
	assert_int_equal(lookup(fx, "race", &c, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("race", STORE_DOWN, NULL);
	assert_int_equal(c.res, ROUTES_UNAVAILABLE);
}

static void
test_refcounts(void **state)
{
	struct fx	*fx = *state;
	struct route	*r, *h1, *h2;

	r = load(fx, "ref", REC_A);
	assert_int_equal(r->refcnt, 1);
	assert_int_equal(lookup(fx, "ref", NULL, NULL, &h1), ROUTES_FOUND);
	assert_int_equal(lookup(fx, "ref", NULL, NULL, &h2), ROUTES_FOUND);
	assert_int_equal(r->refcnt, 3);
	route_unref(h1);
	fake_store_inval("ref");	/* cache drops its reference */
	assert_int_equal(h2->refcnt, 1);
	assert_string_equal(h2->target, "10.0.0.7");
	route_unref(h2);
	route_unref(NULL);
}

/* The table is bounded: the oldest negative entry goes first. */
static void
test_eviction_bound(void **state)
{
	struct fx	*fx = *state;
	struct answer	 a = { 0 };
	struct route	*keep;
	char		 id[32];
	size_t		 i, n = 65536;

	fake_store_inval(NULL);
	keep = load(fx, "keep", REC_A);
	(void)keep;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "e%zu", i);
		assert_int_equal(lookup(fx, id, &a, NULL, NULL),
		    ROUTES_PENDING);
		fake_store_complete(id, STORE_NIL, NULL);
	}
	/* 65537 loaded, 65536 kept: e0 was evicted, "keep" was not. */
	assert_int_equal(lookup(fx, "e1", NULL, NULL, NULL), ROUTES_NOTFOUND);
	assert_int_equal(lookup(fx, "keep", NULL, NULL, NULL), ROUTES_FOUND);
	assert_int_equal(lookup(fx, "e0", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("e0", STORE_NIL, NULL);
	/* Once negatives expire, they go before positives. */
	fx->now += NTTL;
	assert_int_equal(lookup(fx, "new", &a, NULL, NULL), ROUTES_PENDING);
	fake_store_complete("new", STORE_OK, REC_B);
	route_unref(a.r);
	assert_int_equal(lookup(fx, "keep", NULL, NULL, NULL), ROUTES_FOUND);
	fake_store_inval(NULL);
}

/* routes_free with lookups and fetches in flight: no callback, no leak. */
static void
test_free_with_pending(void **state)
{
	struct fx	*fx = *state;
	struct fx	 local;
	struct answer	 a = { 0 };
	struct route	*held;

	(void)fx;
	memset(&local, 0, sizeof(local));
	config_defaults(&local.conf);
	local.now = 5;
	assert_non_null(local.rt = routes_new(NULL, &local.conf));
	routes_set_clock(local.rt, fx_clock, &local.now);
	held = load(&local, "held", REC_A);
	route_ref(held);
	assert_int_equal(lookup(&local, "pend", &a, NULL, NULL),
	    ROUTES_PENDING);
	routes_free(local.rt);
	assert_int_equal(a.calls, 0);
	assert_int_equal(held->refcnt, 1);
	route_unref(held);
	config_free_contents(&local.conf);
	/* Restore the shared fixture's store as the fake's current one. */
	routes_free(fx->rt);
	assert_non_null(fx->rt = routes_new(NULL, &fx->conf));
	routes_set_clock(fx->rt, fx_clock, &fx->now);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_miss_answers),
		cmocka_unit_test(test_hit_no_store),
		cmocka_unit_test(test_negative_ttl),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_coalescing),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_reentrant_callback),
		cmocka_unit_test(test_ttl_refresh_generation),
		cmocka_unit_test(test_stale_if_down),
		cmocka_unit_test(test_invalidate_one_and_flush),
		cmocka_unit_test(test_invalidate_during_fetch),
		cmocka_unit_test(test_refcounts),
		cmocka_unit_test(test_free_with_pending),
		cmocka_unit_test(test_eviction_bound),
	};

	log_init("test_cache", 0);
	return cmocka_run_group_tests_name("cache", tests, setup, teardown);
}
