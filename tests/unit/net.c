// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/unit/net.c - lib/net: parse and build Ethernet/IP/UDP, checksums.
 *
 * Known vectors only. The cap_* frames below were sent by the Linux kernel
 * (6.18) over a veth pair between two private network namespaces, with
 * transmit checksum offload off so that the kernel wrote every checksum,
 * and captured on the receiving end with tcpdump -xx; tcpdump checked the
 * checksums. Everything else is either hand-written (with checksums
 * worked out by hand) or a captured frame edited here, whose checksums
 * are then recomputed by ref_*(), a reference written from RFC 1071 that
 * shares no code with lib/net. Addresses: 198.18.0.0/15, 2001:2::/48.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "net.h"
#include "ref_csum.h"

/* --- captured frames --- */

/* clang-format off */

/* 198.18.0.1:40001 -> 198.18.0.2:9001, TOS 0xb8, TTL 42, id 0x5417, DF,
 * 17 bytes "hotsock:ipv4:odd!", UDP checksum 0x5d30. */
static const uint8_t cap_v4_udp[59] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xb8,
	0x00, 0x2d, 0x54, 0x17, 0x40, 0x00, 0x2a, 0x11,
	0x6f, 0xc9, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x9c, 0x41, 0x23, 0x29, 0x00, 0x19,
	0x5d, 0x30, 0x68, 0x6f, 0x74, 0x73, 0x6f, 0x63,
	0x6b, 0x3a, 0x69, 0x70, 0x76, 0x34, 0x3a, 0x6f,
	0x64, 0x64, 0x21,
};

/* [2001:2::1]:40002 -> [2001:2::2]:9002, class 0xb8, flow label 0x2a9bc,
 * hop limit 42, 19 bytes "hotsock:ipv6:even!!", UDP checksum 0x292f. */
static const uint8_t cap_v6_udp[81] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x6b, 0x82,
	0xa9, 0xbc, 0x00, 0x1b, 0x11, 0x2a, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x42,
	0x23, 0x2a, 0x00, 0x1b, 0x29, 0x2f, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x69, 0x70,
	0x76, 0x36, 0x3a, 0x65, 0x76, 0x65, 0x6e, 0x21,
	0x21,
};

/* 198.18.0.1:40003 -> 198.18.0.2:9003 sent with SO_NO_CHECK: UDP checksum 0,
 * 14 bytes "hotsock:nocsum". */
static const uint8_t cap_v4_nocsum[56] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x2a, 0x54, 0x1b, 0x40, 0x00, 0x40, 0x11,
	0x5a, 0x80, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x9c, 0x43, 0x23, 0x2b, 0x00, 0x16,
	0x00, 0x00, 0x68, 0x6f, 0x74, 0x73, 0x6f, 0x63,
	0x6b, 0x3a, 0x6e, 0x6f, 0x63, 0x73, 0x75, 0x6d,
};

/* [2001:2::1]:40004 -> [2001:2::2]:9004 sent with UDP_NO_CHECK6_TX: UDP
 * checksum 0 (the real one would be 0x0178), 14 bytes "hotsock:nocsum". */
static const uint8_t cap_v6_nocsum[76] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x09,
	0x91, 0xdf, 0x00, 0x16, 0x11, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x44,
	0x23, 0x2c, 0x00, 0x16, 0x00, 0x00, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x6e, 0x6f,
	0x63, 0x73, 0x75, 0x6d,
};

/* 198.18.0.1:40005 -> 198.18.0.2:9005 sent with IP_OPTIONS router alert:
 * IHL 6, 10 bytes "hotsock:ra". */
static const uint8_t cap_v4_ra[56] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x46, 0x00,
	0x00, 0x2a, 0x54, 0x24, 0x40, 0x00, 0x40, 0x11,
	0xc5, 0x72, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x94, 0x04, 0x00, 0x00, 0x9c, 0x45,
	0x23, 0x2d, 0x00, 0x12, 0x8a, 0x4d, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x72, 0x61,
};

/* A 208-byte datagram 198.18.0.1:40006 -> 198.18.0.3:9006 over a route with
 * mtu lock 96: first fragment (MF, offset 0; its UDP header says 216). */
static const uint8_t cap_v4_frag_first[106] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x5c, 0x1f, 0x3c, 0x20, 0x00, 0x40, 0x11,
	0xaf, 0x2c, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x03, 0x9c, 0x46, 0x23, 0x2e, 0x00, 0xd8,
	0x4a, 0xd1, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
	0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,
	0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56,
	0x57, 0x58, 0x59, 0x5a, 0x41, 0x42, 0x43, 0x44,
	0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54,
	0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x41, 0x42,
	0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
	0x4b, 0x4c,
};

/* ... and its last fragment (MF clear, offset 144). */
static const uint8_t cap_v4_frag_last[106] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x5c, 0x1f, 0x3c, 0x00, 0x12, 0x40, 0x11,
	0xcf, 0x1a, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x03, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c,
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54,
	0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x41, 0x42,
	0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
	0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52,
	0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a,
	0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
	0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
	0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
	0x59, 0x5a,
};

/* [2001:2::1]:40007 -> [2001:2::2]:9007 sent with IPV6_HOPOPTS (PadN):
 * next header 0, then UDP, 11 bytes "hotsock:hbh". */
static const uint8_t cap_v6_hbh[81] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x03,
	0xc0, 0xef, 0x00, 0x1b, 0x00, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00,
	0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x47,
	0x23, 0x2f, 0x00, 0x13, 0x78, 0x65, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x68, 0x62,
	0x68,
};

/* A 1500-byte datagram [2001:2::1]:40008 -> [2001:2::2]:9008: its second
 * fragment (next header 44, offset 1448). */
static const uint8_t cap_v6_frag[122] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x01,
	0x67, 0xb5, 0x00, 0x44, 0x2c, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00,
	0x05, 0xa8, 0x6f, 0xbc, 0xdf, 0xbc, 0x4b, 0x4c,
	0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54,
	0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x41, 0x42,
	0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
	0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52,
	0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a,
	0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
	0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
	0x51, 0x52,
};

