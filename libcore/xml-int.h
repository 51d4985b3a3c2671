/*
 * xml-int.h: what xml.c and xml-xslt.c share, and no other module sees.
 *
 * struct gw_xml_doc and struct gw_xml_node are never defined: they are
 * libxml2's xmlDoc and xmlNode behind opaque names, cast at the boundary.
 */
#ifndef GW_XML_INT_H
#define GW_XML_INT_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "err.h"
#include "xml.h"

/*
 * How every document is read: no network, no entity substitution, no DTD
 * loading (neither XML_PARSE_NOENT nor XML_PARSE_DTDLOAD, ever), CDATA as
 * text, small text nodes inline, line numbers past 65535.
 */
#define GW_XML_SAFE	(XML_PARSE_NONET | XML_PARSE_NOCDATA | \
			    XML_PARSE_COMPACT | XML_PARSE_BIG_LINES)

#define XDOC(d)		((xmlDocPtr)(uintptr_t)(d))
#define XNODE(n)	((xmlNodePtr)(uintptr_t)(n))
#define GDOC(d)		((struct gw_xml_doc *)(void *)(d))
#define GNODE(n)	((struct gw_xml_node *)(void *)(n))

/*
 * Where libxml2's and libxslt's messages go while an operation runs: the
 * first error is kept (formatted), the others counted; libxslt's generic
 * text is kept whole in xslt, to be read by xml-xslt.c.  Installed with
 * gw_xmli_sink_push() and removed with gw_xmli_sink_pop(), nested.
 */
struct gw_xmli_sink {
	int			 nerr;
	int			 placed;	/* msg has a line (and column) */
	enum gw_err_code	 code;
	char			 msg[GW_ERR_MSG_MAX];
	struct gw_buf		 xslt;
	struct gw_xmli_sink	*prev;
};

/* Initialise libxml2 (once; later calls do nothing). */
void	gw_xmli_init(void);
void	gw_xmli_sink_push(struct gw_xmli_sink *s);
void	gw_xmli_sink_pop(struct gw_xmli_sink *s);
/* Append libxml2's or libxslt's unstructured text to the current sink. */
void	gw_xmli_generic(void *ctx, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* Record an error in the current sink (if none was recorded yet). */
void	gw_xmli_sink_error(enum gw_err_code code, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));

/*
 * Parse safely (tree), as gw_xml_parse() does, for the stylesheet loader
 * and document(); names go into dict when it is not NULL.  Errors as
 * gw_xml_parse() reports them.
 */
xmlDocPtr gw_xmli_read(const char *buf, size_t len, const char *url,
	    const struct gw_xml_limits *lim, xmlDictPtr dict,
	    struct gw_err *err);
/* Read a whole file (at most max bytes) into *data (caller frees). */
int	gw_xmli_slurp(const char *path, size_t max, char **data, size_t *len,
	    struct gw_err *err);

#endif /* GW_XML_INT_H */
