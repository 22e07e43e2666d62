#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Side-by-side benchmark of flowkit against Debian's nfdump 1.7.1 (see docs/performance.md).
#
#   scripts/bench/run.sh --quick      100k flows, 1 repetition: a smoke run of a few minutes
#   scripts/bench/run.sh              1M flows, 3 repetitions
#   scripts/bench/run.sh --big        10M flows, 3 repetitions
#
# Options: --flows N, --reps N, --work DIR (default /tmp/flowkit-bench), --parts LIST (a
# comma list of data,read,clients,collector,collector-cpu,collector-pinned,probe; default
# all), --keep (keep the work directory). FLOWKIT_BIN (default build/) is the build directory
# with flowdump, flowcapd, flowprobe and scripts/bench/flowbench_gen. FLOWKIT_PORTS=LOW-HIGH
# takes the collectors' ports from that range (scripts/ports.sh).
#
# 1. Data: flowbench_gen writes the export datagrams of N generated flows to a pcap;
#    flowcapd -f decodes it into nfdump files (uncompressed and LZ4) and the same datagrams
#    are sent over 127.0.0.1 to two nfcapd (uncompressed and -y LZ4). Each file set must hold
#    exactly N flows.
# 2. Read: every case runs flowdump and nfdump alternately on the same files (read into the
#    page cache before every run), output to
#    /dev/null; per case both medians of the wall time, the ratio flowdump/nfdump (below 1:
#    flowkit faster), the CPU (user+sys) ratio and the peak RSS of each.
#    On the LZ4 sets a row lz4-alone times liblz4 alone decompressing the files on two
#    threads (flowbench_lz4) against nfdump's -o null: the floor of any liblz4 reader.
# 3. Clients: scripts/bench/clients.sh, the real-client command lines, as one workload.
# 4. Collector: a paced sender at rising rates to flowcapd and to nfcapd in turn; the flows
#    each stored, the highest rate stored without loss, CPU seconds per million flows.
#    collector-cpu: the same larger replay (2M flows) at fixed rates and unpaced, to each
#    collector uncompressed and with -y; CPU seconds per million stored flows, to 1 ms.
#    collector-pinned: the escalation again with the sender pinned to one CPU (datagrams
#    sent from memory with sendmmsg) and the collector to the other, both collectors with
#    the same -B receive buffer, so that the sender is not what limits the rate.
# 5. Probe: flowprobe and softflowd on one packet capture; packets per second (skipped
#    when flowprobe is not built).
# Every socket is on 127.0.0.1; only processes started here are stopped, by PID.
set -euo pipefail
export TZ=UTC LC_ALL=C

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$(cd "${FLOWKIT_BIN:-$SRC/build}" && pwd)
GEN=${FLOWBENCH_GEN:-$BIN/scripts/bench/flowbench_gen}
LZ4ALONE=$BIN/scripts/bench/flowbench_lz4
FLOWDUMP=$BIN/flowdump
FLOWCAPD=$BIN/flowcapd
FLOWPROBE=$BIN/flowprobe

mode=full
flows=""
reps=""
work=/tmp/flowkit-bench
parts=data,read,clients,collector,collector-cpu,collector-pinned,probe
keep=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) mode=quick ;;
        --big) mode=big ;;
        --flows) flows=$2; shift ;;
        --reps) reps=$2; shift ;;
        --work) work=$2; shift ;;
        --parts) parts=$2; shift ;;
        --keep) keep=1 ;;
        -h|--help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
# The pinned escalation (flows/s, then unpaced): steps up to what the sender reaches alone.
pin_steps="400000 800000 1600000 2400000 3200000 4000000 4800000 6400000 8000000 9600000 0"
case $mode in
    quick) : "${flows:=100000}" "${reps:=1}"; col_flows=40000; col_rates="20000 80000"
           col_seconds=4; col_trials=1; probe_flows=20000
           cpu_flows=40000; cpu_rates="20000 0"; cpu_trials=1
           pin_rates="200000 0"; pin_trials=1 ;;
    full)  : "${flows:=1000000}" "${reps:=3}"; col_flows=300000
           col_rates="25000 50000 100000 200000 400000 800000"; col_seconds=8
           col_trials=3; probe_flows=300000
           cpu_flows=2000000; cpu_rates="50000 200000 400000 0"; cpu_trials=3
           pin_rates=$pin_steps; pin_trials=3 ;;
    big)   : "${flows:=10000000}" "${reps:=3}"; col_flows=300000
           col_rates="25000 50000 100000 200000 400000 800000"; col_seconds=8
           col_trials=3; probe_flows=300000
           cpu_flows=2000000; cpu_rates="50000 200000 400000 0"; cpu_trials=3
           pin_rates=$pin_steps; pin_trials=3 ;;
