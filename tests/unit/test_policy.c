/*
 * test_policy.c -- authz/policy.c: the verdict table of CONTRACT.md
 * "Policy", runtime and exposed ports, with and without a route.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define IAT	1700000000

enum cred_kind {
	CR_NONE = 1,	/* no credential */
	CR_OK,		/* valid token for sbx1, no scope */
	CR_BAD,		/* token that failed (expired) */
	CR_OTHER_SBX,	/* valid token for sbx2 */
	CR_SCOPE_RT,	/* valid, port scope 4001 */
	CR_SCOPE_3000,	/* valid, port scope 3000 */
	CR_SCOPE_8080,	/* valid, port scope 8080 */
	CR_OLD,		/* valid, iat before revoked_before */
	CR_PREFIX_SBX	/* valid token for "sbx" (prefix of sbx1) */
};

enum route_kind {
	RT_NULL = 1,	/* route not known yet */
	RT_ACTIVE,
	RT_PAUSED,
	RT_STARTING,
	RT_CLOSED,
	RT_REVOKED	/* active, revoked_before = IAT + 10 */
};

struct pcase {
	const char	*name;
	enum route_kind	 route;
	uint16_t	 port;
	enum cred_kind	 cred;
	enum authz_verdict want;
};

#define ALLOW	AUTHZ_ALLOW
#define NOTOK	AUTHZ_DENY_NO_TOKEN
#define BADTOK	AUTHZ_DENY_TOKEN
#define WRONG	AUTHZ_DENY_WRONG_SANDBOX
#define REVOK	AUTHZ_DENY_REVOKED
#define SCOPE	AUTHZ_DENY_PORT_SCOPE
#define NOEXP	AUTHZ_DENY_NOT_EXPOSED
#define PAUSE	AUTHZ_DENY_PAUSED
#define CLOSE	AUTHZ_DENY_CLOSED

