/*
 * wsdl.c: WSDL 1.1 -> a REST API for gw-serve (see wsdl.h).
 *
 * The WSDL and its schemas are read into documents that stay open while
 * generating; top-level schema components are indexed by name, and types
 * are built on demand (struct xtype, memoized by the schema node they come
 * from, so that recursive types close on themselves).  Particles are
 * flattened: nested sequences, choices, alls and group references become
 * one list of elements, each with its occurrence.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "jsonxml.h"
#include "wsdl.h"
#include "xml.h"

#define WSDL_NS		"http://schemas.xmlsoap.org/wsdl/"
#define WSOAP11_NS	"http://schemas.xmlsoap.org/wsdl/soap/"
#define WSOAP12_NS	"http://schemas.xmlsoap.org/wsdl/soap12/"
#define XSD		GW_XML_NS_XSD
/* the drafts some old WSDLs still use */
#define XSD2000		"http://www.w3.org/2000/10/XMLSchema"
#define XSD1999		"http://www.w3.org/1999/XMLSchema"
#define MAX_DOCS	256
#define UNBOUNDED	UINT32_MAX

enum jt {
	J_STRING,
	J_NUMBER,
	J_INTEGER,
	J_BOOLEAN
};

struct schema {
	const struct gw_xml_node	*node;
	const char			*tns;		/* NULL: none */
	int				 qualified;	/* elementFormDefault */
};

struct decl {
	const char			*ns;
	const char			*local;
	const struct gw_xml_node	*node;
	const struct schema		*sc;
};

struct decls {
	struct decl	*v;
	size_t		 n, cap;
};

struct xtype;

struct xelem {
	const char	*name;
	const char	*ns;		/* NULL: unqualified */
	uint32_t	 min, max;
	int		 nillable;
	struct xtype	*type;
};

struct xattr {
	const char	*name;
	enum jt		 jt;
};

struct xtype {
	int				 simple;
	enum jt				 jt;		/* simple, or text */
	int				 text;		/* simple content */
	char				*comp;		/* OpenAPI name */
	struct xelem			*elems;
	size_t				 nelems;
	struct xattr			*attrs;
	size_t				 nattrs;
	int				 any;
	int				 state;		/* 1 building, 2 done */
	const struct gw_xml_node	*key;
	int				 req_id, resp_id;	/* templates */
	int				 oa_done;
	struct xtype			*next;
};

struct model {
	struct gw_xml_doc		*docs[MAX_DOCS];
	char				*paths[MAX_DOCS];
	size_t				 ndocs;
	struct schema			**schemas;	/* each alone: pointed to */
	size_t				 nschemas;
	struct decls			 elements, ctypes, stypes, groups;
	struct decls			 agroups;
	const struct gw_xml_node	*defs[MAX_DOCS];	/* wsdl:definitions */
	size_t				 ndefs;
	struct xtype			*types;		/* all built */
	struct xtype			 builtin[4];
	struct gw_buf			 warnings;
	int				 oa_count;
};

static void
warn(struct model *m, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
warn(struct model *m, const char *fmt, ...)
{
	va_list ap;

	(void)gw_buf_puts(&m->warnings, "warning: ", NULL);
	va_start(ap, fmt);
	(void)gw_buf_vprintf(&m->warnings, NULL, fmt, ap);
	va_end(ap);
	(void)gw_buf_putc(&m->warnings, '\n', NULL);
}

/* 1 if s is an XML name without a colon: it names elements we write. */
static int
ncname(const char *s)
{
	return gw_xml_valid_name(s, strlen(s), 0);
}

/*
 * Loading.
 */

/* 1 if uri is XML Schema's namespace (or one of its drafts'). */
static int
xsd_ns(const char *uri)
{
	return uri != NULL && (strcmp(uri, XSD) == 0 || strcmp(uri,
	    XSD2000) == 0 || strcmp(uri, XSD1999) == 0);
}

/* 1 if n is element local of XML Schema. */
static int
is_xsd(const struct gw_xml_node *n, const char *local)
{
	return n != NULL && strcmp(gw_xml_local(n), local) == 0 &&
	    xsd_ns(gw_xml_uri(n));
}



static int
decl_add(struct decls *d, const char *ns, const char *local,
    const struct gw_xml_node *node, const struct schema *sc,
    struct gw_err *err)
{
	if (d->n == d->cap) {
		size_t		 n = d->cap == 0 ? 32 : d->cap * 2;
		struct decl	*v = reallocarray(d->v, n, sizeof(*v));

		if (v == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		d->v = v;
		d->cap = n;
	}
	d->v[d->n].ns = ns;
	d->v[d->n].local = local;
	d->v[d->n].node = node;
	d->v[d->n].sc = sc;
	d->n++;
	return 0;
}

static const struct decl *
decl_find(const struct decls *d, const char *ns, const char *local)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].local, local) == 0 && (ns == NULL ?
		    d->v[i].ns == NULL : (d->v[i].ns != NULL &&
		    strcmp(d->v[i].ns, ns) == 0)))
			return &d->v[i];
	/* an unqualified reference in a schema without a namespace */
	for (size_t i = 0; ns == NULL && i < d->n; i++)
		if (strcmp(d->v[i].local, local) == 0)
			return &d->v[i];
	return NULL;
}

static int	load_file(struct model *, const char *, const char *,
		    struct gw_err *);

static int
load_rel(struct model *m, const char *base, const char *loc,
    struct gw_err *err)
{
	char		 path[PATH_MAX];
	const char	*slash;

	if (strstr(loc, "://") != NULL) {
		warn(m, "%s: '%s' is not a local file: not read", base, loc);
		return 0;
	}
	if (loc[0] == '/' || (slash = strrchr(base, '/')) == NULL) {
		if (snprintf(path, sizeof(path), "%s", loc) >=
		    (int)sizeof(path))
			return gw_err_set(err, GW_E_INVAL, "path too long");
	} else if (snprintf(path, sizeof(path), "%.*s/%s",
	    (int)(slash - base), base, loc) >= (int)sizeof(path))
		return gw_err_set(err, GW_E_INVAL, "path too long");
	return load_file(m, path, base, err);
}

