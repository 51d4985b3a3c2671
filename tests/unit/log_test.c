/*
 * log_test.c: error records (err.c) and diagnostics (log.c).
 *
 * Messages are captured through a handler; the default handler's output is
 * read back from a pipe put in place of stderr.  gw_bug() and gw_fatal()
 * end the process, so they run in a child.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gw.h"
#include "log.h"

#include "tap.h"

/*
 * err.c
 */

static void
test_err_set(void)
{
	struct gw_err	err;
	char		long_arg[700];

	memset(&err, 'x', sizeof(err));
	gw_err_clear(&err);
	ok(err.code == GW_E_OK && err.sys_errno == 0 && err.msg[0] == '\0',
	    "gw_err_clear");
	gw_err_clear(NULL);
	ok(1, "gw_err_clear(NULL) is harmless");
	is_int(gw_err_set(&err, GW_E_CONFIG, "unknown upstream '%s' at %d",
	    "catalgo", 12), -1, "gw_err_set returns -1");
	is_int(err.code, GW_E_CONFIG, "... sets the code");
	is_str(err.msg, "unknown upstream 'catalgo' at 12",
	    "... and the message");
	is_int(gw_err_set(NULL, GW_E_CONFIG, "x"), -1,
	    "gw_err_set(NULL, ...) returns -1");
	err.sys_errno = 5;
	(void)gw_err_set(&err, GW_E_PROTO, "%s", "again");
	ok(err.code == GW_E_PROTO && err.sys_errno == 0,
	    "gw_err_set clears sys_errno");
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	(void)gw_err_set(&err, GW_E_LIMIT, "%s", long_arg);
	is_int(strlen(err.msg), GW_ERR_MSG_MAX - 1,
	    "a long message is truncated to GW_ERR_MSG_MAX - 1");
}

static void
test_err_sys(void)
{
	struct gw_err err;

	errno = ENOENT;
	is_int(gw_err_sys(&err, "cannot open '%s'", "gw.json"), -1,
	    "gw_err_sys returns -1");
	is_str(err.msg, "cannot open 'gw.json': No such file or directory",
	    "gw_err_sys appends strerror(errno)");
	ok(err.code == GW_E_SYS && err.sys_errno == ENOENT,
	    "... code GW_E_SYS, sys_errno kept");
	is_int(errno, ENOENT, "... errno preserved");
	errno = EACCES;
	is_int(gw_err_sys(NULL, "x"), -1, "gw_err_sys(NULL, ...)");
	is_int(errno, EACCES, "... leaves errno alone");
}

static void
test_err_prefix(void)
{
	struct gw_err	err;
	char		big[700];

	(void)gw_err_set(&err, GW_E_CONFIG, "unknown key 'listn'");
	is_int(gw_err_prefix(&err, "%s:%d:%d", "gw.json", 12, 5), -1,
	    "gw_err_prefix returns -1");
	is_str(err.msg, "gw.json:12:5: unknown key 'listn'",
	    "gw_err_prefix prepends \"prefix: \"");
	is_int(err.code, GW_E_CONFIG, "... and keeps the code");
	(void)gw_err_prefix(&err, "outer");
	is_str(err.msg, "outer: gw.json:12:5: unknown key 'listn'",
	    "prefixes stack");
	is_int(gw_err_prefix(NULL, "x"), -1, "gw_err_prefix(NULL, ...)");

	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)gw_err_set(&err, GW_E_CONFIG, "tail");
	(void)gw_err_prefix(&err, "%s", big);
	ok(strlen(err.msg) == GW_ERR_MSG_MAX - 1 && err.msg[0] == 'p' &&
	    err.msg[GW_ERR_MSG_MAX - 2] == 'p',
	    "a prefix longer than the message buffer fills it, truncated");
	(void)gw_err_set(&err, GW_E_CONFIG, "%.510s", big);
	(void)gw_err_prefix(&err, "abc");
	ok(strlen(err.msg) == GW_ERR_MSG_MAX - 1 &&
	    strncmp(err.msg, "abc: ppp", 8) == 0,
	    "a long message after a prefix is truncated");
	(void)gw_err_set(&err, GW_E_CONFIG, "m");
	(void)gw_err_prefix(&err, "%s", "");
	is_str(err.msg, ": m", "an empty prefix");
}

