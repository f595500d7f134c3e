/*
 * ctl.c -- drawbridgectl, the operator CLI.  Writes, reads, deletes and
 * lists route records in Redis (publishing the invalidation after every
 * change) and mints tokens with a configured HS* key.
 *
 * Uses the proxy's own config_load (so the key files pass the same checks),
 * route_record_format/route_record_parse (a record that drawbridgectl
 * writes is one the proxy accepts) and jwt_mint.  Redis is spoken through
 * hiredis' synchronous API with a 2 s connect and command timeout.
 *
 * Exit status: 0 success, 1 failure (config, Redis, record absent), 2 usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis.h>
#include <openssl/crypto.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define CTL_NAME		"drawbridgectl"
#define CTL_DEFAULT_CONF	"/etc/drawbridge/drawbridge.conf"
#define CTL_TIMEOUT_S		2
#define CTL_DEFAULT_TTL		3600
#define CTL_MAX_TTL		(366 * 24 * 3600)	/* one year */
#define CTL_MAX_KEY		256
#define CTL_EXIT_FAIL		1
#define CTL_EXIT_USAGE		2

static const char ctl_usage_text[] =
"usage: drawbridgectl [-c FILE] route put ID --target IP [--runtime-port P]\n"
"                     [--expose PORT[:public|:auth]]...\n"
"                     [--status active|paused|starting|closed]\n"
"                     [--revoke-before EPOCH|now] [--team T] [--region R]\n"
"                     [--inject NAME:VALUE] [--tls] [--tls-name NAME]\n"
"       drawbridgectl [-c FILE] route get ID\n"
"       drawbridgectl [-c FILE] route del ID\n"
"       drawbridgectl [-c FILE] route list\n"
"       drawbridgectl [-c FILE] token ID [--port P] [--ttl SECONDS] "
"[--kid KID]\n"
"\n"
"-c defaults to $DRAWBRIDGE_CONF, else " CTL_DEFAULT_CONF ".\n"
"route put replaces the whole record; --expose defaults to :auth.\n";

/* The parsed command line. */
struct ctl_args {
	const char	*conf_path;
	const char	*cmd;		/* put get del list token */
	const char	*id;
	struct route	 route;		/* put */
	int		 have_target, have_rport, have_status, have_revoke;
	int		 have_team, have_region, have_inject;
	uint16_t	 port;		/* token --port */
	uint64_t	 ttl;		/* token --ttl */
	const char	*kid;		/* token --kid */
};

static void	 ctl_fail(const char *, ...) DB_PRINTF(1, 2) DB_NORETURN;
static void	 ctl_usage(const char *, ...) DB_PRINTF(1, 2) DB_NORETURN;

/* Runtime failure: message on stderr, exit 1. */
static void
ctl_fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", CTL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CTL_EXIT_FAIL);
}

/* Usage error: message and the synopsis on stderr, exit 2. */
static void
ctl_usage(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", CTL_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", ctl_usage_text);
	exit(CTL_EXIT_USAGE);
}

/* Parsing helpers for flag values; each exits 2 on a bad value. */

static uint64_t
ctl_number(const char *flag, const char *s, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	if ((strlen(s) > 1 && s[0] == '0') ||
	    str_parse_u64(s, strlen(s), hi, &v) == -1 || v < lo)
		ctl_usage("%s: \"%s\" is not a number in %llu..%llu", flag, s,
		    (unsigned long long)lo, (unsigned long long)hi);
	return v;
}

static uint16_t
ctl_port(const char *flag, const char *s)
{
	return (uint16_t)ctl_number(flag, s, 1, 65535);
}

static void
ctl_id(const char *id)
{
	if (!host_valid_id(id, strlen(id)))
		ctl_usage("invalid sandbox id \"%s\" (a-z 0-9 and '-', "
		    "1..%d characters, no '-' at either end)", id,
		    ROUTE_MAX_ID);
}

