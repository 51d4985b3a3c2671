/*
 * authn.c: API keys, HTTP Basic, JWT bearer tokens and OAuth 2.0 token
 * introspection, as route policies.
 *
 * Files (key files, htpasswd, PEM keys, a JWKS) are read when the
 * configuration loads, in the master, so a bad one stops the load.  What
 * runs on a worker's loop (the client for a JWKS URL or an introspection
 * endpoint, the JWKS it fetched, its refresh timer) is made by the
 * policy's worker_start for that server and freed by its worker_stop
 * (policy.h); the caches of tokens are made by a worker's first request
 * (each worker is a process of its own, with its own copy of the state).
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "authn.h"
#include "buf.h"
#include "client.h"
#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "server.h"
#include "str.h"

#define MAX_KEYS_IN_FILE	1000000
#define MAX_CLAIM_VARS		64
#define MAX_CLAIM_BYTES		1024
#define FETCH_MAX_BYTES		(1024 * 1024)
#define BASIC_CACHE		1024
#define BASIC_CACHE_US		(300 * 1000000ULL)
#define MAX_BCRYPT_COST		14
#define MAX_SHA_ROUNDS		1000000

/* Names, problems, small helpers. */

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
	    c == '-' || c == '+';
}

int
gw_authn_valid_name(const char *s, size_t len)
{
	if (len == 0 || len > GW_AUTHN_MAX_NAME)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int
gw_authn_valid_groups(const char *s, size_t len)
{
	size_t start = 0;

	if (len > GW_AUTHN_MAX_GROUPS)
		return 0;
	if (len == 0)
		return 1;
	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == ',') {
			if (!gw_authn_valid_name(s + start, i - start))
				return 0;
			start = i + 1;
		}
	return 1;
}

void
gw_authn_problem(struct gw_req *req, int status, const char *slug,
    const char *detail, const struct gw_http_header *extra, size_t nextra)
{
	struct gw_buf		b;
	struct gw_http_header	h[8];
	size_t			nh = 0;

	gw_buf_init(&b, 8192);
	(void)gw_http_problem_json(&b, status, slug, detail, gw_req_id(req),
	    NULL);
	h[nh].name = GW_STR("Content-Type");
	h[nh++].value = GW_STR("application/problem+json");
	for (size_t i = 0; i < nextra && nh < GW_ARRAY_LEN(h); i++)
		h[nh++] = extra[i];
	gw_resp_send(req, status, h, nh, b.p, b.len);
	gw_buf_release(&b);
}

/* A configuration error at member key of obj. */
static void
report(struct gw_jcheck *ck, const struct json_object *obj, const char *key,
    const char *fmt, ...) __attribute__((__format__(printf, 4, 5)));

static void
report(struct gw_jcheck *ck, const struct json_object *obj, const char *key,
    const char *fmt, ...)
{
	struct json_object	*v = NULL;
	char			 msg[600];
	va_list			 ap;
	size_t			 old;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)gw_jv_get(obj, key, &v);
	old = gw_jcheck_push_key(ck, key);
	gw_jcheck_error(ck, obj, key, v, "%s", msg);
	gw_jcheck_pop(ck, old);
}

/* A secret must not be readable by others: -1 (reported) if it is. */
static int
check_private(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return 0;	/* it was read: a race we cannot help */
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		report(ck, obj, key, "'%s' holds a secret and must not be "
		    "readable by group or others (chmod 600)", path);
		return -1;
	}
	return 0;
}

/* Key files. */

struct kf_entry {
	unsigned char	 hash[GW_SHA256_LEN];
	char		*consumer;
	char		*groups;
};

struct gw_keyfile {
	struct kf_entry	*e;
	size_t		 n;
	size_t		*slots;		/* index + 1, 0 empty */
	size_t		 nslots;	/* a power of two */
};

void
gw_keyfile_free(struct gw_keyfile *kf)
{
	if (kf == NULL)
		return;
	for (size_t i = 0; i < kf->n; i++) {
		free(kf->e[i].consumer);
		free(kf->e[i].groups);
	}
	free(kf->e);
	free(kf->slots);
	free(kf);
}

size_t
gw_keyfile_len(const struct gw_keyfile *kf)
{
	return kf->n;
}

static size_t
hash_slot(const unsigned char *h, size_t nslots)
{
	uint64_t v;

	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (nslots - 1));
}

/* Split a line into up to max words at spaces and tabs. */
static size_t
split_words(struct gw_str line, struct gw_str *w, size_t max)
{
	size_t n = 0, i = 0;

	while (i < line.len) {
		size_t s;

		while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t'))
			i++;
		if (i == line.len)
			break;
		s = i;
		while (i < line.len && line.p[i] != ' ' && line.p[i] != '\t')
			i++;
		if (n == max)
			return max + 1;
		w[n++] = gw_str_make(line.p + s, i - s);
	}
	return n;
}

/*
 * Call fn for each line of buf that is not empty or a comment, with its
 * number; stops at the first -1.
 */
typedef int line_fn(void *arg, struct gw_str line, size_t lineno,
    struct gw_err *err);

static int
each_line(const char *buf, size_t len, line_fn *fn, void *arg,
    struct gw_err *err)
{
	size_t i = 0, lineno = 0;

	while (i < len) {
		const char	*nl = memchr(buf + i, '\n', len - i);
		size_t		 end = nl != NULL ? (size_t)(nl - buf) : len;
		struct gw_str	 line = gw_str_make(buf + i, end - i);

		lineno++;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		for (size_t k = 0; k < line.len; k++)
			if ((unsigned char)line.p[k] < 0x20 &&
			    line.p[k] != '\t')
				return gw_err_set(err, GW_E_PROTO, "line %zu: "
				    "control character", lineno);
		line = gw_str_trim(line);
		if (line.len > 0 && line.p[0] != '#' &&
		    fn(arg, line, lineno, err) == -1)
			return -1;
		i = end + 1;
	}
	return 0;
}

static int
kf_line(void *arg, struct gw_str line, size_t lineno, struct gw_err *err)
{
	struct gw_keyfile	*kf = arg;
	struct gw_str		 w[4];
	struct kf_entry		*e;
	size_t			 n = split_words(line, w, 3);

	if (n < 2 || n > 3)
		return gw_err_set(err, GW_E_PROTO, "line %zu: expected "
		    "\"sha256:HEX consumer [groups]\"", lineno);
	if (kf->n >= MAX_KEYS_IN_FILE)
		return gw_err_set(err, GW_E_LIMIT, "more than %d keys",
		    MAX_KEYS_IN_FILE);
	e = &kf->e[kf->n];
	if (w[0].len != 7 + 2 * GW_SHA256_LEN ||
	    memcmp(w[0].p, "sha256:", 7) != 0 ||
	    gw_unhex(gw_str_make(w[0].p + 7, w[0].len - 7), e->hash,
	    GW_SHA256_LEN) == -1)
		return gw_err_set(err, GW_E_PROTO, "line %zu: a key is stored "
		    "as \"sha256:\" and 64 hex digits", lineno);
	if (!gw_authn_valid_name(w[1].p, w[1].len))
		return gw_err_set(err, GW_E_PROTO, "line %zu: bad consumer "
		    "name", lineno);
	if (n == 3 && !gw_authn_valid_groups(w[2].p, w[2].len))
		return gw_err_set(err, GW_E_PROTO, "line %zu: bad group list",
		    lineno);
	if ((e->consumer = gw_str_dup(w[1])) == NULL ||
	    (e->groups = gw_str_dup(n == 3 ? w[2] : GW_STR(""))) == NULL) {
		free(e->consumer);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	kf->n++;
	return 0;
}

int
gw_keyfile_parse(const char *buf, size_t len, const char *origin,
    struct gw_keyfile **out, struct gw_err *err)
{
	struct gw_keyfile	*kf;
	size_t			 lines = 1;

	*out = NULL;
	if (len > GW_AUTHN_MAX_FILE)
		return gw_err_set(err, GW_E_LIMIT, "%s: larger than %d bytes",
		    origin, GW_AUTHN_MAX_FILE);
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	lines = GW_MIN(lines, (size_t)MAX_KEYS_IN_FILE);
	if ((kf = calloc(1, sizeof(*kf))) == NULL ||
	    (kf->e = calloc(lines, sizeof(*kf->e))) == NULL) {
		free(kf);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	if (each_line(buf, len, kf_line, kf, err) == -1) {
		gw_keyfile_free(kf);
		return gw_err_prefix(err, "%s", origin);
	}
	for (kf->nslots = 16; kf->nslots < kf->n * 2; kf->nslots *= 2)
		;
	if ((kf->slots = calloc(kf->nslots, sizeof(*kf->slots))) == NULL) {
		gw_keyfile_free(kf);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < kf->n; i++) {
		size_t s = hash_slot(kf->e[i].hash, kf->nslots);

		while (kf->slots[s] != 0) {
			if (memcmp(kf->e[kf->slots[s] - 1].hash, kf->e[i].hash,
			    GW_SHA256_LEN) == 0) {
				gw_err_set(err, GW_E_PROTO, "%s: the key of "
				    "'%s' is there twice", origin,
				    kf->e[i].consumer);
				gw_keyfile_free(kf);
				return -1;
			}
			s = (s + 1) & (kf->nslots - 1);
		}
		kf->slots[s] = i + 1;
	}
	*out = kf;
	return 0;
}

int
gw_keyfile_lookup(const struct gw_keyfile *kf, struct gw_str key,
    const char **consumer, const char **groups)
{
	unsigned char	h[GW_SHA256_LEN];
	size_t		s;

	gw_sha256(key.p, key.len, h);
	for (s = hash_slot(h, kf->nslots); kf->slots[s] != 0;
	    s = (s + 1) & (kf->nslots - 1)) {
		const struct kf_entry *e = &kf->e[kf->slots[s] - 1];

		if (gw_ct_eq(e->hash, h, GW_SHA256_LEN)) {
			*consumer = e->consumer;
			*groups = e->groups;
			return 1;
		}
	}
	return 0;
}

int
gw_keyfile_line(struct gw_str key, const char *consumer, const char *groups,
    char *out, size_t outsize)
{
	unsigned char	h[GW_SHA256_LEN];
	char		hex[2 * GW_SHA256_LEN + 1];
	int		n;

	if (!gw_authn_valid_name(consumer, strlen(consumer)) ||
	    (groups != NULL && !gw_authn_valid_groups(groups, strlen(groups))))
		return -1;
	gw_sha256(key.p, key.len, h);
	gw_hex(h, sizeof(h), hex);
	n = snprintf(out, outsize, "sha256:%s %s%s%s\n", hex, consumer,
	    groups != NULL && *groups != '\0' ? " " : "",
	    groups != NULL ? groups : "");
	return n < 0 || (size_t)n >= outsize ? -1 : 0;
}

/* htpasswd files. */

struct ht_entry {
	char	*user;
	char	*hash;
	char	*groups;
};

struct gw_htpasswd {
	struct ht_entry	*e;
	size_t		 n;
};

void
gw_htpasswd_free(struct gw_htpasswd *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->e[i].user);
		free(h->e[i].hash);
		free(h->e[i].groups);
	}
	free(h->e);
	free(h);
}

