/*
 * proxy/proxy.h -- the data path: workers, client sessions, upstream
 * connections and the pool, header rewriting, canned error replies, the
 * access log and the admin listener.  Only proxy/ knows what a connection
 * is; it drives the pure decisions of routing/ and authz/.
 *
 *   main.c     flags, config, signals, worker threads, admin listener
 *   worker.c   one event loop per thread: listeners, caps, shutdown
 *   session.c  the client connection state machine (one request at a time)
 *   upstream.c connections to sandboxes and the per-worker idle pool
 *   headers.c  request head toward the upstream, response head back
 *   errors.c   the one table from error to status/code/message
 *   access.c   one access-log line per request
 *   admin.c    evhttp on the admin address: /healthz, /metrics
 */
#ifndef DB_PROXY_H
#define DB_PROXY_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "proxy/http1.h"
#include "routing/routing.h"
#include "authz/authz.h"
#include "tls/tls.h"

struct event_base;
struct event;
struct evbuffer;
struct bufferevent;
struct evconnlistener;
struct session;
struct upconn;
struct worker;

/* errors.c */
enum proxy_err {
	PERR_BAD_REQUEST = 0,
	PERR_BAD_HOST,
	PERR_UNKNOWN_HOST,
	PERR_METHOD_NOT_ALLOWED,
	PERR_HEADER_TIMEOUT,
	PERR_BODY_TOO_LARGE,
	PERR_URI_TOO_LONG,
	PERR_HEADERS_TOO_LARGE,
	PERR_EXPECTATION_FAILED,
	PERR_UNSUPPORTED_TE,
	PERR_HTTP_VERSION,
	PERR_UPGRADE_NOT_ALLOWED,
	PERR_TOKEN,		/* 401; code from the token outcome */
	PERR_TOKEN_MISSING,
	PERR_TOKEN_WRONG_SANDBOX,
	PERR_TOKEN_REVOKED,
	PERR_PORT_SCOPE,
	PERR_PORT_NOT_EXPOSED,
	PERR_RUNTIME_PORT,
	PERR_SANDBOX_NOT_FOUND,
	PERR_SANDBOX_NOT_RUNNING,
	PERR_SANDBOX_CLOSED,
	PERR_UPSTREAM_UNREACHABLE,
	PERR_UPSTREAM_BAD_RESPONSE,
	PERR_ROUTE_STORE,
	PERR_UPSTREAM_TIMEOUT,
	PERR_TOO_MANY_STREAMS,
	PERR_INTERNAL,
	PERR_COUNT
};

struct proxy_errinfo {
	int		 status;
	const char	*code;
	const char	*message;
};

const struct proxy_errinfo *errors_info(enum proxy_err);
/* Map a parser status (400/405/414/431/417/501/505) to an error. */
enum proxy_err	 errors_from_status(int);
const char	*errors_reason(int);	/* "Not Found" for 404 ... */
/*
 * Append a complete JSON error response to out.  code overrides the
 * table's code when non-NULL (token outcomes).  close adds
 * "Connection: close".
 */
void		 errors_write(struct evbuffer *, enum proxy_err, const char *,
		    const char *, int, int);

/* headers.c */
struct hdr_req_ctx {
	const char	*target;	/* origin-form target to send */
	size_t		 target_len;
	const char	*peer_ip;
	int		 peer_trusted;
	int		 tls;		/* X-Forwarded-Proto */
	int		 strip_auth;	/* our credential: remove it */
	const char	*inject_name;	/* "" or NULL: none */
	const char	*inject_value;
	const char	*request_id;
	const char	*upgrade;	/* forward this accepted upgrade
					 * token ("websocket"), or NULL */
	int		 body;		/* 0 none, 1 Content-Length, 2 chunked */
	uint64_t	 content_length;
};

/* Serialise the request head for the upstream into out. */
void		 headers_request(struct evbuffer *,
		    const struct http1_request *, const struct hdr_req_ctx *);

struct hdr_resp_ctx {
	int		 client_minor;	/* 0 or 1 */
	int		 framing;	/* enum resp_framing below */
	uint64_t	 content_length;
	int		 close;		/* we close the client after this */
	const char	*upgrade;	/* 101 to an accepted upgrade */
	uint64_t	 dropped_cookies; /* out: Set-Cookie lines removed */
};

enum resp_framing {
	RESP_NOBODY = 0,	/* HEAD, 1xx, 204, 304: forward CL as is */
	RESP_LENGTH,		/* Content-Length: n */
	RESP_CHUNKED,		/* re-chunk to the client */
	RESP_CLOSE		/* raw bytes until close */
};

