/*
 * authz/authz.h -- credentials and verdicts.
 *
 *   jwt.c       bearer JWT verification around libjwt 1.10.2 (which checks
 *               nothing but the signature, and that only when handed a
 *               key): our own syntax, alg pin, claim checks; and minting
 *               for drawbridgectl
 *   tokcache.c  bounded cache of verified tokens (direct-mapped)
 *   policy.c    pure decision: (route, port, credential) -> verdict
 *
 * Depends on config/, routing/ (struct route) and common/.
 */
#ifndef DB_AUTHZ_H
#define DB_AUTHZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/config.h"
#include "routing/routing.h"

/* Verified claims of a bearer token. */
struct authz_claims {
	char		 sbx[ROUTE_MAX_ID + 1];	/* claim "sbx": sandbox id */
	int64_t		 exp;
	int64_t		 iat;
	int64_t		 nbf;		/* 0 if absent */
	uint16_t	 port;		/* claim "port": scope; 0 = any */
	char		 kid[64];
};

/* Outcome of verifying a token; each maps to one client-visible code. */
enum authz_tok {
	AUTHZ_TOK_OK = 0,
	AUTHZ_TOK_MALFORMED,	/* syntax, base64, JSON, duplicate keys */
	AUTHZ_TOK_TOO_LARGE,	/* over CONF_MAX_TOKEN_BYTES */
	AUTHZ_TOK_UNKNOWN_KEY,	/* kid not configured */
	AUTHZ_TOK_BAD_ALG,	/* alg differs from the key's pinned alg */
	AUTHZ_TOK_BAD_SIGNATURE,
	AUTHZ_TOK_EXPIRED,	/* exp missing counts as MALFORMED */
	AUTHZ_TOK_NOT_YET_VALID,	/* nbf / iat in the future */
	AUTHZ_TOK_BAD_AUDIENCE,
	AUTHZ_TOK_BAD_ISSUER
};

/* jwt.c */
/*
 * Verify tok[0..len) against the configured keys at time now; on
 * AUTHZ_TOK_OK fills *out.  Never passes a NULL or empty key to libjwt,
 * checks syntax (strict base64url, no padding) and size before libjwt
 * sees the token, and checks the header alg against the key's pin.
 */
enum authz_tok	 jwt_verify(const struct config *, const char *, size_t,
		    time_t, struct authz_claims *);
/*
 * Mint a token with key `kid` (NULL: the first HS* key) for sandbox sbx,
 * optional port scope (0 = none), lifetime ttl seconds from now.  Returns
 * a malloc'd NUL-terminated string the caller frees, or NULL.
 */
char		*jwt_mint(const struct config *, const char *, const char *,
		    uint16_t, time_t, uint64_t);
const char	*jwt_tok_code(enum authz_tok);	/* "token_expired" ... */

/* tokcache.c */
struct tokcache;
struct tokcache	*tokcache_new(size_t);
void		 tokcache_free(struct tokcache *);
/* Returns 1 and fills *out if tok is cached and unexpired at now. */
int		 tokcache_get(struct tokcache *, const char *, size_t, time_t,
		    struct authz_claims *);
void		 tokcache_put(struct tokcache *, const char *, size_t,
		    const struct authz_claims *);

/* policy.c */
enum authz_verdict {
	AUTHZ_ALLOW = 0,
	AUTHZ_DENY_NO_TOKEN,		/* 401 token_missing */
	AUTHZ_DENY_TOKEN,		/* 401, code from enum authz_tok */
	AUTHZ_DENY_WRONG_SANDBOX,	/* 401 token_wrong_sandbox */
	AUTHZ_DENY_REVOKED,		/* 401 token_revoked */
	AUTHZ_DENY_PORT_SCOPE,		/* 403 port_scope */
	AUTHZ_DENY_NOT_EXPOSED,		/* 403 port_not_exposed */
	AUTHZ_DENY_PAUSED,		/* 409 sandbox_not_running */
	AUTHZ_DENY_CLOSED		/* 410 sandbox_closed */
};

/*
 * The credential presented with a request: none, or a token that was
 * verified (tok == AUTHZ_TOK_OK and claims valid) or failed with `tok`.
 */
struct authz_cred {
	int		 present;
	enum authz_tok	 tok;
	struct authz_claims claims;
};

/*
 * Decide a request for sandbox `sandbox` on port `port` (0 = runtime
 * port) given the route record (NULL when not yet known: then only the
 * credential-only checks run, for the runtime port) and the credential.
 * Pure.
 */
enum authz_verdict authz_decide(const struct route *, const char *,
		    uint16_t, const struct authz_cred *);
/* Does the port need a credential before the route is known? (runtime) */
int		 authz_needs_cred_early(uint16_t);

/* presign.c -- presigned file-transfer URLs (issue: presigned URLs) */
#define PRESIGN_MAX_PATH	1024	/* the file path a URL is bound to */
#define PRESIGN_MAX_TOKEN	2048

