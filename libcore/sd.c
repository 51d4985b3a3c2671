/*
 * sd.c: socket activation and readiness notification.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "err.h"
#include "gw.h"
#include "sd.h"

static void
free_names(char **names, int n)
{
	if (names == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
gw_sd_detect(struct gw_sd_sockets *out, struct gw_err *err)
{
	int	  n, nlisten = 0, nconn = 0;
	char	**names = NULL;

	out->mode = GW_SD_NONE;
	out->nfds = 0;
	out->nafds = 0;
	if ((n = sd_listen_fds_with_names(1, &names)) < 0) {
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
		else {
			free_names(names, n);
			return gw_err_set(err, GW_E_CONFIG,
			    "passed fd %d is not a stream socket", fd);
		}
		/* FileDescriptorName=admin: the metrics and health listener */
		if (names != NULL && names[i] != NULL &&
		    strcmp(names[i], "admin") == 0)
			out->afds[out->nafds++] = fd;
		else {
			(void)snprintf(out->names[out->nfds],
			    sizeof(out->names[0]), "%s", names != NULL &&
			    names[i] != NULL ? names[i] : "");
			out->fds[out->nfds++] = fd;
		}
	}
	free_names(names, n);
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

uint64_t
gw_sd_watchdog_us(void)
{
	uint64_t us = 0;

	if (sd_watchdog_enabled(0, &us) <= 0)
		return 0;
	return us;
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

int
gw_sd_journal_access(const struct gw_sd_access *a, struct gw_err *err)
{
	int rc;

	rc = sd_journal_send("MESSAGE=%.*s", (int)a->message_len, a->message,
	    "PRIORITY=6",
	    "SYSLOG_IDENTIFIER=gw-serve",
	    "GW_ACCESS=1",
	    "GW_REQUEST_ID=%s", a->request_id,
	    "GW_TRACE_ID=%s", a->trace_id,
	    "GW_ROUTE=%s", a->route != NULL ? a->route : "",
	    "GW_METHOD=%s", a->method != NULL ? a->method : "",
	    "GW_PATH=%s", a->path != NULL ? a->path : "",
	    "GW_CLIENT=%s", a->client,
	    "GW_UPSTREAM=%s", a->upstream != NULL ? a->upstream : "",
	    "GW_STATUS=%d", a->status,
	    "GW_DURATION_US=%lu", a->duration_us,
	    NULL);
	if (rc < 0) {
		errno = -rc;
		return gw_err_sys(err, "sd_journal_send");
	}
	return 0;
}
