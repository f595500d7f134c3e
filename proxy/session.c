/*
 * session.c -- one client connection: a state machine that reads a request
 * head, routes and authorises it, forwards it to the sandbox over a pooled
 * or new upstream connection, streams both bodies with backpressure, and
 * goes back for the next request (or becomes a WebSocket tunnel).
 *
 *   READ_HEAD -> ROUTE (async lookup) -> CONNECT -> FORWARD -> READ_HEAD
 *                                                   FORWARD -> TUNNEL
 *   any state -> CLOSING (flush a final reply) -> closed
 *
 * Ownership: the session owns its client bufferevent, its timer, the
 * request head copy and parsed request, one route reference, the pending
 * route lookup handle (cancelled on close) and the upstream connection
 * while busy.  session_close() is the only teardown; after calling it a
 * function returns -1 and touches nothing.
 */
#include <sys/socket.h>

#include <sys/uio.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define SESSION_MAX_1XX		16	/* interim responses per request */
/* Chunked framing may cost at most twice the data plus this (A24). */
#define SESSION_CHUNK_SLACK	(64 * 1024)

static void	 session_readcb(struct bufferevent *, void *);
static void	 session_writecb(struct bufferevent *, void *);
static int	 session_flush_bev(struct bufferevent *, int);
static void	 session_eventcb(struct bufferevent *, short, void *);
static void	 session_up_readcb(struct bufferevent *, void *);
static void	 session_up_writecb(struct bufferevent *, void *);
static void	 session_up_eventcb(struct bufferevent *, short, void *);
static void	 session_timercb(evutil_socket_t, short, void *);
static int	 session_read_head(struct session *);
static int	 session_process(struct session *);
static int	 session_routed(struct session *);
static int	 session_send_head(struct session *);
static int	 session_pump_request(struct session *);
static int	 session_read_response(struct session *);
static int	 session_pump_response(struct session *);
static int	 session_response_done(struct session *);
static int	 session_tunnel_start(struct session *);
static int	 session_tunnel_relay(struct session *, int);

static void
session_tv(struct timeval *tv, uint64_t ms)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static void
session_timer_set(struct session *s, uint64_t ms)
{
	struct timeval tv;

	session_tv(&tv, ms);
	evtimer_add(s->timer, &tv);
}

static uint64_t
session_elapsed_ms(const struct session *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - s->t0.tv_sec) * 1000 +
	    (uint64_t)((now.tv_nsec - s->t0.tv_nsec) / 1000000);
}

void
session_set_reason(struct session *s, const char *kind, const char *code)
{
	if (kind == NULL)
		str_lcpy(s->reason, code, sizeof(s->reason));
	else
		snprintf(s->reason, sizeof(s->reason), "%s=%s", kind, code);
}

void
session_accept(struct worker *w, int fd, struct sockaddr *sa, int salen,
    int tls)
{
	struct session *s;
	int	 one = 1;

	(void)salen;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return;
	}
	s->w = w;
	s->conf = w->conf;
	s->tls = tls;
	s->hw = DB_MAX(w->conf->buffer_bytes, w->conf->max_header_bytes + 1);
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, s->peer_ip,
		    sizeof(s->peer_ip));
		s->peer_trusted = config_is_trusted(w->conf, AF_INET,
		    &sin->sin_addr);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, s->peer_ip,
		    sizeof(s->peer_ip));
		s->peer_trusted = config_is_trusted(w->conf, AF_INET6,
		    &sin6->sin6_addr);
	} else
		str_lcpy(s->peer_ip, "-", sizeof(s->peer_ip));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (tls) {
		SSL	*ssl = w->tls != NULL ? tls_ssl_new(w->tls) : NULL;

		if (ssl != NULL)
			s->bev = bufferevent_openssl_socket_new(w->base, fd,
			    ssl, BUFFEREVENT_SSL_ACCEPTING,
			    BEV_OPT_CLOSE_ON_FREE);
		else
			s->bev = NULL;
		if (s->bev == NULL && ssl != NULL)
			SSL_free(ssl);
		s->handshaking = 1;
	} else
		s->bev = bufferevent_socket_new(w->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(w->base, session_timercb, s);
	if (s->bev == NULL || s->timer == NULL) {
		if (s->bev == NULL)
			close(fd);
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		if (s->timer != NULL)
			event_free(s->timer);
		free(s);
		return;
	}
	TAILQ_INSERT_TAIL(&w->sessions, s, entry);
	w->stats.accepted++;
	w->stats.active++;
	s->state = S_READ_HEAD;
	bufferevent_setcb(s->bev, session_readcb, session_writecb,
	    session_eventcb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, s->hw);
	(void)bufferevent_set_max_single_write(s->bev, (ev_ssize_t)s->hw);
	/* Plain TCP: we write directly (session_flush); TLS: libevent. */
	bufferevent_enable(s->bev, tls ? EV_READ | EV_WRITE : EV_READ);
	/* The first head (or the TLS handshake) must arrive in time. */
	s->in_head = 1;
	session_timer_set(s, tls ? s->conf->timeout_tls_handshake_ms :
	    s->conf->timeout_header_ms);
}

/* Forget the current request (keeps the connection). */
static void
session_request_clear(struct session *s)
{
	if (s->stream) {
		streams_release(s->w->streams, s->hr.sandbox);
		s->stream = 0;
	}
	if (s->rreq != NULL) {
		routes_cancel(s->rreq);
		s->rreq = NULL;
	}
	if (s->route != NULL) {
		route_unref(s->route);
		s->route = NULL;
	}
	if (s->up != NULL) {
		upconn_free(s->up);
		s->up = NULL;
	}
	if (s->sreq != NULL) {
		store_cancel(s->sreq);
		s->sreq = NULL;
	}
	free(s->presign);
	s->presign = NULL;
	free(s->target_buf);
	s->target_buf = NULL;
	s->local = LOCAL_NONE;
	s->cred_cookie = 0;
	s->body_limit = 0;
	s->claim_id[0] = '\0';
	s->errmsg = NULL;
	free(s->head);
	s->head = NULL;
	free(s->req);
	s->req = NULL;
	memset(&s->hr, 0, sizeof(s->hr));
	memset(&s->cred, 0, sizeof(s->cred));
	s->auth_ours = 0;
	s->upgrade = NULL;
	s->ws_accept[0] = '\0';
	s->head_method = s->retried = 0;
	s->bytes_in = s->bytes_out = 0;
	s->status = 0;
	s->reason[0] = '\0';
	s->reqid[0] = '\0';
	s->req_body = BODY_NONE;
	s->req_remain = s->req_total = s->req_framing = 0;
	s->req_done = 0;
	s->resp_started = s->resp_n1xx = 0;
	s->resp_mark = 0;
	s->resp_queued = 0;
	s->resp_in = BODY_NONE;
	s->resp_out_chunked = 0;
	s->resp_remain = s->resp_bytes = 0;
	s->resp_data = s->resp_framing = 0;
	s->resp_close = s->up_keepalive = 0;
}

static void
session_log(struct session *s)
{
	struct access_rec r;
	int	 cls;

	if (s->req == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.peer_ip = s->peer_ip;
	r.method = s->req->method;
	r.methodlen = s->req->methodlen;
	r.target = s->req->target;
	r.targetlen = s->req->targetlen;
	r.host = s->hr.host;
	r.sandbox = s->hr.sandbox;
	r.port = s->hr.mode == HOST_MODE_PORT ? s->hr.port : 0;
	r.status = s->status;
	r.in = s->bytes_in;
	r.out = s->bytes_out;
	r.ms = session_elapsed_ms(s);
	r.reason = s->reason[0] ? s->reason : "-";
	r.request_id = s->reqid;
	access_log(s->w->access, &r);
	cls = s->status / 100;
	s->w->stats.responses[(cls >= 1 && cls <= 5) ? cls : 0]++;
}

void
session_close(struct session *s)
{
	if (s->req != NULL && s->status == 0) {
		s->status = 499;
		if (s->reason[0] == '\0')
			session_set_reason(s, "client", "closed");
		session_log(s);
	}
	session_request_clear(s);
	if (s->dirty)
		TAILQ_REMOVE(&s->w->dirty, s, dirty_entry);
	TAILQ_REMOVE(&s->w->sessions, s, entry);
	s->w->stats.active--;
	event_free(s->timer);
	if (s->tls && !s->handshaking) {
		SSL	*ssl = bufferevent_openssl_get_ssl(s->bev);

		/* libevent never sends close_notify itself. */
		if (ssl != NULL)
			(void)SSL_shutdown(ssl);
	}
	bufferevent_free(s->bev);
	worker_session_done(s->w);
	free(s);
}

/* Close once everything queued for the client has been written. */
static int
session_close_after_flush(struct session *s)
{
	struct timeval tv;

	s->state = S_CLOSING;
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		session_close(s);
		return -1;
	}
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	session_tv(&tv, s->conf->timeout_body_ms);
	bufferevent_set_timeouts(s->bev, NULL, &tv);
	evtimer_del(s->timer);
	return 0;
}

