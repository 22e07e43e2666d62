#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# For every real nfdump file of the corpus (written by nfdump 1.6.25, 1.7.1 and 1.7.8 in each
# codec), flowdump prints exactly what nfdump 1.7.1 printed for it, for each recorded case
# that flowdump implements (MANIFEST.tsv lists the commands). Cases of features not built
# yet are counted as not run, never as passed. Known, documented deviations are listed in
# KNOWN with the reason (see docs/compatibility.md).
source "$(dirname "$0")/../e2e/lib.sh"
gen=$CORPUS/nffile/generated
[ -f "$gen/MANIFEST.tsv" ] || skip "no reference files at $gen"

# Files where some printed lines differ on purpose. Each differing line is classified by
# cause in tests/unit/output/corpus_test.cc and tests/unit/nffile/reader_corpus_test.cc
# (which fail on any unexplained line); here the line count must still agree. The causes:
#  - records holding both address families print the IPv4 one (nfdump 1.7.8's rule);
#  - NSEL/NAT records without flow times show the event time as first seen (1.7.8);
#  - csv nhb shows the BGP next hop where 1.7.1 repeats an IPv6 IP next hop;
#  - layout 1 NSEL records: 1.7.1 takes the ICMP type from the wrong field;
#  - layout 1 records storing a flow count of 0 list 1 flow (1.7.1 lists 0 but sorts 1);
#  - nfdump -w (nd178-*) blanked IPv6 elements that 1.7.1's csv then shows as "::".
known_reason() {
    case "$1:$2" in
        sf1625-v6agent:stat-*|sf1625-v6agent:agg-*)
            echo "corrupt 1.6.25 file: nfdump prints no statistics after the error, flowdump those of the records before it"
            return ;;
        nf1625-*:agg-*)
            echo "zero BGP next hop and router of IPv6 flows read from layout 1; packet and byte totals equal"
            return ;;
        nf*:agg-*|nd*:agg-*)
            echo "dual-family and event-time records keyed as in the listing; packet and byte totals equal"
            return ;;
    esac
    case "$1" in
        nf1625-*) echo "dual-family, event-time, nhb, layout 1 ICMP and flow count 0 lines" ;;
        nf171-*|nf178-*|nfcapd.current.*) echo "dual-family, event-time, nhb and layout 1 ICMP lines" ;;
        nd178-*) if [ "$2" = csv ]; then echo "csv nhb/dual-family lines"; fi ;;
    esac
}
# Cases compared (every case the reference set records).
implemented=" csv line long extended info salvaged-csv stat-srcip agg-srcip-dstip "

# The reference to hold flowdump's output against. nfdump 1.7.1 cannot read ZSTD files nor
# the blocks of unclosed files, where flowkit reads everything (docs/compatibility.md); there
# the expected text comes from the same flows in another file or from another version:
#  - X-zstd: 1.7.1's output for X-none, the same flows uncompressed from another collector
#    run, so the csv receive-time column (the last) is left out of that comparison;
#  - nfcapd.current.nf171: the csv 1.7.1 printed for a copy whose header was repaired;
#  - nfcapd.current.nf1625: the csv 1.6.25 printed (1.6.25 reads unclosed files; its csv is
#    byte-identical to 1.7.1's for every closed layout 1 file).
# Prints nothing when no reference exists for that case.
reference_for() {
    local source=$1 case=$2 output=$3
    case "$source" in
        sf*-zstd) ;;  # sFlow times are receive times: another run's file differs
        *-zstd)
            local plain=${source%-zstd}-none
            [ -f "$gen/$plain" ] || plain=nf178-none
            echo "$plain.1.7.1.$case.txt" ;;
        nfcapd.current.nf171)
            if [ "$case" = csv ]; then echo "nfcapd.current.nf171.1.7.1.salvaged-csv.txt"; fi ;;
        nfcapd.current.nf1625)
            if [ "$case" = csv ]; then echo "nfcapd.current.nf1625.1.6.25.csv.txt"; fi ;;
        *) echo "$output" ;;
    esac
}

