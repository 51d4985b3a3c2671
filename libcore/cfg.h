/*
 * cfg.h: the gateway's configuration.
 *
 * One JSON file (comments allowed), loaded and checked whole before anything
 * is served; gw.conf(5) is the reference.  A loaded struct gw_cfg is
 * immutable and reference-counted: a reload builds a new one, and the old
 * one goes when its last user lets go.  Errors read
 * "file:line:column: JSON.path: message", one per line, every semantic error
 * of the file in one run.
 */
#ifndef GW_CFG_H
#define GW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "policy.h"
#include "route.h"
#include "tls.h"

struct gw_orch;

enum gw_balance {
	GW_BALANCE_ROUND_ROBIN,
	GW_BALANCE_LEAST_CONN
};

struct gw_cfg_target {
	char			*url;	/* "http://host:port", no path */
	struct gw_client_target	 ct;	/* resolved; strings point into url */
};

/* Active health checks of an upstream's targets. */
struct gw_cfg_health {
	int		 enabled;
	char		*path;		/* "/health" */
	uint32_t	 interval_ms;
	uint32_t	 timeout_ms;
	int		 expect_status;	/* 0: any 2xx */
	uint32_t	 rise;		/* successes in a row to come back */
	uint32_t	 fall;		/* failures in a row to go down */
};

struct gw_cfg_upstream {
	char			*name;
	struct gw_cfg_target	*targets;
	size_t			 ntargets;
	enum gw_balance		 balance;
	uint32_t		 connect_timeout_ms;
	uint32_t		 timeout_ms;	/* until the response head */
	uint32_t		 idle_timeout_ms; /* between bytes of the body */
	uint32_t		 retries;	/* idempotent requests, connect failures */
	uint32_t		 max_fails;	/* in a row, then ejected */
	uint32_t		 fail_timeout_ms; /* how long an ejection lasts */
	uint32_t		 keepalive;	/* idle connections kept per worker */
	uint32_t		 keepalive_timeout_ms; /* how long one is kept */
	char			*ca_file;	/* NULL: the system's CAs */
	int			 tls_verify;
	char			*client_cert;	/* PEM, or NULL: none */
	char			*client_key;
	char			*server_name;	/* NULL: the target's host */
	int			 preserve_host;
	struct gw_cfg_health	 health;
};

enum gw_handler_kind {
	GW_HANDLER_PROXY,
	GW_HANDLER_STATIC,
	GW_HANDLER_ORCHESTRATE
};

struct gw_cfg_proxy {
	size_t		 upstream;	/* index into cfg->upstreams */
	int		 strip_prefix;	/* drop what a prefix route matched */
	char		*path;		/* rewrite template, "{id}" from params */
};

struct gw_cfg_static {
	int			 status;
	struct gw_http_header	*headers;	/* owned strings */
	size_t			 nheaders;
	char			*body;
	size_t			 body_len;
};

struct gw_cfg_route {
	char			*name;		/* for logs: given or "routes[N]" */
	char			*host;
	uint64_t		 methods;
	char			*path;
	enum gw_route_path_kind	 kind;
	struct gw_route_header_match *headers;
	size_t			 nheaders;
	uint64_t		 max_body_bytes;	/* 0: no limit */
	uint64_t		 max_response_bytes;	/* when buffered */
	struct gw_policy	*policies;
	size_t			 npolicies;
	unsigned		 policy_flags;	/* OR of their types' flags */
	int			 has_response_steps;
	enum gw_handler_kind	 handler;
	struct gw_cfg_proxy	 proxy;
	struct gw_cfg_static	 stat;
	struct gw_orch		*orch;		/* GW_HANDLER_ORCHESTRATE (orch.h) */
};

/* A listener of the configuration: an address to bind or a systemd name. */
struct gw_cfg_listener {
	char			*address;	/* NULL: passed by systemd */
	char			*name;		/* FileDescriptorName=, or NULL */
	struct gw_tls_ctx	*tls;		/* NULL: plain HTTP */
	int			 consumer;	/* 1 subject CN, 2 SAN */
};

struct gw_cfg {
	int			 refs;
	char			*origin;	/* the file, or "(command line)" */
	char			**listen;	/* addresses to bind */
	size_t			 nlisten;
	struct gw_cfg_listener	*listeners;
	size_t			 nlisteners;
	int			 workers;	/* 0: one per CPU of the affinity mask */
	int			 log_level;	/* enum gw_log_level */
	int			 access_log;
	int			 log_journal;	/* 0 off, 1 on, 2 when stderr is it */
	uint32_t		 log_sample;	/* per 10000 of 1xx-3xx logged */
	struct gw_http_limits	 limits;
	uint64_t		 max_body_bytes;
	uint32_t		 header_timeout_ms;
	uint32_t		 keepalive_timeout_ms;
	uint32_t		 body_timeout_ms;
	uint32_t		 send_timeout_ms;
	uint32_t		 max_connections;	/* per worker */
	uint32_t		 max_connections_per_client; /* 0: none */
	int			 overload_queue;	/* full: wait, not 503 */
	char			**admin_listen;		/* metrics and health */
	size_t			 nadmin_listen;
	uint32_t		 drain_timeout_ms;	/* graceful stop */
	struct gw_cfg_upstream	*upstreams;
	size_t			 nupstreams;
	struct gw_cfg_route	*routes;
	size_t			 nroutes;
	struct gw_router	*router;	/* match data: struct gw_cfg_route * */
};

/*
 * A configuration with the defaults and no routes, for building by hand.
 * NULL on out of memory.  Free with gw_cfg_unref().
 */
struct gw_cfg	*gw_cfg_new(void);
/*
 * The one-command mode: every path to one upstream of these targets
 * ("http://127.0.0.1:9000").  -1 with err for a bad URL.
 */
int	gw_cfg_proxy_all(struct gw_cfg *cfg, char *const *targets,
	    size_t ntargets, struct gw_err *err);
/*
 * Parse a configuration file's text.  origin names it in messages and
 * anchors relative file names (its directory).  On error, -1 with
 * GW_E_CONFIG: err->msg holds the first error, and report (if not NULL)
 * gets every error, one line each.
 */
int	gw_cfg_parse(const char *buf, size_t len, const char *origin,
	    struct gw_cfg **out, struct gw_buf *report, struct gw_err *err);
/* Read path and gw_cfg_parse() it. */
int	gw_cfg_load(const char *path, struct gw_cfg **out,
	    struct gw_buf *report, struct gw_err *err);
/*
 * The listener of cfg a socket belongs to: by the address it was bound
 * for, or by the name systemd gave it.  NULL when none matches.
 */
const struct gw_cfg_listener *gw_cfg_listener_for(const struct gw_cfg *cfg,
	    const char *address, const char *name);
/* Build the router once routes are final (gw_cfg_parse does it). */
int	gw_cfg_finish(struct gw_cfg *cfg, struct gw_err *err);

struct gw_cfg	*gw_cfg_ref(struct gw_cfg *cfg);
void	gw_cfg_unref(struct gw_cfg *cfg);

/* Fill an upstream with the defaults gw.conf(5) documents. */
void	gw_cfg_upstream_defaults(struct gw_cfg_upstream *u);
/* Parse "http://host:port" into a target; -1 with a message if bad. */
int	gw_cfg_parse_target(const char *url, struct gw_cfg_target *t,
	    struct gw_err *err);

#endif /* GW_CFG_H */
