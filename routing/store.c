/*
 * routing/store.c -- the route store client: hiredis 0.14 async on the
 * worker's event_base, plus what 0.14 lacks.
 *
 * Two connections per worker: `cmd` carries commands (GET, later SET NX),
 * `sub` only ever sends one SUBSCRIBE.  On top of hiredis we add:
 *   - a connect deadline (redis-timeout * 4, at least 500 ms; for `cmd` it
 *     covers the PING that proves Redis answers, for `sub` the SUBSCRIBE
 *     confirmation);
 *   - a per-command deadline (redis-timeout): the caller is answered
 *     STORE_TIMEOUT and the late reply is dropped;
 *   - wedge detection: a command still unanswered after 4 deadlines means
 *     the connection is stuck (a SIGSTOPped or partitioned Redis); it is
 *     freed and replaced;
 *   - reconnect with backoff (100 ms doubling to 1 s, +-25% jitter; the
 *     backoff resets only after a connection stayed up STORE_STABLE_MS, so
 *     an accept-then-close Redis cannot cause a reconnect storm);
 *   - prompt STORE_DOWN answers while disconnected, from a zero-delay timer.
 *
 * hiredis callbacks cannot be cancelled, so a request's privdata is its
 * struct store_req, which lives until both (a) the caller no longer expects
 * an answer (answered, or cancelled) and (b) hiredis has called back (a
 * reply, or NULL when the context dies).  Flags record which is pending.
 *
 * Timers are cheap: one deadline timer per store armed for the earliest of
 * (oldest waiting request's deadline, oldest in-flight request's wedge
 * limit); both lists are in issue order and all deadlines are equal, so the
 * heads are the earliest.  A new request re-arms it only if its deadline
 * comes before the armed time.
 *
 * Everything here runs on one worker thread; nothing is shared.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "common/common.h"
#include "routing/routing.h"

#define STORE_BACKOFF_MIN_MS	100
#define STORE_BACKOFF_MAX_MS	1000
#define STORE_CONNECT_MIN_MS	500
#define STORE_WEDGE_FACTOR	4
#define STORE_STABLE_MS		2000	/* up this long: retry fast on loss */
#define STORE_MAX_INFLIGHT	8192	/* commands held by hiredis per store */
#define STORE_MAX_VALUE		ROUTE_MAX_RECORD /* longer: STORE_INVALID */
#define STORE_MAX_KEY		256

enum store_conn_state {
	CONN_DOWN = 0,		/* waiting for the retry timer */
	CONN_CONNECTING,	/* TCP connect + PING / SUBSCRIBE in progress */
	CONN_UP
};

struct store_conn {
	struct store	*st;
	const char	*name;		/* "command", "subscriber" */
	redisAsyncContext *ac;		/* NULL unless CONNECTING or UP */
	enum store_conn_state state;
	struct event	*ev_timer;	/* retry delay or connect deadline */
	uint64_t	 backoff_ms;	/* next retry delay before jitter */
	uint64_t	 up_since;
	int		 logged_down;	/* this outage has been logged */
};

#define REQ_WAITING	0x01	/* on st->waiting: owes the caller an answer */
#define REQ_DOWNQ	0x02	/* on st->down: owes the caller STORE_DOWN */
#define REQ_INFLIGHT	0x04	/* on st->inflight: hiredis holds privdata */

struct store_req {
	TAILQ_ENTRY(store_req) q;	/* st->waiting or st->down */
	TAILQ_ENTRY(store_req) f;	/* st->inflight */
	struct store	*st;
	store_cb	*cb;
	void		*arg;
	uint64_t	 issued;	/* ms, monotonic */
	unsigned	 flags;		/* REQ_*; freed when 0 */
};

TAILQ_HEAD(store_reqs, store_req);

struct store {
	struct event_base *base;
	store_inval_cb	*inval_cb;
	void		*inval_arg;
	struct store_conn cmd;
	struct store_conn sub;
	struct store_reqs waiting;	/* answer owed, issue order */
	struct store_reqs down;		/* STORE_DOWN owed */
	struct store_reqs inflight;	/* held by hiredis, issue order */
	size_t		 ndown;
	size_t		 ninflight;
	struct event	*ev_deadline;
	uint64_t	 deadline_at;	/* when ev_deadline fires, if pending */
	struct event	*ev_down;
	uint64_t	 timeout_ms;
	uint64_t	 connect_ms;
	int		 closing;	/* store_free running: no callbacks */
	int		 err_logged;	/* an error reply streak was logged */

