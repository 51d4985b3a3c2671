/*
 * jsonxml-schema.c: which elements an XML Schema lets repeat, so that the
 * friendly XML -> JSON conversion makes arrays of them even when a
 * document holds one.
 *
 * Elements repeat when their maxOccurs, or that of a sequence, choice,
 * all or group reference around them (up to the enclosing element), is
 * above 1 or "unbounded".  Local elements are qualified as the schema says
 * (form, elementFormDefault); references name what they refer to.  Groups
 * referenced as repeating are expanded in further passes, as often as new
 * ones turn up.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jsonxml-int.h"
#include "jsonxml.h"
#include "xml.h"

#define WSDL_NS		"http://schemas.xmlsoap.org/wsdl/"
#define MAX_FILES	256

struct gw_jx_schema {
	struct gw_jxi_keys	 set;		/* "uri\0local" */
};

struct sload {
	struct gw_jx_schema	*s;
	struct gw_xml_doc	*docs[MAX_FILES];
	char			*paths[MAX_FILES];
	size_t			 ndocs;
	struct gw_jxi_keys	 groups;	/* repeating group refs */
	int			 grew;
};

static int
add_name(struct gw_jxi_keys *k, const char *uri, const char *local,
    int *added, struct gw_err *err)
{
	struct gw_buf	b;
	int		rc;

	gw_buf_init(&b, 0);
	if (gw_buf_puts(&b, uri != NULL ? uri : "", err) == -1 ||
	    gw_buf_putc(&b, '\0', err) == -1 ||
	    gw_buf_puts(&b, local, err) == -1) {
		gw_buf_release(&b);
		return -1;
	}
	rc = gw_jxi_keys_add(k, b.p, b.len, err);
	gw_buf_release(&b);
	if (rc == 0 && added != NULL)
		*added = 1;
	return rc == -1 ? -1 : 0;
}

static int
has_name(const struct gw_jxi_keys *k, const char *uri, const char *local)
{
	char	buf[1024];
	size_t	ul = uri != NULL ? strlen(uri) : 0, ll = strlen(local);

	if (ul + 1 + ll > sizeof(buf))
		return 0;
	if (ul > 0)
		memcpy(buf, uri, ul);
	buf[ul] = '\0';
	memcpy(buf + ul + 1, local, ll);
	return gw_jxi_keys_has(k, buf, ul + 1 + ll);
}

static int
repeats(const struct gw_xml_node *n)
{
	const char	*m = gw_xml_attr_get(n, NULL, "maxOccurs");
	char		*end;
	unsigned long	 v;

	if (m == NULL)
		return 0;
	if (strcmp(m, "unbounded") == 0)
		return 1;
	v = strtoul(m, &end, 10);
	return *end == '\0' && v > 1;
}

static int
is_xsd(const struct gw_xml_node *n, const char *local)
{
	return gw_xml_is(n, GW_XML_NS_XSD, local);
}

struct scope {
	const char	*tns;
	int		 qualified;	/* elementFormDefault */
};

static int
walk(struct sload *l, const struct gw_xml_node *node, const struct scope *sc,
    int top, int rep, struct gw_err *err)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(node); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *uri = gw_xml_uri(c), *local = gw_xml_local(c);

		if (uri == NULL || strcmp(uri, GW_XML_NS_XSD) != 0)
			continue;
		if (strcmp(local, "element") == 0) {
			int		 r = rep || repeats(c);
			const char	*ref = gw_xml_attr_get(c, NULL, "ref");
			const char	*name = gw_xml_attr_get(c, NULL, "name");

			if (r && ref != NULL) {
				const char *u, *lo;

				if (gw_xml_qname(c, ref, &u, &lo, NULL) == 0 &&
				    add_name(&l->s->set, u, lo, NULL, err) == -1)
					return -1;
			} else if (r && name != NULL) {
				const char	*form = gw_xml_attr_get(c, NULL,
						    "form");
				int		 q = top ? 1 : form != NULL ?
						    strcmp(form, "qualified") ==
						    0 : sc->qualified;

				if (add_name(&l->s->set, q ? sc->tns : NULL,
				    name, NULL, err) == -1)
					return -1;
			}
			if (walk(l, c, sc, 0, 0, err) == -1)
				return -1;
		} else if (strcmp(local, "sequence") == 0 ||
		    strcmp(local, "choice") == 0 ||
		    strcmp(local, "all") == 0) {
			if (walk(l, c, sc, 0, rep || repeats(c), err) == -1)
				return -1;
		} else if (strcmp(local, "group") == 0) {
			const char *ref = gw_xml_attr_get(c, NULL, "ref");

			if (ref != NULL && (rep || repeats(c))) {
				const char *u, *lo;

				if (gw_xml_qname(c, ref, &u, &lo, NULL) == 0 &&
				    add_name(&l->groups, u, lo, &l->grew,
				    err) == -1)
					return -1;
			}
			if (ref == NULL && walk(l, c, sc, 0, 0, err) == -1)
				return -1;
		} else if (strcmp(local, "annotation") != 0) {
			if (walk(l, c, sc, top && strcmp(local, "redefine") ==
			    0, rep, err) == -1)
				return -1;
		}
	}
	return 0;
}

