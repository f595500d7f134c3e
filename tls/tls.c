/*
 * tls.c -- TLS termination for the listeners marked `tls`.
 *
 * One server SSL_CTX for every certificate: protocol policy, ALPN, the
 * session cache and the ticket-key ring are the same whatever name the
 * client asked for.  The certificate is chosen per handshake in the cert
 * callback from a table snapshot (exact DNS names, then one-label
 * wildcards, then the default) and installed on the SSL with
 * SSL_use_cert_and_key(), which takes its own references: a reload swaps
 * the snapshot and never touches an established connection.
 *
 * Threads: workers call tls_ssl_new() and run handshakes (the callbacks)
 * concurrently; tls_reload() and tls_tick() run on the main thread.  The
 * table pointer and the ticket keys are guarded by one mutex held only to
 * take a reference or copy a key; tables are freed by their last user.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/common.h"
#include "config/config.h"
#include "tls/tls.h"

#define TLS_MAX_CERTFILE	(1024 * 1024)	/* a chain file */
#define TLS_MAX_KEYFILE		(64 * 1024)	/* a key file */
#define TLS_MAX_CHAIN		16		/* intermediates */
#define TLS_MAX_NAMES		(16 * 1024)	/* DNS names in all */
#define TLS_SESSION_CACHE	20480		/* server-side sessions */
#define TLS_WARN_DAYS		30
#define TLS_CIPHERS_12		"ECDHE+AESGCM:ECDHE+CHACHA20"
#define TLS_SID_CTX		"drawbridge"

/* ALPN: http/1.1 only, until HTTP/2 exists. */
static const unsigned char tls_alpn[] = "\x08http/1.1";

struct tls_cert {
	X509		*x509;
	EVP_PKEY	*pkey;
	STACK_OF(X509)	*chain;		/* intermediates */
	time_t		 not_before;
	time_t		 not_after;
	int		 line;		/* of the tls-cert directive */
};

/* A DNS name: lower case, no trailing dot; wildcards stored without "*.". */
struct tls_name {
	char		*name;
	size_t		 cert;		/* index into certs[] */
};

/* An immutable snapshot; refs counts the struct tls plus handshakes. */
struct tls_table {
	atomic_uint	 refs;
	struct tls_cert	 certs[CONF_MAX_CERTS];	/* [0]: default */
	size_t		 ncerts;
	struct tls_name	*exact;
	size_t		 nexact;
	struct tls_name	*wild;
	size_t		 nwild;
	int		 sni_required;
};

struct tls_tkey {
	unsigned char	 name[16];
	unsigned char	 aes[32];
	unsigned char	 hmac[32];
	int		 set;
};

struct tls {
	SSL_CTX		*ctx;
	pthread_mutex_t	 mtx;
	struct tls_table *table;	/* mtx */
	struct tls_tkey	 keys[2];	/* mtx: [0] encrypts */
	time_t		 rotated;	/* main thread: last rotation */
	_Atomic uint64_t rotate_ms;	/* 0: no session tickets */
};

static int	 tls_err(char *, size_t, const struct config *, int,
		    const char *, ...) DB_PRINTF(5, 6);

/*
 * Write "file:line: message" into err (if errlen > 0).  Always returns -1.
 */
static int
tls_err(char *err, size_t errlen, const struct config *conf, int line,
    const char *fmt, ...)
{
	char	 msg[768];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s:%d: %s", conf->path, line, msg);
	return -1;
}

/* The reason of the newest OpenSSL error, then the queue is cleared. */
static const char *
tls_ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		(void)str_lcpy(buf, r, len);
	else if (e != 0)
		(void)snprintf(buf, len, "OpenSSL error %lx", e);
	else
		(void)str_lcpy(buf, "unknown error", len);
	ERR_clear_error();
	return buf;
}

/* Resolve a file name relative to the config file's directory. */
static int
tls_path(const char *cfgpath, const char *file, char *out, size_t outlen)
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

