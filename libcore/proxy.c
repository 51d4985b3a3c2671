/*
 * proxy.c: the proxy handler: upstream pools, target choice, passive
 * health, retries, and the relay between a client request and an upstream
 * exchange (client.h).
 *
 * The request going up gets the client's fields minus the hop-by-hop ones,
 * its own Host (or the client's with preserve_host), X-Forwarded-For/-Proto/
 * -Host, Via and X-Request-Id; the response coming down loses its hop-by-hop
 * fields and gains Via.  Bodies stream with bounded memory: the upload
 * waits for the client's bytes, the download waits for the client to read.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "cfg.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proxy.h"
#include "server.h"
#include "str.h"

#define MAX_TRIES	4

#define NOUTCOMES	8	/* enum gw_client_status, plus timeout */
#define OUTCOME_TIMEOUT	7

struct target_rt {
	const struct gw_cfg_target	*cfg;
	struct gw_client_pool		*pool;
	uint32_t			 active;
	uint32_t			 fails;
	uint64_t			 ejected_until;	/* loop time */
	uint64_t			 requests;
	/* metrics */
	struct gw_histo			*dur;
	uint64_t			*outcome[NOUTCOMES];
	uint64_t			*ejections;
	int64_t				*g_up;
	/* active health checks */
	struct gw_proxy			*px;
	const struct gw_cfg_upstream	*up;
	struct gw_timer			 probe_timer;
	struct gw_client_xchg		*probe;
	int				 probe_status;
	int				 down;		/* by the checks */
	uint32_t			 run_ok, run_fail;
	int				 slot;
};

struct pool {
	const struct gw_cfg_upstream	*cfg;
	struct target_rt		*targets;
	size_t				 ntargets;
	size_t				 rr;
};

struct gw_proxy {
	struct gw_server	*srv;
	struct gw_loop		*loop;
	struct gw_client	*client;
	struct pool		*pools;
	size_t			 npools;
};

struct xfer {
	struct gw_proxy		*px;
	struct gw_req		*req;
	const struct gw_cfg_proxy *conf;
	struct pool		*pool;
	struct target_rt	*target;
	struct gw_client_xchg	*xchg;
	struct gw_client_request rq;
	struct gw_timer		 timer;
	uint64_t		 t_start;
	uint64_t		 last_io;
	int			 attempts;
	const struct target_rt	*tried[MAX_TRIES];
	unsigned		 head_done:1;
	unsigned		 recv_paused:1;
	unsigned		 send_waiting:1;
	unsigned		 finished:1;
};

static void	start_attempt(struct xfer *x);
static void	timer_fire(struct gw_timer *tm);

/*
 * Active health checks: every interval each worker asks each target of an
 * upstream with a health_check for its path; fall failures in a row mark
 * it down (no request goes to it), rise successes bring it back.  Workers
 * check on their own, so a target's state is each worker's; the gauge
 * gw_upstream_target_up counts the workers that see it up.
 */
static void	probe_start(struct gw_timer *tm);

static void
probe_result(struct target_rt *t, int ok, const char *why)
{
	const struct gw_cfg_health *h = &t->up->health;

	if (ok) {
		t->run_fail = 0;
		if (t->down && ++t->run_ok >= h->rise) {
			t->down = 0;
			t->fails = 0;
			t->ejected_until = 0;
			gw_gauge_add(t->g_up, t->slot, 1);
			gw_log_info("upstream '%s': target %s is up again (health "
			    "check)", t->up->name, t->cfg->url);
		}
	} else {
		t->run_ok = 0;
		if (!t->down && ++t->run_fail >= h->fall) {
			t->down = 1;
			gw_gauge_add(t->g_up, t->slot, -1);
			gw_log_warnx("upstream '%s': target %s is down (health "
			    "check: %s)", t->up->name, t->cfg->url, why);
		}
	}
}

static int
probe_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t len)
{
	struct target_rt *t = arg;

	(void)h;
	(void)nh;
	(void)len;
	t->probe_status = status;
	return 0;
}

static int
probe_body(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return 0;
}

static ssize_t
probe_read(void *arg, char *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return 0;
}

