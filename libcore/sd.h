/*
 * sd.h: what systemd (or inetd) handed us, and telling systemd how we are.
 *
 * Only this module calls libsystemd.  gw-serve never asks the user how it was
 * started: gw_sd_detect() looks at LISTEN_FDS and at stdin.
 */
#ifndef GW_SD_H
#define GW_SD_H

#include <stdint.h>

#include "err.h"
#include "gw.h"

enum gw_sd_mode {
	GW_SD_NONE,		/* nothing handed over: bind --listen */
	GW_SD_LISTEN,		/* listening sockets (systemd Accept=no) */
	GW_SD_ACCEPTED,		/* one connected socket (systemd Accept=yes) */
	GW_SD_INETD		/* a connected socket on stdin (inetd) */
};

struct gw_sd_sockets {
	enum gw_sd_mode	 mode;
	int		 fds[GW_MAX_LISTENERS];
	char		 names[GW_MAX_LISTENERS][64];	/* FileDescriptorName= */
	int		 nfds;
	int		 afds[GW_MAX_LISTENERS];	/* FileDescriptorName=admin */
	int		 nafds;
};

/*
 * Look at what the process was given; the LISTEN_* variables are removed
 * from the environment so that children do not see them.  -1 with err when
 * the descriptors make no sense (a mix of listening and connected sockets,
 * something that is not a stream socket).
 */
int	gw_sd_detect(struct gw_sd_sockets *out, struct gw_err *err);

/* An access log record for sd_journal_send(3): the fields one may filter on. */
struct gw_sd_access {
	const char	*message;	/* the JSON line, without newline */
	size_t		 message_len;
	const char	*request_id;
	const char	*trace_id;
	const char	*route;		/* may be NULL */
	const char	*method;	/* may be NULL */
	const char	*path;		/* may be NULL */
	const char	*client;
	const char	*upstream;	/* may be NULL */
	int		 status;
	unsigned long	 duration_us;
};

/* Send one access record to the journal; -1 with err if it refused it. */
int	gw_sd_journal_access(const struct gw_sd_access *a, struct gw_err *err);

/* sd_notify(3) when NOTIFY_SOCKET is set; a no-op otherwise. */
void	gw_sd_notify(const char *state);
void	gw_sd_notifyf(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
/* The watchdog period systemd asks for (WATCHDOG_USEC), or 0. */
uint64_t gw_sd_watchdog_us(void);
/* 1 when running under systemd with a notification socket. */
int	gw_sd_booted_notify(void);

#endif /* GW_SD_H */
