// SPDX-License-Identifier: BSD-3-Clause
/*
 * feed.c - hotsock-feed: a multicast market-data receiver with A/B line
 * arbitration, gap and duplicate detection and one-way latency, and the
 * publisher that feeds it.
 *
 *   hotsock-feed -g GROUP[,GROUP2] -p PORT [-I IFACE] [options]
 *   hotsock-feed --publish -g GROUP[,GROUP2] -p PORT [-I IFACE] [options]
 *
 * The receiver joins every group on one UDP socket bound to the wildcard
 * address and the port, and tells the lines apart by the destination
 * address of each datagram (IP_PKTINFO / IPV6_PKTINFO). The first group is
 * line A, the second line B; both carry one sequence space. The first copy
 * of a sequence number wins, any later copy is a discarded duplicate, and
 * a sequence number is a gap only once every line still talking has gone
 * past it without delivering it. See README.md for every option.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hotsock.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

/*
 * The feed header: 24 bytes at the start of every datagram, every field
 * big-endian (network byte order).
 *
 *   offset size field
 *        0    4 magic    0x48534b46 ("HSKF")
 *        4    1 version  1
 *        5    1 line     0 for A, 1 for B (informational: the receiver
 *                        knows the line by the group it came to)
 *        6    2 hdrlen   24, the header's length
 *        8    8 seq      sequence number, one space for both lines
 *       16    8 send_ns  CLOCK_REALTIME nanoseconds when it was sent
 *
 * Any bytes after the header (up to --size) are padding.
 */
#define FEED_MAGIC 0x48534b46u
#define FEED_VERSION 1
#define FEED_HDR_LEN 24
#define FEED_MAX_SIZE 65507 /* UDP payload over IPv4 */

#define MAX_LINES 2
#define MAX_BATCH 256
#define RX_BUF 2048 /* only the header is read; longer datagrams are cut */

/* Sequence numbers remembered behind the highest one (a power of two). */
#define WIN_BITS 22
#define WIN (UINT64_C(1) << WIN_BITS)
/* Gap ranges kept for the report; beyond that they are only counted. */
#define MAX_RANGES 65536

#define NS 1000000000ull

static const char *prog = "hotsock-feed";
static volatile sig_atomic_t stop_flag;
static bool status_shown; /* a live status line is on stderr */

/* ---- small helpers --------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
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

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
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
	v = strtoull(s, &end, 10);
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

static void put_be16(unsigned char *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get_be32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* ---- sequence ranges (drop lists, gap lists) ------------------------- */

struct range {
	uint64_t lo, hi; /* inclusive */
};

struct ranges {
	struct range *r;
	size_t n, cap;
};

static void ranges_push(struct ranges *rs, uint64_t lo, uint64_t hi)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct range *r = realloc(rs->r, cap * sizeof(*r));

		if (!r) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		rs->r = r;
		rs->cap = cap;
	}
	rs->r[rs->n].lo = lo;
	rs->r[rs->n].hi = hi;
	rs->n++;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Parse "5,9-12,20" into sorted, merged ranges. */
static void parse_seq_list(const char *s, const char *what, struct ranges *rs)
{
	char *copy = strdup(s), *tok, *save = NULL;
	size_t i, j;

	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	rs->n = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi;

		if (dash)
			*dash = '\0';
		lo = parse_u64(tok, what, 0, UINT64_MAX);
		hi = dash ? parse_u64(dash + 1, what, 0, UINT64_MAX) : lo;
		if (hi < lo)
			usage_error("bad %s: range %" PRIu64 "-%" PRIu64
				    " ends before it starts",
				    what, lo, hi);
		ranges_push(rs, lo, hi);
	}
	free(copy);
	if (!rs->n)
		usage_error("empty %s", what);
	qsort(rs->r, rs->n, sizeof(*rs->r), range_cmp);
	for (i = 0, j = 1; j < rs->n; j++) {
		if (rs->r[j].lo <= rs->r[i].hi + 1 &&
		    rs->r[i].hi != UINT64_MAX) {
			if (rs->r[j].hi > rs->r[i].hi)
				rs->r[i].hi = rs->r[j].hi;
		} else {
			rs->r[++i] = rs->r[j];
		}
	}
	rs->n = i + 1;
}

/* Index of the range holding @v, or -1. */
static long ranges_find(const struct ranges *rs, uint64_t v)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->r[mid].hi < v)
			lo = mid + 1;
		else if (rs->r[mid].lo > v)
			hi = mid;
		else
			return (long)mid;
	}
	return -1;
}

/* ---- latency histogram ----------------------------------------------- */

/*
 * Log-bucketed: values below 16 ns have a bucket each; above, every power
 * of two is cut into 16 buckets, so a bucket is at most 1/16 (6.25%) of
 * its value wide. Percentiles report the upper end of their bucket
 * (never above the largest value seen).
 */
#define HIST_SUB_BITS 4
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t b[HIST_BUCKETS];
	uint64_t count, negative, min, max;
	double sum;
};

