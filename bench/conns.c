/*
 * conns: hold many idle keep-alive HTTP/1.1 connections and check that they
 * stay usable.
 *
 *   conns [-n conns] [-i idle_s] [-c window] [-t timeout_s] [-T limit_s]
 *         [-p path] [-b addr[,addr...]] [-q] host:port
 *
 * 1. Opens n connections (non-blocking connect, at most `window` handshakes
 *    or requests in flight at a time) and sends one GET on each, reading
 *    the whole response (Content-Length, chunked, or up to the close).
 * 2. Keeps all of them open and idle for idle_s seconds, watching for any
 *    that the server closes (or sends something on) meanwhile.  The line
 *    "IDLE open=N" is printed (and flushed) when this phase starts, and
 *    "IDLE-END" when it ends, so that a script can measure the server
 *    while the connections are idle.
 * 3. Sends a second GET on every connection still open and reads it.
 *
 * It reports connections established, answered (first and second request),
 * failed, closed while idle and the times, as text and as one
 * "RESULT key=value..." line.  Exit status: 0 when every connection was
 * established and answered 2xx twice, 1 on any failure, 2 on bad usage or
 * a local error (no descriptors, no memory).  Each handshake or request
 * has a time-out (-t, 10 s) and the whole run a limit (-T, by default
 * idle_s + 120 s), so that it always ends.
 *
 * Loopback has about 28,000 ephemeral ports per source address and
 * destination; -b spreads the connections over several source addresses
 * (127.0.0.2, 127.0.0.3, ... all reach 127.0.0.1's listeners on Linux).
 * Connections are closed with a reset at the end (SO_LINGER 0), so they
 * leave no TIME_WAIT behind to block the next run's ports.
 *
 * Build: cc -O2 -o conns conns.c   (Linux: epoll)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD	(32 * 1024)	/* response head, and one chunk line */
#define MAX_ADDRS	256
#define NEVENTS		512

enum cstate {
	S_NEW,		/* not started */
	S_CONNECTING,
	S_SENDING,
	S_READING,
	S_IDLE,		/* answered, kept open */
	S_FAILED	/* closed, counted */
};

enum rstate {
	R_HEAD,		/* status line and fields */
	R_LENGTH,	/* Content-Length body */
	R_CHUNK_SIZE,
	R_CHUNK_DATA,
	R_CHUNK_CRLF,
	R_TRAILER,
	R_CLOSE		/* body until the server closes */
};

enum why {
	F_CONNECT,	/* connect() failed or was refused */
	F_TIMEOUT,	/* handshake or request took longer than -t */
	F_CLOSED,	/* closed or reset before the whole answer */
	F_STATUS,	/* answered, but not 2xx */
	F_BAD,		/* not a well-formed HTTP/1.x response */
	F_IDLE,		/* closed (or written to) by the server while idle */
	F_LIMIT,	/* still busy when the run's limit (-T) passed */
	F_NWHY
};

static const char *const why_name[F_NWHY] = {
	"connect", "timeout", "closed", "status", "bad_response", "closed_idle",
	"run_limit"
};

struct conn {
	int		 fd;
	enum cstate	 state;
	enum rstate	 rs;
	unsigned	 answered;	/* responses read in full */
	unsigned	 connected;	/* the handshake completed */
	size_t		 sent;		/* request bytes written */
	double		 started;	/* of the current operation */
	char		*line;		/* head or chunk line being read */
	size_t		 llen;
	long long	 remain;	/* body bytes still due */
	int		 status;
	int		 close_after;	/* "Connection: close" in the answer */
};

static struct {
	const char	*host;
	const char	*port;
	const char	*path;
	struct sockaddr_storage dst;
	socklen_t	 dstlen;
	struct sockaddr_in src[MAX_ADDRS];
	int		 nsrc;
	long		 n;
	long		 window;
	double		 idle_s;
	double		 timeout_s;
	double		 limit_s;
	int		 quiet;
	char		*req;
	size_t		 reqlen;
	int		 ep;
	struct conn	*c;
	long		 inflight;
	long		 failed[F_NWHY];
	long		 nfailed;
	char		 first_err[F_NWHY][160];
	int		 status_seen[600];
	double		 t0;
	double		 deadline;
} g;

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void	die(const char *fmt, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));
static void	fail(struct conn *c, enum why w, const char *fmt, ...)
		    __attribute__((__format__(printf, 3, 4)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("conns: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	exit(2);
}

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: conns [-q] [-n conns] [-i idle_s] [-c window] "
	    "[-t timeout_s]\n"
	    "             [-T limit_s] [-p path] [-b addr[,addr...]] "
	    "host:port\n");
	exit(2);
}

