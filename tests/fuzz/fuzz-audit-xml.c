/*
 * fuzz-audit-xml.c: the XML scanner of gw-audit (audit-xml.c): limits,
 * DTDs and entities over libxml2's SAX2, with rules.  The first byte
 * chooses small limits and whether internal DTDs are allowed, the second
 * how to cut the rest.  Whole and cut, a well-formed document must give
 * the same findings; for one that is not, libxml2's push parser may see
 * the error before or after the text around it depending on the cut, so
 * only the verdict must agree: not well-formed, or stopped by a finding.
 */
#include <stdint.h>
#include <string.h>

#include "audit-fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_audit_limits	lim;
	struct fuzz_got		whole, cut;

	if (size < 2)
		return 0;
	gw_audit_limits_default(&lim);
	if (data[0] & 1) {
		lim.max_xml_depth = 1 + (data[1] & 7);
		lim.max_xml_children = 1 + (data[1] >> 3 & 7);
		lim.max_xml_attributes = 1 + (data[1] >> 6);
		lim.max_xml_text = 4 + (data[0] >> 4);
		lim.max_xml_nodes = 8 + data[1];
		lim.max_xml_entities = 1 + (data[0] >> 5);
		lim.max_xml_entity_expansion = 64 + (size_t)data[1] * 4;
		lim.max_xml_entity_refs = 1 + (data[1] & 15);
	}
	if (data[0] & 2)
		lim.xml_dtd = GW_AUDIT_DTD_INTERNAL;
	lim.xml_xinclude = (data[0] & 4) != 0;
	fuzz_scan(GW_AUDIT_XML, fuzz_rules_once(), &lim, 1, data + 2,
	    size - 2, 0, &whole);
	fuzz_scan(GW_AUDIT_XML, fuzz_rules_once(), &lim, 1, data + 2,
	    size - 2, ((uint32_t)data[1] << 8 | data[0] |
	    (uint32_t)size << 16) | 1, &cut);
	if (!whole.malformed && !cut.malformed) {
		if (whole.hash != cut.hash || whole.n != cut.n)
			fuzz_fail("pieces give other findings");
	} else if ((!whole.malformed && whole.n == 0) ||
	    (!cut.malformed && cut.n == 0))
		fuzz_fail("pieces give another verdict");
	return 0;
}
