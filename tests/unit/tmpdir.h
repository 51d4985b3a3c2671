/*
 * tmpdir.h: a scratch directory for the unit tests that need files.
 *
 *	tmpdir_make("gw-xml-test");	put("a.xml", "<a/>");	at("a.xml")
 *	...				tmpdir_remove();
 */
#ifndef GW_TMPDIR_H
#define GW_TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[PATH_MAX];

/* Make /tmp/NAME.XXXXXX, the directory put() and at() work in; exit 1 on failure. */
__attribute__((__unused__))
static void
tmpdir_make(const char *name)
{
	char tmpl[PATH_MAX];

	(void)snprintf(tmpl, sizeof(tmpl), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	(void)snprintf(dir, sizeof(dir), "%s", tmpl);
}

__attribute__((__unused__))
static void
tmpdir_remove(void)
{
	char cmd[PATH_MAX + 16];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

/* Write text to the file name in the directory; exit 1 on failure. */
__attribute__((__unused__))
static void
put(const char *name, const char *text)
{
	char	 path[PATH_MAX + 64];
	FILE	*fp;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	(void)fputs(text, fp);
	(void)fclose(fp);
}

/* The path of name in the directory (a static buffer). */
__attribute__((__unused__))
static const char *
at(const char *name)
{
	static char path[PATH_MAX + 64];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

#endif /* GW_TMPDIR_H */
