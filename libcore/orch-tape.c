/*
 * orch-tape.c: recording calls and their answers, and answering calls from
 * the recordings.
 *
 * One recording per distinct call, in a file of its own named after the
 * step and a hash of the call: DIR/price-0123456789abcdef.json.  A call is
 * known by its step, method, service (when the step names one), target
 * (path and query) and body: the host and port are left out, so that
 * recordings made against one set of servers answer the same script run
 * against another.  Fields of the call are not part of it (request ids
 * differ from run to run).  The file says what was sent and what came back:
 *
 *	{ "step": "price", "index": 0,
 *	  "request": { "method": "GET", "url": "http://h:1/p/1",
 *	               "target": "/p/1", "body": "" },
 *	  "response": { "status": 200,
 *	                "headers": [ ["Content-Type", "application/json"] ],
 *	                "body": "{\"amount\":12}" } }
 *
 * or "error": "why" instead of "response" for a call that got no answer.
 * Bodies that are not UTF-8 are written as "body_base64".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "log.h"
#include "orch-int.h"
#include "orch.h"
#include "str.h"

/* The largest recording file, bytes: an answer of the largest size. */
#define MAX_RECORDING	(2 * ORCH_MAX_MAX_BYTES + 64 * 1024)
/* Recordings in one directory. */
#define MAX_RECORDINGS	100000

struct entry {
	uint64_t		 hash;
	struct orch_exchange	 x;
};

struct gw_orch_tape {
	struct gw_arena		*arena;
	struct entry		*e;
	size_t			 n;
};

/* Keys. */

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
key_hash(const struct orch_exchange *x)
{
	uint64_t h = 14695981039346656037ULL;

	h = fnv(h, x->step, strlen(x->step) + 1);
	h = fnv(h, x->method.p, x->method.len);
	h = fnv(h, "", 1);
	if (x->service != NULL)
		h = fnv(h, x->service, strlen(x->service));
	h = fnv(h, "", 1);
	h = fnv(h, x->target.p, x->target.len);
	h = fnv(h, "", 1);
	return fnv(h, x->body.p, x->body.len);
}

static int
same_call(const struct orch_exchange *a, const struct orch_exchange *b)
{
	if (strcmp(a->step, b->step) != 0 || !gw_str_eq(a->method, b->method) ||
	    !gw_str_eq(a->target, b->target) || !gw_str_eq(a->body, b->body))
		return 0;
	if (a->service == NULL || b->service == NULL)
		return a->service == b->service;
	return strcmp(a->service, b->service) == 0;
}

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

const struct orch_exchange *
orch_tape_find(const struct gw_orch_tape *t, const struct orch_exchange *x)
{
	uint64_t	h = key_hash(x);
	size_t		lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->e[lo].hash == h; lo++)
		if (same_call(&t->e[lo].x, x))
			return &t->e[lo].x;
	return NULL;
}

/* Base64 (RFC 4648), for bodies that are not UTF-8. */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_encode(struct gw_buf *out, const unsigned char *p, size_t len,
    struct gw_err *err)
{
	for (size_t i = 0; i < len; i += 3) {
		unsigned	v = (unsigned)p[i] << 16;
		char		q[4];

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		if (gw_buf_append(out, q, 4, err) == -1)
			return -1;
	}
	return 0;
}