esac
has_part() { [[ ",$parts," == *",$1,"* ]]; }

for tool in "$FLOWDUMP" "$FLOWCAPD" "$GEN"; do
    [ -x "$tool" ] && continue
    echo "run.sh: $tool not built (ninja -C $BIN flowdump flowcapd flowbench_gen)" >&2
    exit 1
done
for tool in nfdump nfcapd /usr/bin/time; do
    command -v "$tool" >/dev/null && continue
    echo "run.sh: $tool missing (scripts/setup.sh installs it)" >&2
    exit 1
done

mkdir -p "$work"
work=$(cd "$work" && pwd)
STARTED=()
cleanup() {
    for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
    release_ports
    if [ "$keep" = 0 ]; then rm -rf "$work/sets" "$work/clients" "$work/col" "$work/probe"; fi
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

# Collector ports as the test suite picks them (scripts/ports.sh): below the kernel's
# ephemeral range and reserved in the suite's lock directory (holding this script's PID;
# released at exit), so that a test running beside the benchmark
# (tests/e2e/bench_smoke_test.sh under ctest -j) never picks the same one.
source "$SRC/scripts/ports.sh"

wait_port() {
    local port=$1 pid=$2
    for _ in $(seq 1 200); do
        ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# The PID of the single child of $1 (the program /usr/bin/time runs).
child_of() {
    local c=""
    for _ in $(seq 1 100); do
        c=$(pgrep -P "$1" | head -1 || true)
        [ -n "$c" ] && { echo "$c"; return; }
        sleep 0.02
    done
}

# Flows stored in a directory of nfdump files, as nfdump counts them.
stored_flows() {
    nfdump -R "$1" -I 2>/dev/null | awk '/^Flows:/ { n += $2 } END { print n + 0 }'
}

median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) print "nan"
            else if (NR % 2) print v[(NR + 1) / 2]
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

sets_dir=$work/sets
pcap=$work/export-$flows.pcap

make_data() {
    log "generating $flows flows ($pcap)"
    if [ ! -s "$pcap" ] || [ ! -s "$pcap.idx" ]; then
        "$GEN" pcap --flows "$flows" --seed 1 --out "$pcap" >&2
    fi
    rm -rf "$sets_dir"
    mkdir -p "$sets_dir"/{fk-none,fk-lz4,nf-none,nf-lz4}
    "$FLOWCAPD" -f "$pcap" -w "$sets_dir/fk-none" -t 3600 >"$work/flowcapd-none.log" 2>&1
    "$FLOWCAPD" -f "$pcap" -w "$sets_dir/fk-lz4" -t 3600 -y >"$work/flowcapd-lz4.log" 2>&1

    # nfcapd has no pcap input: replay at a rate it keeps up with, halve it on any loss.
    local rate=100000
    for attempt in 1 2 3 4; do
        rm -rf "$sets_dir/nf-none" "$sets_dir/nf-lz4"
        mkdir -p "$sets_dir/nf-none" "$sets_dir/nf-lz4"
        local p1 p2 pid1 pid2
        p1=$(free_port)
        p2=$(free_port)
        nfcapd -b 127.0.0.1 -p "$p1" -w "$sets_dir/nf-none" -t 3600 -B 4000000 \
            >"$work/nfcapd-none.log" 2>&1 &
        pid1=$!
        STARTED+=("$pid1")
        nfcapd -b 127.0.0.1 -p "$p2" -w "$sets_dir/nf-lz4" -t 3600 -y -B 4000000 \
            >"$work/nfcapd-lz4.log" 2>&1 &
        pid2=$!
        STARTED+=("$pid2")
        if ! wait_port "$p1" "$pid1" || ! wait_port "$p2" "$pid2"; then
            cat "$work"/nfcapd-*.log >&2
            exit 1
        fi
        "$GEN" send --pcap "$pcap" --to "127.0.0.1:$p1" --to "127.0.0.1:$p2" --rate "$rate" \
            >/dev/null
        sleep 1
        kill -TERM "$pid1" "$pid2"
        wait "$pid1" || true
        wait "$pid2" || true
        rm -f "$sets_dir"/nf-*/.nfstat
        local n1 n2
        n1=$(stored_flows "$sets_dir/nf-none")
        n2=$(stored_flows "$sets_dir/nf-lz4")
        [ "$n1" = "$flows" ] && [ "$n2" = "$flows" ] && break
        log "nfcapd stored $n1 and $n2 of $flows flows at $rate flows/s; retrying slower"
        rate=$((rate / 2))
    done
    for set in fk-none fk-lz4 nf-none nf-lz4; do
        local n
        n=$(stored_flows "$sets_dir/$set")
        [ "$n" = "$flows" ] || { echo "run.sh: $set holds $n flows, not $flows" >&2; exit 1; }
        log "$set: $(ls "$sets_dir/$set" | tr '\n' ' ')($n flows," \
            "$(du -sm "$sets_dir/$set" | cut -f1) MB)"
    done
}

# measure OUT CMD...: runs CMD with stdout to /dev/null; appends "wall cpu rss_kb status".
measure() {
    local out=$1 t=$work/time.$$
    shift
    local status=0 start end
    # Wall time from bash's microsecond clock (time's %e has 10 ms steps); CPU and RSS from time.
    start=$EPOCHREALTIME
    /usr/bin/time -f '%U %S %M' -o "$t" "$@" >/dev/null 2>"$work/stderr.last" || status=$?
    end=$EPOCHREALTIME
    awk -v s="$status" -v a="$start" -v b="$end" \
        'END { printf "%.4f %.2f %s %s\n", b - a, $1 + $2, $3, s }' "$t" >>"$out"
}

RESULTS=$work/results.tsv
row() {  # case set fd-samples nf-samples
    local name=$1 set=$2 fd=$3 nf=$4
    local fdw nfw fdc nfc fdm nfm fds nfs
    fdw=$(cut -d' ' -f1 "$fd" | median); nfw=$(cut -d' ' -f1 "$nf" | median)
    fdc=$(cut -d' ' -f2 "$fd" | median); nfc=$(cut -d' ' -f2 "$nf" | median)
    fdm=$(cut -d' ' -f3 "$fd" | sort -g | tail -1); nfm=$(cut -d' ' -f3 "$nf" | sort -g | tail -1)
    fds=$(cut -d' ' -f4 "$fd" | sort -u | tr '\n' '/' | sed 's|/$||')
    nfs=$(cut -d' ' -f4 "$nf" | sort -u | tr '\n' '/' | sed 's|/$||')
    awk -v c="$name" -v s="$set" -v fw="$fdw" -v nw="$nfw" -v fc="$fdc" -v nc="$nfc" \
        -v fm="$fdm" -v nm="$nfm" -v fs="$fds" -v ns="$nfs" -v n="$flows" 'BEGIN {
        r = nw > 0 ? fw / nw : (fw > 0 ? 99.99 : 1)
        rc = nc > 0 ? fc / nc : (fc > 0 ? 99.99 : 1)
        printf "%-18s %-8s %9.3f %9.3f %7.2f %7.2f %8.2f %8.2f %7.0f %7.0f  %s/%s\n",
            c, s, fw, nw, r, rc, (fw > 0 ? n / fw / 1e6 : 0), (nw > 0 ? n / nw / 1e6 : 0),
            fm / 1024, nm / 1024, fs, ns
    }' | tee -a "$RESULTS.table"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$set" "$fdw" "$nfw" "$fdc" "$nfc" \
        "$fdm" "$nfm" "$fds" "$nfs" >>"$RESULTS"
}