/* Groups found repeating: their elements repeat. */
static int
expand_groups(struct sload *l, const struct gw_xml_node *schema,
    const struct scope *sc, struct gw_err *err)
{
	for (struct gw_xml_node *c = gw_xml_first_elem(schema); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *name = gw_xml_attr_get(c, NULL, "name");

		if (is_xsd(c, "group") && name != NULL &&
		    has_name(&l->groups, sc->tns, name) &&
		    walk(l, c, sc, 0, 1, err) == -1)
			return -1;
	}
	return 0;
}

static int	load_file(struct sload *, const char *, const char *,
		    struct gw_err *);

/* A schemaLocation relative to the file that names it. */
static int
load_rel(struct sload *l, const char *base, const char *loc,
    struct gw_err *err)
{
	char		 path[PATH_MAX];
	const char	*slash;

	if (strstr(loc, "://") != NULL)
		return gw_err_set(err, GW_E_UNSUPPORTED, "%s: only local "
		    "files can be imported, not '%s'", base, loc);
	if (loc[0] == '/' || (slash = strrchr(base, '/')) == NULL) {
		if (snprintf(path, sizeof(path), "%s", loc) >=
		    (int)sizeof(path))
			return gw_err_set(err, GW_E_INVAL, "path too long");
	} else if (snprintf(path, sizeof(path), "%.*s/%s",
	    (int)(slash - base), base, loc) >= (int)sizeof(path))
		return gw_err_set(err, GW_E_INVAL, "path too long");
	return load_file(l, path, base, err);
}

static void
scope_of(const struct gw_xml_node *schema, struct scope *sc)
{
	const char *efd = gw_xml_attr_get(schema, NULL, "elementFormDefault");

	sc->tns = gw_xml_attr_get(schema, NULL, "targetNamespace");
	if (sc->tns != NULL && sc->tns[0] == '\0')
		sc->tns = NULL;
	sc->qualified = efd != NULL && strcmp(efd, "qualified") == 0;
}

static int
do_schema(struct sload *l, const struct gw_xml_node *schema,
    const char *path, struct gw_err *err)
{
	struct scope sc;

	scope_of(schema, &sc);
	for (struct gw_xml_node *c = gw_xml_first_elem(schema); c != NULL;
	    c = gw_xml_next_elem(c)) {
		const char *loc = gw_xml_attr_get(c, NULL, "schemaLocation");

		if ((is_xsd(c, "include") || is_xsd(c, "import") ||
		    is_xsd(c, "redefine")) && loc != NULL &&
		    load_rel(l, path, loc, err) == -1)
			return -1;
	}
	return walk(l, schema, &sc, 1, 0, err);
}

static int
load_file(struct sload *l, const char *path, const char *from,
    struct gw_err *err)
{
	struct gw_xml_doc	*doc;
	struct gw_xml_node	*root;
	char			*real;