static int
add_schema(struct model *m, const struct gw_xml_node *node,
    const char *path, struct gw_err *err)
{
	struct schema	*sc;
	const char	*efd;

	/* imports and includes first: their components are needed */
	for (struct gw_xml_node *c = gw_xml_first_elem(node); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *loc = gw_xml_attr_get(c, NULL, "schemaLocation");

		if ((is_xsd(c, "include") || gw_xml_is(c, XSD,
		    "import") || is_xsd(c, "redefine")) &&
		    loc != NULL && load_rel(m, path, loc, err) == -1)
			return -1;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	{
		struct schema **list = reallocarray(m->schemas,
		    m->nschemas + 1, sizeof(*list));

		if (list == NULL) {
			free(sc);
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		}
		list[m->nschemas++] = sc;
		m->schemas = list;
	}
	sc->node = node;
	sc->tns = gw_xml_attr_get(node, NULL, "targetNamespace");
	if (sc->tns != NULL && sc->tns[0] == '\0')
		sc->tns = NULL;
	efd = gw_xml_attr_get(node, NULL, "elementFormDefault");
	sc->qualified = efd != NULL && strcmp(efd, "qualified") == 0;
	for (struct gw_xml_node *c = gw_xml_first_elem(node); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char	*name = gw_xml_attr_get(c, NULL, "name");
		struct decls	*d = NULL;

		if (name == NULL || !xsd_ns(gw_xml_uri(c)))
			continue;
		if (!ncname(name)) {
			warn(m, "schema component '%s' is not named by an XML "
			    "name: left out", name);
			continue;
		}
		if (strcmp(gw_xml_local(c), "element") == 0)
			d = &m->elements;
		else if (strcmp(gw_xml_local(c), "complexType") == 0)
			d = &m->ctypes;
		else if (strcmp(gw_xml_local(c), "simpleType") == 0)
			d = &m->stypes;
		else if (strcmp(gw_xml_local(c), "group") == 0)
			d = &m->groups;
		else if (strcmp(gw_xml_local(c), "attributeGroup") == 0)
			d = &m->agroups;
		if (d != NULL && decl_add(d, sc->tns, name, c, sc, err) == -1)
			return -1;
	}
	return 0;
}

static int
load_file(struct model *m, const char *path, const char *from,
    struct gw_err *err)
{
	struct gw_xml_doc	*doc;
	struct gw_xml_node	*root;
	char			*real;

	if ((real = realpath(path, NULL)) == NULL) {
		int e = errno;

		if (from != NULL)
			gw_err_sys(err, "%s: cannot open '%s'", from, path);
		else
			gw_err_sys(err, "cannot open '%s'", path);
		if (e == ENOENT && from == NULL && err != NULL)
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	for (size_t i = 0; i < m->ndocs; i++)
		if (strcmp(m->paths[i], real) == 0) {
			free(real);
			return 0;
		}
	if (m->ndocs == MAX_DOCS) {
		free(real);
		return gw_err_set(err, GW_E_LIMIT, "more than %d files",
		    MAX_DOCS);
	}
	if (gw_xml_load(path, 0, &doc, err) == -1) {
		free(real);
		if (err != NULL && err->code == GW_E_NOTFOUND && from != NULL)
			err->code = GW_E_PROTO;
		return -1;
	}
	m->docs[m->ndocs] = doc;
	m->paths[m->ndocs++] = real;
	root = gw_xml_root(doc);
	if (is_xsd(root, "schema"))
		return add_schema(m, root, path, err);
	if (!gw_xml_is(root, WSDL_NS, "definitions"))
		return gw_err_set(err, GW_E_PROTO, "%s: not a WSDL 1.1 or an "
		    "XML Schema (root element '%s')", path, gw_xml_local(root));
	if (m->ndefs < MAX_DOCS)
		m->defs[m->ndefs++] = root;
	for (struct gw_xml_node *c = gw_xml_first_elem(root); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *loc;

		if (gw_xml_is(c, WSDL_NS, "import") && (loc =
		    gw_xml_attr_get(c, NULL, "location")) != NULL &&
		    load_rel(m, path, loc, err) == -1)
			return -1;
		if (!gw_xml_is(c, WSDL_NS, "types"))
			continue;
		for (struct gw_xml_node *s = gw_xml_first_elem(c); s != NULL;
		    s = gw_xml_next_elem(s))
			if (is_xsd(s, "schema") &&
			    add_schema(m, s, path, err) == -1)
				return -1;
	}
	return 0;
}

static struct schema *
schema_at(const struct model *m, size_t i)
{
	return m->schemas[i];
}

/* The schema a node belongs to (its nearest xs:schema ancestor). */
static const struct schema *
schema_of(const struct model *m, const struct gw_xml_node *n)
{
	for (const struct gw_xml_node *p = n; p != NULL; p = gw_xml_parent(p))
		if (is_xsd(p, "schema"))
			for (size_t i = 0; i < m->nschemas; i++)
				if (schema_at(m, i)->node == p)
					return schema_at(m, i);
	return NULL;
}

/*
 * Types.
 */

static enum jt
builtin_jt(const char *local)
{
	static const char *const integers[] = {
		"int", "integer", "long", "short", "byte", "unsignedInt",
		"unsignedLong", "unsignedShort", "unsignedByte",
		"nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
		"negativeInteger", NULL
	};
	static const char *const numbers[] = {
		"decimal", "float", "double", NULL
	};

	for (size_t i = 0; integers[i] != NULL; i++)
		if (strcmp(local, integers[i]) == 0)
			return J_INTEGER;
	for (size_t i = 0; numbers[i] != NULL; i++)
		if (strcmp(local, numbers[i]) == 0)
			return J_NUMBER;
	if (strcmp(local, "boolean") == 0)
		return J_BOOLEAN;
	return J_STRING;
}

/* 1 if local names a built-in type of XML Schema we know. */
static int
known_builtin(const char *local)
{
	static const char *const more[] = {
		"string", "normalizedString", "token", "date", "dateTime",
		"time", "duration", "anyURI", "base64Binary", "hexBinary",
		"QName", "anyType", NULL
	};

	if (builtin_jt(local) != J_STRING)
		return 1;
	for (size_t i = 0; more[i] != NULL; i++)
		if (strcmp(local, more[i]) == 0)
			return 1;
	return 0;
}

static struct xtype	*type_ref(struct model *, const struct gw_xml_node *,
			    const char *, struct gw_err *);
static struct xtype	*build_type(struct model *, const struct gw_xml_node *,
			    struct gw_err *);

static struct xtype *
new_type(struct model *m, const struct gw_xml_node *key, struct gw_err *err)
{
	struct xtype *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	t->key = key;
	t->next = m->types;
	m->types = t;
	return t;
}

static uint32_t
occurs(const struct gw_xml_node *n, const char *attr, uint32_t def)
{
	const char	*v = gw_xml_attr_get(n, NULL, attr);
	char		*end;
	unsigned long	 l;

	if (v == NULL)
		return def;
	if (strcmp(v, "unbounded") == 0)
		return UNBOUNDED;
	l = strtoul(v, &end, 10);
	if (*end != '\0' || l > UINT32_MAX - 1)
		return def;
	return (uint32_t)l;
}

static uint32_t
mul(uint32_t a, uint32_t b)
{
	if (a == UNBOUNDED || b == UNBOUNDED)
		return (a == 0 || b == 0) ? 0 : UNBOUNDED;
	if (a != 0 && b > (UINT32_MAX - 1) / a)
		return UNBOUNDED;
	return a * b;
}

static int
add_elem(struct xtype *t, const struct xelem *e, struct gw_err *err)
{
	struct xelem *v;

	if ((v = reallocarray(t->elems, t->nelems + 1, sizeof(*v))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	t->elems = v;
	v[t->nelems++] = *e;
	return 0;
}

static int
add_attr(struct xtype *t, const char *name, enum jt jt, struct gw_err *err)
{
	struct xattr *v;

	for (size_t i = 0; i < t->nattrs; i++)
		if (strcmp(t->attrs[i].name, name) == 0)
			return 0;
	if ((v = reallocarray(t->attrs, t->nattrs + 1, sizeof(*v))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	t->attrs = v;
	v[t->nattrs].name = name;
	v[t->nattrs].jt = jt;
	t->nattrs++;
	return 0;
}

/* The type of an element declaration (global or local) node. */
static struct xtype *
elem_type(struct model *m, const struct gw_xml_node *el, struct gw_err *err)
{
	const char *type = gw_xml_attr_get(el, NULL, "type");

	if (type != NULL)
		return type_ref(m, el, type, err);
	for (struct gw_xml_node *c = gw_xml_first_elem(el); c != NULL;
	    c = gw_xml_next_elem(c))
		if (is_xsd(c, "complexType") ||
		    is_xsd(c, "simpleType"))
			return build_type(m, c, err);
	return &m->builtin[J_STRING];	/* xs:anyType: text as it is */
}

static int	particles(struct model *, struct xtype *,
		    const struct gw_xml_node *, uint32_t, uint32_t, int,
		    struct gw_err *);

static int
particle(struct model *m, struct xtype *t, const struct gw_xml_node *c,
    uint32_t min, uint32_t max, int choice, struct gw_err *err)
{
	const struct schema	*sc = schema_of(m, c);
	const char		*local = gw_xml_local(c);
	uint32_t		 cmin = mul(min, occurs(c, "minOccurs", 1));
	uint32_t		 cmax = mul(max, occurs(c, "maxOccurs", 1));

	if (choice)
		cmin = 0;
	if (strcmp(local, "element") == 0) {
		struct xelem	 e;
		const char	*ref = gw_xml_attr_get(c, NULL, "ref");
		const char	*nil;

		memset(&e, 0, sizeof(e));
		e.min = cmin;
		e.max = cmax;
		if (ref != NULL) {
			const char		*u, *l;
			const struct decl	*d;

			if (gw_xml_qname(c, ref, &u, &l, err) == -1)
				return -1;
			if ((d = decl_find(&m->elements, u, l)) == NULL) {
				warn(m, "element '%s' is not declared", ref);
				return 0;
			}
			e.name = d->local;
			e.ns = d->ns;
			nil = gw_xml_attr_get(d->node, NULL, "nillable");
			e.nillable = nil != NULL && strcmp(nil, "true") == 0;
			if ((e.type = elem_type(m, d->node, err)) == NULL)
				return -1;
		} else {
			const char *form = gw_xml_attr_get(c, NULL, "form");
			int q = form != NULL ? strcmp(form, "qualified") == 0 :
			    sc != NULL && sc->qualified;

			if ((e.name = gw_xml_attr_get(c, NULL, "name")) ==
			    NULL)
				return 0;
			if (!ncname(e.name))
				return gw_err_set(err, GW_E_PROTO, "element "
				    "name '%s' is not an XML name", e.name);
			e.ns = q && sc != NULL ? sc->tns : NULL;
			nil = gw_xml_attr_get(c, NULL, "nillable");
			e.nillable = nil != NULL && strcmp(nil, "true") == 0;
			if ((e.type = elem_type(m, c, err)) == NULL)
				return -1;
		}
		return add_elem(t, &e, err);
	}
	if (strcmp(local, "sequence") == 0 || strcmp(local, "all") == 0)
		return particles(m, t, c, cmin, cmax, 0, err);
	if (strcmp(local, "choice") == 0)
		return particles(m, t, c, cmin, cmax, 1, err);
	if (strcmp(local, "group") == 0) {
		const char		*ref = gw_xml_attr_get(c, NULL, "ref");
		const char		*u, *l;
		const struct decl	*d;

		if (ref == NULL)
			return 0;
		if (gw_xml_qname(c, ref, &u, &l, err) == -1)
			return -1;
		if ((d = decl_find(&m->groups, u, l)) == NULL) {
			warn(m, "group '%s' is not declared", ref);
			return 0;
		}
		return particles(m, t, d->node, cmin, cmax, 0, err);
	}
	if (strcmp(local, "any") == 0)
		t->any = 1;
	return 0;
}

static int
particles(struct model *m, struct xtype *t, const struct gw_xml_node *n,
    uint32_t min, uint32_t max, int choice, struct gw_err *err)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(n); c != NULL;
	    c = gw_xml_next_elem(c)) {
		if (!xsd_ns(gw_xml_uri(c)))
			continue;
		if (particle(m, t, c, min, max, choice, err) == -1)
			return -1;
	}
	return 0;
}

static enum jt
simple_jt(struct model *m, const struct gw_xml_node *st, int depth)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(st); c != NULL;
	    c = gw_xml_next_elem(c)) {
		if (is_xsd(c, "restriction")) {
			const char	*base = gw_xml_attr_get(c, NULL, "base");
			const char	*u, *l;

			if (base == NULL) {
				struct gw_xml_node *s = gw_xml_first_elem(c);

				return s != NULL && gw_xml_is(s, XSD,
				    "simpleType") && depth < 32 ?
				    simple_jt(m, s, depth + 1) : J_STRING;
			}
			if (gw_xml_qname(c, base, &u, &l, NULL) == -1)
				return J_STRING;
			if (xsd_ns(u))
				return builtin_jt(l);
			{
				const struct decl *d = decl_find(&m->stypes, u,
				    l);

				return d != NULL && depth < 32 ?
				    simple_jt(m, d->node, depth + 1) :
				    J_STRING;
			}
		}
	}
	return J_STRING;	/* list and union: text */
}

static int
attributes(struct model *m, struct xtype *t, const struct gw_xml_node *n,
    int depth, struct gw_err *err)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(n); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *name, *ref;

		if (is_xsd(c, "attribute")) {
			const char *type = gw_xml_attr_get(c, NULL, "type");
			struct xtype *at;

			if ((name = gw_xml_attr_get(c, NULL, "name")) == NULL &&
			    (ref = gw_xml_attr_get(c, NULL, "ref")) != NULL) {
				const char *colon = strchr(ref, ':');

				name = colon != NULL ? colon + 1 : ref;
			}
			if (name == NULL)
				continue;
			if (!ncname(name))
				return gw_err_set(err, GW_E_PROTO, "attribute "
				    "name '%s' is not an XML name", name);
			at = type != NULL ? type_ref(m, c, type, err) :
			    &m->builtin[J_STRING];
			if (at == NULL)
				return -1;
			if (add_attr(t, name, at->simple ? at->jt : J_STRING,
			    err) == -1)
				return -1;
		} else if (is_xsd(c, "attributeGroup") && depth < 16 &&
		    (ref = gw_xml_attr_get(c, NULL, "ref")) != NULL) {
			const char		*u, *l;
			const struct decl	*d;

			if (gw_xml_qname(c, ref, &u, &l, NULL) == 0 &&
			    (d = decl_find(&m->agroups, u, l)) != NULL &&
			    attributes(m, t, d->node, depth + 1, err) == -1)
				return -1;
		}
	}
	return 0;
}

