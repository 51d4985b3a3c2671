/*
 * audit-bench.c: gw-audit's scanner and libmodsecurity 3 with the OWASP
 * CRS, side by side in one process, on the same raw HTTP requests.
 *
 *	audit-bench [-g] [-p level] [-s seconds] [-m crs-dir] RULES DIR
 *
 * Every file of DIR is one raw request; a name starting with "a-" marks
 * an attack, "c-" a clean request (bench/audit-bench.sh makes them).
 * Each engine scans the whole set, round after round, for about the given
 * seconds (the rounds of the two alternate, so that both see the same
 * machine); the figures are requests/s, MB/s of request bytes, and the
 * requests each flagged, per kind.  Times are the process's CPU time, so
 * that other work on the machine does not count.  Built without libmodsecurity
 * (-DNO_MODSEC), or with -g, it measures gw-audit alone.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef NO_MODSEC
#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#endif

#include "audit.h"

/* Debian's modsecurity-crs: the setup here, the rules in -m's rules/ */
#define CRS_ETC	"/etc/modsecurity/crs"
#include "err.h"
#include "gw.h"

struct req {
	char	*p;
	size_t	 len;
	int	 attack;
	char	 family[8];	/* "942" of "a-942-00012", "gen" ... */
};

static struct req	*reqs;
static size_t		 nreqs;
static uint64_t		 total_bytes;

static double
now(void)
{
	struct timespec ts;

	/* CPU time: the machine is shared, and wall time would count that */
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
load(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];

	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		FILE	*fp;
		long	 n;
		char	*buf;

		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		(void)fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		(void)fseek(fp, 0, SEEK_SET);
		buf = malloc((size_t)n + 1);
		if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			fclose(fp);
			continue;
		}
		fclose(fp);
		reqs = realloc(reqs, (nreqs + 1) * sizeof(*reqs));
		reqs[nreqs].p = buf;
		reqs[nreqs].len = (size_t)n;
		reqs[nreqs].attack = strncmp(de->d_name, "a-", 2) == 0;
		(void)snprintf(reqs[nreqs].family, sizeof(reqs[nreqs].family),
		    "%.*s", (int)strcspn(de->d_name + 2, "-"), de->d_name + 2);
		total_bytes += (uint64_t)n;
		nreqs++;
	}
	closedir(d);
}

/* gw-audit */

static int
gw_one(const struct gw_audit_rules *rules, const struct gw_audit_limits *lim,
    int paranoia, const struct req *r)
{
	struct gw_audit_opts		 o;
	struct gw_audit_scan		*s;
	struct gw_err			 err;
	int				 hit;

	memset(&o, 0, sizeof(o));
	o.rules = rules;
	o.limits = lim;
	o.paranoia = paranoia;
	o.max_findings = 8;	/* what the audit policy asks */
	if ((s = gw_audit_scan_new(GW_AUDIT_HTTP, &o, &err)) == NULL ||
	    gw_audit_scan_feed(s, r->p, r->len, &err) == -1 ||
	    gw_audit_scan_end(s, &err) == -1) {
		fprintf(stderr, "gw-audit: %s\n", err.msg);
		exit(1);
	}
	hit = gw_audit_scan_result(s)->findings > 0;
	gw_audit_scan_free(s);
	return hit;
}

#ifndef NO_MODSEC
/* ModSecurity, fed as a server module feeds it. */

static ModSecurity	*ms;
static RulesSet		*msrules;

/* ModSecurity's messages: not wanted here (it prints them otherwise). */
static void
ms_log(void *data, const void *msg)
{
	(void)data;
	(void)msg;
}

static void
ms_init(const char *load_file, int paranoia)
{
	const char	*error = NULL;
	char		 conf[2048];

	ms = msc_init();
	msc_set_connector_info(ms, "gw audit-bench");
	msc_set_log_cb(ms, ms_log);
	msrules = msc_create_rules_set();
	(void)snprintf(conf, sizeof(conf),
	    "SecRuleEngine On\n"
	    "SecRequestBodyAccess On\n"
	    "SecRequestBodyLimit 13107200\n"
	    "SecRequestBodyNoFilesLimit 131072\n"
	    "SecRequestBodyLimitAction Reject\n"
	    "SecRule REQUEST_HEADERS:Content-Type \"(?:application(?:/soap\\+|/)|text/)xml\" "
	    "\"id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML\"\n"
	    "SecRule REQUEST_HEADERS:Content-Type \"application/json\" "
	    "\"id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
	    "SecResponseBodyAccess Off\n"
	    "SecAuditEngine Off\n"
	    "SecDebugLogLevel 0\n"
	    "SecAction \"id:900000,phase:1,nolog,pass,t:none,"
	    "setvar:tx.blocking_paranoia_level=%d,setvar:tx.paranoia_level=%d\"\n",
	    paranoia, paranoia);
	if (msc_rules_add(msrules, conf, &error) < 0) {
		fprintf(stderr, "modsecurity: %s\n", error);
		exit(1);
	}
	/* what owasp-crs.load says, without its IncludeOptional lines */
	(void)snprintf(conf, sizeof(conf), "Include %s/crs-setup.conf\n"
	    "Include %s/rules/*.conf\n", CRS_ETC, load_file);
	if (msc_rules_add(msrules, conf, &error) < 0) {
		fprintf(stderr, "modsecurity: %s\n", error);
		exit(1);
	}
}

