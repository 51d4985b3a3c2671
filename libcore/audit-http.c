/*
 * audit-http.c: requests.  The parts of a request the body does not hold
 * (method, path, query, headers, cookies), raw HTTP/1.x requests for the
 * "http" format, and form and multipart bodies.
 *
 * The raw parser is lenient on purpose: it reads what a careless service
 * would read (bare LF line ends, folded lines), so that the rules see it;
 * what it cannot read at all is a "http-malformed" finding.  Parameters are
 * percent-decoded once, as the service sees them; rules may decode again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "str.h"

/* The head of a raw request, at most. */
#define HEAD_MAX	(64 * 1024)
/* One parameter when its limit is 0 (no limit). */
#define PARAM_CAP	(16 * 1024 * 1024)
/* A multipart body is parsed whole up to this; beyond, as raw bytes. */
#define MP_MAX		(8 * 1024 * 1024)
/* Bytes of a name kept in a "query:NAME" place. */
#define WHERE_NAME	64

enum hstate {
	H_HEAD,
	H_BODY_LENGTH,
	H_BODY_REST,
	H_CHUNK_SIZE,
	H_CHUNK_EXT,
	H_CHUNK_DATA,
	H_CHUNK_CRLF,
	H_TRAILER,
	H_DONE
};

struct audit_http {
	enum hstate		 st;
	struct gw_buf		 head;
	struct gw_http_header	 hdrs[GW_MAX_HEADERS];
	size_t			 nhdrs;
	uint64_t		 remaining;
	int			 digits;
	int			 trailer_empty;
};

struct audit_mp {
	struct gw_buf	 body;
	char		*boundary;
	int		 over;
};

/* Parameters. */

static void
where_param(char *out, size_t size, const char *kind, const char *name,
    size_t n)
{
	size_t k = strlen(kind), o;

	o = (size_t)snprintf(out, size, "%s:", kind);
	if (o >= size)
		return;
	n = GW_MIN(n, (size_t)WHERE_NAME);
	for (size_t i = 0; i < n && o + 1 < size; i++)
		out[o++] = (unsigned char)name[i] < 0x20 ? '?' : name[i];
	out[o] = '\0';
	(void)k;
}

static int
count_param(struct gw_audit_scan *s)
{
	if (++s->nparams == s->lim.max_params + 1 && s->lim.max_params > 0)
		return audit_limit(s, "params", "", 0, 0, "more than %llu "
		    "parameters", (unsigned long long)s->lim.max_params);
	return 0;
}

/* Match one name=value pair (decoded here, in place). */
static int
pair(struct gw_audit_scan *s, char *name, size_t nlen, char *value,
    size_t vlen, int decode, enum audit_target tn, enum audit_target tv,
    const char *kind)
{
	char where[WHERE_NAME + 16];

	if (count_param(s) == -1)
		return -1;
	if (decode) {
		nlen = audit_url_decode(name, name, nlen, 1);
		vlen = audit_url_decode(value, value, vlen, 1);
	}
	where_param(where, sizeof(where), kind, name, nlen);
	audit_value_begin(s);
	if (audit_match(s, tn, GW_STR_NULL, name, nlen, where, 0, 0) == -1)
		return -1;
	audit_value_begin(s);
	return audit_match(s, tv, gw_str_make(name, nlen), value, vlen, where,
	    0, 0);
}

static size_t
cap_of(uint64_t lim)
{
	return lim == 0 || lim > PARAM_CAP ? PARAM_CAP : (size_t)lim + 1;
}

/* The current form field is complete. */
static int
form_field(struct gw_audit_scan *s, int query)
{
	static char	empty[1];
	int		rc;

	if (!s->in_value && s->fname.buf.len == 0 && !s->fname.active)
		return 0;
	rc = pair(s, s->fname.buf.p == NULL ? empty : s->fname.buf.p,
	    s->fname.buf.len, s->fvalue.buf.p == NULL ? empty :
	    s->fvalue.buf.p, s->fvalue.buf.len, 1,
	    query ? AT_QUERY_NAME : AT_FORM_NAME,
	    query ? AT_QUERY_VALUE : AT_FORM_VALUE, query ? "query" : "form");
	gw_buf_reset(&s->fname.buf);
	gw_buf_reset(&s->fvalue.buf);
	s->fname.active = 0;
	s->fvalue.active = 0;
	s->fname.over = 0;
	s->fvalue.over = 0;
	s->in_value = 0;
	return rc;
}

