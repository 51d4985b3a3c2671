/*
 * metrics.c: a shared-memory table of series, and the text exposition.
 *
 * The region: a header (lock, counts), a table of families, a table of
 * series (open addressing on a hash of "name{labels}"), and an array of
 * 64-bit cells that series point into.  Only creation takes the lock;
 * updates are atomic adds to cells.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "metrics.h"

#define MAX_FAMILIES	128
#define KEY_MAX		240
#define DEFAULT_SERIES	8192

const double gw_histo_bounds[GW_HISTO_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10
};

struct family {
	char		name[64];
	char		help[160];
	uint8_t		type;
};

struct series {
	char		key[KEY_MAX];	/* "name{labels}" or "name" */
	uint16_t	family;
	uint8_t		used;
	uint32_t	cell;		/* index of its first cell */
};

struct gw_metrics {
	/* everything below lives in the shared mapping */
	struct shared {
		unsigned char	lock;
		uint32_t	nfamilies;
		uint32_t	nseries;
		uint32_t	ncells;
		uint32_t	max_series;
		uint32_t	max_cells;
		uint64_t	beat[GW_METRICS_SLOTS];
		struct family	families[MAX_FAMILIES];
	} *sh;
	struct series	*series;
	uint64_t	*cells;
	size_t		 size;
};

static size_t
cells_for(enum gw_metric_type t)
{
	switch (t) {
	case GW_METRIC_COUNTER:
		return 1;
	case GW_METRIC_GAUGE:
		return GW_METRICS_SLOTS;
	case GW_METRIC_HISTOGRAM:
		return sizeof(struct gw_histo) / sizeof(uint64_t);
	}
	return 1;
}

struct gw_metrics *
gw_metrics_new(size_t max_series, struct gw_err *err)
{
	struct gw_metrics	*m;
	size_t			 hdr, tab, cells, size;
	char			*base;

	if (max_series == 0)
		max_series = DEFAULT_SERIES;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	hdr = (sizeof(struct shared) + 63) & ~(size_t)63;
	tab = max_series * sizeof(struct series);
	/* room for every series to be a histogram would be wasteful */
	cells = max_series * 4 + 256 * GW_METRICS_SLOTS;
	size = hdr + tab + cells * sizeof(uint64_t);
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		gw_err_sys(err, "mmap of %zu bytes for metrics", size);
		free(m);
		return NULL;
	}
	m->sh = (struct shared *)(void *)base;
	m->series = (struct series *)(void *)(base + hdr);
	m->cells = (uint64_t *)(void *)(base + hdr + tab);
	m->size = size;
	m->sh->max_series = (uint32_t)max_series;
	m->sh->max_cells = (uint32_t)cells;
	return m;
}

void
gw_metrics_free(struct gw_metrics *m)
{
	if (m == NULL)
		return;
	(void)munmap(m->sh, m->size);
	free(m);
}

static void
lock(struct gw_metrics *m)
{
	while (__atomic_test_and_set(&m->sh->lock, __ATOMIC_ACQUIRE))
		;
}

static void
unlock(struct gw_metrics *m)
{
	__atomic_clear(&m->sh->lock, __ATOMIC_RELEASE);
}

