/*
 * server.h: the gateway's request path in one worker process.
 *
 * accept -> parse head -> route -> handler -> write -> access log.
 *
 * A struct gw_server serves client connections on one event loop: listening
 * sockets it accepts from, or one connection it was handed (inetd, systemd
 * Accept=yes).  Each request on a connection gets a struct gw_req with its
 * own arena; handlers (proxy, static) answer it through the gw_resp_*
 * functions below and read its body through gw_req_body_*.
 *
 * Ownership: the server owns every gw_req.  A handler may use a request from
 * its start until it calls gw_resp_end() or gw_resp_abort(), or until the
 * server calls the abort function the handler registered (the client went
 * away, a timeout, a shutdown); after that it must not touch it again.  The
 * server never calls the abort function from inside another callback of the
 * handler's, and never frees a request while a handler call is on the stack.
 */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "loop.h"
#include "policy.h"
#include "route.h"

struct gw_server;
struct gw_req;

/* Statistics of one worker, for the log line at exit and for tests. */
struct gw_server_stats {
	uint64_t	accepted;
	uint64_t	requests;
	uint64_t	active_conns;
	uint64_t	bad_requests;
};

/*
 * A server on loop with configuration cfg (a reference is taken); the
 * route policies' worker_start hooks (policy.h) have run.  NULL on failure,
 * a failing hook's included, with err.
 */
struct gw_server *gw_server_new(struct gw_loop *loop, struct gw_cfg *cfg,
	    struct gw_err *err);
/*
 * Close every connection, run the policies' worker_stop hooks and free the
 * server; free the loop after it (deferred frees of the hooks run then).
 * NULL is fine.
 */
void	gw_server_free(struct gw_server *srv);
/* Accept connections from a listening socket (not owned: never closed). */
int	gw_server_listen(struct gw_server *srv, int fd, struct gw_err *err);
/*
 * Serve one connected socket (owned: closed when done): inetd's stdin, or
 * systemd's Accept=yes socket.  When it closes, the server has no
 * connection left (gw_server_nconns() is 0).
 */
int	gw_server_serve_fd(struct gw_server *srv, int fd, struct gw_err *err);
/*
 * Stop accepting; finish requests in flight, close idle connections.  When
 * the last connection is gone, done(arg) is called (from the loop).
 */
void	gw_server_drain(struct gw_server *srv, void (*done)(void *), void *arg);
/* Connections open right now. */
size_t	gw_server_nconns(const struct gw_server *srv);
const struct gw_server_stats *gw_server_stats(const struct gw_server *srv);
struct gw_loop	*gw_server_loop(struct gw_server *srv);
const struct gw_cfg *gw_server_cfg(const struct gw_server *srv);
/*
 * Metrics (metrics.h): the families of the request path, registered once
 * in the region; and the region and worker slot this server counts into
 * (NULL: no metrics).
 */
struct gw_metrics;
int	gw_server_metrics_init(struct gw_metrics *m);
int	gw_server_set_metrics(struct gw_server *srv, struct gw_metrics *m,
	    int slot, struct gw_err *err);
struct gw_metrics *gw_server_metrics(struct gw_server *srv);
/*
 * Accept from a listening socket that terminates TLS with tls (borrowed;
 * the configuration owns it).  consumer: with a verified client
 * certificate, take its subject CN (1) or first SAN (2) as the request's
 * "consumer" variable.
 */
struct gw_tls_ctx;
int	gw_server_listen_tls(struct gw_server *srv, int fd,
	    struct gw_tls_ctx *tls, int consumer, struct gw_err *err);
/* Serve metrics and health from a listening socket (not owned). */
int	gw_server_listen_admin(struct gw_server *srv, int fd,
	    struct gw_err *err);
/* Per-worker state of the proxy handler (see proxy.h). */
struct gw_proxy	*gw_server_proxy(struct gw_server *srv);

/* The request. */

const struct gw_http_head *gw_req_head(const struct gw_req *req);
struct gw_arena	*gw_req_arena(struct gw_req *req);
struct gw_server *gw_req_server(struct gw_req *req);
struct gw_loop	*gw_req_loop(struct gw_req *req);
/* X-Request-Id: the client's if well-formed, else generated. */
const char	*gw_req_id(const struct gw_req *req);
/* 1 if the client connection is TLS. */
int	gw_req_is_tls(const struct gw_req *req);
/* Client address as text ("192.0.2.1", "2001:db8::1", "unix"). */
const char	*gw_req_client(const struct gw_req *req);
/* The normalized path the route matched. */
struct gw_str	 gw_req_path(const struct gw_req *req);
const struct gw_cfg_route *gw_req_route(const struct gw_req *req);
const struct gw_route_match *gw_req_match(const struct gw_req *req);
/* A path parameter of the route ("id" of "/items/{id}"), or GW_STR_NULL. */
struct gw_str	 gw_req_param(const struct gw_req *req, const char *name);
/*
 * W3C trace context: the request's trace id (the caller's traceparent, or
 * a new one), and a traceparent for an outgoing call: same trace, a new
 * span id each call.
 */
const char	*gw_req_trace_id(const struct gw_req *req);
void	gw_req_traceparent(struct gw_req *req, char out[56]);
/* Time the request head was complete (loop microseconds). */
uint64_t	 gw_req_start_us(const struct gw_req *req);
/* For the access log: the upstream target and its time. */
void	gw_req_set_upstream(struct gw_req *req, const char *target,
	    uint64_t upstream_us);

typedef void gw_req_fn(struct gw_req *req, void *arg);

/* Called when the server must end the request (client gone, timeout). */
void	gw_req_on_abort(struct gw_req *req, gw_req_fn *fn, void *arg);

/* The request body, pulled by the handler. */