/* Printable ASCII and tab only, shorter than size. */
static void
ctl_text(const char *flag, const char *s, char *dst, size_t size)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f ||
		    (unsigned char)s[i] >= 0x80)
			ctl_usage("%s: control or non-ASCII character in value",
			    flag);
	if (str_lcpy(dst, s, size) >= size)
		ctl_usage("%s: value too long (max %zu bytes)", flag,
		    size - 1);
}

static int
ctl_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* --inject NAME:VALUE (split at the first colon). */
static void
ctl_inject(struct route *r, const char *s)
{
	static const char *const managed[] = { "host", "connection",
	    "content-length", "transfer-encoding", "keep-alive", "te",
	    "trailer", "upgrade", "proxy-connection", "proxy-authorization",
	    "forwarded", "x-forwarded-for", "x-forwarded-proto",
	    "x-forwarded-host", "x-real-ip" };
	const char *colon = strchr(s, ':');
	size_t	 nlen, i;

	if (colon == NULL || colon == s)
		ctl_usage("--inject: expected NAME:VALUE, got \"%s\"", s);
	nlen = (size_t)(colon - s);
	for (i = 0; i < nlen; i++)
		if (!ctl_tchar(s[i]))
			ctl_usage("--inject: invalid header name \"%.*s\"",
			    (int)nlen, s);
	if (str_spancpy(r->inject_name, sizeof(r->inject_name), s,
	    nlen) == -1)
		ctl_usage("--inject: header name too long (max %zu bytes)",
		    sizeof(r->inject_name) - 1);
	for (i = 0; i < DB_ARRLEN(managed); i++)
		if (str_span_eqi(s, nlen, managed[i]))
			ctl_usage("--inject: %s is managed by the proxy",
			    r->inject_name);
	ctl_text("--inject", colon + 1, r->inject_value,
	    sizeof(r->inject_value));
}

/* --expose PORT[:public|:auth] */
static void
ctl_expose(struct route *r, const char *s)
{
	const char *colon = strchr(s, ':');
	char	 num[8];
	struct route_port p;
	size_t	 i;

	p.access = ROUTE_PROTECTED;
	if (colon != NULL) {
		if (strcmp(colon + 1, "public") == 0)
			p.access = ROUTE_PUBLIC;
		else if (strcmp(colon + 1, "auth") != 0)
			ctl_usage("--expose: access must be public or auth "
			    "in \"%s\"", s);
	}
	if (str_spancpy(num, sizeof(num), s, colon != NULL ?
	    (size_t)(colon - s) : strlen(s)) == -1)
		ctl_usage("--expose: invalid port in \"%s\"", s);
	p.port = ctl_port("--expose", num);
	if (p.port == ROUTE_RUNTIME_PORT)
		ctl_usage("--expose: port %d is the runtime API and cannot be "
		    "exposed", ROUTE_RUNTIME_PORT);
	for (i = 0; i < r->nports; i++)
		if (r->ports[i].port == p.port)
			ctl_usage("--expose: port %u given twice", p.port);
	if (r->nports >= ROUTE_MAX_PORTS)
		ctl_usage("--expose: too many ports (max %d)",
		    ROUTE_MAX_PORTS);
	r->ports[r->nports++] = p;
}

static enum route_status
ctl_status(const char *s)
{
	static const struct {
		const char		*name;
		enum route_status	 st;
	} st[] = {
		{ "active", ROUTE_ACTIVE },
		{ "paused", ROUTE_PAUSED },
		{ "starting", ROUTE_STARTING },
		{ "closed", ROUTE_CLOSED },
	};
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(st); i++)
		if (strcmp(st[i].name, s) == 0)
			return st[i].st;
	ctl_usage("--status: \"%s\" is not active, paused, starting or "
	    "closed", s);
}

/*
 * If argv[*i] is flag (as "--flag VALUE" or "--flag=VALUE"), return its
 * value and advance *i past it; else NULL.  A repeated single-valued flag
 * is caught by the caller through its have_* counter.
 */
static const char *
ctl_flag(int argc, char **argv, int *i, const char *flag)
{
	size_t	 fl = strlen(flag);
	const char *a = argv[*i];

	if (strncmp(a, flag, fl) != 0)
		return NULL;
	if (a[fl] == '=') {
		(*i)++;
		return a + fl + 1;
	}
	if (a[fl] != '\0')
		return NULL;
	if (*i + 1 >= argc)
		ctl_usage("%s needs a value", flag);
	*i += 2;
	return argv[*i - 1];
}