/* Back to reading the next request on a kept-alive connection. */
static int
session_next(struct session *s)
{
	/* Each request sees the newest config (SIGHUP); one in flight
	 * keeps the one it started with. */
	s->conf = s->w->conf;
	s->state = S_READ_HEAD;
	s->in_head = 0;
	s->scanned = 0;
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	bufferevent_setwatermark(s->bev, EV_READ, 0, s->hw);
	bufferevent_enable(s->bev, EV_READ);
	session_timer_set(s, s->conf->timeout_idle_ms);
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		return session_read_head(s);
	return 0;
}

/*
 * Finish the current request: log it, then keep the connection or close
 * it.  The upstream connection, if any, has been dealt with by the caller.
 */
int
session_finish(struct session *s, int keep)
{
	session_log(s);
	s->w->stats.requests++;
	if (!keep || s->client_eof) {
		session_request_clear(s);
		return session_close_after_flush(s);
	}
	session_request_clear(s);
	return session_next(s);
}

/*
 * Answer the request ourselves.  The connection survives only when the
 * request was well framed and its body (if any) has not started: a body
 * we did not read would be parsed as the next request.
 */
int
session_reply(struct session *s, enum proxy_err e, const char *code)
{
	const struct proxy_errinfo *ei = errors_info(e);
	struct evbuffer *out = bufferevent_get_output(s->bev);
	struct errors_opts eo;
	size_t	 before = evbuffer_get_length(out);
	int	 keep;

	keep = s->req != NULL && s->req->keepalive && !s->resp_started &&
	    (s->req_done || (!s->req->has_cl && !s->req->chunked) ||
	    (s->req->has_cl && s->req->content_length == 0));
	if (s->resp_started) {
		/* Too late for a status: cut the response. */
		session_set_reason(s, NULL, code ? code : ei->code);
		session_log(s);
		s->req = NULL;	/* logged */
		session_close(s);
		return -1;
	}
	if (s->up != NULL) {
		upconn_free(s->up);
		s->up = NULL;
	}
	memset(&eo, 0, sizeof(eo));
	eo.code = code;
	eo.message = s->errmsg;
	eo.request_id = s->reqid;
	eo.close = !keep;
	eo.token_presented = s->cred.present;
	eo.html = ei->status == 401 && s->req != NULL &&
	    local_wants_html(s->req);
	errors_write(out, e, &eo);
	s->errmsg = NULL;
	s->bytes_out += evbuffer_get_length(out) - before;
	s->status = ei->status;
	s->resp_started = 1;
	if (s->reason[0] == '\0') {
		const char *kind = "client";

		if (ei->status == 401 || ei->status == 403)
			kind = "authz";
		else if (e == PERR_SANDBOX_NOT_FOUND ||
		    e == PERR_ROUTE_STORE || e == PERR_UNKNOWN_HOST ||
		    e == PERR_SANDBOX_CLOSED || e == PERR_SANDBOX_NOT_RUNNING)
			kind = "route";
		else if (ei->status >= 502)
			kind = "upstream";
		session_set_reason(s, kind, code ? code : ei->code);
	}
	return session_finish(s, keep);
}

/* ---- reading a request head ---- */

static int
session_read_head(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct http1_limits lim;
	enum http1_rc rc;
	size_t	 len, n, cap;
	unsigned char *p;

	len = evbuffer_get_length(in);
	if (len == 0)
		return 0;
	if (!s->in_head) {
		s->in_head = 1;
		session_timer_set(s, s->conf->timeout_header_ms);
	}
	lim.max_head = s->conf->max_header_bytes;
	lim.max_headers = s->conf->max_headers;
	lim.max_line = s->conf->max_request_line;
	n = DB_MIN(len, lim.max_head + 1);
	/* Only parse again when a new line may have completed. */
	if (n < lim.max_head + 1) {
		struct evbuffer_ptr pos;

		if (n <= s->scanned)
			return 0;
		if (evbuffer_ptr_set(in, &pos, s->scanned,
		    EVBUFFER_PTR_SET) == 0) {
			pos = evbuffer_search(in, "\n", 1, &pos);
			if (pos.pos == -1 || (size_t)pos.pos >= n) {
				s->scanned = n;
				return 0;
			}
		}
	}
	s->scanned = n;
	if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return session_reply(s, PERR_INTERNAL, NULL);
	if (s->req == NULL && (s->req = malloc(sizeof(*s->req))) == NULL)
		return session_reply(s, PERR_INTERNAL, NULL);
	rc = http1_parse_request((const char *)p, n, &lim, s->req);
	if (rc == HTTP1_INCOMPLETE)
		return 0;
	evtimer_del(s->timer);
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	snprintf(s->reqid, sizeof(s->reqid), "%02x%010llx", s->w->id,
	    (unsigned long long)++s->w->reqseq);
	if (rc == HTTP1_ERR) {
		enum proxy_err e = errors_from_status(s->req->status);
		const char *code = s->req->code;

		/* Nothing after a bad message is parsed: never keep. */
		struct access_rec r;
		struct errors_opts eo;

		session_set_reason(s, "client", code ? code :
		    errors_info(e)->code);
		free(s->req);
		s->req = NULL;
		s->status = errors_info(e)->status;
		memset(&eo, 0, sizeof(eo));
		eo.request_id = s->reqid;
		eo.close = 1;
		errors_write(bufferevent_get_output(s->bev), e, &eo);
		memset(&r, 0, sizeof(r));
		r.peer_ip = s->peer_ip;
		r.status = s->status;
		r.reason = s->reason;
		r.request_id = s->reqid;
		access_log(s->w->access, &r);
		s->w->stats.responses[4]++;
		return session_close_after_flush(s);
	}

	/* Keep a private copy of the head and move the parse onto it. */
	len = s->req->headlen;
	cap = len + s->req->targetlen + 16;
	if ((s->head = malloc(cap)) == NULL)
		return session_reply(s, PERR_INTERNAL, NULL);
	memcpy(s->head, p, len);
	http1_rebase(s->req, (const char *)p, s->head);
	evbuffer_drain(in, len);
	s->bytes_in += len;
	s->scanned = 0;
	s->in_head = 0;
	return session_process(s);
}

/* ---- routing and authorisation ---- */

static void
session_route_cb(void *arg, enum routes_result res, struct route *r)
{
	struct session *s = arg;

	s->rreq = NULL;
	session_mark(s);
	switch (res) {
	case ROUTES_FOUND:
		s->route = r;
		(void)session_routed(s);
		return;
	case ROUTES_NOTFOUND:
		(void)session_reply(s, PERR_SANDBOX_NOT_FOUND, NULL);
		return;
	default:
		if (r != NULL)
			route_unref(r);
		(void)session_reply(s, PERR_ROUTE_STORE, NULL);
		return;
	}
}

