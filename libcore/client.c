/*
 * client.c: outgoing exchanges: pools, and the choice of backend.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client-int.h"
#include "client.h"
#include "err.h"
#include "gw.h"

struct gw_client *
gw_client_new(struct gw_loop *loop, struct gw_err *err)
{
	struct gw_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	c->loop = loop;
	return c;
}

void
gw_client_free(struct gw_client *c)
{
	if (c == NULL)
		return;
	while (c->pools != NULL)
		gw_client_pool_free(c->pools);
	curl_state_free(c->curl);
	h1_free_spares(c);
	free(c);
}

struct gw_client_pool *
gw_client_pool_new(struct gw_client *c, const struct gw_client_target *t,
    struct gw_err *err)
{
	struct gw_client_pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	p->client = c;
	p->t = t;
	p->next = c->pools;
	c->pools = p;
	return p;
}

void
gw_client_pool_free(struct gw_client_pool *p)
{
	struct gw_client_pool **pp;

	if (p == NULL)
		return;
	h1_pool_close(p);
	for (pp = &p->client->pools; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
}

size_t
gw_client_pool_idle(const struct gw_client_pool *p)
{
	return p->nidle;
}

struct gw_client_xchg *
gw_client_start(struct gw_client_pool *p, const struct gw_client_request *r,
    const struct gw_client_cbs *cbs, void *arg, struct gw_err *err)
{
	if (p->t->tls)
		return curl_start(p, r, cbs, arg, err);
	return h1_start(p, r, cbs, arg, err);
}

void
gw_client_resume_recv(struct gw_client_xchg *x)
{
	if (x->backend == BACKEND_H1)
		h1_resume_recv(x);
	else
		curl_resume_recv(x);
}

void
gw_client_resume_send(struct gw_client_xchg *x)
{
	if (x->backend == BACKEND_H1)
		h1_resume_send(x);
	else
		curl_resume_send(x);
}

void
gw_client_cancel(struct gw_client_xchg *x)
{
	if (x->backend == BACKEND_H1)
		h1_cancel(x);
	else
		curl_cancel(x);
}

int
gw_client_body_sent(const struct gw_client_xchg *x)
{
	return x->body_sent;
}

int
gw_client_target_parse(const char *url, struct gw_client_target *t,
    struct gw_err *err)
{
	struct addrinfo	 hints, *res = NULL;
	const char	*hp, *colon, *hostend;
	char		 host[256], port[8];
	int		 rc;

	memset(t, 0, sizeof(*t));
	t->url = url;
	t->tls_verify = 1;
	if (strncmp(url, "http://", 7) == 0)
		hp = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		hp = url + 8;
		t->tls = 1;
	} else
		return gw_err_set(err, GW_E_CONFIG,
		    "'%s' must start with http:// or https://", url);
	t->hostport = gw_str_cstr(hp);
	if (hp[0] == '[') {
		if ((hostend = strchr(hp, ']')) == NULL)
			return gw_err_set(err, GW_E_CONFIG,
			    "bad IPv6 address in '%s'", url);
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(hostend - hp - 1), hp + 1);
		colon = hostend[1] == ':' ? hostend + 1 : NULL;
	} else {
		colon = strrchr(hp, ':');
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(colon != NULL ? colon - hp : (long)strlen(hp)), hp);
	}
	if (host[0] == '\0')
		return gw_err_set(err, GW_E_CONFIG, "no host in '%s'", url);
	if (colon != NULL) {
		if (colon[1] == '\0' || strlen(colon + 1) >= sizeof(port) ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    strtoul(colon + 1, NULL, 10) == 0 ||
		    strtoul(colon + 1, NULL, 10) > 65535)
			return gw_err_set(err, GW_E_CONFIG,
			    "bad port in '%s'", url);
		(void)snprintf(port, sizeof(port), "%s", colon + 1);
	} else
		(void)snprintf(port, sizeof(port), "%s", t->tls ? "443" : "80");
	if (t->tls)
		return 0;	/* libcurl resolves and connects */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		hints.ai_flags = AI_NUMERICSERV;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
			return gw_err_set(err, GW_E_CONFIG,
			    "cannot resolve '%s': %s", host, gai_strerror(rc));
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

const char *
gw_client_status_str(enum gw_client_status st)
{
	switch (st) {
	case GW_CLIENT_OK:
		return "ok";
	case GW_CLIENT_CONNECT_FAILED:
		return "connection failed";
	case GW_CLIENT_CONNECT_TIMEOUT:
		return "connection timed out";
	case GW_CLIENT_RESET:
		return "connection closed before a response";
	case GW_CLIENT_BAD_RESPONSE:
		return "malformed response";
	case GW_CLIENT_TRUNCATED:
		return "response truncated";
	case GW_CLIENT_ABORTED:
		return "aborted";
	case GW_CLIENT_ERROR:
		return "error";
	}
	return "error";
}
