// SPDX-License-Identifier: BSD-3-Clause
/*
 * The control plane's core: frames in, the neighbour table with the frames
 * held while a neighbour is asked for, timers, and multicast membership.
 * The protocols themselves are in ctrl_ip4.c and ctrl_ip6.c.
 *
 * Neighbours live in one array (max_neigh entries, allocated once) hashed
 * by address; held frames in one pool of max_held slots of a whole frame
 * each, chained per neighbour in arrival order. Every timer is a deadline
 * in an entry, and c->next_due is the earliest of them, so that a tick
 * with nothing due costs one comparison.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ctrl_priv.h"

/* ICMP errors: the kernel's defaults (icmp_msgs_per_sec, _burst). */
#define ICMP_ERR_BURST 50u
#define ICMP_ERR_PER_S 1000u
#define MAX_BOUND (1u << 20)
/* RFC 3376 8.11 and RFC 3810 9.11: a state change is said again once
 * (robustness 2) within the Unsolicited Report Interval */
#define UNSOLICITED_REPORT_NS NS_PER_S

static inline void due(struct hsk_ctrl *c, uint64_t t)
{
	if (t < c->next_due)
		c->next_due = t;
}

bool ctrl_has(const struct hsk_ctrl *c, int family)
{
	return family == AF_INET ? c->cfg.prefix4 != 0 : c->cfg.prefix6 != 0;
}

bool ctrl_is_ours6(const struct hsk_ctrl *c, const struct in6_addr *a)
{
	return !memcmp(a, &c->cfg.ip6, 16) || !memcmp(a, &c->ll6, 16);
}

uint8_t *ctrl_eth(struct hsk_ctrl *c, const uint8_t dst[6], uint16_t type)
{
	memcpy(c->tx, dst, 6);
	memcpy(c->tx + 6, c->cfg.mac, 6);
	wr16(c->tx + 12, type);
	return c->tx + HSK_ETH_HLEN;
}

void ctrl_send(struct hsk_ctrl *c, size_t len, uint64_t *counter)
{
	if (c->cfg.xmit(c->cfg.xmit_ctx, c->tx, len))
		c->st.tx_errors++;
	else
		(*counter)++;
}

bool ctrl_icmp_error_allowed(struct hsk_ctrl *c)
{
	const uint64_t per = NS_PER_S / ICMP_ERR_PER_S;

	if (c->now > c->icmp_tokens_at) {
		uint64_t add = (c->now - c->icmp_tokens_at) / per;

		if (c->icmp_tokens + add >= ICMP_ERR_BURST) {
			c->icmp_tokens = ICMP_ERR_BURST;
			c->icmp_tokens_at = c->now;
		} else {
			c->icmp_tokens += (uint32_t)add;
			c->icmp_tokens_at += add * per;
		}
	}
	if (!c->icmp_tokens)
		return false;
	c->icmp_tokens--;
	return true;
}

uint64_t ctrl_random_delay(struct hsk_ctrl *c, uint64_t max_ns)
{
	/* xorshift32: spreads hosts' answers; no need for more */
	c->rnd ^= c->rnd << 13;
	c->rnd ^= c->rnd >> 17;
	c->rnd ^= c->rnd << 5;
	/* max_ns * rnd / 2^32, without overflow */
	return (max_ns >> 32) * c->rnd +
	       ((max_ns & 0xffffffffu) * c->rnd >> 32);
}

/* --- neighbours and held frames --- */

static uint32_t neigh_hash(const struct hsk_ctrl *c, int family,
			   const union hsk_net_addr *ip)
{
	uint32_t w[4], h;

	if (family == AF_INET) {
		h = ip->v4.s_addr;
	} else {
		memcpy(w, &ip->v6, sizeof(w));
		h = w[0] ^ w[1] ^ w[2] ^ w[3];
	}
	/* neighbours differ in their last bytes, the high ones of a
	 * little-endian word: mix every bit into the low ones (lowbias32) */
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h & c->bucket_mask;
}

static bool neigh_is(const struct ctrl_neigh *n, int family,
		     const union hsk_net_addr *ip)
{
	return n->family == family &&
	       (family == AF_INET ? n->ip.v4.s_addr == ip->v4.s_addr :
				    !memcmp(&n->ip.v6, &ip->v6, 16));
}

