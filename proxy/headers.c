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

/* Request fields never forwarded as sent. */
static const char *const headers_req_drop[] = {
	"connection", "keep-alive", "proxy-connection", "te",
	"transfer-encoding", "content-length", "trailer", "upgrade",
	"proxy-authorization", "expect", "forwarded", "x-forwarded-for",
	"x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
	"x-real-ip", "x-request-id",
};

/* Response fields never relayed as sent. */
static const char *const headers_resp_drop[] = {
	"connection", "keep-alive", "proxy-connection", "te",
	"transfer-encoding", "content-length", "trailer", "upgrade",
	"proxy-authenticate", "alt-svc", "clear-site-data",
};

static int
headers_in(const char *name, size_t len, const char *const *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (str_span_eqi(name, len, list[i]))
			return 1;
	return 0;
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
headers_add(struct evbuffer *out, const struct http1_header *h)
{
	evbuffer_add(out, h->name, h->namelen);
	evbuffer_add(out, ": ", 2);
	evbuffer_add(out, h->value, h->valuelen);
	evbuffer_add(out, "\r\n", 2);
}

/*
 * A Cookie header carrying our cookie: emit it without ours (or not at
 * all when nothing else is left).  Returns 1 if it handled the header.
 */
static int
headers_cookie(struct evbuffer *out, const struct http1_header *h)
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
		evbuffer_add(out, "Cookie: ", 8);
		evbuffer_add(out, buf, n);
		evbuffer_add(out, "\r\n", 2);
	}
	free(buf);
	return 1;
}

void
headers_request(struct evbuffer *out, const struct http1_request *req,
    const struct hdr_req_ctx *c)
{
	const struct http1_header *h;
	const struct http1_header *xff = NULL, *xfp = NULL, *xfh = NULL;
	size_t	 i, injlen = c->inject_name ? strlen(c->inject_name) : 0;

	evbuffer_add(out, req->method, req->methodlen);
	evbuffer_add(out, " ", 1);
	evbuffer_add(out, c->target, c->target_len);
	evbuffer_add(out, " HTTP/1.1\r\n", 11);

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
		if (!str_span_eqi(h->name, h->namelen, "host") &&
		    headers_conn_named(req->headers, req->nheaders, h->name,
		    h->namelen))
			continue;
		headers_add(out, h);
	}

	if (xff != NULL)
		evbuffer_add_printf(out, "X-Forwarded-For: %.*s, %s\r\n",
		    (int)xff->valuelen, xff->value, c->peer_ip);
	else
		evbuffer_add_printf(out, "X-Forwarded-For: %s\r\n",
		    c->peer_ip);
	if (xfp != NULL)
		headers_add(out, xfp);
	else
		evbuffer_add_printf(out, "X-Forwarded-Proto: %s\r\n",
		    c->tls ? "https" : "http");
	if (xfh != NULL)
		headers_add(out, xfh);
	else if (req->host != NULL)
		evbuffer_add_printf(out, "X-Forwarded-Host: %.*s\r\n",
		    (int)req->hostlen, req->host);
	if (c->request_id != NULL)
		evbuffer_add_printf(out, "X-Request-Id: %s\r\n",
		    c->request_id);
	if (injlen > 0)
		evbuffer_add_printf(out, "%s: %s\r\n", c->inject_name,
		    c->inject_value);
	if (c->upgrade != NULL)
		evbuffer_add_printf(out, "Connection: Upgrade\r\n"
		    "Upgrade: %s\r\n", c->upgrade);
	if (c->body == 1)
		evbuffer_add_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)c->content_length);
	else if (c->body == 2)
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
	evbuffer_add(out, "\r\n", 2);
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
headers_response(struct evbuffer *out, const struct http1_response *resp,
    struct hdr_resp_ctx *c)
{
	const struct http1_header *h;
	size_t	 i;

	evbuffer_add_printf(out, "HTTP/1.1 %d %.*s\r\n", resp->status,
	    (int)resp->reasonlen, resp->reason);
	for (i = 0; i < resp->nheaders; i++) {
		h = &resp->headers[i];
		if (headers_in(h->name, h->namelen, headers_resp_drop,
		    DB_ARRLEN(headers_resp_drop)))
			continue;
		if (headers_conn_named(resp->headers, resp->nheaders,
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
			evbuffer_add_printf(out, "Content-Length: %llu\r\n",
			    (unsigned long long)resp->content_length);
		break;
	case RESP_LENGTH:
		evbuffer_add_printf(out, "Content-Length: %llu\r\n",
		    (unsigned long long)c->content_length);
		break;
	case RESP_CHUNKED:
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
		break;
	case RESP_CLOSE:
		break;
	}
	if (c->upgrade != NULL)
		evbuffer_add_printf(out, "Connection: Upgrade\r\n"
		    "Upgrade: %s\r\n", c->upgrade);
	else if (c->close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (c->client_minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add(out, "\r\n", 2);
}
