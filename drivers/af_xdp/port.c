// SPDX-License-Identifier: BSD-3-Clause
/*
 * AF_XDP ports: the XDP program, UMEMs, rings and the receive pull.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "hsk_xdp.skel.h"
#include "port.h"

#define RX_BATCH 64u
#define BUSY_RETRIES 50
#define BUSY_RETRY_US 2000

static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xsk_port *ports;

/* libxdp and libbpf speak through our log, at debug level: their
 * fallbacks (no dispatcher on this kernel, say) are not our errors. */
static int quiet_print(enum libxdp_print_level level, const char *fmt,
		       va_list ap)
{
	char line[512];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	hsk_log(HSK_LOG_DEBUG, "libxdp: %s", line);
	return 0;
}

static int quiet_bpf_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	return quiet_print((enum libxdp_print_level)level, fmt, ap);
}

static int link_info(struct xsk_port *p)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = -1;

	if (fd < 0)
		return -1;
	memcpy(ifr.ifr_name, p->ifname, sizeof(ifr.ifr_name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		goto out;
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		goto out;
	p->mtu = (uint32_t)ifr.ifr_mtu;
	/* Frames on a veth pair never crossed a wire: a local sender's
	 * offloaded checksum arrives unfinished, and the kernel trusts it. */
	ifr.ifr_data = (void *)&drv;
	if (!ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(drv.driver, "veth"))
		p->csum = HSK_NET_CSUM_LOCAL;
	r = 0;
out:
	close(fd);
	return r;
}

/* Receive queues, as sysfs lists them (veth has no ethtool channels). */
static uint32_t rx_queue_count(const char *ifname)
{
	char path[128];
	struct dirent *d;
	uint32_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (!dir)
		return 1;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "rx-", 3);
	closedir(dir);
	return n ? n : 1;
}

/* The owner recorded in an attached hotsock program, 0 if it is not one. */
static pid_t program_owner(__u32 prog_id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), map_ids[8], value[64];
	pid_t owner = 0;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return 0;
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    strcmp(info.name, "hsk_xdp_redirec")) /* BPF_OBJ_NAME_LEN cut */
		goto out;
	for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 ml = sizeof(mi), zero = 0;
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &ml) &&
		    strstr(mi.name, ".rodata") &&
		    mi.value_size <= sizeof(value) &&
		    !bpf_map_lookup_elem(mfd, &zero, value))
			owner = (pid_t)value[0];
		close(mfd);
	}
out:
	close(fd);
	return owner;
}

/*
 * A process that died without detaching leaves its program behind, which
 * keeps the next one from attaching. Its sockets are gone, so its
 * redirects already fall back to the kernel: take it off. A program whose
 * owner lives, or that is not ours, is left alone.
 */
static bool clear_stale_program(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 ids[2];
	bool cleared = false;

	if (bpf_xdp_query(ifindex, 0, &q))
		return false;
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	for (int i = 0; i < 2; i++) {
		pid_t owner = ids[i] ? program_owner(ids[i]) : 0;

		if (owner <= 0 || owner == getpid() ||
		    !(kill(owner, 0) && errno == ESRCH))
			continue;
		hsk_log(HSK_LOG_INFO,
			"af_xdp: removing the program left by process %d",
			(int)owner);
		cleared |= !bpf_xdp_detach(
			ifindex, i ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
			NULL);
	}
	return cleared;
}

static int attach_program(struct xsk_port *p)
{
	static const int modes[] = { XDP_MODE_NATIVE, XDP_MODE_SKB };
	bool retried = false;
	int err = 0;

	p->skel = hsk_xdp__open();
	if (!p->skel)
		return -errno;
	p->skel->rodata->hsk_owner_pid = (__u32)getpid();
	p->prog = xdp_program__from_bpf_obj(p->skel->obj, "xdp");
	err = (int)libxdp_get_error(p->prog);
	if (err) {
		p->prog = NULL;
		return err;
	}
	/* Native first; the generic hook works on any driver, slower. */
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		err = xdp_program__attach(p->prog, p->ifindex, modes[i], 0);
		if (!err) {
			p->attach_mode = modes[i];
			p->attached = true;
			p->flows_fd = bpf_map__fd(p->skel->maps.hsk_flows);
			return 0;
		}
		if (!retried && clear_stale_program(p->ifindex)) {
			retried = true;
			i--;
		}
	}
	return err;
}

