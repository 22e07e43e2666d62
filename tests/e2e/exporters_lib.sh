# SPDX-License-Identifier: BSD-2-Clause
# Shared part of exporter_fprobe_test.sh and exporter_pmacct_test.sh: a real exporter reads
# the captures of ../shared/corpus/pcap-traffic and exports NetFlow over 127.0.0.1 to a
# flowcapd and to Debian's nfcapd 1.7.1 at once; both must store the same flows, and as many
# packets and bytes as the capture holds for the exporter. Sourced after lib.sh.

need_corpus
PCAPS=$CORPUS/pcap-traffic
[ -d "$PCAPS" ] || skip "no pcap-traffic captures in $CORPUS"
need_nfdump
command -v python3 >/dev/null || skip "python3 is not installed"

# Every field a v1/v5/v7/v9/IPFIX record of these exporters can carry.
FMT='fmt:%ts|%te|%pr|%sa|%sp|%da|%dp|%pkt|%byt|%flg|%tos|%in|%out|%sas|%das|%smk|%dmk|%nh|%ra'
dump() { "$FLOWDUMP" -R "$1" -q -6 -N -o "$FMT" | sed '/^No matching flows/d'; }

TOOLS=$WORK
TESTS_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

# What the capture holds, read from the file itself: frames; then packets and bytes (the IP
# length field) of untagged IPv4 (what a pcap filter `ip` passes), of all IPv4 (VLAN tags
# skipped) and of all IPv4 and IPv6.
cat >"$TOOLS/ipcount.py" <<'EOF'
import struct
import sys

from capture_frames import frames  # tests/tools, on PYTHONPATH

n = 0
count = {'plain4': [0, 0], 'ip4': [0, 0], 'ip': [0, 0]}
for link, f, _ in frames(sys.argv[1]):
    n += 1
    if link == 1:        # Ethernet
        et, off = struct.unpack('>H', f[12:14])[0], 14
    elif link == 113:    # Linux cooked
        et, off = struct.unpack('>H', f[14:16])[0], 16
    else:
        sys.exit(f'{sys.argv[1]}: link type {link}: no expected counts, teach ipcount.py')
    outer = et
    while et in (0x8100, 0x88a8) and len(f) >= off + 4:
        et, off = struct.unpack('>H', f[off + 2:off + 4])[0], off + 4
    if et == 0x0800:
        length = struct.unpack('>H', f[off + 2:off + 4])[0]
    elif et == 0x86dd:
        length = 40 + struct.unpack('>H', f[off + 4:off + 6])[0]
    else:
        continue
    kinds = ['ip'] + (['ip4'] if et == 0x0800 else []) + (['plain4'] if outer == 0x0800 else [])
    for k in kinds:
        count[k][0] += 1
        count[k][1] += length
print(n, *count['plain4'], *count['ip4'], *count['ip'])
EOF

# capture_counts PCAP: sets FRAMES, PLAIN4 / IP4 / IP ("packets bytes").
capture_counts() {
    local c p4 b4 i4 j4 ip ib
    c=$(PYTHONPATH="$TESTS_TOOLS" python3 "$TOOLS/ipcount.py" "$1") || fail "$(basename "$1"): cannot count its packets"
    read -r FRAMES p4 b4 i4 j4 ip ib <<<"$c"
    PLAIN4="$p4 $b4"
    IP4="$i4 $j4"
    IP="$ip $ib"
}

