/*
 * ratelimit.c: GCRA rate limits and calendar quotas, in shared memory or
 * in Redis.
 *
 * The shared-memory store is a set-associative table: a key's SHA-256
 * picks a bucket of WAYS slots guarded by one process-shared robust mutex
 * (a worker that dies holding it does not wedge the others).  A slot whose
 * state has run out (a rate key back at rest, a quota of a past period) is
 * free for another key; when a bucket is full of live keys, the one closest
 * to running out is dropped, which lets that key start afresh: size
 * "max_keys" for the keys a zone must hold.
 *
 * The Redis store runs one Lua script per decision (EVAL: GET, decide, SET
 * with an expiry, on Redis's own clock), so that every gateway sharing the
 * Redis sees the same counters.  hiredis's async API runs on our loop
 * through the small adapter below.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "arena.h"
#include "authn.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "jcheck.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "ratelimit.h"
#include "server.h"
#include "str.h"

#define WAYS		8
#define KEYLEN		16
#define MAX_SLOTS	(64 * 1024 * 1024)
#define MAX_PENDING	10000
#define RETRY_MIN_MS	100
#define RETRY_MAX_MS	2000
#define MAX_KEY_TEXT	200

/* Specs. */

int
gw_rl_spec_parse(const char *s, int quota, struct gw_rl_spec *out,
    struct gw_err *err)
{
	static const struct {
		const char	*unit;
		uint64_t	 us;
	} units[] = {
		{ "ms", 1000ULL }, { "s", 1000000ULL }, { "sec", 1000000ULL },
		{ "second", 1000000ULL }, { "m", 60000000ULL },
		{ "min", 60000000ULL }, { "minute", 60000000ULL },
		{ "h", 3600000000ULL }, { "hour", 3600000000ULL },
		{ "d", 86400000000ULL }, { "day", 86400000000ULL },
	};
	const char	*slash = strchr(s, '/'), *u;
	uint64_t	 count, mult = 1;
	size_t		 dl;

	memset(out, 0, sizeof(*out));
	if (slash == NULL || gw_str_to_u64(gw_str_make(s, (size_t)(slash - s)),
	    1000000000ULL, &count) == -1 || count == 0)
		return gw_err_set(err, GW_E_CONFIG, "'%s' is not COUNT/PERIOD "
		    "such as \"%s\"", s, quota ? "10000/day" : "100/s");
	out->count = count;
	u = slash + 1;
	if (quota) {
		if (strcmp(u, "day") == 0)
			out->kind = GW_RL_DAY;
		else if (strcmp(u, "month") == 0)
			out->kind = GW_RL_MONTH;
		else
			return gw_err_set(err, GW_E_CONFIG, "a quota is per "
			    "\"day\" or \"month\", not '%s'", u);
		return 0;
	}
	out->kind = GW_RL_RATE;
	/* an optional multiplier: "2/1500ms", "5/10s" */
	for (dl = 0; u[dl] >= '0' && u[dl] <= '9'; dl++)
		;
	if (dl > 0 && gw_str_to_u64(gw_str_make(u, dl), 1000000, &mult) == -1)
		return gw_err_set(err, GW_E_CONFIG, "bad period in '%s'", s);
	if (mult == 0)
		return gw_err_set(err, GW_E_CONFIG, "a period of zero in '%s'",
		    s);
	u += dl;
	for (size_t i = 0; i < GW_ARRAY_LEN(units); i++)
		if (strcmp(u, units[i].unit) == 0) {
			out->period_us = units[i].us * mult;
			if (out->period_us > 366 * 86400000000ULL)
				return gw_err_set(err, GW_E_CONFIG, "a period "
				    "longer than a year in '%s': use a quota",
				    s);
			if (out->period_us / out->count == 0)
				return gw_err_set(err, GW_E_CONFIG, "'%s' is "
				    "more than one request a microsecond", s);
			return 0;
		}
	return gw_err_set(err, GW_E_CONFIG, "unknown unit '%s' in '%s' (ms, s, "
	    "min, h or day)", u, s);
}

void
gw_rl_gcra(uint64_t *tat, uint64_t now, uint64_t t_us, uint64_t burst,
    struct gw_rl_result *r)
{
	uint64_t tau = t_us * burst, t = *tat > now ? *tat : now, nt;

	if (t - now > tau) {
		r->allowed = 0;
		r->remaining = 0;
		r->retry_us = t - tau - now;
		r->reset_us = t - now;
		return;
	}
	nt = t + t_us;
	*tat = nt;
	r->allowed = 1;
	r->remaining = (now + tau + t_us - nt) / t_us;
	r->retry_us = 0;
	r->reset_us = nt - now;
}

/* Shared-memory zones. */

struct slot {
	uint8_t		key[KEYLEN];
	uint64_t	a;		/* rate: TAT; quota: period + 1 */
	uint64_t	count;		/* quota: requests so far */
	uint64_t	expires;	/* free for another key after this */
};

struct bucket {
	pthread_mutex_t	lock;
	struct slot	s[WAYS];
};

struct gw_rl_zone {
	struct bucket	*b;
	size_t		 nbuckets;
	void		*map;
	size_t		 maplen;
};

/* The head of a zone file; the buckets follow it. */
#define ZONE_MAGIC	0x314e4f5a4c525747ULL	/* "GWRLZON1" */
struct zone_hdr {
	uint64_t	magic;
	uint64_t	nbuckets;
	uint64_t	bucket_size;
	char		boot_id[40];	/* mutexes of another boot are stale */
	char		pad[8];
};

static int	init_buckets(struct bucket *b, size_t nb, struct gw_err *err);

