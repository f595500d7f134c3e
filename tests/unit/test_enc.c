/*
 * test_enc.c -- common/enc.c: strict base64url both ways (RFC 4648 vectors,
 * the one-spelling rules: alphabet, padding, length, trailing bits), hex
 * digits, and percent-decoding in strict and lenient mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/common.h"

/* ---- base64url ---- */

struct b64_vec {
	const char	*name;
	const char	*in;		/* base64url text */
	size_t		 inlen;		/* 0: strlen(in) */
	const char	*out;		/* decoded bytes; NULL: must fail */
	size_t		 outlen;
};

static const struct b64_vec b64_vecs[] = {
	/* RFC 4648 section 10, unpadded */
	{ "empty", "", 0, "", 0 },
	{ "f", "Zg", 0, "f", 1 },
	{ "fo", "Zm8", 0, "fo", 2 },
	{ "foo", "Zm9v", 0, "foo", 3 },
	{ "foob", "Zm9vYg", 0, "foob", 4 },
	{ "fooba", "Zm9vYmE", 0, "fooba", 5 },
	{ "foobar", "Zm9vYmFy", 0, "foobar", 6 },
	/* the two url-safe characters */
	{ "url alphabet", "-_8", 0, "\xfb\xff", 2 },
	{ "all ones", "____", 0, "\xff\xff\xff", 3 },
	{ "NUL bytes are data", "AAA", 0, "\0\0", 2 },
	/* canonical trailing bits: one spelling per byte string */
	{ "2 chars, canonical", "Zw", 0, "g", 1 },
	{ "2 chars, low spare bit", "Zh", 0, NULL, 0 },
	{ "2 chars, top spare bit", "ZI", 0, NULL, 0 },
	{ "2 chars, all spare bits", "Z_", 0, NULL, 0 },
	{ "3 chars, low spare bit", "Zm9", 0, NULL, 0 },
	{ "3 chars, top spare bit", "Zm-", 0, NULL, 0 },
	{ "mac-sized, spare bits", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
	    0, NULL, 0 },
	/* lengths */
	/* lengths: % 4 == 1 is refused even when the spare bits are zero */
	{ "len 1", "Z", 0, NULL, 0 },
	{ "len 1, zero bits", "A", 0, NULL, 0 },
	{ "len 5", "Zm9vY", 0, NULL, 0 },
	{ "len 5, zero bits", "Zm9vA", 0, NULL, 0 },
	{ "len 9, zero bits", "Zm9vYmFyA", 0, NULL, 0 },
	/* padding and other alphabets */
	{ "padding ==", "Zg==", 0, NULL, 0 },
	{ "padding =", "Zm8=", 0, NULL, 0 },
	{ "standard +", "Zm+v", 0, NULL, 0 },
	{ "standard /", "Zm/v", 0, NULL, 0 },
	{ "space", "Zm 9v", 0, NULL, 0 },
	{ "newline", "Zm9v\n", 0, NULL, 0 },
	{ "dot", "Zm.v", 0, NULL, 0 },
	{ "embedded NUL", "Zm\0v", 4, NULL, 0 },
	{ "high byte", "Zm\xc3v", 0, NULL, 0 },
};

static void
test_b64url_decode_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(b64_vecs); i++) {
		const struct b64_vec *v = &b64_vecs[i];
		unsigned char	 out[64];
		size_t		 len = v->inlen ? v->inlen : strlen(v->in);
		size_t		 n = 999;
		int		 rc;

		rc = enc_b64url_decode(v->in, len, out, sizeof(out), &n);
		if (v->out == NULL) {
			if (rc != -1)
				fail_msg("%s: accepted", v->name);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: refused", v->name);
		assert_int_equal(n, v->outlen);
		assert_memory_equal(out, v->out, n);
		assert_int_equal(ENC_B64URL_DECLEN(len), n);
	}
}

