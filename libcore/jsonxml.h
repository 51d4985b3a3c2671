/*
 * jsonxml.h: JSON <-> XML, in two conventions.
 *
 * Lossless: the representation of XPath 3.1 fn:json-to-xml (elements map,
 * array, string, number, boolean and null in the namespace
 * http://www.w3.org/2005/xpath-functions, members named by a key
 * attribute).  Any JSON comes back from JSON -> XML -> JSON exactly:
 * types, empty and one-item arrays, odd keys, Unicode, and the text of
 * numbers ("1.0", "1e400" and "-0" are not rewritten).  A string or key
 * holding a character XML cannot carry (controls, U+FFFE, U+FFFF) is
 * written with JSON escapes and escaped="true" or escaped-key="true", as
 * fn:json-to-xml does with its escape option.  Both directions stream:
 * memory holds the output, one token and the keys of the open objects.
 *
 * Friendly: object members become elements, arrays repeated elements,
 * with the options people port from Apigee's JSONToXML and XMLToJSON
 * policies (struct gw_jx_friendly), and a Badgerfish preset.  XML -> JSON
 * builds a compact tree of its own (a few dozen bytes an element) to see
 * repeated siblings; arrays come from repeated siblings, from paths forced
 * to arrays, and from an XML Schema's maxOccurs (struct gw_jx_schema), so
 * that a one-item list is still an array.  Text becomes a number, boolean
 * or null only when asked, and then only canonical text (see
 * gw_jx_canonical_number()).
 *
 * Errors: input that is not well-formed JSON or XML, or XML that is not
 * the representation it should be, is GW_E_PROTO with
 * "[origin:]line:col: message"; limits GW_E_LIMIT; out of memory GW_E_NOMEM.
 * On error the output buffer is left as it was, unless a flush function has
 * already taken part of it.
 */
#ifndef GW_JSONXML_H
#define GW_JSONXML_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "xml.h"

/* Duplicate object keys (or map keys in XML). */
enum gw_jx_dup {
	GW_JX_DUP_REJECT,	/* an error (the default) */
	GW_JX_DUP_FIRST,	/* the first member wins, the others go */
	GW_JX_DUP_ALL		/* all are kept, in order */
};

enum gw_jx_flags {
	GW_JX_INDENT = 1 << 0,	/* XML: indented; JSON: two spaces a level */
	GW_JX_NO_DECL = 1 << 1	/* XML: no <?xml ...?> declaration */
};

/*
 * Called with output as it is made, once more than 64 KiB are pending and
 * at the end, so that a large conversion need not hold all of it; the
 * bytes are dropped from the buffer after the call.  -1 (err filled) stops
 * the conversion.
 */
typedef int gw_jx_flush_fn(void *arg, const char *p, size_t len,
    struct gw_err *err);

/* What every conversion takes.  Zeroed: the defaults. */
/*
 * Where XML -> JSON reads its events: gw_xml_sax() on the text when NULL.
 * Another reader of the same shape can hand on only some of them, as
 * gw_soap_sax_payload() does (the payload of a SOAP envelope).
 */
typedef int	gw_jx_sax_fn(void *sax_arg, const char *xml, size_t len,
		    const char *origin, const struct gw_xml_limits *lim,
		    const struct gw_xml_handler *h, void *arg,
		    struct gw_err *err);

struct gw_jx_opts {
	enum gw_jx_dup		 dup;
	unsigned		 flags;		/* GW_JX_* */
	size_t			 max_depth;	/* 0: GW_XML_MAX_DEPTH - 1 */
	const char		*origin;	/* names the input in messages */
	gw_jx_flush_fn		*flush;		/* NULL: all stays in out */
	void			*flush_arg;
	gw_jx_sax_fn		*sax;		/* XML -> JSON; NULL: gw_xml_sax */
	void			*sax_arg;
};

/* JSON text -> the fn:json-to-xml representation, appended to out. */
int	gw_jx_json_to_xml(const char *json, size_t len,
	    const struct gw_jx_opts *o, struct gw_buf *out, struct gw_err *err);
/* The representation -> JSON text (compact unless GW_JX_INDENT). */
int	gw_jx_xml_to_json(const char *xml, size_t len,
	    const struct gw_jx_opts *o, struct gw_buf *out, struct gw_err *err);

/*
 * JSON text re-written compactly (no insignificant space, strings escaped
 * as gw_json_escape_append() does, numbers as written), or indented with
 * GW_JX_INDENT; duplicates handled as o->dup says.  JSON -> XML -> JSON
 * gives exactly this.
 */