struct gw_rl_zone *
gw_rl_zone_new(size_t slots, struct gw_err *err)
{
	struct gw_rl_zone	*z;
	size_t			 nb;

	if (slots == 0 || slots > MAX_SLOTS) {
		gw_err_set(err, GW_E_LIMIT, "a zone holds 1 to %d keys",
		    MAX_SLOTS);
		return NULL;
	}
	nb = (slots + WAYS - 1) / WAYS;
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	z->nbuckets = nb;
	z->maplen = nb * sizeof(struct bucket);
	z->b = z->map = mmap(NULL, z->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (z->map == MAP_FAILED) {
		gw_err_sys(err, "cannot map %zu bytes of shared memory",
		    z->maplen);
		free(z);
		return NULL;
	}
	if (init_buckets(z->b, nb, err) == -1) {
		munmap(z->map, z->maplen);
		free(z);
		return NULL;
	}
	return z;
}

/* Empty buckets, each with its process-shared robust mutex. */
static int
init_buckets(struct bucket *b, size_t nb, struct gw_err *err)
{
	pthread_mutexattr_t ma;

	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0)
		return gw_err_set(err, GW_E_INTERNAL, "no process-shared "
		    "mutexes");
	memset(b, 0, nb * sizeof(*b));
	for (size_t i = 0; i < nb; i++)
		(void)pthread_mutex_init(&b[i].lock, &ma);
	pthread_mutexattr_destroy(&ma);
	return 0;
}

static void
boot_id(char out[40])
{
	FILE *fp;

	memset(out, 0, 40);
	if ((fp = fopen("/proc/sys/kernel/random/boot_id", "re")) != NULL) {
		if (fgets(out, 40, fp) == NULL)
			out[0] = '\0';
		(void)fclose(fp);
	}
	out[strcspn(out, "\n")] = '\0';
}

struct gw_rl_zone *
gw_rl_zone_open(const char *path, size_t slots, struct gw_err *err)
{
	struct gw_rl_zone	*z = NULL;
	struct zone_hdr		*h;
	struct stat		 st;
	char			 boot[40];
	size_t			 nb, len;
	int			 fd;

	if (slots == 0 || slots > MAX_SLOTS) {
		gw_err_set(err, GW_E_LIMIT, "a zone holds 1 to %d keys",
		    MAX_SLOTS);
		return NULL;
	}
	nb = (slots + WAYS - 1) / WAYS;
	len = sizeof(struct zone_hdr) + nb * sizeof(struct bucket);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		gw_err_sys(err, "cannot open '%s'", path);
		return NULL;
	}
	/* one process sets a new file up; the others wait for it */
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		gw_err_sys(err, "cannot lock '%s'", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		gw_err_set(err, GW_E_CONFIG, "'%s' must be a file of this user "
		    "that others cannot write", path);
		goto fail;
	}
	if (st.st_size != 0 && (uint64_t)st.st_size != len) {
		gw_err_set(err, GW_E_CONFIG, "'%s' holds a zone of another "
		    "size (max_keys); remove it to start afresh", path);
		goto fail;
	}
	if (st.st_size == 0 && ftruncate(fd, (off_t)len) == -1) {
		gw_err_sys(err, "cannot size '%s'", path);
		goto fail;
	}
	if ((z = calloc(1, sizeof(*z))) == NULL) {
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		goto fail;
	}
	z->maplen = len;
	z->nbuckets = nb;
	if ((z->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		gw_err_sys(err, "cannot map '%s'", path);
		free(z);
		z = NULL;
		goto fail;
	}
	h = z->map;
	z->b = (struct bucket *)(h + 1);
	boot_id(boot);
	if (h->magic != ZONE_MAGIC || h->nbuckets != nb ||
	    h->bucket_size != sizeof(struct bucket) ||
	    strncmp(h->boot_id, boot, sizeof(h->boot_id)) != 0) {
		/* new, or left by a boot whose lock owners are gone */
		if (init_buckets(z->b, nb, err) == -1) {
			munmap(z->map, len);
			free(z);
			z = NULL;
			goto fail;
		}
		h->nbuckets = nb;
		h->bucket_size = sizeof(struct bucket);
		memcpy(h->boot_id, boot, sizeof(h->boot_id));
		h->magic = ZONE_MAGIC;
	}
	/* the mapping keeps the open file, and so the lock: let go of it */
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
	return z;
 fail:
	(void)close(fd);
	return NULL;
}

void
gw_rl_zone_free(struct gw_rl_zone *z)
{
	if (z == NULL)
		return;
	munmap(z->map, z->maplen);
	free(z);
}

static struct bucket *
bucket_lock(struct gw_rl_zone *z, const uint8_t *k)
{
	struct bucket	*b;
	uint64_t	 v;

	memcpy(&v, k, sizeof(v));
	b = &z->b[v % z->nbuckets];
	if (pthread_mutex_lock(&b->lock) == EOWNERDEAD)
		/* its owner died in the middle: the slots are still sane */
		(void)pthread_mutex_consistent(&b->lock);
	return b;
}

/* The slot of k in b (a fresh one if it has none), b locked. */
static struct slot *
slot_find(struct bucket *b, const uint8_t *k, uint64_t now)
{
	struct slot *free_slot = NULL, *oldest = NULL;

	for (int i = 0; i < WAYS; i++) {
		struct slot *s = &b->s[i];

		if (s->expires > now) {
			if (memcmp(s->key, k, KEYLEN) == 0)
				return s;
			if (oldest == NULL || s->expires < oldest->expires)
				oldest = s;
		} else if (free_slot == NULL)
			free_slot = s;
	}
	if (free_slot == NULL)
		free_slot = oldest;
	memcpy(free_slot->key, k, KEYLEN);
	free_slot->a = 0;
	free_slot->count = 0;
	free_slot->expires = 0;
	return free_slot;
}

static void
zone_key(struct gw_str key, uint8_t out[KEYLEN])
{
	unsigned char h[GW_SHA256_LEN];

	gw_sha256(key.p, key.len, h);
	memcpy(out, h, KEYLEN);
}

void
gw_rl_zone_rate(struct gw_rl_zone *z, struct gw_str key, uint64_t now,
    uint64_t t_us, uint64_t burst, struct gw_rl_result *r)
{
	uint8_t		 k[KEYLEN];
	struct bucket	*b;
	struct slot	*s;

	zone_key(key, k);
	b = bucket_lock(z, k);
	s = slot_find(b, k, now);
	gw_rl_gcra(&s->a, now, t_us, burst, r);
	s->expires = s->a;
	(void)pthread_mutex_unlock(&b->lock);
}

void
gw_rl_zone_quota(struct gw_rl_zone *z, struct gw_str key, uint64_t period,
    uint64_t limit, uint64_t now, uint64_t period_end_us,
    struct gw_rl_result *r)
{
	uint8_t		 k[KEYLEN];
	struct bucket	*b;
	struct slot	*s;

