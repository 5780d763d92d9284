// SPDX-License-Identifier: BSD-3-Clause
/*
 * DPDK ports: the EAL (once per process), one ethdev port per configured
 * device with its mempool, control plane and reassembly table, and the
 * shadow namespace whose kernel keeps the sockets' books.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_log.h>

#include "dpdk.h"

#define EAL_MAX_ARGS 64
#define NO_HUGE_MB 256 /* --no-huge: plenty for the pools below */
#define RX_DESC 1024
#define TX_DESC 1024
#define MBUF_CACHE 128
#define FRAG_BUCKETS 64
#define FRAG_ENTRIES 8	 /* per bucket: at most 512 datagrams in flight */
#define FRAG_TTL_MS 1000 /* a datagram whose fragments stop coming */
#define MAX_DATAGRAM 65536
#define POLL_MAX 2048	  /* frames taken from one queue per poll */
#define SOCK_SCAN_MAX 256 /* sockets of a family the process holds, seen */

static pthread_once_t eal_once = PTHREAD_ONCE_INIT;
static int eal_err; /* errno of a failed rte_eal_init(), 0 when it ran */
static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp_port *ports;

/* ---- EAL ------------------------------------------------------------ */

static bool has_arg(char **argv, int argc, const char *const *names)
{
	for (int i = 0; i < argc; i++)
		for (const char *const *n = names; *n; n++)
			if (!strncmp(argv[i], *n, strlen(*n)))
				return true;
	return false;
}

/* Free 2 MiB hugepages on a mounted hugetlbfs: enough for the pools. */
static bool hugepages_usable(void)
{
	FILE *f = fopen(
		"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
		"re");
	char line[512];
	long free_pages = 0;
	bool mounted = false;

	if (!f)
		return false;
	if (fscanf(f, "%ld", &free_pages) != 1)
		free_pages = 0;
	fclose(f);
	f = fopen("/proc/mounts", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " hugetlbfs "))
			mounted = true;
	fclose(f);
	return mounted && free_pages * 2 >= NO_HUGE_MB;
}

/* The EAL's log level for the library's: quiet unless asked. */
static int eal_log_level(int hsk_level)
{
	if (hsk_level >= HSK_LOG_DEBUG)
		return RTE_LOG_DEBUG;
	if (hsk_level >= HSK_LOG_INFO)
		return RTE_LOG_INFO;
	return RTE_LOG_CRIT;
}

static struct hsk_config eal_cfg;  /* what the first port was made with */
static pid_t eal_pid;		   /* the process that started the EAL */
static sigset_t unclaimed_signals; /* default or ignored before the EAL */
/* The packet sockets the process held before the EAL probed the devices
 * (net_af_packet opens its queues' then): find_queue_sockets(). */
static int packet_socks_before[SOCK_SCAN_MAX];
static unsigned int n_packet_socks_before;

/* The sockets of @family the process holds, by descriptor. */
static unsigned int sockets_of(int family, int *fds, unsigned int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		int fd = atoi(e->d_name), dom;
		socklen_t len = sizeof(dom);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
			continue;
		if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) &&
		    dom == family)
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}

static bool signal_claimed(int sig)
{
	struct sigaction sa;

	return !sigaction(sig, NULL, &sa) && sa.sa_handler != SIG_DFL &&
	       sa.sa_handler != SIG_IGN;
}

/* The signals a PMD may take for itself (net_tap picks a free real-time
 * one, older ones SIGIO), as they stand before it could. */
static void note_unclaimed_signals(void)
{
	sigemptyset(&unclaimed_signals);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		if (!signal_claimed(sig))
			sigaddset(&unclaimed_signals, sig);
	if (!signal_claimed(SIGIO))
		sigaddset(&unclaimed_signals, SIGIO);
}

/* Those the EAL and the port's PMD have taken since. */
static void find_pmd_signals(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (sigismember(&unclaimed_signals, sig) == 1 &&
		    signal_claimed(sig))
			sigaddset(set, sig);
}

/*
 * At exit the process that started the EAL stops and closes its ports, so
 * that what a PMD holds on a kernel interface goes with the process
 * (net_af_xdp's XDP program stays attached otherwise), then releases the
 * EAL. A child that inherited them through fork() leaves them to their
 * owner. A port another thread is using is left as it is, and the EAL
 * with it: that thread may still touch the mbufs.
 */
static void ports_close_at_exit(void)
{
	bool all = true;

	if (getpid() != eal_pid || pthread_mutex_trylock(&ports_lock))
		return;
	for (struct dp_port *p = ports; p; p = p->next) {
		if (pthread_mutex_trylock(&p->lock)) {
			all = false;
			continue;
		}
		p->drops_at_close = dp_port_drops(p);
		p->closed = true;
		(void)rte_eth_dev_stop(p->id);
		(void)rte_eth_dev_close(p->id);
		pthread_mutex_unlock(&p->lock);
	}
	if (all)
		(void)rte_eal_cleanup();
	pthread_mutex_unlock(&ports_lock);
}

