/*
 * config.c -- the configuration file: one keyword table, a pure parser over
 * (name, text, len), and a loader that reads the file and its key files.
 *
 * Format: one directive per line, words split on spaces and tabs, a word
 * starting with '#' starts a comment that runs to the end of the line.
 * Every error is reported as "NAME:LINE: message"; the first one stops the
 * parse.  Errors about the file as a whole (it cannot be read, a required
 * directive is missing) carry line 0.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/common.h"
#include "config/config.h"

#define CONF_MAX_FILE		(1024 * 1024)	/* config file */
#define CONF_MAX_KEYFILE	(64 * 1024)	/* one key file */
#define CONF_MAX_LINE		4096
#define CONF_MAX_WORDS		16
#define CONF_MIN_HS_SECRET	32
#define CONF_MIN_RSA_BITS	2048
#define CONF_MAX_TOKEN_CACHE	(1024 * 1024)
#define CONF_MAX_KEEPALIVE	1024

#define MS_SECOND	1000ULL
#define MS_MINUTE	(60 * MS_SECOND)
#define MS_HOUR		(60 * MS_MINUTE)
#define MS_DAY		(24 * MS_HOUR)
#define SZ_K		1024ULL
#define SZ_M		(1024 * SZ_K)
#define SZ_G		(1024 * SZ_M)

/* Parser state for one file. */
struct conf_ctx {
	struct config	*conf;
	const char	*name;
	int		 line;
	char		*err;
	size_t		 errlen;
};

/*
 * One directive.  Handlers get the arguments after the keyword (argc is
 * already within [minargs, maxargs]).  The generic number handlers store
 * into the uint64_t at offset `off` of struct config, within [lo, hi].
 */
struct conf_keyword {
	const char	*name;
	int		 minargs;
	int		 maxargs;
	int		 once;		/* a repeat is an error */
	int		(*handler)(struct conf_ctx *,
			    const struct conf_keyword *, char **, int);
	size_t		 off;
	uint64_t	 lo;
	uint64_t	 hi;
};

static const struct {
	const char	*name;
	enum conf_alg	 alg;
} conf_algs[] = {
	{ "HS256", CONF_ALG_HS256 },
	{ "HS384", CONF_ALG_HS384 },
	{ "HS512", CONF_ALG_HS512 },
	{ "RS256", CONF_ALG_RS256 },
	{ "RS384", CONF_ALG_RS384 },
	{ "RS512", CONF_ALG_RS512 },
	{ "ES256", CONF_ALG_ES256 },
	{ "ES384", CONF_ALG_ES384 },
	{ "ES512", CONF_ALG_ES512 },
};

static int	 conf_err(struct conf_ctx *, const char *, ...)
		    DB_PRINTF(2, 3);

static int
conf_err(struct conf_ctx *c, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen > 0)
		(void)snprintf(c->err, c->errlen, "%s:%d: %s", c->name,
		    c->line, msg);
	return -1;
}

const char *
config_alg_name(enum conf_alg alg)
{
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(conf_algs); i++)
		if (conf_algs[i].alg == alg)
			return conf_algs[i].name;
	return "unknown";
}

int
config_alg_parse(const char *s, enum conf_alg *out)
{
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(conf_algs); i++) {
		if (strcmp(conf_algs[i].name, s) == 0) {
			*out = conf_algs[i].alg;
			return 0;
		}
	}
	return -1;
}

static int
conf_alg_is_hs(enum conf_alg alg)
{
	return alg == CONF_ALG_HS256 || alg == CONF_ALG_HS384 ||
	    alg == CONF_ALG_HS512;
}

static int
conf_alg_is_rs(enum conf_alg alg)
{
	return alg == CONF_ALG_RS256 || alg == CONF_ALG_RS384 ||
	    alg == CONF_ALG_RS512;
}

void
config_defaults(struct config *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->workers = 0;
	(void)str_lcpy(conf->redis_host, "127.0.0.1", sizeof(conf->redis_host));
	conf->redis_port = 6379;
	(void)str_lcpy(conf->redis_prefix, "drawbridge:",
	    sizeof(conf->redis_prefix));
	conf->redis_timeout_ms = 250;
	conf->route_ttl_ms = 30 * MS_SECOND;
	conf->route_negative_ttl_ms = 2 * MS_SECOND;
	conf->route_stale_ms = 60 * MS_SECOND;
	(void)str_lcpy(conf->jwt_audience, "drawbridge",
	    sizeof(conf->jwt_audience));
	conf->jwt_leeway_s = 30;
	conf->token_cache_slots = 4096;
	conf->timeout_header_ms = 10 * MS_SECOND;
	conf->timeout_idle_ms = 60 * MS_SECOND;
	conf->timeout_body_ms = 30 * MS_SECOND;
	conf->timeout_connect_ms = 5 * MS_SECOND;
	conf->timeout_first_byte_ms = 60 * MS_SECOND;
	conf->timeout_upstream_idle_ms = 60 * MS_SECOND;
	conf->max_header_bytes = 32 * SZ_K;
	conf->max_headers = 100;
	conf->max_request_line = 8 * SZ_K;
	conf->max_connections = 10000;
	conf->max_body_bytes = 0;
	conf->buffer_bytes = 64 * SZ_K;
	conf->upstream_keepalive = 8;
	conf->upstream_idle_timeout_ms = 30 * MS_SECOND;
	(void)str_lcpy(conf->access_log, "stderr", sizeof(conf->access_log));
	conf->timeout_stream_idle_ms = 300 * MS_SECOND;
	conf->max_streams_per_sandbox = 256;
	conf->stream_close_on_change = 1;
	conf->timeout_tls_handshake_ms = 10 * MS_SECOND;
	conf->tls_ticket_rotate_ms = MS_HOUR;
	(void)str_lcpy(conf->cookie_samesite, "Lax",
	    sizeof(conf->cookie_samesite));
	conf->cookie_ttl_ms = 12 * MS_HOUR;
	(void)str_lcpy(conf->auth_path, "/_hb/auth", sizeof(conf->auth_path));
	(void)str_lcpy(conf->logout_path, "/_hb/logout",
	    sizeof(conf->logout_path));
	conf->presign_default_ttl_ms = 5 * MS_MINUTE;
	conf->presign_max_ttl_ms = MS_HOUR;
}

/* Value parsers shared by several directives. */