struct ctrl_neigh *ctrl_neigh_find(struct hsk_ctrl *c, int family,
				   const union hsk_net_addr *ip)
{
	uint32_t i;

	/* a run of datagrams mostly goes to one neighbour */
	if (neigh_is(&c->neigh[c->neigh_last], family, ip))
		return &c->neigh[c->neigh_last];
	for (i = c->bucket[neigh_hash(c, family, ip)]; i != CTRL_NONE;
	     i = c->neigh[i].next) {
		if (neigh_is(&c->neigh[i], family, ip)) {
			c->neigh_last = i;
			return &c->neigh[i];
		}
	}
	return NULL;
}

static void held_release(struct hsk_ctrl *c, struct ctrl_neigh *n, bool send)
{
	uint32_t i = n->held_head;

	while (i != CTRL_NONE) {
		uint8_t *f = c->held_buf + (size_t)i * c->held_slot;
		uint32_t next = c->held[i].next;

		if (!send) {
			c->st.held_dropped++;
		} else {
			memcpy(f, n->mac, 6);
			if (c->cfg.xmit(c->cfg.xmit_ctx, f, c->held[i].len))
				c->st.tx_errors++;
			else
				c->st.held_sent++;
		}
		c->held[i].next = c->held_free;
		c->held_free = i;
		i = next;
	}
	n->held_head = n->held_tail = CTRL_NONE;
}

static int held_add(struct hsk_ctrl *c, struct ctrl_neigh *n, const void *frame,
		    size_t len)
{
	uint32_t i = c->held_free;

	if (len > c->held_slot) {
		errno = EMSGSIZE;
		return -1;
	}
	if (i == CTRL_NONE) {
		errno = ENOBUFS;
		return -1;
	}
	c->held_free = c->held[i].next;
	memcpy(c->held_buf + (size_t)i * c->held_slot, frame, len);
	c->held[i].len = (uint32_t)len;
	c->held[i].next = CTRL_NONE;
	if (n->held_tail == CTRL_NONE)
		n->held_head = i;
	else
		c->held[n->held_tail].next = i;
	n->held_tail = i;
	c->st.held++;
	return 0;
}

static void neigh_remove(struct hsk_ctrl *c, struct ctrl_neigh *n)
{
	uint32_t idx = (uint32_t)(n - c->neigh);
	uint32_t *link = &c->bucket[neigh_hash(c, n->family, &n->ip)];

	held_release(c, n, false);
	while (*link != idx)
		link = &c->neigh[*link].next;
	*link = n->next;
	n->state = N_FREE;
	n->family = 0;
	n->next = c->neigh_free;
	c->neigh_free = idx;
}

/*
 * A free entry; when the table is full, the one closest to ageing out
 * among those nobody is waiting on (none when all are being resolved).
 */
static struct ctrl_neigh *neigh_alloc(struct hsk_ctrl *c, int family,
				      const union hsk_net_addr *ip)
{
	struct ctrl_neigh *n = NULL;
	uint32_t h;

	if (c->neigh_free == CTRL_NONE) {
		for (uint32_t i = 0; i < c->cfg.max_neigh; i++) {
			struct ctrl_neigh *e = &c->neigh[i];

			if (e->state != N_INCOMPLETE &&
			    (!n || e->deadline < n->deadline))
				n = e;
		}
		if (!n)
			return NULL;
		neigh_remove(c, n);
	}
	n = &c->neigh[c->neigh_free];
	c->neigh_free = n->next;
	memset(&n->ip, 0, sizeof(n->ip));
	memcpy(&n->ip, ip, hsk_net_addr_len(family));
	n->family = (uint8_t)family;
	n->tries = 0;
	n->used = false;
	n->held_head = n->held_tail = CTRL_NONE;
	h = neigh_hash(c, family, ip);
	n->next = c->bucket[h];
	c->bucket[h] = (uint32_t)(n - c->neigh);
	return n;
}

static void neigh_solicit(struct hsk_ctrl *c, struct ctrl_neigh *n,
			  bool unicast)
{
	const uint8_t *mac = unicast ? n->mac : NULL;

	if (n->family == AF_INET)
		ctrl_arp_request(c, n->ip.v4, mac);
	else
		ctrl_nd_solicit(c, &n->ip.v6, mac);
}

