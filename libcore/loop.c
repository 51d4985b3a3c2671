/*
 * loop.c: epoll event loop with a binary heap of timers and signalfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "gw.h"
#include "loop.h"

#define MAX_EVENTS	256
#define MAX_IDLE	8
/* slot of a timer taken off the heap to fire in this pass */
#define SLOT_PENDING	((size_t)-1)

struct deferred {
	gw_defer_fn	*fn;
	void		*arg;
};

struct sighandler {
	gw_signal_fn	*fn;
	void		*arg;
};

struct gw_loop {
	int			 epfd;
	int			 stop;
	uint64_t		 now;
	/* the batch being dispatched, so that gw_io_stop() can cancel */
	struct epoll_event	 events[MAX_EVENTS];
	int			 nevents;
	int			 cur;
	/* timers: min-heap on deadline */
	struct gw_timer		**heap;
	size_t			 nheap;
	size_t			 capheap;
	struct gw_timer		**due;		/* firing in this pass */
	size_t			 ndue;
	size_t			 capdue;
	/* deferred calls for the end of this iteration */
	struct deferred		*defer;
	size_t			 ndefer;
	size_t			 capdefer;
	struct deferred		 idle[MAX_IDLE];
	size_t			 nidle;
	/* signals */
	int			 sigfd;
	sigset_t		 sigmask;
	struct gw_io		 sigio;
	struct sighandler	 sig[65];
};

static void	run_deferred(struct gw_loop *loop);

uint64_t
gw_clock_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct gw_loop *
gw_loop_new(struct gw_err *err)
{
	struct gw_loop *loop;

	if ((loop = calloc(1, sizeof(*loop))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		gw_err_sys(err, "epoll_create1");
		free(loop);
		return NULL;
	}
	loop->now = gw_clock_us();
	return loop;
}

void
gw_loop_free(struct gw_loop *loop)
{
	if (loop == NULL)
		return;
	/* deferred frees still pending run now, deferred ones of theirs too */
	for (int round = 0; round < 1000 && loop->ndefer > 0; round++)
		run_deferred(loop);
	if (loop->sigfd != -1) {
		(void)sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
		(void)close(loop->sigfd);
	}
	(void)close(loop->epfd);
	for (size_t i = 0; i < loop->nheap; i++)
		loop->heap[i]->slot = 0;
	free(loop->heap);
	free(loop->due);
	free(loop->defer);
	free(loop);
}

uint64_t
gw_loop_now(const struct gw_loop *loop)
{
	return loop->now;
}

void
gw_loop_update_time(struct gw_loop *loop)
{
	loop->now = gw_clock_us();
}

void
gw_loop_stop(struct gw_loop *loop)
{
	loop->stop = 1;
}

int
gw_io_start(struct gw_loop *loop, struct gw_io *io, int fd, uint32_t events,
    gw_io_fn *fn, void *arg, struct gw_err *err)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return gw_err_sys(err, "epoll_ctl add fd %d", fd);
	io->loop = loop;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	io->active = 1;
	return 0;
}

