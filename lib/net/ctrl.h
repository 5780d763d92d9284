/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A host's control plane over raw Ethernet frames, for a backend that owns
 * its port (DPDK): nobody else answers ARP, neighbour solicitations or
 * pings for our addresses, so this does. It resolves next hops (holding a
 * bounded number of frames while it asks), answers ARP, NS and echo
 * requests, sends port unreachables, and keeps multicast membership
 * (IGMPv3/MLDv2 reports on join and leave, answers to queries).
 *
 * It never allocates on the data path and makes no system call: frames go
 * out through the caller's transmit callback, time comes in as arguments.
 * One hsk_ctrl per port; it is not thread-safe, the caller serialises
 * (the backend calls it under its port lock).
 */
#ifndef HSK_NET_CTRL_H
#define HSK_NET_CTRL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct hsk_ctrl;

/*
 * Sends one complete Ethernet frame (the control plane's own, or a held
 * frame whose next hop was just resolved). The callee copies it before
 * returning. Returns 0, or -1 when it could not be sent (counted by the
 * control plane as tx_errors).
 */
typedef int (*hsk_ctrl_xmit_fn)(void *ctx, const void *frame, size_t len);

/* The port's identity. Zero @prefix means "no address of that family". */
struct hsk_ctrl_cfg {
	uint8_t mac[6];
	/* IP MTU, for ICMP quoting and the held-frame size; 0: 1500;
	 * at least 576 (1280 with IPv6) */
	uint16_t mtu;
	struct in_addr ip4, gw4;  /* gw4 0.0.0.0: no default route */
	uint8_t prefix4;	  /* 1..32, 0 when there is no IPv4 address */
	struct in6_addr ip6, gw6; /* gw6 :: : no default route */
	uint8_t prefix6;	  /* 1..128, 0 when no IPv6 address */
	/* Bounds: neighbours kept, frames held while resolving (in all). */
	unsigned int max_neigh;	  /* 0: 256 */
	unsigned int max_held;	  /* 0: 64 */
	uint64_t neigh_ttl_ns;	  /* reachable entries age out; 0: 30 s */
	uint64_t resolve_wait_ns; /* retry interval; 3 tries; 0: 1 s */
	hsk_ctrl_xmit_fn xmit;
	void *xmit_ctx;
};

/*
 * hsk_ctrl_new() - a control plane for one port. Returns NULL with errno
 * EINVAL (no xmit, bad prefix, MTU too small, a bound above 2^20) or
 * ENOMEM. A host with an IPv6 address also has the link-local address
 * derived from its MAC (EUI-64) and answers for it.
 */
struct hsk_ctrl *hsk_ctrl_new(const struct hsk_ctrl_cfg *cfg);
void hsk_ctrl_free(struct hsk_ctrl *c);

/*
 * hsk_ctrl_announce() - what a host says when it comes up: a gratuitous
 * ARP for its IPv4 address and an unsolicited neighbour advertisement for
 * its IPv6 address and its link-local one (and the MLD report for their
 * solicited-node groups, with any group already joined).
 */
void hsk_ctrl_announce(struct hsk_ctrl *c, uint64_t now_ns);

enum hsk_ctrl_verdict {
	HSK_CTRL_CONSUMED, /* control traffic: handled (maybe answered) */
	HSK_CTRL_PASS,	   /* not control traffic: the caller's to deliver */
	/* malformed or not for us: count and drop (but control traffic
	 * between other hosts, an ARP request or a neighbour solicitation
	 * for another address, is CONSUMED: heard and ignored) */
	HSK_CTRL_DROP,
};

/*
 * hsk_ctrl_input() - offer a received frame. ARP, ICMP echo, ICMPv6
 * (NS/NA/echo/MLD query) and IGMP queries are consumed: answers go out
 * through xmit, and what they teach (a sender's MAC) is learned; held
 * frames waiting on a resolved neighbour are sent. Everything else is
 * HSK_CTRL_PASS: other ICMP types (errors a socket may want), IPv4
 * fragments, VLAN-tagged frames (the port's addresses are untagged), and
 * all of a family the port has no address of. IP frames with bad lengths
 * or checksums are HSK_CTRL_DROP and counted as malformed, whatever they
 * carry; so, uncounted, are pings and IGMP sent to another unicast
 * address, and what claims to come from our own MAC.
 */