/* Starts a round of CTRL_TRIES solicitations in @state. */
static void neigh_ask(struct hsk_ctrl *c, struct ctrl_neigh *n,
		      enum ctrl_nstate state)
{
	n->state = state;
	n->tries = 1;
	n->deadline = c->now + c->cfg.resolve_wait_ns;
	due(c, n->deadline);
	neigh_solicit(c, n, state == N_PROBE);
}

void ctrl_neigh_learn(struct hsk_ctrl *c, int family,
		      const union hsk_net_addr *ip, const uint8_t mac[6],
		      bool create, bool override)
{
	static const uint8_t zero[6];
	struct ctrl_neigh *n;

	if (mac_is_group(mac) || !memcmp(mac, zero, 6))
		return;
	n = ctrl_neigh_find(c, family, ip);
	if (!n) {
		if (!create)
			return;
		n = neigh_alloc(c, family, ip);
		if (!n)
			return;
	} else if (!override &&
		   (n->state == N_REACHABLE || n->state == N_PROBE) &&
		   memcmp(n->mac, mac, 6)) {
		return;
	}
	memcpy(n->mac, mac, 6);
	n->state = N_REACHABLE;
	n->tries = 0;
	n->used = false;
	n->deadline = c->now + c->cfg.neigh_ttl_ns;
	due(c, n->deadline);
	held_release(c, n, true);
}

static void neigh_timer(struct hsk_ctrl *c, struct ctrl_neigh *n)
{
	if (n->deadline > c->now)
		goto rearm;
	switch (n->state) {
	case N_INCOMPLETE:
	case N_PROBE:
		if (n->tries < CTRL_TRIES) {
			n->tries++;
			n->deadline = c->now + c->cfg.resolve_wait_ns;
			neigh_solicit(c, n, n->state == N_PROBE);
		} else if (n->state == N_INCOMPLETE) {
			held_release(c, n, false);
			n->state = N_FAILED;
			n->deadline = c->now + c->cfg.resolve_wait_ns;
		} else {
			neigh_remove(c, n);
			return;
		}
		break;
	case N_REACHABLE:
		/* In use: make sure it is still there without a gap in
		 * service, as the kernel's STALE/PROBE. Idle: forget it. */
		if (n->used) {
			neigh_ask(c, n, N_PROBE);
			n->used = false;
			return;
		}
		neigh_remove(c, n);
		return;
	default:
		neigh_remove(c, n);
		return;
	}
rearm:
	due(c, n->deadline);
}

bool ctrl_ip4_bcast(const struct hsk_ctrl *c, struct in_addr a)
{
	return a.s_addr == 0xffffffffu || a.s_addr == c->bcast4;
}

void ctrl_mc_mac4(struct in_addr group, uint8_t mac[6])
{
	uint32_t a = ntohl(group.s_addr);

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(a >> 16 & 0x7f);
	mac[4] = (uint8_t)(a >> 8);
	mac[5] = (uint8_t)a;
}

/* The MAC of a multicast or broadcast destination; false for unicast. */
static bool group_mac(const struct hsk_ctrl *c, int family,
		      const union hsk_net_addr *dst, uint8_t mac[6])
{
	if (family == AF_INET6) {
		if (!ip6_is_mc(&dst->v6))
			return false;
		mac[0] = mac[1] = 0x33;
		memcpy(mac + 2, &dst->v6.s6_addr[12], 4);
		return true;
	}
	if (ip4_is_mc(dst->v4)) {
		ctrl_mc_mac4(dst->v4, mac);
		return true;
	}
	if (!ctrl_ip4_bcast(c, dst->v4))
		return false;
	memset(mac, 0xff, 6);
	return true;
}

static bool on_link(const struct hsk_ctrl *c, int family,
		    const union hsk_net_addr *dst)
{
	uint64_t a[2], ours[2];

	if (family == AF_INET)
		return !((dst->v4.s_addr ^ c->cfg.ip4.s_addr) & c->mask4);
	if (ip6_is_ll(&dst->v6))
		return true;
	memcpy(a, &dst->v6, sizeof(a));
	memcpy(ours, &c->cfg.ip6, sizeof(ours));
	return !((a[0] ^ ours[0]) & c->mask6[0]) &&
	       !((a[1] ^ ours[1]) & c->mask6[1]);
}

