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
#include <time.h>

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
	PERR_PRESIGN_INVALID,
	PERR_PRESIGN_FORBIDDEN,
	PERR_BAD_PRESIGN,
	PERR_LENGTH_REQUIRED,
	PERR_NOT_CONFIGURED,
	PERR_ORIGIN,
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
struct errors_opts {
	const char	*code;		/* overrides the table's code */
	const char	*message;	/* overrides the table's message */
	const char	*request_id;
	int		 close;		/* add Connection: close */
	int		 token_presented; /* 401: error="invalid_token" */
	int		 html;		/* a browser page load: HTML body */
};
void		 errors_write(struct evbuffer *, enum proxy_err,
		    const struct errors_opts *);

/* headers.c */
struct hdr_req_ctx {
	int		 strip_cookie;	/* remove our cookie from Cookie */
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
	int		 tls;		/* TLS toward the sandbox */
	char		 tls_name[ROUTE_MAX_TLS_NAME];
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
int		 upconn_tls(const struct upconn *);
const struct upkey *upconn_key(const struct upconn *);

/* session.c */
#define SESSION_LOCAL_BODY_MAX	16384	/* bodies Drawbridge reads itself */

enum sess_state {
	S_READ_HEAD = 1,
	S_ROUTE,
	S_CONNECT,
	S_FORWARD,
	S_TUNNEL,
	S_LOCAL_BODY,		/* reading a body Drawbridge answers itself */
	S_CLOSING
};

enum body_mode {
	BODY_NONE = 0,
	BODY_LENGTH,
	BODY_CHUNKED,
	BODY_CLOSE		/* responses only: until upstream EOF */
};

enum local_kind {
	LOCAL_NONE = 0,
	LOCAL_AUTH,		/* the bootstrap link: grant -> cookie */
	LOCAL_LOGOUT,
	LOCAL_PRESIGN,		/* mint a presigned URL */
	LOCAL_PRESIGN_USE	/* a presigned upload/download */
};

/*
 * One client connection.  Owned by its worker's list; torn down only by
 * session_close().  Internals are shared by session.c (the state machine)
 * and local.c (the requests Drawbridge answers itself).
 */
struct session {
	struct worker	*w;
	const struct config *conf;
	TAILQ_ENTRY(session) entry;
	struct bufferevent *bev;		/* client; owned */
	struct event	*timer;			/* head deadline, idle, tunnel */
	char		 peer_ip[INET6_ADDRSTRLEN];
	int		 peer_trusted;
	int		 tls;
	int		 handshaking;		/* TLS handshake not done */
	enum sess_state	 state;
	int		 in_head;		/* first byte of a head seen */
	size_t		 scanned;		/* head bytes seen at last try */
	size_t		 hw;			/* buffer high watermark */

	/* The request in flight. */
	char		*head;			/* owned: head + rewrite space */
	struct http1_request *req;		/* owned */
	struct host_route hr;
	struct authz_cred cred;
	int		 auth_ours;		/* Authorization is ours */
	struct routes_req *rreq;		/* pending lookup; cancel */
	struct route	*route;			/* reference */
	struct upkey	 key;
	struct upconn	*up;			/* owned while busy */
	const char	*upgrade;		/* accepted upgrade token */
	char		 upgrade_buf[32];
	int		 stream;		/* holds a stream slot */
	char		 ws_accept[32];		/* expected Sec-WebSocket-Accept */
	int		 head_method;
	int		 retried;
	char		 reqid[32];
	struct timespec	 t0;
	uint64_t	 bytes_in, bytes_out;
	int		 status;
	char		 reason[64];

	enum body_mode	 req_body;
	uint64_t	 req_remain;
	uint64_t	 req_total;
	uint64_t	 req_framing;
	struct http1_chunked req_ch;
	int		 req_done;
	int		 client_eof;

	int		 resp_started;		/* head queued for the client */
	size_t		 resp_mark;		/* client output before it */
	uint64_t	 resp_queued;		/* bytes of it queued since */
	int		 resp_n1xx;
	enum body_mode	 resp_in;
	int		 resp_out_chunked;
	uint64_t	 resp_remain;
	uint64_t	 resp_data, resp_framing;
	struct http1_chunked resp_ch;
	int		 resp_close;		/* close client afterwards */
	int		 up_keepalive;		/* upstream allows reuse */
	uint64_t	 resp_bytes;		/* from upstream, any */

	/* Tunnel half-close state. */
	int		 eof_client, eof_up;

	/* Output is written directly at the end of each loop pass that
	 * touched the session (session_flush); EV_WRITE is on only while
	 * bytes remain.  wait_*: a drain is awaited (backpressure, or a
	 * half-close to pass on once the output is empty). */
	TAILQ_ENTRY(session) dirty_entry;
	int		 dirty;
	int		 wait_client, wait_up;

	/* Requests Drawbridge answers itself, and presigned uses (local.c). */
	enum local_kind	 local;
	int		 cred_cookie;		/* credential is our cookie */
	struct presign_claims *presign;		/* owned: verified URL */
	struct store_req *sreq;			/* pending claim; cancel */
	char		*target_buf;		/* owned: rewritten target */
	uint64_t	 body_limit;		/* 0 = none */
	char		 claim_id[65];		/* single-use grant digest */
	char		 claim_key[256];	/* Redis key of our claim */
	char		 claim_val[33];		/* its random value */
	const char	*errmsg;		/* next reply's message */
};


/* streams.c */
struct streams;
struct streams	*streams_new(void);
void		 streams_free(struct streams *);
int		 streams_acquire(struct streams *, const char *, uint64_t);
void		 streams_release(struct streams *, const char *);

/* session.c (functions) */
int		 session_reply(struct session *, enum proxy_err, const char *);
int		 session_finish(struct session *, int);
void		 session_set_reason(struct session *, const char *,
		    const char *);
int		 session_start_upstream(struct session *);

/* local.c */
void		 local_classify(struct session *);
int		 local_credential(struct session *, int *);
int		 local_routed(struct session *, int *);
int		 local_logout(struct session *);
int		 local_read_body(struct session *);
int		 local_wants_html(const struct http1_request *);

/* The session was touched in this loop pass: flush it at its end. */
void		 session_mark(struct session *);
/* Flush every marked session (the worker's flush event). */
void		 session_flush_marked(struct worker *);
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
	int		 paused_until_ready;	/* start-up: Redis not up yet */
	unsigned	 ready_polls;
	struct event	*resume_ev;	/* re-enable after EMFILE / cap */
	int		 notify[2];	/* main thread -> worker: 'S', 'R' */
	struct event	*notify_ev;
	struct routes	*routes;
	struct tokcache	*tokens;
	struct pool	*pool;
	struct streams	*streams;	/* shared by all workers */
	struct tls	*tls;		/* shared; NULL without tls */
	SSL_CTX		*tls_client;	/* shared: "tls": true routes */
	const struct config *next_conf;	/* handed over by reload */
	struct evbuffer	*scratch;	/* chunk coalescing; empty between
					 * calls */
	struct http1_response *resp;	/* a response head being parsed;
					 * valid within one call only */
	FILE		*access;	/* NULL: off */
	uint64_t	 max_sessions;
	uint64_t	 reqseq;
	TAILQ_HEAD(, session) sessions;
	TAILQ_HEAD(, session) dirty;	/* to flush at the end of this pass */
	struct event	*flush_ev;
	struct worker_stats stats;	/* written by the worker only */
};

int		 worker_init(struct worker *, unsigned, const struct config *,
		    const int *, size_t, FILE *, struct streams *, struct tls *,
		    SSL_CTX *);
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
