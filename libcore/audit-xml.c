/*
 * audit-xml.c: XML structure and entity limits and rules, over libxml2's
 * SAX2 push parser.
 *
 * No tree is built: the callbacks count depth, children, attributes,
 * namespaces, name and value lengths and nodes, and hand text and
 * attribute values to the rules.  Entities are never substituted
 * (XML_PARSE_NOENT is never set) and nothing external is ever loaded (no
 * XML_PARSE_DTDLOAD, XML_PARSE_NONET, and every external declaration is a
 * finding).  With "xml_dtd internal", the internal subset is allowed: when
 * it ends, the size every declared entity would expand to is computed from
 * the declarations alone, so that a billion-laughs document is refused
 * before anything expands; each reference in the document then adds its
 * entity's size to a budget, which catches quadratic blow-ups after a few
 * references.  A scan that finds such a bomb stops the parser at once.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "audit-int.h"
#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "xml-int.h"

#define XINCLUDE_NS	"http://www.w3.org/2001/XInclude"
#define XINCLUDE_NS_OLD	"http://www.w3.org/2003/XInclude"
/* Bytes of a name kept in an XPath. */
#define NAME_KEEP	128
/* Elements deeper than this are counted, not tracked. */
#define TRACK_MAX	256
/*
 * Bytes given to libxml2 in its first chunk: it guesses the encoding from
 * the first four and reads the XML declaration from what it has, so a
 * document cut after 1 byte would be read otherwise than whole.
 */
#define HEAD_BYTES	128
/* What an expansion size saturates at. */
#define SIZE_CAP	(UINT64_MAX / 4)

enum once {
	O_DEPTH, O_CHILDREN, O_ATTRS, O_NS, O_ELNAME, O_ATNAME, O_PREFIX,
	O_PITARGET, O_TEXT, O_ATVALUE, O_NSURI, O_COMMENT, O_PIDATA, O_NODES,
	O_DTD, O_XINCLUDE, O_NONCE
};

struct xframe {
	size_t		mark;		/* path length before this element */
	uint64_t	children;
};

struct xent {
	char		*name;
	char		*content;	/* NULL for external ones */
	size_t		 len;
	int		 param;
	int		 state;		/* 0 new, 1 being sized, 2 sized */
	uint64_t	 size;		/* bytes it expands to */
};

struct audit_xml {
	struct gw_audit_scan	*s;
	xmlSAXHandler		 sax;
	xmlParserCtxtPtr	 ctxt;
	struct xframe		*st;
	size_t			 depth, cap;
	uint64_t		 nodes;
	uint32_t		 once;
	/* the text node being read */
	int			 in_text, text_blank;
	uint64_t		 text_len;
	unsigned		 text_line, text_col;
	struct audit_acc	 text;
	/* DTD and entities */
	struct xent		*ents;
	size_t			 nents, capents;
	uint64_t		 declared;	/* bytes of internal values */
	uint64_t		 refs, expanded;
	int			 in_body;	/* the DTD is behind */
	int			 stopped;	/* by us: errors after it are ours */
	int			 reported_bad;
	/* the first bytes, kept until libxml2 can tell the encoding */
	char			 head[HEAD_BYTES];
	size_t			 nhead;
	int			 started;
	/* the first parser error */
	char			 errmsg[200];
	unsigned		 errline, errcol;
	int			 haveerr;
};

static struct audit_xml *
xml_of(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;

	return ctxt == NULL ? NULL : ctxt->_private;
}

static void
pos(struct audit_xml *x, unsigned *line, unsigned *col)
{
	xmlParserInputPtr in = x->ctxt != NULL ? x->ctxt->input : NULL;

	*line = in != NULL && in->line > 0 ? (unsigned)in->line : 0;
	*col = in != NULL && in->col > 0 ? (unsigned)in->col : 0;
}

static const char *
path(struct audit_xml *x)
{
	const char *p = gw_buf_cstr(&x->s->where, NULL);

	return p == NULL || *p == '\0' ? "/" : p;
}

