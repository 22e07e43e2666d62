#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -w with -a/-A/-b/-O writes the aggregated (or sorted, or cut with -n) records it
# would print, flow counts included, and Debian's nfdump 1.7.1 reads them back as printed.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
src=$CORPUS/nffile/generated/sf171-none
[ -f "$src" ] || skip "no $src"

check() {  # check FORMAT ARGS...: print vs write + nfdump read
    local fmt=$1; shift
    rm -f "$WORK/out.nf"
    "$FLOWDUMP" -r "$src" "$@" -w "$WORK/out.nf" >"$WORK/w.txt" || fail "-w $*"
    [ -s "$WORK/w.txt" ] && fail "-w $* printed: $(cat "$WORK/w.txt")"
    "$FLOWDUMP" -r "$src" "$@" -q -o "$fmt" >"$WORK/printed.txt" || fail "print $*"
    nfdump -r "$WORK/out.nf" -q -o "$fmt" >"$WORK/read.txt" 2>/dev/null || fail "nfdump -r ($*)"
    diff <(sort "$WORK/printed.txt") <(sort "$WORK/read.txt") ||
        fail "written records differ from printed ones: $*"
    echo "ok: $*"
}
check "fmt:%sa %pkt %byt %fl" -A srcip
check "fmt:%sa %dp %pr %pkt %byt %fl" -A srcip,dstport,proto
check "fmt:%ts %te %sap %dap %pr %flg %pkt %byt %fl" -a
check biline -b
check "fmt:%sa %byt %fl" -A srcip -O bytes -n 3
[ "$(nfdump -r "$WORK/out.nf" -q -o 'fmt:%fl' | wc -l)" -eq 3 ] || fail "-n 3 not applied"
# A group of several flows keeps its count (EXcntFlow is written).
"$FLOWDUMP" -r "$src" -A srcip -w "$WORK/out.nf"
nfdump -r "$WORK/out.nf" -q -o 'fmt:%sa %fl' | grep -Eq '^ *2a0c:88.*:130:38 +4$' ||
    fail "flow count of the 4-flow group lost"
