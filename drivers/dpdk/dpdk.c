// SPDX-License-Identifier: BSD-3-Clause
/*
 * The dpdk backend's sockets: UDP (IPv4, IPv6) and AF_PACKET over a port
 * that hotsock owns. The descriptor is a placeholder kernel socket in the
 * port's shadow namespace (port.c): it carries no traffic, and its kernel
 * keeps the books (addresses, ports, options) by the kernel's own rules.
 * Every call runs the port on the caller's thread.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpdk.h"

#define RX_OVERHEAD 256		/* charged per datagram against SO_RCVBUF */
#define MAX_GROUPS 20		/* IP_MAX_MEMBERSHIPS */
#define WAIT_SPINS 64		/* polls before the first sleep of a wait */
#define WAIT_MAX_NS 1000000L	/* longest nap of a wait: 1 ms */
#define WAIT_SLEEP_NS 10000000L /* ... on the queues' descriptors: 10 ms */
#define RESOLVE_POLLS 200	/* a send that resolves runs the port */
#define RESOLVE_NAP_NS 25000L	/* ... for up to 200 x 25 us */
#define UDP4_MAX_PAYLOAD (65535u - HSK_IP4_HLEN - HSK_UDP_HLEN)
#define UDP6_MAX_PAYLOAD (65535u - HSK_UDP_HLEN)
/* The kernel's "check and route, send nothing" (include/linux/socket.h),
 * which glibc does not name. */
#ifndef MSG_PROBE
#define MSG_PROBE 0x10
#endif

struct dp_group {
	int family;
	union hsk_net_addr addr;
};

/* A zero-copy receive under way: while its socket's queue is empty, the
 * demultiplexer lends datagrams straight into the caller's buffers. */
struct dp_sink {
	struct hsk_buf *b;
	uint64_t *cookie;
	unsigned int n, got;
};

struct dp_sock {
	struct hsk_sock *s;
	struct dp_port *p;
	int family;
	bool packet;
	/* UDP: the addresses the placeholder holds, read back from it. */
	bool bound, lwild, connected;
	union hsk_net_addr laddr, raddr;
	uint16_t lport, rport;	       /* network order */
	uint16_t ptype;		       /* AF_PACKET: ethertype, 0 for all */
	int ll_ifindex;		       /* AF_PACKET: the bound link, 0 none */
	bool promisc;		       /* AF_PACKET: PACKET_MR_PROMISC held */
	uint32_t tp_packets, tp_drops; /* PACKET_STATISTICS since read */
	bool bound_dev;		       /* SO_BINDTODEVICE to the port */
	int ngroups;
	struct dp_group groups[MAX_GROUPS];
	/* Options mirrored from the placeholder after every change. */
	unsigned int rx_flags; /* HSK_RX_* */
	uint32_t rcvbuf;
	uint8_t ttl, mc_ttl, tos;
	bool broadcast;
	bool mc_loop; /* IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP */
	uint16_t ip_id;
	int err; /* an ICMP error for the next call (connected sockets) */
	/* Receive queue, port locked. */
	uint32_t head, tail, rx_bytes;
	uint32_t rx_drops;
	uint64_t port_drops0; /* the port's drops when the socket came */
	struct dp_sink *sink; /* set while a zero-copy receive polls */
	struct dp_rx rxq[DP_RXQ_SIZE];
	struct dp_sock *next;
};

static bool is_wild(int family, const union hsk_net_addr *a)
{
	static const union hsk_net_addr zero;

	return hsk_net_addr_eq(family, a, &zero);
}

static bool is_multicast(int family, const union hsk_net_addr *a)
{
	return family == AF_INET ?
		       (a->v4.s_addr & htonl(0xf0000000)) == htonl(0xe0000000) :
		       a->v6.s6_addr[0] == 0xff;
}

static const union hsk_net_addr *port_addr(const struct dp_port *p, int family)
{
	return family == AF_INET ? (const void *)&p->cfg.ip4 :
				   (const void *)&p->cfg.ip6;
}

/* The IPv4 broadcast addresses of the port: limited and directed. */
static bool is_broadcast4(const struct dp_port *p, struct in_addr a)
{
	uint32_t mask;

	if (a.s_addr == INADDR_BROADCAST)
		return true;
	if (!p->cfg.prefix4)
		return false;
	mask = p->cfg.prefix4 == 32 ? ~0u : ~(~0u >> p->cfg.prefix4);
	return (ntohl(a.s_addr) | mask) == ~0u &&
	       (ntohl(a.s_addr) & mask) == (ntohl(p->cfg.ip4.s_addr) & mask) &&
	       p->cfg.prefix4 < 31;
}

/* ---- options mirrored from the placeholder -------------------------- */

static void mirror_options(struct dp_sock *ds)
{
	int fd = ds->s->fd;
	bool v4 = ds->family == AF_INET;
	int lvl = v4 ? IPPROTO_IP : IPPROTO_IPV6;

	if (!ds->packet) {
		ds->ttl = (uint8_t)hsk_opt_int(fd, lvl,
					       v4 ? IP_TTL : IPV6_UNICAST_HOPS);
		ds->mc_ttl = (uint8_t)hsk_opt_int(
			fd, lvl, v4 ? IP_MULTICAST_TTL : IPV6_MULTICAST_HOPS);
		ds->tos = (uint8_t)hsk_opt_int(fd, lvl,
					       v4 ? IP_TOS : IPV6_TCLASS);
		ds->broadcast = hsk_opt_int(fd, SOL_SOCKET, SO_BROADCAST);
		ds->mc_loop = hsk_opt_int(
			fd, lvl, v4 ? IP_MULTICAST_LOOP : IPV6_MULTICAST_LOOP);
	}
	ds->rx_flags = hsk_rx_options(fd, ds->family, ds->packet);
	ds->rcvbuf = (uint32_t)hsk_opt_int(fd, SOL_SOCKET, SO_RCVBUF);
}

/* ---- addresses ------------------------------------------------------ */

static bool sockaddr_to(int family, const struct sockaddr *sa, socklen_t len,
			union hsk_net_addr *a, uint16_t *port)
{
	if (family == AF_INET && sa->sa_family == AF_INET &&
	    len >= sizeof(struct sockaddr_in)) {
		a->v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		*port = ((const struct sockaddr_in *)sa)->sin_port;
		return true;
	}
	if (family == AF_INET6 && sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		a->v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		*port = ((const struct sockaddr_in6 *)sa)->sin6_port;
		return true;
	}
	return false;
}

/* Reads the placeholder's addresses back after bind, connect or an
 * implicit bind; port locked, so the demultiplexer sees them whole. */
static void refresh_addresses(struct dp_sock *ds)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ds->bound = !getsockname(ds->s->fd, (struct sockaddr *)&ss, &len) &&
		    sockaddr_to(ds->family, (struct sockaddr *)&ss, len,
				&ds->laddr, &ds->lport) &&
		    ds->lport;
	ds->lwild = ds->bound && is_wild(ds->family, &ds->laddr);
	len = sizeof(ss);
	ds->connected = !getpeername(ds->s->fd, (struct sockaddr *)&ss, &len) &&
			sockaddr_to(ds->family, (struct sockaddr *)&ss, len,
				    &ds->raddr, &ds->rport);
}

/* ---- receiving: the demultiplexer (port locked) --------------------- */

