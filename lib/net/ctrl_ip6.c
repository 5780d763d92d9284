// SPDX-License-Identifier: BSD-3-Clause
/*
 * IPv6's control protocols, all ICMPv6: neighbour discovery (RFC 4861),
 * echo and port unreachable (RFC 4443), MLDv2 (RFC 3810). What is sent is
 * shaped as the Linux kernel shapes it.
 */
#include <sys/socket.h>

#include "ctrl_priv.h"

#define ICMP6_UNREACH 1
#define ICMP6_PORT_UNREACH 4
#define ICMP6_ECHO 128
#define ICMP6_ECHO_REPLY 129
#define MLD_QUERY 130
#define MLD_V1_REPORT 131
#define MLD_V1_DONE 132
#define ND_NS 135
#define ND_NA 136
#define MLD_V2_REPORT 143
#define MLD_V1_LEN 24u
#define ND_LEN 24u    /* NS and NA without options */
#define ND_OPT_LEN 8u /* a link-layer address option for Ethernet */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_SOLICITED 0x40
#define NA_OVERRIDE 0x20
/* ND's proof that it was not forwarded (RFC 4861 7.1) */
#define ND_HOP_LIMIT 255
/* ICMPv6 errors fit in the minimum MTU (RFC 4443 2.4 (c)) */
#define ICMP6_ERR_MAX 1280u

static const struct in6_addr all_nodes = { { { 0xff, 0x02, [15] = 1 } } };

static uint32_t icmp6_sum(const struct in6_addr *src,
			  const struct in6_addr *dst, const uint8_t *m,
			  size_t len)
{
	/* hsk_csum_pseudo() sums UDP's protocol number: make it ICMPv6's */
	static const uint8_t proto[2] = { 0, IPPROTO_ICMPV6_ - IPPROTO_UDP_ };
	union hsk_net_addr s, d;
	uint32_t sum;

	s.v6 = *src;
	d.v6 = *dst;
	sum = hsk_csum_pseudo(AF_INET6, &s, &d, (uint32_t)len);
	sum = hsk_csum_add(sum, proto, sizeof(proto));
	return hsk_csum_add(sum, m, len);
}

static void icmp6_csum(const struct in6_addr *src, const struct in6_addr *dst,
		       uint8_t *m, size_t len)
{
	uint16_t sum;

	m[2] = m[3] = 0;
	sum = hsk_csum_fold(icmp6_sum(src, dst, m, len));
	memcpy(m + 2, &sum, 2);
}

static uint8_t *ip6_hdr(uint8_t *ip, const struct in6_addr *src,
			const struct in6_addr *dst, uint8_t next, uint8_t hlim,
			uint8_t tclass, size_t len)
{
	ip[0] = (uint8_t)(0x60 | tclass >> 4);
	ip[1] = (uint8_t)(tclass << 4);
	ip[2] = ip[3] = 0;
	wr16(ip + 4, (uint16_t)len);
	ip[6] = next;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return ip + HSK_IP6_HLEN;
}

/* The Ethernet group of an IPv6 multicast address (RFC 2464 7). */
static void mc_mac(const struct in6_addr *a, uint8_t mac[6])
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, &a->s6_addr[12], 4);
}

void ctrl_solicited_node(const struct in6_addr *a, struct in6_addr *group)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	memcpy(group->s6_addr, prefix, sizeof(prefix));
	memcpy(&group->s6_addr[13], &a->s6_addr[13], 3);
}

static bool is_solicited_node(const struct in6_addr *a)
{
	struct in6_addr g;

	ctrl_solicited_node(a, &g);
	return !memcmp(&g, a, 16);
}

static bool unicast_src(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return !ip6_is_mc(a) && memcmp(a, &any, 16);
}

/* One link-layer address option for us, of @type, at @o. */
static void nd_opt_lla(const struct hsk_ctrl *c, uint8_t *o, uint8_t type)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, c->cfg.mac, 6);
}

/*
 * Checks ND options (each at least 8 bytes, none past the end) and finds
 * the link-layer address option of @type; -1 when malformed.
 */
static int nd_opts(const uint8_t *o, size_t len, uint8_t type,
		   const uint8_t **lla)
{
	*lla = NULL;
	while (len) {
		size_t olen = (size_t)o[1] * 8;

		if (len < 8 || !olen || olen > len)
			return -1;
		if (o[0] == type && olen == ND_OPT_LEN)
			*lla = o + 2;
		o += olen;
		len -= olen;
	}
	return 0;
}

