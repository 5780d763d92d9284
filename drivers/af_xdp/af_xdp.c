// SPDX-License-Identifier: BSD-3-Clause
/*
 * UDP and AF_PACKET sockets on the AF_XDP fast path.
 *
 * The descriptor is the shadow socket: a kernel UDP socket bound to the
 * same address. It reserves the port, keeps ARP/ND/ICMP/IGMP with the
 * kernel, and receives whatever the XDP program passes up (fragments,
 * options, traffic of other families). A socket "engages" the fast path
 * once it has an address (bind, connect, or the kernel's autobind on its
 * first send): then the XDP program redirects its flow, receive calls
 * read its queue of UMEM frames first and the shadow socket next, and
 * sends go out through the XSK when the neighbour is known and the
 * datagram fits the MTU, through the shadow socket otherwise.
 *
 * An AF_PACKET socket engages once bound to an interface: frames of its
 * ethertype (or all) then come through the XSK instead of the kernel, and
 * raw frames leave through the XSK. Its shadow, a kernel packet socket,
 * still sees what the kernel itself sends on the interface (outgoing
 * frames), merged into the same receive calls.
 */
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>

#include "kernel.h"
#include "neigh.h"
#include "port.h"

#define RXQ_SIZE 1024u /* datagrams waiting per socket, at most */
/* What a queued datagram costs against SO_RCVBUF besides its bytes: close
 * to the kernel's skb overhead, so the same buffer holds about as much. */
#define RX_OVERHEAD 256u
#define MAX_GROUPS 20	 /* as the kernel's default igmp_max_memberships */
#define SHADOW_EVERY 64u /* fast deliveries between shadow checks */
#define TX_BATCH 64u

struct mcast_group {
	int family;
	union hsk_net_addr addr;
};

struct xdp_sock {
	struct hsk_sock *s;
	struct xsk_port *port; /* NULL: kernel path only */
	bool decided;	       /* engaged, or fell back for good */
	bool packet;	       /* AF_PACKET, else UDP */
	bool exclusive;	       /* packet: takes its frames from the
				     * kernel (HOTSOCK_PACKET_EXCLUSIVE) */
	uint16_t ptype;	       /* packet: ethertype taken, 0 for all */
	int family;
	union hsk_net_addr laddr;
	bool lwild;
	uint16_t lport; /* network order */
	bool connected;
	union hsk_net_addr raddr;
	uint16_t rport;
	uint32_t rscope;
	struct rx_entry *rxq;
	uint32_t head, tail; /* free-running, masked by RXQ_SIZE */
	uint32_t rx_bytes;   /* queued, as sk_rmem_alloc */
	uint32_t rcvbuf;     /* SO_RCVBUF, mirrored */
	uint32_t rx_drops;   /* for SO_RXQ_OVFL, as sk_drops */
	int efd;	     /* wakes a waiter another thread fed */
	int waiting;
	unsigned int fast_streak;
	unsigned int rx_flags; /* HSK_RX_* */
	uint8_t ttl, tos;
	uint16_t ip_id;
	struct mcast_group groups[MAX_GROUPS];
	int ngroups;
	struct xdp_sock *next;
};

static pthread_mutex_t neigh_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hsk_neigh *neigh;

static struct hsk_neigh *resolver(void)
{
	pthread_mutex_lock(&neigh_lock);
	if (!neigh)
		neigh = hsk_neigh_new();
	pthread_mutex_unlock(&neigh_lock);
	return neigh;
}

struct xdp_sock *xdp_sock_next(struct xdp_sock *xs)
{
	return xs->next;
}

static bool is_multicast(int family, const union hsk_net_addr *a)
{
	return family == AF_INET ?
		       (a->v4.s_addr & htonl(0xf0000000)) == htonl(0xe0000000) :
		       a->v6.s6_addr[0] == 0xff;
}

bool xdp_sock_wants_frame(struct xdp_sock *xs, uint16_t ethertype)
{
	return xs->packet && xs->exclusive &&
	       (!xs->ptype || xs->ptype == ethertype);
}

bool xdp_sock_accepts(struct xdp_sock *xs, const struct hsk_net_udp *pkt)
{
	if (xs->packet || pkt->family != xs->family || pkt->dport != xs->lport)
		return false;
	if (!xs->lwild && !hsk_net_addr_eq(xs->family, &pkt->dst, &xs->laddr))
		return false;
	/* The program redirects a group only when one of ours joined it;
	 * like the kernel (IP_MULTICAST_ALL), any socket on the port gets
	 * it then. */
	if (xs->connected)
		return pkt->sport == xs->rport &&
		       hsk_net_addr_eq(xs->family, &pkt->src, &xs->raddr);
	return true;
}

bool xdp_sock_enqueue(struct xdp_sock *xs, const struct rx_entry *e, bool wake)
{
	uint64_t one = 1;

	/* The kernel's rule: a socket over its receive buffer drops. */
	if (xs->tail - xs->head == RXQ_SIZE || xs->rx_bytes > xs->rcvbuf) {
		xs->rx_drops++;
		hsk_count(&xs->s->stats.rx_drop_kernel, 1);
		return false;
	}
	xs->rx_bytes += e->frame_len + RX_OVERHEAD;
	xs->rxq[xs->tail++ & (RXQ_SIZE - 1)] = *e;
	if (wake && xs->waiting)
		(void)!write(xs->efd, &one, sizeof(one));
	return true;
}

void xdp_sock_count_drop(struct xdp_sock *xs, enum hsk_net_verdict why)
{
	hsk_count(why == HSK_NET_BAD_CSUM ? &xs->s->stats.rx_drop_checksum :
					    &xs->s->stats.rx_drop_malformed,
		  1);
}

/* ---- options mirrored from the shadow socket ------------------------ */

/* Re-reads what the fast path needs to behave as the kernel socket does;
 * called at engagement and after every option change (control path). */
static void mirror_options(struct xdp_sock *xs)
{
	int fd = xs->s->fd;
	bool v4 = xs->family == AF_INET;

	xs->rx_flags = hsk_rx_options(fd, xs->family, xs->packet);
	xs->rcvbuf = (uint32_t)hsk_opt_int(fd, SOL_SOCKET, SO_RCVBUF);
	xs->ttl = (uint8_t)hsk_opt_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
				       v4 ? IP_TTL : IPV6_UNICAST_HOPS);
	xs->tos = (uint8_t)hsk_opt_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
				       v4 ? IP_TOS : IPV6_TCLASS);
}