int	gw_jx_json_normalize(const char *json, size_t len,
	    const struct gw_jx_opts *o, struct gw_buf *out, struct gw_err *err);

/*
 * 1 if s[0..len) is a canonical JSON number: an optional minus, an integer
 * part without leading zeros, an optional fraction without trailing zeros,
 * no exponent, at most 15 significant digits (so that it survives a
 * double), and not "-0".  "7", "-12.5", "0.25" are; "007", "0E42", "1.0",
 * "1e5", "12345678901234567" are not.
 */
int	gw_jx_canonical_number(const char *s, size_t len);

/*
 * Element names that an XML Schema allows more than once (maxOccurs above
 * 1 or "unbounded", on the element or on a sequence, choice or all around
 * it), by namespace and local name.
 */
struct gw_jx_schema;

/*
 * Read an XML Schema (or the schemas of a WSDL's types) at path, following
 * xs:include and xs:import of local files (relative to the including
 * file, inside the first file's folder).  Caller frees *out.
 */
int	gw_jx_schema_load(const char *path, struct gw_jx_schema **out,
	    struct gw_err *err);
void	gw_jx_schema_free(struct gw_jx_schema *s);
/* 1 if element {uri}local repeats by the schema (uri NULL: none). */
int	gw_jx_schema_repeats(const struct gw_jx_schema *s, const char *uri,
	    const char *local);
/* Element names it knows as repeating. */
size_t	gw_jx_schema_count(const struct gw_jx_schema *s);

enum gw_jx_preset {
	GW_JX_PRESET_APIGEE,	/* Apigee's defaults, roughly */
	GW_JX_PRESET_BADGERFISH
};

/*
 * Friendly options.  Strings are owned (gw_jx_friendly_release() frees
 * them); NULL turns the feature off where that is said.
 */
struct gw_jx_friendly {
	struct gw_jx_opts	 o;
	char	*attr_prefix;	/* "@": members "@name" are attributes */
	char	*attr_block;	/* NULL; else attributes in this member */
	char	*text_name;	/* "#text": the member holding text */
	int	 text_always;	/* text as a member even with no attrs */
	char	*ns_block;	/* NULL: declarations dropped; else the member */
	char	*ns_default;	/* "$default": the default namespace's key */
	char	*ns_separator;	/* NULL: prefixes dropped; ":" keeps "p:a" */
	char	*root;		/* JSON -> XML: always wrap in this element */
	char	*ns;		/* JSON -> XML: default namespace of the root */
	char	*object_root;	/* "Root": wraps a JSON object of many */
	char	*array_root;	/* "Array": wraps a JSON array */
	char	*array_item;	/* "Item": elements of nested arrays */
	char	*null_value;	/* NULL: empty element; else this text */
	char	*invalid_char;	/* "_": replaces what a name cannot hold */
	int	 nil;		/* null as xsi:nil="true", and back */
	unsigned strip_levels;	/* XML -> JSON: single-member levels dropped */
	int	 recognize_number;
	int	 recognize_boolean;
	int	 recognize_null;	/* empty (or null_value) -> null */
	char	**array_paths;	/* "a/b/c": always arrays (NULL-terminated) */
	struct gw_jx_schema *schema;	/* owned; NULL: none */
};

/* Defaults of a preset.  -1 with GW_E_NOMEM. */
int	gw_jx_friendly_init(struct gw_jx_friendly *f, enum gw_jx_preset p,
	    struct gw_err *err);
void	gw_jx_friendly_release(struct gw_jx_friendly *f);

/*
 * Options from a JSON object (a mediation step's): "preset", the names
 * above ("attribute_prefix", "text_node_name", ...; gw-mediate(5) lists
 * them) and "schema" (a file, resolved by ck).  Starts from the preset;
 * errors are reported through ck.  0, or -1 after reporting.
 */
int	gw_jx_friendly_parse(struct gw_jcheck *ck,
	    const struct json_object *parent, const char *key,
	    const struct json_object *v, struct gw_jx_friendly *f);

int	gw_jx_friendly_json_to_xml(const char *json, size_t len,
	    const struct gw_jx_friendly *f, struct gw_buf *out,
	    struct gw_err *err);
int	gw_jx_friendly_xml_to_json(const char *xml, size_t len,
	    const struct gw_jx_friendly *f, struct gw_buf *out,
	    struct gw_err *err);

#endif /* GW_JSONXML_H */
