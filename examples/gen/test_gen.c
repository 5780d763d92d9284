// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_gen.c - hotsock-gen end to end: the generator (the built binary,
 * $HSK_GEN_BIN) sends from the local namespace on hotsock's configured
 * backend; kernel sockets in the peer namespace, with large receive
 * buffers, count what arrives until the line is quiet. What arrives must
 * be what the generator says it sent.
 */
#define TOOL_BIN_VAR "HSK_GEN_BIN"
#include "tool_test.h"

#include <arpa/inet.h>
#include <net/ethernet.h>

#define GEN_PORT 40200
#define GEN_PORT_S "40200"
#define GEN_MAGIC 0x48534b47u
#define MAX_PORTS 64

/* What the peer saw. */
struct seen {
	uint64_t count, bad_magic;
	unsigned int min, max;
	uint64_t sizes[65536 / 64]; /* bitmap of sizes seen */
	uint16_t sports[MAX_PORTS];
	unsigned int nsports;
	uint64_t per_fd[8];
};

static void seen_add(struct seen *s, int idx, const unsigned char *p,
		     size_t len, uint16_t sport)
{
	uint32_t magic;
	unsigned int i;

	if (!s->count || len < s->min)
		s->min = (unsigned int)len;
	if (len > s->max)
		s->max = (unsigned int)len;
	s->count++;
	s->per_fd[idx]++;
	s->sizes[len / 64] |= UINT64_C(1) << (len % 64);
	if (len >= 4) {
		memcpy(&magic, p, 4);
		if (ntohl(magic) != GEN_MAGIC)
			s->bad_magic++;
	}
	for (i = 0; i < s->nsports; i++)
		if (s->sports[i] == sport)
			return;
	if (s->nsports < MAX_PORTS)
		s->sports[s->nsports++] = sport;
}

static unsigned int seen_distinct_sizes(const struct seen *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(s->sizes) / sizeof(s->sizes[0]); i++)
		n += (unsigned int)__builtin_popcountll(s->sizes[i]);
	return n;
}

/* A kernel socket of the peer namespace with a 64 MiB receive buffer. */
static void big_rcvbuf(int fd)
{
	int sz = 64 << 20;

	cr_assert_ok(
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)));
}

static int peer_udp(int family, uint16_t port)
{
	int fd = tst_peer_udp(family, port);

	big_rcvbuf(fd);
	return fd;
}

/*
 * Receive on @fds until the generator has ended and nothing came for
 * 300 ms (bounded: 25 s in all). @eth: the sockets are packet sockets,
 * whose frames carry the payload after the Ethernet header.
 */
static void drain(int *fds, int nfds, struct child *gen, struct seen *s,
		  bool eth)
{
	static unsigned char bufs[64][2048];
	double deadline = tst_now() + 25.0, quiet_from = 0;
	bool ended = false;

	memset(s, 0, sizeof(*s));
	while (tst_now() < deadline) {
		struct pollfd pfd[8];
		bool got = false;
		int i;

		for (i = 0; i < nfds; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfds, 50) < 0 && errno != EINTR)
			cr_assert_fail("poll: %s", strerror(errno));
		for (i = 0; i < nfds; i++) {
			struct mmsghdr mm[64];
			struct iovec iov[64];
			struct sockaddr_storage from[64];
			int n, k;

			for (k = 0; k < 64; k++) {
				iov[k].iov_base = bufs[k];
				iov[k].iov_len = sizeof(bufs[k]);
				memset(&mm[k], 0, sizeof(mm[k]));
				mm[k].msg_hdr.msg_iov = &iov[k];
				mm[k].msg_hdr.msg_iovlen = 1;
				mm[k].msg_hdr.msg_name = &from[k];
				mm[k].msg_hdr.msg_namelen = sizeof(from[k]);
			}
			while ((n = recvmmsg(fds[i], mm, 64, MSG_DONTWAIT,
					     NULL)) > 0) {
				got = true;
				for (k = 0; k < n; k++) {
					size_t off = eth ? ETHER_HDR_LEN : 0;

					seen_add(s, i, bufs[k] + off,
						 mm[k].msg_len - off,
						 eth ? 0 :
						       tst_addr_port(&from[k]));
					mm[k].msg_hdr.msg_namelen =
						sizeof(from[k]);
				}
			}
		}
		if (!ended && child_exited(gen))
			ended = true;
		if (got || !ended)
			quiet_from = tst_now();
		else if (tst_now() - quiet_from > 0.3)
			return;
	}
	if (!ended) {
		char *err = slurp(gen->err);

		child_close(gen); /* kills it, by PID */
		cr_assert_fail("hotsock-gen did not end in 25 s (the peer "
			       "had %" PRIu64 "); stderr:\n%s",
			       s->count, err);
	}
	cr_assert_fail("the peer never went quiet");
}