/*
 * net_af_xdp asks for the kernel's preferred busy polling by default
 * (busy_budget=64): the NAPI instance that fills its XSK then leaves its
 * work to whoever busy-polls the socket, and the PMD does so only when
 * its ring is empty. A wait that sleeps on the XSK (dp_wait()) needs that
 * work done meanwhile: unless busy_poll_us asks for spinning, or the
 * arguments choose a budget, a net_af_xdp device gets busy_budget=0.
 * Returns @tok, or its copy with the budget in @buf (@len bytes).
 */
static char *af_xdp_budget(char *tok, char *buf, size_t len)
{
	const char *dev = strncmp(tok, "--vdev=", 7) ? tok : tok + 7;

	if (eal_cfg.busy_poll_us || strncmp(dev, "net_af_xdp", 10) ||
	    strstr(dev, "busy_budget=") ||
	    (size_t)snprintf(buf, len, "%s,busy_budget=0", tok) >= len)
		return tok;
	return buf;
}

static void eal_init_once(void)
{
	static const char *const pci[] = { "-a",      "--allow", "-b",
					   "--block", "--pci",	 NULL };
	static const char *const mem[] = { "--no-huge", "-m", "--socket-mem",
					   "--in-memory", NULL };
	static const char *const prefix[] = { "--file-prefix", NULL };
	static const char *const loglvl[] = { "--log-level", NULL };
	static char args[sizeof(eal_cfg.dpdk_args)];
	static char budget[4][sizeof(eal_cfg.dpdk_args) + 16];
	static char opt[4][64];
	char *argv[EAL_MAX_ARGS + 8], *save = NULL, *tok;
	unsigned int nb = 0;
	int argc = 0, n;

	argv[argc++] = "hotsock";
	snprintf(args, sizeof(args), "%s", eal_cfg.dpdk_args);
	for (tok = strtok_r(args, " \t", &save); tok && argc < EAL_MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save)) {
		argv[argc] = nb < RTE_DIM(budget) ?
				     af_xdp_budget(tok, budget[nb],
						   sizeof(budget[nb])) :
				     tok;
		nb += argv[argc++] != tok;
	}
	n = argc;
	if (!has_arg(argv + 1, n - 1, pci))
		argv[argc++] = "--no-pci";
	if (!has_arg(argv + 1, n - 1, mem)) {
		/* --in-memory cannot go with --no-huge on DPDK 22.11. */
		if (hugepages_usable()) {
			argv[argc++] = "--in-memory";
		} else {
			argv[argc++] = "--no-huge";
			snprintf(opt[0], sizeof(opt[0]), "-m%d", NO_HUGE_MB);
			argv[argc++] = opt[0];
		}
	}
	if (!has_arg(argv + 1, n - 1, prefix)) {
		snprintf(opt[1], sizeof(opt[1]), "--file-prefix=hotsock%d",
			 (int)getpid());
		argv[argc++] = opt[1];
	}
	if (!has_arg(argv + 1, n - 1, loglvl)) {
		snprintf(opt[2], sizeof(opt[2]), "--log-level=%d",
			 eal_log_level(eal_cfg.log_level));
		argv[argc++] = opt[2];
	}
	argv[argc++] = "--no-telemetry";
	argv[argc] = NULL;
	note_unclaimed_signals();
	n_packet_socks_before =
		sockets_of(AF_PACKET, packet_socks_before, SOCK_SCAN_MAX);
	if (rte_eal_init(argc, argv) < 0) {
		eal_err = rte_errno ? rte_errno : EINVAL;
		hsk_log(HSK_LOG_ERR, "dpdk: EAL initialisation failed: %s",
			rte_strerror(rte_errno));
		return;
	}
	eal_pid = getpid();
	atexit(ports_close_at_exit);
}

/* ---- the shadow namespace ------------------------------------------- */

/*
 * The descriptor of a dpdk socket is a kernel socket that carries no
 * traffic, in a private namespace whose loopback holds the port's
 * addresses and routes: that kernel answers bind, connect, getsockname,
 * ephemeral ports and EADDRINUSE exactly as a host with those addresses.
 */
struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg a;
		struct rtmsg r;
		struct ifinfomsg i;
	};
	char attrs[128];
};

static void nl_attr(struct nl_req *q, unsigned short type, const void *data,
		    size_t len)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)q + NLMSG_ALIGN(q->h.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	q->h.nlmsg_len = NLMSG_ALIGN(q->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int nl_talk(int fd, struct nl_req *q)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} ack;
	ssize_t n;

	q->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, q, q->h.nlmsg_len, 0) < 0)
		return -1;
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < (ssize_t)sizeof(ack) || ack.h.nlmsg_type != NLMSG_ERROR)
		return -1;
	if (ack.e.error) {
		errno = -ack.e.error;
		return -1;
	}
	return 0;
}

static int nl_addr(int fd, int family, const void *addr, uint8_t prefix)
{
	struct nl_req q = { .h = { .nlmsg_type = RTM_NEWADDR,
				   .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL,
				   .nlmsg_len = NLMSG_LENGTH(
					   sizeof(struct ifaddrmsg)) } };
	size_t alen = family == AF_INET ? 4 : 16;
	/* Our own route below: the loopback would make the whole prefix
	 * local, and peers would answer from inside this namespace. */
	uint32_t flags = IFA_F_NOPREFIXROUTE | IFA_F_NODAD;

	q.a = (struct ifaddrmsg){ .ifa_family = (uint8_t)family,
				  .ifa_prefixlen = prefix,
				  .ifa_index = 1 };
	nl_attr(&q, IFA_LOCAL, addr, alen);
	nl_attr(&q, IFA_ADDRESS, addr, alen);
	nl_attr(&q, IFA_FLAGS, &flags, sizeof(flags));
	return nl_talk(fd, &q);
}

