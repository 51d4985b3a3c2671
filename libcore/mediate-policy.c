/*
 * mediate-policy.c: the "mediate" policy of gw-serve routes (mediate.h).
 *
 *	{ "mediate": { "request": "m/req.json", "response": "m/resp.json" } }
 *
 * It loads the two mediations of mediate.c and runs them on requests and
 * responses of gw-serve; mediate.c itself knows nothing of the server, so
 * that gw-mediate links without it (and without what the server links:
 * libcurl, libsystemd, OpenSSL, hiredis, PCRE2).
 *
 * tests/e2e/t0002-docs.sh reads the "keys[] = {" array of this file as
 * configuration keys of gw.conf(5).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "log.h"
#include "mediate.h"
#include "policy.h"
#include "server.h"
#include "soap.h"
#include "str.h"
#include "xml.h"

struct mstate {
	struct gw_mediation	*req;
	struct gw_mediation	*resp;
};

static void
mediate_free(void *arg)
{
	struct mstate *st = arg;

	if (st == NULL)
		return;
	gw_mediation_free(st->req);
	gw_mediation_free(st->resp);
	free(st);
}

static int
load_side(struct gw_jcheck *ck, const struct json_object *v, const char *key,
    struct gw_mediation **out)
{
	struct json_object	*o;
	struct gw_buf		 report;
	struct gw_err		 err;
	char			*name = NULL, *path = NULL;
	size_t			 old;
	int			 rc;

	if ((rc = gw_jcheck_str(ck, v, key, &name)) != 1)
		return rc;
	(void)gw_jv_get(v, key, &o);
	/* errors about the file name are about member key of v */
	old = gw_jcheck_push_key(ck, key);
	gw_buf_init(&report, 64 * 1024);
	if ((path = gw_jcheck_resolve(ck, name)) == NULL) {
		gw_jcheck_error(ck, v, key, o, "name too long");
		rc = -1;
	} else if (gw_mediation_load(path, out, &report, &err) == -1) {
		/* one error of ours for each of the file's */
		const char *p = report.p;
		const char *end = p != NULL ? p + report.len : NULL;

		if (report.len == 0)
			gw_jcheck_error(ck, v, key, o, "%s", err.msg);
		while (p != NULL && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = (size_t)((nl != NULL ? nl : end) - p);

			if (len > 0)
				gw_jcheck_error(ck, v, key, o, "%.*s", (int)len,
				    p);
			p = nl != NULL ? nl + 1 : end;
		}
		rc = -1;
	}
	gw_jcheck_pop(ck, old);
	gw_buf_release(&report);
	free(path);
	free(name);
	return rc;
}

/* xsl:message text of a stylesheet on a route: to the log. */
static void
log_message(void *arg, const char *text)
{
	(void)arg;
	gw_log_info("xsl:message: %s", text);
}

static int
mediate_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "request", "response", NULL };
	struct mstate	*st;
	int		 rc = 0, a, b;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		gw_jcheck_error(ck, parent, key, v, "out of memory");
		return -1;
	}
	gw_xslt_set_message_fn(log_message, NULL);
	if ((a = load_side(ck, v, "request", &st->req)) == -1)
		rc = -1;
	if ((b = load_side(ck, v, "response", &st->resp)) == -1)
		rc = -1;
	if (rc == 0 && a == 0 && b == 0) {
		gw_jcheck_error(ck, parent, key, v, "give a request or a "
		    "response mediation, or both");
		rc = -1;
	}
	if (rc == -1) {
		mediate_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* Variables of a request, for parameters. */
struct rvars {
	struct gw_req	*req;
	int		 response;
};

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append s percent-decoded ('+' a space), as a query's parts are. */
static int
unescape_query(struct gw_str s, struct gw_buf *out, struct gw_err *err)
{
	for (size_t i = 0; i < s.len; i++) {
		int c = (unsigned char)s.p[i];

		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < s.len + 0 && hexv(s.p[i + 1]) >=
		    0 && hexv(s.p[i + 2]) >= 0) {
			c = hexv(s.p[i + 1]) * 16 + hexv(s.p[i + 2]);
			i += 2;
		}
		if (gw_buf_putc(out, c, err) == -1)
			return -1;
	}
	return 0;
}

