/*
 * gw-load: bounded load for the gateway's load tests (tests/load/), on
 * 127.0.0.1 only, one thread, one epoll loop.
 *
 *	gw-load -p port -m hold -n conns [-t hold_s] [-r readyfile]
 *	gw-load -p port -m rate -c conns -d seconds [-s slow] [-P path]
 *	gw-load -p port -m chaos -c conns -d seconds [-S maxsize] [-x deadline_s]
 *
 * hold	opens conns keep-alive connections, one request each, and keeps
 *	them; once all are answered it writes "ready N" to the -r file and
 *	holds them -t seconds, then asks again on every one of them: each
 *	must still be open and answer 200.
 * rate	runs conns closed-loop keep-alive connections for the duration
 *	(one request in flight each) and reports the latency percentiles;
 *	with -s, that many slow clients meanwhile send a request head one
 *	byte a second, reconnecting when the server closes them.
 * chaos	like rate, against gw-serve in front of gw-chaos-upstream: every
 *	request asks for its own target (/r/CONN/SEQ?size=N) and every
 *	answer is checked: a 200 must be whole, for this target, with the
 *	body gw-chaos-upstream makes for it; otherwise 502 or 504 as
 *	application/problem+json; or a 200 whose body breaks off with its
 *	connection, when the upstream's X-Chaos behaviour broke off itself.
 *	Anything else, or no answer within -x seconds, is a failure.
 *
 * Prints one line of "key=value" results on stdout and exits 0, or 1 when
 * a check failed (hold: a connection lost; chaos: a wrong answer), 64 on
 * a usage error, 70 on a system error.
 *
 * Test-only code: it trusts its command line.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
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

#define PROG		"gw-load"
#define SLOW_HEAD	"GET /slow HTTP/1.1\r\nHost: slow.test\r\nX-Slow: 1\r\n\r\n"

enum mode {
	M_HOLD,
	M_RATE,
	M_CHAOS
};

enum cstate {
	C_CONNECTING,
	C_SENDING,
	C_READING,
	C_IDLE,		/* hold: answered, kept */
	C_SLOW,		/* a slow client between bytes */
	C_DONE
};

struct conn {
	int			 fd;
	unsigned		 id;
	enum cstate		 state;
	int			 slow;
	char			 req[512];
	size_t			 reqlen, reqoff;
	uint64_t		 start_us;	/* request sent */
	uint64_t		 next_us;	/* slow: next byte */
	http_parser		 parser;
	/* the answer */
	int			 status;
	int			 complete;
	char			 field[32];
	size_t			 fieldlen;
	int			 in_value;
	int			 which;		/* field being read */
	char			 chaos[32];
	char			 target[256];
	size_t			 targetlen;
	long long		 want_len;	/* X-Chaos-Length */
	int			 problem;	/* problem+json */
	uint64_t		 body;
	int			 body_bad;
	unsigned		 seq;
	char			 mytarget[128];
	size_t			 mylen;
};

static enum mode	 mode = M_RATE;
static int		 port;
static unsigned		 nconns = 1;
static unsigned		 nslow;
static unsigned		 duration_s = 10;
static unsigned		 hold_s = 5;
static unsigned		 deadline_s = 30;
static unsigned long	 max_size = 16384;
static const char	*readyfile;
static const char	*path = "/load";
static int		 epfd;
static struct conn	*conns;
static unsigned		 total;

/* results */
static uint32_t		*lat;		/* microseconds, per request */
static size_t		 nlat, caplat;
static unsigned long	 n_ok, n_err, n_trunc, n_bad, n_lost, n_reconnect;
static unsigned long	 n_slow_cut, n_slow_bytes, n_502, n_504;

