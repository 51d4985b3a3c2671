/*
 * client-h1.c: our own HTTP/1.1 client for plain http:// targets.
 *
 * Connections are kept per pool (target) after a response that allows it,
 * watched while idle so that one the upstream closes is dropped at once,
 * and reused most-recent-first.  A request that finds its reused connection
 * closed under it before any response byte, and before any body byte left
 * us, is sent again on a new connection (the usual keep-alive race).
 *
 * An exchange's socket work runs from the loop: gw_client_start() only
 * builds the request head and defers the rest, so callbacks never run
 * inside it.  Exchanges and connections are freed at the end of the loop
 * iteration, so a callback may cancel its own exchange.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <http_parser.h>

#include "buf.h"
#include "client-int.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"
#include "str.h"

#define READ_CHUNK	(16 * 1024)
#define SEND_CHUNK	(16 * 1024)
#define OUT_MAX		(64 * 1024)
#define SPARES		256

struct h1x;

struct h1conn {
	struct gw_client_pool	*pool;
	struct h1conn		*next, *prev;	/* idle or busy list */
	int			 fd;
	struct gw_io		 io;
	struct gw_timer		 timer;
	struct gw_buf		 rbuf;
	size_t			 roff;
	http_parser		 parser;
	struct h1x		*x;
	unsigned		 connecting:1;
	unsigned		 reused:1;
	unsigned		 idle:1;
	unsigned		 dead:1;
	unsigned		 eof:1;
};

struct h1x {
	struct gw_client_xchg	 base;
	struct h1x		*spare_next;
	struct h1conn		*conn;
	struct gw_buf		 out;		/* head, then body framing */
	size_t			 out_off;
	size_t			 head_len;
	int64_t			 body_len;	/* -1: chunked */
	uint64_t		 body_given;
	uint32_t		 connect_ms;
	unsigned		 head_req:1;
	unsigned		 body_end:1;	/* all of the body is in out */
	unsigned		 want_send:1;	/* read() said wait */
	unsigned		 resp_head:1;	/* head delivered */
	unsigned		 recv_stopped:1;
	unsigned		 msg_done:1;
	unsigned		 aborted:1;
	unsigned		 retried:1;
	unsigned		 finished:1;
	unsigned		 got_bytes:1;	/* any response byte */
	unsigned		 in_value:1;	/* the last piece was a value */
	int			 status;
	size_t			 nh;
	struct gw_http_header	 h[GW_MAX_HEADERS];
};

static void	conn_event(struct gw_io *io, uint32_t events);
static void	x_pump(struct h1x *x);
static void	x_parse(struct h1x *x);
static void	x_finish(struct h1x *x, enum gw_client_status st,
		    const char *msg);

/* Lists. */

