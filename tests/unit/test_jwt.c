/*
 * test_jwt.c -- authz/jwt.c against every bad token of library-notes 5.2
 * and security-catalog group D that applies at this layer.
 *
 * Keys are made at test time: HS secrets are bytes below, the RSA-2048 and
 * P-256 pairs come from OpenSSL in the group setup, and tokens are signed
 * here with OpenSSL directly.  Configs are built by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define NOW	1700000000

/* Configs. */
enum { C_MULTI = 0, C_ONE, C_ONE_RS, C_ISS, C_NOAUD, C_COUNT };
static struct config confs[C_COUNT];

static const unsigned char k1_secret[] = "k1-secret-0123456789abcdef012345";
static const unsigned char k2_secret[] =
    "k2-secret-0123456789abcdef0123456789abcdef0123456789abcdef012345";

static EVP_PKEY *rsa_key, *ec_key;
static unsigned char *rsa_pem, *ec_pem, *rsa_der;
static size_t rsa_pem_len, ec_pem_len, rsa_der_len;

/* ---- helpers ---- */

static size_t
b64url(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t	 i, n = 0;
	uint32_t v;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = tab[v >> 18];
		out[n++] = tab[(v >> 12) & 63];
		out[n++] = tab[(v >> 6) & 63];
		out[n++] = tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[n++] = tab[v >> 18];
		out[n++] = tab[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[n++] = tab[v >> 18];
		out[n++] = tab[(v >> 12) & 63];
		out[n++] = tab[(v >> 6) & 63];
	}
	out[n] = '\0';
	return n;
}

static unsigned char *
bio_take(BIO *b, size_t *len)
{
	char		*p;
	long		 n = BIO_get_mem_data(b, &p);
	unsigned char	*out;

	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	return out;
}

static unsigned char *
pem_pub(EVP_PKEY *pk, size_t *len)
{
	BIO		*b = BIO_new(BIO_s_mem());
	unsigned char	*out;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PUBKEY(b, pk), 1);
	out = bio_take(b, len);
	BIO_free(b);
	return out;
}

static size_t
evp_sign(EVP_PKEY *pk, const EVP_MD *md, const char *in, size_t n,
    unsigned char *out, size_t outsz)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	size_t		 sl = outsz;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, out, &sl,
	    (const unsigned char *)in, n), 1);
	EVP_MD_CTX_free(ctx);
	return sl;
}

/* ECDSA DER -> JWS raw R||S of 2 * nbytes. */
static size_t
es_sign(EVP_PKEY *pk, const EVP_MD *md, size_t nbytes, const char *in,
    size_t n, unsigned char *out)
{
	unsigned char	 der[256];
	const unsigned char *p = der;
	size_t		 dl = evp_sign(pk, md, in, n, der, sizeof(der));
	ECDSA_SIG	*s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	const BIGNUM	*r, *ss;

	assert_non_null(s);
	ECDSA_SIG_get0(s, &r, &ss);
	assert_int_equal(BN_bn2binpad(r, out, (int)nbytes), (int)nbytes);
	assert_int_equal(BN_bn2binpad(ss, out + nbytes, (int)nbytes),
	    (int)nbytes);
	ECDSA_SIG_free(s);
	return 2 * nbytes;
}

enum signer {
	S_HS_K1 = 1,	/* HS256, k1 secret */
	S_HS_K2,	/* HS512, k2 secret */
	S_HS_WRONG,	/* HS256 with another secret */
	S_RS256,
	S_RS512,
	S_ES256,
	S_HS_PEM,	/* HS256 keyed with the RSA public PEM (D02) */
	S_HS_PEM_NONL,	/* ... without its trailing newline */
	S_HS_DER,	/* ... with the DER SubjectPublicKeyInfo */
	S_HS_EMPTY	/* HS256 with a 1-byte secret "" -- "empty key" */
};

static size_t
sign(enum signer s, const char *in, size_t n, unsigned char *sig)
{
	unsigned	 ml = 0;
	const unsigned char *key = NULL;
	size_t		 kl = 0;
	const EVP_MD	*md = EVP_sha256();

	switch (s) {
	case S_HS_K1:
		key = k1_secret;
		kl = sizeof(k1_secret) - 1;
		break;
	case S_HS_K2:
		key = k2_secret;
		kl = sizeof(k2_secret) - 1;
		md = EVP_sha512();
		break;
	case S_HS_WRONG:
		key = (const unsigned char *)"wrong-secret-wrong-secret-wrong!";
		kl = 32;
		break;
	case S_HS_PEM:
		key = rsa_pem;
		kl = rsa_pem_len;
		break;
	case S_HS_PEM_NONL:
		key = rsa_pem;
		kl = rsa_pem_len - 1;
		assert_int_equal(rsa_pem[kl], '\n');
		break;
	case S_HS_DER:
		key = rsa_der;
		kl = rsa_der_len;
		break;
	case S_HS_EMPTY:
		key = (const unsigned char *)"";
		kl = 0;
		break;
	case S_RS256:
		return evp_sign(rsa_key, EVP_sha256(), in, n, sig, 1024);
	case S_RS512:
		return evp_sign(rsa_key, EVP_sha512(), in, n, sig, 1024);
	case S_ES256:
		return es_sign(ec_key, EVP_sha256(), 32, in, n, sig);
	}
	assert_non_null(HMAC(md, kl ? key : (const unsigned char *)"", (int)kl,
	    (const unsigned char *)in, n, sig, &ml));
	return ml;
}

/* "b64(hdr).b64(pl).b64(sig)"; malloc'd. */
static char *
mk(const char *hdr, const char *pl, enum signer s)
{
	size_t	 hl = strlen(hdr), pll = strlen(pl), n, sl;
	char	*t = malloc((hl + pll) * 2 + 2048);
	unsigned char sig[1024];

	assert_non_null(t);
	n = b64url((const unsigned char *)hdr, hl, t);
	t[n++] = '.';
	n += b64url((const unsigned char *)pl, pll, t + n);
	sl = sign(s, t, n, sig);
	t[n++] = '.';
	b64url(sig, sl, t + n);
	return t;
}

/* ---- mutations ---- */

