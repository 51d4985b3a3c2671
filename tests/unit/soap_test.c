/*
 * soap_test.c: envelopes, faults, and their HTTP side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "soap.h"
#include "xml.h"
#include "tap.h"

#define S11 "http://schemas.xmlsoap.org/soap/envelope/"
#define S12 "http://www.w3.org/2003/05/soap-envelope"

static const char *
cs(struct gw_buf *b)
{
	return gw_buf_cstr(b, NULL) != NULL ? b->p : "(null)";
}

static void
test_http(void)
{
	struct gw_buf b;

	gw_buf_init(&b, 0);
	ok(gw_soap_content_type(GW_SOAP_11, "urn:a", &b, NULL) == 0, "1.1");
	is_str(cs(&b), "text/xml; charset=utf-8", "has no action parameter");
	gw_buf_reset(&b);
	(void)gw_soap_content_type(GW_SOAP_12, "urn:\"a\"", &b, NULL);
	is_str(cs(&b), "application/soap+xml; charset=utf-8; action="
	    "\"urn:\\\"a\\\"\"", "1.2 carries it, quoted");
	gw_buf_reset(&b);
	(void)gw_soap_content_type(GW_SOAP_12, NULL, &b, NULL);
	is_str(cs(&b), "application/soap+xml; charset=utf-8", "or not");
	gw_buf_reset(&b);
	(void)gw_soap_action_value("http://tempuri.org/Add", &b, NULL);
	is_str(cs(&b), "\"http://tempuri.org/Add\"", "SOAPAction is quoted");
	is_int(gw_soap_media_version(GW_STR("Application/SOAP+xml ; a=b")),
	    GW_SOAP_12, "1.2 by media type");
	is_int(gw_soap_media_version(GW_STR(" text/xml")), GW_SOAP_11, "1.1");
	is_int(gw_soap_media_version(GW_STR("application/json")), GW_SOAP_NONE,
	    "neither");
	gw_buf_reset(&b);
	ok(gw_soap_request_action(GW_STR("application/soap+xml; charset=x; "
	    "ACTION=\"urn:x;y\""), GW_STR_NULL, &b, NULL) == 0, "action param");
	is_str(cs(&b), "urn:x;y", "quoted, with a ';' inside");
	gw_buf_reset(&b);
	ok(gw_soap_request_action(GW_STR("text/xml"), GW_STR(" \"urn:sa\" "),
	    &b, NULL) == 0, "SOAPAction");
	is_str(cs(&b), "urn:sa", "without quotes");
	gw_buf_reset(&b);
	ok(gw_soap_request_action(GW_STR("text/xml"), GW_STR_NULL, &b, NULL) ==
	    1, "none");
	is_int(gw_soap_version_parse("1.2"), GW_SOAP_12, "parse 1.2");
	is_int(gw_soap_version_parse("2"), GW_SOAP_NONE, "not a version");
	is_int(gw_soap_fault_http_status(GW_SOAP_11, 1), 500, "1.1: 500");
	is_int(gw_soap_fault_http_status(GW_SOAP_12, 1), 400, "1.2 Sender");
	is_int(gw_soap_fault_http_status(GW_SOAP_12, 0), 500, "1.2 Receiver");
	gw_buf_release(&b);
}

static void
test_wrap(void)
{
	struct gw_buf		b;
	struct gw_err		err;
	struct gw_soap_wrap	w;
	static const char	p[] = "<?xml version=\"1.0\"?>\n<!-- c -->"
				    "<Add xmlns=\"urn:t\"><a>1</a></Add>";

	gw_buf_init(&b, 0);
	memset(&w, 0, sizeof(w));
	ok(gw_soap_wrap(p, sizeof(p) - 1, &w, &b, &err) == 0, "wrap 1.1");
	is_str(cs(&b), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"" S11 "\"><soap:Body><Add xmlns="
	    "\"urn:t\"><a>1</a></Add></soap:Body></soap:Envelope>\n",
	    "the payload's root in the Body");
	gw_buf_reset(&b);
	w.version = GW_SOAP_12;
	w.header = "<h:id xmlns:h=\"urn:h\">7</h:id>";
	ok(gw_soap_wrap("", 0, &w, &b, &err) == 0, "wrap 1.2, no payload");
	is_str(cs(&b), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<soap:Envelope xmlns:soap=\"" S12 "\"><soap:Header><h:id xmlns:h="
	    "\"urn:h\">7</h:id></soap:Header><soap:Body/></soap:Envelope>\n",
	    "a header and an empty Body");
	gw_buf_reset(&b);
	ok(gw_soap_wrap("<a>", 3, &w, &b, &err) == -1 && err.code ==
	    GW_E_PROTO && b.len == 0, "a payload that is not XML");

	/* text already as libxml2 writes it: not parsed again */
	{
		static const char *const in[] = {
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Add "
			"xmlns=\"urn:t\"><a>1</a><b/></Add>\n",
			"<Add xmlns=\"urn:t\"><a>x&amp;y</a></Add>",
			"",
		};
		struct gw_buf	c;
		int		same = 1;

		gw_buf_init(&c, 0);
		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			for (int v = 0; v < 2; v++) {
				w.version = v ? GW_SOAP_12 : GW_SOAP_11;
				w.header = v ? "<h/>" : NULL;
				gw_buf_reset(&b);
				gw_buf_reset(&c);
				if (gw_soap_wrap(in[i], strlen(in[i]), &w, &b,
				    &err) == -1 || gw_soap_wrap_serialized(
				    in[i], strlen(in[i]), &w, &c, &err) == -1 ||
				    strcmp(cs(&b), cs(&c)) != 0) {
					same = 0;
					(void)printf("# %s\n# %s\n", cs(&b),
					    cs(&c));
				}
			}
		}
		ok(same, "wrapping serialised text gives what wrapping its "
		    "tree does");
		gw_buf_release(&c);
	}
	gw_buf_release(&b);
}

