#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd receives datagrams of every size whole: IPFIX messages of 93 bytes to 65,488 (the
# largest UDP payload over IPv4 that an IPFIX length can give), sent in bursts that mix short
# and long ones, so that one recvmmsg call gets several datagrams longer than the slot they
# are received into (1,536 bytes at first, at most 16 KiB) and the assembled ones share a
# batch with those left in place. A second collector gets every datagram through -R. Both
# must store every flow with its own byte count: a truncated message is refused whole by the
# IPFIX decoder (its length exceeds the datagram), a badly assembled one decodes to other
# values.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to build the IPFIX messages"

# One template (id 256: sourceIPv4Address, destinationIPv4Address, octetDeltaCount,
# packetDeltaCount, protocolIdentifier, sourceTransportPort, destinationTransportPort,
# flowStartSeconds, flowEndSeconds; 29 bytes a record) and one data set per message, so a
# message of N records is 64 + 29 N bytes. Record k of the file has source 10.0.k/16 + k,
# octetDeltaCount 1000 + k and 1 packet.
python3 - "$WORK/sizes.ipfix" <<'PY' >"$WORK/expected"
import struct, sys, time
fields = [(8, 4), (12, 4), (1, 4), (2, 4), (4, 1), (7, 2), (11, 2), (150, 4), (151, 4)]
template = struct.pack("!HH", 256, len(fields)) + b"".join(struct.pack("!HH", *f) for f in fields)
template_set = struct.pack("!HH", 2, 4 + len(template)) + template
now = int(time.time())
# Records per message: short ones (93 and 1,398 bytes) around ones past 1,536, 4 KiB, 9 KiB,
# 16 KiB, then 64,995 and 65,488 bytes.
counts = [1, 46, 46, 51, 46, 136, 308, 46, 600, 2239, 46, 2256, 1, 46, 2239, 2239, 46]
out = bytearray()
k = flows = octets = 0
for rnd in range(8):
    for seq, n in enumerate(counts):
        data = bytearray()
        for _ in range(n):
            data += struct.pack("!IIIIBHHII", 0x0A000000 + k, 0xC0000201, 1000 + k, 1, 17,
                                1024 + k % 60000, 53, now - 20, now - 10)
            octets += 1000 + k
            k += 1
        data_set = struct.pack("!HH", 256, 4 + len(data)) + data
        length = 16 + len(template_set) + len(data_set)
        assert length <= 65507
        out += struct.pack("!HHIII", 10, length, now, rnd * len(counts) + seq, 7)
        out += template_set + data_set
        flows += n
open(sys.argv[1], "wb").write(out)
print(flows, octets)
PY
read -r want_flows want_bytes <"$WORK/expected"

port_a=$(free_port)
port_b=$(free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
start_collector b "$WORK/b" "$port_b" "$FLOWCAPD" -b 127.0.0.1 -p "$port_b" -w "$WORK/b" \
    -B 16777216
start_collector a "$WORK/a" "$port_a" "$FLOWCAPD" -b 127.0.0.1 -p "$port_a" -w "$WORK/a" \
    -B 16777216 -R "127.0.0.1/$port_b"
# No gap between datagrams: the bursts reach the collector's socket together.
"$FLOWKIT_SEND" --to "127.0.0.1:$port_a" --gap-us 0 "$WORK/sizes.ipfix" 2>"$WORK/send.log" ||
    fail "flowsend: $(cat "$WORK/send.log")"
sleep 0.5
stop_collector a
stop_collector b

for c in a b; do
    summary=$("$FLOWDUMP" -R "$WORK/$c" -I)
    flows=$(echo "$summary" | sed -n 's/^Flows: *\([0-9]*\)$/\1/p')
    bytes=$(echo "$summary" | sed -n 's/^Bytes: *\([0-9]*\)$/\1/p')
    [ "$flows" = "$want_flows" ] ||
        fail "collector $c stored ${flows:-no} flows of $want_flows: $(grep -i drop "$WORK/$c.log")"
    [ "$bytes" = "$want_bytes" ] || fail "collector $c stored $bytes bytes, expected $want_bytes"
done
if grep -qi "truncated\|dropped" "$WORK/a.log"; then
    fail "collector a: $(grep -i "truncated\|dropped" "$WORK/a.log")"
fi
echo "ok: $want_flows flows in datagrams of 93 to 65,488 bytes stored by both collectors"
