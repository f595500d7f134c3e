/*
 * config/config.h -- the configuration snapshot.  Parsed once (and again on
 * reload into a new snapshot), then read-only.  Every hard ceiling in the
 * program is named here once; config may lower a limit, never exceed it.
 */
#ifndef DB_CONFIG_H
#define DB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Hard ceilings. */
#define CONF_MAX_HEADER_BYTES	(64 * 1024)	/* whole request/response head */
#define CONF_MAX_HEADERS	256		/* field lines per head */
#define CONF_MAX_REQUEST_LINE	(16 * 1024)
#define CONF_MAX_TOKEN_BYTES	8192		/* a bearer token */
#define CONF_MAX_LISTEN		8
#define CONF_MAX_DOMAINS	32
#define CONF_MAX_PATH_HOSTS	16
#define CONF_MAX_JWT_KEYS	16
#define CONF_MAX_TRUSTED	32
#define CONF_MAX_WORKERS	64
#define CONF_MAX_HOSTNAME	253
#define CONF_MAX_CONNECTIONS	1000000
#define CONF_MAX_CERTS		32
#define CONF_MAX_SECRETS	8		/* cookie-key, presign-key */
#define CONF_MAX_UPGRADES	8

enum conf_alg {
	CONF_ALG_HS256 = 1,
	CONF_ALG_HS384,
	CONF_ALG_HS512,
	CONF_ALG_RS256,
	CONF_ALG_RS384,
	CONF_ALG_RS512,
	CONF_ALG_ES256,
	CONF_ALG_ES384,
	CONF_ALG_ES512
};

struct conf_listen {
	char		 host[64];	/* IP literal: "127.0.0.1", "::" */
	uint16_t	 port;		/* 0: kernel picks (tests) */
	int		 tls;		/* reserved for the TLS issue */
};

/* One verification key: the algorithm is pinned to the key, never taken
 * from the token.  key bytes are owned by the config (wiped in config_free). */
struct conf_jwt_key {
	char		 kid[64];
	enum conf_alg	 alg;
	char		 path[256];
	unsigned char	*key;		/* HS*: raw secret; RS/ES*: PEM */
	size_t		 keylen;
	int		 line;		/* where it was declared */
};

/* A TLS certificate chain and its private key (PEM files), loaded and
 * checked by tls/. */
struct conf_cert {
	char		 cert[256];
	char		 key[256];
	int		 line;
};

struct conf_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	unsigned	 bits;
};

struct config {
	char		 path[256];	/* file it came from */

	struct conf_listen listen[CONF_MAX_LISTEN];
	size_t		 nlisten;
	struct conf_listen admin;	/* admin.port == 0 && !admin_set: none */
	int		 admin_set;
	unsigned	 workers;	/* 0 = number of CPUs */

	/* Routing. Hostnames are stored lower case, without trailing dot. */
	char		 domains[CONF_MAX_DOMAINS][CONF_MAX_HOSTNAME + 1];
	size_t		 ndomains;
	char		 path_hosts[CONF_MAX_PATH_HOSTS][CONF_MAX_HOSTNAME + 1];
	size_t		 npath_hosts;

	/* Route store. */
	char		 redis_host[256];	/* IP or "unix:/path" */
	uint16_t	 redis_port;
	char		 redis_prefix[64];	/* default "drawbridge:" */
	char		 redis_auth_path[256];	/* "" = no AUTH */
	int		 redis_auth_line;
	char		*redis_auth;		/* "password" or "user password";
					 * owned, wiped in config_free */
	uint64_t	 redis_timeout_ms;	/* command deadline */
	uint64_t	 route_ttl_ms;		/* positive cache entries */
	uint64_t	 route_negative_ttl_ms;
	uint64_t	 route_stale_ms;	/* serve past TTL while Redis down */

	/* Bearer tokens. */
	struct conf_jwt_key jwt_keys[CONF_MAX_JWT_KEYS];
	size_t		 njwt_keys;
	char		 jwt_audience[128];	/* "" = aud not checked */
	char		 jwt_issuer[128];	/* "" = iss not checked */
	uint64_t	 jwt_leeway_s;
	size_t		 token_cache_slots;

