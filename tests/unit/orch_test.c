/*
 * orch_test.c: orchestration scripts, templates, runs and recordings.
 *
 * orch-script.c and orch-tmpl.c are included, not linked, so that their
 * allocations can be failed one at a time (test_nomem()); the rest of the
 * module comes from libcore.a.  Runs go against a small HTTP server on the
 * same loop (tsrv below), whose answers each test chooses by path.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "loop.h"
#include "orch-int.h"
#include "orch.h"
#include "str.h"

#include "tap.h"

/* -1: no failure; N: the Nth allocation from now on fails (0 the next). */
static long fail_countdown = -1;

static int
fail_now(void)
{
	return fail_countdown >= 0 && fail_countdown-- == 0;
}

#define calloc(n, s)	(fail_now() ? NULL : calloc(n, s))
#define strdup(s)	(fail_now() ? NULL : strdup(s))
#define gw_arena_new(c)	(fail_now() ? NULL : gw_arena_new(c))
#define gw_arena_alloc(a, n) (fail_now() ? NULL : gw_arena_alloc(a, n))
#define gw_arena_calloc(a, n, s) \
	(fail_now() ? NULL : gw_arena_calloc(a, n, s))
#define gw_arena_strdup(a, s) (fail_now() ? NULL : gw_arena_strdup(a, s))
#define gw_arena_strndup(a, s, n) \
	(fail_now() ? NULL : gw_arena_strndup(a, s, n))
#define gw_arena_printf(a, ...) \
	(fail_now() ? NULL : gw_arena_printf(a, __VA_ARGS__))
#define gw_arena_defer(a, fn, p) \
	(fail_now() ? ((fn)(p), -1) : gw_arena_defer(a, fn, p))
#define gw_jcheck_new(d, dir, e) (fail_now() ? \
	(gw_err_set((e), GW_E_NOMEM, "out of memory"), NULL) : \
	gw_jcheck_new(d, dir, e))

#include "../../libcore/orch-tmpl.c"
#include "../../libcore/orch-script.c"

#undef calloc
#undef strdup
#undef gw_arena_new
#undef gw_arena_alloc
#undef gw_arena_calloc
#undef gw_arena_strdup
#undef gw_arena_strndup
#undef gw_arena_printf
#undef gw_arena_defer
#undef gw_jcheck_new

/* Helpers. */

static char scratch[256];

static struct gw_orch *
load(const char *text, struct gw_buf *report, struct gw_err *err)
{
	struct gw_orch *o = NULL;

	if (report != NULL)
		gw_buf_reset(report);
	(void)gw_orch_parse(text, strlen(text), "s.json", GW_ORCH_NORESOLVE,
	    &o, report, err);
	return o;
}

/* The script loads; says why not. */
static struct gw_orch *
load_ok(const char *text, const char *what)
{
	struct gw_err	 err;
	struct gw_orch	*o = load(text, NULL, &err);

	if (!ok(o != NULL, "%s: loads", what))
		printf("#   %s\n", err.msg);
	return o;
}

/* The script does not load, and a line of the report holds want. */
static void
load_bad(const char *text, const char *want, const char *what)
{
	struct gw_buf	 report;
	struct gw_err	 err;
	struct gw_orch	*o;
	char		*rep;

	gw_buf_init(&report, 0);
	o = load(text, &report, &err);
	rep = gw_buf_cstr(&report, NULL);
	if (!ok(o == NULL && err.code == GW_E_CONFIG && rep != NULL &&
	    strstr(rep, want) != NULL, "%s", what))
		printf("#   want: %s\n#   got:  %s\n", want, rep != NULL ? rep :
		    "(null)");
	gw_orch_free(o);
	gw_buf_release(&report);
}

/* Templates. */

static void
test_tmpl_parse(void)
{
	static const struct {
		const char	*in;
		size_t		 nparts;
		const char	*err;
	} cases[] = {
		{ "plain", 1, NULL },
		{ "", 0, NULL },
		{ "${a.body}", 1, NULL },
		{ "x${a.body}y", 3, NULL },
		{ "$${a.body}", 2, NULL },
		{ "a$b", 1, NULL },
		{ "${ a.body/x/0 }", 1, NULL },
		{ "${request.params.id}-${request.query.q}", 3, NULL },
		{ "${a.body/x ?? {\"k\": \"}\"}}", 1, NULL },
		{ "${a.body | raw}", 1, NULL },
		{ "${a.body | raw ?? 3}", 1, NULL },
		{ "${item/a~1b~0c}", 1, NULL },
		{ "${index}", 1, NULL },
		{ "${a.headers.Content-Type}", 1, NULL },
		{ "${a.body", 0, "without its '}'" },
		{ "${}", 0, "empty reference" },
		{ "${a}", 0, "needs a member" },
		{ "${a.nope}", 0, "unknown member 'nope'" },
		{ "${a.status/x}", 0, "a JSON Pointer goes only after" },
		{ "${request.query}", 0, "needs a name" },
		{ "${request.body.x}", 0, "unknown member" },
		{ "${a.body | cooked}", 0, "unknown filter 'cooked'" },
		{ "${a.body ?? nope}", 0, "is not one JSON value" },
		{ "${a.body ?? 1 2}", 0, "is not one JSON value" },
		{ "${a.body/~2}", 0, "bad escape" },
		{ "${a.body b}", 0, "unexpected 'b'" },
		{ "${item.x}", 0, "has no members" },
		{ "${a!.body}", 0, "bad step name" },
		{ "${a.xpath(\"/x/y[@k='}']\")}", 1, NULL },
		{ "${a.xpath(\"a\\\"b\") | number | xml}", 1, NULL },
		{ "${a.xpath(\"\")}", 0, "an empty XPath expression" },
		{ "${a.xpath(\"/x\"}", 0, "without its end" },
		{ "${a.body | number ?? 0}", 1, NULL },
	};
	struct gw_arena	*a = gw_arena_new(0);
	struct orch_tmpl t;
	char		 why[512];

	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		int rc = orch_tmpl_parse(a, cases[i].in, strlen(cases[i].in),
		    &t, why, sizeof(why));

		if (cases[i].err == NULL) {
			if (!ok(rc == 0 && t.nparts == cases[i].nparts,
			    "template '%s' parses into %zu parts",
			    cases[i].in, cases[i].nparts))
				printf("#   rc %d, %zu parts: %s\n", rc,
				    t.nparts, rc == 0 ? "" : why);
		} else if (!ok(rc == -1 && strstr(why, cases[i].err) != NULL,
		    "template '%s' is refused: %s", cases[i].in, cases[i].err))
			printf("#   rc %d: %s\n", rc, rc == -1 ? why : "");
	}
	(void)orch_tmpl_parse(a, "x$$y${a.body/p~1q|raw??[1]}", 27, &t, why,
	    sizeof(why));
	ok(t.nparts == 3 && t.parts[0].len == 2 &&
	    memcmp(t.parts[0].lit, "x$", 2) == 0 && t.parts[1].len == 1 &&
	    t.parts[1].lit[0] == 'y', "$$ is one '$'");
	ok(t.nparts == 3 && t.parts[2].ref->src == SRC_STEP_BODY &&
	    t.parts[2].ref->nptr == 1 &&
	    strcmp(t.parts[2].ref->ptr[0], "p/q") == 0 &&
	    t.parts[2].ref->raw && t.parts[2].ref->has_default &&
	    gw_jv_type(t.parts[2].ref->deflt) == GW_JT_ARRAY,
	    "pointer, filter and default of one reference");
	gw_arena_free(a);
}

static void
test_pointer(void)
{
	struct gw_arena			*a = gw_arena_new(0);
	const struct json_object	*root, *v;
	struct gw_err			 err;
	const char			*t1[] = { "a", "1", "b" };
	const char			*t2[] = { "a", "01" };
	const char			*t3[] = { "a", "9" };
	const char			*t4[] = { "n" };
	const char			*t5[] = { "" };
	const char			*doc = "{\"a\":[0,{\"b\":\"x\"}],"
	    "\"n\":null,\"\":5}";

	ok(orch_json_parse(a, doc, strlen(doc), "t", &root, &err) == 0,
	    "a document");
	ok(orch_pointer_get(root, t1, 3, &v) == 1 &&
	    strcmp(gw_jv_str(v, NULL), "x") == 0, "/a/1/b");
	ok(orch_pointer_get(root, t2, 2, &v) == 0, "/a/01: no leading zeros");
	ok(orch_pointer_get(root, t3, 2, &v) == 0, "/a/9: out of range");
	ok(orch_pointer_get(root, t4, 1, &v) == 1 && v == NULL,
	    "/n: a null is found");
	ok(orch_pointer_get(root, t5, 1, &v) == 1 && gw_jv_int(v) == 5,
	    "/: the empty key");
	ok(orch_pointer_get(root, NULL, 0, &v) == 1 && v == root,
	    "no tokens: the root");
	gw_arena_free(a);
}

static void
test_encoding(void)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	ok(orch_url_encode(&b, "a b/c?d=é~._-", 14, NULL) == 0 &&
	    gw_str_eq(gw_buf_str(&b), GW_STR("a%20b%2Fc%3Fd%3D%C3%A9~._-")),
	    "percent-encoding keeps only the unreserved");
	ok(orch_utf8_valid("h\xc3\xa9llo", 6), "UTF-8");
	ok(!orch_utf8_valid("\xc3", 1), "truncated UTF-8");
	ok(!orch_utf8_valid("\xc0\xaf", 2), "overlong UTF-8");
	ok(!orch_utf8_valid("\xed\xa0\x80", 3), "a surrogate");
	ok(!orch_utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF");
	ok(orch_utf8_valid("\xf0\x9f\x98\x80", 4), "an emoji");
	gw_buf_release(&b);
}

