/*
 * orch.c: scripts as objects, the graph's description, and the gateway's
 * "orchestrate" route handler.
 *
 * In gw-serve each worker keeps one environment (orch.h) per server, made
 * on its first composition: the outgoing client and its keep-alive pools
 * outlive requests, and gw_orch_server_free() lets them go with the server.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "loop.h"
#include "orch-int.h"
#include "orch.h"
#include "route.h"
#include "server.h"

void
orch_jdoc_free(void *d)
{
	gw_jdoc_free(d);
}

void
orch_tape_free(void *t)
{
	gw_orch_tape_free(t);
}

void
gw_orch_free(struct gw_orch *o)
{
	if (o == NULL)
		return;
	gw_arena_free(o->arena);
	gw_jdoc_free(o->doc);
	gw_orch_tape_free(o->replay);
	free(o->origin);
	free(o);
}

const char *
gw_orch_origin(const struct gw_orch *o)
{
	return o->origin;
}

/* The graph. */

static const char *
step_notes(const struct orch_step *st, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%s%s%s%s",
	    st->foreach.nparts > 0 ? ", foreach" : "",
	    st->when != NULL ? ", when" : "",
	    st->optional ? ", optional" : "",
	    st->retries > 0 ? ", retries" : "");
	return buf[0] != '\0' ? buf + 2 : buf;
}

int
gw_orch_describe(const struct gw_orch *o, int dot, struct gw_buf *out,
    struct gw_err *err)
{
	size_t	*wave;
	char	 notes[64];
	int	 rc = -1;