static void
stop(struct audit_xml *x)
{
	x->stopped = 1;
	x->s->stopped = 1;
	x->s->res.stopped = 1;
	if (x->ctxt != NULL)
		xmlStopParser(x->ctxt);
}

/* A limit reported once per document; soft ones do not stop the parser. */
static void
over(struct audit_xml *x, enum once o, const char *id, uint64_t lim,
    const char *what)
{
	unsigned line, col;

	if (x->once & (1u << o) || x->s->stopped)
		return;
	x->once |= 1u << o;
	pos(x, &line, &col);
	if (audit_limit(x->s, id, path(x), line, col, "%s over %llu", what,
	    (unsigned long long)lim) == -1)
		stop(x);
}

static void
entity_finding(struct audit_xml *x, const char *id, int hard,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
entity_finding(struct audit_xml *x, const char *id, int hard,
    const char *fmt, ...)
{
	unsigned	line, col;
	char		msg[256];
	va_list		ap;

	if (x->s->stopped)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pos(x, &line, &col);
	if (audit_report(x->s, GW_AUDIT_ENTITY, id, GW_AUDIT_CRITICAL, 400,
	    x->depth > 0 ? path(x) : "", line, col, GW_STR_NULL, "%s",
	    msg) == -1 || hard)
		stop(x);
}

#define CHECK(x, v, lim, o, id, what) do {				\
	if ((lim) > 0 && (uint64_t)(v) > (lim))				\
		over((x), (o), (id), (lim), (what));			\
} while (0)

/* Text. */

static void
text_end(struct audit_xml *x)
{
	struct gw_audit_scan *s = x->s;

	if (!x->in_text)
		return;
	x->in_text = 0;
	if (x->text_blank)
		return;
	x->nodes++;
	CHECK(x, x->nodes, s->lim.max_xml_nodes, O_NODES, "xml-nodes",
	    "nodes");
	if (x->depth > 0 && x->depth <= TRACK_MAX &&
	    (s->lim.xml_children & GW_AUDIT_CHILD_TEXT)) {
		x->st[x->depth - 1].children++;
		CHECK(x, x->st[x->depth - 1].children,
		    s->lim.max_xml_children, O_CHILDREN, "xml-children",
		    "children of one element");
	}
	if (x->text.active && !s->stopped &&
	    audit_acc_done(s, &x->text, AT_XML_TEXT, path(x), x->text_line,
	    x->text_col) == -1)
		stop(x);
}

static void
on_characters(void *ctx, const xmlChar *ch, int len)
{
	struct audit_xml	*x = xml_of(ctx);
	struct gw_audit_scan	*s;

	if (x == NULL || x->s->stopped || len <= 0)
		return;
	s = x->s;
	if (!x->in_text) {
		x->in_text = 1;
		x->text_blank = 1;
		x->text_len = 0;
		pos(x, &x->text_line, &x->text_col);
	}
	for (int i = 0; i < len && x->text_blank; i++)
		if (!strchr(" \t\r\n", ch[i]))
			x->text_blank = 0;
	x->text_len += (uint64_t)len;
	CHECK(x, x->text_len, s->lim.max_xml_text, O_TEXT, "xml-text",
	    "bytes of one text node");
	if (audit_wants(s, AT_XML_TEXT) && (!x->text_blank ||
	    x->text.active) && audit_acc_add(s, &x->text, AT_XML_TEXT,
	    path(x), (const char *)ch, (size_t)len) == -1)
		stop(x);
}

/* Elements. */

