#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tests/fuzz/run.sh - fuzz hsk_net_parse_udp() with libFuzzer.
#
#   bash tests/fuzz/run.sh [seconds]        (default 60)
#
# Builds tests/fuzz/fuzz_parse_udp.c with lib/net/udp.c under clang's
# libFuzzer, ASan and UBSan (Debian: packages clang-14 and
# libclang-rt-14-dev), writes a seed corpus of frames captured from the
# kernel into a temporary directory, runs the target for the given number
# of seconds and prints the number of executions. Exit status: 0 if the
# time ran out without a finding, non-zero if the build failed or the
# target crashed, leaked, timed out or broke an invariant; the input that
# did it and the log are kept in build/fuzz/.
#
# Environment: CLANG (default clang, else clang-14).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

secs=${1:-60}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [seconds]" >&2
	exit 2
	;;
esac

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz: clang not found (Debian: apt-get install clang-14)" >&2
	exit 2
fi

out=build/fuzz
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/hsk-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"

bin=$work/fuzz_parse_udp
echo "==> $cc: building the fuzz target"
if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
	-Wall -Wextra -Werror -Ilib/net -Itests/support \
	tests/fuzz/fuzz_parse_udp.c lib/net/udp.c -o "$bin"; then
	echo "fuzz: build failed (libFuzzer is in libclang-rt-14-dev)" >&2
	exit 1
fi

# seed NAME HEX...: one frame of the corpus
seed() {
	local name=$1 hex
	shift
	hex=$(printf '%s' "$@")
	printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" >"$corpus/$name"
}

# Frames sent by Linux over a veth pair (198.18.0.1 -> .2, 2001:2::1 -> ::2),
# as in tests/unit/net.c.
seed ipv4-udp \
	02005e00000202005e000001080045b8002d541740002a116fc9c6120001c612 \
	00029c41232900195d30686f74736f636b3a697076343a6f646421
seed ipv6-udp \
	02005e00000202005e00000186dd6b82a9bc001b112a20010002000000000000 \
	000000000001200100020000000000000000000000029c42232a001b292f686f \
	74736f636b3a697076363a6576656e2121
seed ipv4-udp-vlan \
	02005e00000202005e00000181002005080045b8002d541740002a116fc9c612 \
	0001c61200029c41232900195d30686f74736f636b3a697076343a6f646421
seed ipv4-nocsum \
	02005e00000202005e00000108004500002a541b400040115a80c6120001c612 \
	00029c43232b00160000686f74736f636b3a6e6f6373756d
seed ipv6-nocsum \
	02005e00000202005e00000186dd600991df0016114020010002000000000000 \
	000000000001200100020000000000000000000000029c44232c00160000686f \
	74736f636b3a6e6f6373756d
seed ipv4-options \
	02005e00000202005e00000108004600002a542440004011c572c6120001c612 \
	0002940400009c45232d00128a4d686f74736f636b3a7261
seed ipv4-frag \
	02005e00000202005e00000108004500005c1f3c20004011af2cc6120001c612 \
	00039c46232e00d84ad14142434445464748494a4b4c4d4e4f50515253545556 \
	5758595a4142434445464748494a4b4c4d4e4f505152535455565758595a4142 \
	434445464748494a4b4c
seed ipv6-hbh \
	02005e00000202005e00000186dd6003c0ef001b004020010002000000000000 \
	0000000000012001000200000000000000000000000211000104000000009c47 \
	232f00137865686f74736f636b3a686268
seed ipv6-frag \
	02005e00000202005e00000186dd600167b500442c4020010002000000000000 \
	00000000000120010002000000000000000000000002110005a86fbcdfbc4b4c \
	4d4e4f505152535455565758595a4142434445464748494a4b4c4d4e4f505152 \
	535455565758595a4142434445464748494a4b4c4d4e4f505152
seed arp \
	ffffffffffff02005e0000010806000108000604000102005e000001c6120001 \
	000000000000c6120002
seed tcp \
	02005e00000202005e00000108004500003cf79b40004006b6f8c6120001c612 \
	00029c4923315534efc200000000a002faf0b6e70000020405b40402080a4fd5 \
	b5b5000000000103030a
seed ipv6-offload-csum \
	02005e00000202005e00000186dd6003c8ab0017114020010002000000000000 \
	000000000001200100020000000000000000000000029c4b233300174031686f \
	74736f636b3a7061727469616c

cat >"$work/dict" <<'EOF'
eth_ipv4="\x08\x00"
eth_ipv6="\x86\xdd"
eth_vlan="\x81\x00"
eth_qinq="\x88\xa8"
ip4_ver_ihl="\x45"
ip6_ver="\x60"
proto_udp="\x11"
frag_df="\x40\x00"
frag_mf="\x20\x00"
csum_ones="\xff\xff"
EOF

log=$out/fuzz_parse_udp.log
echo "==> fuzzing for ${secs}s ($(ls "$corpus" | wc -l) seeds; log: $log)"
rc=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$bin" -max_total_time="$secs" -timeout=10 -max_len=4096 \
	-use_value_profile=1 -print_final_stats=1 -dict="$work/dict" \
	-artifact_prefix="$out/" "$corpus" >"$log" 2>&1 || rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ -z "$execs" ]; then
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
fi
if [ "$rc" -ne 0 ]; then
	echo "fuzz: FAILED (exit $rc) after ${execs:-?} executions; from $log:"
	# the report: from the first error line, with its stack
	awk '/ERROR:|invariant failed|runtime error|leak/ { p = 1 }
		p && n++ < 30' "$log" | sed 's/^/    | /'
	grep -E '^SUMMARY:' "$log" | sed 's/^/    | /' || true
	ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* \
		2>/dev/null | sed 's/^/    input: /' || true
	exit "$rc"
fi
echo "fuzz: ${execs:-?} executions in ${secs}s, 0 crashes," \
	"corpus $(ls "$corpus" | wc -l) inputs"
