/*
 * gw-serve: the gateway.  Options, the start-up mode, exit codes; the rest
 * is libcore (master.c, server.c, proxy.c).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "log.h"
#include "master.h"
#include "sd.h"
#include "sock.h"

#define EX_USAGE	64
#define EX_NOINPUT	66
#define EX_OSERR	71
#define EX_CONFIG	78

#define MAX_ARGS	64

static void
usage(FILE *fp)
{
	(void)fprintf(fp,
	    "usage: gw-serve [-hVv] [-c file] [--check] [--listen address]\n"
	    "                [--log-level level] [--port-file file]\n"
	    "                [--to url] [--workers n]\n");
}

struct args {
	const char	*config;
	char		*listen[MAX_ARGS];
	size_t		 nlisten;
	char		*to[MAX_ARGS];
	size_t		 nto;
	int		 workers;
	int		 check;
	const char	*port_file;
	const char	*log_level;
	int		 verbose;
};

static struct gw_cfg *
load_config(const struct args *a, struct gw_buf *report, struct gw_err *err)
{
	struct gw_cfg *cfg;

	if (a->config != NULL) {
		if (gw_cfg_load(a->config, &cfg, report, err) == -1)
			return NULL;
		return cfg;
	}
	if ((cfg = gw_cfg_new()) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if (gw_cfg_proxy_all(cfg, a->to, a->nto, err) == -1) {
		gw_cfg_unref(cfg);
		return NULL;
	}
	return cfg;
}

static struct gw_cfg *
reload_config(void *arg, struct gw_err *err)
{
	return load_config(arg, NULL, err);
}

/* inetd hands the socket on 0, 1 and often 2: keep only 0 on it. */
static void
inetd_fds(void)
{
	struct stat	s0, s;
	int		null;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (fstat(STDIN_FILENO, &s0) == 0) {
		if (fstat(STDOUT_FILENO, &s) == 0 && s.st_ino == s0.st_ino &&
		    s.st_dev == s0.st_dev)
			(void)dup2(null, STDOUT_FILENO);
		if (fstat(STDERR_FILENO, &s) == 0 && s.st_ino == s0.st_ino &&
		    s.st_dev == s0.st_dev)
			(void)dup2(null, STDERR_FILENO);
	}
	(void)close(null);
}

static int
add_arg(char **list, size_t *n, char *v, const char *what)
{
	if (*n == MAX_ARGS) {
		gw_log_warnx("too many %s options", what);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "to", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct args		a;
	struct gw_cfg		*cfg;
	struct gw_err		err;
	struct gw_sd_sockets	sds;
	struct gw_master_opts	mo;
	struct gw_buf		report;
	enum gw_log_level	lvl;
	int			ch, rc;

	memset(&a, 0, sizeof(a));
	gw_log_init("gw-serve");
	while ((ch = getopt_long(argc, argv, "c:hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.config = optarg;
			break;
		case 'C':
			a.check = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			if (gw_sock_check_addr(optarg, &err) == -1) {
				gw_log_warnx("--listen: %s", err.msg);
				return EX_USAGE;
			}
			if (add_arg(a.listen, &a.nlisten, optarg, "--listen"))
				return EX_USAGE;
			break;
		case 'L':
			a.log_level = optarg;
			break;
		case 'p':
			a.port_file = optarg;
			break;
		case 't':
			if (add_arg(a.to, &a.nto, optarg, "--to"))
				return EX_USAGE;
			break;
		case 'v':
			a.verbose = 1;
			break;
		case 'V':
			(void)printf("gw-serve %s\n", GW_VERSION);
			return 0;
		case 'w': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > GW_MAX_WORKERS) {
				gw_log_warnx("--workers: expected 1 to %d",
				    GW_MAX_WORKERS);
				return EX_USAGE;
			}
			a.workers = (int)n;
			break;
		}
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc || (a.config == NULL && a.nto == 0) ||
	    (a.config != NULL && a.nto > 0)) {
		if (optind == argc && a.config == NULL && a.nto == 0)
			gw_log_warnx("give a configuration (-c file) or a "
			    "target (--to url)");
		else if (optind == argc)
			gw_log_warnx("-c and --to do not go together");
		usage(stderr);
		return EX_USAGE;
	}
	if (a.log_level != NULL) {
		if (gw_log_level_parse(a.log_level, &lvl) == -1) {
			gw_log_warnx("--log-level: unknown level '%s'",
			    a.log_level);
			return EX_USAGE;
		}
	}
	gw_buf_init(&report, 0);
	if ((cfg = load_config(&a, &report, &err)) == NULL) {
		/* file:line:col lines as compilers print them; others ours */
		if (err.code == GW_E_NOTFOUND)
			gw_log_warnx("%s", err.msg);
		else if (report.len > 0)
			(void)fwrite(report.p, 1, report.len, stderr);
		else
			gw_log_warnx("%s", err.msg);
		gw_buf_release(&report);
		return err.code == GW_E_NOTFOUND ? EX_NOINPUT : EX_CONFIG;
	}
	gw_buf_release(&report);
	if (a.check) {
		gw_cfg_unref(cfg);
		return 0;
	}
	gw_log_set_level((enum gw_log_level)cfg->log_level);
	if (a.log_level != NULL)
		gw_log_set_level(lvl);
	if (a.verbose)
		gw_log_set_level(GW_LOG_DEBUG);
	if (gw_sd_detect(&sds, &err) == -1) {
		gw_log_warnx("%s", err.msg);
		gw_cfg_unref(cfg);
		return EX_OSERR;
	}
	switch (sds.mode) {
	case GW_SD_ACCEPTED:
	case GW_SD_INETD:
		if (sds.mode == GW_SD_INETD)
			inetd_fds();
		rc = gw_master_serve_one(cfg, sds.fds[0], &err);
		break;
	default:
		memset(&mo, 0, sizeof(mo));
		mo.cfg = cfg;
		if (a.config != NULL) {
			mo.reload = reload_config;
			mo.reload_arg = &a;
		}
		if (sds.mode == GW_SD_LISTEN) {
			mo.fds = sds.fds;
			mo.fd_names = (const char (*)[64])sds.names;
			mo.nfds = sds.nfds;
			mo.afds = sds.afds;
			mo.nafds = sds.nafds;
		} else if (a.nlisten > 0) {
			mo.listen = a.listen;
			mo.nlisten = a.nlisten;
		}
		mo.workers = a.workers;
		mo.port_file = a.port_file;
		mo.log_level_fixed = a.log_level != NULL || a.verbose;
		rc = gw_master_run(&mo, &err);
		break;
	}
	if (rc != 0) {
		gw_log_warnx("%s", err.msg);
		rc = err.code == GW_E_CONFIG ? EX_CONFIG : EX_OSERR;
	}
	gw_cfg_unref(cfg);
	return rc;
}