/* A route out of the loopback: to the prefix, or the default one. */
static int nl_route(int fd, int family, const void *dst, uint8_t prefix,
		    const void *src)
{
	struct nl_req q = { .h = { .nlmsg_type = RTM_NEWROUTE,
				   .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL,
				   .nlmsg_len = NLMSG_LENGTH(
					   sizeof(struct rtmsg)) } };
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t oif = 1;

	uint8_t net[16] = { 0 };

	/* The kernel wants the network, not an address in it. */
	memcpy(net, dst, alen);
	for (unsigned int i = prefix; i < alen * 8; i++)
		net[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	q.r = (struct rtmsg){ .rtm_family = (uint8_t)family,
			      .rtm_dst_len = prefix,
			      .rtm_table = RT_TABLE_MAIN,
			      .rtm_protocol = RTPROT_STATIC,
			      .rtm_scope = RT_SCOPE_LINK,
			      .rtm_type = RTN_UNICAST };
	if (prefix)
		nl_attr(&q, RTA_DST, net, alen);
	nl_attr(&q, RTA_OIF, &oif, sizeof(oif));
	if (family == AF_INET)
		nl_attr(&q, RTA_PREFSRC, src, alen);
	return nl_talk(fd, &q);
}

static int nl_lo_up(int fd)
{
	struct nl_req q = { .h = { .nlmsg_type = RTM_NEWLINK,
				   .nlmsg_len = NLMSG_LENGTH(
					   sizeof(struct ifinfomsg)) } };

	q.i = (struct ifinfomsg){ .ifi_index = 1,
				  .ifi_flags = IFF_UP,
				  .ifi_change = IFF_UP };
	return nl_talk(fd, &q);
}

static int shadow_configure(const struct hsk_ctrl_cfg *c)
{
	static const struct in6_addr any6;
	struct in_addr any4 = { 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int r = -1;

	if (fd < 0)
		return -1;
	if (nl_lo_up(fd))
		goto out;
	if (c->prefix4 &&
	    (nl_addr(fd, AF_INET, &c->ip4, c->prefix4) ||
	     nl_route(fd, AF_INET, &c->ip4, c->prefix4, &c->ip4) ||
	     (c->gw4.s_addr && nl_route(fd, AF_INET, &any4, 0, &c->ip4))))
		goto out;
	if (c->prefix6 &&
	    (nl_addr(fd, AF_INET6, &c->ip6, c->prefix6) ||
	     nl_route(fd, AF_INET6, &c->ip6, c->prefix6, &c->ip6) ||
	     (!IN6_IS_ADDR_UNSPECIFIED(&c->gw6) &&
	      nl_route(fd, AF_INET6, &any6, 0, &c->ip6))))
		goto out;
	r = 0;
out:
	close(fd);
	return r;
}

/* Makes the namespace and returns its descriptor; the calling thread is
 * back in its own namespace either way. */
static int shadow_ns(const struct hsk_ctrl_cfg *c)
{
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = -1, err = 0;

	if (orig < 0)
		return -1;
	if (unshare(CLONE_NEWNET)) {
		err = errno;
		goto out;
	}
	ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || shadow_configure(c))
		err = errno ? errno : EINVAL;
	if (setns(orig, CLONE_NEWNET)) {
		/* Stranded in the shadow: nothing sensible is left to do. */
		hsk_log(HSK_LOG_ERR, "dpdk: cannot return to the namespace: %s",
			strerror(errno));
		abort();
	}
out:
	close(orig);
	if (err) {
		if (ns >= 0)
			close(ns);
		errno = err;
		return -1;
	}
	return ns;
}

int dp_port_socket(struct dp_port *p, int domain, int type, int protocol)
{
	int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd, err;

	if (orig < 0)
		return -1;
	if (setns(p->ns_fd, CLONE_NEWNET)) {
		err = errno;
		close(orig);
		errno = err;
		return -1;
	}
	fd = socket(domain, type, protocol);
	err = errno;
	if (setns(orig, CLONE_NEWNET)) {
		hsk_log(HSK_LOG_ERR, "dpdk: cannot return to the namespace: %s",
			strerror(errno));
		abort();
	}
	close(orig);
	errno = err;
	return fd;
}

/* ---- the port ------------------------------------------------------- */

/* The control plane's transmit path: frames of its own, or held ones. */
static int ctrl_xmit(void *ctx, const void *frame, size_t len)
{
	struct dp_port *p = ctx;
	struct rte_mbuf *m = p->closed ? NULL : rte_pktmbuf_alloc(p->pool);
	char *d;

	if (!m)
		return -1;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (!d) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(d, frame, len);
	return dp_port_xmit(p, m);
}

static void fill_ctrl_cfg(struct dp_port *p, const struct hsk_config *c)
{
	p->cfg = (struct hsk_ctrl_cfg){
		.mtu = p->mtu,
		.ip4 = c->dpdk_ip4,
		.gw4 = c->dpdk_gw4,
		.prefix4 = c->dpdk_prefix4,
		.ip6 = c->dpdk_ip6,
		.gw6 = c->dpdk_gw6,
		.prefix6 = c->dpdk_prefix6,
		.xmit = ctrl_xmit,
		.xmit_ctx = p,
	};
	memcpy(p->cfg.mac, p->mac, 6);
}

/* The port named by HOTSOCK_IFACE (an ethdev name), else the first. */
static int find_port(const struct hsk_config *c, uint16_t *id)
{
	if (c->iface[0]) {
		if (rte_eth_dev_get_port_by_name(c->iface, id) == 0)
			return 0;
		hsk_log(HSK_LOG_ERR, "dpdk: no port named %s", c->iface);
		errno = ENODEV;
		return -1;
	}
	RTE_ETH_FOREACH_DEV(*id)
	return 0;
	hsk_log(HSK_LOG_ERR,
		"dpdk: no port: name a device or a vdev in HOTSOCK_DPDK_ARGS");
	errno = ENODEV;
	return -1;
}

/*
 * A vdev over a kernel interface may have no queue interrupt but a socket
 * per queue, readable while its receive ring holds frames: net_af_xdp
 * (DPDK 22.11) an XSK, made as the port starts, on which the PMD sleeps
 * itself when its fill ring runs dry; net_af_packet a packet socket with
 * a TPACKET ring, made when the EAL probes the device. The sockets of
 * @family that are not among @before (@nb of them, taken before they
 * could appear) are the port's queues (any one waking a wait is enough:
 * the wait polls them all); when they are not one per queue (another
 * port's came too), waits back off instead.
 */
static void find_queue_sockets(struct dp_port *p, int family, const int *before,
			       unsigned int nb)
{
	int now[SOCK_SCAN_MAX];
	unsigned int n = sockets_of(family, now, SOCK_SCAN_MAX), k = 0;

	for (unsigned int i = 0; i < n; i++) {
		bool old = false;

		for (unsigned int j = 0; j < nb && !old; j++)
			old = now[i] == before[j];
		if (!old && k < DP_MAX_RX_FDS)
			p->rx_fd[k] = now[i];
		k += !old;
	}
	p->n_rx_fd = k == p->nrxq && k <= DP_MAX_RX_FDS ? (uint16_t)k : 0;
}

/*
 * A queue interrupt that is the queue's own descriptor (net_tap: the tap
 * queue, readable while frames wait) needs no arming and no reading; one
 * the PMD must arm (rx_intr_enable) is another device's eventfd, left to
 * the back-off.
 */
static void find_intr_fds(struct dp_port *p)
{
	if (p->nrxq > DP_MAX_RX_FDS)
		return;
	for (uint16_t q = 0; q < p->nrxq; q++) {
		p->rx_fd[q] = rte_eth_dev_rx_intr_ctl_q_get_fd(p->id, q);
		if (p->rx_fd[q] < 0 ||
		    rte_eth_dev_rx_intr_enable(p->id, q) != -ENOTSUP)
			return;
	}
	p->n_rx_fd = p->nrxq;
}

/*
 * net_af_xdp registers the pool of its receive queue as the XSK's UMEM,
 * sized populated_size * object size from the pool's first object: it
 * takes the objects to lie back to back. Without hugepages a pool whose
 * objects must each be IOVA-contiguous puts at most one per 4 KiB page
 * (a 2368-byte mbuf takes a page), so the UMEM ends ~40% short of the
 * pool. The kernel drops, without counting them anywhere the PMD reads,
 * fill-ring addresses past its end (each one takes a slot of the fill
 * ring with it, until the ring is empty and every frame is dropped) and
 * transmit descriptors past its end (counted as invalid). The device is
 * a kernel interface, nothing DMAs into the pool: the objects may
 * straddle pages, which packs them (rte_pktmbuf_pool_init() with no
 * argument makes the whole element past the mbuf its data room).
 * Return: the pool, or NULL with rte_errno set.
 */
static struct rte_mempool *packed_pool_create(const char *name, unsigned int n,
					      int sock)
{
	return rte_mempool_create(
		name, n, sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE,
		MBUF_CACHE, sizeof(struct rte_pktmbuf_pool_private),
		rte_pktmbuf_pool_init, NULL, rte_pktmbuf_init, NULL, sock,
		RTE_MEMPOOL_F_NO_IOVA_CONTIG);
}

static int port_start(struct dp_port *p, const struct hsk_config *c)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	unsigned int nq = c->queues ? c->queues : 1, nmbufs, nxsk = 0;
	char name[RTE_MEMPOOL_NAMESIZE];
	int r, sock, xsk_before[SOCK_SCAN_MAX];
	bool af_xdp, af_packet;

	r = rte_eth_dev_info_get(p->id, &info);
	if (r)
		goto fail;
	if (nq > info.max_rx_queues)
		nq = info.max_rx_queues;
	p->nrxq = (uint16_t)nq;
	p->ifindex = (int)info.if_index;
	if (!p->ifindex || !if_indextoname((unsigned int)p->ifindex, p->ifname))
		p->ifname[0] = 0;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM) ==
	    RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM;
	if ((info.tx_offload_capa &
	     (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) ==
	    (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
					RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		p->tx_csum_offload = true;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* The queues of a vdev over a kernel interface are descriptors the
	 * kernel wakes (find_queue_sockets(), find_intr_fds()); a NIC keeps
	 * its polling mode. */
	af_xdp = !strcmp(info.driver_name, "net_af_xdp");
	af_packet = !strcmp(info.driver_name, "net_af_packet");
	if (af_xdp)
		nxsk = sockets_of(AF_XDP, xsk_before, SOCK_SCAN_MAX);
	else if (p->ifindex && !af_packet)
		conf.intr_conf.rxq = 1;
	sock = rte_eth_dev_socket_id(p->id);
	if (sock < 0)
		sock = 0;
	/* Descriptors of every ring, what sockets may queue and lend, and
	 * the fragments of datagrams being sent or reassembled. */
	nmbufs = nq * RX_DESC + TX_DESC + 4 * DP_RXQ_SIZE + 2 * c->zc_max_held +
		 2 * MAX_DATAGRAM / 1024;
	snprintf(name, sizeof(name), "hsk_pool_%u", p->id);
	p->pool = af_xdp ? packed_pool_create(name, nmbufs, sock) :
			   rte_pktmbuf_pool_create(name, nmbufs, MBUF_CACHE, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE,
						   sock);
	snprintf(name, sizeof(name), "hsk_ind_%u", p->id);
	p->indirect = rte_pktmbuf_pool_create(name, 2 * MAX_DATAGRAM / 512, 0,
					      0, 0, sock);
	if (!p->pool || !p->indirect) {
		r = -ENOMEM;
		goto fail;
	}
	r = rte_eth_dev_configure(p->id, (uint16_t)nq, 1, &conf);
	for (unsigned int q = 0; !r && q < nq; q++)
		r = rte_eth_rx_queue_setup(p->id, (uint16_t)q, RX_DESC,
					   (unsigned int)sock, NULL, p->pool);
	if (!r)
		r = rte_eth_tx_queue_setup(p->id, 0, TX_DESC,
					   (unsigned int)sock, NULL);
	if (!r)
		r = rte_eth_dev_start(p->id);
	if (r)
		goto fail;
	/* Multicast groups are sorted here, not by the device. */
	(void)rte_eth_allmulticast_enable(p->id);
	if (rte_eth_macaddr_get(p->id, &mac))
		goto fail;
	memcpy(p->mac, mac.addr_bytes, 6);
	if (rte_eth_dev_get_mtu(p->id, &p->mtu))
		p->mtu = RTE_ETHER_MTU;
	if (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_CHECKSUM)
		p->csum = 0; /* per mbuf, from its flags */
	/* A vdev over a kernel interface (veth, tap) sees frames that never
	 * crossed a wire: a local sender's offloaded UDP checksum arrives
	 * unfinished, and the kernel trusts it. */
	if (p->ifindex)
		p->csum |= HSK_NET_CSUM_LOCAL;
	find_pmd_signals(&p->pmd_signals);
	if (af_xdp)
		find_queue_sockets(p, AF_XDP, xsk_before, nxsk);
	else if (af_packet)
		find_queue_sockets(p, AF_PACKET, packet_socks_before,
				   n_packet_socks_before);
	else if (conf.intr_conf.rxq)
		find_intr_fds(p);
	if (!strcmp(info.driver_name, "net_tap")) {
		p->tap_nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				      NETLINK_ROUTE);
	}
	return 0;
fail:
	hsk_log(HSK_LOG_ERR, "dpdk: port %s cannot start: %s", p->name,
		r ? rte_strerror(-r) : "no memory");
	errno = r == -ENOMEM || !r ? ENOMEM : ENODEV;
	return -1;
}

static struct dp_port *port_make(uint16_t id, const struct hsk_config *c)
{
	struct dp_port *p = calloc(1, sizeof(*p));
	int err;

	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->id = id;
	p->ns_fd = p->wake_fd = p->kick_fd = p->tap_nl_fd = -1;
	p->busy_poll_us = c->busy_poll_us;
	pthread_mutex_init(&p->lock, NULL);
	rte_eth_dev_get_name_by_port(id, p->name);
	p->scratch = malloc(MAX_FRAME);
	p->reasm_buf = malloc(MAX_FRAME);
	if (!p->scratch || !p->reasm_buf || port_start(p, c))
		goto fail;
	fill_ctrl_cfg(p, c);
	p->ctrl = hsk_ctrl_new(&p->cfg);
	if (!p->ctrl)
		goto fail;
	p->reasm = dp_reasm_new();
	if (!p->reasm) {
		errno = ENOMEM;
		goto fail;
	}
	p->wake_fd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	p->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->wake_fd < 0 || p->kick_fd < 0)
		goto fail;
	p->ns_fd = shadow_ns(&p->cfg);
	if (p->ns_fd < 0) {
		hsk_log(HSK_LOG_ERR, "dpdk: no namespace for the sockets: %s",
			strerror(errno));
		goto fail;
	}
	pthread_mutex_lock(&p->lock);
	hsk_ctrl_announce(p->ctrl, dp_now_ns(CLOCK_MONOTONIC));
	pthread_mutex_unlock(&p->lock);
	hsk_log(HSK_LOG_INFO, "dpdk: port %s up, %u queue(s), MTU %u, waits %s",
		p->name, p->nrxq, p->mtu,
		p->n_rx_fd ? "sleep on the queues" : "back off");
	return p;
fail:
	/* A started port stays with the process: the EAL cannot hand it
	 * back to a later attempt in a cleaner state than this. */
	err = errno;
	if (p->ctrl)
		hsk_ctrl_free(p->ctrl);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	if (p->kick_fd >= 0)
		close(p->kick_fd);
	if (p->tap_nl_fd >= 0)
		close(p->tap_nl_fd);
	dp_reasm_free(p->reasm);
	free(p->scratch);
	free(p->reasm_buf);
	free(p);
	errno = err;
	return NULL;
}