/* ---- engaging the fast path ----------------------------------------- */

static bool sockaddr_to(int family, const struct sockaddr *sa, socklen_t len,
			union hsk_net_addr *a, uint16_t *port, uint32_t *scope)
{
	if (family == AF_INET && sa->sa_family == AF_INET &&
	    len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		a->v4 = in->sin_addr;
		*port = in->sin_port;
		*scope = 0;
		return true;
	}
	if (family == AF_INET6 && sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		a->v6 = in6->sin6_addr;
		*port = in6->sin6_port;
		*scope = in6->sin6_scope_id;
		return true;
	}
	return false;
}

static bool is_wild(int family, const union hsk_net_addr *a)
{
	static const union hsk_net_addr zero;

	return hsk_net_addr_eq(family, a, &zero);
}

/* The interface a socket's traffic uses; 0 with @why when none fits. */
static int pick_ifindex(struct xdp_sock *xs, const struct hsk_config *c,
			const char **why)
{
	struct ifaddrs *ifa, *i;
	int found = 0, candidates = 0;

	if (xs->lwild && c->iface[0]) {
		found = (int)if_nametoindex(c->iface);
		*why = "HOTSOCK_IFACE names no interface";
		return found;
	}
	if (getifaddrs(&ifa)) {
		*why = "cannot list interfaces";
		return 0;
	}
	for (i = ifa; i; i = i->ifa_next) {
		const union hsk_net_addr *a;
		int idx;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK) ||
		    i->ifa_addr->sa_family != xs->family)
			continue;
		idx = (int)if_nametoindex(i->ifa_name);
		a = xs->family == AF_INET ?
			    (const void *)&((struct sockaddr_in *)i->ifa_addr)
				    ->sin_addr :
			    (const void *)&((struct sockaddr_in6 *)i->ifa_addr)
				    ->sin6_addr;
		if (!xs->lwild && hsk_net_addr_eq(xs->family, a, &xs->laddr)) {
			found = idx;
			break;
		}
		if (xs->lwild && idx != found) {
			candidates += !found || idx != found;
			found = idx;
		}
	}
	freeifaddrs(ifa);
	if (xs->lwild && candidates > 1) {
		*why = "several interfaces: name one with HOTSOCK_IFACE";
		return 0;
	}
	if (!found)
		*why = xs->lwild ?
			       "no interface is up" :
			       "the address is on no non-loopback interface";
	return found;
}

static void flows(struct xdp_sock *xs, bool add)
{
	struct xsk_port *p = xs->port;

	if (add) {
		xsk_port_flow_add(p, xs->family, xs->lwild ? NULL : &xs->laddr,
				  xs->lport);
		for (int i = 0; i < xs->ngroups; i++)
			xsk_port_flow_add(p, xs->groups[i].family,
					  &xs->groups[i].addr, xs->lport);
		return;
	}
	/* Another socket of ours may share an entry (SO_REUSEPORT). */
	for (struct xdp_sock *o = p->socks; o; o = o->next)
		if (o != xs && !o->packet && o->lport == xs->lport &&
		    o->family == xs->family)
			return;
	xsk_port_flow_del(p, xs->family, xs->lwild ? NULL : &xs->laddr,
			  xs->lport);
	for (int i = 0; i < xs->ngroups; i++)
		xsk_port_flow_del(p, xs->groups[i].family, &xs->groups[i].addr,
				  xs->lport);
}

static int engage(struct xdp_sock *xs);

static void xdp_sock_free(struct xdp_sock *xs)
{
	if (xs->efd >= 0)
		close(xs->efd);
	free(xs->rxq);
	free(xs);
}

/*
 * A socket the fast path cannot serve is a plain kernel socket from now
 * on, zero-copy API included, and hsk_backend_name() says so. Nothing of
 * @xs may be touched after this.
 */
static void become_kernel_socket(struct xdp_sock *xs)
{
	struct hsk_sock *s = xs->s;

	s->priv = NULL;
	/* A packet socket's ring exists only from creation: it keeps the
	 * plain kernel calls, without the zero-copy API. */
	s->be = xs->packet ? &hsk_kernel_plain_backend :
			     &hsk_kernel_udp_backend;
	xdp_sock_free(xs);
}

/*
 * The kernel binds an unbound socket at its first send; the zero-copy
 * calls need the port before that, so they bind as the kernel would.
 */
static int autobind(struct xdp_sock *xs)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)xs->family };
	socklen_t len = sizeof(ss);

	if (!getsockname(xs->s->fd, (struct sockaddr *)&ss, &len) &&
	    ((struct sockaddr_in *)&ss)->sin_port)
		return engage(xs);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)xs->family;
	if (bind(xs->s->fd, (struct sockaddr *)&ss,
		 xs->family == AF_INET ? sizeof(struct sockaddr_in) :
					 sizeof(struct sockaddr_in6)))
		return -1;
	return engage(xs);
}

/*
 * Engages the fast path for a socket that now has a local address. A
 * socket that cannot is left on the kernel path, and says so once.
 * Returns 0, or -1 with ENOTSUP in strict mode.
 */
/* A UDP socket's local address, once the kernel gave it one. */
static bool udp_address(struct xdp_sock *xs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint32_t scope;

	if (getsockname(xs->s->fd, (struct sockaddr *)&ss, &len) ||
	    !sockaddr_to(xs->family, (struct sockaddr *)&ss, len, &xs->laddr,
			 &xs->lport, &scope) ||
	    !xs->lport)
		return false;
	xs->lwild = is_wild(xs->family, &xs->laddr);
	return true;
}

/* A packet socket's interface and ethertype, once bound to one. */
static int packet_binding(struct xdp_sock *xs)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof(sll);

	if (getsockname(xs->s->fd, (struct sockaddr *)&sll, &len) ||
	    !sll.sll_ifindex || !sll.sll_protocol)
		return 0;
	xs->ptype = sll.sll_protocol == htons(ETH_P_ALL) ? 0 : sll.sll_protocol;
	return sll.sll_ifindex;
}

static void register_sock(struct xdp_sock *xs)
{
	pthread_mutex_lock(&xs->port->lock);
	xs->next = xs->port->socks;
	xs->port->socks = xs;
	if (xs->packet && xs->exclusive) {
		xs->port->ntaps++;
		xsk_port_ptype_add(xs->port, xs->ptype);
	} else if (!xs->packet) {
		xs->port->nudp++;
		flows(xs, true);
	}
	xsk_port_sync_program(xs->port);
	pthread_mutex_unlock(&xs->port->lock);
}

