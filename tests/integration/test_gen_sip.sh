#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# msw-gen with setup "sip" (bench/gen/gen_sip.c, docs/benchmarking.md) against the whole
# appliance: msw-dataplane (tap) and msw-controlplane (the conference focus, bound to the
# kernel side of the tap) in a network namespace. Each conference's first leg INVITEs the
# Conference-factory URI, the others the conference URI of its 200; every leg then connects
# to the data plane where the SDP answer says and binds. Checks: 2 conferences x 3 legs over
# UDP, 2 s: every copy delivered once, in order, intact, every INVITE answered 200, every BYE
# 200 and the focus ending each conference's last leg itself (AHG-08); then no conference is
# left in the data plane; a 1:1 run over TCP; a wrong factory user and a dead focus fail with
# exit 2 and the reason. Usage: test_gen_sip.sh MSW_GEN. Prints TAP.
set -u
gen=$1
. "$(dirname "$0")/dp_test_lib.sh"
build=${MSW_BUILD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)/build}
dp_test_init gsip 10.87.0 "$gen" "$build/controlplane/msw-controlplane" \
	"$build/dataplane/mswctl/mswctl"
cp=$build/controlplane/msw-controlplane
mswctl=$build/dataplane/mswctl/mswctl
cppid=
cleanup() {
	[ -n "$cppid" ] && kill -TERM "$cppid" 2>/dev/null && wait "$cppid" 2>/dev/null
	dp_test_cleanup
	rm -rf "/var/run/dpdk/msw-$inst"
}
trap cleanup EXIT
echo "1..13"

ctl() { "$mswctl" --instance "$inst" "$@"; }

# No conference (and so no leg) left in the data plane.
no_conferences() {
	ctl conf list --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["conferences"]
sys.exit(0 if c == [] else 1)'
}

dp_write_conf "controlplane = { sip_address = \"$net.1\"; sip_port = 5060; cdr_path = \"$tmp/cdr.jsonl\"; };"
if dp_start; then
	ok "data plane started"
else
	notok "data plane start: $(tail -5 "$tmp/dp.log")"
fi
dp_link_up
ip netns exec "$ns" "$cp" --config "$tmp/dp.conf" >"$tmp/cp.log" 2>&1 &
cppid=$!
for _ in $(seq 100); do
	ip netns exec "$ns" ss -Hlun "sport = :5060" | grep -q . && break
	sleep 0.1
done
if kill -0 "$cppid" 2>/dev/null && ip netns exec "$ns" ss -Hlun "sport = :5060" | grep -q .; then
	ok "control plane listening on $net.1:5060"
else
	notok "control plane start: $(tail -5 "$tmp/cp.log")"
fi

# scenario NAME TRANSPORT CONFERENCES LEGS [EXTRA]
scenario() {
	cat >"$tmp/$1.conf" <<CONF
conferences = $3;
legs = $4;
duration_ms = 2000;
warmup_ms = 300;
drain_ms = 5000;
window = 4;
size = { dist = "uniform"; min = 100; max = 3000; };
chunk_bytes = 1024;
reports = { success_pct = 10; };
setup = "sip";
sip_focus = "$net.1:5060";
sip_transport = "$2";
setup_rate = 50;
${5:-}
CONF
}

# check_json FILE CONFERENCES LEGS: the run's summary.
check_json() {
	python3 - "$@" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read())
confs, per = int(sys.argv[2]), int(sys.argv[3])
n = confs * per
exp = d["deliveries_expected"]
assert d["setup"] == "sip" and d["legs"] == n and d["conferences"] == confs, d
assert exp > 0 and d["deliveries"] == exp, (d["deliveries"], exp)
assert exp == (per - 1) * d["msgs_sent"], (exp, d["msgs_sent"])
for k in ("lost", "duplicates", "out_of_order", "corrupt", "misrouted", "aborted",
          "resp_errors", "proto_errors", "conn_errors", "errors", "sip_setup_errors",
          "sip_bye_errors", "sip_focus_end_missing"):
    assert d[k] == 0, (k, d[k])
assert d["ok"] is True
assert d["resp_ok"] == d["chunks_sent"], (d["resp_ok"], d["chunks_sent"])
assert d["success_reports"] == d["success_asked"], (d["success_reports"], d["success_asked"])
assert d["sip_invites"] == d["sip_setups"] == n, (d["sip_invites"], d["sip_setups"])
# All but the last leg of each conference BYE; the focus BYEs the last one.
assert d["sip_byes"] == d["sip_bye_ok"] == confs * (per - 1), (d["sip_byes"], d["sip_bye_ok"])
assert d["sip_ended_by_focus"] == confs, d["sip_ended_by_focus"]
assert 0 < d["sip_setup_p50_ms"] <= d["sip_setup_p99_ms"] <= d["sip_setup_max_ms"], d
assert d["sip_setup_s"] > 0 and d["sip_setups_per_sec"] > 0
print("# %d legs set up in %.3f s (p50 %.2f ms, max %.2f ms); deliveries %d/%d, "
      "%.0f deliveries/s, p50 %.1f us, p99 %.1f us; teardown %.3f s" % (
          n, d["sip_setup_s"], d["sip_setup_p50_ms"], d["sip_setup_max_ms"], d["deliveries"],
          exp, d["deliveries_per_sec"], d["latency"]["p50"], d["latency"]["p99"],
          d["sip_teardown_s"]), file=sys.stderr)
