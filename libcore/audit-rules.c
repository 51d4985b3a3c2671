/*
 * audit-rules.c: the rule file format (gw-audit(5)), compiling the rules,
 * and the prefilter automaton.
 *
 *	# a comment
 *	rule sqli-union
 *		paranoia  1
 *		severity  critical
 *		targets   args args-names cookies
 *		decode    url html comments lower space
 *		prefilter union
 *		message   SQL injection: UNION SELECT
 *		pattern   \bunion\b.{0,40}?\bselect\b
 *
 * A rule starts with "rule ID" at the start of a line; its settings are the
 * indented lines after it.  "pattern" may be given more than once: the
 * patterns are alternatives.  The literals of "prefilter" are necessary
 * conditions: the pattern runs only on values that hold one of them (after
 * the decodings, compared without case).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "str.h"

#define RULES_MAX_BYTES		(4 * 1024 * 1024)
#define RULES_MAX		10000
#define PATTERN_MAX		(64 * 1024)
#define LINE_MAX_BYTES		(64 * 1024)
#define LITERALS_MAX		64
#define HEADERS_MAX		32
/* In a transition: the state it leads to has outputs. */
#define AC_OUT			0x80000000u

static const char *const target_names[] = {
	[AT_PATH] = "path",
	[AT_QUERY_NAME] = "query-names",
	[AT_QUERY_VALUE] = "query-values",
	[AT_HEADER_NAME] = "header-names",
	[AT_HEADER_VALUE] = "header-values",
	[AT_COOKIE_NAME] = "cookie-names",
	[AT_COOKIE_VALUE] = "cookie-values",
	[AT_FORM_NAME] = "form-names",
	[AT_FORM_VALUE] = "form-values",
	[AT_FILE_NAME] = "file-names",
	[AT_JSON_KEY] = "json-keys",
	[AT_JSON_VALUE] = "json-values",
	[AT_XML_TEXT] = "xml-text",
	[AT_XML_ATTR] = "xml-attributes",
	[AT_XML_NAME] = "xml-names",
	[AT_TEXT] = "text",
	[AT_BODY] = "body",
	[AT_METHOD] = "method",
	[AT_URI] = "uri",
};

static const struct {
	const char	*name;
	uint32_t	 bits;
} target_aliases[] = {
	{ "args", AT_BIT(AT_QUERY_VALUE) | AT_BIT(AT_FORM_VALUE) |
	    AT_BIT(AT_JSON_VALUE) | AT_BIT(AT_XML_TEXT) | AT_BIT(AT_XML_ATTR) |
	    AT_BIT(AT_TEXT) },
	{ "args-names", AT_BIT(AT_QUERY_NAME) | AT_BIT(AT_FORM_NAME) |
	    AT_BIT(AT_JSON_KEY) | AT_BIT(AT_XML_NAME) },
	{ "headers", AT_BIT(AT_HEADER_VALUE) },
	{ "cookies", AT_BIT(AT_COOKIE_NAME) | AT_BIT(AT_COOKIE_VALUE) },
};

static const char *const decode_names[] = {
	[AD_URL] = "url",
	[AD_PLUS] = "plus",
	[AD_JSON] = "json",
	[AD_HTML] = "html",
	[AD_BASE64] = "base64",
	[AD_LOWER] = "lower",
	[AD_SPACE] = "space",
	[AD_NOSPACE] = "nospace",
	[AD_NULLS] = "nulls",
	[AD_COMMENTS] = "comments",
	[AD_CMDLINE] = "cmdline",
	[AD_PATH] = "path",
};

const char *
audit_target_name(enum audit_target t)
{
	return (size_t)t < AT_NTARGETS ? target_names[t] : "?";
}

const char *
audit_decode_name(enum audit_decode d)
{
	return (size_t)d < AD_NDECODES ? decode_names[d] : "?";
}

/* A rule being read. */
struct draft {
	struct audit_rule	 r;
	int			 all_headers;
	uint8_t			 decode[AUDIT_MAX_DECODES];
	size_t			 ndecode;
	int			 has_decode;
	struct gw_buf		 pattern;
	size_t			 npatterns;
	char			*lits[LITERALS_MAX];
	size_t			 nlits;
};

struct parser {
	const char		*origin;
	unsigned		 line;
	unsigned		 flags;
	struct gw_audit_rules	*R;
	char			***lits;	/* per rule, NULL-terminated */
	struct gw_err		*err;
};

