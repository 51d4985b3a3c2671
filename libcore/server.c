/*
 * server.c: connections and requests of one worker.
 *
 * A connection reads into rbuf, parses one request head at a time, and runs
 * the route's handler.  Responses are framed here (Content-Length, chunked
 * or close-delimited) and written straight to the socket when it takes
 * them, else queued in wbuf up to a high-water mark that pushes back on the
 * handler.  Closing is always deferred to the end of the loop iteration, so
 * that no handler callback ever sees its request freed under it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "orch.h"
#include "proxy.h"
#include "route.h"
#include "sd.h"
#include "server.h"
#include "static.h"
#include "str.h"
#include "tls.h"

#define READ_CHUNK	(16 * 1024)
#define BODY_WINDOW	(64 * 1024)	/* decoded body held for a handler */
#define OUT_HIGH	(64 * 1024)	/* wbuf above this pushes back */
#define OUT_LOW		(16 * 1024)	/* ...and below this lets go */
#define DISCARD_MAX	(256 * 1024)	/* unread body we read and drop */
#define LINGER_MS	2000
#define DRAIN_GRACE_MS	1000	/* an idle connection's last chance */
#define LINGER_BYTES	(1024 * 1024)
#define ACCEPT_BATCH	64
#define ARENA_POOL	64
#define LOGBUF_FLUSH	(64 * 1024)
#define SPARE_BUFS	256	/* read buffers kept for reuse */
#define SPARE_CAP	(READ_CHUNK * 2)

enum conn_state {
	C_HEAD,		/* waiting for a request head */
	C_REQ,		/* a request is being served */
	C_CLOSING,	/* flushing the last bytes, then linger */
	C_LINGER,	/* write side shut; draining what the client sends */
	C_DEAD		/* closed, waiting for the deferred free */
};

enum timer_kind {
	T_NONE,
	T_HEADER,
	T_IDLE,
	T_BODY,
	T_SEND,
	T_LINGER,
	T_DRAIN
};

struct conn;

struct req_var {
	struct req_var	*next;
	const char	*name;
	struct gw_str	 value;
};

struct gw_req {
	struct conn		*conn;
	struct gw_server	*srv;
	struct gw_arena		*arena;
	struct gw_http_head	*head;
	char			 id[72];
	char			 trace_id[33];	/* W3C trace context */
	char			 trace_flags[3];
	struct gw_str		 path;		/* normalized */
	const struct gw_cfg_route *route;
	struct gw_route_match	 match;
	uint64_t		 start_us;
	/* body */
	struct gw_http_body	 dec;
	struct gw_buf		 body;
	size_t			 body_off;	/* consumed up to here */
	uint64_t		 body_max;	/* read_all limit, 0: streaming */
	unsigned		 has_body:1;
	unsigned		 body_done:1;	/* decoder saw the end */
	unsigned		 body_wanted:1;	/* the handler pulled it */
	unsigned		 continue_sent:1;
	unsigned		 read_all:1;
	/* response */
	unsigned		 resp_started:1;
	unsigned		 resp_ended:1;
	unsigned		 resp_nobody:1;	/* HEAD, 1xx, 204, 304 */
	unsigned		 resp_chunked:1;
	unsigned		 handler_done:1;
	unsigned		 aborted:1;
	/* policies */
	unsigned		 pol_waiting:1;
	unsigned		 pol_continue:1;
	unsigned		 handler_started:1;
	size_t			 pol_next;
	/* the response as response steps see it */
	unsigned		 cap:1;		/* buffering the whole body */
	unsigned		 cap_overflow:1;
	unsigned		 cap_head:1;	/* cap_* hold the head */
	int			 cap_status;
	struct gw_http_header	*cap_h;
	size_t			 cap_nh;
	size_t			 cap_caph;
	int64_t			 cap_length;
	struct gw_buf		 cap_body;
	struct req_var		*vars;
	int			 status;
	int64_t			 resp_length;
	uint64_t		 resp_sent;	/* body bytes queued */
	uint64_t		 bytes_out;
	uint64_t		 bytes_in;
	/* callbacks */
	gw_req_fn		*abort_fn;
	void			*abort_arg;
	gw_req_fn		*body_fn;
	void			*body_arg;
	gw_req_fn		*writable_fn;
	void			*writable_arg;
	/* log */
	const char		*upstream;
	uint64_t		 upstream_us;
};

struct conn {
	struct gw_server	*srv;
	struct conn		*prev, *next;
	int			 fd;
	struct gw_io		 io;
	struct gw_timer		 timer;
	enum timer_kind		 tkind;
	enum conn_state		 state;
	struct gw_buf		 rbuf;
	size_t			 roff;		/* parsed up to here */
	struct gw_buf		 wbuf;
	size_t			 woff;		/* written up to here */
	struct gw_req		*req;
	char			 client[INET6_ADDRSTRLEN];
	uint64_t		 nreq;
	uint64_t		 lingered;
	unsigned		 want_close:1;	/* after this response */
	unsigned		 eof:1;		/* the client shut its side */
	unsigned		 io_error:1;
	unsigned		 reading:1;	/* EPOLLIN is on */
	unsigned		 writing:1;	/* EPOLLOUT is on */
	unsigned		 scheduled:1;	/* conn_process deferred */
	unsigned		 freeing:1;
	unsigned		 processing:1;
	unsigned		 single:1;	/* inetd / Accept=yes */
	unsigned		 admin:1;	/* from an admin listener */
	unsigned		 hs:1;		/* TLS handshake done */
	unsigned		 tls_wr:1;	/* TLS waits for writability */
	unsigned		 peer_ok:1;	/* a verified client certificate */
	unsigned		 read_scheduled:1;
	struct gw_tls		*tls;
	int			 consumer;
	char			*peer;		/* subject, CN, SAN: 3 strings */
	unsigned		 counted:1;	/* in the per-client counts */
	unsigned		 busy:1;	/* counted as active */
};

struct listener {
	struct gw_server	*srv;
	int			 fd;
	struct gw_io		 io;
	int			 paused;
	int			 admin;		/* metrics and health, no routes */
	struct gw_tls_ctx	*tls;		/* terminate TLS, or NULL */
	int			 consumer;	/* client certificate: 1 CN, 2 SAN */
};

#define NMETHODS	8	/* GET HEAD POST PUT DELETE PATCH OPTIONS other */

struct route_metrics {
	uint64_t	*req[NMETHODS][6];	/* by status class, 0: none */
	struct gw_histo	*dur;
	uint64_t	*bytes_in;
	uint64_t	*bytes_out;
};

#define CLIENT_BUCKETS	1024

struct client_count {
	struct client_count	*next;
	char			 addr[INET6_ADDRSTRLEN];
	uint32_t		 n;
};

struct outcome_cell {
	char		 key[96];
	uint64_t	*cell;
};

struct gw_server {
	struct gw_loop		*loop;
	struct gw_cfg		*cfg;
	struct gw_proxy		*proxy;
	struct listener		*ls;
	size_t			 nls;
	struct conn		*conns;
	size_t			 nconns;
	int			 draining;
	void			(*drain_done)(void *);
	void			*drain_arg;
	struct gw_arena		*pool[ARENA_POOL];
	size_t			 npool;
	char			*spare[SPARE_BUFS];
	size_t			 nspare;
	struct gw_buf		 logbuf;
	uint64_t		 rng[2];
	time_t			 date_sec;
	char			 date[30];
	time_t			 log_sec;
	char			 log_prefix[64];
	struct gw_server_stats	 stats;
	/* metrics: the shared region, this worker's slot, cached cells */
	struct gw_metrics	*metrics;
	int			 slot;
	struct route_metrics	*rm;		/* nroutes + 1 (no route) */
	int64_t			*g_active, *g_idle;
	struct outcome_cell	*outcomes;
	size_t			 noutcomes;
	uint64_t		*accepted, *refused, *refused_client;
	int			 journal;	/* access log through the journal */
	struct client_count	*clients[CLIENT_BUCKETS];
	size_t			 pol_started;	/* policies_start() got this far */
};

static void	conn_process(struct conn *c);
static void	conn_close(struct conn *c);
static void	conn_update_io(struct conn *c);
static int	conn_flush(struct conn *c);
static void	req_maybe_finish(struct gw_req *req);
static void	schedule_process(struct conn *c);
static void	client_release(struct gw_server *srv, const char *addr);
static void	trace_start(struct gw_req *req, const struct gw_http_header *tp);
static void	conn_event(struct gw_io *io, uint32_t events);
static void	deferred_read(void *arg);
static void	listener_event(struct gw_io *io, uint32_t events);

/* Small utilities. */

static uint64_t
rng_next(struct gw_server *srv)
{
	/* xorshift128+ seeded from getrandom(2) */
	uint64_t s1 = srv->rng[0];
	const uint64_t s0 = srv->rng[1];

	srv->rng[0] = s0;
	s1 ^= s1 << 23;
	srv->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return srv->rng[1] + s0;
}

static const char *
date_now(struct gw_server *srv)
{
	time_t now = time(NULL);

	if (now != srv->date_sec) {
		srv->date_sec = now;
		gw_http_date((long long)now, srv->date);
	}
	return srv->date;
}

static void
conn_timer_fire(struct gw_timer *t);

static void
conn_timer(struct conn *c, enum timer_kind kind, uint32_t msec)
{
	c->tkind = kind;
	if (kind == T_NONE || msec == 0) {
		gw_timer_stop(&c->timer);
		return;
	}
	gw_timer_start(c->srv->loop, &c->timer, (uint64_t)msec * 1000,
	    conn_timer_fire, c);
}

/* Arenas: a small pool so that requests do not malloc their first chunk. */

static struct gw_arena *
arena_get(struct gw_server *srv)
{
	if (srv->npool > 0)
		return srv->pool[--srv->npool];
	return gw_arena_new(8192);
}

static void
arena_put(struct gw_server *srv, struct gw_arena *a)
{
	if (a == NULL)
		return;
	gw_arena_reset(a);
	if (srv->npool < ARENA_POOL)
		srv->pool[srv->npool++] = a;
	else
		gw_arena_free(a);
}

/*
 * Idle connections hold no buffer; busy ones take one from a small stack
 * of spares, so that steady traffic does not malloc per request.
 */
static void
buf_give_back(struct gw_server *srv, struct gw_buf *b)
{
	if (b->p != NULL && b->cap == SPARE_CAP && srv->nspare < SPARE_BUFS) {
		srv->spare[srv->nspare++] = b->p;
		b->p = NULL;
		b->len = b->cap = 0;
		return;
	}
	gw_buf_release(b);
}

static void
buf_take(struct gw_server *srv, struct gw_buf *b)
{
	if (b->p == NULL && srv->nspare > 0) {
		b->p = srv->spare[--srv->nspare];
		b->cap = SPARE_CAP;
		b->len = 0;
	}
}

/* The access log: one JSON object per line, flushed once per iteration. */

static void
log_flush(void *arg)
{
	struct gw_server *srv = arg;

	if (srv->logbuf.len == 0)
		return;
	(void)gw_log_write_all(STDERR_FILENO, srv->logbuf.p, srv->logbuf.len);
	gw_buf_reset(&srv->logbuf);
}

static void
log_str(struct gw_buf *b, const char *key, struct gw_str v)
{
	(void)gw_buf_append(b, ",\"", 2, NULL);
	(void)gw_buf_puts(b, key, NULL);
	(void)gw_buf_append(b, "\":\"", 3, NULL);
	(void)gw_json_escape_append(b, v.p, v.len, NULL);
	(void)gw_buf_putc(b, '"', NULL);
}

static int
log_num(struct gw_buf *b, const char *key, uint64_t v)
{
	return gw_buf_puts(b, key, NULL) == -1 ? -1 :
	    gw_buf_put_u64(b, v, NULL);
}

