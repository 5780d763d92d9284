#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tests/run.sh - build hotsock three ways and run every test.
#
#   bash tests/run.sh
#
# Run it as root (the namespace tests need CAP_NET_ADMIN and CAP_SYS_ADMIN;
# without them they skip, and the skips are counted and printed).
#
#   build/gcc    gcc, --werror (warning_level=2: -Wall -Wextra); builds
#                everything and runs every test
#   build/clang  clang, --werror; build only
#   build/san    gcc, -Db_sanitize=address,undefined (no --werror); builds
#                everything and runs every test; any sanitizer report
#                (ASan, LSan, UBSan) is a failure
#
# The tests come from `meson introspect --tests`, so a test added to
# tests/meson.build runs here without touching this script. Each (Criterion)
# test executable gets the test's env and `--json=FILE`; tests/tally.py
# merges the reports and prints, as the very last line,
#
#   tests: N passed, M failed, K skipped
#
# and its exit status is this script's. Logs and reports are kept in
# build/test-results/.
#
# Environment: HSK_TEST_BUILDS="gcc clang san" selects the builds.

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
top=$PWD
results=build/test-results
runs=$results/runs.tsv
builds=${HSK_TEST_BUILDS:-gcc clang san}

# LeakSanitizer suppressions. Only leaks of Criterion's own runner process:
# its stack has criterion_run_all_tests(), which a test never has (each
# test runs in a process of its own, started from main()). Criterion 2.4
# leaks there when some tests run; that is not hotsock's memory. Stacks
# need the slow unwinder (fast_unwind_on_malloc=0): libcriterion and the
# -O2 library have no frame pointers, and a leak report with one frame
# helps nobody.
#
# And what DPDK 22.11's net_af_xdp takes from libxdp for a port (its UMEM
# and XSK objects, and the BPF object behind them): the PMD never frees
# them when the port is closed, and a forked child sees them as leaked
# too. Only the dpdk suites open such ports; each stack names the PMD.
lsan_supp=$top/$results/lsan.supp

san_env=(
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:abort_on_error=0:fast_unwind_on_malloc=0
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	LSAN_OPTIONS=suppressions=$lsan_supp:print_suppressions=0
)

# One run at a time per tree: a second one would wipe this one's results
# and rebuild under its feet. It waits (fd 9 is not passed to children).
mkdir -p build
if command -v flock >/dev/null; then
	exec 9>build/.tests-run.lock
	if ! flock -n 9; then
		echo "run.sh: another tests/run.sh runs in this tree; waiting"
		flock 9
	fi
fi

if ! command -v python3 >/dev/null; then
	echo "run.sh: python3 not found (install it: bash .ci/deps)"
	echo "tests: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

rm -rf "$results"
mkdir -p "$results"
: >"$runs"
printf 'leak:criterion_run_all_tests\nleak:librte_net_af_xdp\n' >"$lsan_supp"

child=
on_signal() {
	echo "run.sh: interrupted"
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	echo "tests: 0 passed, 1 failed, 0 skipped"
	exit 130
}
trap on_signal INT TERM

# record BUILD KIND NAME STATUS SECONDS REPORT LOG (paths relative to
# $results; see tests/tally.py)
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$runs"
}

# build NAME CC MESON_OPTION... (options are given in full: a reconfigure
# keeps whatever the last setup of the directory chose)
build() {
	local name=$1 cc=$2
	shift 2
	local dir=build/$name log=$name-build.log
	local start=$SECONDS rc
	echo "==> build/$name: CC=$cc meson setup $* && ninja"
	{
		if [ -f "$dir/meson-private/coredata.dat" ]; then
			CC=$cc meson setup --reconfigure "$dir" "$@"
		else
			rm -rf "$dir"
			CC=$cc meson setup "$dir" "$@"
		fi && ninja -C "$dir"
	} >"$results/$log" 2>&1 </dev/null 9>&-
	rc=$?
	record "$name" build "meson/ninja" "$rc" $((SECONDS - start)) "" "$log"
	if [ "$rc" -ne 0 ]; then
		echo "    FAILED (exit $rc); last lines of $results/$log:"
		tail -n 40 "$results/$log" | sed 's/^/    | /'
		return 1
	fi
	echo "    ok ($((SECONDS - start))s)"
}

# run_tests NAME TIMEOUT_MULTIPLIER ENV...
run_tests() {
	local name=$1 mult=$2
	shift 2
	local dir=build/$name
	local list=$results/$name-tests.tsv
	mkdir -p "$results/$name"
	if ! meson introspect --tests "$dir" >"$results/$name-tests.json" ||
		! python3 tests/tally.py list "$results/$name-tests.json" >"$list"; then
		echo "    cannot list the tests of $dir"
		record "$name" build "meson introspect" 1 0 "" "$name-tests.json"
		return 1
	fi
	echo "==> build/$name: $(wc -l <"$list") test executable(s)"

	local i=0 tname timeout workdir envw argv base start rc secs
	local -a tenv cmd
	while IFS=$'\x1f' read -r tname timeout workdir envw argv; do
		i=$((i + 1))
		base=$name/$(printf '%02d' $i)-${tname//[^A-Za-z0-9._-]/_}
		[ "$timeout" -gt 0 ] 2>/dev/null || timeout=600
		timeout=$((timeout * mult))
		eval "tenv=($envw)"
		eval "cmd=($argv)"
		start=$SECONDS
		(
			cd "${workdir:-$top/$dir}" || exit 126
			# the test's env, then ours (sanitizer options win)
			exec timeout --kill-after=10 "$timeout" \
				env "${tenv[@]}" "$@" "${cmd[@]}" \
				--json="$top/$results/$base.json"
		) >"$results/$base.log" 2>&1 </dev/null 9>&- &
		child=$!
		# (stderr: no "Segmentation fault" job notice; the log has it)
		wait "$child" 2>/dev/null
		rc=$?
		child=
		secs=$((SECONDS - start))
		record "$name" test "$tname" "$rc" "$secs" "$base.json" "$base.log"
		printf '    %-32s exit %3d  %4ss\n' "$tname" "$rc" "$secs"
	done <"$list"
}

for b in $builds; do
	case $b in
	gcc)
		build gcc gcc --werror -Dwarning_level=2 -Db_sanitize=none &&
			run_tests gcc 1 "MALLOC_PERTURB_=$((RANDOM % 255 + 1))"
		;;
	clang)
		build clang clang --werror -Dwarning_level=2 -Db_sanitize=none
		;;
	san)
		# no --werror: build/gcc proves the warnings; the sanitizers
		# make gcc's flow analysis see things it would not otherwise
		build san gcc -Dwerror=false -Dwarning_level=2 \
			-Db_sanitize=address,undefined -Db_lundef=false &&
			run_tests san 3 "${san_env[@]}"
		;;
	*)
		echo "run.sh: unknown build '$b' in HSK_TEST_BUILDS"
		record "$b" build "unknown build" 2 0 "" ""
		;;
	esac
done

trap - INT TERM
python3 tests/tally.py report "$results" 9>&-
