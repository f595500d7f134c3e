/*
 * test_tls.c -- tls/tls.c through in-memory handshakes (BIO pairs): the
 * certificate chosen for each SNI, protocol and ALPN policy, session
 * resumption and ticket-key rotation, every refused certificate, the -t
 * check and its warnings, and reload keeping the old table on failure.
 *
 * Keys and certificates are made at test time (P-256, self-signed, one
 * RSA-1024 for the security level) and written to a temporary directory;
 * configs are built by hand with paths relative to a fake config file
 * there.  Each certificate's CN names it, so a handshake reports which one
 * was served.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdatomic.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/common.h"
#include "config/config.h"
#include "tls/tls.h"

#define DAY	(24 * 60 * 60L)

static char	 dir[256];
static EVP_PKEY	*key_a, *key_b, *key_rsa1024;

/* ---- fixtures ---- */

static const char *
path_of(const char *name)
{
	static char	 buf[4][512];
	static int	 i;

	i = (i + 1) % 4;
	(void)snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static EVP_PKEY *
mk_ec(void)
{
	EVP_PKEY	*k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/*
 * A self-signed certificate for key k: subject CN cn, subjectAltName san
 * (an OpenSSL config value such as "DNS:a.test,DNS:*.b.test", or NULL for
 * none), valid from now+from to now+to seconds.
 */
static X509 *
mk_cert(EVP_PKEY *k, const char *cn, const char *san, long from, long to)
{
	X509		*x = X509_new();
	X509_NAME	*n;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	static long	 serial = 1;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	n = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, n), 1);
	if (san != NULL) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
		    san);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void
put_bytes(const char *name, const void *data, size_t len, mode_t mode)
{
	FILE	*f = fopen(path_of(name), "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path_of(name), mode), 0);
}

static void
put_str(const char *name, const char *s, mode_t mode)
{
	put_bytes(name, s, strlen(s), mode);
}

static void
put_cert(const char *name, X509 *x, X509 *extra, const char *trailer)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p;
	long	 n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	if (extra != NULL)
		assert_int_equal(PEM_write_bio_X509(b, extra), 1);
	if (trailer != NULL)
		assert_true(BIO_puts(b, trailer) > 0);
	n = BIO_get_mem_data(b, &p);
	put_bytes(name, p, (size_t)n, 0644);
	BIO_free(b);
	X509_free(x);
	X509_free(extra);
}