static void
test_err_names(void)
{
	static const struct {
		enum gw_err_code	 code;
		const char		*name;
	} t[] = {
		{ GW_E_OK, "ok" },
		{ GW_E_NOMEM, "out of memory" },
		{ GW_E_SYS, "system error" },
		{ GW_E_INVAL, "invalid argument" },
		{ GW_E_CONFIG, "configuration error" },
		{ GW_E_PROTO, "protocol error" },
		{ GW_E_LIMIT, "limit exceeded" },
		{ GW_E_NOTFOUND, "not found" },
		{ GW_E_UNSUPPORTED, "unsupported" },
		{ GW_E_TIMEOUT, "timeout" },
		{ GW_E_UPSTREAM, "upstream error" },
		{ GW_E_AGAIN, "try again" },
		{ GW_E_INTERNAL, "internal error" },
	};

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++)
		is_str(gw_err_code_name(t[i].code), t[i].name,
		    "gw_err_code_name(%d)", (int)t[i].code);
	is_str(gw_err_code_name((enum gw_err_code)99), "unknown error",
	    "gw_err_code_name of an unknown code");
}

/*
 * Running a function in a child with stderr on a pipe: returns what it
 * wrote (static storage) and its wait status in *status.
 */
static const char *
in_child(void (*fn)(void), int *status)
{
	static char	out[4096];
	int		fds[2];
	size_t		n = 0;
	ssize_t		r;
	pid_t		pid;

	out[0] = '\0';
	*status = -1;
	if (pipe(fds) == -1)
		return "(pipe failed)";
	(void)fflush(stdout);
	if ((pid = fork()) == -1)
		return "(fork failed)";
	if (pid == 0) {
		(void)close(fds[0]);
		(void)dup2(fds[1], STDERR_FILENO);
		fn();
		_exit(99);
	}
	(void)close(fds[1]);
	while (n < sizeof(out) - 1 &&
	    (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	(void)close(fds[0]);
	(void)waitpid(pid, status, 0);
	return out;
}

static void
call_bug(void)
{
	gw_bug("f.c", 12, "heap order broken");
}

static void
call_fatalx(void)
{
	gw_log_init("gw-test");
	gw_fatalx(78, "bad config '%s'", "gw.json");
}

static void
call_fatal(void)
{
	gw_log_init("gw-test");
	errno = EACCES;
	gw_fatal(70, "cannot write '%s'", "pid");
}

static void
test_bug_fatal(void)
{
	const char	*out;
	int		 st;

	out = in_child(call_bug, &st);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "gw_bug aborts");
	is_str(out, "gw: bug at f.c:12: heap order broken\n",
	    "... saying where and what");
	unsetenv("JOURNAL_STREAM");
	out = in_child(call_fatalx, &st);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 78, "gw_fatalx exits with code");
	is_str(out, "gw-test: bad config 'gw.json'\n", "... after logging");
	out = in_child(call_fatal, &st);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 70, "gw_fatal exits with code");
	is_str(out, "gw-test: cannot write 'pid': Permission denied\n",
	    "... after logging with strerror(errno)");
}

/*
 * log.c
 */

struct capture {
	int			n;
	enum gw_log_level	level;
	char			msg[2048];
};

static void
capture_fn(enum gw_log_level level, const char *msg, void *arg)
{
	struct capture *c = arg;

	c->n++;
	c->level = level;
	(void)snprintf(c->msg, sizeof(c->msg), "%s", msg);
	errno = 0;	/* gw_logv must restore errno */
}

static void
test_levels(void)
{
	static const struct {
		const char		*name;
		enum gw_log_level	 level;
	} t[] = {
		{ "err", GW_LOG_ERR },
		{ "error", GW_LOG_ERR },
		{ "warning", GW_LOG_WARNING },
		{ "warn", GW_LOG_WARNING },
		{ "notice", GW_LOG_NOTICE },
		{ "info", GW_LOG_INFO },
		{ "debug", GW_LOG_DEBUG },
	};
	static const char *const bad[] = {
		"", "verbose", "information", "deb", "debug ", "3"
	};
	enum gw_log_level l;

	is_int(gw_log_get_level(), GW_LOG_INFO, "the default level is info");
	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		l = GW_LOG_ERR + 100;
		ok(gw_log_level_parse(t[i].name, &l) == 0 && l == t[i].level,
		    "gw_log_level_parse(\"%s\") = %d", t[i].name,
		    (int)t[i].level);
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(bad); i++) {
		l = GW_LOG_NOTICE;
		ok(gw_log_level_parse(bad[i], &l) == -1 && l == GW_LOG_NOTICE,
		    "gw_log_level_parse(\"%s\") fails, *out untouched", bad[i]);
	}
	ok(GW_LOG_ERR == 3 && GW_LOG_WARNING == 4 && GW_LOG_NOTICE == 5 &&
	    GW_LOG_INFO == 6 && GW_LOG_DEBUG == 7,
	    "levels are the syslog priorities");
	gw_log_set_level(GW_LOG_DEBUG);
	is_int(gw_log_get_level(), GW_LOG_DEBUG, "gw_log_set_level");
	gw_log_set_level(GW_LOG_INFO);
}

