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

# "<output file>" -> reason for an expected difference.
declare -A KNOWN=()
# Cases flowdump implements; the others (stat-srcip, agg-srcip-dstip) belong to statistics
# and aggregation.
implemented=" csv line long extended info salvaged-csv "

pass=0 failed=0 notrun=0 known=0
while IFS=$'\t' read -r output source version case command status lines stderr_file; do
    [ "$output" = output ] && continue
    [ "$version" = 1.7.1 ] || continue  # the oracle is 1.7.1; other versions' text differs
    if [[ "$implemented" != *" $case "* ]]; then
        notrun=$((notrun + 1))
        continue
    fi
    args=${command#nfdump }
    # shellcheck disable=SC2086
    (cd "$gen" && "$FLOWDUMP" $args) >"$WORK/out" 2>"$WORK/err" || true
    if diff -q "$WORK/out" "$gen/$output" >/dev/null; then
        pass=$((pass + 1))
    elif [ -n "${KNOWN[$output]:-}" ]; then
        known=$((known + 1))
        echo "known $output: ${KNOWN[$output]}"
    else
        failed=$((failed + 1))
        echo "FAIL $output ($command)"
        diff "$WORK/out" "$gen/$output" | head -8
    fi
done <"$gen/MANIFEST.tsv"
echo "reference outputs: $pass passed, $failed failed, $known known deviations, $notrun not run (feature not built)"
[ "$failed" -eq 0 ]
