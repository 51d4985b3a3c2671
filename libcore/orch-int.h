/*
 * orch-int.h: what the files of the orchestration module share (not for
 * tools).
 *
 *	orch-script.c	loading a script: steps, templates, the graph
 *	orch-tmpl.c	the template language: parsing and evaluating
 *			"${...}" references, rendering strings and JSON
 *	orch-run.c	running a composition on the loop
 *	orch-tape.c	recording calls and answering them from recordings
 *	orch.c		environments, the graph's description, gw-serve
 *
 * A loaded script lives in one arena (struct gw_orch.arena): its steps,
 * templates and defaults; its JSON document stays alive so that literal
 * parts of templates are borrowed from it.  A run lives in its own arena.
 */
#ifndef GW_ORCH_INT_H
#define GW_ORCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "err.h"
#include "gw.h"
#include "http.h"
#include "json.h"
#include "jsonxml.h"
#include "loop.h"
#include "mediate.h"
#include "orch.h"
#include "xml.h"

/* Defaults and limits of scripts (gw-orchestrate(5) documents them). */
#define ORCH_DEADLINE_MS	10000	/* whole composition */
#define ORCH_MAX_DEADLINE_MS	600000
#define ORCH_TIMEOUT_MS		5000	/* one call */
#define ORCH_MAX_RETRIES	10
#define ORCH_BACKOFF_MS		100
#define ORCH_MAX_BACKOFF_MS	60000
#define ORCH_CONCURRENCY	10	/* foreach calls at once */
#define ORCH_MAX_CONCURRENCY	1000
#define ORCH_MAX_ITEMS		10000	/* of one foreach */
#define ORCH_MAX_BYTES		(1024 * 1024)	/* of one answer */
#define ORCH_MAX_MAX_BYTES	(64 * 1024 * 1024)
#define ORCH_MAX_RENDER		(4 * 1024 * 1024) /* of one rendered template */
#define ORCH_MAX_HELD		(64 * 1024 * 1024) /* answers of one run */
#define ORCH_MAX_MAX_HELD	(1024 * 1024 * 1024)
#define ORCH_MAX_TEMPLATE	(64 * 1024)	/* of one template string */
#define ORCH_MAX_NAME		64	/* of a step or service name */

/* Templates. */

enum orch_src {
	SRC_REQ_METHOD,
	SRC_REQ_PATH,
	SRC_REQ_QUERY,		/* name: a query parameter */
	SRC_REQ_HEADER,		/* name: a field, without case */
	SRC_REQ_PARAM,		/* name: a path parameter */
	SRC_REQ_BODY,		/* JSON Pointer into it */
	SRC_REQ_ID,
	SRC_ITEM,		/* the foreach item, JSON Pointer into it */
	SRC_INDEX,		/* its index */
	SRC_STEP_STATUS,
	SRC_STEP_OK,
	SRC_STEP_ERROR,
	SRC_STEP_HEADER,	/* name: a field, without case */
	SRC_STEP_BODY,		/* JSON Pointer into it */
	SRC_STEP_XPATH		/* name: an XPath expression */
};

struct orch_ref {
	enum orch_src		 src;
	char			*name;
	char			*stepname;	/* SRC_STEP_* as written */
	size_t			 step;		/* its index (the loader's) */
	const char		**ptr;		/* JSON Pointer, decoded */
	size_t			 nptr;
	int			 raw;		/* "| raw": never URL-encoded */
	int			 number;	/* "| number" */
	int			 xml;		/* "| xml": escaped for XML */
	int			 has_default;
	struct json_object	*deflt;		/* "?? value" (NULL: null) */
	char			*text;		/* the reference as written */
};

/* A string template: literal parts and references, in order. */
struct orch_part {
	const char		*lit;		/* ref == NULL */
	size_t			 len;
	struct orch_ref		*ref;
};

struct orch_tmpl {
	struct orch_part	*parts;
	size_t			 nparts;
};

/* 1 if t is one reference and nothing else ("${a.body}"). */
static inline int
orch_tmpl_single(const struct orch_tmpl *t)
{
	return t->nparts == 1 && t->parts[0].ref != NULL;
}

/* A JSON template: strings in it are templates. */
enum orch_jt_kind {
	JT_LIT,		/* no reference below: written as is */
	JT_STR,		/* a string with references: rendered to a string */
	JT_REF,		/* a string that is one reference: its value, typed */
	JT_OBJ,
	JT_ARR
};

struct orch_jt {
	enum orch_jt_kind	 kind;
	const struct json_object *lit;		/* JT_LIT */
	struct orch_tmpl	 t;		/* JT_STR, JT_REF */
	const char		**keys;		/* JT_OBJ */
	struct orch_jt		*kids;		/* JT_OBJ, JT_ARR */
	size_t			 n;
};

/* Conditions of "when". */
enum orch_cond_kind {
	COND_CONST,	/* true or false */
	COND_TRUTH,	/* the value of a template is truthy */
	COND_EQ,
	COND_NE,
	COND_NOT,
	COND_AND,
	COND_OR
};