static void
test_handler(void)
{
	struct capture	c;
	char		big[2000];

	memset(&c, 0, sizeof(c));
	gw_log_set_handler(capture_fn, &c);
	gw_log_set_level(GW_LOG_INFO);

	gw_log_info("listening on %s:%d", "127.0.0.1", 8080);
	ok(c.n == 1 && c.level == GW_LOG_INFO,
	    "gw_log_info reaches the handler");
	is_str(c.msg, "listening on 127.0.0.1:8080", "... formatted");
	gw_log_debug("hidden %d", 1);
	is_int(c.n, 1, "gw_log_debug is dropped at level info");
	gw_log_warnx("upstream '%s' is down", "a");
	ok(c.n == 2 && c.level == GW_LOG_WARNING, "gw_log_warnx: a warning");
	is_str(c.msg, "upstream 'a' is down", "... without strerror");
	errno = ENOENT;
	gw_log_warn("cannot open '%s'", "gw.json");
	ok(c.n == 3 && c.level == GW_LOG_WARNING, "gw_log_warn: a warning");
	is_str(c.msg, "cannot open 'gw.json': No such file or directory",
	    "... with strerror(errno)");
	is_int(errno, ENOENT, "errno survives logging (the handler reset it)");
	gw_log(GW_LOG_NOTICE, "reloaded");
	ok(c.n == 4 && c.level == GW_LOG_NOTICE, "gw_log at a given level");

	gw_log_set_level(GW_LOG_WARNING);
	gw_log_info("dropped");
	gw_log(GW_LOG_NOTICE, "dropped");
	is_int(c.n, 4, "at level warning, notice and info are dropped");
	gw_log(GW_LOG_ERR, "kept");
	gw_log_warnx("kept too");
	is_int(c.n, 6, "... errors and warnings are kept");

	gw_log_set_level(GW_LOG_DEBUG);
	gw_log_debug("now %s", "shown");
	ok(c.n == 7 && c.level == GW_LOG_DEBUG, "gw_log_debug at level debug");
	is_str(c.msg, "now shown", "... formatted");

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gw_log_info("%s", big);
	is_int(strlen(c.msg), 1535, "messages are cut at 1535 bytes");
	errno = ENOENT;
	gw_log_warn("%s", big);
	is_int(strlen(c.msg), 1535, "gw_log_warn: cut at 1535 bytes too");

	gw_log_set_level(GW_LOG_INFO);
	gw_log_set_handler(NULL, NULL);
}

