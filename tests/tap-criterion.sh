#!/bin/sh
# Runs one Criterion test binary and prints its TAP report on stdout (Criterion writes TAP
# only to a file); its own progress output goes to stderr. Exit status is the binary's, or 1
# when a sanitizer reported an error in any test process: Criterion only warns when a test
# that passed its assertions then leaks, so the report itself is what fails the run.
set -u
bin=$1
shift
tap=$(mktemp)
err=$(mktemp)
"$bin" --tap="$tap" "$@" 2>"$err" >&2
rc=$?
cat "$err" >&2
cat "$tap"
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$err"; then
	echo "# sanitizer report in $(basename "$bin"): see the log" >&2
	[ $rc -eq 0 ] && rc=1
fi
rm -f "$tap" "$err"
exit $rc