size_t
gw_htpasswd_len(const struct gw_htpasswd *h)
{
	return h->n;
}

/*
 * A hash whose cost would stall the loop for seconds on each check (and
 * make a login a denial of service): bcrypt "$2b$NN$" with NN above
 * MAX_BCRYPT_COST, SHA crypt "$5$rounds=N$" or "$6$rounds=N$" above
 * MAX_SHA_ROUNDS.
 */
static int
too_costly(const char *h)
{
	uint64_t n;

	if (h[0] == '$' && h[1] == '2' && h[2] != '\0' && h[3] == '$') {
		if (!(h[4] >= '0' && h[4] <= '9' && h[5] >= '0' &&
		    h[5] <= '9'))
			return 0;	/* crypt_checksalt() judged it */
		return (h[4] - '0') * 10 + (h[5] - '0') > MAX_BCRYPT_COST;
	}
	if ((strncmp(h, "$5$rounds=", 10) == 0 ||
	    strncmp(h, "$6$rounds=", 10) == 0)) {
		size_t l = strcspn(h + 10, "$");

		return gw_str_to_u64(gw_str_make(h + 10, l), UINT64_MAX,
		    &n) == -1 || n > MAX_SHA_ROUNDS;
	}
	return 0;
}

static int
ht_line(void *arg, struct gw_str line, size_t lineno, struct gw_err *err)
{
	struct gw_htpasswd	*h = arg;
	const char		*c1, *c2;
	struct gw_str		 user, hash, groups = GW_STR("");
	struct ht_entry		*e = &h->e[h->n];
	char			 hb[256];
	int			 cs;

	if ((c1 = memchr(line.p, ':', line.len)) == NULL)
		return gw_err_set(err, GW_E_PROTO, "line %zu: expected "
		    "\"user:hash\"", lineno);
	user = gw_str_make(line.p, (size_t)(c1 - line.p));
	hash = gw_str_make(c1 + 1, line.len - user.len - 1);
	if ((c2 = memchr(hash.p, ':', hash.len)) != NULL) {
		groups = gw_str_make(c2 + 1, hash.len -
		    (size_t)(c2 - hash.p) - 1);
		hash.len = (size_t)(c2 - hash.p);
	}
	if (!gw_authn_valid_name(user.p, user.len))
		return gw_err_set(err, GW_E_PROTO, "line %zu: bad user name",
		    lineno);
	if (!gw_authn_valid_groups(groups.p, groups.len))
		return gw_err_set(err, GW_E_PROTO, "line %zu: bad group list",
		    lineno);
	for (size_t i = 0; i < h->n; i++)
		if (strlen(h->e[i].user) == user.len &&
		    memcmp(h->e[i].user, user.p, user.len) == 0)
			return gw_err_set(err, GW_E_PROTO, "line %zu: user "
			    "'%.*s' is there twice", lineno, (int)user.len,
			    user.p);
	if (gw_str_copy(hb, sizeof(hb), hash) == -1 || hash.len < 4 ||
	    hb[0] != '$')
		cs = CRYPT_SALT_INVALID;
	else
		cs = crypt_checksalt(hb);
	if (cs != CRYPT_SALT_OK && cs != CRYPT_SALT_METHOD_LEGACY &&
	    cs != CRYPT_SALT_TOO_CHEAP)
		return gw_err_set(err, GW_E_UNSUPPORTED, "line %zu: user "
		    "'%.*s': not a hash of a method this system's crypt(3) "
		    "takes (use bcrypt, yescrypt or SHA-512 crypt)", lineno,
		    (int)user.len, user.p);
	if (too_costly(hb))
		return gw_err_set(err, GW_E_LIMIT, "line %zu: user '%.*s': "
		    "the hash costs too much to check on every login (bcrypt "
		    "cost at most %d, SHA crypt rounds at most %d)", lineno,
		    (int)user.len, user.p, MAX_BCRYPT_COST, MAX_SHA_ROUNDS);
	if ((e->user = gw_str_dup(user)) == NULL ||
	    (e->hash = gw_str_dup(hash)) == NULL ||
	    (e->groups = gw_str_dup(groups)) == NULL) {
		free(e->user);
		free(e->hash);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	h->n++;
	return 0;
}

int
gw_htpasswd_parse(const char *buf, size_t len, const char *origin,
    struct gw_htpasswd **out, struct gw_err *err)
{
	struct gw_htpasswd	*h;
	size_t			 lines = 1;

	*out = NULL;
	if (len > GW_AUTHN_MAX_FILE)
		return gw_err_set(err, GW_E_LIMIT, "%s: larger than %d bytes",
		    origin, GW_AUTHN_MAX_FILE);
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (lines > 100000)
		return gw_err_set(err, GW_E_LIMIT, "%s: more than 100000 "
		    "lines", origin);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->e = calloc(lines, sizeof(*h->e))) == NULL) {
		free(h);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	if (each_line(buf, len, ht_line, h, err) == -1) {
		gw_htpasswd_free(h);
		return gw_err_prefix(err, "%s", origin);
	}
	*out = h;
	return 0;
}

/* crypt_rn() into data; 1 if password gives hash. */
static int
crypt_matches(const char *hash, struct gw_str password)
{
	static struct crypt_data	*data;
	char				 pw[1024];
	const char			*r;
	size_t				 hl = strlen(hash);
	int				 ok;

	if (data == NULL && (data = calloc(1, sizeof(*data))) == NULL)
		return 0;
	if (gw_str_copy(pw, sizeof(pw), password) == -1 ||
	    memchr(password.p, '\0', password.len) != NULL)
		return 0;
	r = crypt_rn(pw, hash, data, (int)sizeof(*data));
	ok = r != NULL && r[0] != '*' && strlen(r) == hl &&
	    gw_ct_eq(r, hash, hl);
	explicit_bzero(pw, sizeof(pw));
	return ok;
}

int
gw_htpasswd_check(const struct gw_htpasswd *h, struct gw_str user,
    struct gw_str password, const char **groups)
{
	for (size_t i = 0; i < h->n; i++)
		if (strlen(h->e[i].user) == user.len &&
		    memcmp(h->e[i].user, user.p, user.len) == 0) {
			if (!crypt_matches(h->e[i].hash, password))
				return 0;
			*groups = h->e[i].groups;
			return 1;
		}
	/* as long as a known user takes, so that names do not leak */
	if (h->n > 0)
		(void)crypt_matches(h->e[0].hash, password);
	return 0;
}

/* What every authentication policy shares. */

struct hdrmap {
	char	*field;
	char	*claim;
};

struct common {
	const char	*method;	/* "api_key", "jwt", ... */
	int		 forward;	/* pass the credential upstream */
	char		*consumer_header; /* NULL: none */
	char		*realm;
	char		**claims;	/* kept as variables; NULL: all */
	size_t		 nclaims;
	char		*consumer_claim;
	char		*groups_claim;
	struct hdrmap	*claim_headers;
	size_t		 nclaim_headers;
};

static void
common_release(struct common *c)
{
	free(c->consumer_header);
	free(c->realm);
	gw_jcheck_strs_free(c->claims);
	free(c->consumer_claim);
	free(c->groups_claim);
	for (size_t i = 0; i < c->nclaim_headers; i++) {
		free(c->claim_headers[i].field);
		free(c->claim_headers[i].claim);
	}
	free(c->claim_headers);
}

static int
is_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!gw_http_is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

static int
quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The options of struct common present in v; with_claims for tokens. */
static int
common_parse(struct gw_jcheck *ck, const struct json_object *v,
    const char *method, int with_claims, struct common *c)
{
	struct json_object	*h;
	int			 rc = 0, r;

	c->method = method;
	if (gw_jcheck_bool(ck, v, "forward", &c->forward) == -1)
		rc = -1;
	if (gw_jv_get(v, "consumer_header", &h) && h == NULL)
		c->consumer_header = NULL;	/* null: none */
	else if ((r = gw_jcheck_str(ck, v, "consumer_header",
	    &c->consumer_header)) == -1)
		rc = -1;
	else if (r == 0 && (c->consumer_header = strdup("X-Consumer")) == NULL)
		rc = -1;
	else if (!is_token(c->consumer_header)) {
		report(ck, v, "consumer_header", "not a field name");
		rc = -1;
	}
	if ((r = gw_jcheck_str(ck, v, "realm", &c->realm)) == -1)
		rc = -1;
	else if (r == 0 && (c->realm = strdup("gw")) == NULL)
		rc = -1;
	else if (!quotable(c->realm)) {
		report(ck, v, "realm", "quotes, backslashes and control "
		    "characters cannot be in a realm");
		rc = -1;
	}
	if (!with_claims)
		return rc;
	if (gw_jcheck_strs(ck, v, "claims", &c->claims, &c->nclaims) == -1)
		rc = -1;
	if ((r = gw_jcheck_str(ck, v, "consumer_claim",
	    &c->consumer_claim)) == -1)
		rc = -1;
	else if (r == 0 && (c->consumer_claim = strdup("sub")) == NULL)
		rc = -1;
	if ((r = gw_jcheck_str(ck, v, "groups_claim", &c->groups_claim)) == -1)
		rc = -1;
	else if (r == 0 && (c->groups_claim = strdup("groups")) == NULL)
		rc = -1;
	if (gw_jv_get(v, "claim_headers", &h)) {
		struct gw_jv_iter	 it;
		const char		*name;
		struct json_object	*val;
		size_t			 old = gw_jcheck_push_key(ck,
		    "claim_headers");

		if (gw_jv_type(h) != GW_JT_OBJECT) {
			gw_jcheck_error(ck, v, "claim_headers", h, "expected "
			    "an object of field names and claim names");
			rc = -1;
		} else if ((c->claim_headers = calloc(gw_jv_len(h) + 1,
		    sizeof(*c->claim_headers))) == NULL)
			rc = -1;
		else {
			gw_jv_iter_init(&it, h);
			while (gw_jv_iter_next(&it, &name, &val)) {
				struct hdrmap *m =
				    &c->claim_headers[c->nclaim_headers];

				if (!is_token(name) ||
				    gw_jv_type(val) != GW_JT_STRING) {
					gw_jcheck_error(ck, h, name, val,
					    "expected a field name and a "
					    "claim name");
					rc = -1;
					continue;
				}
				m->field = strdup(name);
				m->claim = strdup(gw_jv_str(val, NULL));
				c->nclaim_headers++;
				if (m->field == NULL || m->claim == NULL)
					rc = -1;
			}
		}
		gw_jcheck_pop(ck, old);
	}
	return rc;
}

static void
log_refusal(struct gw_req *req, const struct common *c, const char *why,
    const char *msg)
{
	gw_log_info("%s: request %s refused (%s): %s", c->method,
	    gw_req_id(req), why, msg);
}

/*
 * Answer 401 with a challenge for scheme; error is RFC 6750's code when a
 * token was presented (NULL when none was).
 */
