#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bug case B40 (no datagram lost while a file is rotated): flowsend streams NetFlow v9 at a
# steady rate (B40_RATE flows/s, default 50000, about 2700 datagrams/s) to flowcapd on
# 127.0.0.1 for B40_SECONDS (default 24) while flowcapd rotates every 2 s into LZ4 files.
# Asserted: the flows stored (flowdump over the directory) equal the flows sent exactly;
# flowcapd's socket dropped nothing (its own "drops" column in /proc/net/udp, which, unlike
# Udp RcvbufErrors in /proc/net/snmp, no other process on the host moves; that host-wide
# delta is printed only) and its decoder queue dropped nothing; every 2-s interval from start
# to stop has its file; no file of the steady part holds less than half the median of them
# (a gap next to a boundary). The socket buffer is -B B40_RCVBUF (default 4 MiB, the usual
# net.core.rmem_max): the test is about rotation, not about how long a loaded 2-core CI
# machine may leave the receiving thread unscheduled (the kernel's default ~200 KiB holds
# about 30 ms of this stream). B40_RCVBUF=0 (kernel default) with B40_RATE=100000 shows the
# test failing on such a machine.
source "$(dirname "$0")/lib.sh"

[ -x "$FLOWCAPD" ] && [ -x "$FLOWDUMP" ] || skip "flowcapd or flowdump not built in $FLOWKIT_BIN"
[ -x "$FLOWKIT_SEND" ] || skip "test sender $FLOWKIT_SEND not built"
[ -r /proc/net/udp ] || skip "no /proc/net/udp to read the socket's drop counter from"
rate=${B40_RATE:-50000}
seconds=${B40_SECONDS:-24}
rcvbuf=${B40_RCVBUF:-4194304}
flows=$((rate * seconds))

dir=$WORK/flows
port=$(free_port)
bufopt=()
[ "$rcvbuf" -gt 0 ] && bufopt=(-B "$rcvbuf")
start_collector capd "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2 -y \
    "${bufopt[@]}"

# The socket's line in /proc/net/udp: local address 0100007F:<port in hex>; drops is last.
socket_drops() {
    awk -v a="$(printf '0100007F:%04X' "$port")" '$2 == a { print $NF; found = 1 }
        END { if (!found) print "none" }' /proc/net/udp
}
host_rcvbuf_errors() {
    awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp
}
drops_before=$(socket_drops)
[ "$drops_before" = none ] && fail "flowcapd's socket 127.0.0.1:$port not in /proc/net/udp"
host_before=$(host_rcvbuf_errors)

t0=$(date +%s.%N)
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows "$flows" --rate "$rate" \
    2>"$WORK/send.log" || fail "flowsend failed: $(cat "$WORK/send.log")"
t1=$(date +%s.%N)
grep -q "($flows sample flows)" "$WORK/send.log" || fail "flowsend: $(cat "$WORK/send.log")"
sleep 1.5  # the decoder drains its queue; the next rotation passes
drops_after=$(socket_drops)
host_after=$(host_rcvbuf_errors)
stop_collector capd

took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "sent $flows flows in $took s; socket drops $drops_before -> $drops_after;" \
    "host-wide Udp RcvbufErrors +$((host_after - host_before)) (all processes)"
[ "$drops_after" = "$drops_before" ] ||
    fail "flowcapd's socket dropped $((drops_after - drops_before)) datagrams"
if grep -q 'datagrams dropped' "$WORK/capd.log"; then
    fail "decoder queue dropped datagrams: $(grep 'datagrams dropped' "$WORK/capd.log")"
fi

stored=$("$FLOWDUMP" -R "$dir" -o null 2>"$WORK/dump.err" |
    sed -n 's/^Summary: total flows: \([0-9]*\),.*/\1/p')
[ -s "$WORK/dump.err" ] && fail "flowdump: $(cat "$WORK/dump.err")"
[ "$stored" = "$flows" ] || fail "stored ${stored:-no} flows, sent $flows"
[ -z "$(find "$dir" -name 'nfcapd.current*')" ] || fail "current file left: $(ls "$dir")"

# One file per 2-s interval, consecutive from the first to the last, with its flow count.
for f in "$dir"/nfcapd.*; do
    name=${f##*.}
    [[ $name =~ ^[0-9]{14}$ ]] || fail "unexpected file name $f"
    slot=$(date -u -d "${name:0:8} ${name:8:2}:${name:10:2}:${name:12:2}" +%s)
    n=$("$FLOWDUMP" -r "$f" -o null | sed -n 's/^Summary: total flows: \([0-9]*\),.*/\1/p')
    echo "$slot $n"
done | sort -n >"$WORK/slots"
awk 'NR > 1 && $1 != prev + 2 { print "interval", prev + 2, "has no file"; bad = 1 }
     { prev = $1 } END { exit bad }' "$WORK/slots" || fail "missing intervals"
# The steady part: intervals that began after the first datagram and ended before the last.
awk -v t0="$t0" -v t1="$t1" '$1 >= t0 && $1 + 2 <= t1 { print $2 }' "$WORK/slots" |
    sort -n >"$WORK/steady"
steady=$(wc -l <"$WORK/steady")
[ "$steady" -ge 3 ] || fail "only $steady whole intervals while sending: $(cat "$WORK/slots")"
median=$(sed -n "$(((steady + 1) / 2))p" "$WORK/steady")
min=$(head -1 "$WORK/steady")
echo "steady intervals: $steady, flows per interval min $min, median $median," \
    "max $(tail -1 "$WORK/steady") (nominal $((2 * rate)))"
[ $((min * 2)) -ge "$median" ] || fail "an interval holds $min flows, the median $median: $(
    tr '\n' ' ' <"$WORK/slots")"
echo "ok: $flows flows over $(wc -l <"$WORK/slots") files, none lost across rotations"
