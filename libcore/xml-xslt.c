/*
 * xml-xslt.c: XSLT 1.0 stylesheets through libxslt (and EXSLT), compiled
 * once, cached, and run under security preferences.
 *
 * The cache is a list of compiled stylesheets keyed by real path and flags,
 * each remembering the identity (device, inode, size, modification time)
 * of every file that went into it: the stylesheet and what it imports or
 * includes.  A load finds an entry only if none of them changed.  Entries
 * leave the list when their last reference goes.
 *
 * Security: one set of preferences serves as libxslt's default (checked
 * for xsl:import and xsl:include) and as every transformation's (checked
 * for document() and exsl:document).  Which folder reads are allowed in is
 * the stylesheet's, kept in a static while it compiles or runs: the
 * processes of the toolkit have one thread.  Every file libxslt would load
 * comes through our loader, which parses with the safe options instead of
 * libxslt's (which substitute entities and load DTDs).
 *
 * libxslt's messages come through the generic error function into the
 * sink (xml-int.h) as text: a "compilation error: file F line N element E"
 * or "runtime error: ..." line, then the message.  Lines outside such a
 * pair are xsl:message output.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libexslt/exslt.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxslt/documents.h>
#include <libxslt/imports.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "xml-int.h"
#include "xml.h"

/* The files a compiled stylesheet came from. */
struct dep {
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

struct gw_xslt {
	int			 refs;
	xsltStylesheetPtr	 style;
	char			*path;		/* as given */
	char			*key;		/* real path; NULL: not cached */
	char			*dir;		/* reads are allowed under it */
	unsigned		 flags;
	struct dep		*deps;
	size_t			 ndeps;
	struct gw_xslt		*next;
};

static struct gw_xslt		*cache;
static xsltSecurityPrefsPtr	 prefs;
/* While a stylesheet compiles or runs: its folder and flags, its deps. */
static const char		*cur_dir;
static unsigned			 cur_flags;
static struct gw_xslt		*cur_compile;
static gw_xslt_message_fn	*msg_fn;
static void			*msg_arg;

static int	check_read_file(xsltSecurityPrefsPtr, xsltTransformContextPtr,
		    const char *);
static int	check_read_net(xsltSecurityPrefsPtr, xsltTransformContextPtr,
		    const char *);
static xmlDocPtr loader(const xmlChar *, xmlDictPtr, int, void *,
		    xsltLoadType);

static void
no_debug(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void
xslt_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	gw_xmli_init();
	xsltInit();
	exsltRegisterAll();
	xsltSetGenericErrorFunc(NULL, gw_xmli_generic);
	xsltSetGenericDebugFunc(NULL, no_debug);
	xsltSetLoaderFunc(loader);
	if ((prefs = xsltNewSecurityPrefs()) != NULL) {
		(void)xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_FILE,
		    check_read_file);
		(void)xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_NETWORK,
		    check_read_net);
		(void)xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_FILE,
		    xsltSecurityForbid);
		(void)xsltSetSecurityPrefs(prefs,
		    XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid);
		(void)xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_NETWORK,
		    xsltSecurityForbid);
		xsltSetDefaultSecurityPrefs(prefs);
	}
}

/* 1 if real (a real path) is dir or below it. */
static int
within(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(real, dir, n) == 0 && (real[n] == '/' ||
	    real[n] == '\0');
}

static int
check_read_file(xsltSecurityPrefsPtr sec, xsltTransformContextPtr ctxt,
    const char *value)
{
	char	real[PATH_MAX], copy[PATH_MAX];

	(void)sec;
	(void)ctxt;
	if (cur_flags & GW_XSLT_READ_ANY)
		return 1;
	if (cur_dir == NULL || value == NULL)
		return 0;
	if (realpath(value, real) == NULL) {
		/* a missing file: allowed if its folder is, to fail later */
		if (snprintf(copy, sizeof(copy), "%s", value) >=
		    (int)sizeof(copy) || realpath(dirname(copy), real) == NULL)
			return 0;
	}
	return within(real, cur_dir);
}

