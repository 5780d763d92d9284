// SPDX-License-Identifier: BSD-3-Clause
/*
 * The pingpong workload: one datagram in flight. A kernel UDP socket in
 * the peer namespace sends every datagram straight back; the contender,
 * in the local namespace, sends one, waits for its echo, and times the
 * round trip into a log-bucketed histogram (hist.c). Contenders:
 *
 *   hotsock hsk_recvfrom   hsk_sendto + hsk_recvfrom (the copy API)
 *   hotsock hsk_recv_zc    hsk_buf_alloc + hsk_send_zc, hsk_recv_zc +
 *                          hsk_buf_release (the zero-copy API)
 *   kernel recvfrom        sendto(2) + recvfrom(2)
 *
 * the hotsock ones once per backend (dpdk in a child of its own, as in
 * the receive workload), each with busy polling off (the
 * receive blocks) and on (hotsock: busy_poll_us; the kernel, and the
 * echoing socket: SO_BUSY_POLL and a non-blocking receive in a loop).
 * Both ends keep veth's default: each end's receive work runs in its
 * sender's transmit call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hist.h"
#include "hotsock.h"

#define PP_PORT 21000
#define PP_TIMEOUT 0.2 /* s: a datagram not back by then is lost */
#define PP_WARMUP 0.1  /* s */
#define BUSY_POLL_US 50
#define N_PCT 5

enum pp_how { PP_HSK_COPY, PP_HSK_ZC, PP_KERNEL };

struct pp_contender {
	const char *name, *key;
	enum pp_how how;
	const char *backend; /* hotsock: asked of hsk_init() */
	int busy;
};

static const double pct_q[N_PCT] = { 0.50, 0.90, 0.99, 0.999, 1.0 };
static const char *const pct_name[N_PCT] = { "p50", "p90", "p99", "p99.9",
					     "max" };

struct pp_run {
	int ok;
	char err[128];
	uint64_t trips, lost;
	double pct[N_PCT]; /* ns */
};

struct echo {
	int fd;
	int busy;
	int cpu;
	atomic_int stop;
	int err;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The peer's end: every datagram straight back to where it came from. */
static void *echo_main(void *arg)
{
	struct echo *e = arg;
	unsigned char buf[MTU];

	pin_self(e->cpu);
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed) &&
	       !g_stop) {
		struct sockaddr_storage src;
		socklen_t len = sizeof(src);
		ssize_t n = recvfrom(e->fd, buf, sizeof(buf),
				     e->busy ? MSG_DONTWAIT : 0,
				     (struct sockaddr *)&src, &len);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			e->err = errno;
			break;
		}
		if (sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&src,
			   len) < 0 &&
		    errno != EAGAIN && errno != ENOBUFS) {
			e->err = errno;
			break;
		}
	}
	return NULL;
}

struct client {
	const struct pp_contender *c;
	int fd;
	size_t size;
	unsigned char *buf;
	struct sockaddr_storage dst;
	socklen_t dstlen;
};

