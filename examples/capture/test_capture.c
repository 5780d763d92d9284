// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_capture.c - hotsock-capture as a user runs it.
 *
 * Each test builds the namespace topology, runs the built binary
 * ($HSK_CAPTURE) on hsk0 in the local namespace, has the peer send a known
 * sequence of frames from hsk1 (ethertype 0x88B5, a tag byte and a
 * sequence number), and reads the files back with tshark, tcpdump and
 * capinfos. The statistics block, which none of them prints, is read by
 * a small pcapng walker here that also checks every block's framing.
 *
 * IPv6 is turned off on both ends first, so that no MLD report or other
 * frame of the kernel's lands in an unfiltered capture: the frames seen
 * are exactly the frames sent. Every run is bounded: the capture has -c
 * (or gets a signal), and the test kills it when it overstays.
 */
#include "hsk_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>

#define MAX_FRAMES 1024
/* The first payload byte of the frames the filter tests pick. */
#define TAG_MATCH 7
#define FILTER_TAG "ether proto 0x88b5 and ether[14] = 7"
#define READY_S 10.0 /* the start line must come within this */
#define END_S 15.0   /* a capture must end within this once fed */

/* ---- fixture -------------------------------------------------------- */

static char tmpdir[256];
static pid_t cap_pid = -1; /* the capture running, for the fini */

static void cap_init(void)
{
	const char *tmp = getenv("TMPDIR");

	tst_topo_init();
	cr_assert_eq(system("command -v tshark >/dev/null && "
			    "command -v capinfos >/dev/null && "
			    "command -v tcpdump >/dev/null"),
		     0,
		     "tshark, capinfos and tcpdump are needed (Debian: "
		     "tshark, tcpdump)");
	cr_assert_not_null(getenv("HSK_CAPTURE"),
			   "HSK_CAPTURE: the hotsock-capture to test");
	snprintf(tmpdir, sizeof(tmpdir), "%s/hsk-capture-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	/* tcpdump may read as another user. */
	cr_assert_ok(chmod(tmpdir, 0755));
	/* No IPv6: no frame of the kernel's among the peer's. */
	cr_assert_eq(topo_run_local(&tst_topo,
				    "echo 1 >/proc/sys/net/ipv6/conf/%s/"
				    "disable_ipv6",
				    tst_topo.if_local),
		     0);
	cr_assert_eq(topo_run_peer(&tst_topo,
				   "echo 1 >/proc/sys/net/ipv6/conf/%s/"
				   "disable_ipv6",
				   tst_topo.if_peer),
		     0);
}

static void cap_fini(void)
{
	struct dirent *e;
	DIR *d;

	if (cap_pid > 0) {
		kill(cap_pid, SIGKILL);
		waitpid(cap_pid, NULL, 0);
		cap_pid = -1;
	}
	if (tmpdir[0] && (d = opendir(tmpdir))) {
		while ((e = readdir(d))) {
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
		rmdir(tmpdir);
	}
	tst_topo_fini();
}

/*
 * Tests read their files back with tshark, one process a file, and its
 * start-up alone takes seconds on a loaded machine: a rotation test reads
 * a dozen files. The bound is for hangs, not for speed.
 */
#define CAP_TEST_TIMEOUT (4 * TST_TIMEOUT)

#define CAP_TEST(name)                                          \
	Test(capture, name, .init = cap_init, .fini = cap_fini, \
	     .timeout = CAP_TEST_TIMEOUT)

/* A path in the test's directory; each test asks for a few at most. */
static const char *path_of(const char *name)
{
	static char buf[8][320];
	static int i;

	cr_assert_lt(i, 8, "path_of: out of names");
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i++];
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static long file_size(const char *path)
{
	struct stat st;

	cr_assert_ok(stat(path, &st));
	return (long)st.st_size;
}

/* ---- running the capture -------------------------------------------- */

struct run {
	pid_t pid;
	int err; /* what the capture writes to stderr, for us to read */
	bool eof;
	char text[32768]; /* all of it so far */
	size_t len;
};

/*
 * Starts $HSK_CAPTURE with @args (NULL-terminated). Its stderr comes to
 * us through a pipe, or through @pty when >= 0 (the terminal's master
 * side; @pty_slave becomes its stderr). Standard output goes to @out, or
 * /dev/null when < 0.
 */
static void spawn(struct run *r, const char *const *args, int out, int pty,
		  int pty_slave)
{
	const char *argv[32];
	const char *bin = getenv("HSK_CAPTURE");
	int p[2] = { -1, -1 }, n = 0;
	pid_t parent = getpid();

	cr_assert_not_null(bin, "HSK_CAPTURE is not set");
	memset(r, 0, sizeof(*r));
	argv[n++] = bin;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pty < 0)
		cr_assert_ok(pipe2(p, O_CLOEXEC));
	fflush(NULL);
	r->pid = fork();
	cr_assert_geq(r->pid, 0, "fork: %s", strerror(errno));
	if (r->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* Dies with the test, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(null, STDIN_FILENO);
		dup2(out >= 0 ? out : null, STDOUT_FILENO);
		dup2(pty >= 0 ? pty_slave : p[1], STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	cap_pid = r->pid;
	if (pty < 0) {
		close(p[1]);
		r->err = p[0];
	} else {
		close(pty_slave);
		r->err = pty;
	}
}

/* Reads what stderr has, waiting at most @ms. Return: false at its end. */
static bool read_err(struct run *r, int ms)
{
	struct pollfd pfd = { .fd = r->err, .events = POLLIN };
	ssize_t n;

	if (r->eof)
		return false;
	if (poll(&pfd, 1, ms) <= 0)
		return true;
	if (r->len + 1 >= sizeof(r->text)) {
		/* Keep the last half: the summary is at the end. */
		memmove(r->text, r->text + sizeof(r->text) / 2,
			r->len - sizeof(r->text) / 2);
		r->len -= sizeof(r->text) / 2;
	}
	n = read(r->err, r->text + r->len, sizeof(r->text) - 1 - r->len);
	/* A terminal's master side reads EIO once the slave is gone. */
	if (n <= 0 && !(n < 0 && errno == EINTR)) {
		r->eof = true;
		return false;
	}
	if (n > 0)
		r->len += (size_t)n;
	r->text[r->len] = '\0';
	return true;
}

/* Waits for the start line: the socket is bound from then on. */
static void wait_ready(struct run *r)
{
	double end = tst_now() + READY_S;

	while (!strstr(r->text, "capturing on") || !strchr(r->text, '\n')) {
		cr_assert(read_err(r, 100) && tst_now() < end,
			  "no start line from the capture; its stderr:\n%s",
			  r->text);
	}
}

static void start(struct run *r, const char *const *args)
{
	spawn(r, args, -1, -1, -1);
	wait_ready(r);
}

/* Whether the capture has ended, leaving it for finish() to reap. */
static bool ended(const struct run *r)
{
	int opts = WEXITED | WNOHANG | WNOWAIT;
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)r->pid, &si, opts))
		return false;
	return si.si_pid == r->pid;
}

