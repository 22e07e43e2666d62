#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd option checks (issue 4): -t 10 alone logs no "metric interval 60 > twin 10"
# (only -m makes the metric interval matter; nfcapd 1.7.1 is silent too), and an ident with a
# control character (-I, -n), which would forge a line in flowdump -I, is refused.
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
mkdir -p "$dir"

# run_briefly NAME ARGS...: starts flowcapd, stops it after its start-up; log in NAME.log.
run_briefly() {
    local name=$1 port
    shift
    port=$(free_port)
    start_collector "$name" "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" "$@"
    stop_collector "$name"
}
run_briefly plain -t 10
if grep -q "metric interval" "$WORK/plain.log"; then
    cat "$WORK/plain.log"
    fail "-t 10 without -m warns about the metric interval"
fi
run_briefly metric -t 10 -m "$WORK/metric.sock"
grep -q "metric interval 60 > twin 10" "$WORK/metric.log" ||
    { cat "$WORK/metric.log"; fail "-m with -t 10: no metric interval warning"; }
echo "ok: metric interval warning only with -m"

# expect_refused NAME ARGS...: exit 1 naming control characters, nothing started.
expect_refused() {
    local name=$1 rc=0
    shift
    timeout 10 "$FLOWCAPD" -b 127.0.0.1 -p "$(free_port)" -t 10 "$@" >"$WORK/$name.out" \
        2>"$WORK/$name.err" || rc=$?
    [ "$rc" -eq 1 ] || { cat "$WORK/$name.err"; fail "$name: exit $rc, expected 1"; }
    grep -q "ident may not hold control characters" "$WORK/$name.err" ||
        { cat "$WORK/$name.err"; fail "$name: message does not name control characters"; }
}
empty=$WORK/empty
mkdir -p "$empty"
expect_refused newline -w "$empty" -I $'x\nFlows: 999'
expect_refused tab -w "$empty" -I $'x\ty'
expect_refused escape -w "$empty" -I $'x\e[2Jy'
expect_refused source -n $'x\nFlows: 999,127.0.0.1,'"$empty"
if ls "$empty" | grep -q .; then fail "a refused start left files in $empty"; fi
# Printable idents, spaces included, are still taken and stored as given.
dir=$WORK/spaced
run_briefly spaced -t 10 -I "edge router 1"
"$FLOWDUMP" -I -r "$(ls "$dir"/nfcapd.2* | head -1)" | grep -q "^Ident: *edge router 1$" ||
    fail "ident with spaces not stored"
echo "ok: control characters refused in -I and -n"

# A word that is no option nor an option's value (tester: `-z lz4` printed the usage only,
# not naming the word) is named; nothing is started.
rc=0
timeout 10 "$FLOWCAPD" -b 127.0.0.1 -p "$(free_port)" -w "$empty" -t 300 -z lz4 \
    >"$WORK/stray.out" 2>"$WORK/stray.err" || rc=$?
[ "$rc" -eq 1 ] || fail "stray word: exit $rc, expected 1"
grep -q "unexpected argument 'lz4'" "$WORK/stray.err" ||
    fail "stray word not named: $(head -3 "$WORK/stray.err")"
if ls "$empty" | grep -q .; then fail "a refused start left files in $empty"; fi
echo "ok: a stray word is named and refused"
