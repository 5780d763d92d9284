// SPDX-License-Identifier: BSD-3-Clause
/*
 * The echo workload: forwarding through a UDP socket. An echo process on
 * hsk0 receives datagrams and sends each back to its source; in the peer
 * namespace one XSK on hsk1 (libxdp's program takes every frame) sends
 * one prebuilt frame as fast as its ring takes it and counts the echoes
 * that come back. Echoes:
 *
 *   hotsock recvmmsg+sendmmsg  --batch per hsk_recvmmsg, sent back with
 *                              one hsk_sendmmsg
 *   hotsock recv_zc+send_zc    --batch lent buffers per hsk_recv_zc, each
 *                              copied into a buffer of hsk_buf_alloc (a
 *                              received buffer cannot be sent) and sent
 *                              back with hsk_send_zc
 *   kernel recvmmsg+sendmmsg   recvmmsg(2), sendmmsg(2)
 *
 * the hotsock ones once per backend (dpdk in a child of its own, as in
 * the receive workload). The echo never blocks on a send: what the send
 * refuses is lost, as a forwarder loses it. Each end's kernel receive
 * work runs in a NAPI thread pinned to that end's CPU (unless --napi
 * inline). The figure is echoes counted at the peer per second, with
 * what the peer sent in the same window: the echo side was the
 * bottleneck when less than 95% came back (the peer's own receive drops
 * counted as back) or the peer's sends were held back in 10% of its
 * kicks or more, else the peer.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "hotsock.h"
#ifdef HSK_BENCH_XSK
#include "xsk_raw.h"
#endif

#define ECHO_PORT 23000
#define ECHO_TIMEOUT 0.1       /* s: bounds every receive call */
#define FIRST_ECHO_TIMEOUT 2.0 /* s */
#define PEER_START_TIMEOUT 3.0 /* s */
#define ECHO_WARMUP 0.2	       /* s */
#define ECHOED_BOUND 0.95      /* back / sent from which the peer bounds */
#define ECHO_HELD_BOUND 0.10   /* see receive.c's HELD_BOUND */

enum echo_how { ECHO_HSK_MMSG, ECHO_HSK_ZC, ECHO_KERN_MMSG };

struct echo_contender {
	const char *name, *key;
	enum echo_how how;
	int hotsock;
	const char *backend; /* asked of hsk_init(), or NULL: environment */
};

static const struct echo_contender hsk_echoes[] = {
	{ "hotsock recvmmsg+sendmmsg", "hsk_echo_mmsg", ECHO_HSK_MMSG, 1,
	  NULL },
	{ "hotsock recv_zc+send_zc", "hsk_echo_zc", ECHO_HSK_ZC, 1, NULL },
};

static const struct echo_contender kernel_echo = { "kernel recvmmsg+sendmmsg",
						   "echo_mmsg", ECHO_KERN_MMSG,
						   0, NULL };

#define ECHO_MAX (MAX_BACKENDS * ARRAY_SIZE(hsk_echoes) + 1)

struct echo_run {
	int ok;
	char err[128];
	uint64_t sent, echoed;	  /* at the peer, in the window */
	uint64_t peer_drops;	  /* the peer's XSK: dropped on receive */
	uint64_t kicks, stalls;	  /* the peer's sends, cut short */
	uint64_t rx, tx, refused; /* at the echo, in the window */
	double secs;
};

/* The peer: a thread in the peer namespace, sending and counting. */
struct peer {
	struct hsk_topo *topo;
	int cpu, family;
	unsigned char frame[ETH_HLEN_ + MTU];
	uint32_t frame_len; /* the echoes have the same length */
	atomic_int ready;   /* 1 running, -1 failed (err) */
	atomic_int stop;
	atomic_uint_least64_t sent, echoed, drops, kicks, stalls;
	int err;
};