/* Waits for the capture to end by itself. Return: its exit status, or
 * 128 + the signal that killed it. */
static int finish(struct run *r, double timeout)
{
	double end = tst_now() + timeout;
	int st;

	while (read_err(r, 100) && tst_now() < end)
		;
	for (;;) {
		pid_t w = waitpid(r->pid, &st, WNOHANG);

		cr_assert_geq(w, 0, "waitpid: %s", strerror(errno));
		if (w == r->pid)
			break;
		if (tst_now() >= end) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
			cap_pid = -1;
			cr_assert_fail("the capture did not end in %.0f s; "
				       "its stderr:\n%s",
				       timeout, r->text);
		}
		tst_sleep_ms(10);
	}
	cap_pid = -1;
	close(r->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs the capture to its end without the topology (usage errors). */
static int run_to_end(const char *const *args, struct run *r)
{
	spawn(r, args, -1, -1, -1);
	return finish(r, END_S);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- the peer's frames ---------------------------------------------- */

/* The length of frame @seq: 60 to 459 bytes, varied. */
static size_t frame_len(unsigned int seq)
{
	return 60 + (seq * 37) % 400;
}

/* The peer sends frame @seq to hsk0: tag, sequence number (big endian),
 * then a fill. Return: the frame's length. */
static size_t peer_send(int peer, unsigned int seq, int tag, size_t flen)
{
	unsigned char payload[1600], frame[1600];
	uint32_t be = htonl(seq);
	ssize_t n;

	cr_assert(flen >= ETH_HLEN + 5 && flen <= sizeof(frame));
	tst_fill(payload, sizeof(payload), seq);
	payload[0] = (unsigned char)tag;
	memcpy(payload + 1, &be, sizeof(be));
	tst_eth_frame(frame, tst_topo.mac_local, tst_topo.mac_peer,
		      TST_ETHERTYPE, payload, flen - ETH_HLEN);
	n = send(peer, frame, flen, 0);
	cr_assert_eq(n, (ssize_t)flen, "peer send: %zd (%s)", n,
		     strerror(errno));
	return flen;
}

/* The peer sends frames @first..@first+@n-1 at a moderate rate (about
 * one per @gap_ms), tagged TAG_MATCH when @tag_odd and seq is odd. */
static void peer_send_seq(int peer, unsigned int first, unsigned int n,
			  bool tag_odd, int gap_ms)
{
	for (unsigned int s = first; s < first + n; s++) {
		peer_send(peer, s, tag_odd && (s & 1) ? TAG_MATCH : 0,
			  frame_len(s));
		tst_sleep_ms(gap_ms);
	}
}

/* ---- reading the files back ----------------------------------------- */

struct frame {
	unsigned int len, caplen;
	uint64_t ts_ns;
	unsigned int ethertype;
	int tag;		/* -1 when no payload was shown */
	long seq;		/* -1 likewise */
	unsigned int direction; /* epb_flags bits 0-1, as tshark shows them */
	unsigned int udp_dport; /* 0 when not UDP */
};

/* Only this may be on tshark's stderr: it says so whenever run as root. */
static bool tshark_err_ok(const char *err)
{
	static const char root_note[] =
		"Running as user \"root\" and group \"root\". This could be "
		"dangerous.\n";

	return !*err || !strcmp(err, root_note);
}

static void slurp(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, sz - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static uint64_t parse_epoch_ns(const char *s)
{
	uint64_t sec = strtoull(s, NULL, 10), frac = 0;
	const char *dot = strchr(s, '.');
	int digits = 0;

	if (dot) {
		for (dot++; *dot >= '0' && *dot <= '9' && digits < 9; dot++) {
			frac = frac * 10 + (uint64_t)(*dot - '0');
			digits++;
		}
	}
	for (; digits < 9; digits++)
		frac *= 10;
	return sec * 1000000000ull + frac;
}

static unsigned int hex_byte(const char *h)
{
	char b[3] = { h[0], h[1], '\0' };

	return (unsigned int)strtoul(b, NULL, 16);
}

/* Tag and sequence number out of a hex payload (tag byte first, or not). */
static void payload_seq(const char *hex, bool tagged, struct frame *f)
{
	size_t need = tagged ? 10 : 8;
	const char *p = hex;

	if (strlen(hex) < need)
		return;
	if (tagged) {
		f->tag = (int)hex_byte(p);
		p += 2;
	}
	f->seq = 0;
	for (int i = 0; i < 4; i++, p += 2)
		f->seq = (f->seq << 8) | hex_byte(p);
}

/*
 * Every frame of @file as tshark reads it; tshark must succeed and say
 * nothing (but its root note). Return: the number of frames.
 */
static int read_frames(const char *file, struct frame *fr, int max)
{
	char cmd[2048], line[8192], err[4096];
	char errpath[320];
	int n = 0, st;
	FILE *p;

	snprintf(errpath, sizeof(errpath), "%s/tshark.err", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -T fields -E separator=/t "
		 "-e frame.len -e frame.cap_len -e frame.time_epoch "
		 "-e eth.type -e data.data -e frame.packet_flags_direction "
		 "-e udp.dstport -e udp.payload 2>'%s'",
		 file, errpath);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen tshark: %s", strerror(errno));
	while (fgets(line, sizeof(line), p)) {
		char *field[8] = { 0 }, *s = line;
		struct frame *f;
		int k;

		line[strcspn(line, "\n")] = '\0';
		/* strsep keeps empty fields, which strtok would skip. */
		for (k = 0; k < 8 && (field[k] = strsep(&s, "\t")); k++)
			;
		cr_assert_eq(k, 8, "tshark line with %d fields: %s", k, line);
		cr_assert_lt(n, max, "more than %d frames in %s", max, file);
		f = &fr[n++];
		memset(f, 0, sizeof(*f));
		f->tag = -1;
		f->seq = -1;
		f->len = (unsigned int)strtoul(field[0], NULL, 10);
		f->caplen = (unsigned int)strtoul(field[1], NULL, 10);
		f->ts_ns = parse_epoch_ns(field[2]);
		f->ethertype = (unsigned int)strtoul(field[3], NULL, 0);
		f->direction = (unsigned int)strtoul(field[5], NULL, 0);
		f->udp_dport = (unsigned int)strtoul(field[6], NULL, 10);
		if (f->udp_dport)
			payload_seq(field[7], false, f);
		else
			payload_seq(field[4], true, f);
	}
	st = pclose(p);
	slurp(errpath, err, sizeof(err));
	cr_assert_eq(st, 0, "tshark -r %s: status %d: %s", file, st, err);
	cr_assert(tshark_err_ok(err), "tshark -r %s says: %s", file, err);
	return n;
}

/* tcpdump reads @file to its end, saying only which file it reads. */
static void tcpdump_reads(const char *file)
{
	char cmd[2048], err[4096];
	char errpath[320];
	int st;

	snprintf(errpath, sizeof(errpath), "%s/tcpdump.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "tcpdump -nn -r '%s' >/dev/null 2>'%s'",
		 file, errpath);
	st = system(cmd);
	slurp(errpath, err, sizeof(err));
	cr_assert_eq(st, 0, "tcpdump -r %s: status %d: %s", file, st, err);
	cr_assert(!strncmp(err, "reading from file ", 18) &&
			  strchr(err, '\n') == err + strlen(err) - 1,
		  "tcpdump -r %s says more than it reads: %s", file, err);
}

/* capinfos' report of @file, into @out. */
static void capinfos(const char *file, char *out, size_t sz)
{
	char cmd[2048];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "capinfos '%s' 2>&1", file);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sz - 1, p);
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "capinfos %s: %s", file, out);
}