	if ((real = realpath(path, NULL)) == NULL) {
		if (from != NULL)
			return gw_err_sys(err, "%s: cannot open '%s'", from,
			    path);
		return gw_err_sys(err, "cannot open '%s'", path);
	}
	for (size_t i = 0; i < l->ndocs; i++)
		if (strcmp(l->paths[i], real) == 0) {
			free(real);
			return 0;
		}
	if (l->ndocs == MAX_FILES) {
		free(real);
		return gw_err_set(err, GW_E_LIMIT, "more than %d schema files",
		    MAX_FILES);
	}
	if (gw_xml_load(path, 0, &doc, err) == -1) {
		free(real);
		return -1;
	}
	l->docs[l->ndocs] = doc;
	l->paths[l->ndocs++] = real;
	root = gw_xml_root(doc);
	if (is_xsd(root, "schema"))
		return do_schema(l, root, path, err);
	if (gw_xml_is(root, WSDL_NS, "definitions")) {
		for (struct gw_xml_node *c = gw_xml_first_elem(root); c != NULL;
		    c = gw_xml_next_elem(c)) {
			const char *loc;

			if (gw_xml_is(c, WSDL_NS, "import") &&
			    (loc = gw_xml_attr_get(c, NULL, "location")) !=
			    NULL && load_rel(l, path, loc, err) == -1)
				return -1;
			if (!gw_xml_is(c, WSDL_NS, "types"))
				continue;
			for (struct gw_xml_node *s = gw_xml_first_elem(c);
			    s != NULL; s = gw_xml_next_elem(s))
				if (is_xsd(s, "schema") &&
				    do_schema(l, s, path, err) == -1)
					return -1;
		}
		return 0;
	}
	return gw_err_set(err, GW_E_PROTO, "%s: not an XML Schema or a WSDL "
	    "(root element '%s')", path, gw_xml_local(root));
}

/* Every xs:schema of the loaded files, for the group passes. */
static int
each_schema(struct sload *l, struct gw_err *err)
{
	for (size_t i = 0; i < l->ndocs; i++) {
		struct gw_xml_node *root = gw_xml_root(l->docs[i]);

		if (is_xsd(root, "schema")) {
			struct scope sc;

			scope_of(root, &sc);
			if (expand_groups(l, root, &sc, err) == -1)
				return -1;
			continue;
		}
		for (struct gw_xml_node *c = gw_xml_first_elem(root); c != NULL;
		    c = gw_xml_next_elem(c)) {
			if (!gw_xml_is(c, WSDL_NS, "types"))
				continue;
			for (struct gw_xml_node *s = gw_xml_first_elem(c);
			    s != NULL; s = gw_xml_next_elem(s)) {
				struct scope sc;

				if (!is_xsd(s, "schema"))
					continue;
				scope_of(s, &sc);
				if (expand_groups(l, s, &sc, err) == -1)
					return -1;
			}
		}
	}
	return 0;
}

int
gw_jx_schema_load(const char *path, struct gw_jx_schema **out,
    struct gw_err *err)
{
	struct sload	l;
	int		rc = -1;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	gw_jxi_keys_init(&l.groups);
	if ((l.s = calloc(1, sizeof(*l.s))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	gw_jxi_keys_init(&l.s->set);
	if (load_file(&l, path, NULL, err) == -1)
		goto out;
	/* as long as repeating groups turn up, expand them */
	for (int pass = 0; pass < 16 && l.groups.n > 0; pass++) {
		size_t before = l.s->set.n, groups = l.groups.n;

		if (each_schema(&l, err) == -1)
			goto out;
		if (l.s->set.n == before && l.groups.n == groups)
			break;
	}
	*out = l.s;
	l.s = NULL;
	rc = 0;
 out:
	gw_jx_schema_free(l.s);
	for (size_t i = 0; i < l.ndocs; i++) {
		gw_xml_doc_free(l.docs[i]);
		free(l.paths[i]);
	}
	gw_jxi_keys_release(&l.groups);
	return rc;
}

void
gw_jx_schema_free(struct gw_jx_schema *s)
{
	if (s == NULL)
		return;
	gw_jxi_keys_release(&s->set);
	free(s);
}

int
gw_jx_schema_repeats(const struct gw_jx_schema *s, const char *uri,
    const char *local)
{
	return s != NULL && has_name(&s->set, uri, local);
}

size_t
gw_jx_schema_count(const struct gw_jx_schema *s)
{
	return s != NULL ? s->set.n : 0;
}