/*
 * Evaluation against results made by hand.
 */

struct fake {
	struct gw_arena		*a;
	struct gw_orch		*o;
	struct orch_input	 in;
	struct orch_result	 res[4];
	struct gw_http_header	 h[2];
	struct gw_orch_param	 p[1];
	struct orch_scope	 sc;
};

static void
fake_init(struct fake *f)
{
	static const char script[] =
	    "{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" },"
	    " \"b\": { \"url\": \"http://h:1/\" },"
	    " \"c\": { \"url\": \"http://h:1/\" },"
	    " \"d\": { \"url\": \"http://h:1/\" } } }";
	struct gw_err		 err;
	const char		*body = "{\"n\":7,\"s\":\"x y\",\"o\":{\"k\":[1,2]},"
	    "\"f\":1.50,\"t\":true,\"z\":null,\"e\":\"\"}";

	memset(f, 0, sizeof(*f));
	f->a = gw_arena_new(0);
	f->o = load(script, NULL, &err);
	f->h[0].name = GW_STR("X-Trace");
	f->h[0].value = GW_STR("t-1");
	f->p[0].name = GW_STR("id");
	f->p[0].value = GW_STR("42");
	f->in.method = GW_STR("GET");
	f->in.path = GW_STR("/v1/x");
	f->in.query = GW_STR("q=a%20b&flag&r=1+2");
	f->in.headers = f->h;
	f->in.nheaders = 1;
	f->in.params = f->p;
	f->in.nparams = 1;
	f->in.id = "rid-1";
	f->res[0].state = RES_OK;
	f->res[0].has_status = 1;
	f->res[0].status = 200;
	f->res[0].headers = f->h;
	f->res[0].nheaders = 1;
	f->res[0].has_body = 1;
	f->res[0].is_json = 1;
	(void)orch_json_parse(f->a, body, strlen(body), "b", &f->res[0].json,
	    &err);
	f->res[1].state = RES_SKIPPED;
	f->res[2].state = RES_FAILED;
	f->res[2].error = "boom";
	f->res[3].state = RES_OK;
	f->res[3].has_status = 1;
	f->res[3].status = 201;
	f->res[3].has_body = 1;
	f->res[3].text = GW_STR("plain text");
	f->sc.o = f->o;
	f->sc.in = &f->in;
	f->sc.res = f->res;
	f->sc.arena = f->a;
}

static void
fake_release(struct fake *f)
{
	gw_orch_free(f->o);
	gw_arena_free(f->a);
}

/* Render template text as a string (mode) or JSON: the output, or NULL. */
static const char *
render(struct fake *f, const char *text, int json, enum orch_render_mode mode,
    struct orch_fail *fl)
{
	static struct gw_buf	 out;
	struct orch_tmpl	 t;
	struct orch_jt		 jt;
	char			 why[512];
	int			 rc;

	gw_buf_release(&out);
	gw_buf_init(&out, 0);
	memset(fl, 0, sizeof(*fl));
	if (orch_tmpl_parse(f->a, text, strlen(text), &t, why,
	    sizeof(why)) == -1) {
		(void)snprintf(fl->msg, sizeof(fl->msg), "parse: %.400s", why);
		return NULL;
	}
	/* resolve step names by hand: a, b, c, d */
	for (size_t i = 0; i < t.nparts; i++)
		if (t.parts[i].ref != NULL && t.parts[i].ref->stepname != NULL)
			t.parts[i].ref->step =
			    (size_t)(t.parts[i].ref->stepname[0] - 'a');
	if (json) {
		memset(&jt, 0, sizeof(jt));
		jt.kind = orch_tmpl_single(&t) ? JT_REF : JT_STR;
		jt.t = t;
		rc = orch_jt_render(&jt, &f->sc, &out, fl);
	} else
		rc = orch_tmpl_render(&t, &f->sc, mode, &out, fl);
	if (rc == -1)
		return NULL;
	return gw_buf_cstr(&out, NULL);
}

static void
test_eval(void)
{
	static const struct {
		const char	*in;
		int		 json;
		const char	*want;
	} cases[] = {
		{ "${a.body/n}", 1, "7" },
		{ "${a.body/s}", 1, "\"x y\"" },
		{ "${a.body/o}", 1, "{\"k\":[1,2]}" },
		{ "${a.body/o/k/1}", 1, "2" },
		{ "${a.body/f}", 1, "1.50" },
		{ "${a.body/t}", 1, "true" },
		{ "${a.body/z}", 1, "null" },
		{ "${a.status}", 1, "200" },
		{ "${a.ok}", 1, "true" },
		{ "${a.error}", 1, "null" },
		{ "${c.error}", 1, "\"boom\"" },
		{ "${c.ok}", 1, "false" },
		{ "${a.headers.x-trace}", 1, "\"t-1\"" },
		{ "${d.body}", 1, "\"plain text\"" },
		{ "n=${a.body/n} o=${a.body/o}", 1,
		    "\"n=7 o={\\\"k\\\":[1,2]}\"" },
		{ "${a.body/nope ?? {\"d\": 1}}", 1, "{\"d\":1}" },
		{ "${b.body ?? \"skipped\"}", 1, "\"skipped\"" },
		{ "${request.params.id}", 1, "\"42\"" },
		{ "${request.query.q}", 1, "\"a b\"" },
		{ "${request.query.flag}", 1, "\"\"" },
		{ "${request.query.r}", 1, "\"1 2\"" },
		{ "${request.headers.X-TRACE}", 1, "\"t-1\"" },
		{ "${request.method} ${request.path} ${request.id}", 1,
		    "\"GET /v1/x rid-1\"" },
		{ "/items/${a.body/s}", 0, "/items/x y" },
		{ "${a.body/o}", 0, "{\"k\":[1,2]}" },
	};
	struct fake		 f;
	struct orch_fail	 fl;
	const char		*got;

	fake_init(&f);
	ok(f.o != NULL, "a script for the references");
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		got = render(&f, cases[i].in, cases[i].json, RENDER_PLAIN, &fl);
		is_str(got, cases[i].want, "%s gives %s", cases[i].in,
		    cases[i].want);
		if (got == NULL)
			printf("#   %s\n", fl.msg);
	}
	got = render(&f, "/items/${a.body/s}?o=${a.body/o}", 0, RENDER_URL,
	    &fl);
	is_str(got, "/items/x%20y?o=%7B%22k%22%3A%5B1%2C2%5D%7D",
	    "values are percent-encoded in URLs");
	got = render(&f, "/p/${request.path | raw}", 0, RENDER_URL, &fl);
	is_str(got, "/p//v1/x", "| raw keeps a value as it is");

	/* missing values: an error naming what is missing, and the step */
	got = render(&f, "${a.body/missing}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "${a.body/missing}: the body of step "
	    "'a' has no /missing") != NULL && fl.step != NULL &&
	    strcmp(fl.step, "a") == 0, "a missing member names the step: %s",
	    fl.msg);
	got = render(&f, "${b.status}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "was skipped") != NULL,
	    "a skipped step has no values: %s", fl.msg);
	got = render(&f, "${c.body}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "boom") != NULL,
	    "a failed step says why: %s", fl.msg);
	got = render(&f, "${d.body/x}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "is not JSON") != NULL,
	    "a pointer into a text body: %s", fl.msg);
	got = render(&f, "${a.headers.nope}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "without a 'nope' field") != NULL,
	    "a missing field: %s", fl.msg);
	got = render(&f, "${request.query.none}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && fl.step == NULL && strstr(fl.msg, "no query "
	    "parameter 'none'") != NULL, "a missing query parameter: %s",
	    fl.msg);
	got = render(&f, "${request.body}", 1, RENDER_PLAIN, &fl);
	ok(got == NULL && strstr(fl.msg, "has no body") != NULL,
	    "no request body: %s", fl.msg);
	fake_release(&f);
}

