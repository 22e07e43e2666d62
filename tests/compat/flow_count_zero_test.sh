#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Records that store a flow count of 0: nfdump -w writes one (a counter element with
# flows 0) for records that carry only out counters, and nfcapd 1.6 can store 0 in the
# aggregated-flows extension. flowdump counts such a record as one flow everywhere:
# listing, raw, filter, -O, -s. nfdump 1.7.1 does the same for the rewritten (1.7)
# file; for the 1.6 file it lists and filters 0 but sorts and aggregates 1
# (docs/compatibility.md).
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
src=$CORPUS/nffile/generated/nf1625-none
[ -f "$src" ] || skip "no reference file $src"
command -v python3 >/dev/null || skip "python3 is needed to read the stored counts"
export TZ=UTC

nfdump -r "$src" -w "$WORK/clean" 'not duration > 1000000000' 2>/dev/null ||
    fail "nfdump -w failed"
# The rewritten file must hold counter elements (type 5) storing 0 flows, or the test
# checks nothing. Layout 2, uncompressed: records from the first block on.
stored=$(python3 - "$WORK/clean" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
zero = 0
off = 40  # file header; then the data blocks
while off + 12 <= len(d):
    n, size, typ, flags = struct.unpack_from('<IIHH', d, off)
    body, off = off + 12, off + 12 + size
    if typ != 3 or flags != 0:
        continue
    p = body
    for _ in range(n):
        rtype, rsize = struct.unpack_from('<HH', d, p)
        if rtype == 11:
            e, end = p + 12, p + rsize
            while e + 4 <= end:
                etype, elen = struct.unpack_from('<HH', d, e)
                if elen == 0:
                    break
                if etype == 5 and struct.unpack_from('<Q', d, e + 4)[0] == 0:
                    zero += 1
                e += elen
        p += rsize
print(zero)
PY
)
[ "$stored" -gt 0 ] || fail "the rewritten file stores no flow count 0"
echo "$stored records store flows 0"

# The rewritten file: flowdump prints what nfdump prints.
for args in "-o long" "-o long -O tstart" "-o raw" "-s srcip"; do
    nfdump -r "$WORK/clean" -q $args 2>/dev/null | grep -v '^Flow Record\|RecordCount\|size  \|Flags' \
        >"$WORK/want"
    "$FLOWDUMP" -r "$WORK/clean" -q $args | grep -v '^Flow Record\|RecordCount\|size  \|Flags' \
        >"$WORK/got"
    [ "$args" = "-o long" ] && awk '{print $NF}' "$WORK/got" | grep -qx 0 &&
        fail "a record lists 0 flows"
    if [ "$args" = "-o raw" ]; then
        grep 'aggr flows' "$WORK/want" >"$WORK/want.a"
        grep 'aggr flows' "$WORK/got" >"$WORK/got.a"
        cmp -s "$WORK/want.a" "$WORK/got.a" || fail "-o raw: aggr flows differ"
        continue
    fi
    # Rows of equal sort values come in another order (docs/compatibility.md).
    sort -o "$WORK/want" "$WORK/want"
    sort -o "$WORK/got" "$WORK/got"
    diff "$WORK/want" "$WORK/got" >"$WORK/diff" || { head "$WORK/diff"; fail "$args differs"; }
done
for f in "$WORK/clean" "$src"; do
    n=$("$FLOWDUMP" -r "$f" -q -o 'fmt:%fl' 'flows 0' | grep -c '^ *[0-9]' || true)
    [ "$n" -eq 0 ] || fail "$f: the filter 'flows 0' matches $n records"
done

# The 1.6 file: one value for a record whatever the options.
filter='ip 192.168.1.102 and port 47690'
a=$("$FLOWDUMP" -r "$src" -q -o long "$filter" | awk '{print $NF}')
b=$("$FLOWDUMP" -r "$src" -q -o long -O tstart "$filter" | awk '{print $NF}')
[ "$a" = 1 ] && [ "$b" = 1 ] || fail "$filter: flows $a, with -O $b"
echo "PASS"
