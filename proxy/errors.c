/*
 * errors.c -- every error Drawbridge answers itself, in one table: status,
 * stable code, human message.  docs/ERRORS.md is this table in prose.
 */
#include <event2/buffer.h>

#include <stdio.h>
#include <string.h>

#include "proxy/proxy.h"

static const struct proxy_errinfo errors_table[PERR_COUNT] = {
	[PERR_BAD_REQUEST] =	{ 400, "bad_request",
	    "malformed or ambiguous HTTP request" },
	[PERR_BAD_HOST] =	{ 400, "bad_host",
	    "malformed Host or request target" },
	[PERR_UNKNOWN_HOST] =	{ 404, "unknown_host",
	    "no sandbox is served at this host or path" },
	[PERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed",
	    "method not allowed through this proxy" },
	[PERR_HEADER_TIMEOUT] =	{ 408, "header_timeout",
	    "request head not received in time" },
	[PERR_BODY_TOO_LARGE] =	{ 413, "body_too_large",
	    "request body exceeds the configured limit" },
	[PERR_URI_TOO_LONG] =	{ 414, "uri_too_long",
	    "request line too long" },
	[PERR_HEADERS_TOO_LARGE] = { 431, "headers_too_large",
	    "request header section too large" },
	[PERR_EXPECTATION_FAILED] = { 417, "expectation_failed",
	    "unsupported Expect value" },
	[PERR_UNSUPPORTED_TE] =	{ 501, "unsupported_transfer_coding",
	    "only the chunked transfer coding is supported" },
	[PERR_HTTP_VERSION] =	{ 505, "http_version",
	    "only HTTP/1.0 and HTTP/1.1 are supported" },
	[PERR_UPGRADE_NOT_ALLOWED] = { 400, "upgrade_not_allowed",
	    "only websocket upgrades are allowed" },
	[PERR_TOKEN] =		{ 401, "token_invalid",
	    "the bearer token is not valid" },
	[PERR_TOKEN_MISSING] =	{ 401, "token_missing",
	    "a bearer token is required" },
	[PERR_TOKEN_WRONG_SANDBOX] = { 401, "token_wrong_sandbox",
	    "the bearer token is for another sandbox" },
	[PERR_TOKEN_REVOKED] =	{ 401, "token_revoked",
	    "the bearer token has been revoked" },
	[PERR_PORT_SCOPE] =	{ 403, "port_scope",
	    "the bearer token does not cover this port" },
	[PERR_PORT_NOT_EXPOSED] = { 403, "port_not_exposed",
	    "this port of the sandbox is not exposed" },
	[PERR_RUNTIME_PORT] =	{ 403, "runtime_port_not_exposable",
	    "the runtime port is reached at the sandbox host, not as a port" },
	[PERR_SANDBOX_NOT_FOUND] = { 404, "sandbox_not_found",
	    "no such sandbox" },
	[PERR_SANDBOX_NOT_RUNNING] = { 409, "sandbox_not_running",
	    "the sandbox is not running" },
	[PERR_SANDBOX_CLOSED] =	{ 410, "sandbox_closed",
	    "the sandbox has been closed" },
	[PERR_UPSTREAM_UNREACHABLE] = { 502, "upstream_unreachable",
	    "the sandbox did not accept the connection" },
	[PERR_UPSTREAM_BAD_RESPONSE] = { 502, "upstream_bad_response",
	    "the sandbox sent an invalid or incomplete response" },
	[PERR_ROUTE_STORE] =	{ 503, "route_store_unavailable",
	    "the route store is unavailable; retry shortly" },
	[PERR_UPSTREAM_TIMEOUT] = { 504, "upstream_timeout",
	    "the sandbox did not answer in time" },
	[PERR_TOO_MANY_STREAMS] = { 429, "too_many_streams",
	    "too many concurrent streams for this sandbox" },
	[PERR_PRESIGN_INVALID] = { 401, "presign_invalid",
	    "the presigned URL is not valid" },
	[PERR_PRESIGN_FORBIDDEN] = { 403, "presign_forbidden",
	    "the presigned URL does not allow this request" },
	[PERR_BAD_PRESIGN] =	{ 400, "bad_presign_request",
	    "invalid presign request" },
	[PERR_LENGTH_REQUIRED] = { 411, "length_required",
	    "a Content-Length is required" },
	[PERR_NOT_CONFIGURED] =	{ 501, "not_configured",
	    "this feature is not configured on this proxy" },
	[PERR_ORIGIN] =		{ 403, "origin_mismatch",
	    "cross-origin request with a session cookie refused" },
	[PERR_INTERNAL] =	{ 500, "internal_error",
	    "internal error" },
};