static void
test_cond(void)
{
	static const struct {
		const char	*when;
		int		 want;
	} cases[] = {
		{ "true", 1 },
		{ "false", 0 },
		{ "\"${a.body/t}\"", 1 },
		{ "\"${a.body/z}\"", 0 },
		{ "\"${a.body/e}\"", 0 },
		{ "\"${a.body/n}\"", 1 },
		{ "\"${a.body/o}\"", 1 },
		{ "\"${a.body/nope}\"", 0 },
		{ "\"${b.ok}\"", 0 },
		{ "\"${c.ok}\"", 0 },
		{ "{\"not\": \"${c.ok}\"}", 1 },
		{ "{\"eq\": [\"${a.body/n}\", 7]}", 1 },
		{ "{\"eq\": [\"${a.body/n}\", 7.0]}", 1 },
		{ "{\"eq\": [\"${a.body/n}\", \"7\"]}", 0 },
		{ "{\"eq\": [\"${a.status}\", 200]}", 1 },
		{ "{\"eq\": [\"${a.body/s}\", \"x y\"]}", 1 },
		{ "{\"eq\": [\"${a.body/o}\", {\"k\": [1, 2]}]}", 1 },
		{ "{\"ne\": [\"${a.body/s}\", \"x\"]}", 1 },
		{ "{\"eq\": [\"${a.body/nope}\", null]}", 1 },
		{ "{\"and\": [true, \"${a.ok}\", {\"not\": false}]}", 1 },
		{ "{\"and\": [true, \"${c.ok}\"]}", 0 },
		{ "{\"or\": [false, \"${c.ok}\", \"${a.ok}\"]}", 1 },
		{ "{\"or\": [false, \"${b.ok}\"]}", 0 },
	};
	struct fake	f;
	char		script[1024];

	fake_init(&f);
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct gw_orch		*o;
		struct gw_err		 err;
		struct orch_fail	 fl;
		int			 got = -1;

		(void)snprintf(script, sizeof(script), "{ \"steps\": {"
		    " \"a\": { \"url\": \"http://h:1/\" },"
		    " \"b\": { \"url\": \"http://h:1/\" },"
		    " \"c\": { \"url\": \"http://h:1/\" },"
		    " \"d\": { \"url\": \"http://h:1/\" },"
		    " \"e\": { \"url\": \"http://h:1/\", \"when\": %s } } }",
		    cases[i].when);
		o = load(script, NULL, &err);
		if (o == NULL) {
			ok(0, "when %s: %s", cases[i].when, err.msg);
			continue;
		}
		f.sc.o = o;
		ok(orch_cond_eval(o->steps[4].when, &f.sc, &got, &fl) == 0 &&
		    got == cases[i].want, "when %s is %s", cases[i].when,
		    cases[i].want ? "true" : "false");
		f.sc.o = f.o;
		gw_orch_free(o);
	}
	fake_release(&f);
}

/* Loading. */

static void
test_load(void)
{
	struct gw_orch	*o;
	struct gw_buf	 b;
	struct gw_err	 err;

	o = load_ok("// a comment\n{ \"deadline_ms\": 500,\n"
	    "  \"services\": { \"books\": \"http://127.0.0.1:9/base/\" },\n"
	    "  \"steps\": {\n"
	    "    \"lookup\": { \"url\": \"http://127.0.0.1:9/l/${request.params.id}\" },\n"
	    "    \"itm\": { \"service\": \"${lookup.body/svc}\",\n"
	    "                \"path\": \"/i/${lookup.body/id}\" },\n"
	    "    \"rev\": { \"url\": \"http://127.0.0.1:9?r=${item}\",\n"
	    "               \"foreach\": \"${lookup.body/r}\", \"concurrency\": 3,\n"
	    "               \"optional\": true, \"fallback\": null },\n"
	    "    \"post\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:9/p\",\n"
	    "                \"json\": { \"id\": \"${lookup.body/id}\", \"k\": [1] },\n"
	    "                \"when\": { \"eq\": [\"${itm.status}\", 200] },\n"
	    "                \"expect\": [201, \"2xx\"], \"parse\": \"json\" },\n"
	    "    \"fix\": { \"service\": \"books\", \"retries\": 2,\n"
	    "               \"timeout_ms\": 100, \"backoff_ms\": 5 }\n"
	    "  },\n"
	    "  \"response\": { \"status\": \"${itm.status}\",\n"
	    "    \"headers\": { \"X-A\": \"${lookup.body/id}\" },\n"
	    "    \"json\": { \"r\": \"${rev.body}\" } } }\n", "a full script");
	if (o != NULL) {
		ok(o->nsteps == 5 && o->deadline_ms == 500, "5 steps, 500 ms");
		ok(o->steps[1].ndeps == 1 && o->steps[1].deps[0] == 0 &&
		    !o->steps[1].has_target, "itm waits for lookup, its "
		    "service is a template");
		ok(o->steps[2].foreach.nparts == 1 &&
		    o->steps[2].concurrency == 3 &&
		    strcmp(o->targets[o->steps[2].target].url,
		    "http://127.0.0.1:9") == 0 &&
		    o->steps[2].path.nparts == 2, "a URL with a query and no "
		    "path gets '/'");
		ok(o->steps[3].ndeps == 2 && !o->steps[3].idempotent &&
		    o->steps[3].nexpect == 2 && o->steps[3].body_kind ==
		    BODY_JSON && o->steps[3].json.kind == JT_OBJ,
		    "post: its condition counts as a dependency");
		ok(o->steps[4].has_target && strcmp(o->targets[
		    o->steps[4].target].base, "/base") == 0 &&
		    o->steps[4].retries == 2, "a service with a base path");
		ok(o->resp.status == 0 && o->resp.ndeps == 3,
		    "the response waits for what it refers to");
		gw_buf_init(&b, 0);
		ok(gw_orch_describe(o, 0, &b, &err) == 0 && strstr(gw_buf_cstr(&b,
		    NULL), "1 lookup\n2 itm <- lookup\n2 rev <- lookup "
		    "(foreach, optional)\n3 post <- lookup, itm (when)\n"
		    "1 fix (retries)\nresponse <- lookup, itm, rev\n") != NULL,
		    "the graph in waves");
		gw_buf_reset(&b);
		ok(gw_orch_describe(o, 1, &b, &err) == 0 && strstr(gw_buf_cstr(&b,
		    NULL), "\"itm\" -> \"post\";") != NULL, "the graph for "
		    "Graphviz");
		gw_buf_release(&b);
	}
	gw_orch_free(o);

	/* every error, where it is */
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/${lokup.body}\" },"
	    " \"lookup\": { \"url\": \"http://h:1/\" } } }",
	    "s.json:1:28: steps.a.url: ${lokup.body}: unknown step 'lokup'; did "
	    "you mean 'lookup'?", "an unknown step, with a suggestion");
	load_bad("{ \"steps\": {\n \"a\": { \"url\": \"http://h:1/${b.body}\" },\n"
	    " \"b\": { \"url\": \"http://h:1/${c.status}\" },\n"
	    " \"c\": { \"url\": \"http://h:1/${a.ok}\" } } }",
	    "s.json:2:7: steps.a: the steps wait for each other in a cycle: a -> "
	    "b -> c -> a", "a cycle");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/${a.body}\" } } }",
	    "cycle: a -> a", "a step that waits for itself");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://${request.params.h}/\" }"
	    " } }", "the host of a URL cannot be a template",
	    "a templated host is refused");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/${item}\" } } }",
	    "'item' is only known in the templates of a step with \"foreach\"",
	    "item outside of foreach");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"foreach\": \"${item}\" } } }", "'item' is only known",
	    "item in the foreach itself");
	load_bad("{ \"steps\": { \"a\": { \"method\": \"POST\", \"url\": "
	    "\"http://h:1/\", \"retries\": 1 } } }", "only idempotent calls are "
	    "retried", "no retries for POST");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"headers\": { \"Content-Length\": \"5\" } } } }",
	    "steps.a.headers.Content-Length: 'Content-Length' is set by the "
	    "client itself", "framing fields");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"ftp://h/\" } } }",
	    "must start with http:// or https://", "a scheme");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:0/\" } } }",
	    "bad port", "port 0");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"fallback\": 1 } } }", "\"fallback\" goes with \"optional\": "
	    "true", "a fallback needs optional");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"concurrency\": 2 } } }", "\"concurrency\" goes with "
	    "\"foreach\"", "concurrency without foreach");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"tiemout_ms\": 2 } } }", "unknown key 'tiemout_ms'; did you "
	    "mean 'timeout_ms'?", "a typo");
	load_bad("{ \"steps\": { \"request\": { \"url\": \"http://h:1/\" } } }",
	    "'request' cannot name a step", "a reserved name");
	load_bad("{ \"steps\": { \"9a\": { \"url\": \"http://h:1/\" } } }",
	    "bad step name '9a'", "a name starting with a digit");
	load_bad("{ \"steps\": {} }", "expected an object of steps",
	    "no steps");
	load_bad("{ \"step\": {} }", "unknown key 'step'; did you mean "
	    "'steps'?", "a typo at the top");
	load_bad("{ \"steps\": { \"a\": { \"service\": \"bokos\" } },"
	    " \"services\": { \"books\": \"http://h:1\" } }",
	    "unknown service 'bokos'; did you mean 'books'?", "an unknown "
	    "service");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"foreach\": \"${b.body}\" },"
	    " \"b\": { \"url\": \"http://h:1/${a.headers.x}\" } } }",
	    "makes one call per item: it has no single header fields",
	    "fields of a foreach step");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"when\": \"yes ${a.ok}\" } } }", "a condition is one reference",
	    "a condition that is not one reference");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"when\": { \"eqq\": [1, 1] } } } }", "unknown condition 'eqq'; "
	    "did you mean 'eq'?", "an unknown condition");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } },"
	    " \"response\": { \"status\": 700 } }", "response.status: must be "
	    "from 100 to 599", "a bad status");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"expect\": [\"6xx\"] } } }", "expected a status from 100 to 599",
	    "a bad expectation");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } },"
	    " \"response\": { \"json\": { \"x\": \"${item}\" } } }",
	    "'item' is only known", "item in the response");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"json\": 1, \"body\": \"x\" } } }", "give \"json\" or \"body\"",
	    "two bodies");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } } ",
	    "s.json:1:", "a syntax error has a position");
	load_bad("{ \"steps\": { \"a\": {} } }", "a step needs \"url\", or "
	    "\"service\" and \"path\"", "a step without a target");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } },"
	    " \"response\": { \"body\": \"${a.xpath(\\\"//x[\\\")}\" } }",
	    "${a.xpath(\"//x[\")}: ", "a bad XPath expression");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } },"
	    " \"response\": { \"body\": \"${a.xpath(\\\"/p:x\\\")}\" } }",
	    "${a.xpath(\"/p:x\")}: ", "an XPath prefix not declared");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\", \"foreach\": \"[]\" } },"
	    " \"response\": { \"body\": \"${a.xpath(\\\"/x\\\")}\" } }",
	    "expected one reference", "foreach needs a reference");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\" } },"
	    " \"response\": { \"xslt\": \"/nonexistent/x.xsl\" } }",
	    "response.xslt: ", "a missing stylesheet");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"xml_to_json\": true, \"parse\": \"json\" } } }",
	    "\"xml_to_json\" reads XML answers", "xml_to_json and parse json");
	load_bad("{ \"services\": { \"s\": { \"url\": \"http://h:1\","
	    " \"ca_file\": \"/etc/hostname\" } },"
	    " \"steps\": { \"a\": { \"service\": \"s\" } } }",
	    "services.s.ca_file: \"ca_file\" goes with an https:// service",
	    "a CA file for plain http");
	load_bad("{ \"services\": { \"s\": { \"url\": \"https://h\","
	    " \"ca_file\": \"/nonexistent.pem\" } },"
	    " \"steps\": { \"a\": { \"service\": \"s\" } } }",
	    "cannot open '/nonexistent.pem'", "a missing CA file");
	load_bad("{ \"services\": { \"s\": { \"uri\": \"https://h\" } },"
	    " \"steps\": { \"a\": { \"service\": \"s\" } } }",
	    "unknown key 'uri'; did you mean 'url'?", "a service object");
	load_bad("{ \"namespaces\": { \"1x\": \"urn:a\" },"
	    " \"steps\": { \"a\": { \"url\": \"http://h:1/\" } } }",
	    "'1x' is not a prefix", "a bad prefix");
}

