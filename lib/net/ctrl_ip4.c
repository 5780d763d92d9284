// SPDX-License-Identifier: BSD-3-Clause
/*
 * IPv4's control protocols: ARP (RFC 826, announcements as RFC 5227),
 * ICMP echo and port unreachable (RFC 792, RFC 1122, RFC 1812 4.3.2),
 * IGMPv3 (RFC 3376). What is sent is shaped as the Linux kernel shapes it.
 */
#include <sys/socket.h>

#include "ctrl_priv.h"

#define ARP_LEN 28u
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_PORT_UNREACH 3
#define ICMP_ECHO 8
#define IGMP_QUERY 0x11
#define IGMP_V1_REPORT 0x12
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE 0x17
#define IGMP_V3_REPORT 0x22
#define IGMP_OLD_LEN 8u
/* ICMP errors quote what fits in the 576 bytes every host takes */
#define ICMP_ERR_MAX 576u
/* Internetwork control precedence, as the kernel's ICMP errors and IGMP */
#define TOS_CONTROL 0xc0
#define NS_PER_DS (NS_PER_S / 10) /* IGMP's unit: a tenth of a second */

/* Router Alert (RFC 2113), which IGMPv3 reports carry */
static const uint8_t igmp_ra[CTRL_IGMP_HDRS - HSK_ETH_HLEN - HSK_IP4_HLEN] = {
	0x94, 0x04, 0, 0
};
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The internet checksum of ICMP and IGMP: over the message alone. */
static void inet_csum(uint8_t *m, size_t len)
{
	uint16_t sum;

	m[2] = m[3] = 0;
	sum = hsk_csum_fold(hsk_csum_add(0, m, len));
	memcpy(m + 2, &sum, 2);
}

/* An IPv4 header with @opt at @ip, for @len bytes after it. */
static uint8_t *ip4_hdr(struct hsk_ctrl *c, uint8_t *ip, struct in_addr dst,
			uint8_t proto, uint8_t ttl, uint8_t tos,
			const uint8_t *opt, size_t optlen, size_t len, bool df)
{
	size_t ihl = HSK_IP4_HLEN + optlen;
	uint16_t sum;

	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = tos;
	wr16(ip + 2, (uint16_t)(ihl + len));
	/* an atomic datagram needs no identification (RFC 6864) */
	wr16(ip + 4, df ? 0 : c->ip_id++);
	wr16(ip + 6, df ? 0x4000 : 0);
	ip[8] = ttl;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &c->cfg.ip4, 4);
	memcpy(ip + 16, &dst, 4);
	if (optlen)
		memcpy(ip + HSK_IP4_HLEN, opt, optlen);
	sum = hsk_csum_fold(hsk_csum_add(0, ip, ihl));
	memcpy(ip + 10, &sum, 2);
	return ip + ihl;
}

/* A source an answer can go back to. */
static bool unicast_src(const struct hsk_ctrl *c, struct in_addr a)
{
	uint8_t first = ((const uint8_t *)&a)[0];

	return a.s_addr && first != 127 && !ip4_is_mc(a) &&
	       !ctrl_ip4_bcast(c, a);
}

static void arp_send(struct hsk_ctrl *c, uint16_t op, const uint8_t *eth_dst,
		     const uint8_t *tha, struct in_addr tpa)
{
	static const uint8_t zero[6];
	uint8_t *a = ctrl_eth(c, eth_dst, ETH_P_ARP_);

	wr16(a, 1); /* Ethernet */
	wr16(a + 2, ETH_P_IPV4_);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, c->cfg.mac, 6);
	memcpy(a + 14, &c->cfg.ip4, 4);
	memcpy(a + 18, tha ? tha : zero, 6);
	memcpy(a + 24, &tpa, 4);
	ctrl_send(c, HSK_ETH_HLEN + ARP_LEN, &c->st.arp_out);
}

void ctrl_arp_request(struct hsk_ctrl *c, struct in_addr target,
		      const uint8_t *dst_mac)
{
	arp_send(c, ARP_REQUEST, dst_mac ? dst_mac : bcast_mac, NULL, target);
}

void ctrl_arp_announce(struct hsk_ctrl *c)
{
	arp_send(c, ARP_REQUEST, bcast_mac, NULL, c->cfg.ip4);
}

