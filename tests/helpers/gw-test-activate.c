/*
 * gw-test-activate: hold a listening socket as systemd does for a socket
 * unit with Accept=no, and (re)start a service on it.
 *
 *	gw-test-activate -p PORTFILE [-l ADDR] -- command [args...]
 *
 * The socket is bound (127.0.0.1:0 by default), its port written to
 * PORTFILE, and command started with the socket as fd 3, LISTEN_FDS=1 and
 * LISTEN_PID set to its own pid.  On SIGUSR1 the service is restarted the
 * way systemctl restart does it: SIGTERM to the running one, wait for it
 * to exit, start a new one; the socket stays open all along, so clients
 * queue in its backlog instead of being refused.  On SIGTERM the service is
 * stopped and the harness exits.  Each restart is logged on stderr as
 * "restarted N: old PID, new PID".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t	restart, stop;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		restart = 1;
	else
		stop = 1;
}

static pid_t
start(int fd, char **argv)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		char pidbuf[32];
		sigset_t none;

		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (fd != 3) {
			if (dup2(fd, 3) == -1)
				_exit(127);
			(void)close(fd);
		}
		(void)snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		(void)setenv("LISTEN_FDS", "1", 1);
		(void)setenv("LISTEN_PID", pidbuf, 1);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

static void
stop_and_wait(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	(void)kill(pid, SIGTERM);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	const char		*portfile = NULL, *addr = "127.0.0.1";
	sigset_t		 mask, old;
	struct sigaction	 sa;
	pid_t			 pid;
	FILE			*fp;
	int			 ch, fd, one = 1, n = 0;

	while ((ch = getopt(argc, argv, "l:p:")) != -1) {
		switch (ch) {
		case 'l':
			addr = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (portfile == NULL || argc == 0)
		goto usage;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		(void)fprintf(stderr, "gw-test-activate: bad address %s\n",
		    addr);
		return 64;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4096) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1) {
		perror("gw-test-activate: socket");
		return 71;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &mask, &old);
	if ((pid = start(fd, argv)) == -1)
		return 71;
	if ((fp = fopen(portfile, "w")) == NULL) {
		perror(portfile);
		stop_and_wait(pid);
		return 71;
	}
	(void)fprintf(fp, "%d\n", ntohs(sin.sin_port));
	(void)fclose(fp);
	while (!stop) {
		(void)sigsuspend(&old);
		if (restart && !stop) {
			pid_t next;

			restart = 0;
			stop_and_wait(pid);
			if ((next = start(fd, argv)) == -1)
				break;
			(void)fprintf(stderr, "restarted %d: old %d, new %d\n",
			    ++n, (int)pid, (int)next);
			pid = next;
		}
	}
	stop_and_wait(pid);
	return 0;
 usage:
	(void)fprintf(stderr, "usage: gw-test-activate -p portfile [-l addr] "
	    "-- command [args...]\n");
	return 64;
}