int hsk_ctrl_next_hop(struct hsk_ctrl *c, int family,
		      const union hsk_net_addr *dst, uint8_t mac[6],
		      const void *frame, size_t len, uint64_t now_ns)
{
	static const uint8_t unspec[16];
	union hsk_net_addr hop;
	struct ctrl_neigh *n;

	c->now = now_ns;
	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!ctrl_has(c, family)) {
		errno = ENETUNREACH;
		return -1;
	}
	if (group_mac(c, family, dst, mac))
		return 0;
	if (on_link(c, family, dst)) {
		hop = *dst;
	} else {
		const void *gw = family == AF_INET ? (const void *)&c->cfg.gw4 :
						     (const void *)&c->cfg.gw6;

		if (!memcmp(gw, unspec, hsk_net_addr_len(family))) {
			errno = EHOSTUNREACH;
			return -1;
		}
		memcpy(&hop, gw, hsk_net_addr_len(family));
	}

	n = ctrl_neigh_find(c, family, &hop);
	if (n && (n->state == N_REACHABLE || n->state == N_PROBE)) {
		n->used = true;
		memcpy(mac, n->mac, 6);
		return 0;
	}
	if (n && n->state == N_FAILED) {
		errno = EHOSTUNREACH;
		return -1;
	}
	if (!n) {
		n = neigh_alloc(c, family, &hop);
		if (!n) {
			errno = ENOBUFS;
			return -1;
		}
		neigh_ask(c, n, N_INCOMPLETE);
	}
	if (frame && held_add(c, n, frame, len))
		return -1;
	return 1;
}

/* --- received frames --- */

static int parse_ip4(const uint8_t *ip, size_t room, struct ctrl_pkt *p)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (room < HSK_IP4_HLEN)
		return -1;
	ihl = (ip[0] & 0xfu) * 4;
	if (ip[0] >> 4 != 4 || ihl < HSK_IP4_HLEN || ihl > room)
		return -1;
	tot = rd16(ip + 2);
	if (tot < ihl || tot > room)
		return -1;
	if (hsk_csum_fold(hsk_csum_add(0, ip, ihl)))
		return -1;
	frag = rd16(ip + 6);
	p->family = AF_INET;
	p->tos = ip[1];
	p->ttl = ip[8];
	p->proto = ip[9];
	p->frag = frag & 0x3fff;
	p->frag_tail = frag & 0x1fff;
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	memcpy(&p->src.v4, ip + 12, 4);
	memcpy(&p->dst.v4, ip + 16, 4);
	p->l3_len = tot;
	p->l4 = ip + ihl;
	p->l4_len = tot - ihl;
	return 1;
}

/* Skips a hop-by-hop header (MLD queries carry one); others are passed. */
static int parse_ip6(const uint8_t *ip, size_t room, struct ctrl_pkt *p)
{
	uint32_t end, off = HSK_IP6_HLEN;
	uint8_t next;

	if (room < HSK_IP6_HLEN || ip[0] >> 4 != 6)
		return -1;
	end = HSK_IP6_HLEN + rd16(ip + 4);
	if (end > room)
		return -1;
	next = ip[6];
	if (next == IPPROTO_HOPOPTS_) {
		if (end - off < 8 || end - off < (ip[off + 1] + 1u) * 8)
			return -1;
		next = ip[off];
		off += (ip[off + 1] + 1u) * 8;
	}
	p->family = AF_INET6;
	p->tos = (uint8_t)(rd16(ip) >> 4);
	p->ttl = ip[7];
	p->proto = next;
	p->frag = p->frag_tail = false;
	memcpy(&p->src.v6, ip + 8, 16);
	memcpy(&p->dst.v6, ip + 24, 16);
	p->l3_len = end;
	p->l4 = ip + off;
	p->l4_len = end - off;
	return 1;
}

/* An untagged IP frame: 1 and @p filled, 0 not IP, -1 malformed. */
static int parse_ip(const uint8_t *f, size_t len, struct ctrl_pkt *p)
{
	uint16_t type;
	int r;

	if (len < HSK_ETH_HLEN)
		return -1;
	type = rd16(f + 12);
	p->eth = f;
	p->l3 = f + HSK_ETH_HLEN;
	if (type == ETH_P_IPV4_)
		r = parse_ip4(p->l3, len - HSK_ETH_HLEN, p);
	else if (type == ETH_P_IPV6_)
		r = parse_ip6(p->l3, len - HSK_ETH_HLEN, p);
	else
		return 0;
	return r;
}

