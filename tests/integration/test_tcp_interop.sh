#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop of msw-tcp-echo (our userspace TCP over net_tap) with the Linux kernel's TCP, in a
# network namespace this test creates and deletes. Prints TAP.
#   $1                   echo lcores (default 1); with 2 it runs -l 0-1: flows steered between
#                        the lcores in software (tap has no RSS), --mbufs per lcore halved
#   MSW_TCP_INTEROP_MIB  bulk size each way (default 100)
#   MSW_TCP_LOOP_CONNS   sequential connections (default 20000)
set -u
lcores=${1:-1}
case $lcores in
1) lcore_list=0 mbufs=65535 ;;
[2-9]) lcore_list=0-$((lcores - 1)) mbufs=$((65536 / lcores)) ;;
*) echo "usage: $0 [lcores 1..9]" >&2; exit 2 ;;
esac
build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
src=${MSW_SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
echo_bin=$build/dataplane/echo/msw-tcp-echo
client="python3 $src/tests/integration/test_tcp_interop_client.py"
mib=${MSW_TCP_INTEROP_MIB:-100}
loop_conns=${MSW_TCP_LOOP_CONNS:-20000}
ns=msw-tcp-$$
tap=mswt$$
n=0
fails=0
tmp=$(mktemp -d)
pid=

if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ] || ! command -v ip >/dev/null; then
	echo "1..0 # SKIP needs root, /dev/net/tun and ip(8)"
	exit 0
fi
if [ ! -x "$echo_bin" ]; then
	echo "1..0 # SKIP $echo_bin not built"
	exit 0
fi