#ifdef HSK_BENCH_XSK
static void *peer_main(void *arg)
{
	struct peer *p = arg;
	unsigned char solicit[ETH_HLEN_ + 80];
	struct xsk_raw *x;
	uint64_t kicks, stalls;
	unsigned int iter = 0;
	uint32_t n;

	pin_self(p->cpu);
	if (topo_enter_peer(p->topo) < 0) {
		p->err = errno;
		atomic_store(&p->ready, -1);
		return NULL;
	}
	x = xsk_raw_open(p->topo->if_peer, true);
	if (!x) {
		p->err = errno;
		atomic_store(&p->ready, -1);
		return NULL;
	}
	/* Whatever answers on hsk0 learns hsk1's MAC, which it could not
	 * resolve: this XSK takes every frame and answers none. */
	n = build_solicit(solicit, p->topo, p->family);
	if (xsk_raw_tx_one(x, solicit, n) < 0) {
		p->err = errno;
		xsk_raw_close(x);
		atomic_store(&p->ready, -1);
		return NULL;
	}
	xsk_raw_tx_prepare(x, p->frame, p->frame_len);
	atomic_store(&p->ready, 1);
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed) &&
	       !g_stop) {
		n = xsk_raw_tx_burst(x, p->frame_len, UINT_MAX);

		if (n)
			atomic_fetch_add_explicit(&p->sent, n,
						  memory_order_relaxed);
		n = xsk_raw_rx_burst(x, p->frame_len);
		if (n)
			atomic_fetch_add_explicit(&p->echoed, n,
						  memory_order_relaxed);
		if ((++iter & 15) == 0) {
			xsk_raw_tx_stats(x, &kicks, &stalls);
			atomic_store_explicit(&p->kicks, kicks,
					      memory_order_relaxed);
			atomic_store_explicit(&p->stalls, stalls,
					      memory_order_relaxed);
			atomic_store_explicit(&p->drops, xsk_raw_rx_dropped(x),
					      memory_order_relaxed);
		}
	}
	xsk_raw_close(x);
	return NULL;
}

static int start_peer(struct peer *p, struct hsk_topo *t,
		      const struct config *cfg, int port, pthread_t *th)
{
	double deadline = now() + PEER_START_TIMEOUT;
	int err;

	memset(p, 0, sizeof(*p));
	p->topo = t;
	p->cpu = cfg->tx_cpu;
	p->family = cfg->family;
	p->frame_len = build_frame(p->frame, t, cfg->family, 1, XSK_SRC_PORT,
				   port, cfg->size);
	atomic_init(&p->ready, 0);
	atomic_init(&p->stop, 0);
	atomic_init(&p->sent, 0);
	atomic_init(&p->echoed, 0);
	atomic_init(&p->drops, 0);
	atomic_init(&p->kicks, 0);
	atomic_init(&p->stalls, 0);
	err = start_thread(th, peer_main, p);
	if (err) {
		errno = err;
		return -1;
	}
	while (!atomic_load(&p->ready) && now() < deadline && !g_stop)
		usleep(1000);
	if (atomic_load(&p->ready) > 0)
		return 0;
	atomic_store(&p->stop, 1);
	pthread_join(*th, NULL);
	errno = p->err ? p->err : g_stop ? EINTR : ETIMEDOUT;
	return -1;
}

static void stop_peer(struct peer *p, pthread_t th)
{
	atomic_store(&p->stop, 1);
	pthread_join(th, NULL);
}
#endif

struct echoer {
	const struct echo_contender *c;
	int fd;
	unsigned int batch;
	size_t size, slot;
	unsigned char *bufs; /* batch x slot */
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_storage from[BATCH_MAX];
	struct hsk_buf rx[BATCH_MAX], tx[BATCH_MAX];
	uint64_t rx_n, tx_n, refused, bad;
};

static int same_addr(const struct hsk_buf *a, const struct hsk_buf *b)
{
	return a->addrlen == b->addrlen &&
	       !memcmp(&a->addr, &b->addr, a->addrlen);
}

/* recvmmsg, then each datagram back to its source in one sendmmsg: what
 * it refuses is lost. */
