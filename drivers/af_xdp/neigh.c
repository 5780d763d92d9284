// SPDX-License-Identifier: BSD-3-Clause
/*
 * neigh.c - next hops from the kernel's routing and neighbour tables.
 *
 * Two NETLINK_ROUTE sockets: one asks (the route, then the neighbour,
 * then the link), the other only listens to the notification groups and
 * is drained without blocking at the start of a lookup, at most once a
 * millisecond (NH_DRAIN_INTERVAL_NS). Anything heard
 * there bumps a generation number, which retires every cached answer at
 * once: finer bookkeeping would need to know which routes cover which
 * destinations, and that is the kernel's job. Since the listener exists
 * before the first question and is drained before the cache is read, a
 * change the kernel makes after an answer is seen by the first call a
 * millisecond or more later.
 */
#include "neigh.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "net.h"

/* Kernel headers older than the running kernel may lack these. */
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif

#define NH_SETS 32 /* power of two */
#define NH_WAYS 4
/*
 * Some changes are never announced (a path MTU learnt from ICMP, a route
 * exception expiring): no answer outlives a second.
 */
#define NH_TTL_NS 1000000000ull
/* A dump skb never exceeds 32 KiB; a larger read is never needed. */
#define NH_BUF 32768
#define NH_DRAIN_INTERVAL_NS 1000000ull

/* Bounds the time one call spends draining a storm of notifications. */
#define NH_DRAIN_MAX 64

struct nh_key {
	uint8_t dst[16]; /* IPv4 in the first 4 bytes, the rest zero */
	int family;
	int ifindex;
	uint32_t scope; /* only for destinations that need one */
};

struct nh_entry {
	struct nh_key key;
	uint64_t expires; /* CLOCK_MONOTONIC ns; 0: never filled */
	uint32_t gen;
	enum hsk_nexthop_kind kind;
	struct hsk_nexthop nh;
};

struct hsk_neigh {
	/*
	 * Held across netlink round trips: misses are rare, and one lock
	 * keeps the sequence numbers, the buffer and the cache consistent.
	 */
	pthread_mutex_t lock;
	int req; /* questions; blocking with a 1 s receive timeout */
	int mon; /* notifications; non-blocking */
	uint32_t seq;
	uint32_t gen;
	uint64_t last_drain; /* ns, CLOCK_MONOTONIC */
	bool neigh_get; /* RTM_GETNEIGH for one entry works (Linux >= 5.0) */
	struct nh_entry cache[NH_SETS][NH_WAYS];
	union {
		struct nlmsghdr h; /* for alignment */
		uint8_t b[NH_BUF];
	} buf;
};

/* What a route answer says about the next hop. */
struct nh_route {
	bool seen;
	unsigned char type; /* RTN_* */
	int oif;
	int gw_family; /* 0: on link, the destination itself */
	uint8_t gw[16];
	bool has_src;
	uint8_t src[16];
	uint32_t mtu; /* RTAX_MTU, 0 when unset */
};

struct nh_neigh {
	int family;
	const uint8_t *addr;
	int ifindex;
	bool found;
	uint16_t state;
	bool has_mac;
	uint8_t mac[6];
};

struct nh_link {
	bool seen;
	unsigned short type; /* ARPHRD_* */
	uint32_t mtu;
};

union nh_req {
	struct nlmsghdr h;
	uint8_t b[128];
};

typedef void (*nh_parse_fn)(const struct nlmsghdr *h, void *arg);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void req_init(union nh_req *r, uint16_t type, uint16_t flags,
		     const void *hdr, size_t hlen)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(hlen);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	memcpy(NLMSG_DATA(&r->h), hdr, hlen);
}