static int
perr(struct parser *ps, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static int
perr(struct parser *ps, const char *fmt, ...)
{
	char	msg[GW_ERR_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gw_err_set(ps->err, GW_E_CONFIG, "%s:%u: %s", ps->origin,
	    ps->line, msg);
}

static void
rule_release(struct audit_rule *r)
{
	free(r->id);
	free(r->message);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	pcre2_code_free(r->re);
	memset(r, 0, sizeof(*r));
}

static void
draft_release(struct draft *d)
{
	rule_release(&d->r);
	gw_buf_release(&d->pattern);
	for (size_t i = 0; i < d->nlits; i++)
		free(d->lits[i]);
	memset(d, 0, sizeof(*d));
}

static int
valid_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.' || *s == ':'))
			return 0;
	return 1;
}

/* The next word of *pp (space-separated); NULL at the end. */
static char *
next_word(char **pp)
{
	char *p = *pp, *w;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*pp = p;
		return NULL;
	}
	w = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return w;
}

static int
add_target(struct parser *ps, struct draft *d, const char *w)
{
	if (strncmp(w, "header:", 7) == 0) {
		char **nh;

		if (!valid_id(w + 7))
			return perr(ps, "rule '%s': bad header name in '%s'",
			    d->r.id, w);
		if (d->r.nheaders == HEADERS_MAX)
			return perr(ps, "rule '%s': more than %d header: "
			    "targets", d->r.id, HEADERS_MAX);
		if ((nh = reallocarray(d->r.headers, d->r.nheaders + 1,
		    sizeof(*nh))) == NULL)
			return gw_err_set(ps->err, GW_E_NOMEM,
			    "out of memory");
		d->r.headers = nh;
		if ((nh[d->r.nheaders] = strdup(w + 7)) == NULL)
			return gw_err_set(ps->err, GW_E_NOMEM,
			    "out of memory");
		for (char *c = nh[d->r.nheaders]; *c != '\0'; c++)
			*c = (char)gw_tolower((unsigned char)*c);
		d->r.nheaders++;
		d->r.targets |= AT_BIT(AT_HEADER_VALUE);
		return 0;
	}
	for (size_t i = 0; i < AT_NTARGETS; i++)
		if (strcmp(w, target_names[i]) == 0) {
			d->r.targets |= AT_BIT(i);
			if (i == AT_HEADER_VALUE)
				d->all_headers = 1;
			return 0;
		}
	for (size_t i = 0; i < GW_ARRAY_LEN(target_aliases); i++)
		if (strcmp(w, target_aliases[i].name) == 0) {
			d->r.targets |= target_aliases[i].bits;
			if (target_aliases[i].bits & AT_BIT(AT_HEADER_VALUE))
				d->all_headers = 1;
			return 0;
		}
	return perr(ps, "rule '%s': unknown target '%s'", d->r.id, w);
}

/* A prefilter literal: \\, \xHH and \s (a space) are the escapes. */
static int
add_literal(struct parser *ps, struct draft *d, const char *w)
{
	char	*lit;
	size_t	 n = 0;

	if (d->nlits == LITERALS_MAX)
		return perr(ps, "rule '%s': more than %d prefilter literals",
		    d->r.id, LITERALS_MAX);
	if ((lit = malloc(strlen(w) + 1)) == NULL)
		return gw_err_set(ps->err, GW_E_NOMEM, "out of memory");
	for (size_t i = 0; w[i] != '\0'; i++) {
		int c = (unsigned char)w[i];

		if (c == '\\') {
			int h, l;

			if (w[i + 1] == '\\') {
				i++;
			} else if (w[i + 1] == 's') {
				c = ' ';
				i++;
			} else if (w[i + 1] == 'x' && w[i + 2] != '\0' &&
			    w[i + 3] != '\0' &&
			    (h = (w[i + 2] >= '0' && w[i + 2] <= '9') ?
			    w[i + 2] - '0' : (gw_tolower(w[i + 2]) >= 'a' &&
			    gw_tolower(w[i + 2]) <= 'f') ?
			    gw_tolower(w[i + 2]) - 'a' + 10 : -1) >= 0 &&
			    (l = (w[i + 3] >= '0' && w[i + 3] <= '9') ?
			    w[i + 3] - '0' : (gw_tolower(w[i + 3]) >= 'a' &&
			    gw_tolower(w[i + 3]) <= 'f') ?
			    gw_tolower(w[i + 3]) - 'a' + 10 : -1) >= 0) {
				c = h << 4 | l;
				i += 3;
			} else {
				free(lit);
				return perr(ps, "rule '%s': bad escape in "
				    "prefilter '%s'", d->r.id, w);
			}
		}
		lit[n++] = (char)gw_tolower(c);
	}
	lit[n] = '\0';
	if (n == 0 || memchr(lit, '\0', n) != NULL) {
		free(lit);
		return perr(ps, "rule '%s': empty or NUL prefilter literal",
		    d->r.id);
	}
	d->lits[d->nlits++] = lit;
	return 0;
}