static int
query_var(struct gw_str q, const char *name, struct gw_buf *out,
    struct gw_err *err)
{
	size_t i = 0, nl = strlen(name);

	while (i < q.len) {
		const char	*amp = memchr(q.p + i, '&', q.len - i);
		size_t		 end = amp != NULL ? (size_t)(amp - q.p) : q.len;
		const char	*eq = memchr(q.p + i, '=', end - i);
		struct gw_str	 k, v;
		struct gw_buf	 dk;
		int		 same;

		k = gw_str_make(q.p + i, (eq != NULL ? (size_t)(eq - q.p) :
		    end) - i);
		v = eq != NULL ? gw_str_make(eq + 1, end - (size_t)(eq + 1 -
		    q.p)) : GW_STR("");
		gw_buf_init(&dk, 0);
		if (unescape_query(k, &dk, err) == -1) {
			gw_buf_release(&dk);
			return -1;
		}
		same = dk.len == nl && memcmp(dk.p, name, nl) == 0;
		gw_buf_release(&dk);
		if (same)
			return unescape_query(v, out, err) == -1 ? -1 : 0;
		i = end + 1;
	}
	return 1;
}

static int
req_var(void *arg, const char *name, struct gw_buf *out, struct gw_err *err)
{
	struct rvars			*rv = arg;
	struct gw_req			*req = rv->req;
	const struct gw_http_head	*h = gw_req_head(req);
	const struct gw_http_header	*f;
	struct gw_str			 s = GW_STR_NULL;

	if (strcmp(name, "method") == 0)
		s = h->method;
	else if (strcmp(name, "path") == 0)
		s = gw_req_path(req);
	else if (strncmp(name, "path.", 5) == 0)
		s = gw_req_param(req, name + 5);
	else if (strncmp(name, "query.", 6) == 0)
		return query_var(h->query, name + 6, out, err);
	else if (strncmp(name, "header.", 7) == 0) {
		if ((f = gw_req_header(req, name + 7)) != NULL)
			s = f->value;
	} else if (strcmp(name, "status") == 0) {
		if (!rv->response)
			return 1;
		return gw_buf_printf(out, err, "%d", gw_resp_status(req)) ==
		    -1 ? -1 : 0;
	} else if (strcmp(name, "request_id") == 0)
		s = gw_str_cstr(gw_req_id(req));
	else if (strcmp(name, "soap.action") == 0)
		s = gw_req_var(req, "mediate.action");
	else if (strcmp(name, "soap.version") == 0)
		s = gw_req_var(req, "mediate.soap");
	else if (strncmp(name, "var.", 4) == 0)
		s = gw_req_var(req, name + 4);
	if (s.p == NULL)
		return 1;
	return gw_buf_append_str(out, s, err) == -1 ? -1 : 0;
}

static enum gw_soap_version
caller_soap(const struct gw_req *req)
{
	struct gw_str v = gw_req_var(req, "mediate.soap");

	if (gw_str_eq(v, GW_STR("1.2")))
		return GW_SOAP_12;
	if (gw_str_eq(v, GW_STR("1.1")))
		return GW_SOAP_11;
	return GW_SOAP_NONE;
}

/* The response replaced by a problem document of ours. */
static void
resp_problem(struct gw_req *req, int status, const char *slug,
    const char *detail)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	if (gw_http_problem_json(&b, status, slug, detail, gw_req_id(req),
	    NULL) == 0 && gw_resp_replace_body(req, b.p, b.len) == 0) {
		gw_resp_set_status(req, status);
		(void)gw_resp_header_set(req, "Content-Type",
		    GW_STR("application/problem+json"));
	}
	gw_buf_release(&b);
}

