/*
 * tls.h: TLS on client connections (OpenSSL).
 *
 * A listener with a "tls" block terminates TLS: a struct gw_tls_ctx holds
 * the certificates and keys (one chosen by the client's SNI, the first by
 * default), the CA for client certificates and the session ticket key,
 * loaded when the configuration loads (before gw-serve forks its workers,
 * so that they all share the ticket key); each connection then gets a
 * struct gw_tls with
 * a non-blocking handshake and record I/O that the server calls instead of
 * read(2) and write(2).  The crypto module keeps the other OpenSSL work
 * (hashes, signatures); this one owns the SSL API.
 */
#ifndef GW_TLS_H
#define GW_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct gw_tls_ctx;
struct gw_tls;

enum gw_tls_client_auth {
	GW_TLS_CLIENT_NONE,
	GW_TLS_CLIENT_OPTIONAL,		/* asked for; verified when given */
	GW_TLS_CLIENT_REQUIRED		/* the handshake fails without one */
};

struct gw_tls_opts {
	const char		*cert;		/* PEM chain file */
	const char		*key;		/* PEM key file */
	const char		*client_ca;	/* CA file for client certificates */
	enum gw_tls_client_auth	 client_auth;
	const char		*min_version;	/* "1.2" (default) or "1.3" */
};

#define GW_TLS_MAX_CERTS	256	/* certificates on one listener */

/*
 * Load a context with o->cert as its default certificate and a new random
 * session ticket key; NULL with err naming the file that failed.  Free it
 * with gw_tls_ctx_free().
 */
struct gw_tls_ctx *gw_tls_ctx_new(const struct gw_tls_opts *o,
	    struct gw_err *err);
/*
 * Add the certificate o->cert (key o->key), with the other settings of o
 * (which should be those given to gw_tls_ctx_new()), for the clients whose
 * SNI names one of its DNS SANs (its CN without any; "*.example.com" for
 * one label).  -1 with err naming the file when it cannot be loaded or
 * when another certificate has one of its names; c is unchanged then.
 */
int	gw_tls_ctx_add_cert(struct gw_tls_ctx *c, const struct gw_tls_opts *o,
	    struct gw_err *err);
void	gw_tls_ctx_free(struct gw_tls_ctx *c);

/*
 * Whether the PEM files cert (a chain) and key load and belong together,
 * as for a client certificate to show upstream: 0, or -1 with err naming
 * the file.
 */
int	gw_tls_check_pair(const char *cert, const char *key,
	    struct gw_err *err);

/* TLS on connected socket fd (not owned). */
struct gw_tls	*gw_tls_new(struct gw_tls_ctx *c, int fd, struct gw_err *err);
void	gw_tls_free(struct gw_tls *t);

/* I/O results besides a byte count. */
#define GW_TLS_WANT_READ	(-2)	/* wait for the socket to be readable */
#define GW_TLS_WANT_WRITE	(-3)	/* wait for it to be writable */
#define GW_TLS_CLOSED		(-4)	/* the peer closed (close_notify/EOF) */

/*
 * Go on with the handshake: 1 done, GW_TLS_WANT_*, or -1 with err (a
 * refused certificate, a protocol error).
 */
int	gw_tls_handshake(struct gw_tls *t, struct gw_err *err);
/* Bytes read (> 0), GW_TLS_WANT_*, GW_TLS_CLOSED, or -1 with err. */
ssize_t	gw_tls_read(struct gw_tls *t, void *buf, size_t len,
	    struct gw_err *err);
/* Bytes written (> 0), GW_TLS_WANT_*, or -1 with err. */
ssize_t	gw_tls_write(struct gw_tls *t, const void *buf, size_t len,
	    struct gw_err *err);
/* 1 if decrypted bytes wait inside (read again before epoll). */
int	gw_tls_pending(const struct gw_tls *t);
/* Send close_notify, best effort. */
void	gw_tls_shutdown(struct gw_tls *t);

/*
 * The client certificate, after the handshake: 1 and its subject (one-line
 * RFC 2253 form) and first DNS or email SAN into the buffers when one was
 * given and verified; 0 when none.
 */
int	gw_tls_peer(const struct gw_tls *t, char *subject, size_t subjsize,
	    char *san, size_t sansize, char *cn, size_t cnsize);
/* The protocol version in use ("TLSv1.3"). */
const char *gw_tls_version(const struct gw_tls *t);

#endif /* GW_TLS_H */
