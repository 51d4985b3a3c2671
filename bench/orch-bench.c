/*
 * orch-bench.c: what orchestration costs beyond the calls it makes.
 *
 *	orch-bench chain URL K ROUNDS	K calls one after the other
 *	orch-bench wide URL K ROUNDS	K calls at once
 *	orch-bench fanout URL N ROUNDS	a foreach of N calls at once
 *	orch-bench memory URL N		N compositions in flight at once
 *
 * chain and wide make the same calls twice on one event loop and one
 * client (client.h, keep-alive): "direct", each call started by hand when
 * the one before is done (chain) or all at once (wide), and "orch", by a
 * script whose steps refer to each other (chain: step i's URL holds a
 * value of step i-1's JSON answer) or not (wide), through gw_orch_start().
 * The difference, per step, is what the orchestration adds: templates,
 * JSON answers parsed, the graph, the composed response.  Each prints one
 * line per way: median and quartiles of the wall time of a round, and the
 * CPU time (user + system, getrusage) per call over all rounds.
 *
 * fanout runs a foreach of N items (concurrency N) against URL, which
 * should answer after a delay, and prints the wall time of a round.
 * memory starts N compositions of a catalog-like script (five steps, one
 * a foreach of three) against a slow URL, and once every call is in
 * flight prints the bytes each run holds (gw_orch_run_memory()) and the
 * growth of the process's resident set per composition.
 *
 * URL is "http://127.0.0.1:PORT/PATH" answering JSON with a member "n".
 * Bench-only code: it trusts its arguments.
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"
#include "orch.h"

#define MAX_K	1000

static struct gw_loop		*loop;
static struct gw_client		*client;
static struct gw_client_pool	*pool;
static struct gw_client_target	 target;
static char			 origin[256], path[256];
static int			 pending, done_calls;

static void
die(const char *what, const struct gw_err *err)
{
	fprintf(stderr, "orch-bench: %s: %s\n", what, err != NULL ? err->msg :
	    "");
	exit(1);
}

static uint64_t
cpu_us(void)
{
	struct rusage ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
	    (uint64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *mode, const char *way, int k, uint64_t *wall, int rounds,
    uint64_t cpu)
{
	qsort(wall, (size_t)rounds, sizeof(*wall), cmp_u64);
	printf("%s\t%s\tk=%d\trounds=%d\twall_p25_us=%llu\twall_p50_us=%llu\t"
	    "wall_p75_us=%llu\tcpu_per_call_us=%.2f\n", mode, way, k, rounds,
	    (unsigned long long)wall[rounds / 4],
	    (unsigned long long)wall[rounds / 2],
	    (unsigned long long)wall[rounds * 3 / 4],
	    (double)cpu / ((double)rounds * k));
	fflush(stdout);
}

/* Direct calls. */

static int	chain_left;
static void	direct_start(void);

static int
d_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t cl)
{
	(void)arg;
	(void)h;
	(void)nh;
	(void)cl;
	return status == 200 ? 0 : -1;
}

static int
d_body(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	return 0;
}

static void
d_done(void *arg, enum gw_client_status st, const char *msg)
{
	(void)arg;
	if (st != GW_CLIENT_OK) {
		fprintf(stderr, "orch-bench: direct call: %s %s\n",
		    gw_client_status_str(st), msg != NULL ? msg : "");
		exit(1);
	}
	pending--;
	done_calls++;
	if (chain_left > 0)
		direct_start();
}

static const struct gw_client_cbs dcbs = {
	.head = d_head,
	.body = d_body,
	.done = d_done,
};

static void
direct_start(void)
{
	struct gw_client_request	rq;
	struct gw_http_header		h[1];
	struct gw_err			err;

	h[0].name = GW_STR("Host");
	h[0].value = target.hostport;
	memset(&rq, 0, sizeof(rq));
	rq.method = GW_STR("GET");
	rq.target = gw_str_cstr(path);
	rq.headers = h;
	rq.nheaders = 1;
	if (chain_left > 0)
		chain_left--;
	pending++;
	if (gw_client_start(pool, &rq, &dcbs, NULL, &err) == NULL)
		die("gw_client_start", &err);
}

