/*
 * gw-audit: scan documents and requests for threats.  Options, files, the
 * report and exit codes; the scanning is libcore's (audit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "json.h"
#include "log.h"

#define EX_FINDINGS	1
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_CONFIG	78

#define CHUNK		(64 * 1024)

/* Options without a short form. */
enum {
	OPT_NO_JIT = 256,
	OPT_NO_PREFILTER,
	OPT_MAX			/* --max-*: OPT_MAX + index in maxopts[] */
};

/* The numeric knobs, as --max-... options. */
static const char *const maxopts[] = {
	"max_bytes", "max_json_depth", "max_json_entries", "max_json_items",
	"max_json_key", "max_json_string", "max_json_number",
	"max_xml_depth", "max_xml_children", "max_xml_attributes",
	"max_xml_namespaces", "max_xml_element_name",
	"max_xml_attribute_name", "max_xml_prefix", "max_xml_pi_target",
	"max_xml_text", "max_xml_attribute_value", "max_xml_namespace_uri",
	"max_xml_comment", "max_xml_pi_data", "max_xml_nodes",
	"max_xml_entities", "max_xml_entity_refs",
	"max_xml_entity_expansion", "max_xml_entity_ratio", "max_params",
	"max_param_name", "max_param_value",
};

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: gw-audit [-hjqV] [-f format] [-L file] [-p level] "
	    "[-r file]\n"
	    "                [--max-bytes n] [--max-json-depth n] "
	    "[--max-json-entries n]\n"
	    "                [--max-json-items n] [--max-json-key n] "
	    "[--max-json-number n]\n"
	    "                [--max-json-string n] [--max-param-name n] "
	    "[--max-param-value n]\n"
	    "                [--max-params n] [--max-xml-attribute-name n]\n"
	    "                [--max-xml-attribute-value n] "
	    "[--max-xml-attributes n]\n"
	    "                [--max-xml-children n] [--max-xml-comment n] "
	    "[--max-xml-depth n]\n"
	    "                [--max-xml-element-name n] "
	    "[--max-xml-entities n]\n"
	    "                [--max-xml-entity-expansion n] "
	    "[--max-xml-entity-ratio n]\n"
	    "                [--max-xml-entity-refs n] "
	    "[--max-xml-namespace-uri n]\n"
	    "                [--max-xml-namespaces n] [--max-xml-nodes n] "
	    "[--max-xml-pi-data n]\n"
	    "                [--max-xml-pi-target n] [--max-xml-prefix n] "
	    "[--max-xml-text n]\n"
	    "                [--no-jit] [--no-prefilter] [file ...]\n");
}

struct run {
	const char	*name;		/* of the input, for the report */
	int		 json;
	int		 quiet;
	struct gw_buf	 out;
	int		 werr;		/* stdout failed */
};

static int
on_finding(void *arg, const struct gw_audit_finding *f)
{
	struct run	*r = arg;
	struct gw_buf	*b = &r->out;

	if (r->quiet)
		return 0;
	gw_buf_reset(b);
	if (r->json) {
		if (gw_buf_puts(b, "{\"file\":\"", NULL) == -1 ||
		    gw_json_escape_append(b, r->name, strlen(r->name),
		    NULL) == -1 || gw_buf_puts(b, "\",\"finding\":", NULL) ==
		    -1 || gw_audit_finding_json(b, f, NULL) == -1 ||
		    gw_buf_puts(b, "}\n", NULL) == -1)
			return 0;
	} else {
		(void)gw_buf_puts(b, r->name, NULL);
		if (f->line > 0)
			(void)gw_buf_printf(b, NULL, ":%u:%u", f->line, f->col);
		(void)gw_buf_printf(b, NULL, ": %s: %s: %s",
		    gw_audit_severity_name(f->severity), f->id, f->message);
		if (f->where[0] != '\0')
			(void)gw_buf_printf(b, NULL, " at %s", f->where);
		if (f->excerpt.len > 0) {
			(void)gw_buf_puts(b, " \"", NULL);
			for (size_t i = 0; i < f->excerpt.len; i++) {
				unsigned char c = (unsigned char)f->excerpt.p[i];

				if (c < 0x20 || c == 0x7f || c == '"' ||
				    c == '\\')
					(void)gw_buf_printf(b, NULL, "\\x%02x",
					    c);
				else
					(void)gw_buf_putc(b, c, NULL);
			}
			(void)gw_buf_putc(b, '"', NULL);
		}
		(void)gw_buf_putc(b, '\n', NULL);
	}
	if (fwrite(b->p, 1, b->len, stdout) != b->len)
		r->werr = 1;
	return 0;
}