static int echo_mmsg(struct echoer *e)
{
	int hsk = e->c->how == ECHO_HSK_MMSG;
	unsigned int i, done = 0;
	int n, m;

	for (i = 0; i < e->batch; i++) {
		e->iov[i].iov_len = e->slot;
		e->msgs[i].msg_hdr.msg_namelen = sizeof(e->from[i]);
		e->msgs[i].msg_hdr.msg_flags = 0;
	}
	n = hsk ? hsk_recvmmsg(e->fd, e->msgs, e->batch, MSG_WAITFORONE, NULL) :
		  recvmmsg(e->fd, e->msgs, e->batch, MSG_WAITFORONE, NULL);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	for (i = 0; i < (unsigned int)n; i++) {
		if (e->msgs[i].msg_len != e->size)
			e->bad++;
		e->iov[i].iov_len = e->msgs[i].msg_len;
	}
	while (done < (unsigned int)n) {
		m = hsk ? hsk_sendmmsg(e->fd, e->msgs + done, n - done,
				       MSG_DONTWAIT) :
			  sendmmsg(e->fd, e->msgs + done, n - done,
				   MSG_DONTWAIT);
		if (m <= 0) {
			if (m < 0 && errno != EAGAIN && errno != ENOBUFS &&
			    errno != ECONNREFUSED)
				return -1;
			break;
		}
		done += (unsigned int)m;
	}
	e->rx_n += (unsigned int)n;
	e->tx_n += done;
	e->refused += (unsigned int)n - done;
	return n;
}

/* hsk_recv_zc, each datagram copied into a transmit buffer, the run of
 * those with one source sent back with one hsk_send_zc. */
static int echo_zc(struct echoer *e)
{
	unsigned int i, j, k, sent = 0;
	int n, m, s;

	n = hsk_recv_zc(e->fd, e->rx, e->batch, 0);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	m = hsk_buf_alloc(e->fd, e->tx, (unsigned int)n);
	if (m < 0) {
		if (errno != ENOBUFS && errno != ENOMEM)
			goto fail;
		m = 0;
	}
	for (i = 0; i < (unsigned int)n; i++)
		if (e->rx[i].len != e->size || (e->rx[i].flags & HSK_BUF_TRUNC))
			e->bad++;
	for (i = 0; i < (unsigned int)m; i++) {
		memcpy(e->tx[i].data, e->rx[i].data, e->rx[i].len);
		e->tx[i].len = e->rx[i].len;
	}
	for (j = 0; j < (unsigned int)m; j = k) {
		for (k = j + 1;
		     k < (unsigned int)m && same_addr(&e->rx[k], &e->rx[j]);
		     k++)
			;
		s = hsk_send_zc(e->fd, e->tx + j, k - j, &e->rx[j].addr.sa,
				e->rx[j].addrlen, MSG_DONTWAIT);
		if (s < 0) {
			if (errno != EAGAIN && errno != ENOBUFS)
				goto fail;
			s = 0;
		}
		sent += (unsigned int)s;
		/* What was not sent is still lent: give it back, lost. */
		if ((unsigned int)s < k - j &&
		    hsk_buf_release(e->fd, e->tx + j + s, k - j - s) < 0)
			goto fail;
	}
	if (hsk_buf_release(e->fd, e->rx, (unsigned int)n) < 0)
		return -1;
	e->rx_n += (unsigned int)n;
	e->tx_n += sent;
	e->refused += (unsigned int)n - sent;
	return n;
fail:
	s = errno;
	(void)hsk_buf_release(e->fd, e->rx, (unsigned int)n);
	errno = s;
	return -1;
}

/* One receive and its echoes: datagrams received, or -1 with errno. */
static int echo_once(struct echoer *e)
{
	return e->c->how == ECHO_HSK_ZC ? echo_zc(e) : echo_mmsg(e);
}