static void
test_load_file(void)
{
	struct gw_orch	*o = NULL;
	struct gw_err	 err;
	char		 path[300];
	FILE		*fp;

	ok(gw_orch_load_file("/nonexistent/s.json", 0, &o, NULL, &err) == -1 &&
	    err.code == GW_E_NOTFOUND && o == NULL, "a missing file");
	(void)snprintf(path, sizeof(path), "%s/s.json", scratch);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fputs("{ \"steps\": { \"a\": { \"url\": \"http://localhost:1/\" } } }",
	    fp);
	fclose(fp);
	ok(gw_orch_load_file(path, 0, &o, NULL, &err) == 0 &&
	    o->targets[0].resolved, "a file, with its host resolved");
	ok(o != NULL && strcmp(gw_orch_origin(o), path) == 0, "its origin");
	gw_orch_free(o);
}

/*
 * A small HTTP server on the loop, answering by path:
 *	/json/TEXT		200 {"v":"TEXT"}
 *	/slow/MS/TEXT		the same after MS ms
 *	/item/ID		200 {"id":"ID","sku":"s-ID","list":["a","b","c"]}
 *	/status/N		N {"code":N}
 *	/flaky			503 the first time, then 200 {"ok":true}
 *	/hang			nothing, ever
 *	/echo			200, the request body with its type
 *	/text			200 text/plain "hello"
 *	/notjson		200 application/json "nope"
 *	/big			200 with 300000 bytes
 *	/garbage		bytes that are not HTTP
 *	/xml			200 application/xml, a stock document
 *	/badxml			200 application/xml "<a>"
 *	/soap			200, a SOAP 1.1 envelope answering GetStock
 *	/soapfault		500, a SOAP 1.1 Client fault
 */

struct tconn {
	struct tsrv	*s;
	int		 fd;
	struct gw_io	 io;
	struct gw_timer	 t;
	char		 buf[16384];
	size_t		 len;
	char		 out[8192];
	size_t		 outlen;
	int		 busy;
	int		 used;
};

struct tsrv {
	struct gw_loop	*loop;
	int		 fd;
	struct gw_io	 io;
	int		 port;
	struct tconn	 c[64];
	int		 inflight;
	int		 max_inflight;
	int		 flaky;
	int		 requests;
	char		 seen[8192];
	char		 lasthead[4096];
};

static void
tconn_close(struct tconn *c)
{
	gw_io_stop(&c->io);
	gw_timer_stop(&c->t);
	(void)close(c->fd);
	if (c->busy)
		c->s->inflight--;
	c->used = 0;
	c->busy = 0;
}

static void
tconn_send(struct gw_timer *t)
{
	struct tconn *c = t->arg;

	if (write(c->fd, c->out, c->outlen) != (ssize_t)c->outlen) {
		tconn_close(c);
		return;
	}
	c->busy = 0;
	c->s->inflight--;
}

static void
tconn_reply(struct tconn *c, int status, const char *ctype, const char *body,
    size_t blen, long delay_ms)
{
	int n = snprintf(c->out, sizeof(c->out), "HTTP/1.1 %d X\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", status, ctype,
	    blen);

	if ((size_t)n + blen > sizeof(c->out))
		blen = 0;
	memcpy(c->out + n, body, blen);
	c->outlen = (size_t)n + blen;
	gw_timer_start(c->s->loop, &c->t, (uint64_t)delay_ms * 1000, tconn_send,
	    c);
}

static void
tconn_handle(struct tconn *c, const char *method, const char *target,
    const char *body, size_t blen, const char *ctype)
{
	struct tsrv	*s = c->s;
	char		 b[512];
	long		 ms;
	int		 n;

	s->requests++;
	(void)snprintf(s->seen + strlen(s->seen), sizeof(s->seen) -
	    strlen(s->seen), "%s %s%s%.*s\n", method, target, blen > 0 ?
	    " " : "", (int)blen, body);
	c->busy = 1;
	if (++s->inflight > s->max_inflight)
		s->max_inflight = s->inflight;
	if (strncmp(target, "/json/", 6) == 0) {
		n = snprintf(b, sizeof(b), "{\"v\":\"%s\"}", target + 6);
		tconn_reply(c, 200, "application/json", b, (size_t)n, 0);
	} else if (strncmp(target, "/slow/", 6) == 0) {
		char *end;

		ms = strtol(target + 6, &end, 10);
		n = snprintf(b, sizeof(b), "{\"v\":\"%s\"}", end + 1);
		tconn_reply(c, 200, "application/json", b, (size_t)n, ms);
	} else if (strncmp(target, "/item/", 6) == 0) {
		n = snprintf(b, sizeof(b), "{\"id\":\"%s\",\"sku\":\"s-%s\","
		    "\"list\":[\"a\",\"b\",\"c\"]}", target + 6, target + 6);
		tconn_reply(c, 200, "application/json", b, (size_t)n, 0);
	} else if (strncmp(target, "/status/", 8) == 0) {
		int st = (int)strtol(target + 8, NULL, 10);

		n = snprintf(b, sizeof(b), "{\"code\":%d}", st);
		tconn_reply(c, st, "application/json", b, (size_t)n, 0);
	} else if (strcmp(target, "/flaky") == 0) {
		if (s->flaky++ == 0)
			tconn_reply(c, 503, "text/plain", "busy", 4, 0);
		else
			tconn_reply(c, 200, "application/json", "{\"ok\":true}",
			    11, 0);
	} else if (strcmp(target, "/hang") == 0) {
		/* nothing */
	} else if (strcmp(target, "/echo") == 0)
		tconn_reply(c, 200, ctype, body, blen, 0);
	else if (strcmp(target, "/text") == 0)
		tconn_reply(c, 200, "text/plain", "hello", 5, 0);
	else if (strcmp(target, "/xml") == 0) {
		static const char x[] = "<s:stock xmlns:s=\"urn:stock\">"
		    "<s:count>3</s:count><s:sku>b&amp;1</s:sku></s:stock>";

		tconn_reply(c, 200, "application/xml", x, sizeof(x) - 1, 0);
	} else if (strcmp(target, "/soap") == 0) {
		static const char x[] = "<soap:Envelope xmlns:soap=\""
		    "http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
		    "<s:GetStockResponse xmlns:s=\"urn:stock\"><s:count>3"
		    "</s:count></s:GetStockResponse></soap:Body></soap:Envelope>";

		tconn_reply(c, 200, "text/xml; charset=utf-8", x, sizeof(x) - 1,
		    0);
	} else if (strcmp(target, "/soapfault") == 0) {
		static const char x[] = "<soap:Envelope xmlns:soap=\""
		    "http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
		    "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>"
		    "no such sku</faultstring></soap:Fault></soap:Body>"
		    "</soap:Envelope>";

		tconn_reply(c, 500, "text/xml; charset=utf-8", x, sizeof(x) - 1,
		    0);
	} else if (strcmp(target, "/badxml") == 0)
		tconn_reply(c, 200, "text/xml; charset=utf-8", "<a>", 3, 0);
	else if (strcmp(target, "/notjson") == 0)
		tconn_reply(c, 200, "application/json", "nope", 4, 0);
	else if (strcmp(target, "/big") == 0) {
		static char big[300000];

		memset(big, 'a', sizeof(big));
		n = snprintf(b, sizeof(b), "HTTP/1.1 200 OK\r\nContent-Length: "
		    "%zu\r\n\r\n", sizeof(big));
		if (write(c->fd, b, (size_t)n) != n ||
		    write(c->fd, big, sizeof(big)) != (ssize_t)sizeof(big))
			printf("# short write\n");
		c->busy = 0;
		s->inflight--;
	} else if (strcmp(target, "/garbage") == 0) {
		if (write(c->fd, "garbage\r\n\r\n", 11) != 11)
			printf("# short write\n");
		tconn_close(c);
	} else
		tconn_reply(c, 404, "application/json", "{}", 2, 0);
}

