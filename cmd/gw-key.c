/*
 * gw-key: make API keys for the api_key policy, list and revoke them.
 *
 * A new key is printed once, on stdout; the key file (gw-keys(5)) gets
 * only its SHA-256.  The file parser is libcore's (authn.c), so that what
 * this tool writes is what gw-serve reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authn.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "log.h"

#define EX_NEGATIVE	1
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_CANTCREAT	73

#define KEY_BYTES	32
#define KEY_PREFIX	"gwk_"

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: gw-key [-hlV] [-f file] [-g groups] [-r consumer]\n"
	    "              [consumer]\n");
}

/* Read the whole key file; NULL with errno set (ENOENT for none). */
static char *
read_file(int fd, size_t *len)
{
	struct gw_buf	b;
	char		chunk[65536];
	ssize_t		n;

	gw_buf_init(&b, GW_AUTHN_MAX_FILE);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			gw_buf_release(&b);
			return NULL;
		}
		if (gw_buf_append(&b, chunk, (size_t)n, NULL) == -1) {
			gw_buf_release(&b);
			errno = EFBIG;
			return NULL;
		}
	}
	return gw_buf_take(&b, len, NULL);
}

/* Check the file as gw-serve would read it. */
static int
check_file(const char *path, const char *data, size_t len)
{
	struct gw_keyfile	*kf;
	struct gw_err		 err;

	if (gw_keyfile_parse(data, len, path, &kf, &err) == -1) {
		gw_log_warnx("%s", err.msg);
		return -1;
	}
	gw_keyfile_free(kf);
	return 0;
}

static int
add_key(const char *path, const char *consumer, const char *groups)
{
	unsigned char	 raw[KEY_BYTES];
	char		 key[sizeof(KEY_PREFIX) + GW_B64_ENCODED_MAX(KEY_BYTES)];
	char		 line[GW_KEYFILE_LINE_MAX], *data;
	struct gw_err	 err;
	size_t		 len, kl;
	int		 fd, rc = EX_SOFTWARE;

	if (!gw_authn_valid_name(consumer, strlen(consumer))) {
		gw_log_warnx("'%s' is not a consumer name (letters, digits "
		    "and ._@-+, at most %d)", consumer, GW_AUTHN_MAX_NAME);
		return EX_USAGE;
	}
	if (groups != NULL && !gw_authn_valid_groups(groups, strlen(groups))) {
		gw_log_warnx("'%s' is not a list of group names", groups);
		return EX_USAGE;
	}
	if (gw_random(raw, sizeof(raw), &err) == -1) {
		gw_log_warnx("%s", err.msg);
		return EX_SOFTWARE;
	}
	(void)memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
	kl = sizeof(KEY_PREFIX) - 1 + gw_b64url_encode(raw, sizeof(raw),
	    key + sizeof(KEY_PREFIX) - 1);
	explicit_bzero(raw, sizeof(raw));
	if (gw_keyfile_line(gw_str_make(key, kl), consumer, groups, line,
	    sizeof(line)) == -1) {
		gw_log_warnx("cannot write the key's line");
		return EX_SOFTWARE;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1) {
		gw_log_warn("cannot open '%s'", path);
		return EX_CANTCREAT;
	}
	if (flock(fd, LOCK_EX) == -1) {
		gw_log_warn("cannot lock '%s'", path);
		goto out;
	}
	/* refuse to add to a file gw-serve would refuse */
	if ((data = read_file(fd, &len)) == NULL) {
		gw_log_warn("cannot read '%s'", path);
		goto out;
	}
	if (check_file(path, data, len) == -1) {
		free(data);
		rc = EX_DATAERR;
		goto out;
	}
	if (len > 0 && data[len - 1] != '\n' && write(fd, "\n", 1) != 1) {
		free(data);
		gw_log_warn("cannot write '%s'", path);
		goto out;
	}
	free(data);
	if (gw_log_write_all(fd, line, strlen(line)) == -1 || fsync(fd) == -1) {
		gw_log_warn("cannot write '%s'", path);
		goto out;
	}
	/* the key, once: only its hash is kept */
	if (printf("%.*s\n", (int)kl, key) < 0 || fflush(stdout) == EOF) {
		gw_log_warn("cannot write the key");
		goto out;
	}
	gw_log_info("added a key for '%s' to '%s'; reload gw-serve to use it",
	    consumer, path);
	rc = 0;
 out:
	explicit_bzero(key, sizeof(key));
	(void)close(fd);
	return rc;
}

/*
 * The consumer and groups of a key line into the buffers: the number of
 * words (0 for comments and empty lines).  The file was checked.
 */
