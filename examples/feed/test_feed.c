// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_feed.c - hotsock-feed end to end: the receiver (the built binary,
 * $HSK_FEED_BIN) runs in the local namespace on hotsock's configured
 * backend, the publisher in the peer namespace on the kernel backend, with
 * chosen sequence numbers dropped on each line. The receiver's --json
 * report must show exactly the gaps no line covered.
 */
#define TOOL_BIN_VAR "HSK_FEED_BIN"
#include "tool_test.h"

#define FEED_PORT "40100"
#define G4A "239.1.1.1"
#define G4B "239.1.1.2"
#define G6A "ff15::1:1"
#define G6B "ff15::1:2"

/* Wait until the receiver says it has joined (its groups are live). */
static void wait_joined(struct child *ch)
{
	double deadline = tst_now() + 10.0;

	for (;;) {
		char *err = slurp(ch->err);
		bool joined = strstr(err, "joined") != NULL;
		pid_t r;

		if (joined) {
			free(err);
			return;
		}
		r = waitpid(ch->pid, &ch->status, WNOHANG);
		cr_assert_eq(r, 0, "the receiver ended before joining: %s",
			     err);
		cr_assert(tst_now() < deadline,
			  "the receiver did not join in 10 s: %s", err);
		free(err);
		tst_sleep_ms(5);
	}
}

/* ---- scenarios ------------------------------------------------------- */

struct expect {
	uint64_t received[2], unique, duplicates, missing;
	size_t nranges;
	uint64_t ranges[8][2];
};

static void start_receiver(struct child *rx, const char *groups,
			   bool text_until_signal)
{
	const char *argv[] = { NULL,  "-g",	groups,	  "-p",	 FEED_PORT,
			       "-I",  "hsk0",	"-t",	  "20",	 "--max-gaps",
			       "100", "--json", "--idle", "0.5", NULL };

	if (text_until_signal)
		argv[11] = NULL; /* no --json, no --idle */
	child_start(rx, false, argv);
	wait_joined(rx);
}

static void publish(const char *groups, const char *count, const char *drop_a,
		    const char *drop_b)
{
	const char *argv[24] = { NULL,	      "--publish", "-g", groups,
				 "-p",	      FEED_PORT,   "-I", "hsk1",
				 "--rate",    "20000",	   "-c", count,
				 "--backend", "kernel" };
	struct child pub;
	int n = 14;

	if (drop_a) {
		argv[n++] = "--drop-a";
		argv[n++] = drop_a;
	}
	if (drop_b) {
		argv[n++] = "--drop-b";
		argv[n++] = drop_b;
	}
	argv[n] = NULL;
	child_start(&pub, true, argv);
	child_expect_exit(&pub, 15.0, 0, "the publisher");
	child_close(&pub);
}

