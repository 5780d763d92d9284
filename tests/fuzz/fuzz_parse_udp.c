// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/fuzz/fuzz_parse_udp.c - libFuzzer target for hsk_net_parse_udp().
 *
 * Every input is parsed as a received frame, with and without csum_ok.
 * Whatever the verdict, the parser must stay inside the frame (the input
 * is an exact-size heap block: ASan sees any overread). When the verdict
 * is HSK_NET_UDP, the result must agree with the frame's own bytes, read
 * here independently, and the headers hsk_net_build_udp() writes from the
 * parsed fields must parse back to the same datagram.
 *
 * Build and run: tests/fuzz/run.sh [seconds]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "ref_csum.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ref_pseudo(const uint8_t *ip, bool v6, uint32_t ulen)
{
	uint32_t sum = ref_sum(0, ip + (v6 ? 8 : 12), v6 ? 32 : 8);

	return sum + 17 + (ulen >> 16) + (ulen & 0xffff);
}

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* A parsed datagram against the bytes of @f. */
static void check_fields(const uint8_t *f, size_t len, bool csum_ok,
			 const struct hsk_net_udp *u)
{
	bool v6 = u->family == AF_INET6;
	size_t l3 = u->has_vlan ? 18 : 14;
	const uint8_t *ip = f + l3, *udp = ip + (v6 ? 40 : 20);
	uint16_t ulen, check;
	uint32_t pseudo;

	CHECK(u->family == AF_INET || u->family == AF_INET6);
	CHECK((size_t)u->payload_off + u->payload_len <= len);
	CHECK(u->l3_off == l3);
	CHECK(u->payload_off == l3 + (v6 ? 40 : 20) + 8);
	if (u->has_vlan) {
		CHECK(be16(f + 12) == 0x8100);
		CHECK(u->vlan_tci == be16(f + 14));
	}
	CHECK(be16(ip - 2) == (v6 ? 0x86dd : 0x0800));

	ulen = be16(udp + 4);
	CHECK(ulen == u->payload_len + 8);
	CHECK(memcmp(&u->sport, udp, 2) == 0);
	CHECK(memcmp(&u->dport, udp + 2, 2) == 0);
	if (v6) {
		CHECK(ip[0] >> 4 == 6);
		CHECK(ip[6] == 17);
		CHECK(ulen <= be16(ip + 4));
		CHECK(l3 + 40 + be16(ip + 4) <= len);
		CHECK(u->tos == (uint8_t)(be16(ip) >> 4));
		CHECK(u->ttl == ip[7]);
		CHECK(memcmp(&u->src.v6, ip + 8, 16) == 0);
		CHECK(memcmp(&u->dst.v6, ip + 24, 16) == 0);
	} else {
		CHECK(ip[0] == 0x45);
		CHECK(ip[9] == 17);
		CHECK((be16(ip + 6) & 0x3fff) == 0);
		CHECK(20u + ulen <= be16(ip + 2));
		CHECK(l3 + be16(ip + 2) <= len);
		CHECK(u->tos == ip[1]);
		CHECK(u->ttl == ip[8]);
		CHECK(memcmp(&u->src.v4, ip + 12, 4) == 0);
		CHECK(memcmp(&u->dst.v4, ip + 16, 4) == 0);
		if (!csum_ok)
			CHECK(ref_fold(ref_sum(0, ip, 20)) == 0xffff);
	}

	/* no checksum: IPv4 only; otherwise it verifies, or (net.h) holds
	 * just the pseudo-header sum that checksum offload leaves */
	check = be16(udp + 6);
	pseudo = ref_pseudo(ip, v6, ulen);
	if (!check)
		CHECK(!v6);
	else if (!csum_ok)
		CHECK(ref_fold(ref_sum(pseudo, udp, ulen)) == 0xffff ||
		      check == ref_fold(pseudo));
}

static bool same_udp(const struct hsk_net_udp *a, const struct hsk_net_udp *b)
{
	size_t alen = addr_len(a->family);

	return a->family == b->family && a->ttl == b->ttl && a->tos == b->tos &&
	       a->has_vlan == b->has_vlan && a->vlan_tci == b->vlan_tci &&
	       a->l3_off == b->l3_off && a->payload_off == b->payload_off &&
	       a->payload_len == b->payload_len && a->sport == b->sport &&
	       a->dport == b->dport && !memcmp(&a->src, &b->src, alen) &&
	       !memcmp(&a->dst, &b->dst, alen);
}

