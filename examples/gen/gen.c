// SPDX-License-Identifier: BSD-3-Clause
/*
 * gen.c - hotsock-gen: a traffic generator for throughput benchmarks.
 *
 *   hotsock-gen -d DST -p PORT [options]                  UDP datagrams
 *   hotsock-gen --raw -i IFACE [-d DST -p PORT] [options] Ethernet frames
 *
 * UDP mode sends datagrams over IPv4 or IPv6 with hsk_sendmmsg() batches,
 * or with the zero-copy calls (--zc: hsk_buf_alloc() and hsk_send_zc()).
 * Raw mode sends whole Ethernet frames on an interface through an
 * AF_PACKET SOCK_RAW socket: Ethernet/IP/UDP frames it builds itself when
 * given -d, else frames of one ethertype. Sizes are fixed or drawn from a
 * range, flows differ by source or destination port, and the rate is a
 * target or as fast as it goes, for a count or a duration. Achieved pps
 * and bps are printed at the end (and every second on a terminal).
 *
 * Every payload starts with a 16-byte header (cut short in smaller
 * payloads), big-endian: magic 0x48534b47 ("HSKG"), flow (u32), sequence
 * number (u64, one space for all flows). See README.md.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hotsock.h>

#define GEN_MAGIC 0x48534b47u
#define GEN_HDR_LEN 16
#define MAX_BATCH 1024
#define MAX_FLOWS 4096
#define MAX_UDP4 65507
#define MAX_UDP6 65527
#define ETH_HLEN_ 14
#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define DEFAULT_ETHERTYPE 0x88b5 /* IEEE local experimental 1 */
#define NS 1000000000ull

/* Seconds without a send call returning before the watchdog gives up. */
#define STALL_LIMIT 10

static const char *prog = "hotsock-gen";
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t progress; /* bumped by each send that returns */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * Every second: a run whose send calls have not returned for STALL_LIMIT
 * seconds is hung (in the kernel or the library, where no timeout
 * reaches) and ends with status 1, so that a benchmark never stalls.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "hotsock-gen: no send call returned for "
				  "10 s: giving up\n";
	static sig_atomic_t last = -1, still;

	(void)sig;
	if (progress != last) {
		last = progress;
		still = 0;
		return;
	}
	if (++still >= STALL_LIMIT) {
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(1);
	}
}