/* Copy the content of base into t (an extension's base). */
static int
inherit(struct xtype *t, const struct xtype *base, struct gw_err *err)
{
	for (size_t i = 0; i < base->nelems; i++)
		if (add_elem(t, &base->elems[i], err) == -1)
			return -1;
	for (size_t i = 0; i < base->nattrs; i++)
		if (add_attr(t, base->attrs[i].name, base->attrs[i].jt,
		    err) == -1)
			return -1;
	t->any |= base->any;
	if (base->text || base->simple) {
		t->text = 1;
		t->jt = base->jt;
	}
	return 0;
}

static int
complex_content(struct model *m, struct xtype *t,
    const struct gw_xml_node *cc, int simple_content, struct gw_err *err)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(cc); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char	*base = gw_xml_attr_get(c, NULL, "base");
		int		 ext = is_xsd(c, "extension");

		if (!ext && !is_xsd(c, "restriction"))
			continue;
		if (base != NULL && (ext || simple_content)) {
			struct xtype *bt = type_ref(m, c, base, err);

			if (bt == NULL)
				return -1;
			if (bt->state == 1 && bt != t)
				warn(m, "type derived from itself: content of "
				    "'%s' left out", base);
			else if (bt != t && inherit(t, bt, err) == -1)
				return -1;
		}
		if (simple_content)
			t->text = 1;
		if (particles(m, t, c, 1, 1, 0, err) == -1 ||
		    attributes(m, t, c, 0, err) == -1)
			return -1;
	}
	return 0;
}

/* A complexType or simpleType node as a type (memoized). */
static struct xtype *
build_type(struct model *m, const struct gw_xml_node *n, struct gw_err *err)
{
	struct xtype	*t;
	const char	*name;

	for (t = m->types; t != NULL; t = t->next)
		if (t->key == n)
			return t;
	if ((t = new_type(m, n, err)) == NULL)
		return NULL;
	t->state = 1;
	if ((name = gw_xml_attr_get(n, NULL, "name")) == NULL &&
	    gw_xml_parent(n) != NULL && gw_xml_is(gw_xml_parent(n), XSD,
	    "element") && gw_xml_parent(gw_xml_parent(n)) != NULL &&
	    is_xsd(gw_xml_parent(gw_xml_parent(n)), "schema"))
		/* the anonymous type of a global element: named after it */
		name = gw_xml_attr_get(gw_xml_parent(n), NULL, "name");
	if (is_xsd(n, "simpleType")) {
		t->simple = 1;
		t->jt = simple_jt(m, n, 0);
		t->state = 2;
		return t;
	}
	if (name != NULL && (t->comp = strdup(name)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	for (struct gw_xml_node *c = gw_xml_first_elem(n); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *l = gw_xml_local(c);

		if (!xsd_ns(gw_xml_uri(c)))
			continue;
		if (strcmp(l, "sequence") == 0 || strcmp(l, "all") == 0 ||
		    strcmp(l, "choice") == 0 || strcmp(l, "group") == 0) {
			if (particle(m, t, c, 1, 1, 0, err) == -1)
				return NULL;
		} else if (strcmp(l, "complexContent") == 0) {
			if (complex_content(m, t, c, 0, err) == -1)
				return NULL;
		} else if (strcmp(l, "simpleContent") == 0) {
			if (complex_content(m, t, c, 1, err) == -1)
				return NULL;
		}
	}
	if (attributes(m, t, n, 0, err) == -1)
		return NULL;
	t->state = 2;
	return t;
}

/* A type by QName, in the scope of node n. */
static struct xtype *
type_ref(struct model *m, const struct gw_xml_node *n, const char *qname,
    struct gw_err *err)
{
	const char		*u, *l;
	const struct decl	*d;

	if (gw_xml_qname(n, qname, &u, &l, err) == -1)
		return NULL;
	if (xsd_ns(u)) {
		if (strcmp(l, "anyType") == 0)
			return &m->builtin[J_STRING];
		return &m->builtin[builtin_jt(l)];
	}
	if ((d = decl_find(&m->ctypes, u, l)) != NULL ||
	    (d = decl_find(&m->stypes, u, l)) != NULL)
		return build_type(m, d->node, err);
	if (u == NULL && known_builtin(l))
		/* an old WSDL's "string" for xs:string */
		return &m->builtin[builtin_jt(l)];
	warn(m, "type '%s' is not declared: read as a string", qname);
	return &m->builtin[J_STRING];
}

/*
 * Operations.
 */

struct part {
	const char	*name;
	const char	*ens, *elocal;	/* element= */
	struct xtype	*type;
	int		 nillable;
};

struct msg {
	struct part	*parts;
	size_t		 nparts;
};

struct op {
	const char	*name;
	char		*file;		/* a name for files and paths */
	const char	*action;	/* soapAction, or NULL */
	int		 rpc;
	const char	*ns_in, *ns_out;	/* rpc: soap:body namespace */
	struct msg	 in, out;
	const char	*doc;
};

struct service {
	const char	*name;
	int		 soap12;
	const char	*address;
	struct op	*ops;
	size_t		 nops;
};

/* A WSDL component of kind local named by QName qn (in n's scope). */
static const struct gw_xml_node *
wsdl_find(const struct model *m, const struct gw_xml_node *n,
    const char *kind, const char *qn)
{
	const char *u, *l;

	if (qn == NULL || gw_xml_qname(n, qn, &u, &l, NULL) == -1)
		return NULL;
	for (size_t i = 0; i < m->ndefs; i++) {
		const char *tns = gw_xml_attr_get(m->defs[i], NULL,
		    "targetNamespace");

		if ((u == NULL) != (tns == NULL || tns[0] == '\0') ||
		    (u != NULL && tns != NULL && strcmp(u, tns) != 0))
			continue;
		for (struct gw_xml_node *c = gw_xml_first_elem(m->defs[i]);
		    c != NULL; c = gw_xml_next_elem(c)) {
			const char *name = gw_xml_attr_get(c, NULL, "name");

			if (gw_xml_is(c, WSDL_NS, kind) && name != NULL &&
			    strcmp(name, l) == 0)
				return c;
		}
	}
	return NULL;
}

static struct gw_xml_node *
child_ns(const struct gw_xml_node *n, const char *ns, const char *local)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(n); c != NULL;
	    c = gw_xml_next_elem(c))
		if (gw_xml_is(c, ns, local))
			return c;
	return NULL;
}

