// SPDX-License-Identifier: BSD-3-Clause
/*
 * hotsock-bench - hotsock, the raw engine beneath it and the kernel, side
 * by side in one run, over a veth pair between two private network
 * namespaces that the bench builds and removes.
 *
 * Workloads (--workload, or --all), each in its own file:
 *
 *   receive       a fast source in the peer namespace, the contenders
 *                 receive (receive.c)
 *   transmit      the contenders send UDP datagrams, or the same as
 *                 AF_PACKET raw frames; a fast receiver in the peer
 *                 namespace counts (transmit.c)
 *   pingpong      one datagram in flight, round trips timed into a
 *                 log-bucketed histogram, busy polling off and on
 *                 (pingpong.c)
 *   dpdk          hotsock's dpdk backend against a bare rte_eth loop on
 *                 the same vdev: AF_PACKET frames on net_null, UDP
 *                 through a net_ring loop (dpdk.c)
 *   instructions  user-space instructions per datagram of each
 *                 contender's receive and send loop, counted by callgrind
 *                 over a fixed number of datagrams (insns.c)
 *   capture       hotsock-capture against tcpdump -w at the same offered
 *                 load, rate step by rate step (capture.c)
 *   echo          forwarding: the contenders send each datagram back to
 *                 its source, an XSK in the peer namespace sends and
 *                 counts the echoes (echo.c)
 *   sockperf      Debian's sockperf, ping-pong and throughput, on the
 *                 kernel and through libhotsock-preload.so on each
 *                 backend (sockperf.c)
 *
 * The default is receive, pingpong and instructions: about a minute and a
 * half. Every wait has a timeout, the whole run a watchdog, and the
 * topology (anonymous namespaces) goes away on exit, SIGINT included.
 *
 * Exit status: 0 ok, 1 failure (including interruption), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "hotsock.h"
#ifdef HSK_BENCH_XSK
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#endif

#define DEFAULT_WORKLOADS \
	((1u << WL_RECEIVE) | (1u << WL_PINGPONG) | (1u << WL_INSNS))

static const char *const backend_names[] = { "auto", "kernel", "af_xdp",
					     "dpdk" };

/* Every workload's contender keys, for --contenders. */
static const char *const contender_keys[] = {
	"hsk_recvfrom",	   "hsk_recvmmsg", "hsk_recv_zc",     "hsk_packet_zc",
	"hsk_packet_mmsg", "hsk_sendto",   "hsk_sendmmsg",    "hsk_send_zc",
	"raw_xsk",	   "raw_rte",	   "recvfrom",	      "recvmmsg",
	"sendto",	   "sendmmsg",	   "packet_sendmmsg", "hsk_echo_mmsg",
	"hsk_echo_zc",	   "echo_mmsg",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hotsock-bench [options]\n"
		"\n"
		"hotsock on each backend, the raw libxdp rings beneath af_xdp "
		"(raw xsk) and the\n"
		"kernel, side by side in one run, over a veth pair between "
		"two private network\n"
		"namespaces (198.18.0.2 <-> 198.18.0.1, or 2001:2::2 <-> "
		"2001:2::1).\n"
		"The dpdk workload puts hotsock's dpdk backend next to a bare "
		"rte_eth loop on\n"
		"the same vdev (net_null, net_ring), without the veth pair.\n"
		"Runs as root; builds and removes its own namespaces.\n"
		"\n"
		"  -w, --workload LIST  receive, transmit, pingpong, dpdk, "
		"instructions,\n"
		"                       capture, echo, sockperf\n"
		"                       (default: "
		"receive,pingpong,instructions)\n"
		"  -a, --all            every workload\n"
		"  -d, --duration SEC   seconds per contender and rep "
		"(default 0.8)\n"
		"  -s, --size BYTES     UDP payload bytes (default 64; at most "
		"1472 for IPv4,\n"
		"                       1452 for IPv6: no fragments)\n"
		"  -f, --family 4|6     IP version (default 4)\n"
		"  -r, --reps N         reps of every contender, interleaved "
		"(default 3)\n"
		"  -b, --batch N        datagrams per sendmmsg, recvmmsg and "
		"zero-copy call\n"
		"                       (default 32, at most %d)\n"
		"  -S, --source SRC     receive: xsk, an AF_XDP socket on hsk1 "
		"sending one\n"
		"                       prebuilt frame as fast as its ring "
		"takes it; kernel:\n"
		"                       sendmmsg(2) (default: xsk when it "
		"works)\n"
		"  -j, --json FILE      also write every figure as JSON\n"
		"  -p, --plot DIR       write PNG plots (gnuplot) into DIR "
		"(default: next to\n"
		"                       the JSON, when there is one)\n"
		"  -B, --backend LIST   run the hotsock contenders once per "
		"backend, e.g.\n"
		"                       kernel,af_xdp (strict: a backend that "
		"cannot serve\n"
		"                       fails); default: kernel,af_xdp when "
		"af_xdp can serve\n"
		"                       on hsk0, else once, as HOTSOCK_BACKEND "
		"says\n"
		"  -c, --contenders LIST  only these: hsk_recvfrom, "
		"hsk_recvmmsg, hsk_recv_zc,\n"
		"                       hsk_packet_zc, hsk_packet_mmsg, "
		"hsk_sendto,\n"
		"                       hsk_sendmmsg, hsk_send_zc, raw_xsk, "
		"raw_rte, recvfrom,\n"
		"                       recvmmsg, sendto, sendmmsg, "
		"packet_sendmmsg,\n"
		"                       hsk_echo_mmsg, hsk_echo_zc, "
		"echo_mmsg (hsk_packet_zc,\n"
		"                       hsk_packet_mmsg, packet_sendmmsg: "
		"AF_PACKET raw frames)\n"
		"  -N, --napi MODE      thread: the receiving end's kernel "
		"work in a NAPI thread\n"
		"                       pinned to the receiver's CPU "
		"(default); inline: veth's\n"
		"                       default, on the sender's CPU\n"
		"  -n, --count N        instructions: datagrams per measured "
		"loop (default 1000)\n"
		"      --valgrind PATH  instructions: the valgrind to run "
		"(default: valgrind)\n"
		"      --keep-callgrind DIR  instructions: keep callgrind's "
		"output files there\n"
		"      --no-pin         do not pin receiver and sender to "
		"two CPUs\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 bad usage.\n",
		BATCH_MAX);
}

