/*
 * gw-chaos-upstream: an HTTP/1.1 origin server that misbehaves on purpose,
 * for the fault tests and the load tests of the gateway.
 *
 *	gw-chaos-upstream [-v] [-l addr] [-p portfile] [--seed n]
 *	    [--mix name=weight,...] [--max-size n] [--stall-ms n]
 *	    [--count-file file] [--list]
 *
 * It listens on 127.0.0.1 port 0 by default, writes the port to the -p
 * file, and forks one process per connection (keep-alive and pipelining
 * included; the children die with the server).  Each request gets one
 * behaviour: the one its path names ("/chaos/NAME/anything"), or else one
 * drawn at random with the weights of --mix from a generator seeded by
 * --seed, the connection's number and the request's number on it, so that
 * a run can be told again.  --list prints the behaviours.
 *
 * Every answer that has a body carries X-Chaos (the behaviour),
 * X-Chaos-Target (the request target as received), X-Chaos-Body-Bytes (the
 * request body's length as received) and X-Chaos-Length (the body length
 * meant), and its body is the target followed by '|', repeated and cut to
 * that length: a client checks that it got its own answer, whole.  The
 * length is the "size=N" of the query if there is one, else drawn between
 * 0 and --max-size (default 16384).
 *
 * --count-file holds the number of requests answered so far.  SIGTERM or
 * SIGINT: exit 0.  Usage errors exit 64, others 70.
 *
 * Test-only code: it trusts its command line; it binds 127.0.0.1.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#define PROG		"gw-chaos-upstream"
#define READ_BYTES	(64 * 1024)
#define URL_MAX		(8 * 1024)

/* What one request gets. */
enum behaviour {
	B_OK,		/* 200, Content-Length */
	B_CHUNKED,	/* 200, chunked, chunks of random sizes */
	B_EOF,		/* 200, body delimited by the close */
	B_CLOSE,	/* 200 with Connection: close, then close */
	B_EARLY_CLOSE,	/* 200 as if keep-alive, then close at once */
	B_IDLE_CLOSE,	/* 200 as if keep-alive, close a moment later */
	B_SLOW,		/* 200, written a few bytes at a time */
	B_BIG,		/* 200, a body of 1 to 4 MB */
	B_RESET,	/* RST once the request is read */
	B_RESET_MID,	/* head and half the body, then RST */
	B_STALL,	/* nothing, until the client goes (or --stall-ms) */
	B_STALL_BODY,	/* head and half the body, then nothing */
	B_GARBAGE,	/* bytes that are not HTTP, then close */
	B_TRUNC_HEAD,	/* half a head, then close */
	B_TRUNC_CL,	/* Content-Length N, N/2 bytes, then close */
	B_TRUNC_CHUNKED, /* chunks without the last one, then close */
	B_BIG_HEAD,	/* a head of 80 kB */
	B_MANY_FIELDS,	/* 300 fields */
	B_EXTRA,	/* the answer, then a forged second one */
	B_INTERIM,	/* 100 Continue then the answer */
	B_INTERIM_LF,	/* 100 Continue ending with bare LFs, then it */
	B_EARLY_HINTS,	/* 103 with a Link field, then the answer */
	B_SWITCH,	/* 101 Switching Protocols, never asked for */
	B_CL_TE,	/* Content-Length and chunked: ambiguous */
	B_TWO_CL,	/* two different Content-Lengths */
	B_BAD_CHUNK,	/* a chunk size that is not hex */
	B_NUL_FIELD,	/* a NUL in a field value */
	B_LF_HEAD,	/* a head with bare LF line ends (tolerated) */
	B_NOT_MODIFIED,	/* 304 with the Content-Length of the entity */
	B_NO_CONTENT,	/* 204 with Content-Length: 0 */
	B_BAD_STATUS,	/* status 999 */
	B_HUGE_CL,	/* Content-Length of 100 GB, a few bytes, close */
	B_DELAY,	/* 200 after 200 to 700 ms */
	B_HEAD_BODY,	/* a body even to HEAD */
	B_FOLD,		/* a field folded onto two lines (obs-fold) */
	B_COUNT
};

