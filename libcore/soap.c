/*
 * soap.c: SOAP envelopes and faults, on top of xml.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "soap.h"
#include "str.h"
#include "xml.h"

const char *
gw_soap_ns(enum gw_soap_version v)
{
	return v == GW_SOAP_12 ? GW_SOAP12_NS : GW_SOAP11_NS;
}

const char *
gw_soap_version_name(enum gw_soap_version v)
{
	return v == GW_SOAP_12 ? "1.2" : "1.1";
}

enum gw_soap_version
gw_soap_version_parse(const char *s)
{
	if (strcmp(s, "1.1") == 0 || strcmp(s, "11") == 0)
		return GW_SOAP_11;
	if (strcmp(s, "1.2") == 0 || strcmp(s, "12") == 0)
		return GW_SOAP_12;
	return GW_SOAP_NONE;
}

/* action without '"' and control characters, for a quoted value. */
static int
put_quoted(struct gw_buf *out, const char *s, struct gw_err *err)
{
	if (gw_buf_putc(out, '"', err) == -1)
		return -1;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			continue;
		if ((*s == '"' || *s == '\\') && gw_buf_putc(out, '\\',
		    err) == -1)
			return -1;
		if (gw_buf_putc(out, *s, err) == -1)
			return -1;
	}
	return gw_buf_putc(out, '"', err);
}

int
gw_soap_content_type(enum gw_soap_version v, const char *action,
    struct gw_buf *out, struct gw_err *err)
{
	if (v != GW_SOAP_12)
		return gw_buf_puts(out, "text/xml; charset=utf-8", err);
	if (gw_buf_puts(out, "application/soap+xml; charset=utf-8", err) == -1)
		return -1;
	if (action == NULL || action[0] == '\0')
		return 0;
	if (gw_buf_puts(out, "; action=", err) == -1)
		return -1;
	return put_quoted(out, action, err);
}

int
gw_soap_action_value(const char *action, struct gw_buf *out,
    struct gw_err *err)
{
	return put_quoted(out, action != NULL ? action : "", err);
}

/* The media type of a Content-Type value, trimmed, without parameters. */
static struct gw_str
media_type(struct gw_str ct)
{
	const char *semi = ct.p != NULL ? memchr(ct.p, ';', ct.len) : NULL;

	if (semi != NULL)
		ct.len = (size_t)(semi - ct.p);
	return gw_str_trim(ct);
}

enum gw_soap_version
gw_soap_media_version(struct gw_str ct)
{
	struct gw_str mt = media_type(ct);

	if (gw_str_caseeq_cstr(mt, "application/soap+xml"))
		return GW_SOAP_12;
	if (gw_str_caseeq_cstr(mt, "text/xml"))
		return GW_SOAP_11;
	return GW_SOAP_NONE;
}

/* Append the value of parameter name of a Content-Type: 0, or 1 if none. */
static int
media_param(struct gw_str ct, const char *name, struct gw_buf *out,
    struct gw_err *err)
{
	size_t i = 0, nl = strlen(name);

	while (ct.p != NULL && i < ct.len) {
		const char	*semi = memchr(ct.p + i, ';', ct.len - i);
		size_t		 s, e;

		if (semi == NULL)
			return 1;
		i = (size_t)(semi - ct.p) + 1;
		while (i < ct.len && (ct.p[i] == ' ' || ct.p[i] == '\t'))
			i++;
		s = i;
		while (i < ct.len && ct.p[i] != '=' && ct.p[i] != ';')
			i++;
		e = i;
		while (e > s && (ct.p[e - 1] == ' ' || ct.p[e - 1] == '\t'))
			e--;
		if (i >= ct.len || ct.p[i] != '=')
			continue;
		i++;
		while (i < ct.len && (ct.p[i] == ' ' || ct.p[i] == '\t'))
			i++;
		if (e - s != nl || strncasecmp(ct.p + s, name, nl) != 0) {
			/* skip the value, quoted or not */
			if (i < ct.len && ct.p[i] == '"') {
				for (i++; i < ct.len && ct.p[i] != '"'; i++)
					if (ct.p[i] == '\\')
						i++;
			}
			continue;
		}
		if (i < ct.len && ct.p[i] == '"') {
			for (i++; i < ct.len && ct.p[i] != '"'; i++) {
				if (ct.p[i] == '\\' && i + 1 < ct.len)
					i++;
				if (gw_buf_putc(out, ct.p[i], err) == -1)
					return -1;
			}
			return 0;
		}
		s = i;
		while (i < ct.len && ct.p[i] != ';' && ct.p[i] != ' ' &&
		    ct.p[i] != '\t')
			i++;
		return gw_buf_append(out, ct.p + s, i - s, err) == -1 ? -1 : 0;
	}
	return 1;
}

