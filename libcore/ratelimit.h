/*
 * ratelimit.h: rate limits and quotas, as a route policy.
 *
 *	{ "rate_limit": { "key": "consumer", "rate": "100/s", "burst": 20 } }
 *	{ "rate_limit": { "key": "claim:sub", "quota": "10000/day",
 *	                  "store": "redis", "redis": "127.0.0.1:6379" } }
 *
 * Rates are enforced with GCRA (the generic cell rate algorithm): a key at
 * rest may send burst + 1 requests at once, then one every period/count;
 * over any window of one period it gets at most count + burst.  Quotas
 * count requests per calendar day or month (UTC).  A refused request gets
 * 429 problem+json with Retry-After; every answer carries RateLimit-Policy
 * and RateLimit (draft-ietf-httpapi-ratelimit-headers).
 *
 * Counters live in shared memory mapped when the configuration loads (in
 * the master, before the workers fork), so all workers of a host share
 * them exactly; a reload keeps the counters of zones it keeps.  With
 * "store": "redis" they live in Redis, each decision one atomic Lua script,
 * so that gateways on many hosts share them; when Redis cannot be reached
 * the policy fails open or closed as configured, and says so in the log.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw.h"
#include "policy.h"

extern const struct gw_policy_type gw_policy_rate_limit;

enum gw_rl_period {
	GW_RL_RATE,		/* GCRA over count per period_us */
	GW_RL_DAY,		/* a quota per UTC day */
	GW_RL_MONTH		/* a quota per UTC month */
};

struct gw_rl_spec {
	enum gw_rl_period	kind;
	uint64_t		count;
	uint64_t		period_us;	/* GW_RL_RATE */
};

/*
 * Parse "100/s", "10/min", "2/1500ms", "1000/h", "5000/day" (a rate, with
 * quota 0), or "10000/day", "100000/month" (quota 1).  -1 with a message.
 */
int	gw_rl_spec_parse(const char *s, int quota, struct gw_rl_spec *out,
	    struct gw_err *err);

/* One GCRA decision, for the stores and the tests. */
struct gw_rl_result {
	int		allowed;
	uint64_t	remaining;	/* requests left now */
	uint64_t	retry_us;	/* when refused: wait this long */
	uint64_t	reset_us;	/* until the bucket is full again */
};

/*
 * GCRA on *tat (theoretical arrival time, microseconds; 0 for a new key)
 * at time now with emission interval t_us and burst: updates *tat when
 * allowed.
 */
void	gw_rl_gcra(uint64_t *tat, uint64_t now, uint64_t t_us, uint64_t burst,
	    struct gw_rl_result *r);

/*
 * A shared-memory zone of slots keys (rounded up), mapped shared and
 * anonymous: processes forked after this share it.  Caller frees with
 * gw_rl_zone_free().
 */
struct gw_rl_zone;
struct gw_rl_zone *gw_rl_zone_new(size_t slots, struct gw_err *err);
/*
 * A zone in the file at path (created mode 0600 when missing): every
 * process that opens the same file shares it, gw-serve processes started
 * one per connection included, and its counters outlive them.  A file of
 * another size is refused; one left by another boot is set up afresh.
 */
struct gw_rl_zone *gw_rl_zone_open(const char *path, size_t slots,
	    struct gw_err *err);
void	gw_rl_zone_free(struct gw_rl_zone *z);
/*
 * Decide for key (any bytes) in zone z: GCRA with spec (kind GW_RL_RATE)
 * and burst, or a quota for period id (day or month number) ending in
 * period_end_us.  now is CLOCK_MONOTONIC for rates, the wall clock for
 * quotas (microseconds).
 */
void	gw_rl_zone_rate(struct gw_rl_zone *z, struct gw_str key, uint64_t now,
	    uint64_t t_us, uint64_t burst, struct gw_rl_result *r);
void	gw_rl_zone_quota(struct gw_rl_zone *z, struct gw_str key,
	    uint64_t period, uint64_t limit, uint64_t now,
	    uint64_t period_end_us, struct gw_rl_result *r);

#endif /* GW_RATELIMIT_H */