enum mut {
	M_NONE = 0,
	M_APPEND_BANG,	/* sig + "!!" */
	M_APPEND_EQ,	/* sig + "==" */
	M_INSERT_STAR,	/* '*' inside the signature */
	M_SIG_CHAR,	/* first signature character changed */
	M_DROP_SIG,	/* "h.p." */
	M_DROP_SIG_DOT,	/* "h.p" */
	M_PAD_HDR,	/* '=' after the header segment */
	M_PLUS,		/* '+' in the signature (standard alphabet) */
	M_SLASH,	/* '/' in the payload */
	M_SPACE,	/* ' ' inside the payload */
	M_NEWLINE,	/* '\n' inside the payload */
	M_TRAIL_DOT,	/* "h.p.s." */
	M_FOUR_SEGS,	/* "h.p.s.x" */
	M_NONCANON,	/* unused low bit of the last sig char flipped */
	M_SWAP,		/* "p.h.s" */
	M_SIG_OF_GOOD	/* signature of the good HS256 k1 token */
};

#define H_K1	"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define H_K2	"{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"k2\"}"
#define H_RS	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rs\"}"
#define H_ES	"{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"es\"}"
#define PL(x)	"{\"sbx\":\"sbx1\",\"aud\":\"drawbridge\"," x "}"
#define TIMES	"\"iat\":1700000000,\"exp\":1700003600"
#define GOOD	PL(TIMES)

static int
b64v(char c)
{
	const char *tab =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = strchr(tab, c);

	return p ? (int)(p - tab) : -1;
}

static char *
ins(const char *t, size_t at, const char *s)
{
	size_t	 n = strlen(t), k = strlen(s);
	char	*o = malloc(n + k + 1);

	assert_non_null(o);
	memcpy(o, t, at);
	memcpy(o + at, s, k);
	memcpy(o + at + k, t + at, n - at + 1);
	return o;
}

