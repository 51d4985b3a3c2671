/*
 * master.c: the master process, its workers, and per-connection mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "metrics.h"
#include "proxy.h"
#include "sd.h"
#include "server.h"
#include "sock.h"

#define MAX_FDS		GW_MAX_LISTENERS
#define RESPAWN_MIN_MS	100
#define RESPAWN_MAX_MS	10000
#define KILL_GRACE_MS	5000

struct worker {
	pid_t		pid;
	int		gen;		/* configuration generation */
	int		slot;
	int		mslot;		/* metrics slot for its gauges */
	int		stopping;	/* told to drain */
	uint64_t	started;
};

struct lsock {
	char	*addr;
	int	 fds[8];
	int	 nfds;
};

struct master {
	const struct gw_master_opts *opts;
	struct gw_loop	*loop;
	struct gw_cfg	*cfg;
	int		 gen;
	struct worker	*w;
	size_t		 nw;
	size_t		 capw;
	int		 nslots;
	uint32_t	 backoff_ms[GW_MAX_WORKERS];
	uint64_t	 next_start[GW_MAX_WORKERS];
	struct gw_timer	 respawn;
	struct gw_timer	 kill;
	struct lsock	*ls;		/* sockets bound from addresses */
	size_t		 nls;
	int		 fds[MAX_FDS];	/* what workers serve */
	int		 nfds;
	const struct gw_cfg_listener *flst[MAX_FDS];	/* TLS etc., or NULL */
	int		 afds[MAX_FDS];	/* admin listeners */
	int		 nafds;
	struct lsock	*als;		/* admin sockets bound from addresses */
	size_t		 nals;
	int		 stopping;
	int		 status;
	int		 admin_passed;	/* admin sockets came from systemd */
	/* metrics */
	struct gw_metrics *metrics;
	unsigned char	 mslot_used[GW_METRICS_SLOTS];
	uint64_t	*reloads_ok, *reloads_failed, *restarts;
	int64_t		*g_workers;
	/* the systemd watchdog: pinged only while every worker turns */
	uint64_t	 watchdog_us;
	struct gw_timer	 watchdog;
};

#define MASTER_SLOT	(GW_METRICS_SLOTS - 1)

int
gw_master_ncpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return 1;
	return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

/* Many connections need many descriptors: raise the soft limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Workers. */

struct worker_ctx {
	struct gw_loop		*loop;
	struct gw_server	*srv;
	struct gw_timer		 deadline;
	struct gw_timer		 beat;
	struct gw_metrics	*metrics;
	int			 mslot;
	int			 draining;
};

#define BEAT_US		500000	/* a worker beats this often, at least */

static void
worker_beat(struct gw_timer *t)
{
	struct worker_ctx *w = t->arg;

	gw_metrics_beat(w->metrics, w->mslot, gw_clock_us());
	gw_timer_start(w->loop, &w->beat, BEAT_US, worker_beat, w);
}

static void
worker_drained(void *arg)
{
	struct worker_ctx *w = arg;

	gw_loop_stop(w->loop);
}

static void
worker_deadline(struct gw_timer *t)
{
	struct worker_ctx *w = t->arg;

	gw_log_warnx("drain deadline passed with %zu connections open",
	    gw_server_nconns(w->srv));
	gw_loop_stop(w->loop);
}

static void
worker_signal(struct gw_loop *loop, int signo, void *arg)
{
	struct worker_ctx *w = arg;

	if (signo == SIGQUIT) {
		gw_loop_stop(loop);
		return;
	}
	if (w->draining)
		return;
	w->draining = 1;
	gw_timer_start(loop, &w->deadline,
	    (uint64_t)gw_server_cfg(w->srv)->drain_timeout_ms * 1000,
	    worker_deadline, w);
	gw_server_drain(w->srv, worker_drained, w);
}

