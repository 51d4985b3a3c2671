/*
 * authn.h: authentication policies, and the files they read.
 *
 *	{ "api_key": { "keys": "keys.txt", "header": "X-API-Key" } }
 *	{ "basic": { "htpasswd": "users.htpasswd", "realm": "shop" } }
 *	{ "jwt": { "jwks_url": "https://idp.example/jwks.json",
 *	           "issuer": "https://idp.example", "audience": "shop" } }
 *	{ "introspect": { "url": "https://idp.example/introspect",
 *	                  "client_id": "gw", "client_secret_file": "gw.secret" } }
 *
 * Each checks one kind of credential and answers 401 (problem+json, with
 * WWW-Authenticate) when it is missing or bad.  What it learns goes into
 * request variables for later steps (authz.h, ratelimit.h): "consumer",
 * "groups" (comma-separated), "scope" (space-separated), "claim.NAME" for
 * each claim kept, "auth.claims" (the claims as JSON text) and
 * "auth.method".  The consumer goes upstream in X-Consumer (or the field
 * configured), which a client can never set itself; the credential does
 * not go upstream unless "forward" is true.  gw-policies(5) has the rest.
 */
#ifndef GW_AUTHN_H
#define GW_AUTHN_H

#include <stddef.h>

#include "err.h"
#include "gw.h"
#include "http.h"
#include "policy.h"

struct gw_req;

extern const struct gw_policy_type gw_policy_api_key;
extern const struct gw_policy_type gw_policy_basic;
extern const struct gw_policy_type gw_policy_jwt;
extern const struct gw_policy_type gw_policy_introspect;

/* Longest consumer or group name, and group list, in bytes. */
#define GW_AUTHN_MAX_NAME	128
#define GW_AUTHN_MAX_GROUPS	1024
/* Largest key or htpasswd file, bytes. */
#define GW_AUTHN_MAX_FILE	(16 * 1024 * 1024)

/*
 * 1 if s[0..len) is a valid consumer or group name: 1 to
 * GW_AUTHN_MAX_NAME of A-Z a-z 0-9 and "._@-+".
 */
int	gw_authn_valid_name(const char *s, size_t len);
/* 1 if s is a comma-separated list of valid names (or empty). */
int	gw_authn_valid_groups(const char *s, size_t len);

/*
 * Key files (gw-keys(5)): one key a line, "sha256:HEX consumer
 * [group,group]", '#' comments.  Only hashes are stored: a key is looked up
 * by its SHA-256 and compared in constant time.
 */
struct gw_keyfile;

/*
 * Parse buf[0..len); origin names it in messages ("keys.txt:3: ...").
 * Caller frees with gw_keyfile_free().  -1 with GW_E_PROTO on the first bad
 * line, or GW_E_LIMIT.
 */
int	gw_keyfile_parse(const char *buf, size_t len, const char *origin,
	    struct gw_keyfile **out, struct gw_err *err);
void	gw_keyfile_free(struct gw_keyfile *kf);
size_t	gw_keyfile_len(const struct gw_keyfile *kf);
/*
 * 1 if key is in the file, with its consumer and groups ("" if none) in
 * *consumer and *groups (borrowed from kf); 0 if not.
 */
int	gw_keyfile_lookup(const struct gw_keyfile *kf, struct gw_str key,
	    const char **consumer, const char **groups);
/*
 * The line that stores key for consumer and groups (NULL: none), with its
 * newline, into out (at least GW_KEYFILE_LINE_MAX bytes).  -1 if a name is
 * not valid.
 */
#define GW_KEYFILE_LINE_MAX	(80 + GW_AUTHN_MAX_NAME + GW_AUTHN_MAX_GROUPS)
int	gw_keyfile_line(struct gw_str key, const char *consumer,
	    const char *groups, char *out, size_t outsize);

/*
 * htpasswd files: "user:hash[:groups]" a line, '#' comments.  Hashes are
 * crypt(3) strings of the methods libcrypt takes (bcrypt "$2b$" and "$2y$",
 * yescrypt "$y$", SHA-512 "$6$", SHA-256 "$5$", MD5 "$1$"); other methods,
 * and plain text, are refused when the file is read.
 */
struct gw_htpasswd;

int	gw_htpasswd_parse(const char *buf, size_t len, const char *origin,
	    struct gw_htpasswd **out, struct gw_err *err);
void	gw_htpasswd_free(struct gw_htpasswd *h);
size_t	gw_htpasswd_len(const struct gw_htpasswd *h);
/*
 * 1 if user has that password, with its groups in *groups (borrowed); 0
 * if not (an unknown user costs as much as a known one).
 */
int	gw_htpasswd_check(const struct gw_htpasswd *h, struct gw_str user,
	    struct gw_str password, const char **groups);

/*
 * An RFC 9457 problem+json answer as gw_resp_problem() writes it, with
 * extra fields (WWW-Authenticate, Retry-After...), for the security
 * policies.  The policy is done with req.
 */
void	gw_authn_problem(struct gw_req *req, int status, const char *slug,
	    const char *detail, const struct gw_http_header *extra,
	    size_t nextra);

#endif /* GW_AUTHN_H */
