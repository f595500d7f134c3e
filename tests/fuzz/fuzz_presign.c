// DEPS: authz/presign.c config/config.c common/str.c common/log.c common/enc.c
/*
 * fuzz_presign.c -- authz/presign.c over arbitrary bytes with a fixed
 * config (presign keys "p2" then "p1"; the good token is minted with p1
 * before p2 is added, so rotation is on the path) and a fixed clock.
 *
 * The first byte picks the entry point:
 *   0x01  mutate: the rest is (offset, byte) pairs applied to the one
 *         known-good token;
 *   0x02  presign_parse_request on the rest; whatever it accepts must
 *         mint, and the minted token must verify for exactly that path;
 *   0x03  presign_query_param("path") on the rest; a decoded value must
 *         survive presign_urlencode and decode back to itself;
 *   else  raw: the whole input is the token.
 *
 * Invariants (abort() on violation): presign_verify accepts nothing but
 * the good token byte for byte, fills sane claims, returns a defined
 * code; parse/query outputs stay inside their bounds.
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
#define FUZZ_PATH	"/home/ubuntu/a b.txt"

static unsigned char fuzz_p1[] = "fuzz-presign-secret-0123456789abcdef";
static unsigned char fuzz_p2[] = "fuzz-presign-other--0123456789abcdef";
static struct config conf;
static char good[PRESIGN_MAX_TOKEN + 1];
static size_t goodlen;

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
	struct presign_claims c;
	int	 n;

	conf.presign_default_ttl_ms = 300000;
	conf.presign_max_ttl_ms = 3600000;
	fuzz_key(&conf.presign_keys[0], "p1", fuzz_p1, sizeof(fuzz_p1) - 1);
	conf.npresign_keys = 1;
	memset(&c, 0, sizeof(c));
	str_lcpy(c.sbx, "sbx1", sizeof(c.sbx));
	c.put = 1;
	str_lcpy(c.path, FUZZ_PATH, sizeof(c.path));
	c.pathlen = strlen(FUZZ_PATH);
	c.exp = FUZZ_NOW + 600;
	c.one_time = 1;
	c.max_bytes = 4096;
	if ((n = presign_mint(&conf, &c, good, sizeof(good))) <= 0)
		abort();
	goodlen = (size_t)n;
	/* rotate: p2 signs from now on, p1 still verifies */
	conf.presign_keys[1] = conf.presign_keys[0];
	fuzz_key(&conf.presign_keys[0], "p2", fuzz_p2, sizeof(fuzz_p2) - 1);
	conf.npresign_keys = 2;
}

static void
fuzz_verify(const char *tok, size_t len)
{
	struct presign_claims c;
	enum presign_rc rc;
	const char *code;

	rc = presign_verify(&conf, tok, len, "sbx1", 1, FUZZ_PATH,
	    strlen(FUZZ_PATH), FUZZ_NOW, &c);
	code = presign_code(rc);
	if (code == NULL || strcmp(code, "presign_invalid") == 0)
		abort();
	if (len > PRESIGN_MAX_TOKEN && rc != PRESIGN_MALFORMED)
		abort();
	if (rc == PRESIGN_WRONG_SANDBOX || rc == PRESIGN_WRONG_METHOD ||
	    rc == PRESIGN_WRONG_PATH)
		abort();	/* only the good token gets past the MAC */
	if (rc != PRESIGN_OK)
		return;
	if (len != goodlen || memcmp(tok, good, len) != 0)
		abort();
	if (strcmp(c.sbx, "sbx1") != 0 || c.put != 1 ||
	    c.pathlen != strlen(FUZZ_PATH) || c.exp != FUZZ_NOW + 600 ||
	    strcmp(c.kid, "p1") != 0 || c.one_time != 1 ||
	    c.max_bytes != 4096)
		abort();
}

static void
fuzz_request(const char *body, size_t len)
{
	struct presign_claims c, v;
	char	 err[128], tok[PRESIGN_MAX_TOKEN + 1];
	int	 n;

	memset(&c, 0, sizeof(c));
	str_lcpy(c.sbx, "a123456789b123456789c123456789d123456789"
	    "e123456789f12345678901", sizeof(c.sbx));
	c.put = 0;
	if (presign_parse_request(&conf, body, len, FUZZ_NOW, &c, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			abort();
		return;
	}
	if (c.pathlen == 0 || c.pathlen > PRESIGN_MAX_PATH ||
	    c.exp <= FUZZ_NOW || c.exp > FUZZ_NOW + 3600)
		abort();
	if ((n = presign_mint(&conf, &c, tok, sizeof(tok))) <= 0 ||
	    n > PRESIGN_MAX_TOKEN)
		abort();
	if (presign_verify(&conf, tok, (size_t)n, c.sbx, 0, c.path,
	    c.pathlen, FUZZ_NOW, &v) != PRESIGN_OK || v.pathlen != c.pathlen)
		abort();
}

static void
fuzz_query(const char *q, size_t len)
{
	char	 out[PRESIGN_MAX_PATH + 1], enc[3 * PRESIGN_MAX_PATH + 8];
	char	 back[PRESIGN_MAX_PATH + 1], qq[3 * PRESIGN_MAX_PATH + 16];
	size_t	 ol, bl;
	int	 r, n;

	ol = 0;
	r = presign_query_param(q, len, "path", out, sizeof(out), &ol);
	if (r < -1 || r > 1 || ol >= sizeof(out))
		abort();
	if (r != 1)
		return;
	if (out[ol] != '\0' || memchr(out, '\0', ol) != NULL)
		abort();
	if ((n = presign_urlencode(out, ol, enc, sizeof(enc))) < 0)
		abort();
	snprintf(qq, sizeof(qq), "path=%s", enc);
	if (presign_query_param(qq, strlen(qq), "path", back, sizeof(back),
	    &bl) != 1 || bl != ol || memcmp(back, out, ol) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;
	size_t	 i;

	if (goodlen == 0)
		fuzz_init();
	if (size > 0 && data[0] == 0x01) {
		if ((buf = malloc(goodlen)) == NULL)
			return 0;
		memcpy(buf, good, goodlen);
		for (i = 1; i + 2 < size; i += 3) {
			size_t	 off = ((size_t)data[i] << 8 |
			    data[i + 1]) % goodlen;

			buf[off] = (char)data[i + 2];
		}
		fuzz_verify(buf, goodlen);
		free(buf);
		return 0;
	}
	/* exact-size heap copies so ASan sees over-reads */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	if (size > 0 && data[0] == 0x02)
		fuzz_request(buf + 1, size - 1);
	else if (size > 0 && data[0] == 0x03)
		fuzz_query(buf + 1, size - 1);
	else
		fuzz_verify(buf, size);
	free(buf);
	return 0;
}
