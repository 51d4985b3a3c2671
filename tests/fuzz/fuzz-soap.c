/*
 * fuzz-soap.c: SOAP envelopes and faults from outside.
 *
 * The input is a would-be envelope.  When it unwraps to a payload, the
 * payload must wrap into an envelope of either version that unwraps to
 * the same payload; when it holds a fault, the fault's problem document
 * must be JSON with the status the fault maps to, and a fault envelope
 * made from that problem must read back as a fault.  XML -> JSON (both
 * conventions) reading the payload straight from the envelope must give
 * what it gives from the unwrapped payload.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "jsonxml.h"
#include "soap.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const struct gw_err *err)
{
	(void)fprintf(stderr, "fuzz-soap: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

static void
payload(const struct gw_xml_doc *p, enum gw_soap_version v)
{
	struct gw_buf		 a, env, b;
	struct gw_err		 err;
	struct gw_soap_wrap	 w;
	struct gw_xml_doc	*again = NULL;
	struct gw_soap_fault	*f = NULL;
	int			 rc;

	gw_buf_init(&a, 0);
	gw_buf_init(&env, 0);
	gw_buf_init(&b, 0);
	if (gw_xml_c14n(p, 0, &a, &err) == -1)
		goto out;	/* relative namespace URIs: C14N refuses them */
	memset(&w, 0, sizeof(w));
	w.version = v == GW_SOAP_11 ? GW_SOAP_12 : GW_SOAP_11;
	if (gw_soap_wrap_doc(p, &w, &env, &err) == -1)
		fail("a payload does not wrap", &err);
	rc = gw_soap_unwrap(env.p, env.len, NULL, NULL, &again, &f, &err);
	if (rc == 1) {
		/* a payload that is itself a Fault of the other version */
		gw_soap_fault_free(f);
		goto out;
	}
	if (rc != 0 || again == NULL)
		fail("a wrapped payload does not unwrap", rc == -1 ? &err :
		    NULL);
	if (gw_xml_c14n(again, 0, &b, &err) == -1)
		fail("the payload again is not canonical", &err);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		fail("the payload changed", NULL);
 out:
	gw_xml_doc_free(again);
	gw_buf_release(&a);
	gw_buf_release(&env);
	gw_buf_release(&b);
}

static void
fault(const struct gw_soap_fault *f)
{
	struct gw_buf		 prob, env;
	struct gw_err		 err;
	struct gw_jdoc		*doc;
	struct gw_xml_doc	*p;
	struct gw_soap_fault	*f2;
	int			 status = gw_soap_fault_status(f);

	if (status != 400 && status != 502)
		fail("a fault maps to another status", NULL);
	gw_buf_init(&prob, 0);
	gw_buf_init(&env, 0);
	if (gw_soap_fault_problem(f, status, 1, "rid", &prob, &err) == -1)
		fail("no problem document", &err);
	if (gw_jdoc_parse(prob.p, prob.len, "problem", 0, &doc, &err) == -1)
		fail("the problem document is not JSON", &err);
	gw_jdoc_free(doc);
	if (gw_soap_fault_from_rest(f->version, status, GW_STR(
	    "application/problem+json"), gw_buf_str(&prob), 1, &env,
	    &err) == -1)
		fail("no fault from the problem", &err);
	if (gw_soap_unwrap(env.p, env.len, NULL, NULL, &p, &f2, &err) != 1)
		fail("the fault made does not read as a fault", &err);
	if (gw_soap_fault_status(f2) != (status == 400 ? 400 : 502))
		fail("the fault made has another status", NULL);
	gw_soap_fault_free(f2);
	gw_buf_release(&prob);
	gw_buf_release(&env);
}

static int
payload_sax(void *arg, const char *xml, size_t len, const char *origin,
    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
    void *harg, struct gw_err *err)
{
	int *none = arg;
	int rc = gw_soap_sax_payload(xml, len, origin, lim, h, harg, NULL, err);

	if (rc == 1) {
		*none = 1;
		return gw_err_set(err, GW_E_PROTO, "no payload");
	}
	return rc;
}

/* XML -> JSON of the payload: from the tree's text, and from the envelope */
static void
to_json(const uint8_t *data, size_t size, const struct gw_xml_doc *p)
{
	static struct gw_jx_friendly	 fr;
	static int			 init;
	struct gw_jx_opts		 lo;
	struct gw_buf			 text, a, b;
	struct gw_err			 err;

	if (!init) {
		if (gw_jx_friendly_init(&fr, GW_JX_PRESET_APIGEE, &err) == -1)
			fail("friendly options", &err);
		init = 1;
	}
	gw_buf_init(&text, 0);
	gw_buf_init(&a, 0);
	gw_buf_init(&b, 0);
	if (p != NULL && gw_xml_serialize(p, 0, &text, &err) == -1)
		fail("the payload does not serialise", &err);
	for (int friendly = 0; friendly < 2; friendly++) {
		struct gw_jx_friendly	 f = fr;
		int			 none = 0, r1 = -1, r2;
		struct gw_err		 e1;

		memset(&lo, 0, sizeof(lo));
		gw_buf_reset(&a);
		gw_buf_reset(&b);
		if (p != NULL)
			r1 = friendly ? gw_jx_friendly_xml_to_json(text.p,
			    text.len, &f, &a, &e1) : gw_jx_xml_to_json(text.p,
			    text.len, &lo, &a, &e1);
		lo.sax = payload_sax;
		lo.sax_arg = &none;
		f.o.sax = payload_sax;
		f.o.sax_arg = &none;
		r2 = friendly ? gw_jx_friendly_xml_to_json((const char *)data,
		    size, &f, &b, &err) : gw_jx_xml_to_json((const char *)data,
		    size, &lo, &b, &err);
		if (r2 == 0 && r1 != 0)
			fail(friendly ? "friendly: only the envelope converts" :
			    "lossless: only the envelope converts", &e1);
		if (r1 == 0 && r2 != 0 && !none && err.code != GW_E_LIMIT)
			fail(friendly ? "friendly: only the payload converts" :
			    "lossless: only the payload converts", &err);
		if (r1 == 0 && r2 == 0 && (a.len != b.len ||
		    memcmp(a.p, b.p, a.len) != 0))
			fail(friendly ? "friendly: the JSON differs" :
			    "lossless: the JSON differs", NULL);
	}
	gw_buf_release(&text);
	gw_buf_release(&a);
	gw_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_xml_doc	*p = NULL;
	struct gw_soap_fault	*f = NULL;
	struct gw_err		 err;
	enum gw_soap_version	 v;

	switch (gw_soap_unwrap((const char *)data, size, NULL, &v, &p, &f,
	    &err)) {
	case 0:
		if (p != NULL)
			payload(p, v);
		to_json(data, size, p);
		gw_xml_doc_free(p);
		break;
	case 1:
		fault(f);
		gw_soap_fault_free(f);
		break;
	default:
		if (err.code != GW_E_PROTO && err.code != GW_E_LIMIT &&
		    err.code != GW_E_NOMEM)
			fail("an odd error", &err);
		break;
	}
	return 0;
}
