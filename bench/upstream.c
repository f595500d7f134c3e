/*
 * upstream.c -- a small, fast HTTP/1.1 origin server for benchmarks and
 * tests.
 *
 *	upstream [-p PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: the kernel picks) and prints the
 * bound port on its own line on stdout.  One thread, libevent
 * bufferevents, keep-alive, every request body consumed as it arrives:
 *
 *	GET /small		200, a 13-byte body
 *	GET /download?size=N	200, N bytes with Content-Length, written
 *				only as fast as the client reads
 *	GET /sse		200 text/event-stream, chunked: one event at
 *				once, then one every 100 ms until the client
 *				goes away
 *	GET /stats		200 text/plain: connections accepted and open,
 *				requests, WebSocket upgrades (for tests)
 *	GET any path with	101 (RFC 6455 handshake, Sec-WebSocket-Accept
 *	  Upgrade: websocket	from the key), then every byte received is
 *				echoed back as is (no frame parsing)
 *	PUT|POST any path	the body (Content-Length or chunked) is read
 *				and counted; 200 with the count as the body
 *	anything else		404 (GET) or 405
 *
 * Malformed framing gets a 400 and the connection is closed.  Every
 * buffer and count has a ceiling below (UP_MAX_*).  SIGINT/SIGTERM exit 0.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/evp.h>

#define UP_MAX_HEAD		(32 * 1024)	/* request head */
#define UP_MAX_CHUNK_LINE	1024		/* chunk-size line */
#define UP_MAX_TRAILER		(8 * 1024)	/* all trailer lines */
#define UP_MAX_CONNS		60000
#define UP_MAX_DOWNLOAD		(UINT64_C(1) << 42) /* 4 TiB */
#define UP_CHUNK		(64 * 1024)	/* static download block */
#define UP_OUT_HIGH		(512 * 1024)	/* queue up to this */
#define UP_OUT_LOW		(128 * 1024)	/* refill below this */
#define UP_MAX_IO		(256 * 1024)	/* one read/write */
#define UP_MAX_READS		16		/* body reads a wakeup */
#define UP_SSE_MS		100		/* event interval */
#define UP_WS_KEY_MAX		64		/* Sec-WebSocket-Key bytes */
#define UP_WS_ACCEPT_LEN	28		/* base64 of a SHA-1 */

static const char up_ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static const char up_small_body[] = "Hello, bench\n";

enum up_state {
	UP_HEAD = 0,
	UP_BODY_CL,
	UP_CHUNK_SIZE,
	UP_CHUNK_DATA,
	UP_CHUNK_CRLF,
	UP_TRAILER,
	UP_SEND,		/* streaming a download */
	UP_CLOSING,		/* flushing the last response */
	UP_ECHO,		/* upgraded: echo every byte */
	UP_SSE			/* an event stream, timer-driven */
};

enum up_reply {
	UP_R_SMALL = 0,
	UP_R_DOWNLOAD,
	UP_R_COUNT,
	UP_R_NOTFOUND,
	UP_R_METHOD,
	UP_R_WS,
	UP_R_SSE,
	UP_R_STATS
};

struct up_conn {
	struct bufferevent *bev;	/* owned */
	enum up_state	 state;
	enum up_reply	 reply;
	int		 keepalive;
	uint64_t	 remaining;	/* body or chunk bytes left */
	uint64_t	 received;	/* body bytes counted */
	uint64_t	 to_send;	/* download bytes not yet queued */
	size_t		 trailer;	/* trailer bytes seen */
	struct event	*timer;		/* owned; UP_SSE only */
	uint64_t	 events;	/* SSE events sent */
	char		 ws_accept[UP_WS_ACCEPT_LEN + 1];
};

static char	 up_block[UP_CHUNK];
static unsigned	 up_nconns;
static uint64_t	 up_accepted, up_requests, up_upgrades;

static void	 up_conn_free(struct up_conn *);
static void	 up_process(struct up_conn *);

/*
 * Strict unsigned decimal (base 10) or hex (base 16) over [s, s+len): no
 * sign, no spaces, at least one digit, at most max.  Returns 0 or -1.
 */
