/*
 * gw-mediate: JSON <-> XML, XSLT and SOAP in shell pipelines, mediation
 * files, offline tests of mediations, and WSDL -> REST.  Options, input,
 * output and exit codes; the work is libcore's (jsonxml, xml, soap,
 * mediate, wsdl).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "jsonxml.h"
#include "log.h"
#include "mediate.h"
#include "soap.h"
#include "wsdl.h"
#include "xml.h"

#define EX_FAULT	1
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_IOERR	74
#define EX_CONFIG	78

#define MAX_ARGS	64

#define WSA_NS		"http://www.w3.org/2005/08/addressing"

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: gw-mediate [-hV]\n"
	    "       gw-mediate json2xml [--badgerfish] [--duplicates how] "
	    "[--friendly]\n"
	    "                  [--indent] [--namespace uri] [--options file]\n"
	    "                  [--root name] [file]\n"
	    "       gw-mediate xml2json [--badgerfish] [--duplicates how] "
	    "[--friendly]\n"
	    "                  [--indent] [--options file] [--schema file] "
	    "[file]\n"
	    "       gw-mediate xslt [-p name=expr] [--read-any-file]\n"
	    "                  [--stringparam name=value] stylesheet "
	    "[file ...]\n"
	    "       gw-mediate soap-wrap [--action uri] [--soap12] [file]\n"
	    "       gw-mediate soap-unwrap [--detail] [file]\n"
	    "       gw-mediate run [-p name=expr] [--stringparam name=value]\n"
	    "                  [--var name=value] mediation [file]\n"
	    "       gw-mediate test [-v] path ...\n"
	    "       gw-mediate wsdl2rest [-o dir] [--prefix path] "
	    "[--upstream url] wsdl\n");
}

enum {
	O_ACTION = 256,
	O_BADGERFISH,
	O_DETAIL,
	O_DUPLICATES,
	O_FRIENDLY,
	O_INDENT,
	O_NAMESPACE,
	O_OPTIONS,
	O_PREFIX,
	O_READ_ANY,
	O_ROOT,
	O_SCHEMA,
	O_SOAP12,
	O_STRINGPARAM,
	O_UPSTREAM,
	O_VAR
};

enum cmd {
	C_JSON2XML,
	C_XML2JSON,
	C_XSLT,
	C_SOAP_WRAP,
	C_SOAP_UNWRAP,
	C_RUN,
	C_TEST,
	C_WSDL2REST
};

static const char *const cmd_names[] = {
	"json2xml", "xml2json", "xslt", "soap-wrap", "soap-unwrap", "run",
	"test", "wsdl2rest", NULL
};

struct args {
	enum cmd		 cmd;
	int			 friendly, badgerfish, indent, detail, soap12;
	int			 read_any, verbose;
	enum gw_jx_dup		 dup;
	int			 have_dup;
	const char		*options, *root, *ns, *schema, *action;
	const char		*output, *prefix, *upstream;
	struct gw_xslt_param	 params[MAX_ARGS];
	size_t			 nparams;
	char			*vars[MAX_ARGS];
	size_t			 nvars;
};

/* Options each command takes (by getopt value). */
static int
allowed(enum cmd c, int opt)
{
	switch (opt) {
	case O_BADGERFISH:
	case O_DUPLICATES:
	case O_FRIENDLY:
	case O_INDENT:
	case O_OPTIONS:
		return c == C_JSON2XML || c == C_XML2JSON;
	case O_NAMESPACE:
	case O_ROOT:
		return c == C_JSON2XML;
	case O_SCHEMA:
		return c == C_XML2JSON;
	case 'p':
	case O_STRINGPARAM:
		return c == C_XSLT || c == C_RUN;
	case O_READ_ANY:
		return c == C_XSLT;
	case O_ACTION:
	case O_SOAP12:
		return c == C_SOAP_WRAP;
	case O_DETAIL:
		return c == C_SOAP_UNWRAP;
	case O_VAR:
		return c == C_RUN;
	case 'v':
		return c == C_TEST;
	case 'o':
	case O_PREFIX:
	case O_UPSTREAM:
		return c == C_WSDL2REST;
	default:
		return 1;
	}
}

