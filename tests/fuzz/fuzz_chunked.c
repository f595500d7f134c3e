// DEPS: proxy/http1.c common/str.c common/log.c
// DICT: tests/fuzz/http1.dict
/*
 * fuzz_chunked.c -- the chunked decoder over arbitrary bytes.
 *
 * Input: byte 0 seeds the split pattern; the rest is a chunked body.
 *
 * Invariants checked (abort() on violation):
 *   - fed whole, byte by byte, or in pseudo-random pieces, the decoder
 *     gives the same outcome (DONE/ERR/MORE), the same data and, on DONE,
 *     consumes the same number of bytes;
 *   - MORE consumes everything it was given; DATA is never empty and stays
 *     inside the input; decoded bytes never exceed the input;
 *   - on DONE the consumed input ends in CRLF CRLF, and re-encoding the
 *     data as one chunk decodes back to the same bytes.
 */
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy/http1.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_dec {
	enum http1_chunk_rc rc;
	char		*out;
	size_t		 outlen;
	size_t		 consumed;
};

/* mode 0: whole; 1: byte by byte; else pieces from an LCG seeded by it. */
static void
fuzz_decode(const char *in, size_t len, unsigned mode, struct fuzz_dec *d)
{
	struct http1_chunked	 c;
	size_t			 ps = 0, pe, off, used, dl;
	uint32_t		 x = mode * 2654435761u + 1;
	char			*p;

	http1_chunked_init(&c);
	d->outlen = d->consumed = 0;
	d->rc = HTTP1_CHUNK_MORE;
	while (ps < len) {
		if (mode == 0)
			pe = len;
		else if (mode == 1)
			pe = ps + 1;
		else {
			x = x * 1103515245u + 12345u;
			pe = ps + 1 + (x >> 16) % 13;
		}
		if (pe > len)
			pe = len;
		/* Exact-size copy of the piece so ASan sees over-reads. */
		if ((p = malloc(pe - ps)) == NULL)
			abort();
		memcpy(p, in + ps, pe - ps);
		off = 0;
		while (off < pe - ps) {
			d->rc = http1_chunked_step(&c, p + off, pe - ps - off,
			    &used, &dl);
			switch (d->rc) {
			case HTTP1_CHUNK_DATA:
				if (dl == 0 || off + used + dl > pe - ps ||
				    d->outlen + dl > len)
					abort();
				memcpy(d->out + d->outlen, p + off + used, dl);
				d->outlen += dl;
				off += used + dl;
				break;
			case HTTP1_CHUNK_MORE:
				if (used != pe - ps - off || dl != 0)
					abort();
				off = pe - ps;
				break;
			case HTTP1_CHUNK_DONE:
				if (off + used > pe - ps)
					abort();
				d->consumed = ps + off + used;
				free(p);
				return;
			case HTTP1_CHUNK_ERR:
				free(p);
				return;
			default:
				abort();
			}
		}
		free(p);
		ps = pe;
	}
	if (d->rc == HTTP1_CHUNK_DATA)
		d->rc = HTTP1_CHUNK_MORE;
}

static void
fuzz_same(const struct fuzz_dec *a, const struct fuzz_dec *b)
{
	if (a->rc != b->rc || a->outlen != b->outlen ||
	    a->consumed != b->consumed ||
	    memcmp(a->out, b->out, a->outlen) != 0)
		abort();
}

/* Re-encode d's data as one chunk and decode it again. */
static void
fuzz_roundtrip(const struct fuzz_dec *d)
{
	struct fuzz_dec	 e;
	char		*enc;
	size_t		 n;
	int		 h;

	if ((enc = malloc(d->outlen + 32)) == NULL ||
	    (e.out = malloc(d->outlen + 32)) == NULL)
		abort();
	n = 0;
	if (d->outlen > 0) {
		h = snprintf(enc, 20, "%zx\r\n", d->outlen);
		if (h < 0 || h >= 20)
			abort();
		n = (size_t)h;
		memcpy(enc + n, d->out, d->outlen);
		n += d->outlen;
		memcpy(enc + n, "\r\n", 2);
		n += 2;
	}
	memcpy(enc + n, "0\r\n\r\n", 5);
	n += 5;
	fuzz_decode(enc, n, 0, &e);
	if (e.rc != HTTP1_CHUNK_DONE || e.consumed != n ||
	    e.outlen != d->outlen || memcmp(e.out, d->out, d->outlen) != 0)
		abort();
	free(e.out);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_dec	 d0, d;
	const char	*in;
	size_t		 n;
	unsigned	 m;

	if (size == 0)
		return 0;
	in = (const char *)data + 1;
	n = size - 1;
	if ((d0.out = malloc(n + 1)) == NULL || (d.out = malloc(n + 1)) ==
	    NULL)
		abort();

	fuzz_decode(in, n, 0, &d0);
	if (d0.rc == HTTP1_CHUNK_DONE) {
		if (d0.consumed < 5 || d0.consumed > n ||
		    memcmp(in + d0.consumed - 4, "\r\n\r\n", 4) != 0 ||
		    d0.outlen > d0.consumed)
			abort();
		fuzz_roundtrip(&d0);
	}
	if (n <= 4096) {
		fuzz_decode(in, n, 1, &d);
		fuzz_same(&d0, &d);
	}
	for (m = 2; m < 4; m++) {
		fuzz_decode(in, n, (unsigned)data[0] * 4 + m, &d);
		fuzz_same(&d0, &d);
	}
	free(d.out);
	free(d0.out);
	return 0;
}