/* A port: digits only, no leading zero, 0..65535 (min is the caller's). */
static int
conf_port(const char *s, size_t len, uint16_t *out)
{
	uint64_t v;

	if (len > 1 && s[0] == '0')
		return -1;
	if (str_parse_u64(s, len, 65535, &v) == -1)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/*
 * Split "HOST:PORT" or "[V6]:PORT" into host (brackets removed) and port.
 * Returns 0, or -1 with *what naming the bad part.
 */
static int
conf_hostport(const char *s, char *host, size_t hostlen, uint16_t *port,
    const char **what)
{
	const char *colon, *h;
	size_t	 hl;

	*what = "address";
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		h = s;
		hl = (size_t)(colon - s);
		if (memchr(h, ':', hl) != NULL)	/* bare IPv6 */
			return -1;
	}
	if (hl == 0 || str_spancpy(host, hostlen, h, hl) == -1)
		return -1;
	*what = "port";
	if (conf_port(colon + 1, strlen(colon + 1), port) == -1)
		return -1;
	return 0;
}

/* Is host an IPv4 or IPv6 literal?  Returns the family or 0. */
static int
conf_ip_family(const char *host, void *addr)
{
	unsigned char buf[16];

	if (addr == NULL)
		addr = buf;
	if (inet_pton(AF_INET, host, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, addr) == 1)
		return AF_INET6;
	return 0;
}

/*
 * Lower-case s in place, strip one trailing dot and check it is a DNS
 * name: labels of 1..63 [a-z0-9-] not starting or ending with '-', at
 * most CONF_MAX_HOSTNAME bytes in all.
 */
static int
conf_dns_name(char *s)
{
	size_t	 len = strlen(s), i, lab = 0;

	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	if (len == 0 || len > CONF_MAX_HOSTNAME)
		return -1;
	str_lower(s, len);
	for (i = 0; i <= len; i++) {
		char	 ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return -1;
			lab = 0;
			continue;
		}
		if (lab == 0 && ch == '-')
			return -1;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-'))
			return -1;
		lab++;
	}
	return 0;
}

/* Parse a listen address for directive kw into *l. */
static int
conf_listen_addr(struct conf_ctx *c, const char *kw, const char *arg,
    struct conf_listen *l)
{
	const char *what;

	memset(l, 0, sizeof(*l));
	if (conf_hostport(arg, l->host, sizeof(l->host), &l->port,
	    &what) == -1)
		return conf_err(c, "%s: invalid %s in \"%s\" (expected "
		    "ADDR:PORT or [IPv6]:PORT)", kw, what, arg);
	if (conf_ip_family(l->host, NULL) == 0)
		return conf_err(c, "%s: \"%s\" is not an IP address", kw,
		    l->host);
	return 0;
}

static int
conf_listen_same(const struct conf_listen *a, const struct conf_listen *b)
{
	return a->port != 0 && a->port == b->port &&
	    strcmp(a->host, b->host) == 0;
}

/* Handlers, one per directive (or per kind of value). */

static int
conf_h_listen(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	struct config *conf = c->conf;
	struct conf_listen l;
	size_t	 i;

	(void)ac;
	if (conf->nlisten >= CONF_MAX_LISTEN)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_LISTEN);
	if (conf_listen_addr(c, kw->name, av[0], &l) == -1)
		return -1;
	if (ac == 2) {
		if (strcmp(av[1], "tls") != 0)
			return conf_err(c, "%s: unknown option \"%s\" "
			    "(expected tls)", kw->name, av[1]);
		l.tls = 1;
	}
	for (i = 0; i < conf->nlisten; i++)
		if (conf_listen_same(&conf->listen[i], &l))
			return conf_err(c, "%s: duplicate address \"%s\"",
			    kw->name, av[0]);
	if (conf->admin_set && conf_listen_same(&conf->admin, &l))
		return conf_err(c, "%s: \"%s\" is also the admin-listen "
		    "address", kw->name, av[0]);
	conf->listen[conf->nlisten++] = l;
	return 0;
}

static int
conf_h_admin(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	struct config *conf = c->conf;
	struct conf_listen l;
	size_t	 i;

	(void)ac;
	if (conf_listen_addr(c, kw->name, av[0], &l) == -1)
		return -1;
	if (ac == 2) {
		if (strcmp(av[1], "tls") != 0)
			return conf_err(c, "%s: unknown option \"%s\" "
			    "(expected tls)", kw->name, av[1]);
		l.tls = 1;
	}
	for (i = 0; i < conf->nlisten; i++)
		if (conf_listen_same(&conf->listen[i], &l))
			return conf_err(c, "%s: \"%s\" is also a listen "
			    "address", kw->name, av[0]);
	conf->admin = l;
	conf->admin_set = 1;
	return 0;
}

static int
conf_h_workers(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	uint64_t v;

	(void)ac;
	if (strcmp(av[0], "auto") == 0) {
		c->conf->workers = 0;
		return 0;
	}
	if (str_parse_u64(av[0], strlen(av[0]), CONF_MAX_WORKERS, &v) == -1 ||
	    v < 1)
		return conf_err(c, "%s: \"%s\" is not auto or a number in "
		    "1..%d", kw->name, av[0], CONF_MAX_WORKERS);
	c->conf->workers = (unsigned)v;
	return 0;
}

/* domain and path-host: a list of DNS names. */
static int
conf_hostlist(struct conf_ctx *c, const char *kw, const char *arg,
    char (*list)[CONF_MAX_HOSTNAME + 1], size_t *n, size_t max)
{
	char	 name[CONF_MAX_HOSTNAME + 2];
	size_t	 i;

	if (*n >= max)
		return conf_err(c, "%s: too many (max %zu)", kw, max);
	if (arg[0] == '*' || arg[0] == '.')
		return conf_err(c, "%s: invalid hostname \"%s\" (write the "
		    "name without a leading \"*.\" or \".\")", kw, arg);
	if (str_lcpy(name, arg, sizeof(name)) >= sizeof(name) ||
	    conf_dns_name(name) == -1)
		return conf_err(c, "%s: invalid hostname \"%s\"", kw, arg);
	for (i = 0; i < *n; i++)
		if (strcmp(list[i], name) == 0)
			return conf_err(c, "%s: duplicate \"%s\"", kw, name);
	(void)str_lcpy(list[*n], name, CONF_MAX_HOSTNAME + 1);
	(*n)++;
	return 0;
}

static int
conf_h_domain(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	(void)ac;
	return conf_hostlist(c, kw->name, av[0], c->conf->domains,
	    &c->conf->ndomains, CONF_MAX_DOMAINS);
}

static int
conf_h_path_host(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	return conf_hostlist(c, kw->name, av[0], c->conf->path_hosts,
	    &c->conf->npath_hosts, CONF_MAX_PATH_HOSTS);
}