/* The kernel's rules: a socket over its receive buffer drops, a packet
 * socket's frames fill its ring. */
static uint32_t rx_limit(const struct dp_sock *ds)
{
	return ds->packet ? (uint32_t)ds->s->packet_ring_size : ds->rcvbuf;
}

bool dp_sock_wants(const struct dp_sock *ds, unsigned int want)
{
	uint32_t queued = ds->tail - ds->head + (ds->sink ? ds->sink->got : 0);

	return queued < want && queued < DP_RXQ_SIZE &&
	       ds->rx_bytes <= rx_limit(ds);
}

static void lend_rx(const struct dp_sock *ds, struct rte_mbuf *m,
		    const struct hsk_net_udp *pkt, uint64_t ts,
		    struct hsk_buf *b);

static bool enqueue(struct dp_sock *ds, struct rte_mbuf *m,
		    const struct hsk_net_udp *pkt, uint64_t ts)
{
	uint32_t limit = rx_limit(ds);
	struct dp_sink *k = ds->sink;
	struct dp_rx *e;

	if (ds->packet)
		ds->tp_packets++;
	/* Nothing queued ahead of it: the caller gets it at once. */
	if (k && k->got < k->n && ds->head == ds->tail) {
		lend_rx(ds, m, pkt, ts, &k->b[k->got]);
		k->cookie[k->got++] = (uintptr_t)m;
		return true;
	}
	if (ds->tail - ds->head == DP_RXQ_SIZE || ds->rx_bytes > limit ||
	    (ds->packet && ds->rx_bytes + m->pkt_len + RX_OVERHEAD > limit)) {
		ds->rx_drops++;
		ds->tp_drops += ds->packet;
		hsk_count(&ds->s->stats.rx_drop_kernel, 1);
		return false;
	}
	e = &ds->rxq[ds->tail++ & (DP_RXQ_SIZE - 1)];
	e->m = m;
	e->ts_ns = ts;
	if (pkt)
		e->pkt = *pkt;
	ds->rx_bytes += m->pkt_len + RX_OVERHEAD;
	return true;
}

/* The kernel's preference among sockets bound to a port: connected to
 * the sender, then bound to the address, then the wildcard. */
static int match(const struct dp_sock *ds, const struct hsk_net_udp *pkt)
{
	int score = 1;

	if (ds->packet || !ds->bound || ds->family != pkt->family ||
	    ds->lport != pkt->dport)
		return 0;
	if (!ds->lwild) {
		if (!hsk_net_addr_eq(ds->family, &ds->laddr, &pkt->dst))
			return 0;
		score += 2;
	}
	if (ds->connected) {
		if (ds->rport != pkt->sport ||
		    !hsk_net_addr_eq(ds->family, &ds->raddr, &pkt->src))
			return 0;
		score += 4;
	}
	return score;
}

void dp_sock_udp_input(struct dp_port *p, struct rte_mbuf *m,
		       const struct hsk_net_udp *pkt, uint64_t ts)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_sock *ds, *best = NULL, *last = NULL;
	bool to_all = false;
	int score, top = 0;

	if (is_multicast(pkt->family, &pkt->dst)) {
		if (!hsk_ctrl_is_member(p->ctrl, pkt->family, &pkt->dst))
			goto unclaimed;
		to_all = true;
	} else if (pkt->family == AF_INET && is_broadcast4(p, pkt->dst.v4)) {
		to_all = true;
	} else if (memcmp(frame, p->mac, 6) ||
		   hsk_net_addr_eq(pkt->family, &pkt->dst,
				   &(union hsk_net_addr){ 0 }) ||
		   !hsk_net_addr_eq(pkt->family, &pkt->dst,
				    port_addr(p, pkt->family))) {
		goto unclaimed; /* another host's, seen in promiscuous mode */
	}
	/* Every member gets a group's datagram (IP_MULTICAST_ALL), each
	 * socket of the port a broadcast, one socket a unicast. A reference
	 * more for every receiver but the last, which takes the frame's. */
	for (ds = p->socks; ds; ds = ds->next) {
		score = match(ds, pkt);
		if (!score)
			continue;
		if (to_all) {
			if (last) {
				rte_mbuf_refcnt_update(m, 1);
				if (!enqueue(last, m, pkt, ts))
					rte_pktmbuf_free(m);
			}
			last = ds;
		} else if (score > top) {
			top = score;
			best = ds;
		}
	}
	if (to_all)
		best = last;
	if (best) {
		if (!enqueue(best, m, pkt, ts))
			rte_pktmbuf_free(m);
		return;
	}
	if (to_all) {
		rte_pktmbuf_free(m); /* a group or broadcast nobody wants */
		return;
	}
	if (m->nb_segs == 1)
		hsk_ctrl_port_unreachable(p->ctrl, frame, m->data_len);
unclaimed:
	p->rx_unclaimed++;
	rte_pktmbuf_free(m);
}

bool dp_sock_count_bad(struct dp_port *p, const struct hsk_net_udp *pkt,
		       enum hsk_net_verdict why)
{
	struct dp_sock *ds, *best = NULL;
	int score, top = 0;

	for (ds = p->socks; ds; ds = ds->next) {
		score = match(ds, pkt);
		if (score > top) {
			top = score;
			best = ds;
		}
	}
	if (!best)
		return false;
	hsk_count(why == HSK_NET_BAD_CSUM ? &best->s->stats.rx_drop_checksum :
					    &best->s->stats.rx_drop_malformed,
		  1);
	return true;
}

void dp_sock_frame_input(struct dp_port *p, struct rte_mbuf *m, uint64_t ts)
{
	uint16_t et = m->data_len >= HSK_ETH_HLEN ?
			      *rte_pktmbuf_mtod_offset(m, uint16_t *, 12) :
			      0;

	for (struct dp_sock *ds = p->socks; ds; ds = ds->next) {
		if (!ds->packet || (ds->ptype && ds->ptype != et))
			continue;
		rte_mbuf_refcnt_update(m, 1);
		if (!enqueue(ds, m, NULL, ts))
			rte_pktmbuf_free(m);
	}
}

/*
 * An ICMP port or host unreachable quoting one of our datagrams: the
 * kernel reports it on a connected socket (ECONNREFUSED), so do we.
 */
void dp_sock_icmp_error(struct dp_port *p, int family,
			const union hsk_net_addr *dst, uint16_t sport,
			uint16_t dport, int err)
{
	for (struct dp_sock *ds = p->socks; ds; ds = ds->next)
		if (!ds->packet && ds->connected && ds->family == family &&
		    ds->lport == sport && ds->rport == dport &&
		    hsk_net_addr_eq(family, &ds->raddr, dst))
			ds->err = err;
}

/* ---- creating and binding ------------------------------------------- */

