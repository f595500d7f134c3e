/*
 * local.c -- the requests Drawbridge answers itself, and the credentials
 * that arrive in a query string rather than a header:
 *
 *   <auth-path>?grant=<jwt>&next=<path>   bootstrap link: grant -> cookie
 *   <logout-path>                         clear the cookie
 *   POST /sandbox/files/presign-upload    mint a presigned URL (bearer)
 *   POST /sandbox/files/presign-download
 *   PUT  /sandbox/files/upload?...&token= a presigned use: verified here,
 *   GET  /sandbox/files/download?...&token=  forwarded without the token
 *
 * None of these credentials ever reaches the sandbox or the access log.
 * Called from session.c at three points: after the head is parsed
 * (local_classify, local_credential), after the route is known and the
 * request authorised (local_routed), and while reading a mint body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define LOCAL_UPLOAD		"/sandbox/files/upload"
#define LOCAL_DOWNLOAD		"/sandbox/files/download"
#define LOCAL_MINT_UPLOAD	"/sandbox/files/presign-upload"
#define LOCAL_MINT_DOWNLOAD	"/sandbox/files/presign-download"
#define LOCAL_CLAIM_SLACK_S	60	/* claims outlive their URL by this */

static void
local_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Split the target into path and query (query without '?'). */
static void
local_split(const struct session *s, size_t *pathlen, const char **q,
    size_t *qlen)
{
	const char *t = s->hr.target;
	const char *m = memchr(t, '?', s->hr.target_len);

	*pathlen = m ? (size_t)(m - t) : s->hr.target_len;
	*q = m ? m + 1 : t + s->hr.target_len;
	*qlen = m ? s->hr.target_len - *pathlen - 1 : 0;
}

static int
local_path_is(const struct session *s, const char *p)
{
	size_t	 pathlen, qlen;
	const char *q;

	local_split(s, &pathlen, &q, &qlen);
	return pathlen == strlen(p) && memcmp(s->hr.target, p, pathlen) == 0;
}

static int
local_method_is(const struct session *s, const char *m)
{
	return s->req->methodlen == strlen(m) &&
	    memcmp(s->req->method, m, s->req->methodlen) == 0;
}


void
local_classify(struct session *s)
{
	const struct config *conf = s->conf;
	size_t	 pathlen, qlen;
	const char *q;

	s->local = LOCAL_NONE;
	if (s->hr.mode != HOST_MODE_PATH) {
		if (local_path_is(s, conf->auth_path))
			s->local = LOCAL_AUTH;
		else if (local_path_is(s, conf->logout_path))
			s->local = LOCAL_LOGOUT;
		if (s->local != LOCAL_NONE)
			return;
	}
	if (s->hr.mode == HOST_MODE_PORT)
		return;
	if (local_method_is(s, "POST") && (local_path_is(s,
	    LOCAL_MINT_UPLOAD) || local_path_is(s, LOCAL_MINT_DOWNLOAD))) {
		s->local = LOCAL_PRESIGN;
		return;
	}
	local_split(s, &pathlen, &q, &qlen);
	if (qlen > 0 &&
	    ((local_method_is(s, "PUT") && local_path_is(s, LOCAL_UPLOAD)) ||
	    ((local_method_is(s, "GET") || local_method_is(s, "HEAD")) &&
	    local_path_is(s, LOCAL_DOWNLOAD))))
		s->local = LOCAL_PRESIGN_USE;
}

/*
 * The target a presigned use is forwarded with: the path, then
 * "path=<the signed path, canonically encoded>", then every other
 * parameter as sent, except any whose decoded name is "token" or "path"
 * (so "%74oken=" cannot smuggle the token to the sandbox, and the runtime
 * reads exactly the bytes that were signed, whatever spelling the client
 * used).  Written into s->target_buf; hr.target then points there.
 */