static void
ctl_once(int *have, const char *flag)
{
	if ((*have)++ != 0)
		ctl_usage("%s given twice", flag);
}

static void
ctl_parse_put(struct ctl_args *a, int argc, char **argv, int i)
{
	struct route *r = &a->route;
	const char *v;

	r->runtime_port = ROUTE_RUNTIME_PORT;
	r->status = ROUTE_ACTIVE;
	(void)str_lcpy(r->id, a->id, sizeof(r->id));
	while (i < argc) {
		if ((v = ctl_flag(argc, argv, &i, "--target")) != NULL) {
			unsigned char buf[16];

			ctl_once(&a->have_target, "--target");
			if (inet_pton(AF_INET, v, buf) != 1 &&
			    inet_pton(AF_INET6, v, buf) != 1)
				ctl_usage("--target: \"%s\" is not an IP "
				    "address", v);
			(void)str_lcpy(r->target, v, sizeof(r->target));
		} else if ((v = ctl_flag(argc, argv, &i,
		    "--runtime-port")) != NULL) {
			ctl_once(&a->have_rport, "--runtime-port");
			r->runtime_port = ctl_port("--runtime-port", v);
		} else if ((v = ctl_flag(argc, argv, &i, "--expose")) != NULL) {
			ctl_expose(r, v);
		} else if ((v = ctl_flag(argc, argv, &i, "--status")) != NULL) {
			ctl_once(&a->have_status, "--status");
			r->status = ctl_status(v);
		} else if ((v = ctl_flag(argc, argv, &i,
		    "--revoke-before")) != NULL) {
			ctl_once(&a->have_revoke, "--revoke-before");
			r->revoked_before = strcmp(v, "now") == 0 ?
			    (int64_t)time(NULL) : (int64_t)ctl_number(
			    "--revoke-before", v, 0, INT64_MAX);
		} else if ((v = ctl_flag(argc, argv, &i, "--team")) != NULL) {
			ctl_once(&a->have_team, "--team");
			ctl_text("--team", v, r->team, sizeof(r->team));
		} else if ((v = ctl_flag(argc, argv, &i, "--region")) != NULL) {
			ctl_once(&a->have_region, "--region");
			ctl_text("--region", v, r->region, sizeof(r->region));
		} else if ((v = ctl_flag(argc, argv, &i, "--inject")) != NULL) {
			ctl_once(&a->have_inject, "--inject");
			ctl_inject(r, v);
		} else if (strcmp(argv[i], "--tls") == 0) {
			r->upstream_tls = 1;
		} else if ((v = ctl_flag(argc, argv, &i, "--tls-name")) !=
		    NULL) {
			r->upstream_tls = 1;
			ctl_text("--tls-name", v, r->tls_name,
			    sizeof(r->tls_name));
		} else
			ctl_usage("route put: unknown argument \"%s\"",
			    argv[i]);
	}
	if (!a->have_target)
		ctl_usage("route put: --target is required");
}

static void
ctl_parse_token(struct ctl_args *a, int argc, char **argv, int i)
{
	int	 have_port = 0, have_ttl = 0, have_kid = 0;
	const char *v;

	a->ttl = CTL_DEFAULT_TTL;
	while (i < argc) {
		if ((v = ctl_flag(argc, argv, &i, "--port")) != NULL) {
			ctl_once(&have_port, "--port");
			a->port = ctl_port("--port", v);
		} else if ((v = ctl_flag(argc, argv, &i, "--ttl")) != NULL) {
			ctl_once(&have_ttl, "--ttl");
			a->ttl = ctl_number("--ttl", v, 1, CTL_MAX_TTL);
		} else if ((v = ctl_flag(argc, argv, &i, "--kid")) != NULL) {
			ctl_once(&have_kid, "--kid");
			a->kid = v;
		} else
			ctl_usage("token: unknown argument \"%s\"", argv[i]);
	}
}