static int open_echoer(struct echoer *e, const struct hsk_topo *t,
		       const struct config *cfg, int port, char *backend,
		       size_t backend_len)
{
	int domain = cfg->family == 6 ? AF_INET6 : AF_INET;
	int bufsize = 4 << 20;
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned int i;

	fill_addr(t, cfg->family, 1, port, &ss, &sslen);
	e->slot = e->size + 64; /* room to see a datagram that is too long */
	e->bufs = malloc(e->slot * e->batch);
	if (!e->bufs)
		return -1;
	memset(e->msgs, 0, sizeof(e->msgs));
	for (i = 0; i < e->batch; i++) {
		e->iov[i].iov_base = e->bufs + i * e->slot;
		e->msgs[i].msg_hdr.msg_iov = &e->iov[i];
		e->msgs[i].msg_hdr.msg_iovlen = 1;
		e->msgs[i].msg_hdr.msg_name = &e->from[i];
	}
	if (e->c->hotsock) {
		HSK_OPTS(o, .backend = e->c->backend, .strict = 1);
		const char *name;

		if (e->c->backend && hsk_init(&o) < 0)
			return -1;
		e->fd = hsk_socket(domain, SOCK_DGRAM, 0);
		if (e->fd < 0)
			return -1;
		/* The same socket buffers as the kernel's echo. */
		(void)hsk_setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &bufsize,
				     sizeof(bufsize));
		(void)hsk_setsockopt(e->fd, SOL_SOCKET, SO_SNDBUF, &bufsize,
				     sizeof(bufsize));
		if (hsk_bind(e->fd, (struct sockaddr *)&ss, sslen) < 0 ||
		    hsk_settimeout(e->fd, ECHO_TIMEOUT) < 0)
			return -1;
		name = hsk_backend_name(e->fd);
		snprintf(backend, backend_len, "%s", name ? name : "?");
		return 0;
	}
	{
		struct timeval tv = { 0, (suseconds_t)(ECHO_TIMEOUT * 1e6) };

		snprintf(backend, backend_len, "-");
		e->fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (e->fd < 0)
			return -1;
		(void)setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &bufsize,
				 sizeof(bufsize));
		(void)setsockopt(e->fd, SOL_SOCKET, SO_SNDBUF, &bufsize,
				 sizeof(bufsize));
		return bind(e->fd, (struct sockaddr *)&ss, sslen) < 0 ||
				       setsockopt(e->fd, SOL_SOCKET,
						  SO_RCVTIMEO, &tv,
						  sizeof(tv)) < 0 ?
			       -1 :
			       0;
	}
}

static void close_echoer(struct echoer *e)
{
	if (e->fd >= 0) {
		if (e->c->hotsock)
			hsk_close(e->fd);
		else
			close(e->fd);
	}
	e->fd = -1;
	free(e->bufs);
	e->bufs = NULL;
}

static void echo_fail(struct echo_run *run, const char *what)
{
	snprintf(run->err, sizeof(run->err), "%s: %s", what, strerror(errno));
	run->ok = 0;
}

/* Echo until @until (or, with @first, until the peer counted an echo).
 * Return: 0, or -1 with errno (a real error). */
static int echo_until(struct echoer *e, double until,
		      const atomic_uint_least64_t *first)
{
	unsigned int iter = 0;

	while (!g_stop) {
		if (echo_once(e) < 0 && errno != EAGAIN && errno != ETIMEDOUT &&
		    errno != EINTR)
			return -1;
		if (first && atomic_load(first))
			return 0;
		if ((++iter & 15) == 0 || first)
			if (now() >= until)
				break;
	}
	if (first) {
		errno = g_stop ? EINTR : ETIMEDOUT;
		return -1;
	}
	return 0;
}

