// SPDX-License-Identifier: BSD-3-Clause
/*
 * The sockperf workload: Debian's sockperf, unmodified, on the kernel and
 * on each hotsock backend through libhotsock-preload.so. Its server runs
 * in the peer namespace (hsk1), its client in the local one (hsk0), both
 * under the preload or neither:
 *
 *   kernel, no preload   neither
 *   preload kernel       HOTSOCK_BACKEND=kernel
 *   preload af_xdp       HOTSOCK_BACKEND=af_xdp
 *   preload dpdk         HOTSOCK_BACKEND=dpdk, each end's port a
 *                        net_af_packet vdev over its veth end, whose
 *                        addresses the kernel gives up meanwhile
 *
 * Each path, rep after rep (interleaved), runs sockperf ping-pong (one
 * message in flight: latency percentiles) then sockperf throughput
 * (--mps=max: the client's message rate), --duration seconds each
 * (rounded, at least 1). What the server received in the throughput run
 * is its own count: hotsock-stat's rx_packets under the preload, the
 * namespace's UDP InDatagrams without it, so a client that outruns the
 * server shows.
 *
 * The preload and hotsock-stat are the build's (bench/meson.build), or
 * HOTSOCK_BENCH_PRELOAD (the whole LD_PRELOAD value) and
 * HOTSOCK_BENCH_STAT. IPv4 only.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define SP_PORT 11111
#define SP_READY_TIMEOUT 15.0 /* s: for the server's socket */
#define SP_EXIT_TIMEOUT 5.0   /* s: for the server to end */
#define SP_SLACK 20	      /* s per run: start, EAL, teardown */
#define SP_MIN_SIZE 14	      /* sockperf's smallest message */

enum { SP_P50, SP_P90, SP_P99, SP_P999, SP_MAX, SP_N_PCT };

static const char *const sp_pct_key[SP_N_PCT] = {
	"percentile 50.000 =", "percentile 90.000 =", "percentile 99.000 =",
	"percentile 99.900 =", "<MAX> observation ="
};
static const char *const sp_pct_name[SP_N_PCT] = { "p50", "p90", "p99", "p99.9",
						   "max" };
static const char *const sp_pct_json[SP_N_PCT] = { "p50_us", "p90_us", "p99_us",
						   "p99.9_us", "max_us" };

struct sp_path {
	const char *name;
	const char *backend; /* HOTSOCK_BACKEND, or NULL: no preload */
};

static const struct sp_path sp_paths[] = {
	{ "kernel, no preload", NULL },
	{ "preload kernel", "kernel" },
	{ "preload af_xdp", "af_xdp" },
#ifdef HSK_BENCH_PRELOAD_DPDK
	{ "preload dpdk", "dpdk" },
#endif
};

#define SP_PATHS ARRAY_SIZE(sp_paths)

struct sp_run {
	int ok;
	char err[160];
	double pct[SP_N_PCT]; /* us */
	double sent_mps, recv_mps;
};

struct sp_ctx {
	struct hsk_topo *t;
	const struct config *cfg;
	const char *preload, *stat;
	char work[256];
	int secs;
	size_t size;
	int dpdk_ports; /* the kernel has given up both veth ends */
};

#ifndef HSK_BENCH_PRELOAD
#define HSK_BENCH_PRELOAD "libhotsock-preload.so"
#endif
#ifndef HSK_BENCH_STAT
#define HSK_BENCH_STAT "hotsock-stat"
#endif

/* The environment of a program of @p's on the peer (hsk1) or local end. */
static void sp_env(const struct sp_ctx *x, const struct sp_path *p, int peer,
		   char *env, size_t len)
{
	if (!p->backend) {
		env[0] = 0;
		return;
	}
	snprintf(env, len,
		 "LD_PRELOAD='%s' HOTSOCK_BACKEND=%s HOTSOCK_LOG_LEVEL=1 "
		 "HOTSOCK_STAT_DIR='%s' "
		 "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 "
		 "HOTSOCK_DPDK_ARGS=--vdev=net_af_packet0,iface=%s,"
		 "framecnt=2048 HOTSOCK_DPDK_IP=%s/24 ",
		 x->preload, p->backend, x->work,
		 peer ? x->t->if_peer : x->t->if_local,
		 peer ? TOPO_IP4_PEER : TOPO_IP4_LOCAL);
}