static unsigned int hist_index(uint64_t v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static uint64_t hist_upper(unsigned int idx)
{
	unsigned int g = idx / HIST_SUB, sub = idx % HIST_SUB;
	uint64_t lower, width;

	if (g == 0)
		return idx;
	lower = (uint64_t)(HIST_SUB + sub) << (g - 1);
	width = UINT64_C(1) << (g - 1);
	return lower + (width - 1);
}

static void hist_add(struct hist *h, int64_t v)
{
	uint64_t u;

	if (v < 0) {
		h->negative++;
		v = 0;
	}
	u = (uint64_t)v;
	h->b[hist_index(u)]++;
	if (!h->count || u < h->min)
		h->min = u;
	if (u > h->max)
		h->max = u;
	h->count++;
	h->sum += (double)u;
}

/* The @per_million-th quantile (500000 = median). */
static uint64_t hist_quantile(const struct hist *h, uint64_t per_million)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	rank = (h->count / 1000000) * per_million +
	       ((h->count % 1000000) * per_million + 999999) / 1000000;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t up = hist_upper(i);

			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

static const struct {
	const char *name, *key; /* text, JSON */
	uint64_t pm;
} quantiles[] = {
	{ "p50", "p50", 500000 },
	{ "p90", "p90", 900000 },
	{ "p99", "p99", 990000 },
	{ "p99.9", "p99_9", 999000 },
};

/* ---- configuration --------------------------------------------------- */

union ipaddr {
	struct in_addr v4;
	struct in6_addr v6;
};

struct group {
	char str[INET6_ADDRSTRLEN];
	union ipaddr a;
};

struct cfg {
	bool publish, json, quiet, verbose, kernel_ts;
	int family, ngroups;
	struct group groups[MAX_LINES];
	uint16_t port;
	const char *iface;
	unsigned int ifindex;
	const char *backend;
	uint64_t count;	       /* 0: no bound */
	double duration, idle; /* seconds, 0: no bound */
	/* receiver */
	unsigned int max_gaps, batch, busy_poll_us, line_timeout_ms;
	int rcvbuf;
	/* publisher */
	double rate; /* 0: as fast as possible */
	unsigned int size;
	int ttl; /* -1: the kernel's default */
	uint64_t start_seq;
	struct ranges drop[MAX_LINES];
};

/* The help text; %1$s is the program's name. */
static const char help_text[] =
	"Usage: %1$s -g GROUP[,GROUP2] -p PORT [options]\n"
	"       %1$s --publish -g GROUP[,GROUP2] -p PORT [options]\n"
	"\n"
	"A multicast market-data feed over hotsock. The receiver (first form)\n"
	"arbitrates an A/B pair of groups, first copy wins, and reports gaps,\n"
	"duplicates and one-way latency; the publisher (--publish) sends the\n"
	"feed, and can leave chosen sequence numbers out of either line.\n"
	"\n"
	"Both:\n"
	"  -g, --group G[,G2]    multicast group(s), IPv4 or IPv6: line A,\n"
	"                        then line B (one sequence space)\n"
	"  -p, --port PORT       UDP port, 1-65535\n"
	"  -I, --interface IF    interface to join on (receiver) or to send\n"
	"                        by (publisher: IP_MULTICAST_IF)\n"
	"  -c, --count N         stop after N unique sequence numbers\n"
	"                        (receiver) or N published (publisher)\n"
	"  -t, --duration S      stop after S seconds\n"
	"      --backend B       kernel, af_xdp or auto (default: the\n"
	"                        HOTSOCK_BACKEND environment, else auto)\n"
	"      --json            machine-readable report on stdout\n"
	"  -q, --quiet           no live status line on stderr\n"
	"  -h, --help            this help\n"
	"\n"
	"Receiver:\n"
	"      --idle S          stop S seconds after the last datagram\n"
	"      --max-gaps N      gap ranges listed in reports (default 20)\n"
	"      --line-timeout MS a line silent this long holds back no gap\n"
	"                        (default 250)\n"
	"      --batch N         datagrams per receive call, 1-256\n"
	"                        (default 32)\n"
	"      --rcvbuf BYTES    socket receive buffer (default 4 MiB)\n"
	"      --busy-poll US    busy-poll this long before sleeping\n"
	"      --timestamp WHEN  receive time: user (when the call returned,\n"
	"                        the default) or kernel (SO_TIMESTAMPNS)\n"
	"  -v, --verbose         print each gap on stderr as it is found\n"
	"\n"
	"Publisher (--publish):\n"
	"  -r, --rate PPS        sequence numbers per second (default 1000;\n"
	"                        0: as fast as possible)\n"
	"  -s, --size BYTES      datagram size, 24-65507 (default 64)\n"
	"      --ttl N           IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS\n"
	"      --start-seq N     first sequence number (default 1)\n"
	"      --drop-a LIST     sequence numbers left out of line A,\n"
	"                        as in 5,9-12\n"
	"      --drop-b LIST     the same for line B\n"
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
	OPT_PUBLISH = 256,
	OPT_BACKEND,
	OPT_JSON,
	OPT_IDLE,
	OPT_MAX_GAPS,
	OPT_LINE_TIMEOUT,
	OPT_BATCH,
	OPT_RCVBUF,
	OPT_BUSY_POLL,
	OPT_TIMESTAMP,
	OPT_TTL,
	OPT_START_SEQ,
	OPT_DROP_A,
	OPT_DROP_B,
};

static const struct option long_opts[] = {
	{ "group", required_argument, NULL, 'g' },
	{ "port", required_argument, NULL, 'p' },
	{ "interface", required_argument, NULL, 'I' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 't' },
	{ "rate", required_argument, NULL, 'r' },
	{ "size", required_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "publish", no_argument, NULL, OPT_PUBLISH },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "max-gaps", required_argument, NULL, OPT_MAX_GAPS },
	{ "line-timeout", required_argument, NULL, OPT_LINE_TIMEOUT },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
	{ "timestamp", required_argument, NULL, OPT_TIMESTAMP },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "start-seq", required_argument, NULL, OPT_START_SEQ },
	{ "drop-a", required_argument, NULL, OPT_DROP_A },
	{ "drop-b", required_argument, NULL, OPT_DROP_B },
	{ NULL, 0, NULL, 0 },
};

static void parse_groups(struct cfg *c, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	c->ngroups = 0;
	c->family = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct group *g;
		int fam;

		if (c->ngroups == MAX_LINES)
			usage_error("at most %d groups (lines A and B)",
				    MAX_LINES);
		g = &c->groups[c->ngroups];
		if (inet_pton(AF_INET, tok, &g->a.v4) == 1) {
			fam = AF_INET;
			if (!IN_MULTICAST(ntohl(g->a.v4.s_addr)))
				usage_error("%s is not an IPv4 multicast group",
					    tok);
		} else if (inet_pton(AF_INET6, tok, &g->a.v6) == 1) {
			fam = AF_INET6;
			if (!IN6_IS_ADDR_MULTICAST(&g->a.v6))
				usage_error("%s is not an IPv6 multicast group",
					    tok);
		} else {
			usage_error("bad group '%s'", tok);
		}
		if (c->family && fam != c->family)
			usage_error("the groups must be of one family");
		c->family = fam;
		inet_ntop(fam, &g->a, g->str, sizeof(g->str));
		if (c->ngroups &&
		    !memcmp(&c->groups[0].a, &g->a, fam == AF_INET ? 4 : 16))
			usage_error("lines A and B need two different groups");
		c->ngroups++;
	}
	free(copy);
	if (!c->ngroups)
		usage_error("bad group list '%s'", arg);
}