/* Find "Authorization: Bearer <tok>"; -1 if malformed (two headers). */
static int
session_bearer(const struct http1_request *req, const char **tok,
    size_t *toklen)
{
	const struct http1_header *h = NULL;
	size_t	 i, n = 0;

	*tok = NULL;
	*toklen = 0;
	for (i = 0; i < req->nheaders; i++) {
		if (str_span_eqi(req->headers[i].name,
		    req->headers[i].namelen, "authorization")) {
			h = &req->headers[i];
			n++;
		}
	}
	if (n > 1)
		return -1;
	if (h == NULL || h->valuelen < 7 ||
	    !str_span_eqi(h->value, 6, "bearer") || h->value[6] != ' ')
		return 0;
	/* RFC 6750: exactly one SP, then a token68 (checked by the
	 * verifier, which refuses any space or tab inside). */
	*tok = h->value + 7;
	*toklen = h->valuelen - 7;
	return 0;
}

/*
 * Our session cookie as the credential (browser access): bound to the
 * canonical host, so a cookie made for one sandbox port is worthless on
 * every other host.  The cookie carries no iat; its mint time is its
 * expiry less cookie-ttl, which the revocation watermark is checked
 * against.
 */
static void
session_cookie(struct session *s)
{
	const struct http1_request *req = s->req;
	const char *v = NULL;
	size_t	 i, vlen = 0;
	int	 found = 0, r;
	enum cookie_rc rc;

	for (i = 0; i < req->nheaders; i++) {
		const char *cv;
		size_t	 cvlen;

		if (!str_span_eqi(req->headers[i].name,
		    req->headers[i].namelen, "cookie"))
			continue;
		r = cookie_find(req->headers[i].value,
		    req->headers[i].valuelen, &cv, &cvlen);
		if (r == 0)
			continue;
		if (r == -1 || found++) {
			found = 2;
			break;
		}
		v = cv;
		vlen = cvlen;
	}
	if (found == 0)
		return;
	s->cred.present = 1;
	s->cred_cookie = 1;
	s->auth_ours = 1;
	if (found > 1) {
		s->cred.tok = AUTHZ_TOK_MALFORMED;
		return;
	}
	rc = cookie_check(s->conf, v, vlen, s->hr.host, time(NULL),
	    &s->cred.claims.exp);
	if (rc != COOKIE_OK) {
		s->cred.tok = rc == COOKIE_EXPIRED ? AUTHZ_TOK_EXPIRED :
		    rc == COOKIE_BAD_SIGNATURE ? AUTHZ_TOK_BAD_SIGNATURE :
		    rc == COOKIE_UNKNOWN_KEY ? AUTHZ_TOK_UNKNOWN_KEY :
		    AUTHZ_TOK_MALFORMED;
		return;
	}
	s->cred.tok = AUTHZ_TOK_OK;
	str_lcpy(s->cred.claims.sbx, s->hr.sandbox, sizeof(s->cred.claims.sbx));
	s->cred.claims.port = 0;
	s->cred.claims.iat = s->cred.claims.exp -
	    (int64_t)(s->conf->cookie_ttl_ms / 1000);
}

/*
 * A cookie-authorised WebSocket upgrade or state-changing request must
 * come from the host's own origin: sibling sandboxes are same-site, so
 * SameSite alone does not stop one sandbox's page driving another's.
 */
static int
session_cross_origin(struct session *s)
{
	const struct http1_request *req = s->req;
	const struct http1_header *o;
	int	 i, safe;
	size_t	 sl;

	safe = (req->methodlen == 3 && memcmp(req->method, "GET", 3) == 0) ||
	    (req->methodlen == 4 && memcmp(req->method, "HEAD", 4) == 0) ||
	    (req->methodlen == 7 && memcmp(req->method, "OPTIONS", 7) == 0);
	if (safe && s->upgrade == NULL)
		return 0;
	/* A browser says where the request comes from (Fetch Metadata). */
	if ((i = http1_find(req->headers, req->nheaders, "sec-fetch-site",
	    14)) >= 0 && !str_span_eqi(req->headers[i].value,
	    req->headers[i].valuelen, "same-origin") &&
	    !str_span_eqi(req->headers[i].value, req->headers[i].valuelen,
	    "none"))
		return 1;
	if ((i = http1_find(req->headers, req->nheaders, "origin", 6)) < 0)
		return 0;	/* not a browser, or a same-origin GET */
	o = &req->headers[i];
	sl = o->valuelen >= 8 && str_span_eqi(o->value, 8, "https://") ? 8 :
	    o->valuelen >= 7 && str_span_eqi(o->value, 7, "http://") ? 7 : 0;
	if (sl == 0)
		return 1;
	return !(o->valuelen - sl == req->hostlen &&
	    strncasecmp(o->value + sl, req->host, req->hostlen) == 0);
}

static void
session_credential(struct session *s)
{
	const char *tok;
	size_t	 toklen;
	time_t	 now = time(NULL);

	(void)session_bearer(s->req, &tok, &toklen);
	if (tok == NULL || toklen == 0) {
		session_cookie(s);
		return;
	}
	s->cred.present = 1;
	if (tokcache_get(s->w->tokens, tok, toklen, now, &s->cred.claims)) {
		s->cred.tok = AUTHZ_TOK_OK;
	} else {
		s->cred.tok = jwt_verify(s->conf, tok, toklen, now,
		    &s->cred.claims);
		if (s->cred.tok == AUTHZ_TOK_OK)
			tokcache_put(s->w->tokens, tok, toklen,
			    &s->cred.claims);
	}
	/* A token for a key we do not know may be the app's own. */
	s->auth_ours = s->cred.tok != AUTHZ_TOK_UNKNOWN_KEY &&
	    s->cred.tok != AUTHZ_TOK_MALFORMED;
}

static int
session_deny(struct session *s, enum authz_verdict v)
{
	switch (v) {
	case AUTHZ_DENY_NO_TOKEN:
		return session_reply(s, PERR_TOKEN_MISSING, NULL);
	case AUTHZ_DENY_TOKEN:
		return session_reply(s, PERR_TOKEN, jwt_tok_code(s->cred.tok));
	case AUTHZ_DENY_WRONG_SANDBOX:
		return session_reply(s, PERR_TOKEN_WRONG_SANDBOX, NULL);
	case AUTHZ_DENY_REVOKED:
		return session_reply(s, PERR_TOKEN_REVOKED, NULL);
	case AUTHZ_DENY_PORT_SCOPE:
		return session_reply(s, PERR_PORT_SCOPE, NULL);
	case AUTHZ_DENY_NOT_EXPOSED:
		return session_reply(s, PERR_PORT_NOT_EXPOSED, NULL);
	case AUTHZ_DENY_PAUSED:
		return session_reply(s, PERR_SANDBOX_NOT_RUNNING, NULL);
	case AUTHZ_DENY_CLOSED:
		return session_reply(s, PERR_SANDBOX_CLOSED, NULL);
	default:
		return session_reply(s, PERR_INTERNAL, NULL);
	}
}

/* The one value of a header that must appear exactly once, or NULL. */
static const struct http1_header *
session_single(const struct http1_request *req, const char *name)
{
	const struct http1_header *h = NULL;
	size_t	 i;

	for (i = 0; i < req->nheaders; i++) {
		if (!str_span_eqi(req->headers[i].name,
		    req->headers[i].namelen, name))
			continue;
		if (h != NULL)
			return NULL;
		h = &req->headers[i];
	}
	return h;
}

/*
 * RFC 6455 4.2.1: a websocket upgrade names only websocket, carries one
 * 16-byte base64 Sec-WebSocket-Key and version 13 (catalog H07).  Keeps
 * the Sec-WebSocket-Accept the upstream must answer with.  Returns NULL
 * or an error code.
 */