static int
b64_val(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

/* Decode strictly (padding required); -1 if s is not base64. */
static int
b64_decode(struct gw_arena *a, const char *s, size_t len, struct gw_str *out)
{
	unsigned char	*d;
	size_t		 k = 0;

	if (len % 4 != 0)
		return -1;
	if ((d = gw_arena_alloc(a, len / 4 * 3 + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int		v[4];
		unsigned	w;

		for (int j = 0; j < 4; j++) {
			v[j] = s[i + j] == '=' && i + 4 == len && j >= 2 ? 0 :
			    b64_val((unsigned char)s[i + j]);
			if (v[j] == -1)
				return -1;
		}
		if (s[i + 2] == '=' && s[i + 3] != '=')
			return -1;
		w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
		    (unsigned)v[2] << 6 | (unsigned)v[3];
		d[k++] = (unsigned char)(w >> 16);
		if (s[i + 2] != '=')
			d[k++] = (unsigned char)(w >> 8);
		if (s[i + 3] != '=')
			d[k++] = (unsigned char)w;
	}
	d[k] = '\0';
	*out = gw_str_make((const char *)d, k);
	return 0;
}

/* Writing. */

static int
put_json_str(struct gw_buf *b, const char *p, size_t len, struct gw_err *err)
{
	if (gw_buf_putc(b, '"', err) == -1 ||
	    gw_json_escape_append(b, p, len, err) == -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

static int
put_body(struct gw_buf *b, const char *key, struct gw_str body,
    struct gw_err *err)
{
	if (orch_utf8_valid(body.p, body.len))
		return gw_buf_printf(b, err, ",\n    \"%s\": ", key) == -1 ||
		    put_json_str(b, body.p, body.len, err) == -1 ? -1 : 0;
	if (gw_buf_printf(b, err, ",\n    \"%s_base64\": \"", key) == -1 ||
	    b64_encode(b, (const unsigned char *)body.p, body.len, err) == -1)
		return -1;
	return gw_buf_putc(b, '"', err);
}

static int
serialize(const struct orch_exchange *x, struct gw_buf *b, struct gw_err *err)
{
	if (gw_buf_puts(b, "{\n  \"step\": ", err) == -1 ||
	    put_json_str(b, x->step, strlen(x->step), err) == -1 ||
	    gw_buf_printf(b, err, ",\n  \"index\": %zu,\n  \"request\": {\n"
	    "    \"method\": ", x->index) == -1 ||
	    put_json_str(b, x->method.p, x->method.len, err) == -1)
		return -1;
	if (x->service != NULL && (gw_buf_puts(b, ",\n    \"service\": ",
	    err) == -1 || put_json_str(b, x->service, strlen(x->service),
	    err) == -1))
		return -1;
	if (gw_buf_puts(b, ",\n    \"url\": ", err) == -1 ||
	    put_json_str(b, x->url, strlen(x->url), err) == -1 ||
	    gw_buf_puts(b, ",\n    \"target\": ", err) == -1 ||
	    put_json_str(b, x->target.p, x->target.len, err) == -1 ||
	    put_body(b, "body", x->body, err) == -1 ||
	    gw_buf_puts(b, "\n  },\n", err) == -1)
		return -1;
	if (x->failed)
		return gw_buf_puts(b, "  \"error\": ", err) == -1 ||
		    put_json_str(b, x->error, strlen(x->error), err) == -1 ||
		    gw_buf_puts(b, "\n}\n", err) == -1 ? -1 : 0;
	if (gw_buf_printf(b, err, "  \"response\": {\n    \"status\": %d,\n"
	    "    \"headers\": [", x->status) == -1)
		return -1;
	for (size_t i = 0, n = 0; i < x->nheaders; i++) {
		/* the framing was the connection's: leave it out */
		if (gw_str_caseeq_cstr(x->headers[i].name, "content-length") ||
		    gw_http_is_hop_by_hop(x->headers[i].name))
			continue;
		if (gw_buf_puts(b, n++ > 0 ? ",\n      [" : "\n      [", err) ==
		    -1 || put_json_str(b, x->headers[i].name.p,
		    x->headers[i].name.len, err) == -1 ||
		    gw_buf_puts(b, ", ", err) == -1 ||
		    put_json_str(b, x->headers[i].value.p,
		    x->headers[i].value.len, err) == -1 ||
		    gw_buf_putc(b, ']', err) == -1)
			return -1;
	}
	if (gw_buf_puts(b, b->p[b->len - 1] == '[' ? "]" : "\n    ]", err) ==
	    -1 ||
	    put_body(b, "body", x->rbody, err) == -1)
		return -1;
	return gw_buf_puts(b, "\n  }\n}\n", err);
}

int
orch_tape_write(const char *dir, const struct orch_exchange *x,
    struct gw_err *err)
{
	struct gw_buf	 b;
	char		 path[4096], tmp[4200];
	int		 fd = -1, rc = -1, n;

	gw_buf_init(&b, 0);
	n = snprintf(path, sizeof(path), "%s/%s-%016llx.json", dir, x->step,
	    (unsigned long long)key_hash(x));
	if (n < 0 || (size_t)n >= sizeof(path)) {
		gw_err_set(err, GW_E_INVAL, "directory name too long");
		goto out;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (serialize(x, &b, err) == -1)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		gw_err_sys(err, "cannot create '%s'", tmp);
		goto out;
	}
	if (gw_log_write_all(fd, b.p, b.len) == -1) {
		gw_err_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		gw_err_sys(err, "cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		gw_err_sys(err, "cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		(void)close(fd);
	if (rc == -1)
		(void)unlink(tmp);
	gw_buf_release(&b);
	return rc;
}

/* Reading. */

static void
jdoc_free(void *d)
{
	gw_jdoc_free(d);
}

/* A string member (bytes, NUL allowed): 1, 0 absent, -1 reported. */
static int
get_bytes(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, struct gw_str *out)
{
	struct json_object	*v;
	const char		*s;
	size_t			 len, old;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	if ((s = gw_jv_str(v, &len)) == NULL) {
		old = gw_jcheck_push_key(ck, key);
		gw_jcheck_error(ck, obj, key, v, "expected a string, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		gw_jcheck_pop(ck, old);
		return -1;
	}
	*out = gw_str_make(s, len);
	return 1;
}

/* A name-like string member: no NUL byte. */
static int
get_cstr(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const char **out)
{
	struct gw_str	s;
	int		rc;
	size_t		old;

	if ((rc = get_bytes(ck, obj, key, &s)) != 1)
		return rc;
	if (strlen(s.p) != s.len) {
		struct json_object *v;

		(void)gw_jv_get(obj, key, &v);
		old = gw_jcheck_push_key(ck, key);
		gw_jcheck_error(ck, obj, key, v, "NUL byte in string");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	*out = s.p;
	return 1;
}

/* "body" or "body_base64" of obj. */
static int
get_body(struct gw_jcheck *ck, struct gw_arena *a,
    const struct json_object *obj, struct gw_str *out)
{
	struct gw_str	 s;
	int		 rc;

	*out = GW_STR("");
	if ((rc = get_bytes(ck, obj, "body", out)) != 0) {
		if (rc == 1 && gw_jv_get(obj, "body_base64", NULL)) {
			gw_jcheck_error(ck, obj, "body_base64", NULL, "give "
			    "\"body\" or \"body_base64\", not both");
			return -1;
		}
		return rc;
	}
	if ((rc = get_bytes(ck, obj, "body_base64", &s)) != 1)
		return rc;
	if (b64_decode(a, s.p, s.len, out) == -1) {
		struct json_object *v;
		size_t old = gw_jcheck_push_key(ck, "body_base64");

		(void)gw_jv_get(obj, "body_base64", &v);
		gw_jcheck_error(ck, obj, "body_base64", v, "not base64");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	return 1;
}

static void
parse_headers(struct gw_jcheck *ck, struct gw_arena *a,
    const struct json_object *resp, struct orch_exchange *x)
{
	struct json_object	*hv;
	struct gw_http_header	*h;
	size_t			 n, old;

	if (!gw_jv_get(resp, "headers", &hv))
		return;
	old = gw_jcheck_push_key(ck, "headers");
	if (gw_jv_type(hv) != GW_JT_ARRAY) {
		gw_jcheck_error(ck, resp, "headers", hv, "expected an array of "
		    "[name, value] pairs");
		gw_jcheck_pop(ck, old);
		return;
	}
	n = gw_jv_len(hv);
	if (n > GW_MAX_HEADERS) {
		gw_jcheck_error(ck, resp, "headers", hv, "more than %d fields",
		    GW_MAX_HEADERS);
		gw_jcheck_pop(ck, old);
		return;
	}
	if ((h = gw_arena_calloc(a, n + 1, sizeof(*h))) == NULL) {
		gw_jcheck_error(ck, resp, "headers", hv, "out of memory");
		gw_jcheck_pop(ck, old);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object	*pair = gw_jv_at(hv, i);
		const char		*nm, *val;
		size_t			 nl, vl, o2;

		o2 = gw_jcheck_push_index(ck, i);
		if (gw_jv_type(pair) != GW_JT_ARRAY || gw_jv_len(pair) != 2 ||
		    (nm = gw_jv_str(gw_jv_at(pair, 0), &nl)) == NULL ||
		    (val = gw_jv_str(gw_jv_at(pair, 1), &vl)) == NULL) {
			gw_jcheck_error(ck, hv, NULL, pair, "expected a [name, "
			    "value] pair of strings");
			gw_jcheck_pop(ck, o2);
			continue;
		}
		h[x->nheaders].name = gw_str_make(nm, nl);
		h[x->nheaders].value = gw_str_make(val, vl);
		x->nheaders++;
		gw_jcheck_pop(ck, o2);
	}
	x->headers = h;
	gw_jcheck_pop(ck, old);
}

int
orch_tape_parse_one(struct gw_arena *a, const char *buf, size_t len,
    const char *origin, struct orch_exchange *x, struct gw_err *err)
{
	static const char *const rec_keys[] = { "step", "index", "request",
	    "response", "error", NULL };
	static const char *const req_keys[] = { "method", "service", "url",
	    "target", "body", "body_base64", NULL };
	static const char *const resp_keys[] = { "status", "headers", "body",
	    "body_base64", NULL };
	struct gw_jdoc		*d;
	struct gw_jcheck	*ck;
	struct json_object	*root, *rq, *rs;
	const char		*rep, *nl, *s;
	size_t			 rlen, old;
	uint64_t		 u;
	int			 rc = -1;

	memset(x, 0, sizeof(*x));
	if (gw_jdoc_parse(buf, len, origin, 0, &d, err) == -1)
		return -1;
	if (gw_arena_defer(a, jdoc_free, d) == -1)
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	if ((ck = gw_jcheck_new(d, NULL, err)) == NULL)
		return -1;
	root = gw_jdoc_root(d);
	if (gw_jcheck_object(ck, NULL, NULL, root, rec_keys) == -1)
		goto report;
	if (get_cstr(ck, root, "step", &x->step) == 0)
		gw_jcheck_error(ck, NULL, NULL, root, "no \"step\"");
	if (gw_jcheck_u64(ck, root, "index", 0, ORCH_MAX_ITEMS, &u) == 1)
		x->index = (size_t)u;
	if (!gw_jv_get(root, "request", &rq)) {
		gw_jcheck_error(ck, NULL, NULL, root, "no \"request\"");
		goto report;
	}
	old = gw_jcheck_push_key(ck, "request");
	if (gw_jcheck_object(ck, root, "request", rq, req_keys) == 0) {
		if (get_cstr(ck, rq, "method", &s) == 1)
			x->method = gw_str_cstr(s);
		else
			gw_jcheck_error(ck, root, "request", rq,
			    "no \"method\"");
		(void)get_cstr(ck, rq, "service", &x->service);
		if (get_cstr(ck, rq, "url", &x->url) != 1)
			x->url = "";
		if (get_bytes(ck, rq, "target", &x->target) != 1)
			gw_jcheck_error(ck, root, "request", rq,
			    "no \"target\"");
		(void)get_body(ck, a, rq, &x->body);
	}
	gw_jcheck_pop(ck, old);
	if (gw_jv_get(root, "error", NULL)) {
		x->failed = 1;
		if (get_cstr(ck, root, "error", &x->error) == 1 &&
		    gw_jv_get(root, "response", NULL))
			gw_jcheck_error(ck, root, "response", NULL, "give "
			    "\"response\" or \"error\", not both");
	} else if (gw_jv_get(root, "response", &rs)) {
		old = gw_jcheck_push_key(ck, "response");
		if (gw_jcheck_object(ck, root, "response", rs, resp_keys) ==
		    0) {
			if (gw_jcheck_u64(ck, rs, "status", 100, 599, &u) == 1)
				x->status = (int)u;
			else if (!gw_jv_get(rs, "status", NULL))
				gw_jcheck_error(ck, root, "response", rs,
				    "no \"status\"");
			parse_headers(ck, a, rs, x);
			(void)get_body(ck, a, rs, &x->rbody);
		}
		gw_jcheck_pop(ck, old);
	} else
		gw_jcheck_error(ck, NULL, NULL, root, "no \"response\" and no "
		    "\"error\"");
 report:
	if (gw_jcheck_nerrors(ck) == 0)
		rc = 0;
	else {
		rep = gw_jcheck_report(ck, &rlen);
		nl = memchr(rep, '\n', rlen);
		gw_err_set(err, GW_E_PROTO, "%.*s", (int)(nl != NULL ?
		    (size_t)(nl - rep) : rlen), rep);
	}
	gw_jcheck_free(ck);
	return rc;
}

static int
read_file(const char *path, struct gw_buf *b, struct gw_err *err)
{
	char	chunk[65536];
	FILE	*fp;
	size_t	n;
	int	rc = -1;

	if ((fp = fopen(path, "rb")) == NULL)
		return gw_err_sys(err, "cannot open '%s'", path);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (gw_buf_append(b, chunk, n, err) == -1) {
			gw_err_set(err, GW_E_LIMIT, "'%s' is too large", path);
			goto out;
		}
	if (ferror(fp)) {
		gw_err_sys(err, "cannot read '%s'", path);
		goto out;
	}
	rc = 0;
 out:
	fclose(fp);
	return rc;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int
gw_orch_tape_load(const char *dir, struct gw_orch_tape **out,
    struct gw_err *err)
{
	struct gw_orch_tape	*t;
	DIR			*d = NULL;
	struct dirent		*de;
	struct gw_buf		 b;
	size_t			 cap = 0;
	int			 rc = -1;

	*out = NULL;
	gw_buf_init(&b, MAX_RECORDING);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->arena = gw_arena_new(0)) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		gw_err_sys(err, "cannot open '%s'", dir);
		if (err->sys_errno == ENOENT)
			err->code = GW_E_NOTFOUND;
		goto out;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		char	*path;
		struct entry *e;

		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".json"))
			continue;
		if (t->n == MAX_RECORDINGS) {
			gw_err_set(err, GW_E_LIMIT, "'%s' holds more than %d "
			    "recordings", dir, MAX_RECORDINGS);
			goto out;
		}
		if (t->n == cap) {
			size_t	ncap = cap == 0 ? 64 : cap * 2;
			struct entry *ne = realloc(t->e, ncap * sizeof(*ne));

			if (ne == NULL) {
				gw_err_set(err, GW_E_NOMEM, "out of memory");
				goto out;
			}
			t->e = ne;
			cap = ncap;
		}
		if ((path = gw_arena_printf(t->arena, "%s/%s", dir,
		    de->d_name)) == NULL) {
			gw_err_set(err, GW_E_NOMEM, "out of memory");
			goto out;
		}
		gw_buf_reset(&b);
		if (read_file(path, &b, err) == -1)
			goto out;
		e = &t->e[t->n];
		if (orch_tape_parse_one(t->arena, b.p == NULL ? "" : b.p, b.len,
		    path, &e->x, err) == -1)
			goto out;
		e->hash = key_hash(&e->x);
		t->n++;
	}
	if (errno != 0) {
		gw_err_sys(err, "cannot read '%s'", dir);
		goto out;
	}
	if (t->n > 0)
		qsort(t->e, t->n, sizeof(*t->e), entry_cmp);
	*out = t;
	t = NULL;
	rc = 0;
 out:
	if (d != NULL)
		closedir(d);
	gw_buf_release(&b);
	gw_orch_tape_free(t);
	return rc;
}

void
gw_orch_tape_free(struct gw_orch_tape *t)
{
	if (t == NULL)
		return;
	gw_arena_free(t->arena);
	free(t->e);
	free(t);
}

size_t
gw_orch_tape_count(const struct gw_orch_tape *t)
{
	return t->n;
}