static enum gw_policy_rc
mediate_request(struct gw_req *req, void *arg)
{
	struct mstate			*st = arg;
	const struct gw_http_header	*ct, *sa;
	struct gw_mediate_run		 r;
	struct rvars			 rv;
	struct gw_buf			 out, act;
	struct gw_err			 err;
	struct gw_str			 body;
	enum gw_soap_version		 v;
	int				 rc;

	ct = gw_req_header(req, "Content-Type");
	sa = gw_req_header(req, "SOAPAction");
	v = ct != NULL ? gw_soap_media_version(ct->value) : GW_SOAP_NONE;
	if (v == GW_SOAP_12 || (v == GW_SOAP_11 && sa != NULL)) {
		gw_buf_init(&act, 0);
		(void)gw_req_var_set(req, "mediate.soap",
		    gw_str_cstr(gw_soap_version_name(v)));
		if (gw_soap_request_action(ct->value, sa != NULL ? sa->value :
		    GW_STR_NULL, &act, NULL) == 0)
			(void)gw_req_var_set(req, "mediate.action",
			    gw_buf_str(&act));
		gw_buf_release(&act);
	}
	/* the response is read whole here: no compression of the upstream */
	if (st->resp != NULL)
		gw_req_header_del(req, "Accept-Encoding");
	if (st->req == NULL)
		return GW_POLICY_NEXT;
	if (!gw_req_has_body(req)) {
		gw_resp_problem(req, 400, "bad-request", "the request has no "
		    "body to mediate");
		return GW_POLICY_DONE;
	}
	body = gw_req_body_peek(req);
	memset(&r, 0, sizeof(r));
	gw_buf_init(&out, 0);
	rv.req = req;
	rv.response = 0;
	r.input = body.p;
	r.len = body.len;
	r.origin = "request body";
	r.var = req_var;
	r.var_arg = &rv;
	r.caller_soap = v;
	r.request_id = gw_req_id(req);
	r.out = &out;
	if ((rc = gw_mediation_run(st->req, &r, &err)) == -1) {
		if (err.code == GW_E_NOMEM)
			gw_resp_problem(req, 500, "internal", "out of memory");
		else if (err.code == GW_E_LIMIT)
			gw_resp_problem(req, 413, "body-too-large", err.msg);
		else
			gw_resp_problem(req, 400, "bad-request", err.msg);
		gw_buf_release(&out);
		return GW_POLICY_DONE;
	}
	if (rc == 1) {
		/* a client that sends a fault: its own fault */
		gw_resp_problem(req, 400, "bad-request", "the request is a SOAP "
		    "fault");
		gw_buf_release(&out);
		return GW_POLICY_DONE;
	}
	if (r.soap_in != GW_SOAP_NONE)
		(void)gw_req_var_set(req, "mediate.soap",
		    gw_str_cstr(gw_soap_version_name(r.soap_in)));
	if (gw_req_set_body(req, out.p != NULL ? out.p : "", out.len) == -1 ||
	    gw_req_header_set(req, "Content-Type",
	    gw_str_cstr(r.content_type)) == -1) {
		gw_buf_release(&out);
		gw_resp_problem(req, 500, "internal", "out of memory");
		return GW_POLICY_DONE;
	}
	gw_buf_release(&out);
	gw_req_header_del(req, "SOAPAction");
	if (r.soap_out == GW_SOAP_11) {
		gw_buf_init(&act, 0);
		if (gw_soap_action_value(r.soap_action, &act, NULL) == 0)
			(void)gw_req_header_set(req, "SOAPAction",
			    gw_buf_str(&act));
		gw_buf_release(&act);
	}
	return GW_POLICY_NEXT;
}

