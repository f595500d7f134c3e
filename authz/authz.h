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

#endif /* DB_AUTHZ_H */
