// SPDX-License-Identifier: BSD-3-Clause
/*
 * hotsock-bench - UDP receive rate of hotsock and of the kernel, side by
 * side, over a veth pair between two private network namespaces.
 *
 * A kernel sender thread in the peer namespace blasts UDP datagrams with
 * sendmmsg(2) at a receiver in the local namespace. Each contender
 * receives for --duration seconds; the contenders take turns, rep after
 * rep, in one process run, so that they share the same machine state:
 *
 *   hotsock hsk_recvfrom   one datagram per call
 *   hotsock hsk_recvmmsg   --batch datagrams per call
 *   hotsock hsk_recv_zc    --batch lent buffers per call, given back
 *   kernel  recvfrom       recvfrom(2)
 *   kernel  recvmmsg       recvmmsg(2), --batch per call
 *
 * The hotsock receivers run on the backend hotsock picks (HOTSOCK_BACKEND,
 * default auto), or once per backend named with --backend.
 *
 * The table shows datagrams received per second (median and min-max over
 * the reps), the receiver's ns per datagram, and what the sender sent per
 * second over the same window: when a receiver gets close to the sender's
 * rate, the sender is the bottleneck, not the receiver.
 *
 * Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) for the namespaces. Every
 * receive has a timeout, the whole run has a watchdog, and the topology
 * (anonymous namespaces) goes away on exit, SIGINT included.
 *
 * Exit status: 0 ok, 1 failure (including interruption), 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hotsock.h"
#include "topology.h"

#define BATCH_MAX 256
#define PORT_BASE 20000
#define RX_TIMEOUT 0.2 /* s: bounds every receive call */
#define FIRST_PACKET_TIMEOUT 2.0 /* s: for the first datagram of a run */
#define MAX_PAYLOAD 65507
#define MTU 1500 /* the veth pair's */

enum how {
	HSK_RECVFROM,
	HSK_RECVMMSG,
	HSK_RECV_ZC,
	KERN_RECVFROM,
	KERN_RECVMMSG
};

struct contender {
	const char *name;
	int hotsock;
	enum how how;
	const char *backend; /* asked of hsk_init(), or NULL: environment */
};

static const struct contender hotsock_contenders[] = {
	{ "hotsock hsk_recvfrom", 1, HSK_RECVFROM, NULL },
	{ "hotsock hsk_recvmmsg", 1, HSK_RECVMMSG, NULL },
	{ "hotsock hsk_recv_zc", 1, HSK_RECV_ZC, NULL },
};

static const struct contender kernel_contenders[] = {
	{ "kernel recvfrom", 0, KERN_RECVFROM, NULL },
	{ "kernel recvmmsg", 0, KERN_RECVMMSG, NULL },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_BACKENDS 4
#define MAX_CONTENDERS                                   \
	(MAX_BACKENDS * ARRAY_SIZE(hotsock_contenders) + \
	 ARRAY_SIZE(kernel_contenders))

static const char *const backend_names[] = { "auto", "kernel", "af_xdp",
					     "dpdk" };

static struct contender contenders[MAX_CONTENDERS];
static unsigned int n_contenders;

struct config {
	double duration;
	size_t size;
	int family;
	unsigned int reps;
	unsigned int batch;
	const char *json;
	int pin;
	const char *backends[MAX_BACKENDS]; /* --backend, or none */
	unsigned int n_backends;
};

struct run {
	int ok;
	char err[128];
	uint64_t rx, tx; /* datagrams in the measured window */
	double secs;
	double rx_pps, tx_pps;
};

struct result {
	char backend[16];
	struct run *runs; /* [reps] */
};

struct sender {
	int fd;
	size_t size;
	unsigned int batch;
	int cpu;
	atomic_int stop;
	atomic_uint_least64_t sent;
	int err;
};

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_alarm;

static void on_signal(int sig)
{
	static const char msg[] = "hotsock-bench: stopping\n";

	if (g_stop) {
		/* Second signal: the namespaces go away with the process. */
		_exit(1);
	}
	g_stop = 1;
	if (sig == SIGALRM) {
		g_alarm = 1;
		alarm(5);
	}
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing to do */
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort: an unpinned run is still a valid run. */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	unsigned char *payload;
	unsigned int i;

	pin_self(s->cpu);
	payload = malloc(s->size ? s->size : 1);
	if (!payload) {
		s->err = ENOMEM;
		return NULL;
	}
	memset(payload, 0xa5, s->size ? s->size : 1);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < s->batch; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = s->size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) &&
	       !g_stop) {
		int n = sendmmsg(s->fd, msgs, s->batch, 0);

		if (n > 0) {
			atomic_fetch_add_explicit(&s->sent, (unsigned int)n,
						  memory_order_relaxed);
			continue;
		}
		/* Full queues and ICMP errors are part of blasting. */
		if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS ||
		    errno == ECONNREFUSED)
			continue;
		s->err = errno;
		break;
	}
	free(payload);
	return NULL;
}

