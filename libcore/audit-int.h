/*
 * audit-int.h: what the files of the audit module share (not for tools).
 *
 * audit.c		scans: format dispatch, findings, text and raw bodies,
 *			limits and their knobs
 * audit-json.c	JSON structure limits over the streaming reader
 * audit-xml.c		XML structure and entity limits over libxml2's SAX2
 * audit-http.c	raw HTTP requests, request parts, forms, multipart
 * audit-rules.c	the rule file format, compiling, the prefilter automaton
 * audit-match.c	decodings and matching values against the rules
 * audit-policy.c	the "audit" and "audit_response" policies of gw-serve
 */
#ifndef GW_AUDIT_INT_H
#define GW_AUDIT_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stddef.h>
#include <stdint.h>

#include <pcre2.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "gw.h"

/* What a rule looks at. */
enum audit_target {
	AT_PATH,
	AT_QUERY_NAME,
	AT_QUERY_VALUE,
	AT_HEADER_NAME,
	AT_HEADER_VALUE,
	AT_COOKIE_NAME,
	AT_COOKIE_VALUE,
	AT_FORM_NAME,
	AT_FORM_VALUE,
	AT_FILE_NAME,
	AT_JSON_KEY,
	AT_JSON_VALUE,
	AT_XML_TEXT,
	AT_XML_ATTR,
	AT_XML_NAME,
	AT_TEXT,
	AT_BODY,
	AT_METHOD,
	AT_URI,
	AT_NTARGETS
};

#define AT_BIT(t)	(1u << (t))

/* Decodings, applied in the order a rule lists them. */
enum audit_decode {
	AD_URL,		/* %XX and %uXXXX */
	AD_PLUS,	/* '+' as a space */
	AD_JSON,	/* JSON string escapes */
	AD_HTML,	/* XML/HTML character and entity references */
	AD_BASE64,	/* the whole value, when it is base64 */
	AD_LOWER,	/* ASCII lower case */
	AD_SPACE,	/* runs of white space as one space */
	AD_NOSPACE,	/* no white space at all */
	AD_NULLS,	/* NUL bytes removed */
	AD_COMMENTS,	/* C comments as one space */
	AD_CMDLINE,	/* shell quoting and escapes removed */
	AD_PATH,	/* backslashes as slashes, "//" and "/./" folded */
	AD_NDECODES
};

#define AUDIT_MAX_DECODES	8

struct audit_rule {
	char			*id;
	char			*message;
	enum gw_audit_severity	 severity;
	int			 paranoia;
	uint32_t		 targets;	/* AT_BIT()s */
	char			**headers;	/* lower-case names, or NULL: all */
	size_t			 nheaders;
	pcre2_code		*re;
	int			 prefiltered;	/* has prefilter literals */
	size_t			 group;
	unsigned		 line;		/* in the rule file */
};

/* Aho-Corasick automaton over lower-cased literals, as a DFA. */
struct audit_ac {
	uint8_t		 cls[256];	/* byte -> class */
	size_t		 nclass;
	size_t		 nstates;
	uint32_t	*next;		/* nstates * nclass */
	uint32_t	*out;		/* per state: first index in outs, or ~0 */
	uint32_t	*outs;		/* rule indexes, each list ending ~0 */
	size_t		 nouts;
};

/* The rules that share one chain of decodings. */
struct audit_group {
	uint8_t		 decode[AUDIT_MAX_DECODES];
	size_t		 ndecode;
	size_t		*rules;		/* indexes into the rule set */
	size_t		 nrules;
	size_t		*always;	/* those without literals, in order */
	size_t		 nalways;
	uint32_t	 targets;	/* union of the rules' */
	int		 prefiltered;	/* some of its rules have literals */
};

struct gw_audit_rules {
	struct audit_rule	*rules;
	size_t			 nrules;
	struct audit_group	*groups;
	size_t			 ngroups;
	uint32_t		 targets;	/* union of every rule's */
	int			 jit;
	/* one automaton over the literals of every rule */
	struct audit_ac		 ac;		/* nstates 0: no literals */
};