static void
access_log(struct gw_req *req)
{
	struct gw_server	*srv = req->srv;
	struct gw_buf		*b = &srv->logbuf;
	struct timespec		 ts;
	uint64_t		 dur;
	size_t			 mark = b->len;
	char			 msec[8];

	if (!srv->cfg->access_log)
		return;
	/* sampling spares successes only: every error is logged */
	if (srv->cfg->log_sample < 10000 && req->status < 400 &&
	    rng_next(srv) % 10000 >= srv->cfg->log_sample)
		return;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != srv->log_sec) {
		struct tm tm;

		srv->log_sec = ts.tv_sec;
		(void)gmtime_r(&ts.tv_sec, &tm);
		(void)snprintf(srv->log_prefix, sizeof(srv->log_prefix),
		    "{\"time\":\"%04u-%02u-%02uT%02u:%02u:%02u.",
		    (unsigned)(tm.tm_year + 1900) % 10000u,
		    (unsigned)(tm.tm_mon + 1) % 13u, (unsigned)tm.tm_mday % 32u,
		    (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
		    (unsigned)tm.tm_sec % 61u);
	}
	msec[0] = (char)('0' + ts.tv_nsec / 100000000 % 10);
	msec[1] = (char)('0' + ts.tv_nsec / 10000000 % 10);
	msec[2] = (char)('0' + ts.tv_nsec / 1000000 % 10);
	msec[3] = 'Z';
	msec[4] = '"';
	gw_loop_update_time(srv->loop);
	dur = gw_loop_now(srv->loop) - req->start_us;
	if (gw_buf_puts(b, srv->log_prefix, NULL) == -1 ||
	    gw_buf_append(b, msec, 5, NULL) == -1)
		goto fail;
	log_str(b, "request_id", gw_str_cstr(req->id));
	if (req->trace_id[0] != '\0')
		log_str(b, "trace_id", gw_str_cstr(req->trace_id));
	log_str(b, "client", gw_str_cstr(req->conn->client));
	if (req->head != NULL) {
		log_str(b, "method", req->head->method);
		log_str(b, "path", req->head->path);
	}
	if (req->route != NULL)
		log_str(b, "route", gw_str_cstr(req->route->name));
	if (req->upstream != NULL)
		log_str(b, "upstream", gw_str_cstr(req->upstream));
	{
		struct gw_str who = gw_req_var(req, "consumer");

		if (who.p != NULL)
			log_str(b, "consumer", who);
	}
	if (log_num(b, ",\"status\":", (uint64_t)req->status) == -1 ||
	    log_num(b, ",\"bytes_in\":", req->bytes_in) == -1 ||
	    log_num(b, ",\"bytes_out\":", req->bytes_out) == -1 ||
	    gw_buf_puts(b, ",\"duration_ms\":", NULL) == -1 ||
	    gw_buf_put_milli(b, dur, NULL) == -1)
		goto fail;
	if (req->upstream != NULL &&
	    (gw_buf_puts(b, ",\"upstream_ms\":", NULL) == -1 ||
	    gw_buf_put_milli(b, req->upstream_us, NULL) == -1))
		goto fail;
	if (req->aborted && gw_buf_puts(b, ",\"aborted\":true", NULL) == -1)
		goto fail;
	if (gw_buf_puts(b, "}\n", NULL) == -1)
		goto fail;
	if (srv->journal) {
		struct gw_sd_access	a;
		char			m[16], p[GW_MAX_URI_BYTES + 1];

		memset(&a, 0, sizeof(a));
		a.message = b->p + mark;
		a.message_len = b->len - mark - 1;
		a.request_id = req->id;
		a.trace_id = req->trace_id;
		a.route = req->route != NULL ? req->route->name : NULL;
		if (req->head != NULL) {
			(void)gw_str_copy(m, sizeof(m), req->head->method);
			(void)gw_str_copy(p, sizeof(p), req->head->path);
			a.method = m;
			a.path = p;
		}
		a.client = req->conn->client;
		a.upstream = req->upstream;
		a.status = req->status;
		a.duration_us = (unsigned long)dur;
		if (gw_sd_journal_access(&a, NULL) == 0) {
			b->len = mark;
			return;
		}
		/* the journal refused it: stderr still has it */
	}
	if (b->len >= LOGBUF_FLUSH)
		log_flush(srv);
	return;
 fail:
	b->len = mark;
}

/* Metrics of the request path (the families are in gw_server_metrics_init). */

static int
method_index(int m)
{
	switch (m) {
	case HTTP_GET:
		return 0;
	case HTTP_HEAD:
		return 1;
	case HTTP_POST:
		return 2;
	case HTTP_PUT:
		return 3;
	case HTTP_DELETE:
		return 4;
	case HTTP_PATCH:
		return 5;
	case HTTP_OPTIONS:
		return 6;
	default:
		return 7;
	}
}

static const char *const method_names[NMETHODS] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"
};

static const char *
route_label(const struct gw_server *srv, size_t r)
{
	return r < srv->cfg->nroutes ? srv->cfg->routes[r].name : "";
}

static void
account(struct gw_req *req)
{
	struct gw_server	*srv = req->srv;
	struct route_metrics	*rm;
	size_t			 r;
	int			 mi, cls;
	uint64_t		 dur;

	if (srv->metrics == NULL || req->conn->admin)
		return;
	r = req->route != NULL ? (size_t)(req->route - srv->cfg->routes) :
	    srv->cfg->nroutes;
	rm = &srv->rm[r];
	mi = req->head != NULL ? method_index(req->head->method_id) : 7;
	cls = req->status >= 100 && req->status < 600 ? req->status / 100 : 0;
	if (rm->req[mi][cls] == NULL) {
		char labels[256], rl[128];
		static const char *const classes[] = {
			"none", "1xx", "2xx", "3xx", "4xx", "5xx"
		};

		gw_metrics_label(route_label(srv, r), rl, sizeof(rl));
		(void)snprintf(labels, sizeof(labels),
		    "route=\"%s\",method=\"%s\",code=\"%s\"", rl,
		    method_names[mi], classes[cls]);
		rm->req[mi][cls] = gw_metrics_counter(srv->metrics,
		    "gw_requests_total", labels);
	}
	gw_counter_add(rm->req[mi][cls], 1);
	gw_counter_add(rm->bytes_in, req->bytes_in);
	gw_counter_add(rm->bytes_out, req->bytes_out);
	gw_loop_update_time(srv->loop);
	dur = gw_loop_now(srv->loop) - req->start_us;
	gw_histo_observe(rm->dur, dur);
}

static void
req_accounted(struct gw_req *req)
{
	if (req->conn->admin)
		return;	/* scrapes and probes are not traffic */
	access_log(req);
	account(req);
}

/* The connection gauges follow a connection between idle and busy. */
static void
conn_busy(struct conn *c, int busy)
{
	struct gw_server *srv = c->srv;

	if (c->busy == (unsigned)busy)
		return;
	c->busy = (unsigned)busy;
	gw_gauge_add(srv->g_active, srv->slot, busy ? 1 : -1);
	gw_gauge_add(srv->g_idle, srv->slot, busy ? -1 : 1);
}

int
gw_server_metrics_init(struct gw_metrics *m)
{
	return gw_metrics_family(m, "gw_requests_total", GW_METRIC_COUNTER,
	    "Requests answered, by route, method and status class.") |
	    gw_metrics_family(m, "gw_request_duration_seconds",
	    GW_METRIC_HISTOGRAM, "Time from a complete request head to the "
	    "end of its response, by route.") |
	    gw_metrics_family(m, "gw_received_bytes_total", GW_METRIC_COUNTER,
	    "Request bytes received, head and body, by route.") |
	    gw_metrics_family(m, "gw_sent_bytes_total", GW_METRIC_COUNTER,
	    "Response bytes sent, head and body, by route.") |
	    gw_metrics_family(m, "gw_connections", GW_METRIC_GAUGE,
	    "Client connections open, by state: active (a request in "
	    "progress) or idle.") |
	    gw_metrics_family(m, "gw_connections_accepted_total",
	    GW_METRIC_COUNTER, "Client connections accepted.") |
	    gw_metrics_family(m, "gw_connections_refused_total",
	    GW_METRIC_COUNTER, "Client connections answered 503 at once, "
	    "by reason: worker or client limit.") |
	    gw_metrics_family(m, "gw_policy_outcomes_total",
	    GW_METRIC_COUNTER, "Notable outcomes of route policies (refused "
	    "credentials, rate-limited requests, audit findings, mediation "
	    "faults), by route, policy and outcome.");
}

int
gw_server_set_metrics(struct gw_server *srv, struct gw_metrics *m, int slot,
    struct gw_err *err)
{
	size_t n = srv->cfg->nroutes + 1;

