/*
 * jwt.c -- bearer JWT verification and minting.
 *
 * libjwt 1.10.2 (Debian) verifies a signature and nothing else, and even
 * that only when it is handed a key: a NULL key accepts anything, the
 * token picks the algorithm (HS256 keyed with an RSA PEM is accepted),
 * libb64 skips characters outside the alphabet, and the decoder alloca()s
 * the token.  So before libjwt sees a token we:
 *
 *   - cap its size (CONF_MAX_TOKEN_BYTES),
 *   - require compact JWS syntax: exactly three non-empty base64url
 *     segments, alphabet [A-Za-z0-9_-] only, no padding, canonical
 *     trailing bits (so one token has exactly one spelling),
 *   - decode header and payload ourselves and parse them with jansson
 *     rejecting duplicate keys, so the values we check are the values
 *     that were signed,
 *   - look the key up by kid (no kid only with exactly one key) and pin
 *     the algorithm to the key; typ must be "JWT"; crit/jku/x5u/jwk/x5c
 *     are refused.
 *
 * HS* signatures are checked here with OpenSSL HMAC and CRYPTO_memcmp
 * (3 us, and none of libjwt's quirks).  RS* and ES* go to jwt_decode()
 * with the configured PEM (never NULL or empty) and jwt_get_alg() must
 * equal the pin afterwards.  libjwt re-parses the PEM on every call
 * (about 340 us for RS256); the per-worker token cache hides that for
 * repeated tokens.  Claims are checked here: sbx, aud, iss, iat, exp,
 * nbf, port, with the configured leeway.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

/* Largest decoded signature we look at: RSA-8192. */
#define JWT_MAX_SIG		1024
/* Largest key handed to HMAC (config caps much lower). */
#define JWT_MAX_HMAC_KEY	(64 * 1024)
/* Longest lifetime jwt_mint() issues: ten years. */
#define JWT_MAX_TTL		(10ULL * 366 * 24 * 3600)

struct jwt_alg_def {
	const char	*name;
	enum conf_alg	 alg;
	jwt_alg_t	 jalg;
	int		 hmac;
	const EVP_MD	*(*md)(void);
};

static const struct jwt_alg_def jwt_algs[] = {
	{ "HS256", CONF_ALG_HS256, JWT_ALG_HS256, 1, EVP_sha256 },
	{ "HS384", CONF_ALG_HS384, JWT_ALG_HS384, 1, EVP_sha384 },
	{ "HS512", CONF_ALG_HS512, JWT_ALG_HS512, 1, EVP_sha512 },
	{ "RS256", CONF_ALG_RS256, JWT_ALG_RS256, 0, EVP_sha256 },
	{ "RS384", CONF_ALG_RS384, JWT_ALG_RS384, 0, EVP_sha384 },
	{ "RS512", CONF_ALG_RS512, JWT_ALG_RS512, 0, EVP_sha512 },
	{ "ES256", CONF_ALG_ES256, JWT_ALG_ES256, 0, EVP_sha256 },
	{ "ES384", CONF_ALG_ES384, JWT_ALG_ES384, 0, EVP_sha384 },
	{ "ES512", CONF_ALG_ES512, JWT_ALG_ES512, 0, EVP_sha512 },
};

/* Header parameters we refuse outright (RFC 8725 3.10, RFC 7515 4.1.11). */
static const char *const jwt_refused_hdr[] = {
	"crit", "jku", "x5u", "jwk", "x5c"
};

static const struct jwt_alg_def *
jwt_alg_by_name(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(jwt_algs); i++)
		if (strlen(jwt_algs[i].name) == len &&
		    memcmp(jwt_algs[i].name, s, len) == 0)
			return &jwt_algs[i];
	return NULL;
}

static const struct jwt_alg_def *
jwt_alg_by_conf(enum conf_alg a)
{
	size_t	 i;

	for (i = 0; i < DB_ARRLEN(jwt_algs); i++)
		if (jwt_algs[i].alg == a)
			return &jwt_algs[i];
	return NULL;
}

/* Sandbox id syntax (same rule as host_valid_id, kept local so authz/
 * does not link routing/host.c): [a-z0-9-]{1,63}, alnum at both ends. */
static int
jwt_valid_sbx(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > ROUTE_MAX_ID)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (c == '-' && i != 0 && i != len - 1)
			continue;
		return 0;
	}
	return 1;
}

