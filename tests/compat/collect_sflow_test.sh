#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every sFlow capture and payload of the corpus (groups G67-G80), group by group, is sent over
# UDP on 127.0.0.1 to flowcapd and to Debian's sfcapd 1.7.1 at once. Then:
#  1. the flows both stored are the same: nfdump's csv of both directories, sorted, without
#     the three time columns (sFlow records take the collector's clock) and with the ICMP
#     difference below taken out;
#  2. flowdump prints exactly what nfdump prints for -o line, long and csv on both
#     directories (the timing line excepted), and flowdump's listings of the two directories
#     agree once times are masked, except for the groups named in ICMP_GROUPS;
#  3. flowcapd started under the name sfcapd listens on 6343 by default.
# Deliberate differences (docs/compatibility.md, "sFlow"):
#  - ICMP: sfcapd 1.7.1 stores the ICMP type in the source port and the code in the
#    destination port (printed as "8 -> 0.0"), and stores no type/code for ICMPv6; flowcapd
#    stores type << 8 | code in the destination port as for NetFlow ("0 -> 8.0"). Step 1
#    rewrites sfcapd's ICMP ports the same way and ignores the ports of ICMPv6 rows.
#  - sfcapd 1.7.1 marks IPv6 sFlow records with the event flag (0x01); flowcapd does not (as
#    sfcapd 1.7.8). No listing format compared here shows the flag.
#  - Sequence numbers: sfcapd 1.7.1 counts no sequence failures; flowcapd counts gaps per
#    agent (-I "Sequence failures"). The corpus datagrams of each agent are in sequence.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
command -v sfcapd >/dev/null || skip "Debian's nfdump-sflow package (sfcapd) is not installed"

ICMP_GROUPS=" G70 G71 G77 G79 "

# Everything both collectors store the same way: csv without ts, te (columns 1-2) and the
# receive time (last); sfcapd's ICMP ports rewritten to type << 8 | code, ICMPv6 ports blank.
csv_rows() {
    local who=$1 dir=$2
    nfdump -R "$dir" -o csv -q 2>/dev/null | sed '/^No matching flows/d' |
        awk -F, -v OFS=, -v who="$who" '{
            if ($8 == "ICMP" && who == "sfcapd") { $7 = $6 * 256 + $7; $6 = 0 }
            if ($8 == "ICMP6") { $6 = "-"; $7 = "-" }
            $1 = ""; $2 = ""; $NF = ""; print }' | sort
}

# A listing with every date-time masked, and the summary's three averages. All three depend on
# the time between the first and the last datagram's arrival, which differs between the two
# collectors: bps and pps divide by it, and bpp is printed as 0 when it is under a
# millisecond (both datagrams' records in the same millisecond). Step 2 holds the averages
# exactly, against nfdump on the same files.
masked() {
    local stamp='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{3})?)?'
    strip_timing | sed -E -e "s/$stamp/TIME/g" \
        -e 's/avg bps: [^,]*, avg pps: [^,]*, avg bpp: [^,]*$/avg bps: -, avg pps: -, avg bpp: -/' \
        -e 's/^([0-9]+,[0-9]+,[0-9]+),[0-9]+,[0-9]+,[0-9]+$/\1,-,-,-/'
}

# Each collector run below must write a single file: a run crossing a rotation boundary
# splits its records into two files, and where the split falls can differ between the two
# collectors (it depends on when each one reads and rotates), so their listings' "Bytes
# read" lines differ, as would the reference's. Runs take a second or two: they collect with
# -t 3600 and start outside the last 20 s of an hour.
clear_of_hour() {
    while [ $(($(date +%s) % 3600)) -ge 3580 ]; do sleep 1; done
}