static void	usage(void) __attribute__((__noreturn__));
static void	die(const char *, ...)
		    __attribute__((__format__(printf, 1, 2), __noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: " PROG " -p port [-m hold|rate|chaos] [-n "
	    "conns] [-c conns] [-d seconds]\n\t[-s slow] [-t hold_s] [-r "
	    "readyfile] [-P path] [-S maxsize] [-x deadline_s]\n");
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

static uint64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
record(uint64_t us)
{
	if (nlat == caplat) {
		size_t		 ncap = caplat == 0 ? 65536 : caplat * 2;
		uint32_t	*n = realloc(lat, ncap * sizeof(*lat));

		if (n == NULL)
			die("out of memory");
		lat = n;
		caplat = ncap;
	}
	lat[nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* The body gw-chaos-upstream makes for target: "target|" repeated. */
static int
body_byte_ok(const struct conn *c, uint64_t off, unsigned char b)
{
	size_t plen = c->mylen + 1, k = (size_t)(off % plen);

	return b == (k < c->mylen ? (unsigned char)c->mytarget[k] : '|');
}

/* Parsing answers. */

enum { F_OTHER, F_CHAOS, F_TARGET, F_LENGTH, F_CTYPE };

static int
on_begin(http_parser *p)
{
	struct conn *c = p->data;

	c->status = 0;
	c->complete = 0;
	c->fieldlen = 0;
	c->in_value = 0;
	c->chaos[0] = '\0';
	c->targetlen = 0;
	c->want_len = -1;
	c->problem = 0;
	c->body = 0;
	c->body_bad = 0;
	return 0;
}

static int
on_field(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (c->in_value) {
		c->in_value = 0;
		c->fieldlen = 0;
	}
	if (c->fieldlen + len < sizeof(c->field)) {
		memcpy(c->field + c->fieldlen, at, len);
		c->fieldlen += len;
	} else
		c->fieldlen = sizeof(c->field) - 1;
	c->field[c->fieldlen] = '\0';
	return 0;
}

static int
on_value(http_parser *p, const char *at, size_t len)
{
	struct conn	*c = p->data;
	char		 tmp[32];

	if (!c->in_value) {
		c->in_value = 1;
		c->which = strcasecmp(c->field, "x-chaos") == 0 ? F_CHAOS :
		    strcasecmp(c->field, "x-chaos-target") == 0 ? F_TARGET :
		    strcasecmp(c->field, "x-chaos-length") == 0 ? F_LENGTH :
		    strcasecmp(c->field, "content-type") == 0 ? F_CTYPE :
		    F_OTHER;
	}
	switch (c->which) {
	case F_CHAOS:
		(void)snprintf(c->chaos, sizeof(c->chaos), "%.*s", (int)len,
		    at);
		break;
	case F_TARGET:
		if (c->targetlen + len < sizeof(c->target)) {
			memcpy(c->target + c->targetlen, at, len);
			c->targetlen += len;
		}
		break;
	case F_LENGTH:
		(void)snprintf(tmp, sizeof(tmp), "%.*s", (int)len, at);
		c->want_len = strtoll(tmp, NULL, 10);
		break;
	case F_CTYPE:
		c->problem = len >= 24 &&
		    strncasecmp(at, "application/problem+json", 24) == 0;
		break;
	default:
		break;
	}
	return 0;
}

static int
on_headers(http_parser *p)
{
	struct conn *c = p->data;

	c->status = (int)p->status_code;
	/* a 304 may announce the length it does not send (RFC 9110 8.6) */
	return c->status == 204 || c->status == 304 ? 1 : 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (mode == M_CHAOS && c->status == 200)
		for (size_t i = 0; i < len && !c->body_bad; i++)
			if (!body_byte_ok(c, c->body + i,
			    (unsigned char)at[i]))
				c->body_bad = 1;
	c->body += len;
	return 0;
}

static int
on_complete(http_parser *p)
{
	struct conn *c = p->data;

	c->complete = 1;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers,
	.on_body = on_body,
	.on_message_complete = on_complete
};

/* Connections. */

static void
conn_watch(struct conn *c, uint32_t ev, int op)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(epfd, op, c->fd, &e) == -1)
		die("epoll_ctl");
}

static void
make_request(struct conn *c)
{
	int n;

	if (c->slow) {
		c->reqlen = sizeof(SLOW_HEAD) - 1;
		memcpy(c->req, SLOW_HEAD, c->reqlen);
	} else if (mode == M_CHAOS) {
		unsigned long size = (unsigned long)random() % (max_size + 1);

		n = snprintf(c->mytarget, sizeof(c->mytarget),
		    "/r/%u/%u?size=%lu", c->id, c->seq, size);
		c->mylen = (size_t)n;
		n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\n"
		    "Host: load.test\r\n\r\n", c->mytarget);
		c->reqlen = (size_t)n;
	} else {
		n = snprintf(c->req, sizeof(c->req), "GET %s HTTP/1.1\r\n"
		    "Host: load.test\r\n\r\n", path);
		c->reqlen = (size_t)n;
	}
	c->seq++;
	c->reqoff = 0;
	http_parser_init(&c->parser, HTTP_RESPONSE);
	c->parser.data = c;
}

static int
conn_open(struct conn *c)
{
	struct sockaddr_in	sin;
	int			one = 1;

	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->state = C_CONNECTING;
	make_request(c);
	conn_watch(c, EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

static void
conn_drop(struct conn *c)
{
	if (c->fd != -1) {
		(void)epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = C_DONE;
}

/* The answer is over (or the connection broke): account, go on. */
static void
finish(struct conn *c, int broke, int running)
{
	uint64_t t = now_us();

	if (mode == M_CHAOS) {
		int trunc_ok = strcmp(c->chaos, "trunc-cl") == 0 ||
		    strcmp(c->chaos, "trunc-chunked") == 0 ||
		    strcmp(c->chaos, "reset-mid") == 0 ||
		    strcmp(c->chaos, "stall-body") == 0 ||
		    strcmp(c->chaos, "bad-chunk") == 0 ||
		    strcmp(c->chaos, "huge-cl") == 0;

		if (c->complete && (c->status == 204 || c->status == 304) &&
		    strcmp(c->chaos, c->status == 204 ? "no-content" :
		    "not-modified") == 0 && c->targetlen == c->mylen &&
		    memcmp(c->target, c->mytarget, c->mylen) == 0)
			n_ok++;
		else if (c->complete && c->status == 200 && !c->body_bad &&
		    c->targetlen == c->mylen &&
		    memcmp(c->target, c->mytarget, c->mylen) == 0 &&
		    (long long)c->body == c->want_len)
			n_ok++;
		else if (c->complete && (c->status == 502 ||
		    c->status == 504) && c->problem) {
			n_err++;
			if (c->status == 502)
				n_502++;
			else
				n_504++;
		} else if (broke && c->status == 200 && trunc_ok &&
		    !c->body_bad && c->targetlen == c->mylen &&
		    memcmp(c->target, c->mytarget, c->mylen) == 0)
			n_trunc++;
		else {
			n_bad++;
			fprintf(stderr, PROG ": bad answer on %s: status %d, "
			    "%s, chaos '%s', target '%.*s', %llu of %lld "
			    "bytes%s\n", c->mytarget, c->status,
			    c->complete ? "complete" : broke ? "broken" :
			    "unfinished", c->chaos, (int)c->targetlen,
			    c->target, (unsigned long long)c->body,
			    c->want_len, c->body_bad ? ", wrong bytes" : "");
		}
	} else if (c->complete && c->status == 200)
		n_ok++;
	else if (c->complete)
		n_err++;
	else
		n_lost++;
	if (!c->slow && c->complete)
		record(t - c->start_us);
	if (broke || !c->complete || !http_should_keep_alive(&c->parser)) {
		conn_drop(c);
		if (running) {
			n_reconnect++;
			(void)conn_open(c);
		}
		return;
	}
	if (mode == M_HOLD) {
		c->state = C_IDLE;
		conn_watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		return;
	}
	if (!running) {
		conn_drop(c);
		return;
	}
	make_request(c);
	c->state = C_SENDING;
	conn_watch(c, EPOLLOUT, EPOLL_CTL_MOD);
}

static void
conn_write(struct conn *c)
{
	size_t	n = c->reqlen - c->reqoff;
	ssize_t	w;

	if (c->slow)
		n = n > 0 ? 1 : 0;
	if (n == 0)
		return;
	if ((w = send(c->fd, c->req + c->reqoff, n, MSG_NOSIGNAL)) == -1) {
		if (errno == EAGAIN)
			return;
		finish(c, 1, 1);
		return;
	}
	if (c->reqoff == 0)
		c->start_us = now_us();
	c->reqoff += (size_t)w;
	if (c->slow) {
		n_slow_bytes++;
		c->next_us = now_us() + 1000000;
		c->state = c->reqoff == c->reqlen ? C_READING : C_SLOW;
		conn_watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		return;
	}
	if (c->reqoff == c->reqlen) {
		c->state = C_READING;
		conn_watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
	}
}

static void
conn_read(struct conn *c, int running)
{
	char	buf[65536];
	ssize_t	n;

	for (;;) {
		size_t used;

		n = read(c->fd, buf, sizeof(buf));
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EOF: a close-delimited body ends here */
			if (n == 0 && c->state == C_READING)
				(void)http_parser_execute(&c->parser,
				    &settings, buf, 0);
			if (c->slow && c->state != C_READING) {
				/* the server cut a slow client short */
				n_slow_cut++;
				conn_drop(c);
				if (running)
					(void)conn_open(c);
				return;
			}
			if (c->state == C_IDLE) {
				n_lost++;
				conn_drop(c);
				return;
			}
			finish(c, 1, running);
			return;
		}
		if (c->state == C_SLOW) {
			/* an answer (408) before the head was sent */
			n_slow_cut++;
			conn_drop(c);
			if (running)
				(void)conn_open(c);
			return;
		}
		if (c->state == C_IDLE) {
			n_bad++;
			fprintf(stderr, PROG ": bytes on an idle connection\n");
			conn_drop(c);
			return;
		}
		used = http_parser_execute(&c->parser, &settings, buf,
		    (size_t)n);
		if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			if ((size_t)n > used + 0 && !c->slow) {
				n_bad++;
				fprintf(stderr, PROG ": %zu bytes after an "
				    "answer\n", (size_t)n - used);
			}
			finish(c, 0, running);
			return;
		}
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
			finish(c, 1, running);
			return;
		}
	}
}

static void
conn_event(struct conn *c, uint32_t ev, int running)
{
	if (c->state == C_CONNECTING) {
		int		e = 0;
		socklen_t	el = sizeof(e);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1 ||
		    e != 0) {
			n_lost++;
			conn_drop(c);
			if (running && mode != M_HOLD) {
				n_reconnect++;
				(void)conn_open(c);
			}
			return;
		}
		c->state = c->slow ? C_SLOW : C_SENDING;
		if (c->slow) {
			c->next_us = now_us();
			conn_watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
			return;
		}
	}
	if ((ev & EPOLLOUT) && c->state == C_SENDING)
		conn_write(c);
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c, running);
}

