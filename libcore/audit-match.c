/*
 * audit-match.c: decoding values and matching them against the rules.
 *
 * Rules are grouped by their chain of decodings (audit-rules.c), so a value
 * is decoded once per chain, not once per rule.  Each group's literal
 * prefilters form one Aho-Corasick automaton: one pass over the decoded
 * value marks the rules whose literals occur, and only those (and the
 * rules without literals) run their PCRE2 pattern.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "str.h"

/* Backtracking budget of one pattern on one window (ReDoS guard). */
#define MATCH_LIMIT		1000000
#define DEPTH_LIMIT		10000
/* Bytes of a match shown as the excerpt. */
#define EXCERPT_MAX		48

int
audit_match_init(struct gw_audit_scan *s, struct gw_err *err)
{
	const struct gw_audit_rules *r = s->o.rules;

	gw_buf_init(&s->dec[0], 0);
	gw_buf_init(&s->dec[1], 0);
	gw_buf_init(&s->texts, 0);
	s->want = 0;
	if (r == NULL || r->nrules == 0)
		return 0;
	for (size_t i = 0; i < r->nrules; i++)
		if (r->rules[i].paranoia <= s->paranoia)
			s->want |= r->rules[i].targets;
	if ((s->md = pcre2_match_data_create(16, NULL)) == NULL ||
	    (s->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (s->cand = calloc(r->nrules, sizeof(*s->cand))) == NULL ||
	    (s->tx = calloc(r->ngroups + 1, sizeof(*s->tx))) == NULL ||
	    (s->seen = calloc(r->nrules, sizeof(*s->seen))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	(void)pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
	(void)pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT);
	return 0;
}

void
audit_match_release(struct gw_audit_scan *s)
{
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	s->md = NULL;
	s->mctx = NULL;
	free(s->cand);
	free(s->hits);
	free(s->tx);
	free(s->seen);
	s->cand = NULL;
	s->hits = NULL;
	s->tx = NULL;
	gw_buf_release(&s->texts);
	s->seen = NULL;
	gw_buf_release(&s->dec[0]);
	gw_buf_release(&s->dec[1]);
}

int
audit_wants(const struct gw_audit_scan *s, enum audit_target t)
{
	return (s->want & AT_BIT(t)) != 0;
}

void
audit_value_begin(struct gw_audit_scan *s)
{
	if (++s->gen == 0) {
		/* wrapped: forget every mark */
		if (s->seen != NULL && s->o.rules != NULL)
			memset(s->seen, 0, s->o.rules->nrules *
			    sizeof(*s->seen));
		s->gen = 1;
	}
}

/*
 * Decodings.  Each writes at most len bytes.
 */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF-8 of cp into out (at most 4 bytes); returns the length. */
static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		cp = 0xfffd;
	if (cp >= 0x10000) {
		out[0] = (char)(0xf0 | cp >> 18);
		out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 3;	/* not reached */
}

size_t
audit_url_decode(char *dst, const char *src, size_t len, int plus)
{
	size_t	o = 0;

	for (size_t i = 0; i < len; i++) {
		int h, l;

		if (src[i] == '+' && plus) {
			dst[o++] = ' ';
			continue;
		}
		if (src[i] != '%') {
			dst[o++] = src[i];
			continue;
		}
		if (i + 2 < len &&
		    (h = hexval((unsigned char)src[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)src[i + 2])) >= 0) {
			dst[o++] = (char)(h << 4 | l);
			i += 2;
			continue;
		}
		if (i + 5 < len && (src[i + 1] == 'u' || src[i + 1] == 'U')) {
			uint32_t	cp = 0;
			int		ok = 1;

			for (size_t k = 2; k < 6; k++) {
				int v = hexval((unsigned char)src[i + k]);

				if (v < 0) {
					ok = 0;
					break;
				}
				cp = cp << 4 | (uint32_t)v;
			}
			if (ok) {
				o += utf8_put(dst + o, cp);
				i += 5;
				continue;
			}
		}
		dst[o++] = src[i];
	}
	return o;
}

static size_t
json_unescape(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] != '\\' || i + 1 == len) {
			dst[o++] = src[i];
			continue;
		}
		switch (src[i + 1]) {
		case 'b':
			dst[o++] = '\b';
			break;
		case 'f':
			dst[o++] = '\f';
			break;
		case 'n':
			dst[o++] = '\n';
			break;
		case 'r':
			dst[o++] = '\r';
			break;
		case 't':
			dst[o++] = '\t';
			break;
		case 'u': {
			uint32_t	cp = 0, lo = 0;
			size_t		k;

			if (i + 5 >= len) {
				dst[o++] = src[i];
				continue;
			}
			for (k = 2; k < 6; k++) {
				int v = hexval((unsigned char)src[i + k]);

				if (v < 0)
					break;
				cp = cp << 4 | (uint32_t)v;
			}
			if (k < 6) {
				dst[o++] = src[i];
				continue;
			}
			i += 4;
			/* a surrogate pair */
			if (cp >= 0xd800 && cp < 0xdc00 && i + 7 < len &&
			    src[i + 2] == '\\' && src[i + 3] == 'u') {
				for (k = 4; k < 8; k++) {
					int v = hexval((unsigned char)
					    src[i + k]);

					if (v < 0)
						break;
					lo = lo << 4 | (uint32_t)v;
				}
				if (k == 8 && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					i += 6;
				}
			}
			o += utf8_put(dst + o, cp);
			break;
		}
		default:
			/* \" \\ \/ and anything else: the character */
			dst[o++] = src[i + 1];
			break;
		}
		i++;
	}
	return o;
}