static const char *
session_ws_request(struct session *s)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	const struct http1_header *u, *k, *v;
	unsigned char buf[64], md[EVP_MAX_MD_SIZE], raw[32];
	unsigned int mdlen;
	size_t	 i;

	u = session_single(s->req, "upgrade");
	if (u == NULL || !str_span_eqi(u->value, u->valuelen, "websocket"))
		return "bad_upgrade";
	k = session_single(s->req, "sec-websocket-key");
	if (k == NULL || k->valuelen != 24 || k->value[22] != '=' ||
	    k->value[23] != '=')
		return "bad_websocket_key";
	for (i = 0; i < 22; i++) {
		unsigned char c = (unsigned char)k->value[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return "bad_websocket_key";
	}
	if (EVP_DecodeBlock(raw, (const unsigned char *)k->value, 24) != 18)
		return "bad_websocket_key";
	v = session_single(s->req, "sec-websocket-version");
	if (v == NULL || !str_span_eqi(v->value, v->valuelen, "13"))
		return "bad_websocket_version";
	memcpy(buf, k->value, 24);
	memcpy(buf + 24, guid, sizeof(guid) - 1);
	if (EVP_Digest(buf, 24 + sizeof(guid) - 1, md, &mdlen, EVP_sha1(),
	    NULL) != 1)
		return "bad_websocket_key";
	EVP_EncodeBlock((unsigned char *)s->ws_accept, md, (int)mdlen);
	return NULL;
}

/* The upstream's 101 must complete the websocket handshake (H06). */
static int
session_ws_response(const struct session *s,
    const struct http1_response *resp)
{
	int	 u, c, a;

	u = http1_find(resp->headers, resp->nheaders, "upgrade", 7);
	c = http1_find(resp->headers, resp->nheaders, "connection", 10);
	a = http1_find(resp->headers, resp->nheaders, "sec-websocket-accept",
	    20);
	return u >= 0 && c >= 0 && a >= 0 &&
	    str_span_eqi(resp->headers[u].value, resp->headers[u].valuelen,
	    "websocket") &&
	    str_list_has_tokeni(resp->headers[c].value,
	    resp->headers[c].valuelen, "upgrade") &&
	    resp->headers[a].valuelen == strlen(s->ws_accept) &&
	    memcmp(resp->headers[a].value, s->ws_accept,
	    resp->headers[a].valuelen) == 0;
}

/*
 * An Upgrade other than websocket is forwarded only when upgrade-allow
 * lists it (h2c and friends are smuggling vectors); otherwise the header
 * is dropped and the request proceeds as a plain one.
 */
static const char *
session_upgrade_allowed(struct session *s)
{
	const struct http1_request *req = s->req;
	int	 u, c;
	size_t	 i;

	if (s->conf->nupgrade_allow == 0 || req->methodlen != 3 ||
	    memcmp(req->method, "GET", 3) != 0)
		return NULL;
	u = http1_find(req->headers, req->nheaders, "upgrade", 7);
	c = http1_find(req->headers, req->nheaders, "connection", 10);
	if (u < 0 || c < 0 || !str_list_has_tokeni(req->headers[c].value,
	    req->headers[c].valuelen, "upgrade"))
		return NULL;
	for (i = 0; i < s->conf->nupgrade_allow; i++) {
		if (str_span_eqi(req->headers[u].value,
		    req->headers[u].valuelen, s->conf->upgrade_allow[i])) {
			str_lcpy(s->upgrade_buf, s->conf->upgrade_allow[i],
			    sizeof(s->upgrade_buf));
			return s->upgrade_buf;
		}
	}
	return NULL;
}

static int
session_process(struct session *s)
{
	struct http1_request *req = s->req;
	enum authz_verdict v;
	enum routes_result rr;
	const char *tok;
	size_t	 toklen;
	uint16_t port;
	int	 r, done;

	/* Hold back a body until the request is authorised; a bodiless
	 * request leaves reading on (no epoll churn per request; what a
	 * pipelining client sends meanwhile stays bounded by the read
	 * watermark). */
	if (req->chunked || (req->has_cl && req->content_length > 0))
		bufferevent_disable(s->bev, EV_READ);
	s->state = S_ROUTE;
	if (req->host == NULL)
		return session_reply(s, PERR_BAD_HOST, "host_missing");
	if (req->abs_host != NULL && (req->abs_hostlen != req->hostlen ||
	    strncasecmp(req->abs_host, req->host, req->hostlen) != 0))
		return session_reply(s, PERR_BAD_HOST, "host_mismatch");
	s->head_method = req->methodlen == 4 &&
	    memcmp(req->method, "HEAD", 4) == 0;
	switch (host_parse(s->conf, req->host, req->hostlen, req->target,
	    req->targetlen, s->head + req->headlen, req->targetlen + 16,
	    &s->hr)) {
	case HOST_OK:
		break;
	case HOST_UNKNOWN:
		return session_reply(s, PERR_UNKNOWN_HOST, NULL);
	case HOST_RUNTIME_PORT:
		return session_reply(s, PERR_RUNTIME_PORT, NULL);
	default:
		return session_reply(s, PERR_BAD_HOST, NULL);
	}
	if (s->conf->max_body_bytes > 0 && req->has_cl &&
	    req->content_length > s->conf->max_body_bytes)
		return session_reply(s, PERR_BODY_TOO_LARGE, NULL);
	s->body_limit = s->conf->max_body_bytes;
	if (session_bearer(req, &tok, &toklen) == -1)
		return session_reply(s, PERR_BAD_REQUEST,
		    "duplicate_authorization");
	local_classify(s);
	if (s->local == LOCAL_LOGOUT)
		return local_logout(s);
	r = local_credential(s, &done);
	if (done)
		return r;
	if (req->upgrade_websocket) {
		const char *why = session_ws_request(s);

		if (why != NULL)
			return session_reply(s, PERR_BAD_REQUEST, why);
		s->upgrade = "websocket";
	}
	else if (req->upgrade)
		s->upgrade = session_upgrade_allowed(s);
	if (s->local != LOCAL_AUTH && s->local != LOCAL_PRESIGN_USE)
		session_credential(s);
	if (s->cred_cookie && session_cross_origin(s))
		return session_reply(s, PERR_ORIGIN, NULL);

	/* The runtime API needs a credential before the route matters. */
	port = s->hr.mode == HOST_MODE_PORT ? s->hr.port : 0;
	if (authz_needs_cred_early(port) && s->local != LOCAL_AUTH) {
		v = authz_decide(NULL, s->hr.sandbox, port, &s->cred);
		if (v != AUTHZ_ALLOW)
			return session_deny(s, v);
	}
	rr = routes_lookup(s->w->routes, s->hr.sandbox, session_route_cb, s,
	    &s->rreq, &s->route);
	switch (rr) {
	case ROUTES_FOUND:
		return session_routed(s);
	case ROUTES_NOTFOUND:
		return session_reply(s, PERR_SANDBOX_NOT_FOUND, NULL);
	case ROUTES_PENDING:
		return 0;
	default:
		return session_reply(s, PERR_ROUTE_STORE, NULL);
	}
}