/* One contender, one rep. */
static void echo_run_one(const struct echo_contender *c, struct hsk_topo *t,
			 const struct config *cfg, int port, char *backend,
			 size_t backend_len, struct echo_run *run)
{
#ifdef HSK_BENCH_XSK
	uint64_t sent0, echoed0, drops0, kicks0, stalls0, rx0, tx0, ref0;
	struct echoer e;
	struct peer p;
	pthread_t th;
	int started = 0;
	double t0;

	memset(run, 0, sizeof(*run));
	run->ok = 1;
	memset(&e, 0, sizeof(e));
	e.c = c;
	e.fd = -1;
	e.size = cfg->size;
	e.batch = cfg->batch;
	pin_self(cfg->rx_cpu);
	if (open_echoer(&e, t, cfg, port, backend, backend_len) < 0) {
		echo_fail(run, "echo socket");
		goto out;
	}
	if (start_peer(&p, t, cfg, port, &th) < 0) {
		echo_fail(run, "peer XSK on hsk1");
		goto out;
	}
	started = 1;
	if (echo_until(&e, now() + FIRST_ECHO_TIMEOUT, &p.echoed) < 0) {
		echo_fail(run, "first echo");
		goto out;
	}
	/* The queues fill before the window opens. */
	if (echo_until(&e, now() + ECHO_WARMUP, NULL) < 0) {
		echo_fail(run, c->name);
		goto out;
	}
	sent0 = atomic_load(&p.sent);
	echoed0 = atomic_load(&p.echoed);
	drops0 = atomic_load(&p.drops);
	kicks0 = atomic_load(&p.kicks);
	stalls0 = atomic_load(&p.stalls);
	rx0 = e.rx_n;
	tx0 = e.tx_n;
	ref0 = e.refused;
	t0 = now();
	if (echo_until(&e, t0 + cfg->duration, NULL) < 0) {
		echo_fail(run, c->name);
		goto out;
	}
	run->secs = now() - t0;
	run->sent = atomic_load(&p.sent) - sent0;
	run->echoed = atomic_load(&p.echoed) - echoed0;
	run->peer_drops = atomic_load(&p.drops) - drops0;
	run->kicks = atomic_load(&p.kicks) - kicks0;
	run->stalls = atomic_load(&p.stalls) - stalls0;
	run->rx = e.rx_n - rx0;
	run->tx = e.tx_n - tx0;
	run->refused = e.refused - ref0;
	if (g_stop) {
		errno = EINTR;
		echo_fail(run, "interrupted");
	} else if (e.bad) {
		snprintf(run->err, sizeof(run->err),
			 "%llu datagrams of the wrong length",
			 (unsigned long long)e.bad);
		run->ok = 0;
	} else if (!run->echoed) {
		snprintf(run->err, sizeof(run->err),
			 "no echo in the window (the echo got %llu, sent "
			 "back %llu)",
			 (unsigned long long)run->rx,
			 (unsigned long long)run->tx);
		run->ok = 0;
	}
out:
	if (started) {
		stop_peer(&p, th);
		if (p.err && run->ok) {
			errno = p.err;
			echo_fail(run, "peer");
		}
	}
	close_echoer(&e);
	/* The next contender starts on a bare hsk0 (dpdk's port stays until
	 * its child ends: run_dpdk_child() sees to it). */
	if ((!c->backend || strcmp(c->backend, "dpdk")) &&
	    wait_xdp_detached(t->ifindex_local) < 0 && run->ok) {
		snprintf(run->err, sizeof(run->err),
			 "an XDP program stayed on %s", t->if_local);
		run->ok = 0;
	}
#else
	(void)c;
	(void)t;
	(void)cfg;
	(void)port;
	snprintf(backend, backend_len, "?");
	memset(run, 0, sizeof(*run));
	snprintf(run->err, sizeof(run->err), "no peer: built without libxdp");
#endif
}

struct echo_msg {
	struct echo_run run;
	char backend[16];
};

struct echo_args {
	const struct echo_contender *c;
	struct hsk_topo *t;
	const struct config *cfg;
	int port;
};

static void echo_run_dpdk(void *arg, void *out)
{
	const struct echo_args *a = arg;
	struct echo_msg *msg = out;

	echo_run_one(a->c, a->t, a->cfg, a->port, msg->backend,
		     sizeof(msg->backend), &msg->run);
}