/*
 * A port whose sockets all share their frames with the kernel (packet
 * sockets without HOTSOCK_PACKET_EXCLUSIVE) needs no program: it would
 * pass every frame up, and an XDP program slows the kernel's own receive
 * path on the interface, for them and everyone else (veth copies each
 * frame into a page of its own for it, then builds a new skb around it).
 * The program attached at the port's creation is the proof that AF_XDP
 * runs here; it is taken off until a socket takes frames, and put back
 * then in the same mode.
 */
void xsk_port_sync_program(struct xsk_port *p)
{
	bool want = p->nudp || p->ntaps;
	int err;

	if (want == p->attached)
		return;
	if (!want) {
		err = xdp_program__detach(p->prog, p->ifindex, p->attach_mode,
					  0);
	} else {
		err = xdp_program__attach(p->prog, p->ifindex, p->attach_mode,
					  0);
		if (err && clear_stale_program(p->ifindex))
			err = xdp_program__attach(p->prog, p->ifindex,
						  p->attach_mode, 0);
	}
	if (!err) {
		p->attached = want;
		return;
	}
	hsk_log(HSK_LOG_WARN, "af_xdp: cannot %s the XDP program %s %s: %s",
		want ? "attach" : "detach", want ? "to" : "from", p->ifname,
		strerror(-err));
}

static void queue_fini(struct xsk_port *p, struct xsk_queue *q)
{
	/* The XSKMAP holds a reference to the socket: drop it first, or the
	 * queue stays bound after close and the next XSK gets EBUSY. */
	if (q->xsk && p->skel)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.hsk_xsks),
				    &q->id);
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_len);
	free(q->free);
	memset(q, 0, sizeof(*q));
}

static void refill(struct xsk_queue *q)
{
	uint32_t idx, n = xsk_prod_nb_free(&q->fq, q->nfree);

	if (n > q->nfree)
		n = q->nfree;
	if (!n || xsk_ring_prod__reserve(&q->fq, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) =
			q->free[--q->nfree];
	/* Submit is a release store: the addresses are visible to the
	 * kernel before the producer index that publishes them. */
	xsk_ring_prod__submit(&q->fq, n);
}

static int queue_init(struct xsk_port *p, struct xsk_queue *q, uint32_t id)
{
	struct xsk_umem_config ucfg = {
		.fill_size = p->ring_size,
		.comp_size = p->ring_size,
		.frame_size = XSK_FRAME_SIZE,
	};
	struct xsk_socket_config scfg = {
		.rx_size = p->ring_size,
		.tx_size = p->ring_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP | p->bind_flags,
	};
	int err, one = 1;

	q->id = id;
	q->ring_size = p->ring_size;
	/* Fill and TX rings full, and as much again for frames waiting in
	 * sockets' queues or lent to callers. */
	q->nframes = p->ring_size * 4;
	q->area_len = (size_t)q->nframes * XSK_FRAME_SIZE;
	q->area = mmap(NULL, q->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -ENOMEM;
	}
	q->free = malloc(q->nframes * sizeof(*q->free));
	if (!q->free)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->nframes; i++)
		q->free[i] = (uint64_t)(q->nframes - 1 - i) * XSK_FRAME_SIZE;
	q->nfree = q->nframes;
	err = xsk_umem__create(&q->umem, q->area, q->area_len, &q->fq, &q->cq,
			       &ucfg);
	if (err)
		return err;
	/* A socket of ours closed a moment ago may still hold the queue
	 * while the kernel finishes releasing it: retry briefly. */
	for (int tries = 0;; tries++) {
		err = xsk_socket__create(&q->xsk, p->ifname, id, q->umem,
					 &q->rx, &q->tx, &scfg);
		if (err != -EBUSY || tries == BUSY_RETRIES)
			break;
		usleep(BUSY_RETRY_US);
	}
	if (err)
		return err;
	q->fd = xsk_socket__fd(q->xsk);
	if (p->busy_poll_us) {
		int budget = RX_BATCH, us = (int)p->busy_poll_us;

		/* Best effort: the kernel may lack a knob; the spin in the
		 * wait still applies. */
		setsockopt(q->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one,
			   sizeof(one));
		setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us));
		setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget,
			   sizeof(budget));
	}
	refill(q);
	err = bpf_map_update_elem(bpf_map__fd(p->skel->maps.hsk_xsks), &id,
				  &q->fd, 0);
	return err ? -errno : 0;
}