void ctrl_nd_solicit(struct hsk_ctrl *c, const struct in6_addr *target,
		     const uint8_t *dst_mac)
{
	const struct in6_addr *src = ip6_is_ll(target) ? &c->ll6 : &c->cfg.ip6;
	const size_t len = ND_LEN + ND_OPT_LEN;
	struct in6_addr dst = *target;
	uint8_t mac[6], *m;

	/* a probe asks the neighbour directly, a resolution its group */
	if (!dst_mac) {
		ctrl_solicited_node(target, &dst);
		mc_mac(&dst, mac);
		dst_mac = mac;
	}
	m = ctrl_eth(c, dst_mac, ETH_P_IPV6_);
	m = ip6_hdr(m, src, &dst, IPPROTO_ICMPV6_, ND_HOP_LIMIT, 0, len);
	m[0] = ND_NS;
	m[1] = 0;
	memset(m + 4, 0, 4);
	memcpy(m + 8, target, 16);
	nd_opt_lla(c, m + ND_LEN, ND_OPT_SLLA);
	icmp6_csum(src, &dst, m, len);
	ctrl_send(c, HSK_ETH_HLEN + HSK_IP6_HLEN + len, &c->st.nd_out);
}

static void na_send(struct hsk_ctrl *c, const struct in6_addr *target,
		    const struct in6_addr *dst, const uint8_t *dst_mac,
		    uint8_t flags)
{
	const size_t len = ND_LEN + ND_OPT_LEN;
	uint8_t *m = ctrl_eth(c, dst_mac, ETH_P_IPV6_);

	m = ip6_hdr(m, target, dst, IPPROTO_ICMPV6_, ND_HOP_LIMIT, 0, len);
	m[0] = ND_NA;
	m[1] = 0;
	m[4] = flags;
	m[5] = m[6] = m[7] = 0;
	memcpy(m + 8, target, 16);
	nd_opt_lla(c, m + ND_LEN, ND_OPT_TLLA);
	icmp6_csum(target, dst, m, len);
	ctrl_send(c, HSK_ETH_HLEN + HSK_IP6_HLEN + len, &c->st.nd_out);
}

void ctrl_nd_announce(struct hsk_ctrl *c)
{
	uint8_t mac[6];

	mc_mac(&all_nodes, mac);
	na_send(c, &c->cfg.ip6, &all_nodes, mac, NA_OVERRIDE);
	na_send(c, &c->ll6, &all_nodes, mac, NA_OVERRIDE);
}

/* Checks common to NS and NA (RFC 4861 7.1.1, 7.1.2). */
static int nd_check(const struct ctrl_pkt *p, struct in6_addr *target,
		    uint8_t opt, const uint8_t **lla)
{
	const uint8_t *m = p->l4;

	if (p->ttl != ND_HOP_LIMIT || p->l4_len < ND_LEN || m[1] != 0)
		return -1;
	memcpy(target, m + 8, 16);
	if (ip6_is_mc(target))
		return -1;
	return nd_opts(m + ND_LEN, p->l4_len - ND_LEN, opt, lla);
}

static enum hsk_ctrl_verdict ns_input(struct hsk_ctrl *c,
				      const struct ctrl_pkt *p)
{
	bool dad = !unicast_src(&p->src.v6);
	struct in6_addr target;
	const uint8_t *slla;
	uint8_t mac[6];

	if (nd_check(p, &target, ND_OPT_SLLA, &slla) ||
	    (dad && (ip6_is_mc(&p->src.v6) || slla ||
		     !is_solicited_node(&p->dst.v6)))) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	c->st.nd_in++;
	/* others' resolutions and address checks: nothing to say */
	if (!ctrl_is_ours6(c, &target))
		return HSK_CTRL_CONSUMED;
	if (dad) {
		/* someone checking our address: tell everyone it is taken */
		mc_mac(&all_nodes, mac);
		na_send(c, &target, &all_nodes, mac, NA_OVERRIDE);
		return HSK_CTRL_CONSUMED;
	}
	if (slla) {
		union hsk_net_addr src = { .v6 = p->src.v6 };

		ctrl_neigh_learn(c, AF_INET6, &src, slla, true, true);
	}
	na_send(c, &target, &p->src.v6, slla ? slla : p->eth + 6,
		NA_SOLICITED | NA_OVERRIDE);
	return HSK_CTRL_CONSUMED;
}