	/* Forwarding. */
	struct conf_cidr trusted[CONF_MAX_TRUSTED];
	size_t		 ntrusted;

	/* Timeouts (ms). */
	uint64_t	 timeout_header_ms;	/* total, from first byte */
	uint64_t	 timeout_idle_ms;	/* keep-alive between requests */
	uint64_t	 timeout_body_ms;	/* client body / send inactivity */
	uint64_t	 timeout_connect_ms;
	uint64_t	 timeout_first_byte_ms;
	uint64_t	 timeout_upstream_idle_ms; /* response body inactivity */

	/* Limits. */
	uint64_t	 max_header_bytes;
	uint64_t	 max_headers;
	uint64_t	 max_request_line;
	uint64_t	 max_connections;
	uint64_t	 max_body_bytes;	/* 0 = unlimited (streamed) */
	uint64_t	 buffer_bytes;		/* per-direction high watermark */
	uint64_t	 upstream_keepalive;	/* idle conns kept per target */
	uint64_t	 upstream_idle_timeout_ms;
	char		 upstream_ca[256];	/* CA file for "tls": true routes;
					 * "" = the system's CAs */

	char		 access_log[256];	/* "stderr", "off" or a path */

	/* Long-lived streams: WebSocket tunnels and event streams. */
	uint64_t	 timeout_stream_idle_ms;
	uint64_t	 max_streams_per_sandbox;	/* 0 = unlimited */
	int		 stream_close_on_change;
	char		 upgrade_allow[CONF_MAX_UPGRADES][32]; /* besides ws */
	size_t		 nupgrade_allow;

	/* TLS termination. */
	struct conf_cert certs[CONF_MAX_CERTS];	/* [0] is the default */
	size_t		 ncerts;
	int		 tls_sni_required;	/* no SNI: refuse handshake */
	uint64_t	 timeout_tls_handshake_ms;
	uint64_t	 tls_ticket_rotate_ms;	/* 0 = no session tickets */

	/* Browser sessions (HMAC secrets, alg HS256; [0] signs). */
	struct conf_jwt_key cookie_keys[CONF_MAX_SECRETS];
	size_t		 ncookie_keys;
	char		 cookie_samesite[8];	/* "Lax", "Strict", "None" */
	uint64_t	 cookie_ttl_ms;
	char		 auth_path[64];		/* "/_hb/auth" */
	char		 logout_path[64];	/* "/_hb/logout" */
	uint64_t	 grant_max_ttl_ms;	/* 0 = any grant lifetime */
	int		 grant_single_use;

	/* Presigned file-transfer URLs (HMAC secrets; [0] signs). */
	struct conf_jwt_key presign_keys[CONF_MAX_SECRETS];
	size_t		 npresign_keys;
	uint64_t	 presign_default_ttl_ms;
	uint64_t	 presign_max_ttl_ms;
};

/* config.c */
/*
 * Parse text[0..len) named `name` (used in messages) into a freshly
 * defaulted *conf.  Pure: reads no files.  On error returns -1 and writes
 * "name:line: message" into err.  The caller owns *conf either way and
 * releases it with config_free_contents().
 */
int	 config_parse(const char *, const char *, size_t, struct config *,
	    char *, size_t);
/* Set every field to its default. */
void	 config_defaults(struct config *);
/*
 * Read the file, parse it, load key files (refusing group/world-readable
 * ones) and cross-check.  Returns a new config the caller frees with
 * config_free(), or NULL with "file:line: message" in err.
 */
struct config	*config_load(const char *, char *, size_t);
void	 config_free(struct config *);
void	 config_free_contents(struct config *);
/* Number of workers to start (resolves 0 to the CPU count). */
unsigned config_workers(const struct config *);
/* Is addr (AF_INET/AF_INET6 raw bytes) inside a trusted-proxy range? */
int	 config_is_trusted(const struct config *, int, const void *);
const char *config_alg_name(enum conf_alg);
int	 config_alg_parse(const char *, enum conf_alg *);

#endif /* DB_CONFIG_H */