static enum gw_policy_rc
refuse(struct gw_req *req, const struct common *c, const char *scheme,
    const char *error, const char *detail)
{
	struct gw_http_header	 h;
	char			*ch;

	if (error != NULL)
		ch = gw_arena_printf(gw_req_arena(req), "%s realm=\"%s\", "
		    "error=\"%s\"", scheme, c->realm, error);
	else if (strcmp(scheme, "Basic") == 0)
		ch = gw_arena_printf(gw_req_arena(req), "Basic realm=\"%s\", "
		    "charset=\"UTF-8\"", c->realm);
	else
		ch = gw_arena_printf(gw_req_arena(req), "%s realm=\"%s\"",
		    scheme, c->realm);
	h.name = GW_STR("WWW-Authenticate");
	h.value = gw_str_cstr(ch != NULL ? ch : scheme);
	gw_req_count(req, c->method, "refused");
	gw_authn_problem(req, 401, "unauthorized", detail, &h, 1);
	return GW_POLICY_DONE;
}

static enum gw_policy_rc
internal_error(struct gw_req *req)
{
	gw_resp_problem(req, 500, "internal", "cannot record the identity");
	return GW_POLICY_DONE;
}

/* Remove what a client may have said about who it is. */
static void
strip_identity_fields(struct gw_req *req, const struct common *c)
{
	if (c->consumer_header != NULL)
		gw_req_header_del(req, c->consumer_header);
	for (size_t i = 0; i < c->nclaim_headers; i++)
		gw_req_header_del(req, c->claim_headers[i].field);
}

/* A claim's value as a variable: strings as they are, arrays joined. */
static int
claim_text(struct gw_arena *a, const struct json_object *v, struct gw_str *out)
{
	struct gw_buf	b;
	const char	*s;
	size_t		len;
	char		*p;
	int		rc = -1;

	if ((s = gw_jv_str(v, &len)) != NULL) {
		*out = gw_str_make(s, len);
		return memchr(s, '\0', len) == NULL && len <= MAX_CLAIM_BYTES ?
		    0 : -1;
	}
	gw_buf_init(&b, MAX_CLAIM_BYTES);
	if (gw_jv_type(v) == GW_JT_ARRAY) {
		for (size_t i = 0; i < gw_jv_len(v); i++) {
			struct json_object *e = gw_jv_at(v, i);

			if ((s = gw_jv_str(e, &len)) == NULL ||
			    memchr(s, ',', len) != NULL ||
			    memchr(s, '\0', len) != NULL)
				goto out;
			if ((i > 0 && gw_buf_putc(&b, ',', NULL) == -1) ||
			    gw_buf_append(&b, s, len, NULL) == -1)
				goto out;
		}
	} else if (gw_jv_serialize(v, &b, NULL) == -1)
		goto out;
	if ((p = gw_arena_strndup(a, b.p == NULL ? "" : b.p, b.len)) == NULL)
		goto out;
	*out = gw_str_make(p, b.len);
	rc = 0;
 out:
	gw_buf_release(&b);
	return rc;
}

static int
header_value_ok(struct gw_str v)
{
	for (size_t i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f)
			return 0;
	return 1;
}