/*
 * Engages the fast path for a socket that now has its address. A socket
 * that cannot is left on the kernel path, and says so once. Returns 0, or
 * -1 with ENOTSUP in strict mode.
 */
static int engage(struct xdp_sock *xs)
{
	const char *why = "";
	struct hsk_config c;
	int ifindex;

	if (xs->decided)
		return 0;
	if (hsk_config_get(&c))
		return -1;
	if (xs->packet) {
		ifindex = packet_binding(xs);
		if (!ifindex)
			return 0; /* all interfaces: the kernel's, for now */
	} else {
		if (!udp_address(xs))
			return 0; /* not bound yet: decide at the next chance */
		ifindex = pick_ifindex(xs, &c, &why);
	}
	xs->decided = true;
	xs->exclusive = xs->packet && c.packet_exclusive;
	if (ifindex) {
		xs->port = xsk_port_get(ifindex, &c);
		why = "the interface cannot run AF_XDP (see the log above)";
	}
	if (!xs->port) {
		/* Asked for by name, a fallback is news; under "auto" it is
		 * the expected answer where AF_XDP cannot run. */
		hsk_log(c.strict		  ? HSK_LOG_ERR :
			strcmp(c.backend, "auto") ? HSK_LOG_WARN :
						    HSK_LOG_INFO,
			"af_xdp: socket %d stays on the kernel path: %s",
			xs->s->fd, why);
		if (c.strict) {
			errno = ENOTSUP;
			return -1;
		}
		become_kernel_socket(xs);
		return 0;
	}
	mirror_options(xs);
	register_sock(xs);
	return 0;
}

static void rx_pop(struct xdp_sock *xs);

static bool ptype_shared(struct xsk_port *p, uint16_t ptype)
{
	for (struct xdp_sock *o = p->socks; o; o = o->next)
		if (o->packet && o->exclusive && o->ptype == ptype)
			return true;
	return false;
}

static void disengage(struct xdp_sock *xs)
{
	struct xsk_port *p = xs->port;
	struct xdp_sock **pp;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	for (pp = &p->socks; *pp != xs; pp = &(*pp)->next)
		;
	*pp = xs->next;
	if (!xs->packet) {
		p->nudp--;
		flows(xs, false);
	} else if (xs->exclusive) {
		p->ntaps--;
		if (!ptype_shared(p, xs->ptype))
			xsk_port_ptype_del(p, xs->ptype);
	}
	while (xs->head != xs->tail)
		rx_pop(xs);
	xsk_port_sync_program(p);
	pthread_mutex_unlock(&p->lock);
	xs->port = NULL;
	xsk_port_put(p);
}

/* ---- control operations --------------------------------------------- */

static int xdp_open(struct hsk_sock *s)
{
	struct xdp_sock *xs = calloc(1, sizeof(*xs));

	if (!xs)
		goto nomem;
	xs->rxq = calloc(RXQ_SIZE, sizeof(*xs->rxq));
	if (!xs->rxq)
		goto nomem;
	xs->s = s;
	xs->family = s->domain;
	xs->packet = s->domain == AF_PACKET;
	xs->efd = -1;
	s->fd = socket(s->domain, s->type | (s->cloexec ? SOCK_CLOEXEC : 0),
		       s->protocol);
	if (s->fd < 0)
		goto fail;
	xs->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (xs->efd < 0)
		goto fail;
	if (xs->packet) {
		/* A shared packet socket receives through this kernel socket:
		 * give it the room the kernel backend's ring has. Privileged
		 * callers pass rmem_max; others get what it allows. */
		int room = (int)s->packet_ring_size;

		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &room,
			       sizeof(room)))
			setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &room,
				   sizeof(room));
	}
	s->priv = xs;
	return 0;
nomem:
	errno = ENOMEM;
fail:
	if (s->fd >= 0) {
		int err = errno;

		close(s->fd);
		errno = err;
	}
	if (xs)
		xdp_sock_free(xs);
	return -1;
}

static void xdp_close(struct hsk_sock *s)
{
	struct xdp_sock *xs = s->priv;

	disengage(xs);
	xdp_sock_free(xs);
	s->priv = NULL;
}

static int xdp_bind(struct hsk_sock *s, const struct sockaddr *a, socklen_t l)
{
	if (bind(s->fd, a, l))
		return -1;
	return engage(s->priv);
}

static int xdp_connect(struct hsk_sock *s, const struct sockaddr *a,
		       socklen_t l)
{
	struct xdp_sock *xs = s->priv;
	struct xsk_port *p;

	if (connect(s->fd, a, l))
		return -1;
	p = xs->port;
	if (p)
		pthread_mutex_lock(&p->lock);
	xs->connected = a->sa_family != AF_UNSPEC &&
			sockaddr_to(xs->family, a, l, &xs->raddr, &xs->rport,
				    &xs->rscope);
	if (p)
		pthread_mutex_unlock(&p->lock);
	return engage(xs);
}

static bool membership_opt(int level, int name, bool *join)
{
	*join = (level == IPPROTO_IP && (name == IP_ADD_MEMBERSHIP)) ||
		(level == IPPROTO_IPV6 && name == IPV6_JOIN_GROUP);
	return *join || (level == IPPROTO_IP && name == IP_DROP_MEMBERSHIP) ||
	       (level == IPPROTO_IPV6 && name == IPV6_LEAVE_GROUP);
}

/* The group of a membership option, already accepted by the kernel. */
static void track_group(struct xdp_sock *xs, int level, const void *val,
			bool join)
{
	struct mcast_group g = { .family = level == IPPROTO_IP ? AF_INET :
								 AF_INET6 };
	int i;

	if (g.family == AF_INET)
		memcpy(&g.addr.v4, val, sizeof(g.addr.v4)); /* imr_multiaddr */
	else
		memcpy(&g.addr.v6, val, sizeof(g.addr.v6)); /* ipv6mr */
	for (i = 0; i < xs->ngroups; i++)
		if (xs->groups[i].family == g.family &&
		    hsk_net_addr_eq(g.family, &xs->groups[i].addr, &g.addr))
			break;
	if (join && i == xs->ngroups && i < MAX_GROUPS) {
		xs->groups[xs->ngroups++] = g;
		if (xs->port)
			xsk_port_flow_add(xs->port, g.family, &g.addr,
					  xs->lport);
	} else if (!join && i < xs->ngroups) {
		xs->groups[i] = xs->groups[--xs->ngroups];
		if (xs->port)
			xsk_port_flow_del(xs->port, g.family, &g.addr,
					  xs->lport);
	}
}