static void
list_del(struct h1conn **head, struct h1conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (*head == c)
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

static void
list_push(struct h1conn **head, struct h1conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

/* Connections. */

static void
conn_free_deferred(void *arg)
{
	struct h1conn *c = arg;

	gw_buf_release(&c->rbuf);
	free(c);
}

static void
conn_close(struct h1conn *c)
{
	struct gw_client_pool *p = c->pool;

	if (c->dead)
		return;
	c->dead = 1;
	gw_io_stop(&c->io);
	gw_timer_stop(&c->timer);
	(void)close(c->fd);
	if (c->idle) {
		list_del(&p->idle, c);
		p->nidle--;
		c->idle = 0;
	} else
		list_del(&p->busy, c);
	c->x = NULL;
	if (gw_loop_defer(p->client->loop, conn_free_deferred, c) == -1)
		conn_free_deferred(c);
}

static void
idle_expired(struct gw_timer *t)
{
	conn_close(t->arg);
}

/* Back to the pool after a complete exchange, or closed. */
static void
conn_release(struct h1conn *c, int reusable)
{
	struct gw_client_pool *p = c->pool;

	c->x = NULL;
	if (!reusable || c->eof || c->roff != c->rbuf.len ||
	    p->nidle >= p->t->keepalive || p->t->keepalive == 0) {
		conn_close(c);
		return;
	}
	list_del(&p->busy, c);
	list_push(&p->idle, c);
	p->nidle++;
	c->idle = 1;
	c->reused = 1;
	c->rbuf.len = c->roff = 0;
	if (c->rbuf.cap > READ_CHUNK * 2)
		gw_buf_release(&c->rbuf);
	if (gw_io_modify(&c->io, EPOLLIN | EPOLLRDHUP, NULL) == -1) {
		conn_close(c);
		return;
	}
	gw_timer_start(p->client->loop, &c->timer,
	    (uint64_t)(p->t->keepalive_ms > 0 ? p->t->keepalive_ms : 30000) *
	    1000, idle_expired, c);
}

static void
connect_expired(struct gw_timer *t)
{
	struct h1conn	*c = t->arg;
	struct h1x	*x = c->x;

	conn_close(c);
	if (x != NULL)
		x_finish(x, GW_CLIENT_CONNECT_TIMEOUT, "connect timed out");
}

static struct h1conn *
conn_connect(struct gw_client_pool *p, uint32_t timeout_ms, int *err_no)
{
	const struct gw_client_target	*t = p->t;
	struct h1conn			*c;
	int				 fd, one = 1;

	*err_no = 0;
	if ((fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		*err_no = errno;
		return NULL;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		*err_no = ENOMEM;
		(void)close(fd);
		return NULL;
	}
	c->pool = p;
	c->fd = fd;
	gw_buf_init(&c->rbuf, GW_MAX_RESP_HEADER_BYTES + READ_CHUNK * 2);
	if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) == -1) {
		if (errno != EINPROGRESS) {
			*err_no = errno;
			(void)close(fd);
			free(c);
			return NULL;
		}
		c->connecting = 1;
	}
	if (gw_io_start(p->client->loop, &c->io, fd,
	    c->connecting ? EPOLLOUT : EPOLLIN | EPOLLRDHUP, conn_event, c,
	    NULL) == -1) {
		*err_no = errno;
		(void)close(fd);
		free(c);
		return NULL;
	}
	list_push(&p->busy, c);
	if (c->connecting)
		gw_timer_start(p->client->loop, &c->timer,
		    (uint64_t)(timeout_ms > 0 ? timeout_ms : 5000) * 1000,
		    connect_expired, c);
	return c;
}

/* Exchanges. */

static void
x_destroy(void *arg)
{
	struct h1x		*x = arg;
	struct gw_client	*c = x->base.pool->client;

	/* keep a few for the next requests, buffer included */
	if (c->nh1free < SPARES && x->out.cap <= OUT_MAX) {
		x->spare_next = c->h1free;
		c->h1free = x;
		c->nh1free++;
		return;
	}
	gw_buf_release(&x->out);
	free(x);
}

void
h1_free_spares(struct gw_client *c)
{
	while (c->h1free != NULL) {
		struct h1x *x = c->h1free;

		c->h1free = x->spare_next;
		gw_buf_release(&x->out);
		free(x);
	}
	c->nh1free = 0;
}

static void
x_detach(struct h1x *x)
{
	if (x->conn != NULL && x->conn->x == x)
		x->conn->x = NULL;
	x->conn = NULL;
}

static void
x_finish(struct h1x *x, enum gw_client_status st, const char *msg)
{
	struct h1conn	*c = x->conn;
	void		*arg = x->base.arg;

	if (x->finished)
		return;
	x->finished = 1;
	if (c != NULL) {
		x_detach(x);
		if (st == GW_CLIENT_OK)
			conn_release(c, x->body_end &&
			    x->out_off == x->out.len &&
			    http_should_keep_alive(&c->parser));
		else
			conn_close(c);
	}
	if (!x->base.cancelled)
		x->base.cbs->done(arg, st, msg);
	if (gw_loop_defer(x->base.pool->client->loop, x_destroy, x) == -1)
		x_destroy(x);
}

/* Attach a connection: a pooled one, or a new one. */
static int
x_attach(struct h1x *x, int fresh)
{
	struct gw_client_pool	*p = x->base.pool;
	struct h1conn		*c = NULL;
	int			 e;

	if (!fresh && p->idle != NULL) {
		c = p->idle;
		list_del(&p->idle, c);
		p->nidle--;
		c->idle = 0;
		list_push(&p->busy, c);
		gw_timer_stop(&c->timer);
	} else if ((c = conn_connect(p, x->connect_ms, &e)) == NULL) {
		x_finish(x, GW_CLIENT_CONNECT_FAILED, strerror(e));
		return -1;
	}
	c->x = x;
	x->conn = c;
	x->out_off = 0;
	c->roff = 0;
	c->rbuf.len = 0;
	return 0;
}

/* The connection broke before a response: retry once if that is safe. */
static void
x_broken(struct h1x *x, const char *why)
{
	struct h1conn *c = x->conn;

	if (c != NULL && c->reused && !x->got_bytes && !x->base.body_sent &&
	    !x->retried) {
		x->retried = 1;
		x_detach(x);
		conn_close(c);
		if (x_attach(x, 1) == 0 && x->conn != NULL &&
		    !x->conn->connecting)
			x_pump(x);
		return;
	}
	if (x->resp_head)
		x_finish(x, GW_CLIENT_TRUNCATED, why);
	else
		x_finish(x, x->got_bytes ? GW_CLIENT_BAD_RESPONSE :
		    GW_CLIENT_RESET, why);
}

static void
conn_update(struct h1conn *c)
{
	struct h1x	*x = c->x;
	uint32_t	 ev = 0;

	if (c->dead)
		return;
	if (c->connecting)
		ev = EPOLLOUT;
	else {
		if (x == NULL || (!x->recv_stopped && !c->eof))
			ev |= EPOLLIN | EPOLLRDHUP;
		if (x != NULL && x->out_off < x->out.len)
			ev |= EPOLLOUT;
	}
	if (gw_io_modify(&c->io, ev, NULL) == -1 && x != NULL)
		x_finish(x, GW_CLIENT_ERROR, "epoll_ctl failed");
}

/* Pull request body bytes into out, framed. */
static int
x_fill(struct h1x *x)
{
	for (;;) {
		size_t	room, want;
		ssize_t	n;
		char	*p;

		if (x->body_end || x->want_send || x->out.len - x->out_off >=
		    OUT_MAX)
			return 0;
		if (x->out_off == x->out.len && x->base.body_sent) {
			x->out.len = x->out_off = 0;
		}
		want = SEND_CHUNK;
		if (x->body_len >= 0 && (uint64_t)x->body_len - x->body_given <
		    want)
			want = (size_t)((uint64_t)x->body_len - x->body_given);
		if (want == 0) {
			x->body_end = 1;
			return 0;
		}
		/* room for "%zx\r\n" before and "\r\n" after */
		if (gw_buf_reserve(&x->out, want + 16, NULL) == -1)
			return -1;
		room = want;
		p = x->out.p + x->out.len + (x->body_len < 0 ? 10 : 0);
		n = x->base.cbs->read(x->base.arg, p, room);
		if (x->base.cancelled || x->finished)
			return -1;
		if (n == GW_CLIENT_WAIT) {
			x->want_send = 1;
			return 0;
		}
		if (n < 0 || (size_t)n > room) {
			x->aborted = 1;
			return -1;
		}
		if (n == 0) {
			if (x->body_len >= 0) {
				/* shorter than announced */
				x->aborted = 1;
				return -1;
			}
			if (gw_buf_append(&x->out, "0\r\n\r\n", 5, NULL) == -1)
				return -1;
			x->body_end = 1;
			return 0;
		}
		x->base.body_sent = 1;
		x->body_given += (uint64_t)n;
		if (x->body_len < 0) {
			char hdr[12];
			int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n",
			    (size_t)n);

			memmove(x->out.p + x->out.len + hl, p, (size_t)n);
			memcpy(x->out.p + x->out.len, hdr, (size_t)hl);
			x->out.len += (size_t)hl + (size_t)n;
			memcpy(x->out.p + x->out.len, "\r\n", 2);
			x->out.len += 2;
		} else {
			x->out.len += (size_t)n;
			if ((uint64_t)x->body_len == x->body_given)
				x->body_end = 1;
		}
	}
}