static int
read_msg(struct model *m, const struct gw_xml_node *opnode,
    const char *which, const struct gw_xml_node *bodyspec, struct msg *out,
    struct gw_err *err)
{
	const struct gw_xml_node	*io, *msg;
	const char			*only;

	memset(out, 0, sizeof(*out));
	if ((io = child_ns(opnode, WSDL_NS, which)) == NULL)
		return 0;
	if ((msg = wsdl_find(m, io, "message", gw_xml_attr_get(io, NULL,
	    "message"))) == NULL)
		return gw_err_set(err, GW_E_PROTO, "message '%s' is not defined",
		    gw_xml_attr_get(io, NULL, "message") != NULL ?
		    gw_xml_attr_get(io, NULL, "message") : "(none)");
	only = bodyspec != NULL ? gw_xml_attr_get(bodyspec, NULL, "parts") :
	    NULL;
	for (struct gw_xml_node *p = gw_xml_first_elem(msg); p != NULL;
	    p = gw_xml_next_elem(p)) {
		struct part	*pp;
		const char	*name = gw_xml_attr_get(p, NULL, "name");
		const char	*el = gw_xml_attr_get(p, NULL, "element");
		const char	*ty = gw_xml_attr_get(p, NULL, "type");

		if (!gw_xml_is(p, WSDL_NS, "part") || name == NULL)
			continue;
		if (only != NULL) {
			/* parts="a b": only those go in the body */
			const char	*s = only;
			size_t		 nl = strlen(name);
			int		 in = 0;

			while ((s = strstr(s, name)) != NULL) {
				if ((s == only || s[-1] == ' ') &&
				    (s[nl] == ' ' || s[nl] == '\0'))
					in = 1;
				s += nl;
			}
			if (!in)
				continue;
		}
		if ((pp = reallocarray(out->parts, out->nparts + 1,
		    sizeof(*pp))) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		out->parts = pp;
		pp = &pp[out->nparts++];
		memset(pp, 0, sizeof(*pp));
		pp->name = name;
		if (el != NULL) {
			const struct decl	*d;
			const char		*nil;

			if (gw_xml_qname(p, el, &pp->ens, &pp->elocal,
			    err) == -1)
				return -1;
			if ((d = decl_find(&m->elements, pp->ens,
			    pp->elocal)) == NULL)
				return gw_err_set(err, GW_E_PROTO, "element "
				    "'%s' of part '%s' is not declared", el,
				    name);
			pp->ens = d->ns;
			nil = gw_xml_attr_get(d->node, NULL, "nillable");
			pp->nillable = nil != NULL && strcmp(nil, "true") == 0;
			if ((pp->type = elem_type(m, d->node, err)) == NULL)
				return -1;
		} else if (ty != NULL) {
			if ((pp->type = type_ref(m, p, ty, err)) == NULL)
				return -1;
		} else
			pp->type = &m->builtin[J_STRING];
	}
	return 0;
}

static char *
file_name(const char *s)
{
	char *f = strdup(s);

	for (char *p = f; p != NULL && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			*p = '_';
	if (f != NULL && f[0] == '.')
		f[0] = '_';
	return f;
}

/* The binding to use: the first SOAP 1.1 port, else SOAP 1.2. */
static int
find_service(struct model *m, struct service *s, struct gw_err *err)
{
	const struct gw_xml_node	*binding = NULL, *port = NULL, *pt;
	const struct gw_xml_node	*sb;
	const char			*style_def;
	int				 pass;

	memset(s, 0, sizeof(*s));
	for (pass = 0; pass < 2 && binding == NULL; pass++) {
		const char *want = pass == 0 ? WSOAP11_NS : WSOAP12_NS;

		for (size_t i = 0; i < m->ndefs && binding == NULL; i++)
			for (struct gw_xml_node *sv = gw_xml_first_elem(
			    m->defs[i]); sv != NULL && binding == NULL;
			    sv = gw_xml_next_elem(sv)) {
				if (!gw_xml_is(sv, WSDL_NS, "service"))
					continue;
				for (struct gw_xml_node *p =
				    gw_xml_first_elem(sv); p != NULL;
				    p = gw_xml_next_elem(p)) {
					const struct gw_xml_node *b;

					if (!gw_xml_is(p, WSDL_NS, "port"))
						continue;
					b = wsdl_find(m, p, "binding",
					    gw_xml_attr_get(p, NULL,
					    "binding"));
					if (b != NULL && child_ns(b, want,
					    "binding") != NULL) {
						binding = b;
						port = p;
						s->name = gw_xml_attr_get(sv,
						    NULL, "name");
						s->soap12 = pass == 1;
						break;
					}
				}
			}
		/* no service element: the first binding of the kind */
		for (size_t i = 0; i < m->ndefs && binding == NULL; i++)
			for (struct gw_xml_node *b = gw_xml_first_elem(
			    m->defs[i]); b != NULL; b = gw_xml_next_elem(b))
				if (gw_xml_is(b, WSDL_NS, "binding") &&
				    child_ns(b, want, "binding") != NULL) {
					binding = b;
					s->soap12 = pass == 1;
					s->name = gw_xml_attr_get(b, NULL,
					    "name");
					break;
				}
	}
	if (binding == NULL)
		return gw_err_set(err, GW_E_PROTO, "no SOAP 1.1 or 1.2 binding "
		    "in the WSDL");
	if (port != NULL) {
		const struct gw_xml_node *a = child_ns(port, s->soap12 ?
		    WSOAP12_NS : WSOAP11_NS, "address");

		if (a != NULL)
			s->address = gw_xml_attr_get(a, NULL, "location");
	}
	if (s->name == NULL)
		s->name = "service";
	sb = child_ns(binding, s->soap12 ? WSOAP12_NS : WSOAP11_NS, "binding");
	style_def = gw_xml_attr_get(sb, NULL, "style");
	if ((pt = wsdl_find(m, binding, "portType", gw_xml_attr_get(binding,
	    NULL, "type"))) == NULL)
		return gw_err_set(err, GW_E_PROTO, "port type '%s' is not "
		    "defined", gw_xml_attr_get(binding, NULL, "type") != NULL ?
		    gw_xml_attr_get(binding, NULL, "type") : "(none)");
	for (struct gw_xml_node *bo = gw_xml_first_elem(binding); bo != NULL;
	    bo = gw_xml_next_elem(bo)) {
		const char			*ns = s->soap12 ? WSOAP12_NS :
						    WSOAP11_NS;
		const char			*name, *style, *use;
		const struct gw_xml_node	*so, *bin, *bout, *po = NULL;
		struct op			*o;

		if (!gw_xml_is(bo, WSDL_NS, "operation") ||
		    (name = gw_xml_attr_get(bo, NULL, "name")) == NULL)
			continue;
		for (struct gw_xml_node *c = gw_xml_first_elem(pt); c != NULL;
		    c = gw_xml_next_elem(c))
			if (gw_xml_is(c, WSDL_NS, "operation") &&
			    gw_xml_attr_get(c, NULL, "name") != NULL &&
			    strcmp(gw_xml_attr_get(c, NULL, "name"), name) ==
			    0)
				po = c;
		if (po == NULL) {
			warn(m, "operation '%s' is not in the port type: left "
			    "out", name);
			continue;
		}
		if (!ncname(name)) {
			warn(m, "operation '%s' is not named by an XML name: "
			    "left out", name);
			continue;
		}
		so = child_ns(bo, ns, "operation");
		style = so != NULL && gw_xml_attr_get(so, NULL, "style") !=
		    NULL ? gw_xml_attr_get(so, NULL, "style") : style_def;
		bin = child_ns(bo, WSDL_NS, "input");
		bout = child_ns(bo, WSDL_NS, "output");
		bin = bin != NULL ? child_ns(bin, ns, "body") : NULL;
		bout = bout != NULL ? child_ns(bout, ns, "body") : NULL;
		use = bin != NULL ? gw_xml_attr_get(bin, NULL, "use") : NULL;
		if (use != NULL && strcmp(use, "encoded") == 0) {
			warn(m, "operation '%s' is rpc/encoded: left out",
			    name);
			continue;
		}
		if ((o = reallocarray(s->ops, s->nops + 1, sizeof(*o))) ==
		    NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		s->ops = o;
		o = &o[s->nops];
		memset(o, 0, sizeof(*o));
		o->name = name;
		o->action = so != NULL ? gw_xml_attr_get(so, NULL,
		    "soapAction") : NULL;
		o->rpc = style != NULL && strcmp(style, "rpc") == 0;
		o->ns_in = bin != NULL ? gw_xml_attr_get(bin, NULL,
		    "namespace") : NULL;
		o->ns_out = bout != NULL ? gw_xml_attr_get(bout, NULL,
		    "namespace") : NULL;
		if ((o->file = file_name(name)) == NULL)
			return gw_err_set(err, GW_E_NOMEM, "out of memory");
		s->nops++;
		if (read_msg(m, po, "input", bin, &o->in, err) == -1 ||
		    read_msg(m, po, "output", bout, &o->out, err) == -1)
			return gw_err_prefix(err, "operation '%s'", name);
		for (size_t i = 0; o->rpc && i < o->in.nparts; i++)
			if (!ncname(o->in.parts[i].name))
				return gw_err_set(err, GW_E_PROTO, "operation "
				    "'%s': part name '%s' is not an XML name",
				    name, o->in.parts[i].name);
		for (size_t i = 0; o->rpc && i < o->out.nparts; i++)
			if (!ncname(o->out.parts[i].name))
				return gw_err_set(err, GW_E_PROTO, "operation "
				    "'%s': part name '%s' is not an XML name",
				    name, o->out.parts[i].name);
		if (!o->rpc)
			for (size_t i = 0; i < o->in.nparts; i++)
				if (o->in.parts[i].elocal == NULL)
					warn(m, "operation '%s': document part "
					    "'%s' has a type, not an element",
					    name, o->in.parts[i].name);
	}
	if (s->nops == 0) {
		/* say why: the first warning */
		const char	*w = m->warnings.p;
		size_t		 n = w != NULL ? strcspn(w, "\n") : 0;

		if (n > 9 && strncmp(w, "warning: ", 9) == 0)
			w += 9, n -= 9;
		return gw_err_set(err, GW_E_PROTO, "no operation of the WSDL "
		    "can be mapped%s%.*s", n > 0 ? ": " : "", (int)n,
		    n > 0 ? w : "");
	}
	return 0;
}

/*
 * Generating stylesheets.
 */

struct gen {
	struct model	*m;
	struct gw_buf	 body;
	const char	*nsv[256];	/* prefix nI is nsv[I] */
	size_t		 nns;
	struct xtype	*todo[4096];
	size_t		 ntodo;
	int		 next_id;
	int		 response;
	int		 overflow;
};

/* The prefix of namespace uri in the stylesheet ("n0", "n1", ...). */
static int
prefix_of(struct gen *g, const char *uri)
{
	for (size_t i = 0; i < g->nns; i++)
		if (strcmp(g->nsv[i], uri) == 0)
			return (int)i;
	if (g->nns == GW_ARRAY_LEN(g->nsv)) {
		g->overflow = 1;
		return 0;
	}
	g->nsv[g->nns] = uri;
	return (int)g->nns++;
}

/* "n3:local" or "local" into b. */
static void
qname(struct gen *g, struct gw_buf *b, const char *ns, const char *local)
{
	if (ns != NULL && ns[0] != '\0')
		(void)gw_buf_printf(b, NULL, "n%d:", prefix_of(g, ns));
	(void)gw_buf_puts(b, local, NULL);
}

static int
type_id(struct gen *g, struct xtype *t)
{
	int *id = g->response ? &t->resp_id : &t->req_id;

	if (*id == 0) {
		*id = ++g->next_id;
		if (g->ntodo < GW_ARRAY_LEN(g->todo))
			g->todo[g->ntodo++] = t;
		else
			g->overflow = 1;
	}
	return *id;
}

static void
out(struct gen *g, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
out(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)gw_buf_vprintf(&g->body, NULL, fmt, ap);
	va_end(ap);
}

static int
complex(const struct xtype *t)
{
	return !t->simple;
}

/* Request side: the content of an element of type t, the map in context. */
static void
req_elem(struct gen *g, const struct xelem *e)
{
	/* the value, or the items of an array (for any element) */
	out(g, "<xsl:for-each select=\"fn:*[@key='%s'][not(self::fn:array)] "
	    "| fn:array[@key='%s']/fn:*\">", e->name, e->name);
	out(g, "<xsl:choose><xsl:when test=\"self::fn:null\">");
	if (e->nillable) {
		out(g, "<");
		qname(g, &g->body, e->ns, e->name);
		out(g, " xsi:nil=\"true\"/>");
	}
	out(g, "</xsl:when><xsl:otherwise><");
	qname(g, &g->body, e->ns, e->name);
	out(g, ">");
	if (complex(e->type))
		out(g, "<xsl:call-template name=\"t%d\"/>", type_id(g, e->type));
	else
		out(g, "<xsl:value-of select=\".\"/>");
	out(g, "</");
	qname(g, &g->body, e->ns, e->name);
	out(g, "></xsl:otherwise></xsl:choose></xsl:for-each>");
}

static void
req_template(struct gen *g, struct xtype *t)
{
	out(g, "<xsl:template name=\"t%d\">", g->response ? t->resp_id :
	    t->req_id);
	for (size_t i = 0; i < t->nattrs; i++)
		out(g, "<xsl:for-each select=\"fn:*[@key='@%s']\">"
		    "<xsl:attribute name=\"%s\"><xsl:value-of select=\".\"/>"
		    "</xsl:attribute></xsl:for-each>", t->attrs[i].name,
		    t->attrs[i].name);
	if (t->text)
		out(g, "<xsl:choose><xsl:when test=\"self::fn:map\">"
		    "<xsl:value-of select=\"fn:*[@key='#text']\"/></xsl:when>"
		    "<xsl:otherwise><xsl:value-of select=\".\"/>"
		    "</xsl:otherwise></xsl:choose>");
	for (size_t i = 0; i < t->nelems; i++)
		req_elem(g, &t->elems[i]);
	out(g, "</xsl:template>\n");
}

/* Response side: a JSON value (with key, or none) for element e. */
static void
resp_value(struct gen *g, const struct xtype *t, const char *key,
    int nillable)
{
	char k[300];

	if (key != NULL)
		(void)snprintf(k, sizeof(k), " key=\"%s\"", key);
	else
		k[0] = '\0';
	if (nillable)
		out(g, "<xsl:choose><xsl:when test=\"@xsi:nil='true' or "
		    "@xsi:nil='1'\"><fn:null%s/></xsl:when><xsl:otherwise>",
		    k);
	if (complex(t))
		out(g, "<fn:map%s><xsl:call-template name=\"t%d\"/></fn:map>",
		    k, type_id(g, (struct xtype *)(uintptr_t)t));
	else if (t->jt == J_BOOLEAN)
		out(g, "<xsl:choose><xsl:when test=\"normalize-space(.)='true' "
		    "or normalize-space(.)='1' or normalize-space(.)='false' or "
		    "normalize-space(.)='0'\"><fn:boolean%s><xsl:value-of "
		    "select=\"normalize-space(.)='true' or "
		    "normalize-space(.)='1'\"/></fn:boolean></xsl:when>"
		    "<xsl:otherwise><fn:string%s><xsl:value-of select=\".\"/>"
		    "</fn:string></xsl:otherwise></xsl:choose>", k, k);
	else if (t->jt == J_NUMBER || t->jt == J_INTEGER)
		out(g, "<xsl:choose><xsl:when test=\"string(number(.))!='NaN'"
		    "\"><fn:number%s><xsl:value-of select=\"number(.)\"/>"
		    "</fn:number></xsl:when><xsl:otherwise><fn:string%s>"
		    "<xsl:value-of select=\".\"/></fn:string></xsl:otherwise>"
		    "</xsl:choose>", k, k);
	else
		out(g, "<fn:string%s><xsl:value-of select=\".\"/></fn:string>",
		    k);
	if (nillable)
		out(g, "</xsl:otherwise></xsl:choose>");
}

static void
resp_template(struct gen *g, struct xtype *t)
{
	out(g, "<xsl:template name=\"t%d\">", t->resp_id);
	for (size_t i = 0; i < t->nattrs; i++) {
		char key[256];

		/* "@name", as the request side and the OpenAPI have it */
		(void)snprintf(key, sizeof(key), "@%s", t->attrs[i].name);
		out(g, "<xsl:for-each select=\"@%s\">", t->attrs[i].name);
		resp_value(g, &g->m->builtin[t->attrs[i].jt], key, 0);
		out(g, "</xsl:for-each>");
	}
	if (t->text) {
		out(g, "<xsl:for-each select=\"text()[1]/..\">");
		{
			char key[] = "#text";

			resp_value(g, &g->m->builtin[t->jt], key, 0);
		}
		out(g, "</xsl:for-each>");
	}
	for (size_t i = 0; i < t->nelems; i++) {
		const struct xelem	*e = &t->elems[i];
		struct gw_buf		 sel;

		gw_buf_init(&sel, 0);
		qname(g, &sel, e->ns, e->name);
		(void)gw_buf_cstr(&sel, NULL);
		if (e->max > 1) {
			out(g, "<fn:array key=\"%s\"><xsl:for-each select=\"%s\">",
			    e->name, sel.p);
			resp_value(g, e->type, NULL, e->nillable);
			out(g, "</xsl:for-each></fn:array>");
		} else {
			out(g, "<xsl:for-each select=\"%s\">", sel.p);
			resp_value(g, e->type, e->name, e->nillable);
			out(g, "</xsl:for-each>");
		}
		gw_buf_release(&sel);
	}
	out(g, "</xsl:template>\n");
}

/* The stylesheet: header with the namespaces used, body, templates. */
static int
finish_xsl(struct gen *g, struct gw_buf *xsl, const char *comment,
    struct gw_err *err)
{
	struct gw_buf	main = g->body;
	size_t		done = 0;

	/* templates for every type reached, as they are reached */
	gw_buf_init(&g->body, 0);
	while (done < g->ntodo) {
		struct xtype *t = g->todo[done++];

		if (g->response)
			resp_template(g, t);
		else
			req_template(g, t);
	}
	if (g->overflow) {
		gw_buf_release(&main);
		return gw_err_set(err, GW_E_LIMIT, "the schema is too large "
		    "to generate stylesheets for");
	}
	if (gw_buf_printf(xsl, err, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<!-- %s: made by gw-mediate wsdl2rest -->\n<xsl:stylesheet "
	    "version=\"1.0\" xmlns:xsl=\"" GW_XML_NS_XSL "\" xmlns:fn=\""
	    GW_XML_NS_FN "\" xmlns:xsi=\"" GW_XML_NS_XSI "\"", comment) == -1)
		goto fail;
	for (size_t i = 0; i < g->nns; i++)
		if (gw_buf_printf(xsl, err, " xmlns:n%zu=\"", i) == -1 ||
		    gw_xml_escape_append(xsl, g->nsv[i], strlen(g->nsv[i]), 1,
		    err) == -1 || gw_buf_putc(xsl, '"', err) == -1)
			goto fail;
	if (gw_buf_puts(xsl, g->response ? " exclude-result-prefixes=\"xsi" :
	    " exclude-result-prefixes=\"fn xsi", err) == -1)
		goto fail;
	for (size_t i = 0; g->response && i < g->nns; i++)
		if (gw_buf_printf(xsl, err, " n%zu", i) == -1)
			goto fail;
	if (gw_buf_puts(xsl, "\">\n<xsl:output method=\"xml\" "
	    "encoding=\"UTF-8\"/>\n", err) == -1 ||
	    gw_buf_append_str(xsl, gw_buf_str(&main), err) == -1 ||
	    gw_buf_append_str(xsl, gw_buf_str(&g->body), err) == -1 ||
	    gw_buf_puts(xsl, "</xsl:stylesheet>\n", err) == -1)
		goto fail;
	gw_buf_release(&main);
	return 0;
 fail:
	gw_buf_release(&main);
	return -1;
}

static void
gen_init(struct gen *g, struct model *m, int response)
{
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->response = response;
	gw_buf_init(&g->body, 0);
	for (struct xtype *t = m->types; t != NULL; t = t->next)
		t->req_id = t->resp_id = 0;
	for (size_t i = 0; i < 4; i++)
		m->builtin[i].req_id = m->builtin[i].resp_id = 0;
}

/* JSON -> the operation's message (the root of the Body). */
static int
request_xsl(struct model *m, const struct service *s, const struct op *o,
    struct gw_buf *xsl, struct gw_err *err)
{
	struct gen	g;
	int		rc;

	(void)s;
	gen_init(&g, m, 0);
	out(&g, "<xsl:template match=\"/*\"><xsl:message terminate=\"yes\">"
	    "the request must be a JSON object</xsl:message></xsl:template>\n");
	out(&g, "<xsl:template match=\"/fn:map\">");
	if (o->rpc) {
		out(&g, "<");
		qname(&g, &g.body, o->ns_in, o->name);
		out(&g, ">");
		for (size_t i = 0; i < o->in.nparts; i++) {
			const struct part *p = &o->in.parts[i];
			struct xelem e;

			memset(&e, 0, sizeof(e));
			e.name = p->elocal != NULL ? p->elocal : p->name;
			e.ns = p->elocal != NULL ? p->ens : NULL;
			e.max = 1;
			e.type = p->type;
			e.nillable = 1;
			if (p->elocal == NULL)
				e.name = p->name;
			req_elem(&g, &e);
		}
		out(&g, "</");
		qname(&g, &g.body, o->ns_in, o->name);
		out(&g, ">");
	} else if (o->in.nparts == 1 && o->in.parts[0].elocal != NULL) {
		const struct part *p = &o->in.parts[0];

		/* one part: the JSON object is the element's content */
		out(&g, "<");
		qname(&g, &g.body, p->ens, p->elocal);
		out(&g, ">");
		if (complex(p->type))
			out(&g, "<xsl:call-template name=\"t%d\"/>",
			    type_id(&g, p->type));
		else
			out(&g, "<xsl:value-of select=\"fn:*[@key='%s']\"/>",
			    p->elocal);
		out(&g, "</");
		qname(&g, &g.body, p->ens, p->elocal);
		out(&g, ">");
	} else {
		for (size_t i = 0; i < o->in.nparts; i++) {
			const struct part	*p = &o->in.parts[i];
			struct xelem		 e;

			if (p->elocal == NULL)
				continue;
			memset(&e, 0, sizeof(e));
			e.name = p->elocal;
			e.ns = p->ens;
			e.max = 1;
			e.type = p->type;
			req_elem(&g, &e);
		}
	}
	out(&g, "</xsl:template>\n");
	rc = finish_xsl(&g, xsl, "the request of operation", err);
	gw_buf_release(&g.body);
	return rc;
}

/* The Body's first element -> the JSON answer (lossless XML). */
static int
response_xsl(struct model *m, const struct op *o, struct gw_buf *xsl,
    struct gw_err *err)
{
	struct gen	g;
	int		rc;

	gen_init(&g, m, 1);
	out(&g, "<xsl:template match=\"/*\">");
	if (o->rpc) {
		out(&g, "<fn:map>");
		for (size_t i = 0; i < o->out.nparts; i++) {
			const struct part *p = &o->out.parts[i];

			out(&g, "<xsl:for-each select=\"*[local-name()='%s']\">",
			    p->elocal != NULL ? p->elocal : p->name);
			resp_value(&g, p->type, p->name, 1);
			out(&g, "</xsl:for-each>");
		}
		out(&g, "</fn:map>");
	} else if (o->out.nparts == 1 && o->out.parts[0].elocal != NULL) {
		const struct part *p = &o->out.parts[0];

		if (complex(p->type))
			out(&g, "<fn:map><xsl:call-template name=\"t%d\"/>"
			    "</fn:map>", type_id(&g, p->type));
		else {
			out(&g, "<fn:map>");
			resp_value(&g, p->type, p->elocal, p->nillable);
			out(&g, "</fn:map>");
		}
	} else {
		out(&g, "<fn:map>");
		for (size_t i = 0; i < o->out.nparts; i++) {
			const struct part *p = &o->out.parts[i];

			if (p->elocal == NULL)
				continue;
			out(&g, "<xsl:for-each select=\"/");
			qname(&g, &g.body, p->ens, p->elocal);
			out(&g, "\">");
			resp_value(&g, p->type, p->elocal, p->nillable);
			out(&g, "</xsl:for-each>");
		}
		out(&g, "</fn:map>");
	}
	out(&g, "</xsl:template>\n");
	rc = finish_xsl(&g, xsl, "the response of operation", err);
	gw_buf_release(&g.body);
	return rc;
}

/*
 * OpenAPI.
 */

/* Named schemas of components/schemas, unique names. */
struct comps {
	struct xtype	*t[4096];
	char		*name[4096];
	size_t		 n;
	int		 overflow;
};

static void	oa_type(struct gw_buf *, struct xtype *, struct comps *);

static void
oa_simple(struct gw_buf *b, enum jt jt)
{
	(void)gw_buf_puts(b, jt == J_INTEGER ? "{\"type\":\"integer\"}" :
	    jt == J_NUMBER ? "{\"type\":\"number\"}" : jt == J_BOOLEAN ?
	    "{\"type\":\"boolean\"}" : "{\"type\":\"string\"}", NULL);
}

static void
oa_str(struct gw_buf *b, const char *s)
{
	(void)gw_buf_putc(b, '"', NULL);
	(void)gw_json_escape_append(b, s, strlen(s), NULL);
	(void)gw_buf_putc(b, '"', NULL);
}

/* The component name of t, given on first use ("Name", "Name_2"). */
static const char *
comp_name(struct comps *c, struct xtype *t)
{
	size_t	i, same = 0;
	char	buf[512];

	for (i = 0; i < c->n; i++)
		if (c->t[i] == t)
			return c->name[i];
	if (c->n == GW_ARRAY_LEN(c->t)) {
		c->overflow = 1;
		return "Object";
	}
	for (i = 0; i < c->n; i++)
		if (strncmp(c->name[i], t->comp, strlen(t->comp)) == 0 &&
		    (c->name[i][strlen(t->comp)] == '\0' ||
		    c->name[i][strlen(t->comp)] == '_'))
			same++;
	if (same == 0)
		(void)snprintf(buf, sizeof(buf), "%s", t->comp);
	else
		(void)snprintf(buf, sizeof(buf), "%s_%zu", t->comp, same + 1);
	for (char *p = buf; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			*p = '_';
	if ((c->name[c->n] = strdup(buf)) == NULL) {
		c->overflow = 1;
		return "Object";
	}
	c->t[c->n] = t;
	return c->name[c->n++];
}

/* A schema for a value of type t (a $ref for named complex types). */
static void
oa_value(struct gw_buf *b, struct xtype *t, struct comps *c)
{
	if (!complex(t)) {
		oa_simple(b, t->jt);
		return;
	}
	if (t->comp != NULL) {
		(void)gw_buf_puts(b, "{\"$ref\":\"#/components/schemas/", NULL);
		(void)gw_buf_puts(b, comp_name(c, t), NULL);
		(void)gw_buf_puts(b, "\"}", NULL);
		return;
	}
	oa_type(b, t, c);
}

static void
oa_type(struct gw_buf *b, struct xtype *t, struct comps *c)
{
	int first = 1, nreq = 0;

	(void)gw_buf_puts(b, "{\"type\":\"object\",\"properties\":{", NULL);
	for (size_t i = 0; i < t->nattrs; i++) {
		char key[256];

		(void)snprintf(key, sizeof(key), "@%s", t->attrs[i].name);
		(void)gw_buf_puts(b, first ? "" : ",", NULL);
		first = 0;
		oa_str(b, key);
		(void)gw_buf_putc(b, ':', NULL);
		oa_simple(b, t->attrs[i].jt);
	}
	if (t->text) {
		(void)gw_buf_puts(b, first ? "" : ",", NULL);
		first = 0;
		oa_str(b, "#text");
		(void)gw_buf_putc(b, ':', NULL);
		oa_simple(b, t->jt);
	}
	for (size_t i = 0; i < t->nelems; i++) {
		const struct xelem *e = &t->elems[i];

		(void)gw_buf_puts(b, first ? "" : ",", NULL);
		first = 0;
		oa_str(b, e->name);
		(void)gw_buf_putc(b, ':', NULL);
		if (e->max > 1)
			(void)gw_buf_puts(b, "{\"type\":\"array\",\"items\":",
			    NULL);
		if (e->nillable && e->max <= 1)
			(void)gw_buf_puts(b, "{\"nullable\":true,\"allOf\":[",
			    NULL);
		oa_value(b, e->type, c);
		if (e->nillable && e->max <= 1)
			(void)gw_buf_puts(b, "]}", NULL);
		if (e->max > 1)
			(void)gw_buf_putc(b, '}', NULL);
	}
	(void)gw_buf_putc(b, '}', NULL);
	for (size_t i = 0; i < t->nelems; i++)
		if (t->elems[i].min > 0 && t->elems[i].max <= 1) {
			(void)gw_buf_puts(b, nreq++ == 0 ? ",\"required\":[" :
			    ",", NULL);
			oa_str(b, t->elems[i].name);
		}
	if (nreq > 0)
		(void)gw_buf_putc(b, ']', NULL);
	(void)gw_buf_putc(b, '}', NULL);
}

/* The schema of a message's JSON. */
static void
oa_msg(struct gw_buf *b, const struct op *o, const struct msg *msg,
    struct comps *c)
{
	if (!o->rpc && msg->nparts == 1 && msg->parts[0].elocal != NULL &&
	    complex(msg->parts[0].type)) {
		oa_value(b, msg->parts[0].type, c);
		return;
	}
	(void)gw_buf_puts(b, "{\"type\":\"object\",\"properties\":{", NULL);
	for (size_t i = 0; i < msg->nparts; i++) {
		const struct part *p = &msg->parts[i];

		if (i > 0)
			(void)gw_buf_putc(b, ',', NULL);
		oa_str(b, o->rpc ? p->name : p->elocal != NULL ? p->elocal :
		    p->name);
		(void)gw_buf_putc(b, ':', NULL);
		oa_value(b, p->type, c);
	}
	(void)gw_buf_puts(b, "}}", NULL);
}

static int
openapi(const struct service *s, const char *prefix, struct gw_buf *out,
    struct gw_err *err)
{
	struct gw_buf		 b;
	struct comps		*c;
	struct gw_jx_opts	 jo;
	int			 rc = -1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	gw_buf_init(&b, 0);
	(void)gw_buf_puts(&b, "{\"openapi\":\"3.0.3\",\"info\":{\"title\":",
	    NULL);
	oa_str(&b, s->name);
	(void)gw_buf_puts(&b, ",\"version\":\"1.0\",\"description\":\"A REST "
	    "face of the SOAP service, made by gw-mediate wsdl2rest.\"},"
	    "\"paths\":{", NULL);
	for (size_t i = 0; i < s->nops; i++) {
		const struct op	*o = &s->ops[i];
		char		 path[PATH_MAX];

		(void)snprintf(path, sizeof(path), "%s/%s", prefix, o->file);
		(void)gw_buf_puts(&b, i > 0 ? "," : "", NULL);
		oa_str(&b, path);
		(void)gw_buf_puts(&b, ":{\"post\":{\"operationId\":", NULL);
		oa_str(&b, o->file);
		(void)gw_buf_puts(&b, ",\"requestBody\":{\"required\":true,"
		    "\"content\":{\"application/json\":{\"schema\":", NULL);
		oa_msg(&b, o, &o->in, c);
		(void)gw_buf_puts(&b, "}}},\"responses\":{\"200\":{"
		    "\"description\":\"the answer of the service\",\"content\":"
		    "{\"application/json\":{\"schema\":", NULL);
		oa_msg(&b, o, &o->out, c);
		(void)gw_buf_puts(&b, "}}},\"400\":{\"description\":\"a bad "
		    "request, or a Client/Sender fault\",\"content\":{"
		    "\"application/problem+json\":{\"schema\":{\"$ref\":"
		    "\"#/components/schemas/Problem\"}}}},\"502\":{"
		    "\"description\":\"the service failed (a Server/Receiver "
		    "fault)\",\"content\":{\"application/problem+json\":{"
		    "\"schema\":{\"$ref\":\"#/components/schemas/Problem\"}}}},"
		    "\"504\":{\"description\":\"the service did not answer in "
		    "time\"}}}}", NULL);
	}
	(void)gw_buf_puts(&b, "},\"components\":{\"schemas\":{\"Problem\":{"
	    "\"type\":\"object\",\"properties\":{\"type\":{\"type\":"
	    "\"string\"},\"title\":{\"type\":\"string\"},\"status\":{\"type\":"
	    "\"integer\"},\"detail\":{\"type\":\"string\"},\"request_id\":{"
	    "\"type\":\"string\"},\"soapFault\":{\"type\":\"object\","
	    "\"properties\":{\"version\":{\"type\":\"string\"},\"code\":{"
	    "\"type\":\"string\"},\"subcodes\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}},\"reason\":{\"type\":\"string\"}}}}}",
	    NULL);
	/* components found while writing components are written too */
	for (size_t i = 0; i < c->n; i++) {
		(void)gw_buf_puts(&b, ",\"", NULL);
		(void)gw_buf_puts(&b, c->name[i], NULL);
		(void)gw_buf_puts(&b, "\":", NULL);
		oa_type(&b, c->t[i], c);
	}
	(void)gw_buf_puts(&b, "}}}", NULL);
	if (c->overflow) {
		gw_err_set(err, GW_E_LIMIT, "too many types for the OpenAPI "
		    "description");
		goto out;
	}
	memset(&jo, 0, sizeof(jo));
	jo.flags = GW_JX_INDENT;
	rc = gw_jx_json_normalize(b.p, b.len, &jo, out, err);
 out:
	for (size_t i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c);
	gw_buf_release(&b);
	return rc;
}

/*
 * Files.
 */

static int
write_file(const char *dir, const char *name, const struct gw_buf *b,
    struct gw_buf *report, struct gw_err *err)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return gw_err_set(err, GW_E_INVAL, "path too long");
	if ((fp = fopen(path, "w")) == NULL)
		return gw_err_sys(err, "cannot create '%s'", path);
	if ((b->len > 0 && fwrite(b->p, 1, b->len, fp) != b->len) ||
	    fclose(fp) == EOF)
		return gw_err_sys(err, "cannot write '%s'", path);
	return gw_buf_printf(report, err, "%s\n", path);
}

static int
json_file(const char *dir, const char *name, const struct gw_buf *compact,
    struct gw_buf *report, struct gw_err *err)
{
	struct gw_buf		b;
	struct gw_jx_opts	jo;
	int			rc;

	gw_buf_init(&b, 0);
	memset(&jo, 0, sizeof(jo));
	jo.flags = GW_JX_INDENT;
	rc = gw_jx_json_normalize(compact->p, compact->len, &jo, &b, err);
	if (rc == 0)
		rc = write_file(dir, name, &b, report, err);
	gw_buf_release(&b);
	return rc;
}

/* "http://h:p/path" -> "http://h:p" and "/path". */
static int
split_url(const char *url, char *target, size_t tsize, char *path,
    size_t psize)
{
	const char *s = strstr(url, "://"), *slash;

	if (s == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return -1;
	slash = strchr(s + 3, '/');
	if (slash == NULL)
		slash = s + strlen(s);
	if (snprintf(target, tsize, "%.*s", (int)(slash - url), url) >=
	    (int)tsize || snprintf(path, psize, "%s", *slash == '\0' ? "/" :
	    slash) >= (int)psize)
		return -1;
	/* no query or fragment in a target's path */
	path[strcspn(path, "?#")] = '\0';
	return 0;
}

static int
make_dir(const char *dir, struct gw_err *err)
{
	char	 path[PATH_MAX];
	size_t	 len;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return gw_err_set(err, GW_E_INVAL, "path too long");
	len = strlen(path);
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) == -1 && errno != EEXIST)
			return gw_err_sys(err, "cannot create '%s'", path);
		path[i] = i < len ? '/' : '\0';
	}
	return 0;
}

static void
model_free(struct model *m)
{
	struct xtype *t, *next;

	for (t = m->types; t != NULL; t = next) {
		next = t->next;
		free(t->comp);
		free(t->elems);
		free(t->attrs);
		free(t);
	}
	for (size_t i = 0; i < m->nschemas; i++)
		free(schema_at(m, i));
	free(m->schemas);
	free(m->elements.v);
	free(m->ctypes.v);
	free(m->stypes.v);
	free(m->groups.v);
	free(m->agroups.v);
	for (size_t i = 0; i < m->ndocs; i++) {
		gw_xml_doc_free(m->docs[i]);
		free(m->paths[i]);
	}
	gw_buf_release(&m->warnings);
}

static void
service_free(struct service *s)
{
	for (size_t i = 0; i < s->nops; i++) {
		free(s->ops[i].file);
		free(s->ops[i].in.parts);
		free(s->ops[i].out.parts);
	}
	free(s->ops);
}

int
gw_wsdl_to_rest(const char *wsdl, const struct gw_wsdl_rest_opts *o,
    struct gw_buf *report, struct gw_err *err)
{
	struct model	 m;
	struct service	 s;
	struct gw_buf	 b, cfg;
	char		 target[1024], upath[2048], prefix[1024], name[PATH_MAX];
	const char	*url;
	int		 rc = -1;

	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	gw_buf_init(&m.warnings, 0);
	gw_buf_init(&b, 0);
	gw_buf_init(&cfg, 0);
	for (int i = 0; i < 4; i++) {
		m.builtin[i].simple = 1;
		m.builtin[i].jt = (enum jt)i;
		m.builtin[i].state = 2;
	}
	if (load_file(&m, wsdl, NULL, err) == -1)
		goto out;
	if (m.ndefs == 0) {
		gw_err_set(err, GW_E_PROTO, "%s: not a WSDL (an XML Schema)",
		    wsdl);
		goto out;
	}
	if (find_service(&m, &s, err) == -1) {
		if (err->code == GW_E_PROTO)
			(void)gw_err_prefix(err, "%s", wsdl);
		goto out;
	}
	url = o->upstream != NULL ? o->upstream : s.address;
	if (url == NULL || split_url(url, target, sizeof(target), upath,
	    sizeof(upath)) == -1) {
		if (url == NULL)
			gw_err_set(err, GW_E_PROTO, "the WSDL has no address: "
			    "give the upstream URL");
		else
			gw_err_set(err, GW_E_PROTO, "'%s' is not an http:// "
			    "or https:// URL: give the upstream URL", url);
		goto out;
	}
	if (o->prefix != NULL)
		(void)snprintf(prefix, sizeof(prefix), "%s", o->prefix);
	else {
		char *f = file_name(s.name);

		(void)snprintf(prefix, sizeof(prefix), "/%s", f != NULL ? f :
		    "service");
		free(f);
	}
	while (strlen(prefix) > 1 && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	if (prefix[0] != '/' || strcmp(prefix, "/") == 0) {
		gw_err_set(err, GW_E_INVAL, "the prefix must start with '/' and "
		    "name something, not '%s'", prefix);
		goto out;
	}
	if (make_dir(o->dir, err) == -1)
		goto out;
	if (gw_buf_puts(&cfg, "{\"upstreams\":{\"service\":{\"targets\":[",
	    err) == -1)
		goto out;
	oa_str(&cfg, target);
	(void)gw_buf_puts(&cfg, "]}},\"routes\":[", NULL);
	for (size_t i = 0; i < s.nops; i++) {
		const struct op *op = &s.ops[i];

		gw_buf_reset(&b);
		if (request_xsl(&m, &s, op, &b, err) == -1)
			goto out;
		(void)snprintf(name, sizeof(name), "%s-request.xsl", op->file);
		if (write_file(o->dir, name, &b, report, err) == -1)
			goto out;
		gw_buf_reset(&b);
		if (response_xsl(&m, op, &b, err) == -1)
			goto out;
		(void)snprintf(name, sizeof(name), "%s-response.xsl", op->file);
		if (write_file(o->dir, name, &b, report, err) == -1)
			goto out;
		gw_buf_reset(&b);
		(void)gw_buf_printf(&b, NULL, "{\"description\":\"operation %s: "
		    "JSON to a SOAP %s request\",\"steps\":[{\"json2xml\":"
		    "\"lossless\"},{\"xslt\":\"%s-request.xsl\"},{\"soap_wrap\":"
		    "{\"version\":\"%s\"", op->file, s.soap12 ? "1.2" : "1.1",
		    op->file, s.soap12 ? "1.2" : "1.1");
		if (op->action != NULL) {
			/* a '$' first would start a variable: "$$" is one */
			(void)gw_buf_puts(&b, ",\"action\":\"", NULL);
			if (op->action[0] == '$')
				(void)gw_buf_putc(&b, '$', NULL);
			(void)gw_json_escape_append(&b, op->action,
			    strlen(op->action), NULL);
			(void)gw_buf_putc(&b, '"', NULL);
		}
		(void)gw_buf_puts(&b, "}}]}", NULL);
		(void)snprintf(name, sizeof(name), "%s-request.json", op->file);
		if (json_file(o->dir, name, &b, report, err) == -1)
			goto out;
		gw_buf_reset(&b);
		(void)gw_buf_printf(&b, NULL, "{\"description\":\"operation %s: "
		    "the SOAP answer as JSON; faults become problem "
		    "documents\",\"steps\":[{\"soap_unwrap\":{}},{\"xslt\":"
		    "\"%s-response.xsl\"},{\"xml2json\":\"lossless\"}]}",
		    op->file, op->file);
		(void)snprintf(name, sizeof(name), "%s-response.json",
		    op->file);
		if (json_file(o->dir, name, &b, report, err) == -1)
			goto out;
		(void)gw_buf_printf(&cfg, NULL, "%s{\"name\":", i > 0 ? "," :
		    "");
		oa_str(&cfg, op->name);
		(void)gw_buf_printf(&cfg, NULL, ",\"match\":{\"path\":\"%s/%s\","
		    "\"methods\":[\"POST\"]},\"proxy\":{\"upstream\":\"service\","
		    "\"path\":", prefix, op->file);
		oa_str(&cfg, upath);
		(void)gw_buf_printf(&cfg, NULL, "},\"policies\":[{\"mediate\":{"
		    "\"request\":\"%s-request.json\",\"response\":"
		    "\"%s-response.json\"}}]}", op->file, op->file);
	}
	if (gw_buf_puts(&cfg, "]}", err) == -1 ||
	    json_file(o->dir, "gw.json", &cfg, report, err) == -1)
		goto out;
	gw_buf_reset(&b);
	if (openapi(&s, prefix, &b, err) == -1 ||
	    write_file(o->dir, "openapi.json", &b, report, err) == -1)
		goto out;
	if (gw_buf_append_str(report, gw_buf_str(&m.warnings), err) == -1)
		goto out;
	rc = 0;
 out:
	gw_buf_release(&b);
	gw_buf_release(&cfg);
	service_free(&s);
	model_free(&m);
	return rc;
}
