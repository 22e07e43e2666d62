#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd whose flow directory stops being writable while it runs (it runs as nobody, the
# directory is handed to root and made read-only): the rotation cannot rename the closed
# file, the collector logs it once and keeps receiving, holding the flows in memory; when
# the directory is writable again the closed file gets its name and the held flows are
# written. No flow sent is lost: the file closed while the directory was read-only must
# never be overwritten by the next current file.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to hand the directory between users"
id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || skip "no nobody:nogroup"

dir=$WORK/flows
mkdir -p "$dir"
chown nobody:nogroup "$dir"
chmod 755 "$WORK"
port=$(free_port)
start_collector ro "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2 \
    -u nobody -g nogroup
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 1 --flows 400 2>/dev/null
sleep 2.5
chown root:root "$dir"
chmod 555 "$dir"
# A rotation fails first (no file can be renamed or created), then flows arrive: they are
# held in memory until a file can be opened again.
sleep 2.5
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 2 --flows 300 2>/dev/null
sleep 2.5
kill -0 "$PID_ro" || fail "flowcapd died when its directory became read-only"
chown nobody:nogroup "$dir"
chmod 755 "$dir"
sleep 2.5
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 3 --flows 200 2>/dev/null
stop_collector ro
grep -q "Permission denied" "$WORK/ro.log" || fail "the failure was not logged: $(cat "$WORK/ro.log")"
[ "$(grep -c "Permission denied" "$WORK/ro.log")" -le 2 ] || fail "the failure logged repeatedly"
ls "$dir" | grep -q current && fail "a current file was left: $(ls "$dir")"
n=$("$FLOWDUMP" -R "$dir" -q -o csv 2>"$WORK/err.txt" | grep -vc '^No matching' || true)
[ -s "$WORK/err.txt" ] && fail "flowdump errors: $(cat "$WORK/err.txt")"
[ "$n" -eq 900 ] || fail "$n of 900 flows stored"
echo "ok: 900 of 900 flows stored across a read-only period"
