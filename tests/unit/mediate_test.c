/*
 * mediate_test.c: mediation files, runs, offline tests and the policy's
 * configuration (its request and response steps need a server: see
 * tests/e2e/t2003-mediate-serve.sh).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jcheck.h"
#include "json.h"
#include "mediate.h"
#include "policy.h"
#include "soap.h"
#include "xml.h"
#include "tap.h"

#include "tmpdir.h"

#define XSL_HEAD "<xsl:stylesheet version=\"1.0\" " \
    "xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">"

static int
vars(void *arg, const char *name, struct gw_buf *out, struct gw_err *err)
{
	(void)arg;
	if (strcmp(name, "path.id") == 0)
		return gw_buf_puts(out, "42", err) == -1 ? -1 : 0;
	if (strcmp(name, "soap.action") == 0)
		return gw_buf_puts(out, "urn:act", err) == -1 ? -1 : 0;
	return 1;
}

/* Load m (expecting success), run it on in; the output or NULL. */
static const char *
run(const char *file, const char *in, struct gw_mediate_run *r, int *rc,
    struct gw_err *err)
{
	static struct gw_buf	 out;
	struct gw_mediation	*m;
	struct gw_buf		 report;

	gw_buf_release(&out);
	gw_buf_init(&out, 0);
	gw_buf_init(&report, 0);
	if (gw_mediation_load(at(file), &m, &report, err) == -1) {
		gw_buf_release(&report);
		*rc = -2;
		return NULL;
	}
	gw_buf_release(&report);
	r->input = in;
	r->len = strlen(in);
	r->var = vars;
	r->out = &out;
	*rc = gw_mediation_run(m, r, err);
	gw_mediation_free(m);
	return *rc == -1 ? NULL : gw_buf_cstr(&out, NULL);
}

static void
test_load_errors(void)
{
	struct gw_mediation	*m;
	struct gw_buf		 report;
	struct gw_err		 err;

	gw_buf_init(&report, 0);
	ok(gw_mediation_load(at("none.json"), &m, &report, &err) == -1 &&
	    err.code == GW_E_NOTFOUND, "a missing file");
	put("syntax.json", "{ \"steps\": [ }");
	ok(gw_mediation_load(at("syntax.json"), &m, &report, &err) == -1 &&
	    err.code == GW_E_CONFIG && strstr(err.msg, "syntax.json:1:") !=
	    NULL, "a syntax error: %s", err.msg);
	put("bad.json", "{\n  \"steps\": [\n    { \"xsl\": \"a.xsl\" },\n"
	    "    { \"xslt\": \"missing.xsl\" },\n    { \"soap_wrap\": "
	    "{ \"version\": \"1.3\", \"header\": \"<a>\" } },\n"
	    "    { \"xslt\": { \"stylesheet\": \"missing.xsl\", \"params\": "
	    "{ \"p\": \"$nope\" } } },\n    { \"json2xml\": \"lossy\" },\n"
	    "    { \"xml2json\": { \"root\": \"1a\" } },\n    \"soap\"\n"
	    "  ],\n  \"extra\": 1\n}\n");
	gw_buf_reset(&report);
	ok(gw_mediation_load(at("bad.json"), &m, &report, &err) == -1 &&
	    err.code == GW_E_CONFIG, "a file with many errors");
	(void)gw_buf_cstr(&report, NULL);
	ok(strstr(report.p, "bad.json:3:7: steps[0]: unknown step 'xsl'; did "
	    "you mean 'xslt'?") != NULL, "an unknown step, with a suggestion");
	ok(strstr(report.p, "bad.json:4:15: steps[1].xslt: cannot open") !=
	    NULL, "a missing stylesheet, placed");
	ok(strstr(report.p, "steps[2].soap_wrap.version: expected 1.1, 1.2 or "
	    "caller") != NULL, "a bad version");
	ok(strstr(report.p, "steps[2].soap_wrap.header: not well-formed") !=
	    NULL, "a bad header");
	ok(strstr(report.p, "unknown variable '$nope'") != NULL,
	    "an unknown variable");
	ok(strstr(report.p, "steps[4].json2xml: expected lossless") != NULL,
	    "a bad convention");
	ok(strstr(report.p, "'1a' is not an XML name") != NULL,
	    "a bad option of a convention");
	ok(strstr(report.p, "steps[6]: a step is an object") != NULL,
	    "a step that is not an object");
	ok(strstr(report.p, "unknown key 'extra'") != NULL, "an unknown key");
	put("none2.json", "{ \"description\": \"x\" }");
	ok(gw_mediation_load(at("none2.json"), &m, &report, &err) == -1 &&
	    strstr(err.msg, "needs \"steps\"") != NULL, "no steps");
	put("bad.xsl", XSL_HEAD "<xsl:template match=\"/\"><xsl:frob/>"
	    "</xsl:template></xsl:stylesheet>\n");
	put("badxsl.json", "{ \"steps\": [ { \"xslt\": \"bad.xsl\" } ] }");
	ok(gw_mediation_load(at("badxsl.json"), &m, &report, &err) == -1 &&
	    strstr(err.msg, "bad.xsl:1:") != NULL, "a stylesheet that does "
	    "not compile: %s", err.msg);
	gw_buf_release(&report);
}

