#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A collector's stat record counts the records it stores, whatever flow count (v9/IPFIX
# element 3) a record carries: two v9 records, one of them carrying 1000 flows, give
# "Flows: 2" in the files of both flowcapd and Debian's nfcapd 1.7.1 (the listings' totals,
# which add the flow counts, say 1001 in both). flowdump -w, like nfdump -w, adds the flow
# counts instead (write_copy_test.sh).
source "$(dirname "$0")/../e2e/lib.sh"
need_nfdump

python3 - "$WORK" <<'PY'
import os, socket, struct, sys, time
out = sys.argv[1]
now = int(time.time())
def header(count, sequence):
    return struct.pack("!HHIIII", 9, count, 100000, now, sequence, 1)
# Template 256: addresses, protocol, bytes, packets, flow count (#3), first and last uptime.
fields = [(8, 4), (12, 4), (4, 1), (1, 4), (2, 4), (3, 4), (22, 4), (21, 4)]
template = struct.pack("!HH", 256, len(fields)) + b"".join(struct.pack("!HH", *f) for f in fields)
def record(src, proto, octets, packets, flows):
    return struct.pack("!4s4sBIIIII", socket.inet_aton(src), socket.inet_aton("198.51.100.1"),
                       proto, octets, packets, flows, 90000, 99000)
body = record("192.0.2.1", 6, 5000, 10, 1000) + record("192.0.2.2", 17, 300, 3, 1)
body += b"\0" * (-(len(body) + 4) % 4)
with open(os.path.join(out, "template.bin"), "wb") as f:
    f.write(header(1, 0) + struct.pack("!HH", 0, 4 + len(template)) + template)
with open(os.path.join(out, "data.bin"), "wb") as f:
    f.write(header(2, 1) + struct.pack("!HH", 256, 4 + len(body)) + body)
PY
[ -s "$WORK/data.bin" ] || fail "the datagrams were not written"

d1=$WORK/flowcapd
d2=$WORK/nfcapd
p1=$(free_port)
start_collector fk "$d1" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d1" -t 3600
p2=$(free_port)
start_collector nf "$d2" "$p2" nfcapd -b 127.0.0.1 -p "$p2" -w "$d2" -t 3600
"$FLOWKIT_SEND" --to "127.0.0.1:$p1" --to "127.0.0.1:$p2" "$WORK/template.bin" \
    "$WORK/data.bin" 2>"$WORK/send.log" || fail "flowsend failed: $(cat "$WORK/send.log")"
stop_collector fk
stop_collector nf

for who in flowcapd nfcapd; do
    nfdump -R "$WORK/$who" -I 2>/dev/null | grep -E '^Flows' >"$WORK/$who.stat"
done
grep -qx 'Flows: 2' "$WORK/nfcapd.stat" ||
    fail "nfcapd's stat record: $(tr '\n' ' ' <"$WORK/nfcapd.stat")"
diff "$WORK/nfcapd.stat" "$WORK/flowcapd.stat" >"$WORK/stat.diff" ||
    fail "flowcapd's stat record counts flows otherwise than nfcapd's: $(cat "$WORK/stat.diff")"
grep -q 'Flows: 2,' "$WORK/fk.log" ||
    fail "flowcapd's log line: $(grep 'Flows:' "$WORK/fk.log")"
for who in flowcapd nfcapd; do
    total=$("$FLOWDUMP" -R "$WORK/$who" | grep -o 'total flows: [0-9]*')
    [ "$total" = "total flows: 1001" ] || fail "flowdump's summary of $who's file: $total"
done
echo PASS