header() {
    printf '%-18s %-8s %9s %9s %7s %7s %8s %8s %7s %7s  %s\n' case files fd_s nf_s ratio \
        cpu_rat fd_Mf/s nf_Mf/s fd_MB nf_MB exit
}

# bench_case NAME SET ARGS...: flowdump and nfdump alternately, $reps times each. The set's
# files are read into the page cache before every run: some machines evict it within
# minutes, and whichever tool ran first on evicted files paid for the disk.
bench_case() {
    local name=$1 set=$2
    shift 2
    local fd=$work/s.fd nf=$work/s.nf
    : >"$fd"
    : >"$nf"
    for _ in $(seq 1 "$reps"); do
        cat "$sets_dir/$set"/* >/dev/null
        measure "$fd" "$FLOWDUMP" -R "$sets_dir/$set" "$@"
        cat "$sets_dir/$set"/* >/dev/null
        measure "$nf" nfdump -R "$sets_dir/$set" "$@"
    done
    row "$name" "$set" "$fd" "$nf"
}

# lz4_floor SET: liblz4 alone decompressing the set's blocks on two threads (flowbench_lz4),
# next to nfdump's `-o null` on the same files: the ratio no reader that uses liblz4 on this
# machine's two cores can go below, whatever its own work per record.
lz4_floor() {
    local set=$1 fd=$work/s.fd nf=$work/s.nf
    [ -x "$LZ4ALONE" ] || { log "lz4-alone: $LZ4ALONE not built"; return 0; }
    : >"$fd"
    : >"$nf"
    for _ in $(seq 1 "$reps"); do
        cat "$sets_dir/$set"/* >/dev/null
        measure "$fd" "$LZ4ALONE" --threads 2 "$sets_dir/$set"/*
        cat "$sets_dir/$set"/* >/dev/null
        measure "$nf" nfdump -R "$sets_dir/$set" -o null
    done
    row lz4-alone "$set" "$fd" "$nf"
}

read_cases() {
    local set=$1 subset=$2
    bench_case read-null "$set" -o null
    case $set in *-lz4) lz4_floor "$set" ;; esac
    bench_case filter-none "$set" -q -o line 'proto 132'
    bench_case filter-line "$set" -o line 'proto tcp and dst port 22'
    bench_case stat-srcip "$set" -s srcip/bytes -n 10
    bench_case aggr-srcip-dstip "$set" -A srcip,dstip
    [ "$subset" = all ] || return 0
    bench_case line "$set" -o line
    bench_case csv "$set" -o csv
    bench_case json "$set" -o json
    bench_case stat-dstport-net "$set" -s dstport/bytes 'net 10.0.0.0/8'
    bench_case aggr-srcip24-port "$set" -A srcip4/24,dstport
    bench_case bidir-b "$set" -b
    bench_case bidir-B "$set" -B
    # Beyond the issue's list: Pandora's top-N records and SOF-ELK's time-sorted export.
    bench_case stat-record "$set" -s record/bytes -n 10
    bench_case sort-tstart "$set" -O tstart -o line
}

# The client tree: every file of nf-none linked into each place the client lines read.
make_client_tree() {
    local c=$work/clients f stamp day
    rm -rf "$c"
    mkdir -p "$c/netflow" "$c/sflow" "$c/nna/var/A/flows" "$c/nna/var/B/flows"
    for f in "$sets_dir"/nf-none/nfcapd.*; do
        stamp=${f##*/nfcapd.}
        day="${stamp:0:4}/${stamp:4:2}/${stamp:6:2}"
        for d in netflow sflow nna/var/A/flows nna/var/B/flows; do ln "$f" "$c/$d/"; done
        for s in upstream1 peer1 peer2; do
            mkdir -p "$c/live/$s/$day"
            ln "$f" "$c/live/$s/$day/"
        done
    done
}

