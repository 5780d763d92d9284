// SPDX-License-Identifier: BSD-3-Clause
/*
 * The harness itself, in short runs: each workload ends well, its JSON
 * parses (python3's json module) and its plot is written; each receive
 * and send loop, in count mode (the instruction-counting child without
 * valgrind), moves exactly the datagrams it was given. No test asserts a
 * speed.
 */
#define TOOL_BIN_VAR "HSK_BENCH_BIN"
#include "tool_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define RUN_TIMEOUT 240.0 /* s: a whole short workload */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define COUNT "200"

static void need_root(void)
{
	if (geteuid())
		cr_skip_test("needs root: network namespaces and XDP");
}

/* A fresh directory for one run's JSON and plots. */
static void make_dir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/hsk-bench-smoke-XXXXXX", tmp ? tmp : P_tmpdir);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static void remove_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* python3's json module reads @path, and @check (an expression of `d`,
 * the document) holds. */
static void assert_json(const char *path, const char *check)
{
	const char *argv[] = { "python3",
			       "-c",
			       "import json, sys\n"
			       "d = json.load(open(sys.argv[1]))\n"
			       "sys.exit(0 if eval(sys.argv[2]) else 3)\n",
			       path,
			       check,
			       NULL };
	pid_t pid;
	int status;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s: not valid JSON, or not %s (status 0x%x)", path, check,
		  status);
}

static void assert_png(const char *dir, const char *name)
{
	static const unsigned char magic[8] = { 0x89, 'P',  'N',  'G',
						'\r', '\n', 0x1a, '\n' };
	unsigned char head[8];
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	cr_assert_arr_eq(head, magic, sizeof(magic), "%s is not a PNG", path);
}

/* Run the bench with @args (NULL-terminated, after argv[0]); expect
 * exit 0. */
