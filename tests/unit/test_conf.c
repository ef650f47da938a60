/* Unit tests for vgpu_conf: defaults, the format, every error message, the
 * reset on error, vgpu_conf_load and the shipped example. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgpu_conf.h"
#include "vgpu_test.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static vgpu_conf_t conf;

static void parse_ok(const char *text)
{
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_conf_parse(text, strlen(text), "vgpu.conf", &conf, &err) == 0, "%s", err.msg);
}

/* Parse text that must fail; checks the conf is back to the defaults. */
static const char *parse_err(const char *text, size_t len)
{
	static vgpu_err_t err;
	vgpu_conf_t fresh;

	vgpu_conf_init(&fresh);
	memset(&err, 0, sizeof(err));
	ck_assert_msg(vgpu_conf_parse(text, len, "vgpu.conf", &conf, &err) == -1, "accepted: %s", text);
	ck_assert_msg(memcmp(&conf, &fresh, sizeof(conf)) == 0, "conf not reset after: %s", err.msg);
	return err.msg;
}

#define ERR(text) parse_err(text, strlen(text))

START_TEST(defaults)
{
	vgpu_conf_init(&conf);
	ck_assert_int_eq(conf.mode, VGPU_MODE_STRICT);
	ck_assert_uint_eq(conf.shards_per_gpu, 120);
	ck_assert_uint_eq(conf.shard_bytes, GiB);
	ck_assert_uint_eq(conf.default_cores, 100);
	ck_assert_uint_eq(conf.reserve_bytes, 0);
	ck_assert_str_eq(conf.state_dir, "/run/slurm-vgpu");
	ck_assert_str_eq(conf.shim_path, VGPU_CONF_DEFAULT_SHIM);
	ck_assert_str_eq(conf.nvml_path, "libnvidia-ml.so.1");
	ck_assert_str_eq(conf.cuda_path, "libcuda.so.1");
	ck_assert_str_eq(conf.cliquemap_path, "");
	ck_assert_uint_eq(conf.ntypes, 0);
	ck_assert_str_eq(vgpu_conf_mode_name(VGPU_MODE_STRICT), "strict");
	ck_assert_str_eq(vgpu_conf_mode_name(VGPU_MODE_MEMORY), "memory");

	memset(&conf, 0x77, sizeof(conf));
	parse_ok("");
	ck_assert_uint_eq(conf.shards_per_gpu, 120);
	ck_assert_str_eq(conf.state_dir, "/run/slurm-vgpu");
	parse_ok("# only a comment\n\n   \t\n#\n");
	ck_assert_uint_eq(conf.ntypes, 0);
}
END_TEST