clients_case() {
    make_client_tree
    local first last fd=$work/s.fd nf=$work/s.nf
    first=$(cd "$sets_dir/nf-none" && ls nfcapd.* | head -1)
    last=$(cd "$sets_dir/nf-none" && ls nfcapd.* | tail -1)
    : >"$fd"
    : >"$nf"
    for _ in $(seq 1 "$reps"); do
        measure "$fd" bash "$SRC/scripts/bench/clients.sh" "$FLOWDUMP" "$work/clients" "$first" \
            "$last"
        log "flowdump $(cat "$work/stderr.last")"
        measure "$nf" bash "$SRC/scripts/bench/clients.sh" nfdump "$work/clients" "$first" "$last"
        log "nfdump $(cat "$work/stderr.last")"
    done
    row real-clients nf-none "$fd" "$nf"
}

# collect_run NAME RATE [CODEC [PCAP [SECONDS]]]: one collector (CODEC none or lz4), one
# paced send (RATE 0: unpaced); prints a result line. CPU comes from bash's time (getrusage,
# to the millisecond; /usr/bin/time prints 10 ms steps), the peak RSS from /usr/bin/time.
# Set by collector_pinned_bench only, the same for both collectors: pin_collector and
# pin_sender (CPU lists for taskset), pin_rcvbuf (-B bytes), pin_batch (send --batch).
pin_collector="" pin_sender="" pin_rcvbuf="" pin_batch=""
collect_run() {
    local name=$1 rate=$2 codec=${3:-none} src=${4:-$work/col.pcap} secs=${5:-$col_seconds}
    local dir=$work/col/$1-$2-$codec port t tpid cpid y=() pin=() send_pin=() send_opts=()
    rm -rf "$dir"
    mkdir -p "$dir"
    port=$(free_port)
    t=$dir.time
    [ "$codec" = lz4 ] && y=(-y)
    [ -n "$pin_rcvbuf" ] && y+=(-B "$pin_rcvbuf")
    [ -n "$pin_collector" ] && pin=(taskset -c "$pin_collector")
    [ -n "$pin_sender" ] && send_pin=(taskset -c "$pin_sender")
    [ -n "$pin_batch" ] && send_opts=(--batch "$pin_batch")
    local cmd=(nfcapd)
    [ "$name" = flowcapd ] && cmd=("$FLOWCAPD")
    ( TIMEFORMAT='%3U %3S'
      time /usr/bin/time -f '%M' -o "$t.rss" "${pin[@]}" "${cmd[@]}" -b 127.0.0.1 -p "$port" \
          -w "$dir" -t 3600 "${y[@]}" >"$dir.log" 2>&1 ) 2>"$t" &
    tpid=$!
    STARTED+=("$tpid")
    cpid=$(child_of "$(child_of "$tpid")")
    if ! wait_port "$port" "$tpid"; then
        cat "$dir.log" >&2
        echo "run.sh: $name did not start" >&2
        exit 1
    fi
    local sent
    sent=$("${send_pin[@]}" "$GEN" send --pcap "$src" --to "127.0.0.1:$port" --rate "$rate" \
        --max-seconds "$secs" "${send_opts[@]}")
    sleep 1
    kill -TERM "$cpid"
    wait "$tpid" || true
    rm -f "$dir/.nfstat"
    local stored
    stored=$(stored_flows "$dir")
    read -r _ sent_flows seconds <<<"$sent"
    read -r user sys <"$t"
    read -r rss <"$t.rss"
    awk -v c="$name" -v r="$rate" -v f="$sent_flows" -v s="$seconds" -v st="$stored" \
        -v u="$user" -v y="$sys" -v m="$rss" 'BEGIN {
        printf "%-9s %9d %9.0f %9d %9d %7.3f %8.3f %8.3f %6.0f\n", c, r, (s > 0 ? f / s : 0), f, st,
            (f > 0 ? (f - st) * 100 / f : 0), u + y, (st > 0 ? (u + y) * 1e6 / st : 0), m / 1024
    }'
    rm -rf "$dir"
}