/* Serialise the filtered response head for the client into out. */
void		 headers_response(struct evbuffer *,
		    const struct http1_response *, struct hdr_resp_ctx *);
/* Should this request header never be forwarded (hop-by-hop etc.)? */
int		 headers_is_hop(const char *, size_t);

/* access.c */
struct access_rec {
	const char	*peer_ip;
	const char	*method;
	size_t		 methodlen;
	const char	*target;
	size_t		 targetlen;
	const char	*host;
	const char	*sandbox;	/* "" unknown */
	unsigned	 port;		/* 0 runtime / unknown */
	int		 status;
	uint64_t	 in, out;
	uint64_t	 ms;
	const char	*reason;	/* "ok", "authz=token_expired" ... */
	const char	*request_id;
};
void		 access_log(FILE *, const struct access_rec *);
/* Redact query values of credential parameters into buf. */
size_t		 access_redact(const char *, size_t, char *, size_t);

/* upstream.c */
struct pool;
struct pool	*pool_new(struct worker *);
void		 pool_free(struct pool *);
/* Key for a pooled connection: sandbox, route generation, ip, port. */
struct upkey {
	char		 sandbox[ROUTE_MAX_ID + 1];
	uint64_t	 generation;
	char		 ip[ROUTE_MAX_TARGET];
	uint16_t	 port;
};
/* An idle connection for key, or NULL. Caller owns it afterwards. */
struct upconn	*pool_take(struct pool *, const struct upkey *);
/* Give a clean connection back (or free it if the pool is full). */
void		 pool_put(struct pool *, struct upconn *);
size_t		 pool_idle_count(const struct pool *);

/* Start a new connection; returns NULL if the socket could not be made. */
struct upconn	*upconn_connect(struct worker *, const struct upkey *);
void		 upconn_free(struct upconn *);
struct bufferevent *upconn_bev(struct upconn *);
int		 upconn_reused(const struct upconn *);
const struct upkey *upconn_key(const struct upconn *);

/* streams.c */
struct streams;
struct streams	*streams_new(void);
void		 streams_free(struct streams *);
int		 streams_acquire(struct streams *, const char *, uint64_t);
void		 streams_release(struct streams *, const char *);

/* session.c */
/* Close the open streams of sandbox id (its route changed). */
void		 session_route_changed(struct worker *, const char *);
void		 session_accept(struct worker *, int, struct sockaddr *, int,
		    int);
void		 session_close(struct session *);

/* worker.c */
struct worker_stats {
	uint64_t	 accepted;
	uint64_t	 active;
	uint64_t	 requests;
	uint64_t	 responses[6];	/* by class: 1xx..5xx, [0] other */
	uint64_t	 upstream_connects;
	uint64_t	 upstream_reuses;
	uint64_t	 dropped_cookies;
};

struct worker_listener {
	struct worker	*w;
	int		 tls;
};

struct worker {
	unsigned	 id;
	pthread_t	 thread;
	const struct config *conf;
	struct event_base *base;
	struct evconnlistener *listeners[CONF_MAX_LISTEN];
	struct worker_listener larg[CONF_MAX_LISTEN];
	int		 listen_fds[CONF_MAX_LISTEN];
	size_t		 nlisteners;
	int		 listeners_paused;
	struct event	*resume_ev;	/* re-enable after EMFILE / cap */
	struct event	*stop_ev;	/* activated by the main thread */
	struct routes	*routes;
	struct tokcache	*tokens;
	struct pool	*pool;
	struct streams	*streams;	/* shared by all workers */
	struct tls	*tls;		/* shared; NULL without tls */
	struct event	*reload_ev;	/* activated by the main thread */
	const struct config *next_conf;	/* handed over by reload */
	struct evbuffer	*scratch;	/* chunk coalescing; empty between
					 * calls */
	FILE		*access;	/* NULL: off */
	uint64_t	 max_sessions;
	uint64_t	 reqseq;
	TAILQ_HEAD(, session) sessions;
	struct worker_stats stats;	/* written by the worker only */
};

int		 worker_init(struct worker *, unsigned, const struct config *,
		    const int *, size_t, FILE *, struct streams *, struct tls *);
/* Hand a new config to the worker (from the main thread). */
void		 worker_reload(struct worker *, const struct config *);
int		 worker_start(struct worker *);
void		 worker_stop(struct worker *);	/* from another thread */
void		 worker_join(struct worker *);
void		 worker_cleanup(struct worker *);
/* A session ended: maybe resume accepting. */
void		 worker_session_done(struct worker *);

/* admin.c */
struct admin;
struct admin	*admin_new(struct event_base *, const struct config *,
		    struct worker *, size_t);
void		 admin_free(struct admin *);

#endif /* DB_PROXY_H */