static int dp_open(struct hsk_sock *s)
{
	struct hsk_config c;
	struct dp_sock *ds;
	struct dp_port *p;
	int fd;

	if (hsk_config_get(&c))
		return -1;
	p = dp_port_get(&c);
	if (!p)
		return -1;
	/* Protocol 0 for a packet placeholder: it must receive nothing. */
	fd = dp_port_socket(p, s->domain,
			    s->type | (s->cloexec ? SOCK_CLOEXEC : 0),
			    s->domain == AF_PACKET ? 0 : s->protocol);
	if (fd < 0)
		return -1;
	ds = calloc(1, sizeof(*ds));
	if (!ds) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	ds->s = s;
	ds->p = p;
	ds->family = s->domain;
	ds->packet = s->domain == AF_PACKET;
	ds->ptype = ds->packet && s->protocol != htons(ETH_P_ALL) ?
			    (uint16_t)s->protocol :
			    0;
	s->fd = fd;
	s->priv = ds;
	pthread_mutex_lock(&p->lock);
	mirror_options(ds);
	ds->port_drops0 = dp_port_drops(p);
	ds->next = p->socks;
	p->socks = ds;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void dp_close(struct hsk_sock *s)
{
	struct dp_sock *ds = s->priv, **pp;
	struct dp_port *p = ds->p;
	uint64_t now = dp_now_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&p->lock);
	for (pp = &p->socks; *pp; pp = &(*pp)->next)
		if (*pp == ds) {
			*pp = ds->next;
			break;
		}
	for (int i = 0; i < ds->ngroups; i++)
		hsk_ctrl_leave(p->ctrl, ds->groups[i].family,
			       &ds->groups[i].addr, now);
	while (!p->closed && ds->head != ds->tail)
		rte_pktmbuf_free(ds->rxq[ds->head++ & (DP_RXQ_SIZE - 1)].m);
	pthread_mutex_unlock(&p->lock);
	/* Buffers still lent die with the socket (their cookies are mbufs),
	 * as a kernel slab's would: the pool gets them back, unless it went
	 * with the EAL at exit. */
	for (uint32_t i = 0; !p->closed && s->loans.tab && i < s->loans.cap;
	     i++)
		if (s->loans.tab[i].kind)
			rte_pktmbuf_free(
				(struct rte_mbuf *)(uintptr_t)s->loans.tab[i]
					.cookie);
	free(ds);
}

static int dp_bind(struct hsk_sock *s, const struct sockaddr *a, socklen_t l)
{
	struct dp_sock *ds = s->priv;
	const struct sockaddr_ll *ll = (const void *)a;

	if (!ds->packet) {
		if (bind(s->fd, a, l))
			return -1;
		pthread_mutex_lock(&ds->p->lock);
		refresh_addresses(ds);
		pthread_mutex_unlock(&ds->p->lock);
		return 0;
	}
	/* As packet_bind(): the link must be the port's. */
	if (!a) {
		errno = EFAULT;
		return -1;
	}
	if (l < sizeof(*ll) || ll->sll_family != AF_PACKET) {
		errno = EINVAL;
		return -1;
	}
	if (ll->sll_ifindex && ll->sll_ifindex != ds->p->ifindex) {
		errno = ENODEV;
		return -1;
	}
	pthread_mutex_lock(&ds->p->lock);
	ds->ll_ifindex = ll->sll_ifindex;
	if (ll->sll_protocol)
		ds->ptype = ll->sll_protocol == htons(ETH_P_ALL) ?
				    0 :
				    ll->sll_protocol;
	pthread_mutex_unlock(&ds->p->lock);
	return 0;
}

static int dp_connect(struct hsk_sock *s, const struct sockaddr *a, socklen_t l)
{
	struct dp_sock *ds = s->priv;

	if (connect(s->fd, a, l))
		return -1;
	pthread_mutex_lock(&ds->p->lock);
	refresh_addresses(ds);
	ds->err = 0;
	pthread_mutex_unlock(&ds->p->lock);
	return 0;
}

static int dp_getsockname(struct hsk_sock *s, struct sockaddr *a, socklen_t *l)
{
	struct dp_sock *ds = s->priv;
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = ds->ptype ? ds->ptype : htons(ETH_P_ALL),
		.sll_ifindex = ds->ll_ifindex,
	};
	socklen_t n = offsetof(struct sockaddr_ll, sll_addr);

	if (!ds->packet)
		return getsockname(s->fd, a, l);
	if (!a || !l) {
		errno = EFAULT;
		return -1;
	}
	if ((int)*l < 0) {
		errno = EINVAL;
		return -1;
	}
	/* As packet_getname(): the link's address once bound to one. */
	if (ds->ll_ifindex) {
		ll.sll_hatype = ARPHRD_ETHER;
		ll.sll_halen = 6;
		memcpy(ll.sll_addr, ds->p->mac, 6);
		n += 6;
	}
	memcpy(a, &ll, *l < n ? *l : n);
	*l = n;
	return 0;
}

/* ---- options -------------------------------------------------------- */

/*
 * Group membership is the port's (IGMP/MLD through the control plane):
 * the placeholder's namespace has no such interface. Checked as the
 * kernel checks it.
 */
static int membership(struct dp_sock *ds, int level, int name, const void *val,
		      socklen_t len)
{
	bool v4 = level == IPPROTO_IP;
	bool join = name == IP_ADD_MEMBERSHIP || name == IPV6_JOIN_GROUP;
	struct dp_group g = { .family = v4 ? AF_INET : AF_INET6 };
	uint64_t now = dp_now_ns(CLOCK_MONOTONIC);
	int i, ifindex, r = 0;

	if (len < (v4 ? sizeof(struct ip_mreq) : sizeof(struct ipv6_mreq))) {
		errno = EINVAL;
		return -1;
	}
	if (!val) {
		errno = EFAULT;
		return -1;
	}
	if (v4) {
		const struct ip_mreqn *mr = val;

		g.addr.v4 = mr->imr_multiaddr;
		ifindex = len >= sizeof(*mr) ? mr->imr_ifindex : 0;
	} else {
		const struct ipv6_mreq *mr = val;

		g.addr.v6 = mr->ipv6mr_multiaddr;
		ifindex = (int)mr->ipv6mr_interface;
	}
	if (!is_multicast(g.family, &g.addr)) {
		errno = EINVAL;
		return -1;
	}
	if (ifindex && ifindex != ds->p->ifindex) {
		errno = ENODEV;
		return -1;
	}
	pthread_mutex_lock(&ds->p->lock);
	for (i = 0; i < ds->ngroups; i++)
		if (ds->groups[i].family == g.family &&
		    hsk_net_addr_eq(g.family, &ds->groups[i].addr, &g.addr))
			break;
	if (join && i < ds->ngroups) {
		errno = EADDRINUSE;
		r = -1;
	} else if (join && ds->ngroups == MAX_GROUPS) {
		errno = ENOBUFS;
		r = -1;
	} else if (join) {
		r = hsk_ctrl_join(ds->p->ctrl, g.family, &g.addr, now);
		if (!r)
			ds->groups[ds->ngroups++] = g;
	} else if (i == ds->ngroups) {
		errno = EADDRNOTAVAIL;
		r = -1;
	} else {
		hsk_ctrl_leave(ds->p->ctrl, g.family, &g.addr, now);
		ds->groups[i] = ds->groups[--ds->ngroups];
	}
	pthread_mutex_unlock(&ds->p->lock);
	return r;
}

static bool is_membership(int level, int name)
{
	return (level == IPPROTO_IP &&
		(name == IP_ADD_MEMBERSHIP || name == IP_DROP_MEMBERSHIP)) ||
	       (level == IPPROTO_IPV6 &&
		(name == IPV6_JOIN_GROUP || name == IPV6_LEAVE_GROUP));
}

