/*
 * main.c -- drawbridge(8): parse flags, load and check the configuration,
 * bind the listeners, start one worker thread per core, serve the admin
 * listener and signals on the main thread, and shut down cleanly on
 * SIGTERM or SIGINT.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/common.h"
#include "proxy/proxy.h"

#define MAIN_BACKLOG	1024
#define MAIN_MAX_RELOADS	256	/* configs kept alive until exit */

/* What the signal and timer callbacks need; lives in main()'s frame. */
struct main_state {
	struct event_base *base;
	const char	*path;
	struct config	*confs[MAIN_MAX_RELOADS];	/* [n-1] current */
	size_t		 nconfs;
	struct worker	*workers;
	unsigned	 nworkers;
	struct tls	*tls;
};

static int
main_uses_tls(const struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->nlisten; i++)
		if (conf->listen[i].tls)
			return 1;
	return 0;
}

/*
 * SIGHUP: parse the file into a new config; if it (and its certificates)
 * validate, swap certificates and hand the config to every worker for new
 * connections.  Otherwise the old config keeps serving and the log says
 * why.  Listeners, workers, Redis, admin and access-log settings are
 * fixed at start-up.
 */
static void
main_reload(struct main_state *ms)
{
	struct config *conf;
	char	 err[1024];
	unsigned i;

	if (ms->nconfs >= MAIN_MAX_RELOADS) {
		log_warnx("reload: too many reloads; restart to apply");
		return;
	}
	if ((conf = config_load(ms->path, err, sizeof(err))) == NULL) {
		log_warnx("reload failed, keeping the running config: %s",
		    err);
		return;
	}
	if (ms->tls != NULL && tls_reload(ms->tls, conf, err,
	    sizeof(err)) == -1) {
		log_warnx("reload failed, keeping the running config and "
		    "certificates: %s", err);
		config_free(conf);
		return;
	}
	ms->confs[ms->nconfs++] = conf;
	for (i = 0; i < ms->nworkers; i++)
		worker_reload(&ms->workers[i], conf);
	log_info("configuration reloaded from %s", ms->path);
}

static void
main_tick(evutil_socket_t fd, short what, void *arg)
{
	struct main_state *ms = arg;

	(void)fd;
	(void)what;
	if (ms->tls != NULL)
		tls_tick(ms->tls, time(NULL));
}

static void
usage(void)
{
	fprintf(stderr, "usage: drawbridge [-dt] [-c file]\n");
	exit(2);
}

/*
 * Bind one listening socket for l with SO_REUSEPORT.  If *port is 0 the
 * kernel's choice is written back, so every worker binds the same port.
 */
static int
main_bind(const struct conf_listen *l, uint16_t *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen;
	int	 fd = -1, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, l->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(*port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, l->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(*port);
		slen = sizeof(*sin6);
	} else {
		log_warnx("listen %s: not an IP address", l->host);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1)
		goto fail;
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) == -1)
		goto fail;
	if (listen(fd, MAIN_BACKLOG) == -1)
		goto fail;
	if (*port == 0) {
		slen = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &slen) == -1)
			goto fail;
		*port = ntohs(ss.ss_family == AF_INET ? sin->sin_port :
		    sin6->sin6_port);
	}
	return fd;
 fail:
	log_warn("listen %s:%u", l->host, *port);
	if (fd != -1)
		close(fd);
	return -1;
}

static void
main_signal(evutil_socket_t sig, short what, void *arg)
{
	struct main_state *ms = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		main_reload(ms);
		break;
	default:
		log_info("signal %d: shutting down", (int)sig);
		event_base_loopbreak(ms->base);
		break;
	}
}

