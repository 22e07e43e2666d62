#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump's bound on aggregation memory: with FLOWDUMP_MEMORY_LIMIT (MiB) below what an
# -A/-s run needs, it stops with a message naming the limit and exit 255 instead of growing
# until the OOM killer comes; within the limit the same run succeeds.
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
port=$(free_port)
start_collector cap "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 21 --flows 140000 --gap-us 20 \
    2>/dev/null || fail "flowsend failed"
stop_collector cap
n=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$n" -ge 131072 ] || skip "only $n flows collected on this loaded machine"

rc=0 && FLOWDUMP_MEMORY_LIMIT=1 "$FLOWDUMP" -R "$dir" -A srcip,dstip,srcport,dstport \
    >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
[ "$rc" -eq 255 ] || fail "exit $rc with a 1 MiB limit"
grep -q "aggregation needs more than 1 MiB of memory" "$WORK/err.txt" ||
    fail "message: $(cat "$WORK/err.txt")"
rc=0 && FLOWDUMP_MEMORY_LIMIT=1 "$FLOWDUMP" -R "$dir" -s srcport -s dstip \
    >/dev/null 2>"$WORK/err.txt" || rc=$?
[ "$rc" -eq 255 ] || fail "-s: exit $rc with a 1 MiB limit"
rc=0 && FLOWDUMP_MEMORY_LIMIT=1 "$FLOWDUMP" -R "$dir" -O bytes -o csv \
    >/dev/null 2>"$WORK/err.txt" || rc=$?
[ "$rc" -eq 255 ] || fail "-O: exit $rc with a 1 MiB limit"
grep -q "sorting (-O) needs more than 1 MiB" "$WORK/err.txt" || fail "-O message: $(cat "$WORK/err.txt")"
# A value that is no number is not ignored in silence.
FLOWDUMP_MEMORY_LIMIT=abc "$FLOWDUMP" -R "$dir" -c 1 -q >/dev/null 2>"$WORK/err.txt"
grep -q "FLOWDUMP_MEMORY_LIMIT='abc' is not a number" "$WORK/err.txt" ||
    fail "bad limit: $(cat "$WORK/err.txt")"
FLOWDUMP_MEMORY_LIMIT=4096 "$FLOWDUMP" -R "$dir" -A srcip,dstip,srcport,dstport -q \
    -o 'fmt:%fl' >"$WORK/ok.txt" || fail "run within the limit failed"
total=$(awk '{ s += $1 } END { print s }' "$WORK/ok.txt")
[ "$total" -eq "$n" ] || fail "groups hold $total of $n flows"
echo "ok: $n flows; stopped at 1 MiB, complete at 4 GiB"
