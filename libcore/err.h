/*
 * err.h: how libcore reports failure.
 *
 * A function that can fail returns 0/-1 (or a pointer/NULL) and describes the
 * failure in the caller's struct gw_err.  libcore never prints and never
 * exits; GW_BUG() aborts on a programmer error, never on bad input.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

#include <stddef.h>

enum gw_err_code {
	GW_E_OK = 0,
	GW_E_NOMEM,		/* out of memory */
	GW_E_SYS,		/* a system call failed; errno in sys_errno */
	GW_E_INVAL,		/* bad argument or value */
	GW_E_CONFIG,		/* bad configuration */
	GW_E_PROTO,		/* input that breaks its protocol or format */
	GW_E_LIMIT,		/* input over a configured limit */
	GW_E_NOTFOUND,		/* a named thing does not exist */
	GW_E_UNSUPPORTED,	/* well-formed but not implemented */
	GW_E_TIMEOUT,		/* a deadline passed */
	GW_E_UPSTREAM,		/* an upstream failed */
	GW_E_AGAIN,		/* try again later (no data yet) */
	GW_E_INTERNAL		/* an internal error */
};

#define GW_ERR_MSG_MAX	512

struct gw_err {
	enum gw_err_code	code;
	int			sys_errno;
	char			msg[GW_ERR_MSG_MAX];
};

/* Reset err to "no error".  err may be NULL. */
void	gw_err_clear(struct gw_err *err);

/*
 * Record an error in err (which may be NULL) and return -1, so that
 * "return gw_err_set(err, ...)" works.
 */
int	gw_err_set(struct gw_err *err, enum gw_err_code code,
	    const char *fmt, ...) __attribute__((__format__(printf, 3, 4)));

/* As gw_err_set with GW_E_SYS, appending ": strerror(errno)". */
int	gw_err_sys(struct gw_err *err, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));

/* Prefix the message already in err with "fmt...: ".  Returns -1. */
int	gw_err_prefix(struct gw_err *err, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));

/* A short lower-case name for a code ("out of memory", "limit"). */
const char *gw_err_code_name(enum gw_err_code code);

/* Abort with file:line and a message: for programmer errors only. */
void	gw_bug(const char *file, int line, const char *msg)
	    __attribute__((__noreturn__));
#define GW_BUG(msg)	gw_bug(__FILE__, __LINE__, (msg))

#endif /* GW_ERR_H */