static void
put_key(const char *name, EVP_PKEY *k, mode_t mode, int encrypt)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p;
	long	 n;

	assert_non_null(b);
	if (encrypt)
		assert_int_equal(PEM_write_bio_PrivateKey(b, k,
		    EVP_aes_128_cbc(), (unsigned char *)"pass phrase", 11,
		    NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0,
		    NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	put_bytes(name, p, (size_t)n, mode);
	BIO_free(b);
}

static int
setup(void **state)
{
	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	key_a = mk_ec();
	key_b = mk_ec();
	key_rsa1024 = EVP_RSA_gen(1024);
	assert_non_null(key_rsa1024);

	put_key("a.key", key_a, 0600, 0);
	put_key("b.key", key_b, 0600, 0);
	put_key("a644.key", key_a, 0644, 0);
	put_key("a640.key", key_a, 0640, 0);
	put_key("a620.key", key_a, 0620, 0);
	put_key("aenc.key", key_a, 0600, 1);
	put_key("rsa1024.key", key_rsa1024, 0600, 0);
	put_str("garbage.key", "-----BEGIN PRIVATE KEY-----\nnope\n"
	    "-----END PRIVATE KEY-----\n", 0600);

	put_cert("default.crt", mk_cert(key_a, "default",
	    "DNS:default.test", -DAY, 365 * DAY), NULL, NULL);
	put_cert("exact.crt", mk_cert(key_a, "exact",
	    "DNS:exact.a.test,DNS:other.test", -DAY, 365 * DAY), NULL, NULL);
	put_cert("dup.crt", mk_cert(key_a, "dup",
	    "DNS:exact.a.test,DNS:dup.test", -DAY, 365 * DAY), NULL, NULL);
	put_cert("wild.crt", mk_cert(key_a, "wild", "DNS:*.a.test",
	    -DAY, 365 * DAY), NULL, NULL);
	put_cert("wild2.crt", mk_cert(key_b, "wild v2", "DNS:*.a.test",
	    -DAY, 365 * DAY), NULL, NULL);
	put_cert("cn.crt", mk_cert(key_a, "cn.test", NULL, -DAY, 365 * DAY),
	    NULL, NULL);
	/* A SAN without a DNS name: the CN is not consulted. */
	put_cert("ipsan.crt", mk_cert(key_a, "ip.test", "IP:127.0.0.1",
	    -DAY, 365 * DAY), NULL, NULL);
	put_cert("expired.crt", mk_cert(key_a, "expired", "DNS:old.test",
	    -30 * DAY, -DAY), NULL, NULL);
	put_cert("soon.crt", mk_cert(key_a, "soon", "DNS:soon.test",
	    -DAY, 10 * DAY), NULL, NULL);
	put_cert("future.crt", mk_cert(key_a, "future", "DNS:future.test",
	    2 * DAY, 365 * DAY), NULL, NULL);
	put_cert("rsa1024.crt", mk_cert(key_rsa1024, "weak", "DNS:weak.test",
	    -DAY, 365 * DAY), NULL, NULL);
	put_cert("chain.crt", mk_cert(key_a, "chained", "DNS:chain.test",
	    -DAY, 365 * DAY), mk_cert(key_b, "intermediate", "DNS:ca.test",
	    -DAY, 365 * DAY), NULL);
	put_cert("trailing.crt", mk_cert(key_a, "trailing",
	    "DNS:trail.test", -DAY, 365 * DAY), NULL,
	    "-----BEGIN CERTIFICATE-----\nAAAA!!!!\n"
	    "-----END CERTIFICATE-----\n");
	put_str("garbage.crt", "this is not PEM\n", 0644);
	put_cert("ww.crt", mk_cert(key_a, "world-writable", "DNS:ww.test",
	    -DAY, 365 * DAY), NULL, NULL);
	assert_int_equal(chmod(path_of("ww.crt"), 0646), 0);
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[600];

	(void)state;
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_rsa1024);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * A config whose file lives in dir, with tls-cert lines 10, 11, ... from
 * a NULL-terminated list of "CERT KEY" pairs.
 */
static struct config *
mk_conf(const char *const *pairs)
{
	struct config	*c = calloc(1, sizeof(*c));
	size_t		 i;
	const char	*sp;

	assert_non_null(c);
	config_defaults(c);
	(void)str_lcpy(c->path, path_of("test.conf"), sizeof(c->path));
	for (i = 0; pairs[i] != NULL; i++) {
		sp = strchr(pairs[i], ' ');
		assert_non_null(sp);
		assert_int_equal(str_spancpy(c->certs[i].cert,
		    sizeof(c->certs[i].cert), pairs[i],
		    (size_t)(sp - pairs[i])), 0);
		(void)str_lcpy(c->certs[i].key, sp + 1,
		    sizeof(c->certs[i].key));
		c->certs[i].line = 10 + (int)i;
	}
	c->ncerts = i;
	return c;
}

static struct tls *
mk_tls(const char *const *pairs)
{
	struct config	*c = mk_conf(pairs);
	struct tls	*t;
	char		 err[512];

	t = tls_new(c, err, sizeof(err));
	if (t == NULL)
		fail_msg("tls_new: %s", err);
	free(c);
	return t;
}

/* ---- in-memory handshakes ---- */

struct hs {
	int		 ok;
	char		 cn[64];	/* CN of the certificate served */
	char		 alpn[32];
	int		 version;
	int		 reused;
	int		 has_ticket;
	unsigned long	 client_reason;	/* alert the client got */
	SSL_SESSION	*sess;		/* caller frees */
	SSL		*c, *s;		/* if keep: caller frees */
};

struct hs_opt {
	const char	*sni;
	const unsigned char *alpn;	/* wire format, NUL-terminated */
	int		 max_version;	/* 0 = any */
	SSL_SESSION	*resume;
	int		 keep;
};

static SSL_CTX	*cctx, *cctx_old;

static SSL_CTX *
client_ctx(int legacy)
{
	SSL_CTX	**pp = legacy ? &cctx_old : &cctx;

	if (*pp == NULL) {
		*pp = SSL_CTX_new(TLS_client_method());
		assert_non_null(*pp);
		SSL_CTX_set_verify(*pp, SSL_VERIFY_NONE, NULL);
		if (legacy) {
			SSL_CTX_set_security_level(*pp, 0);
			assert_int_equal(SSL_CTX_set_min_proto_version(*pp,
			    TLS1_VERSION), 1);
			assert_int_equal(SSL_CTX_set_cipher_list(*pp,
			    "ALL:@SECLEVEL=0"), 1);
		}
	}
	return *pp;
}

static int
hs_pump(SSL *c, SSL *s)
{
	int	 i, r, e, cdone = 0, sdone = 0, moved;

	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		moved = 0;
		if (!cdone) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = moved = 1;
			else if ((e = SSL_get_error(c, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				return -1;
		}
		if (!sdone) {
			r = SSL_do_handshake(s);
			if (r == 1)
				sdone = moved = 1;
			else if ((e = SSL_get_error(s, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				/* let the client read the alert */
				(void)SSL_do_handshake(c);
				return -1;
			}
		}
		(void)moved;
	}
	return cdone && sdone ? 0 : -1;
}

/* Move one application byte each way; the client also reads tickets. */
static int
hs_exchange(SSL *c, SSL *s)
{
	char	 b = 0;

	if (SSL_write(s, "s", 1) != 1 || SSL_read(c, &b, 1) != 1 || b != 's')
		return -1;
	if (SSL_write(c, "c", 1) != 1 || SSL_read(s, &b, 1) != 1 || b != 'c')
		return -1;
	return 0;
}

static struct hs
handshake(struct tls *t, const struct hs_opt *o)
{
	struct hs	 h;
	SSL		*c, *s;
	BIO		*cb, *sb;
	X509		*pc;
	const unsigned char *ap;
	unsigned	 alen;
	unsigned long	 e;
	int		 legacy = o->max_version != 0 &&
			    o->max_version < TLS1_2_VERSION;

	memset(&h, 0, sizeof(h));
	ERR_clear_error();
	c = SSL_new(client_ctx(legacy));
	s = tls_ssl_new(t);
	assert_non_null(c);
	assert_non_null(s);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (o->sni != NULL)
		assert_int_equal(SSL_set_tlsext_host_name(c, o->sni), 1);
	if (o->alpn != NULL)
		assert_int_equal(SSL_set_alpn_protos(c, o->alpn,
		    (unsigned)strlen((const char *)o->alpn)), 0);
	if (o->max_version != 0)
		assert_int_equal(SSL_set_max_proto_version(c, o->max_version),
		    1);
	if (o->resume != NULL)
		assert_int_equal(SSL_set_session(c, o->resume), 1);

	if (hs_pump(c, s) == 0 && hs_exchange(c, s) == 0) {
		h.ok = 1;
		pc = SSL_get0_peer_certificate(c);
		if (pc != NULL)
			(void)X509_NAME_get_text_by_NID(
			    X509_get_subject_name(pc), NID_commonName, h.cn,
			    sizeof(h.cn));
		SSL_get0_alpn_selected(c, &ap, &alen);
		if (ap != NULL && alen < sizeof(h.alpn)) {
			memcpy(h.alpn, ap, alen);
			h.alpn[alen] = '\0';
		}
		h.version = SSL_version(c);
		h.reused = SSL_session_reused(c);
		h.sess = SSL_get1_session(c);
		h.has_ticket = h.sess != NULL &&
		    SSL_SESSION_has_ticket(h.sess);
	}
	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
			h.client_reason = (unsigned long)ERR_GET_REASON(e);
	if (o->keep && h.ok) {
		h.c = c;
		h.s = s;
	} else {
		/*
		 * A clean close: an SSL freed without close_notify takes its
		 * TLS 1.2 session out of the cache (ssl_clear_bad_session).
		 */
		if (h.ok) {
			(void)SSL_shutdown(c);
			(void)SSL_shutdown(s);
		}
		SSL_free(c);
		SSL_free(s);
	}
	return h;
}

static const char *
served(struct tls *t, const char *sni)
{
	static char	 cn[64];
	struct hs_opt	 o = { .sni = sni };
	struct hs	 h = handshake(t, &o);

	SSL_SESSION_free(h.sess);
	if (!h.ok)
		return "(refused)";
	(void)str_lcpy(cn, h.cn, sizeof(cn));
	return cn;
}

/* ---- tests ---- */

static const char *const std_pairs[] = {
	"default.crt a.key",
	"wild.crt a.key",		/* before exact: exact still wins */
	"exact.crt a.key",
	"dup.crt a.key",		/* exact.a.test again: first wins */
	"cn.crt a.key",
	NULL
};

/* N07 and issue test 1: which certificate each SNI gets. */
static void
test_select(void **state)
{
	static const struct {
		const char	*sni;
		const char	*cn;
	} v[] = {
		{ NULL,			"default" },
		{ "default.test",	"default" },
		{ "exact.a.test",	"exact" },
		{ "EXACT.A.Test",	"exact" },
		{ "exact.a.test.",	"exact" },	/* trailing dot */
		{ "other.test",		"exact" },
		{ "dup.test",		"dup" },
		{ "x.a.test",		"wild" },
		{ "X.A.TEST.",		"wild" },
		{ "3000-sbx1.a.test",	"wild" },
		{ "y.x.a.test",		"default" },	/* 1 label */
		{ "a.test",		"default" },	/* not suffix */
		{ "xa.test",		"default" },
		{ "unknown.example",	"default" },
		{ "cn.test",		"cn.test" },	/* CN, no SAN */
		{ "localhost",		"default" },
	};
	struct tls	*t = mk_tls(std_pairs);
	char		 longname[254];
	size_t		 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(v); i++) {
		const char *got = served(t, v[i].sni);

		if (strcmp(got, v[i].cn) != 0)
			fail_msg("SNI %s: served %s, want %s",
			    v[i].sni ? v[i].sni : "(none)", got, v[i].cn);
	}
	/* A 253-byte name (the longest the table holds) gets the default. */
	memset(longname, 'a', sizeof(longname) - 1);
	for (i = 63; i < sizeof(longname) - 1; i += 64)
		longname[i] = '.';
	longname[sizeof(longname) - 1] = '\0';
	assert_string_equal(served(t, longname), "default");
	tls_free(t);
}

/* tls-no-sni refuse: no SNI fails; an unknown name still gets the default. */
static void
test_no_sni_refuse(void **state)
{
	struct config	*c = mk_conf(std_pairs);
	struct tls	*t;
	char		 err[512];

	(void)state;
	c->tls_sni_required = 1;
	t = tls_new(c, err, sizeof(err));
	if (t == NULL)
		fail_msg("%s", err);
	assert_string_equal(served(t, NULL), "(refused)");
	assert_string_equal(served(t, "unknown.example"), "default");
	assert_string_equal(served(t, "x.a.test"), "wild");
	tls_free(t);
	free(c);
}

/* N01, N06: protocol versions and ALPN. */
static void
test_policy(void **state)
{
	static const struct {
		const char	*what;
		int		 max_version;
		const char	*alpn;
		int		 ok;
		const char	*want_alpn;
		unsigned long	 reason;	/* alert the client sees */
	} v[] = {
		{ "TLS 1.3", 0, NULL, 1, "", 0 },
		{ "TLS 1.2", TLS1_2_VERSION, NULL, 1, "", 0 },
		{ "TLS 1.1", TLS1_1_VERSION, NULL, 0, NULL,
		    SSL_R_TLSV1_ALERT_PROTOCOL_VERSION },
		{ "TLS 1.0", TLS1_VERSION, NULL, 0, NULL,
		    SSL_R_TLSV1_ALERT_PROTOCOL_VERSION },
		{ "alpn h2,http/1.1", 0, "\x02h2\x08http/1.1", 1, "http/1.1",
		    0 },
		{ "alpn http/1.1", 0, "\x08http/1.1", 1, "http/1.1", 0 },
		{ "alpn http/1.1 on 1.2", TLS1_2_VERSION, "\x08http/1.1", 1,
		    "http/1.1", 0 },
		{ "alpn h2 only", 0, "\x02h2", 0, NULL,
		    SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL },
		{ "alpn http/1.0", 0, "\x08http/1.0", 0, NULL,
		    SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL },
	};
	struct tls	*t = mk_tls(std_pairs);
	size_t		 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(v); i++) {
		struct hs_opt o = { .sni = "x.a.test",
		    .alpn = (const unsigned char *)v[i].alpn,
		    .max_version = v[i].max_version };
		struct hs h = handshake(t, &o);

		SSL_SESSION_free(h.sess);
		if (h.ok != v[i].ok)
			fail_msg("%s: handshake %s", v[i].what,
			    h.ok ? "succeeded" : "failed");
		if (v[i].want_alpn != NULL &&
		    strcmp(h.alpn, v[i].want_alpn) != 0)
			fail_msg("%s: alpn \"%s\"", v[i].what, h.alpn);
		if (v[i].reason != 0 && h.client_reason != v[i].reason)
			fail_msg("%s: client saw reason %lu, want %lu",
			    v[i].what, h.client_reason, v[i].reason);
		if (h.ok && v[i].max_version == 0 &&
		    h.version != TLS1_3_VERSION)
			fail_msg("%s: version %x", v[i].what, h.version);
	}
	tls_free(t);
}

/* TLS 1.2 with an RSA-less ECDSA certificate: only ECDHE AEAD suites. */
static void
test_ciphers(void **state)
{
	static const char *const bad[] = {
		"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
		"ECDHE-ECDSA-AES128-SHA256", "AES128-GCM-SHA256",
	};
	struct tls	*t = mk_tls(std_pairs);
	SSL_CTX		*c12;
	size_t		 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(bad); i++) {
		struct hs_opt o = { .sni = "x.a.test",
		    .max_version = TLS1_2_VERSION };
		struct hs h;

		c12 = cctx;
		cctx = SSL_CTX_new(TLS_client_method());
		assert_non_null(cctx);
		SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
		assert_int_equal(SSL_CTX_set_cipher_list(cctx, bad[i]), 1);
		h = handshake(t, &o);
		SSL_SESSION_free(h.sess);
		SSL_CTX_free(cctx);
		cctx = c12;
		if (h.ok)
			fail_msg("cipher %s was accepted", bad[i]);
	}
	tls_free(t);
}

/* Resumption: tickets (1.2 and 1.3), rotation, and the session cache. */
static void
test_resume(void **state)
{
	static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	struct tls	*t = mk_tls(std_pairs);
	struct hs_opt	 o;
	struct hs	 h1, h2;
	SSL_SESSION	*s0;
	size_t		 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(versions); i++) {
		memset(&o, 0, sizeof(o));
		o.sni = "x.a.test";
		o.max_version = versions[i];
		h1 = handshake(t, &o);
		assert_true(h1.ok);
		assert_false(h1.reused);
		assert_true(h1.has_ticket);
		s0 = h1.sess;

		o.resume = s0;
		h2 = handshake(t, &o);
		assert_true(h2.ok);
		if (!h2.reused)
			fail_msg("version %x: ticket not resumed", versions[i]);
		assert_string_equal(h2.cn, "wild");
		SSL_SESSION_free(h2.sess);

		/* First tick only records the time; then one rotation. */
		tls_tick(t, 1000000);
		tls_tick(t, 1000000 + 3599);
		tls_tick(t, 1000000 + 3600);
		h2 = handshake(t, &o);
		if (!h2.ok || !h2.reused)
			fail_msg("version %x: previous key did not decrypt",
			    versions[i]);
		SSL_SESSION_free(h2.sess);

		/* A second rotation: the first key is gone. */
		tls_tick(t, 1000000 + 7200);
		h2 = handshake(t, &o);
		assert_true(h2.ok);
		if (h2.reused)
			fail_msg("version %x: ticket of a dropped key resumed",
			    versions[i]);
		SSL_SESSION_free(h2.sess);
		SSL_SESSION_free(s0);
	}
	tls_free(t);
}