static int
wanted_claim(const struct common *c, const char *name)
{
	if (c->claims == NULL)
		return 1;
	for (size_t i = 0; i < c->nclaims; i++)
		if (strcmp(c->claims[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Record who the client is: variables for later steps, fields for the
 * upstream.  claims (NULL for keys and Basic) and its JSON text come from a
 * token.  -1 on out of memory.
 */
static int
set_identity(struct gw_req *req, const struct common *c,
    struct gw_str consumer, struct gw_str groups,
    const struct json_object *claims, struct gw_str claims_json)
{
	struct gw_arena	*a = gw_req_arena(req);
	struct gw_str	 scope = GW_STR_NULL;

	strip_identity_fields(req, c);
	if (gw_req_var_set(req, "auth.method", gw_str_cstr(c->method)) == -1)
		return -1;
	if (claims != NULL) {
		struct gw_jv_iter	 it;
		const char		*name;
		struct json_object	*v;
		size_t			 n = 0;

		if (gw_req_var_set(req, "auth.claims", claims_json) == -1)
			return -1;
		gw_jv_iter_init(&it, claims);
		while (gw_jv_iter_next(&it, &name, &v) && n < MAX_CLAIM_VARS) {
			struct gw_str	 t;
			char		*vn;

			if (!wanted_claim(c, name) || v == NULL ||
			    claim_text(a, v, &t) == -1)
				continue;
			if ((vn = gw_arena_printf(a, "claim.%s", name)) == NULL ||
			    gw_req_var_set(req, vn, t) == -1)
				return -1;
			n++;
		}
		if (consumer.p == NULL && gw_jv_get(claims, c->consumer_claim,
		    &v) && v != NULL && claim_text(a, v, &consumer) == -1)
			consumer = GW_STR_NULL;
		if (groups.p == NULL && gw_jv_get(claims, c->groups_claim, &v) &&
		    v != NULL && claim_text(a, v, &groups) == -1)
			groups = GW_STR_NULL;
		/* OAuth scopes: "scope" (a string) or "scp" (an array) */
		if ((gw_jv_get(claims, "scope", &v) ||
		    gw_jv_get(claims, "scp", &v)) && v != NULL) {
			const char *s = gw_jv_str(v, NULL);

			if (s != NULL)
				scope = gw_str_cstr(s);
			else if (claim_text(a, v, &scope) == 0) {
				char *p = gw_arena_strndup(a, scope.p,
				    scope.len);

				if (p == NULL)
					return -1;
				for (size_t i = 0; i < scope.len; i++)
					if (p[i] == ',')
						p[i] = ' ';
				scope.p = p;
			}
		}
		for (size_t i = 0; i < c->nclaim_headers; i++) {
			struct gw_str t;

			if (gw_jv_get(claims, c->claim_headers[i].claim, &v) &&
			    v != NULL && claim_text(a, v, &t) == 0 &&
			    header_value_ok(t) &&
			    gw_req_header_set(req, c->claim_headers[i].field,
			    t) == -1)
				return -1;
		}
	}
	if (consumer.p != NULL && header_value_ok(consumer)) {
		if (gw_req_var_set(req, "consumer", consumer) == -1)
			return -1;
		if (c->consumer_header != NULL &&
		    gw_req_header_set(req, c->consumer_header, consumer) == -1)
			return -1;
	}
	if (groups.p != NULL && gw_req_var_set(req, "groups", groups) == -1)
		return -1;
	if (scope.p != NULL && gw_req_var_set(req, "scope", scope) == -1)
		return -1;
	return 0;
}

/* "Scheme credentials" from Authorization, or GW_STR_NULL. */
static struct gw_str
authorization(struct gw_req *req, const char *scheme)
{
	const struct gw_http_header	*h = gw_req_header(req,
	    "authorization");
	size_t				 sl = strlen(scheme);
	struct gw_str			 v;

	if (h == NULL)
		return GW_STR_NULL;
	v = h->value;
	if (v.len <= sl || !gw_str_caseeq(gw_str_make(v.p, sl),
	    gw_str_make(scheme, sl)) || (v.p[sl] != ' ' && v.p[sl] != '\t'))
		return GW_STR_NULL;
	return gw_str_trim(gw_str_make(v.p + sl, v.len - sl));
}

/* Read a file named by key for a policy: 1, 0 absent, -1 reported. */
static int
policy_file(struct gw_jcheck *ck, const struct json_object *v,
    const char *key, int secret, char **data, size_t *len, char **path)
{
	char	*p = NULL;
	int	 r;

	r = gw_jcheck_file(ck, v, key, GW_AUTHN_MAX_FILE, data, len, &p);
	if (r == 1 && secret && check_private(ck, v, key, p) == -1) {
		free(*data);
		*data = NULL;
		r = -1;
	}
	if (r == 1 && path != NULL)
		*path = p;
	else
		free(p);
	return r;
}

/* api_key. */

struct api_key_state {
	struct common		 c;
	struct gw_keyfile	*kf;
	char			*header;
	char			*query;
};

static void
api_key_free(void *arg)
{
	struct api_key_state *st = arg;

	if (st == NULL)
		return;
	common_release(&st->c);
	gw_keyfile_free(st->kf);
	free(st->header);
	free(st->query);
	free(st);
}

static int
api_key_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "keys", "header", "query",
	    "forward", "consumer_header", "realm", NULL };
	struct api_key_state	*st;
	struct gw_err		 err;
	char			*data = NULL, *path = NULL;
	size_t			 len;
	int			 rc = 0, r;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	rc |= common_parse(ck, v, "api_key", 0, &st->c);
	if ((r = policy_file(ck, v, "keys", 0, &data, &len, &path)) == 0) {
		gw_jcheck_error(ck, parent, key, v, "\"keys\" names the key "
		    "file");
		rc = -1;
	} else if (r == 1) {
		if (gw_keyfile_parse(data, len, path, &st->kf, &err) == -1) {
			report(ck, v, "keys", "%s", err.msg);
			rc = -1;
		}
	} else
		rc = -1;
	free(data);
	free(path);
	if (gw_jcheck_str(ck, v, "header", &st->header) == -1 ||
	    gw_jcheck_str(ck, v, "query", &st->query) == -1)
		rc = -1;
	else if (st->header != NULL && !is_token(st->header)) {
		report(ck, v, "header", "not a field name");
		rc = -1;
	} else if (st->query != NULL && (st->query[0] == '\0' ||
	    strpbrk(st->query, "&=#%+ ") != NULL)) {
		report(ck, v, "query", "not a plain parameter name");
		rc = -1;
	} else if (st->header == NULL && st->query == NULL &&
	    (st->header = strdup("X-API-Key")) == NULL)
		rc = -1;
	if (rc != 0) {
		api_key_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* The value of parameter name in query (still percent-encoded). */
static struct gw_str
query_param(struct gw_str q, const char *name)
{
	size_t nl = strlen(name), i = 0;

	while (i < q.len) {
		const char	*amp = memchr(q.p + i, '&', q.len - i);
		size_t		 end = amp != NULL ? (size_t)(amp - q.p) : q.len;

		if (end - i > nl && memcmp(q.p + i, name, nl) == 0 &&
		    q.p[i + nl] == '=')
			return gw_str_make(q.p + i + nl + 1, end - i - nl - 1);
		i = end + 1;
	}
	return GW_STR_NULL;
}

/*
 * Take every name=... parameter out of the query the request goes on
 * with, so that the key stays at the gateway; -1 on out of memory.
 */
static int
drop_query_param(struct gw_req *req, const char *name)
{
	struct gw_str	 q = gw_req_head(req)->query;
	struct gw_buf	 b;
	size_t		 nl = strlen(name), i = 0;
	int		 rc = 0;

	gw_buf_init(&b, 0);
	while (i < q.len && rc == 0) {
		const char	*amp = memchr(q.p + i, '&', q.len - i);
		size_t		 end = amp != NULL ? (size_t)(amp - q.p) : q.len;

		if (end > i && !(end - i > nl && memcmp(q.p + i, name, nl) ==
		    0 && q.p[i + nl] == '=') && ((b.len > 0 &&
		    gw_buf_putc(&b, '&', NULL) == -1) ||
		    gw_buf_append(&b, q.p + i, end - i, NULL) == -1))
			rc = -1;
		i = end + 1;
	}
	if (rc == 0)
		rc = gw_req_set_query(req, gw_str_make(b.len > 0 ? b.p : "",
		    b.len));
	gw_buf_release(&b);
	return rc;
}

static enum gw_policy_rc
api_key_request(struct gw_req *req, void *arg)
{
	struct api_key_state		*st = arg;
	const struct gw_http_header	*h = NULL;
	struct gw_str			 key = GW_STR_NULL;
	const char			*consumer, *groups;

	if (st->header != NULL && (h = gw_req_header(req, st->header)) != NULL)
		key = h->value;
	else if (st->query != NULL)
		key = query_param(gw_req_head(req)->query, st->query);
	if (key.p == NULL || key.len == 0) {
		log_refusal(req, &st->c, "missing", "no API key");
		return refuse(req, &st->c, "ApiKey", NULL,
		    "an API key is required");
	}
	if (!gw_keyfile_lookup(st->kf, key, &consumer, &groups)) {
		log_refusal(req, &st->c, "unknown-key", "the key is not in "
		    "the key file");
		return refuse(req, &st->c, "ApiKey", "invalid_key",
		    "the API key is not valid");
	}
	if (!st->c.forward && h != NULL)
		gw_req_header_del(req, st->header);
	else if (!st->c.forward && st->query != NULL &&
	    drop_query_param(req, st->query) == -1)
		return internal_error(req);
	if (set_identity(req, &st->c, gw_str_cstr(consumer),
	    gw_str_cstr(groups), NULL, GW_STR_NULL) == -1)
		return internal_error(req);
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_api_key = {
	.name = "api_key",
	.parse = api_key_parse,
	.free = api_key_free,
	.request = api_key_request,
};

/* basic. */

struct basic_cache_entry {
	unsigned char	 h[GW_SHA256_LEN];
	uint64_t	 until;
	const char	*groups;	/* borrowed from the htpasswd */
};

struct basic_state {
	struct common			 c;
	struct gw_htpasswd		*ht;
	/* per worker: passwords that checked out lately */
	unsigned char			 salt[32];
	int				 salted;
	struct basic_cache_entry	*cache;
};

static void
basic_free(void *arg)
{
	struct basic_state *st = arg;

	if (st == NULL)
		return;
	common_release(&st->c);
	gw_htpasswd_free(st->ht);
	free(st->cache);
	free(st);
}

static int
basic_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "htpasswd", "forward",
	    "consumer_header", "realm", NULL };
	struct basic_state	*st;
	struct gw_err		 err;
	char			*data = NULL, *path = NULL;
	size_t			 len;
	int			 rc = 0, r;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	rc |= common_parse(ck, v, "basic", 0, &st->c);
	if ((r = policy_file(ck, v, "htpasswd", 0, &data, &len,
	    &path)) == 0) {
		gw_jcheck_error(ck, parent, key, v, "\"htpasswd\" names the "
		    "password file");
		rc = -1;
	} else if (r == 1) {
		if (gw_htpasswd_parse(data, len, path, &st->ht, &err) == -1) {
			report(ck, v, "htpasswd", "%s", err.msg);
			rc = -1;
		}
	} else
		rc = -1;
	free(data);
	free(path);
	if (rc != 0) {
		basic_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/*
 * bcrypt takes tens of milliseconds by design, and the loop must not stop
 * that long on every request: a password that checked out is remembered
 * for a while, as a salted hash of user and password (never the password).
 */
static struct basic_cache_entry *
basic_cached(struct basic_state *st, struct gw_str user, struct gw_str pass,
    unsigned char h[GW_SHA256_LEN], uint64_t now)
{
	struct gw_buf			 b;
	struct basic_cache_entry	*e;

	if (!st->salted) {
		if (gw_random(st->salt, sizeof(st->salt), NULL) == -1)
			return NULL;
		st->salted = 1;
	}
	if (st->cache == NULL &&
	    (st->cache = calloc(BASIC_CACHE, sizeof(*st->cache))) == NULL)
		return NULL;
	gw_buf_init(&b, 0);
	if (gw_buf_append(&b, st->salt, sizeof(st->salt), NULL) == -1 ||
	    gw_buf_append_str(&b, user, NULL) == -1 ||
	    gw_buf_putc(&b, 0, NULL) == -1 ||
	    gw_buf_append_str(&b, pass, NULL) == -1) {
		gw_buf_release(&b);
		return NULL;
	}
	gw_sha256(b.p, b.len, h);
	explicit_bzero(b.p, b.len);
	gw_buf_release(&b);
	e = &st->cache[hash_slot(h, BASIC_CACHE)];
	if (e->until > now && gw_ct_eq(e->h, h, GW_SHA256_LEN))
		return e;
	return NULL;
}

static enum gw_policy_rc
basic_request(struct gw_req *req, void *arg)
{
	struct basic_state		*st = arg;
	struct gw_str			 cred = authorization(req, "Basic");
	unsigned char			 dec[768], h[GW_SHA256_LEN];
	size_t				 dl;
	const char			*colon, *groups = NULL;
	struct gw_str			 user, pass;
	struct basic_cache_entry	*e;
	uint64_t			 now = gw_loop_now(gw_req_loop(req));

	if (cred.p == NULL) {
		log_refusal(req, &st->c, "missing", "no Basic credentials");
		return refuse(req, &st->c, "Basic", NULL,
		    "credentials are required");
	}
	if (cred.len > 1000 || gw_b64_decode(cred.p, cred.len, dec,
	    &dl) == -1 || (colon = memchr(dec, ':', dl)) == NULL) {
		log_refusal(req, &st->c, "malformed", "Basic credentials "
		    "are not base64 of user:password");
		return refuse(req, &st->c, "Basic", NULL,
		    "malformed credentials");
	}
	user = gw_str_make((char *)dec, (size_t)(colon - (char *)dec));
	pass = gw_str_make(colon + 1, dl - user.len - 1);
	if ((e = basic_cached(st, user, pass, h, now)) != NULL)
		groups = e->groups;
	else if (!gw_htpasswd_check(st->ht, user, pass, &groups)) {
		explicit_bzero(dec, sizeof(dec));
		log_refusal(req, &st->c, "bad-password", "unknown user or "
		    "wrong password");
		return refuse(req, &st->c, "Basic", NULL,
		    "invalid credentials");
	} else if (st->cache != NULL) {
		e = &st->cache[hash_slot(h, BASIC_CACHE)];
		memcpy(e->h, h, sizeof(e->h));
		e->groups = groups;
		/* a slow hash ran: take the time it took into account */
		gw_loop_update_time(gw_req_loop(req));
		e->until = gw_loop_now(gw_req_loop(req)) + BASIC_CACHE_US;
	}
	explicit_bzero(dec + user.len, dl - user.len);
	if (!st->c.forward)
		gw_req_header_del(req, "authorization");
	if (set_identity(req, &st->c, user, gw_str_cstr(groups), NULL,
	    GW_STR_NULL) == -1)
		return internal_error(req);
	return GW_POLICY_NEXT;
}

const struct gw_policy_type gw_policy_basic = {
	.name = "basic",
	.parse = basic_parse,
	.free = basic_free,
	.request = basic_request,
};

/*
 * Outgoing fetches (JWKS, introspection) through client.h, with a deadline
 * and a bounded body.
 */

struct fetch;
typedef void fetch_done_fn(struct fetch *f, int status, struct gw_str body,
    const char *error);

struct url {
	char			*base;		/* "http://host:port" */
	char			*path;		/* "/path?query" */
	struct gw_client_target	 t;		/* strings point into base */
};

struct fetch {
	struct gw_client_xchg	*x;
	struct gw_timer		 timer;
	struct gw_buf		 body;
	const char		*req_body;
	size_t			 req_len, req_off;
	int			 status;
	fetch_done_fn		*done;
	void			*arg;
};

static void
url_release(struct url *u)
{
	free(u->base);
	free(u->path);
}

/* Split url into u and resolve its host (at load time: may block). */
static int
url_parse(const char *url, struct url *u, struct gw_err *err)
{
	const char	*hp, *slash;
	size_t		 bl;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) == 0)
		hp = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		hp = url + 8;
	else
		return gw_err_set(err, GW_E_CONFIG, "'%s' must start with "
		    "http:// or https://", url);
	slash = strchr(hp, '/');
	bl = slash != NULL ? (size_t)(slash - url) : strlen(url);
	if ((u->base = strndup(url, bl)) == NULL ||
	    (u->path = strdup(slash != NULL ? slash : "/")) == NULL) {
		url_release(u);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	if (strchr(u->path, '#') != NULL || strpbrk(url, " \t\r\n") != NULL) {
		url_release(u);
		return gw_err_set(err, GW_E_CONFIG, "'%s' is not a URL", url);
	}
	if (gw_client_target_parse(u->base, &u->t, err) == -1) {
		url_release(u);
		return -1;
	}
	return 0;
}

static void
fetch_finish(struct fetch *f, const char *error)
{
	fetch_done_fn *fn = f->done;

	gw_timer_stop(&f->timer);
	f->x = NULL;
	fn(f, f->status, gw_buf_str(&f->body), error);
}

static int
fetch_head(void *arg, int status, const struct gw_http_header *h, size_t nh,
    int64_t content_length)
{
	struct fetch *f = arg;

	(void)h;
	(void)nh;
	f->status = status;
	if (content_length > (int64_t)FETCH_MAX_BYTES)
		return -1;
	return 0;
}

static int
fetch_body(void *arg, const char *p, size_t len)
{
	struct fetch *f = arg;

	return gw_buf_append(&f->body, p, len, NULL) == -1 ? -1 : 0;
}

static ssize_t
fetch_read(void *arg, char *buf, size_t len)
{
	struct fetch	*f = arg;
	size_t		 n = GW_MIN(len, f->req_len - f->req_off);

	memcpy(buf, f->req_body + f->req_off, n);
	f->req_off += n;
	return (ssize_t)n;
}

static void
fetch_xdone(void *arg, enum gw_client_status st, const char *msg)
{
	struct fetch	*f = arg;
	char		 why[256];

	if (st == GW_CLIENT_OK) {
		fetch_finish(f, NULL);
		return;
	}
	(void)snprintf(why, sizeof(why), "%s%s%s", gw_client_status_str(st),
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	fetch_finish(f, why);
}

static void
fetch_timeout(struct gw_timer *t)
{
	struct fetch *f = t->arg;

	if (f->x != NULL) {
		gw_client_cancel(f->x);
		f->x = NULL;
	}
	fetch_finish(f, "timed out");
}

static void
fetch_cancel(struct fetch *f)
{
	gw_timer_stop(&f->timer);
	if (f->x != NULL) {
		gw_client_cancel(f->x);
		f->x = NULL;
	}
	gw_buf_release(&f->body);
}

/*
 * Start a GET (body NULL) or a form POST of u on pool; done runs from the
 * loop.  The request's fields (auth included) are copied by the client;
 * body is read while the exchange runs and must live until done.
 */
static int
fetch_start(struct fetch *f, struct gw_loop *loop, struct gw_client_pool *pool,
    const struct url *u, const char *body, const char *auth,
    uint32_t timeout_ms, fetch_done_fn *done, void *arg, struct gw_err *err)
{
	static const struct gw_client_cbs cbs = {
		.head = fetch_head,
		.body = fetch_body,
		.read = fetch_read,
		.done = fetch_xdone,
	};
	struct gw_http_header		h[5];
	struct gw_client_request	r;
	size_t				nh = 0;

	memset(&r, 0, sizeof(r));
	gw_buf_init(&f->body, FETCH_MAX_BYTES);
	f->status = 0;
	f->done = done;
	f->arg = arg;
	f->req_body = body;
	f->req_len = body != NULL ? strlen(body) : 0;
	f->req_off = 0;
	h[nh].name = GW_STR("Host");
	h[nh++].value = u->t.hostport;
	h[nh].name = GW_STR("Accept");
	h[nh++].value = GW_STR("application/json");
	h[nh].name = GW_STR("User-Agent");
	h[nh++].value = GW_STR("gw/" GW_VERSION);
	if (body != NULL) {
		h[nh].name = GW_STR("Content-Type");
		h[nh++].value = GW_STR("application/x-www-form-urlencoded");
	}
	if (auth != NULL) {
		h[nh].name = GW_STR("Authorization");
		h[nh++].value = gw_str_cstr(auth);
	}
	r.method = body != NULL ? GW_STR("POST") : GW_STR("GET");
	r.target = gw_str_cstr(u->path);
	r.headers = h;
	r.nheaders = nh;
	r.body_len = (int64_t)f->req_len;
	r.connect_timeout_ms = timeout_ms;
	if ((f->x = gw_client_start(pool, &r, &cbs, f, err)) == NULL) {
		gw_buf_release(&f->body);
		return -1;
	}
	gw_timer_start(loop, &f->timer, (uint64_t)timeout_ms * 1000,
	    fetch_timeout, f);
	return 0;
}

/*
 * A policy's outgoing client on one server's loop: opened by the policy's
 * worker_start, closed by its worker_stop.
 */
struct remote {
	struct gw_loop		*loop;
	struct gw_client	*client;
	struct gw_client_pool	*pool;		/* for u's target */
};

static int
remote_open(struct remote *r, const struct url *u, struct gw_loop *loop,
    struct gw_err *err)
{
	memset(r, 0, sizeof(*r));
	if ((r->client = gw_client_new(loop, err)) == NULL)
		return -1;
	if ((r->pool = gw_client_pool_new(r->client, &u->t, err)) == NULL) {
		gw_client_free(r->client);
		r->client = NULL;
		return -1;
	}
	r->loop = loop;
	return 0;
}

static void
remote_free_client(void *arg)
{
	gw_client_free(arg);
}

/*
 * Close r once its exchanges are cancelled (fetch_cancel()): no callback
 * runs any more.  The client destroys a cancelled exchange later, from
 * the loop, through its pool, so the client and pool are freed by a call
 * deferred after that (gw_loop_free() runs the calls still pending).  If
 * the call cannot be deferred the client is left alone, a leak at exit
 * rather than a use after free.
 */
static void
remote_close(struct remote *r)
{
	if (r->client != NULL)
		(void)gw_loop_defer(r->loop, remote_free_client, r->client);
	memset(r, 0, sizeof(*r));
}

/* jwt. */

struct jwt_waiter;
struct jwt_worker;

struct jwt_state {
	struct common		 c;
	struct gw_jwt_rules	 rules;
	char			**issuers;
	char			**audiences;
	char			**required;
	char			**algorithms;
	size_t			 nalgorithms;
	struct gw_keyset	*keys;		/* from files */
	char			*header;	/* where the token is */
	/* a JWKS from a URL, fetched by each server (worker) */
	int			 has_url;
	struct url		 url;
	uint32_t		 timeout_ms;
	uint32_t		 refresh_s;
	uint32_t		 min_refresh_s;
	struct jwt_worker	*workers;	/* worker_start .. worker_stop */
	/* tokens verified lately, per worker */
	uint32_t		 cache_max;
	uint32_t		 cache_s;
	struct jwt_cached	*cache;
	pid_t			 cache_pid;
};

/*
 * A token that passed: its hash, until when it may be taken without
 * checking it again (never past its exp), and its claims.
 */
struct jwt_cached {
	unsigned char	 h[GW_SHA256_LEN];
	uint64_t	 until;		/* loop time */
	char		*payload;
	size_t		 len;
};

/* The JWKS of a jwt policy with a jwks_url in one server (worker). */
struct jwt_worker {
	struct jwt_worker	*next;
	struct jwt_state	*st;
	struct gw_server	*srv;
	struct remote		 r;
	struct gw_keyset	*keys;		/* of the last good fetch */
	uint64_t		 fetched_at;	/* loop time of the last try */
	int			 tried;
	struct fetch		 fetch;
	int			 fetching;
	struct gw_timer		 refresh;
	struct jwt_waiter	*waiters;
};

/* A request waiting for a fetch (in its arena; unlinked if it ends). */
struct jwt_waiter {
	struct jwt_waiter	*next, **prevp;
	struct gw_req		*req;
	struct jwt_worker	*w;
	char			*token;
	size_t			 len;
};

static void
jwt_free(void *arg)
{
	struct jwt_state *st = arg;

	if (st == NULL)
		return;
	common_release(&st->c);
	gw_jcheck_strs_free(st->issuers);
	gw_jcheck_strs_free(st->audiences);
	gw_jcheck_strs_free(st->required);
	gw_jcheck_strs_free(st->algorithms);
	gw_keyset_free(st->keys);
	free(st->header);
	if (st->cache != NULL && st->cache_pid == getpid()) {
		for (size_t i = 0; i < st->cache_max; i++)
			free(st->cache[i].payload);
		free(st->cache);
	}
	/*
	 * Every server stopped its worker before it let go of the
	 * configuration; what is left here is a copy made by fork() of a
	 * parent's, whose loop this process does not run: not touched.
	 */
	url_release(&st->url);
	free(st);
}

/*
 * The bytes of a secret file that are the secret: a line of text loses its
 * line end ("echo secret >file"), anything else (random bytes from
 * "openssl rand 32 >file") is taken exactly, a final 0x0a included.
 */
static size_t
secret_len(const char *p, size_t len)
{
	size_t n = len;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
			return len;	/* not text */
	return n;
}

/* Add every key of a PEM file (or a JWKS file) to st->keys. */
static int
jwt_load_keys(struct gw_jcheck *ck, const struct json_object *v,
    struct jwt_state *st)
{
	struct json_object	*kv;
	struct gw_err		 err;
	int			 rc = 0;

	if (gw_jv_get(v, "keys", &kv)) {
		char	**files = NULL;
		size_t	  n = 0;

		if (gw_jcheck_strs(ck, v, "keys", &files, &n) == -1)
			return -1;
		for (size_t i = 0; i < n; i++) {
			char		*path, *data = NULL;
			size_t		 len;
			struct gw_key	*k;
			FILE		*fp;

			if ((path = gw_jcheck_resolve(ck, files[i])) == NULL) {
				rc = -1;
				continue;
			}
			if ((fp = fopen(path, "rb")) != NULL) {
				struct gw_buf	b;
				char		chunk[4096];
				size_t		m;

				gw_buf_init(&b, 1024 * 1024);
				while ((m = fread(chunk, 1, sizeof(chunk),
				    fp)) > 0)
					if (gw_buf_append(&b, chunk, m,
					    NULL) == -1)
						break;
				fclose(fp);
				data = gw_buf_take(&b, &len, NULL);
			}
			if (data == NULL) {
				report(ck, v, "keys", "cannot read '%s'", path);
				rc = -1;
			} else if (gw_key_from_pem(data, len, &k, &err) == -1) {
				report(ck, v, "keys", "'%s': %s", path,
				    err.msg);
				rc = -1;
			} else if (gw_key_kind(k) == GW_KEY_HMAC ||
			    gw_keyset_add(st->keys, k) == -1)
				rc = -1;
			free(data);
			free(path);
		}
		gw_jcheck_strs_free(files);
	}
	if (gw_jv_get(v, "secret_file", NULL)) {
		char		*data = NULL;
		size_t		 len;
		struct gw_key	*k;
		int		 r = policy_file(ck, v, "secret_file", 1, &data,
		    &len, NULL);

		if (r == 1) {
			len = secret_len(data, len);
			if (gw_key_from_secret(data, len, &k, &err) == -1) {
				report(ck, v, "secret_file", "%s", err.msg);
				rc = -1;
			} else if (gw_keyset_add(st->keys, k) == -1)
				rc = -1;
			explicit_bzero(data, len);
		} else if (r == -1)
			rc = -1;
		free(data);
	}
	if (gw_jv_get(v, "jwks", NULL)) {
		char			*data = NULL, *path = NULL;
		size_t			 len;
		struct gw_keyset	*ks;
		int			 r = policy_file(ck, v, "jwks", 0, &data,
		    &len, &path);

		if (r == 1) {
			if (gw_keyset_parse_jwks(data, len, path, &ks, NULL,
			    &err) == -1) {
				report(ck, v, "jwks", "%s", err.msg);
				rc = -1;
			} else {
				/* secrets in a JWKS file: it must be private */
				for (size_t i = 0; i < gw_keyset_len(ks); i++)
					if (gw_key_kind(gw_keyset_at(ks,
					    i)) == GW_KEY_HMAC &&
					    check_private(ck, v, "jwks",
					    path) == -1) {
						rc = -1;
						break;
					}
				if (gw_keyset_merge(st->keys, ks) == -1)
					rc = -1;
			}
		} else if (r == -1)
			rc = -1;
		free(data);
		free(path);
	}
	return rc;
}

static int
jwt_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "keys", "secret_file", "jwks",
	    "jwks_url", "jwks_refresh_s", "jwks_min_refresh_s", "timeout_ms",
	    "algorithms", "issuer", "audience", "leeway_s", "require_exp",
	    "required_claims", "claims", "consumer_claim", "groups_claim",
	    "claim_headers", "header", "forward", "consumer_header", "realm",
	    "cache_max", "cache_s", NULL };
	struct jwt_state	*st;
	struct gw_err		 err;
	char			*url = NULL;
	uint32_t		 leeway = 0;
	size_t			 n;
	int			 rc = 0, r;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->keys = gw_keyset_new()) == NULL) {
		free(st);
		return -1;
	}
	rc |= common_parse(ck, v, "jwt", 1, &st->c);
	if (jwt_load_keys(ck, v, st) == -1)
		rc = -1;
	if ((r = gw_jcheck_str(ck, v, "jwks_url", &url)) == -1)
		rc = -1;
	else if (r == 1) {
		if (url_parse(url, &st->url, &err) == -1) {
			report(ck, v, "jwks_url", "%s", err.msg);
			rc = -1;
		} else
			st->has_url = 1;
		free(url);
	}
	if (rc == 0 && !st->has_url && gw_keyset_len(st->keys) == 0) {
		gw_jcheck_error(ck, parent, key, v, "no keys: give \"keys\", "
		    "\"secret_file\", \"jwks\" or \"jwks_url\"");
		rc = -1;
	}
	st->timeout_ms = 2000;
	st->refresh_s = 300;
	st->min_refresh_s = 10;
	st->rules.require_exp = 1;
	st->cache_max = 10000;
	st->cache_s = 60;
	if (gw_jcheck_u32(ck, v, "cache_max", 0, 10000000,
	    &st->cache_max) == -1 ||
	    gw_jcheck_u32(ck, v, "cache_s", 0, 86400, &st->cache_s) == -1)
		rc = -1;
	if (gw_jcheck_u32(ck, v, "timeout_ms", 1, 600000,
	    &st->timeout_ms) == -1 ||
	    gw_jcheck_u32(ck, v, "jwks_refresh_s", 1, 86400 * 7,
	    &st->refresh_s) == -1 ||
	    gw_jcheck_u32(ck, v, "jwks_min_refresh_s", 0, 86400,
	    &st->min_refresh_s) == -1 ||
	    gw_jcheck_u32(ck, v, "leeway_s", 0, 3600, &leeway) == -1 ||
	    gw_jcheck_bool(ck, v, "require_exp", &st->rules.require_exp) == -1)
		rc = -1;
	st->rules.leeway_s = leeway;
	if (gw_jcheck_strs(ck, v, "issuer", &st->issuers, &n) == -1)
		rc = -1;
	st->rules.issuers = st->issuers;
	st->rules.nissuers = n;
	if (gw_jcheck_strs(ck, v, "audience", &st->audiences, &n) == -1)
		rc = -1;
	st->rules.audiences = st->audiences;
	st->rules.naudiences = n;
	if (gw_jcheck_strs(ck, v, "required_claims", &st->required, &n) == -1)
		rc = -1;
	st->rules.required = st->required;
	st->rules.nrequired = n;
	if (gw_jcheck_strs(ck, v, "algorithms", &st->algorithms,
	    &st->nalgorithms) == -1)
		rc = -1;
	for (size_t i = 0; i < st->nalgorithms; i++) {
		int a = gw_alg_parse(gw_str_cstr(st->algorithms[i]));

		if (a == -1) {
			report(ck, v, "algorithms", "unknown algorithm '%s' "
			    "(\"none\" is never taken)", st->algorithms[i]);
			rc = -1;
		} else
			st->rules.algs |= 1u << a;
	}
	if ((r = gw_jcheck_str(ck, v, "header", &st->header)) == -1)
		rc = -1;
	else if (r == 0 && (st->header = strdup("Authorization")) == NULL)
		rc = -1;
	else if (!is_token(st->header)) {
		report(ck, v, "header", "not a field name");
		rc = -1;
	}
	if (rc != 0) {
		jwt_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* The token: "Bearer x" in Authorization, or a whole other field. */
static struct gw_str
jwt_token(struct gw_req *req, const struct jwt_state *st)
{
	const struct gw_http_header *h;

	if (strcasecmp(st->header, "authorization") == 0)
		return authorization(req, "Bearer");
	if ((h = gw_req_header(req, st->header)) == NULL)
		return GW_STR_NULL;
	return h->value;
}

static const char *
jwt_detail(enum gw_jwt_why why)
{
	switch (why) {
	case GW_JWT_EXPIRED:
		return "the token has expired";
	case GW_JWT_NOT_YET:
		return "the token is not valid yet";
	default:
		return "the token is not valid";
	}
}

static enum gw_policy_rc jwt_fetch_for(struct gw_req *req,
    struct jwt_state *st, struct jwt_worker *w, struct gw_str tok);

/* Which of two refusals says more: the one that got further. */
static int
why_rank(enum gw_jwt_why w)
{
	switch (w) {
	case GW_JWT_OK:
		return 9;
	case GW_JWT_NO_KEY:
		return 0;
	case GW_JWT_ALG:
		return 1;
	case GW_JWT_SIGNATURE:
		return 2;
	default:
		return 3;	/* the signature was good: a claim is not */
	}
}

/* The cache slot of a token's hash (per worker); NULL without a cache. */
static struct jwt_cached *
jwt_slot(struct jwt_state *st, const unsigned char *h)
{
	uint64_t v;

	if (st->cache_max == 0 || st->cache_s == 0)
		return NULL;
	if (st->cache_pid != getpid()) {
		st->cache = calloc(st->cache_max, sizeof(*st->cache));
		st->cache_pid = getpid();
	}
	if (st->cache == NULL)
		return NULL;
	memcpy(&v, h, sizeof(v));
	return &st->cache[v % st->cache_max];
}

/* Take the identity of a token that passed. */
static enum gw_policy_rc
jwt_accept(struct gw_req *req, struct jwt_state *st,
    const struct json_object *claims, struct gw_str payload)
{
	if (!st->c.forward)
		gw_req_header_del(req, st->header);
	if (set_identity(req, &st->c, GW_STR_NULL, GW_STR_NULL, claims,
	    payload) == -1)
		return internal_error(req);
	return GW_POLICY_NEXT;
}

/*
 * Remember a token that passed, for cache_s at most and never past its
 * exp (with the leeway), so that its signature is not checked again on
 * every request.
 */
static void
jwt_remember(struct gw_req *req, struct jwt_state *st,
    const unsigned char *h, const struct gw_jwt *t)
{
	struct jwt_cached	*e = jwt_slot(st, h);
	struct json_object	*exp;
	struct gw_str		 p = gw_jwt_payload(t);
	uint64_t		 ttl = (uint64_t)st->cache_s * 1000000;
	double			 left;

	if (e == NULL)
		return;
	if (gw_jv_get(gw_jwt_claims(t), "exp", &exp) &&
	    (gw_jv_type(exp) == GW_JT_INT || gw_jv_type(exp) == GW_JT_DOUBLE)) {
		left = gw_jv_double(exp) + (double)st->rules.leeway_s -
		    (double)time(NULL);
		if (left <= 0)
			return;
		if (left * 1e6 < (double)ttl)
			ttl = (uint64_t)(left * 1e6);
	}
	free(e->payload);
	e->until = 0;
	if ((e->payload = malloc(p.len + 1)) == NULL)
		return;
	memcpy(e->payload, p.p, p.len);
	e->payload[p.len] = '\0';
	e->len = p.len;
	memcpy(e->h, h, sizeof(e->h));
	e->until = gw_loop_now(gw_req_loop(req)) + ttl;
}

/* No key at all: the JWKS was never fetched, and there is nothing else. */
static int
jwt_no_keys(const struct jwt_state *st, const struct jwt_worker *w)
{
	return w != NULL && w->keys == NULL && gw_keyset_len(st->keys) == 0;
}

static enum gw_policy_rc
jwt_keys_unavailable(struct gw_req *req, const struct jwt_state *st)
{
	log_refusal(req, &st->c, "keys-unavailable", "the JWKS could not be "
	    "fetched");
	gw_authn_problem(req, 503, "auth-unavailable", "the token's keys "
	    "cannot be fetched now", NULL, 0);
	return GW_POLICY_DONE;
}

/*
 * Check a token against the keys we have: the files', and w's from the
 * JWKS URL (w is NULL without one).  Returns NEXT (identity set), DONE
 * (answered), or WAIT when the kid is unknown and a fetch of the JWKS may
 * bring it (only when allow_fetch).
 */
static enum gw_policy_rc
jwt_check(struct gw_req *req, struct jwt_state *st, struct jwt_worker *w,
    struct gw_str tok, int allow_fetch)
{
	struct gw_jwt		*t = NULL;
	struct gw_err		 err, err2;
	enum gw_jwt_why		 why, why2;
	enum gw_policy_rc	 rc;
	int64_t			 now = (int64_t)time(NULL);
	unsigned char		 h[GW_SHA256_LEN];
	struct jwt_cached	*e;

	gw_sha256(tok.p, tok.len, h);
	if ((e = jwt_slot(st, h)) != NULL &&
	    e->until > gw_loop_now(gw_req_loop(req)) &&
	    gw_ct_eq(e->h, h, sizeof(h))) {
		struct gw_jdoc *doc;

		if (gw_jdoc_parse(e->payload, e->len, "claims", 0, &doc,
		    &err) == -1)
			return internal_error(req);
		rc = jwt_accept(req, st, gw_jdoc_root(doc),
		    gw_str_make(e->payload, e->len));
		gw_jdoc_free(doc);
		return rc;
	}
	if (gw_jwt_parse(tok.p, tok.len, &t, &err) == -1) {
		log_refusal(req, &st->c, gw_jwt_why_name(GW_JWT_MALFORMED),
		    err.msg);
		return refuse(req, &st->c, "Bearer", "invalid_token",
		    "the token is not valid");
	}
	why = gw_jwt_verify(t, st->keys, now, &st->rules, &err);
	if (why != GW_JWT_OK && w != NULL && w->keys != NULL) {
		why2 = gw_jwt_verify(t, w->keys, now, &st->rules, &err2);
		if (why_rank(why2) > why_rank(why) ||
		    (why == GW_JWT_ALG && why2 != GW_JWT_ALG)) {
			why = why2;
			err = err2;
		}
	}
	if (why == GW_JWT_NO_KEY && allow_fetch && w != NULL) {
		gw_jwt_free(t);
		return jwt_fetch_for(req, st, w, tok);
	}
	if (why == GW_JWT_OK) {
		jwt_remember(req, st, h, t);
		rc = jwt_accept(req, st, gw_jwt_claims(t), gw_jwt_payload(t));
		gw_jwt_free(t);
		return rc;
	}
	gw_jwt_free(t);
	if (jwt_no_keys(st, w))
		return jwt_keys_unavailable(req, st);
	log_refusal(req, &st->c, gw_jwt_why_name(why), err.msg);
	return refuse(req, &st->c, "Bearer", "invalid_token",
	    jwt_detail(why));
}

static void jwt_fetch_done(struct fetch *f, int status, struct gw_str body,
    const char *error);

/* Fetch the JWKS now.  -1 if it cannot start (logged). */
static int
jwt_start_fetch(struct jwt_worker *w)
{
	struct jwt_state	*st = w->st;
	struct gw_err		 err;

	if (w->fetching)
		return 0;
	gw_timer_stop(&w->refresh);
	w->fetched_at = gw_loop_now(w->r.loop);
	w->tried = 1;
	if (fetch_start(&w->fetch, w->r.loop, w->r.pool, &st->url, NULL, NULL,
	    st->timeout_ms, jwt_fetch_done, w, &err) == -1) {
		gw_log_warnx("jwt: cannot fetch '%s%s': %s", st->url.base,
		    st->url.path, err.msg);
		return -1;
	}
	w->fetching = 1;
	return 0;
}

static void
jwt_refresh_fire(struct gw_timer *t)
{
	struct jwt_worker *w = t->arg;

	if (jwt_start_fetch(w) == -1)
		gw_timer_start(w->r.loop, &w->refresh,
		    (uint64_t)GW_MAX(w->st->min_refresh_s, 1) * 1000000,
		    jwt_refresh_fire, w);
}

/* Take the next waiting request off w's list. */
static struct jwt_waiter *
jwt_waiter_pop(struct jwt_worker *w)
{
	struct jwt_waiter *wt = w->waiters;

	if (wt == NULL)
		return NULL;
	w->waiters = wt->next;
	if (wt->next != NULL)
		wt->next->prevp = &w->waiters;
	wt->next = NULL;
	wt->prevp = NULL;
	return wt;
}

static void
jwt_fetch_done(struct fetch *f, int status, struct gw_str body,
    const char *error)
{
	struct jwt_worker	*w = f->arg;
	struct jwt_state	*st = w->st;
	struct jwt_waiter	*wt;
	struct gw_keyset	*ks = NULL;
	struct gw_err		 err;
	uint64_t		 next = (uint64_t)st->refresh_s * 1000000;

	w->fetching = 0;
	if (error != NULL)
		gw_log_warnx("jwt: fetching '%s%s' failed: %s; keeping the "
		    "keys we have", st->url.base, st->url.path, error);
	else if (status != 200)
		gw_log_warnx("jwt: fetching '%s%s' gave status %d; keeping "
		    "the keys we have", st->url.base, st->url.path, status);
	else if (gw_keyset_parse_jwks(body.p == NULL ? "" : body.p, body.len,
	    "JWKS", &ks, NULL, &err) == -1)
		gw_log_warnx("jwt: the JWKS of '%s%s' is bad: %s; keeping the "
		    "keys we have", st->url.base, st->url.path, err.msg);
	else {
		gw_keyset_free(w->keys);
		w->keys = ks;
		gw_log_debug("jwt: %zu keys from '%s%s'", gw_keyset_len(ks),
		    st->url.base, st->url.path);
	}
	gw_buf_release(&f->body);
	if (ks == NULL)	/* try again sooner after a failure */
		next = (uint64_t)GW_MAX(st->min_refresh_s, 1) * 1000000;
	gw_timer_start(w->r.loop, &w->refresh, next, jwt_refresh_fire, w);
	/* every request that waited: check again, without another fetch */
	while ((wt = jwt_waiter_pop(w)) != NULL)
		gw_req_policy_resume(wt->req, jwt_check(wt->req, st, w,
		    gw_str_make(wt->token, wt->len), 0));
}

static void
jwt_waiter_abort(struct gw_req *req, void *arg)
{
	struct jwt_waiter *wt = arg;

	(void)req;
	if (wt->prevp != NULL) {
		*wt->prevp = wt->next;
		if (wt->next != NULL)
			wt->next->prevp = wt->prevp;
		wt->prevp = NULL;
	}
}

static enum gw_policy_rc
jwt_fetch_for(struct gw_req *req, struct jwt_state *st, struct jwt_worker *w,
    struct gw_str tok)
{
	struct gw_arena		*a = gw_req_arena(req);
	struct gw_loop		*loop = gw_req_loop(req);
	struct jwt_waiter	*wt;
	uint64_t		 now = gw_loop_now(loop);

	/* a kid we do not know: ask again, but not too often */
	if (!w->fetching && w->tried && now - w->fetched_at <
	    (uint64_t)st->min_refresh_s * 1000000) {
		if (jwt_no_keys(st, w))
			return jwt_keys_unavailable(req, st);
		log_refusal(req, &st->c, gw_jwt_why_name(GW_JWT_NO_KEY),
		    "no key has the token's kid (the JWKS was fetched "
		    "lately)");
		return refuse(req, &st->c, "Bearer", "invalid_token",
		    "the token is not valid");
	}
	if ((wt = gw_arena_calloc(a, 1, sizeof(*wt))) == NULL ||
	    (wt->token = gw_arena_strndup(a, tok.p, tok.len)) == NULL)
		return internal_error(req);
	wt->len = tok.len;
	wt->req = req;
	wt->w = w;
	if (jwt_start_fetch(w) == -1) {
		gw_timer_start(loop, &w->refresh,
		    (uint64_t)GW_MAX(st->min_refresh_s, 1) * 1000000,
		    jwt_refresh_fire, w);
		return jwt_check(req, st, w, tok, 0);
	}
	wt->next = w->waiters;
	if (wt->next != NULL)
		wt->next->prevp = &wt->next;
	wt->prevp = &w->waiters;
	w->waiters = wt;
	gw_req_on_abort(req, jwt_waiter_abort, wt);
	return GW_POLICY_WAIT;
}

static struct jwt_worker *
jwt_worker_of(const struct jwt_state *st, const struct gw_server *srv)
{
	struct jwt_worker *w;

	for (w = st->workers; w != NULL; w = w->next)
		if (w->srv == srv)
			break;
	return w;
}

static enum gw_policy_rc
jwt_request(struct gw_req *req, void *arg)
{
	struct jwt_state	*st = arg;
	struct gw_str		 tok = jwt_token(req, st);
	struct jwt_worker	*w;

	if (tok.p == NULL || tok.len == 0) {
		log_refusal(req, &st->c, "missing", "no bearer token");
		return refuse(req, &st->c, "Bearer", NULL,
		    "a bearer token is required");
	}
	if (!st->has_url)
		return jwt_check(req, st, NULL, tok, 0);
	if ((w = jwt_worker_of(st, gw_req_server(req))) == NULL) {
		gw_log_warnx("jwt: '%s%s': not started in this server",
		    st->url.base, st->url.path);
		return internal_error(req);
	}
	/* until the first fetch is over, every request waits for it */
	if (!w->tried || (w->fetching && w->keys == NULL))
		return jwt_fetch_for(req, st, w, tok);
	return jwt_check(req, st, w, tok, 1);
}

/*
 * A server starts: its client for the JWKS URL, and the first fetch, so
 * that the keys are usually there before the first request.
 */
static int
jwt_worker_start(void *arg, struct gw_server *srv, struct gw_err *err)
{
	struct jwt_state	*st = arg;
	struct jwt_worker	*w;

	if (!st->has_url || jwt_worker_of(st, srv) != NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (remote_open(&w->r, &st->url, gw_server_loop(srv), err) == -1) {
		free(w);
		return -1;
	}
	w->st = st;
	w->srv = srv;
	w->next = st->workers;
	st->workers = w;
	if (jwt_start_fetch(w) == -1)
		gw_timer_start(w->r.loop, &w->refresh,
		    (uint64_t)GW_MAX(st->min_refresh_s, 1) * 1000000,
		    jwt_refresh_fire, w);
	return 0;
}

static void
jwt_worker_stop(void *arg, struct gw_server *srv)
{
	struct jwt_state	*st = arg;
	struct jwt_worker	*w, **wp;
	struct jwt_waiter	*wt;

	for (wp = &st->workers; *wp != NULL; wp = &(*wp)->next)
		if ((*wp)->srv == srv)
			break;
	if ((w = *wp) == NULL)
		return;
	*wp = w->next;
	/* no callback of the fetch or the timer runs after this */
	if (w->fetching)
		fetch_cancel(&w->fetch);
	w->fetching = 0;
	gw_timer_stop(&w->refresh);
	/*
	 * A waiter ends with its request (jwt_waiter_abort), and the server
	 * ends every request before it stops its policies; one still here
	 * is answered rather than left to a worker that is gone.
	 */
	while ((wt = jwt_waiter_pop(w)) != NULL) {
		gw_authn_problem(wt->req, 503, "auth-unavailable", "the "
		    "token's keys cannot be fetched now", NULL, 0);
		gw_req_policy_resume(wt->req, GW_POLICY_DONE);
	}
	remote_close(&w->r);
	gw_keyset_free(w->keys);
	free(w);
}

const struct gw_policy_type gw_policy_jwt = {
	.name = "jwt",
	.parse = jwt_parse,
	.free = jwt_free,
	.worker_start = jwt_worker_start,
	.worker_stop = jwt_worker_stop,
	.request = jwt_request,
};

/* introspect. */

struct intro_entry {
	unsigned char	 h[GW_SHA256_LEN];
	uint64_t	 until;		/* loop time */
	int		 active;
	char		*json;		/* the answer, when active */
	size_t		 len;
};

struct intro_worker;

struct intro_state {
	struct common		 c;
	struct url		 url;
	struct intro_worker	*workers;	/* worker_start .. worker_stop */
	char			*client_auth;	/* "Basic base64(id:secret)" */
	uint32_t		 timeout_ms;
	uint32_t		 cache_max;
	uint32_t		 cache_s;
	uint32_t		 negative_cache_s;
	struct intro_entry	*cache;		/* per worker */
	pid_t			 cache_pid;
};

/* The client to the endpoint in one server (worker). */
struct intro_worker {
	struct intro_worker	*next;
	struct gw_server	*srv;
	struct remote		 r;
};

/* One call, in its request's arena (cancelled if the request ends). */
struct intro_call {
	struct gw_req		*req;
	struct intro_state	*st;
	struct fetch		 fetch;
	unsigned char		 h[GW_SHA256_LEN];
	char			*body;
};

static void
intro_free(void *arg)
{
	struct intro_state *st = arg;

	if (st == NULL)
		return;
	common_release(&st->c);
	/* what is left in st->workers is a parent's (see jwt_free) */
	url_release(&st->url);
	if (st->client_auth != NULL)
		explicit_bzero(st->client_auth, strlen(st->client_auth));
	free(st->client_auth);
	if (st->cache != NULL && st->cache_pid == getpid())
		for (size_t i = 0; i < st->cache_max; i++)
			free(st->cache[i].json);
	if (st->cache_pid == getpid())
		free(st->cache);
	free(st);
}

/* application/x-www-form-urlencoded for id and secret (RFC 6749 2.3.1). */
static int
form_encode(struct gw_buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (gw_buf_putc(b, c, NULL) == -1)
				return -1;
		} else if (gw_buf_printf(b, NULL, "%%%02X", c) == -1)
			return -1;
	}
	return 0;
}

static int
intro_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "url", "client_id",
	    "client_secret_file", "timeout_ms", "cache_max", "cache_s",
	    "negative_cache_s", "claims", "consumer_claim", "groups_claim",
	    "claim_headers", "forward", "consumer_header", "realm", NULL };
	struct intro_state	*st;
	struct gw_err		 err;
	char			*url = NULL, *id = NULL, *secret = NULL;
	size_t			 slen = 0;
	int			 rc = 0, r;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	rc |= common_parse(ck, v, "introspect", 1, &st->c);
	if ((r = gw_jcheck_str(ck, v, "url", &url)) == 0) {
		gw_jcheck_error(ck, parent, key, v, "\"url\" names the "
		    "introspection endpoint");
		rc = -1;
	} else if (r == 1 && url_parse(url, &st->url, &err) == -1) {
		report(ck, v, "url", "%s", err.msg);
		rc = -1;
	} else if (r == -1)
		rc = -1;
	free(url);
	if (gw_jcheck_str(ck, v, "client_id", &id) == -1)
		rc = -1;
	if ((r = policy_file(ck, v, "client_secret_file", 1, &secret, &slen,
	    NULL)) == -1)
		rc = -1;
	while (r == 1 && slen > 0 && (secret[slen - 1] == '\n' ||
	    secret[slen - 1] == '\r'))
		slen--;
	if (rc == 0 && id != NULL) {
		struct gw_buf	 b;
		char		*enc;

		gw_buf_init(&b, 0);
		if (form_encode(&b, id, strlen(id)) == -1 ||
		    gw_buf_putc(&b, ':', NULL) == -1 ||
		    (secret != NULL && form_encode(&b, secret, slen) == -1) ||
		    (enc = malloc(GW_B64_ENCODED_MAX(b.len))) == NULL)
			rc = -1;
		else {
			(void)gw_b64_encode(b.p, b.len, enc);
			if (asprintf(&st->client_auth, "Basic %s", enc) == -1) {
				st->client_auth = NULL;
				rc = -1;
			}
			explicit_bzero(enc, strlen(enc));
			free(enc);
		}
		if (b.p != NULL)
			explicit_bzero(b.p, b.len);
		gw_buf_release(&b);
	} else if (rc == 0 && secret != NULL) {
		report(ck, v, "client_secret_file", "a secret needs its "
		    "\"client_id\"");
		rc = -1;
	}
	if (secret != NULL)
		explicit_bzero(secret, slen);
	free(secret);
	free(id);
	st->timeout_ms = 2000;
	st->cache_max = 10000;
	st->cache_s = 300;
	st->negative_cache_s = 10;
	if (gw_jcheck_u32(ck, v, "timeout_ms", 1, 600000,
	    &st->timeout_ms) == -1 ||
	    gw_jcheck_u32(ck, v, "cache_max", 0, 10000000,
	    &st->cache_max) == -1 ||
	    gw_jcheck_u32(ck, v, "cache_s", 0, 86400, &st->cache_s) == -1 ||
	    gw_jcheck_u32(ck, v, "negative_cache_s", 0, 3600,
	    &st->negative_cache_s) == -1)
		rc = -1;
	if (rc != 0) {
		intro_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static struct intro_entry *
intro_slot(struct intro_state *st, const unsigned char *h)
{
	if (st->cache_max == 0)
		return NULL;
	if (st->cache_pid != getpid()) {
		st->cache = calloc(st->cache_max, sizeof(*st->cache));
		st->cache_pid = getpid();
	}
	if (st->cache == NULL)
		return NULL;
	{
		uint64_t v;

		memcpy(&v, h, sizeof(v));
		return &st->cache[v % st->cache_max];
	}
}

/* Apply an introspection answer: NEXT or DONE (answered). */
static enum gw_policy_rc
intro_apply(struct gw_req *req, struct intro_state *st, int active,
    const char *json, size_t len)
{
	struct gw_jdoc		*doc = NULL;
	struct gw_err		 err;
	enum gw_policy_rc	 rc;

	if (!active) {
		log_refusal(req, &st->c, "inactive", "the authorization "
		    "server says the token is not active");
		return refuse(req, &st->c, "Bearer", "invalid_token",
		    "the token is not valid");
	}
	if (gw_jdoc_parse(json, len, "introspection", 0, &doc, &err) == -1)
		return internal_error(req);
	if (!st->c.forward)
		gw_req_header_del(req, "authorization");
	rc = set_identity(req, &st->c, GW_STR_NULL, GW_STR_NULL,
	    gw_jdoc_root(doc), gw_str_make(json, len)) == -1 ?
	    internal_error(req) : GW_POLICY_NEXT;
	gw_jdoc_free(doc);
	return rc;
}

static void
intro_call_abort(struct gw_req *req, void *arg)
{
	struct intro_call *c = arg;

	(void)req;
	fetch_cancel(&c->fetch);
}

static void
intro_done(struct fetch *f, int status, struct gw_str body, const char *error)
{
	struct intro_call	*c = f->arg;
	struct intro_state	*st = c->st;
	struct gw_req		*req = c->req;
	struct gw_jdoc		*doc = NULL;
	struct gw_err		 err;
	struct json_object	*root, *v;
	struct intro_entry	*e;
	int			 active;
	uint64_t		 now = gw_loop_now(gw_req_loop(req)), ttl;
	double			 exp;

	explicit_bzero(c->body, strlen(c->body));
	if (error != NULL || status != 200 ||
	    gw_jdoc_parse(body.p == NULL ? "" : body.p, body.len,
	    "introspection", 0, &doc, &err) == -1 ||
	    gw_jv_type(root = gw_jdoc_root(doc)) != GW_JT_OBJECT ||
	    !gw_jv_get(root, "active", &v) || gw_jv_type(v) != GW_JT_BOOL) {
		gw_log_warnx("introspect: '%s%s': %s", st->url.base,
		    st->url.path, error != NULL ? error : status != 200 ?
		    "not status 200" : "not an introspection answer");
		gw_jdoc_free(doc);
		gw_buf_release(&f->body);
		gw_authn_problem(req, 503, "auth-unavailable", "the token "
		    "cannot be checked now", NULL, 0);
		gw_req_policy_resume(req, GW_POLICY_DONE);
		return;
	}
	active = gw_jv_bool(v);
	/* cached no longer than the token lives, nor than cache_s */
	ttl = active ? (uint64_t)st->cache_s * 1000000 :
	    (uint64_t)st->negative_cache_s * 1000000;
	if (active && gw_jv_get(root, "exp", &v) &&
	    (gw_jv_type(v) == GW_JT_INT || gw_jv_type(v) == GW_JT_DOUBLE)) {
		exp = gw_jv_double(v) - (double)time(NULL);
		if (exp <= 0)
			active = 0;	/* an expired token is not active */
		else if (exp * 1e6 < (double)ttl)
			ttl = (uint64_t)(exp * 1e6);
	}
	if (ttl > 0 && (e = intro_slot(st, c->h)) != NULL) {
		free(e->json);
		e->json = NULL;
		memcpy(e->h, c->h, sizeof(e->h));
		e->active = active;
		e->until = now + ttl;
		e->len = body.len;
		if (active && (e->json = malloc(body.len + 1)) != NULL) {
			memcpy(e->json, body.p, body.len);
			e->json[body.len] = '\0';
		} else if (active)
			e->until = 0;
	}
	gw_jdoc_free(doc);
	gw_req_policy_resume(req, intro_apply(req, st, active, body.p,
	    body.len));
	gw_buf_release(&f->body);
}

static struct intro_worker *
intro_worker_of(const struct intro_state *st, const struct gw_server *srv)
{
	struct intro_worker *w;

	for (w = st->workers; w != NULL; w = w->next)
		if (w->srv == srv)
			break;
	return w;
}

static enum gw_policy_rc
intro_request(struct gw_req *req, void *arg)
{
	struct intro_state	*st = arg;
	struct gw_str		 tok = authorization(req, "Bearer");
	struct gw_loop		*loop = gw_req_loop(req);
	struct gw_arena		*a = gw_req_arena(req);
	struct intro_worker	*w;
	struct intro_call	*c;
	struct intro_entry	*e;
	struct gw_err		 err;
	struct gw_buf		 b;
	unsigned char		 h[GW_SHA256_LEN];

	if (tok.p == NULL || tok.len == 0) {
		log_refusal(req, &st->c, "missing", "no bearer token");
		return refuse(req, &st->c, "Bearer", NULL,
		    "a bearer token is required");
	}
	if (tok.len > GW_JWT_MAX_BYTES) {
		log_refusal(req, &st->c, "malformed", "token too long");
		return refuse(req, &st->c, "Bearer", "invalid_token",
		    "the token is not valid");
	}
	gw_sha256(tok.p, tok.len, h);
	if ((e = intro_slot(st, h)) != NULL && e->until > gw_loop_now(loop) &&
	    gw_ct_eq(e->h, h, sizeof(h)))
		return intro_apply(req, st, e->active, e->json, e->len);
	if ((w = intro_worker_of(st, gw_req_server(req))) == NULL) {
		gw_log_warnx("introspect: '%s%s': not started in this server",
		    st->url.base, st->url.path);
		return internal_error(req);
	}
	if ((c = gw_arena_calloc(a, 1, sizeof(*c))) == NULL)
		return internal_error(req);
	c->req = req;
	c->st = st;
	memcpy(c->h, h, sizeof(h));
	gw_buf_init(&b, 0);
	if (gw_buf_puts(&b, "token=", NULL) == -1 ||
	    form_encode(&b, tok.p, tok.len) == -1 ||
	    gw_buf_puts(&b, "&token_type_hint=access_token", NULL) == -1 ||
	    (c->body = gw_arena_strndup(a, b.p, b.len)) == NULL) {
		gw_buf_release(&b);
		return internal_error(req);
	}
	explicit_bzero(b.p, b.len);
	gw_buf_release(&b);
	if (fetch_start(&c->fetch, loop, w->r.pool, &st->url, c->body,
	    st->client_auth, st->timeout_ms, intro_done, c, &err) == -1) {
		gw_log_warnx("introspect: cannot call '%s': %s", st->url.base,
		    err.msg);
		gw_authn_problem(req, 503, "auth-unavailable", "the token "
		    "cannot be checked now", NULL, 0);
		return GW_POLICY_DONE;
	}
	gw_req_on_abort(req, intro_call_abort, c);
	return GW_POLICY_WAIT;
}

static int
intro_worker_start(void *arg, struct gw_server *srv, struct gw_err *err)
{
	struct intro_state	*st = arg;
	struct intro_worker	*w;

	if (intro_worker_of(st, srv) != NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if (remote_open(&w->r, &st->url, gw_server_loop(srv), err) == -1) {
		free(w);
		return -1;
	}
	w->srv = srv;
	w->next = st->workers;
	st->workers = w;
	return 0;
}

/*
 * A call belongs to its request, which cancels it when it ends
 * (intro_call_abort): by the time the server stops its policies none is
 * left, and only the client goes.
 */
static void
intro_worker_stop(void *arg, struct gw_server *srv)
{
	struct intro_state	*st = arg;
	struct intro_worker	*w, **wp;

	for (wp = &st->workers; *wp != NULL; wp = &(*wp)->next)
		if ((*wp)->srv == srv)
			break;
	if ((w = *wp) == NULL)
		return;
	*wp = w->next;
	remote_close(&w->r);
	free(w);
}

const struct gw_policy_type gw_policy_introspect = {
	.name = "introspect",
	.parse = intro_parse,
	.free = intro_free,
	.worker_start = intro_worker_start,
	.worker_stop = intro_worker_stop,
	.request = intro_request,
};