static int
local_presign_target(struct session *s)
{
	char	 enc[3 * PRESIGN_MAX_PATH + 1], scratch[PRESIGN_MAX_TOKEN + 1];
	size_t	 pathlen, qlen, i = 0, o, cap, sl;
	const char *q;
	char	*buf;
	int	 n;

	local_split(s, &pathlen, &q, &qlen);
	if ((n = presign_urlencode(s->presign->path, s->presign->pathlen,
	    enc, sizeof(enc))) < 0)
		return -1;
	cap = pathlen + 6 + (size_t)n + qlen + 2;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	memcpy(buf, s->hr.target, pathlen);
	o = pathlen;
	memcpy(buf + o, "?path=", 6);
	o += 6;
	memcpy(buf + o, enc, (size_t)n);
	o += (size_t)n;
	while (i < qlen) {
		size_t	 b = i;

		while (i < qlen && q[i] != '&')
			i++;
		if (i > b && presign_query_param(q + b, i - b, "token", scratch,
		    sizeof(scratch), &sl) == 0 && presign_query_param(q + b,
		    i - b, "path", scratch, sizeof(scratch), &sl) == 0) {
			buf[o++] = '&';
			memcpy(buf + o, q + b, i - b);
			o += i - b;
		}
		if (i < qlen)
			i++;
	}
	buf[o] = '\0';
	free(s->target_buf);
	s->target_buf = buf;
	s->hr.target = buf;
	s->hr.target_len = o;
	return 0;
}

static int
local_presign_deny(struct session *s, enum presign_rc rc)
{
	switch (rc) {
	case PRESIGN_WRONG_SANDBOX:
	case PRESIGN_WRONG_METHOD:
	case PRESIGN_WRONG_PATH:
		return session_reply(s, PERR_PRESIGN_FORBIDDEN,
		    presign_code(rc));
	default:
		return session_reply(s, PERR_PRESIGN_INVALID,
		    presign_code(rc));
	}
}

/*
 * Query-string credentials.  Sets *done when the request was answered
 * (the return value is then session_reply's).
 */
int
local_credential(struct session *s, int *done)
{
	char	 tok[PRESIGN_MAX_TOKEN + 1], path[PRESIGN_MAX_PATH + 1];
	size_t	 pathlen, qlen, toklen, plen;
	const char *q;
	enum presign_rc rc;
	int	 r;

	*done = 0;
	local_split(s, &pathlen, &q, &qlen);
	switch (s->local) {
	case LOCAL_AUTH:
		*done = 1;
		r = presign_query_param(q, qlen, "grant", tok, sizeof(tok),
		    &toklen);
		if (r == -1)
			return session_reply(s, PERR_BAD_REQUEST,
			    "bad_grant");
		if (r == 0 || toklen == 0)
			return session_reply(s, PERR_TOKEN_MISSING,
			    "grant_missing");
		s->cred.present = 1;
		s->cred.tok = jwt_verify(s->conf, tok, toklen, time(NULL),
		    &s->cred.claims);
		{
			unsigned char md[SHA256_DIGEST_LENGTH];

			SHA256((const unsigned char *)tok, toklen, md);
			local_hex(md, sizeof(md), s->claim_id);
		}
		OPENSSL_cleanse(tok, sizeof(tok));
		*done = 0;
		return 0;
	case LOCAL_PRESIGN_USE:
		*done = 1;
		r = presign_query_param(q, qlen, "token", tok, sizeof(tok),
		    &toklen);
		if (r == 0) {
			/* No token: an ordinary (bearer-less) request. */
			s->local = LOCAL_NONE;
			*done = 0;
			return 0;
		}
		if (r == -1 || presign_query_param(q, qlen, "path", path,
		    sizeof(path), &plen) != 1)
			return session_reply(s, PERR_PRESIGN_INVALID,
			    "presign_malformed");
		if ((s->presign = calloc(1, sizeof(*s->presign))) == NULL)
			return session_reply(s, PERR_INTERNAL, NULL);
		rc = presign_verify(s->conf, tok, toklen, s->hr.sandbox,
		    local_method_is(s, "PUT"), path, plen, time(NULL),
		    s->presign);
		if (rc != PRESIGN_OK)
			return local_presign_deny(s, rc);
		if (local_presign_target(s) == -1)
			return session_reply(s, PERR_INTERNAL, NULL);
		if (s->presign->max_bytes > 0 && (s->body_limit == 0 ||
		    s->presign->max_bytes < s->body_limit))
			s->body_limit = s->presign->max_bytes;
		/* Authorised like a runtime bearer for this sandbox. */
		s->cred.present = 1;
		s->cred.tok = AUTHZ_TOK_OK;
		str_lcpy(s->cred.claims.sbx, s->hr.sandbox,
		    sizeof(s->cred.claims.sbx));
		s->cred.claims.iat = time(NULL);
		s->cred.claims.exp = s->presign->exp;
		*done = 0;
		return 0;
	default:
		return 0;
	}
}

