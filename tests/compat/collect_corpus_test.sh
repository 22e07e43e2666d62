#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every NetFlow v5, v9 and IPFIX capture of the corpus, replay group by replay group, is sent
# over UDP on 127.0.0.1 to flowcapd and to Debian's nfcapd at once. Then:
#  1. nfdump lists the same flows (sorted csv, receive time excepted) from both directories;
#  2. flowdump prints exactly what nfdump prints for -o line, long and csv on both
#     directories (the timing line excepted).
# Where nfcapd 1.7.1 stores wrong values, flowcapd stores the right ones: those groups are
# listed in STORED_DIFFERENT with the reason, and their stored flows are held against
# tests/data/collect/<group>.csv (what nfdump prints for flowcapd's files), reviewed field by
# field against tshark's decoding (see tests/unit/wire/corpus_test.cc). Where flowdump prints
# a record differently from nfdump 1.7.1 on purpose, OUTPUT_DIFFERENT names the group, the
# directory and the reason, and only the line count must then agree. docs/compatibility.md
# describes each difference. FLOWKIT_UPDATE_GOLDEN=1 rewrites the expected files.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
golden_dir=$FLOWKIT_SOURCE_DIR/tests/data/collect

sampling="sampling rate from option data applied to the counters (nfcapd 1.7.1 ignores it)"
held="data sets sent before their template are held and decoded (nfcapd 1.7.1 drops them)"
dual="templates with both address families: one family per record, IPv4 kept (as nfdump 1.7.8 reads it)"
times="flow times nfcapd 1.7.1 leaves at 1970 or swaps (#150/#151, #154-#157, #160+#22, start-only flows, event times)"
fwd="IPFIX forwardingStatus (#89) stored (nfcapd 1.7.1 leaves it 0)"
declare -A STORED_DIFFERENT=(
    [G10]="$held; $sampling"
    [G11]="$times"
    [G12]="$sampling"
    [G13]="$dual"
    [G14]="$dual"
    [G16]="$sampling; ICMP type/code kept in the destination port"
    [G17]="$times"
    [G18]="$times"
    [G19]="$held"
    [G45]="$times"
    [G46]="$fwd; $sampling; next hop family"
    [G47]="$dual"
    [G49]="$fwd"
    [G50]="$dual"
    [G51]="$fwd; $sampling"
    [G52]="$fwd; $times; $dual"
    [G53]="$fwd; $times; $dual"
)
nhb="csv nhb column shows the BGP next hop where 1.7.1 repeats the IPv6 IP next hop"
event="NSEL/NAT records without flow times show the event time as first seen (nfdump 1.7.8)"
dualr="records holding both address families print the IPv4 one (nfdump 1.7.8)"
declare -A OUTPUT_DIFFERENT=(
    [G11:nfcapd]="$event"
    [G12:flowcapd]="$nhb" [G12:nfcapd]="$nhb"
    [G13:nfcapd]="$dualr"
    [G14:nfcapd]="$dualr"
    [G17:nfcapd]="$event"
    [G18:nfcapd]="$event"
    [G47:nfcapd]="$dualr"
    [G50:flowcapd]="$nhb" [G50:nfcapd]="$dualr; $nhb"
    [G51:flowcapd]="$nhb" [G51:nfcapd]="$nhb"
    [G52:flowcapd]="$nhb" [G52:nfcapd]="$dualr; $nhb"
    [G53:flowcapd]="$nhb" [G53:nfcapd]="$dualr; $nhb"
)

# The csv columns both collectors fill the same way: everything but the receive time (last).
csv_rows() {
    nfdump -R "$1" -o csv -q 2>/dev/null | sed '/^No matching flows/d' | rev | cut -d, -f2- | rev | sort
}

groups=$(awk -F'\t' '!/^#/ && ($2 ~ /^(netflow5|netflow9|ipfix)\//) {print $1}' "$CORPUS/groups.tsv" | uniq)
failures=0
checked=0
for g in $groups; do
    mapfile -t files < <(awk -F'\t' -v g="$g" -v c="$CORPUS" '$1 == g {print c "/" $2}' \
        "$CORPUS/groups.tsv")
    d1=$WORK/$g/flowcapd
    d2=$WORK/$g/nfcapd
    p1=$(free_port)
    start_collector fk "$d1" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d1" -t 300
    p2=$(free_port)
    start_collector nf "$d2" "$p2" nfcapd -b 127.0.0.1 -p "$p2" -w "$d2" -t 300
    "$FLOWKIT_SEND" --to "127.0.0.1:$p1" --to "127.0.0.1:$p2" "${files[@]}" 2>"$WORK/send.log" ||
        fail "$g: flowsend failed: $(cat "$WORK/send.log")"
    stop_collector fk
    stop_collector nf

    problems=()
    notes=()
    csv_rows "$d1" >"$WORK/fk.csv"
    if [ -n "${STORED_DIFFERENT[$g]:-}" ]; then
        notes+=("stored: ${STORED_DIFFERENT[$g]}")
        if [ -n "${FLOWKIT_UPDATE_GOLDEN:-}" ]; then
            mkdir -p "$golden_dir"
            cp "$WORK/fk.csv" "$golden_dir/$g.csv"
        fi
        if ! diff "$WORK/fk.csv" "$golden_dir/$g.csv" >"$WORK/$g.csv.diff" 2>&1; then
            problems+=("stored flows differ from tests/data/collect/$g.csv")
        fi
        # Whatever the reason, flowcapd never stores fewer flows than nfcapd.
        if [ "$(wc -l <"$WORK/fk.csv")" -lt "$(csv_rows "$d2" | wc -l)" ]; then
            problems+=("flowcapd stored fewer flows than nfcapd")
        fi
    elif ! diff "$WORK/fk.csv" <(csv_rows "$d2") >"$WORK/$g.csv.diff"; then
        problems+=("stored flows differ from nfcapd's ($(grep -c '^[<>]' "$WORK/$g.csv.diff") lines)")
    fi
    for dir in "$d1" "$d2"; do
        name=$(basename "$dir")
        for fmt in line long csv; do
            "$FLOWDUMP" -R "$dir" -o "$fmt" >"$WORK/fk.out" 2>"$WORK/fk.err" || true
            nfdump -R "$dir" -o "$fmt" >"$WORK/nf.out" 2>/dev/null || true
            strip_timing <"$WORK/fk.out" >"$WORK/fk.txt"
            strip_timing <"$WORK/nf.out" >"$WORK/nf.txt"
            if diff "$WORK/fk.txt" "$WORK/nf.txt" >"$WORK/$g.$fmt.$name.diff"; then
                continue
            fi
            reason=${OUTPUT_DIFFERENT[$g:$name]:-}
            if [ -n "$reason" ] && [ "$(wc -l <"$WORK/fk.txt")" -eq "$(wc -l <"$WORK/nf.txt")" ]; then
                notes+=("-o $fmt on $name's files: $reason")
            else
                problems+=("flowdump -o $fmt differs from nfdump on $name's files")
            fi
        done
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
echo "$checked groups checked, $failures failed"
[ "$failures" -eq 0 ]