/* Send @seq, wait for its echo. Return: 1 back, 0 lost, -1 error. */
static int round_trip(struct client *cl, uint64_t seq, double timeout)
{
	size_t size = cl->size < sizeof(seq) ? sizeof(seq) : cl->size;
	uint64_t deadline = now_ns() + (uint64_t)(timeout * 1e9);
	struct hsk_buf b;
	ssize_t n;

	memcpy(cl->buf, &seq, sizeof(seq));
	switch (cl->c->how) {
	case PP_HSK_COPY:
		n = hsk_send(cl->fd, cl->buf, size, 0);
		break;
	case PP_HSK_ZC:
		if (hsk_buf_alloc(cl->fd, &b, 1) != 1)
			return -1;
		memcpy(b.data, cl->buf, size);
		b.len = (uint32_t)size;
		n = hsk_send_zc(cl->fd, &b, 1, NULL, 0, 0);
		if (n != 1)
			hsk_buf_release(cl->fd, &b, 1);
		break;
	default:
		n = send(cl->fd, cl->buf, size, 0);
		break;
	}
	if (n < 0)
		return errno == ENOBUFS || errno == EAGAIN ? 0 : -1;
	for (;;) {
		uint64_t got = ~seq;

		switch (cl->c->how) {
		case PP_HSK_COPY:
			n = hsk_recv(cl->fd, cl->buf, MTU, 0);
			if (n >= (ssize_t)sizeof(got))
				memcpy(&got, cl->buf, sizeof(got));
			break;
		case PP_HSK_ZC:
			n = hsk_recv_zc(cl->fd, &b, 1, 0);
			if (n == 1) {
				if (b.len >= sizeof(got))
					memcpy(&got, b.data, sizeof(got));
				hsk_buf_release(cl->fd, &b, 1);
			}
			break;
		default:
			n = recv(cl->fd, cl->buf, MTU,
				 cl->c->busy ? MSG_DONTWAIT : 0);
			if (n >= (ssize_t)sizeof(got))
				memcpy(&got, cl->buf, sizeof(got));
			break;
		}
		if (n < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR)
			return -1;
		if (n > 0 && got == seq)
			return 1;
		/* An echo of an earlier, timed-out datagram: skip it. */
		if (now_ns() > deadline || g_stop)
			return 0;
	}
}

static int open_client(struct client *cl, struct hsk_topo *t,
		       const struct config *cfg, int port, char *backend,
		       size_t backend_len)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	int busy = BUSY_POLL_US;

	fill_addr(t, cfg->family, 0, port, &cl->dst, &cl->dstlen);
	if (cl->c->how == PP_KERNEL) {
		struct timeval tv = { 0, (suseconds_t)(PP_TIMEOUT * 1e6) };

		snprintf(backend, backend_len, "-");
		cl->fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (cl->fd < 0)
			return -1;
		if (cl->c->busy)
			(void)setsockopt(cl->fd, SOL_SOCKET, SO_BUSY_POLL,
					 &busy, sizeof(busy));
		return setsockopt(cl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				  sizeof(tv)) < 0 ||
				       connect(cl->fd,
					       (struct sockaddr *)&cl->dst,
					       cl->dstlen) < 0 ?
			       -1 :
			       0;
	} else {
		HSK_OPTS(o, .backend = cl->c->backend, .strict = 1,
			 .busy_poll_us = cl->c->busy ? BUSY_POLL_US : 0);
		const char *name;

		if (hsk_init(&o) < 0)
			return -1;
		cl->fd = hsk_socket(domain, SOCK_DGRAM, 0);
		if (cl->fd < 0 || hsk_settimeout(cl->fd, PP_TIMEOUT) < 0 ||
		    hsk_connect(cl->fd, (struct sockaddr *)&cl->dst,
				cl->dstlen) < 0)
			return -1;
		name = hsk_backend_name(cl->fd);
		snprintf(backend, backend_len, "%s", name ? name : "?");
		return 0;
	}
}

static void close_client(struct client *cl)
{
	if (cl->fd >= 0) {
		if (cl->c->how == PP_KERNEL)
			close(cl->fd);
		else
			hsk_close(cl->fd);
	}
	cl->fd = -1;
}

static void pp_fail(struct pp_run *run, const char *what)
{
	snprintf(run->err, sizeof(run->err), "%s: %s", what, strerror(errno));
	run->ok = 0;
}

