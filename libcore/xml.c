/*
 * xml.c: reading, walking and writing XML through libxml2, safely.
 *
 * Every document is read by one push parser (so that any size works, in
 * pieces) with GW_XML_SAFE and a SAX handler of ours in front of libxml2's:
 * it refuses entity declarations and references other than the predefined
 * ones, and counts depth.  In tree mode libxml2's SAX2 builder does the
 * rest; in streaming mode (gw_xml_sax()) our callbacks turn the events into
 * the caller's, and no tree is built.
 *
 * libxml2 reports through a structured error function set once at
 * initialisation: messages go to the current sink (xml-int.h), never to
 * stderr.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "str.h"
#include "xml-int.h"
#include "xml.h"

/* Bytes handed to the push parser at a time. */
#define CHUNK	(256 * 1024)

static struct gw_xmli_sink	*sink;
static int			 initialised;

static int
is_xml_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Messages: libxml2's text, trimmed, with a lower-case first word. */
static void
tidy(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	if (n >= 2 && isupper((unsigned char)s[0]) &&
	    islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
}

static void
on_structured(void *ctx, xmlErrorPtr e)
{
	char	msg[GW_ERR_MSG_MAX];
	char	text[GW_ERR_MSG_MAX];

	(void)ctx;
	if (e == NULL || sink == NULL || e->level == XML_ERR_NONE)
		return;
	/* an undeclared entity would be left out silently: an error here */
	if (e->level == XML_ERR_WARNING && e->code != XML_WAR_UNDECLARED_ENTITY)
		return;
	if (sink->nerr++ > 0)
		return;
	(void)snprintf(text, sizeof(text), "%s",
	    e->message != NULL ? e->message : "unknown error");
	tidy(text);
	if (e->code == XML_ERR_DOCUMENT_END && e->ctxt != NULL &&
	    ((xmlParserCtxtPtr)e->ctxt)->nameNr > 0 &&
	    ((xmlParserCtxtPtr)e->ctxt)->name != NULL)
		/* the push parser's words for a document cut short */
		(void)snprintf(text, sizeof(text), "premature end of data in "
		    "element '%.64s'", ((xmlParserCtxtPtr)e->ctxt)->name);
	if (e->domain == XML_FROM_XPATH)
		(void)snprintf(msg, sizeof(msg), "XPath: %s%s%s%s", text,
		    e->str1 != NULL ? " in '" : "",
		    e->str1 != NULL ? e->str1 : "",
		    e->str1 != NULL ? "'" : "");
	else if (e->file != NULL && e->line > 0)
		(void)snprintf(msg, sizeof(msg), "%s:%d:%d: %s", e->file,
		    e->line, e->int2 > 0 ? e->int2 : 1, text);
	else if (e->line > 0)
		(void)snprintf(msg, sizeof(msg), "%d:%d: %s", e->line,
		    e->int2 > 0 ? e->int2 : 1, text);
	else
		(void)snprintf(msg, sizeof(msg), "%s", text);
	sink->placed = e->domain != XML_FROM_XPATH && e->line > 0;
	memcpy(sink->msg, msg, sizeof(sink->msg));
	sink->code = e->code == XML_ERR_NO_MEMORY ? GW_E_NOMEM : GW_E_PROTO;
}

/* libxml2's and libxslt's unstructured messages: kept whole. */
void
gw_xmli_generic(void *ctx, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	(void)ctx;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || sink == NULL)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (sink->xslt.len < 64 * 1024)
		(void)gw_buf_append(&sink->xslt, line, (size_t)n, NULL);
}

void
gw_xmli_init(void)
{
	if (initialised)
		return;
	initialised = 1;
	xmlInitParser();
	xmlSetStructuredErrorFunc(NULL, on_structured);
	xmlSetGenericErrorFunc(NULL, gw_xmli_generic);
	/* the defaults, said once more: nothing is loaded or substituted */
	xmlSubstituteEntitiesDefault(0);
	xmlLoadExtDtdDefaultValue = 0;
}

void
gw_xmli_sink_push(struct gw_xmli_sink *s)
{
	memset(s, 0, sizeof(*s));
	gw_buf_init(&s->xslt, 0);
	s->prev = sink;
	sink = s;
}

void
gw_xmli_sink_pop(struct gw_xmli_sink *s)
{
	if (sink == s)
		sink = s->prev;
	gw_buf_release(&s->xslt);
}

