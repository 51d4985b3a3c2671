/*
 * fuzz-cfg.c: the configuration loader (gw_cfg_parse) on arbitrary bytes,
 * and through it every policy type's parser (policy.c's table).
 *
 * The input is the file.  It is parsed twice: both parses must agree
 * (result, first error, every line of the report).  A broken invariant
 * aborts:
 *
 *   - -1 comes with no configuration, GW_E_CONFIG or GW_E_NOMEM, a message,
 *     and a report whose every line starts with the file's name and a
 *     colon (file:line:col: path: message, or file: message);
 *   - 0 comes with a configuration within the limits of gw.h: routes,
 *     upstreams with 1 to GW_MAX_TARGETS targets, routes whose upstream
 *     exists, listeners, workers, static statuses from 100 to 599; its
 *     router answers a few look-ups; its references count to the end.
 *
 * Names of files the configuration refers to are resolved from a directory
 * that does not exist, and host names are never looked up (getaddrinfo is
 * made numeric-only here), so that a run reads no file of the tree and
 * sends nothing to the network.  Standard input is /dev/null.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "route.h"

#define ORIGIN	"/nonexistent-gw-fuzz/gw.json"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	getaddrinfo(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);

typedef int gai_fn(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

/* Numeric host names only: a fuzzer must not query DNS. */
int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static gai_fn	*real;
	struct addrinfo	 h;

	if (real == NULL) {
		void *sym = dlsym(RTLD_NEXT, "getaddrinfo");

		if (sym == NULL)
			abort();
		memcpy(&real, &sym, sizeof(real));
	}
	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	if (node != NULL && strcmp(node, "localhost") != 0)
		h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

__attribute__((constructor))
static void
stdin_null(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			(void)close(fd);
	}
}

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-cfg: %s\n", what);
	abort();
}

struct outcome {
	int		 rc;
	struct gw_cfg	*cfg;
	struct gw_err	 err;
	struct gw_buf	 report;
};

static void
parse(const uint8_t *data, size_t size, struct outcome *o)
{
	char *copy;

	memset(o, 0, sizeof(*o));
	gw_buf_init(&o->report, 0);
	/* a heap copy of exactly size bytes: ASan sees reads past it */
	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		fail("out of memory");
	if (size > 0)
		memcpy(copy, data, size);
	o->rc = gw_cfg_parse(copy, size, ORIGIN, &o->cfg, &o->report, &o->err);
	free(copy);
}

static void
check_report(const struct outcome *o)
{
	const char	*p = o->report.p, *end = p + o->report.len;
	size_t		 ol = strlen(ORIGIN);

	if (o->report.len == 0)
		fail("-1 with an empty report");
	if (end[-1] != '\n')
		fail("a report that does not end with a newline");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(nl - p) <= ol || memcmp(p, ORIGIN, ol) != 0 ||
		    p[ol] != ':')
			fail("a report line that does not start with the file");
		p = nl + 1;
	}
}

static void
check_cfg(const struct gw_cfg *cfg)
{
	static struct gw_http_head	 head;	/* no fields */
	struct gw_arena			*a;
	struct gw_route_match		 m;
	uint64_t			 allow;
	static const char *const paths[] = {
		"/", "/a", "/a/b/c", "/items/42", "/api/x?y", "/%41/../b"
	};

	if (cfg->nroutes > GW_MAX_ROUTES || cfg->nlisten > GW_MAX_LISTENERS ||
	    cfg->workers < 0 || cfg->workers > GW_MAX_WORKERS)
		fail("a configuration past the limits of gw.h");
	if (cfg->router == NULL)
		fail("a configuration without a router");
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		const struct gw_cfg_upstream *u = &cfg->upstreams[i];

		if (u->name == NULL || u->ntargets == 0 ||
		    u->ntargets > GW_MAX_TARGETS)
			fail("an upstream without a name or targets");
		for (size_t j = 0; j < u->ntargets; j++)
			if (u->targets[j].url == NULL)
				fail("a target without a URL");
	}
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct gw_cfg_route *r = &cfg->routes[i];

		if (r->name == NULL)
			fail("a route without a name");
		if (r->handler == GW_HANDLER_PROXY &&
		    r->proxy.upstream >= cfg->nupstreams)
			fail("a route to an upstream that does not exist");
		if (r->handler == GW_HANDLER_STATIC &&
		    (r->stat.status < 100 || r->stat.status > 599))
			fail("a static status out of range");
		if (r->npolicies > 0 && r->policies == NULL)
			fail("policies counted but missing");
	}
	if ((a = gw_arena_new(4096)) == NULL)
		fail("out of memory");
	for (size_t i = 0; i < GW_ARRAY_LEN(paths); i++) {
		struct gw_str	 p = gw_str_cstr(paths[i]);
		char		*np;
		size_t		 nlen;

		if ((np = gw_route_normalize_path(a, p, &nlen)) == NULL)
			continue;
		allow = 0;
		if (gw_router_match(cfg->router, GW_STR("a.test"), HTTP_GET,
		    gw_str_make(np, nlen), &head, &m, &allow) == 0 &&
		    m.data == NULL)
			fail("a match without its route");
	}
	gw_arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a, b;

	if (size > GW_MAX_CONFIG_BYTES)
		return 0;
	parse(data, size, &a);
	parse(data, size, &b);
	if (a.rc != b.rc || a.report.len != b.report.len ||
	    (a.report.len > 0 && memcmp(a.report.p, b.report.p,
	    a.report.len) != 0))
		fail("two parses of the same bytes disagree");
	if (a.rc == -1) {
		if (a.cfg != NULL || b.cfg != NULL)
			fail("-1 with a configuration");
		if ((a.err.code != GW_E_CONFIG && a.err.code != GW_E_NOMEM) ||
		    a.err.msg[0] == '\0')
			fail("-1 without GW_E_CONFIG and a message");
		if (strcmp(a.err.msg, b.err.msg) != 0)
			fail("two parses give two first errors");
		check_report(&a);
	} else if (a.rc == 0) {
		if (a.cfg == NULL || b.cfg == NULL)
			fail("0 without a configuration");
		check_cfg(a.cfg);
		/* a reference taken and dropped keeps it alive */
		gw_cfg_unref(gw_cfg_ref(a.cfg));
		check_cfg(a.cfg);
	} else
		fail("a result other than 0 and -1");
	gw_cfg_unref(a.cfg);
	gw_cfg_unref(b.cfg);
	gw_buf_release(&a.report);
	gw_buf_release(&b.report);
	return 0;
}
