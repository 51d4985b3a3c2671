/*
 * gw-orchestrate: run an orchestration script (gw-orchestrate(5)) once,
 * live, recording, or from recordings, or check it.  Options, I/O and exit
 * codes; the rest is libcore (orch.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "orch.h"

#define EX_FAILED	1
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_CANTCREAT	73

#define MAX_PARAMS	64
#define MAX_REQUEST	(64 * 1024 * 1024)

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: gw-orchestrate [-hV]\n"
	    "       gw-orchestrate run [--include] [--param name=value]\n"
	    "                      [--record dir] [--replay dir]\n"
	    "                      [--request file] [--trace] script\n"
	    "       gw-orchestrate check [--dot] script\n");
}

struct args {
	const char	*script;
	const char	*request;
	const char	*record;
	const char	*replay;
	char		*params[MAX_PARAMS];
	size_t		 nparams;
	int		 include;
	int		 trace;
	int		 dot;
};

struct result {
	struct gw_loop			*loop;
	struct gw_orch_run		*run;
	int				 done;
	int				 include;
	int				 status;
	int				 failed;
};

/* Exit status for a libcore error. */
static int
exit_code(const struct gw_err *err)
{
	switch (err->code) {
	case GW_E_NOTFOUND:
		return EX_NOINPUT;
	case GW_E_CONFIG:
	case GW_E_PROTO:
	case GW_E_LIMIT:
		return EX_DATAERR;
	case GW_E_SYS:
		return err->sys_errno == ENOENT ? EX_NOINPUT : EX_SOFTWARE;
	default:
		return EX_SOFTWARE;
	}
}

static int
load_script(const char *path, struct gw_orch **o, unsigned flags)
{
	struct gw_buf	report;
	struct gw_err	err;
	int		rc = 0;

	gw_buf_init(&report, 0);
	if (gw_orch_load_file(path, flags, o, &report, &err) == -1) {
		if (err.code == GW_E_CONFIG && report.len > 0)
			(void)fprintf(stderr, "%.*s", (int)report.len,
			    report.p);
		else
			gw_log_warnx("%s", err.msg);
		rc = exit_code(&err);
	}
	gw_buf_release(&report);
	return rc;
}