PY
}

# 1. 2 conferences x 3 legs over UDP.
scenario udp udp 2 3
ip netns exec "$ns" "$gen" "$tmp/udp.conf" >"$tmp/udp.json" 2>"$tmp/udp.err"
rc=$?
sed 's/^/# /' "$tmp/udp.err"
if [ $rc = 0 ]; then
	ok "2 x 3 legs over SIP/UDP: msw-gen exit 0"
else
	notok "2 x 3 legs over SIP/UDP: exit $rc: $(tail -3 "$tmp/udp.err")"
fi
if check_json "$tmp/udp.json" 2 3; then
	ok "UDP: every copy delivered once, 6 INVITEs 200, 4 BYEs 200, the focus ended the 2 others"
else
	notok "UDP JSON: $(cat "$tmp/udp.json")"
fi
# The focus answers the last BYE before it removes the conference from the data plane.
for _ in $(seq 50); do no_conferences && break; sleep 0.1; done
if no_conferences; then
	ok "no conference left in the data plane (mswctl conf list --json)"
else
	notok "conferences left: $(ctl conf list --json)"
fi

# 2. A 1:1 session over SIP/TCP.
scenario tcp tcp 1 2
ip netns exec "$ns" "$gen" --quiet "$tmp/tcp.conf" >"$tmp/tcp.json" 2>"$tmp/tcp.err"
rc=$?
if [ $rc = 0 ] && check_json "$tmp/tcp.json" 1 2; then
	ok "1 x 2 legs over SIP/TCP: every copy delivered, INVITEs and BYEs 200"
else
	notok "SIP/TCP: exit $rc: $(tail -3 "$tmp/tcp.err") $(cat "$tmp/tcp.json")"
fi
for _ in $(seq 50); do no_conferences && break; sleep 0.1; done
if no_conferences; then
	ok "TCP: no conference left"
else
	notok "TCP: conferences left: $(ctl conf list --json)"
fi

# 3. Refusals: a factory user the focus does not serve, and nobody at the focus address.
scenario badfactory tcp 1 3 'factory_user = "no-such-factory";'
ip netns exec "$ns" "$gen" --quiet "$tmp/badfactory.conf" >"$tmp/bad.json" 2>"$tmp/bad.err"
rc=$?
if [ $rc = 2 ] && python3 - "$tmp/bad.json" <<'PY'; then
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["sip_invites"] == 1 and d["sip_setups"] == 0, d
assert d["sip_setup_errors"] == 3, d["sip_setup_errors"]  # leg 0, and the 2 with no conference
assert "leg 0: INVITE answered 404" in d["sip_first_error"], d["sip_first_error"]
assert "404" in d["error"] and d["ok"] is False, d["error"]
PY
	ok "unknown factory user: exit 2, 404 reported, the other legs not invited ($(tail -1 "$tmp/bad.err"))"
else
	notok "unknown factory user: exit $rc: $(cat "$tmp/bad.err") $(cat "$tmp/bad.json")"
fi
sed "s/$net.1:5060/$net.1:5999/" "$tmp/tcp.conf" >"$tmp/dead.conf"
ip netns exec "$ns" timeout 60 "$gen" --quiet "$tmp/dead.conf" >"$tmp/dead.json" 2>"$tmp/dead.err"
rc=$?
if [ $rc = 2 ] && grep -q '"sip_setup_errors":2' "$tmp/dead.json" &&
	grep -q '"ok":false' "$tmp/dead.json"; then
	ok "nobody at the focus address (TCP): exit 2 ($(tail -1 "$tmp/dead.err"))"
else
	notok "dead focus: exit $rc: $(cat "$tmp/dead.err") $(cat "$tmp/dead.json")"
fi
if no_conferences; then
	ok "after the refusals: no conference left"
else
	notok "after the refusals: $(ctl conf list --json)"
fi

# 4. Both planes stop cleanly.
kill -TERM "$cppid"
wait "$cppid"
rc=$?
cppid=
if [ $rc = 0 ]; then ok "control plane exit 0"; else notok "control plane exit $rc: $(tail -5 "$tmp/cp.log")"; fi
if dp_stop; then
	ok "data plane exit 0"
else
	notok "data plane exit status: $(tail -5 "$tmp/dp.log")"
fi
if [ $fails = 0 ]; then ok "all checks passed"; else notok "$fails checks failed"; fi