/* Options naming an interface: the port's is the only one there is. */
static bool names_the_port(struct dp_sock *ds, int level, int name,
			   const void *val, socklen_t len)
{
	if (!val)
		return false;
	if (level == IPPROTO_IP && name == IP_MULTICAST_IF &&
	    len >= sizeof(struct ip_mreqn))
		return ((const struct ip_mreqn *)val)->imr_ifindex ==
		       ds->p->ifindex;
	if (level == IPPROTO_IPV6 && name == IPV6_MULTICAST_IF &&
	    len >= sizeof(int))
		return *(const int *)val == ds->p->ifindex;
	return false;
}

/* PACKET_MR_PROMISC puts the port in promiscuous mode while any socket
 * holds it; the other kinds change nothing: every frame is seen. */
static int packet_membership(struct dp_sock *ds, int name, const void *val,
			     socklen_t len)
{
	const struct packet_mreq *mr = val;
	bool add = name == PACKET_ADD_MEMBERSHIP;
	struct dp_port *p = ds->p;

	if (len < sizeof(*mr)) {
		errno = EINVAL;
		return -1;
	}
	if (!val) {
		errno = EFAULT;
		return -1;
	}
	if (mr->mr_ifindex != p->ifindex) {
		errno = ENODEV;
		return -1;
	}
	if (mr->mr_type != PACKET_MR_PROMISC || ds->promisc == add)
		return 0;
	pthread_mutex_lock(&p->lock);
	ds->promisc = add;
	if (add && p->promisc++ == 0)
		(void)rte_eth_promiscuous_enable(p->id);
	else if (!add && --p->promisc == 0)
		(void)rte_eth_promiscuous_disable(p->id);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* SO_BINDTODEVICE: the port's interface is the one there is; the name
 * means nothing in the placeholder's namespace. */
static int bind_to_device(struct dp_sock *ds, const void *val, socklen_t len)
{
	char name[IF_NAMESIZE] = "";

	if (len > 0 && !val) {
		errno = EFAULT;
		return -1;
	}
	memcpy(name, val, len < sizeof(name) - 1 ? len : sizeof(name) - 1);
	if (name[0] && strcmp(name, ds->p->ifname)) {
		errno = ENODEV;
		return -1;
	}
	ds->bound_dev = name[0] != 0;
	return 0;
}

static int dp_setsockopt(struct hsk_sock *s, int level, int name,
			 const void *val, socklen_t len)
{
	struct dp_sock *ds = s->priv;

	if (!ds->packet && is_membership(level, name))
		return membership(ds, level, name, val, len);
	if (ds->packet && level == SOL_PACKET &&
	    (name == PACKET_ADD_MEMBERSHIP || name == PACKET_DROP_MEMBERSHIP))
		return packet_membership(ds, name, val, len);
	if (level == SOL_SOCKET && name == SO_BINDTODEVICE && ds->p->ifname[0])
		return bind_to_device(ds, val, len);
	/* The port receives every group and frame already (promiscuous,
	 * all-multicast): nothing to set beyond the check. */
	if (!names_the_port(ds, level, name, val, len) &&
	    setsockopt(s->fd, level, name, val, len))
		return -1;
	pthread_mutex_lock(&ds->p->lock);
	mirror_options(ds);
	pthread_mutex_unlock(&ds->p->lock);
	return 0;
}

/* As the kernel: counts since the last read, then reset. */
static int packet_statistics(struct dp_sock *ds, void *val, socklen_t *len)
{
	struct tpacket_stats st;

	if (!val || !len) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&ds->p->lock);
	st.tp_packets = ds->tp_packets;
	st.tp_drops = ds->tp_drops;
	ds->tp_packets = ds->tp_drops = 0;
	pthread_mutex_unlock(&ds->p->lock);
	/* tpacket_stats_v3 adds tp_freeze_q_cnt, which stays 0 here. */
	if (*len > sizeof(struct tpacket_stats_v3))
		*len = sizeof(struct tpacket_stats_v3);
	memset(val, 0, *len);
	memcpy(val, &st, *len < sizeof(st) ? *len : sizeof(st));
	return 0;
}

static int device_name(struct dp_sock *ds, void *val, socklen_t *len)
{
	size_t n = strlen(ds->p->ifname) + 1;

	if (!val || !len) {
		errno = EFAULT;
		return -1;
	}
	if (*len < n) {
		errno = EINVAL;
		return -1;
	}
	memcpy(val, ds->p->ifname, n);
	*len = (socklen_t)n;
	return 0;
}

static int dp_getsockopt(struct hsk_sock *s, int level, int name, void *val,
			 socklen_t *len)
{
	struct dp_sock *ds = s->priv;
	int err;

	if (ds->packet && level == SOL_PACKET && name == PACKET_STATISTICS)
		return packet_statistics(ds, val, len);
	if (level == SOL_SOCKET && name == SO_BINDTODEVICE && ds->bound_dev)
		return device_name(ds, val, len);
	if (level != SOL_SOCKET || name != SO_ERROR || ds->packet)
		return getsockopt(s->fd, level, name, val, len);
	if (getsockopt(s->fd, level, name, val, len))
		return -1;
	pthread_mutex_lock(&ds->p->lock);
	err = ds->err;
	ds->err = 0;
	pthread_mutex_unlock(&ds->p->lock);
	if (err && val && *len >= sizeof(int))
		*(int *)val = err;
	return 0;
}

/* ---- receiving ------------------------------------------------------ */

/* Where the data a receive returns starts, and its length: the UDP
 * payload, the whole frame (SOCK_RAW) or what follows the Ethernet
 * header (SOCK_DGRAM). */
static uint32_t entry_data(const struct dp_sock *ds, const struct rte_mbuf *m,
			   const struct hsk_net_udp *pkt, uint32_t *len)
{
	uint32_t off;

	if (!ds->packet) {
		*len = pkt->payload_len;
		return pkt->payload_off;
	}
	off = ds->s->type == SOCK_DGRAM && m->pkt_len >= HSK_ETH_HLEN ?
		      HSK_ETH_HLEN :
		      0;
	*len = m->pkt_len - off;
	return off;
}

static socklen_t entry_addr(const struct dp_sock *ds, const struct rte_mbuf *m,
			    const struct hsk_net_udp *pkt, void *out)
{
	if (!ds->packet)
		return hsk_udp_sockaddr(pkt, ds->p->ifindex, out);
	return hsk_ll_sockaddr(rte_pktmbuf_mtod(m, const uint8_t *),
			       m->data_len, ds->p->ifindex, ds->p->mac, out);
}

/* The control messages udp_recvmsg() and packet_recvmsg() would give. */
static void put_cmsgs(const struct dp_sock *ds, const struct dp_rx *e,
		      struct msghdr *m)
{
	struct hsk_rx_meta rx = { .ts_ns = e->ts_ns,
				  .drops = ds->rx_drops,
				  .ifindex = ds->p->ifindex,
				  .pkt = ds->packet ? NULL : &e->pkt };

	if (ds->packet)
		rx.off = entry_data(ds, e->m, &e->pkt, &rx.len);
	hsk_put_rx_cmsgs(m, ds->rx_flags, &rx);
}

/* The next queued entry, polling the port for up to @want if there is
 * none; port locked. */