static void
tconn_read(struct gw_io *io, uint32_t events)
{
	struct tconn	*c = io->arg;
	ssize_t		 n;
	char		*end, method[16], target[1024], ctype[128];
	size_t		 hl, clen = 0;

	(void)events;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1);
	if (n <= 0) {
		tconn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	while ((end = strstr(c->buf, "\r\n\r\n")) != NULL) {
		char *cl;

		hl = (size_t)(end - c->buf) + 4;
		(void)snprintf(ctype, sizeof(ctype), "text/plain");
		if ((cl = strcasestr(c->buf, "\r\ncontent-length:")) != NULL &&
		    cl < end)
			clen = strtoul(cl + 17, NULL, 10);
		if ((cl = strcasestr(c->buf, "\r\ncontent-type:")) != NULL &&
		    cl < end) {
			size_t k = strcspn(cl + 15, "\r");

			(void)snprintf(ctype, sizeof(ctype), "%.*s", (int)k,
			    cl + 15);
		}
		if (c->len < hl + clen)
			return;
		if (sscanf(c->buf, "%15s %1023s", method, target) != 2) {
			tconn_close(c);
			return;
		}
		(void)snprintf(c->s->lasthead, sizeof(c->s->lasthead), "%.*s",
		    (int)hl, c->buf);
		tconn_handle(c, method, target, c->buf + hl, clen, ctype);
		if (!c->used)
			return;
		memmove(c->buf, c->buf + hl + clen, c->len - hl - clen);
		c->len -= hl + clen;
		c->buf[c->len] = '\0';
	}
}

static void
tsrv_accept(struct gw_io *io, uint32_t events)
{
	struct tsrv	*s = io->arg;
	int		 fd;

	(void)events;
	if ((fd = accept(s->fd, NULL, NULL)) == -1)
		return;
	for (size_t i = 0; i < GW_ARRAY_LEN(s->c); i++)
		if (!s->c[i].used) {
			struct tconn *c = &s->c[i];

			memset(c, 0, sizeof(*c));
			c->s = s;
			c->fd = fd;
			c->used = 1;
			(void)gw_io_start(s->loop, &c->io, fd, EPOLLIN,
			    tconn_read, c, NULL);
			return;
		}
	(void)close(fd);
}

static int
tsrv_start(struct tsrv *s, struct gw_loop *loop)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	if ((s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s->fd, 64) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&sin, &sl) == -1)
		return -1;
	s->port = ntohs(sin.sin_port);
	return gw_io_start(loop, &s->io, s->fd, EPOLLIN, tsrv_accept, s, NULL);
}

static void
tsrv_stop(struct tsrv *s)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(s->c); i++)
		if (s->c[i].used)
			tconn_close(&s->c[i]);
	gw_io_stop(&s->io);
	(void)close(s->fd);
}

/* Running scripts against it. */

struct outcome {
	int		 done;
	int		 status;
	int		 failed;
	char		 step[64];
	char		 body[4096];
	char		 headers[1024];
	uint64_t	 us;
};

static void
on_done(void *arg, const struct gw_orch_response *r)
{
	struct outcome *out = arg;

	out->done = 1;
	out->status = r->status;
	out->failed = r->failed;
	(void)snprintf(out->step, sizeof(out->step), "%s", r->step != NULL ?
	    r->step : "");
	(void)snprintf(out->body, sizeof(out->body), "%.*s", (int)r->body.len,
	    r->body.p);
	out->headers[0] = '\0';
	for (size_t i = 0; i < r->nheaders; i++)
		(void)snprintf(out->headers + strlen(out->headers),
		    sizeof(out->headers) - strlen(out->headers), "%.*s: %.*s\n",
		    (int)r->headers[i].name.len, r->headers[i].name.p,
		    (int)r->headers[i].value.len, r->headers[i].value.p);
}

static struct gw_loop	*loop;
static struct gw_orch_env *env;
static struct tsrv	 srv;

/* Script text with every "PORT" replaced by the server's port. */
static char *
with_port(const char *text)
{
	static char	out[8192];
	char		port[16];
	size_t		o = 0;

	(void)snprintf(port, sizeof(port), "%d", srv.port);
	while (*text != '\0' && o < sizeof(out) - 8) {
		if (strncmp(text, "PORT", 4) == 0) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s",
			    port);
			text += 4;
		} else
			out[o++] = *text++;
	}
	out[o] = '\0';
	return out;
}

/* Run text (its PORTs filled in) for rq; opts may be NULL. */
static int
run_script(const char *text, const struct gw_orch_request *rq,
    const struct gw_orch_opts *opts, unsigned flags, struct outcome *out)
{
	struct gw_orch		*o = NULL;
	struct gw_orch_run	*run;
	struct gw_orch_request	 empty;
	struct gw_err		 err;
	uint64_t		 t0;
	const char		*t = with_port(text);

	memset(out, 0, sizeof(*out));
	memset(&empty, 0, sizeof(empty));
	if (gw_orch_parse(t, strlen(t), "run.json", flags, &o, NULL, &err) ==
	    -1) {
		printf("# load: %s\n", err.msg);
		return -1;
	}
	t0 = gw_clock_us();
	if ((run = gw_orch_start(o, env, rq != NULL ? rq : &empty, opts,
	    on_done, out, &err)) == NULL) {
		printf("# start: %s\n", err.msg);
		gw_orch_free(o);
		return -1;
	}
	ok(!out->done, "done is never called from inside gw_orch_start");
	while (!out->done)
		if (gw_loop_once(loop, 5000, &err) == -1)
			break;
	out->us = gw_clock_us() - t0;
	gw_orch_run_free(run);
	gw_orch_free(o);
	return 0;
}

static void
test_run_basic(void)
{
	struct outcome		 out;
	struct gw_orch_request	 rq;
	struct gw_orch_param	 p = { GW_STR("id"), GW_STR("7") };

	memset(&rq, 0, sizeof(rq));
	rq.params = &p;
	rq.nparams = 1;
	rq.request_id = "req-1";
	srv.seen[0] = '\0';
	ok(run_script("{ \"steps\": {"
	    " \"lookup\": { \"url\": \"http://127.0.0.1:PORT/item/${request.params.id}\" },"
	    " \"a\": { \"url\": \"http://127.0.0.1:PORT/json/${lookup.body/sku}\" },"
	    " \"b\": { \"url\": \"http://127.0.0.1:PORT/text\" },"
	    " \"post\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:PORT/echo\","
	    "   \"json\": { \"sku\": \"${lookup.body/sku}\", \"list\": \"${lookup.body/list}\","
	    "     \"n\": \"${lookup.status}\", \"s\": \"id ${lookup.body/id}\" } } },"
	    " \"response\": { \"status\": 203,"
	    "   \"headers\": { \"X-Sku\": \"${lookup.body/sku}\" },"
	    "   \"json\": { \"a\": \"${a.body/v}\", \"b\": \"${b.body}\","
	    "     \"echo\": \"${post.body}\", \"lit\": [1, \"$$\"] } } }",
	    &rq, NULL, 0, &out) == 0 && out.done, "a composition runs");
	is_int(out.status, 203, "its status");
	is_str(out.body, "{\"a\":\"s-7\",\"b\":\"hello\",\"echo\":{\"sku\":\"s-7\","
	    "\"list\":[\"a\",\"b\",\"c\"],\"n\":200,\"s\":\"id 7\"},"
	    "\"lit\":[1,\"$\"]}\n", "its body: typed values in place");
	ok(strstr(out.headers, "X-Sku: s-7\n") != NULL &&
	    strstr(out.headers, "Content-Type: application/json\n") != NULL,
	    "its fields");
	ok(strstr(srv.seen, "GET /item/7\n") != NULL &&
	    strstr(srv.seen, "GET /json/s-7\n") != NULL, "the calls went out");

	/* a method from a template, checked when it runs */
	srv.seen[0] = '\0';
	ok(run_script("{ \"steps\": {"
	    " \"m\": { \"method\": \"${request.method}\", \"url\": \"http://127.0.0.1:PORT/echo\","
	    "   \"body\": \"x\", \"retries\": 1 },"
	    " \"bad\": { \"method\": \"${request.path}\", \"url\": \"http://127.0.0.1:PORT/echo\","
	    "   \"optional\": true } },"
	    " \"response\": { \"json\": \"${bad.error}\" } }",
	    &(struct gw_orch_request){ .method = GW_STR("PUT"),
	    .path = GW_STR("/p") }, NULL, 0, &out) == 0 &&
	    strstr(srv.seen, "PUT /echo x\n") != NULL &&
	    strstr(out.body, "the method '/p' is not upper-case letters") !=
	    NULL, "a method template: %s", out.body);

	/* the default response: every body by step name */
	ok(run_script("{ \"steps\": {"
	    " \"x\": { \"url\": \"http://127.0.0.1:PORT/json/1\" },"
	    " \"y\": { \"url\": \"http://127.0.0.1:PORT/text\" } } }",
	    NULL, NULL, 0, &out) == 0, "a script without a response");
	is_str(out.body, "{\"x\":{\"v\":\"1\"},\"y\":\"hello\"}\n",
	    "the default response");
}

