/*
 * xml.h: XML payloads, stylesheets and service descriptions.
 *
 * The only module that calls libxml2, libxslt and libexslt (xml.c for
 * documents, xml-xslt.c for stylesheets).  Nothing is initialised until the
 * first call that needs it, so a program that never meets XML pays nothing
 * but the linking.
 *
 * Safety, in every function that reads XML: no network access
 * (XML_PARSE_NONET), no DTD loading, no entity substitution (neither
 * XML_PARSE_DTDLOAD nor XML_PARSE_NOENT), and a document that declares an
 * entity, or refers to one that is not predefined, is refused outright:
 * entity expansion is bounded at nothing.  Depth is limited; CDATA
 * sections read as text.  libxml2's own messages never reach stderr: they
 * become struct gw_err, "origin:line:col: message" for documents and
 * "file:line: message" for stylesheets.
 *
 * Ownership: documents (struct gw_xml_doc) are the caller's, freed with
 * gw_xml_doc_free() (xmlFreeDoc underneath); nodes are borrowed from their
 * document and valid as long as it is; strings that nodes hand out are
 * borrowed the same way.  Compiled stylesheets (struct gw_xslt) are
 * reference-counted and shared through a cache; gw_xslt_unref() lets go
 * (xsltFreeStylesheet when the last reference goes).
 */
#ifndef GW_XML_H
#define GW_XML_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gw.h"

/* Nesting depth of an XML document, when a limit says 0. */
#define GW_XML_MAX_DEPTH	256
/* Bytes of one stylesheet or schema file. */
#define GW_XML_MAX_FILE_BYTES	(16 * 1024 * 1024)

/* Namespaces the toolkit knows by heart. */
#define GW_XML_NS_FN	"http://www.w3.org/2005/xpath-functions"
#define GW_XML_NS_XSI	"http://www.w3.org/2001/XMLSchema-instance"
#define GW_XML_NS_XSD	"http://www.w3.org/2001/XMLSchema"
#define GW_XML_NS_XSL	"http://www.w3.org/1999/XSL/Transform"

/*
 * Limits on a document being read.  0 means the default: max_depth
 * GW_XML_MAX_DEPTH, max_bytes no limit (the caller's buffer is the bound).
 */
struct gw_xml_limits {
	size_t		max_depth;	/* open elements: "<a><b/></a>" is 2 */
	uint64_t	max_bytes;	/* bytes of input in all */
};

struct gw_xml_doc;
struct gw_xml_node;

/*
 * Parse buf[0..len) into a tree; the caller frees *out with
 * gw_xml_doc_free().  origin names the input in messages (NULL: messages
 * read "line:col: message"), and is the base URI of the document.  Errors:
 * GW_E_PROTO for a document that is not well-formed or that uses entities,
 * GW_E_LIMIT past a limit, GW_E_NOMEM.  On error *out is NULL.
 */
int	gw_xml_parse(const char *buf, size_t len, const char *origin,
	    const struct gw_xml_limits *lim, struct gw_xml_doc **out,
	    struct gw_err *err);

/*
 * Read the file at path (at most max_bytes, 0: GW_XML_MAX_FILE_BYTES) and
 * parse it, path being the origin.  A missing file is GW_E_NOTFOUND.
 */
int	gw_xml_load(const char *path, size_t max_bytes, struct gw_xml_doc **out,
	    struct gw_err *err);

/* Free d.  NULL is fine. */
void	gw_xml_doc_free(struct gw_xml_doc *d);
/* The same, with the signature of gw_arena_defer(). */
void	gw_xml_doc_dtor(void *d);

/* The origin d was parsed with (its URL), or NULL. */
const char *gw_xml_doc_origin(const struct gw_xml_doc *d);

/*
 * Walking a tree.  Text and CDATA nodes are both GW_XML_TEXT; comments,
 * processing instructions and the rest are GW_XML_OTHER.  Names and
 * namespace URIs are NUL-terminated UTF-8; a node without a namespace has
 * a NULL URI.
 */
enum gw_xml_type {
	GW_XML_ELEMENT,
	GW_XML_TEXT,
	GW_XML_OTHER
};

/* The document element. */
struct gw_xml_node *gw_xml_root(const struct gw_xml_doc *d);
enum gw_xml_type gw_xml_type(const struct gw_xml_node *n);
/* First child, next sibling, parent (NULL at the ends). */
struct gw_xml_node *gw_xml_first(const struct gw_xml_node *n);
struct gw_xml_node *gw_xml_next(const struct gw_xml_node *n);
struct gw_xml_node *gw_xml_parent(const struct gw_xml_node *n);
/* The same, skipping everything but elements. */
struct gw_xml_node *gw_xml_first_elem(const struct gw_xml_node *n);
struct gw_xml_node *gw_xml_next_elem(const struct gw_xml_node *n);
/* An element's local name, namespace URI (or NULL) and prefix (or NULL). */
const char *gw_xml_local(const struct gw_xml_node *n);
const char *gw_xml_uri(const struct gw_xml_node *n);
const char *gw_xml_prefix(const struct gw_xml_node *n);
/* 1 if n is an element called local in namespace uri (NULL: none). */
int	gw_xml_is(const struct gw_xml_node *n, const char *uri,
	    const char *local);