static int
ms_one(const struct req *r)
{
	Transaction			*t;
	ModSecurityIntervention		 it;
	char				*head, *sp1, *sp2, *line, *next, *end;
	const char			*body;
	size_t				 blen;
	int				 hit = 0;

	/* a copy of the head to cut into strings */
	end = strstr(r->p, "\r\n\r\n");
	if (end == NULL) {
		body = "";
		blen = 0;
		end = r->p + r->len;
	} else {
		body = end + 4;
		blen = r->len - (size_t)(body - r->p);
	}
	head = strndup(r->p, (size_t)(end - r->p));
	t = msc_new_transaction(ms, msrules, NULL);
	msc_process_connection(t, "127.0.0.1", 40000, "127.0.0.1", 80);
	line = head;
	next = strstr(line, "\r\n");
	if (next != NULL)
		*next = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 != NULL ? strrchr(line, ' ') : NULL;
	if (sp1 != NULL && sp2 != NULL && sp2 > sp1) {
		*sp1 = '\0';
		*sp2 = '\0';
		msc_process_uri(t, sp1 + 1, line, strncmp(sp2 + 1, "HTTP/",
		    5) == 0 ? sp2 + 6 : "1.1");
	} else
		msc_process_uri(t, "/", "GET", "1.1");
	while (next != NULL) {
		char *colon;

		line = next + 2;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		colon++;
		while (*colon == ' ')
			colon++;
		msc_add_request_header(t, (const unsigned char *)line,
		    (const unsigned char *)colon);
	}
	msc_process_request_headers(t);
	if (blen > 0)
		msc_append_request_body(t, (const unsigned char *)body, blen);
	msc_process_request_body(t);
	memset(&it, 0, sizeof(it));
	it.status = 200;
	if (msc_intervention(t, &it) && it.disruptive)
		hit = 1;
	free(it.url);
	free(it.log);
	msc_process_logging(t);
	msc_transaction_cleanup(t);
	free(head);
	return hit;
}
#endif

#define MAXFAM	32

struct fam {
	char	name[8];
	size_t	attacks, gw_hit, ms_hit, clean, gw_fp, ms_fp;
};

static struct fam	fams[MAXFAM];
static size_t		nfams;

static struct fam *
fam_of(const char *name)
{
	for (size_t i = 0; i < nfams; i++)
		if (strcmp(fams[i].name, name) == 0)
			return &fams[i];
	if (nfams == MAXFAM)
		return &fams[MAXFAM - 1];
	(void)snprintf(fams[nfams].name, sizeof(fams[nfams].name), "%s",
	    name);
	return &fams[nfams++];
}

struct tally {
	double		 secs;
	uint64_t	 rounds;
	size_t		 attacks, attacks_hit, clean, clean_hit;
};

