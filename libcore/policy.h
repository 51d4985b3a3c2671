/*
 * policy.h: route policies, the steps a request passes before its handler
 * and a response passes after it.
 *
 * A route lists policies in its configuration:
 *
 *	"policies": [ { "jwt": { ... } }, { "rate_limit": { ... } } ]
 *
 * Each entry names one registered policy type (policy.c keeps the table;
 * a new module adds one line there) and gives it its own block, which the
 * type's parse() checks through jcheck.h, so errors read like every other
 * configuration error.  At run time the server calls request() of each
 * policy in order: NEXT goes on, DONE means the policy answered (the chain
 * and the handler are skipped), WAIT means it will call
 * gw_req_policy_resume() later from the loop (an upstream fetch, a Redis
 * reply).  A waiting policy registers gw_req_on_abort() to cancel its work
 * if the client goes away; the server clears that after each step.
 *
 * A type with GW_POLICY_REQUEST_BODY sees the whole request body (buffered
 * up to the route's max_body_bytes, 413 beyond) and may replace it with
 * gw_req_set_body().  Response steps run in reverse order when the handler
 * has answered: without GW_POLICY_RESPONSE_BODY as soon as the response
 * head exists (status and fields may change), with it once the whole
 * response is buffered (gw_resp_captured_body(), gw_resp_replace()).
 *
 * Per-worker state (outgoing clients, Redis connections, timers) lives on
 * a server's loop, so it has a life of its own: worker_start() is called
 * once per struct gw_server (per worker process, or per process in
 * per-connection mode) for every policy of every route, in configuration
 * order, at the end of gw_server_new(), once the server is set up on its
 * loop and before any request.  worker_stop() is called from
 * gw_server_free(), in reverse order, after every connection (and so every
 * request) is gone and before the proxy, its clients and the loop are
 * torn down; what it frees may still use the loop (gw_loop_defer()).  A
 * policy whose start failed, or that follows one that did, is not stopped.
 * The configuration, and so the state, outlives every server using it, and
 * may be shared by several servers of one process: both hooks take the
 * server, and start and stop must each be idempotent per server.
 */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stddef.h>

#include "err.h"
#include "jcheck.h"

struct gw_req;
struct gw_server;
struct json_object;

enum gw_policy_rc {
	GW_POLICY_NEXT,		/* go on with the next step */
	GW_POLICY_DONE,		/* answered: skip the rest */
	GW_POLICY_WAIT		/* gw_req_policy_resume() comes later */
};

enum gw_policy_flags {
	GW_POLICY_REQUEST_BODY = 1 << 0,	/* request() needs the body */
	GW_POLICY_RESPONSE_BODY = 1 << 1	/* response() needs the body */
};

struct gw_policy_type {
	const char	*name;
	unsigned	 flags;
	/*
	 * Check v, the policy's block (parent and key locate it for errors),
	 * and build *state.  Return 0, or -1 after reporting through ck.
	 */
	int		(*parse)(struct gw_jcheck *ck,
			    const struct json_object *parent, const char *key,
			    const struct json_object *v, void **state);
	void		(*free)(void *state);
	/*
	 * Per-server set-up (clients, connections, first fetches) on
	 * gw_server_loop(srv); may be NULL.  Return 0, or -1 with err: the
	 * server then fails to start with that error.
	 */
	int		(*worker_start)(void *state, struct gw_server *srv,
			    struct gw_err *err);
	/*
	 * Undo worker_start for srv: cancel what runs (no callback of
	 * the policy may run after it), free what it made; may be NULL.
	 */
	void		(*worker_stop)(void *state, struct gw_server *srv);
	/* Either may be NULL. */
	enum gw_policy_rc (*request)(struct gw_req *req, void *state);
	enum gw_policy_rc (*response)(struct gw_req *req, void *state);
};

/* One configured policy of a route. */
struct gw_policy {
	const struct gw_policy_type	*type;
	void				*state;
};

/* The registered type called name, or NULL. */
const struct gw_policy_type *gw_policy_find(const char *name);
/* The names of every registered type, NULL-terminated. */
const char *const *gw_policy_names(void);

/*
 * Parse a route's "policies" array v into *out (malloc'd, *n entries);
 * errors are reported through ck.  Returns 0, or -1 if any was reported.
 */
int	gw_policy_parse_list(struct gw_jcheck *ck,
	    const struct json_object *route, const struct json_object *v,
	    struct gw_policy **out, size_t *n);
/* Free a list from gw_policy_parse_list(). */
void	gw_policy_list_free(struct gw_policy *list, size_t n);

#endif /* GW_POLICY_H */