/* ARP request: who has 198.18.0.2, tell 198.18.0.1. */
static const uint8_t cap_arp[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x01,
	0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12,
	0x00, 0x02,
};

/* TCP SYN 198.18.0.1:40009 -> 198.18.0.2:9009. */
static const uint8_t cap_tcp_syn[74] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x3c, 0xf7, 0x9b, 0x40, 0x00, 0x40, 0x06,
	0xb6, 0xf8, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x9c, 0x49, 0x23, 0x31, 0x55, 0x34,
	0xef, 0xc2, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xfa, 0xf0, 0xb6, 0xe7, 0x00, 0x00, 0x02, 0x04,
	0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x4f, 0xd5,
	0xb5, 0xb5, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x0a,
};

/*
 * Sent with transmit checksum offload left on: the veth pair hands the
 * frame over as CHECKSUM_PARTIAL, and the UDP checksum field holds only the
 * folded pseudo-header sum (0x8c50, 0x4031) - 15 bytes "hotsock:partial".
 */
static const uint8_t cap_v4_partial[57] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x2b, 0xe6, 0xb5, 0x40, 0x00, 0x40, 0x11,
	0xc7, 0xe4, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x9c, 0x4a, 0x23, 0x32, 0x00, 0x17,
	0x8c, 0x50, 0x68, 0x6f, 0x74, 0x73, 0x6f, 0x63,
	0x6b, 0x3a, 0x70, 0x61, 0x72, 0x74, 0x69, 0x61,
	0x6c,
};

static const uint8_t cap_v6_partial[77] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x03,
	0xc8, 0xab, 0x00, 0x17, 0x11, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x4b,
	0x23, 0x33, 0x00, 0x17, 0x40, 0x31, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x70, 0x61,
	0x72, 0x74, 0x69, 0x61, 0x6c,
};

/*
 * Hand-written: 198.18.0.1:5000 -> 198.18.0.2:7, TTL 64, id 1, DF, one
 * payload byte 'x', padded with zeros to Ethernet's 60-byte minimum.
 * IPv4 header sum 0x4500 + 0x001d + 0x0001 + 0x4000 + 0x4011 + 0xc612 +
 * 0x0001 + 0xc612 + 0x0002 = 0x25156 -> 0x5158, checksum 0xaea7; UDP:
 * pseudo header 0xc612 + 0x0001 + 0xc612 + 0x0002 + 0x0011 + 0x0009, header
 * 0x1388 + 0x0007 + 0x0009, payload 0x7800: 0x217d9 -> 0x17db, checksum
 * 0xe824.
 */
static const uint8_t hand_v4_padded[60] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x1d, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11,
	0xae, 0xa7, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x13, 0x88, 0x00, 0x07, 0x00, 0x09,
	0xe8, 0x24, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t ip4_a[4] = { 198, 18, 0, 1 };
static const uint8_t ip4_b[4] = { 198, 18, 0, 2 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x01 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 0x02 };

#define ETH 14u /* untagged: where the IP header starts */
#define VLAN_TCI 0x2005 /* priority 1, VLAN 5 */

/* --- reference: RFC 1071, big-endian words, no code shared with lib/net --- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Pseudo header of the IP header at @ip (RFC 768, RFC 8200 8.1). */
static uint32_t ref_pseudo(const uint8_t *ip, uint32_t udp_len)
{
	bool v6 = ip[0] >> 4 == 6;
	uint32_t sum = ref_sum(0, ip + (v6 ? 8 : 12), v6 ? 32 : 8);

	return sum + 17 + (udp_len >> 16) + (udp_len & 0xffff);
}

static uint8_t *udp_of(uint8_t *ip)
{
	return ip + (ip[0] >> 4 == 6 ? 40 : (ip[0] & 0xf) * 4);
}

static bool ref_ip4_ok(const uint8_t *ip)
{
	return ref_csum(ref_sum(0, ip, (ip[0] & 0xfu) * 4)) == 0;
}

static void ref_ip4_fix(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, ref_csum(ref_sum(0, ip, (ip[0] & 0xfu) * 4)));
}

/* Does the UDP checksum of the datagram after the IP header @ip verify? */
static bool ref_udp_ok(uint8_t *ip)
{
	uint8_t *udp = udp_of(ip);
	uint16_t ulen = be16(udp + 4);

	return ref_csum(ref_sum(ref_pseudo(ip, ulen), udp, ulen)) == 0;
}

static void ref_udp_fix(uint8_t *ip)
{
	uint8_t *udp = udp_of(ip);
	uint16_t ulen = be16(udp + 4), c;

	put16(udp + 6, 0);
	c = ref_csum(ref_sum(ref_pseudo(ip, ulen), udp, ulen));
	put16(udp + 6, c ? c : 0xffff);
}

/* --- helpers --- */

static uint8_t buf[2048];

/* Copies @len bytes of @f into buf, for editing. */
static uint8_t *load(const uint8_t *f, size_t len)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, f, len);
	return buf;
}

/* Copies @f into buf with an 802.1Q tag @tci after the MAC addresses. */
static size_t load_tagged(const uint8_t *f, size_t len, uint16_t tci)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, f, 12);
	put16(buf + 12, 0x8100);
	put16(buf + 14, tci);
	memcpy(buf + 16, f + 12, len - 12);
	return len + 4;
}

static const char *vname(enum hsk_net_verdict v)
{
	switch (v) {
	case HSK_NET_UDP:
		return "UDP";
	case HSK_NET_OTHER:
		return "OTHER";
	case HSK_NET_MALFORMED:
		return "MALFORMED";
	case HSK_NET_BAD_CSUM:
		return "BAD_CSUM";
	}
	return "?";
}

/*
 * The parser gets a copy of exactly @len bytes on the heap, so that a
 * sanitizer build catches any read past the end of the frame.
 */