/* The whole command line; exits on usage errors and for -h. */
static void
ctl_parse(struct ctl_args *a, int argc, char **argv)
{
	int	 i = 1;

	memset(a, 0, sizeof(*a));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(ctl_usage_text, stdout);
			exit(0);
		}
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-c") != 0)
			ctl_usage("unknown option \"%s\"", argv[i]);
		if (i + 1 >= argc)
			ctl_usage("-c needs a file name");
		a->conf_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		ctl_usage("no command");
	if (strcmp(argv[i], "token") == 0) {
		a->cmd = "token";
		if (++i >= argc)
			ctl_usage("token: sandbox id missing");
		a->id = argv[i++];
		ctl_id(a->id);
		ctl_parse_token(a, argc, argv, i);
		return;
	}
	if (strcmp(argv[i], "route") != 0)
		ctl_usage("unknown command \"%s\"", argv[i]);
	if (++i >= argc)
		ctl_usage("route: put, get, del or list expected");
	a->cmd = argv[i++];
	if (strcmp(a->cmd, "list") == 0) {
		if (i < argc)
			ctl_usage("route list: unexpected argument \"%s\"",
			    argv[i]);
		return;
	}
	if (strcmp(a->cmd, "put") != 0 && strcmp(a->cmd, "get") != 0 &&
	    strcmp(a->cmd, "del") != 0)
		ctl_usage("route: unknown subcommand \"%s\"", a->cmd);
	if (i >= argc)
		ctl_usage("route %s: sandbox id missing", a->cmd);
	a->id = argv[i++];
	ctl_id(a->id);
	if (strcmp(a->cmd, "put") == 0) {
		ctl_parse_put(a, argc, argv, i);
		return;
	}
	if (i < argc)
		ctl_usage("route %s: unexpected argument \"%s\"", a->cmd,
		    argv[i]);
}

/* Redis. */

static redisContext *
ctl_redis(const struct config *conf)
{
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	redisContext *c;
	char	 where[300];

	if (strncmp(conf->redis_host, "unix:", 5) == 0) {
		(void)snprintf(where, sizeof(where), "%s", conf->redis_host);
		c = redisConnectUnixWithTimeout(conf->redis_host + 5, tv);
	} else {
		(void)snprintf(where, sizeof(where),
		    strchr(conf->redis_host, ':') != NULL ? "[%s]:%u" :
		    "%s:%u", conf->redis_host, conf->redis_port);
		c = redisConnectWithTimeout(conf->redis_host,
		    conf->redis_port, tv);
	}
	if (c == NULL)
		ctl_fail("redis %s: out of memory", where);
	if (c->err)
		ctl_fail("redis %s: %s", where, c->errstr);
	if (redisSetTimeout(c, tv) != REDIS_OK)
		ctl_fail("redis %s: cannot set timeout", where);
	if (conf->redis_auth != NULL) {
		const char *pw = conf->redis_auth, *sp = strchr(pw, ' ');
		redisReply *r;

		if (sp != NULL)
			r = redisCommand(c, "AUTH %b %s", pw,
			    (size_t)(sp - pw), sp + 1);
		else
			r = redisCommand(c, "AUTH %s", pw);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			ctl_fail("redis %s: AUTH failed%s%s", where,
			    r != NULL ? ": " : "", r != NULL ? r->str : "");
		freeReplyObject(r);
	}
	return c;
}

/*
 * Check a reply: NULL (I/O error) and error replies end the program;
 * otherwise it must be of type want (or nil if nil_ok).
 */
static redisReply *
ctl_reply(redisContext *c, void *rp, const char *what, int want, int nil_ok)
{
	redisReply *r = rp;

	if (r == NULL)
		ctl_fail("redis %s: %s", what, c->err ? c->errstr :
		    "no reply");
	if (r->type == REDIS_REPLY_ERROR)
		ctl_fail("redis %s: %.*s", what, (int)r->len, r->str);
	if (r->type != want && !(nil_ok && r->type == REDIS_REPLY_NIL))
		ctl_fail("redis %s: unexpected reply type %d", what, r->type);
	return r;
}