struct orch_cond {
	enum orch_cond_kind	 kind;
	int			 value;		/* COND_CONST */
	struct orch_jt		 a, b;		/* COND_TRUTH (a), COND_EQ/NE */
	struct orch_cond	*kids;		/* COND_NOT (1), AND, OR */
	size_t			 n;
};

/* Scripts. */

struct orch_target {
	const char		*name;		/* service name, or NULL */
	char			*url;		/* "http://host:port" */
	const char		*base;		/* service base path, or "" */
	struct gw_client_target	 t;		/* strings point into url */
	int			 resolved;
};

struct orch_field {
	const char		*name;
	struct orch_tmpl	 value;
};

struct orch_status_range {
	int	lo, hi;
};

enum orch_body_kind {
	BODY_NONE,
	BODY_JSON,
	BODY_TEXT
};

enum orch_parse {
	PARSE_AUTO,	/* JSON or XML if the answer says so (Content-Type) */
	PARSE_JSON,
	PARSE_TEXT,
	PARSE_XML
};

struct orch_step {
	const char		*name;
	size_t			 idx;
	const char		*method;	/* as written */
	struct orch_tmpl	 method_t;	/* nparts > 0: a template */
	int			 idempotent;	/* (a template: when run) */
	/* where the call goes: a target of the script, or a service */
	size_t			 target;	/* with has_target */
	int			 has_target;
	struct orch_tmpl	 service;	/* a service name, otherwise */
	struct orch_tmpl	 path;		/* "/path?query" */
	struct orch_field	*headers;
	size_t			 nheaders;
	enum orch_body_kind	 body_kind;
	struct orch_jt		 json;		/* BODY_JSON */
	struct orch_tmpl	 text;		/* BODY_TEXT */
	const char		*content_type;	/* of the body, by default */
	struct orch_cond	*when;		/* NULL: always */
	struct orch_tmpl	 foreach;	/* nparts 0: none */
	uint32_t		 concurrency;
	uint32_t		 timeout_ms;
	uint32_t		 retries;
	uint32_t		 backoff_ms;
	uint64_t		 max_bytes;
	int			 optional;
	int			 has_fallback;
	const struct json_object *fallback;
	struct orch_status_range *expect;	/* nexpect 0: 200-299 */
	size_t			 nexpect;
	enum orch_parse		 parse;
	struct gw_jx_friendly	*to_json;	/* "xml_to_json": XML answers
						   become JSON this way */
	struct gw_mediation	*med_req;	/* "mediate": the body sent */
	struct gw_mediation	*med_resp;	/* ... the answer read */
	size_t			*deps;		/* steps it refers to */
	size_t			 ndeps;
	size_t			*users;		/* steps that refer to it */
	size_t			 nusers;
	int			 uses_item;
};

struct orch_response {
	int			 present;	/* the script has "response" */
	int			 status;	/* 0: status_t says */
	struct orch_tmpl	 status_t;
	struct orch_field	*headers;
	size_t			 nheaders;
	enum orch_body_kind	 body_kind;	/* BODY_NONE: the default */
	struct orch_jt		 json;
	struct orch_tmpl	 text;
	struct gw_xslt		*xslt;		/* compose with a stylesheet */
	size_t			*deps;
	size_t			 ndeps;
};

struct gw_orch {
	struct gw_arena		*arena;
	char			*origin;
	struct gw_jdoc		*doc;
	unsigned		 flags;
	uint32_t		 deadline_ms;
	uint64_t		 max_held;	/* "max_bytes" */
	struct orch_target	*targets;
	size_t			 ntargets;
	struct orch_step	*steps;
	size_t			 nsteps;
	struct orch_response	 resp;
	const char		**ns;		/* XPath prefixes and URIs, in
						   pairs, NULL-terminated */
	struct gw_jx_friendly	*to_xml;	/* JSON bodies for "xslt" */
	int			 uses_body;	/* refers to request.body */
	int			 body_pointer;	/* ... with a JSON Pointer */
	struct gw_orch_tape	*replay;	/* a gw-serve route's own */
};

/* Values and evaluation. */

enum orch_val_kind {
	VAL_JSON,	/* j, NULL being null */
	VAL_STR,	/* s */
	VAL_INT,	/* i */
	VAL_BOOL	/* i: 0 or 1 */
};

struct orch_val {
	enum orch_val_kind	 kind;
	const struct json_object *j;
	struct gw_str		 s;
	int64_t			 i;
	int			 from_default;	/* the reference's default */
};

/* What a step gave, as references see it. */
enum orch_res_state {
	RES_PENDING,
	RES_OK,
	RES_FAILED,	/* an optional step that failed */
	RES_SKIPPED	/* its condition was false */
};

struct orch_result {
	enum orch_res_state	 state;
	int			 has_status;
	int			 status;
	const struct gw_http_header *headers;
	size_t			 nheaders;
	int			 has_body;
	int			 is_json;
	const struct json_object *json;		/* is_json (NULL: null) */
	struct gw_xml_doc	*xml;		/* an XML answer, or NULL */
	struct gw_str		 text;		/* the raw body */
	const char		*error;		/* RES_FAILED */
	int			 foreach;
	const struct json_object *statuses;	/* foreach: an array */
};

