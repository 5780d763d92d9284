// SPDX-License-Identifier: BSD-3-Clause
/*
 * hotsock-capture - capture the frames of one interface to pcapng.
 *
 *   hotsock-capture -i IFACE -w FILE [options] [filter expression]
 *
 * Frames come from an AF_PACKET SOCK_RAW socket bound to IFACE for every
 * protocol (ETH_P_ALL), on whichever hotsock backend was asked for, through
 * the zero-copy API: each burst of hsk_recv_zc() is filtered and written
 * straight from the buffers hotsock lends, then given back at once with
 * hsk_buf_release(), so that the ring never waits on us for long.
 *
 * The filter is tcpdump's language, compiled by libpcap for Ethernet and
 * run here in user space on every frame (pcap_offline_filter()).
 *
 * The pcapng writer is this file's own: one section per file, a Section
 * Header Block, one Interface Description Block (Ethernet, nanosecond
 * timestamps, the snap length, the interface's name and the filter), an
 * Enhanced Packet Block per frame (with its direction and reception type
 * in epb_flags), and an Interface Statistics Block when the file is
 * closed, whatever closes it: -c, -C, -G, SIGINT or SIGTERM.
 *
 * Counters are honest: what the socket delivered, what the filter kept,
 * what the kernel or the ring dropped and what hotsock dropped, from
 * hsk_stats(), never estimated.
 *
 * Exit status: 0 done (count reached, or SIGINT/SIGTERM), 1 runtime
 * failure, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <linux/if_ether.h>

#include <pcap/pcap.h>

#include <hotsock.h>

#define PROG "hotsock-capture"

/* tcpdump's default and maximum; usage_text says it too. */
#define MAX_SNAPLEN 262144u
#define BURST 64u  /* frames per hsk_recv_zc(), the library's burst */
#define WAIT_S 0.1 /* receive timeout: how soon a signal acts */
/* Bytes of blocks gathered before they are written. */
#define OUT_BUF (1u << 20)

/* Exit status. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* pcapng block types, option codes and constants. */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1u

#define OPT_ENDOFOPT 0
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_TSRESOL 9
#define IF_FILTER 11
#define EPB_FLAGS 2
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5
#define ISB_FILTERACCEPT 6
#define ISB_OSDROP 7
#define ISB_USRDELIV 8

/* epb_flags: bits 0-1 direction, bits 2-4 reception type. */
#define EPB_INBOUND 1u
#define EPB_OUTBOUND 2u
#define EPB_UNICAST (1u << 2)
#define EPB_MULTICAST (2u << 2)
#define EPB_BROADCAST (3u << 2)
#define EPB_PROMISCUOUS (4u << 2)

/* An Enhanced Packet Block: this head, the data padded to 4 bytes, then
 * epb_flags, opt_endofopt and the total length again (EPB_TAIL). */
struct epb_head {
	uint32_t type;
	uint32_t total;
	uint32_t ifid;
	uint32_t ts_high;
	uint32_t ts_low;
	uint32_t caplen;
	uint32_t origlen;
};

#define EPB_TAIL (8u + 4u + 4u)

/* An Interface Statistics Block has a fixed size: 7 options of 8 bytes. */
#define ISB_OPTS 7u
#define ISB_SIZE (20u + ISB_OPTS * 12u + 4u + 4u)

/* A growable byte buffer for the blocks built once (SHB, IDB, ISB). */
struct wbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

/* Counters that the statistics block reports per file, as deltas. */
struct counts {
	uint64_t seen;	   /* frames the socket delivered (before the filter) */
	uint64_t accepted; /* kept by the filter */
	uint64_t written;  /* written to a file */
	uint64_t drop_ring; /* kernel or ring: rx_drop_kernel + no_buffer */
	uint64_t drop_hsk;  /* hotsock: rx_drop_malformed + checksum */
	uint64_t truncated; /* cut by the backend's buffer (rx_truncated) */
};

struct capture {
	/* options */
	const char *iface;
	const char *path;    /* -w; "-" is standard output */
	const char *backend; /* --backend, NULL: HOTSOCK_BACKEND */
	bool exclusive;	     /* --exclusive: frames through the XSK */
	uint64_t count;	     /* -c, 0: no limit */
	uint32_t snaplen;
	uint64_t file_bytes_max; /* -C in bytes, 0: no size rotation */
	unsigned int rotate_s;	 /* -G, 0: no time rotation */
	unsigned int nfiles;	 /* -W, 0: no limit */
	bool quiet;
	bool promisc;
	char *filter; /* the expression, NULL without one */

