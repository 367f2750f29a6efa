#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Totals the TAP results of one `meson test` run from its meson-logs/testlog.json.

Prints "PASSED FAILED SKIPPED" (test cases, not binaries). A test binary whose exit status
says it failed (crash, sanitizer report, timeout) while its TAP lines all passed counts one
extra failure, so nothing that went wrong is lost in the total. Lists every failure on stderr.
"""
import json
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\b(.*)$')


def main(path):
    passed = failed = skipped = 0
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.readlines()
    except FileNotFoundError:
        print('0 0 0')
        return
    for raw in lines:
        t = json.loads(raw)
        name, result = t.get('name', '?'), t.get('result', '?')
        out = t.get('stdout') or ''
        tp = tf = ts = 0
        for line in out.splitlines():
            m = TAP_LINE.match(line)
            if not m:
                continue
            directive = m.group(2)
            if m.group(1) == 'not ok':
                if re.search(r'#\s*TODO', directive, re.I):
                    continue
                tf += 1
                print(f'FAIL {name}:{directive.strip()}', file=sys.stderr)
            elif re.search(r'#\s*SKIP', directive, re.I):
                ts += 1
            else:
                tp += 1
        if result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and tf == 0:
            tf = 1
            print(f'FAIL {name}: binary result {result}', file=sys.stderr)
        if result == 'SKIP' and tp + tf + ts == 0:
            ts = 1
        passed, failed, skipped = passed + tp, failed + tf, skipped + ts
    print(passed, failed, skipped)


if __name__ == '__main__':
    main(sys.argv[1])