static void req_attr(union nh_req *r, uint16_t type, const void *data,
		     size_t len)
{
	struct rtattr *rta;

	rta = (struct rtattr *)(r->b + NLMSG_ALIGN(r->h.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void parse_attrs(struct rtattr **tb, int max, struct rtattr *rta,
			int len)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		int type = rta->rta_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = rta;
	}
}

static bool attr_u32(const struct rtattr *rta, uint32_t *v)
{
	if (!rta || RTA_PAYLOAD(rta) < sizeof(*v))
		return false;
	memcpy(v, RTA_DATA(rta), sizeof(*v));
	return true;
}

/*
 * Send @r and feed each answer to @parse until the answer is complete.
 * Return: 0, or -errno from the kernel (NLMSG_ERROR) or the socket;
 * -ETIMEDOUT when the kernel stays silent for a second.
 */
static int ask(struct hsk_neigh *n, union nh_req *r, nh_parse_fn parse,
	       void *arg)
{
	uint32_t seq = ++n->seq;

	r->h.nlmsg_seq = seq;
	if (send(n->req, r, r->h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h = &n->buf.h;
		ssize_t len;

		len = recv(n->req, n->buf.b, sizeof(n->buf.b), MSG_TRUNC);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		if ((size_t)len > sizeof(n->buf.b))
			return -EMSGSIZE;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			/* A late answer to a question that timed out. */
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				return e->error;
			}
			parse(h, arg);
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

static void parse_route(const struct nlmsghdr *h, void *arg)
{
	struct nh_route *r = arg;
	struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1], *mx[RTAX_MAX + 1];
	size_t alen;
	uint32_t v;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return;
	alen = hsk_net_addr_len(rtm->rtm_family);
	parse_attrs(tb, RTA_MAX, RTM_RTA(rtm), RTM_PAYLOAD(h));
	memset(r, 0, sizeof(*r));
	r->seen = true;
	r->type = rtm->rtm_type;
	if (attr_u32(tb[RTA_OIF], &v))
		r->oif = (int)v;
	if (tb[RTA_GATEWAY] && RTA_PAYLOAD(tb[RTA_GATEWAY]) == alen) {
		r->gw_family = rtm->rtm_family;
		memcpy(r->gw, RTA_DATA(tb[RTA_GATEWAY]), alen);
	} else if (tb[RTA_VIA]) {
		/* An IPv4 route through an IPv6 gateway (RFC 5549). */
		const struct rtvia *via = RTA_DATA(tb[RTA_VIA]);
		size_t len = RTA_PAYLOAD(tb[RTA_VIA]);

		if (len >= sizeof(*via) &&
		    (via->rtvia_family == AF_INET ||
		     via->rtvia_family == AF_INET6) &&
		    len - sizeof(*via) == hsk_net_addr_len(via->rtvia_family)) {
			r->gw_family = via->rtvia_family;
			memcpy(r->gw, via->rtvia_addr,
			       hsk_net_addr_len(via->rtvia_family));
		}
	}
	if (tb[RTA_PREFSRC] && RTA_PAYLOAD(tb[RTA_PREFSRC]) == alen) {
		r->has_src = true;
		memcpy(r->src, RTA_DATA(tb[RTA_PREFSRC]), alen);
	}
	if (tb[RTA_METRICS]) {
		parse_attrs(mx, RTAX_MAX, RTA_DATA(tb[RTA_METRICS]),
			    RTA_PAYLOAD(tb[RTA_METRICS]));
		if (attr_u32(mx[RTAX_MTU], &v))
			r->mtu = v;
	}
}

/* The kernel's `ip route get`: the route it would use for a send. */
static int ask_route(struct hsk_neigh *n, const struct nh_key *k, int oif,
		     struct nh_route *r)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char)k->family,
		.rtm_dst_len = (unsigned char)(hsk_net_addr_len(k->family) * 8),
	};
	union nh_req req;
	uint32_t v = (uint32_t)oif;
	int err;

	req_init(&req, RTM_GETROUTE, 0, &rtm, sizeof(rtm));
	req_attr(&req, RTA_DST, k->dst, hsk_net_addr_len(k->family));
	if (oif)
		req_attr(&req, RTA_OIF, &v, sizeof(v));
	memset(r, 0, sizeof(*r));
	err = ask(n, &req, parse_route, r);
	if (!err && !r->seen)
		err = -EBADMSG;
	return err;
}