	zone_key(key, k);
	b = bucket_lock(z, k);
	s = slot_find(b, k, now);
	if (s->a != period + 1) {
		s->a = period + 1;
		s->count = 0;
	}
	s->expires = period_end_us;
	r->reset_us = period_end_us > now ? period_end_us - now : 0;
	if (s->count >= limit) {
		r->allowed = 0;
		r->remaining = 0;
		r->retry_us = r->reset_us;
	} else {
		s->count++;
		r->allowed = 1;
		r->remaining = limit - s->count;
		r->retry_us = 0;
	}
	(void)pthread_mutex_unlock(&b->lock);
}

/*
 * Zones by name, in the process that parses configurations (the master):
 * a reload that keeps a zone (same name, kind and size) keeps its
 * counters, shared by the old workers draining and the new ones.
 */
struct zone_ref {
	struct zone_ref		*next;
	char			*name;
	size_t			 slots;
	int			 quota;
	int			 refs;
	struct gw_rl_zone	*z;
};

static struct zone_ref *zones;

static struct zone_ref *
zone_get(const char *name, const char *file, size_t slots, int quota,
    struct gw_err *err)
{
	struct zone_ref *r;

	for (r = zones; r != NULL; r = r->next)
		if (strcmp(r->name, name) == 0) {
			if (r->slots != slots || r->quota != quota)
				continue;	/* a new one replaces it */
			r->refs++;
			return r;
		}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->name = strdup(name)) == NULL) {
		free(r);
		gw_err_set(err, GW_E_NOMEM, "out of memory");
		return NULL;
	}
	if ((r->z = file != NULL ? gw_rl_zone_open(file, slots, err) :
	    gw_rl_zone_new(slots, err)) == NULL) {
		free(r->name);
		free(r);
		return NULL;
	}
	r->slots = slots;
	r->quota = quota;
	r->refs = 1;
	r->next = zones;
	zones = r;
	return r;
}

static void
zone_put(struct zone_ref *r)
{
	struct zone_ref **pp;

	if (r == NULL || --r->refs > 0)
		return;
	for (pp = &zones; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	gw_rl_zone_free(r->z);
	free(r->name);
	free(r);
}

/*
 * Redis: one connection per address (and password) in each server, that
 * is, in each worker.  The worker_start of the first limit on it opens it,
 * the worker_stop of the last closes it.
 */

static const char lua_script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "if ARGV[1] == 'rate' then\n"
    "  local T = tonumber(ARGV[2])\n"
    "  local tau = tonumber(ARGV[3])\n"
    "  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "  if tat < now then tat = now end\n"
    "  if tat - now > tau then\n"
    "    return {0, 0, tat - tau - now, tat - now}\n"
    "  end\n"
    "  local nt = tat + T\n"
    "  redis.call('SET', KEYS[1], string.format('%.0f', nt), 'PX',\n"
    "    math.floor((nt - now) / 1000) + 1)\n"
    "  return {1, math.floor((now + tau + T - nt) / T), 0, nt - now}\n"
    "end\n"
    "local limit = tonumber(ARGV[2])\n"
    "local n = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local left = tonumber(ARGV[3]) - now\n"
    "if left < 1000 then left = 1000 end\n"
    "if n >= limit then return {0, 0, left, left} end\n"
    "n = redis.call('INCR', KEYS[1])\n"
    "if n == 1 then redis.call('PEXPIRE', KEYS[1],\n"
    "  math.floor(left / 1000) + 1) end\n"
    "return {1, limit - n, 0, left}\n";

struct rconn {
	struct rconn		*next;
	struct gw_server	*srv;
	int			 refs;		/* rl_workers using it */
	char			*addr;
	char			*password;	/* AUTH on connect, or NULL */
	struct gw_loop		*loop;
	redisAsyncContext	*ac;
	struct gw_io		 io;
	uint32_t		 events;
	int			 connected;
	int			 down;		/* logged as unreachable */
	uint32_t		 retry_ms;
	struct gw_timer		 retry;
	size_t			 pending;
};

static struct rconn *rconns;

static void rconn_connect(struct rconn *c);

static void
rconn_io(struct gw_io *io, uint32_t events)
{
	struct rconn *c = io->arg;

	if (c->ac != NULL && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleRead(c->ac);
	if (c->ac != NULL && (events & EPOLLOUT))
		redisAsyncHandleWrite(c->ac);
}

static void
rconn_events(struct rconn *c, uint32_t events)
{
	if (events == c->events && c->io.active)
		return;
	c->events = events;
	if (!c->io.active) {
		if (events != 0 && c->ac != NULL)
			(void)gw_io_start(c->loop, &c->io, c->ac->c.fd, events,
			    rconn_io, c, NULL);
		return;
	}
	(void)gw_io_modify(&c->io, events, NULL);
}

static void
ev_add_read(void *p)
{
	struct rconn *c = p;

	rconn_events(c, c->events | EPOLLIN);
}

static void
ev_del_read(void *p)
{
	struct rconn *c = p;

	rconn_events(c, c->events & ~(uint32_t)EPOLLIN);
}

static void
ev_add_write(void *p)
{
	struct rconn *c = p;

	rconn_events(c, c->events | EPOLLOUT);
}

static void
ev_del_write(void *p)
{
	struct rconn *c = p;

	rconn_events(c, c->events & ~(uint32_t)EPOLLOUT);
}

static void
ev_cleanup(void *p)
{
	struct rconn *c = p;

	gw_io_stop(&c->io);
	c->events = 0;
}

static void
rconn_retry_fire(struct gw_timer *t)
{
	rconn_connect(t->arg);
}

static void
rconn_lost(struct rconn *c, const char *why)
{
	c->ac = NULL;
	c->connected = 0;
	gw_io_stop(&c->io);
	c->events = 0;
	if (!c->down) {
		c->down = 1;
		gw_log_warnx("rate_limit: redis '%s' unreachable: %s", c->addr,
		    why);
	}
	c->retry_ms = c->retry_ms == 0 ? RETRY_MIN_MS :
	    GW_MIN(c->retry_ms * 2, RETRY_MAX_MS);
	gw_timer_start(c->loop, &c->retry, (uint64_t)c->retry_ms * 1000,
	    rconn_retry_fire, c);
}

static struct rconn *
rconn_of(const redisAsyncContext *ac)
{
	for (struct rconn *c = rconns; c != NULL; c = c->next)
		if (c->ac == ac)
			return c;
	return NULL;
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *c = rconn_of(ac);

	if (c == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac after this */
		rconn_lost(c, ac->errstr[0] != '\0' ? ac->errstr :
		    "cannot connect");
		return;
	}
	c->connected = 1;
	c->retry_ms = 0;
	if (c->down) {
		c->down = 0;
		gw_log_warnx("rate_limit: redis '%s' is back", c->addr);
	}
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn *c = rconn_of(ac);

	if (c == NULL)
		return;
	rconn_lost(c, status == REDIS_OK ? "disconnected" :
	    ac->errstr[0] != '\0' ? ac->errstr : "connection lost");
}

static void
on_auth(redisAsyncContext *ac, void *r, void *priv)
{
	redisReply	*rep = r;
	struct rconn	*c = priv;

	(void)ac;
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		gw_log_warnx("rate_limit: redis '%s' refused the password: %s",
		    c->addr, rep->str);
}

static void
rconn_connect(struct rconn *c)
{
	redisAsyncContext	*ac;
	char			 host[256];
	const char		*colon;
	long			 port;

	if (strncmp(c->addr, "unix:", 5) == 0)
		ac = redisAsyncConnectUnix(c->addr + 5);
	else {
		colon = strrchr(c->addr, ':');
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)(colon - c->addr), c->addr);
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		port = strtol(colon + 1, NULL, 10);
		ac = redisAsyncConnect(host, (int)port);
	}
	if (ac == NULL) {
		rconn_lost(c, "out of memory");
		return;
	}
	if (ac->err != 0) {
		char why[256];

		(void)snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		rconn_lost(c, why);
		return;
	}
	c->ac = ac;
	ac->ev.data = c;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	(void)redisAsyncSetConnectCallback(ac, on_connect);
	(void)redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* first on the connection: every decision after it is authorized */
	if (c->password != NULL)
		(void)redisAsyncCommand(ac, on_auth, c, "AUTH %s", c->password);
	/* the connect completes when the socket is writable */
	ev_add_write(c);
}

