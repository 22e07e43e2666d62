#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every NetFlow v5, v9 and IPFIX capture of the corpus, replay group by replay group, is sent
# over UDP on 127.0.0.1 to flowcapd and to Debian's nfcapd at once. Then:
#  1. nfdump lists the same flows (sorted csv, receive time excepted) from both directories;
#  2. flowdump prints exactly what nfdump prints for -o line, long and csv on both
#     directories (the timing line excepted).
# Known nfcapd 1.7.1 defects where flowcapd stores a different, right value are listed in
# KNOWN_DIFFERENT with the reason; docs/compatibility.md describes each.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump

# Groups whose stored flows legitimately differ from nfcapd 1.7.1's (group -> reason).
declare -A KNOWN_DIFFERENT=()

# The csv columns both collectors fill the same way: everything but the receive time (last).
csv_rows() {
    nfdump -R "$1" -o csv -q 2>/dev/null | grep -v '^No matching flows' | rev | cut -d, -f2- | rev | sort
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
    sleep 0.3
    stop_collector fk
    stop_collector nf

    problems=()
    if ! diff <(csv_rows "$d1") <(csv_rows "$d2") >"$WORK/$g.csv.diff"; then
        problems+=("stored flows differ from nfcapd's ($(grep -c '^[<>]' "$WORK/$g.csv.diff") lines)")
    fi
    for dir in "$d1" "$d2"; do
        for fmt in line long csv; do
            "$FLOWDUMP" -R "$dir" -o "$fmt" >"$WORK/fk.out" 2>"$WORK/fk.err" || true
            nfdump -R "$dir" -o "$fmt" >"$WORK/nf.out" 2>/dev/null || true
            if ! diff <(strip_timing <"$WORK/fk.out") <(strip_timing <"$WORK/nf.out") \
                    >"$WORK/$g.$fmt.diff"; then
                problems+=("flowdump -o $fmt differs from nfdump on $(basename "$dir")'s files")
                cp "$WORK/$g.$fmt.diff" "$WORK/$g.$fmt.$(basename "$dir").diff"
            fi
        done
    done
    checked=$((checked + 1))
    if [ ${#problems[@]} -eq 0 ]; then
        echo "ok   $g (${#files[@]} files, $(csv_rows "$d1" | wc -l) flows)"
    elif [ -n "${KNOWN_DIFFERENT[$g]:-}" ]; then
        echo "known $g: ${KNOWN_DIFFERENT[$g]}"
    else
        failures=$((failures + 1))
        echo "FAIL $g: ${problems[*]}"
        for f in "$WORK/$g".*.diff; do
            [ -s "$f" ] && { echo "--- $(basename "$f")"; head -20 "$f"; }
        done
    fi
done
echo "$checked groups checked, $failures failed"
[ "$failures" -eq 0 ]
