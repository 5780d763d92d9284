// SPDX-License-Identifier: BSD-3-Clause
/*
 * tests/unit/ctrl.c - lib/net/ctrl: the control plane frame by frame.
 *
 * A control plane for 02:00:5e:00:00:01, 198.18.0.1/24 and 2001:2::1/64
 * whose transmit callback captures what it sends; time is what the test
 * says. The cap_* frames were sent by the Linux kernel (6.18) over a veth
 * pair between two private namespaces (hsk0 02:00:5e:00:00:01 198.18.0.1
 * 2001:2::1, its peer 02:00:5e:00:00:02 198.18.0.2 2001:2::2), transmit
 * checksum offload off, and captured with tcpdump on the peer's end: the
 * peer's requests are fed in and the kernel's own answers are what ours
 * must be, field for field. Checksums are checked by ref_*(), written
 * from RFC 1071 and sharing no code with lib/net.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "ctrl.h"
#include "ref_csum.h"

/* --- captured frames --- */

/* clang-format off */

/* who-has 198.18.0.1 tell 198.18.0.2, broadcast */
static const uint8_t cap_arp_request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x01,
	0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12,
	0x00, 0x01,
};

/* the kernel's answer: 198.18.0.1 is-at 02:00:5e:00:00:01 */
static const uint8_t cap_arp_reply[42] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x01,
	0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01,
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0xc6, 0x12,
	0x00, 0x02,
};

/* ping 198.18.0.2 -> 198.18.0.1, seq 1, 20 bytes of the pattern "hotsock" */
static const uint8_t cap_echo4_request[62] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x30, 0x5b, 0x71, 0x40, 0x00, 0x40, 0x01,
	0x53, 0x34, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12,
	0x00, 0x01, 0x08, 0x00, 0xe3, 0xad, 0x5a, 0xdf,
	0x00, 0x01, 0xcb, 0x5d, 0x0c, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0xfc, 0xd1, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x74, 0x73, 0x6f, 0x63,
};

/* the kernel's echo reply (IP id 9207, no DF) */
static const uint8_t cap_echo4_reply[62] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x30, 0x89, 0xeb, 0x00, 0x00, 0x40, 0x01,
	0x64, 0xba, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x00, 0x00, 0xeb, 0xad, 0x5a, 0xdf,
	0x00, 0x01, 0xcb, 0x5d, 0x0c, 0x6b, 0x00, 0x00,
	0x00, 0x00, 0xfc, 0xd1, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x74, 0x73, 0x6f, 0x63,
};

/* 2001:2::2 -> ff02::1:ff00:1: who has 2001:2::1, source link-layer option */
static const uint8_t cap_ns[86] = {
	0x33, 0x33, 0xff, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60, 0x00,
	0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xff, 0x00, 0x00, 0x01, 0x87, 0x00,
	0xd9, 0x92, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01,
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02,
};

/* the kernel's answer: solicited, override, target link-layer option */
static const uint8_t cap_na[86] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x00,
	0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x88, 0x00,
	0x55, 0x95, 0x60, 0x00, 0x00, 0x00, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x01,
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x01,
};

/* ping -6 2001:2::2 -> 2001:2::1, seq 1, 20 bytes of pattern */
static const uint8_t cap_echo6_request[82] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60, 0x00,
	0xea, 0xde, 0x00, 0x1c, 0x3a, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00,
	0x2e, 0xbd, 0x5a, 0xe1, 0x00, 0x01, 0xcb, 0x5d,
	0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x60,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x74, 0x73,
	0x6f, 0x63,
};

/* the kernel's echo reply (its own flow label) */
static const uint8_t cap_echo6_reply[82] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x02,
	0xdf, 0x1e, 0x00, 0x1c, 0x3a, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x81, 0x00,
	0x2d, 0xbd, 0x5a, 0xe1, 0x00, 0x01, 0xcb, 0x5d,
	0x0c, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x60,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x74, 0x73,
	0x6f, 0x63,
};

/* 198.18.0.2:40001 -> 198.18.0.1:9 (no socket there), DF, "hotsock:unreach4" */
static const uint8_t cap_udp4[58] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0x5f, 0xe5, 0x40, 0x00, 0x40, 0x11,
	0x4e, 0xb4, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12,
	0x00, 0x01, 0x9c, 0x41, 0x00, 0x09, 0x00, 0x18,
	0x6e, 0x5f, 0x68, 0x6f, 0x74, 0x73, 0x6f, 0x63,
	0x6b, 0x3a, 0x75, 0x6e, 0x72, 0x65, 0x61, 0x63,
	0x68, 0x34,
};

/* the kernel's port unreachable: TOS 0xc0, TTL 64, no DF, quoting all 44 bytes */
static const uint8_t cap_unreach4[86] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0xc0,
	0x00, 0x48, 0x8a, 0x7e, 0x00, 0x00, 0x40, 0x01,
	0x63, 0x4f, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12,
	0x00, 0x02, 0x03, 0x03, 0x89, 0x4e, 0x00, 0x00,
	0x00, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x5f, 0xe5,
	0x40, 0x00, 0x40, 0x11, 0x4e, 0xb4, 0xc6, 0x12,
	0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x9c, 0x41,
	0x00, 0x09, 0x00, 0x18, 0x6e, 0x5f, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x75, 0x6e,
	0x72, 0x65, 0x61, 0x63, 0x68, 0x34,
};

/* [2001:2::2]:40001 -> [2001:2::1]:9, "hotsock:unreach6" */
static const uint8_t cap_udp6[78] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60, 0x0f,
	0xdd, 0x74, 0x00, 0x18, 0x11, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x41,
	0x00, 0x09, 0x00, 0x18, 0xba, 0x7c, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x75, 0x6e,
	0x72, 0x65, 0x61, 0x63, 0x68, 0x36,
};

/* the kernel's port unreachable, quoting all 64 bytes */
static const uint8_t cap_unreach6[126] = {
	0x02, 0x00, 0x5e, 0x00, 0x00, 0x02, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x09,
	0xb9, 0x92, 0x00, 0x48, 0x3a, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x04,
	0x6f, 0xbd, 0x00, 0x00, 0x00, 0x00, 0x60, 0x0f,
	0xdd, 0x74, 0x00, 0x18, 0x11, 0x40, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x41,
	0x00, 0x09, 0x00, 0x18, 0xba, 0x7c, 0x68, 0x6f,
	0x74, 0x73, 0x6f, 0x63, 0x6b, 0x3a, 0x75, 0x6e,
	0x72, 0x65, 0x61, 0x63, 0x68, 0x36,
};

/* 198.18.0.1 joins 239.1.2.3: IGMPv3 report, TO_EX, RA option, TTL 1, DF, id 0 */
static const uint8_t cap_igmp_join[54] = {
	0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x08, 0x00, 0x46, 0xc0,
	0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x01, 0x02,
	0x3d, 0xe6, 0xc6, 0x12, 0x00, 0x01, 0xe0, 0x00,
	0x00, 0x16, 0x94, 0x04, 0x00, 0x00, 0x22, 0x00,
	0xe8, 0xf9, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00,
	0x00, 0x00, 0xef, 0x01, 0x02, 0x03,
};

/* fe80::5eff:fe00:1 joins ff15::1:2: MLDv2 report, TO_EX, hop-by-hop RA, hop limit 1 */
static const uint8_t cap_mld_join[90] = {
	0x33, 0x33, 0x00, 0x00, 0x00, 0x16, 0x02, 0x00,
	0x5e, 0x00, 0x00, 0x01, 0x86, 0xdd, 0x60, 0x00,
	0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x5e, 0xff, 0xfe, 0x00, 0x00, 0x01, 0xff, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00,
	0x05, 0x02, 0x00, 0x00, 0x01, 0x00, 0x8f, 0x00,
	0x12, 0xf4, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00,
	0x00, 0x00, 0xff, 0x15, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x02,
};

/* clang-format on */

#define SEC 1000000000ull
#define T0 (1000 * SEC) /* an arbitrary start of time */
#define WAIT SEC	/* resolve_wait_ns */
#define TTL (30 * SEC)	/* neigh_ttl_ns */
#define CAP_MAX 128
#define FRAME_MAX 2048
/* offsets in an untagged frame */
#define IP4 14
#define IP6 14
#define ICMP4 34
#define ICMP6 54

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0xfe };

static struct {
	unsigned int n;
	bool fail;
	size_t len[CAP_MAX];
	uint8_t f[CAP_MAX][FRAME_MAX];
} out;
static struct hsk_ctrl_cfg cfg;
static struct hsk_ctrl *ctrl;