static int
field_put(struct gw_audit_scan *s, struct audit_acc *a, const char *p,
    size_t n, uint64_t lim, const char *id, const char *what)
{
	struct gw_err err;

	a->active = 1;
	if (a->buf.len + n > cap_of(lim) - 1) {
		n = cap_of(lim) - 1 - a->buf.len;
		if (lim > 0 && !a->over && audit_limit(s, id, "", 0, 0,
		    "%s longer than %llu bytes", what,
		    (unsigned long long)lim) == -1)
			return -1;
		a->over = 1;
	}
	if (n > 0 && gw_buf_append(&a->buf, p, n, &err) == -1)
		return audit_fail(s, &err);
	return 0;
}

int
audit_form_feed(struct gw_audit_scan *s, const char *p, size_t len,
    int query)
{
	while (len > 0 && !s->stopped) {
		size_t	n = 0;
		char	c;

		while (n < len && p[n] != '&' &&
		    (s->in_value || p[n] != '='))
			n++;
		if (n > 0 && field_put(s, s->in_value ? &s->fvalue : &s->fname,
		    p, n, s->in_value ? s->lim.max_param_value :
		    s->lim.max_param_name, s->in_value ? "param-value" :
		    "param-name", s->in_value ? "a parameter value" :
		    "a parameter name") == -1)
			return -1;
		if (n == len)
			break;
		c = p[n];
		if (c == '=') {
			s->in_value = 1;
			s->fname.active = 1;
		} else if (form_field(s, query) == -1)
			return -1;
		p += n + 1;
		len -= n + 1;
	}
	return 0;
}

int
audit_form_end(struct gw_audit_scan *s, int query)
{
	if (s->stopped)
		return 0;
	return form_field(s, query);
}