/*
 * Read the regular file `file` (named relative to the config) into a new
 * buffer of at most max bytes.  A secret file must not be readable or
 * writable by group or others.  Returns the buffer (caller wipes and frees)
 * or NULL with the error written.
 */
static char *
tls_read(const struct config *conf, int line, const char *file, size_t max,
    int secret, size_t *lenp, char *err, size_t errlen)
{
	const char *what = secret ? "key file" : "certificate file";
	char	 path[1024];
	struct stat st;
	char	*buf = NULL;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if (tls_path(conf->path, file, path, sizeof(path)) == -1) {
		tls_err(err, errlen, conf, line, "%s %s: path too long", what,
		    file);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		tls_err(err, errlen, conf, line, "%s %s: %s", what, file,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		tls_err(err, errlen, conf, line, "%s %s: %s", what, file,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		tls_err(err, errlen, conf, line, "%s %s is not a regular file",
		    what, file);
		goto fail;
	}
	if (secret && (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP |
	    S_IWOTH))) {
		tls_err(err, errlen, conf, line, "key file %s is accessible "
		    "by group or others (chmod 600)", file);
		goto fail;
	}
	if (!secret && (st.st_mode & S_IWOTH)) {
		tls_err(err, errlen, conf, line, "certificate file %s is "
		    "writable by others (chmod 644)", file);
		goto fail;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		tls_err(err, errlen, conf, line, "%s %s: out of memory", what,
		    file);
		goto fail;
	}
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			tls_err(err, errlen, conf, line, "%s %s: %s", what,
			    file, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			tls_err(err, errlen, conf, line, "%s %s is larger than "
			    "%zu KiB", what, file, max / 1024);
			goto fail;
		}
	}
	buf[len] = '\0';
	(void)close(fd);
	*lenp = len;
	return buf;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	(void)close(fd);
	return NULL;
}

/* Never prompt for a pass phrase: encrypted keys are refused. */
static int
tls_nopass(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

static int
tls_asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static void
tls_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)str_lcpy(buf, "?", len);
}

static void
tls_cert_clear(struct tls_cert *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->pkey);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c));
}

static void
tls_table_free(struct tls_table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncerts; i++)
		tls_cert_clear(&t->certs[i]);
	for (i = 0; i < t->nexact; i++)
		free(t->exact[i].name);
	for (i = 0; i < t->nwild; i++)
		free(t->wild[i].name);
	free(t->exact);
	free(t->wild);
	free(t);
}

/* Name lists while a table is being built. */
struct tls_names {
	struct tls_name	*v;
	size_t		 n, cap;
};

/*
 * Add DNS name s[0..len) of certificate idx.  Lower-cased, one trailing
 * dot dropped; "*.suffix" goes to wild (as "suffix"), other names with a
 * '*' or odd characters are ignored (never matched).  Returns 1 if added,
 * 0 if ignored, -1 on allocation failure or the table ceiling.
 */
