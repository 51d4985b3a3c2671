/*
 * jcheck.h: checking a JSON document against what a loader expects.
 *
 * The gateway's configuration, orchestration scripts, mediation files and
 * policy blocks are all read the same way: a gw_jdoc (json.h) for syntax and
 * positions, then typed look-ups through a checker that collects every
 * problem as "file:line:column: JSON.path: message" and keeps going, so one
 * run reports them all.  Unknown keys are errors with a "did you mean".
 *
 * The checker borrows the document; strings it hands out are the caller's
 * (malloc'd, caller frees).
 */
#ifndef GW_JCHECK_H
#define GW_JCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct gw_jcheck;

/*
 * A checker over doc (borrowed).  Relative file names are resolved against
 * dir, or the directory of the document's origin when dir is NULL.
 */
struct gw_jcheck *gw_jcheck_new(struct gw_jdoc *doc, const char *dir,
	    struct gw_err *err);
void	gw_jcheck_free(struct gw_jcheck *ck);
/* Errors so far, and their text, one line each ("" when none). */
int	gw_jcheck_nerrors(const struct gw_jcheck *ck);
const char *gw_jcheck_report(const struct gw_jcheck *ck, size_t *len);
/* The document and its directory. */
struct gw_jdoc	*gw_jcheck_doc(const struct gw_jcheck *ck);
const char	*gw_jcheck_dir(const struct gw_jcheck *ck);

/*
 * Report an error at value v, or, for a null value (which has no object),
 * at key in parent, or at parent.  The current path prefixes it.
 */
void	gw_jcheck_error(struct gw_jcheck *ck, const struct json_object *parent,
	    const char *key, const struct json_object *v, const char *fmt, ...)
	    __attribute__((__format__(printf, 5, 6)));

/* The JSON path of what is being checked: push, then pop to the mark. */
size_t	gw_jcheck_push_key(struct gw_jcheck *ck, const char *key);
size_t	gw_jcheck_push_index(struct gw_jcheck *ck, size_t i);
void	gw_jcheck_pop(struct gw_jcheck *ck, size_t mark);
const char *gw_jcheck_path(const struct gw_jcheck *ck);

/*
 * v must be an object whose keys are all in allowed (NULL-terminated);
 * unknown ones are reported.  -1 (reported) if v is not an object.
 */
int	gw_jcheck_object(struct gw_jcheck *ck, const struct json_object *parent,
	    const char *key, const struct json_object *v,
	    const char *const *allowed);

/*
 * Typed members of obj: 1 present and valid (*out set), 0 absent (*out
 * untouched), -1 present but wrong (reported).
 */
int	gw_jcheck_str(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, char **out);
int	gw_jcheck_u64(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, uint64_t min, uint64_t max, uint64_t *out);
int	gw_jcheck_u32(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, uint32_t min, uint32_t max, uint32_t *out);
int	gw_jcheck_bool(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, int *out);
/* One of words (NULL-terminated); *out gets its index. */
int	gw_jcheck_enum(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, const char *const *words, int *out);
/* A string or an array of strings; *out is NULL-terminated, *n counts. */
int	gw_jcheck_strs(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, char ***out, size_t *n);
void	gw_jcheck_strs_free(char **list);

/*
 * name resolved against the checker's directory (absolute names stay);
 * malloc'd.  NULL on out of memory or a name too long.
 */
char	*gw_jcheck_resolve(const struct gw_jcheck *ck, const char *name);
/*
 * Read the file named by the string member key of obj (resolved as above),
 * at most max bytes: 1 and *data, *len (caller frees), 0 absent, -1
 * reported.
 * *pathp, if not NULL, gets the resolved path (caller frees).
 */
int	gw_jcheck_file(struct gw_jcheck *ck, const struct json_object *obj,
	    const char *key, size_t max, char **data, size_t *len, char **pathp);

/* The closest word of list to word (distance <= 2), or NULL. */
const char *gw_jcheck_closest(const char *word, const char *const *list);

#endif /* GW_JCHECK_H */
