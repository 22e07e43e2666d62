#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump on bad input: a missing file, a non-nfdump file, an empty file, a bad filter and
# bad option values give a one-line error naming what was wrong and nfdump's exit code.
source "$(dirname "$0")/lib.sh"

expect() {  # expect RC PATTERN CMD...
    local want=$1 pattern=$2
    shift 2
    local rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$*: exit $rc, expected $want; stderr: $(cat "$WORK/err")"
    [ -z "$pattern" ] || grep -q -- "$pattern" "$WORK/err" "$WORK/out" ||
        fail "$*: output lacks '$pattern': $(cat "$WORK/err" "$WORK/out")"
    if grep -qi "segmentation\|core dumped\|terminate called" "$WORK/err"; then fail "$*: crashed"; fi
}

printf 'this is a text file, not flows\n' >"$WORK/text"
: >"$WORK/empty"
expect 1 "is not a file or directory" "$FLOWDUMP" -r "$WORK/missing" -o line
expect 0 "$WORK/text" "$FLOWDUMP" -r "$WORK/text" -o line
expect 0 "No matching flows" "$FLOWDUMP" -r "$WORK/text" -o line
expect 0 "$WORK/empty" "$FLOWDUMP" -r "$WORK/empty" -o line
[ "$(grep -c . "$WORK/err")" -eq 1 ] || fail "expected a one-line error, got: $(cat "$WORK/err")"
expect 254 "" "$FLOWDUMP" -r "$WORK/text" 'proto tcp and ('
expect 254 "" "$FLOWDUMP" -Z 'src ip 300.1.1.1'
expect 0 "" "$FLOWDUMP" -Z 'src ip 10.1.1.1 and port 80'
expect 1 "Option -c needs a number > 0" "$FLOWDUMP" -r "$WORK/text" -c 0
expect 1 "mutually exclusive" "$FLOWDUMP" -r "$WORK/text" -R "$WORK"
expect 250 "Missing last file option" "$FLOWDUMP" -R "$WORK/text:"
expect 1 "Unknown output mode" "$FLOWDUMP" -r "$WORK/text" -o nosuchformat
echo "ok"