# What must still agree where lines differ for a known reason: the line count, or for -A
# (whose rows regroup when a record's key differs) the packet and byte totals of all rows.
agrees_apart_from_known() {
    case "$1:$2" in
        sf1625-v6agent:*) [ ! -s "$WORK/ref" ] ;;
        *:agg-*)
            local totals='{ p += $12; b += $13 } END { print p + 0, b + 0 }'
            [ "$(awk -F, "$totals" "$WORK/out")" = "$(awk -F, "$totals" "$WORK/ref")" ] ;;
        *) [ "$(wc -l <"$WORK/out")" -eq "$(wc -l <"$WORK/ref")" ] ;;
    esac
}

pass=0 failed=0 notrun=0 known=0
while IFS=$'\t' read -r output source version case command status lines stderr_file; do
    [ "$output" = output ] && continue
    [ "$version" = 1.7.1 ] || continue  # the oracle is 1.7.1; other versions' text differs
    if [[ "$implemented" != *" $case "* ]]; then
        notrun=$((notrun + 1))
        continue
    fi
    [ "$case" = salvaged-csv ] && continue  # used as the reference of the unclosed file
    ref=$(reference_for "$source" "$case" "$output")
    if [ -z "$ref" ]; then
        notrun=$((notrun + 1))
        continue
    fi
    args=${command#nfdump }
    # shellcheck disable=SC2086
    (cd "$gen" && "$FLOWDUMP" $args) >"$WORK/out" 2>"$WORK/err" || true
    if [ "$ref" != "$output" ] && [ "$case" = csv ]; then
        sed -i 's/,[^,]*$//' "$WORK/out"
        sed 's/,[^,]*$//' "$gen/$ref" >"$WORK/ref"
    else
        cp "$gen/$ref" "$WORK/ref"
    fi
    # Statistics rows with equal values and -A rows come in hash-table order in nfdump
    # (docs/compatibility.md): those cases compare as sets of lines.
    case "$case" in
        stat-*|agg-*) sort -o "$WORK/out" "$WORK/out"; sort -o "$WORK/ref" "$WORK/ref" ;;
    esac
    if diff -q "$WORK/out" "$WORK/ref" >/dev/null; then
        pass=$((pass + 1))
    elif reason=$(known_reason "$source" "$case") && [ -n "$reason" ] &&
         agrees_apart_from_known "$source" "$case"; then
        known=$((known + 1))
        echo "known $output: $(diff "$WORK/out" "$WORK/ref" | grep -c '^<') lines differ ($reason)"
    else
        failed=$((failed + 1))
        echo "FAIL $output ($command; expected $ref)"
        diff "$WORK/out" "$WORK/ref" | head -8 || true
    fi
done <"$gen/MANIFEST.tsv"
echo "reference outputs: $pass passed, $failed failed, $known known deviations, $notrun not run (feature not built or no reference)"

# -I over several files: a file whose stat record has no first-seen time (0: its records
# carry none, as the NSEL records of nf171-none) does not pull the range's First to 1970
# (docs/compatibility.md); nfdump 1.7.1 prints First: 0 for the pair, either order.
mkdir -p "$WORK/info/ab" "$WORK/info/ba"
cp "$gen/sf171-none" "$WORK/info/ab/nfcapd.202612040000"
cp "$gen/nf171-none" "$WORK/info/ab/nfcapd.202612040005"
cp "$gen/nf171-none" "$WORK/info/ba/nfcapd.202612040000"
cp "$gen/sf171-none" "$WORK/info/ba/nfcapd.202612040005"
sf_first=$("$FLOWDUMP" -r "$gen/sf171-none" -I | grep -E '^(First|msec_first):')
for d in ab ba; do
    got=$("$FLOWDUMP" -R "$WORK/info/$d" -I | grep -E '^(First|msec_first):')
    if [ "$got" != "$sf_first" ]; then
        failed=$((failed + 1))
        echo "FAIL -I over $d: '$got', expected the first seen of sf171-none: '$sf_first'"
    fi
done
[ "$failed" -eq 0 ]