/* A text node's content ("" for other nodes). */
const char *gw_xml_text(const struct gw_xml_node *n);
/* The line n starts on (0 if unknown). */
unsigned gw_xml_line(const struct gw_xml_node *n);
/* Append the string value of n (all its descendant text) to out. */
int	gw_xml_content(const struct gw_xml_node *n, struct gw_buf *out,
	    struct gw_err *err);
/* 1 if n has no child but whitespace text, comments and PIs. */
int	gw_xml_is_blank(const struct gw_xml_node *n);

/* Attributes of an element, in document order. */
struct gw_xml_attr {
	const char	*local;
	const char	*uri;		/* NULL: no namespace */
	const char	*prefix;	/* NULL: none */
	const char	*value;		/* "" when empty */
};

struct gw_xml_iter {
	const void	*p;		/* libxml2's; private */
};

void	gw_xml_attr_iter(struct gw_xml_iter *it, const struct gw_xml_node *n);
int	gw_xml_attr_next(struct gw_xml_iter *it, struct gw_xml_attr *a);
/* The value of attribute local in namespace uri (NULL: none), or NULL. */
const char *gw_xml_attr_get(const struct gw_xml_node *n, const char *uri,
	    const char *local);

/* Namespace declarations made on an element (prefix NULL: the default). */
void	gw_xml_nsdecl_iter(struct gw_xml_iter *it, const struct gw_xml_node *n);
int	gw_xml_nsdecl_next(struct gw_xml_iter *it, const char **prefix,
	    const char **uri);

/*
 * Resolve a QName such as "soap:Client" (an attribute or element value) in
 * the scope of n: *uri gets the namespace (NULL for none) and *local points
 * into qname.  -1 with GW_E_PROTO if the prefix is not declared.
 */
int	gw_xml_qname(const struct gw_xml_node *n, const char *qname,
	    const char **uri, const char **local, struct gw_err *err);

enum gw_xml_save_flags {
	GW_XML_NO_DECL = 1 << 0,	/* no <?xml ...?> declaration */
	GW_XML_INDENT = 1 << 1,		/* indent (whitespace is added) */
	GW_XML_ROOT = 1 << 2		/* the root element alone (no
					   comments or PIs around it, and no
					   declaration) */
};

/*
 * Serialise d as UTF-8 and append it to out; a declaration
 * '<?xml version="1.0" encoding="UTF-8"?>' comes first unless
 * GW_XML_NO_DECL.  -1 with GW_E_LIMIT past out's maximum, or GW_E_NOMEM.
 */
int	gw_xml_serialize(const struct gw_xml_doc *d, unsigned flags,
	    struct gw_buf *out, struct gw_err *err);

/*
 * A new document (caller frees) whose root is a copy of element n, with
 * every namespace in scope at n declared on it, so that QNames in content
 * (xsi:type="tns:T") still resolve.  The declarations of namespaces listed
 * in drop (NULL-terminated URIs, may be NULL) are left out unless used by
 * a name in the copy.
 */
struct gw_xml_doc *gw_xml_doc_from_node(const struct gw_xml_node *n,
	    const char *const *drop, struct gw_err *err);

/*
 * Canonical XML 1.0 (C14N, without comments) of d, appended to out.  With
 * GW_XML_C14N_TRIM, whitespace-only text between elements (indentation) is
 * left out first, so that an indented and a compact document compare
 * equal; text in elements without element children is kept as it is.
 */
enum gw_xml_c14n_flags {
	GW_XML_C14N_TRIM = 1 << 0
};
int	gw_xml_c14n(const struct gw_xml_doc *d, unsigned flags,
	    struct gw_buf *out, struct gw_err *err);

/*
 * Evaluate the XPath 1.0 expression expr on d and append its string value
 * to out.  ns lists prefixes and URIs to declare, in pairs, NULL-terminated
 * (may be NULL).  -1 with GW_E_INVAL for a bad expression.
 */
int	gw_xml_xpath(const struct gw_xml_doc *d, const char *expr,
	    const char *const *ns, struct gw_buf *out, struct gw_err *err);

/*
 * Streaming reader: the document is read in one pass and handed over as
 * events, so memory stays small whatever its size.  Comments and PIs are
 * not delivered; text comes in pieces of any size (adjacent pieces belong
 * together).  A callback returning -1 (with err filled) stops the parse,
 * and gw_xml_sax() then fails with that error, prefixed by the position.
 */
struct gw_xml_start {
	const char		*local;
	const char		*uri;		/* NULL: no namespace */
	const char		*prefix;	/* NULL: none */
	const struct gw_xml_attr *attrs;
	size_t			 nattrs;
	const char *const	*nsdecl;	/* prefix, uri pairs declared here */
	size_t			 nnsdecl;	/* pairs */
	unsigned		 line;
	size_t			 depth;		/* 1 for the root */
};

