/*
 * presign.c -- presigned file-transfer URLs (docs/PRESIGN.md).
 *
 * A token is four dot-separated base64url (no padding) fields:
 *
 *   v1.<b64(kid)>.<b64(payload)>.<b64(mac)>
 *
 *   payload = {"s":SBX,"m":"PUT"|"GET","p":PATH,"e":EXP,"n":NONCE,
 *              "o":0|1,"b":MAXBYTES}            (compact JSON, this order)
 *   mac     = HMAC-SHA256(presign-key[kid],
 *                 "drawbridge-presign-" "v1." b64(kid) "." b64(payload))
 *
 * The MAC covers the exact token bytes before the last dot, under a domain
 * prefix no other HMAC of ours uses.  Checking runs from cheap and
 * unauthenticated to authenticated: size, syntax (strict base64url with
 * canonical trailing bits, so a token has exactly one spelling), key id,
 * constant-time MAC compare, and only then JSON (duplicate keys refused,
 * exactly the seven keys above, each with its type), expiry (no leeway:
 * the fleet that mints is the fleet that checks), sandbox, method and the
 * path, compared byte for byte with the decoded query value.
 *
 * The query helpers decode strictly: "%XX" with either hex case, '+' is a
 * literal plus (RFC 3986; never a space), a bad escape or a decoded NUL
 * is an error, and a parameter that appears twice -- in any spelling,
 * since names are decoded before they are compared -- is an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define PRESIGN_VERSION		"v1."
#define PRESIGN_DOMAIN		"drawbridge-presign-"
#define PRESIGN_MAC_LEN		32	/* HMAC-SHA256 */
#define PRESIGN_MAC_B64		43	/* its base64url length */
#define PRESIGN_NONCE_HEX	\
	(2 * sizeof(((struct presign_claims *)0)->nonce))
#define PRESIGN_KID_MAX		(sizeof(((struct presign_claims *)0)->kid) - 1)
/* A mint request body is a few short fields. */
#define PRESIGN_MAX_BODY	16384
/* Largest HMAC key handed to OpenSSL (config caps much lower). */
#define PRESIGN_MAX_KEY		(64 * 1024)
/* Payload keys: exactly these, nothing else. */
#define PRESIGN_NKEYS		7

/* Sandbox id syntax: [a-z0-9-]{1,63}, alnum at both ends. */
static int
presign_valid_sbx(const char *s, size_t len)
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

/*
 * A file path a URL may be bound to: 1..PRESIGN_MAX_PATH bytes, no control
 * characters (NUL included).  Anything else (UTF-8, "..", "//") is bound
 * as is: the runtime gets exactly the signed bytes.  Returns the length
 * it takes as a JSON string (quote and backslash are escaped), or 0.
 */
static size_t
presign_path_json_len(const char *p, size_t len)
{
	size_t	 i, n = 0;

	if (len == 0 || len > PRESIGN_MAX_PATH)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		n += (c == '"' || c == '\\') ? 2 : 1;
	}
	return n;
}

/*
 * The longest token a path whose JSON form is pjson bytes can produce:
 * the longest kid and sandbox id, 20-digit integers.
 */
static size_t
presign_token_bound(size_t pjson)
{
	size_t	 json;

	json = sizeof("{\"s\":\"\",\"m\":\"PUT\",\"p\":\"\",\"e\":,\"n\":\"\","
	    "\"o\":1,\"b\":}") - 1 + ROUTE_MAX_ID + pjson + 20 +
	    PRESIGN_NONCE_HEX + 20;
	return sizeof(PRESIGN_VERSION) - 1 + ENC_B64URL_LEN(PRESIGN_KID_MAX) +
	    1 + ENC_B64URL_LEN(json) + 1 + PRESIGN_MAC_B64;
}

static const struct conf_jwt_key *
presign_find_key(const struct config *conf, const char *kid, size_t len)
{
	size_t	 i;

	for (i = 0; i < conf->npresign_keys && i < CONF_MAX_SECRETS; i++)
		if (strlen(conf->presign_keys[i].kid) == len &&
		    memcmp(conf->presign_keys[i].kid, kid, len) == 0)
			return &conf->presign_keys[i];
	return NULL;
}

