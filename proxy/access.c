/*
 * access.c -- exactly one line per request.  Credentials never reach the
 * log: query values of credential parameters are replaced by "REDACTED",
 * and the Authorization header and cookies are never logged at all.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "proxy/proxy.h"

static const char *const access_secret_params[] = {
	"grant", "token", "sig", "signature", "access_token", "auth",
};

static int
access_is_secret(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(access_secret_params); i++)
		if (str_span_eqi(name, len, access_secret_params[i]))
			return 1;
	return 0;
}

/* Append span to buf at *off, bounded; returns 0 or -1 if truncated. */
static int
access_put(char *buf, size_t size, size_t *off, const char *s, size_t len)
{
	if (*off + len >= size)
		return -1;
	memcpy(buf + *off, s, len);
	*off += len;
	buf[*off] = '\0';
	return 0;
}

size_t
access_redact(const char *t, size_t len, char *buf, size_t size)
{
	const char *q = memchr(t, '?', len);
	size_t	 off = 0, i;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (q == NULL) {
		(void)access_put(buf, size, &off, t, DB_MIN(len, size - 1));
		return off;
	}
	if (access_put(buf, size, &off, t, (size_t)(q - t) + 1) == -1)
		return off;
	i = (size_t)(q - t) + 1;
	while (i < len) {
		size_t	 b = i, eq;

		while (i < len && t[i] != '&')
			i++;
		eq = b;
		while (eq < i && t[eq] != '=')
			eq++;
		if (eq < i && access_is_secret(t + b, eq - b)) {
			if (access_put(buf, size, &off, t + b, eq - b + 1) ==
			    -1 || access_put(buf, size, &off, "REDACTED", 8) ==
			    -1)
				return off;
		} else if (access_put(buf, size, &off, t + b, i - b) == -1)
			return off;
		if (i < len) {
			if (access_put(buf, size, &off, "&", 1) == -1)
				return off;
			i++;
		}
	}
	return off;
}

/* Replace bytes that would break the line format. */
static void
access_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e ||
		    *s == '"')
			*s = '?';
}

void
access_log(FILE *fp, const struct access_rec *r)
{
	char	 target[512], method[32], host[CONF_MAX_HOSTNAME + 1];
	char	 port[16];

	if (fp == NULL)
		return;
	(void)access_redact(r->target ? r->target : "-",
	    r->target ? r->targetlen : 1, target, sizeof(target));
	access_clean(target);
	if (r->method == NULL || str_spancpy(method, sizeof(method),
	    r->method, r->methodlen) == -1)
		str_lcpy(method, "-", sizeof(method));
	access_clean(method);
	str_lcpy(host, r->host && r->host[0] ? r->host : "-", sizeof(host));
	access_clean(host);
	if (r->port)
		snprintf(port, sizeof(port), "%u", r->port);
	else
		str_lcpy(port, "-", sizeof(port));
	fprintf(fp, "drawbridge: access: %s %s %s host=%s sbx=%s port=%s "
	    "status=%d in=%llu out=%llu ms=%llu reason=%s id=%s\n",
	    r->peer_ip, method, target, host,
	    r->sandbox && r->sandbox[0] ? r->sandbox : "-", port, r->status,
	    (unsigned long long)r->in, (unsigned long long)r->out,
	    (unsigned long long)r->ms, r->reason ? r->reason : "-",
	    r->request_id ? r->request_id : "-");
}
