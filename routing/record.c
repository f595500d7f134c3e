/*
 * record.c -- the versioned route record (JSON in Redis) <-> struct route.
 * docs/ROUTES.md is the schema; this file is its only parser and writer.
 *
 * Everything from Redis is untrusted: any field with a wrong type or an
 * out-of-range value makes the whole record invalid (the caller treats it
 * as "not found" and logs the reason).  Unknown fields are ignored so that
 * writers can add fields before readers know them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/common.h"
#include "routing/routing.h"

/* Header names the inject field may not set: hop-by-hop, framing, the
 * credentials and the forwarding headers the proxy owns. */
static const char *const record_forbidden_hdrs[] = {
	"connection", "keep-alive", "proxy-connection", "te",
	"transfer-encoding", "trailer", "upgrade", "proxy-authorization",
	"proxy-authenticate", "content-length", "host", "authorization",
	"cookie", "set-cookie", "forwarded", "x-forwarded-for",
	"x-forwarded-proto", "x-forwarded-host", "x-real-ip", "x-request-id"
};

static const char *const record_status_names[] = {
	"active", "paused", "starting", "closed"
};

static void record_err(char *, size_t, const char *, ...) DB_PRINTF(3, 4);

static void
record_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* RFC 9110 tchar. */
static int
record_is_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
record_valid_hdr_name(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= ROUTE_MAX_HDR_NAME)
		return 0;
	for (i = 0; i < len; i++)
		if (!record_is_tchar((unsigned char)s[i]))
			return 0;
	for (i = 0; i < DB_ARRLEN(record_forbidden_hdrs); i++)
		if (str_span_eqi(s, len, record_forbidden_hdrs[i]))
			return 0;
	return 1;
}

/* A field value we are willing to put on the wire: visible ASCII, SP and
 * HTAB inside, no CR/LF/NUL or other CTL, no surrounding whitespace. */