static void echo_contender(const struct echo_contender *c, struct hsk_topo *t,
			   const struct config *cfg, int port, char *backend,
			   size_t backend_len, struct echo_run *run)
{
	struct echo_args a = { c, t, cfg, port };
	struct dpdk_child o = { t, cfg->duration + DPDK_CHILD_SLACK, -1 };
	struct echo_msg msg;

	if (!c->backend || strcmp(c->backend, "dpdk")) {
		echo_run_one(c, t, cfg, port, backend, backend_len, run);
		return;
	}
	memset(run, 0, sizeof(*run));
	memset(&msg, 0, sizeof(msg));
	if (run_dpdk_child(&o, echo_run_dpdk, &a, &msg, sizeof(msg), run->err,
			   sizeof(run->err)) < 0)
		return;
	*run = msg.run;
	snprintf(backend, backend_len, "%s", msg.backend);
}

static unsigned int make_echoes(const struct config *cfg,
				struct echo_contender *out)
{
	unsigned int n = 0, b, i, nb = cfg->n_backends ? cfg->n_backends : 1;

	for (b = 0; b < nb; b++)
		for (i = 0; i < ARRAY_SIZE(hsk_echoes); i++)
			if (wanted(cfg, hsk_echoes[i].key)) {
				out[n] = hsk_echoes[i];
				out[n++].backend = cfg->n_backends ?
							   cfg->backends[b] :
							   NULL;
			}
	if (wanted(cfg, kernel_echo.key))
		out[n++] = kernel_echo;
	return n;
}

struct echo_summary {
	int ok;
	struct spread pps;
	double sent_pps, back, loss, held, peer_drops; /* medians */
	const char *err;
};

static void echo_summarize(const struct echo_run *runs, unsigned int reps,
			   struct echo_summary *s)
{
	double pps[reps], sent[reps], back[reps], loss[reps], held[reps],
		drops[reps];
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < reps; i++) {
		const struct echo_run *r = &runs[i];

		if (!r->ok) {
			s->err = r->err;
			return;
		}
		pps[i] = r->echoed / r->secs;
		sent[i] = r->sent / r->secs;
		back[i] = r->sent ? (double)(r->echoed + r->peer_drops) /
					    r->sent :
				    0;
		loss[i] = r->sent && r->echoed < r->sent ?
				  1 - (double)r->echoed / r->sent :
				  0;
		held[i] = r->kicks ? (double)r->stalls / r->kicks : 0;
		drops[i] = r->peer_drops / r->secs;
	}
	s->ok = 1;
	s->pps = spread_of(pps, reps);
	s->sent_pps = median(sent, reps);
	s->back = median(back, reps);
	s->loss = median(loss, reps);
	s->held = median(held, reps);
	s->peer_drops = median(drops, reps);
}

static const char *echo_bottleneck(const struct echo_summary *s)
{
	return s->back >= ECHOED_BOUND && s->held < ECHO_HELD_BOUND ? "peer" :
								      "echo";
}

static void echo_table(const struct echo_contender *cs, unsigned int n,
		       char (*backend)[16], struct echo_run *const *runs,
		       unsigned int reps)
{
	unsigned int c;

	printf("\n%-26s %-7s %11s %21s %11s %6s %5s %9s %s\n", "echo",
	       "backend", "echoed pps", "(min - max)", "sent pps", "loss",
	       "held", "pdrops/s", "bottleneck");
	for (c = 0; c < n; c++) {
		struct echo_summary s;
		char range[48];

		echo_summarize(runs[c], reps, &s);
		if (!s.ok) {
			printf("%-26s %-7s FAILED: %s\n", cs[c].name,
			       backend[c], s.err);
			continue;
		}
		snprintf(range, sizeof(range), "(%.0f - %.0f)", s.pps.min,
			 s.pps.max);
		printf("%-26s %-7s %11.0f %21s %11.0f %5.1f%% %4.0f%% %9.0f "
		       "%s\n",
		       cs[c].name, backend[c], s.pps.med, range, s.sent_pps,
		       100 * s.loss, 100 * s.held, s.peer_drops,
		       echo_bottleneck(&s));
	}
	printf("\nechoed pps: echoes counted at the peer per second (median, "
	       "min - max);\nsent pps: what the peer sent in the same window; "
	       "loss: 1 - echoed / sent;\nheld: share of the peer's send "
	       "calls cut short by a refused frame (the echo\nside pushed "
	       "back); pdrops/s: echoes the peer's own XSK dropped;\n"
	       "bottleneck: peer when (echoed + pdrops) / sent >= %.0f%% and "
	       "held < %.0f%%, else echo.\n",
	       100 * ECHOED_BOUND, 100 * ECHO_HELD_BOUND);
}