static int
find_family(const struct gw_metrics *m, const char *name)
{
	uint32_t n = __atomic_load_n(&m->sh->nfamilies, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(m->sh->families[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
gw_metrics_family(struct gw_metrics *m, const char *name,
    enum gw_metric_type type, const char *help)
{
	struct family	*f;
	int		 rc = 0;

	if (strlen(name) >= sizeof(f->name))
		return -1;
	lock(m);
	if (find_family(m, name) == -1) {
		if (m->sh->nfamilies == MAX_FAMILIES)
			rc = -1;
		else {
			f = &m->sh->families[m->sh->nfamilies];
			(void)snprintf(f->name, sizeof(f->name), "%s", name);
			(void)snprintf(f->help, sizeof(f->help), "%s", help);
			f->type = (uint8_t)type;
			__atomic_store_n(&m->sh->nfamilies,
			    m->sh->nfamilies + 1, __ATOMIC_RELEASE);
		}
	}
	unlock(m);
	return rc;
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t *
series_cells(struct gw_metrics *m, const char *name, const char *labels,
    enum gw_metric_type type)
{
	char		 key[KEY_MAX];
	int		 fam, n;
	uint32_t	 cap, i;
	uint64_t	*cells = NULL;

	if (m == NULL)
		return NULL;
	cap = m->sh->max_series;
	if (labels != NULL && labels[0] != '\0')
		n = snprintf(key, sizeof(key), "%s{%s}", name, labels);
	else
		n = snprintf(key, sizeof(key), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	if ((fam = find_family(m, name)) == -1 ||
	    m->sh->families[fam].type != (uint8_t)type)
		return NULL;
	lock(m);
	for (i = (uint32_t)(hash(key) % cap); ; i = (i + 1) % cap) {
		struct series *s = &m->series[i];

		if (s->used) {
			if (strcmp(s->key, key) == 0) {
				cells = &m->cells[s->cell];
				break;
			}
			continue;
		}
		/* a new series: keep the table at most 3/4 full */
		if (m->sh->nseries + 1 > cap / 4 * 3 ||
		    m->sh->ncells + cells_for(type) > m->sh->max_cells)
			break;
		memcpy(s->key, key, (size_t)n + 1);
		s->family = (uint16_t)fam;
		s->cell = m->sh->ncells;
		m->sh->ncells += (uint32_t)cells_for(type);
		m->sh->nseries++;
		__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
		cells = &m->cells[s->cell];
		break;
	}
	unlock(m);
	return cells;
}

uint64_t *
gw_metrics_counter(struct gw_metrics *m, const char *name, const char *labels)
{
	return series_cells(m, name, labels, GW_METRIC_COUNTER);
}

int64_t *
gw_metrics_gauge(struct gw_metrics *m, const char *name, const char *labels)
{
	return (int64_t *)(void *)series_cells(m, name, labels,
	    GW_METRIC_GAUGE);
}

struct gw_histo *
gw_metrics_histogram(struct gw_metrics *m, const char *name,
    const char *labels)
{
	return (struct gw_histo *)(void *)series_cells(m, name, labels,
	    GW_METRIC_HISTOGRAM);
}

void
gw_histo_observe(struct gw_histo *h, uint64_t us)
{
	size_t b = 0;

	if (h == NULL)
		return;
	while (b < GW_HISTO_BUCKETS && (double)us > gw_histo_bounds[b] * 1e6)
		b++;
	(void)__atomic_fetch_add(&h->bucket[b], 1, __ATOMIC_RELAXED);
	(void)__atomic_fetch_add(&h->sum_us, us, __ATOMIC_RELAXED);
	(void)__atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
}

void
gw_metrics_beat(struct gw_metrics *m, int slot, uint64_t now_us)
{
	if (m != NULL && slot >= 0 && slot < GW_METRICS_SLOTS)
		__atomic_store_n(&m->sh->beat[slot], now_us, __ATOMIC_RELAXED);
}

uint64_t
gw_metrics_last_beat(const struct gw_metrics *m, int slot)
{
	if (m == NULL || slot < 0 || slot >= GW_METRICS_SLOTS)
		return 0;
	return __atomic_load_n(&m->sh->beat[slot], __ATOMIC_RELAXED);
}

void
gw_metrics_clear_slot(struct gw_metrics *m, int slot)
{
	uint32_t n;

	if (m == NULL || slot < 0 || slot >= GW_METRICS_SLOTS)
		return;
	n = m->sh->max_series;
	for (uint32_t i = 0; i < n; i++) {
		const struct series *s = &m->series[i];

		if (__atomic_load_n(&s->used, __ATOMIC_ACQUIRE) &&
		    m->sh->families[s->family].type == GW_METRIC_GAUGE)
			__atomic_store_n(&m->cells[s->cell + (uint32_t)slot],
			    0, __ATOMIC_RELAXED);
	}
}

void
gw_metrics_label(const char *value, char *out, size_t outsize)
{
	size_t o = 0;

	if (outsize == 0)
		return;
	for (; *value != '\0' && o + 3 < outsize; value++) {
		if (*value == '\\' || *value == '"') {
			out[o++] = '\\';
			out[o++] = *value;
		} else if (*value == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = *value;
	}
	out[o] = '\0';
}

/* "name{a="b"}" -> labels inside the braces, with one more label added. */
static int
write_histo_line(struct gw_buf *out, const char *key, const char *suffix,
    const char *extra, uint64_t v)
{
	const char	*brace = strchr(key, '{');
	size_t		 nl = brace != NULL ? (size_t)(brace - key) : strlen(key);

	if (gw_buf_append(out, key, nl, NULL) == -1 ||
	    gw_buf_puts(out, suffix, NULL) == -1)
		return -1;
	if (brace != NULL || extra != NULL) {
		if (gw_buf_putc(out, '{', NULL) == -1)
			return -1;
		if (brace != NULL && gw_buf_append(out, brace + 1,
		    strlen(brace + 1) - 1, NULL) == -1)
			return -1;
		if (extra != NULL && (gw_buf_puts(out, brace != NULL ? "," :
		    "", NULL) == -1 || gw_buf_puts(out, extra, NULL) == -1))
			return -1;
		if (gw_buf_putc(out, '}', NULL) == -1)
			return -1;
	}
	return gw_buf_printf(out, NULL, " %llu\n", (unsigned long long)v);
}

int
gw_metrics_write(struct gw_metrics *m, struct gw_buf *out, struct gw_err *err)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	uint32_t nf = __atomic_load_n(&m->sh->nfamilies, __ATOMIC_ACQUIRE);

	for (uint32_t f = 0; f < nf; f++) {
		const struct family *fam = &m->sh->families[f];

		if (gw_buf_printf(out, err, "# HELP %s %s\n# TYPE %s %s\n",
		    fam->name, fam->help, fam->name, types[fam->type]) == -1)
			return -1;
		for (uint32_t i = 0; i < m->sh->max_series; i++) {
			const struct series	*s = &m->series[i];
			const uint64_t		*c;

			if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE) ||
			    s->family != f)
				continue;
			c = &m->cells[s->cell];
			if (fam->type == GW_METRIC_COUNTER) {
				if (gw_buf_printf(out, err, "%s %llu\n", s->key,
				    (unsigned long long)__atomic_load_n(c,
				    __ATOMIC_RELAXED)) == -1)
					return -1;
			} else if (fam->type == GW_METRIC_GAUGE) {
				int64_t sum = 0;

				for (int k = 0; k < GW_METRICS_SLOTS; k++)
					sum += (int64_t)__atomic_load_n(&c[k],
					    __ATOMIC_RELAXED);
				if (gw_buf_printf(out, err, "%s %lld\n", s->key,
				    (long long)sum) == -1)
					return -1;
			} else {
				const struct gw_histo *h = (const void *)c;
				uint64_t cum = 0;
				char le[48];

				for (int k = 0; k <= GW_HISTO_BUCKETS; k++) {
					cum += __atomic_load_n(&h->bucket[k],
					    __ATOMIC_RELAXED);
					if (k < GW_HISTO_BUCKETS)
						(void)snprintf(le, sizeof(le),
						    "le=\"%g\"",
						    gw_histo_bounds[k]);
					else
						(void)snprintf(le, sizeof(le),
						    "le=\"+Inf\"");
					if (write_histo_line(out, s->key,
					    "_bucket", le, cum) == -1)
						goto nomem;
				}
				if (write_histo_line(out, s->key, "_count",
				    NULL, __atomic_load_n(&h->count,
				    __ATOMIC_RELAXED)) == -1)
					goto nomem;
				{
					const char *br = strchr(s->key, '{');
					size_t nl = br != NULL ?
					    (size_t)(br - s->key) :
					    strlen(s->key);
					uint64_t us = __atomic_load_n(
					    &h->sum_us, __ATOMIC_RELAXED);

					if (gw_buf_printf(out, err,
					    "%.*s_sum%s %llu.%06llu\n", (int)nl,
					    s->key, br != NULL ? br : "",
					    (unsigned long long)(us / 1000000),
					    (unsigned long long)(us %
					    1000000)) == -1)
						return -1;
				}
			}
		}
	}
	return 0;
 nomem:
	return gw_err_set(err, GW_E_NOMEM, "out of memory");
}
