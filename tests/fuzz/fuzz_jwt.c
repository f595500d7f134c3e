// DEPS: authz/jwt.c config/config.c common/str.c common/log.c common/enc.c
/*
 * fuzz_jwt.c -- jwt_verify over arbitrary bytes with a fixed HS256 config
 * (one key "k1", audience "drawbridge", leeway 30 s, fixed clock).
 *
 * Two input modes, chosen by the first byte:
 *   0x01  mutate: the rest is (offset, byte) pairs applied to the one
 *         known-good token (minted at start-up with the same key);
 *   else  raw: the whole input is the token.
 *
 * Invariants checked (abort() on violation):
 *   - jwt_verify never accepts anything but the known-good token, byte for
 *     byte (strict base64url leaves exactly one spelling per token);
 *   - tokens over CONF_MAX_TOKEN_BYTES are AUTHZ_TOK_TOO_LARGE;
 *   - the result is a defined code and has a non-empty code string;
 *   - accepted claims are the minted ones.
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

static unsigned char fuzz_secret[] = "fuzz-secret-0123456789abcdef0123";
static struct config conf;
static char *good;
static size_t goodlen;

static void
fuzz_init(void)
{
	conf.njwt_keys = 1;
	str_lcpy(conf.jwt_keys[0].kid, "k1", sizeof(conf.jwt_keys[0].kid));
	conf.jwt_keys[0].alg = CONF_ALG_HS256;
	conf.jwt_keys[0].key = fuzz_secret;
	conf.jwt_keys[0].keylen = sizeof(fuzz_secret) - 1;
	str_lcpy(conf.jwt_audience, "drawbridge", sizeof(conf.jwt_audience));
	conf.jwt_leeway_s = 30;
	good = jwt_mint(&conf, "k1", "sbx1", 8080, FUZZ_NOW, 3600);
	if (good == NULL)
		abort();
	goodlen = strlen(good);
}

static void
fuzz_check(const char *tok, size_t len)
{
	struct authz_claims c;
	enum authz_tok rc;
	const char *code;

	rc = jwt_verify(&conf, tok, len, FUZZ_NOW, &c);
	code = jwt_tok_code(rc);
	if (code == NULL || code[0] == '\0' ||
	    strcmp(code, "token_invalid") == 0)
		abort();
	if (len > CONF_MAX_TOKEN_BYTES && rc != AUTHZ_TOK_TOO_LARGE)
		abort();
	if (rc != AUTHZ_TOK_OK)
		return;
	if (len != goodlen || memcmp(tok, good, len) != 0)
		abort();
	if (strcmp(c.sbx, "sbx1") != 0 || c.port != 8080 ||
	    c.exp != FUZZ_NOW + 3600 || strcmp(c.kid, "k1") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;
	size_t	 i;

	if (good == NULL)
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
		fuzz_check(buf, goodlen);
		free(buf);
		return 0;
	}
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_check(buf, size);
	free(buf);
	return 0;
}