# escalate TAG LABEL TRIALS DETAIL RATES [ARGS...]: the rising rates of a collector part.
# Per rate, TRIALS trials of `collect_run NAME RATE ARGS...`, flowcapd and nfcapd
# interleaved so both see the same load on a shared machine; a rate counts as lossless for a
# collector when its median loss is 0, and a collector's escalation stops at its first lossy
# rate. Trials go to $work/col/TAG<name>-<rate>.trials; LABEL follows the collector's name in
# the closing lines. DETAIL 1 marks rates the sender fell short of and says why each
# escalation ended.
escalate() {
    local tag=$1 label=$2 trials=$3 detail=$4 rates=$5
    shift 5
    local name rate trial summary
    local -A best=([flowcapd]=0 [nfcapd]=0) climbing=([flowcapd]=1 [nfcapd]=1)
    for rate in $rates; do
        [ "${climbing[flowcapd]}${climbing[nfcapd]}" = 00 ] && break
        for name in flowcapd nfcapd; do : >"$work/col/$tag$name-$rate.trials"; done
        for trial in $(seq 1 "$trials"); do
            for name in flowcapd nfcapd; do
                [ "${climbing[$name]}" = 1 ] || continue
                collect_run "$name" "$rate" "$@" >>"$work/col/$tag$name-$rate.trials"
            done
        done
        for name in flowcapd nfcapd; do
            [ "${climbing[$name]}" = 1 ] || continue
            summary=$(awk -v c="$name" -v r="$rate" -v detail="$detail" '
                function med(col,   n, i, j, t, v) {
                    n = 0
                    for (i = 1; i <= NR; i++) v[++n] = x[i, col]
                    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
                        t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
                    }
                    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                }
                {
                    for (k = 1; k <= NF; k++) x[NR, k] = $k
                    if ($6 > 0) lossy++
                    if ($9 > mb) mb = $9
                }
                END {
                    short = detail && r > 0 && med(3) < 0.95 * r
                    short = short ? " sender short of the target" : ""
                    printf "%-9s %9d %9.0f %9d %9d %7.3f %3d/%-2d %8.2f %8.2f %6.0f%s\n", c, r,
                        med(3), med(4), med(5), med(6), lossy, NR, med(7), med(8), mb, short
                }' "$work/col/$tag$name-$rate.trials")
            echo "$summary" | tee -a "$RESULTS.collector"
            if [ "$(echo "$summary" | awk '{ print ($6 == 0) }')" = 1 ]; then
                best[$name]=$(echo "$summary" | awk '{ print $3 }')
            else
                climbing[$name]=0
            fi
        done
    done
    local why
    for name in flowcapd nfcapd; do
        why=""
        if [ "$detail" = 1 ]; then
            why=" ($([ "${climbing[$name]}" = 1 ] && echo "never lost: the top rate tried" ||
                echo "lost at the next rate"))"
        fi
        echo "$name$label: highest rate stored without loss: ${best[$name]} flows/s$why" |
            tee -a "$RESULTS.collector"
    done
}