	srv->metrics = m;
	srv->slot = slot;
	if (m == NULL)
		return 0;
	if ((srv->rm = calloc(n, sizeof(*srv->rm))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	for (size_t r = 0; r < n; r++) {
		char labels[160], rl[128];

		gw_metrics_label(route_label(srv, r), rl, sizeof(rl));
		(void)snprintf(labels, sizeof(labels), "route=\"%s\"", rl);
		srv->rm[r].dur = gw_metrics_histogram(m,
		    "gw_request_duration_seconds", labels);
		srv->rm[r].bytes_in = gw_metrics_counter(m,
		    "gw_received_bytes_total", labels);
		srv->rm[r].bytes_out = gw_metrics_counter(m,
		    "gw_sent_bytes_total", labels);
	}
	srv->g_active = gw_metrics_gauge(m, "gw_connections",
	    "state=\"active\"");
	srv->g_idle = gw_metrics_gauge(m, "gw_connections", "state=\"idle\"");
	srv->accepted = gw_metrics_counter(m, "gw_connections_accepted_total",
	    "");
	return gw_proxy_set_metrics(srv->proxy, m, slot);
}

struct gw_metrics *
gw_server_metrics(struct gw_server *srv)
{
	return srv->metrics;
}

void
gw_req_count(struct gw_req *req, const char *policy, const char *outcome)
{
	struct gw_server	*srv = req->srv;
	char			 key[96], labels[320], rl[128], pl[64], ol[64];
	size_t			 r;
	struct outcome_cell	*oc = NULL;

	if (srv->metrics == NULL)
		return;
	r = req->route != NULL ? (size_t)(req->route - srv->cfg->routes) :
	    srv->cfg->nroutes;
	(void)snprintf(key, sizeof(key), "%zu %s %s", r, policy, outcome);
	for (size_t i = 0; i < srv->noutcomes; i++)
		if (strcmp(srv->outcomes[i].key, key) == 0) {
			oc = &srv->outcomes[i];
			break;
		}
	if (oc == NULL) {
		struct outcome_cell *n;

		if ((n = realloc(srv->outcomes, (srv->noutcomes + 1) *
		    sizeof(*n))) == NULL)
			return;
		srv->outcomes = n;
		oc = &srv->outcomes[srv->noutcomes++];
		(void)snprintf(oc->key, sizeof(oc->key), "%s", key);
		gw_metrics_label(route_label(srv, r), rl, sizeof(rl));
		gw_metrics_label(policy, pl, sizeof(pl));
		gw_metrics_label(outcome, ol, sizeof(ol));
		(void)snprintf(labels, sizeof(labels),
		    "route=\"%s\",policy=\"%s\",outcome=\"%s\"", rl, pl, ol);
		oc->cell = gw_metrics_counter(srv->metrics,
		    "gw_policy_outcomes_total", labels);
	}
	gw_counter_add(oc->cell, 1);
}

/* Output. */

/*
 * Write wbuf's pending bytes followed by iov[0..n), as far as the socket
 * takes them; keep the rest in wbuf.  Returns 0, or -1 if the connection
 * is broken (c->io_error set).
 */
/* TLS has no writev: queue everything in wbuf, then send records. */
static int
tls_writev(struct conn *c, const struct iovec *iov, int n)
{
	struct gw_err err;

	for (int i = 0; i < n; i++)
		if (gw_buf_append(&c->wbuf, iov[i].iov_base, iov[i].iov_len,
		    NULL) == -1) {
			c->io_error = 1;
			return -1;
		}
	while (c->woff < c->wbuf.len && c->hs) {
		ssize_t w = gw_tls_write(c->tls, c->wbuf.p + c->woff,
		    c->wbuf.len - c->woff, &err);

		if (w == GW_TLS_WANT_WRITE || w == GW_TLS_WANT_READ) {
			c->tls_wr = w == GW_TLS_WANT_WRITE;
			break;
		}
		if (w < 0) {
			gw_log_debug("%s: %s", c->client, err.msg);
			c->io_error = 1;
			return -1;
		}
		c->woff += (size_t)w;
	}
	if (c->woff == c->wbuf.len) {
		c->wbuf.len = 0;
		c->woff = 0;
		c->tls_wr = 0;
	}
	conn_update_io(c);
	return 0;
}

static int
conn_writev(struct conn *c, const struct iovec *iov, int n)
{
	struct iovec	 v[8];
	int		 nv = 0;
	size_t		 total = 0, pending = c->wbuf.len - c->woff;
	ssize_t		 w;

	if (c->io_error)
		return -1;
	if (c->tls != NULL)
		return tls_writev(c, iov, n);
	if (pending > 0) {
		v[nv].iov_base = c->wbuf.p + c->woff;
		v[nv].iov_len = pending;
		total += pending;
		nv++;
	}
	for (int i = 0; i < n && nv < 8; i++) {
		if (iov[i].iov_len == 0)
			continue;
		v[nv++] = iov[i];
		total += iov[i].iov_len;
	}
	if (total == 0)
		return 0;
	if (c->writing)
		w = 0;	/* the socket is full: wait for EPOLLOUT */
	else {
		do
			w = writev(c->fd, v, nv);
		while (w == -1 && errno == EINTR);
		if (w == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->io_error = 1;
				return -1;
			}
			w = 0;
		}
	}
	/* account the part written, queue the rest */
	if ((size_t)w >= pending) {
		size_t skip = (size_t)w - pending;

		c->wbuf.len = 0;
		c->woff = 0;
		for (int i = (pending > 0); i < nv; i++) {
			if (skip >= v[i].iov_len) {
				skip -= v[i].iov_len;
				continue;
			}
			if (gw_buf_append(&c->wbuf, (char *)v[i].iov_base + skip,
			    v[i].iov_len - skip, NULL) == -1) {
				c->io_error = 1;
				return -1;
			}
			skip = 0;
		}
	} else {
		c->woff += (size_t)w;
		for (int i = 1; i < nv; i++)
			if (gw_buf_append(&c->wbuf, v[i].iov_base,
			    v[i].iov_len, NULL) == -1) {
				c->io_error = 1;
				return -1;
			}
	}
	if (c->woff > 0 && c->woff == c->wbuf.len) {
		c->wbuf.len = 0;
		c->woff = 0;
	}
	if (c->wbuf.len > c->woff && !c->writing)
		conn_update_io(c);
	return 0;
}

static int
conn_flush(struct conn *c)
{
	return conn_writev(c, NULL, 0);
}

static size_t
conn_pending(const struct conn *c)
{
	return c->wbuf.len - c->woff;
}

/* Reading interest follows the state; writing interest follows wbuf. */
static void
conn_update_io(struct conn *c)
{
	uint32_t	ev = 0;
	int		want_read, want_write;

	if (c->state == C_DEAD || !c->io.active)
		return;
	want_write = conn_pending(c) > 0;
	if (c->tls != NULL) {
		/* TLS says which way it waits */
		want_write = c->tls_wr;
		if (!c->hs) {
			ev = c->tls_wr ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
			(void)gw_io_modify(&c->io, ev, NULL);
			return;
		}
	}
	switch (c->state) {
	case C_HEAD:
		want_read = c->rbuf.len - c->roff < c->srv->cfg->
		    limits.max_header_bytes + READ_CHUNK;
		break;
	case C_REQ:
		/* room for pipelined bytes or body, within bounds */
		want_read = !c->eof && (c->rbuf.len - c->roff) < READ_CHUNK * 2;
		break;
	case C_LINGER:
		want_read = 1;
		break;
	default:
		want_read = 0;
		break;
	}
	if (want_read && !c->eof)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (want_write)
		ev |= EPOLLOUT;
	c->reading = (ev & EPOLLIN) != 0;
	c->writing = want_write;
	if (gw_io_modify(&c->io, ev, NULL) == -1) {
		c->io_error = 1;
		conn_close(c);
	}
}

/* Responses. */

static void
resp_head_field(struct gw_buf *b, struct gw_str name, struct gw_str value)
{
	(void)gw_buf_append_str(b, name, NULL);
	(void)gw_buf_append(b, ": ", 2, NULL);
	(void)gw_buf_append_str(b, value, NULL);
	(void)gw_buf_append(b, "\r\n", 2, NULL);
}

/* Write the response head into wbuf (sent with the first body bytes). */
static int
emit_start(struct gw_req *req, int status,
    const struct gw_http_header *hdrs, size_t nhdrs, int64_t content_length)
{
	struct conn	*c = req->conn;
	struct gw_buf	*b = &c->wbuf;
	int		 has_date = 0, http10;

	req->resp_started = 1;
	if (c->wbuf.p == NULL)
		buf_take(c->srv, &c->wbuf);
	req->status = status;
	req->resp_length = content_length;
	http10 = req->head == NULL || req->head->version == 10;
	req->resp_nobody = status < 200 || status == 204 || status == 304 ||
	    (req->head != NULL && req->head->method_id == HTTP_HEAD);
	if (c->io_error || c->state == C_DEAD)
		return -1;
	if (req->head == NULL ||
	    !(req->head->flags & GW_HTTP_KEEPALIVE) || c->srv->draining)
		c->want_close = 1;
	/* A body the client was told to hold back cannot be read now. */
	if (req->has_body && !req->body_done && !req->continue_sent &&
	    req->head != NULL && (req->head->flags & GW_HTTP_EXPECT_CONTINUE))
		c->want_close = 1;
	if (gw_buf_append(b, "HTTP/1.1 ", 9, NULL) == -1 ||
	    gw_buf_put_u64(b, (uint64_t)status, NULL) == -1 ||
	    gw_buf_putc(b, ' ', NULL) == -1 ||
	    gw_buf_puts(b, gw_http_reason(status), NULL) == -1 ||
	    gw_buf_append(b, "\r\n", 2, NULL) == -1)
		return -1;
	for (size_t i = 0; i < nhdrs; i++) {
		struct gw_str n = hdrs[i].name;

		if (gw_http_is_hop_by_hop(n) ||
		    gw_str_caseeq_cstr(n, "content-length") ||
		    gw_str_caseeq_cstr(n, "x-request-id"))
			continue;
		if (gw_str_caseeq_cstr(n, "date"))
			has_date = 1;
		resp_head_field(b, n, hdrs[i].value);
	}
	if (!has_date)
		resp_head_field(b, GW_STR("Date"),
		    gw_str_cstr(date_now(c->srv)));
	resp_head_field(b, GW_STR("X-Request-Id"), gw_str_cstr(req->id));
	if (status == 204 || status < 200) {
		/* no framing fields at all */
	} else if (content_length >= 0) {
		(void)gw_buf_append(b, "Content-Length: ", 16, NULL);
		(void)gw_buf_put_u64(b, (uint64_t)content_length, NULL);
		(void)gw_buf_append(b, "\r\n", 2, NULL);
	} else if (!req->resp_nobody) {
		if (http10)
			c->want_close = 1;
		else {
			req->resp_chunked = 1;
			resp_head_field(b, GW_STR("Transfer-Encoding"),
			    GW_STR("chunked"));
		}
	}
	if (c->want_close)
		resp_head_field(b, GW_STR("Connection"), GW_STR("close"));
	else if (http10)
		resp_head_field(b, GW_STR("Connection"), GW_STR("keep-alive"));
	if (gw_buf_append(b, "\r\n", 2, NULL) == -1) {
		c->io_error = 1;
		return -1;
	}
	req->bytes_out += conn_pending(c);
	return 0;
}

static int
emit_write(struct gw_req *req, const char *p, size_t len)
{
	struct conn	*c = req->conn;
	struct iovec	 iov[3];
	char		 hdr[24];
	int		 n = 0;

	if (c->io_error || c->state == C_DEAD)
		return -1;
	if (len == 0 || req->resp_nobody)
		return 0;
	if (req->resp_length >= 0 &&
	    req->resp_sent + len > (uint64_t)req->resp_length)
		GW_BUG("response body longer than its Content-Length");
	if (req->resp_chunked) {
		int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);

		iov[n].iov_base = hdr;
		iov[n++].iov_len = (size_t)hl;
	}
	iov[n].iov_base = (void *)(uintptr_t)p;
	iov[n++].iov_len = len;
	if (req->resp_chunked) {
		iov[n].iov_base = (void *)(uintptr_t)"\r\n";
		iov[n++].iov_len = 2;
	}
	req->resp_sent += len;
	for (int i = 0; i < n; i++)
		req->bytes_out += iov[i].iov_len;
	if (conn_writev(c, iov, n) == -1) {
		schedule_process(c);
		return -1;
	}
	if (conn_pending(c) == 0)
		return 0;
	conn_timer(c, T_SEND, c->srv->cfg->send_timeout_ms);
	return conn_pending(c) >= OUT_HIGH ? 1 : 0;
}

void
gw_resp_notify_writable(struct gw_req *req, gw_req_fn *fn, void *arg)
{
	req->writable_fn = fn;
	req->writable_arg = arg;
}

int
gw_resp_started(const struct gw_req *req)
{
	return req->resp_started;
}

static void
emit_end(struct gw_req *req)
{
	struct conn *c = req->conn;

	if (req->resp_length >= 0 && !req->resp_nobody &&
	    req->resp_sent != (uint64_t)req->resp_length) {
		/* shorter than announced: the client must see it broke */
		req->aborted = 1;
		c->want_close = 1;
	} else if (req->resp_chunked) {
		struct iovec iov = { (void *)(uintptr_t)"0\r\n\r\n", 5 };

		req->bytes_out += 5;
		(void)conn_writev(c, &iov, 1);
	} else
		(void)conn_flush(c);
	if (req->resp_length < 0 && !req->resp_chunked && !req->resp_nobody)
		c->want_close = 1;	/* close-delimited */
	schedule_process(c);
}

/*
 * Response steps (policy.h), last policy first.  They run synchronously:
 * a step that needs to wait has no place here.
 */
static void
run_response_steps(struct gw_req *req)
{
	const struct gw_cfg_route *r = req->route;

	for (size_t i = r->npolicies; i > 0; i--) {
		const struct gw_policy *p = &r->policies[i - 1];

		if (p->type->response == NULL)
			continue;
		switch (p->type->response(req, p->state)) {
		case GW_POLICY_NEXT:
			continue;
		case GW_POLICY_DONE:
			return;
		case GW_POLICY_WAIT:
			GW_BUG("a response step cannot wait");
		}
	}
}

static int
has_response_steps(const struct gw_req *req)
{
	return req->route != NULL && req->route->has_response_steps;
}

/* Keep the head for the response steps: fields copied into the arena. */
static int
capture_head(struct gw_req *req, int status, const struct gw_http_header *h,
    size_t nh, int64_t length)
{
	req->cap_status = status;
	req->cap_length = length;
	req->cap_caph = nh + 8;
	if ((req->cap_h = gw_arena_alloc(req->arena,
	    req->cap_caph * sizeof(*req->cap_h))) == NULL)
		return -1;
	req->cap_nh = 0;
	for (size_t i = 0; i < nh; i++) {
		struct gw_http_header *d = &req->cap_h[req->cap_nh];
		char *n, *v;

		if ((n = gw_arena_strndup(req->arena, h[i].name.p,
		    h[i].name.len)) == NULL ||
		    (v = gw_arena_strndup(req->arena, h[i].value.p,
		    h[i].value.len)) == NULL)
			return -1;
		d->name = gw_str_make(n, h[i].name.len);
		d->value = gw_str_make(v, h[i].value.len);
		req->cap_nh++;
	}
	req->cap_head = 1;
	return 0;
}

