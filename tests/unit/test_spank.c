/* Unit tests for the Slurm-free parts of the SPANK plugin: plugstack.conf
 * arguments (spank_config) and per-step state directories (spank_state). */
#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>
#include <sched.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spank_config.h"
#include "spank_gpu.h"
#include "spank_mount.h"
#include "spank_state.h"
#include "spank_leftover.h"
#include "vgpu_stepplan.h"
#include "vgpu_test.h"

static int parse(vgpu_spank_config_t *cfg, vgpu_err_t *err, const char *a, const char *b)
{
	char *av[2] = { (char *)a, (char *)b };

	return vgpu_spank_config_parse(b ? 2 : a ? 1 : 0, av, cfg, err);
}

START_TEST(config_defaults_and_keys)
{
	vgpu_spank_config_t cfg;
	vgpu_err_t err;

	ck_assert_int_eq(parse(&cfg, &err, NULL, NULL), 0);
	ck_assert_str_eq(cfg.conf_path, VGPU_CONF_PATH);
	ck_assert_str_eq(cfg.shim_path, "");
	ck_assert_int_eq(cfg.preload, VGPU_SPANK_PRELOAD_ETC);
	ck_assert_int_eq(cfg.log_level, VGPU_LOG_WARN);
	ck_assert_int_eq(parse(&cfg, &err, "conf=/etc/x.conf", "shim=/lib/s.so"), 0);
	ck_assert_str_eq(cfg.conf_path, "/etc/x.conf");
	ck_assert_str_eq(cfg.shim_path, "/lib/s.so");
	ck_assert_int_eq(parse(&cfg, &err, "ctx=300M", "preload=env"), 0);
	ck_assert_uint_eq(cfg.ctx_bytes, 300ull << 20);
	ck_assert_int_eq(cfg.preload, VGPU_SPANK_PRELOAD_ENV);
	ck_assert_int_eq(parse(&cfg, &err, "ctx=0", "log=debug"), 0);
	ck_assert_uint_eq(cfg.ctx_bytes, 0);
	ck_assert_int_eq(cfg.log_level, VGPU_LOG_DEBUG);
}
END_TEST

START_TEST(config_errors)
{
	static const char *const cases[][2] = {
		{ "bogus=1", "plugstack.conf: unknown argument 'bogus=1' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "conf", "plugstack.conf: argument 'conf' has no '=' (expected conf=, shim=, ctx=, log= or preload=)" },
		{ "conf=", "plugstack.conf: conf: empty value" },
		{ "conf=etc/vgpu.conf", "plugstack.conf: conf: 'etc/vgpu.conf' is not an absolute path" },
		{ "shim=lib.so", "plugstack.conf: shim: 'lib.so' is not an absolute path" },
		{ "log=loud", "plugstack.conf: log: 'loud' is not a level (expected off, error, warn, info or debug)" },
		{ "preload=both", "plugstack.conf: preload: 'both' is neither etc nor env" },
		{ "ctx=10X", "plugstack.conf: ctx: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)" },
		{ "=x", "plugstack.conf: unknown argument '=x' (expected conf=, shim=, ctx=, log= or preload=)" },
	};
	vgpu_spank_config_t cfg;
	vgpu_err_t err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(parse(&cfg, &err, "conf=/ok", cases[i][0]), -1);
		ck_assert_str_eq(err.msg, cases[i][1]);
	}
}
END_TEST