/* "kernel,af_xdp": each name once, from backend_names. */
static int parse_backends(char *list, struct config *cfg)
{
	char *name, *save = NULL;
	unsigned int i, j;

	cfg->n_backends = 0;
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(backend_names); i++)
			if (!strcmp(name, backend_names[i]))
				break;
		if (i == ARRAY_SIZE(backend_names) ||
		    cfg->n_backends == MAX_BACKENDS)
			return -1;
		for (j = 0; j < cfg->n_backends; j++)
			if (cfg->backends[j] == backend_names[i])
				return -1;
		cfg->backends[cfg->n_backends++] = backend_names[i];
	}
	return cfg->n_backends ? 0 : -1;
}

/* Is every name of the comma-separated @list one of @names? */
static int check_list(const char *list, const char *const *names,
		      unsigned int n_names, unsigned int *mask)
{
	char *copy = strdup(list), *name, *save = NULL;
	unsigned int i, n = 0;
	int ret = 0;

	if (!copy)
		return -1;
	if (mask)
		*mask = 0;
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save), n++) {
		for (i = 0; i < n_names; i++)
			if (!strcmp(name, names[i]))
				break;
		if (i == n_names)
			ret = -1;
		else if (mask)
			*mask |= 1u << i;
	}
	free(copy);
	return n ? ret : -1;
}

#ifdef HSK_BENCH_XSK
/* libbpf and libxdp: warnings only (hotsock installs its own printers
 * when it makes an af_xdp port). */