/* ---- answers ---- */

static void
local_cookie_line(struct evbuffer *out, const struct config *conf,
    const char *value, long maxage)
{
	evbuffer_add_printf(out, "Set-Cookie: %s=%s; Path=/; Secure; HttpOnly; "
	    "SameSite=%s; Max-Age=%ld\r\n", COOKIE_NAME, value,
	    conf->cookie_samesite, maxage);
}

/* Finish a local answer already queued in out (status for the log). */
static int
local_done(struct session *s, size_t before, int status, const char *code)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	int	 keep;

	s->bytes_out += evbuffer_get_length(out) - before;
	s->status = status;
	s->resp_started = 1;
	session_set_reason(s, NULL, code);
	keep = s->req->keepalive && (s->req_done || (!s->req->chunked &&
	    (!s->req->has_cl || s->req->content_length == 0)));
	return session_finish(s, keep);
}

int
local_logout(struct session *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	size_t	 before = evbuffer_get_length(out);
	static const char body[] = "<!doctype html><title>Signed out</title>"
	    "<p>You are signed out of this sandbox.</p>\n";

	evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "Referrer-Policy: no-referrer\r\nX-Request-Id: %s\r\n",
	    sizeof(body) - 1, s->reqid);
	local_cookie_line(out, s->conf, "", 0);
	evbuffer_add(out, "\r\n", 2);
	if (!s->head_method)
		evbuffer_add(out, body, sizeof(body) - 1);
	return local_done(s, before, 200, "logout");
}

/* The grant checked out: set the cookie and send the browser on. */
static int
local_auth_answer(struct session *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	size_t	 before = evbuffer_get_length(out), pathlen, qlen, nlen = 0;
	char	 value[COOKIE_MAX_VALUE], next[2048];
	const char *q, *n = NULL;
	time_t	 now = time(NULL);
	long	 maxage = (long)(s->conf->cookie_ttl_ms / 1000);
	size_t	 i = 0;

	if (s->conf->ncookie_keys == 0 ||
	    cookie_mint(s->conf, s->hr.host, (int64_t)now + maxage, value,
	    sizeof(value)) == -1)
		return session_reply(s, PERR_NOT_CONFIGURED,
		    "cookie_not_configured");
	/* The raw `next` value (cookie_next_path decodes and checks it). */
	local_split(s, &pathlen, &q, &qlen);
	while (i < qlen) {
		size_t	 b = i;

		while (i < qlen && q[i] != '&')
			i++;
		if (i - b >= 5 && memcmp(q + b, "next=", 5) == 0) {
			if (n != NULL) {	/* duplicate: trust neither */
				n = NULL;
				nlen = 0;
				break;
			}
			n = q + b + 5;
			nlen = i - b - 5;
		}
		if (i < qlen)
			i++;
	}
	if (n == NULL || cookie_next_path(n, nlen, next, sizeof(next)) == -1)
		str_lcpy(next, "/", sizeof(next));
	evbuffer_add_printf(out, "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
	    "Content-Length: 0\r\nCache-Control: no-store\r\n"
	    "Referrer-Policy: no-referrer\r\nX-Request-Id: %s\r\n", next,
	    s->reqid);
	local_cookie_line(out, s->conf, value, maxage);
	evbuffer_add(out, "\r\n", 2);
	OPENSSL_cleanse(value, sizeof(value));
	return local_done(s, before, 302, "session_started");
}