	const char	*auth;		/* conf->redis_auth (the config
					 * outlives the store), or NULL */
	char		 unix_path[256];	/* "" = TCP */
	char		 host[256];
	uint16_t	 port;
	char		 where[300];	/* for log lines */
	char		 key_prefix[STORE_MAX_KEY];	/* "<prefix>route:" */
	size_t		 key_prefix_len;
	char		 channel[STORE_MAX_KEY];	/* "<prefix>routes" */
	size_t		 channel_len;
};

static void	 store_conn_start(struct store_conn *);
static void	 store_auth(struct store_conn *);
static void	 store_conn_lost(struct store_conn *, const char *);
static void	 store_conn_drop(struct store_conn *, const char *);

static uint64_t
store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
store_ms_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* Free r once nobody (caller or hiredis) can still reach it. */
static void
store_req_release(struct store_req *r)
{
	if (r->flags == 0)
		free(r);
}

/* Answer r (already off its queue).  val is valid during cb only. */
static void
store_answer(struct store_req *r, const char *val, size_t len, int err)
{
	store_cb	*cb = r->cb;
	void		*arg = r->arg;

	store_req_release(r);
	cb(arg, val, len, err);
}

/* Arm the deadline timer for the earliest deadline or wedge limit. */
static void
store_arm(struct store *st)
{
	struct store_req *r;
	struct timeval	 tv;
	uint64_t	 next = UINT64_MAX, now;

	if ((r = TAILQ_FIRST(&st->waiting)) != NULL)
		next = r->issued + st->timeout_ms;
	if ((r = TAILQ_FIRST(&st->inflight)) != NULL)
		next = DB_MIN(next,
		    r->issued + st->timeout_ms * STORE_WEDGE_FACTOR);
	if (next == UINT64_MAX) {
		evtimer_del(st->ev_deadline);
		return;
	}
	now = store_now();
	store_ms_tv(next > now ? next - now : 0, &tv);
	st->deadline_at = next;
	evtimer_add(st->ev_deadline, &tv);
}

static void
store_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store	*st = arg;
	struct store_req *r;
	uint64_t	 now = store_now();
	char		 why[64];

	(void)fd;
	(void)what;
	/* New requests issued from these callbacks have later deadlines. */
	while ((r = TAILQ_FIRST(&st->waiting)) != NULL &&
	    r->issued + st->timeout_ms <= now) {
		TAILQ_REMOVE(&st->waiting, r, q);
		r->flags &= ~REQ_WAITING;
		store_answer(r, NULL, 0, STORE_TIMEOUT);
	}
	r = TAILQ_FIRST(&st->inflight);
	if (r != NULL && st->cmd.ac != NULL &&
	    r->issued + st->timeout_ms * STORE_WEDGE_FACTOR <= now) {
		snprintf(why, sizeof(why), "a command waited %llu ms",
		    (unsigned long long)(now - r->issued));
		store_conn_drop(&st->cmd, why);
	}
	store_arm(st);
}

/* Answer the STORE_DOWN queue: only what was queued before this round. */
static void
store_down_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store	*st = arg;
	struct store_req *r;
	struct timeval	 tv = { 0, 0 };
	size_t		 n = st->ndown;

	(void)fd;
	(void)what;
	while (n-- > 0 && (r = TAILQ_FIRST(&st->down)) != NULL) {
		TAILQ_REMOVE(&st->down, r, q);
		st->ndown--;
		r->flags &= ~REQ_DOWNQ;
		store_answer(r, NULL, 0, STORE_DOWN);
	}
	if (!TAILQ_EMPTY(&st->down))
		evtimer_add(st->ev_down, &tv);
}

