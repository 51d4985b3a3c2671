/*
 * gw-test-mdwe: run a command in memory that is never writable and
 * executable at once, as under systemd's MemoryDenyWriteExecute=yes.
 *
 *	gw-test-mdwe command [args...]
 *
 * The kernel's PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3 and
 * later) refuses mappings that are writable and executable, and making a
 * mapping executable that was not; the setting holds for the process and its
 * children, across execve(), which is what MemoryDenyWriteExecute= asks of
 * a service.  Before running the command, gw-test-mdwe checks that a
 * writable and executable mapping is refused.
 *
 * Exits 77 when the kernel cannot do this (tests skip), 64 on usage, 71
 * when the check fails, 127 when the command cannot be run; otherwise the
 * command's status, since it replaces this process (its PID stays, so
 * LISTEN_PID of socket activation still matches).
 */
#include <sys/mman.h>
#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE		65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN	(1UL << 0)
#endif

int
main(int argc, char **argv)
{
	void	*p;

	if (argc < 2) {
		(void)fprintf(stderr, "usage: gw-test-mdwe command [args...]\n");
		return 64;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) == -1) {
		(void)fprintf(stderr, "gw-test-mdwe: PR_SET_MDWE: %s\n",
		    strerror(errno));
		return 77;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		(void)fprintf(stderr, "gw-test-mdwe: a writable and executable "
		    "mapping was allowed\n");
		return 71;
	}
	execvp(argv[1], argv + 1);
	(void)fprintf(stderr, "gw-test-mdwe: %s: %s\n", argv[1],
	    strerror(errno));
	return 127;
}
