#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Smoke test of the benchmark (scripts/bench/run.sh --quick) on 20k flows: the generator is
# deterministic, every file set holds every flow, and the tables list every case with numeric
# ratios and clean exits. No timing is asserted.
source "$(dirname "$0")/lib.sh"

need_nfdump
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (scripts/setup.sh installs it)"
GEN=$FLOWKIT_BIN/scripts/bench/flowbench_gen
[ -x "$GEN" ] || skip "flowbench_gen is not built"

# Same seed, same bytes; another seed, other bytes.
"$GEN" pcap --flows 3000 --seed 7 --out "$WORK/a.pcap" >/dev/null
"$GEN" pcap --flows 3000 --seed 7 --out "$WORK/b.pcap" >/dev/null
"$GEN" pcap --flows 3000 --seed 8 --out "$WORK/c.pcap" >/dev/null
cmp -s "$WORK/a.pcap" "$WORK/b.pcap" || fail "flowbench_gen is not deterministic for one seed"
cmp -s "$WORK/a.pcap.idx" "$WORK/b.pcap.idx" || fail "flowbench_gen .idx differs for one seed"
cmp -s "$WORK/a.pcap" "$WORK/c.pcap" && fail "flowbench_gen ignores --seed"
[ "$(od -An -tu1 -v "$WORK/a.pcap.idx" | awk '{ for (i = 1; i <= NF; i++) n += $i } END { print n }')" = 3000 ] ||
    fail "the .idx file does not count 3000 flows"
"$GEN" pcap --flows 10 --out "$WORK/x.pcap" --to 10.1.1.1:9995 2>/dev/null &&
    fail "flowbench_gen accepted a non-loopback destination"

# send --batch (sendmmsg from memory) delivers every datagram of the capture, in order of
# the .idx counts: the sink counts them all.
sink_port=$(free_port)
"$GEN" sink --port "$sink_port" >"$WORK/sink.out" &
sink_pid=$!
for _ in $(seq 1 100); do
    ss -Hlun "sport = :$sink_port" 2>/dev/null | grep -q . && break
    sleep 0.05
done
sent=$("$GEN" send --pcap "$WORK/a.pcap" --to "127.0.0.1:$sink_port" --rate 200000 --batch 16)
sleep 0.5
kill -TERM "$sink_pid"
wait "$sink_pid" || true
datagrams=$(od -An -tu1 -v "$WORK/a.pcap.idx" | wc -w)
read -r sent_datagrams sent_flows _ <<<"$sent"
[ "$sent_datagrams" = "$datagrams" ] && [ "$sent_flows" = 3000 ] ||
    fail "send --batch reported '$sent', expected $datagrams datagrams and 3000 flows"
read -r got _ <"$WORK/sink.out"
[ "$got" = "$datagrams" ] || fail "send --batch: the sink counted $got of $datagrams datagrams"
"$GEN" send --pcap "$WORK/a.pcap" --to "127.0.0.1:$sink_port" --batch 0 2>/dev/null &&
    fail "send accepted --batch 0"

out=$WORK/bench.txt
FLOWKIT_BIN=$FLOWKIT_BIN FLOWBENCH_GEN=$GEN bash "$FLOWKIT_SOURCE_DIR/scripts/bench/run.sh" \
    --quick --flows 20000 --work "$WORK/bench" >"$out" 2>"$WORK/bench.err" ||
    { cat "$WORK/bench.err" >&2; fail "run.sh --quick exited with status $?"; }
cat "$out"

# Every data set held all 20000 flows (run.sh stops otherwise) and is listed.
for set in fk-none fk-lz4 nf-none nf-lz4; do
    grep -q "bench: $set: .*(20000 flows" "$WORK/bench.err" || fail "no line for file set $set"
done

number='^[0-9]+(\.[0-9]+)?$'
check_row() {  # CASE SET
    local line
    line=$(awk -v c="$1" -v s="$2" '$1 == c && $2 == s' "$out")
    [ -n "$line" ] || fail "no row for case $1 on $2"
    read -r _ _ fd nf ratio cpu _ _ fdmb nfmb status <<<"$line"
    for v in "$fd" "$nf" "$ratio" "$cpu" "$fdmb" "$nfmb"; do
        [[ $v =~ $number ]] || fail "case $1 on $2: '$v' is not a number: $line"
    done
    [ "$status" = 0/0 ] || fail "case $1 on $2: exit statuses $status (flowdump/nfdump)"
}
for c in read-null filter-none filter-line stat-srcip aggr-srcip-dstip line csv json \
    stat-dstport-net aggr-srcip24-port bidir-b bidir-B stat-record sort-tstart real-clients; do
    check_row "$c" nf-none
done
for set in fk-none nf-lz4 fk-lz4; do
    for c in read-null filter-none filter-line stat-srcip aggr-srcip-dstip; do
        check_row "$c" "$set"
    done
done
# liblz4 alone on the LZ4 sets (flowbench_lz4), next to nfdump.
for set in nf-lz4 fk-lz4; do check_row lz4-alone "$set"; done
rc=0
"$FLOWKIT_BIN/scripts/bench/flowbench_lz4" --threads 2 "$WORK/a.pcap" >/dev/null \
    2>"$WORK/lz4.err" || rc=$?
[ "$rc" = 1 ] && grep -q "a.pcap: not an LZ4 nfdump 1.7 file" "$WORK/lz4.err" ||
    fail "flowbench_lz4 on a pcap: exit $rc: $(cat "$WORK/lz4.err")"
grep -Eq 'flowdump clients: 3[0-9] commands' "$WORK/bench.err" || fail "the client workload did not run"

# Collector: a row per rate and collector, and each one's highest lossless rate.
for c in flowcapd nfcapd; do
    [ "$(awk -v c="$c" '$1 == c && $2 ~ /^[0-9]+$/' "$out" | wc -l)" -ge 1 ] ||
        fail "no collector rows for $c"
    grep -Eq "^$c: highest rate stored without loss: [0-9.]+ flows/s" "$out" ||
        fail "no highest lossless rate for $c"
done

# Collector CPU: a row per collector, codec and rate with numeric CPU per million flows.
for c in flowcapd nfcapd; do
    for codec in none lz4; do
        rows=$(awk -v c="$c" -v k="$codec" '$1 == c && $2 == k && $8 ~ /^[0-9]+\.[0-9]+$/' "$out")
        [ "$(echo "$rows" | grep -c .)" = 2 ] || fail "no collector CPU rows for $c $codec"
    done
done

# Collector, pinned: the sender's ceiling, a row per collector and each one's highest
# lossless rate, or a reason for skipping.
if ! grep -q '^## Collector, pinned: skipped' "$out"; then
    grep -Eq '^sender alone, unpaced to a counting sink: [0-9]+ flows/s' "$out" ||
        fail "no line for the pinned sender's ceiling"
    for c in flowcapd nfcapd; do
        grep -Eq "^$c, pinned: highest rate stored without loss: [0-9.]+ flows/s" "$out" ||
            fail "no pinned highest lossless rate for $c"
    done
fi

# Probe: measured or skipped with a reason.
if ! grep -q '^probe: skipped' "$out"; then
    for p in flowprobe softflowd; do
        line=$(awk -v p="$p" '$1 == p' "$out")
        [ -n "$line" ] || fail "no probe row for $p"
        read -r _ packets _ _ pps _ <<<"$line"
        [[ $packets =~ $number && $pps =~ $number ]] || fail "probe row for $p not numeric: $line"
    done
fi
echo "PASS"