static void
probe_done(void *arg, enum gw_client_status st, const char *msg)
{
	struct target_rt		*t = arg;
	const struct gw_cfg_health	*h = &t->up->health;
	char				 why[64];
	int				 ok;

	t->probe = NULL;
	ok = st == GW_CLIENT_OK && (h->expect_status != 0 ?
	    t->probe_status == h->expect_status :
	    t->probe_status / 100 == 2);
	if (st != GW_CLIENT_OK)
		(void)snprintf(why, sizeof(why), "%s", msg != NULL ? msg :
		    gw_client_status_str(st));
	else
		(void)snprintf(why, sizeof(why), "status %d", t->probe_status);
	probe_result(t, ok, why);
	gw_timer_start(t->px->loop, &t->probe_timer,
	    (uint64_t)h->interval_ms * 1000, probe_start, t);
}

static const struct gw_client_cbs probe_cbs = {
	.head = probe_head,
	.body = probe_body,
	.read = probe_read,
	.done = probe_done,
};

static void
probe_timeout(struct gw_timer *tm)
{
	struct target_rt *t = tm->arg;

	if (t->probe == NULL)
		return;
	gw_client_cancel(t->probe);
	t->probe = NULL;
	probe_result(t, 0, "timeout");
	gw_timer_start(t->px->loop, &t->probe_timer,
	    (uint64_t)t->up->health.interval_ms * 1000, probe_start, t);
}

static void
probe_start(struct gw_timer *tm)
{
	struct target_rt		*t = tm->arg;
	const struct gw_cfg_health	*h = &t->up->health;
	struct gw_client_request	 rq;
	struct gw_http_header		 hd[2];
	struct gw_err			 err;

	memset(&rq, 0, sizeof(rq));
	hd[0].name = GW_STR("Host");
	hd[0].value = t->cfg->ct.hostport;
	hd[1].name = GW_STR("User-Agent");
	hd[1].value = GW_STR("gw-serve health check");
	rq.method = GW_STR("GET");
	rq.target = gw_str_cstr(h->path);
	rq.headers = hd;
	rq.nheaders = 2;
	rq.connect_timeout_ms = h->timeout_ms;
	t->probe_status = 0;
	if ((t->probe = gw_client_start(t->pool, &rq, &probe_cbs, t,
	    &err)) == NULL) {
		probe_result(t, 0, err.msg);
		gw_timer_start(t->px->loop, &t->probe_timer,
		    (uint64_t)h->interval_ms * 1000, probe_start, t);
		return;
	}
	/* the same timer bounds the probe, then spaces the next one */
	gw_timer_start(t->px->loop, &t->probe_timer,
	    (uint64_t)h->timeout_ms * 1000, probe_timeout, t);
}

/* Start the checks: spread over the first interval, not all at once. */
static void
probes_begin(struct gw_proxy *px)
{
	uint64_t k = 0;

	for (size_t i = 0; i < px->npools; i++) {
		const struct gw_cfg_upstream *u = px->pools[i].cfg;

		if (!u->health.enabled)
			continue;
		for (size_t j = 0; j < px->pools[i].ntargets; j++) {
			struct target_rt *t = &px->pools[i].targets[j];

			t->px = px;
			t->up = u;
			gw_timer_start(px->loop, &t->probe_timer,
			    ((uint64_t)getpid() * 7919 + k++ * 104729) %
			    ((uint64_t)u->health.interval_ms * 1000 + 1),
			    probe_start, t);
		}
	}
}

static void
probes_end(struct gw_proxy *px)
{
	for (size_t i = 0; i < px->npools; i++)
		for (size_t j = 0; j < px->pools[i].ntargets; j++) {
			struct target_rt *t = &px->pools[i].targets[j];

			gw_timer_stop(&t->probe_timer);
			if (t->probe != NULL) {
				gw_client_cancel(t->probe);
				t->probe = NULL;
			}
		}
}

/* Pools and targets. */

