/*
 * replay.c -- run a libFuzzer harness's LLVMFuzzerTestOneInput over files,
 * without libFuzzer: built with gcc and ASan/UBSan by replay.sh so that
 * `make test` replays every corpus on every run.
 *
 *   replay_<target> DIR|FILE...
 *
 * Runs the empty input first (libFuzzer does too), then every regular file
 * of each directory (not recursive) and every FILE.  Prints the number of
 * inputs replayed; exits non-zero if one cannot be read.  A harness that
 * finds a bug aborts, and the sanitizers report and exit non-zero.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

#define REPLAY_MAX_INPUT	(1024 * 1024)

static int
replay_file(const char *path)
{
	FILE		*f;
	uint8_t		*buf;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX_INPUT + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT + 1, f);
	if (ferror(f) || n > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: read error or too large\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan sees reads past the input. */
	{
		uint8_t	*in = malloc(n ? n : 1);

		if (in == NULL) {
			free(buf);
			return -1;
		}
		memcpy(in, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput(in, n);
		free(in);
	}
	return 0;
}

static int
replay_path(const char *path, size_t *count)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 p[4096];
	int		 n, rv = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path) == -1)
			return -1;
		(*count)++;
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(p)) {
			rv = -1;
			break;
		}
		if (stat(p, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(p) == -1) {
			rv = -1;
			break;
		}
		(*count)++;
	}
	closedir(d);
	return rv;
}

int
main(int argc, char *argv[])
{
	size_t	 count = 0;
	int	 i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) == -1)
			return 1;
	printf("%zu\n", count);
	return 0;
}