static void
test_runs(void)
{
	struct gw_mediate_run	 r;
	struct gw_err		 err;
	struct gw_xslt_param	 p;
	const char		*got;
	int			 rc;

	put("add.xsl", XSL_HEAD "<xsl:param name=\"id\"/><xsl:param name=\"x\"/>"
	    "<xsl:param name=\"e\"/><xsl:template match=\"/Add\"><t:Add "
	    "xmlns:t=\"urn:t\" id=\"{$id}\" x=\"{$x}\" e=\"{$e}\"><xsl:copy-of "
	    "select=\"*\"/></t:Add></xsl:template></xsl:stylesheet>\n");
	put("req.json", "// REST to SOAP\n{ \"steps\": [\n"
	    "  { \"json2xml\": { \"root\": \"Add\" } },\n"
	    "  { \"xslt\": { \"stylesheet\": \"add.xsl\", \"params\": { \"id\": "
	    "\"$path.id\", \"x\": \"$$lit\" }, \"xpath_params\": { \"e\": "
	    "\"1+1\" } } },\n"
	    "  { \"soap_wrap\": { \"version\": \"caller\", \"action\": "
	    "\"$soap.action\" } } ] }\n");
	memset(&r, 0, sizeof(r));
	r.caller_soap = GW_SOAP_12;
	got = run("req.json", "{\"a\":1,\"b\":[2,3]}", &r, &rc, &err);
	is_int(rc, 0, "a chain runs");
	is_str(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope "
	    "xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
	    "<t:Add xmlns:t=\"urn:t\" id=\"42\" x=\"$lit\" e=\"2\"><a>1</a><b>2"
	    "</b><b>3</b></t:Add></soap:Body></soap:Envelope>\n",
	    "JSON, friendly XML, a stylesheet with parameters, a 1.2 envelope");
	is_str(r.content_type, "application/soap+xml; charset=utf-8; "
	    "action=\"urn:act\"", "its content type");
	is_str(r.soap_action, "urn:act", "its action");
	is_int(r.soap_out, GW_SOAP_12, "the caller's version");
	memset(&r, 0, sizeof(r));
	p.name = "id";
	p.value = "'over'";
	p.literal = 0;
	r.params = &p;
	r.nparams = 1;
	got = run("req.json", "{\"a\":1}", &r, &rc, &err);
	ok(got != NULL && strstr(got, "id=\"over\"") != NULL &&
	    strstr(got, "http://schemas.xmlsoap.org/soap/envelope/") != NULL,
	    "the run's parameters win; no caller: 1.1");
	got = run("req.json", "{\"a\":", &r, &rc, &err);
	ok(got == NULL && err.code == GW_E_PROTO && r.failed_step == 0,
	    "bad input fails the first step");
	is_str(err.msg, "step 1 (json2xml): 1:6: unexpected end of input",
	    "saying which step and where");

	put("resp.json", "{ \"steps\": [ { \"soap_unwrap\": {} }, "
	    "{ \"xml2json\": { \"strip_levels\": 1, \"recognize_number\": "
	    "true } } ] }");
	memset(&r, 0, sizeof(r));
	got = run("resp.json", "<s:Envelope xmlns:s=\"" GW_SOAP11_NS "\">"
	    "<s:Body><R xmlns=\"urn:t\"><v>5</v><v>6</v></R></s:Body>"
	    "</s:Envelope>", &r, &rc, &err);
	is_str(got, "{\"v\":[5,6]}\n", "SOAP to JSON");
	is_str(r.content_type, "application/json", "as application/json");
	is_int(r.soap_in, GW_SOAP_11, "the envelope's version is known");
	got = run("resp.json", "<s:Envelope xmlns:s=\"" GW_SOAP11_NS "\">"
	    "<s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>"
	    "down</faultstring></s:Fault></s:Body></s:Envelope>", &r, &rc,
	    &err);
	is_int(rc, 1, "a fault");
	is_int(r.status, 502, "a Server fault is a 502");
	ok(got != NULL && strstr(got, "\"soapFault\":{\"version\":\"1.1\","
	    "\"code\":\"Server\"") != NULL, "as a problem document");
	is_str(r.content_type, "application/problem+json", "of that type");
	got = run("resp.json", "{\"not\":\"xml\"}", &r, &rc, &err);
	ok(got == NULL && err.code == GW_E_PROTO && strstr(err.msg, "step 1 "
	    "(soap_unwrap)") != NULL, "not XML: %s", err.msg);
	got = run("resp.json", "<a/>", &r, &rc, &err);
	ok(got == NULL && strstr(err.msg, "not a SOAP envelope") != NULL,
	    "not SOAP");

	put("one.xsl", XSL_HEAD "<xsl:template match=\"/\"><two><xsl:copy-of "
	    "select=\"*\"/></two></xsl:template></xsl:stylesheet>\n");
	put("text.xsl", XSL_HEAD "<xsl:output method=\"text\" media-type="
	    "\"application/json\"/><xsl:template match=\"/\">{\"n\": "
	    "<xsl:value-of select=\"count(//*)\"/>}</xsl:template>"
	    "</xsl:stylesheet>\n");
	put("chain.json", "{ \"steps\": [ { \"xslt\": \"one.xsl\" }, "
	    "{ \"xslt\": \"one.xsl\" }, { \"xslt\": \"text.xsl\" }, "
	    "{ \"json2xml\": \"lossless\" }, { \"xml2json\": \"lossless\" } ], "
	    "\"content_type\": \"application/x-count\" }");
	memset(&r, 0, sizeof(r));
	got = run("chain.json", "<a><b/></a>", &r, &rc, &err);
	is_str(got, "{\"n\":4}\n", "stylesheets chain, text output feeds JSON "
	    "steps");
	is_str(r.content_type, "application/x-count", "content_type says the "
	    "type");
	got = run("chain.json", "", &r, &rc, &err);
	is_str(got, "{\"n\":3}\n", "an empty input reads as <empty/>");
	put("term.xsl", XSL_HEAD "<xsl:template match=\"/\"><xsl:message "
	    "terminate=\"yes\">invalid</xsl:message></xsl:template>"
	    "</xsl:stylesheet>\n");
	put("term.json", "{ \"steps\": [ \"json2xml\" ] }");
	got = run("term.json", "{}", &r, &rc, &err);
	ok(rc == -2 && strstr(err.msg, "a step is an object") != NULL,
	    "a step as a bare string");
	put("term.json", "{ \"steps\": [ { \"json2xml\": \"friendly\" }, "
	    "{ \"xslt\": \"term.xsl\" } ] }");
	got = run("term.json", "{\"a\":1}", &r, &rc, &err);
	ok(got == NULL && r.failed_step == 1 && strstr(err.msg, "step 2 (xslt)"
	    ": ") != NULL && strstr(err.msg, "invalid") != NULL,
	    "a stylesheet that refuses: %s", err.msg);
}

