/*
 * audit.c: scans, findings, limits; text lines and raw bodies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "str.h"

/* Limit files are small: refuse anything larger. */
#define LIMITS_MAX_BYTES	(64 * 1024)
/* The bytes kept to guess a format, at most. */
#define SNIFF_MAX		512
/* One text line or value is matched whole up to this, then in windows. */
#define VALUE_MAX		(AUDIT_WINDOW + AUDIT_OVERLAP)

static const char *const severity_names[] = {
	"notice", "warning", "error", "critical"
};

const char *
gw_audit_severity_name(enum gw_audit_severity s)
{
	if ((size_t)s >= GW_ARRAY_LEN(severity_names))
		return "error";
	return severity_names[s];
}

int
gw_audit_severity_parse(const char *name, enum gw_audit_severity *out)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum gw_audit_severity)i;
			return 0;
		}
	return -1;
}

static const char *const format_names[] = {
	[GW_AUDIT_AUTO] = "auto",
	[GW_AUDIT_JSON] = "json",
	[GW_AUDIT_XML] = "xml",
	[GW_AUDIT_TEXT] = "text",
	[GW_AUDIT_HTTP] = "http",
	[GW_AUDIT_FORM] = "form",
	[GW_AUDIT_RAW] = "raw"
};

int
gw_audit_format_parse(const char *name, enum gw_audit_format *out)
{
	for (size_t i = 0; i < GW_ARRAY_LEN(format_names); i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum gw_audit_format)i;
			return 0;
		}
	return -1;
}

const char *
gw_audit_format_name(enum gw_audit_format f)
{
	if ((size_t)f >= GW_ARRAY_LEN(format_names))
		return "raw";
	return format_names[f];
}

/*
 * The knobs.
 */

enum knob_kind {
	K_SIZE,		/* a number, 0: no limit */
	K_ALLOW,	/* "allow" or "deny" */
	K_DTD,		/* "deny" or "internal" */
	K_CHILDREN	/* a list of element, text, comment, pi */
};

struct knob {
	const char	*name;
	size_t		 off;
	enum knob_kind	 kind;
	uint64_t	 def;
};

#define KNOB(n, k, d)	{ #n, offsetof(struct gw_audit_limits, n), k, d }

static const struct knob knobs[] = {
	KNOB(max_bytes, K_SIZE, 64 * 1024 * 1024),
	KNOB(max_json_depth, K_SIZE, 32),
	KNOB(max_json_entries, K_SIZE, 10000),
	KNOB(max_json_items, K_SIZE, 100000),
	KNOB(max_json_key, K_SIZE, 1024),
	KNOB(max_json_string, K_SIZE, 1024 * 1024),
	KNOB(max_json_number, K_SIZE, 256),
	KNOB(json_duplicate_keys, K_ALLOW, 1),
	KNOB(max_xml_depth, K_SIZE, 64),
	KNOB(max_xml_children, K_SIZE, 10000),
	KNOB(max_xml_attributes, K_SIZE, 256),
	KNOB(max_xml_namespaces, K_SIZE, 64),
	KNOB(max_xml_element_name, K_SIZE, 256),
	KNOB(max_xml_attribute_name, K_SIZE, 256),
	KNOB(max_xml_prefix, K_SIZE, 64),
	KNOB(max_xml_pi_target, K_SIZE, 256),
	KNOB(max_xml_text, K_SIZE, 1024 * 1024),
	KNOB(max_xml_attribute_value, K_SIZE, 64 * 1024),
	KNOB(max_xml_namespace_uri, K_SIZE, 1024),
	KNOB(max_xml_comment, K_SIZE, 64 * 1024),
	KNOB(max_xml_pi_data, K_SIZE, 64 * 1024),
	KNOB(max_xml_nodes, K_SIZE, 1000000),
	KNOB(max_xml_entities, K_SIZE, 64),
	KNOB(max_xml_entity_refs, K_SIZE, 10000),
	KNOB(max_xml_entity_expansion, K_SIZE, 1024 * 1024),
	KNOB(max_xml_entity_ratio, K_SIZE, 10),
	KNOB(xml_children, K_CHILDREN, GW_AUDIT_CHILD_ELEMENT |
	    GW_AUDIT_CHILD_TEXT | GW_AUDIT_CHILD_COMMENT | GW_AUDIT_CHILD_PI),
	KNOB(xml_dtd, K_DTD, GW_AUDIT_DTD_DENY),
	KNOB(xml_xinclude, K_ALLOW, 0),
	KNOB(max_params, K_SIZE, 1000),
	KNOB(max_param_name, K_SIZE, 1024),
	KNOB(max_param_value, K_SIZE, 1024 * 1024),
};