struct dp_port *dp_port_get(const struct hsk_config *c)
{
	struct dp_port *p;
	uint16_t id;

	pthread_mutex_lock(&ports_lock);
	if (!eal_cfg.backend)
		eal_cfg = *c;
	pthread_mutex_unlock(&ports_lock);
	pthread_once(&eal_once, eal_init_once);
	if (eal_err) {
		errno = eal_err;
		return NULL;
	}
	pthread_mutex_lock(&ports_lock);
	if (find_port(c, &id)) {
		pthread_mutex_unlock(&ports_lock);
		return NULL;
	}
	for (p = ports; p && p->id != id; p = p->next)
		;
	if (!p) {
		p = port_make(id, c);
		if (p) {
			p->next = ports;
			ports = p;
		}
	}
	pthread_mutex_unlock(&ports_lock);
	return p;
}

/* ---- receiving ------------------------------------------------------ */

static uint16_t ether_type(const struct rte_mbuf *m, uint16_t *l2)
{
	const struct rte_ether_hdr *eh =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t et = eh->ether_type;

	*l2 = RTE_ETHER_HDR_LEN;
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
	    m->data_len >= RTE_ETHER_HDR_LEN + 4) {
		et = *(const uint16_t *)((const uint8_t *)(eh + 1) + 2);
		*l2 += 4;
	}
	return et;
}

