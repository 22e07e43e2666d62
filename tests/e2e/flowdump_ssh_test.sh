#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# scripts/flowdump-ssh forwards its argv to a remote flowdump. No real ssh and no network:
# a stand-in for ssh behaves as ssh does with a command (the words after the host joined by
# single spaces, handed to the remote user's shell) and runs `sh -c` locally. The remote
# side must receive exactly the original argv, for filters holding parentheses, quotes,
# newlines and shell metacharacters; a real query through it must print what flowdump
# prints, with the same exit code.
source "$(dirname "$0")/lib.sh"

WRAPPER=$FLOWKIT_SOURCE_DIR/scripts/flowdump-ssh
[ -x "$WRAPPER" ] || fail "scripts/flowdump-ssh is missing or not executable"

# The ssh stand-in: options up to `--`, the host, then the command words.
cat >"$WORK/fake-ssh" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
    case $1 in
        --) shift; break ;;
        -o) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
[ "$1" = "collector.example" ] || { echo "fake-ssh: wrong host '$1'" >&2; exit 255; }
shift
exec sh -c "$*"
EOF
# The remote "flowdump" of the argv check: each argument NUL-terminated into a file.
cat >"$WORK/dump-argv" <<EOF
#!/bin/sh
: >"$WORK/remote.argv"
for a in "\$@"; do printf '%s\\0' "\$a" >>"$WORK/remote.argv"; done
EOF
chmod +x "$WORK/fake-ssh" "$WORK/dump-argv"
export FLOWDUMP_SSH="$WORK/fake-ssh -o BatchMode=yes" FLOWDUMP_SSH_HOST=collector.example

# check_argv ARGS...: the remote side saw exactly ARGS.
checks=0
check_argv() {
    checks=$((checks + 1))
    rm -f "$WORK/remote.argv"
    FLOWDUMP_SSH_REMOTE=$WORK/dump-argv "$WRAPPER" "$@" ||
        fail "wrapper exited $? for: $(printf '[%s]' "$@")"
    : >"$WORK/local.argv"
    for a in "$@"; do printf '%s\0' "$a" >>"$WORK/local.argv"; done
    cmp -s "$WORK/local.argv" "$WORK/remote.argv" ||
        fail "remote argv differs for: $(printf '[%s]' "$@" | cat -A)
remote: $(tr '\0' '|' <"$WORK/remote.argv" | cat -A)"
}

check_argv -N -R . -M /data/netflow -q -o csv -n 10 -s srcip/bytes \
    -t 2024/01/01.00:00:00-2024/01/01.12:00:00 \
    ' (dst ip 192.168.1.10 or dst net 10.0.0.0/8) and (src port 80 or src port 443)'
check_argv -o "fmt:%sap,%dap,%ibyt,%ipkt,%bps" -q -n 10 -s record/bytes
check_argv -M /p/live/a:b -R 2024/01/01/nfcapd.202401011200:2024/01/01/nfcapd.202401011255 \
    -n 10 -s srcip/bytes \
        $'(( ident a or ident b) and (\nproto udp\n)\nor\n( ident c) and (\nany\n)) and ( port 53 )'
check_argv -B '' -c 100 -o json                              # an empty argument
check_argv "it's" '"double"' "mixed 'single' and \"double\""
check_argv $'trailing newlines\n\n' $'\ttab and  two spaces ' ''
# Harmless commands only: a broken wrapper would run them.
check_argv '$HOME `true` $(true) ; true & | cat >/dev/null </dev/null * ? [a] ~ # !'
check_argv '\' '\\' "\\'" "'" "''" "'\\''"
check_argv -a '-Adstport,srcip,dstip' -- -dash 'ümlaut ✓'
check_argv                                                   # no arguments at all

# A real query through the wrapper prints what flowdump prints, with its exit code.
dir=$WORK/flows
port=$(free_port)
start_collector fk "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 300
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 5 --flows 200 2>/dev/null
stop_collector fk
export FLOWDUMP_SSH_REMOTE=$FLOWDUMP
query() {  # query RC ARGS...: direct and wrapped runs agree on stdout and exit code
    local want=$1
    shift
    checks=$((checks + 1))
    local rc_d=0 rc_w=0
    "$FLOWDUMP" "$@" 2>/dev/null | grep -av '^Sys:' >"$WORK/direct" || rc_d=${PIPESTATUS[0]}
    "$WRAPPER" "$@" 2>/dev/null | grep -av '^Sys:' >"$WORK/wrapped" || rc_w=${PIPESTATUS[0]}
    [ "$rc_d" = "$want" ] || fail "flowdump exited $rc_d, expected $want: $*"
    [ "$rc_w" = "$rc_d" ] || fail "wrapped exit $rc_w, direct $rc_d: $*"
    cmp -s "$WORK/direct" "$WORK/wrapped" || fail "wrapped output differs: $*"
}
query 0 -R "$dir" -q -o csv -n 5 -s srcip/bytes \
    $'(proto tcp\nor proto udp) and\n(src net 10.0.0.0/8 or dst net 10.0.0.0/8)'
query 0 -R "$dir" -o 'fmt:%sap -> %dap %byt' -c 20 'not (port 53 or port 123)'
query 0 -R "$dir" -q -o csv 'src ip 192.0.2.250'
query 254 -R "$dir" 'proto tcp and ('
[ "$(grep -c . "$WORK/direct")" -eq 0 ] || fail "a filter error printed on stdout"

# Without a host the wrapper refuses, with ssh's failure status.
rc=0
FLOWDUMP_SSH_HOST='' "$WRAPPER" -V >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 255 ] && grep -q FLOWDUMP_SSH_HOST "$WORK/err" || fail "no-host case: exit $rc"
echo "ok ($checks checks)"
