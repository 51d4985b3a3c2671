/*
 * cfg.c: the configuration model, its defaults and its lifetime.
 * The JSON file format is read in cfg-parse.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "log.h"
#include "orch.h"
#include "route.h"
#include "str.h"

struct gw_cfg *
gw_cfg_new(void)
{
	struct gw_cfg *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->refs = 1;
	cfg->workers = 0;
	cfg->log_level = GW_LOG_INFO;
	cfg->access_log = 1;
	cfg->log_journal = 2;
	cfg->log_sample = 10000;
	gw_http_limits_default(&cfg->limits);
	cfg->max_body_bytes = GW_MAX_BODY_BYTES;
	cfg->header_timeout_ms = 10000;
	cfg->keepalive_timeout_ms = 60000;
	cfg->body_timeout_ms = 30000;
	cfg->send_timeout_ms = 30000;
	cfg->max_connections = 16384;
	cfg->drain_timeout_ms = 30000;
	if ((cfg->origin = strdup("(command line)")) == NULL) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

void
gw_cfg_upstream_defaults(struct gw_cfg_upstream *u)
{
	u->balance = GW_BALANCE_ROUND_ROBIN;
	u->connect_timeout_ms = 5000;
	u->timeout_ms = 60000;
	u->idle_timeout_ms = 60000;
	u->retries = 1;
	u->max_fails = 3;
	u->fail_timeout_ms = 10000;
	u->keepalive = 256;
	u->keepalive_timeout_ms = 30000;
	u->tls_verify = 1;
}

int
gw_cfg_parse_target(const char *url, struct gw_cfg_target *t,
    struct gw_err *err)
{
	const char	*hp;
	size_t		 len = strlen(url);

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "http://", 7) == 0)
		hp = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		hp = url + 8;
	else
		return gw_err_set(err, GW_E_CONFIG,
		    "target '%s' must start with http:// or https://", url);
	/* one trailing slash is forgiven; no other path */
	if (len > 0 && url[len - 1] == '/')
		len--;
	if (hp >= url + len)
		return gw_err_set(err, GW_E_CONFIG, "target '%s' has no host",
		    url);
	for (const char *p = hp; p < url + len; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == '?' || c == '#')
			return gw_err_set(err, GW_E_CONFIG,
			    "target '%s' must not have a path", url);
		if (c == '@')
			return gw_err_set(err, GW_E_CONFIG,
			    "target '%s' must not hold credentials", url);
		if (c <= 0x20 || c >= 0x7f)
			return gw_err_set(err, GW_E_CONFIG,
			    "target '%s' has a bad character", url);
	}
	if ((t->url = strndup(url, len)) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (gw_client_target_parse(t->url, &t->ct, err) == -1) {
		free(t->url);
		t->url = NULL;
		return -1;
	}
	return 0;
}

int
gw_cfg_proxy_all(struct gw_cfg *cfg, char *const *targets, size_t ntargets,
    struct gw_err *err)
{
	struct gw_cfg_upstream	*u;
	struct gw_cfg_route	*r;