static struct dp_rx *rx_head(struct dp_sock *ds, unsigned int want)
{
	if (ds->head == ds->tail)
		dp_port_poll(ds->p, ds, want);
	return ds->head == ds->tail ? NULL :
				      &ds->rxq[ds->head & (DP_RXQ_SIZE - 1)];
}

static struct rte_mbuf *rx_take(struct dp_sock *ds)
{
	struct dp_rx *e = &ds->rxq[ds->head++ & (DP_RXQ_SIZE - 1)];

	ds->rx_bytes -= e->m->pkt_len + RX_OVERHEAD;
	return e->m;
}

/* A pending ICMP error, reported once, as the kernel's sk_err. */
static int take_error(struct dp_sock *ds)
{
	int err = ds->err;

	ds->err = 0;
	errno = err;
	return err ? -1 : 0;
}

static ssize_t deliver(struct dp_sock *ds, struct dp_rx *e, struct msghdr *m,
		       int flags)
{
	uint32_t len, off = entry_data(ds, e->m, &e->pkt, &len);
	const void *data;
	ssize_t r;

	m->msg_flags = 0;
	data = rte_pktmbuf_read(e->m, off, len, ds->p->scratch);
	r = hsk_copy_to_iov(m, data, len);
	if (r >= 0) {
		if (m->msg_name) {
			struct sockaddr_storage sa;
			socklen_t n = entry_addr(ds, e->m, &e->pkt, &sa);

			memcpy(m->msg_name, &sa,
			       m->msg_namelen < n ? m->msg_namelen : n);
			m->msg_namelen = n;
		}
		if (m->msg_control && m->msg_controllen)
			put_cmsgs(ds, e, m);
		else
			m->msg_controllen = 0;
		if ((size_t)r < len)
			m->msg_flags |= MSG_TRUNC;
		if (flags & MSG_TRUNC)
			r = len;
	}
	/* As the kernel: a datagram that faulted is consumed. */
	if (!(flags & MSG_PEEK)) {
		rte_pktmbuf_free(rx_take(ds));
		if (r >= 0)
			hsk_count(&ds->s->stats.rx_fast_path, 1);
	}
	return r;
}

static ssize_t dp_recvmsg(struct hsk_sock *s, struct msghdr *m, int flags)
{
	struct dp_sock *ds = s->priv;
	struct dp_rx *e;
	ssize_t r;

	/* The rest (MSG_OOB, MSG_ERRQUEUE, ...) is the kernel's answer. */
	if (!m || (flags & ~HSK_FAST_RECV_FLAGS))
		return recvmsg(s->fd, m, flags | MSG_DONTWAIT);
	pthread_mutex_lock(&ds->p->lock);
	if (take_error(ds)) {
		r = -1;
	} else {
		e = rx_head(ds, 1);
		r = e ? deliver(ds, e, m, flags) : -1;
		if (!e)
			errno = EAGAIN;
	}
	pthread_mutex_unlock(&ds->p->lock);
	return r;
}

static int dp_recvmmsg(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
		       int flags)
{
	unsigned int i;
	ssize_t r = 0;

	if (!v && n) {
		errno = EFAULT;
		return -1;
	}
	flags &= ~MSG_WAITFORONE;
	for (i = 0; i < n; i++) {
		r = dp_recvmsg(s, &v[i].msg_hdr, flags);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	return i ? (int)i : (int)r;
}

static short dp_pending(struct hsk_sock *s, short events)
{
	struct dp_sock *ds = s->priv;
	short r = 0;

	pthread_mutex_lock(&ds->p->lock);
	if ((events & (POLLIN | POLLRDNORM)) && (rx_head(ds, 1) || ds->err))
		r = events & (POLLIN | POLLRDNORM);
	pthread_mutex_unlock(&ds->p->lock);
	return r;
}

/* hsk_poll() waits on this always-readable descriptor: it re-checks the
 * port after a short nap, as a wait does. */
static int dp_extra_fds(struct hsk_sock *s, int *fds, int max)
{
	struct dp_sock *ds = s->priv;

	if (max < 1)
		return 0;
	fds[0] = ds->p->wake_fd;
	return 1;
}

/*
 * Run to completion: a waiting thread keeps the port turning (so ARP, ND
 * and pings are answered while it waits). It spins a little (busy_poll_us
 * long, else a few polls), then sleeps: on the queues' descriptors where
 * the port has them, else in growing naps up to a millisecond. Either
 * way the CPU is left to whoever fills the device's queues, which on a
 * vdev is the kernel, often on this very CPU.
 */
static int dp_wait(struct hsk_sock *s, short events,
		   const struct hsk_deadline *d)
{
	struct dp_sock *ds = s->priv;
	struct dp_port *p = ds->p;
	uint64_t spin_end = 0;
	long nap = 1000;

	if (p->busy_poll_us)
		spin_end =
			dp_now_ns(CLOCK_MONOTONIC) + p->busy_poll_us * 1000ull;
	for (unsigned int i = 0;; i++) {
		bool ready, spin, sleep;
		int ms = hsk_deadline_ms(d), r;

		spin = spin_end ? dp_now_ns(CLOCK_MONOTONIC) < spin_end :
				  i < WAIT_SPINS;
		pthread_mutex_lock(&p->lock);
		dp_port_poll(p, ds, 1);
		ready = (events & POLLOUT) || ds->head != ds->tail || ds->err;
		sleep = !ready && !spin && ms && p->n_rx_fd;
		p->sleepers += sleep;
		pthread_mutex_unlock(&p->lock);
		if (ready)
			return 0;
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (spin)
			continue;
		if (sleep) {
			r = dp_port_sleep(
				p, ms >= 0 && ms < WAIT_SLEEP_NS / 1000000L ?
					   ms * 1000000L :
					   WAIT_SLEEP_NS);
		} else {
			r = dp_port_nap(p, nap);
			if (nap < WAIT_MAX_NS)
				nap *= 2;
		}
		if (r && errno == EINTR)
			return -1;
	}
}

/* ---- sending -------------------------------------------------------- */

static size_t iov_total(const struct msghdr *m, bool *fault)
{
	size_t n = 0;

	*fault = false;
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		if (!m->msg_iov[i].iov_base && m->msg_iov[i].iov_len)
			*fault = true;
		n += m->msg_iov[i].iov_len;
	}
	return n;
}

static void copy_from_iov(uint8_t *dst, const struct msghdr *m)
{
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		memcpy(dst, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
		dst += m->msg_iov[i].iov_len;
	}
}

/* A payload of @len bytes (at most one mbuf's room) copied into an
 * mbuf, with header room in front. */
static struct rte_mbuf *payload_mbuf(struct dp_port *p, const struct msghdr *m,
				     size_t len)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(p->pool);
	uint8_t *d;

	if (!mb)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)len);
	if (!d && len) {
		rte_pktmbuf_free(mb);
		return NULL;
	}
	copy_from_iov(d, m);
	return mb;
}

/*
 * Where a datagram goes: the destination and the headers in front of it.
 * Anything but a plain datagram from a bound socket to a unicast address
 * is shown to the kernel first, with MSG_PROBE (its checks, route and
 * implicit bind; nothing is sent), so the errors are its own:
 * EDESTADDRREQ, EINVAL, EAFNOSUPPORT, ENETUNREACH. Port locked: the
 * addresses the kernel may have bound are read back under it, and a batch
 * plans all its messages under one hold.
 */