struct gw_proxy *
gw_proxy_new(struct gw_server *srv, struct gw_err *err)
{
	const struct gw_cfg	*cfg = gw_server_cfg(srv);
	struct gw_proxy		*px;

	if ((px = calloc(1, sizeof(*px))) == NULL)
		goto nomem;
	px->srv = srv;
	px->loop = gw_server_loop(srv);
	if ((px->client = gw_client_new(px->loop, err)) == NULL)
		goto fail;
	if (cfg->nupstreams > 0 &&
	    (px->pools = calloc(cfg->nupstreams, sizeof(*px->pools))) == NULL)
		goto nomem;
	px->npools = cfg->nupstreams;
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct gw_cfg_upstream	*u = &cfg->upstreams[i];
		struct pool			*p = &px->pools[i];

		p->cfg = u;
		if ((p->targets = calloc(u->ntargets,
		    sizeof(*p->targets))) == NULL)
			goto nomem;
		p->ntargets = u->ntargets;
		for (size_t j = 0; j < u->ntargets; j++) {
			p->targets[j].cfg = &u->targets[j];
			if ((p->targets[j].pool = gw_client_pool_new(px->client,
			    &u->targets[j].ct, err)) == NULL)
				goto fail;
		}
	}
	probes_begin(px);
	return px;
 nomem:
	gw_err_set(err, GW_E_NOMEM, "out of memory");
 fail:
	gw_proxy_free(px);
	return NULL;
}

void
gw_proxy_free(struct gw_proxy *px)
{
	if (px == NULL)
		return;
	probes_end(px);
	/* the client frees its pools (and cancels what still runs) */
	gw_client_free(px->client);
	for (size_t i = 0; i < px->npools; i++)
		free(px->pools[i].targets);
	free(px->pools);
	free(px);
}

int
gw_proxy_target_state(const struct gw_proxy *px, size_t upstream,
    size_t target, struct gw_proxy_target_state *out)
{
	const struct target_rt *t;

	if (upstream >= px->npools || target >= px->pools[upstream].ntargets)
		return -1;
	t = &px->pools[upstream].targets[target];
	out->active = t->active;
	out->fails = t->fails;
	out->ejected = t->ejected_until > gw_loop_now(px->loop);
	out->requests = t->requests;
	return 0;
}

static const char *const outcome_names[NOUTCOMES] = {
	"ok", "connect_failed", "connect_timeout", "reset", "bad_response",
	"truncated", "aborted", "timeout"
};

int
gw_proxy_metrics_init(struct gw_metrics *m)
{
	return gw_metrics_family(m, "gw_upstream_requests_total",
	    GW_METRIC_COUNTER, "Exchanges with upstream targets, by upstream, "
	    "target and outcome.") |
	    gw_metrics_family(m, "gw_upstream_duration_seconds",
	    GW_METRIC_HISTOGRAM, "Time from sending a request to the "
	    "upstream's response head, by upstream and target.") |
	    gw_metrics_family(m, "gw_upstream_ejections_total",
	    GW_METRIC_COUNTER, "Times a target was ejected after failures in "
	    "a row, by upstream and target.") |
	    gw_metrics_family(m, "gw_upstream_target_up", GW_METRIC_GAUGE,
	    "Workers whose health checks see the target up, by upstream and "
	    "target (targets with a health_check only).");
}

int
gw_proxy_set_metrics(struct gw_proxy *px, struct gw_metrics *m, int slot)
{
	for (size_t i = 0; i < px->npools; i++)
		for (size_t j = 0; j < px->pools[i].ntargets; j++) {
			struct target_rt	*t = &px->pools[i].targets[j];
			char			 lab[512], u[128], tg[256];

			gw_metrics_label(px->pools[i].cfg->name, u, sizeof(u));
			gw_metrics_label(t->cfg->url, tg, sizeof(tg));
			(void)snprintf(lab, sizeof(lab),
			    "upstream=\"%s\",target=\"%s\"", u, tg);
			t->dur = gw_metrics_histogram(m,
			    "gw_upstream_duration_seconds", lab);
			t->ejections = gw_metrics_counter(m,
			    "gw_upstream_ejections_total", lab);
			if (px->pools[i].cfg->health.enabled) {
				t->g_up = gw_metrics_gauge(m,
				    "gw_upstream_target_up", lab);
				t->slot = slot;
				gw_gauge_add(t->g_up, slot, t->down ? 0 : 1);
			}
			for (int k = 0; k < NOUTCOMES; k++) {
				char full[600];

				if (k == GW_CLIENT_ERROR)
					continue;
				(void)snprintf(full, sizeof(full),
				    "%s,outcome=\"%s\"", lab,
				    outcome_names[k]);
				t->outcome[k] = gw_metrics_counter(m,
				    "gw_upstream_requests_total", full);
			}
		}
	return 0;
}