static void parse_args(struct cfg *c, int argc, char **argv)
{
	bool recv_only = false, pub_only = false;
	const char *recv_opt = NULL, *pub_opt = NULL;
	int opt;

	memset(c, 0, sizeof(*c));
	c->max_gaps = 20;
	c->batch = 32;
	c->line_timeout_ms = 250;
	/* A burst while the receiver is off the CPU must fit: the kernel's
	 * default (about 200 KiB) holds some 270 small datagrams. */
	c->rcvbuf = 4 << 20;
	c->rate = 1000;
	c->size = 64;
	c->ttl = -1;
	c->start_seq = 1;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":g:p:I:c:t:r:s:qvh", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'g':
			parse_groups(c, optarg);
			break;
		case 'p':
			c->port = (uint16_t)parse_u64(optarg, "port", 1, 65535);
			break;
		case 'I':
			c->iface = optarg;
			c->ifindex = if_nametoindex(optarg);
			if (!c->ifindex)
				usage_error("no interface '%s'", optarg);
			break;
		case 'c':
			c->count = parse_u64(optarg, "count", 1, UINT64_MAX);
			break;
		case 't':
			c->duration = parse_num(optarg, "duration", 0.001, 1e7);
			break;
		case 'r':
			c->rate = parse_num(optarg, "rate", 0, 1e9);
			pub_only = true;
			pub_opt = "--rate";
			break;
		case 's':
			c->size = (unsigned int)parse_u64(
				optarg, "size", FEED_HDR_LEN, FEED_MAX_SIZE);
			pub_only = true;
			pub_opt = "--size";
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'v':
			c->verbose = true;
			recv_only = true;
			recv_opt = "--verbose";
			break;
		case 'h':
			usage();
			exit(0);
		case OPT_PUBLISH:
			c->publish = true;
			break;
		case OPT_BACKEND:
			c->backend = check_backend(optarg);
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_IDLE:
			c->idle = parse_num(optarg, "idle time", 0.001, 1e7);
			recv_only = true;
			recv_opt = "--idle";
			break;
		case OPT_MAX_GAPS:
			c->max_gaps = (unsigned int)parse_u64(
				optarg, "max-gaps", 0, 1000000);
			recv_only = true;
			recv_opt = "--max-gaps";
			break;
		case OPT_LINE_TIMEOUT:
			c->line_timeout_ms = (unsigned int)parse_u64(
				optarg, "line timeout", 1, 3600000);
			recv_only = true;
			recv_opt = "--line-timeout";
			break;
		case OPT_BATCH:
			c->batch = (unsigned int)parse_u64(optarg, "batch", 1,
							   MAX_BATCH);
			recv_only = true;
			recv_opt = "--batch";
			break;
		case OPT_RCVBUF:
			c->rcvbuf = (int)parse_u64(optarg, "rcvbuf", 1024,
						   INT_MAX / 2);
			recv_only = true;
			recv_opt = "--rcvbuf";
			break;
		case OPT_BUSY_POLL:
			c->busy_poll_us = (unsigned int)parse_u64(
				optarg, "busy-poll time", 0, 1000000);
			recv_only = true;
			recv_opt = "--busy-poll";
			break;
		case OPT_TIMESTAMP:
			if (!strcmp(optarg, "kernel"))
				c->kernel_ts = true;
			else if (strcmp(optarg, "user"))
				usage_error("bad timestamp '%s' (user, kernel)",
					    optarg);
			recv_only = true;
			recv_opt = "--timestamp";
			break;
		case OPT_TTL:
			c->ttl = (int)parse_u64(optarg, "ttl", 0, 255);
			pub_only = true;
			pub_opt = "--ttl";
			break;
		case OPT_START_SEQ:
			c->start_seq = parse_u64(optarg, "start sequence", 0,
						 UINT64_MAX / 2);
			pub_only = true;
			pub_opt = "--start-seq";
			break;
		case OPT_DROP_A:
		case OPT_DROP_B:
			parse_seq_list(optarg,
				       opt == OPT_DROP_A ? "drop-a list" :
							   "drop-b list",
				       &c->drop[opt == OPT_DROP_B]);
			pub_only = true;
			pub_opt = opt == OPT_DROP_A ? "--drop-a" : "--drop-b";
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
	if (!c->ngroups)
		usage_error("no group: give -g GROUP[,GROUP2]");
	if (!c->port)
		usage_error("no port: give -p PORT");
	if (c->publish && recv_only)
		usage_error("%s is a receiver option", recv_opt);
	if (!c->publish && pub_only)
		usage_error("%s needs --publish", pub_opt);
	if (c->drop[1].n && c->ngroups < 2)
		usage_error("--drop-b needs a second group (line B)");
}