/* tls-ticket-rotate 0: no tickets; TLS 1.2 resumes from the cache. */
static void
test_no_tickets(void **state)
{
	struct config	*c = mk_conf(std_pairs);
	struct tls	*t;
	struct hs_opt	 o;
	struct hs	 h1, h2;
	char		 err[512];

	(void)state;
	c->tls_ticket_rotate_ms = 0;
	t = tls_new(c, err, sizeof(err));
	if (t == NULL)
		fail_msg("%s", err);
	memset(&o, 0, sizeof(o));
	o.sni = "exact.a.test";
	o.max_version = TLS1_2_VERSION;
	h1 = handshake(t, &o);
	assert_true(h1.ok);
	assert_false(h1.has_ticket);
	o.resume = h1.sess;
	h2 = handshake(t, &o);
	assert_true(h2.ok);
	assert_true(h2.reused);
	assert_string_equal(h2.cn, "exact");
	SSL_SESSION_free(h2.sess);
	SSL_SESSION_free(h1.sess);
	tls_tick(t, 1);		/* no-op without tickets */
	tls_tick(t, 100000);
	tls_free(t);
	free(c);
}

/* Every refused certificate: tls_new and tls_check say why, at its line. */
static void
test_refused(void **state)
{
	static const struct {
		const char	*pair;
		const char	*msg;
	} v[] = {
		{ "default.crt b.key", "key file b.key does not match "
		    "certificate default.crt" },
		{ "expired.crt a.key", "certificate expired.crt expired on " },
		{ "default.crt a644.key", "key file a644.key is accessible by "
		    "group or others (chmod 600)" },
		{ "default.crt a640.key", "is accessible by group or others" },
		{ "default.crt a620.key", "is accessible by group or others" },
		{ "garbage.crt a.key", "certificate file garbage.crt: no PEM "
		    "certificate" },
		{ "default.crt garbage.key", "key file garbage.key: not a PEM "
		    "private key" },
		{ "default.crt aenc.key", "key file aenc.key: not a PEM "
		    "private key, or encrypted" },
		{ "missing.crt a.key", "certificate file missing.crt: No such "
		    "file" },
		{ "default.crt missing.key", "key file missing.key: No such "
		    "file" },
		{ "ipsan.crt a.key", "certificate ipsan.crt has no DNS name" },
		{ "rsa1024.crt rsa1024.key", "certificate rsa1024.crt: ee key "
		    "too small" },
		{ "trailing.crt a.key", "certificate file trailing.crt: bad "
		    "PEM after certificate 1" },
		{ "ww.crt a.key", "certificate file ww.crt is writable by "
		    "others" },
		{ ". a.key", "certificate file . is not a regular file" },
	};
	char		 err[512], warn[512], want[300];
	size_t		 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(v); i++) {
		/* The bad one second, so the line number is checked. */
		const char *pairs[] = { "default.crt a.key", v[i].pair, NULL };
		struct config *c = mk_conf(pairs);
		struct tls *t;

		(void)snprintf(want, sizeof(want), "%s:11: ", c->path);
		err[0] = '\0';
		t = tls_new(c, err, sizeof(err));
		if (t != NULL)
			fail_msg("%s: accepted", v[i].pair);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, v[i].msg) == NULL)
			fail_msg("%s: error \"%s\", want \"%s...%s\"",
			    v[i].pair, err, want, v[i].msg);
		err[0] = '\0';
		assert_int_equal(tls_check(c, err, sizeof(err), warn,
		    sizeof(warn)), -1);
		if (strstr(err, v[i].msg) == NULL)
			fail_msg("tls_check %s: \"%s\"", v[i].pair, err);
		free(c);
	}
}