static int
up_parse_u64(const char *s, size_t len, int base, uint64_t max,
    uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	int d;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Case-insensitive: does the comma list [v, v+len) contain token tok? */
static int
up_has_token(const char *v, size_t len, const char *tok)
{
	size_t tl = strlen(tok), i = 0, start, end;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tl && strncasecmp(v + start, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static void
up_conn_free(struct up_conn *c)
{
	if (c == NULL)
		return;
	if (c->timer != NULL)
		event_free(c->timer);
	bufferevent_free(c->bev);
	free(c);
	up_nconns--;
}

/* Answers 400 and closes once it is written. */
static void
up_bad(struct up_conn *c)
{
	static const char r[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";

	evbuffer_add(bufferevent_get_output(c->bev), r, sizeof(r) - 1);
	c->keepalive = 0;
	c->state = UP_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

/*
 * Sec-WebSocket-Accept for the key [k, k+len): base64(SHA-1(key GUID)),
 * written NUL-terminated to out.  Returns 0, or -1 if the key is empty,
 * too long or hashing fails.
 */
static int
up_ws_accept(const char *k, size_t len, char out[UP_WS_ACCEPT_LEN + 1])
{
	unsigned char buf[UP_WS_KEY_MAX + sizeof(up_ws_guid)];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (len == 0 || len > UP_WS_KEY_MAX)
		return -1;
	memcpy(buf, k, len);
	memcpy(buf + len, up_ws_guid, sizeof(up_ws_guid) - 1);
	if (EVP_Digest(buf, len + sizeof(up_ws_guid) - 1, md, &mdlen,
	    EVP_sha1(), NULL) != 1 || mdlen != 20)
		return -1;
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != UP_WS_ACCEPT_LEN)
		return -1;
	out[UP_WS_ACCEPT_LEN] = '\0';
	return 0;
}

/*
 * Parses one request head of len bytes (ending in CRLFCRLF) at h: the
 * reply to give, keep-alive, and the body framing.  Returns 0 or -1
 * (malformed: the caller answers 400).
 */
static int
up_parse_head(struct up_conn *c, const char *h, size_t len)
{
	const char *p = h, *end = h + len - 2, *eol, *sp1, *sp2, *colon;
	const char *v, *ve, *q, *wskey = NULL;
	uint64_t cl = 0;
	int have_cl = 0, chunked = 0, http10, is_get, is_put, ws = 0;
	size_t wskeylen = 0;
	size_t ml, tl;

	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL || eol == p || eol[-1] != '\r')
		return -1;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	if (sp1 == NULL)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || eol - 1 - (sp2 + 1) != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -1;
	if (sp2[8] == '0')
		http10 = 1;
	else if (sp2[8] == '1')
		http10 = 0;
	else
		return -1;
	ml = (size_t)(sp1 - p);
	tl = (size_t)(sp2 - sp1 - 1);
	is_get = ml == 3 && memcmp(p, "GET", 3) == 0;
	is_put = (ml == 3 && memcmp(p, "PUT", 3) == 0) ||
	    (ml == 4 && memcmp(p, "POST", 4) == 0);
	c->keepalive = !http10;
	c->reply = UP_R_METHOD;
	c->to_send = 0;
	if (is_put)
		c->reply = UP_R_COUNT;
	else if (is_get && tl == 6 && memcmp(sp1 + 1, "/small", 6) == 0)
		c->reply = UP_R_SMALL;
	else if (is_get && tl > 15 &&
	    memcmp(sp1 + 1, "/download?size=", 15) == 0) {
		q = sp1 + 16;
		if (up_parse_u64(q, (size_t)(sp2 - q), 10, UP_MAX_DOWNLOAD,
		    &c->to_send) == -1)
			return -1;
		c->reply = UP_R_DOWNLOAD;
	} else if (is_get && tl == 4 && memcmp(sp1 + 1, "/sse", 4) == 0)
		c->reply = UP_R_SSE;
	else if (is_get && tl == 6 && memcmp(sp1 + 1, "/stats", 6) == 0)
		c->reply = UP_R_STATS;
	else if (is_get)
		c->reply = UP_R_NOTFOUND;

	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL || eol[-1] != '\r')
			return -1;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return -1;
		v = colon + 1;
		ve = eol - 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		ml = (size_t)(colon - p);
		if (ml == 14 && strncasecmp(p, "content-length", 14) == 0) {
			if (have_cl || up_parse_u64(v, (size_t)(ve - v), 10,
			    UINT64_MAX / 2, &cl) == -1)
				return -1;
			have_cl = 1;
		} else if (ml == 17 &&
		    strncasecmp(p, "transfer-encoding", 17) == 0) {
			if ((size_t)(ve - v) != 7 ||
			    strncasecmp(v, "chunked", 7) != 0)
				return -1;
			chunked = 1;
		} else if (ml == 10 && strncasecmp(p, "connection", 10) == 0) {
			if (up_has_token(v, (size_t)(ve - v), "close"))
				c->keepalive = 0;
			else if (up_has_token(v, (size_t)(ve - v),
			    "keep-alive"))
				c->keepalive = 1;
		} else if (ml == 7 && strncasecmp(p, "upgrade", 7) == 0) {
			if (up_has_token(v, (size_t)(ve - v), "websocket"))
				ws = 1;
		} else if (ml == 17 &&
		    strncasecmp(p, "sec-websocket-key", 17) == 0) {
			if (wskey != NULL)
				return -1;
			wskey = v;
			wskeylen = (size_t)(ve - v);
		}
	}
	if (have_cl && chunked)
		return -1;
	if (ws && is_get) {
		/* Upgrade: websocket wins over the path. */
		if (http10 || have_cl || chunked ||
		    up_ws_accept(wskey, wskeylen, c->ws_accept) == -1)
			return -1;
		c->reply = UP_R_WS;
	}
	up_requests++;
	c->received = 0;
	c->trailer = 0;
	c->remaining = cl;
	if (chunked)
		c->state = UP_CHUNK_SIZE;
	else
		c->state = UP_BODY_CL;
	return 0;
}

/* Queues download bytes until the output holds UP_OUT_HIGH. */
static void
up_fill(struct up_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t n;

	while (c->to_send > 0 && evbuffer_get_length(out) < UP_OUT_HIGH) {
		n = c->to_send < UP_CHUNK ? (size_t)c->to_send : UP_CHUNK;
		if (evbuffer_add_reference(out, up_block, n, NULL, NULL) == -1)
			break;
		c->to_send -= n;
	}
}

/* Queues one SSE event as one chunk (skipped while the client lags). */
static void
up_sse_event(struct up_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char ev[64];
	int n;

	if (evbuffer_get_length(out) > UP_OUT_HIGH)
		return;
	n = snprintf(ev, sizeof(ev), "id: %" PRIu64 "\ndata: tick\n\n",
	    c->events);
	if (n < 0 || (size_t)n >= sizeof(ev))
		return;
	evbuffer_add_printf(out, "%x\r\n%s\r\n", (unsigned)n, ev);
	c->events++;
}

static void
up_sse_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	up_sse_event(arg);
}