static void check_report(const char *doc, const struct expect *e, int nlines,
			 uint64_t count)
{
	char path[64];
	size_t i;
	int l;

	js_assert_valid(doc);
	js_assert_backend(doc);
	cr_assert_eq(js_u64(doc, "first_seq"), 1, "first_seq:\n%s", doc);
	cr_assert_eq(js_u64(doc, "last_seq"), count, "last_seq:\n%s", doc);
	for (l = 0; l < nlines; l++) {
		snprintf(path, sizeof(path), "lines.%d.received", l);
		cr_assert_eq(js_u64(doc, path), e->received[l],
			     "line %c received %" PRIu64 ", expected %" PRIu64
			     ":\n%s",
			     'A' + l, js_u64(doc, path), e->received[l], doc);
	}
	cr_assert_eq(js_u64(doc, "unique"), e->unique,
		     "unique %" PRIu64 ", expected %" PRIu64 ":\n%s",
		     js_u64(doc, "unique"), e->unique, doc);
	cr_assert_eq(js_u64(doc, "duplicates"), e->duplicates,
		     "duplicates %" PRIu64 ", expected %" PRIu64 ":\n%s",
		     js_u64(doc, "duplicates"), e->duplicates, doc);
	cr_assert_eq(js_u64(doc, "gaps.missing"), e->missing,
		     "missing %" PRIu64 ", expected %" PRIu64 ":\n%s",
		     js_u64(doc, "gaps.missing"), e->missing, doc);
	cr_assert_eq(js_u64(doc, "gaps.ranges"), e->nranges, "gap ranges:\n%s",
		     doc);
	for (i = 0; i < e->nranges; i++) {
		snprintf(path, sizeof(path), "gaps.list.%zu.0", i);
		cr_assert_eq(js_u64(doc, path), e->ranges[i][0], "gap %zu:\n%s",
			     i, doc);
		snprintf(path, sizeof(path), "gaps.list.%zu.1", i);
		cr_assert_eq(js_u64(doc, path), e->ranges[i][1], "gap %zu:\n%s",
			     i, doc);
	}
	cr_assert_null(js_path(doc, "gaps.list."
				    "99"));
	cr_assert_eq(js_u64(doc, "late"), 0, "late:\n%s", doc);
	/* Every first copy has a latency; the order of percentiles holds. */
	cr_assert_eq(js_u64(doc, "latency_ns.samples"), e->unique);
	cr_assert_leq(js_u64(doc, "latency_ns.min"),
		      js_u64(doc, "latency_ns.p50"));
	cr_assert_leq(js_u64(doc, "latency_ns.p50"),
		      js_u64(doc, "latency_ns.p99"));
	cr_assert_leq(js_u64(doc, "latency_ns.p99"),
		      js_u64(doc, "latency_ns.p99_9"));
	cr_assert_leq(js_u64(doc, "latency_ns.p99_9"),
		      js_u64(doc, "latency_ns.max"));
	/* The receiver saw no loss of its own. */
	cr_assert_eq(js_u64(doc, "kernel_drops"), 0, "%s", doc);
}

static void run_feed(const char *groups, int nlines, const char *count,
		     const char *drop_a, const char *drop_b,
		     const struct expect *e)
{
	struct child rx;
	char *doc;

	start_receiver(&rx, groups, false);
	publish(groups, count, drop_a, drop_b);
	child_expect_exit(&rx, 15.0, 0, "the receiver");
	doc = slurp(rx.out);
	check_report(doc, e, nlines, strtoull(count, NULL, 10));
	free(doc);
	child_close(&rx);
}

/*
 * A drops 5, 9-12, 100-199, 500; B drops 7, 10, 150-160, 600-601.
 * Only 10 and 150-160 are missing on both: the only gaps.
 */
static const struct expect ab_expect = {
	.received = { 1000 - 106, 1000 - 15 },
	.unique = 1000 - 12,
	.duplicates = (1000 - 106) + (1000 - 15) - (1000 - 12),
	.missing = 12,
	.nranges = 2,
	.ranges = { { 10, 10 }, { 150, 160 } },
};

NET_TEST(feed4, ab_lines_gap_only_where_both_missed)
{
	run_feed(G4A "," G4B, 2, "1000", "5,9-12,100-199,500",
		 "7,10,150-160,600-601", &ab_expect);
}

NET_TEST(feed6, ab_lines_gap_only_where_both_missed)
{
	run_feed(G6A "," G6B, 2, "1000", "5,9-12,100-199,500",
		 "7,10,150-160,600-601", &ab_expect);
}

/* Each line covers the other's drops: no gap, no double count. */
static const struct expect cover_expect = {
	.received = { 1000 - 499, 1000 - 501 },
	.unique = 1000,
	.duplicates = 0,
	.missing = 0,
	.nranges = 0,
};

NET_TEST(feed4, complementary_lines_no_gap)
{
	run_feed(G4A "," G4B, 2, "1000", "1-499", "500-1000", &cover_expect);
}

NET_TEST(feed6, complementary_lines_no_gap)
{
	run_feed(G6A "," G6B, 2, "1000", "1-499", "500-1000", &cover_expect);
}

/* Both lines whole: every B copy is a discarded duplicate. */
static const struct expect dup_expect = {
	.received = { 1000, 1000 },
	.unique = 1000,
	.duplicates = 1000,
	.missing = 0,
	.nranges = 0,
};

NET_TEST(feed4, ab_lines_all_duplicates_counted)
{
	run_feed(G4A "," G4B, 2, "1000", NULL, NULL, &dup_expect);
}

