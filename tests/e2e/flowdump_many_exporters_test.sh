#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bug case B39 (more than 256 exporters in one query): 2000 NetFlow v9 exporters (200
# loopback addresses 127.0.0.10-209, source ids 1-10 each) send 300 flows apiece to flowcapd
# (LZ4 files), and the same 600000 flows are sent again from one exporter (flowsend
# --as-one) to a second collector. flowdump over the many-exporter files: no error; the flow
# count; every (exporter address, engine id = source id, sysid) triple carries its 300 flows,
# with 2000 distinct sysids; `-s router` lists all 200 addresses with 3000 flows each. With
# Debian's nfdump 1.7.1 also: `nfdump -E` lists the 2000 exporters with their source ids and
# 300 flows each in the exporter statistics, and nfdump's `-s router` table holds the same
# rows as flowdump's. flowdump has no exporter listing of its own (-E is refused, see the man
# page). Then the CPU time (user + system, best of 3) of `flowdump -o null` and `-s router`
# and `-s srcip` over the 2000-exporter files must stay below B39_MAX_RATIO (default 3) times
# that over the one-exporter files; the spec asks for about 1.5x, the loose bound keeps a
# shared machine from failing the test. The measured ratio is printed.
source "$(dirname "$0")/lib.sh"

[ -x "$FLOWCAPD" ] && [ -x "$FLOWDUMP" ] || skip "flowcapd or flowdump not built in $FLOWKIT_BIN"
[ -x "$FLOWKIT_SEND" ] || skip "test sender $FLOWKIT_SEND not built"
max_ratio=${B39_MAX_RATIO:-3}
exporters=2000
domains=10
per=300
flows=$((exporters * per))
addresses=$((exporters / domains))

collect() {  # collect NAME [flowsend options...]
    local name=$1 port
    shift
    port=$(free_port)
    start_collector "$name" "$WORK/$name" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" \
        -w "$WORK/$name" -t 300 -y -B 4194304
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows "$flows" --rate 100000 "$@" \
        2>"$WORK/send_$name.log" || fail "flowsend: $(cat "$WORK/send_$name.log")"
    grep -q "($flows sample flows)" "$WORK/send_$name.log" ||
        fail "flowsend: $(cat "$WORK/send_$name.log")"
    stop_collector "$name"
}
collect many --exporters "$exporters" --domains "$domains"
! grep -E 'limit_reached|dropped' "$WORK/many.log" ||
    fail "flowcapd hit a limit with $exporters exporters"
collect one --exporters "$exporters" --domains "$domains" --as-one

summary_flows() {
    sed -n 's/^Summary: total flows: \([0-9]*\),.*/\1/p'
}
for name in many one; do
    n=$("$FLOWDUMP" -R "$WORK/$name" -o null 2>"$WORK/err_$name" | summary_flows)
    [ -s "$WORK/err_$name" ] && fail "flowdump on $name: $(cat "$WORK/err_$name")"
    [ "$n" = "$flows" ] || fail "$name: flowdump counts ${n:-no} flows, expected $flows"
done

# Every exporter with its flows: address, engine type/id (v9: the source id) and sysid.
"$FLOWDUMP" -R "$WORK/many" -q -o 'fmt:%ra %eng %exp' 2>"$WORK/err_list" |
    awk '{ n[$1 " " $2 " " $3]++ } END { for (k in n) print k, n[k] }' | sort >"$WORK/triples"
[ -s "$WORK/err_list" ] && fail "flowdump listing: $(cat "$WORK/err_list")"
awk -v want="$per" -v exporters="$exporters" -v domains="$domains" '
    { split($2, eng, "/"); pair[$1 " " eng[2]]++; sysid[$3]++ }
    $4 != want { print "exporter", $0, "has", $4, "flows, expected", want; bad = 1 }
    eng[2] < 1 || eng[2] > domains { print "source id out of range:", $0; bad = 1 }
    $3 > max { max = $3 }
    END {
        if (NR != exporters || length(pair) != exporters || length(sysid) != exporters) {
            print NR, "listed,", length(pair), "address/id pairs,", length(sysid), "sysids"
            bad = 1
        }
        if (max != exporters) { print "highest sysid", max; bad = 1 }
        exit bad
    }' "$WORK/triples" >"$WORK/triples.err" || fail "exporters: $(head -5 "$WORK/triples.err")"