START_TEST(state_create_clean_remove)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128], dir[192], path[256];
	struct stat st;
	vgpu_err_t err;
	pid_t pid;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	snprintf(dir, sizeof(dir), "%s/7.0.0", sd);
	ck_assert_int_eq(vgpu_spank_state_create(sd, dir, getuid(), getgid(), &err), 0);
	snprintf(path, sizeof(path), "%s/acct", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	/* a live owner (this process) keeps its directory */
	ck_assert_int_eq(vgpu_spank_state_clean(sd, NULL, NULL, NULL), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	/* a dead owner: a step dir written by a child that has exited */
	pid = fork();
	if (pid == 0) {
		char d2[256];

		snprintf(d2, sizeof(d2), "%s/8.batch.1", sd);
		_exit(vgpu_spank_state_create(sd, d2, getuid(), getgid(), NULL) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	snprintf(path, sizeof(path), "%s/8.batch.1/acct/x.ledger", sd);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	/* names that are no step directory are never touched */
	snprintf(path, sizeof(path), "%s/other", sd);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(vgpu_spank_state_clean(sd, "7.0.0", NULL, NULL), 1);
	snprintf(path, sizeof(path), "%s/8.batch.1", sd);
	ck_assert_int_ne(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/other", sd);
	ck_assert_int_eq(stat(path, &st), 0);
	/* remove: the directory and what is under it; symlinks not followed */
	snprintf(path, sizeof(path), "%s/acct/link", dir);
	ck_assert_int_eq(symlink(sd, path), 0);
	ck_assert_int_eq(vgpu_spank_state_remove(dir, &err), 0);
	ck_assert_int_ne(stat(dir, &st), 0);
	ck_assert_int_eq(stat(sd, &st), 0);
	ck_assert_int_eq(vgpu_spank_state_remove(dir, &err), 0); /* already gone */
	snprintf(path, sizeof(path), "%s/other", sd);
	rmdir(path);
	rmdir(sd);
	rmdir(base);
}
END_TEST

/* Make depth levels "d/d/d..." below the directory in out (extended in place
 * to the deepest one). */
static void make_deep(int depth, char *out, size_t len)
{
	int i;

	for (i = 0; i < depth; i++) {
		size_t n = strlen(out);

		snprintf(out + n, len - n, "/d");
		ck_assert_int_eq(mkdir(out, 0755), 0);
	}
}

START_TEST(state_remove_never_leaves_the_tree)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128], dir[192], path[512], outside[192];
	struct stat st;
	vgpu_err_t err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	snprintf(dir, sizeof(dir), "%s/9.1.0", sd);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	snprintf(path, sizeof(path), "%s/precious", outside);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(vgpu_spank_state_create(sd, dir, getuid(), getgid(), &err), 0);
	/* nested directories, files, and links to a directory outside */
	snprintf(path, sizeof(path), "%s/acct/a", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/acct/a/b", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/acct/a/b/link", dir);
	ck_assert_int_eq(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/acct/a/precious", dir);
	ck_assert_int_eq(symlink(outside, path), 0);
	ck_assert_int_eq(vgpu_spank_state_remove(dir, &err), 0);
	ck_assert_int_ne(lstat(dir, &st), 0);
	snprintf(path, sizeof(path), "%s/precious", outside);
	ck_assert_int_eq(stat(path, &st), 0);

	/* a tree deeper than the remover recurses (32) is still removed: its
	 * deep parts are moved up and taken from there */
	ck_assert_int_eq(vgpu_spank_state_create(sd, dir, getuid(), getgid(), &err), 0);
	snprintf(path, sizeof(path), "%s/acct", dir);
	make_deep(40, path, sizeof(path));
	ck_assert_int_eq(vgpu_spank_state_remove(dir, &err), 0);
	ck_assert_int_ne(lstat(dir, &st), 0);
	/* 400 levels (past PATH_MAX as a path), a file at the bottom: a few
	 * calls at most, each one making progress */
	ck_assert_int_eq(vgpu_spank_state_create(sd, dir, getuid(), getgid(), &err), 0);
	snprintf(path, sizeof(path), "%s/acct", dir);
	{
		int fd = open(path, O_RDONLY | O_DIRECTORY), calls = 0;

		ck_assert_int_ge(fd, 0);
		for (int i = 0; i < 400; i++) {
			int sub;

			ck_assert_int_eq(mkdirat(fd, "dd", 0755), 0);
			sub = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
			ck_assert_int_ge(sub, 0);
			close(fd);
			fd = sub;
		}
		close(openat(fd, "bottom", O_WRONLY | O_CREAT, 0644));
		close(fd);
		while (vgpu_spank_state_remove(dir, &err) != 0 && calls < 5)
			calls++;
		ck_assert_int_lt(calls, 5);
		ck_assert_int_ne(lstat(dir, &st), 0);
	}
	snprintf(path, sizeof(path), "%s/precious", outside);
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);
	rmdir(outside);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(state_clean_handles_half_created_dirs)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128], path[256];
	struct stat st;
	struct utimbuf old = { 0, 0 };
	vgpu_err_t err;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	snprintf(path, sizeof(path), "%s/1.0.0", sd);
	ck_assert_int_eq(vgpu_spank_state_create(sd, path, getuid(), getgid(), &err), 0);
	/* a .new dir whose creator died after writing its owner */
	pid = fork();
	if (pid == 0) {
		char d2[256], o[300];
		FILE *f;

		snprintf(d2, sizeof(d2), "%s/2.0.0.new", sd);
		if (mkdir(d2, 0755) != 0)
			_exit(1);
		snprintf(o, sizeof(o), "%s/owner", d2);
		f = fopen(o, "w");
		if (!f)
			_exit(1);
		fprintf(f, "%ld 1\n", (long)getpid());
		fclose(f);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* a fresh .new dir without owner yet (being created) and an old one */
	snprintf(path, sizeof(path), "%s/3.0.0.new", sd);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/4.0.0.new", sd);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(utime(path, &old), 0);
	ck_assert_int_eq(vgpu_spank_state_clean(sd, NULL, NULL, NULL), 2);
	snprintf(path, sizeof(path), "%s/2.0.0.new", sd);
	ck_assert_int_ne(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/3.0.0.new", sd);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/4.0.0.new", sd);
	ck_assert_int_ne(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/1.0.0", sd);
	ck_assert_int_eq(stat(path, &st), 0); /* its owner (this process) lives */

	/* as root, a StateDir others can write is refused */
	if (geteuid() == 0) {
		ck_assert_int_eq(chmod(sd, 0777), 0);
		snprintf(path, sizeof(path), "%s/5.0.0", sd);
		ck_assert_int_eq(vgpu_spank_state_create(sd, path, getuid(), getgid(), &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "must be owned by root and writable by root only"));
		ck_assert_ptr_nonnull(strstr(err.msg, "mode 0777"));
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* In a child with its own mount namespace (the host is never touched): a file
 * bind-mounted over /etc/hostname stays visible through the private /etc,
 * which shows the step's ld.so.preload. Root only. */
START_TEST(private_etc_keeps_submounts)
{
	char base[] = "/tmp/test_spank.XXXXXX", etc[128], hostetc[128], path[256];
	int status;
	pid_t pid;
	FILE *f;

	if (geteuid() != 0 || access("/etc/hostname", F_OK) != 0)
		return; /* needs root and a file to cover */
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(etc, sizeof(etc), "%s/etc", base);
	snprintf(hostetc, sizeof(hostetc), "%s/etc-host", base);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	snprintf(path, sizeof(path), "%s/ld.so.preload", etc);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("/nonexistent/libvgpu-test.so\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/name", base);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("from-submount\n", f);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		char why[256], buf[64] = "";
		FILE *r;

		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount(path, "/etc/hostname", NULL, MS_BIND, NULL) != 0)
			_exit(10); /* no mount namespaces here: nothing to check */
		if (vgpu_spank_mount_etc(etc, hostetc, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s\n", why);
			_exit(1);
		}
		r = fopen("/etc/hostname", "r");
		if (!r || !fgets(buf, sizeof(buf), r) || strcmp(buf, "from-submount\n") != 0)
			_exit(2);
		fclose(r);
		r = fopen("/etc/ld.so.preload", "r");
		if (!r || !fgets(buf, sizeof(buf), r) || strcmp(buf, "/nonexistent/libvgpu-test.so\n") != 0)
			_exit(3);
		fclose(r);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10, "child exit %d",
		      WEXITSTATUS(status));
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(gpu_type_matching)
{
	static const char text[] =
		"GpuType=h100 Memory=81559M SMs=132 Model=\"NVIDIA H100 80GB HBM3\"\n"
		"GpuType=big Memory=40G SMs=108 Model=\"NVIDIA A100-SXM4-40GB\"\n"
		"GpuType=l40s Memory=46068M SMs=142\n";
	vgpu_conf_t conf;
	vgpu_err_t err;
	const vgpu_gpu_type_t *t;

	ck_assert_int_eq(vgpu_conf_parse(text, strlen(text), "vgpu.conf", &conf, &err), 0);
	t = vgpu_spank_gpu_type(&conf, "NVIDIA A100-SXM4-40GB", &err); /* by Model= */
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "big");
	t = vgpu_spank_gpu_type(&conf, "NVIDIA L40S", &err); /* by the derived name */
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "l40s");
	ck_assert_ptr_null(vgpu_spank_gpu_type(&conf, "Tesla V100-SXM2-16GB", &err));
	ck_assert_str_eq(err.msg, "GPU model 'Tesla V100-SXM2-16GB' matches no GpuType of vgpu.conf (3 types)");
	conf.ntypes = 1; /* one type: any GPU is of it */
	t = vgpu_spank_gpu_type(&conf, "Tesla V100-SXM2-16GB", &err);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "h100");
}
END_TEST

START_TEST(gpu_libpath)
{
	char path[512];
	vgpu_err_t err;

	ck_assert_int_eq(vgpu_spank_gpu_libpath("libc.so.6", path, sizeof(path), &err), 0);
	ck_assert_int_eq(path[0], '/');
	ck_assert_ptr_nonnull(strstr(path, "libc.so.6"));
	ck_assert_int_eq(vgpu_spank_gpu_libpath("libnosuch-vgpu.so.9", path, sizeof(path), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot load 'libnosuch-vgpu.so.9': "));
	ck_assert_int_eq(vgpu_spank_gpu_lookup("/nonexistent/libnvidia-ml.so.1", 0, path, 64, path + 64,
					       64, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot load NVML '/nonexistent/libnvidia-ml.so.1': "));
}
END_TEST

/* Library paths found without loading: LD_LIBRARY_PATH in order (a non-ELF
 * file of the name skipped), ld.so.cache, an absolute path as it is, and
 * the loader asked when a relative entry comes first. */
START_TEST(gpu_libpath_search)
{
	char base[] = "/tmp/test_spank.XXXXXX", a[64], b[64], env[160], path[512], want[160];
	struct stat st1, st2;
	struct link_map *map = NULL;
	Dl_info info;
	void *libc;
	vgpu_err_t err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(a, sizeof(a), "%s/a", base);
	snprintf(b, sizeof(b), "%s/b", base);
	ck_assert_int_eq(mkdir(a, 0755), 0);
	ck_assert_int_eq(mkdir(b, 0755), 0);
	snprintf(path, sizeof(path), "%s/libvgputest.so.1", a);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	/* the running libc, as the loader mapped it (asked by name: under ASan
	 * printf is the sanitizer runtime's, another library) */
	ck_assert_ptr_nonnull(libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD));
	ck_assert_int_eq(dlinfo(libc, RTLD_DI_LINKMAP, &map), 0);
	info.dli_fname = map->l_name;
	snprintf(path, sizeof(path), "%s/libvgputest.so.1", b);
	ck_assert_int_eq(symlink(info.dli_fname, path), 0);
	snprintf(env, sizeof(env), "%s:%s", a, b);
	ck_assert_int_eq(setenv("LD_LIBRARY_PATH", env, 1), 0);
	ck_assert_int_eq(vgpu_spank_gpu_libpath("libvgputest.so.1", path, sizeof(path), &err), 0);
	snprintf(want, sizeof(want), "%s/libvgputest.so.1", b);
	ck_assert_str_eq(path, want);
	/* an absolute path: itself when it is a shared object, else the loader's error */
	ck_assert_int_eq(vgpu_spank_gpu_libpath(want, path, sizeof(path), &err), 0);
	ck_assert_str_eq(path, want);
	snprintf(want, sizeof(want), "%s/libvgputest.so.1", a);
	ck_assert_int_eq(vgpu_spank_gpu_libpath(want, path, sizeof(path), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot load '"));
	/* a relative entry first: only the loader (whose LD_LIBRARY_PATH is the
	 * one this process started with) can tell */
	snprintf(env, sizeof(env), "rel:%s", b);
	ck_assert_int_eq(setenv("LD_LIBRARY_PATH", env, 1), 0);
	ck_assert_int_eq(vgpu_spank_gpu_libpath("libvgputest.so.1", path, sizeof(path), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot load 'libvgputest.so.1': "));
	/* not in LD_LIBRARY_PATH: ld.so.cache gives the libc this process runs */
	ck_assert_int_eq(unsetenv("LD_LIBRARY_PATH"), 0);
	ck_assert_int_eq(vgpu_spank_gpu_libpath("libc.so.6", path, sizeof(path), &err), 0);
	ck_assert_int_eq(stat(path, &st1), 0);
	ck_assert_int_eq(stat(info.dli_fname, &st2), 0);
	ck_assert(st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev);
	dlclose(libc);
	ck_assert_int_eq(vgpu_spank_state_remove(base, &err), 0);
}
END_TEST

/* A directory published with its files: contents, modes whatever the umask,
 * the link, nothing left of the .new directory; a failing entry leaves
 * nothing. */
START_TEST(state_create_files)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128], dir[192], path[256], buf[300];
	const vgpu_spank_state_file_t files[] = {
		{ "gpu", "3 n1\n", NULL },
		{ "step.desc", "version=2\n", NULL },
		{ "etc", NULL, NULL },
		{ "etc/ld.so.preload", "/lib/shim.so\n", NULL },
		{ "etc/vgpu-step.desc", NULL, "step.desc" },
	};
	const vgpu_spank_state_file_t bad[] = {
		{ "gpu", "3 n1\n", NULL },
		{ "etc/vgpu-step.desc", NULL, "step.desc" },
	};
	struct stat st1, st2;
	vgpu_err_t err;
	mode_t old;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	snprintf(dir, sizeof(dir), "%s/7.0.0", sd);
	old = umask(077);
	ck_assert_int_eq(vgpu_spank_state_create_files(sd, dir, (uid_t)-1, getgid(), files, 5, &err), 0);
	umask(old);
	snprintf(path, sizeof(path), "%s/gpu", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "3 n1\n");
	ck_assert_int_eq(stat(path, &st1), 0);
	ck_assert_int_eq(st1.st_mode & 07777, 0644);
	snprintf(path, sizeof(path), "%s/etc", dir);
	ck_assert_int_eq(stat(path, &st1), 0);
	ck_assert_int_eq(st1.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/etc/ld.so.preload", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "/lib/shim.so\n");
	snprintf(path, sizeof(path), "%s/step.desc", dir);
	ck_assert_int_eq(stat(path, &st1), 0);
	snprintf(path, sizeof(path), "%s/etc/vgpu-step.desc", dir);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert(st1.st_ino == st2.st_ino && st2.st_nlink == 2 && (st2.st_mode & 07777) == 0644);
	snprintf(path, sizeof(path), "%s/owner", dir);
	ck_assert_int_eq(stat(path, &st1), 0);
	snprintf(path, sizeof(path), "%s.new", dir);
	ck_assert_int_eq(stat(path, &st1), -1);
	/* a link to a missing entry (etc/ not made): an error, and no directory */
	snprintf(dir, sizeof(dir), "%s/8.0.0", sd);
	ck_assert_int_eq(vgpu_spank_state_create_files(sd, dir, (uid_t)-1, getgid(), bad, 2, &err), -1);
	snprintf(buf, sizeof(buf), "cannot link %s.new/etc/vgpu-step.desc to ", dir);
	ck_assert_ptr_nonnull(strstr(err.msg, buf));
	ck_assert_ptr_nonnull(strstr(err.msg, ": No such file or directory"));
	ck_assert_int_eq(stat(dir, &st1), -1);
	snprintf(path, sizeof(path), "%s.new", dir);
	ck_assert_int_eq(stat(path, &st1), -1);
	ck_assert_int_eq(vgpu_spank_state_remove(base, &err), 0);
}
END_TEST

/* A step directory named name, owned by a child that has exited (dead), or
 * by this process (live); with a gpu file holding gpu (or none when < 0). */
static void make_step(const char *sd, const char *name, int live, int gpu)
{
	char dir[256], path[300];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/%s", sd, name);
	if (live) {
		ck_assert_int_eq(vgpu_spank_state_create(sd, dir, (uid_t)-1, getgid(), NULL), 0);
	} else {
		pid_t pid = fork();

		if (pid == 0)
			_exit(vgpu_spank_state_create(sd, dir, (uid_t)-1, getgid(), NULL) == 0 ? 0 : 1);
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	}
	snprintf(path, sizeof(path), "%s/acct", dir);
	ck_assert_int_ne(access(path, F_OK), 0); /* step dirs have no acct/ */
	if (gpu >= 0) {
		snprintf(path, sizeof(path), "%s/gpu", dir);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "%d %s\n", gpu, strcmp(name, "12.0.0") == 0 ? "n2" : "n1");
		fclose(f);
	}
}

/* Other jobs' live slices on GPUs `gpus` ("1,0") of host, as the
 * whole-GPU guard sees them: the StateDir view and the core's check. How
 * many jobs (0: the whole-GPU step may run); the GPU and their ids
 * ("12,14") from the refusal. */
static int slices(const char *sd, const char *host, unsigned long job, const char *gpus, unsigned *gpu, char *jobs,
		  size_t len)
{
	vgpu_stepplan_in_t in;
	vgpu_stepplan_view_t v;
	vgpu_stepplan_t p;
	char list[128] = "";
	int n = 1;

	memset(&in, 0, sizeof(in));
	in.job = (uint32_t)job;
	in.host = host;
	in.step_gpus = gpus;
	in.guard = 1;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	vgpu_spank_state_view(sd, &v);
	vgpu_stepplan_whole_check(&v, host, (uint32_t)job, &p);
	vgpu_stepplan_view_free(&v);
	if (p.state == VGPU_STEPPLAN_WHOLE)
		return 0;
	ck_assert_msg(sscanf(p.why, "vgpu: GPU %u holds slices of job(s) %127[0-9,];", gpu, list) == 2, "%s", p.why);
	snprintf(jobs, len, "%s", list);
	for (const char *c = list; *c; c++)
		n += *c == ',';
	return n;
}

/* The job directory lives while a step of its job on its node does; the
 * lock serialises it; the whole-GPU check finds other jobs' live slices. */
START_TEST(state_job_dirs_and_slices)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128], jd[192], path[256], jobs[64];
	unsigned gpu = 99;
	struct stat st;
	vgpu_err_t err;
	int lock;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	/* nothing there: no slices, and the check is one opendir */
	ck_assert_int_eq(slices(sd, "n1", 1, "1,0", &gpu, jobs, sizeof(jobs)), 0);
	lock = vgpu_spank_state_lock(sd, &err);
	ck_assert_int_ge(lock, 0);
	snprintf(jd, sizeof(jd), "%s/job.7.0", sd);
	ck_assert_int_eq(vgpu_spank_state_job(sd, jd, getuid(), getgid(), &err), 0);
	snprintf(path, sizeof(path), "%s/acct/x.ledger", jd);
	fclose(fopen(path, "w"));
	/* a second step of the job keeps it, ledger and all */
	ck_assert_int_eq(vgpu_spank_state_job(sd, jd, getuid(), getgid(), &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/acct", jd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	/* the job's user opened its acct/ up: the next step puts the mode
	 * back and keeps the ledgers (live steps have them mapped) */
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(vgpu_spank_state_job(sd, jd, getuid(), getgid(), &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/acct/x.ledger", jd);
	ck_assert_int_eq(stat(path, &st), 0);
	make_step(sd, "7.batch.0", 1, 0);
	make_step(sd, "7.3.0", 0, 0);  /* a dead step of the job */
	make_step(sd, "7.4.1", 1, 0);  /* the job on another node: not counted */
	ck_assert_int_eq(vgpu_spank_state_job_steps(sd, 7, 0, NULL), 1);
	ck_assert_int_eq(vgpu_spank_state_job_steps(sd, 7, 0, "7.batch.0"), 0);
	ck_assert_int_eq(vgpu_spank_state_job_steps(sd, 7, 1, NULL), 1);
	/* clean-up: the dead step goes, the job dir stays (a live step) */
	ck_assert_int_eq(vgpu_spank_state_clean(sd, NULL, NULL, NULL), 1);
	ck_assert_int_eq(stat(jd, &st), 0);
	/* other jobs' slices: live ones on GPU 0 (two steps of job 8, one of
	 * job 9), a dead one of job 10, one on GPU 2 */
	make_step(sd, "8.0.0", 1, 0);
	make_step(sd, "8.1.0", 1, 0);
	make_step(sd, "9.batch.0", 1, 0);
	make_step(sd, "10.0.0", 0, 0);
	make_step(sd, "11.0.0", 1, 2);
	make_step(sd, "12.0.0", 1, 0); /* GPU 0 of another node sharing StateDir */
	ck_assert_int_eq(slices(sd, "n1", 1, "1", &gpu, jobs, sizeof(jobs)), 0); /* GPU 1 only */
	ck_assert_int_eq(slices(sd, "n1", 1, "1,0", &gpu, jobs, sizeof(jobs)), 3); /* 3 jobs */
	ck_assert_uint_eq(gpu, 0);
	/* job ids in directory order: check the set */
	{
		char hay[80];

		snprintf(hay, sizeof(hay), ",%s,", jobs);
		ck_assert_ptr_nonnull(strstr(hay, ",7,"));
		ck_assert_ptr_nonnull(strstr(hay, ",8,"));
		ck_assert_ptr_nonnull(strstr(hay, ",9,"));
		ck_assert_ptr_null(strstr(hay, ",10,"));
		ck_assert_ptr_null(strstr(hay, ",11,"));
		ck_assert_ptr_null(strstr(hay, ",12,"));
		ck_assert_uint_eq(strlen(jobs), 5);
	}
	/* the job itself is not "another job" */
	ck_assert_int_eq(slices(sd, "n1", 8, "0", &gpu, jobs, sizeof(jobs)), 2);
	ck_assert_int_eq(slices(sd, "n2", 8, "0", &gpu, jobs, sizeof(jobs)), 1);
	ck_assert_str_eq(jobs, "12");
	/* the job's last step on node 0 gone: the next clean-up takes its dir */
	snprintf(path, sizeof(path), "%s/7.batch.0", sd);
	ck_assert_int_eq(vgpu_spank_state_remove(path, &err), 0);
	ck_assert_int_eq(vgpu_spank_state_clean(sd, NULL, NULL, NULL), 2); /* job.7.0 and 10.0.0 */
	ck_assert_int_ne(stat(jd, &st), 0);
	vgpu_spank_state_unlock(lock);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* A StateDir that cannot be listed gives an incomplete view: the
 * whole-GPU guard and a slice step refuse, naming it (they let the step
 * through before). */
START_TEST(state_view_unlistable)
{
	char base[] = "/tmp/test_spank.XXXXXX", sd[128];
	vgpu_stepplan_in_t in;
	vgpu_stepplan_view_t v;
	vgpu_stepplan_t p;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(sd, sizeof(sd), "%s/state", base);
	/* missing: nothing runs there, a complete empty view */
	ck_assert_int_eq(vgpu_spank_state_view(sd, &v), 0);
	ck_assert_uint_eq(v.n, 0);
	vgpu_stepplan_view_free(&v);
	f = fopen(sd, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(vgpu_spank_state_view(sd, &v), -1);
	ck_assert_int_eq(v.complete, 0);
	memset(&in, 0, sizeof(in));
	in.job = 7;
	in.host = "n1";
	in.job_gpus = "0";
	in.guard = 1;
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_WHOLE);
	ck_assert_int_eq(vgpu_stepplan_whole_check(&v, "n1", 7, &p), VGPU_STEPPLAN_REFUSED);
	ck_assert_msg(strstr(p.why, "/state cannot be listed: Not a directory; a whole-GPU step is not run") != NULL,
		      "%s", p.why);
	in.shards_on_node = "10";
	ck_assert_int_eq(vgpu_stepplan_begin(&in, &p), VGPU_STEPPLAN_SLICE);
	ck_assert_int_eq(vgpu_stepplan_slice_check(&v, "n1", 7, 0, &p), VGPU_STEPPLAN_REFUSED);
	vgpu_stepplan_view_free(&v);
	unlink(sd);
	rmdir(base);
}
END_TEST

static char said[4][512];
static int nsaid;
static void say(void *ctx, const char *line)
{
	(void)ctx;
	if (nsaid < 4)
		snprintf(said[nsaid++], sizeof(said[0]), "%s", line);
}

/* A process that still has a job's ledger open at the job's end (a
 * setsid child that outlived its step) is found through /proc, killed
 * (it runs as the job's uid, the acct dir's owner) and said. */
START_TEST(leftover_reap)
{
	char base[] = "/tmp/test_spank.XXXXXX", path[256], want[160];
	vgpu_spank_leftover_t l[4];
	int pfd[2], status;
	pid_t pid;
	char c;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/acct", base);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	/* nothing holds it: nothing found, the job dir may go */
	snprintf(path, sizeof(path), "%s/acct/GPU-1.ledger", base);
	fclose(fopen(path, "w"));
	ck_assert_int_eq(vgpu_spank_leftover_reap(base, "job 7: ", say, NULL), 0);
	ck_assert_int_eq(nsaid, 0);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		(void)!write(pfd[1], "x", 1);
		for (;;)
			pause();
		_exit(fd);
	}
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	ck_assert_int_eq(vgpu_spank_leftover_find(base, l, 4), 0); /* base itself has no ledger */
	snprintf(path, sizeof(path), "%s/acct", base);
	ck_assert_int_eq(vgpu_spank_leftover_find(path, l, 4), 1);
	ck_assert_int_eq(l[0].pid, pid);
	ck_assert_int_eq(l[0].uid, getuid());
	ck_assert_str_eq(l[0].ledger, "GPU-1.ledger");
	ck_assert_int_eq(vgpu_spank_leftover_reap(base, "job 7: ", say, NULL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(nsaid, 1);
	snprintf(want, sizeof(want), "job 7: process %ld (test_spank, uid %ld) held GPU memory (GPU-1.ledger): killed",
		 (long)pid, (long)getuid());
	ck_assert_str_eq(said[0], want);
	close(pfd[0]);
	close(pfd[1]);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* The job's shards on one GPU, from slurmctld's gres_detail_str of a node. */
START_TEST(job_shards_from_gres_detail)
{
	unsigned n = 0;

	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:20(IDX:0)", 0, &n), 0);
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("gpu:h100:2(IDX:0,2-3),shard:h100:7(IDX:1)", 1, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:20(IDX:0)", 1, &n), -1);    /* another GPU */
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:40(IDX:0-1)", 0, &n), -1);  /* split unknown */
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:40(IDX:0,1)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("gpu:1(IDX:0)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard(CNT:5)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:0(IDX:0)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:x(IDX:0)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:5(IDX:0", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("", 0, &n), -1);
	ck_assert_uint_eq(n, 7); /* untouched by failures */
}
END_TEST

/* The job's shards on one GPU from the gres_detail_str of Slurm 24.11.5 and
 * 26.05.5 (recorded on the devcluster: per-GPU counts, no IDX). */
START_TEST(job_shards_from_per_gpu_counts)
{
	unsigned n = 0;

	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30(30/100,0/100)", 0, &n), 0);
	ck_assert_uint_eq(n, 30);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30(30/100,0/100)", 1, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:60(0/100,60/100)", 1, &n), 0);
	ck_assert_uint_eq(n, 60);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:7(0/100,7/100)", 1, &n), 0);
	ck_assert_uint_eq(n, 7);
	/* MULTIPLE_SHARING_GRES_PJ: the split is in the string */
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:150(100/100,50/100)", 0, &n), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:150(100/100,50/100)", 1, &n), 0);
	ck_assert_uint_eq(n, 50);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:50(30/80,20/80)", 1, &n), 0);
	ck_assert_uint_eq(n, 20);
	/* one item per shard type: they add up */
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:a:5(5/100,0/100),shard:b:7(2/100,0/100)",
						   0, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("gpu:h100:1(IDX:0)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("", 0, &n), -1);        /* step-only job */
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30((null))", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30(30/100,0/100)", 2, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30(30/100,0/100)", 64, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:30(40/30)", 0, &n), -1);
	ck_assert_int_eq(vgpu_spank_gpu_job_shards("shard:2000000(2000000/2000000)", 0, &n), -1);
	ck_assert_uint_eq(n, 7); /* untouched by failures */
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("spank");
	TCase *tc = tcase_create("spank");

	tcase_add_test(tc, config_defaults_and_keys);
	tcase_add_test(tc, config_errors);
	tcase_add_test(tc, state_create_clean_remove);
	tcase_add_test(tc, state_remove_never_leaves_the_tree);
	tcase_add_test(tc, state_clean_handles_half_created_dirs);
	tcase_add_test(tc, state_job_dirs_and_slices);
	tcase_add_test(tc, state_view_unlistable);
	tcase_add_test(tc, leftover_reap);
	tcase_add_test(tc, job_shards_from_gres_detail);
	tcase_add_test(tc, job_shards_from_per_gpu_counts);
	tcase_add_test(tc, private_etc_keeps_submounts);
	tcase_add_test(tc, gpu_type_matching);
	tcase_add_test(tc, gpu_libpath);
	tcase_add_test(tc, gpu_libpath_search);
	tcase_add_test(tc, state_create_files);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