static int
conf_h_redis(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	struct config *conf = c->conf;
	char	 host[256];
	const char *what;
	uint16_t port;

	(void)ac;
	if (strncmp(av[0], "unix:", 5) == 0) {
		const char *p = av[0] + 5;

		if (p[0] != '/')
			return conf_err(c, "%s: unix socket path must be "
			    "absolute in \"%s\"", kw->name, av[0]);
		/* sun_path is 108 bytes including the NUL. */
		if (strlen(p) >= 108)
			return conf_err(c, "%s: unix socket path too long "
			    "(max 107 bytes)", kw->name);
		(void)str_lcpy(conf->redis_host, av[0],
		    sizeof(conf->redis_host));
		conf->redis_port = 0;
		return 0;
	}
	if (conf_hostport(av[0], host, sizeof(host), &port, &what) == -1)
		return conf_err(c, "%s: invalid %s in \"%s\" (expected "
		    "HOST:PORT or unix:/PATH)", kw->name, what, av[0]);
	if (port == 0)
		return conf_err(c, "%s: port must be 1..65535 in \"%s\"",
		    kw->name, av[0]);
	if (conf_ip_family(host, NULL) == 0 && conf_dns_name(host) == -1)
		return conf_err(c, "%s: invalid host \"%s\"", kw->name, host);
	(void)str_lcpy(conf->redis_host, host, sizeof(conf->redis_host));
	conf->redis_port = port;
	return 0;
}

static int
conf_h_redis_prefix(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	size_t	 len = strlen(av[0]);

	(void)ac;
	if (len >= sizeof(c->conf->redis_prefix))
		return conf_err(c, "%s: too long (max %zu bytes)", kw->name,
		    sizeof(c->conf->redis_prefix) - 1);
	/* list uses SCAN MATCH <prefix>route:*, so no glob characters. */
	if (strpbrk(av[0], "*?[]\\") != NULL)
		return conf_err(c, "%s: \"%s\" must not contain any of "
		    "* ? [ ] \\", kw->name, av[0]);
	(void)str_lcpy(c->conf->redis_prefix, av[0],
	    sizeof(c->conf->redis_prefix));
	return 0;
}

/* Generic: a duration in [lo, hi] ms into the uint64_t at kw->off. */
static int
conf_h_duration(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	uint64_t v;

	(void)ac;
	if (str_parse_duration_ms(av[0], &v) == -1)
		return conf_err(c, "%s: invalid duration \"%s\" (use e.g. "
		    "250ms, 10s, 5m, 1h)", kw->name, av[0]);
	if (v < kw->lo || v > kw->hi)
		return conf_err(c, "%s: %s out of range (%llums..%llums)",
		    kw->name, av[0], (unsigned long long)kw->lo,
		    (unsigned long long)kw->hi);
	*(uint64_t *)(void *)((char *)c->conf + kw->off) = v;
	return 0;
}

/* Generic: a size in [lo, hi] bytes into the uint64_t at kw->off. */
static int
conf_h_size(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	uint64_t v;

	(void)ac;
	if (str_parse_size(av[0], &v) == -1)
		return conf_err(c, "%s: invalid size \"%s\" (use e.g. 512, "
		    "32k, 8m, 1g)", kw->name, av[0]);
	if (v < kw->lo || v > kw->hi)
		return conf_err(c, "%s: %s out of range (%llu..%llu bytes)",
		    kw->name, av[0], (unsigned long long)kw->lo,
		    (unsigned long long)kw->hi);
	*(uint64_t *)(void *)((char *)c->conf + kw->off) = v;
	return 0;
}

/* Generic: a count in [lo, hi] into the uint64_t at kw->off. */
static int
conf_h_count(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	uint64_t v;

	(void)ac;
	if (str_parse_u64(av[0], strlen(av[0]), UINT64_MAX, &v) == -1)
		return conf_err(c, "%s: \"%s\" is not a number", kw->name,
		    av[0]);
	if (v < kw->lo || v > kw->hi)
		return conf_err(c, "%s: %s out of range (%llu..%llu)",
		    kw->name, av[0], (unsigned long long)kw->lo,
		    (unsigned long long)kw->hi);
	*(uint64_t *)(void *)((char *)c->conf + kw->off) = v;
	return 0;
}

static int
conf_kid_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("._:/+=-", ch) != NULL;
}

static int
conf_h_jwt_key(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	struct config *conf = c->conf;
	struct conf_jwt_key *k;
	enum conf_alg alg;
	size_t	 i, len;

	(void)ac;
	if (conf->njwt_keys >= CONF_MAX_JWT_KEYS)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_JWT_KEYS);
	len = strlen(av[0]);
	if (len >= sizeof(k->kid))
		return conf_err(c, "%s: kid too long (max %zu bytes)",
		    kw->name, sizeof(k->kid) - 1);
	for (i = 0; i < len; i++)
		if (!conf_kid_char(av[0][i]))
			return conf_err(c, "%s: invalid kid \"%s\" (allowed: "
			    "A-Z a-z 0-9 . _ : / + = -)", kw->name, av[0]);
	for (i = 0; i < conf->njwt_keys; i++)
		if (strcmp(conf->jwt_keys[i].kid, av[0]) == 0)
			return conf_err(c, "%s: duplicate kid \"%s\" (first "
			    "on line %d)", kw->name, av[0],
			    conf->jwt_keys[i].line);
	if (config_alg_parse(av[1], &alg) == -1)
		return conf_err(c, "%s: unknown algorithm \"%s\" (HS256 HS384 "
		    "HS512 RS256 RS384 RS512 ES256 ES384 ES512)", kw->name,
		    av[1]);
	if (strlen(av[2]) >= sizeof(k->path))
		return conf_err(c, "%s: file name too long (max %zu bytes)",
		    kw->name, sizeof(k->path) - 1);
	k = &conf->jwt_keys[conf->njwt_keys++];
	memset(k, 0, sizeof(*k));
	(void)str_lcpy(k->kid, av[0], sizeof(k->kid));
	k->alg = alg;
	(void)str_lcpy(k->path, av[2], sizeof(k->path));
	k->line = c->line;
	return 0;
}

/* jwt-audience and jwt-issuer: a string stored in a char[128]. */
static int
conf_string(struct conf_ctx *c, const char *kw, const char *arg, char *dst,
    size_t dstlen)
{
	if (str_lcpy(dst, arg, dstlen) >= dstlen) {
		dst[0] = '\0';
		return conf_err(c, "%s: too long (max %zu bytes)", kw,
		    dstlen - 1);
	}
	return 0;
}

static int
conf_h_jwt_audience(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	if (strcmp(av[0], "off") == 0) {
		c->conf->jwt_audience[0] = '\0';
		return 0;
	}
	return conf_string(c, kw->name, av[0], c->conf->jwt_audience,
	    sizeof(c->conf->jwt_audience));
}