static double
num_arg(const char *opt, const char *s, double min, double max)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("%s: expected a number from %g to %g, not '%s'", opt, min,
		    max, s);
	return v;
}

static void
parse_src(char *list)
{
	char *save = NULL;

	for (char *a = strtok_r(list, ",", &save); a != NULL;
	    a = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in *s;

		if (g.nsrc == MAX_ADDRS)
			die("-b: at most %d addresses", MAX_ADDRS);
		s = &g.src[g.nsrc++];
		memset(s, 0, sizeof(*s));
		s->sin_family = AF_INET;
		if (inet_pton(AF_INET, a, &s->sin_addr) != 1)
			die("-b: '%s' is not an IPv4 address", a);
	}
}

static void
resolve(const char *hostport)
{
	struct addrinfo	 hints, *res;
	const char	*colon = strrchr(hostport, ':');
	static char	 host[256];
	int		 rc;

	if (colon == NULL || colon == hostport || colon[1] == '\0' ||
	    (size_t)(colon - hostport) >= sizeof(host))
		die("target '%s': expected host:port", hostport);
	(void)snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport),
	    hostport);
	g.host = host;
	g.port = colon + 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = g.nsrc > 0 ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(g.host, g.port, &hints, &res)) != 0)
		die("%s: %s", hostport, gai_strerror(rc));
	memcpy(&g.dst, res->ai_addr, res->ai_addrlen);
	g.dstlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Enough descriptors for n connections, raising the hard limit if we may. */
static void
raise_nofile(long n)
{
	struct rlimit	rl;
	rlim_t		want = (rlim_t)n + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit r2 = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &r2) == 0)
			return;
		die("%ld connections need %llu descriptors; the hard limit "
		    "is %llu (raise it: ulimit -Hn, or run as root)", n,
		    (unsigned long long)want, (unsigned long long)rl.rlim_max);
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		die("setrlimit: %s", strerror(errno));
}