/* 1 if the request has a body (Content-Length > 0 or chunked). */
int	gw_req_has_body(const struct gw_req *req);
/* Declared length, or -1 for chunked / unknown. */
int64_t	gw_req_body_length(const struct gw_req *req);
/*
 * Body bytes received and not yet consumed (may be empty).  The first call
 * sends "100 Continue" to a client that asked for it.  Valid until the next
 * call into the server.
 */
struct gw_str	gw_req_body_peek(struct gw_req *req);
/* Drop n bytes of what gw_req_body_peek() returned. */
void	gw_req_body_consume(struct gw_req *req, size_t n);
/* 1 once the whole body has been received (it may still be unconsumed). */
int	gw_req_body_complete(const struct gw_req *req);
/* Call fn when more body bytes arrive or the body completes. */
void	gw_req_body_notify(struct gw_req *req, gw_req_fn *fn, void *arg);
/*
 * Read the whole body, up to max bytes, then call fn: gw_req_body_peek()
 * then returns all of it.  Returns 0, or -1 when the declared length is
 * over max: the server has answered 413 and the handler is done.  A chunked
 * body found over max later is answered 413 after the abort function ran.
 */
int	gw_req_body_read_all(struct gw_req *req, uint64_t max, gw_req_fn *fn,
	    void *arg);

/* The response. */

/*
 * Start the response: status line and fields (hop-by-hop fields are
 * dropped; Date, X-Request-Id and the framing fields are added).
 * content_length is the body length, or -1 if unknown (then the body is
 * chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0).  For HEAD,
 * 204 and 304 the length is announced but no body is sent.  Nothing is
 * written to the socket before the first body bytes or gw_resp_end().
 */
int	gw_resp_start(struct gw_req *req, int status,
	    const struct gw_http_header *hdrs, size_t nhdrs,
	    int64_t content_length);
/*
 * Send or queue body bytes; they are always taken.  Returns 0, or 1 when
 * the output is now over its high-water mark (produce nothing more until
 * the function given to gw_resp_notify_writable() runs), or -1 when the
 * connection is gone (the server will abort the request).
 */
int	gw_resp_write(struct gw_req *req, const char *p, size_t len);
/* Call fn once the output has room again. */
void	gw_resp_notify_writable(struct gw_req *req, gw_req_fn *fn, void *arg);
/* The response is complete; the handler is done with req. */
void	gw_resp_end(struct gw_req *req);
/*
 * Give up on a response already started: the connection closes after what
 * was queued, so the client sees it is truncated.  The handler is done.
 */
void	gw_resp_abort(struct gw_req *req);
/* 1 once gw_resp_start() was called. */
int	gw_resp_started(const struct gw_req *req);
/* A whole response in one call; the handler is done. */
void	gw_resp_send(struct gw_req *req, int status,
	    const struct gw_http_header *hdrs, size_t nhdrs, const char *body,
	    size_t len);
/*
 * An RFC 9457 problem+json answer of the gateway's own: type
 * "urn:gw:problem:<slug>", title, status, detail, request_id.  The handler is
 * done.
 */
void	gw_resp_problem(struct gw_req *req, int status, const char *slug,
	    const char *detail);

/*
 * Policies (policy.h): going on after GW_POLICY_WAIT, and what policies may
 * change.  Names compare without case; values are copied into the arena.
 */

/*
 * A policy that returned GW_POLICY_WAIT is done waiting: rc says how it
 * went (GW_POLICY_DONE only after answering).  Call it from the loop, after
 * request() has returned; the chain goes on at the end of the iteration.
 */
void	gw_req_policy_resume(struct gw_req *req, enum gw_policy_rc rc);

/* The first request field called name, or NULL. */
const struct gw_http_header *gw_req_header(const struct gw_req *req,
	    const char *name);
/* Replace every field called name by one with value (or add it). */
int	gw_req_header_set(struct gw_req *req, const char *name,
	    struct gw_str value);
/* Remove every field called name. */
void	gw_req_header_del(struct gw_req *req, const char *name);
/*
 * Replace the query string (without '?'; empty for none) that the handler
 * sends on, as when a policy takes a credential out of it.  The value is
 * copied.  -1 on out of memory.
 */
int	gw_req_set_query(struct gw_req *req, struct gw_str query);
/*
 * Replace the whole request body (by a step with GW_POLICY_REQUEST_BODY);
 * the handler then sees this body with its length.
 */
int	gw_req_set_body(struct gw_req *req, const char *p, size_t len);
/*
 * Variables the steps of a request share (the consumer an authentication
 * step found, claims): set copies; get returns GW_STR_NULL when unset.
 */
int	gw_req_var_set(struct gw_req *req, const char *name,
	    struct gw_str value);
struct gw_str	gw_req_var(const struct gw_req *req, const char *name);

/*
 * Count a notable policy outcome ("refused", "rate_limited", "finding")
 * in gw_policy_outcomes_total{route,policy,outcome}.
 */
void	gw_req_count(struct gw_req *req, const char *policy,
	    const char *outcome);

/* The response, for response steps. */
int	gw_resp_status(const struct gw_req *req);
void	gw_resp_set_status(struct gw_req *req, int status);
struct gw_str	gw_resp_header(const struct gw_req *req, const char *name);
int	gw_resp_header_set(struct gw_req *req, const char *name,
	    struct gw_str value);
void	gw_resp_header_del(struct gw_req *req, const char *name);
/* With GW_POLICY_RESPONSE_BODY: the whole body, and replacing it. */
struct gw_str	gw_resp_captured_body(const struct gw_req *req);
int	gw_resp_replace_body(struct gw_req *req, const char *p, size_t len);

#endif /* GW_SERVER_H */
