#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# msw-gen traffic "idle" with the DPDK engine from several source addresses (bench/gen,
# docs/benchmarking.md "scale_idle") against msw-dataplane's memif port: 27,000 legs in 270
# conferences of 100, which needs 2 addresses (25,536 legs each); every leg connects, binds
# and is held for 2 s; the data plane's gauges show them all while they are held; afterwards
# no conference is left. Usage: test_gen_idle.sh MSW_GEN. Prints TAP.
set -u
gen=$1
. "$(dirname "$0")/dp_test_lib.sh"
build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
dp_test_init gidle 10.91.0 "$gen" "$build/dataplane/mswctl/mswctl"
trap 'dp_test_cleanup; rm -rf "/var/run/dpdk/msw-$inst"' EXIT
mswctl=$build/dataplane/mswctl/mswctl
echo "1..6"
legs=27000

sock=$tmp/dp.memif
cat >"$tmp/dp.conf" <<CONF
instance = "$inst";
eal = { args = ["-m", "1024", "--no-pci"]; lcores = "0"; hugepages = "off"; };
dataplane = { idle_sleep_us = 0; ports = ({ name = "m0"; driver = "memif";
	memif_socket = "$sock"; memif_role = "server"; ipv4 = "$net.2/16"; }); };
engine = { max_legs = 30000; max_conference_legs = 100; max_conns_per_lcore = 30000; };
tcp = { mbufs_per_lcore = 16384; max_conns_per_lcore = 30000; time_wait_ms = 1000; };
CONF
if dp_start; then
	ok "data plane started with a memif server port"
else
	notok "data plane start: $(tail -5 "$tmp/dp.log")"
fi
cat >"$tmp/idle.conf" <<CONF
conferences = 270;
legs = 100;
traffic = "idle";
warmup_ms = 0;
duration_ms = 2000;
target = { address = "$net.2"; };
engine = "dpdk";
dpdk = { memif_socket = "$sock"; address = "10.91.1.1"; prefix_len = 16; addresses = 2;
	lcore = 1; };
CONF
timeout 200 "$gen" --instance "$inst" "$tmp/idle.conf" >"$tmp/out.json" 2>"$tmp/gen.err" &
gpid=$!
# While the legs are held: the data plane's gauges (mswctl stats) count them.
held=0
for _ in $(seq 1500); do
	kill -0 $gpid 2>/dev/null || break
	held=$("$mswctl" --instance "$inst" stats --json 2>/dev/null | python3 -c '
import json, sys
t = json.load(sys.stdin)["total"]
print(min(t["ctl_g_legs"], t["wk_g_conns"]))' 2>/dev/null || echo 0)
	[ "$held" = $legs ] && break
	sleep 0.1
done
wait $gpid
rc=$?
grep '^msw-gen: [0-9]* legs' "$tmp/gen.err" | sed 's/^/# /'
if [ $rc = 0 ]; then
	ok "msw-gen (idle, 2 addresses) exit 0"
else
	notok "msw-gen exit $rc: $(grep -v EAL "$tmp/gen.err" | tail -5)"
fi
if [ "$held" = $legs ]; then
	ok "data plane held $legs legs and connections at once"
else
	notok "data plane gauges peaked at $held of $legs"
fi
if python3 - "$tmp/out.json" $legs <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["traffic"] == "idle" and d["legs"] == int(sys.argv[2]) and d["engine"] == "dpdk", d
assert d["ok"] is True and d["errors"] == 0 and d["conn_errors"] == 0, d
assert d["msgs_sent"] == 0 and d["deliveries"] == 0 and d["ready_s"] > 0, d
assert d["max_rss_kib"] > 0
print("# %d idle legs bound in %.1f s, generator peak RSS %d MiB" % (
    d["legs"], d["ready_s"], d["max_rss_kib"] >> 10))
PY
	ok "JSON: every leg bound and held, no error"
else
	notok "JSON summary: $(head -c 800 "$tmp/out.json")"
fi
left=$("$mswctl" --instance "$inst" conf list --json | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["conferences"]))')
if [ "$left" = 0 ]; then ok "no conference left"; else notok "$left conferences left"; fi
if dp_stop; then
	ok "data plane exit 0"
else
	notok "data plane exit status: $(tail -5 "$tmp/dp.log")"
fi