static int capture(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	cr_assert_lt(out.n, CAP_MAX, "too many frames sent");
	cr_assert_leq(len, FRAME_MAX);
	if (out.fail)
		return -1;
	memcpy(out.f[out.n], frame, len);
	out.len[out.n++] = len;
	return 0;
}

static void in4(const char *s, struct in_addr *a)
{
	cr_assert_eq(inet_pton(AF_INET, s, a), 1, "bad address %s", s);
}

static void in6(const char *s, struct in6_addr *a)
{
	cr_assert_eq(inet_pton(AF_INET6, s, a), 1, "bad address %s", s);
}

static union hsk_net_addr a4(const char *s)
{
	union hsk_net_addr a;

	memset(&a, 0, sizeof(a));
	in4(s, &a.v4);
	return a;
}

static union hsk_net_addr a6(const char *s)
{
	union hsk_net_addr a;

	in6(s, &a.v6);
	return a;
}

static void start(void)
{
	ctrl = hsk_ctrl_new(&cfg);
	cr_assert_not_null(ctrl, "hsk_ctrl_new: %s", strerror(errno));
}

static void init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, mac_us, 6);
	cfg.mtu = 1500;
	in4("198.18.0.1", &cfg.ip4);
	cfg.prefix4 = 24;
	in6("2001:2::1", &cfg.ip6);
	cfg.prefix6 = 64;
	cfg.resolve_wait_ns = WAIT;
	cfg.neigh_ttl_ns = TTL;
	cfg.xmit = capture;
	start();
}

/* A control plane with @cfg as the test changed it. */
static void restart(void)
{
	hsk_ctrl_free(ctrl);
	start();
}

static void fini(void)
{
	hsk_ctrl_free(ctrl);
	ctrl = NULL;
}

#define CTRL_TEST(suite, name) Test(suite, name, .init = init, .fini = fini)

static struct hsk_ctrl_stats stats(void)
{
	struct hsk_ctrl_stats st;

	hsk_ctrl_stats(ctrl, &st);
	return st;
}

/* Offers a copy of exactly @len bytes: a read past the end trips ASan. */
static enum hsk_ctrl_verdict feed(const void *frame, size_t len, uint64_t now)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum hsk_ctrl_verdict v;

	cr_assert_not_null(copy);
	memcpy(copy, frame, len);
	v = hsk_ctrl_input(ctrl, copy, len, now);
	free(copy);
	return v;
}

static void unreachable(const void *frame, size_t len)
{
	uint8_t *copy = malloc(len);

	cr_assert_not_null(copy);
	memcpy(copy, frame, len);
	hsk_ctrl_port_unreachable(ctrl, copy, len);
	free(copy);
}

/* The IPv6 pseudo-header (RFC 8200 8.1). */
static uint32_t ref_pseudo6(const uint8_t *ip6, uint32_t len, uint8_t proto)
{
	return ref_sum(0, ip6 + 8, 32) + (len >> 16) + (len & 0xffff) + proto;
}

static void put_csum(uint8_t *at, uint16_t sum)
{
	at[0] = (uint8_t)(sum >> 8);
	at[1] = (uint8_t)sum;
}

static void fix_ip4(uint8_t *f)
{
	size_t ihl = (f[IP4] & 0xfu) * 4;

	put_csum(f + IP4 + 10, 0);
	put_csum(f + IP4 + 10, ref_csum(ref_sum(0, f + IP4, ihl)));
}

/* ICMP or IGMP after an IPv4 header (with its options). */
static void fix_inet4(uint8_t *f)
{
	size_t ihl = (f[IP4] & 0xfu) * 4;
	size_t len = (size_t)(f[IP4 + 2] << 8 | f[IP4 + 3]) - ihl;
	uint8_t *m = f + IP4 + ihl;

	put_csum(m + 2, 0);
	put_csum(m + 2, ref_csum(ref_sum(0, m, len)));
	fix_ip4(f);
}

/* ICMPv6 at @off, to the end of the IPv6 payload. */
static void fix_icmp6_at(uint8_t *f, size_t off)
{
	uint32_t end = IP6 + 40 + (uint32_t)(f[IP6 + 4] << 8 | f[IP6 + 5]);
	uint32_t len = end - (uint32_t)off;

	put_csum(f + off + 2, 0);
	put_csum(f + off + 2, ref_csum(ref_sum(ref_pseudo6(f + IP6, len, 58),
					       f + off, len)));
}

static void fix_icmp6(uint8_t *f)
{
	fix_icmp6_at(f, ICMP6);
}

static void assert_ip4_ok(const uint8_t *f)
{
	size_t ihl = (f[IP4] & 0xfu) * 4;
	size_t len = (size_t)(f[IP4 + 2] << 8 | f[IP4 + 3]) - ihl;

	cr_assert_eq(ref_csum(ref_sum(0, f + IP4, ihl)), 0,
		     "bad IPv4 header checksum");
	cr_assert_eq(ref_csum(ref_sum(0, f + IP4 + ihl, len)), 0,
		     "bad ICMP/IGMP checksum");
}

static void assert_icmp6_ok_at(const uint8_t *f, size_t off)
{
	uint32_t end = IP6 + 40 + (uint32_t)(f[IP6 + 4] << 8 | f[IP6 + 5]);
	uint32_t len = end - (uint32_t)off;

	cr_assert_eq(
		ref_csum(ref_sum(ref_pseudo6(f + IP6, len, 58), f + off, len)),
		0, "bad ICMPv6 checksum");
}

static void assert_bytes(const uint8_t *got, size_t got_len,
			 const uint8_t *want, size_t want_len)
{
	cr_assert_eq(got_len, want_len, "frame of %zu bytes, expected %zu",
		     got_len, want_len);
	for (size_t i = 0; i < want_len; i++)
		cr_assert_eq(got[i], want[i],
			     "byte %zu is 0x%02x, expected 0x%02x", i, got[i],
			     want[i]);
}

/* Frame @i is @want, except @n bytes at @skip (the kernel's choices). */
static void assert_sent(unsigned int i, const uint8_t *want, size_t len,
			size_t skip, size_t n)
{
	uint8_t w[FRAME_MAX];

	cr_assert_lt(i, out.n, "frame %u was not sent (%u were)", i, out.n);
	cr_assert_leq(len, sizeof(w));
	memcpy(w, want, len);
	if (n && skip + n <= out.len[i])
		memcpy(w + skip, out.f[i] + skip, n);
	assert_bytes(out.f[i], out.len[i], w, len);
}

/* An IPv4 frame is @want but for its identification and so checksum. */
static void assert_sent_ip4(unsigned int i, const uint8_t *want, size_t len)
{
	uint8_t w[FRAME_MAX];

	cr_assert_lt(i, out.n);
	assert_ip4_ok(out.f[i]);
	memcpy(w, want, len);
	memcpy(w + IP4 + 4, out.f[i] + IP4 + 4, 2);
	memcpy(w + IP4 + 10, out.f[i] + IP4 + 10, 2);
	assert_bytes(out.f[i], out.len[i], w, len);
}

/* An IPv6 frame is @want but for its flow label (checksum asserted). */
static void assert_sent_ip6(unsigned int i, const uint8_t *want, size_t len)
{
	cr_assert_lt(i, out.n);
	assert_icmp6_ok_at(out.f[i], ICMP6);
	cr_assert_eq(out.f[i][IP6 + 1] & 0xf0, want[IP6 + 1] & 0xf0,
		     "traffic class");
	assert_sent(i, want, len, IP6 + 1, 3);
}

/* --- frames the tests make --- */

/* An ARP packet from the peer. */
static size_t peer_arp(uint8_t *f, uint16_t op, const uint8_t *eth_dst,
		       const char *spa, const uint8_t *sha, const char *tpa)
{
	struct in_addr s, t;

	memcpy(f, cap_arp_request, sizeof(cap_arp_request));
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, sha, 6);
	f[21] = (uint8_t)op;
	memcpy(f + 22, sha, 6);
	in4(spa, &s);
	memcpy(f + 28, &s, 4);
	memset(f + 32, 0, 6);
	if (op == 2)
		memcpy(f + 32, mac_us, 6);
	in4(tpa, &t);
	memcpy(f + 38, &t, 4);
	return sizeof(cap_arp_request);
}

/* The ARP request we send for @target: the peer's, the other way. */
static size_t our_arp_request(uint8_t *f, const uint8_t *eth_dst,
			      const char *target)
{
	struct in_addr t;

	memcpy(f, cap_arp_request, sizeof(cap_arp_request));
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, mac_us, 6);
	memcpy(f + 22, mac_us, 6);
	memcpy(f + 28, &cfg.ip4, 4);
	in4(target, &t);
	memcpy(f + 38, &t, 4);
	return sizeof(cap_arp_request);
}