static const struct {
	const char	*name;
	const char	*text;
} html_names[] = {
	{ "lt", "<" }, { "gt", ">" }, { "amp", "&" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", "\xc2\xa0" }, { "colon", ":" },
	{ "semi", ";" }, { "tab", "\t" }, { "newline", "\n" },
	{ "lpar", "(" }, { "rpar", ")" }, { "sol", "/" }, { "bsol", "\\" },
	{ "excl", "!" }, { "num", "#" }, { "dollar", "$" }, { "percnt", "%" },
	{ "lowbar", "_" }, { "period", "." }, { "comma", "," },
	{ "equals", "=" }, { "plus", "+" }, { "grave", "`" },
	{ "lsqb", "[" }, { "rsqb", "]" }, { "lcub", "{" }, { "rcub", "}" },
	{ "quest", "?" }, { "commat", "@" }, { "ast", "*" }, { "verbar", "|" },
};

static size_t
html_decode(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		size_t j = i + 1;

		if (src[i] != '&' || j >= len) {
			dst[o++] = src[i];
			continue;
		}
		if (src[j] == '#') {
			uint32_t	cp = 0;
			int		hex = 0, digits = 0;

			j++;
			if (j < len && (src[j] == 'x' || src[j] == 'X')) {
				hex = 1;
				j++;
			}
			for (; j < len; j++) {
				int v = hex ? hexval((unsigned char)src[j]) :
				    (src[j] >= '0' && src[j] <= '9' ?
				    src[j] - '0' : -1);

				if (v < 0)
					break;
				if (cp < 0x110000)
					cp = cp * (hex ? 16 : 10) + (uint32_t)v;
				digits++;
			}
			if (digits == 0) {
				dst[o++] = src[i];
				continue;
			}
			if (j < len && src[j] == ';')
				j++;
			if (cp == 0 || cp >= 0x110000 ||
			    (cp >= 0xd800 && cp < 0xe000))
				cp = 0xfffd;
			/*
			 * Never longer than the reference: d decimal digits
			 * give a code point below 10^d, which takes fewer
			 * than 2 + d bytes; U+FFFD needs 3 ("&#0").
			 */
			o += utf8_put(dst + o, cp);
			i = j - 1;
			continue;
		}
		{
			size_t	n = 0, k;
			int	found = 0;

			while (j + n < len && n < 8 &&
			    ((src[j + n] >= 'a' && src[j + n] <= 'z') ||
			    (src[j + n] >= 'A' && src[j + n] <= 'Z')))
				n++;
			for (k = 0; k < GW_ARRAY_LEN(html_names); k++)
				if (strlen(html_names[k].name) == n &&
				    strncasecmp(src + j, html_names[k].name,
				    n) == 0) {
					found = 1;
					break;
				}
			if (!found) {
				dst[o++] = src[i];
				continue;
			}
			for (const char *t = html_names[k].text; *t != '\0';
			    t++)
				dst[o++] = *t;
			i = j + n - 1;
			if (j + n < len && src[j + n] == ';')
				i++;
		}
	}
	return o;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* The whole value when it is base64 (8 characters or more), else a copy. */
static size_t
base64_decode(char *dst, const char *src, size_t len)
{
	size_t		b = 0, e = len, o = 0;
	uint32_t	acc = 0;
	int		bits = 0;

	while (b < e && strchr(" \t\r\n", src[b]) != NULL && src[b] != '\0')
		b++;
	while (e > b && strchr(" \t\r\n", src[e - 1]) != NULL &&
	    src[e - 1] != '\0')
		e--;
	while (e > b && src[e - 1] == '=')
		e--;
	if (e - b < 8)
		goto copy;
	for (size_t i = b; i < e; i++)
		if (b64val((unsigned char)src[i]) < 0)
			goto copy;
	if ((e - b) % 4 == 1)
		goto copy;
	for (size_t i = b; i < e; i++) {
		acc = acc << 6 | (uint32_t)b64val((unsigned char)src[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (char)(acc >> bits & 0xff);
		}
	}
	return o;
 copy:
	memcpy(dst, src, len);
	return len;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static size_t
compress_space(char *dst, const char *src, size_t len)
{
	size_t	o = 0;
	int	in = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_space((unsigned char)src[i])) {
			if (!in)
				dst[o++] = ' ';
			in = 1;
		} else {
			dst[o++] = src[i];
			in = 0;
		}
	}
	return o;
}

static size_t
remove_comments(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (src[i] == '/' && i + 1 < len && src[i + 1] == '*') {
			const char *end = NULL;

			for (size_t k = i + 2; k + 1 < len; k++)
				if (src[k] == '*' && src[k + 1] == '/') {
					end = src + k;
					break;
				}
			dst[o++] = ' ';
			i = end == NULL ? len : (size_t)(end - src) + 1;
			continue;
		}
		dst[o++] = src[i];
	}
	return o;
}