static int xdp_setsockopt(struct hsk_sock *s, int level, int name,
			  const void *val, socklen_t len)
{
	struct xdp_sock *xs = s->priv;
	bool join;

	if (setsockopt(s->fd, level, name, val, len))
		return -1;
	if (xs->port)
		pthread_mutex_lock(&xs->port->lock);
	if (membership_opt(level, name, &join))
		track_group(xs, level, val, join);
	if (xs->port) {
		mirror_options(xs);
		pthread_mutex_unlock(&xs->port->lock);
	}
	return 0;
}

/* ---- receiving ------------------------------------------------------ */

static const uint8_t *entry_frame(const struct xdp_sock *xs,
				  const struct rx_entry *e)
{
	return xsk_frame_ptr(&xs->port->q[e->queue], e->addr);
}

/* Where the data a receive returns starts in the frame, and its length:
 * the UDP payload, the whole frame (SOCK_RAW) or what follows the
 * Ethernet header (SOCK_DGRAM). */
static uint32_t entry_data(const struct xdp_sock *xs, const struct rx_entry *e,
			   uint32_t *len)
{
	uint32_t off;

	if (!xs->packet) {
		*len = e->pkt.payload_len;
		return e->pkt.payload_off;
	}
	off = xs->s->type == SOCK_DGRAM && e->frame_len >= HSK_ETH_HLEN ?
		      HSK_ETH_HLEN :
		      0;
	*len = e->frame_len - off;
	return off;
}

/* The source address as recvfrom() gives it; returns its length. */
static socklen_t entry_addr(const struct xdp_sock *xs, const struct rx_entry *e,
			    void *out)
{
	if (!xs->packet)
		return hsk_udp_sockaddr(&e->pkt, xs->port->ifindex, out);
	return hsk_ll_sockaddr(entry_frame(xs, e), e->frame_len,
			       xs->port->ifindex, xs->port->mac, out);
}

/* The control messages udp_recvmsg() or packet_recvmsg() would give. */
static void put_cmsgs(const struct xdp_sock *xs, const struct rx_entry *e,
		      struct msghdr *m)
{
	struct hsk_rx_meta rx = { .ts_ns = e->ts_ns,
				  .drops = xs->rx_drops,
				  .ifindex = xs->port->ifindex,
				  .pkt = xs->packet ? NULL : &e->pkt };

	if (xs->packet)
		rx.off = entry_data(xs, e, &rx.len);
	hsk_put_rx_cmsgs(m, xs->rx_flags, &rx);
}

/* The next datagram of the fast path, pulling the rings if needed. */
static struct rx_entry *rx_head(struct xdp_sock *xs)
{
	if (xs->head == xs->tail)
		xsk_port_pull(xs->port, xs, NULL);
	return xs->head == xs->tail ? NULL :
				      &xs->rxq[xs->head & (RXQ_SIZE - 1)];
}

/* Takes the head entry off the queue; its frame is the caller's. */
static struct rx_entry *rx_take(struct xdp_sock *xs)
{
	struct rx_entry *e = &xs->rxq[xs->head++ & (RXQ_SIZE - 1)];

	xs->rx_bytes -= e->frame_len + RX_OVERHEAD;
	return e;
}

static void rx_pop(struct xdp_sock *xs)
{
	struct rx_entry *e = rx_take(xs);

	xsk_frame_put(&xs->port->q[e->queue], e->addr);
}

static ssize_t deliver(struct xdp_sock *xs, struct rx_entry *e,
		       struct msghdr *m, int flags)
{
	uint32_t len, off = entry_data(xs, e, &len);
	ssize_t r;

	m->msg_flags = 0;
	r = hsk_copy_to_iov(m, entry_frame(xs, e) + off, len);
	if (r >= 0) {
		if (m->msg_name) {
			struct sockaddr_in6 sa; /* room for any of ours */
			socklen_t n = entry_addr(xs, e, &sa);

			memcpy(m->msg_name, &sa,
			       m->msg_namelen < n ? m->msg_namelen : n);
			m->msg_namelen = n;
		}
		if (m->msg_control && m->msg_controllen)
			put_cmsgs(xs, e, m);
		else
			m->msg_controllen = 0;
		if ((size_t)r < len)
			m->msg_flags |= MSG_TRUNC;
		if (flags & MSG_TRUNC)
			r = len;
	}
	/* As the kernel: a datagram that faulted is consumed. */
	if (!(flags & MSG_PEEK)) {
		rx_pop(xs);
		if (r >= 0)
			hsk_count(&xs->s->stats.rx_fast_path, 1);
	}
	return r;
}

static ssize_t shadow_recvmsg(struct hsk_sock *s, struct msghdr *m, int flags)
{
	ssize_t r = recvmsg(s->fd, m, flags | MSG_DONTWAIT);

	if (r >= 0 && !(flags & MSG_PEEK))
		hsk_count(&s->stats.rx_kernel_path, 1);
	return r;
}

/*
 * One datagram, port locked: the fast path's, or the kernel's now and then
 * so that it never starves, and whenever the fast path has none. The
 * kernel's is a non-blocking read, short enough to do under the lock.
 */
static ssize_t recv_locked(struct hsk_sock *s, struct msghdr *m, int flags)
{
	struct xdp_sock *xs = s->priv;
	struct rx_entry *e;
	ssize_t r;

	if (++xs->fast_streak >= SHADOW_EVERY) {
		xs->fast_streak = 0;
		r = shadow_recvmsg(s, m, flags);
		if (r >= 0 || errno != EAGAIN)
			return r;
	}
	e = rx_head(xs);
	if (e)
		return deliver(xs, e, m, flags);
	xs->fast_streak = 0;
	return shadow_recvmsg(s, m, flags);
}

/* Anything unusual is the kernel's to answer, errors included. */
static bool fast_recv(const struct xdp_sock *xs, int flags)
{
	return xs->port && !(flags & ~HSK_FAST_RECV_FLAGS);
}