/* hsk_init() with the backend asked for, or the environment. */
static void init_library(const struct cfg *c)
{
	HSK_OPTS(opts, .backend = c->backend, .busy_poll_us = c->busy_poll_us);

	/* On af_xdp, a socket bound to the wildcard address takes its
	 * interface from HOTSOCK_IFACE: the one we join on or send by. */
	if (c->iface && !getenv("HOTSOCK_IFACE"))
		opts.iface = c->iface;
	if (hsk_init(&opts)) {
		fprintf(stderr,
			"%s: hsk_init: %s (check HOTSOCK_* variables)\n", prog,
			strerror(errno));
		exit(1);
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* A second Ctrl-C kills at once. */
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static socklen_t group_sockaddr(const struct cfg *c, int line,
				struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(c->port);
		if (line >= 0)
			in->sin_addr = c->groups[line].a.v4;
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(c->port);
	if (line >= 0)
		in6->sin6_addr = c->groups[line].a.v6;
	return sizeof(*in6);
}

static bool live_status(const struct cfg *c)
{
	return !c->quiet && isatty(STDERR_FILENO);
}

static void json_latency(const struct hist *h)
{
	size_t i;

	printf("{\"samples\": %" PRIu64 ", \"negative\": %" PRIu64, h->count,
	       h->negative);
	if (!h->count) {
		printf(", \"min\": null, \"mean\": null");
		for (i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
			printf(", \"%s\": null", quantiles[i].key);
		printf(", \"max\": null}");
		return;
	}
	printf(", \"min\": %" PRIu64 ", \"mean\": %.0f", h->min,
	       h->sum / (double)h->count);
	for (i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		printf(", \"%s\": %" PRIu64, quantiles[i].key,
		       hist_quantile(h, quantiles[i].pm));
	printf(", \"max\": %" PRIu64 "}", h->max);
}

static void text_latency(const char *label, const struct hist *h)
{
	size_t i;

	printf("%s (us, %" PRIu64 " samples):", label, h->count);
	if (!h->count) {
		printf(" none\n");
		return;
	}
	printf(" min %.1f", (double)h->min / 1e3);
	for (i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		printf(" %s %.1f", quantiles[i].name,
		       (double)hist_quantile(h, quantiles[i].pm) / 1e3);
	printf(" max %.1f", (double)h->max / 1e3);
	if (h->negative)
		printf(" (%" PRIu64 " negative: clocks disagree)", h->negative);
	printf("\n");
}

/* ---- receiver: arbitration ------------------------------------------- */

struct line {
	uint64_t received, first, dups, too_old, malformed;
	uint64_t high;	  /* highest sequence number this line delivered */
	uint64_t last_rx; /* CLOCK_MONOTONIC of its last datagram */
	bool any;
	struct hist lat; /* every copy this line delivered */
};

struct arb {
	bool started;
	uint64_t first;	    /* first sequence number received */
	uint64_t high;	    /* highest received, any line */
	uint64_t confirmed; /* below it, each number is received or a gap */
	uint64_t *bits;	    /* received, for [high - WIN + 1, high] */
	uint64_t unique, dups, late, too_old, before_start;
	uint64_t missing;     /* sequence numbers in gaps now */
	struct ranges gaps;   /* at most MAX_RANGES kept */
	uint64_t gaps_unkept; /* ranges found beyond MAX_RANGES */
	/* --verbose */
	const struct cfg *cfg;
	unsigned int printed;
};

enum verdict { FIRST, DUPLICATE, TOO_OLD };

static bool bit_get(const struct arb *a, uint64_t s)
{
	uint64_t i = s & (WIN - 1);

	return a->bits[i / 64] >> (i % 64) & 1;
}

static void bit_set(struct arb *a, uint64_t s)
{
	uint64_t i = s & (WIN - 1);

	a->bits[i / 64] |= UINT64_C(1) << (i % 64);
}

static void bit_clear(struct arb *a, uint64_t s)
{
	uint64_t i = s & (WIN - 1);

	a->bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

static void gap_report(struct arb *a, uint64_t lo, uint64_t hi)
{
	const struct cfg *c = a->cfg;

	if (!c->verbose)
		return;
	if (status_shown) /* clear the status line first */
		fprintf(stderr, "\r\033[K");
	if (a->printed < c->max_gaps) {
		if (lo == hi)
			fprintf(stderr, "%s: gap: %" PRIu64 "\n", prog, lo);
		else
			fprintf(stderr,
				"%s: gap: %" PRIu64 "-%" PRIu64 " (%" PRIu64
				" missing)\n",
				prog, lo, hi, hi - lo + 1);
	} else if (a->printed == c->max_gaps) {
		fprintf(stderr, "%s: further gaps not shown\n", prog);
	}
	a->printed++;
}

/* Record lo..hi missing; ranges arrive in increasing order. */
static void gap_add(struct arb *a, uint64_t lo, uint64_t hi)
{
	struct ranges *g = &a->gaps;

	a->missing += hi - lo + 1;
	if (g->n && !a->gaps_unkept && g->r[g->n - 1].hi + 1 == lo) {
		g->r[g->n - 1].hi = hi;
		return;
	}
	if (g->n < MAX_RANGES && !a->gaps_unkept)
		ranges_push(g, lo, hi);
	else
		a->gaps_unkept++;
}

/* A sequence number recorded as a gap arrived after all. */
static void gap_remove(struct arb *a, uint64_t s)
{
	struct ranges *g = &a->gaps;
	long i = ranges_find(g, s);
	struct range *r;

	a->missing--;
	if (i < 0)
		return; /* in a range past MAX_RANGES */
	r = &g->r[i];
	if (r->lo == r->hi) {
		memmove(r, r + 1, (g->n - (size_t)i - 1) * sizeof(*r));
		g->n--;
	} else if (s == r->lo) {
		r->lo++;
	} else if (s == r->hi) {
		r->hi--;
	} else {
		uint64_t hi = r->hi;

		r->hi = s - 1;
		ranges_push(g, 0, 0); /* room for one more */
		r = &g->r[i];
		memmove(r + 2, r + 1, (g->n - (size_t)i - 2) * sizeof(*r));
		r[1].lo = s + 1;
		r[1].hi = hi;
	}
}

/* Everything below @to is settled: what was not received is a gap. */
static void confirm_to(struct arb *a, uint64_t to)
{
	uint64_t s, run = 0;
	bool in_run = false;

	for (s = a->confirmed; s < to; s++) {
		/* Skip whole words of received numbers. */
		if (!in_run && !(s & 63) && s + 64 <= to &&
		    a->bits[(s & (WIN - 1)) / 64] == UINT64_MAX) {
			s += 63;
			continue;
		}
		if (!bit_get(a, s)) {
			if (!in_run)
				run = s;
			in_run = true;
		} else if (in_run) {
			gap_add(a, run, s - 1);
			gap_report(a, run, s - 1);
			in_run = false;
		}
	}
	if (in_run) {
		gap_add(a, run, to - 1);
		gap_report(a, run, to - 1);
	}
	if (to > a->confirmed)
		a->confirmed = to;
}

static enum verdict arb_add(struct arb *a, uint64_t s)
{
	if (!a->started) {
		a->started = true;
		a->first = a->high = a->confirmed = s;
		bit_set(a, s);
		a->unique++;
		return FIRST;
	}
	if (s > a->high) {
		uint64_t h = a->high;

		/* The window slides: settle what falls out of it. */
		if (s >= WIN && s - WIN + 1 > a->confirmed) {
			uint64_t to = s - WIN + 1;

			if (to > h + 1) {
				confirm_to(a, h + 1);
				gap_add(a, h + 1, to - 1);
				gap_report(a, h + 1, to - 1);
				a->confirmed = to;
			} else {
				confirm_to(a, to);
			}
		}
		if (s - h >= WIN) {
			memset(a->bits, 0, WIN / 8);
		} else {
			for (h++; h < s; h++)
				bit_clear(a, h);
		}
		bit_clear(a, s);
		bit_set(a, s);
		a->high = s;
		a->unique++;
		return FIRST;
	}
	if (a->high - s >= WIN) {
		a->too_old++;
		return TOO_OLD;
	}
	if (bit_get(a, s)) {
		a->dups++;
		return DUPLICATE;
	}
	bit_set(a, s);
	a->unique++;
	if (s < a->first)
		a->before_start++;
	else if (s < a->confirmed) {
		a->late++;
		gap_remove(a, s);
	}
	return FIRST;
}

/*
 * Settle what every line still talking has gone past. A line silent for
 * longer than the line timeout (or never heard, once the timeout has run
 * from the start) holds nothing back; when all are silent, everything up
 * to the highest number is settled.
 */
static void arb_frontier(struct arb *a, const struct line *lines, int n,
			 uint64_t now, uint64_t start, uint64_t timeout)
{
	uint64_t to = a->high + 1;
	bool live = false;
	int i;

	if (!a->started)
		return;
	for (i = 0; i < n; i++) {
		const struct line *l = &lines[i];

		if (!l->any) {
			if (now - start < timeout) {
				live = true;
				to = a->confirmed;
			}
			continue;
		}
		if (now - l->last_rx <= timeout) {
			live = true;
			if (l->high + 1 < to)
				to = l->high + 1;
		}
	}
	if (!live)
		to = a->high + 1;
	if (to > a->confirmed)
		confirm_to(a, to);
}

/* ---- receiver -------------------------------------------------------- */

struct rx_slot {
	unsigned char data[RX_BUF];
	/* IPV6_PKTINFO and SCM_TIMESTAMPNS need well under 256 bytes. */
	_Alignas(struct cmsghdr) char ctl[256];
	struct sockaddr_storage src;
	struct iovec iov;
};

struct receiver {
	const struct cfg *c;
	int fd;
	struct line lines[MAX_LINES];
	struct arb arb;
	struct hist lat; /* first copies: the feed as the application sees */
	uint64_t ignored, malformed_unknown;
	uint64_t start, end;
	struct hsk_stats st;
};

/* The line a datagram came to, by its destination address; -1: none. */
static int line_of(const struct receiver *r, struct msghdr *m)
{
	const struct cfg *c = r->c;
	struct cmsghdr *cm;
	int i;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (c->family == AF_INET && cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			for (i = 0; i < c->ngroups; i++)
				if (pi.ipi_addr.s_addr ==
				    c->groups[i].a.v4.s_addr)
					return i;
			return -1;
		}
		if (c->family == AF_INET6 && cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			for (i = 0; i < c->ngroups; i++)
				if (!memcmp(&pi.ipi6_addr, &c->groups[i].a.v6,
					    16))
					return i;
			return -1;
		}
	}
	/* No destination address: only a single line can be told. */
	return c->ngroups == 1 ? 0 : -1;
}

static bool kernel_time(struct msghdr *m, uint64_t *ns)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*ns = (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
			return true;
		}
	}
	return false;
}

static void handle(struct receiver *r, struct mmsghdr *mm, uint64_t rx_real,
		   uint64_t now)
{
	const unsigned char *p = mm->msg_hdr.msg_iov->iov_base;
	int li = line_of(r, &mm->msg_hdr);
	uint64_t seq, sent, rx = rx_real;
	struct line *l;
	int64_t lat;

	if (li < 0) {
		r->ignored++;
		return;
	}
	l = &r->lines[li];
	if (mm->msg_len < FEED_HDR_LEN || get_be32(p) != FEED_MAGIC ||
	    p[4] != FEED_VERSION) {
		l->malformed++;
		return;
	}
	seq = get_be64(p + 8);
	sent = get_be64(p + 16);
	if (r->c->kernel_ts)
		(void)kernel_time(&mm->msg_hdr, &rx);
	lat = (int64_t)(rx - sent);

	l->received++;
	hist_add(&l->lat, lat);
	if (!l->any || seq > l->high)
		l->high = seq;
	l->any = true;
	l->last_rx = now;

	switch (arb_add(&r->arb, seq)) {
	case FIRST:
		l->first++;
		hist_add(&r->lat, lat);
		break;
	case DUPLICATE:
		l->dups++;
		break;
	case TOO_OLD:
		l->too_old++;
		break;
	}
}

static uint64_t total_received(const struct receiver *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->c->ngroups; i++)
		n += r->lines[i].received;
	return n;
}

static void rx_status(const struct receiver *r, uint64_t now)
{
	const struct cfg *c = r->c;
	int i;

	fprintf(stderr, "\r[%6.1f s]", (double)(now - r->start) / 1e9);
	for (i = 0; i < c->ngroups; i++)
		fprintf(stderr, " %c %" PRIu64, 'A' + i, r->lines[i].received);
	fprintf(stderr,
		" unique %" PRIu64 " dup %" PRIu64 " gaps %" PRIu64 " (%" PRIu64
		" missing)",
		r->arb.unique, r->arb.dups, r->arb.gaps.n + r->arb.gaps_unkept,
		r->arb.missing);
	if (r->lat.count)
		fprintf(stderr, " p50 %.1f us p99 %.1f us",
			(double)hist_quantile(&r->lat, 500000) / 1e3,
			(double)hist_quantile(&r->lat, 990000) / 1e3);
	fprintf(stderr, "\033[K");
}

static void report_gaps_text(const struct receiver *r)
{
	const struct arb *a = &r->arb;
	uint64_t nr = a->gaps.n + a->gaps_unkept;
	size_t i,
		shown = a->gaps.n < r->c->max_gaps ? a->gaps.n : r->c->max_gaps;

	printf("gaps: %" PRIu64 " (%" PRIu64 " missing)", nr, a->missing);
	for (i = 0; i < shown; i++) {
		const struct range *g = &a->gaps.r[i];

		printf("%s", i ? ", " : ": ");
		if (g->lo == g->hi)
			printf("%" PRIu64, g->lo);
		else
			printf("%" PRIu64 "-%" PRIu64, g->lo, g->hi);
	}
	if (nr > shown)
		printf("%s... %" PRIu64 " more", shown ? ", " : ": ",
		       nr - shown);
	printf("\n");
}

static void report_text(const struct receiver *r)
{
	const struct cfg *c = r->c;
	const struct arb *a = &r->arb;
	double secs = (double)(r->end - r->start) / 1e9;
	char label[32];
	int i;

	printf("%s: %d line%s, port %u, backend %s, %.2f s\n", prog, c->ngroups,
	       c->ngroups > 1 ? "s" : "", c->port, hsk_backend_name(r->fd),
	       secs);
	printf("line  %-24s %10s %10s %10s %10s\n", "group", "received",
	       "first", "duplicates", "malformed");
	for (i = 0; i < c->ngroups; i++) {
		const struct line *l = &r->lines[i];

		printf("%c     %-24s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 "\n",
		       'A' + i, c->groups[i].str, l->received, l->first,
		       l->dups, l->malformed);
	}
	if (a->started)
		printf("sequence %" PRIu64 "..%" PRIu64 ": ", a->first,
		       a->high);
	else
		printf("sequence: none received: ");
	printf("unique %" PRIu64 ", duplicates discarded %" PRIu64
	       ", late %" PRIu64 ", too old %" PRIu64 ", before start %" PRIu64
	       "\n",
	       a->unique, a->dups, a->late, a->too_old, a->before_start);
	report_gaps_text(r);
	text_latency("latency", &r->lat);
	if (c->ngroups > 1) {
		for (i = 0; i < c->ngroups; i++) {
			snprintf(label, sizeof(label), "latency line %c",
				 'A' + i);
			text_latency(label, &r->lines[i].lat);
		}
	}
	printf("socket: %" PRIu64 " dropped by the kernel or ring, %" PRIu64
	       " ignored (other groups)\n",
	       r->st.rx_drop_kernel, r->ignored);
}

static void report_json(const struct receiver *r)
{
	const struct cfg *c = r->c;
	const struct arb *a = &r->arb;
	uint64_t nr = a->gaps.n + a->gaps_unkept;
	size_t i, shown = a->gaps.n < c->max_gaps ? a->gaps.n : c->max_gaps;
	int li;

	printf("{\n  \"tool\": \"hotsock-feed\",\n  \"mode\": \"receive\",\n");
	printf("  \"backend\": \"%s\",\n  \"port\": %u,\n",
	       hsk_backend_name(r->fd), c->port);
	printf("  \"elapsed_s\": %.6f,\n", (double)(r->end - r->start) / 1e9);
	if (a->started)
		printf("  \"first_seq\": %" PRIu64 ",\n  \"last_seq\": %" PRIu64
		       ",\n",
		       a->first, a->high);
	else
		printf("  \"first_seq\": null,\n  \"last_seq\": null,\n");
	printf("  \"received\": %" PRIu64 ",\n  \"unique\": %" PRIu64
	       ",\n  \"duplicates\": %" PRIu64 ",\n  \"late\": %" PRIu64
	       ",\n  \"too_old\": %" PRIu64 ",\n  \"before_start\": %" PRIu64
	       ",\n  \"ignored\": %" PRIu64 ",\n  \"kernel_drops\": %" PRIu64
	       ",\n",
	       total_received(r), a->unique, a->dups, a->late, a->too_old,
	       a->before_start, r->ignored, r->st.rx_drop_kernel);
	printf("  \"gaps\": {\"ranges\": %" PRIu64 ", \"missing\": %" PRIu64
	       ", \"truncated\": %s, \"list\": [",
	       nr, a->missing, nr > shown ? "true" : "false");
	for (i = 0; i < shown; i++)
		printf("%s[%" PRIu64 ", %" PRIu64 "]", i ? ", " : "",
		       a->gaps.r[i].lo, a->gaps.r[i].hi);
	printf("]},\n  \"latency_ns\": ");
	json_latency(&r->lat);
	printf(",\n  \"lines\": [\n");
	for (li = 0; li < c->ngroups; li++) {
		const struct line *l = &r->lines[li];

		printf("    {\"line\": \"%c\", \"group\": \"%s\", "
		       "\"received\": %" PRIu64 ", \"first\": %" PRIu64
		       ", \"duplicates\": %" PRIu64 ", \"too_old\": %" PRIu64
		       ", \"malformed\": %" PRIu64 ",\n     \"latency_ns\": ",
		       'A' + li, c->groups[li].str, l->received, l->first,
		       l->dups, l->too_old, l->malformed);
		json_latency(&l->lat);
		printf("}%s\n", li + 1 < c->ngroups ? "," : "");
	}
	printf("  ]\n}\n");
}

static int join_groups(const struct cfg *c, int fd)
{
	int i;

	for (i = 0; i < c->ngroups; i++) {
		int err;

		if (c->family == AF_INET) {
			struct ip_mreqn mr = { .imr_multiaddr =
						       c->groups[i].a.v4,
					       .imr_ifindex = (int)c->ifindex };

			err = hsk_setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP,
					     &mr, sizeof(mr));
		} else {
			struct ipv6_mreq mr = {
				.ipv6mr_multiaddr = c->groups[i].a.v6,
				.ipv6mr_interface = c->ifindex
			};

			err = hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP,
					     &mr, sizeof(mr));
		}
		if (err) {
			fprintf(stderr, "%s: joining %s%s%s: %s%s\n", prog,
				c->groups[i].str, c->iface ? " on " : "",
				c->iface ? c->iface : "", strerror(errno),
				errno == ENODEV && !c->iface ?
					" (no route for the group: name the "
					"interface with -I)" :
					"");
			return -1;
		}
	}
	return 0;
}