/* Routes expose 3000 public and 8080 protected ("auth"). */
static const struct pcase pcases[] = {
	/* Runtime port. */
	{ "rt_ok", RT_ACTIVE, 0, CR_OK, ALLOW },
	{ "rt_no_token", RT_ACTIVE, 0, CR_NONE, NOTOK },
	{ "rt_bad_token", RT_ACTIVE, 0, CR_BAD, BADTOK },
	{ "rt_wrong_sandbox", RT_ACTIVE, 0, CR_OTHER_SBX, WRONG },
	{ "rt_prefix_sandbox", RT_ACTIVE, 0, CR_PREFIX_SBX, WRONG },
	{ "rt_scope_runtime", RT_ACTIVE, 0, CR_SCOPE_RT, ALLOW },
	{ "rt_scope_exposed_port", RT_ACTIVE, 0, CR_SCOPE_3000, SCOPE },
	{ "rt_revoked", RT_REVOKED, 0, CR_OLD, REVOK },
	{ "rt_iat_equal_revoked_before", RT_REVOKED, 0, CR_OK, ALLOW },
	{ "rt_paused", RT_PAUSED, 0, CR_OK, PAUSE },
	{ "rt_starting", RT_STARTING, 0, CR_OK, PAUSE },
	{ "rt_closed", RT_CLOSED, 0, CR_OK, CLOSE },
	/* Status is never revealed before authentication. */
	{ "rt_closed_no_token", RT_CLOSED, 0, CR_NONE, NOTOK },
	{ "rt_paused_bad_token", RT_PAUSED, 0, CR_BAD, BADTOK },
	{ "rt_closed_wrong_sandbox", RT_CLOSED, 0, CR_OTHER_SBX, WRONG },
	/* Runtime port before the route is known: credential checks only. */
	{ "early_ok", RT_NULL, 0, CR_OK, ALLOW },
	{ "early_no_token", RT_NULL, 0, CR_NONE, NOTOK },
	{ "early_bad_token", RT_NULL, 0, CR_BAD, BADTOK },
	{ "early_wrong_sandbox", RT_NULL, 0, CR_OTHER_SBX, WRONG },
	{ "early_scope", RT_NULL, 0, CR_SCOPE_8080, SCOPE },
	{ "early_old_iat_unknown_yet", RT_NULL, 0, CR_OLD, ALLOW },

	/* Public exposed port. */
	{ "pub_no_token", RT_ACTIVE, 3000, CR_NONE, ALLOW },
	{ "pub_bad_token_ignored", RT_ACTIVE, 3000, CR_BAD, ALLOW },
	{ "pub_other_sandbox_ignored", RT_ACTIVE, 3000, CR_OTHER_SBX, ALLOW },
	{ "pub_paused", RT_PAUSED, 3000, CR_NONE, PAUSE },
	{ "pub_starting", RT_STARTING, 3000, CR_NONE, PAUSE },
	{ "pub_closed", RT_CLOSED, 3000, CR_NONE, CLOSE },

	/* Protected exposed port. */
	{ "auth_ok", RT_ACTIVE, 8080, CR_OK, ALLOW },
	{ "auth_scope_match", RT_ACTIVE, 8080, CR_SCOPE_8080, ALLOW },
	{ "auth_scope_other_port", RT_ACTIVE, 8080, CR_SCOPE_3000, SCOPE },
	{ "auth_scope_runtime", RT_ACTIVE, 8080, CR_SCOPE_RT, SCOPE },
	{ "auth_no_token", RT_ACTIVE, 8080, CR_NONE, NOTOK },
	{ "auth_bad_token", RT_ACTIVE, 8080, CR_BAD, BADTOK },
	{ "auth_wrong_sandbox", RT_ACTIVE, 8080, CR_OTHER_SBX, WRONG },
	{ "auth_revoked", RT_REVOKED, 8080, CR_OLD, REVOK },
	{ "auth_paused", RT_PAUSED, 8080, CR_OK, PAUSE },
	{ "auth_closed", RT_CLOSED, 8080, CR_OK, CLOSE },
	{ "auth_closed_no_token", RT_CLOSED, 8080, CR_NONE, NOTOK },

	/* Not exposed. */
	{ "unexposed", RT_ACTIVE, 9999, CR_OK, NOEXP },
	{ "unexposed_no_token", RT_ACTIVE, 9999, CR_NONE, NOEXP },
	{ "unexposed_closed", RT_CLOSED, 9999, CR_NONE, NOEXP },
	{ "runtime_as_exposed_4001", RT_ACTIVE, 4001, CR_SCOPE_RT, NOEXP },
	{ "runtime_port_as_exposed", RT_ACTIVE, 5000, CR_OK, NOEXP },
	/* Exposed port, route unknown yet: nothing decidable. */
	{ "exposed_early", RT_NULL, 8080, CR_NONE, ALLOW },
};

static struct authz_cred
mkcred(enum cred_kind k)
{
	struct authz_cred c;

	memset(&c, 0, sizeof(c));
	if (k == CR_NONE)
		return c;
	c.present = 1;
	c.tok = AUTHZ_TOK_OK;
	str_lcpy(c.claims.sbx, "sbx1", sizeof(c.claims.sbx));
	str_lcpy(c.claims.kid, "k1", sizeof(c.claims.kid));
	c.claims.iat = IAT + 10;
	c.claims.exp = IAT + 3600;
	switch (k) {
	case CR_BAD:
		c.tok = AUTHZ_TOK_EXPIRED;
		break;
	case CR_OTHER_SBX:
		str_lcpy(c.claims.sbx, "sbx2", sizeof(c.claims.sbx));
		break;
	case CR_PREFIX_SBX:
		str_lcpy(c.claims.sbx, "sbx", sizeof(c.claims.sbx));
		break;
	case CR_SCOPE_RT:
		c.claims.port = 4001;
		break;
	case CR_SCOPE_3000:
		c.claims.port = 3000;
		break;
	case CR_SCOPE_8080:
		c.claims.port = 8080;
		break;
	case CR_OLD:
		c.claims.iat = IAT - 100;
		break;
	default:
		break;
	}
	return c;
}

