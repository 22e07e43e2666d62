#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd -e: after a rotation the collector expires its directory by the limits stored in
# .nfstat (set here with flowexpire -u): old flow files go, foreign files and new files stay.
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
mkdir -p "$dir"
# Files named for 2020 are far older than the 1 day lifetime; notes.txt is not a flow file.
for stamp in 202001010000 202001010005 202001010010; do echo old >"$dir/nfcapd.$stamp"; done
echo keep >"$dir/notes.txt"
"$FLOWKIT_BIN/flowexpire" -u "$dir" -t 1d >/dev/null || fail "flowexpire -u failed"

port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2 -e
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --flows 30 2>/dev/null
sleep 4
stop_collector fk
ls "$dir" | grep -q '^nfcapd\.2020' && fail "old files survived -e: $(ls "$dir")"
[ -f "$dir/notes.txt" ] || fail "foreign file removed"
n=$(ls "$dir" | grep -cE '^nfcapd\.[0-9]{14}$' || true)
[ "$n" -ge 1 ] || fail "new files missing: $(ls "$dir")"
grep -q "Run expire on" "$WORK/fk.log" || fail "no expiry logged: $(cat "$WORK/fk.log")"
# notes.txt is no flow file: -I over a directory holding it exits 1 (as a listing does).
rm "$dir/notes.txt"
total=$("$FLOWDUMP" -R "$dir" -I | awk -F': ' '$1 == "Flows" {print $2}')
[ "$total" -eq 30 ] || fail "files hold $total flows, expected 30"
echo ok