static int
push_name(struct gw_buf *b, const char *sep, const xmlChar *prefix,
    const xmlChar *name)
{
	size_t n;

	if (gw_buf_puts(b, sep, NULL) == -1)
		return -1;
	if (prefix != NULL) {
		n = strlen((const char *)prefix);
		if (gw_buf_append(b, prefix, GW_MIN(n, NAME_KEEP), NULL) ==
		    -1 || gw_buf_putc(b, ':', NULL) == -1)
			return -1;
	}
	n = strlen((const char *)name);
	return gw_buf_append(b, name, GW_MIN(n, NAME_KEEP), NULL);
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct audit_xml		*x = xml_of(ctx);
	struct gw_audit_scan		*s;
	const struct gw_audit_limits	*l;
	unsigned			 line, col;
	size_t				 mark;

	(void)nb_defaulted;
	if (x == NULL || x->s->stopped)
		return;
	s = x->s;
	l = &s->lim;
	x->in_body = 1;
	text_end(x);
	pos(x, &line, &col);
	if (x->depth > 0 && x->depth <= TRACK_MAX &&
	    (l->xml_children & GW_AUDIT_CHILD_ELEMENT)) {
		x->st[x->depth - 1].children++;
		CHECK(x, x->st[x->depth - 1].children, l->max_xml_children,
		    O_CHILDREN, "xml-children", "children of one element");
	}
	mark = s->where.len;
	if (x->depth < TRACK_MAX) {
		if (x->depth == x->cap) {
			size_t		 nc = x->cap == 0 ? 16 : x->cap * 2;
			struct xframe	*ns;

			if ((ns = reallocarray(x->st, nc, sizeof(*ns))) ==
			    NULL) {
				struct gw_err err;

				gw_err_set(&err, GW_E_NOMEM, "out of memory");
				(void)audit_fail(s, &err);
				stop(x);
				return;
			}
			x->st = ns;
			x->cap = nc;
		}
		x->st[x->depth].mark = mark;
		x->st[x->depth].children = 0;
		(void)push_name(&s->where, "/", prefix, localname);
	}
	x->depth++;
	x->nodes++;
	CHECK(x, x->depth, l->max_xml_depth, O_DEPTH, "xml-depth",
	    "element depth");
	CHECK(x, x->nodes, l->max_xml_nodes, O_NODES, "xml-nodes", "nodes");
	CHECK(x, strlen((const char *)localname), l->max_xml_element_name,
	    O_ELNAME, "xml-element-name", "bytes of an element name");
	if (prefix != NULL)
		CHECK(x, strlen((const char *)prefix), l->max_xml_prefix,
		    O_PREFIX, "xml-prefix", "bytes of a namespace prefix");
	CHECK(x, nb_namespaces, l->max_xml_namespaces, O_NS,
	    "xml-namespaces", "namespaces declared on one element");
	for (int i = 0; i < nb_namespaces && !s->stopped; i++) {
		const xmlChar *p = namespaces[2 * i], *u = namespaces[2 * i + 1];

		if (p != NULL)
			CHECK(x, strlen((const char *)p), l->max_xml_prefix,
			    O_PREFIX, "xml-prefix",
			    "bytes of a namespace prefix");
		if (u != NULL)
			CHECK(x, strlen((const char *)u),
			    l->max_xml_namespace_uri, O_NSURI,
			    "xml-namespace-uri", "bytes of a namespace URI");
	}
	CHECK(x, nb_attributes, l->max_xml_attributes, O_ATTRS,
	    "xml-attributes", "attributes of one element");
	if (URI != NULL && strcmp((const char *)localname, "include") == 0 &&
	    (strcmp((const char *)URI, XINCLUDE_NS) == 0 ||
	    strcmp((const char *)URI, XINCLUDE_NS_OLD) == 0) &&
	    !l->xml_xinclude && !(x->once & (1u << O_XINCLUDE))) {
		x->once |= 1u << O_XINCLUDE;
		if (audit_report(s, GW_AUDIT_ENTITY, "xml-xinclude",
		    GW_AUDIT_CRITICAL, 400, path(x), line, col, GW_STR_NULL,
		    "XInclude element") == -1)
			stop(x);
	}
	if (audit_wants(s, AT_XML_NAME) && !s->stopped) {
		audit_value_begin(s);
		if (audit_match(s, AT_XML_NAME, GW_STR_NULL,
		    (const char *)localname, strlen((const char *)localname),
		    path(x), line, col) == -1)
			stop(x);
	}
	for (int i = 0; i < nb_attributes && !s->stopped; i++) {
		const xmlChar	*an = attributes[5 * i];
		const xmlChar	*ap = attributes[5 * i + 1];
		const char	*v = (const char *)attributes[5 * i + 3];
		size_t		 vlen = (size_t)(attributes[5 * i + 4] -
				    attributes[5 * i + 3]);
		size_t		 m2 = s->where.len;

		x->nodes++;
		CHECK(x, x->nodes, l->max_xml_nodes, O_NODES, "xml-nodes",
		    "nodes");
		CHECK(x, strlen((const char *)an), l->max_xml_attribute_name,
		    O_ATNAME, "xml-attribute-name",
		    "bytes of an attribute name");
		if (ap != NULL)
			CHECK(x, strlen((const char *)ap), l->max_xml_prefix,
			    O_PREFIX, "xml-prefix",
			    "bytes of a namespace prefix");
		CHECK(x, vlen, l->max_xml_attribute_value, O_ATVALUE,
		    "xml-attribute-value", "bytes of an attribute value");
		if (s->stopped)
			break;
		(void)push_name(&s->where, "/@", ap, an);
		if (audit_wants(s, AT_XML_NAME)) {
			audit_value_begin(s);
			if (audit_match(s, AT_XML_NAME, GW_STR_NULL,
			    (const char *)an, strlen((const char *)an),
			    path(x), line, col) == -1)
				stop(x);
		}
		if (audit_wants(s, AT_XML_ATTR) && !s->stopped) {
			audit_value_begin(s);
			if (audit_match(s, AT_XML_ATTR, GW_STR_NULL, v, vlen,
			    path(x), line, col) == -1)
				stop(x);
		}
		s->where.len = m2;
	}
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *URI)
{
	struct audit_xml *x = xml_of(ctx);

	(void)localname;
	(void)prefix;
	(void)URI;
	if (x == NULL || x->s->stopped)
		return;
	text_end(x);
	if (x->depth > 0)
		x->depth--;
	if (x->depth < TRACK_MAX)
		x->s->where.len = x->st[x->depth].mark;
}