int
gw_soap_request_action(struct gw_str ct, struct gw_str soapaction,
    struct gw_buf *out, struct gw_err *err)
{
	int rc;

	if (gw_soap_media_version(ct) == GW_SOAP_12 &&
	    (rc = media_param(ct, "action", out, err)) != 1)
		return rc;
	soapaction = gw_str_trim(soapaction);
	if (soapaction.p == NULL)
		return 1;
	if (soapaction.len >= 2 && soapaction.p[0] == '"' &&
	    soapaction.p[soapaction.len - 1] == '"') {
		soapaction.p++;
		soapaction.len -= 2;
	}
	return gw_buf_append_str(out, soapaction, err) == -1 ? -1 : 0;
}

/*
 * Wrapping.
 */

int
gw_soap_wrap_doc(const struct gw_xml_doc *payload,
    const struct gw_soap_wrap *w, struct gw_buf *out, struct gw_err *err)
{
	enum gw_soap_version	v = w != NULL && w->version == GW_SOAP_12 ?
				    GW_SOAP_12 : GW_SOAP_11;
	size_t			old = out->len;

	if (gw_buf_printf(out, err, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<soap:Envelope xmlns:soap=\"%s\">", gw_soap_ns(v)) == -1)
		goto fail;
	if (w != NULL && w->header != NULL && (gw_buf_puts(out, "<soap:Header>",
	    err) == -1 || gw_buf_puts(out, w->header, err) == -1 ||
	    gw_buf_puts(out, "</soap:Header>", err) == -1))
		goto fail;
	if (payload == NULL) {
		if (gw_buf_puts(out, "<soap:Body/>", err) == -1)
			goto fail;
	} else if (gw_buf_puts(out, "<soap:Body>", err) == -1 ||
	    gw_xml_serialize(payload, GW_XML_ROOT, out, err) == -1 ||
	    gw_buf_puts(out, "</soap:Body>", err) == -1)
		goto fail;
	if (gw_buf_puts(out, "</soap:Envelope>\n", err) == -1)
		goto fail;
	return 0;
 fail:
	out->len = old;
	return -1;
}

int
gw_soap_wrap_serialized(const char *payload, size_t len,
    const struct gw_soap_wrap *w, struct gw_buf *out, struct gw_err *err)
{
	enum gw_soap_version	 v = w != NULL && w->version == GW_SOAP_12 ?
				    GW_SOAP_12 : GW_SOAP_11;
	const char		*end;
	size_t			 old = out->len;

	/* the declaration line and the final newline go */
	if (len >= 5 && memcmp(payload, "<?xml", 5) == 0 &&
	    (end = memmem(payload, len, "?>", 2)) != NULL) {
		len -= (size_t)(end + 2 - payload);
		payload = end + 2;
		if (len > 0 && *payload == '\n') {
			payload++;
			len--;
		}
	}
	if (len > 0 && payload[len - 1] == '\n')
		len--;
	if (gw_buf_printf(out, err, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<soap:Envelope xmlns:soap=\"%s\">", gw_soap_ns(v)) == -1)
		goto fail;
	if (w != NULL && w->header != NULL && (gw_buf_puts(out, "<soap:Header>",
	    err) == -1 || gw_buf_puts(out, w->header, err) == -1 ||
	    gw_buf_puts(out, "</soap:Header>", err) == -1))
		goto fail;
	if (len == 0) {
		if (gw_buf_puts(out, "<soap:Body/>", err) == -1)
			goto fail;
	} else if (gw_buf_puts(out, "<soap:Body>", err) == -1 ||
	    gw_buf_append(out, payload, len, err) == -1 ||
	    gw_buf_puts(out, "</soap:Body>", err) == -1)
		goto fail;
	if (gw_buf_puts(out, "</soap:Envelope>\n", err) == -1)
		goto fail;
	return 0;
 fail:
	out->len = old;
	return -1;
}

