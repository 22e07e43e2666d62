# SPDX-License-Identifier: BSD-2-Clause
# flowexpire's command line on its own: usage and exit codes, the exact statistics output,
# -Y, -L, -p, --dry-run, and that it runs unattended (yes |, stdin or stdout closed).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLOWEXPIRE=$FLOWKIT_BIN/flowexpire
[ -x "$FLOWEXPIRE" ] || fail "flowexpire not built in $FLOWKIT_BIN"
CHECKS=0
ok() {
    CHECKS=$((CHECKS + 1))
    echo "ok: $*"
}

# run ARGS...: output in $OUT/$ERR, exit status in $RC.
run() {
    RC=0
    "$FLOWEXPIRE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

expect_rc() {
    [ "$RC" = "$1" ] || fail "$2: exit status $RC, expected $1 (stderr: $ERR)"
}

# Ten hourly files of 2026-01-01 in -S 1 layout; 1000 bytes each.
tree() {
    local d=$1 h
    mkdir -p "$d/2026/01/01"
    for h in 00 01 02 03 04 05 06 07 08 09; do
        printf '%1000s' '' >"$d/2026/01/01/nfcapd.20260101${h}00"
    done
    touch -d "@$(($(date +%s) - 86400))" "$d" "$d/2026" "$d/2026/01" "$d/2026/01/01"
}
du_sum() { find "$1" -name 'nfcapd.2*' -type f -printf '%b\n' | awk '{s += 512 * $1} END {print s}'; }

# ---- usage and errors ----------------------------------------------------------------------

run -h
expect_rc 0 "-h"
[[ "$OUT" == "usage flowexpire [options]"* ]] || fail "-h does not print the usage"
[[ "$OUT" == *"--dry-run"* ]] || fail "usage does not mention --dry-run"
ok "-h prints the usage"

run
expect_rc 250 "no options"
[ "$ERR" = "Data directory (null)" ] || fail "no options: stderr '$ERR'"
[[ "$OUT" == "usage flowexpire"* ]] || fail "no options: no usage"
ok "no directory: usage, 250"

run -V
expect_rc 250 "-V"
[[ "$ERR" == *"invalid option -- 'V'" ]] || fail "-V: stderr '$ERR'"
ok "unknown option: 250"

run -l
expect_rc 250 "-l without a directory"
[[ "$ERR" == *"option requires an argument -- 'l'" ]] || fail "-l: stderr '$ERR'"
ok "missing argument: 250"

mkdir -p "$WORK/d"
for args in "-w abc|Invalid water mark 'abc'" "-w 101|Water mark > 100%" \
    "-w -5|Water mark > 100%" "-T 3601|Runtime > 3600 (1h)" "-T x|Invalid runtime 'x'" \
    "-s 5q|Garbage character(s) 'q' in '5q'" "-t 1.5d|Unknown time unit '1.5d'" \
    "-t 2d3d|Ambiguous days 3d"; do
    opt=${args%%|*}
    msg=${args#*|}
    # shellcheck disable=SC2086
    run -l "$WORK/d" $opt
    expect_rc 250 "$opt"
    [ "$ERR" = "$msg" ] || fail "$opt: stderr '$ERR', expected '$msg'"
    [ ! -e "$WORK/d/.nfstat" ] || fail "$opt: .nfstat written despite the error"
done
ok "bad values: nfexpire's texts, 250, nothing written"

run -l "$WORK/d" -e "$WORK/d"
expect_rc 250 "two directories"
[ "$ERR" = "Only one option allowed out of -l -e -r -u or -p" ] || fail "two dirs: '$ERR'"
run -l "$WORK/missing"
expect_rc 250 "missing directory"
[ "$ERR" = "Data directory '$WORK/missing': No such file or directory" ] ||
    fail "missing directory: '$ERR'"
touch "$WORK/plain"
run -l "$WORK/plain"
expect_rc 250 "plain file"
[ "$ERR" = "No such directory: $WORK/plain" ] || fail "plain file: '$ERR'"
run -p -u "$WORK/d" -s 1G
expect_rc 250 "-p -u"
ok "conflicting or missing directories: 250"

# ---- exact output --------------------------------------------------------------------------

tree "$WORK/t"
size=$(du_sum "$WORK/t")
run -l "$WORK/t"
expect_rc 0 "-l"
expected="Force rebuild to create stat record in $WORK/t
Scanning files in $WORK/t .. done.
First:     2026-01-01 00:00:00
Last:      2026-01-01 09:00:00
Lifetime:  32400 = 9.0 hours
Numfiles:  10
Filesize:  $size = $(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1024}') KB
Max Size:  <none>
Max Life:  <none>
Watermark: 0%
Status:    OK"
[ "$OUT" = "$expected" ] || { diff <(echo "$expected") <(echo "$OUT") >&2; fail "-l output"; }
[ -z "$ERR" ] || fail "-l wrote to stderr: $ERR"
expected_stat="first=1767225600
last=1767258000
size=$size
maxsize=0
numfiles=10
lifetime=0
watermark=0
status=0"
[ "$(cat "$WORK/t/.nfstat")" = "$expected_stat" ] || fail ".nfstat after -l"
ok "-l output and .nfstat"

run -Y -u "$WORK/t" -s 1.5M -t 2d12H -w 90
expect_rc 0 "-u"
[ "$OUT" = "Stat|$size|1767225600|1767258000" ] || fail "-Y line: '$OUT'"
grep -qx 'maxsize=1572864' "$WORK/t/.nfstat" || fail "-u did not store -s"
grep -qx 'lifetime=216000' "$WORK/t/.nfstat" || fail "-u did not store -t"
grep -qx 'watermark=90' "$WORK/t/.nfstat" || fail "-u did not store -w"
ok "-u stores the limits, -Y prints one line"

run -L "$WORK/t"
expect_rc 0 "-L"
[[ "$OUT" == "No collector bookkeeping for directory: '$WORK/t'"* ]] || fail "-L: '$OUT'"
[[ "$OUT" == *"Max Size:  1572864 = 1.5 MB"* ]] || fail "-L: no stat block"
[[ "$OUT" == *"Max Life:  216000 = 2.5 days"* ]] || fail "-L: no age limit"
ok "-L"

# ---- dry run -----------------------------------------------------------------------------

tree "$WORK/dry"
run --dry-run -e "$WORK/dry" -t 1H
expect_rc 0 "--dry-run"
[ "$(find "$WORK/dry" -type f | wc -l)" = 10 ] || fail "--dry-run removed files"
[ ! -e "$WORK/dry/.nfstat" ] || fail "--dry-run wrote .nfstat"
[ "$(grep -c '^Would remove ' <<<"$OUT")" = 10 ] || fail "--dry-run: '$OUT'"
grep -qx "Would remove $WORK/dry/2026/01/01/nfcapd.202601010000" <<<"$OUT" ||
    fail "--dry-run does not name the oldest file"
grep -qx 'Expired files:      10' <<<"$OUT" || fail "--dry-run: no summary"
ok "--dry-run lists the files and changes nothing"

# ---- unattended ----------------------------------------------------------------------------

# Everything is older than an hour: nfexpire would ask on a terminal; flowexpire never asks.
tree "$WORK/yes"
set +o pipefail
yes | timeout 20 "$FLOWEXPIRE" -e "$WORK/yes" -t 1H >"$WORK/out" 2>"$WORK/err"
RC=${PIPESTATUS[1]}
set -o pipefail
expect_rc 0 "yes | flowexpire"
[ "$(find "$WORK/yes" -name 'nfcapd.2*' | wc -l)" = 0 ] || fail "yes |: files left"
[ -d "$WORK/yes" ] || fail "the base directory was removed"
[ -d "$WORK/yes/2026/01/01" ] && fail "an emptied old directory was left"
grep -qx 'Status:    Force rebuild' "$WORK/out" || fail "yes |: status after expiring all"
ok "yes | flowexpire -e"

tree "$WORK/closed"
RC=0
timeout 20 "$FLOWEXPIRE" -e "$WORK/closed" -t 1H <&- >/dev/null 2>&1 || RC=$?
expect_rc 0 "stdin closed"
[ "$(find "$WORK/closed" -name 'nfcapd.2*' | wc -l)" = 0 ] || fail "stdin closed: files left"
ok "stdin closed"

# With stdout closed (cron with >&-) the run still succeeds, and the statistics must not
# end up in .nfstat, which would otherwise get descriptor 1.
tree "$WORK/noout"
RC=0
timeout 20 "$FLOWEXPIRE" -u "$WORK/noout" -s 1G </dev/null >&- 2>/dev/null || RC=$?
expect_rc 0 "stdout closed"
head -1 "$WORK/noout/.nfstat" | grep -q '^first=1767225600$' || fail "stdout closed: .nfstat"
! grep -q 'First:' "$WORK/noout/.nfstat" || fail "stdout closed: output landed in .nfstat"
grep -qx 'maxsize=1073741824' "$WORK/noout/.nfstat" || fail "stdout closed: limit not stored"
ok "stdout closed"

# ---- profile -------------------------------------------------------------------------------

mkdir -p "$WORK/prof"
tree "$WORK/prof/a"
tree "$WORK/prof/b"
mkdir -p "$WORK/prof/.hidden"
run -Y -p -r "$WORK/prof"
expect_rc 0 "-p -r"
expected="Scanning files in $WORK/prof/a .. done.
Scanning files in $WORK/prof/b .. done.
Stat|$((2 * size))|1767225600|1767258000"
[ "$OUT" = "$expected" ] || { diff <(echo "$expected") <(echo "$OUT") >&2; fail "-p -r"; }
[ -f "$WORK/prof/a/.nfstat" ] && [ -f "$WORK/prof/b/.nfstat" ] || fail "-p: channel .nfstat"
[ ! -e "$WORK/prof/.nfstat" ] && [ ! -e "$WORK/prof/.hidden/.nfstat" ] || fail "-p: extra .nfstat"
run -p -l "$WORK/prof"
grep -qx 'Watermark: 98%' <<<"$OUT" || fail "-p: default watermark is not 98"
ok "profile mode"

echo "$CHECKS passed, 0 failed"
