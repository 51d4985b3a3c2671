/*
 * ratelimit_test.c: specs, GCRA, and the shared-memory zone under several
 * processes at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "loop.h"
#include "ratelimit.h"
#include "tap.h"

static void
test_specs(void)
{
	struct gw_rl_spec	s;
	struct gw_err		err = { 0 };
	static const char	*bad[] = { "100", "/s", "0/s", "10/year",
	    "10/0s", "-1/s", "10/s ", "5/10x", "2000000/ms", "1/400day" };

	ok(gw_rl_spec_parse("100/s", 0, &s, &err) == 0 && s.count == 100 &&
	    s.period_us == 1000000 && s.kind == GW_RL_RATE, "100/s");
	ok(gw_rl_spec_parse("5/10s", 0, &s, &err) == 0 && s.count == 5 &&
	    s.period_us == 10000000, "5/10s");
	ok(gw_rl_spec_parse("2/1500ms", 0, &s, &err) == 0 &&
	    s.period_us == 1500000, "2/1500ms");
	ok(gw_rl_spec_parse("60/min", 0, &s, &err) == 0 &&
	    s.period_us == 60000000, "60/min");
	ok(gw_rl_spec_parse("10000/day", 1, &s, &err) == 0 &&
	    s.kind == GW_RL_DAY && s.count == 10000, "a quota per day");
	ok(gw_rl_spec_parse("5/month", 1, &s, &err) == 0 &&
	    s.kind == GW_RL_MONTH, "a quota per month");
	ok(gw_rl_spec_parse("5/h", 1, &s, &err) == -1, "quotas are per day or "
	    "month");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(gw_rl_spec_parse(bad[i], 0, &s, &err) == -1,
		    "bad rate %zu: %s", i, err.msg);
}

static void
test_gcra(void)
{
	struct gw_rl_result	r;
	uint64_t		tat = 0, now = 1000000000, t = 100000;
	int			n = 0;

	/* 10/s with burst 4: five at once, then one every 100 ms */
	for (int i = 0; i < 20; i++) {
		gw_rl_gcra(&tat, now, t, 4, &r);
		n += r.allowed;
	}
	is_int(n, 5, "burst 4 lets 5 through at once");
	ok(!r.allowed && r.retry_us == t && r.remaining == 0,
	    "then wait one interval");
	gw_rl_gcra(&tat, now + t - 1, t, 4, &r);
	ok(!r.allowed, "a microsecond early is too early");
	gw_rl_gcra(&tat, now + t, t, 4, &r);
	ok(r.allowed && r.remaining == 0, "one interval later: one more");
	/* at rest again after burst + 1 intervals */
	now += 10 * t;
	gw_rl_gcra(&tat, now, t, 4, &r);
	ok(r.allowed && r.remaining == 4 && r.reset_us == t,
	    "at rest: 4 left after this one, full again in one interval");
	/* over any window of one period: at most count + burst */
	tat = 0;
	n = 0;
	for (uint64_t u = 0; u < 1000000; u += 1000) {
		gw_rl_gcra(&tat, now + u, t, 4, &r);
		n += r.allowed;
	}
	is_int(n, 14, "in one second: 10 + 4");
	tat = 0;
	gw_rl_gcra(&tat, now, t, 0, &r);
	ok(r.allowed && r.remaining == 0, "burst 0: one at a time");
	gw_rl_gcra(&tat, now, t, 0, &r);
	ok(!r.allowed, "and not two");
}

static void
test_zone(void)
{
	struct gw_rl_zone	*z;
	struct gw_rl_result	 r;
	struct gw_err		 err = { 0 };
	int			*counts, n = 0, status;
	const int		 procs = 4, tries = 500;
	uint64_t		 now = gw_clock_us();

	ok((z = gw_rl_zone_new(64, &err)) != NULL, "a zone of 64 keys");
	gw_rl_zone_rate(z, GW_STR("a"), now, 1000000, 2, &r);
	gw_rl_zone_rate(z, GW_STR("b"), now, 1000000, 2, &r);
	ok(r.allowed && r.remaining == 2, "keys count apart");
	/* a quota per period, and a new period starts afresh */
	for (int i = 0; i < 5; i++)
		gw_rl_zone_quota(z, GW_STR("q"), 7, 3, now, now + 1000, &r);
	ok(!r.allowed && r.retry_us == 1000, "a quota of 3 is used up");
	gw_rl_zone_quota(z, GW_STR("q"), 8, 3, now + 1000, now + 2000, &r);
	ok(r.allowed && r.remaining == 2, "the next period starts afresh");
	/* many keys in a small zone: old ones go, none is refused wrongly */
	n = 0;
	for (int i = 0; i < 1000; i++) {
		char k[16];

		(void)snprintf(k, sizeof(k), "k%d", i);
		gw_rl_zone_rate(z, gw_str_cstr(k), now, 1000000, 0, &r);
		n += r.allowed;
	}
	is_int(n, 1000, "a full zone lets new keys in");

	/* several processes at once on one key: exactly burst + 1 pass */
	counts = mmap(NULL, sizeof(int) * procs, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ok(counts != MAP_FAILED, "a page to count in");
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid == 0) {
			int c = 0;

			for (int i = 0; i < tries; i++) {
				gw_rl_zone_rate(z, GW_STR("shared"),
				    gw_clock_us(), 3600000000ULL, 99, &r);
				c += r.allowed;
			}
			counts[p] = c;
			_exit(0);
		}
	}
	for (int p = 0; p < procs; p++)
		(void)wait(&status);
	n = 0;
	for (int p = 0; p < procs; p++)
		n += counts[p];
	is_int(n, 100, "%d processes, %d tries each: exactly 100 pass", procs,
	    tries);
	munmap(counts, sizeof(int) * procs);
	gw_rl_zone_free(z);
}

static void
test_zone_file(void)
{
	struct gw_rl_zone	*a, *b;
	struct gw_rl_result	 r;
	struct gw_err		 err = { 0 };
	char			 path[] = "/tmp/gw-zone-test-XXXXXX";
	uint64_t		 now = gw_clock_us();
	int			 fd, n = 0;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "a temporary file");
		return;
	}
	(void)close(fd);
	(void)unlink(path);
	ok((a = gw_rl_zone_open(path, 100, &err)) != NULL, "a new zone file: %s",
	    err.msg);
	ok((b = gw_rl_zone_open(path, 100, &err)) != NULL, "opened again");
	for (int i = 0; i < 3; i++) {
		gw_rl_zone_rate(a, GW_STR("k"), now, 1000000000, 3, &r);
		n += r.allowed;
		gw_rl_zone_rate(b, GW_STR("k"), now, 1000000000, 3, &r);
		n += r.allowed;
	}
	is_int(n, 4, "two mappings of one file count together");
	gw_rl_zone_free(a);
	gw_rl_zone_free(b);
	ok((a = gw_rl_zone_open(path, 100, &err)) != NULL, "open it once more");
	gw_rl_zone_rate(a, GW_STR("k"), now, 1000000000, 3, &r);
	ok(!r.allowed, "the counters outlive their users");
	gw_rl_zone_free(a);
	ok(gw_rl_zone_open(path, 1000, &err) == NULL &&
	    strstr(err.msg, "another size") != NULL,
	    "another size is refused: %s", err.msg);
	ok(gw_rl_zone_open("/nonexistent/dir/zone", 100, &err) == NULL,
	    "a file that cannot be made: %s", err.msg);
	(void)unlink(path);
}

int
main(void)
{
	test_specs();
	test_gcra();
	test_zone();
	test_zone_file();
	return done_testing();
}