START_TEST(every_key)
{
	const vgpu_gpu_type_t *t;

	parse_ok("# site settings\r\n"
		 "  accountingmode=MEMORY   # trailing comment\r\n"
		 "SHARDSPERGPU=250\n"
		 "ShardMemory=512M\n"
		 "\tDefaultCores=50%\n"
		 "MemoryReserve=256M#comment right after\n"
		 "StateDir=\"/var/run/slurm vgpu\"\n"
		 "ShimLibrary=/opt/vgpu/lib/libvgpu-shim.so\n"
		 "NvmlLibrary=/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n"
		 "CudaLibrary=libcuda.so\n"
		 "cliquemap=/etc/slurm/vgpu-cliquemap.json\n"
		 "GpuType=H100 Memory=81559M SMs=132 Model=\"NVIDIA H100 80GB HBM3 # not a comment\" MemoryReserve=1G\n"
		 "gputype=a100\tmemory=80GB  sms=108 memoryreserve=0\n"
		 "GpuType=l4 Memory=23034M SMs=58 Model=NVIDIA-L4");
	ck_assert_int_eq(conf.mode, VGPU_MODE_MEMORY);
	ck_assert_uint_eq(conf.shards_per_gpu, 250);
	ck_assert_uint_eq(conf.shard_bytes, 512 * MiB);
	ck_assert_uint_eq(conf.default_cores, 50);
	ck_assert_uint_eq(conf.reserve_bytes, 256 * MiB);
	ck_assert_str_eq(conf.state_dir, "/var/run/slurm vgpu");
	ck_assert_str_eq(conf.shim_path, "/opt/vgpu/lib/libvgpu-shim.so");
	ck_assert_str_eq(conf.nvml_path, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1");
	ck_assert_str_eq(conf.cuda_path, "libcuda.so");
	ck_assert_str_eq(conf.cliquemap_path, "/etc/slurm/vgpu-cliquemap.json");
	ck_assert_uint_eq(conf.ntypes, 3);

	t = vgpu_conf_find_type(&conf, "h100");
	ck_assert_ptr_eq(t, &conf.types[0]);
	ck_assert_str_eq(t->name, "h100");
	ck_assert_str_eq(t->model, "NVIDIA H100 80GB HBM3 # not a comment");
	ck_assert_uint_eq(t->mem_bytes, 81559 * MiB);
	ck_assert_uint_eq(t->sms, 132);
	ck_assert_uint_eq(t->reserve_bytes, GiB);
	ck_assert_int_eq(t->reserve_set, 1);
	ck_assert_uint_eq(vgpu_conf_type_reserve(&conf, t), GiB);

	t = vgpu_conf_find_type(&conf, "A100");
	ck_assert_ptr_eq(t, &conf.types[1]);
	ck_assert_uint_eq(t->mem_bytes, UINT64_C(80000000000));
	ck_assert_str_eq(t->model, "");
	ck_assert_int_eq(t->reserve_set, 1);
	ck_assert_uint_eq(vgpu_conf_type_reserve(&conf, t), 0);

	t = vgpu_conf_find_type(&conf, "l4");
	ck_assert_str_eq(t->model, "NVIDIA-L4");
	ck_assert_int_eq(t->reserve_set, 0);
	ck_assert_uint_eq(vgpu_conf_type_reserve(&conf, t), 256 * MiB);

	ck_assert_ptr_null(vgpu_conf_find_type(&conf, "v100"));
	ck_assert_ptr_null(vgpu_conf_find_type(&conf, ""));
	ck_assert_ptr_null(vgpu_conf_find_type(&conf, NULL));
}
END_TEST

START_TEST(key_errors)
{
	ck_assert_str_eq(ERR("ShardsPerGpu=100\nFoo=bar\n"),
			 "vgpu.conf:2: Foo: unknown key (value 'bar'; expected AccountingMode, ShardsPerGpu, "
			 "ShardMemory, DefaultCores, MemoryReserve, StateDir, ShimLibrary, NvmlLibrary, "
			 "CudaLibrary, CliqueMap or GpuType)");
	ck_assert_str_eq(ERR("ShardsPerGpu=100\n# x\nshardspergpu=50\n"),
			 "vgpu.conf:3: ShardsPerGpu: duplicate setting '50' (first on line 1)");
	ck_assert_str_eq(ERR("ShardsPerGpu 100\n"),
			 "vgpu.conf:1: ShardsPerGpu: missing '=' in 'ShardsPerGpu 100' (expected Key=Value, no spaces around '=')");
	ck_assert_str_eq(ERR("ShardsPerGpu = 100   \n"),
			 "vgpu.conf:1: ShardsPerGpu: missing '=' in 'ShardsPerGpu = 100' (expected Key=Value, no spaces around '=')");
	ck_assert_str_eq(ERR("\n=5\n"), "vgpu.conf:2: missing key before '=' in '=5' (expected Key=Value)");
	ck_assert_str_eq(ERR("StateDir=\n"), "vgpu.conf:1: StateDir: empty value");
	ck_assert_str_eq(ERR("CliqueMap=map.json\n"),
			 "vgpu.conf:1: CliqueMap: 'map.json' is not an absolute path");
	ck_assert_str_eq(ERR("CliqueMap=/a.json\nCliqueMap=/b.json\n"),
			 "vgpu.conf:2: CliqueMap: duplicate setting '/b.json' (first on line 1)");
	ck_assert_str_eq(ERR("StateDir=\"\"\n"), "vgpu.conf:1: StateDir: empty value");
	ck_assert_str_eq(ERR("ShardsPerGpu=100 DefaultCores=50\n"),
			 "vgpu.conf:1: ShardsPerGpu: unexpected 'DefaultCores=50' after the value (one setting per line; only GpuType lines hold several)");
	ck_assert_str_eq(ERR("Memory=80G\n"),
			 "vgpu.conf:1: Memory: only valid on a GpuType line (e.g. GpuType=h100 Memory=81559M SMs=132)");
	ck_assert_str_eq(ERR("StateDir=\"/run/x\n"), "vgpu.conf:1: StateDir: unterminated quote in '\"/run/x'");
	ck_assert_str_eq(ERR("StateDir=\"/run/x\"y\n"), "vgpu.conf:1: StateDir: unexpected 'y' after the closing quote");
	ck_assert_str_eq(ERR("StateDir=/run/\"x\"\n"),
			 "vgpu.conf:1: StateDir: stray '\"' in '/run/\"x\"' (quote the whole value)");
	ck_assert_str_eq(ERR("StateDir=\"/run/\tx\"\n"), "vgpu.conf:1: StateDir: control character in '/run/\\x09x'");
	ck_assert_str_eq(ERR("Fo\x01o=1\n"), "vgpu.conf:1: Fo\\x01o: unknown key (value '1'; expected AccountingMode, "
			 "ShardsPerGpu, ShardMemory, DefaultCores, MemoryReserve, StateDir, ShimLibrary, NvmlLibrary, "
			 "CudaLibrary, CliqueMap or GpuType)");
}
END_TEST

START_TEST(value_errors)
{
	ck_assert_str_eq(ERR("AccountingMode=fast\n"),
			 "vgpu.conf:1: AccountingMode: 'fast' is not an accounting mode (expected strict or memory)");
	ck_assert_str_eq(ERR("ShardsPerGpu=abc\n"), "vgpu.conf:1: ShardsPerGpu: 'abc' is not a whole number (expected 2..10000)");
	ck_assert_str_eq(ERR("ShardsPerGpu=-4\n"), "vgpu.conf:1: ShardsPerGpu: '-4' is not a whole number (expected 2..10000)");
	ck_assert_str_eq(ERR("ShardsPerGpu=1\n"), "vgpu.conf:1: ShardsPerGpu: '1' is out of range (expected 2..10000)");
	ck_assert_str_eq(ERR("ShardsPerGpu=10001\n"), "vgpu.conf:1: ShardsPerGpu: '10001' is out of range (expected 2..10000)");
	ck_assert_str_eq(ERR("ShardsPerGpu=99999999999999999999\n"),
			 "vgpu.conf:1: ShardsPerGpu: '99999999999999999999' is out of range (expected 2..10000)");
	ck_assert_str_eq(ERR("ShardsPerGpu=50%\n"), "vgpu.conf:1: ShardsPerGpu: '50%' is not a whole number (expected 2..10000)");
	ck_assert_str_eq(ERR("DefaultCores=0\n"), "vgpu.conf:1: DefaultCores: '0' is out of range (expected 1..100)");
	ck_assert_str_eq(ERR("DefaultCores=101%\n"), "vgpu.conf:1: DefaultCores: '101%' is out of range (expected 1..100)");
	ck_assert_str_eq(ERR("ShardMemory=10X\n"),
			 "vgpu.conf:1: ShardMemory: unknown unit 'X' in '10X' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)");
	ck_assert_str_eq(ERR("ShardMemory=0\n"), "vgpu.conf:1: ShardMemory: size '0' is zero");
	ck_assert_str_eq(ERR("ShardMemory=512K\n"), "vgpu.conf:1: ShardMemory: '512K' is less than the minimum of 1M");
	ck_assert_str_eq(ERR("MemoryReserve=-1G\n"), "vgpu.conf:1: MemoryReserve: negative size '-1G'");
	ck_assert_str_eq(ERR("StateDir=run/vgpu\n"), "vgpu.conf:1: StateDir: 'run/vgpu' is not an absolute path");
	ck_assert_str_eq(ERR("ShimLibrary=libvgpu-shim.so\n"),
			 "vgpu.conf:1: ShimLibrary: 'libvgpu-shim.so' is not an absolute path");
	parse_ok("MemoryReserve=0\n");
	ck_assert_uint_eq(conf.reserve_bytes, 0);
}
END_TEST

START_TEST(value_too_long_is_refused_not_cut)
{
	char text[700];
	const char *msg;

	snprintf(text, sizeof(text), "StateDir=/%0600d\n", 0);
	msg = ERR(text);
	ck_assert_ptr_nonnull(strstr(msg, "vgpu.conf:1: StateDir: value '/0000"));
	ck_assert_ptr_nonnull(strstr(msg, "...' is too long (601 bytes, at most 511)"));
	snprintf(text, sizeof(text), "StateDir=/%0510d\n", 0);
	parse_ok(text);
	ck_assert_uint_eq(strlen(conf.state_dir), 511);
	snprintf(text, sizeof(text), "GpuType=x Memory=1G SMs=1 Model=\"%096d\"\n", 0);
	ck_assert_ptr_nonnull(strstr(ERR(text), "vgpu.conf:1: Model: value '0000"));
	ck_assert_ptr_nonnull(strstr(ERR(text), "...' is too long (96 bytes, at most 95)"));
	snprintf(text, sizeof(text), "GpuType=x Memory=1G SMs=1 Model=\"%095d\"\n", 0);
	parse_ok(text);
	ck_assert_uint_eq(strlen(conf.types[0].model), 95);
}
END_TEST

START_TEST(line_and_byte_errors)
{
	static char text[4096];
	vgpu_err_t err;

	memset(text, '#', sizeof(text));
	text[0] = '\n';
	text[1024 + 1] = '\n';       /* line 2: 1024 bytes */
	ck_assert_str_eq(parse_err(text, 1024 + 2), "vgpu.conf:2: line is too long (1024 bytes, at most 1023)");
	text[1023 + 1] = '\n';       /* line 2: 1023 bytes, a comment */
	ck_assert_int_eq(vgpu_conf_parse(text, 1023 + 2, "vgpu.conf", &conf, &err), 0);
	ck_assert_str_eq(parse_err("ShardsPerGpu=100\nSta\0teDir=/x\n", 29),
			 "vgpu.conf:2: NUL byte at column 4 (a text file was expected)");
	ck_assert_str_eq(parse_err("# comment \0\n", 12), "vgpu.conf:1: NUL byte at column 11 (a text file was expected)");
	/* the length, not a NUL, ends the text */
	ck_assert_int_eq(vgpu_conf_parse("ShardsPerGpu=64junk", 15, "x.conf", &conf, &err), 0);
	ck_assert_uint_eq(conf.shards_per_gpu, 64);
	/* NULL name */
	ck_assert_int_eq(vgpu_conf_parse("Foo", 3, NULL, &conf, &err), -1);
	ck_assert_str_eq(err.msg, "vgpu.conf:1: Foo: missing '=' in 'Foo' (expected Key=Value, no spaces around '=')");
}
END_TEST

START_TEST(gpu_type_errors)
{
	ck_assert_str_eq(ERR("GpuType=h100 SMs=132\n"),
			 "vgpu.conf:1: GpuType: 'h100' has no Memory= (e.g. GpuType=h100 Memory=81559M SMs=132)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G\n"),
			 "vgpu.conf:1: GpuType: 'h100' has no SMs= (e.g. GpuType=h100 Memory=81559M SMs=132)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132\nGpuType=H100 Memory=80G SMs=132\n"),
			 "vgpu.conf:2: GpuType: duplicate type 'h100' (first on line 1)");
	ck_assert_str_eq(ERR("GpuType=1x Memory=80G SMs=132\n"), "vgpu.conf:1: GpuType: name '1x' does not start with a letter");
	ck_assert_str_eq(ERR("GpuType=h/100 Memory=80G SMs=132\n"),
			 "vgpu.conf:1: GpuType: name 'h/100' has a character other than letters, digits, '_', '.', '-'");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 Cores=0-7\n"),
			 "vgpu.conf:1: Cores: unknown GpuType key (value '0-7'; expected Memory, SMs, Model, MemoryReserve, DriverReserved or ContextMemory)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 ShardsPerGpu=10\n"),
			 "vgpu.conf:1: ShardsPerGpu: not a GpuType key (give it on a line of its own)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 GpuType=a100\n"),
			 "vgpu.conf:1: GpuType: a second type 'a100' on one line (one GpuType per line)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 memory=40G\n"),
			 "vgpu.conf:1: Memory: given twice on this GpuType line ('40G')");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=0\n"), "vgpu.conf:1: SMs: '0' is out of range (expected 1..1024)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=1025\n"), "vgpu.conf:1: SMs: '1025' is out of range (expected 1..1024)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80Q SMs=132\n"),
			 "vgpu.conf:1: Memory: unknown unit 'Q' in '80Q' (expected B, K, M, G, T, P, KiB..PiB or KB..PB)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=1000K SMs=132\n"),
			 "vgpu.conf:1: Memory: '1000K' is less than the minimum of 1M");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 Model=\"NVIDIA H100\"\n"
			     "GpuType=h100b Memory=80G SMs=132 Model=\"nvidia h100\"\n"),
			 "vgpu.conf:2: Model: 'nvidia h100' already names GpuType 'h100' (line 1)");
	ck_assert_str_eq(ERR("GpuType=h100 Memory=80G SMs=132 MemoryReserve=x\n"),
			 "vgpu.conf:1: MemoryReserve: 'x' is not a size (expected a number with an optional unit, e.g. 10G)");
}
END_TEST