static int
tls_names_add(struct tls_names *exact, struct tls_names *wild,
    const char *s, size_t len, size_t idx)
{
	struct tls_names *l = exact;
	struct tls_name	*nv;
	size_t		 i;
	char		*p;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		l = wild;
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > CONF_MAX_HOSTNAME)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_'))
			return 0;
	}
	if (s[0] == '.' || s[len - 1] == '.' || memmem(s, len, "..", 2))
		return 0;
	if (exact->n + wild->n >= TLS_MAX_NAMES)
		return -1;
	if (l->n == l->cap) {
		size_t	 cap = l->cap ? l->cap * 2 : 16;

		if ((nv = reallocarray(l->v, cap, sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	if ((p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, s, len);
	p[len] = '\0';
	str_lower(p, len);
	l->v[l->n].name = p;
	l->v[l->n].cert = idx;
	l->n++;
	return 1;
}

/*
 * The DNS names of x: every dNSName of the subjectAltName, or, only when
 * there is no subjectAltName at all, the subject's commonName.  Returns the
 * number added or -1 on allocation failure.
 */
static int
tls_cert_names(X509 *x, size_t idx, struct tls_names *exact,
    struct tls_names *wild)
{
	GENERAL_NAMES	*gens;
	const GENERAL_NAME *g;
	X509_NAME	*subj;
	X509_NAME_ENTRY	*ent;
	ASN1_STRING	*s;
	int		 i, n = 0, r, crit = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens != NULL) {
		for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
			g = sk_GENERAL_NAME_value(gens, i);
			if (g->type != GEN_DNS)
				continue;
			s = g->d.dNSName;
			r = tls_names_add(exact, wild,
			    (const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s), idx);
			if (r == -1) {
				GENERAL_NAMES_free(gens);
				return -1;
			}
			n += r;
		}
		GENERAL_NAMES_free(gens);
		return n;
	}
	if (crit != -1)		/* present but malformed */
		return 0;
	subj = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (i < 0 || (ent = X509_NAME_get_entry(subj, i)) == NULL)
		return 0;
	s = X509_NAME_ENTRY_get_data(ent);
	if (ASN1_STRING_type(s) == V_ASN1_BMPSTRING ||
	    ASN1_STRING_type(s) == V_ASN1_UNIVERSALSTRING)
		return 0;
	return tls_names_add(exact, wild,
	    (const char *)ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s), idx);
}

static int
tls_name_cmp(const void *a, const void *b)
{
	const struct tls_name *x = a, *y = b;
	int	 c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->cert < y->cert ? -1 : x->cert > y->cert;
}

/* Sort by name; a name on several certificates stays with the first. */
static void
tls_names_finish(struct tls_names *l)
{
	size_t	 i, n = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), tls_name_cmp);
	for (i = 0; i < l->n; i++) {
		if (n > 0 && strcmp(l->v[n - 1].name, l->v[i].name) == 0) {
			free(l->v[i].name);
			continue;
		}
		l->v[n++] = l->v[i];
	}
	l->n = n;
}

/*
 * Load tls-cert cc into *c, named in the table as certificate idx.  probe
 * is an SSL of the context the certificate will serve, used to apply
 * OpenSSL's own checks (security level 2: key sizes, signature digests).
 * On error *c is left cleared and the message written.
 */
