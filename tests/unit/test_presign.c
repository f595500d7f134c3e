/*
 * test_presign.c -- authz/presign.c: minting and checking presigned
 * file-transfer tokens (security-catalog group J at this layer), the mint
 * request parser and the strict query decoding.
 *
 * Configs are built by hand with two secrets, "ka" and "kb".  Tokens are
 * minted by presign_mint() or forged here with OpenSSL HMAC, so a test
 * can sign a payload of its choosing with the right key (to reach the
 * post-MAC checks) or with a wrong construction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/common.h"
#include "config/config.h"
#include "routing/routing.h"
#include "authz/authz.h"

#define NOW	1700000000

static unsigned char ka_secret[] = "ka-secret-0123456789abcdef0123456789";
static unsigned char kb_secret[] = "kb-secret-abcdef0123456789abcdef012345";
static unsigned char ka_other[] = "ka-other--0123456789abcdef0123456789";

/* Configs: [ka], [kb, ka], [kb], [ka with another secret], none. */
enum { C_A = 0, C_BA, C_B, C_A2, C_NONE, C_COUNT };
static struct config confs[C_COUNT];

static void
set_key(struct conf_jwt_key *k, const char *kid, unsigned char *s,
    size_t len)
{
	memset(k, 0, sizeof(*k));
	str_lcpy(k->kid, kid, sizeof(k->kid));
	k->alg = CONF_ALG_HS256;
	k->key = s;
	k->keylen = len;
}

static int
setup(void **state)
{
	size_t	 i;

	(void)state;
	memset(confs, 0, sizeof(confs));
	for (i = 0; i < C_COUNT; i++) {
		confs[i].presign_default_ttl_ms = 300000;
		confs[i].presign_max_ttl_ms = 3600000;
	}
	set_key(&confs[C_A].presign_keys[0], "ka", ka_secret,
	    sizeof(ka_secret) - 1);
	confs[C_A].npresign_keys = 1;
	set_key(&confs[C_BA].presign_keys[0], "kb", kb_secret,
	    sizeof(kb_secret) - 1);
	set_key(&confs[C_BA].presign_keys[1], "ka", ka_secret,
	    sizeof(ka_secret) - 1);
	confs[C_BA].npresign_keys = 2;
	set_key(&confs[C_B].presign_keys[0], "kb", kb_secret,
	    sizeof(kb_secret) - 1);
	confs[C_B].npresign_keys = 1;
	set_key(&confs[C_A2].presign_keys[0], "ka", ka_other,
	    sizeof(ka_other) - 1);
	confs[C_A2].npresign_keys = 1;
	return 0;
}

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

/*
 * Forge "v1.<kid>.<payload>.<mac>" with HMAC-SHA256 of
 * domain || "v1.<kid>.<payload>" under secret.  domain NULL: the real one.
 */
static void
forge(char *out, size_t outsz, const char *kid, const char *payload,
    const unsigned char *secret, size_t slen, const char *domain)
{
	char		 buf[8192 + 64], si[8192];
	unsigned char	 mac[32];
	unsigned	 maclen = 0;
	size_t		 n;

	n = (size_t)snprintf(si, sizeof(si), "v1.");
	n += b64url((const unsigned char *)kid, strlen(kid), si + n);
	si[n++] = '.';
	n += b64url((const unsigned char *)payload, strlen(payload), si + n);
	snprintf(buf, sizeof(buf), "%s%s",
	    domain != NULL ? domain : "drawbridge-presign-", si);
	assert_non_null(HMAC(EVP_sha256(), secret, (int)slen,
	    (const unsigned char *)buf, strlen(buf), mac, &maclen));
	si[n++] = '.';
	n += b64url(mac, maclen, si + n);
	assert_true(n < outsz);
	memcpy(out, si, n + 1);
}

static void
claims(struct presign_claims *c, const char *sbx, int put, const char *path,
    int64_t exp)
{
	memset(c, 0, sizeof(*c));
	str_lcpy(c->sbx, sbx, sizeof(c->sbx));
	c->put = put;
	str_lcpy(c->path, path, sizeof(c->path));
	c->pathlen = strlen(path);
	c->exp = exp;
}

/* Mint for sbx1 PUT /home/ubuntu/a.txt, exp NOW+60, with conf i. */
static int
mint_std(int ci, char *tok, size_t toksz, struct presign_claims *c)
{
	claims(c, "sbx1", 1, "/home/ubuntu/a.txt", NOW + 60);
	return presign_mint(&confs[ci], c, tok, toksz);
}

static enum presign_rc
verify(int ci, const char *tok, const char *sbx, int put, const char *path,
    time_t now, struct presign_claims *out)
{
	return presign_verify(&confs[ci], tok, strlen(tok), sbx, put, path,
	    strlen(path), now, out);
}

/* ---- mint and verify ---- */

