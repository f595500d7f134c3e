// DEPS: routing/host.c common/str.c common/log.c
/*
 * fuzz_host.c -- host_parse over arbitrary bytes.  Input: the first line is
 * the Host value, the rest (after the '\n') the request target.
 *
 * Invariants checked (abort() on violation):
 *   - an accepted sandbox id satisfies host_valid_id();
 *   - the canonical host is lower-case [a-z0-9.-], 1..253, no trailing dot,
 *     and starts with "<id>." (runtime) or "<port>-<id>." (port);
 *   - exposed ports are 1..65535 and never 4001 (that is HOST_RUNTIME_PORT);
 *   - a path-routed target is written into the rewrite buffer, starts with
 *     "/sandbox" followed by end, '/' or '?', and its remainder is the
 *     input's tail byte for byte; other targets are the input itself;
 *   - the answer does not depend on the case of the Host.
 * Inputs are copied into exact-size heap buffers so ASan sees over-reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config conf;
static int conf_ready;

static void
fuzz_setup(void)
{
	static const char *const domains[] = {
		"sb.test", "us.sb.test", "example.com"
	};
	static const char *const paths[] = { "proxy.sb.test", "px" };
	size_t	 i;

	memset(&conf, 0, sizeof(conf));
	for (i = 0; i < DB_ARRLEN(domains); i++)
		str_lcpy(conf.domains[conf.ndomains++], domains[i],
		    sizeof(conf.domains[0]));
	for (i = 0; i < DB_ARRLEN(paths); i++)
		str_lcpy(conf.path_hosts[conf.npath_hosts++], paths[i],
		    sizeof(conf.path_hosts[0]));
	conf_ready = 1;
}

static int
lower_host(const char *h)
{
	size_t	 i, n = strlen(h);

	if (n == 0 || n > CONF_MAX_HOSTNAME || h[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.'))
			return 0;
	return 1;
}

static int
starts_with_label(const char *h, const char *label)
{
	size_t	 n = strlen(label);

	return strncmp(h, label, n) == 0 && h[n] == '.';
}

static void
check(const struct host_route *r, enum host_rc rc, const char *target,
    size_t tlen, const char *rw)
{
	char	 label[ROUTE_MAX_ID + 8];
	size_t	 idlen;

	switch (rc) {
	case HOST_BAD:
	case HOST_UNKNOWN:
		return;
	case HOST_OK:
	case HOST_RUNTIME_PORT:
		break;
	default:
		abort();
	}
	if (memchr(r->sandbox, '\0', sizeof(r->sandbox)) == NULL)
		abort();
	idlen = strlen(r->sandbox);
	if (!host_valid_id(r->sandbox, idlen))
		abort();
	if (!lower_host(r->host))
		abort();

	if (rc == HOST_RUNTIME_PORT) {
		if (r->mode != HOST_MODE_PORT || r->port != ROUTE_RUNTIME_PORT)
			abort();
		return;
	}

	switch (r->mode) {
	case HOST_MODE_RUNTIME:
		if (r->port != 0 || !starts_with_label(r->host, r->sandbox))
			abort();
		break;
	case HOST_MODE_PORT:
		if (r->port == 0 || r->port == ROUTE_RUNTIME_PORT)
			abort();
		(void)snprintf(label, sizeof(label), "%u-%s",
		    (unsigned)r->port, r->sandbox);
		if (!starts_with_label(r->host, label))
			abort();
		break;
	case HOST_MODE_PATH:
		if (r->port != 0)
			abort();
		break;
	default:
		abort();
	}

	if (r->mode != HOST_MODE_PATH) {
		if (r->target != target || r->target_len != tlen)
			abort();
		return;
	}
	if (r->target != rw || r->target_len < 8 || rw[r->target_len] != '\0' ||
	    strlen(rw) != r->target_len || memcmp(rw, "/sandbox", 8) != 0 ||
	    (r->target_len > 8 && rw[8] != '/' && rw[8] != '?'))
		abort();
	if (r->target_len - 8 > tlen || memcmp(rw + 8,
	    target + tlen - (r->target_len - 8), r->target_len - 8) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl;
	char		*host, *uhost, *target, *rw;
	size_t		 hlen, tlen, i;
	struct host_route r, r2;
	enum host_rc	 rc, rc2;

	if (!conf_ready)
		fuzz_setup();
	if (size > CONF_MAX_REQUEST_LINE + CONF_MAX_HOSTNAME * 2)
		return 0;
	nl = memchr(data, '\n', size);
	hlen = nl != NULL ? (size_t)(nl - data) : size;
	tlen = nl != NULL ? size - hlen - 1 : 0;

	host = malloc(hlen ? hlen : 1);
	uhost = malloc(hlen ? hlen : 1);
	target = malloc(tlen ? tlen : 1);
	rw = malloc(tlen + 1);
	if (host == NULL || uhost == NULL || target == NULL || rw == NULL)
		abort();
	memcpy(host, data, hlen);
	if (tlen)
		memcpy(target, nl + 1, tlen);

	rc = host_parse(&conf, host, hlen, target, tlen, rw, tlen + 1, &r);
	check(&r, rc, target, tlen, rw);

	/* The Host is case-insensitive. */
	for (i = 0; i < hlen; i++)
		uhost[i] = (host[i] >= 'a' && host[i] <= 'z') ?
		    (char)(host[i] - 'a' + 'A') : host[i];
	rc2 = host_parse(&conf, uhost, hlen, target, tlen, rw, tlen + 1, &r2);
	if (rc2 != rc)
		abort();
	if ((rc == HOST_OK || rc == HOST_RUNTIME_PORT) &&
	    (r2.mode != r.mode || r2.port != r.port ||
	    strcmp(r2.sandbox, r.sandbox) != 0 || strcmp(r2.host, r.host) != 0))
		abort();

	free(rw);
	free(target);
	free(uhost);
	free(host);
	return 0;
}
