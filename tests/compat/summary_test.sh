#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The summary block (totals, time window, "Total flows processed ... Bytes read") of
# flowdump -o null against nfdump 1.7.1 on every corpus file 1.7.1 reads, in every codec:
# "Bytes read" counts the decompressed bytes, so compressed files report what the
# uncompressed copy does. Files 1.7.1 cannot read (ZSTD, unclosed, the sFlow v6 agent file
# of 1.6.25) are left out.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
G=$CORPUS/nffile/generated
failures=0
checked=0
for f in "$G"/*; do
    name=${f##*/}
    case $name in
        *.txt|*.md|*.tsv|*.pcap|*zstd*|nfcapd.current.*|sf1625-v6agent) continue ;;
    esac
    for filter in "" "proto udp"; do
        nfdump -r "$f" -o null $filter 2>/dev/null | grep -av '^Sys:' >"$WORK/n.txt" || true
        "$FLOWDUMP" -r "$f" -o null $filter 2>/dev/null | grep -av '^Sys:' >"$WORK/f.txt" || true
        if ! diff "$WORK/n.txt" "$WORK/f.txt" >"$WORK/d.txt"; then
            echo "DIFF: $name $filter"; head -6 "$WORK/d.txt"; failures=$((failures + 1))
        fi
        checked=$((checked + 1))
    done
done
[ "$checked" -ge 40 ] || fail "only $checked comparisons: corpus incomplete?"
grep -q "Bytes read: [1-9]" "$WORK/f.txt" || fail "no Bytes read in: $(cat "$WORK/f.txt")"
[ "$failures" -eq 0 ] || fail "$failures of $checked summaries differ"
echo "PASS ($checked summaries)"