static void
worker_main(struct gw_cfg *cfg, const int *fds,
    const struct gw_cfg_listener *const *flst, int nfds, const int *afds,
    int nafds, struct gw_metrics *metrics, int mslot, int fixed_level)
{
	struct worker_ctx	w;
	struct gw_err		err;
	int			rc = 0;

	memset(&w, 0, sizeof(w));
	w.beat.arg = &w;
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (!fixed_level)
		gw_log_set_level((enum gw_log_level)cfg->log_level);
	if ((w.loop = gw_loop_new(&err)) == NULL ||
	    (w.srv = gw_server_new(w.loop, cfg, &err)) == NULL)
		goto fail;
	if (gw_server_set_metrics(w.srv, metrics, mslot, &err) == -1)
		goto fail;
	w.metrics = metrics;
	w.mslot = mslot;
	worker_beat(&w.beat);
	for (int i = 0; i < nfds; i++)
		if (gw_server_listen_tls(w.srv, fds[i], flst[i] != NULL ?
		    flst[i]->tls : NULL, flst[i] != NULL ? flst[i]->consumer :
		    0, &err) == -1)
			goto fail;
	for (int i = 0; i < nafds; i++)
		if (gw_server_listen_admin(w.srv, afds[i], &err) == -1)
			goto fail;
	if (gw_loop_signal(w.loop, SIGTERM, worker_signal, &w, &err) == -1 ||
	    gw_loop_signal(w.loop, SIGINT, worker_signal, &w, &err) == -1 ||
	    gw_loop_signal(w.loop, SIGQUIT, worker_signal, &w, &err) == -1 ||
	    gw_loop_signal(w.loop, SIGHUP, worker_signal, &w, &err) == -1)
		goto fail;
	/* SIGHUP is the master's: a worker that gets one just drains */
	if (gw_loop_run(w.loop, &err) == -1)
		goto fail;
	goto out;
 fail:
	gw_log_warnx("worker: %s", err.msg);
	rc = 1;
 out:
	gw_server_free(w.srv);
	gw_loop_free(w.loop);
	_exit(rc);
}

static struct worker *
worker_add(struct master *m)
{
	if (m->nw == m->capw) {
		size_t ncap = m->capw == 0 ? 16 : m->capw * 2;
		struct worker *nw = realloc(m->w, ncap * sizeof(*nw));

		if (nw == NULL)
			return NULL;
		m->w = nw;
		m->capw = ncap;
	}
	memset(&m->w[m->nw], 0, sizeof(m->w[0]));
	return &m->w[m->nw++];
}

static int
spawn(struct master *m, int slot)
{
	struct worker	*w;
	pid_t		 pid;
	int		 mslot;

	if ((w = worker_add(m)) == NULL) {
		gw_log_warnx("cannot start worker: out of memory");
		return -1;
	}
	fflush(NULL);
	mslot = -1;
	for (int i = 0; i < MASTER_SLOT; i++)
		if (!m->mslot_used[i]) {
			mslot = i;
			break;
		}
	if ((pid = fork()) == -1) {
		gw_log_warn("fork");
		m->nw--;
		return -1;
	}
	if (pid == 0) {
		struct gw_cfg *cfg = m->cfg;
		int fds[MAX_FDS], nfds = m->nfds, afds[MAX_FDS];
		int nafds = m->nafds;

		memcpy(fds, m->fds, sizeof(fds));
		memcpy(afds, m->afds, sizeof(afds));
		/* the child keeps only what a worker needs */
		gw_loop_free(m->loop);
		worker_main(cfg, fds, m->flst, nfds, afds, nafds, m->metrics,
		    mslot, m->opts->log_level_fixed);
	}
	if (mslot >= 0)
		m->mslot_used[mslot] = 1;
	gw_gauge_add(m->g_workers, MASTER_SLOT, 1);
	w->pid = pid;
	w->gen = m->gen;
	w->slot = slot;
	w->mslot = mslot;
	w->started = gw_clock_us();
	return 0;
}

static int
slot_live(const struct master *m, int slot)
{
	for (size_t i = 0; i < m->nw; i++)
		if (m->w[i].gen == m->gen && m->w[i].slot == slot &&
		    !m->w[i].stopping)
			return 1;
	return 0;
}

static void respawn_fire(struct gw_timer *t);

/* Start every missing worker whose back-off has passed. */
static void
fill_slots(struct master *m)
{
	uint64_t now = gw_clock_us(), next = 0;

	if (m->stopping)
		return;
	for (int s = 0; s < m->nslots; s++) {
		if (slot_live(m, s))
			continue;
		if (m->next_start[s] > now) {
			if (next == 0 || m->next_start[s] < next)
				next = m->next_start[s];
			continue;
		}
		(void)spawn(m, s);
	}
	if (next > 0)
		gw_timer_start(m->loop, &m->respawn, next - now + 1000,
		    respawn_fire, m);
}

