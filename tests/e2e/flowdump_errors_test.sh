#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump on bad input: a missing file, a non-nfdump file, an empty file, a bad filter and
# bad option values give a one-line error naming what was wrong and nfdump's exit code;
# unreadable or damaged input files are reported and end with exit 1 (nfdump: 0), after
# the output of everything readable (bug case B34).
source "$(dirname "$0")/lib.sh"

expect() {  # expect RC PATTERN CMD...
    local want=$1 pattern=$2
    shift 2
    local rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$*: exit $rc, expected $want; stderr: $(cat "$WORK/err")"
    [ -z "$pattern" ] || grep -q -- "$pattern" "$WORK/err" "$WORK/out" ||
        fail "$*: output lacks '$pattern': $(cat "$WORK/err" "$WORK/out")"
    if grep -qi "segmentation\|core dumped\|terminate called" "$WORK/err"; then fail "$*: crashed"; fi
}

printf 'this is a text file, not flows\n' >"$WORK/text"
: >"$WORK/empty"
expect 1 "is not a file or directory" "$FLOWDUMP" -r "$WORK/missing" -o line
expect 1 "$WORK/text" "$FLOWDUMP" -r "$WORK/text" -o line
expect 1 "No matching flows" "$FLOWDUMP" -r "$WORK/text" -o line
expect 1 "$WORK/empty" "$FLOWDUMP" -r "$WORK/empty" -o line
[ "$(grep -c . "$WORK/err")" -eq 1 ] || fail "expected a one-line error, got: $(cat "$WORK/err")"
expect 254 "" "$FLOWDUMP" -r "$WORK/text" 'proto tcp and ('
expect 254 "" "$FLOWDUMP" -Z 'src ip 300.1.1.1'
expect 0 "" "$FLOWDUMP" -Z 'src ip 10.1.1.1 and port 80'
expect 1 "Option -c needs a number > 0, not '0'" "$FLOWDUMP" -r "$WORK/text" -c 0
expect 1 "Option -n needs a number of rows, 0 or more, not '-1'" "$FLOWDUMP" -r "$WORK/text" -n -1
expect 1 "mutually exclusive" "$FLOWDUMP" -r "$WORK/text" -R "$WORK"
expect 250 "Missing last file option" "$FLOWDUMP" -R "$WORK/text:"
# Two separators: the error alone, no warning about the order of the two "files".
expect 250 "Multiple file separators" "$FLOWDUMP" -R "a/b/first:a:b"
[ "$(cat "$WORK/err" "$WORK/out")" = "Multiple file separators ':' in path not allowed!" ] ||
    fail "-R a/b/first:a:b printed more than its error: $(cat "$WORK/err" "$WORK/out")"
expect 1 "Unknown output mode" "$FLOWDUMP" -r "$WORK/text" -o nosuchformat
expect 0 "" "$FLOWDUMP" -D 127.0.0.1 -Z 'proto tcp'  # nameserver: accepted, not used
expect 1 "not an nfdump file (bad magic)" "$FLOWDUMP" -x "$WORK/text"
expect 1 "Expected -J <num>" "$FLOWDUMP" -J 9 -r "$WORK/text"
expect 1 "-s and -w do not go together" "$FLOWDUMP" -r "$WORK/text" -s srcip -w "$WORK/w.nf"
[ ! -e "$WORK/w.nf" ] || fail "-s with -w created the file"
expect 1 "Can not set custom aggregation in bidir mode" "$FLOWDUMP" -r "$WORK/text" -A srcip -b
expect 1 "Can not set custom aggregation in bidir mode" "$FLOWDUMP" -r "$WORK/text" -B -A srcip
# -I on a file that cannot be read: the error and exit 1, no block of zeros on stdout (it
# printed one and exited 0, as for an idle link).
expect 1 "not an nfdump file" "$FLOWDUMP" -I -r "$WORK/text"
[ ! -s "$WORK/out" ] || fail "-I on a text file printed: $(cat "$WORK/out")"
expect 1 "file shorter than a file header" "$FLOWDUMP" -I -r "$WORK/empty"
[ ! -s "$WORK/out" ] || fail "-I on an empty file printed: $(cat "$WORK/out")"
# -f as nfdump reads it: the last -f counts and filter words replace it (the file is then
# not opened); an error inside an @include'd file names that file and its own line.
printf 'proto tcp and (\n' >"$WORK/bad.flt"
printf 'proto tcp\n' >"$WORK/good.flt"
printf '# c\nport 80 or\n  bogus\n' >"$WORK/inner.flt"
printf 'proto tcp and (\n@include %s\n)\n' "$WORK/inner.flt" >"$WORK/outer.flt"
expect 0 "" "$FLOWDUMP" -Z -f "$WORK/bad.flt" -f "$WORK/good.flt"
expect 254 "file '$WORK/bad.flt' line 2" "$FLOWDUMP" -Z -f "$WORK/good.flt" -f "$WORK/bad.flt"
expect 0 "" "$FLOWDUMP" -Z -f "$WORK/missing.flt" 'proto tcp'
expect 1 "missing.flt" "$FLOWDUMP" -Z -f "$WORK/missing.flt"
expect 254 "file '$WORK/inner.flt' line 3, column 3" "$FLOWDUMP" -Z -f "$WORK/outer.flt"
# A second -A is refused as nfdump refuses it; it used to replace the first list silently.
expect 1 "Multiple aggregation masks not allowed" "$FLOWDUMP" -r "$WORK/text" -A srcip -A dstip
expect 1 "Multiple aggregation masks not allowed" "$FLOWDUMP" -r "$WORK/text" -A srcip -a -A srcip

