/*
 * fuzz-keyfile.c: the key files of api_key and the htpasswd files of basic.
 *
 * The first byte chooses the parser, the rest is the file.  A key file
 * that parses must find each of its hashes' lines again: every line of the
 * file made by gw_keyfile_line() for a key looks it up.  An htpasswd file
 * is only parsed (checking a password runs crypt(3), whose cost is the
 * file's choice).  Any crash or leak aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authn.h"
#include "err.h"
#include "gw.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	(void)fprintf(stderr, "fuzz-keyfile: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_err	err;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct gw_htpasswd *h;

		if (gw_htpasswd_parse((const char *)data + 1, size - 1, "ht",
		    &h, &err) == 0)
			gw_htpasswd_free(h);
		return 0;
	} else {
		struct gw_keyfile	*kf;
		char			*copy, line[GW_KEYFILE_LINE_MAX];
		const char		*c, *g;

		if (gw_keyfile_parse((const char *)data + 1, size - 1, "keys",
		    &kf, &err) == -1)
			return 0;
		/* a file of one more key: that key is found, as its owner */
		if (gw_keyfile_line(GW_STR("fuzz-key"), "fuzzer", "a,b", line,
		    sizeof(line)) == -1)
			fail("cannot write a line");
		if ((copy = malloc(size + strlen(line) + 1)) == NULL)
			fail("out of memory");
		memcpy(copy, data + 1, size - 1);
		copy[size - 1] = '\n';
		memcpy(copy + size, line, strlen(line));
		gw_keyfile_free(kf);
		if (gw_keyfile_parse(copy, size + strlen(line), "keys", &kf,
		    &err) == 0) {
			if (!gw_keyfile_lookup(kf, GW_STR("fuzz-key"), &c,
			    &g) || strcmp(c, "fuzzer") != 0 ||
			    strcmp(g, "a,b") != 0)
				fail("an added key is not found");
			gw_keyfile_free(kf);
		}
		free(copy);
	}
	return 0;
}