static void watchdog(bool on)
{
	struct itimerval it = { { on, 0 }, { on, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static __attribute__((noreturn, format(printf, 1, 2))) void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	exit(2);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t mono)
{
	struct timespec ts = { (time_t)(mono / NS), (long)(mono % NS) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
		       EINTR &&
	       !stop_flag)
		;
}

static uint64_t parse_u64(const char *s, const char *what, uint64_t min,
			  uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		usage_error("bad %s '%s'", what, s);
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		usage_error("bad %s '%s' (%" PRIu64 "..%" PRIu64 ")", what, s,
			    min, max);
	return v;
}

static double parse_num(const char *s, const char *what, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || errno || *end || !(v >= min && v <= max))
		usage_error("bad %s '%s' (%g..%g)", what, s, min, max);
	return v;
}

static void parse_mac(const char *s, const char *what, unsigned char mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		usage_error("bad %s '%s' (aa:bb:cc:dd:ee:ff)", what, s);
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
}

/* ---- configuration --------------------------------------------------- */

struct cfg {
	bool raw, zc, json, quiet, vary_dport, have_dst, have_src;
	bool have_dst_mac, have_src_mac;
	const char *dst_str, *iface, *backend;
	struct sockaddr_storage dst; /* port filled in */
	socklen_t dstlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src;
	int family;	      /* of -d, 0 without */
	uint16_t port, sport; /* sport 0: ephemeral */
	unsigned int size_min, size_max, batch, flows, ttl;
	bool have_ttl;
	uint16_t ethertype;
	unsigned char dst_mac[6], src_mac[6];
	uint64_t count, seed;
	double duration, rate;
	/* from the interface */
	int ifindex, mtu;
};

/* The help text; %1$s is the program's name. */
static const char help_text[] =
	"Usage: %1$s -d DST -p PORT [options]\n"
	"       %1$s --raw -i IFACE [-d DST -p PORT] [options]\n"
	"\n"
	"A traffic generator over hotsock: UDP datagrams (IPv4 or IPv6)\n"
	"sent with hsk_sendmmsg() batches or the zero-copy calls (first\n"
	"form), or raw Ethernet frames on an interface through AF_PACKET\n"
	"SOCK_RAW (--raw). Prints the pps and bps achieved.\n"
	"\n"
	"What to send:\n"
	"  -d, --dst ADDR        destination IPv4 or IPv6 address\n"
	"  -p, --port PORT       destination UDP port (the first, with\n"
	"                        --vary dport)\n"
	"  -s, --size N|MIN-MAX  payload bytes: the UDP payload, or what\n"
	"                        follows the Ethernet header of raw frames\n"
	"                        without -d; a range draws each size\n"
	"                        uniformly (default 64)\n"
	"  -f, --flows N         flows, taking turns batch by batch\n"
	"                        (default 1)\n"
	"      --vary WHAT       sport or dport: what tells the flows\n"
	"                        apart (default sport)\n"
	"      --sport PORT      first source port (default: an ephemeral\n"
	"                        port per flow in UDP mode, 10000 in raw)\n"
	"      --ttl N           IP TTL / hop limit\n"
	"\n"
	"How much, how fast:\n"
	"  -c, --count N         stop after N datagrams or frames\n"
	"  -t, --duration S      stop after S seconds\n"
	"  -r, --rate PPS        target rate (default: as fast as it goes)\n"
	"  -b, --batch N         datagrams per send call, 1-1024\n"
	"                        (default 32)\n"
	"      --zc              zero-copy: hsk_buf_alloc() + hsk_send_zc()\n"
	"      --seed N          seed of the size draw (default 1)\n"
	"\n"
	"Raw frames:\n"
	"      --raw             send Ethernet frames on -i IFACE\n"
	"  -i, --interface IF    the interface of raw mode; in UDP mode,\n"
	"                        the af_xdp fast path's and multicast's\n"
	"      --dst-mac MAC     destination MAC (default: broadcast)\n"
	"      --src-mac MAC     source MAC (default: the interface's)\n"
	"      --src ADDR        source IP with -d (default: the\n"
	"                        interface's first address of the family)\n"
	"      --ethertype T     ethertype of frames without -d\n"
	"                        (default 0x88b5)\n"
	"\n"
	"Output:\n"
	"      --backend B       kernel, af_xdp or auto (default: the\n"
	"                        HOTSOCK_BACKEND environment, else auto)\n"
	"      --json            machine-readable result on stdout\n"
	"  -q, --quiet           no live status line on stderr\n"
	"  -h, --help            this help\n"
	"\n"
	"Exit status: 0 done, 1 runtime failure, 2 bad usage.\n";

/* --backend: the names hsk_init() takes, but dpdk (not built yet). */
static const char *check_backend(const char *b)
{
	if (strcmp(b, "kernel") && strcmp(b, "af_xdp") && strcmp(b, "auto"))
		usage_error("bad backend '%s' (kernel, af_xdp, auto)", b);
	return b;
}

static void usage(void)
{
	printf(help_text, prog);
}

enum {
	OPT_ZC = 256,
	OPT_VARY,
	OPT_SPORT,
	OPT_TTL,
	OPT_SEED,
	OPT_RAW,
	OPT_DST_MAC,
	OPT_SRC_MAC,
	OPT_SRC,
	OPT_ETHERTYPE,
	OPT_BACKEND,
	OPT_JSON,
};

static const struct option long_opts[] = {
	{ "dst", required_argument, NULL, 'd' },
	{ "port", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "flows", required_argument, NULL, 'f' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 't' },
	{ "rate", required_argument, NULL, 'r' },
	{ "batch", required_argument, NULL, 'b' },
	{ "interface", required_argument, NULL, 'i' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "zc", no_argument, NULL, OPT_ZC },
	{ "vary", required_argument, NULL, OPT_VARY },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "ethertype", required_argument, NULL, OPT_ETHERTYPE },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static void parse_size(struct cfg *c, const char *arg)
{
	char *copy = strdup(arg), *dash;

	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	dash = strchr(copy, '-');
	if (dash)
		*dash = '\0';
	c->size_min = (unsigned int)parse_u64(copy, "size", 0, MAX_UDP6);
	c->size_max =
		dash ? (unsigned int)parse_u64(dash + 1, "size", 0, MAX_UDP6) :
		       c->size_min;
	free(copy);
	if (c->size_max < c->size_min)
		usage_error("bad size range '%s': the end is below the start",
			    arg);
}

static void parse_dst(struct cfg *c)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;

	if (getaddrinfo(c->dst_str, NULL, &hints, &ai) || !ai)
		usage_error("bad destination '%s' (an IPv4 or IPv6 address)",
			    c->dst_str);
	memcpy(&c->dst, ai->ai_addr, ai->ai_addrlen);
	c->dstlen = ai->ai_addrlen;
	c->family = ai->ai_family;
	freeaddrinfo(ai);
	if (c->family == AF_INET)
		((struct sockaddr_in *)&c->dst)->sin_port = htons(c->port);
	else
		((struct sockaddr_in6 *)&c->dst)->sin6_port = htons(c->port);
}