static uint8_t scratch[256 + 65536];

/* Headers built from @u in front of its payload parse back to @u. */
static void check_rebuild(const uint8_t *f, const struct hsk_net_udp *u)
{
	struct hsk_net_flow fl;
	struct hsk_net_udp r;
	uint8_t *payload = scratch + 256, *frame, *ip, *udp;
	size_t hl;
	enum hsk_net_verdict v;
	bool v6 = u->family == AF_INET6;

	memset(&fl, 0, sizeof(fl));
	fl.family = u->family;
	fl.ttl = u->ttl;
	fl.tos = u->tos;
	/* a tag with TCI 0 cannot be asked for: it is rebuilt untagged */
	fl.vlan_tci = u->has_vlan ? u->vlan_tci : 0;
	fl.sport = u->sport;
	fl.dport = u->dport;
	fl.src = u->src;
	fl.dst = u->dst;
	memcpy(fl.dst_mac, f, 6);
	memcpy(fl.src_mac, f + 6, 6);
	fl.ip_id = 0x3412;

	memset(scratch, 0x5a, sizeof(scratch));
	memcpy(payload, f + u->payload_off, u->payload_len);
	frame = hsk_net_build_udp(&fl, payload, u->payload_len);
	hl = hsk_net_udp_hdr_len(&fl);
	CHECK(frame == payload - hl);
	CHECK(hl == 14 + (fl.vlan_tci ? 4u : 0u) + (v6 ? 40u : 20u) + 8);

	/* checksums by the reference, in full (no offload leftovers) */
	ip = frame + 14 + (fl.vlan_tci ? 4 : 0);
	udp = ip + (v6 ? 40 : 20);
	if (!v6)
		CHECK(ref_fold(ref_sum(0, ip, 20)) == 0xffff);
	CHECK(be16(udp + 6) != 0);
	CHECK(ref_fold(ref_sum(ref_pseudo(ip, v6, u->payload_len + 8u), udp,
			       u->payload_len + 8u)) == 0xffff);

	v = hsk_net_parse_udp(frame, (uint32_t)(hl + u->payload_len), false,
			      &r);
	CHECK(v == HSK_NET_UDP);
	CHECK(r.family == u->family);
	CHECK(r.ttl == u->ttl);
	CHECK(r.tos == u->tos);
	CHECK(r.has_vlan == (fl.vlan_tci != 0));
	CHECK(r.vlan_tci == fl.vlan_tci);
	CHECK(r.sport == u->sport);
	CHECK(r.dport == u->dport);
	CHECK(memcmp(&r.src, &u->src, addr_len(u->family)) == 0);
	CHECK(memcmp(&r.dst, &u->dst, addr_len(u->family)) == 0);
	CHECK(memcmp(frame, f, 12) == 0); /* both MACs, as they came */
	CHECK(r.payload_off == hl);
	CHECK(r.payload_len == u->payload_len);
	CHECK(memcmp(frame + r.payload_off, f + u->payload_off,
		     u->payload_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hsk_net_udp u[2];
	enum hsk_net_verdict v[2];
	int i;

	if (size > UINT32_MAX)
		return 0;
	for (i = 0; i < 2; i++) {
		memset(&u[i], 0xee, sizeof(u[i]));
		v[i] = hsk_net_parse_udp(data, (uint32_t)size, i, &u[i]);
		CHECK(v[i] == HSK_NET_UDP || v[i] == HSK_NET_OTHER ||
		      v[i] == HSK_NET_MALFORMED || v[i] == HSK_NET_BAD_CSUM);
	}
	/* csum_ok only skips checks: it can turn BAD_CSUM into something
	 * else, and change nothing else */
	CHECK(v[0] == v[1] || v[0] == HSK_NET_BAD_CSUM);
	if (v[0] == HSK_NET_UDP)
		CHECK(same_udp(&u[0], &u[1]));
	for (i = 0; i < 2; i++) {
		uint8_t addressed;

		/* written whatever the verdict (read as a byte: a stale
		 * 0xee would be no bool at all) */
		memcpy(&addressed, &u[i].addressed, 1);
		CHECK(addressed <= 1);
		if (addressed)
			CHECK(u[i].family == AF_INET ||
			      u[i].family == AF_INET6);
		if (v[i] != HSK_NET_UDP)
			continue;
		CHECK(addressed);
		check_fields(data, size, i, &u[i]);
		check_rebuild(data, &u[i]);
	}
	return 0;
}