	if (ntargets == 0 || ntargets > GW_MAX_TARGETS)
		return gw_err_set(err, GW_E_CONFIG, "need 1 to %d targets",
		    GW_MAX_TARGETS);
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(u);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	cfg->upstreams = u;
	cfg->nupstreams = 1;
	cfg->routes = r;
	cfg->nroutes = 1;
	gw_cfg_upstream_defaults(u);
	if ((u->name = strdup("default")) == NULL ||
	    (u->targets = calloc(ntargets, sizeof(*u->targets))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < ntargets; i++) {
		if (gw_cfg_parse_target(targets[i], &u->targets[i], err) == -1)
			return -1;
		u->ntargets++;
	}
	if ((r->name = strdup("default")) == NULL ||
	    (r->path = strdup("/")) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	r->kind = GW_ROUTE_PREFIX;
	r->handler = GW_HANDLER_PROXY;
	r->proxy.upstream = 0;
	r->max_body_bytes = 0;	/* streaming: no limit */
	return gw_cfg_finish(cfg, err);
}

int
gw_cfg_finish(struct gw_cfg *cfg, struct gw_err *err)
{
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		struct gw_cfg_upstream *u = &cfg->upstreams[i];

		for (size_t j = 0; j < u->ntargets; j++) {
			struct gw_client_target *ct = &u->targets[j].ct;

			ct->ca_file = u->ca_file;
			ct->tls_verify = u->tls_verify;
			ct->client_cert = u->client_cert;
			ct->client_key = u->client_key;
			ct->server_name = u->server_name;
			ct->keepalive = u->keepalive;
			ct->keepalive_ms = u->keepalive_timeout_ms;
		}
	}
	gw_router_free(cfg->router);
	if ((cfg->router = gw_router_new()) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	for (size_t i = 0; i < cfg->nroutes; i++) {
		struct gw_cfg_route	*r = &cfg->routes[i];
		struct gw_route_spec	 spec;

		memset(&spec, 0, sizeof(spec));
		spec.host = r->host;
		spec.methods = r->methods;
		spec.path = r->path;
		spec.kind = r->kind;
		spec.headers = r->headers;
		spec.nheaders = r->nheaders;
		spec.data = r;
		if (gw_router_add(cfg->router, &spec, err) == -1)
			return gw_err_prefix(err, "route '%s'", r->name);
	}
	return 0;
}

const struct gw_cfg_listener *
gw_cfg_listener_for(const struct gw_cfg *cfg, const char *address,
    const char *name)
{
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct gw_cfg_listener *l = &cfg->listeners[i];

		if ((address != NULL && l->address != NULL &&
		    strcmp(l->address, address) == 0) ||
		    (name != NULL && l->name != NULL &&
		    strcmp(l->name, name) == 0))
			return l;
	}
	return NULL;
}

struct gw_cfg *
gw_cfg_ref(struct gw_cfg *cfg)
{
	cfg->refs++;
	return cfg;
}

static void
route_release(struct gw_cfg_route *r)
{
	free(r->name);
	free(r->host);
	free(r->path);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->proxy.path);
	for (size_t i = 0; i < r->stat.nheaders; i++) {
		free((char *)(uintptr_t)r->stat.headers[i].name.p);
		free((char *)(uintptr_t)r->stat.headers[i].value.p);
	}
	free(r->stat.headers);
	free(r->stat.body);
	gw_orch_free(r->orch);
	gw_policy_list_free(r->policies, r->npolicies);
}

void
gw_cfg_unref(struct gw_cfg *cfg)
{
	if (cfg == NULL || --cfg->refs > 0)
		return;
	gw_router_free(cfg->router);
	for (size_t i = 0; i < cfg->nroutes; i++)
		route_release(&cfg->routes[i]);
	free(cfg->routes);
	for (size_t i = 0; i < cfg->nupstreams; i++) {
		struct gw_cfg_upstream *u = &cfg->upstreams[i];

		free(u->name);
		for (size_t j = 0; j < u->ntargets; j++)
			free(u->targets[j].url);
		free(u->targets);
		free(u->ca_file);
		free(u->client_cert);
		free(u->client_key);
		free(u->server_name);
		free(u->health.path);
	}
	free(cfg->upstreams);
	for (size_t i = 0; i < cfg->nlisten; i++)
		free(cfg->listen[i]);
	free(cfg->listen);
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		free(cfg->listeners[i].address);
		free(cfg->listeners[i].name);
		gw_tls_ctx_free(cfg->listeners[i].tls);
	}
	free(cfg->listeners);
	for (size_t i = 0; i < cfg->nadmin_listen; i++)
		free(cfg->admin_listen[i]);
	free(cfg->admin_listen);
	free(cfg->origin);
	free(cfg);
}
