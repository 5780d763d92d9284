// SPDX-License-Identifier: BSD-3-Clause
/*
 * Real programs nobody wrote for hotsock, under libhotsock-preload.so with
 * HOTSOCK_BACKEND=af_xdp (and sockperf with HOTSOCK_BACKEND=dpdk, each
 * end's port a net_af_packet vdev over its veth end, when dpdk is built:
 * HSKP_HAVE_DPDK): a server in the peer namespace (hsk1), a client in the
 * local one (hsk0), both on the fast path. Each must run to
 * completion as on the kernel, and the counters (hotsock-stat for a
 * server that runs, $HOTSOCK_STAT_FILE for a program that has exited)
 * must show that the fast path carried the traffic.
 *
 * Environment (tests/preload/meson.build): HSKP_PRELOAD, the LD_PRELOAD
 * value; HSKP_STAT, hotsock-stat; HSKP_ECHO_PY, udp_echo.py; HSKP_WORK, a
 * directory for the programs' output.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hsk_test.h"

#define PROGRAM_TEST(name) \
	Test(programs, name, .init = program_init, .fini = program_fini)

/* On dpdk, each side's port: a net_af_packet vdev over its veth end, its
 * rings deep enough for sockperf's throughput bursts. */
#define DPDK_PEER                                                     \
	"HOTSOCK_DPDK_ARGS=--vdev=net_af_packet0,iface=" TOPO_IF_PEER \
	",framecnt=2048 HOTSOCK_DPDK_IP=" TOPO_IP4_PEER "/24 "
#define DPDK_LOCAL                                                     \
	"HOTSOCK_DPDK_ARGS=--vdev=net_af_packet0,iface=" TOPO_IF_LOCAL \
	",framecnt=2048 HOTSOCK_DPDK_IP=" TOPO_IP4_LOCAL "/24 "

/* Every program of a test starts with this environment; HSKP_BACKEND is
 * the test's backend. */
#define RUN_ENV                                                           \
	"LD_PRELOAD=\"$HSKP_PRELOAD\" HOTSOCK_BACKEND=\"$HSKP_BACKEND\" " \
	"HOTSOCK_LOG_LEVEL=1 HOTSOCK_STAT_DIR=\"$HSKP_WORK\" "            \
	"ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 "

/* hotsock-stat of the server (%d), into server.now. */
#define STAT_CMD \
	"HOTSOCK_STAT_DIR=\"$HSKP_WORK\" \"$HSKP_STAT\" %d >server.now 2>&1"

static char work[512];	  /* this test's directory */
static pid_t server = -1; /* the background server, killed at the end */

static void init_on(const char *backend)
{
	const char *base = getenv("HSKP_WORK");

	cr_assert_not_null(base, "HSKP_WORK is not set");
	(void)mkdir(base, 0755);
	snprintf(work, sizeof(work), "%s/XXXXXX", base);
	cr_assert_not_null(mkdtemp(work), "mkdtemp: %s", strerror(errno));
	setenv("HSKP_BACKEND", backend, 1);
	tst_topo_init();
}

static void program_init(void)
{
	init_on("af_xdp");
}

static void program_fini(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		server = -1;
	}
	tst_topo_fini();
}