/* Run the generator with @args against @fds; its --json report. */
static char *run_gen(const char **args, int *fds, int nfds, struct seen *s,
		     bool eth)
{
	const char *argv[32] = { NULL };
	struct child gen;
	char *doc, *err;
	int i;

	for (i = 0; args[i]; i++) {
		cr_assert_lt(i, 28);
		argv[i + 1] = args[i];
	}
	argv[++i] = "--json";
	child_start(&gen, false, argv);
	drain(fds, nfds, &gen, s, eth);
	err = slurp(gen.err);
	cr_assert(WIFEXITED(gen.status) && WEXITSTATUS(gen.status) == 0,
		  "hotsock-gen: status 0x%x; stderr:\n%s", gen.status, err);
	assert_no_sanitizer_report(err);
	free(err);
	doc = slurp(gen.out);
	js_assert_valid(doc);
	js_assert_backend(doc);
	child_close(&gen);
	return doc;
}

static const char *dst_of(int family)
{
	return family == AF_INET ? TOPO_IP4_PEER : TOPO_IP6_PEER;
}

/* ---- UDP ------------------------------------------------------------- */

/* 20k datagrams at 20k pps: every one arrives, as many as were sent. */
static void count_equals_sent(int family, bool zc)
{
	const char *args[] = { "-d",	   dst_of(family), "-p",
			       GEN_PORT_S, "-r",	   "20000",
			       "-c",	   "20000",	   zc ? "--zc" : "-q",
			       NULL };
	int fd = peer_udp(family, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	doc = run_gen(args, &fd, 1, s, false);
	cr_assert_eq(js_u64(doc, "sent"), 20000, "%s", doc);
	cr_assert_eq(s->count, 20000,
		     "the peer received %" PRIu64 " of 20000:\n%s", s->count,
		     doc);
	cr_assert_eq(s->min, 64);
	cr_assert_eq(s->max, 64);
	cr_assert_eq(s->bad_magic, 0);
	cr_assert_eq(s->nsports, 1);
	cr_assert_eq(js_u64(doc, "payload_bytes"), 20000 * 64);
	free(doc);
	free(s);
	close(fd);
}

FAMILY_TEST(gen, udp_peer_receives_all_sent)
{
	count_equals_sent(family, false);
}

FAMILY_TEST(gen, zero_copy_peer_receives_all_sent)
{
	count_equals_sent(family, true);
}

FAMILY_TEST(gen, ranged_sizes_stay_in_range)
{
	const char *args[] = { "-d", dst_of(family), "-p", GEN_PORT_S,
			       "-r", "20000",	     "-c", "2000",
			       "-s", "100-300",	     NULL };
	int fd = peer_udp(family, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	doc = run_gen(args, &fd, 1, s, false);
	cr_assert_eq(s->count, 2000, "received %" PRIu64, s->count);
	cr_assert_geq(s->min, 100, "a datagram of %u bytes", s->min);
	cr_assert_leq(s->max, 300, "a datagram of %u bytes", s->max);
	/* 2000 draws from 201 sizes: nearly all show up. */
	cr_assert_gt(seen_distinct_sizes(s), 150, "only %u sizes",
		     seen_distinct_sizes(s));
	cr_assert_geq(js_u64(doc, "size_min"), 100);
	cr_assert_leq(js_u64(doc, "size_max"), 300);
	free(doc);
	free(s);
	close(fd);
}

FAMILY_TEST(gen, four_flows_four_source_ports)
{
	const char *args[] = {
		"-d",  dst_of(family), "-p", GEN_PORT_S, "-r", "20000", "-c",
		"400", "--flows",      "4",  "-b",	 "8",  NULL
	};
	int fd = peer_udp(family, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	doc = run_gen(args, &fd, 1, s, false);
	cr_assert_eq(s->count, 400, "received %" PRIu64, s->count);
	cr_assert_eq(s->nsports, 4, "%u source ports", s->nsports);
	free(doc);
	free(s);
	close(fd);
}

NET_TEST(gen4, source_ports_from_sport_on)
{
	const char *args[] = { "-d",	  TOPO_IP4_PEER, "-p",	    GEN_PORT_S,
			       "-r",	  "20000",	 "-c",	    "100",
			       "--flows", "3",		 "--sport", "41000",
			       NULL };
	int fd = peer_udp(AF_INET, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;
	unsigned int i;

	cr_assert_not_null(s);
	doc = run_gen(args, &fd, 1, s, false);
	cr_assert_eq(s->count, 100);
	cr_assert_eq(s->nsports, 3);
	for (i = 0; i < s->nsports; i++)
		cr_assert(s->sports[i] >= 41000 && s->sports[i] <= 41002,
			  "source port %u", s->sports[i]);
	free(doc);
	free(s);
	close(fd);
}

NET_TEST(gen4, flows_by_destination_port)
{
	const char *args[] = {
		"-d",	  TOPO_IP4_PEER, "-p",	GEN_PORT_S, "-r",
		"20000",  "-c",		 "400", "--flows",  "4",
		"--vary", "dport",	 "-b",	"4",	    NULL
	};
	int fds[4], i;
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	for (i = 0; i < 4; i++)
		fds[i] = peer_udp(AF_INET, (uint16_t)(GEN_PORT + i));
	doc = run_gen(args, fds, 4, s, false);
	cr_assert_eq(s->count, 400);
	cr_assert_eq(s->nsports, 1, "one source port, not %u", s->nsports);
	for (i = 0; i < 4; i++) {
		cr_assert_gt(s->per_fd[i], 0, "nothing to port %d",
			     GEN_PORT + i);
		close(fds[i]);
	}
	free(doc);
	free(s);
}

NET_TEST(gen4, duration_bounds_the_run)
{
	const char *args[] = { "-d",   TOPO_IP4_PEER, "-p",  GEN_PORT_S, "-r",
			       "1000", "-t",	      "0.5", NULL };
	int fd = peer_udp(AF_INET, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;
	uint64_t sent;

	cr_assert_not_null(s);
	doc = run_gen(args, &fd, 1, s, false);
	sent = js_u64(doc, "sent");
	/* 1000 pps for 0.5 s, give or take the clock's edges. */
	cr_assert(sent >= 450 && sent <= 550, "sent %" PRIu64, sent);
	cr_assert_eq(s->count, sent);
	free(doc);
	free(s);
	close(fd);
}

/* ---- raw frames ------------------------------------------------------ */

static void mac_str(char *buf, size_t len, const unsigned char *m)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

NET_TEST(gen, raw_frames_reach_a_peer_packet_socket)
{
	char mac[18];
	const char *args[] = { "--raw", "-i", TOPO_IF_LOCAL, "--dst-mac",
			       mac,	"-r", "20000",	     "-c",
			       "1000",	"-s", "60-200",	     NULL };
	int fd = tst_peer_packet(SOCK_RAW, TST_ETHERTYPE);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	big_rcvbuf(fd);
	mac_str(mac, sizeof(mac), tst_topo.mac_peer);
	doc = run_gen(args, &fd, 1, s, true);
	cr_assert_eq(js_u64(doc, "sent"), 1000);
	cr_assert_eq(s->count, 1000, "the peer got %" PRIu64 " frames",
		     s->count);
	cr_assert_eq(s->bad_magic, 0);
	cr_assert_geq(s->min, 60);
	cr_assert_leq(s->max, 200);
	free(doc);
	free(s);
	close(fd);
}

/* Frames built whole (Ethernet, IP, UDP with checksums) reach a kernel
 * UDP socket: the peer's stack accepted every header. */
FAMILY_TEST(gen, raw_udp_frames_reach_a_peer_udp_socket)
{
	char mac[18];
	const char *args[] = {
		"--raw",   "-i",       TOPO_IF_LOCAL, "-d", dst_of(family),
		"-p",	   GEN_PORT_S, "--dst-mac",   mac,  "-r",
		"20000",   "-c",       "1000",	      "-s", "1-1000",
		"--flows", "2",	       NULL
	};
	int fd = peer_udp(family, GEN_PORT);
	struct seen *s = calloc(1, sizeof(*s));
	char *doc;

	cr_assert_not_null(s);
	mac_str(mac, sizeof(mac), tst_topo.mac_peer);
	doc = run_gen(args, &fd, 1, s, false);
	cr_assert_eq(s->count, 1000, "the peer's UDP socket got %" PRIu64,
		     s->count);
	cr_assert_eq(s->nsports, 2);
	cr_assert_geq(s->min, 1);
	cr_assert_leq(s->max, 1000);
	free(doc);
	free(s);
	close(fd);
}

/* ---- usage ----------------------------------------------------------- */

static void expect_usage_error(const char **args)
{
	const char *argv[24] = { NULL };
	struct child ch;
	char *err;
	int i;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	child_start(&ch, false, argv);
	child_expect_exit(&ch, 5.0, 2, args[0] ? args[0] : "no arguments");
	err = slurp(ch.err);
	cr_assert(strstr(err, "hotsock-gen: ") && strstr(err, "--help"),
		  "no clear message for %s: %s", args[0] ? args[0] : "()", err);
	free(err);
	child_close(&ch);
}

Test(gen, bad_options_exit_2, .timeout = TST_TIMEOUT)
{
	static const char *cases[][12] = {
		{ NULL },
		{ "-d", TOPO_IP4_PEER, NULL },
		{ "-p", "40200", NULL },
		{ "-d", "not-an-address", "-p", "40200", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "0", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-s", "300-100", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-s", "70000", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-s", "x", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-r", "0", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-b", "0", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-b", "5000", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "--flows", "0", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "--vary", "ttl", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "--backend", "dpdk",
		  NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "--dst-mac",
		  "02:00:00:00:00:01", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "--bogus", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "extra", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-c", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "40200", "-t", "-1", NULL },
		{ "-d", TOPO_IP4_PEER, "-p", "65535", "--flows", "2", "--vary",
		  "dport", NULL },
		{ "--raw", NULL },
		{ "--raw", "-i", "nosuchif0", NULL },
		{ "--raw", "-i", "lo", "--flows", "2", NULL },
		{ "--raw", "-i", "lo", "--dst-mac", "zz", NULL },
		{ "--raw", "-i", "lo", "--ethertype", "0x10", NULL },
		{ "--raw", "-i", "lo", "-d", TOPO_IP4_PEER, "-p", "1", "--src",
		  TOPO_IP6_LOCAL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_usage_error(cases[i]);
}

Test(gen, help_lists_every_option, .timeout = TST_TIMEOUT)
{
	static const char *const opts[] = {
		"--dst",      "--port",	 "--size",	"--flows",
		"--vary",     "--sport", "--ttl",	"--count",
		"--duration", "--rate",	 "--batch",	"--zc",
		"--seed",     "--raw",	 "--interface", "--dst-mac",
		"--src-mac",  "--src ",	 "--ethertype", "--backend",
		"--json",     "--quiet", "--help",
	};
	const char *argv[] = { NULL, "--help", NULL };
	struct child ch;
	char *out;
	size_t i;

	child_start(&ch, false, argv);
	child_expect_exit(&ch, 5.0, 0, "--help");
	out = slurp(ch.out);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		cr_assert(strstr(out, opts[i]), "--help lacks %s", opts[i]);
	free(out);
	child_close(&ch);
}