int
gw_resp_start(struct gw_req *req, int status,
    const struct gw_http_header *hdrs, size_t nhdrs, int64_t content_length)
{
	if (req->resp_started)
		GW_BUG("response started twice");
	if (!has_response_steps(req))
		return emit_start(req, status, hdrs, nhdrs, content_length);
	req->resp_started = 1;
	if (capture_head(req, status, hdrs, nhdrs, content_length) == -1) {
		req->conn->io_error = 1;
		return -1;
	}
	if (req->route->policy_flags & GW_POLICY_RESPONSE_BODY) {
		req->cap = 1;
		gw_buf_init(&req->cap_body, req->route->max_response_bytes > 0 ?
		    (size_t)req->route->max_response_bytes :
		    (size_t)req->srv->cfg->max_body_bytes);
		return 0;
	}
	run_response_steps(req);
	return emit_start(req, req->cap_status, req->cap_h, req->cap_nh,
	    req->cap_length);
}

int
gw_resp_write(struct gw_req *req, const char *p, size_t len)
{
	if (!req->resp_started)
		GW_BUG("gw_resp_write before gw_resp_start");
	if (!req->cap)
		return emit_write(req, p, len);
	if (req->cap_overflow || req->conn->io_error)
		return -1;
	if (gw_buf_append(&req->cap_body, p, len, NULL) == -1) {
		req->cap_overflow = 1;
		return -1;
	}
	return 0;
}

/* Send the captured response, after the response steps. */
static void
emit_captured(struct gw_req *req)
{
	const struct gw_http_head	*h = req->head;
	int64_t				 len;

	run_response_steps(req);
	/* after the steps: one of them may have replaced the body */
	len = (int64_t)req->cap_body.len;
	/* HEAD, 204 and 304 announce what they do not send */
	if ((h != NULL && h->method_id == HTTP_HEAD) ||
	    req->cap_status == 204 || req->cap_status == 304)
		len = req->cap_length;
	if (emit_start(req, req->cap_status, req->cap_h, req->cap_nh,
	    len) == 0 && req->cap_body.len > 0 && !req->resp_nobody)
		(void)emit_write(req, req->cap_body.p, req->cap_body.len);
	emit_end(req);
}

/* A captured response that broke: the client gets a 502 of ours. */
static void
capture_failed(struct gw_req *req, const char *why)
{
	gw_buf_release(&req->cap_body);
	req->cap = 0;
	req->cap_head = 0;
	req->cap_overflow = 0;
	req->resp_started = 0;
	req->resp_ended = 0;
	req->handler_done = 0;
	gw_resp_problem(req, 502, "bad-gateway", why);
}

void
gw_resp_end(struct gw_req *req)
{
	if (req->resp_ended)
		GW_BUG("gw_resp_end after the response ended");
	if (req->cap) {
		if (req->cap_overflow) {
			capture_failed(req, "the upstream response is larger "
			    "than the route's max_response_bytes");
			return;
		}
		if (req->cap_length >= 0 &&
		    (uint64_t)req->cap_length != req->cap_body.len &&
		    req->cap_body.len > 0) {
			capture_failed(req, "the upstream response was cut "
			    "short");
			return;
		}
		req->handler_done = 1;
		req->resp_ended = 1;
		emit_captured(req);
		return;
	}
	req->handler_done = 1;
	req->resp_ended = 1;
	emit_end(req);
}

void
gw_resp_abort(struct gw_req *req)
{
	struct conn *c = req->conn;

	if (req->cap && !c->io_error) {
		capture_failed(req, "the upstream response broke off");
		return;
	}
	req->handler_done = 1;
	req->resp_ended = 1;
	req->aborted = 1;
	c->want_close = 1;
	(void)conn_flush(c);
	schedule_process(c);
}

void
gw_resp_send(struct gw_req *req, int status, const struct gw_http_header *hdrs,
    size_t nhdrs, const char *body, size_t len)
{
	if (gw_resp_start(req, status, hdrs, nhdrs, (int64_t)len) == 0 &&
	    len > 0) {
		if (req->cap)
			(void)gw_resp_write(req, body, len);
		else if (!req->resp_nobody) {
			/* the whole body goes into wbuf: no push-back */
			req->resp_sent += len;
			req->bytes_out += len;
			if (gw_buf_append(&req->conn->wbuf, body, len,
			    NULL) == -1)
				req->conn->io_error = 1;
		}
	}
	gw_resp_end(req);
}

void
gw_resp_problem(struct gw_req *req, int status, const char *slug,
    const char *detail)
{
	struct gw_buf		b;
	struct gw_http_header	h[2];
	size_t			nh = 0;
	char			allow[256];

	gw_buf_init(&b, 8192);
	(void)gw_http_problem_json(&b, status, slug, detail, req->id, NULL);
	h[nh].name = GW_STR("Content-Type");
	h[nh++].value = GW_STR("application/problem+json");
	if (status == 405 && detail != NULL &&
	    strncmp(detail, "allowed: ", 9) == 0) {
		(void)snprintf(allow, sizeof(allow), "%s", detail + 9);
		h[nh].name = GW_STR("Allow");
		h[nh++].value = gw_str_cstr(allow);
	}
	if (status >= 400 && status != 404 && status != 405 && status != 429 &&
	    status < 500 && req->conn != NULL)
		req->conn->want_close = 1;
	gw_resp_send(req, status, h, nh, b.p, b.len);
	gw_buf_release(&b);
}

/* Request accessors. */

const struct gw_http_head *
gw_req_head(const struct gw_req *req)
{
	return req->head;
}

struct gw_arena *
gw_req_arena(struct gw_req *req)
{
	return req->arena;
}

struct gw_server *
gw_req_server(struct gw_req *req)
{
	return req->srv;
}

struct gw_loop *
gw_req_loop(struct gw_req *req)
{
	return req->srv->loop;
}

const char *
gw_req_id(const struct gw_req *req)
{
	return req->id;
}

const char *
gw_req_client(const struct gw_req *req)
{
	return req->conn->client;
}

struct gw_str
gw_req_path(const struct gw_req *req)
{
	return req->path;
}

const struct gw_cfg_route *
gw_req_route(const struct gw_req *req)
{
	return req->route;
}

const struct gw_route_match *
gw_req_match(const struct gw_req *req)
{
	return &req->match;
}

struct gw_str
gw_req_param(const struct gw_req *req, const char *name)
{
	for (size_t i = 0; i < req->match.nparams; i++)
		if (strcmp(req->match.params[i].name, name) == 0)
			return req->match.params[i].value;
	return GW_STR_NULL;
}

uint64_t
gw_req_start_us(const struct gw_req *req)
{
	return req->start_us;
}

void
gw_req_set_upstream(struct gw_req *req, const char *target, uint64_t us)
{
	req->upstream = target;
	req->upstream_us = us;
}

void
gw_req_on_abort(struct gw_req *req, gw_req_fn *fn, void *arg)
{
	req->abort_fn = fn;
	req->abort_arg = arg;
}

/* What policies may change. */

const struct gw_http_header *
gw_req_header(const struct gw_req *req, const char *name)
{
	return gw_http_head_get(req->head, name);
}

void
gw_req_header_del(struct gw_req *req, const char *name)
{
	struct gw_http_head	*h = req->head;
	size_t			 o = 0;

	for (size_t i = 0; i < h->nheaders; i++)
		if (!gw_str_caseeq_cstr(h->headers[i].name, name))
			h->headers[o++] = h->headers[i];
	h->nheaders = o;
}

int
gw_req_set_query(struct gw_req *req, struct gw_str query)
{
	char *q;

	if ((q = gw_arena_strndup(req->arena, query.p, query.len)) == NULL)
		return -1;
	req->head->query = gw_str_make(q, query.len);
	return 0;
}

int
gw_req_header_set(struct gw_req *req, const char *name, struct gw_str value)
{
	struct gw_http_head	*h, *n;
	char			*nm, *v;
	size_t			 sz;

	gw_req_header_del(req, name);
	h = req->head;
	if (h->nheaders >= GW_MAX_HEADERS)
		return -1;
	if ((nm = gw_arena_strdup(req->arena, name)) == NULL ||
	    (v = gw_arena_strndup(req->arena, value.p, value.len)) == NULL)
		return -1;
	/* the head was allocated to its size: grow a copy */
	sz = offsetof(struct gw_http_head, headers) +
	    (h->nheaders + 1) * sizeof(h->headers[0]);
	if ((n = gw_arena_alloc(req->arena, sz)) == NULL)
		return -1;
	memcpy(n, h, sz - sizeof(h->headers[0]));
	n->headers[n->nheaders].name = gw_str_make(nm, strlen(nm));
	n->headers[n->nheaders].value = gw_str_make(v, value.len);
	n->nheaders++;
	req->head = n;
	return 0;
}

int
gw_req_set_body(struct gw_req *req, const char *p, size_t len)
{
	if (!req->read_all)
		GW_BUG("gw_req_set_body on a body that was not read whole");
	/* no limit for the step's own body (0 in max would be a real 0) */
	req->body.max = SIZE_MAX - 1;
	gw_buf_reset(&req->body);
	req->body_off = 0;
	if (gw_buf_append(&req->body, p, len, NULL) == -1)
		return -1;
	req->has_body = 1;
	req->body_done = 1;
	return 0;
}

int
gw_req_var_set(struct gw_req *req, const char *name, struct gw_str value)
{
	struct req_var	*v;
	char		*val;

	for (v = req->vars; v != NULL; v = v->next)
		if (strcmp(v->name, name) == 0)
			break;
	if ((val = gw_arena_strndup(req->arena, value.p, value.len)) == NULL)
		return -1;
	if (v == NULL) {
		if ((v = gw_arena_calloc(req->arena, 1, sizeof(*v))) == NULL ||
		    (v->name = gw_arena_strdup(req->arena, name)) == NULL)
			return -1;
		v->next = req->vars;
		req->vars = v;
	}
	v->value = gw_str_make(val, value.len);
	return 0;
}