static void
on_comment(void *ctx, const xmlChar *value)
{
	struct audit_xml		*x = xml_of(ctx);
	const struct gw_audit_limits	*l;

	if (x == NULL || x->s->stopped)
		return;
	l = &x->s->lim;
	text_end(x);
	x->nodes++;
	CHECK(x, x->nodes, l->max_xml_nodes, O_NODES, "xml-nodes", "nodes");
	CHECK(x, strlen((const char *)value), l->max_xml_comment, O_COMMENT,
	    "xml-comment", "bytes of a comment");
	if (x->depth > 0 && x->depth <= TRACK_MAX &&
	    (l->xml_children & GW_AUDIT_CHILD_COMMENT)) {
		x->st[x->depth - 1].children++;
		CHECK(x, x->st[x->depth - 1].children, l->max_xml_children,
		    O_CHILDREN, "xml-children", "children of one element");
	}
}

static void
on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct audit_xml		*x = xml_of(ctx);
	const struct gw_audit_limits	*l;

	if (x == NULL || x->s->stopped)
		return;
	l = &x->s->lim;
	text_end(x);
	x->nodes++;
	CHECK(x, x->nodes, l->max_xml_nodes, O_NODES, "xml-nodes", "nodes");
	CHECK(x, strlen((const char *)target), l->max_xml_pi_target,
	    O_PITARGET, "xml-pi-target",
	    "bytes of a processing instruction target");
	if (data != NULL)
		CHECK(x, strlen((const char *)data), l->max_xml_pi_data,
		    O_PIDATA, "xml-pi-data",
		    "bytes of processing instruction data");
	if (x->depth > 0 && x->depth <= TRACK_MAX &&
	    (l->xml_children & GW_AUDIT_CHILD_PI)) {
		x->st[x->depth - 1].children++;
		CHECK(x, x->st[x->depth - 1].children, l->max_xml_children,
		    O_CHILDREN, "xml-children", "children of one element");
	}
}

