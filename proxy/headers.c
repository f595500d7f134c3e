/*
 * headers.c -- the two head rewrites of the data path.
 *
 * Toward the upstream (hostile sandbox code) the head is rebuilt from
 * validated parts: hop-by-hop fields and the fields `Connection` names are
 * dropped, Drawbridge's own credential is removed, forwarding metadata is
 * overwritten (we are the edge), and framing is generated, never copied.
 * Back toward the client the same hop-by-hop rules apply, plus fields a
 * sandbox must not set for others: Set-Cookie with a Domain attribute or
 * our cookie name (cookie tossing), Clear-Site-Data, Alt-Svc.
 */
#include <event2/buffer.h>

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define PROXY_COOKIE_PREFIX	"__Host-drawbridge"

struct headers_name {
	const char	*name;
	size_t		 len;
};
#define HN(s)	{ s, sizeof(s) - 1 }

/* Request fields never forwarded as sent. */
static const struct headers_name headers_req_drop[] = {
	HN("connection"), HN("keep-alive"), HN("proxy-connection"), HN("te"),
	HN("transfer-encoding"), HN("content-length"), HN("trailer"),
	HN("upgrade"), HN("proxy-authorization"), HN("expect"),
	HN("forwarded"), HN("x-forwarded-for"), HN("x-forwarded-proto"),
	HN("x-forwarded-host"), HN("x-forwarded-port"), HN("x-real-ip"),
	HN("x-request-id"),
};

/* Response fields never relayed as sent. */
static const struct headers_name headers_resp_drop[] = {
	HN("connection"), HN("keep-alive"), HN("proxy-connection"), HN("te"),
	HN("transfer-encoding"), HN("content-length"), HN("trailer"),
	HN("upgrade"), HN("proxy-authenticate"), HN("alt-svc"),
	HN("clear-site-data"),
};

/* Hot path: compare lengths before bytes. */
static int
headers_in(const char *name, size_t len, const struct headers_name *list,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (list[i].len == len && str_span_eqi(name, len,
		    list[i].name))
			return 1;
	return 0;
}

/*
 * Heads are assembled in a stack buffer and handed to the evbuffer in a
 * few large pieces: every evbuffer_add runs the buffer's callbacks, which
 * was a tenth of a small request's instructions when done per field.
 */
struct hbuf {
	struct evbuffer	*out;
	char		*p;
	size_t		 len, cap;
};

static void
hb_flush(struct hbuf *b)
{
	if (b->len > 0)
		evbuffer_add(b->out, b->p, b->len);
	b->len = 0;
}

