/*
 * worker.c -- one event loop per thread.  Each worker owns its listening
 * sockets (SO_REUSEPORT: the kernel spreads connections), its sessions, its
 * upstream pool, its route cache with its own two Redis connections, and
 * its token cache.  Nothing on the data path is shared between threads
 * except the read-only config, so there are no locks on the hot path.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/common.h"
#include "proxy/proxy.h"

static void	 worker_reload_apply(struct worker *);

#define WORKER_RESUME_MS	100	/* after EMFILE */
#define WORKER_READY_POLL_MS	10	/* start-up: is Redis up yet? */
#define WORKER_READY_MAX_MS	2000	/* ...accept anyway after this */

static void
worker_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct worker_listener *la = arg;
	struct worker *w = la->w;
	size_t	 i;

	(void)l;
	session_accept(w, fd, sa, salen, la->tls);
	if (w->stats.active >= w->max_sessions && !w->listeners_paused) {
		for (i = 0; i < w->nlisteners; i++)
			evconnlistener_disable(w->listeners[i]);
		w->listeners_paused = 1;
	}
}

static void
worker_resume(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	size_t	 i;

	(void)fd;
	(void)what;
	if (w->paused_until_ready) {
		struct timeval tv = { 0, WORKER_READY_POLL_MS * 1000 };

		if (!store_connected(routes_store(w->routes)) &&
		    ++w->ready_polls * WORKER_READY_POLL_MS <
		    WORKER_READY_MAX_MS) {
			evtimer_add(w->resume_ev, &tv);
			return;
		}
		w->paused_until_ready = 0;
	}
	if (w->stats.active >= w->max_sessions)
		return;		/* worker_session_done resumes */
	for (i = 0; i < w->nlisteners; i++)
		evconnlistener_enable(w->listeners[i]);
	w->listeners_paused = 0;
}

/*
 * accept() failed (EMFILE, ENFILE, ENOBUFS...): libevent would retry at
 * once and spin, so pause the listeners and try again shortly.
 */
static void
worker_accept_error(struct evconnlistener *l, void *arg)
{
	struct worker *w = ((struct worker_listener *)arg)->w;
	struct timeval tv = { 0, WORKER_RESUME_MS * 1000 };
	size_t	 i;

	(void)l;
	log_warn("worker %u: accept", w->id);
	for (i = 0; i < w->nlisteners; i++)
		evconnlistener_disable(w->listeners[i]);
	w->listeners_paused = 1;
	evtimer_add(w->resume_ev, &tv);
}

void
worker_session_done(struct worker *w)
{
	if (w->listeners_paused && w->stats.active < w->max_sessions &&
	    !evtimer_pending(w->resume_ev, NULL)) {
		struct timeval tv = { 0, 0 };

		evtimer_add(w->resume_ev, &tv);
	}
}

/* An invalidation for one sandbox arrived (not a flush). */
static void
worker_route_changed(void *arg, const char *id)
{
	struct worker *w = arg;

	if (w->conf->stream_close_on_change)
		session_route_changed(w, id);
}

/* End of a loop pass: write what the touched sessions queued. */
static void
worker_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	session_flush_marked(arg);
}

static void
worker_stop_now(struct worker *w)
{
	struct session *s;
	size_t	 i;

	for (i = 0; i < w->nlisteners; i++) {
		evconnlistener_free(w->listeners[i]);
		w->listeners[i] = NULL;
	}
	w->nlisteners = 0;
	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		session_close(s);
	event_base_loopbreak(w->base);
}

/*
 * The worker's loops run without libevent's locks (EVENT_BASE_FLAG_NOLOCK:
 * nothing else touches them), so the main thread talks to a worker
 * through a pipe: 'S' stop, 'R' pick up next_conf.
 */
static void
worker_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char	 cmd[16];
	ssize_t	 n, i;

	(void)what;
	while ((n = read(fd, cmd, sizeof(cmd))) > 0) {
		for (i = 0; i < n; i++) {
			if (cmd[i] == 'S') {
				worker_stop_now(w);
				return;
			}
			if (cmd[i] == 'R')
				worker_reload_apply(w);
		}
	}
}