/* ---- one-time claims in Redis (presigned uses, single-use grants) ---- */

static void
local_undo_cb(void *arg, const char *val, size_t len, int err)
{
	(void)arg;
	(void)val;
	(void)len;
	(void)err;
}

/*
 * The claim timed out, but Redis may still run it later (a stalled
 * server keeps the command): queue a delete of exactly our claim behind
 * it on the same connection, so a URL we answered 503 for is not spent.
 */
static void
local_claim_undo(struct session *s)
{
	static const char script[] = "if redis.call('get',KEYS[1])==ARGV[1] "
	    "then return redis.call('del',KEYS[1]) end return 0";
	struct store *st = routes_store(s->w->routes);
	const char *argv[5];
	size_t	 argvlen[5];
	int	 i;

	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "1";
	argv[3] = s->claim_key;
	argv[4] = s->claim_val;
	for (i = 0; i < 5; i++)
		argvlen[i] = strlen(argv[i]);
	if (st != NULL)
		(void)store_command(st, local_undo_cb, NULL, 5, argv, argvlen);
}

static void
local_claim_cb(void *arg, const char *val, size_t len, int err)
{
	struct session *s = arg;

	s->sreq = NULL;
	session_mark(s);
	if (err == STORE_OK && len == 2 && memcmp(val, "OK", 2) == 0) {
		if (s->local == LOCAL_AUTH)
			(void)local_auth_answer(s);
		else
			(void)session_start_upstream(s);
		return;
	}
	if (err == STORE_NIL) {
		if (s->local == LOCAL_AUTH)
			(void)session_reply(s, PERR_TOKEN, "grant_used");
		else
			(void)session_reply(s, PERR_PRESIGN_INVALID,
			    "presign_used");
		return;
	}
	if (err == STORE_TIMEOUT)
		local_claim_undo(s);
	(void)session_reply(s, PERR_ROUTE_STORE, "claim_store_unavailable");
}

/*
 * SET <prefix><kind>:<id> 1 NX PX <ttl>: exactly one claim of id ever
 * succeeds across every instance sharing the Redis.
 */
static int
local_claim(struct session *s, const char *kind, const char *id,
    int64_t exp)
{
	struct store *st = routes_store(s->w->routes);
	char	 px[32];
	const char *argv[6];
	size_t	 argvlen[6];
	int64_t	 ttl = exp - (int64_t)time(NULL) + LOCAL_CLAIM_SLACK_S;
	int	 i;

	if (ttl < LOCAL_CLAIM_SLACK_S)
		ttl = LOCAL_CLAIM_SLACK_S;
	unsigned char rnd[16];

	snprintf(s->claim_key, sizeof(s->claim_key), "%s%s:%s",
	    s->conf->redis_prefix, kind, id);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return session_reply(s, PERR_INTERNAL, NULL);
	local_hex(rnd, sizeof(rnd), s->claim_val);
	snprintf(px, sizeof(px), "%lld", (long long)ttl * 1000);
	argv[0] = "SET";
	argv[1] = s->claim_key;
	argv[2] = s->claim_val;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = px;
	for (i = 0; i < 6; i++)
		argvlen[i] = strlen(argv[i]);
	if (st == NULL || !store_connected(st) || (s->sreq = store_command(st,
	    local_claim_cb, s, 6, argv, argvlen)) == NULL)
		return session_reply(s, PERR_ROUTE_STORE,
		    "claim_store_unavailable");
	return 0;
}