static int open_receiver(const struct cfg *c)
{
	struct sockaddr_storage ss;
	socklen_t len = group_sockaddr(c, -1, &ss);
	int one = 1, zero = 0, fd;

	fd = hsk_socket(c->family, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: hsk_socket: %s\n", prog, strerror(errno));
		return -1;
	}
	if (hsk_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail_opt;
	/* Beyond net.core.rmem_max only with CAP_NET_ADMIN; else capped. */
	if (c->rcvbuf &&
	    hsk_setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &c->rcvbuf,
			   sizeof(c->rcvbuf)) &&
	    hsk_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf,
			   sizeof(c->rcvbuf)))
		goto fail_opt;
	if (c->kernel_ts &&
	    hsk_setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		goto fail_opt;
	if (c->family == AF_INET) {
		/* Only our groups, not every group joined on the host. */
		(void)hsk_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
				     sizeof(zero));
		if (hsk_setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one)))
			goto fail_opt;
	} else {
		(void)hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL,
				     &zero, sizeof(zero));
		if (hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one)))
			goto fail_opt;
	}
	if (hsk_bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "%s: bind to port %u: %s\n", prog, c->port,
			strerror(errno));
		goto fail;
	}
	if (join_groups(c, fd))
		goto fail;
	/* Wake up at least every 100 ms for the clock and signals. */
	if (hsk_settimeout(fd, 0.1))
		goto fail_opt;
	return fd;