/* A neighbour advertisement from the peer for @target. */
static size_t peer_na(uint8_t *f, const char *target, const uint8_t *tlla,
		      uint8_t flags)
{
	struct in6_addr t;

	memcpy(f, cap_na, sizeof(cap_na));
	memcpy(f, mac_us, 6);
	memcpy(f + 6, mac_peer, 6);
	in6("2001:2::2", &t);
	memcpy(f + IP6 + 8, &t, 16);
	memcpy(f + IP6 + 24, &cfg.ip6, 16);
	f[ICMP6 + 4] = flags;
	in6(target, &t);
	memcpy(f + ICMP6 + 8, &t, 16);
	memcpy(f + ICMP6 + 26, tlla, 6);
	fix_icmp6(f);
	return sizeof(cap_na);
}

/* A frame to hold: a UDP datagram as a backend would build, no MAC yet. */
static size_t held_frame(uint8_t *f, uint8_t seed)
{
	memcpy(f, cap_udp4, sizeof(cap_udp4));
	memset(f, 0, 6);
	memcpy(f + 6, mac_us, 6);
	f[sizeof(cap_udp4) - 1] = seed;
	return sizeof(cap_udp4);
}

/*
 * An IGMPv3 query, or an IGMPv2 one (v1 with @max_code 0) when not @v3,
 * from 198.18.0.254 about @group (0.0.0.0: general).
 */
static size_t igmp_query(uint8_t *f, const char *group, uint8_t max_code,
			 bool v3)
{
	static const uint8_t hdr[] = {
		0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x00,
		0x00, 0xfe, 0x08, 0x00, 0x46, 0xc0, 0x00, 0x24, 0x00, 0x00,
		0x40, 0x00, 0x01, 0x02, 0x00, 0x00, 0xc6, 0x12, 0x00, 0xfe,
		0xe0, 0x00, 0x00, 0x01, 0x94, 0x04, 0x00, 0x00,
	};
	uint8_t *m = f + sizeof(hdr);
	struct in_addr g;

	memcpy(f, hdr, sizeof(hdr));
	memset(m, 0, 12);
	m[0] = 0x11;
	m[1] = max_code;
	in4(group, &g);
	memcpy(m + 4, &g, 4);
	m[8] = 2;   /* QRV */
	m[9] = 125; /* QQIC */
	if (!v3)
		put_csum(f + IP4 + 2, 24 + 8);
	fix_inet4(f);
	return sizeof(hdr) + (v3 ? 12 : 8);
}

/* An MLDv2 (or v1) query from fe80::1 with @hlim about @group (::). */
static size_t mld_query(uint8_t *f, const char *group, uint16_t max_ms,
			uint8_t hlim, bool v2)
{
	static const uint8_t hdr[] = {
		0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x5e,
		0x00, 0x00, 0xfe, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00,
		0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
	};
	uint8_t *m = f + sizeof(hdr);
	struct in6_addr g;

	memcpy(f, hdr, sizeof(hdr));
	f[IP6 + 7] = hlim;
	memset(m, 0, 28);
	m[0] = 130;
	put_csum(m + 4, max_ms);
	in6(group, &g);
	memcpy(m + 8, &g, 16);
	m[24] = 2;
	m[25] = 125;
	put_csum(f + IP6 + 4, 8 + (v2 ? 28 : 24));
	fix_icmp6_at(f, sizeof(hdr));
	return sizeof(hdr) + (v2 ? 28 : 24);
}

static int next_hop(int family, const char *dst, uint8_t mac[6],
		    const void *frame, size_t len, uint64_t now)
{
	union hsk_net_addr a = family == AF_INET ? a4(dst) : a6(dst);

	return hsk_ctrl_next_hop(ctrl, family, &a, mac, frame, len, now);
}

static void learn_peer4(uint64_t now)
{
	uint8_t f[64];
	size_t n = peer_arp(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
			    "198.18.0.2", mac_peer, "198.18.0.1");

	cr_assert_eq(feed(f, n, now), HSK_CTRL_CONSUMED);
	out.n = 0;
}

/* --- ARP --- */

CTRL_TEST(arp, request_for_our_address_is_answered_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_arp_request, sizeof(cap_arp_request), T0),
		     HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	assert_sent(0, cap_arp_reply, sizeof(cap_arp_reply), 0, 0);
	cr_assert_eq(stats().arp_in, 1);
	cr_assert_eq(stats().arp_out, 1);
}

CTRL_TEST(arp, request_teaches_the_sender)
{
	uint8_t mac[6];

	feed(cap_arp_request, sizeof(cap_arp_request), T0);
	out.n = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_peer, 6);
	cr_assert_eq(out.n, 0, "asked for a neighbour it knows");
}

CTRL_TEST(arp, request_for_another_address_is_neither_answered_nor_learned)
{
	uint8_t f[64], mac[6];
	size_t n = peer_arp(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
			    "198.18.0.2", mac_peer, "198.18.0.9");

	feed(f, n, T0);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 1);
}

CTRL_TEST(arp, probe_from_unspecified_sender_is_answered)
{
	uint8_t f[64];
	size_t n = peer_arp(f, 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
			    "0.0.0.0", mac_peer, "198.18.0.1");

	feed(f, n, T0);
	cr_assert_eq(out.n, 1);
	cr_assert_arr_eq(out.f[0], mac_peer, 6);
	cr_assert_arr_eq(out.f[0] + 38, "\0\0\0\0", 4, "target 0.0.0.0");
}

CTRL_TEST(arp, padded_request_is_answered)
{
	uint8_t f[60] = { 0 };

	memcpy(f, cap_arp_request, sizeof(cap_arp_request));
	feed(f, sizeof(f), T0);
	assert_sent(0, cap_arp_reply, sizeof(cap_arp_reply), 0, 0);
}

CTRL_TEST(arp, announce_is_a_gratuitous_request)
{
	uint8_t want[64];
	size_t n = our_arp_request(want,
				   (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
				   "198.18.0.1");

	hsk_ctrl_announce(ctrl, T0);
	assert_sent(0, want, n, 0, 0);
}

/* --- resolving next hops --- */

CTRL_TEST(resolve, unknown_neighbour_is_asked_by_broadcast)
{
	uint8_t mac[6], want[64];
	size_t n = our_arp_request(want,
				   (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
				   "198.18.0.2");

	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 1);
	cr_assert_eq(out.n, 1);
	assert_sent(0, want, n, 0, 0);
}

CTRL_TEST(resolve, held_frames_go_out_in_order_when_the_reply_comes)
{
	uint8_t a[64], b[64], reply[64], mac[6];
	size_t la = held_frame(a, 1), lb = held_frame(b, 2);
	size_t lr = peer_arp(reply, 2, mac_us, "198.18.0.2", mac_peer,
			     "198.18.0.1");

	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, a, la, T0), 1);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, b, lb, T0), 1);
	cr_assert_eq(out.n, 1, "asked once");
	cr_assert_eq(feed(reply, lr, T0 + 1000), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 3);
	memcpy(a, mac_peer, 6);
	memcpy(b, mac_peer, 6);
	assert_sent(1, a, la, 0, 0);
	assert_sent(2, b, lb, 0, 0);
	cr_assert_eq(stats().held, 2);
	cr_assert_eq(stats().held_sent, 2);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_peer, 6);
}

CTRL_TEST(resolve, three_tries_then_ehostunreach_and_held_frames_dropped)
{
	uint8_t a[64], mac[6];
	size_t la = held_frame(a, 1);

	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, a, la, T0), 1);
	hsk_ctrl_tick(ctrl, T0 + WAIT - 1);
	cr_assert_eq(out.n, 1, "retried early");
	hsk_ctrl_tick(ctrl, T0 + WAIT);
	cr_assert_eq(out.n, 2, "no second try");
	hsk_ctrl_tick(ctrl, T0 + 2 * WAIT);
	cr_assert_eq(out.n, 3, "no third try");
	cr_assert_eq(stats().held_dropped, 0);
	hsk_ctrl_tick(ctrl, T0 + 3 * WAIT);
	cr_assert_eq(out.n, 3, "a fourth try");
	cr_assert_eq(stats().held_dropped, 1);
	cr_assert_eq(stats().held_sent, 0);
	errno = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, a, la, T0 + 3 * WAIT),
		     -1);
	cr_assert_eq(errno, EHOSTUNREACH);
}