/* The Interface Statistics Block(s) of a file, by walking its blocks. */
struct isb {
	int count;
	uint64_t start_ns, end_ns;
	uint64_t ifrecv, ifdrop, filteraccept, osdrop, usrdeliv;
	bool has[9]; /* which option codes were present */
};

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void read_isb(const char *file, struct isb *s)
{
	static unsigned char buf[4 << 20];
	size_t size, off = 0;
	FILE *f = fopen(file, "rb");

	memset(s, 0, sizeof(*s));
	cr_assert_not_null(f, "open %s: %s", file, strerror(errno));
	size = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cr_assert_geq(size, 28, "%s: %zu bytes", file, size);
	cr_assert_eq(u32_at(buf), 0x0A0D0D0Au, "%s: no section header", file);
	cr_assert_eq(u32_at(buf + 8), 0x1A2B3C4Du, "%s: byte order magic",
		     file);
	while (off < size) {
		uint32_t type, len;
		size_t o, end;

		cr_assert_leq(off + 12, size, "%s: block cut at %zu", file,
			      off);
		type = u32_at(buf + off);
		len = u32_at(buf + off + 4);
		cr_assert(len >= 12 && len % 4 == 0 && off + len <= size,
			  "%s: block at %zu: length %u", file, off, len);
		cr_assert_eq(u32_at(buf + off + len - 4), len,
			     "%s: block at %zu: trailing length", file, off);
		if (type != 5) {
			off += len;
			continue;
		}
		s->count++;
		end = off + len - 4;
		for (o = off + 20; o + 4 <= end;) {
			uint16_t code, olen;
			uint64_t v = 0;

			memcpy(&code, buf + o, 2);
			memcpy(&olen, buf + o + 2, 2);
			if (code == 0)
				break;
			cr_assert_leq(o + 4 + olen, end, "%s: ISB option",
				      file);
			if (olen == 8 && (code == 2 || code == 3)) {
				v = (uint64_t)u32_at(buf + o + 4) << 32 |
				    u32_at(buf + o + 8);
			} else if (olen == 8) {
				memcpy(&v, buf + o + 4, 8);
			}
			if (code < 9)
				s->has[code] = true;
			switch (code) {
			case 2:
				s->start_ns = v;
				break;
			case 3:
				s->end_ns = v;
				break;
			case 4:
				s->ifrecv = v;
				break;
			case 5:
				s->ifdrop = v;
				break;
			case 6:
				s->filteraccept = v;
				break;
			case 7:
				s->osdrop = v;
				break;
			case 8:
				s->usrdeliv = v;
				break;
			}
			o += 4 + ((olen + 3u) & ~3u);
		}
		off += len;
	}
}