static void
run_loop(int *flag)
{
	struct gw_err err;

	while (*flag)
		if (gw_loop_once(loop, 10000, &err) == -1)
			die("loop", &err);
}

/* Directly: k calls one after the other, or k at once. */
static uint64_t
direct_round(int k, int chained)
{
	uint64_t t0 = gw_clock_us();

	done_calls = 0;
	if (chained) {
		chain_left = k;
		direct_start();
	} else {
		chain_left = 0;
		for (int i = 0; i < k; i++)
			direct_start();
	}
	while (done_calls < k) {
		struct gw_err err;

		if (gw_loop_once(loop, 10000, &err) == -1)
			die("loop", &err);
	}
	return gw_clock_us() - t0;
}

/* Orchestrated. */

struct orun {
	int			 running;
	int			 status;
	struct gw_orch_run	*run;
};

static void
o_done(void *arg, const struct gw_orch_response *r)
{
	struct orun *o = arg;

	o->running = 0;
	o->status = r->status;
	if (r->failed) {
		fprintf(stderr, "orch-bench: %.*s\n", (int)r->body.len,
		    r->body.p);
		exit(1);
	}
}

static uint64_t
orch_round(const struct gw_orch *o, struct gw_orch_env *env,
    const struct gw_orch_request *rq)
{
	struct orun	 r;
	struct gw_err	 err;
	uint64_t	 t0 = gw_clock_us();

	memset(&r, 0, sizeof(r));
	r.running = 1;
	if ((r.run = gw_orch_start(o, env, rq, NULL, o_done, &r, &err)) ==
	    NULL)
		die("gw_orch_start", &err);
	run_loop(&r.running);
	gw_orch_run_free(r.run);
	return gw_clock_us() - t0;
}

static struct gw_orch *
script(struct gw_buf *b)
{
	struct gw_orch	*o;
	struct gw_buf	 report;
	struct gw_err	 err;

	gw_buf_init(&report, 0);
	if (gw_orch_parse(b->p, b->len, "bench.json", 0, &o, &report,
	    &err) == -1) {
		fprintf(stderr, "%.*s", (int)report.len, report.p);
		die("script", &err);
	}
	gw_buf_release(&report);
	return o;
}

/* k steps: chained (each waits for the one before) or independent. */
static struct gw_orch *
steps_script(int k, int chained)
{
	struct gw_buf	 b;
	struct gw_orch	*o;

	gw_buf_init(&b, 0);
	(void)gw_buf_puts(&b, "{ \"steps\": {", NULL);
	for (int i = 0; i < k; i++) {
		(void)gw_buf_printf(&b, NULL, "%s \"s%d\": { \"url\": \"%s%s",
		    i > 0 ? "," : "", i, origin, path);
		if (chained && i > 0)
			(void)gw_buf_printf(&b, NULL, "?n=${s%d.body/n}", i - 1);
		(void)gw_buf_puts(&b, "\" }", NULL);
	}
	(void)gw_buf_printf(&b, NULL, " }, \"response\": { \"json\": "
	    "\"${s%d.body/n}\" } }", k - 1);
	o = script(&b);
	gw_buf_release(&b);
	return o;
}

