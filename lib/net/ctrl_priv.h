/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's insides, shared by its files: ctrl.c (frames in,
 * neighbours, held frames, timers, membership), ctrl_ip4.c (ARP, ICMP,
 * IGMP) and ctrl_ip6.c (ND, ICMPv6, MLD).
 */
#ifndef HSK_NET_CTRL_PRIV_H
#define HSK_NET_CTRL_PRIV_H

#include <arpa/inet.h>
#include <string.h>

#include "ctrl.h"

#define ETH_P_ARP_ 0x0806
#define ETH_P_IPV4_ 0x0800
#define ETH_P_IPV6_ 0x86dd
#define IPPROTO_ICMP_ 1
#define IPPROTO_IGMP_ 2
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_HOPOPTS_ 0

/* Tries at resolving a neighbour (RFC 1122's and RFC 4861's three). */
#define CTRL_TRIES 3
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
/* How long an older querier is remembered: robustness 2 times the query
 * interval, 125 s, and a response interval, 10 s (RFC 3376 8.12). */
#define CTRL_OLDER_QUERIER_NS (260 * NS_PER_S)
/* Groups a port can be a member of, of both families together. */
#define CTRL_MAX_GROUPS 64
#define CTRL_NONE UINT32_MAX
#define CTRL_NEVER UINT64_MAX
/* A host's default TTL / hop limit for what it originates. */
#define CTRL_TTL 64

enum ctrl_nstate {
	N_FREE,
	N_INCOMPLETE, /* asking by broadcast / solicited-node multicast */
	N_REACHABLE,
	N_PROBE,  /* aged while in use: asking the known MAC directly */
	N_FAILED, /* did not answer: EHOSTUNREACH until the deadline */
};

struct ctrl_neigh {
	union hsk_net_addr ip;
	/* INCOMPLETE, PROBE: next try; REACHABLE: ageing; FAILED: forget */
	uint64_t deadline;
	uint32_t next; /* hash chain, or free list */
	uint32_t held_head, held_tail;
	uint8_t family, state, tries;
	bool used; /* looked up since it was last confirmed */
	uint8_t mac[6];
};

struct ctrl_held {
	uint32_t next;
	uint32_t len;
};

/* Membership record types (RFC 3376 4.2.12, RFC 3810 5.2.12). */
enum {
	REC_IS_EXCLUDE = 2,
	REC_TO_INCLUDE = 3,
	REC_TO_EXCLUDE = 4,
};

struct ctrl_group {
	union hsk_net_addr addr;
	uint64_t due;	     /* an answer to a query; CTRL_NEVER: none */
	uint64_t change_due; /* the repeat of a state change */
	uint32_t refs;	     /* 0: left, kept until the leave is repeated */
	uint8_t family;
	uint8_t change_type; /* REC_TO_EXCLUDE (join), REC_TO_INCLUDE */
};

struct hsk_ctrl {
	struct hsk_ctrl_cfg cfg;
	struct in6_addr ll6; /* link-local, EUI-64 from the MAC */
	/* prefixes as masks, network order; no broadcast: all ones */
	uint32_t mask4, bcast4;
	uint64_t mask6[2];
	uint64_t now;		 /* the latest time we were given */
	uint64_t next_due;	 /* earliest timer: tick is cheap before it */
	uint64_t general_due[2]; /* answers to general queries, v4 and v6 */
	/* until when an older querier was heard (RFC 3376 7.2.1, 3810 8.2) */
	uint64_t igmp_v1_until, igmp_v2_until, mld_v1_until;
	/* ICMP errors: a token bucket as the kernel's icmp_msgs_per_sec */
	uint64_t icmp_tokens_at;
	uint32_t icmp_tokens;
	uint32_t rnd;
	uint16_t ip_id;

	struct ctrl_neigh *neigh;
	uint32_t *bucket;
	uint32_t bucket_mask;
	uint32_t neigh_free;
	uint32_t neigh_last; /* the latest found, tried first */

	struct ctrl_held *held;
	uint8_t *held_buf;
	size_t held_slot; /* bytes per held frame */
	uint32_t held_free;

	struct ctrl_group groups[CTRL_MAX_GROUPS];
	unsigned int ngroups;

	struct hsk_ctrl_stats st;
	size_t tx_cap;
	uint8_t tx[]; /* the frame being built */
};