static void pp_run_one(const struct pp_contender *c, struct hsk_topo *t,
		       const struct config *cfg, int port, struct hist *h,
		       char *backend, size_t backend_len, struct pp_run *run)
{
	struct sockaddr_storage ss;
	struct client cl = { .c = c, .fd = -1, .size = cfg->size };
	struct echo e = { .fd = -1, .busy = c->busy, .cpu = cfg->tx_cpu };
	int busy = BUSY_POLL_US, started = 0, rc;
	struct timeval tv = { 0, 100000 };
	uint64_t seq = 0, t0, end, warm;
	socklen_t sslen;
	pthread_t th;

	memset(run, 0, sizeof(*run));
	run->ok = 1;
	hist_reset(h);
	atomic_init(&e.stop, 0);
	cl.buf = calloc(1, MTU);
	pin_self(cfg->rx_cpu);
	fill_addr(t, cfg->family, 0, port, &ss, &sslen);
	e.fd = topo_peer_socket(t, cfg->family == 6 ? AF_INET6 : AF_INET,
				SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!cl.buf || e.fd < 0 ||
	    bind(e.fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    setsockopt(e.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		pp_fail(run, "echo socket");
		goto out;
	}
	if (c->busy)
		(void)setsockopt(e.fd, SOL_SOCKET, SO_BUSY_POLL, &busy,
				 sizeof(busy));
	if (pthread_create(&th, NULL, echo_main, &e)) {
		pp_fail(run, "pthread_create");
		goto out;
	}
	started = 1;
	if (open_client(&cl, t, cfg, port, backend, backend_len) < 0) {
		pp_fail(run, "client");
		goto out;
	}
	warm = now_ns() + (uint64_t)(PP_WARMUP * 1e9);
	while (now_ns() < warm && !g_stop)
		if (round_trip(&cl, ++seq, PP_TIMEOUT) < 0) {
			pp_fail(run, c->name);
			goto out;
		}
	end = now_ns() + (uint64_t)(cfg->duration * 1e9);
	while (!g_stop) {
		t0 = now_ns();
		if (t0 >= end)
			break;
		rc = round_trip(&cl, ++seq, PP_TIMEOUT);
		if (rc < 0) {
			pp_fail(run, c->name);
			goto out;
		}
		if (rc)
			hist_add(h, now_ns() - t0);
		else
			run->lost++;
	}
	run->trips = h->count;
	for (int i = 0; i < N_PCT; i++)
		run->pct[i] = hist_quantile(h, pct_q[i]);
	if (!h->count) {
		snprintf(run->err, sizeof(run->err), "no datagram came back");
		run->ok = 0;
	}
out:
	close_client(&cl);
	if (started) {
		atomic_store(&e.stop, 1);
		pthread_join(th, NULL);
		if (e.err && run->ok) {
			errno = e.err;
			pp_fail(run, "echo");
		}
	}
	if (e.fd >= 0)
		close(e.fd);
	free(cl.buf);
	/* dpdk's port stays until its child ends: run_dpdk_child() waits. */
	if (c->backend && !dpdk_backend(c->backend) &&
	    wait_xdp_detached(t->ifindex_local) < 0 && run->ok) {
		snprintf(run->err, sizeof(run->err),
			 "an XDP program stayed on %s", t->if_local);
		run->ok = 0;
	}
}

struct pp_msg {
	struct pp_run run;
	char backend[16];
};

struct pp_args {
	const struct pp_contender *c;
	struct hsk_topo *t;
	const struct config *cfg;
	int port;
	struct hist *h;
};

static void pp_run_child(void *arg, void *out)
{
	const struct pp_args *a = arg;
	struct pp_msg *msg = out;

	pp_run_one(a->c, a->t, a->cfg, a->port, a->h, msg->backend,
		   sizeof(msg->backend), &msg->run);
}

/*
 * hotsock on dpdk runs in a child of its own (run_dpdk_child()), the
 * others here. Its port resolves hsk1, and answers the peer kernel's
 * requests for hsk0, itself.
 */
static void pp_contender(const struct pp_contender *c, struct hsk_topo *t,
			 const struct config *cfg, int port, struct hist *h,
			 char *backend, size_t backend_len, struct pp_run *run)
{
	struct pp_args a = { c, t, cfg, port, h };
	struct dpdk_child o = { t, cfg->duration + DPDK_CHILD_SLACK, -1 };
	struct pp_msg msg;

	if (!dpdk_backend(c->backend)) {
		pp_run_one(c, t, cfg, port, h, backend, backend_len, run);
		return;
	}
	memset(run, 0, sizeof(*run));
	memset(&msg, 0, sizeof(msg));
	if (run_dpdk_child(&o, pp_run_child, &a, &msg, sizeof(msg), run->err,
			   sizeof(run->err)) < 0)
		return;
	*run = msg.run;
	snprintf(backend, backend_len, "%s", msg.backend);
}

#define PP_MAX (2 * (2 * MAX_BACKENDS + 1))

static unsigned int make_pp(const struct config *cfg, struct pp_contender *out)
{
	unsigned int n = 0, b, busy;

	for (busy = 0; busy < 2; busy++) {
		for (b = 0; b < cfg->n_backends; b++) {
			if (wanted(cfg, "hsk_recvfrom"))
				out[n++] = (struct pp_contender){
					"hotsock hsk_recvfrom", "hsk_recvfrom",
					PP_HSK_COPY, cfg->backends[b], busy
				};
			if (wanted(cfg, "hsk_recv_zc"))
				out[n++] = (struct pp_contender){
					"hotsock hsk_recv_zc", "hsk_recv_zc",
					PP_HSK_ZC, cfg->backends[b], busy
				};
		}
		if (wanted(cfg, "recvfrom"))
			out[n++] = (struct pp_contender){ "kernel recvfrom",
							  "recvfrom", PP_KERNEL,
							  NULL, busy };
	}
	return n;
}

int workload_pingpong(struct hsk_topo *t, struct config *cfg, FILE *json)
{
	struct pp_contender cs[PP_MAX];
	struct pp_run *runs;
	char backend[PP_MAX][16];
	struct hist *h = malloc(sizeof(*h));
	unsigned int n = make_pp(cfg, cs), c, rep, i, nr;
	int status = 0, port = PP_PORT;
	double t_start = now();

	runs = calloc((size_t)n * cfg->reps, sizeof(*runs));
	if (!runs || !h) {
		free(runs);
		free(h);
		return 1;
	}
	printf("\n== pingpong: UDP/IPv%d, %zu-byte payloads, one datagram in "
	       "flight, %s <-> %s;\n   the peer's kernel socket echoes; "
	       "%u rep(s) x %g s per contender, interleaved;\n   busy poll "
	       "on: %d us (hotsock busy_poll_us, kernel SO_BUSY_POLL and a "
	       "spinning receive)\n",
	       cfg->family, cfg->size,
	       cfg->family == 6 ? TOPO_IP6_LOCAL : TOPO_IP4_LOCAL,
	       cfg->family == 6 ? TOPO_IP6_PEER : TOPO_IP4_PEER, cfg->reps,
	       cfg->duration, BUSY_POLL_US);
	alarm((unsigned int)(cfg->reps * n * (cfg->duration + 5)) + 30);
	for (c = 0; c < n; c++)
		snprintf(backend[c], sizeof(backend[c]), "%s",
			 cs[c].backend ? cs[c].backend : "-");
	for (rep = 0; rep < cfg->reps && !g_stop; rep++)
		for (c = 0; c < n && !g_stop; c++) {
			struct pp_run *r = &runs[c * cfg->reps + rep];

			progress("pingpong: rep %u/%u %s %s busy %s", rep + 1,
				 cfg->reps, cs[c].name, backend[c],
				 cs[c].busy ? "on" : "off");
			pp_contender(&cs[c], t, cfg, port++, h, backend[c],
				     sizeof(backend[c]), r);
			if (!r->ok) {
				status = 1;
				progress("pingpong: %s %s FAILED: %s",
					 cs[c].name, backend[c], r->err);
			}
		}
	progress_done();
	alarm(0);
	free(h);
	if (g_stop) {
		free(runs);
		return 1;
	}

	printf("\n%-20s %-7s %-4s %9s %9s %9s %9s %9s %8s %s\n", "contender",
	       "backend", "busy", "p50 us", "p90 us", "p99 us", "p99.9 us",
	       "max us", "trips/s", "(p50 min - max)");
	if (json)
		fprintf(json,
			"{\"config\": {\"family\": %d, \"size\": %zu, "
			"\"duration\": %g, \"reps\": %u, "
			"\"busy_poll_us\": %d, \"histogram\": "
			"\"log, %u buckets per octave\"},\n   \"results\": [",
			cfg->family, cfg->size, cfg->duration, cfg->reps,
			BUSY_POLL_US, HIST_SUB);
	{
		struct plot_label labels[PP_MAX];
		char busy[PP_MAX][32];
		double v[PP_MAX * N_PCT];

		nr = 0;
		for (c = 0; c < n; c++) {
			double p[N_PCT][cfg->reps], trips[cfg->reps];
			struct spread s[N_PCT], tr;
			unsigned int k = 0;

			for (rep = 0; rep < cfg->reps; rep++) {
				struct pp_run *r = &runs[c * cfg->reps + rep];

				if (!r->ok)
					continue;
				for (i = 0; i < N_PCT; i++)
					p[i][k] = r->pct[i];
				trips[k] = r->trips / cfg->duration;
				k++;
			}
			if (json)
				fprintf(json,
					"%s\n    {\"contender\": \"%s\", "
					"\"backend\": \"%s\", \"busy_poll\": "
					"%s, \"ok\": %s",
					c ? "," : "", cs[c].name, backend[c],
					cs[c].busy ? "true" : "false",
					k == cfg->reps ? "true" : "false");
			if (k < cfg->reps) {
				for (rep = 0; rep < cfg->reps; rep++)
					if (!runs[c * cfg->reps + rep].ok)
						break;
				printf("%-20s %-7s %-4s FAILED: %s\n",
				       cs[c].name, backend[c],
				       cs[c].busy ? "on" : "off",
				       runs[c * cfg->reps + rep].err);
				if (json)
					json_error(
						json,
						runs[c * cfg->reps + rep].err);
				continue;
			}
			for (i = 0; i < N_PCT; i++)
				s[i] = spread_of(p[i], k);
			tr = spread_of(trips, k);
			printf("%-20s %-7s %-4s %9.1f %9.1f %9.1f %9.1f %9.1f "
			       "%8.0f (%.1f - %.1f)\n",
			       cs[c].name, backend[c],
			       cs[c].busy ? "on" : "off", s[0].med / 1e3,
			       s[1].med / 1e3, s[2].med / 1e3, s[3].med / 1e3,
			       s[4].med / 1e3, tr.med, s[0].min / 1e3,
			       s[0].max / 1e3);
			if (json) {
				fprintf(json,
					", \"round_trips_per_s_median\": "
					"%.0f",
					tr.med);
				for (i = 0; i < N_PCT; i++)
					fprintf(json,
						", \"%s_ns\": {\"median\": %.0f, "
						"\"min\": %.0f, \"max\": %.0f}",
						pct_name[i], s[i].med, s[i].min,
						s[i].max);
				fprintf(json, ", \"runs\": [");
				for (rep = 0; rep < cfg->reps; rep++) {
					struct pp_run *r =
						&runs[c * cfg->reps + rep];

					fprintf(json,
						"%s{\"round_trips\": %llu, "
						"\"lost\": %llu",
						rep ? ", " : "",
						(unsigned long long)r->trips,
						(unsigned long long)r->lost);
					for (i = 0; i < N_PCT; i++)
						fprintf(json,
							", \"%s_ns\": %.0f",
							pct_name[i], r->pct[i]);
					fprintf(json, "}");
				}
				fprintf(json, "]}");
			}
			snprintf(busy[nr], sizeof(busy[nr]), "%s, busy %s",
				 backend[c], cs[c].busy ? "on" : "off");
			labels[nr] = (struct plot_label){ NULL, cs[c].name,
							  busy[nr] };
			for (i = 0; i < N_PCT; i++)
				v[nr * N_PCT + i] = s[i].med / 1e3;
			nr++;
		}
		if (json)
			fprintf(json, "\n  ]}");
		printf("percentiles: median over the reps of each rep's "
		       "histogram (log buckets, within\n1/%u of the value); "
		       "(p50 min - max): the spread of p50 over the reps\n"
		       "(%.0f s)\n",
		       2 * HIST_SUB, now() - t_start);
		if (cfg->plot_dir)
			plot_groups(cfg, "pingpong-latency.png",
				    "UDP round trip, one datagram in flight "
				    "(median over the reps)",
				    "microseconds (log scale)", labels, nr,
				    pct_name, N_PCT, v, 1);
	}
	free(runs);
	return status;
}