/* Map a reply to (err, val, len).  num is scratch for integer replies. */
static int
store_classify(struct store *st, const redisReply *rep, const char **val,
    size_t *len, char *num, size_t numlen)
{
	*val = NULL;
	*len = 0;
	switch (rep->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		st->err_logged = 0;
		if (rep->len > STORE_MAX_VALUE) {
			log_warnx("redis: reply of %zu bytes exceeds %d",
			    rep->len, STORE_MAX_VALUE);
			return STORE_INVALID;
		}
		*val = rep->str;
		*len = rep->len;
		return STORE_OK;
	case REDIS_REPLY_INTEGER:
		st->err_logged = 0;
		snprintf(num, numlen, "%lld", rep->integer);
		*val = num;
		*len = strlen(num);
		return STORE_OK;
	case REDIS_REPLY_NIL:
		st->err_logged = 0;
		return STORE_NIL;
	case REDIS_REPLY_ERROR:
		/* -LOADING, -READONLY, -NOAUTH, -OOM ...: fail closed. */
		if (!st->err_logged)
			log_warnx("redis %s: error reply: %.64s", st->where,
			    rep->str != NULL ? rep->str : "");
		st->err_logged = 1;
		return STORE_DOWN;
	default:
		log_warnx("redis %s: unexpected reply type %d", st->where,
		    rep->type);
		return STORE_INVALID;
	}
}

/* hiredis reply callback for every command; privdata is the request. */
static void
store_reply_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store_req *r = privdata;
	struct store	*st = r->st;
	const char	*val;
	size_t		 len;
	char		 num[32];
	int		 err;

	TAILQ_REMOVE(&st->inflight, r, f);
	st->ninflight--;
	r->flags &= ~REQ_INFLIGHT;
	/* NULL: hiredis is tearing the context down (and frees it). */
	if (reply == NULL && !st->closing && ac == st->cmd.ac)
		store_conn_lost(&st->cmd, ac->errstr[0] != '\0' ?
		    ac->errstr : "connection lost");
	if (st->closing || !(r->flags & REQ_WAITING)) {
		/* Cancelled or timed out: hiredis was the last holder. */
		store_req_release(r);
		return;
	}
	TAILQ_REMOVE(&st->waiting, r, q);
	r->flags &= ~REQ_WAITING;
	if (reply == NULL)
		err = STORE_DOWN, val = NULL, len = 0;
	else
		err = store_classify(st, reply, &val, &len, num, sizeof(num));
	store_answer(r, val, len, err);
}

/*
 * Queue a command on the command connection.  Never calls cb from here:
 * when it cannot be sent the answer is STORE_DOWN from a zero-delay timer.
 */
