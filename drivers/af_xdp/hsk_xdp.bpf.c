// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hotsock's XDP program: redirect the frames hotsock's sockets own to the
 * AF_XDP socket of the receive queue, pass everything else to the kernel.
 *
 * A frame is hotsock's when an AF_PACKET socket of ours asked for its
 * ethertype (or for all), or when it is plain UDP (IPv4 without options or fragments,
 * IPv6 without extension headers) to a (family, address, port) in
 * hsk_flows, or to (family, any, port). Whatever is not certain goes to
 * the kernel: the library's shadow socket receives what the kernel keeps.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "hsk_xdp.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct hsk_flow_key);
	__type(value, __u32);
	__uint(max_entries, HSK_XDP_MAX_FLOWS);
} hsk_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, HSK_XDP_MAX_QUEUES);
} hsk_xsks SEC(".maps");

/* Ethertypes (network order) an AF_PACKET socket of ours takes; 0: all. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be16);
	__type(value, __u32);
	__uint(max_entries, HSK_XDP_MAX_PTYPES);
} hsk_ptypes SEC(".maps");

/* The process that attached this instance: a later process that finds it
 * attached and its owner gone may take its place. */
const volatile __u32 hsk_owner_pid = 0;

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline int to_xsk(struct xdp_md *ctx)
{
	/* A queue with no socket of ours falls back to the kernel. */
	return bpf_redirect_map(&hsk_xsks, ctx->rx_queue_index, XDP_PASS);
}

/*
 * A unicast or broadcast destination matches its own entry or the port's
 * wildcard. A multicast group matches only its own entry, added when a
 * socket joins: the kernel keeps the membership rules for the rest.
 */
static __always_inline int lookup(struct hsk_flow_key *k, int multicast)
{
	if (bpf_map_lookup_elem(&hsk_flows, k))
		return 1;
	if (multicast)
		return 0;
	__builtin_memset(k->addr, 0, sizeof(k->addr));
	return bpf_map_lookup_elem(&hsk_flows, k) != 0;
}

SEC("xdp")
int hsk_xdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct hsk_flow_key k = {};
	__be16 any = 0;
	int multicast;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	proto = eth->h_proto;
	/* A packet socket bound here takes its frames from the kernel: the
	 * interface is dedicated to it for those ethertypes. */
	if (bpf_map_lookup_elem(&hsk_ptypes, &any) ||
	    bpf_map_lookup_elem(&hsk_ptypes, &proto))
		return to_xsk(ctx);
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return XDP_PASS;
		proto = vh->proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return XDP_PASS;
		k.family = HSK_FLOW_IPV4;
		k.port = udp->dest;
		__builtin_memcpy(k.addr, &ip->daddr, 4);
		multicast = (k.addr[0] & 0xf0) == 0xe0;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct udphdr *udp = (void *)(ip6 + 1);

		if ((void *)(udp + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		k.family = HSK_FLOW_IPV6;
		k.port = udp->dest;
		__builtin_memcpy(k.addr, &ip6->daddr, 16);
		multicast = k.addr[0] == 0xff;
	} else {
		return XDP_PASS;
	}
	return lookup(&k, multicast) ? to_xsk(ctx) : XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
