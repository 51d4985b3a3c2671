/*
 * fuzz-audit-http.c: raw HTTP requests through gw-audit (audit-http.c):
 * the lenient request parser, query, cookies, chunked bodies, forms,
 * multipart and the body formats by Content-Type, with rules.  The first
 * byte chooses limits and the paranoia level, the second how to cut the
 * rest; whole and cut, the findings must be the same.  AUTO is used for
 * odd first bytes, so that the guess is fuzzed too.
 */
#include <stdint.h>
#include <string.h>

#include "audit-fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_audit_limits lim;

	if (size < 2)
		return 0;
	gw_audit_limits_default(&lim);
	if (data[0] & 2) {
		lim.max_params = 1 + (data[1] & 7);
		lim.max_param_name = 1 + (data[1] >> 3 & 7);
		lim.max_param_value = 1 + (data[1] >> 5);
		lim.max_json_depth = 2;
		lim.xml_dtd = GW_AUDIT_DTD_INTERNAL;
	}
	fuzz_both(data[0] & 1 ? GW_AUDIT_AUTO : GW_AUDIT_HTTP, &lim,
	    data[0] & 0x20 ? 2 : 1, data + 2, size - 2,
	    (uint32_t)data[1] << 8 | data[0] | (uint32_t)size << 16);
	return 0;
}
