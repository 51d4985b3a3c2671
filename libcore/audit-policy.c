/*
 * audit-policy.c: the "audit" and "audit_response" policies of gw-serve.
 *
 *	{ "audit": { "rules": "audit/default.rules", "paranoia": 2,
 *	             "limits": { "max_json_depth": 20 }, "mode": "block" } }
 *
 * "audit" scans the request (method, path, query, headers, cookies and the
 * whole body, which it asks the server to buffer) before the handler;
 * "audit_response" scans the upstream's response body after it.  In block
 * mode a finding answers 403 (a rule), 413 (a size limit) or 400 (the rest)
 * as problem+json naming the finding ids, never the payload; a refused
 * response becomes a 502.  In detect mode the request goes on.  Either
 * way each finding is logged as one JSON line on stderr, as the access log
 * is, and counted per id in the gateway's metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "log.h"
#include "policy.h"
#include "server.h"

/* Findings named in one refusal, at most. */
#define DETAIL_IDS	8

struct audit_state {
	struct gw_audit_limits	 lim;
	struct gw_audit_rules	*rules;
	int			 paranoia;
	int			 detect;
	enum gw_audit_format	 format;
	int			 response;	/* the audit_response type */
};

static void
audit_free(void *arg)
{
	struct audit_state *st = arg;

	if (st == NULL)
		return;
	gw_audit_rules_free(st->rules);
	free(st);
}

/* The names of gw_audit_limits_set(), in the order of gw-audit(5). */
static const char *const limit_keys[] = {
	"max_bytes", "max_json_depth", "max_json_entries", "max_json_items",
	"max_json_key", "max_json_string", "max_json_number",
	"json_duplicate_keys", "max_xml_depth", "max_xml_children",
	"max_xml_attributes", "max_xml_namespaces", "max_xml_element_name",
	"max_xml_attribute_name", "max_xml_prefix", "max_xml_pi_target",
	"max_xml_text", "max_xml_attribute_value", "max_xml_namespace_uri",
	"max_xml_comment", "max_xml_pi_data", "max_xml_nodes",
	"max_xml_entities", "max_xml_entity_refs", "max_xml_entity_expansion",
	"max_xml_entity_ratio", "xml_children", "xml_dtd", "xml_xinclude",
	"max_params", "max_param_name", "max_param_value", NULL
};

static int
known_limit(const char *name)
{
	for (size_t i = 0; limit_keys[i] != NULL; i++)
		if (strcmp(limit_keys[i], name) == 0)
			return 1;
	return 0;
}

static int
parse_limits(struct gw_jcheck *ck, const struct json_object *v,
    const struct json_object *lv, struct audit_state *st)
{
	struct gw_jv_iter	 it;
	const char		*name;
	struct json_object	*val;
	struct gw_err		 err;
	size_t			 old = gw_jcheck_push_key(ck, "limits");
	int			 rc = 0;

	if (gw_jv_type(lv) == GW_JT_STRING) {
		char *path = gw_jcheck_resolve(ck, gw_jv_str(lv, NULL));

		if (path == NULL) {
			gw_jcheck_error(ck, v, "limits", lv, "out of memory");
			rc = -1;
		} else if (gw_audit_limits_load(&st->lim, path, &err) == -1) {
			gw_jcheck_error(ck, v, "limits", lv, "%s", err.msg);
			rc = -1;
		}
		free(path);
		gw_jcheck_pop(ck, old);
		return rc;
	}
	if (gw_jcheck_object(ck, v, "limits", lv, limit_keys) == -1) {
		gw_jcheck_pop(ck, old);
		return -1;
	}
	gw_jv_iter_init(&it, lv);
	while (gw_jv_iter_next(&it, &name, &val)) {
		char		 num[32];
		const char	*text;
		size_t		 o2;

		if (!known_limit(name))
			continue;	/* reported by gw_jcheck_object() */
		o2 = gw_jcheck_push_key(ck, name);
		if (gw_jv_type(val) == GW_JT_INT && gw_jv_int(val) >= 0) {
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)gw_jv_int(val));
			text = num;
		} else if (gw_jv_type(val) == GW_JT_STRING)
			text = gw_jv_str(val, NULL);
		else {
			gw_jcheck_error(ck, lv, name, val, "expected a "
			    "number or a word, not %s",
			    gw_jv_type_name(gw_jv_type(val)));
			rc = -1;
			gw_jcheck_pop(ck, o2);
			continue;
		}
		if (gw_audit_limits_set(&st->lim, name, text, &err) == -1) {
			gw_jcheck_error(ck, lv, name, val, "%s", err.msg);
			rc = -1;
		}
		gw_jcheck_pop(ck, o2);
	}
	gw_jcheck_pop(ck, old);
	return rc;
}