static int
conf_h_jwt_issuer(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	return conf_string(c, kw->name, av[0], c->conf->jwt_issuer,
	    sizeof(c->conf->jwt_issuer));
}

static int
conf_h_jwt_leeway(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	uint64_t v;

	(void)ac;
	if (str_parse_duration_ms(av[0], &v) == -1)
		return conf_err(c, "%s: invalid duration \"%s\" (use e.g. "
		    "30s)", kw->name, av[0]);
	if (v % MS_SECOND != 0)
		return conf_err(c, "%s: must be whole seconds", kw->name);
	if (v > 300 * MS_SECOND)
		return conf_err(c, "%s: %s out of range (0s..300s)", kw->name,
		    av[0]);
	c->conf->jwt_leeway_s = v / MS_SECOND;
	return 0;
}

static int
conf_h_token_cache(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	uint64_t v;

	(void)ac;
	if (str_parse_u64(av[0], strlen(av[0]), CONF_MAX_TOKEN_CACHE,
	    &v) == -1)
		return conf_err(c, "%s: \"%s\" is not a number in 0..%d",
		    kw->name, av[0], CONF_MAX_TOKEN_CACHE);
	c->conf->token_cache_slots = (size_t)v;
	return 0;
}

static int
conf_h_trusted(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	struct config *conf = c->conf;
	struct conf_cidr r;
	char	 host[64];
	const char *slash;
	uint64_t bits;
	unsigned maxbits, i;
	size_t	 n;

	(void)ac;
	if (conf->ntrusted >= CONF_MAX_TRUSTED)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_TRUSTED);
	memset(&r, 0, sizeof(r));
	slash = strchr(av[0], '/');
	n = slash != NULL ? (size_t)(slash - av[0]) : strlen(av[0]);
	if (str_spancpy(host, sizeof(host), av[0], n) == -1 ||
	    (r.family = conf_ip_family(host, r.addr)) == 0)
		return conf_err(c, "%s: invalid address in \"%s\"", kw->name,
		    av[0]);
	maxbits = r.family == AF_INET ? 32 : 128;
	bits = maxbits;
	if (slash != NULL && ((slash[1] == '0' && slash[2] != '\0') ||
	    str_parse_u64(slash + 1, strlen(slash + 1), maxbits,
	    &bits) == -1))
		return conf_err(c, "%s: invalid prefix length in \"%s\" "
		    "(0..%u)", kw->name, av[0], maxbits);
	r.bits = (unsigned)bits;
	for (i = r.bits; i < maxbits; i++)
		if (r.addr[i / 8] & (0x80 >> (i % 8)))
			return conf_err(c, "%s: \"%s\" has host bits set",
			    kw->name, av[0]);
	for (i = 0; i < conf->ntrusted; i++)
		if (memcmp(&conf->trusted[i], &r, sizeof(r)) == 0)
			return conf_err(c, "%s: duplicate \"%s\"", kw->name,
			    av[0]);
	conf->trusted[conf->ntrusted++] = r;
	return 0;
}

static int
conf_h_access_log(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	if (strcmp(av[0], "stderr") != 0 && strcmp(av[0], "off") != 0 &&
	    av[0][0] != '/')
		return conf_err(c, "%s: \"%s\" is not stderr, off or an "
		    "absolute path", kw->name, av[0]);
	return conf_string(c, kw->name, av[0], c->conf->access_log,
	    sizeof(c->conf->access_log));
}

static int
conf_h_upstream_ca(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	return conf_string(c, kw->name, av[0], c->conf->upstream_ca,
	    sizeof(c->conf->upstream_ca));
}

static int
conf_h_redis_auth(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	if (strlen(av[0]) >= sizeof(c->conf->redis_auth_path))
		return conf_err(c, "%s: file name too long", kw->name);
	(void)str_lcpy(c->conf->redis_auth_path, av[0],
	    sizeof(c->conf->redis_auth_path));
	c->conf->redis_auth_line = c->line;
	return 0;
}

/* on|off into the int at kw->off. */
static int
conf_h_flag(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	int	*p = (int *)(void *)((char *)c->conf + kw->off);

	(void)ac;
	if (strcmp(av[0], "on") == 0)
		*p = 1;
	else if (strcmp(av[0], "off") == 0)
		*p = 0;
	else
		return conf_err(c, "%s: expected on or off, got \"%s\"",
		    kw->name, av[0]);
	return 0;
}

/*
 * cookie-key / presign-key KID FILE: an HMAC secret (loaded like an HS256
 * jwt-key) into the conf_jwt_key array at kw->off; its count follows the
 * array (struct layout asserted below).
 */
static int
conf_h_secret(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	struct conf_jwt_key *keys;
	size_t	*n, i, len;

	(void)ac;
	keys = (struct conf_jwt_key *)(void *)((char *)c->conf + kw->off);
	n = (size_t *)(void *)((char *)c->conf + kw->off +
	    CONF_MAX_SECRETS * sizeof(*keys));
	if (*n >= CONF_MAX_SECRETS)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_SECRETS);
	len = strlen(av[0]);
	if (len == 0 || len >= sizeof(keys->kid))
		return conf_err(c, "%s: kid too long (max %zu bytes)",
		    kw->name, sizeof(keys->kid) - 1);
	for (i = 0; i < len; i++)
		if (!conf_kid_char(av[0][i]) || av[0][i] == '.')
			return conf_err(c, "%s: invalid kid \"%s\" (allowed: "
			    "A-Z a-z 0-9 _ : / + = -)", kw->name, av[0]);
	for (i = 0; i < *n; i++)
		if (strcmp(keys[i].kid, av[0]) == 0)
			return conf_err(c, "%s: duplicate kid \"%s\" (first "
			    "on line %d)", kw->name, av[0], keys[i].line);
	if (strlen(av[1]) >= sizeof(keys->path))
		return conf_err(c, "%s: file name too long (max %zu bytes)",
		    kw->name, sizeof(keys->path) - 1);
	memset(&keys[*n], 0, sizeof(keys[*n]));
	(void)str_lcpy(keys[*n].kid, av[0], sizeof(keys[*n].kid));
	keys[*n].alg = CONF_ALG_HS256;
	(void)str_lcpy(keys[*n].path, av[1], sizeof(keys[*n].path));
	keys[*n].line = c->line;
	(*n)++;
	return 0;
}

_Static_assert(offsetof(struct config, ncookie_keys) ==
    offsetof(struct config, cookie_keys) +
    CONF_MAX_SECRETS * sizeof(struct conf_jwt_key), "cookie_keys layout");