static enum hsk_net_verdict parse(const uint8_t *f, size_t len,
				  unsigned int csum_ok,
				  struct hsk_net_udp *u)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum hsk_net_verdict v;

	cr_assert_not_null(copy);
	memcpy(copy, f, len);
	memset(u, 0xee, sizeof(*u));
	v = hsk_net_parse_udp(copy, (uint32_t)len, csum_ok, u);
	free(copy);
	return v;
}

static void expect(const uint8_t *f, size_t len, unsigned int csum_ok,
		   enum hsk_net_verdict want)
{
	struct hsk_net_udp u;
	enum hsk_net_verdict v = parse(f, len, csum_ok, &u);

	cr_assert_eq(v, want, "verdict %s, expected %s (len %zu, csum_ok %d)",
		     vname(v), vname(want), len, csum_ok);
}

static struct hsk_net_udp parse_ok(const uint8_t *f, size_t len,
				   unsigned int csum_ok)
{
	struct hsk_net_udp u;
	enum hsk_net_verdict v = parse(f, len, csum_ok, &u);

	cr_assert_eq(v, HSK_NET_UDP, "verdict %s, expected UDP (len %zu)",
		     vname(v), len);
	return u;
}

/* The fields of cap_v4_udp, tagged or not. */
static void check_cap_v4_udp(const struct hsk_net_udp *u, const uint8_t *f,
			     unsigned int l3)
{
	cr_expect_eq(u->family, AF_INET);
	cr_expect_eq(u->ttl, 42);
	cr_expect_eq(u->tos, 0xb8);
	cr_expect_eq(u->l3_off, l3);
	cr_expect_eq(u->payload_off, l3 + 20 + 8);
	cr_expect_eq(u->payload_len, 17);
	cr_expect_eq(ntohs(u->sport), 40001);
	cr_expect_eq(ntohs(u->dport), 9001);
	cr_expect_arr_eq(&u->src.v4, ip4_a, 4);
	cr_expect_arr_eq(&u->dst.v4, ip4_b, 4);
	cr_expect_arr_eq(f + u->payload_off, "hotsock:ipv4:odd!", 17);
}

static void check_cap_v6_udp(const struct hsk_net_udp *u, const uint8_t *f,
			     unsigned int l3)
{
	cr_expect_eq(u->family, AF_INET6);
	cr_expect_eq(u->ttl, 42);
	cr_expect_eq(u->tos, 0xb8);
	cr_expect_eq(u->l3_off, l3);
	cr_expect_eq(u->payload_off, l3 + 40 + 8);
	cr_expect_eq(u->payload_len, 19);
	cr_expect_eq(ntohs(u->sport), 40002);
	cr_expect_eq(ntohs(u->dport), 9002);
	cr_expect_arr_eq(&u->src.v6, ip6_a, 16);
	cr_expect_arr_eq(&u->dst.v6, ip6_b, 16);
	cr_expect_arr_eq(f + u->payload_off, "hotsock:ipv6:even!!", 19);
}

/* --- the reference against the kernel --- */

Test(net, reference_verifies_kernel_checksums)
{
	cr_assert(ref_ip4_ok(cap_v4_udp + ETH));
	cr_assert(ref_udp_ok(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH));
	cr_assert(ref_udp_ok(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH));
	cr_assert(ref_ip4_ok(hand_v4_padded + ETH));
	cr_assert(ref_udp_ok(load(hand_v4_padded, 60) + ETH));
	/* and notices a change */
	load(cap_v6_udp, sizeof(cap_v6_udp))[70] ^= 0x01;
	cr_assert_not(ref_udp_ok(buf + ETH));
}

/* --- checksum helpers --- */

Test(net, csum_rfc1071_example)
{
	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03,
				      0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = hsk_csum_fold(hsk_csum_add(0, b, sizeof(b)));

	/* The folded value is in memory order: read it as the wire would. */
	cr_assert_eq(be16((const uint8_t *)&c), 0x220d);
	cr_assert_eq(ntohs((uint16_t)~c), 0xddf2);
}

Test(net, csum_rfc1071_example_byte_swapped)
{
	/* RFC 1071 2(B): summing swapped words gives the swapped sum. */
	static const uint8_t b[8] = { 0x01, 0x00, 0x03, 0xf2,
				      0xf5, 0xf4, 0xf7, 0xf6 };
	uint16_t c = hsk_csum_fold(hsk_csum_add(0, b, sizeof(b)));

	cr_assert_eq(be16((const uint8_t *)&c), 0x0d22);
}

Test(net, csum_fold_of_zero_sum_is_ffff)
{
	cr_assert_eq(hsk_csum_fold(0), 0xffff);
	cr_assert_eq(hsk_csum_fold(hsk_csum_add(0, "", 0)), 0xffff);
}