static void
bench_steps(const char *mode, int k, int rounds, int chained)
{
	struct gw_orch		*o = steps_script(k, chained);
	struct gw_orch_env	*env;
	struct gw_orch_request	 rq;
	struct gw_err		 err;
	uint64_t		*wd, *wo, c0, cd = 0, co = 0;
	int			 warm = rounds / 10 + 2;

	memset(&rq, 0, sizeof(rq));
	if ((env = gw_orch_env_new(loop, &err)) == NULL)
		die("env", &err);
	wd = calloc((size_t)rounds, sizeof(*wd));
	wo = calloc((size_t)rounds, sizeof(*wo));
	for (int i = 0; i < warm; i++) {
		(void)direct_round(k, chained);
		(void)orch_round(o, env, &rq);
	}
	/* interleaved, so that a drift of the machine hits both alike */
	for (int i = 0; i < rounds; i++) {
		c0 = cpu_us();
		wd[i] = direct_round(k, chained);
		cd += cpu_us() - c0;
		c0 = cpu_us();
		wo[i] = orch_round(o, env, &rq);
		co += cpu_us() - c0;
	}
	report(mode, "direct", k, wd, rounds, cd);
	report(mode, "orch", k, wo, rounds, co);
	free(wd);
	free(wo);
	gw_orch_env_free(env);
	gw_orch_free(o);
}

static void
bench_fanout(int n, int rounds)
{
	struct gw_buf		 b;
	struct gw_orch		*o;
	struct gw_orch_env	*env;
	struct gw_orch_request	 rq;
	struct gw_err		 err;
	uint64_t		*w, *wd, c0, co = 0, cd = 0;

	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, NULL, "{ \"steps\": { \"each\": { \"url\": "
	    "\"%s%s?i=${item}\", \"foreach\": \"${request.body}\", "
	    "\"concurrency\": %d, \"timeout_ms\": 60000 } },"
	    " \"deadline_ms\": 600000,"
	    " \"response\": { \"json\": \"${each.status}\" } }", origin, path,
	    n);
	o = script(&b);
	gw_buf_reset(&b);
	(void)gw_buf_putc(&b, '[', NULL);
	for (int i = 0; i < n; i++)
		(void)gw_buf_printf(&b, NULL, "%s%d", i > 0 ? "," : "", i);
	(void)gw_buf_putc(&b, ']', NULL);
	memset(&rq, 0, sizeof(rq));
	rq.body = gw_buf_str(&b);
	if ((env = gw_orch_env_new(loop, &err)) == NULL)
		die("env", &err);
	w = calloc((size_t)rounds, sizeof(*w));
	wd = calloc((size_t)rounds, sizeof(*wd));
	(void)orch_round(o, env, &rq);
	(void)direct_round(n, 0);
	for (int i = 0; i < rounds; i++) {
		c0 = cpu_us();
		wd[i] = direct_round(n, 0);
		cd += cpu_us() - c0;
		c0 = cpu_us();
		w[i] = orch_round(o, env, &rq);
		co += cpu_us() - c0;
	}
	report("fanout", "direct", n, wd, rounds, cd);
	report("fanout", "orch", n, w, rounds, co);
	free(w);
	free(wd);
	gw_buf_release(&b);
	gw_orch_env_free(env);
	gw_orch_free(o);
}