_Static_assert(offsetof(struct config, npresign_keys) ==
    offsetof(struct config, presign_keys) +
    CONF_MAX_SECRETS * sizeof(struct conf_jwt_key), "presign_keys layout");

static int
conf_h_tls_cert(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	struct config *conf = c->conf;
	struct conf_cert *ct;

	(void)ac;
	if (conf->ncerts >= CONF_MAX_CERTS)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_CERTS);
	if (strlen(av[0]) >= sizeof(ct->cert) ||
	    strlen(av[1]) >= sizeof(ct->key))
		return conf_err(c, "%s: file name too long (max %zu bytes)",
		    kw->name, sizeof(ct->cert) - 1);
	ct = &conf->certs[conf->ncerts++];
	memset(ct, 0, sizeof(*ct));
	(void)str_lcpy(ct->cert, av[0], sizeof(ct->cert));
	(void)str_lcpy(ct->key, av[1], sizeof(ct->key));
	ct->line = c->line;
	return 0;
}

static int
conf_h_tls_no_sni(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	(void)ac;
	if (strcmp(av[0], "default") == 0)
		c->conf->tls_sni_required = 0;
	else if (strcmp(av[0], "refuse") == 0)
		c->conf->tls_sni_required = 1;
	else
		return conf_err(c, "%s: expected default or refuse, got "
		    "\"%s\"", kw->name, av[0]);
	return 0;
}

static int
conf_h_upgrade_allow(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	struct config *conf = c->conf;
	size_t	 i, len = strlen(av[0]);

	(void)ac;
	if (conf->nupgrade_allow >= CONF_MAX_UPGRADES)
		return conf_err(c, "%s: too many (max %d)", kw->name,
		    CONF_MAX_UPGRADES);
	if (len == 0 || len >= sizeof(conf->upgrade_allow[0]))
		return conf_err(c, "%s: token too long", kw->name);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)av[0][i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~/",
		    ch) != NULL))
			return conf_err(c, "%s: \"%s\" is not a token",
			    kw->name, av[0]);
	}
	(void)str_lcpy(conf->upgrade_allow[conf->nupgrade_allow++], av[0],
	    sizeof(conf->upgrade_allow[0]));
	return 0;
}

static int
conf_h_samesite(struct conf_ctx *c, const struct conf_keyword *kw,
    char **av, int ac)
{
	const char *v;

	(void)ac;
	if (strcmp(av[0], "lax") == 0)
		v = "Lax";
	else if (strcmp(av[0], "strict") == 0)
		v = "Strict";
	else if (strcmp(av[0], "none") == 0)
		v = "None";
	else
		return conf_err(c, "%s: expected lax, strict or none, got "
		    "\"%s\"", kw->name, av[0]);
	(void)str_lcpy(c->conf->cookie_samesite, v,
	    sizeof(c->conf->cookie_samesite));
	return 0;
}

/* auth-path, logout-path: an absolute path of safe characters. */
static int
conf_h_path(struct conf_ctx *c, const struct conf_keyword *kw, char **av,
    int ac)
{
	char	*dst = (char *)c->conf + kw->off;
	size_t	 i, len = strlen(av[0]);

	(void)ac;
	if (len < 2 || av[0][0] != '/' || len >= 64)
		return conf_err(c, "%s: \"%s\" is not an absolute path "
		    "(2..63 bytes)", kw->name, av[0]);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)av[0][i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("/_-.", ch) != NULL))
			return conf_err(c, "%s: \"%s\" has a character "
			    "outside A-Z a-z 0-9 / _ - .", kw->name, av[0]);
	}
	(void)str_lcpy(dst, av[0], 64);
	return 0;
}

#define OFF(f)	offsetof(struct config, f)