static void port_destroy(struct xsk_port *p)
{
	if (p->attached)
		xdp_program__detach(p->prog, p->ifindex, p->attach_mode, 0);
	for (uint32_t i = 0; p->q && i < p->nqueues; i++)
		queue_fini(p, &p->q[i]);
	free(p->q);
	if (p->prog)
		xdp_program__close(p->prog);
	if (p->skel)
		hsk_xdp__destroy(p->skel);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct xsk_port *port_create(int ifindex, const struct hsk_config *c)
{
	struct xsk_port *p = calloc(1, sizeof(*p));
	int err;

	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->ifindex = ifindex;
	p->ring_size = c->ring_size;
	p->busy_poll_us = c->busy_poll_us;
	/* Unforced, the kernel binds zero-copy where the driver can and
	 * copies otherwise. */
	p->bind_flags = c->xdp_zerocopy > 0 ? XDP_ZEROCOPY :
			c->xdp_zerocopy < 0 ? XDP_COPY :
					      0;
	libxdp_set_print(quiet_print);
	libbpf_set_print(quiet_bpf_print);
	if (!if_indextoname((unsigned int)ifindex, p->ifname) || link_info(p)) {
		err = -errno;
		hsk_log(HSK_LOG_WARN, "af_xdp: interface %d: %s", ifindex,
			strerror(-err));
		goto fail;
	}
	p->nqueues = rx_queue_count(p->ifname);
	if (c->queues && c->queues < p->nqueues)
		p->nqueues = c->queues;
	if (p->nqueues > HSK_XDP_MAX_QUEUES)
		p->nqueues = HSK_XDP_MAX_QUEUES;
	err = attach_program(p);
	if (err) {
		hsk_log(HSK_LOG_WARN,
			"af_xdp: cannot attach the XDP program to %s: %s%s",
			p->ifname, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_ADMIN and CAP_BPF)" :
					"");
		goto fail;
	}
	p->q = calloc(p->nqueues, sizeof(*p->q));
	if (!p->q) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < p->nqueues; i++) {
		err = queue_init(p, &p->q[i], i);
		if (err) {
			hsk_log(HSK_LOG_WARN,
				"af_xdp: cannot open an XSK on %s queue %u: %s%s",
				p->ifname, i, strerror(-err),
				p->bind_flags & XDP_ZEROCOPY ?
					" (zero-copy forced: the driver may not support it)" :
					"");
			goto fail;
		}
	}
	hsk_log(HSK_LOG_INFO, "af_xdp: %s: %u queue(s), %s mode", p->ifname,
		p->nqueues,
		p->attach_mode == XDP_MODE_NATIVE ? "native" : "generic");
	return p;
fail:
	port_destroy(p);
	errno = -err;
	return NULL;
}

/*
 * Interfaces where a port could not be made are not tried again for a
 * while: every socket of a process without the privilege would otherwise
 * load and fail the program anew, and log it each time.
 */
#define REFUSAL_MEMORY_S 10
#define MAX_REFUSALS 8

static struct refusal {
	int ifindex;
	int err;
	time_t until;
} refusals[MAX_REFUSALS];

static struct refusal *refusal_of(int ifindex, time_t now)
{
	for (int i = 0; i < MAX_REFUSALS; i++)
		if (refusals[i].ifindex == ifindex && refusals[i].until > now)
			return &refusals[i];
	return NULL;
}

static void remember_refusal(int ifindex, int err, time_t now)
{
	struct refusal *oldest = &refusals[0];

	for (int i = 1; i < MAX_REFUSALS; i++)
		if (refusals[i].until < oldest->until)
			oldest = &refusals[i];
	*oldest = (struct refusal){ ifindex, err, now + REFUSAL_MEMORY_S };
}

struct xsk_port *xsk_port_get(int ifindex, const struct hsk_config *c)
{
	time_t now = time(NULL);
	struct refusal *no;
	struct xsk_port *p;
	int err = 0;

	pthread_mutex_lock(&ports_lock);
	for (p = ports; p && p->ifindex != ifindex; p = p->next)
		;
	if (!p && (no = refusal_of(ifindex, now))) {
		err = no->err;
	} else if (!p) {
		p = port_create(ifindex, c);
		if (p) {
			p->next = ports;
			ports = p;
		} else {
			err = errno;
			if (err != EBUSY)
				remember_refusal(ifindex, err, now);
		}
	}
	if (p)
		p->refs++;
	pthread_mutex_unlock(&ports_lock);
	if (!p)
		errno = err;
	return p;
}