/* Write what is pending, pulling more body as it goes. */
static void
x_pump(struct h1x *x)
{
	struct h1conn *c = x->conn;

	if (c == NULL || c->connecting || x->finished)
		return;
	for (;;) {
		ssize_t w;

		if (x_fill(x) == -1) {
			if (!x->finished)
				x_finish(x, x->aborted ? GW_CLIENT_ABORTED :
				    GW_CLIENT_ERROR, "request body failed");
			return;
		}
		if (x->out_off == x->out.len)
			break;
		do
			w = send(c->fd, x->out.p + x->out_off,
			    x->out.len - x->out_off, MSG_NOSIGNAL);
		while (w == -1 && errno == EINTR);
		if (w == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			x_broken(x, strerror(errno));
			return;
		}
		x->out_off += (size_t)w;
		if (x->out_off < x->out.len)
			break;
		if (x->body_end)
			break;
	}
	conn_update(c);
}

/* Reading the response. */

static int
h_field(http_parser *hp, const char *at, size_t len)
{
	struct h1x *x = hp->data;

	if (x->nh >= GW_MAX_HEADERS)
		return -1;
	x->in_value = 0;
	x->h[x->nh].name = gw_str_make(at, len);
	x->h[x->nh].value = gw_str_make(at + len, 0);
	x->nh++;
	return 0;
}