static void run_bench(const char **args, const char *what)
{
	const char *argv[32] = { NULL };
	struct child ch;
	unsigned int i;

	for (i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	child_start(&ch, false, argv);
	child_expect_exit(&ch, RUN_TIMEOUT, 0, what);
	child_close(&ch);
}

/* A workload's short run, with its JSON checked and its plot there;
 * @extra: more options, NULL-terminated. */
static void workload_smoke_with(const char *workload, const char *check,
				const char *png, const char *const *extra)
{
	char dir[512], json[600];
	const char *args[16] = { "--workload", workload, "--duration", "0.2",
				 "--reps",     "1",	 "--json",     json,
				 "--count",    COUNT };
	unsigned int n = 10;

	for (; *extra && n + 1 < ARRAY_SIZE(args); extra++)
		args[n++] = *extra;
	need_root();
	make_dir(dir, sizeof(dir));
	snprintf(json, sizeof(json), "%s/bench.json", dir);
	run_bench(args, workload);
	assert_json(json, check);
	assert_png(dir, png);
	remove_dir(dir);
}

static void workload_smoke(const char *workload, const char *check,
			   const char *png, const char *extra)
{
	const char *const more[] = { extra, NULL };

	workload_smoke_with(workload, check, png, more);
}

Test(workload, receive_writes_json_and_plot, .timeout = RUN_TIMEOUT)
{
	workload_smoke("receive",
		       "all(r['ok'] and r['runs'][0]['rx_packets'] > 0 "
		       "for r in d['receive']['results'])",
		       "receive-pps.png", NULL);
}

/* hotsock on its dpdk backend (net_af_xdp on hsk0) and raw rte_eth on
 * the same vdev, each in a child of its own per run, then the raw xsk and
 * kernel receivers on a bare hsk0 again. */
Test(workload, receive_on_dpdk_writes_json_and_plot, .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_DPDK") || !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("the dpdk backend or libxdp is not built");
	workload_smoke("receive",
		       "any(r['backend'] == 'dpdk' for r in "
		       "d['receive']['results']) and "
		       "any(r['contender'] == 'raw rte_eth' for r in "
		       "d['receive']['results']) and all(r['ok'] and "
		       "r['runs'][0]['rx_packets'] > 0 for r in "
		       "d['receive']['results'])",
		       "receive-pps.png", "--backend=dpdk");
}

/* Each contender on its vdev, in a child per run: every run moved
 * frames, the port's counter saw every frame sent, and on net_ring each
 * drain got every frame its fill queued. */
Test(workload, dpdk_compares_each_contender_on_its_vdev, .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_DPDK"))
		cr_skip_test("the dpdk backend is not built (libdpdk)");
	workload_smoke("dpdk",
		       "len(d['dpdk']['results']) == 7 and all(r['ok'] and "
		       "r['runs'][0]['packets'] > 0 and "
		       "r['runs'][0]['packets'] == r['runs'][0].get('filled', "
		       "r['runs'][0]['packets']) and (r['loop'] != 'send' or "
		       "r['runs'][0]['port_packets'] >= "
		       "r['runs'][0]['packets']) for r in "
		       "d['dpdk']['results'])",
		       "dpdk-pps.png", NULL);
}

Test(workload, transmit_writes_json_and_plot, .timeout = RUN_TIMEOUT)
{
	/* Counted at most what was sent, give or take what raw xsk left on
	 * its 2048-entry TX ring at the warm-up's end (sent at the next
	 * kick, in the window). */
	workload_smoke("transmit",
		       "all(r['ok'] and r['runs'][0]['counted'] > 0 and "
		       "r['runs'][0]['counted'] <= r['runs'][0]['sent'] + 2048 "
		       "for r in d['transmit']['results'])",
		       "transmit-pps.png", NULL);
}

/* The AF_PACKET senders' frames are the UDP contenders' datagram: the
 * counter counts them as it counts the datagrams, each sender on every
 * backend of the run. */
#define PACKET_TX "hsk_packet_zc,hsk_packet_mmsg,packet_sendmmsg"

Test(workload, transmit_counts_raw_frames_as_datagrams, .timeout = RUN_TIMEOUT)
{
	const char *const more[] = { "--contenders=" PACKET_TX, NULL };

	workload_smoke_with(
		"transmit",
		"{r['contender'] for r in d['transmit']['results']} == "
		"{'hotsock packet zc', 'hotsock packet mmsg', "
		"'kernel packet mmsg'} and all(r['ok'] and "
		"0 < r['runs'][0]['counted'] <= r['runs'][0]['sent'] + 2048 "
		"for r in d['transmit']['results'])",
		"transmit-pps.png", more);
}

/* On af_xdp a packet socket's raw frames leave through the XSK, none
 * through its kernel socket. */
Test(workload, transmit_raw_frames_leave_af_xdp_by_its_xsk,
     .timeout = RUN_TIMEOUT)
{
	const char *const more[] = { "--backend=af_xdp",
				     "--contenders=hsk_packet_zc,"
				     "hsk_packet_mmsg",
				     NULL };

	if (!getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("af_xdp (libxdp) is not built");
	workload_smoke_with(
		"transmit",
		"len(d['transmit']['results']) == 2 and all(r['ok'] and "
		"r['backend'] == 'af_xdp' and r['runs'][0]['sent'] > 0 and "
		"r['runs'][0]['tx_fast_path'] == r['runs'][0]['sent'] and "
		"r['runs'][0]['tx_kernel_path'] == 0 "
		"for r in d['transmit']['results'])",
		"transmit-pps.png", more);
}

/*
 * hotsock on dpdk and raw rte_eth on its vdev, each run in a child of its
 * own, the counter a raw XSK on hsk1 that answers no neighbour request:
 * what was sent was counted (give or take the warm-up's tail). The port
 * is net_af_packet on hsk0, as in the dpdk echo's test below: on
 * net_af_xdp a child's window now and then counts nothing of what the
 * PMD took (docs/benchmarks.md), and this test is about the harness's
 * counts. Only these contenders: net_af_packet leaves hsk0 down when its
 * port stops, which the kernel senders would then find.
 */
Test(workload, transmit_on_dpdk_counts_what_it_sends, .timeout = RUN_TIMEOUT)
{
	const char *const more[] = { "--backend=dpdk",
				     "--contenders=hsk_sendto,hsk_sendmmsg,"
				     "hsk_send_zc,raw_rte",
				     NULL };

	if (!getenv("HSK_BENCH_DPDK") || !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("the dpdk backend or libxdp is not built");
	setenv("HOTSOCK_DPDK_ARGS", "--vdev=net_af_packet0,iface=hsk0", 1);
	workload_smoke_with(
		"transmit",
		"len(d['transmit']['results']) == 4 and "
		"any(r['contender'] == 'raw rte_eth' for r in "
		"d['transmit']['results']) and all(r['ok'] and "
		"0 < r['runs'][0]['counted'] <= r['runs'][0]['sent'] + 2048 "
		"for r in d['transmit']['results'])",
		"transmit-pps.png", more);
}

/* The AF_PACKET senders on dpdk, on the same port as above, each run in a
 * child of its own: the counter counts what they sent. */
Test(workload, transmit_raw_frames_on_dpdk_counts_what_it_sends,
     .timeout = RUN_TIMEOUT)
{
	const char *const more[] = { "--backend=dpdk",
				     "--contenders=hsk_packet_zc,"
				     "hsk_packet_mmsg",
				     NULL };

	if (!getenv("HSK_BENCH_DPDK") || !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("the dpdk backend or libxdp is not built");
	setenv("HOTSOCK_DPDK_ARGS", "--vdev=net_af_packet0,iface=hsk0", 1);
	workload_smoke_with(
		"transmit",
		"len(d['transmit']['results']) == 2 and all(r['ok'] and "
		"r['backend'] == 'dpdk' and "
		"0 < r['runs'][0]['counted'] <= r['runs'][0]['sent'] + 2048 "
		"for r in d['transmit']['results'])",
		"transmit-pps.png", more);
}

/*
 * Every echo counted at the peer was sent back by the echo, which sent
 * back no more than it got: give or take what was on its way (veth's
 * ring and the peer's 2048-entry XSK ring) when the window opened.
 */
#define ECHO_COUNTS                                                      \
	"all(r['ok'] and 0 < r['runs'][0]['echoed'] <= "                 \
	"r['runs'][0]['echo_tx'] + 4096 and r['runs'][0]['echo_tx'] <= " \
	"r['runs'][0]['echo_rx'] for r in d['echo']['results'])"

Test(workload, echo_counts_what_comes_back, .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("libxdp is not built: the peer is an XSK");
	workload_smoke("echo",
		       ECHO_COUNTS " and len(d['echo']['results']) >= 3",
		       "echo-pps.png", NULL);
}

/*
 * The hotsock echoes on dpdk, each run in a child of its own, on the
 * bench's port: net_af_xdp on hsk0.
 */
Test(workload, echo_on_dpdk_counts_what_comes_back, .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_DPDK") || !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("the dpdk backend or libxdp is not built");
	setenv("HOTSOCK_DPDK_ARGS", "--vdev=net_af_xdp0,iface=hsk0", 1);
	workload_smoke("echo",
		       ECHO_COUNTS " and any(r['backend'] == 'dpdk' for r in "
				   "d['echo']['results'])",
		       "echo-pps.png", "--backend=dpdk");
}

/* Every path ran both sockperf tests, and each server counted what it
 * received. */
Test(workload, sockperf_runs_every_path, .timeout = RUN_TIMEOUT)
{
	need_root();
	if (system("command -v sockperf >/dev/null"))
		cr_skip_test("no sockperf (Debian's sockperf package)");
	workload_smoke(
		"sockperf",
		"len(d['sockperf']['results']) >= 3 and all(r['ok'] and "
		"0 < r['p50_us']['median'] <= r['p90_us']['median'] <= "
		"r['p99_us']['median'] <= r['p99.9_us']['median'] <= "
		"r['max_us']['median'] and r['sent_msg_s']['median'] > 0 "
		"and r['recv_msg_s_median'] > 0 "
		"for r in d['sockperf']['results'])",
		"sockperf-latency.png", NULL);
}

Test(workload, pingpong_reports_every_percentile, .timeout = RUN_TIMEOUT)
{
	workload_smoke("pingpong",
		       "all(r['ok'] and 0 < r['p50_ns']['median'] <= "
		       "r['p90_ns']['median'] <= r['p99_ns']['median'] <= "
		       "r['p99.9_ns']['median'] <= r['max_ns']['median'] "
		       "for r in d['pingpong']['results'])",
		       "pingpong-latency.png", NULL);
}

/* hotsock on dpdk (net_af_xdp on hsk0), each run in a child of its own:
 * it resolves hsk1, and answers the peer kernel, itself. */
Test(workload, pingpong_on_dpdk_reports_every_percentile,
     .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_DPDK") || !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("the dpdk backend or libxdp is not built");
	workload_smoke("pingpong",
		       "any(r['backend'] == 'dpdk' for r in "
		       "d['pingpong']['results']) and all(r['ok'] and "
		       "0 < r['p50_ns']['median'] <= r['max_ns']['median'] "
		       "for r in d['pingpong']['results'])",
		       "pingpong-latency.png", "--backend=dpdk");
}

Test(workload, capture_reports_each_tool_at_each_rate, .timeout = RUN_TIMEOUT)
{
	if (!getenv("HSK_BENCH_CAPTURE"))
		cr_skip_test("hotsock-capture is not built (libpcap)");
	workload_smoke("capture",
		       "all(r['ok'] and 0 < r['captured'] and "
		       "r['file_bytes'] > 0 for r in d['capture']['results']) "
		       "and len(d['capture']['results']) == 16 and "
		       "sum(r['exclusive'] for r in d['capture']['results']) "
		       "== 4",
		       "capture.png", NULL);
}

Test(workload, instructions_counts_each_loop, .timeout = RUN_TIMEOUT)
{
	if (getenv("HSK_BENCH_SANITIZED"))
		cr_skip_test("sanitizer build: valgrind cannot run it");
	workload_smoke("instructions",
		       "all(r['ok'] and r['datagrams'] == " COUNT " and "
		       "r['instructions_per_datagram'] > 0 "
		       "for r in d['instructions']['results']) and "
		       "len(d['instructions']['results']) >= 9",
		       "instructions.png", NULL);
}

/*
 * Count mode: one loop, COUNT datagrams, no valgrind. The child checks
 * the counts itself (receive: got all it was sent; send: the peer's
 * socket counted all that was sent) and says so on stdout.
 */
static void loop_counts(const char *key, bool tx)
{
	const char *argv[] = { NULL,	  "--insns-child", key,
			       "--count", COUNT,	   NULL };
	char want[64], *out;
	struct child ch;

	need_root();
	if ((strstr(key, "af_xdp") || strstr(key, "libxdp")) &&
	    !getenv("HSK_BENCH_AF_XDP"))
		cr_skip_test("af_xdp (libxdp) is not built");
	if ((strstr(key, ":net_") || strstr(key, ":dpdk:")) &&
	    !getenv("HSK_BENCH_DPDK"))
		cr_skip_test("DPDK (libdpdk) is not found");
	child_start(&ch, false, argv);
	child_expect_exit(&ch, RUN_TIMEOUT, 0, key);
	out = slurp(ch.out);
	snprintf(want, sizeof(want), "packets %s of %s\n", COUNT, COUNT);
	cr_assert_not_null(strstr(out, want), "%s:\n%s", key, out);
	if (tx)
		cr_assert_not_null(strstr(out, "counted " COUNT "\n"),
				   "%s:\n%s", key, out);
	free(out);
	child_close(&ch);
}

#define RX_COUNT(name, key)                              \
	Test(receive_loop, name, .timeout = RUN_TIMEOUT) \
	{                                                \
		loop_counts("rx:" key, false);           \
	}
#define TX_COUNT(name, key)                           \
	Test(send_loop, name, .timeout = RUN_TIMEOUT) \
	{                                             \
		loop_counts("tx:" key, true);         \
	}

RX_COUNT(raw_xsk_gets_every_datagram, "raw_xsk:libxdp")
RX_COUNT(packet_zc_on_af_xdp_gets_every_frame, "hsk_packet_zc:af_xdp")
RX_COUNT(recv_zc_on_af_xdp_gets_every_datagram, "hsk_recv_zc:af_xdp")
RX_COUNT(recvmmsg_on_af_xdp_gets_every_datagram, "hsk_recvmmsg:af_xdp")
RX_COUNT(recvfrom_on_af_xdp_gets_every_datagram, "hsk_recvfrom:af_xdp")
RX_COUNT(recv_zc_on_kernel_gets_every_datagram, "hsk_recv_zc:kernel")
RX_COUNT(recvmmsg_on_kernel_gets_every_datagram, "hsk_recvmmsg:kernel")
RX_COUNT(kernel_recvmmsg_gets_every_datagram, "recvmmsg:-")
RX_COUNT(kernel_recvfrom_gets_every_datagram, "recvfrom:-")
RX_COUNT(raw_rte_eth_gets_every_mbuf, "raw_rte:net_null")
RX_COUNT(raw_rte_eth_drains_every_frame_of_a_net_ring, "raw_rte:net_ring")
RX_COUNT(packet_zc_on_dpdk_gets_every_frame, "hsk_packet_zc:dpdk:null")
RX_COUNT(recv_zc_on_dpdk_drains_every_datagram_of_a_net_ring,
	 "hsk_recv_zc:dpdk:ring")
RX_COUNT(recvmmsg_on_dpdk_drains_every_datagram_of_a_net_ring,
	 "hsk_recvmmsg:dpdk:ring")
TX_COUNT(raw_xsk_delivers_every_datagram, "raw_xsk:libxdp")
TX_COUNT(raw_rte_eth_delivers_every_mbuf, "raw_rte:net_null")
TX_COUNT(packet_zc_on_af_xdp_delivers_every_frame, "hsk_packet_zc:af_xdp")
TX_COUNT(packet_zc_on_dpdk_delivers_every_frame, "hsk_packet_zc:dpdk:null")
TX_COUNT(send_zc_on_af_xdp_delivers_every_datagram, "hsk_send_zc:af_xdp")
TX_COUNT(sendmmsg_on_af_xdp_delivers_every_datagram, "hsk_sendmmsg:af_xdp")
TX_COUNT(sendto_on_af_xdp_delivers_every_datagram, "hsk_sendto:af_xdp")
TX_COUNT(sendmmsg_on_kernel_delivers_every_datagram, "hsk_sendmmsg:kernel")
TX_COUNT(kernel_sendmmsg_delivers_every_datagram, "sendmmsg:-")
TX_COUNT(kernel_sendto_delivers_every_datagram, "sendto:-")
