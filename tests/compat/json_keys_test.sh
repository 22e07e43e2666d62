#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# -o json and -o raw print the elements a record carries, each key once. nfdump 1.6 stores
# the VRF ids of plain flows in its NAT extension with NAT event 0: flowdump prints those
# flows of a 1.6 file with the keys and lines nfdump 1.7.1 prints for the same flows in the
# 1.7.1 file (VRF ids, no NAT event), and no corpus file, 1.6 or 1.7, gives an object with a
# repeated key (1.7.1 repeats the VRF ids of NAT records: docs/compatibility.md).
source "$(dirname "$0")/../e2e/lib.sh"
need_corpus
gen=$CORPUS/nffile/generated
[ -f "$gen/nf1625-none" ] || skip "no reference file $gen/nf1625-none"
command -v python3 >/dev/null || skip "python3 is needed to check the keys"
export TZ=UTC

# Every corpus flow file: the document parses and no object repeats a key.
checked=0
for f in "$gen"/* "$CORPUS"/nffile/*; do
    [ -f "$f" ] || continue
    case $f in *.txt | *.tsv | *.md | *.pcap) continue ;; esac
    "$FLOWDUMP" -r "$f" -q -o json >"$WORK/json" 2>/dev/null || true
    python3 - "$WORK/json" <<'PY' || fail "$f: repeated JSON keys"
import collections, json, sys
def pairs(p):
    keys = [k for k, _ in p]
    repeated = [k for k, n in collections.Counter(keys).items() if n > 1]
    if repeated:
        sys.exit("record %s repeats %s" % (dict(p).get("ip4_router"), repeated))
    return dict(p)
json.load(open(sys.argv[1]), object_pairs_hook=pairs)
PY
    checked=$((checked + 1))
done
[ "$checked" -gt 10 ] || fail "only $checked corpus files found"
echo "$checked files: no repeated keys"

# The VRF-only flows of router 127.0.1.8: the same keys and lines as 1.7.1's file prints.
need_nfdump
filter='router ip 127.0.1.8'
"$FLOWDUMP" -r "$gen/nf1625-none" -q -o json "$filter" | sed 's/ : .*//' >"$WORK/got"
nfdump -r "$gen/nf171-none" -o json "$filter" 2>/dev/null | sed 's/ : .*//' >"$WORK/want"
grep -q ingress_vrf "$WORK/want" || fail "nfdump prints no VRF ids for $filter"
diff "$WORK/want" "$WORK/got" >"$WORK/diff" || { head "$WORK/diff"; fail "json keys differ"; }
"$FLOWDUMP" -r "$gen/nf1625-none" -q -o raw "$filter" | cut -c1-15 >"$WORK/got"
nfdump -r "$gen/nf171-none" -q -o raw "$filter" 2>/dev/null | cut -c1-15 >"$WORK/want"
diff "$WORK/want" "$WORK/got" >"$WORK/diff" || { head "$WORK/diff"; fail "raw lines differ"; }

# Records carrying both families of a next hop print one of each (the IPv6 element here,
# the IPv4 one being 0.0.0.0), where 1.7.1 prints both (docs/compatibility.md).
"$FLOWDUMP" -r "$gen/nf171-none" -q -o json 'router ip 127.0.1.42' >"$WORK/got"
n=$(grep -c '"bgp6_next_hop"' "$WORK/got" || true)
[ "$n" -gt 0 ] || fail "router 127.0.1.42: no bgp6_next_hop"
! grep -q '"bgp4_next_hop"\|"ip4_next_hop"' "$WORK/got" || fail "router 127.0.1.42: IPv4 next hops"
echo "PASS"