static void
ctl_key(const struct config *conf, const char *id, char *key, size_t size)
{
	int	 n;

	n = snprintf(key, size, "%sroute:%s", conf->redis_prefix, id);
	if (n < 0 || (size_t)n >= size)
		ctl_fail("key too long");
}

static void
ctl_publish(redisContext *c, const struct config *conf, const char *id)
{
	char	 chan[CTL_MAX_KEY];
	int	 n;

	n = snprintf(chan, sizeof(chan), "%sroutes", conf->redis_prefix);
	if (n < 0 || (size_t)n >= sizeof(chan))
		ctl_fail("channel name too long");
	freeReplyObject(ctl_reply(c, redisCommand(c, "PUBLISH %b %b", chan,
	    (size_t)n, id, strlen(id)), "PUBLISH", REDIS_REPLY_INTEGER, 0));
}

static int
ctl_put(const struct config *conf, struct ctl_args *a)
{
	char	 json[ROUTE_MAX_RECORD + 1], err[256], key[CTL_MAX_KEY];
	struct route check;
	redisContext *c;
	int	 len;

	len = route_record_format(&a->route, json, sizeof(json));
	if (len < 0)
		ctl_fail("route put: cannot format the record");
	/* What we write must be what the proxy accepts. */
	if (route_record_parse(json, (size_t)len, a->id, &check, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: route put: record rejected: %s\n",
		    CTL_NAME, err);
		return CTL_EXIT_USAGE;
	}
	ctl_key(conf, a->id, key, sizeof(key));
	c = ctl_redis(conf);
	freeReplyObject(ctl_reply(c, redisCommand(c, "SET %b %b", key,
	    strlen(key), json, (size_t)len), "SET", REDIS_REPLY_STATUS, 0));
	ctl_publish(c, conf, a->id);
	redisFree(c);
	return 0;
}

