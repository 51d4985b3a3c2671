/*
 * fuzz-client-resp.c: the HTTP/1.1 client's reading of upstream responses
 * (client-h1.c), driven through its real code path on the event loop.
 *
 * The client's pool points at a Unix socket this target listens on (a
 * target's address may be any socket address).  For each input the client
 * starts one exchange, this side accepts the connection, reads the
 * request, and writes the input's bytes back as the "upstream" in pieces,
 * with loop iterations between them, then closes.  The first byte chooses
 * the request (GET or HEAD, with or without a body) and whether the body
 * callback asks to stop reading now and then; the second seeds the sizes
 * of the pieces.  A broken invariant aborts:
 *
 *   - done() is called exactly once, with a known status, and nothing is
 *     called after it;
 *   - head() at most once, before any body byte, with a final status
 *     (200 to 599) and fields whose names are tokens and whose values hold
 *     no control bytes;
 *   - no body byte for HEAD, 204 or 304; for others, when the exchange
 *     ends well and the length was announced, exactly that many bytes;
 *   - GW_CLIENT_OK only after head(); never with an announced length and
 *     fewer bytes.
 *
 * Until the response head parser is a function on memory (SECURITY.md
 * says which), this is how it can be reached.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
	int		 heads;
	int		 dones;
	int		 status;
	int64_t		 clen;
	uint64_t	 body;
	enum gw_client_status st;
	int		 head_req;
	int		 pause_every;	/* body() says "stop" every Nth call */
	int		 calls;
	int		 paused;
	size_t		 sent;		/* request body bytes handed over */
	size_t		 to_send;
};

static struct gw_loop		*loop;
static struct gw_client		*client;
static struct gw_client_target	 target;
static int			 lfd = -1;

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-client-resp: %s\n", what);
	abort();
}

static int
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != 0 &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
cb_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t clen)
{
	struct state *s = arg;

	if (s->dones != 0)
		fail("head() after done()");
	if (s->heads++ != 0)
		fail("head() twice");
	if (s->body != 0)
		fail("body bytes before head()");
	if (status < 200 || status > 599)
		fail("head() with a status that is not final");
	if (clen < -1)
		fail("a negative length other than -1");
	for (size_t i = 0; i < nh; i++) {
		if (h[i].name.len == 0)
			fail("an empty field name");
		for (size_t j = 0; j < h[i].name.len; j++)
			if (!is_tchar((unsigned char)h[i].name.p[j]))
				fail("a field name that is not a token");
		for (size_t j = 0; j < h[i].value.len; j++) {
			unsigned char c = (unsigned char)h[i].value.p[j];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				fail("a control byte in a field value");
		}
	}
	s->status = status;
	s->clen = clen;
	return 0;
}

static int
cb_body(void *arg, const char *p, size_t len)
{
	struct state *s = arg;

	(void)p;
	if (s->dones != 0)
		fail("body() after done()");
	if (s->heads == 0)
		fail("body() before head()");
	if (s->head_req || s->status == 204 || s->status == 304)
		fail("a body for HEAD, 204 or 304");
	s->body += len;
	if (s->clen >= 0 && s->body > (uint64_t)s->clen)
		fail("more body bytes than announced");
	if (s->pause_every > 0 && ++s->calls % s->pause_every == 0) {
		s->paused = 1;
		return 1;
	}
	return 0;
}

static ssize_t
cb_read(void *arg, char *buf, size_t len)
{
	struct state *s = arg;

	if (s->sent == s->to_send)
		return 0;
	if (len > s->to_send - s->sent)
		len = s->to_send - s->sent;
	memset(buf, 'b', len);
	s->sent += len;
	return (ssize_t)len;
}

static void
cb_done(void *arg, enum gw_client_status st, const char *msg)
{
	struct state *s = arg;

	(void)msg;
	if (s->dones++ != 0)
		fail("done() twice");
	if ((int)st < GW_CLIENT_OK || st > GW_CLIENT_ERROR)
		fail("an unknown status");
	if (st == GW_CLIENT_OK && s->heads == 0)
		fail("OK without a head");
	if (st == GW_CLIENT_OK && s->clen >= 0 && !s->head_req &&
	    s->status != 204 && s->status != 304 &&
	    s->body != (uint64_t)s->clen)
		fail("OK with fewer body bytes than announced");
	s->st = st;
}

static const struct gw_client_cbs cbs = {
	.head = cb_head,
	.body = cb_body,
	.read = cb_read,
	.done = cb_done,
};