/*
 * What a shell would run: quotes, backslashes and carets removed (c'a't is
 * cat), commas as spaces, white space folded, lower case.  Unlike
 * ModSecurity's cmdLine, ';' stays (it separates commands) and the space
 * before '/' too (it separates a command from a path).
 */
static size_t
cmdline(char *dst, const char *src, size_t len)
{
	size_t	o = 0;
	int	sp = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		switch (c) {
		case '\\':
		case '"':
		case '\'':
		case '^':
			continue;
		case ',':
			c = ' ';
			break;
		default:
			break;
		}
		if (is_space(c)) {
			sp = 1;
			continue;
		}
		if (sp && o > 0)
			dst[o++] = ' ';
		sp = 0;
		dst[o++] = (char)gw_tolower(c);
	}
	return o;
}

static size_t
path_fold(char *dst, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i] == '\\' ? '/' : src[i];

		if (c == '/' && o > 0 && dst[o - 1] == '/')
			continue;
		/* "/./" -> "/" */
		if (c == '.' && o > 0 && dst[o - 1] == '/' &&
		    (i + 1 == len || src[i + 1] == '/' || src[i + 1] == '\\')) {
			i++;
			continue;
		}
		dst[o++] = c;
	}
	return o;
}

int
audit_decode(enum audit_decode d, const char *in, size_t len,
    struct gw_buf *out)
{
	char	*dst;
	size_t	 o = 0;