int
gw_proxy_write_state(const struct gw_proxy *px, struct gw_buf *b)
{
	uint64_t now = gw_loop_now(px->loop);

	if (gw_buf_putc(b, '{', NULL) == -1)
		return -1;
	for (size_t i = 0; i < px->npools; i++) {
		const struct pool *p = &px->pools[i];

		if (gw_buf_printf(b, NULL, "%s\"", i > 0 ? "," : "") == -1 ||
		    gw_json_escape_append(b, p->cfg->name,
		    strlen(p->cfg->name), NULL) == -1 ||
		    gw_buf_puts(b, "\":[", NULL) == -1)
			return -1;
		for (size_t j = 0; j < p->ntargets; j++) {
			const struct target_rt *t = &p->targets[j];

			if (gw_buf_printf(b, NULL, "%s{\"target\":\"",
			    j > 0 ? "," : "") == -1 ||
			    gw_json_escape_append(b, t->cfg->url,
			    strlen(t->cfg->url), NULL) == -1 ||
			    gw_buf_printf(b, NULL, "\",\"ejected\":%s,"
			    "\"healthy\":%s,\"failures\":%u,\"active\":%u}",
			    t->ejected_until > now ? "true" : "false",
			    t->down ? "false" : "true", t->fails,
			    t->active) == -1)
				return -1;
		}
		if (gw_buf_putc(b, ']', NULL) == -1)
			return -1;
	}
	return gw_buf_putc(b, '}', NULL);
}

static int
tried(const struct xfer *x, const struct target_rt *t)
{
	for (int i = 0; i < x->attempts && i < MAX_TRIES; i++)
		if (x->tried[i] == t)
			return 1;
	return 0;
}

/*
 * Healthy targets not tried yet for this request, by the pool's balance;
 * when every target is cooling down, the one whose cool-down ends first
 * (a pool that looks dead is tried rather than refused).
 */
static struct target_rt *
pick_target(struct xfer *x)
{
	struct pool		*p = x->pool;
	uint64_t		 now = gw_loop_now(x->px->loop);
	struct target_rt	*best = NULL, *soonest = NULL;

	for (size_t k = 0; k < p->ntargets; k++) {
		struct target_rt *t = &p->targets[(p->rr + k) % p->ntargets];

		if (soonest == NULL || t->ejected_until < soonest->ejected_until)
			soonest = t;
		if (t->ejected_until > now || t->down || tried(x, t))
			continue;
		if (best == NULL) {
			best = t;
			if (p->cfg->balance == GW_BALANCE_ROUND_ROBIN)
				break;
		} else if (t->active < best->active)
			best = t;
	}
	if (best == NULL) {
		for (size_t i = 0; i < p->ntargets && best == NULL; i++)
			if (!tried(x, &p->targets[i]) && !p->targets[i].down &&
			    p->targets[i].ejected_until <= now)
				best = &p->targets[i];
		if (best == NULL)
			best = soonest;
	}
	p->rr = (size_t)(best - p->targets + 1) % p->ntargets;
	return best;
}

static void
target_failed(struct xfer *x, struct target_rt *t)
{
	const struct gw_cfg_upstream	*u = x->pool->cfg;
	uint64_t			 now = gw_loop_now(x->px->loop);

	t->fails++;
	if (u->max_fails > 0 && t->fails >= u->max_fails &&
	    t->ejected_until <= now) {
		t->ejected_until = now + (uint64_t)u->fail_timeout_ms * 1000;
		gw_counter_add(t->ejections, 1);
		gw_log_warnx("upstream '%s': target %s ejected for %u ms after "
		    "%u failures in a row", u->name, t->cfg->url,
		    u->fail_timeout_ms, t->fails);
	}
}

/* The request going up. */

/*
 * 1 if name is one of the fields a proxy sets itself or never passes.  The
 * switch on the length only spares compares: every length also asks
 * whether the name is hop-by-hop (transfer-encoding has 17 bytes, as
 * x-forwarded-proto; proxy-connection 16, as x-forwarded-host).
 */