static void parse_args(struct cfg *c, int argc, char **argv)
{
	const char *src_str = NULL;
	bool have_sport = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->size_min = c->size_max = 64;
	c->batch = 32;
	c->flows = 1;
	c->seed = 1;
	c->ethertype = DEFAULT_ETHERTYPE;
	memset(c->dst_mac, 0xff, sizeof(c->dst_mac));

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:p:s:f:c:t:r:b:i:I:qh",
				  long_opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			c->dst_str = optarg;
			c->have_dst = true;
			break;
		case 'p':
			c->port = (uint16_t)parse_u64(optarg, "port", 1, 65535);
			break;
		case 's':
			parse_size(c, optarg);
			break;
		case 'f':
			c->flows = (unsigned int)parse_u64(optarg, "flows", 1,
							   MAX_FLOWS);
			break;
		case 'c':
			c->count = parse_u64(optarg, "count", 1, UINT64_MAX);
			break;
		case 't':
			c->duration = parse_num(optarg, "duration", 0.001, 1e7);
			break;
		case 'r':
			c->rate = parse_num(optarg, "rate", 1, 1e9);
			break;
		case 'b':
			c->batch = (unsigned int)parse_u64(optarg, "batch", 1,
							   MAX_BATCH);
			break;
		case 'i':
		case 'I':
			c->iface = optarg;
			c->ifindex = (int)if_nametoindex(optarg);
			if (!c->ifindex)
				usage_error("no interface '%s'", optarg);
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			usage();
			exit(0);
		case OPT_ZC:
			c->zc = true;
			break;
		case OPT_VARY:
			if (!strcmp(optarg, "dport"))
				c->vary_dport = true;
			else if (strcmp(optarg, "sport"))
				usage_error("bad --vary '%s' (sport, dport)",
					    optarg);
			break;
		case OPT_SPORT:
			c->sport = (uint16_t)parse_u64(optarg, "source port", 1,
						       65535);
			have_sport = true;
			break;
		case OPT_TTL:
			c->ttl = (unsigned int)parse_u64(optarg, "ttl", 1, 255);
			c->have_ttl = true;
			break;
		case OPT_SEED:
			c->seed = parse_u64(optarg, "seed", 0, UINT64_MAX);
			break;
		case OPT_RAW:
			c->raw = true;
			break;
		case OPT_DST_MAC:
			parse_mac(optarg, "destination MAC", c->dst_mac);
			c->have_dst_mac = true;
			break;
		case OPT_SRC_MAC:
			parse_mac(optarg, "source MAC", c->src_mac);
			c->have_src_mac = true;
			break;
		case OPT_SRC:
			src_str = optarg;
			break;
		case OPT_ETHERTYPE:
			c->ethertype = (uint16_t)parse_u64(optarg, "ethertype",
							   0x600, 0xffff);
			break;
		case OPT_BACKEND:
			c->backend = check_backend(optarg);
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case ':':
			usage_error("option '%s' needs a value",
				    argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);

	if (c->have_dst && !c->port)
		usage_error("no port: give -p PORT with -d");
	if (c->port && !c->have_dst)
		usage_error("-p needs a destination: give -d ADDR");
	if (!c->raw) {
		if (!c->have_dst)
			usage_error("no destination: give -d ADDR -p PORT "
				    "(or --raw -i IFACE)");
		if (c->have_dst_mac || c->have_src_mac || src_str ||
		    c->ethertype != DEFAULT_ETHERTYPE)
			usage_error("--dst-mac, --src-mac, --src and "
				    "--ethertype need --raw");
	} else {
		if (!c->iface)
			usage_error("--raw needs an interface: give -i IFACE");
		if (!c->have_dst && (c->flows > 1 || have_sport ||
				     c->vary_dport || src_str || c->have_ttl))
			usage_error("--flows, --vary, --sport, --src and --ttl "
				    "in raw mode need UDP headers: give -d "
				    "and -p");
		if (c->have_dst && c->ethertype != DEFAULT_ETHERTYPE)
			usage_error("--ethertype is for frames without -d");
		if (!have_sport)
			c->sport = 10000;
	}
	if (c->have_dst)
		parse_dst(c);
	if (src_str) {
		int fam = strchr(src_str, ':') ? AF_INET6 : AF_INET;

		if (fam != c->family || inet_pton(fam, src_str, &c->src) != 1)
			usage_error("bad source address '%s' (an %s address)",
				    src_str,
				    c->family == AF_INET ? "IPv4" : "IPv6");
		c->have_src = true;
	}
	if (c->have_dst) {
		unsigned int max = c->family == AF_INET ? MAX_UDP4 : MAX_UDP6;

		if (c->size_max > max)
			usage_error("size %u is above the UDP maximum %u",
				    c->size_max, max);
	}
	if (have_sport && c->sport + (uint64_t)c->flows - 1 > 65535 &&
	    !c->vary_dport)
		usage_error("source ports %u + %u flows run past 65535",
			    c->sport, c->flows);
	if (c->vary_dport && c->port + (uint64_t)c->flows - 1 > 65535)
		usage_error("destination ports %u + %u flows run past 65535",
			    c->port, c->flows);
}

/* ---- the interface (raw mode) ---------------------------------------- */

static int iface_info(struct cfg *c)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->iface);
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0)
		goto fail;
	c->mtu = ifr.ifr_mtu;
	if (!c->have_src_mac) {
		if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
			goto fail;
		memcpy(c->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	close(s);
	if (c->have_dst && !c->have_src) {
		struct ifaddrs *ifa, *i;

		if (getifaddrs(&ifa))
			return -1;
		for (i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || strcmp(i->ifa_name, c->iface) ||
			    i->ifa_addr->sa_family != c->family)
				continue;
			if (c->family == AF_INET)
				c->src.v4 = ((struct sockaddr_in *)i->ifa_addr)
						    ->sin_addr;
			else
				c->src.v6 = ((struct sockaddr_in6 *)i->ifa_addr)
						    ->sin6_addr;
			c->have_src = true;
			break;
		}
		freeifaddrs(ifa);
		if (!c->have_src) {
			fprintf(stderr,
				"%s: %s has no IPv%d address: give --src\n",
				prog, c->iface, c->family == AF_INET ? 4 : 6);
			errno = EADDRNOTAVAIL;
			return -1;
		}
	}
	return 0;
fail:
	close(s);
	return -1;
}

/* ---- building payloads and frames ------------------------------------ */

