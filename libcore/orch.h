/*
 * orch.h: orchestration, one answer composed from several HTTP calls.
 *
 * A script (JSON with comments, gw-orchestrate(5)) names steps, each an HTTP
 * call whose method, URL, fields and body are templates over the incoming
 * request and the results of earlier steps ("${lookup.body/sku}").  The
 * dependency graph comes from those references: a step starts as soon as
 * the steps it refers to are done, independent steps run at the same time,
 * and a cycle or an unknown step is refused when the script loads.  Steps
 * may fan out over an array (foreach, with a concurrency limit, results in
 * item order), run on a condition (when), time out, retry idempotent calls
 * with backoff, or be optional with a fallback value; an overall deadline
 * bounds them all.  The response is composed from the results by a JSON
 * template, its status and fields too.
 *
 * Compositions run on the caller's event loop (loop.h) through the
 * outgoing client (client.h); nothing blocks.  Host names are resolved when
 * the script loads: a step's origin is either written in its URL or chosen
 * (possibly by a template) among the script's declared "services", never
 * made up by a template, so a composition reaches only the hosts its script
 * names.  Results do not depend on the order calls finish in.
 *
 * The same script runs from gw-orchestrate(1), live, recording every call
 * and answer (--record), or answered from recordings without any network
 * (--replay), and as a gw-serve route handler ("orchestrate" in gw.conf(5)).
 *
 * Ownership: a struct gw_orch is immutable once loaded and may be shared by
 * any number of runs; it must outlive them.  A struct gw_orch_run is the
 * caller's from gw_orch_start() to gw_orch_run_free().
 */
#ifndef GW_ORCH_H
#define GW_ORCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "loop.h"

struct gw_orch;
struct gw_orch_env;
struct gw_orch_run;
struct gw_orch_tape;
struct gw_req;
struct gw_server;
struct json_object;

/* Scripts. */

enum gw_orch_flags {
	/*
	 * Do not resolve host names (for fuzzing and offline checks): the
	 * script cannot run live then, only against recordings.
	 */
	GW_ORCH_NORESOLVE = 1 << 0
};

/* The largest script file, bytes. */
#define GW_ORCH_MAX_SCRIPT_BYTES	(4 * 1024 * 1024)
/* Steps of one script. */
#define GW_ORCH_MAX_STEPS		256

/*
 * Parse a script's text (flags GW_ORCH_*).  origin names it in messages
 * and anchors relative file names.  On error -1 with GW_E_CONFIG (GW_E_NOMEM
 * for memory): err->msg holds the first error and report, if not NULL, gets
 * every error, one line each, "origin:line:col: path: message".  The caller
 * frees *out with gw_orch_free().
 */
int	gw_orch_parse(const char *buf, size_t len, const char *origin,
	    unsigned flags, struct gw_orch **out, struct gw_buf *report,
	    struct gw_err *err);
/*
 * Read the script at path and parse it.  A missing file is GW_E_NOTFOUND,
 * other read errors GW_E_SYS or GW_E_LIMIT; errors of the script GW_E_CONFIG.
 */
int	gw_orch_load_file(const char *path, unsigned flags,
	    struct gw_orch **out, struct gw_buf *report, struct gw_err *err);
/*
 * A route's "orchestrate" value v (key of the route object route) for the
 * gateway's configuration: the name of a script, relative to the
 * configuration's directory, or an object { "script": name, "replay": dir }.
 * Errors, those of the script included, are reported through ck.  Returns
 * 0 with *out (free with gw_orch_free()), or -1.
 */
int	gw_orch_load(struct gw_jcheck *ck, const struct json_object *route,
	    const char *key, const struct json_object *v, struct gw_orch **out);
/* Free a script.  NULL is fine.  No run of it may be left. */
void	gw_orch_free(struct gw_orch *o);

/* The origin of the script (its file name). */
const char *gw_orch_origin(const struct gw_orch *o);

/*
 * Append a description of the step graph to out: one line per step, in
 * script order, with what it waits for ("price <- lookup"), or with dot set
 * a Graphviz digraph.
 */
int	gw_orch_describe(const struct gw_orch *o, int dot, struct gw_buf *out,
	    struct gw_err *err);

/* Recordings. */

/*
 * Load every recording (*.json) of directory dir, checking each.  Errors:
 * GW_E_NOTFOUND for a missing directory, GW_E_PROTO (the message names the
 * file) for a bad recording.  Free with gw_orch_tape_free().
 */
int	gw_orch_tape_load(const char *dir, struct gw_orch_tape **out,
	    struct gw_err *err);
void	gw_orch_tape_free(struct gw_orch_tape *t);
/* Recordings the tape holds. */
size_t	gw_orch_tape_count(const struct gw_orch_tape *t);

/* Where compositions run. */