static int
unwrap(const char *xml, enum gw_soap_version *v, struct gw_buf *payload,
    struct gw_soap_fault **f, struct gw_err *err)
{
	struct gw_xml_doc	*d;
	int			 rc;

	rc = gw_soap_unwrap(xml, strlen(xml), NULL, v, &d, f, err);
	if (rc == 0 && d != NULL)
		(void)gw_xml_serialize(d, GW_XML_NO_DECL, payload, NULL);
	gw_xml_doc_free(d);
	return rc;
}

static void
test_unwrap(void)
{
	struct gw_buf		 b;
	struct gw_err		 err;
	struct gw_soap_fault	*f;
	enum gw_soap_version	 v;

	gw_buf_init(&b, 0);
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\" xmlns:xsi=\"http://www.w3."
	    "org/2001/XMLSchema-instance\" xmlns:t=\"urn:t\"><s:Header><x/>"
	    "</s:Header><s:Body>\n <t:R xsi:type=\"t:T\"><v>1</v></t:R>\n"
	    "</s:Body></s:Envelope>", &v, &b, &f, &err) == 0, "unwrap");
	is_int(v, GW_SOAP_11, "a 1.1 envelope");
	is_str(cs(&b), "<t:R xmlns:t=\"urn:t\" xmlns:xsi=\"http://www.w3.org/"
	    "2001/XMLSchema-instance\" xsi:type=\"t:T\"><v>1</v></t:R>",
	    "the Body's element, with the namespaces it may need, not the "
	    "envelope's");
	gw_buf_reset(&b);
	ok(unwrap("<e:Envelope xmlns:e=\"" S12 "\"><e:Body/></e:Envelope>", &v,
	    &b, &f, &err) == 0 && b.len == 0 && v == GW_SOAP_12,
	    "an empty 1.2 Body");
	ok(unwrap("<Envelope/>", &v, &b, &f, &err) == -1 && strstr(err.msg,
	    "not a SOAP envelope") != NULL, "not SOAP: %s", err.msg);
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\"/>", &v, &b, &f, &err) ==
	    -1 && strstr(err.msg, "without a Body") != NULL, "no Body");
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\"><s:Body/><s:Body/>"
	    "</s:Envelope>", &v, &b, &f, &err) == -1, "two Bodies");
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\"><t:Body xmlns:t=\"" S12
	    "\"/></s:Envelope>", &v, &b, &f, &err) == -1 && strstr(err.msg,
	    "unexpected element 'Body'") != NULL, "a Body of the other "
	    "version: %s", err.msg);
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\"><s:Body>", &v, &b, &f,
	    &err) == -1 && err.code == GW_E_PROTO, "not well-formed");
	gw_buf_release(&b);
}