static void
close_conn(struct conn *c, int reset)
{
	if (c->fd >= 0) {
		if (reset) {
			struct linger lg = { 1, 0 };

			(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
		}
		(void)close(c->fd);	/* also drops it from the epoll set */
		c->fd = -1;
	}
	free(c->line);
	c->line = NULL;
	c->llen = 0;
}

static void
fail(struct conn *c, enum why w, const char *fmt, ...)
{
	va_list ap;

	if (c->state == S_FAILED)
		return;
	if (c->state == S_CONNECTING || c->state == S_SENDING ||
	    c->state == S_READING)
		g.inflight--;
	c->state = S_FAILED;
	g.failed[w]++;
	g.nfailed++;
	if (g.first_err[w][0] == '\0') {
		va_start(ap, fmt);
		(void)vsnprintf(g.first_err[w], sizeof(g.first_err[w]), fmt,
		    ap);
		va_end(ap);
	}
	close_conn(c, 1);
}

static void
start_connect(struct conn *c)
{
	int	fd, one = 1;
	long	i = c - g.c;

	c->started = now();
	c->state = S_CONNECTING;
	g.inflight++;
	fd = socket(g.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE)
			die("socket: %s", strerror(errno));
		c->fd = -1;
		fail(c, F_CONNECT, "socket: %s", strerror(errno));
		return;
	}
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (g.nsrc > 0) {
		/* the port is picked at connect(), per destination */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		if (bind(fd, (struct sockaddr *)&g.src[i % g.nsrc],
		    sizeof(g.src[0])) == -1) {
			fail(c, F_CONNECT, "bind: %s", strerror(errno));
			return;
		}
	}
	{
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		if (epoll_ctl(g.ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			die("epoll_ctl: %s", strerror(errno));
	}
	if (connect(fd, (struct sockaddr *)&g.dst, g.dstlen) == -1 &&
	    errno != EINPROGRESS) {
		fail(c, F_CONNECT, "connect: %s", strerror(errno));
		return;
	}
	/* completion (or refusal) comes as EPOLLOUT */
}

/* Write what remains of the request; 0 when done or waiting. */
static void
send_more(struct conn *c)
{
	while (c->sent < g.reqlen) {
		ssize_t w = send(c->fd, g.req + c->sent, g.reqlen - c->sent,
		    MSG_NOSIGNAL);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			fail(c, F_CLOSED, "send (request %u): %s",
			    c->answered + 1, strerror(errno));
			return;
		}
		c->sent += (size_t)w;
	}
	c->state = S_READING;
	c->rs = R_HEAD;
	c->llen = 0;
	c->status = 0;
	c->close_after = 0;
}

static void
start_request(struct conn *c)
{
	if (c->state != S_IDLE)
		return;
	c->state = S_SENDING;
	c->started = now();
	c->sent = 0;
	g.inflight++;
	send_more(c);
}

/* Case-insensitive "name:" at the start of line p (of length n). */
static const char *
field(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
		return NULL;
	p += k + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int
has_token(const char *v, const char *tok)
{
	size_t k = strlen(tok);

	for (const char *p = v; *p != '\0'; p++)
		if (strncasecmp(p, tok, k) == 0 &&
		    (p == v || p[-1] == ' ' || p[-1] == ',' || p[-1] == '\t') &&
		    (p[k] == '\0' || p[k] == ',' || p[k] == ' ' ||
		    p[k] == '\t' || p[k] == '\r'))
			return 1;
	return 0;
}

/*
 * The head is complete in c->line (c->llen bytes, ending in CRLFCRLF or
 * LFLF).  Returns 0, or -1 after fail().
 */
static int
parse_head(struct conn *c)
{
	char		*p = c->line, *end = c->line + c->llen, *eol;
	int		 chunked = 0, have_len = 0;
	long long	 len = 0;

	c->line[c->llen - 1] = '\0';
	if (strncmp(p, "HTTP/1.", 7) != 0 || c->llen < 12 || p[8] != ' ') {
		fail(c, F_BAD, "not an HTTP/1.x status line: %.40s", p);
		return -1;
	}
	c->status = (int)strtol(p + 9, NULL, 10);
	if (c->status < 100 || c->status > 599) {
		fail(c, F_BAD, "bad status in: %.40s", p);
		return -1;
	}
	if (p[7] == '0')
		c->close_after = 1;	/* HTTP/1.0 unless keep-alive said */
	for (p = strchr(p, '\n'); p != NULL && p + 1 < end; p = eol) {
		const char	*v;
		size_t		 n;

		p++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		n = (size_t)(eol - p);
		*eol = '\0';
		if (n > 0 && p[n - 1] == '\r')
			p[--n] = '\0';
		if ((v = field(p, n, "content-length")) != NULL) {
			char *e;

			errno = 0;
			len = strtoll(v, &e, 10);
			if (errno != 0 || e == v || len < 0) {
				fail(c, F_BAD, "bad Content-Length: %.40s", v);
				return -1;
			}
			have_len = 1;
		} else if ((v = field(p, n, "transfer-encoding")) != NULL)
			chunked = has_token(v, "chunked");
		else if ((v = field(p, n, "connection")) != NULL) {
			if (has_token(v, "close"))
				c->close_after = 1;
			else if (has_token(v, "keep-alive"))
				c->close_after = 0;
		}
	}
	if (c->status >= 100 && c->status < 200) {
		/* an interim answer: the real one follows */
		c->llen = 0;
		c->rs = R_HEAD;
		return 0;
	}
	c->llen = 0;
	if (c->status == 204 || c->status == 304) {
		c->rs = R_LENGTH;
		c->remain = 0;
	} else if (chunked)
		c->rs = R_CHUNK_SIZE;
	else if (have_len) {
		c->rs = R_LENGTH;
		c->remain = len;
	} else {
		c->rs = R_CLOSE;
		c->close_after = 1;
	}
	return 0;
}

static void
answered(struct conn *c)
{
	c->answered++;
	if (c->status >= 0 && c->status < 600)
		g.status_seen[c->status]++;
	if (c->status < 200 || c->status > 299) {
		fail(c, F_STATUS, "request %u answered %d", c->answered,
		    c->status);
		return;
	}
	if (c->close_after) {
		fail(c, F_CLOSED, "request %u: the server ends the "
		    "connection (Connection: close or HTTP/1.0)", c->answered);
		return;
	}
	g.inflight--;
	c->state = S_IDLE;
	free(c->line);
	c->line = NULL;
	c->llen = 0;
}

/* Append one byte to the current line; 1 when a line (or head) is done. */
static int
line_byte(struct conn *c, char ch, int head)
{
	if (c->line == NULL && (c->line = malloc(MAX_HEAD)) == NULL)
		die("out of memory");
	if (c->llen == MAX_HEAD - 1) {
		fail(c, F_BAD, head ? "response head over %d bytes" :
		    "chunk line over %d bytes", MAX_HEAD);
		return -1;
	}
	c->line[c->llen++] = ch;
	if (ch != '\n')
		return 0;
	if (!head)
		return 1;
	return (c->llen >= 2 && c->line[c->llen - 2] == '\n') ||
	    (c->llen >= 4 && memcmp(c->line + c->llen - 4, "\r\n\r\n", 4) == 0);
}

/* Feed n received bytes to the response parser.  -1 after fail(). */
static int
feed(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		int r;

		switch (c->rs) {
		case R_HEAD:
			if ((r = line_byte(c, *p, 1)) == -1)
				return -1;
			p++, n--;
			if (r == 1 && parse_head(c) == -1)
				return -1;
			break;
		case R_LENGTH: {
			size_t k = (size_t)c->remain < n ? (size_t)c->remain :
			    n;

			c->remain -= (long long)k;
			p += k, n -= k;
			break;
		}
		case R_CHUNK_SIZE:
		case R_TRAILER:
			if ((r = line_byte(c, *p, 0)) == -1)
				return -1;
			p++, n--;
			if (r == 0)
				break;
			c->line[c->llen] = '\0';
			if (c->rs == R_TRAILER) {
				if (c->llen <= 2) {	/* the empty line */
					c->rs = R_LENGTH;
					c->remain = 0;
				}
			} else {
				char *e;

				errno = 0;
				c->remain = strtoll(c->line, &e, 16);
				if (errno != 0 || e == c->line ||
				    c->remain < 0) {
					fail(c, F_BAD, "bad chunk size line");
					return -1;
				}
				c->rs = c->remain == 0 ? R_TRAILER :
				    R_CHUNK_DATA;
			}
			c->llen = 0;
			break;
		case R_CHUNK_DATA: {
			size_t k = (size_t)c->remain < n ? (size_t)c->remain :
			    n;

			c->remain -= (long long)k;
			p += k, n -= k;
			if (c->remain == 0) {
				c->rs = R_CHUNK_CRLF;
				c->llen = 0;
			}
			break;
		}
		case R_CHUNK_CRLF:
			if ((r = line_byte(c, *p, 0)) == -1)
				return -1;
			p++, n--;
			if (r == 1) {
				c->llen = 0;
				c->rs = R_CHUNK_SIZE;
			}
			break;
		case R_CLOSE:
			return 0;
		}
		if (c->rs == R_LENGTH && c->remain == 0) {
			if (n > 0) {
				fail(c, F_BAD, "%zu bytes after the response",
				    n);
				return -1;
			}
			answered(c);
			return 0;
		}
	}
	return 0;
}

static void
on_readable(struct conn *c)
{
	static char	buf[65536];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (c->state == S_IDLE)
				fail(c, F_IDLE, "while idle after request %u: "
				    "%s", c->answered, strerror(errno));
			else
				fail(c, F_CLOSED, "recv (request %u): %s",
				    c->answered + 1, strerror(errno));
			return;
		}
		if (r == 0) {
			if (c->state == S_READING && c->rs == R_CLOSE) {
				c->close_after = 1;
				answered(c);	/* counts, then fails it */
			} else if (c->state == S_IDLE)
				fail(c, F_IDLE, "closed by the server while "
				    "idle after request %u", c->answered);
			else
				fail(c, F_CLOSED, "closed by the server before "
				    "the whole answer to request %u",
				    c->answered + 1);
			return;
		}
		if (c->state == S_IDLE) {
			fail(c, F_IDLE, "%zd unexpected bytes while idle: "
			    "%.30s", r, buf);
			return;
		}
		if (c->state != S_READING) {
			fail(c, F_BAD, "%zd bytes before the request was sent",
			    r);
			return;
		}
		if (feed(c, buf, (size_t)r) == -1)
			return;
		if (c->state != S_READING)
			return;
	}
}

