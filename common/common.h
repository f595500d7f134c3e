/*
 * common/common.h -- logging, bounded strings and integer parsing shared by
 * every module.  No module state lives here: the log sink is process-wide by
 * nature and is set once at start-up.
 */
#ifndef DB_COMMON_H
#define DB_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DB_ARRLEN(a)	(sizeof(a) / sizeof((a)[0]))
#define DB_MIN(a, b)	((a) < (b) ? (a) : (b))
#define DB_MAX(a, b)	((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define DB_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define DB_NORETURN	__attribute__((noreturn))
#else
#define DB_PRINTF(f, a)
#define DB_NORETURN
#endif

/* log.c */
void	 log_init(const char *, int);
void	 log_setverbose(int);
void	 log_warn(const char *, ...) DB_PRINTF(1, 2);
void	 log_warnx(const char *, ...) DB_PRINTF(1, 2);
void	 log_info(const char *, ...) DB_PRINTF(1, 2);
void	 log_debug(const char *, ...) DB_PRINTF(1, 2);
void	 fatal(const char *, ...) DB_PRINTF(1, 2) DB_NORETURN;
void	 fatalx(const char *, ...) DB_PRINTF(1, 2) DB_NORETURN;

/* str.c */
/* Bounded copy; always NUL-terminates when size > 0. Returns strlen(src). */
size_t	 str_lcpy(char *, const char *, size_t);
/* Copy a span of len bytes; returns -1 (and writes "") if it does not fit. */
int	 str_spancpy(char *, size_t, const char *, size_t);
/*
 * Parse 1*DIGIT (no sign, no space, no prefix) from s[0..len) into *out.
 * Returns 0, or -1 if empty, not all digits, or greater than max.
 */
int	 str_parse_u64(const char *, size_t, uint64_t, uint64_t *);
/* Case-insensitive ASCII comparison of span s[0..len) with C string c. */
int	 str_span_eqi(const char *, size_t, const char *);
/* Case-insensitive: does span contain token t in a comma list? */
int	 str_list_has_tokeni(const char *, size_t, const char *);
/* Lower-case ASCII in place. */
void	 str_lower(char *, size_t);
/* Parse "10s", "250ms", "5m", "1h" (bare number = seconds) to ms. */
int	 str_parse_duration_ms(const char *, uint64_t *);
/* Parse "32k", "8m", "1g", bare bytes. */
int	 str_parse_size(const char *, uint64_t *);
/* FNV-1a over a span; for hash tables, not for security. */
uint64_t str_hash(const void *, size_t);

/* enc.c */
/*
 * Strict codecs shared by the token parsers.  base64url is RFC 4648
 * section 5 without padding.
 */
/* Characters of unpadded base64url for n bytes; bytes decoded from n chars
 * (n % 4 != 1). */
#define ENC_B64URL_LEN(n)	((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
#define ENC_B64URL_DECLEN(n)	((n) / 4 * 3 + ((n) % 4 ? (n) % 4 - 1 : 0))
/* Value 0..63 of a base64url character, or -1 (also for '=' and '.'). */
int	 enc_b64url_val(unsigned char);
/*
 * Decode in[0..len) into out (at most outsz bytes).  Strict: alphabet only,
 * no padding, len % 4 != 1, unused trailing bits zero, so every byte string
 * has exactly one accepted spelling.  Returns 0 with *outlen set, or -1
 * (out may then hold a partial result).
 */
int	 enc_b64url_decode(const char *, size_t, unsigned char *, size_t,
	    size_t *);
/* Encode in[0..len) unpadded into out, NUL-terminated.  Returns the length
 * written, or 0 (nothing written) if ENC_B64URL_LEN(len) + 1 > outsz. */
size_t	 enc_b64url_encode(const unsigned char *, size_t, char *, size_t);
/* Value 0..15 of a hex digit (either case), or -1. */
int	 enc_hexval(unsigned char);
enum enc_pct {
	ENC_PCT_STRICT = 0,	/* a '%' must start %XX, else -1 */
	ENC_PCT_LENIENT,	/* a '%' that starts no %XX is kept as is */
};
/*
 * Percent-decode s[0..len) into out (at most outsz bytes; out NULL: only
 * validate and count).  "%XX" takes either hex case; '+' is a literal
 * plus.  A NUL byte, literal or decoded, is refused.  Returns 0 with
 * *outlen set, or -1 (bad escape in strict mode, NUL, or too long).
 */
int	 enc_pct_decode(const char *, size_t, char *, size_t, size_t *,
	    enum enc_pct);

#endif /* DB_COMMON_H */