static int
set_decode(struct parser *ps, struct draft *d, char *rest)
{
	char *w;

	if (d->has_decode)
		return perr(ps, "rule '%s': decode given twice", d->r.id);
	d->has_decode = 1;
	while ((w = next_word(&rest)) != NULL) {
		size_t i;

		if (strcmp(w, "none") == 0)
			continue;
		for (i = 0; i < AD_NDECODES; i++)
			if (strcmp(w, decode_names[i]) == 0)
				break;
		if (i == AD_NDECODES)
			return perr(ps, "rule '%s': unknown decoding '%s'",
			    d->r.id, w);
		if (d->ndecode == AUDIT_MAX_DECODES)
			return perr(ps, "rule '%s': more than %d decodings",
			    d->r.id, AUDIT_MAX_DECODES);
		d->decode[d->ndecode++] = (uint8_t)i;
	}
	return 0;
}

static int
setting(struct parser *ps, struct draft *d, char *line)
{
	char *p = line, *key, *rest;

	key = next_word(&p);
	while (*p == ' ' || *p == '\t')
		p++;
	rest = p;
	if (strcmp(key, "pattern") == 0) {
		pcre2_code	*re;
		int		 ecode;
		PCRE2_SIZE	 eoff;

		if (*rest == '\0')
			return perr(ps, "rule '%s': empty pattern", d->r.id);
		/* alone first, so that an error's offset is this line's */
		if ((re = pcre2_compile((PCRE2_SPTR)rest, PCRE2_ZERO_TERMINATED,
		    0, &ecode, &eoff, NULL)) == NULL) {
			PCRE2_UCHAR msg[128];

			(void)pcre2_get_error_message(ecode, msg, sizeof(msg));
			return perr(ps, "rule '%s': pattern: %s at offset %zu",
			    d->r.id, (const char *)msg, (size_t)eoff);
		}
		pcre2_code_free(re);
		if (gw_buf_printf(&d->pattern, NULL, "%s(?:%s)",
		    d->npatterns > 0 ? "|" : "", rest) == -1)
			return perr(ps, "rule '%s': pattern longer than %d "
			    "bytes", d->r.id, PATTERN_MAX);
		d->npatterns++;
		return 0;
	}
	if (strcmp(key, "message") == 0) {
		if (d->r.message != NULL)
			return perr(ps, "rule '%s': message given twice",
			    d->r.id);
		if (*rest == '\0')
			return perr(ps, "rule '%s': empty message", d->r.id);
		if ((d->r.message = strdup(rest)) == NULL)
			return gw_err_set(ps->err, GW_E_NOMEM,
			    "out of memory");
		return 0;
	}
	if (strcmp(key, "severity") == 0) {
		if (gw_audit_severity_parse(rest, &d->r.severity) == -1)
			return perr(ps, "rule '%s': severity is notice, "
			    "warning, error or critical, not '%s'", d->r.id,
			    rest);
		return 0;
	}
	if (strcmp(key, "paranoia") == 0) {
		if (rest[0] < '1' || rest[0] > '4' || rest[1] != '\0')
			return perr(ps, "rule '%s': paranoia is 1 to 4, not "
			    "'%s'", d->r.id, rest);
		d->r.paranoia = rest[0] - '0';
		return 0;
	}
	if (strcmp(key, "targets") == 0) {
		char *w;

		while ((w = next_word(&rest)) != NULL)
			if (add_target(ps, d, w) == -1)
				return -1;
		return 0;
	}
	if (strcmp(key, "decode") == 0)
		return set_decode(ps, d, rest);
	if (strcmp(key, "prefilter") == 0) {
		char *w;

		while ((w = next_word(&rest)) != NULL)
			if (add_literal(ps, d, w) == -1)
				return -1;
		return 0;
	}
	return perr(ps, "rule '%s': unknown setting '%s' (pattern, message, "
	    "severity, paranoia, targets, decode, prefilter)", d->r.id, key);
}

