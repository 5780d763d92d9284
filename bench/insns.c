// SPDX-License-Identifier: BSD-3-Clause
/*
 * The instructions workload: each contender's own cost, noise-free. The
 * bench runs itself once per contender under `valgrind --tool=callgrind
 * --instr-atstart=no` (`--insns-child`); that child builds its own
 * topology, queues --count datagrams for the contender (receive: sent
 * from the peer namespace beforehand, so they wait in the socket buffer,
 * XSK ring or packet ring; transmit: a kernel socket in the peer counts
 * them afterwards), and turns callgrind's instrumentation on for exactly
 * the loop that receives or sends them (CALLGRIND_START/STOP_
 * INSTRUMENTATION). The instructions callgrind counted, divided by the
 * datagrams, are the user-space instructions per datagram: the kernel's
 * work (system calls, the XDP program, copies into the rings) is not in
 * them. The contenders on a DPDK vdev (raw rte_eth, and hotsock's dpdk
 * backend) are the dpdk workload's loops (dpdk.c): no topology, the vdev
 * makes, eats or loops the frames, and on net_ring only the drain of each
 * round is counted. Without valgrind the child runs the same loop
 * uninstrumented: the counts still have to match.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HSK_BENCH_CALLGRIND
#include <valgrind/callgrind.h>
#endif

#include "bench.h"
#include "hotsock.h"

#define INSNS_PORT 23000
#define WARM 64 /* datagrams through the loop before the measured ones */
#define CHILD_TIMEOUT 120 /* s: one child under valgrind */
#define QUIET_NS 0.05	  /* s: for queued datagrams to land */

struct insn_contender {
	const char *name, *key;
	int tx;
	/* hotsock's backend; "libxdp" raw xsk; "net_null", "net_ring" raw
	 * rte_eth and "dpdk:null", "dpdk:ring" hotsock on that vdev (the
	 * dpdk workload's loops); NULL the kernel */
	const char *backend;
};

/* The receive and the send loops, raw floor first. */
static const struct insn_contender insn_all[] = {
	{ "raw xsk", "raw_xsk", 0, "libxdp" },
	{ "raw rte_eth", "raw_rte", 0, "net_null" },
	{ "raw rte_eth", "raw_rte", 0, "net_ring" },
	{ "hotsock packet zc", "hsk_packet_zc", 0, "af_xdp" },
	{ "hotsock packet zc", "hsk_packet_zc", 0, "dpdk:null" },
	{ "hotsock hsk_recv_zc", "hsk_recv_zc", 0, "af_xdp" },
	{ "hotsock hsk_recv_zc", "hsk_recv_zc", 0, "dpdk:ring" },
	{ "hotsock hsk_recvmmsg", "hsk_recvmmsg", 0, "af_xdp" },
	{ "hotsock hsk_recvmmsg", "hsk_recvmmsg", 0, "dpdk:ring" },
	{ "hotsock hsk_recvfrom", "hsk_recvfrom", 0, "af_xdp" },
	{ "hotsock hsk_recv_zc", "hsk_recv_zc", 0, "kernel" },
	{ "hotsock hsk_recvmmsg", "hsk_recvmmsg", 0, "kernel" },
	{ "kernel recvmmsg", "recvmmsg", 0, NULL },
	{ "kernel recvfrom", "recvfrom", 0, NULL },
	{ "raw xsk", "raw_xsk", 1, "libxdp" },
	{ "raw rte_eth", "raw_rte", 1, "net_null" },
	{ "hotsock packet zc", "hsk_packet_zc", 1, "af_xdp" },
	{ "hotsock packet zc", "hsk_packet_zc", 1, "dpdk:null" },
	{ "hotsock hsk_send_zc", "hsk_send_zc", 1, "af_xdp" },
	{ "hotsock hsk_sendmmsg", "hsk_sendmmsg", 1, "af_xdp" },
	{ "hotsock hsk_sendto", "hsk_sendto", 1, "af_xdp" },
	{ "hotsock hsk_sendmmsg", "hsk_sendmmsg", 1, "kernel" },
	{ "kernel sendmmsg", "sendmmsg", 1, NULL },
	{ "kernel sendto", "sendto", 1, NULL },
};