static int
h_value(http_parser *hp, const char *at, size_t len)
{
	struct h1x *x = hp->data;

	/*
	 * The head is parsed in one piece, so a second value of one field
	 * is an obs-fold line, which libhttp-parser hands over on its own:
	 * keeping the last would cut the value.  RFC 9112 5.2 lets a proxy
	 * answer 502 instead.
	 */
	if (x->nh == 0 || x->in_value)
		return -1;
	x->in_value = 1;
	x->h[x->nh - 1].value = gw_str_trim(gw_str_make(at, len));
	return 0;
}

static int
h_complete(http_parser *hp)
{
	struct h1x	*x = hp->data;
	unsigned	 st = hp->status_code;

	http_parser_pause(hp, 1);
	/*
	 * No body, whatever the fields say: the answer to HEAD, and 1xx,
	 * 204 and 304 (RFC 9112 6.3).
	 */
	return x->head_req || st / 100 == 1 || st == 204 || st == 304 ? 1 : 0;
}

static int
b_body(http_parser *hp, const char *at, size_t len)
{
	struct h1x	*x = hp->data;
	int		 rc;

	rc = x->base.cbs->body(x->base.arg, at, len);
	if (x->base.cancelled || x->finished) {
		http_parser_pause(hp, 1);
		return 0;
	}
	if (rc == -1) {
		x->aborted = 1;
		http_parser_pause(hp, 1);
	} else if (rc == 1) {
		x->recv_stopped = 1;
		http_parser_pause(hp, 1);
	}
	return 0;
}

