/*
 * fuzz-xml2json.c: the lossless XML of JSON (fn:json-to-xml) -> JSON.
 *
 * The first byte chooses the duplicate-key mode; the rest is an XML
 * document.  When it reads, its JSON must make XML that reads into the
 * same JSON again (the conversion is a fixed point after one round), and
 * the JSON must be what gw_jx_json_normalize() makes of it.  When it does
 * not, the message must start with a position ("1:2: ...").  A broken
 * invariant aborts.
 */
#include <ctype.h>
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
	(void)fprintf(stderr, "fuzz-xml2json: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_buf		 j1, x, j2, norm;
	struct gw_err		 err;
	struct gw_jx_opts	 o;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.dup = data[0] % 3 == 0 ? GW_JX_DUP_REJECT : data[0] % 3 == 1 ?
	    GW_JX_DUP_FIRST : GW_JX_DUP_ALL;
	gw_buf_init(&j1, 0);
	gw_buf_init(&x, 0);
	gw_buf_init(&j2, 0);
	gw_buf_init(&norm, 0);
	if (gw_jx_xml_to_json((const char *)data + 1, size - 1, &o, &j1,
	    &err) == -1) {
		if (j1.len != 0)
			fail("a failed conversion left output", NULL);
		if (err.code != GW_E_NOMEM && !isdigit((unsigned char)err.msg[0]))
			fail("an error without a position", &err);
		goto out;
	}
	if (gw_jx_json_normalize(j1.p, j1.len, &o, &norm, &err) == -1)
		fail("the JSON made is not JSON", &err);
	if (norm.len != j1.len || memcmp(norm.p, j1.p, j1.len) != 0)
		fail("the JSON made is not normalized", NULL);
	if (gw_jx_json_to_xml(j1.p, j1.len, &o, &x, &err) == -1)
		fail("the JSON made does not convert", &err);
	if (gw_jx_xml_to_json(x.p, x.len, &o, &j2, &err) == -1)
		fail("the XML made does not read", &err);
	if (j1.len != j2.len || memcmp(j1.p, j2.p, j1.len) != 0)
		fail("not a fixed point", NULL);
 out:
	gw_buf_release(&j1);
	gw_buf_release(&x);
	gw_buf_release(&j2);
	gw_buf_release(&norm);
	return 0;
}
