/*
 * cookie.c -- the browser session cookie and the bootstrap link's `next`.
 *
 * The cookie value is
 *
 *	v1.<kid>.<exp>.<mac>
 *	mac = base64url(HMAC-SHA256(key[kid],
 *	    "drawbridge-cookie-v1." kid "." exp "." host))
 *
 * kid names a cookie-key (the first one signs, all verify: rotation), exp
 * is epoch seconds in canonical decimal, mac is 43 characters of unpadded
 * base64url with canonical trailing bits, and host is the canonical host
 * the proxy routed (lower case, no port; "<path-host>/sandbox/<id>" for
 * path routing).  The host is not in the value: a cookie presented on any
 * other host fails the MAC, so it cannot be told apart from a forgery and
 * is reported as COOKIE_BAD_SIGNATURE.  Nothing here needs Redis.
 *
 * Parsing is strict: one spelling per cookie (no leading zeros, no
 * padding, no spare bits), anything else is COOKIE_MALFORMED before a MAC
 * is computed.  MACs are compared with CRYPTO_memcmp.  A cookie is
 * expired when exp <= now.
 *
 * cookie_find()/cookie_strip() read a Cookie header (RFC 6265 5.4:
 * "n=v; n2=v2", whitespace around pairs, names and values tolerated) and
 * cookie_next_path() turns the bootstrap `next` parameter into a path on
 * the same host, or "/".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define COOKIE_VERSION		"v1"
#define COOKIE_MAC_CONTEXT	"drawbridge-cookie-v1."
#define COOKIE_MAC_LEN		32		/* SHA-256 */
#define COOKIE_MAC_B64		43		/* unpadded base64url of 32 */
#define COOKIE_MAX_HOST		512		/* host + "/sandbox/" + id */
#define COOKIE_MAX_EXP_DIGITS	19		/* INT64_MAX */

/*
 * Decode exactly COOKIE_MAC_B64 characters of strict base64url into
 * COOKIE_MAC_LEN bytes: alphabet only, the 2 spare low bits of the last
 * character zero.  Returns 0 or -1.
 */
static int
cookie_b64_mac(const char *s, size_t len, unsigned char *out)
{
	size_t	 n;

	if (len != COOKIE_MAC_B64 ||
	    enc_b64url_decode(s, len, out, COOKIE_MAC_LEN, &n) == -1 ||
	    n != COOKIE_MAC_LEN)
		return -1;
	return 0;
}

/* A kid as config accepts it for secrets (and so a cookie-octet run). */
static int
cookie_kid_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '/' ||
	    c == '+' || c == '=' || c == '-';
}

/* Canonical host: 1..COOKIE_MAX_HOST visible ASCII bytes, no upper case. */
static int
cookie_valid_host(const char *h)
{
	size_t	 i, len = strnlen(h, COOKIE_MAX_HOST + 1);

	if (len == 0 || len > COOKIE_MAX_HOST)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c <= 0x20 || c >= 0x7f || (c >= 'A' && c <= 'Z'))
			return 0;
	}
	return 1;
}

/*
 * mac = HMAC-SHA256(key, COOKIE_MAC_CONTEXT kid "." exp "." host).
 * Returns 0 or -1 (empty key, message too long, OpenSSL failure).
 */