/* Friendly XML is wrapped without a tree: the same as with one. */
static void
test_wrap_text(void)
{
	static const char *const conv[] = {
		"\"friendly\"", "\"badgerfish\"",
		"{\"root\": \"R\", \"namespace\": \"urn:r\", \"nil\": true}",
		"{\"indent\": true}",
	};
	static const char *const json[] = {
		"{\"a\": 1, \"b\": [true, null, \"x<&>\\\"'\\r\\n\\t\"], \"@c\": \"d\"}",
		"[1, [2, 3], {}]", "{}", "\"text\"", "{\"r\": {\"#text\": \"t\", "
		"\"@xmlns:p\": \"urn:p\", \"p:q\": \"]]>\"}}",
		"{\"e\": \"\\u00e9\\ud83d\\ude00\", \"sp\": \"  \"}",
	};
	char	buf[512];
	int	bad = 0;

	put("wrap.json", "{\"steps\": [{\"soap_wrap\": {\"header\": \"<h/>\"}}]}");
	for (size_t c = 0; c < sizeof(conv) / sizeof(conv[0]); c++) {
		(void)snprintf(buf, sizeof(buf), "{\"steps\": [{\"json2xml\": "
		    "%s}, {\"soap_wrap\": {\"header\": \"<h/>\"}}]}", conv[c]);
		put("both.json", buf);
		(void)snprintf(buf, sizeof(buf), "{\"steps\": [{\"json2xml\": "
		    "%s}]}", conv[c]);
		put("j2x.json", buf);
		for (size_t j = 0; j < sizeof(json) / sizeof(json[0]); j++) {
			struct gw_mediate_run	r1, r2, r3;
			struct gw_err		e1, e2, e3;
			char			*one = NULL, *mid = NULL;
			const char		*o = NULL;
			int			rc1, rc2, rc3 = -1;

			memset(&r1, 0, sizeof(r1));
			memset(&r2, 0, sizeof(r2));
			memset(&r3, 0, sizeof(r3));
			if ((o = run("both.json", json[j], &r1, &rc1, &e1)) !=
			    NULL)
				one = strdup(o);
			if ((o = run("j2x.json", json[j], &r2, &rc2, &e2)) !=
			    NULL) {
				mid = strdup(o);
				o = run("wrap.json", mid, &r3, &rc3, &e3);
			}
			if ((one == NULL) != (o == NULL) || (one != NULL &&
			    strcmp(one, o) != 0) || (one != NULL &&
			    strcmp(r1.content_type, r3.content_type) != 0)) {
				bad++;
				(void)printf("# json2xml %s, %s:\n# %s\n# %s\n",
				    conv[c], json[j], one != NULL ? one :
				    e1.msg, o != NULL ? o : "(failed)");
			}
			free(one);
			free(mid);
		}
	}
	ok(bad == 0, "friendly json2xml + soap_wrap without a tree: the same "
	    "as with one (%d differ)", bad);
}

