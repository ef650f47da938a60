/*
 * test_plugargs.c - plugstack.conf arguments of the vgpu SPANK plugin
 * (src/lib/vgpu_plugargs.c): parsing with the bad argument's index, and
 * finding the plugstack.conf line (includes, comments, relative paths,
 * Slurm's 4095-byte line chunks); the plugin's use of both
 * (plugins/spank/spank_config.c): its state and messages for a bad
 * argument and a shim= that is not this build's shim.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spank_config.h"
#include "vgpu_elfid.h"
#include "vgpu_plugargs.h"
#include "vgpu_test.h"

static char dir[64];

static void setup_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_plugargs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *rel, const char *text)
{
	static char path[4][256];
	static int slot;
	FILE *f;

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path[slot], "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return path[slot];
}

START_TEST(parse_defaults_and_keys)
{
	char *av[] = { "conf=/etc/x.conf", "shim=/lib/s.so", "ctx=300M", "log=debug", "preload=env" };
	vgpu_plugargs_t a;
	vgpu_err_t err;
	int bad = -7;

	ck_assert_int_eq(vgpu_plugargs_parse(0, NULL, &a, &bad, &err), 0);
	ck_assert_str_eq(a.conf_path, VGPU_CONF_PATH);
	ck_assert_str_eq(a.shim_path, "");
	ck_assert_uint_eq(a.ctx_bytes, 0);
	ck_assert_int_eq(a.log_level, VGPU_LOG_WARN);
	ck_assert_int_eq(a.preload, VGPU_PLUGARGS_PRELOAD_ETC);
	ck_assert_int_eq(bad, -7);
	ck_assert_int_eq(vgpu_plugargs_parse(5, av, &a, &bad, &err), 0);
	ck_assert_str_eq(a.conf_path, "/etc/x.conf");
	ck_assert_str_eq(a.shim_path, "/lib/s.so");
	ck_assert_uint_eq(a.ctx_bytes, 300ull << 20);
	ck_assert_int_eq(a.log_level, VGPU_LOG_DEBUG);
	ck_assert_int_eq(a.preload, VGPU_PLUGARGS_PRELOAD_ENV);
}
END_TEST

START_TEST(parse_errors_name_index)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
		{ "bogus=1", "unknown argument 'bogus=1' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "conf", "argument 'conf' has no '=' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "shm=/x", "unknown argument 'shm=/x' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "conf=", "conf: empty value" },
		{ "conf=etc/vgpu.conf", "conf: 'etc/vgpu.conf' is not an absolute path" },
		{ "shim=lib.so", "shim: 'lib.so' is not an absolute path" },
		{ "log=loud", "log: 'loud' is not a level (expected off, error, warn, info or debug)" },
		{ "preload=both", "preload: 'both' is neither etc nor env" },
		{ "ctx=10X", "ctx: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)" },
		{ "=x", "unknown argument '=x' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "averyveryveryverylongkeyname_over_31=1",
		  "unknown argument 'averyveryveryverylongkeyname_over_31=1' (expected conf=, shim=, ctx=, "
		  "log= or preload=)" },
	};
	vgpu_plugargs_t a;
	vgpu_err_t err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *av[3] = { "conf=/ok", "log=info", (char *)cases[i].arg };
		int bad = -1;

		ck_assert_int_eq(vgpu_plugargs_parse(3, av, &a, &bad, &err), -1);
		ck_assert_int_eq(bad, 2);
		ck_assert_str_eq(err.msg, cases[i].msg);
		/* the arguments before the bad one are kept */
		ck_assert_str_eq(a.conf_path, "/ok");
		ck_assert_int_eq(a.log_level, VGPU_LOG_INFO);
	}
	{
		char *av[2] = { "log=x", "bogus" };
		int bad = -1;

		ck_assert_int_eq(vgpu_plugargs_parse(2, av, &a, &bad, &err), -1);
		ck_assert_int_eq(bad, 0); /* the first bad one */
	}
	{
		char long_path[VGPU_PATH_MAX + 16], arg[VGPU_PATH_MAX + 32], *av[1] = { arg };
		int bad = -1;

		memset(long_path, 'a', sizeof(long_path) - 1);
		long_path[0] = '/';
		long_path[sizeof(long_path) - 1] = '\0';
		snprintf(arg, sizeof(arg), "conf=%s", long_path);
		ck_assert_int_eq(vgpu_plugargs_parse(1, av, &a, &bad, &err), -1);
		ck_assert_int_eq(bad, 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "is too long (at most 511 bytes)"));
	}
}
END_TEST