static void
mkroute(enum route_kind k, struct route *r)
{
	memset(r, 0, sizeof(*r));
	str_lcpy(r->id, "sbx1", sizeof(r->id));
	str_lcpy(r->target, "10.0.0.7", sizeof(r->target));
	r->runtime_port = 5000;
	r->status = ROUTE_ACTIVE;
	r->ports[0].port = 3000;
	r->ports[0].access = ROUTE_PUBLIC;
	r->ports[1].port = 8080;
	r->ports[1].access = ROUTE_PROTECTED;
	/* A record can't expose its runtime port; policy refuses it anyway. */
	r->ports[2].port = 5000;
	r->ports[2].access = ROUTE_PUBLIC;
	r->nports = 3;
	switch (k) {
	case RT_PAUSED:
		r->status = ROUTE_PAUSED;
		break;
	case RT_STARTING:
		r->status = ROUTE_STARTING;
		break;
	case RT_CLOSED:
		r->status = ROUTE_CLOSED;
		break;
	case RT_REVOKED:
		r->revoked_before = IAT + 10;	/* == CR_OK's iat */
		break;
	default:
		break;
	}
}

static void
test_table(void **state)
{
	struct route		 r;
	struct authz_cred	 c;
	enum authz_verdict	 got;
	size_t			 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(pcases); i++) {
		mkroute(pcases[i].route, &r);
		c = mkcred(pcases[i].cred);
		got = authz_decide(pcases[i].route == RT_NULL ? NULL : &r,
		    "sbx1", pcases[i].port, &c);
		if (got != pcases[i].want)
			print_error("case %s: got %d want %d\n", pcases[i].name,
			    (int)got, (int)pcases[i].want);
		assert_int_equal(got, pcases[i].want);
	}
}

/* Edge inputs: NULL credential, unknown status, unknown access. */
static void
test_edges(void **state)
{
	struct route		 r;
	struct authz_cred	 c = mkcred(CR_OK);

	(void)state;
	mkroute(RT_ACTIVE, &r);
	assert_int_equal(authz_decide(&r, "sbx1", 0, NULL),
	    AUTHZ_DENY_NO_TOKEN);
	assert_int_equal(authz_decide(&r, "sbx1", 8080, NULL),
	    AUTHZ_DENY_NO_TOKEN);
	assert_int_equal(authz_decide(&r, "sbx1", 3000, NULL), AUTHZ_ALLOW);
	assert_int_equal(authz_decide(&r, NULL, 0, &c),
	    AUTHZ_DENY_WRONG_SANDBOX);
	/* present with an OK code but every failure code is a denial. */
	c.tok = AUTHZ_TOK_BAD_SIGNATURE;
	assert_int_equal(authz_decide(&r, "sbx1", 0, &c), AUTHZ_DENY_TOKEN);
	c = mkcred(CR_OK);
	r.status = (enum route_status)0;
	assert_int_equal(authz_decide(&r, "sbx1", 0, &c), AUTHZ_DENY_CLOSED);
	/* Revocation is checked before status. */
	mkroute(RT_CLOSED, &r);
	r.revoked_before = IAT + 11;
	assert_int_equal(authz_decide(&r, "sbx1", 0, &c), AUTHZ_DENY_REVOKED);
	mkroute(RT_ACTIVE, &r);
	/* An unknown access value counts as protected. */
	r.ports[0].access = (enum route_access)0;
	assert_int_equal(authz_decide(&r, "sbx1", 3000, NULL),
	    AUTHZ_DENY_NO_TOKEN);
}

static void
test_needs_cred_early(void **state)
{
	(void)state;
	assert_int_equal(authz_needs_cred_early(0), 1);
	assert_int_equal(authz_needs_cred_early(3000), 0);
	assert_int_equal(authz_needs_cred_early(8080), 0);
	assert_int_equal(authz_needs_cred_early(65535), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_needs_cred_early),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