static int
scan_cookies(struct gw_audit_scan *s, struct gw_str v)
{
	size_t at = 0;

	while (at < v.len && !s->stopped) {
		size_t	b, e, eq;
		char	*copy;
		int	 rc;

		while (at < v.len && (v.p[at] == ' ' || v.p[at] == ';'))
			at++;
		b = at;
		while (at < v.len && v.p[at] != ';')
			at++;
		e = at;
		if (e == b)
			continue;
		for (eq = b; eq < e && v.p[eq] != '='; eq++)
			;
		if ((copy = malloc(e - b + 1)) == NULL) {
			struct gw_err err;

			gw_err_set(&err, GW_E_NOMEM, "out of memory");
			return audit_fail(s, &err);
		}
		memcpy(copy, v.p + b, e - b);
		copy[e - b] = '\0';
		/* cookie values are not form-encoded: '+' stays */
		{
			size_t nl = eq - b, vl = eq < e ? e - eq - 1 : 0;
			char where[WHERE_NAME + 16];

			nl = audit_url_decode(copy, copy, nl, 0);
			if (eq < e)
				vl = audit_url_decode(copy + (eq - b) + 1,
				    copy + (eq - b) + 1, vl, 0);
			if (count_param(s) == -1) {
				free(copy);
				return -1;
			}
			where_param(where, sizeof(where), "cookie", copy, nl);
			audit_value_begin(s);
			rc = audit_match(s, AT_COOKIE_NAME, GW_STR_NULL, copy,
			    nl, where, 0, 0);
			audit_value_begin(s);
			if (rc == 0 && vl > 0)
				rc = audit_match(s, AT_COOKIE_VALUE,
				    gw_str_make(copy, nl), copy + (eq - b) + 1,
				    vl, where, 0, 0);
		}
		free(copy);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
gw_audit_scan_request(struct gw_audit_scan *s, struct gw_str method,
    struct gw_str target, const struct gw_http_header *headers,
    size_t nheaders, struct gw_err *err)
{
	struct gw_str	ctype = GW_STR_NULL;
	size_t		q, h;
	char		*path;

	s->request = 1;
	audit_value_begin(s);
	if (audit_match(s, AT_METHOD, GW_STR_NULL, method.p, method.len,
	    "method", 0, 0) == -1)
		goto out;
	audit_value_begin(s);
	if (audit_match(s, AT_URI, GW_STR_NULL, target.p, target.len, "uri",
	    0, 0) == -1)
		goto out;
	for (q = 0; q < target.len && target.p[q] != '?'; q++)
		;
	for (h = q; h < target.len && target.p[h] != '#'; h++)
		;
	if (audit_wants(s, AT_PATH)) {
		if ((path = malloc(q + 1)) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			return audit_fail(s, err);
		}
		q = GW_MIN(q, target.len);
		{
			size_t n = audit_url_decode(path, target.p, q, 0);
			int rc;

			audit_value_begin(s);
			rc = audit_match(s, AT_PATH, GW_STR_NULL, path, n,
			    "path", 0, 0);
			free(path);
			if (rc == -1)
				goto out;
		}
	}
	if (q < target.len) {
		if (audit_form_feed(s, target.p + q + 1, h - q - 1, 1) == -1 ||
		    audit_form_end(s, 1) == -1)
			goto out;
	}
	for (size_t i = 0; i < nheaders && !s->stopped; i++) {
		const struct gw_http_header	*hd = &headers[i];
		char				 where[WHERE_NAME + 16];

		where_param(where, sizeof(where), "header", hd->name.p,
		    hd->name.len);
		audit_value_begin(s);
		if (audit_match(s, AT_HEADER_NAME, GW_STR_NULL, hd->name.p,
		    hd->name.len, where, 0, 0) == -1)
			goto out;
		audit_value_begin(s);
		if (audit_match(s, AT_HEADER_VALUE, hd->name, hd->value.p,
		    hd->value.len, where, 0, 0) == -1)
			goto out;
		if (gw_str_caseeq_cstr(hd->name, "cookie") &&
		    scan_cookies(s, hd->value) == -1)
			goto out;
		if (gw_str_caseeq_cstr(hd->name, "content-type"))
			ctype = hd->value;
	}
	/* the body's format: as asked, or by Content-Type */
	if (s->fmt == GW_AUDIT_AUTO || s->fmt == GW_AUDIT_HTTP) {
		audit_body_format(s, ctype);
		if (s->body_fmt == GW_AUDIT_JSON && s->json == NULL &&
		    audit_json_new(s, err) == -1)
			return audit_fail(s, err);
		if (s->body_fmt == GW_AUDIT_XML && s->xml == NULL &&
		    audit_xml_new(s, err) == -1)
			return audit_fail(s, err);
		s->res.format = s->fmt == GW_AUDIT_HTTP ? GW_AUDIT_HTTP :
		    s->body_fmt;
	}
 out:
	if (s->failed) {
		*err = s->ferr;
		return -1;
	}
	return 0;
}

/*
 * Multipart bodies: kept whole (up to MP_MAX), parsed at the end.
 */

int
audit_mp_new(struct gw_audit_scan *s, struct gw_str ctype)
{
	struct audit_mp	*mp;
	size_t		 i, n;
	const char	*b = NULL;

	for (i = 0; i + 9 <= ctype.len; i++)
		if (strncasecmp(ctype.p + i, "boundary=", 9) == 0) {
			b = ctype.p + i + 9;
			break;
		}
	if (b == NULL)
		return -1;
	n = (size_t)(ctype.p + ctype.len - b);
	if (n > 0 && b[0] == '"') {
		const char *e = memchr(b + 1, '"', n - 1);

		b++;
		n = e == NULL ? n - 1 : (size_t)(e - b);
	} else {
		for (i = 0; i < n && b[i] != ';' && b[i] != ' '; i++)
			;
		n = i;
	}
	if (n == 0 || n > 200 || (mp = calloc(1, sizeof(*mp))) == NULL)
		return -1;
	if ((mp->boundary = malloc(n + 3)) == NULL) {
		free(mp);
		return -1;
	}
	mp->boundary[0] = '-';
	mp->boundary[1] = '-';
	memcpy(mp->boundary + 2, b, n);
	mp->boundary[n + 2] = '\0';
	gw_buf_init(&mp->body, MP_MAX);
	audit_mp_free(s->mp);
	s->mp = mp;
	return 0;
}

int
audit_mp_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	struct audit_mp *mp = s->mp;

	if (mp->over)
		return 0;
	if (gw_buf_append(&mp->body, p, len, NULL) == -1)
		mp->over = 1;
	return 0;
}

/* The value of param (name= or filename=) of a Content-Disposition. */
static struct gw_str
disp_param(struct gw_str v, const char *param)
{
	size_t n = strlen(param);

	for (size_t i = 0; i + n < v.len; i++) {
		const char *e;

		if (strncasecmp(v.p + i, param, n) != 0 || v.p[i + n] != '=' ||
		    (i > 0 && v.p[i - 1] != ' ' && v.p[i - 1] != ';'))
			continue;
		i += n + 1;
		if (i < v.len && v.p[i] == '"') {
			e = memchr(v.p + i + 1, '"', v.len - i - 1);
			if (e == NULL)
				e = v.p + v.len;
			return gw_str_make(v.p + i + 1,
			    (size_t)(e - (v.p + i + 1)));
		}
		for (e = v.p + i; e < v.p + v.len && *e != ';'; e++)
			;
		return gw_str_make(v.p + i, (size_t)(e - (v.p + i)));
	}
	return GW_STR_NULL;
}

static const char *
find_mem(const char *h, size_t hl, const char *n, size_t nl)
{
	return memmem(h, hl, n, nl);
}

int
audit_mp_end(struct gw_audit_scan *s)
{
	struct audit_mp	*mp = s->mp;
	const char	*p = mp->body.p, *end;
	size_t		 bl = strlen(mp->boundary);

	if (p == NULL)
		return 0;
	end = p + mp->body.len;
	p = find_mem(p, (size_t)(end - p), mp->boundary, bl);
	while (p != NULL && !s->stopped) {
		const char	*hs, *he, *body, *next;
		struct gw_str	 name = GW_STR_NULL, fname = GW_STR_NULL;
		char		 where[WHERE_NAME + 16];
		size_t		 blen;

		p += bl;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;		/* the closing delimiter */
		if ((hs = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		hs++;
		/* part headers end with an empty line */
		he = hs;
		body = NULL;
		while (he < end) {
			const char *nl = memchr(he, '\n', (size_t)(end - he));
			size_t	    ll;

			if (nl == NULL)
				break;
			ll = (size_t)(nl - he);
			if (ll == 0 || (ll == 1 && he[0] == '\r')) {
				body = nl + 1;
				break;
			}
			if (ll > 20 && strncasecmp(he, "content-disposition:",
			    20) == 0) {
				struct gw_str v = gw_str_make(he + 20, ll - 20);

				name = disp_param(v, "name");
				fname = disp_param(v, "filename");
			}
			he = nl + 1;
		}
		if (body == NULL)
			break;
		next = find_mem(body, (size_t)(end - body), mp->boundary, bl);
		blen = (size_t)((next == NULL ? end : next) - body);
		/* the CRLF before the delimiter belongs to it */
		if (blen > 0 && body[blen - 1] == '\n')
			blen--;
		if (blen > 0 && body[blen - 1] == '\r')
			blen--;
		if (count_param(s) == -1)
			return -1;
		where_param(where, sizeof(where), "form", name.p == NULL ? "" :
		    name.p, name.len);
		audit_value_begin(s);
		if (name.p != NULL && audit_match(s, AT_FORM_NAME, GW_STR_NULL,
		    name.p, name.len, where, 0, 0) == -1)
			return -1;
		audit_value_begin(s);
		if (fname.p != NULL) {
			if (audit_match(s, AT_FORM_VALUE, name, fname.p,
			    fname.len, where, 0, 0) == -1)
				return -1;
			audit_value_begin(s);
			if (audit_match(s, AT_FILE_NAME, name, fname.p,
			    fname.len, where, 0, 0) == -1)
				return -1;
		} else if (audit_match(s, AT_FORM_VALUE, name, body, blen,
		    where, 0, 0) == -1)
			return -1;
		p = next;
	}
	return 0;
}

void
audit_mp_free(struct audit_mp *mp)
{
	if (mp == NULL)
		return;
	gw_buf_release(&mp->body);
	free(mp->boundary);
	free(mp);
}

/*
 * Raw HTTP requests.
 */

int
audit_http_new(struct gw_audit_scan *s, struct gw_err *err)
{
	struct audit_http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	gw_buf_init(&h->head, HEAD_MAX);
	h->st = H_HEAD;
	s->http = h;
	return 0;
}

void
audit_http_free(struct audit_http *h)
{
	if (h == NULL)
		return;
	gw_buf_release(&h->head);
	free(h);
}

static int
malformed(struct gw_audit_scan *s, const char *msg)
{
	(void)audit_report(s, GW_AUDIT_MALFORMED, "http-malformed",
	    GW_AUDIT_ERROR, 400, "", 0, 0, GW_STR_NULL, "not a well-formed "
	    "HTTP request: %s", msg);
	s->stopped = 1;
	s->res.stopped = 1;
	return 0;
}

static struct gw_str
trim(const char *p, size_t n)
{
	while (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	return gw_str_make(p, n);
}

/* Parse the head in h->head[0..len); the body framing follows. */
static int
parse_head(struct gw_audit_scan *s, size_t len)
{
	struct audit_http	*h = s->http;
	const char		*p = h->head.p, *end = p + len, *nl, *sp1, *sp2;
	struct gw_str		 method, target, te = GW_STR_NULL;
	struct gw_str		 cl = GW_STR_NULL;
	struct gw_err		 err;

	if ((nl = memchr(p, '\n', len)) == NULL)
		return malformed(s, "no request line");
	{
		struct gw_str rl = trim(p, (size_t)(nl - p));

		sp1 = memchr(rl.p, ' ', rl.len);
		sp2 = rl.len > 0 ? memrchr(rl.p, ' ', rl.len) : NULL;
		if (sp1 == NULL || sp2 == NULL || sp1 == sp2 || sp1 == rl.p ||
		    (size_t)(rl.p + rl.len - sp2) < 6 ||
		    memcmp(sp2 + 1, "HTTP/", 5) != 0)
			return malformed(s, "bad request line");
		method = gw_str_make(rl.p, (size_t)(sp1 - rl.p));
		target = trim(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		for (size_t i = 0; i < method.len; i++)
			if (!gw_http_is_tchar((unsigned char)method.p[i]))
				return malformed(s, "bad method");
		if (target.len == 0)
			return malformed(s, "empty request target");
	}
	p = nl + 1;
	while (p < end) {
		const char	*colon;
		size_t		 ll;

		nl = memchr(p, '\n', (size_t)(end - p));
		ll = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);
		if (ll == 0 || (ll == 1 && p[0] == '\r'))
			break;
		if ((p[0] == ' ' || p[0] == '\t') && h->nhdrs > 0) {
			/* a folded line continues the value (as some did) */
			struct gw_http_header *last = &h->hdrs[h->nhdrs - 1];

			last->value.len = (size_t)(p + ll - last->value.p);
			last->value = trim(last->value.p, last->value.len);
		} else {
			if ((colon = memchr(p, ':', ll)) == NULL ||
			    colon == p)
				return malformed(s, "a field line without a "
				    "name");
			if (h->nhdrs == GW_MAX_HEADERS) {
				(void)audit_limit(s, "http-headers", "", 0, 0,
				    "more than %d header fields",
				    GW_MAX_HEADERS);
				s->stopped = 1;
				return 0;
			}
			h->hdrs[h->nhdrs].name = trim(p, (size_t)(colon - p));
			h->hdrs[h->nhdrs].value = trim(colon + 1,
			    (size_t)(p + ll - colon - 1));
			if (gw_str_caseeq_cstr(h->hdrs[h->nhdrs].name,
			    "transfer-encoding"))
				te = h->hdrs[h->nhdrs].value;
			if (gw_str_caseeq_cstr(h->hdrs[h->nhdrs].name,
			    "content-length"))
				cl = h->hdrs[h->nhdrs].value;
			h->nhdrs++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (gw_audit_scan_request(s, method, target, h->hdrs, h->nhdrs,
	    &err) == -1)
		return -1;
	if (te.p != NULL && gw_str_list_has(te, "chunked"))
		h->st = H_CHUNK_SIZE;
	else if (cl.p != NULL) {
		if (gw_str_to_u64(cl, UINT64_MAX / 2, &h->remaining) == -1)
			return malformed(s, "bad Content-Length");
		h->st = h->remaining > 0 ? H_BODY_LENGTH : H_DONE;
	} else
		h->st = H_BODY_REST;
	return 0;
}

static int
body(struct gw_audit_scan *s, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	return audit_body_feed(s, p, n);
}

int
audit_http_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	struct audit_http *h = s->http;

	while (len > 0 && !s->stopped) {
		size_t n;

		switch (h->st) {
		case H_HEAD: {
			size_t		 old = h->head.len, i, start;
			const char	*hp;

			n = GW_MIN(len, (size_t)HEAD_MAX - h->head.len);
			if (n == 0) {
				(void)audit_limit(s, "http-head-bytes", "", 0,
				    0, "request head longer than %d bytes",
				    HEAD_MAX);
				s->stopped = 1;
				return 0;
			}
			if (gw_buf_append(&h->head, p, n, NULL) == -1) {
				struct gw_err err;

				gw_err_set(&err, GW_E_NOMEM, "out of memory");
				return audit_fail(s, &err);
			}
			/* the end of the head: an empty line */
			hp = h->head.p;
			start = old > 3 ? old - 3 : 0;
			for (i = start; i < h->head.len; i++) {
				if (hp[i] != '\n')
					continue;
				if ((i >= 1 && hp[i - 1] == '\n') ||
				    (i >= 2 && hp[i - 1] == '\r' &&
				    hp[i - 2] == '\n'))
					break;
			}
			if (i == h->head.len) {
				p += n;
				len -= n;
				break;
			}
			/* bytes past the head go on as body */
			n = i + 1 - old;
			if (parse_head(s, i + 1) == -1)
				return -1;
			p += n;
			len -= n;
			break;
		}
		case H_BODY_LENGTH:
			n = (size_t)GW_MIN((uint64_t)len, h->remaining);
			if (body(s, p, n) == -1)
				return -1;
			h->remaining -= n;
			if (h->remaining == 0)
				h->st = H_DONE;
			p += n;
			len -= n;
			break;
		case H_BODY_REST:
			if (body(s, p, len) == -1)
				return -1;
			len = 0;
			break;
		case H_CHUNK_SIZE: {
			int v = p[0] >= '0' && p[0] <= '9' ? p[0] - '0' :
			    p[0] >= 'a' && p[0] <= 'f' ? p[0] - 'a' + 10 :
			    p[0] >= 'A' && p[0] <= 'F' ? p[0] - 'A' + 10 : -1;

			if (v >= 0) {
				if (++h->digits > 15)
					return malformed(s, "chunk size too "
					    "long");
				h->remaining = h->remaining * 16 + (uint64_t)v;
			} else if (h->digits == 0)
				return malformed(s, "bad chunk size");
			else if (p[0] == '\n') {
				h->st = h->remaining == 0 ? H_TRAILER :
				    H_CHUNK_DATA;
				h->trailer_empty = 1;
			} else
				h->st = H_CHUNK_EXT;
			p++;
			len--;
			break;
		}
		case H_CHUNK_EXT:
			if (p[0] == '\n') {
				h->st = h->remaining == 0 ? H_TRAILER :
				    H_CHUNK_DATA;
				h->trailer_empty = 1;
			}
			p++;
			len--;
			break;
		case H_CHUNK_DATA:
			n = (size_t)GW_MIN((uint64_t)len, h->remaining);
			if (body(s, p, n) == -1)
				return -1;
			h->remaining -= n;
			if (h->remaining == 0)
				h->st = H_CHUNK_CRLF;
			p += n;
			len -= n;
			break;
		case H_CHUNK_CRLF:
			if (p[0] == '\n') {
				h->st = H_CHUNK_SIZE;
				h->digits = 0;
				h->remaining = 0;
			} else if (p[0] != '\r')
				return malformed(s, "no CRLF after chunk "
				    "data");
			p++;
			len--;
			break;
		case H_TRAILER:
			if (p[0] == '\n') {
				if (h->trailer_empty)
					h->st = H_DONE;
				h->trailer_empty = 1;
			} else if (p[0] != '\r')
				h->trailer_empty = 0;
			p++;
			len--;
			break;
		case H_DONE:
			/* a pipelined request or garbage: not this one's */
			len = 0;
			break;
		}
	}
	return s->failed ? -1 : 0;
}

int
audit_http_end(struct gw_audit_scan *s)
{
	struct audit_http *h = s->http;

	if (s->stopped)
		return s->failed ? -1 : 0;
	switch (h->st) {
	case H_HEAD:
		if (h->head.len == 0)
			return malformed(s, "empty input");
		/* a head without its empty line: take what is there */
		if (parse_head(s, h->head.len) == -1)
			return -1;
		break;
	case H_BODY_LENGTH:
		(void)malformed(s, "body shorter than its Content-Length");
		return 0;
	case H_CHUNK_SIZE:
	case H_CHUNK_EXT:
	case H_CHUNK_DATA:
	case H_CHUNK_CRLF:
		(void)malformed(s, "chunked body cut short");
		return 0;
	default:
		break;
	}
	if (s->stopped)
		return s->failed ? -1 : 0;
	return audit_body_end(s);
}