static char *
mutate(char *t, enum mut m)
{
	char	*d1 = strchr(t, '.'), *d2 = strrchr(t, '.'), *o = NULL, *g;
	size_t	 n = strlen(t), s = (size_t)(d2 + 1 - t);
	size_t	 h = (size_t)(d1 - t);
	int	 v;

	switch (m) {
	case M_NONE:
		return t;
	case M_APPEND_BANG:
		o = ins(t, n, "!!");
		break;
	case M_APPEND_EQ:
		o = ins(t, n, "==");
		break;
	case M_INSERT_STAR:
		o = ins(t, s + (n - s) / 2, "*");
		break;
	case M_SIG_CHAR:
		t[s] = t[s] == 'A' ? 'B' : 'A';
		return t;
	case M_DROP_SIG:
		t[s] = '\0';
		return t;
	case M_DROP_SIG_DOT:
		t[s - 1] = '\0';
		return t;
	case M_PAD_HDR:
		o = ins(t, h, "=");
		break;
	case M_PLUS:
		t[s + 1] = '+';
		return t;
	case M_SLASH:
		t[h + 2] = '/';
		return t;
	case M_SPACE:
		o = ins(t, h + 3, " ");
		break;
	case M_NEWLINE:
		o = ins(t, h + 3, "\n");
		break;
	case M_TRAIL_DOT:
		o = ins(t, n, ".");
		break;
	case M_FOUR_SEGS:
		o = ins(t, n, ".eyJ9");
		break;
	case M_NONCANON:
		assert_true((n - s) % 4 != 0);
		v = b64v(t[n - 1]);
		assert_true(v >= 0);
		t[n - 1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_"[v ^ 1];
		return t;
	case M_SWAP:
		o = malloc(n + 1);
		assert_non_null(o);
		{
			size_t	 pl = (size_t)(d2 - d1 - 1);

			memcpy(o, d1 + 1, pl);
			o[pl] = '.';
			memcpy(o + pl + 1, t, h);
			memcpy(o + pl + 1 + h, d2, n - s + 2);
		}
		break;
	case M_SIG_OF_GOOD:
		g = mk(H_K1, GOOD, S_HS_K1);
		t[s] = '\0';
		o = ins(t, s, strrchr(g, '.') + 1);
		free(g);
		break;
	default:
		fail();
	}
	free(t);
	return o;
}

/* ---- the table ---- */

struct jcase {
	const char	*name;
	int		 conf;
	const char	*hdr;
	const char	*pl;
	enum signer	 signer;
	enum mut	 mut;
	enum authz_tok	 want;
	uint16_t	 port;		/* for OK cases */
	const char	*kid;		/* for OK cases */
};

#define OK	AUTHZ_TOK_OK
#define MAL	AUTHZ_TOK_MALFORMED
#define BALG	AUTHZ_TOK_BAD_ALG
#define BSIG	AUTHZ_TOK_BAD_SIGNATURE
#define UKEY	AUTHZ_TOK_UNKNOWN_KEY
#define EXP	AUTHZ_TOK_EXPIRED
#define NYV	AUTHZ_TOK_NOT_YET_VALID
#define BAUD	AUTHZ_TOK_BAD_AUDIENCE
#define BISS	AUTHZ_TOK_BAD_ISSUER

#define HDR(x)	"{\"alg\":\"HS256\"," x "}"
#define HK1(x)	"{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"," x "}"
#define PL_T(x)	"{\"sbx\":\"sbx1\",\"aud\":\"drawbridge\"," \
	"\"iat\":1700000000," x "}"
#define PL_E(x)	"{\"sbx\":\"sbx1\",\"aud\":\"drawbridge\"," \
	"\"exp\":1700003600," x "}"

static const struct jcase jcases[] = {
	/* Good tokens. */
	{ "ok_hs256", C_MULTI, H_K1, GOOD, S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_hs512", C_MULTI, H_K2, GOOD, S_HS_K2, M_NONE, OK, 0, "k2" },
	{ "ok_rs256", C_MULTI, H_RS, GOOD, S_RS256, M_NONE, OK, 0, "rs" },
	{ "ok_es256", C_MULTI, H_ES, GOOD, S_ES256, M_NONE, OK, 0, "es" },
	{ "ok_no_typ", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_port_scope", C_MULTI, H_K1, PL(TIMES ",\"port\":8080"), S_HS_K1,
	    M_NONE, OK, 8080, "k1" },
	{ "ok_port_65535", C_MULTI, H_K1, PL(TIMES ",\"port\":65535"), S_HS_K1,
	    M_NONE, OK, 65535, "k1" },
	{ "ok_aud_array", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":[\"other\","
	    "\"drawbridge\"]," TIMES "}", S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_nbf_past", C_MULTI, H_K1, PL(TIMES ",\"nbf\":1699999000"),
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_nbf_at_leeway", C_MULTI, H_K1, PL(TIMES ",\"nbf\":1700000030"),
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_iat_at_leeway", C_MULTI, H_K1,
	    PL_E("\"iat\":1700000030"), S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "D09_exp_now_minus_leeway_plus_1", C_MULTI, H_K1,
	    PL("\"iat\":1699990000,\"exp\":1699999971"), S_HS_K1, M_NONE, OK, 0,
	    "k1" },
	{ "D09_exp_now", C_MULTI, H_K1, PL("\"iat\":1699990000,\"exp\":"
	    "1700000000"), S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "D09_exp_now_plus_1", C_MULTI, H_K1, PL("\"iat\":1699990000,\"exp\":"
	    "1700000001"), S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_no_kid_one_key", C_ONE, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    GOOD, S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_no_kid_one_rs_key", C_ONE_RS, "{\"alg\":\"RS256\"}", GOOD,
	    S_RS256, M_NONE, OK, 0, "rs" },
	{ "ok_issuer", C_ISS, H_K1, PL(TIMES ",\"iss\":\"https://cp\""),
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_iss_unchecked", C_MULTI, H_K1, PL(TIMES ",\"iss\":\"any\""),
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_aud_off_missing", C_NOAUD, H_K1, "{\"sbx\":\"sbx1\"," TIMES "}",
	    S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_aud_off_other", C_NOAUD, H_K1, "{\"sbx\":\"sbx1\",\"aud\":5,"
	    TIMES "}", S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "ok_uuid_sbx", C_MULTI, H_K1, "{\"sbx\":\"0f8fad5b-d9cb-469f-a165-"
	    "70867728950e\",\"aud\":\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE,
	    OK, 0, "k1" },
	{ "ok_unknown_claims", C_MULTI, H_K1, PL(TIMES ",\"x\":{\"y\":[1.5]}"),
	    S_HS_K1, M_NONE, OK, 0, "k1" },

	/* D01: alg none. */
	{ "D01_none_sig_empty", C_MULTI,
	    "{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD, S_HS_K1, M_DROP_SIG,
	    MAL, 0, NULL },
	{ "D01_none_sig_absent", C_MULTI,
	    "{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD, S_HS_K1, M_DROP_SIG_DOT,
	    MAL, 0, NULL },
	{ "D01_none_sig_copied", C_MULTI,
	    "{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD, S_HS_K1, M_SIG_OF_GOOD,
	    BALG, 0, NULL },
	{ "D01_None", C_MULTI, "{\"alg\":\"None\",\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_SIG_OF_GOOD, BALG, 0, NULL },
	{ "D01_NONE", C_MULTI, "{\"alg\":\"NONE\",\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_SIG_OF_GOOD, BALG, 0, NULL },
	{ "D01_nOnE", C_MULTI, "{\"alg\":\"nOnE\",\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_SIG_OF_GOOD, BALG, 0, NULL },
	{ "D01_none_space", C_MULTI, "{\"alg\":\"none \",\"kid\":\"k1\"}",
	    GOOD, S_HS_K1, M_SIG_OF_GOOD, BALG, 0, NULL },
	{ "D01_none_no_kid_one_key", C_ONE, "{\"alg\":\"none\"}", GOOD,
	    S_HS_K1, M_NONE, BALG, 0, NULL },
	{ "D01_none_empty_key_sig", C_ONE, "{\"alg\":\"none\"}", GOOD,
	    S_HS_EMPTY, M_NONE, BALG, 0, NULL },
	{ "D01_hs256_empty_secret", C_ONE, "{\"alg\":\"HS256\"}", GOOD,
	    S_HS_EMPTY, M_NONE, BSIG, 0, NULL },

	/* D02: HS/RS confusion. */
	{ "D02_hs256_rsa_pem", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"rs\"}",
	    GOOD, S_HS_PEM, M_NONE, BALG, 0, NULL },
	{ "D02_hs256_rsa_pem_no_newline", C_MULTI,
	    "{\"alg\":\"HS256\",\"kid\":\"rs\"}", GOOD, S_HS_PEM_NONL, M_NONE,
	    BALG, 0, NULL },
	{ "D02_hs256_rsa_der", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"rs\"}",
	    GOOD, S_HS_DER, M_NONE, BALG, 0, NULL },
	{ "D02_hs256_rsa_pem_no_kid", C_ONE_RS, "{\"alg\":\"HS256\"}", GOOD,
	    S_HS_PEM, M_NONE, BALG, 0, NULL },
	{ "D02_hs256_rsa_pem_no_kid_nonl", C_ONE_RS, "{\"alg\":\"HS256\"}",
	    GOOD, S_HS_PEM_NONL, M_NONE, BALG, 0, NULL },
	{ "D02_hs512_rsa_pem", C_ONE_RS, "{\"alg\":\"HS512\"}", GOOD,
	    S_HS_PEM, M_NONE, BALG, 0, NULL },

	/* D05 and library-notes 5.2: stripped or tampered signatures. */
	{ "D05_hs_sig_removed", C_MULTI, H_K1, GOOD, S_HS_K1, M_DROP_SIG, MAL,
	    0, NULL },
	{ "D05_hs_sig_char", C_MULTI, H_K1, GOOD, S_HS_K1, M_SIG_CHAR, BSIG,
	    0, NULL },
	{ "D05_rs_sig_char", C_MULTI, H_RS, GOOD, S_RS256, M_SIG_CHAR, BSIG,
	    0, NULL },
	{ "D05_es_sig_char", C_MULTI, H_ES, GOOD, S_ES256, M_SIG_CHAR, BSIG,
	    0, NULL },
	{ "D05_sbx_changed_sig_kept", C_MULTI, H_K1, "{\"sbx\":\"sbx2\","
	    "\"aud\":\"drawbridge\"," TIMES "}", S_HS_K1, M_SIG_OF_GOOD, BSIG,
	    0, NULL },
	{ "D05_swapped", C_MULTI, H_K1, GOOD, S_HS_K1, M_SWAP, MAL, 0, NULL },
	{ "D05_wrong_secret", C_MULTI, H_K1, GOOD, S_HS_WRONG, M_NONE, BSIG, 0,
	    NULL },
	{ "D05_rs_sig_on_es_key", C_MULTI, "{\"alg\":\"ES256\",\"kid\":\"es\"}",
	    GOOD, S_RS256, M_NONE, BSIG, 0, NULL },
	{ "lib52_rs_sig_bang", C_MULTI, H_RS, GOOD, S_RS256, M_APPEND_BANG,
	    MAL, 0, NULL },
	{ "lib52_rs_sig_eq", C_MULTI, H_RS, GOOD, S_RS256, M_APPEND_EQ, MAL, 0,
	    NULL },
	{ "lib52_rs_sig_star", C_MULTI, H_RS, GOOD, S_RS256, M_INSERT_STAR,
	    MAL, 0, NULL },
	{ "lib52_hs_sig_bang", C_MULTI, H_K1, GOOD, S_HS_K1, M_APPEND_BANG, MAL,
	    0, NULL },
	{ "lib52_hs_sig_eq", C_MULTI, H_K1, GOOD, S_HS_K1, M_APPEND_EQ, MAL, 0,
	    NULL },
	{ "lib52_hs_sig_star", C_MULTI, H_K1, GOOD, S_HS_K1, M_INSERT_STAR, MAL,
	    0, NULL },
	{ "lib52_es_sig_bang", C_MULTI, H_ES, GOOD, S_ES256, M_APPEND_BANG, MAL,
	    0, NULL },

	/* D06: algorithm substitution within a family. */
	{ "D06_rs512_on_rs256_key", C_MULTI, "{\"alg\":\"RS512\",\"kid\":"
	    "\"rs\"}", GOOD, S_RS512, M_NONE, BALG, 0, NULL },
	{ "D06_rs256_hdr_rs512_sig", C_MULTI, H_RS, GOOD, S_RS512, M_NONE,
	    BSIG, 0, NULL },
	{ "D06_ps256_on_rs256_key", C_MULTI, "{\"alg\":\"PS256\",\"kid\":"
	    "\"rs\"}", GOOD, S_RS256, M_NONE, BALG, 0, NULL },
	{ "D06_es256_on_rs256_key", C_MULTI, "{\"alg\":\"ES256\",\"kid\":"
	    "\"rs\"}", GOOD, S_ES256, M_NONE, BALG, 0, NULL },
	{ "D06_rs256_on_es256_key", C_MULTI, "{\"alg\":\"RS256\",\"kid\":"
	    "\"es\"}", GOOD, S_RS256, M_NONE, BALG, 0, NULL },
	{ "D06_hs384_on_hs256_key", C_MULTI, "{\"alg\":\"HS384\",\"kid\":"
	    "\"k1\"}", GOOD, S_HS_K1, M_NONE, BALG, 0, NULL },
	{ "D06_alg_lower", C_MULTI, "{\"alg\":\"hs256\",\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_NONE, BALG, 0, NULL },
	{ "D06_alg_missing", C_MULTI, "{\"kid\":\"k1\"}", GOOD, S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D06_alg_number", C_MULTI, "{\"alg\":1,\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D06_alg_null", C_MULTI, "{\"alg\":null,\"kid\":\"k1\"}", GOOD,
	    S_HS_K1, M_NONE, MAL, 0, NULL },

	/* D07: kid injection; no-kid rules. */
	{ "D07_kid_path", C_MULTI, HDR("\"kid\":\"../../../../dev/null\""),
	    GOOD, S_HS_K1, M_NONE, UKEY, 0, NULL },
	{ "D07_kid_passwd", C_MULTI, HDR("\"kid\":\"/etc/passwd\""), GOOD,
	    S_HS_K1, M_NONE, UKEY, 0, NULL },
	{ "D07_kid_sql", C_MULTI, HDR("\"kid\":\"' OR '1'='1\""), GOOD,
	    S_HS_K1, M_NONE, UKEY, 0, NULL },
	{ "D07_kid_star", C_MULTI, HDR("\"kid\":\"*\""), GOOD, S_HS_K1, M_NONE,
	    UKEY, 0, NULL },
	{ "D07_kid_crlf", C_MULTI, HDR("\"kid\":\"x\\r\\nDEL *\""), GOOD,
	    S_HS_K1, M_NONE, UKEY, 0, NULL },
	{ "D07_kid_prefix", C_MULTI, HDR("\"kid\":\"k\""), GOOD, S_HS_K1,
	    M_NONE, UKEY, 0, NULL },
	{ "D07_kid_longer", C_MULTI, HDR("\"kid\":\"k11\""), GOOD, S_HS_K1,
	    M_NONE, UKEY, 0, NULL },
	{ "D07_kid_nul", C_MULTI, HDR("\"kid\":\"k1\\u0000\""), GOOD, S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D07_kid_empty", C_MULTI, HDR("\"kid\":\"\""), GOOD, S_HS_K1, M_NONE,
	    UKEY, 0, NULL },
	{ "D07_kid_integer", C_MULTI, HDR("\"kid\":1"), GOOD, S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D07_kid_null", C_MULTI, HDR("\"kid\":null"), GOOD, S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D07_kid_unknown", C_MULTI, HDR("\"kid\":\"k9\""), GOOD, S_HS_K1,
	    M_NONE, UKEY, 0, NULL },
	{ "D07_kid_unknown_one_key", C_ONE, HDR("\"kid\":\"k9\""), GOOD,
	    S_HS_K1, M_NONE, UKEY, 0, NULL },
	{ "no_kid_two_keys", C_MULTI, "{\"alg\":\"HS256\"}", GOOD, S_HS_K1,
	    M_NONE, UKEY, 0, NULL },

	/* D09: time claims (leeway 30 s, now 1700000000). */
	{ "D09_exp_now_minus_leeway_minus_1", C_MULTI, H_K1,
	    PL("\"iat\":1699990000,\"exp\":1699999969"), S_HS_K1, M_NONE, EXP,
	    0, NULL },
	{ "D09_exp_now_minus_leeway", C_MULTI, H_K1,
	    PL("\"iat\":1699990000,\"exp\":1699999970"), S_HS_K1, M_NONE, EXP,
	    0, NULL },
	{ "D09_exp_1970", C_MULTI, H_K1, PL("\"iat\":0,\"exp\":1000"), S_HS_K1,
	    M_NONE, EXP, 0, NULL },
	{ "D09_exp_missing", C_MULTI, H_K1, PL("\"iat\":1700000000"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_exp_string", C_MULTI, H_K1, PL_T("\"exp\":\"9999999999\""),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D09_exp_float_1e10", C_MULTI, H_K1, PL_T("\"exp\":1e10"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_exp_float_1_9e9", C_MULTI, H_K1, PL_T("\"exp\":1.9e9"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_exp_float_dot0", C_MULTI, H_K1, PL_T("\"exp\":1700003600.0"),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D09_exp_negative", C_MULTI, H_K1, PL_T("\"exp\":-1"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_exp_2_63", C_MULTI, H_K1, PL_T("\"exp\":9223372036854775808"),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D09_exp_int64_max", C_MULTI, H_K1,
	    PL_T("\"exp\":9223372036854775807"), S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "D09_exp_array", C_MULTI, H_K1, PL_T("\"exp\":[]"), S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D09_exp_null", C_MULTI, H_K1, PL_T("\"exp\":null"), S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D09_exp_bool", C_MULTI, H_K1, PL_T("\"exp\":true"), S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D09_nbf_future", C_MULTI, H_K1, PL(TIMES ",\"nbf\":1700000060"),
	    S_HS_K1, M_NONE, NYV, 0, NULL },
	{ "D09_nbf_leeway_plus_1", C_MULTI, H_K1,
	    PL(TIMES ",\"nbf\":1700000031"), S_HS_K1, M_NONE, NYV, 0, NULL },
	{ "D09_nbf_float", C_MULTI, H_K1, PL(TIMES ",\"nbf\":1.0"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_nbf_string", C_MULTI, H_K1, PL(TIMES ",\"nbf\":\"0\""), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_iat_future", C_MULTI, H_K1, PL_E("\"iat\":1700003600"), S_HS_K1,
	    M_NONE, NYV, 0, NULL },
	{ "D09_iat_leeway_plus_1", C_MULTI, H_K1, PL_E("\"iat\":1700000031"),
	    S_HS_K1, M_NONE, NYV, 0, NULL },
	{ "D09_iat_missing", C_MULTI, H_K1, PL("\"exp\":1700003600"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "D09_iat_string", C_MULTI, H_K1, PL_E("\"iat\":\"1700000000\""),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D09_iat_float", C_MULTI, H_K1, PL_E("\"iat\":1.7e9"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },

	/* Sandbox and port claims. */
	{ "sbx_missing", C_MULTI, H_K1, "{\"aud\":\"drawbridge\"," TIMES "}",
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_number", C_MULTI, H_K1, "{\"sbx\":1,\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_upper", C_MULTI, H_K1, "{\"sbx\":\"SBX1\",\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_empty", C_MULTI, H_K1, "{\"sbx\":\"\",\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_leading_hyphen", C_MULTI, H_K1, "{\"sbx\":\"-sbx\",\"aud\":"
	    "\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_trailing_hyphen", C_MULTI, H_K1, "{\"sbx\":\"sbx-\",\"aud\":"
	    "\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_dot", C_MULTI, H_K1, "{\"sbx\":\"a.b\",\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_64_chars", C_MULTI, H_K1, "{\"sbx\":\"aaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "sbx_63_chars", C_MULTI, H_K1, "{\"sbx\":\"aaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"aud\":\"drawbridge\","
	    TIMES "}", S_HS_K1, M_NONE, OK, 0, "k1" },
	{ "D11_sbx_nul", C_MULTI, H_K1, "{\"sbx\":\"sbx1\\u0000x\",\"aud\":"
	    "\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_sbx_non_utf8", C_MULTI, H_K1, "{\"sbx\":\"sbx\xff\",\"aud\":"
	    "\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "port_zero", C_MULTI, H_K1, PL(TIMES ",\"port\":0"), S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "port_65536", C_MULTI, H_K1, PL(TIMES ",\"port\":65536"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "port_string", C_MULTI, H_K1, PL(TIMES ",\"port\":\"8080\""),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "port_float", C_MULTI, H_K1, PL(TIMES ",\"port\":8080.0"), S_HS_K1,
	    M_NONE, MAL, 0, NULL },

	/* D10: audience; issuer. */
	{ "D10_aud_wrong", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":\"other\","
	    TIMES "}", S_HS_K1, M_NONE, BAUD, 0, NULL },
	{ "D10_aud_case", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":"
	    "\"Drawbridge\"," TIMES "}", S_HS_K1, M_NONE, BAUD, 0, NULL },
	{ "D10_aud_missing", C_MULTI, H_K1, "{\"sbx\":\"sbx1\"," TIMES "}",
	    S_HS_K1, M_NONE, BAUD, 0, NULL },
	{ "D10_aud_array_wrong", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":"
	    "[\"other\"]," TIMES "}", S_HS_K1, M_NONE, BAUD, 0, NULL },
	{ "D10_aud_array_empty", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":[],"
	    TIMES "}", S_HS_K1, M_NONE, BAUD, 0, NULL },
	{ "D10_aud_array_number", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":"
	    "[\"drawbridge\",1]," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D10_aud_number", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":5,"
	    TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D10_aud_object", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"aud\":"
	    "{\"drawbridge\":1}," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "iss_wrong", C_ISS, H_K1, PL(TIMES ",\"iss\":\"https://evil\""),
	    S_HS_K1, M_NONE, BISS, 0, NULL },
	{ "iss_missing", C_ISS, H_K1, GOOD, S_HS_K1, M_NONE, BISS, 0, NULL },
	{ "iss_number", C_ISS, H_K1, PL(TIMES ",\"iss\":1"), S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "iss_prefix", C_ISS, H_K1, PL(TIMES ",\"iss\":\"https://cp/\""),
	    S_HS_K1, M_NONE, BISS, 0, NULL },

	/* D11: duplicate members, odd JSON. */
	{ "D11_hdr_dup_alg", C_MULTI, "{\"alg\":\"HS256\",\"alg\":\"none\","
	    "\"kid\":\"k1\"}", GOOD, S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_hdr_dup_kid", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"k9\","
	    "\"kid\":\"k1\"}", GOOD, S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_pl_dup_sbx", C_MULTI, H_K1, "{\"sbx\":\"sbx1\",\"sbx\":\"sbx2\","
	    "\"aud\":\"drawbridge\"," TIMES "}", S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_pl_dup_exp", C_MULTI, H_K1, PL(TIMES ",\"exp\":1800000000"),
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_pl_nested_dup", C_MULTI, H_K1, PL(TIMES ",\"x\":{\"a\":1,"
	    "\"a\":2}"), S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "D11_pl_bom", C_MULTI, H_K1, "\xef\xbb\xbf" GOOD, S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D11_pl_array", C_MULTI, H_K1, "[" GOOD "]", S_HS_K1, M_NONE, MAL, 0,
	    NULL },
	{ "D11_pl_not_json", C_MULTI, H_K1, "sbx=sbx1", S_HS_K1, M_NONE, MAL, 0,
	    NULL },
	{ "D11_pl_trailing_garbage", C_MULTI, H_K1, GOOD "x", S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "D11_pl_two_objects", C_MULTI, H_K1, GOOD "{}", S_HS_K1, M_NONE, MAL,
	    0, NULL },
	{ "D11_hdr_string", C_MULTI, "\"HS256\"", GOOD, S_HS_K1, M_NONE, MAL, 0,
	    NULL },

	/* typ and refused header parameters. */
	{ "D11_hdr_dup_typ", C_MULTI, HK1("\"typ\":\"at+jwt\""), GOOD,
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "typ_at_jwt_only", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"k1\","
	    "\"typ\":\"at+jwt\"}", GOOD, S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "typ_lower", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":"
	    "\"jwt\"}", GOOD, S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "typ_number", C_MULTI, "{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":1}",
	    GOOD, S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "crit", C_MULTI, HK1("\"crit\":[\"exp\"],\"exp\":1"), GOOD, S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "crit_empty", C_MULTI, HK1("\"crit\":[]"), GOOD, S_HS_K1, M_NONE,
	    MAL, 0, NULL },
	{ "jku", C_MULTI, HK1("\"jku\":\"https://evil/jwks\""), GOOD, S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "x5u", C_MULTI, HK1("\"x5u\":\"https://evil/c.pem\""), GOOD, S_HS_K1,
	    M_NONE, MAL, 0, NULL },
	{ "jwk", C_MULTI, HK1("\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}"), GOOD,
	    S_HS_K1, M_NONE, MAL, 0, NULL },
	{ "x5c", C_MULTI, HK1("\"x5c\":[\"MIIB\"]"), GOOD, S_HS_K1, M_NONE,
	    MAL, 0, NULL },

	/* D12: base64url malleability. */
	{ "D12_pad_header", C_MULTI, H_K1, GOOD, S_HS_K1, M_PAD_HDR, MAL, 0,
	    NULL },
	{ "D12_plus", C_MULTI, H_K1, GOOD, S_HS_K1, M_PLUS, MAL, 0, NULL },
	{ "D12_slash", C_MULTI, H_K1, GOOD, S_HS_K1, M_SLASH, MAL, 0, NULL },
	{ "D12_space", C_MULTI, H_K1, GOOD, S_HS_K1, M_SPACE, MAL, 0, NULL },
	{ "D12_newline", C_MULTI, H_K1, GOOD, S_HS_K1, M_NEWLINE, MAL, 0,
	    NULL },
	{ "D12_trailing_dot", C_MULTI, H_K1, GOOD, S_HS_K1, M_TRAIL_DOT, MAL, 0,
	    NULL },
	{ "D12_four_segments", C_MULTI, H_K1, GOOD, S_HS_K1, M_FOUR_SEGS, MAL,
	    0, NULL },
	{ "D12_noncanonical_hs", C_MULTI, H_K1, GOOD, S_HS_K1, M_NONCANON, MAL,
	    0, NULL },
	{ "D12_noncanonical_rs", C_MULTI, H_RS, GOOD, S_RS256, M_NONCANON, MAL,
	    0, NULL },
	{ "D12_noncanonical_es", C_MULTI, H_ES, GOOD, S_ES256, M_NONCANON, MAL,
	    0, NULL },
};