struct gw_str
gw_req_var(const struct gw_req *req, const char *name)
{
	for (const struct req_var *v = req->vars; v != NULL; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return GW_STR_NULL;
}

int
gw_resp_status(const struct gw_req *req)
{
	return req->cap_head ? req->cap_status : req->status;
}

void
gw_resp_set_status(struct gw_req *req, int status)
{
	if (!req->cap_head)
		GW_BUG("gw_resp_set_status outside a response step");
	req->cap_status = status;
}

struct gw_str
gw_resp_header(const struct gw_req *req, const char *name)
{
	for (size_t i = 0; req->cap_head && i < req->cap_nh; i++)
		if (gw_str_caseeq_cstr(req->cap_h[i].name, name))
			return req->cap_h[i].value;
	return GW_STR_NULL;
}

void
gw_resp_header_del(struct gw_req *req, const char *name)
{
	size_t o = 0;

	for (size_t i = 0; i < req->cap_nh; i++)
		if (!gw_str_caseeq_cstr(req->cap_h[i].name, name))
			req->cap_h[o++] = req->cap_h[i];
	req->cap_nh = o;
}

int
gw_resp_header_set(struct gw_req *req, const char *name, struct gw_str value)
{
	char *n, *v;

	if (!req->cap_head)
		GW_BUG("gw_resp_header_set outside a response step");
	gw_resp_header_del(req, name);
	if (req->cap_nh == req->cap_caph) {
		struct gw_http_header *nh;

		if ((nh = gw_arena_alloc(req->arena, (req->cap_caph * 2 + 4) *
		    sizeof(*nh))) == NULL)
			return -1;
		memcpy(nh, req->cap_h, req->cap_nh * sizeof(*nh));
		req->cap_h = nh;
		req->cap_caph = req->cap_caph * 2 + 4;
	}
	if ((n = gw_arena_strdup(req->arena, name)) == NULL ||
	    (v = gw_arena_strndup(req->arena, value.p, value.len)) == NULL)
		return -1;
	req->cap_h[req->cap_nh].name = gw_str_make(n, strlen(n));
	req->cap_h[req->cap_nh].value = gw_str_make(v, value.len);
	req->cap_nh++;
	return 0;
}

struct gw_str
gw_resp_captured_body(const struct gw_req *req)
{
	return gw_buf_str(&req->cap_body);
}

int
gw_resp_replace_body(struct gw_req *req, const char *p, size_t len)
{
	if (!req->cap)
		GW_BUG("gw_resp_replace_body without a captured body");
	/* no limit for the step's own body (0 in max would be a real 0) */
	req->cap_body.max = SIZE_MAX - 1;
	gw_buf_reset(&req->cap_body);
	return gw_buf_append(&req->cap_body, p, len, NULL);
}

/* Request bodies. */

int
gw_req_has_body(const struct gw_req *req)
{
	return req->has_body;
}

int64_t
gw_req_body_length(const struct gw_req *req)
{
	if (!req->has_body)
		return 0;
	/* a body read whole (and maybe replaced) has its own length */
	if (req->read_all && req->body_done)
		return (int64_t)(req->body.len - req->body_off);
	if (req->head->flags & GW_HTTP_CHUNKED)
		return -1;
	return (int64_t)req->head->content_length;
}

static void
send_continue(struct gw_req *req)
{
	struct iovec iov = { (void *)(uintptr_t)"HTTP/1.1 100 Continue\r\n\r\n",
	    25 };

	if (req->continue_sent || req->body_done || req->resp_started ||
	    !(req->head->flags & GW_HTTP_EXPECT_CONTINUE))
		return;
	req->continue_sent = 1;
	(void)conn_writev(req->conn, &iov, 1);
}

static void
want_body(struct gw_req *req)
{
	if (req->body_wanted)
		return;
	req->body_wanted = 1;
	send_continue(req);
	/* bytes already in rbuf can be decoded now */
	schedule_process(req->conn);
}

struct gw_str
gw_req_body_peek(struct gw_req *req)
{
	want_body(req);
	return gw_str_make(req->body.p + req->body_off,
	    req->body.len - req->body_off);
}

void
gw_req_body_consume(struct gw_req *req, size_t n)
{
	size_t pending = req->body.len - req->body_off;

	if (n > pending)
		GW_BUG("consumed more body than there was");
	req->body_off += n;
	if (req->body_off == req->body.len)
		req->body_off = req->body.len = 0;
	if (!req->read_all && (pending >= BODY_WINDOW ||
	    (req->conn->rbuf.len > req->conn->roff && !req->body_done)))
		schedule_process(req->conn);
}

int
gw_req_body_complete(const struct gw_req *req)
{
	return !req->has_body || req->body_done;
}

void
gw_req_body_notify(struct gw_req *req, gw_req_fn *fn, void *arg)
{
	req->body_fn = fn;
	req->body_arg = arg;
	want_body(req);
}

int
gw_req_body_read_all(struct gw_req *req, uint64_t max, gw_req_fn *fn,
    void *arg)
{
	req->read_all = 1;
	req->body_max = max;
	req->body.max = max == 0 ? 1 : (size_t)max;
	if (req->has_body && !(req->head->flags & GW_HTTP_CHUNKED) &&
	    req->head->content_length > max) {
		req->conn->want_close = 1;
		gw_resp_problem(req, 413, "body-too-large",
		    "request body larger than the limit");
		return -1;
	}
	req->body_fn = fn;
	req->body_arg = arg;
	want_body(req);
	return 0;
}

/*
 * The server ends a request on its own: the handler's abort function runs
 * (never from inside a handler call) and the handler is done.
 */
static void
req_abort_handler(struct gw_req *req)
{
	gw_req_fn *fn = req->abort_fn;

	if (req->handler_done)
		return;
	req->handler_done = 1;
	req->aborted = 1;
	req->abort_fn = NULL;
	if (fn != NULL)
		fn(req, req->abort_arg);
}

static int
body_sink(void *arg, const char *p, size_t len)
{
	struct gw_req *req = arg;

	/* a chunked body has no declared length: count it here */
	if (req->route != NULL && req->route->max_body_bytes > 0 &&
	    req->dec.decoded > req->route->max_body_bytes)
		return -1;
	return gw_buf_append(&req->body, p, len, NULL);
}

/*
 * Move body bytes from rbuf through the decoder into req->body, as far as
 * the window allows; once the handler is done, decode and drop (the body
 * must be read to find the next request).  On a framing error or an
 * oversized body the request ends here, answered when possible.
 */
static void
feed_body(struct conn *c, struct gw_req *req)
{
	int		 progressed = 0, discard = req->handler_done;
	struct gw_err	 err;

	while (!req->body_done && c->rbuf.len > c->roff) {
		size_t	room, avail = c->rbuf.len - c->roff;
		ssize_t	n;

		if (discard)
			req->body.len = req->body_off = 0;
		if (req->read_all)
			room = avail;
		else {
			size_t pending = req->body.len - req->body_off;

			if (pending >= BODY_WINDOW)
				break;
			if (req->body_off > 0) {
				/* keep the window at the start of the buffer */
				memmove(req->body.p, req->body.p +
				    req->body_off, pending);
				req->body.len = pending;
				req->body_off = 0;
			}
			room = BODY_WINDOW - pending;
		}
		if (avail > room)
			avail = room;
		if ((n = gw_http_body_feed(&req->dec, c->rbuf.p + c->roff,
		    avail, &err)) == -1) {
			int limit = err.code == GW_E_LIMIT;

			c->want_close = 1;
			c->roff = c->rbuf.len;
			gw_log_debug("%s: %s", c->client, err.msg);
			if (discard)
				return;
			req_abort_handler(req);
			if (!req->resp_started)
				gw_resp_problem(req, limit ? 413 : 400,
				    limit ? "body-too-large" : "bad-request",
				    limit ? "request body larger than the "
				    "limit" : err.msg);
			else
				req->resp_ended = 1;
			return;
		}
		c->roff += (size_t)n;
		req->bytes_in += (uint64_t)n;
		progressed = 1;
		if (req->dec.done)
			req->body_done = 1;
		if (n == 0)
			break;
		if (discard && req->dec.decoded > DISCARD_MAX) {
			c->want_close = 1;
			return;
		}
	}
	if (discard) {
		req->body.len = req->body_off = 0;
		if (!req->body_done && c->tkind != T_SEND)
			conn_timer(c, T_BODY, c->srv->cfg->body_timeout_ms);
		return;
	}
	if (!progressed)
		return;
	if (req->body_done)
		conn_timer(c, T_NONE, 0);
	else if (c->tkind != T_SEND)
		conn_timer(c, T_BODY, c->srv->cfg->body_timeout_ms);
	if (!req->read_all && req->body_fn != NULL)
		req->body_fn(req, req->body_arg);
}

/* W3C trace context: keep the caller's trace, or start one. */

static int
lower_hex(struct gw_str s, size_t off, size_t n)
{
	int nonzero = 0;

	for (size_t i = off; i < off + n; i++) {
		char ch = s.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
		nonzero |= ch != '0';
	}
	return nonzero;
}

static void
random_hex(struct gw_server *srv, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i += 16) {
		uint64_t v = rng_next(srv);

		for (size_t k = 0; k < 16 && i + k < n; k++)
			out[i + k] = hex[(v >> (k * 4)) & 15];
	}
	out[n] = '\0';
}

static void
trace_start(struct gw_req *req, const struct gw_http_header *tp)
{
	struct gw_str v;

	/* version 00: "00-<32 hex trace>-<16 hex parent>-<2 hex flags>" */
	if (tp != NULL && (v = tp->value).len >= 55 && v.p[0] == '0' &&
	    v.p[1] == '0' && v.p[2] == '-' && v.p[35] == '-' &&
	    v.p[52] == '-' && (v.len == 55 || v.p[55] == '-') &&
	    lower_hex(v, 3, 32) == 1 && lower_hex(v, 36, 16) == 1 &&
	    lower_hex(v, 53, 2) != -1) {
		memcpy(req->trace_id, v.p + 3, 32);
		req->trace_id[32] = '\0';
		memcpy(req->trace_flags, v.p + 53, 2);
		req->trace_flags[2] = '\0';
		return;
	}
	random_hex(req->srv, req->trace_id, 32);
	memcpy(req->trace_flags, "00", 3);
}

const char *
gw_req_trace_id(const struct gw_req *req)
{
	return req->trace_id;
}

void
gw_req_traceparent(struct gw_req *req, char out[56])
{
	char span[17];

	do
		random_hex(req->srv, span, 16);
	while (strcmp(span, "0000000000000000") == 0);
	(void)snprintf(out, 56, "00-%s-%s-%s", req->trace_id, span,
	    req->trace_flags);
}

/* Dispatching a request to its route's handler. */

static int
valid_request_id(struct gw_str v)
{
	if (v.len == 0 || v.len > 64)
		return 0;
	for (size_t i = 0; i < v.len; i++) {
		char ch = v.p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}

static void
make_request_id(struct gw_server *srv, char out[40])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t a = rng_next(srv), b = rng_next(srv);

	for (int i = 0; i < 16; i++) {
		out[i] = hex[(a >> (i * 4)) & 15];
		out[16 + i] = hex[(b >> (i * 4)) & 15];
	}
	out[32] = '\0';
}

static struct gw_req *
req_new(struct conn *c)
{
	struct gw_arena	*a;
	struct gw_req	*req;

	if ((a = arena_get(c->srv)) == NULL)
		return NULL;
	if ((req = gw_arena_calloc(a, 1, sizeof(*req))) == NULL) {
		arena_put(c->srv, a);
		return NULL;
	}
	req->conn = c;
	req->srv = c->srv;
	req->arena = a;
	req->start_us = gw_loop_now(c->srv->loop);
	req->resp_length = -1;
	gw_buf_init(&req->body, 0);
	make_request_id(c->srv, req->id);
	return req;
}

static void
req_free(struct gw_req *req)
{
	struct gw_server *srv = req->srv;

	gw_buf_release(&req->body);
	gw_buf_release(&req->cap_body);
	arena_put(srv, req->arena);
}

/* Copy the head into the arena so that rbuf can move under it. */
static struct gw_http_head *
head_copy(struct gw_arena *a, const char *buf, const struct gw_http_head *h)
{
	struct gw_http_head	*n;
	char			*copy;
	ptrdiff_t		 d;

	if ((n = gw_arena_alloc(a, offsetof(struct gw_http_head, headers) +
	    h->nheaders * sizeof(h->headers[0]))) == NULL ||
	    (copy = gw_arena_alloc(a, h->head_len)) == NULL)
		return NULL;
	memcpy(copy, buf, h->head_len);
	memcpy(n, h, offsetof(struct gw_http_head, headers) +
	    h->nheaders * sizeof(h->headers[0]));
	d = copy - buf;
#define MOVE(s) do {							\
	if ((s).p >= buf && (s).p <= buf + h->head_len)			\
		(s).p += d;						\
} while (0)
	MOVE(n->method);
	MOVE(n->target);
	MOVE(n->path);
	MOVE(n->query);
	MOVE(n->host);
	for (size_t i = 0; i < n->nheaders; i++) {
		MOVE(n->headers[i].name);
		MOVE(n->headers[i].value);
	}
#undef MOVE
	return n;
}

