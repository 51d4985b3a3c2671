/*
 * client-curl.c: exchanges through libcurl's multi interface, on the loop.
 *
 * libcurl's sockets are watched through gw_io (CURLMOPT_SOCKETFUNCTION) and
 * its timeout is a gw_timer (CURLMOPT_TIMERFUNCTION).  The upload pauses
 * when read() has nothing yet (CURL_READFUNC_PAUSE), the download when
 * body() asks to stop (curl_easy_pause(CURLPAUSE_RECV) from inside the
 * write callback, after taking the bytes).
 *
 * libcurl forbids curl_multi_remove_handle() inside its callbacks, so an
 * exchange cancelled from one is only marked there and removed once
 * curl_multi_socket_action() has returned.  libcurl itself is initialized
 * on the first exchange: processes that never need it never pay for it.
 * Only this file calls libcurl.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client-int.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"
#include "str.h"

#define EASY_CACHE	64

struct cx;

struct curl_state {
	struct gw_client	*client;
	CURLM			*multi;
	struct gw_timer		 timer;
	CURL			*easy[EASY_CACHE];
	size_t			 neasy;
	int			 depth;		/* inside libcurl calls */
	struct cx		*live;
};

struct csock {
	struct curl_state	*cs;
	struct gw_io		 io;
	curl_socket_t		 fd;
};

struct cx {
	struct gw_client_xchg	 base;
	struct curl_state	*cs;
	struct cx		*prev, *next;
	CURL			*easy;
	struct curl_slist	*hdrs;
	struct curl_slist	*connect_to;	/* with a server_name */
	char			*url;
	char			*method;
	int64_t			 body_len;
	int			 status;
	size_t			 head_bytes;
	size_t			 nh;
	struct gw_http_header	 h[GW_MAX_HEADERS];
	struct gw_buf		 hbuf;		/* header text of this head */
	unsigned		 in_multi:1;
	unsigned		 head_done:1;
	unsigned		 bad:1;
	unsigned		 aborted:1;
	unsigned		 paused_recv:1;
	unsigned		 paused_send:1;
	unsigned		 finished:1;
	unsigned		 reap:1;	/* remove once out of libcurl */
	char			 errbuf[CURL_ERROR_SIZE];
};

static void	check_done(struct curl_state *cs);

/* libcurl on the loop. */

static void
run_action(struct curl_state *cs, curl_socket_t fd, int mask)
{
	int running;

	cs->depth++;
	(void)curl_multi_socket_action(cs->multi, fd, mask, &running);
	cs->depth--;
	check_done(cs);
}

static void
sock_event(struct gw_io *io, uint32_t events)
{
	struct csock	*s = io->arg;
	int		 mask = 0;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		mask |= CURL_CSELECT_ERR;
	run_action(s->cs, s->fd, mask);
}

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curl_state	*cs = userp;
	struct csock		*s = socketp;
	uint32_t		 ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			gw_io_stop(&s->io);
			free(s);
			(void)curl_multi_assign(cs->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->cs = cs;
		s->fd = fd;
		if (gw_io_start(cs->client->loop, &s->io, fd, ev, sock_event, s,
		    NULL) == -1) {
			free(s);
			return -1;
		}
		(void)curl_multi_assign(cs->multi, fd, s);
		return 0;
	}
	return gw_io_modify(&s->io, ev, NULL);
}