enum hsk_ctrl_verdict hsk_ctrl_input(struct hsk_ctrl *c, const void *frame,
				     size_t len, uint64_t now_ns)
{
	const uint8_t *f = frame;
	enum hsk_ctrl_verdict v = HSK_CTRL_PASS;
	struct ctrl_pkt p;
	int r;

	c->now = now_ns;
	if (len >= HSK_ETH_HLEN && rd16(f + 12) == ETH_P_ARP_)
		return ctrl_has(c, AF_INET) ? ctrl_arp_input(c, f, len) :
					      HSK_CTRL_PASS;
	r = parse_ip(f, len, &p);
	if (r < 0) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	if (!r || p.frag || !ctrl_has(c, p.family))
		return HSK_CTRL_PASS;
	if (p.family == AF_INET && p.proto == IPPROTO_ICMP_)
		v = ctrl_icmp4_input(c, &p);
	else if (p.family == AF_INET && p.proto == IPPROTO_IGMP_)
		v = ctrl_igmp_input(c, &p);
	else if (p.family == AF_INET6 && p.proto == IPPROTO_ICMPV6_)
		v = ctrl_icmp6_input(c, &p);
	return v;
}

void hsk_ctrl_port_unreachable(struct hsk_ctrl *c, const void *frame,
			       size_t len)
{
	const uint8_t *f = frame;
	struct ctrl_pkt p;

	/* Never for a frame sent to a group: a storm of answers */
	if (parse_ip(f, len, &p) <= 0 || mac_is_group(f) ||
	    p.proto != IPPROTO_UDP_ || !ctrl_has(c, p.family))
		return;
	if (p.family == AF_INET)
		ctrl_unreach4(c, &p);
	else
		ctrl_unreach6(c, &p);
}

/* --- membership --- */

static bool group_valid(int family, const union hsk_net_addr *g)
{
	if (family == AF_INET)
		return ip4_is_mc(g->v4);
	return family == AF_INET6 && ip6_is_mc(&g->v6);
}

/*
 * Whether a group is reported: not the all-hosts groups, which everybody
 * is in (RFC 3376 5, RFC 3810 6), nor scopes that stay in the host.
 */
static bool group_reported(const struct ctrl_group *g)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

	if (g->family == AF_INET)
		return ntohl(g->addr.v4.s_addr) != 0xe0000001u;
	return memcmp(&g->addr.v6, all_nodes, 16) &&
	       (g->addr.v6.s6_addr[1] & 0xf) > 1;
}

static struct ctrl_group *group_find(const struct hsk_ctrl *c, int family,
				     const union hsk_net_addr *g)
{
	for (unsigned int i = 0; i < c->ngroups; i++) {
		const struct ctrl_group *e = &c->groups[i];

		if (e->family == family && hsk_net_addr_eq(family, &e->addr, g))
			return (struct ctrl_group *)e;
	}
	return NULL;
}

/* A group kept after its last leave only to repeat that leave is none. */
static struct ctrl_group *member(const struct hsk_ctrl *c, int family,
				 const union hsk_net_addr *g)
{
	struct ctrl_group *e = group_find(c, family, g);

	return e && e->refs ? e : NULL;
}

static struct ctrl_group *group_add(struct hsk_ctrl *c, int family,
				    const union hsk_net_addr *addr)
{
	struct ctrl_group *g = group_find(c, family, addr);

	if (g) {
		g->refs++;
		return g;
	}
	if (c->ngroups == CTRL_MAX_GROUPS)
		return NULL;
	g = &c->groups[c->ngroups++];
	memset(&g->addr, 0, sizeof(g->addr));
	memcpy(&g->addr, addr, hsk_net_addr_len(family));
	g->family = (uint8_t)family;
	g->refs = 1;
	g->due = CTRL_NEVER;
	g->change_due = CTRL_NEVER;
	return g;
}

size_t ctrl_report_len(int family, unsigned int n)
{
	return 8 + (4 + hsk_net_addr_len(family)) * n;
}