static struct store_req *
store_issue(struct store *st, store_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct store_req *r;
	struct timeval	 tv = { 0, 0 };

	if (st->closing || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->st = st;
	r->cb = cb;
	r->arg = arg;
	r->issued = store_now();
	if (st->cmd.state != CONN_UP || st->cmd.ac == NULL ||
	    st->ninflight >= STORE_MAX_INFLIGHT ||
	    redisAsyncCommandArgv(st->cmd.ac, store_reply_cb, r, argc, argv,
	    argvlen) != REDIS_OK) {
		r->flags = REQ_DOWNQ;
		TAILQ_INSERT_TAIL(&st->down, r, q);
		st->ndown++;
		if (!evtimer_pending(st->ev_down, NULL))
			evtimer_add(st->ev_down, &tv);
		return r;
	}
	r->flags = REQ_WAITING | REQ_INFLIGHT;
	TAILQ_INSERT_TAIL(&st->waiting, r, q);
	TAILQ_INSERT_TAIL(&st->inflight, r, f);
	st->ninflight++;
	/* The timer may be armed for a later wedge limit. */
	if (!evtimer_pending(st->ev_deadline, NULL) ||
	    r->issued + st->timeout_ms < st->deadline_at)
		store_arm(st);
	return r;
}

struct store_req *
store_get_route(struct store *st, const char *id, store_cb *cb, void *arg)
{
	char		 key[STORE_MAX_KEY + ROUTE_MAX_ID];
	const char	*argv[2];
	size_t		 argvlen[2], idlen;

	idlen = strlen(id);
	if (idlen == 0 || idlen > ROUTE_MAX_ID)
		return NULL;
	memcpy(key, st->key_prefix, st->key_prefix_len);
	memcpy(key + st->key_prefix_len, id, idlen);
	argv[0] = "GET";
	argvlen[0] = 3;
	argv[1] = key;
	argvlen[1] = st->key_prefix_len + idlen;
	return store_issue(st, cb, arg, 2, argv, argvlen);
}

struct store_req *
store_command(struct store *st, store_cb *cb, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	if (argc < 1 || argv == NULL || argvlen == NULL)
		return NULL;
	return store_issue(st, cb, arg, argc, argv, argvlen);
}

void
store_cancel(struct store_req *r)
{
	struct store	*st;

	if (r == NULL)
		return;
	st = r->st;
	if (r->flags & REQ_WAITING) {
		TAILQ_REMOVE(&st->waiting, r, q);
		r->flags &= ~REQ_WAITING;
	} else if (r->flags & REQ_DOWNQ) {
		TAILQ_REMOVE(&st->down, r, q);
		st->ndown--;
		r->flags &= ~REQ_DOWNQ;
	}
	store_req_release(r);
}

int
store_connected(const struct store *st)
{
	return st->cmd.state == CONN_UP;
}

/* Connections. */

static void
store_conn_up(struct store_conn *c)
{
	struct store	*st = c->st;

	evtimer_del(c->ev_timer);
	c->state = CONN_UP;
	c->up_since = store_now();
	if (st->unix_path[0] == '\0')
		(void)redisEnableKeepAlive(&c->ac->c);
	if (c->logged_down)
		log_warnx("redis %s: %s connection restored", st->where,
		    c->name);
	else
		log_debug("redis %s: %s connection up", st->where, c->name);
	c->logged_down = 0;
}

/*
 * The context is gone or going: forget it (hiredis frees it, or the caller
 * does), log once per state change and schedule a retry with backoff.
 */
static void
store_conn_lost(struct store_conn *c, const char *why)
{
	struct store	*st = c->st;
	struct timeval	 tv;
	uint64_t	 delay;

	if (c->state == CONN_UP) {
		log_warnx("redis %s: %s connection lost (%s); reconnecting",
		    st->where, c->name, why);
		c->logged_down = 1;
		if (store_now() - c->up_since >= STORE_STABLE_MS)
			c->backoff_ms = STORE_BACKOFF_MIN_MS;
	} else if (!c->logged_down) {
		log_warnx("redis %s: %s connection failed (%s); retrying "
		    "with backoff", st->where, c->name, why);
		c->logged_down = 1;
	}
	c->ac = NULL;
	c->state = CONN_DOWN;
	delay = c->backoff_ms * 3 / 4 +
	    arc4random_uniform((uint32_t)(c->backoff_ms / 2 + 1));
	c->backoff_ms = DB_MIN(c->backoff_ms * 2, STORE_BACKOFF_MAX_MS);
	store_ms_tv(delay, &tv);
	evtimer_add(c->ev_timer, &tv);
}

/*
 * Tear the connection down ourselves.  Safe from timers and from inside
 * hiredis reply callbacks (hiredis then defers the free); not from the
 * connect callback.  Pending commands get NULL replies (STORE_DOWN).
 */
static void
store_conn_drop(struct store_conn *c, const char *why)
{
	redisAsyncContext *ac = c->ac;

	store_conn_lost(c, why);
	if (ac != NULL)
		redisAsyncFree(ac);
}

static void
store_ping_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store	*st = privdata;
	struct store_conn *c = &st->cmd;
	redisReply	*rep = reply;
	char		 why[96];

	if (st->closing || ac != c->ac || c->state != CONN_CONNECTING)
		return;
	if (rep == NULL) {
		store_conn_lost(c, ac->errstr[0] != '\0' ? ac->errstr :
		    "connection lost");
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "PING: %.64s",
		    rep->str != NULL ? rep->str : "");
		store_conn_drop(c, why);
		return;
	}
	store_conn_up(c);
}

/* The subscriber's only callback: confirmations and messages. */
static void
store_sub_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store	*st = privdata;
	struct store_conn *c = &st->sub;
	redisReply	*rep = reply, *kind, *msg;

	if (st->closing || ac != c->ac)
		return;
	if (rep == NULL) {
		store_conn_lost(c, ac->errstr[0] != '\0' ? ac->errstr :
		    "connection lost");
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 3)
		return;
	kind = rep->element[0];
	msg = rep->element[2];
	if (kind->type != REDIS_REPLY_STRING)
		return;
	if (kind->len == 9 && memcmp(kind->str, "subscribe", 9) == 0) {
		if (c->state == CONN_CONNECTING)
			store_conn_up(c);
		/* We may have missed messages while unsubscribed. */
		st->inval_cb(st->inval_arg, NULL, 0);
	} else if (kind->len == 7 && memcmp(kind->str, "message", 7) == 0 &&
	    msg->type == REDIS_REPLY_STRING)
		st->inval_cb(st->inval_arg, msg->str, msg->len);
}