int
session_start_upstream(struct session *s)
{
	struct bufferevent *ub;

	if (s->req->expect_continue && s->req->minor == 1 &&
	    (s->req->chunked || s->req->content_length > 0))
		evbuffer_add(bufferevent_get_output(s->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n", 25);

	s->up = pool_take(s->w->pool, &s->key);
	if (s->up != NULL) {
		s->w->stats.upstream_reuses++;
		ub = upconn_bev(s->up);
		bufferevent_setcb(ub, session_up_readcb, session_up_writecb,
		    session_up_eventcb, s);
		return session_send_head(s);
	}
	if ((s->up = upconn_connect(s->w, &s->key)) == NULL)
		return session_reply(s, PERR_UPSTREAM_UNREACHABLE, NULL);
	s->state = S_CONNECT;
	ub = upconn_bev(s->up);
	bufferevent_setcb(ub, session_up_readcb, session_up_writecb,
	    session_up_eventcb, s);
	bufferevent_enable(ub, EV_READ | EV_WRITE);
	return 0;
}

static int
session_routed(struct session *s)
{
	const struct route *r = s->route;
	const struct route_port *rp = NULL;
	enum authz_verdict v;
	uint16_t port;
	int	 r_, done;

	if (s->local == LOCAL_AUTH)
		return local_routed(s, &done);
	port = s->hr.mode == HOST_MODE_PORT ? s->hr.port : 0;
	v = authz_decide(r, s->hr.sandbox, port, &s->cred);
	if (v != AUTHZ_ALLOW)
		return session_deny(s, v);
	if (port != 0)
		rp = route_find_port(r, port);
	/* Our credential never reaches the sandbox. */
	if (port == 0 || (rp != NULL && rp->access == ROUTE_PROTECTED))
		s->auth_ours = 1;

	memset(&s->key, 0, sizeof(s->key));
	str_lcpy(s->key.sandbox, r->id, sizeof(s->key.sandbox));
	str_lcpy(s->key.ip, r->target, sizeof(s->key.ip));
	s->key.port = port != 0 ? port : r->runtime_port;
	s->key.generation = r->generation;
	s->key.tls = r->upstream_tls;
	str_lcpy(s->key.tls_name, r->tls_name, sizeof(s->key.tls_name));

	if (s->upgrade != NULL) {
		if (streams_acquire(s->w->streams, s->hr.sandbox,
		    s->conf->max_streams_per_sandbox) == -1)
			return session_reply(s, PERR_TOO_MANY_STREAMS, NULL);
		s->stream = 1;
	}
	r_ = local_routed(s, &done);
	if (done)
		return r_;
	return session_start_upstream(s);
}

/*
 * Decode chunked bytes from in until in runs dry, the message ends, or
 * `limit` data bytes are gathered; the data gathered goes to out as ONE
 * chunk (rechunk) or raw, so a peer sending tiny chunks costs us framing
 * work, not output work (A24, L11).  Counts framing and data bytes.
 * Returns 1 at the end of the message, 0 for more, -1 on a framing error.
 */
static int
session_dechunk(struct session *s, struct http1_chunked *ch,
    struct evbuffer *in, struct evbuffer *out, int rechunk, size_t limit,
    uint64_t *framing, uint64_t *data)
{
	struct evbuffer *acc = s->w->scratch;
	struct evbuffer_iovec v;
	enum http1_chunk_rc rc = HTTP1_CHUNK_MORE;
	size_t	 used, dlen, n;

	while (evbuffer_get_length(acc) < limit &&
	    evbuffer_peek(in, -1, NULL, &v, 1) >= 1) {
		rc = http1_chunked_step(ch, v.iov_base, v.iov_len, &used,
		    &dlen);
		if (rc == HTTP1_CHUNK_ERR || (rc == HTTP1_CHUNK_MORE &&
		    used == 0))
			goto fail;
		evbuffer_drain(in, used);
		*framing += used;
		if (rc == HTTP1_CHUNK_DATA) {
			evbuffer_remove_buffer(in, acc, dlen);
			*data += dlen;
		} else if (rc == HTTP1_CHUNK_DONE)
			break;
	}
	if ((n = evbuffer_get_length(acc)) > 0) {
		if (rechunk)
			evbuffer_add_printf(out, "%zx\r\n", n);
		evbuffer_add_buffer(out, acc);
		if (rechunk)
			evbuffer_add(out, "\r\n", 2);
	}
	if (rc == HTTP1_CHUNK_DONE) {
		if (rechunk)
			evbuffer_add(out, "0\r\n\r\n", 5);
		return 1;
	}
	return 0;
 fail:
	evbuffer_drain(acc, evbuffer_get_length(acc));
	return -1;
}

/* ---- forwarding the request ---- */

static int
session_send_head(struct session *s)
{
	struct bufferevent *ub = upconn_bev(s->up);
	struct hdr_req_ctx c;
	struct timeval rd, wr;
	const struct route *r = s->route;

	memset(&c, 0, sizeof(c));
	c.target = s->hr.target;
	c.target_len = s->hr.target_len;
	c.peer_ip = s->peer_ip;
	c.peer_trusted = s->peer_trusted;
	c.tls = s->tls;
	c.strip_auth = s->auth_ours;
	c.strip_cookie = 1;
	if (s->hr.mode != HOST_MODE_PORT && r->inject_name[0] != '\0') {
		c.inject_name = r->inject_name;
		c.inject_value = r->inject_value;
	}
	c.request_id = s->reqid;
	c.upgrade = s->upgrade;
	if (s->req->chunked) {
		c.body = 2;
		s->req_body = BODY_CHUNKED;
		http1_chunked_init(&s->req_ch);
	} else if (s->req->has_cl && s->req->content_length > 0) {
		c.body = 1;
		c.content_length = s->req->content_length;
		s->req_body = BODY_LENGTH;
		s->req_remain = s->req->content_length;
	} else {
		/* A bodiless POST/PUT still says so explicitly. */
		if (s->req->has_cl) {
			c.body = 1;
			c.content_length = 0;
		}
		s->req_body = BODY_NONE;
		s->req_done = 1;
	}
	headers_request(bufferevent_get_output(ub), s->req, &c);

	s->state = S_FORWARD;
	/* The first-byte deadline starts once the request is complete. */
	session_tv(&rd, s->conf->timeout_first_byte_ms);
	session_tv(&wr, s->conf->timeout_body_ms);
	bufferevent_set_timeouts(ub, s->req_done ? &rd : NULL, &wr);
	bufferevent_setwatermark(ub, EV_READ, 0, s->hw);
	(void)bufferevent_set_max_single_write(ub, (ev_ssize_t)s->hw);
	bufferevent_enable(ub, EV_READ);
	if (!s->req_done) {
		session_tv(&rd, s->conf->timeout_body_ms);
		bufferevent_set_timeouts(s->bev, &rd, NULL);
		bufferevent_enable(s->bev, EV_READ);
		return session_pump_request(s);
	}
	return 0;
}

/*
 * Move request body bytes from the client to the upstream, re-framing
 * chunked bodies, until the body ends, the input runs dry, or the
 * upstream's output passes the high watermark (then client reads stop
 * until the upstream drains: backpressure).
 */
static int
session_pump_request(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct bufferevent *ub = upconn_bev(s->up);
	struct evbuffer *out = bufferevent_get_output(ub);
	uint64_t before;
	size_t	 avail, n;
	int	 rc;

	while (!s->req_done) {
		if (evbuffer_get_length(out) >= s->hw) {
			bufferevent_disable(s->bev, EV_READ);
			bufferevent_setwatermark(ub, EV_WRITE, s->hw / 2, 0);
			s->wait_up = 1;
			return 0;
		}
		if ((avail = evbuffer_get_length(in)) == 0)
			break;
		if (s->req_body == BODY_LENGTH) {
			n = (size_t)DB_MIN((uint64_t)avail, s->req_remain);
			evbuffer_remove_buffer(in, out, n);
			s->req_remain -= n;
			s->bytes_in += n;
			if (s->req_remain == 0)
				s->req_done = 1;
			continue;
		}
		/* Chunked: decode and forward, one chunk per pass. */
		before = s->req_framing + s->req_total;
		rc = session_dechunk(s, &s->req_ch, in, out, 1, s->hw,
		    &s->req_framing, &s->req_total);
		s->bytes_in += s->req_framing + s->req_total - before;
		if (rc == -1)
			return session_reply(s, PERR_BAD_REQUEST, "bad_chunk");
		if (s->req_framing > 2 * s->req_total + SESSION_CHUNK_SLACK)
			return session_reply(s, PERR_BAD_REQUEST,
			    "chunk_overhead");
		if (s->body_limit > 0 && s->req_total > s->body_limit)
			return session_reply(s, PERR_BODY_TOO_LARGE, NULL);
		if (rc == 1)
			s->req_done = 1;
		else if (evbuffer_get_length(in) == 0)
			break;
	}
	if (s->req_done) {
		struct timeval rd, wr;

		/* Keep reading only to notice the client going away. */
		bufferevent_set_timeouts(s->bev, NULL, NULL);
		if (!s->resp_started) {
			session_tv(&rd, s->conf->timeout_first_byte_ms);
			session_tv(&wr, s->conf->timeout_body_ms);
			bufferevent_set_timeouts(ub, &rd, &wr);
		}
	}
	return 0;
}

/* ---- the response ---- */

static int
session_upstream_failed(struct session *s, enum proxy_err e)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);

	if (s->resp_started && s->resp_mark == 0 &&
	    evbuffer_get_length(out) == s->resp_queued) {
		/* Nothing of the response reached the client: take it back
		 * and answer 502 instead of a truncated transfer. */
		/* A socket bufferevent freezes the start of its output
		 * (only its writer drains it): thaw it for this drain. */
		evbuffer_unfreeze(out, 1);
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_freeze(out, 1);
		s->resp_started = 0;
		s->reason[0] = '\0';
		s->bytes_out = 0;
	}
	if (s->resp_started) {
		session_set_reason(s, "upstream", "aborted");
		session_log(s);
		free(s->req);
		s->req = NULL;
		session_close(s);
		return -1;
	}
	return session_reply(s, e, NULL);
}

