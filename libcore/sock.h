/*
 * sock.h: listening sockets from addresses written by people.
 *
 *   127.0.0.1:8080   [::1]:8080   [::]:8080   *:8080   8080
 *   localhost:8080 (resolved; every address it has)   unix:/run/gw.sock
 */
#ifndef GW_SOCK_H
#define GW_SOCK_H

#include <stddef.h>

#include "err.h"

/*
 * Bind and listen on addr: fds gets up to maxfds sockets (several for a
 * name with several addresses, or "*"), non-blocking and close-on-exec.
 * Returns the number of sockets, or -1 with err.
 */
int	gw_sock_listen(const char *addr, int backlog, int *fds, size_t maxfds,
	    struct gw_err *err);
/* Check the syntax of addr without binding; -1 with a message if bad. */
int	gw_sock_check_addr(const char *addr, struct gw_err *err);
/* The local TCP port of fd, or -1 (not TCP). */
int	gw_sock_port(int fd);
/* Describe fd's local address ("127.0.0.1:8080", "unix:/x") into out. */
void	gw_sock_name(int fd, char *out, size_t outsize);

#endif /* GW_SOCK_H */