static void echo_json(FILE *f, const struct config *cfg,
		      const struct echo_contender *cs, unsigned int n,
		      char (*backend)[16], struct echo_run *const *runs,
		      int napi_thread)
{
	unsigned int c, i;

	fprintf(f,
		"{\"config\": {\"family\": %d, \"size\": %zu, "
		"\"duration\": %g, \"reps\": %u, \"batch\": %u, "
		"\"napi\": \"%s\", \"echoed_bound\": %.2f, "
		"\"held_bound\": %.2f},\n  \"results\": [\n",
		cfg->family, cfg->size, cfg->duration, cfg->reps, cfg->batch,
		napi_thread ? "thread" : "inline", ECHOED_BOUND,
		ECHO_HELD_BOUND);
	for (c = 0; c < n; c++) {
		struct echo_summary s;

		echo_summarize(runs[c], cfg->reps, &s);
		fprintf(f, "    {\"contender\": ");
		json_str(f, cs[c].name);
		fprintf(f, ", \"key\": \"%s\", \"backend\": ", cs[c].key);
		json_str(f, backend[c]);
		fprintf(f, ", \"ok\": %s, ", s.ok ? "true" : "false");
		if (s.ok)
			fprintf(f,
				"\"echoed_pps_median\": %.0f, "
				"\"echoed_pps_min\": %.0f, "
				"\"echoed_pps_max\": %.0f, "
				"\"sent_pps_median\": %.0f, "
				"\"loss_median\": %.4f, "
				"\"held_median\": %.4f, "
				"\"bottleneck\": \"%s\", ",
				s.pps.med, s.pps.min, s.pps.max, s.sent_pps,
				s.loss, s.held, echo_bottleneck(&s));
		fprintf(f, "\"runs\": [");
		for (i = 0; i < cfg->reps; i++) {
			const struct echo_run *r = &runs[c][i];

			json_run_open(f, !i, r->ok);
			if (!r->ok) {
				json_error(f, r->err);
				continue;
			}
			fprintf(f,
				", \"sent\": %llu, \"echoed\": %llu, "
				"\"peer_rx_drops\": %llu, "
				"\"peer_kicks\": %llu, "
				"\"peer_held_back\": %llu, "
				"\"echo_rx\": %llu, \"echo_tx\": %llu, "
				"\"echo_refused\": %llu, "
				"\"seconds\": %.6f}",
				(unsigned long long)r->sent,
				(unsigned long long)r->echoed,
				(unsigned long long)r->peer_drops,
				(unsigned long long)r->kicks,
				(unsigned long long)r->stalls,
				(unsigned long long)r->rx,
				(unsigned long long)r->tx,
				(unsigned long long)r->refused, r->secs);
		}
		fprintf(f, "]}%s\n", c + 1 < n ? "," : "");
	}
	fprintf(f, "  ]}");
}

static void echo_plot(const struct config *cfg, const struct echo_contender *cs,
		      unsigned int n, char (*backend)[16],
		      struct echo_run *const *runs)
{
	struct plot_row rows[ECHO_MAX];
	unsigned int c, nr = 0;

	for (c = 0; c < n; c++) {
		struct echo_summary s;

		echo_summarize(runs[c], cfg->reps, &s);
		if (s.ok)
			rows[nr++] = (struct plot_row){
				{ NULL, cs[c].name, backend[c] }, s.pps
			};
	}
	plot_bars(cfg, "echo-pps.png",
		  "UDP echo rate (median, min-max over the reps)",
		  "echoes per second", rows, nr, 0);
}