# The rising rates (escalate) with each collector at its own defaults.
collector_bench() {
    mkdir -p "$work/col"
    [ -s "$work/col.pcap" ] && [ -s "$work/col.pcap.idx" ] ||
        "$GEN" pcap --flows "$col_flows" --seed 2 --out "$work/col.pcap" >&2
    echo
    echo "## Collector: paced NetFlow v9 over 127.0.0.1, at most $col_flows flows or" \
        "${col_seconds}s per trial, medians of $col_trials trial(s)"
    printf '%-9s %9s %9s %9s %9s %7s %6s %8s %8s %6s\n' collector target achieved sent stored \
        loss_% lossy cpu_s cpu_s/Mf MB
    escalate "" "" "$col_trials" 0 "$col_rates"
}

# Per codec and rate, $cpu_trials trials of $cpu_flows flows, flowcapd and nfcapd interleaved;
# medians of CPU seconds per million stored flows, and flowcapd's as a fraction of nfcapd's.
collector_cpu_bench() {
    mkdir -p "$work/col"
    local src=$work/col-cpu-$cpu_flows.pcap
    [ -s "$src" ] && [ -s "$src.idx" ] ||
        "$GEN" pcap --flows "$cpu_flows" --seed 2 --out "$src" >&2
    echo
    echo "## Collector CPU: $cpu_flows NetFlow v9 flows per trial over 127.0.0.1 at fixed" \
        "rates (0 = unpaced), medians of $cpu_trials trial(s); ratio = flowcapd/nfcapd"
    printf '%-9s %5s %9s %9s %9s %7s %8s %8s %6s\n' collector codec target achieved stored \
        loss_% cpu_s cpu_s/Mf ratio
    local codec rate trial name
    for codec in none lz4; do
        for rate in $cpu_rates; do
            local trials=$work/col/cpu-$codec-$rate
            : >"$trials.flowcapd"
            : >"$trials.nfcapd"
            for trial in $(seq 1 "$cpu_trials"); do
                for name in flowcapd nfcapd; do
                    collect_run "$name" "$rate" "$codec" "$src" 120 >>"$trials.$name"
                done
            done
            awk -v codec="$codec" -v r="$rate" '
                function med(f, col,   n, i, j, t, v) {
                    n = 0
                    for (i = 1; i <= rows[f]; i++) v[++n] = x[f, i, col]
                    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
                        t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
                    }
                    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
                }
                { f = FILENAME ~ /flowcapd$/ ? "flowcapd" : "nfcapd"; rows[f]++
                  for (k = 1; k <= NF; k++) x[f, rows[f], k] = $k }
                END {
                    ratio = med("nfcapd", 8) > 0 ? med("flowcapd", 8) / med("nfcapd", 8) : 0
                    split("flowcapd nfcapd", names, " ")
                    for (i = 1; i <= 2; i++) {
                        c = names[i]
                        printf "%-9s %5s %9d %9.0f %9d %7.3f %8.3f %8.3f %6s\n", c, codec, r,
                            med(c, 3), med(c, 5), med(c, 6), med(c, 7), med(c, 8),
                            (c == "flowcapd" ? sprintf("%.2f", ratio) : "")
                    }
                }' "$trials.flowcapd" "$trials.nfcapd" | tee -a "$RESULTS.collector"
        done
    done
}