# B34: three files, the middle one cut in the middle of its data block. Every output mode
# stays valid JSON with the records of the two whole files, the damage goes to stderr and
# the exit status is 1.
command -v python3 >/dev/null || skip "python3 is not installed"
mkdir -p "$WORK/cut"
port=$(free_port)
start_collector fk "$WORK/whole" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$WORK/whole" -t 300
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 34 --flows 3000 2>/dev/null
stop_collector fk
# The largest file: a run that crosses a 300-s boundary leaves two, one of them perhaps
# holding only the last few flows.
src=$(ls -S "$WORK/whole"/nfcapd.2* 2>/dev/null | head -1 || true)
[ -n "$src" ] || fail "the collector wrote no file"
per_file=$("$FLOWDUMP" -r "$src" -q -N -o 'fmt:%pkt' | grep -c .)
[ "$per_file" -gt 0 ] || fail "the sample file holds no flows"
for t in 0000 0005 0010; do cp "$src" "$WORK/cut/nfcapd.20240101$t"; done
size=$(stat -c %s "$WORK/cut/nfcapd.202401010005")
truncate -s $((size / 2)) "$WORK/cut/nfcapd.202401010005"
json_count() {  # json_count MODE: records in flowdump's JSON output, or an error
    python3 -c '
import json, sys
mode, text = sys.argv[1], sys.stdin.read()
if mode == "array":
    print(len(json.loads(text)))
else:
    print(sum(1 for line in text.splitlines() if json.loads(line)))' "$1"
}
for args in "-o json" "-o json -q" "-o ndjson" "-s srcip -o json" "-o json -s record/bytes -n 5"; do
    rc=0
    # shellcheck disable=SC2086
    "$FLOWDUMP" -R "$WORK/cut" $args >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$args on a damaged file: exit $rc, expected 1"
    grep -q "flowdump: Truncated: .*/nfcapd.202401010005: block 1 " "$WORK/err" || fail "$args: damage not reported"
    mode=lines
    case "$args" in "-o json"*) mode=array ;; esac
    n=$(json_count $mode <"$WORK/out") || fail "$args: output is not valid JSON: $(head -c 300 "$WORK/out")"
    case "$args" in
        -s*) [ "$n" -gt 0 ] || fail "$args: no statistics rows" ;;
        *record*) [ "$n" -eq 5 ] || fail "$args: $n records, expected 5" ;;
        *) [ "$n" -eq $((2 * per_file)) ] || fail "$args: $n records, expected $((2 * per_file))" ;;
    esac
done
# -I over the same files: the sums of what could be read, and exit 1 since the damaged
# file's statistics are missing (it exited 0, as if the sums covered the whole range).
rc=0
"$FLOWDUMP" -R "$WORK/cut" -I >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "-I over a damaged file: exit $rc, expected 1"
grep -q "nfcapd.202401010005" "$WORK/err" || fail "-I: damage not reported: $(cat "$WORK/err")"
grep -q "^Flows: [1-9]" "$WORK/out" || fail "-I printed no sums: $(cat "$WORK/out")"
# Output that cannot be written is an error with a message (newcomer: silent, or exit 0 for -I).
if [ -w /dev/full ]; then
    for args in "-o csv" "-s srcip" "-I"; do
        rc=0
        # shellcheck disable=SC2086
        "$FLOWDUMP" -r "$src" $args >/dev/full 2>"$WORK/err" || rc=$?
        [ "$rc" -eq 1 ] || fail "$args to /dev/full: exit $rc, expected 1"
        grep -q "write error on standard output" "$WORK/err" || fail "$args to /dev/full: $(cat "$WORK/err")"
    done
fi
# With -q an empty json result is an empty array (1.7.1 prints the bare marker line).
"$FLOWDUMP" -r "$src" -q -o json 'proto 99' >"$WORK/out" || fail "-q -o json with no match failed"
[ "$(json_count array <"$WORK/out")" = 0 ] || fail "-q -o json with no match: $(cat "$WORK/out")"
echo "ok"