int
gw_soap_wrap(const char *payload, size_t len, const struct gw_soap_wrap *w,
    struct gw_buf *out, struct gw_err *err)
{
	struct gw_xml_doc	*d = NULL;
	int			 rc;

	if (len > 0 && gw_xml_parse(payload, len, NULL, NULL, &d, err) == -1)
		return -1;
	rc = gw_soap_wrap_doc(d, w, out, err);
	gw_xml_doc_free(d);
	return rc;
}

/*
 * Unwrapping.
 */

void
gw_soap_fault_free(struct gw_soap_fault *f)
{
	if (f == NULL)
		return;
	free(f->code);
	for (size_t i = 0; i < f->nsubcodes; i++)
		free(f->subcodes[i]);
	free(f->subcodes);
	free(f->reason);
	free(f->actor);
	free(f->node);
	free(f->detail);
	free(f);
}

/* The text of n, its white space normalized (as XPath's
   normalize-space() does, so that soap-fault-to-problem.xsl agrees). */
static char *
text_of(const struct gw_xml_node *n, struct gw_err *err)
{
	struct gw_buf	 b;
	char		*r;
	size_t		 o = 0;
	int		 space = 0;

	gw_buf_init(&b, 0);
	if (gw_xml_content(n, &b, err) == -1) {
		gw_buf_release(&b);
		return NULL;
	}
	for (size_t i = 0; i < b.len; i++) {
		char c = b.p[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = o > 0;
			continue;
		}
		if (space)
			b.p[o++] = ' ';
		space = 0;
		b.p[o++] = c;
	}
	r = o > 0 ? strndup(b.p, o) : strdup("");
	gw_buf_release(&b);
	if (r == NULL)
		gw_err_set(err, GW_E_NOMEM, "out of memory");
	return r;
}

static int
add_subcode(struct gw_soap_fault *f, const char *s, size_t len,
    struct gw_err *err)
{
	char **n;

