#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# msw-gen's DPDK engine (bench/gen/gen_dpdk.c: our TCP stack over net_memif) against a real
# msw-dataplane whose port is a memif server: the smoke scenario (3 conferences x 3 legs,
# 2 s, reports) with engine = "dpdk"; the JSON must show every expected copy delivered once,
# in order, intact, and every report. The data plane runs on CPU 0, the generator's lcore on
# CPU 1. Then an open loop on rate_total (30 legs): offered vs carried, responses, set-up
# without lost SYNs. Usage: test_gen_dpdk.sh MSW_GEN. Prints TAP.
set -u
gen=$1
. "$(dirname "$0")/dp_test_lib.sh"
dp_test_init gdpdk 10.88.0 "$gen"
# The data plane's EAL runtime directory (file prefix msw-<instance>) goes too.
trap 'dp_test_cleanup; rm -rf "/var/run/dpdk/msw-$inst"' EXIT
src=${MSW_SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
echo "1..7"

sock=$tmp/dp.memif
cat >"$tmp/dp.conf" <<CONF
instance = "$inst";
eal = { args = ["-m", "256", "--no-pci"]; lcores = "0"; hugepages = "off"; };
dataplane = { idle_sleep_us = 200; ports = ({ name = "m0"; driver = "memif";
	memif_socket = "$sock"; memif_role = "server"; ipv4 = "$net.2/24"; }); };
tcp = { mbufs_per_lcore = 8192; };
CONF
if dp_start; then
	ok "data plane started with a memif server port"
else
	notok "data plane start: $(tail -5 "$tmp/dp.log")"
fi
sed -e "s/10\.77\.0\.2/$net.2/" -e 's/^threads = .*//' "$src/bench/scenarios/smoke.conf" \
	>"$tmp/smoke.conf"
cat >>"$tmp/smoke.conf" <<CONF
engine = "dpdk";
dpdk = { memif_socket = "$sock"; address = "$net.1"; lcore = 1; };
CONF
before=$(ls -d /var/run/dpdk/msw-gen-* 2>/dev/null | sort)
timeout 120 "$gen" --instance "$inst" "$tmp/smoke.conf" >"$tmp/out.json" 2>"$tmp/gen.err"
rc=$?
grep '^msw-gen' "$tmp/gen.err" | sed 's/^/# /'
if [ $rc = 0 ]; then
	ok "msw-gen (engine dpdk) exit 0"
else
	notok "msw-gen exit $rc: $(tail -5 "$tmp/gen.err")"
fi
if python3 - "$tmp/out.json" <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
exp = d["deliveries_expected"]
assert d["engine"] == "dpdk" and d["legs"] == 9, d
assert exp > 0 and d["deliveries"] == exp == 2 * d["msgs_sent"], (d["deliveries"], exp)
for k in ("lost", "duplicates", "out_of_order", "corrupt", "misrouted", "aborted",
          "resp_errors", "proto_errors", "conn_errors", "errors"):
    assert d[k] == 0, (k, d[k])
assert d["resp_ok"] == d["chunks_sent"]
assert d["success_reports"] == d["success_asked"] > 0
assert d["final_reports"] == d["final_asked"] > 0
lat = d["latency"]
assert lat["count"] == d["deliveries_measured"] > 0 and lat["p50"] <= lat["p99"] <= lat["max"]
print("# dpdk engine: %d deliveries, %.0f deliveries/s, p50 %.1f us, p99 %.1f us" % (
    d["deliveries"], d["deliveries_per_sec"], lat["p50"], lat["p99"]))
PY
	ok "JSON: every expected copy delivered once, in order, intact; reports"
else
	notok "JSON summary: $(head -c 800 "$tmp/out.json")"
fi
# Open loop on the rate of all legs (rate_total): 30 legs (more than the 16 packets net
# holds per unresolved address, so a SYN burst before ARP would lose some and wait out the
# 1 s initial RTO), 1000 msgs/s in all (29,000 copies/s: light even for an ASan build); the
# JSON has the offered load, what was carried, the responses and our side of the link.
cat >"$tmp/open.conf" <<CONF
conferences = 1;
legs = 30;
rate_total = 1000;
warmup_ms = 200;
duration_ms = 1000;
drain_ms = 3000;
size = { dist = "fixed"; bytes = 300; };
target = { address = "$net.2"; port = 2855; };
setup = "ctl";
engine = "dpdk";
dpdk = { memif_socket = "$sock"; address = "$net.1"; lcore = 1; };
CONF
timeout 120 "$gen" --quiet --instance "$inst" "$tmp/open.conf" >"$tmp/open.json" 2>"$tmp/open.err"
rc=$?
if [ $rc = 0 ]; then
	ok "msw-gen open loop (rate_total) exit 0"
else
	notok "msw-gen open loop exit $rc: $(tail -5 "$tmp/open.err")"
fi
if python3 - "$tmp/open.json" <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["load"] == "open" and d["rate"] == 0 and d["rate_total"] == 1000, d
assert d["offered_msgs_per_sec"] == 1000.0, d["offered_msgs_per_sec"]
# 1.2 s of sending at 1000/s: about 1200 messages due, every one sent (nothing left behind).
assert 1100 <= d["msgs_offered"] <= 1300, d["msgs_offered"]
assert d["msgs_offered"] == d["msgs_sent"] + d["msgs_backlog"], d
assert d["msgs_backlog"] <= 30, d["msgs_backlog"]
assert d["resp_expected"] == d["chunks_sent"] == d["resp_ok"] and d["responses_missing"] == 0
assert d["deliveries"] == d["deliveries_expected"] == 29 * d["msgs_sent"] and d["errors"] == 0
assert 900 <= d["msgs_per_sec"] <= 1100, d["msgs_per_sec"]
g = d["gen_dpdk"]
assert set(g) >= {"tcp_retransmits", "tcp_rto_expired", "port_tx_full"}, g
# Every leg connected and bound without a lost SYN (ARP resolved before the burst).
assert d["ready_s"] < 0.9, d["ready_s"]
print("# open loop: offered %d, sent %d, %.0f msgs/s carried, ready in %.3f s, gen %s" % (
    d["msgs_offered"], d["msgs_sent"], d["msgs_per_sec"], d["ready_s"], g))
PY
	ok "JSON: offered load carried, every SEND answered, set-up without lost SYNs"
else
	notok "open-loop JSON: $(head -c 800 "$tmp/open.json")"
fi
if dp_stop; then
	ok "data plane exit 0"
else
	notok "data plane exit status: $(tail -5 "$tmp/dp.log")"
fi
after=$(ls -d /var/run/dpdk/msw-gen-* 2>/dev/null | sort)
if [ "$before" = "$after" ]; then
	ok "no DPDK runtime directory left by the generator"
else
	notok "left: $(comm -13 <(echo "$before") <(echo "$after"))"
fi
