#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Debian's pmacct 1.7.7 (pmacctd with its nfprobe plugin) against flowcapd and nfcapd 1.7.1
# (issue 4), on every capture of ../shared/corpus/pcap-traffic. pmacctd reads the file
# (pcap_savefile) and exits at its end, its nfprobe plugins exporting NetFlow v5, v9 and
# IPFIX. A plugin has one receiver, and two plugins stamp their own export times (v5 flows
# then come out up to 1 ms apart), so each plugin sends to a datagram tee on 127.0.0.1 that hands
# the same bytes to a flowcapd and an nfcapd. Their stored flows must be identical, field for
# field, and hold every IP packet of the capture with its IP length (v5: IPv4 only).
# Known, asserted difference (docs/compatibility.md): nfcapd 1.7.1's v9 decoder shows the
# ICMP and ICMPv6 type/code pmacct puts in the destination port as 0.0; flowcapd keeps it,
# and its v9 flows must equal its IPFIX flows, which nfcapd decodes alike.
source "$(dirname "$0")/lib.sh"
command -v pmacctd >/dev/null || skip "Debian's pmacct is not installed (scripts/setup.sh)"
source "$(dirname "$0")/exporters_lib.sh"

# tee PORT DEST...: forwards every datagram received on 127.0.0.1:PORT to each DEST
# (host:port); on SIGTERM it forwards what is still queued, logs the count and exits.
cat >"$TOOLS/tee.py" <<'PY'
import signal
import socket
import sys

stop = False

def on_term(*_):
    global stop
    stop = True

signal.signal(signal.SIGTERM, on_term)
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
rx.bind(('127.0.0.1', int(sys.argv[1])))
rx.settimeout(0.05)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.bind(('127.0.0.1', 0))
dests = [(a.rsplit(':', 1)[0], int(a.rsplit(':', 1)[1])) for a in sys.argv[2:]]
n = 0
while True:
    try:
        datagram = rx.recv(65535)
    except socket.timeout:
        if stop:
            break
        continue
    for dest in dests:
        tx.sendto(datagram, dest)
    n += 1
print(f'tee: {n} datagrams', flush=True)
PY

# start_tee TAG PORT DEST...: the tee, as collector teeTAG.
start_tee() {
    local tag=$1 port=$2
    shift 2
    start_collector "tee$tag" "$WORK/tee$tag" "$port" python3 "$TOOLS/tee.py" "$port" "$@" 9>&-
}

VERSIONS=(5 9 10)

# One capture: one pmacctd, its nfprobe plugins exporting v5, v9 and IPFIX, each through a
# tee to its own flowcapd and nfcapd.
pmacct_capture() {
    local pcap=$1 name=$2 d=$3 v rc tee_port expected icmp
    capture_counts "$pcap"
    # Expiry checks only at the end: flows are cut by the end of the file alone, the same
    # way in every plugin.
    cat >"$d/pmacctd.conf" <<CONF
daemonize: false
pcap_savefile: $pcap
pcap_savefile_wait: false
plugins: nfprobe[v5], nfprobe[v9], nfprobe[v10]
nfprobe_timeouts: expint=604800
CONF
    for v in "${VERSIONS[@]}"; do
        start_pair "$v" "$d"
        {
            flock 9
            tee_port=$(free_port)
            start_tee "$v" "$tee_port" "127.0.0.1:$FK_PORT" "127.0.0.1:$NF_PORT"
        } 9>"$TOOLS/ports.lock"
        printf 'nfprobe_version[v%s]: %s\nnfprobe_receiver[v%s]: 127.0.0.1:%s\n' \
            "$v" "$v" "$v" "$tee_port" >>"$d/pmacctd.conf"
    done
    # pmacctd exits 1 instead of 0 when it finds its plugins gone before it has noticed the
    # end of the file (logging "no more plugins active"; seen once); any other end fails.
    rc=0
    timeout 120 pmacctd -f "$d/pmacctd.conf" >"$d/pmacctd.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && grep -q "no more plugins active" "$d/pmacctd.log"; } ||
        fail "$name: pmacctd exited with $rc: $(tail "$d/pmacctd.log")"
    ! grep -E "ERROR" "$d/pmacctd.log" || fail "$name: pmacctd reported errors"
    sleep 0.3
    for v in "${VERSIONS[@]}"; do
        stop_collector "tee$v"
        grep -q "^tee: [0-9]* datagrams" "$WORK/tee$v.log" || fail "$name: tee v$v failed"
    done
    sleep 0.3
    for v in "${VERSIONS[@]}"; do
        expected=$IP
        [ "$v" != 5 ] || expected=$IP4
        check_pair "$name v$v" "$v" "$d" "$expected"
        if [ "$v" = 9 ]; then
            # The one difference: nfcapd's v9 ICMP/ICMPv6 destination port is 0.0.
            tr -d ' ' <"$d/fk9.txt" |
                awk -F'|' -v OFS='|' '$3 == 1 || $3 == 58 { $7 = "0.0" } 1' | sort >"$d/fk9.icmp0"
            diff <(tr -d ' ' <"$d/nf9.txt" | sort) "$d/fk9.icmp0" >"$d/9.diff" ||
                fail "$name v9: nfcapd and flowcapd differ: $(head "$d/9.diff")"
        else
            same_flows "$name v$v" "$v" "$d"
        fi
    done
    diff "$d/fk9.txt" "$d/fk10.txt" >"$d/9-10.diff" ||
        fail "$name: flowcapd's v9 and IPFIX flows differ: $(head "$d/9-10.diff")"
    icmp=$(awk -F'|' '($3 + 0 == 1 || $3 + 0 == 58) && $7 + 0 != 0' "$d/fk9.txt" | wc -l)
    echo "$FLOWS" >"$d/flows"
    echo "$name: v5 ${IP4% *} packets, v9 and IPFIX $FLOWS flows of ${IP% *} packets" \
        "($icmp ICMP flows with a type/code nfcapd's v9 decoder drops)"
}

run_captures pmacct_capture
[ "$TOTAL_FLOWS" -gt 0 ] || fail "pmacct exported no flows"
echo "ok: $TOTAL_FLOWS flows of pmacct stored alike by flowcapd and nfcapd"