static void parse_neigh(const struct nlmsghdr *h, void *arg)
{
	struct nh_neigh *q = arg;
	struct ndmsg *ndm = NLMSG_DATA(h);
	struct rtattr *tb[NDA_MAX + 1];
	size_t alen = hsk_net_addr_len(q->family);

	if (h->nlmsg_type != RTM_NEWNEIGH ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ndm)) ||
	    ndm->ndm_family != q->family || ndm->ndm_ifindex != q->ifindex)
		return;
	parse_attrs(tb, NDA_MAX,
		    (struct rtattr *)((char *)ndm + NLMSG_ALIGN(sizeof(*ndm))),
		    (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm))));
	if (!tb[NDA_DST] || RTA_PAYLOAD(tb[NDA_DST]) != alen ||
	    memcmp(RTA_DATA(tb[NDA_DST]), q->addr, alen))
		return;
	q->found = true;
	q->state = ndm->ndm_state;
	q->has_mac = tb[NDA_LLADDR] && RTA_PAYLOAD(tb[NDA_LLADDR]) == 6;
	if (q->has_mac)
		memcpy(q->mac, RTA_DATA(tb[NDA_LLADDR]), 6);
}

static int ask_neigh(struct hsk_neigh *n, struct nh_neigh *q)
{
	struct ndmsg ndm = { .ndm_family = (unsigned char)q->family };
	uint32_t ifindex = (uint32_t)q->ifindex;
	union nh_req req;
	int err;

	if (n->neigh_get) {
		ndm.ndm_ifindex = q->ifindex;
		req_init(&req, RTM_GETNEIGH, 0, &ndm, sizeof(ndm));
		req_attr(&req, NDA_DST, q->addr, hsk_net_addr_len(q->family));
		err = ask(n, &req, parse_neigh, q);
		if (err == -ENOENT)
			return 0;
		if (err != -EINVAL && err != -EOPNOTSUPP)
			return err;
		/* Before Linux 5.0 only dumps: do not ask again. */
		n->neigh_get = false;
	}
	/* Strict checking wants the filter as an attribute, not in ndm. */
	ndm.ndm_ifindex = 0;
	req_init(&req, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm));
	req_attr(&req, NDA_IFINDEX, &ifindex, sizeof(ifindex));
	q->found = false;
	return ask(n, &req, parse_neigh, q);
}

static void parse_link(const struct nlmsghdr *h, void *arg)
{
	struct nh_link *l = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	parse_attrs(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(h));
	l->seen = attr_u32(tb[IFLA_MTU], &l->mtu);
	l->type = ifi->ifi_type;
}

static int ask_link(struct hsk_neigh *n, int ifindex, struct nh_link *l)
{
	struct ifinfomsg ifi = { .ifi_index = ifindex };
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	union nh_req req;
	int err;

	req_init(&req, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	req_attr(&req, IFLA_EXT_MASK, &mask, sizeof(mask));
	memset(l, 0, sizeof(*l));
	err = ask(n, &req, parse_link, l);
	if (!err && !l->seen)
		err = -EBADMSG;
	return err;
}

static bool is_multicast(const struct nh_key *k)
{
	return k->family == AF_INET ? (k->dst[0] & 0xf0) == 0xe0 :
				      k->dst[0] == 0xff;
}

static bool is_limited_broadcast(const struct nh_key *k)
{
	static const uint8_t ones[4] = { 0xff, 0xff, 0xff, 0xff };

	return k->family == AF_INET && !memcmp(k->dst, ones, 4);
}

/* IPv6 link-local unicast, and interface- or link-local multicast. */
static bool needs_scope(int family, const uint8_t *a)
{
	if (family != AF_INET6)
		return false;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	return a[0] == 0xff && ((a[1] & 0x0f) == 1 || (a[1] & 0x0f) == 2);
}

static void multicast_mac(const struct nh_key *k, uint8_t mac[6])
{
	if (k->family == AF_INET) {
		/* RFC 1112: the low 23 bits of the group. */
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = k->dst[1] & 0x7f;
		mac[4] = k->dst[2];
		mac[5] = k->dst[3];
	} else {
		/* RFC 2464: the low 32 bits of the group. */
		mac[0] = 0x33;
		mac[1] = 0x33;
		memcpy(mac + 2, k->dst + 12, 4);
	}
}

static bool neigh_usable(uint16_t state)
{
	return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			NUD_PERMANENT | NUD_NOARP);
}

/* Return: a kind, or -errno when the kernel could not be asked. */
static int lookup(struct hsk_neigh *n, const struct nh_key *k,
		  struct hsk_nexthop *out)
{
	bool mcast = is_multicast(k), lbcast = is_limited_broadcast(k);
	struct nh_route r;
	struct nh_link l;
	int oif = 0, err;