/* What a received IP packet is; pointers into the frame. */
struct ctrl_pkt {
	const uint8_t *eth, *l3, *l4;
	uint32_t l4_len; /* to the end of the IP payload, padding excluded */
	uint32_t l3_len; /* IP header and payload */
	uint8_t family, proto, ttl, tos;
	bool frag;	/* IPv4: a fragment (any) */
	bool frag_tail; /* IPv4: not the first fragment */
	union hsk_net_addr src, dst;
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline bool mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool ip6_is_ll(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

static inline bool ip6_is_mc(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

static inline bool ip4_is_mc(struct in_addr a)
{
	return (ntohl(a.s_addr) & 0xf0000000u) == 0xe0000000u;
}

/* The frame header: returns where the IP or ARP packet goes. */
uint8_t *ctrl_eth(struct hsk_ctrl *c, const uint8_t dst[6], uint16_t type);
/* Sends the first @len bytes of c->tx; counts into @counter. */
void ctrl_send(struct hsk_ctrl *c, size_t len, uint64_t *counter);
/* Whether an ICMP error may go now (rate limit). */
bool ctrl_icmp_error_allowed(struct hsk_ctrl *c);
/* A uniformly random delay in [0, @max_ns]. */
uint64_t ctrl_random_delay(struct hsk_ctrl *c, uint64_t max_ns);
bool ctrl_has(const struct hsk_ctrl *c, int family);
/* The Ethernet group of an IPv4 group (RFC 1112 6.4). */
void ctrl_mc_mac4(struct in_addr group, uint8_t mac[6]);
/* 255.255.255.255 or our subnet's broadcast address */
bool ctrl_ip4_bcast(const struct hsk_ctrl *c, struct in_addr a);
/* Whether @a is our IPv6 address or our link-local one. */
bool ctrl_is_ours6(const struct hsk_ctrl *c, const struct in6_addr *a);

/* Neighbours. */
struct ctrl_neigh *ctrl_neigh_find(struct hsk_ctrl *c, int family,
				   const union hsk_net_addr *ip);
/*
 * A neighbour told us its MAC: update it (sending what was held for it),
 * or add it when @create. @override false keeps a confirmed entry's MAC
 * (an NA without the O flag).
 */
void ctrl_neigh_learn(struct hsk_ctrl *c, int family,
		      const union hsk_net_addr *ip, const uint8_t mac[6],
		      bool create, bool override);

/* What goes before an IGMPv3 report (Router Alert) and an MLDv2 one. */
#define CTRL_IGMP_HDRS (HSK_ETH_HLEN + HSK_IP4_HLEN + 4)
#define CTRL_MLD_HDRS (HSK_ETH_HLEN + HSK_IP6_HLEN + 8)
/* Bytes of an IGMPv3 or MLDv2 report of @n records. */
size_t ctrl_report_len(int family, unsigned int n);
/*
 * Writes a report's message but for its checksum: IGMPv3 and MLDv2 share
 * its layout (RFC 3376 4.2, RFC 3810 5.2), addresses aside.
 */
void ctrl_report_body(uint8_t *m, uint8_t type, uint8_t rec_type,
		      const struct ctrl_group *const *groups, unsigned int n);
/* Membership: the groups to report, @only or all of @family. */
void ctrl_report(struct hsk_ctrl *c, int family, uint8_t rec_type,
		 const struct ctrl_group *only);
/* A query for @group (NULL: general) asks an answer within @max_ns. */
void ctrl_query(struct hsk_ctrl *c, int family, const union hsk_net_addr *group,
		uint64_t max_ns);

/* IPv4: ctrl_ip4.c */
enum hsk_ctrl_verdict ctrl_arp_input(struct hsk_ctrl *c, const uint8_t *eth,
				     size_t len);
void ctrl_arp_request(struct hsk_ctrl *c, struct in_addr target,
		      const uint8_t *dst_mac);
void ctrl_arp_announce(struct hsk_ctrl *c);
enum hsk_ctrl_verdict ctrl_icmp4_input(struct hsk_ctrl *c,
				       const struct ctrl_pkt *p);
enum hsk_ctrl_verdict ctrl_igmp_input(struct hsk_ctrl *c,
				      const struct ctrl_pkt *p);
void ctrl_unreach4(struct hsk_ctrl *c, const struct ctrl_pkt *p);
void ctrl_igmp_send(struct hsk_ctrl *c, uint8_t rec_type,
		    const struct ctrl_group *const *groups, unsigned int n);
/* IGMPv1 or v2: a report, or a leave (v2) for REC_TO_INCLUDE. */
void ctrl_igmp_old(struct hsk_ctrl *c, int version, uint8_t rec_type,
		   const struct ctrl_group *g);

/* IPv6: ctrl_ip6.c */
enum hsk_ctrl_verdict ctrl_icmp6_input(struct hsk_ctrl *c,
				       const struct ctrl_pkt *p);
void ctrl_nd_solicit(struct hsk_ctrl *c, const struct in6_addr *target,
		     const uint8_t *dst_mac);
void ctrl_nd_announce(struct hsk_ctrl *c);
void ctrl_unreach6(struct hsk_ctrl *c, const struct ctrl_pkt *p);
void ctrl_mld_send(struct hsk_ctrl *c, uint8_t rec_type,
		   const struct ctrl_group *const *groups, unsigned int n);
/* MLDv1: a report, or a done for REC_TO_INCLUDE. */
void ctrl_mld_v1(struct hsk_ctrl *c, uint8_t rec_type,
		 const struct ctrl_group *g);
void ctrl_solicited_node(const struct in6_addr *a, struct in6_addr *group);

#endif