static int
session_is_event_stream(const struct http1_response *resp)
{
	int	 i = http1_find(resp->headers, resp->nheaders, "content-type",
	    12);

	return resp->status == 200 && i >= 0 &&
	    resp->headers[i].valuelen >= 17 &&
	    str_span_eqi(resp->headers[i].value, 17, "text/event-stream");
}

static int
session_read_response(struct session *s)
{
	struct bufferevent *ub = upconn_bev(s->up);
	struct evbuffer *in = bufferevent_get_input(ub);
	struct evbuffer *out = bufferevent_get_output(s->bev);
	struct http1_response *resp;
	struct http1_limits lim;
	struct hdr_resp_ctx c;
	struct timeval tv;
	enum http1_rc rc;
	size_t	 len, n, before;
	unsigned char *p;

 again:
	len = evbuffer_get_length(in);
	if (len == 0)
		return 0;
	lim.max_head = CONF_MAX_HEADER_BYTES;
	lim.max_headers = CONF_MAX_HEADERS;
	lim.max_line = CONF_MAX_REQUEST_LINE;
	n = DB_MIN(len, lim.max_head + 1);
	if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return session_upstream_failed(s, PERR_INTERNAL);
	/* The parse lives only within this call: use the worker's. */
	resp = s->w->resp;
	rc = http1_parse_response((const char *)p, n, &lim, resp);
	if (rc == HTTP1_INCOMPLETE) {
		return 0;
	}
	if (rc == HTTP1_ERR) {
		return session_upstream_failed(s, PERR_UPSTREAM_BAD_RESPONSE);
	}
	s->resp_bytes += resp->headlen;
	if (resp->status < 200 && resp->status != 101) {
		/* Interim responses are ours to absorb (we sent any 100). */
		evbuffer_drain(in, resp->headlen);
		if (++s->resp_n1xx > SESSION_MAX_1XX)
			return session_upstream_failed(s,
			    PERR_UPSTREAM_BAD_RESPONSE);
		goto again;
	}
	if (resp->status == 101 && (s->upgrade == NULL ||
	    (s->req->upgrade_websocket && !session_ws_response(s, resp)))) {
		return session_upstream_failed(s, PERR_UPSTREAM_BAD_RESPONSE);
	}

	if (resp->status != 101 && s->stream) {
		/* Upgrade refused: an ordinary response after all. */
		streams_release(s->w->streams, s->hr.sandbox);
		s->stream = 0;
	}
	if (session_is_event_stream(resp) && !s->stream) {
		if (streams_acquire(s->w->streams, s->hr.sandbox,
		    s->conf->max_streams_per_sandbox) == -1) {
				s->up_keepalive = 0;
			return session_reply(s, PERR_TOO_MANY_STREAMS, NULL);
		}
		s->stream = 1;
	}
	memset(&c, 0, sizeof(c));
	c.client_minor = s->req->minor;
	s->up_keepalive = resp->keepalive;
	if (resp->status == 101) {
		c.framing = RESP_CLOSE;
		c.upgrade = s->upgrade;
		s->resp_in = BODY_NONE;
	} else if (s->head_method || resp->status == 204 ||
	    resp->status == 304) {
		c.framing = RESP_NOBODY;
		s->resp_in = BODY_NONE;
	} else if (resp->chunked) {
		s->resp_in = BODY_CHUNKED;
		http1_chunked_init(&s->resp_ch);
		if (s->req->minor >= 1) {
			c.framing = RESP_CHUNKED;
			s->resp_out_chunked = 1;
		} else {
			c.framing = RESP_CLOSE;
			s->resp_close = 1;
		}
	} else if (resp->has_cl) {
		c.framing = RESP_LENGTH;
		c.content_length = resp->content_length;
		s->resp_in = BODY_LENGTH;
		s->resp_remain = resp->content_length;
	} else {
		c.framing = RESP_CLOSE;
		s->resp_in = BODY_CLOSE;
		s->resp_close = 1;
		s->up_keepalive = 0;
	}
	if (!s->req->keepalive || !s->req_done)
		s->resp_close = 1;
	c.close = s->resp_close;
	before = evbuffer_get_length(out);
	s->resp_mark = before;
	headers_response(out, resp, &c);
	s->w->stats.dropped_cookies += c.dropped_cookies;
	if (c.dropped_cookies > 0)
		log_info("dropped %llu Set-Cookie line(s) from sandbox %s",
		    (unsigned long long)c.dropped_cookies, s->hr.sandbox);
	s->bytes_out += evbuffer_get_length(out) - before;
	/* Until bytes of this response leave, a failure can still become a
	 * clean 502 (session_upstream_failed). */
	s->resp_queued = evbuffer_get_length(out) - before;
	s->status = resp->status;
	s->resp_started = 1;
	session_set_reason(s, NULL, "ok");
	evbuffer_drain(in, resp->headlen);

	if (s->status == 101)
		return session_tunnel_start(s);
	/* Body phase: inactivity, not a total deadline (SSE, downloads). */
	session_tv(&tv, s->stream ? s->conf->timeout_stream_idle_ms :
	    s->conf->timeout_upstream_idle_ms);
	bufferevent_set_timeouts(ub, &tv, NULL);
	if (!s->stream)
		session_tv(&tv, s->conf->timeout_body_ms);
	bufferevent_set_timeouts(s->bev, s->req_done ? NULL : &tv, &tv);
	if (s->resp_in == BODY_NONE ||
	    (s->resp_in == BODY_LENGTH && s->resp_remain == 0))
		return session_response_done(s);
	return session_pump_response(s);
}

static int
session_pump_response(struct session *s)
{
	struct bufferevent *ub = upconn_bev(s->up);
	struct evbuffer *in = bufferevent_get_input(ub);
	struct evbuffer *out = bufferevent_get_output(s->bev);
	uint64_t before;
	size_t	 avail, n;
	int	 rc;

	for (;;) {
		if (evbuffer_get_length(out) >= s->hw) {
			bufferevent_disable(ub, EV_READ);
			bufferevent_setwatermark(s->bev, EV_WRITE, s->hw / 2,
			    0);
			s->wait_client = 1;
			return 0;
		}
		if ((avail = evbuffer_get_length(in)) == 0)
			return 0;
		switch (s->resp_in) {
		case BODY_LENGTH:
			n = (size_t)DB_MIN((uint64_t)avail, s->resp_remain);
			evbuffer_remove_buffer(in, out, n);
			s->resp_remain -= n;
			s->bytes_out += n;
			s->resp_queued += n;
			if (s->resp_remain == 0)
				return session_response_done(s);
			break;
		case BODY_CLOSE:
			s->bytes_out += avail;
			s->resp_queued += avail;
			evbuffer_add_buffer(out, in);
			break;
		case BODY_CHUNKED:
			before = s->resp_data;
			n = evbuffer_get_length(out);
			rc = session_dechunk(s, &s->resp_ch, in, out,
			    s->resp_out_chunked, s->hw, &s->resp_framing,
			    &s->resp_data);
			s->bytes_out += s->resp_data - before;
			s->resp_queued += evbuffer_get_length(out) - n;
			if (rc == -1)
				return session_upstream_failed(s,
				    PERR_UPSTREAM_BAD_RESPONSE);
			if (rc == 1)
				return session_response_done(s);
			if (evbuffer_get_length(in) == 0)
				return 0;
			break;
		default:
			/* Bytes after a bodiless response: not reusable. */
			s->up_keepalive = 0;
			return 0;
		}
	}
}

