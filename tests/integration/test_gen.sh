#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# msw-gen (bench/gen, docs/benchmarking.md) against a real msw-dataplane on a tap in a network
# namespace: legs set up over the control channel, 3 conferences x 3 legs for 2 s (scenario
# bench/scenarios/smoke.conf pointed at this namespace); the JSON summary must show every
# expected copy delivered exactly once, in order, intact, every report asked for received,
# and a broken scenario must fail with FILE:LINE. Usage: test_gen.sh MSW_GEN. Prints TAP.
set -u
gen=$1
. "$(dirname "$0")/dp_test_lib.sh"
dp_test_init gen 10.86.0 "$gen"
# The data plane's EAL runtime directory (file prefix msw-<instance>) goes too.
trap 'dp_test_cleanup; rm -rf "/var/run/dpdk/msw-$inst"' EXIT
src=${MSW_SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
echo "1..8"

# 1. Broken scenarios: exit 2, FILE:LINE: KEY on stderr, nothing started.
printf 'conferences = 2;\nwindow = 4;\nlegz = 3;\n' >"$tmp/bad.conf"
out=$("$gen" "$tmp/bad.conf" 2>&1 >/dev/null)
rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "^msw-gen: $tmp/bad.conf:3: legz: unknown key"; then
	ok "broken scenario: exit 2 with FILE:LINE ($out)"
else
	notok "broken scenario: exit $rc: $out"
fi
printf 'window = 4;\n\nsetup = "sip";\n' >"$tmp/sip.conf"
out=$("$gen" --check "$tmp/sip.conf" 2>&1 >/dev/null)
rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q "$tmp/sip.conf:3: sip_focus: required with setup"; then
	ok "setup \"sip\" without sip_focus refused with FILE:LINE"
else
	notok "setup sip: exit $rc: $out"
fi

# 2. The smoke scenario against the data plane.
dp_write_conf
if dp_start; then
	ok "data plane started"
else
	notok "data plane start: $(tail -5 "$tmp/dp.log")"
fi
dp_link_up
sed "s/10\.77\.0\.2/$net.2/" "$src/bench/scenarios/smoke.conf" >"$tmp/smoke.conf"
ip netns exec "$ns" "$gen" --instance "$inst" "$tmp/smoke.conf" >"$tmp/out.json" 2>"$tmp/gen.err"
rc=$?
if [ $rc = 0 ]; then
	ok "msw-gen exit 0"
else
	notok "msw-gen exit $rc: $(tail -5 "$tmp/gen.err")"
fi
sed 's/^/# /' "$tmp/gen.err"
if grep -q "measure .*deliveries .*p99" "$tmp/gen.err"; then
	ok "live progress lines on stderr"
else
	notok "no progress lines: $(head -3 "$tmp/gen.err")"
fi
if python3 - "$tmp/out.json" <<'PY'; then
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
exp = d["deliveries_expected"]
assert d["legs"] == 9 and d["conferences"] == 3, d
assert exp > 0 and d["deliveries"] == exp, (d["deliveries"], exp)
assert exp == 2 * d["msgs_sent"], (exp, d["msgs_sent"])
for k in ("lost", "duplicates", "out_of_order", "corrupt", "misrouted", "aborted",
          "resp_errors", "proto_errors", "conn_errors", "errors"):
    assert d[k] == 0, (k, d[k])
assert d["ok"] is True
assert d["resp_ok"] == d["chunks_sent"], (d["resp_ok"], d["chunks_sent"])
assert d["success_reports"] == d["success_asked"] > 0, (d["success_reports"], d["success_asked"])
assert d["final_reports"] == d["final_asked"] > 0, (d["final_reports"], d["final_asked"])
lat = d["latency"]
assert lat["count"] == d["deliveries_measured"] > 0
assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], lat
assert sum(c for _, c in lat["buckets"]) == lat["count"]
print("# deliveries %d/%d, %.0f deliveries/s, p50 %.1f us, p99 %.1f us, max %.1f us" % (
    d["deliveries"], exp, d["deliveries_per_sec"], lat["p50"], lat["p99"], lat["max"]),
    file=sys.stderr)
PY
	ok "JSON: every expected copy delivered once, in order, intact; reports; histogram"
else
	notok "JSON summary: $(cat "$tmp/out.json")"
fi

# 3. The generator removed its conferences; the data plane stops cleanly.
if dp_stop; then
	ok "data plane exit 0"
else
	notok "data plane exit status: $(tail -5 "$tmp/dp.log")"
fi
if [ $fails = 0 ]; then ok "all checks passed"; else notok "$fails checks failed"; fi