int
main(int argc, char **argv)
{
	struct gw_audit_rules	*rules;
	struct gw_audit_limits	 lim;
	struct gw_err		 err;
	struct tally		 g, m;
	const char		*load_file = "/usr/share/modsecurity-crs";
	double			 budget = 5, t0;
	int			 ch, paranoia = 1, with_ms = 1;

	while ((ch = getopt(argc, argv, "gm:p:s:")) != -1) {
		switch (ch) {
		case 'g':
			with_ms = 0;	/* gw-audit alone */
			break;
		case 'm':
			load_file = optarg;
			break;
		case 'p':
			paranoia = atoi(optarg);
			break;
		case 's':
			budget = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: audit-bench [-g] [-p level] "
			    "[-s seconds] [-m crs-dir] rules dir\n");
			return 64;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: audit-bench [-g] [-p level] [-s seconds] "
		    "[-m crs-dir] rules dir\n");
		return 64;
	}
	if (gw_audit_rules_load(argv[optind], 0, &rules, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	gw_audit_limits_default(&lim);
	load(argv[optind + 1]);
	if (nreqs == 0) {
		fprintf(stderr, "no requests in %s\n", argv[optind + 1]);
		return 1;
	}
#ifdef NO_MODSEC
	with_ms = 0;
	(void)load_file;
#else
	if (with_ms)
		ms_init(load_file, paranoia);
#endif
	memset(&g, 0, sizeof(g));
	memset(&m, 0, sizeof(m));
	/* detection, once */
	for (size_t i = 0; i < nreqs; i++) {
		int hg = gw_one(rules, &lim, paranoia, &reqs[i]);
#ifndef NO_MODSEC
		int hm = with_ms ? ms_one(&reqs[i]) : 0;
#else
		int hm = 0;
#endif

		struct fam *f = fam_of(reqs[i].family);

		if (reqs[i].attack) {
			f->attacks++;
			f->gw_hit += (size_t)hg;
			f->ms_hit += (size_t)hm;
		} else {
			f->clean++;
			f->gw_fp += (size_t)hg;
			f->ms_fp += (size_t)hm;
		}
		if (reqs[i].attack) {
			g.attacks++;
			m.attacks++;
			g.attacks_hit += hg;
			m.attacks_hit += hm;
		} else {
			g.clean++;
			m.clean++;
			g.clean_hit += hg;
			m.clean_hit += hm;
		}
	}
	/* speed: alternate rounds until the budget is spent */
	t0 = now();
	while (now() - t0 < budget) {
		double a = now();

		for (size_t i = 0; i < nreqs; i++)
			(void)gw_one(rules, &lim, paranoia, &reqs[i]);
		g.secs += now() - a;
		g.rounds++;
#ifndef NO_MODSEC
		if (!with_ms)
			continue;
		a = now();
		for (size_t i = 0; i < nreqs; i++)
			(void)ms_one(&reqs[i]);
		m.secs += now() - a;
		m.rounds++;
#endif
	}
	printf("requests: %zu (%zu attacks, %zu clean), %.1f KiB in all; "
	    "paranoia level %d\n", nreqs, g.attacks, g.clean,
	    (double)total_bytes / 1024, paranoia);
	printf("%-22s %11s %9s %8s %14s %14s\n", "engine", "requests/s",
	    "us/req", "MB/s", "attacks found", "clean flagged");
	printf("%-22s %11.0f %9.1f %8.2f %7zu/%-6zu %7zu/%-6zu\n",
	    "gw-audit (default)", (double)(nreqs * g.rounds) / g.secs,
	    g.secs * 1e6 / (double)(nreqs * g.rounds),
	    (double)total_bytes * (double)g.rounds / g.secs / 1e6,
	    g.attacks_hit, g.attacks, g.clean_hit, g.clean);
	if (with_ms && m.rounds > 0) {
		printf("%-22s %11.0f %9.1f %8.2f %7zu/%-6zu %7zu/%-6zu\n",
		    "modsecurity 3 + CRS", (double)(nreqs * m.rounds) / m.secs,
		    m.secs * 1e6 / (double)(nreqs * m.rounds),
		    (double)total_bytes * (double)m.rounds / m.secs / 1e6,
		    m.attacks_hit, m.attacks, m.clean_hit, m.clean);
		printf("gw-audit / modsecurity throughput: %.1fx\n",
		    ((double)g.rounds / g.secs) / ((double)m.rounds / m.secs));
		printf("\n%-8s %8s %16s %16s %8s %14s %14s\n", "family",
		    "attacks", "gw-audit found", "modsec found", "clean",
		    "gw-audit FP", "modsec FP");
		for (size_t i = 0; i < nfams; i++)
			printf("%-8s %8zu %9zu %5.0f%% %9zu %5.0f%% %8zu "
			    "%7zu %5.0f%% %7zu %5.0f%%\n", fams[i].name,
			    fams[i].attacks, fams[i].gw_hit,
			    100.0 * (double)fams[i].gw_hit /
			    (double)GW_MAX(fams[i].attacks, 1), fams[i].ms_hit,
			    100.0 * (double)fams[i].ms_hit /
			    (double)GW_MAX(fams[i].attacks, 1), fams[i].clean,
			    fams[i].gw_fp, 100.0 * (double)fams[i].gw_fp /
			    (double)GW_MAX(fams[i].clean, 1), fams[i].ms_fp,
			    100.0 * (double)fams[i].ms_fp /
			    (double)GW_MAX(fams[i].clean, 1));
	}
	gw_audit_rules_free(rules);
	return 0;
}