/* The contents of @name in the work directory, in @buf ("" if absent). */
static char *sp_slurp(const struct sp_ctx *x, const char *name, char *buf,
		      size_t len)
{
	char path[400];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", x->work, name);
	buf[0] = 0;
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* The number after @key in @text, or -1. */
static double sp_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	char *end;
	double v;

	if (!p)
		return -1;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? -1 : v;
}

/* The sum of every " rx_packets=" of @text (hotsock-stat's lines). */
static double sp_rx_packets(const char *text)
{
	const char *p = text;
	double sum = 0;
	int found = 0;

	while ((p = strstr(p, " rx_packets="))) {
		p += strlen(" rx_packets=");
		sum += strtod(p, NULL);
		found = 1;
	}
	return found ? sum : -1;
}

/* What the server has received so far, by its own count; -1 unknown. */
static double sp_server_rx(struct sp_ctx *x, const struct sp_path *p,
			   pid_t server)
{
	char text[8192];

	if (!p->backend) {
		if (topo_run_peer(x->t, "cat /proc/net/snmp >'%s/snmp'",
				  x->work))
			return -1;
		/* Udp: InDatagrams ...: the second "Udp:" line's first. */
		sp_slurp(x, "snmp", text, sizeof(text));
		{
			const char *u = strstr(text, "\nUdp: ");

			u = u ? strstr(u + 1, "\nUdp: ") : NULL;
			return u ? strtod(u + 6, NULL) : -1;
		}
	}
	if (topo_run_peer(x->t, "HOTSOCK_STAT_DIR='%s' '%s' %d >'%s/stat' 2>&1",
			  x->work, x->stat, (int)server, x->work))
		return -1;
	return sp_rx_packets(sp_slurp(x, "stat", text, sizeof(text)));
}

/* The server is our child (the bench is the subreaper of what it
 * starts): reaped here once it has ended. */
static int sp_alive(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, WNOHANG) == 0;
}

/*
 * The server, in the background in the peer namespace: its pid once its
 * socket is bound (hotsock-stat shows it under the preload, /proc/net/udp
 * without), or -1 with @run's error.
 */
static pid_t sp_start_server(struct sp_ctx *x, const struct sp_path *p,
			     struct sp_run *run)
{
	char env[1024], text[8192];
	double deadline;
	pid_t pid;

	sp_env(x, p, 1, env, sizeof(env));
	pin_self(x->cfg->tx_cpu); /* the shell, and so the server */
	if (topo_run_peer(x->t,
			  "cd '%s' && rm -f server.pid && (%s exec sockperf "
			  "server -i %s -p %d >server.log 2>&1 & echo $! "
			  ">server.pid)",
			  x->work, env, TOPO_IP4_PEER, SP_PORT)) {
		snprintf(run->err, sizeof(run->err), "cannot start the server");
		return -1;
	}
	pid = (pid_t)atoi(sp_slurp(x, "server.pid", text, sizeof(text)));
	deadline = now() + SP_READY_TIMEOUT;
	while (pid > 0 && !g_stop && now() < deadline && sp_alive(pid)) {
		int ready;

		if (p->backend) {
			ready = !topo_run_peer(x->t,
					       "HOTSOCK_STAT_DIR='%s' '%s' %d "
					       "2>/dev/null | grep -q "
					       "'local=%s:%d'",
					       x->work, x->stat, (int)pid,
					       TOPO_IP4_PEER, SP_PORT);
		} else {
			/* 11111 = 0x2B67, in /proc/net/udp's hex. */
			ready = !topo_run_peer(x->t,
					       "grep -q ':%04X ' "
					       "/proc/net/udp",
					       SP_PORT);
		}
		if (ready)
			return pid;
		usleep(100 * 1000);
	}
	snprintf(run->err, sizeof(run->err), "server not ready: %.100s",
		 sp_slurp(x, "server.log", text, sizeof(text)));
	if (pid > 0)
		kill(pid, SIGKILL);
	return -1;
}