static long
rss_kb(void)
{
	FILE	*fp = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

static void
bench_memory(int n)
{
	struct gw_buf		 b;
	struct gw_orch		*o;
	struct gw_orch_env	*env;
	struct gw_orch_request	 rq;
	struct gw_err		 err;
	struct orun		*r, one;
	long			 rss0, rss1;
	size_t			 bytes = 0;
	uint64_t		 until;

	gw_buf_init(&b, 0);
	(void)gw_buf_printf(&b, NULL, "{ \"steps\": {"
	    " \"lookup\": { \"url\": \"%s%s?s=lookup\", \"timeout_ms\": 60000 },"
	    " \"content\": { \"url\": \"%s%s?s=content&n=${lookup.body/n}\","
	    "   \"timeout_ms\": 60000 },"
	    " \"price\": { \"url\": \"%s%s?s=price&n=${lookup.body/n}\","
	    "   \"timeout_ms\": 60000 },"
	    " \"stock\": { \"url\": \"%s%s?s=stock&n=${lookup.body/n}\","
	    "   \"optional\": true, \"timeout_ms\": 60000 },"
	    " \"reviews\": { \"url\": \"%s%s?s=review&r=${item}\","
	    "   \"foreach\": \"${request.body}\", \"timeout_ms\": 60000 } },"
	    " \"deadline_ms\": 600000,"
	    " \"response\": { \"json\": { \"c\": \"${content.body}\","
	    "   \"p\": \"${price.body/n}\", \"s\": \"${stock.body/n}\","
	    "   \"r\": \"${reviews.body}\" } } }", origin, path, origin, path,
	    origin, path, origin, path, origin, path);
	o = script(&b);
	memset(&rq, 0, sizeof(rq));
	rq.body = GW_STR("[1,2,3]");
	rq.path = GW_STR("/v1/catalog/42");
	if ((env = gw_orch_env_new(loop, &err)) == NULL)
		die("env", &err);
	/* one first, so that the client and its buffers exist */
	memset(&one, 0, sizeof(one));
	one.running = 1;
	if ((one.run = gw_orch_start(o, env, &rq, NULL, o_done, &one,
	    &err)) == NULL)
		die("gw_orch_start", &err);
	run_loop(&one.running);
	gw_orch_run_free(one.run);
	r = calloc((size_t)n, sizeof(*r));
	rss0 = rss_kb();
	for (int i = 0; i < n; i++) {
		r[i].running = 1;
		if ((r[i].run = gw_orch_start(o, env, &rq, NULL, o_done, &r[i],
		    &err)) == NULL)
			die("gw_orch_start", &err);
	}
	/*
	 * URL answers after a delay: past the lookups, the four next calls
	 * of every run are in flight; measure then.
	 */
	until = gw_clock_us() + 1500000;
	while (gw_clock_us() < until)
		if (gw_loop_once(loop, 50, &err) == -1)
			die("loop", &err);
	rss1 = rss_kb();
	for (int i = 0; i < n; i++)
		bytes += gw_orch_run_memory(r[i].run);
	printf("memory\truns=%d\trun_bytes_avg=%zu\trss_kb_per_run=%.1f\n", n,
	    bytes / (size_t)n, (double)(rss1 - rss0) / n);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		gw_orch_run_free(r[i].run);
	free(r);
	gw_buf_release(&b);
	gw_orch_env_free(env);
	gw_orch_free(o);
}

int
main(int argc, char **argv)
{
	struct gw_err	 err;
	const char	*url, *slash;
	int		 k, rounds = 0;

	if (argc < 4 || (strcmp(argv[1], "memory") != 0 && argc < 5)) {
		fprintf(stderr, "usage: orch-bench chain|wide|fanout URL K "
		    "ROUNDS\n       orch-bench memory URL N\n");
		return 64;
	}
	url = argv[2];
	k = atoi(argv[3]);
	if (argc > 4)
		rounds = atoi(argv[4]);
	if (k < 1 || k > MAX_K * 10)
		return 64;
	if ((slash = strchr(url + 7, '/')) == NULL)
		slash = url + strlen(url);
	(void)snprintf(origin, sizeof(origin), "%.*s", (int)(slash - url), url);
	(void)snprintf(path, sizeof(path), "%s", *slash == '\0' ? "/" : slash);
	if ((loop = gw_loop_new(&err)) == NULL ||
	    (client = gw_client_new(loop, &err)) == NULL)
		die("setup", &err);
	if (gw_client_target_parse(origin, &target, &err) == -1)
		die(origin, &err);
	target.keepalive = 1024;
	target.keepalive_ms = 60000;
	if ((pool = gw_client_pool_new(client, &target, &err)) == NULL)
		die("pool", &err);
	if (strcmp(argv[1], "chain") == 0)
		bench_steps("chain", k, rounds, 1);
	else if (strcmp(argv[1], "wide") == 0)
		bench_steps("wide", k, rounds, 0);
	else if (strcmp(argv[1], "fanout") == 0)
		bench_fanout(k, rounds);
	else if (strcmp(argv[1], "memory") == 0)
		bench_memory(k);
	else
		return 64;
	gw_client_free(client);
	gw_loop_free(loop);
	return 0;
}