fail_opt:
	fprintf(stderr, "%s: socket option: %s\n", prog, strerror(errno));
fail:
	hsk_close(fd);
	return -1;
}

static int run_receiver(const struct cfg *c)
{
	static struct rx_slot slots[MAX_BATCH];
	static struct mmsghdr msgs[MAX_BATCH];
	uint64_t timeout_ns = (uint64_t)c->line_timeout_ms * 1000000ull;
	uint64_t next_status, deadline = 0, now, last_any = 0;
	bool status = live_status(c), failed = false;
	struct receiver *r;
	unsigned int i;
	int n;

	r = calloc(1, sizeof(*r));
	if (r)
		r->arb.bits = calloc(WIN / 64, sizeof(uint64_t));
	if (!r || !r->arb.bits) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	r->c = c;
	r->arb.cfg = c;
	r->fd = open_receiver(c);
	if (r->fd < 0)
		return 1;
	fprintf(stderr, "%s: joined", prog);
	for (n = 0; n < c->ngroups; n++)
		fprintf(stderr, "%s%s", n ? "," : " ", c->groups[n].str);
	fprintf(stderr, " port %u%s%s, backend %s\n", c->port,
		c->iface ? " on " : "", c->iface ? c->iface : "",
		hsk_backend_name(r->fd));

	r->start = mono_ns();
	next_status = r->start + NS;
	if (c->duration)
		deadline = r->start + (uint64_t)(c->duration * 1e9);
	while (!stop_flag) {
		now = mono_ns();
		if (deadline && now >= deadline)
			break;
		if (c->idle && last_any &&
		    now - last_any >= (uint64_t)(c->idle * 1e9))
			break;
		if (status && now >= next_status) {
			rx_status(r, now);
			status_shown = true;
			next_status += NS;
		}
		for (i = 0; i < c->batch; i++) {
			struct rx_slot *s = &slots[i];
			struct msghdr *m = &msgs[i].msg_hdr;

			s->iov.iov_base = s->data;
			s->iov.iov_len = sizeof(s->data);
			m->msg_name = &s->src;
			m->msg_namelen = sizeof(s->src);
			m->msg_iov = &s->iov;
			m->msg_iovlen = 1;
			m->msg_control = s->ctl;
			m->msg_controllen = sizeof(s->ctl);
			m->msg_flags = 0;
		}
		n = hsk_recvmmsg(r->fd, msgs, c->batch, 0, NULL);
		if (n < 0) {
			if (errno == ETIMEDOUT || errno == EAGAIN ||
			    errno == EINTR) {
				arb_frontier(&r->arb, r->lines, c->ngroups,
					     mono_ns(), r->start, timeout_ns);
				continue;
			}
			fprintf(stderr, "%s: hsk_recvmmsg: %s\n", prog,
				strerror(errno));
			failed = true;
			break;
		}
		{
			uint64_t rx_real = real_ns();

			now = mono_ns();
			/* Exactly N: the rest of the batch is not taken. */
			for (i = 0; i < (unsigned int)n; i++) {
				handle(r, &msgs[i], rx_real, now);
				if (c->count && r->arb.unique >= c->count)
					break;
			}
		}
		last_any = now;
		arb_frontier(&r->arb, r->lines, c->ngroups, now, r->start,
			     timeout_ns);
		if (c->count && r->arb.unique >= c->count)
			break;
	}
	r->end = mono_ns();
	/* The run is over: whatever was not received is a gap. */
	if (r->arb.started)
		confirm_to(&r->arb, r->arb.high + 1);
	(void)hsk_stats(r->fd, &r->st, sizeof(r->st));
	if (status)
		fprintf(stderr, "\r\033[K");
	if (c->json)
		report_json(r);
	else
		report_text(r);
	fflush(stdout);
	hsk_close(r->fd);
	free(r->arb.bits);
	free(r->arb.gaps.r);
	free(r);
	return failed ? 1 : 0;
}