/* The response has been queued completely for the client. */
static int
session_response_done(struct session *s)
{
	struct bufferevent *ub;
	int	 keep;

	if (!s->req_done) {
		/* Answered before the body ended: the rest of the body
		 * cannot be told from a next request; close after. */
		s->resp_close = 1;
		s->up_keepalive = 0;
	}
	if (s->up != NULL) {
		ub = upconn_bev(s->up);
		if (s->up_keepalive && s->resp_in != BODY_CLOSE &&
		    evbuffer_get_length(bufferevent_get_input(ub)) == 0 &&
		    evbuffer_get_length(bufferevent_get_output(ub)) == 0 &&
		    s->conf->upstream_keepalive > 0)
			pool_put(s->w->pool, s->up);
		else
			upconn_free(s->up);
		s->up = NULL;
	}
	keep = !s->resp_close;
	return session_finish(s, keep);
}

/* ---- WebSocket tunnel ---- */

static int
session_tunnel_start(struct session *s)
{
	struct bufferevent *ub = upconn_bev(s->up);

	s->state = S_TUNNEL;
	s->eof_client = s->eof_up = 0;
	bufferevent_set_timeouts(ub, NULL, NULL);
	bufferevent_set_timeouts(s->bev, NULL, NULL);
	bufferevent_setwatermark(s->bev, EV_READ, 0, s->hw);
	bufferevent_setwatermark(ub, EV_READ, 0, s->hw);
	bufferevent_enable(s->bev, s->tls ? EV_READ | EV_WRITE : EV_READ);
	bufferevent_enable(ub, EV_READ);
	session_timer_set(s, s->conf->timeout_stream_idle_ms);
	if (session_tunnel_relay(s, 0) == -1)
		return -1;
	return session_tunnel_relay(s, 1);
}

/* Half-close: FIN on TCP, close_notify on TLS. */
static void
session_shutdown_wr(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);

	if (ssl != NULL)
		(void)SSL_shutdown(ssl);
	else if (fd >= 0)
		(void)shutdown(fd, SHUT_WR);
}

/*
 * Relay one direction of the tunnel (from_up: upstream -> client).
 * Backpressure as in the body pumps; EOF on one side is passed on as a
 * half-close once the other side's output has drained.
 */
static int
session_tunnel_relay(struct session *s, int from_up)
{
	struct bufferevent *ub = upconn_bev(s->up);
	struct bufferevent *src = from_up ? ub : s->bev;
	struct bufferevent *dst = from_up ? s->bev : ub;
	struct evbuffer *in = bufferevent_get_input(src);
	struct evbuffer *out = bufferevent_get_output(dst);
	size_t	 n = evbuffer_get_length(in);

	if (n > 0) {
		if (from_up)
			s->bytes_out += n;
		else
			s->bytes_in += n;
		evbuffer_add_buffer(out, in);
		session_timer_set(s, s->conf->timeout_stream_idle_ms);
	}
	if (evbuffer_get_length(out) >= s->hw) {
		bufferevent_disable(src, EV_READ);
		bufferevent_setwatermark(dst, EV_WRITE, s->hw / 2, 0);
		if (from_up)
			s->wait_client = 1;
		else
			s->wait_up = 1;
	}
	return 0;
}

static int
session_tunnel_eof(struct session *s, int from_up)
{
	struct bufferevent *ub = upconn_bev(s->up);
	struct bufferevent *dst = from_up ? s->bev : ub;

	(void)session_tunnel_relay(s, from_up);
	if (from_up)
		s->eof_up = 1;
	else
		s->eof_client = 1;
	if (s->eof_up && s->eof_client) {
		/* Last bytes out (best effort), then both sides are done. */
		(void)session_flush_bev(s->bev, s->tls);
		(void)session_flush_bev(ub, upconn_tls(s->up));
		s->status = 101;
		session_set_reason(s, NULL, "ok");
		session_log(s);
		free(s->req);
		s->req = NULL;
		session_close(s);
		return -1;
	}
	if (evbuffer_get_length(bufferevent_get_output(dst)) == 0)
		session_shutdown_wr(dst);
	else {
		bufferevent_setwatermark(dst, EV_WRITE, 0, 0);
		if (from_up)
			s->wait_client = 1;
		else
			s->wait_up = 1;
	}
	return 0;
}

/* ---- route changes ---- */

void
session_route_changed(struct worker *w, const char *id)
{
	struct session *s, *next;

	for (s = TAILQ_FIRST(&w->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (!s->stream || strcmp(s->hr.sandbox, id) != 0)
			continue;
		session_set_reason(s, "route", "changed");
		if (s->status == 0)
			s->status = 499;
		session_log(s);
		free(s->req);
		s->req = NULL;
		session_close(s);
	}
}

/*
 * libevent 2.1 reads at most 4 KiB per readiness event (EVBUFFER_MAX_READ),
 * which makes bulk transfers cost one loop iteration per 4 KiB.  When a
 * plain TCP bufferevent has just delivered data, read on from the socket
 * ourselves, up to the high watermark, into the same input buffer.  EOF and
 * errors are left for libevent to find on its next read.
 */
static void
session_fill(struct session *s, struct bufferevent *bev, int tls)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	evutil_socket_t fd;
	size_t	 len = evbuffer_get_length(in);
	ssize_t	 n;
	int	 nv, i;

	if (tls || len < 4096 || len >= s->hw ||
	    (fd = bufferevent_getfd(bev)) < 0)
		return;
	/* A socket bufferevent freezes the end of its input (only its own
	 * reader adds to it): thaw it for this read. */
	evbuffer_unfreeze(in, 0);
	if ((nv = evbuffer_reserve_space(in, (ev_ssize_t)(s->hw - len), v,
	    2)) <= 0) {
		evbuffer_freeze(in, 0);
		return;
	}
	for (i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	do
		n = readv(fd, iov, nv);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		(void)evbuffer_commit_space(in, v, 0);
		evbuffer_freeze(in, 0);
		return;
	}
	for (i = 0; i < nv; i++) {
		v[i].iov_len = DB_MIN(v[i].iov_len, (size_t)n);
		n -= (ssize_t)v[i].iov_len;
	}
	(void)evbuffer_commit_space(in, v, nv > 1 && v[1].iov_len > 0 ? 2 :
	    1);
	evbuffer_freeze(in, 0);
}

/* ---- callbacks ---- */

static void
session_readcb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	session_mark(s);
	switch (s->state) {
	case S_READ_HEAD:
		(void)session_read_head(s);
		break;
	case S_FORWARD:
		if (!s->req_done) {
			session_fill(s, s->bev, s->tls);
			(void)session_pump_request(s);
		}
		break;
	case S_TUNNEL:
		session_fill(s, s->bev, s->tls);
		(void)session_tunnel_relay(s, 0);
		break;
	case S_LOCAL_BODY:
		(void)local_read_body(s);
		break;
	default:
		break;
	}
}

/*
 * The client's output drained (to the low watermark, or empty after a
 * direct write) while a drain was awaited.  Returns -1 if it closed s.
 */
static int
session_client_drained(struct session *s)
{
	struct bufferevent *bev = s->bev;

	s->wait_client = 0;
	switch (s->state) {
	case S_FORWARD:
		if (s->up != NULL && s->resp_started) {
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			bufferevent_enable(upconn_bev(s->up), EV_READ);
			return session_pump_response(s);
		}
		break;
	case S_TUNNEL:
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (s->eof_up) {
			if (evbuffer_get_length(bufferevent_get_output(bev))
			    == 0)
				session_shutdown_wr(bev);
			else
				s->wait_client = 1;
		} else
			bufferevent_enable(upconn_bev(s->up), EV_READ);
		break;
	default:
		break;
	}
	return 0;
}

/* The same for the upstream's output. */
static int
session_up_drained(struct session *s)
{
	struct bufferevent *bev = upconn_bev(s->up);

	s->wait_up = 0;
	if (s->state == S_TUNNEL) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (s->eof_client) {
			if (evbuffer_get_length(bufferevent_get_output(bev))
			    == 0)
				session_shutdown_wr(bev);
			else
				s->wait_up = 1;
		} else
			bufferevent_enable(s->bev, EV_READ);
		return 0;
	}
	if (s->state == S_FORWARD && !s->req_done) {
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		bufferevent_enable(s->bev, EV_READ);
		return session_pump_request(s);
	}
	return 0;
}

