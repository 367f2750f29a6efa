#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# msw-gen's RFC 4976 client mode against a real relay: Kamailio's msrp module with
# bench/anchors/kamailio-msrp.cfg on a free loopback port. Both ends are generator legs: each
# AUTHs, then sends to the other through the relay (To-Path = peer's Use-Path, peer's URI).
# The JSON must show every copy delivered once, in order, intact, and the success REPORTs the
# far ends sent back through the relay. Usage: test_gen_kamailio.sh MSW_GEN. Prints TAP.
set -u
gen=$1
src=${MSW_SRC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v kamailio >/dev/null; then
	echo "1..0 # SKIP kamailio not installed (apt-get install kamailio)"
	exit 0
fi
if [ ! -x "$gen" ]; then
	echo "1..0 # SKIP $gen not built"
	exit 0
fi
tmp=$(mktemp -d)
kpid=
cleanup() {
	[ -n "$kpid" ] && kill "$kpid" 2>/dev/null && wait "$kpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
echo "1..5"

# A port nobody listens on (Kamailio exits at once if it cannot bind).
port=
for p in $(shuf -i 20000-60000 -n 20); do
	if ! ss -ltn "sport = :$p" | grep -q LISTEN; then port=$p; break; fi
done
sed "s/127\.0\.0\.1:2856/127.0.0.1:$port/" "$src/bench/anchors/kamailio-msrp.cfg" >"$tmp/kam.cfg"
if kamailio -f "$tmp/kam.cfg" -c >"$tmp/check.log" 2>&1; then
	ok "kamailio -c accepts bench/anchors/kamailio-msrp.cfg"
else
	notok "kamailio -c: $(tail -3 "$tmp/check.log")"
fi
kamailio -f "$tmp/kam.cfg" -DD -E -m 64 -M 8 >"$tmp/kam.log" 2>&1 &
kpid=$!
for _ in $(seq 50); do
	ss -ltn "sport = :$port" | grep -q LISTEN && break
	sleep 0.1
done
if ss -ltn "sport = :$port" | grep -q LISTEN; then
	ok "kamailio listens on 127.0.0.1:$port"
else
	notok "kamailio did not start: $(tail -5 "$tmp/kam.log")"
fi

sed -e "s/port = 2856/port = $port/" -e "s/duration_ms = 5000/duration_ms = 1500/" \
	"$src/bench/scenarios/kamailio_relay.conf" >"$tmp/relay.conf"
# Success reports too: the far leg is the endpoint and sends them back through the relay.
echo 'reports = { success_pct = 20; };' >>"$tmp/relay.conf"
timeout 60 "$gen" "$tmp/relay.conf" >"$tmp/out.json" 2>"$tmp/gen.err"
rc=$?
sed 's/^/# /' "$tmp/gen.err"
if [ $rc = 0 ]; then
	ok "msw-gen relay mode exit 0"
else
	notok "msw-gen exit $rc: $(tail -3 "$tmp/gen.err")"
fi
if python3 - "$tmp/out.json" <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["setup"] == "relay" and d["legs"] == 2
exp = d["deliveries_expected"]
assert exp > 0 and d["deliveries"] == exp == d["msgs_sent"], (d["deliveries"], exp)
for k in ("lost", "duplicates", "out_of_order", "corrupt", "misrouted", "resp_errors",
          "proto_errors", "conn_errors", "errors"):
    assert d[k] == 0, (k, d[k])
assert d["resp_ok"] == d["chunks_sent"]
assert d["success_reports"] == d["success_asked"] == d["reports_tx"] > 0, d
print("# kamailio relay: %.0f msgs/s, p50 %.1f us, p99 %.1f us" % (
    d["deliveries_per_sec"], d["latency"]["p50"], d["latency"]["p99"]))
PY
	ok "JSON: every copy relayed once, in order, intact; success REPORTs through the relay"
else
	notok "JSON summary: $(head -c 600 "$tmp/out.json")"
fi
kill "$kpid"
wait "$kpid"
krc=$?
kpid=
# SIGTERM: Kamailio exits 0 after "Thank you for flying kamailio".
if grep -q "Thank you for flying" "$tmp/kam.log"; then
	ok "kamailio stopped cleanly (exit $krc)"
else
	notok "kamailio: $(tail -3 "$tmp/kam.log")"
fi