Test(net, csum_odd_length_pads_last_byte_low)
{
	/* 12 34 56 -> 0x1234 + 0x5600 = 0x6834, checksum 0x97cb */
	static const uint8_t b[3] = { 0x12, 0x34, 0x56 };
	uint16_t c = hsk_csum_fold(hsk_csum_add(0, b, 3));

	cr_assert_eq(be16((const uint8_t *)&c), 0x97cb);
	/* one byte: 56 -> 0x5600, checksum 0xa9ff */
	c = hsk_csum_fold(hsk_csum_add(0, b + 2, 1));
	cr_assert_eq(be16((const uint8_t *)&c), 0xa9ff);
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

Test(net, csum_matches_reference_every_length_and_alignment)
{
	uint8_t b[300];
	size_t len, off;

	fill(b, sizeof(b), 1);
	for (off = 0; off < 4; off++) {
		for (len = 0; len + off <= sizeof(b); len++) {
			uint16_t c =
				hsk_csum_fold(hsk_csum_add(0, b + off, len));

			cr_assert_eq(be16((const uint8_t *)&c),
				     ref_csum(ref_sum(0, b + off, len)),
				     "offset %zu length %zu", off, len);
		}
	}
}

Test(net, csum_carries_wrap_around_with_all_ones_words)
{
	uint8_t b[300];
	size_t len;

	/* Nearly every wide add overflows: the end-around carry must be kept
	 * (0xffff reads the same in either byte order). */
	memset(b, 0xff, sizeof(b));
	for (len = 0; len < sizeof(b); len += 3)
		b[len] = 0xfe;
	for (len = 0; len <= sizeof(b); len++) {
		uint16_t c = hsk_csum_fold(hsk_csum_add(0xffff, b, len));

		cr_assert_eq(be16((const uint8_t *)&c),
			     ref_csum(ref_sum(0xffff, b, len)),
			     "length %zu", len);
	}
}

Test(net, csum_split_at_even_offset_equals_one_shot)
{
	uint8_t b[257];
	size_t len, k;

	fill(b, sizeof(b), 2);
	for (len = 0; len <= sizeof(b); len++) {
		uint16_t whole = hsk_csum_fold(hsk_csum_add(0, b, len));

		for (k = 0; k <= len; k += 2) {
			uint32_t s = hsk_csum_add(0, b, k);

			s = hsk_csum_add(s, b + k, len - k);
			cr_assert_eq(hsk_csum_fold(s), whole,
				     "length %zu split at %zu", len, k);
		}
	}
}

Test(net, csum_split_in_three_with_odd_tail_equals_one_shot)
{
	uint8_t b[1501];
	uint32_t s;

	fill(b, sizeof(b), 3);
	s = hsk_csum_add(0, b, 14);
	s = hsk_csum_add(s, b + 14, 20);
	s = hsk_csum_add(s, b + 34, sizeof(b) - 34);
	cr_assert_eq(hsk_csum_fold(s),
		     hsk_csum_fold(hsk_csum_add(0, b, sizeof(b))));
}

Test(net, csum_carries_over_long_all_ones_buffers)
{
	static uint8_t b[70001];
	uint16_t c;

	memset(b, 0xff, sizeof(b));
	c = hsk_csum_fold(hsk_csum_add(0, b, sizeof(b)));
	cr_assert_eq(be16((const uint8_t *)&c),
		     ref_csum(ref_sum(0, b, sizeof(b))));
	/* starting from a sum that is already all ones */
	c = hsk_csum_fold(hsk_csum_add(0xffffffffu, b, sizeof(b) - 1));
	cr_assert_eq(c, 0);
}

Test(net, csum_pseudo_ipv4_known_value)
{
	union hsk_net_addr s, d;
	uint16_t c;

	memcpy(&s.v4, ip4_a, 4);
	memcpy(&d.v4, ip4_b, 4);
	/* 0xc612 + 0x0001 + 0xc612 + 0x0002 + 0x0011 + 0x0019 = 0x18c51 */
	c = (uint16_t)~hsk_csum_fold(hsk_csum_pseudo(AF_INET, &s, &d, 25));
	cr_assert_eq(be16((const uint8_t *)&c), 0x8c52);
}

Test(net, csum_pseudo_ipv6_known_value)
{
	union hsk_net_addr s, d;
	uint16_t c;

	memcpy(&s.v6, ip6_a, 16);
	memcpy(&d.v6, ip6_b, 16);
	/* 0x2001 + 0x0002 + 0x0001 + 0x2001 + 0x0002 + 0x0002 + 27 + 17 */
	c = (uint16_t)~hsk_csum_fold(hsk_csum_pseudo(AF_INET6, &s, &d, 27));
	cr_assert_eq(be16((const uint8_t *)&c), 0x4035);
}

Test(net, csum_pseudo_ipv6_length_is_32_bits)
{
	union hsk_net_addr s, d;
	uint16_t c;

	memcpy(&s.v6, ip6_a, 16);
	memcpy(&d.v6, ip6_b, 16);
	/* length 0x12345 adds the words 0x0001 and 0x2345 */
	c = (uint16_t)~hsk_csum_fold(
		hsk_csum_pseudo(AF_INET6, &s, &d, 0x12345));
	cr_assert_eq(be16((const uint8_t *)&c), 0x6360);
}

Test(net, csum_pseudo_verifies_kernel_ipv4_udp)
{
	union hsk_net_addr s, d;
	uint32_t sum;

	memcpy(&s.v4, cap_v4_udp + ETH + 12, 4);
	memcpy(&d.v4, cap_v4_udp + ETH + 16, 4);
	sum = hsk_csum_pseudo(AF_INET, &s, &d, 25);
	sum = hsk_csum_add(sum, cap_v4_udp + ETH + 20, 25);
	cr_assert_eq(hsk_csum_fold(sum), 0);
}

Test(net, csum_pseudo_verifies_kernel_ipv6_udp)
{
	union hsk_net_addr s, d;
	uint32_t sum;

	memcpy(&s.v6, cap_v6_udp + ETH + 8, 16);
	memcpy(&d.v6, cap_v6_udp + ETH + 24, 16);
	sum = hsk_csum_pseudo(AF_INET6, &s, &d, 27);
	sum = hsk_csum_add(sum, cap_v6_udp + ETH + 40, 27);
	cr_assert_eq(hsk_csum_fold(sum), 0);
}

/* --- parse: accepted --- */

Test(net, parse_ipv4_udp)
{
	struct hsk_net_udp u = parse_ok(cap_v4_udp, sizeof(cap_v4_udp), false);

	cr_expect_not(u.has_vlan);
	cr_expect_eq(u.vlan_tci, 0);
	check_cap_v4_udp(&u, cap_v4_udp, ETH);
}

Test(net, parse_ipv6_udp)
{
	struct hsk_net_udp u = parse_ok(cap_v6_udp, sizeof(cap_v6_udp), false);

	cr_expect_not(u.has_vlan);
	check_cap_v6_udp(&u, cap_v6_udp, ETH);
}

Test(net, parse_vlan_tagged_ipv4_udp)
{
	size_t len = load_tagged(cap_v4_udp, sizeof(cap_v4_udp), VLAN_TCI);
	struct hsk_net_udp u = parse_ok(buf, len, false);

	cr_expect(u.has_vlan);
	cr_expect_eq(u.vlan_tci, VLAN_TCI);
	check_cap_v4_udp(&u, buf, ETH + 4);
}

Test(net, parse_vlan_tagged_ipv6_udp)
{
	size_t len = load_tagged(cap_v6_udp, sizeof(cap_v6_udp), VLAN_TCI);
	struct hsk_net_udp u = parse_ok(buf, len, false);

	cr_expect(u.has_vlan);
	cr_expect_eq(u.vlan_tci, VLAN_TCI);
	check_cap_v6_udp(&u, buf, ETH + 4);
}

Test(net, parse_vlan_id_zero_priority_tag)
{
	/* 802.1p priority tag: VLAN 0, priority 5 */
	size_t len = load_tagged(cap_v4_udp, sizeof(cap_v4_udp), 0xa000);
	struct hsk_net_udp u = parse_ok(buf, len, false);

	cr_expect(u.has_vlan);
	cr_expect_eq(u.vlan_tci, 0xa000);
	check_cap_v4_udp(&u, buf, ETH + 4);
}

Test(net, parse_ipv4_ethernet_padding_ignored)
{
	/* 43 bytes of frame padded to 60: payload length from UDP */
	struct hsk_net_udp u = parse_ok(hand_v4_padded, 60, false);

	cr_expect_eq(u.payload_off, 42);
	cr_expect_eq(u.payload_len, 1);
	cr_expect_eq(hand_v4_padded[u.payload_off], 'x');
	cr_expect_eq(ntohs(u.sport), 5000);
	cr_expect_eq(ntohs(u.dport), 7);
	cr_expect_eq(u.ttl, 64);
}

Test(net, parse_ipv4_trailing_bytes_ignored)
{
	/* e.g. an FCS the NIC left on: four bytes after the datagram */
	struct hsk_net_udp u;

	load(cap_v4_udp, sizeof(cap_v4_udp));
	memcpy(buf + sizeof(cap_v4_udp), "\xde\xad\xbe\xef", 4);
	u = parse_ok(buf, sizeof(cap_v4_udp) + 4, false);
	check_cap_v4_udp(&u, buf, ETH);
}

Test(net, parse_ipv6_trailing_bytes_ignored)
{
	struct hsk_net_udp u;

	load(cap_v6_udp, sizeof(cap_v6_udp));
	memcpy(buf + sizeof(cap_v6_udp), "\xde\xad\xbe\xef", 4);
	u = parse_ok(buf, sizeof(cap_v6_udp) + 4, false);
	check_cap_v6_udp(&u, buf, ETH);
}

Test(net, parse_ipv4_udp_length_below_ip_payload_trims)
{
	/* UDP says 20 (12 bytes of payload), IP still says 45 */
	struct hsk_net_udp u;

	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 20 + 4, 20);
	ref_udp_fix(buf + ETH);
	u = parse_ok(buf, sizeof(cap_v4_udp), false);
	cr_expect_eq(u.payload_off, 42);
	cr_expect_eq(u.payload_len, 12);
	cr_expect_arr_eq(buf + u.payload_off, "hotsock:ipv4", 12);
}

