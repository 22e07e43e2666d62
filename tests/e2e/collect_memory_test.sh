#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bug case B38 (memory growth per rotation or while idle): three collectors rotating every 2 s
# side by side for B38_ROTATIONS intervals (default 40) after 5 of warm-up, their VmRSS and
# VmSize read from /proc/PID/status at every interval:
#   idle  -w, no datagram ever (nfdump #292: the size grew at every rotation);
#   idlem -M, three exporters that sent once and went quiet, so every rotation writes a file
#         for each (nfdump #527: the per-exporter directory mode crashed when idle);
#   busy  -M, 16 exporters (8 addresses, 2 domains) streaming 10000 flows/s throughout.
# Bounds, after warm-up: an idle collector's RSS grows by at most 128 KiB (2.5 % of its
# ~9 MiB; the spec's 5 % would let 10 KiB per rotation through) and its VmSize by at most
# 512 KiB (a thread stack or a mapping of 1 MiB left behind by one rotation exceeds it;
# heap leaks stay inside the 64 MiB arenas glibc reserves per thread and show in RSS only).
# Measured idle: both flat to the KiB. The busy one must plateau: over the second half of the
# run its RSS grows by at most 512 KiB (a leak of 2 bytes per flow would add 780 KiB there),
# or else in steps (rising in at most a quarter of the intervals; see below).
# No collector may crash, SIGTERM ends each with status 0, and the busy one stores every flow
# sent. B38_IDLE_KIB, B38_IDLE_VSZ_KIB and B38_BUSY_KIB override the bounds.
# NOTE: RSS only shows a leak once it has used up the memory the process freed before (about
# 1 MiB in the -M collector): a leak of 8 KiB per rename() injected with LD_PRELOAD failed
# the -w check (+640 KiB) but stayed hidden in the -M one. A leak checker would see it; this
# test catches growth, not every small leak.
source "$(dirname "$0")/lib.sh"

[ -x "$FLOWCAPD" ] && [ -x "$FLOWDUMP" ] || skip "flowcapd or flowdump not built in $FLOWKIT_BIN"
[ -x "$FLOWKIT_SEND" ] || skip "test sender $FLOWKIT_SEND not built"
rotations=${B38_ROTATIONS:-40}
idle_kib=${B38_IDLE_KIB:-128}
idle_vsz_kib=${B38_IDLE_VSZ_KIB:-512}
busy_kib=${B38_BUSY_KIB:-512}
warmup=5
rate=10000
seconds=$((2 * (warmup + rotations) + 2))

port_idle=$(free_port)
start_collector idle "$WORK/idle" "$port_idle" \
    "$FLOWCAPD" -b 127.0.0.1 -p "$port_idle" -w "$WORK/idle" -t 2 -y
port_idlem=$(free_port)
start_collector idlem "$WORK/idlem" "$port_idlem" \
    "$FLOWCAPD" -b 127.0.0.1 -p "$port_idlem" -M "$WORK/idlem" -t 2 -y
port_busy=$(free_port)
start_collector busy "$WORK/busy" "$port_busy" \
    "$FLOWCAPD" -b 127.0.0.1 -p "$port_busy" -M "$WORK/busy" -t 2 -y -B 4194304
# shellcheck disable=SC2154  # the PID_* variables are set by start_collector
pids="$PID_idle $PID_idlem $PID_busy"

"$FLOWKIT_SEND" --to "127.0.0.1:$port_idlem" --sample 9 --flows 300 --exporters 3 \
    2>"$WORK/send_idlem.log" || fail "flowsend: $(cat "$WORK/send_idlem.log")"
busy_flows=$((rate * seconds))
"$FLOWKIT_SEND" --to "127.0.0.1:$port_busy" --sample 9 --flows "$busy_flows" --exporters 16 \
    --domains 2 --rate "$rate" 2>"$WORK/send_busy.log" &
sender=$!
STARTED_PIDS+=("$sender")

# One line per interval: for each collector its VmRSS and VmSize in KiB.
for i in $(seq 1 $((warmup + rotations))); do
    sleep 2
    line=""
    for pid in $pids; do
        [ -r "/proc/$pid/status" ] || fail "collector $pid is gone after $i rotations"
        line+=$(awk '$1 == "VmRSS:" { r = $2 } $1 == "VmSize:" { v = $2 }
                     END { printf "%d %d ", r, v }' "/proc/$pid/status")
    done
    echo "$i $line"
done >"$WORK/mem"

wait "$sender" || fail "flowsend failed: $(cat "$WORK/send_busy.log")"
sleep 1
for name in idle idlem busy; do stop_collector "$name"; done

# Columns: interval, then RSS and VSZ of idle (2, 3), idlem (4, 5) and busy (6, 7).
growth() {  # growth COLUMN FROM_INTERVAL: largest value after FROM minus the value at FROM
    awk -v c="$1" -v from="$2" '$1 == from { base = $c; max = $c }
        $1 > from && $c > max { max = $c } END { print max - base }' "$WORK/mem"
}
half=$((warmup + rotations / 2))
report="idle rss +$(growth 2 $warmup) vsz +$(growth 3 $warmup);"
report+=" idle -M rss +$(growth 4 $warmup) vsz +$(growth 5 $warmup);"
report+=" busy -M rss +$(growth 6 $warmup) from interval $warmup, +$(growth 6 $half) from $half"
echo "KiB after warm-up: $report"
echo "busy RSS per interval: $(awk '{ printf "%s ", $6 }' "$WORK/mem")"
bad=""
for c in 2 4; do
    [ "$(growth $c $warmup)" -le "$idle_kib" ] || bad+=" idle RSS grew (column $c);"
    [ "$(growth $((c + 1)) $warmup)" -le "$idle_vsz_kib" ] ||
        bad+=" idle VmSize grew (column $((c + 1)));"
done
# A leak raises RSS at nearly every interval; the receive queue's high-water mark (up to
# 32 batches of 1 MiB, touched as the decoder falls behind on a loaded machine) raises it in
# a few steps. So the busy collector fails when its RSS grew by more than busy_kib over the
# second half and rose in more than a quarter of those intervals.
rises=$(awk -v from="$half" '$1 > from && $6 > prev { n++ } { prev = $6 } END { print n + 0 }' \
    "$WORK/mem")
report+=", rising in $rises of $((warmup + rotations - half)) intervals"
if [ "$(growth 6 $half)" -gt "$busy_kib" ] && [ $((rises * 4)) -gt $((warmup + rotations - half)) ]
then
    bad+=" busy RSS did not level off;"
fi
[ -z "$bad" ] || fail "$bad $report"

[ "$(find "$WORK/idlem" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 3 ] ||
    fail "idle -M directories: $(ls "$WORK/idlem")"
grep -q "($busy_flows sample flows)" "$WORK/send_busy.log" ||
    fail "flowsend: $(cat "$WORK/send_busy.log")"
stored=$("$FLOWDUMP" -R "$WORK/busy" -o null | sed -n 's/^Summary: total flows: \([0-9]*\),.*/\1/p')
[ "$stored" = "$busy_flows" ] || fail "busy collector stored ${stored:-no} flows of $busy_flows"
echo "ok: no growth per rotation while idle, RSS levels off under traffic"