struct gw_xml_handler {
	int	(*start)(void *arg, const struct gw_xml_start *e,
		    struct gw_err *err);
	int	(*end)(void *arg, struct gw_err *err);
	int	(*text)(void *arg, const char *p, size_t len,
		    struct gw_err *err);
};

int	gw_xml_sax(const char *buf, size_t len, const char *origin,
	    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
	    void *arg, struct gw_err *err);

/*
 * Characters of XML 1.0.  gw_xml_escape_append() appends s[0..len) as
 * character data (attr 0) or an attribute value in double quotes (attr 1):
 * & < > escaped, and " too in attributes; CR (and in attributes tab and
 * LF) as character references, so that a parser gives back exactly s.  s
 * must be valid UTF-8 holding only characters XML allows
 * (gw_xml_valid_chars()).
 */
int	gw_xml_escape_append(struct gw_buf *out, const char *s, size_t len,
	    int attr, struct gw_err *err);
/* 1 if s[0..len) is UTF-8 with only characters XML 1.0 allows. */
int	gw_xml_valid_chars(const char *s, size_t len);
/* 1 if s is an XML name (a QName when colon is 1: at most one ':'). */
int	gw_xml_valid_name(const char *s, size_t len, int colon);

/*
 * Stylesheets (xml-xslt.c).
 *
 * A stylesheet is compiled once and cached by its real path, size and
 * modification time: loading an unchanged file again returns the same
 * compiled object with one more reference (gw-serve's reload reuses what
 * did not change and compiles what did).  While a stylesheet compiles or
 * runs, security preferences forbid writing files, creating directories,
 * and writing to the network; reading the network is forbidden unless
 * GW_XSLT_READ_NET, and reading files outside the stylesheet's folder
 * (xsl:import, xsl:include, document()) unless GW_XSLT_READ_ANY.  Files it
 * reads are parsed with the same safe options as everything else.  EXSLT
 * is available.
 */
struct gw_xslt;

enum gw_xslt_flags {
	GW_XSLT_READ_ANY = 1 << 0,	/* files outside its folder */
	GW_XSLT_READ_NET = 1 << 1	/* http:// and ftp:// documents */
};

/*
 * Compile (or find in the cache) the stylesheet at path.  *out holds a
 * reference: gw_xslt_unref() it.  Errors read "file:line: message"
 * (GW_E_CONFIG), or are GW_E_NOTFOUND for a missing file.
 */
int	gw_xslt_load(const char *path, unsigned flags, struct gw_xslt **out,
	    struct gw_err *err);
/* Compile stylesheet text; origin names it (and is its base URI). */
int	gw_xslt_parse(const char *buf, size_t len, const char *origin,
	    unsigned flags, struct gw_xslt **out, struct gw_err *err);
struct gw_xslt *gw_xslt_ref(struct gw_xslt *x);
/* Drop a reference.  NULL is fine. */
void	gw_xslt_unref(struct gw_xslt *x);
/* The path it was loaded from (or the origin). */
const char *gw_xslt_path(const struct gw_xslt *x);
/*
 * What its xsl:output says the result is: "xml", "text" or "html"; and a
 * media type (xsl:output's media-type, else "application/xml", "text/plain"
 * or "text/html").
 */
const char *gw_xslt_method(const struct gw_xslt *x);
const char *gw_xslt_media_type(const struct gw_xslt *x);
/* Stylesheets in the cache right now (for tests). */
size_t	gw_xslt_cache_size(void);

/*
 * A top-level parameter: an XPath expression (xsltproc's --param), or
 * with literal set a string taken as it is (--stringparam).
 */
struct gw_xslt_param {
	const char	*name;
	const char	*value;
	int		 literal;
};

/*
 * Run x on in (which the run may change: xsl:strip-space) and give the
 * result in *out (caller frees).  Errors read "file:line: message"
 * (GW_E_PROTO), e.g. an xsl:message that terminates.
 */
int	gw_xslt_apply(struct gw_xslt *x, struct gw_xml_doc *in,
	    const struct gw_xslt_param *params, size_t nparams,
	    struct gw_xml_doc **out, struct gw_err *err);
/*
 * Serialise a result of x as its xsl:output says (method, encoding,
 * indentation, declaration), appending to out.
 */
int	gw_xslt_serialize(const struct gw_xslt *x, const struct gw_xml_doc *res,
	    struct gw_buf *out, struct gw_err *err);

/*
 * Where non-terminating xsl:message text goes: fn(arg, text) once per
 * message (without the final newline).  NULL (the default) drops them.
 */
typedef void gw_xslt_message_fn(void *arg, const char *text);
void	gw_xslt_set_message_fn(gw_xslt_message_fn *fn, void *arg);

#endif /* GW_XML_H */