Test(net, parse_ipv6_udp_length_below_ip_payload_trims)
{
	struct hsk_net_udp u;

	put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 40 + 4, 20);
	ref_udp_fix(buf + ETH);
	u = parse_ok(buf, sizeof(cap_v6_udp), false);
	cr_expect_eq(u.payload_off, 62);
	cr_expect_eq(u.payload_len, 12);
	cr_expect_arr_eq(buf + u.payload_off, "hotsock:ipv6", 12);
}

Test(net, parse_bytes_past_udp_length_not_checksummed)
{
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 20 + 4, 20);
	ref_udp_fix(buf + ETH);
	buf[sizeof(cap_v4_udp) - 1] ^= 0xff; /* inside IP, after UDP */
	parse_ok(buf, sizeof(cap_v4_udp), false);
}

Test(net, parse_ipv4_zero_udp_checksum_accepted)
{
	struct hsk_net_udp u =
		parse_ok(cap_v4_nocsum, sizeof(cap_v4_nocsum), false);

	cr_expect_eq(ntohs(u.dport), 9003);
	cr_expect_eq(u.payload_len, 14);
	cr_expect_arr_eq(cap_v4_nocsum + u.payload_off, "hotsock:nocsum", 14);
}

Test(net, parse_ipv6_zero_udp_checksum_bad_csum)
{
	expect(cap_v6_nocsum, sizeof(cap_v6_nocsum), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv6_zero_udp_checksum_bad_csum_even_if_device_checked)
{
	expect(cap_v6_nocsum, sizeof(cap_v6_nocsum), true, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv4_bad_udp_checksum)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[42] ^= 0x20; /* 'h' -> 'H' */
	cr_assert_not(ref_udp_ok(buf + ETH));
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv4_bad_udp_checksum_in_odd_last_byte)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[58] ^= 0x01; /* '!' -> ' ' */
	cr_assert_not(ref_udp_ok(buf + ETH));
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv6_bad_udp_checksum)
{
	load(cap_v6_udp, sizeof(cap_v6_udp))[62] ^= 0x20;
	cr_assert_not(ref_udp_ok(buf + ETH));
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv6_bad_udp_checksum_in_address)
{
	/* the pseudo header counts: change the destination address */
	load(cap_v6_udp, sizeof(cap_v6_udp))[ETH + 39] = 0x03;
	cr_assert_not(ref_udp_ok(buf + ETH));
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_ipv4_bad_header_checksum)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[ETH + 8] = 41; /* TTL */
	cr_assert_not(ref_ip4_ok(buf + ETH));
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_BAD_CSUM);
}

Test(net, parse_csum_ok_skips_udp_checksum)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[42] ^= 0x20;
	parse_ok(buf, sizeof(cap_v4_udp), true);
	load(cap_v6_udp, sizeof(cap_v6_udp))[62] ^= 0x20;
	parse_ok(buf, sizeof(cap_v6_udp), true);
}

Test(net, parse_csum_ok_skips_ipv4_header_checksum)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[ETH + 10] ^= 0x01;
	parse_ok(buf, sizeof(cap_v4_udp), true);
}