/* Compile the draft and move it into the set. */
static int
finish(struct parser *ps, struct draft *d)
{
	struct gw_audit_rules	*R = ps->R;
	struct audit_rule	*nr;
	char			***nl;
	int			 ecode;
	PCRE2_SIZE		 eoff;
	char			*p;

	if (d->npatterns == 0)
		return perr(ps, "rule '%s': no pattern", d->r.id);
	if (d->r.targets == 0)
		return perr(ps, "rule '%s': no targets", d->r.id);
	if (d->all_headers && d->r.nheaders > 0) {
		for (size_t i = 0; i < d->r.nheaders; i++)
			free(d->r.headers[i]);
		free(d->r.headers);
		d->r.headers = NULL;
		d->r.nheaders = 0;
	}
	if (d->r.message == NULL && (d->r.message = strdup(d->r.id)) == NULL)
		return gw_err_set(ps->err, GW_E_NOMEM, "out of memory");
	if ((p = gw_buf_cstr(&d->pattern, ps->err)) == NULL)
		return -1;
	d->r.re = pcre2_compile((PCRE2_SPTR)p, d->pattern.len, 0, &ecode,
	    &eoff, NULL);
	if (d->r.re == NULL) {
		PCRE2_UCHAR msg[128];

		(void)pcre2_get_error_message(ecode, msg, sizeof(msg));
		return perr(ps, "rule '%s': pattern: %s at offset %zu",
		    d->r.id, (const char *)msg, (size_t)eoff);
	}
	if (R->jit && pcre2_jit_compile(d->r.re, PCRE2_JIT_COMPLETE) != 0)
		R->jit = 0;	/* the interpreter does the same */
	if (R->nrules == RULES_MAX)
		return perr(ps, "more than %d rules", RULES_MAX);
	for (size_t i = 0; i < R->nrules; i++)
		if (strcmp(R->rules[i].id, d->r.id) == 0)
			return perr(ps, "rule '%s' is defined twice (first "
			    "on line %u)", d->r.id, R->rules[i].line);
	if ((nr = reallocarray(R->rules, R->nrules + 1, sizeof(*nr))) == NULL)
		return gw_err_set(ps->err, GW_E_NOMEM, "out of memory");
	R->rules = nr;
	if ((nl = reallocarray(ps->lits, R->nrules + 1, sizeof(*nl))) == NULL)
		return gw_err_set(ps->err, GW_E_NOMEM, "out of memory");
	ps->lits = nl;
	if ((nl[R->nrules] = calloc(d->nlits + 1, sizeof(char *))) == NULL)
		return gw_err_set(ps->err, GW_E_NOMEM, "out of memory");
	memcpy(nl[R->nrules], d->lits, d->nlits * sizeof(char *));
	d->nlits = 0;
	d->r.prefiltered = nl[R->nrules][0] != NULL;
	memcpy(&nr[R->nrules], &d->r, sizeof(d->r));
	memset(&d->r, 0, sizeof(d->r));
	R->nrules++;
	return 0;
}

/*
 * The automaton.
 */

struct trie {
	uint32_t	(*go)[256];	/* 0: none (the root is never a child) */
	uint32_t	*fail;
	uint32_t	**outs;		/* per state: rule indexes */
	size_t		*nouts;
	size_t		 n, cap;
};

static void
trie_free(struct trie *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->outs[i]);
	free(t->go);
	free(t->fail);
	free(t->outs);
	free(t->nouts);
}

static int
trie_state(struct trie *t)
{
	if (t->n == t->cap) {
		size_t	 nc = t->cap == 0 ? 64 : t->cap * 2;
		void	*p;

		if ((p = reallocarray(t->go, nc, sizeof(*t->go))) == NULL)
			return -1;
		t->go = p;
		if ((p = reallocarray(t->fail, nc, sizeof(*t->fail))) == NULL)
			return -1;
		t->fail = p;
		if ((p = reallocarray(t->outs, nc, sizeof(*t->outs))) == NULL)
			return -1;
		t->outs = p;
		if ((p = reallocarray(t->nouts, nc, sizeof(*t->nouts))) ==
		    NULL)
			return -1;
		t->nouts = p;
		t->cap = nc;
	}
	memset(t->go[t->n], 0, sizeof(t->go[t->n]));
	t->fail[t->n] = 0;
	t->outs[t->n] = NULL;
	t->nouts[t->n] = 0;
	t->n++;
	return 0;
}

