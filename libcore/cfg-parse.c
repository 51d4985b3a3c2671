/*
 * cfg-parse.c: reading the gateway's JSON configuration (gw.conf(5)).
 *
 * A syntax error stops the parse (the JSON reader says where); after that
 * every value is checked and every problem reported, each as
 * "file:line:column: JSON.path: message".  Unknown keys are errors, with a
 * suggestion when one is close: they are almost always typos.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "policy.h"
#include "log.h"
#include "orch.h"
#include "route.h"
#include "sock.h"
#include "tls.h"
#include "str.h"

#define MAX_STATIC_FILE	(16 * 1024 * 1024)

struct ck {
	struct gw_jcheck	*jc;
	struct gw_cfg		*cfg;
};

#define cerr(ck, ...)		gw_jcheck_error((ck)->jc, __VA_ARGS__)
#define push_key(ck, k)		gw_jcheck_push_key((ck)->jc, (k))
#define push_index(ck, i)	gw_jcheck_push_index((ck)->jc, (i))
#define pop(ck, m)		gw_jcheck_pop((ck)->jc, (m))
#define check_object(ck, ...)	gw_jcheck_object((ck)->jc, __VA_ARGS__)
#define get_str(ck, ...)	gw_jcheck_str((ck)->jc, __VA_ARGS__)
#define get_u64(ck, ...)	gw_jcheck_u64((ck)->jc, __VA_ARGS__)
#define get_u32(ck, ...)	gw_jcheck_u32((ck)->jc, __VA_ARGS__)
#define get_bool(ck, ...)	gw_jcheck_bool((ck)->jc, __VA_ARGS__)
#define get_strs(ck, ...)	gw_jcheck_strs((ck)->jc, __VA_ARGS__)

/* Top-level settings. */

static void
parse_limits(struct ck *ck, const struct json_object *root)
{
	static const char *const keys[] = {
		"max_header_bytes", "max_uri_bytes", "max_headers",
		"max_body_bytes", "header_timeout_ms", "keepalive_timeout_ms",
		"body_timeout_ms", "send_timeout_ms", "max_connections",
		"max_connections_per_client", "overload", "drain_timeout_ms",
		NULL
	};
	struct gw_cfg		*cfg = ck->cfg;
	struct json_object	*v;
	size_t			 old;
	uint64_t		 u;

	if (!gw_jv_get(root, "limits", &v))
		return;
	old = push_key(ck, "limits");
	if (check_object(ck, root, "limits", v, keys) == 0) {
		if (get_u64(ck, v, "max_header_bytes", 1024, 1024 * 1024,
		    &u) == 1)
			cfg->limits.max_header_bytes = (size_t)u;
		if (get_u64(ck, v, "max_uri_bytes", 256, 1024 * 1024, &u) == 1)
			cfg->limits.max_uri_bytes = (size_t)u;
		if (get_u64(ck, v, "max_headers", 8, GW_MAX_HEADERS, &u) == 1)
			cfg->limits.max_headers = (size_t)u;
		(void)get_u64(ck, v, "max_body_bytes", 0, UINT64_MAX / 4,
		    &cfg->max_body_bytes);
		(void)get_u32(ck, v, "header_timeout_ms", 100, 3600000,
		    &cfg->header_timeout_ms);
		(void)get_u32(ck, v, "keepalive_timeout_ms", 100, 3600000,
		    &cfg->keepalive_timeout_ms);
		(void)get_u32(ck, v, "body_timeout_ms", 100, 3600000,
		    &cfg->body_timeout_ms);
		(void)get_u32(ck, v, "send_timeout_ms", 100, 3600000,
		    &cfg->send_timeout_ms);
		(void)get_u32(ck, v, "max_connections", 1, 10000000,
		    &cfg->max_connections);
		(void)get_u32(ck, v, "max_connections_per_client", 0,
		    10000000, &cfg->max_connections_per_client);
		{
			static const char *const modes[] = { "reject",
			    "queue", NULL };
			int mode = 0;

			if (gw_jcheck_enum(ck->jc, v, "overload", modes,
			    &mode) == 1)
				cfg->overload_queue = mode == 1;
		}
		(void)get_u32(ck, v, "drain_timeout_ms", 0, 3600000,
		    &cfg->drain_timeout_ms);
	}
	pop(ck, old);
}

/*
 * A certificate and its key, the members "cert" and "key" of obj: 1 with
 * both resolved into o (caller frees), 0 when obj has neither, -1 reported.
 */
static int
tls_pair(struct ck *ck, const struct json_object *parent, const char *pkey,
    const struct json_object *obj, struct gw_tls_opts *o)
{
	char	*cert = NULL, *key = NULL;
	int	 rc = -1, rcert, rkey;

	rcert = get_str(ck, obj, "cert", &cert);
	rkey = get_str(ck, obj, "key", &key);
	if (rcert == 0 && rkey == 0)
		rc = 0;
	else if (rcert == 1 && rkey == 1) {
		if ((o->cert = gw_jcheck_resolve(ck->jc, cert)) == NULL ||
		    (o->key = gw_jcheck_resolve(ck->jc, key)) == NULL)
			cerr(ck, parent, pkey, obj, "file name too long");
		else
			rc = 1;
	} else if (rcert != -1 && rkey != -1)
		cerr(ck, parent, pkey, obj, "a certificate needs \"cert\" and "
		    "\"key\"");
	free(cert);
	free(key);
	return rc;
}

static void
tls_pair_free(struct gw_tls_opts *o)
{
	free((char *)(uintptr_t)o->cert);
	free((char *)(uintptr_t)o->key);
	o->cert = o->key = NULL;
}

/*
 * "certificates": more certificates for ctx (made with the first, passed
 * in o), chosen by SNI.
 */
