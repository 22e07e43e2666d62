#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Without any corpus: flowkit's sample NetFlow v5, v9 and IPFIX traffic goes over UDP on
# 127.0.0.1 to flowcapd, mixed with garbage and truncated datagrams; every generated flow
# must be stored, the garbage counted and skipped, and flowdump must read it all back.
source "$(dirname "$0")/lib.sh"

dir=$WORK/flows
port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 300 -I sample

expected=0
for v in 5 9 10; do
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample "$v" --seed "$v" --flows 300 2>>"$WORK/send.log"
    expected=$((expected + 300))
done
# Garbage: random bytes, a v5 header claiming 30 records with none, an IPFIX header whose
# length exceeds the datagram, a v9 set with length 0.
printf 'hello, this is not netflow' >"$WORK/garbage.bin"
printf '\x00\x05\x00\x1e\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00' >"$WORK/v5short.bin"
printf '\x00\x0a\x04\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01' >"$WORK/ipfixlong.bin"
printf '\x00\x09\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x01\x00\x00\x00' >"$WORK/v9zero.bin"
"$FLOWKIT_SEND" --to "127.0.0.1:$port" "$WORK/garbage.bin" "$WORK/v5short.bin" \
    "$WORK/ipfixlong.bin" "$WORK/v9zero.bin" 2>>"$WORK/send.log"
# The collector is still alive and still stores valid data after the garbage.
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 99 --flows 50 2>>"$WORK/send.log"
expected=$((expected + 50))
kill -0 "$PID_fk" || fail "flowcapd died on garbage"
stop_collector fk

[ -z "$(ls "$dir" | grep current)" ] || fail "nfcapd.current file left behind: $(ls "$dir")"
files=$(ls "$dir" | grep -cE '^nfcapd\.[0-9]{12}$') || true
[ "$files" -ge 1 ] || fail "no rotated file in $dir: $(ls "$dir")"

# csv with -q prints no header line, as nfdump 1.7.1
stored=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$stored" -eq "$expected" ] || fail "stored $stored flows, sent $expected"
grep -q "Bad Packets: [1-9]" "$WORK/fk.log" || fail "garbage was not counted: $(cat "$WORK/fk.log")"

info=$("$FLOWDUMP" -R "$dir" -I)
echo "$info" | grep -qx "Flows: $expected" || fail "-I says: $info"
echo "$info" | grep -qx "Ident: sample" || fail "-I ident: $info"

# Every stored flow is also read by Debian's nfdump, with the same count.
if command -v nfdump >/dev/null; then
    n=$(nfdump -R "$dir" -q -o csv | grep -vc '^No matching' || true)
    [ "$n" -eq "$expected" ] || fail "nfdump reads $n flows, expected $expected"
fi
echo "ok: $expected flows stored and read back; garbage counted"
