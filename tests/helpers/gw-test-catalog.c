/*
 * gw-test-catalog: a small HTTP/1.1 service that answers from files, for
 * the orchestration tests (a catalog lookup, prices, stock, reviews...).
 *
 *	gw-test-catalog -d DIR -p PORTFILE [-o SEENFILE] [-l ADDR]
 *	    [--delay PREFIX=MS]... [--status PREFIX=CODE]... [--close]
 *
 * A request for /a/b?q answers the file DIR/a/b?q if there is one, else
 * DIR/a/b, else DIR/a/b.json, else 404 with a JSON body.  The type is
 * application/json for a body that starts with '{' or '[', application/xml
 * for '<', text/plain otherwise.  --delay waits MS milliseconds before
 * answering a target that starts with PREFIX (the longest prefix wins),
 * --status answers CODE instead of 200.  -o appends "METHOD target" and,
 * for requests with a body, "body: ..." on one line per request.
 *
 * One process per connection (keep-alive included), so slow answers do not
 * hold each other up.  It listens on 127.0.0.1 port 0 by default and
 * writes the port to PORTFILE.  SIGTERM or SIGINT: exit 0.  Usage errors
 * exit 64, others 70.  Test-only code: it trusts its command line.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define PROG		"gw-test-catalog"
#define MAX_RULES	64
#define HEAD_MAX	(32 * 1024)
#define BODY_MAX	(16 * 1024 * 1024)

struct rule {
	const char	*prefix;
	long		 value;
};

static const char	*dir;
static const char	*seenfile;
static struct rule	 delays[MAX_RULES], statuses[MAX_RULES];
static size_t		 ndelays, nstatuses;
static int		 close_each;
static volatile sig_atomic_t stopping;

static void
usage(void)
{
	fprintf(stderr, "usage: " PROG " -d dir -p portfile [-o seenfile] "
	    "[-l addr]\n\t[--delay prefix=ms] [--status prefix=code] "
	    "[--close]\n");
	exit(64);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(70);
}

static void
add_rule(struct rule *r, size_t *n, char *arg)
{
	char *eq = strrchr(arg, '=');

	if (eq == NULL || *n == MAX_RULES)
		usage();
	*eq = '\0';
	r[*n].prefix = arg;
	r[*n].value = strtol(eq + 1, NULL, 10);
	(*n)++;
}

static const struct rule *
match(const struct rule *r, size_t n, const char *target)
{
	const struct rule	*best = NULL;
	size_t			 bl = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(r[i].prefix);

		if (strncmp(target, r[i].prefix, l) == 0 &&
		    (best == NULL || l > bl)) {
			best = &r[i];
			bl = l;
		}
	}
	return best;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
seen(const char *method, const char *target, char *body, size_t blen)
{
	int	fd;
	char	line[8192];
	int	n;

	if (seenfile == NULL)
		return;
	if ((fd = open(seenfile, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		return;
	(void)flock(fd, LOCK_EX);
	n = snprintf(line, sizeof(line), "%s %s\n", method, target);
	if (n > 0)
		(void)write_all(fd, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	if (blen > 0) {
		(void)write_all(fd, "body: ", 6);
		for (size_t i = 0; i < blen; i++)
			if (body[i] == '\n')
				body[i] = ' ';
		(void)write_all(fd, body, blen);
		(void)write_all(fd, "\n", 1);
	}
	(void)close(fd);
}

/* The file for target, read whole: 0, or -1 if there is none. */
static int
load(const char *target, char **out, size_t *outlen)
{
	char		 path[4096], plain[2048];
	const char	*q = strchr(target, '?');
	size_t		 pl = q != NULL ? (size_t)(q - target) : strlen(target);
	const char	*cand[3];
	struct stat	 st;

	if (strstr(target, "..") != NULL || pl >= sizeof(plain))
		return -1;
	memcpy(plain, target, pl);
	plain[pl] = '\0';
	cand[0] = target;
	cand[1] = plain;
	cand[2] = NULL;
	for (int i = 0; i < 3; i++) {
		int	 fd;
		char	*buf;

		if (i < 2)
			(void)snprintf(path, sizeof(path), "%s%s", dir,
			    cand[i]);
		else
			(void)snprintf(path, sizeof(path), "%s%s.json", dir,
			    plain);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
			die("out of memory");
		if (read(fd, buf, (size_t)st.st_size) != st.st_size)
			die("cannot read '%s'", path);
		(void)close(fd);
		*out = buf;
		*outlen = (size_t)st.st_size;
		return 0;
	}
	return -1;
}