static int
tls_cert_load(const struct config *conf, const struct conf_cert *cc,
    size_t idx, SSL *probe, time_t now, struct tls_cert *c,
    struct tls_names *exact, struct tls_names *wild, char *err,
    size_t errlen)
{
	char		 why[256], date[64];
	char		*cbuf = NULL, *kbuf = NULL;
	size_t		 clen = 0, klen = 0;
	BIO		*bio = NULL;
	X509		*x;
	unsigned long	 e;
	int		 n, rc = -1;

	memset(c, 0, sizeof(*c));
	c->line = cc->line;
	if ((cbuf = tls_read(conf, cc->line, cc->cert, TLS_MAX_CERTFILE, 0,
	    &clen, err, errlen)) == NULL)
		goto fail;
	if ((kbuf = tls_read(conf, cc->line, cc->key, TLS_MAX_KEYFILE, 1,
	    &klen, err, errlen)) == NULL)
		goto fail;

	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(cbuf, (int)clen)) == NULL ||
	    (c->chain = sk_X509_new_null()) == NULL) {
		tls_err(err, errlen, conf, cc->line, "out of memory");
		goto fail;
	}
	if ((c->x509 = PEM_read_bio_X509(bio, NULL, tls_nopass, NULL)) ==
	    NULL) {
		tls_err(err, errlen, conf, cc->line, "certificate file %s: no "
		    "PEM certificate (%s)", cc->cert,
		    tls_ossl_reason(why, sizeof(why)));
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, tls_nopass, NULL)) != NULL) {
		if (sk_X509_num(c->chain) >= TLS_MAX_CHAIN ||
		    sk_X509_push(c->chain, x) == 0) {
			X509_free(x);
			tls_err(err, errlen, conf, cc->line, "certificate file "
			    "%s: more than %d chain certificates", cc->cert,
			    TLS_MAX_CHAIN);
			goto fail;
		}
	}
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		tls_err(err, errlen, conf, cc->line, "certificate file %s: "
		    "bad PEM after certificate %d (%s)", cc->cert,
		    sk_X509_num(c->chain) + 1, tls_ossl_reason(why,
		    sizeof(why)));
		goto fail;
	}
	ERR_clear_error();
	BIO_free(bio);

	if ((bio = BIO_new_mem_buf(kbuf, (int)klen)) == NULL) {
		tls_err(err, errlen, conf, cc->line, "out of memory");
		goto fail;
	}
	if ((c->pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_nopass,
	    NULL)) == NULL) {
		tls_err(err, errlen, conf, cc->line, "key file %s: not a PEM "
		    "private key, or encrypted (%s)", cc->key,
		    tls_ossl_reason(why, sizeof(why)));
		goto fail;
	}
	if (X509_check_private_key(c->x509, c->pkey) != 1) {
		ERR_clear_error();
		tls_err(err, errlen, conf, cc->line, "key file %s does not "
		    "match certificate %s", cc->key, cc->cert);
		goto fail;
	}
	if (tls_asn1_time(X509_get0_notAfter(c->x509), &c->not_after) == -1 ||
	    tls_asn1_time(X509_get0_notBefore(c->x509), &c->not_before) ==
	    -1) {
		tls_err(err, errlen, conf, cc->line, "certificate %s: bad "
		    "validity dates", cc->cert);
		goto fail;
	}
	if (c->not_after <= now) {
		tls_date(c->not_after, date, sizeof(date));
		tls_err(err, errlen, conf, cc->line, "certificate %s expired "
		    "on %s", cc->cert, date);
		goto fail;
	}
	/* Warm X509's lazily filled extension cache before threads share it. */
	(void)X509_check_purpose(c->x509, -1, 0);
	if ((n = tls_cert_names(c->x509, idx, exact, wild)) == -1) {
		tls_err(err, errlen, conf, cc->line, "certificate %s: too many "
		    "DNS names (max %d in all) or out of memory", cc->cert,
		    TLS_MAX_NAMES);
		goto fail;
	}
	if (n == 0) {
		tls_err(err, errlen, conf, cc->line, "certificate %s has no "
		    "DNS name (subjectAltName, or CN without one)", cc->cert);
		goto fail;
	}
	if (SSL_use_cert_and_key(probe, c->x509, c->pkey, c->chain, 1) != 1) {
		tls_err(err, errlen, conf, cc->line, "certificate %s: %s",
		    cc->cert, tls_ossl_reason(why, sizeof(why)));
		goto fail;
	}
	rc = 0;
fail:
	if (rc == -1)
		tls_cert_clear(c);
	BIO_free(bio);
	if (kbuf != NULL) {
		OPENSSL_cleanse(kbuf, klen);
		free(kbuf);
	}
	free(cbuf);
	return rc;
}

/*
 * Build a table from conf's tls-cert lines, checking each against ctx.
 * Warnings (expiry within TLS_WARN_DAYS, not yet valid) are appended as
 * lines to warn if warnlen > 0, else logged.  Returns a table with one
 * reference, or NULL with the error written.
 */