	gw_buf_reset(out);
	if (gw_buf_reserve(out, len + 1, NULL) == -1)
		return -1;
	dst = out->p;
	switch (d) {
	case AD_URL:
		o = audit_url_decode(dst, in, len, 0);
		break;
	case AD_PLUS:
		for (size_t i = 0; i < len; i++)
			dst[i] = in[i] == '+' ? ' ' : in[i];
		o = len;
		break;
	case AD_JSON:
		o = json_unescape(dst, in, len);
		break;
	case AD_HTML:
		o = html_decode(dst, in, len);
		break;
	case AD_BASE64:
		o = base64_decode(dst, in, len);
		break;
	case AD_LOWER:
		for (size_t i = 0; i < len; i++)
			dst[i] = (char)gw_tolower((unsigned char)in[i]);
		o = len;
		break;
	case AD_SPACE:
		o = compress_space(dst, in, len);
		break;
	case AD_NOSPACE:
		for (size_t i = 0; i < len; i++)
			if (!is_space((unsigned char)in[i]))
				dst[o++] = in[i];
		break;
	case AD_NULLS:
		for (size_t i = 0; i < len; i++)
			if (in[i] != '\0')
				dst[o++] = in[i];
		break;
	case AD_COMMENTS:
		o = remove_comments(dst, in, len);
		break;
	case AD_CMDLINE:
		o = cmdline(dst, in, len);
		break;
	case AD_PATH:
		o = path_fold(dst, in, len);
		break;
	default:
		GW_BUG("unknown decoding");
	}
	if (o > len)
		GW_BUG("a decoding grew its input");
	out->len = o;
	return 0;
}

/*
 * Which bytes a value holds, so that decodings with nothing to do are
 * skipped without a copy: most values hold no '%', no '&', no '\\'.
 */
struct bytes {
	uint64_t	b[4];
};

static void
bytes_of(struct bytes *m, const char *p, size_t len)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)p[i];

		m->b[c >> 6] |= 1ULL << (c & 63);
	}
}

static int
has(const struct bytes *m, unsigned c)
{
	return (m->b[c >> 6] >> (c & 63)) & 1;
}

static int
has_any(const struct bytes *m, const char *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (has(m, (unsigned char)set[i]))
			return 1;
	return 0;
}

static int
has_upper(const struct bytes *m)
{
	/* 'A' to 'Z' are bits 1 to 26 of the second word */
	return (m->b[1] & (((1ULL << 26) - 1) << 1)) != 0;
}

/* 1 if decoding d may change a value holding the bytes of m. */
static int
decode_needed(enum audit_decode d, const struct bytes *m)
{
	static const char ws[] = " \t\n\r\f\v";

	switch (d) {
	case AD_URL:
		return has(m, '%');
	case AD_PLUS:
		return has(m, '+');
	case AD_JSON:
		return has(m, '\\');
	case AD_HTML:
		return has(m, '&');
	case AD_BASE64:
		for (unsigned c = 0; c < 256; c++)
			if (has(m, c) && b64val((int)c) < 0 && c != '=' &&
			    strchr(ws, (int)c) == NULL)
				return 0;
		return 1;
	case AD_LOWER:
		return has_upper(m);
	case AD_SPACE:
	case AD_NOSPACE:
		return has_any(m, ws, sizeof(ws) - 1);
	case AD_NULLS:
		return has(m, '\0');
	case AD_COMMENTS:
		return has(m, '/') && has(m, '*');
	case AD_CMDLINE:
		return has_upper(m) || has_any(m, "\\\"'^,", 5) ||
		    has_any(m, ws, sizeof(ws) - 1);
	case AD_PATH:
		return has(m, '/') || has(m, '\\');
	default:
		return 1;
	}
}

/*
 * Matching.
 */