struct presign_claims {
	char		 sbx[ROUTE_MAX_ID + 1];
	int		 put;		/* 1: PUT (upload), 0: GET (download) */
	char		 path[PRESIGN_MAX_PATH + 1];	/* exact, decoded */
	size_t		 pathlen;
	int64_t		 exp;		/* epoch seconds */
	char		 kid[64];
	unsigned char	 nonce[16];	/* random; one-time claim key */
	int		 one_time;
	uint64_t	 max_bytes;	/* upload cap; 0 = none */
};

enum presign_rc {
	PRESIGN_OK = 0,
	PRESIGN_MALFORMED,	/* 401 presign_malformed */
	PRESIGN_UNKNOWN_KEY,	/* 401 presign_unknown_key */
	PRESIGN_BAD_SIGNATURE,	/* 401 presign_bad_signature */
	PRESIGN_EXPIRED,	/* 401 presign_expired */
	PRESIGN_WRONG_SANDBOX,	/* 403 presign_wrong_sandbox */
	PRESIGN_WRONG_METHOD,	/* 403 presign_wrong_method */
	PRESIGN_WRONG_PATH	/* 403 presign_wrong_path */
};

/*
 * Sign c (kid and nonce filled in here, with the first presign-key and
 * fresh random bytes) into tok as a NUL-terminated URL-safe string.
 * Returns its length or -1.
 */
int		 presign_mint(const struct config *, struct presign_claims *,
		    char *, size_t);
/*
 * Check tok[0..len) for a request on sandbox sbx with method put/get and
 * the decoded path[0..pathlen) at time now.  Constant-time MAC compare;
 * fills *out on PRESIGN_OK (and on WRONG_* so callers can log).
 */
enum presign_rc	 presign_verify(const struct config *, const char *, size_t,
		    const char *, int, const char *, size_t, time_t,
		    struct presign_claims *);
const char	*presign_code(enum presign_rc);
/*
 * Parse a mint request body {"path": S, "expiresInSeconds": N?,
 * "oneTime": B?, "maxBytes": N?} against the configured default and
 * maximum lifetimes; fills path, exp (now + ttl), one_time, max_bytes.
 * Returns 0, or -1 with a client-facing reason in err (-> 400).
 */
int		 presign_parse_request(const struct config *, const char *,
		    size_t, time_t, struct presign_claims *, char *, size_t);
/*
 * Percent-encode s[0..len) for a query value (unreserved kept, the rest
 * %XX) into out; returns the length or -1 if it does not fit.
 */
int		 presign_urlencode(const char *, size_t, char *, size_t);
/*
 * Find query parameter `name` in the query q[0..len) (the part after
 * '?'), decode it strictly into out (invalid or duplicate -> -1, absent
 * -> 0, found -> 1 with *outlen set).
 */
int		 presign_query_param(const char *, size_t, const char *, char *,
		    size_t, size_t *);

/* cookie.c -- the browser session cookie and the bootstrap link */
#define COOKIE_NAME		"__Host-drawbridge"
#define COOKIE_MAX_VALUE	256
#define COOKIE_MAX_NEXT		2048	/* Location from `next` */

/*
 * The cookie binds one canonical host (sandbox + port; the Host without
 * port) and an expiry, signed with the first cookie-key.  Writes the
 * cookie value (not the Set-Cookie line) into buf; returns its length or
 * -1.
 */
int		 cookie_mint(const struct config *, const char *, int64_t,
		    char *, size_t);
enum cookie_rc {
	COOKIE_OK = 0,
	COOKIE_MALFORMED,
	COOKIE_UNKNOWN_KEY,
	COOKIE_BAD_SIGNATURE,
	COOKIE_EXPIRED,
	COOKIE_WRONG_HOST
};
/* Verify a cookie value for canonical host at time now. */
enum cookie_rc	 cookie_verify(const struct config *, const char *, size_t,
		    const char *, time_t);
/* The same, also giving the cookie's expiry on COOKIE_OK (exp may be
 * NULL). */
enum cookie_rc	 cookie_check(const struct config *, const char *, size_t,
		    const char *, time_t, int64_t *);
const char	*cookie_code(enum cookie_rc);
/*
 * In a Cookie header value hdr[0..len): find our cookie (returns 1 and
 * its value span; 0 if absent; -1 if present more than once), and write
 * the header without it into out (returns the new length via *outlen;
 * 0 when nothing else remains).  cookie_strip returns 0, or -1 if out is
 * too small (2 * len + 1 always suffices: other pairs are kept byte for
 * byte, joined with "; "); out is NUL-terminated.
 */
int		 cookie_find(const char *, size_t, const char **, size_t *);
int		 cookie_strip(const char *, size_t, char *, size_t, size_t *);
/*
 * Validate the bootstrap `next` query value (raw, percent-encoded) as a
 * same-host path: decoded, it must start with one '/', not "//" or "/\",
 * and contain no control characters or backslashes.  Writes the safe
 * (re-encoded) path into out (NUL-terminated, at most COOKIE_MAX_NEXT
 * bytes, so outsz COOKIE_MAX_NEXT + 1) and returns 0; on any doubt
 * writes "/" and returns -1.
 */
int		 cookie_next_path(const char *, size_t, char *, size_t);

#endif /* DB_AUTHZ_H */
