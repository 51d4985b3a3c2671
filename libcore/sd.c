/*
 * sd.c: socket activation and readiness notification.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "err.h"
#include "gw.h"
#include "sd.h"

int
gw_sd_detect(struct gw_sd_sockets *out, struct gw_err *err)
{
	int n, nlisten = 0, nconn = 0;

	out->mode = GW_SD_NONE;
	out->nfds = 0;
	if ((n = sd_listen_fds(1)) < 0) {
		errno = -n;
		return gw_err_sys(err, "sd_listen_fds");
	}
	if (n > GW_MAX_LISTENERS)
		return gw_err_set(err, GW_E_LIMIT,
		    "%d sockets passed, at most %d supported", n,
		    GW_MAX_LISTENERS);
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
			nlisten++;
		else if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 0) > 0)
			nconn++;
		else
			return gw_err_set(err, GW_E_CONFIG,
			    "passed fd %d is not a stream socket", fd);
		out->fds[out->nfds++] = fd;
	}
	if (n > 0) {
		if (nconn > 0 && (nlisten > 0 || nconn > 1))
			return gw_err_set(err, GW_E_CONFIG,
			    "passed sockets mix listening and connected ones");
		out->mode = nconn == 1 ? GW_SD_ACCEPTED : GW_SD_LISTEN;
		return 0;
	}
	/* inetd: the connection on stdin ("nowait"), or a listener ("wait") */
	if (sd_is_socket(STDIN_FILENO, AF_UNSPEC, SOCK_STREAM, 0) > 0) {
		out->mode = GW_SD_INETD;
		out->fds[out->nfds++] = STDIN_FILENO;
	} else if (sd_is_socket(STDIN_FILENO, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
		out->mode = GW_SD_LISTEN;
		out->fds[out->nfds++] = STDIN_FILENO;
	}
	return 0;
}

int
gw_sd_booted_notify(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

void
gw_sd_notify(const char *state)
{
	(void)sd_notify(0, state);
}

void
gw_sd_notifyf(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)sd_notify(0, buf);
}
