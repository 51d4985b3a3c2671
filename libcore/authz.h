/*
 * authz.h: authorization policies.
 *
 *	{ "authorize": { "scopes": ["orders:read"], "groups": ["staff"],
 *	                 "claims": { "tier": ["gold", "silver"] } } }
 *	{ "ip": { "allow": ["10.0.0.0/8", "2001:db8::/32"],
 *	          "deny": ["10.6.6.0/24"], "trusted_proxies": ["10.0.0.1"] } }
 *
 * "authorize" reads what an authentication step recorded (authn.h) and
 * answers 403 unless every condition given holds.  "ip" matches the client
 * address, taken from X-Forwarded-For only when the connection comes from a
 * trusted proxy, against CIDR lists (IPv4 and IPv6); the address it settles
 * on is the request variable "client_ip", which rate limits key on.
 */
#ifndef GW_AUTHZ_H
#define GW_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw.h"
#include "policy.h"

extern const struct gw_policy_type gw_policy_authorize;
extern const struct gw_policy_type gw_policy_ip;

/* An address: IPv4 as IPv4-mapped IPv6, so one comparison fits both. */
struct gw_ipaddr {
	uint8_t	b[16];
};

/*
 * Parse an IPv4 or IPv6 address (no brackets, no port; "::ffff:a.b.c.d"
 * is the IPv4 address).  -1 if s is not one.
 */
int	gw_ipaddr_parse(struct gw_str s, struct gw_ipaddr *out);

struct gw_cidrs;

/*
 * A list of networks, "10.0.0.0/8", "2001:db8::/32", or addresses (a /32 or
 * /128), from text separated by commas, spaces or newlines ('#' starts a
 * comment to the end of its line).  Bits past the prefix must be zero.
 * Caller frees.  -1 with GW_E_PROTO naming the bad entry.
 */
int	gw_cidrs_parse(const char *text, size_t len, struct gw_cidrs **out,
	    struct gw_err *err);
void	gw_cidrs_free(struct gw_cidrs *c);
size_t	gw_cidrs_len(const struct gw_cidrs *c);
/* 1 if a is in one of the networks. */
int	gw_cidrs_match(const struct gw_cidrs *c, const struct gw_ipaddr *a);

/*
 * The client address of a request: the peer, or when the peer is in
 * trusted, the rightmost X-Forwarded-For entry that is not a trusted
 * proxy.  -1 if it is not an IP address (a Unix socket, a bad entry).
 */
struct gw_req;
int	gw_authz_client(struct gw_req *req, const struct gw_cidrs *trusted,
	    struct gw_ipaddr *out);

#endif /* GW_AUTHZ_H */