	if ((wave = calloc(o->nsteps + 1, sizeof(*wave))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	/* a step's wave: one more than the latest of what it waits for */
	for (size_t pass = 0; pass < o->nsteps; pass++)
		for (size_t i = 0; i < o->nsteps; i++) {
			size_t w = 1;

			for (size_t k = 0; k < o->steps[i].ndeps; k++)
				w = GW_MAX(w, wave[o->steps[i].deps[k]] + 1);
			wave[i] = w;
		}
	if (dot) {
		if (gw_buf_puts(out, "digraph orchestration {\n"
		    "\trankdir=LR;\n", err) == -1)
			goto out;
		for (size_t i = 0; i < o->nsteps; i++) {
			const struct orch_step *st = &o->steps[i];
			const char *n = step_notes(st, notes, sizeof(notes));

			if (gw_buf_printf(out, err, "\t\"%s\" [label=\"%s\\n%s"
			    "%s%s\"%s];\n", st->name, st->name, st->method,
			    n[0] != '\0' ? "\\n" : "", n, st->optional ?
			    " style=dashed" : "") == -1)
				goto out;
		}
		if (gw_buf_puts(out, "\t\"(response)\" [shape=box];\n", err) ==
		    -1)
			goto out;
		for (size_t i = 0; i < o->nsteps; i++)
			for (size_t k = 0; k < o->steps[i].ndeps; k++)
				if (gw_buf_printf(out, err, "\t\"%s\" -> "
				    "\"%s\";\n", o->steps[o->steps[i].deps[k]]
				    .name, o->steps[i].name) == -1)
					goto out;
		for (size_t k = 0; k < o->resp.ndeps; k++)
			if (gw_buf_printf(out, err, "\t\"%s\" -> "
			    "\"(response)\";\n", o->steps[o->resp.deps[k]]
			    .name) == -1)
				goto out;
		if (gw_buf_puts(out, "}\n", err) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < o->nsteps; i++) {
		const struct orch_step	*st = &o->steps[i];
		const char		*n;

		n = step_notes(st, notes, sizeof(notes));
		if (gw_buf_printf(out, err, "%zu %s", wave[i], st->name) == -1)
			goto out;
		for (size_t k = 0; k < st->ndeps; k++)
			if (gw_buf_printf(out, err, "%s%s", k == 0 ? " <- " :
			    ", ", o->steps[st->deps[k]].name) == -1)
				goto out;
		if (n[0] != '\0' && gw_buf_printf(out, err, " (%s)", n) == -1)
			goto out;
		if (gw_buf_putc(out, '\n', err) == -1)
			goto out;
	}
	if (gw_buf_puts(out, "response", err) == -1)
		goto out;
	for (size_t k = 0; k < o->resp.ndeps; k++)
		if (gw_buf_printf(out, err, "%s%s", k == 0 ? " <- " : ", ",
		    o->steps[o->resp.deps[k]].name) == -1)
			goto out;
	if (gw_buf_putc(out, '\n', err) == -1)
		goto out;
	rc = 0;
 out:
	free(wave);
	return rc;
}

/* The route block of gw.conf(5). */

int
gw_orch_load(struct gw_jcheck *ck, const struct json_object *route,
    const char *key, const struct json_object *v, struct gw_orch **out)
{
	static const char *const keys[] = { "script", "replay", NULL };
	const struct json_object	*sv = v, *rv = NULL;
	const struct json_object	*sparent = route, *rparent = NULL;
	const char			*skey = key, *name, *p, *nl;
	struct gw_orch			*o = NULL;
	struct gw_orch_tape		*tape = NULL;
	struct gw_buf			 report;
	struct gw_err			 err;
	struct json_object		*m;
	char				*path = NULL;
	size_t				 old = 0;
	int				 rc = -1, pushed = 0;

	*out = NULL;
	gw_buf_init(&report, 0);
	if (gw_jv_type(v) == GW_JT_OBJECT) {
		if (gw_jcheck_object(ck, route, key, v, keys) == -1)
			goto out;
		if (!gw_jv_get(v, "script", &m)) {
			gw_jcheck_error(ck, route, key, v, "\"orchestrate\" "
			    "needs \"script\"");
			goto out;
		}
		sv = m;
		sparent = v;
		skey = "script";
		old = gw_jcheck_push_key(ck, "script");
		pushed = 1;
		if (gw_jv_get(v, "replay", &m)) {
			rv = m;
			rparent = v;
		}
	}
	if ((name = gw_jv_str(sv, NULL)) == NULL || *name == '\0') {
		gw_jcheck_error(ck, sparent, skey, sv, "expected the file name "
		    "of a script, or an object with \"script\"");
		goto out;
	}
	if ((path = gw_jcheck_resolve(ck, name)) == NULL) {
		gw_jcheck_error(ck, sparent, skey, sv, "file name too long");
		goto out;
	}
	if (gw_orch_load_file(path, 0, &o, &report, &err) == -1) {
		if (err.code != GW_E_CONFIG || report.len == 0)
			gw_jcheck_error(ck, sparent, skey, sv, "%s", err.msg);
		else
			for (p = report.p; p < report.p + report.len;
			    p = nl + 1) {
				if ((nl = memchr(p, '\n', (size_t)(report.p +
				    report.len - p))) == NULL)
					nl = report.p + report.len;
				gw_jcheck_error(ck, sparent, skey, sv, "%.*s",
				    (int)(nl - p), p);
			}
		goto out;
	}
	if (pushed) {
		gw_jcheck_pop(ck, old);
		pushed = 0;
	}
	if (rv != NULL) {
		char *dir;

		old = gw_jcheck_push_key(ck, "replay");
		pushed = 1;
		if ((name = gw_jv_str(rv, NULL)) == NULL || *name == '\0') {
			gw_jcheck_error(ck, rparent, "replay", rv, "expected "
			    "the name of a directory of recordings");
			goto out;
		}
		if ((dir = gw_jcheck_resolve(ck, name)) == NULL) {
			gw_jcheck_error(ck, rparent, "replay", rv, "directory "
			    "name too long");
			goto out;
		}
		if (gw_orch_tape_load(dir, &tape, &err) == -1) {
			gw_jcheck_error(ck, rparent, "replay", rv, "%s",
			    err.msg);
			free(dir);
			goto out;
		}
		free(dir);
		o->replay = tape;
		tape = NULL;
	}
	*out = o;
	o = NULL;
	rc = 0;
 out:
	if (pushed)
		gw_jcheck_pop(ck, old);
	gw_orch_tape_free(tape);
	gw_orch_free(o);
	free(path);
	gw_buf_release(&report);
	return rc;
}

/* The route handler. */

struct srvenv {
	struct gw_server	*srv;
	struct gw_orch_env	*env;
	struct srvenv		*next;
};

static struct srvenv	*srvenvs;

static struct gw_orch_env *
server_env(struct gw_server *srv, struct gw_err *err)
{
	struct srvenv *e;

	for (e = srvenvs; e != NULL; e = e->next)
		if (e->srv == srv)
			return e->env;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((e->env = gw_orch_env_new(gw_server_loop(srv), err)) == NULL) {
		free(e);
		return NULL;
	}
	e->srv = srv;
	e->next = srvenvs;
	srvenvs = e;
	return e->env;
}

void
gw_orch_server_free(struct gw_server *srv)
{
	struct srvenv **pp, *e;

	for (pp = &srvenvs; (e = *pp) != NULL; pp = &e->next)
		if (e->srv == srv) {
			*pp = e->next;
			gw_orch_env_free(e->env);
			free(e);
			return;
		}
}

struct handle {
	struct gw_req		*req;
	const struct gw_orch	*o;
	struct gw_orch_run	*run;
	uint64_t		 t0;
	int			 aborted;
};

static void
h_abort(struct gw_req *req, void *arg)
{
	struct handle *h = arg;

	(void)req;
	h->aborted = 1;
	gw_orch_run_free(h->run);
	h->run = NULL;
}

static void
h_done(void *arg, const struct gw_orch_response *r)
{
	struct handle		*h = arg;
	struct gw_orch_run	*run = h->run;

	h->run = NULL;
	/* the access log names the script and its time */
	gw_req_set_upstream(h->req, h->o->origin,
	    gw_loop_now(gw_req_loop(h->req)) - h->t0);
	gw_resp_send(h->req, r->status, r->headers, r->nheaders, r->body.p,
	    r->body.len);
	/* the response was copied: h and req are not ours any more */
	gw_orch_run_free(run);
}

static void
h_start(struct gw_req *req, void *arg)
{
	struct handle			*h = arg;
	const struct gw_http_head	*hd = gw_req_head(req);
	const struct gw_route_match	*m = gw_req_match(req);
	struct gw_orch_param		 params[GW_MAX_PARAMS];
	struct gw_orch_request		 rq;
	struct gw_orch_env		*env;
	struct gw_err			 err;

	if (h->aborted)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.method = hd->method;
	rq.path = gw_req_path(req);
	rq.query = hd->query;
	rq.headers = hd->headers;
	rq.nheaders = hd->nheaders;
	if (m != NULL)
		for (size_t i = 0; i < m->nparams && i < GW_MAX_PARAMS; i++) {
			params[i].name = gw_str_cstr(m->params[i].name);
			params[i].value = m->params[i].value;
			rq.nparams++;
		}
	rq.params = params;
	rq.request_id = gw_req_id(req);
	if (h->o->uses_body && gw_req_has_body(req))
		rq.body = gw_req_body_peek(req);
	h->t0 = gw_loop_now(gw_req_loop(req));
	if ((env = server_env(gw_req_server(req), &err)) == NULL ||
	    (h->run = gw_orch_start(h->o, env, &rq, NULL, h_done, h,
	    &err)) == NULL) {
		if (err.code == GW_E_PROTO)
			gw_resp_problem(req, 400, "bad-request", err.msg);
		else
			gw_resp_problem(req, 500, "internal", err.msg);
		return;
	}
}

void
gw_orch_handle(struct gw_req *req, const struct gw_orch *o)
{
	const struct gw_cfg_route	*route = gw_req_route(req);
	struct handle			*h;
	uint64_t			 max;

	if ((h = gw_arena_calloc(gw_req_arena(req), 1, sizeof(*h))) == NULL) {
		gw_resp_problem(req, 500, "internal", "out of memory");
		return;
	}
	h->req = req;
	h->o = o;
	gw_req_on_abort(req, h_abort, h);
	if (o->uses_body && gw_req_has_body(req)) {
		max = route != NULL && route->max_body_bytes > 0 ?
		    route->max_body_bytes :
		    gw_server_cfg(gw_req_server(req))->max_body_bytes;
		(void)gw_req_body_read_all(req, max, h_start, h);
		return;
	}
	h_start(req, h);
}