static int
replaced_field(struct gw_str n)
{
	int own;

	switch (n.len) {
	case 4:
		own = gw_str_caseeq_cstr(n, "host");
		break;
	case 6:
		own = gw_str_caseeq_cstr(n, "expect");
		break;
	case 11:
		own = gw_str_caseeq_cstr(n, "traceparent");
		break;
	case 12:
		own = gw_str_caseeq_cstr(n, "x-request-id");
		break;
	case 14:
		own = gw_str_caseeq_cstr(n, "content-length");
		break;
	case 16:
		own = gw_str_caseeq_cstr(n, "x-forwarded-host");
		break;
	case 17:
		own = gw_str_caseeq_cstr(n, "x-forwarded-proto");
		break;
	default:
		own = 0;
		break;
	}
	return own || gw_http_is_hop_by_hop(n);
}

/* 1 if a Connection field value lists name (then it is hop-by-hop). */
static int
listed_in(const struct gw_str *conn, size_t nconn, struct gw_str name)
{
	char tok[64];

	if (nconn == 0 || gw_str_copy(tok, sizeof(tok), name) == -1)
		return 0;
	for (size_t i = 0; i < nconn; i++)
		if (gw_str_list_has(conn[i], tok))
			return 1;
	return 0;
}

/* a + sep + b in the arena, as a slice. */
static int
join(struct gw_arena *a, struct gw_str x, const char *sep, struct gw_str y,
    struct gw_str *out)
{
	size_t	 sl = strlen(sep), n = x.len + sl + y.len;
	char	*p;

	if ((p = gw_arena_alloc(a, n + 1)) == NULL)
		return -1;
	memcpy(p, x.p, x.len);
	memcpy(p + x.len, sep, sl);
	memcpy(p + x.len + sl, y.p, y.len);
	p[n] = '\0';
	*out = gw_str_make(p, n);
	return 0;
}

static int
build_headers(struct xfer *x)
{
	struct gw_req			*req = x->req;
	const struct gw_http_head	*h = gw_req_head(req);
	struct gw_arena			*a = gw_req_arena(req);
	struct gw_http_header		*out;
	struct gw_str			 xff = GW_STR_NULL, via = GW_STR_NULL;
	struct gw_str			 conn[4], client, me;
	size_t				 n = 0, nconn = 0;
	char				*tp;

	for (size_t i = 0; i < h->nheaders && nconn < GW_ARRAY_LEN(conn); i++)
		if (h->headers[i].name.len == 10 &&
		    gw_str_caseeq_cstr(h->headers[i].name, "connection"))
			conn[nconn++] = h->headers[i].value;
	if ((out = gw_arena_alloc(a, (h->nheaders + 9) * sizeof(*out))) ==
	    NULL)
		return -1;
	for (size_t i = 0; i < h->nheaders; i++) {
		struct gw_str nm = h->headers[i].name;

		if (nm.len == 15 && gw_str_caseeq_cstr(nm, "x-forwarded-for")) {
			xff = h->headers[i].value;
			continue;
		}
		if (nm.len == 3 && gw_str_caseeq_cstr(nm, "via")) {
			via = h->headers[i].value;
			continue;
		}
		if (replaced_field(nm) || listed_in(conn, nconn, nm))
			continue;
		out[n++] = h->headers[i];
	}
	out[n].name = GW_STR("Host");
	out[n++].value = x->pool->cfg->preserve_host && h->host.len > 0 ?
	    h->host : x->target->cfg->ct.hostport;
	client = gw_str_cstr(gw_req_client(req));
	out[n].name = GW_STR("X-Forwarded-For");
	if (xff.len == 0)
		out[n++].value = client;
	else if (join(a, xff, ", ", client, &out[n++].value) == -1)
		return -1;
	out[n].name = GW_STR("X-Forwarded-Proto");
	out[n++].value = gw_req_is_tls(req) ? GW_STR("https") : GW_STR("http");
	if (h->host.len > 0) {
		out[n].name = GW_STR("X-Forwarded-Host");
		out[n++].value = h->host;
	}
	out[n].name = GW_STR("X-Request-Id");
	out[n++].value = gw_str_cstr(gw_req_id(req));
	/* a new span for this hop, in the caller's trace (or a new one) */
	if ((tp = gw_arena_alloc(a, 56)) == NULL)
		return -1;
	gw_req_traceparent(req, tp);
	out[n].name = GW_STR("traceparent");
	out[n++].value = gw_str_make(tp, 55);
	me = h->version == 10 ? GW_STR("1.0 gw") : GW_STR("1.1 gw");
	out[n].name = GW_STR("Via");
	if (via.len == 0)
		out[n++].value = me;
	else if (join(a, via, ", ", me, &out[n++].value) == -1)
		return -1;
	x->rq.headers = out;
	x->rq.nheaders = n;
	return 0;
}