	/* filter */
	pcap_t *dead;
	struct bpf_program prog;
	bool have_prog;

	/* socket */
	int fd;
	int ifindex;
	const char *backend_used;

	/* output */
	struct wbuf head; /* SHB + IDB, the same for every file */
	FILE *out;
	char *out_name;
	unsigned char *out_buf; /* blocks not yet handed to out */
	size_t out_len;
	bool out_is_stdout;
	uint64_t file_idx;	 /* files opened so far, less one */
	uint64_t file_size;	 /* bytes written to the current file */
	double file_t0;		 /* monotonic seconds when it was opened */
	uint64_t file_start_ns;	 /* realtime, for isb_starttime */
	uint64_t ts_min, ts_max; /* the file's oldest and newest frame */
	bool rotate_due;	 /* -G: the next frame starts a new file */
	struct counts file_base; /* totals when it was opened */

	/* totals since the capture started */
	struct counts total;
	struct counts base; /* hsk_stats() right after bind */
	double t0;
	uint64_t files_written;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- usage ---------------------------------------------------------- */

static const char usage_text[] =
	"Usage: " PROG " -i IFACE -w FILE [options] [filter expression]\n"
	"\n"
	"Capture the frames of IFACE (AF_PACKET, ETH_P_ALL) through\n"
	"hotsock's zero-copy API into FILE, as pcapng. The filter is in\n"
	"tcpdump's syntax (pcap-filter(7)), such as 'udp port 9'.\n"
	"\n"
	"  -i, --interface IFACE     interface to capture on (required)\n"
	"  -w, --write FILE          pcapng file, '-' for standard output\n"
	"                            (required)\n"
	"  -c, --count COUNT         stop after COUNT frames written\n"
	"  -s, --snapshot-length N   bytes kept of each frame, 1..262144\n"
	"                            (0 or default: 262144)\n"
	"  -C, --file-size MB        new file before one would exceed MB\n"
	"                            millions of bytes (0.5 works too)\n"
	"  -G, --rotate-seconds SEC  new file for the first frame SEC seconds\n"
	"                            or more after the file began\n"
	"  -W, --file-count N        with -C or -G: N files, then wrap\n"
	"      --backend NAME        kernel, af_xdp or auto (default:\n"
	"                            $HOTSOCK_BACKEND, else auto)\n"
	"      --exclusive           on af_xdp: take IFACE's frames through\n"
	"                            the XSK, away from the kernel's stack\n"
	"                            (a dedicated capture port), with XSK\n"
	"                            rings of 8192 (HOTSOCK_RING_SIZE: its own)\n"
	"  -p, --no-promiscuous-mode leave IFACE's promiscuity as it is\n"
	"  -q, --quiet               errors only: no start line, status\n"
	"                            line or summary\n"
	"  -h, --help                print this help and exit\n"
	"\n"
	"With -C or -G the files are FILE0, FILE1, ... (with -W N: as many\n"
	"digits as N - 1 has). SIGINT and SIGTERM end the capture, every\n"
	"file complete. Exit status: 0 done, 1 runtime failure, 2 bad usage.\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(EXIT_USAGE);
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t lo,
			   uint64_t hi)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi)
		bad_usage("%s '%s': expected a whole number from %" PRIu64
			  " to %" PRIu64,
			  opt, s, lo, hi);
	return v;
}

static uint64_t parse_megabytes(const char *s)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	/* Up to a petabyte; at least one byte. */
	if (!*s || *end || errno || !(v * 1e6 >= 1.0) || !(v <= 1e9))
		bad_usage("-C '%s': expected a size in millions of bytes, "
			  "such as 100 or 0.5",
			  s);
	return (uint64_t)(v * 1e6);
}

