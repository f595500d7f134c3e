// DEPS: authz/cookie.c config/config.c common/str.c common/log.c common/enc.c
/*
 * fuzz_cookie.c -- authz/cookie.c over arbitrary bytes: the cookie value,
 * the Cookie header and the bootstrap `next`.  Fixed config (cookie keys
 * "c1" signing and "c0"), fixed clock, one known-good cookie for HOST.
 *
 * The first byte picks the mode, the rest is the input:
 *   0x00  cookie_verify(raw)        accepted only if byte-identical to one
 *                                   of the two good cookies (one per key;
 *                                   one spelling per cookie), and then not
 *                                   for another host nor after expiry
 *   0x01  mutate the good cookie with (offset, byte) pairs, then verify;
 *         same invariant
 *   0x02  cookie_find + cookie_strip: the stripped header never contains
 *         our cookie, fits 2 * len + 1, and the found value lies inside
 *         the input
 *   0x03  cookie_next_path: the output (decoded once more, as a browser
 *         or an application might) is a same-host path: one '/', then not
 *         '/' or '\', visible ASCII only, at most COOKIE_MAX_NEXT bytes;
 *         "/" whenever it returns -1
 * Inputs are copied into exact-size heap buffers so ASan sees over-reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	1700000000
#define FUZZ_HOST	"8080-sbx1.sb.test"

static unsigned char fuzz_c1[] = "fuzz-cookie-c1-0123456789abcdef01";
static unsigned char fuzz_c0[] = "fuzz-cookie-c0-0123456789abcdef01";
static struct config conf, conf0;	/* conf0: only c0 (old signer) */
static char good[COOKIE_MAX_VALUE + 1], good0[COOKIE_MAX_VALUE + 1];
static size_t goodlen, good0len;

static void
fuzz_key(struct conf_jwt_key *k, const char *kid, unsigned char *s,
    size_t len)
{
	str_lcpy(k->kid, kid, sizeof(k->kid));
	k->alg = CONF_ALG_HS256;
	k->key = s;
	k->keylen = len;
}

static void
fuzz_init(void)
{
	int	 n;

	config_defaults(&conf);
	fuzz_key(&conf.cookie_keys[0], "c1", fuzz_c1, sizeof(fuzz_c1) - 1);
	fuzz_key(&conf.cookie_keys[1], "c0", fuzz_c0, sizeof(fuzz_c0) - 1);
	conf.ncookie_keys = 2;
	config_defaults(&conf0);
	fuzz_key(&conf0.cookie_keys[0], "c0", fuzz_c0, sizeof(fuzz_c0) - 1);
	conf0.ncookie_keys = 1;
	n = cookie_mint(&conf, FUZZ_HOST, FUZZ_NOW + 3600, good, sizeof(good));
	if (n <= 0)
		abort();
	goodlen = (size_t)n;
	n = cookie_mint(&conf0, FUZZ_HOST, FUZZ_NOW + 3600, good0,
	    sizeof(good0));
	if (n <= 0)
		abort();
	good0len = (size_t)n;
}

static void
fuzz_verify(const char *v, size_t len)
{
	enum cookie_rc rc = cookie_verify(&conf, v, len, FUZZ_HOST, FUZZ_NOW);
	const char *code = cookie_code(rc);

	if (code == NULL || strcmp(code, "cookie_invalid") == 0)
		abort();
	if (rc != COOKIE_OK)
		return;
	if ((len != goodlen || memcmp(v, good, len) != 0) &&
	    (len != good0len || memcmp(v, good0, len) != 0))
		abort();
	/* Never valid for another host too, nor after its expiry. */
	if (cookie_verify(&conf, v, len, "8080-sbx2.sb.test", FUZZ_NOW) ==
	    COOKIE_OK ||
	    cookie_verify(&conf, v, len, FUZZ_HOST, FUZZ_NOW + 3600) ==
	    COOKIE_OK)
		abort();
}

static void
fuzz_header(const char *h, size_t len)
{
	const char *v, *v2;
	char	*out;
	size_t	 vl, vl2, ol;
	int	 rc;

	rc = cookie_find(h, len, &v, &vl);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1 && (v < h || v + vl > h + len))
		abort();
	if (rc != 1 && v != NULL)
		abort();
	if ((out = malloc(2 * len + 1)) == NULL)
		return;
	if (cookie_strip(h, len, out, 2 * len + 1, &ol) != 0)
		abort();
	if (ol > 2 * len || out[ol] != '\0')
		abort();
	if (cookie_find(out, ol, &v2, &vl2) != 0)
		abort();
	free(out);
}

static int
fuzz_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
fuzz_path_ok(const char *p, size_t len)
{
	size_t	 i;

	if (len == 0 || p[0] != '/')
		abort();
	if (len > 1 && (p[1] == '/' || p[1] == '\\'))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 ||
		    (unsigned char)p[i] >= 0x7f || p[i] == '\\')
			abort();
}

static void
fuzz_next(const char *raw, size_t len)
{
	char	 out[COOKIE_MAX_NEXT + 1], dec[COOKIE_MAX_NEXT + 1];
	size_t	 i, n = 0, ol;
	int	 rc, hi, lo;

	rc = cookie_next_path(raw, len, out, sizeof(out));
	if (rc != 0 && rc != -1)
		abort();
	ol = strnlen(out, sizeof(out));
	if (ol > COOKIE_MAX_NEXT)
		abort();
	if (rc == -1 && strcmp(out, "/") != 0)
		abort();
	for (i = 0; i < ol; i++)
		if ((unsigned char)out[i] <= 0x20 ||
		    (unsigned char)out[i] >= 0x7f || out[i] == '\\')
			abort();
	fuzz_path_ok(out, ol);
	/* One lenient decode of what the browser gets. */
	for (i = 0; i < ol; i++) {
		if (out[i] == '%' && ol - i >= 3 &&
		    (hi = fuzz_hex((unsigned char)out[i + 1])) != -1 &&
		    (lo = fuzz_hex((unsigned char)out[i + 2])) != -1) {
			dec[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			dec[n++] = out[i];
	}
	fuzz_path_ok(dec, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;
	size_t	 i;

	if (goodlen == 0)
		fuzz_init();
	if (size == 0)
		return 0;
	if (data[0] == 0x01) {
		if ((buf = malloc(goodlen)) == NULL)
			return 0;
		memcpy(buf, good, goodlen);
		for (i = 1; i + 2 < size; i += 3)
			buf[((size_t)data[i] << 8 | data[i + 1]) % goodlen] =
			    (char)data[i + 2];
		fuzz_verify(buf, goodlen);
		free(buf);
		return 0;
	}
	if ((buf = malloc(size - 1 ? size - 1 : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		fuzz_verify(buf, size - 1);
		break;
	case 2:
		fuzz_header(buf, size - 1);
		break;
	case 3:
		fuzz_next(buf, size - 1);
		break;
	default:
		fuzz_verify(buf, size - 1);
		break;
	}
	free(buf);
	return 0;
}