static void
run_case(const struct jcase *c)
{
	struct authz_claims cl;
	char	*t = mutate(mk(c->hdr, c->pl, c->signer), c->mut);
	enum authz_tok got;

	memset(&cl, 0xa5, sizeof(cl));
	got = jwt_verify(&confs[c->conf], t, strlen(t), NOW, &cl);
	if (got != c->want)
		print_error("case %s: got %s want %s\n", c->name,
		    jwt_tok_code(got), jwt_tok_code(c->want));
	assert_int_equal(got, c->want);
	if (got == AUTHZ_TOK_OK) {
		assert_int_equal(cl.port, c->port);
		assert_string_equal(cl.kid, c->kid);
		assert_true(cl.exp > 0 && cl.iat >= 0);
		assert_true(strlen(cl.sbx) > 0);
	}
	free(t);
}

static void
test_table(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(jcases); i++)
		run_case(&jcases[i]);
}

static void
test_claims_values(void **state)
{
	struct authz_claims cl;
	char	*t;

	(void)state;
	t = mk(H_K1, PL("\"iat\":1699999000,\"exp\":1700003600,"
	    "\"nbf\":1699999500,\"port\":3000"), S_HS_K1);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_OK);
	assert_string_equal(cl.sbx, "sbx1");
	assert_int_equal(cl.iat, 1699999000);
	assert_int_equal(cl.exp, 1700003600);
	assert_int_equal(cl.nbf, 1699999500);
	assert_int_equal(cl.port, 3000);
	assert_string_equal(cl.kid, "k1");
	free(t);
}