START_TEST(too_many_types)
{
	char text[64 * 40];
	size_t o = 0;
	int i;

	for (i = 0; i < VGPU_CONF_TYPES_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "GpuType=t%d Memory=1G SMs=1\n", i);
	parse_ok(text);
	ck_assert_uint_eq(conf.ntypes, VGPU_CONF_TYPES_MAX);
	ck_assert_str_eq(conf.types[31].name, "t31");
	snprintf(text + o, sizeof(text) - o, "GpuType=t%d Memory=1G SMs=1\n", i);
	ck_assert_str_eq(ERR(text), "vgpu.conf:33: GpuType: too many GPU types at 't32' (at most 32)");
}
END_TEST

START_TEST(checks_after_the_last_line)
{
	/* the global reserve, set after the type, leaves nothing */
	ck_assert_str_eq(ERR("GpuType=small Memory=1G SMs=10\nMemoryReserve=1G\n"),
			 "vgpu.conf:1: GpuType: 'small': MemoryReserve 1 GiB (global) leaves nothing of its Memory 1 GiB");
	ck_assert_str_eq(ERR("GpuType=small Memory=1G SMs=10 MemoryReserve=2G\n"),
			 "vgpu.conf:1: GpuType: 'small': MemoryReserve 2 GiB leaves nothing of its Memory 1 GiB");
	/* the type's own reserve wins over the global one */
	parse_ok("GpuType=small Memory=1G SMs=10 MemoryReserve=0\nMemoryReserve=1G\n");
	/* memory mode: room for one shard */
	ck_assert_str_eq(ERR("# x\nGpuType=l4 Memory=23034M SMs=58 MemoryReserve=22600M\n"
			     "AccountingMode=memory\n"),
			 "vgpu.conf:2: GpuType: 'l4': usable memory 434 MiB is less than one shard (ShardMemory 1 GiB)");
	parse_ok("GpuType=l4 Memory=23034M SMs=58 MemoryReserve=22600M\nAccountingMode=memory\nShardMemory=256M\n");
	ck_assert_str_eq(ERR("GpuType=big Memory=2T SMs=10\nAccountingMode=memory\nShardMemory=1M\n"),
			 "vgpu.conf:1: GpuType: 'big': more than 1000000 shards of ShardMemory 1 MiB (raise ShardMemory)");
	/* strict: one byte per shard at least */
	ck_assert_str_eq(ERR("ShardsPerGpu=10000\nGpuType=tiny Memory=1M SMs=1 MemoryReserve=1048000\n"),
			 "vgpu.conf:2: GpuType: 'tiny': usable memory of 576 bytes cannot hold 10000 shards");
}
END_TEST

