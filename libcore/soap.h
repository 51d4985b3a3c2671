/*
 * soap.h: SOAP 1.1 and 1.2 envelopes, faults, and their HTTP side.
 *
 * Wrapping puts a payload (an XML document) into the Body of an envelope
 * of either version; unwrapping takes the first element of a Body out as
 * a document of its own (with the namespaces in scope declared on it), or
 * reads the Fault found there.  A fault maps to an HTTP status (1.1 Client
 * and 1.2 Sender: 400; anything else: 502, the upstream failed) and to an
 * RFC 9457 problem document with a "soapFault" member; a REST error maps
 * back to a fault of the caller's version.
 *
 * Ownership: functions that fill a struct gw_buf append to it; faults are
 * the caller's, freed with gw_soap_fault_free(); documents are freed with
 * gw_xml_doc_free().  Errors: GW_E_PROTO for input that is not SOAP,
 * GW_E_NOMEM, GW_E_LIMIT past a buffer's maximum.
 */
#ifndef GW_SOAP_H
#define GW_SOAP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gw.h"
#include "xml.h"

#define GW_SOAP11_NS	"http://schemas.xmlsoap.org/soap/envelope/"
#define GW_SOAP12_NS	"http://www.w3.org/2003/05/soap-envelope"

enum gw_soap_version {
	GW_SOAP_NONE = 0,
	GW_SOAP_11 = 11,
	GW_SOAP_12 = 12
};

/* The envelope namespace of v; "1.1" or "1.2". */
const char *gw_soap_ns(enum gw_soap_version v);
const char *gw_soap_version_name(enum gw_soap_version v);
/* "1.1", "11", "1.2", "12" -> the version; GW_SOAP_NONE if neither. */
enum gw_soap_version gw_soap_version_parse(const char *s);

/*
 * The Content-Type of a message: "text/xml; charset=utf-8" (1.1), or
 * "application/soap+xml; charset=utf-8" with an action parameter when
 * action is not NULL (1.2).
 */
int	gw_soap_content_type(enum gw_soap_version v, const char *action,
	    struct gw_buf *out, struct gw_err *err);
/* A SOAPAction field value (1.1): the URI in double quotes. */
int	gw_soap_action_value(const char *action, struct gw_buf *out,
	    struct gw_err *err);

/*
 * The version a Content-Type says (application/soap+xml: 1.2, text/xml:
 * 1.1), GW_SOAP_NONE for anything else.
 */
enum gw_soap_version gw_soap_media_version(struct gw_str content_type);
/*
 * The action of a request: the action parameter of a 1.2 Content-Type, or
 * the SOAPAction field (quotes removed).  Appends it to out; 0 if found,
 * 1 if there is none.
 */
int	gw_soap_request_action(struct gw_str content_type,
	    struct gw_str soapaction, struct gw_buf *out, struct gw_err *err);

/* Wrap the root element of payload (NULL: an empty Body). */
struct gw_soap_wrap {
	enum gw_soap_version	 version;	/* GW_SOAP_NONE: 1.1 */
	const char		*header;	/* XML for soap:Header, or NULL */
};

int	gw_soap_wrap_doc(const struct gw_xml_doc *payload,
	    const struct gw_soap_wrap *w, struct gw_buf *out,
	    struct gw_err *err);
/* The same from text (parsed first; len 0: an empty Body). */
int	gw_soap_wrap(const char *payload, size_t len,
	    const struct gw_soap_wrap *w, struct gw_buf *out,
	    struct gw_err *err);
/*
 * The same from text that is not parsed again: one element written as
 * gw_xml_serialize() writes it, after an optional declaration line (what
 * the friendly JSON -> XML conversion makes).  The output is the same as
 * gw_soap_wrap()'s for it.
 */
int	gw_soap_wrap_serialized(const char *payload, size_t len,
	    const struct gw_soap_wrap *w, struct gw_buf *out,
	    struct gw_err *err);