/* HMAC-SHA256 over PRESIGN_DOMAIN || in[0..len). */
static int
presign_hmac(const struct conf_jwt_key *k, const char *in, size_t len,
    unsigned char mac[PRESIGN_MAC_LEN])
{
	unsigned char	 buf[sizeof(PRESIGN_DOMAIN) + PRESIGN_MAX_TOKEN];
	unsigned	 maclen = 0;
	size_t		 dl = sizeof(PRESIGN_DOMAIN) - 1;
	int		 rc = -1;

	if (k->key == NULL || k->keylen == 0 || k->keylen > PRESIGN_MAX_KEY ||
	    len > PRESIGN_MAX_TOKEN)
		return -1;
	memcpy(buf, PRESIGN_DOMAIN, dl);
	memcpy(buf + dl, in, len);
	if (HMAC(EVP_sha256(), k->key, (int)k->keylen, buf, dl + len, mac,
	    &maclen) != NULL && maclen == PRESIGN_MAC_LEN)
		rc = 0;
	OPENSSL_cleanse(buf, dl + len);
	return rc;
}

/* A JSON integer in [min, max], or -1. */
static int
presign_json_int(json_t *v, int64_t min, int64_t max, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int
presign_mint(const struct config *conf, struct presign_claims *c, char *tok,
    size_t toksz)
{
	const struct conf_jwt_key *k;
	unsigned char	 mac[PRESIGN_MAC_LEN];
	char		 nonce[PRESIGN_NONCE_HEX + 1];
	char		*pl = NULL;
	json_t		*o = NULL;
	size_t		 i, n, w, kidlen, sbxlen;
	int		 rc = -1;

	if (conf == NULL || c == NULL || tok == NULL || toksz == 0)
		return -1;
	tok[0] = '\0';
	if (conf->npresign_keys == 0)
		return -1;
	k = &conf->presign_keys[0];
	kidlen = strlen(k->kid);
	sbxlen = strnlen(c->sbx, sizeof(c->sbx));
	if (kidlen == 0 || kidlen > PRESIGN_KID_MAX ||
	    !presign_valid_sbx(c->sbx, sbxlen) ||
	    c->pathlen > PRESIGN_MAX_PATH ||
	    presign_path_json_len(c->path, c->pathlen) == 0 ||
	    c->exp <= 0 || c->max_bytes > INT64_MAX)
		return -1;
	if (RAND_bytes(c->nonce, sizeof(c->nonce)) != 1)
		return -1;
	for (i = 0; i < sizeof(c->nonce); i++) {
		nonce[2 * i] = "0123456789abcdef"[c->nonce[i] >> 4];
		nonce[2 * i + 1] = "0123456789abcdef"[c->nonce[i] & 15];
	}
	nonce[PRESIGN_NONCE_HEX] = '\0';
	memcpy(c->kid, k->kid, kidlen + 1);
	c->put = c->put != 0;
	c->one_time = c->one_time != 0;

	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "s", json_stringn(c->sbx, sbxlen)) ||
	    json_object_set_new(o, "m", json_string(c->put ? "PUT" : "GET")) ||
	    json_object_set_new(o, "p", json_stringn(c->path, c->pathlen)) ||
	    json_object_set_new(o, "e", json_integer((json_int_t)c->exp)) ||
	    json_object_set_new(o, "n", json_string(nonce)) ||
	    json_object_set_new(o, "o", json_integer(c->one_time)) ||
	    json_object_set_new(o, "b", json_integer((json_int_t)c->max_bytes)))
		goto fail;	/* also: path not valid UTF-8 */
	if ((pl = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto fail;

	n = sizeof(PRESIGN_VERSION) - 1;
	if (toksz <= n)
		goto fail;
	memcpy(tok, PRESIGN_VERSION, n);
	if ((w = enc_b64url_encode((const unsigned char *)k->kid, kidlen,
	    tok + n, toksz - n)) == 0)
		goto fail;
	n += w;
	if (n + 1 >= toksz)
		goto fail;
	tok[n++] = '.';
	if ((w = enc_b64url_encode((const unsigned char *)pl, strlen(pl),
	    tok + n, toksz - n)) == 0)
		goto fail;
	n += w;
	if (presign_hmac(k, tok, n, mac) == -1 || n + 1 >= toksz)
		goto fail;
	tok[n++] = '.';
	if ((w = enc_b64url_encode(mac, sizeof(mac), tok + n,
	    toksz - n)) == 0)
		goto fail;
	n += w;
	if (n > PRESIGN_MAX_TOKEN)
		goto fail;
	rc = (int)n;
 fail:
	if (rc == -1)
		tok[0] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	free(pl);
	json_decref(o);
	return rc;
}

/* The authenticated payload into *c; -1 if it is not exactly ours. */
static int
presign_payload(const unsigned char *buf, size_t len, struct presign_claims *c)
{
	json_error_t	 jerr;
	json_t		*o, *s, *m, *p, *n;
	const unsigned char *ns;
	int64_t		 v;
	size_t		 i, plen;
	int		 rc = -1;

	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o) ||
	    json_object_size(o) != PRESIGN_NKEYS)
		goto fail;
	s = json_object_get(o, "s");
	m = json_object_get(o, "m");
	p = json_object_get(o, "p");
	n = json_object_get(o, "n");
	if (!json_is_string(s) || !json_is_string(m) || !json_is_string(p) ||
	    !json_is_string(n))
		goto fail;

	if (!presign_valid_sbx(json_string_value(s), json_string_length(s)))
		goto fail;
	memcpy(c->sbx, json_string_value(s), json_string_length(s));
	c->sbx[json_string_length(s)] = '\0';

	if (strcmp(json_string_value(m), "PUT") == 0 &&
	    json_string_length(m) == 3)
		c->put = 1;
	else if (strcmp(json_string_value(m), "GET") == 0 &&
	    json_string_length(m) == 3)
		c->put = 0;
	else
		goto fail;

	plen = json_string_length(p);
	if (presign_path_json_len(json_string_value(p), plen) == 0)
		goto fail;
	memcpy(c->path, json_string_value(p), plen);
	c->path[plen] = '\0';
	c->pathlen = plen;

	if (presign_json_int(json_object_get(o, "e"), 1, INT64_MAX, &c->exp))
		goto fail;

	if (json_string_length(n) != PRESIGN_NONCE_HEX)
		goto fail;
	ns = (const unsigned char *)json_string_value(n);
	for (i = 0; i < sizeof(c->nonce); i++) {
		unsigned char hi = ns[2 * i], lo = ns[2 * i + 1];

		/* lower case only: one spelling per nonce */
		if (enc_hexval(hi) < 0 || enc_hexval(lo) < 0 ||
		    (hi >= 'A' && hi <= 'F') || (lo >= 'A' && lo <= 'F'))
			goto fail;
		c->nonce[i] = (unsigned char)(enc_hexval(hi) << 4 |
		    enc_hexval(lo));
	}

	if (presign_json_int(json_object_get(o, "o"), 0, 1, &v))
		goto fail;
	c->one_time = (int)v;
	if (presign_json_int(json_object_get(o, "b"), 0, INT64_MAX, &v))
		goto fail;
	c->max_bytes = (uint64_t)v;
	rc = 0;
 fail:
	json_decref(o);
	return rc;
}