static void
store_connect_cb(const redisAsyncContext *cac, int status)
{
	struct store_conn *c = cac->data;
	struct store	*st = c->st;
	int		 rc;

	if (st->closing || cac != c->ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after we return. */
		store_conn_lost(c, cac->errstr[0] != '\0' ? cac->errstr :
		    "connect failed");
		return;
	}
	/*
	 * TCP is up; a stopped Redis still completes the handshake, so the
	 * connection counts as up only once Redis answers.  If the command
	 * cannot be queued the connect deadline cleans up (freeing the
	 * context inside this callback is not allowed).
	 */
	if (st->auth != NULL)
		store_auth(c);
	if (c == &st->cmd)
		rc = redisAsyncCommand(c->ac, store_ping_cb, st, "PING");
	else
		rc = redisAsyncCommand(c->ac, store_sub_cb, st,
		    "SUBSCRIBE %b", st->channel, st->channel_len);
	(void)rc;
}

/*
 * AUTH first, pipelined ahead of the PING / SUBSCRIBE: if it fails, the
 * next command answers an error (NOAUTH, WRONGPASS) and the connection is
 * treated as down like any other failure.  The reply itself is dropped.
 */
static void
store_auth(struct store_conn *c)
{
	const char *pw = c->st->auth, *sp = strchr(pw, ' ');
	const char *argv[3];
	size_t	 argvlen[3];
	int	 argc = 2;

	argv[0] = "AUTH";
	argvlen[0] = 4;
	if (sp != NULL) {		/* "user password" (ACL) */
		argv[1] = pw;
		argvlen[1] = (size_t)(sp - pw);
		argv[2] = sp + 1;
		argvlen[2] = strlen(sp + 1);
		argc = 3;
	} else {
		argv[1] = pw;
		argvlen[1] = strlen(pw);
	}
	(void)redisAsyncCommandArgv(c->ac, NULL, NULL, argc, argv, argvlen);
}

static void
store_disconnect_cb(const redisAsyncContext *cac, int status)
{
	struct store_conn *c = cac->data;

	(void)status;
	if (c->st->closing || cac != c->ac)
		return;
	store_conn_lost(c, cac->errstr[0] != '\0' ? cac->errstr :
	    "connection closed");
}

static void
store_conn_start(struct store_conn *c)
{
	struct store	*st = c->st;
	redisAsyncContext *ac;
	struct timeval	 tv;
	char		 why[128];

	if (st->unix_path[0] != '\0')
		ac = redisAsyncConnectUnix(st->unix_path);
	else
		ac = redisAsyncConnect(st->host, st->port);
	if (ac == NULL) {
		store_conn_lost(c, "out of memory");
		return;
	}
	if (ac->err) {
		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		store_conn_lost(c, why);
		return;
	}
	ac->data = c;
	if (redisLibeventAttach(ac, st->base) != REDIS_OK) {
		redisAsyncFree(ac);
		store_conn_lost(c, "cannot attach to event loop");
		return;
	}
	redisAsyncSetConnectCallback(ac, store_connect_cb);
	redisAsyncSetDisconnectCallback(ac, store_disconnect_cb);
	c->ac = ac;
	c->state = CONN_CONNECTING;
	store_ms_tv(st->connect_ms, &tv);
	evtimer_add(c->ev_timer, &tv);
}

/* Retry delay over (DOWN) or connect deadline passed (CONNECTING). */
static void
store_conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store_conn *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CONN_DOWN:
		store_conn_start(c);
		break;
	case CONN_CONNECTING:
		store_conn_drop(c, "connect timed out");
		break;
	case CONN_UP:
		break;
	}
}

