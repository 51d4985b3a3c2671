/*
 * metrics.h: counters, gauges and histograms in shared memory.
 *
 * The master maps one region before it forks; every worker inherits it and
 * adds to the same cells with atomic operations, so a scrape served by any
 * worker is exact, and totals survive reloads and worker restarts (the
 * region outlives both).  Series are named "family{labels}" and created on
 * first use under a lock in the region; their cells are then plain
 * pointers, cheap enough for the request path.  Gauges keep one cell per
 * worker slot, summed when read, so that the master can clear what a dead
 * worker held.  gw_metrics_write() prints the Prometheus text format 0.0.4.
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define GW_METRICS_SLOTS	64	/* worker slots for gauges */
#define GW_HISTO_BUCKETS	14

enum gw_metric_type {
	GW_METRIC_COUNTER,
	GW_METRIC_GAUGE,
	GW_METRIC_HISTOGRAM
};

struct gw_metrics;

/* A histogram's cells: bucket counts (not cumulative), sum in us, count. */
struct gw_histo {
	uint64_t	bucket[GW_HISTO_BUCKETS + 1];	/* the last is +Inf */
	uint64_t	sum_us;
	uint64_t	count;
};

/* Bucket bounds in seconds, as the le labels print. */
extern const double gw_histo_bounds[GW_HISTO_BUCKETS];

/*
 * A new region with room for max_series series (0: a default), mapped
 * shared and anonymous: only processes forked after this see it.
 */
struct gw_metrics *gw_metrics_new(size_t max_series, struct gw_err *err);
/* Unmap (in each process that holds it).  NULL is fine. */
void	gw_metrics_free(struct gw_metrics *m);

/*
 * Describe a family once (later calls with the same name are ignored):
 * its type and HELP text.  Series of undescribed families are refused.
 */
int	gw_metrics_family(struct gw_metrics *m, const char *name,
	    enum gw_metric_type type, const char *help);

/*
 * The cells of series name{labels} (labels like route="a",code="2xx", may
 * be empty), created at zero if new.  NULL when the region is full or the
 * family is unknown or of another type: callers then count nothing.  The
 * pointers stay valid for the life of the region.
 */
uint64_t	*gw_metrics_counter(struct gw_metrics *m, const char *name,
		    const char *labels);
int64_t		*gw_metrics_gauge(struct gw_metrics *m, const char *name,
		    const char *labels);	/* GW_METRICS_SLOTS cells */
struct gw_histo	*gw_metrics_histogram(struct gw_metrics *m, const char *name,
		    const char *labels);

static inline void
gw_counter_add(uint64_t *c, uint64_t n)
{
	if (c != NULL)
		(void)__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* Add to this worker slot's cell of a gauge. */
static inline void
gw_gauge_add(int64_t *g, int slot, int64_t n)
{
	if (g != NULL && slot >= 0 && slot < GW_METRICS_SLOTS)
		(void)__atomic_fetch_add(&g[slot], n, __ATOMIC_RELAXED);
}

void	gw_histo_observe(struct gw_histo *h, uint64_t us);

/*
 * Worker heartbeats, for the watchdog: a worker's loop records its clock
 * (gw_clock_us) in its slot; the master reads how long ago that was.
 */
void	gw_metrics_beat(struct gw_metrics *m, int slot, uint64_t now_us);
uint64_t gw_metrics_last_beat(const struct gw_metrics *m, int slot);

/* Zero every gauge cell of slot (its worker is gone). */
void	gw_metrics_clear_slot(struct gw_metrics *m, int slot);

/* Append every family in the Prometheus text exposition format. */
int	gw_metrics_write(struct gw_metrics *m, struct gw_buf *out,
	    struct gw_err *err);

/*
 * Escape a label value for the text format into out (NUL-terminated,
 * truncated to outsize).
 */
void	gw_metrics_label(const char *value, char *out, size_t outsize);

#endif /* GW_METRICS_H */