static void
knob_put(struct gw_audit_limits *l, const struct knob *k, uint64_t v)
{
	char *p = (char *)l + k->off;

	switch (k->kind) {
	case K_SIZE:
		memcpy(p, &v, sizeof(uint64_t));
		break;
	case K_ALLOW: {
		int i = (int)v;

		memcpy(p, &i, sizeof(int));
		break;
	}
	case K_DTD: {
		enum gw_audit_dtd d = (enum gw_audit_dtd)v;

		memcpy(p, &d, sizeof(d));
		break;
	}
	case K_CHILDREN: {
		unsigned u = (unsigned)v;

		memcpy(p, &u, sizeof(u));
		break;
	}
	}
}

void
gw_audit_limits_default(struct gw_audit_limits *l)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < GW_ARRAY_LEN(knobs); i++)
		knob_put(l, &knobs[i], knobs[i].def);
}

const char *const *
gw_audit_limit_names(void)
{
	static const char *names[GW_ARRAY_LEN(knobs) + 1];

	for (size_t i = 0; i < GW_ARRAY_LEN(knobs); i++)
		names[i] = knobs[i].name;
	names[GW_ARRAY_LEN(knobs)] = NULL;
	return names;
}

/* A size: digits with an optional k, m or g (binary multiples). */
static int
parse_size(const char *s, uint64_t *out)
{
	uint64_t	v = 0, mul = 1;
	size_t		i = 0;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	switch (s[i]) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1024;
		i++;
		break;
	case 'm':
	case 'M':
		mul = 1024 * 1024;
		i++;
		break;
	case 'g':
	case 'G':
		mul = 1024 * 1024 * 1024;
		i++;
		break;
	default:
		return -1;
	}
	if (s[i] != '\0' || (v != 0 && v > UINT64_MAX / mul))
		return -1;
	*out = v * mul;
	return 0;
}

static int
parse_children(const char *s, uint64_t *out)
{
	static const char *const words[] = { "element", "text", "comment",
	    "pi" };
	uint64_t	v = 0;
	const char	*p = s;

	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		size_t	n = strcspn(p, ",");
		int	found = 0;

		for (size_t i = 0; i < GW_ARRAY_LEN(words); i++)
			if (strlen(words[i]) == n &&
			    strncmp(p, words[i], n) == 0) {
				v |= 1u << i;
				found = 1;
			}
		if (!found)
			return -1;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	*out = v;
	return 0;
}