/* The keyword table: the whole grammar of the file. */
static const struct conf_keyword conf_keywords[] = {
	{ "listen", 1, 2, 0, conf_h_listen, 0, 0, 0 },
	{ "admin-listen", 1, 1, 1, conf_h_admin, 0, 0, 0 },
	{ "workers", 1, 1, 1, conf_h_workers, 0, 0, 0 },
	{ "domain", 1, 1, 0, conf_h_domain, 0, 0, 0 },
	{ "path-host", 1, 1, 0, conf_h_path_host, 0, 0, 0 },
	{ "redis", 1, 1, 1, conf_h_redis, 0, 0, 0 },
	{ "redis-prefix", 1, 1, 1, conf_h_redis_prefix, 0, 0, 0 },
	{ "redis-password-file", 1, 1, 1, conf_h_redis_auth, 0, 0, 0 },
	{ "redis-timeout", 1, 1, 1, conf_h_duration,
	    OFF(redis_timeout_ms), 1, MS_MINUTE },
	{ "route-ttl", 1, 1, 1, conf_h_duration,
	    OFF(route_ttl_ms), 100, MS_DAY },
	{ "route-negative-ttl", 1, 1, 1, conf_h_duration,
	    OFF(route_negative_ttl_ms), 0, MS_HOUR },
	{ "route-stale", 1, 1, 1, conf_h_duration,
	    OFF(route_stale_ms), 0, MS_DAY },
	{ "jwt-key", 3, 3, 0, conf_h_jwt_key, 0, 0, 0 },
	{ "jwt-audience", 1, 1, 1, conf_h_jwt_audience, 0, 0, 0 },
	{ "jwt-issuer", 1, 1, 1, conf_h_jwt_issuer, 0, 0, 0 },
	{ "jwt-leeway", 1, 1, 1, conf_h_jwt_leeway, 0, 0, 0 },
	{ "token-cache", 1, 1, 1, conf_h_token_cache, 0, 0, 0 },
	{ "trusted-proxy", 1, 1, 0, conf_h_trusted, 0, 0, 0 },
	{ "timeout-header", 1, 1, 1, conf_h_duration,
	    OFF(timeout_header_ms), 10, MS_DAY },
	{ "timeout-idle", 1, 1, 1, conf_h_duration,
	    OFF(timeout_idle_ms), 10, MS_DAY },
	{ "timeout-body", 1, 1, 1, conf_h_duration,
	    OFF(timeout_body_ms), 10, MS_DAY },
	{ "timeout-connect", 1, 1, 1, conf_h_duration,
	    OFF(timeout_connect_ms), 10, MS_DAY },
	{ "timeout-first-byte", 1, 1, 1, conf_h_duration,
	    OFF(timeout_first_byte_ms), 10, MS_DAY },
	{ "timeout-upstream-idle", 1, 1, 1, conf_h_duration,
	    OFF(timeout_upstream_idle_ms), 10, MS_DAY },
	{ "max-header-bytes", 1, 1, 1, conf_h_size,
	    OFF(max_header_bytes), SZ_K, CONF_MAX_HEADER_BYTES },
	{ "max-headers", 1, 1, 1, conf_h_count,
	    OFF(max_headers), 1, CONF_MAX_HEADERS },
	{ "max-request-line", 1, 1, 1, conf_h_size,
	    OFF(max_request_line), 256, CONF_MAX_REQUEST_LINE },
	{ "max-connections", 1, 1, 1, conf_h_count,
	    OFF(max_connections), 1, CONF_MAX_CONNECTIONS },
	{ "max-body", 1, 1, 1, conf_h_size,
	    OFF(max_body_bytes), 0, 1024 * SZ_G },
	{ "buffer-size", 1, 1, 1, conf_h_size,
	    OFF(buffer_bytes), 4 * SZ_K, 16 * SZ_M },
	{ "upstream-keepalive", 1, 1, 1, conf_h_count,
	    OFF(upstream_keepalive), 0, CONF_MAX_KEEPALIVE },
	{ "upstream-idle-timeout", 1, 1, 1, conf_h_duration,
	    OFF(upstream_idle_timeout_ms), 10, MS_DAY },
	{ "access-log", 1, 1, 1, conf_h_access_log, 0, 0, 0 },
	{ "upstream-ca", 1, 1, 1, conf_h_upstream_ca, 0, 0, 0 },
	{ "timeout-stream-idle", 1, 1, 1, conf_h_duration,
	    OFF(timeout_stream_idle_ms), 10, 7 * MS_DAY },
	{ "max-streams-per-sandbox", 1, 1, 1, conf_h_count,
	    OFF(max_streams_per_sandbox), 0, CONF_MAX_CONNECTIONS },
	{ "stream-close-on-route-change", 1, 1, 1, conf_h_flag,
	    OFF(stream_close_on_change), 0, 0 },
	{ "upgrade-allow", 1, 1, 0, conf_h_upgrade_allow, 0, 0, 0 },
	{ "tls-cert", 2, 2, 0, conf_h_tls_cert, 0, 0, 0 },
	{ "tls-no-sni", 1, 1, 1, conf_h_tls_no_sni, 0, 0, 0 },
	{ "timeout-tls-handshake", 1, 1, 1, conf_h_duration,
	    OFF(timeout_tls_handshake_ms), 10, MS_HOUR },
	{ "tls-ticket-rotate", 1, 1, 1, conf_h_duration,
	    OFF(tls_ticket_rotate_ms), 0, 7 * MS_DAY },
	{ "cookie-key", 2, 2, 0, conf_h_secret, OFF(cookie_keys), 0, 0 },
	{ "cookie-samesite", 1, 1, 1, conf_h_samesite, 0, 0, 0 },
	{ "cookie-ttl", 1, 1, 1, conf_h_duration,
	    OFF(cookie_ttl_ms), MS_MINUTE, 30 * MS_DAY },
	{ "auth-path", 1, 1, 1, conf_h_path, OFF(auth_path), 0, 0 },
	{ "logout-path", 1, 1, 1, conf_h_path, OFF(logout_path), 0, 0 },
	{ "grant-max-ttl", 1, 1, 1, conf_h_duration,
	    OFF(grant_max_ttl_ms), 0, 30 * MS_DAY },
	{ "grant-single-use", 1, 1, 1, conf_h_flag,
	    OFF(grant_single_use), 0, 0 },
	{ "presign-key", 2, 2, 0, conf_h_secret, OFF(presign_keys), 0, 0 },
	{ "presign-default-ttl", 1, 1, 1, conf_h_duration,
	    OFF(presign_default_ttl_ms), MS_SECOND, 7 * MS_DAY },
	{ "presign-max-ttl", 1, 1, 1, conf_h_duration,
	    OFF(presign_max_ttl_ms), MS_SECOND, 7 * MS_DAY },
};

#define CONF_NKEYWORDS	DB_ARRLEN(conf_keywords)

/*
 * Split one line (NUL-terminated, in a scratch buffer) into words.
 * Returns the word count or -1 (error written) if there are too many.
 */
