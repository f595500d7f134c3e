/*
 * upstream.c -- connections to sandboxes and the per-worker idle pool.
 *
 * A pooled connection is keyed by (sandbox, route generation, ip, port):
 * a route change bumps the generation, so a connection opened for an old
 * route (or for another sandbox that used to live at that address) is
 * never reused.  An idle connection keeps EV_READ on: an idle HTTP/1.1
 * server must not send anything, so any byte or EOF closes it.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define POOL_BUCKETS	1024

struct upconn {
	struct worker	*w;
	struct pool	*pool;		/* set while idle in the pool */
	struct bufferevent *bev;	/* owned */
	struct upkey	 key;
	uint64_t	 hash;
	int		 reused;
	TAILQ_ENTRY(upconn) entry;
};

TAILQ_HEAD(upconn_list, upconn);

struct pool {
	struct worker	*w;
	size_t		 nidle;
	struct upconn_list buckets[POOL_BUCKETS];
};

static uint64_t
upkey_hash(const struct upkey *k)
{
	uint64_t h;

	h = str_hash(k->sandbox, strlen(k->sandbox));
	h ^= str_hash(k->ip, strlen(k->ip)) * 31;
	h ^= (uint64_t)k->port * 0x9e3779b97f4a7c15ULL;
	h ^= k->generation * 0xff51afd7ed558ccdULL;
	return h;
}

static int
upkey_eq(const struct upkey *a, const struct upkey *b)
{
	return a->port == b->port && a->generation == b->generation &&
	    a->tls == b->tls && strcmp(a->sandbox, b->sandbox) == 0 &&
	    strcmp(a->ip, b->ip) == 0 && strcmp(a->tls_name, b->tls_name) == 0;
}

struct pool *
pool_new(struct worker *w)
{
	struct pool *p;
	size_t	 i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->w = w;
	for (i = 0; i < POOL_BUCKETS; i++)
		TAILQ_INIT(&p->buckets[i]);
	return p;
}

void
pool_free(struct pool *p)
{
	struct upconn *u;
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < POOL_BUCKETS; i++) {
		while ((u = TAILQ_FIRST(&p->buckets[i])) != NULL) {
			TAILQ_REMOVE(&p->buckets[i], u, entry);
			u->pool = NULL;
			upconn_free(u);
		}
	}
	free(p);
}

size_t
pool_idle_count(const struct pool *p)
{
	return p->nidle;
}

static void
pool_remove(struct upconn *u)
{
	struct pool *p = u->pool;

	if (p == NULL)
		return;
	TAILQ_REMOVE(&p->buckets[u->hash & (POOL_BUCKETS - 1)], u, entry);
	p->nidle--;
	u->pool = NULL;
}

/* Any byte, EOF, error or idle timeout on an idle connection ends it. */
static void
pool_idle_read(struct bufferevent *bev, void *arg)
{
	struct upconn *u = arg;

	(void)bev;
	pool_remove(u);
	upconn_free(u);
}

static void
pool_idle_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	pool_idle_read(bev, arg);
}

struct upconn *
pool_take(struct pool *p, const struct upkey *k)
{
	struct upconn_list *b;
	struct upconn *u;
	uint64_t h = upkey_hash(k);

	b = &p->buckets[h & (POOL_BUCKETS - 1)];
	TAILQ_FOREACH(u, b, entry) {
		if (u->hash == h && upkey_eq(&u->key, k))
			break;
	}
	if (u == NULL)
		return NULL;
	pool_remove(u);
	bufferevent_setcb(u->bev, NULL, NULL, NULL, NULL);
	bufferevent_set_timeouts(u->bev, NULL, NULL);
	u->reused = 1;
	return u;
}

void
pool_put(struct pool *p, struct upconn *u)
{
	const struct config *conf = p->w->conf;
	struct upconn_list *b = &p->buckets[u->hash & (POOL_BUCKETS - 1)];
	struct upconn *o;
	struct timeval tv;
	uint64_t same = 0;

	TAILQ_FOREACH(o, b, entry)
		if (o->hash == u->hash && upkey_eq(&o->key, &u->key))
			same++;
	if (same >= conf->upstream_keepalive ||
	    evbuffer_get_length(bufferevent_get_input(u->bev)) != 0) {
		upconn_free(u);
		return;
	}
	tv.tv_sec = (time_t)(conf->upstream_idle_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(conf->upstream_idle_timeout_ms % 1000) *
	    1000;
	bufferevent_setcb(u->bev, pool_idle_read, NULL, pool_idle_event, u);
	bufferevent_setwatermark(u->bev, EV_READ, 0, 0);
	bufferevent_setwatermark(u->bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(u->bev, &tv, NULL);
	bufferevent_enable(u->bev, EV_READ);
	TAILQ_INSERT_HEAD(b, u, entry);
	u->pool = p;
	p->nidle++;
}

struct upconn *
upconn_connect(struct worker *w, const struct upkey *k)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct upconn *u = NULL;
	struct timeval tv;
	socklen_t slen;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, k->ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(k->port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, k->ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(k->port);
		slen = sizeof(*sin6);
	} else
		return NULL;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		goto fail;
	u->w = w;
	u->key = *k;
	u->hash = upkey_hash(k);
	if (k->tls) {
		SSL	*ssl = tls_client_ssl(w->tls_client, k->tls_name, k->ip);

		if (ssl == NULL)
			goto fail;
		u->bev = bufferevent_openssl_socket_new(w->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (u->bev == NULL) {
			SSL_free(ssl);
			goto fail;
		}
	} else
		u->bev = bufferevent_socket_new(w->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
	if (u->bev == NULL)
		goto fail;
	/* The write timeout doubles as the connect timeout. */
	tv.tv_sec = (time_t)(w->conf->timeout_connect_ms / 1000);
	tv.tv_usec = (suseconds_t)(w->conf->timeout_connect_ms % 1000) * 1000;
	bufferevent_set_timeouts(u->bev, NULL, &tv);
	if (bufferevent_socket_connect(u->bev, (struct sockaddr *)&ss,
	    (int)slen) == -1)
		goto fail;
	w->stats.upstream_connects++;
	return u;
 fail:
	upconn_free(u);
	return NULL;
}

void
upconn_free(struct upconn *u)
{
	if (u == NULL)
		return;
	pool_remove(u);
	if (u->bev != NULL)
		bufferevent_free(u->bev);
	free(u);
}

struct bufferevent *
upconn_bev(struct upconn *u)
{
	return u->bev;
}

int
upconn_reused(const struct upconn *u)
{
	return u->reused;
}

int
upconn_tls(const struct upconn *u)
{
	return u->key.tls;
}

const struct upkey *
upconn_key(const struct upconn *u)
{
	return &u->key;
}