# The highest lossless rate with the sender out of the way: the sender (pre-built datagrams
# from memory, sendmmsg of 64) pinned to one CPU, the collector (all its threads) to the
# other, and both collectors given the same receive buffer with -B: the smaller of 8 MiB and
# net.core.rmem_max, so that nfcapd (which does not force past rmem_max) and flowcapd get the
# same size. Loopback delivery into the socket runs in the sender's system call, on the
# sender's CPU, so the collector's CPU only takes the datagrams out, decodes and writes.
# Rates rise per collector until its median loss is above 0, as in collector_bench; a rate
# the sender did not reach (under 95 % of the target) is marked. Needs taskset and 2 CPUs.
collector_pinned_bench() {
    echo
    if ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; then
        echo "## Collector, pinned: skipped (needs taskset and at least 2 CPUs)"
        return 0
    fi
    mkdir -p "$work/col"
    local src=$work/col-cpu-$cpu_flows.pcap
    [ -s "$src" ] && [ -s "$src.idx" ] ||
        "$GEN" pcap --flows "$cpu_flows" --seed 2 --out "$src" >&2
    local rmem_max
    rmem_max=$(cat /proc/sys/net/core/rmem_max 2>/dev/null || echo 212992)
    pin_rcvbuf=$(( rmem_max < 8388608 ? rmem_max : 8388608 ))
    pin_sender=${FLOWKIT_PIN_SENDER:-0}
    pin_collector=${FLOWKIT_PIN_COLLECTOR:-1}
    pin_batch=64
    echo "## Collector, pinned: $cpu_flows NetFlow v9 flows per trial over 127.0.0.1, sender" \
        "on CPU $pin_sender (send --batch $pin_batch), collector on CPU $pin_collector," \
        "both -B $pin_rcvbuf; medians of $pin_trials trial(s)"
    # The sender's ceiling: unpaced to a sink that only counts, on the collector's CPU.
    local port spid out
    port=$(free_port)
    taskset -c "$pin_collector" "$GEN" sink --port "$port" >"$work/col/sink.out" &
    spid=$!
    STARTED+=("$spid")
    wait_port "$port" "$spid" || { echo "run.sh: sink did not start" >&2; exit 1; }
    out=$(taskset -c "$pin_sender" "$GEN" send --pcap "$src" --to "127.0.0.1:$port" --rate 0 \
        --batch "$pin_batch")
    kill -TERM "$spid"
    wait "$spid" || true
    echo "$out $(cat "$work/col/sink.out")" | awk '{
        printf "sender alone, unpaced to a counting sink: %.0f flows/s (%d of %d datagrams" \
            " counted)\n", ($3 > 0 ? $2 / $3 : 0), $4, $1 }' | tee -a "$RESULTS.collector"
    printf '%-9s %9s %9s %9s %9s %7s %6s %8s %8s %6s\n' collector target achieved sent stored \
        loss_% lossy cpu_s cpu_s/Mf MB
    escalate pin- ", pinned" "$pin_trials" 1 "$pin_rates" none "$src" 120
    pin_collector="" pin_sender="" pin_rcvbuf="" pin_batch=""
}

