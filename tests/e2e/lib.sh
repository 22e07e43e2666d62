# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers of the end-to-end tests: locating binaries and the corpus, starting
# collectors on 127.0.0.1 and stopping exactly the processes a test started.
set -euo pipefail

export TZ=UTC
FLOWKIT_SOURCE_DIR=${FLOWKIT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FLOWKIT_BIN=$(cd "${FLOWKIT_BIN:-$FLOWKIT_SOURCE_DIR/build}" && pwd)
FLOWKIT_SEND=${FLOWKIT_SEND:-$FLOWKIT_BIN/tests/flowsend}
FLOWDUMP=$FLOWKIT_BIN/flowdump
FLOWCAPD=$FLOWKIT_BIN/flowcapd
CORPUS=${FLOWKIT_CORPUS_DIR:-$FLOWKIT_SOURCE_DIR/../shared/corpus}

WORK=$(mktemp -d /tmp/flowkit-e2e.XXXXXX)
STARTED_PIDS=()

cleanup() {
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    release_ports
    if [ -n "${FLOWKIT_KEEP_WORK:-}" ]; then echo "work kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Exit code 77 tells ctest the test was skipped.
skip() {
    echo "SKIP: $*"
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

need_corpus() {
    [ -d "$CORPUS" ] || skip "corpus not found at $CORPUS"
}

# generated_file FLOWS SEED: FLOWS generated flows (scripts/bench/flowbench_gen) decoded by
# flowcapd -f into $WORK/col; sets GENERATED to the file's path. Skips the test when the
# generator is not built.
generated_file() {
    local gen=$FLOWKIT_BIN/scripts/bench/flowbench_gen
    [ -x "$gen" ] || skip "flowbench_gen is not built"
    "$gen" pcap --flows "$1" --seed "$2" --out "$WORK/gen.pcap" >/dev/null
    mkdir -p "$WORK/col"
    "$FLOWCAPD" -f "$WORK/gen.pcap" -w "$WORK/col" -t 3600 >"$WORK/capd.log" 2>&1 ||
        fail "flowcapd -f failed: $(cat "$WORK/capd.log")"
    GENERATED=$(find "$WORK/col" -name 'nfcapd.2*' | head -1)
    [ -n "$GENERATED" ] || fail "flowcapd wrote no file"
}

need_nfdump() {
    command -v nfdump >/dev/null && command -v nfcapd >/dev/null ||
        skip "Debian's nfdump package is not installed"
}

# free_port and release_ports (cleanup frees this test's ports).
source "$FLOWKIT_SOURCE_DIR/scripts/ports.sh"

# start_collector NAME DIR PORT CMD...: starts CMD in the background, logging to
# $WORK/NAME.log, and waits until it listens on 127.0.0.1:PORT. flowcapd binds its socket
# before it opens its files, drops privileges, adds its repeaters and serves --prometheus,
# so for flowcapd (under any name) it also waits for the "Startup flowcapd." line that
# follows all of that: a test may then look at the current file, the process's user or
# those log lines at once.
start_collector() {
    local name=$1 dir=$2 port=$3
    shift 3
    mkdir -p "$dir"
    "$@" >"$WORK/$name.log" 2>&1 &
    local pid=$!
    STARTED_PIDS+=("$pid")
    eval "PID_$name=$pid"
    eval "PORT_$name=$port"
    local ready=bound
    if [ "$(readlink -f "$(command -v "$1" 2>/dev/null || echo "$1")")" = "$(readlink -f "$FLOWCAPD")" ]; then
        ready="Startup flowcapd."
    fi
    for _ in $(seq 1 200); do
        if ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
            if [ "$ready" = bound ] || grep -qF "$ready" "$WORK/$name.log"; then return 0; fi
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; fail "$name exited at start"; }
        sleep 0.05
    done
    fail "$name did not bind port $port and start up"
}

# wait_received PORT: waits (at most 20 s) until the UDP socket bound to PORT on this host
# holds no unread datagram. Datagrams sent over loopback are in the receiver's socket buffer
# when the send returns, so once a sender has finished this says the collector has taken
# everything it was sent off its socket, and stores it when it stops. (nfcapd and sfcapd do
# not read their socket again after SIGTERM; flowcapd reads what is queued then.)
wait_received() {
    local port=$1 q
    for _ in $(seq 1 400); do
        q=$(ss -Hlun "sport = :$port" 2>/dev/null | awk '{ s += $2 } END { print s + 0 }')
        [ "$q" = 0 ] && return 0
        sleep 0.05
    done
    fail "the socket on port $port still holds $q unread bytes after 20 s"
}

# stop_collector NAME: waits until the collector has read every datagram queued on its
# socket, then SIGTERM and wait; the collector then closes and renames its file.
stop_collector() {
    local name=$1
    local pid port
    pid=$(eval echo "\$PID_$name")
    port=$(eval echo "\$PORT_$name")
    kill -0 "$pid" 2>/dev/null && wait_received "$port"
    kill -TERM "$pid"
    wait "$pid" || fail "$name exited with status $? on SIGTERM"
}

# Drops the timing line, which differs from run to run.
strip_timing() {
    grep -v '^Sys: .* Runtime: ' || true
}