/*
 * A fragment in; when it completes its datagram, the whole frame is
 * parsed from the linear copy and handed on as an mbuf chain (the
 * parser's offsets hold in both).
 */
static void input_fragment(struct dp_port *p, struct rte_mbuf *m, uint16_t l2,
			   uint64_t ts, uint64_t now)
{
	struct hsk_net_udp pkt;
	struct rte_mbuf *whole;
	uint32_t len;

	len = dp_reasm_input(p->reasm, rte_pktmbuf_mtod(m, uint8_t *),
			     m->data_len, l2, now, p->reasm_buf);
	rte_pktmbuf_free(m);
	if (!len)
		return;
	switch (hsk_net_parse_udp(p->reasm_buf, len,
				  p->csum & HSK_NET_CSUM_LOCAL, &pkt)) {
	case HSK_NET_UDP:
		whole = dp_frame_chain(p, p->reasm_buf, len);
		if (whole)
			dp_sock_udp_input(p, whole, &pkt, ts);
		else
			p->rx_unclaimed++;
		break;
	case HSK_NET_OTHER:
		p->rx_unclaimed++;
		break;
	default:
		if (!pkt.addressed ||
		    !dp_sock_count_bad(p, &pkt, HSK_NET_MALFORMED))
			p->rx_malformed++;
	}
}