static enum gw_policy_rc
mediate_response(struct gw_req *req, void *arg)
{
	struct mstate		*st = arg;
	struct gw_mediate_run	 r;
	struct rvars		 rv;
	struct gw_buf		 out;
	struct gw_err		 err;
	struct gw_str		 body, ct, ce;
	enum gw_soap_version	 v = caller_soap(req);
	int			 status = gw_resp_status(req), rc;

	if (st->resp == NULL || status < 200 || status == 204 ||
	    status == 304 || gw_req_head(req)->method_id == HTTP_HEAD)
		return GW_POLICY_NEXT;
	body = gw_resp_captured_body(req);
	ct = gw_resp_header(req, "Content-Type");
	ce = gw_str_trim(gw_resp_header(req, "Content-Encoding"));
	gw_buf_init(&out, 0);
	if (gw_mediation_makes_soap(st->resp) && status >= 400) {
		/* a REST error, the gateway's own included: a fault */
		struct gw_buf t;

		if (v == GW_SOAP_NONE)
			v = GW_SOAP_11;
		gw_buf_init(&t, 0);
		if (gw_soap_fault_from_rest(v, status, ct, body, 0, &out,
		    &err) == 0 && gw_soap_content_type(v, NULL, &t,
		    &err) == 0 && gw_resp_replace_body(req, out.p,
		    out.len) == 0) {
			(void)gw_resp_header_set(req, "Content-Type",
			    gw_buf_str(&t));
			gw_resp_set_status(req,
			    gw_soap_fault_http_status(v, status < 500));
		}
		gw_buf_release(&t);
		gw_buf_release(&out);
		return GW_POLICY_NEXT;
	}
	if (status >= 400 && ct.p != NULL && gw_str_has_prefix(gw_str_trim(ct),
	    GW_STR("application/problem+json"))) {
		/* an error the gateway made: it stays as it is */
		gw_buf_release(&out);
		return GW_POLICY_NEXT;
	}
	if (ce.len > 0 && !gw_str_caseeq_cstr(ce, "identity")) {
		resp_problem(req, 502, "bad-gateway", "the upstream response "
		    "has a Content-Encoding and cannot be mediated");
		gw_buf_release(&out);
		return GW_POLICY_NEXT;
	}
	memset(&r, 0, sizeof(r));
	rv.req = req;
	rv.response = 1;
	r.input = body.p;
	r.len = body.len;
	r.origin = "upstream response";
	r.var = req_var;
	r.var_arg = &rv;
	r.caller_soap = v;
	r.request_id = gw_req_id(req);
	r.out = &out;
	rc = gw_mediation_run(st->resp, &r, &err);
	if (rc == -1) {
		gw_log_info("request %s: mediation of the response failed: %s",
		    gw_req_id(req), err.msg);
		if (err.code == GW_E_NOMEM)
			resp_problem(req, 500, "internal", "out of memory");
		else if (gw_mediation_makes_soap(st->resp)) {
			gw_buf_reset(&out);
			if (gw_soap_fault_envelope(v != GW_SOAP_NONE ? v :
			    GW_SOAP_11, 0, NULL, "the upstream response cannot "
			    "be mediated", NULL, &out, NULL) == 0 &&
			    gw_resp_replace_body(req, out.p, out.len) == 0) {
				struct gw_buf t;

				gw_buf_init(&t, 0);
				if (gw_soap_content_type(v, NULL, &t, NULL) ==
				    0)
					(void)gw_resp_header_set(req,
					    "Content-Type", gw_buf_str(&t));
				gw_buf_release(&t);
				gw_resp_set_status(req, 500);
			}
		} else
			resp_problem(req, 502, "bad-gateway", "the upstream "
			    "response cannot be mediated");
		gw_buf_release(&out);
		return GW_POLICY_NEXT;
	}
	if (gw_resp_replace_body(req, out.p != NULL ? out.p : "", out.len) ==
	    -1) {
		resp_problem(req, 500, "internal", "out of memory");
		gw_buf_release(&out);
		return GW_POLICY_NEXT;
	}
	(void)gw_resp_header_set(req, "Content-Type",
	    gw_str_cstr(r.content_type));
	if (rc == 1)
		gw_resp_set_status(req, r.status);
	gw_buf_release(&out);
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_mediate = {
	.name = "mediate",
	.flags = GW_POLICY_REQUEST_BODY | GW_POLICY_RESPONSE_BODY,
	.parse = mediate_parse,
	.free = mediate_free,
	.request = mediate_request,
	.response = mediate_response,
};