/* The request target going up: normalized, maybe stripped or rewritten. */
static int
build_target(struct xfer *x)
{
	struct gw_req			*req = x->req;
	const struct gw_http_head	*h = gw_req_head(req);
	const struct gw_route_match	*m = gw_req_match(req);
	struct gw_str			 path = gw_req_path(req);
	struct gw_buf			 b;
	char				*t;

	gw_buf_init(&b, GW_MAX_URI_BYTES * 2);
	if (x->conf->path != NULL) {
		/* "/items/{id}": parameters by name */
		for (const char *p = x->conf->path; *p != '\0'; p++) {
			const char *e;

			if (*p == '{' && (e = strchr(p, '}')) != NULL) {
				char name[65];

				(void)snprintf(name, sizeof(name), "%.*s",
				    (int)(e - p - 1), p + 1);
				if (gw_buf_append_str(&b, gw_req_param(req,
				    name), NULL) == -1)
					goto fail;
				p = e;
			} else if (gw_buf_putc(&b, *p, NULL) == -1)
				goto fail;
		}
		if (x->conf->strip_prefix && m->prefix_len < path.len &&
		    gw_buf_append(&b, path.p + m->prefix_len,
		    path.len - m->prefix_len, NULL) == -1)
			goto fail;
	} else if (x->conf->strip_prefix) {
		struct gw_str rest = gw_str_make(path.p + m->prefix_len,
		    path.len - m->prefix_len);

		if ((rest.len == 0 || rest.p[0] != '/') &&
		    gw_buf_putc(&b, '/', NULL) == -1)
			goto fail;
		if (gw_buf_append_str(&b, rest, NULL) == -1)
			goto fail;
	} else if (gw_buf_append_str(&b, path, NULL) == -1)
		goto fail;
	if (h->query.len > 0 && (gw_buf_putc(&b, '?', NULL) == -1 ||
	    gw_buf_append_str(&b, h->query, NULL) == -1))
		goto fail;
	if ((t = gw_arena_strndup(gw_req_arena(req), b.p, b.len)) == NULL)
		goto fail;
	x->rq.target = gw_str_make(t, b.len);
	gw_buf_release(&b);
	return 0;
 fail:
	gw_buf_release(&b);
	return -1;
}

/* Ending. */

static void
xfer_release(struct xfer *x)
{
	gw_timer_stop(&x->timer);
	if (x->xchg != NULL) {
		gw_client_cancel(x->xchg);
		x->xchg = NULL;
	}
	if (x->target != NULL) {
		x->target->active--;
		x->target = NULL;
	}
}

static void
fail(struct xfer *x, int status, const char *slug, const char *detail)
{
	struct gw_req *req = x->req;

	x->finished = 1;
	xfer_release(x);
	if (gw_resp_started(req))
		gw_resp_abort(req);
	else
		gw_resp_problem(req, status, slug, detail);
}

/* Exchange callbacks. */