static void
test_run_parallel(void)
{
	struct outcome out;

	srv.max_inflight = 0;
	ok(run_script("{ \"steps\": {"
	    " \"a\": { \"url\": \"http://127.0.0.1:PORT/slow/200/a\" },"
	    " \"b\": { \"url\": \"http://127.0.0.1:PORT/slow/200/b\" },"
	    " \"c\": { \"url\": \"http://127.0.0.1:PORT/slow/200/c\" } },"
	    " \"response\": { \"body\": \"${a.body/v}${b.body/v}${c.body/v}\" } }",
	    NULL, NULL, 0, &out) == 0, "three slow calls");
	is_str(out.body, "abc", "their results");
	ok(out.us < 450000, "they ran at once: %llu us, not 600000",
	    (unsigned long long)out.us);
	is_int(srv.max_inflight, 3, "three in flight at the server");

	/* foreach: the concurrency limit, results in item order */
	srv.max_inflight = 0;
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/1\" },"
	    " \"each\": { \"url\": \"http://127.0.0.1:PORT/slow/${index}00/${item}\","
	    "   \"foreach\": \"${l.body/list}\", \"concurrency\": 2 } },"
	    " \"response\": { \"json\": { \"b\": \"${each.body}\","
	    "   \"s\": \"${each.status}\" } } }",
	    NULL, NULL, 0, &out) == 0, "a foreach");
	is_str(out.body, "{\"b\":[{\"v\":\"a\"},{\"v\":\"b\"},{\"v\":\"c\"}],"
	    "\"s\":[200,200,200]}\n", "results in item order, the slowest "
	    "first");
	is_int(srv.max_inflight, 2, "two in flight at most");

	/* a foreach over nothing */
	ok(run_script("{ \"steps\": {"
	    " \"each\": { \"url\": \"http://127.0.0.1:PORT/json/${item}\","
	    "   \"foreach\": \"${request.body ?? []}\" } },"
	    " \"response\": { \"json\": \"${each.body}\" } }",
	    NULL, NULL, 0, &out) == 0, "a foreach over no items");
	is_str(out.body, "[]\n", "an empty array");
}