static int
conf_split(struct conf_ctx *c, char *s, char **av)
{
	int	 ac = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (ac == CONF_MAX_WORDS)
			return conf_err(c, "too many words (max %d)",
			    CONF_MAX_WORDS);
		av[ac++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return ac;
}

/* Run one directive; seen[] holds the line each keyword was first used. */
static int
conf_dispatch(struct conf_ctx *c, char **av, int ac, int *seen)
{
	const struct conf_keyword *kw = NULL;
	size_t	 i;
	int	 n = ac - 1;

	for (i = 0; i < CONF_NKEYWORDS; i++) {
		if (strcmp(conf_keywords[i].name, av[0]) == 0) {
			kw = &conf_keywords[i];
			break;
		}
	}
	if (kw == NULL)
		return conf_err(c, "unknown directive \"%.64s\"", av[0]);
	if (n < kw->minargs || n > kw->maxargs) {
		if (kw->minargs == kw->maxargs)
			return conf_err(c, "%s: expected %d argument%s, got "
			    "%d", kw->name, kw->minargs,
			    kw->minargs == 1 ? "" : "s", n);
		return conf_err(c, "%s: expected %d to %d arguments, got %d",
		    kw->name, kw->minargs, kw->maxargs, n);
	}
	if (kw->once && seen[i] != 0)
		return conf_err(c, "%s: repeated (first on line %d)",
		    kw->name, seen[i]);
	if (seen[i] == 0)
		seen[i] = c->line;
	return kw->handler(c, kw, av + 1, n);
}

int
config_parse(const char *name, const char *text, size_t len,
    struct config *conf, char *err, size_t errlen)
{
	struct conf_ctx c;
	char	 buf[CONF_MAX_LINE + 1];
	char	*av[CONF_MAX_WORDS];
	int	 seen[CONF_NKEYWORDS];
	size_t	 pos = 0;

	config_defaults(conf);
	(void)str_lcpy(conf->path, name, sizeof(conf->path));
	memset(seen, 0, sizeof(seen));
	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t	 ll = nl != NULL ? (size_t)(nl - (text + pos)) :
		    len - pos;
		size_t	 i;
		int	 ac;

		c.line++;
		if (ll > 0 && text[pos + ll - 1] == '\r')
			ll--;		/* tolerate CRLF files */
		if (ll > CONF_MAX_LINE)
			return conf_err(&c, "line too long (max %d bytes)",
			    CONF_MAX_LINE);
		for (i = 0; i < ll; i++) {
			unsigned char ch = (unsigned char)text[pos + i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return conf_err(&c, "invalid character "
				    "0x%02x", ch);
		}
		memcpy(buf, text + pos, ll);
		buf[ll] = '\0';
		pos += nl != NULL ? (size_t)(nl - (text + pos)) + 1 : len - pos;

		if ((ac = conf_split(&c, buf, av)) == -1)
			return -1;
		if (ac == 0)
			continue;
		if (conf_dispatch(&c, av, ac, seen) == -1)
			return -1;
	}
	return 0;
}

/* Whole-file checks after a parse: the directives that must be present. */
static int
conf_check(struct conf_ctx *c)
{
	const struct config *conf = c->conf;
	size_t	 i;

	c->line = 0;
	if (conf->nlisten == 0)
		return conf_err(c, "no listen directive");
	if (conf->ndomains == 0 && conf->npath_hosts == 0)
		return conf_err(c, "no domain or path-host directive");
	if (conf->njwt_keys == 0)
		return conf_err(c, "no jwt-key directive");
	for (i = 0; i < conf->nlisten; i++)
		if (conf->listen[i].tls && conf->ncerts == 0)
			return conf_err(c, "listen ... tls needs at least one "
			    "tls-cert directive");
	if (conf->presign_default_ttl_ms > conf->presign_max_ttl_ms)
		return conf_err(c, "presign-default-ttl is longer than "
		    "presign-max-ttl");
	if (strcmp(conf->auth_path, conf->logout_path) == 0)
		return conf_err(c, "auth-path and logout-path are the same");
	return 0;
}

/*
 * Read at most max bytes of the regular file at path (fd already open).
 * Returns a malloc'd NUL-terminated buffer and its length, or NULL with
 * errno set (EFBIG when too large).
 */
static char *
conf_read_fd(int fd, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;

	if ((buf = malloc(max + 1)) == NULL)
		return NULL;
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return NULL;
}

/* Resolve a key file name relative to the config file's directory. */
static int
conf_key_path(const char *cfgpath, const char *file, char *out,
    size_t outlen)
{
	const char *slash = strrchr(cfgpath, '/');
	int	 n;

	if (file[0] == '/' || slash == NULL)
		n = snprintf(out, outlen, "%s", file);
	else
		n = snprintf(out, outlen, "%.*s/%s",
		    (int)(slash - cfgpath), cfgpath, file);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Check a parsed public key against the pinned alg; NULL or a reason. */
static const char *
conf_pubkey_mismatch(EVP_PKEY *pk, enum conf_alg alg)
{
	char	 group[64];
	size_t	 glen = 0;
	const char *want;

	if (conf_alg_is_rs(alg)) {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
			return "is not an RSA public key";
		if (EVP_PKEY_get_bits(pk) < CONF_MIN_RSA_BITS)
			return "is an RSA key shorter than 2048 bits";
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return "is not an EC public key";
	switch (alg) {
	case CONF_ALG_ES256:
		want = "prime256v1";
		break;
	case CONF_ALG_ES384:
		want = "secp384r1";
		break;
	default:
		want = "secp521r1";
		break;
	}
	if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, want) != 0)
		return alg == CONF_ALG_ES256 ? "is not a P-256 key" :
		    alg == CONF_ALG_ES384 ? "is not a P-384 key" :
		    "is not a P-521 key";
	return NULL;
}

/* HS*: buf[0..len) is the raw secret; copy it into k->key. */
static int
conf_key_hs(struct conf_ctx *c, struct conf_jwt_key *k, const char *buf,
    size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len >= 10 && memcmp(buf, "-----BEGIN", 10) == 0)
		return conf_err(c, "key file %s is PEM; %s needs a raw secret",
		    k->path, config_alg_name(k->alg));
	if (len < CONF_MIN_HS_SECRET)
		return conf_err(c, "key file %s: secret is %zu bytes, %s needs "
		    "at least %d", k->path, len, config_alg_name(k->alg),
		    CONF_MIN_HS_SECRET);
	if ((k->key = malloc(len + 1)) == NULL)
		return conf_err(c, "key file %s: out of memory", k->path);
	memcpy(k->key, buf, len);
	k->key[len] = '\0';
	k->keylen = len;
	return 0;
}

/*
 * RS/ES*: buf[0..len) must be a PEM public key of the pinned type.  k->key
 * gets the canonical PEM OpenSSL writes back, so what libjwt is handed is
 * exactly the key that was checked.
 */
static int
conf_key_pem(struct conf_ctx *c, struct conf_jwt_key *k, const char *buf,
    size_t len)
{
	BIO	*in = NULL, *out = NULL;
	EVP_PKEY *pk = NULL;
	const char *why;
	char	*pem;
	long	 pemlen;
	int	 rc = -1;

	if (memmem(buf, len, "PRIVATE KEY", 11) != NULL) {
		conf_err(c, "key file %s contains a private key; give %s the "
		    "public key only", k->path, config_alg_name(k->alg));
		goto fail;
	}
	if ((in = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pk = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL)) == NULL) {
		conf_err(c, "key file %s is not a PEM public key", k->path);
		goto fail;
	}
	if ((why = conf_pubkey_mismatch(pk, k->alg)) != NULL) {
		conf_err(c, "key file %s %s (alg %s)", k->path, why,
		    config_alg_name(k->alg));
		goto fail;
	}
	if ((out = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(out, pk) != 1 ||
	    (pemlen = BIO_get_mem_data(out, &pem)) <= 0 ||
	    (k->key = malloc((size_t)pemlen + 1)) == NULL) {
		conf_err(c, "key file %s: out of memory", k->path);
		goto fail;
	}
	memcpy(k->key, pem, (size_t)pemlen);
	k->key[pemlen] = '\0';
	k->keylen = (size_t)pemlen;
	rc = 0;
fail:
	EVP_PKEY_free(pk);
	BIO_free(out);
	BIO_free(in);
	return rc;
}

/*
 * Load the key file of k (declared on k->line), named relative to the
 * config file cfgpath.  HS* secrets are refused if group/world-readable or
 * -writable; public keys if world-writable.  Fills k->key (owned by the
 * config, wiped in config_free) or returns -1 with the error written.
 */
static int
conf_load_key(struct conf_ctx *c, const char *cfgpath,
    struct conf_jwt_key *k)
{
	char	 path[1024];
	struct stat st;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 fd = -1, rc = -1;

