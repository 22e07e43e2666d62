#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -r FILE -w OUT [filter] copies the passed records of a 1.7 file as they are stored,
# every element with them, as nfdump -w does: Debian's nfdump 1.7.1 prints the same records
# from flowdump's copy as from its own, and the copies' stat records hold the same counters.
# Files with NSEL events (a first time of 0 stays 0) and
# elements flowkit only steps over show the difference to re-encoding the records.
# The copy's stat record ends at the records' last time (an NSEL event's time where the
# record has no flow times).
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
checked=0
for name in nf171-none nf171-lz4 nd178-lzo sf171-none; do
    src=$CORPUS/nffile/generated/$name
    [ -f "$src" ] || continue
    for filter in "" "proto tcp" "not proto udp"; do
        rm -f "$WORK/fk.nf" "$WORK/nf.nf"
        "$FLOWDUMP" -r "$src" -w "$WORK/fk.nf" $filter || fail "$name: flowdump -w $filter"
        nfdump -r "$src" -w "$WORK/nf.nf" $filter >/dev/null 2>&1 || fail "$name: nfdump -w"
        # Bytes read differ with a filter: nfdump also copies the exporter records of
        # exporters none of whose flows passed.
        nfdump -r "$WORK/nf.nf" -o raw 2>/dev/null | grep -v '^Sys:\|^Total flows' >"$WORK/nf.txt"
        nfdump -r "$WORK/fk.nf" -o raw 2>/dev/null | grep -v '^Sys:\|^Total flows' >"$WORK/fk.txt"
        [ "$(grep -c '^Flow Record' "$WORK/nf.txt")" -gt 0 ] || fail "$name: nothing written"
        diff "$WORK/nf.txt" "$WORK/fk.txt" >"$WORK/diff.txt" ||
            fail "$name [$filter]: nfdump reads other records from flowdump's copy:
$(head -20 "$WORK/diff.txt")"
        # The stat records' counters: nfdump -w adds each record's flow count and fills the
        # protocol buckets with in + out counters (unlike a collector's stat record).
        for f in nf fk; do
            nfdump -r "$WORK/$f.nf" -I 2>/dev/null | grep -E '^(Flows|Packets|Bytes)' \
                >"$WORK/$f.stat"
        done
        [ -s "$WORK/nf.stat" ] || fail "$name: nfdump -I printed no counters"
        diff "$WORK/nf.stat" "$WORK/fk.stat" >"$WORK/diff.txt" ||
            fail "$name [$filter]: the copies' stat records differ:
$(head -20 "$WORK/diff.txt")"
        # The copy's stat record ends at its last record's end, an NSEL event's time where
        # the record carries no flow times (flowkit shows those times; nfdump -w skips them).
        if [ -z "$filter" ]; then
            # Milliseconds as decimal strings (they may be near 2^64, past awk's doubles).
            want=$(nfdump -r "$src" -o raw 2>/dev/null | awk '
                function more(a, b) { return length(a) != length(b) ? length(a) > length(b) : a > b }
                function close_rec() { v = (l != "0" ? l : e); if (more(v, m)) m = v }
                BEGIN { m = "0" }
                /^Flow Record/ { if (n) close_rec(); n = 1; l = "0"; e = "0" }
                /^  last  / { l = $3 }
                /^  Event time/ { e = $4 }
                END { close_rec(); n = length(m)
                      if (n <= 3) print "0." substr("00" m, n); else
                      print substr(m, 1, n - 3) "." substr(m, n - 2) }')
            got=$(nfdump -r "$WORK/fk.nf" -I 2>/dev/null |
                awk '/^Last:/ { s = $2 } /^msec_last:/ { ms = $2 }
                     END { printf "%s.%03d", s, ms }')
            [ "$got" = "$want" ] || fail "$name: the copy's stat record ends at $got, not $want"
        fi
        checked=$((checked + 1))
    done
    echo "ok: $name"
done
[ "$checked" -gt 0 ] || skip "none of the 1.7 corpus files found"
echo PASS