static int
line_words(const char *line, char *consumer, size_t csize, char *groups,
    size_t gsize)
{
	const char	*p = line;
	size_t		 n = 0;

	consumer[0] = groups[0] = '\0';
	if (*p == '#')
		return 0;
	while (n < 3) {
		size_t l;

		p += strspn(p, " \t");
		if ((l = strcspn(p, " \t\r\n")) == 0)
			break;
		if (n == 1)
			(void)snprintf(consumer, csize, "%.*s", (int)l, p);
		else if (n == 2)
			(void)snprintf(groups, gsize, "%.*s", (int)l, p);
		n++;
		p += l;
	}
	return (int)n;
}

/* Print or drop the lines of consumer (revoke NULL: list everything). */
static int
list_or_revoke(const char *path, const char *revoke)
{
	struct gw_buf	 out;
	char		*data, *tmp = NULL;
	size_t		 len, i = 0, dropped = 0;
	int		 fd, tfd = -1, rc = EX_SOFTWARE;
	struct stat	 st;

	if ((fd = open(path, (revoke != NULL ? O_RDWR : O_RDONLY) |
	    O_CLOEXEC)) == -1) {
		gw_log_warn("cannot open '%s'", path);
		return errno == ENOENT ? EX_NOINPUT : EX_SOFTWARE;
	}
	if (flock(fd, revoke != NULL ? LOCK_EX : LOCK_SH) == -1 ||
	    (data = read_file(fd, &len)) == NULL) {
		gw_log_warn("cannot read '%s'", path);
		(void)close(fd);
		return EX_SOFTWARE;
	}
	if (check_file(path, data, len) == -1) {
		free(data);
		(void)close(fd);
		return EX_DATAERR;
	}
	gw_buf_init(&out, 0);
	while (i < len) {
		char	*nl = memchr(data + i, '\n', len - i);
		size_t	 end = nl != NULL ? (size_t)(nl - data) + 1 : len;
		char	 consumer[GW_AUTHN_MAX_NAME + 1];
		char	 groups[GW_AUTHN_MAX_GROUPS + 1];
		char	*line = strndup(data + i, end - i);
		int	 n;

		if (line == NULL)
			goto out;
		n = line_words(line, consumer, sizeof(consumer), groups,
		    sizeof(groups));
		if (revoke == NULL) {
			if (n >= 2 && printf("%s\t%s\n", consumer,
			    groups) < 0) {
				free(line);
				goto out;
			}
		} else if (n >= 2 && strcmp(consumer, revoke) == 0)
			dropped++;
		else if (gw_buf_append(&out, data + i, end - i, NULL) == -1) {
			free(line);
			goto out;
		}
		free(line);
		i = end;
	}
	if (revoke == NULL) {
		rc = fflush(stdout) == EOF ? EX_SOFTWARE : 0;
		goto out;
	}
	if (dropped == 0) {
		gw_log_warnx("'%s' has no key in '%s'", revoke, path);
		rc = EX_NEGATIVE;
		goto out;
	}
	/* a new file in one rename, with the old one's mode */
	if (fstat(fd, &st) == -1 || asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		tmp = NULL;
		gw_log_warn("cannot rewrite '%s'", path);
		goto out;
	}
	if ((tfd = mkostemp(tmp, O_CLOEXEC)) == -1 ||
	    fchmod(tfd, st.st_mode & 07777) == -1 ||
	    gw_log_write_all(tfd, out.p == NULL ? "" : out.p, out.len) == -1 ||
	    fsync(tfd) == -1 || rename(tmp, path) == -1) {
		gw_log_warn("cannot rewrite '%s'", path);
		if (tfd != -1)
			(void)unlink(tmp);
		goto out;
	}
	gw_log_info("revoked %zu key%s of '%s'; reload gw-serve to drop %s",
	    dropped, dropped == 1 ? "" : "s", revoke,
	    dropped == 1 ? "it" : "them");
	rc = 0;
 out:
	if (tfd != -1)
		(void)close(tfd);
	free(tmp);
	gw_buf_release(&out);
	free(data);
	(void)close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "groups", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "list", no_argument, NULL, 'l' },
		{ "revoke", required_argument, NULL, 'r' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*file = "keys.txt", *groups = NULL, *revoke = NULL;
	int		 ch, list = 0;

	gw_log_init("gw-key");
	while ((ch = getopt_long(argc, argv, "f:g:hlr:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'g':
			groups = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			list = 1;
			break;
		case 'r':
			revoke = optarg;
			break;
		case 'V':
			(void)printf("gw-key %s\n", GW_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (list + (revoke != NULL) + (argc > 0) != 1 || argc > 1 ||
	    (groups != NULL && argc == 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	if (list || revoke != NULL)
		return list_or_revoke(file, revoke);
	return add_key(file, argv[0], groups);
}
