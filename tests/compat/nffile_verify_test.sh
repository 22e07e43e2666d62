#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -v prints byte for byte what Debian's nfdump 1.7.1 prints for every closed corpus
# file 1.7.1 can read (both layouts, every codec it has), and keeps going where 1.7.1 stops:
# ZSTD files and files left unclosed are verified block by block (docs/compatibility.md).
source "$(dirname "$0")/../e2e/lib.sh"
need_nfdump
gen=$CORPUS/nffile/generated
[ -f "$gen/MANIFEST.tsv" ] || skip "no reference files at $gen"
cd "$gen" || fail "cannot enter $gen"

compared=0
for f in nf* nd* sf*; do
    case "$f" in *.txt|*.tsv|*.md|*.pcap) continue ;; esac
    case "$f" in
        *-zstd|*-v6agent|nfcapd.current.*) continue ;;  # checked below
    esac
    nfdump -v "$f" >"$WORK/want" 2>/dev/null
    want_rc=$?
    "$FLOWDUMP" -v "$f" >"$WORK/got" 2>"$WORK/err"
    got_rc=$?
    cmp -s "$WORK/want" "$WORK/got" || { diff "$WORK/want" "$WORK/got"; fail "-v $f differs"; }
    [ "$want_rc" = "$got_rc" ] || fail "-v $f: exit $got_rc, nfdump $want_rc"
    [ -s "$WORK/err" ] && fail "-v $f wrote to stderr: $(cat "$WORK/err")"
    compared=$((compared + 1))
done
[ "$compared" -ge 20 ] || fail "only $compared files compared"
# Files of other writers (libnf, nfanon: libnf__data1 carries the layout 1 "anonymized"
# flag, which flowdump left out of the Version line).
for f in ../libnf__data1 ../libnf__data2 ../libnf__record_v4 ../libnf__record_v6 \
         ../gonfdump__nfcapd.sample ../gonfdump__nfcapd-small-lzo; do
    [ -f "$f" ] || continue
    nfdump -v "$f" >"$WORK/want" 2>/dev/null || true
    "$FLOWDUMP" -v "$f" >"$WORK/got" 2>/dev/null || true
    cmp -s "$WORK/want" "$WORK/got" || { diff "$WORK/want" "$WORK/got"; fail "-v $f differs"; }
done

# Unclosed: every complete block is read and counted (1.7.1 reports 0 records).
"$FLOWDUMP" -v nfcapd.current.nf171 >"$WORK/got" || fail "-v unclosed 1.7.1 file failed"
grep -qx "File is not closed: reading blocks up to end of file" "$WORK/got" ||
    fail "unclosed file not reported"
grep -qx "Records       : 5326" "$WORK/got" || fail "unclosed 1.7.1 block not counted"
"$FLOWDUMP" -v nfcapd.current.nf1625 >"$WORK/got" || fail "-v unclosed 1.6.25 file failed"
grep -qx "Records       : 7423" "$WORK/got" || fail "unclosed 1.6.25 block not counted"
# ZSTD (1.7.1 has no ZSTD): data and appendix block and all records counted.
"$FLOWDUMP" -v nf178-zstd >"$WORK/got" || fail "-v zstd failed"
grep -qx "Records       : 742" "$WORK/got" || fail "zstd records: $(tail -1 "$WORK/got")"
# A file damaged inside a block: the error names the block, on stderr, exit 1.
if "$FLOWDUMP" -v sf1625-v6agent >"$WORK/got" 2>"$WORK/err"; then fail "damage not reported"; fi
grep -qx "flowdump: Malformed: sf1625-v6agent: block 1 record 5.*" "$WORK/err" ||
    fail "damage message: $(cat "$WORK/err")"
# A file cut inside its first block: the block is numbered once, from 1 (newcomer report).
head -c 300 nf171-none >"$WORK/cut1"
if "$FLOWDUMP" -v "$WORK/cut1" >"$WORK/got" 2>"$WORK/err"; then fail "cut block not reported"; fi
grep -qx "flowdump: Truncated: $WORK/cut1: block 1 at offset [0-9]*: .*" "$WORK/err" ||
    fail "cut block message: $(cat "$WORK/err")"
# A closed file cut inside its appendix: -v says so and exits 1, -I warns (newcomer report).
size=$(stat -c %s nf171-none)
head -c $((size - 10)) nf171-none >"$WORK/cut"
if "$FLOWDUMP" -v "$WORK/cut" >/dev/null 2>"$WORK/err"; then fail "-v: cut appendix not reported"; fi
grep -q "^Appendix: unreadable" "$WORK/err" || fail "-v appendix message: $(cat "$WORK/err")"
"$FLOWDUMP" -r "$WORK/cut" -I >/dev/null 2>"$WORK/err" || true
grep -q "appendix unreadable" "$WORK/err" || fail "-I appendix message: $(cat "$WORK/err")"

# -w onto an input file is refused and the file kept; -i refuses control characters;
# -z=zstd:LEVEL is used and checked.
cp nf171-none "$WORK/in"
if "$FLOWDUMP" -r "$WORK/in" -w "$WORK/in" 'proto icmp' 2>"$WORK/err"; then fail "-w over input"; fi
grep -q "is also an input file" "$WORK/err" || fail "-w message: $(cat "$WORK/err")"
cmp -s "$WORK/in" nf171-none || fail "-w damaged its input"
if "$FLOWDUMP" -r "$WORK/in" -i "$(printf 'a\nFlows: 9')" 2>/dev/null; then fail "-i newline"; fi
if "$FLOWDUMP" -r "$WORK/in" -w "$WORK/z" -z=zstd:99 2>/dev/null; then fail "zstd:99 taken"; fi
"$FLOWDUMP" -r "$WORK/in" -w "$WORK/z1" -z=zstd:1
"$FLOWDUMP" -r "$WORK/in" -w "$WORK/z19" -z=zstd:19
[ "$(stat -c %s "$WORK/z19")" -lt "$(stat -c %s "$WORK/z1")" ] || fail "zstd level not used"

echo "flowdump -v equals nfdump -v on $compared files; unclosed, zstd and damaged files checked"
