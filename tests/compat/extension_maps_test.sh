#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -x against nfdump 1.7.1: the extension maps of the nfdump 1.6 corpus files (each
# map record in file order, with its extensions' option groups and names), and the line for
# 1.7 files, which hold none. Not compared: files 1.7.1 cannot read (ZSTD), an unclosed 1.6
# file (1.7.1 reads none of its blocks) and one with a damaged record (flowdump reports it).
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
G=$CORPUS/nffile/generated
failures=0
compared=0
for f in "$G"/nf1625-{none,lzo,bz2,lz4} "$G"/sf1625-{none,lzo,bz2,lz4} "$G"/nf171-lz4 \
    "$G"/sf178-lz4 "$CORPUS"/nffile/libnf__* "$CORPUS"/nffile/gonfdump__*; do
    [ -f "$f" ] || continue
    case $f in *.txt | *.md) continue ;; esac
    rc=0
    nfdump -x "$f" >"$WORK/n.txt" 2>&1 || rc=$?
    echo "exit $rc" >>"$WORK/n.txt"
    rc=0
    "$FLOWDUMP" -x "$f" >"$WORK/f.txt" 2>&1 || rc=$?
    echo "exit $rc" >>"$WORK/f.txt"
    compared=$((compared + 1))
    if ! diff "$WORK/n.txt" "$WORK/f.txt" >"$WORK/d.txt"; then
        echo "DIFF: -x $f"; head -10 "$WORK/d.txt"; failures=$((failures + 1))
    fi
done
[ "$compared" -ge 8 ] || fail "only $compared corpus files found"
[ "$failures" -eq 0 ] || fail "$failures of $compared files differ"
# One of the 1.6 files holds many maps; each is listed.
[ "$("$FLOWDUMP" -x "$G/nf1625-lzo" | grep -c '^Extension Map:')" -gt 100 ] ||
    fail "nf1625-lzo: expected over 100 extension maps"
echo "PASS ($compared files)"