static void
test_round_trip(void **state)
{
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1], tok2[PRESIGN_MAX_TOKEN + 1];
	int	 n;

	(void)state;
	claims(&c, "0b6f1c9e-3d2a-4f5b-9c8d-7e6a5b4c3d2e", 0,
	    "/home/ubuntu/dir with space/ü.bin", NOW + 300);
	c.one_time = 1;
	c.max_bytes = 1048576;
	n = presign_mint(&confs[C_A], &c, tok, sizeof(tok));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(tok));
	assert_memory_equal(tok, "v1.a2E.", 7);	/* b64url("ka") */
	assert_string_equal(c.kid, "ka");
	assert_int_equal(verify(C_A, tok,
	    "0b6f1c9e-3d2a-4f5b-9c8d-7e6a5b4c3d2e", 0,
	    "/home/ubuntu/dir with space/ü.bin", NOW, &out), PRESIGN_OK);
	assert_string_equal(out.sbx, "0b6f1c9e-3d2a-4f5b-9c8d-7e6a5b4c3d2e");
	assert_int_equal(out.put, 0);
	assert_string_equal(out.path, "/home/ubuntu/dir with space/ü.bin");
	assert_int_equal(out.pathlen, strlen(out.path));
	assert_int_equal(out.exp, NOW + 300);
	assert_string_equal(out.kid, "ka");
	assert_memory_equal(out.nonce, c.nonce, sizeof(c.nonce));
	assert_int_equal(out.one_time, 1);
	assert_int_equal(out.max_bytes, 1048576);

	/* PUT, reusable, no cap; and a fresh nonce per mint */
	assert_true(mint_std(C_A, tok2, sizeof(tok2), &c) > 0);
	assert_int_equal(verify(C_A, tok2, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW + 59, &out), PRESIGN_OK);
	assert_int_equal(out.put, 1);
	assert_int_equal(out.one_time, 0);
	assert_int_equal(out.max_bytes, 0);
	assert_true(mint_std(C_A, tok, sizeof(tok), &c) > 0);
	assert_string_not_equal(tok, tok2);
	assert_memory_not_equal(out.nonce, c.nonce, sizeof(c.nonce));

	/* the token is URL-safe as is */
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_."), strlen(tok));
}

