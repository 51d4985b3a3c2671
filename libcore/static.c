/*
 * static.c: fixed answers.
 */
#include "cfg.h"
#include "server.h"
#include "static.h"

void
gw_static_handle(struct gw_req *req, const struct gw_cfg_static *conf)
{
	gw_resp_send(req, conf->status, conf->headers, conf->nheaders,
	    conf->body, conf->body_len);
}