static void
respawn_fire(struct gw_timer *t)
{
	fill_slots(t->arg);
}

static void
signal_gen(struct master *m, int gen, int signo, int all)
{
	for (size_t i = 0; i < m->nw; i++)
		if (all || m->w[i].gen == gen) {
			if (signo != SIGKILL)
				m->w[i].stopping = 1;
			(void)kill(m->w[i].pid, signo);
		}
}

static void
reap(struct master *m)
{
	for (;;) {
		int	status;
		pid_t	pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			break;
		for (size_t i = 0; i < m->nw; i++) {
			struct worker	*w = &m->w[i];
			uint64_t	 lived;

			if (w->pid != pid)
				continue;
			lived = gw_clock_us() - w->started;
			if (w->mslot >= 0) {
				gw_metrics_clear_slot(m->metrics, w->mslot);
				m->mslot_used[w->mslot] = 0;
			}
			gw_gauge_add(m->g_workers, MASTER_SLOT, -1);
			if (!w->stopping && !m->stopping) {
				int s = w->slot;

				gw_counter_add(m->restarts, 1);
				if (WIFSIGNALED(status))
					gw_log_warnx("worker %d died of signal "
					    "%d; starting a new one", (int)pid,
					    WTERMSIG(status));
				else
					gw_log_warnx("worker %d exited with "
					    "status %d; starting a new one",
					    (int)pid, WEXITSTATUS(status));
				/* one that dies young waits longer each time */
				if (lived < 1000000)
					m->backoff_ms[s] = m->backoff_ms[s] == 0 ?
					    RESPAWN_MIN_MS : GW_MIN(
					    m->backoff_ms[s] * 2,
					    RESPAWN_MAX_MS);
				else
					m->backoff_ms[s] = 0;
				m->next_start[s] = gw_clock_us() +
				    (uint64_t)m->backoff_ms[s] * 1000;
			}
			m->w[i] = m->w[--m->nw];
			break;
		}
	}
	if (m->stopping) {
		if (m->nw == 0)
			gw_loop_stop(m->loop);
		return;
	}
	fill_slots(m);
}

/* Sockets. */

static int
write_port_file(const char *path, const int *fds, int nfds)
{
	char	tmp[4096];
	FILE	*fp;
	int	port = -1;

	for (int i = 0; i < nfds && port == -1; i++)
		port = gw_sock_port(fds[i]);
	if (port == -1)
		return 0;
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	(void)fprintf(fp, "%d\n", port);
	if (fclose(fp) == EOF)
		return -1;
	return rename(tmp, path);
}

static void
lsocks_free(struct lsock *ls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < ls[i].nfds; j++)
			(void)close(ls[i].fds[j]);
		free(ls[i].addr);
	}
	free(ls);
}

/*
 * Bind addrs, reusing the sockets of old for addresses it already has.
 * On success *out owns every socket (reused ones are taken from old).
 */
static int
bind_all(char *const *addrs, size_t naddrs, struct lsock *old, size_t nold,
    struct lsock **out, struct gw_err *err)
{
	struct lsock *ls;