/* Messages of xsl:message go to stderr, as xsltproc has them. */
static void
on_message(void *arg, const char *text)
{
	(void)arg;
	(void)fprintf(stderr, "%s\n", text);
}

/* Read a file (or standard input for NULL and "-") whole. */
static int
read_input(const char *path, struct gw_buf *b, struct gw_err *err)
{
	int	fd = STDIN_FILENO;
	ssize_t	n;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		int e = errno;

		gw_err_sys(err, "cannot open '%s'", path);
		if (e == ENOENT || e == ENOTDIR)
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	for (;;) {
		if (gw_buf_reserve(b, 1024 * 1024, err) == -1)
			goto fail;
		n = read(fd, b->p + b->len, b->cap - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			gw_err_sys(err, "cannot read '%s'", path != NULL ?
			    path : "standard input");
			goto fail;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		(void)close(fd);
	return 0;
 fail:
	if (fd != STDIN_FILENO)
		(void)close(fd);
	return -1;
}

static int
write_out(const char *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, stdout) != len) {
		gw_log_warn("cannot write the output");
		return -1;
	}
	return 0;
}

/* The exit status for an error of libcore's. */
static int
status_of(const struct gw_err *err)
{
	switch (err->code) {
	case GW_E_PROTO:
	case GW_E_LIMIT:
	case GW_E_UNSUPPORTED:
		return EX_DATAERR;
	case GW_E_NOTFOUND:
		return EX_NOINPUT;
	case GW_E_CONFIG:
	case GW_E_INVAL:
		return EX_CONFIG;
	default:
		return EX_SOFTWARE;
	}
}

/* Report err: positions as compilers print them, the rest ours. */
static int
fail(const struct gw_err *err)
{
	if (err->code == GW_E_PROTO || err->code == GW_E_LIMIT ||
	    err->code == GW_E_CONFIG)
		(void)fprintf(stderr, "%s\n", err->msg);
	else
		gw_log_warnx("%s", err->msg);
	return status_of(err);
}

/* The friendly options: the file's, then the command line's over them. */
static int
friendly_options(const struct args *a, struct gw_jx_friendly *f,
    struct gw_err *err)
{
	struct gw_jdoc		*doc = NULL;
	struct gw_jcheck	*ck = NULL;
	int			 rc = -1;

	if (gw_jx_friendly_init(f, a->badgerfish ? GW_JX_PRESET_BADGERFISH :
	    GW_JX_PRESET_APIGEE, err) == -1)
		return -1;
	if (a->options != NULL) {
		if (gw_jdoc_load(a->options, GW_JSON_COMMENTS | GW_JSON_BOM,
		    0, &doc, err) == -1) {
			if (err->code == GW_E_PROTO)
				err->code = GW_E_CONFIG;
			goto out;
		}
		if ((ck = gw_jcheck_new(doc, NULL, err)) == NULL)
			goto out;
		if (gw_jx_friendly_parse(ck, NULL, NULL, gw_jdoc_root(doc),
		    f) == -1 || gw_jcheck_nerrors(ck) > 0) {
			size_t		 len;
			const char	*rep = gw_jcheck_report(ck, &len);

			gw_err_set(err, GW_E_CONFIG, "%.*s", (int)(len > 0 &&
			    rep[len - 1] == '\n' ? len - 1 : len), rep);
			goto out;
		}
		if (a->badgerfish) {
			gw_err_set(err, GW_E_INVAL, "--badgerfish and "
			    "--options: give the preset in the file");
			err->code = GW_E_INVAL;
			goto out;
		}
	}
	if (a->root != NULL) {
		free(f->root);
		if ((f->root = strdup(a->root)) == NULL)
			goto nomem;
	}
	if (a->ns != NULL) {
		free(f->ns);
		if ((f->ns = strdup(a->ns)) == NULL)
			goto nomem;
	}
	if (a->schema != NULL) {
		gw_jx_schema_free(f->schema);
		f->schema = NULL;
		if (gw_jx_schema_load(a->schema, &f->schema, err) == -1) {
			if (err->code != GW_E_NOTFOUND && err->code !=
			    GW_E_NOMEM)
				err->code = GW_E_CONFIG;
			goto out;
		}
	}
	if (a->have_dup)
		f->o.dup = a->dup;
	if (a->indent)
		f->o.flags |= GW_JX_INDENT;
	rc = 0;
	goto out;
 nomem:
	gw_err_set(err, GW_E_NOMEM, "out of memory");
 out:
	if (rc == -1)
		gw_jx_friendly_release(f);
	gw_jcheck_free(ck);
	gw_jdoc_free(doc);
	return rc;
}

