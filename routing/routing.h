/*
 * routing/routing.h -- from a request's Host and target to a sandbox route.
 *
 *   host.c    pure: Host header / path -> (sandbox id, port, mode)
 *   record.c  pure: the versioned route record (JSON in Redis) <-> struct route
 *   store.c   hiredis async client with our own timeouts and reconnect
 *   cache.c   per-worker route cache: TTL, negative entries, coalescing,
 *             stale serving while Redis is down, pub/sub invalidation
 *
 * Depends on config/ and common/ only.
 */
#ifndef DB_ROUTING_H
#define DB_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct event_base;

#define ROUTE_MAX_ID		63	/* one DNS label */
#define ROUTE_MAX_PORTS		64
#define ROUTE_MAX_TARGET	64	/* IP literal */
#define ROUTE_MAX_META		64	/* team, region */
#define ROUTE_MAX_HDR_NAME	64
#define ROUTE_MAX_TLS_NAME	254
#define ROUTE_MAX_HDR_VALUE	512
#define ROUTE_MAX_RECORD	16384	/* bytes of JSON we accept from Redis */
#define ROUTE_RUNTIME_PORT	4001	/* default runtime port */
#define ROUTE_SCHEMA_VERSION	1

/* host.c */
enum host_mode {
	HOST_MODE_RUNTIME = 1,	/* <id>.<domain> */
	HOST_MODE_PORT,		/* <port>-<id>.<domain> */
	HOST_MODE_PATH		/* <path-host>/sandbox/<id>/... */
};

enum host_rc {
	HOST_OK = 0,
	HOST_BAD,		/* 400: malformed Host or target */
	HOST_UNKNOWN,		/* 404: not one of our domains / path hosts */
	HOST_RUNTIME_PORT	/* 403: "4001-<id>" (runtime is never exposed) */
};

struct host_route {
	enum host_mode	 mode;
	char		 sandbox[ROUTE_MAX_ID + 1];	/* lower case */
	uint16_t	 port;		/* HOST_MODE_PORT: the port; else 0 */
	/* The request target to send upstream (path-routed: rewritten;
	 * otherwise the original origin-form target). NUL-terminated, points
	 * into the caller's buffer `rewrite` or to the input target. */
	const char	*target;
	size_t		 target_len;
	char		 host[CONF_MAX_HOSTNAME + 1];	/* canonical host, no port */
};

/*
 * Parse one request's Host header value host[0..hostlen) (may carry
 * ":port") and origin-form target[0..targetlen) against the configured
 * domains and path hosts.  For path-routed requests the upstream target
 * is written into rewrite[0..rewritelen) ("/sandbox/<id>/x?q" becomes
 * "/sandbox/x?q").  Pure; never allocates.
 */
enum host_rc	 host_parse(const struct config *, const char *, size_t,
		    const char *, size_t, char *, size_t, struct host_route *);
/* Is s[0..len) a valid sandbox id? */
int		 host_valid_id(const char *, size_t);

/* record.c */
enum route_status {
	ROUTE_ACTIVE = 1,
	ROUTE_PAUSED,		/* 409 */
	ROUTE_STARTING,		/* 409 */
	ROUTE_CLOSED		/* 410 */
};

enum route_access {
	ROUTE_PUBLIC = 1,
	ROUTE_PROTECTED
};

struct route_port {
	uint16_t	 port;
	enum route_access access;
};

/* A sandbox's route.  Owned by the cache and reference counted (one worker
 * thread only, so a plain int); holders call route_unref() when done. */
struct route {
	int		 refcnt;
	uint64_t	 generation;	/* bumped per (re)load; pool key part */
	char		 id[ROUTE_MAX_ID + 1];
	char		 target[ROUTE_MAX_TARGET];	/* IPv4/IPv6 literal */
	uint16_t	 runtime_port;
	enum route_status status;
	struct route_port ports[ROUTE_MAX_PORTS];
	size_t		 nports;
	int64_t		 revoked_before;	/* tokens with iat < this: 401 */
	char		 team[ROUTE_MAX_META];
	char		 region[ROUTE_MAX_META];
	int		 upstream_tls;	/* "tls": true: TLS to the sandbox */
	char		 tls_name[ROUTE_MAX_TLS_NAME];	/* name to verify;
					 * "" = the target address */
	char		 inject_name[ROUTE_MAX_HDR_NAME];	/* "" = none */
	char		 inject_value[ROUTE_MAX_HDR_VALUE];
};