static int
cb_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t clen)
{
	struct xfer		*x = arg;
	struct gw_req		*req = x->req;
	struct gw_arena		*a = gw_req_arena(req);
	struct gw_http_header	*out;
	struct gw_str		 conn = GW_STR_NULL, via = GW_STR_NULL;
	size_t			 n = 0;

	for (size_t i = 0; i < nh; i++)
		if (gw_str_caseeq_cstr(h[i].name, "connection"))
			conn = h[i].value;
	if ((out = gw_arena_alloc(a, (nh + 1) * sizeof(*out))) == NULL)
		return -1;
	for (size_t i = 0; i < nh; i++) {
		struct gw_str	nm = h[i].name;

		if (gw_str_caseeq_cstr(nm, "via")) {
			via = h[i].value;
			continue;
		}
		if (gw_http_is_hop_by_hop(nm) ||
		    (nm.len == 14 && gw_str_caseeq_cstr(nm, "content-length")) ||
		    listed_in(&conn, conn.len > 0, nm))
			continue;
		/* gw_resp_start() copies them out before returning */
		out[n++] = h[i];
	}
	out[n].name = GW_STR("Via");
	if (via.len == 0)
		out[n++].value = GW_STR("1.1 gw");
	else if (join(a, via, ", ", GW_STR("1.1 gw"), &out[n++].value) == -1)
		return -1;
	x->head_done = 1;
	x->target->fails = 0;
	x->target->ejected_until = 0;
	x->last_io = gw_loop_now(x->px->loop);
	gw_req_set_upstream(req, x->target->cfg->url,
	    x->last_io - x->t_start);
	gw_histo_observe(x->target->dur, x->last_io - x->t_start);
	/* from here the idle timeout watches the body */
	gw_timer_start(x->px->loop, &x->timer,
	    (uint64_t)x->pool->cfg->idle_timeout_ms * 1000, timer_fire, x);
	return gw_resp_start(req, status, out, n, clen);
}

static void
on_writable(struct gw_req *req, void *arg)
{
	struct xfer *x = arg;

	(void)req;
	if (!x->recv_paused || x->xchg == NULL)
		return;
	x->recv_paused = 0;
	x->last_io = gw_loop_now(x->px->loop);
	gw_client_resume_recv(x->xchg);
}

static int
cb_body(void *arg, const char *p, size_t len)
{
	struct xfer *x = arg;

	x->last_io = gw_loop_now(x->px->loop);
	switch (gw_resp_write(x->req, p, len)) {
	case 0:
		return 0;
	case 1:
		x->recv_paused = 1;
		gw_resp_notify_writable(x->req, on_writable, x);
		return 1;
	default:
		return -1;
	}
}

static void
on_client_body(struct gw_req *req, void *arg)
{
	struct xfer *x = arg;

	(void)req;
	if (!x->send_waiting || x->xchg == NULL)
		return;
	x->send_waiting = 0;
	gw_client_resume_send(x->xchg);
}

static ssize_t
cb_read(void *arg, char *buf, size_t len)
{
	struct xfer	*x = arg;
	struct gw_str	 s = gw_req_body_peek(x->req);

	if (s.len == 0) {
		if (gw_req_body_complete(x->req))
			return 0;
		x->send_waiting = 1;
		return GW_CLIENT_WAIT;
	}
	if (len > s.len)
		len = s.len;
	memcpy(buf, s.p, len);
	gw_req_body_consume(x->req, len);
	x->last_io = gw_loop_now(x->px->loop);
	return (ssize_t)len;
}

static int
is_idempotent(int method)
{
	return method == HTTP_GET || method == HTTP_HEAD ||
	    method == HTTP_OPTIONS || method == HTTP_PUT ||
	    method == HTTP_DELETE || method == HTTP_TRACE;
}

static void
cb_done(void *arg, enum gw_client_status st, const char *msg)
{
	struct xfer		*x = arg;
	struct gw_req		*req = x->req;
	struct target_rt	*t = x->target;
	int			 nothing_sent;
	char			 detail[256];

	x->xchg = NULL;
	if ((int)st < NOUTCOMES)
		gw_counter_add(t->outcome[st], 1);
	if (st == GW_CLIENT_OK) {
		x->finished = 1;
		xfer_release(x);
		gw_resp_end(req);
		return;
	}
	nothing_sent = st == GW_CLIENT_CONNECT_FAILED ||
	    st == GW_CLIENT_CONNECT_TIMEOUT;
	if (st != GW_CLIENT_ABORTED)
		target_failed(x, t);
	gw_log_info("request %s: upstream %s: %s%s%s", gw_req_id(req),
	    t->cfg->url, gw_client_status_str(st), msg != NULL ? ": " : "",
	    msg != NULL ? msg : "");
	/* a request that reached no upstream can go to another one */
	if (nothing_sent && !x->head_done &&
	    (is_idempotent(gw_req_head(req)->method_id) ||
	    !gw_req_has_body(req)) &&
	    (uint32_t)x->attempts <= x->pool->cfg->retries &&
	    x->attempts < MAX_TRIES) {
		gw_timer_stop(&x->timer);
		t->active--;
		x->target = NULL;
		start_attempt(x);
		return;
	}
	(void)snprintf(detail, sizeof(detail), "upstream %s: %s", t->cfg->url,
	    gw_client_status_str(st));
	if (st == GW_CLIENT_CONNECT_TIMEOUT)
		fail(x, 504, "gateway-timeout", detail);
	else
		fail(x, 502, "bad-gateway", detail);
}