static void fill_addr(const struct hsk_topo *t, int family, int local, int port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = local ? t->ip6_local : t->ip6_peer;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = local ? t->ip4_local : t->ip4_peer;
		*len = sizeof(*a);
	}
}

struct receiver {
	const struct contender *c;
	int fd;
	size_t size;
	unsigned int batch;
	unsigned char *bufs; /* batch x slot */
	size_t slot;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct hsk_buf zc[BATCH_MAX];
	uint64_t bad; /* datagrams of the wrong length */
	unsigned int sink;
};

/*
 * One receive call of the contender's kind. Return: datagrams received
 * (>= 1), or -1 with errno.
 */
static int receive(struct receiver *r)
{
	unsigned int i;
	ssize_t len;
	int n;

	switch (r->c->how) {
	case HSK_RECVFROM:
	case KERN_RECVFROM: {
		struct sockaddr_storage src;
		socklen_t srclen = sizeof(src);

		if (r->c->how == HSK_RECVFROM)
			len = hsk_recvfrom(r->fd, r->bufs, r->slot, 0,
					   (struct sockaddr *)&src, &srclen);
		else
			len = recvfrom(r->fd, r->bufs, r->slot, 0,
				       (struct sockaddr *)&src, &srclen);
		if (len < 0)
			return -1;
		if ((size_t)len != r->size)
			r->bad++;
		return 1;
	}
	case HSK_RECVMMSG:
	case KERN_RECVMMSG:
		for (i = 0; i < r->batch; i++)
			r->msgs[i].msg_hdr.msg_flags = 0;
		if (r->c->how == HSK_RECVMMSG)
			n = hsk_recvmmsg(r->fd, r->msgs, r->batch,
					 MSG_WAITFORONE, NULL);
		else
			n = recvmmsg(r->fd, r->msgs, r->batch, MSG_WAITFORONE,
				     NULL);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		for (i = 0; i < (unsigned int)n; i++)
			if (r->msgs[i].msg_len != r->size)
				r->bad++;
		return n;
	case HSK_RECV_ZC:
		n = hsk_recv_zc(r->fd, r->zc, r->batch, 0);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		for (i = 0; i < (unsigned int)n; i++) {
			if (r->zc[i].len != r->size ||
			    (r->zc[i].flags & HSK_BUF_TRUNC))
				r->bad++;
			else if (r->size)
				r->sink += ((unsigned char *)r->zc[i].data)[0];
		}
		if (hsk_buf_release(r->fd, r->zc, (unsigned int)n) < 0)
			return -1;
		return n;
	}
	errno = EINVAL;
	return -1;
}

