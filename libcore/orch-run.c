/*
 * orch-run.c: running a composition on the loop.
 *
 * Each step waits for the steps its templates refer to; when the last of
 * them is done (or skipped) it starts: its condition is evaluated, its
 * items listed (foreach), and its calls started, up to its concurrency.
 * A call is one HTTP exchange through the client (or one recording), with
 * a timer for its timeout (never past the deadline) and, between attempts
 * of an idempotent call, for its backoff.  Answers are kept per call, so a
 * foreach step's results are in item order whatever order they come in.
 *
 * Ending: nothing ends a run from inside a callback that may be on the
 * caller's stack.  A required step that fails, or the last step done, arms
 * a timer of 0 us (the kick); when it fires the run is decided: the failed
 * step with the lowest place in the script is the one reported, so that
 * the answer does not depend on which of two failures came first in one
 * pass of the loop.  The deadline cancels everything and answers 504.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "jsonxml.h"
#include "loop.h"
#include "mediate.h"
#include "orch-int.h"
#include "orch.h"
#include "soap.h"
#include "str.h"
#include "xml.h"

#define MAX_SNIPPET	120	/* bytes of an unexpected answer quoted */

enum call_state {
	C_IDLE,		/* not started */
	C_RUN,		/* an attempt in flight (or a recording due) */
	C_BACKOFF,	/* waiting to try again */
	C_DONE
};

struct call {
	struct gw_orch_run		*run;
	size_t				 step;
	size_t				 index;
	const struct json_object	*item;
	enum call_state			 state;
	unsigned			 attempt;
	struct gw_client_xchg		*x;
	struct gw_timer			 timer;
	/* the request, built once for every attempt */
	const char			*method;
	int				 idempotent;
	const struct orch_target	*tgt;
	const char			*service;
	char				*url;
	struct gw_str			 target;
	struct gw_str			 body;
	struct gw_http_header		*hdrs;
	size_t				 nh;
	size_t				 sent;
	/* the answer of the attempt */
	const struct orch_exchange	*replay;
	int				 has_status;
	int				 status;
	struct gw_http_header		*rh;
	size_t				 nrh;
	struct gw_buf			 rbody;
	struct gw_str			 eff;		/* the body as read:
							   rbody, or mediated */
	int				 over_limit;
	int				 answered;	/* a whole answer */
	/* the outcome */
	int				 ok;
	const char			*error;
	int				 is_json;
	const struct json_object	*json;
	struct gw_xml_doc		*xml;
	uint64_t			 t0, t1;
};

enum srun_state {
	SS_WAIT,
	SS_RUN,
	SS_DONE
};

struct srun {
	enum srun_state		 st;
	size_t			 left;		/* steps still awaited */
	struct call		*calls;
	size_t			 ncalls;
	size_t			 next;		/* the next call to start */
	size_t			 running;
	size_t			 finished;
	int			 failed;	/* a call failed (optional) */
};

struct gw_orch_run {
	const struct gw_orch	*o;
	struct gw_orch_env	*env;
	struct gw_loop		*loop;
	struct gw_arena		*arena;
	struct gw_orch_opts	 opts;
	gw_orch_done_fn		*done;
	void			*arg;
	struct orch_input	 in;
	struct orch_result	*res;
	struct srun		*ss;
	size_t			 steps_left;
	uint64_t		 t_start;
	uint64_t		 deadline_at;
	struct gw_timer		 deadline;
	struct gw_timer		 kick;
	int			 failing;
	size_t			 fail_step;
	const char		*fail_msg;
	int			 fail_status;	/* 502, or 500 for our faults */
	int			 ended;
	struct gw_buf		 out;
	struct gw_http_header	*rh;
	size_t			 nrh;
	struct gw_orch_response	 resp;
	size_t			 held;		/* bytes of answers kept */
};

struct envpool {
	char			*url;
	char			*ca_file;
	struct gw_client_target	 t;
	struct gw_client_pool	*pool;
};

struct gw_orch_env {
	struct gw_loop		*loop;
	struct gw_client	*client;
	struct envpool		**pools;	/* each one alone: pools point
						   at their target */
	size_t			 npools;
};

static void	step_start(struct gw_orch_run *, size_t);
static void	call_start(struct call *);
static void	attempt_start(struct call *);
static void	call_end(struct call *, int, const char *, int);

/* Environments. */

