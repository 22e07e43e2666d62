#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -E FILE lists a file's exporters and samplers as nfdump 1.7.1 does: on a file
# flowcapd collected from several exporters (with a forced sampling rate), and on every real
# nfdump file of the corpus. Known differences (docs/compatibility.md): flowdump also lists
# the samplers of 1.6 files, and the exporters of 1.7.8 files that 1.7.1 shows as
# "**** Exporter IP version unknown ****".
source "$(dirname "$0")/../e2e/lib.sh"
need_nfdump

# Collected: two runs of the sample sender, v5 and v9, each from its own exporter address.
# Both runs must land in one file: start outside the last 20 s of an hour (-t 3600).
while [ $(($(date +%s) % 3600)) -ge 3580 ]; do sleep 1; done
dir=$WORK/flows
port=$(free_port)
start_collector cap "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 -s -10
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 1 --flows 200 2>/dev/null
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 2 --flows 300 --exporters 3 2>/dev/null
stop_collector cap
file=$(find "$dir" -name 'nfcapd.2*' | head -1)
[ -n "$file" ] || fail "the collector wrote no file"
"$FLOWDUMP" -E "$file" >"$WORK/fk" || fail "flowdump -E failed"
nfdump -E "$file" >"$WORK/nf" 2>&1 || fail "nfdump -E failed"
diff "$WORK/nf" "$WORK/fk" >"$WORK/diff" || fail "collected file: $(head "$WORK/diff")"
exporters=$(grep -c '^SysID: ' "$WORK/fk")
[ "$exporters" -ge 2 ] || fail "only $exporters exporters listed: $(cat "$WORK/fk")"
grep -q "Static overwrite Sampler: algorithm: 0, packet interval: 1, packet space: 9" \
    "$WORK/fk" || fail "the forced sampler is missing: $(cat "$WORK/fk")"

# An IPv6 exporter with samplers (nfdump indents its sampler lines one column further):
# a v9 capture with sampling options and an sFlow capture, replayed over ::1.
replay=$CORPUS/../tools/replay.py
v9=$CORPUS/netflow9/graylog__netflow9.pcap
sf=$CORPUS/sflow/tcpdump__sflow-print-v6.pcap
if [ -f "$replay" ] && [ -f "$v9" ] && [ -f "$sf" ]; then
    while [ $(($(date +%s) % 3600)) -ge 3580 ]; do sleep 1; done
    dir6=$WORK/flows6
    port6=$(free_port)
    start_collector cap6 "$dir6" "$port6" "$FLOWCAPD" -b ::1 -p "$port6" -w "$dir6" -t 3600
    python3 "$replay" --host ::1 --port "$port6" --pps 2000 "$v9" >/dev/null 2>&1 ||
        fail "replay of $v9 failed"
    python3 "$replay" --host ::1 --port "$port6" --pps 2000 "$sf" >/dev/null 2>&1 ||
        fail "replay of $sf failed"
    stop_collector cap6
    file6=$(find "$dir6" -name 'nfcapd.2*' | head -1)
    [ -n "$file6" ] || fail "the IPv6 collector wrote no file"
    "$FLOWDUMP" -E "$file6" >"$WORK/fk6" || fail "flowdump -E failed on the IPv6 file"
    nfdump -E "$file6" >"$WORK/nf6" 2>&1 || fail "nfdump -E failed on the IPv6 file"
    diff "$WORK/nf6" "$WORK/fk6" >"$WORK/diff6" || fail "IPv6 exporters: $(head "$WORK/diff6")"
    grep -q '^     Sampler: ' "$WORK/fk6" || fail "no IPv6 exporter sampler: $(cat "$WORK/fk6")"
fi

gen=$CORPUS/nffile/generated
if [ ! -d "$gen" ]; then
    echo "ok: collected file with $exporters exporters (corpus not found, not compared)"
    exit 0
fi
compared=0
for f in "$gen"/nf1625-none "$gen"/nf171-* "$gen"/sf1625-none "$gen"/sf171-* "$gen"/nf178-none \
    "$gen"/sf178-none; do
    case "$f" in *.txt) continue ;; esac
    name=$(basename "$f")
    "$FLOWDUMP" -E "$f" >"$WORK/fk" 2>/dev/null || true
    nfdump -E "$f" >"$WORK/nf" 2>/dev/null || true
    case "$name" in
        *1625*) grep -v '^    Sampler: ' "$WORK/fk" >"$WORK/fk.cmp"
                grep -v '^    Sampler: ' "$WORK/nf" >"$WORK/nf.cmp" ;;
        *178*)  # 1.7.1 cannot read 1.7.8's exporter records: the number of lines must agree.
                sed 's/^SysID: .*/**** Exporter IP version unknown ****/' "$WORK/fk" >"$WORK/fk.cmp"
                sed 's/^SysID: .*/**** Exporter IP version unknown ****/' "$WORK/nf" >"$WORK/nf.cmp"
                grep -q '^SysID: 1, IP: ' "$WORK/fk" || fail "$name: no exporter listed" ;;
        *)      cp "$WORK/fk" "$WORK/fk.cmp"; cp "$WORK/nf" "$WORK/nf.cmp" ;;
    esac
    diff "$WORK/nf.cmp" "$WORK/fk.cmp" >"$WORK/diff" || fail "$name: $(head -5 "$WORK/diff")"
    compared=$((compared + 1))
done
# Files without exporter records (libnf's, in layout 1; and a layout 2 copy of one that
# nfdump wrote): 'No Exporter records found', where flowdump printed an empty list.
nfdump -r "$CORPUS/nffile/libnf__record_v4" -w "$WORK/noexp" 2>/dev/null || true
for f in "$CORPUS/nffile/libnf__data2" "$CORPUS/nffile/libnf__record_v4" "$WORK/noexp"; do
    [ -f "$f" ] || continue
    "$FLOWDUMP" -E "$f" >"$WORK/fk" 2>/dev/null || true
    nfdump -E "$f" >"$WORK/nf" 2>/dev/null || true
    diff "$WORK/nf" "$WORK/fk" >"$WORK/diff" || fail "$(basename "$f"): $(head -5 "$WORK/diff")"
    compared=$((compared + 1))
done
[ "$compared" -ge 8 ] || fail "only $compared corpus files compared"
echo "ok: collected file with $exporters exporters and $compared corpus files as nfdump -E"