static struct tls_table *
tls_table_load(const struct config *conf, SSL_CTX *ctx, time_t now,
    char *err, size_t errlen, char *warn, size_t warnlen)
{
	struct tls_table *t = NULL;
	struct tls_names exact, wild;
	struct tls_cert	*c;
	SSL		*probe = NULL;
	char		 line[512], date[64];
	size_t		 i, wl;

	memset(&exact, 0, sizeof(exact));
	memset(&wild, 0, sizeof(wild));
	if (conf->ncerts == 0) {
		tls_err(err, errlen, conf, 0, "no tls-cert directive");
		goto fail;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (probe = SSL_new(ctx)) == NULL) {
		tls_err(err, errlen, conf, 0, "out of memory");
		goto fail;
	}
	atomic_init(&t->refs, 1);
	t->sni_required = conf->tls_sni_required;
	for (i = 0; i < conf->ncerts && i < CONF_MAX_CERTS; i++) {
		if (tls_cert_load(conf, &conf->certs[i], i, probe, now,
		    &t->certs[i], &exact, &wild, err, errlen) == -1)
			goto fail;
		t->ncerts = i + 1;
	}
	tls_names_finish(&exact);
	tls_names_finish(&wild);
	t->exact = exact.v;
	t->nexact = exact.n;
	t->wild = wild.v;
	t->nwild = wild.n;
	memset(&exact, 0, sizeof(exact));
	memset(&wild, 0, sizeof(wild));

	for (i = 0; i < t->ncerts; i++) {
		c = &t->certs[i];
		line[0] = '\0';
		if (c->not_before > now) {
			tls_date(c->not_before, date, sizeof(date));
			(void)snprintf(line, sizeof(line), "%s:%d: warning: "
			    "certificate %s is not valid before %s",
			    conf->path, c->line, conf->certs[i].cert, date);
		} else if (c->not_after - now < TLS_WARN_DAYS * 86400) {
			tls_date(c->not_after, date, sizeof(date));
			(void)snprintf(line, sizeof(line), "%s:%d: warning: "
			    "certificate %s expires in %lld days (%s)",
			    conf->path, c->line, conf->certs[i].cert,
			    (long long)((c->not_after - now) / 86400), date);
		}
		if (line[0] == '\0')
			continue;
		if (warnlen == 0) {
			log_warnx("%s", line);
			continue;
		}
		wl = strlen(warn);
		if (wl < warnlen)
			(void)snprintf(warn + wl, warnlen - wl, "%s\n", line);
	}
	SSL_free(probe);
	return t;
fail:
	for (i = 0; i < exact.n; i++)
		free(exact.v[i].name);
	for (i = 0; i < wild.n; i++)
		free(wild.v[i].name);
	free(exact.v);
	free(wild.v);
	SSL_free(probe);
	tls_table_free(t);
	return NULL;
}

static const struct tls_name *
tls_names_find(const struct tls_name *v, size_t n, const char *name)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, v[mid].name);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * The certificate for SNI name sni (NULL: the client sent none): an exact
 * name, else a wildcard covering exactly the first label, else the
 * default.  NULL when the handshake must be refused (no SNI and
 * tls-no-sni refuse).
 */
