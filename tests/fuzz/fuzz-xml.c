/*
 * fuzz-xml.c: the safe XML reader, tree and streaming.
 *
 * The input is a document.  The tree and the streaming readers must agree
 * on whether it is well-formed, and both say where when it is not (the
 * first error they see may differ: libxml2 checks comments only when
 * somebody reads them); a document read must
 * serialise into one that reads again to the same canonical form.  (That
 * entity declarations are refused, the unit tests show: "<!ENTITY" in a
 * comment or a processing instruction is no declaration.)  A broken
 * invariant aborts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const struct gw_err *err)
{
	(void)fprintf(stderr, "fuzz-xml: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

static int
ev_start(void *arg, const struct gw_xml_start *e, struct gw_err *err)
{
	size_t *n = arg;

	(void)err;
	if (e->local == NULL || e->depth == 0)
		abort();
	for (size_t i = 0; i < e->nattrs; i++)
		if (e->attrs[i].value == NULL || e->attrs[i].local == NULL)
			abort();
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gw_xml_handler h = { ev_start, NULL, NULL };
	struct gw_xml_doc	*d = NULL, *d2 = NULL;
	struct gw_buf		 s, c1, c2;
	struct gw_err		 e1, e2;
	size_t			 n = 0;
	int			 r1, r2;

	gw_buf_init(&s, 0);
	gw_buf_init(&c1, 0);
	gw_buf_init(&c2, 0);
	r1 = gw_xml_parse((const char *)data, size, NULL, NULL, &d, &e1);
	r2 = gw_xml_sax((const char *)data, size, NULL, NULL, &h, &n, &e2);
	if (r1 != r2)
		fail("tree and stream disagree", r1 == -1 ? &e1 : &e2);
	if (r1 == -1) {
		if ((e1.code != GW_E_NOMEM && !isdigit((unsigned char)e1.msg[0]))
		    || (e2.code != GW_E_NOMEM &&
		    !isdigit((unsigned char)e2.msg[0])))
			fail("an error without a position", &e1);
		goto out;
	}
	if (gw_xml_serialize(d, 0, &s, &e1) == -1)
		fail("cannot serialise", &e1);
	if (gw_xml_parse(s.p, s.len, NULL, NULL, &d2, &e1) == -1)
		fail("what was serialised does not read", &e1);
	if (gw_xml_c14n(d, 0, &c1, &e1) == 0) {
		if (gw_xml_c14n(d2, 0, &c2, &e2) == -1)
			fail("the second is not canonical", &e2);
		if (c1.len != c2.len || memcmp(c1.p, c2.p, c1.len) != 0)
			fail("the document changed", NULL);
	}
 out:
	gw_xml_doc_free(d);
	gw_xml_doc_free(d2);
	gw_buf_release(&s);
	gw_buf_release(&c1);
	gw_buf_release(&c2);
	return 0;
}
