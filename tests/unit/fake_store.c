/*
 * tests/unit/fake_store.c -- the store_* API without Redis, for the cache
 * tests (linked instead of routing/store.c).
 *
 * Requests are recorded in issue order and answered only when the test
 * says so (fake_store_complete*), so callbacks never run inside the call
 * that issued them.  The most recently created store is fake_store_last.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "routing/routing.h"

/* The test's view (test_cache.c repeats these prototypes). */
extern struct store *fake_store_last;
void	 fake_store_set_connected(int);
size_t	 fake_store_pending(void);
size_t	 fake_store_issued(void);
size_t	 fake_store_cancelled(void);
const char *fake_store_key(size_t);
int	 fake_store_complete(const char *, int, const char *);
size_t	 fake_store_complete_all(int, const char *);
void	 fake_store_inval(const char *);

#define FAKE_MAX_KEY	256

struct store_req {
	TAILQ_ENTRY(store_req) entry;
	struct store	*st;
	store_cb	*cb;
	void		*arg;
	char		 key[FAKE_MAX_KEY];	/* "GET <key>" or argv joined */
};

struct store {
	TAILQ_HEAD(, store_req) pending;
	store_inval_cb	*inval_cb;
	void		*inval_arg;
	char		 prefix[128];
	int		 connected;
	size_t		 issued;
	size_t		 cancelled;
};

struct store	*fake_store_last;

struct store *
store_new(struct event_base *base, const struct config *conf,
    store_inval_cb *cb, void *arg)
{
	struct store	*st;

	(void)base;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	TAILQ_INIT(&st->pending);
	st->inval_cb = cb;
	st->inval_arg = arg;
	st->connected = 1;
	str_lcpy(st->prefix, conf->redis_prefix, sizeof(st->prefix));
	fake_store_last = st;
	return st;
}

void
store_free(struct store *st)
{
	struct store_req *r;

	if (st == NULL)
		return;
	while ((r = TAILQ_FIRST(&st->pending)) != NULL) {
		TAILQ_REMOVE(&st->pending, r, entry);
		free(r);
	}
	if (fake_store_last == st)
		fake_store_last = NULL;
	free(st);
}

static struct store_req *
fake_issue(struct store *st, store_cb *cb, void *arg, const char *key)
{
	struct store_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->st = st;
	r->cb = cb;
	r->arg = arg;
	str_lcpy(r->key, key, sizeof(r->key));
	TAILQ_INSERT_TAIL(&st->pending, r, entry);
	st->issued++;
	return r;
}

struct store_req *
store_get_route(struct store *st, const char *id, store_cb *cb, void *arg)
{
	char	 key[FAKE_MAX_KEY];
	int	 n;

	n = snprintf(key, sizeof(key), "%sroute:%s", st->prefix, id);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	return fake_issue(st, cb, arg, key);
}

struct store_req *
store_command(struct store *st, store_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	char	 key[FAKE_MAX_KEY] = "";
	size_t	 off = 0;
	int	 i;

	for (i = 0; i < argc; i++) {
		if (off + argvlen[i] + 2 > sizeof(key))
			return NULL;
		if (i > 0)
			key[off++] = ' ';
		memcpy(key + off, argv[i], argvlen[i]);
		off += argvlen[i];
		key[off] = '\0';
	}
	return fake_issue(st, cb, arg, key);
}

void
store_cancel(struct store_req *r)
{
	if (r == NULL)
		return;
	TAILQ_REMOVE(&r->st->pending, r, entry);
	r->st->cancelled++;
	free(r);
}

int
store_connected(const struct store *st)
{
	return st->connected;
}

/* Test controls, all on fake_store_last. */

void
fake_store_set_connected(int on)
{
	fake_store_last->connected = on;
}

size_t
fake_store_pending(void)
{
	struct store_req *r;
	size_t		 n = 0;

	TAILQ_FOREACH(r, &fake_store_last->pending, entry)
		n++;
	return n;
}

size_t
fake_store_issued(void)
{
	return fake_store_last->issued;
}

size_t
fake_store_cancelled(void)
{
	return fake_store_last->cancelled;
}

/* The key of the i-th pending request ("drawbridge:route:<id>"). */
const char *
fake_store_key(size_t i)
{
	struct store_req *r;

	TAILQ_FOREACH(r, &fake_store_last->pending, entry)
		if (i-- == 0)
			return r->key;
	return NULL;
}

static void
fake_fire(struct store_req *r, int err, const char *val)
{
	store_cb	*cb = r->cb;
	void		*arg = r->arg;

	TAILQ_REMOVE(&r->st->pending, r, entry);
	free(r);
	cb(arg, err == STORE_OK ? val : NULL,
	    err == STORE_OK && val != NULL ? strlen(val) : 0, err);
}

/* Answer the oldest pending GET for id; -1 if there is none. */
int
fake_store_complete(const char *id, int err, const char *val)
{
	struct store_req *r;
	char		 key[FAKE_MAX_KEY];

	snprintf(key, sizeof(key), "%sroute:%s", fake_store_last->prefix, id);
	TAILQ_FOREACH(r, &fake_store_last->pending, entry)
		if (strcmp(r->key, key) == 0) {
			fake_fire(r, err, val);
			return 0;
		}
	return -1;
}

/* Answer everything pending now (not what the callbacks issue). */
size_t
fake_store_complete_all(int err, const char *val)
{
	struct store_req *r;
	size_t		 n = fake_store_pending(), done = 0;

	while (n-- > 0 &&
	    (r = TAILQ_FIRST(&fake_store_last->pending)) != NULL) {
		fake_fire(r, err, val);
		done++;
	}
	return done;
}

/* Deliver an invalidation: an id, "*", or NULL (resubscribed). */
void
fake_store_inval(const char *id)
{
	fake_store_last->inval_cb(fake_store_last->inval_arg, id,
	    id != NULL ? strlen(id) : 0);
}
