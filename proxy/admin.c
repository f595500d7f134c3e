/*
 * admin.c -- the admin listener: GET /healthz and GET /metrics.  This is
 * where evhttp serves: small bodiless requests on a trusted address, on the
 * main thread's loop.  Counters are read from the workers without locks;
 * each is a monotonically written 64-bit word, good enough for metrics.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "common/common.h"
#include "proxy/proxy.h"

struct admin {
	struct evhttp	*http;
	struct worker	*workers;
	size_t		 nworkers;
};

static uint64_t
admin_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void
admin_healthz(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_printf(b, "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
admin_metrics(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	struct worker_stats t;
	struct routes_stats rs, rt;
	struct evbuffer *b = evbuffer_new();
	size_t	 i, j;

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	memset(&t, 0, sizeof(t));
	memset(&rt, 0, sizeof(rt));
	for (i = 0; i < a->nworkers; i++) {
		const struct worker_stats *s = &a->workers[i].stats;

		t.accepted += admin_load(&s->accepted);
		t.active += admin_load(&s->active);
		t.requests += admin_load(&s->requests);
		for (j = 0; j < 6; j++)
			t.responses[j] += admin_load(&s->responses[j]);
		t.upstream_connects += admin_load(&s->upstream_connects);
		t.upstream_reuses += admin_load(&s->upstream_reuses);
		t.dropped_cookies += admin_load(&s->dropped_cookies);
		if (a->workers[i].routes != NULL) {
			routes_stats(a->workers[i].routes, &rs);
			rt.hits += rs.hits;
			rt.misses += rs.misses;
			rt.negative_hits += rs.negative_hits;
			rt.stale_hits += rs.stale_hits;
			rt.store_gets += rs.store_gets;
			rt.invalidations += rs.invalidations;
			rt.flushes += rs.flushes;
		}
	}
	evbuffer_add_printf(b,
	    "drawbridge_connections_accepted_total %llu\n"
	    "drawbridge_connections_active %llu\n"
	    "drawbridge_requests_total %llu\n",
	    (unsigned long long)t.accepted, (unsigned long long)t.active,
	    (unsigned long long)t.requests);
	for (j = 1; j < 6; j++)
		evbuffer_add_printf(b,
		    "drawbridge_responses_total{class=\"%zuxx\"} %llu\n", j,
		    (unsigned long long)t.responses[j]);
	evbuffer_add_printf(b,
	    "drawbridge_upstream_connects_total %llu\n"
	    "drawbridge_upstream_reuses_total %llu\n"
	    "drawbridge_set_cookie_dropped_total %llu\n"
	    "drawbridge_route_cache_hits_total %llu\n"
	    "drawbridge_route_cache_misses_total %llu\n"
	    "drawbridge_route_cache_negative_hits_total %llu\n"
	    "drawbridge_route_cache_stale_hits_total %llu\n"
	    "drawbridge_route_store_gets_total %llu\n"
	    "drawbridge_route_invalidations_total %llu\n"
	    "drawbridge_route_flushes_total %llu\n",
	    (unsigned long long)t.upstream_connects,
	    (unsigned long long)t.upstream_reuses,
	    (unsigned long long)t.dropped_cookies,
	    (unsigned long long)rt.hits, (unsigned long long)rt.misses,
	    (unsigned long long)rt.negative_hits,
	    (unsigned long long)rt.stale_hits,
	    (unsigned long long)rt.store_gets,
	    (unsigned long long)rt.invalidations,
	    (unsigned long long)rt.flushes);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

struct admin *
admin_new(struct event_base *base, const struct config *conf,
    struct worker *workers, size_t nworkers)
{
	struct admin *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->workers = workers;
	a->nworkers = nworkers;
	if ((a->http = evhttp_new(base)) == NULL)
		goto fail;
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(a->http, 8192);
	evhttp_set_max_body_size(a->http, 0);
	evhttp_set_timeout(a->http, 5);
	evhttp_set_cb(a->http, "/healthz", admin_healthz, a);
	evhttp_set_cb(a->http, "/metrics", admin_metrics, a);
	if (evhttp_bind_socket(a->http, conf->admin.host, conf->admin.port)
	    != 0) {
		log_warn("admin-listen %s:%u", conf->admin.host,
		    conf->admin.port);
		goto fail;
	}
	log_info("admin listening on %s:%u", conf->admin.host,
	    conf->admin.port);
	return a;
 fail:
	admin_free(a);
	return NULL;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	if (a->http != NULL)
		evhttp_free(a->http);
	free(a);
}
