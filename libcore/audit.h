/*
 * audit.h: threat scanning of payloads and requests.
 *
 * One module, several files (audit*.c sharing audit-int.h), reached by
 * gw-audit(1) in pipelines and by the "audit" route policy of gw-serve(8):
 *
 *  - Structure limits checked while reading, with no tree built first:
 *    JSON through the streaming reader of json.h, XML through libxml2's SAX2
 *    push parser (entities are never substituted, external ones never
 *    loaded; their expansion is computed from the declarations before
 *    anything expands).  Memory stays bounded whatever the input.
 *  - Pattern rules (gw-audit(5)): PCRE2 patterns on the parts of a request
 *    (path, query, headers, cookies, form fields, JSON keys and values, XML
 *    text and attributes, the raw body), after decodings, gated by literal
 *    prefilters that one multi-string automaton finds in one pass.
 *
 * Findings are handed to a callback as they are found; a scan never stops
 * on a finding unless asked to (GW_AUDIT_FIRST), except where reading on is
 * the danger (a structure limit, an entity bomb): then the scan stops there.
 */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "http.h"

enum gw_audit_severity {
	GW_AUDIT_NOTICE,
	GW_AUDIT_WARNING,
	GW_AUDIT_ERROR,
	GW_AUDIT_CRITICAL
};

/* "notice", "warning", "error", "critical". */
const char *gw_audit_severity_name(enum gw_audit_severity s);
/* Parse one of those names; -1 if unknown. */
int	gw_audit_severity_parse(const char *name, enum gw_audit_severity *out);

enum gw_audit_kind {
	GW_AUDIT_RULE,		/* a pattern rule matched */
	GW_AUDIT_LIMIT,		/* a structure or size limit was passed */
	GW_AUDIT_ENTITY,	/* DTD, entity, XXE or XInclude finding */
	GW_AUDIT_MALFORMED	/* the input is not well-formed in its format */
};

/* What the finding callback gets; every pointer is valid during the call. */
struct gw_audit_finding {
	enum gw_audit_kind	 kind;
	const char		*id;		/* rule id, or "json-depth"... */
	enum gw_audit_severity	 severity;
	const char		*message;
	/*
	 * Where: a JSON Pointer ("/a/0/b"), an XPath of names ("/r/e/@k"), a
	 * request part ("query:q", "header:User-Agent", "cookie:sid",
	 * "form:name", "path", "body"), or "" for the document itself.
	 */
	const char		*where;
	unsigned		 line, col;	/* 0 when not known */
	/* A short piece of the decoded value that matched (may be empty). */
	struct gw_str		 excerpt;
	int			 status;	/* what a gateway answers: 400... */
};

/*
 * Limits.  A value of 0 means "no limit" for every size and count.  Names
 * are the knobs of limit files, of the policy's "limits" object and (with
 * "--" and '-' for '_') of gw-audit's options; gw-audit(5) lists them.
 */
enum gw_audit_dtd {
	GW_AUDIT_DTD_DENY,	/* a DOCTYPE is a finding */
	GW_AUDIT_DTD_INTERNAL	/* internal subsets allowed, checked */
};

enum gw_audit_children {
	GW_AUDIT_CHILD_ELEMENT = 1 << 0,
	GW_AUDIT_CHILD_TEXT = 1 << 1,
	GW_AUDIT_CHILD_COMMENT = 1 << 2,
	GW_AUDIT_CHILD_PI = 1 << 3
};