static void sp_stop_server(pid_t pid)
{
	double deadline = now() + SP_EXIT_TIMEOUT;

	if (pid <= 0)
		return;
	/* SIGINT: sockperf's own way out, through exit() and the preload's
	 * teardown (af_xdp's XDP program comes off its interface). */
	kill(pid, SIGINT);
	while (sp_alive(pid) && now() < deadline)
		usleep(20 * 1000);
	if (sp_alive(pid))
		kill(pid, SIGKILL);
	deadline = now() + SP_EXIT_TIMEOUT;
	while (sp_alive(pid) && now() < deadline)
		usleep(20 * 1000);
}

/* sockperf @mode as the client in the local namespace, into @log. */
static int sp_client(struct sp_ctx *x, const struct sp_path *p,
		     const char *mode, const char *extra, const char *log)
{
	char env[1024];

	sp_env(x, p, 0, env, sizeof(env));
	pin_self(x->cfg->rx_cpu);
	return topo_run_local(x->t,
			      "cd '%s' && %s sockperf %s -i %s -p %d -t %d "
			      "--msg-size %zu %s >%s 2>&1",
			      x->work, env, mode, TOPO_IP4_PEER, SP_PORT,
			      x->secs, x->size, extra, log);
}

/* hsk0 and hsk1 to dpdk (@take) or back to the kernel, as the topology
 * made them. Return: 0, or -1. */
static int sp_dpdk_ports(struct sp_ctx *x, int take)
{
	struct hsk_topo *t = x->t;
	int err = 0;

	if (take == x->dpdk_ports)
		return 0;
	if (take) {
		err = topo_run_local(t,
				     "ip addr flush dev %s && echo 1 "
				     ">/proc/sys/net/ipv6/conf/%s/disable_ipv6",
				     t->if_local, t->if_local) ||
		      topo_run_peer(t,
				    "ip addr flush dev %s && echo 1 "
				    ">/proc/sys/net/ipv6/conf/%s/disable_ipv6",
				    t->if_peer, t->if_peer);
	} else {
		err = topo_run_local(t,
				     "echo 0 >/proc/sys/net/ipv6/conf/%s/"
				     "disable_ipv6 && ip addr add %s/24 brd + "
				     "dev %s && ip -6 addr add %s/64 dev %s "
				     "nodad",
				     t->if_local, TOPO_IP4_LOCAL, t->if_local,
				     TOPO_IP6_LOCAL, t->if_local) ||
		      topo_run_peer(t,
				    "echo 0 >/proc/sys/net/ipv6/conf/%s/"
				    "disable_ipv6 && ip addr add %s/24 brd + "
				    "dev %s && ip -6 addr add %s/64 dev %s "
				    "nodad",
				    t->if_peer, TOPO_IP4_PEER, t->if_peer,
				    TOPO_IP6_PEER, t->if_peer) ||
		      static_neighbours(t) < 0;
	}
	x->dpdk_ports = take;
	return err ? -1 : 0;
}

/* An XDP program (af_xdp's) stays a moment after its process: wait it
 * off both ends. */
static int sp_xdp_gone(struct hsk_topo *t)
{
	int err = wait_xdp_detached(t->ifindex_local);

	if (topo_enter_peer(t) == 0) {
		err |= wait_xdp_detached(t->ifindex_peer);
		topo_enter_local(t);
	}
	return err;
}

/* One path, one rep. */
static void sp_run_one(struct sp_ctx *x, const struct sp_path *p,
		       struct sp_run *run)
{
	char text[65536];
	double rx0, rx1;
	pid_t server;
	int i, err;

