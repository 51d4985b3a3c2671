/*
 * fuzz-audit-json.c: the JSON scanner of gw-audit (audit-json.c), with
 * rules.  The first byte chooses small limits and the paranoia level, the
 * second how to cut the rest, which is the document; whole and cut, the
 * findings must be the same.
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
	if (data[0] & 1) {
		lim.max_json_depth = 1 + (data[0] >> 1 & 7);
		lim.max_json_entries = 1 + (data[1] & 3);
		lim.max_json_items = 1 + (data[1] >> 2 & 3);
		lim.max_json_key = 1 + (data[1] >> 4 & 7);
		lim.max_json_string = 4 + (data[0] >> 4);
		lim.max_json_number = 1 + (data[1] >> 5);
	}
	lim.json_duplicate_keys = !(data[0] & 0x40);
	if (data[0] & 0x80)
		lim.max_bytes = size / 2;
	fuzz_both(GW_AUDIT_JSON, &lim, data[0] & 0x20 ? 2 : 1, data + 2,
	    size - 2, (uint32_t)data[1] << 8 | data[0] | (uint32_t)size << 16);
	return 0;
}