static void
test_faults(void)
{
	struct gw_buf		 b;
	struct gw_err		 err;
	struct gw_soap_fault	*f;
	enum gw_soap_version	 v;
	int			 rc;

	gw_buf_init(&b, 0);
	ok(unwrap("<soap:Envelope xmlns:soap=\"" S11 "\"><soap:Body><soap:Fault>"
	    "<faultcode>soap:Client.Authentication.Expired</faultcode>"
	    "<faultstring xml:lang=\"en\"> bad &amp; expired </faultstring>"
	    "<faultactor>urn:gate</faultactor><detail><e:x xmlns:e=\"urn:e\">"
	    "secret</e:x></detail></soap:Fault></soap:Body></soap:Envelope>",
	    &v, &b, &f, &err) == 1, "a 1.1 fault");
	is_str(f->code, "Client", "its code");
	ok(f->standard && f->nsubcodes == 2 && strcmp(f->subcodes[0],
	    "Authentication") == 0 && strcmp(f->subcodes[1], "Expired") == 0,
	    "dotted subcodes");
	is_str(f->reason, "bad & expired", "reason, trimmed");
	is_str(f->actor, "urn:gate", "actor");
	is_str(f->detail, "<e:x xmlns:e=\"urn:e\">secret</e:x>", "detail");
	is_int(gw_soap_fault_status(f), 400, "Client: 400");
	ok(gw_soap_fault_problem(f, 400, 0, "rid", &b, &err) == 0, "problem");
	is_str(cs(&b), "{\"type\":\"urn:gw:problem:soap-fault\",\"title\":"
	    "\"Bad Request\",\"status\":400,\"detail\":\"bad & expired\","
	    "\"request_id\":\"rid\",\"soapFault\":{\"version\":\"1.1\",\"code\":"
	    "\"Client\",\"subcodes\":[\"Authentication\",\"Expired\"],"
	    "\"reason\":\"bad & expired\",\"actor\":\"urn:gate\"}}",
	    "problem+json without the detail");
	gw_buf_reset(&b);
	ok(gw_soap_fault_problem(f, 400, 1, NULL, &b, &err) == 0 &&
	    strstr(cs(&b), "\"detail\":\"<e:x xmlns:e=\\\"urn:e\\\">secret"
	    "</e:x>\"") != NULL, "with it when allowed");
	gw_soap_fault_free(f);

	gw_buf_reset(&b);
	ok(unwrap("<env:Envelope xmlns:env=\"" S12 "\" xmlns:m=\"urn:m\">"
	    "<env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value>"
	    "<env:Subcode><env:Value>m:Timeout</env:Value><env:Subcode>"
	    "<env:Value>m:DB</env:Value></env:Subcode></env:Subcode></env:Code>"
	    "<env:Reason><env:Text xml:lang=\"en\">too slow</env:Text>"
	    "<env:Text xml:lang=\"fr\">trop lent</env:Text></env:Reason>"
	    "<env:Node>urn:n</env:Node><env:Role>urn:r</env:Role>"
	    "<env:Detail>d</env:Detail></env:Fault></env:Body></env:Envelope>",
	    &v, &b, &f, &err) == 1, "a 1.2 fault");
	ok(strcmp(f->code, "Receiver") == 0 && f->version == GW_SOAP_12 &&
	    f->nsubcodes == 2 && strcmp(f->subcodes[1], "m:DB") == 0 &&
	    strcmp(f->reason, "too slow") == 0 && strcmp(f->node, "urn:n") ==
	    0 && strcmp(f->actor, "urn:r") == 0 && strcmp(f->detail, "d") == 0,
	    "its parts");
	is_int(gw_soap_fault_status(f), 502, "Receiver: 502");
	gw_soap_fault_free(f);
	ok(unwrap("<s:Envelope xmlns:s=\"" S12 "\"><s:Body><s:Fault><s:Code>"
	    "<s:Value>s:Sender</s:Value></s:Code></s:Fault></s:Body>"
	    "</s:Envelope>", &v, &b, &f, &err) == 1 &&
	    gw_soap_fault_status(f) == 400, "Sender: 400");
	gw_soap_fault_free(f);
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\" xmlns:x=\"urn:x\"><s:Body>"
	    "<s:Fault><faultcode>x:Client</faultcode></s:Fault></s:Body>"
	    "</s:Envelope>", &v, &b, &f, &err) == 1 && !f->standard &&
	    strcmp(f->code, "x:Client") == 0 && gw_soap_fault_status(f) == 502,
	    "a code of another namespace is not the caller's fault");
	gw_soap_fault_free(f);
	ok(unwrap("<s:Envelope xmlns:s=\"" S11 "\"><s:Body><s:Fault/></s:Body>"
	    "</s:Envelope>", &v, &b, &f, &err) == -1 && strstr(err.msg,
	    "faultcode") != NULL, "a fault without a code is not SOAP");

	/* faults we make */
	gw_buf_reset(&b);
	ok(gw_soap_fault_envelope(GW_SOAP_12, 1, "not-found", "a < b", "<x/>",
	    &b, &err) == 0, "a 1.2 fault envelope");
	ok(unwrap(cs(&b), &v, NULL, &f, &err) == 1 && strcmp(f->code,
	    "Sender") == 0 && strcmp(f->subcodes[0], "gw:not-found") == 0 &&
	    strcmp(f->reason, "a < b") == 0, "reads back");
	gw_soap_fault_free(f);
	gw_buf_reset(&b);
	ok(gw_soap_fault_from_rest(GW_SOAP_11, 404, GW_STR("application/"
	    "problem+json"), GW_STR("{\"type\":\"urn:gw:problem:not-found\","
	    "\"title\":\"Not Found\",\"status\":404,\"detail\":\"no route\"}"), 0,
	    &b, &err) == 0, "a REST error as a 1.1 fault");
	rc = unwrap(cs(&b), &v, NULL, &f, &err);
	ok(rc == 1 && v == GW_SOAP_11 &&
	    strcmp(f->code, "Client") == 0 && strcmp(f->subcodes[0],
	    "not-found") == 0 && strcmp(f->reason, "Not Found: no route") ==
	    0 && strstr(f->detail, "status=\"404\"") != NULL &&
	    strstr(f->detail, "no route") == NULL, "Client, the problem's "
	    "words, no body: %s", rc == 1 ? f->detail : err.msg);
	gw_soap_fault_free(f);
	gw_buf_reset(&b);
	ok(gw_soap_fault_from_rest(GW_SOAP_12, 503, GW_STR("text/html"),
	    GW_STR("<h1>down</h1>"), 1, &b, &err) == 0 && unwrap(cs(&b), &v,
	    NULL, &f, &err) == 1 && strcmp(f->code, "Receiver") == 0 &&
	    strcmp(f->reason, "503 Service Unavailable") == 0 &&
	    strstr(f->detail, "&lt;h1&gt;down") != NULL,
	    "a 5xx as a Receiver fault, the body as detail when allowed");
	gw_soap_fault_free(f);
	gw_buf_release(&b);
}

int
main(void)
{
	test_http();
	test_wrap();
	test_unwrap();
	test_faults();
	return done_testing();
}