# run_captures FUNC: runs FUNC PCAP NAME DIR for every capture, three at a time (the
# exporters mostly wait on their own timers). Each runs in a subshell whose $WORK is DIR, so
# collector logs and PIDs stay apart, and whose EXIT trap stops what it started; ports are
# picked and bound under a lock (fd 9, which the started processes do not inherit). The
# outputs are printed in order; a failed capture fails the test. Sets TOTAL_FLOWS from the
# FLOWS each FUNC writes to DIR/flows.
run_captures() {
    local fn=$1 pcap name pids=() names=() i failed=()
    for pcap in "$PCAPS"/*; do
        name=$(basename "$pcap")
        mkdir -p "$WORK/$name"
        (
            WORK=$WORK/$name
            STARTED_PIDS=()
            trap 'exit 143' TERM
            trap 'for p in "${STARTED_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
            "$fn" "$pcap" "$name" "$WORK"
        ) >"$WORK/$name/out" 2>&1 &
        pids+=($!)
        names+=("$name")
        STARTED_PIDS+=($!)
        while [ "$(jobs -rp | wc -l)" -ge 3 ]; do sleep 0.1; done
    done
    TOTAL_FLOWS=0
    for i in "${!pids[@]}"; do
        if wait "${pids[$i]}"; then
            TOTAL_FLOWS=$((TOTAL_FLOWS + $(cat "$WORK/${names[$i]}/flows")))
        else
            failed+=("${names[$i]}")
        fi
        cat "$WORK/${names[$i]}/out"
    done
    [ ${#failed[@]} -eq 0 ] || fail "failed on: ${failed[*]}"
}

# start_pair TAG DIR: a flowcapd (fkTAG) and an nfcapd (nfTAG) on free 127.0.0.1 ports,
# storing into DIR/fkTAG and DIR/nfTAG; their ports in FK_PORT and NF_PORT.
start_pair() {
    local tag=$1 d=$2
    {
        flock 9
        FK_PORT=$(free_port)
        start_collector "fk$tag" "$d/fk$tag" "$FK_PORT" \
            "$FLOWCAPD" -b 127.0.0.1 -p "$FK_PORT" -w "$d/fk$tag" -t 300 9>&-
        NF_PORT=$(free_port)
        start_collector "nf$tag" "$d/nf$tag" "$NF_PORT" \
            nfcapd -b 127.0.0.1 -p "$NF_PORT" -w "$d/nf$tag" -t 300 9>&-
    } 9>"$TOOLS/ports.lock"
}

# totals LOG: flows, packets, bytes, sequence errors and bad packets summed over a
# collector's "Ident:" lines (one per file closed: a run may cross a rotation).
totals() {
    awk '/^Ident:/ {gsub(",", ""); n++; f += $4; p += $6; b += $8; s += $11; x += $14}
        END {if (n) print f, p, b, s, x}' "$1"
}

# check_pair WHAT TAG DIR EXPECTED: stops the pair, then checks that neither counted a
# sequence error or a bad packet, that both report the same totals, and that flowcapd stored
# EXPECTED ("packets bytes"). Leaves the sorted listings in DIR/fkTAG.txt and DIR/nfTAG.txt
# and the number of flows in FLOWS.
check_pair() {
    local what=$1 tag=$2 d=$3 expected=$4 fk nf got
    stop_collector "fk$tag"
    stop_collector "nf$tag"
    fk=$(totals "$WORK/fk$tag.log")
    nf=$(totals "$WORK/nf$tag.log")
    [ -n "$fk" ] && [ -n "$nf" ] || fail "$what: no totals logged"
    [[ $nf == *" 0 0" ]] || fail "$what: nfcapd counted errors: $(cat "$WORK/nf$tag.log")"
    ! grep -v "^Ident:" "$WORK/nf$tag.log" | grep -iE "error|unknown|corrupt|skip" ||
        fail "$what: nfcapd complained"
    [ "$fk" = "$nf" ] || fail "$what: flowcapd logged '$fk', nfcapd '$nf'"
    dump "$d/fk$tag" | sort >"$d/fk$tag.txt"
    dump "$d/nf$tag" | sort >"$d/nf$tag.txt"
    FLOWS=$(wc -l <"$d/fk$tag.txt")
    [ "${fk%% *}" = "$FLOWS" ] || fail "$what: flowdump lists $FLOWS flows, flowcapd logged $fk"
    got=$(awk -F'|' '{p += $8; b += $9} END {print p + 0, b + 0}' "$d/fk$tag.txt")
    [ "$got" = "$expected" ] ||
        fail "$what: stored packets/bytes $got, the capture holds $expected"
}

# same_flows WHAT TAG DIR: the two listings are identical.
same_flows() {
    local what=$1 tag=$2 d=$3
    diff "$d/nf$tag.txt" "$d/fk$tag.txt" >"$d/$tag.diff" ||
        fail "$what: nfcapd and flowcapd store different flows: $(head "$d/$tag.diff")"
}

# Per flow key (protocol, addresses, ports, ToS), packets and bytes summed: what two runs
# of one exporter share when their times and flow boundaries may differ.
# Keyed by the five-tuple only: when the machine is busy fprobe splits a flow at other
# packets from run to run, and each part carries the ToS of its own first packet.
per_key() {
    awk -F'|' -v OFS='|' '{k = $3 "|" $4 "|" $5 "|" $6 "|" $7; p[k] += $8; b[k] += $9}
        END {for (k in p) print k, p[k], b[k]}' "$1" | tr -d ' ' | sort
}
