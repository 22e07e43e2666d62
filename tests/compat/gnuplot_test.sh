#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -g against nfdump 1.7.1: one line per file, the time from the file's name
# (with or without seconds), the counts from its stat record (zeros for an unclosed file),
# "No datstring" where a name holds no time; layout 1 and 2 files, a filter is ignored.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
G=$CORPUS/nffile/generated
d=$WORK/range
mkdir -p "$d"
cp "$G/nf171-none" "$d/nfcapd.202401010000"
cp "$G/sf178-lz4" "$d/nfcapd.202401010005"
cp "$G/nf1625-lzo" "$d/nfcapd.202401010010"
cp "$G/sf171-bz2" "$d/nfcapd.20240101001530"
cp "$G/nfcapd.current.nf171" "$d/nfcapd.202401010020"
cp "$G/nfcapd.current.nf1625" "$d/nfcapd.202401010025"
cp "$G/sf178-none" "$d/zz.data"

failures=0
same() {
    nfdump "$@" >"$WORK/n.txt" 2>&1 || true
    "$FLOWDUMP" "$@" >"$WORK/f.txt" 2>&1 || true
    if ! diff "$WORK/n.txt" "$WORK/f.txt" >"$WORK/d.txt"; then
        echo "DIFF: $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}
same -g -R "$d"
same -g -r "$d"
same -g -R "$d/nfcapd.202401010005:nfcapd.20240101001530"
same -g -r "$d/nfcapd.202401010010"
same -g -r "$d/zz.data"
same -g -R "$d" 'proto tcp'
same -g -q -R "$d"
[ "$(grep -c . "$WORK/f.txt")" -eq 8 ] && [ "$(tail -1 "$WORK/f.txt")" = "No datstring" ] ||
    fail "expected a header, six lines and No datstring: $(cat "$WORK/f.txt")"
[ "$failures" -eq 0 ] || fail "$failures comparisons differ"
echo "PASS"
