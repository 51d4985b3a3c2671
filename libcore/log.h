/*
 * log.h: diagnostics.
 *
 * libcore logs only through the handler a tool installs; the default handler
 * writes one line per message to stderr, prefixed with the program name, or
 * with the sd-daemon(3) level prefix ("<4>") when stderr goes to the journal.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "gw.h"

/* syslog(3) priorities, so that they map 1:1 onto sd-daemon prefixes. */
enum gw_log_level {
	GW_LOG_ERR = 3,
	GW_LOG_WARNING = 4,
	GW_LOG_NOTICE = 5,
	GW_LOG_INFO = 6,
	GW_LOG_DEBUG = 7
};

typedef void gw_log_fn(enum gw_log_level level, const char *msg, void *arg);

/*
 * Set the program name used as prefix (borrowed: must outlive logging) and
 * decide the prefix style from the environment (JOURNAL_STREAM).
 */
void	gw_log_init(const char *progname);
/* Messages above level are dropped.  Default GW_LOG_INFO. */
void	gw_log_set_level(enum gw_log_level level);
enum gw_log_level gw_log_get_level(void);
/* Parse "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int	gw_log_level_parse(const char *name, enum gw_log_level *out);
/* Replace the output handler; NULL restores the default (stderr). */
void	gw_log_set_handler(gw_log_fn *fn, void *arg);
/* 1 when stderr is the journal's stream (JOURNAL_STREAM matches it). */
int	gw_log_is_journal(void);
/* The program name given to gw_log_init(). */
const char *gw_log_progname(void);

void	gw_log(enum gw_log_level level, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	gw_logv(enum gw_log_level level, const char *fmt, va_list ap)
	    __attribute__((__format__(printf, 2, 0)));
/* Warning with ": strerror(errno)" appended. */
void	gw_log_warn(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	gw_log_warnx(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	gw_log_info(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	gw_log_debug(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));
/* Log and exit(code): for cmd/ only. */
void	gw_fatal(int code, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3), __noreturn__));
void	gw_fatalx(int code, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3), __noreturn__));

/*
 * Write a secret-bearing value for a log: keeps the scheme word of an
 * Authorization value ("Bearer") and replaces the rest with "[redacted]".
 * Output is NUL-terminated and truncated to outsize.
 */
void	gw_log_redact(struct gw_str value, char *out, size_t outsize);

/*
 * Write len bytes to fd in full, retrying on EINTR and short writes.
 * Returns 0 or -1 (errno set).  Used for log and access-log lines.
 */
int	gw_log_write_all(int fd, const char *p, size_t len);

#endif /* GW_LOG_H */