static int
out_add(struct trie *t, uint32_t st, uint32_t rule)
{
	uint32_t *p;

	for (size_t i = 0; i < t->nouts[st]; i++)
		if (t->outs[st][i] == rule)
			return 0;
	if ((p = reallocarray(t->outs[st], t->nouts[st] + 1,
	    sizeof(*p))) == NULL)
		return -1;
	p[t->nouts[st]++] = rule;
	t->outs[st] = p;
	return 0;
}

static int
build_ac(struct audit_ac *ac, size_t nrules, char ***lits)
{
	struct trie	 t;
	uint32_t	*queue = NULL;
	size_t		 qh = 0, qt = 0, nouts = 0;
	int		 used[256], rc = -1;

	memset(&t, 0, sizeof(t));
	memset(used, 0, sizeof(used));
	if (trie_state(&t) == -1)
		goto out;
	for (size_t ri = 0; ri < nrules; ri++) {
		for (char **l = lits[ri]; *l != NULL; l++) {
			uint32_t st = 0;

			for (const unsigned char *c = (const unsigned char *)*l;
			    *c != '\0'; c++) {
				used[*c] = 1;
				if (t.go[st][*c] == 0) {
					if (trie_state(&t) == -1)
						goto out;
					t.go[st][*c] = (uint32_t)(t.n - 1);
				}
				st = t.go[st][*c];
			}
			if (out_add(&t, st, (uint32_t)ri) == -1)
				goto out;
		}
	}
	if (t.n == 1) {
		rc = 0;		/* no literals: no automaton */
		goto out;
	}
	/* breadth first: failure links, outputs, full transitions */
	if ((queue = calloc(t.n, sizeof(*queue))) == NULL)
		goto out;
	for (int c = 0; c < 256; c++)
		if (t.go[0][c] != 0) {
			t.fail[t.go[0][c]] = 0;
			queue[qt++] = t.go[0][c];
		}
	while (qh < qt) {
		uint32_t st = queue[qh++], f = t.fail[st];

		for (size_t i = 0; i < t.nouts[f]; i++)
			if (out_add(&t, st, t.outs[f][i]) == -1)
				goto out;
		for (int c = 0; c < 256; c++) {
			uint32_t nx = t.go[st][c];

			if (nx != 0) {
				t.fail[nx] = t.go[f][c];
				queue[qt++] = nx;
			} else
				t.go[st][c] = t.go[f][c];
		}
	}
	/* byte classes: one per byte in some literal, 0 for the rest */
	ac->nclass = 1;
	for (int c = 0; c < 256; c++)
		if (used[c])
			used[c] = (int)ac->nclass++;
	for (int c = 0; c < 256; c++)
		ac->cls[c] = (uint8_t)used[gw_tolower(c)];
	if (ac->nclass > 256)
		GW_BUG("too many classes");
	ac->nstates = t.n;
	if ((ac->next = calloc(t.n * ac->nclass,
	    sizeof(*ac->next))) == NULL ||
	    (ac->out = calloc(t.n, sizeof(*ac->out))) == NULL)
		goto out;
	for (size_t st = 0; st < t.n; st++) {
		for (int c = 0; c < 256; c++)
			if (used[c] != 0 || c == 0)
				ac->next[st * ac->nclass +
				    (size_t)used[c]] = used[c] == 0 ? 0 :
				    t.go[st][c];
		/* class 0 (no literal has the byte) goes back to the root */
		nouts += t.nouts[st] > 0 ? t.nouts[st] + 1 : 0;
	}
	if ((ac->outs = calloc(nouts + 1, sizeof(*ac->outs))) == NULL)
		goto out;
	/* a transition into a state with outputs carries AC_OUT */
	for (size_t i = 0; i < t.n * ac->nclass; i++)
		if (t.nouts[ac->next[i]] > 0)
			ac->next[i] |= AC_OUT;
	ac->nouts = 0;
	for (size_t st = 0; st < t.n; st++) {
		if (t.nouts[st] == 0) {
			ac->out[st] = UINT32_MAX;
			continue;
		}
		ac->out[st] = (uint32_t)ac->nouts;
		for (size_t i = 0; i < t.nouts[st]; i++)
			ac->outs[ac->nouts++] = t.outs[st][i];
		ac->outs[ac->nouts++] = UINT32_MAX;
	}
	rc = 0;
 out:
	free(queue);
	trie_free(&t);
	if (rc == -1) {
		free(ac->next);
		free(ac->out);
		free(ac->outs);
		memset(ac, 0, sizeof(*ac));
	}
	return rc;
}

