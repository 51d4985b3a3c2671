/*
 * err.c: struct gw_err, the error record every libcore call fills.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gw.h"

void
gw_err_clear(struct gw_err *err)
{
	if (err == NULL)
		return;
	err->code = GW_E_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

int
gw_err_set(struct gw_err *err, enum gw_err_code code, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->sys_errno = 0;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
gw_err_sys(struct gw_err *err, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;
	size_t	n;

	if (err == NULL)
		return -1;
	err->code = GW_E_SYS;
	err->sys_errno = saved;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	(void)snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
	    strerror(saved));
	errno = saved;
	return -1;
}

int
gw_err_prefix(struct gw_err *err, const char *fmt, ...)
{
	char	line[2 * GW_ERR_MSG_MAX + 2];
	va_list	ap;
	int	n;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line, GW_ERR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= GW_ERR_MSG_MAX)
		n = GW_ERR_MSG_MAX - 1;
	memcpy(line + n, ": ", 2);
	memcpy(line + n + 2, err->msg, strnlen(err->msg, GW_ERR_MSG_MAX - 1) + 1);
	memcpy(err->msg, line, GW_ERR_MSG_MAX - 1);
	err->msg[GW_ERR_MSG_MAX - 1] = '\0';
	return -1;
}

const char *
gw_err_code_name(enum gw_err_code code)
{
	static const char *const names[] = {
		[GW_E_OK] = "ok",
		[GW_E_NOMEM] = "out of memory",
		[GW_E_SYS] = "system error",
		[GW_E_INVAL] = "invalid argument",
		[GW_E_CONFIG] = "configuration error",
		[GW_E_PROTO] = "protocol error",
		[GW_E_LIMIT] = "limit exceeded",
		[GW_E_NOTFOUND] = "not found",
		[GW_E_UNSUPPORTED] = "unsupported",
		[GW_E_TIMEOUT] = "timeout",
		[GW_E_UPSTREAM] = "upstream error",
		[GW_E_AGAIN] = "try again",
		[GW_E_INTERNAL] = "internal error",
	};

	if ((size_t)code >= GW_ARRAY_LEN(names) || names[code] == NULL)
		return "unknown error";
	return names[code];
}

void
gw_bug(const char *file, int line, const char *msg)
{
	(void)fprintf(stderr, "gw: bug at %s:%d: %s\n", file, line, msg);
	abort();
}
