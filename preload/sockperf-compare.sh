#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# preload/sockperf-compare.sh - Debian's sockperf, unmodified, on the kernel
# and on each hotsock backend through libhotsock-preload.so: UDP ping-pong
# latency percentiles and throughput message rate, side by side.
#
#   sudo preload/sockperf-compare.sh [-b BUILD] [-t SECONDS] [-m BYTES]
#                                    [-B "kernel af_xdp"] [-j FILE]
#
#   -b BUILD    build directory with preload/libhotsock-preload.so and
#               preload/hotsock-stat (default: build)
#   -t SECONDS  each sockperf run (default 5)
#   -m BYTES    message size (default 64)
#   -B LIST     hotsock backends to run under the preload (default:
#               "kernel af_xdp"; add dpdk where it is built: its row runs
#               last, on net_af_packet vdevs over the veth ends, whose
#               addresses the kernel gives up for it)
#   -j FILE     also write the results as JSON
#
# Two network namespaces joined by a veth pair, 198.18.0.1 and 198.18.0.2,
# made for the run and removed after it. The server runs in one, the client
# in the other, both under the preload (or neither, for the "kernel" row
# without it). The received rate is the server's own count (hotsock-stat),
# so a sender that outruns the receiver shows. One run at a time: the
# figures are only as quiet as the machine.
set -euo pipefail

build=build
secs=5
size=64
backends="kernel af_xdp"
json=

while getopts "b:t:m:B:j:h" opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) secs=$OPTARG ;;
	m) size=$OPTARG ;;
	B) backends=$OPTARG ;;
	j) json=$OPTARG ;;
	*)
		sed -n '/^# preload/,/^set -e/p' "$0" | sed '$d;s/^# \{0,1\}//'
		exit 2
		;;
	esac
done

preload=$(realpath "$build/preload/libhotsock-preload.so")
stat=$(realpath "$build/preload/hotsock-stat")
command -v sockperf >/dev/null || {
	echo "sockperf-compare: sockperf not found (bash .ci/deps)" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || {
	echo "sockperf-compare: run as root (network namespaces)" >&2
	exit 1
}

a=hskpl-$$-a
b=hskpl-$$-b
work=$(mktemp -d)
server=

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add hsk0 type veth peer name hsk1 netns "$b"
ip -n "$a" addr add 198.18.0.1/24 dev hsk0
ip -n "$b" addr add 198.18.0.2/24 dev hsk1
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
done
ip -n "$a" link set hsk0 up
ip -n "$b" link set hsk1 up

# The veth end and address of namespace $1.
if_of() { [ "$1" = "$a" ] && echo hsk0 || echo hsk1; }
ip_of() { [ "$1" = "$a" ] && echo 198.18.0.1 || echo 198.18.0.2; }

# Becomes "$@" in namespace $1 with the environment of backend $2 ("none":
# no preload): call it in a subshell. ip netns exec remounts /sys: libxdp
# wants bpffs there again.
in_ns() {
	local ns=$1 be=$2
	shift 2
	if [ "$be" = none ]; then
		exec ip netns exec "$ns" "$@"
	fi
	exec ip netns exec "$ns" env \
		HOTSOCK_DPDK_ARGS="--vdev=net_af_packet0,iface=$(if_of "$ns")" \
		HOTSOCK_DPDK_IP="$(ip_of "$ns")/24" \
		LD_PRELOAD="$preload" HOTSOCK_BACKEND="$be" \
		HOTSOCK_LOG_LEVEL=1 HOTSOCK_STAT_DIR="$work" \
		sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf; exec "$@"' \
		sh "$@"
}

# A port DPDK owns: the kernel gives up its addresses there.
give_ports_to_dpdk() {
	for ns in "$a" "$b"; do
		ip -n "$ns" addr flush dev "$(if_of "$ns")"
		ip netns exec "$ns" sysctl -qw \
			net.ipv6.conf."$(if_of "$ns")".disable_ipv6=1
	done
}


start_server() {
	(in_ns "$b" "$1" sockperf server -i 198.18.0.2 -p 11111 \
		>"$work/server.log" 2>&1) &
	server=$!
	sleep 3 # sockperf has no ready signal; its bind (and an EAL) come first
}

stop_server() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=
}

# The server's received datagrams so far (0 without the preload).
server_rx() {
	HOTSOCK_STAT_DIR=$work "$stat" "$server" 2>/dev/null |
		sed -n 's/.* rx_packets=\([0-9]*\).*/\1/p' | head -1 || true
}

pct() { sed -n "s/.*percentile $1 = *\([0-9.]*\).*/\1/p" "$2"; }

rows=()
# dpdk last: it takes the ports from the kernel.
order="none $(echo $backends | tr ' ' '\n' | grep -vx dpdk | tr '\n' ' ')"
echo " $backends " | grep -q ' dpdk ' && order="$order dpdk"
for be in $order; do
	[ "$be" = dpdk ] && give_ports_to_dpdk
	label=$([ "$be" = none ] && echo "kernel, no preload" ||
		echo "preload $be")
	start_server "$be"
	(in_ns "$a" "$be" sockperf ping-pong -i 198.18.0.2 -p 11111 \
		-t "$secs" --msg-size "$size" >"$work/pp.log" 2>&1)
	rx0=$(server_rx)
	(in_ns "$a" "$be" sockperf throughput -i 198.18.0.2 -p 11111 \
		-t "$secs" --msg-size "$size" --mps=max >"$work/tp.log" 2>&1)
	rx1=$(server_rx)
	stop_server
	p50=$(pct 50.000 "$work/pp.log")
	p99=$(pct 99.000 "$work/pp.log")
	p999=$(pct 99.900 "$work/pp.log")
	max=$(sed -n 's/.*<MAX> observation = *\([0-9.]*\).*/\1/p' "$work/pp.log")
	sent=$(sed -n 's/.*Message Rate is \([0-9]*\).*/\1/p' "$work/tp.log")
	recv=-
	if [ -n "$rx0" ] && [ -n "$rx1" ]; then
		recv=$(((rx1 - rx0) / secs))
	fi
	rows+=("$label|$be|${p50:-?}|${p99:-?}|${p999:-?}|${max:-?}|${sent:-?}|$recv")
done

printf 'sockperf UDP, %s-byte messages, %s s per run, veth between two namespaces\n' \
	"$size" "$secs"
printf '%-22s %9s %9s %9s %10s %14s %14s\n' path "p50 us" "p99 us" \
	"p99.9 us" "max us" "sent msg/s" "recv msg/s"
for r in "${rows[@]}"; do
	IFS='|' read -r label be p50 p99 p999 max sent recv <<<"$r"
	printf '%-22s %9s %9s %9s %10s %14s %14s\n' "$label" "$p50" "$p99" \
		"$p999" "$max" "$sent" "$recv"
done

if [ -n "$json" ]; then
	{
		printf '{"msg_size": %s, "seconds": %s, "runs": [' "$size" "$secs"
		sep=
		for r in "${rows[@]}"; do
			IFS='|' read -r label be p50 p99 p999 max sent recv <<<"$r"
			printf '%s{"path": "%s", "backend": "%s", "p50_us": "%s", "p99_us": "%s", "p999_us": "%s", "max_us": "%s", "sent_msg_s": "%s", "recv_msg_s": "%s"}' \
				"$sep" "$label" "$be" "$p50" "$p99" "$p999" \
				"$max" "$sent" "$recv"
			sep=", "
		done
		printf ']}\n'
	} >"$json"
fi
