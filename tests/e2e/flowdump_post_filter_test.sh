#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -P (bug case B30): a filter on the aggregated records. On sampled sFlow data no
# single record holds more than 3 MB, so `bytes > 3M` as the record filter passes nothing,
# while -P 'bytes > 3M' keeps the aggregated flow of 6.2 MB; -P is refused without
# aggregation and a bad -P filter exits 254.
source "$(dirname "$0")/lib.sh"
need_corpus
src=$CORPUS/nffile/generated/sf171-none
[ -f "$src" ] || skip "no $src"

out=$("$FLOWDUMP" -r "$src" -A srcip -q -o 'fmt:%sa %byt %fl' 'bytes > 3M')
[ "$out" = "No matching flows" ] || fail "record filter passed: $out"
out=$("$FLOWDUMP" -r "$src" -A srcip -q -N -6 -o 'fmt:%sa %byt %fl' -P 'bytes > 3M' | tr -s ' ')
[ "$out" = " 2a0c:8880:2:0:185:21:130:38 6217728 4" ] || fail "-P kept: $out"
# -P applies before -n: the top row after the post filter, not the top row filtered.
out=$("$FLOWDUMP" -r "$src" -A srcip -q -N -O bytes -n 1 -o 'fmt:%sa %byt' -P 'bytes < 200000' |
      tr -s ' ')
[ "$out" = " 172.21.32.254 167936" ] || fail "-P with -O bytes -n 1 printed: $out"
# The summary counts the records that passed the record filter.
"$FLOWDUMP" -r "$src" -A srcip -P 'bytes > 3M' | grep -q "total flows: 19," || fail "summary"
rc=0 && "$FLOWDUMP" -r "$src" -P 'bytes > 3M' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 255 ] || fail "-P without aggregation: exit $rc"
rc=0 && "$FLOWDUMP" -r "$src" -a -P 'bytes >' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 254 ] || fail "bad -P filter: exit $rc"
echo "ok"
