#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tally the test runs of tests/run.sh (python3, standard library only).

    tally.py list INTROSPECT_JSON
        Read `meson introspect --tests` output and print one line per test
        for run.sh, fields separated by US (0x1f): name, timeout (s),
        workdir (may be empty), the test's env as shell-quoted K=V words,
        and its command as shell-quoted words.

    tally.py report RESULTS_DIR
        Merge the Criterion --json reports listed in RESULTS_DIR/runs.tsv
        and print a per-executable summary, the failing cases, and as the
        very last line: "tests: N passed, M failed, K skipped".
        Exit status 1 if any case failed or if no test ran (nothing passed
        or failed), else 0.

A case is (meson test name, suite, test). Over the builds that ran it, it
is "failed" if it failed, errored or crashed in any, "skipped" if it was
skipped in any (and failed in none), "passed" only if it passed in every
one. Problems that Criterion's JSON cannot show are counted as failures
of a case named after the executable:
  - no JSON report (the executable crashed, was killed or timed out),
  - a report that cannot be read,
  - a non-zero exit status while the report shows no failure,
  - a sanitizer report in the executable's output (LeakSanitizer reports
    after a test's result is sent, so Criterion still says PASSED).
A build that fails counts as one failed case too.

Criterion's closing "Synthesis" line counts skipped tests as passing, and
its JSON does not escape strings; neither is trusted here.
"""

import json
import os
import re
import shlex
import signal
import sys

# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------


# Field separator of the list: not whitespace, so that `read` keeps empty
# fields.
SEP = "\x1f"


def cmd_list(path):
    with open(path, encoding="utf-8") as f:
        tests = json.load(f)
    for t in tests:
        name = t["name"]
        env = t.get("env") or {}
        assigns = ["%s=%s" % (k, v) for k, v in sorted(env.items())]
        timeout = t.get("timeout") or 0
        workdir = t.get("workdir") or ""
        for field in (name, workdir):
            if SEP in field or "\n" in field:
                sys.exit("tally.py: odd characters in test %r" % name)
        print(SEP.join([name, str(int(timeout)), workdir,
                        shlex.join(assigns), shlex.join(t["cmd"])]))
    return 0


# --------------------------------------------------------------------------
# report: reading Criterion's JSON
# --------------------------------------------------------------------------

STATUS = {"PASSED": "passed", "FAILED": "failed", "ERRORED": "failed",
          "SKIPPED": "skipped"}


def parse_strict(text):
    doc = json.loads(text, strict=False)
    out = []
    for suite in doc.get("test_suites", []):
        for t in suite.get("tests", []):
            out.append((suite["name"], t["name"], t.get("status", "?"),
                        [str(m) for m in t.get("messages", [])]))
    return out


def unquote(s):
    s = s.strip()
    if s.endswith(","):
        s = s[:-1]
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1]
    return s


def parse_lines(text):
    """Criterion 2.4 writes messages unescaped ("a "b" c"), which is not
    JSON. Its layout is fixed, so read it line by line: suite keys are
    indented 6 spaces, test keys 10, message lines 12."""
    out = []
    suite = None
    cur = None
    in_msgs = False
    for line in text.splitlines():
        if in_msgs:
            if re.match(r"^ {10}\]", line):
                in_msgs = False
            elif line.strip():
                cur[3].append(unquote(line))
            continue
        m = re.match(r'^ {6}"name": "(.*)",?\s*$', line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r'^ {10}"name": "(.*)",?\s*$', line)
        if m:
            if suite is None:
                raise ValueError("test before suite")
            cur = [suite, m.group(1), "?", []]
            out.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r'^ {10}"status": "(\w+)"', line)
        if m:
            cur[2] = m.group(1)
            continue
        m = re.match(r"^ {10}\"messages\": \[(.*)\]\s*,?\s*$", line)
        if m:
            if m.group(1).strip():
                cur[3].append(unquote(m.group(1)))
            continue
        if re.match(r'^ {10}"messages": \[\s*$', line):
            in_msgs = True
    if in_msgs:
        raise ValueError("unterminated messages")
    return [tuple(c) for c in out]


def read_report(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if not text.strip():
        raise ValueError("empty report")
    try:
        return parse_strict(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        cases = parse_lines(text)
        if not cases and '"test_suites"' not in text:
            raise ValueError("not a Criterion report")
        return cases


SAN_RE = re.compile(r"(==\d+==\s*ERROR: \w+Sanitizer|"
                    r"^SUMMARY: \w+Sanitizer|: runtime error: )")


def sanitizer_lines(log):
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            hits = [l.rstrip("\n") for l in f if SAN_RE.search(l)]
    except OSError:
        return []
    return hits


def describe_status(rc):
    if rc == 124:
        return "timed out"
    if rc > 128:
        try:
            return "killed by %s" % signal.Signals(rc - 128).name
        except ValueError:
            return "exit status %d" % rc
    return "exit status %d" % rc


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def cmd_report(results):
    runs_path = os.path.join(results, "runs.tsv")
    runs = []
    try:
        with open(runs_path, encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 7:
                    runs.append(fields)
    except OSError as e:
        print("tally.py: cannot read %s: %s" % (runs_path, e))

    # case -> {build: (status, messages)}
    cases = {}
    order = []
    summary = []  # (build, name, passed, failed, skipped, note, secs)

    def add(key, build, status, msgs):
        if key not in cases:
            cases[key] = {}
            order.append(key)
        cases[key][build] = (status, msgs)

    for build, kind, name, rc, secs, report, log in runs:
        rc = int(rc)
        rel = lambda p: os.path.join(results, p) if p else ""
        report, log = rel(report), rel(log)
        if kind == "build":
            if rc != 0:
                add(("build", build, "compile"), build, "failed",
                    ["build %s failed (%s), see %s" % (build, name, log)])
                summary.append((build, "(build)", 0, 1, 0, "FAILED", secs))
            continue

        counts = {"passed": 0, "failed": 0, "skipped": 0}
        notes = []
        parsed = None
        if report and os.path.exists(report):
            try:
                parsed = read_report(report)
            except (OSError, ValueError) as e:
                notes.append("unreadable JSON report (%s)" % e)
                add((name, name, "(unreadable report)"), build, "failed",
                    ["%s; %s; see %s" % (notes[-1], describe_status(rc),
                                        log)])
                counts["failed"] += 1
        elif kind == "test":
            notes.append("no JSON report")
            add((name, name, "(no report)"), build, "failed",
                ["no JSON report (crashed, killed or timed out): %s; see %s"
                 % (describe_status(rc), log)])
            counts["failed"] += 1

        san = sanitizer_lines(log) if log else []

        if parsed is not None:
            for suite, test, status, msgs in parsed:
                st = STATUS.get(status, "failed")
                if status not in STATUS:
                    msgs = ["unknown status %r" % status] + msgs
                if st == "failed" and not msgs:
                    msgs = ["no message; see %s" % log]
                add((name, suite, test), build, st, msgs)
                counts[st] += 1
            # (a sanitizer report explains a non-zero exit by itself)
            if rc != 0 and counts["failed"] == 0 and not san:
                notes.append(describe_status(rc))
                add((name, name, "(exit status)"), build, "failed",
                    ["%s but no case failed; see %s"
                     % (describe_status(rc), log)])
                counts["failed"] += 1

        if san:
            notes.append("sanitizer report")
            add((name, name, "(sanitizer)"), build, "failed",
                san[:6] + ["see %s" % log])
            counts["failed"] += 1

        if rc not in (0, 1) and not notes:
            notes.append(describe_status(rc))
        summary.append((build, name, counts["passed"], counts["failed"],
                        counts["skipped"], ", ".join(notes), secs))

    # Merge over builds.
    verdict = {}
    for key in order:
        sts = [s for s, _ in cases[key].values()]
        if "failed" in sts:
            verdict[key] = "failed"
        elif "skipped" in sts:
            verdict[key] = "skipped"
        else:
            verdict[key] = "passed"

    if summary:
        print()
        print("%-6s %-28s %6s %6s %7s %7s  %s"
              % ("build", "executable", "passed", "failed", "skipped",
                 "secs", "note"))
        for build, name, p, f, s, note, secs in summary:
            print("%-6s %-28s %6d %6d %7d %7s  %s"
                  % (build, name, p, f, s, secs, note))

    skipped = [k for k in order if verdict[k] == "skipped"]
    if skipped:
        print()
        print("skipped cases:")
        for key in skipped:
            builds = [b for b, (st, _) in cases[key].items()
                      if st == "skipped"]
            msgs = cases[key][builds[0]][1]
            why = msgs[0] if msgs else "no reason given"
            print("  %s: %s/%s [%s] %s" % (key[0], key[1], key[2],
                                           ", ".join(builds), why))

    failed = [k for k in order if verdict[k] == "failed"]
    if failed:
        print()
        print("failing cases:")
        for key in failed:
            builds = [b for b, (st, _) in cases[key].items()
                      if st == "failed"]
            print("  %s: %s/%s [%s]" % (key[0], key[1], key[2],
                                        ", ".join(builds)))
            msgs = cases[key][builds[0]][1]
            for m in msgs[:8]:
                print("      %s" % m)

    n = {"passed": 0, "failed": 0, "skipped": 0}
    for key in order:
        n[verdict[key]] += 1
    print()
    if n["passed"] + n["failed"] == 0:
        print("no test ran")
    print("tests: %d passed, %d failed, %d skipped"
          % (n["passed"], n["failed"], n["skipped"]))
    return 1 if n["failed"] or n["passed"] + n["failed"] == 0 else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "list":
        return cmd_list(argv[2])
    if len(argv) == 3 and argv[1] == "report":
        try:
            return cmd_report(argv[2])
        except Exception:  # never end without the tests line
            import traceback
            traceback.print_exc(file=sys.stdout)
            print("tests: 0 passed, 1 failed, 0 skipped")
            return 1
    sys.stderr.write("usage: tally.py list INTROSPECT_JSON\n"
                     "       tally.py report RESULTS_DIR\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
