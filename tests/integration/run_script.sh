#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/run, the README's appliance command: it must create its network namespace, print
# its "msw: " lines ending with "msw: READY" only once the planes accept connections, refuse a
# second run of the same instance, and on SIGTERM or SIGINT remove what it created and exit 0.
# Runs it on an existing build (--build-dir) with its own instance and namespace names.
set -u
src=${MSW_SRC_ROOT:?}
build=${MSW_BUILD_ROOT:?}
work=$(mktemp -d)
ns=msw-rt$$
inst=rt$$
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
cleanup() {
	[ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "/run/msw/$inst.run.pid"
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/run.conf" <<CONF
instance = "$inst";
netns = { name = "$ns"; };
CONF

# Job control on: a non-interactive shell starts background jobs with SIGINT ignored, and a
# signal ignored at entry cannot be trapped, so without it Ctrl-C could not be tested.
set -m

# cycle SIGNAL: one start/stop cycle, stopped with SIGNAL.
cycle() {
	local sig=$1 out=$work/out.$1 err=$work/err.$1
	"$src/scripts/run" --config "$work/run.conf" --build-dir "$build" >"$out" 2>"$err" &
	pid=$!
	local t=0
	until grep -q '^msw: READY$' "$out" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null || [ $t -ge 600 ]; then
			break
		fi
		sleep 0.1
		t=$((t + 1))
	done
	check "$sig: READY printed" grep -q '^msw: READY$' "$out"
	check "$sig: READY is the last line and every stdout line is an msw: line" \
		sh -c "tail -n 1 '$out' | grep -qx 'msw: READY' && ! grep -qv '^msw: ' '$out'"
	check "$sig: namespace $ns exists while running" sh -c "ip netns list | grep -qw '$ns'"
	if [ "$sig" = TERM ]; then
		"$src/scripts/run" --config "$work/run.conf" --build-dir "$build" \
			>"$work/second.out" 2>"$work/second.err"
		rc=$?
		check "a second run of instance $inst is refused (exit $rc)" [ $rc -eq 1 ]
		check "the refusal says why" grep -q 'already running' "$work/second.err"
	fi
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	pid=
	check "$sig: exits 0 (got $rc)" [ $rc -eq 0 ]
	check "$sig: namespace removed" sh -c "! ip netns list | grep -qw '$ns'"
	check "$sig: run lock removed" [ ! -e "/run/msw/$inst.run.pid" ]
	check "$sig: shared memory removed" [ ! -e "/dev/shm/msw.$inst" ]
}

echo "1..17"
cycle TERM
cycle INT
check "a bad config is refused with file:line" sh -c \
	"echo 'netns = { nmae = \"x\"; };' >'$work/bad.conf';
	 ! '$src/scripts/run' --config '$work/bad.conf' --build-dir '$build' 2>'$work/bad.err' >/dev/null &&
	 grep -q 'bad.conf:1: netns.nmae' '$work/bad.err'"
[ $fails -eq 0 ]