static void
test_run_faults(void)
{
	struct outcome out;

	/* a required step that fails: 502 naming it */
	ok(run_script("{ \"steps\": {"
	    " \"ok1\": { \"url\": \"http://127.0.0.1:PORT/json/1\" },"
	    " \"bad\": { \"url\": \"http://127.0.0.1:PORT/status/500\" } } }",
	    NULL, NULL, 0, &out) == 0, "a failing step");
	ok(out.failed && out.status == 502 && strcmp(out.step, "bad") == 0 &&
	    strstr(out.body, "\"type\":\"urn:gw:problem:bad-gateway\"") !=
	    NULL && strstr(out.body, "\"step\":\"bad\"") != NULL &&
	    strstr(out.body, "answered 500 Internal Server Error: "
	    "\\\"{\\\"code\\\":500}\\\"") != NULL, "502 naming the step and "
	    "what it got: %s", out.body);
	ok(strstr(out.headers, "Content-Type: application/problem+json") !=
	    NULL, "as problem+json");

	/* optional: the fallback stands in */
	ok(run_script("{ \"steps\": {"
	    " \"bad\": { \"url\": \"http://127.0.0.1:PORT/status/404\","
	    "   \"optional\": true, \"fallback\": { \"n\": 0 } },"
	    " \"gone\": { \"url\": \"http://127.0.0.1:PORT/status/404\","
	    "   \"optional\": true } },"
	    " \"response\": { \"json\": { \"n\": \"${bad.body/n}\","
	    "   \"ok\": \"${bad.ok}\", \"err\": \"${gone.error}\","
	    "   \"g\": \"${gone.body ?? \\\"none\\\"}\" } } }",
	    NULL, NULL, 0, &out) == 0 && !out.failed, "optional steps");
	ok(strstr(out.body, "\"n\":0,\"ok\":false,\"err\":\"http://127.0.0.1:")
	    != NULL && strstr(out.body, "answered 404 Not Found") != NULL &&
	    strstr(out.body, "\"g\":\"none\"") != NULL, "fallbacks and "
	    "defaults: %s", out.body);

	/* expect: 404 is fine for this one */
	ok(run_script("{ \"steps\": {"
	    " \"x\": { \"url\": \"http://127.0.0.1:PORT/status/404\","
	    "   \"expect\": [200, 404] } },"
	    " \"response\": { \"status\": \"${x.status}\", \"json\": \"${x.body}\" } }",
	    NULL, NULL, 0, &out) == 0, "an expected 404");
	ok(!out.failed && out.status == 404 && strcmp(out.body,
	    "{\"code\":404}\n") == 0, "the status comes from a result");

	/* when false: skipped, and what waits for it still runs */
	srv.seen[0] = '\0';
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/1\" },"
	    " \"no\": { \"url\": \"http://127.0.0.1:PORT/json/no\","
	    "   \"when\": { \"eq\": [\"${l.body/id}\", \"2\"] } },"
	    " \"after\": { \"url\": \"http://127.0.0.1:PORT/json/${no.body/v ?? \\\"dflt\\\"}\" } },"
	    " \"response\": { \"json\": \"${after.body/v}\" } }",
	    NULL, NULL, 0, &out) == 0, "a condition");
	ok(strcmp(out.body, "\"dflt\"\n") == 0 && strstr(srv.seen,
	    "/json/no") == NULL, "the step was skipped: %s", out.body);

	/* a reference into a missing field */
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/1\" },"
	    " \"p\": { \"url\": \"http://127.0.0.1:PORT/json/${l.body/price}\" } } }",
	    NULL, NULL, 0, &out) == 0, "a missing field");
	ok(out.status == 502 && strcmp(out.step, "p") == 0 &&
	    strstr(out.body, "cannot build the call: ${l.body/price}: the body "
	    "of step 'l' has no /price") != NULL, "502 naming the step: %s",
	    out.body);
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/1\" } },"
	    " \"response\": { \"json\": \"${l.body/price}\" } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strcmp(out.step, "l") == 0 && strstr(out.body, "composing the "
	    "response: ${l.body/price}") != NULL, "a missing field in the "
	    "response: %s", out.body);

	/* answers that are not what they say */
	ok(run_script("{ \"steps\": {"
	    " \"j\": { \"url\": \"http://127.0.0.1:PORT/notjson\" } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "with a body that is not JSON") != NULL,
	    "a JSON type and a body that is not: %s", out.body);
	ok(run_script("{ \"steps\": {"
	    " \"g\": { \"url\": \"http://127.0.0.1:PORT/garbage\" } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "malformed response") != NULL, "garbage: %s",
	    out.body);
	ok(run_script("{ \"steps\": {"
	    " \"big\": { \"url\": \"http://127.0.0.1:PORT/big\","
	    "   \"max_bytes\": 100000 } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "answered more than 100000 bytes") != NULL,
	    "a body over max_bytes: %s", out.body);
	ok(run_script("{ \"steps\": {"
	    " \"big\": { \"url\": \"http://127.0.0.1:PORT/big\", \"parse\": \"text\" } },"
	    " \"response\": { \"body\": \"ok\" } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 200, "a body under "
	    "max_bytes: %s", out.body);
	ok(run_script("{ \"max_bytes\": 700000, \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/1\" },"
	    " \"big\": { \"url\": \"http://127.0.0.1:PORT/big\", \"parse\": \"text\","
	    "   \"foreach\": \"${l.body/list}\", \"concurrency\": 1 } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "more than the 700000 bytes a composition may "
	    "hold in all") != NULL, "the answers a run keeps are bounded: %s",
	    out.body);
}

static void
test_run_time(void)
{
	struct outcome	out;
	int		dead;

	/* a port where nothing listens */
	{
		struct sockaddr_in	sin;
		socklen_t		sl = sizeof(sin);
		int			fd = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		(void)bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		(void)getsockname(fd, (struct sockaddr *)&sin, &sl);
		dead = ntohs(sin.sin_port);
		(void)close(fd);
	}
	{
		char script[512];

		(void)snprintf(script, sizeof(script), "{ \"steps\": {"
		    " \"down\": { \"url\": \"http://127.0.0.1:%d/\","
		    "   \"retries\": 2, \"backoff_ms\": 20 } } }", dead);
		ok(run_script(script, NULL, NULL, 0, &out) == 0 &&
		    out.status == 502 && strstr(out.body, "connection failed")
		    != NULL, "an upstream down: %s", out.body);
		ok(out.us >= 60000, "retried with backoff (20 + 40 ms): %llu us",
		    (unsigned long long)out.us);
	}

	/* retries: 503, then 200 */
	srv.flaky = 0;
	ok(run_script("{ \"steps\": {"
	    " \"f\": { \"url\": \"http://127.0.0.1:PORT/flaky\", \"retries\": 1,"
	    "   \"backoff_ms\": 1 } },"
	    " \"response\": { \"json\": \"${f.body/ok}\" } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 200 &&
	    strcmp(out.body, "true\n") == 0 && srv.flaky == 2, "a 503 is tried "
	    "again");

	/* a step that times out; an optional one that does */
	ok(run_script("{ \"steps\": {"
	    " \"h\": { \"url\": \"http://127.0.0.1:PORT/hang\", \"timeout_ms\": 50 } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "did not answer in 50 ms") != NULL &&
	    out.us < 1000000, "a step timeout: %s", out.body);
	ok(run_script("{ \"steps\": {"
	    " \"h\": { \"url\": \"http://127.0.0.1:PORT/hang\", \"timeout_ms\": 50,"
	    "   \"optional\": true, \"fallback\": \"late\" } },"
	    " \"response\": { \"json\": \"${h.body}\" } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 200 &&
	    strcmp(out.body, "\"late\"\n") == 0, "an optional step's timeout");

	/* the deadline: 504, whatever the step timeouts say */
	ok(run_script("{ \"deadline_ms\": 100, \"steps\": {"
	    " \"fast\": { \"url\": \"http://127.0.0.1:PORT/json/1\" },"
	    " \"h\": { \"url\": \"http://127.0.0.1:PORT/hang\", \"timeout_ms\": 5000 },"
	    " \"h2\": { \"url\": \"http://127.0.0.1:PORT/hang\", \"optional\": true } } }",
	    NULL, NULL, 0, &out) == 0, "a deadline");
	ok(out.status == 504 && out.failed && strstr(out.body,
	    "\"type\":\"urn:gw:problem:gateway-timeout\"") != NULL &&
	    strstr(out.body, "deadline of 100 ms; still waiting for h, h2") !=
	    NULL, "504 with what was still running: %s", out.body);
	ok(out.us >= 100000 && out.us < 1000000, "at the deadline: %llu us",
	    (unsigned long long)out.us);
}

static void
test_run_xml(void)
{
	struct outcome	 out;
	char		 path[300], script[2048];
	FILE		*fp;

	ok(run_script("{ \"namespaces\": { \"s\": \"urn:stock\" }, \"steps\": {"
	    " \"x\": { \"url\": \"http://127.0.0.1:PORT/xml\" },"
	    " \"e\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:PORT/echo\","
	    "   \"headers\": { \"Content-Type\": \"application/xml\" },"
	    "   \"body\": \"<q sku=\\\"${x.xpath(\\\"string(//s:sku)\\\") | xml}\\\"/>\" } },"
	    " \"response\": { \"json\": {"
	    "   \"n\": \"${x.xpath(\\\"string(/s:stock/s:count)\\\") | number}\","
	    "   \"c\": \"${x.xpath(\\\"count(//s:*)\\\")}\","
	    "   \"none\": \"${x.xpath(\\\"/s:stock/s:price\\\") ?? 0}\","
	    "   \"echo\": \"${e.xpath(\\\"string(/q/@sku)\\\")}\","
	    "   \"raw\": \"${e.body}\" } } }",
	    NULL, NULL, 0, &out) == 0, "XPath on XML answers");
	is_str(out.body, "{\"n\":3,\"c\":\"3\",\"none\":0,\"echo\":\"b&1\","
	    "\"raw\":\"<q sku=\\\"b&amp;1\\\"/>\"}\n", "typed, counted, defaulted, "
	    "escaped");

	ok(run_script("{ \"steps\": {"
	    " \"x\": { \"url\": \"http://127.0.0.1:PORT/xml\", \"xml_to_json\": true } },"
	    " \"response\": { \"json\": \"${x.body}\" } }",
	    NULL, NULL, 0, &out) == 0, "xml_to_json");
	is_str(out.body, "{\"stock\":{\"count\":\"3\",\"sku\":\"b&1\"}}\n",
	    "an XML answer as JSON");

	ok(run_script("{ \"steps\": {"
	    " \"x\": { \"url\": \"http://127.0.0.1:PORT/badxml\" } } }",
	    NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strstr(out.body, "with a body that is not XML") != NULL,
	    "a body that is not XML: %s", out.body);

	/* a stylesheet composes from every result */
	(void)snprintf(path, sizeof(path), "%s/compose.xsl", scratch);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fputs("<xsl:stylesheet version=\"1.0\" "
	    "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" "
	    "xmlns:s=\"urn:stock\" exclude-result-prefixes=\"s\">"
	    "<xsl:output method=\"xml\" omit-xml-declaration=\"yes\"/>"
	    "<xsl:template match=\"/orchestration\">"
	    "<item id=\"{request/param[@name='id']/@value}\">"
	    "<sku><xsl:value-of select=\"step[@name='l']/body/sku\"/></sku>"
	    "<count><xsl:value-of select=\"step[@name='x']/body/s:stock/s:count\"/></count>"
	    "<first><xsl:value-of select=\"step[@name='l']/body/list[1]\"/></first>"
	    "<skipped><xsl:value-of select=\"step[@name='no']/@state\"/></skipped>"
	    "</item></xsl:template></xsl:stylesheet>", fp);
	fclose(fp);
	{
		struct gw_orch_request	rq;
		struct gw_orch_param	p = { GW_STR("id"), GW_STR("5") };

		memset(&rq, 0, sizeof(rq));
		rq.params = &p;
		rq.nparams = 1;
		(void)snprintf(script, sizeof(script), "{ \"steps\": {"
		    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/5\" },"
		    " \"x\": { \"url\": \"http://127.0.0.1:PORT/xml\" },"
		    " \"no\": { \"url\": \"http://127.0.0.1:PORT/xml\", \"when\": false } },"
		    " \"response\": { \"xslt\": \"%s\" } }", path);
		ok(run_script(script, &rq, NULL, 0, &out) == 0 &&
		    out.status == 200, "a stylesheet composes");
	}
	is_str(out.body, "<item id=\"5\"><sku>s-5</sku><count>3</count>"
	    "<first>a</first><skipped>skipped</skipped></item>\n",
	    "from the request, JSON and XML answers, and states");
	ok(strstr(out.headers, "Content-Type: application/xml") != NULL,
	    "with the stylesheet's type");
	(void)unlink(path);
}

static void
test_run_soap(void)
{
	static const char med[] =
	    "   \"mediate\": {"
	    "     \"request\": [ { \"json2xml\": { \"root\": \"GetStock\","
	    "                                   \"namespace\": \"urn:stock\" } },"
	    "                  { \"soap_wrap\": { \"version\": \"1.1\","
	    "                                    \"action\": \"urn:stock#GetStock\" } } ],"
	    "     \"response\": [ { \"soap_unwrap\": {} }, { \"xml2json\": {} } ] }";
	struct outcome	out;
	char		script[2048];

	srv.seen[0] = '\0';
	(void)snprintf(script, sizeof(script), "{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/8\" },"
	    " \"stock\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:PORT/soap\","
	    "   \"json\": { \"sku\": \"${l.body/sku}\" }, %s } },"
	    " \"response\": { \"json\": { \"count\": \"${stock.body/GetStockResponse/count | number}\","
	    "   \"whole\": \"${stock.body}\" } } }", med);
	ok(run_script(script, NULL, NULL, 0, &out) == 0 && out.status == 200,
	    "a SOAP call through mediations: %s", out.body);
	is_str(out.body, "{\"count\":3,\"whole\":{\"GetStockResponse\":{\"count\":"
	    "\"3\"}}}\n", "the answer unwrapped and converted");
	ok(strstr(srv.lasthead, "Content-Type: text/xml") != NULL &&
	    strstr(srv.lasthead, "SOAPAction: \"urn:stock#GetStock\"") != NULL,
	    "sent as SOAP 1.1, with its action");
	ok(strstr(srv.seen, "<soap:Envelope") != NULL &&
	    strstr(srv.seen, "<GetStock xmlns=\"urn:stock\"><sku>s-8</sku>"
	    "</GetStock>") != NULL, "the request wrapped");

	(void)snprintf(script, sizeof(script), "{ \"steps\": {"
	    " \"stock\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:PORT/soapfault\","
	    "   \"json\": { \"sku\": \"x\" }, %s } } }", med);
	ok(run_script(script, NULL, NULL, 0, &out) == 0 && out.status == 502 &&
	    strcmp(out.step, "stock") == 0 && strstr(out.body,
	    "answered 500 with a SOAP fault") != NULL &&
	    strstr(out.body, "no such sku") != NULL, "a SOAP fault fails the "
	    "step, saying what: %s", out.body);
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"mediate\": { \"request\": [ { \"json2xml\": {} } ] } } } }",
	    "a request mediation needs a body", "a request mediation without "
	    "a body");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"mediate\": { \"response\": [ { \"json2xmll\": {} } ] } } } }",
	    "steps.a.mediate.response", "a bad mediation step");
	load_bad("{ \"steps\": { \"a\": { \"url\": \"http://h:1/\","
	    " \"mediate\": { \"response\": \"/nonexistent/m.json\" } } } }",
	    "steps.a.mediate.response: ", "a missing mediation file");
}

/* Two failures at once: the first in script order is reported. */
static void
test_run_determinism(void)
{
	struct outcome	out;
	char		first[64];
	int		same = 1;

	for (int i = 0; i < 5; i++) {
		ok(run_script("{ \"steps\": {"
		    " \"x1\": { \"url\": \"http://127.0.0.1:PORT/status/503\" },"
		    " \"x2\": { \"url\": \"http://127.0.0.1:PORT/status/500\" },"
		    " \"x3\": { \"url\": \"http://127.0.0.1:PORT/status/502\" } } }",
		    NULL, NULL, 0, &out) == 0, "three failing steps, run %d", i);
		if (i == 0)
			(void)snprintf(first, sizeof(first), "%s", out.step);
		else if (strcmp(first, out.step) != 0)
			same = 0;
	}
	ok(same, "the same step is reported each time (%s)", first);
}

static void
rmtree(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		 p[600];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

static void
test_record_replay(void)
{
	static const char script[] = "{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/9\" },"
	    " \"each\": { \"url\": \"http://127.0.0.1:PORT/json/${item}\","
	    "   \"foreach\": \"${l.body/list}\" },"
	    " \"t\": { \"url\": \"http://127.0.0.1:PORT/text\" },"
	    " \"p\": { \"method\": \"POST\", \"url\": \"http://127.0.0.1:PORT/echo\","
	    "   \"body\": \"\\u00ff${l.body/sku}\" },"
	    " \"opt\": { \"url\": \"http://127.0.0.1:PORT/status/503\","
	    "   \"optional\": true } },"
	    " \"response\": { \"json\": { \"e\": \"${each.body}\", \"t\": \"${t.body}\","
	    "   \"p\": \"${p.body}\", \"o\": \"${opt.error}\" } } }";
	struct gw_orch_opts	 opts;
	struct gw_orch_tape	*tape = NULL;
	struct outcome		 live, again;
	struct gw_err		 err;
	char			 dir[300];

	(void)snprintf(dir, sizeof(dir), "%s/rec", scratch);
	rmtree(dir);
	(void)mkdir(dir, 0777);
	memset(&opts, 0, sizeof(opts));
	opts.record_dir = dir;
	ok(run_script(script, NULL, &opts, 0, &live) == 0 && live.status == 200,
	    "a recorded run");
	ok(gw_orch_tape_load(dir, &tape, &err) == 0 &&
	    gw_orch_tape_count(tape) == 7, "seven calls recorded");
	memset(&opts, 0, sizeof(opts));
	opts.replay = tape;
	srv.requests = 0;
	ok(run_script(script, NULL, &opts, GW_ORCH_NORESOLVE, &again) == 0,
	    "a replayed run");
	is_str(again.body, live.body, "the same response");
	is_int(srv.requests, 0, "no call reached the server");

	/* a call that was not recorded fails the run, clearly */
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/10\" } } }",
	    NULL, &opts, GW_ORCH_NORESOLVE, &again) == 0 && again.status == 502 &&
	    strstr(again.body, "GET http://127.0.0.1:") != NULL &&
	    strstr(again.body, "/item/10 was not recorded") != NULL,
	    "an unrecorded call: %s", again.body);
	ok(run_script("{ \"steps\": {"
	    " \"l\": { \"url\": \"http://127.0.0.1:PORT/item/10\", \"optional\": true } } }",
	    NULL, &opts, GW_ORCH_NORESOLVE, &again) == 0 && again.status == 502,
	    "even for an optional step");
	gw_orch_tape_free(tape);
	rmtree(dir);
}

static void
test_tape_parse(void)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"},\"response\":{\"status\":200,\"headers\":[[\"A\","
		    "\"b\"]],\"body_base64\":\"AAEC/w==\"}}", NULL },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"},\"error\":\"refused\"}", NULL },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"},\"response\":{\"status\":99}}", "from 100 to 599" },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"},\"response\":{\"status\":200,\"body_base64\":\"A\"}}",
		    "not base64" },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"},\"response\":{\"status\":200,\"headers\":[[1,2]]}}",
		    "a [name, value] pair" },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\"},"
		    "\"error\":\"x\"}", "no \"target\"" },
		{ "{\"step\":\"a\",\"request\":{\"method\":\"GET\",\"target\":"
		    "\"/\"}}", "no \"response\" and no \"error\"" },
		{ "{\"request\":{}}", "no \"step\"" },
		{ "[]", "expected an object" },
		{ "{", "t.json:1:2:" },
	};
	struct gw_arena		*a = gw_arena_new(0);
	struct orch_exchange	 x;
	struct gw_err		 err;

	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		int rc = orch_tape_parse_one(a, cases[i].text,
		    strlen(cases[i].text), "t.json", &x, &err);

		if (cases[i].err == NULL)
			ok(rc == 0, "recording %zu parses", i);
		else if (!ok(rc == -1 && strstr(err.msg, cases[i].err) != NULL,
		    "recording %zu: %s", i, cases[i].err))
			printf("#   %s\n", rc == -1 ? err.msg : "parsed");
		if (i == 0)
			ok(rc == 0 && x.rbody.len == 4 &&
			    memcmp(x.rbody.p, "\0\1\2\377", 4) == 0 &&
			    x.nheaders == 1, "a binary body in base64");
	}
	gw_arena_free(a);
}