/*
 * Parse a route record json[0..len) for sandbox id into *out (refcnt and
 * generation left 0).  Pure.  Returns 0, or -1 with a reason in err.
 */
int		 route_record_parse(const char *, size_t, const char *,
		    struct route *, char *, size_t);
/* Serialise *r as a canonical v1 record into buf; returns length or -1. */
int		 route_record_format(const struct route *, char *, size_t);
/* The exposure of a port, or NULL if it is not exposed. */
const struct route_port *route_find_port(const struct route *, uint16_t);
const char	*route_status_name(enum route_status);

/* store.c */
struct store;
typedef void	 store_cb(void *arg, const char *val, size_t len, int err);
enum store_err {
	STORE_OK = 0,
	STORE_NIL,		/* key absent */
	STORE_DOWN,		/* not connected, connection lost, error */
	STORE_TIMEOUT,		/* command deadline passed */
	STORE_INVALID		/* reply of the wrong type, or a value longer
				 * than ROUTE_MAX_RECORD */
};
/* Called for each invalidation message: the sandbox id, or "*" (flush),
 * and with id NULL after every (re)subscribe (flush all: we may have
 * missed messages). */
typedef void	 store_inval_cb(void *arg, const char *id, size_t len);
struct store	*store_new(struct event_base *, const struct config *,
		    store_inval_cb *, void *);
void		 store_free(struct store *);
/*
 * GET <prefix>route:<id>.  cb runs exactly once, later (never inside this
 * call), unless the returned handle is cancelled first.  val is valid only
 * during the callback.  Returns NULL if the command could not even be
 * queued (cb is then not called; treat as STORE_DOWN).
 */
struct store_req *store_get_route(struct store *, const char *, store_cb *,
		    void *);
/*
 * Any command, argv[0..argc) binary-safe, with the same deadline, cancel
 * and callback rules as store_get_route().  The callback gets STORE_OK
 * with a bulk string or status reply, or an integer reply as decimal text;
 * STORE_NIL for a nil reply; STORE_DOWN for an error reply.
 */
struct store_req *store_command(struct store *, store_cb *, void *, int,
		    const char **, const size_t *);
/* Drop a request: its callback will not run.  Accepts NULL. */
void		 store_cancel(struct store_req *);
int		 store_connected(const struct store *);

/* cache.c */
enum routes_result {
	ROUTES_FOUND = 1,
	ROUTES_NOTFOUND,	/* 404 */
	ROUTES_UNAVAILABLE,	/* 503: store down / timeout, nothing cached */
	ROUTES_PENDING		/* lookup in flight; callback follows */
};
struct routes;
struct routes_req;
/* r is a new reference the callee must route_unref(), or NULL. */
typedef void	 routes_cb(void *arg, enum routes_result, struct route *r);

struct routes	*routes_new(struct event_base *, const struct config *);
void		 routes_free(struct routes *);
/*
 * Look up sandbox id.  If the answer is known now, returns ROUTES_FOUND
 * (with *out a new reference), ROUTES_NOTFOUND or ROUTES_UNAVAILABLE, and
 * cb is never called.  Otherwise returns ROUTES_PENDING with *req set;
 * cb then runs exactly once unless routes_cancel(*req) runs first.
 * Concurrent lookups of one id share one Redis command.
 */
enum routes_result routes_lookup(struct routes *, const char *, routes_cb *,
		    void *, struct routes_req **, struct route **);
void		 routes_cancel(struct routes_req *);
/* Called with the sandbox id for each invalidation of one id (not for
 * flushes), after the cache dropped it: open streams may need closing. */
typedef void	 routes_listener(void *, const char *);
void		 routes_set_listener(struct routes *, routes_listener *, void *);
/* The cache's store, for other commands (one-time claims). */
struct store	*routes_store(struct routes *);
void		 route_ref(struct route *);
void		 route_unref(struct route *);
/* Counters for /metrics and tests. */
struct routes_stats {
	uint64_t	 hits, misses, negative_hits, stale_hits;
	uint64_t	 store_gets, invalidations, flushes;
};
void		 routes_stats(const struct routes *, struct routes_stats *);
/* Test hook: read "now" (ms, monotonic) through clock(arg). */
void		 routes_set_clock(struct routes *, uint64_t (*)(void *),
		    void *);

#endif /* DB_ROUTING_H */