int
gw_audit_limits_set(struct gw_audit_limits *l, const char *name,
    const char *value, struct gw_err *err)
{
	const struct knob	*k = NULL;
	uint64_t		 v;
	const char		*sug;

	for (size_t i = 0; i < GW_ARRAY_LEN(knobs); i++)
		if (strcmp(knobs[i].name, name) == 0)
			k = &knobs[i];
	if (k == NULL) {
		sug = gw_jcheck_closest(name, gw_audit_limit_names());
		if (sug != NULL)
			return gw_err_set(err, GW_E_NOTFOUND, "unknown limit "
			    "'%s'; did you mean '%s'?", name, sug);
		return gw_err_set(err, GW_E_NOTFOUND, "unknown limit '%s'",
		    name);
	}
	switch (k->kind) {
	case K_SIZE:
		if (parse_size(value, &v) == -1)
			return gw_err_set(err, GW_E_INVAL, "%s: expected a "
			    "number of bytes or items (0: no limit), not '%s'",
			    name, value);
		break;
	case K_ALLOW:
		if (strcmp(value, "allow") == 0)
			v = 1;
		else if (strcmp(value, "deny") == 0)
			v = 0;
		else
			return gw_err_set(err, GW_E_INVAL, "%s: expected "
			    "'allow' or 'deny', not '%s'", name, value);
		break;
	case K_DTD:
		if (strcmp(value, "deny") == 0)
			v = GW_AUDIT_DTD_DENY;
		else if (strcmp(value, "internal") == 0)
			v = GW_AUDIT_DTD_INTERNAL;
		else
			return gw_err_set(err, GW_E_INVAL, "%s: expected "
			    "'deny' or 'internal', not '%s'", name, value);
		break;
	case K_CHILDREN:
		if (parse_children(value, &v) == -1)
			return gw_err_set(err, GW_E_INVAL, "%s: expected a "
			    "comma-separated list of element, text, comment "
			    "and pi, or none, not '%s'", name, value);
		break;
	default:
		GW_BUG("unknown knob kind");
	}
	knob_put(l, k, v);
	return 0;
}