enum hsk_ctrl_verdict hsk_ctrl_input(struct hsk_ctrl *c, const void *frame,
				     size_t len, uint64_t now_ns);

/*
 * hsk_ctrl_next_hop() - the neighbour a datagram to @dst goes to: @dst
 * itself when on-link, the gateway otherwise; multicast and broadcast
 * destinations map to their MAC directly. Returns 0 with *@mac set when
 * the MAC is known; otherwise, if @frame is not NULL, keeps a copy of the
 * frame (whose destination MAC is filled in and which is sent once the
 * neighbour answers) and returns 1 (1 too with a NULL @frame: resolution
 * is under way); -1 with errno EHOSTUNREACH (off-link with no gateway, or
 * the neighbour did not answer three tries: for one resolve_wait_ns, then
 * it is asked again), ENETUNREACH (no address of that family), ENOBUFS
 * (too many frames held, or max_neigh neighbours all being resolved: the
 * frame is not kept), EMSGSIZE (@len above the MTU plus an Ethernet
 * header and one VLAN tag) or EAFNOSUPPORT.
 */
int hsk_ctrl_next_hop(struct hsk_ctrl *c, int family,
		      const union hsk_net_addr *dst, uint8_t mac[6],
		      const void *frame, size_t len, uint64_t now_ns);

/*
 * hsk_ctrl_port_unreachable() - answer a received UDP datagram that no
 * socket is bound to with ICMP/ICMPv6 port unreachable, as a kernel host
 * does (not for broadcast or multicast destinations, nor for a datagram
 * to another address or a non-first fragment; at most 1000 a second after
 * a burst of 50, the kernel's icmp_msgs_per_sec, by the latest time the
 * control plane was given). @frame is the whole received frame, untagged.
 */
void hsk_ctrl_port_unreachable(struct hsk_ctrl *c, const void *frame,
			       size_t len);

/*
 * hsk_ctrl_join() / hsk_ctrl_leave() - multicast membership, counted per
 * group: the first join and the last leave send IGMPv3 or MLDv2 reports,
 * repeated once within a second (and answer later queries while joined);
 * after an IGMPv1/v2 or MLDv1 query, for 260 s, in that older version. No
 * report goes out for a family the port has no address of. Returns 0, or
 * -1 with EINVAL (not a multicast group), EADDRNOTAVAIL (leave without
 * join) or ENOBUFS (64 groups of both families, the solicited-node groups
 * included, and a group left until its leave is repeated).
 */
int hsk_ctrl_join(struct hsk_ctrl *c, int family,
		  const union hsk_net_addr *group, uint64_t now_ns);
int hsk_ctrl_leave(struct hsk_ctrl *c, int family,
		   const union hsk_net_addr *group, uint64_t now_ns);
/* Whether a received datagram to @group is wanted. */
bool hsk_ctrl_is_member(const struct hsk_ctrl *c, int family,
			const union hsk_net_addr *group);
/*
 * hsk_ctrl_group_macs() - the multicast MACs the port must receive, for a
 * device that filters them (rte_eth_dev_set_mc_addr_list): the all-hosts
 * and all-nodes groups (queries, and NS/NA to all nodes) of the families
 * the port has, and the groups it is a member of (its solicited-node
 * groups included). Writes at most @max and returns how many there are,
 * distinct; call it again after a join or a leave.
 */
size_t hsk_ctrl_group_macs(const struct hsk_ctrl *c, uint8_t (*macs)[6],
			   size_t max);

/*
 * hsk_ctrl_tick() - timers: resolution retries, giving up (held frames are
 * dropped and counted), ageing neighbours, delayed query answers. Cheap
 * when nothing is due; call it from every poll of the port.
 */
void hsk_ctrl_tick(struct hsk_ctrl *c, uint64_t now_ns);

/* Counters since hsk_ctrl_new(); held* count frames, not what is held now. */
struct hsk_ctrl_stats {
	uint64_t arp_in, arp_out, nd_in, nd_out;
	uint64_t echo_replies, unreachables_sent;
	uint64_t igmp_out, mld_out;
	uint64_t held, held_sent, held_dropped;
	uint64_t malformed, tx_errors;
};
void hsk_ctrl_stats(const struct hsk_ctrl *c, struct hsk_ctrl_stats *out);

#endif
