/*
 * loop.h: one event loop per worker process, over epoll(7).
 *
 * Watchers (struct gw_io) and timers (struct gw_timer) are embedded in the
 * caller's own structures; the loop never allocates them and never frees
 * them.  A watcher stopped during dispatch gets no further events from the
 * batch in progress, so its owner may free it at once.  Nothing registered
 * here may block.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "err.h"

struct gw_loop;
struct gw_io;
struct gw_timer;

typedef void gw_io_fn(struct gw_io *io, uint32_t events);
typedef void gw_timer_fn(struct gw_timer *t);
typedef void gw_signal_fn(struct gw_loop *loop, int signo, void *arg);
typedef void gw_defer_fn(void *arg);

struct gw_io {
	struct gw_loop	*loop;
	int		 fd;
	uint32_t	 events;	/* EPOLLIN | EPOLLOUT ..., as registered */
	gw_io_fn	*fn;
	void		*arg;
	int		 active;
};

struct gw_timer {
	struct gw_loop	*loop;
	uint64_t	 deadline;	/* loop time, microseconds */
	size_t		 slot;		/* index in the heap + 1; 0 = stopped */
	gw_timer_fn	*fn;
	void		*arg;
};

/* A new loop.  NULL with err filled. */
struct gw_loop	*gw_loop_new(struct gw_err *err);
/*
 * Free the loop: deferred calls still pending run first; watchers still
 * registered are forgotten, not closed.
 */
void	gw_loop_free(struct gw_loop *loop);
/* Run until gw_loop_stop().  Returns 0, or -1 if epoll fails. */
int	gw_loop_run(struct gw_loop *loop, struct gw_err *err);
/* Run one iteration, waiting at most max_ms (-1: until something happens). */
int	gw_loop_once(struct gw_loop *loop, int max_ms, struct gw_err *err);
void	gw_loop_stop(struct gw_loop *loop);
/* Monotonic time in microseconds, read once per iteration. */
uint64_t gw_loop_now(const struct gw_loop *loop);
/* Read the clock again (after a long computation). */
void	gw_loop_update_time(struct gw_loop *loop);
/* Microseconds of CLOCK_MONOTONIC. */
uint64_t gw_clock_us(void);

/* Watch fd for events (EPOLLIN/EPOLLOUT/...); io is caller storage. */
int	gw_io_start(struct gw_loop *loop, struct gw_io *io, int fd,
	    uint32_t events, gw_io_fn *fn, void *arg, struct gw_err *err);
/* Change the events of an active watcher (no-op if unchanged). */
int	gw_io_modify(struct gw_io *io, uint32_t events, struct gw_err *err);
/* Stop watching; safe on an inactive watcher.  Does not close the fd. */
void	gw_io_stop(struct gw_io *io);

/* (Re)arm t to fire after us microseconds. */
void	gw_timer_start(struct gw_loop *loop, struct gw_timer *t, uint64_t us,
	    gw_timer_fn *fn, void *arg);
/* Disarm; safe on a stopped timer. */
void	gw_timer_stop(struct gw_timer *t);
static inline int
gw_timer_active(const struct gw_timer *t)
{
	return t->slot != 0;
}

/*
 * Deliver signo to fn from the loop (through signalfd); the signal is
 * blocked for the process.  One handler per signal.
 */
int	gw_loop_signal(struct gw_loop *loop, int signo, gw_signal_fn *fn,
	    void *arg, struct gw_err *err);
/*
 * Call fn(arg) once at the end of the current iteration (after every event
 * of the batch has been dispatched).  -1 on out of memory.
 */
int	gw_loop_defer(struct gw_loop *loop, gw_defer_fn *fn, void *arg);
/* Call fn(arg) at the end of every iteration (flushing logs, for one). */
int	gw_loop_on_idle(struct gw_loop *loop, gw_defer_fn *fn, void *arg);

#endif /* GW_LOOP_H */