	if (k->scope) {
		if (k->ifindex && (uint32_t)k->ifindex != k->scope) {
			out->ifindex = (int)k->scope;
			return HSK_NH_OTHER_IF;
		}
		oif = (int)k->scope;
	} else if (needs_scope(k->family, k->dst) || mcast || lbcast) {
		/*
		 * Only these follow the interface asked about, as the kernel
		 * follows IP_MULTICAST_IF. A unicast lookup given RTA_OIF
		 * would describe a socket bound to the device: IPv4 then
		 * calls any unrouted destination on-link, and a route
		 * through another interface would never be seen.
		 */
		oif = k->ifindex;
	}

	err = ask_route(n, k, oif, &r);
	switch (err) {
	case 0:
		break;
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -EACCES: /* prohibit */
	case -EINVAL: /* blackhole */
		return HSK_NH_UNREACHABLE;
	default:
		return err;
	}
	switch (r.type) {
	case RTN_LOCAL:
	case RTN_ANYCAST:
		return HSK_NH_LOCAL;
	case RTN_UNREACHABLE:
	case RTN_BLACKHOLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		return HSK_NH_UNREACHABLE;
	case RTN_UNICAST:
	case RTN_BROADCAST:
	case RTN_MULTICAST:
		break;
	default:
		out->ifindex = r.oif;
		return HSK_NH_UNRESOLVED;
	}
	out->ifindex = r.oif;
	if (k->ifindex && r.oif != k->ifindex)
		return HSK_NH_OTHER_IF;
	/* No address to send from: the kernel fails the send, or knows why. */
	if (!r.has_src)
		return HSK_NH_UNRESOLVED;

	if (mcast) {
		multicast_mac(k, out->mac);
	} else if (lbcast || r.type == RTN_BROADCAST) {
		memset(out->mac, 0xff, 6);
	} else {
		struct nh_neigh q = {
			.family = r.gw_family ? r.gw_family : k->family,
			.addr = r.gw_family ? r.gw : k->dst,
			.ifindex = r.oif,
		};

		err = ask_neigh(n, &q);
		if (err)
			return err;
		if (!q.found || !neigh_usable(q.state) || !q.has_mac)
			return HSK_NH_UNRESOLVED;
		memcpy(out->mac, q.mac, 6);
	}

	err = ask_link(n, r.oif, &l);
	if (err)
		return err;
	if (l.type != ARPHRD_ETHER)
		return HSK_NH_UNRESOLVED;
	/* No frame larger than the link takes, whatever the route says. */
	out->mtu = r.mtu && r.mtu < l.mtu ? r.mtu : l.mtu;
	memcpy(&out->src, r.src, hsk_net_addr_len(k->family));
	return HSK_NH_OK;
}

/* Read every pending notification; any at all retires the cache. */
static void drain(struct hsk_neigh *n)
{
	bool changed = false;
	int i;

	for (i = 0; i < NH_DRAIN_MAX; i++) {
		ssize_t len =
			recv(n->mon, n->buf.b, sizeof(n->buf.b), MSG_DONTWAIT);

		if (len > 0) {
			changed = true;
		} else if (len < 0 && errno == ENOBUFS) {
			/* Overrun: some were lost; assume the worst. */
			changed = true;
		} else if (!(len < 0 && errno == EINTR)) {
			break;
		}
	}
	if (changed)
		n->gen++;
}

static unsigned int key_set(const struct nh_key *k)
{
	uint32_t h = (uint32_t)k->family * 0x9e3779b1u;
	uint32_t w;
	int i;

	for (i = 0; i < 16; i += 4) {
		memcpy(&w, k->dst + i, 4);
		h = (h ^ w) * 0x85ebca6bu;
		h ^= h >> 13;
	}
	h = (h ^ (uint32_t)k->ifindex ^ k->scope) * 0xc2b2ae35u;
	h ^= h >> 16;
	return h & (NH_SETS - 1);
}

static bool entry_live(const struct hsk_neigh *n, const struct nh_entry *e,
		       uint64_t now)
{
	return e->expires > now && e->gen == n->gen;
}

static struct nh_entry *cache_find(struct hsk_neigh *n, const struct nh_key *k,
				   uint64_t now)
{
	struct nh_entry *set = n->cache[key_set(k)];
	int i;

	for (i = 0; i < NH_WAYS; i++) {
		if (entry_live(n, &set[i], now) &&
		    !memcmp(&set[i].key, k, sizeof(*k)))
			return &set[i];
	}
	return NULL;
}