static char tmpdir[] = "/tmp/test_conf.XXXXXX";

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

START_TEST(load)
{
	vgpu_err_t err;
	const char *path;
	char *big, msg[600];

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	path = write_file("ok.conf", "ShardsPerGpu=64\nGpuType=h100 Memory=81559M SMs=132\n", 50);
	ck_assert_int_eq(vgpu_conf_load(path, &conf, &err), 0);
	ck_assert_uint_eq(conf.shards_per_gpu, 64);
	ck_assert_uint_eq(conf.ntypes, 1);

	path = write_file("bad.conf", "ShardsPerGpu=64\nShardsPerGpu=65\n", 32);
	ck_assert_int_eq(vgpu_conf_load(path, &conf, &err), -1);
	snprintf(msg, sizeof(msg), "%s:2: ShardsPerGpu: duplicate setting '65' (first on line 1)", path);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(conf.shards_per_gpu, 120);

	/* exactly 1 MiB of comment lines is read; one byte more is refused */
	big = malloc(VGPU_CONF_FILE_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', VGPU_CONF_FILE_MAX + 1);
	for (size_t i = 512; i < VGPU_CONF_FILE_MAX + 1; i += 512)
		big[i] = '\n';
	path = write_file("big.conf", big, VGPU_CONF_FILE_MAX);
	ck_assert_int_eq(vgpu_conf_load(path, &conf, &err), 0);
	path = write_file("big.conf", big, VGPU_CONF_FILE_MAX + 1);
	ck_assert_int_eq(vgpu_conf_load(path, &conf, &err), -1);
	snprintf(msg, sizeof(msg), "%s: file is too large (more than 1048576 bytes)", path);
	ck_assert_str_eq(err.msg, msg);
	unlink(path);
	free(big);

	snprintf(msg, sizeof(msg), "%s/missing.conf", tmpdir);
	ck_assert_int_eq(vgpu_conf_load(msg, &conf, &err), -1);
	ck_assert_str_eq(strstr(err.msg, ": cannot open: "), ": cannot open: No such file or directory");
	ck_assert_int_eq(strncmp(err.msg, msg, strlen(msg)), 0);

	ck_assert_int_eq(vgpu_conf_load(tmpdir, &conf, &err), -1);
	snprintf(msg, sizeof(msg), "%s: cannot read: %s", tmpdir, strerror(EISDIR));
	ck_assert_str_eq(err.msg, msg);

	unlink(write_file("ok.conf", "", 0));
	unlink(write_file("bad.conf", "", 0));
	rmdir(tmpdir);
}
END_TEST

START_TEST(shipped_example_parses)
{
	vgpu_err_t err;
	const vgpu_gpu_type_t *t;

	ck_assert_msg(vgpu_conf_load(vgpu_test_srcpath("etc/vgpu.conf.example"), &conf, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(conf.mode, VGPU_MODE_STRICT);
	ck_assert_uint_eq(conf.shards_per_gpu, 120);
	ck_assert_uint_eq(conf.reserve_bytes, 512 * MiB);
	ck_assert_uint_eq(conf.ntypes, 3);
	t = vgpu_conf_find_type(&conf, "h100");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->model, "NVIDIA H100 80GB HBM3");
	ck_assert_uint_eq(vgpu_conf_type_reserve(&conf, t), GiB);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, key_errors);
	tcase_add_test(tc, value_errors);
	tcase_add_test(tc, value_too_long_is_refused_not_cut);
	tcase_add_test(tc, line_and_byte_errors);
	tcase_add_test(tc, gpu_type_errors);
	tcase_add_test(tc, too_many_types);
	tcase_add_test(tc, checks_after_the_last_line);
	tcase_add_test(tc, load);
	tcase_add_test(tc, shipped_example_parses);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