static void
answer(int fd, const char *method, const char *target, int keep)
{
	const struct rule	*d = match(delays, ndelays, target);
	const struct rule	*s = match(statuses, nstatuses, target);
	char			*body = NULL, head[512];
	size_t			 blen = 0;
	int			 status = 200, n;
	const char		*ctype = "text/plain";

	if (d != NULL && d->value > 0) {
		struct timespec ts = { d->value / 1000,
		    (d->value % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	if (load(target, &body, &blen) == -1) {
		status = 404;
		if ((body = strdup("{\"error\":\"not found\"}\n")) == NULL)
			die("out of memory");
		blen = strlen(body);
	}
	if (s != NULL)
		status = (int)s->value;
	if (blen > 0 && (body[0] == '{' || body[0] == '['))
		ctype = "application/json";
	else if (blen > 0 && body[0] == '<')
		ctype = "application/xml";
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, ctype, blen,
	    keep ? "" : "Connection: close\r\n");
	if (write_all(fd, head, (size_t)n) == -1 ||
	    (strcmp(method, "HEAD") != 0 && write_all(fd, body, blen) == -1))
		exit(0);
	free(body);
}

/* Serve one connection: requests with Content-Length bodies, keep-alive. */
static void
serve(int fd)
{
	static char	 buf[HEAD_MAX + 1];
	size_t		 len = 0;

	for (;;) {
		char		*end, method[16], target[4096], *p, *body;
		size_t		 hl, clen = 0;
		int		 keep = !close_each;
		ssize_t		 r;

		while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
			if (len == HEAD_MAX)
				exit(0);
			if ((r = read(fd, buf + len, HEAD_MAX - len)) <= 0)
				exit(0);
			len += (size_t)r;
		}
		hl = (size_t)(end - buf) + 4;
		buf[hl - 2] = '\0';
		if (sscanf(buf, "%15s %4095s", method, target) != 2)
			exit(0);
		for (p = buf; (p = strstr(p, "\r\n")) != NULL && p < end;) {
			p += 2;
			if (strncasecmp(p, "content-length:", 15) == 0)
				clen = strtoul(p + 15, NULL, 10);
			else if (strncasecmp(p, "connection:", 11) == 0 &&
			    strstr(p, "close") != NULL)
				keep = 0;
		}
		if (clen > BODY_MAX)
			exit(0);
		if ((body = malloc(clen + 1)) == NULL)
			die("out of memory");
		{
			size_t have = len - hl < clen ? len - hl : clen;

			memcpy(body, buf + hl, have);
			while (have < clen) {
				if ((r = read(fd, body + have, clen - have)) <=
				    0)
					exit(0);
				have += (size_t)r;
			}
			memmove(buf, buf + hl + (len - hl < clen ? len - hl :
			    clen), len - hl - (len - hl < clen ? len - hl :
			    clen));
			len -= hl + (len - hl < clen ? len - hl : clen);
		}
		seen(method, target, body, clen);
		free(body);
		answer(fd, method, target, keep);
		if (!keep)
			exit(0);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "close", no_argument, NULL, 'C' },
		{ "delay", required_argument, NULL, 'D' },
		{ "status", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*portfile = NULL, *listen_addr = "127.0.0.1";
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	struct sigaction	 sa;
	int			 ch, s, one = 1;
	FILE			*fp;

	while ((ch = getopt_long(argc, argv, "d:l:o:p:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'o':
			seenfile = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'C':
			close_each = 1;
			break;
		case 'D':
			add_rule(delays, &ndelays, optarg);
			break;
		case 'S':
			add_rule(statuses, &nstatuses, optarg);
			break;
		default:
			usage();
		}
	}
	if (dir == NULL || portfile == NULL || optind != argc)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	(void)sigaction(SIGCHLD, &sa, NULL);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, listen_addr, &sin.sin_addr) != 1)
		usage();
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 512) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &sl) == -1)
		die("bind: %s", strerror(errno));
	if ((fp = fopen(portfile, "w")) == NULL)
		die("cannot write '%s'", portfile);
	fprintf(fp, "%d\n", ntohs(sin.sin_port));
	if (fclose(fp) == EOF)
		die("cannot write '%s'", portfile);
	while (!stopping) {
		int	c = accept(s, NULL, NULL);
		pid_t	pid;

		if (c == -1)
			continue;
		(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if ((pid = fork()) == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			(void)close(s);
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = 0;
			(void)sigaction(SIGTERM, &sa, NULL);
			serve(c);
			exit(0);
		}
		(void)close(c);
	}
	/* the children die with us (PR_SET_PDEATHSIG) */
	return 0;
}