enum presign_rc
presign_verify(const struct config *conf, const char *tok, size_t len,
    const char *sbx, int put, const char *path, size_t pathlen, time_t now,
    struct presign_claims *out)
{
	const struct conf_jwt_key *k;
	const char	*kseg, *pseg, *mseg, *d;
	unsigned char	 kid[PRESIGN_MAX_TOKEN], mac[PRESIGN_MAC_LEN];
	unsigned char	 want[PRESIGN_MAC_LEN], pl[PRESIGN_MAX_TOKEN];
	size_t		 klen, plen, mlen, kidlen, maclen, pllen, i, vl;
	struct presign_claims c;
	enum presign_rc	 rc = PRESIGN_MALFORMED;

	memset(&c, 0, sizeof(c));
	memset(want, 0, sizeof(want));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (conf == NULL || tok == NULL || len == 0 ||
	    len > PRESIGN_MAX_TOKEN)
		return PRESIGN_MALFORMED;

	/* "v1." kid "." payload "." mac, nothing but base64url in between */
	vl = sizeof(PRESIGN_VERSION) - 1;
	if (len <= vl || memcmp(tok, PRESIGN_VERSION, vl) != 0)
		return PRESIGN_MALFORMED;
	for (i = vl; i < len; i++)
		if (tok[i] != '.' && enc_b64url_val((unsigned char)tok[i]) < 0)
			return PRESIGN_MALFORMED;
	kseg = tok + vl;
	if ((d = memchr(kseg, '.', len - vl)) == NULL)
		return PRESIGN_MALFORMED;
	klen = (size_t)(d - kseg);
	pseg = d + 1;
	if ((d = memchr(pseg, '.', len - (size_t)(pseg - tok))) == NULL)
		return PRESIGN_MALFORMED;
	plen = (size_t)(d - pseg);
	mseg = d + 1;
	mlen = len - (size_t)(mseg - tok);
	if (klen == 0 || plen == 0 || mlen != PRESIGN_MAC_B64 ||
	    memchr(mseg, '.', mlen) != NULL)
		return PRESIGN_MALFORMED;
	if (enc_b64url_decode(kseg, klen, kid, sizeof(kid), &kidlen) == -1 ||
	    enc_b64url_decode(pseg, plen, pl, sizeof(pl), &pllen) == -1 ||
	    enc_b64url_decode(mseg, mlen, mac, sizeof(mac), &maclen) == -1 ||
	    kidlen == 0 || kidlen > PRESIGN_KID_MAX || pllen == 0 ||
	    maclen != PRESIGN_MAC_LEN)
		return PRESIGN_MALFORMED;