/* Scan one input; returns the exit status it deserves. */
static int
scan_fd(int fd, struct run *r, enum gw_audit_format fmt,
    const struct gw_audit_opts *base)
{
	struct gw_audit_opts		 o = *base;
	struct gw_audit_scan		*s;
	const struct gw_audit_result	*res;
	struct gw_err			 err;
	char				*buf;
	ssize_t				 n;
	int				 rc = 0;

	o.fn = on_finding;
	o.arg = r;
	if ((buf = malloc(CHUNK)) == NULL) {
		gw_log_warnx("out of memory");
		return EX_SOFTWARE;
	}
	if ((s = gw_audit_scan_new(fmt, &o, &err)) == NULL) {
		gw_log_warnx("%s: %s", r->name, err.msg);
		free(buf);
		return EX_SOFTWARE;
	}
	for (;;) {
		n = read(fd, buf, CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			gw_log_warn("cannot read '%s'", r->name);
			rc = EX_NOINPUT;
			goto out;
		}
		if (n == 0)
			break;
		if (gw_audit_scan_feed(s, buf, (size_t)n, &err) == -1) {
			gw_log_warnx("%s: %s", r->name, err.msg);
			rc = EX_SOFTWARE;
			goto out;
		}
	}
	if (gw_audit_scan_end(s, &err) == -1) {
		gw_log_warnx("%s: %s", r->name, err.msg);
		rc = EX_SOFTWARE;
		goto out;
	}
	res = gw_audit_scan_result(s);
	if (res->malformed)
		rc = EX_DATAERR;
	else if (res->findings > 0)
		rc = EX_FINDINGS;
 out:
	gw_audit_scan_free(s);
	free(buf);
	return rc;
}