/*
 * An ICMP port unreachable that quotes a datagram we sent: reported on
 * the connected socket, as the kernel does (ECONNREFUSED).
 */
static void icmp_error(struct dp_port *p, const uint8_t *f, uint32_t len,
		       uint16_t et, uint16_t l2)
{
	union hsk_net_addr dst;
	const uint8_t *q;
	uint32_t ihl;

	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		if (len < l2 + 20u || f[l2 + 9] != IPPROTO_ICMP)
			return;
		ihl = (f[l2] & 0xfu) * 4u;
		q = f + l2 + ihl; /* ICMP header */
		if (len < l2 + ihl + 8 + 20 + 8 || q[0] != 3 || q[1] != 3)
			return;
		q += 8; /* the quoted IP header */
		ihl = (q[0] & 0xfu) * 4u;
		if (q[9] != IPPROTO_UDP || len < (uint32_t)(q - f) + ihl + 8)
			return;
		memcpy(&dst.v4, q + 16, 4);
		q += ihl;
		dp_sock_icmp_error(p, AF_INET, &dst, *(const uint16_t *)q,
				   *(const uint16_t *)(q + 2), ECONNREFUSED);
		return;
	}
	if (et != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) ||
	    len < l2 + 40u + 8 + 40 + 8 || f[l2 + 6] != IPPROTO_ICMPV6)
		return;
	q = f + l2 + 40;
	if (q[0] != 1 || q[1] != 4 || q[8 + 6] != IPPROTO_UDP)
		return;
	q += 8;
	memcpy(&dst.v6, q + 24, 16);
	q += 40;
	dp_sock_icmp_error(p, AF_INET6, &dst, *(const uint16_t *)q,
			   *(const uint16_t *)(q + 2), ECONNREFUSED);
}