static enum hsk_ctrl_verdict na_input(struct hsk_ctrl *c,
				      const struct ctrl_pkt *p)
{
	uint8_t flags = p->l4_len >= ND_LEN ? p->l4[4] : 0;
	union hsk_net_addr target;
	const uint8_t *tlla;

	if (nd_check(p, &target.v6, ND_OPT_TLLA, &tlla) ||
	    (ip6_is_mc(&p->dst.v6) && (flags & NA_SOLICITED))) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	c->st.nd_in++;
	/* an advertisement updates a neighbour, never adds one (7.2.5) */
	if (tlla && !ctrl_is_ours6(c, &target.v6))
		ctrl_neigh_learn(c, AF_INET6, &target, tlla, false,
				 flags & NA_OVERRIDE);
	return HSK_CTRL_CONSUMED;
}

static enum hsk_ctrl_verdict echo_input(struct hsk_ctrl *c,
					const struct ctrl_pkt *p)
{
	const struct in6_addr *from = &p->dst.v6;
	size_t len = p->l4_len;
	uint8_t *m;

	if (ip6_is_mc(&p->dst.v6)) {
		union hsk_net_addr g = { .v6 = p->dst.v6 };

		/* answered, as Linux does by default (echo_ignore_multicast
		 * 0), from our address of the asker's scope */
		if (memcmp(&g.v6, &all_nodes, 16) &&
		    !hsk_ctrl_is_member(c, AF_INET6, &g))
			return HSK_CTRL_CONSUMED;
		from = ip6_is_ll(&p->src.v6) ? &c->ll6 : &c->cfg.ip6;
	} else if (!ctrl_is_ours6(c, &p->dst.v6)) {
		return HSK_CTRL_DROP;
	}
	if (len < 8 || !unicast_src(&p->src.v6) ||
	    HSK_ETH_HLEN + HSK_IP6_HLEN + len > c->tx_cap)
		return HSK_CTRL_DROP;
	m = ctrl_eth(c, p->eth + 6, ETH_P_IPV6_);
	m = ip6_hdr(m, from, &p->src.v6, IPPROTO_ICMPV6_, CTRL_TTL, p->tos,
		    len);
	memcpy(m, p->l4, len);
	m[0] = ICMP6_ECHO_REPLY;
	icmp6_csum(from, &p->src.v6, m, len);
	ctrl_send(c, HSK_ETH_HLEN + HSK_IP6_HLEN + len, &c->st.echo_replies);
	return HSK_CTRL_CONSUMED;
}

/* MLDv2's Maximum Response Code (RFC 3810 5.1.3), in milliseconds. */
static uint32_t mld_max_resp(uint16_t code)
{
	if (code < 32768)
		return code;
	return (uint32_t)((code & 0xfff) | 0x1000) << (((code >> 12) & 7) + 3);
}

