/*
 * jcheck.c: typed look-ups in a JSON document, with every error collected.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "jcheck.h"
#include "json.h"
#include "str.h"

#define MAX_ERRORS	100

struct gw_jcheck {
	struct gw_jdoc	*doc;
	char		 dir[PATH_MAX];
	struct gw_buf	 errs;
	int		 nerr;
	char		 path[1024];
	size_t		 plen;
};

struct gw_jcheck *
gw_jcheck_new(struct gw_jdoc *doc, const char *dir, struct gw_err *err)
{
	struct gw_jcheck	*ck;
	const char		*origin = gw_jdoc_origin(doc), *slash;

	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	ck->doc = doc;
	gw_buf_init(&ck->errs, 256 * 1024);
	if (dir != NULL)
		(void)snprintf(ck->dir, sizeof(ck->dir), "%s", dir);
	else if ((slash = strrchr(origin, '/')) != NULL)
		(void)snprintf(ck->dir, sizeof(ck->dir), "%.*s",
		    (int)(slash - origin), origin);
	else
		(void)snprintf(ck->dir, sizeof(ck->dir), ".");
	if (ck->dir[0] == '\0')
		(void)snprintf(ck->dir, sizeof(ck->dir), "/");
	return ck;
}

void
gw_jcheck_free(struct gw_jcheck *ck)
{
	if (ck == NULL)
		return;
	gw_buf_release(&ck->errs);
	free(ck);
}

int
gw_jcheck_nerrors(const struct gw_jcheck *ck)
{
	return ck->nerr;
}

const char *
gw_jcheck_report(const struct gw_jcheck *ck, size_t *len)
{
	if (len != NULL)
		*len = ck->errs.len;
	return ck->errs.len > 0 ? ck->errs.p : "";
}

struct gw_jdoc *
gw_jcheck_doc(const struct gw_jcheck *ck)
{
	return ck->doc;
}

const char *
gw_jcheck_dir(const struct gw_jcheck *ck)
{
	return ck->dir;
}

size_t
gw_jcheck_push_key(struct gw_jcheck *ck, const char *key)
{
	size_t	old = ck->plen;
	int	n;

	n = snprintf(ck->path + ck->plen, sizeof(ck->path) - ck->plen, "%s%s",
	    ck->plen > 0 ? "." : "", key);
	if (n > 0 && (size_t)n < sizeof(ck->path) - ck->plen)
		ck->plen += (size_t)n;
	else
		ck->path[ck->plen] = '\0';
	return old;
}

size_t
gw_jcheck_push_index(struct gw_jcheck *ck, size_t i)
{
	size_t	old = ck->plen;
	int	n;

	n = snprintf(ck->path + ck->plen, sizeof(ck->path) - ck->plen,
	    "[%zu]", i);
	if (n > 0 && (size_t)n < sizeof(ck->path) - ck->plen)
		ck->plen += (size_t)n;
	else
		ck->path[ck->plen] = '\0';
	return old;
}

void
gw_jcheck_pop(struct gw_jcheck *ck, size_t mark)
{
	ck->plen = mark;
	ck->path[mark] = '\0';
}

const char *
gw_jcheck_path(const struct gw_jcheck *ck)
{
	return ck->plen > 0 ? ck->path : "(top)";
}

/*
 * Append s with its control bytes escaped: names and values in messages
 * come from the file, and one error must stay one line (a key holding
 * "\n" and a forged "file:1:1: ..." must not make a second one, nor an
 * escape sequence reach a terminal).
 */
static void
put_clean(struct gw_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			(void)gw_buf_printf(b, NULL, "\\x%02x", c);
		else
			(void)gw_buf_putc(b, c, NULL);
	}
}

void
gw_jcheck_error(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, const char *fmt, ...)
{
	unsigned	 line = 0, col = 0;
	va_list		 ap;
	char		 msg[768];
	const char	*origin = gw_jdoc_origin(ck->doc);

	if (++ck->nerr > MAX_ERRORS)
		return;
	if ((v == NULL || gw_jdoc_pos(ck->doc, v, &line, &col) == -1) &&
	    (parent == NULL || key == NULL ||
	    gw_jdoc_key_pos(ck->doc, parent, key, &line, &col) == -1) &&
	    (parent == NULL || gw_jdoc_pos(ck->doc, parent, &line, &col) == -1))
		line = col = 0;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	put_clean(&ck->errs, origin);
	if (line > 0)
		(void)gw_buf_printf(&ck->errs, NULL, ":%u:%u", line, col);
	(void)gw_buf_puts(&ck->errs, ": ", NULL);
	put_clean(&ck->errs, gw_jcheck_path(ck));
	(void)gw_buf_puts(&ck->errs, ": ", NULL);
	put_clean(&ck->errs, msg);
	(void)gw_buf_putc(&ck->errs, '\n', NULL);
	if (ck->nerr == MAX_ERRORS) {
		put_clean(&ck->errs, origin);
		(void)gw_buf_puts(&ck->errs, ": too many errors; stopping\n",
		    NULL);
	}
}

