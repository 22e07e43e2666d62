#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd -n and -C (static sources) and -M (dynamic sources), without the corpus: flowsend sends
# its sample v9 traffic from 127.0.0.10 and a hand-made two-flow v5 datagram from 127.0.0.11;
# each source directory must hold exactly its exporter's flows, and datagrams of a sender
# that is no source are counted and dropped.
source "$(dirname "$0")/lib.sh"

# Two v5 flows 10.0.0.1:12345/12346 -> 10.0.0.2:53 UDP (24-byte header, 48-byte records).
v5_record() {
    printf '\x0a\x00\x00\x01\x0a\x00\x00\x02\x00\x00\x00\x00\x00\x01\x00\x02'
    printf '\x00\x00\x00\x05\x00\x00\x01\x00\x00\x00\x0f\x00\x00\x00\x0f\x80'
    printf '%b' "$1"
    printf '\x00\x35\x00\x00\x11\x00\x00\x00\x00\x00\x18\x18\x00\x00'
}
{
    printf '\x00\x05\x00\x02\x00\x00\x10\x00\x69\x00\x00\x00\x00\x00\x00\x00'
    printf '\x00\x00\x00\x00\x00\x00\x00\x00'
    v5_record '\x30\x39'
    v5_record '\x30\x3a'
} >"$WORK/two.dat"

# send PORT: 300 v9 flows from 127.0.0.10, then the two v5 flows from 127.0.0.11.
send() {
    "$FLOWKIT_SEND" --to "127.0.0.1:$1" --sample 9 --seed 7 --flows 300 "$WORK/two.dat" \
        2>>"$WORK/send.log"
}

# flows DIR: the stored flows as "srcport,dstport,proto" lines, sorted.
flows() {
    "$FLOWDUMP" -R "$1" -q -o 'fmt:%sp,%dp,%pr' -N | tr -d ' ' | grep -v '^No matching' | sort
}

count() { flows "$1" | grep -c . || true; }

# ---- -n: two sources, each datagram to its own directory ----
port=$(free_port)
a=$WORK/n/a
b=$WORK/n/b
mkdir -p "$a" "$b"
start_collector n "$WORK/n" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" \
    -n "upstream1,127.0.0.10,$a" -n "upstream2,127.0.0.11,$b"
send "$port"
stop_collector n
[ "$(count "$a")" = 300 ] || fail "-n: $a holds $(count "$a") flows, expected 300"
[ "$(flows "$b" | tr '\n' ' ')" = "12345,53,17 12346,53,17 " ] ||
    fail "-n: $b holds: $(flows "$b")"
"$FLOWDUMP" -R "$a" -I | grep -qx 'Ident: upstream1' || fail "-n: ident of $a"
"$FLOWDUMP" -R "$b" -I | grep -qx 'Ident: upstream2' || fail "-n: ident of $b"
grep -q "Add flow source: ident: upstream2, IP: 127.0.0.11, flowdir: $b" "$WORK/n.log" ||
    fail "-n: no 'Add flow source' line: $(cat "$WORK/n.log")"

# ---- -n with a sender that is no source: counted and dropped ----
port=$(free_port)
c=$WORK/u/a
mkdir -p "$c"
# -I is ignored next to -n, as nfcapd ignores it.
start_collector u "$WORK/u" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -n "only,127.0.0.10,$c" \
    -I ignored
send "$port"
stop_collector u
[ "$(count "$c")" = 300 ] || fail "-n unknown: $c holds $(count "$c") flows, expected 300"
grep -q "Unknown flow source: '127.0.0.11'" "$WORK/u.log" || fail "-n: unknown sender not logged"
"$FLOWDUMP" -R "$c" -I | grep -qx 'Ident: only' || fail "-n: ident of $c with -I"
grep -q "Datagrams from unknown flow sources dropped: 1" "$WORK/u.log" ||
    fail "-n: unknown datagram not counted: $(cat "$WORK/u.log")"

# ---- -M: a directory per exporter, named after its address ----
port=$(free_port)
m=$WORK/m
start_collector m "$m" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -M "$m" -t 300
send "$port"
stop_collector m
[ "$(ls "$m" | tr '\n' ' ')" = "127-0-0-10 127-0-0-11 " ] || fail "-M made: $(ls "$m")"
[ "$(count "$m/127-0-0-10")" = 300 ] || fail "-M: 127-0-0-10 holds $(count "$m/127-0-0-10")"
[ "$(flows "$m/127-0-0-11" | tr '\n' ' ')" = "12345,53,17 12346,53,17 " ] ||
    fail "-M: 127-0-0-11 holds: $(flows "$m/127-0-0-11")"
