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

void
errors_write(struct evbuffer *out, enum proxy_err e, const char *code,
    const char *request_id, int close, int token_presented)
{
	const struct proxy_errinfo *ei = errors_info(e);
	char	 body[512];
	int	 n;

	if (code == NULL)
		code = ei->code;
	n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"code\":\"%s\"}\n",
	    ei->message, code);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = 0;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %d\r\n"
	    "Cache-Control: no-store\r\n", ei->status,
	    errors_reason(ei->status), n);
	if (request_id != NULL && request_id[0] != '\0')
		evbuffer_add_printf(out, "X-Request-Id: %s\r\n", request_id);
	if (ei->status == 401) {
		if (token_presented)
			evbuffer_add_printf(out, "WWW-Authenticate: Bearer "
			    "realm=\"drawbridge\", error=\"invalid_token\"\r\n");
		else
			evbuffer_add_printf(out, "WWW-Authenticate: Bearer "
			    "realm=\"drawbridge\"\r\n");
	}
	if (ei->status == 503)
		evbuffer_add_printf(out, "Retry-After: 1\r\n");
	if (close)
		evbuffer_add_printf(out, "Connection: close\r\n");
	evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, body, (size_t)n);
}