static int open_receiver(struct receiver *r, const struct hsk_topo *t,
			 const struct config *cfg, int port, char *backend,
			 size_t backend_len)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int rcvbuf = 4 << 20;
	unsigned int i;

	fill_addr(t, cfg->family, 1, port, &ss, &sslen);
	snprintf(backend, backend_len, "%s",
		 !r->c->hotsock ? "-" :
		 r->c->backend	? r->c->backend :
				  "?");
	if (r->c->hotsock && r->c->backend) {
		/* Strict: a backend that cannot serve fails, visibly. */
		HSK_OPTS(o, .backend = r->c->backend, .strict = 1);

		if (hsk_init(&o) < 0)
			return -1;
	}
	if (r->c->hotsock) {
		r->fd = hsk_socket(domain, SOCK_DGRAM, 0);
		if (r->fd < 0)
			return -1;
		/* The same socket buffer as the kernel contenders. */
		(void)hsk_setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				     sizeof(rcvbuf));
		if (hsk_bind(r->fd, (struct sockaddr *)&ss, sslen) < 0 ||
		    hsk_settimeout(r->fd, RX_TIMEOUT) < 0)
			return -1;
		snprintf(backend, backend_len, "%s",
			 hsk_backend_name(r->fd) ? hsk_backend_name(r->fd) :
						   "?");
	} else {
		struct timeval tv = { 0, (suseconds_t)(RX_TIMEOUT * 1e6) };

		r->fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->fd < 0)
			return -1;
		(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
		if (bind(r->fd, (struct sockaddr *)&ss, sslen) < 0 ||
		    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
			       sizeof(tv)) < 0)
			return -1;
		snprintf(backend, backend_len, "-");
	}

	r->slot = r->size + 64; /* room to see a datagram that is too long */
	r->bufs = malloc(r->slot * r->batch);
	if (!r->bufs)
		return -1;
	memset(r->msgs, 0, sizeof(r->msgs));
	for (i = 0; i < r->batch; i++) {
		r->iov[i].iov_base = r->bufs + i * r->slot;
		r->iov[i].iov_len = r->slot;
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void close_receiver(struct receiver *r)
{
	if (r->fd >= 0) {
		if (r->c->hotsock)
			hsk_close(r->fd);
		else
			close(r->fd);
	}
	r->fd = -1;
	free(r->bufs);
	r->bufs = NULL;
}

static int open_sender(struct sender *s, struct hsk_topo *t,
		       const struct config *cfg, int port)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	struct timeval tv = { 0, 100000 };
	struct sockaddr_storage ss;
	socklen_t sslen;

	s->fd = topo_peer_socket(t, domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	fill_addr(t, cfg->family, 1, port, &ss, &sslen);
	/* A send never blocks for long, so the thread sees its stop flag. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&ss, sslen) < 0)
		return -1;
	return 0;
}

static void fail(struct run *run, const char *what)
{
	snprintf(run->err, sizeof(run->err), "%s: %s", what, strerror(errno));
	run->ok = 0;
}

/* One contender, one rep. */
static void run_one(const struct contender *c, struct hsk_topo *t,
		    const struct config *cfg, int port, int rx_cpu, int tx_cpu,
		    char *backend, size_t backend_len, struct run *run)
{
	struct receiver r;
	struct sender s;
	uint64_t rx = 0, tx0, tx1;
	double t0, t1, deadline;
	sigset_t all, old;
	pthread_t th;
	int started = 0, one_per_call;
	unsigned int iter = 0;
	int n;

	memset(run, 0, sizeof(*run));
	run->ok = 1;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.fd = -1;
	r.size = cfg->size;
	one_per_call = c->how == HSK_RECVFROM || c->how == KERN_RECVFROM;
	r.batch = one_per_call ? 1 : cfg->batch;
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.size = cfg->size;
	s.batch = cfg->batch;
	s.cpu = tx_cpu;
	atomic_init(&s.stop, 0);
	atomic_init(&s.sent, 0);

	if (open_receiver(&r, t, cfg, port, backend, backend_len) < 0) {
		fail(run, "receiver");
		goto out;
	}
	if (open_sender(&s, t, cfg, port) < 0) {
		fail(run, "sender");
		goto out;
	}
	/* The sender ignores signals: they are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	errno = pthread_create(&th, NULL, sender_main, &s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno) {
		fail(run, "pthread_create");
		goto out;
	}
	started = 1;
	pin_self(rx_cpu);

	/* Wait for the first datagram, then measure a whole window. */
	deadline = now() + FIRST_PACKET_TIMEOUT;
	for (;;) {
		n = receive(&r);
		if (n > 0)
			break;
		if (g_stop || now() > deadline) {
			errno = g_stop ? EINTR : ETIMEDOUT;
			fail(run, "first datagram");
			goto out;
		}
		if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
	}
	/*
	 * Warm up, so that the window starts with the queues as full as
	 * they will be at its end: what was queued before it is not
	 * counted as received in it.
	 */
	deadline = now() + (cfg->duration < 1 ? cfg->duration / 5 : 0.2);
	while (!g_stop && now() < deadline) {
		n = receive(&r);
		if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
	}
	t0 = now();
	tx0 = atomic_load(&s.sent);
	deadline = t0 + cfg->duration;
	t1 = t0;
	while (!g_stop) {
		n = receive(&r);
		if (n > 0) {
			rx += (unsigned int)n;
			/* Read the clock every 16 calls, not every call. */
			if ((++iter & 15) != 0)
				continue;
		} else if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
			   errno != EINTR) {
			fail(run, c->name);
			goto out;
		}
		t1 = now();
		if (t1 >= deadline)
			break;
	}
	tx1 = atomic_load(&s.sent);
	if (g_stop) {
		errno = EINTR;
		fail(run, "interrupted");
		goto out;
	}
	run->rx = rx;
	run->tx = tx1 - tx0;
	run->secs = t1 - t0;
	run->rx_pps = rx / run->secs;
	run->tx_pps = run->tx / run->secs;
	if (r.bad) {
		snprintf(run->err, sizeof(run->err),
			 "%llu datagrams of the wrong length",
			 (unsigned long long)r.bad);
		run->ok = 0;
	} else if (!rx) {
		snprintf(run->err, sizeof(run->err), "nothing received");
		run->ok = 0;
	}
out:
	if (started) {
		atomic_store(&s.stop, 1);
		pthread_join(th, NULL);
		if (s.err && run->ok) {
			errno = s.err;
			fail(run, "sendmmsg");
		}
	}
	if (s.fd >= 0)
		close(s.fd);
	close_receiver(&r);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct summary {
	int ok;
	double med, min, max, tx_med, ratio_med; /* ratio: rx / sent */
};

static void summarize(const struct result *res, unsigned int reps,
		      struct summary *sum)
{
	double rx[reps], tx[reps], ratio[reps];
	unsigned int i, n = 0;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < reps; i++) {
		if (!res->runs[i].ok)
			return;
		rx[n] = res->runs[i].rx_pps;
		tx[n] = res->runs[i].tx_pps;
		ratio[n] = res->runs[i].tx ?
				   (double)res->runs[i].rx / res->runs[i].tx :
				   0;
		n++;
	}
	qsort(rx, n, sizeof(rx[0]), cmp_double);
	qsort(tx, n, sizeof(tx[0]), cmp_double);
	qsort(ratio, n, sizeof(ratio[0]), cmp_double);
	sum->ok = 1;
	sum->min = rx[0];
	sum->max = rx[n - 1];
	sum->med = n % 2 ? rx[n / 2] : (rx[n / 2 - 1] + rx[n / 2]) / 2;
	sum->tx_med = n % 2 ? tx[n / 2] : (tx[n / 2 - 1] + tx[n / 2]) / 2;
	sum->ratio_med = n % 2 ? ratio[n / 2] :
				 (ratio[n / 2 - 1] + ratio[n / 2]) / 2;
}

static void print_table(const struct config *cfg, struct result *res)
{
	unsigned int c, i;

	printf("\n%-22s %-8s %12s %23s %8s %12s %8s\n", "contender", "backend",
	       "rx pps (med)", "(min - max)", "ns/pkt", "sent pps", "rx/sent");
	for (c = 0; c < n_contenders; c++) {
		struct summary s;
		char range[48];

		summarize(&res[c], cfg->reps, &s);
		if (!s.ok) {
			for (i = 0; i < cfg->reps; i++)
				if (!res[c].runs[i].ok)
					break;
			printf("%-22s %-8s FAILED: %s\n", contenders[c].name,
			       res[c].backend, res[c].runs[i].err);
			continue;
		}
		snprintf(range, sizeof(range), "(%.0f - %.0f)", s.min, s.max);
		printf("%-22s %-8s %12.0f %23s %8.0f %12.0f %7.1f%%\n",
		       contenders[c].name, res[c].backend, s.med, range,
		       1e9 / s.med, s.tx_med, 100.0 * s.ratio_med);
	}
	printf("\nrx pps: datagrams received per second; ns/pkt: 1e9 / rx pps;"
	       "\nsent pps: what the sender sent in the same window (after a "
	       "warm-up);\nrx/sent: median over the reps of received / sent. "
	       "Near 100%% means the\nsender, not the receiver, is the "
	       "bottleneck.\n");
}

static int write_json(const struct config *cfg, const struct result *res,
		      const struct utsname *un, int rx_cpu, int tx_cpu)
{
	FILE *f = fopen(cfg->json, "w");
	unsigned int c, i;

	if (!f)
		return -1;
	fprintf(f, "{\n  \"tool\": \"hotsock-bench\",\n");
	fprintf(f, "  \"hotsock_version\": \"%d.%d\",\n", HSK_VERSION_MAJOR,
		HSK_VERSION_MINOR);
	fprintf(f, "  \"kernel\": \"%s\",\n  \"machine\": \"%s\",\n",
		un->release, un->machine);
	fprintf(f, "  \"online_cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f,
		"  \"config\": {\"family\": %d, \"size\": %zu, "
		"\"duration\": %g, \"reps\": %u, \"batch\": %u, "
		"\"rx_cpu\": %d, \"tx_cpu\": %d},\n",
		cfg->family, cfg->size, cfg->duration, cfg->reps, cfg->batch,
		rx_cpu, tx_cpu);
	fprintf(f, "  \"results\": [\n");
	for (c = 0; c < n_contenders; c++) {
		struct summary s;

		summarize(&res[c], cfg->reps, &s);
		fprintf(f, "    {\"contender\": \"%s\", \"backend\": \"%s\", ",
			contenders[c].name, res[c].backend);
		fprintf(f, "\"ok\": %s, ", s.ok ? "true" : "false");
		if (s.ok)
			fprintf(f,
				"\"rx_pps_median\": %.0f, \"rx_pps_min\": %.0f, "
				"\"rx_pps_max\": %.0f, \"ns_per_packet\": %.1f, "
				"\"tx_pps_median\": %.0f, "
				"\"rx_over_tx_median\": %.4f, ",
				s.med, s.min, s.max, 1e9 / s.med, s.tx_med,
				s.ratio_med);
		fprintf(f, "\"runs\": [");
		for (i = 0; i < cfg->reps; i++) {
			const struct run *r = &res[c].runs[i];

			fprintf(f, "%s{\"ok\": %s, ", i ? ", " : "",
				r->ok ? "true" : "false");
			if (r->ok)
				fprintf(f,
					"\"rx_packets\": %llu, "
					"\"tx_packets\": %llu, "
					"\"seconds\": %.6f, \"rx_pps\": %.0f, "
					"\"tx_pps\": %.0f}",
					(unsigned long long)r->rx,
					(unsigned long long)r->tx, r->secs,
					r->rx_pps, r->tx_pps);
			else /* err holds strerror text: no quotes */
				fprintf(f, "\"error\": \"%s\"}", r->err);
		}
		fprintf(f, "]}%s\n", c + 1 < n_contenders ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hotsock-bench [options]\n"
		"\n"
		"UDP receive rate: hotsock (hsk_recvfrom, hsk_recvmmsg, "
		"hsk_recv_zc) and the\n"
		"kernel (recvfrom, recvmmsg), fed by a kernel sendmmsg sender "
		"in a peer network\n"
		"namespace over a veth pair (198.18.0.2 -> 198.18.0.1, or "
		"2001:2::2 -> 2001:2::1).\n"
		"Runs as root; builds and removes its own namespaces.\n"
		"\n"
		"  -d, --duration SEC   seconds per contender and rep "
		"(default 3)\n"
		"  -s, --size BYTES     UDP payload bytes (default 64; at most "
		"1472 for IPv4,\n"
		"                       1452 for IPv6: no fragments)\n"
		"  -f, --family 4|6     IP version (default 4)\n"
		"  -r, --reps N         reps of every contender, interleaved "
		"(default 3)\n"
		"  -b, --batch N        datagrams per sendmmsg, recvmmsg and "
		"hsk_recv_zc call\n"
		"                       (default 32, at most %d)\n"
		"  -j, --json FILE      also write the results as JSON\n"
		"  -B, --backend LIST   run the hotsock receivers once per "
		"backend, e.g.\n"
		"                       kernel,af_xdp (strict: a backend that "
		"cannot serve\n"
		"                       fails); default: once, as "
		"HOTSOCK_BACKEND says\n"
		"      --no-pin         do not pin receiver and sender to "
		"two CPUs\n"
		"  -h, --help           this text\n"
		"\n"
		"Without --backend, hotsock picks its backend as for any "
		"program\n(HOTSOCK_BACKEND, default auto); the table shows "
		"which one served.\n"
		"Exit status: 0 ok, 1 failure, 2 bad usage.\n",
		BATCH_MAX);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
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
		if (i == ARRAY_SIZE(backend_names))
			return -1;
		for (j = 0; j < cfg->n_backends; j++)
			if (cfg->backends[j] == backend_names[i])
				return -1;
		cfg->backends[cfg->n_backends++] = backend_names[i];
	}
	return cfg->n_backends ? 0 : -1;
}

/* The hotsock contenders once per backend, then the kernel ones. */
static void make_contenders(const struct config *cfg)
{
	unsigned int b, i, nb = cfg->n_backends ? cfg->n_backends : 1;

	n_contenders = 0;
	for (b = 0; b < nb; b++) {
		for (i = 0; i < ARRAY_SIZE(hotsock_contenders); i++) {
			contenders[n_contenders] = hotsock_contenders[i];
			contenders[n_contenders].backend =
				cfg->n_backends ? cfg->backends[b] : NULL;
			n_contenders++;
		}
	}
	for (i = 0; i < ARRAY_SIZE(kernel_contenders); i++)
		contenders[n_contenders++] = kernel_contenders[i];
}

/* Two CPUs of our affinity mask for receiver and sender, or -1. */
static void choose_cpus(int pin, int *rx_cpu, int *tx_cpu)
{
	cpu_set_t set;
	int cpu, found = 0;

	*rx_cpu = *tx_cpu = -1;
	if (!pin || sched_getaffinity(0, sizeof(set), &set) < 0 ||
	    CPU_COUNT(&set) < 2)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (found++ == 0)
			*rx_cpu = cpu;
		else
			*tx_cpu = cpu;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "family", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", required_argument, NULL, 'j' },
		{ "backend", required_argument, NULL, 'B' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg = { 0 };
	struct result res[MAX_CONTENDERS];
	struct hsk_topo topo;
	struct sigaction sa;
	struct utsname un;
	unsigned long v;
	unsigned int c, rep;
	int opt, err, rx_cpu, tx_cpu, status = 0, port = PORT_BASE;
	size_t max_size;

	cfg.duration = 3.0;
	cfg.size = 64;
	cfg.family = 4;
	cfg.reps = 3;
	cfg.batch = 32;
	cfg.pin = 1;
	while ((opt = getopt_long(argc, argv, "d:s:f:r:b:j:B:h", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'd':
			if (parse_double(optarg, 0.01, 3600, &cfg.duration)) {
				fprintf(stderr,
					"hotsock-bench: bad --duration "
					"'%s' (0.01..3600 s)\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_uint(optarg, 0, MAX_PAYLOAD, &v)) {
				fprintf(stderr,
					"hotsock-bench: bad --size '%s'\n",
					optarg);
				return 2;
			}
			cfg.size = v;
			break;
		case 'f':
			if (strcmp(optarg, "4") && strcmp(optarg, "6")) {
				fprintf(stderr,
					"hotsock-bench: --family is 4 "
					"or 6, not '%s'\n",
					optarg);
				return 2;
			}
			cfg.family = optarg[0] - '0';
			break;
		case 'r':
			if (parse_uint(optarg, 1, 1000, &v)) {
				fprintf(stderr,
					"hotsock-bench: bad --reps "
					"'%s' (1..1000)\n",
					optarg);
				return 2;
			}
			cfg.reps = v;
			break;
		case 'b':
			if (parse_uint(optarg, 1, BATCH_MAX, &v)) {
				fprintf(stderr,
					"hotsock-bench: bad --batch "
					"'%s' (1..%d)\n",
					optarg, BATCH_MAX);
				return 2;
			}
			cfg.batch = v;
			break;
		case 'j':
			cfg.json = optarg;
			break;
		case 'B':
			if (parse_backends(optarg, &cfg)) {
				fprintf(stderr,
					"hotsock-bench: bad --backend '%s' "
					"(a list of auto, kernel, af_xdp, "
					"dpdk)\n",
					optarg);
				return 2;
			}
			break;
		case 'P':
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
	if (optind < argc) {
		fprintf(stderr,
			"hotsock-bench: unexpected argument '%s'; try "
			"'hotsock-bench --help'\n",
			argv[optind]);
		return 2;
	}
	max_size = MTU - (cfg.family == 6 ? 40 : 20) - 8;
	if (cfg.size > max_size) {
		fprintf(stderr,
			"hotsock-bench: --size %zu would fragment: at most %zu "
			"for IPv%d over the 1500-byte MTU\n",
			cfg.size, max_size, cfg.family);
		return 2;
	}

	make_contenders(&cfg);
	memset(res, 0, sizeof(res));
	for (c = 0; c < n_contenders; c++) {
		res[c].runs = calloc(cfg.reps, sizeof(struct run));
		if (!res[c].runs) {
			perror("hotsock-bench: calloc");
			return 1;
		}
		snprintf(res[c].backend, sizeof(res[c].backend), "?");
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: wake blocked calls */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&topo, 0, sizeof(topo));
	err = topo_setup(&topo);
	if (err) {
		fprintf(stderr,
			"hotsock-bench: cannot build the veth topology: "
			"%s%s\n",
			strerror(-err), err == -EPERM ? " (run as root)" : "");
		return 1;
	}

	/* Watchdog: a run that overstays its time is stopped. */
	alarm((unsigned int)(cfg.reps * n_contenders *
			     (cfg.duration + FIRST_PACKET_TIMEOUT + 1)) +
	      30);

	choose_cpus(cfg.pin, &rx_cpu, &tx_cpu);
	uname(&un);
	printf("hotsock-bench: UDP/IPv%d, %zu-byte payloads, %s -> %s over "
	       "veth (%s -> %s)\n",
	       cfg.family, cfg.size,
	       cfg.family == 6 ? TOPO_IP6_PEER : TOPO_IP4_PEER,
	       cfg.family == 6 ? TOPO_IP6_LOCAL : TOPO_IP4_LOCAL, topo.if_peer,
	       topo.if_local);
	printf("sender: one kernel thread, sendmmsg x%u; receivers: batch %u; "
	       "%u rep(s) x %g s per contender, interleaved\n",
	       cfg.batch, cfg.batch, cfg.reps, cfg.duration);
	if (rx_cpu >= 0)
		printf("cpus: receiver on %d, sender on %d (of %ld online); "
		       "kernel %s\n",
		       rx_cpu, tx_cpu, sysconf(_SC_NPROCESSORS_ONLN),
		       un.release);
	else
		printf("cpus: not pinned (%ld online); kernel %s\n",
		       sysconf(_SC_NPROCESSORS_ONLN), un.release);
	fflush(stdout);

	for (rep = 0; rep < cfg.reps && !g_stop; rep++) {
		for (c = 0; c < n_contenders && !g_stop; c++) {
			struct run *run = &res[c].runs[rep];

			run_one(&contenders[c], &topo, &cfg, port++, rx_cpu,
				tx_cpu, res[c].backend, sizeof(res[c].backend),
				run);
			if (run->ok)
				fprintf(stderr,
					"  rep %u/%u %-22s %10.0f pps "
					"(sent %.0f pps)\n",
					rep + 1, cfg.reps, contenders[c].name,
					run->rx_pps, run->tx_pps);
			else
				fprintf(stderr,
					"  rep %u/%u %-22s FAILED: %s\n",
					rep + 1, cfg.reps, contenders[c].name,
					run->err);
			if (!run->ok)
				status = 1;
		}
	}
	alarm(0);
	topo_teardown(&topo);

	if (g_stop) {
		fprintf(stderr, "hotsock-bench: %s; topology removed\n",
			g_alarm ? "watchdog expired" : "interrupted");
		return 1;
	}
	print_table(&cfg, res);
	if (cfg.json && write_json(&cfg, res, &un, rx_cpu, tx_cpu) < 0) {
		fprintf(stderr, "hotsock-bench: cannot write %s: %s\n",
			cfg.json, strerror(errno));
		status = 1;
	}
	for (c = 0; c < n_contenders; c++)
		free(res[c].runs);
	return status;
}