/* libevent wrote the client's output down to its low watermark. */
static void
session_writecb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	session_mark(s);
	if (s->state == S_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			session_close(s);
		return;
	}
	if (s->wait_client)
		(void)session_client_drained(s);
}

void
session_mark(struct session *s)
{
	struct worker *w = s->w;

	if (s->dirty)
		return;
	s->dirty = 1;
	TAILQ_INSERT_TAIL(&w->dirty, s, dirty_entry);
	if (TAILQ_FIRST(&w->dirty) == s)
		event_active(w->flush_ev, 0, 0);
}

/*
 * Write what is queued on a plain TCP bufferevent now, instead of asking
 * epoll whether it may (libevent would add and then drop write interest
 * for every response: two epoll_ctl calls each way per request).  Leaves
 * EV_WRITE on only while bytes remain, so libevent finishes the rest with
 * its write timeout.  TLS output is always left to libevent.  Returns 1
 * if the output is empty.
 */
static int
session_flush_bev(struct bufferevent *bev, int tls)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd;

	if (tls)
		return evbuffer_get_length(out) == 0;
	if (evbuffer_get_length(out) > 0 &&
	    (fd = bufferevent_getfd(bev)) >= 0) {
		/* Its writer's drain end is frozen: thaw for our write. */
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, fd);
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) > 0) {
		if (!(bufferevent_get_enabled(bev) & EV_WRITE))
			bufferevent_enable(bev, EV_WRITE);
		return 0;
	}
	if (bufferevent_get_enabled(bev) & EV_WRITE)
		bufferevent_disable(bev, EV_WRITE);
	return 1;
}

/*
 * Flush both sides of s and run awaited drain handlers, until neither
 * side drains with a handler waiting.  Terminates: a handler only moves
 * what is already buffered (reads stay with the event loop).  On return
 * each side is either empty or has EV_WRITE on, so libevent's write
 * callback takes over.  May close s.
 */
static void
session_flush(struct session *s)
{
	for (;;) {
		if (session_flush_bev(s->bev, s->tls) && s->wait_client) {
			if (session_client_drained(s) == -1)
				return;
			continue;
		}
		if (s->up != NULL && s->state != S_CONNECT &&
		    session_flush_bev(upconn_bev(s->up), upconn_tls(s->up)) &&
		    s->wait_up) {
			if (session_up_drained(s) == -1)
				return;
			continue;
		}
		break;
	}
	if (s->state == S_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_close(s);
}

void
session_flush_marked(struct worker *w)
{
	struct session *s;

	while ((s = TAILQ_FIRST(&w->dirty)) != NULL) {
		TAILQ_REMOVE(&w->dirty, s, dirty_entry);
		s->dirty = 0;
		session_flush(s);
	}
}

static void
session_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	session_mark(s);
	if (what & BEV_EVENT_CONNECTED) {
		/* TLS handshake done: now the head deadline runs. */
		s->handshaking = 0;
		session_timer_set(s, s->conf->timeout_header_ms);
		return;
	}
	if (s->state == S_TUNNEL && (what & BEV_EVENT_EOF)) {
		bufferevent_disable(s->bev, EV_READ);
		(void)session_tunnel_eof(s, 0);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !s->stream && s->req != NULL &&
	    ((s->state == S_FORWARD && s->req_done) ||
	    ((s->state == S_ROUTE || s->state == S_CONNECT) &&
	    !s->req->chunked && (!s->req->has_cl ||
	    s->req->content_length == 0)))) {
		/* Half-closed after a complete request: still answer (an
		 * event stream instead ends now, so the sandbox learns at
		 * once that its reader left). */
		s->client_eof = 1;
		bufferevent_disable(s->bev, EV_READ);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		session_set_reason(s, "client", "timeout");
	else if (s->reason[0] == '\0' || s->resp_started)
		session_set_reason(s, "client", (what & BEV_EVENT_EOF) ?
		    "closed" : "error");
	if (s->req != NULL && s->status == 0)
		s->status = 499;
	if (s->req != NULL)
		session_log(s);
	free(s->req);
	s->req = NULL;
	session_close(s);
}

static void
session_timercb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	session_mark(s);
	if (s->state == S_READ_HEAD) {
		if (evbuffer_get_length(bufferevent_get_input(s->bev)) == 0) {
			session_close(s);	/* idle keep-alive ends */
			return;
		}
		{
			struct errors_opts eo;

			memset(&eo, 0, sizeof(eo));
			eo.close = 1;
			errors_write(bufferevent_get_output(s->bev),
			    PERR_HEADER_TIMEOUT, &eo);
		}
		(void)session_close_after_flush(s);
		return;
	}
	if (s->state == S_TUNNEL) {
		session_set_reason(s, "client", "idle");
		s->status = 101;
		session_log(s);
		free(s->req);
		s->req = NULL;
		session_close(s);
	}
}

static void
session_up_readcb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	session_mark(s);
	session_fill(s, bev, upconn_tls(s->up));
	if (s->state == S_TUNNEL) {
		(void)session_tunnel_relay(s, 1);
		return;
	}
	if (!s->resp_started)
		(void)session_read_response(s);
	else
		(void)session_pump_response(s);
}

/* libevent wrote the upstream's output down to its low watermark. */
static void
session_up_writecb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	session_mark(s);
	if (s->wait_up)
		(void)session_up_drained(s);
}

/* Retry once on a fresh connection when a reused one died silently. */
static int
session_retry(struct session *s)
{
	if (s->retried || !upconn_reused(s->up) || s->resp_bytes > 0 ||
	    s->req_body != BODY_NONE)
		return 0;
	s->retried = 1;
	upconn_free(s->up);
	s->up = NULL;
	if ((s->up = upconn_connect(s->w, &s->key)) == NULL)
		return session_reply(s, PERR_UPSTREAM_UNREACHABLE, NULL) == -1
		    ? -1 : 1;
	s->state = S_CONNECT;
	bufferevent_setcb(upconn_bev(s->up), session_up_readcb,
	    session_up_writecb, session_up_eventcb, s);
	bufferevent_enable(upconn_bev(s->up), EV_READ | EV_WRITE);
	return 1;
}

static void
session_up_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	int	 one = 1;

	session_mark(s);
	if (what & BEV_EVENT_CONNECTED) {
		evutil_socket_t fd = bufferevent_getfd(bev);

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		(void)session_send_head(s);
		return;
	}
	if (s->state == S_CONNECT) {
		if (what & BEV_EVENT_TIMEOUT)
			(void)session_reply(s, PERR_UPSTREAM_TIMEOUT,
			    "upstream_connect_timeout");
		else
			(void)session_reply(s, PERR_UPSTREAM_UNREACHABLE, NULL);
		return;
	}
	if (s->state == S_TUNNEL) {
		if (what & BEV_EVENT_EOF) {
			bufferevent_disable(bev, EV_READ);
			(void)session_tunnel_eof(s, 1);
			return;
		}
		session_set_reason(s, "upstream", "error");
		s->status = 101;
		session_log(s);
		free(s->req);
		s->req = NULL;
		session_close(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		(void)session_upstream_failed(s, PERR_UPSTREAM_TIMEOUT);
		return;
	}
	if ((what & BEV_EVENT_EOF) && s->resp_started &&
	    s->resp_in == BODY_CLOSE) {
		/* Close-delimited body: EOF is its end.  What is left is
		 * bounded by the read watermark. */
		struct evbuffer *in = bufferevent_get_input(bev);

		s->bytes_out += evbuffer_get_length(in);
		evbuffer_add_buffer(bufferevent_get_output(s->bev), in);
		s->up_keepalive = 0;
		(void)session_response_done(s);
		return;
	}
	if (!s->resp_started) {
		int	 r = session_retry(s);

		if (r != 0)
			return;
	}
	(void)session_upstream_failed(s, PERR_UPSTREAM_BAD_RESPONSE);
}