/* The DTD and entities. */

static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ExternalID,
    const xmlChar *SystemID)
{
	struct audit_xml	*x = xml_of(ctx);
	unsigned		 line, col;

	if (x == NULL || x->s->stopped)
		return;
	pos(x, &line, &col);
	if (ExternalID != NULL || SystemID != NULL) {
		if (audit_report(x->s, GW_AUDIT_ENTITY, "xml-external-dtd",
		    GW_AUDIT_CRITICAL, 400, "", line, col, GW_STR_NULL,
		    "DOCTYPE names an external DTD '%s'", SystemID != NULL ?
		    (const char *)SystemID : (const char *)ExternalID) == -1) {
			stop(x);
			return;
		}
	}
	if (x->s->lim.xml_dtd == GW_AUDIT_DTD_DENY) {
		x->once |= 1u << O_DTD;
		if (audit_report(x->s, GW_AUDIT_ENTITY, "xml-dtd",
		    GW_AUDIT_ERROR, 400, "", line, col, GW_STR_NULL,
		    "document type declaration (DTDs are denied)") == -1)
			stop(x);
		return;
	}
	/* the DTD node that holds the declarations; nothing is loaded */
	xmlSAX2InternalSubset(ctx, name, NULL, NULL);
}

static void	weigh(struct audit_xml *, struct xent *);

static struct xent *
find_ent(struct audit_xml *x, const char *name, size_t n, int param)
{
	for (size_t i = 0; i < x->nents; i++)
		if (x->ents[i].param == param &&
		    strlen(x->ents[i].name) == n &&
		    memcmp(x->ents[i].name, name, n) == 0)
			return &x->ents[i];
	return NULL;
}

static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
    const xmlChar *publicId, const xmlChar *systemId, xmlChar *content)
{
	struct audit_xml	*x = xml_of(ctx);
	struct gw_audit_scan	*s;
	struct xent		*e;
	int			 param = type == XML_INTERNAL_PARAMETER_ENTITY ||
				    type == XML_EXTERNAL_PARAMETER_ENTITY;

	if (x == NULL || x->s->stopped)
		return;
	s = x->s;
	if (type != XML_INTERNAL_GENERAL_ENTITY &&
	    type != XML_INTERNAL_PARAMETER_ENTITY) {
		entity_finding(x, "xml-external-entity", 1, "external entity "
		    "'%s'", (const char *)name);
		(void)publicId;
		(void)systemId;
		return;
	}
	if (s->lim.max_xml_entities > 0 &&
	    x->nents >= s->lim.max_xml_entities) {
		entity_finding(x, "xml-entities", 1, "entity '%s': more than "
		    "%llu entity declarations", (const char *)name,
		    (unsigned long long)s->lim.max_xml_entities);
		return;
	}
	if (content != NULL && s->lim.max_xml_entity_expansion > 0 &&
	    strlen((const char *)content) > s->lim.max_xml_entity_expansion) {
		entity_finding(x, "xml-entity-expansion", 1, "entity '%s' is "
		    "longer than %llu bytes", (const char *)name,
		    (unsigned long long)s->lim.max_xml_entity_expansion);
		return;
	}
	if (find_ent(x, (const char *)name, strlen((const char *)name),
	    param) != NULL)
		return;		/* the first declaration is binding */
	if (x->nents == x->capents) {
		size_t		 nc = x->capents == 0 ? 8 : x->capents * 2;
		struct xent	*ne;

		if ((ne = reallocarray(x->ents, nc, sizeof(*ne))) == NULL)
			goto nomem;
		x->ents = ne;
		x->capents = nc;
	}
	e = &x->ents[x->nents];
	memset(e, 0, sizeof(*e));
	e->param = param;
	if ((e->name = strdup((const char *)name)) == NULL)
		goto nomem;
	e->len = content == NULL ? 0 : strlen((const char *)content);
	if ((e->content = strndup(content == NULL ? "" :
	    (const char *)content, e->len)) == NULL) {
		free(e->name);
		goto nomem;
	}
	x->nents++;
	if (!param)
		x->declared += e->len;
	weigh(x, e);
	if (s->stopped)
		return;
	if (s->lim.xml_dtd == GW_AUDIT_DTD_INTERNAL)
		xmlSAX2EntityDecl(ctx, name, type, publicId, systemId,
		    content);
	return;
 nomem:
	{
		struct gw_err err;

		gw_err_set(&err, GW_E_NOMEM, "out of memory");
		(void)audit_fail(s, &err);
		stop(x);
	}
}