#define N_INSN ARRAY_SIZE(insn_all)

/* One of the dpdk workload's loops (dpdk.c), raw or hotsock? */
static int on_vdev(const struct insn_contender *c)
{
	return c->backend && (!strncmp(c->backend, "net_", 4) ||
			      !strncmp(c->backend, "dpdk:", 5));
}

/* The hotsock backend to ask for, or NULL (raw xsk, kernel, a vdev). */
static const char *hsk_backend(const struct insn_contender *c)
{
	return c->backend && strcmp(c->backend, "libxdp") && !on_vdev(c) ?
		       c->backend :
		       NULL;
}

/* --------------------------------------------------------------------
 * The child: one contender, one counted loop.
 */

static void nap(double secs)
{
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
}

/* @n datagrams from a kernel socket of the peer to hsk0:@port. */
static int peer_send(int fd, size_t size, unsigned int n)
{
	unsigned char payload[MTU];
	struct mmsghdr msgs[32];
	struct iovec iov = { payload, size };
	unsigned int i, sent = 0, tries = 0;

	memset(payload, 0xa5, sizeof(payload));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 32; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < n && tries < 1000) {
		int k = sendmmsg(fd, msgs, n - sent < 32 ? n - sent : 32, 0);

		if (k > 0) {
			sent += (unsigned int)k;
		} else if (errno == ENOBUFS || errno == EAGAIN) {
			tries++;
			nap(0.001);
		} else {
			return -1;
		}
	}
	return sent == n ? 0 : -1;
}

/* Receive until @n arrived or a receive timed out; return how many. */
static unsigned int rx_loop(struct receiver *r, unsigned int n, int *err)
{
	unsigned int got = 0;

	while (got < n && !g_stop) {
		int k = rx_once(r);

		if (k > 0) {
			got += (unsigned int)k;
		} else if (k < 0 && errno != EINTR) {
			if (errno != EAGAIN && errno != ETIMEDOUT)
				*err = errno;
			break;
		}
	}
	return got;
}

/* Send exactly @n (unless a call fails for good); return how many. */
static unsigned int tx_loop(struct txer *s, unsigned int n, int *err)
{
	unsigned int sent = 0, refused = 0;

	while (sent < n && !g_stop && refused < 100000) {
		int k = tx_once(s, n - sent);

		if (k > 0) {
			sent += (unsigned int)k;
		} else if (k < 0 && errno != EAGAIN && errno != ENOBUFS &&
			   errno != EINTR) {
			*err = errno;
			break;
		} else {
			refused++;
		}
	}
	return sent;
}

