// SPDX-License-Identifier: BSD-3-Clause
/*
 * Ethernet / IPv4 / IPv6 / UDP: parse what arrives, build what leaves.
 *
 * Checksums are summed in memory order (as Linux's csum_partial): the
 * ones' complement sum does not care about byte order, so the folded
 * result can be stored into a header as it is.
 */
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "net.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_UDP_ 17
#define IP4_DF 0x4000
#define IP4_MF 0x2000
#define IP4_OFFSET 0x1fff

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ones' complement addition of 64-bit words: the carry goes around. */
static inline uint64_t add_wrap(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? r + 1 : r;
}

/*
 * The upper half of acc + (acc rotated by 32) is hi + lo with the carry
 * out of lo + hi already added back in: the end-around-carry fold in a
 * rotate, an add and a shift, not two rounds of masks.
 */
static inline uint32_t fold64(uint64_t acc)
{
	return (uint32_t)((acc + (acc >> 32 | acc << 32)) >> 32);
}

/*
 * Eight bytes per add with the carry wrapped around (as the kernel's
 * x86 csum_partial does with adc), and four independent words per turn of
 * the loop: a 64-byte datagram is a handful of instructions, not a loop of
 * 16-bit reads.
 */
static inline __attribute__((always_inline)) uint32_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum, w0, w1, w2, w3;

	for (; len >= 32; len -= 32, p += 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc = add_wrap(acc, w0);
		acc = add_wrap(acc, w1);
		acc = add_wrap(acc, w2);
		acc = add_wrap(acc, w3);
	}
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w0, p, 8);
		acc = add_wrap(acc, w0);
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		acc = add_wrap(acc, v);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		acc = add_wrap(acc, h);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd last byte is the high half of a big-endian word,
		 * which in memory order is where its address puts it. */
		uint16_t h = 0;

		memcpy(&h, p, 1);
		acc = add_wrap(acc, h);
	}
	return fold64(acc);
}

uint32_t hsk_csum_add(uint32_t sum, const void *data, size_t len)
{
	return csum_add(sum, data, len);
}

/* The same fold from 32 bits to 16, complemented. */
static inline uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~((sum + (sum >> 16 | sum << 16)) >> 16);
}

uint16_t hsk_csum_fold(uint32_t sum)
{
	return csum_fold(sum);
}

static inline __attribute__((always_inline)) uint32_t
csum_pseudo(uint8_t family, const union hsk_net_addr *src,
	    const union hsk_net_addr *dst, uint32_t udp_len)
{
	/*
	 * Protocol and length as big-endian words (IPv6's 32-bit form;
	 * IPv4's zero-padded 16-bit form sums the same): in memory order
	 * they are htonl() of each.
	 */
	uint64_t acc = (uint64_t)htonl(udp_len) + htonl(IPPROTO_UDP_);

	if (family == AF_INET)
		return fold64(acc + src->v4.s_addr + dst->v4.s_addr);
	return csum_add(csum_add(fold64(acc), src, 16), dst, 16);
}

uint32_t hsk_csum_pseudo(uint8_t family, const union hsk_net_addr *src,
			 const union hsk_net_addr *dst, uint32_t udp_len)
{
	return csum_pseudo(family, src, dst, udp_len);
}

/*
 * The parser's pieces are inlined into hsk_net_parse_udp(): the receive
 * path calls it once per frame, and calls between them cost as much as
 * the checks themselves.
 */
#define PARSE_INLINE static inline __attribute__((always_inline))

/* Checks the UDP header at @udp, inside an IP payload of @room bytes. */
PARSE_INLINE enum hsk_net_verdict parse_udp_hdr(const uint8_t *udp,
						uint32_t room,
						unsigned int csum,
						struct hsk_net_udp *out)
{
	uint16_t ulen, check, partial;
	uint32_t sum, pseudo;