static void
test_reqdoc(void)
{
	struct gw_orch_reqdoc		*d = NULL;
	const struct gw_orch_request	*rq;
	struct gw_err			 err;
	const char			*text = "{ \"method\": \"POST\", "
	    "\"path\": \"/a\", \"query\": { \"q\": \"a b\", \"n\": \"1\" },"
	    " \"headers\": { \"X-A\": \"1\" }, \"params\": { \"id\": \"9\" },"
	    " \"body\": { \"k\": [1, 2] } }";

	ok(gw_orch_reqdoc_parse(text, strlen(text), "r.json", &d, &err) == 0,
	    "a request described in JSON");
	if (d != NULL) {
		rq = gw_orch_reqdoc_request(d);
		ok(gw_str_eq(rq->method, GW_STR("POST")) &&
		    gw_str_eq(rq->path, GW_STR("/a")) &&
		    gw_str_eq(rq->query, GW_STR("q=a%20b&n=1")) &&
		    gw_str_eq(rq->body, GW_STR("{\"k\":[1,2]}")) &&
		    rq->nheaders == 2 && rq->nparams == 1, "its parts");
		ok(gw_orch_reqdoc_param(d, "id", "10", &err) == 0 &&
		    gw_orch_reqdoc_param(d, "x", "y", &err) == 0 &&
		    rq->nparams == 2 && gw_str_eq(rq->params[0].value,
		    GW_STR("10")), "--param replaces and adds");
	}
	gw_orch_reqdoc_free(d);
	d = NULL;
	text = "{ \"path\": \"a\", \"headers\": { \"X A\": \"1\" },"
	    " \"methd\": 1 }";
	ok(gw_orch_reqdoc_parse(text, strlen(text), "r.json", &d, &err) == -1 &&
	    err.code == GW_E_PROTO && strstr(err.msg, "r.json:1:") != NULL &&
	    strstr(err.msg, "methd") != NULL, "a bad request: %s", err.msg);
}

/* Every allocation of the loader failed in turn: no crash, no leak. */
static void
test_nomem(void)
{
	static const char script[] = "{ \"namespaces\": { \"p\": \"urn:p\" },"
	    " \"services\": { \"s\": \"http://h:1/b\" },"
	    " \"steps\": {"
	    " \"a\": { \"url\": \"http://h:1/x/${request.params.id}?q=${request.query.q ?? 1}\","
	    "   \"headers\": { \"X\": \"${request.headers.x}\" } },"
	    " \"b\": { \"service\": \"${a.body/s}\", \"path\": \"/${a.body/p}\","
	    "   \"foreach\": \"${a.body/l}\", \"json\": { \"i\": \"${item/x}\" },"
	    "   \"when\": { \"and\": [\"${a.ok}\", { \"eq\": [1, 1] }] },"
	    "   \"expect\": [\"2xx\", 404], \"optional\": true, \"fallback\": 0 } },"
	    " \"response\": { \"status\": \"${a.status}\", \"headers\": { \"Y\": \"${b.status}\" },"
	    "   \"json\": { \"b\": \"${b.body}\","
	    "     \"x\": \"${a.xpath(\\\"string(/p:x)\\\") | number ?? 0}\" } } }";
	struct gw_orch	*o;
	struct gw_err	 err;
	int		 n, crashed = 0, done = 0;

	for (n = 0; n < 2000 && !done; n++) {
		o = NULL;
		fail_countdown = n;
		if (gw_orch_parse(script, strlen(script), "s.json",
		    GW_ORCH_NORESOLVE, &o, NULL, &err) == 0) {
			if (fail_countdown >= 0)
				done = 1;	/* no allocation failed */
		} else if (err.code != GW_E_NOMEM &&
		    strstr(err.msg, "out of memory") == NULL) {
			printf("# allocation %d: %s\n", n, err.msg);
			crashed = 1;
		}
		fail_countdown = -1;
		gw_orch_free(o);
	}
	ok(done, "the loader was run with each of its %d allocations failing",
	    n - 1);
	ok(!crashed, "each failure was reported as out of memory");
}

int
main(void)
{
	struct gw_err err;

	(void)snprintf(scratch, sizeof(scratch), "/tmp/orch_test.%ld",
	    (long)getpid());
	(void)mkdir(scratch, 0700);
	test_tmpl_parse();
	test_pointer();
	test_encoding();
	test_eval();
	test_cond();
	test_load();
	test_load_file();
	test_tape_parse();
	test_reqdoc();
	test_nomem();
	if ((loop = gw_loop_new(&err)) == NULL ||
	    (env = gw_orch_env_new(loop, &err)) == NULL ||
	    tsrv_start(&srv, loop) == -1) {
		printf("Bail out! no loop or server: %s\n", err.msg);
		return 1;
	}
	test_run_basic();
	test_run_parallel();
	test_run_faults();
	test_run_time();
	test_run_xml();
	test_run_soap();
	test_run_determinism();
	test_record_replay();
	gw_orch_env_free(env);
	tsrv_stop(&srv);
	gw_loop_free(loop);
	(void)rmdir(scratch);
	return done_testing();
}