	c->line = k->line;
	if (conf_key_path(cfgpath, k->path, path, sizeof(path)) == -1)
		return conf_err(c, "key file %s: path too long", k->path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return conf_err(c, "key file %s: %s", k->path,
		    strerror(errno));
	if (fstat(fd, &st) == -1) {
		conf_err(c, "key file %s: %s", k->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(c, "key file %s is not a regular file", k->path);
		goto fail;
	}
	if (conf_alg_is_hs(k->alg) && (st.st_mode & (S_IRGRP | S_IROTH))) {
		conf_err(c, "key file %s is readable by group or others "
		    "(chmod 600)", k->path);
		goto fail;
	}
	if (conf_alg_is_hs(k->alg) && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		conf_err(c, "key file %s is writable by group or others "
		    "(chmod 600)", k->path);
		goto fail;
	}
	if (st.st_mode & S_IWOTH) {
		conf_err(c, "key file %s is writable by others (chmod 644)",
		    k->path);
		goto fail;
	}
	if ((buf = conf_read_fd(fd, CONF_MAX_KEYFILE, &len)) == NULL) {
		conf_err(c, "key file %s: %s", k->path, errno == EFBIG ?
		    "larger than 64 KiB" : strerror(errno));
		goto fail;
	}
	if (conf_alg_is_hs(k->alg))
		rc = conf_key_hs(c, k, buf, len);
	else
		rc = conf_key_pem(c, k, buf, len);
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	if (fd != -1)
		(void)close(fd);
	return rc;
}

/*
 * redis-password-file: one line, "password" or "user password" (Redis 6
 * ACL), private like any secret.  Stored in conf->redis_auth.
 */
static int
conf_load_redis_auth(struct conf_ctx *c, const char *cfgpath)
{
	struct config *conf = c->conf;
	char	 path[1024];
	struct stat st;
	char	*buf = NULL;
	size_t	 len = 0, i;
	int	 fd = -1, rc = -1;

	if (conf->redis_auth_path[0] == '\0')
		return 0;
	c->line = conf->redis_auth_line;
	if (conf_key_path(cfgpath, conf->redis_auth_path, path,
	    sizeof(path)) == -1)
		return conf_err(c, "redis-password-file: path too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return conf_err(c, "redis-password-file %s: %s",
		    conf->redis_auth_path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_err(c, "redis-password-file %s is not a regular file",
		    conf->redis_auth_path);
		goto fail;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)) {
		conf_err(c, "redis-password-file %s is accessible by group or "
		    "others (chmod 600)", conf->redis_auth_path);
		goto fail;
	}
	if ((buf = conf_read_fd(fd, 1024, &len)) == NULL) {
		conf_err(c, "redis-password-file %s: %s",
		    conf->redis_auth_path, errno == EFBIG ? "larger than "
		    "1 KiB" : strerror(errno));
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			conf_err(c, "redis-password-file %s: one line of "
			    "\"password\" or \"user password\" expected",
			    conf->redis_auth_path);
			goto fail;
		}
	if (len == 0) {
		conf_err(c, "redis-password-file %s is empty",
		    conf->redis_auth_path);
		goto fail;
	}
	conf->redis_auth = buf;
	buf = NULL;
	rc = 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	(void)close(fd);
	return rc;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *conf = NULL;
	struct conf_ctx c;
	char	*text = NULL;
	size_t	 len = 0, i;
	int	 fd = -1;

	memset(&c, 0, sizeof(c));
	c.name = path;
	c.err = err;
	c.errlen = errlen;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		conf_err(&c, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if ((text = conf_read_fd(fd, CONF_MAX_FILE, &len)) == NULL) {
		conf_err(&c, "cannot read: %s", errno == EFBIG ?
		    "larger than 1 MiB" : strerror(errno));
		goto fail;
	}
	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		conf_err(&c, "out of memory");
		goto fail;
	}
	if (config_parse(path, text, len, conf, err, errlen) == -1)
		goto fail;
	c.conf = conf;
	if (conf_check(&c) == -1)
		goto fail;
	for (i = 0; i < conf->njwt_keys; i++)
		if (conf_load_key(&c, path, &conf->jwt_keys[i]) == -1)
			goto fail;
	for (i = 0; i < conf->ncookie_keys; i++)
		if (conf_load_key(&c, path, &conf->cookie_keys[i]) == -1)
			goto fail;
	for (i = 0; i < conf->npresign_keys; i++)
		if (conf_load_key(&c, path, &conf->presign_keys[i]) == -1)
			goto fail;
	if (conf_load_redis_auth(&c, path) == -1)
		goto fail;
	free(text);
	(void)close(fd);
	return conf;
fail:
	config_free(conf);
	free(text);
	if (fd != -1)
		(void)close(fd);
	return NULL;
}

static void
conf_wipe_keys(struct conf_jwt_key *keys, size_t n, size_t max)
{
	size_t	 i;

	for (i = 0; i < n && i < max; i++) {
		if (keys[i].key != NULL) {
			OPENSSL_cleanse(keys[i].key, keys[i].keylen);
			free(keys[i].key);
		}
		keys[i].key = NULL;
		keys[i].keylen = 0;
	}
}

void
config_free_contents(struct config *conf)
{
	if (conf == NULL)
		return;
	conf_wipe_keys(conf->jwt_keys, conf->njwt_keys, CONF_MAX_JWT_KEYS);
	conf_wipe_keys(conf->cookie_keys, conf->ncookie_keys,
	    CONF_MAX_SECRETS);
	conf_wipe_keys(conf->presign_keys, conf->npresign_keys,
	    CONF_MAX_SECRETS);
	if (conf->redis_auth != NULL) {
		OPENSSL_cleanse(conf->redis_auth, strlen(conf->redis_auth));
		free(conf->redis_auth);
		conf->redis_auth = NULL;
	}
}

void
config_free(struct config *conf)
{
	if (conf == NULL)
		return;
	config_free_contents(conf);
	OPENSSL_cleanse(conf, sizeof(*conf));
	free(conf);
}

unsigned
config_workers(const struct config *conf)
{
	long	 n;

	if (conf->workers != 0)
		return conf->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	if (n > CONF_MAX_WORKERS)
		return CONF_MAX_WORKERS;
	return (unsigned)n;
}

static int
conf_cidr_match(const struct conf_cidr *r, const unsigned char *a)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (memcmp(r->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((r->addr[full] ^ a[full]) & (0xff00 >> rest) & 0xff) == 0;
}

int
config_is_trusted(const struct config *conf, int family, const void *addr)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const unsigned char *a = addr;
	size_t	 i;

	/* An IPv4-mapped IPv6 peer is matched as IPv4. */
	if (family == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		family = AF_INET;
		a += 12;
	}
	if (family != AF_INET && family != AF_INET6)
		return 0;
	for (i = 0; i < conf->ntrusted; i++)
		if (conf->trusted[i].family == family &&
		    conf_cidr_match(&conf->trusted[i], a))
			return 1;
	return 0;
}