static struct gw_tls_ctx *
tls_certs(struct ck *ck, const struct json_object *tls,
    const struct json_object *certs, struct gw_tls_opts *o)
{
	static const char *const keys[] = { "cert", "key", NULL };
	struct gw_tls_ctx	*ctx = NULL;
	struct gw_err		 err;
	size_t			 n = gw_jv_len(certs), old;

	old = push_key(ck, "certificates");
	if (gw_jv_type(certs) != GW_JT_ARRAY || n == 0 ||
	    n > GW_TLS_MAX_CERTS) {
		cerr(ck, tls, "certificates", certs, "expected an array of 1 "
		    "to %d certificates", GW_TLS_MAX_CERTS);
		pop(ck, old);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct json_object	*e = gw_jv_at(certs, i);
		size_t				 o2 = push_index(ck, i);
		int				 rc = -1;

		if (check_object(ck, certs, NULL, e, keys) == 0 &&
		    (rc = tls_pair(ck, certs, NULL, e, o)) == 0)
			cerr(ck, certs, NULL, e, "a certificate needs \"cert\" "
			    "and \"key\"");
		if (rc == 1 && ctx != NULL) {
			if (gw_tls_ctx_add_cert(ctx, o, &err) == -1)
				cerr(ck, certs, NULL, e, "%s", err.msg);
		} else if (rc == 1) {
			struct gw_tls_ctx *c;

			/*
			 * The first is the default; after a bad one the
			 * others are only checked.
			 */
			if ((c = gw_tls_ctx_new(o, &err)) == NULL)
				cerr(ck, certs, NULL, e, "%s", err.msg);
			else if (i == 0)
				ctx = c;
			else
				gw_tls_ctx_free(c);	/* checked, no more */
		}
		tls_pair_free(o);
		pop(ck, o2);
	}
	pop(ck, old);
	return ctx;
}

/*
 * One "tls" block of a listener: files loaded now, so errors show now.
 * Either "cert" and "key", or "certificates", an array of such pairs.
 */
static struct gw_tls_ctx *
parse_tls(struct ck *ck, const struct json_object *parent,
    const struct json_object *v, int *consumer)
{
	static const char *const keys[] = { "cert", "key", "certificates",
	    "client_ca", "client_auth", "min_version", "consumer", NULL };
	static const char *const auths[] = { "none", "optional", "required",
	    NULL };
	static const char *const consumers[] = { "none", "subject_cn",
	    "san", NULL };
	struct gw_tls_opts	 o;
	struct gw_tls_ctx	*ctx = NULL;
	struct json_object	*certs = NULL;
	struct gw_err		 err;
	char			*ca = NULL, *minv = NULL, *rca = NULL;
	int			 auth = 0, pair;
	size_t			 old = push_key(ck, "tls");

	memset(&o, 0, sizeof(o));
	if (check_object(ck, parent, "tls", v, keys) == -1)
		goto out;
	(void)get_str(ck, v, "client_ca", &ca);
	(void)gw_jcheck_enum(ck->jc, v, "client_auth", auths, &auth);
	(void)gw_jcheck_enum(ck->jc, v, "consumer", consumers, consumer);
	(void)get_str(ck, v, "min_version", &minv);
	if (ca != NULL && (rca = gw_jcheck_resolve(ck->jc, ca)) == NULL) {
		cerr(ck, parent, "tls", v, "file name too long");
		goto out;
	}
	o.client_ca = rca;
	o.client_auth = (enum gw_tls_client_auth)auth;
	o.min_version = minv;
	(void)gw_jv_get(v, "certificates", &certs);
	if ((pair = tls_pair(ck, parent, "tls", v, &o)) == -1)
		goto out;
	if (pair == 1 && certs != NULL)
		cerr(ck, parent, "tls", v, "TLS takes \"cert\" and \"key\" or "
		    "\"certificates\", not both");
	else if (pair == 1) {
		if ((ctx = gw_tls_ctx_new(&o, &err)) == NULL)
			cerr(ck, parent, "tls", v, "%s", err.msg);
	} else if (certs != NULL)
		ctx = tls_certs(ck, v, certs, &o);
	else
		cerr(ck, parent, "tls", v, "TLS needs \"cert\" and \"key\" or "
		    "\"certificates\"");
 out:
	tls_pair_free(&o);
	free(ca);
	free(minv);
	free(rca);
	pop(ck, old);
	return ctx;
}

/*
 * "listen": an address, or an array of addresses and objects
 * { "address": ..., "name": ..., "tls": { ... } } ("name" matches a socket
 * systemd passes with FileDescriptorName=).
 */
