/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tool_test.h - what the tools' end-to-end suites share: running a built
 * tool (fork/exec, by PID, bounded in time) in the local or the peer
 * namespace, and reading its --json report.
 *
 * Define TOOL_BIN_VAR (the environment variable naming the binary, set by
 * meson) before including it.
 */
#ifndef HSK_TOOL_TEST_H
#define HSK_TOOL_TEST_H

#include "hsk_test.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- running the tool ------------------------------------------------ */

struct child {
	pid_t pid;
	int out, err; /* memfds holding its stdout and stderr */
	int status;
};

/* The binary under test, named by the environment variable @var. */
static inline const char *tool_bin(const char *var)
{
	const char *p = getenv(var);

	cr_assert(p && *p, "%s is not set: run through meson test", var);
	return p;
}

/*
 * Start @argv in the local or the peer namespace; argv[0] is replaced by
 * the binary $TOOL_BIN_VAR names. Its stdout and stderr go to memfds.
 */
static inline void child_start(struct child *ch, bool in_peer,
			       const char **argv)
{
	memset(ch, 0, sizeof(*ch));
	ch->out = memfd_create("tool-out", MFD_CLOEXEC);
	ch->err = memfd_create("tool-err", MFD_CLOEXEC);
	cr_assert(ch->out >= 0 && ch->err >= 0, "memfd_create: %s",
		  strerror(errno));
	argv[0] = tool_bin(TOOL_BIN_VAR);
	ch->pid = fork();
	cr_assert_geq(ch->pid, 0, "fork: %s", strerror(errno));
	if (ch->pid == 0) {
		/* Never outlive the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (in_peer && setns(tst_topo.ns_peer, CLONE_NEWNET))
			_exit(126);
		if (dup2(ch->out, STDOUT_FILENO) < 0 ||
		    dup2(ch->err, STDERR_FILENO) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

/* All a memfd holds, NUL-terminated (the caller frees it). */
static inline char *slurp(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	cr_assert_geq(len, 0, "lseek: %s", strerror(errno));
	buf = calloc(1, (size_t)len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(pread(fd, buf, (size_t)len, 0), len);
	return buf;
}

/* Wait at most @secs for the child; kill it (by PID) when it overstays. */
static inline bool child_wait(struct child *ch, double secs)
{
	double deadline = tst_now() + secs;
	pid_t r;

	while ((r = waitpid(ch->pid, &ch->status, WNOHANG)) == 0) {
		if (tst_now() > deadline) {
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, &ch->status, 0);
			ch->pid = 0;
			return false;
		}
		tst_sleep_ms(5);
	}
	cr_assert_eq(r, ch->pid, "waitpid: %s", strerror(errno));
	ch->pid = 0;
	return true;
}

/* Whether the child has ended (reaped then), without waiting. */
static inline bool child_exited(struct child *ch)
{
	pid_t r;

	if (ch->pid <= 0)
		return true;
	r = waitpid(ch->pid, &ch->status, WNOHANG);
	cr_assert_geq(r, 0, "waitpid: %s", strerror(errno));
	if (r == 0)
		return false;
	ch->pid = 0;
	return true;
}

/* A sanitizer build's report in a tool's stderr fails the test. */
static inline void assert_no_sanitizer_report(const char *err)
{
	cr_assert(!strstr(err, "runtime error:") && !strstr(err, "Sanitizer"),
		  "sanitizer report:\n%s", err);
}

/* Wait for exit status @want; show its stderr if it is not. */
static inline void child_expect_exit(struct child *ch, double secs, int want,
				     const char *what)
{
	bool exited = child_wait(ch, secs);
	char *err = slurp(ch->err);

	cr_assert(exited, "%s did not end within %.0f s; stderr:\n%s", what,
		  secs, err);
	cr_assert(WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == want,
		  "%s: status 0x%x, expected exit %d; stderr:\n%s", what,
		  ch->status, want, err);
	assert_no_sanitizer_report(err);
	free(err);
}

static inline void child_close(struct child *ch)
{
	if (ch->pid > 0) {
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, &ch->status, 0);
		ch->pid = 0;
	}
	close(ch->out);
	close(ch->err);
}

/* ---- a small JSON reader for the reports ----------------------------- */

static inline const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* Past one value, or NULL when it is not valid JSON. */
static inline const char *js_skip(const char *p)
{
	p = js_ws(p);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p == '"' ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (*js_ws(p) != '"')
					return NULL;
				p = js_skip(p);
				if (!p || *(p = js_ws(p)) != ':')
					return NULL;
				p++;
			}
			p = js_skip(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		(void)strtod(p, &end);
		return end;
	}
	return NULL;
}

/* The value at @path ("gaps.list.0.1": members and array indexes). */
static inline const char *js_path(const char *doc, const char *path)
{
	const char *p = js_ws(doc);
	char key[64];

	while (*path) {
		size_t n = strcspn(path, ".");

		cr_assert_lt(n, sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		path += n + (path[n] == '.');
		if (*p == '[') {
			long i, want = strtol(key, NULL, 10);

			p = js_ws(p + 1);
			for (i = 0; i < want && p && *p != ']'; i++) {
				p = js_skip(p);
				p = p ? js_ws(p) : NULL;
				if (p && *p == ',')
					p = js_ws(p + 1);
			}
			if (!p || *p == ']')
				return NULL;
		} else if (*p == '{') {
			bool found = false;

			p = js_ws(p + 1);
			while (p && *p == '"') {
				const char *k = p + 1;

				p = js_skip(p);
				if (!p)
					return NULL;
				found = (size_t)(p - 1 - k) == n &&
					!strncmp(k, key, n);
				p = js_ws(js_ws(p) + 1); /* past ':' */
				if (found)
					break;
				p = js_skip(p);
				p = p ? js_ws(p) : NULL;
				if (p && *p == ',')
					p = js_ws(p + 1);
			}
			if (!found)
				return NULL;
		} else {
			return NULL;
		}
	}
	return p;
}

static inline uint64_t js_u64(const char *doc, const char *path)
{
	const char *p = js_path(doc, path);
	char *end;
	unsigned long long v;

	cr_assert_not_null(p, "no %s in the report:\n%s", path, doc);
	cr_assert(*p >= '0' && *p <= '9', "%s is not a count in:\n%s", path,
		  doc);
	v = strtoull(p, &end, 10);
	return v;
}

static inline void js_assert_valid(const char *doc)
{
	const char *end = js_skip(doc);

	cr_assert(end && !*js_ws(end), "the report is not valid JSON:\n%s",
		  doc);
}

/* The string at @path, copied into @buf (asserted to be a string). */
static inline const char *js_str(const char *doc, const char *path, char *buf,
				 size_t len)
{
	const char *p = js_path(doc, path);
	size_t n;

	cr_assert(p && *p == '"', "no string %s in:\n%s", path, doc);
	n = strcspn(p + 1, "\"");
	cr_assert_lt(n, len);
	memcpy(buf, p + 1, n);
	buf[n] = '\0';
	return buf;
}

/* The report names the backend the environment asked for, if any. */
static inline void js_assert_backend(const char *doc)
{
	const char *want = tst_expected_backend();
	char got[32];

	js_str(doc, "backend", got, sizeof(got));
	if (want)
		cr_assert_str_eq(got, want, "backend %s, expected %s", got,
				 want);
}

#endif /* HSK_TOOL_TEST_H */