/* srv's connection to addr, made and connecting if it is the first. */
static struct rconn *
rconn_get(const char *addr, const char *password, struct gw_server *srv)
{
	struct rconn *c;

	for (c = rconns; c != NULL; c = c->next)
		if (c->srv == srv && strcmp(c->addr, addr) == 0 &&
		    (c->password == NULL ? password == NULL :
		    password != NULL && strcmp(c->password, password) == 0)) {
			c->refs++;
			return c;
		}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->addr = strdup(addr)) == NULL ||
	    (password != NULL && (c->password = strdup(password)) == NULL)) {
		if (c != NULL)
			free(c->addr);
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->refs = 1;
	c->loop = gw_server_loop(srv);
	c->next = rconns;
	rconns = c;
	rconn_connect(c);
	return c;
}

/*
 * Let go of c; the last one closes it.  hiredis calls back from inside
 * redisAsyncFree(): each decision still queued gets a NULL reply
 * (op_reply() frees it: its request is gone), the adapter is cleaned up
 * (ev_cleanup()), and the disconnect callback runs, which finds no rconn
 * for the context any more and does nothing (no reconnect is scheduled).
 */
static void
rconn_put(struct rconn *c)
{
	struct rconn		**pp;
	redisAsyncContext	*ac;

	if (c == NULL || --c->refs > 0)
		return;
	gw_timer_stop(&c->retry);
	if ((ac = c->ac) != NULL) {
		c->ac = NULL;
		c->connected = 0;
		redisAsyncFree(ac);
	}
	gw_io_stop(&c->io);
	for (pp = &rconns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->addr);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c);
}

/* The policy. */

enum key_kind {
	KEY_IP,
	KEY_CONSUMER,
	KEY_HEADER,
	KEY_CLAIM,
	KEY_ROUTE,
	KEY_VAR
};

struct rl_worker;

struct rl_state {
	enum key_kind		 key;
	char			*key_arg;	/* header, claim or variable */
	struct gw_rl_spec	 spec;
	uint64_t		 burst;
	char			*name;		/* in RateLimit-Policy */
	char			*zone_name;
	int			 headers;
	struct zone_ref		*zone;		/* local store */
	/* redis store */
	char			*redis;
	char			*password;	/* of redis_password_file */
	char			*prefix;
	uint32_t		 timeout_ms;
	int			 fail_closed;
	char			*policy_hdr;	/* RateLimit-Policy value */
	int			 failing;	/* said so in the log */
	struct rl_worker	*workers;	/* worker_start .. worker_stop */
};

/* A limit in Redis in one server (worker): its connection. */
struct rl_worker {
	struct rl_worker	*next;
	struct gw_server	*srv;
	struct rconn		*conn;
};

struct rl_op {
	struct gw_req		*req;
	struct rl_state		*st;
	struct rconn		*conn;
	struct gw_timer		 timer;
	uint64_t		 wall;		/* quota: now, wall clock */
};

static void
rl_free(void *arg)
{
	struct rl_state *st = arg;

	if (st == NULL)
		return;
	free(st->key_arg);
	free(st->name);
	free(st->zone_name);
	zone_put(st->zone);
	free(st->redis);
	if (st->password != NULL)
		explicit_bzero(st->password, strlen(st->password));
	free(st->password);
	free(st->prefix);
	free(st->policy_hdr);
	/*
	 * Every server stopped its worker before it let go of the
	 * configuration; what is left in st->workers is a copy made by
	 * fork() of a parent's, whose loop this process does not run.
	 */
	free(st);
}

static int
parse_key(struct gw_jcheck *ck, const struct json_object *v,
    struct rl_state *st)
{
	static const struct {
		const char	*word;
		enum key_kind	 kind;
		int		 arg;
	} kinds[] = {
		{ "ip", KEY_IP, 0 }, { "consumer", KEY_CONSUMER, 0 },
		{ "route", KEY_ROUTE, 0 }, { "header:", KEY_HEADER, 1 },
		{ "claim:", KEY_CLAIM, 1 }, { "var:", KEY_VAR, 1 },
	};
	char	*k = NULL;
	int	 r;

