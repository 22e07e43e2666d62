#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd's socket receive buffer: 8 MiB without -B (past net.core.rmem_max when the process
# may use SO_RCVBUFFORCE, as root), and what -B asks for. The kernel doubles the value it
# grants; ss shows the doubled one (skmem rb).
source "$(dirname "$0")/lib.sh"
dir=$WORK/flows
mkdir -p "$dir"

# rcvbuf NAME ARGS...: starts flowcapd, prints its socket's rb, stops it.
rcvbuf() {
    local name=$1 port rb
    shift
    port=$(free_port)
    start_collector "$name" "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" "$@"
    rb=$(ss -Hulnm "sport = :$port" | grep -o 'rb[0-9]*' | head -1)
    stop_collector "$name"
    echo "${rb#rb}"
}

rb=$(rcvbuf small -B 100000)
[ "$rb" = 200000 ] || fail "-B 100000: receive buffer $rb, want 200000 (twice the request)"

rmem_max=$(cat /proc/sys/net/core/rmem_max)
if [ "$(id -u)" != 0 ] && [ "$rmem_max" -lt $((8 << 20)) ]; then
    skip "not root and rmem_max $rmem_max is under 8 MiB: the default cannot be granted"
fi
rb=$(rcvbuf default)
[ "$rb" = $((16 << 20)) ] || fail "no -B: receive buffer $rb, want $((16 << 20)) (8 MiB asked)"
echo "ok: -B 100000 gives rb 200000, the default rb $rb"
