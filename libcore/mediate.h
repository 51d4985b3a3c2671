/*
 * mediate.h: mediations, chains of steps over a payload.
 *
 * A mediation file (JSON with comments, gw-mediate(5)) lists steps:
 *
 *	{ "steps": [ { "json2xml": { "root": "Add",
 *	                             "namespace": "http://tempuri.org/" } },
 *	             { "xslt": { "stylesheet": "add.xsl",
 *	                         "params": { "id": "$path.id" } } },
 *	             { "soap_wrap": { "version": "1.1",
 *	                              "action": "http://tempuri.org/Add" } } ] }
 *
 * Steps: json2xml and xml2json (lossless, friendly or badgerfish, with
 * jsonxml.h's options), xslt (a stylesheet with parameters), soap_wrap and
 * soap_unwrap.  Loading checks the file whole, compiles its stylesheets
 * (through the cache of xml.h) and reads its schemas, so that a run does
 * no file I/O.  gw-mediate runs mediations from the command line and in
 * its tests; gw-serve runs them as the "mediate" policy (the same code).
 *
 * Parameter values that start with '$' name a variable of the run
 * ("$path.id", "$query.q", "$header.X-Id", "$method", "$status",
 * "$soap.action", "$soap.version", "$request_id", "$var.NAME"); "$$"
 * starts a literal '$'.
 *
 * Ownership: a struct gw_mediation is immutable once loaded and owned by
 * whoever loaded it (gw_mediation_free()).
 */
#ifndef GW_MEDIATE_H
#define GW_MEDIATE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "jcheck.h"
#include "soap.h"
#include "xml.h"

/* Bytes of one mediation file. */
#define GW_MEDIATE_MAX_FILE_BYTES	(1024 * 1024)
/* Steps in one mediation. */
#define GW_MEDIATE_MAX_STEPS		64

struct gw_mediation;

/*
 * Load the mediation file at path.  On error -1: err has the first
 * problem, report (if not NULL) one line per problem, "file:line:col:
 * path: message".  A missing file is GW_E_NOTFOUND, others GW_E_CONFIG.
 */
int	gw_mediation_load(const char *path, struct gw_mediation **out,
	    struct gw_buf *report, struct gw_err *err);
/*
 * A mediation from a "steps" array v (member key of parent), checked and
 * reported through ck (file names relative to its directory): 0, or -1
 * after reporting.
 */
int	gw_mediation_from_json(struct gw_jcheck *ck,
	    const struct json_object *parent, const char *key,
	    const struct json_object *v, struct gw_mediation **out);
void	gw_mediation_free(struct gw_mediation *m);
/* Its origin (the file, or "steps"). */
const char *gw_mediation_origin(const struct gw_mediation *m);
/* 1 if it has a soap_wrap step (its output goes to a SOAP peer). */
int	gw_mediation_makes_soap(const struct gw_mediation *m);
/* 1 if it has a soap_unwrap step. */
int	gw_mediation_reads_soap(const struct gw_mediation *m);

/*
 * Variables: fn(arg, name) appends the value of name ("path.id") to out
 * and returns 0, or returns 1 when there is no such variable (the value
 * is then empty).
 */
typedef int gw_mediate_var_fn(void *arg, const char *name, struct gw_buf *out,
    struct gw_err *err);

/* One run: what goes in and what comes out. */
struct gw_mediate_run {
	/* in */
	const char		*input;
	size_t			 len;
	const char		*origin;	/* names the input in messages */
	/* parameters for every xslt step, over the file's own */
	const struct gw_xslt_param *params;
	size_t			 nparams;
	gw_mediate_var_fn	*var;		/* may be NULL */
	void			*var_arg;
	/* the caller's SOAP version, for soap_wrap "version": "caller" */
	enum gw_soap_version	 caller_soap;
	int			 fault_detail;	/* soapFault.detail allowed */
	const char		*request_id;	/* for problem documents */
	/* out */
	struct gw_buf		*out;		/* the result is appended */
	char			 content_type[256];
	char			 soap_action[512];	/* soap_wrap's, or "" */
	enum gw_soap_version	 soap_out;	/* soap_wrap's version */
	enum gw_soap_version	 soap_in;	/* soap_unwrap's envelope */
	int			 status;	/* after a fault: 400 or 502 */
	int			 failed_step;	/* index of the failing step */
};

/*
 * Run m.  0: done, the result in r->out and its type in r->content_type.
 * 1: soap_unwrap met a fault: r->out holds its problem document
 * (application/problem+json) and r->status its status.  -1: a step
 * failed; GW_E_PROTO when the input (or what a step made of it) is not
 * what the step reads, GW_E_LIMIT, GW_E_NOMEM; err->msg says which step.
 */
int	gw_mediation_run(const struct gw_mediation *m, struct gw_mediate_run *r,
	    struct gw_err *err);

/*
 * Offline tests (mediate-test.c, gw-mediate test): run the cases of the
 * test file at path, or of every "*.test.json" under the directory path.
 * Each case adds "ok N - file: name" or "not ok N - file: name" to report,
 * with "#" lines saying why under a failure (or always when verbose), and
 * counts in *passed, *failed and *n.  -1 when path cannot be read or is
 * not a test file (GW_E_NOTFOUND, GW_E_CONFIG), after reporting what is
 * wrong with it.
 */
int	gw_mediate_test_path(const char *path, int verbose,
	    struct gw_buf *report, int *passed, int *failed, int *n,
	    struct gw_err *err);

/*
 * Compare what was expected with what came out, as kind says ("json":
 * structurally, "xml": canonically, "text": byte for byte).  0: the same;
 * 1: different, with "#" lines saying how appended to diff; -1: one of
 * them could not be read as kind (err).
 */
int	gw_mediate_compare(const char *kind, const char *want, size_t wl,
	    const char *got, size_t gl, struct gw_buf *diff,
	    struct gw_err *err);

/*
 * The "mediate" policy of gw-serve routes (mediate-policy.c, apart so
 * that what runs mediations does not link the server):
 *
 *	{ "mediate": { "request": "m/req.json", "response": "m/resp.json" } }
 *
 * The request mediation replaces the request body (and its Content-Type,
 * and SOAPAction for SOAP 1.1) before the handler; the response mediation
 * replaces the response body once it is whole.  SOAP faults become
 * problem documents, REST errors become faults of the caller's SOAP
 * version when the response mediation makes SOAP.  gw-mediate(5) says
 * the rest.
 */
struct gw_policy_type;
extern const struct gw_policy_type gw_policy_mediate;

#endif /* GW_MEDIATE_H */