static int
record_valid_hdr_value(const char *s, size_t len)
{
	size_t	 i;

	if (len >= ROUTE_MAX_HDR_VALUE)
		return 0;
	for (i = 0; i < len; i++) {
		int	 c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return 0;
	}
	if (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'))
		return 0;
	return 1;
}

/* team, region: printable ASCII, bounded. */
static int
record_valid_meta(const char *s, size_t len)
{
	size_t	 i;

	if (len >= ROUTE_MAX_META)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Port as a JSON object key: 1*5DIGIT, no leading zero, 1..65535. */
static int
record_parse_port_key(const char *s, size_t len, uint16_t *out)
{
	uint64_t v;

	if (len == 0 || s[0] == '0' || str_parse_u64(s, len, 65535, &v) == -1)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* IPv4/IPv6 literal; canonicalised through inet_ntop.  No names, no zone
 * ids, no unspecified address. */
static int
record_parse_target(const char *s, size_t len, char *out, size_t outlen)
{
	unsigned char	 a[sizeof(struct in6_addr)];
	static const unsigned char zero[sizeof(struct in6_addr)];
	char		 tmp[ROUTE_MAX_TARGET];
	int		 af;

	if (str_spancpy(tmp, sizeof(tmp), s, len) == -1 || strlen(tmp) != len)
		return -1;
	if (inet_pton(AF_INET, tmp, a) == 1) {
		af = AF_INET;
		if (memcmp(a, zero, 4) == 0)
			return -1;
	} else if (inet_pton(AF_INET6, tmp, a) == 1) {
		af = AF_INET6;
		if (memcmp(a, zero, 16) == 0)
			return -1;
	} else
		return -1;
	if (inet_ntop(af, a, out, (socklen_t)outlen) == NULL)
		return -1;
	return 0;
}

/* Optional string member: 1 if present and valid (copied), 0 if absent,
 * -1 if of the wrong type or too long. */
static int
record_get_str(json_t *o, const char *key, const char **s, size_t *len)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*len = json_string_length(v);
	if (strlen(*s) != *len)
		return -1;	/* embedded NUL */
	return 1;
}

/* Optional integer member in [min, max]. */
static int
record_get_int(json_t *o, const char *key, json_int_t min, json_int_t max,
    json_int_t *out)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return -1;
	return 1;
}

static void
record_sort_ports(struct route *r)
{
	size_t	 i, j;

	for (i = 1; i < r->nports; i++) {
		struct route_port p = r->ports[i];

		for (j = i; j > 0 && r->ports[j - 1].port > p.port; j--)
			r->ports[j] = r->ports[j - 1];
		r->ports[j] = p;
	}
}

static int
record_parse_ports(json_t *ports, struct route *out, char *err,
    size_t errlen)
{
	const char	*key;
	json_t		*val;

	if (!json_is_object(ports)) {
		record_err(err, errlen, "%s: not an object", "ports");
		return -1;
	}
	if (json_object_size(ports) > ROUTE_MAX_PORTS) {
		record_err(err, errlen, "%s: too many ports", "ports");
		return -1;
	}
	json_object_foreach(ports, key, val) {
		struct route_port *p;
		const char	*a;

		if (out->nports >= ROUTE_MAX_PORTS) {
			record_err(err, errlen, "%s: too many ports", "ports");
			return -1;
		}
		p = &out->ports[out->nports];
		if (record_parse_port_key(key, strlen(key), &p->port) == -1) {
			record_err(err, errlen, "ports: bad port \"%.16s\"",
			    key);
			return -1;
		}
		if (p->port == ROUTE_RUNTIME_PORT ||
		    p->port == out->runtime_port) {
			record_err(err, errlen, "ports: %s: the runtime port "
			    "cannot be exposed", key);
			return -1;
		}
		if (!json_is_string(val)) {
			record_err(err, errlen, "ports: %s: not a string", key);
			return -1;
		}
		a = json_string_value(val);
		if (strcmp(a, "public") == 0)
			p->access = ROUTE_PUBLIC;
		else if (strcmp(a, "auth") == 0)
			p->access = ROUTE_PROTECTED;
		else {
			record_err(err, errlen, "ports: %s: access must be "
			    "\"public\" or \"auth\"", key);
			return -1;
		}
		out->nports++;
	}
	record_sort_ports(out);
	return 0;
}

/* tls_name: a DNS name (letters, digits, '-', '.') to verify the
 * sandbox's certificate against. */
static int
record_tls_name(json_t *v, struct route *out, char *err, size_t errlen)
{
	const char *s;
	size_t	 len, i;

	if (!json_is_string(v) || (len = json_string_length(v)) == 0 ||
	    len >= sizeof(out->tls_name)) {
		record_err(err, errlen, "%s: not a host name", "tls_name");
		return -1;
	}
	s = json_string_value(v);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			record_err(err, errlen, "%s: not a host name",
			    "tls_name");
			return -1;
		}
	}
	memcpy(out->tls_name, s, len);
	out->tls_name[len] = '\0';
	return 0;
}

static int
record_parse_inject(json_t *inj, struct route *out, char *err, size_t errlen)
{
	const char	*s;
	size_t		 len;

	if (!json_is_object(inj)) {
		record_err(err, errlen, "%s: not an object", "inject");
		return -1;
	}
	if (record_get_str(inj, "name", &s, &len) != 1 ||
	    !record_valid_hdr_name(s, len)) {
		record_err(err, errlen, "%s: bad or forbidden header name",
		    "inject.name");
		return -1;
	}
	memcpy(out->inject_name, s, len);
	out->inject_name[len] = '\0';
	if (record_get_str(inj, "value", &s, &len) != 1 ||
	    !record_valid_hdr_value(s, len)) {
		record_err(err, errlen, "%s: missing or bad header value",
		    "inject.value");
		return -1;
	}
	memcpy(out->inject_value, s, len);
	out->inject_value[len] = '\0';
	return 0;
}