/* The last socket to leave takes the program off the interface. */
void xsk_port_put(struct xsk_port *p)
{
	struct xsk_port **pp;

	pthread_mutex_lock(&ports_lock);
	if (--p->refs) {
		pthread_mutex_unlock(&ports_lock);
		return;
	}
	for (pp = &ports; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	pthread_mutex_unlock(&ports_lock);
	port_destroy(p);
}

static void flow_key(struct hsk_flow_key *k, int family,
		     const union hsk_net_addr *addr, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = family == AF_INET ? HSK_FLOW_IPV4 : HSK_FLOW_IPV6;
	k->port = port;
	if (addr)
		memcpy(k->addr, addr, family == AF_INET ? 4 : 16);
}

int xsk_port_flow_add(struct xsk_port *p, int family,
		      const union hsk_net_addr *addr, uint16_t port)
{
	struct hsk_flow_key k;
	uint32_t one = 1;

	flow_key(&k, family, addr, port);
	return bpf_map_update_elem(p->flows_fd, &k, &one, BPF_ANY) ? -1 : 0;
}

void xsk_port_flow_del(struct xsk_port *p, int family,
		       const union hsk_net_addr *addr, uint16_t port)
{
	struct hsk_flow_key k;

	flow_key(&k, family, addr, port);
	bpf_map_delete_elem(p->flows_fd, &k);
}

int xsk_port_ptype_add(struct xsk_port *p, uint16_t ethertype)
{
	uint32_t one = 1;

	return bpf_map_update_elem(bpf_map__fd(p->skel->maps.hsk_ptypes),
				   &ethertype, &one, BPF_ANY) ?
		       -1 :
		       0;
}

void xsk_port_ptype_del(struct xsk_port *p, uint16_t ethertype)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.hsk_ptypes), &ethertype);
}

bool xsk_frame_get(struct xsk_queue *q, uint64_t *addr)
{
	if (!q->nfree) {
		xsk_reap_completions(q);
		if (!q->nfree)
			return false;
	}
	*addr = q->free[--q->nfree];
	return true;
}

void xsk_frame_put(struct xsk_queue *q, uint64_t addr)
{
	/* Back to the frame's start: callers may hand any address in it. */
	q->free[q->nfree++] = addr - addr % XSK_FRAME_SIZE;
}

void xsk_reap_completions(struct xsk_queue *q)
{
	uint32_t idx, n = xsk_ring_cons__peek(&q->cq, q->ring_size, &idx);

	for (uint32_t i = 0; i < n; i++)
		xsk_frame_put(q, *xsk_ring_cons__comp_addr(&q->cq, idx + i));
	/* Release: our reads of the addresses are done before the kernel
	 * may reuse the slots. */
	xsk_ring_cons__release(&q->cq, n);
}

unsigned int xsk_tx_submit(struct xsk_queue *q, const struct xdp_desc *d,
			   unsigned int n)
{
	uint32_t idx;
	unsigned int k = xsk_ring_prod__reserve(&q->tx, n, &idx);

	for (unsigned int i = 0; i < k; i++)
		*xsk_ring_prod__tx_desc(&q->tx, idx + i) = d[i];
	/* Release store of the producer index: descriptors first. */
	xsk_ring_prod__submit(&q->tx, k);
	return k;
}

void xsk_tx_kick(struct xsk_queue *q)
{
	int saved = errno;

	/* With need_wakeup the kernel says when it is asleep; copy mode
	 * transmits inside this call. A full queue (EAGAIN, ENOBUFS) or a
	 * busy driver (EBUSY) drains through completions or the next kick,
	 * and is not the caller's error: errno is left as it was. */
	if (xsk_ring_prod__needs_wakeup(&q->tx) &&
	    sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0)
		errno = saved;
	/* A socket that only sends never pulls: take back what the kernel
	 * finished here, or the completion ring fills and transmit stops. */
	xsk_reap_completions(q);
}

uint64_t xsk_port_ring_drops(struct xsk_port *p)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < p->nqueues; i++) {
		struct xdp_statistics st;
		socklen_t len = sizeof(st);

		if (!getsockopt(p->q[i].fd, SOL_XDP, XDP_STATISTICS, &st, &len))
			total += st.rx_dropped + st.rx_ring_full;
	}
	return total;
}

bool xsk_tx_room(struct xsk_queue *q)
{
	xsk_reap_completions(q);
	return q->nfree && xsk_prod_nb_free(&q->tx, 1);
}

static struct xdp_sock *demux_udp(struct xsk_port *p,
				  const struct hsk_net_udp *pkt)
{
	for (struct xdp_sock *xs = p->socks; xs; xs = xdp_sock_next(xs))
		if (xdp_sock_accepts(xs, pkt))
			return xs;
	return NULL;
}

/*
 * Every packet socket but the first that wants a frame gets a copy, as the
 * kernel clones a frame for each tap; the first gets the frame itself
 * unless a UDP socket keeps it.
 */