int workload_echo(struct hsk_topo *t, struct config *cfg, FILE *json)
{
	struct echo_contender cs[ECHO_MAX];
	struct echo_run *runs[ECHO_MAX];
	char backend[ECHO_MAX][16], why[160];
	struct napi_setup napi_echo = { -1, 0, 0 }, napi_peer = { -1, 0, 1 };
	unsigned int n = make_echoes(cfg, cs), c, rep;
	int status = 0, port = ECHO_PORT;
	double t_start = now();

#ifndef HSK_BENCH_XSK
	printf("\n== echo: skipped: its peer is an XSK (built without "
	       "libxdp)\n");
	return 0;
#endif
	if (!n)
		return 0;
	for (c = 0; c < n; c++) {
		runs[c] = calloc(cfg->reps, sizeof(*runs[c]));
		if (!runs[c]) {
			perror("hotsock-bench: calloc");
			while (c--)
				free(runs[c]);
			return 1;
		}
		snprintf(backend[c], sizeof(backend[c]), "?");
	}
	alarm(30);
	if (!cfg->napi_inline &&
	    (setup_napi(t, 0, cfg->rx_cpu, &napi_echo, why, sizeof(why)) < 0 ||
	     setup_napi(t, 1, cfg->tx_cpu, &napi_peer, why, sizeof(why)) < 0)) {
		printf("napi: cannot give each end's receive work its own "
		       "thread (%s);\n      it runs inline, in the other "
		       "end's transmit calls\n",
		       why);
		napi_inline(t, &napi_echo);
		napi_inline(t, &napi_peer);
	}
	alarm((unsigned int)(cfg->reps * n *
			     (cfg->duration + ECHO_WARMUP + FIRST_ECHO_TIMEOUT +
			      PEER_START_TIMEOUT + DETACH_TIMEOUT + 1)) +
	      30);
	printf("\n== echo: UDP/IPv%d, %zu-byte payloads, %s -> %s -> back "
	       "over veth (%s <-> %s)\n",
	       cfg->family, cfg->size,
	       cfg->family == 6 ? TOPO_IP6_PEER : TOPO_IP4_PEER,
	       cfg->family == 6 ? TOPO_IP6_LOCAL : TOPO_IP4_LOCAL, t->if_peer,
	       t->if_local);
	printf("peer: one XSK on %s sends one prebuilt frame as fast as its "
	       "ring takes it and\n      counts the echoes; echoes: batch %u; "
	       "%u rep(s) x %g s each, interleaved\n",
	       t->if_peer, cfg->batch, cfg->reps, cfg->duration);
	printf("napi: %s\n",
	       napi_echo.pid > 0 ? "each end's receive work in a NAPI thread "
				   "on that end's CPU" :
				   "inline, in the other end's transmit calls");
	fflush(stdout);

	for (rep = 0; rep < cfg->reps && !g_stop; rep++) {
		for (c = 0; c < n && !g_stop; c++) {
			struct echo_run *r = &runs[c][rep];

			progress("echo: rep %u/%u %s %s", rep + 1, cfg->reps,
				 cs[c].name,
				 cs[c].backend ? cs[c].backend : "");
			echo_contender(&cs[c], t, cfg, port++, backend[c],
				       sizeof(backend[c]), r);
			if (r->ok)
				progress("echo: rep %u/%u %s %s: %.0f echoed/s "
					 "of %.0f sent/s",
					 rep + 1, cfg->reps, cs[c].name,
					 backend[c], r->echoed / r->secs,
					 r->sent / r->secs);
			else
				progress("echo: rep %u/%u %s %s FAILED: %s",
					 rep + 1, cfg->reps, cs[c].name,
					 backend[c], r->err);
			if (!r->ok)
				status = 1;
		}
	}
	progress_done();
	alarm(0);
	if (!g_stop) {
		echo_table(cs, n, backend, runs, cfg->reps);
		printf("(%.0f s)\n", now() - t_start);
		if (json)
			echo_json(json, cfg, cs, n, backend, runs,
				  napi_echo.pid > 0);
		if (cfg->plot_dir)
			echo_plot(cfg, cs, n, backend, runs);
	}
	napi_inline(t, &napi_echo);
	napi_inline(t, &napi_peer);
	for (c = 0; c < n; c++)
		free(runs[c]);
	return g_stop ? 1 : status;
}