static int
parse_common(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state, int response)
{
	static const char *const keys[] = { "rules", "limits", "paranoia",
	    "mode", "format", NULL };
	static const char *const modes[] = { "block", "detect", NULL };
	static const char *const formats[] = { "auto", "json", "xml", "text",
	    "form", NULL };
	static const enum gw_audit_format fmap[] = { GW_AUDIT_AUTO,
	    GW_AUDIT_JSON, GW_AUDIT_XML, GW_AUDIT_TEXT, GW_AUDIT_FORM };
	struct audit_state	*st;
	struct json_object	*e;
	struct gw_err		 err;
	uint32_t		 par;
	char			*rules = NULL;
	int			 rc = 0, ix;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		gw_jcheck_error(ck, parent, key, v, "out of memory");
		return -1;
	}
	gw_audit_limits_default(&st->lim);
	st->paranoia = 1;
	st->response = response;
	if (gw_jcheck_str(ck, v, "rules", &rules) == 1) {
		char	*path = gw_jcheck_resolve(ck, rules);
		size_t	 old = gw_jcheck_push_key(ck, "rules");

		(void)gw_jv_get(v, "rules", &e);
		if (path == NULL) {
			gw_jcheck_error(ck, v, "rules", e, "out of memory");
			rc = -1;
		} else if (gw_audit_rules_load(path, 0, &st->rules,
		    &err) == -1) {
			gw_jcheck_error(ck, v, "rules", e, "%s", err.msg);
			rc = -1;
		}
		free(path);
		free(rules);
		gw_jcheck_pop(ck, old);
	} else if (gw_jv_get(v, "rules", NULL))
		rc = -1;
	if (gw_jv_get(v, "limits", &e) && parse_limits(ck, v, e, st) == -1)
		rc = -1;
	switch (gw_jcheck_u32(ck, v, "paranoia", 1, 4, &par)) {
	case 1:
		st->paranoia = (int)par;
		break;
	case -1:
		rc = -1;
		break;
	}
	switch (gw_jcheck_enum(ck, v, "mode", modes, &ix)) {
	case 1:
		st->detect = ix == 1;
		break;
	case -1:
		rc = -1;
		break;
	}
	switch (gw_jcheck_enum(ck, v, "format", formats, &ix)) {
	case 1:
		st->format = fmap[ix];
		break;
	case -1:
		rc = -1;
		break;
	}
	if (rc != 0) {
		audit_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static int
audit_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	return parse_common(ck, parent, key, v, state, 0);
}

static int
audit_response_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	return parse_common(ck, parent, key, v, state, 1);
}

/* What one scan of a request found. */
struct verdict {
	struct gw_req		*req;
	const struct audit_state *st;
	struct gw_buf		 ids;		/* "a, b" for the detail */
	size_t			 nids;
	int			 status;
	enum gw_audit_kind	 kind;
	struct gw_buf		 log;
};

