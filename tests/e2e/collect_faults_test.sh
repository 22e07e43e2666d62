#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowcapd under faults and hostile input, each checked against the flows that were sent:
# a flood of garbage datagrams between valid ones, an exporter that restarts (sequence
# numbers and templates from the start again), a PID file naming another live process or
# planted as a symlink, and a permissive umask.
source "$(dirname "$0")/lib.sh"

count_flows() {  # count_flows DIR: flows stored in every closed file of DIR
    "$FLOWDUMP" -R "$1" -q -o csv 2>"$WORK/count.err" | grep -vc '^No matching' || true
}

# 1. Garbage flood: 3000 random datagrams (some with a NetFlow/IPFIX version word) from the
#    same loopback address as nothing else, interleaved with 2000 valid v9 flows.
dir=$WORK/flood
port=$(free_port)
start_collector flood "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600
(
    for i in $(seq 1 3000); do
        case $((i % 3)) in
            0) head -c $((i % 1400 + 1)) /dev/urandom ;;
            1) { printf '\x00\x09\x00\x05'; head -c $((i % 300 + 16)) /dev/urandom; } ;;
            2) { printf '\x00\x0a\x00\x40'; head -c $((i % 300 + 16)) /dev/urandom; } ;;
        esac >/dev/udp/127.0.0.1/"$port"
    done
) &
flood_pid=$!
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 7 --flows 2000 --gap-us 200 \
    2>/dev/null || fail "flowsend failed"
wait "$flood_pid"
kill -0 "$PID_flood" || fail "flowcapd died under the garbage flood"
stop_collector flood
n=$(count_flows "$dir")
[ "$n" -eq 2000 ] || fail "garbage flood: $n of 2000 valid flows stored"
[ -s "$WORK/count.err" ] && fail "flowdump errors: $(cat "$WORK/count.err")"
echo "ok: 2000 valid flows stored through 3000 garbage datagrams"

# 2. Exporter restart: the same exporter sends its stream twice from the beginning
#    (sequence numbers restart, templates are sent again). Every flow of both runs is kept.
dir=$WORK/restart
port=$(free_port)
start_collector restart "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600
for seed in 11 11 12; do
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 10 --seed "$seed" --flows 500 --gap-us 100 \
        2>/dev/null || fail "flowsend failed"
done
stop_collector restart
n=$(count_flows "$dir")
[ "$n" -eq 1500 ] || fail "exporter restarts: $n of 1500 flows stored"
echo "ok: 1500 flows stored across two exporter restarts"

# 3. PID files. One naming a live collector: flowcapd refuses to start. One naming a live
#    process that is no collector (its pid reused after a collector was killed; tester: it
#    was refused as "another collector"): stale, replaced. Neither process is signalled.
mkdir -p "$WORK/pid"
sleep 60 &
victim=$!
STARTED_PIDS+=("$victim")
echo "$victim" >"$WORK/victim.pid"
port=$(free_port)
start_collector stale "$WORK/pid" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$WORK/pid" \
    -P "$WORK/victim.pid"
[ "$(cat "$WORK/victim.pid")" = "$PID_stale" ] || fail "stale PID file not replaced"
grep -q "names pid $victim, which is no collector: replaced" "$WORK/stale.log" ||
    fail "stale PID file: $(cat "$WORK/stale.log")"
port2=$(free_port)
if "$FLOWCAPD" -b 127.0.0.1 -p "$port2" -w "$WORK/pid" -P "$WORK/victim.pid" \
    >"$WORK/p.log" 2>&1; then
    fail "flowcapd started although the PID file names a live collector"
fi
grep -q "another collector with pid $PID_stale is running" "$WORK/p.log" ||
    fail "PID file message: $(cat "$WORK/p.log")"
stop_collector stale
kill -0 "$victim" || fail "the process named in the PID file was killed"
kill "$victim"
# A PID file planted as a symlink is replaced, not written through; removed at exit.
echo "precious" >"$WORK/target.txt"
ln -s "$WORK/target.txt" "$WORK/link.pid"
port=$(free_port)
start_collector pidlink "$WORK/pid" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$WORK/pid" \
    -P "$WORK/link.pid"
[ "$(cat "$WORK/target.txt")" = precious ] || fail "PID written through a symlink"
[ -L "$WORK/link.pid" ] && fail "symlink PID file not replaced"
[ "$(cat "$WORK/link.pid")" = "$PID_pidlink" ] || fail "PID file does not hold the collector's pid"
stop_collector pidlink
[ -e "$WORK/link.pid" ] && fail "PID file left behind"
echo "ok: PID file never signals or writes through another's file"