# -s router: one row per address, 3000 flows each.
"$FLOWDUMP" -R "$WORK/many" -s router/flows -n 0 -q -o csv >"$WORK/router.csv" ||
    fail "flowdump -s router failed"
awk -F, -v want=$((per * domains)) -v addresses="$addresses" '
    NR > 1 && NF > 5 { rows++; seen[$5]++; if ($6 != want) { print $5, $6; bad = 1 } }
    END { if (rows != addresses || length(seen) != addresses) { print rows, "rows"; bad = 1 }
          exit bad }' "$WORK/router.csv" >"$WORK/router.err" ||
    fail "-s router: $(head -5 "$WORK/router.err")"

# The baseline really is one exporter.
"$FLOWDUMP" -R "$WORK/one" -q -o 'fmt:%ra %eng %exp' | sort -u >"$WORK/one_exporter"
[ "$(wc -l <"$WORK/one_exporter")" = 1 ] ||
    fail "--as-one files hold $(wc -l <"$WORK/one_exporter") exporters"

# The oracle: nfdump 1.7.1 reads the exporter records flowcapd wrote, and ranks the routers.
if command -v nfdump >/dev/null; then
    for f in "$WORK"/many/nfcapd.*; do nfdump -E "$f"; done |
        awk '$1 == "SysID:" && $6 == "9," { gsub(",", ""); n[$2 " " $4 " " $8] += $NF }
             END { for (k in n) print k, n[k] }' |
        sort >"$WORK/nfdump_exporters"
    # The same triples as flowdump's, in nfdump -E's order of fields: sysid, address, id.
    awk '{ split($2, eng, "/"); print $3, $1, eng[2], $4 }' "$WORK/triples" | sort |
        cmp -s - "$WORK/nfdump_exporters" ||
        fail "nfdump -E lists other exporters: $(wc -l <"$WORK/nfdump_exporters") lines, e.g." \
            "$(head -3 "$WORK/nfdump_exporters")"
    stat_rows() { grep -E '^[0-9]{4}-' | sort; }
    nfdump -R "$WORK/many" -s router/flows -n 0 -q | stat_rows >"$WORK/router.nfdump"
    "$FLOWDUMP" -R "$WORK/many" -s router/flows -n 0 -q | stat_rows >"$WORK/router.flowdump"
    diff "$WORK/router.nfdump" "$WORK/router.flowdump" >"$WORK/router.diff" ||
        fail "-s router differs from nfdump 1.7.1: $(head -6 "$WORK/router.diff")"
    echo "nfdump 1.7.1 agrees: $(wc -l <"$WORK/nfdump_exporters") exporters, -s router rows"
else
    echo "Debian's nfdump not installed: the comparison with nfdump 1.7.1 is left out"
fi

# CPU seconds (user + system) of the three queries over a directory, best of 3 runs.
cpu_of() {
    local dir=$1 best="" t
    for _ in 1 2 3; do
        t=$( { TIMEFORMAT='%U %S'; time {
            "$FLOWDUMP" -R "$dir" -o null >/dev/null
            "$FLOWDUMP" -R "$dir" -s router -n 0 >/dev/null
            "$FLOWDUMP" -R "$dir" -s srcip -n 10 >/dev/null
        }; } 2>&1 | awk '{ print $1 + $2 }')
        best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
    done
    echo "$best"
}
cpu_many=$(cpu_of "$WORK/many")
cpu_one=$(cpu_of "$WORK/one")
ratio=$(awk -v a="$cpu_many" -v b="$cpu_one" 'BEGIN { printf "%.2f", a / (b > 0.001 ? b : 0.001) }')
echo "CPU time: $exporters exporters ${cpu_many}s, one exporter ${cpu_one}s, ratio $ratio"
awk -v r="$ratio" -v m="$max_ratio" 'BEGIN { exit !(r < m) }' ||
    fail "$exporters exporters take $ratio times the CPU of one (bound $max_ratio)"
echo "ok: $exporters exporters in one query, each with its flows"