groups=$(awk -F'\t' '!/^#/ && ($2 ~ /(^|\/)sflow\//) {print $1}' "$CORPUS/groups.tsv" | uniq)
[ -n "$groups" ] || fail "no sflow groups in $CORPUS/groups.tsv"
failures=0
checked=0
for g in $groups; do
    mapfile -t files < <(awk -F'\t' -v g="$g" -v c="$CORPUS" '$1 == g {print c "/" $2}' \
        "$CORPUS/groups.tsv")
    d1=$WORK/$g/flowcapd
    d2=$WORK/$g/sfcapd
    clear_of_hour
    p1=$(free_port)
    start_collector fk "$d1" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d1" -t 3600
    p2=$(free_port)
    start_collector sf "$d2" "$p2" sfcapd -b 127.0.0.1 -p "$p2" -w "$d2" -t 3600
    "$FLOWKIT_SEND" --to "127.0.0.1:$p1" --to "127.0.0.1:$p2" "${files[@]}" 2>"$WORK/send.log" ||
        fail "$g: flowsend failed: $(cat "$WORK/send.log")"
    stop_collector fk
    stop_collector sf

    problems=()
    notes=()
    csv_rows flowcapd "$d1" >"$WORK/fk.csv"
    csv_rows sfcapd "$d2" >"$WORK/sf.csv"
    if ! diff "$WORK/fk.csv" "$WORK/sf.csv" >"$WORK/$g.csv.diff"; then
        n=$(grep -c '^[<>]' "$WORK/$g.csv.diff")
        problems+=("stored flows differ from sfcapd's ($n lines)")
    fi
    for fmt in line long csv; do
        for dir in "$d1" "$d2"; do
            name=$(basename "$dir")
            "$FLOWDUMP" -R "$dir" -o "$fmt" >"$WORK/fk.out" 2>"$WORK/fk.err" || true
            nfdump -R "$dir" -o "$fmt" >"$WORK/nf.out" 2>/dev/null || true
            strip_timing <"$WORK/fk.out" >"$WORK/fk.txt"
            strip_timing <"$WORK/nf.out" >"$WORK/nf.txt"
            diff "$WORK/fk.txt" "$WORK/nf.txt" >"$WORK/$g.$fmt.$name.diff" ||
                problems+=("flowdump -o $fmt differs from nfdump on $name's files")
        done
        "$FLOWDUMP" -R "$d1" -o "$fmt" 2>/dev/null | masked >"$WORK/fk.txt" || true
        "$FLOWDUMP" -R "$d2" -o "$fmt" 2>/dev/null | masked >"$WORK/sf.txt" || true
        if ! diff "$WORK/fk.txt" "$WORK/sf.txt" >"$WORK/$g.$fmt.listing.diff"; then
            if [[ "$ICMP_GROUPS" == *" $g "* ]] &&
                [ "$(wc -l <"$WORK/fk.txt")" -eq "$(wc -l <"$WORK/sf.txt")" ]; then
                notes+=("-o $fmt: ICMP type/code in the destination port (sfcapd: 8 -> 0.0)")
            else
                problems+=("flowdump -o $fmt prints flowcapd's and sfcapd's files differently")
            fi
        fi
    done
    checked=$((checked + 1))
    if [ ${#problems[@]} -eq 0 ]; then
        echo "ok   $g (${#files[@]} files, $(wc -l <"$WORK/fk.csv") flows)"
        for n in "${notes[@]}"; do echo "       deliberate: $n"; done
    else
        failures=$((failures + 1))
        echo "FAIL $g: ${problems[*]}"
        for f in "$WORK/$g".*.diff; do
            if [ -s "$f" ]; then
                echo "--- $(basename "$f")"
                head -20 "$f"
            fi
        done
    fi
done

# sFlow v4 and v2 (RFC 3176): the corpus has no capture of them, so sflow_v2v4.py writes
# datagrams of each version. Both collectors must store the same flows; flowdump must print
# both collectors' files as nfdump does. sfcapd 1.7.1 drops the rest of a v4/v2 datagram after
# a counters sample (docs/compatibility.md), so flowcapd alone gets v4-counters.bin: eight
# flow samples between counters samples of every counter block version, all to be stored.
python3 "$(dirname "$0")/sflow_v2v4.py" "$WORK" || fail "sflow_v2v4.py failed"
d1=$WORK/v2v4/flowcapd
d2=$WORK/v2v4/sfcapd
clear_of_hour
p1=$(free_port)
start_collector fk "$d1" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d1" -t 3600
p2=$(free_port)
start_collector sf "$d2" "$p2" sfcapd -b 127.0.0.1 -p "$p2" -w "$d2" -t 3600
"$FLOWKIT_SEND" --to "127.0.0.1:$p1" --to "127.0.0.1:$p2" "$WORK/v4-flows.bin" \
    "$WORK/v2-flows.bin" 2>"$WORK/send.log" ||
    fail "v2/v4: flowsend failed: $(cat "$WORK/send.log")"
stop_collector fk
stop_collector sf
# The second sample of each datagram is sampled_ipv4 packet data, whose addresses sfcapd
# 1.7.1 does not store (0.0.0.0) and flowcapd does (docs/compatibility.md): masked here.
csv_rows flowcapd "$d1" | sed 's/,10\.1\.1\.1,10\.2\.2\.2,/,0.0.0.0,0.0.0.0,/' |
    sort >"$WORK/fk.csv"
csv_rows sfcapd "$d2" >"$WORK/sf.csv"
checked=$((checked + 1))
if [ "$(wc -l <"$WORK/sf.csv")" -ne 4 ]; then
    failures=$((failures + 1))
    echo "FAIL sFlow v4/v2: sfcapd stored $(wc -l <"$WORK/sf.csv") flows of 4"
elif ! diff "$WORK/fk.csv" "$WORK/sf.csv" >"$WORK/v2v4.csv.diff"; then
    failures=$((failures + 1))
    echo "FAIL sFlow v4/v2: stored flows differ from sfcapd's"
    head -20 "$WORK/v2v4.csv.diff"
else
    for dir in "$d1" "$d2"; do
        "$FLOWDUMP" -R "$dir" -o long 2>/dev/null | strip_timing >"$WORK/fk.txt" || true
        nfdump -R "$dir" -o long 2>/dev/null | strip_timing >"$WORK/nf.txt" || true
        diff "$WORK/fk.txt" "$WORK/nf.txt" >"$WORK/v2v4.long.diff" ||
            { failures=$((failures + 1)); echo "FAIL sFlow v4/v2: -o long on $dir"; }
    done
    echo "ok   sFlow v4/v2 (4 flows of two datagrams, as sfcapd stores them)"
fi
d3=$WORK/v2v4/counters
p3=$(free_port)
start_collector fkc "$d3" "$p3" "$FLOWCAPD" -b 127.0.0.1 -p "$p3" -w "$d3" -t 3600
"$FLOWKIT_SEND" --to "127.0.0.1:$p3" "$WORK/v4-counters.bin" 2>"$WORK/send.log" ||
    fail "v4 counters: flowsend failed: $(cat "$WORK/send.log")"
stop_collector fkc
n=$("$FLOWDUMP" -R "$d3" -q -o csv | grep -vc '^No matching' || true)
checked=$((checked + 1))
if [ "$n" -eq 8 ]; then
    echo "ok   sFlow v4 flow samples after counters samples of every block version (8 flows)"
else
    failures=$((failures + 1))
    echo "FAIL sFlow v4 with counters samples: $n flows stored of 8"
fi

# The reference files: nffile/generated/sf171-none is sfcapd 1.7.1's file for the sFlow part of
# input-mix.pcap, sf171-v6agent for G75 alone, both replayed with the corpus's replay.py
# (sources 127.0.1.1, ...). flowcapd gets the same replays; flowdump must print its files as
# nfdump 1.7.1 printed sfcapd's, dates masked, every differing line an ICMP/ICMP6 line (the
# difference above).
generated=$CORPUS/nffile/generated
replay=$CORPUS/../tools/replay.py
references=("sf171-none $generated/input-mix.pcap"
    "sf171-v6agent $CORPUS/sflow/tcpdump__sflow-print-v6.pcap")
for ref in "${references[@]}"; do
    read -r name capture <<<"$ref"
    if [ ! -f "$generated/$name.1.7.1.line.txt" ] || [ ! -f "$replay" ]; then
        echo "note: $generated/$name or $replay missing; $name was not compared"
        continue
    fi
    d=$WORK/$name/flowcapd
    clear_of_hour
    p=$(free_port)
    start_collector ref "$d" "$p" "$FLOWCAPD" -b 127.0.0.1 -p "$p" -w "$d" -t 3600
    python3 "$replay" --port "$p" --dport 6343 --pps 1000 "$capture" >"$WORK/replay.log" 2>&1 ||
        fail "replay.py failed: $(cat "$WORK/replay.log")"
    stop_collector ref
    for fmt in line long extended csv; do
        "$FLOWDUMP" -R "$d" -q -o "$fmt" 2>&1 | masked >"$WORK/ref.fk"
        masked <"$generated/$name.1.7.1.$fmt.txt" >"$WORK/ref.txt"
        diff "$WORK/ref.fk" "$WORK/ref.txt" >"$WORK/$name.$fmt.diff" || true
        other=$(grep '^[<>]' "$WORK/$name.$fmt.diff" | grep -c -v 'ICMP' || true)
        icmp=$(grep -c '^<' "$WORK/$name.$fmt.diff" || true)
        lines=$(wc -l <"$WORK/ref.txt")
        if [ "$other" -ne 0 ] || [ "$(wc -l <"$WORK/ref.fk")" -ne "$lines" ]; then
            failures=$((failures + 1))
            echo "FAIL $name -o $fmt: flowcapd's file prints differently"
            head -20 "$WORK/$name.$fmt.diff"
        else
            echo "ok   $name -o $fmt ($lines lines, $icmp ICMP lines differ)"
        fi
    done
done

# sfcapd's command line: started under that name, flowcapd listens on 6343 without -p. When
# another program holds the port, flowcapd's bind fails; that is reported and not checked
# (the port is not tested first: it could be taken between the test and the bind).
mkdir -p "$WORK/bin" "$WORK/sfname"
ln -s "$FLOWCAPD" "$WORK/bin/sfcapd"
"$WORK/bin/sfcapd" -b 127.0.0.1 -w "$WORK/sfname" -t 300 >"$WORK/sfname-probe.log" 2>&1 &
sfname_pid=$!
STARTED_PIDS+=("$sfname_pid")
for _ in $(seq 1 200); do
    grep -qF "Startup flowcapd." "$WORK/sfname-probe.log" && break
    kill -0 "$sfname_pid" 2>/dev/null || break
    sleep 0.05
done
if grep -q "port 6343: Address already in use" "$WORK/sfname-probe.log"; then
    wait "$sfname_pid" || true
    echo "note: port 6343 is in use here; the sfcapd-name default port was not checked"
else
    grep -qF "Startup flowcapd." "$WORK/sfname-probe.log" ||
        fail "flowcapd started as sfcapd did not start: $(cat "$WORK/sfname-probe.log")"
    ss -Hlun "sport = :6343" 2>/dev/null | grep -q . ||
        fail "flowcapd started as sfcapd is not bound to 127.0.0.1:6343"
    eval "PID_sfname=$sfname_pid"
    eval "PORT_sfname=6343"
    "$FLOWKIT_SEND" --to 127.0.0.1:6343 "$CORPUS/sflow/akvorado__data-1140.pcap" ||
        fail "flowsend to 6343 failed"
    stop_collector sfname
    n=$("$FLOWDUMP" -R "$WORK/sfname" -o csv -q | wc -l)
    [ "$n" -eq 5 ] || fail "flowcapd started as sfcapd on its default port 6343: $n flows, want 5"
    echo "ok   flowcapd started as sfcapd listens on 6343"
fi

echo "$checked groups checked, $failures failed"
[ "$failures" -eq 0 ]
