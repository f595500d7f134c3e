/*
 * str.c -- the only string and integer helpers the code base uses.  Every
 * function is bounded by an explicit length; none allocates.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/common.h"

size_t
str_lcpy(char *dst, const char *src, size_t size)
{
	size_t	 n = strlen(src);

	if (size > 0) {
		size_t	 c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
str_spancpy(char *dst, size_t size, const char *src, size_t len)
{
	if (size == 0)
		return -1;
	if (len >= size) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int
str_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static int
str_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
str_span_eqi(const char *s, size_t len, const char *c)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (c[i] == '\0' || str_lc((unsigned char)s[i]) !=
		    str_lc((unsigned char)c[i]))
			return 0;
	}
	return c[len] == '\0';
}

int
str_list_has_tokeni(const char *s, size_t len, const char *t)
{
	size_t	 i = 0;

	while (i < len) {
		size_t	 b, e;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		b = i;
		while (i < len && s[i] != ',')
			i++;
		e = i;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > b && str_span_eqi(s + b, e - b, t))
			return 1;
	}
	return 0;
}

void
str_lower(char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		s[i] = (char)str_lc((unsigned char)s[i]);
}

/* Split "123unit" into number and unit; unit table gives the multiplier. */
static int
str_parse_scaled(const char *s, const char *const *units,
    const uint64_t *mult, size_t nunits, uint64_t dflt, uint64_t *out)
{
	size_t	 n = 0, i;
	uint64_t v, m = dflt;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (str_parse_u64(s, n, UINT64_MAX / 4096, &v) == -1)
		return -1;
	if (s[n] != '\0') {
		for (i = 0; i < nunits; i++)
			if (strcmp(s + n, units[i]) == 0)
				break;
		if (i == nunits)
			return -1;
		m = mult[i];
	}
	if (m != 0 && v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int
str_parse_duration_ms(const char *s, uint64_t *out)
{
	static const char *const units[] = { "ms", "s", "m", "h" };
	static const uint64_t	 mult[] = { 1, 1000, 60000, 3600000 };

	return str_parse_scaled(s, units, mult, DB_ARRLEN(units), 1000, out);
}

int
str_parse_size(const char *s, uint64_t *out)
{
	static const char *const units[] = { "k", "K", "m", "M", "g", "G" };
	static const uint64_t	 mult[] = { 1024, 1024, 1048576, 1048576,
	    1073741824, 1073741824 };

	return str_parse_scaled(s, units, mult, DB_ARRLEN(units), 1, out);
}

uint64_t
str_hash(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}
