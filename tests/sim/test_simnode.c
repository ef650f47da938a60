/*
 * Unit tests of the simulator's internals: the node-JSON parser (values and
 * the messages naming a bad field), PCI bus ids, CUDA_VISIBLE_DEVICES, and
 * the shared device state (charging, limits, reaping a dead process, a file
 * of another layout).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_env.h"
#include "sim_node.h"
#include "sim_state.h"
#include "vgpu_test.h"

#define MIB (1024ull * 1024ull)

static const char good[] =
	"{ \"version\": 1, \"hostname\": \"n1\", \"driver_version\": \"580.65.06\", \"cuda_version\": 13000,\n"
	"  \"nvswitches\": [ { \"pci_bus_id\": \"0000:05:00.0\", \"pci_device_id\": \"0x22a3\" } ],\n"
	"  \"gpus\": [\n"
	"   { \"uuid\": \"GPU-00000000-0000-0000-0000-0000000000a0\", \"pci_bus_id\": \"00000000:18:00.0\",\n"
	"     \"pci_device_id\": \"0x2330\", \"name\": \"NVIDIA H100 80GB HBM3\", \"memory_bytes\": 85520809984,\n"
	"     \"reserved_bytes\": 492830720, \"sms\": 132, \"compute_capability\": \"9.0\", \"minor\": 4,\n"
	"     \"nvlink\": { \"links\": 18, \"peers\": [ { \"gpu\": 1, \"links\": 2 }, { \"nvswitch\": 0, \"links\": 3 } ] },\n"
	"     \"fabric\": { \"cluster_uuid\": \"00112233-4455-6677-8899-aabbccddeeff\", \"clique_id\": 5, \"state\": \"completed\" } },\n"
	"   { \"uuid\": \"GPU-00000000-0000-0000-0000-0000000000a1\", \"pci_bus_id\": \"0000:2a:00.0\",\n"
	"     \"name\": \"X\", \"memory_bytes\": 1073741824, \"context_bytes\": 0, \"sms\": 1, \"compute_capability\": \"8.9\",\n"
	"     \"mig\": true, \"nvlink\": { \"links\": 4, \"peers\": [ { \"gpu\": 0, \"links\": 2 } ] } } ] }\n";

static int parse(const char *text, struct vgpu_sim_node *node, char *err, size_t len)
{
	return vgpu_sim_node_parse(text, strlen(text), "t.json", node, err, len);
}

START_TEST(parses_a_node)
{
	static struct vgpu_sim_node n;
	char err[512] = "";

	ck_assert_msg(parse(good, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(n.hostname, "n1");
	ck_assert_str_eq(n.nvml_version, "13.580.65.06");
	ck_assert_int_eq(n.cuda_version, 13000);
	ck_assert(n.pcie_p2p);
	ck_assert_int_eq(n.ngpus, 2);
	ck_assert_int_eq(n.nswitches, 1);
	ck_assert_uint_eq(n.switches[0].pci_device_id, 0x22a3);
	ck_assert_uint_eq(n.gpus[0].memory_bytes, 85520809984ull);
	ck_assert_uint_eq(n.gpus[0].reserved_bytes, 492830720ull);
	ck_assert_uint_eq(n.gpus[0].context_bytes, 300 * MIB);
	ck_assert_uint_eq(n.gpus[1].context_bytes, 0);
	ck_assert_int_eq(n.gpus[0].sms, 132);
	ck_assert_int_eq(n.gpus[1].cc_major, 8);
	ck_assert_int_eq(n.gpus[1].cc_minor, 9);
	ck_assert_uint_eq(n.gpus[0].minor, 4);
	ck_assert_uint_eq(n.gpus[1].minor, 1); /* defaults to the index */
	ck_assert_uint_eq(n.gpus[1].pci.bus, 0x2a);
	ck_assert_uint_eq(n.gpus[0].uuid_bytes[15], 0xa0);
	ck_assert(n.gpus[1].mig_enabled && n.gpus[1].mig_capable);
	ck_assert(!n.gpus[0].mig_capable);
	ck_assert_int_eq(n.gpus[0].nvlinks, 18);
	ck_assert_int_eq(n.gpus[0].links[1].kind, VGPU_SIM_LINK_GPU);
	ck_assert_int_eq(n.gpus[0].links[1].target, 1);
	ck_assert_int_eq(n.gpus[0].links[4].kind, VGPU_SIM_LINK_SWITCH);
	ck_assert_int_eq(n.gpus[0].links[5].kind, VGPU_SIM_LINK_NONE);
	ck_assert(n.gpus[0].fabric.present);
	ck_assert_uint_eq(n.gpus[0].fabric.clique_id, 5);
	ck_assert_uint_eq(n.gpus[0].fabric.state, 3);
	ck_assert_uint_eq(n.gpus[0].fabric.cluster_uuid[15], 0xff);
	ck_assert(!n.gpus[1].fabric.present);
}
END_TEST