static int
record_parse_meta(json_t *o, const char *key, char *dst, char *err,
    size_t errlen)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	if ((rc = record_get_str(o, key, &s, &len)) == 0)
		return 0;
	if (rc == -1 || !record_valid_meta(s, len)) {
		record_err(err, errlen, "%s: not a short printable string",
		    key);
		return -1;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
route_record_parse(const char *json, size_t len, const char *id,
    struct route *out, char *err, size_t errlen)
{
	json_t		*root = NULL, *v;
	json_error_t	 jerr;
	const char	*s;
	size_t		 slen, i;
	json_int_t	 n;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (id == NULL || str_spancpy(out->id, sizeof(out->id), id,
	    strlen(id)) == -1 || out->id[0] == '\0') {
		record_err(err, errlen, "%s: bad sandbox id", "id");
		goto fail;
	}
	if (len > ROUTE_MAX_RECORD) {
		record_err(err, errlen, "%s: record too large", "json");
		goto fail;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* Drop jansson's " near '<token>'": it may quote a secret. */
		char	*near = strstr(jerr.text, " near ");

		if (near != NULL)
			*near = '\0';
		record_err(err, errlen, "json: %s at line %d column %d",
		    jerr.text, jerr.line, jerr.column);
		goto fail;
	}
	if (!json_is_object(root)) {
		record_err(err, errlen, "%s: not an object", "json");
		goto fail;
	}

	if (record_get_int(root, "v", 0, INT64_MAX, &n) != 1 ||
	    n != ROUTE_SCHEMA_VERSION) {
		record_err(err, errlen, "%s: missing or unsupported version",
		    "v");
		goto fail;
	}

	if (record_get_str(root, "target", &s, &slen) != 1 ||
	    record_parse_target(s, slen, out->target,
	    sizeof(out->target)) == -1) {
		record_err(err, errlen, "%s: missing or not an IP literal",
		    "target");
		goto fail;
	}

	out->runtime_port = ROUTE_RUNTIME_PORT;
	if ((rc = record_get_int(root, "runtime_port", 1, 65535, &n)) == -1) {
		record_err(err, errlen, "%s: not an integer in 1..65535",
		    "runtime_port");
		goto fail;
	}
	if (rc == 1)
		out->runtime_port = (uint16_t)n;

	if (record_get_str(root, "status", &s, &slen) != 1) {
		record_err(err, errlen, "%s: missing or not a string",
		    "status");
		goto fail;
	}
	for (i = 0; i < DB_ARRLEN(record_status_names); i++)
		if (strcmp(s, record_status_names[i]) == 0)
			break;
	if (i == DB_ARRLEN(record_status_names)) {
		record_err(err, errlen, "%s: unknown status", "status");
		goto fail;
	}
	out->status = (enum route_status)(ROUTE_ACTIVE + (int)i);

	if ((v = json_object_get(root, "ports")) != NULL &&
	    record_parse_ports(v, out, err, errlen) == -1)
		goto fail;

	if ((rc = record_get_int(root, "revoked_before", 0, INT64_MAX,
	    &n)) == -1) {
		record_err(err, errlen, "%s: not a non-negative integer",
		    "revoked_before");
		goto fail;
	}
	if (rc == 1)
		out->revoked_before = n;

	if (record_parse_meta(root, "team", out->team, err, errlen) == -1 ||
	    record_parse_meta(root, "region", out->region, err, errlen) == -1)
		goto fail;

	if ((v = json_object_get(root, "inject")) != NULL &&
	    record_parse_inject(v, out, err, errlen) == -1)
		goto fail;

	if ((v = json_object_get(root, "tls")) != NULL) {
		if (!json_is_boolean(v)) {
			record_err(err, errlen, "%s: not a boolean", "tls");
			goto fail;
		}
		out->upstream_tls = json_is_true(v);
	}
	if ((v = json_object_get(root, "tls_name")) != NULL &&
	    record_tls_name(v, out, err, errlen) == -1)
		goto fail;

	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

/* Build the canonical object; members in schema order. */
static json_t *
record_build(const struct route *r)
{
	json_t	*o = NULL, *ports = NULL, *inj = NULL;
	char	 key[8];
	size_t	 i;
	int	 bad = 0;

	if ((o = json_object()) == NULL)
		goto fail;
	if (r->status < ROUTE_ACTIVE || r->status > ROUTE_CLOSED ||
	    r->nports > ROUTE_MAX_PORTS ||
	    strnlen(r->target, sizeof(r->target)) == sizeof(r->target) ||
	    strnlen(r->team, sizeof(r->team)) == sizeof(r->team) ||
	    strnlen(r->region, sizeof(r->region)) == sizeof(r->region) ||
	    strnlen(r->inject_name, sizeof(r->inject_name)) ==
	    sizeof(r->inject_name) ||
	    strnlen(r->inject_value, sizeof(r->inject_value)) ==
	    sizeof(r->inject_value))
		goto fail;

	bad |= json_object_set_new(o, "v", json_integer(ROUTE_SCHEMA_VERSION));
	bad |= json_object_set_new(o, "target", json_string(r->target));
	bad |= json_object_set_new(o, "runtime_port",
	    json_integer(r->runtime_port));
	bad |= json_object_set_new(o, "status",
	    json_string(route_status_name(r->status)));
	if ((ports = json_object()) == NULL)
		goto fail;
	for (i = 0; i < r->nports; i++) {
		int	 k = snprintf(key, sizeof(key), "%u",
		    (unsigned)r->ports[i].port);

		if (k < 0 || (size_t)k >= sizeof(key))
			goto fail;
		bad |= json_object_set_new(ports, key, json_string(
		    r->ports[i].access == ROUTE_PUBLIC ? "public" : "auth"));
	}
	bad |= json_object_set_new(o, "ports", ports);
	ports = NULL;
	bad |= json_object_set_new(o, "revoked_before",
	    json_integer(r->revoked_before));
	if (r->team[0] != '\0')
		bad |= json_object_set_new(o, "team", json_string(r->team));
	if (r->region[0] != '\0')
		bad |= json_object_set_new(o, "region",
		    json_string(r->region));
	if (r->inject_name[0] != '\0') {
		if ((inj = json_object()) == NULL)
			goto fail;
		bad |= json_object_set_new(inj, "name",
		    json_string(r->inject_name));
		bad |= json_object_set_new(inj, "value",
		    json_string(r->inject_value));
		bad |= json_object_set_new(o, "inject", inj);
		inj = NULL;
	}
	if (r->upstream_tls)
		bad |= json_object_set_new(o, "tls", json_true());
	if (r->tls_name[0] != '\0')
		bad |= json_object_set_new(o, "tls_name",
		    json_string(r->tls_name));
	if (bad)
		goto fail;
	return o;
fail:
	json_decref(inj);
	json_decref(ports);
	json_decref(o);
	return NULL;
}

int
route_record_format(const struct route *r, char *buf, size_t size)
{
	json_t	*o;
	size_t	 n;

	if (size == 0 || (o = record_build(r)) == NULL)
		return -1;
	n = json_dumpb(o, buf, size, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (n == 0 || n >= size || n > INT32_MAX)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

const struct route_port *
route_find_port(const struct route *r, uint16_t port)
{
	size_t	 i;

	for (i = 0; i < r->nports && i < ROUTE_MAX_PORTS; i++)
		if (r->ports[i].port == port)
			return &r->ports[i];
	return NULL;
}

const char *
route_status_name(enum route_status s)
{
	if (s < ROUTE_ACTIVE || s > ROUTE_CLOSED)
		return "unknown";
	return record_status_names[s - ROUTE_ACTIVE];
}