static ssize_t xdp_recvmsg(struct hsk_sock *s, struct msghdr *m, int flags)
{
	struct xdp_sock *xs = s->priv;
	ssize_t r;

	if (!m || !fast_recv(xs, flags))
		return shadow_recvmsg(s, m, flags);
	pthread_mutex_lock(&xs->port->lock);
	r = recv_locked(s, m, flags);
	pthread_mutex_unlock(&xs->port->lock);
	return r;
}

static int xdp_recvmmsg(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
			int flags)
{
	struct xdp_sock *xs = s->priv;
	bool fast;
	unsigned int i;
	ssize_t r = 0;

	if (!v && n) {
		errno = EFAULT;
		return -1;
	}
	flags &= ~MSG_WAITFORONE;
	/* One lock for the batch: per datagram it would cost as much as
	 * the datagram's own work. */
	fast = fast_recv(xs, flags);
	if (fast)
		pthread_mutex_lock(&xs->port->lock);
	for (i = 0; i < n; i++) {
		r = fast ? recv_locked(s, &v[i].msg_hdr, flags) :
			   shadow_recvmsg(s, &v[i].msg_hdr, flags);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	if (fast)
		pthread_mutex_unlock(&xs->port->lock);
	return i ? (int)i : (int)r;
}

static bool shadow_readable(struct hsk_sock *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static short xdp_pending(struct hsk_sock *s, short events)
{
	struct xdp_sock *xs = s->priv;
	bool ready = false;

	if (!(events & POLLIN))
		return 0;
	if (xs->port) {
		pthread_mutex_lock(&xs->port->lock);
		ready = rx_head(xs) != NULL;
		pthread_mutex_unlock(&xs->port->lock);
	}
	if (!ready)
		ready = shadow_readable(s);
	return ready ? (events & (POLLIN | POLLRDNORM)) : 0;
}

static int xdp_extra_fds(struct hsk_sock *s, int *fds, int max)
{
	struct xdp_sock *xs = s->priv;
	int n = 0;

	if (!xs->port)
		return 0;
	fds[n++] = xs->efd;
	for (uint32_t i = 0; i < xs->port->nqueues && n < max; i++)
		fds[n++] = xs->port->q[i].fd;
	return n;
}

/* Spins for @us at most, and never past the call's deadline @d: a
 * timeout shorter than the spin still ends the call on time. */
static bool spin_until_pending(struct hsk_sock *s, unsigned int us,
			       const struct hsk_deadline *d)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (xdp_pending(s, POLLIN))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000 +
				 (now.tv_nsec - start.tv_nsec) / 1000 <
			 us &&
		 hsk_deadline_ms(d) != 0);
	return false;
}

/*
 * A send waits for a free frame and TX slot of the fast path: the shadow
 * socket is nearly always writable and says nothing about them. Copy mode
 * completes inside the kick, so a short poll of the XSK between checks is
 * enough.
 */
static int wait_tx_room(struct xdp_sock *xs, const struct hsk_deadline *d)
{
	struct xsk_queue *q = &xs->port->q[0];
	struct pollfd p = { .fd = q->fd, .events = POLLOUT };
	bool room;
	int ms;

	for (;;) {
		pthread_mutex_lock(&xs->port->lock);
		room = xsk_tx_room(q);
		if (!room)
			xsk_tx_kick(q);
		pthread_mutex_unlock(&xs->port->lock);
		if (room)
			return 0;
		ms = hsk_deadline_ms(d);
		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&p, 1, ms < 0 || ms > 1 ? 1 : ms) < 0)
			return -1;
	}
}

/*
 * Waits on the shadow socket, the queues' XSKs and the socket's eventfd:
 * a thread that pulls datagrams for another socket writes the eventfd of
 * a socket with waiters, so no wake-up is lost between check and sleep.
 */
