// DEPS: config/config.c common/str.c common/log.c
/*
 * fuzz_config.c -- config_parse over arbitrary bytes: never crashes, the
 * error is always NUL-terminated and starts with the name, and a config
 * that parses stays within every CONF_MAX_* cap.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "config/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_name(const char *s)
{
	size_t	 i, len = strlen(s);

	if (len == 0 || len > CONF_MAX_HOSTNAME)
		abort();
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			abort();
}

static void
check_ok(const struct config *conf)
{
	size_t	 i;

	if (conf->nlisten > CONF_MAX_LISTEN ||
	    conf->ndomains > CONF_MAX_DOMAINS ||
	    conf->npath_hosts > CONF_MAX_PATH_HOSTS ||
	    conf->njwt_keys > CONF_MAX_JWT_KEYS ||
	    conf->ntrusted > CONF_MAX_TRUSTED ||
	    conf->workers > CONF_MAX_WORKERS ||
	    conf->max_header_bytes > CONF_MAX_HEADER_BYTES ||
	    conf->max_headers > CONF_MAX_HEADERS ||
	    conf->max_request_line > CONF_MAX_REQUEST_LINE ||
	    conf->max_connections > CONF_MAX_CONNECTIONS ||
	    conf->jwt_leeway_s > 300)
		abort();
	for (i = 0; i < conf->ndomains; i++)
		check_name(conf->domains[i]);
	for (i = 0; i < conf->npath_hosts; i++)
		check_name(conf->path_hosts[i]);
	for (i = 0; i < conf->njwt_keys; i++)
		if (conf->jwt_keys[i].key != NULL ||
		    conf->jwt_keys[i].kid[0] == '\0')
			abort();	/* parse is pure: no key loaded */
	for (i = 0; i < conf->ntrusted; i++)
		if (conf->trusted[i].bits >
		    (conf->trusted[i].family == AF_INET ? 32u : 128u))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *conf;
	char	 err[256];

	/* Uninitialised on purpose: config_parse must set every field. */
	conf = malloc(sizeof(*conf));
	if (conf == NULL)
		return 0;
	memset(err, 'x', sizeof(err));
	switch (config_parse("fz", (const char *)data, size, conf, err,
	    sizeof(err))) {
	case 0:
		if (err[0] != '\0')
			abort();
		check_ok(conf);
		break;
	case -1:
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "fz:", 3) != 0)
			abort();
		break;
	default:
		abort();
	}
	config_free_contents(conf);
	free(conf);
	return 0;
}