/* Too large: rejected before anything looks at the bytes. */
static void
test_too_large(void **state)
{
	size_t		 big = 16u * 1024 * 1024, sizes[] = {
	    CONF_MAX_TOKEN_BYTES + 1, 1024 * 1024, big };
	char		*t = malloc(big);
	struct authz_claims cl;
	size_t		 i;

	(void)state;
	assert_non_null(t);
	memset(t, 'A', big);
	t[100] = '.';
	t[200] = '.';
	for (i = 0; i < DB_ARRLEN(sizes); i++)
		assert_int_equal(jwt_verify(&confs[C_MULTI], t, sizes[i], NOW,
		    &cl), AUTHZ_TOK_TOO_LARGE);
	/* A valid-looking RS256 token with a 16 MB header: the libjwt
	 * alloca crash of library-notes 5.2. */
	memcpy(t, "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzIn0", 35);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, big, NOW, &cl),
	    AUTHZ_TOK_TOO_LARGE);
	free(t);
}

/* Valid RS256 and HS256 tokens right at the size cap go through. */
static void
test_near_cap(void **state)
{
	struct authz_claims cl;
	char	 pl[8192], *t;
	size_t	 fill;
	int	 n, ok_rs = 0, big_rs = 0;

	(void)state;
	for (fill = 4000; fill < 6500; fill += 98) {
		n = snprintf(pl, sizeof(pl), "{\"sbx\":\"sbx1\",\"aud\":"
		    "\"drawbridge\"," TIMES ",\"pad\":\"%0*d\"}", (int)fill, 0);
		assert_true(n > 0 && (size_t)n < sizeof(pl));
		t = mk(H_RS, pl, S_RS256);
		if (strlen(t) <= CONF_MAX_TOKEN_BYTES) {
			assert_int_equal(jwt_verify(&confs[C_MULTI], t,
			    strlen(t), NOW, &cl), AUTHZ_TOK_OK);
			ok_rs++;
		} else {
			assert_int_equal(jwt_verify(&confs[C_MULTI], t,
			    strlen(t), NOW, &cl), AUTHZ_TOK_TOO_LARGE);
			big_rs++;
		}
		free(t);
	}
	assert_true(ok_rs > 0 && big_rs > 0);
}