static int udp_plan(struct dp_sock *ds, const struct msghdr *m, size_t len,
		    int flags, struct hsk_net_flow *f)
{
	struct dp_port *p = ds->p;
	const union hsk_net_addr *src = port_addr(p, ds->family);
	bool simple = ds->bound && !m->msg_controllen;

	*f = (struct hsk_net_flow){ .family = (uint8_t)ds->family };
	if (m->msg_name)
		simple = simple &&
			 sockaddr_to(ds->family, m->msg_name, m->msg_namelen,
				     &f->dst, &f->dport) &&
			 f->dport && !is_wild(ds->family, &f->dst);
	else
		simple = simple && ds->connected;
	if (!simple) {
		if (sendmsg(ds->s->fd, m, flags | MSG_PROBE | MSG_DONTWAIT) < 0)
			return -1;
		refresh_addresses(ds);
		if (m->msg_name &&
		    !sockaddr_to(ds->family, m->msg_name, m->msg_namelen,
				 &f->dst, &f->dport)) {
			errno = EINVAL;
			return -1;
		}
	}
	if (!m->msg_name) {
		f->dst = ds->raddr;
		f->dport = ds->rport;
	}
	if (ds->family == AF_INET && is_broadcast4(p, f->dst.v4) &&
	    !ds->broadcast) {
		errno = EACCES;
		return -1;
	}
	if (len >
	    (ds->family == AF_INET ? UDP4_MAX_PAYLOAD : UDP6_MAX_PAYLOAD)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (is_wild(ds->family, src)) {
		errno = ENETUNREACH;
		return -1;
	}
	f->sport = ds->lport;
	f->src = ds->lwild ? *src : ds->laddr;
	f->ttl = is_multicast(ds->family, &f->dst) ? ds->mc_ttl : ds->ttl;
	f->tos = ds->tos;
	memcpy(f->src_mac, p->mac, 6);
	return 0;
}

/* A datagram for this host (to our address, or to a group with
 * IP_MULTICAST_LOOP): a copy goes through the demultiplexer. */
static void loop_back(struct dp_port *p, const struct rte_mbuf *mb)
{
	const uint8_t *frame = rte_pktmbuf_read(mb, 0, mb->pkt_len, p->scratch);
	struct hsk_net_udp pkt;
	struct rte_mbuf *copy;

	if (hsk_net_parse_udp(frame, mb->pkt_len, HSK_NET_CSUM_VERIFIED,
			      &pkt) != HSK_NET_UDP)
		return;
	copy = dp_frame_chain(p, frame, mb->pkt_len);
	if (copy)
		dp_sock_udp_input(p, copy, &pkt, dp_now_ns(CLOCK_REALTIME));
}

/*
 * The frames of one zero-copy send or one hsk_sendmmsg(), handed to the
 * PMD in bursts of DP_BURST rather than one by one: on net_af_xdp every
 * rte_eth_tx_burst kicks the kernel, a system call per datagram. What the
 * PMD still refuses is lost as a full device queue loses it under the
 * kernel (the send had succeeded), and counted as a send error.
 */
struct tx_batch {
	struct rte_mbuf *m[DP_BURST];
	uint16_t n;
};

/* Port locked. */
static void tx_batch_flush(struct dp_sock *ds, struct tx_batch *b)
{
	uint16_t sent = 0, k;

	while (sent < b->n) {
		k = rte_eth_tx_burst(ds->p->id, 0, b->m + sent,
				     (uint16_t)(b->n - sent));
		if (!k)
			break;
		sent += k;
	}
	if (sent < b->n) {
		rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
		hsk_count(&ds->s->stats.tx_errors, b->n - sent);
	}
	b->n = 0;
}

/* As dp_port_xmit(), into @b (may be NULL) when the frame leaves whole;
 * one that leaves in fragments goes after the frames waiting there, in
 * order. Port locked. */
static int tx_batch_add(struct dp_sock *ds, struct tx_batch *b,
			struct rte_mbuf *mb)
{
	if (!b || !dp_port_takes_whole(ds->p, mb)) {
		if (b)
			tx_batch_flush(ds, b);
		return dp_port_xmit(ds->p, mb);
	}
	b->m[b->n++] = mb;
	if (b->n == DP_BURST)
		tx_batch_flush(ds, b);
	return 0;
}

/*
 * Sends a built frame to its next hop, into @batch (may be NULL) when it
 * may wait there; port locked, takes @mb. A frame whose neighbour is
 * being resolved is held by the control plane (a copy) and sent when the
 * neighbour answers: the send succeeded, as on the kernel, even if the
 * frame is later lost.
 */
static int udp_emit(struct dp_sock *ds, struct rte_mbuf *mb,
		    struct hsk_net_flow *f, uint64_t now,
		    struct tx_batch *batch)
{
	struct dp_port *p = ds->p;
	uint8_t *frame = rte_pktmbuf_mtod(mb, uint8_t *);
	bool holdable = mb->nb_segs == 1 && dp_port_takes_whole(p, mb);
	int r;

	/* To our own address: delivered here, as the kernel's loopback
	 * does; it never reaches the wire. */
	if (hsk_net_addr_eq(ds->family, &f->dst, port_addr(p, ds->family))) {
		memcpy(frame, p->mac, 6);
		loop_back(p, mb);
		rte_pktmbuf_free(mb);
		return 0;
	}
	r = hsk_ctrl_next_hop(p->ctrl, ds->family, &f->dst, frame,
			      holdable ? frame : NULL,
			      holdable ? mb->pkt_len : 0, now);
	if (r < 0) {
		rte_pktmbuf_free(mb);
		return -1;
	}
	if (ds->mc_loop && is_multicast(ds->family, &f->dst))
		loop_back(p, mb);
	if (!r)
		return tx_batch_add(ds, batch, mb);
	if (holdable)
		rte_pktmbuf_free(mb); /* the control plane keeps a copy */
	/* No thread runs the port behind our back: run it until the
	 * answer comes (and releases a held frame), for a little while. */
	for (int i = 0; r == 1 && i < RESOLVE_POLLS; i++) {
		dp_port_poll(p, NULL, 0);
		r = hsk_ctrl_next_hop(p->ctrl, ds->family, &f->dst, frame, NULL,
				      0, dp_now_ns(CLOCK_MONOTONIC));
		if (r == 1)
			(void)dp_port_nap(p, RESOLVE_NAP_NS);
	}
	if (holdable)
		return 0; /* sent, as the kernel says, held or not */
	if (r) {
		/* Too big to hold and unresolved: lost, as what overflows a
		 * kernel's neighbour queue is. */
		rte_pktmbuf_free(mb);
		return 0;
	}
	return tx_batch_add(ds, batch, mb);
}

/* Headers in front of a payload already in @mb's first segment, the
 * socket's next IP ID among them; port locked. */
static void udp_headers(struct dp_sock *ds, struct rte_mbuf *mb,
			struct hsk_net_flow *f)
{
	uint16_t len = mb->data_len;
	uint16_t hdr = (uint16_t)hsk_net_udp_hdr_len(f);
	uint8_t *payload = rte_pktmbuf_mtod(mb, uint8_t *);

	f->ip_id = htons(ds->ip_id++);
	rte_pktmbuf_prepend(mb, hdr);
	hsk_net_build_udp(f, payload, len);
}

/* One datagram of the copy API, into @batch (may be NULL) when it may
 * wait there; port locked. Its length, or -1 with errno. */
static ssize_t udp_send(struct dp_sock *ds, const struct msghdr *m, int flags,
			struct tx_batch *batch)
{
	struct dp_port *p = ds->p;
	struct hsk_net_flow f;
	struct rte_mbuf *mb;
	bool fault;
	size_t len = iov_total(m, &fault), hdr;

	if (fault) {
		errno = EFAULT;
		return -1;
	}
	if (udp_plan(ds, m, len, flags, &f))
		return -1;
	hdr = hsk_net_udp_hdr_len(&f);
	if (len + hdr <= RTE_MBUF_DEFAULT_DATAROOM) {
		mb = payload_mbuf(p, m, len);
		if (mb)
			udp_headers(ds, mb, &f);
	} else {
		/* Larger than an mbuf: built whole in the port's scratch
		 * buffer, then cut into a chain that leaves in fragments. */
		uint8_t *payload = p->scratch + RTE_PKTMBUF_HEADROOM;

		f.ip_id = htons(ds->ip_id++);
		copy_from_iov(payload, m);
		mb = dp_frame_chain(
			p, hsk_net_build_udp(&f, payload, (uint16_t)len),
			(uint32_t)(len + hdr));
	}
	if (!mb) {
		errno = ENOBUFS;
		return -1;
	}
	if (udp_emit(ds, mb, &f, dp_now_ns(CLOCK_MONOTONIC), batch))
		return -1;
	return (ssize_t)len;
}

/* As packet_snd(): the checks on a frame of @len bytes to @to (may be
 * NULL). 0, or -1 with the kernel's errno. */
static int frame_check(const struct dp_sock *ds, const struct sockaddr_ll *to,
		       socklen_t tolen, size_t len)
{
	size_t hdr = ds->s->type == SOCK_DGRAM ? HSK_ETH_HLEN : 0;

	if (to && (tolen < offsetof(struct sockaddr_ll, sll_addr) ||
		   to->sll_family != AF_PACKET)) {
		errno = EINVAL;
		return -1;
	}
	if (to && to->sll_ifindex && to->sll_ifindex != ds->p->ifindex) {
		errno = ENXIO;
		return -1;
	}
	if (hdr && (!to || to->sll_halen < 6)) {
		errno = to ? EINVAL : ENXIO;
		return -1;
	}
	if (!hdr && len < HSK_ETH_HLEN) {
		errno = EINVAL;
		return -1;
	}
	if (len + hdr > (size_t)ds->p->mtu + HSK_ETH_HLEN) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* A SOCK_DGRAM packet socket's Ethernet header, in front of the payload
 * already in @mb; frame_check() made sure of @to. */
static void frame_header(const struct dp_sock *ds, struct rte_mbuf *mb,
			 const struct sockaddr_ll *to)
{
	uint8_t *eh;

	if (ds->s->type != SOCK_DGRAM)
		return;
	eh = (uint8_t *)rte_pktmbuf_prepend(mb, HSK_ETH_HLEN);
	memcpy(eh, to->sll_addr, 6);
	memcpy(eh + 6, ds->p->mac, 6);
	memcpy(eh + 12,
	       to->sll_protocol ? &to->sll_protocol :
				  (const uint16_t *)&ds->s->protocol,
	       2);
}

/* One frame of the copy API, into @batch (may be NULL); port locked.
 * Its length, or -1 with errno. */
static ssize_t frame_send(struct dp_sock *ds, const struct msghdr *m,
			  struct tx_batch *batch)
{
	const struct sockaddr_ll *to = m->msg_name;
	struct rte_mbuf *mb;
	bool fault;
	size_t len = iov_total(m, &fault);

	if (fault) {
		errno = EFAULT;
		return -1;
	}
	if (frame_check(ds, to, m->msg_namelen, len))
		return -1;
	mb = payload_mbuf(ds->p, m, len);
	if (!mb) {
		errno = ENOBUFS;
		return -1;
	}
	frame_header(ds, mb, to);
	if (tx_batch_add(ds, batch, mb))
		return -1;
	return (ssize_t)len;
}

#define SEND_FLAGS (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CONFIRM)

/* One message of the copy API, into @batch (may be NULL) when it may
 * wait there; port locked. Its length, or -1 with errno. */
static ssize_t send_one(struct dp_sock *ds, const struct msghdr *m, int flags,
			struct tx_batch *batch)
{
	/* Other flags get the kernel's answer: EOPNOTSUPP, or a send. */
	if ((flags & ~SEND_FLAGS) &&
	    sendmsg(ds->s->fd, m, flags | MSG_PROBE | MSG_DONTWAIT) < 0)
		return -1;
	if (take_error(ds))
		return -1;
	return ds->packet ? frame_send(ds, m, batch) :
			    udp_send(ds, m, flags, batch);
}

static ssize_t dp_sendmsg(struct hsk_sock *s, const struct msghdr *m, int flags)
{
	struct dp_sock *ds = s->priv;
	ssize_t r;

	if (!m) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&ds->p->lock);
	r = send_one(ds, m, flags, NULL);
	pthread_mutex_unlock(&ds->p->lock);
	if (r >= 0)
		hsk_count(&s->stats.tx_fast_path, 1);
	return r;
}

/*
 * Every message built under one hold of the port lock and handed to the
 * device in bursts (struct tx_batch): on net_af_xdp a kick per DP_BURST
 * datagrams rather than per datagram. As sendmmsg(2), a failure ends the
 * call, and is reported only when nothing was sent.
 */
static int dp_sendmmsg(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
		       int flags)
{
	struct dp_sock *ds = s->priv;
	struct tx_batch batch = { .n = 0 };
	unsigned int i;
	ssize_t r;

	pthread_mutex_lock(&ds->p->lock);
	for (i = 0; i < n; i++) {
		r = send_one(ds, &v[i].msg_hdr, flags, &batch);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	tx_batch_flush(ds, &batch);
	pthread_mutex_unlock(&ds->p->lock);
	hsk_count(&s->stats.tx_fast_path, i);
	return i || !n ? (int)i : -1;
}

/* ---- zero-copy: mbufs lent ------------------------------------------ */

/* A received datagram (@pkt: UDP) or frame lent as @b. A reassembled
 * datagram is a chain: its first segment is lent, marked cut, as a
 * buffer too small would be. */
static void lend_rx(const struct dp_sock *ds, struct rte_mbuf *m,
		    const struct hsk_net_udp *pkt, uint64_t ts,
		    struct hsk_buf *b)
{
	uint32_t len, off = entry_data(ds, m, pkt, &len);
	uint32_t seg = m->data_len > off ? m->data_len - off : 0;

	b->data = rte_pktmbuf_mtod_offset(m, void *, off);
	b->len = len < seg ? len : seg;
	b->capacity = b->len;
	b->orig_len = len;
	b->flags = b->len < len ? HSK_BUF_TRUNC : 0;
	b->ts_ns = ts;
	b->addrlen = entry_addr(ds, m, pkt, &b->addr);
}

static int dp_rx_burst(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
		       unsigned int n)
{
	struct dp_sock *ds = s->priv;
	struct dp_sink sink = { .b = b, .cookie = cookie, .n = n };
	unsigned int i;

	pthread_mutex_lock(&ds->p->lock);
	for (i = 0; i < n && ds->head != ds->tail; i++) {
		struct dp_rx *e = &ds->rxq[ds->head & (DP_RXQ_SIZE - 1)];

		lend_rx(ds, e->m, &e->pkt, e->ts_ns, &b[i]);
		cookie[i] = (uintptr_t)rx_take(ds);
	}
	/* An empty queue: the port's datagrams go straight to the caller,
	 * as many as it asked for; the rest of a burst is queued. */
	if (!i) {
		ds->sink = &sink;
		dp_port_poll(ds->p, ds, n);
		ds->sink = NULL;
		i = sink.got;
	}
	pthread_mutex_unlock(&ds->p->lock);
	hsk_count(&s->stats.rx_fast_path, i);
	return (int)i;
}

static void mbufs_free(struct hsk_sock *s, const uint64_t *cookie,
		       unsigned int n)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int i, k;

	(void)s;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < DP_BURST && i + k < n; k++)
			m[k] = (struct rte_mbuf *)(uintptr_t)cookie[i + k];
		rte_pktmbuf_free_bulk(m, k);
	}
}

