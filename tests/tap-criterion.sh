#!/bin/sh
# Runs one Criterion test binary and prints its TAP report on stdout (Criterion writes TAP
# only to a file); its own progress output goes to stderr. Exit status is the binary's.
set -u
bin=$1
shift
tap=$(mktemp)
"$bin" --tap="$tap" "$@" >&2
rc=$?
cat "$tap"
rm -f "$tap"
exit $rc