static void
run_handler(struct gw_req *req)
{
	const struct gw_cfg_route *r = req->route;

	switch (r->handler) {
	case GW_HANDLER_PROXY:
		gw_proxy_handle(req, &r->proxy);
		break;
	case GW_HANDLER_STATIC:
		gw_static_handle(req, &r->stat);
		break;
	case GW_HANDLER_ORCHESTRATE:
		gw_orch_handle(req, r->orch);
		break;
	}
}

/*
 * The request steps of the route's policies, in order, then the handler.
 * A step that waits is resumed by gw_req_policy_resume() through
 * conn_process().
 */
static void
run_chain(struct gw_req *req)
{
	const struct gw_cfg_route *r = req->route;

	while (req->pol_next < r->npolicies) {
		const struct gw_policy	*p = &r->policies[req->pol_next];
		enum gw_policy_rc	 rc;

		if (p->type->request == NULL) {
			req->pol_next++;
			continue;
		}
		rc = p->type->request(req, p->state);
		if (rc == GW_POLICY_WAIT) {
			req->pol_waiting = 1;
			return;
		}
		req->abort_fn = NULL;
		if (rc == GW_POLICY_DONE) {
			if (!req->resp_started)
				GW_BUG("a policy said DONE without answering");
			return;
		}
		req->pol_next++;
	}
	req->handler_started = 1;
	run_handler(req);
}

static void
chain_after_body(struct gw_req *req, void *arg)
{
	(void)arg;
	run_chain(req);
}

void
gw_req_policy_resume(struct gw_req *req, enum gw_policy_rc rc)
{
	if (!req->pol_waiting)
		GW_BUG("gw_req_policy_resume without a waiting policy");
	req->pol_waiting = 0;
	req->abort_fn = NULL;
	if (rc == GW_POLICY_DONE)
		return;		/* the policy answered */
	req->pol_next++;
	req->pol_continue = 1;
	schedule_process(req->conn);
}

/* The admin listener: metrics and health, never the routes. */
static void
admin_handle(struct gw_req *req)
{
	struct gw_server		*srv = req->srv;
	struct gw_str			 p = req->head->path;
	struct gw_buf			 b;
	struct gw_http_header		 h[2];
	int				 get;

	get = req->head->method_id == HTTP_GET ||
	    req->head->method_id == HTTP_HEAD;
	h[0].name = GW_STR("Cache-Control");
	h[0].value = GW_STR("no-store");
	h[1].name = GW_STR("Content-Type");
	gw_buf_init(&b, 64 * 1024 * 1024);
	if (!get && (gw_str_eq(p, GW_STR("/metrics")) ||
	    gw_str_eq(p, GW_STR("/healthz")) ||
	    gw_str_eq(p, GW_STR("/readyz")))) {
		gw_resp_problem(req, 405, "method-not-allowed",
		    "allowed: GET, HEAD");
	} else if (gw_str_eq(p, GW_STR("/metrics"))) {
		h[1].value = GW_STR("text/plain; version=0.0.4; charset=utf-8");
		if (srv->metrics == NULL)
			gw_resp_problem(req, 404, "not-found",
			    "no metrics in this mode");
		else if (gw_metrics_write(srv->metrics, &b, NULL) == -1)
			gw_resp_problem(req, 500, "internal",
			    "cannot write the metrics");
		else
			gw_resp_send(req, 200, h, 2, b.p, b.len);
	} else if (gw_str_eq(p, GW_STR("/healthz"))) {
		/* this worker's loop is turning: that is alive */
		h[1].value = GW_STR("text/plain");
		gw_resp_send(req, 200, h, 2, "ok\n", 3);
	} else if (gw_str_eq(p, GW_STR("/readyz"))) {
		int ready = !srv->draining;

		h[1].value = GW_STR("application/json");
		(void)gw_buf_printf(&b, NULL, "{\"status\":\"%s\","
		    "\"routes\":%zu,\"upstreams\":", ready ? "ready" :
		    "draining", srv->cfg->nroutes);
		(void)gw_proxy_write_state(srv->proxy, &b);
		(void)gw_buf_puts(&b, "}\n", NULL);
		gw_resp_send(req, ready ? 200 : 503, h, 2, b.p, b.len);
	} else
		gw_resp_problem(req, 404, "not-found", "the admin listener "
		    "serves /metrics, /healthz and /readyz");
	gw_buf_release(&b);
}

static void
dispatch(struct conn *c, struct gw_http_head *h)
{
	struct gw_server		*srv = c->srv;
	const struct gw_cfg		*cfg = srv->cfg;
	struct gw_req			*req = c->req;
	const struct gw_http_header	*rid;
	uint64_t			 allow = 0;
	char				*np;
	size_t				 nplen;

	if (c->admin) {
		req->has_body = (h->flags & GW_HTTP_CHUNKED) ||
		    ((h->flags & GW_HTTP_HAS_LENGTH) && h->content_length > 0);
		req->body_done = !req->has_body;
		gw_http_body_init(&req->dec, h, body_sink, req);
		admin_handle(req);
		return;
	}

	req->has_body = (h->flags & GW_HTTP_CHUNKED) ||
	    ((h->flags & GW_HTTP_HAS_LENGTH) && h->content_length > 0);
	req->body_done = !req->has_body;
	gw_http_body_init(&req->dec, h, body_sink, req);
	if ((rid = gw_http_head_get(h, "x-request-id")) != NULL &&
	    valid_request_id(rid->value))
		(void)gw_str_copy(req->id, sizeof(req->id), rid->value);
	trace_start(req, gw_http_head_get(h, "traceparent"));
	if (c->tls != NULL) {
		(void)gw_req_var_set(req, "tls_version",
		    gw_str_cstr(gw_tls_version(c->tls)));
		if (c->peer_ok) {
			const char *subj = c->peer;
			const char *cn = subj + strlen(subj) + 1;
			const char *san = cn + strlen(cn) + 1;

			(void)gw_req_var_set(req, "tls_client_subject",
			    gw_str_cstr(subj));
			(void)gw_req_var_set(req, "tls_client_cn",
			    gw_str_cstr(cn));
			(void)gw_req_var_set(req, "tls_client_san",
			    gw_str_cstr(san));
			if (c->consumer == 1 && cn[0] != '\0')
				(void)gw_req_var_set(req, "consumer",
				    gw_str_cstr(cn));
			else if (c->consumer == 2 && san[0] != '\0')
				(void)gw_req_var_set(req, "consumer",
				    gw_str_cstr(san));
		}
	}
	if (h->flags & GW_HTTP_ASTERISK_FORM) {
		gw_resp_problem(req, 404, "not-found", "no route for '*'");
		return;
	}
	if ((np = gw_route_normalize_path(req->arena, h->path, &nplen)) ==
	    NULL) {
		c->want_close = 1;
		gw_resp_problem(req, 400, "bad-request", "malformed path");
		return;
	}
	req->path = gw_str_make(np, nplen);
	if (gw_router_match(cfg->router, h->host, h->method_id, req->path, h,
	    &req->match, &allow) == -1) {
		if (allow != 0) {
			char detail[256], list[200];

			gw_route_methods_str(allow, list, sizeof(list));
			(void)snprintf(detail, sizeof(detail), "allowed: %s",
			    list);
			gw_resp_problem(req, 405, "method-not-allowed", detail);
		} else
			gw_resp_problem(req, 404, "not-found",
			    "no route matches the request");
		return;
	}
	req->route = req->match.data;
	if (req->route->max_body_bytes > 0 && req->has_body &&
	    !(h->flags & GW_HTTP_CHUNKED) &&
	    h->content_length > req->route->max_body_bytes) {
		c->want_close = 1;
		gw_resp_problem(req, 413, "body-too-large",
		    "request body larger than the route's limit");
		return;
	}
	if (req->route->npolicies == 0) {
		req->handler_started = 1;
		run_handler(req);
		return;
	}
	if ((req->route->policy_flags & GW_POLICY_REQUEST_BODY) &&
	    req->has_body) {
		uint64_t max = req->route->max_body_bytes > 0 ?
		    req->route->max_body_bytes : cfg->max_body_bytes;

		(void)gw_req_body_read_all(req, max, chain_after_body, NULL);
		return;
	}
	run_chain(req);
}

/* An error answered before any request object exists. */
static void
early_error(struct conn *c, int status, const char *msg)
{
	struct gw_req *req = c->req;

	c->want_close = 1;
	c->srv->stats.bad_requests++;
	if (req == NULL && (req = c->req = req_new(c)) == NULL) {
		conn_close(c);
		return;
	}
	c->state = C_REQ;
	gw_resp_problem(req, status,
	    status == 431 ? "header-too-large" :
	    status == 414 ? "uri-too-long" :
	    status == 501 ? "not-implemented" :
	    status == 505 ? "version-not-supported" :
	    status == 408 ? "request-timeout" :
	    status == 417 ? "expectation-failed" : "bad-request", msg);
}

/* Parse and start requests while the connection can take them. */
static void
conn_process(struct conn *c)
{
	struct gw_server	*srv = c->srv;
	struct gw_err		 err;

	if (c->state == C_DEAD || c->processing)
		return;
	c->processing = 1;
	for (;;) {
		if (c->io_error) {
			conn_close(c);
			break;
		}
		if (c->state == C_REQ) {
			struct gw_req *req = c->req;

			if (req->has_body && !req->body_done &&
			    (req->body_wanted || req->handler_done))
				feed_body(c, req);
			if (req->read_all && req->body_done &&
			    req->body_fn != NULL && !req->handler_done) {
				gw_req_fn *fn = req->body_fn;

				req->body_fn = NULL;
				fn(req, req->body_arg);
			}
			if (req->pol_continue && !req->handler_done) {
				req->pol_continue = 0;
				run_chain(req);
			}
			if (req->handler_done)
				req_maybe_finish(req);
			if (c->state == C_REQ || c->state == C_DEAD)
				break;
			continue;
		}
		if (c->state == C_CLOSING) {
			if (conn_pending(c) == 0) {
				/* all sent: stop writing, drain, then close */
				if (c->tls != NULL && c->hs)
					gw_tls_shutdown(c->tls);
				if (c->eof ||
				    shutdown(c->fd, SHUT_WR) == -1) {
					conn_close(c);
					break;
				}
				c->state = C_LINGER;
				conn_timer(c, T_LINGER, LINGER_MS);
				conn_update_io(c);
			}
			break;
		}
		if (c->state == C_LINGER) {
			c->roff = c->rbuf.len;
			if (c->eof)
				conn_close(c);
			break;
		}
		/* C_HEAD */
		if (c->rbuf.len == c->roff) {
			if (c->eof) {
				if (conn_pending(c) == 0) {
					conn_close(c);
					break;
				}
				c->state = C_CLOSING;
				continue;
			}
			if (srv->draining) {
				/*
				 * A client may be sending its next request
				 * right now: give it a moment, and answer that
				 * one with Connection: close.
				 */
				if (c->tkind != T_DRAIN && c->tkind != T_SEND)
					conn_timer(c, T_DRAIN, DRAIN_GRACE_MS);
				conn_update_io(c);
				break;
			}
			/* idle between requests: give the buffer back */
			if (conn_pending(c) == 0) {
				buf_give_back(srv, &c->rbuf);
				buf_give_back(srv, &c->wbuf);
				c->woff = 0;
			}
			c->rbuf.len = c->roff = 0;
			if (c->tkind != T_IDLE && c->tkind != T_SEND)
				conn_timer(c, T_IDLE,
				    srv->cfg->keepalive_timeout_ms);
			conn_update_io(c);
			break;
		}
		{
			struct gw_http_head	 hbuf, *h;
			int			 status;
			ssize_t			 hl;
			const char		*p = c->rbuf.p + c->roff;
			size_t			 avail = c->rbuf.len - c->roff;

			/* leading empty lines before a request are allowed */
			while (avail >= 2 && p[0] == '\r' && p[1] == '\n') {
				p += 2;
				avail -= 2;
				c->roff += 2;
			}
			if (avail == 0)
				continue;
			hl = gw_http_parse_head(p, avail, &srv->cfg->limits,
			    &hbuf, &status, &err);
			if (hl == 0) {
				if (c->eof) {
					conn_close(c);
					break;
				}
				if (c->tkind != T_HEADER)
					conn_timer(c, T_HEADER,
					    srv->cfg->header_timeout_ms);
				conn_update_io(c);
				break;
			}
			if ((c->req = req_new(c)) == NULL) {
				conn_close(c);
				break;
			}
			srv->stats.requests++;
			c->nreq++;
			if (hl == -1) {
				gw_log_debug("%s: bad request: %s", c->client,
				    err.msg);
				c->roff = c->rbuf.len;
				early_error(c, status, err.msg);
				continue;
			}
			if ((h = head_copy(c->req->arena, p, &hbuf)) == NULL) {
				conn_close(c);
				break;
			}
			c->req->head = h;
			c->req->bytes_in = (uint64_t)hl;
			c->roff += (size_t)hl;
			c->state = C_REQ;
			conn_busy(c, 1);
			conn_timer(c, T_NONE, 0);
			dispatch(c, h);
		}
	}
	c->processing = 0;
	if (c->state != C_DEAD)
		conn_update_io(c);
	/* bytes TLS decrypted already wait where epoll cannot see them */
	if (c->tls != NULL && c->hs && c->reading && c->state != C_DEAD &&
	    gw_tls_pending(c->tls) && !c->read_scheduled &&
	    gw_loop_defer(c->srv->loop, deferred_read, c) == 0)
		c->read_scheduled = 1;
}