static const struct gw_client_cbs cbs = {
	.head = cb_head,
	.body = cb_body,
	.read = cb_read,
	.done = cb_done,
};

/* Timeouts: the response head, then idleness of the body. */
static void
timer_fire(struct gw_timer *tm)
{
	struct xfer			*x = tm->arg;
	const struct gw_cfg_upstream	*u = x->pool->cfg;
	uint64_t			 now = gw_loop_now(x->px->loop), idle;

	if (!x->head_done) {
		gw_counter_add(x->target->outcome[OUTCOME_TIMEOUT], 1);
		gw_log_info("request %s: upstream %s: no response in %u ms",
		    gw_req_id(x->req), x->target->cfg->url, u->timeout_ms);
		target_failed(x, x->target);
		fail(x, 504, "gateway-timeout",
		    "the upstream did not answer in time");
		return;
	}
	idle = (uint64_t)u->idle_timeout_ms * 1000;
	if (x->recv_paused || now - x->last_io < idle) {
		/* waiting on the client is not the upstream's fault */
		gw_timer_start(x->px->loop, &x->timer, x->recv_paused ? idle :
		    idle - (now - x->last_io), timer_fire, x);
		return;
	}
	gw_log_info("request %s: upstream %s sent nothing for %u ms",
	    gw_req_id(x->req), x->target->cfg->url, u->idle_timeout_ms);
	fail(x, 504, "gateway-timeout", NULL);
}

static void
on_abort(struct gw_req *req, void *arg)
{
	struct xfer *x = arg;

	(void)req;
	if (x->finished)
		return;
	x->finished = 1;
	xfer_release(x);
}

static void
start_attempt(struct xfer *x)
{
	struct gw_proxy	*px = x->px;
	struct gw_err	 err;

	x->target = pick_target(x);
	x->target->active++;
	x->target->requests++;
	if (x->attempts < MAX_TRIES)
		x->tried[x->attempts] = x->target;
	x->attempts++;
	x->head_done = 0;
	x->recv_paused = x->send_waiting = 0;
	x->t_start = x->last_io = gw_loop_now(px->loop);
	if (build_headers(x) == -1) {
		fail(x, 500, "internal", "out of memory");
		return;
	}
	if ((x->xchg = gw_client_start(x->target->pool, &x->rq, &cbs, x,
	    &err)) == NULL) {
		gw_log_warnx("request %s: %s", gw_req_id(x->req), err.msg);
		fail(x, 502, "bad-gateway", "cannot start the upstream request");
		return;
	}
	gw_timer_start(px->loop, &x->timer,
	    (uint64_t)x->pool->cfg->timeout_ms * 1000, timer_fire, x);
}

void
gw_proxy_handle(struct gw_req *req, const struct gw_cfg_proxy *conf)
{
	struct gw_proxy			*px = gw_server_proxy(gw_req_server(req));
	const struct gw_http_head	*h = gw_req_head(req);
	struct xfer			*x;

	if ((x = gw_arena_calloc(gw_req_arena(req), 1, sizeof(*x))) == NULL) {
		gw_resp_problem(req, 500, "internal", "out of memory");
		return;
	}
	x->px = px;
	x->req = req;
	x->conf = conf;
	x->pool = &px->pools[conf->upstream];
	x->rq.method = h->method;
	x->rq.body_len = gw_req_body_length(req);
	x->rq.head = h->method_id == HTTP_HEAD;
	x->rq.connect_timeout_ms = x->pool->cfg->connect_timeout_ms;
	if (build_target(x) == -1) {
		gw_resp_problem(req, 500, "internal", "out of memory");
		return;
	}
	gw_req_on_abort(req, on_abort, x);
	if (gw_req_has_body(req))
		gw_req_body_notify(req, on_client_body, x);
	start_attempt(x);
}