/* ---- publisher ------------------------------------------------------- */

static bool dropped(const struct ranges *rs, uint64_t seq)
{
	return rs->n && ranges_find(rs, seq) >= 0;
}

static int open_publisher(const struct cfg *c)
{
	int fd = hsk_socket(c->family, SOCK_DGRAM, 0);

	if (fd < 0) {
		fprintf(stderr, "%s: hsk_socket: %s\n", prog, strerror(errno));
		return -1;
	}
	if (c->ifindex) {
		int err;

		if (c->family == AF_INET) {
			struct ip_mreqn mr = { .imr_ifindex = (int)c->ifindex };

			err = hsk_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
					     &mr, sizeof(mr));
		} else {
			int idx = (int)c->ifindex;

			err = hsk_setsockopt(fd, IPPROTO_IPV6,
					     IPV6_MULTICAST_IF, &idx,
					     sizeof(idx));
		}
		if (err) {
			fprintf(stderr, "%s: multicast interface %s: %s\n",
				prog, c->iface, strerror(errno));
			goto fail;
		}
	}
	if (c->ttl >= 0 &&
	    (c->family == AF_INET ?
		     hsk_setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &c->ttl,
				    sizeof(c->ttl)) :
		     hsk_setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
				    &c->ttl, sizeof(c->ttl)))) {
		fprintf(stderr, "%s: multicast TTL %d: %s\n", prog, c->ttl,
			strerror(errno));
		goto fail;
	}
	return fd;