/* A decoded text of a value, and the rules the automaton found in it. */
struct audit_text {
	size_t	off, len;	/* in the scan's texts buffer */
	size_t	hit, nhit;	/* in the scan's hits */
};

/* The state a scan keeps for its format; see each file. */
struct audit_json;
struct audit_xml;
struct audit_http;

/* A value that arrives in pieces, matched in windows. */
struct audit_acc {
	struct gw_buf	 buf;
	uint64_t	 total;		/* bytes of the value so far */
	int		 active;
	int		 over;		/* its limit was reported */
};

/* Windows of long values: what is matched at once, and the overlap. */
#define AUDIT_WINDOW	(64 * 1024)
#define AUDIT_OVERLAP	(1024)

struct gw_audit_scan {
	struct gw_audit_opts	 o;
	struct gw_audit_limits	 lim;
	struct gw_audit_result	 res;
	enum gw_audit_format	 fmt;		/* as asked */
	enum gw_audit_format	 body_fmt;	/* of the body being read */
	int			 stopped;
	int			 ended;
	int			 failed;	/* an internal error */
	struct gw_err		 ferr;
	uint32_t		 want;		/* targets some rule has */
	int			 paranoia;
	/* sniffing the format (AUTO) */
	struct gw_buf		 sniff;
	int			 request;	/* gw_audit_scan_request() */
	/* matching */
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	uint32_t		*cand;		/* per rule: text it was hit in */
	uint32_t		 cgen;		/* the text's number */
	size_t			*hits;		/* rules hit, text after text */
	size_t			 nhits, caphits;
	struct gw_buf		 texts;		/* decoded texts of this value */
	struct audit_text	*tx;		/* and where their hits are */
	size_t			 ntx;
	uint32_t		*seen;		/* per rule: value generation */
	uint32_t		 gen;
	struct gw_buf		 dec[2];	/* decoding scratch */
	struct gw_buf		 where;		/* scratch for finding places */
	/* formats */
	struct audit_json	*json;
	struct audit_xml	*xml;
	struct audit_http	*http;
	/* text lines, form pairs, the raw body */
	struct audit_acc	 line;
	uint64_t		 lineno;
	struct audit_acc	 fname, fvalue;
	int			 in_value;
	uint64_t		 nparams;
	struct audit_acc	 raw;
	uint64_t		 body_bytes;
	char			*boundary;	/* multipart */
	struct audit_mp		*mp;
};

/* audit.c */

/*
 * Report a finding; returns 0, or -1 when the scan must stop (the caller
 * then stops feeding its parser).  Sets s->stopped when it must.
 */
int	audit_report(struct gw_audit_scan *s, enum gw_audit_kind kind,
	    const char *id, enum gw_audit_severity sev, int status,
	    const char *where, unsigned line, unsigned col,
	    struct gw_str excerpt, const char *fmt, ...)
	    __attribute__((__format__(printf, 10, 11)));
/* A limit finding: 413 for byte limits, 400 otherwise. */
int	audit_limit(struct gw_audit_scan *s, const char *id, const char *where,
	    unsigned line, unsigned col, const char *fmt, ...)
	    __attribute__((__format__(printf, 6, 7)));
/* Read a whole file of at most max bytes (NUL-terminated; caller frees). */
int	audit_read_file(const char *path, size_t max, char **data,
	    size_t *len, struct gw_err *err);
/* Record an internal error (out of memory): the scan stops. */
int	audit_fail(struct gw_audit_scan *s, const struct gw_err *err);
/* Feed body bytes to the body's format scanner (and "body" rules). */
int	audit_body_feed(struct gw_audit_scan *s, const char *p, size_t len);
int	audit_body_end(struct gw_audit_scan *s);
/* Choose the body format from a Content-Type (NULL: guess). */
void	audit_body_format(struct gw_audit_scan *s, struct gw_str ctype);