/*
 * soap_unwrap then xml2json read the envelope once (no tree): the same
 * output, status and errors as the two steps run one after the other.
 */
static void
test_fused(void)
{
	static const char *const conv[] = {
		"\"lossless\"", "\"friendly\"",
		"{\"preset\": \"badgerfish\"}",
		"{\"namespace_separator\": \":\", \"recognize_number\": true}",
		"{\"strip_levels\": 1, \"nil\": true}",
		"{\"namespace_block\": \"@xmlns\"}",	/* not fused */
	};
	static const char *const env[] = {
		/* 1.1 with a Header, the payload's prefix on the Envelope */
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
		" xmlns:p=\"urn:p\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-"
		"instance\"><s:Header><p:h>x</p:h></s:Header><s:Body>\n  <p:r "
		"a=\"1\"><p:n>12</p:n><p:n>13</p:n><p:z xsi:nil=\"true\"/>"
		"<t>a &amp; b</t></p:r>\n</s:Body></s:Envelope>",
		/* 1.2, a default namespace, a second element after the first */
		"<?xml version=\"1.0\"?><e:Envelope xmlns:e=\"http://www.w3.org/"
		"2003/05/soap-envelope\"><e:Body><r xmlns=\"urn:r\"><v>1</v>"
		"</r><other/></e:Body></e:Envelope>",
		/* the lossless convention's payload */
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
		" xmlns:fn=\"http://www.w3.org/2005/xpath-functions\"><s:Body>"
		"<fn:map><fn:number key=\"a\">1</fn:number><fn:array key=\"b\">"
		"<fn:string>x</fn:string><fn:null/></fn:array></fn:map></s:Body>"
		"</s:Envelope>",
		/* not to be fused: a fault, an empty Body, no envelope */
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		"<s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>"
		"down</faultstring></s:Fault></s:Body></s:Envelope>",
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		"<s:Body/></s:Envelope>",
		"<r><v>1</v></r>",
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		"<s:Body><r/></s:Body><s:Body/></s:Envelope>",
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		"<s:Body><r></s:Body></s:Envelope>",
	};
	char	buf[512];
	int	bad = 0;

	put("un.json", "{\"steps\": [{\"soap_unwrap\": {}}]}");
	for (size_t c = 0; c < sizeof(conv) / sizeof(conv[0]); c++) {
		(void)snprintf(buf, sizeof(buf), "{\"steps\": [{\"soap_unwrap\": "
		    "{}}, {\"xml2json\": %s}]}", conv[c]);
		put("both.json", buf);
		(void)snprintf(buf, sizeof(buf), "{\"steps\": [{\"xml2json\": "
		    "%s}]}", conv[c]);
		put("x2j.json", buf);
		for (size_t e = 0; e < sizeof(env) / sizeof(env[0]); e++) {
			struct gw_mediate_run	r1, r2, r3;
			struct gw_err		e1, e2, e3;
			char			*one = NULL, *mid = NULL;
			const char		*o;
			int			rc1, rc2, rc3 = 0;

			memset(&r1, 0, sizeof(r1));
			memset(&r2, 0, sizeof(r2));
			memset(&r3, 0, sizeof(r3));
			memset(&e1, 0, sizeof(e1));
			memset(&e2, 0, sizeof(e2));
			memset(&e3, 0, sizeof(e3));
			if ((o = run("both.json", env[e], &r1, &rc1, &e1)) !=
			    NULL)
				one = strdup(o);
			/* one by one */
			if ((o = run("un.json", env[e], &r2, &rc2, &e2)) !=
			    NULL && rc2 == 0) {
				mid = strdup(o);
				o = run("x2j.json", mid, &r3, &rc3, &e3);
			}
			if (rc1 != (rc2 != 0 ? rc2 : rc3) ||
			    r1.soap_in != r2.soap_in || r1.status != r2.status ||
			    (one == NULL) != (o == NULL) ||
			    (one != NULL && strcmp(one, o) != 0) ||
			    (rc1 == -1 && rc2 == -1 && strcmp(e1.msg, e2.msg) !=
			    0) || strcmp(r1.content_type, rc2 != 0 ?
			    r2.content_type : r3.content_type) != 0) {
				bad++;
				(void)printf("# xml2json %s, envelope %zu: %d %s / "
				    "%d %d %s\n", conv[c], e, rc1, one != NULL ? one :
				    e1.msg, rc2, rc3, o != NULL ? o : rc2 == -1 ?
				    e2.msg : e3.msg);
			}
			free(one);
			free(mid);
		}
	}
	ok(bad == 0, "soap_unwrap + xml2json in one reading: the same as one "
	    "by one (%d differ)", bad);
	test_wrap_text();
}

