#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd on a full disk: writing fails with ENOSPC, the collector logs it, keeps running
# and keeps every file it closed readable; when space returns it writes again. Runs inside a
# private mount namespace with a 1 MiB tmpfs; skipped where namespaces are not allowed.
source "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || skip "unshare not available"
unshare -m true 2>/dev/null || skip "no permission for a private mount namespace"

cat >"$WORK/inner.sh" <<'INNER'
set -euo pipefail
source "$FLOWKIT_SOURCE_DIR/tests/e2e/lib.sh"
disk=$OUTER/disk
mkdir -p "$disk"
mount -t tmpfs -o size=1m tmpfs "$disk"
trap 'kill $(jobs -p) 2>/dev/null || true; umount -l "$disk" 2>/dev/null || true; cleanup' EXIT
dd if=/dev/zero of="$disk/filler" bs=1k count=900 status=none 2>/dev/null || true
dir=$disk/flows
mkdir -p "$dir"
port=$(free_port)
"$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2 >"$OUTER/fk.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 1 --flows 20000 2>/dev/null
# The write that fails comes when a block fills or the file closes (-t 2): wait for it.
for _ in $(seq 1 200); do grep -q "No space left on device" "$OUTER/fk.log" && break; sleep 0.1; done
kill -0 "$pid" || { cat "$OUTER/fk.log"; echo "FAIL: flowcapd died on a full disk"; exit 1; }
grep -q "No space left on device" "$OUTER/fk.log" || { cat "$OUTER/fk.log"; echo "FAIL: no ENOSPC logged"; exit 1; }
# Completely full: not even a new file's header fits at the next rotations.
dd if=/dev/zero of="$disk/filler2" bs=4k status=none 2>/dev/null || true
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 3 --flows 2000 2>/dev/null
sleep 3
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 4 --flows 2000 2>/dev/null
kill -0 "$pid" || { cat "$OUTER/fk.log"; echo "FAIL: flowcapd died when no file could be created"; exit 1; }
# Space returns: the collector writes again.
rm -f "$disk/filler" "$disk/filler2"
# Until the collector has a file again ("writing again to", within a tick); should it never
# have lost it, the wait ends after 20 s and the flows go to the file it has.
for _ in $(seq 1 200); do grep -q "writing again to" "$OUTER/fk.log" && break; sleep 0.1; done
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 2 --flows 300 2>/dev/null
wait_received "$port"
kill -TERM "$pid"
wait "$pid" || { cat "$OUTER/fk.log"; echo "FAIL: flowcapd exit status $? after SIGTERM"; exit 1; }
# Every file reads without error, and the flows sent after space returned are stored.
"$FLOWDUMP" -R "$dir" -q -o csv >"$OUTER/all.csv" 2>"$OUTER/err.txt"
if [ -s "$OUTER/err.txt" ]; then cat "$OUTER/err.txt"; echo "FAIL: flowdump errors"; exit 1; fi
n=$(grep -vc '^No matching' "$OUTER/all.csv" || true)
[ "$n" -ge 300 ] || { echo "FAIL: only $n flows stored after space returned"; exit 1; }
echo "ok: $n flows readable, collector survived ENOSPC"
INNER
OUTER=$WORK FLOWCAPD=$FLOWCAPD FLOWDUMP=$FLOWDUMP FLOWKIT_SEND=$FLOWKIT_SEND \
    FLOWKIT_SOURCE_DIR=$FLOWKIT_SOURCE_DIR FLOWKIT_BIN=$FLOWKIT_BIN \
    unshare -m bash "$WORK/inner.sh"