/* Everything queued on the peer's socket @fd: how many datagrams. */
static unsigned int peer_drain(int fd)
{
	unsigned char buf[MTU];
	unsigned int n = 0;

	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

static int child_rx(const struct insn_contender *c, struct hsk_topo *t,
		    const struct config *cfg)
{
	struct sockaddr_storage dst;
	char backend[16];
	struct receiver *r;
	unsigned int warm, got;
	socklen_t dstlen;
	int fd, err = 0;

	fill_addr(t, cfg->family, 1, INSNS_PORT, &dst, &dstlen);
	r = rx_open(c->key, hsk_backend(c), t, cfg, INSNS_PORT, backend,
		    sizeof(backend));
	fd = topo_peer_socket(t, cfg->family == 6 ? AF_INET6 : AF_INET,
			      SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!r || fd < 0 || connect(fd, (struct sockaddr *)&dst, dstlen) < 0) {
		printf("error: %s %s: %s\n", c->name,
		       c->backend ? c->backend : "-", strerror(errno));
		return 1;
	}
	/* The first datagrams set up what is set up once (neighbours,
	 * rings, lazily made state): not counted. */
	if (peer_send(fd, cfg->size, WARM) < 0) {
		printf("error: peer send: %s\n", strerror(errno));
		return 1;
	}
	nap(QUIET_NS);
	warm = rx_loop(r, WARM, &err);
	if (peer_send(fd, cfg->size, cfg->count) < 0) {
		printf("error: peer send: %s\n", strerror(errno));
		return 1;
	}
	nap(QUIET_NS);
#ifdef HSK_BENCH_CALLGRIND
	CALLGRIND_START_INSTRUMENTATION;
#endif
	got = rx_loop(r, cfg->count, &err);
#ifdef HSK_BENCH_CALLGRIND
	CALLGRIND_STOP_INSTRUMENTATION;
#endif
	printf("backend %s\nwarm %u of %u\npackets %u of %u\n", backend, warm,
	       WARM, got, cfg->count);
	if (err)
		printf("error: %s\n", strerror(err));
	rx_close(r);
	close(fd);
	return got == cfg->count && !err ? 0 : 1;
}

static int child_tx(const struct insn_contender *c, struct hsk_topo *t,
		    const struct config *cfg)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, 100000 };
	int fd, err = 0, rcvbuf = 16 << 20;
	unsigned int warm, sent, counted;
	char backend[16];
	struct txer *s;
	socklen_t sslen;

	fill_addr(t, cfg->family, 0, INSNS_PORT, &ss, &sslen);
	fd = topo_peer_socket(t, cfg->family == 6 ? AF_INET6 : AF_INET,
			      SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		printf("error: peer socket: %s\n", strerror(errno));
		return 1;
	}
	s = tx_open(c->key, hsk_backend(c), t, cfg, INSNS_PORT, backend,
		    sizeof(backend));
	if (!s) {
		printf("error: %s %s: %s\n", c->name,
		       c->backend ? c->backend : "-", strerror(errno));
		return 1;
	}
	warm = tx_loop(s, WARM, &err);
	nap(QUIET_NS);
	warm = peer_drain(fd) == warm ? warm : 0;
#ifdef HSK_BENCH_CALLGRIND
	CALLGRIND_START_INSTRUMENTATION;
#endif
	sent = tx_loop(s, cfg->count, &err);
#ifdef HSK_BENCH_CALLGRIND
	CALLGRIND_STOP_INSTRUMENTATION;
#endif
	/* Let the last ones leave the rings before counting and closing. */
	nap(QUIET_NS);
	counted = peer_drain(fd);
	tx_close(s);
	close(fd);
	printf("backend %s\nwarm %u of %u\npackets %u of %u\ncounted %u\n",
	       backend, warm, WARM, sent, cfg->count, counted);
	if (err)
		printf("error: %s\n", strerror(err));
	return sent && counted == sent && !err ? 0 : 1;
}

/*
 * The dpdk workload's loops: no topology, the vdev makes, eats or loops
 * the frames. On net_ring each round's fill is not counted, its drain is.
 * The port's own counter must agree: every frame sent reached it, and the
 * raw receiver got every frame it pulled (hotsock's may drop some: its
 * figures count them, per frame delivered).
 */
static int child_dpdk(const struct insn_contender *c, const struct config *cfg)
{
#ifdef HSK_BENCH_DPDK
	unsigned int warm = 0, got = 0, q, m;
	struct dk_loop *l;
	uint64_t counted;
	char why[160];
	int err = 0;

	l = dk_open(c->tx, c->key, c->backend, cfg, why, sizeof(why));
	if (!l) {
		printf("error: %s\n", why);
		return 1;
	}
	q = dk_fill(l, WARM, &err);
	if (!err)
		warm = dk_move(l, q, &err);
	dk_port_reset();
	while (got < cfg->count && !err && !g_stop) {
		q = dk_fill(l,
			    cfg->count - got < DK_ROUND ? cfg->count - got :
							  DK_ROUND,
			    &err);
		if (!q)
			break;
#ifdef HSK_BENCH_CALLGRIND
		CALLGRIND_START_INSTRUMENTATION;
#endif
		m = dk_move(l, q, &err);
#ifdef HSK_BENCH_CALLGRIND
		CALLGRIND_STOP_INSTRUMENTATION;
#endif
		got += m;
		if (m < q)
			break;
	}
	counted = dk_port_count(l);
	dk_close(l);
	printf("backend %s\nwarm %u of %u\npackets %u of %u\n"
	       "counted %llu\n",
	       c->backend, warm, WARM, got, cfg->count,
	       (unsigned long long)counted);
	if (err)
		printf("error: %s\n", strerror(err));
	return got == cfg->count && !err &&
			       (counted == got ||
				(!c->tx && strcmp(c->key, "raw_rte"))) ?
		       0 :
		       1;
#else
	(void)c;
	(void)cfg;
	printf("error: built without DPDK (libdpdk)\n");
	return 1;
#endif
}