static void parse_args(struct capture *c, int argc, char **argv)
{
	enum { OPT_BACKEND = 256, OPT_EXCLUSIVE };
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "snapshot-length", required_argument, NULL, 's' },
		{ "file-size", required_argument, NULL, 'C' },
		{ "rotate-seconds", required_argument, NULL, 'G' },
		{ "file-count", required_argument, NULL, 'W' },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "exclusive", no_argument, NULL, OPT_EXCLUSIVE },
		{ "no-promiscuous-mode", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t flen = 0;
	int opt, i;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":i:w:c:s:C:G:W:pqh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				bad_usage("-i '%s': not an interface name",
					  optarg);
			c->iface = optarg;
			break;
		case 'w':
			if (!*optarg)
				bad_usage("-w: empty file name");
			c->path = optarg;
			break;
		case 'c':
			c->count = parse_uint("-c", optarg, 1, UINT64_MAX);
			break;
		case 's':
			c->snaplen = (uint32_t)parse_uint("-s", optarg, 0,
							  MAX_SNAPLEN);
			if (!c->snaplen)
				c->snaplen = MAX_SNAPLEN;
			break;
		case 'C':
			c->file_bytes_max = parse_megabytes(optarg);
			break;
		case 'G':
			c->rotate_s = (unsigned int)parse_uint("-G", optarg, 1,
							       1u << 30);
			break;
		case 'W':
			c->nfiles = (unsigned int)parse_uint("-W", optarg, 1,
							     1000000);
			break;
		case OPT_BACKEND:
			if (strcmp(optarg, "kernel") &&
			    strcmp(optarg, "af_xdp") && strcmp(optarg, "auto"))
				bad_usage("--backend '%s': expected kernel, "
					  "af_xdp or auto",
					  optarg);
			c->backend = optarg;
			break;
		case OPT_EXCLUSIVE:
			c->exclusive = true;
			break;
		case 'p':
			c->promisc = false;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case ':':
			bad_usage("option '%s' needs a value",
				  argv[optind - 1]);
		default:
			if (!strncmp(argv[optind - 1], "--", 2))
				bad_usage("unknown option, or one that takes "
					  "no value: '%s'",
					  argv[optind - 1]);
			bad_usage("unknown option '-%c'", optopt);
		}
	}
	if (!c->iface)
		bad_usage("no interface: give one with -i IFACE");
	if (!c->path)
		bad_usage("no output: give a file with -w FILE ('-' for "
			  "standard output)");
	if (c->nfiles && !c->file_bytes_max && !c->rotate_s)
		bad_usage("-W needs -C or -G");
	c->out_is_stdout = !strcmp(c->path, "-");
	if (c->out_is_stdout && (c->file_bytes_max || c->rotate_s))
		bad_usage("-C and -G need a file name, not '-'");
	if (c->out_is_stdout && isatty(STDOUT_FILENO))
		bad_usage("standard output is a terminal: redirect it, or "
			  "give a file with -w");

	/* The rest is the filter, its words joined by spaces (tcpdump). */
	for (i = optind; i < argc; i++)
		flen += strlen(argv[i]) + 1;
	if (flen) {
		c->filter = calloc(1, flen);
		if (!c->filter) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(EXIT_RUNTIME);
		}
		for (i = optind; i < argc; i++) {
			if (i > optind)
				strcat(c->filter, " ");
			strcat(c->filter, argv[i]);
		}
	}
}

/* ---- filter --------------------------------------------------------- */

static void compile_filter(struct capture *c)
{
	c->dead = pcap_open_dead(DLT_EN10MB, (int)c->snaplen);
	if (!c->dead) {
		fprintf(stderr, PROG ": pcap_open_dead failed\n");
		exit(EXIT_RUNTIME);
	}
	if (!c->filter)
		return;
	if (pcap_compile(c->dead, &c->prog, c->filter, 1,
			 PCAP_NETMASK_UNKNOWN) < 0)
		bad_usage("filter '%s': %s", c->filter, pcap_geterr(c->dead));
	c->have_prog = true;
}

/* ---- pcapng blocks -------------------------------------------------- */