/* The request is complete: write the reply and pick the next state. */
static void
up_respond(struct up_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *conn = c->keepalive ? "keep-alive" : "close";
	const struct timeval tick = { 0, UP_SSE_MS * 1000 };
	char body[32], stats[160];
	int n;

	switch (c->reply) {
	case UP_R_SMALL:
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: %s\r\n\r\n%s", sizeof(up_small_body) - 1,
		    conn, up_small_body);
		break;
	case UP_R_DOWNLOAD:
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Length: %" PRIu64 "\r\nConnection: %s\r\n\r\n",
		    c->to_send, conn);
		up_fill(c);
		if (c->to_send > 0) {
			c->state = UP_SEND;
			bufferevent_disable(c->bev, EV_READ);
			bufferevent_setwatermark(c->bev, EV_WRITE,
			    UP_OUT_LOW, 0);
			return;
		}
		break;
	case UP_R_COUNT:
		n = snprintf(body, sizeof(body), "%" PRIu64 "\n", c->received);
		if (n < 0 || (size_t)n >= sizeof(body))
			n = 0;
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
		    "Connection: %s\r\n\r\n%s", n, conn, body);
		break;
	case UP_R_NOTFOUND:
		evbuffer_add_printf(out, "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 0\r\nConnection: %s\r\n\r\n", conn);
		break;
	case UP_R_METHOD:
		evbuffer_add_printf(out, "HTTP/1.1 405 Method Not Allowed\r\n"
		    "Content-Length: 0\r\nConnection: %s\r\n\r\n", conn);
		break;
	case UP_R_STATS:
		n = snprintf(stats, sizeof(stats), "accepted %" PRIu64
		    "\nopen %u\nrequests %" PRIu64 "\nupgrades %" PRIu64 "\n",
		    up_accepted, up_nconns, up_requests, up_upgrades);
		if (n < 0 || (size_t)n >= sizeof(stats))
			n = 0;
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
		    "Connection: %s\r\n\r\n%.*s", n, conn, n, stats);
		break;
	case UP_R_WS:
		evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n\r\n", c->ws_accept);
		up_upgrades++;
		c->state = UP_ECHO;
		return;
	case UP_R_SSE:
		c->timer = event_new(bufferevent_get_base(c->bev), -1,
		    EV_PERSIST, up_sse_cb, c);
		if (c->timer == NULL || event_add(c->timer, &tick) == -1) {
			up_bad(c);
			return;
		}
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/event-stream\r\n"
		    "Cache-Control: no-cache\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n");
		up_sse_event(c);
		c->state = UP_SSE;
		return;
	}
	if (c->keepalive)
		c->state = UP_HEAD;
	else {
		c->state = UP_CLOSING;
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	}
}

