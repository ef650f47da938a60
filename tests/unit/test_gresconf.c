/* Unit tests for vgpu_gresconf: the Links= of a node's GPUs as gres.conf
 * gives them (the lines `vgpu conf` writes, hand-written ones, and the
 * mistakes a site makes), each failure with its file:line. */
#include <string.h>

#include "vgpu_gresconf.h"
#include "vgpu_test.h"

static vgpu_gresconf_links_t links;

static void read_ok(const char *text, const char *node)
{
	vgpu_err_t err = { "" };

	ck_assert_msg(vgpu_gresconf_node_links(text, strlen(text), "gres.conf", node, &links,
					       &err) == 0, "%s", err.msg);
}

static void read_bad(const char *text, const char *want)
{
	vgpu_err_t err = { "" };

	ck_assert_int_eq(vgpu_gresconf_node_links(text, strlen(text), "gres.conf", "n1", &links,
						  &err), -1);
	ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
	ck_assert_uint_eq(links.ngpus, 0);
	ck_assert_int_eq(links.known, 0);
}

static void unknown(const char *text, const char *node, const char *want)
{
	read_ok(text, node);
	ck_assert_int_eq(links.known, 0);
	ck_assert_msg(strstr(links.note, want) != NULL, "'%s' lacks '%s'", links.note, want);
}

/* What `vgpu conf` writes for a 4-GPU node with bridged pairs 0-1, 2-3. */
static const char pairs[] =
	"AutoDetect=off\n"
	"NodeName=n1 Name=gpu Type=a100 File=/dev/nvidia0 Links=-1,12,0,0\n"
	"NodeName=n1 Name=gpu Type=a100 File=/dev/nvidia1 Links=12,-1,0,0\n"
	"NodeName=n1 Name=gpu Type=a100 File=/dev/nvidia2 Links=0,0,-1,12\n"
	"NodeName=n1 Name=gpu Type=a100 File=/dev/nvidia3 Links=0,0,12,-1\n"
	"NodeName=n1 Name=shard Count=100 File=/dev/nvidia0\n"
	"NodeName=n2 Name=gpu Type=h100 File=/dev/nvidia0\n"
	"NodeName=n2 Name=gpu Type=h100 File=/dev/nvidia1\n";

START_TEST(vgpu_conf_output)
{
	read_ok(pairs, "n1");
	ck_assert_int_eq(links.known, 1);
	ck_assert_str_eq(links.note, "");
	ck_assert_uint_eq(links.ngpus, 4);
	ck_assert_int_eq(links.links[0][1], 12);
	ck_assert_int_eq(links.links[1][0], 12);
	ck_assert_int_eq(links.links[0][2], 0);
	ck_assert_int_eq(links.links[2][3], 12);
	ck_assert_int_eq(links.links[3][3], -1);
	/* n2's lines have no Links=: known is 0, the note names the line. */
	unknown(pairs, "n2", "gres.conf:7: GPU line without Links=");
	ck_assert_uint_eq(links.ngpus, 2);
	/* A node the file does not list. */
	unknown(pairs, "n9", "no Name=gpu line for node n9");
}
END_TEST

/* The GPU's index is the place of its -1, whatever the order of the lines
 * (slurmd sorts by it); hostlists, keys in any case, comments,
 * continuation lines, records for every node. */
START_TEST(order_hostlist_syntax)
{
	read_ok("# two GPUs on every node, lines in another order\n"
		"NODENAME=n[1-3] name=GPU file=/dev/nvidia1 links=4,-1   # second\n"
		"NodeName=n[1-3] Name=gpu \\\n"
		"   File=/dev/nvidia0 Links=-1,4\n", "n2");
	ck_assert_int_eq(links.known, 1);
	ck_assert_uint_eq(links.ngpus, 2);
	ck_assert_int_eq(links.links[0][0], -1);
	ck_assert_int_eq(links.links[0][1], 4);
	ck_assert_int_eq(links.links[1][0], 4);
	/* Without NodeName=: for whichever node reads the file. */
	read_ok("Name=gpu File=/dev/nvidia0 Links=-1,2\r\nName=gpu File=/dev/nvidia1 Links=2,-1", "x");
	ck_assert_int_eq(links.known, 1);
	ck_assert_int_eq(links.links[1][0], 2);
	/* Another node's lines do not count. */
	read_ok("NodeName=n1 Name=gpu File=/dev/nvidia0 Links=-1,1\n"
		"NodeName=n1 Name=gpu File=/dev/nvidia1 Links=1,-1\n"
		"NodeName=n2 Name=gpu File=/dev/nvidia[0-2]\n", "n1");
	ck_assert_int_eq(links.known, 1);
	ck_assert_uint_eq(links.ngpus, 2);
}
END_TEST

