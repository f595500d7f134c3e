/*
 * enc.c -- the strict codecs the token parsers share: unpadded base64url
 * (RFC 4648 section 5) and percent-decoding (RFC 3986 section 2.1).
 *
 * Decoders accept exactly one spelling of each value, so a token, cookie
 * or query parameter cannot be re-spelled past a cache, a log filter or a
 * MAC that covers the encoded bytes: base64url takes the alphabet only, no
 * padding, no length % 4 == 1 and no non-zero unused trailing bits; a '%'
 * must start a %XX escape (either hex case) and NUL is refused.  All work
 * is over (pointer, length) spans with the output size given; nothing
 * allocates.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

static const char enc_b64url_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
enc_b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
enc_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t	 n = 0, i;

	if (len % 4 == 1)
		return -1;
	if (ENC_B64URL_DECLEN(len) > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		int	 v = enc_b64url_val((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits > 0 && acc != 0)
		return -1;	/* non-canonical trailing bits */
	*outlen = n;
	return 0;
}

size_t
enc_b64url_encode(const unsigned char *in, size_t len, char *out,
    size_t outsz)
{
	size_t	 i, n = 0;
	uint32_t v;

	if (outsz == 0 || ENC_B64URL_LEN(len) > outsz - 1)
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = enc_b64url_tab[v >> 18];
		out[n++] = enc_b64url_tab[(v >> 12) & 63];
		out[n++] = enc_b64url_tab[(v >> 6) & 63];
		out[n++] = enc_b64url_tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[n++] = enc_b64url_tab[v >> 18];
		out[n++] = enc_b64url_tab[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[n++] = enc_b64url_tab[v >> 18];
		out[n++] = enc_b64url_tab[(v >> 12) & 63];
		out[n++] = enc_b64url_tab[(v >> 6) & 63];
	}
	out[n] = '\0';
	return n;
}

int
enc_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
enc_pct_decode(const char *s, size_t len, char *out, size_t outsz,
    size_t *outlen, enum enc_pct mode)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int	 hi, lo;

		if (c == '%') {
			if (len - i >= 3 &&
			    (hi = enc_hexval((unsigned char)s[i + 1])) != -1 &&
			    (lo = enc_hexval((unsigned char)s[i + 2])) != -1) {
				c = (unsigned char)(hi << 4 | lo);
				i += 2;
			} else if (mode != ENC_PCT_LENIENT)
				return -1;
		}
		if (c == '\0')
			return -1;
		if (out != NULL) {
			if (n >= outsz)
				return -1;
			out[n] = (char)c;
		}
		n++;
	}
	*outlen = n;
	return 0;
}
