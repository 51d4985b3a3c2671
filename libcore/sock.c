/*
 * sock.c: binding listening sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "gw.h"
#include "sock.h"

/* Split "host:port" / "[v6]:port" / "port" into host (maybe "") and port. */
static int
split_addr(const char *addr, char *host, size_t hostsize, char *port,
    size_t portsize, struct gw_err *err)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *e = strchr(addr, ']');

		if (e == NULL || e[1] != ':')
			return gw_err_set(err, GW_E_CONFIG,
			    "bad address '%s': expected [v6]:port", addr);
		if ((size_t)(e - addr - 1) >= hostsize)
			return gw_err_set(err, GW_E_CONFIG,
			    "bad address '%s'", addr);
		(void)snprintf(host, hostsize, "%.*s", (int)(e - addr - 1),
		    addr + 1);
		colon = e + 1;
	} else if ((colon = strrchr(addr, ':')) == NULL) {
		host[0] = '\0';
		colon = addr - 1;
	} else {
		if ((size_t)(colon - addr) >= hostsize)
			return gw_err_set(err, GW_E_CONFIG,
			    "bad address '%s'", addr);
		(void)snprintf(host, hostsize, "%.*s", (int)(colon - addr),
		    addr);
		if (strchr(host, ':') != NULL)
			return gw_err_set(err, GW_E_CONFIG,
			    "bad address '%s': write IPv6 as [addr]:port",
			    addr);
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= portsize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strtoul(colon + 1, NULL, 10) > 65535)
		return gw_err_set(err, GW_E_CONFIG,
		    "bad address '%s': expected a port number", addr);
	(void)snprintf(port, portsize, "%s", colon + 1);
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	return 0;
}

int
gw_sock_check_addr(const char *addr, struct gw_err *err)
{
	char host[256], port[8];

	if (strncmp(addr, "unix:", 5) == 0) {
		if (addr[5] == '\0' || strlen(addr + 5) >=
		    sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return gw_err_set(err, GW_E_CONFIG,
			    "bad unix socket path in '%s'", addr);
		return 0;
	}
	return split_addr(addr, host, sizeof(host), port, sizeof(port), err);
}

static int
listen_unix(const char *path, int backlog, struct gw_err *err)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return gw_err_set(err, GW_E_CONFIG, "unix path too long: '%s'",
		    path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* a stale socket from an earlier run may go; anything else stays */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return gw_err_sys(err, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, backlog) == -1) {
		gw_err_sys(err, "cannot listen on 'unix:%s'", path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
gw_sock_listen(const char *addr, int backlog, int *fds, size_t maxfds,
    struct gw_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256], port[8];
	int		 n = 0, rc;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (maxfds == 0)
			return gw_err_set(err, GW_E_LIMIT, "too many sockets");
		if ((fds[0] = listen_unix(addr + 5, backlog, err)) == -1)
			return -1;
		return 1;
	}
	if (split_addr(addr, host, sizeof(host), port, sizeof(port), err) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] == '\0' ? NULL : host, port, &hints,
	    &res)) != 0)
		return gw_err_set(err, GW_E_CONFIG, "cannot resolve '%s': %s",
		    addr, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd, one = 1;

		if ((size_t)n >= maxfds) {
			gw_err_set(err, GW_E_LIMIT, "too many sockets");
			goto fail;
		}
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) == -1) {
			gw_err_sys(err, "socket");
			goto fail;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, backlog) == -1) {
			gw_err_sys(err, "cannot listen on '%s'", addr);
			(void)close(fd);
			goto fail;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0)
		return gw_err_set(err, GW_E_CONFIG, "no address for '%s'", addr);
	return n;
 fail:
	freeaddrinfo(res);
	while (n > 0)
		(void)close(fds[--n]);
	return -1;
}

int
gw_sock_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void
gw_sock_name(int fd, char *out, size_t outsize)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);
	char			host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		(void)snprintf(out, outsize, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		(void)inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		(void)snprintf(out, outsize, "%s:%d", host, ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		(void)inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		(void)snprintf(out, outsize, "[%s]:%d", host,
		    ntohs(s6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;

		(void)snprintf(out, outsize, "unix:%s", su->sun_path);
	} else
		(void)snprintf(out, outsize, "fd %d", fd);
}