CTRL_TEST(resolve, failed_neighbour_is_asked_again_later)
{
	uint8_t mac[6];

	next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0);
	for (unsigned int i = 1; i <= 4; i++)
		hsk_ctrl_tick(ctrl, T0 + i * WAIT);
	out.n = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0,
			      T0 + 4 * WAIT),
		     1);
	cr_assert_eq(out.n, 1, "no new request");
}

CTRL_TEST(resolve, off_link_destination_goes_to_the_gateway)
{
	uint8_t mac[6], want[64], reply[64];
	size_t n = our_arp_request(want,
				   (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
				   "198.18.0.254");
	size_t lr = peer_arp(reply, 2, mac_us, "198.18.0.254", mac_gw,
			     "198.18.0.1");

	in4("198.18.0.254", &cfg.gw4);
	restart();
	cr_assert_eq(next_hop(AF_INET, "198.19.7.7", mac, NULL, 0, T0), 1);
	assert_sent(0, want, n, 0, 0);
	feed(reply, lr, T0);
	cr_assert_eq(next_hop(AF_INET, "198.19.7.7", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_gw, 6);
}

CTRL_TEST(resolve, off_link_without_gateway_is_ehostunreach)
{
	uint8_t mac[6];

	errno = 0;
	cr_assert_eq(next_hop(AF_INET, "198.19.7.7", mac, NULL, 0, T0), -1);
	cr_assert_eq(errno, EHOSTUNREACH);
	errno = 0;
	cr_assert_eq(next_hop(AF_INET6, "2001:2:1::7", mac, NULL, 0, T0), -1);
	cr_assert_eq(errno, EHOSTUNREACH);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(resolve, family_without_address_is_enetunreach)
{
	uint8_t mac[6];

	cfg.prefix6 = 0;
	restart();
	errno = 0;
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), -1);
	cr_assert_eq(errno, ENETUNREACH);
}

CTRL_TEST(resolve, groups_and_broadcasts_map_to_their_mac)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mc4[6] = { 0x01, 0x00, 0x5e, 0x7f, 0x02, 0x03 };
	static const uint8_t mc6[6] = { 0x33, 0x33, 0x00, 0x01, 0x00, 0x02 };
	uint8_t mac[6];

	cr_assert_eq(next_hop(AF_INET, "239.255.2.3", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mc4, 6);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.255", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, bc, 6);
	cr_assert_eq(next_hop(AF_INET, "255.255.255.255", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, bc, 6);
	cr_assert_eq(next_hop(AF_INET6, "ff15::1:2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mc6, 6);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(resolve, held_frames_are_bounded_in_total)
{
	uint8_t a[64], mac[6];
	size_t la = held_frame(a, 1);

	cfg.max_held = 2;
	restart();
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, a, la, T0), 1);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.3", mac, a, la, T0), 1);
	errno = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, a, la, T0), -1);
	cr_assert_eq(errno, ENOBUFS);
	cr_assert_eq(stats().held, 2);
}

CTRL_TEST(resolve, neighbour_table_full_of_pending_resolutions_is_enobufs)
{
	uint8_t mac[6];

	cfg.max_neigh = 2;
	restart();
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 1);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.3", mac, NULL, 0, T0), 1);
	errno = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.4", mac, NULL, 0, T0), -1);
	cr_assert_eq(errno, ENOBUFS);
}

CTRL_TEST(resolve, full_table_forgets_the_oldest_known_neighbour)
{
	uint8_t mac[6];

	cfg.max_neigh = 1;
	restart();
	learn_peer4(T0);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.3", mac, NULL, 0, T0), 1);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), -1,
		     "the table kept more than max_neigh");
}

CTRL_TEST(resolve, frame_larger_than_the_mtu_is_not_held)
{
	static uint8_t big[1600];
	uint8_t mac[6];

	errno = 0;
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, big, sizeof(big), T0),
		     -1);
	cr_assert_eq(errno, EMSGSIZE);
}

/* --- ageing --- */

CTRL_TEST(ageing, idle_neighbour_is_forgotten)
{
	uint8_t mac[6];

	learn_peer4(T0);
	hsk_ctrl_tick(ctrl, T0 + TTL - 1);
	cr_assert_eq(
		next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0 + TTL - 1), 0);
	learn_peer4(T0); /* confirmed again: idle from T0 */
	hsk_ctrl_tick(ctrl, T0 + TTL);
	cr_assert_eq(out.n, 0, "asked after an idle neighbour");
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0 + TTL),
		     1);
}

CTRL_TEST(ageing, neighbour_in_use_is_asked_directly_and_kept_meanwhile)
{
	uint8_t mac[6], want[64];
	size_t n = our_arp_request(want, mac_peer, "198.18.0.2");

	learn_peer4(T0);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0), 0);
	hsk_ctrl_tick(ctrl, T0 + TTL);
	cr_assert_eq(out.n, 1);
	assert_sent(0, want, n, 0, 0);
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0 + TTL),
		     0);
	cr_assert_arr_eq(mac, mac_peer, 6);
}

CTRL_TEST(ageing, neighbour_in_use_that_stops_answering_is_forgotten)
{
	uint8_t mac[6];

	learn_peer4(T0);
	next_hop(AF_INET, "198.18.0.2", mac, NULL, 0, T0);
	for (unsigned int i = 0; i <= 3; i++)
		hsk_ctrl_tick(ctrl, T0 + TTL + i * WAIT);
	cr_assert_eq(out.n, 3, "three direct tries");
	cr_assert_eq(next_hop(AF_INET, "198.18.0.2", mac, NULL, 0,
			      T0 + TTL + 3 * WAIT),
		     1);
}

CTRL_TEST(ageing, tick_with_nothing_due_sends_nothing)
{
	learn_peer4(T0);
	for (uint64_t t = T0; t < T0 + TTL; t += SEC)
		hsk_ctrl_tick(ctrl, t);
	cr_assert_eq(out.n, 0);
}

/* --- ICMP echo --- */

CTRL_TEST(echo, ipv4_request_is_answered_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_echo4_request, sizeof(cap_echo4_request), T0),
		     HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	assert_sent_ip4(0, cap_echo4_reply, sizeof(cap_echo4_reply));
	cr_assert_eq(stats().echo_replies, 1);
}

CTRL_TEST(echo, ipv6_request_is_answered_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_echo6_request, sizeof(cap_echo6_request), T0),
		     HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	assert_sent_ip6(0, cap_echo6_reply, sizeof(cap_echo6_reply));
	cr_assert_eq(stats().echo_replies, 1);
}

CTRL_TEST(echo, ipv4_request_to_broadcast_is_not_answered)
{
	uint8_t f[sizeof(cap_echo4_request)];

	memcpy(f, cap_echo4_request, sizeof(f));
	memset(f, 0xff, 6);
	f[IP4 + 19] = 255;
	fix_ip4(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 0);
}

/* The peer's echo request, sent from its link-local address to @group. */
static void echo6_to_group(uint8_t *f, const char *group)
{
	struct in6_addr g, ll;

	memcpy(f, cap_echo6_request, sizeof(cap_echo6_request));
	in6(group, &g);
	in6("fe80::5eff:fe00:2", &ll);
	f[0] = f[1] = 0x33;
	memcpy(f + 2, &g.s6_addr[12], 4);
	memcpy(f + IP6 + 8, &ll, 16);
	memcpy(f + IP6 + 24, &g, 16);
	fix_icmp6(f);
}

CTRL_TEST(echo, ipv6_request_to_all_nodes_is_answered_from_the_link_local)
{
	uint8_t f[sizeof(cap_echo6_request)];
	struct in6_addr ll, peer;

	in6("fe80::5eff:fe00:1", &ll);
	in6("fe80::5eff:fe00:2", &peer);
	echo6_to_group(f, "ff02::1");
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	cr_assert_arr_eq(out.f[0], mac_peer, 6);
	cr_assert_arr_eq(out.f[0] + IP6 + 8, &ll, 16, "source");
	cr_assert_arr_eq(out.f[0] + IP6 + 24, &peer, 16, "destination");
	cr_assert_eq(out.f[0][ICMP6], 129);
	cr_assert_arr_eq(out.f[0] + ICMP6 + 4, f + ICMP6 + 4,
			 sizeof(f) - ICMP6 - 4, "echoed");
	assert_icmp6_ok_at(out.f[0], ICMP6);
}

