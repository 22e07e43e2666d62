#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A burst that follows a pause is stored whole. flowcapd's receiving thread naps between reads
# to gather datagrams; the nap once came from the time since the last read, so the first
# datagram after any pause brought the longest nap (50 ms) and the burst behind it overflowed
# a small receive buffer. Two bursts of 60,000 flows at 400,000 flows/s (about 21,000 datagrams
# a second, for 0.15 s), each after a pause of a second, into a 600,000-byte buffer (about 500
# such datagrams, 25 ms of the burst): before, each burst lost some 10,000 flows.
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
port=$(free_port)
start_collector capd "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 \
    -B 600000
for burst in 1 2; do
    sleep 1
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows 60000 --seed "$burst" \
        --rate 400000 2>"$WORK/send-$burst.log" || fail "flowsend failed"
done
stop_collector capd
rm -f "$dir/.nfstat"
flows=$("$FLOWDUMP" -R "$dir" -I | awk '/^Flows:/ { n += $2 } END { print n + 0 }')
[ "$flows" = 120000 ] || {
    cat "$WORK/capd.log" >&2
    fail "stored $flows of 120000 flows sent in two bursts after pauses"
}
echo "ok: both bursts stored whole (120000 flows)"
