// SPDX-License-Identifier: BSD-3-Clause
/*
 * The capture workload (issue 6): hotsock-capture, on each backend (and on
 * af_xdp also with --exclusive: the frames through the XSK, not the
 * kernel's copies), against `tcpdump -w`, at the same offered load. The
 * xsk source in the peer namespace sends 64-byte UDP datagrams to hsk0 at
 * each rate step (100k, 300k, 1M pps, then as fast as it can) while the
 * capturing tool writes every frame of hsk0 to a file; then the tool gets
 * SIGINT and its own summary says what it captured and what was dropped
 * where. The figures: captured / sent, the drops (kernel or ring,
 * hotsock) and the file's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define CAP_PORT 24000
#define READY_TIMEOUT 5.0 /* s: for the tool's first line */
#define EXIT_TIMEOUT 10.0 /* s: for the tool to end after SIGINT */

static const double rates[] = { 100e3, 300e3, 1e6, 0 };

struct cap_tool {
	const char *name;
	const char *backend; /* hotsock-capture --backend, or NULL */
	bool exclusive;	     /* hotsock-capture --exclusive */
	const char *label;   /* the table's and the plot's backend */
};

static const struct cap_tool tools[] = {
	{ "hotsock-capture", "kernel", false, "kernel" },
	{ "hotsock-capture", "af_xdp", false, "af_xdp" },
	{ "hotsock-capture", "af_xdp", true, "af_xdp excl" },
	{ "tcpdump -w", NULL, false, "-" },
};

struct cap_run {
	int ok;
	char err[160];
	uint64_t sent;
	long long captured, drop_kernel, drop_hsk, bytes;
};

static void nap(double secs)
{
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (time_t)secs) * 1e9) };

	nanosleep(&ts, NULL);
}

static char *slurp_file(const char *path)
{
	char *buf = calloc(1, 65536);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		if (fd >= 0)
			close(fd);
		return buf;
	}
	n = read(fd, buf, 65535);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