CTRL_TEST(echo, ipv6_request_to_a_group_not_joined_is_not_answered)
{
	uint8_t f[sizeof(cap_echo6_request)];

	echo6_to_group(f, "ff02::1:3");
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(echo, request_for_another_address_is_dropped)
{
	uint8_t f[sizeof(cap_echo4_request)];

	memcpy(f, cap_echo4_request, sizeof(f));
	f[IP4 + 19] = 9;
	fix_ip4(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_DROP);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(stats().malformed, 0);
}

CTRL_TEST(echo, other_icmp_is_passed)
{
	uint8_t f[sizeof(cap_echo4_request)];

	memcpy(f, cap_echo4_request, sizeof(f));
	f[ICMP4] = 0; /* an echo reply: a raw socket's business */
	fix_inet4(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_PASS);
	cr_assert_eq(out.n, 0);
}

/* --- neighbour discovery --- */

CTRL_TEST(nd, solicitation_is_answered_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_ns, sizeof(cap_ns), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	assert_sent(0, cap_na, sizeof(cap_na), 0, 0);
	cr_assert_eq(stats().nd_in, 1);
	cr_assert_eq(stats().nd_out, 1);
}

CTRL_TEST(nd, solicitation_teaches_the_sender)
{
	uint8_t mac[6];

	feed(cap_ns, sizeof(cap_ns), T0);
	out.n = 0;
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_peer, 6);
}

CTRL_TEST(nd, solicitation_for_the_link_local_address_is_answered)
{
	uint8_t f[sizeof(cap_ns)];
	struct in6_addr ll, sn;

	in6("fe80::5eff:fe00:1", &ll);
	in6("ff02::1:ff00:1", &sn);
	memcpy(f, cap_ns, sizeof(f));
	memcpy(f + ICMP6 + 8, &ll, 16);
	memcpy(f + IP6 + 24, &sn, 16);
	fix_icmp6(f);
	feed(f, sizeof(f), T0);
	cr_assert_eq(out.n, 1);
	cr_assert_arr_eq(out.f[0] + IP6 + 8, &ll, 16, "source");
	cr_assert_arr_eq(out.f[0] + ICMP6 + 8, &ll, 16, "target");
	assert_icmp6_ok_at(out.f[0], ICMP6);
}

CTRL_TEST(nd, solicitation_for_another_address_is_heard_and_ignored)
{
	uint8_t f[sizeof(cap_ns)], mac[6];

	memcpy(f, cap_ns, sizeof(f));
	f[ICMP6 + 23] = 9; /* 2001:2::9 */
	fix_icmp6(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(stats().malformed, 0);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 1,
		     "learned from a solicitation not meant for us");
}

CTRL_TEST(nd, solicitation_with_hop_limit_below_255_is_rejected)
{
	uint8_t f[sizeof(cap_ns)];

	memcpy(f, cap_ns, sizeof(f));
	f[IP6 + 7] = 254; /* not in the checksum: still valid */
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_DROP);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(stats().malformed, 1);
}

CTRL_TEST(nd, option_of_length_zero_is_malformed)
{
	uint8_t f[sizeof(cap_ns)];

	memcpy(f, cap_ns, sizeof(f));
	f[ICMP6 + 25] = 0;
	fix_icmp6(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_DROP);
	cr_assert_eq(stats().malformed, 1);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(nd, duplicate_address_probe_is_answered_to_all_nodes)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t f[sizeof(cap_ns) - 8];

	/* from ::, without the source link-layer option */
	memcpy(f, cap_ns, sizeof(f));
	memset(f + IP6 + 8, 0, 16);
	f[IP6 + 5] = 24;
	fix_icmp6(f);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 1);
	cr_assert_arr_eq(out.f[0], all_nodes_mac, 6);
	cr_assert_eq(out.f[0][ICMP6 + 4], 0x20, "override, not solicited");
	assert_icmp6_ok_at(out.f[0], ICMP6);
}

CTRL_TEST(nd, unknown_neighbour_is_asked_at_its_solicited_node_group)
{
	uint8_t mac[6], want[sizeof(cap_ns)];
	struct in6_addr peer, sn;

	/* the peer's solicitation, the other way */
	in6("2001:2::2", &peer);
	in6("ff02::1:ff00:2", &sn);
	memcpy(want, cap_ns, sizeof(want));
	memcpy(want, "\x33\x33\xff\x00\x00\x02", 6);
	memcpy(want + 6, mac_us, 6);
	memcpy(want + IP6 + 8, &cfg.ip6, 16);
	memcpy(want + IP6 + 24, &sn, 16);
	memcpy(want + ICMP6 + 8, &peer, 16);
	memcpy(want + ICMP6 + 26, mac_us, 6);
	fix_icmp6(want);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 1);
	cr_assert_eq(out.n, 1);
	assert_sent(0, want, sizeof(want), 0, 0);
}

CTRL_TEST(nd, advertisement_sends_the_held_frames)
{
	uint8_t a[sizeof(cap_udp6)], na[sizeof(cap_na)], mac[6];

	memcpy(a, cap_udp6, sizeof(a));
	memset(a, 0, 6);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, a, sizeof(a), T0), 1);
	peer_na(na, "2001:2::2", mac_peer, 0x60);
	cr_assert_eq(feed(na, sizeof(na), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(out.n, 2);
	memcpy(a, mac_peer, 6);
	assert_sent(1, a, sizeof(a), 0, 0);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_peer, 6);
}

CTRL_TEST(nd, unsolicited_advertisement_adds_no_neighbour)
{
	uint8_t na[sizeof(cap_na)], mac[6];

	peer_na(na, "2001:2::2", mac_peer, 0x20);
	cr_assert_eq(feed(na, sizeof(na), T0), HSK_CTRL_CONSUMED);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 1);
}

CTRL_TEST(nd, advertisement_without_override_keeps_a_known_mac)
{
	uint8_t na[sizeof(cap_na)], mac[6];

	feed(cap_ns, sizeof(cap_ns), T0);
	peer_na(na, "2001:2::2", mac_gw, 0x40);
	feed(na, sizeof(na), T0);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_peer, 6);
	peer_na(na, "2001:2::2", mac_gw, 0x60);
	feed(na, sizeof(na), T0);
	cr_assert_eq(next_hop(AF_INET6, "2001:2::2", mac, NULL, 0, T0), 0);
	cr_assert_arr_eq(mac, mac_gw, 6);
}

CTRL_TEST(nd, announce_advertises_both_addresses_and_reports_their_group)
{
	struct in6_addr ll, sn;

	in6("fe80::5eff:fe00:1", &ll);
	in6("ff02::1:ff00:1", &sn);
	cfg.prefix4 = 0;
	restart();
	hsk_ctrl_announce(ctrl, T0);
	cr_assert_eq(out.n, 3);
	for (unsigned int i = 0; i < 2; i++) {
		cr_assert_arr_eq(out.f[i], "\x33\x33\x00\x00\x00\x01", 6);
		cr_assert_eq(out.f[i][ICMP6], 136);
		cr_assert_eq(out.f[i][ICMP6 + 4], 0x20, "override only");
		cr_assert_eq(out.f[i][IP6 + 7], 255);
		assert_icmp6_ok_at(out.f[i], ICMP6);
	}
	cr_assert_arr_eq(out.f[0] + ICMP6 + 8, &cfg.ip6, 16);
	cr_assert_arr_eq(out.f[1] + ICMP6 + 8, &ll, 16);
	/* the MLDv2 report: one record, both addresses share the group */
	cr_assert_eq(out.f[2][ICMP6 + 8], 143);
	cr_assert_eq(out.f[2][ICMP6 + 8 + 7], 1);
	cr_assert_eq(out.f[2][ICMP6 + 16], 4, "CHANGE_TO_EXCLUDE");
	cr_assert_arr_eq(out.f[2] + ICMP6 + 20, &sn, 16);
	assert_icmp6_ok_at(out.f[2], ICMP6 + 8);
}

/* --- port unreachable --- */

CTRL_TEST(unreachable, ipv4_is_sent_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_udp4, sizeof(cap_udp4), T0), HSK_CTRL_PASS);
	unreachable(cap_udp4, sizeof(cap_udp4));
	cr_assert_eq(out.n, 1);
	assert_sent_ip4(0, cap_unreach4, sizeof(cap_unreach4));
	cr_assert_eq(stats().unreachables_sent, 1);
}

CTRL_TEST(unreachable, ipv6_is_sent_as_the_kernel_does)
{
	cr_assert_eq(feed(cap_udp6, sizeof(cap_udp6), T0), HSK_CTRL_PASS);
	unreachable(cap_udp6, sizeof(cap_udp6));
	cr_assert_eq(out.n, 1);
	assert_sent_ip6(0, cap_unreach6, sizeof(cap_unreach6));
}