static const struct {
	const char	*name;
	int		 weight;	/* in the default --mix */
} bdesc[B_COUNT] = {
	[B_OK] = { "ok", 40 },
	[B_CHUNKED] = { "chunked", 15 },
	[B_EOF] = { "eof", 4 },
	[B_CLOSE] = { "close", 4 },
	[B_EARLY_CLOSE] = { "early-close", 4 },
	[B_IDLE_CLOSE] = { "idle-close", 4 },
	[B_SLOW] = { "slow", 2 },
	[B_BIG] = { "big", 1 },
	[B_RESET] = { "reset", 2 },
	[B_RESET_MID] = { "reset-mid", 2 },
	[B_STALL] = { "stall", 1 },
	[B_STALL_BODY] = { "stall-body", 1 },
	[B_GARBAGE] = { "garbage", 2 },
	[B_TRUNC_HEAD] = { "trunc-head", 2 },
	[B_TRUNC_CL] = { "trunc-cl", 2 },
	[B_TRUNC_CHUNKED] = { "trunc-chunked", 2 },
	[B_BIG_HEAD] = { "big-head", 1 },
	[B_MANY_FIELDS] = { "many-fields", 1 },
	[B_EXTRA] = { "extra", 2 },
	[B_INTERIM] = { "interim", 2 },
	[B_INTERIM_LF] = { "interim-lf", 1 },
	[B_EARLY_HINTS] = { "early-hints", 1 },
	[B_SWITCH] = { "switch", 1 },
	[B_CL_TE] = { "cl-te", 2 },
	[B_TWO_CL] = { "two-cl", 1 },
	[B_BAD_CHUNK] = { "bad-chunk", 1 },
	[B_NUL_FIELD] = { "nul-field", 1 },
	[B_LF_HEAD] = { "lf-head", 1 },
	[B_NOT_MODIFIED] = { "not-modified", 1 },
	[B_NO_CONTENT] = { "no-content", 1 },
	[B_BAD_STATUS] = { "bad-status", 1 },
	[B_HUGE_CL] = { "huge-cl", 1 },
	[B_DELAY] = { "delay", 1 },
	[B_HEAD_BODY] = { "head-body", 0 },
	[B_FOLD] = { "fold", 1 }
};

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

struct conn {
	int			 fd;
	unsigned long		 no;		/* connection number */
	unsigned long		 nreq;		/* requests on it so far */
	http_parser		 parser;
	struct buf		 url;
	unsigned long long	 body_bytes;
	int			 head;		/* HEAD request */
	int			 complete;
	int			 keepalive;
};

static const char		*listen_addr = "127.0.0.1:0";
static const char		*portfile;
static const char		*countfile;
static uint64_t			 seed = 1;
static int			 weights[B_COUNT];
static int			 wtotal;
static size_t			 max_size = 16384;
static long			 stall_ms = 60000;
static int			 verbose;
static volatile sig_atomic_t	 stopping;

static void	usage(void) __attribute__((__noreturn__));
static void	die(const char *, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-v] [-l addr] [-p portfile] [--seed n]\n"
	    "\t[--mix name=weight,...] [--max-size n] [--stall-ms n]\n"
	    "\t[--count-file file] [--list]\n");
	exit(64);
}

