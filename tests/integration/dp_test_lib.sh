# SPDX-License-Identifier: BSD-3-Clause
# Shared by the msw-dataplane integration scripts (sourced, not run): a network namespace,
# a tap name and an instance of their own, TAP counters, a config writer and cleanup.
#   dp_test_init TAG SUBNET [REQUIRED_BINARY...]   e.g. dp_test_init ops 10.82.0 "$mswctl"
# sets build, dp, ns, tap, inst, tmp, net; prints a SKIP plan and exits when not root, no
# /dev/net/tun, or a binary is missing. The data plane's address is $net.2, ours $net.1.
dp_test_init() {
	local tag=$1 b
	net=$2
	shift 2
	build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
	dp=$build/dataplane/msw-dataplane
	ns=msw-$tag-$$
	tap=msw${tag:0:1}$$
	inst=$tag$$
	pid=
	n=0
	fails=0
	if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ]; then
		echo "1..0 # SKIP needs root and /dev/net/tun"
		exit 0
	fi
	for b in "$dp" "$@"; do
		if [ ! -x "$b" ]; then
			echo "1..0 # SKIP $b not built"
			exit 0
		fi
	done
	tmp=$(mktemp -d)
	trap dp_test_cleanup EXIT
	ip netns add "$ns"
}

dp_test_cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "/dev/shm/msw.$inst"
	rm -rf "$tmp"
}

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

# dp_write_conf [EXTRA LINES]: one worker, one tap port at $net.2/24, small pools.
dp_write_conf() {
	cat >"$tmp/dp.conf" <<CONF
instance = "$inst";
eal = { args = ["-m", "256", "--no-pci", "--vdev=net_tap0,iface=$tap"]; lcores = "0"; hugepages = "off"; };
dataplane = { idle_sleep_us = 200; ports = ({ name = "tap0"; driver = "tap"; iface = "$tap"; ipv4 = "$net.2/24"; }); };
tcp = { mbufs_per_lcore = 4096; };
${1:-}
CONF
}

# dp_start: starts the data plane in the namespace (log appended to $tmp/dp.log), waits
# until its control channel answers a PING-free probe (the log line naming its generation
# appears one more time than before). Returns 1 on timeout.
dp_start() {
	local before
	before=$(grep -c generation "$tmp/dp.log" 2>/dev/null)
	ip netns exec "$ns" "$dp" --config "$tmp/dp.conf" >>"$tmp/dp.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c generation "$tmp/dp.log" 2>/dev/null)" -gt "${before:-0}" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# dp_stop: SIGTERM, returns the data plane's exit status.
dp_stop() {
	local rc
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

# dp_link_up: the kernel side of the tap ($net.1/24) and lo in the namespace.
dp_link_up() {
	ip -n "$ns" addr add "$net.1/24" dev "$tap"
	ip -n "$ns" link set "$tap" up
	ip -n "$ns" link set lo up
}