static void
on_unparsed_entity_decl(void *ctx, const xmlChar *name,
    const xmlChar *publicId, const xmlChar *systemId,
    const xmlChar *notationName)
{
	struct audit_xml *x = xml_of(ctx);

	(void)publicId;
	(void)systemId;
	(void)notationName;
	if (x == NULL)
		return;
	entity_finding(x, "xml-external-entity", 1, "external unparsed entity "
	    "'%s'", (const char *)name);
}

/* Size of what e expands to, from the declarations (a loop: -1). */
static int
size_of(struct audit_xml *x, struct xent *e, unsigned depth)
{
	uint64_t	sz = 0;
	const char	*p = e->content, *end = e->content + e->len;

	if (e->state == 2)
		return 0;
	if (e->state == 1 || depth > 64)
		return -1;
	e->state = 1;
	while (p < end) {
		const char	*amp = memchr(p, '&', (size_t)(end - p));
		const char	*semi;
		struct xent	*r;

		if (amp == NULL) {
			sz += (uint64_t)(end - p);
			break;
		}
		sz += (uint64_t)(amp - p);
		semi = memchr(amp, ';', (size_t)(end - amp));
		if (semi == NULL) {
			sz += (uint64_t)(end - amp);
			break;
		}
		if (amp[1] == '#' ||
		    (r = find_ent(x, amp + 1, (size_t)(semi - amp - 1),
		    0)) == NULL)
			sz += (uint64_t)(semi - amp + 1);
		else {
			if (size_of(x, r, depth + 1) == -1)
				return -1;
			sz = sz > SIZE_CAP - r->size ? SIZE_CAP : sz + r->size;
		}
		p = semi + 1;
	}
	e->size = sz;
	e->state = 2;
	return 0;
}

/*
 * Weigh entity e, just declared, before anything can use it: the sizes
 * are computed afresh, so that a loop through an entity declared later
 * is seen when that one is declared.
 */
static void
weigh(struct audit_xml *x, struct xent *e)
{
	const struct gw_audit_limits	*l = &x->s->lim;
	uint64_t			 base = x->declared > 0 ?
					    x->declared : 1;

	if (e->param) {
		e->size = e->len;
		e->state = 2;
		return;
	}
	for (size_t i = 0; i < x->nents; i++)
		if (!x->ents[i].param)
			x->ents[i].state = 0;
	if (size_of(x, e, 0) == -1) {
		entity_finding(x, "xml-entity-loop", 1, "entity '%s' refers "
		    "to itself", e->name);
		return;
	}
	if (l->max_xml_entity_expansion > 0 &&
	    e->size > l->max_xml_entity_expansion) {
		entity_finding(x, "xml-entity-expansion", 1, "entity '%s' "
		    "would expand to %llu bytes", e->name,
		    (unsigned long long)e->size);
		return;
	}
	if (l->max_xml_entity_ratio > 0 && e->size > 1024 &&
	    e->size / base >= l->max_xml_entity_ratio)
		entity_finding(x, "xml-entity-ratio", 1, "entity '%s' would "
		    "expand to %llu bytes from %llu declared", e->name,
		    (unsigned long long)e->size, (unsigned long long)base);
}