static const struct tls_cert *
tls_table_select(const struct tls_table *t, const char *sni)
{
	char		 name[CONF_MAX_HOSTNAME + 2];
	const struct tls_name *hit;
	const char	*dot;
	size_t		 len;

	if (sni == NULL || sni[0] == '\0')
		return t->sni_required ? NULL : &t->certs[0];
	len = strlen(sni);
	if (len > 0 && sni[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(name))
		return &t->certs[0];
	memcpy(name, sni, len);
	name[len] = '\0';
	str_lower(name, len);
	if ((hit = tls_names_find(t->exact, t->nexact, name)) != NULL)
		return &t->certs[hit->cert];
	dot = strchr(name, '.');
	if (dot != NULL && dot != name && dot[1] != '\0' &&
	    (hit = tls_names_find(t->wild, t->nwild, dot + 1)) != NULL)
		return &t->certs[hit->cert];
	return &t->certs[0];
}

static struct tls_table *
tls_table_get(struct tls *tls)
{
	struct tls_table *t;

	(void)pthread_mutex_lock(&tls->mtx);
	t = tls->table;
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	(void)pthread_mutex_unlock(&tls->mtx);
	return t;
}

static void
tls_table_put(struct tls_table *t)
{
	if (t != NULL && atomic_fetch_sub_explicit(&t->refs, 1,
	    memory_order_acq_rel) == 1)
		tls_table_free(t);
}

/* SSL_CTX_set_cert_cb: runs once per ClientHello, on a worker thread. */
static int
tls_cert_cb(SSL *ssl, void *arg)
{
	struct tls	*tls = arg;
	struct tls_table *t;
	const struct tls_cert *c;
	int		 rc = 0;

	t = tls_table_get(tls);
	c = tls_table_select(t, SSL_get_servername(ssl,
	    TLSEXT_NAMETYPE_host_name));
	if (c != NULL && SSL_use_cert_and_key(ssl, c->x509, c->pkey, c->chain,
	    1) == 1)
		rc = 1;
	tls_table_put(t);
	return rc;
}

/* ALPN: http/1.1 or nothing; a client offering only others is refused. */
static int
tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char	*sel = NULL;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, tls_alpn,
	    sizeof(tls_alpn) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * Session tickets: AES-256-CBC + HMAC-SHA256 with the key ring.  enc: the
 * current key.  Decrypt: the key named in the ticket; 2 (use, and issue a
 * fresh ticket) for the previous key, 0 (full handshake) for an unknown one.
 */
static int
tls_ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls	*tls = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct tls_tkey	 k;
	OSSL_PARAM	 params[3];
	char		 digest[] = "SHA256";
	int		 i, rc = 0;

	memset(&k, 0, sizeof(k));
	(void)pthread_mutex_lock(&tls->mtx);
	if (enc) {
		k = tls->keys[0];
		rc = k.set ? 1 : -1;
	} else {
		for (i = 0; i < 2; i++)
			if (tls->keys[i].set &&
			    CRYPTO_memcmp(name, tls->keys[i].name, 16) == 0) {
				k = tls->keys[i];
				rc = i == 0 ? 1 : 2;
				break;
			}
	}
	(void)pthread_mutex_unlock(&tls->mtx);
	if (rc <= 0)
		goto done;
	if (enc) {
		memcpy(name, k.name, 16);
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
		    iv) != 1) {
			rc = -1;
			goto done;
		}
	} else if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
	    iv) != 1) {
		rc = -1;
		goto done;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		rc = -1;
done:
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

static int
tls_tkey_new(struct tls_tkey *k)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return -1;
	k->set = 1;
	return 0;
}

/*
 * The server context and its policy.  With tls != NULL the callbacks are
 * wired to it; tls_check uses a bare context only to probe certificates.
 */
static SSL_CTX *
tls_ctx_new(struct tls *tls)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (tls == NULL)
		return ctx;
	SSL_CTX_set_app_data(ctx, tls);
	SSL_CTX_set_cert_cb(ctx, tls_cert_cb, tls);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_cb, tls);
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_cb) != 1)
		goto fail;
	if (SSL_CTX_set_session_id_context(ctx,
	    (const unsigned char *)TLS_SID_CTX, sizeof(TLS_SID_CTX) - 1) != 1)
		goto fail;
	(void)SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	(void)SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct tls *
tls_new(const struct config *conf, char *err, size_t errlen)
{
	struct tls	*tls;

	if ((tls = calloc(1, sizeof(*tls))) == NULL) {
		tls_err(err, errlen, conf, 0, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&tls->mtx, NULL) != 0) {
		free(tls);
		tls_err(err, errlen, conf, 0, "cannot create a mutex");
		return NULL;
	}
	atomic_init(&tls->rotate_ms, conf->tls_ticket_rotate_ms);
	if ((tls->ctx = tls_ctx_new(tls)) == NULL) {
		tls_err(err, errlen, conf, 0, "cannot create the TLS context: "
		    "%s", tls_ossl_reason((char[128]){ 0 }, 128));
		goto fail;
	}
	if (tls_tkey_new(&tls->keys[0]) == -1) {
		tls_err(err, errlen, conf, 0, "no randomness for ticket keys");
		goto fail;
	}
	if ((tls->table = tls_table_load(conf, tls->ctx, time(NULL), err,
	    errlen, NULL, 0)) == NULL)
		goto fail;
	return tls;
fail:
	tls_free(tls);
	return NULL;
}