enum hsk_ctrl_verdict ctrl_arp_input(struct hsk_ctrl *c, const uint8_t *eth,
				     size_t len)
{
	const uint8_t *a = eth + HSK_ETH_HLEN, *sha = a + 8;
	union hsk_net_addr spa;
	struct in_addr tpa;
	bool for_us;
	uint16_t op;

	if (len < HSK_ETH_HLEN + ARP_LEN || rd16(a) != 1 ||
	    rd16(a + 2) != ETH_P_IPV4_ || a[4] != 6 || a[5] != 4) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	op = rd16(a + 6);
	/* a bogus sender, or our own frame seen again */
	if ((op != ARP_REQUEST && op != ARP_REPLY) || mac_is_group(sha) ||
	    !memcmp(sha, c->cfg.mac, 6))
		return HSK_CTRL_DROP;
	c->st.arp_in++;
	memset(&spa, 0, sizeof(spa));
	memcpy(&spa.v4, a + 14, 4);
	memcpy(&tpa, a + 24, 4);
	for_us = tpa.s_addr == c->cfg.ip4.s_addr;
	/*
	 * RFC 826's merge: whoever we know is updated by what it says; a
	 * new neighbour is added only when it talks to us. A probe's
	 * sender 0.0.0.0 (RFC 5227) teaches nothing but is answered.
	 */
	if (spa.v4.s_addr != c->cfg.ip4.s_addr && unicast_src(c, spa.v4))
		ctrl_neigh_learn(c, AF_INET, &spa, sha, for_us, true);
	if (op == ARP_REQUEST && for_us)
		arp_send(c, ARP_REPLY, sha, sha, spa.v4);
	return HSK_CTRL_CONSUMED;
}

enum hsk_ctrl_verdict ctrl_icmp4_input(struct hsk_ctrl *c,
				       const struct ctrl_pkt *p)
{
	const uint8_t *m = p->l4;
	size_t len = p->l4_len;
	uint8_t *r;

	if (len < 8 || hsk_csum_fold(hsk_csum_add(0, m, len))) {
		c->st.malformed++;
		return HSK_CTRL_DROP;
	}
	if (m[0] != ICMP_ECHO)
		return HSK_CTRL_PASS;
	if (p->dst.v4.s_addr != c->cfg.ip4.s_addr)
		/* pings to a group are ignored, as the kernel's default
		 * icmp_echo_ignore_broadcasts does */
		return ip4_is_mc(p->dst.v4) || ctrl_ip4_bcast(c, p->dst.v4) ?
			       HSK_CTRL_CONSUMED :
			       HSK_CTRL_DROP;
	if (!unicast_src(c, p->src.v4) ||
	    HSK_ETH_HLEN + HSK_IP4_HLEN + len > c->tx_cap)
		return HSK_CTRL_DROP;
	r = ctrl_eth(c, p->eth + 6, ETH_P_IPV4_);
	r = ip4_hdr(c, r, p->src.v4, IPPROTO_ICMP_, CTRL_TTL, p->tos, NULL, 0,
		    len, false);
	memcpy(r, m, len);
	r[0] = ICMP_ECHO_REPLY;
	inet_csum(r, len);
	ctrl_send(c, HSK_ETH_HLEN + HSK_IP4_HLEN + len, &c->st.echo_replies);
	return HSK_CTRL_CONSUMED;
}

void ctrl_unreach4(struct hsk_ctrl *c, const struct ctrl_pkt *p)
{
	const size_t hdrs = HSK_ETH_HLEN + HSK_IP4_HLEN + 8;
	size_t quote = p->l3_len;
	uint8_t *r;

	/* only the first fragment tells the port (RFC 1812 4.3.2.7) */
	if (p->dst.v4.s_addr != c->cfg.ip4.s_addr || p->frag_tail ||
	    !unicast_src(c, p->src.v4) || !ctrl_icmp_error_allowed(c))
		return;
	if (quote > ICMP_ERR_MAX - HSK_IP4_HLEN - 8)
		quote = ICMP_ERR_MAX - HSK_IP4_HLEN - 8;
	if (quote > c->tx_cap - hdrs)
		quote = c->tx_cap - hdrs;
	r = ctrl_eth(c, p->eth + 6, ETH_P_IPV4_);
	r = ip4_hdr(c, r, p->src.v4, IPPROTO_ICMP_, CTRL_TTL,
		    TOS_CONTROL | (p->tos & 0x1e), NULL, 0, 8 + quote, false);
	r[0] = ICMP_UNREACH;
	r[1] = ICMP_PORT_UNREACH;
	memset(r + 4, 0, 4);
	memcpy(r + 8, p->l3, quote);
	inet_csum(r, 8 + quote);
	ctrl_send(c, hdrs + quote, &c->st.unreachables_sent);
}