/*
 * A file that every reader takes: tshark (its frames into @fr), tcpdump,
 * and a block walk that finds its one statistics block. Return: frames.
 */
static int read_file(const char *file, struct frame *fr, int max)
{
	struct isb s;
	int n = read_frames(file, fr, max);

	tcpdump_reads(file);
	read_isb(file, &s);
	cr_assert_eq(s.count, 1, "%s: %d statistics blocks", file, s.count);
	return n;
}

/* Asserts frames @fr are the peer's frames @seq[0..n-1], whole. */
static void assert_frames(const struct frame *fr, int n, const long *seq,
			  int want)
{
	cr_assert_eq(n, want, "%d frames, expected %d", n, want);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(fr[i].ethertype, TST_ETHERTYPE,
			     "frame %d: ethertype %#x", i, fr[i].ethertype);
		cr_assert_eq(fr[i].seq, seq[i],
			     "frame %d: seq %ld, expected %ld", i, fr[i].seq,
			     seq[i]);
		cr_assert_eq(fr[i].len, frame_len((unsigned int)seq[i]),
			     "frame %d: length %u, expected %zu", i, fr[i].len,
			     frame_len((unsigned int)seq[i]));
		cr_assert_eq(fr[i].caplen, fr[i].len,
			     "frame %d: captured %u of %u", i, fr[i].caplen,
			     fr[i].len);
	}
}

