/*
 * client-int.h: what the client module's files share (not for tools).
 */
#ifndef GW_CLIENT_INT_H
#define GW_CLIENT_INT_H

#include "client.h"
#include "loop.h"

struct h1conn;
struct h1x;
struct curl_state;

enum backend {
	BACKEND_H1,
	BACKEND_CURL
};

struct gw_client {
	struct gw_loop		*loop;
	struct curl_state	*curl;		/* set up on first use */
	struct gw_client_pool	*pools;
	struct h1x		*h1free;	/* spare exchanges */
	size_t			 nh1free;
};

struct gw_client_pool {
	struct gw_client		*client;
	const struct gw_client_target	*t;
	struct gw_client_pool		*next;
	struct h1conn			*idle;		/* most recent first */
	size_t				 nidle;
	struct h1conn			*busy;
};

/* The common part of an exchange; each backend extends it. */
struct gw_client_xchg {
	enum backend			 backend;
	struct gw_client_pool		*pool;
	const struct gw_client_cbs	*cbs;
	void				*arg;
	int				 body_sent;
	int				 cancelled;
};

/* client-h1.c */
struct gw_client_xchg *h1_start(struct gw_client_pool *p,
	    const struct gw_client_request *r, const struct gw_client_cbs *cbs,
	    void *arg, struct gw_err *err);
void	h1_resume_recv(struct gw_client_xchg *x);
void	h1_resume_send(struct gw_client_xchg *x);
void	h1_cancel(struct gw_client_xchg *x);
void	h1_pool_close(struct gw_client_pool *p);
void	h1_free_spares(struct gw_client *c);

/* client-curl.c */
struct gw_client_xchg *curl_start(struct gw_client_pool *p,
	    const struct gw_client_request *r, const struct gw_client_cbs *cbs,
	    void *arg, struct gw_err *err);
void	curl_resume_recv(struct gw_client_xchg *x);
void	curl_resume_send(struct gw_client_xchg *x);
void	curl_cancel(struct gw_client_xchg *x);
void	curl_state_free(struct curl_state *cs);

#endif /* GW_CLIENT_INT_H */