	memset(run, 0, sizeof(*run));
	if (sp_dpdk_ports(x, p->backend && !strcmp(p->backend, "dpdk")) < 0) {
		snprintf(run->err, sizeof(run->err),
			 "cannot move the veth ends %s dpdk",
			 x->dpdk_ports ? "from" : "to");
		return;
	}
	server = sp_start_server(x, p, run);
	if (server < 0)
		goto out;
	err = sp_client(x, p, "ping-pong", "", "pp.log");
	sp_slurp(x, "pp.log", text, sizeof(text));
	if (err) {
		snprintf(run->err, sizeof(run->err),
			 "sockperf ping-pong: exit %d: %.80s", err, text);
		goto out;
	}
	for (i = 0; i < SP_N_PCT; i++) {
		run->pct[i] = sp_value(text, sp_pct_key[i]);
		if (run->pct[i] < 0) {
			snprintf(run->err, sizeof(run->err),
				 "sockperf ping-pong: no '%s' in its output",
				 sp_pct_key[i]);
			goto out;
		}
	}
	rx0 = sp_server_rx(x, p, server);
	err = sp_client(x, p, "throughput", "--mps=max", "tp.log");
	rx1 = sp_server_rx(x, p, server);
	sp_slurp(x, "tp.log", text, sizeof(text));
	if (err) {
		snprintf(run->err, sizeof(run->err),
			 "sockperf throughput: exit %d: %.80s", err, text);
		goto out;
	}
	run->sent_mps = sp_value(text, "Message Rate is ");
	if (run->sent_mps < 0) {
		snprintf(run->err, sizeof(run->err),
			 "sockperf throughput: no message rate in its output");
		goto out;
	}
	/* Per second of -t, as sockperf's own rate (its few warm-up
	 * messages included). */
	run->recv_mps = rx0 >= 0 && rx1 >= rx0 ? (rx1 - rx0) / x->secs : -1;
	run->ok = 1;
out:
	sp_stop_server(server);
	if (g_stop && run->ok) {
		run->ok = 0;
		snprintf(run->err, sizeof(run->err), "interrupted");
	}
	if (sp_xdp_gone(x->t) < 0 && run->ok) {
		run->ok = 0;
		snprintf(run->err, sizeof(run->err),
			 "an XDP program stayed on a veth end");
	}
}

struct sp_summary {
	int ok;
	struct spread pct[SP_N_PCT], sent;
	double recv; /* median; < 0: unknown */
	const char *err;
};

static void sp_summarize(const struct sp_run *runs, unsigned int reps,
			 struct sp_summary *s)
{
	double v[reps], recv[reps];
	unsigned int i, k, nr = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < reps; i++)
		if (!runs[i].ok) {
			s->err = runs[i].err;
			return;
		}
	s->ok = 1;
	for (k = 0; k < SP_N_PCT; k++) {
		for (i = 0; i < reps; i++)
			v[i] = runs[i].pct[k];
		s->pct[k] = spread_of(v, reps);
	}
	for (i = 0; i < reps; i++) {
		v[i] = runs[i].sent_mps;
		if (runs[i].recv_mps >= 0)
			recv[nr++] = runs[i].recv_mps;
	}
	s->sent = spread_of(v, reps);
	s->recv = nr == reps ? median(recv, nr) : -1;
}

static void sp_table(struct sp_ctx *x, struct sp_run *const *runs)
{
	unsigned int c, k, reps = x->cfg->reps;

	printf("\n%-19s %8s %8s %8s %8s %9s %11s %23s %11s\n", "path", "p50 us",
	       "p90 us", "p99 us", "p99.9 us", "max us", "sent msg/s",
	       "(min - max)", "recv msg/s");
	for (c = 0; c < SP_PATHS; c++) {
		struct sp_summary s;
		char range[48], recv[24];

		sp_summarize(runs[c], reps, &s);
		if (!s.ok) {
			printf("%-19s FAILED: %s\n", sp_paths[c].name, s.err);
			continue;
		}
		printf("%-19s", sp_paths[c].name);
		for (k = 0; k < SP_N_PCT; k++)
			printf(" %*.2f", k == SP_MAX ? 9 : 8, s.pct[k].med);
		snprintf(range, sizeof(range), "(%.0f - %.0f)", s.sent.min,
			 s.sent.max);
		if (s.recv >= 0)
			snprintf(recv, sizeof(recv), "%.0f", s.recv);
		else
			snprintf(recv, sizeof(recv), "?");
		printf(" %11.0f %23s %11s\n", s.sent.med, range, recv);
	}
	printf("\nlatency: sockperf ping-pong's percentiles of the round trip "
	       "/ 2, medians over\nthe reps; sent msg/s: sockperf "
	       "throughput's message rate (median, min - max);\nrecv msg/s: "
	       "what the server received per second meanwhile, by its own "
	       "count\n(hotsock-stat under the preload, UDP InDatagrams "
	       "without), median.\n");
}