static void
test_syntax(void **state)
{
	static const char *bad[] = {
		"", ".", "..", "...", "a", "a.b", "a.b.", ".b.c", "a..c",
		"a.b.c.d", "eyJ9.eyJ9.AAAA", "e30.e30.AAAA", "e30.e30.A",
		"e30=.e30.AAAA", "e30.e30.AA AA", "e30.e30.AA\0A",
	};
	struct authz_claims cl;
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(bad); i++)
		assert_int_equal(jwt_verify(&confs[C_MULTI], bad[i],
		    strlen(bad[i]) + (i == DB_ARRLEN(bad) - 1 ? 2 : 0), NOW,
		    &cl), AUTHZ_TOK_MALFORMED);
	assert_int_equal(jwt_verify(&confs[C_MULTI], NULL, 0, NOW, &cl),
	    AUTHZ_TOK_MALFORMED);
}

/* A config with a NULL/empty key never verifies anything. */
static void
test_empty_key(void **state)
{
	struct config	*c = calloc(1, sizeof(*c));
	struct authz_claims cl;
	char		*t;

	(void)state;
	assert_non_null(c);
	c->njwt_keys = 1;
	str_lcpy(c->jwt_keys[0].kid, "rs", sizeof(c->jwt_keys[0].kid));
	c->jwt_keys[0].alg = CONF_ALG_RS256;
	str_lcpy(c->jwt_audience, "drawbridge", sizeof(c->jwt_audience));
	t = mk(H_RS, GOOD, S_RS256);
	assert_int_equal(jwt_verify(c, t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_BAD_SIGNATURE);
	free(t);
	c->jwt_keys[0].alg = CONF_ALG_HS256;
	str_lcpy(c->jwt_keys[0].kid, "k1", sizeof(c->jwt_keys[0].kid));
	t = mk(H_K1, GOOD, S_HS_EMPTY);
	assert_int_equal(jwt_verify(c, t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_BAD_SIGNATURE);
	free(t);
	t = mk("{\"alg\":\"none\"}", GOOD, S_HS_EMPTY);
	assert_int_equal(jwt_verify(c, t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_BAD_ALG);
	free(t);
	/* No keys at all. */
	c->njwt_keys = 0;
	t = mk(H_K1, GOOD, S_HS_K1);
	assert_int_equal(jwt_verify(c, t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_UNKNOWN_KEY);
	free(t);
	free(c);
}

/* 10 KiB kid: too large, whatever else. */
static void
test_kid_10k(void **state)
{
	char	*hdr = malloc(11000), *t;
	struct authz_claims cl;

	(void)state;
	assert_non_null(hdr);
	memcpy(hdr, "{\"alg\":\"HS256\",\"kid\":\"", 22);
	memset(hdr + 22, 'k', 10240);
	memcpy(hdr + 22 + 10240, "\"}", 3);
	t = mk(hdr, GOOD, S_HS_K1);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_TOO_LARGE);
	free(t);
	/* 5000 bytes fits under the cap: unknown key. */
	memset(hdr + 22, 'k', 5000);
	memcpy(hdr + 22 + 5000, "\"}", 3);
	t = mk(hdr, GOOD, S_HS_K1);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_UNKNOWN_KEY);
	free(t);
	free(hdr);
}

/* Every single-byte change of a good token is refused (HS and RS). */
static void
test_mutate_every_byte(void **state)
{
	static const char repl[] = "A_-.=!*+/ \n\0";
	const char	*hdrs[] = { H_K1, H_RS };
	enum signer	 sg[] = { S_HS_K1, S_RS256 };
	struct authz_claims cl;
	size_t		 h, i, r, n;
	char		*t;

	(void)state;
	for (h = 0; h < DB_ARRLEN(hdrs); h++) {
		t = mk(hdrs[h], GOOD, sg[h]);
		n = strlen(t);
		assert_int_equal(jwt_verify(&confs[C_MULTI], t, n, NOW, &cl),
		    AUTHZ_TOK_OK);
		for (i = 0; i < n; i += (h == 1 ? 7 : 1)) {
			for (r = 0; r < sizeof(repl) - 1; r++) {
				char	 o = t[i];

				if (o == repl[r])
					continue;
				t[i] = repl[r];
				assert_int_not_equal(jwt_verify(
				    &confs[C_MULTI], t, n, NOW, &cl),
				    AUTHZ_TOK_OK);
				t[i] = o;
			}
		}
		/* Truncations. */
		for (i = 0; i < n; i++)
			assert_int_not_equal(jwt_verify(&confs[C_MULTI], t, i,
			    NOW, &cl), AUTHZ_TOK_OK);
		free(t);
	}
}

static void
test_mint(void **state)
{
	struct authz_claims cl;
	char	*t;

	(void)state;
	/* NULL kid: first HS key (k1 in C_MULTI). */
	t = jwt_mint(&confs[C_MULTI], NULL, "sbx1", 0, NOW, 3600);
	assert_non_null(t);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_OK);
	assert_string_equal(cl.sbx, "sbx1");
	assert_string_equal(cl.kid, "k1");
	assert_int_equal(cl.iat, NOW);
	assert_int_equal(cl.exp, NOW + 3600);
	assert_int_equal(cl.port, 0);
	assert_int_equal(cl.nbf, 0);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t),
	    NOW + 3600 + 30, &cl), AUTHZ_TOK_EXPIRED);
	free(t);

	t = jwt_mint(&confs[C_MULTI], "k2", "abc-def", 8080, NOW, 60);
	assert_non_null(t);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_OK);
	assert_string_equal(cl.kid, "k2");
	assert_int_equal(cl.port, 8080);
	free(t);

	/* Issuer and audience are carried; aud omitted when off. */
	t = jwt_mint(&confs[C_ISS], "k1", "sbx1", 4001, NOW, 60);
	assert_non_null(t);
	assert_int_equal(jwt_verify(&confs[C_ISS], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_OK);
	free(t);
	t = jwt_mint(&confs[C_NOAUD], "k1", "sbx1", 0, NOW, 60);
	assert_non_null(t);
	assert_int_equal(jwt_verify(&confs[C_NOAUD], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_OK);
	assert_int_equal(jwt_verify(&confs[C_MULTI], t, strlen(t), NOW, &cl),
	    AUTHZ_TOK_BAD_AUDIENCE);
	free(t);

	/* Refusals. */
	assert_null(jwt_mint(&confs[C_MULTI], "rs", "sbx1", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], "es", "sbx1", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], "k9", "sbx1", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_ONE_RS], NULL, "sbx1", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], NULL, "SBX1", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], NULL, "", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], NULL, "a\"b", 0, NOW, 60));
	assert_null(jwt_mint(&confs[C_MULTI], NULL, "sbx1", 0, NOW, 0));
	assert_null(jwt_mint(&confs[C_MULTI], NULL, NULL, 0, NOW, 60));
	assert_null(jwt_mint(NULL, NULL, "sbx1", 0, NOW, 60));
}