CTRL_TEST(unreachable, ipv4_quotes_what_fits_in_576_bytes)
{
	static uint8_t f[1000];

	memcpy(f, cap_udp4, sizeof(cap_udp4));
	put_csum(f + IP4 + 2, sizeof(f) - 14);
	put_csum(f + IP4 + 24, sizeof(f) - 34);
	fix_ip4(f);
	unreachable(f, sizeof(f));
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.len[0], 14 + 576);
	cr_assert_arr_eq(out.f[0] + ICMP4 + 8, f + IP4, 576 - 28);
	assert_ip4_ok(out.f[0]);
}

CTRL_TEST(unreachable, ipv6_quotes_what_fits_in_1280_bytes)
{
	static uint8_t f[1500];

	memcpy(f, cap_udp6, sizeof(cap_udp6));
	put_csum(f + IP6 + 4, sizeof(f) - 54);
	put_csum(f + IP6 + 44, sizeof(f) - 54);
	unreachable(f, sizeof(f));
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.len[0], 14 + 1280);
	cr_assert_arr_eq(out.f[0] + ICMP6 + 8, f + IP6, 1280 - 48);
	assert_icmp6_ok_at(out.f[0], ICMP6);
}

CTRL_TEST(unreachable, never_for_broadcast_or_multicast)
{
	uint8_t f[sizeof(cap_udp4)];

	memcpy(f, cap_udp4, sizeof(f));
	f[IP4 + 19] = 255; /* 198.18.0.255 */
	fix_ip4(f);
	unreachable(f, sizeof(f));
	memcpy(f, cap_udp4, sizeof(f));
	memset(f, 0xff, 6); /* our address, sent to everyone on the link */
	unreachable(f, sizeof(f));
	memcpy(f, cap_udp4, sizeof(f));
	memcpy(f, "\x01\x00\x5e\x01\x02\x03", 6);
	memcpy(f + IP4 + 16, "\xef\x01\x02\x03", 4);
	fix_ip4(f);
	unreachable(f, sizeof(f));
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(unreachable, never_for_a_datagram_to_another_address)
{
	uint8_t f[sizeof(cap_udp6)];

	memcpy(f, cap_udp6, sizeof(f));
	f[IP6 + 39] = 9;
	unreachable(f, sizeof(f));
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(unreachable, is_rate_limited_as_the_kernel)
{
	unsigned int sent;

	feed(cap_udp4, sizeof(cap_udp4), T0);
	for (unsigned int i = 0; i < 100; i++)
		unreachable(cap_udp4, sizeof(cap_udp4));
	sent = out.n;
	cr_assert(sent >= 10 && sent < 100, "%u of 100 answered", sent);
	hsk_ctrl_tick(ctrl, T0 + SEC);
	unreachable(cap_udp4, sizeof(cap_udp4));
	cr_assert_eq(out.n, sent + 1, "no answer once the bucket filled");
}

/* --- IGMP and MLD --- */

#define T1 (T0 + 2 * SEC) /* when the joins at T0 have been repeated */

/* Lets the repeats of the joins made at T0 go out, and forgets them. */
static void settle(void)
{
	hsk_ctrl_tick(ctrl, T1);
	out.n = 0;
}

CTRL_TEST(igmp, first_join_is_reported_as_the_kernel_does)
{
	union hsk_net_addr g = a4("239.1.2.3");

	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET, &g, T0), 0);
	cr_assert_eq(out.n, 1);
	assert_sent(0, cap_igmp_join, sizeof(cap_igmp_join), 0, 0);
	cr_assert_eq(stats().igmp_out, 1);
	cr_assert(hsk_ctrl_is_member(ctrl, AF_INET, &g));
}

CTRL_TEST(mld, first_join_is_reported_as_the_kernel_does)
{
	union hsk_net_addr g = a6("ff15::1:2");

	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET6, &g, T0), 0);
	cr_assert_eq(out.n, 1);
	assert_sent(0, cap_mld_join, sizeof(cap_mld_join), 0, 0);
	cr_assert_eq(stats().mld_out, 1);
	cr_assert(hsk_ctrl_is_member(ctrl, AF_INET6, &g));
}

CTRL_TEST(igmp, only_the_last_leave_is_reported)
{
	union hsk_net_addr g = a4("239.1.2.3");

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET, &g, T0), 0);
	cr_assert_eq(out.n, 1, "second join reported");
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET, &g, T0), 0);
	cr_assert_eq(out.n, 1, "first leave reported");
	cr_assert(hsk_ctrl_is_member(ctrl, AF_INET, &g));
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET, &g, T0), 0);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.f[1][ICMP4 + 4 + 8], 3, "CHANGE_TO_INCLUDE");
	cr_assert_arr_eq(out.f[1] + ICMP4 + 4 + 12, &g.v4, 4);
	assert_ip4_ok(out.f[1]);
	cr_assert_not(hsk_ctrl_is_member(ctrl, AF_INET, &g));
}

CTRL_TEST(mld, last_leave_is_reported)
{
	union hsk_net_addr g = a6("ff15::1:2");

	hsk_ctrl_join(ctrl, AF_INET6, &g, T0);
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET6, &g, T0), 0);
	cr_assert_eq(out.n, 2);
	cr_assert_eq(out.f[1][ICMP6 + 16], 3, "CHANGE_TO_INCLUDE");
	cr_assert_arr_eq(out.f[1] + ICMP6 + 20, &g.v6, 16);
	assert_icmp6_ok_at(out.f[1], ICMP6 + 8);
	cr_assert_not(hsk_ctrl_is_member(ctrl, AF_INET6, &g));
}

CTRL_TEST(membership, join_of_a_unicast_address_is_einval)
{
	union hsk_net_addr u4 = a4("198.18.0.9"), u6 = a6("2001:2::9");

	errno = 0;
	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET, &u4, T0), -1);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET6, &u6, T0), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(membership, leave_without_join_is_eaddrnotavail)
{
	union hsk_net_addr g = a4("239.1.2.3");

	errno = 0;
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET, &g, T0), -1);
	cr_assert_eq(errno, EADDRNOTAVAIL);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(membership, groups_are_bounded_and_a_refused_join_says_nothing)
{
	unsigned int joined = 0;
	int r = 0;

	for (unsigned int i = 1; i <= 250 && r == 0; i++) {
		union hsk_net_addr g = a4("239.0.0.0");

		g.v4.s_addr = htonl(ntohl(g.v4.s_addr) + i);
		errno = 0;
		r = hsk_ctrl_join(ctrl, AF_INET, &g, T0);
		joined += r == 0;
	}
	cr_assert_eq(r, -1, "250 groups joined");
	cr_assert_eq(errno, ENOBUFS);
	cr_assert_eq(out.n, joined);
}

CTRL_TEST(membership, group_macs_are_the_groups_the_port_must_hear)
{
	static const uint8_t want[][6] = {
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, /* all hosts */
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }, /* all nodes */
		{ 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 }, /* solicited node */
		{ 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 }, /* 239.1.2.3 */
	};
	union hsk_net_addr g = a4("239.1.2.3"), same = a4("239.129.2.3");
	uint8_t macs[8][6];
	size_t n;

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	hsk_ctrl_join(ctrl, AF_INET, &same, T0); /* the same MAC */
	n = hsk_ctrl_group_macs(ctrl, macs, 8);
	cr_assert_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		cr_assert_arr_eq(macs[i], want[i], 6, "MAC %zu", i);
	cr_assert_eq(hsk_ctrl_group_macs(ctrl, macs, 2), 4, "count when short");
	hsk_ctrl_leave(ctrl, AF_INET, &g, T0);
	hsk_ctrl_leave(ctrl, AF_INET, &same, T0);
	cr_assert_eq(hsk_ctrl_group_macs(ctrl, macs, 8), 3,
		     "left, still heard");
}

CTRL_TEST(igmp, general_query_is_answered_within_its_time)
{
	union hsk_net_addr g1 = a4("239.1.2.3"), g2 = a4("239.1.2.4");
	uint8_t q[64];
	size_t n = igmp_query(q, "0.0.0.0", 100, true); /* 10 s */
	const uint8_t *m;

	hsk_ctrl_join(ctrl, AF_INET, &g1, T0);
	hsk_ctrl_join(ctrl, AF_INET, &g2, T0);
	settle();
	cr_assert_eq(feed(q, n, T1), HSK_CTRL_CONSUMED);
	hsk_ctrl_tick(ctrl, T1 + 10 * SEC);
	cr_assert_eq(out.n, 1);
	assert_ip4_ok(out.f[0]);
	m = out.f[0] + ICMP4 + 4;
	cr_assert_eq(m[0], 0x22);
	cr_assert_eq(m[7], 2, "two records");
	cr_assert_eq(m[8], 2, "MODE_IS_EXCLUDE");
	cr_assert_eq(m[16], 2, "MODE_IS_EXCLUDE");
	cr_assert_arr_eq(m + 12, &g1.v4, 4);
	cr_assert_arr_eq(m + 20, &g2.v4, 4);
	hsk_ctrl_tick(ctrl, T1 + 20 * SEC);
	cr_assert_eq(out.n, 1, "answered twice");
}