void
tls_free(struct tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	tls_table_put(tls->table);
	OPENSSL_cleanse(tls->keys, sizeof(tls->keys));
	(void)pthread_mutex_destroy(&tls->mtx);
	free(tls);
}

SSL *
tls_ssl_new(struct tls *tls)
{
	SSL	*ssl;

	if ((ssl = SSL_new(tls->ctx)) == NULL)
		return NULL;
	if (atomic_load_explicit(&tls->rotate_ms, memory_order_relaxed) == 0)
		SSL_set_options(ssl, SSL_OP_NO_TICKET);
	return ssl;
}

int
tls_reload(struct tls *tls, const struct config *conf, char *err,
    size_t errlen)
{
	struct tls_table *t, *old;

	if ((t = tls_table_load(conf, tls->ctx, time(NULL), err, errlen, NULL,
	    0)) == NULL)
		return -1;
	(void)pthread_mutex_lock(&tls->mtx);
	old = tls->table;
	tls->table = t;
	(void)pthread_mutex_unlock(&tls->mtx);
	atomic_store(&tls->rotate_ms, conf->tls_ticket_rotate_ms);
	tls_table_put(old);
	return 0;
}

void
tls_tick(struct tls *tls, time_t now)
{
	struct tls_tkey	 k;
	uint64_t	 ms = atomic_load(&tls->rotate_ms);

	if (ms == 0)
		return;
	if (tls->rotated == 0 || now < tls->rotated) {
		tls->rotated = now;
		return;
	}
	if ((uint64_t)(now - tls->rotated) * 1000 < ms)
		return;
	if (tls_tkey_new(&k) == -1) {
		log_warnx("tls: no randomness for a new ticket key; keeping "
		    "the current one");
		return;
	}
	(void)pthread_mutex_lock(&tls->mtx);
	tls->keys[1] = tls->keys[0];
	tls->keys[0] = k;
	(void)pthread_mutex_unlock(&tls->mtx);
	OPENSSL_cleanse(&k, sizeof(k));
	tls->rotated = now;
}

int
tls_check(const struct config *conf, char *err, size_t errlen, char *warn,
    size_t warnlen)
{
	struct tls_table *t;
	SSL_CTX	*ctx;

	if (warnlen > 0)
		warn[0] = '\0';
	if (conf->ncerts == 0)
		return 0;
	if ((ctx = tls_ctx_new(NULL)) == NULL)
		return tls_err(err, errlen, conf, 0, "cannot create the TLS "
		    "context");
	t = tls_table_load(conf, ctx, time(NULL), err, errlen, warn,
	    warnlen);
	SSL_CTX_free(ctx);
	if (t == NULL)
		return -1;
	tls_table_put(t);
	return 0;
}

/* ---- the client side (TLS toward a sandbox) ---- */

SSL_CTX *
tls_client_ctx_new(const struct config *conf, char *err, size_t errlen)
{
	SSL_CTX	*ctx;
	char	 path[1024];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "upstream TLS: SSL_CTX_new failed");
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (conf->upstream_ca[0] != '\0') {
		if (tls_path(conf->path, conf->upstream_ca, path,
		    sizeof(path)) == -1 ||
		    SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
			snprintf(err, errlen, "%s: upstream-ca %s: cannot load "
			    "the CA certificates", conf->path,
			    conf->upstream_ca);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "upstream TLS: no system CA store");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL *
tls_client_ssl(SSL_CTX *ctx, const char *name, const char *ip)
{
	SSL	*ssl;

	if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if (name != NULL && name[0] != '\0') {
		if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
		    SSL_set1_host(ssl, name) != 1)
			goto fail;
	} else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
	    ip) != 1)
		goto fail;
	return ssl;
 fail:
	SSL_free(ssl);
	return NULL;
}
