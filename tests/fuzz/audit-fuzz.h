/*
 * audit-fuzz.h: what the audit fuzz targets share.  A scan of the input is
 * run whole and cut into pieces; both must report the same findings in
 * the same order, and every finding must be well-formed.  A broken
 * invariant aborts.
 */
#ifndef GW_AUDIT_FUZZ_H
#define GW_AUDIT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "err.h"
#include "gw.h"

/* A few rules of every kind of target and decoding, compiled once. */
static const char fuzz_rules[] =
    "rule sqli\n targets args args-names cookies path\n"
    " decode url json html comments lower space\n prefilter union\n"
    " pattern \\bunion\\s+select\\b\n"
    "rule xss\n targets args headers xml-attributes\n"
    " decode url html json nospace lower\n prefilter <script javascript:\n"
    " pattern <script|javascript:\n"
    "rule cmd\n targets args cookies\n decode url cmdline\n"
    " pattern (?:^|[;|&])\\s*(?:cat|id|ls)\\b\n"
    "rule b64\n targets args\n decode base64 lower\n prefilter <?php\n"
    " pattern <\\?php\n"
    "rule raw\n targets body text\n prefilter evil\n pattern evil\n"
    "rule names\n targets xml-names json-keys form-names query-names\n"
    " decode lower\n pattern ^(?:x+|evil)$\n"
    "rule path\n targets path uri method\n decode url url path\n"
    " prefilter ..\n pattern \\.\\./\n"
    "rule slow\n paranoia 2\n targets args\n pattern ^(a+)+$\n";

struct fuzz_got {
	uint64_t	hash;
	size_t		n;
	int		malformed;
};

__attribute__((__unused__))
static void
fuzz_fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-audit: %s\n", what);
	abort();
}

static void
fuzz_mix(struct fuzz_got *g, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		g->hash = (g->hash ^ b[i]) * 0x100000001b3ULL;
}

static int
fuzz_on_finding(void *arg, const struct gw_audit_finding *f)
{
	struct fuzz_got *g = arg;

	if (f->id == NULL || f->id[0] == '\0' || f->message == NULL ||
	    f->where == NULL || (f->excerpt.len > 0 && f->excerpt.p == NULL) ||
	    f->excerpt.len > 64 || f->status < 400 || f->status > 599)
		fuzz_fail("a malformed finding");
	g->n++;
	fuzz_mix(g, f->id, strlen(f->id));
	fuzz_mix(g, f->where, strlen(f->where));
	fuzz_mix(g, f->excerpt.p == NULL ? "" : f->excerpt.p, f->excerpt.len);
	return 0;
}

/* Scan data[0..size) in pieces given by seed (0: whole). */
static void
fuzz_scan(enum gw_audit_format fmt, const struct gw_audit_rules *rules,
    const struct gw_audit_limits *lim, int paranoia, const uint8_t *data,
    size_t size, uint32_t seed, struct fuzz_got *g)
{
	struct gw_audit_opts	 o;
	struct gw_audit_scan	*s;
	struct gw_err		 err;
	size_t			 at = 0;

	memset(g, 0, sizeof(*g));
	g->hash = 0xcbf29ce484222325ULL;
	memset(&o, 0, sizeof(o));
	o.limits = lim;
	o.rules = rules;
	o.paranoia = paranoia;
	o.fn = fuzz_on_finding;
	o.arg = g;
	if ((s = gw_audit_scan_new(fmt, &o, &err)) == NULL)
		fuzz_fail("gw_audit_scan_new");
	while (at < size) {
		size_t n = size - at;

		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			n = seed & 0x100 ? (seed >> 9) % 256 : (seed >> 9) % 17;
			if (n > size - at)
				n = size - at;
		}
		if (gw_audit_scan_feed(s, (const char *)data + at, n,
		    &err) == -1)
			fuzz_fail("gw_audit_scan_feed failed");
		at += n;
	}
	if (gw_audit_scan_end(s, &err) == -1)
		fuzz_fail("gw_audit_scan_end failed");
	g->malformed = gw_audit_scan_result(s)->malformed;
	if (gw_audit_scan_result(s)->findings != g->n)
		fuzz_fail("findings miscounted");
	gw_audit_scan_free(s);
}

static const struct gw_audit_rules *
fuzz_rules_once(void)
{
	static struct gw_audit_rules	*r;
	struct gw_err			 err;

	if (r == NULL && gw_audit_rules_parse(fuzz_rules, sizeof(fuzz_rules) -
	    1, "fuzz.rules", 0, &r, &err) == -1)
		fuzz_fail(err.msg);
	return r;
}

/* Whole and in pieces: the same findings. */
__attribute__((__unused__))
static void
fuzz_both(enum gw_audit_format fmt, const struct gw_audit_limits *lim,
    int paranoia, const uint8_t *data, size_t size, uint32_t seed)
{
	struct fuzz_got whole, cut;

	fuzz_scan(fmt, fuzz_rules_once(), lim, paranoia, data, size, 0,
	    &whole);
	fuzz_scan(fmt, fuzz_rules_once(), lim, paranoia, data, size,
	    seed | 1, &cut);
	/*
	 * A malformed body stops the scan where it breaks; raw "body"
	 * rules match windows as they fill, so which of their findings came
	 * before the stop depends on the cut (SECURITY.md, known limits).
	 * Both ways must still call it malformed; a body that is not
	 * malformed must give the same findings however it is cut.
	 */
	if (whole.malformed != cut.malformed)
		fuzz_fail("pieces disagree on malformed");
	if (!whole.malformed && (whole.hash != cut.hash || whole.n != cut.n))
		fuzz_fail("pieces give other findings");
}

#endif /* GW_AUDIT_FUZZ_H */