static int
check_read_net(xsltSecurityPrefsPtr sec, xsltTransformContextPtr ctxt,
    const char *value)
{
	(void)sec;
	(void)ctxt;
	(void)value;
	return (cur_flags & GW_XSLT_READ_NET) ? 1 : 0;
}

static int
dep_fill(struct dep *d, const char *path, struct gw_err *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return gw_err_sys(err, "cannot stat '%s'", path);
	if ((d->path = strdup(path)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->size = st.st_size;
	d->mtime = st.st_mtim;
	return 0;
}

static int
dep_same(const struct dep *d)
{
	struct stat st;

	return stat(d->path, &st) == 0 && st.st_dev == d->dev &&
	    st.st_ino == d->ino && st.st_size == d->size &&
	    st.st_mtim.tv_sec == d->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == d->mtime.tv_nsec;
}

static int
dep_add(struct gw_xslt *x, const char *path, struct gw_err *err)
{
	struct dep *d;

	if ((d = reallocarray(x->deps, x->ndeps + 1, sizeof(*d))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	x->deps = d;
	memset(&d[x->ndeps], 0, sizeof(*d));
	if (dep_fill(&d[x->ndeps], path, err) == -1)
		return -1;
	x->ndeps++;
	return 0;
}

/* A file name from what libxslt asks for ("file:///a%20b" or "/a b"). */
static char *
uri_path(const char *uri)
{
	xmlURIPtr	 u;
	char		*p = NULL;

	if ((u = xmlParseURI(uri)) == NULL)
		return strdup(uri);
	if (u->scheme == NULL || strcmp(u->scheme, "file") == 0)
		p = strdup(u->path != NULL ? u->path : uri);
	xmlFreeURI(u);
	return p;
}

/*
 * libxslt's loader, for imports, includes and document(): read the bytes
 * ourselves and parse them safely.  The read rights were checked before.
 */
static xmlDocPtr
loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
    xsltLoadType type)
{
	struct gw_err	 err;
	char		*path, *data = NULL;
	size_t		 len;
	xmlDocPtr	 doc = NULL;

	(void)options;
	(void)ctxt;
	if ((path = uri_path((const char *)uri)) == NULL) {
		/* not a file: only with GW_XSLT_READ_NET, through libxml2 */
		xmlParserInputBufferPtr	in;
		struct gw_buf		b;

		if (!(cur_flags & GW_XSLT_READ_NET)) {
			gw_xmli_sink_error(GW_E_PROTO, "network read of '%s' "
			    "refused", (const char *)uri);
			return NULL;
		}
		if ((in = xmlParserInputBufferCreateFilename((const char *)uri,
		    XML_CHAR_ENCODING_NONE)) == NULL) {
			gw_xmli_sink_error(GW_E_PROTO, "cannot read '%s'",
			    (const char *)uri);
			return NULL;
		}
		gw_buf_init(&b, GW_XML_MAX_FILE_BYTES);
		while (xmlParserInputBufferGrow(in, 64 * 1024) > 0)
			;
		if (xmlBufUse(in->buffer) > 0 && gw_buf_append(&b,
		    xmlBufContent(in->buffer), xmlBufUse(in->buffer),
		    &err) == -1)
			gw_xmli_sink_error(err.code, "'%s': %s",
			    (const char *)uri, err.msg);
		else if ((doc = gw_xmli_read(b.p != NULL ? b.p : "", b.len,
		    (const char *)uri, NULL, dict, &err)) == NULL)
			gw_xmli_sink_error(err.code, "%s", err.msg);
		xmlFreeParserInputBuffer(in);
		gw_buf_release(&b);
		return doc;
	}
	if (gw_xmli_slurp(path, GW_XML_MAX_FILE_BYTES, &data, &len,
	    &err) == -1) {
		gw_xmli_sink_error(err.code, "%s", err.msg);
		goto out;
	}
	if ((doc = gw_xmli_read(data, len, (const char *)uri, NULL, dict,
	    &err)) == NULL) {
		gw_xmli_sink_error(err.code, "%s", err.msg);
		goto out;
	}
	if (type == XSLT_LOAD_STYLESHEET && cur_compile != NULL &&
	    dep_add(cur_compile, path, &err) == -1) {
		gw_xmli_sink_error(err.code, "%s", err.msg);
		xmlFreeDoc(doc);
		doc = NULL;
	}
 out:
	free(data);
	free(path);
	return doc;
}

/*
 * Messages.
 */

/* A context line: "compilation error: file F line N element E". */
static int
context_line(const char *l, size_t len, char *file, size_t filesz,
    long *line)
{
	static const char *const kinds[] = {
		"compilation error", "runtime error", NULL
	};
	const char	*p = NULL, *f, *ln;
	size_t		 k;

	for (k = 0; kinds[k] != NULL; k++)
		if (len >= strlen(kinds[k]) &&
		    strncmp(l, kinds[k], strlen(kinds[k])) == 0) {
			p = l + strlen(kinds[k]);
			break;
		}
	if (p == NULL)
		return 0;
	file[0] = '\0';
	*line = 0;
	if ((f = memmem(p, len - (size_t)(p - l), ": file ", 7)) == NULL)
		return 1;
	f += 7;
	if ((ln = memmem(f, len - (size_t)(f - l), " line ", 6)) == NULL)
		return 1;
	(void)snprintf(file, filesz, "%.*s", (int)(ln - f), f);
	*line = strtol(ln + 6, NULL, 10);
	return 1;
}

/* "Variable 'x' has..." reads "variable 'x' has..." like our messages. */
static void
lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z')
		s[0] = (char)(s[0] - 'A' + 'a');
}

/*
 * Read what libxslt said: the first error as "file:line: message" into
 * first (empty if none), xsl:message lines to the message function unless
 * quiet, the last of them into last.
 */
static void
read_messages(struct gw_buf *text, int quiet, char *first, size_t firstsz,
    char *last, size_t lastsz)
{
	const char	*p = text->p, *end = p != NULL ? p + text->len : NULL;
	int		 after_context = 0, found = 0;
	char		 file[PATH_MAX];
	long		 line = 0;

	first[0] = '\0';
	if (last != NULL)
		last[0] = '\0';
	while (p != NULL && p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		size_t		 len = (size_t)((nl != NULL ? nl : end) - p);
		char		 msg[GW_ERR_MSG_MAX];

		if (context_line(p, len, file, sizeof(file), &line)) {
			after_context = 1;
		} else if (after_context) {
			after_context = 0;
			if (!found) {
				found = 1;
				(void)snprintf(msg, sizeof(msg), "%.*s",
				    (int)len, p);
				lower_first(msg);
				if (file[0] != '\0' && line > 0)
					(void)snprintf(first, firstsz,
					    "%.200s:%ld: %.280s", file, line, msg);
				else if (file[0] != '\0')
					(void)snprintf(first, firstsz,
					    "%.200s: %.280s", file, msg);
				else
					(void)snprintf(first, firstsz, "%s",
					    msg);
			}
		} else {
			(void)snprintf(msg, sizeof(msg), "%.*s", (int)len, p);
			if (last != NULL) {
				(void)snprintf(last, lastsz, "%s", msg);
				lower_first(last);
			}
			if (!quiet && msg_fn != NULL)
				msg_fn(msg_arg, msg);
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

void
gw_xslt_set_message_fn(gw_xslt_message_fn *fn, void *arg)
{
	msg_fn = fn;
	msg_arg = arg;
}

/*
 * Compiling and the cache.
 */

static void
xslt_free(struct gw_xslt *x)
{
	if (x == NULL)
		return;
	if (x->style != NULL)
		xsltFreeStylesheet(x->style);
	for (size_t i = 0; i < x->ndeps; i++)
		free(x->deps[i].path);
	free(x->deps);
	free(x->path);
	free(x->key);
	free(x->dir);
	free(x);
}

struct gw_xslt *
gw_xslt_ref(struct gw_xslt *x)
{
	x->refs++;
	return x;
}

void
gw_xslt_unref(struct gw_xslt *x)
{
	struct gw_xslt **pp;

	if (x == NULL || --x->refs > 0)
		return;
	for (pp = &cache; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	xslt_free(x);
}

size_t
gw_xslt_cache_size(void)
{
	size_t n = 0;

	for (struct gw_xslt *x = cache; x != NULL; x = x->next)
		n++;
	return n;
}

const char *
gw_xslt_path(const struct gw_xslt *x)
{
	return x->path;
}

const char *
gw_xslt_method(const struct gw_xslt *x)
{
	const xmlChar *method;

	XSLT_GET_IMPORT_PTR(method, x->style, method);
	if (method != NULL && (xmlStrEqual(method, (const xmlChar *)"text") ||
	    xmlStrEqual(method, (const xmlChar *)"html")))
		return (const char *)method;
	return "xml";
}

const char *
gw_xslt_media_type(const struct gw_xslt *x)
{
	const xmlChar	*mt;
	const char	*m;

	XSLT_GET_IMPORT_PTR(mt, x->style, mediaType);
	if (mt != NULL)
		return (const char *)mt;
	m = gw_xslt_method(x);
	if (strcmp(m, "text") == 0)
		return "text/plain";
	if (strcmp(m, "html") == 0)
		return "text/html";
	return "application/xml";
}

/* The folder of path, as a real path (malloc'd), or NULL. */
static char *
real_dir(const char *path)
{
	char	copy[PATH_MAX], real[PATH_MAX];

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return NULL;
	if (realpath(dirname(copy), real) == NULL)
		return NULL;
	return strdup(real);
}

/* Compile buf into x (whose path, dir and flags are set). */
static int
compile(struct gw_xslt *x, const char *buf, size_t len, struct gw_err *err)
{
	struct gw_xmli_sink	 s;
	xmlDocPtr		 doc;
	char			 first[GW_ERR_MSG_MAX], last[GW_ERR_MSG_MAX];
	int			 rc = -1;

	gw_xmli_sink_push(&s);
	cur_dir = x->dir;
	cur_flags = x->flags;
	cur_compile = x;
	if ((doc = gw_xmli_read(buf, len, x->path, NULL, NULL, err)) == NULL) {
		if (err != NULL && err->code == GW_E_PROTO)
			err->code = GW_E_CONFIG;
		goto out;
	}
	x->style = xsltParseStylesheetDoc(doc);
	read_messages(&s.xslt, 1, first, sizeof(first), last, sizeof(last));
	/* libxslt lets some errors pass (an unknown xsl: element): not us */
	if (x->style == NULL || x->style->errors > 0 || first[0] != '\0') {
		if (x->style == NULL)
			xmlFreeDoc(doc);
		if (first[0] != '\0' && s.nerr > 0 &&
		    strstr(s.msg, "XPath") == NULL)
			gw_err_set(err, GW_E_CONFIG, "%s (%s)", first, s.msg);
		else if (first[0] != '\0')
			gw_err_set(err, GW_E_CONFIG, "%s", first);
		else if (s.nerr > 0)
			gw_err_set(err, GW_E_CONFIG, "%s: %s", x->path, s.msg);
		else if (last[0] != '\0')
			gw_err_set(err, GW_E_CONFIG, "%s: %s", x->path, last);
		else
			gw_err_set(err, GW_E_CONFIG, "%s: not a stylesheet",
			    x->path);
		goto out;
	}
	rc = 0;
 out:
	cur_dir = NULL;
	cur_flags = 0;
	cur_compile = NULL;
	gw_xmli_sink_pop(&s);
	return rc;
}

int
gw_xslt_parse(const char *buf, size_t len, const char *origin,
    unsigned flags, struct gw_xslt **out, struct gw_err *err)
{
	struct gw_xslt *x;

	*out = NULL;
	xslt_init();
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->path = strdup(origin != NULL ? origin : "(stylesheet)")) ==
	    NULL) {
		xslt_free(x);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	x->refs = 1;
	x->flags = flags;
	if (origin != NULL)
		x->dir = real_dir(origin);
	if (x->dir == NULL && (x->dir = realpath(".", NULL)) == NULL) {
		xslt_free(x);
		return gw_err_sys(err, "cannot find the current directory");
	}
	if (compile(x, buf, len, err) == -1) {
		xslt_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

int
gw_xslt_load(const char *path, unsigned flags, struct gw_xslt **out,
    struct gw_err *err)
{
	struct gw_xslt	*x;
	char		*data = NULL, *key;
	size_t		 len;

	*out = NULL;
	xslt_init();
	if ((key = realpath(path, NULL)) == NULL) {
		int e = errno;

		gw_err_sys(err, "cannot open '%s'", path);
		if (err != NULL && (e == ENOENT || e == ENOTDIR))
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	for (x = cache; x != NULL; x = x->next) {
		int same = strcmp(x->key, key) == 0 && x->flags == flags;

		for (size_t i = 0; same && i < x->ndeps; i++)
			same = dep_same(&x->deps[i]);
		if (same) {
			free(key);
			*out = gw_xslt_ref(x);
			return 0;
		}
	}
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->path = strdup(path)) == NULL) {
		free(x);
		free(key);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	x->key = key;
	x->refs = 1;
	x->flags = flags;
	if ((x->dir = real_dir(key)) == NULL) {
		gw_err_sys(err, "cannot resolve the folder of '%s'", path);
		goto fail;
	}
	if (dep_add(x, key, err) == -1 ||
	    gw_xmli_slurp(path, GW_XML_MAX_FILE_BYTES, &data, &len, err) == -1)
		goto fail;
	if (compile(x, data, len, err) == -1)
		goto fail;
	free(data);
	x->next = cache;
	cache = x;
	*out = x;
	return 0;
 fail:
	free(data);
	xslt_free(x);
	return -1;
}

/*
 * Running.
 */

/* name and an XPath expression that gives the string value literally. */
static char *
quote_param(const char *value)
{
	struct gw_buf	 b;
	const char	*p;

	gw_buf_init(&b, 0);
	if (strchr(value, '\'') == NULL) {
		if (gw_buf_printf(&b, NULL, "'%s'", value) == -1)
			goto fail;
	} else if (strchr(value, '"') == NULL) {
		if (gw_buf_printf(&b, NULL, "\"%s\"", value) == -1)
			goto fail;
	} else {
		/* both quotes: concat('a', "'", 'b') */
		if (gw_buf_puts(&b, "concat(''", NULL) == -1)
			goto fail;
		for (p = value; *p != '\0'; ) {
			size_t n = strcspn(p, "'");

			if (gw_buf_printf(&b, NULL, ", '%.*s'", (int)n, p) ==
			    -1)
				goto fail;
			p += n;
			if (*p == '\'') {
				if (gw_buf_puts(&b, ", \"'\"", NULL) == -1)
					goto fail;
				p++;
			}
		}
		if (gw_buf_putc(&b, ')', NULL) == -1)
			goto fail;
	}
	return gw_buf_take(&b, NULL, NULL);
 fail:
	gw_buf_release(&b);
	return NULL;
}

int
gw_xslt_apply(struct gw_xslt *x, struct gw_xml_doc *in,
    const struct gw_xslt_param *params, size_t nparams,
    struct gw_xml_doc **out, struct gw_err *err)
{
	struct gw_xmli_sink	 s;
	xsltTransformContextPtr	 ctxt = NULL;
	xmlDocPtr		 res = NULL;
	const char		**pv = NULL;
	char			**quoted = NULL;
	char			 first[GW_ERR_MSG_MAX], last[GW_ERR_MSG_MAX];
	int			 rc = -1, state;

	*out = NULL;
	xslt_init();
	gw_xmli_sink_push(&s);
	if ((pv = calloc(2 * nparams + 1, sizeof(*pv))) == NULL ||
	    (quoted = calloc(nparams + 1, sizeof(*quoted))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nparams; i++) {
		pv[2 * i] = params[i].name;
		if (params[i].literal) {
			if ((quoted[i] = quote_param(params[i].value)) ==
			    NULL) {
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				goto out;
			}
			pv[2 * i + 1] = quoted[i];
		} else
			pv[2 * i + 1] = params[i].value;
	}
	if ((ctxt = xsltNewTransformContext(x->style, XDOC(in))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (prefs != NULL)
		(void)xsltSetCtxtSecurityPrefs(prefs, ctxt);
	xsltSetTransformErrorFunc(ctxt, NULL, gw_xmli_generic);
	cur_dir = x->dir;
	cur_flags = x->flags;
	res = xsltApplyStylesheetUser(x->style, XDOC(in), pv, NULL, NULL,
	    ctxt);
	cur_dir = NULL;
	cur_flags = 0;
	state = ctxt->state;
	read_messages(&s.xslt, 0, first, sizeof(first), last, sizeof(last));
	if (res == NULL || state == XSLT_STATE_ERROR ||
	    state == XSLT_STATE_STOPPED) {
		if (first[0] != '\0')
			gw_err_set(err, GW_E_PROTO, "%s", first);
		else if (state == XSLT_STATE_STOPPED)
			gw_err_set(err, GW_E_PROTO, "%s: the transformation "
			    "was terminated by xsl:message%s%s", x->path,
			    last[0] != '\0' ? ": " : "", last);
		else if (s.nerr > 0)
			gw_err_set(err, s.code == GW_E_NOMEM ? GW_E_NOMEM :
			    GW_E_PROTO, "%s: %s", x->path, s.msg);
		else if (last[0] != '\0')
			gw_err_set(err, GW_E_PROTO, "%s: %s", x->path, last);
		else
			gw_err_set(err, GW_E_PROTO, "%s: the transformation "
			    "failed", x->path);
		goto out;
	}
	*out = GDOC(res);
	res = NULL;
	rc = 0;
 out:
	xmlFreeDoc(res);
	if (ctxt != NULL)
		xsltFreeTransformContext(ctxt);
	for (size_t i = 0; quoted != NULL && i < nparams; i++)
		free(quoted[i]);
	free(quoted);
	free(pv);
	gw_xmli_sink_pop(&s);
	return rc;
}

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
gw_xslt_serialize(const struct gw_xslt *x, const struct gw_xml_doc *res,
    struct gw_buf *out, struct gw_err *err)
{
	struct gw_xmli_sink		 s;
	struct save_ctx			 sc;
	xmlOutputBufferPtr		 ob;
	xmlCharEncodingHandlerPtr	 enc = NULL;
	const xmlChar			*encoding;
	size_t				 old = out->len;
	int				 rc = -1;

	xslt_init();
	gw_xmli_sink_push(&s);
	memset(&sc, 0, sizeof(sc));
	sc.out = out;
	XSLT_GET_IMPORT_PTR(encoding, x->style, encoding);
	if (encoding != NULL && xmlStrcasecmp(encoding, (const xmlChar *)"UTF-8") != 0)
		enc = xmlFindCharEncodingHandler((const char *)encoding);
	if ((ob = xmlOutputBufferCreateIO(save_write, save_close, &sc, enc)) ==
	    NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if (xsltSaveResultTo(ob, XDOC(res), x->style) < 0 || sc.failed) {
		(void)xmlOutputBufferClose(ob);
		if (sc.failed)
			*err = sc.err;
		else
			gw_err_set(err, GW_E_INTERNAL, "%s: cannot serialise "
			    "the result", x->path);
		out->len = old;
		goto out;
	}
	if (xmlOutputBufferClose(ob) < 0 || sc.failed) {
		if (sc.failed)
			*err = sc.err;
		else
			gw_err_set(err, GW_E_INTERNAL, "%s: cannot serialise "
			    "the result", x->path);
		out->len = old;
		goto out;
	}
	rc = 0;
 out:
	gw_xmli_sink_pop(&s);
	return rc;
}