static int bpf_warnings(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int xdp_warnings(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBXDP_WARN ? vfprintf(stderr, fmt, ap) : 0;
}
#endif

static int bad(const char *what, const char *arg)
{
	fprintf(stderr,
		"hotsock-bench: bad %s '%s'; try 'hotsock-bench "
		"--help'\n",
		what, arg);
	return 2;
}

static void json_head(FILE *f, const struct config *cfg,
		      const struct utsname *un)
{
	fprintf(f, "{\n  \"tool\": \"hotsock-bench\",\n");
	fprintf(f, "  \"hotsock_version\": \"%d.%d\",\n", HSK_VERSION_MAJOR,
		HSK_VERSION_MINOR);
	fprintf(f, "  \"kernel\": ");
	json_str(f, un->release);
	fprintf(f, ",\n  \"machine\": ");
	json_str(f, un->machine);
	fprintf(f, ",\n  \"online_cpus\": %ld,\n",
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"rx_cpu\": %d, \"tx_cpu\": %d", cfg->rx_cpu,
		cfg->tx_cpu);
}

int main(int argc, char **argv)
{
	enum { OPT_VALGRIND = 256, OPT_KEEP, OPT_CHILD, OPT_NOPIN };
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "all", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "family", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", required_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "backend", required_argument, NULL, 'B' },
		{ "source", required_argument, NULL, 'S' },
		{ "contenders", required_argument, NULL, 'c' },
		{ "napi", required_argument, NULL, 'N' },
		{ "count", required_argument, NULL, 'n' },
		{ "valgrind", required_argument, NULL, OPT_VALGRIND },
		{ "keep-callgrind", required_argument, NULL, OPT_KEEP },
		{ "insns-child", required_argument, NULL, OPT_CHILD },
		{ "no-pin", no_argument, NULL, OPT_NOPIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg = { 0 };
	const char *child = NULL;
	char why[160], plot_dir[512];
	struct hsk_topo topo;
	struct sigaction sa;
	struct utsname un;
	unsigned long v;
	int opt, err, status = 0;
	long pos;
	double t_start = now();
	FILE *json = NULL;
	size_t max_size;
	unsigned int w;

	cfg.duration = 0.8;
	cfg.size = 64;
	cfg.family = 4;
	cfg.reps = 3;
	cfg.batch = 32;
	cfg.pin = 1;
	cfg.source = -1;
	cfg.count = 1000;
	cfg.valgrind = "valgrind";
	cfg.workloads = DEFAULT_WORKLOADS;
	while ((opt = getopt_long(argc, argv, "w:ad:s:f:r:b:j:p:B:S:c:N:n:h",
				  opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			if (check_list(optarg, workload_names, WL_COUNT,
				       &cfg.workloads))
				return bad("--workload", optarg);
			break;
		case 'a':
			cfg.workloads = (1u << WL_COUNT) - 1;
			break;
		case 'd':
			if (parse_double(optarg, 0.01, 3600, &cfg.duration))
				return bad("--duration (0.01..3600 s)", optarg);
			break;
		case 's':
			if (parse_uint(optarg, 0, MAX_PAYLOAD, &v))
				return bad("--size", optarg);
			cfg.size = v;
			break;
		case 'f':
			if (strcmp(optarg, "4") && strcmp(optarg, "6"))
				return bad("--family (4 or 6)", optarg);
			cfg.family = optarg[0] - '0';
			break;
		case 'r':
			if (parse_uint(optarg, 1, 1000, &v))
				return bad("--reps (1..1000)", optarg);
			cfg.reps = v;
			break;
		case 'b':
			if (parse_uint(optarg, 1, BATCH_MAX, &v))
				return bad("--batch (1..256)", optarg);
			cfg.batch = v;
			break;
		case 'j':
			cfg.json = optarg;
			break;
		case 'p':
			cfg.plot_dir = optarg;
			break;
		case 'B':
			if (parse_backends(optarg, &cfg))
				return bad("--backend (a list of auto, kernel, "
					   "af_xdp, dpdk)",
					   optarg);
			break;
		case 'S':
			if (!strcmp(optarg, "kernel"))
				cfg.source = 0;
			else if (!strcmp(optarg, "xsk"))
				cfg.source = 1;
			else
				return bad("--source (kernel or xsk)", optarg);
			break;
		case 'c':
			if (check_list(optarg, contender_keys,
				       ARRAY_SIZE(contender_keys), NULL))
				return bad("--contenders", optarg);
			cfg.only = optarg;
			break;
		case 'N':
			if (!strcmp(optarg, "thread"))
				cfg.napi_inline = 0;
			else if (!strcmp(optarg, "inline"))
				cfg.napi_inline = 1;
			else
				return bad("--napi (thread or inline)", optarg);
			break;
		case 'n':
			if (parse_uint(optarg, 1, 100000, &v))
				return bad("--count (1..100000)", optarg);
			cfg.count = v;
			break;
		case OPT_VALGRIND:
			cfg.valgrind = optarg;
			break;
		case OPT_KEEP:
			cfg.keep_callgrind = optarg;
			break;
		case OPT_CHILD:
			child = optarg;
			break;
		case OPT_NOPIN:
			cfg.pin = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "try 'hotsock-bench --help'\n");
			return 2;
		}
	}
	if (optind < argc)
		return bad("argument", argv[optind]);
	max_size = MTU - (cfg.family == 6 ? 40 : 20) - 8;
	if (cfg.size > max_size) {
		fprintf(stderr,
			"hotsock-bench: --size %zu would fragment: at most %zu "
			"for IPv%d over the 1500-byte MTU\n",
			cfg.size, max_size, cfg.family);
		return 2;
	}
	if (!cfg.plot_dir && cfg.json) {
		const char *slash = strrchr(cfg.json, '/');

		snprintf(plot_dir, sizeof(plot_dir), "%.*s",
			 slash ? (int)(slash - cfg.json) : 1,
			 slash ? cfg.json : ".");
		cfg.plot_dir = plot_dir;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: wake blocked calls */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

#ifdef HSK_BENCH_XSK
	libbpf_set_print(bpf_warnings);
	libxdp_set_print(xdp_warnings);
#endif
	choose_cpus(cfg.pin, &cfg.rx_cpu, &cfg.tx_cpu);
	if (child)
		return insns_child(child, &cfg);

	uname(&un);
	if (cfg.plot_dir && mkdir(cfg.plot_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hotsock-bench: cannot make %s: %s\n",
			cfg.plot_dir, strerror(errno));
		return 1;
	}
	if (cfg.json) {
		json = fopen(cfg.json, "w");
		if (!json) {
			fprintf(stderr, "hotsock-bench: cannot write %s: %s\n",
				cfg.json, strerror(errno));
			return 1;
		}
		json_head(json, &cfg, &un);
	}

	memset(&topo, 0, sizeof(topo));
	err = topo_setup(&topo);
	if (err) {
		fprintf(stderr,
			"hotsock-bench: cannot build the veth topology: "
			"%s%s\n",
			strerror(-err), err == -EPERM ? " (run as root)" : "");
		return 1;
	}
	/* Receivers that take every frame (raw xsk) answer no ARP. */
	if (static_neighbours(&topo) < 0)
		fprintf(stderr, "hotsock-bench: no static neighbours: senders "
				"resolve them\n");
	alarm(30);
	cfg.af_xdp = probe_af_xdp(&topo, &cfg, why, sizeof(why));
	alarm(0);
	/* hotsock on kernel and af_xdp, unless told otherwise. */
	if (!cfg.n_backends) {
		if (cfg.af_xdp) {
			cfg.backends[0] = "kernel";
			cfg.backends[1] = "af_xdp";
			cfg.n_backends = 2;
		} else {
			printf("backends: af_xdp cannot serve on %s (%s); "
			       "hotsock runs once, as HOTSOCK_BACKEND says\n",
			       topo.if_local, why);
		}
	}
	printf("hotsock-bench: %ld CPUs online, kernel %s; ",
	       sysconf(_SC_NPROCESSORS_ONLN), un.release);
	if (cfg.rx_cpu >= 0)
		printf("local side on CPU %d, peer side on CPU %d\n",
		       cfg.rx_cpu, cfg.tx_cpu);
	else
		printf("not pinned\n");
	fflush(stdout);

	for (w = 0; w < WL_COUNT && !g_stop; w++) {
		int rc = 0;

		if (!(cfg.workloads & (1u << w)))
			continue;
		if (json)
			fprintf(json, ",\n  \"%s\": ", workload_names[w]);
		pos = json ? ftell(json) : 0;
		switch (w) {
		case WL_RECEIVE:
			rc = workload_receive(&topo, &cfg, json);
			break;
		case WL_TRANSMIT:
			rc = workload_transmit(&topo, &cfg, json);
			break;
		case WL_PINGPONG:
			rc = workload_pingpong(&topo, &cfg, json);
			break;
		case WL_DPDK:
			rc = workload_dpdk(&cfg, json);
			break;
		case WL_INSNS:
			rc = workload_insns(&cfg, argv[0], json);
			break;
		case WL_CAPTURE:
			rc = workload_capture(&topo, &cfg, argv[0], json);
			break;
		case WL_ECHO:
			rc = workload_echo(&topo, &cfg, json);
			break;
		case WL_SOCKPERF:
			rc = workload_sockperf(&topo, &cfg, json);
			break;
		}
		if (rc)
			status = 1;
		/* A workload that stopped before its figures: null. */
		if (json && ftell(json) == pos)
			fprintf(json, "null");
	}
	alarm(0);
	topo_teardown(&topo);
	if (json) {
		fprintf(json, "\n}\n");
		if (fclose(json)) {
			fprintf(stderr, "hotsock-bench: cannot write %s: %s\n",
				cfg.json, strerror(errno));
			status = 1;
		}
	}
	if (g_stop) {
		fprintf(stderr, "hotsock-bench: %s; topology removed\n",
			g_alarm ? "watchdog expired" : "interrupted");
		return 1;
	}
	printf("\n(%.0f s in all)\n", now() - t_start);
	return status;
}