struct gw_audit_limits {
	uint64_t	max_bytes;		/* of a document or body */
	/* JSON */
	uint64_t	max_json_depth;
	uint64_t	max_json_entries;	/* members of one object */
	uint64_t	max_json_items;		/* elements of one array */
	uint64_t	max_json_key;		/* bytes of a member name */
	uint64_t	max_json_string;	/* bytes of a string value */
	uint64_t	max_json_number;	/* bytes of a number */
	int		json_duplicate_keys;	/* 1: allowed */
	/* XML */
	uint64_t	max_xml_depth;
	uint64_t	max_xml_children;	/* of one element */
	uint64_t	max_xml_attributes;	/* of one element */
	uint64_t	max_xml_namespaces;	/* declared on one element */
	uint64_t	max_xml_element_name;
	uint64_t	max_xml_attribute_name;
	uint64_t	max_xml_prefix;		/* namespace prefix */
	uint64_t	max_xml_pi_target;
	uint64_t	max_xml_text;		/* one text node, bytes */
	uint64_t	max_xml_attribute_value;
	uint64_t	max_xml_namespace_uri;
	uint64_t	max_xml_comment;
	uint64_t	max_xml_pi_data;
	uint64_t	max_xml_nodes;		/* in the whole document */
	uint64_t	max_xml_entities;	/* declarations */
	uint64_t	max_xml_entity_refs;	/* references in the document */
	uint64_t	max_xml_entity_expansion; /* bytes they would expand to */
	uint64_t	max_xml_entity_ratio;	/* one entity / all declared */
	unsigned	xml_children;		/* GW_AUDIT_CHILD_* counted */
	enum gw_audit_dtd xml_dtd;
	int		xml_xinclude;		/* 1: allowed */
	/* requests */
	uint64_t	max_params;		/* query, form and cookie pairs */
	uint64_t	max_param_name;
	uint64_t	max_param_value;
};

/* The defaults gw-audit(5) documents. */
void	gw_audit_limits_default(struct gw_audit_limits *l);

/*
 * Set the knob called name ("max_json_depth", "xml_dtd"...) from its text
 * ("20", "0", "internal", "allow").  -1 with GW_E_NOTFOUND for an unknown
 * name (the message suggests a close one), GW_E_INVAL for a bad value.
 */
int	gw_audit_limits_set(struct gw_audit_limits *l, const char *name,
	    const char *value, struct gw_err *err);

/* The knob names, NULL-terminated, in the order gw-audit(5) gives them. */
const char *const *gw_audit_limit_names(void);

/*
 * Read a limits file: "name value" lines, '#' comments, blank lines.
 * origin names it in messages ("limits.conf:3: unknown limit 'x'").
 * Knobs not named keep their value in l.  On error l may be half set.
 */
int	gw_audit_limits_parse(struct gw_audit_limits *l, const char *buf,
	    size_t len, const char *origin, struct gw_err *err);
int	gw_audit_limits_load(struct gw_audit_limits *l, const char *path,
	    struct gw_err *err);

/*
 * Rules.  A struct gw_audit_rules is immutable once built and may be
 * shared by any number of scans (and worker processes after fork).
 */
struct gw_audit_rules;

enum gw_audit_rules_flags {
	GW_AUDIT_NO_JIT = 1 << 0	/* do not try PCRE2's JIT compiler */
};

/*
 * Parse a rule file (gw-audit(5)) into *out (caller frees with
 * gw_audit_rules_free()).  origin names the file in messages
 * ("default.rules:12: rule 'x': pattern: missing )").  PCRE2's JIT is used
 * when the system allows writable and executable memory; when it does not
 * (systemd's MemoryDenyWriteExecute=yes), the interpreter is used, with the
 * same results.  -1 with GW_E_CONFIG for a bad file, GW_E_NOMEM.
 */
int	gw_audit_rules_parse(const char *buf, size_t len, const char *origin,
	    unsigned flags, struct gw_audit_rules **out, struct gw_err *err);
/* Read path and parse it; GW_E_NOTFOUND for a missing file. */
int	gw_audit_rules_load(const char *path, unsigned flags,
	    struct gw_audit_rules **out, struct gw_err *err);
void	gw_audit_rules_free(struct gw_audit_rules *rules);
/* Rules in the set; rules at paranoia level <= p; 1 if the JIT is used. */
size_t	gw_audit_rules_count(const struct gw_audit_rules *rules, int p);
int	gw_audit_rules_jit(const struct gw_audit_rules *rules);

/* Scanning. */

enum gw_audit_format {
	GW_AUDIT_AUTO,		/* guessed from the first bytes */
	GW_AUDIT_JSON,
	GW_AUDIT_XML,
	GW_AUDIT_TEXT,		/* lines of text, each matched as a value */
	GW_AUDIT_HTTP,		/* one raw HTTP/1.x request */
	GW_AUDIT_FORM,		/* application/x-www-form-urlencoded */
	GW_AUDIT_RAW		/* bytes matched only by "body" rules */
};