static void
test_codes(void **state)
{
	static const struct {
		enum authz_tok	 t;
		const char	*code;
	} codes[] = {
		{ AUTHZ_TOK_OK, "ok" },
		{ AUTHZ_TOK_MALFORMED, "token_malformed" },
		{ AUTHZ_TOK_TOO_LARGE, "token_too_large" },
		{ AUTHZ_TOK_UNKNOWN_KEY, "token_unknown_key" },
		{ AUTHZ_TOK_BAD_ALG, "token_bad_alg" },
		{ AUTHZ_TOK_BAD_SIGNATURE, "token_bad_signature" },
		{ AUTHZ_TOK_EXPIRED, "token_expired" },
		{ AUTHZ_TOK_NOT_YET_VALID, "token_not_yet_valid" },
		{ AUTHZ_TOK_BAD_AUDIENCE, "token_bad_audience" },
		{ AUTHZ_TOK_BAD_ISSUER, "token_bad_issuer" },
		{ (enum authz_tok)99, "token_invalid" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(codes); i++)
		assert_string_equal(jwt_tok_code(codes[i].t), codes[i].code);
}

/* ---- setup ---- */

static void
conf_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	str_lcpy(c->jwt_audience, "drawbridge", sizeof(c->jwt_audience));
	c->jwt_leeway_s = 30;
	c->token_cache_slots = 4096;
}