static void
deferred_read(void *arg)
{
	struct conn *c = arg;

	c->read_scheduled = 0;
	if (c->freeing || c->state == C_DEAD)
		return;
	conn_event(&c->io, EPOLLIN);
}

static void
deferred_process(void *arg)
{
	struct conn *c = arg;

	c->scheduled = 0;
	if (c->freeing)
		return;
	conn_process(c);
}

static void
schedule_process(struct conn *c)
{
	if (c->scheduled || c->state == C_DEAD || c->freeing)
		return;
	if (gw_loop_defer(c->srv->loop, deferred_process, c) == 0)
		c->scheduled = 1;
}

/* A request is over when its response ended and its body is settled. */
static void
req_maybe_finish(struct gw_req *req)
{
	struct conn *c = req->conn;

	if (!req->handler_done)
		return;
	if (req->has_body && !req->body_done && !c->want_close) {
		/* still draining an unread body */
		return;
	}
	if (c->io_error) {
		req_accounted(req);
		conn_close(c);
		return;
	}
	req_accounted(req);
	c->req = NULL;
	req_free(req);
	if (c->want_close) {
		c->state = C_CLOSING;
		c->roff = c->rbuf.len;
		return;
	}
	c->state = C_HEAD;
	conn_busy(c, 0);
	if (conn_pending(c) > 0)
		conn_timer(c, T_SEND, c->srv->cfg->send_timeout_ms);
	else
		conn_timer(c, T_NONE, 0);
}

/* Reading and writing on the socket. */

static void
conn_read(struct conn *c)
{
	for (int round = 0; round < 4; round++) {
		ssize_t n;

		if (c->roff > 0 && (c->roff == c->rbuf.len ||
		    c->roff > c->rbuf.len / 2)) {
			gw_buf_consume(&c->rbuf, c->roff);
			c->roff = 0;
		}
		if (c->rbuf.p == NULL) {
			buf_take(c->srv, &c->rbuf);
			if (c->rbuf.p == NULL &&
			    gw_buf_reserve(&c->rbuf, SPARE_CAP, NULL) == -1) {
				c->io_error = 1;
				return;
			}
		}
		/* full: what is there must be processed first */
		if (c->rbuf.len - c->roff + READ_CHUNK > c->rbuf.max)
			return;
		if (gw_buf_reserve(&c->rbuf, READ_CHUNK, NULL) == -1) {
			c->io_error = 1;
			return;
		}
		if (c->tls != NULL) {
			struct gw_err err;

			n = gw_tls_read(c->tls, c->rbuf.p + c->rbuf.len,
			    c->rbuf.cap - c->rbuf.len, &err);
			if (n == GW_TLS_WANT_READ || n == GW_TLS_WANT_WRITE) {
				c->tls_wr = n == GW_TLS_WANT_WRITE;
				return;
			}
			if (n == GW_TLS_CLOSED)
				n = 0;
			else if (n < 0) {
				gw_log_debug("%s: %s", c->client, err.msg);
				if (c->state == C_LINGER)
					c->eof = 1;
				else
					c->io_error = 1;
				return;
			}
		} else
			do
				n = read(c->fd, c->rbuf.p + c->rbuf.len,
				    c->rbuf.cap - c->rbuf.len);
			while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->io_error = c->state != C_LINGER;
			if (c->state == C_LINGER && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				c->eof = 1;
			return;
		}
		if (n == 0) {
			c->eof = 1;
			return;
		}
		c->rbuf.len += (size_t)n;
		if (c->state == C_LINGER) {
			c->lingered += (uint64_t)n;
			c->rbuf.len = c->roff = 0;
			if (c->lingered > LINGER_BYTES)
				c->eof = 1;
		}
		/* decrypted bytes may wait inside TLS: epoll will not say */
		if ((size_t)n < c->rbuf.cap - c->rbuf.len + (size_t)n &&
		    (c->tls == NULL || !gw_tls_pending(c->tls)))
			return;
	}
}

/* A step of the TLS handshake; 1 when it is done. */
static int
conn_handshake(struct conn *c)
{
	struct gw_err	err;
	int		rc = gw_tls_handshake(c->tls, &err);

	if (rc == 1) {
		char subject[256], cn[128], san[128];

		c->hs = 1;
		c->tls_wr = 0;
		if (gw_tls_peer(c->tls, subject, sizeof(subject), san,
		    sizeof(san), cn, sizeof(cn)) == 1) {
			size_t a = strlen(subject) + 1, b = strlen(cn) + 1;
			size_t d = strlen(san) + 1;

			if ((c->peer = malloc(a + b + d)) != NULL) {
				memcpy(c->peer, subject, a);
				memcpy(c->peer + a, cn, b);
				memcpy(c->peer + a + b, san, d);
				c->peer_ok = 1;
			}
		}
		return 1;
	}
	if (rc == GW_TLS_WANT_READ || rc == GW_TLS_WANT_WRITE) {
		c->tls_wr = rc == GW_TLS_WANT_WRITE;
		conn_update_io(c);
		return 0;
	}
	gw_log_debug("%s: %s", c->client, err.msg);
	conn_close(c);
	return 0;
}

static void
conn_writable(struct conn *c)
{
	struct gw_req	*req = c->req;

	c->writing = 0;
	c->tls_wr = 0;
	if (conn_flush(c) == -1)
		return;
	if (conn_pending(c) == 0 && c->tkind == T_SEND)
		conn_timer(c, T_NONE, 0);
	else if (conn_pending(c) > 0)
		conn_timer(c, T_SEND, c->srv->cfg->send_timeout_ms);
	if (req != NULL && req->writable_fn != NULL &&
	    conn_pending(c) < OUT_LOW && !req->handler_done) {
		gw_req_fn *fn = req->writable_fn;

		req->writable_fn = NULL;
		fn(req, req->writable_arg);
	}
}

static void
conn_event(struct gw_io *io, uint32_t events)
{
	struct conn *c = io->arg;

	if (c->tls != NULL && !c->hs) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(c);
			return;
		}
		if (!conn_handshake(c))
			return;
		/* the client's first request may be in the same records */
		events |= EPOLLIN;
	}

	if (events & (EPOLLERR | EPOLLHUP)) {
		if (c->state != C_LINGER)
			c->io_error = !(events & EPOLLIN);
		if (!(events & EPOLLIN))
			c->eof = 1;
	}
	if (events & EPOLLOUT)
		conn_writable(c);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		conn_read(c);
	if (c->state == C_REQ && c->eof && c->req != NULL &&
	    !c->req->body_done && c->req->has_body)
		c->io_error = 1;	/* the client went away mid-body */
	conn_process(c);	/* closes on io_error */
}

static void
conn_timer_fire(struct gw_timer *t)
{
	struct conn	*c = t->arg;
	struct gw_req	*req = c->req;
	enum timer_kind	 kind = c->tkind;

	c->tkind = T_NONE;
	switch (kind) {
	case T_HEADER:
		if (c->rbuf.len > c->roff) {
			gw_log_debug("%s: header timeout", c->client);
			c->roff = c->rbuf.len;
			early_error(c, 408, "request header not received in "
			    "time");
			conn_process(c);
			return;
		}
		/* FALLTHROUGH */
	case T_IDLE:
		conn_close(c);
		return;
	case T_BODY:
		if (req != NULL && !req->resp_started && !req->handler_done) {
			req_abort_handler(req);
			c->want_close = 1;
			gw_resp_problem(req, 408, "request-timeout",
			    "request body not received in time");
			conn_process(c);
			return;
		}
		conn_close(c);
		return;
	case T_SEND:
	case T_LINGER:
	case T_DRAIN:
	case T_NONE:
		conn_close(c);
		return;
	}
}

/* Closing: mark now, free at the end of the iteration. */

static void
conn_destroy(void *arg)
{
	struct conn	*c = arg;
	struct gw_server *srv = c->srv;
	struct gw_req	*req = c->req;

	if (req != NULL) {
		req_abort_handler(req);
		if (req->status == 0)
			req->status = 499;	/* as nginx: client went away */
		if (!req->resp_ended)
			req->aborted = 1;
		req_accounted(req);
		req_free(req);
		c->req = NULL;
	}
	if (c->tls != NULL) {
		if (c->hs && !c->io_error)
			gw_tls_shutdown(c->tls);
		gw_tls_free(c->tls);
	}
	free(c->peer);
	(void)close(c->fd);
	buf_give_back(srv, &c->rbuf);
	buf_give_back(srv, &c->wbuf);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	srv->stats.active_conns = srv->nconns;
	if (c->counted)
		client_release(srv, c->client);
	if (c->busy)
		gw_gauge_add(srv->g_active, srv->slot, -1);
	else
		gw_gauge_add(srv->g_idle, srv->slot, -1);
	free(c);
	/* a listener paused at max_connections may resume */
	for (size_t i = 0; i < srv->nls; i++)
		if (srv->ls[i].paused && !srv->draining &&
		    srv->nconns < srv->cfg->max_connections) {
			srv->ls[i].paused = 0;
			(void)gw_io_start(srv->loop, &srv->ls[i].io,
			    srv->ls[i].fd, EPOLLIN | EPOLLEXCLUSIVE,
			    listener_event, &srv->ls[i], NULL);
		}
	if (srv->draining && srv->nconns == 0 && srv->drain_done != NULL) {
		void (*done)(void *) = srv->drain_done;

		srv->drain_done = NULL;
		done(srv->drain_arg);
	}
}

static void
conn_close(struct conn *c)
{
	if (c->freeing)
		return;
	c->freeing = 1;
	c->state = C_DEAD;
	gw_io_stop(&c->io);
	gw_timer_stop(&c->timer);
	if (gw_loop_defer(c->srv->loop, conn_destroy, c) == -1)
		conn_destroy(c);	/* no handler call is on the stack here */
}

/* Accepting. */

