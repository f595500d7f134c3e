/*
 * host.c -- the one function that turns a request's Host header and target
 * into a sandbox route (security catalog groups B and C).  Authentication,
 * routing, logging and the upstream pool key all use its single result.
 *
 * Pure: no allocation, no global state, each input byte looked at a
 * bounded number of times.  Grammar (docs/ROUTES.md, CONTRACT.md):
 *
 *   Host     = name [ "." ] [ ":" [ port ] ]
 *   name     = label *( "." label )        ; [A-Za-z0-9-], 1..63 per label
 *   <id>.<domain>          runtime         (port 0)
 *   <port>-<id>.<domain>   exposed port    (split at the first hyphen)
 *   <path-host> + /sandbox/<id>[/rest][?q] runtime, target /sandbox[/rest][?q]
 *
 * A valid numeric ":port" is ignored: the listener is authoritative
 * (catalog B07).  IP literals are never ours (HOST_UNKNOWN).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"

#define HOST_MAX_LABEL	63
#define HOST_PATH_PREFIX	"/sandbox"

static int
host_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
host_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
host_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
host_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = host_lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
host_valid_id(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > ROUTE_MAX_ID)
		return 0;
	if (!host_is_alnum((unsigned char)s[0]) ||
	    !host_is_alnum((unsigned char)s[len - 1]))
		return 0;
	for (i = 1; i + 1 < len; i++)
		if (!host_is_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Length of a configured name (strnlen is not C17). */
static size_t
host_conf_len(const char *s)
{
	const char	*e = memchr(s, '\0', CONF_MAX_HOSTNAME + 1);

	return e != NULL ? (size_t)(e - s) : CONF_MAX_HOSTNAME + 1;
}