probe_bench() {
    echo
    echo "## Probe: flowprobe and softflowd reading one capture, exporting v9 to a sink on" \
        "127.0.0.1"
    if [ ! -x "$FLOWPROBE" ]; then
        echo "probe: skipped, $FLOWPROBE is not built"
        return 0
    fi
    if ! command -v softflowd >/dev/null; then
        echo "probe: skipped, softflowd is not installed"
        return 0
    fi
    mkdir -p "$work/probe"
    local cap=$work/probe/traffic-$probe_flows.pcap packets
    [ -s "$cap" ] || "$GEN" packets --flows "$probe_flows" --seed 3 --out "$cap" >"$cap.count"
    packets=$(awk '{ print $1 }' "$cap.count")
    printf '%-10s %9s %8s %8s %11s %6s %9s\n' probe packets wall_s cpu_s packets/s MB datagrams
    local name port sink spid t status
    for name in flowprobe softflowd; do
        port=$(free_port)
        "$GEN" sink --port "$port" >"$work/probe/$name.sink" &
        spid=$!
        STARTED+=("$spid")
        wait_port "$port" "$spid" || { echo "run.sh: sink did not start" >&2; exit 1; }
        t=$work/probe/$name.time
        status=0
        if [ "$name" = flowprobe ]; then
            /usr/bin/time -f '%e %U %S %M' -o "$t" "$FLOWPROBE" -r "$cap" -n "127.0.0.1:$port" \
                -v 9 --pace-us 0 >"$work/probe/$name.log" 2>&1 || status=$?
        else
            # NOTE: with -c, softflowd 1.1.0 -r blocks in accept() on its control socket
            # before reading the file, so it keeps its default control socket here.
            /usr/bin/time -f '%e %U %S %M' -o "$t" softflowd -d -r "$cap" -n "127.0.0.1:$port" \
                -v 9 -m 65536 -p "$work/probe/softflowd.pid" >"$work/probe/$name.log" 2>&1 ||
                status=$?
        fi
        sleep 0.5
        kill -TERM "$spid"
        wait "$spid" || true
        [ "$status" = 0 ] ||
            log "$name exited with status $status: $(tail -2 "$work/probe/$name.log")"
        awk -v c="$name" -v p="$packets" -v d="$(awk '{ print $1 }' "$work/probe/$name.sink")" \
            'END { printf "%-10s %9d %8.2f %8.2f %11.0f %6.0f %9d\n", c, p, $1, $2 + $3,
                   ($1 > 0 ? p / $1 : 0), $4 / 1024, d }' "$t" | tee -a "$RESULTS.probe"
    done
}

# Main ---------------------------------------------------------------------------------------
: >"$RESULTS"
: >"$RESULTS.table"
: >"$RESULTS.collector"
: >"$RESULTS.probe"
nfdump_version=$(nfdump -V 2>&1 | head -1 | sed 's/.*Version: //')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "# flowkit vs nfdump $nfdump_version: $mode run, $flows flows, $reps repetition(s)"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $cpu," \
    "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if has_part data || { { has_part read || has_part clients; } && [ ! -d "$sets_dir/nf-none" ]; }
then
    make_data
fi
if has_part read || has_part clients; then
    echo
    echo "## Reading: medians of $reps run(s); ratio = flowdump/nfdump wall time" \
        "(< 1: flowkit faster)"
    header
    if has_part read; then
        read_cases nf-none all
        for set in fk-none nf-lz4 fk-lz4; do read_cases "$set" subset; done
    fi
    if has_part clients; then clients_case; fi
fi
if has_part collector; then collector_bench; fi
if has_part collector-cpu; then collector_cpu_bench; fi
if has_part collector-pinned; then collector_pinned_bench; fi
if has_part probe; then probe_bench; fi
echo
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
