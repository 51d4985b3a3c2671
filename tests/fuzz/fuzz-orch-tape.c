/*
 * fuzz-orch-tape.c: recordings of calls (orch_tape_parse_one) and requests
 * described in JSON (gw_orch_reqdoc_parse), the files gw-orchestrate(1)
 * reads besides scripts.
 *
 * The first byte chooses the parser.  A recording that parses has a step,
 * a method and a target, and a status from 100 to 599 unless it records a
 * failure; a request that parses has a method and a path starting with
 * '/'.  Errors name the input ("fuzz:") or say out of memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "gw.h"
#include "orch-int.h"
#include "orch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-orch-tape: %s\n", what);
	abort();
}

static void
check_err(const struct gw_err *err)
{
	if (err->code != GW_E_NOMEM && strncmp(err->msg, "fuzz:", 5) != 0)
		fail("an error that does not name the input");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_arena			*a;
	struct orch_exchange		 x;
	struct gw_orch_reqdoc		*d = NULL;
	const struct gw_orch_request	*rq;
	struct gw_err			 err;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (gw_orch_reqdoc_parse((const char *)data + 1, size - 1,
		    "fuzz", &d, &err) == -1) {
			if (d != NULL)
				fail("*out set on error");
			check_err(&err);
			return 0;
		}
		rq = gw_orch_reqdoc_request(d);
		if (rq->method.len == 0 || rq->path.len == 0 ||
		    rq->path.p[0] != '/')
			fail("a request without a method or a path");
		if (gw_orch_reqdoc_param(d, "id", "1", &err) == -1)
			fail(err.msg);
		gw_orch_reqdoc_free(d);
		return 0;
	}
	if ((a = gw_arena_new(0)) == NULL)
		return 0;
	if (orch_tape_parse_one(a, (const char *)data + 1, size - 1, "fuzz",
	    &x, &err) == -1)
		check_err(&err);
	else if (x.step == NULL || x.method.p == NULL || x.target.p == NULL ||
	    (!x.failed && (x.status < 100 || x.status > 599)) ||
	    (x.failed && x.error == NULL))
		fail("a recording without its parts");
	gw_arena_free(a);
	return 0;
}