Test(net, parse_ipv4_offload_pseudo_header_checksum_accepted)
{
	/* net.h: a field holding just the pseudo-header sum is trusted */
	cr_assert_not(
		ref_udp_ok(load(cap_v4_partial, sizeof(cap_v4_partial)) + ETH));
	cr_assert_eq(be16(cap_v4_partial + 40),
		     ref_fold(ref_pseudo(cap_v4_partial + ETH, 23)));
	parse_ok(cap_v4_partial, sizeof(cap_v4_partial), HSK_NET_CSUM_LOCAL);
}

Test(net, parse_ipv6_offload_pseudo_header_checksum_accepted)
{
	cr_assert_not(
		ref_udp_ok(load(cap_v6_partial, sizeof(cap_v6_partial)) + ETH));
	cr_assert_eq(be16(cap_v6_partial + 60),
		     ref_fold(ref_pseudo(cap_v6_partial + ETH, 23)));
	parse_ok(cap_v6_partial, sizeof(cap_v6_partial), HSK_NET_CSUM_LOCAL);
}

Test(net, parse_offload_pseudo_header_checksum_off_a_local_link_bad_csum)
{
	expect(cap_v4_partial, sizeof(cap_v4_partial), 0, HSK_NET_BAD_CSUM);
	expect(cap_v6_partial, sizeof(cap_v6_partial), 0, HSK_NET_BAD_CSUM);
}

Test(net, parse_offload_checksum_for_other_addresses_bad_csum)
{
	/* the same field, but the frame is for another address */
	load(cap_v4_partial, sizeof(cap_v4_partial))[ETH + 19] = 3;
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_partial), HSK_NET_CSUM_LOCAL,
	       HSK_NET_BAD_CSUM);
	load(cap_v6_partial, sizeof(cap_v6_partial))[ETH + 39] = 3;
	expect(buf, sizeof(cap_v6_partial), HSK_NET_CSUM_LOCAL,
	       HSK_NET_BAD_CSUM);
}

/* --- parse: malformed --- */

Test(net, parse_truncated_ethernet_malformed)
{
	size_t len;

	for (len = 0; len < 14; len++)
		expect(cap_v4_udp, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_truncated_ethernet_not_addressed)
{
	/* net.h: @addressed is valid whatever the verdict */
	struct hsk_net_udp u;
	size_t len;

	for (len = 0; len < 14; len++) {
		cr_assert_eq(parse(cap_v4_udp, len, false, &u),
			     HSK_NET_MALFORMED);
		cr_assert_not(u.addressed, "len %zu", len);
	}
}

Test(net, parse_truncated_vlan_tag_malformed)
{
	size_t len;

	load_tagged(cap_v4_udp, sizeof(cap_v4_udp), VLAN_TCI);
	for (len = 14; len < 18; len++)
		expect(buf, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_truncated_ipv4_header_malformed)
{
	size_t len;

	for (len = ETH; len < ETH + 20; len++)
		expect(cap_v4_udp, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_truncated_ipv6_header_malformed)
{
	size_t len;

	for (len = ETH; len < ETH + 40; len++)
		expect(cap_v6_udp, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_ihl_below_5_malformed)
{
	unsigned int ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		load(cap_v4_udp, sizeof(cap_v4_udp));
		buf[ETH] = (uint8_t)(0x40 | ihl);
		expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
		expect(buf, sizeof(cap_v4_udp), true, HSK_NET_MALFORMED);
	}
}

Test(net, parse_ipv4_version_not_4_malformed)
{
	load(cap_v4_udp, sizeof(cap_v4_udp))[ETH] = 0x65;
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv6_version_not_6_malformed)
{
	load(cap_v6_udp, sizeof(cap_v6_udp))[ETH] = 0x4b;
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_frame_shorter_than_total_length_malformed)
{
	size_t len;

	/* every cut between the IP header and the end of the datagram */
	for (len = ETH + 20; len < sizeof(cap_v4_udp); len++)
		expect(cap_v4_udp, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_total_length_beyond_frame_malformed)
{
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 2, 46);
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
	expect(buf, sizeof(cap_v4_udp), true, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_total_length_below_header_malformed)
{
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 2, 19);
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv6_payload_length_beyond_frame_malformed)
{
	size_t len;

	put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 4, 28);
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_MALFORMED);
	for (len = ETH + 40; len < sizeof(cap_v6_udp); len++)
		expect(cap_v6_udp, len, false, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_udp_length_beyond_ip_payload_malformed)
{
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 20 + 4, 26);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
	expect(buf, sizeof(cap_v4_udp), true, HSK_NET_MALFORMED);
}

Test(net, parse_ipv6_udp_length_beyond_ip_payload_malformed)
{
	put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 40 + 4, 28);
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_MALFORMED);
	expect(buf, sizeof(cap_v6_udp), true, HSK_NET_MALFORMED);
}

Test(net, parse_udp_length_into_ethernet_padding_malformed)
{
	/* The padding is in the frame, but not in the IP datagram. */
	put16(load(hand_v4_padded, 60) + ETH + 20 + 4, 10);
	expect(buf, 60, true, HSK_NET_MALFORMED);
}

Test(net, parse_ipv4_udp_length_below_8_malformed)
{
	uint16_t ulen;

	for (ulen = 0; ulen < 8; ulen++) {
		put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 20 + 4,
		      ulen);
		expect(buf, sizeof(cap_v4_udp), true, HSK_NET_MALFORMED);
	}
}

Test(net, parse_ipv6_udp_length_below_8_malformed)
{
	uint16_t ulen;

	for (ulen = 1; ulen < 8; ulen++) {
		put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 40 + 4,
		      ulen);
		expect(buf, sizeof(cap_v6_udp), true, HSK_NET_MALFORMED);
	}
}

Test(net, parse_ipv6_udp_length_zero_malformed)
{
	/*
	 * RFC 2675: UDP length 0 only in a jumbogram, whose hop-by-hop
	 * header makes it OTHER. (Linux is laxer: __udp6_lib_rcv() reads
	 * a zero UDP length as "the rest of the IPv6 payload".)
	 */
	put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 40 + 4, 0);
	expect(buf, sizeof(cap_v6_udp), true, HSK_NET_MALFORMED);
}

