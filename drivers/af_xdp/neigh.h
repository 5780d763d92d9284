/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next hops for the AF_XDP transmit path: the output interface, the
 * destination MAC, the path MTU and the source address of a datagram,
 * asked of the kernel's own routing and neighbour tables over rtnetlink
 * and cached. Netlink notifications keep the cache honest: any change to
 * neighbours, routes, addresses or links empties it, and entries also die
 * after a second in case a notification was lost.
 *
 * Control path: a miss costs up to three netlink round trips (route,
 * neighbour, link), a hit one non-blocking recv(2) of the notification
 * socket. Callers on the hot path resolve once per destination and burst,
 * not per packet. Internal to libhotsock: not exported.
 */
#ifndef HSK_NEIGH_H
#define HSK_NEIGH_H

#include <netinet/in.h>
#include <stdint.h>

/*
 * Opaque resolver, one per process or per port. Thread safe: a mutex
 * inside serialises callers, and netlink questions are asked under it.
 * Its netlink sockets belong to the network namespace of the thread that
 * called hsk_neigh_new(), whatever thread resolves later.
 */
struct hsk_neigh;

/* Return: a resolver, or NULL with errno set. */
struct hsk_neigh *hsk_neigh_new(void);
/* Accepts NULL. */
void hsk_neigh_free(struct hsk_neigh *n);

enum hsk_nexthop_kind {
	/* *out is filled: build the frame and send it on out->ifindex. */
	HSK_NH_OK,
	/* Destination is this host (RTN_LOCAL, anycast): use the kernel. */
	HSK_NH_LOCAL,
	/*
	 * Route known, but no usable neighbour entry (absent, INCOMPLETE,
	 * FAILED), or a next hop the fast path cannot frame (a non-Ethernet
	 * link, a route type it does not know, no source address): send
	 * through the kernel, which resolves it so that a later call finds
	 * it, or fails the send as it should. Also returned, with errno
	 * set, when the resolver could not ask (netlink timeout, bad
	 * family): the kernel is always a correct fallback.
	 */
	HSK_NH_UNRESOLVED,
	/* The route leaves by another interface than the one asked about. */
	HSK_NH_OTHER_IF,
	/* No route, or a blackhole, prohibit or unreachable route. */
	HSK_NH_UNREACHABLE,
};

struct hsk_nexthop {
	int ifindex; /* output interface */
	/* destination MAC: the neighbour's, or the multicast/broadcast one */
	uint8_t mac[6];
	/*
	 * path MTU: the route's RTAX_MTU (a learnt path MTU included) if set,
	 * else the interface MTU; never more than the interface MTU
	 */
	uint32_t mtu;
	/* preferred source (RTA_PREFSRC: the kernel's choice) */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src;
};

/*
 * hsk_neigh_resolve() - where a datagram to @dst leaves when sent from
 * interface @ifindex.
 * @family:   AF_INET or AF_INET6, the family on the wire (pass the IPv4
 *            address of an IPv4-mapped IPv6 destination as AF_INET)
 * @dst:      struct in_addr or struct in6_addr, network order
 * @scope_id: the sin6_scope_id of a link-local IPv6 destination (ignored
 *            for the others, as the kernel does); 0 lets @ifindex stand in
 * @ifindex:  the interface the caller sends on, 0 for any
 * @out:      zeroed, then filled for HSK_NH_OK; for HSK_NH_OTHER_IF and
 *            HSK_NH_UNRESOLVED out->ifindex is the route's interface when
 *            known
 *
 * Unicast follows the main routing decision of an unbound socket, so a
 * route through another interface is HSK_NH_OTHER_IF, not forced through
 * @ifindex. Multicast (224/4, ff00::/8) and the limited broadcast
 * 255.255.255.255 go out on @ifindex when it is given (the socket's
 * IP_MULTICAST_IF), else where the route says; their MAC is the IANA
 * mapping (01:00:5e:..., 33:33:..., ff:ff:ff:ff:ff:ff), as is a subnet
 * broadcast (RTN_BROADCAST), with no neighbour lookup. Usable neighbour
 * states: REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP.
 *
 * The fast path's frames bypass the kernel, so they never make it probe a
 * STALE entry again: such an entry stays in use until the peer announces
 * a new address (gratuitous ARP, unsolicited NA) or the kernel drops it.
 */
enum hsk_nexthop_kind hsk_neigh_resolve(struct hsk_neigh *n, int family,
					const void *dst, uint32_t scope_id,
					int ifindex, struct hsk_nexthop *out);

#endif /* HSK_NEIGH_H */