static void input_one(struct dp_port *p, struct rte_mbuf *m, uint64_t ts,
		      uint64_t now)
{
	struct hsk_net_udp pkt;
	enum hsk_net_verdict v;
	unsigned int csum = p->csum;
	uint16_t et, l2;

	/* A segmented frame (net_ring hands on what was sent, fragments
	 * pointing into their datagram) is made linear first. */
	if (m->nb_segs > 1 && m->pkt_len <= RTE_MBUF_DEFAULT_DATAROOM) {
		struct rte_mbuf *lin = dp_frame_chain(
			p, rte_pktmbuf_read(m, 0, m->pkt_len, p->scratch),
			m->pkt_len);

		rte_pktmbuf_free(m);
		if (!lin) {
			p->rx_unclaimed++;
			return;
		}
		m = lin;
	}
	dp_sock_frame_input(p, m, ts);
	if (m->data_len < RTE_ETHER_HDR_LEN) {
		p->rx_malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		    RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		    RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		csum |= HSK_NET_CSUM_VERIFIED;
	et = ether_type(m, &l2);
	if (dp_reasm_is_fragment(rte_pktmbuf_mtod(m, uint8_t *), m->data_len,
				 et, l2)) {
		input_fragment(p, m, l2, ts, now);
		return;
	}
	v = hsk_net_parse_udp(rte_pktmbuf_mtod(m, void *), m->data_len, csum,
			      &pkt);
	switch (v) {
	case HSK_NET_UDP:
		dp_sock_udp_input(p, m, &pkt, ts);
		return;
	case HSK_NET_MALFORMED:
	case HSK_NET_BAD_CSUM:
		if (!pkt.addressed || !dp_sock_count_bad(p, &pkt, v))
			p->rx_malformed++;
		break;
	case HSK_NET_OTHER:
		if (m->nb_segs > 1) {
			p->rx_unclaimed++;
			break;
		}
		switch (hsk_ctrl_input(p->ctrl, rte_pktmbuf_mtod(m, void *),
				       m->data_len, now)) {
		case HSK_CTRL_DROP:
			p->rx_malformed++;
			break;
		case HSK_CTRL_PASS:
			icmp_error(p, rte_pktmbuf_mtod(m, uint8_t *),
				   m->data_len, et, l2);
			p->rx_unclaimed++;
			break;
		case HSK_CTRL_CONSUMED:
			break;
		}
		break;
	}
	rte_pktmbuf_free(m);
}

void dp_port_poll(struct dp_port *p, const struct dp_sock *ds,
		  unsigned int want)
{
	struct rte_mbuf *m[DP_BURST];
	uint64_t now = dp_now_ns(CLOCK_MONOTONIC), ts = 0;
	bool left = false;
	unsigned int total = 0;

	if (p->closed)
		return;
	/*
	 * What arrived since the port was last seen empty, a kernel would
	 * have sorted into the sockets already, dropping what their buffers
	 * could not hold: all of it is taken, up to a bound. A caller that
	 * keeps the port busy (the last poll left frames behind) takes a
	 * burst at a time, only while the socket that asked needs frames:
	 * the rest would be pulled only to be dropped, and waits in the
	 * device instead.
	 */
	for (uint16_t q = 0; q < p->nrxq; q++) {
		unsigned int got = 0;
		uint16_t n = DP_BURST;

		while (n == DP_BURST && got < POLL_MAX) {
			if (p->backlog &&
			    (ds ? !dp_sock_wants(ds, want) : got > 0))
				break;
			n = rte_eth_rx_burst(p->id, q, m, DP_BURST);
			if (n && !ts)
				ts = dp_now_ns(CLOCK_REALTIME);
			for (uint16_t i = 0; i < n; i++)
				input_one(p, m[i], ts, now);
			got += n;
		}
		left |= n == DP_BURST;
		total += got;
	}
	p->backlog = left;
	/* What a sleeper waited for may be among these: its descriptors
	 * will not tell it, the frames left the device. */
	if (total && p->sleepers && !p->kicked) {
		(void)eventfd_write(p->kick_fd, 1);
		p->kicked = true;
	}
	hsk_ctrl_tick(p->ctrl, now);
}

/* Frames the kernel could not queue to the tap's reader; 0 when it does
 * not say. */
static uint64_t tap_dropped(const struct dp_port *p)
{
	struct nl_req q = { .h = { .nlmsg_type = RTM_GETLINK,
				   .nlmsg_flags = NLM_F_REQUEST,
				   .nlmsg_len = NLMSG_LENGTH(
					   sizeof(struct ifinfomsg)) } };
	union {
		struct nlmsghdr h;
		char b[16384];
	} r;
	struct rtnl_link_stats64 st;
	struct rtattr *a;
	ssize_t n;
	int len;

	q.i = (struct ifinfomsg){ .ifi_index = p->ifindex };
	if (send(p->tap_nl_fd, &q, q.h.nlmsg_len, 0) < 0)
		return 0;
	n = recv(p->tap_nl_fd, &r, sizeof(r), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    !NLMSG_OK(&r.h, (unsigned int)n) || r.h.nlmsg_type != RTM_NEWLINK)
		return 0;
	len = (int)IFLA_PAYLOAD(&r.h);
	for (a = IFLA_RTA(NLMSG_DATA(&r.h)); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_STATS64 &&
		    RTA_PAYLOAD(a) >= sizeof(st)) {
			memcpy(&st, RTA_DATA(a), sizeof(st));
			return st.tx_dropped;
		}
	}
	return 0;
}

