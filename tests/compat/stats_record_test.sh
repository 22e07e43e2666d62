#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -s record (Top-N aggregated flows in the -o format, as consoles such as Pandora
# FMS call it) against nfdump 1.7.1 on sflow corpus files, timing line stripped. Cases are
# chosen without ties at the Top-N cut; the full tables (-n 0) compare sorted lines.
source "$(dirname "$0")/side_by_side.sh"

exact sf178-none -s record/bytes -n 3 -o line
exact sf178-none -s record/bytes -n 2 -o csv
exact sf178-none -s record/bytes -n 2 -o csv -q
exact sf178-none -s record/bytes/flows -n 1 -o line -q
exact sf178-none -s record/bytes -s srcip -n 2 -o line -q
exact sf178-none -s srcip -s record/bytes -n 2 -o line
exact sf178-none -s record/bytes -n 3 -o 'fmt:%sap,%dap,%ibyt,%ipkt,%bps' -q -N
exact sf178-none -s record/packets -A srcip,dstip -n 3 -o line
# Without -o the tables take the layout of the -a/-A listing: the -A keys alone, biline
# for -b (flowdump printed them as line, with zero addresses for the keys not asked for).
exact sf178-none -s record/bytes -A srcip,dstip -n 3
exact sf178-none -s record/bytes -A srcip,dstip -n 3 -q
exact sf178-none -s record/bytes -b -n 0
# The in/out rate orders: -O accepts them, -s record names its tables after them.
exact nd178-lzo -A srcip -O ipps -n 3 -o line
exact nd178-lzo -A dstip -O ibpp -n 3 -o line
exact nd178-lzo -s record/ipps -n 3 -o line
exact nd178-lzo -s record/ibpp -n 3 -o line
# Each -s record adds its orders to one record statistic (tables in canonical order).
exact sf178-none -s record/bytes -s record/flows -n 1 -o line
exact sf178-none -s record -s record/bytes -n 1 -o line -q
exact sf178-none -s record/bytes -s record/bytes -n 2 -o line -q
exact sf178-none -s record/bytes -s srcip/bytes -s record/flows -n 1 -o line -q
# A ":flags" word after record changes nothing (record:p, as NfSen's statistics lists write).
exact sf178-none -s record:p/bytes -n 3 -o line
exact sf178-none -s record:a/bytes -n 2 -o csv
exact sf178-none -s record/bytes -n 0 -o long 'proto 255'
for f in sf178-none sf171-none sf1625-none; do
    as_set "$f" -s record/bytes -n 0 -o long
    as_set "$f" -s record/bytes -n 0 -o csv -q
    as_set "$f" -s record/flows -A proto,dstport -n 0 -o line
    as_set "$f" -s record/flows -A proto,dstport -n 0
    as_set "$f" -s record:p -n 0 -o csv
done

if "$FLOWDUMP" -r "$DIR/sf178-none" -s record -O bytes >"$WORK/o.txt" 2>&1; then
    fail "-s record -O accepted"
fi
grep -qx -- "-s record and -O (-m) are mutually exclusive options" "$WORK/o.txt" ||
    fail "message: $(cat "$WORK/o.txt")"

[ "$failures" -eq 0 ] || fail "$failures comparisons differ"
echo "PASS"
