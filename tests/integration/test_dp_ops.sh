#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Operations of a real msw-dataplane (docs/dataplane.md "Operations"): config errors with
# FILE:LINE, a second data plane of the same instance refused, counters through mswctl and
# DPDK telemetry (/msw/*), SIGHUP with an invalid then a valid file, drain until the last leg
# is deleted, SIGTERM. Usage: test_dp_ops.sh MSWCTL. Prints TAP.
set -u
mswctl=$1
. "$(dirname "$0")/dp_test_lib.sh"
dp_test_init ops 10.82.0 "$mswctl"
ctl() { "$mswctl" --instance "$inst" "$@"; }


# 1. An invalid file: FILE:LINE: key: reason, exit 1, nothing started.
dp_write_conf 'engine = { slow_policy = "panic"; };'
out=$(ip netns exec "$ns" "$dp" --config "$tmp/dp.conf" 2>&1)
rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "dp.conf:5: engine.slow_policy"; then
	ok "invalid config: exit 1 with FILE:LINE ($(echo "$out" | tail -1))"
else
	notok "invalid config: exit $rc: $out"
fi

# 2. Start; a second data plane of the same instance is refused.
dp_write_conf
dp_start
if ctl conf list >/dev/null 2>&1; then ok "data plane serves instance $inst"; else notok "start: $(tail -3 "$tmp/dp.log")"; fi
dp_link_up
out=$(ip netns exec "$ns" "$dp" --config "$tmp/dp.conf" --instance "$inst" 2>&1 | tail -1)
if echo "$out" | grep -q "another data plane serves this instance"; then
	ok "second data plane of the instance refused"
else
	notok "second data plane: $out"
fi

# 3. Counters: mswctl stats --json (every module's names, one row per worker + control).
if ctl stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["total"]
for k in ("port_rx_pkts", "tcp_segs_rx", "sw_rx_req", "sw_rx_send", "wk_loops", "wk_lat_lt_1us", "ctl_cmds",
          "tcp_state_listen", "ctl_g_conferences", "ctl_g_legs", "wk_g_bytes_queued"):
    assert k in t, k
assert len(d["lcores"]) == 2, len(d["lcores"])
assert t["wk_loops"] > 0
'; then ok "mswctl stats --json: port/tcp/sw/wk/ctl counters, 2 rows"; else notok "mswctl stats --json"; fi

# 4. Telemetry endpoints.
sock=/var/run/dpdk/msw-$inst/dpdk_telemetry.v2
if python3 - "$sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.recv(1024)
def q(c):
    s.send(c.encode())
    return json.loads(s.recv(1 << 16))[c.split(",")[0]]
st = q("/msw/stats"); l0 = q("/msw/lcore,0"); info = q("/msw/info")
assert st["wk_loops"] > 0 and "sw_rx_req" in st, st
assert "tcp_segs_rx" in l0
assert info["rows"] == 2 and info["counters"] == len(st), info
PY
then ok "telemetry /msw/stats, /msw/lcore,0, /msw/info"; else notok "telemetry ($sock)"; fi