Test(net, parse_ip_payload_shorter_than_udp_header_malformed)
{
	/* IPv4 total length 27: seven bytes of UDP header */
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 2, 27);
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_MALFORMED);
	/* IPv6 payload length 0 (not a jumbogram: next header is UDP) */
	put16(load(cap_v6_udp, sizeof(cap_v6_udp)) + ETH + 4, 0);
	expect(buf, sizeof(cap_v6_udp), false, HSK_NET_MALFORMED);
}

/* --- parse: not for the fast path --- */

Test(net, parse_ipv4_options_other)
{
	cr_assert(ref_ip4_ok(cap_v4_ra + ETH));
	expect(cap_v4_ra, sizeof(cap_v4_ra), false, HSK_NET_OTHER);
	expect(cap_v4_ra, sizeof(cap_v4_ra), true, HSK_NET_OTHER);
}

Test(net, parse_ipv4_first_fragment_other)
{
	/* MF set, offset 0: its UDP header claims 216 bytes */
	expect(cap_v4_frag_first, sizeof(cap_v4_frag_first), false,
	       HSK_NET_OTHER);
}

Test(net, parse_ipv4_last_fragment_other)
{
	/* MF clear, offset 144 */
	expect(cap_v4_frag_last, sizeof(cap_v4_frag_last), false,
	       HSK_NET_OTHER);
}

Test(net, parse_ipv4_fragment_offset_only_other)
{
	/* the smallest non-zero offset, MF clear, DF cleared */
	put16(load(cap_v4_udp, sizeof(cap_v4_udp)) + ETH + 6, 0x0001);
	ref_ip4_fix(buf + ETH);
	expect(buf, sizeof(cap_v4_udp), false, HSK_NET_OTHER);
}

Test(net, parse_ipv6_hop_by_hop_other)
{
	expect(cap_v6_hbh, sizeof(cap_v6_hbh), false, HSK_NET_OTHER);
}

Test(net, parse_ipv6_fragment_header_other)
{
	expect(cap_v6_frag, sizeof(cap_v6_frag), false, HSK_NET_OTHER);
}

Test(net, parse_arp_other)
{
	expect(cap_arp, sizeof(cap_arp), false, HSK_NET_OTHER);
}

Test(net, parse_tcp_other)
{
	cr_assert(ref_ip4_ok(cap_tcp_syn + ETH));
	expect(cap_tcp_syn, sizeof(cap_tcp_syn), false, HSK_NET_OTHER);
}

Test(net, parse_stacked_vlan_tags_other)
{
	/* 802.1Q in 802.1Q (one tag is all the fast path takes) */
	size_t len = load_tagged(cap_v4_udp, sizeof(cap_v4_udp), VLAN_TCI);
	uint8_t inner[sizeof(buf)];

	memcpy(inner, buf, len);
	len = load_tagged(inner, len, VLAN_TCI);
	expect(buf, len, false, HSK_NET_OTHER);
}

/* --- build --- */

#define HEADROOM 128u

static uint8_t mem[HEADROOM + 1472 + 64];

static void flow_init(struct hsk_net_flow *f, uint8_t family, uint16_t tci)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->ttl = 42;
	f->tos = 0xb8;
	f->vlan_tci = tci;
	f->sport = htons(40001);
	f->dport = htons(9001);
	if (family == AF_INET) {
		memcpy(&f->src.v4, ip4_a, 4);
		memcpy(&f->dst.v4, ip4_b, 4);
	} else {
		memcpy(&f->src.v6, ip6_a, 16);
		memcpy(&f->dst.v6, ip6_b, 16);
	}
	memcpy(f->src_mac, mac_a, 6);
	memcpy(f->dst_mac, mac_b, 6);
	f->ip_id = htons(0x1234);
}

static void round_trip(uint8_t family, uint16_t tci)
{
	static const uint16_t sizes[] = { 0, 1, 18, 1472 };
	static uint8_t want[1472];
	size_t l3 = 14 + (tci ? 4 : 0), i, j;
	size_t want_hl = l3 + (family == AF_INET ? 20 : 40) + 8;
	struct hsk_net_flow f;

	flow_init(&f, family, tci);
	cr_assert_eq(hsk_net_udp_hdr_len(&f), want_hl);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint16_t n = sizes[i];
		uint8_t *payload = mem + HEADROOM, *frame, *ip, *udp;
		struct hsk_net_udp u;

		memset(mem, 0xa5, sizeof(mem));
		fill(payload, n, n + 1u);
		memcpy(want, payload, n);
		frame = hsk_net_build_udp(&f, payload, n);
		cr_assert_eq(frame, payload - want_hl, "payload %u", n);
		for (j = 0; j < HEADROOM - want_hl; j++)
			cr_assert_eq(mem[j], 0xa5, "wrote before the frame");
		cr_assert_arr_eq(payload, want, n, "changed the payload");
		for (j = HEADROOM + n; j < sizeof(mem); j++)
			cr_assert_eq(mem[j], 0xa5, "wrote after the payload");

		/* the headers, read back with the reference */
		if (tci) {
			cr_expect_eq(be16(frame + 12), 0x8100);
			cr_expect_eq(be16(frame + 14), tci);
		}
		ip = frame + l3;
		udp = ip + (family == AF_INET ? 20 : 40);
		cr_expect_eq(be16(ip - 2), family == AF_INET ? 0x0800 : 0x86dd);
		if (family == AF_INET) {
			cr_expect_eq(ip[0], 0x45);
			cr_expect_eq(ip[1], 0xb8);
			cr_expect_eq(be16(ip + 2), 28 + n);
			cr_expect_eq(be16(ip + 4), 0x1234);
			cr_expect_eq(be16(ip + 6), 0x4000); /* DF */
			cr_expect_eq(ip[8], 42);
			cr_expect_eq(ip[9], 17);
			cr_expect(ref_ip4_ok(ip), "IPv4 header sum, payload %u",
				  n);
		} else {
			cr_expect_eq(be16(ip), 0x6b80); /* 6, class 0xb8 */
			cr_expect_eq(be16(ip + 2), 0);
			cr_expect_eq(be16(ip + 4), 8 + n);
			cr_expect_eq(ip[6], 17);
			cr_expect_eq(ip[7], 42);
		}
		cr_expect_eq(be16(udp + 4), 8 + n);
		cr_expect_neq(be16(udp + 6), 0);
		cr_expect(ref_udp_ok(ip), "UDP checksum, payload %u", n);

		/* and with the parser */
		u = parse_ok(frame, want_hl + n, false);
		cr_expect_eq(u.family, family);
		cr_expect_eq(u.ttl, 42);
		cr_expect_eq(u.tos, 0xb8);
		cr_expect_eq(u.has_vlan, tci != 0);
		cr_expect_eq(u.vlan_tci, tci);
		cr_expect_eq(u.l3_off, l3);
		cr_expect_eq(u.payload_off, want_hl);
		cr_expect_eq(u.payload_len, n);
		cr_expect_eq(u.sport, f.sport);
		cr_expect_eq(u.dport, f.dport);
		cr_expect_arr_eq(&u.src, &f.src, family == AF_INET ? 4 : 16);
		cr_expect_arr_eq(&u.dst, &f.dst, family == AF_INET ? 4 : 16);
	}
}

