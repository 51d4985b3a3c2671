/*
 * fuzz-orch-template.c: the template language of orchestration scripts.
 *
 * The first byte chooses how the rest is rendered (as text, in a URL, or
 * as JSON); the rest is a template, parsed (orch_tmpl_parse) and, when it
 * parses, evaluated against a request and four step results made here: a
 * JSON body, a skipped step, a failed one and a text body.  A reference
 * that finds nothing must say what (and a message must be set); what a
 * JSON rendering gives must be JSON; a URL rendering holds no space or
 * control character unless "| raw" let one in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "orch-int.h"
#include "orch.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char script[] =
    "{ \"namespaces\": { \"s\": \"urn:stock\" }, \"steps\": { \"a\": { \"url\": \"http://h:1/\" },"
    " \"b\": { \"url\": \"http://h:1/\" }, \"c\": { \"url\": \"http://h:1/\" },"
    " \"d\": { \"url\": \"http://h:1/\" } } }";
static const char body[] = "{\"n\":7,\"s\":\"x y\",\"o\":{\"k\":[1,2,{\"z\":"
    "null}]},\"f\":1.50,\"t\":true,\"u\":\"\\u00e9\\u0000\"}";

static const char xmlbody[] = "<s:stock xmlns:s=\"urn:stock\"><s:count>3"
    "</s:count><s:sku a=\"1\">b&amp;1</s:sku></s:stock>";

static struct gw_orch		*o;
static struct gw_xml_doc	*xml;
static struct gw_arena		*keep;
static struct orch_input	 in;
static struct orch_result	 res[4];
static struct gw_http_header	 h[2] = {
	{ { "X-Trace", 7 }, { "t-1", 3 } },
	{ { "Content-Type", 12 }, { "application/json", 16 } }
};
static struct gw_orch_param	 p[1] = { { { "id", 2 }, { "4 2", 3 } } };

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-orch-template: %s\n", what);
	abort();
}

static void
teardown(void)
{
	gw_orch_free(o);
	gw_xml_doc_free(xml);
	gw_arena_free(keep);
}

static void
setup(void)
{
	struct gw_err err;

	(void)atexit(teardown);

	if (gw_orch_parse(script, strlen(script), "s", GW_ORCH_NORESOLVE, &o,
	    NULL, &err) == -1 || (keep = gw_arena_new(0)) == NULL)
		fail("setup");
	in.method = GW_STR("GET");
	in.path = GW_STR("/v1/x");
	in.query = GW_STR("q=a%20b&flag&r=1+2&%zz=%");
	in.headers = h;
	in.nheaders = 2;
	in.params = p;
	in.nparams = 1;
	in.id = "rid";
	in.body = GW_STR(body);
	in.body_is_json = 1;
	if (orch_json_parse(keep, body, strlen(body), "b", &in.body_json,
	    &err) == -1)
		fail("body");
	res[0].state = RES_OK;
	res[0].has_status = 1;
	res[0].status = 200;
	res[0].headers = h;
	res[0].nheaders = 2;
	res[0].has_body = 1;
	res[0].is_json = 1;
	res[0].json = in.body_json;
	if (gw_xml_parse(xmlbody, strlen(xmlbody), "x", NULL, &xml, &err) == -1)
		fail("xml");
	res[0].xml = xml;
	res[1].state = RES_SKIPPED;
	res[2].state = RES_FAILED;
	res[2].error = "boom";
	res[3].state = RES_OK;
	res[3].has_status = 1;
	res[3].status = 201;
	res[3].has_body = 1;
	res[3].text = GW_STR("plain\ntext");
	res[3].foreach = 1;
	res[3].statuses = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_arena		*a;
	struct orch_tmpl	 t;
	struct orch_jt		 jt;
	struct orch_scope	 sc;
	struct orch_fail	 f;
	struct gw_buf		 out;
	struct gw_jdoc		*d;
	struct gw_err		 err;
	char			 why[512];
	int			 mode, rc, raw = 0;

	if (o == NULL)
		setup();
	if (size < 1)
		return 0;
	mode = data[0] % 3;
	if ((a = gw_arena_new(0)) == NULL)
		return 0;
	why[0] = '\0';
	if (orch_tmpl_parse(a, (const char *)data + 1, size - 1, &t, why,
	    sizeof(why)) == -1) {
		if (why[0] == '\0')
			fail("a refused template without a reason");
		gw_arena_free(a);
		return 0;
	}
	/* resolve step names as the loader would; unknown ones end here */
	for (size_t i = 0; i < t.nparts; i++) {
		struct orch_ref *r = t.parts[i].ref;

		if (r == NULL) {
			if (t.parts[i].len == 0)
				fail("an empty literal part");
			continue;
		}
		raw |= r->raw;
		if (r->stepname == NULL)
			continue;
		if (strlen(r->stepname) != 1 || r->stepname[0] < 'a' ||
		    r->stepname[0] > 'd') {
			gw_arena_free(a);
			return 0;
		}
		r->step = (size_t)(r->stepname[0] - 'a');
		/* the loader refuses fields and XPath of a foreach step */
		if (r->step == 3 && (r->src == SRC_STEP_HEADER ||
		    r->src == SRC_STEP_XPATH)) {
			gw_arena_free(a);
			return 0;
		}
	}
	memset(&sc, 0, sizeof(sc));
	sc.o = o;
	sc.in = &in;
	sc.res = res;
	sc.arena = a;
	sc.has_item = 1;
	sc.item = in.body_json;
	sc.index = 3;
	memset(&f, 0, sizeof(f));
	gw_buf_init(&out, 0);
	if (mode == 2) {
		memset(&jt, 0, sizeof(jt));
		jt.kind = orch_tmpl_single(&t) ? JT_REF : JT_STR;
		jt.t = t;
		rc = orch_jt_render(&jt, &sc, &out, &f);
		if (rc == 0) {
			if (gw_jdoc_parse(out.p == NULL ? "" : out.p, out.len,
			    "out", 0, &d, &err) == -1) {
				(void)fprintf(stderr, "%.*s\n%s\n",
				    (int)out.len, out.p, err.msg);
				fail("a JSON rendering that is not JSON");
			}
			gw_jdoc_free(d);
		}
	} else {
		rc = orch_tmpl_render(&t, &sc, mode == 1 ? RENDER_URL :
		    RENDER_PLAIN, &out, &f);
		if (rc == 0 && mode == 1 && !raw)
			for (size_t i = 0; i < out.len; i++)
				if ((unsigned char)out.p[i] <= ' ' &&
				    !(i < out.len && memchr(data + 1, out.p[i],
				    size - 1) != NULL))
					fail("a space or control character "
					    "from a value in a URL");
	}
	if (rc == -1 && f.msg[0] == '\0')
		fail("a failed rendering without a message");
	gw_buf_release(&out);
	gw_arena_free(a);
	return 0;
}