const struct proxy_errinfo *
errors_info(enum proxy_err e)
{
	if ((unsigned)e >= PERR_COUNT)
		e = PERR_INTERNAL;
	return &errors_table[e];
}

enum proxy_err
errors_from_status(int status)
{
	switch (status) {
	case 405:
		return PERR_METHOD_NOT_ALLOWED;
	case 411:
		return PERR_LENGTH_REQUIRED;
	case 413:
		return PERR_BODY_TOO_LARGE;
	case 414:
		return PERR_URI_TOO_LONG;
	case 417:
		return PERR_EXPECTATION_FAILED;
	case 431:
		return PERR_HEADERS_TOO_LARGE;
	case 501:
		return PERR_UNSUPPORTED_TE;
	case 505:
		return PERR_HTTP_VERSION;
	default:
		return PERR_BAD_REQUEST;
	}
}

const char *
errors_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 204: return "No Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* JSON string content: our messages are plain, but be safe. */
static void
errors_json_str(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			evbuffer_add_printf(b, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			evbuffer_add_printf(b, "\\u%04x", c);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
errors_html_str(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		default: evbuffer_add(b, s, 1); break;
		}
	}
}

void
errors_write(struct evbuffer *out, enum proxy_err e,
    const struct errors_opts *o)
{
	const struct proxy_errinfo *ei = errors_info(e);
	const char *code = o->code ? o->code : ei->code;
	const char *msg = o->message ? o->message : ei->message;
	struct evbuffer *body = evbuffer_new();
	size_t	 n;

	if (body == NULL)
		return;
	if (o->html) {
		evbuffer_add_printf(body, "<!doctype html><meta charset=utf-8>"
		    "<title>%d %s</title><h1>%s</h1><p>", ei->status,
		    errors_reason(ei->status), errors_reason(ei->status));
		errors_html_str(body, msg);
		evbuffer_add_printf(body, ".</p>");
		if (ei->status == 401)
			evbuffer_add_printf(body, "<p>Open this sandbox again "
			    "from its dashboard to get a fresh sign-in link."
			    "</p>");
		evbuffer_add_printf(body, "<p><small>%s</small></p>\n", code);
	} else {
		evbuffer_add(body, "{\"error\":\"", 10);
		errors_json_str(body, msg);
		evbuffer_add(body, "\",\"code\":\"", 10);
		errors_json_str(body, code);
		evbuffer_add(body, "\"}\n", 3);
	}
	n = evbuffer_get_length(body);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n", ei->status,
	    errors_reason(ei->status), o->html ? "text/html; charset=utf-8" :
	    "application/json", n);
	if (o->request_id != NULL && o->request_id[0] != '\0')
		evbuffer_add_printf(out, "X-Request-Id: %s\r\n",
		    o->request_id);
	if (ei->status == 401) {
		if (o->token_presented)
			evbuffer_add_printf(out, "WWW-Authenticate: Bearer "
			    "realm=\"drawbridge\", error=\"invalid_token\"\r\n");
		else
			evbuffer_add_printf(out, "WWW-Authenticate: Bearer "
			    "realm=\"drawbridge\"\r\n");
	}
	if (ei->status == 503)
		evbuffer_add_printf(out, "Retry-After: 1\r\n");
	if (o->close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	evbuffer_add(out, "\r\n", 2);
	evbuffer_add_buffer(out, body);
	evbuffer_free(body);
}
