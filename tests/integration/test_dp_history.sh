#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# EV_HISTORY end to end through a real msw-dataplane (docs/ctl-abi.md "EV_HISTORY"): a
# control-plane client (dp_history_client) creates a conference with MSW_CTL_CONF_F_HISTORY,
# one without, and one where a single leg has MSW_CTL_LEG_F_HISTORY; MSRP peers over Linux
# TCP in a namespace (dp_history_peers.py, msrp_peer.py) send short, chunked, cut-through,
# aborted and unknown-total messages; every received chunk of a history sender must reach
# the client (one event, or one per piece when the data plane cut it through) with offset,
# total, flag, content type and bytes that rebuild the message, and nothing else may; the
# data plane's counters must show every event posted delivered, none dropped or truncated.
# Usage: test_dp_history.sh CLIENT_BINARY MSWCTL_BINARY. Prints TAP.
set -u
client=$1
mswctl=$2
here=$(cd "$(dirname "$0")" && pwd)
peers=$here/dp_history_peers.py
. "$here/dp_test_lib.sh"
dp_test_init hist 10.84.0 "$client" "$mswctl"
cpid=
ppid_=

hist_cleanup() {
	[ -n "$ppid_" ] && kill -TERM "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
	[ -n "$cpid" ] && kill -TERM "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	dp_test_cleanup
}
trap hist_cleanup EXIT
# A signal (meson's timeout) still runs the cleanup; a write to a client that died fails
# instead of killing the script.
trap 'exit 1' TERM INT
trap '' PIPE

emit() { # renumbers "ok - x" / "not ok - x" lines of the client and the peers
	case $1 in
	"ok - "*) n=$((n + 1)); echo "ok $n - ${1#ok - }" ;;
	"not ok - "*) n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - ${1#not ok - }" ;;
	*) echo "# $1" ;;
	esac
}
finish() {
	echo "1..$n"
	if [ $fails != 0 ]; then
		echo "# last lines of the data plane's log:"
		tail -20 "$tmp/dp.log" | sed 's/^/# /'
	fi
	[ $fails = 0 ]
	exit
}

dp_write_conf
if dp_start; then ok "data plane started"; else notok "data plane start: $(tail -3 "$tmp/dp.log")"; finish; fi
dp_link_up

# The client owns the legs; its stdin (fd 4) says "stop" once the peers are done and stays
# open until the counters are read.
mkfifo "$tmp/to_client" "$tmp/from_client"
"$client" "$inst" "$net.1" 20 "$tmp/events" <"$tmp/to_client" >"$tmp/from_client" &
cpid=$!
exec 4>"$tmp/to_client" 3<"$tmp/from_client"
ready=
while IFS= read -r l <&3; do
	case $l in
	"leg "*) echo "$l" >>"$tmp/legs" ;;
	"# ready") ready=1; break ;;
	*) emit "$l" ;;
	esac
done
[ -n "$ready" ] || { notok "client: no legs"; finish; }

ip netns exec "$ns" python3 "$peers" send --legs "$tmp/legs" --sent "$tmp/sent.json" \
	--release "$tmp/release" >"$tmp/peers.out" 2>&1 &
ppid_=$!

# The peers are done once sent.json exists (every message seen at its recipient); they
# stay connected and idle.
for _ in $(seq 200); do
	[ -f "$tmp/sent.json" ] || ! kill -0 "$ppid_" 2>/dev/null && break
	sleep 0.1
done
echo stop >&4
total=
while IFS= read -r l <&3; do
	case $l in
	"events "*) total=${l#events }; total=${total%% *}; break ;;
	*) emit "$l" ;;
	esac
done

# Counters while nothing moves: every event the data plane posted reached this client.
if [ -n "$total" ] && "$mswctl" --instance "$inst" stats --json >"$tmp/stats.json" &&
	r=$(python3 - "$tmp/stats.json" "$total" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
want = int(sys.argv[2])
got = {k: t.get(k) for k in ("ctl_evt_posted", "ctl_evt_post_failed", "ctl_evt_no_owner",
                             "wk_evt_truncated")}
print(" ".join("%s=%s" % kv for kv in got.items()))
sys.exit(0 if got == {"ctl_evt_posted": want, "ctl_evt_post_failed": 0, "ctl_evt_no_owner": 0,
                      "wk_evt_truncated": 0} else 1)
PY
); then
	ok "mswctl stats: $r (client received $total events)"
else
	notok "mswctl stats: ${r:-none} (client received ${total:-no} events)"
fi

touch "$tmp/release"
wait "$ppid_"
prc=$?
ppid_=
while IFS= read -r l; do emit "$l"; done <"$tmp/peers.out"
[ $prc = 0 ] || notok "peers exit status $prc"
exec 4>&-
while IFS= read -r l <&3; do emit "$l"; done
wait "$cpid"
crc=$?
cpid=
exec 3<&-
[ $crc = 0 ] || notok "client exit status $crc"

if [ -f "$tmp/sent.json" ] && [ -f "$tmp/events" ]; then
	python3 "$peers" check --legs "$tmp/legs" --sent "$tmp/sent.json" --events "$tmp/events" \
		>"$tmp/check.out" 2>&1
	krc=$?
	while IFS= read -r l; do emit "$l"; done <"$tmp/check.out"
	[ $krc = 0 ] || notok "checker exit status $krc"
else
	notok "no sent.json from the peers or no events file from the client"
fi
if dp_stop; then ok "SIGTERM: data plane exit 0"; else notok "SIGTERM: data plane exit status $?"; fi
finish
