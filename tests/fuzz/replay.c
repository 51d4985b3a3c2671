/*
 * replay.c: run a libFuzzer target over files, without libFuzzer.
 *
 * "replay-fuzz-X FILE|DIR..." feeds every file to LLVMFuzzerTestOneInput, so
 * that make check replays the corpora with the normal compiler (and under
 * the sanitizers in make asan).  Prints one TAP line per directory or file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE		*fp;
	uint8_t		*buf = NULL;
	size_t		 len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (cap - len < 65536) {
			uint8_t *nb = realloc(buf, cap + 65536);

			if (nb == NULL) {
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	fclose(fp);
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat	 st;
		DIR		*d;
		struct dirent	*de;
		int		 count = 0;

		if (stat(argv[i], &st) == -1) {
			perror(argv[i]);
			printf("not ok %d - %s\n", ++n, argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			int rc = run_file(argv[i]);

			printf("%sok %d - %s\n", rc == 0 ? "" : "not ", ++n,
			    argv[i]);
			bad += rc != 0;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			bad++;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			if (run_file(path) == -1)
				bad++;
			count++;
		}
		closedir(d);
		printf("ok %d - %s: %d inputs replayed\n", ++n, argv[i], count);
	}
	printf("1..%d\n", n);
	return bad == 0 ? 0 : 1;
}
