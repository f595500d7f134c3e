/*
 * proxy/http1.h -- the strict HTTP/1.1 message-head parser and chunked
 * codec.  Pure functions over byte spans: no libevent, no allocation, no
 * globals, so the same entry points serve the proxy, the unit tests and the
 * fuzzers.  Parsed structs hold pointers into the caller's buffer.
 *
 * Policy (RFC 9112, ../shared/security-catalog.md group A): anything
 * ambiguous is an error, never normalised.  CRLF only; no obs-fold; no
 * whitespace before the colon; no CTL/NUL in values; one Host; exactly one
 * Content-Length of 1*DIGIT or exactly one "Transfer-Encoding: chunked",
 * never both; HTTP/1.0 and HTTP/1.1 only.
 */
#ifndef DB_HTTP1_H
#define DB_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct http1_limits {
	size_t		 max_head;	/* whole head incl. final CRLF (431) */
	size_t		 max_headers;	/* field lines (431) */
	size_t		 max_line;	/* request line (414) */
};

struct http1_header {
	const char	*name;
	size_t		 namelen;
	const char	*value;		/* OWS trimmed */
	size_t		 valuelen;
};

enum http1_rc {
	HTTP1_OK = 0,		/* complete head; headlen set */
	HTTP1_INCOMPLETE,	/* no error so far; need more bytes */
	HTTP1_ERR		/* status and code set */
};

struct http1_request {
	const char	*method;
	size_t		 methodlen;
	/* Origin-form target ("/p?q").  For an accepted absolute-form target
	 * this points at its path part and abs_host at its authority. */
	const char	*target;
	size_t		 targetlen;
	const char	*abs_host;
	size_t		 abs_hostlen;
	int		 minor;		/* HTTP/1.<minor>: 0 or 1 */
	struct http1_header headers[CONF_MAX_HEADERS];
	size_t		 nheaders;

	/* Derived from the headers. */
	const char	*host;		/* the one Host value (may be NULL
					 * for HTTP/1.0 without Host) */
	size_t		 hostlen;
	int		 has_cl;
	uint64_t	 content_length;
	int		 chunked;
	int		 keepalive;	/* 1.1 without close, or 1.0 with
					 * keep-alive */
	int		 upgrade;	/* an Upgrade header was present */
	int		 upgrade_websocket; /* Upgrade: websocket + Connection:
					 * upgrade on GET */
	int		 expect_continue;
	size_t		 headlen;

	/* On HTTP1_ERR. */
	int		 status;	/* 400, 405, 414, 431, 501, 505 */
	const char	*code;		/* stable token, e.g. "bad_header" */
};

struct http1_response {
	int		 minor;
	int		 status;	/* 100..599 */
	const char	*reason;
	size_t		 reasonlen;
	struct http1_header headers[CONF_MAX_HEADERS];
	size_t		 nheaders;
	int		 has_cl;
	uint64_t	 content_length;
	int		 chunked;
	int		 keepalive;	/* upstream allows reuse */
	size_t		 headlen;
	const char	*code;		/* on HTTP1_ERR: why (502 to client) */
};

/* http1.c */
/*
 * Parse a request head from buf[0..len).  HTTP1_INCOMPLETE means every
 * complete line so far is valid and the limits are not yet crossed; call
 * again with more bytes (the whole head, from its start).
 */
enum http1_rc	 http1_parse_request(const char *, size_t,
		    const struct http1_limits *, struct http1_request *);
/*
 * Parse a response head from the (hostile) upstream.  Same contract.  For
 * a response that must have no body (1xx, 204, 304) has_cl/chunked are
 * still reported as sent; the caller decides by status and method.
 */
enum http1_rc	 http1_parse_response(const char *, size_t,
		    const struct http1_limits *, struct http1_response *);
/*
 * The parse of a head that was copied from `from` to `to` (same bytes):
 * move every pointer into the copy, so a head is parsed once, where it
 * arrived, and kept where it is owned.
 */
void		 http1_rebase(struct http1_request *, const char *,
		    const char *);
/* Find a header by case-insensitive name; returns index or -1. */
int		 http1_find(const struct http1_header *, size_t, const char *,
		    size_t);
/* Is c a tchar (RFC 9110 token character)? */
int		 http1_is_tchar(unsigned char);

/* Chunked transfer coding decoder: an incremental state machine. */
struct http1_chunked {
	int		 state;
	uint64_t	 remain;	/* data bytes left in this chunk */
	size_t		 linelen;	/* bytes of the current size/trailer
					 * line seen */
	size_t		 trailer;	/* trailer bytes seen */
};

enum http1_chunk_rc {
	HTTP1_CHUNK_MORE = 0,	/* consumed *used framing bytes; feed more */
	HTTP1_CHUNK_DATA,	/* consumed *used framing bytes; the next
				 * *datalen bytes (at in + *used) are data,
				 * for the caller to consume */
	HTTP1_CHUNK_DONE,	/* last chunk and trailers consumed (*used) */
	HTTP1_CHUNK_ERR
};

#define HTTP1_CHUNK_MAX_LINE	1024	/* size line incl. extensions */
#define HTTP1_CHUNK_MAX_TRAILER	4096	/* trailer section; dropped */

void		 http1_chunked_init(struct http1_chunked *);
/*
 * Advance over in[0..len).  Never returns DATA with *datalen == 0.  After
 * DATA the caller consumes *used + *datalen bytes and calls again.
 */
enum http1_chunk_rc http1_chunked_step(struct http1_chunked *, const char *,
		    size_t, size_t *, size_t *);

#endif /* DB_HTTP1_H */