static void
log_finding(struct verdict *vd, const struct gw_audit_finding *f)
{
	struct gw_buf		*b = &vd->log;
	struct gw_audit_finding	 g = *f;
	struct timespec		 ts;
	struct tm		 tm;
	char			 t[40];
	const char		*route = gw_req_route(vd->req) != NULL ?
				    gw_req_route(vd->req)->name : "";

	/* secrets travel in headers and cookies: no excerpt of those */
	if (strncmp(g.where, "header:", 7) == 0 ||
	    strncmp(g.where, "cookie:", 7) == 0)
		g.excerpt = GW_STR_NULL;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)gmtime_r(&ts.tv_sec, &tm);
	(void)snprintf(t, sizeof(t), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
	    (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 13u, (unsigned)tm.tm_mday % 32u,
	    (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
	    (unsigned)tm.tm_sec % 61u,
	    (unsigned)(ts.tv_nsec / 1000000) % 1000u);
	gw_buf_reset(b);
	if (gw_buf_printf(b, NULL, "{\"time\":\"%s\",\"audit\":\"%s\","
	    "\"action\":\"%s\",\"request_id\":\"", t,
	    vd->st->response ? "response" : "request",
	    vd->st->detect ? "detect" : "block") == -1 ||
	    gw_json_escape_append(b, gw_req_id(vd->req),
	    strlen(gw_req_id(vd->req)), NULL) == -1 ||
	    gw_buf_puts(b, "\",\"route\":\"", NULL) == -1 ||
	    gw_json_escape_append(b, route, strlen(route), NULL) == -1 ||
	    gw_buf_puts(b, "\",\"finding\":", NULL) == -1 ||
	    gw_audit_finding_json(b, &g, NULL) == -1 ||
	    gw_buf_puts(b, "}\n", NULL) == -1)
		return;
	(void)gw_log_write_all(STDERR_FILENO, b->p, b->len);
}

static int
on_finding(void *arg, const struct gw_audit_finding *f)
{
	struct verdict *vd = arg;

	log_finding(vd, f);
	/* gw_policy_outcomes_total{policy="audit",outcome="<finding id>"} */
	gw_req_count(vd->req, vd->st->response ? "audit_response" : "audit",
	    f->id);
	if (vd->nids == 0) {
		vd->status = f->status;
		vd->kind = f->kind;
	}
	if (vd->nids < DETAIL_IDS)
		(void)gw_buf_printf(&vd->ids, NULL, "%s%s",
		    vd->nids > 0 ? ", " : "", f->id);
	vd->nids++;
	return 0;
}

static int
scan(struct verdict *vd, struct gw_str method, struct gw_str target,
    const struct gw_http_header *hdrs, size_t nhdrs, struct gw_str body,
    struct gw_str ctype, struct gw_err *err)
{
	const struct audit_state	*st = vd->st;
	struct gw_audit_opts		 o;
	struct gw_audit_scan		*s;
	int				 rc = -1;

	memset(&o, 0, sizeof(o));
	o.limits = &st->lim;
	o.rules = st->rules;
	o.paranoia = st->paranoia;
	o.max_findings = st->detect ? 100 : DETAIL_IDS;
	o.fn = on_finding;
	o.arg = vd;
	if ((s = gw_audit_scan_new(st->format, &o, err)) == NULL)
		return -1;
	if (hdrs != NULL) {
		if (gw_audit_scan_request(s, method, target, hdrs, nhdrs,
		    err) == -1)
			goto out;
	} else if (st->format == GW_AUDIT_AUTO) {
		struct gw_http_header h;

		/* a response: its body's format by its Content-Type */
		h.name = GW_STR("Content-Type");
		h.value = ctype;
		if (gw_audit_scan_request(s, GW_STR(""), GW_STR(""), &h,
		    ctype.p != NULL ? 1 : 0, err) == -1)
			goto out;
	}
	if (body.len > 0 && gw_audit_scan_feed(s, body.p, body.len,
	    err) == -1)
		goto out;
	if (gw_audit_scan_end(s, err) == -1)
		goto out;
	rc = 0;
 out:
	gw_audit_scan_free(s);
	return rc;
}

static enum gw_policy_rc
audit_request(struct gw_req *req, void *arg)
{
	const struct gw_http_head	*h = gw_req_head(req);
	struct verdict			 vd;
	struct gw_err			 err;
	struct gw_str			 body = GW_STR_NULL;
	enum gw_policy_rc		 rc = GW_POLICY_NEXT;
	char				*detail;

	memset(&vd, 0, sizeof(vd));
	vd.req = req;
	vd.st = arg;
	gw_buf_init(&vd.ids, 1024);
	gw_buf_init(&vd.log, 64 * 1024);
	if (gw_req_has_body(req))
		body = gw_req_body_peek(req);
	if (scan(&vd, h->method, h->target, h->headers, h->nheaders, body,
	    GW_STR_NULL, &err) == -1) {
		gw_log_warnx("audit: %s", err.msg);
		gw_resp_problem(req, 500, "internal", "the audit policy failed");
		rc = GW_POLICY_DONE;
	} else if (vd.nids > 0 && !vd.st->detect) {
		detail = gw_arena_printf(gw_req_arena(req), "refused by the "
		    "audit policy: %s%s", gw_buf_cstr(&vd.ids, NULL) == NULL ?
		    "" : vd.ids.p, vd.nids > DETAIL_IDS ? ", ..." : "");
		switch (vd.status) {
		case 403:
			gw_resp_problem(req, 403, "audit-threat", detail);
			break;
		case 413:
			gw_resp_problem(req, 413, "audit-too-large", detail);
			break;
		default:
			gw_resp_problem(req, 400, "audit-refused", detail);
			break;
		}
		rc = GW_POLICY_DONE;
	}
	gw_buf_release(&vd.ids);
	gw_buf_release(&vd.log);
	return rc;
}

static enum gw_policy_rc
audit_response(struct gw_req *req, void *arg)
{
	struct verdict	vd;
	struct gw_err	err;
	struct gw_buf	out;
	char		*detail;

	memset(&vd, 0, sizeof(vd));
	vd.req = req;
	vd.st = arg;
	gw_buf_init(&vd.ids, 1024);
	gw_buf_init(&vd.log, 64 * 1024);
	gw_buf_init(&out, 4096);
	if (scan(&vd, GW_STR_NULL, GW_STR_NULL, NULL, 0,
	    gw_resp_captured_body(req), gw_resp_header(req, "Content-Type"),
	    &err) == -1)
		gw_log_warnx("audit_response: %s", err.msg);
	else if (vd.nids > 0 && !vd.st->detect) {
		detail = gw_arena_printf(gw_req_arena(req), "the upstream's "
		    "response was refused by the audit policy: %s%s",
		    gw_buf_cstr(&vd.ids, NULL) == NULL ? "" : vd.ids.p,
		    vd.nids > DETAIL_IDS ? ", ..." : "");
		if (detail != NULL && gw_http_problem_json(&out, 502,
		    "audit-response", detail, gw_req_id(req), NULL) == 0) {
			gw_resp_set_status(req, 502);
			(void)gw_resp_header_set(req, "Content-Type",
			    GW_STR("application/problem+json"));
			(void)gw_resp_replace_body(req, out.p, out.len);
		}
	}
	gw_buf_release(&out);
	gw_buf_release(&vd.ids);
	gw_buf_release(&vd.log);
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_audit = {
	.name = "audit",
	.flags = GW_POLICY_REQUEST_BODY,
	.parse = audit_parse,
	.free = audit_free,
	.request = audit_request,
};

const struct gw_policy_type gw_policy_audit_response = {
	.name = "audit_response",
	.flags = GW_POLICY_RESPONSE_BODY,
	.parse = audit_response_parse,
	.free = audit_free,
	.response = audit_response,
};
