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

#endif /* DB_COMMON_H */
