/*
 * authn_test.c: key files, htpasswd files and names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authn.h"
#include "crypto.h"
#include "err.h"
#include "tap.h"

static void
test_names(void)
{
	ok(gw_authn_valid_name("alice", 5), "a name");
	ok(gw_authn_valid_name("a.b_c@d-e+f", 11), "a name with ._@-+");
	ok(!gw_authn_valid_name("", 0), "empty is no name");
	ok(!gw_authn_valid_name("a b", 3) && !gw_authn_valid_name("a,b", 3) &&
	    !gw_authn_valid_name("a:b", 3), "no spaces, commas, colons");
	ok(gw_authn_valid_groups("", 0) && gw_authn_valid_groups("a,b", 3),
	    "group lists");
	ok(!gw_authn_valid_groups("a,,b", 4) && !gw_authn_valid_groups("a,", 2),
	    "no empty group");
}

static void
test_keyfile(void)
{
	struct gw_keyfile	*kf;
	struct gw_err		 err = { 0 };
	const char		*c, *g;
	char			 line[GW_KEYFILE_LINE_MAX], file[4096];
	static const char	*bad[] = {
		"sha256:00 alice\n",
		"md5:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d15"
		    "42d8 alice\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542zz alice\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8 al/ice\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8 alice a,,b\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8 alice a b\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8 alice\nsha256:5e884898da28047151d0e56f8dc629277360"
		    "3d0d6aabbdd62a11ef721d1542d8 bob\n",
		"sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72"
		    "1d1542d8 ali\x01" "ce\n",
	};

	/* sha256("password") */
	(void)snprintf(file, sizeof(file), "# keys\n\n  sha256:5e884898da2804"
	    "7151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\talice "
	    "admins,ops\r\n");
	ok(gw_keyfile_line(GW_STR("k2"), "bob", NULL, line, sizeof(line)) == 0,
	    "a line for bob");
	(void)strncat(file, line, sizeof(file) - strlen(file) - 1);
	ok(gw_keyfile_parse(file, strlen(file), "keys", &kf, &err) == 0,
	    "a key file: %s", err.msg);
	is_int(gw_keyfile_len(kf), 2, "two keys");
	ok(gw_keyfile_lookup(kf, GW_STR("password"), &c, &g) &&
	    strcmp(c, "alice") == 0 && strcmp(g, "admins,ops") == 0,
	    "alice's key, with groups");
	ok(gw_keyfile_lookup(kf, GW_STR("k2"), &c, &g) &&
	    strcmp(c, "bob") == 0 && g[0] == '\0', "bob's key, no groups");
	ok(!gw_keyfile_lookup(kf, GW_STR("passwore"), &c, &g) &&
	    !gw_keyfile_lookup(kf, GW_STR(""), &c, &g), "other keys are not");
	gw_keyfile_free(kf);
	ok(gw_keyfile_parse("", 0, "empty", &kf, &err) == 0 &&
	    gw_keyfile_len(kf) == 0 && !gw_keyfile_lookup(kf, GW_STR("x"), &c,
	    &g), "an empty file");
	gw_keyfile_free(kf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kf = NULL;
		ok(gw_keyfile_parse(bad[i], strlen(bad[i]), "keys", &kf,
		    &err) == -1 && kf == NULL && strncmp(err.msg, "keys", 4) == 0,
		    "bad key file %zu: %s", i, err.msg);
	}
	ok(gw_keyfile_line(GW_STR("k"), "a b", NULL, line, sizeof(line)) == -1 &&
	    gw_keyfile_line(GW_STR("k"), "a", "x,", line, sizeof(line)) == -1,
	    "no line for bad names");
}

static void
test_htpasswd(void)
{
	struct gw_htpasswd	*h;
	struct gw_err		 err = { 0 };
	const char		*g;
	const char		*file =
	    "# users\n"
	    "bcrypt:$2b$05$abcdefghijklmnopqrstuuDvFYunEEkRAUw6hKd4mLN/wdxTQz.ki"
	    ":ops,admins\n"
	    "sha512:$6$saltsalt$54T9v/kTyIMTpKydh.1ZufaHVxoZLrPIoM6FbtIP3mxaXXt"
	    "m5JZCZ56WYkSICqdArq1ENE32/f5nbQH5N8JNy0\n"
	    "sha256:$5$saltsalt$xK9V4ZfRBlsdTovYSTwdIvPDIQ4195ckm7QMNZysSS.\n"
	    "md5:$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0\n";
	static const char *users[] = { "bcrypt", "sha512", "sha256", "md5" };
	static const char *bad[] = {
		"alice\n",
		"alice:plaintext\n",
		"alice:$apr1$saltsalt$Q17bmANhIA7pctgRGqF/S0\n",
		"al ice:$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0\n",
		"md5:$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0\n"
		    "md5:$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0\n",
		"md5:$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0:a,,b\n",
		":$1$saltsalt$31I8wIB9/AjNDrVEYkMoG0\n",
		"slow:$2b$31$abcdefghijklmnopqrstuuDvFYunEEkRAUw6hKd4mLN/wdxTQz.ki\n",
		"slow:$6$rounds=999999999$saltsalt$54T9v/kTyIMTpKydh.1ZufaHVxoZL"
		    "rPIoM6FbtIP3mxaXXtm5JZCZ56WYkSICqdArq1ENE32/f5nbQH5N8JNy0\n",
	};

	ok(gw_htpasswd_parse(file, strlen(file), "users", &h, &err) == 0,
	    "an htpasswd file: %s", err.msg);
	is_int(gw_htpasswd_len(h), 4, "four users");
	for (size_t i = 0; i < 4; i++) {
		ok(gw_htpasswd_check(h, gw_str_cstr(users[i]),
		    GW_STR("pa:ss word"), &g), "user %zu: the right password", i);
		ok(!gw_htpasswd_check(h, gw_str_cstr(users[i]),
		    GW_STR("pa:ss wore"), &g), "user %zu: a wrong one", i);
	}
	ok(gw_htpasswd_check(h, GW_STR("bcrypt"), GW_STR("pa:ss word"), &g) &&
	    strcmp(g, "ops,admins") == 0, "groups from the third field");
	ok(!gw_htpasswd_check(h, GW_STR("nobody"), GW_STR("pa:ss word"), &g),
	    "an unknown user");
	ok(!gw_htpasswd_check(h, GW_STR("md5"), gw_str_make("pa:ss word\0x",
	    12), &g), "a password with a NUL");
	gw_htpasswd_free(h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = NULL;
		ok(gw_htpasswd_parse(bad[i], strlen(bad[i]), "users", &h,
		    &err) == -1 && h == NULL, "bad htpasswd %zu: %s", i,
		    err.msg);
	}
}

int
main(void)
{
	test_names();
	test_keyfile();
	test_htpasswd();
	return done_testing();
}
