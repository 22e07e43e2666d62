#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd rotation: with -t 2 files are renamed every 2 s to nfcapd.YYYYMMDDhhmmss (seconds,
# as the interval is below 60 s), idle intervals still give a file, and a restart inside the
# same 300 s interval merges into the existing file instead of replacing it (bug case B36, a
# restart must not overwrite existing files; the repeated DST hour: tests/unit/rotate/dst_test.cc).
source "$(dirname "$0")/lib.sh"

dir=$WORK/rot
port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --flows 60 2>/dev/null
sleep 5
stop_collector fk
n=$(ls "$dir" | grep -cE '^nfcapd\.[0-9]{14}$' || true)
[ "$n" -ge 2 ] || fail "expected at least 2 rotated files, got: $(ls "$dir")"
ls "$dir" | grep -q current && fail "current file left: $(ls "$dir")"
total=$("$FLOWDUMP" -R "$dir" -I | awk -F': ' '$1 == "Flows" {print $2}')
[ "$total" -eq 60 ] || fail "rotated files hold $total flows, expected 60"

# Same-slot restart: two collector runs within one 300 s interval end in one file with both
# runs' flows. Wait if the interval boundary is too close.
dir2=$WORK/merge
while [ $(( $(date +%s) % 300 )) -gt 280 ]; do sleep 1; done
for seed in 1 2; do
    port=$(free_port)
    start_collector fk "$dir2" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir2" -t 300
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed "$seed" --flows 40 2>/dev/null
    stop_collector fk
done
files=$(ls "$dir2")
[ "$(echo "$files" | wc -l)" -eq 1 ] || fail "expected one merged file, got: $files"
total=$("$FLOWDUMP" -R "$dir2" -I | awk -F': ' '$1 == "Flows" {print $2}')
[ "$total" -eq 80 ] || fail "merged file holds $total flows, expected 80"
rows=$("$FLOWDUMP" -R "$dir2" -q -o csv | wc -l)
[ "$rows" -eq 80 ] || fail "merged file lists $rows flows, expected 80"
echo "ok"