static struct conn *
conn_new(struct gw_server *srv, int fd, const struct sockaddr *sa)
{
	struct conn	*c;
	struct gw_err	 err;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)close(fd);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	c->state = C_HEAD;
	gw_buf_init(&c->rbuf, srv->cfg->limits.max_header_bytes +
	    READ_CHUNK * 3);
	gw_buf_init(&c->wbuf, 0);
	if (sa == NULL || sa->sa_family == AF_UNIX)
		(void)snprintf(c->client, sizeof(c->client), "unix");
	else if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    c->client, sizeof(c->client));
	else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			(void)inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12],
			    c->client, sizeof(c->client));
		else
			(void)inet_ntop(AF_INET6, &s6->sin6_addr, c->client,
			    sizeof(c->client));
	} else
		(void)snprintf(c->client, sizeof(c->client), "unknown");
	if (sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6)) {
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	if (gw_io_start(srv->loop, &c->io, fd, EPOLLIN | EPOLLRDHUP,
	    conn_event, c, &err) == -1) {
		gw_log_warnx("%s", err.msg);
		(void)close(fd);
		free(c);
		return NULL;
	}
	c->reading = 1;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	srv->stats.accepted++;
	gw_counter_add(srv->accepted, 1);
	gw_gauge_add(srv->g_idle, srv->slot, 1);
	srv->stats.active_conns = srv->nconns;
	conn_timer(c, T_HEADER, srv->cfg->header_timeout_ms);
	return c;
}

/* Per-client connection counts, for limits.max_connections_per_client. */
static size_t
client_slot(const char *addr)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *addr != '\0'; addr++) {
		h ^= (unsigned char)*addr;
		h *= 1099511628211ULL;
	}
	return (size_t)(h % CLIENT_BUCKETS);
}

static struct client_count *
client_find(struct gw_server *srv, const char *addr, int create)
{
	struct client_count **pp = &srv->clients[client_slot(addr)], *cc;

	for (cc = *pp; cc != NULL; cc = cc->next)
		if (strcmp(cc->addr, addr) == 0)
			return cc;
	if (!create || (cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	(void)snprintf(cc->addr, sizeof(cc->addr), "%s", addr);
	cc->next = *pp;
	*pp = cc;
	return cc;
}

static void
client_release(struct gw_server *srv, const char *addr)
{
	struct client_count **pp = &srv->clients[client_slot(addr)], *cc;

	for (; (cc = *pp) != NULL; pp = &cc->next)
		if (strcmp(cc->addr, addr) == 0) {
			if (--cc->n == 0) {
				*pp = cc->next;
				free(cc);
			}
			return;
		}
}

/* Answer 503 at once and close: better than leaving the client hanging. */
static void
refuse(struct conn *c, const char *why, const char *reason)
{
	struct gw_server *srv = c->srv;

	if (srv->refused == NULL && srv->metrics != NULL)
		srv->refused = gw_metrics_counter(srv->metrics,
		    "gw_connections_refused_total", "reason=\"worker\"");
	if (srv->refused_client == NULL && srv->metrics != NULL)
		srv->refused_client = gw_metrics_counter(srv->metrics,
		    "gw_connections_refused_total", "reason=\"client\"");
	gw_counter_add(strcmp(reason, "client") == 0 ? srv->refused_client :
	    srv->refused, 1);
	if ((c->req = req_new(c)) == NULL) {
		conn_close(c);
		return;
	}
	c->state = C_REQ;
	c->want_close = 1;
	gw_resp_problem(c->req, 503, "overloaded", why);
	schedule_process(c);
}

static void
listener_pause(struct listener *l)
{
	l->paused = 1;
	gw_io_stop(&l->io);
}

static void
listener_event(struct gw_io *io, uint32_t events)
{
	struct listener		*l = io->arg;
	struct gw_server	*srv = l->srv;
	const struct gw_cfg	*cfg = srv->cfg;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage	 ss;
		socklen_t		 sl = sizeof(ss);
		struct conn		*c;
		struct client_count	*cc = NULL;
		int			 fd, full;

		full = srv->nconns >= cfg->max_connections;
		if (full && (cfg->overload_queue || l->admin)) {
			/* leave them in the kernel's backlog */
			listener_pause(l);
			return;
		}
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				gw_log_warn("accept");
				listener_pause(l);
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				gw_log_warn("accept");
			return;
		}
		if ((c = conn_new(srv, fd, (struct sockaddr *)&ss)) == NULL)
			continue;
		c->admin = l->admin;
		if (l->tls != NULL) {
			struct gw_err err;

			if ((c->tls = gw_tls_new(l->tls, fd, &err)) == NULL) {
				gw_log_warnx("%s", err.msg);
				conn_close(c);
				continue;
			}
			c->consumer = l->consumer;
		}
		if (full) {
			refuse(c, "the gateway is at its connection limit",
			    "worker");
			continue;
		}
		if (cfg->max_connections_per_client > 0 && !l->admin &&
		    (cc = client_find(srv, c->client, 1)) != NULL) {
			c->counted = 1;
			if (++cc->n > cfg->max_connections_per_client) {
				refuse(c, "too many connections from this "
				    "address", "client");
				continue;
			}
		}
	}
}

/* The server. */

/*
 * The per-worker hooks of the routes' policies (policy.h): started in
 * configuration order, counted in srv->pol_started so that a start that
 * fails leaves only those before it to stop, and stopped in reverse order.
 */
static int
policies_start(struct gw_server *srv, struct gw_err *err)
{
	const struct gw_cfg *cfg = srv->cfg;

	if (srv->pol_started > 0)
		return 0;
	for (size_t i = 0; i < cfg->nroutes; i++)
		for (size_t j = 0; j < cfg->routes[i].npolicies; j++) {
			const struct gw_policy *p = &cfg->routes[i].policies[j];

			if (p->type->worker_start != NULL &&
			    p->type->worker_start(p->state, srv, err) == -1)
				return -1;
			srv->pol_started++;
		}
	return 0;
}

static void
policies_stop(struct gw_server *srv)
{
	const struct gw_cfg	*cfg = srv->cfg;
	size_t			 k = 0;

	for (size_t i = 0; i < cfg->nroutes; i++)
		k += cfg->routes[i].npolicies;
	for (size_t i = cfg->nroutes; i > 0; i--)
		for (size_t j = cfg->routes[i - 1].npolicies; j > 0; j--) {
			const struct gw_policy *p =
			    &cfg->routes[i - 1].policies[j - 1];

			if (--k < srv->pol_started &&
			    p->type->worker_stop != NULL)
				p->type->worker_stop(p->state, srv);
		}
	srv->pol_started = 0;
}

struct gw_server *
gw_server_new(struct gw_loop *loop, struct gw_cfg *cfg, struct gw_err *err)
{
	struct gw_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->cfg = gw_cfg_ref(cfg);
	gw_buf_init(&srv->logbuf, 0);
	if (getrandom(srv->rng, sizeof(srv->rng), 0) != sizeof(srv->rng)) {
		srv->rng[0] = (uint64_t)gw_clock_us() ^ (uint64_t)getpid();
		srv->rng[1] = 0x9e3779b97f4a7c15ULL;
	}
	srv->rng[0] |= 1;
	srv->journal = cfg->log_journal == 1 ||
	    (cfg->log_journal == 2 && gw_log_is_journal());
	if ((srv->proxy = gw_proxy_new(srv, err)) == NULL) {
		gw_server_free(srv);
		return NULL;
	}
	if (gw_loop_on_idle(loop, log_flush, srv) == -1) {
		gw_err_set(err, GW_E_INTERNAL, "too many idle callbacks");
		gw_server_free(srv);
		return NULL;
	}
	if (policies_start(srv, err) == -1) {
		gw_server_free(srv);
		return NULL;
	}
	return srv;
}

void
gw_server_free(struct gw_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns != NULL) {
		struct conn *c = srv->conns;

		gw_io_stop(&c->io);
		gw_timer_stop(&c->timer);
		c->freeing = 1;
		conn_destroy(c);
	}
	for (size_t i = 0; i < srv->nls; i++)
		gw_io_stop(&srv->ls[i].io);
	free(srv->ls);
	/* no request is left to wait on what the policies stop */
	policies_stop(srv);
	gw_orch_server_free(srv);
	gw_proxy_free(srv->proxy);
	log_flush(srv);
	gw_buf_release(&srv->logbuf);
	for (size_t i = 0; i < srv->npool; i++)
		gw_arena_free(srv->pool[i]);
	for (size_t i = 0; i < srv->nspare; i++)
		free(srv->spare[i]);
	for (size_t i = 0; i < CLIENT_BUCKETS; i++)
		while (srv->clients[i] != NULL) {
			struct client_count *cc = srv->clients[i];

			srv->clients[i] = cc->next;
			free(cc);
		}
	free(srv->rm);
	free(srv->outcomes);
	gw_cfg_unref(srv->cfg);
	free(srv);
}

static int
listen_fd(struct gw_server *srv, int fd, int admin, struct gw_tls_ctx *tls,
    int consumer, struct gw_err *err)
{
	struct listener *ls;
	int		 fl;

	/* sockets from systemd or inetd may come blocking */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return gw_err_sys(err, "fcntl on listening fd %d", fd);
	if (srv->nls >= GW_MAX_LISTENERS)
		return gw_err_set(err, GW_E_LIMIT, "too many listeners");
	/* the array moves: listeners are started after they are all added */
	if ((ls = realloc(srv->ls, (srv->nls + 1) * sizeof(*ls))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < srv->nls; i++)
		gw_io_stop(&ls[i].io);
	srv->ls = ls;
	memset(&ls[srv->nls], 0, sizeof(ls[0]));
	ls[srv->nls].srv = srv;
	ls[srv->nls].fd = fd;
	ls[srv->nls].admin = admin;
	ls[srv->nls].tls = tls;
	ls[srv->nls].consumer = consumer;
	srv->nls++;
	for (size_t i = 0; i < srv->nls; i++)
		if (gw_io_start(srv->loop, &ls[i].io, ls[i].fd,
		    EPOLLIN | EPOLLEXCLUSIVE, listener_event, &ls[i],
		    err) == -1)
			return -1;
	return 0;
}

int
gw_server_listen(struct gw_server *srv, int fd, struct gw_err *err)
{
	return listen_fd(srv, fd, 0, NULL, 0, err);
}

int
gw_server_listen_tls(struct gw_server *srv, int fd, struct gw_tls_ctx *tls,
    int consumer, struct gw_err *err)
{
	return listen_fd(srv, fd, 0, tls, consumer, err);
}

int
gw_server_listen_admin(struct gw_server *srv, int fd, struct gw_err *err)
{
	return listen_fd(srv, fd, 1, NULL, 0, err);
}

int
gw_req_is_tls(const struct gw_req *req)
{
	return req->conn->tls != NULL;
}

int
gw_server_serve_fd(struct gw_server *srv, int fd, struct gw_err *err)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);
	struct conn		*c;
	int			fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return gw_err_sys(err, "fcntl");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		ss.ss_family = AF_UNIX;
	if ((c = conn_new(srv, fd, (struct sockaddr *)&ss)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "cannot serve fd %d", fd);
	c->single = 1;
	return 0;
}

void
gw_server_drain(struct gw_server *srv, void (*done)(void *), void *arg)
{
	struct conn *c, *next;

	srv->draining = 1;
	srv->drain_done = done;
	srv->drain_arg = arg;
	for (size_t i = 0; i < srv->nls; i++)
		gw_io_stop(&srv->ls[i].io);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		/* busy ones answer Connection: close; idle ones get a grace */
		if (c->state == C_HEAD)
			schedule_process(c);
	}
	if (srv->nconns == 0) {
		srv->drain_done = NULL;
		if (done != NULL)
			done(arg);
	}
}

size_t
gw_server_nconns(const struct gw_server *srv)
{
	return srv->nconns;
}

const struct gw_server_stats *
gw_server_stats(const struct gw_server *srv)
{
	return &srv->stats;
}

struct gw_loop *
gw_server_loop(struct gw_server *srv)
{
	return srv->loop;
}

const struct gw_cfg *
gw_server_cfg(const struct gw_server *srv)
{
	return srv->cfg;
}

struct gw_proxy *
gw_server_proxy(struct gw_server *srv)
{
	return srv->proxy;
}