/* The number in front of @tail in @log ("123 packets captured"), or -1. */
static long long number_before(const char *log, const char *tail)
{
	const char *p = strstr(log, tail);

	if (!p)
		return -1;
	while (p > log && p[-1] == ' ')
		p--;
	while (p > log && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtoll(p, NULL, 10);
}

static pid_t start_tool(const struct cap_tool *tool, const char *bin,
			const char *iface, const char *file, const char *log)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		signal(SIGINT, SIG_DFL);
		if (tool->backend)
			execl(bin, bin, "--backend", tool->backend, "-i", iface,
			      "-w", file,
			      tool->exclusive ? "--exclusive" : (char *)NULL,
			      (char *)NULL);
		else
			execlp("tcpdump", "tcpdump", "-n", "-i", iface, "-w",
			       file, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, double secs)
{
	double deadline = now() + secs;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		nap(0.01);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void cap_run_one(const struct cap_tool *tool, const char *bin,
			struct hsk_topo *t, const struct config *cfg,
			double rate, const char *dir, int port,
			struct cap_run *run)
{
	char file[600], log[600], *text = NULL;
	const char *what = "source";
	struct source *src = NULL;
	double deadline;
	struct stat st;
	pid_t pid;
	int rc;

	memset(run, 0, sizeof(*run));
	snprintf(file, sizeof(file), "%s/capture.out", dir);
	snprintf(log, sizeof(log), "%s/capture.log", dir);
	unlink(file);
	pid = start_tool(tool, bin, t->if_local, file, log);
	if (pid < 0) {
		snprintf(run->err, sizeof(run->err), "fork: %s",
			 strerror(errno));
		return;
	}
	/* Ready when it says so (tcpdump: "listening on", hotsock-capture:
	 * "capturing on"). */
	deadline = now() + READY_TIMEOUT;
	for (;;) {
		free(text);
		text = slurp_file(log);
		if (text && (strstr(text, "listening on") ||
			     strstr(text, "capturing on")))
			break;
		if (now() > deadline || g_stop ||
		    waitpid(pid, NULL, WNOHANG) == pid) {
			snprintf(run->err, sizeof(run->err),
				 "%s did not start: %.100s", tool->name,
				 text ? text : "");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			free(text);
			return;
		}
		nap(0.02);
	}
	src = source_start(t, cfg, port, rate, &what);
	if (!src) {
		snprintf(run->err, sizeof(run->err), "%s: %s", what,
			 strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(text);
		return;
	}
	nap(cfg->duration);
	/* All of it: the tool was capturing before the first frame. */
	run->sent = source_sent(src);
	source_stop(src);
	/* What is in flight lands, then the tool writes its summary. */
	nap(0.3);
	kill(pid, SIGINT);
	rc = wait_exit(pid, EXIT_TIMEOUT);
	free(text);
	text = slurp_file(log);
	if (tool->backend) {
		run->captured = number_before(text, "frames captured");
		run->drop_kernel = number_before(
			text, "frames dropped by the kernel or the ring");
		run->drop_hsk =
			number_before(text, "frames dropped by hotsock");
	} else {
		run->captured = number_before(text, "packets captured");
		run->drop_kernel =
			number_before(text, "packets dropped by kernel");
		run->drop_hsk = -1;
	}
	run->bytes = stat(file, &st) ? -1 : (long long)st.st_size;
	if (rc != 0 || run->captured < 0)
		snprintf(run->err, sizeof(run->err), "%s ended with %d: %.100s",
			 tool->name, rc, text);
	else
		run->ok = 1;
	free(text);
	unlink(file);
	unlink(log);
}

/* Captured / sent, median over the reps, per tool and rate step. */
static void plot_capture(const struct config *cfg, const struct cap_run *runs)
{
	static const char *const series[] = { "100k pps", "300k pps", "1M pps",
					      "max" };
	struct plot_label labels[ARRAY_SIZE(tools)];
	double v[ARRAY_SIZE(tools) * ARRAY_SIZE(rates)];
	unsigned int k, r, rep;

	for (k = 0; k < ARRAY_SIZE(tools); k++) {
		labels[k] = (struct plot_label){ NULL, tools[k].name,
						 tools[k].backend ?
							 tools[k].label :
							 "libpcap" };
		for (r = 0; r < ARRAY_SIZE(rates); r++) {
			double x[cfg->reps];
			unsigned int n = 0;

			for (rep = 0; rep < cfg->reps; rep++) {
				const struct cap_run *run =
					&runs[(r * ARRAY_SIZE(tools) + k) *
						      cfg->reps +
					      rep];

				if (run->ok && run->sent)
					x[n++] = 100.0 * (double)run->captured /
						 (double)run->sent;
			}
			v[k * ARRAY_SIZE(rates) + r] = n ? median(x, n) : 0;
		}
	}
	plot_groups(cfg, "capture.png",
		    "Frames captured / frames sent, by offered load "
		    "(median over the reps)",
		    "percent", labels, ARRAY_SIZE(tools), series,
		    ARRAY_SIZE(rates), v, 0);
}

/* hotsock-capture next to this program's build: ../examples/capture. */
static void capture_bin(const char *self, char *out, size_t len)
{
	const char *slash = strrchr(self, '/');

	snprintf(out, len, "%.*s/../examples/capture/hotsock-capture",
		 slash ? (int)(slash - self) : 1, slash ? self : ".");
}

int workload_capture(struct hsk_topo *t, struct config *cfg, const char *self,
		     FILE *json)
{
	unsigned int nt = ARRAY_SIZE(tools), nr = ARRAY_SIZE(rates), r, k, rep,
		     n = 0;
	char bin[600], dir[600], tmpl[600];
	struct cap_run *runs;
	int status = 0, port = CAP_PORT;
	double t_start = now();

#ifndef HSK_BENCH_XSK
	(void)rates;
	printf("\n== capture: not run: built without libxdp (the xsk "
	       "source)\n");
	return 0;
#endif
	capture_bin(self, bin, sizeof(bin));
	snprintf(tmpl, sizeof(tmpl), "%s/hotsock-bench-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
	if (!mkdtemp(tmpl)) {
		printf("\n== capture: no temporary directory: %s\n",
		       strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	runs = calloc((size_t)nt * nr * cfg->reps, sizeof(*runs));
	if (!runs) {
		rmdir(dir);
		return 1;
	}
	printf("\n== capture: every frame of %s to a file, hotsock-capture "
	       "(pcapng, zero-copy) and\n   tcpdump -w (pcap), the xsk "
	       "source sending 64-byte datagrams at each rate;\n   %u rep(s) "
	       "x %g s, interleaved\n",
	       t->if_local, cfg->reps, cfg->duration);
	alarm((unsigned int)(cfg->reps * nt * nr *
			     (cfg->duration + READY_TIMEOUT + EXIT_TIMEOUT)) +
	      30);
	for (rep = 0; rep < cfg->reps && !g_stop; rep++)
		for (r = 0; r < nr && !g_stop; r++)
			for (k = 0; k < nt && !g_stop; k++) {
				struct cap_run *run =
					&runs[(r * nt + k) * cfg->reps + rep];

				if (tools[k].backend &&
				    !strcmp(tools[k].backend, "af_xdp") &&
				    !cfg->af_xdp) {
					snprintf(run->err, sizeof(run->err),
						 "af_xdp cannot serve here");
					continue;
				}
				progress("capture: rep %u/%u %s %s at %s",
					 rep + 1, cfg->reps, tools[k].name,
					 tools[k].label,
					 rates[r] > 0 ? "a set rate" : "max");
				cap_run_one(&tools[k], bin, t, cfg, rates[r],
					    dir, port++, run);
				if (!run->ok)
					status = 1;
			}
	progress_done();
	alarm(0);
	rmdir(dir);
	if (g_stop) {
		free(runs);
		return 1;
	}
	printf("\n%-10s %-16s %-11s %10s %10s %9s %12s %12s %10s\n", "offered",
	       "tool", "backend", "sent", "captured", "capt/sent",
	       "drop kernel", "drop hotsock", "file MB");
	if (json)
		fprintf(json,
			"{\"config\": {\"size\": %zu, \"duration\": %g, "
			"\"reps\": %u},\n   \"results\": [",
			cfg->size, cfg->duration, cfg->reps);
	for (r = 0; r < nr; r++)
		for (k = 0; k < nt; k++) {
			char offered[16], dh[24];

			if (rates[r] > 0)
				snprintf(offered, sizeof(offered), "%.0fk pps",
					 rates[r] / 1e3);
			else
				snprintf(offered, sizeof(offered), "max");
			for (rep = 0; rep < cfg->reps; rep++) {
				struct cap_run *run =
					&runs[(r * nt + k) * cfg->reps + rep];

				if (json) {
					fprintf(json,
						"%s\n    {\"offered_pps\": %.0f, "
						"\"tool\": \"%s\", \"backend\": "
						"\"%s\", \"exclusive\": %s, "
						"\"rep\": %u, \"ok\": %s",
						n++ ? "," : "", rates[r],
						tools[k].name,
						tools[k].backend ?
							tools[k].backend :
							"-",
						tools[k].exclusive ? "true" :
								     "false",
						rep + 1,
						run->ok ? "true" : "false");
					if (run->ok)
						fprintf(json,
							", \"sent\": %llu, "
							"\"captured\": %lld, "
							"\"dropped_kernel_or_"
							"ring\": %lld, "
							"\"dropped_hotsock\": "
							"%lld, \"file_bytes\": "
							"%lld}",
							(unsigned long long)
								run->sent,
							run->captured,
							run->drop_kernel,
							run->drop_hsk,
							run->bytes);
					else
						json_error(json, run->err);
				}
				if (!run->ok) {
					printf("%-10s %-16s %-11s FAILED: %s\n",
					       offered, tools[k].name,
					       tools[k].label, run->err);
					continue;
				}
				if (run->drop_hsk >= 0)
					snprintf(dh, sizeof(dh), "%lld",
						 run->drop_hsk);
				else
					snprintf(dh, sizeof(dh), "-");
				printf("%-10s %-16s %-11s %10llu %10lld %8.1f%% "
				       "%12lld %12s %10.1f\n",
				       offered, tools[k].name, tools[k].label,
				       (unsigned long long)run->sent,
				       run->captured,
				       run->sent ?
					       100.0 * (double)run->captured /
						       (double)run->sent :
					       0,
				       run->drop_kernel, dh,
				       (double)run->bytes / 1e6);
			}
		}
	if (json)
		fprintf(json, "\n  ]}");
	if (cfg->plot_dir)
		plot_capture(cfg, runs);
	printf("\ncaptured: what the tool's summary says it wrote (frames "
	       "of hsk0, the source's\nand any other); drops as the tool "
	       "counts them; one row per rep\n(%.0f s)\n",
	       now() - t_start);
	free(runs);
	return status;
}