static void
conf_key(struct config *c, const char *kid, enum conf_alg alg,
    const unsigned char *key, size_t len)
{
	struct conf_jwt_key *k = &c->jwt_keys[c->njwt_keys++];

	str_lcpy(k->kid, kid, sizeof(k->kid));
	k->alg = alg;
	k->key = (unsigned char *)(uintptr_t)key;
	k->keylen = len;
}

static int
setup(void **state)
{
	BIO	*b;

	(void)state;
	rsa_key = EVP_RSA_gen(2048);
	ec_key = EVP_EC_gen("P-256");
	if (rsa_key == NULL || ec_key == NULL)
		return -1;
	rsa_pem = pem_pub(rsa_key, &rsa_pem_len);
	ec_pem = pem_pub(ec_key, &ec_pem_len);
	b = BIO_new(BIO_s_mem());
	if (b == NULL || i2d_PUBKEY_bio(b, rsa_key) != 1)
		return -1;
	rsa_der = bio_take(b, &rsa_der_len);
	BIO_free(b);

	conf_init(&confs[C_MULTI]);
	conf_key(&confs[C_MULTI], "k1", CONF_ALG_HS256, k1_secret,
	    sizeof(k1_secret) - 1);
	conf_key(&confs[C_MULTI], "k2", CONF_ALG_HS512, k2_secret,
	    sizeof(k2_secret) - 1);
	conf_key(&confs[C_MULTI], "rs", CONF_ALG_RS256, rsa_pem, rsa_pem_len);
	conf_key(&confs[C_MULTI], "es", CONF_ALG_ES256, ec_pem, ec_pem_len);

	conf_init(&confs[C_ONE]);
	conf_key(&confs[C_ONE], "k1", CONF_ALG_HS256, k1_secret,
	    sizeof(k1_secret) - 1);

	conf_init(&confs[C_ONE_RS]);
	conf_key(&confs[C_ONE_RS], "rs", CONF_ALG_RS256, rsa_pem, rsa_pem_len);

	conf_init(&confs[C_ISS]);
	conf_key(&confs[C_ISS], "k1", CONF_ALG_HS256, k1_secret,
	    sizeof(k1_secret) - 1);
	str_lcpy(confs[C_ISS].jwt_issuer, "https://cp",
	    sizeof(confs[C_ISS].jwt_issuer));

	conf_init(&confs[C_NOAUD]);
	confs[C_NOAUD].jwt_audience[0] = '\0';
	conf_key(&confs[C_NOAUD], "k1", CONF_ALG_HS256, k1_secret,
	    sizeof(k1_secret) - 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	free(rsa_pem);
	free(ec_pem);
	free(rsa_der);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_claims_values),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_near_cap),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_empty_key),
		cmocka_unit_test(test_kid_10k),
		cmocka_unit_test(test_mutate_every_byte),
		cmocka_unit_test(test_mint),
		cmocka_unit_test(test_codes),
	};

	return cmocka_run_group_tests_name("jwt", tests, setup, teardown);
}
