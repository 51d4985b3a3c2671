/*
 * gw-conformance: run the table-driven HTTP conformance and smuggling suite
 * (tests/conformance/cases) against a server on 127.0.0.1.
 *
 *	gw-conformance -p PORT [-m mode] [-s seen.http] [-c count.file]
 *	    [-k case] [-t timeout_ms] [-v] casefile...
 *
 * For each case it opens one connection, sends the case's bytes with the
 * case's steps (sends, waits for an interim answer, pauses, half-close),
 * reads every answer strictly (status line, CRLF fields, framing by HEAD,
 * 1xx/204/304, chunked, Content-Length or close), checks the statuses, that
 * each error of the gateway's own is application/problem+json with its
 * status and a request_id, and then whether the connection closed (a read
 * sees EOF and nothing else) or stayed open (a probe request on it is
 * answered 200).
 *
 * With -s, the file the upstream (gw-test-upstream -o) wrote the exact
 * bytes it received into is emptied before each case and read after it.
 * Those bytes are read twice, by a strict reader of RFC 9112 written here
 * (CRLF only, origin-form, one Host, no hop-by-hop fields, one framing,
 * clean chunks) and by libhttp-parser (as lenient as many origin servers):
 * both must see the same requests, exactly the ones the case lists with
 * "forward" (plus the probe), with the same bodies, and nothing else but,
 * where the case allows it, the start of one more request that never
 * completed.  With -c, the upstream's --count-file must at the end hold the
 * number of complete requests forwarded, so that a request forwarded late
 * does not go unseen.
 *
 * Output is TAP, one test per case; a case marked "todo" is a known bug
 * ("not ok ... # TODO").  The table's format is described at the top of
 * tests/conformance/cases.  Exit 0 if every case passed, 1 if one failed,
 * 64 on a usage error, 65 on a malformed table, 70 on a system error.
 *
 * Test-only code: it trusts its command line and talks to 127.0.0.1 only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
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

#define PROG		"gw-conformance"
#define MAX_STEPS	32
#define MAX_RESP	128
#define MAX_FWD		128
#define MAX_CHECKS	16
#define MAX_HEAD	(64 * 1024)
#define MAX_BODY	(8 * 1024 * 1024)
#define PROBE		"GET /__probe HTTP/1.1\r\nHost: probe.test\r\n\r\n"
#define PROBE_TARGET	"/__probe"

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

enum step_kind {
	S_SEND,
	S_AWAIT,
	S_SLEEP,
	S_SHUT
};

struct step {
	enum step_kind	 kind;
	struct buf	 data;		/* S_SEND */
	int		 num;		/* S_AWAIT status, S_SLEEP ms */
};

enum resp_flags {
	R_HEAD = 1 << 0,	/* an answer to HEAD: no body */
	R_TRUNC = 1 << 1	/* the body breaks off, then the connection */
};

struct want_resp {
	int		 status;
	unsigned	 flags;
	struct buf	 body;		/* "body N TEXT" */
	int		 has_body;
};

struct fwd {
	char		*method;
	char		*target;
	struct buf	 body;
};

struct hcheck {
	int		 present;	/* fwd-header (1) or fwd-no-header (0) */
	char		*name;
	char		*value;
};

struct kase {
	char		*name;
	char		*note;
	char		*todo;
	int		 line;
	int		 skip;		/* not in this mode */
	struct step	 steps[MAX_STEPS];
	size_t		 nsteps;
	struct want_resp resp[MAX_RESP];
	size_t		 nresp;
	int		 expect_set;	/* 1 general, 2 for this mode */
	int		 want_close;	/* 1 close, 0 open, -1 either */
	struct fwd	 fwd[MAX_FWD];
	size_t		 nfwd;
	int		 partial;	/* one incomplete request may follow */
	struct hcheck	 checks[MAX_CHECKS];
	size_t		 nchecks;
};

/* One answer as read from the socket. */
struct resp {
	int		 status;
	struct buf	 head;
	struct buf	 body;
	int		 complete;
};

/* One request as a reader of the upstream's bytes saw it. */
struct msg {
	struct buf	 method;
	struct buf	 target;
	struct buf	 head;		/* field lines, for the header checks */
	struct buf	 body;
	int		 complete;
};

struct reading {
	struct msg	 m[MAX_FWD + 2];
	size_t		 n;
	char		 err[256];	/* why the bytes are bad, or "" */
};

static const char	*mode = "proxy";
static const char	*seenfile;
static const char	*countfile;
static const char	*only;
static int		 port;
static int		 timeout_ms = 5000;
static int		 verbose;
static int		 settle_ms = 100;

static unsigned long	 total_forwarded;

