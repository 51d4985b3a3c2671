/*
 * wsdl.h: a SOAP service's WSDL 1.1 turned into a JSON REST API for
 * gw-serve, with no hand-written XSLT.
 *
 * gw_wsdl_to_rest() reads the WSDL (SOAP 1.1 and 1.2 bindings,
 * document/literal and rpc/literal, schemas in its types and imported or
 * included from local files) and writes into a folder:
 *
 *	gw.json			a configuration: one upstream, one route a
 *				operation (POST prefix/Operation), each with
 *				a "mediate" policy
 *	OP-request.json		the request mediation: JSON -> lossless XML
 *				-> OP-request.xsl -> SOAP envelope
 *	OP-request.xsl		builds the operation's message from the JSON,
 *				in the schema's order and namespaces
 *	OP-response.json	the response mediation: SOAP envelope (faults
 *				become problem documents) -> OP-response.xsl
 *				-> lossless XML -> JSON
 *	OP-response.xsl		the answer as JSON, typed by the schema
 *				(numbers, booleans, arrays where maxOccurs > 1)
 *	openapi.json		an OpenAPI 3.0 description of the REST API
 *
 * The schema decides types: xs:int and the other numeric types become
 * JSON numbers, xs:boolean booleans, repeating elements arrays (even of
 * one), nillable elements null; the rest strings.  Operations the
 * generator cannot map (use="encoded", no SOAP binding) are left out with
 * a warning in the report.
 */
#ifndef GW_WSDL_H
#define GW_WSDL_H

#include "buf.h"
#include "err.h"

struct gw_wsdl_rest_opts {
	const char	*dir;		/* where the files go (created) */
	const char	*prefix;	/* route paths; NULL: "/" + service */
	const char	*upstream;	/* URL; NULL: the port's address */
};

/*
 * Generate the files; report gets one line per file written, then
 * "warning: ..." lines.  -1 with GW_E_NOTFOUND (no WSDL), GW_E_PROTO (not
 * a WSDL, or nothing to map), GW_E_UNSUPPORTED, GW_E_SYS (cannot write).
 */
int	gw_wsdl_to_rest(const char *wsdl, const struct gw_wsdl_rest_opts *o,
	    struct gw_buf *report, struct gw_err *err);

#endif /* GW_WSDL_H */