fail:
	hsk_close(fd);
	return -1;
}

/* Send one copy; retry a full queue for up to a second. */
static int publish_one(int fd, unsigned char *buf, size_t len,
		       const struct sockaddr_storage *dst, socklen_t dstlen)
{
	uint64_t give_up = 0;

	for (;;) {
		put_be64(buf + 16, real_ns());
		if (hsk_sendto(fd, buf, len, 0, (const struct sockaddr *)dst,
			       dstlen) >= 0)
			return 0;
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			return -1;
		if (!give_up)
			give_up = mono_ns() + NS;
		else if (mono_ns() > give_up || stop_flag)
			return -1;
		sleep_until(mono_ns() + 50000);
	}
}

static int run_publisher(const struct cfg *c)
{
	uint64_t sent[MAX_LINES] = { 0 }, drops[MAX_LINES] = { 0 };
	struct sockaddr_storage dst[MAX_LINES];
	socklen_t dstlen[MAX_LINES];
	uint64_t start, now, end = 0, next_status, n = 0, seq = c->start_seq;
	bool status = live_status(c), failed = false;
	unsigned char *buf;
	double secs;
	int fd, i;

	buf = calloc(1, c->size);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	fd = open_publisher(c);
	if (fd < 0) {
		free(buf);
		return 1;
	}
	for (i = 0; i < c->ngroups; i++)
		dstlen[i] = group_sockaddr(c, i, &dst[i]);
	put_be32(buf, FEED_MAGIC);
	buf[4] = FEED_VERSION;
	put_be16(buf + 6, FEED_HDR_LEN);

	start = mono_ns();
	next_status = start + NS;
	if (c->duration)
		end = start + (uint64_t)(c->duration * 1e9);
	while (!stop_flag && !failed) {
		if (c->count && n >= c->count)
			break;
		now = mono_ns();
		if (end && now >= end)
			break;
		if (status && now >= next_status) {
			fprintf(stderr,
				"\r[%6.1f s] seq %" PRIu64 " published %" PRIu64
				" (%.0f/s)\033[K",
				(double)(now - start) / 1e9, seq, n,
				(double)n * 1e9 / (double)(now - start));
			next_status += NS;
		}
		if (c->rate > 0) {
			double due_d = (double)(now - start) / 1e9 * c->rate;
			uint64_t due = (uint64_t)due_d + 1;

			if (n >= due) {
				uint64_t at = start + (uint64_t)((double)n *
								 1e9 / c->rate);

				/* Wake for the status line and the end. */
				if (at > now + NS / 10)
					at = now + NS / 10;
				sleep_until(at);
				continue;
			}
		}
		put_be64(buf + 8, seq);
		for (i = 0; i < c->ngroups; i++) {
			if (dropped(&c->drop[i], seq)) {
				drops[i]++;
				continue;
			}
			buf[5] = (unsigned char)i;
			if (publish_one(fd, buf, c->size, &dst[i], dstlen[i])) {
				fprintf(stderr, "%s: sending to %s: %s\n", prog,
					c->groups[i].str, strerror(errno));
				failed = true;
				break;
			}
			sent[i]++;
		}
		if (failed)
			break;
		n++;
		seq++;
	}
	secs = (double)(mono_ns() - start) / 1e9;
	if (status)
		fprintf(stderr, "\r\033[K");
	if (c->json) {
		printf("{\n  \"tool\": \"hotsock-feed\",\n"
		       "  \"mode\": \"publish\",\n"
		       "  \"backend\": \"%s\",\n  \"port\": %u,\n"
		       "  \"elapsed_s\": %.6f,\n  \"published\": %" PRIu64
		       ",\n",
		       hsk_backend_name(fd), c->port, secs, n);
		if (n)
			printf("  \"first_seq\": %" PRIu64
			       ",\n  \"last_seq\": %" PRIu64 ",\n",
			       c->start_seq, seq - 1);
		else
			printf("  \"first_seq\": null,\n"
			       "  \"last_seq\": null,\n");
		printf("  \"lines\": [\n");
		for (i = 0; i < c->ngroups; i++)
			printf("    {\"line\": \"%c\", \"group\": \"%s\", "
			       "\"sent\": %" PRIu64 ", \"dropped\": %" PRIu64
			       "}%s\n",
			       'A' + i, c->groups[i].str, sent[i], drops[i],
			       i + 1 < c->ngroups ? "," : "");
		printf("  ]\n}\n");
	} else {
		printf("%s: published %" PRIu64 " sequence numbers", prog, n);
		if (n)
			printf(" (%" PRIu64 "..%" PRIu64 ")", c->start_seq,
			       seq - 1);
		printf(" on %d line%s in %.2f s (%.0f/s), port %u, "
		       "backend %s\n",
		       c->ngroups, c->ngroups > 1 ? "s" : "", secs,
		       secs > 0 ? (double)n / secs : 0.0, c->port,
		       hsk_backend_name(fd));
		for (i = 0; i < c->ngroups; i++)
			printf("line %c %s: sent %" PRIu64 ", dropped %" PRIu64
			       "\n",
			       'A' + i, c->groups[i].str, sent[i], drops[i]);
	}
	fflush(stdout);
	hsk_close(fd);
	free(buf);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cfg c;
	int rc, i;

	parse_args(&c, argc, argv);
	init_library(&c);
	install_signals();
	rc = c.publish ? run_publisher(&c) : run_receiver(&c);
	for (i = 0; i < MAX_LINES; i++)
		free(c.drop[i].r);
	return rc;
}