int insns_child(const char *key, const struct config *cfg)
{
	unsigned int i;
	struct hsk_topo topo;
	int err, rc;

	for (i = 0; i < N_INSN; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s:%s:%s",
			 insn_all[i].tx ? "tx" : "rx", insn_all[i].key,
			 insn_all[i].backend ? insn_all[i].backend : "-");
		if (!strcmp(name, key))
			break;
	}
	if (i == N_INSN) {
		fprintf(stderr, "hotsock-bench: unknown --insns-child '%s'\n",
			key);
		return 2;
	}
	if (on_vdev(&insn_all[i]))
		return child_dpdk(&insn_all[i], cfg);
	memset(&topo, 0, sizeof(topo));
	err = topo_setup(&topo);
	if (err) {
		printf("error: topology: %s\n", strerror(-err));
		return 1;
	}
	if (static_neighbours(&topo) < 0) {
		printf("error: static neighbours\n");
		topo_teardown(&topo);
		return 1;
	}
	alarm(CHILD_TIMEOUT);
	rc = insn_all[i].tx ? child_tx(&insn_all[i], &topo, cfg) :
			      child_rx(&insn_all[i], &topo, cfg);
	alarm(0);
	topo_teardown(&topo);
	fflush(stdout);
	return rc;
}

/* --------------------------------------------------------------------
 * The parent: one valgrind child per contender, and the table.
 */

struct insn_result {
	int ok;
	char err[160];
	char backend[16];
	unsigned long long ir, packets;
	double per_pkt;
};

/* A line "@tag N ..." of @out: N, or -1. */
static long long find_num(const char *out, const char *tag)
{
	size_t len = strlen(tag);
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, tag, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

/* The "totals:" line of a callgrind output (its "summary:" counts from
 * the start of the program, where instrumentation was off): Ir. */
static long long callgrind_ir(const char *path)
{
	char line[512];
	long long ir = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "totals:", 7))
			ir = strtoll(line + 7, NULL, 10);
	fclose(f);
	return ir;
}

/* Run @argv with stdout into @out (NUL-terminated), bounded in time;
 * return its exit status, or -1. */