/* Run fn with stderr on a pipe, in this process; returns what it wrote. */
static const char *
stderr_of(void (*fn)(void))
{
	static char	out[8192];
	int		fds[2], saved;
	ssize_t		r;
	size_t		n = 0;

	out[0] = '\0';
	if (pipe(fds) == -1 || (saved = dup(STDERR_FILENO)) == -1)
		return "(pipe failed)";
	(void)dup2(fds[1], STDERR_FILENO);
	(void)close(fds[1]);
	fn();
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	while (n < sizeof(out) - 1 &&
	    (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	(void)close(fds[0]);
	return out;
}

static char	longname[601];

static void
say_hello(void)
{
	gw_log_warnx("hello %s", "world");
	gw_log_info("second");
}

/* Under the journal: JOURNAL_STREAM names stderr's device and inode. */
static void
say_journal(void)
{
	struct stat	st;
	char		v[64];

	if (fstat(STDERR_FILENO, &st) == -1)
		return;
	(void)snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	gw_log_init("gw-test");
	say_hello();
	unsetenv("JOURNAL_STREAM");
}

/* JOURNAL_STREAM left by a parent whose stderr was the journal. */
static void
say_stale_journal(void)
{
	struct stat	st;
	char		v[64];

	if (fstat(STDERR_FILENO, &st) == -1)
		return;
	(void)snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	gw_log_init("gw-test");
	say_hello();
	setenv("JOURNAL_STREAM", "8:x", 1);
	gw_log_init("gw-test");
	say_hello();
	unsetenv("JOURNAL_STREAM");
}

static void
say_long(void)
{
	char big[1700];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gw_log_info("%s", big);
}

static void
test_default_handler(void)
{
	const char *out;

	unsetenv("JOURNAL_STREAM");
	gw_log_init("gw-test");
	is_str(gw_log_progname(), "gw-test", "gw_log_progname");
	out = stderr_of(say_hello);
	is_str(out, "gw-test: hello world\ngw-test: second\n",
	    "default handler: one line per message, prefixed with the name");
	out = stderr_of(say_journal);
	is_str(out, "<4>hello world\n<6>second\n",
	    "under the journal: the sd-daemon level prefix");
	out = stderr_of(say_stale_journal);
	is_str(out, "gw-test: hello world\ngw-test: second\n"
	    "gw-test: hello world\ngw-test: second\n",
	    "JOURNAL_STREAM naming another stream, or malformed: the name");

	memset(longname, 'n', sizeof(longname) - 1);
	gw_log_init(longname);
	out = stderr_of(say_long);
	ok(strlen(out) == 2047 && out[2046] == '\n' &&
	    strncmp(out, longname, 600) == 0 && out[600] == ':' &&
	    out[2045] == 'z', "a line over 2047 bytes is cut and still ends "
	    "in a newline (%zu bytes)", strlen(out));
	gw_log_init("gw");
}

static void
test_write_all(void)
{
	int		 fds[2];
	char		 buf[16];
	ssize_t		 n;
	FILE		*fp;
	char		*big;
	struct stat	 st;

	if (pipe(fds) == -1)
		return;
	ok(gw_log_write_all(fds[1], "line\n", 5) == 0, "gw_log_write_all");
	n = read(fds[0], buf, sizeof(buf));
	ok(n == 5 && memcmp(buf, "line\n", 5) == 0, "... wrote every byte");
	ok(gw_log_write_all(fds[1], "", 0) == 0, "writing nothing");
	(void)close(fds[0]);
	(void)close(fds[1]);
	errno = 0;
	ok(gw_log_write_all(-1, "x", 1) == -1 && errno == EBADF,
	    "a bad fd: -1 with errno EBADF");

	if ((fp = tmpfile()) == NULL || (big = malloc(300000)) == NULL)
		return;
	memset(big, 'w', 300000);
	ok(gw_log_write_all(fileno(fp), big, 300000) == 0 &&
	    fstat(fileno(fp), &st) == 0 && st.st_size == 300000,
	    "300000 bytes to a file");
	free(big);
	(void)fclose(fp);
}

static void
test_redact(void)
{
	static const struct {
		const char	*in, *want;
	} t[] = {
		{ "Bearer eyJhbGciOiJIUzI1NiJ9.e30.s3cr3t",
		    "Bearer [redacted]" },
		{ "Basic dXNlcjpzM2NyM3Q=", "Basic [redacted]" },
		{ "Digest username=\"u\", response=\"s3cr3t\"",
		    "Digest [redacted]" },
		{ "AWS-HMAC s3cr3t", "AWS-HMAC [redacted]" },
		{ "s3cr3t", "[redacted]" },
		{ "s3cr3t s3cr3t", "[redacted]" },
		{ "", "[redacted]" },
		{ "Bearer", "[redacted]" },
		{ "Bearer ", "Bearer [redacted]" },
		{ " Bearer s3cr3t", "[redacted]" },
		{ "Bearer\ts3cr3t", "[redacted]" },
		{ "Bearer=s3cr3t", "[redacted]" },
		{ "abcdefghijklmnop s3cr3t", "abcdefghijklmnop [redacted]" },
		{ "abcdefghijklmnopq s3cr3t", "[redacted]" },
		{ "session=s3cr3t; theme=dark", "[redacted]" },
	};
	char out[64];

	for (size_t i = 0; i < GW_ARRAY_LEN(t); i++) {
		gw_log_redact(gw_str_cstr(t[i].in), out, sizeof(out));
		is_str(out, t[i].want, "gw_log_redact(\"%s\")", t[i].in);
	}
	gw_log_redact(gw_str_make("Bearer s3cr3t", 6), out, sizeof(out));
	is_str(out, "[redacted]", "only the slice is read");
	gw_log_redact(GW_STR("Bearer s3cr3t"), out, 8);
	is_str(out, "Bearer ", "truncated to outsize");
	gw_log_redact(GW_STR("s3cr3t"), out, 4);
	is_str(out, "[re", "truncated to outsize, no scheme");
	memcpy(out, "keep", 5);
	gw_log_redact(GW_STR("Bearer x"), out, 0);
	is_str(out, "keep", "outsize 0 writes nothing");
	gw_log_redact(GW_STR_NULL, out, sizeof(out));
	is_str(out, "[redacted]", "the empty slice");
}

int
main(void)
{
	test_err_set();
	test_err_sys();
	test_err_prefix();
	test_err_names();
	test_bug_fatal();
	test_levels();
	test_handler();
	test_default_handler();
	test_write_all();
	test_redact();
	return done_testing();
}