static int
b_complete(http_parser *hp)
{
	struct h1x *x = hp->data;

	x->msg_done = 1;
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings head_settings = {
	.on_header_field = h_field,
	.on_header_value = h_value,
	.on_headers_complete = h_complete,
	.on_message_complete = b_complete,
};

static const http_parser_settings body_settings = {
	.on_body = b_body,
	.on_message_complete = b_complete,
};

/* Strict enough: field names are tokens, values hold no control bytes. */
static int
valid_fields(const struct h1x *x)
{
	for (size_t i = 0; i < x->nh; i++) {
		const struct gw_http_header *f = &x->h[i];

		if (f->name.len == 0)
			return 0;
		for (size_t j = 0; j < f->name.len; j++)
			if (!gw_http_is_tchar((unsigned char)f->name.p[j]))
				return 0;
		for (size_t j = 0; j < f->value.len; j++) {
			unsigned char ch = (unsigned char)f->value.p[j];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return 0;
		}
	}
	return 1;
}

/* Parse a complete head at rbuf[roff..]; 1 done, 0 need more, -1 bad. */
static int
parse_head(struct h1x *x)
{
	struct h1conn	*c = x->conn;
	const char	*p = c->rbuf.p + c->roff, *end;
	size_t		 avail = c->rbuf.len - c->roff, hl, n;
	int64_t		 clen;

	for (;;) {
		enum http_errno e;

		/*
		 * The first end of a head: an empty line, CRLF CRLF or a lax
		 * LF LF or LF CRLF.  Found from the line ends forward, never
		 * past the longest head, so the body that came with the head
		 * is not searched (it was, three times, by memmem()).
		 */
		end = NULL;
		hl = 0;
		{
			size_t		 lim = avail < GW_MAX_RESP_HEADER_BYTES + 3 ?
			    avail : GW_MAX_RESP_HEADER_BYTES + 3;
			const char	*q = p, *qe = p + lim;

			while ((q = memchr(q, '\n', (size_t)(qe - q))) != NULL &&
			    qe - q > 1) {
				if (q[1] == '\n') {
					end = q;
					hl = (size_t)(q - p) + 2;
					break;
				}
				if (q[1] == '\r' && qe - q > 2 && q[2] == '\n') {
					end = q;
					hl = (size_t)(q - p) + 3;
					break;
				}
				q++;
			}
		}
		if (end == NULL) {
			if (avail > GW_MAX_RESP_HEADER_BYTES)
				return -1;
			return 0;
		}
		http_parser_init(&c->parser, HTTP_RESPONSE);
		c->parser.data = x;
		x->nh = 0;
		x->in_value = 0;
		n = http_parser_execute(&c->parser, &head_settings, p, hl);
		e = HTTP_PARSER_ERRNO(&c->parser);
		if (e != HPE_PAUSED || !valid_fields(x))
			return -1;
		x->status = (int)c->parser.status_code;
		if (x->status >= 100 && x->status < 200) {
			if (x->status == 101)
				return -1;	/* never asked to switch */
			/* an interim response: skip it */
			c->roff += hl;
			p += hl;
			avail -= hl;
			continue;
		}
		if (x->status < 200 || x->status > 599)
			return -1;
		if (c->parser.flags & F_CHUNKED)
			clen = -1;
		else if (c->parser.flags & F_CONTENTLENGTH) {
			if (c->parser.content_length > (uint64_t)INT64_MAX)
				return -1;	/* no body is that long */
			clen = (int64_t)c->parser.content_length;
		}
		else if (x->status == 204 || x->status == 304)
			clen = -1;
		else
			clen = -1;
		x->resp_head = 1;
		if (x->base.cbs->head(x->base.arg, x->status, x->h, x->nh,
		    clen) == -1)
			x->aborted = 1;
		/* resume at the head's last byte, which the parser re-reads */
		c->roff += n;
		http_parser_pause(&c->parser, 0);
		return 1;
	}
}

static void
x_parse(struct h1x *x)
{
	struct h1conn *c = x->conn;

	if (c == NULL || x->finished)
		return;
	if (!x->resp_head) {
		int rc = parse_head(x);

		if (x->base.cancelled || x->finished)
			return;
		if (rc == -1) {
			x_finish(x, GW_CLIENT_BAD_RESPONSE,
			    "malformed response head");
			return;
		}
		if (x->aborted) {
			x_finish(x, GW_CLIENT_ABORTED, "aborted");
			return;
		}
		if (rc == 0)
			goto need_more;
	}
	while (!x->recv_stopped && !x->msg_done) {
		size_t		avail = c->rbuf.len - c->roff, n;
		enum http_errno	e;

		if (avail == 0 && !c->eof)
			break;
		c->parser.data = x;
		n = http_parser_execute(&c->parser, &body_settings,
		    c->rbuf.p + c->roff, avail);
		if (x->base.cancelled || x->finished)
			return;
		c->roff += n;
		e = HTTP_PARSER_ERRNO(&c->parser);
		if (x->aborted) {
			x_finish(x, GW_CLIENT_ABORTED, "aborted");
			return;
		}
		if (e == HPE_PAUSED) {
			if (!x->msg_done && !x->recv_stopped)
				http_parser_pause(&c->parser, 0);
			continue;
		}
		if (e != HPE_OK) {
			x_finish(x, GW_CLIENT_TRUNCATED,
			    http_errno_description(e));
			return;
		}
		if (avail == 0) {
			/* EOF given to the parser and it did not complete */
			if (!x->msg_done)
				x_finish(x, GW_CLIENT_TRUNCATED,
				    "connection closed in the response body");
			break;
		}
	}
	if (x->msg_done) {
		x_finish(x, GW_CLIENT_OK, NULL);
		return;
	}
 need_more:
	if (c->eof && !x->recv_stopped && !x->finished) {
		if (!x->resp_head)
			x_broken(x, "connection closed before the response");
		else
			x_finish(x, GW_CLIENT_TRUNCATED,
			    "connection closed in the response body");
		return;
	}
	if (c->roff == c->rbuf.len) {
		c->roff = 0;
		c->rbuf.len = 0;
	}
	conn_update(c);
}

static void
conn_read(struct h1conn *c)
{
	ssize_t n;

	if (c->roff > 0 && c->roff == c->rbuf.len) {
		c->roff = 0;
		c->rbuf.len = 0;
	} else if (c->roff > 0 && c->rbuf.cap - c->rbuf.len < READ_CHUNK) {
		gw_buf_consume(&c->rbuf, c->roff);
		c->roff = 0;
	}
	if (gw_buf_reserve(&c->rbuf, READ_CHUNK, NULL) == -1) {
		if (c->x != NULL)
			x_finish(c->x, GW_CLIENT_BAD_RESPONSE,
			    "response head too large");
		else
			conn_close(c);
		return;
	}
	do
		n = read(c->fd, c->rbuf.p + c->rbuf.len,
		    c->rbuf.cap - c->rbuf.len);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		c->eof = 1;
		if (c->x != NULL && !c->x->resp_head) {
			x_broken(c->x, strerror(errno));
			return;
		}
	} else if (n == 0)
		c->eof = 1;
	else {
		c->rbuf.len += (size_t)n;
		if (c->x != NULL)
			c->x->got_bytes = 1;
	}
	if (c->x == NULL) {
		/* an idle connection spoke or closed: drop it */
		conn_close(c);
		return;
	}
	x_parse(c->x);
}

