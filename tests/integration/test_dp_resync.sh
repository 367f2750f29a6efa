#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Control-channel resync against a real msw-dataplane (docs/dataplane.md, docs/ctl-abi.md):
# a control-plane client crashes and its successor resyncs (what it does not replay is
# deleted from the engine); then the data plane restarts while a client stays attached: the
# channel reports the new generation and the replay recreates the leg with its session-id.
# Usage: test_dp_resync.sh CLIENT_BINARY. Prints TAP.
set -u
client=$1
build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
dp=$build/dataplane/msw-dataplane
ns=msw-rs-$$
tap=mswr$$
inst=rs$$
tmp=$(mktemp -d)
pid=
n=0
fails=0

if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ] || [ ! -x "$dp" ]; then
	echo "1..0 # SKIP needs root, /dev/net/tun and $dp"
	exit 0
fi

cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "/dev/shm/msw.$inst"
	rm -rf "$tmp"
}
trap cleanup EXIT

emit() { # renumbers the client's "ok - x" / "not ok - x" lines
	case $1 in
	"ok - "*) n=$((n + 1)); echo "ok $n - ${1#ok - }" ;;
	"not ok - "*) n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - ${1#not ok - }" ;;
	*) echo "$1" ;;
	esac
}
run_client() { # phase
	local l
	while IFS= read -r l; do emit "$l"; done < <("$client" "$inst" "$tmp/state" "$1")
}
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

cat >"$tmp/dp.conf" <<CONF
instance = "$inst";
eal = { args = ["-m", "256", "--no-pci", "--vdev=net_tap0,iface=$tap"]; lcores = "0"; hugepages = "off"; };
dataplane = { idle_sleep_us = 200; ports = ({ name = "tap0"; driver = "tap"; iface = "$tap"; ipv4 = "10.81.0.2/24"; }); };
tcp = { mbufs_per_lcore = 4096; };
CONF

start_dp() {
	ip netns exec "$ns" "$dp" --config "$tmp/dp.conf" >>"$tmp/dp.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'generation' "$tmp/dp.log" 2>/dev/null && [ "$(grep -c generation "$tmp/dp.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
stop_dp() {
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	pid=
	return $rc
}

ip netns add "$ns"
if start_dp 1; then ok "data plane started"; else notok "data plane start: $(tail -3 "$tmp/dp.log")"; fi
run_client setup
run_client restart
# A client that stays attached while the data plane restarts.
mkfifo "$tmp/fifo"
"$client" "$inst" "$tmp/state" survive >"$tmp/fifo" &
cpid=$!
exec 3<"$tmp/fifo"
while IFS= read -r l <&3; do
	emit "$l"
	[ "$l" = "# ready" ] && break
done
if stop_dp; then ok "SIGTERM: data plane exit 0"; else notok "SIGTERM: data plane exit status $?"; fi
if start_dp 2; then ok "data plane restarted"; else notok "restart: $(tail -3 "$tmp/dp.log")"; fi
while IFS= read -r l <&3; do emit "$l"; done
wait "$cpid" || true
exec 3<&-
echo "1..$n"
[ $fails = 0 ]
