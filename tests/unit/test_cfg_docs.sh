#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# TAP: the committed docs/config.md must equal `msw-config --docs` (regenerate with
# `msw-config --docs > docs/config.md`), and the shipped configuration files must pass
# --check. Usage: test_cfg_docs.sh MSW_CONFIG SRC_ROOT
set -u
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # meson passes a relative path
src=$2
files="config/msw.conf config/examples/carrier.conf config/examples/test.conf"
echo "1..4"
n=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=$((n + 1))
if "$tool" --docs >"$out" && cmp -s "$out" "$src/docs/config.md"; then
	echo "ok $n - docs/config.md is current"
else
	echo "not ok $n - docs/config.md differs from msw-config --docs:"
	diff -u "$src/docs/config.md" "$out" | head -40 | sed 's/^/# /'
fi
for f in $files; do
	n=$((n + 1))
	if msg=$(cd "$src" && "$tool" --check "$f" 2>&1) && [ "$msg" = "$f: ok" ]; then
		echo "ok $n - $f passes --check"
	else
		echo "not ok $n - $f: $msg"
	fi
done