static void
parse_listen(struct ck *ck, const struct json_object *root,
    const struct json_object *v)
{
	static const char *const keys[] = { "address", "name", "tls", NULL };
	struct gw_cfg	*cfg = ck->cfg;
	size_t		 n, old = push_key(ck, "listen");

	n = gw_jv_type(v) == GW_JT_ARRAY ? gw_jv_len(v) : 1;
	if (gw_jv_type(v) != GW_JT_ARRAY && gw_jv_type(v) != GW_JT_STRING) {
		cerr(ck, root, "listen", v, "expected an address or an array "
		    "of listeners");
		pop(ck, old);
		return;
	}
	if ((cfg->listen = calloc(n + 1, sizeof(*cfg->listen))) == NULL ||
	    (cfg->listeners = calloc(n + 1, sizeof(*cfg->listeners))) ==
	    NULL) {
		cerr(ck, root, "listen", v, "out of memory");
		pop(ck, old);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object	*e = gw_jv_type(v) == GW_JT_ARRAY ?
		    gw_jv_at(v, i) : (struct json_object *)(uintptr_t)v;
		struct gw_cfg_listener	*l = &cfg->listeners[cfg->nlisteners];
		char			*addr = NULL;
		struct gw_err		 err;
		size_t			 o2 = gw_jv_type(v) == GW_JT_ARRAY ?
		    push_index(ck, i) : SIZE_MAX;

		if (gw_jv_type(e) == GW_JT_STRING)
			addr = strdup(gw_jv_str(e, NULL));
		else if (gw_jv_type(e) == GW_JT_OBJECT) {
			struct json_object *t;

			if (check_object(ck, v, NULL, e, keys) == 0) {
				(void)get_str(ck, e, "address", &addr);
				(void)get_str(ck, e, "name", &l->name);
				if (gw_jv_get(e, "tls", &t))
					l->tls = parse_tls(ck, e, t,
					    &l->consumer);
				if (addr == NULL && l->name == NULL)
					cerr(ck, v, NULL, e, "a listener needs "
					    "an \"address\" or the \"name\" "
					    "of a socket systemd passes");
			}
		} else
			cerr(ck, v, NULL, e, "expected an address or an "
			    "object");
		if (addr != NULL && gw_sock_check_addr(addr, &err) == -1)
			cerr(ck, v, NULL, e, "%s", err.msg);
		l->address = addr;
		/* listen[] keeps the addresses to bind */
		if (addr != NULL) {
			if ((cfg->listen[cfg->nlisten] = strdup(addr)) == NULL)
				cerr(ck, v, NULL, e, "out of memory");
			else
				cfg->nlisten++;
		}
		if (addr != NULL || l->name != NULL)
			cfg->nlisteners++;
		else {
			gw_tls_ctx_free(l->tls);
			free(l->name);
			memset(l, 0, sizeof(*l));
		}
		if (o2 != SIZE_MAX)
			gw_jcheck_pop(ck->jc, o2);
	}
	pop(ck, old);
}

static void
parse_top(struct ck *ck, const struct json_object *root)
{
	struct gw_cfg		*cfg = ck->cfg;
	struct json_object	*v;
	char			*s = NULL;
	size_t			 old;

	if (gw_jv_get(root, "listen", &v))
		parse_listen(ck, root, v);
	if (gw_jv_get(root, "workers", &v)) {
		old = push_key(ck, "workers");
		if (gw_jv_type(v) == GW_JT_STRING &&
		    strcmp(gw_jv_str(v, NULL), "auto") == 0)
			cfg->workers = 0;
		else if (gw_jv_type(v) == GW_JT_INT && gw_jv_int(v) >= 1 &&
		    gw_jv_int(v) <= GW_MAX_WORKERS)
			cfg->workers = (int)gw_jv_int(v);
		else
			cerr(ck, root, "workers", v, "expected \"auto\" or a "
			    "number of workers from 1 to %d", GW_MAX_WORKERS);
		pop(ck, old);
	}
	if (get_str(ck, root, "log_level", &s) == 1) {
		enum gw_log_level lvl;

		if (gw_log_level_parse(s, &lvl) == -1) {
			gw_jv_get(root, "log_level", &v);
			old = push_key(ck, "log_level");
			cerr(ck, root, "log_level", v, "unknown level '%s': "
			    "expected err, warning, notice, info or debug", s);
			pop(ck, old);
		} else
			cfg->log_level = (int)lvl;
	}
	free(s);
	if (gw_jv_get(root, "access_log", &v) &&
	    gw_jv_type(v) == GW_JT_OBJECT) {
		static const char *const keys[] = { "enabled", "journal",
		    "sample", NULL };
		static const char *const modes[] = { "off", "on", "auto",
		    NULL };
		struct json_object	*sv;

		old = push_key(ck, "access_log");
		if (check_object(ck, root, "access_log", v, keys) == 0) {
			(void)get_bool(ck, v, "enabled", &cfg->access_log);
			(void)gw_jcheck_enum(ck->jc, v, "journal", modes,
			    &cfg->log_journal);
			if (gw_jv_get(v, "sample", &sv)) {
				double d = gw_jv_type(sv) == GW_JT_DOUBLE ?
				    gw_jv_double(sv) : gw_jv_type(sv) ==
				    GW_JT_INT ? (double)gw_jv_int(sv) : -1;
				size_t o2 = push_key(ck, "sample");

				if (d < 0 || d > 1)
					cerr(ck, v, "sample", sv, "expected a "
					    "fraction from 0 to 1");
				else
					cfg->log_sample =
					    (uint32_t)(d * 10000 + 0.5);
				pop(ck, o2);
			}
		}
		pop(ck, old);
	} else
		(void)get_bool(ck, root, "access_log", &cfg->access_log);
	parse_limits(ck, root);
	if (gw_jv_get(root, "admin", &v)) {
		static const char *const keys[] = { "listen", NULL };

		old = push_key(ck, "admin");
		if (check_object(ck, root, "admin", v, keys) == 0 &&
		    get_strs(ck, v, "listen", &cfg->admin_listen,
		    &cfg->nadmin_listen) == 1) {
			struct json_object *l;

			(void)gw_jv_get(v, "listen", &l);
			for (size_t i = 0; i < cfg->nadmin_listen; i++) {
				struct gw_err err;

				if (gw_sock_check_addr(cfg->admin_listen[i],
				    &err) == -1)
					cerr(ck, v, "listen", gw_jv_type(l) ==
					    GW_JT_ARRAY ? gw_jv_at(l, i) : l,
					    "%s", err.msg);
			}
		}
		pop(ck, old);
	}
}

/* Upstreams. */