static void	usage(void) __attribute__((__noreturn__));
static void	die(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3), __noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: " PROG " -p port [-v] [-m mode] [-s seenfile]"
	    " [-c countfile]\n\t[-k case] [-t timeout_ms] casefile...\n");
	exit(64);
}

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (n == 0)
		return;
	if (b->cap - b->len < n + 1) {
		ncap = b->cap == 0 ? 256 : b->cap;
		while (ncap - b->len < n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			die(70, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

static void
buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		die(70, "out of memory");
	return p;
}

/* Print bytes as a TAP comment, escaped, at most max of them. */
static void
diag_bytes(const char *label, const char *p, size_t len, size_t max)
{
	size_t i;

	printf("#   %s (%zu bytes): ", label, len);
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			printf("\\n\n#     ");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\t')
			printf("\\t");
		else if (c == '\\')
			printf("\\\\");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (i < len)
		printf("...");
	printf("\n");
}

/* The table. */

/*
 * Decode the escapes of a table value: \r \n \t \0 \s (a space) \\
 * \xHH, and \{N*TEXT} for TEXT (itself escaped, without '}') N times.
 */
static int
unescape(const char *s, struct buf *out)
{
	while (*s != '\0') {
		if (*s != '\\') {
			buf_addc(out, *s++);
			continue;
		}
		s++;
		switch (*s) {
		case 'r': buf_addc(out, '\r'); s++; break;
		case 'n': buf_addc(out, '\n'); s++; break;
		case 't': buf_addc(out, '\t'); s++; break;
		case '0': buf_addc(out, '\0'); s++; break;
		case 's': buf_addc(out, ' '); s++; break;
		case '\\': buf_addc(out, '\\'); s++; break;
		case 'x': {
			char		 hex[3];
			char		*end;
			unsigned long	 v;

			if (s[1] == '\0' || s[2] == '\0')
				return -1;
			hex[0] = s[1];
			hex[1] = s[2];
			hex[2] = '\0';
			v = strtoul(hex, &end, 16);
			if (*end != '\0')
				return -1;
			buf_addc(out, (int)v);
			s += 3;
			break;
		}
		case '{': {
			char		*end, *text;
			const char	*close;
			unsigned long	 n;
			struct buf	 piece = { NULL, 0, 0 };

			n = strtoul(s + 1, &end, 10);
			if (end == s + 1 || *end != '*' || n > 1000000 ||
			    (close = strchr(end, '}')) == NULL)
				return -1;
			if ((text = strndup(end + 1,
			    (size_t)(close - end - 1))) == NULL)
				die(70, "out of memory");
			if (unescape(text, &piece) == -1) {
				free(text);
				return -1;
			}
			free(text);
			for (unsigned long i = 0; i < n; i++)
				buf_add(out, piece.p, piece.len);
			buf_release(&piece);
			s = close + 1;
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

static void
case_init(struct kase *k, const char *name, int line)
{
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(name);
	k->line = line;
	k->want_close = -1;
}

static void
case_release(struct kase *k)
{
	free(k->name);
	free(k->note);
	free(k->todo);
	for (size_t i = 0; i < k->nsteps; i++)
		buf_release(&k->steps[i].data);
	for (size_t i = 0; i < k->nresp; i++)
		buf_release(&k->resp[i].body);
	for (size_t i = 0; i < k->nfwd; i++) {
		free(k->fwd[i].method);
		free(k->fwd[i].target);
		buf_release(&k->fwd[i].body);
	}
	for (size_t i = 0; i < k->nchecks; i++) {
		free(k->checks[i].name);
		free(k->checks[i].value);
	}
	memset(k, 0, sizeof(*k));
}

/* Split off the next space-separated word of *s (NULL at the end). */
static char *
word(char **s)
{
	char *w;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	if (**s == '\0')
		return NULL;
	w = *s;
	while (**s != '\0' && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s != '\0')
		*(*s)++ = '\0';
	while (**s == ' ' || **s == '\t')
		(*s)++;
	return w;
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* "expect 200 200/head 304 open": the answers, then close|open|any. */
static int
parse_expect(struct kase *k, char *rest)
{
	char *w;

	for (size_t i = 0; i < k->nresp; i++)
		buf_release(&k->resp[i].body);
	k->nresp = 0;
	k->want_close = -1;
	while ((w = word(&rest)) != NULL) {
		struct want_resp	*r;
		char			*slash;

		if (strcmp(w, "none") == 0 && k->nresp == 0)
			continue;	/* no answer at all */
		if (strcmp(w, "close") == 0 || strcmp(w, "open") == 0 ||
		    strcmp(w, "any") == 0) {
			k->want_close = w[0] == 'c' ? 1 : w[0] == 'o' ? 0 : -1;
			return word(&rest) == NULL && (k->nresp > 0 ||
			    k->want_close == 1) ? 0 : -1;
		}
		if (k->nresp == MAX_RESP)
			return -1;
		r = &k->resp[k->nresp++];
		memset(r, 0, sizeof(*r));
		if ((slash = strchr(w, '/')) != NULL)
			*slash++ = '\0';
		if (parse_int(w, 100, 599, &r->status) == -1)
			return -1;
		while (slash != NULL) {
			char *next = strchr(slash, '/');

			if (next != NULL)
				*next++ = '\0';
			if (strcmp(slash, "head") == 0)
				r->flags |= R_HEAD;
			else if (strcmp(slash, "trunc") == 0)
				r->flags |= R_TRUNC;
			else
				return -1;
			slash = next;
		}
	}
	return -1;	/* no close|open|any */
}

/*
 * One line of a case: "key[@mode] value".  Lines for another mode are
 * skipped; an "expect" for this mode wins over a general one.
 */
static int
parse_line(struct kase *k, char *key, char *rest, int for_mode)
{
	struct step	*s;
	char		*w, *w2;

	if (strcmp(key, "note") == 0) {
		free(k->note);
		k->note = xstrdup(rest);
		return 0;
	}
	if (strcmp(key, "todo") == 0) {
		free(k->todo);
		k->todo = xstrdup(rest);
		return 0;
	}
	if (strcmp(key, "only") == 0) {
		int found = 0;

		while ((w = word(&rest)) != NULL)
			if (strcmp(w, mode) == 0)
				found = 1;
		if (!found)
			k->skip = 1;
		return 0;
	}
	if (strcmp(key, "send") == 0) {
		if (k->nsteps > 0 && k->steps[k->nsteps - 1].kind == S_SEND)
			s = &k->steps[k->nsteps - 1];
		else {
			if (k->nsteps == MAX_STEPS)
				return -1;
			s = &k->steps[k->nsteps++];
			memset(s, 0, sizeof(*s));
			s->kind = S_SEND;
		}
		return unescape(rest, &s->data);
	}
	if (strcmp(key, "await") == 0 || strcmp(key, "sleep") == 0 ||
	    strcmp(key, "shut") == 0) {
		if (k->nsteps == MAX_STEPS)
			return -1;
		s = &k->steps[k->nsteps++];
		memset(s, 0, sizeof(*s));
		if (key[1] == 'h') {
			s->kind = S_SHUT;
			return *rest == '\0' ? 0 : -1;
		}
		s->kind = key[0] == 'a' ? S_AWAIT : S_SLEEP;
		return parse_int(rest, key[0] == 'a' ? 100 : 0,
		    key[0] == 'a' ? 199 : 10000, &s->num);
	}
	if (strcmp(key, "expect") == 0) {
		if (k->expect_set == 2 && !for_mode)
			return 0;
		k->expect_set = for_mode ? 2 : 1;
		return parse_expect(k, rest);
	}
	if (strcmp(key, "body") == 0) {
		int n;

		if ((w = word(&rest)) == NULL ||
		    parse_int(w, 1, MAX_RESP, &n) == -1)
			return -1;
		/* bodies refer to the answers of the expect line before */
		if ((size_t)n > k->nresp)
			return -1;
		buf_release(&k->resp[n - 1].body);
		k->resp[n - 1].has_body = 1;
		return unescape(rest, &k->resp[n - 1].body);
	}
	if (strcmp(key, "forward") == 0) {
		struct fwd *f;

		if (k->nfwd == MAX_FWD || (w = word(&rest)) == NULL ||
		    (w2 = word(&rest)) == NULL)
			return -1;
		f = &k->fwd[k->nfwd++];
		memset(f, 0, sizeof(*f));
		f->method = xstrdup(w);
		f->target = xstrdup(w2);
		return unescape(rest, &f->body);
	}
	if (strcmp(key, "partial") == 0) {
		k->partial = 1;
		return *rest == '\0' ? 0 : -1;
	}
	if (strcmp(key, "fwd-header") == 0 || strcmp(key, "fwd-no-header") ==
	    0) {
		struct hcheck	*c;
		struct buf	 v = { NULL, 0, 0 };

		if (k->nchecks == MAX_CHECKS || (w = word(&rest)) == NULL)
			return -1;
		c = &k->checks[k->nchecks++];
		c->present = key[4] == 'h';
		c->name = xstrdup(w);
		if (c->present) {
			if (unescape(rest, &v) == -1 || v.len == 0)
				return -1;
			c->value = v.p;
		} else if (*rest != '\0')
			return -1;
		return 0;
	}
	return -1;
}

/*
 * Read the next case from fp; 1 with *k filled, 0 at the end of the file.
 * Malformed tables are fatal (exit 65).
 */
static int
read_case(FILE *fp, const char *path, int *lineno, struct kase *k)
{
	static char	*pending;
	static int	 pending_line;
	char		*line = NULL, *key, *rest, *at;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 have = 0;

	if (pending != NULL) {
		case_init(k, pending, pending_line);
		free(pending);
		pending = NULL;
		have = 1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		int for_mode = 0;

		(*lineno)++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		rest = line;
		if ((key = word(&rest)) == NULL || key[0] == '#')
			continue;
		if (strcmp(key, "case") == 0) {
			char *name = word(&rest);

			if (name == NULL || *rest != '\0')
				die(65, "%s:%d: 'case NAME'", path, *lineno);
			if (have) {
				pending = xstrdup(name);
				pending_line = *lineno;
				free(line);
				return 1;
			}
			case_init(k, name, *lineno);
			have = 1;
			continue;
		}
		if (!have)
			die(65, "%s:%d: '%s' before the first case", path,
			    *lineno, key);
		if ((at = strchr(key, '@')) != NULL) {
			*at++ = '\0';
			if (strcmp(at, mode) != 0)
				continue;
			for_mode = 1;
		}
		if (parse_line(k, key, rest, for_mode) == -1)
			die(65, "%s:%d: bad '%s' line", path, *lineno, key);
	}
	free(line);
	if (ferror(fp))
		die(70, "%s: read error", path);
	return have;
}

/* The connection. */

struct conn {
	int		 fd;
	struct buf	 in;
	size_t		 off;
	int		 eof;
	int		 reset;
};

static int
conn_open(struct conn *c)
{
	struct sockaddr_in	sin;
	int			one = 1;

	memset(c, 0, sizeof(*c));
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_release(&c->in);
}

static int
conn_send(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read more bytes; 1 got some, 0 EOF (or reset), -1 timeout or error. */
static int
conn_fill(struct conn *c, long long deadline)
{
	char		tmp[16384];
	struct pollfd	pfd;
	ssize_t		n;
	long long	left;

	if (c->eof)
		return 0;
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		n = read(c->fd, tmp, sizeof(tmp));
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET) {
				c->eof = c->reset = 1;
				return 0;
			}
			return -1;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		buf_add(&c->in, tmp, (size_t)n);
		return 1;
	}
}

static size_t
conn_avail(const struct conn *c)
{
	return c->in.len - c->off;
}

/* Make n bytes available; -1 if the connection ends or time runs out. */
static int
conn_need(struct conn *c, size_t n, long long deadline)
{
	while (conn_avail(c) < n)
		if (conn_fill(c, deadline) != 1)
			return -1;
	return 0;
}

/* Read a line ending in CRLF into line (without it); -1 on error. */
static int
conn_line(struct conn *c, struct buf *line, long long deadline,
    char *why, size_t whylen)
{
	for (;;) {
		const char *p = c->in.p + c->off;
		const char *nl = conn_avail(c) > 0 ?
		    memchr(p, '\n', conn_avail(c)) : NULL;

		if (nl != NULL) {
			size_t n = (size_t)(nl - p);

			if (n == 0 || nl[-1] != '\r') {
				snprintf(why, whylen, "a bare LF in an answer");
				return -1;
			}
			line->len = 0;
			buf_add(line, p, n - 1);
			if (line->p == NULL)
				buf_add(line, "", 0);
			c->off += n + 1;
			if (memchr(line->p == NULL ? "" : line->p, '\r',
			    line->len) != NULL) {
				snprintf(why, whylen, "a bare CR in an answer");
				return -1;
			}
			return 0;
		}
		if (conn_avail(c) > MAX_HEAD) {
			snprintf(why, whylen, "an answer line over %d bytes",
			    MAX_HEAD);
			return -1;
		}
		if (conn_fill(c, deadline) != 1) {
			snprintf(why, whylen, "%s in an answer's head",
			    c->eof ? "the connection closed" : "time ran out");
			return -1;
		}
	}
}

static int
hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The value of field name in a head of "Name: value\r\n" lines, or NULL. */
static const char *
head_field(const struct buf *head, const char *name, size_t *lenp,
    int *count)
{
	const char	*p = head->p, *end = head->p + head->len, *found = NULL;
	size_t		 nl = strlen(name);

	*count = 0;
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol != NULL ? eol : end;

		if ((size_t)(le - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1, *ve = le;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' ||
			    ve[-1] == '\r'))
				ve--;
			if (found == NULL) {
				found = v;
				*lenp = (size_t)(ve - v);
			}
			(*count)++;
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	return found;
}

/*
 * Read one answer.  nobody: it answers HEAD.  Returns 0, or -1 with why.
 * A close-delimited body or one that breaks off ends at EOF with
 * r->complete set accordingly.
 */
static int
read_resp(struct conn *c, int nobody, struct resp *r, char *why,
    size_t whylen)
{
	struct buf	 line = { NULL, 0, 0 };
	long long	 deadline = now_ms() + timeout_ms;
	const char	*v;
	size_t		 vlen = 0;
	int		 ncl, nte, rc = -1;
	char		 tmp[32];

	r->status = 0;
	r->head.len = r->body.len = 0;
	r->complete = 0;
	if (conn_line(c, &line, deadline, why, whylen) == -1)
		goto out;
	if (line.len < 12 || memcmp(line.p, "HTTP/1.1 ", 9) != 0 ||
	    line.p[9] < '1' || line.p[9] > '5' || line.p[10] < '0' ||
	    line.p[10] > '9' || line.p[11] < '0' || line.p[11] > '9' ||
	    (line.len > 12 && line.p[12] != ' ')) {
		snprintf(why, whylen, "a malformed status line");
		buf_add(&r->head, line.p, line.len);
		goto out;
	}
	r->status = (line.p[9] - '0') * 100 + (line.p[10] - '0') * 10 +
	    (line.p[11] - '0');
	buf_add(&r->head, line.p, line.len);
	buf_add(&r->head, "\r\n", 2);
	for (;;) {
		if (conn_line(c, &line, deadline, why, whylen) == -1)
			goto out;
		if (line.len == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t' ||
		    memchr(line.p, ':', line.len) == NULL) {
			snprintf(why, whylen, "a malformed field in an answer");
			goto out;
		}
		buf_add(&r->head, line.p, line.len);
		buf_add(&r->head, "\r\n", 2);
		if (r->head.len > MAX_HEAD) {
			snprintf(why, whylen, "an answer head over %d bytes",
			    MAX_HEAD);
			goto out;
		}
	}
	(void)head_field(&r->head, "transfer-encoding", &vlen, &nte);
	v = head_field(&r->head, "content-length", &vlen, &ncl);
	if (ncl > 1 || nte > 1 || (ncl > 0 && nte > 0)) {
		snprintf(why, whylen, "an answer framed twice (%d Content-"
		    "Length, %d Transfer-Encoding)", ncl, nte);
		goto out;
	}
	if (nobody || r->status < 200 || r->status == 204 ||
	    r->status == 304) {
		r->complete = 1;
		rc = 0;
		goto out;
	}
	if (nte > 0) {
		/* chunked, strictly */
		for (;;) {
			unsigned long long	 size = 0;
			size_t			 i;

			if (conn_line(c, &line, deadline, why, whylen) == -1) {
				if (c->eof)
					rc = 0;	/* broke off */
				goto out;
			}
			for (i = 0; i < line.len && hex_digit(line.p[i]) >= 0;
			    i++) {
				if (i >= 15) {
					snprintf(why, whylen, "a chunk size "
					    "too large in an answer");
					goto out;
				}
				size = size * 16 +
				    (unsigned long long)hex_digit(line.p[i]);
			}
			if (i == 0 || i != line.len) {
				snprintf(why, whylen, "a bad chunk line in an "
				    "answer");
				goto out;
			}
			if (size == 0)
				break;
			if (r->body.len + size > MAX_BODY) {
				snprintf(why, whylen, "an answer over %d bytes",
				    MAX_BODY);
				goto out;
			}
			if (conn_need(c, (size_t)size + 2, deadline) == -1) {
				buf_add(&r->body, c->in.p + c->off,
				    conn_avail(c));
				c->off = c->in.len;
				rc = 0;	/* broke off */
				goto out;
			}
			buf_add(&r->body, c->in.p + c->off, (size_t)size);
			c->off += (size_t)size;
			if (memcmp(c->in.p + c->off, "\r\n", 2) != 0) {
				snprintf(why, whylen, "chunk data without CRLF "
				    "in an answer");
				goto out;
			}
			c->off += 2;
		}
		if (conn_line(c, &line, deadline, why, whylen) == -1 ||
		    line.len != 0) {
			snprintf(why, whylen, "trailers in an answer");
			goto out;
		}
		r->complete = 1;
		rc = 0;
		goto out;
	}
	if (ncl > 0) {
		unsigned long long	 len;
		char			*end;

		if (vlen == 0 || vlen >= sizeof(tmp)) {
			snprintf(why, whylen, "a bad Content-Length in an "
			    "answer");
			goto out;
		}
		memcpy(tmp, v, vlen);
		tmp[vlen] = '\0';
		len = strtoull(tmp, &end, 10);
		if (*end != '\0' || tmp[0] < '0' || tmp[0] > '9' ||
		    len > MAX_BODY) {
			snprintf(why, whylen, "a bad Content-Length in an "
			    "answer");
			goto out;
		}
		if (conn_need(c, (size_t)len, deadline) == -1) {
			buf_add(&r->body, c->in.p + c->off, conn_avail(c));
			c->off = c->in.len;
			rc = 0;	/* broke off */
			goto out;
		}
		buf_add(&r->body, c->in.p + c->off, (size_t)len);
		c->off += (size_t)len;
		r->complete = 1;
		rc = 0;
		goto out;
	}
	/* close-delimited */
	for (;;) {
		int got = conn_fill(c, deadline);

		if (got == -1) {
			snprintf(why, whylen, "a close-delimited answer that "
			    "never closed");
			goto out;
		}
		if (got == 0)
			break;
	}
	buf_add(&r->body, c->in.p + c->off, conn_avail(c));
	c->off = c->in.len;
	r->complete = !c->reset;
	rc = 0;
 out:
	buf_release(&line);
	return rc;
}

/* The gateway's own errors: problem+json with the status and an id. */
static int
check_problem(const struct resp *r, char *why, size_t whylen)
{
	const char	*v;
	size_t		 vlen = 0;
	int		 n;
	char		 st[32];

	v = head_field(&r->head, "content-type", &vlen, &n);
	if (v == NULL || vlen < 24 ||
	    strncasecmp(v, "application/problem+json", 24) != 0) {
		snprintf(why, whylen, "a %d answer that is not "
		    "application/problem+json", r->status);
		return -1;
	}
	snprintf(st, sizeof(st), "\"status\":%d", r->status);
	if (r->body.p == NULL || strstr(r->body.p, st) == NULL ||
	    strstr(r->body.p, "\"type\":\"urn:gw:problem:") == NULL ||
	    strstr(r->body.p, "\"request_id\":\"") == NULL) {
		snprintf(why, whylen, "a %d problem document without type, "
		    "status or request_id", r->status);
		return -1;
	}
	if (head_field(&r->head, "x-request-id", &vlen, &n) == NULL) {
		snprintf(why, whylen, "a %d answer without X-Request-Id",
		    r->status);
		return -1;
	}
	return 0;
}

/* Reading what the upstream received. */

static void
msg_reset(struct msg *m)
{
	buf_release(&m->method);
	buf_release(&m->target);
	buf_release(&m->head);
	buf_release(&m->body);
	m->complete = 0;
}

static void
reading_reset(struct reading *rd)
{
	for (size_t i = 0; i < rd->n; i++)
		msg_reset(&rd->m[i]);
	rd->n = 0;
	rd->err[0] = '\0';
}

static int
is_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/*
 * The strict reading: RFC 9112 as a careful origin server applies it,
 * plus what a gateway must never forward.  Fills rd; rd->err says what
 * was wrong (the reading stops there).
 */
static void
read_strict(const char *p, size_t len, struct reading *rd)
{
	size_t i = 0;

#define BAD(...) do {							\
	snprintf(rd->err, sizeof(rd->err), __VA_ARGS__);		\
	return;								\
} while (0)
	while (i < len) {
		struct msg	*m;
		size_t		 ls, le, sp1, sp2;
		int		 nhost = 0, ncl = 0, nte = 0;
		unsigned long long cl = 0;

		if (rd->n == MAX_FWD + 2)
			BAD("too many requests");
		m = &rd->m[rd->n++];
		memset(m, 0, sizeof(*m));
		/* request line */
		ls = i;
		for (le = i; le < len && p[le] != '\n'; le++)
			continue;
		if (le == len)
			return;		/* incomplete */
		if (le == ls || p[le - 1] != '\r')
			BAD("request %zu: a request line without CRLF", rd->n);
		for (sp1 = ls; sp1 < le && is_tchar((unsigned char)p[sp1]);
		    sp1++)
			continue;
		if (sp1 == ls || p[sp1] != ' ')
			BAD("request %zu: a bad method", rd->n);
		for (sp2 = sp1 + 1; sp2 < le - 1 && p[sp2] > ' ' &&
		    p[sp2] < 0x7f; sp2++)
			continue;
		if (sp2 == sp1 + 1 || p[sp2] != ' ' || p[sp1 + 1] != '/' ||
		    le - 1 - (sp2 + 1) != 8 ||
		    memcmp(p + sp2 + 1, "HTTP/1.1", 8) != 0)
			BAD("request %zu: a request line that is not "
			    "\"METHOD /origin-form HTTP/1.1\"", rd->n);
		buf_add(&m->method, p + ls, sp1 - ls);
		buf_add(&m->target, p + sp1 + 1, sp2 - sp1 - 1);
		i = le + 1;
		/* fields */
		for (;;) {
			size_t ns, ne, vs, ve;

			for (le = i; le < len && p[le] != '\n'; le++)
				continue;
			if (le == len)
				return;	/* incomplete */
			if (le == i || p[le - 1] != '\r')
				BAD("request %zu: a field line without CRLF",
				    rd->n);
			if (le - 1 == i) {
				i = le + 1;
				break;
			}
			if (p[i] == ' ' || p[i] == '\t')
				BAD("request %zu: obs-fold", rd->n);
			for (ns = ne = i; ne < le && is_tchar((unsigned char)
			    p[ne]); ne++)
				continue;
			if (ne == ns || p[ne] != ':')
				BAD("request %zu: a malformed field name",
				    rd->n);
			for (vs = ne + 1; vs < le - 1 && (p[vs] == ' ' ||
			    p[vs] == '\t'); vs++)
				continue;
			for (ve = le - 1; ve > vs && (p[ve - 1] == ' ' ||
			    p[ve - 1] == '\t'); ve--)
				continue;
			for (size_t j = ne + 1; j < le - 1; j++) {
				unsigned char ch = (unsigned char)p[j];

				if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
					BAD("request %zu: a control byte in a "
					    "field value", rd->n);
			}
			buf_add(&m->head, p + ns, le + 1 - ns);
			if (name_is(p + ns, ne - ns, "host"))
				nhost++;
			else if (name_is(p + ns, ne - ns, "content-length")) {
				ncl++;
				cl = 0;
				if (ve == vs || ve - vs > 18)
					BAD("request %zu: a bad Content-Length",
					    rd->n);
				for (size_t j = vs; j < ve; j++) {
					if (p[j] < '0' || p[j] > '9')
						BAD("request %zu: a bad "
						    "Content-Length", rd->n);
					cl = cl * 10 + (unsigned)(p[j] - '0');
				}
			} else if (name_is(p + ns, ne - ns,
			    "transfer-encoding")) {
				nte++;
				if (!name_is(p + vs, ve - vs, "chunked"))
					BAD("request %zu: Transfer-Encoding "
					    "'%.*s'", rd->n, (int)(ve - vs),
					    p + vs);
			} else if (name_is(p + ns, ne - ns, "connection")) {
				if (!name_is(p + vs, ve - vs, "keep-alive") &&
				    !name_is(p + vs, ve - vs, "close"))
					BAD("request %zu: Connection '%.*s' "
					    "forwarded", rd->n, (int)(ve - vs),
					    p + vs);
			} else if (name_is(p + ns, ne - ns, "keep-alive") ||
			    name_is(p + ns, ne - ns, "proxy-connection") ||
			    name_is(p + ns, ne - ns, "te") ||
			    name_is(p + ns, ne - ns, "trailer") ||
			    name_is(p + ns, ne - ns, "upgrade") ||
			    name_is(p + ns, ne - ns, "expect") ||
			    name_is(p + ns, ne - ns, "proxy-authorization"))
				BAD("request %zu: hop-by-hop field '%.*s' "
				    "forwarded", rd->n, (int)(ne - ns),
				    p + ns);
			i = le + 1;
		}
		if (nhost != 1)
			BAD("request %zu: %d Host fields", rd->n, nhost);
		if (ncl > 1)
			BAD("request %zu: %d Content-Length fields", rd->n,
			    ncl);
		if (nte > 1)
			BAD("request %zu: %d Transfer-Encoding fields", rd->n,
			    nte);
		if (ncl > 0 && nte > 0)
			BAD("request %zu: Content-Length and "
			    "Transfer-Encoding", rd->n);
		if (nte > 0) {
			for (;;) {
				unsigned long long size = 0;
				size_t ds;

				for (le = i; le < len && p[le] != '\n'; le++)
					continue;
				if (le == len)
					return;
				if (le == i || p[le - 1] != '\r')
					BAD("request %zu: a chunk line without "
					    "CRLF", rd->n);
				for (ds = i; ds < le - 1 &&
				    hex_digit((unsigned char)p[ds]) >= 0;
				    ds++) {
					if (ds - i >= 15)
						BAD("request %zu: a chunk size "
						    "too long", rd->n);
					size = size * 16 + (unsigned long long)
					    hex_digit((unsigned char)p[ds]);
				}
				if (ds == i || ds != le - 1)
					BAD("request %zu: a chunk line that is "
					    "not just a size", rd->n);
				i = le + 1;
				if (size == 0)
					break;
				if (len - i < size + 2)
					return;
				buf_add(&m->body, p + i, (size_t)size);
				i += (size_t)size;
				if (p[i] != '\r' || p[i + 1] != '\n')
					BAD("request %zu: chunk data without "
					    "CRLF", rd->n);
				i += 2;
			}
			if (len - i < 2)
				return;
			if (p[i] != '\r' || p[i + 1] != '\n')
				BAD("request %zu: trailers forwarded", rd->n);
			i += 2;
		} else if (ncl > 0) {
			if (len - i < cl)
				return;
			buf_add(&m->body, p + i, (size_t)cl);
			i += (size_t)cl;
		}
		m->complete = 1;
	}
#undef BAD
}

/* The lenient reading: libhttp-parser, as Debian builds it. */
static int
lp_begin(http_parser *hp)
{
	struct reading *rd = hp->data;

	if (rd->n == MAX_FWD + 2)
		return -1;
	memset(&rd->m[rd->n++], 0, sizeof(rd->m[0]));
	return 0;
}

static int
lp_url(http_parser *hp, const char *at, size_t len)
{
	struct reading *rd = hp->data;

	buf_add(&rd->m[rd->n - 1].target, at, len);
	return 0;
}

static int
lp_headers(http_parser *hp)
{
	struct reading	*rd = hp->data;
	const char	*m = http_method_str((enum http_method)hp->method);

	buf_add(&rd->m[rd->n - 1].method, m, strlen(m));
	return 0;
}

static int
lp_body(http_parser *hp, const char *at, size_t len)
{
	struct reading *rd = hp->data;

	buf_add(&rd->m[rd->n - 1].body, at, len);
	return 0;
}

static int
lp_done(http_parser *hp)
{
	struct reading *rd = hp->data;

	rd->m[rd->n - 1].complete = 1;
	return 0;
}

static void
read_lenient(const char *p, size_t len, struct reading *rd)
{
	static const http_parser_settings settings = {
		.on_message_begin = lp_begin,
		.on_url = lp_url,
		.on_headers_complete = lp_headers,
		.on_body = lp_body,
		.on_message_complete = lp_done
	};
	http_parser	hp;
	size_t		n;

	http_parser_init(&hp, HTTP_REQUEST);
	hp.data = rd;
	n = http_parser_execute(&hp, &settings, p, len);
	if (HTTP_PARSER_ERRNO(&hp) != HPE_OK)
		snprintf(rd->err, sizeof(rd->err), "libhttp-parser: %s at "
		    "byte %zu", http_errno_description(HTTP_PARSER_ERRNO(&hp)),
		    n);
}

static int
buf_eq(const struct buf *a, const char *p, size_t n)
{
	return a->len == n && (n == 0 || memcmp(a->p, p, n) == 0);
}

static int
read_file(const char *path, struct buf *out)
{
	char	tmp[65536];
	ssize_t	n;
	int	fd;

	out->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(out, tmp, (size_t)n);
	close(fd);
	return n == -1 ? -1 : 0;
}

/*
 * Compare what the upstream received with the case's forward lines (and
 * the probe).  Returns 0 or -1 with why.
 */
static int
check_upstream(const struct kase *k, int probed, int *nforwarded,
    char *why, size_t whylen)
{
	static struct reading	 strict, lenient;
	struct buf		 seen = { NULL, 0, 0 };
	size_t			 want = k->nfwd + (probed ? 1 : 0), ncomplete;
	long long		 deadline = now_ms() + settle_ms;
	int			 rc = -1;

	*nforwarded = 0;
	/*
	 * Served requests were written before they were answered; what
	 * the gateway should not have sent, or sent in part, may come
	 * late: give it a moment.
	 */
	for (;;) {
		if (read_file(seenfile, &seen) == -1) {
			snprintf(why, whylen, "cannot read '%s'", seenfile);
			goto out;
		}
		if (want > 0 && !k->partial)
			break;
		if (now_ms() >= deadline)
			break;
		usleep(20000);
	}
	reading_reset(&strict);
	reading_reset(&lenient);
	read_strict(seen.p, seen.len, &strict);
	read_lenient(seen.p, seen.len, &lenient);
	if (strict.err[0] != '\0') {
		snprintf(why, whylen, "the upstream received bytes a strict "
		    "server refuses: %s", strict.err);
		goto out;
	}
	if (lenient.err[0] != '\0') {
		snprintf(why, whylen, "the upstream received bytes a lenient "
		    "server refuses: %s", lenient.err);
		goto out;
	}
	ncomplete = 0;
	for (size_t i = 0; i < strict.n; i++)
		ncomplete += strict.m[i].complete;
	if (strict.n != lenient.n) {
		snprintf(why, whylen, "a strict reading sees %zu requests, a "
		    "lenient one %zu", strict.n, lenient.n);
		goto out;
	}
	for (size_t i = 0; i < strict.n; i++) {
		const struct msg *a = &strict.m[i], *b = &lenient.m[i];

		if (a->complete != b->complete ||
		    !buf_eq(&a->method, b->method.p, b->method.len) ||
		    !buf_eq(&a->target, b->target.p, b->target.len) ||
		    (a->complete && !buf_eq(&a->body, b->body.p,
		    b->body.len))) {
			snprintf(why, whylen, "request %zu reads differently "
			    "strictly and leniently", i + 1);
			goto out;
		}
	}
	*nforwarded = (int)ncomplete;
	if (ncomplete != want || strict.n > want + (k->partial ? 1 : 0)) {
		snprintf(why, whylen, "the upstream received %zu complete "
		    "request(s)%s, %zu expected", ncomplete,
		    strict.n > ncomplete ? " and an incomplete one" : "",
		    want);
		goto out;
	}
	for (size_t i = 0; i < want; i++) {
		const struct msg	*m = &strict.m[i];
		const char		*meth = i < k->nfwd ? k->fwd[i].method :
					    "GET";
		const char		*tgt = i < k->nfwd ? k->fwd[i].target :
					    PROBE_TARGET;

		if (!buf_eq(&m->method, meth, strlen(meth)) ||
		    !buf_eq(&m->target, tgt, strlen(tgt))) {
			snprintf(why, whylen, "request %zu went up as "
			    "'%.40s %.200s', not '%s %s'", i + 1,
			    m->method.p == NULL ? "" : m->method.p,
			    m->target.p == NULL ? "" : m->target.p, meth,
			    tgt);
			goto out;
		}
		if (i < k->nfwd && !buf_eq(&m->body, k->fwd[i].body.p,
		    k->fwd[i].body.len)) {
			snprintf(why, whylen, "request %zu went up with a body "
			    "of %zu bytes, not the %zu expected", i + 1,
			    m->body.len, k->fwd[i].body.len);
			goto out;
		}
	}
	for (size_t i = 0; i < k->nchecks; i++) {
		const struct hcheck	*c = &k->checks[i];
		const char		*v;
		size_t			 vlen = 0;
		int			 n;

		if (strict.n == 0) {
			snprintf(why, whylen, "nothing went up to check '%s' "
			    "on", c->name);
			goto out;
		}
		v = head_field(&strict.m[0].head, c->name, &vlen, &n);
		if (!c->present && v != NULL) {
			snprintf(why, whylen, "'%s' went up", c->name);
			goto out;
		}
		if (c->present && (v == NULL || n != 1 || vlen !=
		    strlen(c->value) || strncasecmp(v, c->value, vlen) != 0)) {
			snprintf(why, whylen, "'%s: %s' did not go up (%d such "
			    "fields)", c->name, c->value, n);
			goto out;
		}
	}
	rc = 0;
 out:
	if (rc == -1 && verbose)
		diag_bytes("the upstream received", seen.p, seen.len, 1500);
	buf_release(&seen);
	return rc;
}

/*
 * After a case that failed: let what is in flight land, then count the
 * complete requests the upstream received, for the final count check.
 */
static int
count_forwarded(void)
{
	static struct reading	 rd;
	struct buf		 seen = { NULL, 0, 0 };
	int			 n = 0;

	usleep((useconds_t)settle_ms * 1000);
	if (read_file(seenfile, &seen) == -1)
		return 0;
	reading_reset(&rd);
	read_lenient(seen.p, seen.len, &rd);
	for (size_t i = 0; i < rd.n; i++)
		n += rd.m[i].complete;
	buf_release(&seen);
	return n;
}

/* Running a case. */

static int
truncate_seen(void)
{
	int fd;

	if ((fd = open(seenfile, O_WRONLY | O_TRUNC | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	close(fd);
	return 0;
}

static int
run_case(struct kase *k, char *why, size_t whylen, int *nforwarded)
{
	struct conn	 c;
	struct resp	 r;
	struct buf	 log = { NULL, 0, 0 };
	int		 rc = -1, probed = 0, upstream_checked = 0;

	*nforwarded = 0;
	memset(&r, 0, sizeof(r));
	why[0] = '\0';
	if (seenfile != NULL && truncate_seen() == -1)
		die(70, "cannot empty '%s': %s", seenfile, strerror(errno));
	if (conn_open(&c) == -1) {
		snprintf(why, whylen, "cannot connect to 127.0.0.1:%d: %s",
		    port, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < k->nsteps; i++) {
		struct step *s = &k->steps[i];

		switch (s->kind) {
		case S_SEND:
			if (conn_send(&c, s->data.p, s->data.len) == -1) {
				snprintf(why, whylen, "send: %s",
				    strerror(errno));
				goto out;
			}
			break;
		case S_AWAIT:
			if (read_resp(&c, 1, &r, why, whylen) == -1)
				goto out;
			buf_add(&log, r.head.p, r.head.len);
			if (r.status != s->num) {
				snprintf(why, whylen, "answered %d, not the "
				    "interim %d awaited", r.status, s->num);
				goto out;
			}
			break;
		case S_SLEEP:
			usleep((useconds_t)s->num * 1000);
			break;
		case S_SHUT:
			(void)shutdown(c.fd, SHUT_WR);
			break;
		}
	}
	for (size_t i = 0; i < k->nresp; i++) {
		const struct want_resp *w = &k->resp[i];

		/* interim answers not awaited are skipped */
		do {
			if (read_resp(&c, (w->flags & R_HEAD) != 0, &r, why,
			    whylen) == -1) {
				if (r.head.len > 0)
					buf_add(&log, r.head.p, r.head.len);
				goto out;
			}
			buf_add(&log, r.head.p, r.head.len);
			buf_add(&log, r.body.p, r.body.len);
		} while (r.status >= 100 && r.status < 200 &&
		    w->status >= 200);
		if (r.status != w->status) {
			snprintf(why, whylen, "answer %zu is %d, not %d",
			    i + 1, r.status, w->status);
			goto out;
		}
		if ((w->flags & R_TRUNC) && r.complete) {
			snprintf(why, whylen, "answer %zu is complete; it "
			    "should break off", i + 1);
			goto out;
		}
		if (!(w->flags & R_TRUNC) && !r.complete) {
			snprintf(why, whylen, "answer %zu broke off", i + 1);
			goto out;
		}
		if (r.status >= 400 && check_problem(&r, why, whylen) == -1)
			goto out;
		if (w->has_body && !buf_eq(&r.body, w->body.p, w->body.len)) {
			snprintf(why, whylen, "answer %zu has another body",
			    i + 1);
			goto out;
		}
	}
	if (k->want_close == 1 || (k->nresp > 0 &&
	    (k->resp[k->nresp - 1].flags & R_TRUNC))) {
		long long	deadline = now_ms() + timeout_ms;
		int		got;

		while ((got = conn_fill(&c, deadline)) == 1)
			continue;
		if (conn_avail(&c) > 0) {
			diag_bytes("more bytes", c.in.p + c.off,
			    conn_avail(&c), 300);
			snprintf(why, whylen, "bytes after the last answer");
			goto out;
		}
		if (got == -1) {
			snprintf(why, whylen, "the connection stayed open");
			goto out;
		}
	} else if (k->want_close == 0) {
		if (conn_avail(&c) > 0) {
			diag_bytes("more bytes", c.in.p + c.off,
			    conn_avail(&c), 300);
			snprintf(why, whylen, "bytes after the last answer");
			goto out;
		}
		if (conn_send(&c, PROBE, sizeof(PROBE) - 1) == -1 ||
		    read_resp(&c, 0, &r, why, whylen) == -1) {
			snprintf(why, whylen, "the connection did not stay "
			    "open: the probe after the answers failed");
			goto out;
		}
		probed = 1;
		if (r.status != 200) {
			snprintf(why, whylen, "the probe on the same "
			    "connection got %d", r.status);
			goto out;
		}
	}
	if (seenfile != NULL) {
		if (check_upstream(k, probed, nforwarded, why, whylen) == -1)
			goto out;
		upstream_checked = 1;
	}
	rc = 0;
 out:
	if (seenfile != NULL && !upstream_checked)
		*nforwarded = count_forwarded();
	if (rc == -1 && verbose) {
		for (size_t i = 0; i < k->nsteps; i++)
			if (k->steps[i].kind == S_SEND)
				diag_bytes("sent", k->steps[i].data.p,
				    k->steps[i].data.len, 600);
		diag_bytes("received", log.p, log.len, 1500);
	}
	buf_release(&log);
	buf_release(&r.head);
	buf_release(&r.body);
	conn_close(&c);
	return rc;
}

static int
check_count(char *why, size_t whylen)
{
	struct buf		 b = { NULL, 0, 0 };
	unsigned long		 got;
	long long		 deadline = now_ms() + settle_ms;
	int			 rc = -1;

	for (;;) {
		if (read_file(countfile, &b) == -1 || b.p == NULL) {
			snprintf(why, whylen, "cannot read '%s'", countfile);
			goto out;
		}
		got = strtoul(b.p, NULL, 10);
		if (got > total_forwarded || now_ms() >= deadline)
			break;
		usleep(20000);
	}
	if (got != total_forwarded) {
		snprintf(why, whylen, "the upstream answered %lu requests; %lu "
		    "complete ones were forwarded", got, total_forwarded);
		goto out;
	}
	rc = 0;
 out:
	buf_release(&b);
	return rc;
}

int
main(int argc, char **argv)
{
	struct kase	 k;
	char		 why[512];
	int		 ch, n = 0, failed = 0;

	while ((ch = getopt(argc, argv, "c:k:m:p:s:t:v")) != -1) {
		switch (ch) {
		case 'c':
			countfile = optarg;
			break;
		case 'k':
			only = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &port) == -1)
				usage();
			break;
		case 's':
			seenfile = optarg;
			break;
		case 't':
			if (parse_int(optarg, 1, 600000, &timeout_ms) == -1)
				usage();
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || port == 0)
		usage();
	(void)signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int a = 0; a < argc; a++) {
		FILE	*fp;
		int	 lineno = 0;

		if ((fp = fopen(argv[a], "r")) == NULL)
			die(66, "cannot open '%s': %s", argv[a],
			    strerror(errno));
		while (read_case(fp, argv[a], &lineno, &k) == 1) {
			int fwd, rc;

			if (only != NULL && strcmp(only, k.name) != 0) {
				case_release(&k);
				continue;
			}
			n++;
			if (k.skip) {
				printf("ok %d - %s # skip not in %s mode\n", n,
				    k.name, mode);
				case_release(&k);
				continue;
			}
			if (!k.expect_set)
				die(65, "%s:%d: case '%s' has no expect line",
				    argv[a], k.line, k.name);
			rc = run_case(&k, why, sizeof(why), &fwd);
			total_forwarded += (unsigned long)fwd;
			if (rc == 0 && k.todo == NULL)
				printf("ok %d - %s%s%s\n", n, k.name,
				    k.note != NULL ? ": " : "",
				    k.note != NULL ? k.note : "");
			else if (rc == 0)
				printf("ok %d - %s # TODO known breakage "
				    "vanished: %s\n", n, k.name, k.todo);
			else if (k.todo != NULL)
				printf("not ok %d - %s: %s # TODO %s\n", n,
				    k.name, why, k.todo);
			else {
				printf("not ok %d - %s: %s\n", n, k.name, why);
				printf("#   %s:%d%s%s\n", argv[a], k.line,
				    k.note != NULL ? ": " : "",
				    k.note != NULL ? k.note : "");
				failed++;
			}
			case_release(&k);
		}
		fclose(fp);
	}
	if (countfile != NULL && only == NULL) {
		n++;
		if (check_count(why, sizeof(why)) == 0)
			printf("ok %d - the upstream answered exactly the %lu "
			    "requests forwarded whole\n", n, total_forwarded);
		else {
			printf("not ok %d - %s\n", n, why);
			failed++;
		}
	}
	printf("1..%d\n", n);
	return failed == 0 ? 0 : 1;
}