/* ---- after routing and authorisation ---- */

/* The bootstrap grant, checked against the route. */
static int
local_auth_routed(struct session *s)
{
	const struct authz_claims *c = &s->cred.claims;
	uint16_t want = s->hr.mode == HOST_MODE_PORT ? s->hr.port :
	    ROUTE_RUNTIME_PORT;
	if (s->cred.tok != AUTHZ_TOK_OK)
		return session_reply(s, PERR_TOKEN, jwt_tok_code(s->cred.tok));
	if (strcmp(c->sbx, s->hr.sandbox) != 0)
		return session_reply(s, PERR_TOKEN_WRONG_SANDBOX, NULL);
	if (c->port != 0 && c->port != want)
		return session_reply(s, PERR_PORT_SCOPE, NULL);
	if (s->route->revoked_before > 0 && c->iat < s->route->revoked_before)
		return session_reply(s, PERR_TOKEN_REVOKED, NULL);
	if (s->conf->grant_max_ttl_ms > 0 && (c->exp - c->iat) * 1000 >
	    (int64_t)s->conf->grant_max_ttl_ms)
		return session_reply(s, PERR_TOKEN, "grant_too_long");
	if (s->hr.mode == HOST_MODE_PORT &&
	    route_find_port(s->route, s->hr.port) == NULL)
		return session_reply(s, PERR_PORT_NOT_EXPOSED, NULL);
	if (s->route->status == ROUTE_CLOSED)
		return session_reply(s, PERR_SANDBOX_CLOSED, NULL);
	if (!s->conf->grant_single_use)
		return local_auth_answer(s);
	/* Single use: claim the grant's digest. */
	return local_claim(s, "grant", s->claim_id, c->exp);
}

/* POST .../presign-*: read the small JSON body first. */
static int
local_presign_routed(struct session *s)
{
	struct timeval tv;

	if (s->conf->npresign_keys == 0)
		return session_reply(s, PERR_NOT_CONFIGURED,
		    "presign_not_configured");
	if (s->req->chunked || !s->req->has_cl)
		return session_reply(s, PERR_LENGTH_REQUIRED, NULL);
	if (s->req->content_length > SESSION_LOCAL_BODY_MAX)
		return session_reply(s, PERR_BODY_TOO_LARGE, NULL);
	tv.tv_sec = (time_t)(s->conf->timeout_body_ms / 1000);
	tv.tv_usec = (suseconds_t)(s->conf->timeout_body_ms % 1000) * 1000;
	s->state = S_LOCAL_BODY;
	bufferevent_set_timeouts(s->bev, &tv, NULL);
	bufferevent_enable(s->bev, EV_READ);
	return local_read_body(s);
}

int
local_routed(struct session *s, int *done)
{
	char	 hex[33];

	*done = 1;
	switch (s->local) {
	case LOCAL_AUTH:
		return local_auth_routed(s);
	case LOCAL_PRESIGN:
		return local_presign_routed(s);
	case LOCAL_PRESIGN_USE:
		if (s->req->has_cl && s->body_limit > 0 &&
		    s->req->content_length > s->body_limit)
			return session_reply(s, PERR_BODY_TOO_LARGE,
			    "presign_max_bytes");
		if (!s->presign->one_time) {
			*done = 0;
			return 0;
		}
		/* The claim is taken now: after every other check, just
		 * before the sandbox is contacted. */
		local_hex(s->presign->nonce, sizeof(s->presign->nonce), hex);
		return local_claim(s, "presign", hex, s->presign->exp);
	default:
		*done = 0;
		return 0;
	}
}