	if ((ls = calloc(naddrs == 0 ? 1 : naddrs, sizeof(*ls))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < naddrs; i++) {
		int n = -1;

		if ((ls[i].addr = strdup(addrs[i])) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t j = 0; j < nold; j++)
			if (old[j].nfds > 0 && strcmp(old[j].addr, addrs[i]) == 0) {
				memcpy(ls[i].fds, old[j].fds, sizeof(ls[i].fds));
				n = ls[i].nfds = old[j].nfds;
				old[j].nfds = 0;
				break;
			}
		if (n == -1 && (n = gw_sock_listen(addrs[i], 4096, ls[i].fds,
		    GW_ARRAY_LEN(ls[i].fds), err)) == -1)
			goto fail;
		ls[i].nfds = n;
	}
	*out = ls;
	return 0;
 fail:
	/* give reused sockets back */
	for (size_t i = 0; i < naddrs; i++)
		for (size_t j = 0; j < nold; j++)
			if (ls[i].addr != NULL && old[j].nfds == 0 &&
			    strcmp(old[j].addr, ls[i].addr) == 0) {
				memcpy(old[j].fds, ls[i].fds, sizeof(old[j].fds));
				old[j].nfds = ls[i].nfds;
				ls[i].nfds = 0;
			}
	lsocks_free(ls, naddrs);
	return -1;
}

static int
collect_into(int *fds, int *nfds, const struct lsock *ls, size_t nls,
    struct gw_err *err)
{
	*nfds = 0;
	for (size_t i = 0; i < nls; i++)
		for (int j = 0; j < ls[i].nfds; j++) {
			if (*nfds == MAX_FDS)
				return gw_err_set(err, GW_E_LIMIT,
				    "more than %d listening sockets", MAX_FDS);
			fds[(*nfds)++] = ls[i].fds[j];
		}
	return 0;
}

static int
collect_fds(struct master *m, const struct lsock *ls, size_t nls,
    struct gw_err *err)
{
	return collect_into(m->fds, &m->nfds, ls, nls, err);
}

/* Which listener of the configuration each socket serves (TLS or not). */
static void
map_listeners(struct master *m)
{
	int k = 0;

	memset(m->flst, 0, sizeof(m->flst));
	if (m->opts->fds != NULL) {
		for (int i = 0; i < m->nfds; i++)
			m->flst[i] = m->opts->fd_names == NULL ? NULL :
			    gw_cfg_listener_for(m->cfg, NULL,
			    m->opts->fd_names[i]);
		return;
	}
	if (m->opts->listen != NULL)
		return;		/* --listen: plain HTTP */
	for (size_t i = 0; i < m->nls; i++)
		for (int j = 0; j < m->ls[i].nfds && k < MAX_FDS; j++)
			m->flst[k++] = gw_cfg_listener_for(m->cfg,
			    m->ls[i].addr, NULL);
}

static void
describe(struct master *m)
{
	char	names[1024], admin[512], one[128];
	size_t	o = 0, a = 0;

	names[0] = admin[0] = '\0';
	for (int i = 0; i < m->nfds && o < sizeof(names) - 1; i++) {
		int n;

		gw_sock_name(m->fds[i], one, sizeof(one));
		n = snprintf(names + o, sizeof(names) - o, "%s%s",
		    i > 0 ? " " : "", one);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	for (int i = 0; i < m->nafds && a < sizeof(admin) - 1; i++) {
		int n;

		gw_sock_name(m->afds[i], one, sizeof(one));
		n = snprintf(admin + a, sizeof(admin) - a, "%s%s",
		    i > 0 ? " " : ", admin ", one);
		if (n < 0)
			break;
		a += (size_t)n;
	}
	gw_log_info("serving %s with %d worker%s%s", names, m->nslots,
	    m->nslots == 1 ? "" : "s", admin);
	gw_sd_notifyf("STATUS=serving %s with %d worker%s%s", names,
	    m->nslots, m->nslots == 1 ? "" : "s", admin);
}

static int
nworkers(const struct master *m)
{
	int n = m->opts->workers > 0 ? m->opts->workers :
	    m->cfg->workers > 0 ? m->cfg->workers : gw_master_ncpus();

	return GW_MIN(n, GW_MAX_WORKERS);
}

/*
 * Every half watchdog period: a worker whose loop has not beaten for a
 * whole period (and at least 2 s) is hung: kill it, and its replacement
 * comes through reap().  systemd hears WATCHDOG=1 only when none is hung.
 */
static void
watchdog_fire(struct gw_timer *t)
{
	struct master	*m = t->arg;
	uint64_t	 now = gw_clock_us(), limit;
	int		 hung = 0;

	limit = GW_MAX(m->watchdog_us, 2000000);
	for (size_t i = 0; i < m->nw; i++) {
		struct worker	*w = &m->w[i];
		uint64_t	 beat = gw_metrics_last_beat(m->metrics,
		    w->mslot);

		if (w->mslot < 0 || w->stopping || now - w->started < limit)
			continue;
		if (beat == 0 || now - beat > limit) {
			gw_log_warnx("worker %d has not turned its loop for "
			    "%llu ms; killing it", (int)w->pid,
			    (unsigned long long)((now - beat) / 1000));
			(void)kill(w->pid, SIGKILL);
			hung = 1;
		}
	}
	if (!hung)
		gw_sd_notify("WATCHDOG=1");
	gw_timer_start(m->loop, &m->watchdog, m->watchdog_us / 2,
	    watchdog_fire, m);
}

/* The metrics region, made before any worker forks. */
static int
init_metrics(struct master *m, struct gw_err *err)
{
	char labels[64];

	if ((m->metrics = gw_metrics_new(0, err)) == NULL)
		return -1;
	if (gw_server_metrics_init(m->metrics) != 0 ||
	    gw_proxy_metrics_init(m->metrics) != 0 ||
	    gw_metrics_family(m->metrics, "gw_reloads_total",
	    GW_METRIC_COUNTER, "Configuration reloads, by result.") != 0 ||
	    gw_metrics_family(m->metrics, "gw_worker_restarts_total",
	    GW_METRIC_COUNTER, "Workers that died and were replaced.") != 0 ||
	    gw_metrics_family(m->metrics, "gw_workers", GW_METRIC_GAUGE,
	    "Worker processes running.") != 0 ||
	    gw_metrics_family(m->metrics, "gw_build_info", GW_METRIC_GAUGE,
	    "The version of gw-serve, as a label.") != 0)
		return gw_err_set(err, GW_E_INTERNAL,
		    "cannot register the metric families");
	m->reloads_ok = gw_metrics_counter(m->metrics, "gw_reloads_total",
	    "result=\"ok\"");
	m->reloads_failed = gw_metrics_counter(m->metrics, "gw_reloads_total",
	    "result=\"failed\"");
	m->restarts = gw_metrics_counter(m->metrics,
	    "gw_worker_restarts_total", "");
	m->g_workers = gw_metrics_gauge(m->metrics, "gw_workers", "");
	(void)snprintf(labels, sizeof(labels), "version=\"%s\"", GW_VERSION);
	gw_gauge_add(gw_metrics_gauge(m->metrics, "gw_build_info", labels),
	    MASTER_SLOT, 1);
	return 0;
}

/* Signals. */

static void
kill_fire(struct gw_timer *t)
{
	struct master *m = t->arg;

	if (m->nw > 0) {
		gw_log_warnx("%zu workers still running; killing them", m->nw);
		signal_gen(m, 0, SIGKILL, 1);
	}
}

static void
reload(struct master *m)
{
	struct gw_cfg	*ncfg;
	struct lsock	*nls = NULL, *nals = NULL;
	struct gw_err	 err;
	int		 oldgen = m->gen, savefds[MAX_FDS], savenfds;
	int		 saveafds[MAX_FDS], savenafds;

	if (m->opts->reload == NULL) {
		gw_log_info("SIGHUP: no configuration file to reload");
		return;
	}
	gw_sd_notify("RELOADING=1");
	if ((ncfg = m->opts->reload(m->opts->reload_arg, &err)) == NULL) {
		gw_counter_add(m->reloads_failed, 1);
		gw_log_warnx("reload refused, keeping the running "
		    "configuration: %s", err.msg);
		gw_sd_notify("READY=1\nSTATUS=reload refused; see the log");
		return;
	}
	memcpy(savefds, m->fds, sizeof(savefds));
	savenfds = m->nfds;
	memcpy(saveafds, m->afds, sizeof(saveafds));
	savenafds = m->nafds;
	if (!m->admin_passed && (bind_all(ncfg->admin_listen,
	    ncfg->nadmin_listen, m->als, m->nals, &nals, &err) == -1 ||
	    collect_into(m->afds, &m->nafds, nals, ncfg->nadmin_listen,
	    &err) == -1)) {
		gw_counter_add(m->reloads_failed, 1);
		gw_log_warnx("reload refused, keeping the running "
		    "configuration: %s", err.msg);
		if (nals != NULL)
			lsocks_free(nals, ncfg->nadmin_listen);
		memcpy(m->afds, saveafds, sizeof(saveafds));
		m->nafds = savenafds;
		gw_cfg_unref(ncfg);
		gw_sd_notify("READY=1");
		return;
	}
	if (m->opts->fds == NULL && m->opts->listen == NULL) {
		if (bind_all(ncfg->listen, ncfg->nlisten, m->ls, m->nls, &nls,
		    &err) == -1 || collect_fds(m, nls, ncfg->nlisten,
		    &err) == -1) {
			gw_counter_add(m->reloads_failed, 1);
			gw_log_warnx("reload refused, keeping the running "
			    "configuration: %s", err.msg);
			if (nls != NULL)
				lsocks_free(nls, ncfg->nlisten);
			if (nals != NULL)
				lsocks_free(nals, ncfg->nadmin_listen);
			memcpy(m->fds, savefds, sizeof(savefds));
			m->nfds = savenfds;
			memcpy(m->afds, saveafds, sizeof(saveafds));
			m->nafds = savenafds;
			gw_cfg_unref(ncfg);
			gw_sd_notify("READY=1");
			return;
		}
	}
	gw_cfg_unref(m->cfg);
	m->cfg = ncfg;
	m->gen++;
	if (nls != NULL) {
		/*
		 * The new workers serve the new sockets; those no longer
		 * configured close here, and in the old workers as they go.
		 */
		lsocks_free(m->ls, m->nls);
		m->ls = nls;
		m->nls = ncfg->nlisten;
		nls = NULL;
	}
	map_listeners(m);
	if (!m->opts->log_level_fixed)
		gw_log_set_level((enum gw_log_level)ncfg->log_level);
	m->nslots = nworkers(m);
	memset(m->backoff_ms, 0, sizeof(m->backoff_ms));
	memset(m->next_start, 0, sizeof(m->next_start));
	fill_slots(m);
	signal_gen(m, oldgen, SIGTERM, 0);
	if (nals != NULL) {
		lsocks_free(m->als, m->nals);
		m->als = nals;
		m->nals = ncfg->nadmin_listen;
	}
	gw_counter_add(m->reloads_ok, 1);
	gw_log_info("configuration reloaded (generation %d)", m->gen);
	describe(m);
	gw_sd_notify("READY=1");
}

static void
master_signal(struct gw_loop *loop, int signo, void *arg)
{
	struct master *m = arg;

	(void)loop;
	switch (signo) {
	case SIGCHLD:
		reap(m);
		break;
	case SIGHUP:
		if (!m->stopping)
			reload(m);
		break;
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		if (m->stopping && signo != SIGQUIT)
			break;
		m->stopping = 1;
		gw_sd_notify("STOPPING=1");
		gw_log_info("stopping (%s)", signo == SIGQUIT ? "at once" :
		    "draining connections");
		gw_timer_stop(&m->respawn);
		signal_gen(m, 0, signo == SIGQUIT ? SIGQUIT : SIGTERM, 1);
		gw_timer_start(loop, &m->kill,
		    ((uint64_t)m->cfg->drain_timeout_ms + KILL_GRACE_MS) * 1000,
		    kill_fire, m);
		if (m->nw == 0)
			gw_loop_stop(loop);
		break;
	default:
		break;
	}
}

int
gw_master_run(const struct gw_master_opts *opts, struct gw_err *err)
{
	struct master	m;
	int		rc = 1;

	memset(&m, 0, sizeof(m));
	m.opts = opts;
	m.cfg = gw_cfg_ref(opts->cfg);
	(void)signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (opts->fds != NULL && opts->nfds > 0) {
		if (opts->nfds > MAX_FDS) {
			gw_err_set(err, GW_E_LIMIT, "too many sockets");
			goto out;
		}
		memcpy(m.fds, opts->fds, (size_t)opts->nfds * sizeof(int));
		m.nfds = opts->nfds;
	} else {
		char *const	*addrs = opts->listen != NULL ? opts->listen :
		    m.cfg->listen;
		size_t		 naddrs = opts->listen != NULL ? opts->nlisten :
		    m.cfg->nlisten;

		if (naddrs == 0) {
			gw_err_set(err, GW_E_CONFIG, "nothing to listen on: "
			    "give --listen, or \"listen\" in the configuration, "
			    "or start under systemd socket activation");
			goto out;
		}
		if (bind_all(addrs, naddrs, NULL, 0, &m.ls, err) == -1)
			goto out;
		m.nls = naddrs;
		if (collect_fds(&m, m.ls, m.nls, err) == -1)
			goto out;
	}
	if (opts->afds != NULL && opts->nafds > 0) {
		memcpy(m.afds, opts->afds, (size_t)opts->nafds * sizeof(int));
		m.nafds = opts->nafds;
		m.admin_passed = 1;
	} else if (m.cfg->nadmin_listen > 0) {
		if (bind_all(m.cfg->admin_listen, m.cfg->nadmin_listen, NULL, 0,
		    &m.als, err) == -1)
			goto out;
		m.nals = m.cfg->nadmin_listen;
		if (collect_into(m.afds, &m.nafds, m.als, m.nals, err) == -1)
			goto out;
	}
	if (init_metrics(&m, err) == -1)
		goto out;
	if ((m.loop = gw_loop_new(err)) == NULL)
		goto out;
	if (gw_loop_signal(m.loop, SIGCHLD, master_signal, &m, err) == -1 ||
	    gw_loop_signal(m.loop, SIGHUP, master_signal, &m, err) == -1 ||
	    gw_loop_signal(m.loop, SIGTERM, master_signal, &m, err) == -1 ||
	    gw_loop_signal(m.loop, SIGINT, master_signal, &m, err) == -1 ||
	    gw_loop_signal(m.loop, SIGQUIT, master_signal, &m, err) == -1)
		goto out;
	map_listeners(&m);
	m.nslots = nworkers(&m);
	fill_slots(&m);
	/*
	 * Like READY=1, the port file says the workers are there: a script
	 * that waits for it finds them (the listening sockets queued any
	 * connection before).  A failure leaves them to PDEATHSIG.
	 */
	if (opts->port_file != NULL &&
	    write_port_file(opts->port_file, m.fds, m.nfds) == -1) {
		gw_err_sys(err, "cannot write '%s'", opts->port_file);
		goto out;
	}
	describe(&m);
	gw_sd_notify("READY=1");
	if ((m.watchdog_us = gw_sd_watchdog_us()) > 0)
		gw_timer_start(m.loop, &m.watchdog, m.watchdog_us / 2,
		    watchdog_fire, &m);
	if (gw_loop_run(m.loop, err) == -1)
		goto out;
	rc = 0;
 out:
	gw_timer_stop(&m.respawn);
	gw_timer_stop(&m.kill);
	gw_timer_stop(&m.watchdog);
	gw_loop_free(m.loop);
	lsocks_free(m.ls, m.nls);
	lsocks_free(m.als, m.nals);
	free(m.w);
	gw_metrics_free(m.metrics);
	gw_cfg_unref(m.cfg);
	return rc;
}

/* Per-connection mode. */

struct one_ctx {
	struct gw_loop		*loop;
	struct gw_server	*srv;
};

static void
one_idle(void *arg)
{
	struct one_ctx *o = arg;

	if (gw_server_nconns(o->srv) == 0)
		gw_loop_stop(o->loop);
}

static void
one_signal(struct gw_loop *loop, int signo, void *arg)
{
	struct one_ctx *o = arg;

	if (signo == SIGHUP)
		return;	/* one connection: the next one reads the file anew */
	if (signo == SIGQUIT) {
		gw_loop_stop(loop);
		return;
	}
	gw_server_drain(o->srv, NULL, NULL);
}

int
gw_master_serve_one(struct gw_cfg *cfg, int fd, struct gw_err *err)
{
	struct one_ctx	o;
	int		rc = 1;

	memset(&o, 0, sizeof(o));
	(void)signal(SIGPIPE, SIG_IGN);
	if ((o.loop = gw_loop_new(err)) == NULL ||
	    (o.srv = gw_server_new(o.loop, cfg, err)) == NULL)
		goto out;
	if (gw_loop_signal(o.loop, SIGTERM, one_signal, &o, err) == -1 ||
	    gw_loop_signal(o.loop, SIGINT, one_signal, &o, err) == -1 ||
	    gw_loop_signal(o.loop, SIGHUP, one_signal, &o, err) == -1 ||
	    gw_loop_signal(o.loop, SIGQUIT, one_signal, &o, err) == -1 ||
	    gw_loop_on_idle(o.loop, one_idle, &o) == -1)
		goto out;
	if (gw_server_serve_fd(o.srv, fd, err) == -1)
		goto out;
	if (gw_loop_run(o.loop, err) == -1)
		goto out;
	rc = 0;
 out:
	gw_server_free(o.srv);
	gw_loop_free(o.loop);
	return rc;
}