CTRL_TEST(igmp, query_for_a_group_not_joined_is_not_answered)
{
	union hsk_net_addr g1 = a4("239.1.2.3");
	uint8_t q[64];
	size_t n = igmp_query(q, "239.9.9.9", 10, true);

	hsk_ctrl_join(ctrl, AF_INET, &g1, T0);
	settle();
	cr_assert_eq(feed(q, n, T1), HSK_CTRL_CONSUMED);
	hsk_ctrl_tick(ctrl, T1 + 2 * SEC);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(igmp, group_query_is_answered_for_that_group)
{
	union hsk_net_addr g1 = a4("239.1.2.3"), g2 = a4("239.1.2.4");
	uint8_t q[64];
	size_t n = igmp_query(q, "239.1.2.4", 10, true);

	hsk_ctrl_join(ctrl, AF_INET, &g1, T0);
	hsk_ctrl_join(ctrl, AF_INET, &g2, T0);
	settle();
	feed(q, n, T1);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.f[0][ICMP4 + 4 + 7], 1, "one record");
	cr_assert_arr_eq(out.f[0] + ICMP4 + 4 + 12, &g2.v4, 4);
}

CTRL_TEST(mld, general_query_is_answered_with_every_group)
{
	union hsk_net_addr g = a6("ff15::1:2"), sn = a6("ff02::1:ff00:1");
	uint8_t q[128];
	size_t n = mld_query(q, "::", 1000, 1, true);
	const uint8_t *m;

	hsk_ctrl_join(ctrl, AF_INET6, &g, T0);
	settle();
	cr_assert_eq(feed(q, n, T1), HSK_CTRL_CONSUMED);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_eq(out.n, 1);
	assert_icmp6_ok_at(out.f[0], ICMP6 + 8);
	m = out.f[0] + ICMP6 + 8;
	cr_assert_eq(m[7], 2, "two records");
	cr_assert_eq(m[8], 2, "MODE_IS_EXCLUDE");
	cr_assert_arr_eq(m + 12, &sn.v6, 16);
	cr_assert_arr_eq(m + 32, &g.v6, 16);
}

CTRL_TEST(mld, report_larger_than_the_mtu_is_split)
{
	uint8_t q[128];
	size_t n = mld_query(q, "::", 1000, 1, true);
	unsigned int records = 0, joined = 0;

	cfg.mtu = 1280;
	restart();
	for (unsigned int i = 1; i <= 200; i++) {
		union hsk_net_addr g = a6("ff15::1:0");

		g.v6.s6_addr[15] = (uint8_t)i;
		if (hsk_ctrl_join(ctrl, AF_INET6, &g, T0))
			break;
		joined++;
	}
	settle();
	feed(q, n, T1);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_gt(out.n, 1, "%u groups in one report", joined + 1);
	for (unsigned int i = 0; i < out.n; i++) {
		cr_assert_leq(out.len[i], 14 + 1280);
		assert_icmp6_ok_at(out.f[i], ICMP6 + 8);
		records += out.f[i][ICMP6 + 8 + 7];
	}
	cr_assert_eq(records, joined + 1, "with the solicited-node group");
}

CTRL_TEST(igmp, join_is_said_again_within_a_second)
{
	union hsk_net_addr g = a4("239.1.2.3");

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	hsk_ctrl_tick(ctrl, T0 + SEC);
	cr_assert_eq(out.n, 2);
	assert_sent_ip4(1, cap_igmp_join, sizeof(cap_igmp_join));
	hsk_ctrl_tick(ctrl, T0 + 100 * SEC);
	cr_assert_eq(out.n, 2, "said a third time");
}

CTRL_TEST(igmp, leave_is_said_twice_and_membership_ends_at_once)
{
	union hsk_net_addr g = a4("239.1.2.3");

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	settle();
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET, &g, T1), 0);
	cr_assert_not(hsk_ctrl_is_member(ctrl, AF_INET, &g));
	errno = 0;
	cr_assert_eq(hsk_ctrl_leave(ctrl, AF_INET, &g, T1), -1);
	cr_assert_eq(errno, EADDRNOTAVAIL);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_eq(out.n, 2);
	for (unsigned int i = 0; i < 2; i++)
		cr_assert_eq(out.f[i][ICMP4 + 4 + 8], 3, "CHANGE_TO_INCLUDE");
	hsk_ctrl_tick(ctrl, T1 + 100 * SEC);
	cr_assert_eq(out.n, 2, "said a third time");
}

CTRL_TEST(igmp, after_an_igmpv2_query_reports_and_leaves_are_igmpv2)
{
	union hsk_net_addr g = a4("239.1.2.3");
	uint8_t q[64];
	size_t n = igmp_query(q, "0.0.0.0", 10, false);
	const uint8_t *f;

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	settle();
	cr_assert_eq(feed(q, n, T1), HSK_CTRL_CONSUMED);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_eq(out.n, 1);
	f = out.f[0];
	cr_assert_eq(out.len[0], 14 + 24 + 8);
	cr_assert_arr_eq(f, "\x01\x00\x5e\x01\x02\x03", 6, "to the group");
	cr_assert_arr_eq(f + IP4 + 16, &g.v4, 4, "to the group");
	cr_assert_eq(f[IP4 + 8], 1, "TTL");
	cr_assert_eq(f[IP4 + 20], 0x94, "router alert");
	cr_assert_eq(f[ICMP4 + 4], 0x16, "IGMPv2 report");
	cr_assert_arr_eq(f + ICMP4 + 8, &g.v4, 4);
	assert_ip4_ok(f);
	hsk_ctrl_leave(ctrl, AF_INET, &g, T1 + SEC);
	cr_assert_eq(out.n, 2);
	f = out.f[1];
	cr_assert_arr_eq(f + IP4 + 16, "\xe0\x00\x00\x02", 4, "all routers");
	cr_assert_eq(f[ICMP4 + 4], 0x17, "IGMPv2 leave");
	cr_assert_arr_eq(f + ICMP4 + 8, &g.v4, 4);
	assert_ip4_ok(f);
}

CTRL_TEST(igmp, after_an_igmpv1_query_leaves_are_silent)
{
	union hsk_net_addr g = a4("239.1.2.3");
	uint8_t q[64];
	size_t n = igmp_query(q, "0.0.0.0", 0, false);

	hsk_ctrl_join(ctrl, AF_INET, &g, T0);
	settle();
	feed(q, n, T1);
	hsk_ctrl_tick(ctrl, T1 + 10 * SEC);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.f[0][ICMP4 + 4], 0x12, "IGMPv1 report");
	hsk_ctrl_leave(ctrl, AF_INET, &g, T1 + 10 * SEC);
	hsk_ctrl_tick(ctrl, T1 + 20 * SEC);
	cr_assert_eq(out.n, 1);
}

CTRL_TEST(igmp, igmpv3_resumes_when_the_older_querier_is_gone)
{
	union hsk_net_addr g = a4("239.1.2.3");
	uint8_t q[64];
	size_t n = igmp_query(q, "0.0.0.0", 10, false);
	uint64_t later = T0 + 261 * SEC; /* 2 x 125 s + 10 s */

	feed(q, n, T0);
	cr_assert_eq(hsk_ctrl_join(ctrl, AF_INET, &g, later), 0);
	assert_sent(0, cap_igmp_join, sizeof(cap_igmp_join), 0, 0);
}

