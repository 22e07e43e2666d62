#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd -D reports a failed start-up as the foreground collector does: exit 1 and the
# reason on stderr (issue 4: it exited 0 silently when the port, the PID file or the
# --prometheus address was taken). A good -D start still exits 0 with the PID file written.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not available"
dir=$WORK/flows
mkdir -p "$dir"
port=$(free_port)
taken=$(free_port)
# Holds UDP $taken and TCP $taken on 127.0.0.1 until killed.
python3 - "$taken" <<'PY' &
import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", p))
t = socket.socket()
t.bind(("127.0.0.1", p))
t.listen()
print("ready", flush=True)
time.sleep(60)
PY
holder=$!
STARTED_PIDS+=("$holder")
# Both sockets: the TCP one, bound after the UDP one, is what the --prometheus case needs.
for _ in $(seq 1 100); do
    ss -Hlun "sport = :$taken" | grep -q . && ss -Hltn "sport = :$taken" | grep -q . && break
    sleep 0.05
done

# expect_fail NAME PATTERN ARGS...: -D start-up must exit 1 with PATTERN on stderr.
expect_fail() {
    local name=$1 pattern=$2 rc=0
    shift 2
    timeout 20 "$FLOWCAPD" -D -w "$dir" -t 10 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ "$rc" -eq 1 ] || { cat "$WORK/$name.err"; fail "$name: -D exit $rc, expected 1"; }
    grep -q "$pattern" "$WORK/$name.err" || { cat "$WORK/$name.err"; fail "$name: no '$pattern'"; }
    echo "ok: $name: exit 1, $(grep "$pattern" "$WORK/$name.err")"
}
expect_fail port "Address already in use" -b 127.0.0.1 -p "$taken"
# A PID file naming a running collector (one naming any other process is stale and replaced).
live_port=$(free_port)
start_collector live "$WORK/live" "$live_port" "$FLOWCAPD" -b 127.0.0.1 -p "$live_port" \
    -w "$WORK/live" -P "$WORK/live.pid"
expect_fail pidfile "another collector with pid $PID_live is running" -b 127.0.0.1 -p "$port" \
    -P "$WORK/live.pid"
stop_collector live
expect_fail prometheus "prometheus.*Address already in use" -b 127.0.0.1 -p "$port" \
    --prometheus "127.0.0.1:$taken"

# A good start: exit 0 once listening, PID file naming the running daemon.
rc=0
timeout 20 "$FLOWCAPD" -D -b 127.0.0.1 -p "$port" -w "$dir" -t 10 -P "$WORK/good.pid" \
    2>"$WORK/good.err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/good.err"; fail "good -D start: exit $rc"; }
daemon=$(cat "$WORK/good.pid")
STARTED_PIDS+=("$daemon")
kill -0 "$daemon" || fail "PID file names $daemon, which is not running"
ss -Hlun "sport = :$port" | grep -q . || fail "the daemon does not listen on $port"
kill -TERM "$daemon"
for _ in $(seq 1 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.05; done
[ ! -e "$WORK/good.pid" ] || fail "PID file left after SIGTERM"
echo "ok: good -D start exit 0, pid $daemon"
