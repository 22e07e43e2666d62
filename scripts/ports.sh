# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/e2e/lib.sh and scripts/bench/run.sh: UDP/TCP ports for collectors started
# on 127.0.0.1. A port handed out by free_port is reserved (a directory per port, holding the
# calling shell's PID) so that tests and the benchmark running side by side never pick the
# same one; release_ports frees the caller's reservations, and a reservation whose owner has
# died is taken over.
PORT_LOCKS=/tmp/flowkit-test-ports.$(id -u)

release_ports() {
    local pidfile
    for pidfile in "$PORT_LOCKS"/*/pid; do
        [ -f "$pidfile" ] && [ "$(cat "$pidfile" 2>/dev/null)" = "$$" ] &&
            rm -rf "$(dirname "$pidfile")"
    done
    return 0
}

# free_port: prints a port nobody listens on (UDP or TCP) and nobody has reserved, below the
# kernel's ephemeral range so that no client socket takes it before the collector binds it;
# status 1 with a message when none is found. FLOWKIT_PORTS=LOW-HIGH picks from that range
# instead (e.g. one set aside for a person on a shared machine).
free_port() {
    local port owner low=10000 high
    high=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$high" -gt 15000 ] 2>/dev/null || high=32768
    if [[ "${FLOWKIT_PORTS:-}" =~ ^([0-9]+)-([0-9]+)$ ]]; then
        low=${BASH_REMATCH[1]}
        high=$((BASH_REMATCH[2] + 1))
    fi
    mkdir -p "$PORT_LOCKS"
    for _ in $(seq 1 200); do
        port=$((low + RANDOM % (high - low)))
        if ss -Hluntn "sport = :$port" 2>/dev/null | grep -q .; then continue; fi
        if mkdir "$PORT_LOCKS/$port" 2>/dev/null; then
            echo "$$" >"$PORT_LOCKS/$port/pid"
            echo "$port"
            return 0
        fi
        owner=$(cat "$PORT_LOCKS/$port/pid" 2>/dev/null || true)
        if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
            rm -rf "$PORT_LOCKS/$port"
        fi
    done
    echo "no free port" >&2
    return 1
}