static int
ctl_get(const struct config *conf, struct ctl_args *a)
{
	char	 key[CTL_MAX_KEY], err[256];
	struct route check;
	redisContext *c;
	redisReply *r;

	ctl_key(conf, a->id, key, sizeof(key));
	c = ctl_redis(conf);
	r = ctl_reply(c, redisCommand(c, "GET %b", key, strlen(key)), "GET",
	    REDIS_REPLY_STRING, 1);
	if (r->type == REDIS_REPLY_NIL)
		ctl_fail("route %s not found", a->id);
	fwrite(r->str, 1, r->len, stdout);
	fputc('\n', stdout);
	if (route_record_parse(r->str, r->len, a->id, &check, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "%s: warning: the proxy will not accept this "
		    "record: %s\n", CTL_NAME, err);
	freeReplyObject(r);
	redisFree(c);
	return 0;
}

static int
ctl_del(const struct config *conf, struct ctl_args *a)
{
	char	 key[CTL_MAX_KEY];
	redisContext *c;
	redisReply *r;
	long long n;

	ctl_key(conf, a->id, key, sizeof(key));
	c = ctl_redis(conf);
	r = ctl_reply(c, redisCommand(c, "DEL %b", key, strlen(key)), "DEL",
	    REDIS_REPLY_INTEGER, 0);
	n = r->integer;
	freeReplyObject(r);
	/* Publish even if absent: a cache may still hold it. */
	ctl_publish(c, conf, a->id);
	redisFree(c);
	if (n == 0)
		ctl_fail("route %s not found", a->id);
	return 0;
}

static int
ctl_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ctl_list(const struct config *conf)
{
	char	 pattern[CTL_MAX_KEY], cursor[32] = "0";
	char	**ids = NULL;
	size_t	 nids = 0, cap = 0, plen, i, skipped = 0;
	redisContext *c;

	ctl_key(conf, "*", pattern, sizeof(pattern));
	plen = strlen(pattern) - 1;
	c = ctl_redis(conf);
	do {
		redisReply *r, *keys;

		r = ctl_reply(c, redisCommand(c, "SCAN %s MATCH %b COUNT 1000",
		    cursor, pattern, plen + 1), "SCAN", REDIS_REPLY_ARRAY, 0);
		if (r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY ||
		    str_spancpy(cursor, sizeof(cursor), r->element[0]->str,
		    r->element[0]->len) == -1)
			ctl_fail("redis SCAN: malformed reply");
		keys = r->element[1];
		for (i = 0; i < keys->elements; i++) {
			redisReply *k = keys->element[i];
			const char *id;
			size_t	 idlen;

			if (k->type != REDIS_REPLY_STRING || k->len < plen)
				continue;
			id = k->str + plen;
			idlen = k->len - plen;
			if (!host_valid_id(id, idlen)) {
				skipped++;
				continue;
			}
			if (nids == cap) {
				char	**n;

				cap = cap == 0 ? 64 : cap * 2;
				if ((n = reallocarray(ids, cap,
				    sizeof(*ids))) == NULL)
					ctl_fail("out of memory");
				ids = n;
			}
			if ((ids[nids] = strndup(id, idlen)) == NULL)
				ctl_fail("out of memory");
			nids++;
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	redisFree(c);

	qsort(ids, nids, sizeof(*ids), ctl_cmp);
	for (i = 0; i < nids; i++) {
		/* SCAN may return a key more than once. */
		if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0)
			printf("%s\n", ids[i]);
	}
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	if (skipped > 0)
		fprintf(stderr, "%s: warning: %zu key%s with an invalid "
		    "sandbox id skipped\n", CTL_NAME, skipped,
		    skipped == 1 ? "" : "s");
	return 0;
}

static int
ctl_token(const struct config *conf, struct ctl_args *a)
{
	const struct conf_jwt_key *k = NULL;
	char	*tok;
	size_t	 i;

	for (i = 0; i < conf->njwt_keys; i++) {
		const struct conf_jwt_key *ki = &conf->jwt_keys[i];
		int	 hs = ki->alg == CONF_ALG_HS256 ||
		    ki->alg == CONF_ALG_HS384 || ki->alg == CONF_ALG_HS512;

		if (a->kid != NULL ? strcmp(ki->kid, a->kid) == 0 : hs) {
			k = ki;
			break;
		}
	}
	if (k == NULL && a->kid != NULL)
		ctl_fail("token: no jwt-key with kid \"%s\" in %s", a->kid,
		    conf->path);
	if (k == NULL)
		ctl_fail("token: no HS256/HS384/HS512 jwt-key in %s (RS/ES "
		    "keys are public keys and cannot sign)", conf->path);
	if (k->alg != CONF_ALG_HS256 && k->alg != CONF_ALG_HS384 &&
	    k->alg != CONF_ALG_HS512)
		ctl_fail("token: key \"%s\" is %s, a public key: only HS* keys "
		    "can sign", k->kid, config_alg_name(k->alg));
	tok = jwt_mint(conf, k->kid, a->id, a->port, time(NULL), a->ttl);
	if (tok == NULL)
		ctl_fail("token: minting with key \"%s\" failed", k->kid);
	printf("%s\n", tok);
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl_args a;
	struct config *conf;
	char	 err[512];
	int	 rc;

	ctl_parse(&a, argc, argv);
	if (a.conf_path == NULL)
		a.conf_path = getenv("DRAWBRIDGE_CONF");
	if (a.conf_path == NULL || a.conf_path[0] == '\0')
		a.conf_path = CTL_DEFAULT_CONF;
	if ((conf = config_load(a.conf_path, err, sizeof(err))) == NULL)
		ctl_fail("%s", err);

	if (strcmp(a.cmd, "token") == 0)
		rc = ctl_token(conf, &a);
	else if (strcmp(a.cmd, "put") == 0)
		rc = ctl_put(conf, &a);
	else if (strcmp(a.cmd, "get") == 0)
		rc = ctl_get(conf, &a);
	else if (strcmp(a.cmd, "del") == 0)
		rc = ctl_del(conf, &a);
	else
		rc = ctl_list(conf);
	config_free(conf);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: write error on stdout\n", CTL_NAME);
		return CTL_EXIT_FAIL;
	}
	return rc;
}