START_TEST(match_line_rules)
{
	char *av[] = { "conf=/a", "ctx=1G" }, pat[64];
	char l1[] = "required /usr/lib/slurm-vgpu/vgpu_spank.so conf=/a\tctx=1G # comment\n";
	char l2[] = "optional vgpu_spank.so conf=/a ctx=1G\n";
	char l3[] = "required /x/vgpu_spank.so conf=/a\n";          /* fewer arguments */
	char l4[] = "required /x/vgpu_spank.so conf=/a ctx=1G log=info\n"; /* more */
	char l5[] = "required /x/other.so conf=/a ctx=1G\n";
	char l6[] = "#required /x/vgpu_spank.so conf=/a ctx=1G\n";
	char l7[] = "include plugstack.conf.d/*.conf\n";
	char l8[] = "needed /x/vgpu_spank.so conf=/a ctx=1G\n";
	char l9[] = "required /x/vgpu_spank.so conf=/a ctx=#1G\n";

	ck_assert_int_eq(vgpu_plugargs_match_line(l1, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 1);
	ck_assert_int_eq(vgpu_plugargs_match_line(l2, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 1);
	ck_assert_int_eq(vgpu_plugargs_match_line(l3, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vgpu_plugargs_match_line(l4, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vgpu_plugargs_match_line(l5, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vgpu_plugargs_match_line(l6, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vgpu_plugargs_match_line(l7, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 2);
	ck_assert_str_eq(pat, "plugstack.conf.d/*.conf");
	ck_assert_int_eq(vgpu_plugargs_match_line(l8, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
	ck_assert_int_eq(vgpu_plugargs_match_line(l9, "vgpu_spank.so", 2, av, pat, sizeof(pat)), 0);
}
END_TEST

START_TEST(locate_direct_and_include)
{
	char *av[] = { "conf=/etc/v.conf", "ctx=10X" }, *other[] = { "conf=/etc/w.conf" };
	char file[256], where[300], expect[300];
	const char *top;
	unsigned line = 99;

	setup_dir();
	top = write_file("plugstack.conf", "# the stack\n\nrequired /p/other.so\n"
			 "required /p/vgpu_spank.so conf=/etc/v.conf ctx=10X\n");
	ck_assert_int_eq(vgpu_plugargs_locate(top, "vgpu_spank.so", 2, av, file, sizeof(file), &line), 0);
	ck_assert_str_eq(file, top);
	ck_assert_uint_eq(line, 4);
	snprintf(expect, sizeof(expect), "%s:4", top);
	ck_assert_str_eq(vgpu_plugargs_where(where, sizeof(where), file, line), expect);
	/* not there: the file without a line */
	ck_assert_int_eq(vgpu_plugargs_locate(top, "vgpu_spank.so", 1, other, file, sizeof(file), &line), 1);
	ck_assert_uint_eq(line, 0);
	ck_assert_str_eq(file, top);
	snprintf(expect, sizeof(expect), "plugstack.conf (%s)", top);
	ck_assert_str_eq(vgpu_plugargs_where(where, sizeof(where), file, line), expect);
	ck_assert_str_eq(vgpu_plugargs_where(where, sizeof(where), NULL, 0), "plugstack.conf");
	teardown_dir();
}
END_TEST

START_TEST(locate_include_and_chunks)
{
	char *av[] = { "conf=/etc/v.conf", "ctx=10X" };
	char file[256], d[128], big[6000];
	const char *top, *inc;
	unsigned line = 0;

	setup_dir();
	snprintf(d, sizeof(d), "%s/plugstack.conf.d", dir);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	write_file("plugstack.conf.d/a.conf", "required /p/a.so\n");
	inc = write_file("plugstack.conf.d/b.conf", "\n\n  optional   vgpu_spank.so conf=/etc/v.conf ctx=10X\n");
	top = write_file("plugstack.conf", "required /p/other.so\ninclude plugstack.conf.d/*.conf\n"
			 "required /p/vgpu_spank.so conf=/etc/v.conf ctx=10X\n");
	ck_assert_int_eq(vgpu_plugargs_locate(top, "vgpu_spank.so", 2, av, file, sizeof(file), &line), 0);
	ck_assert_str_eq(file, inc);
	ck_assert_uint_eq(line, 3);
	/* an include loop is bounded, and the line after it still found */
	top = write_file("plugstack.conf", "include plugstack.conf\n"
			 "required /p/vgpu_spank.so conf=/etc/v.conf ctx=10X\n");
	ck_assert_int_eq(vgpu_plugargs_locate(top, "vgpu_spank.so", 2, av, file, sizeof(file), &line), 0);
	ck_assert_str_eq(file, top);
	ck_assert_uint_eq(line, 2);
	/* a line longer than Slurm's buffer counts as two, as Slurm counts it */
	memset(big, 'x', sizeof(big));
	big[0] = '#';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	{
		char text[sizeof(big) + 128];

		snprintf(text, sizeof(text), "%srequired /p/vgpu_spank.so conf=/etc/v.conf ctx=10X\n", big);
		top = write_file("plugstack.conf", text);
	}
	ck_assert_int_eq(vgpu_plugargs_locate(top, "vgpu_spank.so", 2, av, file, sizeof(file), &line), 0);
	ck_assert_uint_eq(line, 3);
	/* a missing file */
	ck_assert_int_eq(vgpu_plugargs_locate("/nonexistent/plugstack.conf", "vgpu_spank.so", 2, av, file,
					      sizeof(file), &line), 1);
	ck_assert_str_eq(file, "/nonexistent/plugstack.conf");
	ck_assert_uint_eq(line, 0);
	teardown_dir();
}
END_TEST

START_TEST(spank_config_states_and_messages)
{
	char *bad[] = { "conf=/etc/v.conf", "ctxx=1G" }, *libc[] = { "shim=/nonexistent/x.so" };
	char shim_arg[1100], *good[1] = { shim_arg }, expect[600], where[300];
	const char *top, *b = getenv("VGPU_BUILDDIR");
	vgpu_spank_config_t cfg;

	setup_dir();
	top = write_file("plugstack.conf", "# x\nrequired /p/vgpu_spank.so conf=/etc/v.conf ctxx=1G\n"
			 "required /p/vgpu_spank.so shim=/nonexistent/x.so\n");
	/* a bad argument: BAD_ARGS, the message names file:line, index, text */
	ck_assert_int_eq(vgpu_spank_config_load(2, bad, top, "/usr/lib/slurm-vgpu/vgpu_spank.so", &cfg), -1);
	ck_assert_int_eq(cfg.state, VGPU_SPANK_CONFIG_BAD_ARGS);
	snprintf(expect, sizeof(expect), "%s:2: argument 2 'ctxx=1G': unknown argument 'ctxx=1G' "
		 "(expected conf=, shim=, ctx=, log= or preload=)", top);
	ck_assert_str_eq(cfg.invalid, expect);
	ck_assert_str_eq(cfg.conf_path, "/etc/v.conf");
	/* the shim check does not run on a configuration already refused */
	ck_assert_int_eq(vgpu_spank_config_check_shim(&cfg, VGPU_ELFID_IDENTITY), 0);
	ck_assert_int_eq(cfg.state, VGPU_SPANK_CONFIG_BAD_ARGS);
	/* unknown plugstack.conf path: "plugstack.conf" alone */
	ck_assert_int_eq(vgpu_spank_config_load(2, bad, NULL, "vgpu_spank.so", &cfg), -1);
	ck_assert_str_eq(cfg.invalid, "plugstack.conf: argument 2 'ctxx=1G': unknown argument 'ctxx=1G' "
			 "(expected conf=, shim=, ctx=, log= or preload=)");
	/* shim= missing: BAD_SHIM with file:line */
	ck_assert_int_eq(vgpu_spank_config_load(1, libc, top, "vgpu_spank.so", &cfg), 0);
	ck_assert_int_eq(cfg.state, VGPU_SPANK_CONFIG_OK);
	ck_assert_int_eq(vgpu_spank_config_check_shim(&cfg, VGPU_ELFID_IDENTITY), -1);
	ck_assert_int_eq(cfg.state, VGPU_SPANK_CONFIG_BAD_SHIM);
	snprintf(expect, sizeof(expect), "%s:3: shim /nonexistent/x.so: No such file or directory", top);
	ck_assert_str_eq(cfg.invalid, expect);
	snprintf(expect, sizeof(expect), "%s:3", top);
	ck_assert_str_eq(vgpu_spank_config_where(&cfg, where, sizeof(where)), expect);
	/* the shim this build made: OK */
	snprintf(shim_arg, sizeof(shim_arg), "shim=%s/src/shim/.libs/libcuda.so.1", b ? b : ".");
	ck_assert_int_eq(vgpu_spank_config_load(1, good, top, "vgpu_spank.so", &cfg), 0);
	ck_assert_int_eq(vgpu_spank_config_check_shim(&cfg, VGPU_ELFID_IDENTITY), 0);
	ck_assert_int_eq(cfg.state, VGPU_SPANK_CONFIG_OK);
	ck_assert_str_eq(cfg.invalid, "");
	teardown_dir();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("plugargs");
	TCase *tc = tcase_create("plugargs");

	tcase_add_test(tc, parse_defaults_and_keys);
	tcase_add_test(tc, parse_errors_name_index);
	tcase_add_test(tc, match_line_rules);
	tcase_add_test(tc, locate_direct_and_include);
	tcase_add_test(tc, locate_include_and_chunks);
	tcase_add_test(tc, spank_config_states_and_messages);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
