/*
 * audit_nomem_test.c: the audit module when memory runs out.
 *
 * The audit files are included, not linked, so that the allocations they
 * make can be failed one at a time: each scenario (loading rules, a JSON,
 * an XML, a raw request scan) runs with the 0th, 1st, 2nd... allocation
 * failing until one run makes no allocation fail.  Every run must end in
 * success or in GW_E_NOMEM, never crash, and (under make asan) never leak.
 * libxml2's and PCRE2's own allocations are not failed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"

/* -1: no failure; N: the Nth allocation from now on fails (0 the next). */
static long fail_countdown = -1;
static long allocations;

static int
fail_now(void)
{
	allocations++;
	return fail_countdown >= 0 && fail_countdown-- == 0;
}

#define NOMEM_INT(e)	gw_err_set((e), GW_E_NOMEM, "out of memory")
#define malloc(n)	(fail_now() ? NULL : malloc(n))
#define calloc(n, s)	(fail_now() ? NULL : calloc(n, s))
#define reallocarray(p, n, s) (fail_now() ? NULL : reallocarray(p, n, s))
#define strdup(s)	(fail_now() ? NULL : strdup(s))
#define strndup(s, n)	(fail_now() ? NULL : strndup(s, n))
#define gw_buf_append(b, p, n, e) \
	(fail_now() ? NOMEM_INT(e) : gw_buf_append(b, p, n, e))
#define gw_buf_reserve(b, n, e) \
	(fail_now() ? NOMEM_INT(e) : gw_buf_reserve(b, n, e))

#include "../../libcore/audit.c"
#include "../../libcore/audit-http.c"
#include "../../libcore/audit-json.c"
#include "../../libcore/audit-match.c"
#include "../../libcore/audit-rules.c"
#include "../../libcore/audit-xml.c"

#undef malloc
#undef calloc
#undef reallocarray
#undef strdup
#undef strndup
#undef gw_buf_append
#undef gw_buf_reserve

#include "tap.h"

static const char rules_text[] =
    "rule sqli\n targets args args-names cookies path\n"
    " decode url json html comments lower space\n prefilter union\n"
    " pattern \\bunion\\s+select\\b\n"
    "rule xss\n targets args headers xml-attributes\n"
    " decode url html json nospace lower\n prefilter <script\n"
    " pattern <script\n"
    "rule any\n targets args\n decode url cmdline\n pattern ;\\s*id\\b\n"
    "rule raw\n targets body\n prefilter evil\n pattern evil\n";

static int
collect(void *arg, const struct gw_audit_finding *f)
{
	(*(size_t *)arg)++;
	(void)f;
	return 0;
}

/* One scan; returns 0, or -1 with err (GW_E_NOMEM expected). */
static int
scan(enum gw_audit_format fmt, const struct gw_audit_rules *rules,
    const struct gw_audit_limits *lim, const char *in, size_t *n,
    struct gw_err *err)
{
	struct gw_audit_opts	 o;
	struct gw_audit_scan	*s;
	size_t			 len = strlen(in), at = 0;
	int			 rc = -1;

	memset(&o, 0, sizeof(o));
	o.rules = rules;
	o.limits = lim;
	o.fn = collect;
	o.arg = n;
	*n = 0;
	if ((s = gw_audit_scan_new(fmt, &o, err)) == NULL)
		return -1;
	/* in pieces, so that buffers grow */
	while (at < len) {
		size_t k = GW_MIN(len - at, (size_t)7);

		if (gw_audit_scan_feed(s, in + at, k, err) == -1)
			goto out;
		at += k;
	}
	if (gw_audit_scan_end(s, err) == -1)
		goto out;
	rc = 0;
 out:
	gw_audit_scan_free(s);
	return rc;
}

/*
 * Run fn with allocation N failing, N = 0, 1, 2...: each run must succeed
 * or fail with GW_E_NOMEM; the last (nothing failed) must succeed with
 * the findings of a run without failures.
 */
static void
walk(const char *what, enum gw_audit_format fmt, const char *in,
    const struct gw_audit_rules *rules)
{
	struct gw_audit_limits	lim;
	struct gw_err		err;
	size_t			want, got;
	long			n;
	int			bad = 0;

	gw_audit_limits_default(&lim);
	lim.xml_dtd = GW_AUDIT_DTD_INTERNAL;
	fail_countdown = -1;
	if (scan(fmt, rules, &lim, in, &want, &err) == -1) {
		ok(0, "%s: a scan without failures: %s", what, err.msg);
		return;
	}
	for (n = 0; n < 100000; n++) {
		int rc;

		fail_countdown = n;
		rc = scan(fmt, rules, &lim, in, &got, &err);
		if (fail_countdown >= 0) {
			/* nothing failed: the walk is over */
			fail_countdown = -1;
			if (rc != 0 || got != want)
				bad++;
			break;
		}
		if (rc == -1 && err.code != GW_E_NOMEM) {
			printf("# %s: allocation %ld: %s\n", what, n, err.msg);
			bad++;
		}
	}
	fail_countdown = -1;
	ok(bad == 0 && n < 100000, "%s: %ld allocations failed one by one",
	    what, n);
}

int
main(void)
{
	struct gw_audit_rules	*rules = NULL;
	struct gw_err		 err;
	long			 n;
	int			 bad = 0;

	/* loading the rules */
	for (n = 0; n < 100000; n++) {
		fail_countdown = n;
		if (gw_audit_rules_parse(rules_text, sizeof(rules_text) - 1,
		    "t.rules", GW_AUDIT_NO_JIT, &rules, &err) == 0) {
			if (fail_countdown < 0)
				bad++;	/* a failure went unnoticed */
			fail_countdown = -1;
			break;
		}
		if (err.code != GW_E_NOMEM || rules != NULL) {
			printf("# rules: allocation %ld: %s\n", n, err.msg);
			bad++;
		}
	}
	fail_countdown = -1;
	ok(bad == 0 && rules != NULL, "rule file: %ld allocations failed one "
	    "by one", n);
	if (rules == NULL)
		return done_testing();
	walk("JSON", GW_AUDIT_JSON, "{\"a\":[1,\"1 union select 2\","
	    "{\"b\":\"<script>\"}],\"a\":\"x; id\"}", rules);
	walk("XML", GW_AUDIT_XML, "<!DOCTYPE r [<!ENTITY e 'x'>]><r a='<script'>"
	    "<b>1 union select 2</b>&e;<c>evil</c></r>", rules);
	walk("raw HTTP request", GW_AUDIT_HTTP,
	    "POST /p?q=1+union+select+2&k HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: a=1; b=%3Cscript\r\nContent-Type: "
	    "application/x-www-form-urlencoded\r\nContent-Length: 18\r\n\r\n"
	    "f=evil&g=x%3B%20id", rules);
	walk("multipart body", GW_AUDIT_HTTP,
	    "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; "
	    "boundary=X\r\n\r\n--X\r\nContent-Disposition: form-data; "
	    "name=\"a\"\r\n\r\n<script>\r\n--X--\r\n", rules);
	walk("text", GW_AUDIT_TEXT, "one\n1 union select 2\nevil\n", rules);
	walk("guessed", GW_AUDIT_AUTO, "  [\"<script>\"]", rules);
	gw_audit_rules_free(rules);
	return done_testing();
}
