/*
 * tls/tls.h -- TLS termination: one server SSL_CTX (TLS 1.2/1.3, modern
 * ciphers, ALPN http/1.1 only), a certificate table chosen by SNI in a
 * cert callback (exact names, then one-label wildcards, then the default),
 * rotating session-ticket keys, and reload that swaps the table without
 * touching established connections.  Knows nothing about HTTP.
 *
 * Threads: the struct tls is shared by every worker (SSL_new from any
 * thread); reload and ticket rotation run on the main thread and swap
 * refcounted snapshots under a mutex held only for the pointer swap.
 */
#ifndef DB_TLS_H
#define DB_TLS_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "config/config.h"

struct tls;

/* tls.c */
/*
 * Build the server context from conf->certs (paths relative to the config
 * file conf->path): every certificate must parse, match its key, carry at
 * least one DNS name and not be expired; key files must not be group or
 * world readable.  Returns NULL with "file:line: message" in err.
 */
struct tls	*tls_new(const struct config *, char *, size_t);
void		 tls_free(struct tls *);
/* A new SSL for an accepted connection (server mode), or NULL. */
SSL		*tls_ssl_new(struct tls *);
/*
 * Load conf's certificates into a new table and swap it in; on any error
 * the old table keeps serving and err says why.  Established connections
 * keep the certificate they negotiated.
 */
int		 tls_reload(struct tls *, const struct config *, char *, size_t);
/* Rotate session-ticket keys if tls-ticket-rotate has elapsed. */
void		 tls_tick(struct tls *, time_t);
/*
 * For `drawbridge -t`: check conf's certificates as tls_new would, and
 * also write warnings (expiry within 30 days) as lines into warn.
 * Returns 0 or -1 with the error in err.
 */
int		 tls_check(const struct config *, char *, size_t, char *,
		    size_t);

/*
 * The client side, for routes with "tls": true: one SSL_CTX (TLS 1.2+,
 * peer verified against upstream-ca, or the system's CAs when unset).
 * Returns NULL with the error in err.  Shared by all workers.
 */
SSL_CTX		*tls_client_ctx_new(const struct config *, char *, size_t);
/* An SSL for one upstream connection: SNI and verification against name
 * (a DNS name) or, with name NULL or "", the address ip. */
SSL		*tls_client_ssl(SSL_CTX *, const char *, const char *);

#endif /* DB_TLS_H */
