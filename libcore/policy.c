/*
 * policy.c: the table of policy types, and reading a route's list.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "authn.h"
#include "authz.h"
#include "gw.h"
#include "headers.h"
#include "jcheck.h"
#include "json.h"
#include "mediate.h"
#include "policy.h"
#include "ratelimit.h"

/* Every policy type; a module that adds one adds a line here. */
static const struct gw_policy_type *const types[] = {
	&gw_policy_headers,
	&gw_policy_mediate,
	&gw_policy_audit,
	&gw_policy_audit_response,
	&gw_policy_api_key,
	&gw_policy_basic,
	&gw_policy_jwt,
	&gw_policy_introspect,
	&gw_policy_authorize,
	&gw_policy_ip,
	&gw_policy_rate_limit,
};

const struct gw_policy_type *
gw_policy_find(const char *name)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(types); i++)
		if (strcmp(types[i]->name, name) == 0)
			return types[i];
	return NULL;
}

const char *const *
gw_policy_names(void)
{
	static const char *names[GW_ARRAY_LEN(types) + 1];

	for (size_t i = 0; i < GW_ARRAY_LEN(types); i++)
		names[i] = types[i]->name;
	names[GW_ARRAY_LEN(types)] = NULL;
	return names;
}

void
gw_policy_list_free(struct gw_policy *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].type != NULL && list[i].type->free != NULL)
			list[i].type->free(list[i].state);
	free(list);
}

int
gw_policy_parse_list(struct gw_jcheck *ck, const struct json_object *route,
    const struct json_object *v, struct gw_policy **out, size_t *n)
{
	struct gw_policy	*list;
	size_t			 cnt, old;
	int			 rc = 0;

	*out = NULL;
	*n = 0;
	old = gw_jcheck_push_key(ck, "policies");
	if (gw_jv_type(v) != GW_JT_ARRAY) {
		gw_jcheck_error(ck, route, "policies", v, "expected an array "
		    "of policies such as [{ \"headers\": { ... } }]");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	cnt = gw_jv_len(v);
	if ((list = calloc(cnt + 1, sizeof(*list))) == NULL) {
		gw_jcheck_error(ck, route, "policies", v, "out of memory");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct json_object		*e = gw_jv_at(v, i), *body;
		const struct gw_policy_type	*t;
		struct gw_jv_iter		 it;
		const char			*name, *sug;
		size_t				 o2 = gw_jcheck_push_index(ck, i);

		if (gw_jv_type(e) != GW_JT_OBJECT || gw_jv_len(e) != 1) {
			gw_jcheck_error(ck, v, NULL, e, "a policy is an object "
			    "with one key, its type, such as { \"headers\": "
			    "{ ... } }");
			rc = -1;
			gw_jcheck_pop(ck, o2);
			continue;
		}
		gw_jv_iter_init(&it, e);
		(void)gw_jv_iter_next(&it, &name, &body);
		if ((t = gw_policy_find(name)) == NULL) {
			if ((sug = gw_jcheck_closest(name,
			    gw_policy_names())) != NULL)
				gw_jcheck_error(ck, e, name, NULL, "unknown "
				    "policy '%s'; did you mean '%s'?", name,
				    sug);
			else
				gw_jcheck_error(ck, e, name, NULL, "unknown "
				    "policy '%s'", name);
			rc = -1;
		} else {
			size_t o3 = gw_jcheck_push_key(ck, name);

			if (t->parse(ck, e, name, body, &list[*n].state) == 0)
				list[(*n)++].type = t;
			else
				rc = -1;
			gw_jcheck_pop(ck, o3);
		}
		gw_jcheck_pop(ck, o2);
	}
	gw_jcheck_pop(ck, old);
	*out = list;
	return rc;
}