static void
on_external_subset(void *ctx, const xmlChar *name, const xmlChar *ExternalID,
    const xmlChar *SystemID)
{
	struct audit_xml *x = xml_of(ctx);

	(void)name;
	(void)ExternalID;
	(void)SystemID;
	if (x == NULL || x->s->stopped)
		return;
	/* never loaded; a denied DTD ends the scan here */
	x->in_body = 1;
	if (x->s->lim.xml_dtd == GW_AUDIT_DTD_DENY)
		stop(x);
}

/* Count one reference to an entity, before the parser expands it. */
static int
account(struct audit_xml *x, void *ctx, const xmlChar *name, int param)
{
	const struct gw_audit_limits	*l = &x->s->lim;
	struct xent			*e;

	/* in the DTD, or inside an entity whose size counted it: no */
	if (ctx != x->ctxt || !x->in_body || x->s->stopped)
		return 0;
	e = find_ent(x, (const char *)name, strlen((const char *)name),
	    param);
	if (e == NULL)
		return 0;
	x->refs++;
	if (l->max_xml_entity_refs > 0 && x->refs > l->max_xml_entity_refs) {
		entity_finding(x, "xml-entity-refs", 1, "entity '%s': more "
		    "than %llu entity references", (const char *)name,
		    (unsigned long long)l->max_xml_entity_refs);
		return -1;
	}
	x->expanded = x->expanded > SIZE_CAP - e->size ? SIZE_CAP :
	    x->expanded + e->size;
	if (l->max_xml_entity_expansion > 0 &&
	    x->expanded > l->max_xml_entity_expansion) {
		entity_finding(x, "xml-entity-expansion", 1, "entity '%s': "
		    "references would expand to %llu bytes",
		    (const char *)name, (unsigned long long)x->expanded);
		return -1;
	}
	return 0;
}

static xmlEntityPtr
on_get_entity(void *ctx, const xmlChar *name)
{
	struct audit_xml *x = xml_of(ctx);

	if (x == NULL || x->s->stopped)
		return NULL;
	if (xmlGetPredefinedEntity(name) == NULL &&
	    account(x, ctx, name, 0) == -1)
		return NULL;
	return xmlSAX2GetEntity(ctx, name);
}

static xmlEntityPtr
on_get_parameter_entity(void *ctx, const xmlChar *name)
{
	struct audit_xml *x = xml_of(ctx);

	if (x == NULL || x->s->stopped)
		return NULL;
	if (account(x, ctx, name, 1) == -1)
		return NULL;
	return xmlSAX2GetParameterEntity(ctx, name);
}

static void
on_reference(void *ctx, const xmlChar *name)
{
	(void)ctx;
	(void)name;
}

static xmlParserInputPtr
on_resolve(void *ctx, const xmlChar *publicId, const xmlChar *systemId)
{
	(void)ctx;
	(void)publicId;
	(void)systemId;
	return NULL;	/* nothing is ever fetched */
}

static void
on_error(void *arg, xmlErrorPtr e)
{
	struct audit_xml *x = xml_of(arg);

	if (x == NULL || x->haveerr || e == NULL ||
	    e->level < XML_ERR_ERROR)
		return;
	x->haveerr = 1;
	(void)snprintf(x->errmsg, sizeof(x->errmsg), "%s",
	    e->message != NULL ? e->message : "error");
	x->errmsg[strcspn(x->errmsg, "\n")] = '\0';
	x->errline = e->line > 0 ? (unsigned)e->line : 0;
	x->errcol = e->int2 > 0 ? (unsigned)e->int2 : 0;
}

/* Report the parser's verdict once it has given up. */
static void
check_wf(struct audit_xml *x, int end)
{
	struct gw_audit_scan *s = x->s;

	if (x->stopped || x->reported_bad || s->stopped)
		return;
	if (x->ctxt->wellFormed && (!end || x->haveerr == 0))
		return;
	if (x->ctxt->wellFormed && !x->haveerr)
		return;
	x->reported_bad = 1;
	(void)audit_report(s, GW_AUDIT_MALFORMED, "xml-malformed",
	    GW_AUDIT_ERROR, 400, "", x->errline, x->errcol, GW_STR_NULL,
	    "not well-formed XML: %s", x->haveerr ? x->errmsg :
	    "parse error");
	stop(x);
}

