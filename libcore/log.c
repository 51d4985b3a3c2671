/*
 * log.c: the diagnostics sink.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw.h"
#include "log.h"

static const char	*progname = "gw";
static int		 journal_prefix;
static enum gw_log_level threshold = GW_LOG_INFO;
static gw_log_fn	*handler;
static void		*handler_arg;

void
gw_log_init(const char *name)
{
	const char		*js = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;

	progname = name;
	/*
	 * systemd sets JOURNAL_STREAM=dev:ino when stderr is a journal
	 * stream; it only counts if stderr is still that stream.
	 */
	journal_prefix = js != NULL && sscanf(js, "%llu:%llu", &dev,
	    &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
gw_log_set_level(enum gw_log_level level)
{
	threshold = level;
}

enum gw_log_level
gw_log_get_level(void)
{
	return threshold;
}

int
gw_log_level_parse(const char *name, enum gw_log_level *out)
{
	static const struct {
		const char		*name;
		enum gw_log_level	 level;
	} names[] = {
		{ "err", GW_LOG_ERR }, { "error", GW_LOG_ERR },
		{ "warning", GW_LOG_WARNING }, { "warn", GW_LOG_WARNING },
		{ "notice", GW_LOG_NOTICE }, { "info", GW_LOG_INFO },
		{ "debug", GW_LOG_DEBUG },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	return -1;
}

void
gw_log_set_handler(gw_log_fn *fn, void *arg)
{
	handler = fn;
	handler_arg = arg;
}

int
gw_log_is_journal(void)
{
	return journal_prefix;
}

const char *
gw_log_progname(void)
{
	return progname;
}

int
gw_log_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
default_handler(enum gw_log_level level, const char *msg)
{
	char	line[2048];
	int	n;

	if (journal_prefix)
		n = snprintf(line, sizeof(line), "<%d>%s\n", (int)level, msg);
	else
		n = snprintf(line, sizeof(line), "%s: %s\n", progname, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)gw_log_write_all(STDERR_FILENO, line, (size_t)n);
}

void
gw_logv(enum gw_log_level level, const char *fmt, va_list ap)
{
	char	msg[1536];
	int	saved = errno;

	if (level > threshold)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (handler != NULL)
		handler(level, msg, handler_arg);
	else
		default_handler(level, msg);
	errno = saved;
}

void
gw_log(enum gw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_logv(level, fmt, ap);
	va_end(ap);
}

static void
logv_errno(enum gw_log_level level, int saved, const char *fmt, va_list ap)
{
	char	msg[1536];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	gw_log(level, "%s: %s", msg, strerror(saved));
}

void
gw_log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	logv_errno(GW_LOG_WARNING, saved, fmt, ap);
	va_end(ap);
}

void
gw_log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_logv(GW_LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
gw_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_logv(GW_LOG_INFO, fmt, ap);
	va_end(ap);
}

void
gw_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (threshold < GW_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	gw_logv(GW_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
gw_fatal(int code, const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	logv_errno(GW_LOG_ERR, saved, fmt, ap);
	va_end(ap);
	exit(code);
}

void
gw_fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gw_logv(GW_LOG_ERR, fmt, ap);
	va_end(ap);
	exit(code);
}

void
gw_log_redact(struct gw_str value, char *out, size_t outsize)
{
	size_t	i = 0;

	if (outsize == 0)
		return;
	/* Keep an auth scheme word ("Bearer", "Basic") if there is one. */
	while (i < value.len && i < 16 &&
	    ((value.p[i] >= 'A' && value.p[i] <= 'Z') ||
	    (value.p[i] >= 'a' && value.p[i] <= 'z') || value.p[i] == '-'))
		i++;
	if (i < value.len && value.p[i] == ' ' && i > 0)
		(void)snprintf(out, outsize, "%.*s [redacted]", (int)i,
		    value.p);
	else
		(void)snprintf(out, outsize, "[redacted]");
}