static int dp_tx_alloc(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
		       unsigned int n)
{
	struct dp_sock *ds = s->priv;
	struct rte_mbuf *m[DP_BURST];

	if (n > DP_BURST)
		n = DP_BURST;
	if (rte_pktmbuf_alloc_bulk(ds->p->pool, m, n))
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		memset(&b[i], 0, offsetof(struct hsk_buf, priv));
		b[i].data = rte_pktmbuf_mtod(m[i], uint8_t *);
		/* HSK_BUF_HEADROOM is the mbuf's: 2048-byte buffers. */
		b[i].capacity = rte_pktmbuf_tailroom(m[i]) - HSK_BUF_HEADROOM;
		cookie[i] = (uintptr_t)m[i];
	}
	return (int)n;
}

/* One lent mbuf as a datagram: headers go into its headroom, in front
 * of the payload where the caller wrote it; nothing is copied. Port
 * locked. */
static int zc_udp(struct dp_sock *ds, struct rte_mbuf *mb,
		  const struct hsk_buf *b, const struct sockaddr *dst,
		  socklen_t dstlen, struct tx_batch *batch)
{
	struct iovec iov = { b->data, b->len };
	struct msghdr msg = { .msg_name = (void *)dst,
			      .msg_namelen = dst ? dstlen : 0,
			      .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct hsk_net_flow f;

	if (udp_plan(ds, &msg, b->len, 0, &f))
		return -1;
	if (b->len + hsk_net_udp_hdr_len(&f) > RTE_MBUF_DEFAULT_DATAROOM) {
		errno = EMSGSIZE;
		return -1;
	}
	mb->data_off = (uint16_t)((uint8_t *)b->data - (uint8_t *)mb->buf_addr);
	mb->data_len = (uint16_t)b->len;
	mb->pkt_len = b->len;
	udp_headers(ds, mb, &f);
	return udp_emit(ds, mb, &f, dp_now_ns(CLOCK_MONOTONIC), batch);
}

/* Lent mbufs as frames, sent as they are in one burst: the caller
 * wrote each frame (SOCK_DGRAM: its payload) where the buffer lies. The
 * first that fails its checks ends the burst. */
static int zc_frames(struct dp_sock *ds, const struct hsk_buf *b,
		     const uint64_t *cookie, unsigned int n,
		     const struct sockaddr *dst, socklen_t dstlen)
{
	const struct sockaddr_ll *to = (const void *)dst;
	struct rte_mbuf *m[DP_BURST];
	unsigned int i;
	int err = 0;
	uint16_t k;

	if (n > DP_BURST)
		n = DP_BURST;
	for (i = 0; i < n; i++) {
		if (frame_check(ds, to, dst ? dstlen : 0, b[i].len)) {
			err = errno;
			break;
		}
		m[i] = (struct rte_mbuf *)(uintptr_t)cookie[i];
		m[i]->data_off = (uint16_t)((uint8_t *)b[i].data -
					    (uint8_t *)m[i]->buf_addr);
		m[i]->data_len = (uint16_t)b[i].len;
		m[i]->pkt_len = b[i].len;
		frame_header(ds, m[i], to);
	}
	pthread_mutex_lock(&ds->p->lock);
	k = rte_eth_tx_burst(ds->p->id, 0, m, (uint16_t)i);
	pthread_mutex_unlock(&ds->p->lock);
	hsk_count(&ds->s->stats.tx_fast_path, k);
	if (k)
		return k;
	errno = i < n ? err : EAGAIN;
	return -1;
}

static int dp_tx_burst(struct hsk_sock *s, const struct hsk_buf *b,
		       const uint64_t *cookie, unsigned int n,
		       const struct sockaddr *dst, socklen_t dstlen, int flags)
{
	struct dp_sock *ds = s->priv;
	struct tx_batch batch = { .n = 0 };
	unsigned int i;

	(void)flags;
	if (ds->packet)
		return zc_frames(ds, b, cookie, n, dst, dstlen);
	pthread_mutex_lock(&ds->p->lock);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = (struct rte_mbuf *)(uintptr_t)cookie[i];

		/* The mbuf is the datagram's from here, sent or not. */
		rte_mbuf_refcnt_update(m, 1);
		if (zc_udp(ds, m, &b[i], dst, dstlen, &batch) < 0) {
			rte_mbuf_refcnt_update(m, -1);
			break;
		}
		rte_pktmbuf_free(m);
	}
	tx_batch_flush(ds, &batch);
	pthread_mutex_unlock(&ds->p->lock);
	hsk_count(&s->stats.tx_fast_path, i);
	return i ? (int)i : -1;
}