static int xdp_wait(struct hsk_sock *s, short events,
		    const struct hsk_deadline *d)
{
	struct xdp_sock *xs = s->priv;
	struct pollfd p[2 + HSK_XDP_MAX_QUEUES];
	int fds[1 + HSK_XDP_MAX_QUEUES], n, ms, r;
	uint64_t drain;
	bool ready;

	if (!xs->port)
		return hsk_wait_fd(s->fd, events, d);
	if (!(events & POLLIN))
		return wait_tx_room(xs, d);
	if (xs->port->busy_poll_us &&
	    spin_until_pending(s, xs->port->busy_poll_us, d))
		return 0;
	for (;;) {
		pthread_mutex_lock(&xs->port->lock);
		ready = rx_head(xs) != NULL;
		xs->waiting += !ready;
		pthread_mutex_unlock(&xs->port->lock);
		if (ready)
			return 0;
		p[0] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
		n = xdp_extra_fds(s, fds, 1 + HSK_XDP_MAX_QUEUES);
		for (int i = 0; i < n; i++)
			p[1 + i] = (struct pollfd){ .fd = fds[i],
						    .events = POLLIN };
		ms = hsk_deadline_ms(d);
		r = poll(p, (nfds_t)(1 + n), ms);
		pthread_mutex_lock(&xs->port->lock);
		xs->waiting--;
		pthread_mutex_unlock(&xs->port->lock);
		/* The eventfd is p[1] (xdp_extra_fds() puts it first); a
		 * read when it did not fire would only cost a system call
		 * between the wake-up and the datagram. */
		if (r > 0 && p[1].revents)
			(void)!read(xs->efd, &drain, sizeof(drain));
		if (r < 0)
			return -1;
		if (p[0].revents)
			return 0;
		if (r == 0 && ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* ---- sending -------------------------------------------------------- */

/*
 * How a send leaves by the fast path: @hdr bytes of headers in front of a
 * payload of at most @max_payload bytes (at least @min_payload).
 */
struct tx_plan {
	struct hsk_net_flow flow;  /* UDP */
	uint8_t eth[HSK_ETH_HLEN]; /* cooked AF_PACKET */
	uint32_t hdr;
	uint32_t min_payload;
	uint32_t max_payload;
};

/*
 * A UDP datagram to @dst can leave by the fast path when the route leaves
 * by our interface and the neighbour is known. Multicast and broadcast
 * stay with the kernel: it loops them back to local listeners
 * (IP_MULTICAST_LOOP) and checks SO_BROADCAST.
 */
static bool plan_udp(struct xdp_sock *xs, const union hsk_net_addr *dst,
		     uint16_t dport, uint32_t scope, struct tx_plan *pl)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct hsk_neigh *nb = resolver();
	struct hsk_nexthop nh;

	if (!nb || !dport || is_multicast(xs->family, dst) ||
	    is_wild(xs->family, dst))
		return false;
	if (xs->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&dst->v6))
		return false;
	if (hsk_neigh_resolve(nb, xs->family, dst, scope, xs->port->ifindex,
			      &nh) != HSK_NH_OK ||
	    nh.ifindex != xs->port->ifindex || !memcmp(nh.mac, bcast, 6))
		return false;
	pl->flow = (struct hsk_net_flow){
		.family = (uint8_t)xs->family,
		.ttl = xs->ttl,
		.tos = xs->tos,
		.sport = xs->lport,
		.dport = dport,
		.dst = *dst,
	};
	pl->flow.src = xs->lwild ? *(const union hsk_net_addr *)&nh.src :
				   xs->laddr;
	memcpy(pl->flow.src_mac, xs->port->mac, 6);
	memcpy(pl->flow.dst_mac, nh.mac, 6);
	pl->hdr = (uint32_t)hsk_net_udp_hdr_len(&pl->flow);
	pl->min_payload = 0;
	pl->max_payload = nh.mtu - (pl->hdr - HSK_ETH_HLEN);
	return true;
}

/* A frame of a packet socket: raw as given, or cooked behind a header. */
static bool plan_packet(struct xdp_sock *xs, const struct sockaddr_ll *to,
			struct tx_plan *pl)
{
	struct xsk_port *p = xs->port;

	if (to && to->sll_ifindex != p->ifindex)
		return false;
	if (xs->s->type == SOCK_RAW) {
		pl->hdr = 0;
		pl->min_payload = HSK_ETH_HLEN;
		pl->max_payload = p->mtu + HSK_ETH_HLEN;
		return true;
	}
	/* Cooked: the kernel wants a destination, and answers without. */
	if (!to || to->sll_halen != 6)
		return false;
	memcpy(pl->eth, to->sll_addr, 6);
	memcpy(pl->eth + 6, p->mac, 6);
	memcpy(pl->eth + 12, to->sll_protocol ? &to->sll_protocol : &xs->ptype,
	       2);
	pl->hdr = HSK_ETH_HLEN;
	pl->min_payload = 0;
	pl->max_payload = p->mtu;
	return true;
}

/* Whether a send to @name (NULL: the connected or bound peer) can take
 * the fast path, and how. */
static bool plan_send(struct xdp_sock *xs, const void *name, socklen_t namelen,
		      struct tx_plan *pl)
{
	union hsk_net_addr dst;
	uint16_t dport;
	uint32_t scope;

	if (xs->packet)
		return (!name || namelen >= sizeof(struct sockaddr_ll)) &&
		       plan_packet(xs, name, pl);
	if (name) {
		if (!sockaddr_to(xs->family, name, namelen, &dst, &dport,
				 &scope))
			return false;
	} else if (xs->connected) {
		dst = xs->raddr;
		dport = xs->rport;
		scope = xs->rscope;
	} else {
		return false;
	}
	return plan_udp(xs, &dst, dport, scope, pl);
}

static bool plan_fits(const struct tx_plan *pl, size_t len)
{
	/* Headers go in the frame's headroom, the payload after it. */
	return len >= pl->min_payload && len <= pl->max_payload &&
	       len <= XSK_FRAME_SIZE - HSK_BUF_HEADROOM;
}

/* Writes the headers in front of @payload; returns the frame's start. */
static uint8_t *build_frame(struct xdp_sock *xs, struct tx_plan *pl,
			    uint8_t *payload, uint32_t len)
{
	if (!xs->packet) {
		pl->flow.ip_id = htons(xs->ip_id++);
		return hsk_net_build_udp(&pl->flow, payload, (uint16_t)len);
	}
	memcpy(payload - pl->hdr, pl->eth, pl->hdr);
	return payload - pl->hdr;
}

static size_t iov_len(const struct msghdr *m)
{
	size_t t = 0;

	for (size_t i = 0; i < m->msg_iovlen; i++) {
		if (m->msg_iov[i].iov_len && !m->msg_iov[i].iov_base)
			return SIZE_MAX; /* the kernel answers EFAULT */
		t += m->msg_iov[i].iov_len;
	}
	return t;
}

static ssize_t shadow_sendmsg(struct hsk_sock *s, const struct msghdr *m,
			      int flags)
{
	struct xdp_sock *xs = s->priv;
	ssize_t r = sendmsg(s->fd, m, flags | MSG_DONTWAIT);

	if (r >= 0) {
		hsk_count(&s->stats.tx_kernel_path, 1);
		/* The kernel bound an unbound socket: the fast path can
		 * take its replies from now on. */
		if (!xs->decided && engage(xs))
			return -1;
	}
	return r;
}

/* Whether @m can leave by the fast path, and how (@pl, @len). */
/*
 * The plan of the last datagram of a batch and where it went: the next one
 * to the same place reuses it (a route and neighbour lookup costs more
 * than building the datagram).
 */
struct plan_memo {
	bool valid;
	socklen_t namelen;
	struct sockaddr_storage name;
};

static bool same_place(const struct plan_memo *pm, const struct msghdr *m)
{
	if (!pm || !pm->valid || m->msg_namelen != pm->namelen ||
	    !m->msg_name != !pm->namelen)
		return false;
	return !pm->namelen || !memcmp(m->msg_name, &pm->name, pm->namelen);
}

static bool send_fast(struct xdp_sock *xs, const struct msghdr *m, int flags,
		      struct tx_plan *pl, size_t *len, struct plan_memo *pm)
{
	/* Anything unusual is the kernel's to answer, errors included. */
	if (!xs->port || !m || m->msg_controllen ||
	    (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) ||
	    (m->msg_iovlen && !m->msg_iov))
		return false;
	if (!same_place(pm, m)) {
		if (pm)
			pm->valid = false;
		if (!plan_send(xs, m->msg_name, m->msg_namelen, pl))
			return false;
		if (pm &&
		    (!m->msg_name || m->msg_namelen <= sizeof(pm->name))) {
			pm->valid = true;
			pm->namelen = m->msg_name ? m->msg_namelen : 0;
			if (pm->namelen)
				memcpy(&pm->name, m->msg_name, pm->namelen);
		}
	}
	*len = iov_len(m);
	return plan_fits(pl, *len);
}

/* Copies @m into a frame behind its headers and queues it for transmit,
 * without the kick. Port locked; -1 with EAGAIN when frames or ring
 * slots run out. */
static int queue_datagram(struct xdp_sock *xs, struct xsk_queue *q,
			  const struct msghdr *m, struct tx_plan *pl,
			  size_t len)
{
	struct xdp_desc d;
	uint8_t *payload, *frame;
	uint64_t addr;

	if (!xsk_frame_get(q, &addr)) {
		errno = EAGAIN;
		return -1;
	}
	payload = xsk_frame_ptr(q, addr) + HSK_BUF_HEADROOM;
	for (size_t i = 0, off = 0; i < m->msg_iovlen; i++) {
		memcpy(payload + off, m->msg_iov[i].iov_base,
		       m->msg_iov[i].iov_len);
		off += m->msg_iov[i].iov_len;
	}
	frame = build_frame(xs, pl, payload, (uint32_t)len);
	d = (struct xdp_desc){
		.addr = addr + HSK_BUF_HEADROOM - (uint64_t)(payload - frame),
		.len = (uint32_t)(pl->hdr + len),
	};
	if (!xsk_tx_submit(q, &d, 1)) {
		xsk_frame_put(q, addr);
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

static ssize_t xdp_sendmsg(struct hsk_sock *s, const struct msghdr *m,
			   int flags)
{
	struct xdp_sock *xs = s->priv;
	struct tx_plan pl;
	struct xsk_queue *q;
	size_t len;
	int r;

	if (!send_fast(xs, m, flags, &pl, &len, NULL))
		return shadow_sendmsg(s, m, flags);
	q = &xs->port->q[0];
	pthread_mutex_lock(&xs->port->lock);
	r = queue_datagram(xs, q, m, &pl, len);
	/* Even when the ring was full: veth may have refused the last
	 * kick, and only another one sends what waits there. */
	xsk_tx_kick(q);
	pthread_mutex_unlock(&xs->port->lock);
	if (r)
		return -1;
	hsk_count(&s->stats.tx_fast_path, 1);
	return (ssize_t)len;
}

/*
 * Runs of datagrams the fast path takes are queued under one lock and sent
 * with one kick; one it cannot take goes through the kernel after the run
 * before it has left, so the order is kept. As sendmmsg(2), a failure
 * ends the call, and is reported only when nothing was sent.
 */
static int xdp_sendmmsg(struct hsk_sock *s, struct mmsghdr *v, unsigned int n,
			int flags)
{
	struct xdp_sock *xs = s->priv;
	struct xsk_queue *q = NULL;
	unsigned int i, queued = 0, run = 0;
	bool locked = false;
	struct plan_memo pm = { .valid = false };
	struct tx_plan pl;
	size_t len;
	ssize_t r = 0;

	for (i = 0; i < n; i++) {
		if (send_fast(xs, &v[i].msg_hdr, flags, &pl, &len, &pm)) {
			if (!locked) {
				q = &xs->port->q[0];
				pthread_mutex_lock(&xs->port->lock);
				locked = true;
			}
			if (queue_datagram(xs, q, &v[i].msg_hdr, &pl, len)) {
				r = -1;
				break; /* still locked: the run's end unlocks */
			}
			v[i].msg_len = (unsigned int)len;
			run++;
			continue;
		}
		if (locked) {
			xsk_tx_kick(q);
			pthread_mutex_unlock(&xs->port->lock);
			locked = false;
			queued += run;
			run = 0;
		}
		r = shadow_sendmsg(s, &v[i].msg_hdr,
				   i ? flags | MSG_DONTWAIT : flags);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
		/* The kernel's autobind may have made it a kernel socket:
		 * @xs is gone, the rest is the kernel's. */
		if (s->be != &hsk_af_xdp_backend) {
			r = i + 1 < n ? sendmmsg(s->fd, v + i + 1, n - i - 1,
						 flags | MSG_DONTWAIT) :
					0;
			hsk_count(&s->stats.tx_fast_path, queued);
			return (int)(i + 1) + (r > 0 ? (int)r : 0);
		}
	}
	if (locked) {
		xsk_tx_kick(q); /* even after a full ring: see xdp_sendmsg() */
		pthread_mutex_unlock(&xs->port->lock);
		queued += run;
	}
	hsk_count(&s->stats.tx_fast_path, queued);
	return i ? (int)i : (int)r;
}

/* ---- zero-copy ------------------------------------------------------ */

#define COOKIE_QUEUE_SHIFT 48

/*
 * Datagrams the kernel delivered (fragments, and every frame of a shared
 * packet socket) are lent in UMEM frames like the rest: one recvmmsg(2)
 * into up to @n free frames of queue 0. Port locked.
 */
static int rx_from_shadow(struct xdp_sock *xs, struct hsk_buf *b,
			  uint64_t *cookie, unsigned int n)
{
	struct xsk_queue *q = &xs->port->q[0];
	unsigned int k;
	int r;

	if (n > HSK_RECV_BUFS_MAX)
		n = HSK_RECV_BUFS_MAX;
	for (k = 0; k < n && xsk_frame_get(q, &cookie[k]); k++)
		b[k].data = xsk_frame_ptr(q, cookie[k]);
	r = k ? hsk_recvmmsg_bufs(xs->s->fd, b, k, XSK_FRAME_SIZE, false) : 0;
	for (unsigned int i = r > 0 ? (unsigned int)r : 0; i < k; i++)
		xsk_frame_put(q, cookie[i]);
	if (r > 0)
		hsk_count(&xs->s->stats.rx_kernel_path, (uint64_t)r);
	return r;
}

void xdp_sock_lend(struct xdp_sock *xs, const struct rx_entry *e,
		   struct hsk_buf *b, uint64_t *cookie)
{
	uint32_t len, off = entry_data(xs, e, &len);

	b->data = (void *)(entry_frame(xs, e) + off);
	b->len = len;
	b->capacity = len;
	b->orig_len = len;
	b->flags = 0;
	b->ts_ns = e->ts_ns;
	b->addrlen = entry_addr(xs, e, &b->addr);
	*cookie = e->addr | (uint64_t)e->queue << COOKIE_QUEUE_SHIFT;
}

static int xdp_rx_burst(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
			unsigned int n)
{
	struct xdp_sock *xs = s->priv;
	unsigned int i = 0;
	int r;

	/* Unbound: nothing can have arrived yet. */
	if (!xs->port)
		return 0;
	pthread_mutex_lock(&xs->port->lock);
	if (xs->head == xs->tail) {
		/* Nothing queued: the rings fill the caller's buffers. */
		struct xsk_sink sink = { .b = b, .cookie = cookie, .n = n };

		xsk_port_pull(xs->port, xs, &sink);
		i = sink.got;
	}
	for (; i < n && xs->head != xs->tail; i++)
		xdp_sock_lend(xs, rx_take(xs), &b[i], &cookie[i]);
	hsk_count(&s->stats.rx_fast_path, i);
	if (i) {
		pthread_mutex_unlock(&xs->port->lock);
		return (int)i;
	}
	r = rx_from_shadow(xs, b, cookie, n);
	pthread_mutex_unlock(&xs->port->lock);
	return r;
}

static void frames_put(struct hsk_sock *s, const uint64_t *cookie,
		       unsigned int n)
{
	struct xdp_sock *xs = s->priv;

	pthread_mutex_lock(&xs->port->lock);
	for (unsigned int i = 0; i < n; i++)
		xsk_frame_put(&xs->port->q[cookie[i] >> COOKIE_QUEUE_SHIFT],
			      cookie[i] & ((1ull << COOKIE_QUEUE_SHIFT) - 1));
	pthread_mutex_unlock(&xs->port->lock);
}

static int xdp_tx_alloc(struct hsk_sock *s, struct hsk_buf *b, uint64_t *cookie,
			unsigned int n)
{
	struct xdp_sock *xs = s->priv;
	struct xsk_queue *q;
	unsigned int i;
	uint64_t addr;

	if (!xs->port) {
		/* The buffers are UMEM frames: the socket needs its port
		 * now. One that falls back gets the kernel's buffers. */
		if (autobind(xs))
			return -1;
		if (s->be != &hsk_af_xdp_backend)
			return s->be->burst->tx_alloc(s, b, cookie, n);
		if (!xs->port) {
			errno = EOPNOTSUPP;
			return -1;
		}
	}
	q = &xs->port->q[0];
	pthread_mutex_lock(&xs->port->lock);
	for (i = 0; i < n && xsk_frame_get(q, &addr); i++) {
		memset(&b[i], 0, offsetof(struct hsk_buf, priv));
		b[i].data = xsk_frame_ptr(q, addr) + HSK_BUF_HEADROOM;
		b[i].capacity = XSK_FRAME_SIZE - HSK_BUF_HEADROOM;
		cookie[i] = addr;
	}
	pthread_mutex_unlock(&xs->port->lock);
	return (int)i;
}

/* A buffer the fast path cannot take leaves by the shadow socket. */
static int tx_by_kernel(struct hsk_sock *s, const struct hsk_buf *b,
			const uint64_t *cookie, unsigned int n,
			const struct sockaddr *dst, socklen_t dstlen, int flags)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct iovec iov = { b[i].data, b[i].len };
		struct msghdr m = { .msg_name = (void *)dst,
				    .msg_namelen = dst ? dstlen : 0,
				    .msg_iov = &iov,
				    .msg_iovlen = 1 };

		if (shadow_sendmsg(s, &m, i ? flags | MSG_DONTWAIT : flags) < 0)
			break;
	}
	frames_put(s, cookie, i);
	return i ? (int)i : -1;
}

static int xdp_tx_burst(struct hsk_sock *s, const struct hsk_buf *b,
			const uint64_t *cookie, unsigned int n,
			const struct sockaddr *dst, socklen_t dstlen, int flags)
{
	struct xdp_sock *xs = s->priv;
	struct xdp_desc d[TX_BATCH];
	struct tx_plan pl;
	struct xsk_queue *q;
	unsigned int i, k;

	if (!plan_send(xs, dst, dstlen, &pl))
		return tx_by_kernel(s, b, cookie, n, dst, dstlen, flags);
	if (n > TX_BATCH)
		n = TX_BATCH;
	for (i = 0; i < n && plan_fits(&pl, b[i].len); i++) {
		uint8_t *frame = build_frame(xs, &pl, b[i].data, b[i].len);

		d[i] = (struct xdp_desc){
			.addr = cookie[i] + HSK_BUF_HEADROOM -
				(uint64_t)((uint8_t *)b[i].data - frame),
			.len = pl.hdr + b[i].len,
		};
	}
	if (!i) /* too big for the MTU: the kernel fragments, or refuses */
		return tx_by_kernel(s, b, cookie, 1, dst, dstlen, flags);
	q = &xs->port->q[0];
	pthread_mutex_lock(&xs->port->lock);
	k = xsk_tx_submit(q, d, i);
	xsk_tx_kick(q); /* even after a full ring: see xdp_sendmsg() */
	pthread_mutex_unlock(&xs->port->lock);
	hsk_count(&s->stats.tx_fast_path, k);
	if (!k) {
		errno = EAGAIN;
		return -1;
	}
	return (int)k;
}

/* The shadow socket's drops, and the XSK rings' of the socket's port:
 * frames lost before any socket could be told apart are everyone's. */
static uint64_t xdp_drops(struct hsk_sock *s)
{
	struct xdp_sock *xs = s->priv;

	return kernel_meminfo_drops(s) +
	       (xs->port ? xsk_port_ring_drops(xs->port) : 0);
}

static const struct hsk_ctl_ops xdp_ctl = {
	.open = xdp_open,
	.close = xdp_close,
	.bind = xdp_bind,
	.connect = xdp_connect,
	.setsockopt = xdp_setsockopt,
	.recvmsg = xdp_recvmsg,
	.recvmmsg = xdp_recvmmsg,
	.sendmsg = xdp_sendmsg,
	.sendmmsg = xdp_sendmmsg,
	.pending = xdp_pending,
	.kernel_drops = xdp_drops,
	.extra_fds = xdp_extra_fds,
	.wait = xdp_wait,
};

static const struct hsk_burst_ops xdp_burst = {
	.rx_burst = xdp_rx_burst,
	.rx_release = frames_put,
	.tx_alloc = xdp_tx_alloc,
	.tx_free = frames_put,
	.tx_burst = xdp_tx_burst,
};

const struct hsk_backend hsk_af_xdp_backend = {
	.name = "af_xdp",
	.ctl = &xdp_ctl,
	.burst = &xdp_burst,
};