	if ((r = gw_jcheck_str(ck, v, "key", &k)) == -1)
		return -1;
	if (r == 0) {
		st->key = KEY_IP;
		return 0;
	}
	for (size_t i = 0; i < GW_ARRAY_LEN(kinds); i++) {
		size_t wl = strlen(kinds[i].word);

		if (kinds[i].arg ? strncmp(k, kinds[i].word, wl) == 0 &&
		    k[wl] != '\0' : strcmp(k, kinds[i].word) == 0) {
			st->key = kinds[i].kind;
			if (kinds[i].arg && (st->key_arg = strdup(k + wl)) ==
			    NULL) {
				free(k);
				return -1;
			}
			free(k);
			return 0;
		}
	}
	{
		struct json_object	*jv;
		size_t			 old = gw_jcheck_push_key(ck, "key");

		(void)gw_jv_get(v, "key", &jv);
		gw_jcheck_error(ck, v, "key", jv, "unknown key '%s': \"ip\", "
		    "\"consumer\", \"route\", \"header:NAME\", \"claim:NAME\" "
		    "or \"var:NAME\"", k);
		gw_jcheck_pop(ck, old);
	}
	free(k);
	return -1;
}

static int
valid_redis_addr(const char *a)
{
	const char *colon;

	if (strncmp(a, "unix:/", 6) == 0)
		return 1;
	if ((colon = strrchr(a, ':')) == NULL || colon == a)
		return 0;
	for (const char *p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return colon[1] != '\0' && strtol(colon + 1, NULL, 10) > 0 &&
	    strtol(colon + 1, NULL, 10) < 65536;
}

/*
 * The password of redis_password_file: its first line, from a file that
 * group and others cannot read.  0, or -1 reported.
 */
static int
read_password(struct gw_jcheck *ck, const struct json_object *v, char **out)
{
	struct json_object	*jv = NULL;
	struct stat		 st;
	char			*data = NULL, *path = NULL;
	size_t			 len, old;
	int			 r;

	if ((r = gw_jcheck_file(ck, v, "redis_password_file", 4096, &data,
	    &len, &path)) != 1)
		return -1;
	(void)gw_jv_get(v, "redis_password_file", &jv);
	old = gw_jcheck_push_key(ck, "redis_password_file");
	len = strcspn(data, "\r\n");
	data[len] = '\0';
	r = -1;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		gw_jcheck_error(ck, v, "redis_password_file", jv, "'%s' holds "
		    "a secret and must not be readable by group or others "
		    "(chmod 600)", path);
	else if (len == 0 || strpbrk(data, " \t") != NULL)
		gw_jcheck_error(ck, v, "redis_password_file", jv, "'%s' must "
		    "hold one password, without spaces", path);
	else {
		*out = data;
		data = NULL;
		r = 0;
	}
	gw_jcheck_pop(ck, old);
	if (data != NULL) {
		explicit_bzero(data, strlen(data));
		free(data);
	}
	free(path);
	return r;
}

static uint64_t
window_s(const struct gw_rl_spec *s)
{
	switch (s->kind) {
	case GW_RL_RATE:
		return GW_MAX((s->period_us + 999999) / 1000000, 1);
	case GW_RL_DAY:
		return 86400;
	default:
		return 86400 * 30;
	}
}

static int
rl_parse(struct gw_jcheck *ck, const struct json_object *parent,
    const char *key, const struct json_object *v, void **state)
{
	static const char *const keys[] = { "key", "rate", "quota", "burst",
	    "name", "zone", "zone_file", "max_keys", "headers", "store",
	    "redis", "redis_password_file", "redis_prefix", "timeout_ms",
	    "on_redis_error", NULL };
	static const char *const stores[] = { "local", "redis", NULL };
	static const char *const fails[] = { "open", "closed", NULL };
	struct rl_state	*st;
	struct gw_err	 err;
	char		*rate = NULL, *quota = NULL, *zfile = NULL;
	uint64_t	 max_keys = 65536;
	int		 rc = 0, store = 0, fail = 0, r1, r2;

	if (gw_jcheck_object(ck, parent, key, v, keys) == -1)
		return -1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->headers = 1;
	st->timeout_ms = 100;
	if (parse_key(ck, v, st) == -1)
		rc = -1;
	if ((r1 = gw_jcheck_str(ck, v, "rate", &rate)) == -1 ||
	    (r2 = gw_jcheck_str(ck, v, "quota", &quota)) == -1)
		rc = -1;
	else if (r1 + r2 != 1) {
		gw_jcheck_error(ck, parent, key, v, "give one of \"rate\" "
		    "(such as \"100/s\") or \"quota\" (such as \"10000/day\")");
		rc = -1;
	} else if (gw_rl_spec_parse(r1 ? rate : quota, r2, &st->spec,
	    &err) == -1) {
		struct json_object	*jv;
		const char		*k = r1 ? "rate" : "quota";
		size_t			 old = gw_jcheck_push_key(ck, k);

		(void)gw_jv_get(v, k, &jv);
		gw_jcheck_error(ck, v, k, jv, "%s", err.msg);
		gw_jcheck_pop(ck, old);
		rc = -1;
	}
	free(rate);
	free(quota);
	if (gw_jcheck_u64(ck, v, "burst", 0, 1000000, &st->burst) == -1 ||
	    gw_jcheck_u64(ck, v, "max_keys", 1, MAX_SLOTS, &max_keys) == -1 ||
	    gw_jcheck_bool(ck, v, "headers", &st->headers) == -1 ||
	    gw_jcheck_enum(ck, v, "store", stores, &store) == -1 ||
	    gw_jcheck_enum(ck, v, "on_redis_error", fails, &fail) == -1 ||
	    gw_jcheck_u32(ck, v, "timeout_ms", 1, 60000, &st->timeout_ms) == -1 ||
	    gw_jcheck_str(ck, v, "name", &st->name) == -1 ||
	    gw_jcheck_str(ck, v, "zone", &st->zone_name) == -1 ||
	    gw_jcheck_str(ck, v, "zone_file", &zfile) == -1 ||
	    gw_jcheck_str(ck, v, "redis", &st->redis) == -1 ||
	    gw_jcheck_str(ck, v, "redis_prefix", &st->prefix) == -1)
		rc = -1;
	st->fail_closed = fail == 1;
	if (rc == 0 && st->spec.kind != GW_RL_RATE && st->burst > 0) {
		gw_jcheck_error(ck, parent, key, v, "a quota has no burst");
		rc = -1;
	}
	if (rc == 0 && st->spec.kind == GW_RL_RATE && st->burst > 0 &&
	    st->spec.period_us / st->spec.count > (UINT64_C(1) << 60) /
	    st->burst) {
		gw_jcheck_error(ck, parent, key, v, "the burst is too large "
		    "for that rate");
		rc = -1;
	}
	if (rc == 0 && st->name == NULL && (st->name = strdup(
	    st->spec.kind == GW_RL_RATE ? "rate" : "quota")) == NULL)
		rc = -1;
	if (rc == 0) {
		for (const char *p = st->name; *p != '\0'; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
			    (unsigned char)*p >= 0x7f) {
				gw_jcheck_error(ck, parent, key, v, "\"name\" "
				    "cannot hold quotes, backslashes or "
				    "control characters");
				rc = -1;
				break;
			}
	}
	if (rc == 0 && st->zone_name == NULL &&
	    (st->zone_name = strdup(gw_jcheck_path(ck))) == NULL)
		rc = -1;
	if (rc == 0 && store == 1) {
		if (st->redis == NULL || !valid_redis_addr(st->redis)) {
			gw_jcheck_error(ck, parent, key, v, "\"store\": "
			    "\"redis\" needs \"redis\": \"HOST:PORT\" or "
			    "\"unix:/PATH\"");
			rc = -1;
		} else if (st->prefix == NULL &&
		    (st->prefix = strdup("gw:rl:")) == NULL)
			rc = -1;
	} else if (rc == 0 && st->redis != NULL) {
		gw_jcheck_error(ck, parent, key, v, "\"redis\" is for "
		    "\"store\": \"redis\"");
		rc = -1;
	}
	if (rc == 0 && gw_jv_get(v, "redis_password_file", NULL)) {
		if (store != 1) {
			gw_jcheck_error(ck, parent, key, v, "\"redis_password_"
			    "file\" is for \"store\": \"redis\"");
			rc = -1;
		} else if (read_password(ck, v, &st->password) == -1)
			rc = -1;
	}
	if (rc == 0 && zfile != NULL) {
		char *path;

		if (store != 0) {
			gw_jcheck_error(ck, parent, key, v, "\"zone_file\" is "
			    "for \"store\": \"local\"");
			rc = -1;
		} else if ((path = gw_jcheck_resolve(ck, zfile)) == NULL)
			rc = -1;
		else {
			free(zfile);
			zfile = path;
			/* zones of one file are one zone, whatever their name */
			free(st->zone_name);
			if ((st->zone_name = strdup(zfile)) == NULL)
				rc = -1;
		}
	}
	if (rc == 0 && store == 0 && (st->zone = zone_get(st->zone_name,
	    zfile, (size_t)max_keys, st->spec.kind != GW_RL_RATE,
	    &err)) == NULL) {
		struct json_object	*jv = NULL;
		const char		*k = zfile != NULL ? "zone_file" : NULL;
		size_t			 old = k != NULL ?
		    gw_jcheck_push_key(ck, k) : 0;

		if (k != NULL)
			(void)gw_jv_get(v, k, &jv);
		gw_jcheck_error(ck, k != NULL ? v : parent, k != NULL ? k : key,
		    k != NULL ? jv : v, "%s", err.msg);
		if (k != NULL)
			gw_jcheck_pop(ck, old);
		rc = -1;
	}
	free(zfile);
	if (rc == 0 && store == 0) {
		free(st->redis);
		st->redis = NULL;
	}
	if (rc == 0 && asprintf(&st->policy_hdr, "\"%s\";q=%llu;w=%llu",
	    st->name, (unsigned long long)st->spec.count,
	    (unsigned long long)window_s(&st->spec)) == -1) {
		st->policy_hdr = NULL;
		rc = -1;
	}
	if (rc != 0) {
		rl_free(st);
		return -1;
	}
	*state = st;
	return 0;
}

/* The key's text for this request, in the arena. */
static struct gw_str
request_key(struct gw_req *req, const struct rl_state *st)
{
	struct gw_str			 v = GW_STR_NULL;
	const struct gw_http_header	*h;
	char				 vn[300];

	switch (st->key) {
	case KEY_IP:
		if ((v = gw_req_var(req, "client_ip")).p == NULL)
			v = gw_str_cstr(gw_req_client(req));
		break;
	case KEY_CONSUMER:
		v = gw_req_var(req, "consumer");
		break;
	case KEY_HEADER:
		if ((h = gw_req_header(req, st->key_arg)) != NULL)
			v = h->value;
		break;
	case KEY_CLAIM:
		(void)snprintf(vn, sizeof(vn), "claim.%s", st->key_arg);
		v = gw_req_var(req, vn);
		break;
	case KEY_ROUTE:
		v = gw_str_cstr(gw_req_route(req)->name);
		break;
	case KEY_VAR:
		v = gw_req_var(req, st->key_arg);
		break;
	}
	/* requests without the key share one counter */
	if (v.p == NULL)
		v = GW_STR("");
	return v;
}

/* Quota periods on the wall clock (UTC). */
static void
quota_period(enum gw_rl_period kind, uint64_t now_us, uint64_t *period,
    uint64_t *end_us)
{
	time_t		t = (time_t)(now_us / 1000000);
	struct tm	tm;

	if (kind == GW_RL_DAY) {
		*period = (uint64_t)t / 86400;
		*end_us = (*period + 1) * 86400ULL * 1000000;
		return;
	}
	(void)gmtime_r(&t, &tm);
	*period = (uint64_t)(tm.tm_year + 1900) * 12 + (uint64_t)tm.tm_mon;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (++tm.tm_mon == 12) {
		tm.tm_mon = 0;
		tm.tm_year++;
	}
	*end_us = (uint64_t)timegm(&tm) * 1000000;
}

static uint64_t
wall_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
ceil_s(uint64_t us)
{
	return (us + 999999) / 1000000;
}

/* Record the headers for the response; the lowest remaining wins. */
static int
note_headers(struct gw_req *req, const struct rl_state *st,
    const struct gw_rl_result *r)
{
	struct gw_arena	*a = gw_req_arena(req);
	struct gw_str	 prev = gw_req_var(req, "ratelimit.remaining");
	char		*rem, *val;
	uint64_t	 p;

	if (!st->headers)
		return 0;
	if (prev.p != NULL && gw_str_to_u64(prev, UINT64_MAX, &p) == 0 &&
	    p < r->remaining)
		return 0;
	if ((rem = gw_arena_printf(a, "%llu",
	    (unsigned long long)r->remaining)) == NULL ||
	    (val = gw_arena_printf(a, "\"%s\";r=%llu;t=%llu", st->name,
	    (unsigned long long)r->remaining,
	    (unsigned long long)ceil_s(r->reset_us))) == NULL)
		return -1;
	if (gw_req_var_set(req, "ratelimit.remaining", gw_str_cstr(rem)) == -1 ||
	    gw_req_var_set(req, "ratelimit", gw_str_cstr(val)) == -1 ||
	    gw_req_var_set(req, "ratelimit.policy",
	    gw_str_cstr(st->policy_hdr)) == -1)
		return -1;
	return 0;
}

/* Act on a decision: NEXT, or DONE after a 429. */
static enum gw_policy_rc
decide(struct gw_req *req, const struct rl_state *st,
    const struct gw_rl_result *r)
{
	struct gw_http_header	 h[3];
	char			*ra;
	size_t			 nh = 0;

	if (note_headers(req, st, r) == -1) {
		gw_resp_problem(req, 500, "internal", "out of memory");
		return GW_POLICY_DONE;
	}
	if (r->allowed)
		return GW_POLICY_NEXT;
	gw_log_debug("rate_limit: request %s limited by %s",
	    gw_req_id(req), st->zone_name);
	gw_req_count(req, "rate_limit", "rate_limited");
	if ((ra = gw_arena_printf(gw_req_arena(req), "%llu",
	    (unsigned long long)GW_MAX(ceil_s(r->retry_us), 1))) != NULL) {
		h[nh].name = GW_STR("Retry-After");
		h[nh++].value = gw_str_cstr(ra);
	}
	if (st->headers) {
		struct gw_str pv = gw_req_var(req, "ratelimit.policy");
		struct gw_str rv = gw_req_var(req, "ratelimit");

		if (pv.p != NULL && rv.p != NULL) {
			h[nh].name = GW_STR("RateLimit-Policy");
			h[nh++].value = pv;
			h[nh].name = GW_STR("RateLimit");
			h[nh++].value = rv;
		}
	}
	gw_authn_problem(req, 429, "too-many-requests", st->spec.kind ==
	    GW_RL_RATE ? "the rate limit is exceeded" :
	    "the quota is used up", h, nh);
	return GW_POLICY_DONE;
}

static enum gw_policy_rc
fail_mode(struct gw_req *req, struct rl_state *st)
{
	struct gw_rl_result r;

	if (!st->failing) {
		/* once until Redis answers again, per worker */
		st->failing = 1;
		gw_log_warnx("rate_limit %s: no decision from redis '%s'; "
		    "failing %s", st->zone_name, st->redis,
		    st->fail_closed ? "closed: requests are refused" :
		    "open: requests pass");
	}
	if (!st->fail_closed)
		return GW_POLICY_NEXT;
	memset(&r, 0, sizeof(r));
	r.retry_us = 1000000;
	r.reset_us = 1000000;
	return decide(req, st, &r);
}

static void
op_finish(struct rl_op *op)
{
	gw_timer_stop(&op->timer);
	op->req = NULL;
}

static void
op_timeout(struct gw_timer *t)
{
	struct rl_op	*op = t->arg;
	struct gw_req	*req = op->req;

	op->req = NULL;
	if (req == NULL)
		return;
	gw_log_warnx("rate_limit: redis '%s' did not answer in %u ms; "
	    "failing %s", op->st->redis, op->st->timeout_ms,
	    op->st->fail_closed ? "closed" : "open");
	gw_req_policy_resume(req, fail_mode(req, op->st));
}

static void
op_abort(struct gw_req *req, void *arg)
{
	struct rl_op *op = arg;

	(void)req;
	op_finish(op);
}

static void
op_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct rl_op		*op = priv;
	redisReply		*rep = r;
	struct gw_req		*req = op->req;
	struct gw_rl_result	 res;

	(void)ac;
	op->conn->pending--;
	if (req == NULL) {
		free(op);
		return;
	}
	op_finish(op);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 4) {
		gw_log_warnx("rate_limit: redis '%s': %s; failing %s",
		    op->st->redis, rep == NULL ? "no answer" :
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "bad answer",
		    op->st->fail_closed ? "closed" : "open");
		gw_req_policy_resume(req, fail_mode(req, op->st));
		free(op);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		if (rep->element[i]->type != REDIS_REPLY_INTEGER ||
		    rep->element[i]->integer < 0) {
			gw_req_policy_resume(req, fail_mode(req, op->st));
			free(op);
			return;
		}
	if (op->st->failing) {
		op->st->failing = 0;
		gw_log_warnx("rate_limit %s: redis '%s' decides again",
		    op->st->zone_name, op->st->redis);
	}
	res.allowed = rep->element[0]->integer == 1;
	res.remaining = (uint64_t)rep->element[1]->integer;
	res.retry_us = (uint64_t)rep->element[2]->integer;
	res.reset_us = (uint64_t)rep->element[3]->integer;
	gw_req_policy_resume(req, decide(req, op->st, &res));
	free(op);
}