int
gw_audit_limits_parse(struct gw_audit_limits *l, const char *buf, size_t len,
    const char *origin, struct gw_err *err)
{
	size_t		at = 0;
	unsigned	lineno = 0;
	char		line[512];

	while (at < len) {
		const char	*nl = memchr(buf + at, '\n', len - at);
		size_t		 n = nl == NULL ? len - at : (size_t)(nl - (buf + at));
		char		*p, *name, *value, *end;

		lineno++;
		if (n >= sizeof(line))
			return gw_err_set(err, GW_E_CONFIG, "%s:%u: line too "
			    "long", origin, lineno);
		memcpy(line, buf + at, n);
		line[n] = '\0';
		at += n + (nl != NULL);
		if (memchr(line, '\0', n) != NULL)
			return gw_err_set(err, GW_E_CONFIG, "%s:%u: NUL byte",
			    origin, lineno);
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0')
			continue;
		name = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		value = p;
		end = p + strlen(p);
		while (end > value && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			*--end = '\0';
		if (*value == '\0')
			return gw_err_set(err, GW_E_CONFIG, "%s:%u: %s: "
			    "missing value", origin, lineno, name);
		if (strpbrk(value, " \t") != NULL)
			return gw_err_set(err, GW_E_CONFIG, "%s:%u: %s: one "
			    "value expected", origin, lineno, name);
		if (gw_audit_limits_set(l, name, value, err) == -1) {
			err->code = GW_E_CONFIG;
			return gw_err_prefix(err, "%s:%u", origin, lineno);
		}
	}
	return 0;
}

/* Read a whole small file; caller frees *data. */
int
audit_read_file(const char *path, size_t max, char **data, size_t *len,
    struct gw_err *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return gw_err_set(err, GW_E_NOTFOUND, "cannot open "
			    "'%s': %s", path, strerror(errno));
		return gw_err_sys(err, "cannot open '%s'", path);
	}
	if (fstat(fd, &st) == -1) {
		gw_err_sys(err, "cannot stat '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		gw_err_set(err, GW_E_INVAL, "'%s' is a directory", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		gw_err_set(err, GW_E_LIMIT, "'%s' is larger than %zu bytes",
		    path, max);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			gw_err_sys(err, "cannot read '%s'", path);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
	rc = 0;
 out:
	free(buf);
	(void)close(fd);
	return rc;
}

int
gw_audit_limits_load(struct gw_audit_limits *l, const char *path,
    struct gw_err *err)
{
	char	*data;
	size_t	 len;
	int	 rc;

	if (audit_read_file(path, LIMITS_MAX_BYTES, &data, &len, err) == -1)
		return -1;
	rc = gw_audit_limits_parse(l, data, len, path, err);
	free(data);
	return rc;
}

/*
 * Findings.
 */

static int
report_v(struct gw_audit_scan *s, enum gw_audit_kind kind, const char *id,
    enum gw_audit_severity sev, int status, const char *where, unsigned line,
    unsigned col, struct gw_str excerpt, const char *fmt, va_list ap)
{
	struct gw_audit_finding	f;
	char			msg[256];
	size_t			max = s->o.max_findings;

	if (s->stopped)
		return -1;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.id = id;
	f.severity = sev;
	f.message = msg;
	f.where = where == NULL ? "" : where;
	f.line = line;
	f.col = col;
	f.excerpt = excerpt;
	f.status = status;
	if (kind == GW_AUDIT_MALFORMED)
		s->res.malformed = 1;
	if (s->res.findings++ == 0)
		s->res.status = status;
	if (s->o.fn != NULL && s->o.fn(s->o.arg, &f) == -1)
		s->stopped = 1;
	if ((s->o.flags & GW_AUDIT_FIRST) || s->res.findings >= max)
		s->stopped = 1;
	if (s->stopped)
		s->res.stopped = 1;
	return s->stopped ? -1 : 0;
}

int
audit_report(struct gw_audit_scan *s, enum gw_audit_kind kind,
    const char *id, enum gw_audit_severity sev, int status, const char *where,
    unsigned line, unsigned col, struct gw_str excerpt, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = report_v(s, kind, id, sev, status, where, line, col, excerpt, fmt,
	    ap);
	va_end(ap);
	return rc;
}

int
audit_limit(struct gw_audit_scan *s, const char *id, const char *where,
    unsigned line, unsigned col, const char *fmt, ...)
{
	va_list	ap;
	int	rc, status = 400;
	size_t	n = strlen(id);

	/* byte limits of a whole document or value: 413 */
	if (strcmp(id, "size") == 0 || (n > 6 && strcmp(id + n - 6,
	    "-bytes") == 0))
		status = 413;
	va_start(ap, fmt);
	rc = report_v(s, GW_AUDIT_LIMIT, id, GW_AUDIT_ERROR, status, where,
	    line, col, GW_STR_NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int
audit_fail(struct gw_audit_scan *s, const struct gw_err *err)
{
	if (!s->failed) {
		s->failed = 1;
		s->ferr = *err;
	}
	s->stopped = 1;
	s->res.stopped = 1;
	return -1;
}

int
gw_audit_finding_json(struct gw_buf *out, const struct gw_audit_finding *f,
    struct gw_err *err)
{
	static const char *const kinds[] = { "rule", "limit", "entity",
	    "malformed" };
	size_t mark = out->len;

	if (gw_buf_puts(out, "{\"id\":\"", err) == -1 ||
	    gw_json_escape_append(out, f->id, strlen(f->id), err) == -1 ||
	    gw_buf_printf(out, err, "\",\"kind\":\"%s\",\"severity\":\"%s\","
	    "\"status\":%d,\"message\":\"", kinds[f->kind],
	    gw_audit_severity_name(f->severity), f->status) == -1 ||
	    gw_json_escape_append(out, f->message, strlen(f->message),
	    err) == -1 ||
	    gw_buf_puts(out, "\",\"where\":\"", err) == -1 ||
	    gw_json_escape_append(out, f->where, strlen(f->where), err) == -1 ||
	    gw_buf_putc(out, '"', err) == -1)
		goto fail;
	if (f->line > 0 && gw_buf_printf(out, err, ",\"line\":%u,\"col\":%u",
	    f->line, f->col) == -1)
		goto fail;
	if (f->excerpt.len > 0 &&
	    (gw_buf_puts(out, ",\"excerpt\":\"", err) == -1 ||
	    gw_json_escape_append(out, f->excerpt.p, f->excerpt.len,
	    err) == -1 || gw_buf_putc(out, '"', err) == -1))
		goto fail;
	if (gw_buf_putc(out, '}', err) == -1)
		goto fail;
	return 0;
 fail:
	out->len = mark;
	return -1;
}

/*
 * Values that arrive in pieces.
 */

void
audit_acc_init(struct audit_acc *a, size_t max)
{
	gw_buf_init(&a->buf, max);
	a->total = 0;
	a->active = 0;
}

void
audit_acc_release(struct audit_acc *a)
{
	gw_buf_release(&a->buf);
	a->total = 0;
	a->active = 0;
}

int
audit_acc_add(struct gw_audit_scan *s, struct audit_acc *a,
    enum audit_target t, const char *where, const char *p, size_t n)
{
	struct gw_err err;

	if (!a->active) {
		a->active = 1;
		a->total = 0;
		gw_buf_reset(&a->buf);
		audit_value_begin(s);
	}
	a->total += n;
	while (n > 0) {
		size_t room = VALUE_MAX - a->buf.len, take = GW_MIN(room, n);

		if (gw_buf_append(&a->buf, p, take, &err) == -1)
			return audit_fail(s, &err);
		p += take;
		n -= take;
		if (a->buf.len == VALUE_MAX) {
			if (audit_match(s, t, GW_STR_NULL, a->buf.p, a->buf.len,
			    where, 0, 0) == -1)
				return -1;
			memmove(a->buf.p, a->buf.p + a->buf.len -
			    AUDIT_OVERLAP, AUDIT_OVERLAP);
			a->buf.len = AUDIT_OVERLAP;
		}
	}
	return 0;
}

int
audit_acc_done(struct gw_audit_scan *s, struct audit_acc *a,
    enum audit_target t, const char *where, unsigned line, unsigned col)
{
	int rc = 0;

	if (!a->active)
		audit_value_begin(s);
	if (a->buf.len > 0 || !a->active)
		rc = audit_match(s, t, GW_STR_NULL, a->buf.p == NULL ? "" :
		    a->buf.p, a->buf.len, where, line, col);
	a->active = 0;
	a->total = 0;
	gw_buf_reset(&a->buf);
	return rc;
}

/*
 * Text: every line is a value.
 */

static int
text_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	char where[32];

	while (len > 0 && !s->stopped) {
		const char	*nl = memchr(p, '\n', len);
		size_t		 n = nl == NULL ? len : (size_t)(nl - p);

		(void)snprintf(where, sizeof(where), "line %llu",
		    (unsigned long long)(s->lineno + 1));
		if (n > 0 && audit_acc_add(s, &s->line, AT_TEXT, where, p,
		    n) == -1)
			return -1;
		if (nl == NULL)
			break;
		/* a CR before the LF is not part of the line */
		if (s->line.buf.len > 0 &&
		    s->line.buf.p[s->line.buf.len - 1] == '\r')
			s->line.buf.len--;
		s->lineno++;
		if (s->line.active && audit_acc_done(s, &s->line, AT_TEXT,
		    where, (unsigned)GW_MIN(s->lineno, UINT_MAX), 1) == -1)
			return -1;
		p += n + 1;
		len -= n + 1;
	}
	return 0;
}

static int
text_finish(struct gw_audit_scan *s)
{
	char where[32];

	if (!s->line.active)
		return 0;
	(void)snprintf(where, sizeof(where), "line %llu",
	    (unsigned long long)(s->lineno + 1));
	return audit_acc_done(s, &s->line, AT_TEXT, where,
	    (unsigned)GW_MIN(s->lineno + 1, UINT_MAX), 1);
}

/*
 * The body: its format's scanner, and the rules on the raw bytes.
 */

static int
starts_with_ci(struct gw_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && gw_str_caseeq(gw_str_make(s.p, n),
	    gw_str_make(lit, n));
}

/* 1 if the media type of ctype contains word (case-insensitive). */
static int
media_has(struct gw_str ctype, const char *word)
{
	size_t n = strlen(word), end = 0;

	while (end < ctype.len && ctype.p[end] != ';')
		end++;
	for (size_t i = 0; i + n <= end; i++)
		if (starts_with_ci(gw_str_make(ctype.p + i, end - i), word))
			return 1;
	return 0;
}

void
audit_body_format(struct gw_audit_scan *s, struct gw_str ctype)
{
	if (ctype.p == NULL || ctype.len == 0)
		s->body_fmt = GW_AUDIT_AUTO;
	else if (media_has(ctype, "json"))
		s->body_fmt = GW_AUDIT_JSON;
	else if (media_has(ctype, "xml"))
		s->body_fmt = GW_AUDIT_XML;
	else if (media_has(ctype, "application/x-www-form-urlencoded"))
		s->body_fmt = GW_AUDIT_FORM;
	else if (media_has(ctype, "multipart/form-data") &&
	    audit_mp_new(s, ctype) == 0)
		s->body_fmt = GW_AUDIT_RAW;	/* the parts are seen by mp */
	else if (media_has(ctype, "text/plain"))
		s->body_fmt = GW_AUDIT_TEXT;
	else
		s->body_fmt = GW_AUDIT_RAW;
}

/* Guess from the first bytes that are not white space. */
static enum gw_audit_format
guess(const char *p, size_t len, int http_ok)
{
	size_t i = 0, j;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (i + 3 <= len && memcmp(p + i, "\xef\xbb\xbf", 3) == 0)
		i += 3;
	if (i == len)
		return GW_AUDIT_TEXT;
	if (p[i] == '{' || p[i] == '[')
		return GW_AUDIT_JSON;
	if (p[i] == '<')
		return GW_AUDIT_XML;
	if (http_ok && i == 0) {
		/* "METHOD SP target SP HTTP/", on the first line */
		const char *nl = memchr(p, '\n', len);

		if (nl != NULL)
			len = (size_t)(nl - p);
		for (j = 0; j < len && p[j] >= 'A' && p[j] <= 'Z'; j++)
			;
		if (j > 0 && j < len && p[j] == ' ') {
			const char *sp = memchr(p + j + 1, ' ', len - j - 1);

			if (sp != NULL && (size_t)(p + len - sp) > 6 &&
			    memcmp(sp + 1, "HTTP/", 5) == 0)
				return GW_AUDIT_HTTP;
		}
	}
	return GW_AUDIT_TEXT;
}

static int
start_format(struct gw_audit_scan *s, enum gw_audit_format f)
{
	struct gw_err err;

	s->body_fmt = f;
	s->res.format = f;
	switch (f) {
	case GW_AUDIT_JSON:
		if (audit_json_new(s, &err) == -1)
			return audit_fail(s, &err);
		break;
	case GW_AUDIT_XML:
		if (audit_xml_new(s, &err) == -1)
			return audit_fail(s, &err);
		break;
	case GW_AUDIT_HTTP:
		if (audit_http_new(s, &err) == -1)
			return audit_fail(s, &err);
		break;
	default:
		break;
	}
	return 0;
}

static int
dispatch(struct gw_audit_scan *s, const char *p, size_t len)
{
	switch (s->body_fmt) {
	case GW_AUDIT_JSON:
		return audit_json_feed(s, p, len);
	case GW_AUDIT_XML:
		return audit_xml_feed(s, p, len);
	case GW_AUDIT_TEXT:
		return text_feed(s, p, len);
	case GW_AUDIT_HTTP:
		return audit_http_feed(s, p, len);
	case GW_AUDIT_FORM:
		return audit_form_feed(s, p, len, 0);
	default:
		return 0;
	}
}

/* Raw bytes for "body" rules, and the multipart parts. */
static int
raw_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	if (s->mp != NULL && audit_mp_feed(s, p, len) == -1)
		return -1;
	if (audit_wants(s, AT_BODY) && audit_acc_add(s, &s->raw, AT_BODY,
	    "body", p, len) == -1)
		return -1;
	return 0;
}

/*
 * Keep the first bytes until the format can be guessed: some byte that is
 * not white space and, when a raw HTTP request is possible, the end of the
 * first line.  Returns 1 when decided (*f set), 0 to wait.
 */
static int
sniff_add(struct gw_audit_scan *s, const char *p, size_t len, int http_ok,
    int end, enum gw_audit_format *f)
{
	struct gw_err	err;
	size_t		i;

	if (len > 0 && gw_buf_append(&s->sniff, p, len, &err) == -1)
		return audit_fail(s, &err);
	for (i = 0; i < s->sniff.len; i++)
		if (!strchr(" \t\r\n", s->sniff.p[i]))
			break;
	if (!end && s->sniff.len < SNIFF_MAX) {
		size_t rest = s->sniff.len - i;

		if (i == s->sniff.len)
			return 0;
		/* a byte order mark, or its start, decides nothing yet */
		if (rest <= 3 && memcmp(s->sniff.p + i, "\xef\xbb\xbf",
		    rest) == 0)
			return 0;
		if (http_ok && i == 0 && memchr(s->sniff.p, '\n',
		    s->sniff.len) == NULL)
			return 0;
	}
	*f = guess(s->sniff.p, s->sniff.len, http_ok);
	return 1;
}

int
audit_body_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	enum gw_audit_format	f;
	int			sniffed = 0, rc;

	if (s->stopped || len == 0)
		return 0;
	if (s->lim.max_bytes > 0 && len > s->lim.max_bytes - s->body_bytes) {
		/* scan up to the limit, so that any cut finds the same */
		size_t room = (size_t)(s->lim.max_bytes - s->body_bytes);

		if (room > 0 && audit_body_feed(s, p, room) == -1)
			return -1;
		if (!s->stopped)
			(void)audit_limit(s, "size", "", 0, 0, "input longer "
			    "than %llu bytes",
			    (unsigned long long)s->lim.max_bytes);
		s->stopped = 1;
		s->res.stopped = 1;
		return 0;
	}
	s->body_bytes += len;
	if (s->body_fmt == GW_AUDIT_AUTO) {
		if ((rc = sniff_add(s, p, len, 0, 0, &f)) <= 0)
			return rc;
		if (start_format(s, f) == -1)
			return -1;
		sniffed = 1;
		p = s->sniff.p;
		len = s->sniff.len;
	}
	if (raw_feed(s, p, len) == 0 && !s->stopped)
		(void)dispatch(s, p, len);
	if (sniffed)
		gw_buf_release(&s->sniff);
	return s->failed ? -1 : 0;
}