struct gen {
	const struct cfg *c;
	unsigned char *filler; /* the pattern every payload continues with */
	size_t filler_len;
	uint64_t rng;
	uint16_t ip_id;
	/* sockets: one per flow (UDP, --vary sport), else one */
	int fds[MAX_FLOWS];
	unsigned int nfds;
	uint16_t sports[MAX_FLOWS]; /* bound source ports (UDP mode) */
	/* results */
	uint64_t sent, payload_bytes, l2_bytes, wire_bytes, retries;
	unsigned int seen_min, seen_max;
};

static unsigned int next_size(struct gen *g)
{
	const struct cfg *c = g->c;
	uint64_t x = g->rng;

	if (c->size_min == c->size_max)
		return c->size_min;
	/* xorshift64* */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->rng = x;
	x *= UINT64_C(2685821657736338717);
	return c->size_min +
	       (unsigned int)((x >> 32) % (c->size_max - c->size_min + 1));
}

/* The payload header, cut to @size. */
static void put_gen_hdr(unsigned char *p, unsigned int size, uint32_t flow,
			uint64_t seq)
{
	unsigned char h[GEN_HDR_LEN];
	uint32_t m = htobe32(GEN_MAGIC), f = htobe32(flow);
	uint64_t s = htobe64(seq);

	memcpy(h, &m, 4);
	memcpy(h + 4, &f, 4);
	memcpy(h + 8, &s, 8);
	memcpy(p, h, size < GEN_HDR_LEN ? size : GEN_HDR_LEN);
}

static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t flow_sport(const struct gen *g, uint32_t flow)
{
	const struct cfg *c = g->c;

	return (uint16_t)(c->vary_dport ? c->sport : c->sport + flow);
}

static uint16_t flow_dport(const struct gen *g, uint32_t flow)
{
	const struct cfg *c = g->c;

	return (uint16_t)(c->vary_dport ? c->port + flow : c->port);
}

/* Bytes on the link for a datagram or frame of @l2 bytes (no FCS). */
static void count_sent(struct gen *g, unsigned int payload, size_t l2)
{
	size_t wire = l2 + 4 < 64 ? 64 : l2 + 4; /* FCS, minimum frame */

	g->sent++;
	g->payload_bytes += payload;
	g->l2_bytes += l2;
	g->wire_bytes += wire + 20; /* preamble, start, inter-frame gap */
	if (!g->seen_max || payload > g->seen_max)
		g->seen_max = payload;
	if (g->sent == 1 || payload < g->seen_min)
		g->seen_min = payload;
}

static size_t udp_l2_len(const struct cfg *c, unsigned int payload)
{
	return ETH_HLEN_ + (c->family == AF_INET ? IP4_HLEN : IP6_HLEN) +
	       UDP_HLEN + payload;
}

/*
 * A whole frame (raw mode) or datagram payload (UDP mode) into @out.
 * Return: its length.
 */
static size_t build(struct gen *g, unsigned char *out, unsigned int size,
		    uint32_t flow, uint64_t seq)
{
	const struct cfg *c = g->c;
	unsigned char *p = out, *l4;
	uint16_t sport, dport, ulen;
	uint32_t sum;

	if (!c->raw) {
		put_gen_hdr(out, size, flow, seq);
		if (size > GEN_HDR_LEN)
			memcpy(out + GEN_HDR_LEN, g->filler + GEN_HDR_LEN,
			       size - GEN_HDR_LEN);
		return size;
	}
	memcpy(p, c->dst_mac, 6);
	memcpy(p + 6, c->src_mac, 6);
	if (!c->have_dst) {
		p[12] = (unsigned char)(c->ethertype >> 8);
		p[13] = (unsigned char)c->ethertype;
		put_gen_hdr(p + ETH_HLEN_, size, flow, seq);
		if (size > GEN_HDR_LEN)
			memcpy(p + ETH_HLEN_ + GEN_HDR_LEN,
			       g->filler + GEN_HDR_LEN, size - GEN_HDR_LEN);
		return ETH_HLEN_ + size;
	}
	ulen = (uint16_t)(UDP_HLEN + size);
	p += ETH_HLEN_;
	if (c->family == AF_INET) {
		uint16_t tot = (uint16_t)(IP4_HLEN + ulen), id = g->ip_id++;

		out[12] = 0x08;
		out[13] = 0x00;
		p[0] = 0x45;
		p[1] = 0;
		p[2] = (unsigned char)(tot >> 8);
		p[3] = (unsigned char)tot;
		p[4] = (unsigned char)(id >> 8);
		p[5] = (unsigned char)id;
		p[6] = 0x40; /* DF */
		p[7] = 0;
		p[8] = (unsigned char)(c->have_ttl ? c->ttl : 64);
		p[9] = IPPROTO_UDP;
		p[10] = p[11] = 0;
		memcpy(p + 12, &c->src.v4, 4);
		memcpy(p + 16, &((const struct sockaddr_in *)&c->dst)->sin_addr,
		       4);
		sum = csum_fold(csum_add(0, p, IP4_HLEN));
		p[10] = (unsigned char)(sum >> 8);
		p[11] = (unsigned char)sum;
		/* pseudo-header */
		sum = csum_add(0, p + 12, 8) + IPPROTO_UDP + ulen;
		l4 = p + IP4_HLEN;
	} else {
		out[12] = 0x86;
		out[13] = 0xdd;
		p[0] = 0x60;
		p[1] = p[2] = p[3] = 0;
		p[4] = (unsigned char)(ulen >> 8);
		p[5] = (unsigned char)ulen;
		p[6] = IPPROTO_UDP;
		p[7] = (unsigned char)(c->have_ttl ? c->ttl : 64);
		memcpy(p + 8, &c->src.v6, 16);
		memcpy(p + 24,
		       &((const struct sockaddr_in6 *)&c->dst)->sin6_addr, 16);
		sum = csum_add(0, p + 8, 32) + IPPROTO_UDP + ulen;
		l4 = p + IP6_HLEN;
	}
	sport = flow_sport(g, flow);
	dport = flow_dport(g, flow);
	l4[0] = (unsigned char)(sport >> 8);
	l4[1] = (unsigned char)sport;
	l4[2] = (unsigned char)(dport >> 8);
	l4[3] = (unsigned char)dport;
	l4[4] = (unsigned char)(ulen >> 8);
	l4[5] = (unsigned char)ulen;
	l4[6] = l4[7] = 0;
	put_gen_hdr(l4 + UDP_HLEN, size, flow, seq);
	if (size > GEN_HDR_LEN)
		memcpy(l4 + UDP_HLEN + GEN_HDR_LEN, g->filler + GEN_HDR_LEN,
		       size - GEN_HDR_LEN);
	sum = csum_fold(csum_add(sum, l4, ulen));
	if (!sum)
		sum = 0xffff;
	l4[6] = (unsigned char)(sum >> 8);
	l4[7] = (unsigned char)sum;
	return (size_t)(l4 - out) + ulen;
}