/* The device's drops since the socket came: frames lost before any
 * socket could be told apart are everyone's, as on af_xdp. */
static uint64_t dp_drops(struct hsk_sock *s)
{
	struct dp_sock *ds = s->priv;
	uint64_t n;

	pthread_mutex_lock(&ds->p->lock);
	n = dp_port_drops(ds->p) - ds->port_drops0;
	pthread_mutex_unlock(&ds->p->lock);
	return n;
}

static const struct hsk_ctl_ops dp_ctl = {
	.open = dp_open,
	.close = dp_close,
	.bind = dp_bind,
	.connect = dp_connect,
	.setsockopt = dp_setsockopt,
	.getsockopt = dp_getsockopt,
	.getsockname = dp_getsockname,
	.recvmsg = dp_recvmsg,
	.recvmmsg = dp_recvmmsg,
	.sendmsg = dp_sendmsg,
	.sendmmsg = dp_sendmmsg,
	.pending = dp_pending,
	.kernel_drops = dp_drops,
	.extra_fds = dp_extra_fds,
	.wait = dp_wait,
};

static const struct hsk_burst_ops dp_burst = {
	.rx_burst = dp_rx_burst,
	.rx_release = mbufs_free,
	.tx_alloc = dp_tx_alloc,
	.tx_free = mbufs_free,
	.tx_burst = dp_tx_burst,
};

const struct hsk_backend hsk_dpdk_backend = {
	.name = "dpdk",
	.ctl = &dp_ctl,
	.burst = &dp_burst,
};