static void
test_tests(void)
{
	struct gw_buf	report;
	struct gw_err	err;
	int		passed = 0, failed = 0, n = 0;

	put("case-in.json", "{\"a\": 1}");
	put("case-out.xml", "<?xml version=\"1.0\"?>\n<a>1</a>\n");
	put("m.json", "{ \"steps\": [ { \"json2xml\": { \"object_root\": "
	    "\"Root\" } } ] }");
	put("t.test.json", "{ \"mediation\": \"m.json\", \"cases\": [\n"
	    "  { \"name\": \"files\", \"input\": \"case-in.json\", \"expect\": "
	    "\"case-out.xml\" },\n"
	    "  { \"name\": \"inline\", \"input_json\": {\"x\": \"y\"}, "
	    "\"expect_xml\": \"<x>y</x>\" },\n"
	    "  { \"name\": \"wrong\", \"input_json\": {\"x\": 1}, "
	    "\"expect_xml\": \"<x>2</x>\" },\n"
	    "  { \"name\": \"json\", \"input_xml\": \"<a><b>1</b></a>\", "
	    "\"steps\": [ { \"xml2json\": { \"recognize_number\": true } } ], "
	    "\"expect_json\": {\"a\": {\"b\": 1.0}} },\n"
	    "  { \"name\": \"json wrong\", \"input_xml\": \"<a><b>1</b></a>\", "
	    "\"steps\": [ { \"xml2json\": \"friendly\" } ], "
	    "\"expect_json\": {\"a\": {\"b\": 1, \"c\": 2}} },\n"
	    "  { \"name\": \"fault\", \"input_xml\": \"<s:Envelope xmlns:s="
	    "\\\"" GW_SOAP11_NS "\\\"><s:Body><s:Fault><faultcode>s:Client"
	    "</faultcode></s:Fault></s:Body></s:Envelope>\", \"steps\": [ "
	    "{ \"soap_unwrap\": {} } ], \"expect_fault\": true, "
	    "\"expect_status\": 400 },\n"
	    "  { \"name\": \"error\", \"input_text\": \"{\", \"expect_error\": "
	    "\"unexpected end\" }\n"
	    "] }\n");
	gw_buf_init(&report, 0);
	ok(gw_mediate_test_path(at("t.test.json"), 0, &report, &passed,
	    &failed, &n, &err) == 0, "a test file runs");
	(void)gw_buf_cstr(&report, NULL);
	is_int(passed, 5, "five pass");
	is_int(failed, 2, "two fail");
	ok(strstr(report.p, "ok 1 - ") != NULL && strstr(report.p, "not ok 3 - ")
	    != NULL, "TAP-like lines");
	ok(strstr(report.p, "#   -<x>2</x>") != NULL && strstr(report.p,
	    "#   +<x>1</x>") != NULL, "an XML diff");
	ok(strstr(report.p, "#   $.a.b: expected 1, got \"1\"") != NULL &&
	    strstr(report.p, "#   $.a.c: missing") != NULL,
	    "a JSON diff by path");
	gw_buf_reset(&report);
	passed = failed = n = 0;
	ok(gw_mediate_test_path(dir, 0, &report, &passed, &failed, &n, &err) ==
	    0 && n == 7, "a folder runs its *.test.json");
	put("broken.test.json", "{ \"cases\": [ { \"nam\": 1 } ] }");
	gw_buf_reset(&report);
	passed = failed = n = 0;
	ok(gw_mediate_test_path(at("broken.test.json"), 0, &report, &passed,
	    &failed, &n, &err) == 0 && failed == 1 && strstr(gw_buf_cstr(
	    &report, NULL), "did you mean 'name'") != NULL,
	    "an invalid case fails, saying why");
	ok(gw_mediate_test_path(at("nope.test.json"), 0, &report, &passed,
	    &failed, &n, &err) == -1 && err.code == GW_E_NOTFOUND,
	    "a missing file");
	gw_buf_release(&report);
}