static int run_capture(char *const *argv, char *out, size_t out_len,
		       int timeout)
{
	int pfd[2], status = -1;
	size_t used = 0;
	double deadline = now() + timeout;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pfd[1], STDOUT_FILENO);
		/* valgrind's own chatter: away; the child's errors are on
		 * stdout. */
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		signal(SIGINT, SIG_IGN);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(pfd[0], out + used, out_len - 1 - used);
		pid_t w;

		if (n > 0) {
			used += (size_t)n;
			continue;
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (g_stop || now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		nap(0.01);
	}
	while (used < out_len - 1) {
		ssize_t n = read(pfd[0], out + used, out_len - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = 0;
	close(pfd[0]);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_contender(const struct insn_contender *c,
			  const struct config *cfg, const char *self,
			  const char *dir, struct insn_result *res)
{
	char key[64], count[16], size[16], family[4], batch[16], outfile[600],
		opt_out[640], out[2048];
	char *argv[24];
	const char *e;
	int n = 0, rc;
	long long ir, pk;

	memset(res, 0, sizeof(*res));
	snprintf(key, sizeof(key), "%s:%s:%s", c->tx ? "tx" : "rx", c->key,
		 c->backend ? c->backend : "-");
	snprintf(count, sizeof(count), "%u", cfg->count);
	snprintf(size, sizeof(size), "%zu", cfg->size);
	snprintf(family, sizeof(family), "%d", cfg->family);
	snprintf(batch, sizeof(batch), "%u", cfg->batch);
	snprintf(outfile, sizeof(outfile), "%s/callgrind.out.%s-%s-%s", dir,
		 c->tx ? "tx" : "rx", c->key,
		 c->backend ? c->backend : "kernel");
	snprintf(opt_out, sizeof(opt_out), "--callgrind-out-file=%s", outfile);
	argv[n++] = (char *)cfg->valgrind;
	argv[n++] = "--tool=callgrind";
	argv[n++] = "--instr-atstart=no";
	argv[n++] = opt_out;
	argv[n++] = (char *)self;
	argv[n++] = "--insns-child";
	argv[n++] = key;
	argv[n++] = "--count";
	argv[n++] = count;
	argv[n++] = "--size";
	argv[n++] = size;
	argv[n++] = "--family";
	argv[n++] = family;
	argv[n++] = "--batch";
	argv[n++] = batch;
	argv[n++] = "--no-pin";
	argv[n] = NULL;
	unlink(outfile);
	rc = run_capture(argv, out, sizeof(out), CHILD_TIMEOUT + 30);
	pk = find_num(out, "packets");
	ir = callgrind_ir(outfile);
	e = strstr(out, "backend ");
	if (e)
		sscanf(e, "backend %15s", res->backend);
	if (rc || pk <= 0 || ir < 0) {
		e = strstr(out, "error: ");
		snprintf(res->err, sizeof(res->err), "%s",
			 e	? e + 7 :
			 rc < 0 ? "timed out or killed" :
			 ir < 0 ? "no callgrind output" :
				  "datagrams missing");
		res->err[strcspn(res->err, "\n")] = 0;
		if (!e && pk >= 0 && rc > 0)
			snprintf(res->err, sizeof(res->err),
				 "only %lld of %u datagrams", pk, cfg->count);
		return;
	}
	res->ok = 1;
	res->ir = (unsigned long long)ir;
	res->packets = (unsigned long long)pk;
	res->per_pkt = (double)ir / (double)pk;
	if (!cfg->keep_callgrind)
		unlink(outfile);
}

/* Index of (@tx, @key, @backend) in insn_all. */
static int find(int tx, const char *key, const char *backend)
{
	unsigned int i;

	for (i = 0; i < N_INSN; i++)
		if (insn_all[i].tx == tx && !strcmp(insn_all[i].key, key) &&
		    !strcmp(insn_all[i].backend ? insn_all[i].backend : "-",
			    backend))
			return (int)i;
	return -1;
}

struct goal {
	const char *what;
	int tx;
	const char *a_key, *a_be, *b_key, *b_be;
	int ratio; /* a / b, else a - b */
	double limit;
};

/* The own-cost goals of issue 5. */
static const struct goal goals[] = {
	{ "AF_PACKET raw frames (af_xdp, zc) / raw xsk, receive", 0,
	  "hsk_packet_zc", "af_xdp", "raw_xsk", "libxdp", 1, 1.10 },
	{ "AF_PACKET raw frames (af_xdp, zc) / raw rte_eth, receive", 0,
	  "hsk_packet_zc", "af_xdp", "raw_rte", "net_null", 1, 1.10 },
	{ "AF_PACKET (dpdk, zc) / raw rte_eth on net_null, receive", 0,
	  "hsk_packet_zc", "dpdk:null", "raw_rte", "net_null", 1, 1.10 },
	{ "AF_PACKET raw frames (af_xdp, zc) / raw xsk, send", 1,
	  "hsk_packet_zc", "af_xdp", "raw_xsk", "libxdp", 1, 1.10 },
	{ "AF_PACKET (dpdk, zc) / raw rte_eth on net_null, send", 1,
	  "hsk_packet_zc", "dpdk:null", "raw_rte", "net_null", 1, 1.10 },
	{ "UDP hsk_recv_zc (af_xdp) - raw xsk, receive", 0, "hsk_recv_zc",
	  "af_xdp", "raw_xsk", "libxdp", 0, 150 },
	{ "UDP hsk_recvmmsg - hsk_recv_zc (af_xdp), receive", 0, "hsk_recvmmsg",
	  "af_xdp", "hsk_recv_zc", "af_xdp", 0, 100 },
	{ "UDP hsk_recv_zc (dpdk) - raw rte_eth on net_ring, receive", 0,
	  "hsk_recv_zc", "dpdk:ring", "raw_rte", "net_ring", 0, 150 },
	{ "UDP hsk_recvmmsg - hsk_recv_zc (dpdk), receive", 0, "hsk_recvmmsg",
	  "dpdk:ring", "hsk_recv_zc", "dpdk:ring", 0, 100 },
	{ "UDP hsk_send_zc (af_xdp) - raw xsk, send", 1, "hsk_send_zc",
	  "af_xdp", "raw_xsk", "libxdp", 0, 150 },
	{ "UDP hsk_sendmmsg - hsk_send_zc (af_xdp), send", 1, "hsk_sendmmsg",
	  "af_xdp", "hsk_send_zc", "af_xdp", 0, 100 },
};

int workload_insns(struct config *cfg, const char *self, FILE *json)
{
	struct insn_result res[N_INSN];
	char dir[600], tmpl[600];
	const char *vg_argv[] = { cfg->valgrind, "--version", NULL };
	char out[256];
	struct plot_row rows[N_INSN];
	int status = 0, ran[N_INSN];
	unsigned int i, nr = 0;
	double t_start = now();

	memset(ran, 0, sizeof(ran));
	printf("\n== instructions: user-space instructions per datagram, "
	       "callgrind (valgrind),\n   %u datagrams of %zu bytes through "
	       "each loop, UDP/IPv%d, batch %u\n",
	       cfg->count, cfg->size, cfg->family, cfg->batch);
#ifndef HSK_BENCH_CALLGRIND
	printf("   not measured: built without valgrind/callgrind.h (install "
	       "valgrind)\n");
	return 0;
#endif
	if (run_capture((char *const *)vg_argv, out, sizeof(out), 30) != 0) {
		printf("   not measured: %s --version fails (install "
		       "valgrind)\n",
		       cfg->valgrind);
		return 0;
	}
	if (cfg->keep_callgrind) {
		snprintf(dir, sizeof(dir), "%s", cfg->keep_callgrind);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			printf("   cannot make %s: %s\n", dir, strerror(errno));
			return 1;
		}
	} else if (snprintf(tmpl, sizeof(tmpl), "%s/hotsock-bench-XXXXXX",
			    getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir),
		   !mkdtemp(tmpl)) {
		printf("   no temporary directory: %s\n", strerror(errno));
		return 1;
	} else {
		snprintf(dir, sizeof(dir), "%s", tmpl);
	}
	for (i = 0; i < N_INSN && !g_stop; i++) {
		const struct insn_contender *c = &insn_all[i];
		const char *be = hsk_backend(c);

		if (!wanted(cfg, c->key) ||
		    (be && !strcmp(be, "af_xdp") && !cfg->af_xdp))
			continue;
#ifndef HSK_BENCH_XSK
		if (!strcmp(c->key, "raw_xsk"))
			continue;
#endif
#ifndef HSK_BENCH_DPDK
		if (on_vdev(c))
			continue;
#endif
		progress("instructions: %s %s %s (%u/%zu)",
			 c->tx ? "send" : "receive", c->name,
			 c->backend ? c->backend : "-", i + 1, N_INSN);
		run_contender(c, cfg, self, dir, &res[i]);
		ran[i] = 1;
		if (!res[i].ok)
			status = 1;
	}
	progress_done();
	if (!cfg->keep_callgrind)
		rmdir(dir);
	if (g_stop)
		return 1;

	printf("\n%-8s %-20s %-9s %12s %10s\n", "loop", "contender", "backend",
	       "insns/pkt", "datagrams");
	if (json)
		fprintf(json,
			"{\"config\": {\"count\": %u, \"size\": %zu, "
			"\"family\": %d, \"batch\": %u, \"tool\": "
			"\"valgrind --tool=callgrind\", \"cycles\": "
			"\"not available\"},\n   \"results\": [",
			cfg->count, cfg->size, cfg->family, cfg->batch);
	for (i = 0; i < N_INSN; i++) {
		const struct insn_contender *c = &insn_all[i];

		if (!ran[i])
			continue;
		if (json) {
			fprintf(json,
				"%s\n    {\"loop\": \"%s\", \"contender\": "
				"\"%s\", \"backend\": \"%s\", \"ok\": %s",
				nr ? "," : "", c->tx ? "send" : "receive",
				c->name, c->backend ? c->backend : "-",
				res[i].ok ? "true" : "false");
			if (res[i].ok)
				fprintf(json,
					", \"instructions\": %llu, "
					"\"datagrams\": %llu, "
					"\"instructions_per_datagram\": %.1f}",
					res[i].ir, res[i].packets,
					res[i].per_pkt);
			else
				json_error(json, res[i].err);
		}
		if (!res[i].ok) {
			printf("%-8s %-20s %-9s FAILED: %s\n",
			       c->tx ? "send" : "receive", c->name,
			       c->backend ? c->backend : "-", res[i].err);
			nr++;
			continue;
		}
		printf("%-8s %-20s %-9s %12.1f %10llu\n",
		       c->tx ? "send" : "receive", c->name,
		       c->backend ? c->backend : "-", res[i].per_pkt,
		       res[i].packets);
		nr++;
	}
	if (json)
		fprintf(json, "\n  ],\n   \"goals\": [");
	printf("\ngoals (issue 5), from the figures above:\n");
	for (i = 0; i < ARRAY_SIZE(goals); i++) {
		const struct goal *g = &goals[i];
		int a = find(g->tx, g->a_key, g->a_be);
		int b = find(g->tx, g->b_key, g->b_be);
		double v;

		if (a < 0 || b < 0 || !ran[a] || !ran[b] || !res[a].ok ||
		    !res[b].ok) {
			printf("  %-58s not measured\n", g->what);
			continue;
		}
		v = g->ratio ? res[a].per_pkt / res[b].per_pkt :
			       res[a].per_pkt - res[b].per_pkt;
		printf("  %-58s %8.2f%s (goal <= %g%s) %s\n", g->what, v,
		       g->ratio ? "x" : "", g->limit, g->ratio ? "x" : "",
		       v <= g->limit ? "met" : "MISSED");
		if (json)
			fprintf(json,
				"%s\n    {\"goal\": \"%s\", \"value\": %.3f, "
				"\"limit\": %g, \"met\": %s}",
				i ? "," : "", g->what, v, g->limit,
				v <= g->limit ? "true" : "false");
	}
	if (json)
		fprintf(json, "\n  ]}");
	printf("(the copy API's goal is <= 100 plus the copy itself; cycles "
	       "per datagram: not\navailable, perf cannot count cycles on "
	       "this machine)\n(%.0f s)\n",
	       now() - t_start);
	if (cfg->plot_dir) {
		nr = 0;
		for (i = 0; i < N_INSN; i++)
			if (ran[i] && res[i].ok)
				rows[nr++] = (struct plot_row){
					{ insn_all[i].tx ? "send:" : "recv:",
					  insn_all[i].name,
					  insn_all[i].backend ?
						  insn_all[i].backend :
						  "-" },
					{ res[i].per_pkt, res[i].per_pkt,
					  res[i].per_pkt }
				};
		plot_bars(cfg, "instructions.png",
			  "User-space instructions per datagram (callgrind)",
			  "instructions per datagram (log scale)", rows, nr, 1);
	}
	return status;
}