/*
 * Consumes as much input as the current state allows.  Returns 1 when it
 * made progress, 0 when it needs more input or must stop, -1 on a framing
 * error.
 */
static int
up_step(struct up_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr ep;
	size_t avail = evbuffer_get_length(in), n, len;
	unsigned char *line, *semi;
	uint64_t sz;

	switch (c->state) {
	case UP_HEAD:
		ep = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (ep.pos == -1)
			return avail > UP_MAX_HEAD ? -1 : 0;
		len = (size_t)ep.pos + 4;
		if (len > UP_MAX_HEAD)
			return -1;
		line = evbuffer_pullup(in, (ssize_t)len);
		if (line == NULL || up_parse_head(c, (const char *)line,
		    len) == -1)
			return -1;
		evbuffer_drain(in, len);
		return 1;
	case UP_BODY_CL:
	case UP_CHUNK_DATA:
		n = c->remaining < avail ? (size_t)c->remaining : avail;
		evbuffer_drain(in, n);
		c->remaining -= n;
		c->received += n;
		if (c->remaining > 0)
			return 0;
		if (c->state == UP_CHUNK_DATA)
			c->state = UP_CHUNK_CRLF;
		else
			up_respond(c);
		return 1;
	case UP_CHUNK_CRLF:
		if (avail < 2)
			return 0;
		line = evbuffer_pullup(in, 2);
		if (line == NULL || line[0] != '\r' || line[1] != '\n')
			return -1;
		evbuffer_drain(in, 2);
		c->state = UP_CHUNK_SIZE;
		return 1;
	case UP_CHUNK_SIZE:
	case UP_TRAILER:
		ep = evbuffer_search(in, "\r\n", 2, NULL);
		if (ep.pos == -1)
			return avail > UP_MAX_CHUNK_LINE ? -1 : 0;
		len = (size_t)ep.pos;
		if (len > UP_MAX_CHUNK_LINE)
			return -1;
		line = evbuffer_pullup(in, (ssize_t)len + 2);
		if (line == NULL)
			return -1;
		if (c->state == UP_TRAILER) {
			c->trailer += len + 2;
			if (c->trailer > UP_MAX_TRAILER)
				return -1;
			evbuffer_drain(in, len + 2);
			if (len == 0)
				up_respond(c);
			return 1;
		}
		semi = memchr(line, ';', len);
		if (semi != NULL)
			len = (size_t)(semi - line);
		if (up_parse_u64((const char *)line, len, 16, UINT64_MAX / 2,
		    &sz) == -1)
			return -1;
		evbuffer_drain(in, (size_t)ep.pos + 2);
		c->remaining = sz;
		c->state = sz == 0 ? UP_TRAILER : UP_CHUNK_DATA;
		return 1;
	case UP_SEND:
	case UP_CLOSING:
	case UP_ECHO:
	case UP_SSE:
		return 0;
	}
	return 0;
}

static void
up_process(struct up_conn *c)
{
	int r;

	while ((r = up_step(c)) == 1)
		;
	if (r == -1)
		up_bad(c);
	else if (c->state == UP_ECHO)
		(void)bufferevent_write_buffer(c->bev,
		    bufferevent_get_input(c->bev));
	else if (c->state == UP_SSE)
		(void)evbuffer_drain(bufferevent_get_input(c->bev),
		    evbuffer_get_length(bufferevent_get_input(c->bev)));
}

static int
up_in_body(const struct up_conn *c)
{
	return c->state == UP_BODY_CL || c->state == UP_CHUNK_SIZE ||
	    c->state == UP_CHUNK_DATA || c->state == UP_CHUNK_CRLF ||
	    c->state == UP_TRAILER;
}

/*
 * libevent 2.1 reads at most 4 KiB per wakeup (EVBUFFER_MAX_READ), which
 * would make this server the bottleneck of an upload.  While a body is
 * being consumed, read the socket directly, UP_MAX_IO at a time, at most
 * UP_MAX_READS times per wakeup.  A Content-Length body is counted without
 * copying and never read past its end; chunked input goes through the
 * input buffer and the parser.  Returns -1 if it freed the connection.
 */