int
audit_body_end(struct gw_audit_scan *s)
{
	enum gw_audit_format f;

	if (s->body_fmt == GW_AUDIT_AUTO) {
		if (s->sniff.len == 0)
			return 0;	/* nothing at all */
		(void)sniff_add(s, NULL, 0, 0, 1, &f);
		if (start_format(s, f) == -1)
			return -1;
		if (raw_feed(s, s->sniff.p, s->sniff.len) == -1 ||
		    (!s->stopped && dispatch(s, s->sniff.p,
		    s->sniff.len) == -1))
			return -1;
		gw_buf_release(&s->sniff);
	}
	if (!s->stopped && s->mp != NULL && audit_mp_end(s) == -1)
		return -1;
	if (!s->stopped && s->raw.active && audit_acc_done(s, &s->raw,
	    AT_BODY, "body", 0, 0) == -1)
		return -1;
	if (s->stopped)
		return s->failed ? -1 : 0;
	switch (s->body_fmt) {
	case GW_AUDIT_JSON:
		return audit_json_end(s);
	case GW_AUDIT_XML:
		return audit_xml_end(s);
	case GW_AUDIT_TEXT:
		return text_finish(s);
	case GW_AUDIT_FORM:
		return audit_form_end(s, 0);
	default:
		return 0;
	}
}

