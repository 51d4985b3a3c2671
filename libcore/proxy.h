/*
 * proxy.h: the proxy handler and the upstream pools.
 *
 * A struct gw_proxy lives in each worker: the run-time state of every
 * upstream pool of the configuration (round-robin cursor, requests in
 * flight per target for least-connections, passive health) and the
 * outgoing client (client.h) whose pools keep upstream connections alive.
 * Plain http targets go through gw's own HTTP/1.1 client, https ones
 * through libcurl on the same loop.
 */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "err.h"

struct gw_server;
struct gw_req;
struct gw_proxy;

/*
 * Per-worker proxy state for srv's configuration.  libcurl itself is set up
 * on the first proxied request, so that workers that never proxy (and
 * per-connection processes serving static routes) do not pay for it.
 */
struct gw_proxy	*gw_proxy_new(struct gw_server *srv, struct gw_err *err);
/* Abort transfers still running and free everything.  NULL is fine. */
void	gw_proxy_free(struct gw_proxy *px);
/* Handle req by forwarding it to the upstream conf names. */
void	gw_proxy_handle(struct gw_req *req, const struct gw_cfg_proxy *conf);

/* Run-time state of one target, for tests and metrics. */
struct gw_proxy_target_state {
	uint32_t	active;		/* requests in flight */
	uint32_t	fails;		/* failures in a row */
	int		ejected;	/* cooling down now */
	uint64_t	requests;	/* sent to it so far */
};

int	gw_proxy_target_state(const struct gw_proxy *px, size_t upstream,
	    size_t target, struct gw_proxy_target_state *out);

struct gw_buf;
struct gw_metrics;
/* Register the upstream metric families (once, in the master). */
int	gw_proxy_metrics_init(struct gw_metrics *m);
/* Count into m from now on (gauges in this worker's slot). */
int	gw_proxy_set_metrics(struct gw_proxy *px, struct gw_metrics *m,
	    int slot);
/* Append {"upstream":[{"target","ejected","failures","active"}...]} */
int	gw_proxy_write_state(const struct gw_proxy *px, struct gw_buf *b);

#endif /* GW_PROXY_H */