static struct rl_worker *
rl_worker_of(const struct rl_state *st, const struct gw_server *srv)
{
	struct rl_worker *w;

	for (w = st->workers; w != NULL; w = w->next)
		if (w->srv == srv)
			break;
	return w;
}

static enum gw_policy_rc
redis_request(struct gw_req *req, struct rl_state *st, struct gw_str key)
{
	struct rl_worker *w = rl_worker_of(st, gw_req_server(req));
	struct rconn	*c = w != NULL ? w->conn : NULL;
	struct rl_op	*op;
	char		 rkey[600], a2[32], a3[32], hex[2 * GW_SHA256_LEN + 1];
	const char	*mode;
	int		 n;

	if (c == NULL)
		return fail_mode(req, st);
	if (!c->connected && c->ac == NULL)
		return fail_mode(req, st);	/* down: said in the log */
	if (c->pending >= MAX_PENDING) {
		gw_log_warnx("rate_limit: redis '%s': %zu decisions waiting; "
		    "failing %s", st->redis, c->pending,
		    st->fail_closed ? "closed" : "open");
		return fail_mode(req, st);
	}
	if (key.len > MAX_KEY_TEXT) {
		unsigned char h[GW_SHA256_LEN];

		gw_sha256(key.p, key.len, h);
		gw_hex(h, sizeof(h), hex);
		key = gw_str_cstr(hex);
	}
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return fail_mode(req, st);
	op->req = req;
	op->st = st;
	op->conn = c;
	if (st->spec.kind == GW_RL_RATE) {
		uint64_t t = st->spec.period_us / st->spec.count;

		mode = "rate";
		n = snprintf(rkey, sizeof(rkey), "%s%s:%.*s", st->prefix,
		    st->zone_name, (int)key.len, key.p);
		(void)snprintf(a2, sizeof(a2), "%llu", (unsigned long long)t);
		(void)snprintf(a3, sizeof(a3), "%llu",
		    (unsigned long long)(t * st->burst));
	} else {
		uint64_t period, end;

		mode = "quota";
		quota_period(st->spec.kind, wall_us(), &period, &end);
		n = snprintf(rkey, sizeof(rkey), "%s%s:%.*s:%llu", st->prefix,
		    st->zone_name, (int)key.len, key.p,
		    (unsigned long long)period);
		(void)snprintf(a2, sizeof(a2), "%llu",
		    (unsigned long long)st->spec.count);
		(void)snprintf(a3, sizeof(a3), "%llu", (unsigned long long)end);
	}
	if (n < 0 || (size_t)n >= sizeof(rkey) ||
	    redisAsyncCommand(c->ac, op_reply, op, "EVAL %s 1 %b %s %s %s",
	    lua_script, rkey, (size_t)n, mode, a2, a3) != REDIS_OK) {
		free(op);
		return fail_mode(req, st);
	}
	c->pending++;
	gw_timer_start(gw_req_loop(req), &op->timer,
	    (uint64_t)st->timeout_ms * 1000, op_timeout, op);
	gw_req_on_abort(req, op_abort, op);
	return GW_POLICY_WAIT;
}

