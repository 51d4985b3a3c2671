/*
 * jsonxml-int.h: what the files of the jsonxml module share (jsonxml.c,
 * jsonxml-friendly.c, jsonxml-schema.c), and no other module sees.
 */
#ifndef GW_JSONXML_INT_H
#define GW_JSONXML_INT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "jsonxml.h"

/* Output into the caller's buffer, flushed to its function as it grows. */
struct gw_jxi_out {
	struct gw_buf	*buf;
	size_t		 start;		/* buf->len when we began */
	gw_jx_flush_fn	*flush;
	void		*flush_arg;
	int		 flushed;
};

void	gw_jxi_out_init(struct gw_jxi_out *o, struct gw_buf *buf,
	    const struct gw_jx_opts *opts);
/* Hand pending output to the flush function (always when force). */
int	gw_jxi_out_flush(struct gw_jxi_out *o, int force, struct gw_err *err);
/* Drop what this conversion added (and was not flushed). */
void	gw_jxi_out_fail(struct gw_jxi_out *o);

/*
 * While *skip > 0 the events of a dropped value (the loser of a duplicate
 * key; *skip is 1 when it is about to start) go by: 1 when ev's type t was
 * one of them, 0 when the event is to be used.
 */
int	gw_jxi_skip(size_t *skip, enum gw_json_type t);

/* A set of byte strings (object keys). */
struct gw_jxi_keys {
	size_t		*slots;
	size_t		 cap, n;
	struct gw_buf	 text;
};

void	gw_jxi_keys_init(struct gw_jxi_keys *k);
void	gw_jxi_keys_release(struct gw_jxi_keys *k);
void	gw_jxi_keys_reset(struct gw_jxi_keys *k);
/* 1 if present already, 0 if added, -1 on out of memory. */
int	gw_jxi_keys_add(struct gw_jxi_keys *k, const char *p, size_t len,
	    struct gw_err *err);

/* 1 if p[0..len) is in k. */
int	gw_jxi_keys_has(const struct gw_jxi_keys *k, const char *p, size_t len);

/* A JSON writer over a gw_jxi_out, compact or indented two spaces. */
struct gw_jxi_jw {
	struct gw_jxi_out	*o;
	int			 indent;
	size_t			 depth, max;
	unsigned char		*first;		/* no member yet, per level */
	int			 after_key;
};

int	gw_jxi_jw_init(struct gw_jxi_jw *w, struct gw_jxi_out *o, int indent,
	    size_t max_depth, struct gw_err *err);
void	gw_jxi_jw_release(struct gw_jxi_jw *w);
int	gw_jxi_jw_key(struct gw_jxi_jw *w, const char *k, size_t len,
	    struct gw_err *err);
int	gw_jxi_jw_open(struct gw_jxi_jw *w, char c, struct gw_err *err);
int	gw_jxi_jw_close(struct gw_jxi_jw *w, char c, struct gw_err *err);
/* A number or literal, written as it is. */
int	gw_jxi_jw_raw(struct gw_jxi_jw *w, const char *p, size_t len,
	    struct gw_err *err);
int	gw_jxi_jw_string(struct gw_jxi_jw *w, const char *p, size_t len,
	    struct gw_err *err);

/* Length of the JSON number at the start of s[0..len), 0 if none. */
size_t	gw_jxi_number_len(const char *s, size_t len);
/* JSON escapes of an escaped string resolved into out. */
int	gw_jxi_unescape(const char *p, size_t len, struct gw_buf *out,
	    struct gw_err *err);

/* Read JSON with the conversion's limits; errors get their position. */
int	gw_jxi_read_json(const char *json, size_t len,
	    const struct gw_jx_opts *o, gw_json_event_fn *fn, void *arg,
	    struct gw_err *err);
void	gw_jxi_json_error(struct gw_json_reader *r, const char *origin,
	    struct gw_err *err);

#endif /* GW_JSONXML_INT_H */