void ctrl_report_body(uint8_t *m, uint8_t type, uint8_t rec_type,
		      const struct ctrl_group *const *groups, unsigned int n)
{
	size_t a = hsk_net_addr_len(groups[0]->family);

	m[0] = type;
	m[1] = 0;
	wr16(m + 4, 0);
	wr16(m + 6, (uint16_t)n);
	m += 8;
	for (unsigned int i = 0; i < n; i++, m += 4 + a) {
		m[0] = rec_type;
		m[1] = 0;	/* no auxiliary data */
		wr16(m + 2, 0); /* any source */
		memcpy(m + 4, &groups[i]->addr, a);
	}
}

void ctrl_report(struct hsk_ctrl *c, int family, uint8_t rec_type,
		 const struct ctrl_group *only)
{
	const struct ctrl_group *list[CTRL_MAX_GROUPS];
	size_t room = c->tx_cap -
		      (family == AF_INET ? CTRL_IGMP_HDRS : CTRL_MLD_HDRS);
	unsigned int n = 0, per;

	if (!ctrl_has(c, family))
		return;
	for (unsigned int i = 0; i < c->ngroups; i++) {
		const struct ctrl_group *g = &c->groups[i];

		if (g->family == family && (only ? g == only : g->refs > 0) &&
		    group_reported(g))
			list[n++] = g;
	}
	/* an older querier on the link: speak its version, group by group */
	if (family == AF_INET &&
	    (c->now < c->igmp_v1_until || c->now < c->igmp_v2_until)) {
		for (unsigned int i = 0; i < n; i++)
			ctrl_igmp_old(c, c->now < c->igmp_v1_until ? 1 : 2,
				      rec_type, list[i]);
		return;
	}
	if (family == AF_INET6 && c->now < c->mld_v1_until) {
		for (unsigned int i = 0; i < n; i++)
			ctrl_mld_v1(c, rec_type, list[i]);
		return;
	}
	/* as many records as fit in one packet, in as many as it takes */
	per = (unsigned int)((room - ctrl_report_len(family, 0)) /
			     (ctrl_report_len(family, 1) -
			      ctrl_report_len(family, 0)));
	for (unsigned int i = 0; i < n; i += per) {
		unsigned int k = n - i < per ? n - i : per;

		if (family == AF_INET)
			ctrl_igmp_send(c, rec_type, list + i, k);
		else
			ctrl_mld_send(c, rec_type, list + i, k);
	}
}

void ctrl_query(struct hsk_ctrl *c, int family, const union hsk_net_addr *group,
		uint64_t max_ns)
{
	uint64_t t = c->now + ctrl_random_delay(c, max_ns);
	struct ctrl_group *g;

	if (!group) {
		uint64_t *gd = &c->general_due[family == AF_INET6];

		if (t < *gd)
			*gd = t;
		due(c, t);
		return;
	}
	g = member(c, family, group);
	if (!g)
		return;
	if (t < g->due)
		g->due = t;
	due(c, t);
}

/* Reports a change of membership now, and once more soon after. */
static void state_change(struct hsk_ctrl *c, struct ctrl_group *g,
			 uint8_t rec_type)
{
	ctrl_report(c, g->family, rec_type, g);
	g->change_type = rec_type;
	g->change_due =
		c->now + 1 + ctrl_random_delay(c, UNSOLICITED_REPORT_NS - 1);
	due(c, g->change_due);
}

int hsk_ctrl_join(struct hsk_ctrl *c, int family,
		  const union hsk_net_addr *group, uint64_t now_ns)
{
	struct ctrl_group *g;

	c->now = now_ns;
	if (!group_valid(family, group)) {
		errno = EINVAL;
		return -1;
	}
	g = group_add(c, family, group);
	if (!g) {
		errno = ENOBUFS;
		return -1;
	}
	if (g->refs == 1)
		state_change(c, g, REC_TO_EXCLUDE);
	return 0;
}

int hsk_ctrl_leave(struct hsk_ctrl *c, int family,
		   const union hsk_net_addr *group, uint64_t now_ns)
{
	struct ctrl_group *g;

	c->now = now_ns;
	if (!group_valid(family, group)) {
		errno = EINVAL;
		return -1;
	}
	g = member(c, family, group);
	if (!g) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	if (--g->refs)
		return 0;
	g->due = CTRL_NEVER;
	state_change(c, g, REC_TO_INCLUDE);
	return 0;
}

