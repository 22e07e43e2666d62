#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A collector killed with SIGKILL leaves nfcapd.current.<pid>; the next flowcapd started on
# that directory gives it its final name, so flowdump -R finds the flows that reached disk.
# A current file of a collector that still runs is left alone.
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 300
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 7 --flows 20000 2>/dev/null
# The kill must come once some of them have reached disk (full blocks are written as the
# decoder goes): wait for flows in the current file, at most 20 s.
for _ in $(seq 1 200); do
    current=$(ls "$dir" | grep '^nfcapd\.current\.' | head -1 || true)
    [ -n "$current" ] && [ "$("$FLOWDUMP" -r "$dir/$current" -q -o csv 2>/dev/null |
        grep -vc '^No matching' || true)" -gt 0 ] && break
    sleep 0.1
done
kill -KILL "$PID_fk"
wait "$PID_fk" 2>/dev/null || true
orphan=$(ls "$dir" | grep '^nfcapd\.current\.' || true)
[ -n "$orphan" ] || fail "no current file left after SIGKILL"
on_disk=$("$FLOWDUMP" -r "$dir/$orphan" -q -o csv | grep -vc '^No matching' || true)
[ "$on_disk" -gt 0 ] || fail "test needs flows on disk before the kill"

# A live process's current file must survive: fake one with this shell's pid.
echo live >"$dir/nfcapd.current.$$"
port=$(free_port)
start_collector fk2 "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 300
stop_collector fk2
[ -f "$dir/$orphan" ] && fail "orphan $orphan not recovered: $(ls "$dir")"
[ -f "$dir/nfcapd.current.$$" ] || fail "a running process's current file was touched"
rm -f "$dir/nfcapd.current.$$"
grep -q "Recovered the current file" "$WORK/fk2.log" || fail "recovery not logged"
stored=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$stored" -ge "$on_disk" ] || fail "after recovery $stored flows, $on_disk were on disk"
echo "ok: $on_disk flows recovered from $orphan"
