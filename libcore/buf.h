/*
 * buf.h: growable byte buffers with a hard maximum.
 *
 * Every buffer that holds outside input has a maximum; growing past it fails
 * with GW_E_LIMIT, which callers map to 413, 431 or 502.  The struct is a
 * value type: callers own its storage, gw_buf_release() frees its contents.
 */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gw.h"

struct gw_buf {
	char	*p;	/* NULL until the first byte is stored */
	size_t	 len;	/* bytes in use */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* len never exceeds this; 0 means SIZE_MAX */
};

void	gw_buf_init(struct gw_buf *b, size_t max);
/* Free the contents; the buffer is empty (and usable) afterwards. */
void	gw_buf_release(struct gw_buf *b);
/* Forget the contents but keep the allocation. */
static inline void
gw_buf_reset(struct gw_buf *b)
{
	b->len = 0;
}
/* Make room for extra more bytes.  -1 with GW_E_LIMIT or GW_E_NOMEM. */
int	gw_buf_reserve(struct gw_buf *b, size_t extra, struct gw_err *err);
int	gw_buf_append(struct gw_buf *b, const void *p, size_t len,
	    struct gw_err *err);
int	gw_buf_append_str(struct gw_buf *b, struct gw_str s,
	    struct gw_err *err);
int	gw_buf_puts(struct gw_buf *b, const char *s, struct gw_err *err);
int	gw_buf_putc(struct gw_buf *b, int c, struct gw_err *err);
int	gw_buf_printf(struct gw_buf *b, struct gw_err *err,
	    const char *fmt, ...) __attribute__((__format__(printf, 3, 4)));
int	gw_buf_vprintf(struct gw_buf *b, struct gw_err *err,
	    const char *fmt, va_list ap) __attribute__((__format__(printf, 3, 0)));
/* Append v in decimal. */
int	gw_buf_put_u64(struct gw_buf *b, uint64_t v, struct gw_err *err);
/* Append v / 1000 with three decimals (microseconds as "1.234" ms). */
int	gw_buf_put_milli(struct gw_buf *b, uint64_t v, struct gw_err *err);
/* Drop the first n bytes (n <= len). */
void	gw_buf_consume(struct gw_buf *b, size_t n);
/*
 * NUL-terminate the contents (the NUL is not counted in len) and return
 * them; NULL on GW_E_LIMIT/GW_E_NOMEM.  Valid until the buffer changes.
 */
char	*gw_buf_cstr(struct gw_buf *b, struct gw_err *err);
/*
 * Hand the contents to the caller, NUL-terminated (caller frees); the
 * buffer is empty afterwards.  *lenp gets the length if not NULL.
 */
char	*gw_buf_take(struct gw_buf *b, size_t *lenp, struct gw_err *err);
static inline struct gw_str
gw_buf_str(const struct gw_buf *b)
{
	struct gw_str s = { b->p, b->len };

	return s;
}

#endif /* GW_BUF_H */
