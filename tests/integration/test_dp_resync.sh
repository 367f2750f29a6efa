#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Control-channel resync against a real msw-dataplane (docs/dataplane.md, docs/ctl-abi.md):
# a control-plane client crashes and its successor resyncs (what it does not replay is
# deleted from the engine); then the data plane restarts while a client stays attached: the
# channel reports the new generation and the replay recreates the leg with its session-id.
# Usage: test_dp_resync.sh CLIENT_BINARY. Prints TAP.
set -u
client=$1
. "$(dirname "$0")/dp_test_lib.sh"
dp_test_init rs 10.81.0 "$client"

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
dp_write_conf

if dp_start; then ok "data plane started"; else notok "data plane start: $(tail -3 "$tmp/dp.log")"; fi
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
if dp_stop; then ok "SIGTERM: data plane exit 0"; else notok "SIGTERM: data plane exit status $?"; fi
if dp_start; then ok "data plane restarted"; else notok "restart: $(tail -3 "$tmp/dp.log")"; fi
while IFS= read -r l <&3; do emit "$l"; done
wait "$cpid" || true
exec 3<&-
echo "1..$n"
[ $fails = 0 ]