/* Output as it is made (see cmd_convert). */
static int
flush_out(void *arg, const char *p, size_t len, struct gw_err *err)
{
	(void)arg;
	if (fwrite(p, 1, len, stdout) != len)
		return gw_err_sys(err, "cannot write the output");
	return 0;
}

static int
cmd_convert(const struct args *a, const char *file)
{
	struct gw_buf		in, out;
	struct gw_err		err;
	struct gw_jx_opts	o;
	struct gw_jx_friendly	f;
	int			rc, friendly = a->friendly || a->badgerfish ||
				    a->options != NULL || a->root != NULL ||
				    a->ns != NULL || a->schema != NULL;

	gw_buf_init(&in, 0);
	gw_buf_init(&out, 0);
	if (read_input(file, &in, &err) == -1) {
		rc = fail(&err);
		goto out;
	}
	if (friendly) {
		if (friendly_options(a, &f, &err) == -1) {
			rc = err.code == GW_E_INVAL ? EX_USAGE : fail(&err);
			if (err.code == GW_E_INVAL)
				gw_log_warnx("%s", err.msg);
			goto out;
		}
		f.o.origin = file;
		/*
		 * XML -> JSON reads the whole document before it writes:
		 * its output can go as it is made, and a document that is
		 * not well-formed still leaves nothing on stdout.
		 */
		if (a->cmd == C_XML2JSON)
			f.o.flush = flush_out;
		rc = a->cmd == C_JSON2XML ? gw_jx_friendly_json_to_xml(in.p,
		    in.len, &f, &out, &err) : gw_jx_friendly_xml_to_json(in.p,
		    in.len, &f, &out, &err);
		gw_jx_friendly_release(&f);
	} else {
		memset(&o, 0, sizeof(o));
		o.dup = a->dup;
		o.flags = a->indent ? GW_JX_INDENT : 0;
		o.origin = file;
		rc = a->cmd == C_JSON2XML ? gw_jx_json_to_xml(in.p, in.len, &o,
		    &out, &err) : gw_jx_xml_to_json(in.p, in.len, &o, &out,
		    &err);
	}
	if (rc == -1) {
		rc = fail(&err);
		goto out;
	}
	rc = write_out(out.p, out.len) == -1 ? EX_IOERR : 0;
 out:
	gw_buf_release(&in);
	gw_buf_release(&out);
	return rc;
}

static int
cmd_xslt(const struct args *a, char **files, int nfiles)
{
	struct gw_xslt		*x = NULL;
	struct gw_err		 err;
	struct gw_buf		 in, out;
	int			 rc = 0;

	gw_buf_init(&in, 0);
	gw_buf_init(&out, 0);
	if (gw_xslt_load(files[0], a->read_any ? GW_XSLT_READ_ANY : 0, &x,
	    &err) == -1) {
		rc = fail(&err);
		goto out;
	}
	for (int i = 1; i < nfiles || i == 1; i++) {
		const char		*file = i < nfiles ? files[i] : NULL;
		struct gw_xml_doc	*doc = NULL, *res = NULL;

		gw_buf_reset(&in);
		gw_buf_reset(&out);
		if (read_input(file, &in, &err) == -1 ||
		    gw_xml_parse(in.p, in.len, file, NULL, &doc, &err) == -1 ||
		    gw_xslt_apply(x, doc, a->params, a->nparams, &res,
		    &err) == -1 || gw_xslt_serialize(x, res, &out,
		    &err) == -1) {
			gw_xml_doc_free(doc);
			gw_xml_doc_free(res);
			rc = fail(&err);
			goto out;
		}
		gw_xml_doc_free(doc);
		gw_xml_doc_free(res);
		if (write_out(out.p, out.len) == -1) {
			rc = EX_IOERR;
			goto out;
		}
		if (nfiles <= 1)
			break;
	}
 out:
	gw_xslt_unref(x);
	gw_buf_release(&in);
	gw_buf_release(&out);
	return rc;
}