static void
die(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (saved != 0)
		fprintf(stderr, ": %s", strerror(saved));
	fprintf(stderr, "\n");
	exit(70);
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (n == 0)
		return;
	if (b->cap - b->len < n) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap - b->len < n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			die("out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

__attribute__((__format__(printf, 2, 3)))
static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[1024];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf");
	buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void
buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* splitmix64: one draw from a state. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
count_bump(void)
{
	char			 b[32];
	ssize_t			 n;
	unsigned long long	 v;
	int			 fd, len;

	if (countfile == NULL)
		return;
	if ((fd = open(countfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return;
	if (flock(fd, LOCK_EX) == 0 &&
	    (n = pread(fd, b, sizeof(b) - 1, 0)) != -1) {
		b[n] = '\0';
		v = strtoull(b, NULL, 10) + 1;
		len = snprintf(b, sizeof(b), "%llu\n", v);
		if (pwrite(fd, b, (size_t)len, 0) == len)
			(void)ftruncate(fd, len);
	}
	close(fd);
}

/* The body meant for target: "target|" repeated, len bytes. */
static void
fill_body(struct buf *b, const struct buf *target, size_t len)
{
	size_t plen = target->len + 1;

	for (size_t i = 0; i < len; i++) {
		size_t k = i % plen;

		buf_add(b, k < target->len ? target->p + k : "|", 1);
	}
}

/* "size=N" in the query, or a draw. */
static size_t
body_size(const struct conn *c, uint64_t *rs)
{
	const char	*q, *s;
	char		 tmp[32];
	size_t		 n = 0;

	if (c->url.len > 0 && (q = memchr(c->url.p, '?', c->url.len)) != NULL) {
		for (s = q + 1; s + 5 <= c->url.p + c->url.len; s++)
			if (memcmp(s, "size=", 5) == 0 && (s == q + 1 ||
			    s[-1] == '&')) {
				const char *e = s + 5;
				size_t i = 0;

				while (e < c->url.p + c->url.len && *e >= '0' &&
				    *e <= '9' && i < sizeof(tmp) - 1)
					tmp[i++] = *e++;
				tmp[i] = '\0';
				return (size_t)strtoull(tmp, NULL, 10);
			}
	}
	if (max_size > 0)
		n = (size_t)(rng_next(rs) % (max_size + 1));
	return n;
}

/* The behaviour a request gets. */
static enum behaviour
choose(const struct conn *c, uint64_t *rs)
{
	static const char	 prefix[] = "/chaos/";
	const char		*u = c->url.p;
	size_t			 n = c->url.len, pl = sizeof(prefix) - 1;
	int			 r;

	if (n > pl && memcmp(u, prefix, pl) == 0) {
		size_t e = pl;

		while (e < n && u[e] != '/' && u[e] != '?')
			e++;
		for (int b = 0; b < B_COUNT; b++)
			if (strlen(bdesc[b].name) == e - pl &&
			    memcmp(u + pl, bdesc[b].name, e - pl) == 0)
				return (enum behaviour)b;
	}
	r = (int)(rng_next(rs) % (uint64_t)wtotal);
	for (int b = 0; b < B_COUNT; b++) {
		if (r < weights[b])
			return (enum behaviour)b;
		r -= weights[b];
	}
	return B_OK;
}

/* The head of a 200 with our fields, without its framing or its end. */
static void
head_200(struct buf *h, const struct conn *c, enum behaviour b, size_t len)
{
	buf_printf(h, "HTTP/1.1 200 OK\r\n");
	buf_printf(h, "Content-Type: application/octet-stream\r\n");
	buf_printf(h, "X-Chaos: %s\r\n", bdesc[b].name);
	buf_printf(h, "X-Chaos-Target: %.*s\r\n", (int)c->url.len,
	    c->url.p == NULL ? "" : c->url.p);
	buf_printf(h, "X-Chaos-Body-Bytes: %llu\r\n", c->body_bytes);
	buf_printf(h, "X-Chaos-Length: %zu\r\n", len);
}

static void
do_reset(int fd)
{
	struct linger l = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Wait until the peer closes or ms pass. */
static void
hold(int fd, long ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		tmp[4096];

	for (;;) {
		int n = poll(&pfd, 1, (int)ms);

		if (n <= 0)
			return;
		if (read(fd, tmp, sizeof(tmp)) <= 0)
			return;
	}
}

/*
 * Answer the request just parsed.  Returns 0 to read the next request,
 * -1 to close (after a reset, SO_LINGER is set).
 */
static int
respond(struct conn *c)
{
	static const char garbage[] = "\x16\x03\x01\x02\x00 not HTTP at all "
	    "\xff\xfe\r\n\r\n";
	struct buf	 h = { NULL, 0, 0 }, body = { NULL, 0, 0 };
	uint64_t	 rs;
	enum behaviour	 b;
	size_t		 len;
	int		 rc = -1, keep = c->keepalive;

	rs = seed ^ ((uint64_t)c->no << 24) ^ (uint64_t)c->nreq;
	(void)rng_next(&rs);
	b = choose(c, &rs);
	len = body_size(c, &rs);
	c->nreq++;
	if (verbose)
		fprintf(stderr, PROG ": conn %lu req %lu: %s %.*s -> %s\n",
		    c->no, c->nreq, c->head ? "HEAD" : "req", (int)c->url.len,
		    c->url.p == NULL ? "" : c->url.p, bdesc[b].name);
	count_bump();
	if (b == B_BIG)
		len = (size_t)(1 + rng_next(&rs) % 4) << 20;
	fill_body(&body, &c->url, len);
	switch (b) {
	case B_OK:
	case B_CLOSE:
	case B_EARLY_CLOSE:
	case B_IDLE_CLOSE:
	case B_BIG:
	case B_DELAY:
	case B_EXTRA:
	case B_INTERIM:
	case B_INTERIM_LF:
	case B_EARLY_HINTS:
	case B_HEAD_BODY:
		if (b == B_INTERIM)
			buf_printf(&h, "HTTP/1.1 100 Continue\r\n\r\n");
		else if (b == B_INTERIM_LF)
			buf_printf(&h, "HTTP/1.1 100 Continue\n\n");
		else if (b == B_EARLY_HINTS)
			buf_printf(&h, "HTTP/1.1 103 Early Hints\r\n"
			    "Link: </style.css>; rel=preload\r\n\r\n");
		head_200(&h, c, b, len);
		buf_printf(&h, "Content-Length: %zu\r\n", len);
		if (b == B_CLOSE || !keep)
			buf_printf(&h, "Connection: close\r\n");
		buf_printf(&h, "\r\n");
		if (!c->head || b == B_HEAD_BODY)
			buf_add(&h, body.p, body.len);
		if (b == B_EXTRA)
			buf_printf(&h, "HTTP/1.1 200 OK\r\nX-Chaos: forged\r\n"
			    "X-Chaos-Target: /forged\r\nContent-Length: 7\r\n"
			    "\r\n/forged");
		if (b == B_DELAY)
			sleep_ms(200 + (long)(rng_next(&rs) % 500));
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		if (b == B_IDLE_CLOSE)
			hold(c->fd, (long)(rng_next(&rs) % 30));
		rc = b == B_CLOSE || b == B_EARLY_CLOSE || b == B_IDLE_CLOSE ||
		    !keep ? -1 : 0;
		break;
	case B_CHUNKED:
	case B_TRUNC_CHUNKED:
	case B_BAD_CHUNK:
		head_200(&h, c, b, len);
		buf_printf(&h, "Transfer-Encoding: chunked\r\n\r\n");
		if (!c->head) {
			size_t off = 0;

			while (off < len) {
				size_t n = 1 + (size_t)(rng_next(&rs) % 4096);

				if (n > len - off)
					n = len - off;
				if (b == B_BAD_CHUNK && off > 0) {
					buf_printf(&h, "zz\r\n");
					break;
				}
				buf_printf(&h, "%zx\r\n", n);
				buf_add(&h, body.p + off, n);
				buf_printf(&h, "\r\n");
				off += n;
			}
			if (b == B_CHUNKED || (b == B_BAD_CHUNK && len == 0))
				buf_printf(&h, b == B_BAD_CHUNK ? "zz\r\n" :
				    "0\r\n\r\n");
		}
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		rc = b == B_CHUNKED && keep ? 0 : -1;
		break;
	case B_EOF:
		head_200(&h, c, b, len);
		buf_printf(&h, "Connection: close\r\n\r\n");
		if (!c->head)
			buf_add(&h, body.p, body.len);
		(void)write_all(c->fd, h.p, h.len);
		break;
	case B_SLOW:
		head_200(&h, c, b, len);
		buf_printf(&h, "Content-Length: %zu\r\n\r\n", len);
		if (!c->head)
			buf_add(&h, body.p, body.len < 400 ? body.len : 400);
		for (size_t off = 0; off < h.len; off += 16) {
			size_t n = h.len - off < 16 ? h.len - off : 16;

			if (write_all(c->fd, h.p + off, n) == -1)
				goto out;
			sleep_ms(2);
		}
		if (!c->head && body.len > 400 && write_all(c->fd,
		    body.p + 400, body.len - 400) == -1)
			goto out;
		rc = keep ? 0 : -1;
		break;
	case B_RESET:
		do_reset(c->fd);
		break;
	case B_RESET_MID:
	case B_STALL_BODY:
	case B_TRUNC_CL:
	case B_HUGE_CL:
		head_200(&h, c, b, len);
		if (b == B_HUGE_CL)
			buf_printf(&h, "Content-Length: 100000000000\r\n\r\n");
		else
			buf_printf(&h, "Content-Length: %zu\r\n\r\n", len + 10);
		if (!c->head)
			buf_add(&h, body.p, len / 2);
		(void)write_all(c->fd, h.p, h.len);
		if (b == B_RESET_MID)
			do_reset(c->fd);
		else if (b == B_STALL_BODY)
			hold(c->fd, stall_ms);
		break;
	case B_STALL:
		hold(c->fd, stall_ms);
		break;
	case B_GARBAGE:
		(void)write_all(c->fd, garbage, sizeof(garbage) - 1);
		break;
	case B_TRUNC_HEAD:
		head_200(&h, c, b, len);
		(void)write_all(c->fd, h.p, h.len / 2);
		break;
	case B_BIG_HEAD:
	case B_MANY_FIELDS:
		head_200(&h, c, b, len);
		for (int i = 0; i < (b == B_BIG_HEAD ? 80 : 300); i++) {
			buf_printf(&h, "X-Filler-%d: ", i);
			for (int j = 0; j < (b == B_BIG_HEAD ? 1000 : 4); j++)
				buf_add(&h, "x", 1);
			buf_printf(&h, "\r\n");
		}
		buf_printf(&h, "Content-Length: %zu\r\n\r\n", len);
		if (!c->head)
			buf_add(&h, body.p, body.len);
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		rc = keep ? 0 : -1;
		break;
	case B_SWITCH:
		buf_printf(&h, "HTTP/1.1 101 Switching Protocols\r\n"
		    "Connection: upgrade\r\nUpgrade: chaos\r\n\r\nnot HTTP");
		(void)write_all(c->fd, h.p, h.len);
		break;
	case B_FOLD:
		head_200(&h, c, b, len);
		buf_printf(&h, "Content-Security-Policy: default-src 'self';\r\n"
		    " img-src *\r\nContent-Length: %zu\r\n\r\n", len);
		if (!c->head)
			buf_add(&h, body.p, body.len);
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		rc = keep ? 0 : -1;
		break;
	case B_CL_TE:
	case B_TWO_CL:
	case B_NUL_FIELD:
	case B_BAD_STATUS:
		if (b == B_BAD_STATUS) {
			buf_printf(&h, "HTTP/1.1 999 Weird\r\n");
			buf_printf(&h, "X-Chaos: %s\r\n", bdesc[b].name);
		} else
			head_200(&h, c, b, len);
		if (b == B_CL_TE)
			buf_printf(&h, "Content-Length: %zu\r\n"
			    "Transfer-Encoding: chunked\r\n", len);
		else if (b == B_TWO_CL)
			buf_printf(&h, "Content-Length: %zu\r\n"
			    "Content-Length: %zu\r\n", len, len + 1);
		else {
			buf_printf(&h, "X-Nul: a");
			buf_add(&h, "\0", 1);
			buf_printf(&h, "b\r\nContent-Length: %zu\r\n", len);
		}
		buf_printf(&h, "Connection: close\r\n\r\n");
		if (!c->head)
			buf_add(&h, body.p, body.len);
		(void)write_all(c->fd, h.p, h.len);
		break;
	case B_LF_HEAD:
		buf_printf(&h, "HTTP/1.1 200 OK\n");
		buf_printf(&h, "X-Chaos: %s\n", bdesc[b].name);
		buf_printf(&h, "X-Chaos-Target: %.*s\n", (int)c->url.len,
		    c->url.p == NULL ? "" : c->url.p);
		buf_printf(&h, "X-Chaos-Body-Bytes: %llu\n", c->body_bytes);
		buf_printf(&h, "X-Chaos-Length: %zu\n", len);
		buf_printf(&h, "Content-Length: %zu\n\n", len);
		if (!c->head)
			buf_add(&h, body.p, body.len);
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		rc = keep ? 0 : -1;
		break;
	case B_NOT_MODIFIED:
	case B_NO_CONTENT:
		if (b == B_NOT_MODIFIED)
			buf_printf(&h, "HTTP/1.1 304 Not Modified\r\n"
			    "ETag: \"chaos\"\r\nContent-Length: %zu\r\n", len);
		else
			buf_printf(&h, "HTTP/1.1 204 No Content\r\n"
			    "Content-Length: 0\r\n");
		buf_printf(&h, "X-Chaos: %s\r\n", bdesc[b].name);
		buf_printf(&h, "X-Chaos-Target: %.*s\r\n\r\n",
		    (int)c->url.len, c->url.p == NULL ? "" : c->url.p);
		if (write_all(c->fd, h.p, h.len) == -1)
			goto out;
		rc = keep ? 0 : -1;
		break;
	case B_COUNT:
		break;
	}
 out:
	buf_release(&h);
	buf_release(&body);
	return rc;
}

static struct conn *
conn_of(http_parser *p)
{
	return p->data;
}

static int
on_message_begin(http_parser *p)
{
	struct conn *c = conn_of(p);

	c->url.len = 0;
	c->body_bytes = 0;
	c->complete = 0;
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct conn *c = conn_of(p);

	if (c->url.len + len <= URL_MAX)
		buf_add(&c->url, at, len);
	return 0;
}

static int
on_headers_complete(http_parser *p)
{
	conn_of(p)->head = p->method == HTTP_HEAD;
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	(void)at;
	conn_of(p)->body_bytes += len;
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct conn *c = conn_of(p);

	c->keepalive = http_should_keep_alive(p);
	c->complete = 1;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete
};

/* One connection, in its own process. */
static void
serve(int fd, unsigned long no)
{
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static char	 rbuf[READ_BYTES];
	struct conn	 c;
	ssize_t		 n;
	size_t		 off, used;
	enum http_errno	 err;
	int		 one = 1;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.no = no;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	http_parser_init(&c.parser, HTTP_REQUEST);
	c.parser.data = &c;
	for (;;) {
		if ((n = read(fd, rbuf, sizeof(rbuf))) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n; off += used) {
			used = http_parser_execute(&c.parser, &settings,
			    rbuf + off, (size_t)n - off);
			err = HTTP_PARSER_ERRNO(&c.parser);
			if (err == HPE_PAUSED) {
				http_parser_pause(&c.parser, 0);
				if (respond(&c) == -1)
					goto out;
				continue;
			}
			if (err != HPE_OK) {
				if (verbose)
					fprintf(stderr, PROG ": bad request: "
					    "%s\n", http_errno_description(err));
				(void)write_all(fd, bad, sizeof(bad) - 1);
				goto out;
			}
			if (used == 0)
				break;
		}
	}
 out:
	buf_release(&c.url);
	close(fd);
}

static void
set_mix(const char *spec)
{
	char	*copy, *item, *save = NULL;

	memset(weights, 0, sizeof(weights));
	if ((copy = strdup(spec)) == NULL)
		die("out of memory");
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		char	*eq = strchr(item, '='), *end;
		long	 w;
		int	 found = 0;

		if (eq == NULL)
			usage();
		*eq++ = '\0';
		errno = 0;
		w = strtol(eq, &end, 10);
		if (errno != 0 || end == eq || *end != '\0' || w < 0 ||
		    w > 1000000)
			usage();
		for (int b = 0; b < B_COUNT; b++)
			if (strcmp(bdesc[b].name, item) == 0) {
				weights[b] = (int)w;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, PROG ": unknown behaviour '%s'\n",
			    item);
			usage();
		}
	}
	free(copy);
}

static int
open_listener(const char *spec, int *portp)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	char			host[64];
	const char		*colon;
	int			fd, one = 1;
	long			p;
	char			*end;

	if ((colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host))
		usage();
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p < 0 || p > 65535)
		usage();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		usage();
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("cannot bind '%s'", spec);
	if (listen(fd, SOMAXCONN) == -1)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		die("getsockname");
	*portp = ntohs(sin.sin_port);
	return fd;
}

static void
write_file_atomic(const char *path, const char *s)
{
	char	tmp[PATH_MAX];
	int	fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		die("'%s': path too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		die("cannot open '%s'", tmp);
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) == -1)
		die("cannot write '%s'", tmp);
	if (rename(tmp, path) == -1)
		die("cannot rename '%s'", tmp);
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
	enum { O_SEED = 256, O_MIX, O_MAXSIZE, O_STALL, O_COUNT, O_LIST };
	static const struct option longopts[] = {
		{ "listen",	required_argument,	NULL, 'l' },
		{ "port-file",	required_argument,	NULL, 'p' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "seed",	required_argument,	NULL, O_SEED },
		{ "mix",	required_argument,	NULL, O_MIX },
		{ "max-size",	required_argument,	NULL, O_MAXSIZE },
		{ "stall-ms",	required_argument,	NULL, O_STALL },
		{ "count-file",	required_argument,	NULL, O_COUNT },
		{ "list",	no_argument,		NULL, O_LIST },
		{ NULL,		0,			NULL, 0 }
	};
	struct sigaction	 sa;
	struct pollfd		 pfd;
	sigset_t		 block, orig;
	char			 portstr[32], *end;
	unsigned long		 nconn = 0;
	pid_t			 parent, pid;
	int			 ch, lfd, fd, port;

	for (int b = 0; b < B_COUNT; b++)
		weights[b] = bdesc[b].weight;
	while ((ch = getopt_long(argc, argv, "l:p:v", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'l':
			listen_addr = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case O_SEED:
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				usage();
			break;
		case O_MIX:
			set_mix(optarg);
			break;
		case O_MAXSIZE:
			errno = 0;
			max_size = (size_t)strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    max_size > 64 * 1024 * 1024)
				usage();
			break;
		case O_STALL:
			errno = 0;
			stall_ms = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    stall_ms < 0 || stall_ms > 3600000)
				usage();
			break;
		case O_COUNT:
			countfile = optarg;
			break;
		case O_LIST:
			for (int b = 0; b < B_COUNT; b++)
				printf("%s\t%d\n", bdesc[b].name,
				    bdesc[b].weight);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	wtotal = 0;
	for (int b = 0; b < B_COUNT; b++)
		wtotal += weights[b];
	if (wtotal == 0)
		usage();
	if (countfile != NULL)
		write_file_atomic(countfile, "0\n");

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &orig) == -1)
		die("sigprocmask");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		die("sigaction");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGPIPE, &sa, NULL) == -1)
		die("sigaction");

	lfd = open_listener(listen_addr, &port);
	if (portfile != NULL) {
		(void)snprintf(portstr, sizeof(portstr), "%d\n", port);
		write_file_atomic(portfile, portstr);
	}
	if (verbose)
		fprintf(stderr, PROG ": listening on port %d, seed %llu\n",
		    port, (unsigned long long)seed);
	parent = getpid();
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!stopping) {
		if (ppoll(&pfd, 1, NULL, &orig) == -1) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EAGAIN || errno == EMFILE ||
			    errno == ENFILE)
				continue;
			die("accept");
		}
		nconn++;
		if ((pid = fork()) == -1) {
			fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
			close(fd);
			continue;
		}
		if (pid == 0) {
			sa.sa_handler = SIG_DFL;
			(void)sigaction(SIGTERM, &sa, NULL);
			(void)sigaction(SIGINT, &sa, NULL);
			(void)sigprocmask(SIG_SETMASK, &orig, NULL);
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
			    getppid() != parent)
				_exit(0);
			close(lfd);
			serve(fd, nconn);
			_exit(0);
		}
		close(fd);
	}
	close(lfd);
	return 0;
}