static void
setup(void)
{
	struct sockaddr_un	*sun;
	struct gw_err		 err;

	(void)signal(SIGPIPE, SIG_IGN);
	if ((loop = gw_loop_new(&err)) == NULL ||
	    (client = gw_client_new(loop, &err)) == NULL)
		fail("setup");
	memset(&target, 0, sizeof(target));
	sun = (struct sockaddr_un *)&target.addr;
	sun->sun_family = AF_UNIX;
	/* an abstract name: nothing in the file system */
	(void)snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
	    "gw-fuzz-client-resp-%ld", (long)getpid());
	target.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    1 + strlen(sun->sun_path + 1));
	target.url = "http://fuzz";
	target.hostport = GW_STR("fuzz");
	target.keepalive = 4;
	target.keepalive_ms = 1000;
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(lfd, (struct sockaddr *)&target.addr,
	    target.addrlen) == -1 || listen(lfd, 16) == -1)
		fail("cannot listen on the abstract socket");
}

static void
drain(int fd)
{
	char	tmp[4096];

	while (read(fd, tmp, sizeof(tmp)) > 0)
		continue;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_client_pool		*pool;
	struct gw_client_xchg		*x;
	struct gw_client_request	 rq;
	struct gw_http_header		 h[1];
	struct gw_err			 err;
	struct state			 s;
	uint32_t			 seed;
	size_t				 off = 0;
	int				 sfd = -1;

	if (size < 2)
		return 0;
	if (loop == NULL)
		setup();
	memset(&s, 0, sizeof(s));
	s.head_req = data[0] & 1;
	s.pause_every = (data[0] >> 1) & 3;
	s.to_send = (data[0] & 8) ? 100 + (size_t)data[1] * 64 : 0;
	s.clen = -1;
	seed = (uint32_t)data[1] << 8 | data[0] | 1u;
	data += 2;
	size -= 2;

	if ((pool = gw_client_pool_new(client, &target, &err)) == NULL)
		fail("gw_client_pool_new");
	memset(&rq, 0, sizeof(rq));
	rq.method = s.head_req ? GW_STR("HEAD") : s.to_send > 0 ?
	    GW_STR("POST") : GW_STR("GET");
	rq.target = GW_STR("/fuzz");
	h[0].name = GW_STR("Host");
	h[0].value = GW_STR("fuzz");
	rq.headers = h;
	rq.nheaders = 1;
	rq.body_len = (data[-2] & 16) ? -1 : (int64_t)s.to_send;
	rq.head = s.head_req;
	rq.connect_timeout_ms = 1000;
	if ((x = gw_client_start(pool, &rq, &cbs, &s, &err)) == NULL)
		fail("gw_client_start");
	/* let it connect and send, then take the connection */
	for (int i = 0; i < 100 && sfd == -1; i++) {
		(void)gw_loop_once(loop, i < 10 ? 0 : 1, &err);
		sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	if (sfd == -1)
		fail("the client did not connect");
	/* the response, in pieces */
	while (off < size && s.dones == 0) {
		size_t	n = size - off;
		ssize_t	w;

		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		/* small pieces, but not more than about 64 of them */
		if (seed & 1)
			n = GW_MIN(n, GW_MAX(1 + (seed >> 1) % 64,
			    size / 64));
		drain(sfd);
		if ((w = send(sfd, data + off, n, MSG_NOSIGNAL)) == -1) {
			if (errno != EAGAIN)
				break;
			w = 0;
		}
		off += (size_t)w;
		(void)gw_loop_once(loop, 0, &err);
		if (s.paused) {
			s.paused = 0;
			gw_client_resume_recv(x);
		}
	}
	drain(sfd);
	(void)shutdown(sfd, SHUT_WR);
	for (int i = 0; i < 300 && s.dones == 0; i++) {
		(void)gw_loop_once(loop, i < 200 ? 0 : 1, &err);
		drain(sfd);
		if (s.paused) {
			s.paused = 0;
			gw_client_resume_recv(x);
		}
	}
	if (s.dones == 0) {
		/* waiting for more than was sent (a request body, say) */
		gw_client_cancel(x);
		if (s.dones != 0 && s.st != GW_CLIENT_ABORTED)
			fail("cancel() called done() with another status");
		s.dones = 1;
	}
	(void)close(sfd);
	/* deferred frees run, then the pool goes */
	for (int i = 0; i < 3; i++)
		(void)gw_loop_once(loop, 0, &err);
	gw_client_pool_free(pool);
	for (int i = 0; i < 2; i++)
		(void)gw_loop_once(loop, 0, &err);
	if (s.dones != 1)
		fail("done() not called once");
	if (getenv("FUZZ_VERBOSE") != NULL)
		(void)fprintf(stderr, "fuzz-client-resp: %s, status %d, "
		    "length %lld, %llu body bytes\n", gw_client_status_str(s.st),
		    s.status, (long long)s.clen, (unsigned long long)s.body);
	return 0;
}