struct gw_orch_env *
gw_orch_env_new(struct gw_loop *loop, struct gw_err *err)
{
	struct gw_orch_env *env;

	if ((env = calloc(1, sizeof(*env))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	env->loop = loop;
	return env;
}

void
gw_orch_env_free(struct gw_orch_env *env)
{
	if (env == NULL)
		return;
	/* the client frees its pools */
	gw_client_free(env->client);
	for (size_t i = 0; i < env->npools; i++) {
		free(env->pools[i]->url);
		free(env->pools[i]->ca_file);
		free(env->pools[i]);
	}
	free(env->pools);
	free(env);
}

struct gw_client_pool *
orch_env_pool(struct gw_orch_env *env, const struct gw_client_target *t,
    struct gw_err *err)
{
	struct envpool	**np, *p;

	for (size_t i = 0; i < env->npools; i++) {
		p = env->pools[i];
		if (strcmp(p->url, t->url) == 0 && p->t.addrlen == t->addrlen &&
		    memcmp(&p->t.addr, &t->addr, t->addrlen) == 0 &&
		    (p->ca_file == NULL ? t->ca_file == NULL :
		    t->ca_file != NULL && strcmp(p->ca_file, t->ca_file) == 0))
			return p->pool;
	}
	if (env->client == NULL &&
	    (env->client = gw_client_new(env->loop, err)) == NULL)
		return NULL;
	if ((np = realloc(env->pools, (env->npools + 1) * sizeof(*np))) ==
	    NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	env->pools = np;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->url = strdup(t->url)) == NULL ||
	    (t->ca_file != NULL && (p->ca_file = strdup(t->ca_file)) == NULL)) {
		if (p != NULL)
			free(p->url);
		free(p);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	/* the pool borrows the target: keep a copy whose strings we own */
	p->t = *t;
	p->t.url = p->url;
	p->t.hostport = gw_str_make(p->url + (t->hostport.p - t->url),
	    t->hostport.len);
	p->t.ca_file = p->ca_file;
	if ((p->pool = gw_client_pool_new(env->client, &p->t, err)) == NULL) {
		free(p->url);
		free(p->ca_file);
		free(p);
		return NULL;
	}
	env->pools[env->npools++] = p;
	return p->pool;
}

/* Tracing. */

static void
trace(struct gw_orch_run *run, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
trace(struct gw_orch_run *run, const char *fmt, ...)
{
	char		line[1024];
	va_list		ap;
	uint64_t	now = gw_loop_now(run->loop);
	int		n;

	if (run->opts.trace == NULL)
		return;
	n = snprintf(line, sizeof(line), "%9.3f ms  ",
	    (double)(now - run->t_start) / 1000.0);
	if (n < 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	run->opts.trace(run->opts.trace_arg, line);
}

static const char *
call_label(const struct call *c, char *buf, size_t size)
{
	const struct orch_step *st = &c->run->o->steps[c->step];

	if (st->foreach.nparts > 0)
		(void)snprintf(buf, size, "%s[%zu]", st->name, c->index);
	else
		(void)snprintf(buf, size, "%s", st->name);
	return buf;
}

/* What else is in flight, for the timeline: "stock, reviews x3". */
static void
inflight(const struct gw_orch_run *run, const struct call *self, char *buf,
    size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < run->o->nsteps && o < size; i++) {
		size_t	n = run->ss[i].running;
		int	k;

		if (self != NULL && self->step == i)
			n--;
		if (n == 0)
			continue;
		if (n == 1)
			k = snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " :
			    "", run->o->steps[i].name);
		else
			k = snprintf(buf + o, size - o, "%s%s x%zu",
			    o > 0 ? ", " : "", run->o->steps[i].name, n);
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* Ending the run. */

static void
cancel_call(struct call *c)
{
	gw_timer_stop(&c->timer);
	if (c->x != NULL) {
		gw_client_cancel(c->x);
		c->x = NULL;
	}
	c->replay = NULL;
}

static void
cancel_all(struct gw_orch_run *run)
{
	for (size_t i = 0; i < run->o->nsteps; i++)
		for (size_t k = 0; k < run->ss[i].ncalls; k++)
			if (run->ss[i].calls[k].state != C_DONE)
				cancel_call(&run->ss[i].calls[k]);
	gw_timer_stop(&run->deadline);
	gw_timer_stop(&run->kick);
}

static int
add_resp_header(struct gw_orch_run *run, const char *name, struct gw_str v)
{
	struct gw_http_header *h;

	if (run->nrh == GW_MAX_HEADERS)
		return -1;
	h = &run->rh[run->nrh++];
	h->name = gw_str_cstr(name);
	h->value = v;
	return 0;
}

static int
has_resp_header(const struct gw_orch_run *run, const char *name)
{
	for (size_t i = 0; i < run->nrh; i++)
		if (gw_str_caseeq_cstr(run->rh[i].name, name))
			return 1;
	return 0;
}

/* Answer with a problem: 502 (a step), 504 (the deadline), 500. */
static void
problem(struct gw_orch_run *run, int status, const char *step,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
problem(struct gw_orch_run *run, int status, const char *step,
    const char *fmt, ...)
{
	const char	*slug = status == 504 ? "gateway-timeout" :
	    status == 502 ? "bad-gateway" : "internal";
	char		 detail[1024];
	va_list		 ap;
	struct gw_buf	*b = &run->out;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	gw_buf_reset(b);
	b->max = SIZE_MAX;
	run->nrh = 0;
	(void)gw_buf_printf(b, NULL, "{\"type\":\"urn:gw:problem:%s\","
	    "\"title\":\"%s\",\"status\":%d,\"detail\":\"", slug,
	    gw_http_reason(status), status);
	(void)gw_json_escape_append(b, detail, strlen(detail), NULL);
	(void)gw_buf_putc(b, '"', NULL);
	if (step != NULL) {
		(void)gw_buf_puts(b, ",\"step\":\"", NULL);
		(void)gw_json_escape_append(b, step, strlen(step), NULL);
		(void)gw_buf_putc(b, '"', NULL);
	}
	if (run->in.id != NULL) {
		(void)gw_buf_puts(b, ",\"request_id\":\"", NULL);
		(void)gw_json_escape_append(b, run->in.id, strlen(run->in.id),
		    NULL);
		(void)gw_buf_putc(b, '"', NULL);
	}
	(void)gw_buf_puts(b, "}\n", NULL);
	(void)add_resp_header(run, "Content-Type",
	    GW_STR("application/problem+json"));
	run->resp.status = status;
	run->resp.failed = 1;
	run->resp.step = step;
	trace(run, "failed  %d  %s", status, detail);
}

static void
finish(struct gw_orch_run *run)
{
	cancel_all(run);
	run->ended = 1;
	run->resp.headers = run->rh;
	run->resp.nheaders = run->nrh;
	run->resp.body = gw_buf_str(&run->out);
	if (run->resp.body.p == NULL)
		run->resp.body = GW_STR("");
	trace(run, "done    %d  %zu bytes", run->resp.status,
	    run->resp.body.len);
	/* the last thing: done may free the run */
	run->done(run->arg, &run->resp);
}

static int
header_value_ok(struct gw_str v)
{
	for (size_t i = 0; i < v.len; i++)
		if (((unsigned char)v.p[i] < 0x20 && v.p[i] != '\t') ||
		    v.p[i] == 0x7f)
			return 0;
	return 1;
}

static void
scope_init(struct gw_orch_run *run, struct orch_scope *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->o = run->o;
	sc->in = &run->in;
	sc->res = run->res;
	sc->arena = run->arena;
}

/* The default body: every step's body by name. */
static int
default_body(struct gw_orch_run *run, struct gw_buf *b)
{
	int first = 1;

	if (gw_buf_putc(b, '{', NULL) == -1)
		return -1;
	for (size_t i = 0; i < run->o->nsteps; i++) {
		const struct orch_result	*r = &run->res[i];
		struct orch_val			 v;
		const char			*name = run->o->steps[i].name;

		if (!r->has_body)
			continue;
		memset(&v, 0, sizeof(v));
		v.kind = r->is_json ? VAL_JSON : VAL_STR;
		v.j = r->json;
		v.s = r->text;
		if ((!first && gw_buf_putc(b, ',', NULL) == -1) ||
		    gw_buf_putc(b, '"', NULL) == -1 ||
		    gw_json_escape_append(b, name, strlen(name), NULL) == -1 ||
		    gw_buf_puts(b, "\":", NULL) == -1 ||
		    orch_val_json(&v, b, NULL) == -1)
			return -1;
		first = 0;
	}
	return gw_buf_puts(b, "}\n", NULL);
}

/* A body inside <body>: XML as it is, JSON as friendly XML, text escaped. */
static int
xml_body(struct gw_orch_run *run, struct gw_buf *b, int is_json,
    const struct json_object *json, const struct gw_xml_doc *xml,
    struct gw_str text, struct gw_err *err)
{
	struct gw_buf	js;
	int		rc;

	if (xml != NULL) {
		if (gw_buf_puts(b, "<body>", err) == -1 ||
		    gw_xml_serialize(xml, GW_XML_NO_DECL, b, err) == -1)
			return -1;
		return gw_buf_puts(b, "</body>", err);
	}
	if (is_json) {
		gw_buf_init(&js, ORCH_MAX_RENDER);
		rc = gw_jv_serialize(json, &js, err) == -1 ||
		    gw_jx_friendly_json_to_xml(js.p, js.len, run->o->to_xml, b,
		    err) == -1 ? -1 : 0;
		gw_buf_release(&js);
		return rc;
	}
	if (gw_buf_puts(b, "<body>", err) == -1)
		return -1;
	if (gw_xml_valid_chars(text.p == NULL ? "" : text.p, text.len) &&
	    gw_xml_escape_append(b, text.p == NULL ? "" : text.p, text.len, 0,
	    err) == -1)
		return -1;
	return gw_buf_puts(b, "</body>", err);
}

static int
xml_attr(struct gw_buf *b, const char *name, struct gw_str v,
    struct gw_err *err)
{
	if (!gw_xml_valid_chars(v.p == NULL ? "" : v.p, v.len))
		return 0;
	if (gw_buf_printf(b, err, " %s=\"", name) == -1 ||
	    gw_xml_escape_append(b, v.p == NULL ? "" : v.p, v.len, 1, err) ==
	    -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

/*
 * The document a stylesheet composes from:
 *
 *	<orchestration>
 *	  <request method="GET" path="/v1/x" id="...">
 *	    <param name="id">42</param>... <body>...</body>
 *	  </request>
 *	  <step name="lookup" state="ok" status="200"><body>...</body></step>
 *	  <step name="price" state="skipped"/>
 *	  <step name="stock" state="failed" error="..."><body>...</body></step>
 *	</orchestration>
 */
static int
xslt_input(struct gw_orch_run *run, struct gw_buf *b, struct gw_err *err)
{
	const struct orch_input *in = &run->in;

	if (gw_buf_puts(b, "<orchestration><request", err) == -1 ||
	    xml_attr(b, "method", in->method, err) == -1 ||
	    xml_attr(b, "path", in->path, err) == -1 ||
	    xml_attr(b, "query", in->query, err) == -1 ||
	    (in->id != NULL && xml_attr(b, "id", gw_str_cstr(in->id), err) ==
	    -1) || gw_buf_putc(b, '>', err) == -1)
		return -1;
	for (size_t i = 0; i < in->nparams; i++)
		if (gw_buf_puts(b, "<param", err) == -1 ||
		    xml_attr(b, "name", in->params[i].name, err) == -1 ||
		    xml_attr(b, "value", in->params[i].value, err) == -1 ||
		    gw_buf_puts(b, "/>", err) == -1)
			return -1;
	if (in->body.len > 0 && xml_body(run, b, in->body_is_json,
	    in->body_json, NULL, in->body, err) == -1)
		return -1;
	if (gw_buf_puts(b, "</request>", err) == -1)
		return -1;
	for (size_t i = 0; i < run->o->nsteps; i++) {
		const struct orch_result	*r = &run->res[i];
		static const char *const	 states[] = { "pending", "ok",
		    "failed", "skipped" };

		if (gw_buf_puts(b, "<step", err) == -1 ||
		    xml_attr(b, "name", gw_str_cstr(run->o->steps[i].name),
		    err) == -1 || xml_attr(b, "state",
		    gw_str_cstr(states[r->state]), err) == -1 ||
		    (r->has_status && gw_buf_printf(b, err, " status=\"%d\"",
		    r->status) == -1) || (r->error != NULL && xml_attr(b,
		    "error", gw_str_cstr(r->error), err) == -1) ||
		    gw_buf_putc(b, '>', err) == -1)
			return -1;
		if (r->has_body && xml_body(run, b, r->is_json, r->json, r->xml,
		    r->text, err) == -1)
			return -1;
		if (gw_buf_puts(b, "</step>", err) == -1)
			return -1;
	}
	return gw_buf_puts(b, "</orchestration>", err);
}

/* Compose with the script's stylesheet. */
static int
xslt_body(struct gw_orch_run *run, const char **ctype)
{
	struct gw_xslt		*x = run->o->resp.xslt;
	struct gw_xml_doc	*in = NULL, *res = NULL;
	struct gw_buf		 b;
	struct gw_err		 err;
	int			 rc = -1;

	gw_buf_init(&b, ORCH_MAX_RENDER * 4);
	if (xslt_input(run, &b, &err) == -1 ||
	    gw_xml_parse(b.p, b.len, "orchestration", NULL, &in, &err) == -1) {
		problem(run, 502, NULL, "composing the response: the results "
		    "do not make an XML document: %s", err.msg);
		goto out;
	}
	if (gw_xslt_apply(x, in, NULL, 0, &res, &err) == -1 ||
	    gw_xslt_serialize(x, res, &run->out, &err) == -1) {
		problem(run, 502, NULL, "composing the response: %s", err.msg);
		goto out;
	}
	*ctype = gw_xslt_media_type(x);
	rc = 0;
 out:
	gw_xml_doc_free(res);
	gw_xml_doc_free(in);
	gw_buf_release(&b);
	return rc;
}

static void
compose(struct gw_orch_run *run)
{
	const struct orch_response	*r = &run->o->resp;
	struct orch_scope		 sc;
	struct orch_fail		 f;
	struct orch_val			 v;
	struct gw_buf			 tmp;
	const char			*ctype = NULL;

	scope_init(run, &sc);
	memset(&f, 0, sizeof(f));
	run->resp.status = r->status;
	if (r->status == 0) {
		uint64_t st = 0;

		if (orch_ref_eval(r->status_t.parts[0].ref, &sc, &v, &f) ==
		    -1) {
			problem(run, 502, f.step, "composing the response: "
			    "status: %s", f.msg);
			return;
		}
		if (v.kind == VAL_INT)
			st = v.i < 0 ? 0 : (uint64_t)v.i;
		else if (v.kind == VAL_JSON && gw_jv_type(v.j) == GW_JT_INT)
			st = gw_jv_int(v.j) < 0 ? 0 : (uint64_t)gw_jv_int(v.j);
		else if (v.kind == VAL_STR)
			(void)gw_str_to_u64(v.s, 999, &st);
		else if (v.kind == VAL_JSON && gw_jv_str(v.j, NULL) != NULL)
			(void)gw_str_to_u64(gw_str_cstr(gw_jv_str(v.j, NULL)),
			    999, &st);
		if (st < 100 || st > 599) {
			problem(run, 502, f.step, "composing the response: "
			    "status: ${%s} is not a status from 100 to 599",
			    r->status_t.parts[0].ref->text);
			return;
		}
		run->resp.status = (int)st;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		char *val;

		gw_buf_init(&tmp, GW_MAX_HEADER_BYTES);
		if (orch_tmpl_render(&r->headers[i].value, &sc, RENDER_PLAIN,
		    &tmp, &f) == -1) {
			gw_buf_release(&tmp);
			problem(run, 502, f.step, "composing the response: "
			    "field %s: %s", r->headers[i].name, f.msg);
			return;
		}
		if (!header_value_ok(gw_buf_str(&tmp)) || (val =
		    gw_arena_strndup(run->arena, tmp.p == NULL ? "" : tmp.p,
		    tmp.len)) == NULL) {
			gw_buf_release(&tmp);
			problem(run, 502, NULL, "composing the response: field "
			    "%s would hold a control character",
			    r->headers[i].name);
			return;
		}
		(void)add_resp_header(run, r->headers[i].name,
		    gw_str_make(val, tmp.len));
		gw_buf_release(&tmp);
	}
	run->out.max = ORCH_MAX_RENDER;
	switch (r->body_kind) {
	case BODY_JSON:
		ctype = "application/json";
		if (orch_jt_render(&r->json, &sc, &run->out, &f) == -1 ||
		    gw_buf_putc(&run->out, '\n', NULL) == -1) {
			problem(run, 502, f.step, "composing the response: %s",
			    f.msg);
			return;
		}
		break;
	case BODY_TEXT:
		ctype = "text/plain; charset=utf-8";
		if (orch_tmpl_render(&r->text, &sc, RENDER_PLAIN, &run->out,
		    &f) == -1) {
			problem(run, 502, f.step, "composing the response: %s",
			    f.msg);
			return;
		}
		break;
	case BODY_NONE:
		if (r->xslt != NULL) {
			if (xslt_body(run, &ctype) == -1)
				return;
			break;
		}
		if (r->present)
			break;
		ctype = "application/json";
		if (default_body(run, &run->out) == -1) {
			problem(run, 502, NULL, "composing the response: the "
			    "results are too large");
			return;
		}
		break;
	}
	if (ctype != NULL && !has_resp_header(run, "content-type"))
		(void)add_resp_header(run, "Content-Type", gw_str_cstr(ctype));
}

static void
kick_fire(struct gw_timer *t)
{
	struct gw_orch_run *run = t->arg;

	if (run->failing)
		problem(run, run->fail_status,
		    run->o->steps[run->fail_step].name, "step '%s' failed: %s",
		    run->o->steps[run->fail_step].name, run->fail_msg);
	else
		compose(run);
	finish(run);
}

static void
kick(struct gw_orch_run *run)
{
	if (!gw_timer_active(&run->kick))
		gw_timer_start(run->loop, &run->kick, 0, kick_fire, run);
}

static void
deadline_fire(struct gw_timer *t)
{
	struct gw_orch_run	*run = t->arg;
	char			 waiting[512];

	inflight(run, NULL, waiting, sizeof(waiting));
	problem(run, 504, NULL, "the composition passed its deadline of %u "
	    "ms%s%s", run->o->deadline_ms, waiting[0] != '\0' ?
	    "; still waiting for " : "", waiting);
	finish(run);
}

/* A required step failed (or the run cannot go on): decide at the kick. */
static void
run_fail(struct gw_orch_run *run, size_t step, int status, const char *msg)
{
	if (!run->failing || step < run->fail_step) {
		run->fail_step = step;
		run->fail_msg = gw_arena_strdup(run->arena, msg);
		if (run->fail_msg == NULL)
			run->fail_msg = "out of memory";
		run->fail_status = status;
	}
	run->failing = 1;
	kick(run);
}

/* Steps. */

static void
step_done(struct gw_orch_run *run, size_t i)
{
	const struct orch_step *st = &run->o->steps[i];

	run->ss[i].st = SS_DONE;
	if (run->steps_left > 0)
		run->steps_left--;
	for (size_t k = 0; k < st->nusers; k++) {
		size_t u = st->users[k];

		if (--run->ss[u].left == 0 && !run->failing)
			step_start(run, u);
	}
	if (run->steps_left == 0)
		kick(run);
}

static void
step_skip(struct gw_orch_run *run, size_t i)
{
	run->res[i].state = RES_SKIPPED;
	trace(run, "skip    %s  (its condition is false)",
	    run->o->steps[i].name);
	step_done(run, i);
}

/* A step failed as a whole: its fallback if optional, else the run. */
static void
step_fail(struct gw_orch_run *run, size_t i, const char *msg)
{
	const struct orch_step	*st = &run->o->steps[i];
	struct orch_result	*r = &run->res[i];

	if (!st->optional) {
		r->state = RES_FAILED;
		r->error = gw_arena_strdup(run->arena, msg);
		run_fail(run, i, 502, msg);
		return;
	}
	r->state = RES_FAILED;
	r->error = gw_arena_strdup(run->arena, msg);
	if (st->has_fallback) {
		r->has_body = 1;
		r->is_json = 1;
		r->json = st->fallback;
	}
	trace(run, "fail    %s  %s (optional%s)", st->name, msg,
	    st->has_fallback ? ": its fallback stands in" : "");
	step_done(run, i);
}

/* Append one call's body to a foreach array. */
static int
append_item(struct gw_buf *b, const struct call *c, const struct orch_step *st)
{
	struct orch_val v;

	memset(&v, 0, sizeof(v));
	if (c->ok && c->is_json) {
		v.kind = VAL_JSON;
		v.j = c->json;
	} else if (c->ok) {
		v.kind = VAL_STR;
		v.s = c->eff;
	} else {
		v.kind = VAL_JSON;
		v.j = st->has_fallback ? st->fallback : NULL;
	}
	return orch_val_json(&v, b, NULL);
}

static void
step_complete(struct gw_orch_run *run, size_t i)
{
	const struct orch_step	*st = &run->o->steps[i];
	struct srun		*s = &run->ss[i];
	struct orch_result	*r = &run->res[i];
	struct gw_buf		 bodies, statuses;
	struct gw_err		 err;
	int			 bad = 0;

	if (st->foreach.nparts == 0) {
		struct call *c = &s->calls[0];

		if (!c->ok) {
			step_fail(run, i, c->error);
			return;
		}
		r->state = RES_OK;
		r->has_status = 1;
		r->status = c->status;
		r->headers = c->rh;
		r->nheaders = c->nrh;
		r->has_body = 1;
		r->is_json = c->is_json;
		r->json = c->json;
		r->xml = c->xml;
		r->text = c->eff;
		step_done(run, i);
		return;
	}
	/* foreach: the bodies and statuses as arrays, in item order */
	gw_buf_init(&bodies, run->o->max_held + ORCH_MAX_RENDER);
	gw_buf_init(&statuses, 0);
	bad |= gw_buf_putc(&bodies, '[', NULL);
	bad |= gw_buf_putc(&statuses, '[', NULL);
	for (size_t k = 0; k < s->ncalls; k++) {
		struct call *c = &s->calls[k];

		if (k > 0) {
			bad |= gw_buf_putc(&bodies, ',', NULL);
			bad |= gw_buf_putc(&statuses, ',', NULL);
		}
		bad |= append_item(&bodies, c, st);
		if (c->ok)
			bad |= gw_buf_printf(&statuses, NULL, "%d", c->status);
		else
			bad |= gw_buf_puts(&statuses, "null", NULL);
	}
	bad |= gw_buf_putc(&bodies, ']', NULL);
	bad |= gw_buf_putc(&statuses, ']', NULL);
	if (bad) {
		gw_buf_release(&bodies);
		gw_buf_release(&statuses);
		step_fail(run, i, "the results of its calls are too large to "
		    "collect");
		return;
	}
	if (orch_json_parse(run->arena, bodies.p, bodies.len, "foreach",
	    &r->json, &err) == -1 || orch_json_parse(run->arena, statuses.p,
	    statuses.len, "foreach", &r->statuses, &err) == -1) {
		gw_buf_release(&bodies);
		gw_buf_release(&statuses);
		run_fail(run, i, 500, "cannot collect the results: out of "
		    "memory");
		return;
	}
	gw_buf_release(&bodies);
	gw_buf_release(&statuses);
	r->foreach = 1;
	r->has_body = 1;
	r->is_json = 1;
	r->state = s->failed ? RES_FAILED : RES_OK;
	if (s->failed) {
		for (size_t k = 0; k < s->ncalls; k++)
			if (!s->calls[k].ok) {
				r->error = s->calls[k].error;
				break;
			}
	}
	step_done(run, i);
}

/* Start the calls a step may have in flight now. */
static void
step_pump(struct gw_orch_run *run, size_t i)
{
	const struct orch_step	*st = &run->o->steps[i];
	struct srun		*s = &run->ss[i];
	size_t			 limit = st->foreach.nparts > 0 ?
	    st->concurrency : s->ncalls;

	while (!run->failing && !run->ended && s->next < s->ncalls &&
	    s->running < limit) {
		struct call *c = &s->calls[s->next++];

		s->running++;
		call_start(c);
	}
}

static void
step_start(struct gw_orch_run *run, size_t i)
{
	const struct orch_step	*st = &run->o->steps[i];
	struct srun		*s = &run->ss[i];
	struct orch_scope	 sc;
	struct orch_fail	 f;
	struct orch_val		 v;
	const struct json_object *items = NULL;
	size_t			 n = 1;
	int			 yes;

	s->st = SS_RUN;
	scope_init(run, &sc);
	memset(&f, 0, sizeof(f));
	if (st->when != NULL) {
		if (orch_cond_eval(st->when, &sc, &yes, &f) == -1) {
			step_fail(run, i, f.msg);
			return;
		}
		if (!yes) {
			step_skip(run, i);
			return;
		}
	}
	if (st->foreach.nparts > 0) {
		if (orch_ref_eval(st->foreach.parts[0].ref, &sc, &v, &f) ==
		    -1) {
			step_fail(run, i, f.msg);
			return;
		}
		if (v.kind != VAL_JSON || gw_jv_type(v.j) != GW_JT_ARRAY) {
			char msg[256];

			(void)snprintf(msg, sizeof(msg), "foreach: ${%s} is "
			    "not an array", st->foreach.parts[0].ref->text);
			step_fail(run, i, msg);
			return;
		}
		items = v.j;
		n = gw_jv_len(items);
		if (n > ORCH_MAX_ITEMS) {
			char msg[256];

			(void)snprintf(msg, sizeof(msg), "foreach: ${%s} has "
			    "%zu items, more than %d",
			    st->foreach.parts[0].ref->text, n, ORCH_MAX_ITEMS);
			step_fail(run, i, msg);
			return;
		}
	}
	if ((s->calls = gw_arena_calloc(run->arena, n == 0 ? 1 : n,
	    sizeof(*s->calls))) == NULL) {
		run_fail(run, i, 500, "out of memory");
		return;
	}
	s->ncalls = n;
	for (size_t k = 0; k < n; k++) {
		struct call *c = &s->calls[k];

		c->run = run;
		c->step = i;
		c->index = k;
		c->item = items != NULL ? gw_jv_at(items, k) : NULL;
		gw_buf_init(&c->rbody, st->max_bytes);
	}
	if (n == 0) {
		step_complete(run, i);
		return;
	}
	step_pump(run, i);
}

/* Calls. */

/* Variables of mediations ("$path.id", "$status"): the incoming request's. */
static int
med_var(void *arg, const char *name, struct gw_buf *out, struct gw_err *err)
{
	struct call			*c = arg;
	const struct orch_input		*in = &c->run->in;
	const struct gw_http_header	*h = NULL;

	if (strcmp(name, "method") == 0)
		return gw_buf_append_str(out, in->method, err);
	if (strcmp(name, "request_id") == 0)
		return in->id != NULL ? gw_buf_puts(out, in->id, err) : 1;
	if (strcmp(name, "status") == 0)
		return c->has_status ? gw_buf_printf(out, err, "%d",
		    c->status) : 1;
	if (strncmp(name, "path.", 5) == 0) {
		for (size_t i = 0; i < in->nparams; i++)
			if (gw_str_eq(in->params[i].name,
			    gw_str_cstr(name + 5)))
				return gw_buf_append_str(out,
				    in->params[i].value, err);
		return 1;
	}
	if (strncmp(name, "header.", 7) == 0) {
		for (size_t i = 0; i < in->nheaders && h == NULL; i++)
			if (gw_str_caseeq_cstr(in->headers[i].name, name + 7))
				h = &in->headers[i];
		return h != NULL ? gw_buf_append_str(out, h->value, err) : 1;
	}
	if (strncmp(name, "query.", 6) == 0) {
		struct orch_ref		r;
		struct orch_scope	sc;
		struct orch_val		v;
		struct orch_fail	f;

		memset(&r, 0, sizeof(r));
		r.src = SRC_REQ_QUERY;
		r.name = (char *)(uintptr_t)(name + 6);
		r.text = r.name;
		scope_init(c->run, &sc);
		if (orch_ref_eval(&r, &sc, &v, &f) == -1)
			return 1;
		return gw_buf_append_str(out, v.s, err);
	}
	return 1;
}

/* The request mediation: the body as it goes out, and its type. */
static int
mediate_request(struct call *c, const char **ctype, const char **action,
    struct orch_fail *f)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct gw_mediate_run	 mr;
	struct gw_buf		 out, act;
	struct gw_err		 err;
	char			*s;
	int			 rc = -1;

	gw_buf_init(&out, ORCH_MAX_RENDER);
	gw_buf_init(&act, 1024);
	memset(&mr, 0, sizeof(mr));
	mr.input = c->body.p;
	mr.len = c->body.len;
	mr.origin = "body";
	mr.var = med_var;
	mr.var_arg = c;
	mr.request_id = run->in.id;
	mr.out = &out;
	if (gw_mediation_run(st->med_req, &mr, &err) != 0) {
		(void)snprintf(f->msg, sizeof(f->msg), "the request mediation "
		    "failed: %.400s", err.msg);
		f->step = NULL;
		goto out;
	}
	if ((s = gw_arena_strndup(run->arena, out.p == NULL ? "" : out.p,
	    out.len)) == NULL ||
	    (mr.content_type[0] != '\0' && (*ctype =
	    gw_arena_strdup(run->arena, mr.content_type)) == NULL))
		goto oom;
	c->body = gw_str_make(s, out.len);
	if (mr.soap_action[0] != '\0' && mr.soap_out != GW_SOAP_12) {
		if (gw_soap_action_value(mr.soap_action, &act, &err) == -1 ||
		    (*action = gw_arena_strndup(run->arena, act.p,
		    act.len)) == NULL)
			goto oom;
	}
	rc = 0;
	goto out;
 oom:
	(void)snprintf(f->msg, sizeof(f->msg), "out of memory");
	f->step = NULL;
 out:
	gw_buf_release(&out);
	gw_buf_release(&act);
	return rc;
}

/*
 * The response mediation: 0 and c->eff (with its type in *ctype), 1 for a
 * SOAP fault (its problem document in msg), -1 (msg says why).
 */
static int
mediate_response(struct call *c, const char **ctype, char *msg,
    size_t msgsize)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct gw_mediate_run	 mr;
	struct gw_buf		 out;
	struct gw_err		 err;
	char			*s;
	int			 rc;

	gw_buf_init(&out, ORCH_MAX_RENDER);
	memset(&mr, 0, sizeof(mr));
	mr.input = c->rbody.p == NULL ? "" : c->rbody.p;
	mr.len = c->rbody.len;
	mr.origin = "answer";
	mr.var = med_var;
	mr.var_arg = c;
	mr.fault_detail = 1;
	mr.request_id = run->in.id;
	mr.out = &out;
	if ((rc = gw_mediation_run(st->med_resp, &mr, &err)) == -1) {
		(void)snprintf(msg, msgsize, "%s answered %d; the response "
		    "mediation failed: %.300s", c->tgt->url, c->status,
		    err.msg);
		goto out;
	}
	if (rc == 1) {
		(void)snprintf(msg, msgsize, "%s answered %d with a SOAP "
		    "fault: %.*s", c->tgt->url, c->status,
		    (int)GW_MIN(out.len, 300), out.p == NULL ? "" : out.p);
		goto out;
	}
	if ((s = gw_arena_strndup(run->arena, out.p == NULL ? "" : out.p,
	    out.len)) == NULL ||
	    (*ctype = gw_arena_strdup(run->arena, mr.content_type)) == NULL) {
		(void)snprintf(msg, msgsize, "out of memory");
		rc = -1;
		goto out;
	}
	c->eff = gw_str_make(s, out.len);
 out:
	gw_buf_release(&out);
	return rc;
}

static int
build_request(struct call *c, struct orch_fail *f)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct orch_scope	 sc;
	struct gw_buf		 b;
	size_t			 nh = 0;
	char			*s;
	const char		*ctype = NULL, *action = NULL;
	int			 rc = -1, has_id = 0;

	scope_init(run, &sc);
	if (st->foreach.nparts > 0) {
		sc.has_item = 1;
		sc.item = c->item;
		sc.index = c->index;
	}
	gw_buf_init(&b, GW_MAX_URI_BYTES);
	/* how */
	c->method = st->method;
	c->idempotent = st->idempotent;
	if (st->method_t.nparts > 0) {
		int okm;

		if (orch_tmpl_render(&st->method_t, &sc, RENDER_PLAIN, &b, f) ==
		    -1)
			goto out;
		okm = b.len > 0 && b.len <= 16;
		for (size_t i = 0; i < b.len; i++)
			if (b.p[i] < 'A' || b.p[i] > 'Z')
				okm = 0;
		if (!okm) {
			(void)snprintf(f->msg, sizeof(f->msg), "the method "
			    "'%.*s' is not upper-case letters",
			    (int)GW_MIN(b.len, 32), b.p == NULL ? "" : b.p);
			f->step = NULL;
			goto out;
		}
		if ((c->method = gw_arena_strndup(run->arena, b.p, b.len)) ==
		    NULL)
			goto oom;
		c->idempotent = strcmp(c->method, "GET") == 0 ||
		    strcmp(c->method, "HEAD") == 0 ||
		    strcmp(c->method, "PUT") == 0 ||
		    strcmp(c->method, "DELETE") == 0 ||
		    strcmp(c->method, "OPTIONS") == 0 ||
		    strcmp(c->method, "TRACE") == 0;
		gw_buf_reset(&b);
	}
	/* where */
	if (st->has_target)
		c->tgt = &run->o->targets[st->target];
	else {
		ssize_t found = -1;

		if (orch_tmpl_render(&st->service, &sc, RENDER_PLAIN, &b, f) ==
		    -1)
			goto out;
		for (size_t i = 0; i < run->o->ntargets; i++)
			if (run->o->targets[i].name != NULL &&
			    gw_str_eq(gw_buf_str(&b),
			    gw_str_cstr(run->o->targets[i].name)))
				found = (ssize_t)i;
		if (found == -1) {
			(void)snprintf(f->msg, sizeof(f->msg), "service '%.*s' "
			    "is not one the script declares",
			    (int)GW_MIN(b.len, 64), b.p == NULL ? "" : b.p);
			goto out;
		}
		c->tgt = &run->o->targets[found];
		gw_buf_reset(&b);
	}
	if (c->tgt->name != NULL)
		c->service = c->tgt->name;
	/* what */
	if (gw_buf_puts(&b, c->tgt->base, NULL) == -1 ||
	    orch_tmpl_render(&st->path, &sc, RENDER_URL, &b, f) == -1)
		goto out;
	if (b.len == 0 || b.p[0] != '/' || (c->tgt->base[0] != '\0' &&
	    b.p[strlen(c->tgt->base)] != '/')) {
		(void)snprintf(f->msg, sizeof(f->msg), "the path '%.*s' does "
		    "not start with '/'", (int)GW_MIN(b.len, 64),
		    b.p == NULL ? "" : b.p);
		goto out;
	}
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.p[i] <= ' ' || b.p[i] == 0x7f ||
		    b.p[i] == '#') {
			(void)snprintf(f->msg, sizeof(f->msg), "the path of "
			    "the call would hold a space, a control character "
			    "or '#'");
			goto out;
		}
	if ((s = gw_arena_strndup(run->arena, b.p, b.len)) == NULL)
		goto oom;
	c->target = gw_str_make(s, b.len);
	if ((c->url = gw_arena_printf(run->arena, "%s%s", c->tgt->url, s)) ==
	    NULL)
		goto oom;
	/* the body */
	gw_buf_release(&b);
	gw_buf_init(&b, ORCH_MAX_RENDER);
	if (st->body_kind == BODY_JSON &&
	    orch_jt_render(&st->json, &sc, &b, f) == -1)
		goto out;
	if (st->body_kind == BODY_TEXT &&
	    orch_tmpl_render(&st->text, &sc, RENDER_PLAIN, &b, f) == -1)
		goto out;
	if ((s = gw_arena_strndup(run->arena, b.p == NULL ? "" : b.p,
	    b.len)) == NULL)
		goto oom;
	c->body = gw_str_make(s, b.len);
	if (st->med_req != NULL && mediate_request(c, &ctype, &action, f) ==
	    -1)
		goto out;
	/* the fields: Host, the script's, the request id, the type */
	if ((c->hdrs = gw_arena_calloc(run->arena, st->nheaders + 4,
	    sizeof(*c->hdrs))) == NULL)
		goto oom;
	c->hdrs[nh].name = GW_STR("Host");
	c->hdrs[nh++].value = c->tgt->t.hostport;
	for (size_t i = 0; i < st->nheaders; i++) {
		gw_buf_release(&b);
		gw_buf_init(&b, GW_MAX_HEADER_BYTES);
		if (orch_tmpl_render(&st->headers[i].value, &sc, RENDER_PLAIN,
		    &b, f) == -1)
			goto out;
		if (!header_value_ok(gw_buf_str(&b))) {
			(void)snprintf(f->msg, sizeof(f->msg), "field %s would "
			    "hold a control character", st->headers[i].name);
			f->step = NULL;
			goto out;
		}
		if ((s = gw_arena_strndup(run->arena, b.p == NULL ? "" : b.p,
		    b.len)) == NULL)
			goto oom;
		if (strcasecmp(st->headers[i].name, "x-request-id") == 0)
			has_id = 1;
		/* a mediated body comes with its own type */
		if (ctype != NULL &&
		    strcasecmp(st->headers[i].name, "content-type") == 0)
			continue;
		c->hdrs[nh].name = gw_str_cstr(st->headers[i].name);
		c->hdrs[nh++].value = gw_str_make(s, b.len);
	}
	if (!has_id && run->in.id != NULL) {
		c->hdrs[nh].name = GW_STR("X-Request-Id");
		c->hdrs[nh++].value = gw_str_cstr(run->in.id);
	}
	if (ctype != NULL) {
		c->hdrs[nh].name = GW_STR("Content-Type");
		c->hdrs[nh++].value = gw_str_cstr(ctype);
	} else if (st->body_kind != BODY_NONE && st->content_type != NULL) {
		c->hdrs[nh].name = GW_STR("Content-Type");
		c->hdrs[nh++].value = gw_str_cstr(st->content_type);
	}
	if (action != NULL) {
		c->hdrs[nh].name = GW_STR("SOAPAction");
		c->hdrs[nh++].value = gw_str_cstr(action);
	}
	c->nh = nh;
	rc = 0;
	goto out;
 oom:
	(void)snprintf(f->msg, sizeof(f->msg), "out of memory");
 out:
	gw_buf_release(&b);
	return rc;
}

static void
call_start(struct call *c)
{
	struct gw_orch_run	*run = c->run;
	struct orch_fail	 f;

	memset(&f, 0, sizeof(f));
	c->state = C_RUN;
	c->t0 = gw_loop_now(run->loop);
	if (build_request(c, &f) == -1) {
		char label[128], msg[700];

		(void)snprintf(msg, sizeof(msg), "cannot build the call: %s",
		    f.msg);
		trace(run, "fail    %s  %s", call_label(c, label,
		    sizeof(label)), msg);
		call_end(c, 0, msg, 0);
		return;
	}
	attempt_start(c);
}

/* The exchange, as the client reports it. */

static int
cb_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t content_length)
{
	struct call	*c = arg;
	struct gw_arena	*a = c->run->arena;

	c->has_status = 1;
	c->status = status;
	if ((c->rh = gw_arena_calloc(a, nh == 0 ? 1 : nh, sizeof(*c->rh))) ==
	    NULL)
		return -1;
	for (size_t i = 0; i < nh; i++) {
		char *n = gw_arena_strndup(a, h[i].name.p, h[i].name.len);
		char *v = gw_arena_strndup(a, h[i].value.p, h[i].value.len);

		if (n == NULL || v == NULL)
			return -1;
		c->rh[i].name = gw_str_make(n, h[i].name.len);
		c->rh[i].value = gw_str_make(v, h[i].value.len);
	}
	c->nrh = nh;
	if (content_length > 0 &&
	    (uint64_t)content_length > c->run->o->steps[c->step].max_bytes) {
		c->over_limit = 1;
		return -1;
	}
	return 0;
}

static int
cb_body(void *arg, const char *p, size_t len)
{
	struct call		*c = arg;
	struct gw_orch_run	*run = c->run;

	if (run->held + len > run->o->max_held) {
		c->over_limit = 2;
		return -1;
	}
	if (gw_buf_append(&c->rbody, p, len, NULL) == -1) {
		c->over_limit = 1;
		return -1;
	}
	run->held += len;
	return 0;
}

static ssize_t
cb_read(void *arg, char *buf, size_t len)
{
	struct call	*c = arg;
	size_t		 n = GW_MIN(len, c->body.len - c->sent);

	memcpy(buf, c->body.p + c->sent, n);
	c->sent += n;
	return (ssize_t)n;
}

static int
status_expected(const struct orch_step *st, int status)
{
	if (st->nexpect == 0)
		return status >= 200 && status <= 299;
	for (size_t i = 0; i < st->nexpect; i++)
		if (status >= st->expect[i].lo && status <= st->expect[i].hi)
			return 1;
	return 0;
}

/* 1 if type v is application/SUFFIX, text/xml, or x/y+SUFFIX. */
static int
ctype_is(struct gw_str v, const char *suffix)
{
	size_t sl = strlen(suffix), e;

	for (e = 0; e < v.len && v.p[e] != ';'; e++)
		;
	v = gw_str_trim(gw_str_make(v.p, e));
	if ((v.len == 12 + sl && strncasecmp(v.p, "application/", 12) == 0 &&
	    strncasecmp(v.p + 12, suffix, sl) == 0) ||
	    (strcmp(suffix, "xml") == 0 && gw_str_caseeq_cstr(v, "text/xml")))
		return 1;
	return v.len > sl + 1 && v.p[v.len - sl - 1] == '+' &&
	    strncasecmp(v.p + v.len - sl, suffix, sl) == 0;
}

/* The same for the answer: its Content-Type, or the mediation's type. */
static int
is_type(const struct call *c, const char *mtype, const char *suffix)
{
	if (mtype != NULL)
		return ctype_is(gw_str_cstr(mtype), suffix);
	for (size_t i = 0; i < c->nrh; i++)
		if (gw_str_caseeq_cstr(c->rh[i].name, "content-type"))
			return ctype_is(c->rh[i].value, suffix);
	return 0;
}

/* A short, printable quote of an answer's body for messages. */
static void
snippet(const struct gw_buf *b, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	if (b->len == 0)
		return;
	for (size_t i = 0; i < b->len && n + 4 < size && i < MAX_SNIPPET;
	    i++) {
		unsigned char ch = (unsigned char)b->p[i];

		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	if (b->len > MAX_SNIPPET && n + 4 < size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/*
 * An XML answer: parsed (safely: xml.h), and with "xml_to_json" converted,
 * so that the body is JSON and XPath still works on the XML.
 */
static int
xml_answer(struct call *c, char *msg, size_t msgsize)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct gw_buf		 js;
	struct gw_err		 err;
	const char		*body = c->eff.p;
	int			 rc = -1;

	if (gw_xml_parse(body, c->eff.len, "body", NULL, &c->xml,
	    &err) == -1) {
		(void)snprintf(msg, msgsize, "%s answered %d with a body that "
		    "is not XML: %.300s", c->tgt->url, c->status, err.msg);
		return -1;
	}
	if (gw_arena_defer(run->arena, gw_xml_doc_dtor, c->xml) == -1) {
		c->xml = NULL;
		(void)snprintf(msg, msgsize, "out of memory");
		return -1;
	}
	if (st->to_json == NULL)
		return 0;
	gw_buf_init(&js, ORCH_MAX_RENDER);
	if (gw_jx_friendly_xml_to_json(body, c->eff.len, st->to_json, &js,
	    &err) == -1 || orch_json_parse(run->arena, js.p == NULL ? "" :
	    js.p, js.len, "converted", &c->json, &err) == -1) {
		(void)snprintf(msg, msgsize, "%s answered %d with XML that "
		    "does not convert to JSON: %.300s", c->tgt->url,
		    c->status, err.msg);
		goto out;
	}
	c->is_json = 1;
	rc = 0;
 out:
	gw_buf_release(&js);
	return rc;
}

/* The answer is in: was it what the step expects? */
static void
answer_check(struct call *c)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct gw_err		 err;
	char			 msg[512], snip[MAX_SNIPPET + 8];
	const char		*mtype = NULL;
	int			 json;

	c->answered = 1;
	c->eff = gw_buf_str(&c->rbody);
	if (c->eff.p == NULL)
		c->eff = GW_STR("");
	if (!status_expected(st, c->status)) {
		/* a SOAP fault comes with 500: say what it was */
		if (c->status == 500 && st->med_resp != NULL &&
		    gw_mediation_reads_soap(st->med_resp) &&
		    mediate_response(c, &mtype, msg, sizeof(msg)) == 1) {
			call_end(c, 0, msg, 0);
			return;
		}
		snippet(&c->rbody, snip, sizeof(snip));
		(void)snprintf(msg, sizeof(msg), "%s answered %d %s%s%s%s",
		    c->tgt->url, c->status, gw_http_reason(c->status),
		    snip[0] != '\0' ? ": \"" : "", snip,
		    snip[0] != '\0' ? "\"" : "");
		call_end(c, 0, msg, c->status == 429 || c->status == 502 ||
		    c->status == 503 || c->status == 504);
		return;
	}
	if (strcmp(c->method, "HEAD") == 0) {
		call_end(c, 1, NULL, 0);
		return;
	}
	if (st->med_resp != NULL &&
	    mediate_response(c, &mtype, msg, sizeof(msg)) != 0) {
		call_end(c, 0, msg, 0);
		return;
	}
	if (st->parse == PARSE_XML || (st->parse == PARSE_AUTO &&
	    is_type(c, mtype, "xml"))) {
		if (xml_answer(c, msg, sizeof(msg)) == -1) {
			call_end(c, 0, msg, 0);
			return;
		}
		call_end(c, 1, NULL, 0);
		return;
	}
	json = st->parse == PARSE_JSON || (st->parse == PARSE_AUTO &&
	    is_type(c, mtype, "json"));
	if (json) {
		if (orch_json_parse(run->arena, c->eff.p, c->eff.len, "body",
		    &c->json, &err) == -1) {
			(void)snprintf(msg, sizeof(msg), "%s answered %d with "
			    "a body that is not JSON: %.300s", c->tgt->url,
			    c->status, err.msg);
			call_end(c, 0, msg, 0);
			return;
		}
		c->is_json = 1;
	}
	call_end(c, 1, NULL, 0);
}

static void
cb_done(void *arg, enum gw_client_status cst, const char *cmsg)
{
	struct call	*c = arg;
	char		 msg[512];

	c->x = NULL;
	gw_timer_stop(&c->timer);
	if (cst == GW_CLIENT_OK) {
		answer_check(c);
		return;
	}
	if (c->over_limit == 2)
		(void)snprintf(msg, sizeof(msg), "%s answered more than the "
		    "%llu bytes a composition may hold in all", c->tgt->url,
		    (unsigned long long)c->run->o->max_held);
	else if (c->over_limit)
		(void)snprintf(msg, sizeof(msg), "%s answered more than %llu "
		    "bytes", c->tgt->url, (unsigned long long)
		    c->run->o->steps[c->step].max_bytes);
	else
		(void)snprintf(msg, sizeof(msg), "%s: %s%s%s", c->tgt->url,
		    gw_client_status_str(cst), cmsg != NULL ? ": " : "",
		    cmsg != NULL ? cmsg : "");
	call_end(c, 0, msg, !c->over_limit && cst != GW_CLIENT_ABORTED);
}

static const struct gw_client_cbs cbs = {
	.head = cb_head,
	.body = cb_body,
	.read = cb_read,
	.done = cb_done,
};

static void
call_timeout(struct gw_timer *t)
{
	struct call		*c = t->arg;
	struct gw_orch_run	*run = c->run;
	char			 msg[256];

	if (gw_loop_now(run->loop) >= run->deadline_at) {
		deadline_fire(&run->deadline);
		return;
	}
	if (c->x != NULL) {
		gw_client_cancel(c->x);
		c->x = NULL;
	}
	c->replay = NULL;
	(void)snprintf(msg, sizeof(msg), "%s did not answer in %u ms",
	    c->tgt->url, run->o->steps[c->step].timeout_ms);
	call_end(c, 0, msg, 1);
}

static void
replay_fire(struct gw_timer *t)
{
	struct call			*c = t->arg;
	const struct orch_exchange	*x = c->replay;

	c->replay = NULL;
	if (x->failed) {
		call_end(c, 0, x->error, 1);
		return;
	}
	if (cb_head(c, x->status, x->headers, x->nheaders,
	    (int64_t)x->rbody.len) == -1 ||
	    cb_body(c, x->rbody.p, x->rbody.len) == -1) {
		cb_done(c, GW_CLIENT_ABORTED, NULL);
		return;
	}
	cb_done(c, GW_CLIENT_OK, NULL);
}

static void
exchange_of(const struct call *c, struct orch_exchange *x)
{
	memset(x, 0, sizeof(*x));
	x->step = c->run->o->steps[c->step].name;
	x->index = c->index;
	x->method = gw_str_cstr(c->method);
	x->service = c->service;
	x->url = c->url;
	x->target = c->target;
	x->body = c->body;
}

static void
attempt_start(struct call *c)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct gw_client_request rq;
	struct gw_client_pool	*pool;
	struct gw_err		 err;
	uint64_t		 now = gw_loop_now(run->loop), us;
	char			 label[128], others[512], msg[700];

	c->attempt++;
	c->state = C_RUN;
	c->has_status = 0;
	c->nrh = 0;
	c->over_limit = 0;
	c->answered = 0;
	c->xml = NULL;
	c->json = NULL;
	c->is_json = 0;
	c->sent = 0;
	run->held -= GW_MIN(run->held, c->rbody.len);
	gw_buf_reset(&c->rbody);
	call_label(c, label, sizeof(label));
	if (run->opts.trace != NULL) {
		inflight(run, c, others, sizeof(others));
		trace(run, "start   %s  %s %s%s%s%s", label, c->method, c->url,
		    c->attempt > 1 ? "  (again)" : "", others[0] != '\0' ?
		    "  with " : "", others);
	}
	if (run->opts.replay != NULL) {
		struct orch_exchange key;

		exchange_of(c, &key);
		if ((c->replay = orch_tape_find(run->opts.replay, &key)) ==
		    NULL) {
			(void)snprintf(msg, sizeof(msg), "%s %s was not "
			    "recorded", c->method, c->url);
			trace(run, "fail    %s  %s", label, msg);
			/* a missing recording is the test's fault: fatal */
			c->state = C_DONE;
			c->error = gw_arena_strdup(run->arena, msg);
			run_fail(run, c->step, 502, msg);
			return;
		}
		gw_timer_start(run->loop, &c->timer, 0, replay_fire, c);
		return;
	}
	if (!c->tgt->resolved) {
		call_end(c, 0, "the script was loaded without resolving its "
		    "hosts", 0);
		return;
	}
	if ((pool = orch_env_pool(run->env, &c->tgt->t, &err)) == NULL) {
		call_end(c, 0, err.msg, 0);
		return;
	}
	us = (uint64_t)st->timeout_ms * 1000;
	if (now + us > run->deadline_at)
		us = run->deadline_at > now ? run->deadline_at - now : 0;
	memset(&rq, 0, sizeof(rq));
	rq.method = gw_str_cstr(c->method);
	rq.target = c->target;
	rq.headers = c->hdrs;
	rq.nheaders = c->nh;
	rq.body_len = (int64_t)c->body.len;
	rq.head = strcmp(c->method, "HEAD") == 0;
	rq.connect_timeout_ms = (uint32_t)GW_MAX(us / 1000, 1);
	if ((c->x = gw_client_start(pool, &rq, &cbs, c, &err)) == NULL) {
		call_end(c, 0, err.msg, 0);
		return;
	}
	gw_timer_start(run->loop, &c->timer, us, call_timeout, c);
}

static void
backoff_fire(struct gw_timer *t)
{
	attempt_start(t->arg);
}

static void
record(struct call *c)
{
	struct gw_orch_run	*run = c->run;
	struct orch_exchange	 x;
	struct gw_err		 err;
	char			 msg[700];

	exchange_of(c, &x);
	x.failed = !c->answered;
	x.error = c->error;
	x.status = c->status;
	x.headers = c->rh;
	x.nheaders = c->nrh;
	x.rbody = gw_buf_str(&c->rbody);
	if (x.rbody.p == NULL)
		x.rbody = GW_STR("");
	if (orch_tape_write(run->opts.record_dir, &x, &err) == -1) {
		(void)snprintf(msg, sizeof(msg), "cannot record: %s", err.msg);
		run_fail(run, c->step, 500, msg);
	}
}

/*
 * The call is over: ok, or failed with msg; retryable says whether trying
 * again may help.
 */
static void
call_end(struct call *c, int ok, const char *msg, int retryable)
{
	struct gw_orch_run	*run = c->run;
	const struct orch_step	*st = &run->o->steps[c->step];
	struct srun		*s = &run->ss[c->step];
	uint64_t		 now = gw_loop_now(run->loop), wait;
	char			 label[128];

	if (run->opts.trace != NULL)
		call_label(c, label, sizeof(label));
	else
		label[0] = '\0';
	if (!ok && retryable && c->idempotent && c->attempt <= st->retries &&
	    !run->failing) {
		wait = (uint64_t)st->backoff_ms * 1000 << (c->attempt - 1);
		if (now + wait < run->deadline_at) {
			trace(run, "retry   %s  %s; again in %llu ms", label,
			    msg, (unsigned long long)(wait / 1000));
			c->state = C_BACKOFF;
			gw_timer_start(run->loop, &c->timer, wait,
			    backoff_fire, c);
			return;
		}
	}
	c->state = C_DONE;
	c->t1 = now;
	c->ok = ok;
	if (!ok)
		c->error = gw_arena_strdup(run->arena, msg);
	if (c->has_status || !ok)
		trace(run, "end     %s  %s  %zu bytes  (%.3f ms)", label,
		    ok ? "ok" : msg, c->rbody.len,
		    (double)(c->t1 - c->t0) / 1000.0);
	if (run->opts.record_dir != NULL && c->url != NULL)
		record(c);
	if (!ok && !st->optional) {
		s->running--;
		s->finished++;
		/* the run fails: the other calls are cancelled at the kick */
		step_fail(run, c->step, c->error != NULL ? c->error :
		    "out of memory");
		return;
	}
	if (!ok)
		s->failed = 1;
	s->running--;
	s->finished++;
	if (s->finished == s->ncalls)
		step_complete(run, c->step);
	else
		step_pump(run, c->step);
}

/* Runs. */

static int
copy_str(struct gw_arena *a, struct gw_str in, struct gw_str *out)
{
	char *p;

	if ((p = gw_arena_strndup(a, in.p == NULL ? "" : in.p, in.len)) ==
	    NULL)
		return -1;
	*out = gw_str_make(p, in.len);
	return 0;
}

static int
copy_input(struct gw_orch_run *run, const struct gw_orch_request *rq,
    struct gw_err *err)
{
	struct gw_arena		*a = run->arena;
	struct orch_input	*in = &run->in;
	struct gw_http_header	*h;
	struct gw_orch_param	*pa;

	if (copy_str(a, rq->method.len > 0 ? rq->method : GW_STR("GET"),
	    &in->method) == -1 ||
	    copy_str(a, rq->path.len > 0 ? rq->path : GW_STR("/"),
	    &in->path) == -1 ||
	    copy_str(a, rq->query, &in->query) == -1 ||
	    copy_str(a, rq->body, &in->body) == -1)
		goto oom;
	if ((h = gw_arena_calloc(a, rq->nheaders + 1, sizeof(*h))) == NULL ||
	    (pa = gw_arena_calloc(a, rq->nparams + 1, sizeof(*pa))) == NULL)
		goto oom;
	for (size_t i = 0; i < rq->nheaders; i++)
		if (copy_str(a, rq->headers[i].name, &h[i].name) == -1 ||
		    copy_str(a, rq->headers[i].value, &h[i].value) == -1)
			goto oom;
	for (size_t i = 0; i < rq->nparams; i++)
		if (copy_str(a, rq->params[i].name, &pa[i].name) == -1 ||
		    copy_str(a, rq->params[i].value, &pa[i].value) == -1)
			goto oom;
	in->headers = h;
	in->nheaders = rq->nheaders;
	in->params = pa;
	in->nparams = rq->nparams;
	if (rq->request_id != NULL &&
	    (in->id = gw_arena_strdup(a, rq->request_id)) == NULL)
		goto oom;
	if (run->o->uses_body && in->body.len > 0) {
		struct gw_err perr;

		if (orch_json_parse(a, in->body.p, in->body.len, "request body",
		    &in->body_json, &perr) == 0)
			in->body_is_json = 1;
		else if (perr.code == GW_E_NOMEM)
			goto oom;
		else if (run->o->body_pointer)
			return gw_err_set(err, GW_E_PROTO, "the request body "
			    "is not JSON: %s", perr.msg);
	}
	return 0;
 oom:
	return gw_err_set(err, GW_E_NOMEM, "out of memory");
}

struct gw_orch_run *
gw_orch_start(const struct gw_orch *o, struct gw_orch_env *env,
    const struct gw_orch_request *rq, const struct gw_orch_opts *opts,
    gw_orch_done_fn *done, void *arg, struct gw_err *err)
{
	struct gw_orch_run	*run;
	struct gw_arena		*a;

	if ((a = gw_arena_new(0)) == NULL ||
	    (run = gw_arena_calloc(a, 1, sizeof(*run))) == NULL) {
		gw_arena_free(a);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	run->arena = a;
	run->o = o;
	run->env = env;
	run->loop = env->loop;
	run->done = done;
	run->arg = arg;
	if (opts != NULL)
		run->opts = *opts;
	if (o->replay != NULL && run->opts.replay == NULL)
		run->opts.replay = o->replay;
	gw_buf_init(&run->out, ORCH_MAX_RENDER);
	/* the loop's time is its iteration's: the deadline counts from now */
	gw_loop_update_time(run->loop);
	run->t_start = gw_loop_now(run->loop);
	run->deadline_at = run->t_start + (uint64_t)o->deadline_ms * 1000;
	if ((run->res = gw_arena_calloc(a, o->nsteps, sizeof(*run->res))) ==
	    NULL || (run->ss = gw_arena_calloc(a, o->nsteps,
	    sizeof(*run->ss))) == NULL || (run->rh = gw_arena_calloc(a,
	    GW_MAX_HEADERS, sizeof(*run->rh))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto fail;
	}
	if (copy_input(run, rq, err) == -1)
		goto fail;
	run->steps_left = o->nsteps;
	for (size_t i = 0; i < o->nsteps; i++)
		run->ss[i].left = o->steps[i].ndeps;
	gw_timer_start(run->loop, &run->deadline,
	    (uint64_t)o->deadline_ms * 1000, deadline_fire, run);
	trace(run, "begin   %s  (%zu steps, deadline %u ms)", o->origin,
	    o->nsteps, o->deadline_ms);
	for (size_t i = 0; i < o->nsteps && !run->failing; i++)
		if (run->ss[i].left == 0 && run->ss[i].st == SS_WAIT)
			step_start(run, i);
	if (o->nsteps == 0)
		kick(run);
	return run;
 fail:
	gw_buf_release(&run->out);
	gw_arena_free(a);
	return NULL;
}

void
gw_orch_run_free(struct gw_orch_run *run)
{
	if (run == NULL)
		return;
	cancel_all(run);
	for (size_t i = 0; i < run->o->nsteps; i++)
		for (size_t k = 0; k < run->ss[i].ncalls; k++)
			gw_buf_release(&run->ss[i].calls[k].rbody);
	gw_buf_release(&run->out);
	gw_arena_free(run->arena);
}

size_t
gw_orch_run_memory(const struct gw_orch_run *run)
{
	size_t n = gw_arena_used(run->arena) + run->out.cap;

	for (size_t i = 0; i < run->o->nsteps; i++)
		for (size_t k = 0; k < run->ss[i].ncalls; k++)
			n += run->ss[i].calls[k].rbody.cap;
	return n;
}