static void
hb_add(struct hbuf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		hb_flush(b);
		if (n > b->cap) {
			evbuffer_add(b->out, d, n);
			return;
		}
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

/* Append "Name: value\r\n" from C strings, without printf. */
static void
headers_put(struct hbuf *out, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	hb_add(out, name, nlen);
	hb_add(out, v, vlen);
	hb_add(out, "\r\n", 2);
}
#define HPUT(out, lit, v, vlen)	headers_put(out, lit, sizeof(lit) - 1, v, vlen)

/* Decimal digits of v into buf (>= 21 bytes); returns the length. */
static size_t
headers_u64(char *buf, uint64_t v)
{
	char	 tmp[21];
	size_t	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int
headers_is_hop(const char *name, size_t len)
{
	return headers_in(name, len, headers_req_drop,
	    DB_ARRLEN(headers_req_drop));
}

/* Is this field named by any Connection header's token list? */
static int
headers_conn_named(const struct http1_header *h, size_t n, const char *name,
    size_t len)
{
	char	 tok[128];
	size_t	 i;

	if (len >= sizeof(tok))
		return 0;
	memcpy(tok, name, len);
	tok[len] = '\0';
	for (i = 0; i < n; i++) {
		if (!str_span_eqi(h[i].name, h[i].namelen, "connection"))
			continue;
		if (str_list_has_tokeni(h[i].value, h[i].valuelen, tok))
			return 1;
	}
	return 0;
}

static void
headers_add(struct hbuf *out, const struct http1_header *h)
{
	hb_add(out, h->name, h->namelen);
	hb_add(out, ": ", 2);
	hb_add(out, h->value, h->valuelen);
	hb_add(out, "\r\n", 2);
}

/*
 * A Cookie header carrying our cookie: emit it without ours (or not at
 * all when nothing else is left).  Returns 1 if it handled the header.
 */
static int
headers_cookie(struct hbuf *out, const struct http1_header *h)
{
	const char *v;
	size_t	 vlen, n;
	char	*buf;

	if (cookie_find(h->value, h->valuelen, &v, &vlen) == 0)
		return 0;
	/* "a;b" comes out as "a; b": the result may be longer. */
	if ((buf = malloc(2 * h->valuelen + 1)) == NULL)
		return 1;	/* drop rather than leak ours */
	if (cookie_strip(h->value, h->valuelen, buf, 2 * h->valuelen + 1,
	    &n) == 0 && n > 0) {
		hb_add(out, "Cookie: ", 8);
		hb_add(out, buf, n);
		hb_add(out, "\r\n", 2);
	}
	free(buf);
	return 1;
}

void
headers_request(struct evbuffer *evout, const struct http1_request *req,
    const struct hdr_req_ctx *c)
{
	const struct http1_header *h;
	const struct http1_header *xff = NULL, *xfp = NULL, *xfh = NULL;
	size_t	 i, injlen = c->inject_name ? strlen(c->inject_name) : 0;
	char	 stack[4096];
	struct hbuf hb = { evout, stack, 0, sizeof(stack) }, *out = &hb;
	int	 nconn = http1_find(req->headers, req->nheaders, "connection",
	    10) >= 0;

	hb_add(out, req->method, req->methodlen);
	hb_add(out, " ", 1);
	hb_add(out, c->target, c->target_len);
	hb_add(out, " HTTP/1.1\r\n", 11);

	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (c->peer_trusted) {
			if (str_span_eqi(h->name, h->namelen,
			    "x-forwarded-for"))
				xff = h;
			else if (str_span_eqi(h->name, h->namelen,
			    "x-forwarded-proto"))
				xfp = h;
			else if (str_span_eqi(h->name, h->namelen,
			    "x-forwarded-host"))
				xfh = h;
		}
		if (headers_in(h->name, h->namelen, headers_req_drop,
		    DB_ARRLEN(headers_req_drop)))
			continue;
		if (c->strip_auth && str_span_eqi(h->name, h->namelen,
		    "authorization"))
			continue;
		if (injlen > 0 && str_span_eqi(h->name, h->namelen,
		    c->inject_name))
			continue;
		if (c->strip_cookie && str_span_eqi(h->name, h->namelen,
		    "cookie") && headers_cookie(out, h))
			continue;
		if (nconn && !str_span_eqi(h->name, h->namelen, "host") &&
		    headers_conn_named(req->headers, req->nheaders, h->name,
		    h->namelen))
			continue;
		headers_add(out, h);
	}

	if (xff != NULL) {
		hb_add(out, "X-Forwarded-For: ", 17);
		hb_add(out, xff->value, xff->valuelen);
		hb_add(out, ", ", 2);
		hb_add(out, c->peer_ip, strlen(c->peer_ip));
		hb_add(out, "\r\n", 2);
	} else
		HPUT(out, "X-Forwarded-For: ", c->peer_ip, strlen(c->peer_ip));
	if (xfp != NULL)
		headers_add(out, xfp);
	else if (c->tls)
		HPUT(out, "X-Forwarded-Proto: ", "https", 5);
	else
		HPUT(out, "X-Forwarded-Proto: ", "http", 4);
	if (xfh != NULL)
		headers_add(out, xfh);
	else if (req->host != NULL)
		HPUT(out, "X-Forwarded-Host: ", req->host, req->hostlen);
	if (c->request_id != NULL)
		HPUT(out, "X-Request-Id: ", c->request_id,
		    strlen(c->request_id));
	if (injlen > 0) {
		hb_add(out, c->inject_name, injlen);
		HPUT(out, ": ", c->inject_value, strlen(c->inject_value));
	}
	if (c->upgrade != NULL) {
		hb_add(out, "Connection: Upgrade\r\n", 21);
		HPUT(out, "Upgrade: ", c->upgrade, strlen(c->upgrade));
	}
	if (c->body == 1) {
		char	 num[24];

		HPUT(out, "Content-Length: ", num,
		    headers_u64(num, c->content_length));
	} else if (c->body == 2)
		hb_add(out, "Transfer-Encoding: chunked\r\n", 28);
	hb_add(out, "\r\n", 2);
	hb_flush(out);
}

/* Does a Set-Cookie value carry a Domain attribute or our cookie name? */
static int
headers_cookie_forbidden(const char *v, size_t len)
{
	size_t	 i = 0, plen = sizeof(PROXY_COOKIE_PREFIX) - 1;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (len - i >= plen && str_span_eqi(v + i, plen,
	    PROXY_COOKIE_PREFIX))
		return 1;
	/* Attributes follow the first ';'. */
	while (i < len && v[i] != ';')
		i++;
	while (i < len) {
		size_t	 b;

		i++;			/* skip ';' */
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		b = i;
		while (i < len && v[i] != ';' && v[i] != '=' && v[i] != ' ')
			i++;
		if (str_span_eqi(v + b, i - b, "domain"))
			return 1;
		while (i < len && v[i] != ';')
			i++;
	}
	return 0;
}

void
headers_response(struct evbuffer *evout, const struct http1_response *resp,
    struct hdr_resp_ctx *c)
{
	const struct http1_header *h;
	size_t	 i;

	char	 num[24], stack[4096];
	size_t	 nl;
	struct hbuf hb = { evout, stack, 0, sizeof(stack) }, *out = &hb;
	int	 nconn = http1_find(resp->headers, resp->nheaders,
	    "connection", 10) >= 0;

	hb_add(out, "HTTP/1.1 ", 9);
	nl = headers_u64(num, (uint64_t)resp->status);
	num[nl++] = ' ';
	hb_add(out, num, nl);
	hb_add(out, resp->reason, resp->reasonlen);
	hb_add(out, "\r\n", 2);
	for (i = 0; i < resp->nheaders; i++) {
		h = &resp->headers[i];
		if (headers_in(h->name, h->namelen, headers_resp_drop,
		    DB_ARRLEN(headers_resp_drop)))
			continue;
		if (nconn && headers_conn_named(resp->headers, resp->nheaders,
		    h->name, h->namelen))
			continue;
		if (str_span_eqi(h->name, h->namelen, "set-cookie") &&
		    headers_cookie_forbidden(h->value, h->valuelen)) {
			c->dropped_cookies++;
			continue;
		}
		headers_add(out, h);
	}
	switch (c->framing) {
	case RESP_NOBODY:
		if (resp->has_cl && resp->status != 204 && resp->status >= 200)
			HPUT(out, "Content-Length: ", num,
			    headers_u64(num, resp->content_length));
		break;
	case RESP_LENGTH:
		HPUT(out, "Content-Length: ", num,
		    headers_u64(num, c->content_length));
		break;
	case RESP_CHUNKED:
		hb_add(out, "Transfer-Encoding: chunked\r\n", 28);
		break;
	case RESP_CLOSE:
		break;
	}
	if (c->upgrade != NULL) {
		hb_add(out, "Connection: Upgrade\r\n", 21);
		HPUT(out, "Upgrade: ", c->upgrade, strlen(c->upgrade));
	} else if (c->close)
		hb_add(out, "Connection: close\r\n", 19);
	else if (c->client_minor == 0)
		hb_add(out, "Connection: keep-alive\r\n", 24);
	hb_add(out, "\r\n", 2);
	hb_flush(out);
}
