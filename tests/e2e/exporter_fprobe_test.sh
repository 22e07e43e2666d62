#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Debian's fprobe 1.1 against flowcapd and nfcapd 1.7.1 (issue 4), on every capture of
# ../shared/corpus/pcap-traffic. fprobe has no file option, but `-i -` reads a pcap or pcapng
# file from standard input. It exports NetFlow v1, v5 and v7 (it has no v9) and mirrors every
# datagram to all its collectors, so one fprobe per version sends the same bytes to a
# flowcapd and an nfcapd: their stored flows must be identical, field for field, and hold
# every untagged IPv4 packet of the capture (fprobe's `-fip` filter, IPv4 only) with its IP
# length. Runs of the three versions must agree on flow keys and counters.
# - fprobe's pending queue (-q, 100 packets by default) drops what overflows while it reads
#   a file at full speed, so it is made longer than the capture.
# - fprobe's flow times are not the capture's: it mixes packet times with its own
#   wall-clock uptime, so each run dates the flows differently. Within a run both collectors
#   get the same datagrams and must agree on the times too.
source "$(dirname "$0")/lib.sh"
command -v fprobe >/dev/null || skip "Debian's fprobe is not installed (scripts/setup.sh)"
source "$(dirname "$0")/exporters_lib.sh"

VERSIONS=(1 5 7)

# One capture: fprobe -n 1, 5 and 7 at once, each to its own flowcapd and nfcapd.
fprobe_capture() {
    local pcap=$1 name=$2 d=$3 v i pids=()
    capture_counts "$pcap"
    for v in "${VERSIONS[@]}"; do
        start_pair "$v" "$d"
        fprobe -i - -l 2 -fip -q $((FRAMES + 16)) -n "$v" \
            "127.0.0.1:$FK_PORT" "127.0.0.1:$NF_PORT" <"$pcap" >"$d/fprobe$v.log" 2>&1 &
        pids+=($!)
        STARTED_PIDS+=($!)
    done
    for i in "${!VERSIONS[@]}"; do
        v=${VERSIONS[$i]}
        wait "${pids[$i]}" || fail "$name: fprobe -n $v exited with $?: $(cat "$d/fprobe$v.log")"
        grep -q "pcap_loop() terminated" "$d/fprobe$v.log" ||
            fail "$name: fprobe -n $v did not read the file to its end"
    done
    sleep 0.3
    for v in "${VERSIONS[@]}"; do
        check_pair "$name v$v" "$v" "$d" "$PLAIN4"
        same_flows "$name v$v" "$v" "$d"
        per_key "$d/fk$v.txt" >"$d/keys$v"
    done
    for v in 5 7; do
        diff "$d/keys1" "$d/keys$v" >/dev/null ||
            fail "$name: fprobe's v1 and v$v runs differ: $(diff "$d/keys1" "$d/keys$v" | head)"
    done
    echo "$FLOWS" >"$d/flows"
    echo "$name: $FLOWS flows, ${PLAIN4% *} packets in v1, v5 and v7"
}

run_captures fprobe_capture
[ "$TOTAL_FLOWS" -gt 0 ] || fail "fprobe exported no flows"
echo "ok: $TOTAL_FLOWS flows of fprobe stored alike by flowcapd and nfcapd"
