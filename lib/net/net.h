/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet code the fast paths share: parse a received Ethernet frame down
 * to a UDP payload, checking it as the kernel would, and build the headers
 * in front of a payload to send. No allocation, no system call: the
 * callers own the memory.
 */
#ifndef HSK_NET_H
#define HSK_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HSK_ETH_HLEN 14u
#define HSK_VLAN_HLEN 4u
#define HSK_IP4_HLEN 20u
#define HSK_IP6_HLEN 40u
#define HSK_UDP_HLEN 8u

/* What a received frame is, for the receive path. */
enum hsk_net_verdict {
	HSK_NET_UDP,	   /* a UDP datagram: deliver */
	HSK_NET_OTHER,	   /* not for the fast path: give it to the kernel */
	HSK_NET_MALFORMED, /* bad lengths or headers: count and drop */
	HSK_NET_BAD_CSUM,  /* bad IPv4 header or UDP checksum: count, drop */
};

union hsk_net_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* Bytes of an address of @family (AF_INET or AF_INET6). */
static inline size_t hsk_net_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Fixed sizes, compared inline: the receive path asks once per datagram. */
static inline bool hsk_net_addr_eq(int family, const union hsk_net_addr *a,
				   const union hsk_net_addr *b)
{
	if (family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

/* A parsed UDP datagram; offsets are from the start of the frame. */
struct hsk_net_udp {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t ttl;	/* TTL or hop limit */
	uint8_t tos;	/* TOS or traffic class */
	bool has_vlan;
	bool addressed; /* family, addresses and ports were read,
				 * even if the verdict is not HSK_NET_UDP */
	uint16_t vlan_tci;
	uint16_t l3_off;
	uint16_t payload_off;
	uint16_t payload_len;
	uint16_t sport, dport; /* network byte order */
	union hsk_net_addr src, dst;
};

/*
 * hsk_net_parse_udp() - check a received Ethernet frame and find its UDP
 * payload.
 *
 * Accepts Ethernet II with at most one 802.1Q tag, IPv4 without options or
 * fragmentation and IPv6 without extension headers, carrying UDP; anything
 * else is HSK_NET_OTHER (the kernel handles options, fragments and
 * extension headers). Lengths are checked as the kernel checks them:
 * trailing Ethernet padding is allowed, a frame shorter than its headers
 * say is malformed. The IPv4 header checksum and the UDP checksum (zero
 * allowed only on IPv4) are verified, as @csum says:
 */
enum {
	/* The device verified both checksums: skip them. */
	HSK_NET_CSUM_VERIFIED = 1u << 0,
	/*
	 * The link is local (veth): a sender with checksum offload leaves
	 * just the pseudo-header sum in the UDP checksum field of a frame
	 * that never crossed a wire, and the kernel trusts it through a flag
	 * the frame no longer carries. Accept exactly that value too.
	 */
	HSK_NET_CSUM_LOCAL = 1u << 1,
};

enum hsk_net_verdict hsk_net_parse_udp(const void *frame, uint32_t len,
				       unsigned int csum,
				       struct hsk_net_udp *out);

/* Headers in front of the payload: what hsk_net_build_udp() needs. */
struct hsk_net_flow {
	uint8_t family;
	uint8_t ttl;
	uint8_t tos;
	uint16_t vlan_tci;     /* 0: untagged */
	uint16_t sport, dport; /* network byte order */
	union hsk_net_addr src, dst;
	uint8_t src_mac[6], dst_mac[6];
	uint16_t ip_id; /* IPv4 identification, network order */
};

/* Bytes of headers hsk_net_build_udp() writes for @f. */
size_t hsk_net_udp_hdr_len(const struct hsk_net_flow *f);

/*
 * hsk_net_build_udp() - write Ethernet, IP and UDP headers that end right
 * where @payload begins, with lengths and checksums for @payload_len
 * bytes. Returns the start of the frame (payload - hdr_len).
 */
void *hsk_net_build_udp(const struct hsk_net_flow *f, void *payload,
			uint16_t payload_len);

/*
 * Internet checksum helpers (RFC 1071): a 32-bit running sum over
 * big-endian 16-bit words, folded at the end.
 */
uint32_t hsk_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t hsk_csum_fold(uint32_t sum);
/* The UDP pseudo-header sum for @family, protocol 17 and @udp_len. */
uint32_t hsk_csum_pseudo(uint8_t family, const union hsk_net_addr *src,
			 const union hsk_net_addr *dst, uint32_t udp_len);

#endif
