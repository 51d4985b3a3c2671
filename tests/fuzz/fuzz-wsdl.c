/*
 * fuzz-wsdl.c: WSDL descriptions from outside, through wsdl2rest.
 *
 * The input is a WSDL (written to a scratch folder, since the generator
 * reads files and follows imports of local files).  When the generator
 * succeeds, everything it wrote must load: each mediation file (with its
 * stylesheets, which must compile) and the OpenAPI description, which
 * must be JSON.  When it fails, the message must not be empty.  A broken
 * invariant aborts.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "mediate.h"
#include "wsdl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	dir[PATH_MAX];

static void
fail(const char *what, const struct gw_err *err)
{
	(void)fprintf(stderr, "fuzz-wsdl: %s%s%s\n", what,
	    err != NULL ? ": " : "", err != NULL ? err->msg : "");
	abort();
}

static void
clean(const char *d)
{
	DIR		*dp;
	struct dirent	*de;
	char		 p[PATH_MAX + 16 + 1 + 256];

	if ((dp = opendir(d)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		(void)unlink(p);
	}
	closedir(dp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_wsdl_rest_opts	 o;
	struct gw_buf			 report;
	struct gw_err			 err;
	char				 in[PATH_MAX + 16], out[PATH_MAX + 16];
	FILE				*fp;

	if (dir[0] == '\0') {
		(void)snprintf(dir, sizeof(dir), "/tmp/fuzz-wsdl.%ld",
		    (long)getpid());
		(void)mkdir(dir, 0700);
	}
	(void)snprintf(in, sizeof(in), "%s/in.wsdl", dir);
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	clean(out);
	if ((fp = fopen(in, "wb")) == NULL)
		return 0;
	(void)fwrite(data, 1, size, fp);
	(void)fclose(fp);
	memset(&o, 0, sizeof(o));
	o.dir = out;
	o.upstream = "http://127.0.0.1:9/svc";
	gw_buf_init(&report, 0);
	if (gw_wsdl_to_rest(in, &o, &report, &err) == -1) {
		if (err.msg[0] == '\0')
			fail("an error without a message", NULL);
		gw_buf_release(&report);
		return 0;
	}
	/* every line of the report up to the warnings is a file written */
	for (const char *p = report.p,
	    *end = p != NULL ? p + report.len : NULL;
	    p != NULL && p < end; ) {
		const char		*nl = memchr(p, '\n', (size_t)(end - p));
		char			 path[PATH_MAX + 16];
		size_t			 l = (size_t)((nl != NULL ? nl : end) - p);
		struct gw_mediation	*m;
		struct gw_jdoc		*d;

		if (l >= sizeof(path) || strncmp(p, "warning: ", 9) == 0)
			break;
		memcpy(path, p, l);
		path[l] = '\0';
		p = nl != NULL ? nl + 1 : end;
		if (l > 13 && strcmp(path + l - 13, "-request.json") == 0 &&
		    gw_mediation_load(path, &m, NULL, &err) == -1)
			fail("a request mediation does not load", &err);
		else if (l > 13 && strcmp(path + l - 13, "-request.json") == 0)
			gw_mediation_free(m);
		if (l > 14 && strcmp(path + l - 14, "-response.json") == 0) {
			if (gw_mediation_load(path, &m, NULL, &err) == -1)
				fail("a response mediation does not load", &err);
			gw_mediation_free(m);
		}
		if (l > 12 && strcmp(path + l - 12, "openapi.json") == 0) {
			if (gw_jdoc_load(path, 0, 64 * 1024 * 1024, &d,
			    &err) == -1)
				fail("the OpenAPI description is not JSON",
				    &err);
			gw_jdoc_free(d);
		}
	}
	gw_buf_release(&report);
	return 0;
}