/*
 * Scans.
 */

struct gw_audit_scan *
gw_audit_scan_new(enum gw_audit_format fmt, const struct gw_audit_opts *opts,
    struct gw_err *err)
{
	struct gw_audit_scan *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	s->o = *opts;
	if (s->o.max_findings == 0)
		s->o.max_findings = 100;
	if (opts->limits != NULL)
		s->lim = *opts->limits;
	else
		gw_audit_limits_default(&s->lim);
	s->paranoia = opts->paranoia < 1 ? 1 : opts->paranoia > 4 ? 4 :
	    opts->paranoia;
	s->fmt = fmt;
	s->res.format = fmt;
	gw_buf_init(&s->sniff, 0);
	gw_buf_init(&s->where, 4096);
	audit_acc_init(&s->line, 0);
	audit_acc_init(&s->fname, 0);
	audit_acc_init(&s->fvalue, 0);
	audit_acc_init(&s->raw, 0);
	if (audit_match_init(s, err) == -1) {
		gw_audit_scan_free(s);
		return NULL;
	}
	s->body_fmt = fmt;
	if (fmt != GW_AUDIT_AUTO && start_format(s, fmt) == -1) {
		*err = s->ferr;
		gw_audit_scan_free(s);
		return NULL;
	}
	return s;
}