static void wb_put(struct wbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void wb_u32(struct wbuf *b, uint32_t v)
{
	wb_put(b, &v, sizeof(v));
}

static void wb_u16(struct wbuf *b, uint16_t v)
{
	wb_put(b, &v, sizeof(v));
}

static void wb_pad(struct wbuf *b)
{
	static const unsigned char zero[4];

	wb_put(b, zero, (4 - b->len % 4) % 4);
}

/* An option: code, length, value padded to 4 bytes. */
static void wb_opt(struct wbuf *b, uint16_t code, const void *v, size_t n)
{
	wb_u16(b, code);
	wb_u16(b, (uint16_t)n);
	wb_put(b, v, n);
	wb_pad(b);
}

/* A 64-bit option as pcapng timestamps and counters are: native order;
 * timestamps as their high then low 32 bits. */
static void wb_opt_u64(struct wbuf *b, uint16_t code, uint64_t v)
{
	wb_opt(b, code, &v, sizeof(v));
}

static void wb_opt_ts(struct wbuf *b, uint16_t code, uint64_t ns)
{
	uint32_t ts[2] = { (uint32_t)(ns >> 32), (uint32_t)ns };

	wb_opt(b, code, ts, sizeof(ts));
}

/* Opens a block at the end of @b; block_end() sets its lengths. */
static size_t block_begin(struct wbuf *b, uint32_t type)
{
	size_t at = b->len;

	wb_u32(b, type);
	wb_u32(b, 0); /* total length, set by block_end() */
	return at;
}

static void block_end(struct wbuf *b, size_t at)
{
	uint32_t total;

	wb_u16(b, OPT_ENDOFOPT);
	wb_u16(b, 0);
	total = (uint32_t)(b->len - at + 4);
	wb_u32(b, total);
	if (!b->oom)
		memcpy(b->p + at + 4, &total, sizeof(total));
}

/* The Section Header Block and the Interface Description Block. */
static int build_head(struct capture *c)
{
	struct wbuf *b = &c->head;
	char appl[96], os[300];
	struct utsname u;
	uint64_t section_len = UINT64_MAX; /* not given: a stream */
	uint8_t tsresol = 9;		   /* 10^-9 s */
	size_t at;

	snprintf(appl, sizeof(appl), PROG " (hotsock %d.%d, backend %s)",
		 HSK_VERSION_MAJOR, HSK_VERSION_MINOR, c->backend_used);
	at = block_begin(b, BT_SHB);
	wb_u32(b, BYTE_ORDER_MAGIC);
	wb_u16(b, 1); /* major version */
	wb_u16(b, 0); /* minor version */
	wb_put(b, &section_len, sizeof(section_len));
	if (!uname(&u)) {
		wb_opt(b, SHB_HARDWARE, u.machine, strlen(u.machine));
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
		wb_opt(b, SHB_OS, os, strlen(os));
	}
	wb_opt(b, SHB_USERAPPL, appl, strlen(appl));
	block_end(b, at);

	at = block_begin(b, BT_IDB);
	wb_u16(b, LINKTYPE_ETHERNET);
	wb_u16(b, 0); /* reserved */
	wb_u32(b, c->snaplen);
	wb_opt(b, IF_NAME, c->iface, strlen(c->iface));
	wb_opt(b, IF_TSRESOL, &tsresol, 1);
	if (c->filter) {
		/* if_filter: a type byte (0: a libpcap filter string), then
		 * the string. */
		size_t n = strlen(c->filter);
		unsigned char *v = malloc(n + 1);

		if (!v)
			return -1;
		v[0] = 0;
		memcpy(v + 1, c->filter, n);
		if (n + 1 <= UINT16_MAX)
			wb_opt(b, IF_FILTER, v, n + 1);
		free(v);
	}
	block_end(b, at);
	return b->oom ? -1 : 0;
}

/* ---- statistics ------------------------------------------------------ */

/* The socket's counters that the capture reports, into @k. */
static void read_stats(struct capture *c, struct counts *k)
{
	struct hsk_stats st;

	if (hsk_stats(c->fd, &st, sizeof(st)))
		return;
	k->drop_ring = st.rx_drop_kernel + st.rx_drop_no_buffer;
	k->drop_hsk = st.rx_drop_malformed + st.rx_drop_checksum;
	k->truncated = st.rx_truncated;
}

/* Totals now: our own counters, and the socket's since the capture
 * started. */
static void totals_now(struct capture *c, struct counts *k)
{
	struct counts s = { 0 };

	read_stats(c, &s);
	*k = c->total;
	k->drop_ring = s.drop_ring - c->base.drop_ring;
	k->drop_hsk = s.drop_hsk - c->base.drop_hsk;
	k->truncated = s.truncated - c->base.truncated;
}

/* ---- files ---------------------------------------------------------- */

static bool rotating(const struct capture *c)
{
	return c->file_bytes_max || c->rotate_s;
}

/* The name of file number @idx: FILE, or FILE<n> when rotating; with -W,
 * n wraps and has as many digits as N - 1 (tcpdump's names). */
static char *file_name(const struct capture *c, uint64_t idx)
{
	char *name = NULL;
	int width = 1, r;

	if (!rotating(c))
		return strdup(c->path);
	if (c->nfiles) {
		for (unsigned int m = c->nfiles - 1; m >= 10; m /= 10)
			width++;
		r = asprintf(&name, "%s%0*" PRIu64, c->path, width,
			     idx % c->nfiles);
	} else {
		r = asprintf(&name, "%s%" PRIu64, c->path, idx);
	}
	return r < 0 ? NULL : name;
}

static int write_error(struct capture *c)
{
	fprintf(stderr, PROG ": write %s: %s\n", c->out_name,
		strerror(errno ? errno : EIO));
	return -1;
}

/* Hands the gathered blocks to the file. */
static int flush_out(struct capture *c)
{
	size_t n = c->out_len;

	c->out_len = 0;
	errno = 0;
	if ((n && fwrite(c->out_buf, 1, n, c->out) != n) || fflush(c->out))
		return write_error(c);
	return 0;
}

/*
 * Blocks are gathered in out_buf and reach the (unbuffered) stream a
 * megabyte at a time: three fwrite() calls a frame, each taking the
 * stream's lock, cost more than all the rest of the tool's work on it.
 */
static int write_out(struct capture *c, const void *p, size_t n)
{
	if (n > OUT_BUF - c->out_len && flush_out(c))
		return -1;
	if (n > OUT_BUF) {
		errno = 0;
		if (fwrite(p, 1, n, c->out) != n)
			return write_error(c);
	} else {
		memcpy(c->out_buf + c->out_len, p, n);
		c->out_len += n;
	}
	c->file_size += n;
	return 0;
}

static int open_file(struct capture *c)
{
	c->out_name = file_name(c, c->file_idx);
	if (!c->out_name) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	if (c->out_is_stdout) {
		c->out = stdout;
	} else {
		c->out = fopen(c->out_name, "wb");
		if (!c->out) {
			fprintf(stderr, PROG ": cannot create %s: %s\n",
				c->out_name, strerror(errno));
			return -1;
		}
	}
	setvbuf(c->out, NULL, _IONBF, 0);
	c->file_size = 0;
	c->file_t0 = mono_s();
	c->file_start_ns = real_ns();
	c->ts_min = UINT64_MAX;
	c->ts_max = 0;
	totals_now(c, &c->file_base);
	errno = 0;
	return write_out(c, c->head.p, c->head.len);
}

/* Ends the file with its statistics block and closes it. */
static int close_file(struct capture *c)
{
	struct wbuf isb = { 0 };
	uint64_t start = c->file_start_ns, end = real_ns();
	struct counts now, d;
	uint32_t ts[2];
	int err = 0;
	size_t at;

	if (!c->out)
		return 0;
	/* The span covers every frame of the file, even one that waited in
	 * the ring from before the file was opened. */
	if (c->ts_min < start)
		start = c->ts_min;
	if (c->ts_max > end)
		end = c->ts_max;
	ts[0] = (uint32_t)(end >> 32);
	ts[1] = (uint32_t)end;
	totals_now(c, &now);
	d.seen = now.seen - c->file_base.seen;
	d.accepted = now.accepted - c->file_base.accepted;
	d.written = now.written - c->file_base.written;
	d.drop_ring = now.drop_ring - c->file_base.drop_ring;
	d.drop_hsk = now.drop_hsk - c->file_base.drop_hsk;

	at = block_begin(&isb, BT_ISB);
	wb_u32(&isb, 0); /* interface 0 */
	wb_put(&isb, ts, sizeof(ts));
	wb_opt_ts(&isb, ISB_STARTTIME, start);
	wb_opt_ts(&isb, ISB_ENDTIME, end);
	/* Received from the interface: what reached us, and what was
	 * dropped on the way (libpcap counts drops as received too). */
	wb_opt_u64(&isb, ISB_IFRECV, d.seen + d.drop_ring + d.drop_hsk);
	wb_opt_u64(&isb, ISB_IFDROP, d.drop_ring);
	wb_opt_u64(&isb, ISB_FILTERACCEPT, d.accepted);
	wb_opt_u64(&isb, ISB_OSDROP, d.drop_hsk);
	wb_opt_u64(&isb, ISB_USRDELIV, d.written);
	block_end(&isb, at);

	errno = 0;
	if (isb.oom) {
		fprintf(stderr, PROG ": out of memory\n");
		err = -1;
	} else if (write_out(c, isb.p, isb.len)) {
		err = -1;
	}
	free(isb.p);
	if (!err && flush_out(c))
		err = -1;
	c->out_len = 0;
	if (!c->out_is_stdout && fclose(c->out) && !err) {
		fprintf(stderr, PROG ": close %s: %s\n", c->out_name,
			strerror(errno));
		err = -1;
	}
	c->out = NULL;
	free(c->out_name);
	c->out_name = NULL;
	c->files_written++;
	return err;
}

static int rotate(struct capture *c)
{
	if (close_file(c))
		return -1;
	c->file_idx++;
	return open_file(c);
}

/* ---- frames --------------------------------------------------------- */

static uint32_t epb_flags(const struct hsk_buf *b)
{
	if (b->addrlen < offsetof(struct sockaddr_ll, sll_pkttype) + 1)
		return 0;
	switch (b->addr.ll.sll_pkttype) {
	case PACKET_HOST:
		return EPB_INBOUND | EPB_UNICAST;
	case PACKET_BROADCAST:
		return EPB_INBOUND | EPB_BROADCAST;
	case PACKET_MULTICAST:
		return EPB_INBOUND | EPB_MULTICAST;
	case PACKET_OTHERHOST:
		return EPB_INBOUND | EPB_PROMISCUOUS;
	case PACKET_OUTGOING:
		return EPB_OUTBOUND;
	default:
		return 0;
	}
}

/* Filters one frame and writes it when kept. Return: 1 written, 0 not
 * kept, -1 on a write error. */
static int handle(struct capture *c, const struct hsk_buf *b)
{
	uint32_t caplen = b->len < c->snaplen ? b->len : c->snaplen;
	uint32_t origlen = b->orig_len > b->len ? b->orig_len : b->len;
	uint32_t pad = (4 - caplen % 4) % 4;
	struct epb_head h;
	unsigned char tail[3 + EPB_TAIL] = { 0 };
	uint32_t flags = epb_flags(b);
	uint16_t opt[2] = { EPB_FLAGS, 4 };

	c->total.seen++;
	if (c->have_prog) {
		struct pcap_pkthdr ph = {
			.caplen = b->len,
			.len = origlen,
		};

		/* The filter sees the whole frame, as the kernel's does;
		 * the snap length applies to what is written. */
		if (!pcap_offline_filter(&c->prog, &ph, b->data))
			return 0;
	}
	c->total.accepted++;

	h.type = BT_EPB;
	h.total = (uint32_t)sizeof(h) + caplen + pad + EPB_TAIL;
	h.ifid = 0;
	h.ts_high = (uint32_t)(b->ts_ns >> 32);
	h.ts_low = (uint32_t)b->ts_ns;
	h.caplen = caplen;
	h.origlen = origlen;
	memcpy(tail + pad, opt, sizeof(opt));
	memcpy(tail + pad + 4, &flags, sizeof(flags));
	/* tail + pad + 8: opt_endofopt, zeros */
	memcpy(tail + pad + 12, &h.total, sizeof(h.total));

	/* -G: the first frame kept once the time is up starts a new file
	 * (as tcpdump: no empty files while nothing comes). */
	if (c->rotate_due) {
		c->rotate_due = false;
		if (rotate(c))
			return -1;
	}
	/* -C: a new file before this one would outgrow the limit, unless
	 * it holds no frame yet (a frame larger than a file still goes). */
	if (c->file_bytes_max && c->total.written > c->file_base.written &&
	    c->file_size + h.total + ISB_SIZE > c->file_bytes_max && rotate(c))
		return -1;
	errno = 0;
	if (write_out(c, &h, sizeof(h)) || write_out(c, b->data, caplen) ||
	    write_out(c, tail, pad + EPB_TAIL))
		return -1;
	if (b->ts_ns < c->ts_min)
		c->ts_min = b->ts_ns;
	if (b->ts_ns > c->ts_max)
		c->ts_max = b->ts_ns;
	c->total.written++;
	return 1;
}

/* ---- status --------------------------------------------------------- */

static void status_line(struct capture *c, double rate)
{
	struct counts k;

	totals_now(c, &k);
	fprintf(stderr,
		"\r%" PRIu64 " captured, %" PRIu64 " filtered out, %" PRIu64
		" dropped, %.0f frames/s\033[K",
		k.written, k.seen - k.accepted, k.drop_ring + k.drop_hsk, rate);
}

static void summary(struct capture *c)
{
	double secs = mono_s() - c->t0;
	struct counts k;

	totals_now(c, &k);
	fprintf(stderr,
		PROG ": %" PRIu64 " frames captured in %" PRIu64
		     " file%s (%s, backend %s, %.3f s)\n",
		k.written, c->files_written, c->files_written == 1 ? "" : "s",
		c->iface, c->backend_used, secs);
	fprintf(stderr, "%" PRIu64 " frames received by the socket\n", k.seen);
	fprintf(stderr, "%" PRIu64 " frames filtered out\n",
		k.seen - k.accepted);
	fprintf(stderr,
		"%" PRIu64 " frames dropped by the kernel or the ring\n",
		k.drop_ring);
	fprintf(stderr, "%" PRIu64 " frames dropped by hotsock\n", k.drop_hsk);
	if (k.truncated)
		fprintf(stderr,
			"%" PRIu64 " frames cut short by the backend's "
			"buffers (original lengths kept)\n",
			k.truncated);
}

/* ---- socket --------------------------------------------------------- */

/*
 * An exclusive socket's buffer is its port's XSK receive ring: 2048
 * frames by default, 2 ms at 1 M pps, where the kernel backend's 4 MiB
 * ring holds some 20 000 short frames. A capture rides out a slow file
 * write only on a deep ring, so it asks for 8192 (64 MiB of UMEM a
 * queue) unless HOTSOCK_RING_SIZE chooses.
 */
#define EXCLUSIVE_RING_SIZE 8192u

static int open_socket(struct capture *c)
{
	HSK_OPTS(opts, .backend = c->backend,
		 .packet_exclusive = c->exclusive ? 1 : 0,
		 .ring_size = c->exclusive && !getenv("HOTSOCK_RING_SIZE") ?
				      EXCLUSIVE_RING_SIZE :
				      0);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	const char *want, *env;

	if (hsk_init(&opts)) {
		fprintf(stderr,
			PROG ": hotsock configuration: %s (see the "
			     "HOTSOCK_* variables)\n",
			strerror(errno));
		return -1;
	}
	c->ifindex = (int)if_nametoindex(c->iface);
	if (!c->ifindex) {
		fprintf(stderr, PROG ": interface %s: %s\n", c->iface,
			strerror(errno));
		return -1;
	}
	/* Protocol 0 until bound: no frame of another interface queues. */
	c->fd = hsk_socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, PROG ": packet socket: %s%s\n", strerror(errno),
			errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		return -1;
	}
	/* The file says Ethernet: only interfaces whose frames are. */
	memcpy(ifr.ifr_name, c->iface, strlen(c->iface));
	if (ioctl(c->fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, PROG ": interface %s: %s\n", c->iface,
			strerror(errno));
		return -1;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		fprintf(stderr,
			PROG ": interface %s: link type %u is not Ethernet\n",
			c->iface, ifr.ifr_hwaddr.sa_family);
		return -1;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = c->ifindex;
	if (hsk_bind(c->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, PROG ": bind to %s: %s\n", c->iface,
			strerror(errno));
		return -1;
	}
	if (c->promisc) {
		struct packet_mreq mr = { .mr_ifindex = c->ifindex,
					  .mr_type = PACKET_MR_PROMISC };

		if (hsk_setsockopt(c->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP,
				   &mr, sizeof(mr)))
			fprintf(stderr,
				PROG ": warning: promiscuous mode on %s: %s\n",
				c->iface, strerror(errno));
	}
	if (hsk_settimeout(c->fd, WAIT_S)) {
		fprintf(stderr, PROG ": hsk_settimeout: %s\n", strerror(errno));
		return -1;
	}
	c->backend_used = hsk_backend_name(c->fd);
	if (!c->backend_used)
		c->backend_used = "?";
	want = c->backend ? c->backend : getenv("HOTSOCK_BACKEND");
	if (want && *want && strcmp(want, "auto") &&
	    strcmp(want, c->backend_used))
		fprintf(stderr,
			PROG ": warning: backend %s asked for, %s in use (see "
			     "hotsock's log)\n",
			want, c->backend_used);
	if (c->exclusive && strcmp(c->backend_used, "af_xdp"))
		fprintf(stderr,
			PROG ": warning: --exclusive does nothing on backend "
			     "%s: the kernel keeps every frame\n",
			c->backend_used);
	/* Asked for here or by the library's variable (set and not "0"):
	 * the start line says so, as the kernel's stack no longer sees
	 * IFACE's frames. */
	env = getenv("HOTSOCK_PACKET_EXCLUSIVE");
	c->exclusive = !strcmp(c->backend_used, "af_xdp") &&
		       (c->exclusive || (env && *env && strcmp(env, "0")));
	read_stats(c, &c->base);
	return 0;
}

/* ---- main ----------------------------------------------------------- */

static int run(struct capture *c)
{
	struct hsk_buf bufs[BURST];
	bool status = !c->quiet && isatty(STDERR_FILENO);
	double next_tick, now;
	uint64_t last_seen = 0;
	int rc = EXIT_OK;

	c->t0 = mono_s();
	next_tick = c->t0 + 1.0;
	while (!stop_signal) {
		int n = hsk_recv_zc(c->fd, bufs, BURST, 0);
		bool fail = false, done = false;

		if (n < 0) {
			if (errno != ETIMEDOUT && errno != EAGAIN &&
			    errno != EINTR) {
				fprintf(stderr, PROG ": receive: %s\n",
					strerror(errno));
				rc = EXIT_RUNTIME;
				break;
			}
			n = 0;
		}
		now = mono_s();
		if (c->rotate_s && now - c->file_t0 >= c->rotate_s)
			c->rotate_due = true;
		for (int i = 0; i < n && !fail && !done; i++) {
			int r = handle(c, &bufs[i]);

			fail = r < 0;
			done = c->count && c->total.written >= c->count;
		}
		if (n && hsk_buf_release(c->fd, bufs, (unsigned int)n)) {
			fprintf(stderr, PROG ": hsk_buf_release: %s\n",
				strerror(errno));
			fail = true;
		}
		if (fail) {
			rc = EXIT_RUNTIME;
			break;
		}
		if (done)
			break;
		if (now >= next_tick) {
			/* Each second: readers of a live file see it grow. */
			if (flush_out(c)) {
				rc = EXIT_RUNTIME;
				break;
			}
			if (status) {
				double span = now - next_tick + 1.0;

				status_line(
					c, (double)(c->total.seen - last_seen) /
						   span);
				last_seen = c->total.seen;
			}
			next_tick = now + 1.0;
		}
	}
	if (status)
		fprintf(stderr, "\r\033[K");
	return rc;
}

int main(int argc, char **argv)
{
	struct capture c = {
		.snaplen = MAX_SNAPLEN,
		.promisc = true,
		.fd = -1,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	parse_args(&c, argc, argv);
	compile_filter(&c);

	/* No SA_RESTART: a signal cuts a wait short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error */

	rc = EXIT_RUNTIME;
	c.out_buf = malloc(OUT_BUF);
	if (!c.out_buf) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (open_socket(&c))
		goto out;
	if (build_head(&c)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (open_file(&c)) {
		if (c.out && !c.out_is_stdout)
			fclose(c.out);
		c.out = NULL;
		goto out;
	}
	if (!c.quiet) {
		fprintf(stderr,
			PROG ": capturing on %s (backend %s%s), link-type "
			     "EN10MB (Ethernet), snapshot length %u "
			     "bytes%s%s%s\n",
			c.iface, c.backend_used,
			c.exclusive ? ", exclusive" : "", c.snaplen,
			c.filter ? ", filter \"" : "", c.filter ? c.filter : "",
			c.filter ? "\"" : "");
	}
	rc = run(&c);
	if (close_file(&c))
		rc = EXIT_RUNTIME;
	if (!c.quiet)
		summary(&c);
out:
	if (c.fd >= 0)
		hsk_close(c.fd);
	if (c.have_prog)
		pcap_freecode(&c.prog);
	if (c.dead)
		pcap_close(c.dead);
	free(c.out_name);
	free(c.out_buf);
	free(c.head.p);
	free(c.filter);
	return rc;
}