/* Accumulating values (text lines, form fields, XML text). */
void	audit_acc_init(struct audit_acc *a, size_t max);
void	audit_acc_release(struct audit_acc *a);
/*
 * Append to the value; when the buffer holds a window, match it (target t)
 * and keep the overlap.
 */
int	audit_acc_add(struct gw_audit_scan *s, struct audit_acc *a,
	    enum audit_target t, const char *where, const char *p, size_t n);
/* The value is complete: match what is left, reset for the next one. */
int	audit_acc_done(struct gw_audit_scan *s, struct audit_acc *a,
	    enum audit_target t, const char *where, unsigned line,
	    unsigned col);

/* audit-match.c */

/* Prepare the scan's matcher (match data, per-rule marks). */
int	audit_match_init(struct gw_audit_scan *s, struct gw_err *err);
void	audit_match_release(struct gw_audit_scan *s);
/* 1 if some rule at the scan's paranoia looks at target t. */
int	audit_wants(const struct gw_audit_scan *s, enum audit_target t);
/* Start a new value: findings of one rule are reported once per value. */
void	audit_value_begin(struct gw_audit_scan *s);
/*
 * Match p[0..len) of target t (hname: the header or parameter name, for
 * rules restricted to some headers) against the rules.  Long values are
 * matched in overlapping windows.  -1 when the scan must stop.
 */
int	audit_match(struct gw_audit_scan *s, enum audit_target t,
	    struct gw_str hname, const char *p, size_t len, const char *where,
	    unsigned line, unsigned col);
/*
 * Apply decoding d to in[0..len) into out (reset first); the output is
 * never longer than the input.
 */
int	audit_decode(enum audit_decode d, const char *in, size_t len,
	    struct gw_buf *out);
/* Percent-decoding of a query or form part ('+' as space if plus). */
size_t	audit_url_decode(char *dst, const char *src, size_t len, int plus);

/* audit-rules.c */

/* Names of targets and decodings, for messages and the man page. */
const char *audit_target_name(enum audit_target t);
const char *audit_decode_name(enum audit_decode d);
/*
 * Run the automaton over p[0..len): each rule one of whose literals occurs
 * gets cand[rule] = gen and joins hits[] (*nhits of them).
 */
void	audit_ac_scan(const struct audit_ac *ac, const char *p, size_t len,
	    uint32_t *cand, uint32_t gen, size_t *hits, size_t *nhits);

/* audit-json.c */
int	audit_json_new(struct gw_audit_scan *s, struct gw_err *err);
int	audit_json_feed(struct gw_audit_scan *s, const char *p, size_t len);
int	audit_json_end(struct gw_audit_scan *s);
void	audit_json_free(struct audit_json *j);

/* audit-xml.c */
int	audit_xml_new(struct gw_audit_scan *s, struct gw_err *err);
int	audit_xml_feed(struct gw_audit_scan *s, const char *p, size_t len);
int	audit_xml_end(struct gw_audit_scan *s);
void	audit_xml_free(struct audit_xml *x);

/* audit-http.c */
int	audit_http_new(struct gw_audit_scan *s, struct gw_err *err);
int	audit_http_feed(struct gw_audit_scan *s, const char *p, size_t len);
int	audit_http_end(struct gw_audit_scan *s);
void	audit_http_free(struct audit_http *h);
/* Form bodies (and query strings): name=value&... */
int	audit_form_feed(struct gw_audit_scan *s, const char *p, size_t len,
	    int query);
int	audit_form_end(struct gw_audit_scan *s, int query);
/* Multipart bodies. */
int	audit_mp_new(struct gw_audit_scan *s, struct gw_str ctype);
int	audit_mp_feed(struct gw_audit_scan *s, const char *p, size_t len);
int	audit_mp_end(struct gw_audit_scan *s);
void	audit_mp_free(struct audit_mp *mp);

#endif /* GW_AUDIT_INT_H */
