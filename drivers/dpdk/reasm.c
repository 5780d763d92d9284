// SPDX-License-Identifier: BSD-3-Clause
/*
 * IPv4 and IPv6 reassembly for a port. DPDK 22.11's rte_ip_frag keeps at
 * most eight fragments per datagram (RTE_LIBRTE_IP_FRAG_MAX_FRAG), and a
 * 64 KiB datagram on a 1500-byte MTU comes in 45; so this keeps its own
 * small table: a bounded number of datagrams in progress, each with a
 * 64 KiB buffer and a bitmap of the 8-byte units received. The oldest
 * entry gives way when the table is full, and an entry whose fragments
 * stop coming expires, as the kernel's ipfrag_time does.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "dpdk.h"

#define REASM_SLOTS 8
#define REASM_MAX 65535u	    /* IP payload bytes */
#define REASM_TTL_NS 30000000000ull /* ipfrag_time: 30 s */
#define HDR_ROOM 128u		    /* Ethernet, VLAN, IP header */

struct reasm_entry {
	bool used;
	uint8_t family;
	uint8_t proto;
	uint32_t id;
	union hsk_net_addr src, dst;
	uint64_t born_ns;
	uint32_t total;	  /* payload length, known from the last fragment */
	uint32_t have;	  /* payload bytes received */
	uint16_t hdr_len; /* of the first fragment's headers, kept */
	uint8_t hdr[HDR_ROOM];
	uint8_t *buf; /* payload */
	uint64_t bits[REASM_MAX / 8 / 64 + 1];
};

struct dp_reasm {
	struct reasm_entry e[REASM_SLOTS];
	uint64_t expired, evicted;
};

struct dp_reasm *dp_reasm_new(void)
{
	struct dp_reasm *r = calloc(1, sizeof(*r));

	for (int i = 0; r && i < REASM_SLOTS; i++) {
		r->e[i].buf = malloc(REASM_MAX);
		if (!r->e[i].buf) {
			dp_reasm_free(r);
			return NULL;
		}
	}
	return r;
}

void dp_reasm_free(struct dp_reasm *r)
{
	for (int i = 0; r && i < REASM_SLOTS; i++)
		free(r->e[i].buf);
	free(r);
}

/* A fragment's identity and place, from its headers. */
struct frag_info {
	uint8_t family, proto;
	uint32_t id;
	union hsk_net_addr src, dst;
	uint32_t off, len; /* payload bytes of this fragment */
	bool more;
	uint16_t hdr_len;  /* Ethernet + IP (+ fragment header) */
	uint16_t keep_len; /* the headers a whole datagram keeps */
};

static bool frag_info(const uint8_t *f, uint32_t len, uint16_t l2,
		      struct frag_info *fi)
{
	const uint8_t *ip = f + l2;

	memset(fi, 0, sizeof(*fi));
	if ((ip[0] >> 4) == 4) {
		uint32_t ihl = (ip[0] & 0xfu) * 4u, tot;
		uint16_t fo;

		if (ihl < 20 || len < l2 + ihl)
			return false;
		tot = (uint32_t)ip[2] << 8 | ip[3];
		if (tot < ihl || l2 + tot > len)
			return false;
		fo = (uint16_t)(ip[6] << 8 | ip[7]);
		fi->family = AF_INET;
		fi->proto = ip[9];
		fi->id = (uint32_t)ip[4] << 8 | ip[5];
		memcpy(&fi->src.v4, ip + 12, 4);
		memcpy(&fi->dst.v4, ip + 16, 4);
		fi->off = (fo & 0x1fffu) * 8u;
		fi->more = fo & 0x2000u;
		fi->len = tot - ihl;
		fi->hdr_len = (uint16_t)(l2 + ihl);
		fi->keep_len = fi->hdr_len;
		return true;
	}
	/* IPv6 with the fragment header right after the fixed one. */
	if (len < l2 + 48u || ip[6] != IPPROTO_FRAGMENT)
		return false;
	uint32_t plen = (uint32_t)ip[4] << 8 | ip[5];
	const uint8_t *fh = ip + 40;

	if (plen < 8 || l2 + 40 + plen > len)
		return false;
	fi->family = AF_INET6;
	fi->proto = fh[0];
	fi->id = (uint32_t)fh[4] << 24 | (uint32_t)fh[5] << 16 |
		 (uint32_t)fh[6] << 8 | fh[7];
	memcpy(&fi->src.v6, ip + 8, 16);
	memcpy(&fi->dst.v6, ip + 24, 16);
	fi->off = (uint32_t)(fh[2] << 8 | (fh[3] & 0xf8u));
	fi->more = fh[3] & 1u;
	fi->len = plen - 8;
	fi->hdr_len = (uint16_t)(l2 + 48);
	fi->keep_len = (uint16_t)(l2 + 40);
	return true;
}