/* The incoming request, with its body parsed when it is JSON. */
struct orch_input {
	struct gw_str			 method, path, query, body;
	const struct gw_http_header	*headers;
	size_t				 nheaders;
	const struct gw_orch_param	*params;
	size_t				 nparams;
	const char			*id;
	int				 body_is_json;
	const struct json_object	*body_json;
};

struct orch_scope {
	const struct gw_orch		*o;
	const struct orch_input		*in;
	const struct orch_result	*res;		/* one per step */
	struct gw_arena			*arena;		/* scratch */
	int				 has_item;
	const struct json_object	*item;
	size_t				 index;
};

/* Why an evaluation failed, and the step whose result was missing. */
struct orch_fail {
	char		 msg[512];
	const char	*step;		/* may be NULL */
};

enum orch_render_mode {
	RENDER_PLAIN,
	RENDER_URL	/* references percent-encoded, unless "| raw" */
};

/* orch-tmpl.c */

/*
 * Parse s[0..len) into t (memory from a).  step names stay unresolved.
 * -1 with a message in why for a bad template.
 */
int	orch_tmpl_parse(struct gw_arena *a, const char *s, size_t len,
	    struct orch_tmpl *t, char *why, size_t whylen);
/* Evaluate r in sc: 0 and *v, or -1 with f filled (missing, no default). */
int	orch_ref_eval(const struct orch_ref *r, const struct orch_scope *sc,
	    struct orch_val *v, struct orch_fail *f);
/* Render a string template, appending to out. */
int	orch_tmpl_render(const struct orch_tmpl *t,
	    const struct orch_scope *sc, enum orch_render_mode mode,
	    struct gw_buf *out, struct orch_fail *f);
/* Render a JSON template as compact JSON, appending to out. */
int	orch_jt_render(const struct orch_jt *jt, const struct orch_scope *sc,
	    struct gw_buf *out, struct orch_fail *f);
/* The value of a JSON template (objects and arrays parsed in sc->arena). */
int	orch_jt_value(const struct orch_jt *jt, const struct orch_scope *sc,
	    struct orch_val *v, struct orch_fail *f);
/* A condition; missing values count as null. */
int	orch_cond_eval(const struct orch_cond *c, const struct orch_scope *sc,
	    int *out, struct orch_fail *f);
/* Append v as JSON, or as text (strings bare, the rest as JSON). */
int	orch_val_json(const struct orch_val *v, struct gw_buf *out,
	    struct gw_err *err);
int	orch_val_text(const struct orch_val *v, struct gw_buf *out,
	    struct gw_err *err);
/* JSON Pointer look-up: 1 and *out, or 0 if there is no such value. */
int	orch_pointer_get(const struct json_object *root, const char *const *tok,
	    size_t ntok, const struct json_object **out);
/* Parse text as one JSON document owned by arena a (freed with it). */
int	orch_json_parse(struct gw_arena *a, const char *p, size_t len,
	    const char *origin, const struct json_object **out,
	    struct gw_err *err);
/* Percent-encode s for a URL (everything but RFC 3986 unreserved). */
int	orch_url_encode(struct gw_buf *out, const char *s, size_t len,
	    struct gw_err *err);
/* 1 if s[0..len) is valid UTF-8. */
int	orch_utf8_valid(const char *s, size_t len);

/* orch-run.c */

/* Find (or make) the pool of env for target t; NULL with err. */
struct gw_client_pool *orch_env_pool(struct gw_orch_env *env,
	    const struct gw_client_target *t, struct gw_err *err);

/* orch-tape.c */

/* What a recording holds, or what to record. */
struct orch_exchange {
	const char			*step;
	size_t				 index;
	struct gw_str			 method;
	const char			*service;	/* may be NULL */
	const char			*url;		/* full, for people */
	struct gw_str			 target;
	struct gw_str			 body;
	/* the answer: a status, or a failure */
	int				 failed;
	const char			*error;		/* failed */
	int				 status;
	const struct gw_http_header	*headers;
	size_t				 nheaders;
	struct gw_str			 rbody;
};

/* The recording for x's request, or NULL. */
const struct orch_exchange *orch_tape_find(const struct gw_orch_tape *t,
	    const struct orch_exchange *x);
/* Write x into dir (one file per request). */
int	orch_tape_write(const char *dir, const struct orch_exchange *x,
	    struct gw_err *err);
/* Parse one recording (for the loader and the fuzzer). */
int	orch_tape_parse_one(struct gw_arena *a, const char *buf, size_t len,
	    const char *origin, struct orch_exchange *x, struct gw_err *err);

/* orch.c */

/* gw_jdoc_free() for gw_arena_defer(). */
void	orch_jdoc_free(void *d);
/* gw_orch_tape_free() for gw_arena_defer(). */
void	orch_tape_free(void *t);

#endif /* GW_ORCH_INT_H */
