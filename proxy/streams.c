/*
 * streams.c -- concurrent long-lived streams (WebSocket tunnels, event
 * streams) per sandbox, counted across all workers so one sandbox cannot
 * hold the whole proxy.  Touched only when a stream opens or ends, never
 * per request, so one mutex is cheap enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define STREAMS_BUCKETS	4096

struct streams_node {
	struct streams_node *next;
	uint64_t	 count;
	char		 id[ROUTE_MAX_ID + 1];
};

struct streams {
	pthread_mutex_t	 mtx;
	struct streams_node *buckets[STREAMS_BUCKETS];
};

struct streams *
streams_new(void)
{
	struct streams *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	if (pthread_mutex_init(&st->mtx, NULL) != 0) {
		free(st);
		return NULL;
	}
	return st;
}

void
streams_free(struct streams *st)
{
	struct streams_node *n, *next;
	size_t	 i;

	if (st == NULL)
		return;
	for (i = 0; i < STREAMS_BUCKETS; i++)
		for (n = st->buckets[i]; n != NULL; n = next) {
			next = n->next;
			free(n);
		}
	pthread_mutex_destroy(&st->mtx);
	free(st);
}

/* Take one stream slot for sandbox id; -1 if max (0 = none) is reached. */
int
streams_acquire(struct streams *st, const char *id, uint64_t max)
{
	struct streams_node **b, *n;
	int	 rc = 0;

	b = &st->buckets[str_hash(id, strlen(id)) % STREAMS_BUCKETS];
	pthread_mutex_lock(&st->mtx);
	for (n = *b; n != NULL; n = n->next)
		if (strcmp(n->id, id) == 0)
			break;
	if (n == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL) {
			rc = -1;
			goto done;
		}
		str_lcpy(n->id, id, sizeof(n->id));
		n->next = *b;
		*b = n;
	}
	if (max > 0 && n->count >= max)
		rc = -1;
	else
		n->count++;
 done:
	pthread_mutex_unlock(&st->mtx);
	return rc;
}

void
streams_release(struct streams *st, const char *id)
{
	struct streams_node **p, *n;

	p = &st->buckets[str_hash(id, strlen(id)) % STREAMS_BUCKETS];
	pthread_mutex_lock(&st->mtx);
	for (; (n = *p) != NULL; p = &n->next) {
		if (strcmp(n->id, id) != 0)
			continue;
		if (n->count > 0)
			n->count--;
		if (n->count == 0) {
			*p = n->next;
			free(n);
		}
		break;
	}
	pthread_mutex_unlock(&st->mtx);
}