static void sp_json(FILE *f, struct sp_ctx *x, struct sp_run *const *runs)
{
	unsigned int c, k, i, reps = x->cfg->reps;

	fprintf(f,
		"{\"config\": {\"msg_size\": %zu, \"seconds\": %d, "
		"\"reps\": %u, \"server_cpu\": %d, \"client_cpu\": %d},\n"
		"  \"results\": [\n",
		x->size, x->secs, reps, x->cfg->tx_cpu, x->cfg->rx_cpu);
	for (c = 0; c < SP_PATHS; c++) {
		struct sp_summary s;

		sp_summarize(runs[c], reps, &s);
		fprintf(f, "    {\"path\": ");
		json_str(f, sp_paths[c].name);
		fprintf(f, ", \"backend\": ");
		json_str(f, sp_paths[c].backend ? sp_paths[c].backend : "-");
		fprintf(f, ", \"preload\": %s, \"ok\": %s, ",
			sp_paths[c].backend ? "true" : "false",
			s.ok ? "true" : "false");
		if (s.ok) {
			for (k = 0; k < SP_N_PCT; k++)
				fprintf(f,
					"\"%s\": {\"median\": %.3f, \"min\": "
					"%.3f, \"max\": %.3f}, ",
					sp_pct_json[k], s.pct[k].med,
					s.pct[k].min, s.pct[k].max);
			fprintf(f,
				"\"sent_msg_s\": {\"median\": %.0f, \"min\": "
				"%.0f, \"max\": %.0f}, ",
				s.sent.med, s.sent.min, s.sent.max);
			if (s.recv >= 0)
				fprintf(f, "\"recv_msg_s_median\": %.0f, ",
					s.recv);
		}
		fprintf(f, "\"runs\": [");
		for (i = 0; i < reps; i++) {
			const struct sp_run *r = &runs[c][i];

			json_run_open(f, !i, r->ok);
			if (!r->ok) {
				json_error(f, r->err);
				continue;
			}
			for (k = 0; k < SP_N_PCT; k++)
				fprintf(f, ", \"%s\": %.3f", sp_pct_json[k],
					r->pct[k]);
			fprintf(f, ", \"sent_msg_s\": %.0f", r->sent_mps);
			if (r->recv_mps >= 0)
				fprintf(f, ", \"recv_msg_s\": %.0f",
					r->recv_mps);
			fprintf(f, "}");
		}
		fprintf(f, "]}%s\n", c + 1 < SP_PATHS ? "," : "");
	}
	fprintf(f, "  ]}");
}

static void sp_plots(struct sp_ctx *x, struct sp_run *const *runs)
{
	struct plot_label labels[SP_PATHS];
	double v[SP_PATHS * SP_N_PCT];
	struct plot_row rows[SP_PATHS];
	unsigned int c, k, n = 0;

	for (c = 0; c < SP_PATHS; c++) {
		struct sp_summary s;

		sp_summarize(runs[c], x->cfg->reps, &s);
		if (!s.ok)
			continue;
		labels[n] = (struct plot_label){ NULL, sp_paths[c].name, NULL };
		for (k = 0; k < SP_N_PCT; k++)
			v[n * SP_N_PCT + k] = s.pct[k].med;
		rows[n] = (struct plot_row){ labels[n], s.sent };
		n++;
	}
	plot_groups(x->cfg, "sockperf-latency.png",
		    "sockperf ping-pong, half round trip (median over the "
		    "reps)",
		    "microseconds (log scale)", labels, n, sp_pct_name,
		    SP_N_PCT, v, 1);
	plot_bars(x->cfg, "sockperf-throughput.png",
		  "sockperf throughput, client message rate (median, min-max)",
		  "messages per second", rows, n, 0);
}

/* @path, if it is a file we may run or read. */
static int sp_usable(const char *path, int mode)
{
	return access(path, mode) == 0;
}

