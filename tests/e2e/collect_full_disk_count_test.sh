#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every flow sent to flowcapd on a disk that fills up is either in a file, counted by that
# file's stat record, or counted as not stored (interval log line, --stats-file, Prometheus):
# stored + not stored == sent, exactly. Guards the newcomer's issue-4 report (3936 flows lost
# uncounted, a stat record claiming flows its file did not hold), and flows held in memory
# while no file could be created are counted when the collector stops. Runs in a private mount
# namespace with a small tmpfs; skipped where namespaces or mounts are not allowed.
source "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || skip "unshare not available"
command -v curl >/dev/null || skip "curl not available"
unshare -m true 2>/dev/null || skip "no permission for a private mount namespace"
unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$WORK'" 2>/dev/null ||
    skip "mount not permitted"

cat >"$WORK/inner.sh" <<'INNER'
set -euo pipefail
source "$FLOWKIT_SOURCE_DIR/tests/e2e/lib.sh"
# size: the tmpfs; the first leaves room for some blocks, the second for none.
run() {
    local size=$1 disk=$OUTER/disk-$1
    mkdir -p "$disk"
    mount -t tmpfs -o "size=$size" tmpfs "$disk"
    local dir=$disk/flows port http
    mkdir -p "$dir"
    port=$(free_port)
    http=$(free_port)
    "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 5 --prometheus "127.0.0.1:$http" \
        --stats-file "$OUTER/stats-$size" >"$OUTER/fk-$size.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows 30000 --seed 5 2>/dev/null
    # Until the files that got the flows are closed (the interval's end, up to 5 s away): every
    # flow sent is then in the log's "Flows:" or "Flows not stored:" counts, and Prometheus
    # must say the same. At most 30 s; if the counts never reach 30000 the checks below say so.
    local counted
    for _ in $(seq 1 300); do
        counted=$({ grep -o "Flows: [0-9]*\|Flows not stored: [0-9]*" "$OUTER/fk-$size.log" ||
            true; } | awk '{s += $NF} END {print s + 0}')
        [ "$counted" -ge 30000 ] && break
        sleep 0.1
    done
    local prom
    prom=$(curl -s "http://127.0.0.1:$http/metrics" |
        awk '/^flowcapd_flows_not_stored_total/ {print $2}')
    kill -TERM "$pid"
    wait "$pid" || true
    umount_later+=("$disk")
    local log=$OUTER/fk-$size.log
    grep -q "No space left on device" "$log" || { cat "$log"; echo "FAIL: no ENOSPC logged"; exit 1; }

    # Each file: readable, closed, and its stat record counts exactly the flows it holds.
    local stored=0 f in_file in_stat
    for f in "$dir"/nfcapd.2*; do
        in_file=$("$FLOWDUMP" -r "$f" -q -o csv | grep -vc '^No matching' || true)
        in_stat=$("$FLOWDUMP" -I -r "$f" | awk '$1 == "Flows:" {print $2}')
        [ "$in_file" = "$in_stat" ] ||
            { echo "FAIL: $size: $f holds $in_file flows, its stat record says $in_stat"; exit 1; }
        if "$FLOWDUMP" -v "$f" 2>&1 | grep -q "not closed"; then
            echo "FAIL: $size: $f was left unclosed"; exit 1
        fi
        stored=$((stored + in_file))
    done
    local logged_stored logged_lost stats_lost
    logged_stored=$(grep -o "Flows: [0-9]*" "$log" | awk '{s += $2} END {print s + 0}')
    logged_lost=$({ grep -o "Flows not stored: [0-9]*" "$log" || true; } | awk '{s += $4} END {print s + 0}')
    stats_lost=$({ grep -o "flows_not_stored [0-9]*" "$OUTER/stats-$size" || true; } | awk '{print $2}')
    echo "$size: stored $stored (log $logged_stored), not stored: log $logged_lost," \
        "stats file $stats_lost, prometheus $prom"
    [ "$logged_stored" = "$stored" ] || { cat "$log"; echo "FAIL: $size: log says $logged_stored stored"; exit 1; }
    [ $((stored + logged_lost)) -eq 30000 ] || { cat "$log"; echo "FAIL: $size: stored + not stored != 30000"; exit 1; }
    [ "$prom" = "$logged_lost" ] || { echo "FAIL: $size: prometheus says $prom not stored"; exit 1; }
    [ "$stats_lost" = "$logged_lost" ] || { echo "FAIL: $size: stats file says $stats_lost"; exit 1; }
    [ "$logged_lost" -gt 0 ] || { echo "FAIL: $size: the disk never filled"; exit 1; }
}
# No room even for a new file: the flows received then are held in memory, and those still
# held at SIGTERM are counted as not stored.
nofile() {
    local disk=$OUTER/disk-nofile
    mkdir -p "$disk"
    mount -t tmpfs -o size=1m tmpfs "$disk"
    umount_later+=("$disk")
    local dir=$disk/flows port
    mkdir -p "$dir"
    port=$(free_port)
    local log=$OUTER/fk-nofile.log
    "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 5 >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
    dd if=/dev/zero of="$disk/filler" bs=4k status=none 2>/dev/null || true
    # Wait for the rotation that cannot create the next file.
    for _ in $(seq 1 140); do grep -q "^Ident:" "$log" && break; sleep 0.05; done
    sleep 0.3
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --flows 2000 --seed 7 2>/dev/null
    # Flows still unread on the socket at SIGTERM would be neither stored nor counted.
    wait_received "$port"
    kill -TERM "$pid"
    wait "$pid" || true
    local stored=0 f n
    for f in "$dir"/nfcapd.2*; do
        n=$("$FLOWDUMP" -r "$f" -q -o csv | grep -vc '^No matching' || true)
        stored=$((stored + n))
    done
    local lost
    lost=$({ grep -o "Flows not stored: [0-9]*" "$log" || true; } | awk '{s += $4} END {print s + 0}')
    echo "nofile: stored $stored, not stored $lost"
    [ $((stored + lost)) -eq 2000 ] || { cat "$log"; echo "FAIL: nofile: stored + not stored != 2000"; exit 1; }
    [ "$lost" -gt 0 ] || { cat "$log"; echo "FAIL: nofile: nothing was held"; exit 1; }
}
umount_later=()
trap 'for d in "${umount_later[@]}"; do umount -l "$d" 2>/dev/null || true; done; cleanup' EXIT
run 3m
run 512k
nofile
INNER
OUTER=$WORK FLOWCAPD=$FLOWCAPD FLOWDUMP=$FLOWDUMP FLOWKIT_SEND=$FLOWKIT_SEND \
    FLOWKIT_SOURCE_DIR=$FLOWKIT_SOURCE_DIR FLOWKIT_BIN=$FLOWKIT_BIN \
    unshare -m bash "$WORK/inner.sh"