static void cache_put(struct hsk_neigh *n, const struct nh_key *k,
		      enum hsk_nexthop_kind kind, const struct hsk_nexthop *nh,
		      uint64_t now)
{
	struct nh_entry *set = n->cache[key_set(k)], *victim = &set[0];
	int i;

	for (i = 0; i < NH_WAYS; i++) {
		if (!entry_live(n, &set[i], now)) {
			victim = &set[i];
			break;
		}
		if (set[i].expires < victim->expires)
			victim = &set[i];
	}
	victim->key = *k;
	victim->expires = now + NH_TTL_NS;
	victim->gen = n->gen;
	victim->kind = kind;
	victim->nh = *nh;
}

enum hsk_nexthop_kind hsk_neigh_resolve(struct hsk_neigh *n, int family,
					const void *dst, uint32_t scope_id,
					int ifindex, struct hsk_nexthop *out)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct nh_entry *e;
	struct nh_key k;
	uint64_t now;
	int ret;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!n || !dst || !out || ifindex < 0) {
		errno = EINVAL;
		return HSK_NH_UNRESOLVED;
	}
	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return HSK_NH_UNRESOLVED;
	}
	memset(&k, 0, sizeof(k));
	memcpy(k.dst, dst, hsk_net_addr_len(family));
	/* Leaves as IPv4: the caller asked about the wrong family. */
	if (family == AF_INET6 && !memcmp(k.dst, v4mapped, sizeof(v4mapped))) {
		errno = EAFNOSUPPORT;
		return HSK_NH_UNRESOLVED;
	}
	k.family = family;
	k.ifindex = ifindex;
	if (needs_scope(family, k.dst))
		k.scope = scope_id;

	pthread_mutex_lock(&n->lock);
	now = now_ns();
	/* A drain is a system call: at most one per interval, so that a send
	 * pays for it rarely and a change is still seen within it. */
	if (now - n->last_drain >= NH_DRAIN_INTERVAL_NS) {
		drain(n);
		n->last_drain = now;
	}
	e = cache_find(n, &k, now);
	if (e) {
		*out = e->nh;
		ret = e->kind;
	} else {
		ret = lookup(n, &k, out);
		if (ret >= 0)
			cache_put(n, &k, ret, out, now);
	}
	pthread_mutex_unlock(&n->lock);

	if (ret < 0) {
		memset(out, 0, sizeof(*out));
		errno = -ret;
		return HSK_NH_UNRESOLVED;
	}
	return ret;
}

static int open_monitor(void)
{
	static const unsigned int groups[] = {
		RTNLGRP_NEIGH,	     RTNLGRP_IPV4_ROUTE,  RTNLGRP_IPV6_ROUTE,
		RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK,
	};
	/* They also change routing decisions, but older kernels lack some. */
	static const unsigned int optional[] = {
		RTNLGRP_IPV4_RULE,
		RTNLGRP_IPV6_RULE,
#ifdef RTNLGRP_NEXTHOP
		RTNLGRP_NEXTHOP,
#endif
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t i;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &groups[i], sizeof(groups[i])) < 0)
			goto fail;
	}
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		(void)setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &optional[i], sizeof(optional[i]));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int open_requester(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	int fd, err, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	/*
	 * Linux >= 4.20 then checks our requests instead of ignoring what
	 * it does not understand; older kernels refuse the option, and
	 * the requests work as they are.
	 */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
			 sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct hsk_neigh *hsk_neigh_new(void)
{
	struct hsk_neigh *n;
	int err;

	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	err = pthread_mutex_init(&n->lock, NULL);
	if (err) {
		free(n);
		errno = err;
		return NULL;
	}
	n->neigh_get = true;
	n->req = -1;
	/* Listener first: no change after the first answer goes unheard. */
	n->mon = open_monitor();
	if (n->mon >= 0)
		n->req = open_requester();
	if (n->req < 0) {
		err = errno;
		hsk_neigh_free(n);
		errno = err;
		return NULL;
	}
	return n;
}

void hsk_neigh_free(struct hsk_neigh *n)
{
	if (!n)
		return;
	if (n->req >= 0)
		close(n->req);
	if (n->mon >= 0)
		close(n->mon);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