cleanup() {
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { # check "description" command...
	local d=$1; shift
	local out
	out=$("$@" 2>&1 | tail -1)
	if [ "${out%% *}" = OK ]; then ok "$d: ${out#OK }"; else notok "$d: $out"; fi
}
nsx() { ip netns exec "$ns" "$@"; }

# Starts msw-tcp-echo with extra options; the kernel side of the tap gets 10.77.0.1/24.
start_echo() {
	: >"$tmp/out.json"
	# Not through nsx: $! must be the program itself (ip netns exec execs it).
	ip netns exec "$ns" "$echo_bin" --no-huge -m 512 --no-pci \
		--vdev="net_tap0,iface=$tap,mac=02:00:00:00:77:02" -l "$lcore_list" --log-level=error -- \
		--ip 10.77.0.2/24 --port 7 --gateway 10.77.0.1 --idle-us 20 --mbufs "$mbufs" "$@" \
		>>"$tmp/out.json" 2>"$tmp/err.log" &
	pid=$!
	for _ in $(seq 100); do nsx ip link show "$tap" >/dev/null 2>&1 && break; sleep 0.1; done
	nsx ip addr add 10.77.0.1/24 dev "$tap"
	nsx ip link set "$tap" up
	nsx ip link set lo up
	sleep 0.3
}

# Stops it (SIGINT) and checks the JSON it prints; $1 = label.
stop_echo() {
	kill -INT "$pid"
	wait "$pid"
	local rc=$?
	pid=
	if [ $rc = 0 ] && python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
for k in ("conns_open", "conns_time_wait", "mbufs_in_use", "syn_cookies_sent", "segs_rx",
          "segs_tx", "retransmits", "drops"):
    assert k in d, k
assert d["conns_open"] == 0, "conns_open %d" % d["conns_open"]
assert d["lcores"] == int(sys.argv[2]), "lcores %d" % d["lcores"]
' "$tmp/out.json" "$lcores"; then
		ok "$1: exit 0, JSON counters, no connection left open"
	else
		notok "$1: exit $rc, JSON: $(head -c 300 "$tmp/out.json") $(tail -3 "$tmp/err.log")"
	fi
}

# Evaluates a Python expression over d, the last JSON object the program printed.
json() {
	python3 -c "import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(eval(sys.argv[2]))" \
		"$tmp/out.json" "$1" 2>/dev/null
}

ip netns add "$ns" || { echo "1..0 # SKIP cannot create a network namespace"; exit 0; }
echo "1..$((lcores > 1 ? 15 : 14))"

# 1. Clean link.
start_echo --time-wait-ms 1000
check "bulk ${mib} MiB each way, no impairment" nsx $client 10.77.0.2 7 bulk $((mib << 20))
check "1000 concurrent connections" bash -c "ulimit -n 4096; ip netns exec $ns $client 10.77.0.2 7 concurrent 1000"
check "200 parallel connections x 256 KiB each way, sha256 per connection" \
	nsx $client 10.77.0.2 7 parallel 200 262144
kill -USR1 "$pid"; sleep 0.3
base=$(json 'd["mbufs_in_use"]' 2>/dev/null | tail -1)
check "$loop_conns connections opened and closed" nsx $client 10.77.0.2 7 loop "$loop_conns"
check "peer RST mid-transfer" nsx $client 10.77.0.2 7 rst
check "zero-window receiver" nsx $client 10.77.0.2 7 zerowin 4000000
sleep 1.5 # our TIME-WAIT (1 s) and LAST-ACK retransmissions drain
kill -USR1 "$pid"; sleep 0.3
cur=$(json '(d["conns_open"], d["conns_time_wait"], d["mbufs_in_use"], d["tcp"]["conn_reset_rx"], d["tcp"]["zero_window_probes"])')
if [ -n "$cur" ] && [ -n "$base" ] && python3 -c "
o, tw, mb, rst, zwp = $cur
assert o == 0 and tw == 0, 'conns %d/%d' % (o, tw)
assert mb <= $base + 512, 'mbufs %d vs baseline $base' % mb
assert rst >= 1, 'no reset counted'
" 2>"$tmp/py.err"; then
	ok "counters back at baseline (conns 0, mbufs $base -> $(echo "$cur" | cut -d, -f3 | tr -d ' ')), reset counted"
else
	notok "counters after the loop: $cur baseline $base: $(cat "$tmp/py.err" | tail -1)"
fi
if [ "$lcores" -gt 1 ]; then
	# Every lcore owned connections, packets moved between them, none lost on the rings.
	spread=$(json '([l["accepted"] for l in d["per_lcore"]], d["steer"]["handoff_tx"], d["steer"]["handoff_rx"], d["steer"]["handoff_drop"])')
	if [ -n "$spread" ] && python3 -c "
acc, tx, rx, drop = $spread
assert len(acc) == $lcores and min(acc) > 0, 'accepted per lcore %s' % acc
assert tx > 0 and tx == rx and drop == 0, 'hand-off tx %d rx %d drop %d' % (tx, rx, drop)
" 2>"$tmp/py.err"; then
		ok "flows spread over $lcores lcores (accepted $(echo "$spread" | cut -d']' -f1 | tr -d '(['), hand-offs $(echo "$spread" | cut -d, -f$((lcores + 1)) | tr -d ' '), none dropped)"
	else
		notok "steering over $lcores lcores: $spread: $(tail -1 "$tmp/py.err")"
	fi
fi
stop_echo "clean run"

# 2. Impaired link: 2% drop + 1% dup + 2% reorder + 0.1% corrupt, on RX and TX of our port.
start_echo --impair drop=0.02,dup=0.01,reorder=0.02,corrupt=0.001 --seed 1 --rto-min-ms 20 \
	--time-wait-ms 1000
check "bulk ${mib} MiB each way, 2% drop 1% dup 2% reorder 0.1% corrupt" \
	nsx $client 10.77.0.2 7 bulk $((mib << 20))
sleep 1.5
stop_echo "impaired run"
imp=$(json 'sum(d["impair"].values())')
if [ "${imp:-0}" -gt 0 ]; then ok "impairments applied ($imp events)"; else notok "no impairment counted"; fi

# 3. SYN flood from spoofed off-subnet sources while 1000 legitimate connections run.
start_echo --syn-backlog 64 --time-wait-ms 1000
check "SYN flood: >= 99% of 1000 legitimate connections" nsx $client 10.77.0.2 7 synflood 20 1000
stop_echo "flood run"
cookies=$(json 'd["syn_cookies_sent"]')
if [ "${cookies:-0}" -gt 0 ]; then ok "SYN cookies sent during the flood ($cookies)"; else notok "no SYN cookie sent"; fi

exit $((fails > 0))