/* Run the loop until done() says so or deadline (us). */
static void
run(uint64_t until, int running, int (*done)(void))
{
	struct epoll_event	evs[256];
	uint64_t		last_tick = 0;

	while (now_us() < until && (done == NULL || !done())) {
		int	n = epoll_wait(epfd, evs, 256, 50);
		uint64_t t;

		if (n == -1 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events, running);
		t = now_us();
		if (nslow > 0 && t - last_tick >= 50000) {
			last_tick = t;
			for (unsigned i = 0; i < total; i++) {
				struct conn *c = &conns[i];

				if (c->slow && c->state == C_SLOW &&
				    c->next_us <= t)
					conn_write(c);
			}
		}
	}
}

static int
all_idle(void)
{
	for (unsigned i = 0; i < total; i++)
		if (conns[i].state != C_IDLE && conns[i].state != C_DONE)
			return 0;
	return 1;
}

static int
all_done(void)
{
	for (unsigned i = 0; i < total; i++)
		if (!conns[i].slow && conns[i].state != C_DONE)
			return 0;
	return 1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	size_t i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat[i] / 1000.0;
}

static unsigned long
parse_num(const char *s, unsigned long max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		usage();
	return v;
}

static int
hold_mode(void)
{
	uint64_t	t0 = now_us();
	unsigned	opened = 0, answered = 0, still = 0;
	FILE		*fp;

	/* open in batches, so that the listen backlog keeps up */
	for (unsigned i = 0; i < total; i++) {
		if (conn_open(&conns[i]) == -1)
			die("connect");
		opened++;
		if (i % 500 == 499)
			run(now_us() + 200000, 0, NULL);
	}
	run(now_us() + (uint64_t)deadline_s * 1000000, 0, all_idle);
	for (unsigned i = 0; i < total; i++)
		answered += conns[i].state == C_IDLE;
	if (readyfile != NULL) {
		if ((fp = fopen(readyfile, "w")) == NULL)
			die("cannot open '%s'", readyfile);
		fprintf(fp, "ready %u\n", answered);
		fclose(fp);
	}
	fprintf(stderr, PROG ": %u of %u connections answered in %.1f s; "
	    "holding them %u s\n", answered, opened,
	    (double)(now_us() - t0) / 1e6, hold_s);
	run(now_us() + (uint64_t)hold_s * 1000000, 0, NULL);
	/* ask again on each: it must still be open */
	for (unsigned i = 0; i < total; i++) {
		struct conn *c = &conns[i];

		if (c->state != C_IDLE)
			continue;
		make_request(c);
		c->state = C_SENDING;
		conn_watch(c, EPOLLOUT, EPOLL_CTL_MOD);
	}
	n_ok = 0;
	run(now_us() + (uint64_t)deadline_s * 1000000, 0, all_idle);
	for (unsigned i = 0; i < total; i++)
		still += conns[i].state == C_IDLE;
	printf("mode=hold conns=%u answered=%u still_open=%u lost=%lu "
	    "bad=%lu\n", total, answered, still, n_lost, n_bad);
	return answered == total && still == total && n_bad == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct rlimit	rl;
	int		ch;
	uint64_t	until;

	while ((ch = getopt(argc, argv, "c:d:m:n:P:p:r:S:s:t:x:")) != -1) {
		switch (ch) {
		case 'c':
		case 'n':
			nconns = (unsigned)parse_num(optarg, 100000);
			break;
		case 'd':
			duration_s = (unsigned)parse_num(optarg, 86400);
			break;
		case 'm':
			if (strcmp(optarg, "hold") == 0)
				mode = M_HOLD;
			else if (strcmp(optarg, "rate") == 0)
				mode = M_RATE;
			else if (strcmp(optarg, "chaos") == 0)
				mode = M_CHAOS;
			else
				usage();
			break;
		case 'P':
			path = optarg;
			break;
		case 'p':
			port = (int)parse_num(optarg, 65535);
			break;
		case 'r':
			readyfile = optarg;
			break;
		case 'S':
			max_size = parse_num(optarg, 64UL * 1024 * 1024);
			break;
		case 's':
			nslow = (unsigned)parse_num(optarg, 100000);
			break;
		case 't':
			hold_s = (unsigned)parse_num(optarg, 86400);
			break;
		case 'x':
			deadline_s = (unsigned)parse_num(optarg, 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0 || (nconns == 0 && (nslow == 0 ||
	    mode == M_HOLD)))
		usage();
	(void)signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid());
	total = nconns + (mode == M_HOLD ? 0 : nslow);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < total + 16) {
		errno = 0;
		die("%u connections need more descriptors than the %llu "
		    "allowed (ulimit -n)", total,
		    (unsigned long long)rl.rlim_cur);
	}
	if ((conns = calloc(total, sizeof(*conns))) == NULL)
		die("out of memory");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	for (unsigned i = 0; i < total; i++) {
		conns[i].fd = -1;
		conns[i].id = i;
		conns[i].slow = i >= nconns;
		conns[i].state = C_DONE;
	}
	if (mode == M_HOLD)
		return hold_mode();
	for (unsigned i = 0; i < total; i++)
		if (conn_open(&conns[i]) == -1)
			die("connect");
	until = now_us() + (uint64_t)duration_s * 1000000;
	run(until, 1, NULL);
	/* let what is in flight finish, within the deadline */
	run(now_us() + (uint64_t)deadline_s * 1000000, 0, all_done);
	for (unsigned i = 0; i < total; i++)
		if (!conns[i].slow && conns[i].state != C_DONE) {
			n_bad++;
			fprintf(stderr, PROG ": %s: no answer in %u s (state "
			    "%d, status %d, chaos '%s', %llu body bytes)\n",
			    mode == M_CHAOS ? conns[i].mytarget : path,
			    deadline_s, conns[i].state, conns[i].status,
			    conns[i].chaos,
			    (unsigned long long)conns[i].body);
		}
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	printf("mode=%s conns=%u slow=%u seconds=%u answers=%zu rps=%.0f "
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f ok=%lu "
	    "errors=%lu e502=%lu e504=%lu truncated=%lu bad=%lu lost=%lu "
	    "reconnects=%lu slow_cut=%lu slow_bytes=%lu\n",
	    mode == M_CHAOS ? "chaos" : "rate", nconns, nslow, duration_s,
	    nlat, (double)nlat / duration_s, pct(0.50), pct(0.90), pct(0.99),
	    pct(1.0), n_ok, n_err, n_502, n_504, n_trunc, n_bad, n_lost,
	    n_reconnect, n_slow_cut, n_slow_bytes);
	return n_bad == 0 ? 0 : 1;
}