/* ---- sockets --------------------------------------------------------- */

static int open_udp(struct gen *g, uint16_t sport, uint16_t *bound)
{
	const struct cfg *c = g->c;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = hsk_socket(c->family, SOCK_DGRAM, 0);

	if (fd < 0) {
		fprintf(stderr, "%s: hsk_socket: %s\n", prog, strerror(errno));
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)c->family;
	if (c->family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(sport);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(sport);
	if (hsk_bind(fd, (struct sockaddr *)&ss,
		     c->family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6))) {
		fprintf(stderr, "%s: bind to source port %u: %s\n", prog, sport,
			strerror(errno));
		goto fail;
	}
	if (hsk_getsockname(fd, (struct sockaddr *)&ss, &len))
		goto fail_opt;
	/* No call may block for good: a stalled send fails in time. */
	if (hsk_settimeout(fd, 1.0))
		goto fail_opt;
	*bound = ntohs(c->family == AF_INET ?
			       ((struct sockaddr_in *)&ss)->sin_port :
			       ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (c->have_ttl) {
		int ttl = (int)c->ttl;

		if (c->family == AF_INET ?
			    hsk_setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl,
					   sizeof(ttl)) ||
				    hsk_setsockopt(fd, IPPROTO_IP,
						   IP_MULTICAST_TTL, &ttl,
						   sizeof(ttl)) :
			    hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
					   &ttl, sizeof(ttl)) ||
				    hsk_setsockopt(fd, IPPROTO_IPV6,
						   IPV6_MULTICAST_HOPS, &ttl,
						   sizeof(ttl)))
			goto fail_opt;
	}
	if (c->ifindex) {
		int err;

		if (c->family == AF_INET) {
			struct ip_mreqn mr = { .imr_ifindex = c->ifindex };

			err = hsk_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
					     &mr, sizeof(mr));
		} else {
			err = hsk_setsockopt(fd, IPPROTO_IPV6,
					     IPV6_MULTICAST_IF, &c->ifindex,
					     sizeof(c->ifindex));
		}
		if (err)
			goto fail_opt;
	}
	return fd;
fail_opt:
	fprintf(stderr, "%s: socket option: %s\n", prog, strerror(errno));
fail:
	hsk_close(fd);
	return -1;
}

static int open_packet(struct gen *g)
{
	const struct cfg *c = g->c;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_ifindex = c->ifindex };
	int fd;

	/* Protocol 0: the socket sends and receives nothing. */
	fd = hsk_socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: hsk_socket(AF_PACKET): %s%s\n", prog,
			strerror(errno),
			errno == EPERM ? " (raw mode needs CAP_NET_RAW)" : "");
		return -1;
	}
	if (hsk_bind(fd, (struct sockaddr *)&ll, sizeof(ll))) {
		fprintf(stderr, "%s: bind to %s: %s\n", prog, c->iface,
			strerror(errno));
		hsk_close(fd);
		return -1;
	}
	if (hsk_settimeout(fd, 1.0)) {
		fprintf(stderr, "%s: hsk_settimeout: %s\n", prog,
			strerror(errno));
		hsk_close(fd);
		return -1;
	}
	return fd;
}

/* Where a batch of @flow goes: its socket and destination. */
static int flow_target(const struct gen *g, uint32_t flow,
		       struct sockaddr_storage *dst, socklen_t *dstlen)
{
	const struct cfg *c = g->c;