static int
store_conn_init(struct store *st, struct store_conn *c, const char *name)
{
	c->st = st;
	c->name = name;
	c->state = CONN_DOWN;
	c->backoff_ms = STORE_BACKOFF_MIN_MS;
	c->ev_timer = evtimer_new(st->base, store_conn_timer_cb, c);
	return c->ev_timer != NULL ? 0 : -1;
}

static void
store_conn_close(struct store_conn *c)
{
	redisAsyncContext *ac = c->ac;

	c->ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	c->ev_timer = NULL;
}

/*
 * A store for one worker's event_base.  Connects in the background:
 * until the command connection is up, commands answer STORE_DOWN.
 * inval_cb runs for every invalidation (see routing.h).  Returns NULL on
 * allocation failure or an unusable redis address.  Free with store_free().
 */
struct store *
store_new(struct event_base *base, const struct config *conf,
    store_inval_cb *inval_cb, void *arg)
{
	struct store	*st;
	int		 n;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->base = base;
	st->inval_cb = inval_cb;
	st->inval_arg = arg;
	st->auth = conf->redis_auth;
	TAILQ_INIT(&st->waiting);
	TAILQ_INIT(&st->down);
	TAILQ_INIT(&st->inflight);
	st->timeout_ms = DB_MAX(conf->redis_timeout_ms, 1);
	st->connect_ms = DB_MAX(st->timeout_ms * STORE_WEDGE_FACTOR,
	    STORE_CONNECT_MIN_MS);

	if (strncmp(conf->redis_host, "unix:", 5) == 0) {
		if (str_lcpy(st->unix_path, conf->redis_host + 5,
		    sizeof(st->unix_path)) >= sizeof(st->unix_path) ||
		    st->unix_path[0] == '\0')
			goto fail;
		n = snprintf(st->where, sizeof(st->where), "%s",
		    conf->redis_host);
	} else {
		if (str_lcpy(st->host, conf->redis_host, sizeof(st->host)) >=
		    sizeof(st->host) || st->host[0] == '\0')
			goto fail;
		st->port = conf->redis_port;
		n = snprintf(st->where, sizeof(st->where),
		    strchr(st->host, ':') != NULL ? "[%s]:%u" : "%s:%u",
		    st->host, (unsigned)st->port);
	}
	if (n < 0 || (size_t)n >= sizeof(st->where))
		goto fail;
	n = snprintf(st->key_prefix, sizeof(st->key_prefix), "%sroute:",
	    conf->redis_prefix);
	if (n < 0 || (size_t)n >= sizeof(st->key_prefix))
		goto fail;
	st->key_prefix_len = (size_t)n;
	n = snprintf(st->channel, sizeof(st->channel), "%sroutes",
	    conf->redis_prefix);
	if (n < 0 || (size_t)n >= sizeof(st->channel))
		goto fail;
	st->channel_len = (size_t)n;

	if ((st->ev_deadline = evtimer_new(base, store_deadline_cb, st)) ==
	    NULL || (st->ev_down = evtimer_new(base, store_down_cb, st)) ==
	    NULL)
		goto fail;
	if (store_conn_init(st, &st->cmd, "command") == -1 ||
	    store_conn_init(st, &st->sub, "subscriber") == -1)
		goto fail;
	store_conn_start(&st->cmd);
	store_conn_start(&st->sub);
	return st;
fail:
	store_free(st);
	return NULL;
}

/*
 * Close both connections and drop every request without calling back.
 * Must not be called from inside a store callback.
 */
void
store_free(struct store *st)
{
	struct store_req *r;

	if (st == NULL)
		return;
	st->closing = 1;
	/* hiredis calls back with NULL: store_reply_cb only unlinks. */
	store_conn_close(&st->cmd);
	store_conn_close(&st->sub);
	while ((r = TAILQ_FIRST(&st->waiting)) != NULL) {
		TAILQ_REMOVE(&st->waiting, r, q);
		r->flags &= ~REQ_WAITING;
		store_req_release(r);
	}
	while ((r = TAILQ_FIRST(&st->down)) != NULL) {
		TAILQ_REMOVE(&st->down, r, q);
		r->flags &= ~REQ_DOWNQ;
		store_req_release(r);
	}
	if (st->ev_deadline != NULL)
		event_free(st->ev_deadline);
	if (st->ev_down != NULL)
		event_free(st->ev_down);
	free(st);
}