/* The chain file: leaf plus an intermediate loads; tls_check warnings. */
static void
test_check(void **state)
{
	static const char *const good[] = { "default.crt a.key",
	    "chain.crt a.key", NULL };
	static const char *const soon[] = { "default.crt a.key",
	    "soon.crt a.key", "future.crt a.key", NULL };
	static const char *const none[] = { NULL };
	struct config	*c;
	struct tls	*t;
	char		 err[512], warn[1024], want[600];

	(void)state;
	c = mk_conf(good);
	err[0] = '\0';
	assert_int_equal(tls_check(c, err, sizeof(err), warn, sizeof(warn)),
	    0);
	assert_string_equal(warn, "");
	t = tls_new(c, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(served(t, "chain.test"), "chained");
	tls_free(t);
	free(c);

	c = mk_conf(soon);
	assert_int_equal(tls_check(c, err, sizeof(err), warn, sizeof(warn)),
	    0);
	(void)snprintf(want, sizeof(want), "%s:11: warning: certificate "
	    "soon.crt expires in 9 days (", c->path);
	if (strstr(warn, want) == NULL) {
		(void)snprintf(want, sizeof(want), "%s:11: warning: "
		    "certificate soon.crt expires in 10 days (", c->path);
		if (strstr(warn, want) == NULL)
			fail_msg("warnings: \"%s\"", warn);
	}
	(void)snprintf(want, sizeof(want), "%s:12: warning: certificate "
	    "future.crt is not valid before ", c->path);
	if (strstr(warn, want) == NULL)
		fail_msg("warnings: \"%s\"", warn);
	/* A tiny warn buffer truncates and stays terminated. */
	assert_int_equal(tls_check(c, err, sizeof(err), warn, 8), 0);
	assert_int_equal(strlen(warn), 7);
	free(c);

	c = mk_conf(none);
	assert_int_equal(tls_check(c, err, sizeof(err), warn, sizeof(warn)),
	    0);
	err[0] = '\0';
	assert_null(tls_new(c, err, sizeof(err)));
	assert_non_null(strstr(err, "no tls-cert directive"));
	free(c);
}

/*
 * Reload: a broken config leaves the old table serving; a good one swaps
 * it for new handshakes while an established connection keeps working.
 */
static void
test_reload(void **state)
{
	static const char *const v1[] = { "default.crt a.key",
	    "wild.crt a.key", NULL };
	static const char *const broken[] = { "default.crt a.key",
	    "wild2.crt a.key", NULL };	/* wild2 is key_b's */
	static const char *const v2[] = { "default.crt a.key",
	    "wild2.crt b.key", NULL };
	struct tls	*t = mk_tls(v1);
	struct config	*c;
	struct hs_opt	 o = { .sni = "x.a.test", .keep = 1 };
	struct hs	 live;
	char		 err[512];

	(void)state;
	live = handshake(t, &o);
	assert_true(live.ok);
	assert_string_equal(live.cn, "wild");
	SSL_SESSION_free(live.sess);

	c = mk_conf(broken);
	err[0] = '\0';
	assert_int_equal(tls_reload(t, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":11: key file a.key does not match"));
	free(c);
	assert_string_equal(served(t, "x.a.test"), "wild");

	c = mk_conf(v2);
	c->tls_sni_required = 1;
	assert_int_equal(tls_reload(t, c, err, sizeof(err)), 0);
	free(c);
	assert_string_equal(served(t, "x.a.test"), "wild v2");
	assert_string_equal(served(t, NULL), "(refused)");
	assert_string_equal(served(t, "default.test"), "default");

	/* The connection made before the reload still moves data. */
	assert_int_equal(hs_exchange(live.c, live.s), 0);
	assert_string_equal(served(t, "y.a.test"), "wild v2");
	SSL_free(live.c);
	SSL_free(live.s);

	/* Reload to no certificates at all is refused too. */
	{
		static const char *const none[] = { NULL };

		c = mk_conf(none);
		assert_int_equal(tls_reload(t, c, err, sizeof(err)), -1);
		free(c);
		assert_string_equal(served(t, "x.a.test"), "wild v2");
	}
	tls_free(t);
}

/* Workers handshaking while the main thread reloads and rotates keys. */
struct hammer {
	struct tls	*t;
	atomic_int	*stop;
	SSL_CTX		*ctx;
	int		 n, bad;
};

static void *
hammer_run(void *arg)
{
	struct hammer	*hm = arg;
	SSL		*c, *s;
	BIO		*cb, *sb;
	X509		*pc;
	char		 cn[64];

	while (!atomic_load(hm->stop)) {
		c = SSL_new(hm->ctx);
		s = tls_ssl_new(hm->t);
		if (c == NULL || s == NULL ||
		    BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
			hm->bad++;
			SSL_free(c);
			SSL_free(s);
			continue;
		}
		SSL_set_bio(c, cb, cb);
		SSL_set_bio(s, sb, sb);
		SSL_set_connect_state(c);
		SSL_set_accept_state(s);
		(void)SSL_set_tlsext_host_name(c, "x.a.test");
		cn[0] = '\0';
		if (hs_pump(c, s) == 0 &&
		    (pc = SSL_get0_peer_certificate(c)) != NULL)
			(void)X509_NAME_get_text_by_NID(
			    X509_get_subject_name(pc), NID_commonName, cn,
			    sizeof(cn));
		if (strcmp(cn, "wild") != 0 && strcmp(cn, "wild v2") != 0)
			hm->bad++;
		hm->n++;
		SSL_free(c);
		SSL_free(s);
		ERR_clear_error();
	}
	return NULL;
}

static void
test_threads(void **state)
{
	static const char *const v1[] = { "default.crt a.key",
	    "wild.crt a.key", NULL };
	static const char *const v2[] = { "default.crt a.key",
	    "wild2.crt b.key", NULL };
	struct config	*c1 = mk_conf(v1), *c2 = mk_conf(v2);
	struct tls	*t = mk_tls(v1);
	struct hammer	 hm[4];
	pthread_t	 th[4];
	atomic_int	 stop;
	char		 err[512];
	int		 i, total = 0;

	(void)state;
	atomic_init(&stop, 0);
	for (i = 0; i < 4; i++) {
		memset(&hm[i], 0, sizeof(hm[i]));
		hm[i].t = t;
		hm[i].stop = &stop;
		hm[i].ctx = client_ctx(0);
		assert_int_equal(pthread_create(&th[i], NULL, hammer_run,
		    &hm[i]), 0);
	}
	for (i = 0; i < 40; i++) {
		if (tls_reload(t, i % 2 ? c1 : c2, err, sizeof(err)) == -1)
			fail_msg("reload %d: %s", i, err);
		tls_tick(t, 1000 + (time_t)i * 3600);
		usleep(5000);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(hm[i].bad, 0);
		total += hm[i].n;
	}
	assert_true(total > 0);
	tls_free(t);
	free(c1);
	free(c2);
}

/* tls_free(NULL) is a no-op. */
static void
test_free_null(void **state)
{
	(void)state;
	tls_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_no_sni_refuse),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_ciphers),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_no_tickets),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_free_null),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("tls", tests, setup, teardown);
	SSL_CTX_free(cctx);
	SSL_CTX_free(cctx_old);
	return rc;
}