static void
parse_health(struct ck *ck, const struct json_object *up,
    const struct json_object *v, struct gw_cfg_health *h)
{
	static const char *const keys[] = {
		"path", "interval_ms", "timeout_ms", "expect_status",
		"healthy_threshold", "unhealthy_threshold", NULL
	};
	uint64_t	st = 0;
	size_t		old = push_key(ck, "health_check");

	h->interval_ms = 5000;
	h->timeout_ms = 2000;
	h->rise = 2;
	h->fall = 3;
	if (check_object(ck, up, "health_check", v, keys) == 0) {
		if (get_str(ck, v, "path", &h->path) != 1 && h->path == NULL)
			h->path = strdup("/");
		else if (h->path[0] != '/') {
			struct json_object *pv;

			(void)gw_jv_get(v, "path", &pv);
			cerr(ck, v, "path", pv, "must start with '/'");
		}
		(void)get_u32(ck, v, "interval_ms", 100, 3600000,
		    &h->interval_ms);
		(void)get_u32(ck, v, "timeout_ms", 10, 600000, &h->timeout_ms);
		if (get_u64(ck, v, "expect_status", 100, 599, &st) == 1)
			h->expect_status = (int)st;
		(void)get_u32(ck, v, "healthy_threshold", 1, 100, &h->rise);
		(void)get_u32(ck, v, "unhealthy_threshold", 1, 100, &h->fall);
		h->enabled = h->path != NULL;
	}
	pop(ck, old);
}

/* An upstream's string key resolved as a file name; 1, 0 absent, -1. */
static int
get_file(struct ck *ck, const struct json_object *v, const char *key,
    char **out)
{
	char	*abs;
	int	 rc;

	if ((rc = get_str(ck, v, key, out)) != 1)
		return rc;
	if ((abs = gw_jcheck_resolve(ck->jc, *out)) == NULL) {
		struct json_object	*t;
		size_t			 old = push_key(ck, key);

		gw_jv_get(v, key, &t);
		cerr(ck, v, key, t, "file name too long");
		pop(ck, old);
		return -1;
	}
	free(*out);
	*out = abs;
	return 1;
}

/*
 * The client certificate an upstream shows, and the name it asks for:
 * only for https:// targets.
 */
static void
upstream_tls(struct ck *ck, const struct json_object *v,
    struct gw_cfg_upstream *u)
{
	struct json_object	*t = NULL;
	struct gw_err		 err;
	const char		*key = NULL;
	size_t			 old;
	int			 tls = 0, c, k;