static int
rule_applies(const struct audit_rule *r, enum audit_target t,
    struct gw_str hname, int paranoia)
{
	if (r->paranoia > paranoia || !(r->targets & AT_BIT(t)))
		return 0;
	if (r->nheaders > 0 && t == AT_HEADER_VALUE) {
		for (size_t i = 0; i < r->nheaders; i++)
			if (gw_str_caseeq_cstr(hname, r->headers[i]))
				return 1;
		return 0;
	}
	return 1;
}

/* Run rule ri of the set on p[0..len); -1 when the scan must stop. */
static int
run_rule(struct gw_audit_scan *s, size_t ri, enum audit_target t,
    struct gw_str hname, const char *p, size_t len, const char *where,
    unsigned line, unsigned col)
{
	const struct audit_rule	*r = &s->o.rules->rules[ri];
	PCRE2_SIZE		*ov;
	int			 rc;

	if (s->seen[ri] == s->gen || !rule_applies(r, t, hname, s->paranoia))
		return 0;
	rc = pcre2_match(r->re, (PCRE2_SPTR)p, len, 0, 0, s->md, s->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	s->seen[ri] = s->gen;
	if (rc < 0 && rc != PCRE2_ERROR_PARTIAL)
		/* a pattern that gives up is a finding too */
		return audit_report(s, GW_AUDIT_LIMIT, r->id, GW_AUDIT_WARNING,
		    400, where, line, col, GW_STR_NULL, "rule '%s' gave up on "
		    "this value (PCRE2 error %d)", r->id, rc);
	ov = pcre2_get_ovector_pointer(s->md);
	{
		size_t	b = ov[0] < len ? ov[0] : len;
		size_t	e = ov[1] > b && ov[1] <= len ? ov[1] : b;
		size_t	n = e - b >= 8 ? GW_MIN(e - b, (size_t)EXCERPT_MAX) :
			    16;

		if (n > len - b)
			n = len - b;
		return audit_report(s, GW_AUDIT_RULE, r->id, r->severity, 403,
		    where, line, col, gw_str_make(p + b, n), "%s", r->message);
	}
}

static void
sort_hits(size_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = a[i], k = i;

		for (; k > 0 && a[k - 1] > v; k--)
			a[k] = a[k - 1];
		a[k] = v;
	}
}

/*
 * The rules the automaton finds in p[0..len), as text number n of this
 * value: appended to s->hits.  -1 on out of memory.
 */
static int
find_hits(struct gw_audit_scan *s, const char *p, size_t len,
    struct audit_text *tx)
{
	const struct gw_audit_rules *R = s->o.rules;

	if (s->caphits - s->nhits < R->nrules) {
		size_t	 nc = s->nhits + R->nrules + 64;
		size_t	*nh = reallocarray(s->hits, nc, sizeof(*nh));

		if (nh == NULL)
			return -1;
		s->hits = nh;
		s->caphits = nc;
	}
	if (++s->cgen == 0) {
		memset(s->cand, 0, R->nrules * sizeof(*s->cand));
		s->cgen = 1;
	}
	tx->hit = s->nhits;
	audit_ac_scan(&R->ac, p, len, s->cand, s->cgen, s->hits, &s->nhits);
	tx->nhit = s->nhits - tx->hit;
	sort_hits(s->hits + tx->hit, tx->nhit);
	return 0;
}

/*
 * The rules of group g on one window.  With the prefilter, only the rules
 * without literals and those of g the automaton found run, in the order
 * of the file (so that findings come in the same order either way): the
 * work per value grows with what it holds, not with the number of rules.
 */
static int
match_window(struct gw_audit_scan *s, const struct audit_group *g,
    enum audit_target t, struct gw_str hname, const char *p, size_t len,
    const char *where, unsigned line, unsigned col,
    const struct audit_text *tx)
{
	const struct gw_audit_rules	*R = s->o.rules;
	size_t				 a = 0, h, end;

	if (!g->prefiltered || (s->o.flags & GW_AUDIT_NO_PREFILTER)) {
		for (size_t i = 0; i < g->nrules; i++)
			if (run_rule(s, g->rules[i], t, hname, p, len, where,
			    line, col) == -1)
				return -1;
		return 0;
	}
	h = tx->hit;
	end = tx->hit + tx->nhit;
	/* merge the two sorted lists, keeping only g's hits */
	for (;;) {
		size_t ri;

		while (h < end && R->rules[s->hits[h]].group !=
		    (size_t)(g - R->groups))
			h++;
		if (a == g->nalways && h == end)
			break;
		if (h == end || (a < g->nalways && g->always[a] < s->hits[h]))
			ri = g->always[a++];
		else
			ri = s->hits[h++];
		if (run_rule(s, ri, t, hname, p, len, where, line, col) == -1)
			return -1;
	}
	return 0;
}