/* Lines Slurm accepts that do not give every GPU its links. */
START_TEST(links_not_known)
{
	/* A File range is several GPUs: Links= cannot tell them apart. */
	unknown("Name=gpu File=/dev/nvidia[0-1] Links=-1,12\n", "n1",
		"gres.conf:1: Links= on a line of 2 GPUs");
	/* Too few entries for the node. */
	unknown("Name=gpu File=/dev/nvidia0 Links=-1,12\n"
		"Name=gpu File=/dev/nvidia1 Links=12,-1\n"
		"Name=gpu File=/dev/nvidia2 Links=0,0,-1\n", "n1",
		"the Links= of GPU 0 has 2 entries, the node has 3 GPUs");
	/* No -1, or two. */
	unknown("Name=gpu File=/dev/nvidia0 Links=0,12\n", "n1",
		"gres.conf:1: Links=0,12 has 0 entries of -1");
	unknown("Name=gpu File=/dev/nvidia0 Links=-1,-1\n", "n1", "has 2 entries of -1");
	/* Two GPUs claiming the same place. */
	unknown("Name=gpu File=/dev/nvidia0 Links=-1,1\nName=gpu File=/dev/nvidia1 Links=-1,1\n",
		"n1", "gres.conf:2: Links=-1,1: a second GPU with -1 in place 0");
	/* AutoDetect: Slurm asks the driver; the file is not the whole truth. */
	unknown("AutoDetect=nvml\nName=gpu Count=2\n", "n1",
		"gres.conf:1: AutoDetect: Slurm takes the links from the driver");
	/* ... but AutoDetect of another node does not matter. */
	unknown("NodeName=n2 AutoDetect=nvml\nName=gpu File=/dev/nvidia0\n", "n1",
		"gres.conf:2: GPU line without Links=");
	/* Count= without File=: so many GPUs, no links. */
	unknown("Name=gpu Type=a Count=3\n", "n1", "GPU line without Links=");
	ck_assert_uint_eq(links.ngpus, 3);
}
END_TEST

START_TEST(malformed)
{
	read_bad("Name=gpu File=/dev/nvidia0\nbogus\n", "gres.conf:2: 'bogus': expected KEY=value");
	read_bad("Name=gpu =x\n", "gres.conf:1: '=x': expected KEY=value");
	read_bad("Include /etc/slurm/gres.d/n1.conf\n", "gres.conf:1: Include is not followed");
	read_bad("Name=gpu File=/dev/nvidia0 Links=-1,x\n",
		 "gres.conf:1: Links=-1,x: expected comma-separated link counts");
	read_bad("Name=gpu File=/dev/nvidia0 Links=-1,,2\n", "gres.conf:1: Links=-1,,2");
	read_bad("Name=gpu File=/dev/nvidia0 Links=-3,1\n", "gres.conf:1: Links=-3,1");
	read_bad("\n\nNodeName=n[3-1] Name=gpu\n", "gres.conf:3: NodeName");
	read_bad("Name=gpu Count=1x\n", "gres.conf:1: Count=1x");
	read_bad("Name=gpu Count=2k\n", "gres.conf:1: Count=2k: more than 64 GPUs");
	read_bad("Name=gpu File=/dev/nvidia[0-99]\n", "gres.conf:1: File=/dev/nvidia[0-99] names more than 64");
	read_bad("Name=gpu Count=40\nName=gpu Count=40\n", "gres.conf:2: node n1 has more than 64 GPUs");
}
END_TEST

/* Bytes a parser must survive: NULs, no final newline, an overlong line. */
START_TEST(odd_bytes)
{
	static char big[70000];
	vgpu_err_t err = { "" };
	const char nul[] = "Name=gpu\0File=/dev/nvidia0 Links=-1";

	ck_assert_int_eq(vgpu_gresconf_node_links(nul, sizeof(nul) - 1, "g", "n1", &links, &err), 0);
	ck_assert_int_eq(links.known, 1);
	ck_assert_uint_eq(links.ngpus, 1);
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(vgpu_gresconf_node_links(big, sizeof(big), "g", "n1", &links, &err), -1);
	ck_assert_msg(strstr(err.msg, "g:1: line longer than") != NULL, "%s", err.msg);
	read_ok("", "n1");
	ck_assert_int_eq(links.known, 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("gresconf");
	TCase *tc = tcase_create("links");

	tcase_add_test(tc, vgpu_conf_output);
	tcase_add_test(tc, order_hostlist_syntax);
	tcase_add_test(tc, links_not_known);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, odd_bytes);
	suite_add_tcase(s, tc);
	return s;
}

VGPU_TEST_MAIN(make_suite)