static void
on_event(struct conn *c, uint32_t ev)
{
	if (c->state == S_FAILED || c->fd < 0)
		return;
	if (c->state == S_CONNECTING) {
		int		err = 0;
		socklen_t	len = sizeof(err);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			fail(c, F_CONNECT, "connect: %s", strerror(err));
			return;
		}
		c->connected = 1;
		c->state = S_SENDING;
		c->sent = 0;
	}
	if (c->state == S_SENDING && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		send_more(c);
	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) &&
	    c->state != S_FAILED)
		on_readable(c);
	if (c->state == S_IDLE && (ev & (EPOLLERR | EPOLLHUP)))
		fail(c, F_IDLE, "error or hang-up while idle after request "
		    "%u", c->answered);
}

/* Fail whatever has been busy longer than the time-out. */
static void
check_timeouts(double t)
{
	for (long i = 0; i < g.n; i++) {
		struct conn *c = &g.c[i];

		if ((c->state == S_CONNECTING || c->state == S_SENDING ||
		    c->state == S_READING) && t - c->started > g.timeout_s)
			fail(c, F_TIMEOUT, "%s (request %u) took over %g s",
			    c->state == S_CONNECTING ? "connect" :
			    c->state == S_SENDING ? "sending" : "the answer",
			    c->answered + 1, g.timeout_s);
	}
}