static void
test_mint_bad(void **state)
{
	struct presign_claims c;
	char	 tok[PRESIGN_MAX_TOKEN + 1], big[PRESIGN_MAX_PATH + 2];
	int	 n;

	(void)state;
	/* no presign-key configured */
	assert_int_equal(mint_std(C_NONE, tok, sizeof(tok), &c), -1);
	assert_string_equal(tok, "");
	/* bad sandbox ids */
	claims(&c, "SBX1", 1, "/a", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	claims(&c, "-sbx", 1, "/a", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	claims(&c, "", 1, "/a", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	/* empty path, control characters, too long */
	claims(&c, "sbx1", 1, "", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	claims(&c, "sbx1", 1, "/a\nb", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	claims(&c, "sbx1", 1, "/a", NOW + 1);
	c.pathlen = 3;	/* includes the NUL */
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	claims(&c, "sbx1", 1, "/a", NOW + 1);
	memset(big, 'a', sizeof(big));
	memcpy(c.path, big, PRESIGN_MAX_PATH);
	c.pathlen = PRESIGN_MAX_PATH + 1;
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	/* invalid UTF-8 cannot be a JSON string */
	claims(&c, "sbx1", 1, "/a\xff", NOW + 1);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	/* exp must be positive */
	claims(&c, "sbx1", 1, "/a", 0);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)), -1);
	/* buffer too small, at every size up to the needed one */
	claims(&c, "sbx1", 1, "/a", NOW + 1);
	n = presign_mint(&confs[C_A], &c, tok, sizeof(tok));
	assert_true(n > 0);
	for (size_t sz = 1; sz <= (size_t)n; sz++) {
		char	*b = malloc(sz);

		assert_non_null(b);
		assert_int_equal(presign_mint(&confs[C_A], &c, b, sz), -1);
		assert_int_equal(b[0], '\0');
		free(b);
	}
	{
		char	*b = malloc((size_t)n + 1);

		assert_non_null(b);
		assert_int_equal(presign_mint(&confs[C_A], &c, b,
		    (size_t)n + 1), n);
		free(b);
	}
	/* a maximal path of plain bytes fits PRESIGN_MAX_TOKEN */
	claims(&c, "a123456789b123456789c123456789d123456789e123456789"
	    "f12345678901", 1, "/", NOW + 1);
	memset(c.path, 'x', PRESIGN_MAX_PATH);
	c.pathlen = PRESIGN_MAX_PATH;
	n = presign_mint(&confs[C_A], &c, tok, sizeof(tok));
	assert_true(n > 0 && n <= PRESIGN_MAX_TOKEN);
}

/* Every single-byte change of a valid token is refused. */
static void
test_mutate_every_byte(void **state)
{
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1], m[PRESIGN_MAX_TOKEN + 1];
	size_t	 len, i;
	int	 v, n;

	(void)state;
	n = mint_std(C_A, tok, sizeof(tok), &c);
	assert_true(n > 0);
	len = (size_t)n;
	for (i = 0; i < len; i++) {
		for (v = 0; v < 256; v++) {
			if (v == (unsigned char)tok[i])
				continue;
			memcpy(m, tok, len);
			m[i] = (char)v;
			if (presign_verify(&confs[C_A], m, len, "sbx1", 1,
			    "/home/ubuntu/a.txt", 18, NOW, &out) ==
			    PRESIGN_OK)
				fail_msg("mutation at %zu to 0x%02x accepted",
				    i, v);
		}
		/* deletion and insertion too */
		memcpy(m, tok, i);
		memcpy(m + i, tok + i + 1, len - i - 1);
		assert_int_not_equal(presign_verify(&confs[C_A], m, len - 1,
		    "sbx1", 1, "/home/ubuntu/a.txt", 18, NOW, &out),
		    PRESIGN_OK);
		memcpy(m, tok, i);
		m[i] = 'A';
		memcpy(m + i + 1, tok + i, len - i);
		assert_int_not_equal(presign_verify(&confs[C_A], m, len + 1,
		    "sbx1", 1, "/home/ubuntu/a.txt", 18, NOW, &out),
		    PRESIGN_OK);
	}
	assert_int_equal(presign_verify(&confs[C_A], tok, len, "sbx1", 1,
	    "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_OK);
}

/* J02: expired when exp <= now, no leeway. */
static void
test_expiry(void **state)
{
	static const struct { int64_t d; enum presign_rc rc; } t[] = {
		{ -3600, PRESIGN_EXPIRED },
		{ -1, PRESIGN_EXPIRED },
		{ 0, PRESIGN_EXPIRED },
		{ 1, PRESIGN_OK },
		{ 3600, PRESIGN_OK },
	};
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++) {
		claims(&c, "sbx1", 0, "/f", NOW + t[i].d);
		assert_true(presign_mint(&confs[C_A], &c, tok,
		    sizeof(tok)) > 0);
		assert_int_equal(verify(C_A, tok, "sbx1", 0, "/f", NOW, &out),
		    t[i].rc);
	}
	/* an expired token for the wrong sandbox is still "expired" */
	claims(&c, "sbx1", 0, "/f", NOW);
	assert_true(presign_mint(&confs[C_A], &c, tok, sizeof(tok)) > 0);
	assert_int_equal(verify(C_A, tok, "sbx2", 1, "/g", NOW, &out),
	    PRESIGN_EXPIRED);
}

/* J09, J10, J11, J15: method, path and sandbox binding. */
static void
test_binding(void **state)
{
	static const struct {
		const char	*sbx;
		int		 put;
		const char	*path;
		enum presign_rc	 rc;
	} t[] = {
		{ "sbx1", 1, "/home/ubuntu/a.txt", PRESIGN_OK },
		{ "sbx1", 0, "/home/ubuntu/a.txt", PRESIGN_WRONG_METHOD },
		{ "sbx2", 1, "/home/ubuntu/a.txt", PRESIGN_WRONG_SANDBOX },
		{ "sbx", 1, "/home/ubuntu/a.txt", PRESIGN_WRONG_SANDBOX },
		{ "sbx11", 1, "/home/ubuntu/a.txt", PRESIGN_WRONG_SANDBOX },
		{ "SBX1", 1, "/home/ubuntu/a.txt", PRESIGN_WRONG_SANDBOX },
		{ "", 1, "/home/ubuntu/a.txt", PRESIGN_WRONG_SANDBOX },
		{ "sbx1", 1, "/home/ubuntu/a.txt/../b.txt",
		    PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/%61.txt", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/A.txt", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/a.txt;x", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu//a.txt", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/a.txt/", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/./a.txt", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "/home/ubuntu/a.tx", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "home/ubuntu/a.txt", PRESIGN_WRONG_PATH },
		{ "sbx1", 1, "", PRESIGN_WRONG_PATH },
		{ "sbx1", 0, "/home/ubuntu/b.txt", PRESIGN_WRONG_METHOD },
	};
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1];
	size_t	 i;

	(void)state;
	assert_true(mint_std(C_A, tok, sizeof(tok), &c) > 0);
	for (i = 0; i < DB_ARRLEN(t); i++) {
		enum presign_rc rc = verify(C_A, tok, t[i].sbx, t[i].put,
		    t[i].path, NOW, &out);

		if (rc != t[i].rc)
			fail_msg("case %zu (%s %d %s): %s, want %s", i,
			    t[i].sbx, t[i].put, t[i].path, presign_code(rc),
			    presign_code(t[i].rc));
		/* WRONG_* fill the claims for logging */
		assert_string_equal(out.sbx, "sbx1");
		assert_string_equal(out.path, "/home/ubuntu/a.txt");
	}
	/* a decoded NUL inside the path is a different path */
	assert_int_equal(presign_verify(&confs[C_A], tok, strlen(tok), "sbx1",
	    1, "/home/ubuntu/a.txt\0.png", 23, NOW, &out), PRESIGN_WRONG_PATH);
	/* NULL sandbox or path */
	assert_int_equal(presign_verify(&confs[C_A], tok, strlen(tok), NULL,
	    1, "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_WRONG_SANDBOX);
	assert_int_equal(presign_verify(&confs[C_A], tok, strlen(tok), "sbx1",
	    1, NULL, 0, NOW, &out), PRESIGN_WRONG_PATH);
	/* put is a boolean */
	assert_int_equal(presign_verify(&confs[C_A], tok, strlen(tok), "sbx1",
	    7, "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_OK);
	/* NULL out is allowed */
	assert_int_equal(presign_verify(&confs[C_A], tok, strlen(tok), "sbx1",
	    1, "/home/ubuntu/a.txt", 18, NOW, NULL), PRESIGN_OK);

	/* J15: field boundaries cannot move (path "/a/b1" vs "/a/b") */
	claims(&c, "sbx1", 0, "/a/b1", 23);
	assert_true(presign_mint(&confs[C_A], &c, tok, sizeof(tok)) > 0);
	assert_int_equal(verify(C_A, tok, "sbx1", 0, "/a/b", 22, &out),
	    PRESIGN_WRONG_PATH);
	claims(&c, "sbx1", 0, "/a/b", 123);
	assert_int_equal(presign_mint(&confs[C_A], &c, tok, sizeof(tok)) > 0,
	    1);
	assert_int_equal(verify(C_A, tok, "sbx1", 0, "/a/b1", 22, &out),
	    PRESIGN_WRONG_PATH);
}

/* Key ids and rotation. */
static void
test_keys(void **state)
{
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1], tokb[PRESIGN_MAX_TOKEN + 1];

	(void)state;
	/* minted with ka */
	assert_true(mint_std(C_A, tok, sizeof(tok), &c) > 0);
	/* rotation: kb signs now, ka still verifies */
	assert_int_equal(verify(C_BA, tok, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_OK);
	assert_string_equal(out.kid, "ka");
	/* ka retired */
	assert_int_equal(verify(C_B, tok, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_UNKNOWN_KEY);
	assert_int_equal(verify(C_NONE, tok, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_UNKNOWN_KEY);
	/* same kid, another secret */
	assert_int_equal(verify(C_A2, tok, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_BAD_SIGNATURE);
	/* the first key signs */
	assert_true(mint_std(C_BA, tokb, sizeof(tokb), &c) > 0);
	assert_string_equal(c.kid, "kb");
	assert_memory_equal(tokb, "v1.a2I.", 7);
	assert_int_equal(verify(C_BA, tokb, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_OK);
	assert_int_equal(verify(C_A, tokb, "sbx1", 1, "/home/ubuntu/a.txt",
	    NOW, &out), PRESIGN_UNKNOWN_KEY);
	/* kid prefix / suffix of a configured one */
	forge(tok, sizeof(tok), "k", "{}", ka_secret, sizeof(ka_secret) - 1,
	    NULL);
	assert_int_equal(verify(C_A, tok, "sbx1", 1, "/x", NOW, &out),
	    PRESIGN_UNKNOWN_KEY);
	forge(tok, sizeof(tok), "kaa", "{}", ka_secret, sizeof(ka_secret) - 1,
	    NULL);
	assert_int_equal(verify(C_A, tok, "sbx1", 1, "/x", NOW, &out),
	    PRESIGN_UNKNOWN_KEY);
}

#define GOODPL(e) "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":" e \
	",\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}"

/*
 * Tokens forged here: the format is what docs/PRESIGN.md says (a payload
 * we sign with the right key verifies), a payload changed and re-MACed
 * any other way is a bad signature, and an authenticated payload that is
 * not exactly ours is malformed.
 */
static void
test_forged(void **state)
{
	static const struct {
		const char	*payload;
		int		 how;	/* 0 right, 1 wrong key, 2 no domain,
					   3 other domain */
		enum presign_rc	 rc;
	} t[] = {
		{ GOODPL("1700000060"), 0, PRESIGN_OK },
		{ GOODPL("9999999999"), 1, PRESIGN_BAD_SIGNATURE },
		{ GOODPL("9999999999"), 2, PRESIGN_BAD_SIGNATURE },
		{ GOODPL("9999999999"), 3, PRESIGN_BAD_SIGNATURE },
		/* authenticated but not exactly our payload */
		{ GOODPL("1700000060.0"), 0, PRESIGN_MALFORMED },
		{ GOODPL("\"1700000060\""), 0, PRESIGN_MALFORMED },
		{ GOODPL("-1"), 0, PRESIGN_MALFORMED },
		{ GOODPL("0"), 0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"s\":\"sbx2\",\"m\":\"PUT\",\"p\":\"/a\","
		  "\"e\":1700000060,\"n\":\"00112233445566778899aabbccddeeff\","
		  "\"o\":1}", 0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0,"
		  "\"x\":1}", 0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1}", 0,
		  PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"x\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"put\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"HEAD\",\"p\":\"/a\","
		  "\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"Sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\\u0000\","
		  "\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899AABBCCDDEEFF\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddee\",\"o\":1,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":2,\"b\":0}",
		  0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":true,"
		  "\"b\":0}", 0, PRESIGN_MALFORMED },
		{ "{\"s\":\"sbx1\",\"m\":\"PUT\",\"p\":\"/a\",\"e\":1700000060,"
		  "\"n\":\"00112233445566778899aabbccddeeff\",\"o\":1,"
		  "\"b\":-1}",
		  0, PRESIGN_MALFORMED },
		{ "[1]", 0, PRESIGN_MALFORMED },
		{ "null", 0, PRESIGN_MALFORMED },
		{ "{", 0, PRESIGN_MALFORMED },
	};
	struct presign_claims out;
	char	 tok[4096];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++) {
		enum presign_rc rc;

		switch (t[i].how) {
		case 0:
			forge(tok, sizeof(tok), "ka", t[i].payload, ka_secret,
			    sizeof(ka_secret) - 1, NULL);
			break;
		case 1:
			forge(tok, sizeof(tok), "ka", t[i].payload, kb_secret,
			    sizeof(kb_secret) - 1, NULL);
			break;
		case 2:
			forge(tok, sizeof(tok), "ka", t[i].payload, ka_secret,
			    sizeof(ka_secret) - 1, "");
			break;
		default:
			forge(tok, sizeof(tok), "ka", t[i].payload, ka_secret,
			    sizeof(ka_secret) - 1, "drawbridge-cookie-");
			break;
		}
		rc = verify(C_A, tok, "sbx1", 1, "/a", NOW, &out);
		if (rc != t[i].rc)
			fail_msg("case %zu (%s): %s, want %s", i, t[i].payload,
			    presign_code(rc), presign_code(t[i].rc));
	}
	/* the forged good one carries its nonce and flags */
	forge(tok, sizeof(tok), "ka", GOODPL("1700000060"), ka_secret,
	    sizeof(ka_secret) - 1, NULL);
	assert_int_equal(verify(C_A, tok, "sbx1", 1, "/a", NOW, &out),
	    PRESIGN_OK);
	assert_int_equal(out.nonce[0], 0x00);
	assert_int_equal(out.nonce[15], 0xff);
	assert_int_equal(out.one_time, 1);
}

/* Syntax: strict base64url, four fields, size caps. */
static void
test_syntax(void **state)
{
	struct presign_claims c, out;
	char	 tok[PRESIGN_MAX_TOKEN + 1], m[PRESIGN_MAX_TOKEN + 64];
	char	*big;
	size_t	 len;
	char	*d1, *d2, *d3;

	(void)state;
	assert_true(mint_std(C_A, tok, sizeof(tok), &c) > 0);
	len = strlen(tok);
	d1 = strchr(tok, '.');
	d2 = strchr(d1 + 1, '.');
	d3 = strchr(d2 + 1, '.');
	assert_non_null(d3);

#define BAD(s) assert_int_equal(presign_verify(&confs[C_A], (s),	\
	    strlen(s), "sbx1", 1, "/home/ubuntu/a.txt", 18, NOW, &out),	\
	    PRESIGN_MALFORMED)
	BAD("");
	BAD("v1");
	BAD("v1.");
	BAD("v1...");
	BAD("v1.a2E..");
	BAD("v2.a2E.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	BAD("V1.a2E.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	/* padding */
	snprintf(m, sizeof(m), "%s=", tok);
	BAD(m);
	/* a fifth field */
	snprintf(m, sizeof(m), "%s.AA", tok);
	BAD(m);
	/* a JWT-style three-field token */
	snprintf(m, sizeof(m), "%s", tok + 3);
	BAD(m);
	/* leading / trailing space */
	snprintf(m, sizeof(m), " %s", tok);
	BAD(m);
	snprintf(m, sizeof(m), "%s ", tok);
	BAD(m);
	/* standard base64 alphabet */
	memcpy(m, tok, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (m[i] == '-')
			m[i] = '+';
		else if (m[i] == '_')
			m[i] = '/';
	}
	if (strcmp(m, tok) != 0)
		BAD(m);
	/* non-canonical trailing bits in the MAC: 43 chars = 32 bytes + 2
	 * unused bits, so the last char must be one of A E I M ... */
	memcpy(m, tok, len + 1);
	m[len - 1] = m[len - 1] == 'B' ? 'C' : 'B';
	BAD(m);
	/* MAC field one char short / long */
	memcpy(m, tok, len + 1);
	m[len - 1] = '\0';
	BAD(m);
	snprintf(m, sizeof(m), "%sA", tok);
	BAD(m);
	/* embedded NUL: length counts */
	assert_int_equal(presign_verify(&confs[C_A], tok, len + 1, "sbx1", 1,
	    "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_MALFORMED);
	/* prefix lengths */
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(presign_verify(&confs[C_A], tok, i,
		    "sbx1", 1, "/home/ubuntu/a.txt", 18, NOW, &out),
		    PRESIGN_OK);
	/* NULL and over the cap */
	assert_int_equal(presign_verify(&confs[C_A], NULL, 0, "sbx1", 1,
	    "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_MALFORMED);
	assert_int_equal(presign_verify(NULL, tok, len, "sbx1", 1,
	    "/home/ubuntu/a.txt", 18, NOW, &out), PRESIGN_MALFORMED);
	big = malloc(PRESIGN_MAX_TOKEN + 2);
	assert_non_null(big);
	memset(big, 'A', PRESIGN_MAX_TOKEN + 1);
	memcpy(big, tok, len);
	big[PRESIGN_MAX_TOKEN + 1] = '\0';
	BAD(big);
	free(big);
	/* out is zeroed on failure */
	memset(&out, 0x5a, sizeof(out));
	BAD("v1");
	assert_int_equal(out.sbx[0], 0);
	assert_int_equal(out.exp, 0);
#undef BAD
}

/* ---- mint request parsing ---- */

static void
test_parse_request(void **state)
{
	static const struct {
		const char	*body;
		int		 rc;
		const char	*path;
		int64_t		 ttl;
		int		 one_time;
		uint64_t	 max_bytes;
		const char	*err;
	} t[] = {
		{ "{\"path\":\"/home/ubuntu/a.txt\"}", 0, "/home/ubuntu/a.txt",
		    300, 0, 0, NULL },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":60}", 0, "/a", 60,
		    0, 0, NULL },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":3600}", 0, "/a",
		    3600, 0, 0, NULL },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":1}", 0, "/a", 1, 0,
		    0, NULL },
		{ "{\"path\":\"/a\",\"oneTime\":true}", 0, "/a", 300, 1, 0,
		    NULL },
		{ "{\"path\":\"/a\",\"oneTime\":false,\"maxBytes\":1048576}",
		    0, "/a", 300, 0, 1048576, NULL },
		{ "{\"path\":\"/a\",\"oneTime\":null,"
		  "\"expiresInSeconds\":null}",
		    0, "/a", 300, 0, 0, NULL },
		{ "{\"path\":\"/a\",\"other\":[1,2],\"x\":{}}", 0, "/a", 300,
		    0, 0, NULL },
		{ " {\"path\" : \"rel/../x\"} \n", 0, "rel/../x", 300, 0, 0,
		    NULL },
		{ "{\"path\":\"/a\\\"b\\\\c\"}", 0, "/a\"b\\c", 300, 0, 0,
		    NULL },
		{ "{\"path\":\"/caf\\u00e9\"}", 0, "/café", 300, 0, 0, NULL },
		/* bad */
		{ "{\"path\":\"/a\",\"expiresInSeconds\":3601}", -1, NULL, 0,
		    0, 0, "expiresInSeconds exceeds the maximum of 3600" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":99999999999}", -1,
		    NULL, 0, 0, 0,
		    "expiresInSeconds exceeds the maximum of 3600" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":0}", -1, NULL, 0, 0,
		    0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":-5}", -1, NULL, 0, 0,
		    0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":60.0}", -1, NULL, 0,
		    0, 0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":1e2}", -1, NULL, 0,
		    0, 0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":\"60\"}", -1, NULL,
		    0, 0, 0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"expiresInSeconds\":true}", -1, NULL, 0,
		    0, 0, "expiresInSeconds must be a positive integer" },
		{ "{\"path\":\"/a\",\"oneTime\":1}", -1, NULL, 0, 0, 0,
		    "oneTime must be a boolean" },
		{ "{\"path\":\"/a\",\"oneTime\":\"true\"}", -1, NULL, 0, 0, 0,
		    "oneTime must be a boolean" },
		{ "{\"path\":\"/a\",\"maxBytes\":0}", -1, NULL, 0, 0, 0,
		    "maxBytes must be a positive integer" },
		{ "{\"path\":\"/a\",\"maxBytes\":\"1\"}", -1, NULL, 0, 0, 0,
		    "maxBytes must be a positive integer" },
		{ "{\"path\":\"/a\",\"maxBytes\":1.5}", -1, NULL, 0, 0, 0,
		    "maxBytes must be a positive integer" },
		{ "{}", -1, NULL, 0, 0, 0, "path is required" },
		{ "{\"path\":null}", -1, NULL, 0, 0, 0,
		    "path must be a string" },
		{ "{\"path\":1}", -1, NULL, 0, 0, 0, "path must be a string" },
		{ "{\"path\":[\"/a\"]}", -1, NULL, 0, 0, 0,
		    "path must be a string" },
		{ "{\"path\":\"\"}", -1, NULL, 0, 0, 0,
		    "path must not be empty" },
		/* jansson refuses \u0000 without JSON_ALLOW_NUL */
		{ "{\"path\":\"/a\\u0000b\"}", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "{\"path\":\"/a\\nb\"}", -1, NULL, 0, 0, 0,
		    "path must not contain control characters" },
		{ "{\"path\":\"/a\\u007f\"}", -1, NULL, 0, 0, 0,
		    "path must not contain control characters" },
		{ "{\"path\":\"/a\",\"path\":\"/b\"}", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "[\"/a\"]", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "\"/a\"", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "{\"path\":\"/a\"", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "{\"path\":\"/a\"} {}", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
		{ "", -1, NULL, 0, 0, 0, "request body must be a JSON object" },
		{ "{\"path\":\"\xff\"}", -1, NULL, 0, 0, 0,
		    "request body must be a JSON object" },
	};
	struct presign_claims c;
	char	 err[128];
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++) {
		int	 rc;

		memset(&c, 0, sizeof(c));
		str_lcpy(c.sbx, "sbx1", sizeof(c.sbx));
		c.put = 1;
		rc = presign_parse_request(&confs[C_A], t[i].body,
		    strlen(t[i].body), NOW, &c, err, sizeof(err));
		if (rc != t[i].rc)
			fail_msg("case %zu (%s): rc %d (%s)", i, t[i].body, rc,
			    err);
		if (rc == 0) {
			assert_string_equal(err, "");
			assert_string_equal(c.path, t[i].path);
			assert_int_equal(c.pathlen, strlen(t[i].path));
			assert_int_equal(c.exp, NOW + t[i].ttl);
			assert_int_equal(c.one_time, t[i].one_time);
			assert_int_equal(c.max_bytes, t[i].max_bytes);
			/* the caller's fields are left alone */
			assert_string_equal(c.sbx, "sbx1");
			assert_int_equal(c.put, 1);
		} else if (strcmp(err, t[i].err) != 0)
			fail_msg("case %zu (%s): error \"%s\", want \"%s\"", i,
			    t[i].body, err, t[i].err);
	}
}

static void
test_parse_request_limits(void **state)
{
	struct presign_claims c;
	char	 err[128], tok[PRESIGN_MAX_TOKEN + 1];
	char	*body;
	size_t	 n, i;
	struct config conf = confs[C_A];

	(void)state;
	body = malloc(65536);
	assert_non_null(body);

	/* PRESIGN_MAX_PATH bytes: ok, and it mints; one more: refused */
	for (i = 0; i < 2; i++) {
		n = (size_t)snprintf(body, 65536, "{\"path\":\"");
		memset(body + n, 'p', PRESIGN_MAX_PATH + i);
		n += PRESIGN_MAX_PATH + i;
		n += (size_t)snprintf(body + n, 65536 - n, "\"}");
		memset(&c, 0, sizeof(c));
		str_lcpy(c.sbx, "a123456789b123456789c123456789d123456789"
		    "e123456789f12345678901", sizeof(c.sbx));
		assert_int_equal(presign_parse_request(&conf, body, n, NOW,
		    &c, err, sizeof(err)), i == 0 ? 0 : -1);
		if (i == 0) {
			assert_int_equal(c.pathlen, PRESIGN_MAX_PATH);
			assert_true(presign_mint(&conf, &c, tok,
			    sizeof(tok)) > 0);
		} else
			assert_string_equal(err,
			    "path is longer than 1024 bytes");
	}
	/* quotes double in JSON: whatever parses also mints */
	for (i = 0; i <= PRESIGN_MAX_PATH; i += 8) {
		size_t	 j;

		n = (size_t)snprintf(body, 65536, "{\"path\":\"");
		for (j = 0; j < PRESIGN_MAX_PATH; j++) {
			if (j < i) {
				body[n++] = '\\';
				body[n++] = '"';
			} else
				body[n++] = 'q';
		}
		n += (size_t)snprintf(body + n, 65536 - n, "\"}");
		memset(&c, 0, sizeof(c));
		str_lcpy(c.sbx, "a123456789b123456789c123456789d123456789"
		    "e123456789f12345678901", sizeof(c.sbx));
		c.put = 1;
		if (presign_parse_request(&conf, body, n, NOW, &c, err,
		    sizeof(err)) == 0)
			assert_true(presign_mint(&conf, &c, tok,
			    sizeof(tok)) > 0);
		else
			assert_string_equal(err, "path has too many quote "
			    "or backslash characters");
	}
	/* body cap */
	memset(body, ' ', 65536);
	memcpy(body, "{\"path\":\"/a\"}", 13);
	assert_int_equal(presign_parse_request(&conf, body, 65536, NOW, &c,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	/* error buffer: truncated, NULL allowed */
	assert_int_equal(presign_parse_request(&conf, "{}", 2, NOW, &c, err,
	    5), -1);
	assert_string_equal(err, "path");
	assert_int_equal(presign_parse_request(&conf, "{}", 2, NOW, &c, NULL,
	    0), -1);

	/* configured lifetimes: default 90.5 s -> 90 s, max 2 min */
	conf.presign_default_ttl_ms = 90500;
	conf.presign_max_ttl_ms = 120000;
	assert_int_equal(presign_parse_request(&conf, "{\"path\":\"/a\"}", 13,
	    NOW, &c, err, sizeof(err)), 0);
	assert_int_equal(c.exp, NOW + 90);
	assert_int_equal(presign_parse_request(&conf,
	    "{\"path\":\"/a\",\"expiresInSeconds\":121}", 36, NOW, &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "expiresInSeconds exceeds the maximum of 120");
	assert_int_equal(presign_parse_request(&conf,
	    "{\"path\":\"/a\",\"expiresInSeconds\":120}", 36, NOW, &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.exp, NOW + 120);
	free(body);
}

/* ---- query strings ---- */

static void
test_query_param(void **state)
{
	static const struct {
		const char	*q;
		const char	*name;
		int		 rc;
		const char	*val;
		size_t		 vlen;
	} t[] = {
		{ "path=%2Fhome%2Fa.txt&token=abc", "path", 1,
		    "/home/a.txt", 11 },
		{ "path=%2Fhome%2Fa.txt&token=abc", "token", 1, "abc", 3 },
		{ "token=abc&path=/x", "path", 1, "/x", 2 },
		{ "path=/x", "token", 0, "", 0 },
		{ "", "token", 0, "", 0 },
		{ "path", "path", 1, "", 0 },
		{ "path=", "path", 1, "", 0 },
		{ "path==", "path", 1, "=", 1 },
		{ "path=a=b", "path", 1, "a=b", 3 },
		{ "path=%2f%2F%2e%2E", "path", 1, "//..", 4 },
		{ "path=%c3%a9", "path", 1, "\xc3\xa9", 2 },
		{ "path=a+b", "path", 1, "a+b", 3 },
		{ "path=a%20b", "path", 1, "a b", 3 },
		{ "path=a%2Bb", "path", 1, "a+b", 3 },
		{ "path=%2E%2E%2Fetc%2Fpasswd", "path", 1, "../etc/passwd",
		    13 },
		{ "path=..%2f..%2fx", "path", 1, "../../x", 7 },
		{ "&path=/x&", "path", 1, "/x", 2 },
		{ "a=1&&path=/x", "path", 1, "/x", 2 },
		{ "paths=/x&pat=/y&Path=/z", "path", 0, "", 0 },
		{ "x=%zz&path=/x", "path", 1, "/x", 2 },	/* not ours */
		{ "x=%00&path=/x", "path", 1, "/x", 2 },
		{ "=/x&path=/y", "path", 1, "/y", 2 },
		/* duplicates, in any spelling: J12 */
		{ "path=/a&path=/b", "path", -1, "", 0 },
		{ "path=/a&path=/a", "path", -1, "", 0 },
		{ "path=/a&%70ath=/b", "path", -1, "", 0 },
		{ "path=/a&%70%61%74%68=/b", "path", -1, "", 0 },
		{ "token=a&token=b&path=/x", "token", -1, "", 0 },
		{ "token=a&path=/x&token", "token", -1, "", 0 },
		/* bad escapes in the value */
		{ "path=%", "path", -1, "", 0 },
		{ "path=%2", "path", -1, "", 0 },
		{ "path=%2g", "path", -1, "", 0 },
		{ "path=%g2", "path", -1, "", 0 },
		{ "path=/a%", "path", -1, "", 0 },
		{ "path=%%32%66", "path", -1, "", 0 },
		{ "path=%u002f", "path", -1, "", 0 },
		{ "path=/a%00.png", "path", -1, "", 0 },
		{ "path=%00", "path", -1, "", 0 },
		/* a name we cannot decode might be ours */
		{ "p%zzath=/a&path=/b", "path", -1, "", 0 },
		{ "%00path=/a&path=/b", "path", -1, "", 0 },
		{ "pa%=1&path=/b", "path", -1, "", 0 },
	};
	char	 out[64];
	size_t	 outlen, i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++) {
		int	 rc;

		outlen = 99;
		rc = presign_query_param(t[i].q, strlen(t[i].q), t[i].name,
		    out, sizeof(out), &outlen);
		if (rc != t[i].rc)
			fail_msg("case %zu (%s, %s): rc %d, want %d", i,
			    t[i].q, t[i].name, rc, t[i].rc);
		if (rc == 1) {
			assert_int_equal(outlen, t[i].vlen);
			assert_memory_equal(out, t[i].val, outlen);
			assert_int_equal(out[outlen], '\0');
		} else
			assert_int_equal(outlen, 0);
	}
	/* the value must fit with its NUL */
	assert_int_equal(presign_query_param("path=abcd", 9, "path", out, 5,
	    &outlen), 1);
	assert_string_equal(out, "abcd");
	assert_int_equal(presign_query_param("path=abcde", 10, "path", out, 5,
	    &outlen), -1);
	assert_int_equal(presign_query_param("path=%41%42%43%44", 17, "path",
	    out, 5, &outlen), 1);
	assert_string_equal(out, "ABCD");
	/* the span is the query: bytes past len are not read */
	assert_int_equal(presign_query_param("path=/a&path=/b", 7, "path",
	    out, sizeof(out), &outlen), 1);
	assert_string_equal(out, "/a");
	assert_int_equal(presign_query_param("path=%2", 7, "path", out,
	    sizeof(out), &outlen), -1);
	/* a long unrelated name is skipped, not refused */
	{
		char	 q[1024];

		memset(q, 'n', 600);
		memcpy(q + 600, "=1&path=/z", 11);
		assert_int_equal(presign_query_param(q, strlen(q), "path",
		    out, sizeof(out), &outlen), 1);
		assert_string_equal(out, "/z");
	}
}

static void
test_urlencode(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} t[] = {
		{ "", 0, "" },
		{ "/home/ubuntu/a.txt", 18, "%2Fhome%2Fubuntu%2Fa.txt" },
		{ "AZaz09-._~", 10, "AZaz09-._~" },
		{ "a b+c&d=e?f#g%h", 15,
		    "a%20b%2Bc%26d%3De%3Ff%23g%25h" },
		{ "caf\xc3\xa9", 5, "caf%C3%A9" },
		{ "\x00\x7f\xff", 3, "%00%7F%FF" },
	};
	char	 out[128], back[128];
	size_t	 i, bl;
	int	 n;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++) {
		n = presign_urlencode(t[i].in, t[i].len, out, sizeof(out));
		assert_int_equal(n, (int)strlen(t[i].out));
		assert_string_equal(out, t[i].out);
	}
	/* it fits exactly, or not at all */
	assert_int_equal(presign_urlencode("/a", 2, out, 5), 4);
	assert_int_equal(presign_urlencode("/a", 2, out, 4), -1);
	assert_string_equal(out, "");
	assert_int_equal(presign_urlencode("ab", 2, out, 2), -1);
	assert_int_equal(presign_urlencode("ab", 2, out, 0), -1);

	/* round trip through the query decoder for every byte but NUL */
	for (i = 1; i < 256; i++) {
		char	 in[3] = { 'x', (char)i, 'y' };
		char	 q[256];

		n = presign_urlencode(in, 3, out, sizeof(out));
		assert_true(n > 0);
		snprintf(q, sizeof(q), "path=%s&token=t", out);
		assert_int_equal(presign_query_param(q, strlen(q), "path",
		    back, sizeof(back), &bl), 1);
		assert_int_equal(bl, 3);
		assert_memory_equal(back, in, 3);
	}
}

static void
test_codes(void **state)
{
	static const struct { enum presign_rc rc; const char *code; } t[] = {
		{ PRESIGN_OK, "ok" },
		{ PRESIGN_MALFORMED, "presign_malformed" },
		{ PRESIGN_UNKNOWN_KEY, "presign_unknown_key" },
		{ PRESIGN_BAD_SIGNATURE, "presign_bad_signature" },
		{ PRESIGN_EXPIRED, "presign_expired" },
		{ PRESIGN_WRONG_SANDBOX, "presign_wrong_sandbox" },
		{ PRESIGN_WRONG_METHOD, "presign_wrong_method" },
		{ PRESIGN_WRONG_PATH, "presign_wrong_path" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(t); i++)
		assert_string_equal(presign_code(t[i].rc), t[i].code);
	assert_string_equal(presign_code((enum presign_rc)99),
	    "presign_invalid");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mint_bad),
		cmocka_unit_test(test_mutate_every_byte),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_parse_request_limits),
		cmocka_unit_test(test_query_param),
		cmocka_unit_test(test_urlencode),
		cmocka_unit_test(test_codes),
	};

	return cmocka_run_group_tests_name("presign", tests, setup, NULL);
}
