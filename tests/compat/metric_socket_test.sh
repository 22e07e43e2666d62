#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# -m against the oracle: Debian's nfcapd and flowcapd get the same v5 datagrams (5 flows of
# TCP, UDP, ICMP, ESP and ICMPv6 from 127.0.0.1 engine 5/9, then 2 from 127.0.0.2 engine
# 0/0, which must not change the record's exporter id), each with its metric socket; their
# messages must agree (prefix, sizes, ident, exporter id, the counters summed) in everything
# but the time stamp, the uptime and the interval field (nfcapd sends once a minute with interval 60; see
# docs/compatibility.md). Takes up to about 70 s: nfcapd sends on the minute.
source "$(dirname "$0")/../e2e/lib.sh"
need_nfdump
command -v python3 >/dev/null || skip "python3 is needed for the listeners and the sender"

# listen SOCKET OUT: appends the hex of every message to OUT, in the background.
listen() {
    python3 "$(dirname "$0")/../tools/metric_listener.py" "$1" "$2" 150 &
    STARTED_PIDS+=("$!")
    for _ in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.05; done
    fail "listener on $1 did not start"
}

# send_v5 PORT SRC ENGINE_TYPE ENGINE_ID PROTO...
send_v5() {
    python3 - "$@" <<'EOF'
import socket, struct, sys, time
port, src, etype, eid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
protos = [int(p) for p in sys.argv[5:]]
recs = b"".join(struct.pack("!IIIHHIIIIHHBBBBHHBBH", 0x0a000001 + i, 0x0a000101, 0, 1, 2,
                            10 + i, 1000 * (i + 1), 1000, 2000, 1000 + i, 80, 0, 0x12, p,
                            0, 0, 0, 24, 24, 0) for i, p in enumerate(protos))
hdr = struct.pack("!HHIIIIBBH", 5, len(protos), 5000, int(time.time()), 0, 0, etype, eid, 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.sendto(hdr + recs, ("127.0.0.1", port))
EOF
}

# summary FILE: once the messages hold 7 flows in all, the header and record fields of the
# first one with flows, with the counters summed over all messages (a send that straddles an
# interval boundary splits them): "prefix size count | ident exporter_id counters..."
summary() {
    python3 - "$1" <<'EOF'
import struct, sys
first, sums = None, [0] * 12
for line in open(sys.argv[1]):
    d = bytes.fromhex(line.strip())
    prefix, size, count, _ = struct.unpack_from("<HHHH", d, 0)
    for i in range(count):
        r = 24 + 232 * i
        vals = struct.unpack_from("<13Q", d, r + 128)
        sums = [a + b for a, b in zip(sums, vals[1:])]
        if first is None and sum(vals[1:]):
            first = "%#x %d %d | %s %#x" % (prefix, size, count,
                                           d[r:r + 128].split(b"\0")[0].decode(), vals[0])
if first is not None and sum(sums[:4]) == 7:
    print(first, " ".join(map(str, sums)))
EOF
}

listen "$WORK/nf.sock" "$WORK/nf.txt"
listen "$WORK/fk.sock" "$WORK/fk.txt"
nf_port=$(free_port)
fk_port=$(free_port)
start_collector nf "$WORK/nf" "$nf_port" nfcapd -b 127.0.0.1 -p "$nf_port" -w "$WORK/nf" \
    -I edge -m "$WORK/nf.sock"
start_collector fk "$WORK/fk" "$fk_port" "$FLOWCAPD" -b 127.0.0.1 -p "$fk_port" \
    -w "$WORK/fk" -I edge -m "$WORK/fk.sock" -i 10
for port in "$nf_port" "$fk_port"; do
    send_v5 "$port" 127.0.0.1 5 9 6 17 1 50 58
    send_v5 "$port" 127.0.0.2 0 0 6 17
done

nf=""
fk=""
for _ in $(seq 1 300); do
    [ -f "$WORK/nf.txt" ] && nf=$(summary "$WORK/nf.txt")
    [ -f "$WORK/fk.txt" ] && fk=$(summary "$WORK/fk.txt")
    [ -n "$nf" ] && [ -n "$fk" ] && break
    sleep 0.25
done
[ -n "$nf" ] || fail "no message with flows from nfcapd"
[ -n "$fk" ] || fail "no message with flows from flowcapd"
[ "$nf" = "$fk" ] || fail "messages differ: nfcapd '$nf', flowcapd '$fk'"
# And what both said is what was sent.
[ "$fk" = "0x140 232 1 | edge 0x10509 2 2 2 1 2000 4000 8000 4000 20 22 26 13" ] ||
    fail "unexpected message: $fk"
stop_collector fk
stop_collector nf
echo "ok: flowcapd's -m message equals nfcapd 1.7.1's: $fk"