static void
test_policy(void)
{
	const struct gw_policy_type	*t = gw_policy_find("mediate");
	struct gw_jdoc			*doc;
	struct gw_jcheck		*ck;
	struct gw_err			 err;
	void				*state = NULL;
	static const char		 good[] = "{ \"request\": \"req.json\","
					    " \"response\": \"resp.json\" }";
	static const char		 bad[] = "{ \"requst\": \"req.json\","
					    " \"response\": \"bad.json\" }";
	static const char		 none[] = "{}";

	ok(t != NULL && t->flags == (GW_POLICY_REQUEST_BODY |
	    GW_POLICY_RESPONSE_BODY), "the mediate policy is registered");
	if (t == NULL)
		return;
	ok(gw_jdoc_parse(good, sizeof(good) - 1, at("gw.json"), 0, &doc,
	    &err) == 0, "a policy block");
	ck = gw_jcheck_new(doc, NULL, &err);
	ok(t->parse(ck, NULL, NULL, gw_jdoc_root(doc), &state) == 0 &&
	    state != NULL, "loads both mediations");
	t->free(state);
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
	ok(gw_jdoc_parse(bad, sizeof(bad) - 1, at("gw.json"), 0, &doc,
	    &err) == 0, "a bad block");
	ck = gw_jcheck_new(doc, NULL, &err);
	ok(t->parse(ck, NULL, NULL, gw_jdoc_root(doc), &state) == -1, "fails");
	ok(strstr(gw_jcheck_report(ck, NULL), "did you mean 'request'") != NULL,
	    "a typo");
	ok(strstr(gw_jcheck_report(ck, NULL), "response: ") != NULL &&
	    strstr(gw_jcheck_report(ck, NULL), "bad.json:3:7: steps[0]: "
	    "unknown step 'xsl'") != NULL,
	    "the mediation file's errors, each under the key");
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
	ok(gw_jdoc_parse(none, sizeof(none) - 1, at("gw.json"), 0, &doc,
	    &err) == 0, "an empty block");
	ck = gw_jcheck_new(doc, NULL, &err);
	ok(t->parse(ck, NULL, NULL, gw_jdoc_root(doc), &state) == -1 &&
	    strstr(gw_jcheck_report(ck, NULL), "give a request or a response") !=
	    NULL, "needs one side");
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
}

int
main(void)
{
	tmpdir_make("gw-mediate-test");
	test_load_errors();
	test_runs();
	test_fused();
	test_tests();
	test_policy();
	tmpdir_remove();
	{
		struct gw_mediate_run r;
		int rc;

		memset(&r, 0, sizeof(r));
		(void)run("none.json", "", &r, &rc, NULL);
	}
	return done_testing();
}
