/*
 * fuzz-friendly.c: the friendly JSON <-> XML convention, every option.
 *
 * The first byte chooses the direction and the preset, the second and
 * third the options (prefixes kept, a namespace block, an attribute
 * block, text always, xsi:nil, recognized types, strip levels, root and
 * namespace, a null value, a forced array path, indentation, duplicate
 * keys); the rest is the document.  What JSON -> XML makes must be
 * well-formed XML written as libxml2 writes it (so that a SOAP envelope
 * can be made around its text), and what XML -> JSON makes must be
 * normalized JSON;
 * both must then convert the other way without an error.  A failure must
 * leave no output.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonxml.h"
#include "soap.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const struct gw_err *err)
{
	(void)fprintf(stderr, "fuzz-friendly: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

static void
set(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? strdup(v) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_jx_friendly	 f;
	struct gw_buf		 out, back, norm;
	struct gw_err		 err;
	struct gw_xml_doc	*d;
	const char		*doc;
	size_t			 len;
	unsigned		 a, b;
	int			 to_xml;

	if (size < 3)
		return 0;
	to_xml = data[0] & 1;
	a = data[1];
	b = data[2];
	doc = (const char *)data + 3;
	len = size - 3;
	if (gw_jx_friendly_init(&f, (data[0] & 2) ? GW_JX_PRESET_BADGERFISH :
	    GW_JX_PRESET_APIGEE, &err) == -1)
		return 0;
	if (a & 1)
		set(&f.ns_separator, ":");
	if (a & 2)
		set(&f.ns_block, "#ns");
	if (a & 4)
		set(&f.attr_block, "#attrs");
	if (a & 8)
		f.text_always = 1;
	if (a & 16)
		f.nil = 1;
	if (a & 32)
		f.recognize_number = f.recognize_boolean = f.recognize_null = 1;
	if (a & 64) {
		set(&f.root, "R");
		set(&f.ns, "urn:f");
	}
	if (a & 128)
		set(&f.null_value, "NULL");
	f.strip_levels = b & 3;
	if (b & 4) {
		f.array_paths = calloc(2, sizeof(char *));
		if (f.array_paths != NULL)
			f.array_paths[0] = strdup("a/b");
	}
	if (b & 8)
		f.o.flags |= GW_JX_INDENT;
	if (b & 16)
		set(&f.attr_prefix, NULL);
	f.o.dup = (b >> 5) % 3 == 0 ? GW_JX_DUP_REJECT : (b >> 5) % 3 == 1 ?
	    GW_JX_DUP_FIRST : GW_JX_DUP_ALL;
	gw_buf_init(&out, 0);
	gw_buf_init(&back, 0);
	gw_buf_init(&norm, 0);
	if ((to_xml ? gw_jx_friendly_json_to_xml(doc, len, &f, &out, &err) :
	    gw_jx_friendly_xml_to_json(doc, len, &f, &out, &err)) == -1) {
		if (out.len != 0)
			fail("a failed conversion left output", NULL);
		goto out;
	}
	if (to_xml) {
		struct gw_buf		 e1, e2;
		struct gw_soap_wrap	 w;

		if (gw_xml_parse(out.p, out.len, NULL, NULL, &d, &err) == -1)
			fail("the XML made is not well-formed", &err);
		/* it wraps without a tree as with one (mediate.c relies on it) */
		gw_buf_init(&e1, 0);
		gw_buf_init(&e2, 0);
		memset(&w, 0, sizeof(w));
		if (gw_soap_wrap_doc(d, &w, &e1, &err) == -1 ||
		    gw_soap_wrap_serialized(out.p, out.len, &w, &e2, &err) == -1)
			fail("the XML made does not wrap", &err);
		if (e1.len != e2.len || memcmp(e1.p, e2.p, e1.len) != 0)
			fail("the XML made is not as libxml2 writes it", NULL);
		gw_buf_release(&e1);
		gw_buf_release(&e2);
		gw_xml_doc_free(d);
		if (gw_jx_friendly_xml_to_json(out.p, out.len, &f, &back,
		    &err) == -1 && err.code != GW_E_LIMIT &&
		    err.code != GW_E_NOMEM)
			fail("the XML made does not convert back", &err);
	} else {
		struct gw_jx_opts o;

		memset(&o, 0, sizeof(o));
		o.dup = GW_JX_DUP_ALL;
		o.flags = f.o.flags & GW_JX_INDENT;
		if (gw_jx_json_normalize(out.p, out.len, &o, &norm, &err) == -1)
			fail("the JSON made is not JSON", &err);
		if (norm.len != out.len || memcmp(norm.p, out.p, out.len) != 0)
			fail("the JSON made is not normalized", NULL);
	}
 out:
	gw_jx_friendly_release(&f);
	gw_buf_release(&out);
	gw_buf_release(&back);
	gw_buf_release(&norm);
	return 0;
}