static void
test_b64url_decode_outsz(void **state)
{
	unsigned char	 out[8];
	size_t		 n;

	(void)state;
	/* "Zm9vYg" is 4 bytes: 3 do not do, 4 do, and nothing past outsz. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(enc_b64url_decode("Zm9vYg", 6, out, 3, &n), -1);
	assert_int_equal(out[3], 0xee);
	assert_int_equal(enc_b64url_decode("Zm9vYg", 6, out, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(out[4], 0xee);
	assert_int_equal(enc_b64url_decode("", 0, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
}

/* Every 2- and 3-character string: accepted iff its spare bits are zero,
 * and then it is exactly what the encoder writes for those bytes. */
static void
test_b64url_canonical_exhaustive(void **state)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char		 in[4], again[8];
	unsigned char	 out[4];
	size_t		 n, ok2 = 0, ok3 = 0;
	int		 a, b, c, rc;

	(void)state;
	for (a = 0; a < 64; a++) {
		for (b = 0; b < 64; b++) {
			in[0] = tab[a];
			in[1] = tab[b];
			rc = enc_b64url_decode(in, 2, out, sizeof(out), &n);
			assert_int_equal(rc, (b & 15) == 0 ? 0 : -1);
			if (rc == 0) {
				ok2++;
				assert_int_equal(n, 1);
				assert_int_equal(enc_b64url_encode(out, n,
				    again, sizeof(again)), 2);
				assert_memory_equal(again, in, 2);
			}
			for (c = 0; c < 64; c++) {
				in[2] = tab[c];
				rc = enc_b64url_decode(in, 3, out,
				    sizeof(out), &n);
				assert_int_equal(rc, (c & 3) == 0 ? 0 : -1);
				if (rc != 0)
					continue;
				ok3++;
				assert_int_equal(n, 2);
				assert_int_equal(enc_b64url_encode(out, n,
				    again, sizeof(again)), 3);
				assert_memory_equal(again, in, 3);
			}
		}
	}
	assert_int_equal(ok2, 256);		/* one per byte value */
	assert_int_equal(ok3, 65536);		/* one per 2-byte value */
}

struct b64enc_vec {
	const char	*in;
	size_t		 inlen;
	const char	*out;
};

static const struct b64enc_vec b64enc_vecs[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg" },
	{ "fo", 2, "Zm8" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy" },
	{ "\xfb\xff", 2, "-_8" },
	{ "\0", 1, "AA" },
	{ "\xff\xff\xff", 3, "____" },
};

static void
test_b64url_encode_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(b64enc_vecs); i++) {
		const struct b64enc_vec *v = &b64enc_vecs[i];
		char	 out[32];
		size_t	 want = strlen(v->out);

		memset(out, 'x', sizeof(out));
		assert_int_equal(enc_b64url_encode((const unsigned char *)v->in,
		    v->inlen, out, sizeof(out)), want);
		assert_string_equal(out, v->out);
		assert_int_equal(ENC_B64URL_LEN(v->inlen), want);
		/* exactly want + 1 fits; one less writes nothing */
		memset(out, 'x', sizeof(out));
		assert_int_equal(enc_b64url_encode((const unsigned char *)v->in,
		    v->inlen, out, want + 1), want);
		assert_int_equal(out[want], '\0');
		memset(out, 'x', sizeof(out));
		assert_int_equal(enc_b64url_encode((const unsigned char *)v->in,
		    v->inlen, out, want), 0);
		assert_int_equal(out[0], 'x');
	}
	assert_int_equal(enc_b64url_encode((const unsigned char *)"f", 1,
	    NULL, 0), 0);
}

static void
test_b64url_roundtrip(void **state)
{
	unsigned char	 in[200] = { 0 }, out[200];
	char		 txt[300];
	size_t		 len, i, n, w;
	uint32_t	 x = 2463534242u;

	(void)state;
	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			in[i] = (unsigned char)x;
		}
		w = enc_b64url_encode(in, len, txt, sizeof(txt));
		assert_int_equal(w, ENC_B64URL_LEN(len));
		assert_int_equal(strlen(txt), w);
		assert_int_not_equal(w % 4, 1);
		assert_int_equal(enc_b64url_decode(txt, w, out, len, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		assert_int_equal(ENC_B64URL_DECLEN(w), len);
	}
}

static void
test_b64url_val(void **state)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		const char *p = c != 0 ? strchr(tab, c) : NULL;

		assert_int_equal(enc_b64url_val((unsigned char)c),
		    p != NULL ? (int)(p - tab) : -1);
	}
	assert_int_equal(enc_b64url_val('='), -1);
	assert_int_equal(enc_b64url_val('+'), -1);
	assert_int_equal(enc_b64url_val('/'), -1);
	assert_int_equal(enc_b64url_val('.'), -1);
}

/* ---- hex ---- */

static void
test_hexval(void **state)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	int	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		const char *l = c != 0 ? strchr(lower, c) : NULL;
		const char *u = c != 0 ? strchr(upper, c) : NULL;
		int	 want = l != NULL ? (int)(l - lower) :
		    u != NULL ? (int)(u - upper) : -1;

		assert_int_equal(enc_hexval((unsigned char)c), want);
	}
	assert_int_equal(enc_hexval('g'), -1);
	assert_int_equal(enc_hexval('G'), -1);
	assert_int_equal(enc_hexval('/'), -1);
	assert_int_equal(enc_hexval(':'), -1);
	assert_int_equal(enc_hexval('@'), -1);
	assert_int_equal(enc_hexval('`'), -1);
}

/* ---- percent-decoding ---- */

struct pct_vec {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	enum enc_pct	 mode;
	const char	*out;		/* NULL: must fail */
	size_t		 outlen;
};

