/*
 * fuzz-json2xml.c: JSON -> lossless XML (fn:json-to-xml) and back.
 *
 * The first byte chooses the duplicate-key mode and the indentation; the
 * rest is the document.  When the conversion succeeds, the XML must read
 * back (xml2json with the same mode) into exactly the normalized input
 * (gw_jx_json_normalize); when it fails, normalizing must fail too, with
 * the same message (the same reader, the same position), and the output
 * buffer must be as it was.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonxml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const struct gw_err *err)
{
	(void)fprintf(stderr, "fuzz-json2xml: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_buf		 x, back, norm;
	struct gw_err		 e1, e2;
	struct gw_jx_opts	 o;
	const char		*doc;
	size_t			 len;
	int			 r1, r2;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.dup = data[0] % 3 == 0 ? GW_JX_DUP_REJECT : data[0] % 3 == 1 ?
	    GW_JX_DUP_FIRST : GW_JX_DUP_ALL;
	o.flags = (data[0] & 0x10) ? GW_JX_INDENT : 0;
	doc = (const char *)data + 1;
	len = size - 1;
	gw_buf_init(&x, 64 * 1024 * 1024);
	gw_buf_init(&back, 0);
	gw_buf_init(&norm, 0);
	r1 = gw_jx_json_to_xml(doc, len, &o, &x, &e1);
	o.flags = 0;
	r2 = gw_jx_json_normalize(doc, len, &o, &norm, &e2);
	if (r1 != r2)
		fail("json2xml and normalize disagree", r1 == -1 ? &e1 : &e2);
	if (r1 == -1) {
		if (x.len != 0)
			fail("a failed conversion left output", NULL);
		if (e1.code != GW_E_NOMEM && strcmp(e1.msg, e2.msg) != 0)
			fail("different errors", &e1);
		goto out;
	}
	if (gw_jx_xml_to_json(x.p, x.len, &o, &back, &e1) == -1)
		fail("its XML does not read back", &e1);
	if (back.len != norm.len || memcmp(back.p, norm.p, back.len) != 0)
		fail("the JSON does not come back", NULL);
 out:
	gw_buf_release(&x);
	gw_buf_release(&back);
	gw_buf_release(&norm);
	return 0;
}
