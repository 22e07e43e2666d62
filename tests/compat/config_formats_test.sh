#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -C / $NFCONF against nfdump 1.7.1: the fmt.<name> formats of an nfdump.conf
# selected with -o (in any case, with a 6 suffix, redefining a built-in name), used as
# %<name> inside other formats, with -A and -b; -C none; a missing -C file. Differences
# that are deliberate (docs/compatibility.md) are checked on flowdump alone.
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
need_nfdump
G=$CORPUS/nffile/generated
cat >"$WORK/nfdump.conf" <<'CONF'
# formats of this site
[nfdump]
fmt.mini = "%sa -> %da %byt"       # comments after values
fmt.line = "%ts %pr %sap -> %dap"  # redefines the built-in line
fmt.twice = "%mini | %pkt"
fmt.esc = "%sa\t|\"%da\""
fmt.lit = '%pr\t'

[nfcapd]
exporter.upstream = ["192.0.2.1", "/nonexistent"]
CONF

failures=0
same() {
    local rc=0
    nfdump "$@" >"$WORK/n.txt" 2>&1 || rc=$?
    echo "exit $rc" >>"$WORK/n.txt"
    rc=0
    "$FLOWDUMP" "$@" >"$WORK/f.txt" 2>&1 || rc=$?
    echo "exit $rc" >>"$WORK/f.txt"
    if ! diff <(grep -v '^Sys:' "$WORK/n.txt") <(grep -v '^Sys:' "$WORK/f.txt") >"$WORK/d.txt"
    then
        echo "DIFF: $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}
# The same lines in any order (groups of -A and -b, whose order neither tool fixes).
same_sorted() {
    nfdump "$@" 2>&1 | sort >"$WORK/ns.txt"
    "$FLOWDUMP" "$@" 2>&1 | sort >"$WORK/fs.txt"
    if ! diff "$WORK/ns.txt" "$WORK/fs.txt" >"$WORK/d.txt"; then
        echo "DIFF (sorted): $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}
C=$WORK/nfdump.conf
# nfdump 1.7.1 prints the records of the sFlow files as flowkit does (docs/compatibility.md
# lists how IPv6, ICMP and NSEL records of the NetFlow files differ): formats are compared.
F=any
for f in sf171-bz2 sf171-lz4 sf171-none sf171-v6agent; do
    same -C "$C" -r "$G/$f" -o mini "$F"
    same -C "$C" -r "$G/$f" -o MINI -q "$F"
    same -C "$C" -r "$G/$f" -o line -q "$F"
    same -C "$C" -r "$G/$f" -o mini6 -q "$F"
    same -C "$C" -r "$G/$f" -o twice -q "$F"
    same -C "$C" -r "$G/$f" -o esc -q "$F"
    same -C "$C" -r "$G/$f" -o lit -q "$F"
    same -C "$C" -r "$G/$f" -o 'fmt:%mini %fl' -q "$F"
    same -C "$C" -r "$G/$f" -o 'fmt:%line' -q "$F"
    same -C "$C" -r "$G/$f" -o long -q "$F"
    same_sorted -C "$C" -r "$G/$f" -A srcip -o mini -q "$F"
    same_sorted -C "$C" -r "$G/$f" -b -o twice -q "$F"
    NFCONF=$C same -r "$G/$f" -o mini -q "$F and proto tcp"
done
same -C "$WORK/none.conf" -r "$G/sf171-bz2" -o line
NFCONF=$WORK/none.conf same -r "$G/sf171-bz2" -o line
same -C "$WORK" -r "$G/sf171-bz2" -o line
[ "$failures" -eq 0 ] || fail "$failures comparisons differ"

# -C none: no configuration, so mini is unknown again (nfdump adds an empty line).
rc=0
NFCONF=$C "$FLOWDUMP" -C none -r "$G/nf171-none" -o mini >"$WORK/none.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -qx "Unknown output mode 'mini'" "$WORK/none.txt" ||
    fail "-C none: exit $rc: $(cat "$WORK/none.txt")"
# Deliberate differences: a format that is not a string, and an empty format, are errors.
printf '[nfdump]\nfmt.mini = 5\n' >"$WORK/num.conf"
rc=0
"$FLOWDUMP" -C "$WORK/num.conf" -r "$G/nf171-none" -o line >"$WORK/num.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "num.conf: fmt.mini must be a string" "$WORK/num.txt" ||
    fail "non-string format: exit $rc: $(cat "$WORK/num.txt")"
printf '[nfdump]\nfmt.x = ""\n' >"$WORK/empty.conf"
rc=0
"$FLOWDUMP" -C "$WORK/empty.conf" -r "$G/nf171-none" -o x >"$WORK/empty.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "Missing format description for user defined output format 'x'" \
    "$WORK/empty.txt" || fail "empty format: exit $rc: $(cat "$WORK/empty.txt")"
echo "PASS"