static int
cookie_mac(const struct conf_jwt_key *k, const char *exp, size_t explen,
    const char *host, unsigned char *mac)
{
	char		 msg[sizeof(COOKIE_MAC_CONTEXT) + 64 +
			    COOKIE_MAX_EXP_DIGITS + COOKIE_MAX_HOST + 4];
	unsigned int	 maclen = 0;
	int		 n;

	if (k->key == NULL || k->keylen == 0 || k->keylen > INT32_MAX)
		return -1;
	n = snprintf(msg, sizeof(msg), "%s%s.%.*s.%s", COOKIE_MAC_CONTEXT,
	    k->kid, (int)explen, exp, host);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	if (HMAC(EVP_sha256(), k->key, (int)k->keylen,
	    (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL ||
	    maclen != COOKIE_MAC_LEN) {
		OPENSSL_cleanse(msg, sizeof(msg));
		return -1;
	}
	OPENSSL_cleanse(msg, sizeof(msg));
	return 0;
}

int
cookie_mint(const struct config *conf, const char *host, int64_t exp,
    char *buf, size_t bufsz)
{
	const struct conf_jwt_key *k;
	unsigned char	 mac[COOKIE_MAC_LEN];
	char		 ebuf[COOKIE_MAX_EXP_DIGITS + 2];
	char		 mb64[COOKIE_MAC_B64 + 4];
	size_t		 i, kidlen, w;
	int		 el, n;

	if (bufsz > 0)
		buf[0] = '\0';
	if (conf == NULL || conf->ncookie_keys == 0 || host == NULL ||
	    !cookie_valid_host(host) || exp <= 0)
		return -1;
	k = &conf->cookie_keys[0];
	kidlen = strnlen(k->kid, sizeof(k->kid));
	if (kidlen == 0 || kidlen >= sizeof(k->kid))
		return -1;
	for (i = 0; i < kidlen; i++)
		if (!cookie_kid_char((unsigned char)k->kid[i]))
			return -1;
	el = snprintf(ebuf, sizeof(ebuf), "%lld", (long long)exp);
	if (el <= 0 || (size_t)el >= sizeof(ebuf))
		return -1;
	if (cookie_mac(k, ebuf, (size_t)el, host, mac) == -1)
		return -1;
	w = enc_b64url_encode(mac, sizeof(mac), mb64, sizeof(mb64));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (w != COOKIE_MAC_B64)
		return -1;
	n = snprintf(buf, bufsz, "%s.%s.%s.%s", COOKIE_VERSION, k->kid, ebuf,
	    mb64);
	if (n < 0 || (size_t)n >= bufsz || n > COOKIE_MAX_VALUE) {
		if (bufsz > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

/* Next '.'-separated field of v[*pos..len); returns its length or -1. */
static int
cookie_field(const char *v, size_t len, size_t *pos, const char **f,
    size_t *flen, int last)
{
	const char *dot;

	*f = v + *pos;
	dot = memchr(*f, '.', len - *pos);
	if (last) {
		if (dot != NULL)
			return -1;
		*flen = len - *pos;
		*pos = len;
	} else {
		if (dot == NULL)
			return -1;
		*flen = (size_t)(dot - *f);
		*pos += *flen + 1;
	}
	return *flen == 0 ? -1 : 0;
}

enum cookie_rc
cookie_verify(const struct config *conf, const char *v, size_t len,
    const char *host, time_t now)
{
	return cookie_check(conf, v, len, host, now, NULL);
}

enum cookie_rc
cookie_check(const struct config *conf, const char *v, size_t len,
    const char *host, time_t now, int64_t *expp)
{
	const struct conf_jwt_key *k = NULL;
	const char	*ver, *kid, *exp, *mac;
	size_t		 verlen, kidlen, explen, maclen, pos = 0, i;
	unsigned char	 got[COOKIE_MAC_LEN], want[COOKIE_MAC_LEN];
	uint64_t	 e;
	int		 eq;

	if (conf == NULL || v == NULL || host == NULL)
		return COOKIE_MALFORMED;
	if (len == 0 || len > COOKIE_MAX_VALUE)
		return COOKIE_MALFORMED;
	if (cookie_field(v, len, &pos, &ver, &verlen, 0) == -1 ||
	    cookie_field(v, len, &pos, &kid, &kidlen, 0) == -1 ||
	    cookie_field(v, len, &pos, &exp, &explen, 0) == -1 ||
	    cookie_field(v, len, &pos, &mac, &maclen, 1) == -1)
		return COOKIE_MALFORMED;
	if (verlen != strlen(COOKIE_VERSION) ||
	    memcmp(ver, COOKIE_VERSION, verlen) != 0)
		return COOKIE_MALFORMED;
	for (i = 0; i < kidlen; i++)
		if (!cookie_kid_char((unsigned char)kid[i]))
			return COOKIE_MALFORMED;
	/* Canonical decimal: no leading zero, fits int64, positive. */
	if (explen > COOKIE_MAX_EXP_DIGITS || exp[0] == '0' ||
	    str_parse_u64(exp, explen, INT64_MAX, &e) == -1)
		return COOKIE_MALFORMED;
	if (cookie_b64_mac(mac, maclen, got) == -1)
		return COOKIE_MALFORMED;
	if (!cookie_valid_host(host))
		return COOKIE_WRONG_HOST;
	for (i = 0; i < conf->ncookie_keys && i < CONF_MAX_SECRETS; i++) {
		if (strlen(conf->cookie_keys[i].kid) == kidlen &&
		    memcmp(conf->cookie_keys[i].kid, kid, kidlen) == 0) {
			k = &conf->cookie_keys[i];
			break;
		}
	}
	if (k == NULL)
		return COOKIE_UNKNOWN_KEY;
	if (cookie_mac(k, exp, explen, host, want) == -1)
		return COOKIE_BAD_SIGNATURE;
	eq = CRYPTO_memcmp(got, want, COOKIE_MAC_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!eq)
		return COOKIE_BAD_SIGNATURE;
	if ((int64_t)e <= (int64_t)now)
		return COOKIE_EXPIRED;
	if (expp != NULL)
		*expp = (int64_t)e;
	return COOKIE_OK;
}

const char *
cookie_code(enum cookie_rc rc)
{
	switch (rc) {
	case COOKIE_OK:
		return "ok";
	case COOKIE_MALFORMED:
		return "cookie_malformed";
	case COOKIE_UNKNOWN_KEY:
		return "cookie_unknown_key";
	case COOKIE_BAD_SIGNATURE:
		return "cookie_bad_signature";
	case COOKIE_EXPIRED:
		return "cookie_expired";
	case COOKIE_WRONG_HOST:
		return "cookie_wrong_host";
	}
	return "cookie_invalid";
}

/* ---- Cookie header ---- */

static int
cookie_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Walk the pairs of a Cookie header.  At *pos, skip separators and
 * whitespace, return the next pair (trimmed) in *p, *plen and its name
 * (trimmed, up to the first '=') in *n, *nlen, and its value (trimmed,
 * after the first '='; *v NULL when there is no '=').  Returns 1, or 0 at
 * the end.
 */
static int
cookie_next_pair(const char *h, size_t len, size_t *pos, const char **p,
    size_t *plen, const char **n, size_t *nlen, const char **v,
    size_t *vlen)
{
	size_t	 s, e, i, eq;

	for (;;) {
		while (*pos < len && (h[*pos] == ';' || cookie_ows(h[*pos])))
			(*pos)++;
		if (*pos >= len)
			return 0;
		s = *pos;
		while (*pos < len && h[*pos] != ';')
			(*pos)++;
		e = *pos;
		while (e > s && cookie_ows(h[e - 1]))
			e--;
		if (e > s)
			break;
	}
	*p = h + s;
	*plen = e - s;
	for (eq = s; eq < e && h[eq] != '='; eq++)
		;
	i = eq;
	while (i > s && cookie_ows(h[i - 1]))
		i--;
	*n = h + s;
	*nlen = i - s;
	if (eq == e) {
		*v = NULL;
		*vlen = 0;
		return 1;
	}
	for (i = eq + 1; i < e && cookie_ows(h[i]); i++)
		;
	*v = h + i;
	*vlen = e - i;
	return 1;
}

static int
cookie_is_ours(const char *n, size_t nlen, const char *v)
{
	return v != NULL && nlen == sizeof(COOKIE_NAME) - 1 &&
	    memcmp(n, COOKIE_NAME, nlen) == 0;
}

int
cookie_find(const char *h, size_t len, const char **val, size_t *vallen)
{
	const char	*p, *n, *v;
	size_t		 pos = 0, plen, nlen, vlen;
	int		 found = 0;

	*val = NULL;
	*vallen = 0;
	if (h == NULL)
		return 0;
	while (cookie_next_pair(h, len, &pos, &p, &plen, &n, &nlen, &v,
	    &vlen)) {
		if (!cookie_is_ours(n, nlen, v))
			continue;
		if (found) {
			*val = NULL;
			*vallen = 0;
			return -1;
		}
		found = 1;
		*val = v;
		*vallen = vlen;
	}
	return found;
}

int
cookie_strip(const char *h, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	const char	*p, *n, *v;
	size_t		 pos = 0, plen, nlen, vlen, o = 0;

	*outlen = 0;
	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (h == NULL)
		return 0;
	while (cookie_next_pair(h, len, &pos, &p, &plen, &n, &nlen, &v,
	    &vlen)) {
		if (cookie_is_ours(n, nlen, v))
			continue;
		if (o > 0) {
			if (outsz - o < 3)
				goto fail;
			out[o++] = ';';
			out[o++] = ' ';
		}
		if (outsz - o < plen + 1)
			goto fail;
		memcpy(out + o, p, plen);
		o += plen;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
fail:
	out[0] = '\0';
	*outlen = 0;
	return -1;
}

/* ---- the bootstrap `next` ---- */

/*
 * Is p[0..len) a same-host path?  One leading '/', not "//" or "/\",
 * only visible ASCII and space, no backslash anywhere.
 */
static int
cookie_path_ok(const char *p, size_t len)
{
	size_t	 i;

	if (len == 0 || p[0] != '/')
		return 0;
	if (len > 1 && (p[1] == '/' || p[1] == '\\'))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			return 0;
	}
	return 1;
}

/* Characters copied into Location as they are (RFC 3986 pchar, '/', '?',
 * '#'); '%' only when it starts a valid escape. */
static int
cookie_loc_char(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/?#", c) != NULL;
}

int
cookie_next_path(const char *raw, size_t len, char *out, size_t outsz)
{
	char	 dec[COOKIE_MAX_NEXT], dec2[COOKIE_MAX_NEXT];
	size_t	 i, o = 0, n, n2;

	if (outsz < 2) {
		if (outsz == 1)
			out[0] = '\0';
		return -1;
	}
	if (raw == NULL || len == 0 || len > 3 * COOKIE_MAX_NEXT)
		goto fail;
	/* The raw query value: visible ASCII, no backslash. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			goto fail;
	}
	/* (A decoded NUL fails here either way: cookie_path_ok refuses it.) */
	if (enc_pct_decode(raw, len, dec, sizeof(dec), &n,
	    ENC_PCT_STRICT) == -1 || !cookie_path_ok(dec, n))
		goto fail;
	/*
	 * Whatever decodes once more must still be a same-host path: an
	 * application that decodes again (or a redirect chain) must not
	 * find "//", "/\", a control byte or non-ASCII in it either.  It
	 * decodes as a forgiving decoder would: a stray '%' stays.
	 */
	if (enc_pct_decode(dec, n, dec2, sizeof(dec2), &n2,
	    ENC_PCT_LENIENT) == -1 || !cookie_path_ok(dec2, n2))
		goto fail;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dec[i];
		int	 keep = cookie_loc_char(c);

		if (c == '%' && n - i >= 3 &&
		    enc_hexval((unsigned char)dec[i + 1]) != -1 &&
		    enc_hexval((unsigned char)dec[i + 2]) != -1)
			keep = 1;
		if (keep) {
			if (o + 1 >= outsz || o + 1 > COOKIE_MAX_NEXT)
				goto fail;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz || o + 3 > COOKIE_MAX_NEXT)
				goto fail;
			out[o++] = '%';
			out[o++] = "0123456789ABCDEF"[c >> 4];
			out[o++] = "0123456789ABCDEF"[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
fail:
	out[0] = '/';
	out[1] = '\0';
	return -1;
}
