#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd -R: a collector repeating every datagram to a second collector on 127.0.0.1;
# both must store the same flows. Also the -R refusals (more than 8, its own port).
source "$(dirname "$0")/lib.sh"

port_a=$(free_port)
port_b=$(free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
start_collector b "$WORK/b" "$port_b" "$FLOWCAPD" -b 127.0.0.1 -p "$port_b" -w "$WORK/b"
start_collector a "$WORK/a" "$port_a" "$FLOWCAPD" -b 127.0.0.1 -p "$port_a" -w "$WORK/a" \
    -R "127.0.0.1/$port_b"
grep -q "Add packet repeater: 127.0.0.1/$port_b" "$WORK/a.log" || fail "no repeater line"
for v in 5 9 10; do
    "$FLOWKIT_SEND" --to "127.0.0.1:$port_a" --sample "$v" --seed "$v" --flows 200 \
        2>>"$WORK/send.log"
done
stop_collector a
stop_collector b

# Flow contents (not the exporter or receive time: b's exporter is a's repeater socket).
flows() {
    "$FLOWDUMP" -R "$1" -q -N -o 'fmt:%ts %te %pr %sa %sp %da %dp %pkt %byt %flg' |
        grep -v '^No matching' | sort
}
flows "$WORK/a" >"$WORK/a.txt"
flows "$WORK/b" >"$WORK/b.txt"
n=$(grep -c . "$WORK/a.txt" || true)
[ "$n" = 600 ] || fail "the repeating collector stored $n flows, expected 600"
cmp -s "$WORK/a.txt" "$WORK/b.txt" ||
    fail "the collectors differ: $(diff "$WORK/a.txt" "$WORK/b.txt" | head -5)"

refuse() {
    local what=$1
    shift
    local rc=0
    "$FLOWCAPD" -b 127.0.0.1 -w "$WORK/a" "$@" >"$WORK/refuse.log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1: $(cat "$WORK/refuse.log")"
}
nine=()
for i in $(seq 1 9); do nine+=(-R "127.0.0.1/$((port_b + i))"); done
refuse "nine repeaters" -p "$port_a" "${nine[@]}"
grep -q "Too many packet repeaters! Max: 8 repeaters allowed" "$WORK/refuse.log" ||
    fail "nine repeaters: $(cat "$WORK/refuse.log")"
refuse "own port" -p "$port_a" -R "127.0.0.1/$port_a"
grep -q "is this collector's own port" "$WORK/refuse.log" ||
    fail "own port: $(cat "$WORK/refuse.log")"
refuse "bad port" -p "$port_a" -R "127.0.0.1/70000"
echo "ok: -R repeats every datagram; $n flows stored by both collectors"
