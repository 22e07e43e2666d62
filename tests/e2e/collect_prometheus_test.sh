#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd --prometheus: GET /metrics on 127.0.0.1 shows the exact counters of known traffic
# (300 sample v9 flows from 127.0.0.10, a damaged v5 datagram from 127.0.0.11); garbage,
# oversized, unknown-path and silent clients get errors while the collector goes on storing
# flows; a non-loopback or malformed address is refused before start.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to speak raw HTTP"

# http HOST PORT REQUEST_BYTES_PY [HOLD_S]: sends the request (a Python bytes expression),
# prints the whole answer; HOLD_S keeps the connection silent that long first.
http() {
    python3 - "$1" "$2" "$3" "${4:-0}" <<'EOF'
import socket, sys, time
host, port, req, hold = sys.argv[1], int(sys.argv[2]), eval(sys.argv[3]), float(sys.argv[4])
s = socket.create_connection((host, port), timeout=10)
time.sleep(hold)
try:
    s.sendall(req)
except OSError:
    pass
out = b""
while True:
    try:
        d = s.recv(65536)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode("utf-8", "replace"))
EOF
}

# --- option checks: nothing starts ---
dir=$WORK/flows
mkdir -p "$dir"
for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 localhost:9108 '[::1]' '::1:9108' \
    '[::1]9108' 127.0.0.1:9x; do
    if out=$("$FLOWCAPD" -w "$dir" -p 1 --prometheus "$bad" 2>&1); then
        fail "--prometheus '$bad' accepted"
    fi
    echo "$out" | grep -qF -- "--prometheus '$bad'" || fail "--prometheus '$bad': $out"
done
if out=$("$FLOWCAPD" -w "$dir" -p 1 --prometheus 192.0.2.1:9108 2>&1); then
    fail "a non-loopback --prometheus address was accepted without --prometheus-allow-remote"
fi
echo "$out" | grep -q 'not a loopback address; add --prometheus-allow-remote' ||
    fail "non-loopback message: $out"

# --- a collector with the endpoint ---
# files_written_total must be 0: no rotation may fall inside the run. Files rotate at
# multiples of -t since the epoch, so with a week (-t 604800) the only boundary is Thursday
# 00:00 UTC; a run starting in the last two minutes before it waits for it to pass. (The run
# takes about 8 s: with the default 300 s about one run in forty crossed a boundary.)
while [ $((604800 - $(date +%s) % 604800)) -le 120 ]; do sleep 1; done
port=$(free_port)
mport=$(free_port)
start_collector p "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -I 'prom"q' \
    -t 604800 --prometheus "127.0.0.1:$mport"
for _ in $(seq 1 100); do
    ss -Hltn "sport = :$mport" 2>/dev/null | grep -q . && break
    sleep 0.05
done
grep -q "Prometheus metrics on http://127.0.0.1:$mport/metrics" "$WORK/p.log" ||
    fail "no startup line: $(cat "$WORK/p.log")"

# A v5 header announcing 2 records and carrying none.
{
    printf '\x00\x05\x00\x02\x00\x00\x10\x00\x69\x00\x00\x00'
    printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
} >"$WORK/short.dat"
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 3 --flows 300 "$WORK/short.dat" \
    2>>"$WORK/send.log"

# The counters reach the decoder within a second; scrape until they are all there.
scrape() { curl -sS --max-time 5 -D "$WORK/headers.txt" "http://127.0.0.1:$mport/metrics"; }
v9='ident="prom\\"q",exporter="127.0.0.10",version="9"'
for _ in $(seq 1 40); do
    scrape >"$WORK/m1.txt" || fail "scrape failed"
    grep -q "^flowcapd_exporter_flows_total{$v9,source_id=\"[0-9]*\"} 300$" "$WORK/m1.txt" &&
        grep -q '^flowcapd_datagrams_received_total ' "$WORK/m1.txt" &&
        grep -q 'exporter="127.0.0.11"' "$WORK/m1.txt" && break
    sleep 0.25
done
grep -q "^Content-Type: text/plain; version=0.0.4" "$WORK/headers.txt" ||
    fail "content type: $(cat "$WORK/headers.txt")"
grep -q "^HTTP/1.0 200 OK" "$WORK/headers.txt" || fail "status: $(cat "$WORK/headers.txt")"
m1=$(cat "$WORK/m1.txt")

# Exact values. The sample sender packs the 300 v9 flows into a known number of datagrams;
# the SIGUSR1 line of the same run says how many, and both must agree.
# shellcheck disable=SC2154  # PID_p is set by start_collector
kill -USR1 "$PID_p"
for _ in $(seq 1 50); do grep -q 'counters: unknown_source' "$WORK/p.log" && break; sleep 0.1; done
v9packets=$(grep -o "exporter 127.0.0.10 version 9 .*: packets [0-9]*" "$WORK/p.log" |
    sed 's/.*packets //')