	if (c->raw) {
		struct sockaddr_ll *ll = (struct sockaddr_ll *)dst;

		memset(ll, 0, sizeof(*ll));
		ll->sll_family = AF_PACKET;
		ll->sll_ifindex = c->ifindex;
		ll->sll_protocol = htons(
			c->have_dst ? (c->family == AF_INET ? ETHERTYPE_IP :
							      ETHERTYPE_IPV6) :
				      c->ethertype);
		ll->sll_halen = 6;
		memcpy(ll->sll_addr, c->dst_mac, 6);
		*dstlen = sizeof(*ll);
		return g->fds[0];
	}
	memcpy(dst, &c->dst, c->dstlen);
	*dstlen = c->dstlen;
	if (c->vary_dport) {
		uint16_t port = htons(flow_dport(g, flow));

		if (c->family == AF_INET)
			((struct sockaddr_in *)dst)->sin_port = port;
		else
			((struct sockaddr_in6 *)dst)->sin6_port = port;
		return g->fds[0];
	}
	return g->fds[flow];
}

/* ---- sending --------------------------------------------------------- */

/*
 * A send that made no progress: wait for room and retry; give up after
 * five seconds without progress. Return: 0 to retry, -1 to fail.
 */
static int back_off(struct gen *g, int fd, uint64_t *stuck_since)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	uint64_t now = mono_ns();

	if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR &&
	    errno != ETIMEDOUT)
		return -1;
	if (stop_flag)
		return -1;
	g->retries++;
	if (!*stuck_since)
		*stuck_since = now;
	else if (now - *stuck_since > 5 * NS) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (errno == ENOBUFS)
		sleep_until(now + 20000);
	else
		(void)hsk_poll(&pfd, 1, 10);
	return 0;
}

struct mmsg_state {
	struct mmsghdr *msgs;
	struct iovec *iov; /* two per message: header (own), filler (shared) */
	unsigned char (*hdrs)[128];
	unsigned char *frames; /* raw mode: batch frames of frame_cap */
	size_t frame_cap;
	unsigned int *sizes;
};

/* Send @n datagrams of @flow with hsk_sendmmsg(). Return: 0 or -1. */
static int send_mmsg(struct gen *g, struct mmsg_state *st, uint32_t flow,
		     unsigned int n, uint64_t seq)
{
	const struct cfg *c = g->c;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	int fd = flow_target(g, flow, &dst, &dstlen);
	uint64_t stuck = 0;
	unsigned int i, done = 0;

	for (i = 0; i < n; i++) {
		struct msghdr *m = &st->msgs[i].msg_hdr;
		unsigned int size = next_size(g);

		st->sizes[i] = size;
		m->msg_name = &dst;
		m->msg_namelen = dstlen;
		m->msg_control = NULL;
		m->msg_controllen = 0;
		m->msg_flags = 0;
		if (c->raw) {
			unsigned char *f = st->frames + i * st->frame_cap;

			st->iov[2 * i].iov_base = f;
			st->iov[2 * i].iov_len =
				build(g, f, size, flow, seq + i);
			m->msg_iov = &st->iov[2 * i];
			m->msg_iovlen = 1;
			continue;
		}
		put_gen_hdr(st->hdrs[i], size, flow, seq + i);
		st->iov[2 * i].iov_base = st->hdrs[i];
		st->iov[2 * i].iov_len = size < GEN_HDR_LEN ? size :
							      GEN_HDR_LEN;
		st->iov[2 * i + 1].iov_base = g->filler + GEN_HDR_LEN;
		st->iov[2 * i + 1].iov_len =
			size > GEN_HDR_LEN ? size - GEN_HDR_LEN : 0;
		m->msg_iov = &st->iov[2 * i];
		m->msg_iovlen = 2;
	}
	while (done < n) {
		int r = hsk_sendmmsg(fd, st->msgs + done, n - done, 0);

		progress++;

		if (r <= 0) {
			if (r == 0)
				errno = EAGAIN;
			if (back_off(g, fd, &stuck))
				return -1;
			continue;
		}
		stuck = 0;
		for (i = done; i < done + (unsigned int)r; i++)
			count_sent(g, st->sizes[i],
				   c->raw ? st->iov[2 * i].iov_len :
					    udp_l2_len(c, st->sizes[i]));
		done += (unsigned int)r;
	}
	return 0;
}

/* Send @n datagrams of @flow with the zero-copy calls. */
static int send_zc(struct gen *g, struct hsk_buf *bufs, uint32_t flow,
		   unsigned int n, uint64_t seq)
{
	const struct cfg *c = g->c;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	int fd = flow_target(g, flow, &dst, &dstlen);
	uint64_t stuck = 0;
	unsigned int i, got = 0, done = 0;
	unsigned int sizes[MAX_BATCH];

	while (got < n) {
		int r = hsk_buf_alloc(fd, bufs + got, n - got);

		progress++;

		if (r <= 0) {
			if (r == 0)
				errno = ENOBUFS;
			if (back_off(g, fd, &stuck))
				goto fail;
			continue;
		}
		got += (unsigned int)r;
	}
	for (i = 0; i < n; i++) {
		unsigned int size = next_size(g);
		size_t need = c->raw ? (c->have_dst ? udp_l2_len(c, size) :
						      ETH_HLEN_ + size) :
				       size;

		if (need > bufs[i].capacity) {
			fprintf(stderr,
				"%s: %zu bytes do not fit a zero-copy buffer "
				"(%u bytes): lower -s or raise "
				"HOTSOCK_ZC_BUF_SIZE\n",
				prog, need, bufs[i].capacity);
			errno = EMSGSIZE;
			goto fail;
		}
		sizes[i] = size;
		bufs[i].len =
			(uint32_t)build(g, bufs[i].data, size, flow, seq + i);
	}
	stuck = 0;
	while (done < n) {
		int r = hsk_send_zc(fd, bufs + done, n - done,
				    (struct sockaddr *)&dst, dstlen, 0);

		progress++;

		if (r <= 0) {
			if (r == 0)
				errno = EAGAIN;
			if (back_off(g, fd, &stuck))
				goto fail;
			continue;
		}
		stuck = 0;
		for (i = done; i < done + (unsigned int)r; i++)
			count_sent(g, sizes[i],
				   c->raw ? bufs[i].len :
					    udp_l2_len(c, sizes[i]));
		done += (unsigned int)r;
	}
	return 0;
fail:
	if (got > done) {
		int e = errno;

		(void)hsk_buf_release(fd, bufs + done, got - done);
		errno = e;
	}
	return -1;
}