/* IGMPv3's Max Resp Code (RFC 3376 4.1.1), in tenths of a second. */
static uint32_t igmp_max_resp(uint8_t code)
{
	if (code < 128)
		return code;
	return (uint32_t)((code & 0xf) | 0x10) << (((code >> 4) & 7) + 3);
}

enum hsk_ctrl_verdict ctrl_igmp_input(struct hsk_ctrl *c,
				      const struct ctrl_pkt *p)
{
	const uint8_t *m = p->l4;
	size_t len = p->l4_len;
	union hsk_net_addr group;
	uint32_t max_ds;

	if (len < 8 || hsk_csum_fold(hsk_csum_add(0, m, len)))
		goto malformed;
	if (!ip4_is_mc(p->dst.v4) && p->dst.v4.s_addr != c->cfg.ip4.s_addr)
		return HSK_CTRL_DROP;
	/* others' reports: IGMPv3 hosts do not suppress their own */
	if (m[0] != IGMP_QUERY)
		return HSK_CTRL_CONSUMED;
	if (len == 8) {
		/* IGMPv1 (no time: 10 s) and IGMPv2 queries: from now on,
		 * speak the querier's version (RFC 3376 7.2.1) */
		max_ds = m[1] ? m[1] : 100;
		*(m[1] ? &c->igmp_v2_until : &c->igmp_v1_until) =
			c->now + CTRL_OLDER_QUERIER_NS;
	} else if (len >= 12 && len >= 12 + 4u * rd16(m + 10)) {
		max_ds = igmp_max_resp(m[1]);
	} else {
		goto malformed;
	}
	memset(&group, 0, sizeof(group));
	memcpy(&group.v4, m + 4, 4);
	ctrl_query(c, AF_INET, group.v4.s_addr ? &group : NULL,
		   max_ds * NS_PER_DS);
	return HSK_CTRL_CONSUMED;
malformed:
	c->st.malformed++;
	return HSK_CTRL_DROP;
}

void ctrl_igmp_send(struct hsk_ctrl *c, uint8_t rec_type,
		    const struct ctrl_group *const *groups, unsigned int n)
{
	static const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x16 };
	struct in_addr dst = { htonl(0xe0000016u) }; /* 224.0.0.22 */
	size_t len = ctrl_report_len(AF_INET, n);
	uint8_t *m = ctrl_eth(c, mac, ETH_P_IPV4_);

	m = ip4_hdr(c, m, dst, IPPROTO_IGMP_, 1, TOS_CONTROL, igmp_ra,
		    sizeof(igmp_ra), len, true);
	ctrl_report_body(m, IGMP_V3_REPORT, rec_type, groups, n);
	inet_csum(m, len);
	ctrl_send(c, CTRL_IGMP_HDRS + len, &c->st.igmp_out);
}

void ctrl_igmp_old(struct hsk_ctrl *c, int version, uint8_t rec_type,
		   const struct ctrl_group *g)
{
	struct in_addr dst = g->addr.v4;
	uint8_t type = version == 1 ? IGMP_V1_REPORT : IGMP_V2_REPORT;
	uint8_t mac[6], *m;

	if (rec_type == REC_TO_INCLUDE) {
		if (version == 1)
			return; /* IGMPv1 has no leave */
		type = IGMP_V2_LEAVE;
		dst.s_addr = htonl(0xe0000002u); /* all routers */
	}
	/* a report goes to its group (RFC 2236 3) */
	ctrl_mc_mac4(dst, mac);
	m = ctrl_eth(c, mac, ETH_P_IPV4_);
	m = ip4_hdr(c, m, dst, IPPROTO_IGMP_, 1, TOS_CONTROL, igmp_ra,
		    sizeof(igmp_ra), IGMP_OLD_LEN, true);
	m[0] = type;
	m[1] = 0;
	memcpy(m + 4, &g->addr.v4, 4);
	inet_csum(m, IGMP_OLD_LEN);
	ctrl_send(c, CTRL_IGMP_HDRS + IGMP_OLD_LEN, &c->st.igmp_out);
}