static void
connected(struct h1conn *c)
{
	struct h1x	*x = c->x;
	int		 e = 0;
	socklen_t	 el = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		e = errno;
	if (e != 0) {
		conn_close(c);
		if (x != NULL)
			x_finish(x, GW_CLIENT_CONNECT_FAILED, strerror(e));
		return;
	}
	c->connecting = 0;
	gw_timer_stop(&c->timer);
	if (x == NULL) {
		conn_close(c);
		return;
	}
	x_pump(x);
}

static void
conn_event(struct gw_io *io, uint32_t events)
{
	struct h1conn	*c = io->arg;
	struct h1x	*x = c->x;

	if (c->connecting) {
		connected(c);
		return;
	}
	if ((events & EPOLLOUT) && x != NULL) {
		x_pump(x);
		if (c->dead || c->x != x)
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c);
}

/* The interface. */

static void
x_kick(void *arg)
{
	struct h1x *x = arg;

	if (x->finished || x->base.cancelled)
		return;
	if (x->conn == NULL) {
		if (x_attach(x, 0) == -1)
			return;
	}
	if (x->conn->connecting)
		return;
	x_pump(x);
}

static int
method_has_body(struct gw_str m)
{
	return gw_str_eq(m, GW_STR("POST")) || gw_str_eq(m, GW_STR("PUT")) ||
	    gw_str_eq(m, GW_STR("PATCH"));
}