/* One line: each drop is a gap. */
static const struct expect single_expect = {
	.received = { 1000 - 15 },
	.unique = 1000 - 15,
	.duplicates = 0,
	.missing = 15,
	.nranges = 3,
	.ranges = { { 3, 3 }, { 50, 52 }, { 700, 710 } },
};

NET_TEST(feed4, single_line_drops_are_gaps)
{
	run_feed(G4A, 1, "1000", "3,50-52,700-710", NULL, &single_expect);
}

NET_TEST(feed6, single_line_drops_are_gaps)
{
	run_feed(G6A, 1, "1000", "3,50-52,700-710", NULL, &single_expect);
}

/* SIGINT ends a run without bounds, with the final report. */
NET_TEST(feed4, sigint_prints_final_report)
{
	struct child rx;
	char *out;

	start_receiver(&rx, G4A "," G4B, true);
	publish(G4A "," G4B, "200", "20-29", "25");
	tst_sleep_ms(100);
	cr_assert_ok(kill(rx.pid, SIGINT));
	child_expect_exit(&rx, 5.0, 0, "the receiver after SIGINT");
	out = slurp(rx.out);
	cr_assert(strstr(out, "unique 199, duplicates discarded 190"),
		  "report:\n%s", out);
	cr_assert(strstr(out, "gaps: 1 (1 missing): 25\n"), "report:\n%s", out);
	cr_assert(strstr(out, "latency (us, 199 samples)"), "report:\n%s", out);
	free(out);
	child_close(&rx);
}

/* ---- usage ----------------------------------------------------------- */

static void expect_usage_error(const char **args)
{
	const char *argv[16] = { NULL };
	struct child ch;
	char *err;
	int i;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	child_start(&ch, false, argv);
	child_expect_exit(&ch, 5.0, 2, args[0] ? args[0] : "no arguments");
	err = slurp(ch.err);
	cr_assert(strstr(err, "hotsock-feed: ") && strstr(err, "--help"),
		  "no clear message for %s: %s", args[0] ? args[0] : "()", err);
	free(err);
	child_close(&ch);
}

Test(feed, bad_options_exit_2, .timeout = TST_TIMEOUT)
{
	static const char *cases[][10] = {
		{ NULL },
		{ "-g", G4A, NULL },
		{ "-p", "40100", NULL },
		{ "-g", "198.18.0.1", "-p", "40100", NULL },
		{ "-g", G4A "," G6B, "-p", "40100", NULL },
		{ "-g", G4A "," G4A, "-p", "40100", NULL },
		{ "-g", G4A, "-p", "70000", NULL },
		{ "-g", G4A, "-p", "0", NULL },
		{ "-g", G4A, "-p", "40100", "--drop-a", "5", NULL },
		{ "--publish", "-g", G4A, "-p", "40100", "--drop-b", "5",
		  NULL },
		{ "--publish", "-g", G4A, "-p", "40100", "--drop-a", "9-5",
		  NULL },
		{ "--publish", "-g", G4A, "-p", "40100", "--rate", "fast",
		  NULL },
		{ "--publish", "-g", G4A, "-p", "40100", "-s", "10", NULL },
		{ "--publish", "-g", G4A, "-p", "40100", "--idle", "1", NULL },
		{ "-g", G4A, "-p", "40100", "--backend", "dpdk", NULL },
		{ "-g", G4A, "-p", "40100", "--bogus", NULL },
		{ "-g", G4A, "-p", "40100", "-I", "nosuchif0", NULL },
		{ "-g", G4A, "-p", "40100", "extra", NULL },
		{ "-g", G4A, "-p", "40100", "-t", NULL },
		{ "-g", G4A, "-p", "40100", "-c", "-3", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_usage_error(cases[i]);
}

Test(feed, help_lists_every_option, .timeout = TST_TIMEOUT)
{
	static const char *const opts[] = {
		"--group",     "--port",      "--interface",	"--count",
		"--duration",  "--backend",   "--json",		"--quiet",
		"--idle",      "--max-gaps",  "--line-timeout", "--batch",
		"--rcvbuf",    "--busy-poll", "--timestamp",	"--verbose",
		"--publish",   "--rate",      "--size",		"--ttl",
		"--start-seq", "--drop-a",    "--drop-b",	"--help",
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