int
gw_io_modify(struct gw_io *io, uint32_t events, struct gw_err *err)
{
	struct epoll_event ev;

	if (!io->active)
		GW_BUG("gw_io_modify on a stopped watcher");
	if (io->events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
		return gw_err_sys(err, "epoll_ctl mod fd %d", io->fd);
	io->events = events;
	return 0;
}

void
gw_io_stop(struct gw_io *io)
{
	struct gw_loop *loop = io->loop;

	if (!io->active)
		return;
	/* ENOENT/EBADF: the fd was closed already, which removed it. */
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->active = 0;
	for (int i = loop->cur + 1; i < loop->nevents; i++)
		if (loop->events[i].data.ptr == io)
			loop->events[i].data.ptr = NULL;
}

/* Timers: a binary min-heap; t->slot is its index + 1. */

static void
heap_set(struct gw_loop *loop, size_t i, struct gw_timer *t)
{
	loop->heap[i] = t;
	t->slot = i + 1;
}

static void
heap_up(struct gw_loop *loop, size_t i)
{
	struct gw_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (loop->heap[parent]->deadline <= t->deadline)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void
heap_down(struct gw_loop *loop, size_t i)
{
	struct gw_timer *t = loop->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = t->deadline;

		if (l < loop->nheap && loop->heap[l]->deadline < best) {
			m = l;
			best = loop->heap[l]->deadline;
		}
		if (r < loop->nheap && loop->heap[r]->deadline < best)
			m = r;
		if (m == i)
			break;
		heap_set(loop, i, loop->heap[m]);
		i = m;
	}
	heap_set(loop, i, t);
}

void
gw_timer_stop(struct gw_timer *t)
{
	struct gw_loop	*loop = t->loop;
	size_t		 i;

	if (t->slot == 0)
		return;
	if (t->slot == SLOT_PENDING) {
		/* it will not fire: and its owner may free it now */
		for (size_t k = 0; k < loop->ndue; k++)
			if (loop->due[k] == t)
				loop->due[k] = NULL;
		t->slot = 0;
		return;
	}
	i = t->slot - 1;
	t->slot = 0;
	loop->nheap--;
	if (i == loop->nheap)
		return;
	heap_set(loop, i, loop->heap[loop->nheap]);
	if (i > 0 && loop->heap[(i - 1) / 2]->deadline > loop->heap[i]->deadline)
		heap_up(loop, i);
	else
		heap_down(loop, i);
}

void
gw_timer_start(struct gw_loop *loop, struct gw_timer *t, uint64_t us,
    gw_timer_fn *fn, void *arg)
{
	if (t->slot != 0)
		gw_timer_stop(t);	/* a pending one too: it fires later */
	t->loop = loop;
	t->fn = fn;
	t->arg = arg;
	t->deadline = loop->now + us;
	if (loop->nheap == loop->capheap) {
		size_t ncap = loop->capheap == 0 ? 64 : loop->capheap * 2;
		struct gw_timer **nh;

		nh = realloc(loop->heap, ncap * sizeof(*nh));
		if (nh == NULL)
			GW_BUG("out of memory growing the timer heap");
		loop->heap = nh;
		loop->capheap = ncap;
	}
	loop->nheap++;
	heap_set(loop, loop->nheap - 1, t);
	heap_up(loop, loop->nheap - 1);
}

/*
 * Fire the timers due now.  They are taken off the heap first, so a timer
 * re-armed from its callback (even for 0 us) waits for the next pass and
 * cannot keep the loop from I/O; one stopped by an earlier callback of the
 * pass does not fire.
 */
static void
run_timers(struct gw_loop *loop)
{
	size_t n = 0;

	while (loop->nheap > 0 && loop->heap[0]->deadline <= loop->now) {
		struct gw_timer *t = loop->heap[0];

		if (n == loop->capdue) {
			size_t ncap = loop->capdue == 0 ? 64 : loop->capdue * 2;
			struct gw_timer **nd;

			if ((nd = realloc(loop->due, ncap * sizeof(*nd))) ==
			    NULL)
				break;	/* the rest fire in the next pass */
			loop->due = nd;
			loop->capdue = ncap;
		}
		gw_timer_stop(t);
		t->slot = SLOT_PENDING;
		loop->due[n++] = t;
	}
	loop->ndue = n;
	for (size_t i = 0; i < n; i++) {
		struct gw_timer *t = loop->due[i];

		if (t == NULL || t->slot != SLOT_PENDING)
			continue;	/* stopped or re-armed meanwhile */
		t->slot = 0;
		loop->due[i] = NULL;
		t->fn(t);
	}
	loop->ndue = 0;
}

static int
next_timeout_ms(struct gw_loop *loop, int max_ms)
{
	uint64_t	d;
	int		ms;

	if (loop->ndefer > 0)
		return 0;
	if (loop->nheap == 0)
		return max_ms;
	d = loop->heap[0]->deadline;
	if (d <= loop->now)
		return 0;
	/* round up so that a timer is never woken for early */
	d = (d - loop->now + 999) / 1000;
	ms = d > 60000 ? 60000 : (int)d;
	if (max_ms >= 0 && max_ms < ms)
		ms = max_ms;
	return ms;
}

int
gw_loop_defer(struct gw_loop *loop, gw_defer_fn *fn, void *arg)
{
	if (loop->ndefer == loop->capdefer) {
		size_t ncap = loop->capdefer == 0 ? 32 : loop->capdefer * 2;
		struct deferred *nd;

		if ((nd = realloc(loop->defer, ncap * sizeof(*nd))) == NULL)
			return -1;
		loop->defer = nd;
		loop->capdefer = ncap;
	}
	loop->defer[loop->ndefer].fn = fn;
	loop->defer[loop->ndefer].arg = arg;
	loop->ndefer++;
	return 0;
}

int
gw_loop_on_idle(struct gw_loop *loop, gw_defer_fn *fn, void *arg)
{
	if (loop->nidle == MAX_IDLE)
		return -1;
	loop->idle[loop->nidle].fn = fn;
	loop->idle[loop->nidle].arg = arg;
	loop->nidle++;
	return 0;
}

static void
run_deferred(struct gw_loop *loop)
{
	/* Deferred calls may defer more; they run in the next round. */
	for (size_t round = 0; round < 8 && loop->ndefer > 0; round++) {
		size_t n = loop->ndefer;
		struct deferred batch[64];

		while (n > 0) {
			size_t k = n > GW_ARRAY_LEN(batch) ?
			    GW_ARRAY_LEN(batch) : n;

			memcpy(batch, loop->defer, k * sizeof(batch[0]));
			memmove(loop->defer, loop->defer + k,
			    (loop->ndefer - k) * sizeof(batch[0]));
			loop->ndefer -= k;
			n -= k;
			for (size_t i = 0; i < k; i++)
				batch[i].fn(batch[i].arg);
		}
	}
}

static void
on_signalfd(struct gw_io *io, uint32_t events)
{
	struct gw_loop		*loop = io->arg;
	struct signalfd_siginfo	 si;

	(void)events;
	for (;;) {
		ssize_t n = read(loop->sigfd, &si, sizeof(si));

		if (n != (ssize_t)sizeof(si))
			break;
		if (si.ssi_signo < GW_ARRAY_LEN(loop->sig) &&
		    loop->sig[si.ssi_signo].fn != NULL)
			loop->sig[si.ssi_signo].fn(loop, (int)si.ssi_signo,
			    loop->sig[si.ssi_signo].arg);
	}
}

int
gw_loop_signal(struct gw_loop *loop, int signo, gw_signal_fn *fn, void *arg,
    struct gw_err *err)
{
	int fd;

	if (signo <= 0 || (size_t)signo >= GW_ARRAY_LEN(loop->sig))
		return gw_err_set(err, GW_E_INVAL, "bad signal %d", signo);
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) == -1)
		return gw_err_sys(err, "sigprocmask");
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return gw_err_sys(err, "signalfd");
	if (loop->sigfd == -1) {
		loop->sigfd = fd;
		if (gw_io_start(loop, &loop->sigio, fd, EPOLLIN, on_signalfd,
		    loop, err) == -1)
			return -1;
	}
	loop->sig[signo].fn = fn;
	loop->sig[signo].arg = arg;
	return 0;
}

int
gw_loop_once(struct gw_loop *loop, int max_ms, struct gw_err *err)
{
	int n;

	n = epoll_wait(loop->epfd, loop->events, MAX_EVENTS,
	    next_timeout_ms(loop, max_ms));
	loop->now = gw_clock_us();
	if (n == -1) {
		if (errno != EINTR)
			return gw_err_sys(err, "epoll_wait");
		n = 0;
	}
	loop->nevents = n;
	for (loop->cur = 0; loop->cur < n; loop->cur++) {
		struct gw_io *io = loop->events[loop->cur].data.ptr;

		if (io == NULL || !io->active)
			continue;
		io->fn(io, loop->events[loop->cur].events);
	}
	loop->nevents = 0;
	loop->cur = 0;
	run_timers(loop);
	run_deferred(loop);
	for (size_t i = 0; i < loop->nidle; i++)
		loop->idle[i].fn(loop->idle[i].arg);
	return 0;
}

int
gw_loop_run(struct gw_loop *loop, struct gw_err *err)
{
	loop->stop = 0;
	while (!loop->stop)
		if (gw_loop_once(loop, -1, err) == -1)
			return -1;
	return 0;
}