/* The contents of @name in the test's directory ("" when absent). */
static char *slurp(const char *name)
{
	static char text[65536];
	char path[600];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", work, name);
	text[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return text;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/*
 * How long a program under the preload may take to start or to stop, in
 * 100 ms steps: a python interpreter under the sanitizer build's runtime
 * on a busy machine took more than 15 s to print its first line.
 */
#define WAIT_STEPS 600

/* Waits up to WAIT_STEPS for @name to contain @needle. */
static bool wait_for_text(const char *name, const char *needle)
{
	for (int i = 0; i < WAIT_STEPS; i++) {
		if (strstr(slurp(name), needle))
			return true;
		tst_sleep_ms(100);
	}
	return false;
}

/* Waits up to WAIT_STEPS for the server to exit by itself. */
static bool server_exits(void)
{
	for (int i = 0; i < WAIT_STEPS && server > 0; i++) {
		if (kill(server, 0) && errno == ESRCH)
			server = -1;
		else
			tst_sleep_ms(100);
	}
	return server < 0;
}

/*
 * Starts @cmd in the background in the peer namespace, its output in
 * server.log; returns once @ready (the counters server's answer when
 * @ready starts with "local=", else a line of server.log) is there.
 */
static void start_server(const char *cmd, const char *ready)
{
	char pidtext[32];
	int err;

	err = topo_run_peer(&tst_topo,
			    "cd '%s' && (" RUN_ENV DPDK_PEER
			    "HOTSOCK_STAT_FILE=server.stat "
			    "exec %s >server.log 2>&1 & echo $! >server.pid)",
			    work, cmd);
	cr_assert_eq(err, 0, "starting %s: %d", cmd, err);
	snprintf(pidtext, sizeof(pidtext), "%s", slurp("server.pid"));
	server = (pid_t)atoi(pidtext);
	cr_assert_gt(server, 0);
	if (strncmp(ready, "local=", 6)) {
		cr_assert(wait_for_text("server.log", ready),
			  "server not ready: %s", slurp("server.log"));
		return;
	}
	for (int i = 0; i < WAIT_STEPS; i++) {
		topo_run_peer(&tst_topo, "cd '%s' && " STAT_CMD, work,
			      (int)server);
		if (strstr(slurp("server.now"), ready))
			return;
		tst_sleep_ms(100);
	}
	cr_assert_fail("server not ready: %s", slurp("server.log"));
}

/* Runs @cmd in the local namespace, output in client.log; asserts it
 * exits 0. */
static void run_client(const char *cmd)
{
	int err = topo_run_local(&tst_topo,
				 "cd '%s' && " RUN_ENV DPDK_LOCAL
				 "HOTSOCK_STAT_FILE=client.stat %s >client.log "
				 "2>&1",
				 work, cmd);

	cr_assert_eq(err, 0, "%s: exit %d\n%s", cmd, err, slurp("client.log"));
}

/* The server's counters now, read by hotsock-stat into server.now. */
static const char *server_counters(void)
{
	int err = topo_run_peer(&tst_topo, "cd '%s' && " STAT_CMD, work,
				(int)server);

	cr_assert_eq(err, 0, "hotsock-stat: %s", slurp("server.now"));
	return slurp("server.now");
}

/* The value of @key in the first socket line of @text with @match. */
static unsigned long long counter(const char *text, const char *match,
				  const char *key)
{
	char pat[64];
	const char *line = strstr(text, match), *p, *end;

	cr_assert_not_null(line, "no socket with %s in:\n%s", match, text);
	while (line > text && line[-1] != '\n')
		line--;
	end = strchrnul(line, '\n');
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	cr_assert(p && p < end, "no %s in:\n%s", key, text);
	return strtoull(p + strlen(pat), NULL, 10);
}

/* @text has a socket on the test's backend, and the fast path carried
 * its traffic in the directions asked. (A forked child's copy of a socket
 * is a kernel socket: its line, if any, says backend=kernel.) */
static void assert_fast(const char *text, bool rx, bool tx)
{
	char m[32];

	snprintf(m, sizeof(m), "backend=%s ", getenv("HSKP_BACKEND"));
	if (rx)
		cr_assert_gt(counter(text, m, "rx_fast_path"), 0,
			     "nothing received by the fast path:\n%s", text);
	if (tx)
		cr_assert_gt(counter(text, m, "tx_fast_path"), 0,
			     "nothing sent by the fast path:\n%s", text);
}

static void sockperf_ping_pong(void)
{
	start_server("sockperf server -i " TOPO_IP4_PEER " -p 11111",
		     "local=" TOPO_IP4_PEER ":11111");
	run_client("sockperf ping-pong -i " TOPO_IP4_PEER
		   " -p 11111 -t 1 --msg-size 64");
	cr_assert_not_null(strstr(slurp("client.log"), "percentile 50.000"),
			   "no latency figures:\n%s", slurp("client.log"));
	assert_fast(server_counters(), true, true);
	assert_fast(slurp("client.stat"), true, true);
}

PROGRAM_TEST(sockperf_ping_pong_runs_on_the_fast_path)
{
	sockperf_ping_pong();
}

static void sockperf_throughput(void)
{
	start_server("sockperf server -i " TOPO_IP4_PEER " -p 11111",
		     "local=" TOPO_IP4_PEER ":11111");
	run_client("sockperf throughput -i " TOPO_IP4_PEER
		   " -p 11111 -t 1 --msg-size 64");
	cr_assert_not_null(strstr(slurp("client.log"), "Message Rate"),
			   "no message rate:\n%s", slurp("client.log"));
	assert_fast(server_counters(), true, false);
	assert_fast(slurp("client.stat"), false, true);
}

PROGRAM_TEST(sockperf_throughput_runs_on_the_fast_path)
{
	sockperf_throughput();
}

#ifdef HSKP_HAVE_DPDK
/* Both veth ends are dpdk's: the kernel gives up their addresses, so that
 * it neither answers for them nor sends its own neighbour discovery. */
static void dpdk_init(void)
{
	int err;

	init_on("dpdk");
	err = topo_run_local(&tst_topo,
			     "ip addr flush dev %s && echo 1 "
			     ">/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			     tst_topo.if_local, tst_topo.if_local);
	cr_assert_eq(err, 0, "taking hsk0 from the kernel: status %d", err);
	err = topo_run_peer(&tst_topo,
			    "ip addr flush dev %s && echo 1 "
			    ">/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			    tst_topo.if_peer, tst_topo.if_peer);
	cr_assert_eq(err, 0, "taking hsk1 from the kernel: status %d", err);
}

Test(programs, sockperf_ping_pong_runs_on_dpdk, .init = dpdk_init,
     .fini = program_fini)
{
	sockperf_ping_pong();
}

Test(programs, sockperf_throughput_runs_on_dpdk, .init = dpdk_init,
     .fini = program_fini)
{
	sockperf_throughput();
}
#endif

PROGRAM_TEST(python_socket_module_echo_runs_on_the_fast_path)
{
	start_server("python3 \"$HSKP_ECHO_PY\" server " TOPO_IP4_PEER
		     " 40001 20",
		     "server: bound");
	run_client("python3 \"$HSKP_ECHO_PY\" client " TOPO_IP4_PEER
		   " 40001 20");
	cr_assert_not_null(strstr(slurp("client.log"), "echoed 20 timeout ok"),
			   "%s", slurp("client.log"));
	cr_assert(server_exits(), "the server did not finish");
	cr_assert_not_null(strstr(slurp("server.log"), "server: echoed 20"),
			   "%s", slurp("server.log"));
	assert_fast(slurp("server.stat"), true, true);
	assert_fast(slurp("client.stat"), true, true);
}

PROGRAM_TEST(socat_udp_runs_on_the_fast_path)
{
	/* -t: how long the server's socat waits for its forked cat's echo
	 * once the datagram is in (0.5 s by default): cat starts under the
	 * preload, and under the sanitizers' runtime that takes seconds on
	 * a loaded machine. */
	start_server("socat -t 8 -T 10 UDP4-RECVFROM:40001,bind=" TOPO_IP4_PEER
		     " SYSTEM:cat",
		     "local=" TOPO_IP4_PEER ":40001");
	/* -t: how long socat waits for the echo once its input ends (0.5 s
	 * by default, short for a loaded machine). */
	run_client("sh -c 'echo hello-hotsock | socat -t 8 -T 12 - "
		   "UDP4:" TOPO_IP4_PEER ":40001'");
	cr_assert_str_eq(slurp("client.log"), "hello-hotsock\n");
	cr_assert(server_exits(), "socat did not finish");
	assert_fast(slurp("server.stat"), true, false);
	assert_fast(slurp("client.stat"), true, false);
}

PROGRAM_TEST(tcpdump_captures_through_its_own_ring)
{
	/* libpcap maps a packet ring of its own: the preload gives it the
	 * kernel's packet socket for that. */
	start_server("tcpdump -n -i " TOPO_IF_PEER " -c 2 udp port 9999",
		     "listening on");
	run_client("sh -c 'for i in 1 2 3 4 5; do echo x | socat -u - "
		   "UDP4:" TOPO_IP4_PEER ":9999; done'");
	cr_assert(server_exits(), "tcpdump did not finish:\n%s",
		  slurp("server.log"));
	cr_assert_not_null(strstr(slurp("server.log"), "2 packets captured"),
			   "%s", slurp("server.log"));
}