static bool same(const struct reasm_entry *e, const struct frag_info *fi)
{
	size_t al = fi->family == AF_INET ? 4 : 16;

	return e->used && e->family == fi->family && e->proto == fi->proto &&
	       e->id == fi->id && !memcmp(&e->src, &fi->src, al) &&
	       !memcmp(&e->dst, &fi->dst, al);
}

static struct reasm_entry *slot_for(struct dp_reasm *r,
				    const struct frag_info *fi, uint64_t now)
{
	struct reasm_entry *e, *oldest = NULL, *free_e = NULL;

	for (int i = 0; i < REASM_SLOTS; i++) {
		e = &r->e[i];
		if (e->used && now - e->born_ns > REASM_TTL_NS) {
			e->used = false;
			r->expired++;
		}
		if (same(e, fi))
			return e;
		if (!e->used && !free_e)
			free_e = e;
		if (e->used && (!oldest || e->born_ns < oldest->born_ns))
			oldest = e;
	}
	if (!free_e) {
		free_e = oldest;
		r->evicted++;
	}
	e = free_e;
	e->used = true;
	e->family = fi->family;
	e->proto = fi->proto;
	e->id = fi->id;
	e->src = fi->src;
	e->dst = fi->dst;
	e->born_ns = now;
	e->total = 0;
	e->have = 0;
	e->hdr_len = 0;
	memset(e->bits, 0, sizeof(e->bits));
	return e;
}

/* Marks 8-byte units [@off, @off + @len) received; false on overlap. */
static bool mark(struct reasm_entry *e, uint32_t off, uint32_t len)
{
	uint32_t first = off / 8, last = (off + len + 7) / 8;

	for (uint32_t u = first; u < last; u++)
		if (e->bits[u / 64] & (1ull << (u % 64)))
			return false;
	for (uint32_t u = first; u < last; u++)
		e->bits[u / 64] |= 1ull << (u % 64);
	return true;
}

bool dp_reasm_is_fragment(const uint8_t *f, uint32_t len, uint16_t et,
			  uint16_t l2)
{
	if (et == htons(0x0800) && len >= l2 + 20u)
		return (f[l2 + 6] & 0x3fu) || f[l2 + 7];
	return et == htons(0x86dd) && len >= l2 + 48u &&
	       f[l2 + 6] == IPPROTO_FRAGMENT;
}

uint32_t dp_reasm_input(struct dp_reasm *r, const uint8_t *f, uint32_t len,
			uint16_t l2, uint64_t now, uint8_t *out)
{
	struct frag_info fi;
	struct reasm_entry *e;
	uint8_t *ip;
	uint32_t whole;

	if (!frag_info(f, len, l2, &fi) || fi.off + fi.len > REASM_MAX ||
	    (fi.more && fi.len % 8))
		return 0;
	e = slot_for(r, &fi, now);
	if (!mark(e, fi.off, fi.len)) {
		e->used = false; /* overlapping fragments: drop them all */
		return 0;
	}
	memcpy(e->buf + fi.off, f + fi.hdr_len, fi.len);
	e->have += fi.len;
	if (!fi.more)
		e->total = fi.off + fi.len;
	if (!fi.off && fi.keep_len <= HDR_ROOM) {
		e->hdr_len = fi.keep_len;
		memcpy(e->hdr, f, fi.keep_len);
	}
	if (!e->total || e->have != e->total || !e->hdr_len)
		return 0;
	/* Whole: the first fragment's headers, lengths made whole. */
	e->used = false;
	whole = e->hdr_len + e->total;
	if (whole > MAX_FRAME)
		return 0;
	memcpy(out, e->hdr, e->hdr_len);
	memcpy(out + e->hdr_len, e->buf, e->total);
	ip = out + l2;
	if (fi.family == AF_INET) {
		uint32_t tot = (uint32_t)(e->hdr_len - l2) + e->total;
		struct rte_ipv4_hdr *h = (void *)ip;

		if (tot > 0xffff)
			return 0;
		h->total_length = htons((uint16_t)tot);
		h->fragment_offset = 0;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		if (e->total > 0xffff)
			return 0;
		ip[4] = (uint8_t)(e->total >> 8);
		ip[5] = (uint8_t)e->total;
		ip[6] = e->proto;
	}
	return whole;
}