static int
serialize(struct h1x *x, const struct gw_client_request *r)
{
	struct gw_buf	*b = &x->out;
	char		 num[32];

	if (gw_buf_reserve(b, 512, NULL) == -1 ||
	    gw_buf_append_str(b, r->method, NULL) == -1 ||
	    gw_buf_putc(b, ' ', NULL) == -1 ||
	    gw_buf_append_str(b, r->target, NULL) == -1 ||
	    gw_buf_append(b, " HTTP/1.1\r\n", 11, NULL) == -1)
		return -1;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct gw_http_header *h = &r->headers[i];

		if (gw_buf_append_str(b, h->name, NULL) == -1 ||
		    gw_buf_append(b, ": ", 2, NULL) == -1 ||
		    gw_buf_append_str(b, h->value, NULL) == -1 ||
		    gw_buf_append(b, "\r\n", 2, NULL) == -1)
			return -1;
	}
	/*
	 * RFC 9110 8.6: a length goes with methods that define a body, even
	 * an empty one.
	 */
	if (r->body_len < 0) {
		if (gw_buf_puts(b, "Transfer-Encoding: chunked\r\n", NULL) == -1)
			return -1;
	} else if (r->body_len > 0 || method_has_body(r->method)) {
		(void)snprintf(num, sizeof(num), "%" PRId64, r->body_len);
		if (gw_buf_printf(b, NULL, "Content-Length: %s\r\n", num) == -1)
			return -1;
	}
	if (gw_buf_append(b, "\r\n", 2, NULL) == -1)
		return -1;
	x->head_len = b->len;
	return 0;
}

struct gw_client_xchg *
h1_start(struct gw_client_pool *p, const struct gw_client_request *r,
    const struct gw_client_cbs *cbs, void *arg, struct gw_err *err)
{
	struct gw_client	*c = p->client;
	struct h1x		*x;
	struct gw_buf		 out;

	if ((x = c->h1free) != NULL) {
		c->h1free = x->spare_next;
		c->nh1free--;
		out = x->out;
		out.len = 0;
	} else if ((x = malloc(sizeof(*x))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	} else
		gw_buf_init(&out, 0);
	/* the field array is filled before it is read: no need to clear it */
	memset(x, 0, offsetof(struct h1x, h));
	x->out = out;
	x->base.backend = BACKEND_H1;
	x->base.pool = p;
	x->base.cbs = cbs;
	x->base.arg = arg;
	x->body_len = r->body_len;
	x->body_end = r->body_len == 0;
	x->head_req = r->head;
	x->connect_ms = r->connect_timeout_ms;
	if (serialize(x, r) == -1 ||
	    gw_loop_defer(p->client->loop, x_kick, x) == -1) {
		gw_buf_release(&x->out);
		free(x);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	return &x->base;
}

static void
resume_recv_deferred(void *arg)
{
	struct h1x *x = arg;

	if (x->finished || x->base.cancelled || x->conn == NULL)
		return;
	x_parse(x);
	if (!x->finished && x->conn != NULL && !x->recv_stopped)
		conn_update(x->conn);
}

void
h1_resume_recv(struct gw_client_xchg *base)
{
	struct h1x *x = (struct h1x *)base;

	if (!x->recv_stopped || x->finished)
		return;
	x->recv_stopped = 0;
	http_parser_pause(&x->conn->parser, 0);
	if (gw_loop_defer(base->pool->client->loop, resume_recv_deferred,
	    x) == -1)
		resume_recv_deferred(x);
}

static void
resume_send_deferred(void *arg)
{
	struct h1x *x = arg;

	if (x->finished || x->base.cancelled)
		return;
	x_pump(x);
}

void
h1_resume_send(struct gw_client_xchg *base)
{
	struct h1x *x = (struct h1x *)base;

	if (!x->want_send || x->finished)
		return;
	x->want_send = 0;
	if (gw_loop_defer(base->pool->client->loop, resume_send_deferred,
	    x) == -1)
		resume_send_deferred(x);
}

void
h1_cancel(struct gw_client_xchg *base)
{
	struct h1x *x = (struct h1x *)base;

	if (x->base.cancelled || x->finished) {
		x->base.cancelled = 1;
		return;
	}
	x->base.cancelled = 1;
	x_finish(x, GW_CLIENT_ABORTED, "cancelled");
}

void
h1_pool_close(struct gw_client_pool *p)
{
	while (p->idle != NULL)
		conn_close(p->idle);
	while (p->busy != NULL) {
		struct h1conn *c = p->busy;

		if (c->x != NULL) {
			c->x->base.cancelled = 1;
			x_finish(c->x, GW_CLIENT_ABORTED, "closed");
		}
		if (!c->dead)
			conn_close(c);
	}
}
