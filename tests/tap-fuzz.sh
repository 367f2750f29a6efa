#!/bin/sh
# Runs one libFuzzer target for MSW_FUZZ_SECONDS (default 30) over its seed corpus and prints
# one TAP line. A crash, leak or timeout fails the test and keeps the reproducer in
# $MSW_BUILD_ROOT/fuzz-artifacts/.
set -u
bin=$1
corpus=$2
secs=${MSW_FUZZ_SECONDS:-30}
name=$(basename "$bin")
work=$(mktemp -d)
# Leaks inside third-party libraries (libconfig) are not ours to fix: tests/lsan.supp.
export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
art="${MSW_BUILD_ROOT:-.}/fuzz-artifacts/$name/"
mkdir -p "$art"
cp -r "$corpus"/. "$work"/ 2>/dev/null
echo "1..1"
if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$art" "$work" >&2; then
	echo "ok 1 - $name fuzzed ${secs}s"
	rc=0
else
	echo "not ok 1 - $name (reproducer in $art)"
	rc=1
fi
rm -rf "$work"
exit $rc