	if ((k = presign_find_key(conf, (const char *)kid, kidlen)) == NULL)
		return PRESIGN_UNKNOWN_KEY;
	rc = PRESIGN_BAD_SIGNATURE;
	if (presign_hmac(k, tok, (size_t)(mseg - 1 - tok), want) == -1 ||
	    CRYPTO_memcmp(want, mac, PRESIGN_MAC_LEN) != 0)
		goto fail;

	/* Authenticated from here on. */
	rc = PRESIGN_MALFORMED;
	if (presign_payload(pl, pllen, &c) == -1)
		goto fail;
	memcpy(c.kid, kid, kidlen);
	c.kid[kidlen] = '\0';

	if (c.exp <= (int64_t)now) {
		rc = PRESIGN_EXPIRED;
		goto fail;
	}
	if (sbx == NULL || strcmp(sbx, c.sbx) != 0)
		rc = PRESIGN_WRONG_SANDBOX;
	else if ((put != 0) != c.put)
		rc = PRESIGN_WRONG_METHOD;
	else if (path == NULL || pathlen != c.pathlen ||
	    memcmp(path, c.path, pathlen) != 0)
		rc = PRESIGN_WRONG_PATH;
	else
		rc = PRESIGN_OK;
	if (out != NULL)
		*out = c;
 fail:
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

const char *
presign_code(enum presign_rc rc)
{
	switch (rc) {
	case PRESIGN_OK:
		return "ok";
	case PRESIGN_MALFORMED:
		return "presign_malformed";
	case PRESIGN_UNKNOWN_KEY:
		return "presign_unknown_key";
	case PRESIGN_BAD_SIGNATURE:
		return "presign_bad_signature";
	case PRESIGN_EXPIRED:
		return "presign_expired";
	case PRESIGN_WRONG_SANDBOX:
		return "presign_wrong_sandbox";
	case PRESIGN_WRONG_METHOD:
		return "presign_wrong_method";
	case PRESIGN_WRONG_PATH:
		return "presign_wrong_path";
	}
	return "presign_invalid";
}

/* A positive JSON integer field: 1 present, 0 absent, -1 wrong. */
static int
presign_req_uint(json_t *o, const char *name, int64_t *out)
{
	json_t	*v = json_object_get(o, name);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 1;
}

int
presign_parse_request(const struct config *conf, const char *body,
    size_t len, time_t now, struct presign_claims *c, char *err,
    size_t errsz)
{
	json_error_t	 jerr;
	json_t		*o = NULL, *p, *v;
	int64_t		 ttl, maxttl, n;
	size_t		 plen, pj;
	int		 r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
#define PRESIGN_ERR(...) do {						\
	if (err != NULL && errsz > 0)					\
		(void)snprintf(err, errsz, __VA_ARGS__);		\
	goto fail;							\
} while (0)
	if (conf == NULL || c == NULL)
		PRESIGN_ERR("internal error");
	if (body == NULL || len == 0)
		PRESIGN_ERR("request body must be a JSON object");
	if (len > PRESIGN_MAX_BODY)
		PRESIGN_ERR("request body is too large (max %d bytes)",
		    PRESIGN_MAX_BODY);
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o))
		PRESIGN_ERR("request body must be a JSON object");

	p = json_object_get(o, "path");
	if (p == NULL)
		PRESIGN_ERR("path is required");
	if (!json_is_string(p))
		PRESIGN_ERR("path must be a string");
	plen = json_string_length(p);
	if (plen == 0)
		PRESIGN_ERR("path must not be empty");
	if (plen > PRESIGN_MAX_PATH)
		PRESIGN_ERR("path is longer than %d bytes", PRESIGN_MAX_PATH);
	if ((pj = presign_path_json_len(json_string_value(p), plen)) == 0)
		PRESIGN_ERR("path must not contain control characters");
	if (presign_token_bound(pj) > PRESIGN_MAX_TOKEN)
		PRESIGN_ERR("path has too many quote or backslash characters");

	maxttl = (int64_t)(conf->presign_max_ttl_ms / 1000);
	ttl = (int64_t)(conf->presign_default_ttl_ms / 1000);
	if (maxttl < 1)
		maxttl = 1;
	if (ttl < 1)
		ttl = 1;
	if (ttl > maxttl)
		ttl = maxttl;
	if ((r = presign_req_uint(o, "expiresInSeconds", &n)) == -1)
		PRESIGN_ERR("expiresInSeconds must be a positive integer");
	if (r == 1) {
		if (n > maxttl)
			PRESIGN_ERR("expiresInSeconds exceeds the maximum of "
			    "%lld", (long long)maxttl);
		ttl = n;
	}

	c->one_time = 0;
	v = json_object_get(o, "oneTime");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_boolean(v))
			PRESIGN_ERR("oneTime must be a boolean");
		c->one_time = json_is_true(v);
	}
	c->max_bytes = 0;
	if ((r = presign_req_uint(o, "maxBytes", &n)) == -1)
		PRESIGN_ERR("maxBytes must be a positive integer");
	if (r == 1)
		c->max_bytes = (uint64_t)n;

	memcpy(c->path, json_string_value(p), plen);
	c->path[plen] = '\0';
	c->pathlen = plen;
	c->exp = (int64_t)now + ttl;
	json_decref(o);
	return 0;