struct gw_soap_fault {
	enum gw_soap_version	 version;
	/*
	 * The code: its local name when it is in the envelope's namespace
	 * ("Client", "Server", "Sender", "Receiver", "VersionMismatch", ...),
	 * else the QName as written.  For 1.1, "Client.Authentication"
	 * gives code "Client" and subcode "Authentication".
	 */
	char			*code;
	int			 standard;	/* code is the envelope's */
	char			**subcodes;	/* NULL-terminated */
	size_t			 nsubcodes;
	char			*reason;	/* faultstring, or Reason/Text */
	char			*actor;		/* faultactor, or Role */
	char			*node;		/* 1.2 Node */
	char			*detail;	/* detail's content as XML */
};

void	gw_soap_fault_free(struct gw_soap_fault *f);

/*
 * Take an envelope apart.  0: the first element of the Body is in
 * *payload (NULL if the Body is empty); 1: the Body holds a Fault, in
 * *fault; -1: not a SOAP envelope (GW_E_PROTO) or another error.
 * *version (may be NULL) gets the envelope's version in the first two
 * cases.
 */
int	gw_soap_unwrap_doc(const struct gw_xml_doc *env,
	    enum gw_soap_version *version, struct gw_xml_doc **payload,
	    struct gw_soap_fault **fault, struct gw_err *err);
/* The same from text; origin names it in messages. */
int	gw_soap_unwrap(const char *xml, size_t len, const char *origin,
	    enum gw_soap_version *version, struct gw_xml_doc **payload,
	    struct gw_soap_fault **fault, struct gw_err *err);

/*
 * gw_xml_sax() over a SOAP envelope that hands h only the events of the
 * payload, the first element of the Body, as if it were the root (depth 1
 * for it).  Its start event has its own namespace declarations only.
 * Returns 0 when there was a payload, 1 when there was none or it is a
 * Fault (nothing more was handed on after that: the caller then reads the
 * envelope with gw_soap_unwrap() instead), -1 on an error of the document,
 * of the envelope's structure or of h.  *version is set when the root is an
 * envelope.  Meant to make XML -> JSON read the payload straight from the
 * envelope (struct gw_jx_opts' sax); the error messages of a document that
 * is not an envelope are gw_soap_unwrap()'s to give.
 */
int	gw_soap_sax_payload(const char *xml, size_t len, const char *origin,
	    const struct gw_xml_limits *lim, const struct gw_xml_handler *h,
	    void *arg, enum gw_soap_version *version, struct gw_err *err);

/* The HTTP status a fault becomes: 400 for Client/Sender, else 502. */
int	gw_soap_fault_status(const struct gw_soap_fault *f);

/*
 * The problem document of a fault: type "urn:gw:problem:soap-fault",
 * title (the reason phrase of status), status, detail (the fault's
 * reason), request_id (if not NULL) and "soapFault": { "version",
 * "code", "subcodes", "reason", "actor", "node", and "detail" only if
 * with_detail }.
 */
int	gw_soap_fault_problem(const struct gw_soap_fault *f, int status,
	    int with_detail, const char *request_id, struct gw_buf *out,
	    struct gw_err *err);

/*
 * A whole envelope holding a fault of version v: sender says whether it
 * is the caller's fault (Client/Sender) or not (Server/Receiver); subcode
 * (1.2 Subcode, 1.1 "Client.<subcode>") may be NULL; detail is XML for
 * the detail element, or NULL.
 */
int	gw_soap_fault_envelope(enum gw_soap_version v, int sender,
	    const char *subcode, const char *reason, const char *detail,
	    struct gw_buf *out, struct gw_err *err);

/*
 * The status to answer a fault with: 500 for 1.1 (its HTTP binding says
 * so for every fault), 400 for a 1.2 Sender fault, 500 for a Receiver.
 */
int	gw_soap_fault_http_status(enum gw_soap_version v, int sender);

/*
 * A REST error (status >= 400, its Content-Type and body) as a fault of
 * version v: 4xx is the sender's fault, 5xx the receiver's; the reason is
 * the problem document's title and detail when the body is one, else the
 * status and its reason phrase.  The detail element carries the status
 * (and the problem's type), and the body itself only with with_detail.
 */
int	gw_soap_fault_from_rest(enum gw_soap_version v, int status,
	    struct gw_str content_type, struct gw_str body, int with_detail,
	    struct gw_buf *out, struct gw_err *err);

#endif /* GW_SOAP_H */