uint64_t dp_port_drops(struct dp_port *p)
{
	struct rte_eth_stats st;
	uint64_t n;

	if (p->closed)
		return p->drops_at_close;
	n = p->tap_nl_fd >= 0 ? tap_dropped(p) : 0;
	if (!rte_eth_stats_get(p->id, &st))
		n += st.imissed + st.rx_nombuf;
	return n;
}

static int sleep_masked(const struct dp_port *p, struct pollfd *fds, nfds_t n,
			long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
	sigset_t mask;

	/* Held back, a PMD's signal is handled when ppoll() restores the
	 * mask; its frames are then found by the next poll of the port. */
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigorset(&mask, &mask, &p->pmd_signals);
	return ppoll(fds, n, &ts, &mask) < 0 ? -1 : 0;
}

int dp_port_nap(const struct dp_port *p, long ns)
{
	return sleep_masked(p, NULL, 0, ns);
}

int dp_port_sleep(struct dp_port *p, long ns)
{
	struct pollfd fds[DP_MAX_RX_FDS + 1];
	eventfd_t v;
	int r;

	for (uint16_t i = 0; i < p->n_rx_fd; i++)
		fds[i] = (struct pollfd){ .fd = p->rx_fd[i], .events = POLLIN };
	fds[p->n_rx_fd] = (struct pollfd){ .fd = p->kick_fd, .events = POLLIN };
	r = sleep_masked(p, fds, p->n_rx_fd + 1u, ns);
	pthread_mutex_lock(&p->lock);
	/* The kick stays readable until every sleeper has seen it. */
	if (!--p->sleepers && p->kicked) {
		(void)eventfd_read(p->kick_fd, &v);
		p->kicked = false;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* ---- sending -------------------------------------------------------- */

struct rte_mbuf *dp_frame_chain(struct dp_port *p, const uint8_t *frame,
				uint32_t len)
{
	struct rte_mbuf *head = NULL, *seg;
	uint32_t done = 0;

	while (done < len) {
		uint16_t k;

		seg = rte_pktmbuf_alloc(p->pool);
		if (!seg || (head && rte_pktmbuf_chain(head, seg))) {
			rte_pktmbuf_free(seg);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (!head)
			head = seg;
		k = rte_pktmbuf_tailroom(seg);
		if (k > len - done)
			k = (uint16_t)(len - done);
		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), frame + done, k);
		seg->data_len = k;
		if (seg != head)
			head->pkt_len += k;
		else
			head->pkt_len = k;
		done += k;
	}
	return head;
}

static int xmit_burst(struct dp_port *p, struct rte_mbuf **m, uint16_t n)
{
	uint16_t k = rte_eth_tx_burst(p->id, 0, m, n);

	if (k == n)
		return 0;
	rte_pktmbuf_free_bulk(m + k, n - k);
	errno = EAGAIN;
	return -1;
}

/*
 * An IP datagram above the MTU leaves in fragments, as the kernel sends
 * it: the library cuts the IP packet, each piece gets the Ethernet header
 * again.
 */
#define MAX_FRAGS 64

static int xmit_fragments(struct dp_port *p, struct rte_mbuf *m, uint16_t l2)
{
	struct rte_mbuf *frags[MAX_FRAGS];
	uint8_t eh[RTE_ETHER_HDR_LEN + 4];
	bool v4 = ((rte_pktmbuf_mtod_offset(m, uint8_t *, l2)[0]) >> 4) == 4;
	int n;

	memcpy(eh, rte_pktmbuf_mtod(m, void *), l2);
	rte_pktmbuf_adj(m, l2);
	/* The kernel fragments what it sends above the MTU: no DF then. */
	if (v4)
		rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->fragment_offset &=
			rte_cpu_to_be_16((uint16_t)~RTE_IPV4_HDR_DF_FLAG);
	if (v4)
		n = rte_ipv4_fragment_packet(m, frags, MAX_FRAGS, p->mtu,
					     p->pool, p->indirect);
	else
		n = rte_ipv6_fragment_packet(m, frags, MAX_FRAGS, p->mtu,
					     p->pool, p->indirect);
	rte_pktmbuf_free(m);
	if (n < 0) {
		errno = -n == ENOMEM ? ENOBUFS : EMSGSIZE;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(frags[i], l2);

		if (!h) {
			rte_pktmbuf_free_bulk(frags, (unsigned int)n);
			errno = ENOBUFS;
			return -1;
		}
		memcpy(h, eh, l2);
		if (v4) {
			struct rte_ipv4_hdr *ip = (void *)(h + l2);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	}
	return xmit_burst(p, frags, (uint16_t)n);
}

bool dp_port_takes_whole(const struct dp_port *p, const struct rte_mbuf *m)
{
	uint16_t l2;

	(void)ether_type(m, &l2);
	return !p->closed && m->pkt_len <= (uint32_t)l2 + p->mtu;
}

int dp_port_xmit(struct dp_port *p, struct rte_mbuf *m)
{
	uint16_t et, l2;

	if (dp_port_takes_whole(p, m))
		return xmit_burst(p, &m, 1);
	if (p->closed) {
		errno = ENETDOWN;
		return -1;
	}
	et = ether_type(m, &l2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		return xmit_fragments(p, m, l2);
	return xmit_burst(p, &m, 1);
}