Test(net, build_parse_round_trip_ipv4)
{
	round_trip(AF_INET, 0);
}

Test(net, build_parse_round_trip_ipv4_vlan)
{
	round_trip(AF_INET, VLAN_TCI);
}

Test(net, build_parse_round_trip_ipv6)
{
	round_trip(AF_INET6, 0);
}

Test(net, build_parse_round_trip_ipv6_vlan)
{
	round_trip(AF_INET6, VLAN_TCI);
}

Test(net, build_ipv4_equals_kernel_frame)
{
	struct hsk_net_flow f;
	uint8_t *payload = mem + HEADROOM, *frame;

	flow_init(&f, AF_INET, 0);
	memcpy(&f.ip_id, cap_v4_udp + ETH + 4, 2);
	memcpy(payload, cap_v4_udp + 42, 17);
	frame = hsk_net_build_udp(&f, payload, 17);
	cr_assert_arr_eq(frame, cap_v4_udp, sizeof(cap_v4_udp));
}

Test(net, build_ipv6_equals_kernel_frame_but_flow_label)
{
	struct hsk_net_flow f;
	uint8_t *payload = mem + HEADROOM, *frame;

	flow_init(&f, AF_INET6, 0);
	f.sport = htons(40002);
	f.dport = htons(9002);
	memcpy(payload, cap_v6_udp + 62, 19);
	frame = hsk_net_build_udp(&f, payload, 19);
	/* the builder sends flow label 0; the kernel chose 0x2a9bc */
	load(cap_v6_udp, sizeof(cap_v6_udp));
	buf[ETH + 1] &= 0xf0;
	buf[ETH + 2] = 0;
	buf[ETH + 3] = 0;
	cr_assert_arr_eq(frame, buf, sizeof(cap_v6_udp));
}

/*
 * A payload whose UDP checksum comes out as zero: all but the last word
 * are set, and the last word brings the sum to 0xffff.
 */
static void zero_csum_payload(const struct hsk_net_flow *f, uint8_t *p,
			      uint16_t n)
{
	uint8_t ip[40] = { 0 }, udp[8];
	uint32_t sum;

	/* just what ref_pseudo() reads */
	if (f->family == AF_INET) {
		ip[0] = 0x45;
		memcpy(ip + 12, &f->src.v4, 4);
		memcpy(ip + 16, &f->dst.v4, 4);
	} else {
		ip[0] = 0x60;
		memcpy(ip + 8, &f->src.v6, 16);
		memcpy(ip + 24, &f->dst.v6, 16);
	}
	memcpy(udp, &f->sport, 2);
	memcpy(udp + 2, &f->dport, 2);
	put16(udp + 4, (uint16_t)(8 + n));
	put16(udp + 6, 0);
	fill(p, n - 2u, 7);
	sum = ref_pseudo(ip, 8u + n) + ref_sum(0, udp, 8);
	sum = ref_sum(sum, p, n - 2u);
	put16(p + n - 2, (uint16_t)(0xffff - ref_fold(sum)));
	cr_assert_eq(ref_csum(ref_sum(sum, p + n - 2, 2)), 0);
}

static void build_zero_csum(uint8_t family)
{
	struct hsk_net_flow f;
	uint8_t *payload = mem + HEADROOM, *frame, *ip;
	size_t hl;

	flow_init(&f, family, 0);
	zero_csum_payload(&f, payload, 18);
	frame = hsk_net_build_udp(&f, payload, 18);
	hl = hsk_net_udp_hdr_len(&f);
	ip = frame + ETH;
	cr_assert_eq(be16(frame + hl - 2), 0xffff);
	cr_assert(ref_udp_ok(ip));
	parse_ok(frame, hl + 18, false);
}

Test(net, build_ipv4_computed_zero_udp_checksum_sent_as_ffff)
{
	build_zero_csum(AF_INET);
}

Test(net, build_ipv6_computed_zero_udp_checksum_sent_as_ffff)
{
	build_zero_csum(AF_INET6);
}

Test(net, build_header_lengths)
{
	struct hsk_net_flow f;

	flow_init(&f, AF_INET, 0);
	cr_expect_eq(hsk_net_udp_hdr_len(&f), 42);
	flow_init(&f, AF_INET, VLAN_TCI);
	cr_expect_eq(hsk_net_udp_hdr_len(&f), 46);
	flow_init(&f, AF_INET6, 0);
	cr_expect_eq(hsk_net_udp_hdr_len(&f), 62);
	flow_init(&f, AF_INET6, VLAN_TCI);
	cr_expect_eq(hsk_net_udp_hdr_len(&f), 66);
}