/* The top-level guess of AUTO: a raw HTTP request is possible here. */
static int
top_sniff(struct gw_audit_scan *s, const char *p, size_t len, int end)
{
	enum gw_audit_format	f;
	struct gw_buf		b;
	int			rc;

	if ((rc = sniff_add(s, p, len, 1, end, &f)) <= 0)
		return rc;
	/* the bytes go on to the chosen scanner, from a buffer of our own */
	b = s->sniff;
	gw_buf_init(&s->sniff, 0);
	s->fmt = f;
	if (start_format(s, f) == -1) {
		gw_buf_release(&b);
		return -1;
	}
	if (f == GW_AUDIT_HTTP)
		(void)audit_http_feed(s, b.p, b.len);
	else
		(void)audit_body_feed(s, b.p, b.len);
	gw_buf_release(&b);
	return 0;
}

int
gw_audit_scan_feed(struct gw_audit_scan *s, const char *p, size_t len,
    struct gw_err *err)
{
	if (s->ended)
		GW_BUG("gw_audit_scan_feed after gw_audit_scan_end");
	s->res.bytes += len;
	if (s->fmt == GW_AUDIT_HTTP)
		(void)audit_http_feed(s, p, len);
	else if (s->fmt == GW_AUDIT_AUTO && !s->request)
		(void)top_sniff(s, p, len, 0);
	else
		(void)audit_body_feed(s, p, len);
	if (s->failed) {
		*err = s->ferr;
		return -1;
	}
	return 0;
}

int
gw_audit_scan_end(struct gw_audit_scan *s, struct gw_err *err)
{
	if (s->ended)
		return 0;
	s->ended = 1;
	if (s->fmt == GW_AUDIT_AUTO && !s->request && s->sniff.len > 0)
		(void)top_sniff(s, NULL, 0, 1);
	if (s->fmt == GW_AUDIT_HTTP)
		(void)audit_http_end(s);
	else
		(void)audit_body_end(s);
	if (s->failed) {
		*err = s->ferr;
		return -1;
	}
	return 0;
}

const struct gw_audit_result *
gw_audit_scan_result(const struct gw_audit_scan *s)
{
	return &s->res;
}

void
gw_audit_scan_free(struct gw_audit_scan *s)
{
	if (s == NULL)
		return;
	audit_json_free(s->json);
	audit_xml_free(s->xml);
	audit_http_free(s->http);
	audit_mp_free(s->mp);
	free(s->boundary);
	audit_match_release(s);
	gw_buf_release(&s->sniff);
	gw_buf_release(&s->where);
	audit_acc_release(&s->line);
	audit_acc_release(&s->fname);
	audit_acc_release(&s->fvalue);
	audit_acc_release(&s->raw);
	free(s);
}