	for (size_t i = 0; i < u->ntargets; i++)
		tls |= u->targets[i].ct.tls;
	c = get_file(ck, v, "client_cert", &u->client_cert);
	k = get_file(ck, v, "client_key", &u->client_key);
	if (get_str(ck, v, "server_name", &u->server_name) == 1 &&
	    (u->server_name[0] == '\0' || strlen(u->server_name) > 253 ||
	    strspn(u->server_name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
	    strlen(u->server_name))) {
		gw_jv_get(v, "server_name", &t);
		old = push_key(ck, "server_name");
		cerr(ck, v, "server_name", t, "'%s' is not a host name",
		    u->server_name);
		pop(ck, old);
	}
	if ((c == 1) != (k == 1) && c != -1 && k != -1)
		key = c == 1 ? "client_cert" : "client_key";
	else if (c == 1 && k == 1 && gw_tls_check_pair(u->client_cert,
	    u->client_key, &err) == -1)
		key = "client_cert";
	if (key != NULL) {
		gw_jv_get(v, key, &t);
		old = push_key(ck, key);
		if (c == 1 && k == 1)
			cerr(ck, v, key, t, "%s", err.msg);
		else
			cerr(ck, v, key, t, "\"client_cert\" and "
			    "\"client_key\" go together");
		pop(ck, old);
	}
	key = u->client_cert != NULL ? "client_cert" :
	    u->server_name != NULL ? "server_name" : NULL;
	if (key != NULL && !tls && u->ntargets > 0) {
		gw_jv_get(v, key, &t);
		old = push_key(ck, key);
		cerr(ck, v, key, t, "\"%s\" goes with https:// targets", key);
		pop(ck, old);
	}
}

static void
parse_upstream(struct ck *ck, const struct json_object *ups, const char *name,
    const struct json_object *v, struct gw_cfg_upstream *u)
{
	static const char *const keys[] = {
		"targets", "balance", "connect_timeout_ms", "timeout_ms",
		"idle_timeout_ms", "retries", "max_fails", "fail_timeout_ms",
		"keepalive", "keepalive_timeout_ms", "ca_file", "tls_verify",
		"client_cert", "client_key", "server_name", "preserve_host",
		"health_check", NULL
	};
	struct json_object	*t;
	char			*s = NULL, **urls = NULL;
	size_t			 nurls = 0, old;

	gw_cfg_upstream_defaults(u);
	if ((u->name = strdup(name)) == NULL) {
		cerr(ck, ups, name, v, "out of memory");
		return;
	}
	if (check_object(ck, ups, name, v, keys) == -1)
		return;
	if (get_strs(ck, v, "targets", &urls, &nurls) == 0)
		cerr(ck, ups, name, v, "an upstream needs \"targets\"");
	else if (nurls == 0 || nurls > GW_MAX_TARGETS) {
		gw_jv_get(v, "targets", &t);
		old = push_key(ck, "targets");
		cerr(ck, v, "targets", t, "need 1 to %d targets",
		    GW_MAX_TARGETS);
		pop(ck, old);
	} else if ((u->targets = calloc(nurls, sizeof(*u->targets))) == NULL)
		cerr(ck, v, "targets", NULL, "out of memory");
	else {
		gw_jv_get(v, "targets", &t);
		old = push_key(ck, "targets");
		for (size_t i = 0; i < nurls; i++) {
			struct gw_err	err;
			size_t		o2 = push_index(ck, i);

			if (gw_cfg_parse_target(urls[i], &u->targets[u->ntargets],
			    &err) == -1)
				cerr(ck, t, NULL, gw_jv_type(t) == GW_JT_ARRAY ?
				    gw_jv_at(t, i) : t, "%s", err.msg);
			else
				u->ntargets++;
			pop(ck, o2);
		}
		pop(ck, old);
	}
	for (size_t i = 0; i < nurls; i++)
		free(urls[i]);
	free(urls);
	if (get_str(ck, v, "balance", &s) == 1) {
		if (strcmp(s, "round-robin") == 0)
			u->balance = GW_BALANCE_ROUND_ROBIN;
		else if (strcmp(s, "least-connections") == 0)
			u->balance = GW_BALANCE_LEAST_CONN;
		else {
			gw_jv_get(v, "balance", &t);
			old = push_key(ck, "balance");
			cerr(ck, v, "balance", t, "unknown balance '%s': "
			    "expected round-robin or least-connections", s);
			pop(ck, old);
		}
	}
	free(s);
	(void)get_u32(ck, v, "connect_timeout_ms", 1, 3600000,
	    &u->connect_timeout_ms);
	(void)get_u32(ck, v, "timeout_ms", 1, 86400000, &u->timeout_ms);
	(void)get_u32(ck, v, "idle_timeout_ms", 1, 86400000,
	    &u->idle_timeout_ms);
	(void)get_u32(ck, v, "retries", 0, 3, &u->retries);
	(void)get_u32(ck, v, "max_fails", 0, 1000, &u->max_fails);
	(void)get_u32(ck, v, "fail_timeout_ms", 0, 86400000,
	    &u->fail_timeout_ms);
	(void)get_u32(ck, v, "keepalive", 0, 100000, &u->keepalive);
	(void)get_u32(ck, v, "keepalive_timeout_ms", 1, 3600000,
	    &u->keepalive_timeout_ms);
	if (get_file(ck, v, "ca_file", &u->ca_file) == 1 &&
	    access(u->ca_file, R_OK) == -1) {
		gw_jv_get(v, "ca_file", &t);
		old = push_key(ck, "ca_file");
		cerr(ck, v, "ca_file", t, "cannot read '%s': %s", u->ca_file,
		    strerror(errno));
		pop(ck, old);
	}
	(void)get_bool(ck, v, "tls_verify", &u->tls_verify);
	upstream_tls(ck, v, u);
	(void)get_bool(ck, v, "preserve_host", &u->preserve_host);
	if (gw_jv_get(v, "health_check", &t))
		parse_health(ck, v, t, &u->health);
}

static void
parse_upstreams(struct ck *ck, const struct json_object *root)
{
	struct gw_cfg		*cfg = ck->cfg;
	struct json_object	*ups, *v;
	struct gw_jv_iter	 it;
	const char		*name;
	size_t			 old, n;

	if (!gw_jv_get(root, "upstreams", &ups))
		return;
	old = push_key(ck, "upstreams");
	if (gw_jv_type(ups) != GW_JT_OBJECT) {
		cerr(ck, root, "upstreams", ups, "expected an object of "
		    "upstreams by name, not %s",
		    gw_jv_type_name(gw_jv_type(ups)));
		pop(ck, old);
		return;
	}
	n = gw_jv_len(ups);
	if (n > 0 && (cfg->upstreams = calloc(n, sizeof(*cfg->upstreams))) ==
	    NULL) {
		cerr(ck, root, "upstreams", ups, "out of memory");
		pop(ck, old);
		return;
	}
	gw_jv_iter_init(&it, ups);
	while (gw_jv_iter_next(&it, &name, &v)) {
		size_t o2 = push_key(ck, name);

		parse_upstream(ck, ups, name, v,
		    &cfg->upstreams[cfg->nupstreams++]);
		pop(ck, o2);
	}
	pop(ck, old);
}

/* Routes. */

static const char *const handler_names[] = {
	"proxy", "static", "orchestrate", NULL
};

static void
parse_static(struct ck *ck, const struct json_object *route,
    const struct json_object *v, struct gw_cfg_static *st)
{
	static const char *const keys[] = {
		"status", "headers", "body", "json", "file", NULL
	};
	struct json_object	*h, *j;
	uint64_t		 status = 200;
	char			*body = NULL, *data;
	size_t			 len;
	int			 nbody = 0, has_ctype = 0;
	size_t			 old;

	st->status = 200;
	if (check_object(ck, route, "static", v, keys) == -1)
		return;
	if (get_u64(ck, v, "status", 100, 599, &status) == 1)
		st->status = (int)status;
	if (gw_jv_get(v, "headers", &h)) {
		struct gw_jv_iter	 it;
		const char		*k;
		struct json_object	*hv;

		old = push_key(ck, "headers");
		if (gw_jv_type(h) != GW_JT_OBJECT)
			cerr(ck, v, "headers", h, "expected an object of "
			    "field names and values");
		else if ((st->headers = calloc(gw_jv_len(h) + 1,
		    sizeof(*st->headers))) != NULL) {
			gw_jv_iter_init(&it, h);
			while (gw_jv_iter_next(&it, &k, &hv)) {
				size_t		 o2 = push_key(ck, k);
				const char	*val;
				int		 ok = k[0] != '\0';

				for (const char *p = k; *p != '\0'; p++)
					if (!gw_http_is_tchar((unsigned char)*p))
						ok = 0;
				if (!ok)
					cerr(ck, h, k, NULL, "'%s' is not a "
					    "field name", k);
				else if (gw_jv_type(hv) != GW_JT_STRING)
					cerr(ck, h, k, hv, "expected a string");
				else {
					val = gw_jv_str(hv, NULL);
					for (const char *p = val; *p != '\0';
					    p++)
						if ((unsigned char)*p < 0x20 &&
						    *p != '\t')
							ok = 0;
					if (!ok)
						cerr(ck, h, k, hv, "control "
						    "character in value");
					else {
						struct gw_http_header *f =
						    &st->headers[st->nheaders];

						f->name = gw_str_cstr(strdup(k));
						f->value =
						    gw_str_cstr(strdup(val));
						if (f->name.p == NULL ||
						    f->value.p == NULL) {
							cerr(ck, h, k, hv,
							    "out of memory");
							free((char *)(uintptr_t)
							    f->name.p);
							free((char *)(uintptr_t)
							    f->value.p);
						} else {
							st->nheaders++;
							if (gw_str_caseeq_cstr(
							    f->name,
							    "content-type"))
								has_ctype = 1;
						}
					}
				}
				pop(ck, o2);
			}
		}
		pop(ck, old);
	}
	if (get_str(ck, v, "body", &body) == 1) {
		nbody++;
		st->body = body;
		st->body_len = strlen(body);
	}
	if (gw_jv_get(v, "json", &j)) {
		struct gw_buf	b;
		struct gw_err	err;

		nbody++;
		gw_buf_init(&b, MAX_STATIC_FILE);
		if (gw_jv_serialize(j, &b, &err) == -1) {
			old = push_key(ck, "json");
			cerr(ck, v, "json", j, "%s", err.msg);
			pop(ck, old);
			gw_buf_release(&b);
		} else {
			(void)gw_buf_putc(&b, '\n', NULL);
			free(st->body);
			st->body = gw_buf_take(&b, &st->body_len, NULL);
			if (!has_ctype && st->headers != NULL) {
				st->headers[st->nheaders].name =
				    gw_str_cstr(strdup("Content-Type"));
				st->headers[st->nheaders].value =
				    gw_str_cstr(strdup("application/json"));
				st->nheaders++;
			} else if (!has_ctype) {
				if ((st->headers = calloc(1,
				    sizeof(*st->headers))) != NULL) {
					st->headers[0].name = gw_str_cstr(
					    strdup("Content-Type"));
					st->headers[0].value = gw_str_cstr(
					    strdup("application/json"));
					st->nheaders = 1;
				}
			}
		}
	}
	switch (gw_jcheck_file(ck->jc, v, "file", MAX_STATIC_FILE, &data, &len,
	    NULL)) {
	case 1:
		free(st->body);
		st->body = data;
		st->body_len = len;
		/* FALLTHROUGH */
	case -1:
		nbody++;
		break;
	default:
		break;
	}
	if (nbody > 1)
		cerr(ck, route, "static", v, "give one of \"body\", \"json\" "
		    "and \"file\", not several");
	if (st->body == NULL && (st->body = strdup("")) == NULL)
		cerr(ck, route, "static", v, "out of memory");
}

static size_t
find_upstream(const struct gw_cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nupstreams; i++)
		if (cfg->upstreams[i].name != NULL &&
		    strcmp(cfg->upstreams[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static void
unknown_upstream(struct ck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, const char *name)
{
	const char	*names[65];
	const char	*sug;
	size_t		 n = 0;

	for (size_t i = 0; i < ck->cfg->nupstreams && n < 64; i++)
		if (ck->cfg->upstreams[i].name != NULL)
			names[n++] = ck->cfg->upstreams[i].name;
	names[n] = NULL;
	if ((sug = gw_jcheck_closest(name, names)) != NULL)
		cerr(ck, parent, key, v, "unknown upstream '%s'; did you mean "
		    "'%s'?", name, sug);
	else
		cerr(ck, parent, key, v, "unknown upstream '%s'", name);
}

/* Is every "{name}" of tmpl a parameter of the route's path? */
static int
params_known(const char *tmpl, const char *path, char *missing, size_t msize)
{
	for (const char *p = tmpl; (p = strchr(p, '{')) != NULL; p++) {
		const char	*e = strchr(p, '}');
		char		 want[80];

		if (e == NULL) {
			(void)snprintf(missing, msize, "%s", p);
			return 0;
		}
		(void)snprintf(want, sizeof(want), "%.*s", (int)(e - p + 1), p);
		if (path == NULL || strstr(path, want) == NULL) {
			(void)snprintf(missing, msize, "%s", want);
			return 0;
		}
		p = e;
	}
	return 1;
}

static void
parse_proxy(struct ck *ck, const struct json_object *route,
    const struct json_object *v, struct gw_cfg_route *r)
{
	static const char *const keys[] = {
		"upstream", "strip_prefix", "path", NULL
	};
	struct json_object	*u;
	char			*name = NULL;

	if (gw_jv_type(v) == GW_JT_STRING) {
		name = strdup(gw_jv_str(v, NULL));
		u = (struct json_object *)(uintptr_t)v;
	} else {
		if (check_object(ck, route, "proxy", v, keys) == -1)
			return;
		if (get_str(ck, v, "upstream", &name) == 0) {
			cerr(ck, route, "proxy", v, "proxy needs \"upstream\"");
			return;
		}
		gw_jv_get(v, "upstream", &u);
		(void)get_bool(ck, v, "strip_prefix", &r->proxy.strip_prefix);
		if (get_str(ck, v, "path", &r->proxy.path) == 1) {
			char		 miss[96];
			struct json_object *pv;
			size_t		 old = push_key(ck, "path");

			gw_jv_get(v, "path", &pv);
			if (r->proxy.path[0] != '/')
				cerr(ck, v, "path", pv, "must start with '/'");
			else if (!params_known(r->proxy.path, r->path, miss,
			    sizeof(miss)))
				cerr(ck, v, "path", pv, "'%s' is not a "
				    "parameter of the route's path", miss);
			pop(ck, old);
		}
	}
	if (name == NULL)
		return;
	if ((r->proxy.upstream = find_upstream(ck->cfg, name)) == SIZE_MAX) {
		if (gw_jv_type(v) == GW_JT_STRING)
			unknown_upstream(ck, route, "proxy", u, name);
		else {
			size_t old = push_key(ck, "upstream");

			unknown_upstream(ck, v, "upstream", u, name);
			pop(ck, old);
		}
	}
	free(name);
}

static void
parse_match(struct ck *ck, const struct json_object *route,
    const struct json_object *m, struct gw_cfg_route *r)
{
	static const char *const keys[] = {
		"host", "path", "prefix", "methods", "headers", NULL
	};
	struct json_object	*v;
	char			*prefix = NULL;
	size_t			 old;

	if (check_object(ck, route, "match", m, keys) == -1)
		return;
	(void)get_str(ck, m, "host", &r->host);
	(void)get_str(ck, m, "path", &r->path);
	(void)get_str(ck, m, "prefix", &prefix);
	if (r->path != NULL && prefix != NULL) {
		cerr(ck, route, "match", m, "give \"path\" or \"prefix\", not "
		    "both");
		free(prefix);
	} else if (prefix != NULL) {
		r->path = prefix;
		r->kind = GW_ROUTE_PREFIX;
	} else if (r->path == NULL) {
		/* no path: everything */
		if ((r->path = strdup("/")) == NULL)
			cerr(ck, route, "match", m, "out of memory");
		r->kind = GW_ROUTE_PREFIX;
	}
	if (r->path != NULL) {
		struct gw_err	err;
		const char	*key = prefix != NULL ? "prefix" : "path";

		if (gw_jv_get(m, key, &v) &&
		    gw_route_check_pattern(r->path, &err) == -1) {
			old = push_key(ck, key);
			cerr(ck, m, key, v, "%s", err.msg);
			pop(ck, old);
		}
	}
	if (gw_jv_get(m, "methods", &v)) {
		old = push_key(ck, "methods");
		if (gw_jv_type(v) != GW_JT_ARRAY || gw_jv_len(v) == 0)
			cerr(ck, m, "methods", v, "expected an array of "
			    "method names such as [\"GET\", \"POST\"]");
		else
			for (size_t i = 0; i < gw_jv_len(v); i++) {
				struct json_object	*e = gw_jv_at(v, i);
				uint64_t		 bit;
				size_t			 o2 = push_index(ck, i);

				if (gw_jv_type(e) != GW_JT_STRING ||
				    gw_route_method_bit(gw_jv_str(e, NULL),
				    &bit) == -1)
					cerr(ck, v, NULL, e, "unknown method; "
					    "method names are upper case, as "
					    "\"GET\"");
				else if (strcmp(gw_jv_str(e, NULL),
				    "CONNECT") == 0)
					cerr(ck, v, NULL, e, "CONNECT is not "
					    "proxied: the gateway answers it 501");
				else
					r->methods |= bit;
				pop(ck, o2);
			}
		pop(ck, old);
	}
	if (gw_jv_get(m, "headers", &v)) {
		struct gw_jv_iter	 it;
		const char		*k;
		struct json_object	*hv;

		old = push_key(ck, "headers");
		if (gw_jv_type(v) != GW_JT_OBJECT)
			cerr(ck, m, "headers", v, "expected an object: field "
			    "name to a value, or to true for \"present\"");
		else if ((r->headers = calloc(gw_jv_len(v) + 1,
		    sizeof(*r->headers))) != NULL) {
			gw_jv_iter_init(&it, v);
			while (gw_jv_iter_next(&it, &k, &hv)) {
				struct gw_route_header_match *hm =
				    &r->headers[r->nheaders];
				size_t o2 = push_key(ck, k);

				if (gw_jv_type(hv) == GW_JT_BOOL &&
				    gw_jv_bool(hv)) {
					hm->name = strdup(k);
					r->nheaders++;
				} else if (gw_jv_type(hv) == GW_JT_STRING) {
					hm->name = strdup(k);
					hm->value = strdup(gw_jv_str(hv, NULL));
					r->nheaders++;
				} else
					cerr(ck, v, k, hv, "expected a string "
					    "or true");
				pop(ck, o2);
			}
		}
		pop(ck, old);
	}
}

static void
parse_route(struct ck *ck, const struct json_object *routes, size_t idx,
    const struct json_object *v, struct gw_cfg_route *r)
{
	static const char *const keys[] = {
		"name", "match", "proxy", "static", "orchestrate", "max_body_bytes",
		"max_response_bytes", "policies", NULL
	};
	struct json_object	*m, *h;
	int			 nhandlers = 0;
	size_t			 old;

	r->max_body_bytes = 0;
	if (check_object(ck, routes, NULL, v, keys) == -1)
		return;
	if (get_str(ck, v, "name", &r->name) == 0) {
		char buf[32];

		(void)snprintf(buf, sizeof(buf), "routes[%zu]", idx);
		r->name = strdup(buf);
	}
	if (gw_jv_get(v, "match", &m)) {
		old = push_key(ck, "match");
		parse_match(ck, v, m, r);
		pop(ck, old);
	} else if ((r->path = strdup("/")) != NULL)
		r->kind = GW_ROUTE_PREFIX;
	(void)get_u64(ck, v, "max_body_bytes", 0, UINT64_MAX / 4,
	    &r->max_body_bytes);
	if (gw_jv_get(v, "policies", &h)) {
		(void)gw_policy_parse_list(ck->jc, v, h, &r->policies,
		    &r->npolicies);
		for (size_t i = 0; i < r->npolicies; i++) {
			r->policy_flags |= r->policies[i].type->flags;
			if (r->policies[i].type->response != NULL)
				r->has_response_steps = 1;
		}
	}
	(void)get_u64(ck, v, "max_response_bytes", 0, UINT64_MAX / 4,
	    &r->max_response_bytes);
	for (size_t i = 0; handler_names[i] != NULL; i++) {
		if (!gw_jv_get(v, handler_names[i], &h))
			continue;
		nhandlers++;
		old = push_key(ck, handler_names[i]);
		if (strcmp(handler_names[i], "proxy") == 0) {
			r->handler = GW_HANDLER_PROXY;
			if (gw_jv_type(h) != GW_JT_STRING &&
			    gw_jv_type(h) != GW_JT_OBJECT)
				cerr(ck, v, "proxy", h, "expected an upstream "
				    "name or an object");
			else
				parse_proxy(ck, v, h, r);
		} else if (strcmp(handler_names[i], "orchestrate") == 0) {
			r->handler = GW_HANDLER_ORCHESTRATE;
			(void)gw_orch_load(ck->jc, v, "orchestrate", h,
			    &r->orch);
		} else {
			r->handler = GW_HANDLER_STATIC;
			parse_static(ck, v, h, &r->stat);
		}
		pop(ck, old);
	}
	if (nhandlers != 1)
		cerr(ck, routes, NULL, v, "a route needs exactly one handler: "
		    "\"proxy\", \"static\" or \"orchestrate\"");
	if (r->proxy.strip_prefix && r->kind != GW_ROUTE_PREFIX) {
		old = push_key(ck, "proxy");
		cerr(ck, v, "proxy", NULL, "strip_prefix needs a \"prefix\" "
		    "route");
		pop(ck, old);
	}
}

static void
parse_routes(struct ck *ck, const struct json_object *root)
{
	struct gw_cfg		*cfg = ck->cfg;
	struct json_object	*routes;
	size_t			 old, n;

	if (!gw_jv_get(root, "routes", &routes)) {
		if (cfg->nupstreams == 0)
			cerr(ck, root, NULL, root, "no \"routes\": the gateway "
			    "would answer 404 to everything");
		return;
	}
	old = push_key(ck, "routes");
	if (gw_jv_type(routes) != GW_JT_ARRAY) {
		cerr(ck, root, "routes", routes, "expected an array of routes");
		pop(ck, old);
		return;
	}
	n = gw_jv_len(routes);
	if (n > GW_MAX_ROUTES) {
		cerr(ck, root, "routes", routes, "more than %d routes",
		    GW_MAX_ROUTES);
		pop(ck, old);
		return;
	}
	if (n > 0 && (cfg->routes = calloc(n, sizeof(*cfg->routes))) == NULL) {
		cerr(ck, root, "routes", routes, "out of memory");
		pop(ck, old);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t o2 = push_index(ck, i);

		parse_route(ck, routes, i, gw_jv_at(routes, i),
		    &cfg->routes[cfg->nroutes++]);
		pop(ck, o2);
	}
	pop(ck, old);
}

int
gw_cfg_parse(const char *buf, size_t len, const char *origin,
    struct gw_cfg **out, struct gw_buf *report, struct gw_err *err)
{
	static const char *const keys[] = {
		"$schema", "listen", "admin", "workers", "log_level",
		"access_log", "limits", "upstreams", "routes", NULL
	};
	struct ck		 ck;
	struct gw_jdoc		*doc = NULL;
	struct json_object	*root;
	int			 rc = -1, nerr;

	*out = NULL;
	memset(&ck, 0, sizeof(ck));
	if (gw_jdoc_parse(buf, len, origin, GW_JSON_COMMENTS | GW_JSON_BOM,
	    &doc, err) == -1) {
		err->code = GW_E_CONFIG;
		if (report != NULL)
			(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
		goto out;
	}
	if ((ck.jc = gw_jcheck_new(doc, NULL, err)) == NULL)
		goto out;
	if ((ck.cfg = gw_cfg_new()) == NULL ||
	    (free(ck.cfg->origin), ck.cfg->origin = strdup(origin)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	root = gw_jdoc_root(doc);
	if (check_object(&ck, NULL, NULL, root, keys) == 0) {
		parse_top(&ck, root);
		parse_upstreams(&ck, root);
		parse_routes(&ck, root);
	}
	nerr = gw_jcheck_nerrors(ck.jc);
	if (nerr == 0 && gw_cfg_finish(ck.cfg, err) == -1) {
		err->code = GW_E_CONFIG;
		if (report != NULL)
			(void)gw_buf_printf(report, NULL, "%s: %s\n", origin,
			    err->msg);
		goto out;
	}
	if (nerr > 0) {
		size_t		 rlen;
		const char	*r = gw_jcheck_report(ck.jc, &rlen);
		size_t		 first = strcspn(r, "\n");

		if (report != NULL)
			(void)gw_buf_append(report, r, rlen, NULL);
		if (nerr == 1)
			gw_err_set(err, GW_E_CONFIG, "%.*s", (int)first, r);
		else
			gw_err_set(err, GW_E_CONFIG, "%.*s (and %d more "
			    "errors)", (int)first, r, nerr - 1);
		goto out;
	}
	*out = ck.cfg;
	ck.cfg = NULL;
	rc = 0;
 out:
	gw_cfg_unref(ck.cfg);
	gw_jcheck_free(ck.jc);
	gw_jdoc_free(doc);
	return rc;
}

int
gw_cfg_load(const char *path, struct gw_cfg **out, struct gw_buf *report,
    struct gw_err *err)
{
	struct gw_buf	 b;
	FILE		*fp;
	char		 chunk[65536];
	size_t		 n;
	int		 rc;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		gw_err_set(err, errno == ENOENT ? GW_E_NOTFOUND : GW_E_CONFIG,
		    "cannot open '%s': %s", path, strerror(errno));
		if (report != NULL)
			(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
		return -1;
	}
	gw_buf_init(&b, GW_MAX_CONFIG_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (gw_buf_append(&b, chunk, n, NULL) == -1) {
			fclose(fp);
			gw_buf_release(&b);
			gw_err_set(err, GW_E_CONFIG,
			    "'%s' is larger than %d bytes", path,
			    GW_MAX_CONFIG_BYTES);
			if (report != NULL)
				(void)gw_buf_printf(report, NULL, "%s\n",
				    err->msg);
			return -1;
		}
	if (ferror(fp)) {
		fclose(fp);
		gw_buf_release(&b);
		gw_err_set(err, GW_E_CONFIG, "cannot read '%s'", path);
		if (report != NULL)
			(void)gw_buf_printf(report, NULL, "%s\n", err->msg);
		return -1;
	}
	fclose(fp);
	rc = gw_cfg_parse(b.p == NULL ? "" : b.p, b.len, path, out, report,
	    err);
	gw_buf_release(&b);
	return rc;
}