# 5. Active legs (RFC 4975 section 5.4): the data plane dials the path's first hop (or the
# --connect address, RFC 6714) and binds with a bodiless SEND; dial-out gets its path by
# leg set (the SDP answer arrives after LEG_ADD).
peer=$(dirname "$0")/dp_active_peer.py
ctl conf create act >/dev/null
for c in "plain|4100|msrp://10.82.0.1:4100/act1;tcp|" \
	"cema|4101|msrp://relay.invalid:9/act2;tcp|--connect 10.82.0.1:4101" \
	"dialout|4102|msrp://10.82.0.1:4102/act3;tcp|later"; do
	IFS='|' read -r label port path extra <<<"$c"
	uri=
	[ "$extra" = later ] && uri=$(ctl leg add act --identity "sip:$label@example.com" --setup active)
	: >"$tmp/peer.out"
	ip netns exec "$ns" python3 "$peer" 10.82.0.1 "$port" "$path" 8 >"$tmp/peer.out" 2>&1 &
	ppid=$!
	for _ in $(seq 50); do grep -q LISTENING "$tmp/peer.out" && break; sleep 0.1; done
	if [ "$extra" = later ]; then
		ctl leg set act "$uri" --path "$path" >/dev/null
	else
		# shellcheck disable=SC2086
		uri=$(ctl leg add act --identity "sip:$label@example.com" --setup active --path "$path" $extra)
	fi
	for _ in $(seq 100); do grep -qE '^(OK|FAIL)' "$tmp/peer.out" && break; sleep 0.1; done
	out=$(grep -E '^(OK|FAIL)' "$tmp/peer.out" | tail -1)
	state=$(ctl conf list --json | python3 -c '
import json, sys
for c in json.load(sys.stdin)["conferences"]:
    for l in c["legs"]:
        if l["local_uri"] == sys.argv[1]:
            print(l["state"])' "$uri")
	if [ "$out" = "OK $uri" ] && [ "$state" = bound ]; then
		ok "active leg ($label): dialled, bodiless SEND To-Path $path From-Path = its URI, bound"
	else
		notok "active leg ($label): peer '$out', uri $uri, state '$state'"
	fi
	kill $ppid 2>/dev/null
	wait $ppid 2>/dev/null
done
ctl conf delete act >/dev/null

# 5b. LEG_ADD v2 / CONF_CREATE flags through the glue: a conference that forbids anonymity
# refuses an anonymous leg (EPERM); direction, history and accept-wrapped-types reach the engine
# (LEG_LIST shows them), and so do the conference's flags (CONF_LIST).
ctl conf create pol --history --no-anonymous >/dev/null
err=$(ctl leg add pol --identity sip:anon@example.com --path 'msrp://10.82.0.1:4000/an;tcp' \
	--anonymous 2>&1 >/dev/null)
rc=$?
ctl leg add pol --identity sip:w@example.com --path 'msrp://10.82.0.1:4000/w;tcp' \
	--accept-types 'message/cpim text/plain' --accept-wrapped-types 'text/plain image/*' \
	--direction recvonly --history >/dev/null
ctl leg add pol --identity sip:s@example.com --path 'msrp://10.82.0.1:4000/s;tcp' \
	--direction sendonly >/dev/null
if [ $rc = 1 ] && echo "$err" | grep -q "not permitted" && ctl conf list --json | python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin)["conferences"] if c["id"] == "pol"][0]
assert c["history"] is True and c["anonymity"] is False, c
legs = {l["identity"]: l for l in c["legs"]}
assert len(legs) == 2, legs
w, s = legs["sip:w@example.com"], legs["sip:s@example.com"]
assert w["accept_types"] == ["message/cpim", "text/plain"], w
assert w["accept_wrapped_types"] == ["text/plain", "image/*"], w
assert w["direction"] == "recvonly" and w["history"] is True, w
assert s["direction"] == "sendonly" and s["history"] is False, s
assert s["accept_types"] == ["*"] and s["accept_wrapped_types"] == [], s
'; then
	ok "LEG_ADD v2 / CONF_CREATE flags: anonymous refused (EPERM), direction/history/wrapped types listed"
else
	notok "LEG_ADD v2: rc $rc err '$err' $(ctl conf list --json)"
fi
ctl conf delete pol >/dev/null

# 6. SIGHUP: an invalid file is refused (running config stays), a valid one is applied.
dp_write_conf 'log = { level = "loud"; };'
kill -HUP $pid
sleep 0.5
if grep -q 'SIGHUP: .*dp.conf:5: log.level' "$tmp/dp.log" && kill -0 $pid; then
	ok "SIGHUP with an invalid file: FILE:LINE logged, still running"
else
	notok "SIGHUP invalid: $(tail -2 "$tmp/dp.log")"
fi
dp_write_conf 'log = { level = "info"; };'
kill -HUP $pid
sleep 0.5
r=$(ctl stats --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["total"]; print(t["ctl_reloads"], t["ctl_reload_failed"])')
if [ "$r" = "1 1" ] && grep -q 'reloaded' "$tmp/dp.log"; then
	ok "SIGHUP with a valid file: reloaded (reloads/failed = $r)"
else
	notok "SIGHUP valid: counters '$r', $(tail -2 "$tmp/dp.log")"
fi

# 7. Drain: new legs refused, exit when the last leg is deleted.
ctl conf create d1 >/dev/null
uri=$(ctl leg add d1 --path 'msrp://10.82.0.1:4000/a;tcp' --identity sip:a@example.com)
ctl drain >/dev/null
if ! ctl leg add d1 --path 'msrp://10.82.0.1:4000/b;tcp' --identity sip:b@example.com 2>/dev/null &&
	kill -0 $pid; then
	ok "draining: LEG_ADD refused, still running with one leg"
else
	notok "draining: leg add accepted or process gone"
fi
ctl leg del d1 "$uri"
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if ! kill -0 $pid 2>/dev/null && wait $pid; then
	ok "drained: exit 0 after the last leg was deleted"
else
	notok "drain: still running or exit status $?"
fi
pid=

# 8. ctl.blob_bytes and ctl.max_objects shape the control channel: a smaller blob area makes
#    a smaller region, and the 17th object (conference) of a 16-object registry is refused.
shm=/dev/shm/msw.$inst
size_default=$(stat -c %s "$shm")
dp_write_conf 'ctl = { blob_bytes = 1048576; max_objects = 16; };'
dp_start
size_small=$(stat -c %s "$shm")
made=0
for i in $(seq 17); do ctl conf create "o$i" >/dev/null 2>&1 && made=$((made + 1)); done
if [ "$size_small" -lt "$size_default" ] && [ $made = 16 ]; then
	ok "ctl.blob_bytes 1 MiB: region $size_small < $size_default bytes; ctl.max_objects 16: 16 conferences, the 17th refused"
else
	notok "ctl params: region $size_small vs $size_default, $made conferences made"
fi
dp_stop || notok "stop after the ctl check"
echo "1..$n"
[ $fails = 0 ]
