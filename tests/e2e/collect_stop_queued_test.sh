#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd stopped while datagrams still wait on its socket stores them too: the collector is
# frozen (SIGSTOP) while 3000 flows are sent, so they wait in the socket's buffer, then gets
# SIGTERM and is let go on (SIGCONT). Every flow sent must be in its files (a collector
# restarted under load otherwise loses what the kernel had queued for it).
source "$(dirname "$0")/lib.sh"

dir=$WORK/flows
port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600
# shellcheck disable=SC2154  # PID_fk is set by start_collector
kill -STOP "$PID_fk"
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 11 --flows 3000 2>"$WORK/send.log" ||
    fail "flowsend: $(cat "$WORK/send.log")"
queued=$(ss -Hlun "sport = :$port" | awk '{ s += $2 } END { print s + 0 }')
[ "$queued" -gt 100000 ] || fail "only $queued bytes queued on the frozen collector's socket"
kill -TERM "$PID_fk"
kill -CONT "$PID_fk"
wait "$PID_fk" || fail "flowcapd exited with status $? on SIGTERM"
grep -q 'datagrams dropped' "$WORK/fk.log" && fail "datagrams dropped: $(cat "$WORK/fk.log")"
n=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$n" -eq 3000 ] || fail "$n of the 3000 flows queued at SIGTERM stored"
echo "ok: 3000 flows queued on the socket at SIGTERM ($queued bytes) stored"