static int
up_read_body(struct up_conn *c)
{
	static char scratch[UP_MAX_IO];
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	size_t want;
	ssize_t n;
	int i, rc;

	for (i = 0; i < UP_MAX_READS && up_in_body(c); i++) {
		want = sizeof(scratch);
		if (c->state == UP_BODY_CL) {
			if (evbuffer_get_length(in) > 0)
				return 0;
			if (c->remaining < want)
				want = (size_t)c->remaining;
		}
		n = read(fd, scratch, want);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			up_conn_free(c);	/* EOF or error mid-body */
			return -1;
		}
		if (c->state == UP_BODY_CL) {
			c->remaining -= (uint64_t)n;
			c->received += (uint64_t)n;
			if (c->remaining == 0)
				up_respond(c);
		} else {
			/* The bufferevent keeps its input's end frozen. */
			evbuffer_unfreeze(in, 0);
			rc = evbuffer_add(in, scratch, (size_t)n);
			evbuffer_freeze(in, 0);
			if (rc == -1) {
				up_conn_free(c);
				return -1;
			}
			up_process(c);
		}
	}
	return 0;
}

static void
up_read_cb(struct bufferevent *bev, void *arg)
{
	struct up_conn *c = arg;

	(void)bev;
	up_process(c);
	(void)up_read_body(c);
}

static void
up_write_cb(struct bufferevent *bev, void *arg)
{
	struct up_conn *c = arg;

	switch (c->state) {
	case UP_SEND:
		up_fill(c);
		if (c->to_send > 0)
			return;
		if (!c->keepalive) {
			c->state = UP_CLOSING;
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			return;
		}
		c->state = UP_HEAD;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(bev, EV_READ);
		up_process(c);	/* a pipelined request may be waiting */
		return;
	case UP_CLOSING:
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			up_conn_free(c);
		return;
	default:
		return;
	}
}

/*
 * A client that half-closes after its request still gets the response:
 * on EOF a download in progress or an unsent reply is finished first.
 */
static void
up_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct up_conn *c = arg;

	if (what & BEV_EVENT_ERROR) {
		up_conn_free(c);
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	c->keepalive = 0;
	if (c->state == UP_SEND)
		return;
	if ((c->state == UP_HEAD || c->state == UP_CLOSING) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->state = UP_CLOSING;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		return;
	}
	up_conn_free(c);
}

static void
up_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(l);
	struct up_conn *c;
	int one = 1;

	(void)sa;
	(void)salen;
	(void)arg;
	if (up_nconns >= UP_MAX_CONNS) {
		evutil_closesocket(fd);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	up_nconns++;
	up_accepted++;
	bufferevent_set_max_single_read(c->bev, UP_MAX_IO);
	bufferevent_set_max_single_write(c->bev, UP_MAX_IO);
	bufferevent_setcb(c->bev, up_read_cb, up_write_cb, up_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
up_accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: drop this accept, keep serving the others. */
	fprintf(stderr, "upstream: accept: %s\n", strerror(errno));
}

static void
up_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void
up_usage(void)
{
	fprintf(stderr, "usage: upstream [-p PORT]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct event_base *base = NULL;
	struct evconnlistener *l = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	uint64_t port = 0;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		switch (ch) {
		case 'p':
			if (up_parse_u64(optarg, strlen(optarg), 10, 65535,
			    &port) == -1)
				up_usage();
			break;
		default:
			up_usage();
		}
	}
	if (optind != argc)
		up_usage();
	memset(up_block, 'x', sizeof(up_block));
	signal(SIGPIPE, SIG_IGN);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((base = event_base_new()) == NULL)
		goto fail;
	l = evconnlistener_new_bind(base, up_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 4096,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (l == NULL) {
		fprintf(stderr, "upstream: bind 127.0.0.1:%" PRIu64 ": %s\n",
		    port, strerror(errno));
		goto fail;
	}
	evconnlistener_set_error_cb(l, up_accept_error_cb);
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin,
	    &slen) == -1)
		goto fail;
	sigint = evsignal_new(base, SIGINT, up_signal_cb, base);
	sigterm = evsignal_new(base, SIGTERM, up_signal_cb, base);
	if (sigint == NULL || sigterm == NULL ||
	    evsignal_add(sigint, NULL) == -1 ||
	    evsignal_add(sigterm, NULL) == -1)
		goto fail;
	printf("%u\n", ntohs(sin.sin_port));
	fflush(stdout);
	event_base_dispatch(base);
	rc = 0;
fail:
	/* Connections still open at exit are reclaimed by the kernel. */
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (l != NULL)
		evconnlistener_free(l);
	if (base != NULL)
		event_base_free(base);
	return rc;
}