/* Of two exit statuses, the one that says more. */
static int
worst(int a, int b)
{
	static const int order[] = { 0, EX_FINDINGS, EX_DATAERR, EX_NOINPUT,
	    EX_SOFTWARE };
	int ia = 0, ib = 0;

	for (int i = 0; i < (int)GW_ARRAY_LEN(order); i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}

int
main(int argc, char **argv)
{
	struct option		 longopts[GW_ARRAY_LEN(maxopts) + 12];
	static const struct option fixed[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "limits", required_argument, NULL, 'L' },
		{ "no-jit", no_argument, NULL, OPT_NO_JIT },
		{ "no-prefilter", no_argument, NULL, OPT_NO_PREFILTER },
		{ "paranoia", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rules", required_argument, NULL, 'r' },
		{ "version", no_argument, NULL, 'V' },
	};
	char			 names[GW_ARRAY_LEN(maxopts)][40];
	struct gw_audit_limits	 lim;
	struct gw_audit_rules	*rules = NULL;
	struct gw_audit_opts	 o;
	enum gw_audit_format	 fmt = GW_AUDIT_AUTO;
	struct gw_err		 err;
	struct run		 r;
	const char		*rules_path = NULL;
	const char		*sets[GW_ARRAY_LEN(maxopts)];
	int			 ch, rc = 0, paranoia = 1, nojit = 0;
	int			 nopre = 0;
	size_t			 nl = 0;

	gw_log_init("gw-audit");
	memset(&r, 0, sizeof(r));
	memset(sets, 0, sizeof(sets));
	gw_buf_init(&r.out, 0);
	gw_audit_limits_default(&lim);
	for (size_t i = 0; i < GW_ARRAY_LEN(fixed); i++)
		longopts[nl++] = fixed[i];
	for (size_t i = 0; i < GW_ARRAY_LEN(maxopts); i++) {
		/* "max_json_depth" is --max-json-depth */
		size_t k;

		for (k = 0; maxopts[i][k] != '\0' && k + 1 < sizeof(names[i]);
		    k++)
			names[i][k] = maxopts[i][k] == '_' ? '-' :
			    maxopts[i][k];
		names[i][k] = '\0';
		longopts[nl].name = names[i];
		longopts[nl].has_arg = required_argument;
		longopts[nl].flag = NULL;
		longopts[nl].val = OPT_MAX + (int)i;
		nl++;
	}
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	while ((ch = getopt_long(argc, argv, "f:hjL:p:qr:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (gw_audit_format_parse(optarg, &fmt) == -1 ||
			    fmt == GW_AUDIT_FORM || fmt == GW_AUDIT_RAW) {
				gw_log_warnx("-f: expected auto, json, xml, "
				    "text or http, not '%s'", optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			r.json = 1;
			break;
		case 'L':
			if (gw_audit_limits_load(&lim, optarg, &err) == -1) {
				gw_log_warnx("%s", err.msg);
				return err.code == GW_E_NOTFOUND ? EX_NOINPUT :
				    EX_CONFIG;
			}
			break;
		case 'p':
			if (optarg[0] < '1' || optarg[0] > '4' ||
			    optarg[1] != '\0') {
				gw_log_warnx("-p: expected 1 to 4, not '%s'",
				    optarg);
				return EX_USAGE;
			}
			paranoia = optarg[0] - '0';
			break;
		case 'q':
			r.quiet = 1;
			break;
		case 'r':
			rules_path = optarg;
			break;
		case 'V':
			(void)printf("gw-audit %s\n", GW_VERSION);
			return 0;
		case OPT_NO_JIT:
			nojit = 1;
			break;
		case OPT_NO_PREFILTER:
			nopre = 1;
			break;
		default:
			if (ch >= OPT_MAX && ch < OPT_MAX +
			    (int)GW_ARRAY_LEN(maxopts)) {
				sets[ch - OPT_MAX] = optarg;
				break;
			}
			usage(stderr);
			return EX_USAGE;
		}
	}
	/* single options win over a limits file, wherever they stand */
	for (size_t i = 0; i < GW_ARRAY_LEN(maxopts); i++)
		if (sets[i] != NULL && gw_audit_limits_set(&lim, maxopts[i],
		    sets[i], &err) == -1) {
			gw_log_warnx("--%s: %s", names[i], err.msg);
			return EX_USAGE;
		}
	if (rules_path != NULL && gw_audit_rules_load(rules_path,
	    nojit ? GW_AUDIT_NO_JIT : 0, &rules, &err) == -1) {
		gw_log_warnx("%s", err.msg);
		return err.code == GW_E_NOTFOUND ? EX_NOINPUT : EX_CONFIG;
	}
	memset(&o, 0, sizeof(o));
	o.limits = &lim;
	o.rules = rules;
	o.paranoia = paranoia;
	o.flags = nopre ? GW_AUDIT_NO_PREFILTER : 0;
	if (optind == argc) {
		r.name = "-";
		rc = scan_fd(STDIN_FILENO, &r, fmt, &o);
	}
	for (int i = optind; i < argc; i++) {
		int fd, one;

		r.name = argv[i];
		if (strcmp(argv[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			gw_log_warn("cannot open '%s'", argv[i]);
			rc = worst(rc, EX_NOINPUT);
			continue;
		}
		one = scan_fd(fd, &r, fmt, &o);
		if (fd != STDIN_FILENO)
			(void)close(fd);
		rc = worst(rc, one);
	}
	if (fflush(stdout) == EOF || r.werr) {
		gw_log_warn("cannot write the report");
		rc = worst(rc, EX_SOFTWARE);
	}
	gw_buf_release(&r.out);
	gw_audit_rules_free(rules);
	return rc;
}