/*
 * An environment on loop: the outgoing client (made on the first live
 * call) and its connection pools, shared by every run on it.  Free it after
 * its runs, before the loop.  NULL with err on out of memory.
 */
struct gw_orch_env *gw_orch_env_new(struct gw_loop *loop, struct gw_err *err);
void	gw_orch_env_free(struct gw_orch_env *env);

/* The incoming request, as the script's "request" sees it. */
struct gw_orch_param {
	struct gw_str	name;
	struct gw_str	value;
};

struct gw_orch_request {
	struct gw_str			 method;	/* default "GET" */
	struct gw_str			 path;		/* default "/" */
	struct gw_str			 query;		/* after '?', raw */
	const struct gw_http_header	*headers;
	size_t				 nheaders;
	const struct gw_orch_param	*params;	/* path parameters */
	size_t				 nparams;
	struct gw_str			 body;
	const char			*request_id;	/* may be NULL */
};

/*
 * A request described in JSON, for gw-orchestrate(1) --request:
 *
 *	{ "method": "GET", "path": "/v1/items/42", "query": "a=1",
 *	  "headers": { "Accept": "application/json" },
 *	  "params": { "id": "42" }, "body": { "any": "JSON" } }
 *
 * every key optional; "query" may be an object of names and strings;
 * "body_text" gives a body that is not JSON.  Errors are GW_E_PROTO with
 * "origin:line:col: path: message" (GW_E_NOMEM for memory).  The caller
 * frees *out with gw_orch_reqdoc_free().
 */
struct gw_orch_reqdoc;

int	gw_orch_reqdoc_parse(const char *buf, size_t len, const char *origin,
	    struct gw_orch_reqdoc **out, struct gw_err *err);
/* An empty request (GET /), for --param alone.  NULL on out of memory. */
struct gw_orch_reqdoc *gw_orch_reqdoc_new(void);
/* Add (or replace) a path parameter; both strings are copied. */
int	gw_orch_reqdoc_param(struct gw_orch_reqdoc *d, const char *name,
	    const char *value, struct gw_err *err);
/* The request, valid until the next change of d or its free. */
const struct gw_orch_request *gw_orch_reqdoc_request(
	    const struct gw_orch_reqdoc *d);
void	gw_orch_reqdoc_free(struct gw_orch_reqdoc *d);

/* Called for each line of the timeline when tracing. */
typedef void gw_orch_trace_fn(void *arg, const char *line);

struct gw_orch_opts {
	const struct gw_orch_tape	*replay;	/* answer from this */
	const char			*record_dir;	/* save calls here */
	gw_orch_trace_fn		*trace;		/* may be NULL */
	void				*trace_arg;
};

/* The composed response; every pointer lives as long as the run. */
struct gw_orch_response {
	int				 status;
	const struct gw_http_header	*headers;
	size_t				 nheaders;
	struct gw_str			 body;
	/*
	 * 0: composed; 1: the composition failed (a required step, the
	 * deadline) and the response is problem+json saying why.
	 */
	int				 failed;
	const char			*step;	/* failed step, or NULL */
};

typedef void gw_orch_done_fn(void *arg, const struct gw_orch_response *r);

/*
 * Start a composition of o for request rq on env.  opts may be NULL.
 * Everything in rq is copied.  done(arg, ...) is called once, from the
 * loop, never from inside this call; the response it gets stays valid
 * until gw_orch_run_free(), which done may call.  Returns the run, or NULL
 * with err: GW_E_PROTO when the request does not suit the script (a body
 * that must be JSON and is not), GW_E_NOMEM.
 */
struct gw_orch_run *gw_orch_start(const struct gw_orch *o,
	    struct gw_orch_env *env, const struct gw_orch_request *rq,
	    const struct gw_orch_opts *opts, gw_orch_done_fn *done, void *arg,
	    struct gw_err *err);
/*
 * Free a run: calls still in flight are cancelled and done is not called.
 * NULL is fine.
 */
void	gw_orch_run_free(struct gw_orch_run *run);

/* Bytes a run holds right now (its arena and buffers), for measurements. */
size_t	gw_orch_run_memory(const struct gw_orch_run *run);

/* gw-serve. */

/*
 * Answer req by running o in the request's worker (the route handler).
 * The request body is read whole first when the script refers to it.  The
 * answer goes through the gw_resp_* functions; a client that goes away
 * cancels the calls in flight.
 */
void	gw_orch_handle(struct gw_req *req, const struct gw_orch *o);
/*
 * Free what compositions of srv's worker keep between requests (the client
 * and its idle connections).  Called by gw_server_free() before the loop
 * goes; nothing if srv never ran one.
 */
void	gw_orch_server_free(struct gw_server *srv);

#endif /* GW_ORCH_H */