#undef PRESIGN_ERR
 fail:
	json_decref(o);
	return -1;
}

int
presign_urlencode(const char *s, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 i, n = 0;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (s == NULL && len > 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (n + 1 >= outsz)
				goto full;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= outsz)
				goto full;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n > INT32_MAX)
		goto full;
	out[n] = '\0';
	return (int)n;
 full:
	out[0] = '\0';
	return -1;
}

int
presign_query_param(const char *q, size_t len, const char *name, char *out,
    size_t outsz, size_t *outlen)
{
	char	 nbuf[256];
	size_t	 i, start, eq, nl, want, vl, found = 0;
	const char *val = NULL;
	size_t	 vallen = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (name == NULL || (q == NULL && len > 0) || out == NULL ||
	    outsz == 0 || outlen == NULL)
		return -1;
	out[0] = '\0';
	want = strlen(name);
	for (start = 0; start < len; start = i + 1) {
		for (i = start; i < len && q[i] != '&'; i++)
			;
		if (i == start)
			continue;	/* empty segment: "a=1&&b=2", "a=1&" */
		for (eq = start; eq < i && q[eq] != '='; eq++)
			;
		/* Every name is decoded: "%74oken" is a second "token". */
		if (enc_pct_decode(q + start, eq - start, nbuf, sizeof(nbuf),
		    &nl, ENC_PCT_STRICT) == -1) {
			/* an undecodable or overlong name may be ours */
			if (enc_pct_decode(q + start, eq - start, NULL, 0, &nl,
			    ENC_PCT_STRICT) == -1 || nl <= sizeof(nbuf))
				return -1;
			continue;	/* longer than any name we look for */
		}
		if (nl != want || memcmp(nbuf, name, want) != 0)
			continue;
		if (found++)
			return -1;
		val = eq < i ? q + eq + 1 : q + i;
		vallen = eq < i ? i - eq - 1 : 0;
	}
	if (!found)
		return 0;
	if (enc_pct_decode(val, vallen, out, outsz - 1, &vl,
	    ENC_PCT_STRICT) == -1) {
		out[0] = '\0';
		return -1;
	}
	out[vl] = '\0';
	*outlen = vl;
	return 1;
}