static bool enqueue_copy(struct xsk_queue *q, struct xdp_sock *to,
			 const struct rx_entry *e, struct xdp_sock *self)
{
	struct rx_entry c = *e;

	if (!xsk_frame_get(q, &c.addr)) {
		xdp_sock_count_drop(to, HSK_NET_OTHER);
		return false;
	}
	memcpy(xsk_frame_ptr(q, c.addr), xsk_frame_ptr(q, e->addr),
	       e->frame_len);
	if (xdp_sock_enqueue(to, &c, to != self))
		return true;
	xsk_frame_put(q, c.addr);
	return false;
}

/* Hands the frame to the packet sockets that want it; true when one of
 * them kept the frame itself. */
static bool to_packet_sockets(struct xsk_port *p, struct xsk_queue *q,
			      const struct rx_entry *e, bool udp_keeps,
			      struct xdp_sock *self)
{
	bool kept = false;

	for (struct xdp_sock *xs = p->socks; xs; xs = xdp_sock_next(xs)) {
		if (!xdp_sock_wants_frame(xs, e->ethertype))
			continue;
		if (udp_keeps || kept)
			enqueue_copy(q, xs, e, self);
		else
			kept = xdp_sock_enqueue(xs, e, xs != self);
	}
	return kept;
}

/*
 * Sorts up to @max frames of @q's RX ring, and with a @sink no more than
 * it has room for: a zero-copy caller's frames go straight into its
 * buffers, and what it took beyond them would wait in its queue, a copy
 * of the entry and a second handling later. Returns how many it took.
 */
static uint32_t pull_queue(struct xsk_port *p, struct xsk_queue *q,
			   struct xdp_sock *self, struct xsk_sink *sink,
			   const struct timespec *now, uint32_t max)
{
	uint32_t idx, n;
	struct rx_entry e;

	if (sink && sink->n - sink->got < max)
		max = sink->n - sink->got;
	n = xsk_ring_cons__peek(&q->rx, max, &idx);
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&q->rx, idx + i);
		const uint8_t *frame = xsk_umem__get_data(q->area, d->addr);
		struct xdp_sock *udp = NULL;
		enum hsk_net_verdict v;

		e.addr = d->addr;
		e.queue = q->id;
		e.frame_len = d->len;
		e.ts_ns = hsk_ts_ns(now);
		e.ethertype = 0;
		if (d->len >= HSK_ETH_HLEN)
			memcpy(&e.ethertype, frame + 12, 2);
		if (p->nudp) {
			v = hsk_net_parse_udp(frame, d->len, p->csum, &e.pkt);
		} else {
			/* Only packet taps: a frame goes to them whole. */
			v = HSK_NET_OTHER;
			e.pkt.addressed = false;
		}
		if (e.pkt.addressed && v != HSK_NET_OTHER)
			udp = demux_udp(p, &e.pkt);
		if (p->ntaps &&
		    to_packet_sockets(p, q, &e, v == HSK_NET_UDP && udp, self))
			continue;
		if (v == HSK_NET_UDP && udp == self && sink &&
		    sink->got < sink->n) {
			xdp_sock_lend(self, &e, &sink->b[sink->got],
				      &sink->cookie[sink->got]);
			sink->got++;
			continue;
		}
		if (v == HSK_NET_UDP && udp &&
		    xdp_sock_enqueue(udp, &e, udp != self))
			continue;
		if (v != HSK_NET_UDP && udp)
			xdp_sock_count_drop(udp, v);
		else if (v == HSK_NET_MALFORMED || v == HSK_NET_BAD_CSUM)
			p->rx_malformed++;
		else if (!udp)
			p->rx_unclaimed++;
		xsk_frame_put(q, d->addr);
	}
	/* Release: descriptors read before the kernel reuses the slots. */
	xsk_ring_cons__release(&q->rx, n);
	return n;
}

void xsk_port_pull(struct xsk_port *p, struct xdp_sock *self,
		   struct xsk_sink *sink)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (uint32_t i = 0; i < p->nqueues; i++) {
		struct xsk_queue *q = &p->q[i];
		uint32_t n = pull_queue(p, q, self, sink, &now, RX_BATCH);

		/* Frames for other sockets left the sink short: once more,
		 * within RX_BATCH; what stays waits in the RX ring, whose
		 * descriptor hsk_poll() watches. */
		if (n && sink && sink->got < sink->n)
			pull_queue(p, q, self, sink, &now, RX_BATCH - n);
		xsk_reap_completions(q);
		refill(q);
		if (xsk_ring_prod__needs_wakeup(&q->fq))
			recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}