static const struct pct_vec pct_vecs[] = {
	/* strict, good */
	{ "empty", "", 0, ENC_PCT_STRICT, "", 0 },
	{ "plain", "abc", 0, ENC_PCT_STRICT, "abc", 3 },
	{ "escape", "%41", 0, ENC_PCT_STRICT, "A", 1 },
	{ "either hex case", "%4a%4A", 0, ENC_PCT_STRICT, "JJ", 2 },
	{ "plus is literal", "a+b", 0, ENC_PCT_STRICT, "a+b", 3 },
	{ "escaped plus", "%2B", 0, ENC_PCT_STRICT, "+", 1 },
	{ "escaped percent", "%25", 0, ENC_PCT_STRICT, "%", 1 },
	{ "decodes once", "%2541", 0, ENC_PCT_STRICT, "%41", 3 },
	{ "high byte", "%ff", 0, ENC_PCT_STRICT, "\xff", 1 },
	{ "utf-8", "%C3%A9", 0, ENC_PCT_STRICT, "\xc3\xa9", 2 },
	{ "escape at end", "ab%2F", 0, ENC_PCT_STRICT, "ab/", 3 },
	/* strict, bad */
	{ "lone %", "%", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "% at end", "a%", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "one digit", "%4", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "one digit at end", "ab%4", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "non-hex second", "%4g", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "non-hex first", "%g4", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "double %", "%%41", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "space in escape", "% 41", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "sign in escape", "%+4", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "decoded NUL", "a%00b", 0, ENC_PCT_STRICT, NULL, 0 },
	{ "literal NUL", "a\0b", 3, ENC_PCT_STRICT, NULL, 0 },
	/* lenient: a '%' without an escape is kept; NUL still refused */
	{ "lenient lone %", "%", 0, ENC_PCT_LENIENT, "%", 1 },
	{ "lenient 100%", "100%", 0, ENC_PCT_LENIENT, "100%", 4 },
	{ "lenient one digit", "%4", 0, ENC_PCT_LENIENT, "%4", 2 },
	{ "lenient non-hex", "%zz", 0, ENC_PCT_LENIENT, "%zz", 3 },
	{ "lenient double %", "%%41", 0, ENC_PCT_LENIENT, "%A", 2 },
	{ "lenient mixed", "%4%41", 0, ENC_PCT_LENIENT, "%4A", 3 },
	{ "lenient escape", "%2F%2f", 0, ENC_PCT_LENIENT, "//", 2 },
	{ "lenient decoded NUL", "%00", 0, ENC_PCT_LENIENT, NULL, 0 },
	{ "lenient literal NUL", "\0", 1, ENC_PCT_LENIENT, NULL, 0 },
};

static void
test_pct_decode_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < DB_ARRLEN(pct_vecs); i++) {
		const struct pct_vec *v = &pct_vecs[i];
		char	 out[32];
		size_t	 len = v->inlen ? v->inlen : strlen(v->in);
		size_t	 n = 999, cn = 999;
		int	 rc, crc;

		rc = enc_pct_decode(v->in, len, out, sizeof(out), &n, v->mode);
		/* out NULL: the same verdict and length, nothing written */
		crc = enc_pct_decode(v->in, len, NULL, 0, &cn, v->mode);
		assert_int_equal(crc, rc);
		if (v->out == NULL) {
			if (rc != -1)
				fail_msg("%s: accepted", v->name);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: refused", v->name);
		assert_int_equal(n, v->outlen);
		assert_int_equal(cn, v->outlen);
		assert_memory_equal(out, v->out, n);
	}
}

static void
test_pct_decode_outsz(void **state)
{
	char	 out[8];
	size_t	 n;

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(enc_pct_decode("abc", 3, out, 2, &n,
	    ENC_PCT_STRICT), -1);
	assert_int_equal(out[2], 'x');
	assert_int_equal(enc_pct_decode("abc", 3, out, 3, &n,
	    ENC_PCT_STRICT), 0);
	assert_int_equal(n, 3);
	/* the bound is on decoded bytes, not on input */
	assert_int_equal(enc_pct_decode("%41%42", 6, out, 2, &n,
	    ENC_PCT_STRICT), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "AB", 2);
	assert_int_equal(enc_pct_decode("%", 1, out, 0, &n,
	    ENC_PCT_LENIENT), -1);
	assert_int_equal(enc_pct_decode("", 0, out, 0, &n,
	    ENC_PCT_STRICT), 0);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_decode_vectors),
		cmocka_unit_test(test_b64url_decode_outsz),
		cmocka_unit_test(test_b64url_canonical_exhaustive),
		cmocka_unit_test(test_b64url_encode_vectors),
		cmocka_unit_test(test_b64url_roundtrip),
		cmocka_unit_test(test_b64url_val),
		cmocka_unit_test(test_hexval),
		cmocka_unit_test(test_pct_decode_vectors),
		cmocka_unit_test(test_pct_decode_outsz),
	};

	return cmocka_run_group_tests_name("enc", tests, NULL, NULL);
}
