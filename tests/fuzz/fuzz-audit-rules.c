/*
 * fuzz-audit-rules.c: the rule file parser of gw-audit (audit-rules.c):
 * settings, targets, decodings, prefilter escapes, the automaton built
 * from the literals and PCRE2 patterns.  A file that parses is then used
 * on a few inputs of each format, with and without its prefilters: a
 * sound prefilter is not required of a fuzzed file, but nothing may
 * crash, and an error must carry the file's name.
 */
#include <stdint.h>
#include <string.h>

#include "audit-fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const inputs[] = {
	"{\"a\":\"1 union select <script> ../ cat\",\"xx\":[\"aaaa!\"]}",
	"<a b='javascript:x'><xx>evil union select</xx></a>",
	"GET /a/../b?q=%3Cscript%3E&xx=1 HTTP/1.1\r\nCookie: c=;id\r\n"
	    "User-Agent: evil\r\n\r\n",
	"line one\nevil line ;ls\n",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_audit_rules	*r;
	struct gw_err		 err;
	struct gw_audit_limits	 lim;

	if (gw_audit_rules_parse((const char *)data, size, "f.rules",
	    GW_AUDIT_NO_JIT, &r, &err) == -1) {
		if (r != NULL || strncmp(err.msg, "f.rules", 7) != 0 ||
		    (err.code != GW_E_CONFIG && err.code != GW_E_NOMEM))
			fuzz_fail("a bad rule file without a proper error");
		return 0;
	}
	gw_audit_limits_default(&lim);
	(void)gw_audit_rules_count(r, 4);
	for (size_t i = 0; i < GW_ARRAY_LEN(inputs); i++) {
		struct fuzz_got g;

		fuzz_scan(GW_AUDIT_AUTO, r, &lim, 4,
		    (const uint8_t *)inputs[i], strlen(inputs[i]), 0, &g);
	}
	gw_audit_rules_free(r);
	return 0;
}