int
main(int argc, char *argv[])
{
	static struct main_state ms;
	struct config *conf;
	struct worker *workers = NULL;
	struct event *tick = NULL;
	struct tls *tls = NULL;
	SSL_CTX	*tls_client = NULL;
	struct admin *admin = NULL;
	struct streams *streams = NULL;
	struct event_base *base = NULL;
	struct event *sigs[3] = { NULL, NULL, NULL };
	const int signos[3] = { SIGTERM, SIGINT, SIGHUP };
	const char *path = "/etc/drawbridge/drawbridge.conf";
	char	 err[1024];
	int	 ch, test = 0, debug = 0, rc = 1;
	int	*fds = NULL;
	unsigned nw, i, started = 0;
	size_t	 l, nl;
	FILE	*access = stderr;

	if (getenv("DRAWBRIDGE_CONF") != NULL)
		path = getenv("DRAWBRIDGE_CONF");
	while ((ch = getopt(argc, argv, "c:dt")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 't':
			test = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("drawbridge", debug);

	if ((conf = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (test) {
		char	 warn[2048];

		warn[0] = '\0';
		if (conf->ncerts > 0 && tls_check(conf, err, sizeof(err), warn,
		    sizeof(warn)) == -1) {
			fprintf(stderr, "%s\n", err);
			config_free(conf);
			return 1;
		}
		if (warn[0] != '\0')
			fprintf(stderr, "%s", warn);
		printf("configuration OK\n");
		config_free(conf);
		return 0;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* No evthread_use_pthreads(): each event base lives on one thread
	 * (workers are told things through a pipe), so libevent's locks
	 * would only cost time. */

	if (strcmp(conf->access_log, "off") == 0)
		access = NULL;
	else if (strcmp(conf->access_log, "stderr") != 0) {
		if ((access = fopen(conf->access_log, "ae")) == NULL)
			fatal("access-log %s", conf->access_log);
		setvbuf(access, NULL, _IOLBF, 0);
	}

	if ((streams = streams_new()) == NULL)
		fatal("streams_new");
	if (main_uses_tls(conf) &&
	    (tls = tls_new(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((tls_client = tls_client_ctx_new(conf, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	nw = config_workers(conf);
	nl = conf->nlisten;
	if ((fds = calloc((size_t)nw * nl, sizeof(*fds))) == NULL ||
	    (workers = calloc(nw, sizeof(*workers))) == NULL)
		fatal("calloc");
	for (l = 0; l < nl; l++) {
		uint16_t port = conf->listen[l].port;

		for (i = 0; i < nw; i++) {
			if ((fds[i * nl + l] = main_bind(&conf->listen[l],
			    &port)) == -1)
				goto done;
		}
		log_info("listening on %s:%u", conf->listen[l].host, port);
	}
	for (i = 0; i < nw; i++) {
		if (worker_init(&workers[i], i, conf, &fds[i * nl], nl,
		    access, streams, tls, tls_client) == -1)
			goto done;
		/* The worker's listeners own the fds now. */
		for (l = 0; l < nl; l++)
			fds[i * nl + l] = -1;
		if (worker_start(&workers[i]) == -1) {
			worker_cleanup(&workers[i]);
			goto done;
		}
		started++;
	}
	log_info("%u worker(s) started", nw);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	ms.base = base;
	ms.path = path;
	ms.confs[0] = conf;
	ms.nconfs = 1;
	ms.workers = workers;
	ms.nworkers = started;
	ms.tls = tls;
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(base, signos[i], main_signal, &ms);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("signal setup");
	}
	if (tls != NULL) {
		struct timeval tv = { 60, 0 };

		if ((tick = event_new(base, -1, EV_PERSIST, main_tick,
		    &ms)) == NULL || event_add(tick, &tv) == -1)
			fatalx("timer setup");
	}
	if (conf->admin_set &&
	    (admin = admin_new(base, conf, workers, nw)) == NULL)
		goto done;
	event_base_dispatch(base);
	rc = 0;
 done:
	admin_free(admin);
	for (i = 0; i < started; i++)
		worker_stop(&workers[i]);
	for (i = 0; i < started; i++) {
		worker_join(&workers[i]);
		worker_cleanup(&workers[i]);
	}
	for (i = 0; i < 3; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	if (tick != NULL)
		event_free(tick);
	if (base != NULL)
		event_base_free(base);
	if (fds != NULL)
		for (l = 0; l < (size_t)nw * nl; l++)
			if (fds[l] > 0)
				close(fds[l]);
	free(fds);
	free(workers);
	streams_free(streams);
	if (access != NULL && access != stderr)
		fclose(access);
	tls_free(tls);
	SSL_CTX_free(tls_client);
	if (ms.nconfs == 0)
		config_free(conf);
	for (l = 0; l < ms.nconfs; l++)
		config_free(ms.confs[l]);
	libevent_global_shutdown();
	return rc;
}