static enum hsk_ctrl_verdict query_input(struct hsk_ctrl *c,
					 const struct ctrl_pkt *p)
{
	static const struct in6_addr any;
	const uint8_t *m = p->l4;
	size_t len = p->l4_len;
	union hsk_net_addr group;
	uint32_t max_ms;

	if (len == MLD_V1_LEN) {
		/* MLDv1: speak it from now on (RFC 3810 8.2.1) */
		max_ms = rd16(m + 4);
		c->mld_v1_until = c->now + CTRL_OLDER_QUERIER_NS;
	} else if (len >= 28 && len >= 28 + 16u * rd16(m + 26)) {
		max_ms = mld_max_resp(rd16(m + 4));
	} else {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	/* only a router on this link may ask (RFC 3810 5.1.14) */
	if (!ip6_is_ll(&p->src.v6) || p->ttl != 1)
		return HSK_CTRL_DROP;
	memcpy(&group.v6, m + 8, 16);
	ctrl_query(c, AF_INET6, memcmp(&group.v6, &any, 16) ? &group : NULL,
		   max_ms * NS_PER_MS);
	return HSK_CTRL_CONSUMED;
}

enum hsk_ctrl_verdict ctrl_icmp6_input(struct hsk_ctrl *c,
				       const struct ctrl_pkt *p)
{
	if (p->l4_len < 4 || hsk_csum_fold(icmp6_sum(&p->src.v6, &p->dst.v6,
						     p->l4, p->l4_len))) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	switch (p->l4[0]) {
	case ICMP6_ECHO:
		return echo_input(c, p);
	case ND_NS:
		return ns_input(c, p);
	case ND_NA:
		return na_input(c, p);
	case MLD_QUERY:
		return query_input(c, p);
	case MLD_V1_REPORT:
	case MLD_V1_DONE:
	case MLD_V2_REPORT:
		/* others' reports: MLDv2 hosts do not suppress their own */
		return HSK_CTRL_CONSUMED;
	default:
		return HSK_CTRL_PASS;
	}
}

void ctrl_unreach6(struct hsk_ctrl *c, const struct ctrl_pkt *p)
{
	const size_t hdrs = HSK_ETH_HLEN + HSK_IP6_HLEN + 8;
	size_t quote = p->l3_len;
	uint8_t *m;

	if (!ctrl_is_ours6(c, &p->dst.v6) || !unicast_src(&p->src.v6) ||
	    !ctrl_icmp_error_allowed(c))
		return;
	if (quote > ICMP6_ERR_MAX - HSK_IP6_HLEN - 8)
		quote = ICMP6_ERR_MAX - HSK_IP6_HLEN - 8;
	if (quote > c->tx_cap - hdrs)
		quote = c->tx_cap - hdrs;
	m = ctrl_eth(c, p->eth + 6, ETH_P_IPV6_);
	m = ip6_hdr(m, &p->dst.v6, &p->src.v6, IPPROTO_ICMPV6_, CTRL_TTL, 0,
		    8 + quote);
	m[0] = ICMP6_UNREACH;
	m[1] = ICMP6_PORT_UNREACH;
	memset(m + 4, 0, 4);
	memcpy(m + 8, p->l3, quote);
	icmp6_csum(&p->dst.v6, &p->src.v6, m, 8 + quote);
	ctrl_send(c, hdrs + quote, &c->st.unreachables_sent);
}

/* An MLD packet to @dst of @len bytes: returns where the message goes. */
static uint8_t *mld_begin(struct hsk_ctrl *c, const struct in6_addr *dst,
			  size_t len)
{
	/* hop-by-hop: Router Alert for MLD (RFC 2711), then PadN */
	static const uint8_t hbh[CTRL_MLD_HDRS - HSK_ETH_HLEN - HSK_IP6_HLEN] = {
		IPPROTO_ICMPV6_, 0, 5, 2, 0, 0, 1, 0
	};
	uint8_t mac[6], *m;

	mc_mac(dst, mac);
	m = ctrl_eth(c, mac, ETH_P_IPV6_);
	m = ip6_hdr(m, &c->ll6, dst, IPPROTO_HOPOPTS_, 1, 0, sizeof(hbh) + len);
	memcpy(m, hbh, sizeof(hbh));
	return m + sizeof(hbh);
}

void ctrl_mld_send(struct hsk_ctrl *c, uint8_t rec_type,
		   const struct ctrl_group *const *groups, unsigned int n)
{
	static const struct in6_addr routers = { { { 0xff,
						     0x02, [15] = 0x16 } } };
	size_t len = ctrl_report_len(AF_INET6, n);
	uint8_t *m = mld_begin(c, &routers, len);

	ctrl_report_body(m, MLD_V2_REPORT, rec_type, groups, n);
	icmp6_csum(&c->ll6, &routers, m, len);
	ctrl_send(c, CTRL_MLD_HDRS + len, &c->st.mld_out);
}

void ctrl_mld_v1(struct hsk_ctrl *c, uint8_t rec_type,
		 const struct ctrl_group *g)
{
	static const struct in6_addr routers = { { { 0xff,
						     0x02, [15] = 0x02 } } };
	bool done = rec_type == REC_TO_INCLUDE;
	/* a report goes to its group, a done to the routers (RFC 2710 3) */
	const struct in6_addr *dst = done ? &routers : &g->addr.v6;
	uint8_t *m = mld_begin(c, dst, MLD_V1_LEN);

	m[0] = done ? MLD_V1_DONE : MLD_V1_REPORT;
	m[1] = 0;
	memset(m + 4, 0, 4);
	memcpy(m + 8, &g->addr.v6, 16);
	icmp6_csum(&c->ll6, dst, m, MLD_V1_LEN);
	ctrl_send(c, CTRL_MLD_HDRS + MLD_V1_LEN, &c->st.mld_out);
}