static void
worker_notify(struct worker *w, char cmd)
{
	ssize_t	 n;

	do
		n = write(w->notify[1], &cmd, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		log_warn("worker %u: notify", w->id);
}

/*
 * A reloaded config: new connections use it; established ones keep the
 * config they started with (configs are never freed before exit).  The
 * token cache is emptied: its entries were verified under the old keys.
 */
static void
worker_reload_apply(struct worker *w)
{
	const struct config *conf;

	conf = __atomic_load_n(&w->next_conf, __ATOMIC_ACQUIRE);
	if (conf == NULL || conf == w->conf)
		return;
	w->conf = conf;
	tokcache_free(w->tokens);
	w->tokens = tokcache_new(conf->token_cache_slots);
	/* Accept once this worker's Redis connection is up (or after a
	 * bound), so a fresh start does not answer its first lookups 503;
	 * until then the kernel queues connections in the backlog. */
	w->paused_until_ready = 1;
	w->listeners_paused = 1;
	{
		struct timeval tv = { 0, WORKER_READY_POLL_MS * 1000 };

		evtimer_add(w->resume_ev, &tv);
	}
}

void
worker_reload(struct worker *w, const struct config *conf)
{
	__atomic_store_n(&w->next_conf, conf, __ATOMIC_RELEASE);
	worker_notify(w, 'R');
}

int
worker_init(struct worker *w, unsigned id, const struct config *conf,
    const int *fds, size_t nfds, FILE *access, struct streams *streams,
    struct tls *tls, SSL_CTX *tls_client)
{
	struct event_config *cfg;
	size_t	 i;
	unsigned n = config_workers(conf);

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->conf = conf;
	w->access = access;
	w->streams = streams;
	w->tls = tls;
	w->tls_client = tls_client;
	TAILQ_INIT(&w->sessions);
	TAILQ_INIT(&w->dirty);
	w->max_sessions = conf->max_connections / (n ? n : 1);
	if (w->max_sessions == 0)
		w->max_sessions = 1;
	w->notify[0] = w->notify[1] = -1;
	if ((cfg = event_config_new()) == NULL)
		goto fail;
	/* One thread per base: no locks; batch epoll_ctl changes. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK |
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (w->base == NULL ||
	    pipe2(w->notify, O_NONBLOCK | O_CLOEXEC) == -1)
		goto fail;
	w->resume_ev = evtimer_new(w->base, worker_resume, w);
	w->flush_ev = event_new(w->base, -1, 0, worker_flush_cb, w);
	if (w->flush_ev == NULL)
		goto fail;
	w->notify_ev = event_new(w->base, w->notify[0], EV_READ | EV_PERSIST,
	    worker_notify_cb, w);
	if (w->resume_ev == NULL || w->notify_ev == NULL ||
	    event_add(w->notify_ev, NULL) == -1)
		goto fail;
	for (i = 0; i < nfds; i++) {
		w->larg[i].w = w;
		w->larg[i].tls = conf->listen[i].tls;
		w->listeners[i] = evconnlistener_new(w->base, worker_accept,
		    &w->larg[i], LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_DISABLED, -1, fds[i]);
		if (w->listeners[i] == NULL)
			goto fail;
		evconnlistener_set_error_cb(w->listeners[i],
		    worker_accept_error);
		w->nlisteners++;
	}
	if ((w->routes = routes_new(w->base, conf)) == NULL)
		goto fail;
	routes_set_listener(w->routes, worker_route_changed, w);
	w->tokens = tokcache_new(conf->token_cache_slots);
	/* Accept once this worker's Redis connection is up (or after a
	 * bound), so a fresh start does not answer its first lookups 503;
	 * until then the kernel queues connections in the backlog. */
	w->paused_until_ready = 1;
	w->listeners_paused = 1;
	{
		struct timeval tv = { 0, WORKER_READY_POLL_MS * 1000 };

		evtimer_add(w->resume_ev, &tv);
	}
	if ((w->pool = pool_new(w)) == NULL ||
	    (w->scratch = evbuffer_new()) == NULL ||
	    (w->resp = malloc(sizeof(*w->resp))) == NULL)
		goto fail;
	return 0;
 fail:
	log_warnx("worker %u: initialisation failed", id);
	worker_cleanup(w);
	return -1;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

int
worker_start(struct worker *w)
{
	if (pthread_create(&w->thread, NULL, worker_run, w) != 0) {
		log_warnx("worker %u: pthread_create failed", w->id);
		return -1;
	}
	return 0;
}

void
worker_stop(struct worker *w)
{
	worker_notify(w, 'S');
}

void
worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

void
worker_cleanup(struct worker *w)
{
	struct session *s;
	size_t	 i;

	if (w->base != NULL) {
		while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
			session_close(s);
	}
	for (i = 0; i < w->nlisteners; i++)
		evconnlistener_free(w->listeners[i]);
	w->nlisteners = 0;
	pool_free(w->pool);
	w->pool = NULL;
	routes_free(w->routes);
	w->routes = NULL;
	tokcache_free(w->tokens);
	w->tokens = NULL;
	if (w->scratch != NULL)
		evbuffer_free(w->scratch);
	w->scratch = NULL;
	free(w->resp);
	w->resp = NULL;
	if (w->resume_ev != NULL)
		event_free(w->resume_ev);
	if (w->notify_ev != NULL)
		event_free(w->notify_ev);
	if (w->flush_ev != NULL)
		event_free(w->flush_ev);
	w->flush_ev = NULL;
	w->resume_ev = w->notify_ev = NULL;
	if (w->notify[0] != -1)
		close(w->notify[0]);
	if (w->notify[1] != -1)
		close(w->notify[1]);
	w->notify[0] = w->notify[1] = -1;
	if (w->base != NULL)
		event_base_free(w->base);
	w->base = NULL;
}