static int
cmd_soap(const struct args *a, const char *file)
{
	struct gw_buf		 in, out;
	struct gw_err		 err;
	struct gw_xml_doc	*payload = NULL;
	struct gw_soap_fault	*fault = NULL;
	int			 rc;

	gw_buf_init(&in, 0);
	gw_buf_init(&out, 0);
	if (read_input(file, &in, &err) == -1) {
		rc = fail(&err);
		goto out;
	}
	if (a->cmd == C_SOAP_WRAP) {
		struct gw_soap_wrap	w;
		struct gw_buf		hdr;

		memset(&w, 0, sizeof(w));
		w.version = a->soap12 ? GW_SOAP_12 : GW_SOAP_11;
		gw_buf_init(&hdr, 0);
		if (a->action != NULL) {
			/* the action travels in the envelope: WS-Addressing */
			if (gw_buf_puts(&hdr, "<wsa:Action xmlns:wsa=\""
			    WSA_NS "\">", &err) == -1 ||
			    gw_xml_escape_append(&hdr, a->action,
			    strlen(a->action), 0, &err) == -1 ||
			    gw_buf_puts(&hdr, "</wsa:Action>", &err) == -1 ||
			    gw_buf_cstr(&hdr, &err) == NULL) {
				gw_buf_release(&hdr);
				rc = fail(&err);
				goto out;
			}
			w.header = hdr.p;
		}
		rc = gw_soap_wrap(in.p, in.len, &w, &out, &err);
		gw_buf_release(&hdr);
		if (rc == -1) {
			rc = fail(&err);
			goto out;
		}
		rc = write_out(out.p, out.len) == -1 ? EX_IOERR : 0;
		goto out;
	}
	switch (gw_soap_unwrap(in.p, in.len, file, NULL, &payload, &fault,
	    &err)) {
	case -1:
		rc = fail(&err);
		goto out;
	case 1:
		if (gw_soap_fault_problem(fault, gw_soap_fault_status(fault),
		    a->detail, NULL, &out, &err) == -1 ||
		    gw_buf_putc(&out, '\n', &err) == -1) {
			rc = fail(&err);
			goto out;
		}
		rc = write_out(out.p, out.len) == -1 ? EX_IOERR : EX_FAULT;
		goto out;
	default:
		if (payload != NULL && gw_xml_serialize(payload, 0, &out,
		    &err) == -1) {
			rc = fail(&err);
			goto out;
		}
		rc = write_out(out.p, out.len) == -1 ? EX_IOERR : 0;
	}
 out:
	gw_xml_doc_free(payload);
	gw_soap_fault_free(fault);
	gw_buf_release(&in);
	gw_buf_release(&out);
	return rc;
}

static int
cli_var(void *arg, const char *name, struct gw_buf *out, struct gw_err *err)
{
	const struct args	*a = arg;
	size_t			 nl = strlen(name);

	for (size_t i = 0; i < a->nvars; i++)
		if (strncmp(a->vars[i], name, nl) == 0 &&
		    a->vars[i][nl] == '=')
			return gw_buf_puts(out, a->vars[i] + nl + 1, err) ==
			    -1 ? -1 : 0;
	return 1;
}