static int
cmd_check(const struct args *a)
{
	struct gw_orch	*o = NULL;
	struct gw_buf	 out;
	struct gw_err	 err;
	int		 rc;

	if ((rc = load_script(a->script, &o, 0)) != 0)
		return rc;
	gw_buf_init(&out, 0);
	if (gw_orch_describe(o, a->dot, &out, &err) == -1) {
		gw_log_warnx("%s", err.msg);
		rc = EX_SOFTWARE;
	} else if (fwrite(out.p, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		gw_log_warn("stdout");
		rc = EX_SOFTWARE;
	}
	gw_buf_release(&out);
	gw_orch_free(o);
	return rc;
}

static void
on_trace(void *arg, const char *line)
{
	(void)arg;
	(void)fprintf(stderr, "%s\n", line);
}

static void
on_done(void *arg, const struct gw_orch_response *r)
{
	struct result	*res = arg;
	FILE		*fp = stdout;

	res->done = 1;
	res->status = r->status;
	res->failed = r->failed;
	if (res->include) {
		(void)fprintf(fp, "HTTP/1.1 %d %s\r\n", r->status,
		    gw_http_reason(r->status));
		for (size_t i = 0; i < r->nheaders; i++)
			(void)fprintf(fp, "%.*s: %.*s\r\n",
			    (int)r->headers[i].name.len, r->headers[i].name.p,
			    (int)r->headers[i].value.len,
			    r->headers[i].value.p);
		(void)fprintf(fp, "Content-Length: %zu\r\n\r\n", r->body.len);
	}
	(void)fwrite(r->body.p, 1, r->body.len, fp);
	gw_loop_stop(res->loop);
}

static int
read_all(const char *path, struct gw_buf *b, struct gw_err *err)
{
	char	 chunk[65536];
	FILE	*fp;
	size_t	 n;
	int	 rc = -1;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		gw_err_sys(err, "cannot open '%s'", path);
		if (err->sys_errno == ENOENT)
			err->code = GW_E_NOTFOUND;
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (gw_buf_append(b, chunk, n, err) == -1) {
			gw_err_set(err, GW_E_LIMIT, "'%s' is larger than %d "
			    "bytes", path, MAX_REQUEST);
			goto out;
		}
	if (ferror(fp)) {
		gw_err_sys(err, "cannot read '%s'", path);
		goto out;
	}
	rc = 0;
 out:
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static struct gw_orch_reqdoc *
make_request(const struct args *a, int *rc)
{
	struct gw_orch_reqdoc	*d = NULL;
	struct gw_buf		 b;
	struct gw_err		 err;

	gw_buf_init(&b, MAX_REQUEST);
	if (a->request != NULL) {
		if (read_all(a->request, &b, &err) == -1 ||
		    gw_orch_reqdoc_parse(b.p == NULL ? "" : b.p, b.len,
		    strcmp(a->request, "-") == 0 ? "(stdin)" : a->request, &d,
		    &err) == -1) {
			gw_log_warnx("%s", err.msg);
			*rc = exit_code(&err);
			goto out;
		}
	} else if ((d = gw_orch_reqdoc_new()) == NULL) {
		gw_log_warnx("out of memory");
		*rc = EX_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < a->nparams; i++) {
		char *eq = strchr(a->params[i], '=');

		*eq = '\0';
		if (gw_orch_reqdoc_param(d, a->params[i], eq + 1, &err) == -1) {
			gw_log_warnx("--param %s: %s", a->params[i], err.msg);
			*rc = EX_USAGE;
			gw_orch_reqdoc_free(d);
			d = NULL;
			goto out;
		}
	}
 out:
	gw_buf_release(&b);
	return d;
}

static int
cmd_run(const struct args *a)
{
	struct gw_orch		*o = NULL;
	struct gw_orch_tape	*tape = NULL;
	struct gw_orch_reqdoc	*rd = NULL;
	struct gw_orch_env	*env = NULL;
	struct gw_orch_opts	 opts;
	struct result		 res;
	struct gw_err		 err;
	int			 rc;

	memset(&res, 0, sizeof(res));
	memset(&opts, 0, sizeof(opts));
	/* a replayed script needs no host resolved: it reaches none */
	if ((rc = load_script(a->script, &o, a->replay != NULL ?
	    GW_ORCH_NORESOLVE : 0)) != 0)
		return rc;
	if ((rd = make_request(a, &rc)) == NULL)
		goto out;
	if (a->replay != NULL) {
		if (gw_orch_tape_load(a->replay, &tape, &err) == -1) {
			gw_log_warnx("%s", err.msg);
			rc = exit_code(&err);
			goto out;
		}
		opts.replay = tape;
	}
	if (a->record != NULL) {
		if (mkdir(a->record, 0777) == -1 && errno != EEXIST) {
			gw_log_warn("cannot create '%s'", a->record);
			rc = EX_CANTCREAT;
			goto out;
		}
		opts.record_dir = a->record;
	}
	if (a->trace)
		opts.trace = on_trace;
	if ((res.loop = gw_loop_new(&err)) == NULL ||
	    (env = gw_orch_env_new(res.loop, &err)) == NULL) {
		gw_log_warnx("%s", err.msg);
		rc = EX_SOFTWARE;
		goto out;
	}
	res.include = a->include;
	if ((res.run = gw_orch_start(o, env, gw_orch_reqdoc_request(rd), &opts,
	    on_done, &res, &err)) == NULL) {
		gw_log_warnx("%s", err.msg);
		rc = exit_code(&err);
		goto out;
	}
	while (!res.done)
		if (gw_loop_once(res.loop, -1, &err) == -1) {
			gw_log_warnx("%s", err.msg);
			rc = EX_SOFTWARE;
			goto out;
		}
	if (fflush(stdout) == EOF) {
		gw_log_warn("stdout");
		rc = EX_SOFTWARE;
		goto out;
	}
	rc = res.failed ? EX_FAILED : 0;
 out:
	gw_orch_run_free(res.run);
	gw_orch_env_free(env);
	gw_loop_free(res.loop);
	gw_orch_reqdoc_free(rd);
	gw_orch_tape_free(tape);
	gw_orch_free(o);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dot", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "include", no_argument, NULL, 'I' },
		{ "param", required_argument, NULL, 'P' },
		{ "record", required_argument, NULL, 'R' },
		{ "replay", required_argument, NULL, 'Y' },
		{ "request", required_argument, NULL, 'Q' },
		{ "trace", no_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct args	 a;
	const char	*cmd = NULL;
	int		 ch, run;

	memset(&a, 0, sizeof(a));
	gw_log_init("gw-orchestrate");
	if (argc >= 2 && (strcmp(argv[1], "run") == 0 ||
	    strcmp(argv[1], "check") == 0)) {
		cmd = argv[1];
		argv++;
		argc--;
	}
	run = cmd != NULL && strcmp(cmd, "run") == 0;
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			(void)printf("gw-orchestrate %s\n", GW_VERSION);
			return 0;
		case 'D':
			if (cmd == NULL || run)
				goto bad;
			a.dot = 1;
			break;
		case 'I':
			if (!run)
				goto bad;
			a.include = 1;
			break;
		case 'P':
			if (!run)
				goto bad;
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				gw_log_warnx("--param wants name=value, not "
				    "'%s'", optarg);
				return EX_USAGE;
			}
			if (a.nparams == MAX_PARAMS) {
				gw_log_warnx("more than %d --param options",
				    MAX_PARAMS);
				return EX_USAGE;
			}
			a.params[a.nparams++] = optarg;
			break;
		case 'R':
			if (!run)
				goto bad;
			a.record = optarg;
			break;
		case 'Y':
			if (!run)
				goto bad;
			a.replay = optarg;
			break;
		case 'Q':
			if (!run)
				goto bad;
			a.request = optarg;
			break;
		case 'T':
			if (!run)
				goto bad;
			a.trace = 1;
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (cmd == NULL) {
		if (optind < argc)
			gw_log_warnx("unknown command '%s'", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	if (argc - optind != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	a.script = argv[optind];
	if (a.record != NULL && a.replay != NULL) {
		gw_log_warnx("--record and --replay do not go together");
		return EX_USAGE;
	}
	return run ? cmd_run(&a) : cmd_check(&a);
 bad:
	gw_log_warnx("%s does not take that option", cmd == NULL ?
	    "gw-orchestrate" : cmd);
	usage(stderr);
	return EX_USAGE;
}