/* The live line: totals, and the rates since the last line. */
static void status_line(const struct gen *g, uint64_t now, uint64_t start,
			uint64_t *last_ns, uint64_t *last_sent,
			uint64_t *last_bytes)
{
	double dt = (double)(now - *last_ns) / 1e9;

	fprintf(stderr,
		"\r[%6.1f s] sent %" PRIu64 "  %.0f pps  %.2f Mbit/s payload"
		"\033[K",
		(double)(now - start) / 1e9, g->sent,
		(double)(g->sent - *last_sent) / dt,
		(double)(g->payload_bytes - *last_bytes) * 8 / dt / 1e6);
	*last_ns = now;
	*last_sent = g->sent;
	*last_bytes = g->payload_bytes;
}

static void report(const struct gen *g, double secs, bool failed)
{
	const struct cfg *c = g->c;
	const char *be = hsk_backend_name(g->fds[0]);
	double pps = secs > 0 ? (double)g->sent / secs : 0;
	double bps = secs > 0 ? (double)g->payload_bytes * 8 / secs : 0;
	double l2 = secs > 0 ? (double)g->l2_bytes * 8 / secs : 0;
	double wire = secs > 0 ? (double)g->wire_bytes * 8 / secs : 0;
	const char *mode = c->raw ? "raw" : "udp";
	unsigned int i;

	if (c->json) {
		printf("{\n  \"tool\": \"hotsock-gen\",\n  \"mode\": \"%s\",\n"
		       "  \"backend\": \"%s\",\n  \"zc\": %s,\n"
		       "  \"flows\": %u,\n  \"batch\": %u,\n"
		       "  \"sent\": %" PRIu64 ",\n  \"payload_bytes\": %" PRIu64
		       ",\n  \"l2_bytes\": %" PRIu64 ",\n"
		       "  \"elapsed_s\": %.6f,\n  \"pps\": %.1f,\n"
		       "  \"payload_bps\": %.0f,\n  \"l2_bps\": %.0f,\n"
		       "  \"wire_bps\": %.0f,\n  \"retries\": %" PRIu64 ",\n"
		       "  \"size_min\": %u,\n  \"size_max\": %u,\n"
		       "  \"complete\": %s,\n  \"source_ports\": [",
		       mode, be ? be : "?", c->zc ? "true" : "false", c->flows,
		       c->batch, g->sent, g->payload_bytes, g->l2_bytes, secs,
		       pps, bps, l2, wire, g->retries, g->seen_min, g->seen_max,
		       failed ? "false" : "true");
		for (i = 0; i < (c->vary_dport ? 1 : c->flows); i++)
			printf("%s%u", i ? ", " : "",
			       c->raw ? flow_sport(g, i) : g->sports[i]);
		printf("],\n  \"dest_ports\": [");
		for (i = 0; c->have_dst && i < (c->vary_dport ? c->flows : 1);
		     i++)
			printf("%s%u", i ? ", " : "", flow_dport(g, i));
		printf("]\n}\n");
		fflush(stdout);
		return;
	}
	printf("%s: sent %" PRIu64 " %s in %.3f s (%s, backend %s%s, %u "
	       "flow%s, batch %u)\n",
	       prog, g->sent, c->raw ? "frames" : "datagrams", secs, mode,
	       be ? be : "?", c->zc ? ", zero-copy" : "", c->flows,
	       c->flows > 1 ? "s" : "", c->batch);
	printf("rate: %.0f pps, %.2f Mbit/s payload, %.2f Mbit/s L2, "
	       "%.2f Mbit/s on the wire\n",
	       pps, bps / 1e6, l2 / 1e6, wire / 1e6);
	if (g->sent)
		printf("sizes %u-%u bytes, %" PRIu64 " payload bytes, "
		       "%" PRIu64 " send retries\n",
		       g->seen_min, g->seen_max, g->payload_bytes, g->retries);
	fflush(stdout);
}