void
audit_ac_scan(const struct audit_ac *ac, const char *p, size_t len,
    uint32_t *cand, uint32_t gen, size_t *hits, size_t *nhits)
{
	const uint32_t	*next = ac->next, *out = ac->out;
	const uint8_t	*cls = ac->cls;
	size_t		 nclass = ac->nclass;
	uint32_t	 st = 0;

	for (size_t i = 0; i < len; i++) {
		st = next[(st & ~AC_OUT) * nclass + cls[(unsigned char)p[i]]];
		if (st & AC_OUT)
			for (const uint32_t *o = ac->outs + out[st & ~AC_OUT];
			    *o != UINT32_MAX; o++)
				if (cand[*o] != gen) {
					cand[*o] = gen;
					hits[(*nhits)++] = *o;
				}
	}
}

/*
 * Rule sets.
 */

struct chain {
	uint8_t	d[AUDIT_MAX_DECODES];
	size_t	n;
};

static int
group_rules(struct gw_audit_rules *R, struct chain *chains, char ***lits,
    struct gw_err *err)
{
	for (size_t i = 0; i < R->nrules; i++) {
		struct audit_rule	*r = &R->rules[i];
		struct audit_group	*g = NULL;
		size_t			*nrs;

		for (size_t k = 0; k < R->ngroups; k++)
			if (R->groups[k].ndecode == chains[i].n &&
			    memcmp(R->groups[k].decode, chains[i].d,
			    chains[i].n) == 0)
				g = &R->groups[k];
		if (g == NULL) {
			struct audit_group *ng;

			if ((ng = reallocarray(R->groups, R->ngroups + 1,
			    sizeof(*ng))) == NULL)
				return gw_err_set(err, GW_E_NOMEM,
				    "out of memory");
			R->groups = ng;
			g = &ng[R->ngroups++];
			memset(g, 0, sizeof(*g));
			memcpy(g->decode, chains[i].d, chains[i].n);
			g->ndecode = chains[i].n;
		}
		if ((nrs = reallocarray(g->rules, g->nrules + 1,
		    sizeof(*nrs))) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		g->rules = nrs;
		g->rules[g->nrules++] = i;
		if (!lits[i][0]) {
			if ((nrs = reallocarray(g->always, g->nalways + 1,
			    sizeof(*nrs))) == NULL)
				return gw_err_set(err, GW_E_NOMEM,
				    "out of memory");
			g->always = nrs;
			g->always[g->nalways++] = i;
		}
		g->targets |= r->targets;
		r->group = (size_t)(g - R->groups);
		R->targets |= r->targets;
	}
	for (size_t i = 0; i < R->nrules; i++)
		if (lits[i][0] != NULL)
			R->groups[R->rules[i].group].prefiltered = 1;
	if (build_ac(&R->ac, R->nrules, lits) == -1)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	return 0;
}

void
gw_audit_rules_free(struct gw_audit_rules *R)
{
	if (R == NULL)
		return;
	for (size_t i = 0; i < R->nrules; i++)
		rule_release(&R->rules[i]);
	free(R->rules);
	for (size_t k = 0; k < R->ngroups; k++) {
		free(R->groups[k].rules);
		free(R->groups[k].always);
	}
	free(R->groups);
	free(R->ac.next);
	free(R->ac.out);
	free(R->ac.outs);
	free(R);
}

int
gw_audit_rules_parse(const char *buf, size_t len, const char *origin,
    unsigned flags, struct gw_audit_rules **out, struct gw_err *err)
{
	struct parser	 ps;
	struct draft	 d;
	struct chain	*chains = NULL;
	char		 line[LINE_MAX_BYTES];
	size_t		 at = 0;
	int		 in_rule = 0, rc = -1;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	memset(&d, 0, sizeof(d));
	ps.origin = origin;
	ps.flags = flags;
	ps.err = err;
	if (len > RULES_MAX_BYTES)
		return gw_err_set(err, GW_E_CONFIG, "%s: larger than %d bytes",
		    origin, RULES_MAX_BYTES);
	if ((ps.R = calloc(1, sizeof(*ps.R))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	ps.R->jit = !(flags & GW_AUDIT_NO_JIT);
	while (at < len) {
		const char	*nl = memchr(buf + at, '\n', len - at);
		size_t		 n = nl == NULL ? len - at :
				    (size_t)(nl - (buf + at));
		char		*p;

		ps.line++;
		if (n >= sizeof(line)) {
			perr(&ps, "line longer than %zu bytes",
			    sizeof(line) - 1);
			goto out;
		}
		memcpy(line, buf + at, n);
		line[n] = '\0';
		at += n + (nl != NULL);
		if (memchr(line, '\0', n) != NULL) {
			perr(&ps, "NUL byte");
			goto out;
		}
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			line[--n] = '\0';
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (p == line) {
			char *w, *id;

			w = next_word(&p);
			if (strcmp(w, "rule") != 0) {
				perr(&ps, "expected 'rule ID', not '%s' (a "
				    "rule's settings are indented)", w);
				goto out;
			}
			if ((id = next_word(&p)) == NULL || !valid_id(id) ||
			    next_word(&p) != NULL) {
				perr(&ps, "expected 'rule ID' (an ID of "
				    "letters, digits, '-', '_', '.', ':')");
				goto out;
			}
			if (in_rule) {
				struct chain *nc;

				if ((nc = reallocarray(chains, ps.R->nrules + 1,
				    sizeof(*nc))) == NULL) {
					gw_err_set(err, GW_E_NOMEM,
					    "out of memory");
					goto out;
				}
				chains = nc;
				memcpy(nc[ps.R->nrules].d, d.decode,
				    sizeof(d.decode));
				nc[ps.R->nrules].n = d.ndecode;
				if (finish(&ps, &d) == -1)
					goto out;
				draft_release(&d);
			}
			in_rule = 1;
			gw_buf_init(&d.pattern, PATTERN_MAX);
			d.r.paranoia = 1;
			d.r.severity = GW_AUDIT_ERROR;
			d.r.line = ps.line;
			if ((d.r.id = strdup(id)) == NULL) {
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		if (!in_rule) {
			perr(&ps, "a setting outside a rule");
			goto out;
		}
		if (setting(&ps, &d, p) == -1)
			goto out;
	}
	if (in_rule) {
		struct chain *nc;

		if ((nc = reallocarray(chains, ps.R->nrules + 1,
		    sizeof(*nc))) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto out;
		}
		chains = nc;
		memcpy(nc[ps.R->nrules].d, d.decode, sizeof(d.decode));
		nc[ps.R->nrules].n = d.ndecode;
		ps.line++;
		if (finish(&ps, &d) == -1)
			goto out;
	}
	if (group_rules(ps.R, chains, ps.lits, err) == -1)
		goto out;
	*out = ps.R;
	ps.R = NULL;
	rc = 0;
 out:
	draft_release(&d);
	if (ps.lits != NULL) {
		size_t n = ps.R != NULL ? ps.R->nrules : (*out)->nrules;

		for (size_t i = 0; i < n; i++) {
			for (char **l = ps.lits[i]; l != NULL && *l != NULL;
			    l++)
				free(*l);
			free(ps.lits[i]);
		}
		free(ps.lits);
	}
	free(chains);
	gw_audit_rules_free(ps.R);
	return rc;
}

int
gw_audit_rules_load(const char *path, unsigned flags,
    struct gw_audit_rules **out, struct gw_err *err)
{
	char	*data;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (audit_read_file(path, RULES_MAX_BYTES, &data, &len, err) == -1)
		return -1;
	rc = gw_audit_rules_parse(data, len, path, flags, out, err);
	free(data);
	return rc;
}

size_t
gw_audit_rules_count(const struct gw_audit_rules *R, int p)
{
	size_t n = 0;

	if (R == NULL)
		return 0;
	for (size_t i = 0; i < R->nrules; i++)
		if (R->rules[i].paranoia <= p)
			n++;
	return n;
}

int
gw_audit_rules_jit(const struct gw_audit_rules *R)
{
	return R != NULL && R->jit;
}