	if (room < HSK_UDP_HLEN)
		return HSK_NET_MALFORMED;
	ulen = rd16(udp + 4);
	/* Shorter than the IP payload is legal: the kernel trims. */
	if (ulen < HSK_UDP_HLEN || ulen > room)
		return HSK_NET_MALFORMED;
	out->payload_len = ulen - HSK_UDP_HLEN;
	memcpy(&check, udp + 6, 2);
	if (!check)
		/* No checksum: allowed on IPv4, never on IPv6 (RFC 8200). */
		return out->family == AF_INET ? HSK_NET_UDP : HSK_NET_BAD_CSUM;
	if (csum & HSK_NET_CSUM_VERIFIED)
		return HSK_NET_UDP;
	pseudo = csum_pseudo(out->family, &out->src, &out->dst, ulen);
	sum = csum_add(pseudo, udp, ulen);
	if (csum_fold(sum) == 0)
		return HSK_NET_UDP;
	partial = (uint16_t)~csum_fold(pseudo);
	if ((csum & HSK_NET_CSUM_LOCAL) && check == partial)
		return HSK_NET_UDP;
	return HSK_NET_BAD_CSUM;
}

/*
 * Reads who a datagram is from and to before checking it, so that a
 * malformed or corrupt one can still be counted against its socket.
 */
PARSE_INLINE void identify(struct hsk_net_udp *out, int family,
			   const uint8_t *ip, uint32_t l4_off, uint32_t room)
{
	/* Fixed sizes per family: inline moves, not a memcpy call. */
	out->family = (uint8_t)family;
	if (family == AF_INET) {
		memcpy(&out->src.v4, ip + 12, 4);
		memcpy(&out->dst.v4, ip + 16, 4);
	} else {
		memcpy(&out->src.v6, ip + 8, 16);
		memcpy(&out->dst.v6, ip + 24, 16);
	}
	out->addressed = l4_off + 4 <= room;
	if (out->addressed) {
		memcpy(&out->sport, ip + l4_off, 2);
		memcpy(&out->dport, ip + l4_off + 2, 2);
	}
}

PARSE_INLINE enum hsk_net_verdict parse_ip4(const uint8_t *ip, uint32_t room,
					    unsigned int csum,
					    struct hsk_net_udp *out)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (room < HSK_IP4_HLEN || ip[0] >> 4 != 4)
		return HSK_NET_MALFORMED;
	ihl = (ip[0] & 0xfu) * 4;
	if (ihl < HSK_IP4_HLEN)
		return HSK_NET_MALFORMED;
	if (ip[9] == IPPROTO_UDP_)
		identify(out, AF_INET, ip, ihl, room);
	tot = rd16(ip + 2);
	if (tot < ihl || tot > room)
		return HSK_NET_MALFORMED;
	if (!(csum & HSK_NET_CSUM_VERIFIED) &&
	    csum_fold(ihl == HSK_IP4_HLEN ? csum_add(0, ip, HSK_IP4_HLEN) :
					    csum_add(0, ip, ihl)) != 0)
		return HSK_NET_BAD_CSUM;
	frag = rd16(ip + 6);
	/* Options, fragments and other protocols are the kernel's job. */
	if (ihl != HSK_IP4_HLEN || (frag & (IP4_MF | IP4_OFFSET)) ||
	    ip[9] != IPPROTO_UDP_)
		return HSK_NET_OTHER;
	out->tos = ip[1];
	out->ttl = ip[8];
	return parse_udp_hdr(ip + ihl, tot - ihl, csum, out);
}

PARSE_INLINE enum hsk_net_verdict parse_ip6(const uint8_t *ip, uint32_t room,
					    unsigned int csum,
					    struct hsk_net_udp *out)
{
	uint32_t plen;

	if (room < HSK_IP6_HLEN || ip[0] >> 4 != 6)
		return HSK_NET_MALFORMED;
	/* Extension headers (and jumbograms) are the kernel's job. */
	if (ip[6] != IPPROTO_UDP_)
		return HSK_NET_OTHER;
	identify(out, AF_INET6, ip, HSK_IP6_HLEN, room);
	plen = rd16(ip + 4);
	if (plen > room - HSK_IP6_HLEN)
		return HSK_NET_MALFORMED;
	out->tos = (uint8_t)(rd16(ip) >> 4);
	out->ttl = ip[7];
	return parse_udp_hdr(ip + HSK_IP6_HLEN, plen, csum, out);
}

