/*
 * fuzz-orch-script.c: the orchestration script loader (gw_orch_parse).
 *
 * The input is a script; host names are not resolved (GW_ORCH_NORESOLVE),
 * so the fuzzer never waits on a name server.  When it loads: every
 * dependency names a step, users and dependencies agree, the graph has no
 * cycle (Kahn's algorithm empties it), and both descriptions of the graph
 * are made.  When it does not: the message starts with "fuzz:" (the
 * origin) or says out of memory.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "orch-int.h"
#include "orch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-orch-script: %s\n", what);
	abort();
}

static void
check_graph(const struct gw_orch *o)
{
	size_t	left[GW_ORCH_MAX_STEPS], queue[GW_ORCH_MAX_STEPS];
	size_t	nq = 0, head = 0, users = 0, deps = 0;

	if (o->nsteps == 0 || o->nsteps > GW_ORCH_MAX_STEPS)
		fail("step count");
	for (size_t i = 0; i < o->nsteps; i++) {
		const struct orch_step *s = &o->steps[i];

		if (s->idx != i || s->name == NULL)
			fail("step index or name");
		for (size_t k = 0; k < s->ndeps; k++)
			if (s->deps[k] >= o->nsteps)
				fail("a dependency out of range");
		for (size_t k = 0; k < s->nusers; k++)
			if (s->users[k] >= o->nsteps)
				fail("a user out of range");
		if (s->has_target && s->target >= o->ntargets)
			fail("a target out of range");
		if (s->retries > 0 && !s->idempotent)
			fail("retries of a call that is not idempotent");
		users += s->nusers;
		deps += s->ndeps;
		if ((left[i] = s->ndeps) == 0)
			queue[nq++] = i;
	}
	if (users != deps)
		fail("users and dependencies disagree");
	while (head < nq) {
		const struct orch_step *s = &o->steps[queue[head++]];

		for (size_t k = 0; k < s->nusers; k++)
			if (--left[s->users[k]] == 0)
				queue[nq++] = s->users[k];
	}
	if (nq != o->nsteps)
		fail("a cycle was loaded");
	for (size_t k = 0; k < o->resp.ndeps; k++)
		if (o->resp.deps[k] >= o->nsteps)
			fail("a response dependency out of range");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_orch	*o = NULL;
	struct gw_buf	 report, out;
	struct gw_err	 err;

	gw_buf_init(&report, 0);
	if (gw_orch_parse((const char *)data, size, "fuzz", GW_ORCH_NORESOLVE,
	    &o, &report, &err) == -1) {
		if (o != NULL)
			fail("*out set on error");
		if (err.code != GW_E_NOMEM && strncmp(err.msg, "fuzz:", 5) != 0)
			fail("an error that does not name the script");
		if (err.code != GW_E_NOMEM && report.len == 0)
			fail("an error without a report");
		gw_buf_release(&report);
		return 0;
	}
	check_graph(o);
	gw_buf_init(&out, 0);
	if (gw_orch_describe(o, 0, &out, &err) == -1 ||
	    gw_orch_describe(o, 1, &out, &err) == -1)
		fail(err.msg);
	gw_buf_release(&out);
	gw_buf_release(&report);
	gw_orch_free(o);
	return 0;
}
