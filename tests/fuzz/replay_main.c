/*
 * replay_main.c - run a libFuzzer target over its seed corpus without
 * libFuzzer, so `make check` replays every corpus with any compiler (and
 * under ASan/UBSan in the sanitizer build).
 *
 * Built once per target with -DVGPU_FUZZ_CORPUS='"name"': reads every file in
 * $VGPU_SRCDIR/tests/fuzz/corpus/NAME/ (or the files/directories given as
 * arguments), calls LLVMFuzzerTestOneInput on each, and prints one TAP line
 * per input. A crash fails the test by killing the process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef VGPU_FUZZ_CORPUS
#error "define VGPU_FUZZ_CORPUS to the corpus name"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1u << 20)
#define REPLAY_MAX_FILES 4096

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run one file; returns 0 when it could be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return -1;
	buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* Collect the regular files of dir (sorted) into names; returns the count or -1. */
static int list_dir(const char *dir, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			names[n++] = strdup(path);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), name_cmp);
	return n;
}

int main(int argc, char **argv)
{
	static char *names[REPLAY_MAX_FILES];
	char dir[4096];
	const char *src = getenv("VGPU_SRCDIR");
	int n = 0, failed = 0, i;

	if (argc > 1) {
		for (i = 1; i < argc && n < REPLAY_MAX_FILES; i++)
			names[n++] = strdup(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : ".", VGPU_FUZZ_CORPUS);
		n = list_dir(dir, names, REPLAY_MAX_FILES);
		if (n <= 0) {
			printf("1..1\nnot ok 1 - corpus %s is missing or empty (%s)\n", dir,
			       n < 0 ? strerror(errno) : "no files");
			return 1;
		}
	}
	printf("1..%d\n", n);
	for (i = 0; i < n; i++) {
		const char *base = strrchr(names[i], '/');
		int rc = replay_file(names[i]);

		printf("%sok %d - %s %s\n", rc == 0 ? "" : "not ", i + 1, VGPU_FUZZ_CORPUS,
		       base ? base + 1 : names[i]);
		fflush(stdout);
		failed += rc != 0;
		free(names[i]);
	}
	return failed ? 1 : 0;
}