# 300 sample v9 flows (seed 3) travel in 17 datagrams.
[ "$v9packets" = 17 ] || fail "SIGUSR1 packet count not 17: $(cat "$WORK/p.log")"
expect() {
    echo "$m1" | grep -qxF -- "$1" || fail "expected line '$1' in: $m1"
}
expect "# TYPE flowcapd_exporter_flows_total counter"
expect "# TYPE flowcapd_queue_batches gauge"
expect "flowcapd_datagrams_received_total $((v9packets + 1))"
expect "flowcapd_datagrams_dropped_total 0"
expect "flowcapd_unknown_source_datagrams_total 0"
expect 'flowcapd_source_datagrams_total{ident="prom\"q"} '"$((v9packets + 1))"
expect 'flowcapd_files_written_total{ident="prom\"q"} 0'
expect 'flowcapd_rotation_errors_total{ident="prom\"q"} 0'
expect 'flowcapd_exporter_packets_total{ident="prom\"q",exporter="127.0.0.11",version="5",source_id="0"} 1'
expect 'flowcapd_exporter_flows_total{ident="prom\"q",exporter="127.0.0.11",version="5",source_id="0"} 0'
expect 'flowcapd_exporter_decode_errors_total{ident="prom\"q",exporter="127.0.0.11",version="5",source_id="0"} 1'
expect 'flowcapd_exporter_decode_errors_by_kind_total{ident="prom\"q",exporter="127.0.0.11",version="5",source_id="0",error="records_truncated"} 1'
echo "$m1" | grep -qx "flowcapd_exporter_packets_total{$v9,source_id=\"[0-9]*\"} $v9packets" ||
    fail "v9 packets not $v9packets: $m1"
echo "$m1" | grep -qx "flowcapd_exporter_sequence_failures_total{$v9,source_id=\"[0-9]*\"} 0" ||
    fail "v9 sequence failures: $m1"
bytes=$(echo "$m1" | sed -n 's/^flowcapd_received_bytes_total //p')
# 17 v9 datagrams and the 24-byte v5 one.
[ "$bytes" = 22484 ] || fail "received bytes: $bytes, expected 22484"
# Every sample line is "name{labels} value" or "name value".
bad=$(echo "$m1" | grep -v '^# \(HELP\|TYPE\) ' | grep -Ev '^[a-z_]+(\{.*\})? [0-9]+$' || true)
[ -z "$bad" ] || fail "malformed lines: $bad"

# A second collector cannot take the same endpoint: it says why and does not start.
port2=$(free_port)
mkdir -p "$WORK/flows2"
if out=$("$FLOWCAPD" -b 127.0.0.1 -p "$port2" -w "$WORK/flows2" \
    --prometheus "127.0.0.1:$mport" 2>&1); then
    fail "a second collector started on a taken --prometheus port"
fi
echo "$out" | grep -q -- "--prometheus 127.0.0.1:$mport: Address already in use" ||
    fail "taken port: $out"

# --- hostile and wrong clients ---
# A silent client holds one connection; scrapes go on meanwhile and it gets 408 at the end.
http 127.0.0.1 "$mport" 'b""' 4 >"$WORK/silent.txt" &
silent=$!
sleep 0.3
scrape >/dev/null || fail "scrape failed while a silent client was connected"
r=$(http 127.0.0.1 "$mport" 'b"GARBAGE\r\n\r\n"')
echo "$r" | grep -q '^HTTP/1.0 400 ' || fail "garbage request: $r"
r=$(http 127.0.0.1 "$mport" 'b"GET /metrics HTTP/1.0\r\nX: " + b"A" * 100000')
echo "$r" | grep -q '^HTTP/1.0 431 ' || fail "oversized request: $r"
r=$(http 127.0.0.1 "$mport" 'b"GET /secret HTTP/1.0\r\n\r\n"')
echo "$r" | grep -q '^HTTP/1.0 404 ' || fail "unknown path: $r"
r=$(http 127.0.0.1 "$mport" 'b"POST /metrics HTTP/1.0\r\n\r\n"')
echo "$r" | grep -q '^HTTP/1.0 405 ' || fail "POST: $r"
r=$(http 127.0.0.1 "$mport" 'b"\x00\xff\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n"')
echo "$r" | grep -q '^HTTP/1.0 400 ' || fail "binary request: $r"
wait "$silent" || true
grep -q '^HTTP/1.0 408 ' "$WORK/silent.txt" || fail "silent client: $(cat "$WORK/silent.txt")"
# Many connections at once: the ones beyond the limit are closed, the collector is fine.
python3 - "$mport" <<'EOF'
import socket, sys
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) for _ in range(40)]
for c in conns:
    c.close()
EOF
kill -0 "$PID_p" || fail "flowcapd died under hostile clients"

# Collection went on throughout: 50 more flows, counted and stored.
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 4 --flows 50 2>>"$WORK/send.log"
for _ in $(seq 1 40); do
    scrape >"$WORK/m2.txt" || fail "scrape failed after the hostile clients"
    grep -q "^flowcapd_exporter_flows_total{$v9,source_id=\"[0-9]*\"} 350$" "$WORK/m2.txt" && break
    sleep 0.25
done
grep -q "^flowcapd_exporter_flows_total{$v9,source_id=\"[0-9]*\"} 350$" "$WORK/m2.txt" ||
    fail "flows after 50 more: $(grep flows_total "$WORK/m2.txt")"
stop_collector p
stored=$("$FLOWDUMP" -R "$dir" -q -o csv | grep -vc '^No matching' || true)
[ "$stored" = 350 ] || fail "stored $stored flows, expected 350"

# --- IPv6 loopback ---
if ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
    port6=$(free_port)
    mport6=$(free_port)
    start_collector p6 "$WORK/flows6" "$port6" "$FLOWCAPD" -b 127.0.0.1 -p "$port6" \
        -w "$WORK/flows6" --prometheus "[::1]:$mport6"
    for _ in $(seq 1 100); do
        ss -Hltn "sport = :$mport6" 2>/dev/null | grep -q . && break
        sleep 0.05
    done
    curl -sS --max-time 5 -g "http://[::1]:$mport6/metrics" | grep -qx 'flowcapd_datagrams_received_total 0' ||
        fail "IPv6 endpoint"
    stop_collector p6
fi
echo "ok: --prometheus serves exact counters, refuses bad clients and keeps collecting"