static int
cmd_run(const struct args *a, const char *mfile, const char *file)
{
	struct gw_mediation	*m = NULL;
	struct gw_mediate_run	 r;
	struct gw_buf		 in, out, report;
	struct gw_err		 err;
	int			 rc;

	gw_buf_init(&in, 0);
	gw_buf_init(&out, 0);
	gw_buf_init(&report, 0);
	if (gw_mediation_load(mfile, &m, &report, &err) == -1) {
		if (err.code == GW_E_NOTFOUND || report.len == 0)
			rc = fail(&err);
		else {
			(void)fwrite(report.p, 1, report.len, stderr);
			rc = status_of(&err);
		}
		goto out;
	}
	if (read_input(file, &in, &err) == -1) {
		rc = fail(&err);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.input = in.p;
	r.len = in.len;
	r.origin = file;
	r.params = a->params;
	r.nparams = a->nparams;
	r.var = cli_var;
	r.var_arg = (void *)(uintptr_t)a;
	r.out = &out;
	switch (gw_mediation_run(m, &r, &err)) {
	case -1:
		rc = fail(&err);
		break;
	case 1:
		if (gw_buf_putc(&out, '\n', &err) == -1) {
			rc = fail(&err);
			break;
		}
		rc = write_out(out.p, out.len) == -1 ? EX_IOERR : EX_FAULT;
		break;
	default:
		rc = write_out(out.p, out.len) == -1 ? EX_IOERR : 0;
		break;
	}
 out:
	gw_mediation_free(m);
	gw_buf_release(&in);
	gw_buf_release(&out);
	gw_buf_release(&report);
	return rc;
}

static int
cmd_test(const struct args *a, char **paths, int npaths)
{
	struct gw_buf	report;
	struct gw_err	err;
	int		passed = 0, failed = 0, n = 0, rc = 0;

	gw_buf_init(&report, 0);
	for (int i = 0; i < npaths; i++) {
		gw_buf_reset(&report);
		if (gw_mediate_test_path(paths[i], a->verbose, &report, &passed,
		    &failed, &n, &err) == -1) {
			(void)write_out(report.p, report.len);
			(void)fflush(stdout);
			gw_log_warnx("%s", err.msg);
			if (rc == 0)
				rc = status_of(&err);
			continue;
		}
		(void)write_out(report.p, report.len);
	}
	gw_buf_release(&report);
	(void)printf("%d passed, %d failed\n", passed, failed);
	if (rc != 0)
		return rc;
	return failed > 0 ? EX_FAULT : 0;
}

static int
cmd_wsdl2rest(const struct args *a, const char *wsdl)
{
	struct gw_wsdl_rest_opts	o;
	struct gw_buf			report;
	struct gw_err			err;
	int				rc;

	memset(&o, 0, sizeof(o));
	o.dir = a->output != NULL ? a->output : ".";
	o.prefix = a->prefix;
	o.upstream = a->upstream;
	gw_buf_init(&report, 0);
	if ((rc = gw_wsdl_to_rest(wsdl, &o, &report, &err)) == -1) {
		rc = fail(&err);
		gw_buf_release(&report);
		return rc;
	}
	/* the files it wrote, one a line */
	(void)write_out(report.p, report.len);
	gw_buf_release(&report);
	return 0;
}

static int
add_param(struct args *a, char *arg, int literal)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		gw_log_warnx("%s: expected name=value, not '%s'", literal ?
		    "--stringparam" : "-p", arg);
		return -1;
	}
	if (a->nparams == MAX_ARGS) {
		gw_log_warnx("too many parameters");
		return -1;
	}
	*eq = '\0';
	a->params[a->nparams].name = arg;
	a->params[a->nparams].value = eq + 1;
	a->params[a->nparams].literal = literal;
	a->nparams++;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "action", required_argument, NULL, O_ACTION },
		{ "badgerfish", no_argument, NULL, O_BADGERFISH },
		{ "detail", no_argument, NULL, O_DETAIL },
		{ "duplicates", required_argument, NULL, O_DUPLICATES },
		{ "friendly", no_argument, NULL, O_FRIENDLY },
		{ "help", no_argument, NULL, 'h' },
		{ "indent", no_argument, NULL, O_INDENT },
		{ "namespace", required_argument, NULL, O_NAMESPACE },
		{ "options", required_argument, NULL, O_OPTIONS },
		{ "output", required_argument, NULL, 'o' },
		{ "param", required_argument, NULL, 'p' },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "read-any-file", no_argument, NULL, O_READ_ANY },
		{ "root", required_argument, NULL, O_ROOT },
		{ "schema", required_argument, NULL, O_SCHEMA },
		{ "soap12", no_argument, NULL, O_SOAP12 },
		{ "stringparam", required_argument, NULL, O_STRINGPARAM },
		{ "upstream", required_argument, NULL, O_UPSTREAM },
		{ "var", required_argument, NULL, O_VAR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct args	 a;
	int		 ch, c = -1, nargs;
	char		**args;

	memset(&a, 0, sizeof(a));
	gw_log_init("gw-mediate");
	gw_xslt_set_message_fn(on_message, NULL);
	if (argc >= 2 && argv[1][0] != '-') {
		for (int i = 0; cmd_names[i] != NULL; i++)
			if (strcmp(argv[1], cmd_names[i]) == 0)
				c = i;
		if (c == -1) {
			gw_log_warnx("unknown command '%s'", argv[1]);
			usage(stderr);
			return EX_USAGE;
		}
		a.cmd = (enum cmd)c;
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, "ho:p:Vv", longopts, NULL)) !=
	    -1) {
		if (ch != '?' && ch != 'h' && ch != 'V' && (c == -1 ||
		    !allowed(a.cmd, ch))) {
			gw_log_warnx("%s: option not for %s", argv[optind - 1],
			    c == -1 ? "no command" : cmd_names[c]);
			usage(stderr);
			return EX_USAGE;
		}
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			(void)printf("gw-mediate %s\n", GW_VERSION);
			return 0;
		case 'o':
			a.output = optarg;
			break;
		case 'p':
			if (add_param(&a, optarg, 0) == -1)
				return EX_USAGE;
			break;
		case 'v':
			a.verbose = 1;
			break;
		case O_ACTION:
			a.action = optarg;
			break;
		case O_BADGERFISH:
			a.badgerfish = 1;
			break;
		case O_DETAIL:
			a.detail = 1;
			break;
		case O_DUPLICATES:
			a.have_dup = 1;
			if (strcmp(optarg, "reject") == 0)
				a.dup = GW_JX_DUP_REJECT;
			else if (strcmp(optarg, "first") == 0)
				a.dup = GW_JX_DUP_FIRST;
			else if (strcmp(optarg, "all") == 0)
				a.dup = GW_JX_DUP_ALL;
			else {
				gw_log_warnx("--duplicates: expected reject, "
				    "first or all");
				return EX_USAGE;
			}
			break;
		case O_FRIENDLY:
			a.friendly = 1;
			break;
		case O_INDENT:
			a.indent = 1;
			break;
		case O_NAMESPACE:
			a.ns = optarg;
			break;
		case O_OPTIONS:
			a.options = optarg;
			break;
		case O_PREFIX:
			a.prefix = optarg;
			break;
		case O_READ_ANY:
			a.read_any = 1;
			break;
		case O_ROOT:
			if (!gw_xml_valid_name(optarg, strlen(optarg), 1)) {
				gw_log_warnx("--root: '%s' is not an XML name",
				    optarg);
				return EX_USAGE;
			}
			a.root = optarg;
			break;
		case O_SCHEMA:
			a.schema = optarg;
			break;
		case O_SOAP12:
			a.soap12 = 1;
			break;
		case O_STRINGPARAM:
			if (add_param(&a, optarg, 1) == -1)
				return EX_USAGE;
			break;
		case O_UPSTREAM:
			a.upstream = optarg;
			break;
		case O_VAR:
			if (strchr(optarg, '=') == NULL || a.nvars == MAX_ARGS) {
				gw_log_warnx("--var: expected name=value");
				return EX_USAGE;
			}
			a.vars[a.nvars++] = optarg;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (c == -1) {
		if (nargs > 0)
			gw_log_warnx("unknown command '%s'", args[0]);
		usage(stderr);
		return EX_USAGE;
	}
	if (a.friendly && a.badgerfish) {
		gw_log_warnx("--friendly and --badgerfish do not go together");
		return EX_USAGE;
	}
	switch (a.cmd) {
	case C_JSON2XML:
	case C_XML2JSON:
	case C_SOAP_WRAP:
	case C_SOAP_UNWRAP:
		if (nargs > 1)
			break;
		if (a.cmd == C_SOAP_WRAP || a.cmd == C_SOAP_UNWRAP)
			return cmd_soap(&a, nargs == 1 ? args[0] : NULL);
		return cmd_convert(&a, nargs == 1 ? args[0] : NULL);
	case C_XSLT:
		if (nargs < 1)
			break;
		return cmd_xslt(&a, args, nargs);
	case C_RUN:
		if (nargs < 1 || nargs > 2)
			break;
		return cmd_run(&a, args[0], nargs == 2 ? args[1] : NULL);
	case C_TEST:
		if (nargs < 1)
			break;
		return cmd_test(&a, args, nargs);
	case C_WSDL2REST:
		if (nargs != 1)
			break;
		return cmd_wsdl2rest(&a, args[0]);
	}
	gw_log_warnx("%s: wrong number of arguments", cmd_names[c]);
	usage(stderr);
	return EX_USAGE;
}