static int run(const struct cfg *c)
{
	struct mmsg_state st = { 0 };
	struct hsk_buf *bufs = NULL;
	struct gen *g;
	uint64_t start, now, end = 0, next_status, seq = 0, batch_no = 0;
	uint64_t last_ns, last_sent = 0, last_bytes = 0;
	bool status = !c->quiet && isatty(STDERR_FILENO), failed = false;
	unsigned int i;
	size_t maxlen = c->size_max > GEN_HDR_LEN ? c->size_max : GEN_HDR_LEN;
	int rc = 1;

	g = calloc(1, sizeof(*g));
	if (!g)
		goto oom;
	g->c = c;
	g->rng = c->seed ? c->seed : 0x9e3779b97f4a7c15ull;
	g->filler = malloc(maxlen);
	if (!g->filler)
		goto oom;
	for (i = 0; i < maxlen; i++)
		g->filler[i] = (unsigned char)(i * 7 + 1);

	if (c->raw) {
		g->fds[0] = open_packet(g);
		if (g->fds[0] < 0)
			goto out;
		g->nfds = 1;
	} else {
		unsigned int n = c->vary_dport ? 1 : c->flows;

		for (i = 0; i < n; i++) {
			uint16_t want = c->sport ? (uint16_t)(c->sport + i) : 0;

			g->fds[i] = open_udp(g, want, &g->sports[i]);
			if (g->fds[i] < 0)
				goto out;
			g->nfds++;
		}
	}
	st.msgs = calloc(c->batch, sizeof(*st.msgs));
	st.iov = calloc(2 * (size_t)c->batch, sizeof(*st.iov));
	st.hdrs = calloc(c->batch, sizeof(*st.hdrs));
	st.sizes = calloc(c->batch, sizeof(*st.sizes));
	bufs = calloc(c->batch, sizeof(*bufs));
	if (!st.msgs || !st.iov || !st.hdrs || !st.sizes || !bufs)
		goto oom;
	if (c->raw && !c->zc) {
		st.frame_cap = ETH_HLEN_ + IP6_HLEN + UDP_HLEN + maxlen;
		st.frames = malloc(st.frame_cap * c->batch);
		if (!st.frames)
			goto oom;
	}

	if (!c->json)
		fprintf(stderr, "%s: sending to %s%s%s, backend %s\n", prog,
			c->have_dst ? c->dst_str : "",
			c->have_dst && c->raw ? " on " : "",
			c->raw ? c->iface : "", hsk_backend_name(g->fds[0]));
	start = last_ns = mono_ns();
	next_status = start + NS;
	if (c->duration)
		end = start + (uint64_t)(c->duration * 1e9);
	watchdog(true);
	while (!stop_flag) {
		uint64_t n = c->batch;
		uint32_t flow;

		now = mono_ns();
		if (end && now >= end)
			break;
		if (c->count) {
			if (g->sent >= c->count)
				break;
			if (c->count - g->sent < n)
				n = c->count - g->sent;
		}
		if (status && now >= next_status) {
			status_line(g, now, start, &last_ns, &last_sent,
				    &last_bytes);
			next_status += NS;
		}
		if (c->rate > 0) {
			uint64_t due = (uint64_t)((double)(now - start) / 1e9 *
						  c->rate) +
				       1;

			if (g->sent >= due) {
				uint64_t at =
					start + (uint64_t)((double)g->sent *
							   1e9 / c->rate);

				if (at > now + NS / 10)
					at = now + NS / 10;
				sleep_until(at);
				progress++; /* waiting by choice */
				continue;
			}
			if (due - g->sent < n)
				n = due - g->sent;
		}
		flow = (uint32_t)(batch_no++ % c->flows);
		if (c->zc ? send_zc(g, bufs, flow, (unsigned int)n, seq) :
			    send_mmsg(g, &st, flow, (unsigned int)n, seq)) {
			fprintf(stderr,
				"%s%s: sending: %s (after %" PRIu64 " sent)\n",
				status ? "\r\033[K" : "", prog, strerror(errno),
				g->sent);
			failed = true;
			break;
		}
		seq += n;
	}
	watchdog(false);
	now = mono_ns();
	if (status)
		fprintf(stderr, "\r\033[K");
	report(g, (double)(now - start) / 1e9, failed);
	rc = failed ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "%s: out of memory\n", prog);
out:
	if (g) {
		for (i = 0; i < g->nfds; i++)
			hsk_close(g->fds[i]);
		free(g->filler);
	}
	free(g);
	free(st.msgs);
	free(st.iov);
	free(st.hdrs);
	free(st.sizes);
	free(st.frames);
	free(bufs);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct cfg c;

	parse_args(&c, argc, argv);
	if (c.raw) {
		if (iface_info(&c)) {
			if (errno != EADDRNOTAVAIL)
				fprintf(stderr, "%s: %s: %s\n", prog, c.iface,
					strerror(errno));
			return 1;
		}
		if (c.have_dst ? udp_l2_len(&c, c.size_max) >
					 (size_t)c.mtu + ETH_HLEN_ :
				 c.size_max > (unsigned int)c.mtu)
			usage_error("size %u does not fit the MTU of %s (%d)",
				    c.size_max, c.iface, c.mtu);
	}
	{
		HSK_OPTS(opts, .backend = c.backend);

		if (c.iface && !getenv("HOTSOCK_IFACE"))
			opts.iface = c.iface;
		if (hsk_init(&opts)) {
			fprintf(stderr,
				"%s: hsk_init: %s "
				"(check HOTSOCK_* variables)\n",
				prog, strerror(errno));
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	return run(&c);
}
