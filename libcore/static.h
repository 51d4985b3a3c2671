/*
 * static.h: the static handler, which answers with a fixed status, fields
 * and body from the configuration (a stand-in backend for demos and tests).
 */
#ifndef GW_STATIC_H
#define GW_STATIC_H

#include "cfg.h"
#include "server.h"

/* Answer req from conf; the handler is done when this returns. */
void	gw_static_handle(struct gw_req *req, const struct gw_cfg_static *conf);

#endif /* GW_STATIC_H */
