/*
 * client.h: outgoing HTTP/1.1 exchanges on the worker's event loop.
 *
 * Two backends behind one interface:
 *   - plain http:// targets go through our own HTTP/1.1 client: pooled
 *     keep-alive connections per target, request heads written with one
 *     writev(2), responses parsed by libhttp-parser.  This is the proxy's
 *     hot path (see bench/ for why: libcurl cost about three times nginx's
 *     CPU per proxied request here);
 *   - https:// targets (and any URL a policy or script fetches) go through
 *     libcurl's multi interface, whose sockets and timer run on the same
 *     loop.  Only client-curl.c calls libcurl.
 *
 * Both deliver the same callbacks.  Bodies stream both ways: read() is
 * asked for request body bytes and may answer "nothing yet"; body() is
 * given response bytes and may answer "enough for now".  Memory per
 * exchange stays bounded whatever the body sizes.
 *
 * Callbacks run from the loop, never from inside gw_client_start().
 * gw_client_cancel() may be called at any time, from a callback too; no
 * callback runs after it.  After done() the exchange is gone.
 */
#ifndef GW_CLIENT_H
#define GW_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"

struct gw_client;
struct gw_client_pool;
struct gw_client_xchg;

/* Where exchanges of a pool go. */
struct gw_client_target {
	const char		*url;		/* "http://host:port", no path */
	int			 tls;
	struct gw_str		 hostport;	/* "host:port", for Host */
	/* resolved when the configuration loads (plain http) */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	/* TLS (libcurl backend) */
	const char		*ca_file;	/* NULL: the system's CAs */
	int			 tls_verify;
	const char		*client_cert;	/* PEM, or NULL: none */
	const char		*client_key;	/* PEM, with client_cert */
	const char		*server_name;	/* SNI and name verified, or NULL */
	uint32_t		 keepalive;	/* idle connections kept */
	uint32_t		 keepalive_ms;	/* how long one is kept */
};

enum gw_client_status {
	GW_CLIENT_OK,
	GW_CLIENT_CONNECT_FAILED,	/* refused or unreachable: nothing sent */
	GW_CLIENT_CONNECT_TIMEOUT,	/* nothing sent */
	GW_CLIENT_RESET,		/* broke before a response head */
	GW_CLIENT_BAD_RESPONSE,		/* not HTTP, or over the limits */
	GW_CLIENT_TRUNCATED,		/* broke during the response body */
	GW_CLIENT_ABORTED,		/* a callback said -1 */
	GW_CLIENT_ERROR			/* anything else (TLS, out of memory) */
};

/* read(): nothing to send yet; call gw_client_resume_send() later. */
#define GW_CLIENT_WAIT	(-2)

struct gw_client_cbs {
	/*
	 * The final response head (interim 1xx are skipped).  Fields are
	 * valid during the call only.  content_length is -1 when unknown.
	 * Return 0, or -1 to abort.
	 */
	int	(*head)(void *arg, int status, const struct gw_http_header *h,
		    size_t nh, int64_t content_length);
	/*
	 * Response body bytes, decoded from chunked framing.  Return 0 to go
	 * on, 1 to stop reading until gw_client_resume_recv() (the bytes were
	 * taken either way), -1 to abort.
	 */
	int	(*body)(void *arg, const char *p, size_t len);
	/*
	 * Fill buf with request body bytes: how many, 0 at the end,
	 * GW_CLIENT_WAIT, or -1 to abort.  Not called when body_len is 0.
	 */
	ssize_t	(*read)(void *arg, char *buf, size_t len);
	/* The exchange is over; msg says why when st is not GW_CLIENT_OK. */
	void	(*done)(void *arg, enum gw_client_status st, const char *msg);
};

struct gw_client_request {
	struct gw_str			 method;
	struct gw_str			 target;	/* "/path?query" */
	const struct gw_http_header	*headers;	/* Host included */
	size_t				 nheaders;
	int64_t				 body_len;	/* -1: chunked */
	int				 head;		/* no response body */
	uint32_t			 connect_timeout_ms;
};

/* Per-worker client on loop.  NULL with err. */
struct gw_client *gw_client_new(struct gw_loop *loop, struct gw_err *err);
/* Cancel what runs (no callbacks) and free.  NULL is fine. */
void	gw_client_free(struct gw_client *c);

/*
 * A pool for one target (its strings are borrowed and must outlive the
 * pool).  Plain http targets keep idle connections here.
 */
struct gw_client_pool *gw_client_pool_new(struct gw_client *c,
	    const struct gw_client_target *t, struct gw_err *err);
void	gw_client_pool_free(struct gw_client_pool *p);
/* Idle connections kept right now (for tests). */
size_t	gw_client_pool_idle(const struct gw_client_pool *p);

/*
 * Start an exchange.  The request's strings are copied.  Returns the
 * exchange, or NULL with err (no callback will run).
 */
struct gw_client_xchg *gw_client_start(struct gw_client_pool *p,
	    const struct gw_client_request *r, const struct gw_client_cbs *cbs,
	    void *arg, struct gw_err *err);
void	gw_client_resume_recv(struct gw_client_xchg *x);
void	gw_client_resume_send(struct gw_client_xchg *x);
void	gw_client_cancel(struct gw_client_xchg *x);
/* 1 once read() has handed over any body byte (no transparent retry). */
int	gw_client_body_sent(const struct gw_client_xchg *x);

/*
 * Resolve a target URL ("http://host:port") into t, blocking (for
 * configuration loading only).  Strings in t point into url.
 */
int	gw_client_target_parse(const char *url, struct gw_client_target *t,
	    struct gw_err *err);

const char *gw_client_status_str(enum gw_client_status st);

#endif /* GW_CLIENT_H */