/* Case-insensitive equality of two spans. */
static int
host_span_eqi(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	 i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (host_lc((unsigned char)a[i]) != host_lc((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Validate an optional port p[0..len): empty, or 1..65535 in decimal with
 * no sign, space or leading zero.  Returns 0 or -1.
 */
static int
host_check_port(const char *p, size_t len)
{
	uint64_t v;

	if (len == 0)
		return 0;
	if (p[0] == '0' || str_parse_u64(p, len, 65535, &v) == -1)
		return -1;
	return 0;
}

/* "[v6]" or "[v6]:port": never ours.  Lenient on the inside, strict on
 * the outside: anything that is not even shaped like it is HOST_BAD. */
static enum host_rc
host_ip6_literal(const char *h, size_t len)
{
	size_t	 i;

	for (i = 1; i < len && h[i] != ']'; i++) {
		int	 c = (unsigned char)h[i];

		if (host_hexval(c) == -1 && c != ':' && c != '.')
			return HOST_BAD;
	}
	if (i == len || i == 1)
		return HOST_BAD;
	i++;
	if (i == len)
		return HOST_UNKNOWN;
	if (h[i] != ':' || host_check_port(h + i + 1, len - i - 1) == -1)
		return HOST_BAD;
	return HOST_UNKNOWN;
}

/*
 * Split the Host value into a canonical name (lower case, no port, no
 * trailing dot) written to out->host.  Returns HOST_OK, HOST_BAD, or
 * HOST_UNKNOWN for an IPv6 literal.
 */
static enum host_rc
host_canon(const char *h, size_t hlen, struct host_route *out,
    size_t *namelenp)
{
	size_t	 nlen, i, label;

	if (hlen == 0)
		return HOST_BAD;
	if (h[0] == '[')
		return host_ip6_literal(h, hlen);

	for (nlen = 0; nlen < hlen && h[nlen] != ':'; nlen++)
		;
	if (nlen < hlen && host_check_port(h + nlen + 1, hlen - nlen - 1) ==
	    -1)
		return HOST_BAD;
	if (nlen > 0 && h[nlen - 1] == '.')
		nlen--;
	if (nlen == 0 || nlen > CONF_MAX_HOSTNAME)
		return HOST_BAD;

	label = 0;
	for (i = 0; i < nlen; i++) {
		int	 c = host_lc((unsigned char)h[i]);

		if (c == '.') {
			if (label == 0)
				return HOST_BAD;	/* empty label */
			label = 0;
		} else if (host_is_alnum(c) || c == '-') {
			if (++label > HOST_MAX_LABEL)
				return HOST_BAD;
		} else
			return HOST_BAD;
		out->host[i] = (char)c;
	}
	if (label == 0)
		return HOST_BAD;	/* "name.." had two trailing dots */
	out->host[nlen] = '\0';
	*namelenp = nlen;
	return HOST_OK;
}

/* Is the label exactly a UUID (8-4-4-4-12 hex)?  Such a label is always a
 * runtime id, even when its first group happens to be all digits. */
static int
host_is_uuid(const char *s, size_t len)
{
	size_t	 i;

	if (len != 36)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (host_hexval((unsigned char)s[i]) == -1)
			return 0;
	}
	return 1;
}

/* The single label in front of a domain: "<id>" or "<port>-<id>". */
static enum host_rc
host_label(const char *l, size_t len, struct host_route *out)
{
	size_t	 k;
	uint64_t v;

	for (k = 0; k < len && host_is_digit((unsigned char)l[k]); k++)
		;
	if (k > 0 && k < len && l[k] == '-' && !host_is_uuid(l, len)) {
		/* Exposed port.  No wrap, no sign, no leading zero (B12, B14). */
		if (l[0] == '0' || str_parse_u64(l, k, 65535, &v) == -1)
			return HOST_BAD;
		if (!host_valid_id(l + k + 1, len - k - 1))
			return HOST_BAD;
		memcpy(out->sandbox, l + k + 1, len - k - 1);
		out->sandbox[len - k - 1] = '\0';
		out->mode = HOST_MODE_PORT;
		out->port = (uint16_t)v;
		if (v == ROUTE_RUNTIME_PORT)
			return HOST_RUNTIME_PORT;
		return HOST_OK;
	}
	if (!host_valid_id(l, len))
		return HOST_BAD;
	memcpy(out->sandbox, l, len);
	out->sandbox[len] = '\0';
	out->mode = HOST_MODE_RUNTIME;
	out->port = 0;
	return HOST_OK;
}

/* Bytes never allowed anywhere in a target: CTL, SP, non-ASCII, '\', '#'. */
static int
host_bad_target_byte(int c)
{
	return c <= 0x20 || c >= 0x7f || c == '\\' || c == '#';
}

/* Host-routed: an origin-form target, forwarded byte for byte. */
static enum host_rc
host_check_target(const char *t, size_t len)
{
	size_t	 i;

	if (len == 0 || t[0] != '/')
		return HOST_BAD;
	for (i = 0; i < len; i++)
		if (host_bad_target_byte((unsigned char)t[i]))
			return HOST_BAD;
	return HOST_OK;
}

/*
 * Path-routed (catalog group C): split the raw path on '/', segment 1 must
 * be "sandbox", segment 2 a valid id; rewrite into rw[0..rwlen).  One pass:
 * byte classes, percent triples and segment ends are checked as we go.
 */
static enum host_rc
host_path(const char *t, size_t len, char *rw, size_t rwlen,
    struct host_route *out)
{
	size_t	 i, segb = 1, nseg = 0, idb = 0, ide = 0, rest, n;
	int	 inquery = 0;

	if (len == 0 || t[0] != '/')
		return HOST_BAD;
	for (i = 1; i <= len; i++) {
		int	 c = i < len ? (unsigned char)t[i] : '?';
		int	 hi, lo, v;

		if (i < len && host_bad_target_byte(c))
			return HOST_BAD;
		if (inquery)
			continue;
		if (c == '/' || c == '?') {
			n = i - segb;
			if ((n == 1 && t[segb] == '.') ||
			    (n == 2 && t[segb] == '.' && t[segb + 1] == '.'))
				return HOST_BAD;	/* C02 */
			if (nseg == 1) {
				idb = segb;
				ide = i;
			}
			nseg++;
			segb = i + 1;
			if (c == '?')
				inquery = 1;
			continue;
		}
		if (c == ';' && nseg < 2)
			return HOST_BAD;		/* C06 */
		if (c != '%')
			continue;
		/* C04, C09: decoded '.', '/', '\', NUL, and any encoding in
		 * the routing segments, are refused; the rest stays encoded. */
		if (nseg < 2 || i + 2 >= len)
			return HOST_BAD;
		hi = host_hexval((unsigned char)t[i + 1]);
		lo = host_hexval((unsigned char)t[i + 2]);
		if (hi == -1 || lo == -1)
			return HOST_BAD;
		v = hi * 16 + lo;
		if (v == '.' || v == '/' || v == '\\' || v == 0)
			return HOST_BAD;
		i += 2;
	}

	if (nseg < 2 || idb == 0 || idb - 1 != sizeof(HOST_PATH_PREFIX) - 1 ||
	    memcmp(t, HOST_PATH_PREFIX, idb - 1) != 0 ||
	    !host_valid_id(t + idb, ide - idb))
		return HOST_UNKNOWN;

	rest = len - ide;
	if (sizeof(HOST_PATH_PREFIX) - 1 + rest >= rwlen)
		return HOST_BAD;
	memcpy(rw, HOST_PATH_PREFIX, sizeof(HOST_PATH_PREFIX) - 1);
	memcpy(rw + sizeof(HOST_PATH_PREFIX) - 1, t + ide, rest);
	n = sizeof(HOST_PATH_PREFIX) - 1 + rest;
	rw[n] = '\0';

	memcpy(out->sandbox, t + idb, ide - idb);
	out->sandbox[ide - idb] = '\0';
	out->mode = HOST_MODE_PATH;
	out->port = 0;
	out->target = rw;
	out->target_len = n;
	return HOST_OK;
}

enum host_rc
host_parse(const struct config *conf, const char *host, size_t hostlen,
    const char *target, size_t targetlen, char *rewrite, size_t rewritelen,
    struct host_route *out)
{
	enum host_rc rc;
	size_t	 nlen = 0, i, best = 0, dlen;
	int	 found = 0;

	memset(out, 0, sizeof(*out));
	out->target = target;
	out->target_len = targetlen;

	if ((rc = host_canon(host, hostlen, out, &nlen)) != HOST_OK)
		return rc;

	for (i = 0; i < conf->npath_hosts && i < CONF_MAX_PATH_HOSTS; i++) {
		const char *p = conf->path_hosts[i];

		if (host_span_eqi(out->host, nlen, p,
		    host_conf_len(p)))
			return host_path(target, targetlen, rewrite,
			    rewritelen, out);
	}

	/* Longest configured suffix on a label boundary wins (B15). */
	for (i = 0; i < conf->ndomains && i < CONF_MAX_DOMAINS; i++) {
		const char *d = conf->domains[i];

		dlen = host_conf_len(d);
		if (dlen == nlen && host_span_eqi(out->host, nlen, d, dlen))
			return HOST_UNKNOWN;	/* a domain's apex is no id */
		if (dlen == 0 || dlen + 1 >= nlen || dlen <= best)
			continue;
		if (out->host[nlen - dlen - 1] != '.' ||
		    !host_span_eqi(out->host + nlen - dlen, dlen, d, dlen))
			continue;
		best = dlen;
		found = 1;
	}
	if (!found)
		return HOST_UNKNOWN;
	dlen = nlen - best - 1;		/* the part in front of the suffix */
	if (memchr(out->host, '.', dlen) != NULL)
		return HOST_UNKNOWN;	/* a.b.<domain>: deeper names */

	if ((rc = host_label(out->host, dlen, out)) != HOST_OK)
		return rc;
	return host_check_target(target, targetlen);
}
