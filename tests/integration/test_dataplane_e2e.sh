#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of msw-dataplane: MSRP participants over Linux TCP (tests/integration/
# msrp_peer.py) in a network namespace this script creates and deletes, conferences
# programmed with mswctl. The scenarios are in test_dataplane_e2e.py, which runs inside
# the namespace and starts the data plane itself. Prints TAP.
#   MSW_E2E_ONLY      comma list of scenarios to run (a,w,c,f,b,d,g,h,i,e; default all)
#   MSW_E2E_BIG_MIB   size of the big transfer of scenario b (default 20)
#   MSW_E2E_DATAPLANE, MSW_E2E_MSWCTL  other binaries than the build directory's
#   MSW_E2E_KEEP      set: keep the temporary directory (config, data-plane log, capture)
#   MSW_E2E_WORKERS   data-plane workers (default 1; 2 runs two lcores with software flow
#                     steering over the tap); the first argument overrides it
set -u
build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
src=${MSW_SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
dp_bin=${MSW_E2E_DATAPLANE:-$build/dataplane/msw-dataplane}
ctl_bin=${MSW_E2E_MSWCTL:-$build/dataplane/mswctl/mswctl}
ns=msw-e2e-$$
tap=mswe$$
instance=e2e$$
tmp=

if [ "$(id -u)" != 0 ] || [ ! -e /dev/net/tun ] || ! command -v ip >/dev/null; then
	echo "1..0 # SKIP needs root, /dev/net/tun and ip(8)"
	exit 0
fi
for b in "$dp_bin" "$ctl_bin"; do
	if [ ! -x "$b" ]; then
		echo "1..0 # SKIP $b not built"
		exit 0
	fi
done

cleanup() {
	if [ -n "$tmp" ] && [ -f "$tmp/dp.pid" ]; then
		# The driver stops the data plane; this only catches a driver that died first.
		pid=$(cat "$tmp/dp.pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	ip netns del "$ns" 2>/dev/null
	rm -f "/dev/shm/msw.$instance"
	if [ -n "${MSW_E2E_KEEP:-}" ]; then
		[ -n "$tmp" ] && echo "# kept $tmp"
	else
		[ -n "$tmp" ] && rm -rf "$tmp"
	fi
}
trap cleanup EXIT

tmp=$(mktemp -d /tmp/msw-e2e.XXXXXX)
ip netns add "$ns" || { echo "1..0 # SKIP cannot create a network namespace"; exit 0; }

ip netns exec "$ns" python3 "$src/tests/integration/test_dataplane_e2e.py" \
	--dataplane "$dp_bin" --mswctl "$ctl_bin" --tap "$tap" --instance "$instance" \
	--tmp "$tmp" --src "$src" --only "${MSW_E2E_ONLY:-}" --workers "${1:-${MSW_E2E_WORKERS:-1}}"
rc=$?
if [ $rc != 0 ] && [ -f "$tmp/dp.log" ]; then
	echo "# last lines of the data plane's log:"
	tail -20 "$tmp/dp.log" | sed 's/^/# /'
fi
exit $rc