CTRL_TEST(mld, after_an_mldv1_query_reports_and_dones_are_mldv1)
{
	union hsk_net_addr g = a6("ff15::1:2");
	struct in6_addr routers;
	uint8_t q[128];
	size_t n = mld_query(q, "::", 1000, 1, false);
	const uint8_t *f;

	in6("ff02::2", &routers);
	hsk_ctrl_join(ctrl, AF_INET6, &g, T0);
	settle();
	cr_assert_eq(feed(q, n, T1), HSK_CTRL_CONSUMED);
	hsk_ctrl_tick(ctrl, T1 + SEC);
	cr_assert_eq(out.n, 2, "a report for each group");
	f = out.f[1];
	cr_assert_eq(out.len[1], 14 + 40 + 8 + 24);
	cr_assert_arr_eq(f, "\x33\x33\x00\x01\x00\x02", 6, "to the group");
	cr_assert_arr_eq(f + IP6 + 24, &g.v6, 16, "to the group");
	cr_assert_eq(f[IP6 + 7], 1, "hop limit");
	cr_assert_eq(f[ICMP6 + 8], 131, "MLDv1 report");
	cr_assert_arr_eq(f + ICMP6 + 16, &g.v6, 16);
	assert_icmp6_ok_at(f, ICMP6 + 8);
	hsk_ctrl_leave(ctrl, AF_INET6, &g, T1 + SEC);
	cr_assert_eq(out.n, 3);
	f = out.f[2];
	cr_assert_arr_eq(f + IP6 + 24, &routers, 16, "all routers");
	cr_assert_eq(f[ICMP6 + 8], 132, "MLDv1 done");
	assert_icmp6_ok_at(f, ICMP6 + 8);
}

CTRL_TEST(mld, query_with_hop_limit_above_1_is_ignored)
{
	uint8_t q[128];
	size_t n = mld_query(q, "::", 1000, 255, true);

	cr_assert_eq(feed(q, n, T0), HSK_CTRL_DROP);
	hsk_ctrl_tick(ctrl, T0 + SEC);
	cr_assert_eq(out.n, 0);
}

/* --- what is not ours, and what is broken --- */

CTRL_TEST(input, udp_is_passed)
{
	cr_assert_eq(feed(cap_udp4, sizeof(cap_udp4), T0), HSK_CTRL_PASS);
	cr_assert_eq(feed(cap_udp6, sizeof(cap_udp6), T0), HSK_CTRL_PASS);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(input, vlan_tagged_frames_are_passed)
{
	uint8_t f[sizeof(cap_arp_request) + 4];

	memcpy(f, cap_arp_request, 12);
	memcpy(f + 12, "\x81\x00\x00\x07", 4);
	memcpy(f + 16, cap_arp_request + 12, sizeof(cap_arp_request) - 12);
	cr_assert_eq(feed(f, sizeof(f), T0), HSK_CTRL_PASS);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(input, family_without_address_is_passed)
{
	cfg.prefix6 = 0;
	restart();
	cr_assert_eq(feed(cap_ns, sizeof(cap_ns), T0), HSK_CTRL_PASS);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(input, every_truncated_control_frame_is_counted_and_dropped)
{
	static const struct {
		const uint8_t *f;
		size_t len;
	} frames[] = {
		{ cap_arp_request, sizeof(cap_arp_request) },
		{ cap_echo4_request, sizeof(cap_echo4_request) },
		{ cap_ns, sizeof(cap_ns) },
		{ cap_echo6_request, sizeof(cap_echo6_request) },
		{ cap_mld_join, sizeof(cap_mld_join) },
		{ cap_igmp_join, sizeof(cap_igmp_join) },
	};
	uint64_t cut = 0;

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		for (size_t len = 0; len < frames[i].len; len++, cut++)
			cr_assert_eq(feed(frames[i].f, len, T0), HSK_CTRL_DROP,
				     "frame %zu cut at %zu", i, len);
	cr_assert_eq(stats().malformed, cut);
	cr_assert_eq(out.n, 0);
}

/* Whatever goes out is whole: lengths and checksums right. */
static void assert_well_formed(const uint8_t *f, size_t len)
{
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	cr_assert_leq(len, 14 + 1500);
	if (type == 0x0806) {
		cr_assert_eq(len, 42);
	} else if (type == 0x0800) {
		cr_assert_eq(len, 14 + (size_t)(f[IP4 + 2] << 8 | f[IP4 + 3]));
		assert_ip4_ok(f);
	} else {
		size_t off = ICMP6;

		cr_assert_eq(type, 0x86dd);
		cr_assert_eq(len, 54 + (size_t)(f[IP6 + 4] << 8 | f[IP6 + 5]));
		if (f[IP6 + 6] == 0)
			off += (f[ICMP6 + 1] + 1u) * 8;
		assert_icmp6_ok_at(f, off);
	}
}

CTRL_TEST(input, mutated_frames_are_answered_well_formed_or_not_at_all)
{
	static const struct {
		const uint8_t *f;
		size_t len;
	} seeds[] = {
		{ cap_arp_request, sizeof(cap_arp_request) },
		{ cap_echo4_request, sizeof(cap_echo4_request) },
		{ cap_ns, sizeof(cap_ns) },
		{ cap_echo6_request, sizeof(cap_echo6_request) },
		{ cap_udp4, sizeof(cap_udp4) },
		{ cap_udp6, sizeof(cap_udp6) },
	};
	uint32_t rnd = 0x2545f491;
	unsigned int answers = 0;
	uint8_t f[128];

	for (unsigned int i = 0; i < 20000; i++) {
		size_t k = i % (sizeof(seeds) / sizeof(seeds[0]));
		size_t len = seeds[k].len;

		memcpy(f, seeds[k].f, len);
		for (unsigned int j = 0; j < 1 + i % 3; j++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 17;
			rnd ^= rnd << 5;
			f[rnd % len] ^= (uint8_t)(rnd >> 8 | 1);
		}
		if (i % 5 == 0)
			len -= rnd % 16;
		out.n = 0;
		feed(f, len, T0 + i * SEC / 100);
		unreachable(f, len);
		hsk_ctrl_tick(ctrl, T0 + i * SEC / 100);
		for (unsigned int j = 0; j < out.n; j++)
			assert_well_formed(out.f[j], out.len[j]);
		answers += out.n;
	}
	cr_assert_gt(answers, 1000, "only %u answers: nothing was tried",
		     answers);
}

CTRL_TEST(input, bad_checksums_are_counted_and_dropped)
{
	uint8_t f4[sizeof(cap_echo4_request)], f6[sizeof(cap_echo6_request)];

	memcpy(f4, cap_echo4_request, sizeof(f4));
	f4[sizeof(f4) - 1] ^= 1;
	cr_assert_eq(feed(f4, sizeof(f4), T0), HSK_CTRL_DROP);
	memcpy(f4, cap_echo4_request, sizeof(f4));
	f4[IP4 + 8] ^= 1; /* TTL: only the header checksum sees it */
	cr_assert_eq(feed(f4, sizeof(f4), T0), HSK_CTRL_DROP);
	memcpy(f6, cap_echo6_request, sizeof(f6));
	f6[sizeof(f6) - 1] ^= 1;
	cr_assert_eq(feed(f6, sizeof(f6), T0), HSK_CTRL_DROP);
	cr_assert_eq(stats().malformed, 3);
	cr_assert_eq(out.n, 0);
}

CTRL_TEST(input, length_beyond_the_frame_is_malformed)
{
	uint8_t f4[sizeof(cap_echo4_request)], f6[sizeof(cap_echo6_request)];

	memcpy(f4, cap_echo4_request, sizeof(f4));
	put_csum(f4 + IP4 + 2, sizeof(f4) - 14 + 1);
	fix_ip4(f4);
	cr_assert_eq(feed(f4, sizeof(f4), T0), HSK_CTRL_DROP);
	memcpy(f6, cap_echo6_request, sizeof(f6));
	put_csum(f6 + IP6 + 4, sizeof(f6) - 54 + 1);
	cr_assert_eq(feed(f6, sizeof(f6), T0), HSK_CTRL_DROP);
	cr_assert_eq(stats().malformed, 2);
}

CTRL_TEST(input, failed_transmit_is_counted)
{
	out.fail = true;
	feed(cap_arp_request, sizeof(cap_arp_request), T0);
	cr_assert_eq(stats().tx_errors, 1);
	cr_assert_eq(stats().arp_out, 0);
}

/* --- configuration --- */

CTRL_TEST(config, bad_configurations_are_einval)
{
	struct hsk_ctrl_cfg good = cfg;

	cfg.xmit = NULL;
	cr_assert_null(hsk_ctrl_new(&cfg));
	cr_assert_eq(errno, EINVAL);
	cfg = good;
	cfg.prefix4 = 33;
	cr_assert_null(hsk_ctrl_new(&cfg));
	cr_assert_eq(errno, EINVAL);
	cfg = good;
	cfg.prefix6 = 129;
	cr_assert_null(hsk_ctrl_new(&cfg));
	cr_assert_eq(errno, EINVAL);
	cfg = good;
	cfg.mtu = 1000; /* IPv6 needs 1280 */
	cr_assert_null(hsk_ctrl_new(&cfg));
	cr_assert_eq(errno, EINVAL);
	cfg = good;
}