int
audit_match(struct gw_audit_scan *s, enum audit_target t,
    struct gw_str hname, const char *p, size_t len, const char *where,
    unsigned line, unsigned col)
{
	const struct gw_audit_rules	*R = s->o.rules;
	int				 pre;
	struct gw_err			 err;
	struct bytes			 m0;

	if (R == NULL || s->stopped || !audit_wants(s, t) || len == 0)
		return s->stopped ? -1 : 0;
	pre = R->ac.nstates > 0 && !(s->o.flags & GW_AUDIT_NO_PREFILTER);
	bytes_of(&m0, p, len);
	gw_buf_reset(&s->texts);
	s->ntx = 0;
	s->nhits = 0;
	for (size_t gi = 0; gi < R->ngroups; gi++) {
		const struct audit_group	*g = &R->groups[gi];
		const char			*d = p;
		size_t				 dlen = len, off = 0, nb = 0;
		struct bytes			 m;
		struct audit_text		 one, *tx = NULL;

		if (!(g->targets & AT_BIT(t)))
			continue;
		m = m0;
		for (size_t k = 0; k < g->ndecode; k++) {
			struct gw_buf *b = &s->dec[nb & 1];

			if (!decode_needed((enum audit_decode)g->decode[k],
			    &m))
				continue;
			nb++;
			if (audit_decode((enum audit_decode)g->decode[k], d,
			    dlen, b) == -1)
				goto nomem;
			d = b->p == NULL ? "" : b->p;
			dlen = b->len;
			if (k + 1 < g->ndecode)
				bytes_of(&m, d, dlen);
		}
		if (dlen == 0)
			continue;
		if (pre && g->prefiltered && dlen <= AUDIT_WINDOW) {
			/*
			 * Groups whose decodings leave the same text share
			 * one pass of the automaton: most values need two
			 * (as they are, and lower-cased) for all groups.
			 */
			for (size_t i = 0; i < s->ntx && tx == NULL; i++)
				if (s->tx[i].len == dlen && memcmp(s->texts.p +
				    s->tx[i].off, d, dlen) == 0)
					tx = &s->tx[i];
			if (tx == NULL) {
				tx = &s->tx[s->ntx];
				tx->off = s->texts.len;
				tx->len = dlen;
				if (gw_buf_append(&s->texts, d, dlen, NULL) ==
				    -1 || find_hits(s, d, dlen, tx) == -1)
					goto nomem;
				s->ntx++;
			}
			if (match_window(s, g, t, hname, d, dlen, where, line,
			    col, tx) == -1)
				return -1;
			continue;
		}
		/* long values: window after window */
		for (;;) {
			size_t n = GW_MIN(dlen - off, (size_t)AUDIT_WINDOW);

			memset(&one, 0, sizeof(one));
			if (pre && g->prefiltered) {
				s->nhits = 0;
				s->ntx = 0;
				gw_buf_reset(&s->texts);
				if (find_hits(s, d + off, n, &one) == -1)
					goto nomem;
			}
			if (match_window(s, g, t, hname, d + off, n, where,
			    line, col, &one) == -1)
				return -1;
			if (off + n >= dlen)
				break;
			off += AUDIT_WINDOW - AUDIT_OVERLAP;
		}
	}
	return 0;
 nomem:
	gw_err_set(&err, GW_E_NOMEM, "out of memory");
	return audit_fail(s, &err);
}