/* Parse "auto", "json", "xml", "text", "http"; -1 if unknown. */
int	gw_audit_format_parse(const char *name, enum gw_audit_format *out);
const char *gw_audit_format_name(enum gw_audit_format f);

/*
 * Called for each finding.  Return 0 to go on, -1 to stop the scan (it
 * then ends as if GW_AUDIT_FIRST had been given).
 */
typedef int gw_audit_finding_fn(void *arg, const struct gw_audit_finding *f);

enum gw_audit_flags {
	GW_AUDIT_FIRST = 1 << 0,	/* stop at the first finding */
	GW_AUDIT_NO_PREFILTER = 1 << 1	/* run every pattern (benchmarks) */
};

struct gw_audit_opts {
	const struct gw_audit_limits	*limits;	/* NULL: defaults */
	const struct gw_audit_rules	*rules;		/* NULL: limits only */
	int				 paranoia;	/* 1 to 4; 0 means 1 */
	unsigned			 flags;		/* GW_AUDIT_* */
	size_t				 max_findings;	/* 0: 100 */
	gw_audit_finding_fn		*fn;
	void				*arg;
};

struct gw_audit_scan;

/*
 * A scan of one document or request in the given format.  opts is copied;
 * the limits and rules it points to must outlive the scan.  NULL with
 * GW_E_NOMEM.  Free with gw_audit_scan_free().
 */
struct gw_audit_scan *gw_audit_scan_new(enum gw_audit_format fmt,
	    const struct gw_audit_opts *opts, struct gw_err *err);

/*
 * Feed the next len bytes.  Any split of the input gives the same
 * findings.  Returns 0, also after a finding and after the scan stopped
 * (the rest is then ignored); -1 only for an internal error such as
 * GW_E_NOMEM.
 */
int	gw_audit_scan_feed(struct gw_audit_scan *s, const char *p, size_t len,
	    struct gw_err *err);

/*
 * The input is complete: report what only the end can tell (a truncated
 * document is not well-formed).  -1 only for an internal error.
 */
int	gw_audit_scan_end(struct gw_audit_scan *s, struct gw_err *err);

/*
 * The parts of a request that the body does not hold, for a scan made for
 * its body (format GW_AUDIT_AUTO then means: chosen by Content-Type, or
 * guessed).  Call before the first gw_audit_scan_feed().  target is the
 * request-target as sent (path and query still percent-encoded); the
 * slices need only be valid during the call.
 */
int	gw_audit_scan_request(struct gw_audit_scan *s, struct gw_str method,
	    struct gw_str target, const struct gw_http_header *headers,
	    size_t nheaders, struct gw_err *err);

struct gw_audit_result {
	size_t		findings;	/* reported */
	int		malformed;	/* a GW_AUDIT_MALFORMED finding */
	int		stopped;	/* the scan stopped before the end */
	int		status;		/* of the first finding, 0 if none */
	uint64_t	bytes;		/* fed so far */
	enum gw_audit_format format;	/* the one used (after AUTO) */
};

const struct gw_audit_result *gw_audit_scan_result(
	    const struct gw_audit_scan *s);

/* Free s and everything it holds.  NULL is fine. */
void	gw_audit_scan_free(struct gw_audit_scan *s);

/*
 * Append f as one JSON object, without a newline: {"id","kind","severity",
 * "message","where","line","col","excerpt"} (line, col and excerpt left
 * out when unknown or empty).
 */
int	gw_audit_finding_json(struct gw_buf *out,
	    const struct gw_audit_finding *f, struct gw_err *err);

/*
 * The route policies (audit-policy.c): "audit" scans requests before the
 * handler, "audit_response" the upstream's responses after it.
 */
struct gw_policy_type;
extern const struct gw_policy_type gw_policy_audit;
extern const struct gw_policy_type gw_policy_audit_response;

#endif /* GW_AUDIT_H */