static void
timer_fire(struct gw_timer *t)
{
	run_action(t->arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_state *cs = userp;

	(void)multi;
	if (timeout_ms < 0)
		gw_timer_stop(&cs->timer);
	else
		gw_timer_start(cs->client->loop, &cs->timer,
		    (uint64_t)timeout_ms * 1000, timer_fire, cs);
	return 0;
}

static struct curl_state *
state_get(struct gw_client *c, struct gw_err *err)
{
	static int		 global_done;
	struct curl_state	*cs;

	if (c->curl != NULL)
		return c->curl;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			gw_err_set(err, GW_E_INTERNAL,
			    "cannot initialize libcurl");
			return NULL;
		}
		global_done = 1;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	cs->client = c;
	if ((cs->multi = curl_multi_init()) == NULL) {
		free(cs);
		gw_err_set(err, GW_E_NOMEM, "curl_multi_init failed");
		return NULL;
	}
	(void)curl_multi_setopt(cs->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	(void)curl_multi_setopt(cs->multi, CURLMOPT_SOCKETDATA, cs);
	(void)curl_multi_setopt(cs->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	(void)curl_multi_setopt(cs->multi, CURLMOPT_TIMERDATA, cs);
	(void)curl_multi_setopt(cs->multi, CURLMOPT_MAXCONNECTS, 1024L);
	c->curl = cs;
	return cs;
}

/* Ending an exchange (never from inside libcurl). */

static void
cx_destroy(void *arg)
{
	struct cx *x = arg;

	free(x->url);
	free(x->method);
	gw_buf_release(&x->hbuf);
	free(x);
}

static void
cx_release(struct cx *x)
{
	struct curl_state *cs = x->cs;

	if (x->in_multi) {
		(void)curl_multi_remove_handle(cs->multi, x->easy);
		x->in_multi = 0;
	}
	if (x->easy != NULL) {
		if (cs->neasy < EASY_CACHE)
			cs->easy[cs->neasy++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	curl_slist_free_all(x->connect_to);
	x->connect_to = NULL;
	if (x->prev != NULL)
		x->prev->next = x->next;
	else if (cs->live == x)
		cs->live = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

static void
cx_finish(struct cx *x, enum gw_client_status st, const char *msg)
{
	if (x->finished)
		return;
	x->finished = 1;
	cx_release(x);
	if (!x->base.cancelled)
		x->base.cbs->done(x->base.arg, st, msg);
	if (gw_loop_defer(x->cs->client->loop, cx_destroy, x) == -1)
		cx_destroy(x);
}

static enum gw_client_status
map_result(struct cx *x, CURLcode rc)
{
	if (x->aborted)
		return GW_CLIENT_ABORTED;
	if (x->bad)
		return GW_CLIENT_BAD_RESPONSE;
	if (x->head_done)
		return GW_CLIENT_TRUNCATED;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return GW_CLIENT_CONNECT_FAILED;
	case CURLE_OPERATION_TIMEDOUT:
		return GW_CLIENT_CONNECT_TIMEOUT;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return GW_CLIENT_RESET;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return GW_CLIENT_BAD_RESPONSE;
	default:
		return GW_CLIENT_ERROR;
	}
}

static void
check_done(struct curl_state *cs)
{
	CURLMsg		*msg;
	int		 left;
	struct cx	*x, *next;

	if (cs->depth > 0)
		return;
	while ((msg = curl_multi_info_read(cs->multi, &left)) != NULL) {
		x = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x == NULL || x->finished)
			continue;
		if (msg->data.result == CURLE_OK && x->head_done)
			cx_finish(x, GW_CLIENT_OK, NULL);
		else
			cx_finish(x, map_result(x, msg->data.result),
			    x->errbuf[0] != '\0' ? x->errbuf :
			    curl_easy_strerror(msg->data.result));
	}
	/* exchanges cancelled from inside libcurl */
	for (x = cs->live; x != NULL; x = next) {
		next = x->next;
		if (x->reap)
			cx_finish(x, GW_CLIENT_ABORTED, "cancelled");
	}
}

/* libcurl callbacks. */

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct cx	*x = arg;
	ssize_t		 n;

	if (x->finished || x->reap)
		return CURL_READFUNC_ABORT;
	n = x->base.cbs->read(x->base.arg, buf, size * nitems);
	if (x->base.cancelled)
		return CURL_READFUNC_ABORT;
	if (n == GW_CLIENT_WAIT) {
		x->paused_send = 1;
		return CURL_READFUNC_PAUSE;
	}
	if (n < 0) {
		x->aborted = 1;
		return CURL_READFUNC_ABORT;
	}
	if (n > 0)
		x->base.body_sent = 1;
	return (size_t)n;
}

static int
deliver_head(struct cx *x)
{
	int64_t	len = -1;
	size_t	off = 0;

	/* names and values were stored as offsets into hbuf */
	for (size_t i = 0; i < x->nh; i++) {
		x->h[i].name.p = x->hbuf.p + (uintptr_t)x->h[i].name.p;
		x->h[i].value.p = x->hbuf.p + (uintptr_t)x->h[i].value.p;
	}
	(void)off;
	for (size_t i = 0; i < x->nh; i++)
		if (gw_str_caseeq_cstr(x->h[i].name, "content-length")) {
			uint64_t v;

			if (len >= 0 || gw_str_to_u64(x->h[i].value, INT64_MAX,
			    &v) == -1)
				return -1;
			len = (int64_t)v;
		}
	for (size_t i = 0; i < x->nh; i++)
		if (gw_str_caseeq_cstr(x->h[i].name, "transfer-encoding"))
			len = -1;
	x->head_done = 1;
	if (x->base.cbs->head(x->base.arg, x->status, x->h, x->nh, len) == -1) {
		x->aborted = 1;
		return -1;
	}
	return 0;
}

static int
store_field(struct cx *x, const char *line, size_t len)
{
	const char	*colon;
	size_t		 nl;
	struct gw_str	 v;

	if (line[0] == ' ' || line[0] == '\t' ||
	    (colon = memchr(line, ':', len)) == NULL || colon == line ||
	    x->nh == GW_MAX_HEADERS)
		return -1;
	nl = (size_t)(colon - line);
	for (size_t i = 0; i < nl; i++)
		if (!gw_http_is_tchar((unsigned char)line[i]))
			return -1;
	for (size_t i = nl + 1; i < len; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return -1;
	v = gw_str_trim(gw_str_make(colon + 1, len - nl - 1));
	/* hbuf may move while it grows: keep offsets until the end */
	x->h[x->nh].name.p = (const char *)(uintptr_t)x->hbuf.len;
	x->h[x->nh].name.len = nl;
	if (gw_buf_append(&x->hbuf, line, nl, NULL) == -1)
		return -1;
	x->h[x->nh].value.p = (const char *)(uintptr_t)x->hbuf.len;
	x->h[x->nh].value.len = v.len;
	if (gw_buf_append_str(&x->hbuf, v, NULL) == -1)
		return -1;
	x->nh++;
	return 0;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct cx	*x = arg;
	size_t		 len = size * nitems, l = len;

	if (x->finished || x->reap)
		return 0;
	if (x->head_done)
		return len;	/* trailers are not passed on */
	x->head_bytes += len;
	if (x->head_bytes > GW_MAX_RESP_HEADER_BYTES) {
		x->bad = 1;
		return 0;
	}
	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		l--;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		const char *sp = memchr(buf, ' ', l);

		x->nh = 0;
		gw_buf_reset(&x->hbuf);
		if (sp == NULL || buf + l - sp < 4 || sp[1] < '1' ||
		    sp[1] > '5' || sp[2] < '0' || sp[2] > '9' || sp[3] < '0' ||
		    sp[3] > '9') {
			x->bad = 1;
			return 0;
		}
		x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
		    (sp[3] - '0');
		return len;
	}
	if (l == 0) {
		if (x->status < 200)
			return len;	/* interim */
		return deliver_head(x) == -1 ? 0 : len;
	}
	if (store_field(x, buf, l) == -1) {
		x->bad = 1;
		return 0;
	}
	return len;
}

static size_t
write_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct cx	*x = arg;
	size_t		 len = size * nmemb;
	int		 rc;

	if (x->finished || x->reap)
		return 0;
	if (!x->head_done) {
		x->bad = 1;
		return 0;
	}
	rc = x->base.cbs->body(x->base.arg, buf, len);
	if (x->base.cancelled)
		return 0;
	if (rc == -1) {
		x->aborted = 1;
		return 0;
	}
	if (rc == 1) {
		x->paused_recv = 1;
		(void)curl_easy_pause(x->easy, CURLPAUSE_RECV |
		    (x->paused_send ? CURLPAUSE_SEND : 0));
	}
	return len;
}

/* The interface. */

/*
 * A target with a server_name: the URL names it, for the SNI and the
 * certificate check, and CURLOPT_CONNECT_TO goes to the target's address.
 * (The Host field is the caller's, in the headers.)
 */
static int
server_name_url(struct cx *x, const struct gw_client_target *t,
    const struct gw_client_request *r)
{
	const char	*hp = t->hostport.p, *end = hp + t->hostport.len;
	const char	*hend, *port = "443";
	char		*ct;
	int		 plen = 3;

	if (hp[0] == '[' && (hend = memchr(hp, ']', t->hostport.len)) != NULL)
		hend++;
	else if ((hend = memrchr(hp, ':', t->hostport.len)) == NULL)
		hend = end;
	if (hend < end && hend[0] == ':') {
		port = hend + 1;
		plen = (int)(end - port);
	}
	if (asprintf(&x->url, "https://%s:%.*s%.*s", t->server_name, plen,
	    port, (int)r->target.len, r->target.p) == -1) {
		x->url = NULL;
		return -1;
	}
	/* "::host:port": from any name and port to the target */
	if (asprintf(&ct, "::%.*s:%.*s", (int)(hend - hp), hp, plen,
	    port) == -1)
		return -1;
	x->connect_to = curl_slist_append(NULL, ct);
	free(ct);
	return x->connect_to == NULL ? -1 : 0;
}

static int
build(struct cx *x, const struct gw_client_request *r)
{
	const struct gw_client_target	*t = x->base.pool->t;
	CURL				*e = x->easy;
	int				 has_accept = 0, has_ctype = 0;
	size_t				 ul;

	if (t->tls && t->server_name != NULL) {
		if (server_name_url(x, t, r) == -1)
			return -1;
	} else {
		ul = strlen(t->url) + r->target.len + 1;
		if ((x->url = malloc(ul)) == NULL)
			return -1;
		(void)snprintf(x->url, ul, "%s%.*s", t->url,
		    (int)r->target.len, r->target.p);
	}
	if ((x->method = gw_str_dup(r->method)) == NULL)
		return -1;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct gw_http_header	*h = &r->headers[i];
		struct curl_slist		*n;
		char				*line;

		if (gw_str_caseeq_cstr(h->name, "accept"))
			has_accept = 1;
		if (gw_str_caseeq_cstr(h->name, "content-type"))
			has_ctype = 1;
		if ((line = malloc(h->name.len + h->value.len + 3)) == NULL)
			return -1;
		/* "Name;" sends an empty field */
		if (h->value.len == 0)
			(void)snprintf(line, h->name.len + 3, "%.*s;",
			    (int)h->name.len, h->name.p);
		else
			(void)snprintf(line, h->name.len + h->value.len + 3,
			    "%.*s: %.*s", (int)h->name.len, h->name.p,
			    (int)h->value.len, h->value.p);
		n = curl_slist_append(x->hdrs, line);
		free(line);
		if (n == NULL)
			return -1;
		x->hdrs = n;
	}
	/* keep libcurl from adding fields the caller did not ask for */
	{
		static const char *const off[] = { "Expect:", "Accept:",
		    "Content-Type:" };

		for (size_t i = 0; i < GW_ARRAY_LEN(off); i++) {
			struct curl_slist *n;

			if ((i == 1 && has_accept) || (i == 2 && has_ctype))
				continue;
			if ((n = curl_slist_append(x->hdrs, off[i])) == NULL)
				return -1;
			x->hdrs = n;
		}
	}
	curl_easy_reset(e);
	if (curl_easy_setopt(e, CURLOPT_URL, x->url) != CURLE_OK)
		return -1;
	(void)curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	(void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	(void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(e, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	(void)curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	(void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	(void)curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	(void)curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	(void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	(void)curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	(void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(r->connect_timeout_ms > 0 ? r->connect_timeout_ms : 5000));
	(void)curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	(void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER,
	    t->tls_verify ? 1L : 0L);
	(void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST,
	    t->tls_verify ? 2L : 0L);
	if (t->ca_file != NULL)
		(void)curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
	if (t->client_cert != NULL) {
		(void)curl_easy_setopt(e, CURLOPT_SSLCERT, t->client_cert);
		(void)curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		(void)curl_easy_setopt(e, CURLOPT_SSLKEY, t->client_key);
		(void)curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (x->connect_to != NULL)
		(void)curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->connect_to);
	if (r->head)
		(void)curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (!gw_str_eq(r->method, GW_STR("GET")) || r->body_len != 0)
		(void)curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	if (r->body_len != 0 || gw_str_eq(r->method, GW_STR("POST")) ||
	    gw_str_eq(r->method, GW_STR("PUT")) ||
	    gw_str_eq(r->method, GW_STR("PATCH"))) {
		(void)curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		(void)curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
		(void)curl_easy_setopt(e, CURLOPT_READDATA, x);
		(void)curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)r->body_len);
	}
	return 0;
}

struct gw_client_xchg *
curl_start(struct gw_client_pool *p, const struct gw_client_request *r,
    const struct gw_client_cbs *cbs, void *arg, struct gw_err *err)
{
	struct curl_state	*cs;
	struct cx		*x;

	if ((cs = state_get(p->client, err)) == NULL)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	x->base.backend = BACKEND_CURL;
	x->base.pool = p;
	x->base.cbs = cbs;
	x->base.arg = arg;
	x->cs = cs;
	x->body_len = r->body_len;
	gw_buf_init(&x->hbuf, GW_MAX_RESP_HEADER_BYTES);
	if (cs->neasy > 0)
		x->easy = cs->easy[--cs->neasy];
	else if ((x->easy = curl_easy_init()) == NULL)
		goto fail;
	if (build(x, r) == -1)
		goto fail;
	/* adding only schedules work: callbacks come from the loop */
	if (curl_multi_add_handle(cs->multi, x->easy) != CURLM_OK)
		goto fail;
	x->in_multi = 1;
	x->next = cs->live;
	if (cs->live != NULL)
		cs->live->prev = x;
	cs->live = x;
	return &x->base;
 fail:
	gw_err_set(err, GW_E_INTERNAL, "cannot start the request");
	x->finished = 1;
	cx_release(x);
	cx_destroy(x);
	return NULL;
}

static void
unpause(struct cx *x)
{
	int mask = (x->paused_recv ? CURLPAUSE_RECV : 0) |
	    (x->paused_send ? CURLPAUSE_SEND : 0);

	if (!x->in_multi || x->finished)
		return;
	x->cs->depth++;
	(void)curl_easy_pause(x->easy, mask);
	x->cs->depth--;
	check_done(x->cs);
}

void
curl_resume_recv(struct gw_client_xchg *base)
{
	struct cx *x = (struct cx *)base;

	if (!x->paused_recv)
		return;
	x->paused_recv = 0;
	unpause(x);
}

void
curl_resume_send(struct gw_client_xchg *base)
{
	struct cx *x = (struct cx *)base;

	if (!x->paused_send)
		return;
	x->paused_send = 0;
	unpause(x);
}

void
curl_cancel(struct gw_client_xchg *base)
{
	struct cx *x = (struct cx *)base;

	x->base.cancelled = 1;
	if (x->finished)
		return;
	if (x->cs->depth > 0) {
		x->reap = 1;	/* removed once libcurl has returned */
		return;
	}
	cx_finish(x, GW_CLIENT_ABORTED, "cancelled");
}

void
curl_state_free(struct curl_state *cs)
{
	if (cs == NULL)
		return;
	while (cs->live != NULL) {
		struct cx *x = cs->live;

		x->base.cancelled = 1;
		cx_finish(x, GW_CLIENT_ABORTED, "closed");
	}
	for (size_t i = 0; i < cs->neasy; i++)
		curl_easy_cleanup(cs->easy[i]);
	gw_timer_stop(&cs->timer);
	(void)curl_multi_cleanup(cs->multi);
	free(cs);
}