int
audit_xml_new(struct gw_audit_scan *s, struct gw_err *err)
{
	struct audit_xml *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	/* libxml2's own messages go to xml.c's sink, never to stderr */
	gw_xmli_init();
	x->s = s;
	audit_acc_init(&x->text, 0);
	xmlSAXVersion(&x->sax, 2);
	x->sax.startElementNs = on_start;
	x->sax.endElementNs = on_end;
	x->sax.startElement = NULL;
	x->sax.endElement = NULL;
	x->sax.characters = on_characters;
	x->sax.cdataBlock = on_characters;
	x->sax.ignorableWhitespace = on_characters;
	x->sax.comment = on_comment;
	x->sax.processingInstruction = on_pi;
	x->sax.internalSubset = on_internal_subset;
	x->sax.externalSubset = on_external_subset;
	x->sax.entityDecl = on_entity_decl;
	x->sax.unparsedEntityDecl = on_unparsed_entity_decl;
	x->sax.getEntity = on_get_entity;
	x->sax.getParameterEntity = on_get_parameter_entity;
	x->sax.reference = on_reference;
	x->sax.resolveEntity = on_resolve;
	x->sax.warning = NULL;
	x->sax.error = NULL;
	x->sax.fatalError = NULL;
	x->sax.serror = on_error;
	if ((x->ctxt = xmlCreatePushParserCtxt(&x->sax, NULL, NULL, 0,
	    NULL)) == NULL) {
		free(x);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	x->ctxt->_private = x;
	(void)xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	x->ctxt->replaceEntities = 0;
	x->ctxt->loadsubset = 0;
	x->ctxt->validate = 0;
	s->xml = x;
	gw_buf_reset(&s->where);
	return 0;
}

static void
parse(struct audit_xml *x, const char *p, size_t len)
{
	struct gw_audit_scan *s = x->s;

	while (len > 0 && !x->stopped && !s->stopped) {
		int n = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;

		(void)xmlParseChunk(x->ctxt, p, n, 0);
		p += n;
		len -= (size_t)n;
		check_wf(x, 0);
	}
}

int
audit_xml_feed(struct gw_audit_scan *s, const char *p, size_t len)
{
	struct audit_xml *x = s->xml;

	if (!x->started) {
		size_t n = GW_MIN(len, sizeof(x->head) - x->nhead);

		memcpy(x->head + x->nhead, p, n);
		x->nhead += n;
		p += n;
		len -= n;
		if (x->nhead < sizeof(x->head))
			return 0;
		x->started = 1;
		parse(x, x->head, x->nhead);
	}
	parse(x, p, len);
	return s->failed ? -1 : 0;
}

int
audit_xml_end(struct gw_audit_scan *s)
{
	struct audit_xml *x = s->xml;

	if (!x->started) {
		x->started = 1;
		parse(x, x->head, x->nhead);
	}
	if (x->stopped || s->stopped)
		return s->failed ? -1 : 0;
	(void)xmlParseChunk(x->ctxt, NULL, 0, 1);
	check_wf(x, 1);
	return s->failed ? -1 : 0;
}

void
audit_xml_free(struct audit_xml *x)
{
	if (x == NULL)
		return;
	if (x->ctxt != NULL) {
		if (x->ctxt->myDoc != NULL)
			xmlFreeDoc(x->ctxt->myDoc);
		x->ctxt->myDoc = NULL;
		xmlFreeParserCtxt(x->ctxt);
	}
	for (size_t i = 0; i < x->nents; i++) {
		free(x->ents[i].name);
		free(x->ents[i].content);
	}
	free(x->ents);
	free(x->st);
	audit_acc_release(&x->text);
	free(x);
}