const char *
gw_jcheck_closest(const char *word, const char *const *list)
{
	const char	*best = NULL;
	size_t		 bd = 3;

	for (size_t i = 0; list[i] != NULL; i++) {
		size_t d = gw_str_distance(word, list[i], 2);

		if (d < bd) {
			bd = d;
			best = list[i];
		}
	}
	return best;
}

int
gw_jcheck_object(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, const char *const *allowed)
{
	struct gw_jv_iter	 it;
	const char		*k;
	struct json_object	*val;

	if (gw_jv_type(v) != GW_JT_OBJECT) {
		gw_jcheck_error(ck, parent, key, v,
		    "expected an object, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		return -1;
	}
	gw_jv_iter_init(&it, v);
	while (gw_jv_iter_next(&it, &k, &val)) {
		const char	*sug;
		size_t		 i, old;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		old = gw_jcheck_push_key(ck, k);
		if ((sug = gw_jcheck_closest(k, allowed)) != NULL)
			gw_jcheck_error(ck, v, k, NULL, "unknown key '%s'; did "
			    "you mean '%s'?", k, sug);
		else
			gw_jcheck_error(ck, v, k, NULL, "unknown key '%s'", k);
		gw_jcheck_pop(ck, old);
	}
	return 0;
}

int
gw_jcheck_str(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, char **out)
{
	struct json_object	*v;
	const char		*s;
	size_t			 len, old;
	int			 rc = 1;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	old = gw_jcheck_push_key(ck, key);
	if (gw_jv_type(v) != GW_JT_STRING) {
		gw_jcheck_error(ck, obj, key, v, "expected a string, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		rc = -1;
	} else {
		s = gw_jv_str(v, &len);
		if (strlen(s) != len) {
			gw_jcheck_error(ck, obj, key, v, "NUL byte in string");
			rc = -1;
		} else if ((*out = strdup(s)) == NULL) {
			gw_jcheck_error(ck, obj, key, v, "out of memory");
			rc = -1;
		}
	}
	gw_jcheck_pop(ck, old);
	return rc;
}

int
gw_jcheck_u64(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	struct json_object	*v;
	size_t			 old;
	int			 rc = 1;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	old = gw_jcheck_push_key(ck, key);
	if (gw_jv_type(v) != GW_JT_INT) {
		gw_jcheck_error(ck, obj, key, v, "expected an integer, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		rc = -1;
	} else if (gw_jv_int(v) < 0 || (uint64_t)gw_jv_int(v) < min ||
	    (uint64_t)gw_jv_int(v) > max) {
		gw_jcheck_error(ck, obj, key, v, "must be from %llu to %llu",
		    (unsigned long long)min, (unsigned long long)max);
		rc = -1;
	} else
		*out = (uint64_t)gw_jv_int(v);
	gw_jcheck_pop(ck, old);
	return rc;
}

int
gw_jcheck_u32(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t	v;
	int		rc;

	if ((rc = gw_jcheck_u64(ck, obj, key, min, max, &v)) == 1)
		*out = (uint32_t)v;
	return rc;
}

int
gw_jcheck_bool(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, int *out)
{
	struct json_object	*v;
	size_t			 old;

	if (!gw_jv_get(obj, key, &v))
		return 0;
	if (gw_jv_type(v) != GW_JT_BOOL) {
		old = gw_jcheck_push_key(ck, key);
		gw_jcheck_error(ck, obj, key, v,
		    "expected true or false, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		gw_jcheck_pop(ck, old);
		return -1;
	}
	*out = gw_jv_bool(v);
	return 1;
}

int
gw_jcheck_enum(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, const char *const *words, int *out)
{
	struct json_object	*v;
	char			*s = NULL, list[256];
	size_t			 old, o = 0;
	int			 rc;

	if ((rc = gw_jcheck_str(ck, obj, key, &s)) != 1)
		return rc;
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0) {
			*out = i;
			free(s);
			return 1;
		}
	list[0] = '\0';
	for (int i = 0; words[i] != NULL && o < sizeof(list); i++) {
		int n = snprintf(list + o, sizeof(list) - o, "%s%s",
		    i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ",
		    words[i]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	(void)gw_jv_get(obj, key, &v);
	old = gw_jcheck_push_key(ck, key);
	gw_jcheck_error(ck, obj, key, v, "unknown value '%s': expected %s", s,
	    list);
	gw_jcheck_pop(ck, old);
	free(s);
	return -1;
}

void
gw_jcheck_strs_free(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

int
gw_jcheck_strs(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, char ***out, size_t *n)
{
	struct json_object	*v;
	size_t			 old, cnt;
	char			**list;
	int			 rc = 1;

	*out = NULL;
	*n = 0;
	if (!gw_jv_get(obj, key, &v))
		return 0;
	old = gw_jcheck_push_key(ck, key);
	if (gw_jv_type(v) == GW_JT_STRING)
		cnt = 1;
	else if (gw_jv_type(v) == GW_JT_ARRAY)
		cnt = gw_jv_len(v);
	else {
		gw_jcheck_error(ck, obj, key, v, "expected a string or an "
		    "array of strings, not %s",
		    gw_jv_type_name(gw_jv_type(v)));
		gw_jcheck_pop(ck, old);
		return -1;
	}
	if ((list = calloc(cnt + 1, sizeof(*list))) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "out of memory");
		gw_jcheck_pop(ck, old);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct json_object	*e = gw_jv_type(v) == GW_JT_STRING ? v :
		    gw_jv_at(v, i);
		size_t			 o2 = gw_jv_type(v) == GW_JT_ARRAY ?
		    gw_jcheck_push_index(ck, i) : ck->plen;

		if (gw_jv_type(e) != GW_JT_STRING) {
			gw_jcheck_error(ck, v, NULL, e,
			    "expected a string, not %s",
			    gw_jv_type_name(gw_jv_type(e)));
			rc = -1;
		} else if ((list[*n] = strdup(gw_jv_str(e, NULL))) == NULL) {
			gw_jcheck_error(ck, v, NULL, e, "out of memory");
			rc = -1;
		} else
			(*n)++;
		gw_jcheck_pop(ck, o2);
	}
	*out = list;
	gw_jcheck_pop(ck, old);
	return rc;
}

char *
gw_jcheck_resolve(const struct gw_jcheck *ck, const char *name)
{
	char	full[PATH_MAX];
	int	n;

	if (name[0] == '/')
		n = snprintf(full, sizeof(full), "%s", name);
	else
		n = snprintf(full, sizeof(full), "%s/%s", ck->dir, name);
	if (n < 0 || (size_t)n >= sizeof(full))
		return NULL;
	return strdup(full);
}

int
gw_jcheck_file(struct gw_jcheck *ck, const struct json_object *obj,
    const char *key, size_t max, char **data, size_t *len, char **pathp)
{
	struct json_object	*v;
	struct gw_buf		 b;
	char			*name = NULL, *path = NULL, chunk[8192];
	FILE			*fp = NULL;
	size_t			 n, old;
	int			 rc;

	if ((rc = gw_jcheck_str(ck, obj, key, &name)) != 1)
		return rc;
	(void)gw_jv_get(obj, key, &v);
	old = gw_jcheck_push_key(ck, key);
	rc = -1;
	gw_buf_init(&b, max);
	if ((path = gw_jcheck_resolve(ck, name)) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "file name too long");
		goto out;
	}
	if ((fp = fopen(path, "rb")) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "cannot open '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (gw_buf_append(&b, chunk, n, NULL) == -1) {
			gw_jcheck_error(ck, obj, key, v, "'%s' is larger than "
			    "%zu bytes", path, max);
			goto out;
		}
	if (ferror(fp)) {
		gw_jcheck_error(ck, obj, key, v, "cannot read '%s'", path);
		goto out;
	}
	if ((*data = gw_buf_take(&b, len, NULL)) == NULL) {
		gw_jcheck_error(ck, obj, key, v, "out of memory");
		goto out;
	}
	if (pathp != NULL) {
		*pathp = path;
		path = NULL;
	}
	rc = 1;
 out:
	if (fp != NULL)
		fclose(fp);
	gw_buf_release(&b);
	free(path);
	free(name);
	gw_jcheck_pop(ck, old);
	return rc;
}
