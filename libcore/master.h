/*
 * master.h: gw-serve's processes.
 *
 * Long-lived mode (systemd Accept=no, or --listen): a master process holds
 * the listening sockets and the configuration, starts one worker per CPU of
 * its affinity mask (each an event loop sharing the sockets), restarts a
 * worker that dies, reloads on SIGHUP (new workers on the new configuration,
 * old ones drain), and drains on SIGTERM.  Per-connection mode (systemd
 * Accept=yes, inetd): one process serves its one connection and exits.
 */
#ifndef GW_MASTER_H
#define GW_MASTER_H

#include <stddef.h>

#include "cfg.h"
#include "err.h"
#include "gw.h"

/* Build a fresh configuration for a reload; NULL with err if bad. */
typedef struct gw_cfg *gw_master_reload_fn(void *arg, struct gw_err *err);

struct gw_master_opts {
	struct gw_cfg		*cfg;		/* the configuration (borrowed) */
	gw_master_reload_fn	*reload;	/* NULL: SIGHUP has nothing to do */
	void			*reload_arg;
	char			**listen;	/* --listen addresses, or NULL */
	size_t			 nlisten;
	const int		*fds;		/* sockets from systemd, or NULL */
	const char		(*fd_names)[64]; /* their FileDescriptorName= */
	int			 nfds;
	const int		*afds;		/* admin sockets from systemd */
	int			 nafds;
	int			 workers;	/* --workers; 0: cfg, then CPUs */
	const char		*port_file;	/* write the first TCP port here */
	int			 log_level_fixed; /* by an option: not from cfg */
};

/*
 * Run the master until it is told to stop.  Returns the exit status for
 * main(): 0 after a clean stop, 1 when it could not start (err says why).
 */
int	gw_master_run(const struct gw_master_opts *opts, struct gw_err *err);

/*
 * Per-connection mode: serve the connected socket fd with cfg, then return
 * 0 (or 1 with err if it could not start).
 */
int	gw_master_serve_one(struct gw_cfg *cfg, int fd, struct gw_err *err);

/* The CPUs this process may run on (its affinity mask), at least 1. */
int	gw_master_ncpus(void);

#endif /* GW_MASTER_H */