int workload_sockperf(struct hsk_topo *t, struct config *cfg, FILE *json)
{
	struct sp_run *runs[SP_PATHS];
	struct sp_ctx x = { 0 };
	const char *tmp = getenv("TMPDIR");
	double t_start = now();
	unsigned int c, rep;
	int status = 0;

	x.t = t;
	x.cfg = cfg;
	x.preload = getenv("HOTSOCK_BENCH_PRELOAD");
	x.stat = getenv("HOTSOCK_BENCH_STAT");
	if (!x.preload || !*x.preload)
		x.preload = HSK_BENCH_PRELOAD;
	if (!x.stat || !*x.stat)
		x.stat = HSK_BENCH_STAT;
	x.secs = cfg->duration < 1.5 ? 1 : (int)(cfg->duration + 0.5);
	x.size = cfg->size < SP_MIN_SIZE ? SP_MIN_SIZE : cfg->size;
	printf("\n== sockperf: UDP/IPv4, %zu-byte messages, server %s (%s), "
	       "client %s (%s)\n",
	       x.size, TOPO_IP4_PEER, t->if_peer, TOPO_IP4_LOCAL, t->if_local);
	if (topo_run_local(t, "command -v sockperf >/dev/null")) {
		printf("sockperf: skipped: no sockperf in PATH\n");
		return 0;
	}
	if (cfg->family != 4)
		printf("sockperf: IPv4 only (--family 6 does not apply)\n");
	if (!sp_usable(x.stat, X_OK)) {
		fprintf(stderr,
			"hotsock-bench: sockperf: no hotsock-stat at %s "
			"(HOTSOCK_BENCH_STAT)\n",
			x.stat);
		return 1;
	}
	snprintf(x.work, sizeof(x.work), "%s/hsk-bench-sockperf-XXXXXX",
		 tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(x.work)) {
		perror("hotsock-bench: sockperf: mkdtemp");
		return 1;
	}
	/* The server's shell ends at once: its server becomes ours. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (c = 0; c < SP_PATHS; c++) {
		runs[c] = calloc(cfg->reps, sizeof(*runs[c]));
		if (!runs[c]) {
			perror("hotsock-bench: calloc");
			while (c--)
				free(runs[c]);
			(void)prctl(PR_SET_CHILD_SUBREAPER, 0);
			rmdir(x.work);
			return 1;
		}
	}
	printf("paths: %u, %u rep(s) each, interleaved; ping-pong then "
	       "throughput, %d s each;\nserver on CPU %d, client on CPU %d\n",
	       (unsigned int)SP_PATHS, cfg->reps, x.secs, cfg->tx_cpu,
	       cfg->rx_cpu);
	fflush(stdout);
	alarm((unsigned int)(cfg->reps * SP_PATHS * (2 * x.secs + SP_SLACK)) +
	      30);
	for (rep = 0; rep < cfg->reps && !g_stop; rep++) {
		for (c = 0; c < SP_PATHS && !g_stop; c++) {
			struct sp_run *r = &runs[c][rep];

			progress("sockperf: rep %u/%u %s", rep + 1, cfg->reps,
				 sp_paths[c].name);
			sp_run_one(&x, &sp_paths[c], r);
			if (r->ok)
				progress("sockperf: rep %u/%u %s: p50 %.2f us, "
					 "%.0f msg/s",
					 rep + 1, cfg->reps, sp_paths[c].name,
					 r->pct[SP_P50], r->sent_mps);
			else
				progress("sockperf: rep %u/%u %s FAILED: %s",
					 rep + 1, cfg->reps, sp_paths[c].name,
					 r->err);
			if (!r->ok)
				status = 1;
		}
	}
	progress_done();
	if (sp_dpdk_ports(&x, 0) < 0) {
		fprintf(stderr, "hotsock-bench: sockperf: the veth ends did "
				"not go back to the kernel\n");
		status = 1;
	}
	alarm(0);
	pin_self(cfg->rx_cpu);
	if (!g_stop) {
		sp_table(&x, runs);
		printf("(%.0f s)\n", now() - t_start);
		if (json)
			sp_json(json, &x, runs);
		if (cfg->plot_dir)
			sp_plots(&x, runs);
	}
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0);
	(void)topo_run_local(t, "rm -rf '%s'", x.work);
	for (c = 0; c < SP_PATHS; c++)
		free(runs[c]);
	return g_stop ? 1 : status;
}