/* Replace the first occurrence of from in good by to, parse, return the message. */
static const char *bad(const char *from, const char *to)
{
	static char text[4096], err[512];
	static struct vgpu_sim_node n;
	const char *p = strstr(good, from);

	ck_assert_msg(p != NULL, "%s not in the test node", from);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	err[0] = '\0';
	ck_assert_int_eq(parse(text, &n, err, sizeof(err)), -1);
	return err;
}

START_TEST(errors_name_the_field)
{
	ck_assert_str_eq(bad("\"version\": 1", "\"version\": 2"),
			 "t.json: version: unsupported version 2 (this simulator reads 1)");
	ck_assert_str_eq(bad("\"version\": 1", "\"version\": \"1\""),
			 "t.json: version: expected an integer from 0 to 2147483647");
	ck_assert_str_eq(bad("\"hostname\": \"n1\", ", ""), "t.json: hostname: missing");
	ck_assert_str_eq(bad("\"hostname\"", "\"hostnme\""), "t.json: hostnme: unknown field");
	ck_assert_str_eq(bad("\"cuda_version\": 13000", "\"cuda_version\": 13000, \"colour\": 1"),
			 "t.json: colour: unknown field");
	ck_assert_str_eq(bad("\"sms\": 132", "\"sms\": 0"), "t.json: gpus[0].sms: expected an integer from 1 to 1024");
	ck_assert_str_eq(bad("\"sms\": 132", "\"sms\": 132, \"smz\": 1"), "t.json: gpus[0].smz: unknown field");
	ck_assert_str_eq(bad("GPU-00000000-0000-0000-0000-0000000000a1", "GPU-00000000-0000-0000-0000-0000000000A1"),
			 "t.json: gpus[1].uuid: 'GPU-00000000-0000-0000-0000-0000000000A1' is not GPU- followed by "
			 "8-4-4-4-12 lowercase hex digits");
	ck_assert_str_eq(bad("0000:2a:00.0", "0000:2a"), "t.json: gpus[1].pci_bus_id: '0000:2a' is not a PCI bus id "
							  "like \"00000000:18:00.0\"");
	ck_assert_str_eq(bad("0000:2a:00.0", "00000000:18:00.0"),
			 "t.json: gpus[1]: pci_bus_id not above gpus[0]'s: list GPUs in PCI order");
	ck_assert_str_eq(bad("\"compute_capability\": \"9.0\"", "\"compute_capability\": \"9\""),
			 "t.json: gpus[0].compute_capability: '9' is not MAJOR.MINOR like \"9.0\"");
	ck_assert_str_eq(bad("{ \"gpu\": 0, \"links\": 2 }", "{ \"gpu\": 0, \"links\": 1 }"),
			 "t.json: gpus[0].nvlink: 2 links to gpus[1], which lists 1 back");
	ck_assert_str_eq(bad("{ \"nvswitch\": 0, \"links\": 3 }", "{ \"nvswitch\": 0, \"links\": 17 }"),
			 "t.json: gpus[0].nvlink.peers[1]: 19 links in all, but nvlink.links is 18");
	ck_assert_str_eq(bad("{ \"nvswitch\": 0, \"links\": 3 }", "{ \"nvswitch\": 1, \"links\": 3 }"),
			 "t.json: gpus[0]: nvlink link 2: no nvswitches[1]");
	ck_assert_str_eq(bad("{ \"gpu\": 0, \"links\": 2 }", "{ \"gpu\": 0, \"nvswitch\": 0, \"links\": 2 }"),
			 "t.json: gpus[1].nvlink.peers[0]: give exactly one of \"gpu\" or \"nvswitch\"");
	ck_assert_str_eq(bad("\"state\": \"completed\"", "\"state\": \"done\""),
			 "t.json: gpus[0].fabric.state: 'done' is not one of not_supported, not_started, in_progress, "
			 "completed");
	ck_assert_str_eq(bad("\"reserved_bytes\": 492830720", "\"reserved_bytes\": 85520809984"),
			 "t.json: gpus[0].reserved_bytes: expected an integer from 0 to 85520809983");
	ck_assert_str_eq(bad("\"mig\": true", "\"mig\": 1"), "t.json: gpus[1].mig: expected true or false");
	ck_assert_str_eq(bad("\"name\": \"X\"", "\"name\": \"\""),
			 "t.json: gpus[1].name: expected a string of 1 to 95 characters");
	{
		char want[64];

		snprintf(want, sizeof(want), "t.json: trailing data at byte %zu", strlen(good));
		ck_assert_str_eq(bad("} } ] }\n", "} } ] } x\n"), want);
	}
}
END_TEST

