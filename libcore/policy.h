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
	/* Per-worker set-up (connections, shared memory); may be NULL. */
	int		(*worker_start)(void *state, struct gw_server *srv,
			    struct gw_err *err);
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