# 4. A permissive umask: nothing the collector creates is group- or world-writable.
dir=$WORK/umask
mkdir -p "$dir"
port=$(free_port)
(umask 000 && exec "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -S 1 -t 3600 -P "$WORK/u.pid") \
    >"$WORK/umask.log" 2>&1 &
upid=$!
STARTED_PIDS+=("$upid")
for _ in $(seq 1 100); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.05; done
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 3 --flows 50 2>/dev/null
wait_received "$port"
kill -TERM "$upid"
wait "$upid" || fail "flowcapd exit status $? (umask run)"
writable=$(find "$dir" -perm /022 | head -3)
[ -z "$writable" ] || fail "group/world-writable: $writable"
[ "$(count_flows "$dir")" -eq 50 ] || fail "umask run lost flows"
echo "ok: files and directories created without group/world write permission"

# 5. -u/-g: the collector binds its port as root, then runs as the given user and group;
#    the files it writes belong to them.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
    dir=$WORK/drop
    mkdir -p "$dir"
    chown nobody:nogroup "$dir"
    chmod 755 "$WORK"
    port=$(free_port)
    # The PID file in a directory only root may write to, as /run (tester: it was left
    # behind after SIGTERM, and named a pid that a later process could get).
    mkdir -p "$WORK/run"
    start_collector drop "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 \
        -u nobody -g nogroup -P "$WORK/run/flowcapd.pid"
    [ "$(cat "$WORK/run/flowcapd.pid")" = "$PID_drop" ] || fail "-P: $(cat "$WORK/run/flowcapd.pid")"
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PID_drop/status")
    gid=$(awk '/^Gid:/ { print $2 }' "/proc/$PID_drop/status")
    [ "$uid" = "$(id -u nobody)" ] || fail "-u nobody: running as uid $uid"
    [ "$gid" = "$(getent group nogroup | cut -d: -f3)" ] || fail "-g nogroup: running as gid $gid"
    "$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 4 --flows 40 2>/dev/null
    stop_collector drop
    [ "$(count_flows "$dir")" -eq 40 ] || fail "-u run lost flows"
    owner=$(stat -c %U "$dir"/nfcapd.* | sort -u)
    [ "$owner" = nobody ] || fail "files owned by $owner"
    [ ! -s "$WORK/run/flowcapd.pid" ] ||
        fail "the PID file still names pid $(cat "$WORK/run/flowcapd.pid") after SIGTERM"
    echo "ok: privileges dropped to nobody:nogroup after binding; the PID file emptied at exit"
else
    echo "skipped the -u/-g part: not root or no nobody/nogroup"
fi


# 6. -x runs its command without a shell: each expanded token stays one argument, shell
#    characters in the ident are plain text.
dir=$WORK/exec
mkdir -p "$dir"
cat >"$WORK/argv.sh" <<'ARGV'
#!/bin/sh
for a in "$@"; do printf '[%s]\n' "$a"; done >>"${0%/*}/argv.txt"
ARGV
chmod +x "$WORK/argv.sh"
# One file, so one -x run, only if the run stays inside one hour: start outside the last
# 20 s of an hour.
while [ $(($(date +%s) % 3600)) -ge 3580 ]; do sleep 1; done
port=$(free_port)
start_collector exec "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 3600 \
    -I "edge 1;touch $WORK/pwned" -x "$WORK/argv.sh %f %i -u=%u"
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 5 --flows 10 2>/dev/null
stop_collector exec
# The command runs in a child of the collector, which may outlive it, and writes its three
# lines one by one: wait for all three (a fourth would be a second run, and fails the
# comparison below).
for _ in $(seq 1 100); do [ "$(wc -l <"$WORK/argv.txt" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
file=$(cd "$dir" && ls nfcapd.2*)
expected=$(printf '[%s]\n[%s]\n[-u=%s]' "$file" "edge 1;touch $WORK/pwned" \
    "$(date -u -d "$(echo "$file" | sed -E 's/nfcapd\.(....)(..)(..)(..)(..)/\1-\2-\3 \4:\5/')" +%s)")
[ "$(cat "$WORK/argv.txt")" = "$expected" ] ||
    fail "-x arguments: $(cat "$WORK/argv.txt") (expected $expected)"
[ -e "$WORK/pwned" ] && fail "-x ran its ident through a shell"
echo "ok: -x passes each token as one argument, no shell"

# 6b. A -x command that cannot be run is logged at its rotation (tester: nothing was logged,
#     even with -v, while nfcapd logs the failed execvp).
dir=$WORK/exec-missing
port=$(free_port)
start_collector execmissing "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" \
    -t 3600 -x "$WORK/no-such-command %f"
stop_collector execmissing
grep -qF -- "-x: cannot run '$WORK/no-such-command': No such file or directory" \
    "$WORK/execmissing.log" ||
    fail "-x with a missing command: $(cat "$WORK/execmissing.log")"
echo "ok: a -x command that cannot be run is logged"

# 7. The flow directory removed and made again while the collector runs (newcomer report):
#    the file being written goes with it, but the collector notices at its rotation, says
#    so, and stores what arrives afterwards in the new directory.
dir=$WORK/replaced
mkdir -p "$dir"
port=$(free_port)
start_collector replaced "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2
rm -rf "$dir"
mkdir "$dir"
# The first flows must come after the collector noticed (at its next rotation, up to 2.5 s
# away), or they go to the vanished file: wait for its message, at most 20 s.
for _ in $(seq 1 200); do
    grep -q "vanished before it got its name" "$WORK/replaced.log" && break
    sleep 0.1
done
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 8 --flows 100 2>/dev/null
sleep 2.5
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 5 --seed 9 --flows 100 2>/dev/null
stop_collector replaced
grep -q "vanished before it got its name" "$WORK/replaced.log" ||
    fail "the vanished file was not reported: $(cat "$WORK/replaced.log")"
[ "$(count_flows "$dir")" -eq 200 ] || fail "$(count_flows "$dir") of 200 flows stored after the directory was replaced"
echo "ok: a replaced flow directory is reported and written again"