static enum gw_policy_rc
rl_request(struct gw_req *req, void *arg)
{
	struct rl_state		*st = arg;
	struct gw_str		 v = request_key(req, st);
	struct gw_rl_result	 r;
	struct gw_buf		 kb;
	enum gw_policy_rc	 rc;

	if (st->redis != NULL)
		return redis_request(req, st, v);
	/* the kind in front: zones shared by keys of several kinds */
	gw_buf_init(&kb, 0);
	if (gw_buf_printf(&kb, NULL, "%d:", (int)st->key) == -1 ||
	    gw_buf_append_str(&kb, v, NULL) == -1) {
		gw_buf_release(&kb);
		gw_resp_problem(req, 500, "internal", "out of memory");
		return GW_POLICY_DONE;
	}
	if (st->spec.kind == GW_RL_RATE)
		gw_rl_zone_rate(st->zone->z, gw_buf_str(&kb), gw_clock_us(),
		    st->spec.period_us / st->spec.count, st->burst, &r);
	else {
		uint64_t now = wall_us(), period, end;

		quota_period(st->spec.kind, now, &period, &end);
		gw_rl_zone_quota(st->zone->z, gw_buf_str(&kb), period,
		    st->spec.count, now, end, &r);
	}
	gw_buf_release(&kb);
	rc = decide(req, st, &r);
	return rc;
}