enum hsk_net_verdict hsk_net_parse_udp(const void *frame, uint32_t len,
				       unsigned int csum,
				       struct hsk_net_udp *out)
{
	const uint8_t *p = frame;
	uint32_t l3 = HSK_ETH_HLEN;
	uint16_t type;
	enum hsk_net_verdict v;

	/* Set before any return: callers read it whatever the verdict. */
	out->addressed = false;
	if (len < HSK_ETH_HLEN)
		return HSK_NET_MALFORMED;
	type = rd16(p + 12);
	out->has_vlan = false;
	out->vlan_tci = 0;
	if (type == ETH_P_8021Q) {
		if (len < HSK_ETH_HLEN + HSK_VLAN_HLEN)
			return HSK_NET_MALFORMED;
		out->has_vlan = true;
		out->vlan_tci = rd16(p + 14);
		type = rd16(p + 16);
		l3 += HSK_VLAN_HLEN;
	}
	out->l3_off = (uint16_t)l3;
	if (type == ETH_P_IPV4)
		v = parse_ip4(p + l3, len - l3, csum, out);
	else if (type == ETH_P_IPV6)
		v = parse_ip6(p + l3, len - l3, csum, out);
	else
		return HSK_NET_OTHER;
	if (v == HSK_NET_UDP)
		out->payload_off =
			(uint16_t)(l3 +
				   (out->family == AF_INET ? HSK_IP4_HLEN :
							     HSK_IP6_HLEN) +
				   HSK_UDP_HLEN);
	return v;
}

size_t hsk_net_udp_hdr_len(const struct hsk_net_flow *f)
{
	return HSK_ETH_HLEN + (f->vlan_tci ? HSK_VLAN_HLEN : 0) +
	       (f->family == AF_INET ? HSK_IP4_HLEN : HSK_IP6_HLEN) +
	       HSK_UDP_HLEN;
}

void *hsk_net_build_udp(const struct hsk_net_flow *f, void *payload,
			uint16_t payload_len)
{
	uint8_t *frame = (uint8_t *)payload - hsk_net_udp_hdr_len(f);
	uint8_t *p = frame, *ip, *udp;
	uint16_t ulen = (uint16_t)(payload_len + HSK_UDP_HLEN), csum;
	uint32_t sum;

	memcpy(p, f->dst_mac, 6);
	memcpy(p + 6, f->src_mac, 6);
	p += 12;
	if (f->vlan_tci) {
		wr16(p, ETH_P_8021Q);
		wr16(p + 2, f->vlan_tci);
		p += 4;
	}
	wr16(p, f->family == AF_INET ? ETH_P_IPV4 : ETH_P_IPV6);
	ip = p + 2;
	if (f->family == AF_INET) {
		ip[0] = 0x45;
		ip[1] = f->tos;
		wr16(ip + 2, (uint16_t)(ulen + HSK_IP4_HLEN));
		memcpy(ip + 4, &f->ip_id, 2);
		wr16(ip + 6, IP4_DF);
		ip[8] = f->ttl;
		ip[9] = IPPROTO_UDP_;
		memset(ip + 10, 0, 2);
		memcpy(ip + 12, &f->src.v4, 4);
		memcpy(ip + 16, &f->dst.v4, 4);
		csum = csum_fold(csum_add(0, ip, HSK_IP4_HLEN));
		memcpy(ip + 10, &csum, 2);
		udp = ip + HSK_IP4_HLEN;
	} else {
		wr16(ip, (uint16_t)(0x6000 | f->tos << 4));
		wr16(ip + 2, 0);
		wr16(ip + 4, ulen);
		ip[6] = IPPROTO_UDP_;
		ip[7] = f->ttl;
		memcpy(ip + 8, &f->src.v6, 16);
		memcpy(ip + 24, &f->dst.v6, 16);
		udp = ip + HSK_IP6_HLEN;
	}
	memcpy(udp, &f->sport, 2);
	memcpy(udp + 2, &f->dport, 2);
	wr16(udp + 4, ulen);
	memset(udp + 6, 0, 2);
	sum = csum_pseudo(f->family, &f->src, &f->dst, ulen);
	csum = csum_fold(csum_add(sum, udp, ulen));
	/* A computed zero is sent as all ones: zero means "none". */
	if (!csum)
		csum = 0xffff;
	memcpy(udp + 6, &csum, 2);
	return frame;
}
