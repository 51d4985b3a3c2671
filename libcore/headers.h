/*
 * headers.h: the "headers" policy, which sets and removes fields of the
 * request on its way to the handler and of the response on its way back.
 *
 *	{ "headers": { "request": { "set": { "X-Env": "prod" },
 *	                            "remove": ["Cookie"] },
 *	               "response": { "remove": ["Server"] } } }
 */
#ifndef GW_HEADERS_H
#define GW_HEADERS_H

#include "policy.h"

extern const struct gw_policy_type gw_policy_headers;

#endif /* GW_HEADERS_H */
