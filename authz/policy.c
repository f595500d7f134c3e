/*
 * policy.c -- the authorisation decision, pure.
 *
 * Runtime port (port 0 here, whatever the record's runtime_port):
 *   no credential -> NO_TOKEN; a token that failed -> TOKEN; sbx claim not
 *   the routed id -> WRONG_SANDBOX; port scope set and not the runtime
 *   scope (ROUTE_RUNTIME_PORT, 4001) -> PORT_SCOPE; then, once the route is
 *   known: iat < revoked_before -> REVOKED; closed -> CLOSED;
 *   paused/starting -> PAUSED.
 * Exposed port: not in the record's ports -> NOT_EXPOSED; protected: the
 *   same credential checks, scope must equal the port if set; public: no
 *   credential needed (one presented is ignored: it may be the app's own);
 *   then the status checks.
 * Authentication runs before status so that an anonymous client learns
 * nothing about a sandbox's state.
 */
#include <stdint.h>
#include <string.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

/* Credential checks shared by the runtime and protected ports.  scope is
 * the port-claim value that grants access (4001 for the runtime). */
static enum authz_verdict
authz_cred(const struct route *r, const char *sandbox, uint16_t scope,
    const struct authz_cred *cred)
{
	if (cred == NULL || !cred->present)
		return AUTHZ_DENY_NO_TOKEN;
	if (cred->tok != AUTHZ_TOK_OK)
		return AUTHZ_DENY_TOKEN;
	if (sandbox == NULL || strncmp(cred->claims.sbx, sandbox,
	    sizeof(cred->claims.sbx)) != 0)
		return AUTHZ_DENY_WRONG_SANDBOX;
	if (cred->claims.port != 0 && cred->claims.port != scope)
		return AUTHZ_DENY_PORT_SCOPE;
	if (r != NULL && cred->claims.iat < r->revoked_before)
		return AUTHZ_DENY_REVOKED;
	return AUTHZ_ALLOW;
}

static enum authz_verdict
authz_status(const struct route *r)
{
	switch (r->status) {
	case ROUTE_ACTIVE:
		return AUTHZ_ALLOW;
	case ROUTE_PAUSED:
	case ROUTE_STARTING:
		return AUTHZ_DENY_PAUSED;
	case ROUTE_CLOSED:
		return AUTHZ_DENY_CLOSED;
	}
	return AUTHZ_DENY_CLOSED;	/* unknown status: fail closed */
}

/*
 * Decide a request for `sandbox` on `port` (0 = runtime).  r may be NULL
 * before the route is known: only the credential checks that need no
 * record run, and ALLOW then means "no objection yet" -- the caller must
 * decide again with the record.  For an exposed port nothing can be
 * decided without the record (authz_needs_cred_early() is 0).
 */
enum authz_verdict
authz_decide(const struct route *r, const char *sandbox, uint16_t port,
    const struct authz_cred *cred)
{
	const struct route_port *rp;
	enum authz_verdict v;

	if (port == 0) {
		if ((v = authz_cred(r, sandbox, ROUTE_RUNTIME_PORT, cred)) !=
		    AUTHZ_ALLOW)
			return v;
		return r == NULL ? AUTHZ_ALLOW : authz_status(r);
	}
	if (r == NULL)
		return AUTHZ_ALLOW;
	/* The runtime port is never reachable as an exposed port. */
	if (port == ROUTE_RUNTIME_PORT || port == r->runtime_port ||
	    (rp = route_find_port(r, port)) == NULL)
		return AUTHZ_DENY_NOT_EXPOSED;
	if (rp->access != ROUTE_PUBLIC &&
	    (v = authz_cred(r, sandbox, port, cred)) != AUTHZ_ALLOW)
		return v;
	return authz_status(r);
}

int
authz_needs_cred_early(uint16_t port)
{
	return port == 0;
}