void
gw_xmli_sink_error(enum gw_err_code code, const char *fmt, ...)
{
	va_list ap;

	if (sink == NULL || sink->nerr++ > 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(sink->msg, sizeof(sink->msg), fmt, ap);
	va_end(ap);
	sink->code = code;
}

/*
 * The parser.
 */

struct pstate {
	xmlParserCtxtPtr		 ctxt;
	const char			*origin;
	const struct gw_xml_handler	*h;	/* NULL: build a tree */
	void				*arg;
	size_t				 depth, max_depth;
	int				 failed;
	struct gw_err			 err;
	/* streaming: attribute values, NUL-terminated and decoded */
	struct gw_buf			 scratch;
	struct gw_xml_attr		*attrs;
	size_t				 attrs_cap;
};

/* Stop the parse with an error at the current position. */
static void
stop(struct pstate *ps, enum gw_err_code code, const char *msg)
{
	xmlParserInputPtr	in;
	int			line = 0, col = 0;

	if (ps->failed)
		return;
	ps->failed = 1;
	in = ps->ctxt != NULL ? ps->ctxt->input : NULL;
	if (in != NULL) {
		line = in->line;
		col = in->col;
	}
	if (code == GW_E_NOMEM)
		gw_err_set(&ps->err, code, "out of memory");
	else if (ps->origin != NULL)
		gw_err_set(&ps->err, code, "%s:%d:%d: %s", ps->origin, line,
		    col > 0 ? col : 1, msg);
	else
		gw_err_set(&ps->err, code, "%d:%d: %s", line, col > 0 ? col : 1,
		    msg);
	xmlStopParser(ps->ctxt);
}

static struct pstate *
pstate_of(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

static void
refuse_entity(void *ctx, const xmlChar *name, int type,
    const xmlChar *publicId, const xmlChar *systemId, xmlChar *content)
{
	char msg[256];

	(void)type;
	(void)publicId;
	(void)systemId;
	(void)content;
	(void)snprintf(msg, sizeof(msg), "entity declarations are not "
	    "allowed ('%.64s')", (const char *)name);
	stop(pstate_of(ctx), GW_E_PROTO, msg);
}

static void
refuse_reference(void *ctx, const xmlChar *name)
{
	char msg[256];

	(void)snprintf(msg, sizeof(msg), "entity reference '&%.64s;' is not "
	    "allowed", (const char *)name);
	stop(pstate_of(ctx), GW_E_PROTO, msg);
}

static int
deeper(struct pstate *ps)
{
	char msg[128];

	if (++ps->depth <= ps->max_depth)
		return 0;
	(void)snprintf(msg, sizeof(msg), "elements nested deeper than %zu",
	    ps->max_depth);
	stop(ps, GW_E_LIMIT, msg);
	return -1;
}

static void
tree_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs, int ndef,
    const xmlChar **attrs)
{
	struct pstate *ps = pstate_of(ctx);

	if (ps->failed || deeper(ps) == -1)
		return;
	xmlSAX2StartElementNs(ctx, local, prefix, uri, nns, ns, nattrs, ndef,
	    attrs);
}

static void
tree_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct pstate *ps = pstate_of(ctx);

	if (ps->failed)
		return;
	ps->depth--;
	xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* A callback of the caller's failed: its message, at our position. */
static void
callback_failed(struct pstate *ps, struct gw_err *e)
{
	char msg[GW_ERR_MSG_MAX];

	if (e->code == GW_E_NOMEM) {
		stop(ps, GW_E_NOMEM, "out of memory");
		return;
	}
	(void)snprintf(msg, sizeof(msg), "%s", e->msg);
	stop(ps, e->code == GW_E_OK ? GW_E_INTERNAL : e->code, msg);
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs, int ndef,
    const xmlChar **attrs)
{
	struct pstate		*ps = pstate_of(ctx);
	struct gw_xml_start	 e;
	struct gw_err		 err;
	size_t			 n = (size_t)nattrs;

	(void)ndef;
	if (ps->failed || deeper(ps) == -1)
		return;
	if (n > ps->attrs_cap) {
		struct gw_xml_attr *a = reallocarray(ps->attrs, n,
		    sizeof(*a));

		if (a == NULL) {
			stop(ps, GW_E_NOMEM, "out of memory");
			return;
		}
		ps->attrs = a;
		ps->attrs_cap = n;
	}
	/* values: "&" comes as "&#38;" (libxml2 keeps it for a re-parse) */
	gw_buf_reset(&ps->scratch);
	for (size_t i = 0; i < n; i++) {
		const char *v = (const char *)attrs[i * 5 + 3];
		const char *end = (const char *)attrs[i * 5 + 4];

		while (v < end) {
			const char *amp = memchr(v, '&', (size_t)(end - v));
			size_t run = (amp == NULL ? end : amp) - v;

			if (gw_buf_append(&ps->scratch, v, run, NULL) == -1)
				goto nomem;
			v += run;
			if (amp == NULL)
				break;
			if (end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0) {
				if (gw_buf_putc(&ps->scratch, '&', NULL) == -1)
					goto nomem;
				v += 5;
				continue;
			}
			stop(ps, GW_E_PROTO, "entity reference in an attribute "
			    "value is not allowed");
			return;
		}
		if (gw_buf_putc(&ps->scratch, '\0', NULL) == -1)
			goto nomem;
	}
	{
		const char *p = ps->scratch.p;

		for (size_t i = 0; i < n; i++) {
			ps->attrs[i].local = (const char *)attrs[i * 5];
			ps->attrs[i].prefix = (const char *)attrs[i * 5 + 1];
			ps->attrs[i].uri = (const char *)attrs[i * 5 + 2];
			ps->attrs[i].value = p;
			p += strlen(p) + 1;
		}
	}
	memset(&e, 0, sizeof(e));
	e.local = (const char *)local;
	e.prefix = (const char *)prefix;
	e.uri = (const char *)uri;
	e.attrs = ps->attrs;
	e.nattrs = n;
	e.nsdecl = (const char *const *)(const void *)ns;
	e.nnsdecl = (size_t)nns;
	e.line = (unsigned)xmlSAX2GetLineNumber(ctx);
	e.depth = ps->depth;
	gw_err_clear(&err);
	if (ps->h->start != NULL && ps->h->start(ps->arg, &e, &err) == -1)
		callback_failed(ps, &err);
	return;
 nomem:
	stop(ps, GW_E_NOMEM, "out of memory");
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct pstate	*ps = pstate_of(ctx);
	struct gw_err	 err;

	(void)local;
	(void)prefix;
	(void)uri;
	if (ps->failed)
		return;
	ps->depth--;
	gw_err_clear(&err);
	if (ps->h->end != NULL && ps->h->end(ps->arg, &err) == -1)
		callback_failed(ps, &err);
}

static void
sax_text(void *ctx, const xmlChar *ch, int len)
{
	struct pstate	*ps = pstate_of(ctx);
	struct gw_err	 err;

	if (ps->failed || len <= 0)
		return;
	/*
	 * libxml2 lets some byte sequences that are not UTF-8 through in
	 * CDATA sections (an overlong C1 90 was one) and refuses the same
	 * text when what was made from it is read again; refuse it here.
	 */
	if (!gw_xml_valid_chars((const char *)ch, (size_t)len)) {
		stop(ps, GW_E_PROTO, "text that is not UTF-8, or holds a "
		    "character XML does not allow");
		return;
	}
	gw_err_clear(&err);
	if (ps->h->text != NULL && ps->h->text(ps->arg, (const char *)ch,
	    (size_t)len, &err) == -1)
		callback_failed(ps, &err);
}

/* Outside elements only whitespace can come, and it is not content. */
static void
sax_chars(void *ctx, const xmlChar *ch, int len)
{
	if (pstate_of(ctx)->depth == 0)
		return;
	sax_text(ctx, ch, len);
}

static void
handler_init(xmlSAXHandler *sax, int tree)
{
	if (tree) {
		xmlSAXVersion(sax, 2);
		sax->startElementNs = tree_start;
		sax->endElementNs = tree_end;
	} else {
		memset(sax, 0, sizeof(*sax));
		sax->initialized = XML_SAX2_MAGIC;
		sax->startElementNs = sax_start;
		sax->endElementNs = sax_end;
		sax->characters = sax_chars;
		sax->ignorableWhitespace = sax_chars;
		sax->cdataBlock = sax_text;
	}
	sax->entityDecl = refuse_entity;
	sax->reference = refuse_reference;
	sax->warning = NULL;
	sax->error = NULL;
	sax->fatalError = NULL;
	sax->serror = on_structured;
}

/*
 * Parse buf with ps set up; in tree mode the document is returned.  On
 * failure NULL, with err filled.
 */
static xmlDocPtr
parse(struct pstate *ps, const char *buf, size_t len,
    const struct gw_xml_limits *lim, xmlDictPtr dict, struct gw_err *err)
{
	xmlSAXHandler		 sax;
	xmlParserCtxtPtr	 ctxt = NULL;
	struct gw_xmli_sink	 s;
	xmlDocPtr		 doc = NULL;
	size_t			 first, off;
	int			 wf;

	gw_xmli_init();
	ps->max_depth = lim != NULL && lim->max_depth > 0 ? lim->max_depth :
	    GW_XML_MAX_DEPTH;
	if (lim != NULL && lim->max_bytes > 0 && len > lim->max_bytes) {
		gw_err_set(err, GW_E_LIMIT, "%s%sdocument larger than %llu "
		    "bytes", ps->origin != NULL ? ps->origin : "",
		    ps->origin != NULL ? ": " : "",
		    (unsigned long long)lim->max_bytes);
		return NULL;
	}
	for (off = 0; off < len && is_xml_space((unsigned char)buf[off]); off++)
		;
	if (off == len) {
		if (ps->origin != NULL)
			gw_err_set(err, GW_E_PROTO, "%s:1:1: document is empty",
			    ps->origin);
		else
			gw_err_set(err, GW_E_PROTO, "1:1: document is empty");
		return NULL;
	}
	handler_init(&sax, ps->h == NULL);
	gw_buf_init(&ps->scratch, 0);
	gw_xmli_sink_push(&s);
	first = len < 4 ? len : 4;
	if ((ctxt = xmlCreatePushParserCtxt(&sax, NULL, buf, (int)first,
	    ps->origin)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	ps->ctxt = ctxt;
	ctxt->_private = ps;
	if (dict != NULL) {
		/* libxslt wants its documents' names in the stylesheet's dict */
		xmlDictFree(ctxt->dict);
		ctxt->dict = dict;
		xmlDictReference(dict);
		ctxt->str_xml = xmlDictLookup(dict, (const xmlChar *)"xml", 3);
		ctxt->str_xmlns = xmlDictLookup(dict, (const xmlChar *)"xmlns", 5);
		ctxt->str_xml_ns = xmlDictLookup(dict, XML_XML_NAMESPACE, 36);
	}
	(void)xmlCtxtUseOptions(ctxt, GW_XML_SAFE);
	ctxt->replaceEntities = 0;
	ctxt->loadsubset = 0;
	ctxt->validate = 0;
	/* the last piece goes with terminate set: libxml2 then says what
	   is missing ("premature end of data") rather than "extra content" */
	for (off = first; !ps->failed && ctxt->instate != XML_PARSER_EOF;
	    off += CHUNK) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;

		(void)xmlParseChunk(ctxt, n > 0 ? buf + off : NULL, (int)n,
		    off + n == len);
		if (off + n == len)
			break;
	}
	wf = ctxt->wellFormed;
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (ps->failed) {
		*err = ps->err;
		goto fail;
	}
	if (s.nerr > 0 || !wf || (ps->h == NULL && doc == NULL)) {
		xmlParserInputPtr in = ctxt->input;

		if (s.nerr > 0 && !s.placed && s.code != GW_E_NOMEM)
			/* an encoding error says no line: where we are */
			gw_err_set(err, s.code, "%s%s%d:%d: %s", ps->origin !=
			    NULL ? ps->origin : "", ps->origin != NULL ? ":" :
			    "", in != NULL && in->line > 0 ? in->line : 1,
			    in != NULL && in->col > 0 ? in->col : 1, s.msg);
		else if (s.nerr > 0)
			gw_err_set(err, s.code, "%s", s.msg);
		else
			gw_err_set(err, GW_E_PROTO, "%s%sdocument is not "
			    "well-formed", ps->origin != NULL ? ps->origin :
			    "", ps->origin != NULL ? ": " : "");
		goto fail;
	}
	goto out;
 fail:
	xmlFreeDoc(doc);
	doc = NULL;
 out:
	if (ctxt != NULL) {
		xmlFreeDoc(ctxt->myDoc);
		ctxt->myDoc = NULL;
		xmlFreeParserCtxt(ctxt);
	}
	gw_xmli_sink_pop(&s);
	gw_buf_release(&ps->scratch);
	free(ps->attrs);
	ps->attrs = NULL;
	return doc;
}

xmlDocPtr
gw_xmli_read(const char *buf, size_t len, const char *url,
    const struct gw_xml_limits *lim, xmlDictPtr dict, struct gw_err *err)
{
	struct pstate ps;

	memset(&ps, 0, sizeof(ps));
	ps.origin = url;
	return parse(&ps, buf, len, lim, dict, err);
}

int
gw_xml_parse(const char *buf, size_t len, const char *origin,
    const struct gw_xml_limits *lim, struct gw_xml_doc **out,
    struct gw_err *err)
{
	xmlDocPtr d;

	*out = NULL;
	if ((d = gw_xmli_read(buf, len, origin, lim, NULL, err)) == NULL)
		return -1;
	*out = GDOC(d);
	return 0;
}

int
gw_xml_sax(const char *buf, size_t len, const char *origin,
    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
    void *arg, struct gw_err *err)
{
	struct pstate	ps;
	struct gw_err	e;

	memset(&ps, 0, sizeof(ps));
	ps.origin = origin;
	ps.h = h;
	ps.arg = arg;
	gw_err_clear(&e);
	(void)parse(&ps, buf, len, lim, NULL, &e);
	if (e.code != GW_E_OK) {
		if (err != NULL)
			*err = e;
		return -1;
	}
	return 0;
}

int
gw_xmli_slurp(const char *path, size_t max, char **data, size_t *lenp,
    struct gw_err *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd;

	*data = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		int e = errno;

		gw_err_sys(err, "cannot open '%s'", path);
		if (err != NULL && e == ENOENT)
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		gw_err_sys(err, "cannot stat '%s'", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		gw_err_set(err, GW_E_INVAL, "'%s' is a directory", path);
		goto fail;
	}
	if (st.st_size > 0 && (uint64_t)st.st_size > max) {
		gw_err_set(err, GW_E_LIMIT, "'%s' is larger than %zu bytes",
		    path, max);
		goto fail;
	}
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if ((buf = malloc(cap)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap > max) {
				gw_err_set(err, GW_E_LIMIT, "'%s' is larger "
				    "than %zu bytes", path, max);
				goto fail;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			gw_err_sys(err, "cannot read '%s'", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		gw_err_set(err, GW_E_LIMIT, "'%s' is larger than %zu bytes",
		    path, max);
		goto fail;
	}
	(void)close(fd);
	*data = buf;
	*lenp = len;
	return 0;
 fail:
	free(buf);
	(void)close(fd);
	return -1;
}

int
gw_xml_load(const char *path, size_t max_bytes, struct gw_xml_doc **out,
    struct gw_err *err)
{
	char	*data;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if (gw_xmli_slurp(path, max_bytes > 0 ? max_bytes :
	    GW_XML_MAX_FILE_BYTES, &data, &len, err) == -1)
		return -1;
	rc = gw_xml_parse(data, len, path, NULL, out, err);
	free(data);
	return rc;
}

void
gw_xml_doc_free(struct gw_xml_doc *d)
{
	if (d != NULL)
		xmlFreeDoc(XDOC(d));
}

void
gw_xml_doc_dtor(void *d)
{
	gw_xml_doc_free(d);
}

const char *
gw_xml_doc_origin(const struct gw_xml_doc *d)
{
	return d != NULL ? (const char *)XDOC(d)->URL : NULL;
}

/*
 * Walking.
 */

struct gw_xml_node *
gw_xml_root(const struct gw_xml_doc *d)
{
	return d != NULL ? GNODE(xmlDocGetRootElement(XDOC(d))) : NULL;
}

enum gw_xml_type
gw_xml_type(const struct gw_xml_node *n)
{
	switch (XNODE(n)->type) {
	case XML_ELEMENT_NODE:
		return GW_XML_ELEMENT;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		return GW_XML_TEXT;
	default:
		return GW_XML_OTHER;
	}
}

struct gw_xml_node *
gw_xml_first(const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	if (x->type != XML_ELEMENT_NODE && x->type != XML_DOCUMENT_NODE)
		return NULL;
	return GNODE(x->children);
}

struct gw_xml_node *
gw_xml_next(const struct gw_xml_node *n)
{
	return GNODE(XNODE(n)->next);
}

struct gw_xml_node *
gw_xml_parent(const struct gw_xml_node *n)
{
	xmlNodePtr p = XNODE(n)->parent;

	return p != NULL && p->type == XML_ELEMENT_NODE ? GNODE(p) : NULL;
}

static xmlNodePtr
elem_from(xmlNodePtr x)
{
	while (x != NULL && x->type != XML_ELEMENT_NODE)
		x = x->next;
	return x;
}

struct gw_xml_node *
gw_xml_first_elem(const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	if (x->type != XML_ELEMENT_NODE)
		return NULL;
	return GNODE(elem_from(x->children));
}

struct gw_xml_node *
gw_xml_next_elem(const struct gw_xml_node *n)
{
	return GNODE(elem_from(XNODE(n)->next));
}

const char *
gw_xml_local(const struct gw_xml_node *n)
{
	return (const char *)XNODE(n)->name;
}

const char *
gw_xml_uri(const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	return x->ns != NULL ? (const char *)x->ns->href : NULL;
}

const char *
gw_xml_prefix(const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	return x->ns != NULL ? (const char *)x->ns->prefix : NULL;
}

int
gw_xml_is(const struct gw_xml_node *n, const char *uri, const char *local)
{
	const char *u;

	if (n == NULL || XNODE(n)->type != XML_ELEMENT_NODE ||
	    strcmp((const char *)XNODE(n)->name, local) != 0)
		return 0;
	u = gw_xml_uri(n);
	if (uri == NULL || u == NULL)
		return uri == u;
	return strcmp(u, uri) == 0;
}

const char *
gw_xml_text(const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	if ((x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) &&
	    x->content != NULL)
		return (const char *)x->content;
	return "";
}

unsigned
gw_xml_line(const struct gw_xml_node *n)
{
	long l = xmlGetLineNo(XNODE(n));

	return l > 0 ? (unsigned)l : 0;
}

static int
append_content(xmlNodePtr x, struct gw_buf *out, struct gw_err *err)
{
	for (; x != NULL; x = x->next) {
		switch (x->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (x->content != NULL && gw_buf_puts(out,
			    (const char *)x->content, err) == -1)
				return -1;
			break;
		case XML_ELEMENT_NODE:
			if (append_content(x->children, out, err) == -1)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
gw_xml_content(const struct gw_xml_node *n, struct gw_buf *out,
    struct gw_err *err)
{
	xmlNodePtr x = XNODE(n);

	if (x->type == XML_ELEMENT_NODE)
		return append_content(x->children, out, err);
	return gw_buf_puts(out, gw_xml_text(n), err);
}

int
gw_xml_is_blank(const struct gw_xml_node *n)
{
	for (xmlNodePtr x = XNODE(n)->children; x != NULL; x = x->next) {
		if (x->type == XML_ELEMENT_NODE)
			return 0;
		if ((x->type == XML_TEXT_NODE ||
		    x->type == XML_CDATA_SECTION_NODE) && x->content != NULL)
			for (const xmlChar *p = x->content; *p != '\0'; p++)
				if (!is_xml_space(*p))
					return 0;
	}
	return 1;
}

void
gw_xml_attr_iter(struct gw_xml_iter *it, const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	it->p = x->type == XML_ELEMENT_NODE ? x->properties : NULL;
}

static const char *
attr_value(xmlAttrPtr a)
{
	xmlNodePtr c = a->children;

	/* no entities: the value is one text node, or none when empty */
	if (c != NULL && c->type == XML_TEXT_NODE && c->next == NULL &&
	    c->content != NULL)
		return (const char *)c->content;
	return "";
}

int
gw_xml_attr_next(struct gw_xml_iter *it, struct gw_xml_attr *a)
{
	xmlAttrPtr x = (xmlAttrPtr)(uintptr_t)it->p;

	if (x == NULL)
		return 0;
	it->p = x->next;
	a->local = (const char *)x->name;
	a->uri = x->ns != NULL ? (const char *)x->ns->href : NULL;
	a->prefix = x->ns != NULL ? (const char *)x->ns->prefix : NULL;
	a->value = attr_value(x);
	return 1;
}

const char *
gw_xml_attr_get(const struct gw_xml_node *n, const char *uri,
    const char *local)
{
	xmlNodePtr x = XNODE(n);

	if (x->type != XML_ELEMENT_NODE)
		return NULL;
	for (xmlAttrPtr a = x->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, local) != 0)
			continue;
		if (uri == NULL ? a->ns == NULL : (a->ns != NULL &&
		    strcmp((const char *)a->ns->href, uri) == 0))
			return attr_value(a);
	}
	return NULL;
}

void
gw_xml_nsdecl_iter(struct gw_xml_iter *it, const struct gw_xml_node *n)
{
	xmlNodePtr x = XNODE(n);

	it->p = x->type == XML_ELEMENT_NODE ? x->nsDef : NULL;
}

int
gw_xml_nsdecl_next(struct gw_xml_iter *it, const char **prefix,
    const char **uri)
{
	xmlNsPtr ns = (xmlNsPtr)(uintptr_t)it->p;

	if (ns == NULL)
		return 0;
	it->p = ns->next;
	*prefix = (const char *)ns->prefix;
	*uri = (const char *)ns->href;
	return 1;
}

int
gw_xml_qname(const struct gw_xml_node *n, const char *qname,
    const char **uri, const char **local, struct gw_err *err)
{
	const char	*colon = strchr(qname, ':');
	xmlNsPtr	 ns;
	char		 prefix[128];

	if (colon == NULL) {
		ns = xmlSearchNs(XNODE(n)->doc, XNODE(n), NULL);
		*uri = ns != NULL && ns->href != NULL && ns->href[0] != '\0' ?
		    (const char *)ns->href : NULL;
		*local = qname;
		return 0;
	}
	if ((size_t)(colon - qname) >= sizeof(prefix))
		return gw_err_set(err, GW_E_PROTO, "prefix of '%.64s' is too "
		    "long", qname);
	memcpy(prefix, qname, (size_t)(colon - qname));
	prefix[colon - qname] = '\0';
	if ((ns = xmlSearchNs(XNODE(n)->doc, XNODE(n),
	    (const xmlChar *)prefix)) == NULL)
		return gw_err_set(err, GW_E_PROTO, "prefix '%s' of '%.64s' is "
		    "not declared", prefix, qname);
	*uri = (const char *)ns->href;
	*local = colon + 1;
	return 0;
}

/*
 * Writing.
 */

struct save_ctx {
	struct gw_buf	*out;
	struct gw_err	 err;
	int		 failed;
};

static int
save_write(void *arg, const char *p, int len)
{
	struct save_ctx *sc = arg;

	if (sc->failed)
		return -1;
	if (len > 0 && gw_buf_append(sc->out, p, (size_t)len, &sc->err) == -1) {
		sc->failed = 1;
		return -1;
	}
	return len;
}

static int
save_close(void *arg)
{
	(void)arg;
	return 0;
}

int
gw_xml_serialize(const struct gw_xml_doc *d, unsigned flags,
    struct gw_buf *out, struct gw_err *err)
{
	struct save_ctx		 sc;
	struct gw_xmli_sink	 s;
	xmlSaveCtxtPtr		 save;
	size_t			 old = out->len;
	/* as XML always: no XHTML rewriting for an XHTML doctype */
	int			 opts = XML_SAVE_AS_XML | XML_SAVE_NO_XHTML, rc = -1;

	gw_xmli_init();
	memset(&sc, 0, sizeof(sc));
	sc.out = out;
	if (flags & (GW_XML_NO_DECL | GW_XML_ROOT))
		opts |= XML_SAVE_NO_DECL;
	if (flags & GW_XML_INDENT)
		opts |= XML_SAVE_FORMAT;
	gw_xmli_sink_push(&s);
	if ((save = xmlSaveToIO(save_write, save_close, &sc, "UTF-8",
	    opts)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (flags & GW_XML_ROOT) {
		xmlNodePtr root = xmlDocGetRootElement(XDOC(d));

		if (root != NULL)
			(void)xmlSaveTree(save, root);
	} else
		(void)xmlSaveDoc(save, XDOC(d));
	if (xmlSaveClose(save) < 0 || sc.failed || s.nerr > 0) {
		if (sc.failed)
			*err = sc.err;
		else
			gw_err_set(err, s.nerr > 0 ? s.code : GW_E_INTERNAL,
			    "cannot serialise the document%s%s",
			    s.nerr > 0 ? ": " : "", s.nerr > 0 ? s.msg : "");
		out->len = old;
		goto out;
	}
	if (flags & (GW_XML_NO_DECL | GW_XML_ROOT)) {
		/* libxml2 ends the document with a newline: drop it */
		while (out->len > old && out->p[out->len - 1] == '\n')
			out->len--;
	}
	rc = 0;
 out:
	gw_xmli_sink_pop(&s);
	return rc;
}

/* 1 if URI href names the namespace of the copy or of a name in it. */
static int
ns_used(xmlNodePtr x, const xmlChar *href)
{
	for (; x != NULL; x = x->next) {
		if (x->type != XML_ELEMENT_NODE)
			continue;
		if (x->ns != NULL && xmlStrEqual(x->ns->href, href))
			return 1;
		for (xmlAttrPtr a = x->properties; a != NULL; a = a->next)
			if (a->ns != NULL && xmlStrEqual(a->ns->href, href))
				return 1;
		if (ns_used(x->children, href))
			return 1;
	}
	return 0;
}

struct gw_xml_doc *
gw_xml_doc_from_node(const struct gw_xml_node *n, const char *const *drop,
    struct gw_err *err)
{
	xmlNodePtr	 x = XNODE(n), copy;
	xmlDocPtr	 doc;
	xmlNsPtr	*list;

	gw_xmli_init();
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((copy = xmlDocCopyNode(x, doc, 1)) == NULL) {
		xmlFreeDoc(doc);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	(void)xmlDocSetRootElement(doc, copy);
	if ((list = xmlGetNsList(x->doc, x)) != NULL) {
		for (size_t i = 0; list[i] != NULL; i++) {
			xmlNsPtr	 ns = list[i], d;
			int		 have = 0, dropped = 0;

			for (d = copy->nsDef; d != NULL; d = d->next)
				if (xmlStrEqual(d->prefix, ns->prefix))
					have = 1;
			if (have || xmlStrEqual(ns->prefix,
			    (const xmlChar *)"xml"))
				continue;
			for (size_t j = 0; drop != NULL && drop[j] != NULL; j++)
				if (xmlStrEqual(ns->href,
				    (const xmlChar *)drop[j]))
					dropped = 1;
			if (dropped && !ns_used(copy, ns->href))
				continue;
			if (xmlNewNs(copy, ns->href, ns->prefix) == NULL) {
				xmlFree(list);
				xmlFreeDoc(doc);
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				return NULL;
			}
		}
		xmlFree(list);
	}
	return GDOC(doc);
}

/* Drop whitespace-only text nodes beside elements. */
static void
trim_blanks(xmlNodePtr parent)
{
	xmlNodePtr	x, next;
	int		elems = 0;

	for (x = parent->children; x != NULL; x = x->next)
		if (x->type == XML_ELEMENT_NODE)
			elems = 1;
	for (x = parent->children; x != NULL; x = next) {
		next = x->next;
		if (x->type == XML_ELEMENT_NODE)
			trim_blanks(x);
		else if (elems && x->type == XML_TEXT_NODE &&
		    xmlIsBlankNode(x)) {
			xmlUnlinkNode(x);
			xmlFreeNode(x);
		}
	}
}

int
gw_xml_c14n(const struct gw_xml_doc *d, unsigned flags, struct gw_buf *out,
    struct gw_err *err)
{
	struct gw_xmli_sink	 s;
	xmlDocPtr		 doc = XDOC(d), copy = NULL;
	xmlChar			*text = NULL;
	int			 n, rc = -1;

	gw_xmli_init();
	gw_xmli_sink_push(&s);
	if (flags & GW_XML_C14N_TRIM) {
		xmlNodePtr root;

		if ((copy = xmlCopyDoc(doc, 1)) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto out;
		}
		if ((root = xmlDocGetRootElement(copy)) != NULL)
			trim_blanks(root);
		doc = copy;
	}
	if ((n = xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0,
	    &text)) < 0) {
		gw_err_set(err, s.nerr > 0 ? s.code : GW_E_PROTO,
		    "cannot canonicalise the document%s%s", s.nerr > 0 ?
		    ": " : "", s.nerr > 0 ? s.msg : "");
		goto out;
	}
	if (gw_buf_append(out, text, (size_t)n, err) == -1)
		goto out;
	rc = 0;
 out:
	xmlFree(text);
	xmlFreeDoc(copy);
	gw_xmli_sink_pop(&s);
	return rc;
}

int
gw_xml_xpath(const struct gw_xml_doc *d, const char *expr,
    const char *const *ns, struct gw_buf *out, struct gw_err *err)
{
	struct gw_xmli_sink	 s;
	xmlXPathContextPtr	 xc = NULL;
	xmlXPathObjectPtr	 res = NULL;
	xmlChar			*str = NULL;
	int			 rc = -1;

	gw_xmli_init();
	gw_xmli_sink_push(&s);
	if ((xc = xmlXPathNewContext(XDOC(d))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; ns != NULL && ns[i] != NULL && ns[i + 1] != NULL;
	    i += 2)
		if (xmlXPathRegisterNs(xc, (const xmlChar *)ns[i],
		    (const xmlChar *)ns[i + 1]) != 0) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto out;
		}
	if ((res = xmlXPathEvalExpression((const xmlChar *)expr, xc)) ==
	    NULL) {
		gw_err_set(err, GW_E_INVAL, "bad XPath expression '%.200s'%s%s",
		    expr, s.nerr > 0 ? ": " : "", s.nerr > 0 ? s.msg : "");
		goto out;
	}
	if ((str = xmlXPathCastToString(res)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (gw_buf_puts(out, (const char *)str, err) == -1)
		goto out;
	rc = 0;
 out:
	xmlFree(str);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(xc);
	gw_xmli_sink_pop(&s);
	return rc;
}

/*
 * Characters and names.
 */

int
gw_xml_valid_chars(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	uint32_t		 c;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = gw_utf8_decode(p + i, len - i, &c)) == 0)
			return 0;
		if ((c < 0x20 && c != 0x9 && c != 0xa && c != 0xd) ||
		    c == 0xfffe || c == 0xffff)
			return 0;
		i += n;
	}
	return 1;
}

static int
name_start(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) ||
	    (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
	    (c >= 0x37f && c <= 0x1fff) || (c >= 0x200c && c <= 0x200d) ||
	    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
	    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) ||
	    (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

static int
name_char(uint32_t c)
{
	return name_start(c) || c == '-' || c == '.' ||
	    (c >= '0' && c <= '9') || c == 0xb7 ||
	    (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040);
}

int
gw_xml_valid_name(const char *s, size_t len, int colon)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	uint32_t		 c;
	int			 start = 1, colons = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		if ((n = gw_utf8_decode(p + i, len - i, &c)) == 0)
			return 0;
		i += n;
		if (c == ':') {
			if (!colon || start || ++colons > 1 || i == len)
				return 0;
			start = 1;
			continue;
		}
		if (start ? !name_start(c) : !name_char(c))
			return 0;
		start = 0;
	}
	return 1;
}

int
gw_xml_escape_append(struct gw_buf *out, const char *s, size_t len, int attr,
    struct gw_err *err)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		const char	*rep;
		unsigned char	 c = (unsigned char)s[i];

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#9;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		default:
			rep = NULL;
			break;
		}
		if (rep == NULL) {
			run++;
			continue;
		}
		if (gw_buf_append(out, s + i - run, run, err) == -1 ||
		    gw_buf_puts(out, rep, err) == -1)
			return -1;
		run = 0;
	}
	return gw_buf_append(out, s + i - run, run, err);
}
