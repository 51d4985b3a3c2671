/*
 * headers.c: setting and removing fields, as a route policy.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw.h"
#include "headers.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "policy.h"
#include "server.h"
#include "str.h"

struct edits {
	char	**set_names;
	char	**set_values;
	size_t	  nset;
	char	**remove;
	size_t	  nremove;
};

struct headers_state {
	struct edits	req;
	struct edits	resp;
};

static void
edits_release(struct edits *e)
{
	for (size_t i = 0; i < e->nset; i++) {
		free(e->set_names[i]);
		free(e->set_values[i]);
	}
	free(e->set_names);
	free(e->set_values);
	gw_jcheck_strs_free(e->remove);
}

static void
headers_free(void *arg)
{
	struct headers_state *st = arg;

	if (st == NULL)
		return;
	edits_release(&st->req);
	edits_release(&st->resp);
	free(st);
}

static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!gw_http_is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Fields a policy may not touch: the framing is the gateway's. */
static int
reserved(const char *name)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "connection", "host",
		"te", "trailer", "upgrade", "keep-alive", NULL
	};

	for (size_t i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

static int
parse_edits(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, struct edits *e)
{
	static const char *const keys[] = { "set", "remove", NULL };
	struct json_object	*set;
	int			 rc = 0;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if (gw_jv_get(v, "set", &set)) {
		struct gw_jv_iter	 it;
		const char		*name;
		struct json_object	*val;
		size_t			 old = gw_jcheck_push_key(ck, "set"), n;

		if (gw_jv_type(set) != GW_JT_OBJECT) {
			gw_jcheck_error(ck, v, "set", set, "expected an object "
			    "of field names and values");
			gw_jcheck_pop(ck, old);
			return -1;
		}
		n = gw_jv_len(set);
		if ((e->set_names = calloc(n + 1, sizeof(char *))) == NULL ||
		    (e->set_values = calloc(n + 1, sizeof(char *))) == NULL) {
			gw_jcheck_pop(ck, old);
			return -1;
		}
		gw_jv_iter_init(&it, set);
		while (gw_jv_iter_next(&it, &name, &val)) {
			size_t		 o2 = gw_jcheck_push_key(ck, name);
			const char	*s;
			int		 ok = 1;

			if (!is_token(name) || reserved(name)) {
				gw_jcheck_error(ck, set, name, NULL, "'%s' %s",
				    name, is_token(name) ? "is set by the "
				    "gateway itself" : "is not a field name");
				ok = 0;
			} else if (gw_jv_type(val) != GW_JT_STRING) {
				gw_jcheck_error(ck, set, name, val,
				    "expected a string");
				ok = 0;
			} else
				for (s = gw_jv_str(val, NULL); *s != '\0'; s++)
					if ((unsigned char)*s < 0x20 &&
					    *s != '\t') {
						gw_jcheck_error(ck, set, name,
						    val, "control character "
						    "in value");
						ok = 0;
						break;
					}
			if (ok) {
				e->set_names[e->nset] = strdup(name);
				e->set_values[e->nset] =
				    strdup(gw_jv_str(val, NULL));
				e->nset++;
			} else
				rc = -1;
			gw_jcheck_pop(ck, o2);
		}
		gw_jcheck_pop(ck, old);
	}
	if (gw_jcheck_strs(ck, v, "remove", &e->remove, &e->nremove) == -1)
		rc = -1;
	for (size_t i = 0; i < e->nremove; i++)
		if (!is_token(e->remove[i]) || reserved(e->remove[i])) {
			struct json_object *r;

			(void)gw_jv_get(v, "remove", &r);
			gw_jcheck_error(ck, v, "remove", r, "'%s' cannot be "
			    "removed", e->remove[i]);
			rc = -1;
		}
	return rc;
}

static int
headers_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "request", "response", NULL };
	struct headers_state	*st;
	struct json_object	*e;
	int			 rc = 0;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	if (gw_jv_get(v, "request", &e)) {
		size_t old = gw_jcheck_push_key(ck, "request");

		rc |= parse_edits(ck, v, "request", e, &st->req);
		gw_jcheck_pop(ck, old);
	}
	if (gw_jv_get(v, "response", &e)) {
		size_t old = gw_jcheck_push_key(ck, "response");

		rc |= parse_edits(ck, v, "response", e, &st->resp);
		gw_jcheck_pop(ck, old);
	}
	if (rc != 0) {
		headers_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static enum gw_policy_rc
headers_request(struct gw_req *req, void *arg)
{
	struct headers_state *st = arg;

	for (size_t i = 0; i < st->req.nremove; i++)
		gw_req_header_del(req, st->req.remove[i]);
	for (size_t i = 0; i < st->req.nset; i++)
		if (gw_req_header_set(req, st->req.set_names[i],
		    gw_str_cstr(st->req.set_values[i])) == -1) {
			gw_resp_problem(req, 500, "internal",
			    "cannot set a request field");
			return GW_POLICY_DONE;
		}
	return GW_POLICY_NEXT;
}

static enum gw_policy_rc
headers_response(struct gw_req *req, void *arg)
{
	struct headers_state *st = arg;

	for (size_t i = 0; i < st->resp.nremove; i++)
		gw_resp_header_del(req, st->resp.remove[i]);
	for (size_t i = 0; i < st->resp.nset; i++)
		(void)gw_resp_header_set(req, st->resp.set_names[i],
		    gw_str_cstr(st->resp.set_values[i]));
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_headers = {
	.name = "headers",
	.flags = 0,
	.parse = headers_parse,
	.free = headers_free,
	.request = headers_request,
	.response = headers_response,
};
