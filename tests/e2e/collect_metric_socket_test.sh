#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd -m/-i: nfcapd's metric messages on a UNIX socket. A listener of our own decodes
# every message (layout in tools/capd/metric_socket.h, observed from nfcapd 1.7.1) and the
# counts must be those of the v5 flows sent: 5 flows (TCP, UDP, ICMP, ESP, ICMPv6: nfcapd
# 1.7.1 counts protocol 58 as ICMP too) from engine 5/9, then 2 more (TCP, UDP), each in the
# interval it arrived in. Also -i's limits and wording.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the listener and the sender"

dir=$WORK/flows
mkdir -p "$dir"

# --- option checks ---
for bad in 5 9 0 -1 abc ''; do
    if out=$("$FLOWCAPD" -w "$dir" -p 1 -i "$bad" 2>&1); then fail "-i '$bad' accepted"; fi
    [ "$out" = "metric interval < 10s not allowed" ] || fail "-i '$bad': $out"
done
# Larger values than the message holds are taken (nfcapd takes them too), as 65535 s.
port0=$(free_port)
start_collector big "$WORK/flows0" "$port0" "$FLOWCAPD" -b 127.0.0.1 -p "$port0" \
    -w "$WORK/flows0" -t 70000 -i 70000
stop_collector big
grep -q "metric interval 70000 s above 65535 s: 65535 s used" "$WORK/big.log" ||
    fail "-i 70000: $(cat "$WORK/big.log")"
long=$(printf 'x%.0s' $(seq 1 120))
if out=$("$FLOWCAPD" -w "$dir" -p 1 -m "$WORK/$long" 2>&1); then fail "a long -m path accepted"; fi
echo "$out" | grep -q "a UNIX socket path of 1..107 bytes" || fail "-m long: $out"

# --- the listener: one line per message, "hex" of its bytes ---
sock=$WORK/metric.sock
python3 "$(dirname "$0")/../tools/metric_listener.py" "$sock" "$WORK/messages.txt" 90 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "listener did not start"

port=$(free_port)
start_collector m "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -I edge \
    -m "$sock" -i 10

# send_v5 PROTO... : one v5 datagram from 127.0.0.1, engine type 5 id 9, a flow per protocol;
# the i-th flow has 10+i packets and 1000*(i+1) bytes.
send_v5() {
    python3 - "$port" "$@" <<'EOF'
import socket, struct, sys, time
port, protos = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
recs = b"".join(struct.pack("!IIIHHIIIIHHBBBBHHBBH", 0x0a000001 + i, 0x0a000101, 0, 1, 2,
                            10 + i, 1000 * (i + 1), 1000, 2000, 1000 + i, 80, 0, 0x12, p,
                            0, 0, 0, 24, 24, 0) for i, p in enumerate(protos))
hdr = struct.pack("!HHIIIIBBH", 5, len(protos), 5000, int(time.time()), 0, 0, 5, 9, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.sendto(hdr + recs, ("127.0.0.1", port))
EOF
}

# decode: every message as "count interval ts_ms | ident exporter flows*4 bytes*4 packets*4 |
# ..." after checking the prefix and sizes.
decode() {
    python3 - "$WORK/messages.txt" <<'EOF'
import struct, sys
for line in open(sys.argv[1]):
    d = bytes.fromhex(line.strip())
    prefix, size, count, interval = struct.unpack_from("<HHHH", d, 0)
    ts, uptime = struct.unpack_from("<QQ", d, 8)
    assert prefix == 0x140, "prefix %#x" % prefix
    assert size == 232 * count and len(d) == 24 + size, "sizes %d %d %d" % (size, count, len(d))
    out = ["%d %d %d" % (count, interval, ts)]
    for i in range(count):
        r = 24 + 232 * i
        ident = d[r:r + 128].split(b"\0")[0].decode()
        vals = struct.unpack_from("<13Q", d, r + 128)
        out.append("%s %#x %s" % (ident, vals[0], " ".join(map(str, vals[1:]))))
    print(" | ".join(out))
EOF
}

# wait_for PATTERN: until a decoded message matches (at most 35 s: 10-s interval).
wait_for() {
    for _ in $(seq 1 140); do
        [ -f "$WORK/messages.txt" ] && decode | grep -q -- "$1" && return 0
        sleep 0.25
    done
    fail "no message matching '$1': $(decode 2>&1)"
}

send_v5 6 17 1 50 58
wait_for "edge 0x10509 1 1 2 1 "
first=$(decode | grep -- "edge 0x10509 1 1 2 1 " | head -1)
echo "$first" | grep -Eq '^1 10 [0-9]+ \| edge 0x10509 1 1 2 1 1000 2000 8000 4000 10 11 26 13$' ||
    fail "first message: $first"
ts=$(echo "$first" | cut -d' ' -f3)
[ $((ts % 10000)) = 0 ] || fail "time stamp $ts is not on a 10-s boundary"
now_ms=$(($(date +%s) * 1000))
if [ $((now_ms - ts)) -gt 40000 ] || [ $((ts - now_ms)) -gt 2000 ]; then
    fail "time stamp $ts, now $now_ms"
fi

# The next interval holds only what came in it.
send_v5 6 17
wait_for "edge 0x10509 1 1 0 0 1000 2000 0 0 10 11 0 0"
# An idle interval still sends the source, with zeros.
wait_for "edge 0x10509 0 0 0 0 0 0 0 0 0 0 0 0"
# shellcheck disable=SC2154  # PID_m is set by start_collector
kill -0 "$PID_m" || fail "flowcapd died"
stop_collector m
# Nothing counted twice or lost: the sums of all messages are the stored flows.
sums=$(decode | sed 's/.*| edge 0x10509 //' | awk '{for (i = 1; i <= 12; i++) s[i] += $i}
    END {for (i = 1; i <= 12; i++) printf "%d ", s[i]; print ""}')
[ "$sums" = "2 2 2 1 2000 4000 8000 4000 20 22 26 13 " ] || fail "sums: $sums"
stored=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$stored" = 7 ] || fail "stored $stored flows, expected 7"

# A socket nobody listens on: logged, collection goes on.
port2=$(free_port)
start_collector n "$WORK/flows2" "$port2" "$FLOWCAPD" -b 127.0.0.1 -p "$port2" \
    -w "$WORK/flows2" -m "$WORK/nobody.sock"
# The collector tries the socket after its start-up line, so wait for the message.
for _ in $(seq 1 100); do
    grep -q "metric socket '$WORK/nobody.sock' unreachable" "$WORK/n.log" && break
    sleep 0.05
done
grep -q "metric socket '$WORK/nobody.sock' unreachable" "$WORK/n.log" || fail "$(cat "$WORK/n.log")"
stop_collector n
echo "ok: -m sends nfcapd's metric messages with the counts of each interval"