static void assert_time_ordered(const struct frame *fr, int n)
{
	for (int i = 1; i < n; i++)
		cr_assert_geq(fr[i].ts_ns, fr[i - 1].ts_ns,
			      "frame %d is older than frame %d", i, i - 1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- tests: what is captured ---------------------------------------- */

static struct frame fr[MAX_FRAMES];
static long want_seq[MAX_FRAMES];

CAP_TEST(writes_every_frame_whole_and_in_order)
{
	const char *file = path_of("all.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	uint64_t t0, t1;
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-c", "40", "-w", file));
	t0 = now_ns();
	peer_send_seq(peer, 0, 40, false, 1);
	t1 = now_ns();
	cr_assert_eq(finish(&r, END_S), 0, "exit status; stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 40; i++)
		want_seq[i] = i;
	assert_frames(fr, n, want_seq, 40);
	assert_time_ordered(fr, n);
	/* Real nanosecond timestamps, taken while the peer sent. */
	cr_assert_geq(fr[0].ts_ns + 500000000ull, t0, "first frame too old");
	cr_assert_leq(fr[n - 1].ts_ns, t1 + 500000000ull,
		      "last frame in the future");
}

CAP_TEST(count_stops_after_count_frames)
{
	const char *file = path_of("count.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-c", "10", "-w", file));
	peer_send_seq(peer, 0, 30, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "exit status; stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 10; i++)
		want_seq[i] = i;
	assert_frames(fr, n, want_seq, 10);
}

CAP_TEST(files_read_cleanly_in_tshark_tcpdump_and_capinfos)
{
	const char *file = path_of("clean.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	char info[8192];
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "10", "-w", file));
	peer_send_seq(peer, 0, 10, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(read_frames(file, fr, MAX_FRAMES), 10);
	tcpdump_reads(file);
	capinfos(file, info, sizeof(info));
	cr_assert(strstr(info, "Number of packets:   10"), "%s", info);
	cr_assert(strstr(info, "Number of stat entries = 1"), "%s", info);
	cr_assert(strstr(info, "Strict time order:   True"), "%s", info);
}

CAP_TEST(interface_block_names_link_snaplen_resolution_and_filter)
{
	const char *file = path_of("idb.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	char info[8192];
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "2", "-s", "128", "-w", file,
		       "ether", "proto", "0x88b5"));
	peer_send_seq(peer, 0, 2, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	capinfos(file, info, sizeof(info));
	cr_assert(strstr(info, "Name = hsk0\n"), "%s", info);
	cr_assert(strstr(info, "Encapsulation = Ethernet (1 - ether)"), "%s",
		  info);
	cr_assert(strstr(info, "Capture length = 128\n"), "%s", info);
	cr_assert(strstr(info, "Time precision = nanoseconds (9)"), "%s", info);
	cr_assert(strstr(info, "Filter string = ether proto 0x88b5\n"), "%s",
		  info);
}

CAP_TEST(filter_keeps_exactly_the_matching_frames)
{
	const char *file = path_of("filter.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-c", "20", "-w", file, FILTER_TAG));
	peer_send_seq(peer, 0, 40, true, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 20; i++)
		want_seq[i] = 2 * i + 1;
	assert_frames(fr, n, want_seq, 20);
	for (int i = 0; i < n; i++)
		cr_assert_eq(fr[i].tag, TAG_MATCH, "frame %d: tag %d", i,
			     fr[i].tag);
}

CAP_TEST(udp_port_filter_keeps_only_that_port)
{
	const char *file = path_of("udp.pcapng");
	int peer = tst_peer_udp(AF_INET, TST_PORT_PEER);
	struct sockaddr_storage to;
	socklen_t tolen;
	struct run r;
	int n;

	start(&r,
	      ARGS("-i", "hsk0", "-c", "10", "-w", file, "udp", "port", "9"));
	for (uint32_t s = 0; s < 20; s++) {
		unsigned char payload[32];
		uint32_t be = htonl(s);

		tst_fill(payload, sizeof(payload), s);
		memcpy(payload, &be, sizeof(be));
		tolen = tst_addr(AF_INET, TST_LOCAL, s & 1 ? 10 : 9, &to);
		tst_kernel_sendto(peer, payload, sizeof(payload), &to, tolen);
		tst_sleep_ms(1);
	}
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	cr_assert_eq(n, 10, "%d frames", n);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(fr[i].udp_dport, 9, "frame %d: port %u", i,
			     fr[i].udp_dport);
		cr_assert_eq(fr[i].seq, 2 * i, "frame %d: seq %ld", i,
			     fr[i].seq);
	}
}

CAP_TEST(snaplen_cuts_captured_length_keeps_original_length)
{
	const char *file = path_of("snap.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-c", "20", "-s", "64", "-w", file));
	for (unsigned int s = 0; s < 20; s++) {
		peer_send(peer, s, 0, 100 + s * 50);
		tst_sleep_ms(1);
	}
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	cr_assert_eq(n, 20);
	for (int i = 0; i < n; i++) {
		cr_assert_eq(fr[i].caplen, 64, "frame %d: captured %u", i,
			     fr[i].caplen);
		cr_assert_eq(fr[i].len, 100 + 50 * (unsigned int)i,
			     "frame %d: length %u", i, fr[i].len);
		cr_assert_eq(fr[i].seq, i, "frame %d: seq %ld", i, fr[i].seq);
	}
}

CAP_TEST(frames_are_marked_inbound_or_outbound)
{
	const char *file = path_of("dir.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int local = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	unsigned char payload[64], frame[128];
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, NULL);
	uint32_t be = htonl(1);
	size_t flen;
	struct run r;
	int n;

	cr_assert_geq(local, 0, "socket: %s", strerror(errno));
	cr_assert_ok(bind(local, (struct sockaddr *)&ll, len));
	start(&r, ARGS("-i", "hsk0", "-c", "2", "-w", file));
	peer_send(peer, 0, 0, 100);
	tst_sleep_ms(20);
	/* hsk0 itself sends frame 1: outgoing. */
	tst_fill(payload, sizeof(payload), 1);
	payload[0] = 0;
	memcpy(payload + 1, &be, sizeof(be));
	flen = tst_eth_frame(frame, tst_topo.mac_peer, tst_topo.mac_local,
			     TST_ETHERTYPE, payload, sizeof(payload));
	cr_assert_eq(send(local, frame, flen, 0), (ssize_t)flen);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	close(local);
	n = read_file(file, fr, MAX_FRAMES);
	cr_assert_eq(n, 2);
	cr_assert_eq(fr[0].seq, 0);
	cr_assert_eq(fr[0].direction, 1, "peer's frame: direction %u",
		     fr[0].direction);
	cr_assert_eq(fr[1].seq, 1);
	cr_assert_eq(fr[1].direction, 2, "hsk0's frame: direction %u",
		     fr[1].direction);
}

CAP_TEST(standard_output_carries_a_pcapng_stream)
{
	const char *file = path_of("stdout.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct run r;
	int n;

	cr_assert_geq(out, 0);
	spawn(&r, ARGS("-i", "hsk0", "-c", "10", "-w", "-"), out, -1, -1);
	close(out);
	wait_ready(&r);
	peer_send_seq(peer, 0, 10, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 10; i++)
		want_seq[i] = i;
	assert_frames(fr, n, want_seq, 10);
}

CAP_TEST(reports_the_backend_in_use)
{
	const char *file = path_of("backend.pcapng");
	const char *want = tst_expected_backend();
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	char line[64];
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "1", "-w", file));
	if (want) {
		snprintf(line, sizeof(line), "(backend %s)", want);
		cr_assert(strstr(r.text, line), "not on %s: %s", want, r.text);
	} else {
		cr_assert(strstr(r.text, "(backend kernel)") ||
				  strstr(r.text, "(backend af_xdp)"),
			  "%s", r.text);
	}
	peer_send_seq(peer, 0, 1, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
}

/* ---- tests: --exclusive --------------------------------------------- */

/* --exclusive changes the path only on af_xdp: the suite that runs the
 * capture there (HOTSOCK_BACKEND=af_xdp) runs these. */
static void skip_unless_af_xdp(void)
{
	const char *b = tst_expected_backend();

	if (!b || strcmp(b, "af_xdp"))
		cr_skip_test("--exclusive takes frames through the XSK: "
			     "af_xdp only");
}

CAP_TEST(exclusive_writes_every_frame_whole_and_in_order)
{
	const char *file = path_of("excl.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;
	int n;

	skip_unless_af_xdp();
	start(&r, ARGS("-i", "hsk0", "--exclusive", "-c", "40", "-w", file));
	peer_send_seq(peer, 0, 40, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "exit status; stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 40; i++)
		want_seq[i] = i;
	assert_frames(fr, n, want_seq, 40);
	assert_time_ordered(fr, n);
}

CAP_TEST(exclusive_statistics_block_counts_every_frame_sent)
{
	const char *file = path_of("exclisb.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct isb s;
	struct run r;

	skip_unless_af_xdp();
	start(&r, ARGS("-i", "hsk0", "--exclusive", "-c", "20", "-w", file,
		       "ether[14] = 7"));
	peer_send_seq(peer, 0, 40, true, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(read_file(file, fr, MAX_FRAMES), 20);
	read_isb(file, &s);
	cr_assert_eq(s.ifrecv, 40, "isb_ifrecv %" PRIu64, s.ifrecv);
	cr_assert_eq(s.ifdrop, 0, "isb_ifdrop %" PRIu64, s.ifdrop);
	cr_assert_eq(s.filteraccept, 20, "isb_filteraccept %" PRIu64,
		     s.filteraccept);
	cr_assert_eq(s.osdrop, 0, "isb_osdrop %" PRIu64, s.osdrop);
	cr_assert_eq(s.usrdeliv, 20, "isb_usrdeliv %" PRIu64, s.usrdeliv);
}

CAP_TEST(exclusive_takes_the_frames_away_from_the_kernel)
{
	const char *file = path_of("exclk.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int kern =
		socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_ll ll;
	socklen_t len = tst_ll_addr(&ll, TST_LOCAL, TST_ETHERTYPE, NULL);
	unsigned char buf[2048];
	struct run r;

	skip_unless_af_xdp();
	cr_assert_geq(kern, 0, "socket: %s", strerror(errno));
	cr_assert_ok(bind(kern, (struct sockaddr *)&ll, len));
	start(&r, ARGS("-i", "hsk0", "--exclusive", "-c", "20", "-w", file));
	cr_assert(strstr(r.text, "(backend af_xdp, exclusive)"), "%s", r.text);
	peer_send_seq(peer, 0, 20, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(read_file(file, fr, MAX_FRAMES), 20);
	/* A kernel packet socket on hsk0, there all along, got none. */
	cr_assert_eq(recv(kern, buf, sizeof(buf), 0), -1,
		     "the kernel saw a frame the capture took");
	cr_assert_eq(errno, EAGAIN, "recv: %s", strerror(errno));
	close(kern);
}

CAP_TEST(exclusive_on_the_kernel_backend_warns_and_captures)
{
	const char *file = path_of("exclw.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;

	start(&r, ARGS("-i", "hsk0", "--backend", "kernel", "--exclusive", "-c",
		       "10", "-w", file));
	cr_assert(strstr(r.text, "warning: --exclusive does nothing on "
				 "backend kernel"),
		  "%s", r.text);
	peer_send_seq(peer, 0, 10, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(read_file(file, fr, MAX_FRAMES), 10);
}

/* ---- tests: rotation ------------------------------------------------ */

/* The name of rotated file @idx: FILE<idx>, on @width digits. */
static void rotated_name(char *name, size_t sz, const char *base, int width,
			 int idx)
{
	snprintf(name, sz, "%s%0*d", base, width, idx);
}

/* Frames of files FILE0, FILE1, ... (numbers on @width digits) into fr,
 * in file order; first_of[i] is file i's first. Return: the files. */
static int read_rotated(const char *base, int width, int *nframes,
			int *first_of)
{
	char name[320];
	int files = 0;

	*nframes = 0;
	for (;;) {
		rotated_name(name, sizeof(name), base, width, files);
		if (!exists(name))
			break;
		first_of[files] = *nframes;
		*nframes +=
			read_file(name, fr + *nframes, MAX_FRAMES - *nframes);
		files++;
	}
	first_of[files] = *nframes;
	return files;
}

/* The bytes of a frame's Enhanced Packet Block: head, data padded to 4
 * bytes, epb_flags, end of options, trailing length. */
static long epb_size(unsigned int len)
{
	return 28 + (long)((len + 3) & ~3u) + 8 + 4 + 4;
}

CAP_TEST(size_rotation_fills_numbered_files_up_to_the_size)
{
	const char *base = path_of("size.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int first_of[64], files, n;
	char name[320];
	struct run r;
	long size;

	/* 2,000 bytes a file, frames of 60 to 459 bytes: a few a file.
	 * -W 100 numbers them on two digits, as tcpdump does. */
	start(&r, ARGS("-i", "hsk0", "-c", "60", "-C", "0.002", "-W", "100",
		       "-w", base));
	peer_send_seq(peer, 0, 60, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert(!exists(base), "unnumbered %s written", base);
	files = read_rotated(base, 2, &n, first_of);
	cr_assert_geq(files, 5, "%d files", files);
	cr_assert_eq(n, 60, "%d frames in %d files", n, files);
	for (int i = 0; i < files; i++) {
		rotated_name(name, sizeof(name), base, 2, i);
		size = file_size(name);
		cr_assert_leq(size, 2000, "%s: %ld bytes", name, size);
		cr_assert_gt(first_of[i + 1], first_of[i], "%s: no frame",
			     name);
		/* Full: the next file's first frame did not fit. */
		if (i < files - 1)
			cr_assert_gt(size + epb_size(fr[first_of[i + 1]].len),
				     2000, "%s: %ld bytes, room for frame %d",
				     name, size, first_of[i + 1]);
	}
	for (int i = 0; i < n; i++)
		cr_assert_eq(fr[i].seq, i, "frame %d: seq %ld", i, fr[i].seq);
	assert_time_ordered(fr, n);
}

CAP_TEST(file_count_wraps_the_rotation)
{
	const char *base = path_of("wrap.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int first_of[64], files, n, newer;
	struct run r;
	char name[320];

	start(&r, ARGS("-i", "hsk0", "-c", "30", "-C", "0.01", "-W", "2", "-w",
		       base));
	for (unsigned int s = 0; s < 30; s++) {
		peer_send(peer, s, 0, 1000);
		tst_sleep_ms(1);
	}
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	files = read_rotated(base, 1, &n, first_of);
	cr_assert_eq(files, 2, "%d files", files);
	snprintf(name, sizeof(name), "%s2", base);
	cr_assert(!exists(name), "%s written despite -W 2", name);
	/* The ring kept the newest frames: two runs that join up and end
	 * with the last frame sent; the oldest are gone. */
	cr_assert(first_of[1] > 0 && n > first_of[1]);
	newer = fr[0].seq > fr[first_of[1]].seq ? 0 : 1;
	{
		int older = 1 - newer;
		int o0 = first_of[older], o1 = first_of[older + 1];
		int n0 = first_of[newer], n1 = first_of[newer + 1];

		for (int i = o0 + 1; i < o1; i++)
			cr_assert_eq(fr[i].seq, fr[i - 1].seq + 1);
		for (int i = n0 + 1; i < n1; i++)
			cr_assert_eq(fr[i].seq, fr[i - 1].seq + 1);
		cr_assert_eq(fr[n0].seq, fr[o1 - 1].seq + 1,
			     "the files do not join: %ld then %ld",
			     fr[o1 - 1].seq, fr[n0].seq);
		cr_assert_eq(fr[n1 - 1].seq, 29, "newest frame %ld",
			     fr[n1 - 1].seq);
		cr_assert_gt(fr[o0].seq, 0, "frame 0 survived the wrap");
	}
}

CAP_TEST(time_rotation_starts_a_file_every_interval)
{
	const char *base = path_of("time.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int first_of[64], files, n;
	char name[320];
	struct isb s;
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "25", "-G", "1", "-W", "10", "-w",
		       base));
	/* 2.5 s of frames, one each 100 ms. */
	peer_send_seq(peer, 0, 25, false, 100);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	files = read_rotated(base, 1, &n, first_of);
	cr_assert_geq(files, 3, "%d files", files);
	cr_assert_leq(files, 5, "%d files", files);
	cr_assert_eq(n, 25, "%d frames in %d files", n, files);
	for (int i = 0; i < n; i++)
		cr_assert_eq(fr[i].seq, i, "frame %d: seq %ld", i, fr[i].seq);
	for (int i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "%s%d", base, i);
		read_isb(name, &s);
		/* Frames within the file's span: about a second, but the
		 * last file's, which -c ended. */
		for (int k = first_of[i]; k < first_of[i + 1]; k++)
			cr_assert(fr[k].ts_ns >= s.start_ns &&
					  fr[k].ts_ns <= s.end_ns,
				  "%s: frame %d outside the file's span", name,
				  k);
		if (i < files - 1)
			cr_assert(s.end_ns - s.start_ns >= 950000000ull &&
					  s.end_ns - s.start_ns <=
						  1500000000ull,
				  "%s spans %.3f s", name,
				  (double)(s.end_ns - s.start_ns) / 1e9);
	}
}

/* ---- tests: statistics and ending ----------------------------------- */

CAP_TEST(statistics_block_counts_every_frame_sent)
{
	const char *file = path_of("isb.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct isb s;
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-c", "50", "-w", file));
	peer_send_seq(peer, 0, 50, false, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	cr_assert_eq(n, 50);
	read_isb(file, &s);
	for (int code = 2; code <= 8; code++)
		cr_assert(s.has[code], "ISB option %d missing", code);
	cr_assert_eq(s.ifrecv, 50, "isb_ifrecv %" PRIu64, s.ifrecv);
	cr_assert_eq(s.ifdrop, 0, "isb_ifdrop %" PRIu64, s.ifdrop);
	cr_assert_eq(s.filteraccept, 50, "isb_filteraccept %" PRIu64,
		     s.filteraccept);
	cr_assert_eq(s.osdrop, 0, "isb_osdrop %" PRIu64, s.osdrop);
	cr_assert_eq(s.usrdeliv, 50, "isb_usrdeliv %" PRIu64, s.usrdeliv);
	cr_assert_leq(s.start_ns, fr[0].ts_ns, "starts after the first frame");
	cr_assert_geq(s.end_ns, fr[n - 1].ts_ns, "ends before the last frame");
}

CAP_TEST(statistics_block_counts_filtered_frames_as_received)
{
	const char *file = path_of("isbf.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct isb s;
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "20", "-w", file, "ether[14] = 7"));
	peer_send_seq(peer, 0, 40, true, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(read_file(file, fr, MAX_FRAMES), 20);
	read_isb(file, &s);
	cr_assert_eq(s.ifrecv, 40, "isb_ifrecv %" PRIu64, s.ifrecv);
	cr_assert_eq(s.filteraccept, 20, "isb_filteraccept %" PRIu64,
		     s.filteraccept);
	cr_assert_eq(s.usrdeliv, 20, "isb_usrdeliv %" PRIu64, s.usrdeliv);
	cr_assert_eq(s.ifdrop, 0, "isb_ifdrop %" PRIu64, s.ifdrop);
}

CAP_TEST(summary_counts_captured_filtered_and_dropped)
{
	const char *file = path_of("summary.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;

	start(&r, ARGS("-i", "hsk0", "-c", "20", "-w", file, "ether[14] = 7"));
	peer_send_seq(peer, 0, 40, true, 1);
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, ": 20 frames captured in 1 file ("), "%s",
		  r.text);
	cr_assert(strstr(r.text, "\n40 frames received by the socket\n"), "%s",
		  r.text);
	cr_assert(strstr(r.text, "\n20 frames filtered out\n"), "%s", r.text);
	cr_assert(strstr(r.text,
			 "\n0 frames dropped by the kernel or the ring\n"),
		  "%s", r.text);
	cr_assert(strstr(r.text, "\n0 frames dropped by hotsock\n"), "%s",
		  r.text);
}

CAP_TEST(drops_are_counted_when_the_ring_overflows)
{
	const char *file = path_of("drops.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	const unsigned int sent = 1000;
	char line[96];
	struct isb s;
	struct run r;
	int n;

	/* The smallest ring, 256 KiB: a few hundred frames of 1000 bytes
	 * (on af_xdp, the receive buffer of the same size). */
	cr_assert_ok(setenv("HOTSOCK_PACKET_RING_SIZE", "262144", 1));
	start(&r, ARGS("-i", "hsk0", "-w", file));
	/* Stopped, the capture reads nothing: the ring fills, the rest is
	 * dropped. Sent in short bursts, so that hsk0's backlog keeps up. */
	cr_assert_ok(kill(r.pid, SIGSTOP));
	for (unsigned int k = 0; k < sent; k++) {
		peer_send(peer, k, 0, 1000);
		if (k % 50 == 49)
			tst_sleep_ms(1);
	}
	tst_sleep_ms(100);
	cr_assert_ok(kill(r.pid, SIGCONT));
	tst_sleep_ms(1000);
	cr_assert_ok(kill(r.pid, SIGTERM));
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	read_isb(file, &s);
	cr_log_info("%d frames written, %" PRIu64 " dropped", n, s.ifdrop);
	/* Every frame sent is either in the file or counted as dropped. */
	cr_assert_gt(s.ifdrop, 0, "no drop with a full ring");
	cr_assert_eq(s.ifrecv, sent, "isb_ifrecv %" PRIu64, s.ifrecv);
	cr_assert_eq(s.usrdeliv + s.ifdrop, sent,
		     "%" PRIu64 " written + %" PRIu64 " dropped", s.usrdeliv,
		     s.ifdrop);
	cr_assert_eq((uint64_t)n, s.usrdeliv, "%d frames in the file", n);
	for (int i = 1; i < n; i++)
		cr_assert_gt(fr[i].seq, fr[i - 1].seq, "frame %d out of order",
			     i);
	snprintf(line, sizeof(line),
		 "\n%" PRIu64 " frames dropped by the kernel or the ring\n",
		 s.ifdrop);
	cr_assert(strstr(r.text, line), "summary without %s: %s", line, r.text);
}

/* The capture runs without -c until @sig; the file must be whole. */
static void ends_on_signal(int sig, const char *name)
{
	const char *file = path_of(name);
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;
	int n;

	start(&r, ARGS("-i", "hsk0", "-w", file));
	peer_send_seq(peer, 0, 20, false, 1);
	/* Time to take them off the ring (it retires blocks in 1 ms). */
	tst_sleep_ms(1000);
	cr_assert_ok(kill(r.pid, sig));
	cr_assert_eq(finish(&r, END_S), 0, "exit status; stderr:\n%s", r.text);
	n = read_file(file, fr, MAX_FRAMES);
	for (int i = 0; i < 20; i++)
		want_seq[i] = i;
	assert_frames(fr, n, want_seq, 20);
	cr_assert(strstr(r.text, ": 20 frames captured in 1 file"), "%s",
		  r.text);
}

CAP_TEST(sigterm_ends_the_capture_with_complete_files)
{
	ends_on_signal(SIGTERM, "term.pcapng");
}

CAP_TEST(sigint_ends_the_capture_with_complete_files)
{
	ends_on_signal(SIGINT, "int.pcapng");
}

CAP_TEST(status_line_is_live_on_a_terminal)
{
	const char *file = path_of("tty.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	int master, slave;
	struct run r;
	double end;

	cr_assert_ok(openpty(&master, &slave, NULL, NULL, NULL));
	fcntl(master, F_SETFD, FD_CLOEXEC);
	spawn(&r, ARGS("-i", "hsk0", "-w", file), -1, master, slave);
	wait_ready(&r);
	peer_send_seq(peer, 0, 10, false, 1);
	/* The first status comes a second after the start. */
	end = tst_now() + 5.0;
	while (!strstr(r.text, "10 captured, 0 filtered out, 0 dropped, ") &&
	       tst_now() < end)
		read_err(&r, 100);
	cr_assert(strstr(r.text, "\r10 captured, 0 filtered out, 0 dropped, "),
		  "no status line: %s", r.text);
	cr_assert(strstr(r.text, " frames/s"), "%s", r.text);
	cr_assert_ok(kill(r.pid, SIGTERM));
	cr_assert_eq(finish(&r, END_S), 0, "%s", r.text);
	cr_assert(strstr(r.text, "10 frames captured in 1 file"), "%s", r.text);
}

CAP_TEST(quiet_prints_nothing_but_writes_the_file)
{
	const char *file = path_of("quiet.pcapng");
	int peer = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct run r;

	/* No start line to wait for: send until the capture has them all. */
	spawn(&r, ARGS("-i", "hsk0", "-q", "-c", "5", "-w", file), -1, -1, -1);
	for (unsigned int s = 0; s < 400 && !ended(&r); s++) {
		peer_send(peer, s, 0, 100);
		tst_sleep_ms(10);
	}
	cr_assert_eq(finish(&r, END_S), 0, "stderr:\n%s", r.text);
	cr_assert_eq(r.len, 0, "-q, yet: %s", r.text);
	cr_assert_eq(read_file(file, fr, MAX_FRAMES), 5);
}

/* ---- tests: failures ------------------------------------------------ */

CAP_TEST(unknown_interface_exits_1)
{
	struct run r;

	cr_assert_eq(run_to_end(ARGS("-i", "hsk9", "-c", "1", "-w",
				     path_of("none.pcapng")),
				&r),
		     1, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, "hsk9"), "%s", r.text);
}

Test(usage, unknown_option_exits_2, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(
		run_to_end(ARGS("-i", "hsk0", "-w", "/dev/null", "--bogus"),
			   &r),
		2, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, "--bogus"), "%s", r.text);
}

Test(usage, out_of_range_value_exits_2, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(run_to_end(ARGS("-i", "hsk0", "-w", "/dev/null", "-s",
				     "262145"),
				&r),
		     2, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, "-s"), "%s", r.text);
}

Test(usage, filter_syntax_error_exits_2, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(run_to_end(ARGS("-i", "hsk0", "-w", "/dev/null", "udp",
				     "port", "nine", "and"),
				&r),
		     2, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, "filter"), "%s", r.text);
}

Test(usage, missing_interface_exits_2, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(run_to_end(ARGS("-w", "/dev/null"), &r), 2, "stderr:\n%s",
		     r.text);
	cr_assert(strstr(r.text, "-i"), "%s", r.text);
}

Test(usage, file_count_without_rotation_exits_2, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(
		run_to_end(ARGS("-i", "hsk0", "-w", "/dev/null", "-W", "3"),
			   &r),
		2, "stderr:\n%s", r.text);
	cr_assert(strstr(r.text, "-W"), "%s", r.text);
}

Test(usage, help_exits_0, .timeout = TST_TIMEOUT)
{
	struct run r;

	cr_assert_eq(run_to_end(ARGS("--help"), &r), 0, "stderr:\n%s", r.text);
}