/* Decode one segment and parse it as a JSON object, duplicates refused. */
static json_t *
jwt_json_segment(const char *seg, size_t len)
{
	unsigned char	 buf[CONF_MAX_TOKEN_BYTES];
	size_t		 n;
	json_error_t	 jerr;
	json_t		*j;

	if (enc_b64url_decode(seg, len, buf, sizeof(buf), &n) == -1)
		return NULL;
	j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(buf, n);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A JSON integer claim: 1 present and valid, 0 absent, -1 malformed. */
static int
jwt_int_claim(json_t *obj, const char *name, int64_t *out)
{
	json_t	*v = json_object_get(obj, name);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 1;
}

/* Does a string JSON value equal the C string s exactly? */
static int
jwt_str_eq(json_t *v, const char *s)
{
	size_t	 n = strlen(s);

	return json_is_string(v) && json_string_length(v) == n &&
	    memcmp(json_string_value(v), s, n) == 0;
}

/* Find the key for the header; sets *rc on failure. */
static const struct conf_jwt_key *
jwt_find_key(const struct config *conf, json_t *hdr, enum authz_tok *rc)
{
	json_t	*kid = json_object_get(hdr, "kid");
	size_t	 i;

	if (kid == NULL) {
		if (conf->njwt_keys == 1)
			return &conf->jwt_keys[0];
		*rc = AUTHZ_TOK_UNKNOWN_KEY;
		return NULL;
	}
	if (!json_is_string(kid)) {
		*rc = AUTHZ_TOK_MALFORMED;
		return NULL;
	}
	for (i = 0; i < conf->njwt_keys && i < CONF_MAX_JWT_KEYS; i++)
		if (jwt_str_eq(kid, conf->jwt_keys[i].kid))
			return &conf->jwt_keys[i];
	*rc = AUTHZ_TOK_UNKNOWN_KEY;
	return NULL;
}

/* HMAC of signing input in[0..len) with key k. */
static int
jwt_hmac(const struct jwt_alg_def *a, const struct conf_jwt_key *k,
    const char *in, size_t len, unsigned char *mac, unsigned *maclen)
{
	if (k->key == NULL || k->keylen == 0 || k->keylen > JWT_MAX_HMAC_KEY)
		return -1;
	if (HMAC(a->md(), k->key, (int)k->keylen, (const unsigned char *)in,
	    len, mac, maclen) == NULL)
		return -1;
	return 0;
}

/* RS* / ES*: libjwt with the pinned PEM, then the alg it saw. */
static enum authz_tok
jwt_verify_libjwt(const struct jwt_alg_def *a, const struct conf_jwt_key *k,
    const char *tok, size_t len)
{
	char		 buf[CONF_MAX_TOKEN_BYTES + 1];
	jwt_t		*j = NULL;
	enum authz_tok	 rc = AUTHZ_TOK_BAD_SIGNATURE;

	/* Never NULL or empty: libjwt would then accept anything. */
	if (k->key == NULL || k->keylen == 0 || k->keylen > INT_MAX ||
	    len > CONF_MAX_TOKEN_BYTES)
		return AUTHZ_TOK_BAD_SIGNATURE;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	if (jwt_decode(&j, buf, k->key, (int)k->keylen) != 0 || j == NULL)
		goto fail;
	if (jwt_get_alg(j) != a->jalg) {
		rc = AUTHZ_TOK_BAD_ALG;
		goto fail;
	}
	rc = AUTHZ_TOK_OK;
 fail:
	jwt_free(j);
	return rc;
}

/* Claim checks on a verified payload. */
static enum authz_tok
jwt_claims(const struct config *conf, json_t *pl, time_t now,
    struct authz_claims *out)
{
	json_t	*sbx, *aud, *iss;
	int64_t	 leeway, port = 0, tnow = (int64_t)now;
	size_t	 i;
	int	 r = 0, found;

	sbx = json_object_get(pl, "sbx");
	if (!json_is_string(sbx) || !jwt_valid_sbx(json_string_value(sbx),
	    json_string_length(sbx)))
		return AUTHZ_TOK_MALFORMED;
	if (jwt_int_claim(pl, "exp", &out->exp) != 1 ||
	    jwt_int_claim(pl, "iat", &out->iat) != 1 ||
	    jwt_int_claim(pl, "nbf", &out->nbf) == -1 ||
	    (r = jwt_int_claim(pl, "port", &port)) == -1)
		return AUTHZ_TOK_MALFORMED;
	if (r == 1 && (port < 1 || port > 65535))
		return AUTHZ_TOK_MALFORMED;
	out->port = (uint16_t)port;
	memcpy(out->sbx, json_string_value(sbx), json_string_length(sbx));
	out->sbx[json_string_length(sbx)] = '\0';

	leeway = (int64_t)DB_MIN(conf->jwt_leeway_s, 300);
	if (out->exp <= tnow - leeway)
		return AUTHZ_TOK_EXPIRED;
	if (out->nbf > tnow + leeway || out->iat > tnow + leeway)
		return AUTHZ_TOK_NOT_YET_VALID;

	if (conf->jwt_audience[0] != '\0') {
		aud = json_object_get(pl, "aud");
		found = 0;
		if (aud == NULL)
			return AUTHZ_TOK_BAD_AUDIENCE;
		if (json_is_string(aud))
			found = jwt_str_eq(aud, conf->jwt_audience);
		else if (json_is_array(aud)) {
			for (i = 0; i < json_array_size(aud); i++) {
				json_t	*e = json_array_get(aud, i);

				if (!json_is_string(e))
					return AUTHZ_TOK_MALFORMED;
				if (jwt_str_eq(e, conf->jwt_audience))
					found = 1;
			}
		} else
			return AUTHZ_TOK_MALFORMED;
		if (!found)
			return AUTHZ_TOK_BAD_AUDIENCE;
	}
	if (conf->jwt_issuer[0] != '\0') {
		iss = json_object_get(pl, "iss");
		if (iss != NULL && !json_is_string(iss))
			return AUTHZ_TOK_MALFORMED;
		if (!jwt_str_eq(iss, conf->jwt_issuer))
			return AUTHZ_TOK_BAD_ISSUER;
	}
	return AUTHZ_TOK_OK;
}

enum authz_tok
jwt_verify(const struct config *conf, const char *tok, size_t len,
    time_t now, struct authz_claims *out)
{
	const struct jwt_alg_def *a;
	const struct conf_jwt_key *k;
	const char	*d1, *d2, *sigseg;
	unsigned char	 sig[JWT_MAX_SIG], mac[EVP_MAX_MD_SIZE];
	unsigned	 maclen;
	size_t		 i, hlen, plen, slen, siglen;
	json_t		*hdr = NULL, *pl = NULL, *v;
	enum authz_tok	 rc = AUTHZ_TOK_MALFORMED;
	struct authz_claims c;

	memset(&c, 0, sizeof(c));
	if (len > CONF_MAX_TOKEN_BYTES)
		return AUTHZ_TOK_TOO_LARGE;
	if (tok == NULL || len == 0)
		return AUTHZ_TOK_MALFORMED;

	/* Compact JWS: h.p.s, each non-empty, nothing but base64url. */
	d1 = memchr(tok, '.', len);
	if (d1 == NULL)
		return AUTHZ_TOK_MALFORMED;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
		return AUTHZ_TOK_MALFORMED;
	hlen = (size_t)(d1 - tok);
	plen = (size_t)(d2 - d1 - 1);
	sigseg = d2 + 1;
	slen = len - (size_t)(sigseg - tok);
	if (hlen == 0 || plen == 0 || slen == 0)
		return AUTHZ_TOK_MALFORMED;
	for (i = 0; i < len; i++)
		if (tok[i] != '.' && enc_b64url_val((unsigned char)tok[i]) < 0)
			return AUTHZ_TOK_MALFORMED;

	if ((hdr = jwt_json_segment(tok, hlen)) == NULL)
		goto fail;
	if ((pl = jwt_json_segment(d1 + 1, plen)) == NULL)
		goto fail;
	if (slen > (JWT_MAX_SIG * 4 + 2) / 3) {
		/* No key of ours makes a signature that long. */
		rc = AUTHZ_TOK_BAD_SIGNATURE;
		goto fail;
	}
	if (enc_b64url_decode(sigseg, slen, sig, sizeof(sig), &siglen) == -1)
		goto fail;

	/* Header. */
	for (i = 0; i < DB_ARRLEN(jwt_refused_hdr); i++)
		if (json_object_get(hdr, jwt_refused_hdr[i]) != NULL)
			goto fail;
	if ((v = json_object_get(hdr, "typ")) != NULL && !jwt_str_eq(v, "JWT"))
		goto fail;
	v = json_object_get(hdr, "alg");
	if (!json_is_string(v))
		goto fail;
	a = jwt_alg_by_name(json_string_value(v), json_string_length(v));
	if ((k = jwt_find_key(conf, hdr, &rc)) == NULL)
		goto fail;
	if (a == NULL || a->alg != k->alg) {
		rc = AUTHZ_TOK_BAD_ALG;
		goto fail;
	}

	/* Signature over "header.payload". */
	rc = AUTHZ_TOK_BAD_SIGNATURE;
	if (a->hmac) {
		if (jwt_hmac(a, k, tok, hlen + 1 + plen, mac, &maclen) == -1)
			goto fail;
		if (siglen != maclen || CRYPTO_memcmp(sig, mac, maclen) != 0)
			goto fail;
	} else if ((rc = jwt_verify_libjwt(a, k, tok, len)) != AUTHZ_TOK_OK)
		goto fail;

	if ((rc = jwt_claims(conf, pl, now, &c)) != AUTHZ_TOK_OK)
		goto fail;
	str_lcpy(c.kid, k->kid, sizeof(c.kid));
	*out = c;
 fail:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_decref(pl);
	json_decref(hdr);
	return rc;
}

/* Append "b64url(json)" of obj to out at *n. */
static int
jwt_put_json(json_t *obj, char *out, size_t outsz, size_t *n)
{
	char	*s;
	size_t	 w;

	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		return -1;
	w = enc_b64url_encode((const unsigned char *)s, strlen(s), out + *n,
	    outsz - *n);
	free(s);
	if (w == 0)
		return -1;
	*n += w;
	return 0;
}

char *
jwt_mint(const struct config *conf, const char *kid, const char *sbx,
    uint16_t port, time_t now, uint64_t ttl)
{
	const struct conf_jwt_key *k = NULL;
	const struct jwt_alg_def *a = NULL;
	json_t		*hdr = NULL, *pl = NULL;
	char		*out = NULL;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned	 maclen = 0;
	size_t		 i, n = 0, w, outsz = CONF_MAX_TOKEN_BYTES + 1;

	if (conf == NULL || sbx == NULL || !jwt_valid_sbx(sbx, strlen(sbx)) ||
	    ttl == 0 || ttl > JWT_MAX_TTL || now < 0)
		return NULL;
	for (i = 0; i < conf->njwt_keys && i < CONF_MAX_JWT_KEYS; i++) {
		const struct jwt_alg_def *ad =
		    jwt_alg_by_conf(conf->jwt_keys[i].alg);

		if (kid != NULL && strcmp(kid, conf->jwt_keys[i].kid) != 0)
			continue;
		if (kid == NULL && (ad == NULL || !ad->hmac))
			continue;
		k = &conf->jwt_keys[i];
		a = ad;
		break;
	}
	if (k == NULL || a == NULL || !a->hmac)
		return NULL;	/* RS/ES: no private key is configured */

	hdr = json_object();
	pl = json_object();
	if (hdr == NULL || pl == NULL)
		goto fail;
	if (json_object_set_new(hdr, "alg", json_string(a->name)) ||
	    json_object_set_new(hdr, "typ", json_string("JWT")) ||
	    json_object_set_new(hdr, "kid", json_string(k->kid)))
		goto fail;
	if (json_object_set_new(pl, "sbx", json_string(sbx)))
		goto fail;
	if (conf->jwt_audience[0] != '\0' && json_object_set_new(pl, "aud",
	    json_string(conf->jwt_audience)))
		goto fail;
	if (conf->jwt_issuer[0] != '\0' && json_object_set_new(pl, "iss",
	    json_string(conf->jwt_issuer)))
		goto fail;
	if (json_object_set_new(pl, "iat", json_integer((json_int_t)now)) ||
	    json_object_set_new(pl, "exp",
	    json_integer((json_int_t)now + (json_int_t)ttl)))
		goto fail;
	if (port != 0 && json_object_set_new(pl, "port", json_integer(port)))
		goto fail;

	if ((out = malloc(outsz)) == NULL)
		goto fail;
	if (jwt_put_json(hdr, out, outsz, &n) == -1 || n + 1 >= outsz)
		goto fail;
	out[n++] = '.';
	if (jwt_put_json(pl, out, outsz, &n) == -1)
		goto fail;
	if (jwt_hmac(a, k, out, n, mac, &maclen) == -1 || n + 1 >= outsz)
		goto fail;
	out[n++] = '.';
	w = enc_b64url_encode(mac, maclen, out + n, outsz - n);
	if (w == 0)
		goto fail;
	OPENSSL_cleanse(mac, sizeof(mac));
	json_decref(pl);
	json_decref(hdr);
	return out;
 fail:
	OPENSSL_cleanse(mac, sizeof(mac));
	free(out);
	json_decref(pl);
	json_decref(hdr);
	return NULL;
}

const char *
jwt_tok_code(enum authz_tok t)
{
	switch (t) {
	case AUTHZ_TOK_OK:
		return "ok";
	case AUTHZ_TOK_MALFORMED:
		return "token_malformed";
	case AUTHZ_TOK_TOO_LARGE:
		return "token_too_large";
	case AUTHZ_TOK_UNKNOWN_KEY:
		return "token_unknown_key";
	case AUTHZ_TOK_BAD_ALG:
		return "token_bad_alg";
	case AUTHZ_TOK_BAD_SIGNATURE:
		return "token_bad_signature";
	case AUTHZ_TOK_EXPIRED:
		return "token_expired";
	case AUTHZ_TOK_NOT_YET_VALID:
		return "token_not_yet_valid";
	case AUTHZ_TOK_BAD_AUDIENCE:
		return "token_bad_audience";
	case AUTHZ_TOK_BAD_ISSUER:
		return "token_bad_issuer";
	}
	return "token_invalid";
}