static enum gw_policy_rc
rl_response(struct gw_req *req, void *arg)
{
	struct rl_state	*st = arg;
	struct gw_str	 pv, rv;

	if (!st->headers || gw_resp_status(req) == 429)
		return GW_POLICY_NEXT;
	pv = gw_req_var(req, "ratelimit.policy");
	rv = gw_req_var(req, "ratelimit");
	if (pv.p != NULL && rv.p != NULL) {
		(void)gw_resp_header_set(req, "RateLimit-Policy", pv);
		(void)gw_resp_header_set(req, "RateLimit", rv);
	}
	return GW_POLICY_NEXT;
}

/* A server starts: connect to Redis now, not on its first request. */
static int
rl_worker_start(void *arg, struct gw_server *srv, struct gw_err *err)
{
	struct rl_state		*st = arg;
	struct rl_worker	*w;

	if (st->redis == NULL || rl_worker_of(st, srv) != NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->conn = rconn_get(st->redis, st->password, srv)) == NULL) {
		free(w);
		return gw_err_set(err, GW_E_NOMEM, "out of memory");
	}
	w->srv = srv;
	w->next = st->workers;
	st->workers = w;
	return 0;
}

/*
 * A decision belongs to its request, which lets go of it when it ends
 * (op_abort): by the time the server stops its policies no request waits
 * for Redis, and closing the connection frees what is still queued.
 */
static void
rl_worker_stop(void *arg, struct gw_server *srv)
{
	struct rl_state		*st = arg;
	struct rl_worker	*w, **wp;

	for (wp = &st->workers; *wp != NULL; wp = &(*wp)->next)
		if ((*wp)->srv == srv)
			break;
	if ((w = *wp) == NULL)
		return;
	*wp = w->next;
	rconn_put(w->conn);
	free(w);
}

const struct gw_policy_type gw_policy_rate_limit = {
	.name = "rate_limit",
	.parse = rl_parse,
	.free = rl_free,
	.worker_start = rl_worker_start,
	.worker_stop = rl_worker_stop,
	.request = rl_request,
	.response = rl_response,
};