"$FLOWDUMP" -R "$m/127-0-0-11" -I | grep -qx 'Ident: 127-0-0-11' || fail "-M: ident"
grep -q "Dynamically add source ident: 127-0-0-10 in directory: $m/127-0-0-10" "$WORK/m.log" ||
    fail "-M: no 'Dynamically add' line: $(cat "$WORK/m.log")"

# ---- -C: the same two sources from nfdump.conf's [nfcapd] exporter lines ----
port=$(free_port)
ca=$WORK/c/a
cb=$WORK/c/b
mkdir -p "$ca" "$cb"
cat >"$WORK/nfdump.conf" <<CONF
# sources of this collector
[nfdump]
fmt.mini = "%sa -> %da %byt"   # not flowcapd's business

[nfcapd]
exporter.upstream1 = ["127.0.0.10", "$ca"]
  exporter.upstream2 = [ "127.0.0.11" , "$cb" ]  # blanks and comments allowed
CONF
start_collector c "$WORK/c" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -C "$WORK/nfdump.conf"
send "$port"
stop_collector c
[ "$(count "$ca")" = 300 ] || fail "-C: $ca holds $(count "$ca") flows, expected 300"
[ "$(flows "$cb" | tr '\n' ' ')" = "12345,53,17 12346,53,17 " ] ||
    fail "-C: $cb holds: $(flows "$cb")"
"$FLOWDUMP" -R "$cb" -I | grep -qx 'Ident: upstream2' || fail "-C: ident of $cb"

# ---- refusals: -n with -w (as nfcapd), -n with -M, a bad address, one directory twice ----
refuse() {
    local what=$1
    shift
    local rc=0
    "$FLOWCAPD" -b 127.0.0.1 -p "$(free_port)" "$@" >"$WORK/refuse.log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "$what: exit $rc, expected 1: $(cat "$WORK/refuse.log")"
}
refuse "-n with -w" -n "x,127.0.0.10,$a" -w "$b"
refuse "-n with -M" -n "x,127.0.0.10,$a" -M "$m"
refuse "-n bad IP" -n "x,127.0.0.300,$a"
grep -q "'127.0.0.300' is not an IPv4 or IPv6 address" "$WORK/refuse.log" || fail "bad IP message"
refuse "-n missing dir" -n "x,127.0.0.10"
refuse "-n same dir" -n "x,127.0.0.10,$a" -n "y,127.0.0.11,$a"
refuse "-M missing dir" -M "$WORK/none"
# -J: only the refusals; joining a group would send IGMP off the loopback interface.
# (refuse passes -b 127.0.0.1.)
refuse "-J with -b" -J 239.255.0.1 -w "$a"
grep -q "ERROR, -b and -J are mutually exclusive" "$WORK/refuse.log" || fail "-J with -b message"
refuse "-J unicast" -J 127.0.0.1 -w "$a"
grep -q "ERROR, -J '127.0.0.1': not an IPv4 or IPv6 multicast address" "$WORK/refuse.log" ||
    fail "-J unicast message: $(cat "$WORK/refuse.log")"
refuse "-C missing file" -C "$WORK/none.conf"
grep -q "path does not exist: $WORK/none.conf" "$WORK/refuse.log" || fail "-C missing file message"
printf '[nfcapd]\nexporter.x = ["127.0.0.10"]\n' >"$WORK/bad.conf"
refuse "-C one item" -C "$WORK/bad.conf"
grep -q "bad.conf: the value of 'exporter.x' must be" "$WORK/refuse.log" ||
    fail "-C one item message: $(cat "$WORK/refuse.log")"
printf '[nfcapd]\nexpoter.x = ["127.0.0.10", "%s"]\n' "$a" >"$WORK/typo.conf"
refuse "-C typo" -C "$WORK/typo.conf"
grep -q "typo.conf: \[nfcapd\] expoter: expected exporter" "$WORK/refuse.log" ||
    fail "-C typo message: $(cat "$WORK/refuse.log")"
printf '[nfcapd]\nexporter.x = ["127.0.0.1O", "%s"]\n' "$a" >"$WORK/ip.conf"
refuse "-C bad IP" -C "$WORK/ip.conf"
grep -q "ip.conf: in exporter.x" "$WORK/refuse.log" ||
    fail "-C bad IP message: $(cat "$WORK/refuse.log")"
echo "ok: -n, -C and -M store each exporter's flows in its own directory"