START_TEST(rejects_broken_json)
{
	static struct vgpu_sim_node n;
	char err[512];

	ck_assert_int_eq(parse("{ \"version\": 1,", &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.json: invalid JSON near byte 15: unexpected end of input");
	ck_assert_int_eq(parse("[]", &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.json: expected a JSON object at the top");
	ck_assert_int_eq(parse("{ \"version\": 1, \"hostname\": \"a b\" }", &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.json: hostname: 'a b' has a character other than [A-Za-z0-9._-]");
	ck_assert_int_eq(vgpu_sim_node_load("/nonexistent/n.json", &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/n.json: No such file or directory");
}
END_TEST

START_TEST(pci_ids)
{
	struct vgpu_sim_pci p;
	char buf[32];

	ck_assert_int_eq(vgpu_sim_pci_parse("00000000:3B:00.0", &p), 0);
	ck_assert_str_eq(vgpu_sim_pci_format(&p, false, buf, sizeof(buf)), "00000000:3B:00.0");
	ck_assert_str_eq(vgpu_sim_pci_format(&p, true, buf, sizeof(buf)), "0000:3B:00.0");
	ck_assert_int_eq(vgpu_sim_pci_parse("3b:1f.7", &p), 0);
	ck_assert_uint_eq(p.bus, 0x3b);
	ck_assert_uint_eq(p.device, 0x1f);
	ck_assert_uint_eq(p.function, 7);
	ck_assert_int_eq(vgpu_sim_pci_parse("0001:3b:00", &p), 0);
	ck_assert_uint_eq(p.domain, 1);
	ck_assert_int_eq(vgpu_sim_pci_parse("0000:3b:20.0", &p), -1); /* device > 31 */
	ck_assert_int_eq(vgpu_sim_pci_parse("0000:3b:00.8", &p), -1);
	ck_assert_int_eq(vgpu_sim_pci_parse("0000:3b:00.0x", &p), -1);
	ck_assert_int_eq(vgpu_sim_pci_parse("100000000:3b:00.0", &p), -1);
	ck_assert_int_eq(vgpu_sim_pci_parse("3b", &p), -1);
}
END_TEST

START_TEST(visible_devices)
{
	static struct vgpu_sim_node n;
	char err[512];
	int map[16];

	ck_assert_int_eq(parse(good, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(vgpu_sim_visible_devices(NULL, &n, map, 16), 2);
	ck_assert_int_eq(vgpu_sim_visible_devices("1,0", &n, map, 16), 2);
	ck_assert_int_eq(map[0], 1);
	ck_assert_int_eq(map[1], 0);
	ck_assert_int_eq(vgpu_sim_visible_devices("GPU-00000000-0000-0000-0000-0000000000a1", &n, map, 16), 1);
	ck_assert_int_eq(map[0], 1);
	ck_assert_int_eq(vgpu_sim_visible_devices("gpu-00000000-0000-0000-0000-0000000000A0,1", &n, map, 16), 2);
	ck_assert_int_eq(map[0], 0);
	ck_assert_int_eq(vgpu_sim_visible_devices("GPU-0000", &n, map, 16), 0); /* ambiguous */
	ck_assert_int_eq(vgpu_sim_visible_devices("1,2,0", &n, map, 16), 1);
	ck_assert_int_eq(vgpu_sim_visible_devices("1,,0", &n, map, 16), 1);
	ck_assert_int_eq(vgpu_sim_visible_devices("1,1", &n, map, 16), 1);
	ck_assert_int_eq(vgpu_sim_visible_devices("", &n, map, 16), 0);
	ck_assert_int_eq(vgpu_sim_visible_devices("0x1", &n, map, 16), 0);
	ck_assert_int_eq(vgpu_sim_visible_devices("0,1", &n, map, 1), 1);
}
END_TEST

/* A state directory under a fresh scratch directory. */
static char *scratch(void)
{
	static char dir[256];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/vgpu-simnode.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

START_TEST(state_charges_and_reaps)
{
	static struct vgpu_sim_node n;
	struct vgpu_sim_state *st = NULL, *st2 = NULL;
	struct vgpu_sim_proc_info procs[4];
	char err[512], dir[300], cmd[400];
	uint64_t used = 1;
	int np = -1, status, fds[2];
	pid_t pid;

	ck_assert_int_eq(parse(good, &n, err, sizeof(err)), 0);
	snprintf(dir, sizeof(dir), "%s/state", scratch());
	ck_assert_msg(vgpu_sim_state_open(dir, &n.gpus[1], &st, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(np, 0);
	ck_assert_int_eq(vgpu_sim_state_charge(st, 1000 * MIB, 1), 0);
	ck_assert_int_eq(vgpu_sim_state_charge(st, 24 * MIB + 1, 0), 1); /* 1 GiB in all */
	ck_assert_int_eq(vgpu_sim_state_charge(st, 24 * MIB, 0), 0);
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0);
	ck_assert_uint_eq(used, 1024 * MIB);
	ck_assert_int_eq(np, 1);
	ck_assert_int_eq(procs[0].pid, getpid());
	ck_assert_uint_eq(procs[0].contexts, 1);
	vgpu_sim_state_uncharge(st, 1024 * MIB, 1);
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0);
	ck_assert_int_eq(np, 0);

	/* a child charges and dies without giving back */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		char c = vgpu_sim_state_charge(st, 300 * MIB, 1) == 0 ? 'y' : 'n';

		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	{
		char c = 0;

		ck_assert_int_eq(read(fds[0], &c, 1), 1);
		ck_assert_int_eq(c, 'y');
	}
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0);
	ck_assert_uint_eq(used, 300 * MIB);
	ck_assert_int_eq(procs[0].pid, pid);
	kill(pid, SIGKILL);
	{
		siginfo_t info;

		/* wait until it is a zombie, without reaping it */
		ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	}
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0); /* a zombie has no memory */
	ck_assert_uint_eq(used, 0);
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);

	/* a child killed while holding the lock leaves it recoverable */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		char c = vgpu_sim_state_charge(st, 50 * MIB, 1) == 0 && vgpu_sim_state_test_hold(st) == 0 ? 'y' : 'n';

		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	{
		char c = 0;

		ck_assert_int_eq(read(fds[0], &c, 1), 1);
		ck_assert_int_eq(c, 'y');
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0); /* EOWNERDEAD, recovered */
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(vgpu_sim_state_charge(st, 5 * MIB, 0), 0);
	vgpu_sim_state_uncharge(st, 5 * MIB, 0);

	/* a second handle on the same file sees the same table */
	ck_assert_int_eq(vgpu_sim_state_open(dir, &n.gpus[1], &st2, err, sizeof(err)), 0);
	ck_assert_int_eq(vgpu_sim_state_charge(st2, 10 * MIB, 0), 0);
	ck_assert_int_eq(vgpu_sim_state_query(st, &used, procs, 4, &np), 0);
	ck_assert_uint_eq(used, 10 * MIB);
	vgpu_sim_state_close(st2);
	vgpu_sim_state_close(st);

	/* another GPU's description on this file is refused */
	n.gpus[1].memory_bytes *= 2;
	ck_assert_int_eq(vgpu_sim_state_open(dir, &n.gpus[1], &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "made for another GPU") != NULL, "%s", err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(state_file_checks)
{
	static struct vgpu_sim_node n;
	struct vgpu_sim_state *st = NULL;
	char err[512], dir[300], path[400];
	FILE *f;

	ck_assert_int_eq(parse(good, &n, err, sizeof(err)), 0);
	snprintf(dir, sizeof(dir), "%s", scratch());
	snprintf(path, sizeof(path), "%s/%s.state", dir, n.gpus[0].uuid);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a state file", f);
	fclose(f);
	ck_assert_int_eq(vgpu_sim_state_open(dir, &n.gpus[0], &st, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "size 16, expected") != NULL, "%s", err);
	unlink(path);
	ck_assert_int_eq(vgpu_sim_state_open(dir, &n.gpus[0], &st, err, sizeof(err)), 0);
	vgpu_sim_state_close(st);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(env_finds_the_node)
{
	static struct vgpu_sim_env env;
	char err[512], dir[300], path[400];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", scratch());
	snprintf(path, sizeof(path), "%s/n1.json", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(good, f);
	fclose(f);
	unsetenv("VGPU_SIM_NODE");
	unsetenv("VGPU_SIM_STATE");
	unsetenv("SLURMD_NODENAME");
	setenv("VGPU_SIM_DIR", dir, 1);
	ck_assert_int_eq(vgpu_sim_env_load(&env, err, sizeof(err)), 1);
	setenv("SLURMD_NODENAME", "n1", 1);
	ck_assert_msg(vgpu_sim_env_load(&env, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(env.node_path, path);
	snprintf(path, sizeof(path), "%s/state-n1", dir);
	ck_assert_str_eq(env.state_dir, path);
	setenv("VGPU_SIM_STATE", "/x/y", 1);
	ck_assert_int_eq(vgpu_sim_env_load(&env, err, sizeof(err)), 0);
	ck_assert_str_eq(env.state_dir, "/x/y");
	setenv("SLURMD_NODENAME", "n2", 1);
	ck_assert_int_eq(vgpu_sim_env_load(&env, err, sizeof(err)), -1);
	snprintf(path, sizeof(path), "%s/n2.json: No such file or directory", dir);
	ck_assert_str_eq(err, path);
	snprintf(path, sizeof(path), "%s/n1.json", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("simnode");
	TCase *tc = tcase_create("parse");
	TCase *ts = tcase_create("state");

	tcase_add_test(tc, parses_a_node);
	tcase_add_test(tc, errors_name_the_field);
	tcase_add_test(tc, rejects_broken_json);
	tcase_add_test(tc, pci_ids);
	tcase_add_test(tc, visible_devices);
	tcase_add_test(ts, state_charges_and_reaps);
	tcase_add_test(ts, state_file_checks);
	tcase_add_test(ts, env_finds_the_node);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ts);
	return s;
}

VGPU_TEST_MAIN(make_suite)