bool hsk_ctrl_is_member(const struct hsk_ctrl *c, int family,
			const union hsk_net_addr *group)
{
	return member(c, family, group) != NULL;
}

size_t hsk_ctrl_group_macs(const struct hsk_ctrl *c, uint8_t (*macs)[6],
			   size_t max)
{
	static const uint8_t all_hosts[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x01 };
	static const uint8_t all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
	uint8_t all[CTRL_MAX_GROUPS + 2][6];
	size_t k = 0, n = 0;

	if (ctrl_has(c, AF_INET))
		memcpy(all[k++], all_hosts, 6);
	if (ctrl_has(c, AF_INET6))
		memcpy(all[k++], all_nodes, 6);
	for (unsigned int i = 0; i < c->ngroups; i++)
		if (c->groups[i].refs)
			group_mac(c, c->groups[i].family, &c->groups[i].addr,
				  all[k++]);
	/* groups that share a MAC (32 IPv4 groups do) are one filter */
	for (size_t i = 0; i < k; i++) {
		size_t j = 0;

		while (j < i && memcmp(all[j], all[i], 6))
			j++;
		if (j < i)
			continue;
		if (n < max)
			memcpy(macs[n], all[i], 6);
		n++;
	}
	return n;
}

static void group_timers(struct hsk_ctrl *c)
{
	for (int v6 = 0; v6 < 2; v6++) {
		int family = v6 ? AF_INET6 : AF_INET;

		if (c->general_due[v6] > c->now) {
			due(c, c->general_due[v6]);
			continue;
		}
		c->general_due[v6] = CTRL_NEVER;
		ctrl_report(c, family, REC_IS_EXCLUDE, NULL);
		/* that answered the pending group queries too */
		for (unsigned int i = 0; i < c->ngroups; i++)
			if (c->groups[i].family == family)
				c->groups[i].due = CTRL_NEVER;
	}
	for (unsigned int i = 0; i < c->ngroups; i++) {
		struct ctrl_group *g = &c->groups[i];

		if (g->change_due <= c->now) {
			g->change_due = CTRL_NEVER;
			ctrl_report(c, g->family, g->change_type, g);
			if (!g->refs) {
				/* the leave is said twice: forget it */
				*g = c->groups[--c->ngroups];
				i--;
				continue;
			}
		}
		due(c, g->change_due);
		if (g->due > c->now) {
			due(c, g->due);
			continue;
		}
		g->due = CTRL_NEVER;
		ctrl_report(c, g->family, REC_IS_EXCLUDE, g);
	}
}

void hsk_ctrl_tick(struct hsk_ctrl *c, uint64_t now_ns)
{
	c->now = now_ns;
	if (now_ns < c->next_due)
		return;
	c->next_due = CTRL_NEVER;
	for (uint32_t i = 0; i < c->cfg.max_neigh; i++)
		if (c->neigh[i].state != N_FREE)
			neigh_timer(c, &c->neigh[i]);
	group_timers(c);
}

/* --- life --- */

void hsk_ctrl_announce(struct hsk_ctrl *c, uint64_t now_ns)
{
	c->now = now_ns;
	if (ctrl_has(c, AF_INET))
		ctrl_arp_announce(c);
	if (ctrl_has(c, AF_INET6))
		ctrl_nd_announce(c);
	ctrl_report(c, AF_INET, REC_TO_EXCLUDE, NULL);
	ctrl_report(c, AF_INET6, REC_TO_EXCLUDE, NULL);
}

/* fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 2.5.1) */
static void link_local(const uint8_t mac[6], struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0x80;
	a->s6_addr[8] = mac[0] ^ 0x02;
	a->s6_addr[9] = mac[1];
	a->s6_addr[10] = mac[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	a->s6_addr[13] = mac[3];
	a->s6_addr[14] = mac[4];
	a->s6_addr[15] = mac[5];
}

/* The prefixes as masks, in network order, and the subnet's broadcast. */
static void masks(struct hsk_ctrl *c)
{
	uint8_t m6[16] = { 0 };

	c->mask4 = htonl(c->cfg.prefix4 ? ~0u << (32 - c->cfg.prefix4) : 0);
	/* /31 and /32 have no broadcast address (RFC 3021) */
	c->bcast4 = c->cfg.prefix4 < 31 ? c->cfg.ip4.s_addr | ~c->mask4 :
					  0xffffffffu;
	for (unsigned int i = 0; i < c->cfg.prefix6; i++)
		m6[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	memcpy(c->mask6, m6, sizeof(m6));
}

static int ctrl_alloc(struct hsk_ctrl *c)
{
	uint32_t nb = 1;

	while (nb < c->cfg.max_neigh)
		nb <<= 1;
	c->bucket_mask = nb - 1;
	c->bucket = malloc(nb * sizeof(*c->bucket));
	c->neigh = calloc(c->cfg.max_neigh, sizeof(*c->neigh));
	c->held = calloc(c->cfg.max_held, sizeof(*c->held));
	c->held_buf = malloc(c->cfg.max_held * c->held_slot);
	if (!c->bucket || !c->neigh || !c->held || !c->held_buf)
		return -1;
	memset(c->bucket, 0xff, nb * sizeof(*c->bucket));
	for (uint32_t i = 0; i < c->cfg.max_neigh; i++)
		c->neigh[i].next = i + 1 < c->cfg.max_neigh ? i + 1 : CTRL_NONE;
	for (uint32_t i = 0; i < c->cfg.max_held; i++)
		c->held[i].next = i + 1 < c->cfg.max_held ? i + 1 : CTRL_NONE;
	return 0;
}

struct hsk_ctrl *hsk_ctrl_new(const struct hsk_ctrl_cfg *cfg)
{
	struct hsk_ctrl_cfg k;
	struct hsk_ctrl *c;

	if (!cfg || !cfg->xmit || cfg->prefix4 > 32 || cfg->prefix6 > 128 ||
	    cfg->max_neigh > MAX_BOUND || cfg->max_held > MAX_BOUND)
		goto inval;
	k = *cfg;
	k.mtu = k.mtu ? k.mtu : 1500;
	k.max_neigh = k.max_neigh ? k.max_neigh : 256;
	k.max_held = k.max_held ? k.max_held : 64;
	k.neigh_ttl_ns = k.neigh_ttl_ns ? k.neigh_ttl_ns : 30 * NS_PER_S;
	k.resolve_wait_ns = k.resolve_wait_ns ? k.resolve_wait_ns : NS_PER_S;
	/* what IPv4 (RFC 791) and IPv6 (RFC 8200) promise to carry */
	if (k.mtu < 576 || (k.prefix6 && k.mtu < 1280))
		goto inval;

	c = calloc(1, sizeof(*c) + HSK_ETH_HLEN + k.mtu);
	if (!c)
		return NULL;
	c->cfg = k;
	c->tx_cap = HSK_ETH_HLEN + k.mtu;
	/* the frames a backend builds may carry a VLAN tag */
	c->held_slot = HSK_ETH_HLEN + HSK_VLAN_HLEN + k.mtu;
	c->neigh_free = 0;
	c->held_free = 0;
	c->next_due = CTRL_NEVER;
	c->general_due[0] = c->general_due[1] = CTRL_NEVER;
	c->icmp_tokens = ICMP_ERR_BURST;
	c->rnd = 0x9e3779b9u;
	for (int i = 0; i < 6; i++)
		c->rnd = (c->rnd ^ k.mac[i]) * 0x01000193u;
	c->rnd |= 1;
	link_local(k.mac, &c->ll6);
	masks(c);
	if (ctrl_alloc(c)) {
		hsk_ctrl_free(c);
		errno = ENOMEM;
		return NULL;
	}
	if (k.prefix6) {
		union hsk_net_addr sn;

		/* a host listens to the solicited-node groups of its
		 * addresses (RFC 4861 7.2.1); announce reports them */
		ctrl_solicited_node(&k.ip6, &sn.v6);
		group_add(c, AF_INET6, &sn);
		ctrl_solicited_node(&c->ll6, &sn.v6);
		group_add(c, AF_INET6, &sn);
	}
	return c;
inval:
	errno = EINVAL;
	return NULL;
}

void hsk_ctrl_free(struct hsk_ctrl *c)
{
	if (!c)
		return;
	free(c->bucket);
	free(c->neigh);
	free(c->held);
	free(c->held_buf);
	free(c);
}

void hsk_ctrl_stats(const struct hsk_ctrl *c, struct hsk_ctrl_stats *out)
{
	*out = c->st;
}