static void
poll_once(int ms)
{
	struct epoll_event	ev[NEVENTS];
	int			n;

	n = epoll_wait(g.ep, ev, NEVENTS, ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		die("epoll_wait: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++)
		on_event(ev[i].data.ptr, ev[i].events);
}

/*
 * Run `start` on every connection in state `from`, keeping at most
 * `window` in flight, until all are done, failed, or the run's limit
 * passes.  Returns the time taken.
 */
static double
phase(void (*start)(struct conn *), enum cstate from, const char *name)
{
	double	t0 = now(), last_check = t0;
	long	next = 0;

	for (;;) {
		double t;

		while (g.inflight < g.window && next < g.n) {
			struct conn *c = &g.c[next++];

			if (c->state == from)
				start(c);
		}
		if (g.inflight == 0 && next >= g.n)
			break;
		poll_once(50);
		t = now();
		if (t - last_check >= 0.1) {
			check_timeouts(t);
			last_check = t;
		}
		if (t > g.deadline) {
			for (long i = 0; i < g.n; i++) {
				struct conn *c = &g.c[i];

				if (c->state == S_CONNECTING ||
				    c->state == S_SENDING ||
				    c->state == S_READING ||
				    (c->state == from && i >= next))
					fail(c, F_LIMIT, "%s: the run's limit "
					    "of %g s passed", name, g.limit_s);
			}
			break;
		}
	}
	return now() - t0;
}

static long
count(enum cstate s)
{
	long n = 0;

	for (long i = 0; i < g.n; i++)
		n += g.c[i].state == s;
	return n;
}

static void
connect_one(struct conn *c)
{
	start_connect(c);
}

int
main(int argc, char **argv)
{
	int		 ch;
	long		 established, answered1, answered2, open_idle, f0;
	double		 t1, t2, tidle, idle_end;
	char		*src = NULL;
	size_t		 cap;

	g.n = 1000;
	g.window = 256;
	g.idle_s = 10;
	g.timeout_s = 10;
	g.limit_s = -1;
	g.path = "/";
	while ((ch = getopt(argc, argv, "b:c:hi:n:p:qt:T:")) != -1) {
		switch (ch) {
		case 'b':
			src = optarg;
			break;
		case 'c':
			g.window = (long)num_arg("-c", optarg, 1, 100000);
			break;
		case 'i':
			g.idle_s = num_arg("-i", optarg, 0, 86400);
			break;
		case 'n':
			g.n = (long)num_arg("-n", optarg, 1, 10000000);
			break;
		case 'p':
			g.path = optarg;
			if (g.path[0] != '/' || strpbrk(g.path, " \r\n") !=
			    NULL)
				die("-p: a path starting with '/', no spaces");
			break;
		case 'q':
			g.quiet = 1;
			break;
		case 't':
			g.timeout_s = num_arg("-t", optarg, 0.01, 3600);
			break;
		case 'T':
			g.limit_s = num_arg("-T", optarg, 0.1, 86400 * 2);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (src != NULL)
		parse_src(src);
	resolve(argv[optind]);
	if (g.nsrc > 0 && g.dst.ss_family != AF_INET)
		die("-b works with an IPv4 target only");
	if (g.limit_s < 0)
		g.limit_s = g.idle_s + 120;
	raise_nofile(g.n);

	cap = strlen(g.path) + strlen(g.host) + strlen(g.port) + 128;
	if ((g.req = malloc(cap)) == NULL)
		die("out of memory");
	g.reqlen = (size_t)snprintf(g.req, cap, "GET %s HTTP/1.1\r\n"
	    "Host: %s:%s\r\nUser-Agent: gw-bench-conns\r\nAccept: */*\r\n\r\n",
	    g.path, g.host, g.port);
	if ((g.c = calloc((size_t)g.n, sizeof(*g.c))) == NULL)
		die("out of memory for %ld connections", g.n);
	for (long i = 0; i < g.n; i++)
		g.c[i].fd = -1;
	if ((g.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));

	g.t0 = now();
	g.deadline = g.t0 + g.limit_s;
	if (!g.quiet)
		(void)printf("conns: %s:%s GET %s, %ld connections from %d "
		    "source address(es), window %ld, idle %g s, time-out %g "
		    "s, limit %g s\n", g.host, g.port, g.path, g.n,
		    g.nsrc > 0 ? g.nsrc : 1, g.window, g.idle_s, g.timeout_s,
		    g.limit_s);

	/* 1: connect and one request each */
	t1 = phase(connect_one, S_NEW, "connecting");
	established = answered1 = 0;
	for (long i = 0; i < g.n; i++) {
		established += g.c[i].connected;
		answered1 += g.c[i].answered >= 1;
	}
	if (!g.quiet)
		(void)printf("phase 1: established %ld, answered %ld, failed "
		    "%ld, %.2f s\n", established, answered1, g.nfailed, t1);

	/* 2: all idle; the server must neither close nor write */
	open_idle = count(S_IDLE);
	(void)printf("IDLE open=%ld\n", open_idle);
	(void)fflush(stdout);
	tidle = now();
	idle_end = tidle + (open_idle > 0 ? g.idle_s : 0);
	if (idle_end > g.deadline)
		idle_end = g.deadline;
	for (double t = now(); t < idle_end; t = now()) {
		double left = (idle_end - t) * 1000;

		poll_once(left > 200 ? 200 : (int)left + 1);
	}
	tidle = now() - tidle;
	(void)printf("IDLE-END open=%ld\n", count(S_IDLE));
	(void)fflush(stdout);
	if (!g.quiet)
		(void)printf("phase 2: idle %.1f s: %ld of %ld still open, %ld "
		    "closed by the server\n", tidle, count(S_IDLE), open_idle,
		    g.failed[F_IDLE]);

	/* 3: a second request on each */
	f0 = g.nfailed;
	t2 = phase(start_request, S_IDLE, "second request");
	answered2 = 0;
	for (long i = 0; i < g.n; i++)
		answered2 += g.c[i].answered >= 2;
	if (!g.quiet) {
		(void)printf("phase 3: answered %ld, failed %ld, %.2f s\n",
		    answered2, g.nfailed - f0, t2);
		for (int w = 0; w < F_NWHY; w++)
			if (g.failed[w] > 0)
				(void)printf("failed (%s): %ld, first: %s\n",
				    why_name[w], g.failed[w], g.first_err[w]);
		for (int s = 0; s < 600; s++)
			if (g.status_seen[s] > 0 && (s < 200 || s > 299))
				(void)printf("status %d: %d answers\n", s,
				    g.status_seen[s]);
	}
	(void)printf("RESULT conns=%ld established=%ld answered=%ld "
	    "idle_open=%ld answered_again=%ld failed=%ld", g.n, established,
	    answered1, open_idle, answered2, g.nfailed);
	for (int w = 0; w < F_NWHY; w++)
		(void)printf(" fail_%s=%ld", why_name[w], g.failed[w]);
	(void)printf(" connect_s=%.2f idle_s=%.1f again_s=%.2f total_s=%.2f\n",
	    t1, tidle, t2, now() - g.t0);
	(void)fflush(stdout);

	for (long i = 0; i < g.n; i++)
		close_conn(&g.c[i], 1);
	return g.nfailed == 0 && answered2 == g.n ? 0 : 1;
}