	if ((n = reallocarray(f->subcodes, f->nsubcodes + 2,
	    sizeof(*n))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	f->subcodes = n;
	if ((n[f->nsubcodes] = strndup(s, len)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	n[++f->nsubcodes] = NULL;
	return 0;
}

/* Element children named local, whatever their namespace (lenient). */
static struct gw_xml_node *
child(const struct gw_xml_node *n, const char *local)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(n); c != NULL;
	    c = gw_xml_next_elem(c))
		if (strcmp(gw_xml_local(c), local) == 0)
			return c;
	return NULL;
}

/* A detail element's content as XML: its children serialised. */
static char *
detail_of(const struct gw_xml_node *d, struct gw_err *err)
{
	static const char *const drop[] = { GW_SOAP11_NS, GW_SOAP12_NS, NULL };
	struct gw_buf	 b;
	char		*r;

	gw_buf_init(&b, 0);
	for (struct gw_xml_node *c = gw_xml_first(d); c != NULL;
	    c = gw_xml_next(c)) {
		if (gw_xml_type(c) == GW_XML_TEXT) {
			struct gw_str t = gw_str_trim(gw_str_cstr(
			    gw_xml_text(c)));

			if (t.len > 0 && gw_xml_escape_append(&b, t.p, t.len, 0,
			    err) == -1)
				goto fail;
		} else if (gw_xml_type(c) == GW_XML_ELEMENT) {
			struct gw_xml_doc *one;

			if ((one = gw_xml_doc_from_node(c, drop, err)) == NULL)
				goto fail;
			if (gw_xml_serialize(one, GW_XML_ROOT, &b,
			    err) == -1) {
				gw_xml_doc_free(one);
				goto fail;
			}
			gw_xml_doc_free(one);
		}
	}
	if ((r = gw_buf_take(&b, NULL, err)) == NULL && (r = strdup("")) ==
	    NULL)
		gw_err_set(err, GW_E_NOMEM, "out of memory");
	return r;
 fail:
	gw_buf_release(&b);
	return NULL;
}

static int
fault11(const struct gw_xml_node *fe, struct gw_soap_fault *f,
    struct gw_err *err)
{
	struct gw_xml_node	*c;
	char			*code;
	const char		*uri, *local;

	if ((c = child(fe, "faultcode")) == NULL)
		return gw_err_set(err, GW_E_PROTO, "SOAP 1.1 fault without a "
		    "faultcode");
	if ((code = text_of(c, err)) == NULL)
		return -1;
	if (gw_xml_qname(c, code, &uri, &local, NULL) == 0 && uri != NULL &&
	    strcmp(uri, GW_SOAP11_NS) == 0) {
		/* Client.Authentication: code Client, subcode Authentication */
		const char *dot = strchr(local, '.');

		f->standard = 1;
		f->code = strndup(local, dot != NULL ? (size_t)(dot - local) :
		    strlen(local));
		while (dot != NULL && f->code != NULL) {
			const char *next = strchr(dot + 1, '.');
			size_t n = next != NULL ? (size_t)(next - dot - 1) :
			    strlen(dot + 1);

			if (add_subcode(f, dot + 1, n, err) == -1) {
				free(code);
				return -1;
			}
			dot = next;
		}
		free(code);
		if (f->code == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
	} else
		f->code = code;
	if ((c = child(fe, "faultstring")) != NULL &&
	    (f->reason = text_of(c, err)) == NULL)
		return -1;
	if ((c = child(fe, "faultactor")) != NULL &&
	    (f->actor = text_of(c, err)) == NULL)
		return -1;
	if ((c = child(fe, "detail")) != NULL &&
	    (f->detail = detail_of(c, err)) == NULL)
		return -1;
	return 0;
}

static int
fault12(const struct gw_xml_node *fe, struct gw_soap_fault *f,
    struct gw_err *err)
{
	struct gw_xml_node	*code, *v, *c;
	char			*t;
	const char		*uri, *local;

	if ((code = child(fe, "Code")) == NULL || (v = child(code, "Value")) ==
	    NULL)
		return gw_err_set(err, GW_E_PROTO, "SOAP 1.2 fault without a "
		    "Code/Value");
	if ((t = text_of(v, err)) == NULL)
		return -1;
	if (gw_xml_qname(v, t, &uri, &local, NULL) == 0 && uri != NULL &&
	    strcmp(uri, GW_SOAP12_NS) == 0) {
		f->standard = 1;
		f->code = strdup(local);
		free(t);
		if (f->code == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
	} else
		f->code = t;
	for (c = child(code, "Subcode"); c != NULL; c = child(c, "Subcode")) {
		if ((v = child(c, "Value")) == NULL)
			break;
		if ((t = text_of(v, err)) == NULL)
			return -1;
		if (add_subcode(f, t, strlen(t), err) == -1) {
			free(t);
			return -1;
		}
		free(t);
	}
	if ((c = child(fe, "Reason")) != NULL && (v = child(c, "Text")) !=
	    NULL && (f->reason = text_of(v, err)) == NULL)
		return -1;
	if ((c = child(fe, "Node")) != NULL && (f->node = text_of(c, err)) ==
	    NULL)
		return -1;
	if ((c = child(fe, "Role")) != NULL && (f->actor = text_of(c, err)) ==
	    NULL)
		return -1;
	if ((c = child(fe, "Detail")) != NULL &&
	    (f->detail = detail_of(c, err)) == NULL)
		return -1;
	return 0;
}

int
gw_soap_unwrap_doc(const struct gw_xml_doc *env, enum gw_soap_version *version,
    struct gw_xml_doc **payload, struct gw_soap_fault **fault,
    struct gw_err *err)
{
	static const char *const drop[] = { GW_SOAP11_NS, GW_SOAP12_NS, NULL };
	struct gw_xml_node	*root = gw_xml_root(env), *body = NULL, *first;
	enum gw_soap_version	 v;
	struct gw_soap_fault	*f;
	const char		*ns;

	*payload = NULL;
	*fault = NULL;
	if (root == NULL)
		return gw_err_set(err, GW_E_PROTO, "not a SOAP envelope: empty "
		    "document");
	if (gw_xml_is(root, GW_SOAP11_NS, "Envelope"))
		v = GW_SOAP_11;
	else if (gw_xml_is(root, GW_SOAP12_NS, "Envelope"))
		v = GW_SOAP_12;
	else
		return gw_err_set(err, GW_E_PROTO, "not a SOAP envelope: the "
		    "root element is '%s'%s%s%s", gw_xml_local(root),
		    gw_xml_uri(root) != NULL ? " in namespace '" : "",
		    gw_xml_uri(root) != NULL ? gw_xml_uri(root) : "",
		    gw_xml_uri(root) != NULL ? "'" : "");
	ns = gw_soap_ns(v);
	for (struct gw_xml_node *c = gw_xml_first_elem(root); c != NULL;
	    c = gw_xml_next_elem(c)) {
		if (gw_xml_is(c, ns, "Header") && body == NULL)
			continue;
		if (gw_xml_is(c, ns, "Body") && body == NULL) {
			body = c;
			continue;
		}
		return gw_err_set(err, GW_E_PROTO, "SOAP envelope: unexpected "
		    "element '%s'", gw_xml_local(c));
	}
	if (body == NULL)
		return gw_err_set(err, GW_E_PROTO, "SOAP envelope without a "
		    "Body");
	if (version != NULL)
		*version = v;
	if ((first = gw_xml_first_elem(body)) == NULL)
		return 0;
	if (!gw_xml_is(first, ns, "Fault")) {
		if ((*payload = gw_xml_doc_from_node(first, drop, err)) == NULL)
			return -1;
		return 0;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	f->version = v;
	if ((v == GW_SOAP_11 ? fault11(first, f, err) :
	    fault12(first, f, err)) == -1) {
		gw_soap_fault_free(f);
		return -1;
	}
	*fault = f;
	return 1;
}

int
gw_soap_unwrap(const char *xml, size_t len, const char *origin,
    enum gw_soap_version *version, struct gw_xml_doc **payload,
    struct gw_soap_fault **fault, struct gw_err *err)
{
	struct gw_xml_doc	*env;
	int			 rc;

	*payload = NULL;
	*fault = NULL;
	if (gw_xml_parse(xml, len, origin, NULL, &env, err) == -1)
		return -1;
	rc = gw_soap_unwrap_doc(env, version, payload, fault, err);
	gw_xml_doc_free(env);
	return rc;
}

/*
 * The payload of an envelope as events, without a tree.
 */

struct payload_sax {
	const struct gw_xml_handler	*h;
	void				*arg;
	const char			*ns;		/* the envelope's */
	enum gw_soap_version		 v;
	size_t				 depth;		/* open elements */
	int				 body;		/* seen (2: left) */
	int				 found;		/* payload (2: ended) */
	int				 none;		/* a Fault: stopped */
};

static int
eq_ns(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
ps_start(void *arg, const struct gw_xml_start *e, struct gw_err *err)
{
	struct payload_sax	*ps = arg;
	struct gw_xml_start	 in;

	ps->depth++;
	if (ps->depth == 1) {
		if (strcmp(e->local, "Envelope") == 0 &&
		    eq_ns(e->uri, GW_SOAP11_NS))
			ps->v = GW_SOAP_11;
		else if (strcmp(e->local, "Envelope") == 0 &&
		    eq_ns(e->uri, GW_SOAP12_NS))
			ps->v = GW_SOAP_12;
		else
			return gw_err_set(err, GW_E_PROTO, "not a SOAP "
			    "envelope");
		ps->ns = gw_soap_ns(ps->v);
		return 0;
	}
	if (ps->depth == 2) {
		if (ps->body == 0 && eq_ns(e->uri, ps->ns) &&
		    strcmp(e->local, "Header") == 0)
			return 0;
		if (ps->body == 0 && eq_ns(e->uri, ps->ns) &&
		    strcmp(e->local, "Body") == 0) {
			ps->body = 1;
			return 0;
		}
		return gw_err_set(err, GW_E_PROTO, "SOAP envelope: unexpected "
		    "element '%s'", e->local);
	}
	if (ps->body != 1)
		return 0;			/* in the Header */
	if (ps->depth == 3 && ps->found == 0) {
		if (eq_ns(e->uri, ps->ns) && strcmp(e->local, "Fault") == 0) {
			ps->none = 1;
			return gw_err_set(err, GW_E_PROTO, "a SOAP fault");
		}
		ps->found = 1;
	}
	if (ps->found != 1)
		return 0;			/* after the payload */
	in = *e;
	in.depth -= 2;
	return ps->h->start(ps->arg, &in, err);
}

static int
ps_end(void *arg, struct gw_err *err)
{
	struct payload_sax	*ps = arg;
	size_t			 d = ps->depth--;

	if (d == 2 && ps->body == 1)
		ps->body = 2;
	if (ps->found != 1 || d < 3)
		return 0;
	if (d == 3)
		ps->found = 2;
	return ps->h->end(ps->arg, err);
}

static int
ps_text(void *arg, const char *p, size_t len, struct gw_err *err)
{
	struct payload_sax *ps = arg;

	if (ps->found != 1 || ps->depth < 3)
		return 0;
	return ps->h->text(ps->arg, p, len, err);
}

int
gw_soap_sax_payload(const char *xml, size_t len, const char *origin,
    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
    void *arg, enum gw_soap_version *version, struct gw_err *err)
{
	static const struct gw_xml_handler fh = { ps_start, ps_end, ps_text };
	struct payload_sax	ps;
	struct gw_xml_limits	l;
	int			rc;

	memset(&ps, 0, sizeof(ps));
	ps.h = h;
	ps.arg = arg;
	memset(&l, 0, sizeof(l));
	if (lim != NULL)
		l = *lim;
	/* the payload is two levels down: its own limit stays the same */
	if (l.max_depth > 0)
		l.max_depth += 2;
	rc = gw_xml_sax(xml, len, origin, &l, &fh, &ps, err);
	if (ps.v != GW_SOAP_NONE && version != NULL)
		*version = ps.v;
	if (ps.none)
		return 1;
	if (rc == -1)
		return -1;
	if (ps.body == 0)
		return gw_err_set(err, GW_E_PROTO, "SOAP envelope without a "
		    "Body");
	return ps.found == 0 ? 1 : 0;
}

/*
 * Faults and HTTP.
 */

int
gw_soap_fault_status(const struct gw_soap_fault *f)
{
	if (f->standard && f->code != NULL &&
	    (strcmp(f->code, "Client") == 0 || strcmp(f->code, "Sender") == 0))
		return 400;
	return 502;
}

static int
json_str(struct gw_buf *b, const char *key, const char *v, int comma,
    struct gw_err *err)
{
	if (v == NULL)
		return 0;
	if ((comma && gw_buf_putc(b, ',', err) == -1) ||
	    gw_buf_printf(b, err, "\"%s\":\"", key) == -1 ||
	    gw_json_escape_append(b, v, strlen(v), err) == -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

int
gw_soap_fault_problem(const struct gw_soap_fault *f, int status,
    int with_detail, const char *request_id, struct gw_buf *out,
    struct gw_err *err)
{
	size_t old = out->len;

	if (gw_buf_printf(out, err, "{\"type\":\"urn:gw:problem:soap-fault\","
	    "\"title\":\"%s\",\"status\":%d", gw_http_reason(status),
	    status) == -1 ||
	    json_str(out, "detail", f->reason != NULL ? f->reason :
	    "the upstream answered with a SOAP fault", 1, err) == -1 ||
	    json_str(out, "request_id", request_id, 1, err) == -1 ||
	    gw_buf_printf(out, err, ",\"soapFault\":{\"version\":\"%s\"",
	    gw_soap_version_name(f->version)) == -1 ||
	    json_str(out, "code", f->code, 1, err) == -1)
		goto fail;
	if (f->nsubcodes > 0) {
		if (gw_buf_puts(out, ",\"subcodes\":[", err) == -1)
			goto fail;
		for (size_t i = 0; i < f->nsubcodes; i++)
			if ((i > 0 && gw_buf_putc(out, ',', err) == -1) ||
			    gw_buf_putc(out, '"', err) == -1 ||
			    gw_json_escape_append(out, f->subcodes[i],
			    strlen(f->subcodes[i]), err) == -1 ||
			    gw_buf_putc(out, '"', err) == -1)
				goto fail;
		if (gw_buf_putc(out, ']', err) == -1)
			goto fail;
	}
	/* an empty actor or node says nothing: left out */
	if (json_str(out, "reason", f->reason, 1, err) == -1 ||
	    json_str(out, "actor", f->actor != NULL && f->actor[0] != '\0' ?
	    f->actor : NULL, 1, err) == -1 ||
	    json_str(out, "node", f->node != NULL && f->node[0] != '\0' ?
	    f->node : NULL, 1, err) == -1 ||
	    (with_detail && json_str(out, "detail", f->detail, 1, err) == -1) ||
	    gw_buf_puts(out, "}}", err) == -1)
		goto fail;
	return 0;
 fail:
	out->len = old;
	return -1;
}

int
gw_soap_fault_http_status(enum gw_soap_version v, int sender)
{
	return v == GW_SOAP_12 && sender ? 400 : 500;
}

int
gw_soap_fault_envelope(enum gw_soap_version v, int sender,
    const char *subcode, const char *reason, const char *detail,
    struct gw_buf *out, struct gw_err *err)
{
	size_t old = out->len;

	if (reason == NULL)
		reason = sender ? "bad request" : "the service failed";
	if (gw_buf_printf(out, err, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<soap:Envelope xmlns:soap=\"%s\"><soap:Body><soap:Fault>",
	    gw_soap_ns(v)) == -1)
		goto fail;
	if (v == GW_SOAP_12) {
		if (gw_buf_printf(out, err, "<soap:Code><soap:Value>soap:%s"
		    "</soap:Value>", sender ? "Sender" : "Receiver") == -1)
			goto fail;
		if (subcode != NULL && (gw_buf_puts(out, "<soap:Subcode>"
		    "<soap:Value xmlns:gw=\"urn:gw:soap\">gw:", err) == -1 ||
		    gw_xml_escape_append(out, subcode, strlen(subcode), 0,
		    err) == -1 || gw_buf_puts(out, "</soap:Value>"
		    "</soap:Subcode>", err) == -1))
			goto fail;
		if (gw_buf_puts(out, "</soap:Code><soap:Reason><soap:Text "
		    "xml:lang=\"en\">", err) == -1 ||
		    gw_xml_escape_append(out, reason, strlen(reason), 0,
		    err) == -1 ||
		    gw_buf_puts(out, "</soap:Text></soap:Reason>", err) == -1)
			goto fail;
		if (detail != NULL && (gw_buf_puts(out, "<soap:Detail>",
		    err) == -1 || gw_buf_puts(out, detail, err) == -1 ||
		    gw_buf_puts(out, "</soap:Detail>", err) == -1))
			goto fail;
	} else {
		if (gw_buf_printf(out, err, "<faultcode>soap:%s",
		    sender ? "Client" : "Server") == -1 ||
		    (subcode != NULL && (gw_buf_putc(out, '.', err) == -1 ||
		    gw_xml_escape_append(out, subcode, strlen(subcode), 0,
		    err) == -1)) ||
		    gw_buf_puts(out, "</faultcode><faultstring>", err) == -1 ||
		    gw_xml_escape_append(out, reason, strlen(reason), 0,
		    err) == -1 || gw_buf_puts(out, "</faultstring>", err) == -1)
			goto fail;
		if (detail != NULL && (gw_buf_puts(out, "<detail>",
		    err) == -1 || gw_buf_puts(out, detail, err) == -1 ||
		    gw_buf_puts(out, "</detail>", err) == -1))
			goto fail;
	}
	if (gw_buf_puts(out, "</soap:Fault></soap:Body></soap:Envelope>\n",
	    err) == -1)
		goto fail;
	return 0;
 fail:
	out->len = old;
	return -1;
}

/* A subcode from a problem type: the slug of "urn:gw:problem:slug". */
static const char *
slug_of(const char *type)
{
	const char *c = strrchr(type, ':'), *s = strrchr(type, '/');

	if (s != NULL && (c == NULL || s > c))
		c = s;
	return c != NULL ? c + 1 : type;
}

int
gw_soap_fault_from_rest(enum gw_soap_version v, int status,
    struct gw_str content_type, struct gw_str body, int with_detail,
    struct gw_buf *out, struct gw_err *err)
{
	struct gw_jdoc		*doc = NULL;
	struct json_object	*root = NULL, *o;
	struct gw_buf		 reason, detail;
	const char		*title = NULL, *pd = NULL, *type = NULL;
	struct gw_str		 mt;
	int			 rc = -1, sender = status < 500;

	gw_buf_init(&reason, 0);
	gw_buf_init(&detail, 0);
	mt = gw_str_trim(content_type);
	if (mt.p != NULL && memchr(mt.p, ';', mt.len) != NULL)
		mt.len = (size_t)((const char *)memchr(mt.p, ';', mt.len) -
		    mt.p);
	mt = gw_str_trim(mt);
	if (body.len > 0 && (gw_str_caseeq_cstr(mt, "application/problem+json")
	    || gw_str_caseeq_cstr(mt, "application/json")) &&
	    gw_jdoc_parse(body.p, body.len, "body", 0, &doc, NULL) == 0 &&
	    gw_jv_type(root = gw_jdoc_root(doc)) == GW_JT_OBJECT) {
		if (gw_jv_get(root, "title", &o))
			title = gw_jv_str(o, NULL);
		if (gw_jv_get(root, "detail", &o))
			pd = gw_jv_str(o, NULL);
		if (gw_jv_get(root, "type", &o))
			type = gw_jv_str(o, NULL);
	}
	if (title != NULL && pd != NULL) {
		if (gw_buf_printf(&reason, err, "%s: %s", title, pd) == -1)
			goto out;
	} else if (title != NULL || pd != NULL) {
		if (gw_buf_puts(&reason, title != NULL ? title : pd, err) == -1)
			goto out;
	} else if (gw_buf_printf(&reason, err, "%d %s", status,
	    gw_http_reason(status)) == -1)
		goto out;
	if (gw_buf_printf(&detail, err, "<gw:error xmlns:gw=\"urn:gw:soap\" "
	    "status=\"%d\"", status) == -1)
		goto out;
	if (type != NULL && (gw_buf_puts(&detail, " type=\"", err) == -1 ||
	    gw_xml_escape_append(&detail, type, strlen(type), 1, err) == -1 ||
	    gw_buf_putc(&detail, '"', err) == -1))
		goto out;
	if (with_detail && body.len > 0 && gw_xml_valid_chars(body.p,
	    body.len)) {
		if (gw_buf_putc(&detail, '>', err) == -1 ||
		    gw_xml_escape_append(&detail, body.p, body.len, 0,
		    err) == -1 || gw_buf_puts(&detail, "</gw:error>", err) ==
		    -1)
			goto out;
	} else if (gw_buf_puts(&detail, "/>", err) == -1)
		goto out;
	if (gw_buf_cstr(&reason, err) == NULL ||
	    gw_buf_cstr(&detail, err) == NULL)
		goto out;
	rc = gw_soap_fault_envelope(v, sender, type != NULL ? slug_of(type) :
	    NULL, reason.p, detail.p, out, err);
 out:
	gw_jdoc_free(doc);
	gw_buf_release(&reason);
	gw_buf_release(&detail);
	return rc;
}