/* Build and send the mint answer. */
static int
local_presign_answer(struct session *s, const char *body, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	struct presign_claims c;
	char	 err[256], tok[PRESIGN_MAX_TOKEN + 1];
	char	 enc[3 * PRESIGN_MAX_PATH + 1], url[8192];
	const char *scheme, *op;
	size_t	 before = evbuffer_get_length(out);
	json_t	*j = NULL;
	char	*txt = NULL;
	int	 n, upload = local_path_is(s, LOCAL_MINT_UPLOAD), xfp;

	memset(&c, 0, sizeof(c));
	if (presign_parse_request(s->conf, body, len, time(NULL), &c, err,
	    sizeof(err)) == -1) {
		s->errmsg = err;
		return session_reply(s, PERR_BAD_PRESIGN, NULL);
	}
	str_lcpy(c.sbx, s->hr.sandbox, sizeof(c.sbx));
	c.put = upload;
	if (presign_mint(s->conf, &c, tok, sizeof(tok)) == -1 ||
	    presign_urlencode(c.path, c.pathlen, enc, sizeof(enc)) == -1)
		return session_reply(s, PERR_INTERNAL, NULL);
	scheme = s->tls ? "https" : "http";
	xfp = http1_find(s->req->headers, s->req->nheaders,
	    "x-forwarded-proto", 17);
	if (s->peer_trusted && xfp >= 0 && str_span_eqi(
	    s->req->headers[xfp].value, s->req->headers[xfp].valuelen,
	    "https"))
		scheme = "https";
	op = upload ? "upload" : "download";
	if (s->hr.mode == HOST_MODE_PATH)
		n = snprintf(url, sizeof(url), "%s://%.*s/sandbox/%s/files/%s"
		    "?path=%s&token=%s", scheme, (int)s->req->hostlen,
		    s->req->host, s->hr.sandbox, op, enc, tok);
	else
		n = snprintf(url, sizeof(url), "%s://%.*s/sandbox/files/%s"
		    "?path=%s&token=%s", scheme, (int)s->req->hostlen,
		    s->req->host, op, enc, tok);
	if (n < 0 || (size_t)n >= sizeof(url))
		return session_reply(s, PERR_URI_TOO_LONG, NULL);
	j = json_pack("{s:s, s:s%, s:s, s:I, s:s}", "token", tok, "path",
	    c.path, c.pathlen, "method", upload ? "PUT" : "GET", "expiresAt",
	    (json_int_t)c.exp * 1000, "url", url);
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return session_reply(s, PERR_INTERNAL, NULL);
	}
	evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nX-Request-Id: %s\r\n\r\n%s",
	    strlen(txt), s->reqid, txt);
	OPENSSL_cleanse(tok, sizeof(tok));
	free(txt);
	json_decref(j);
	return local_done(s, before, 200, "presign_minted");
}

int
local_read_body(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t	 need = (size_t)s->req->content_length;
	unsigned char *p;

	if (evbuffer_get_length(in) < need)
		return 0;
	bufferevent_disable(s->bev, EV_READ);
	if ((p = evbuffer_pullup(in, (ev_ssize_t)need)) == NULL && need > 0)
		return session_reply(s, PERR_INTERNAL, NULL);
	s->bytes_in += need;
	s->req_done = 1;
	/* Answer from a private copy; the input is drained first so a
	 * pipelined request is not mistaken for body. */
	{
		char	 body[SESSION_LOCAL_BODY_MAX + 1];

		if (need > 0)
			memcpy(body, p, need);
		body[need] = '\0';
		evbuffer_drain(in, need);
		return local_presign_answer(s, body, need);
	}
}

/* Does this request look like a browser page load (HTML errors)? */
int
local_wants_html(const struct http1_request *req)
{
	int	 i;

	i = http1_find(req->headers, req->nheaders, "sec-fetch-mode", 14);
	if (i >= 0)
		return str_span_eqi(req->headers[i].value,
		    req->headers[i].valuelen, "navigate");
	i = http1_find(req->headers, req->nheaders, "accept", 6);
	return i >= 0 && memmem(req->headers[i].value,
	    req->headers[i].valuelen, "text/html", 9) != NULL;
}
