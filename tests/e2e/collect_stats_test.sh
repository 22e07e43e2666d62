#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd's counters: SIGUSR1 logs them per exporter without stopping collection, and
# --stats-file holds them (rewritten each interval and at exit). Known traffic: 300 sample
# v9 flows from 127.0.0.10 and a damaged v5 datagram from 127.0.0.11.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
dir=$WORK/flows
stats=$WORK/stats.txt
start_collector s "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -I known \
    --stats-file "$stats"
# A v5 header announcing 2 records and carrying none.
{
    printf '\x00\x05\x00\x02\x00\x00\x10\x00\x69\x00\x00\x00'
    printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
} >"$WORK/short.dat"
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 3 --flows 300 "$WORK/short.dat" \
    2>>"$WORK/send.log"

# The receiving thread hands datagrams to the decoder in batches, a partly filled one up to
# about 400 ms after its first datagram, and SIGUSR1 reports what the decoder has counted. So
# report until the damaged v5 datagram, sent after all the v9 ones, shows in a report: the
# decoder then has every datagram sent (one socket, taken in order). Each report ends with
# the unknown_source line; the last report is the one checked.
# shellcheck disable=SC2154  # PID_s is set by start_collector
reports=0
for _ in $(seq 1 40); do
    kill -USR1 "$PID_s"
    reports=$((reports + 1))
    for _ in $(seq 1 50); do
        [ "$(grep -c 'counters: unknown_source' "$WORK/s.log")" -ge "$reports" ] && break
        sleep 0.1
    done
    kill -0 "$PID_s" || fail "flowcapd died on SIGUSR1"
    # The lines of the last report: those after the previous report's unknown_source line.
    awk -v n="$reports" '/counters: unknown_source/ { seen++ } seen == n - 1 && !/counters: unknown_source/' \
        "$WORK/s.log" | grep 'counters: ' >"$WORK/report.txt" || true
    grep -q "exporter 127.0.0.11 version 5 " "$WORK/report.txt" && break
    sleep 0.1
done
line=$(grep "counters: ident 'known' exporter 127.0.0.10 version 9 " "$WORK/report.txt") ||
    fail "no counter line for 127.0.0.10: $(cat "$WORK/s.log")"
echo "$line" | grep -q ', flows 300, sequence_failures 0, ' || fail "v9 counters: $line"
echo "$line" | grep -q ', decode_errors 0$' || fail "v9 errors: $line"
bad=$(grep "counters: ident 'known' exporter 127.0.0.11 version 5 " "$WORK/report.txt") ||
    fail "no counter line for 127.0.0.11: $(cat "$WORK/s.log")"
echo "$bad" | grep -q 'packets 1, flows 0, .*decode_errors 1, records_truncated 1$' ||
    fail "v5 counters: $bad"
# The totals: every datagram, the exporters' together, none rejected.
totals=$(grep "counters: ident 'known' totals: " "$WORK/report.txt") ||
    fail "no totals line: $(cat "$WORK/report.txt")"
v9_packets=$(echo "$line" | sed -n 's/.*: packets \([0-9]*\),.*/\1/p')
echo "$totals" | grep -q ": datagrams $((v9_packets + 1)), rejected 0, flows_not_stored 0" ||
    fail "totals ($v9_packets v9 datagrams and one v5): $totals"

# Collection goes on after the report; the stats file is rewritten at exit.
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 4 --flows 50 2>>"$WORK/send.log"
stop_collector s
stored=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$stored" = 350 ] || fail "stored $stored flows, expected 350"
[ -f "$stats" ] || fail "no stats file"
grep -q "^ident 'known' exporter 127.0.0.10 version 9 .*, flows 350, " "$stats" ||
    fail "stats file: $(cat "$stats")"
grep -qx 'unknown_source_datagrams 0' "$stats" || fail "stats file: $(cat "$stats")"
echo "ok: SIGUSR1 and --stats-file report the counters of known traffic"
