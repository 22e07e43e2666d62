#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump reads, filters and counts on two threads when the result cannot depend on the
# record order (-o null, element statistics, short filtered listings). Its output must be
# byte for byte what the serial loop prints: the same run with a -c limit that is never
# reached takes the serial loop. Uncompressed (mapped) and LZ4 files, several files, a
# time window, listings formatted on both threads, record numbers (%cnt) and json (records
# kept, printed after the join), a listing too long to keep, and a damaged file
# (where the two-thread scan gives up and the serial loop reports the damage).
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
port=$(free_port)
start_collector cap "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 7 --flows 80000 --gap-us 20 \
    2>/dev/null || fail "flowsend failed"
stop_collector cap
n=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$n" -ge 40000 ] || skip "only $n flows collected on this loaded machine"

# The largest file: a run crossing an hour boundary leaves two.
file=$(ls -S "$dir"/nfcapd.* | head -1)
mkdir -p "$WORK/two" "$WORK/lz4"
cp "$file" "$WORK/two/nfcapd.202601010000"
cp "$file" "$WORK/two/nfcapd.202601010005"
"$FLOWDUMP" -r "$file" -y -w "$WORK/lz4/nfcapd.202601010000" || fail "writing the LZ4 copy failed"
blocks=$("$FLOWDUMP" -v "$file" | awk '/^Type 3 blocks/ { print $NF }')
[ "${blocks:-0}" -ge 4 ] || fail "the test file holds ${blocks:-0} blocks, need 4 or more"
# A copy cut inside its data blocks: both loops must report the same damage.
cut=$WORK/cut/nfcapd.202601010000
mkdir -p "$WORK/cut"
head -c $(($(stat -c %s "$file") * 2 / 3)) "$file" >"$cut"

window=$("$FLOWDUMP" -r "$file" -q -o 'fmt:%ts' -c 20000 | tail -1 | awk '{ print $1 "." $2 }' |
    tr '-' '/' | cut -c1-19)

same() {  # same INPUT ARGS...: parallel and serial runs print the same and exit alike
    local input=$1
    shift
    local rc1=0 rc2=0
    "$FLOWDUMP" -R "$input" "$@" >"$WORK/p.out" 2>"$WORK/p.err" || rc1=$?
    "$FLOWDUMP" -R "$input" -c 999999999 "$@" >"$WORK/s.out" 2>"$WORK/s.err" || rc2=$?
    # The last summary line holds run times.
    sed -i '/^Sys: /d' "$WORK/p.out" "$WORK/s.out"
    [ "$rc1" = "$rc2" ] || fail "$input $*: exit $rc1 against $rc2 serially"
    cmp -s "$WORK/p.out" "$WORK/s.out" ||
        fail "$input $*: output differs from the serial loop ($(diff "$WORK/s.out" \
            "$WORK/p.out" | head -5))"
    cmp -s "$WORK/p.err" "$WORK/s.err" || fail "$input $*: messages differ"
}

for input in "$dir" "$WORK/two" "$WORK/lz4"; do
    same "$input" -o null
    same "$input" -s srcip/bytes -n 10
    same "$input" -s dstport:p/packets -s proto -s ip/flows -n 0
    same "$input" -s srcport/bytes -o csv 'proto udp'
    same "$input" -q -o line 'proto 132'
    same "$input" -o 'fmt:%cnt %ts %sa %da %dp %byt' 'proto tcp and dst port 443'
    same "$input" -o json 'port 53'
    same "$input" -t "$window" -s dstip -o null
    # Formatted on both threads, the text joined in block order.
    same "$input" -o line 'proto tcp and dst port 443'
    same "$input" -o extended 'port 53'
    same "$input" -o ndjson 'proto icmp'
    same "$input" -o pipe 'proto udp'
    same "$input" -q -o csv 'proto tcp or proto udp'
    same "$input" -o raw 'proto tcp or proto udp'  # more than are kept: the serial loop prints
done
# A listing formatted on both threads that cannot be written is an error with a message.
if [ -w /dev/full ]; then
    for input in "$dir" "$WORK/lz4"; do
        rc=0
        "$FLOWDUMP" -R "$input" -o line 'proto tcp' >/dev/full 2>"$WORK/err" || rc=$?
        [ "$rc" -eq 1 ] || fail "$input -o line 'proto tcp' to /dev/full: exit $rc, expected 1"
        grep -q "write error on standard output" "$WORK/err" ||
            fail "$input -o line 'proto tcp' to /dev/full: $(cat "$WORK/err")"
    done
fi
same "$WORK/cut" -o null
same "$WORK/cut" -s srcip
[ -s "$WORK/s.err" ] || fail "the cut file read without a message"
echo "ok: $n flows in $blocks blocks, two-thread and serial runs alike"
