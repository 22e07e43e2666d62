# SPDX-License-Identifier: BSD-2-Clause
# flowexpire against Debian's nfexpire 1.7.1: identical generated trees, the same options,
# and afterwards the same files, the same output and the same .nfstat; then each tool reads
# the limits the other one stored. nfexpire judges names and block counts only (it never
# opens a flow file), so the trees hold dummy files.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

command -v nfexpire >/dev/null || skip "nfexpire (Debian's nfdump package) is not installed"
FLOWEXPIRE=$FLOWKIT_BIN/flowexpire
[ -x "$FLOWEXPIRE" ] || fail "flowexpire not built in $FLOWKIT_BIN"

# File names are relative to the current hour; stay clear of the hour's edges so that the
# age limits (whole hours below) cannot flip between the two runs.
in_hour=$(($(date +%s) % 3600))
if [ "$in_hour" -lt 20 ] || [ "$in_hour" -gt 3560 ]; then sleep 45; fi
NOW=$(date +%s)
HOUR=$((NOW - NOW % 3600))
CHECKS=0

# mk DIR FORMAT START STEP COUNT: COUNT files from START every STEP seconds, in the
# sub-directory FORMAT (strftime, "" = flat); sizes cycle 1000/5000/9000 bytes so their
# block counts differ. 14-digit names when STEP is below a minute.
mk() {
    local dir=$1 fmt=$2 start=$3 step=$4 count=$5 i t sub name
    local sizes=(1000 5000 9000)
    for ((i = 0; i < count; i++)); do
        t=$((start + i * step))
        sub=""
        [ -n "$fmt" ] && printf -v sub "%($fmt)T/" "$t"
        if [ "$step" -lt 60 ]; then printf -v name '%(%Y%m%d%H%M%S)T' "$t"; else
            printf -v name '%(%Y%m%d%H%M)T' "$t"; fi
        [ -d "$dir/$sub" ] || mkdir -p "$dir/$sub"
        printf '%*s' "${sizes[i % 3]}" '' >"$dir/${sub}nfcapd.$name"
    done
}

# Directories of an archive are old; fresh ones are protected from removal by flowexpire.
age_dirs() { find "$1" -type d -exec touch -d "@$((NOW - 86400))" {} +; }

# Output with the directory replaced and, when everything expired (the stat then shows the
# run's clock), the clock-dependent lines dropped.
normalise() {
    local file=$1 dir=$2
    sed "s#$dir#DIR#g" "$file" >"$file.n"
    if grep -q 'Force rebuild$' "$file.n"; then
        grep -v -E '^(First|Last|Lifetime|Expired time range):' "$file.n" >"$file.t" || true
        mv "$file.t" "$file.n"
    fi
    if [ "${SORT_OUTPUT:-0}" = 1 ]; then sort "$file.n" -o "$file.n"; fi
}

stat_keys() {
    if grep -q '^status=3' "$1"; then grep -v -E '^(first|last)=' "$1"; else cat "$1"; fi
}

# run_both DIR_A DIR_B ARGS...: runs nfexpire on DIR_A and flowexpire on DIR_B with ARGS,
# where @D@ stands for the directory. Output in $WORK/{a,b}.{out,err,rc}. Returns 1 when the
# two runs fell into different seconds (the caller repeats the case).
run_both() {
    local a=$1 b=$2 t0 t1
    shift 2
    t0=$(date +%s)
    nfexpire "${@//@D@/$a}" >"$WORK/a.out" 2>"$WORK/a.err" </dev/null && echo 0 >"$WORK/a.rc" ||
        echo $? >"$WORK/a.rc"
    "$FLOWEXPIRE" "${@//@D@/$b}" >"$WORK/b.out" 2>"$WORK/b.err" </dev/null &&
        echo 0 >"$WORK/b.rc" || echo $? >"$WORK/b.rc"
    t1=$(date +%s)
    [ "$t0" = "$t1" ]
}

# compare NAME BUILD DIRS_TOO ARGS...: builds the tree with the shell function BUILD in two
# places, runs both tools and compares exit status, output, remaining files, .nfstat and
# (when DIRS_TOO is 1) the remaining directories.
compare() {
    local name=$1 build=$2 dirs_too=$3 try
    shift 3
    for try in 1 2 3; do
        rm -rf "$WORK/a" "$WORK/b"
        mkdir -p "$WORK/a"
        $build "$WORK/a"
        cp -a "$WORK/a" "$WORK/b"
        run_both "$WORK/a" "$WORK/b" "$@" && break
        [ "$try" = 3 ] && fail "$name: could not run both tools within one second"
    done
    check_same "$name" "$dirs_too"
}

check_same() {
    local name=$1 dirs_too=$2 f
    [ "$(cat "$WORK/a.rc")" = "$(cat "$WORK/b.rc")" ] ||
        fail "$name: exit status nfexpire $(cat "$WORK/a.rc"), flowexpire $(cat "$WORK/b.rc")"
    normalise "$WORK/a.out" "$WORK/a"
    normalise "$WORK/b.out" "$WORK/b"
    diff -u "$WORK/a.out.n" "$WORK/b.out.n" >&2 || fail "$name: output differs"
    (cd "$WORK/a" && find . -type f | sort) >"$WORK/a.files"
    (cd "$WORK/b" && find . -type f | sort) >"$WORK/b.files"
    diff -u "$WORK/a.files" "$WORK/b.files" >&2 || fail "$name: remaining files differ"
    for f in $(cd "$WORK/a" && find . -name .nfstat | sort); do
        diff -u <(stat_keys "$WORK/a/$f") <(stat_keys "$WORK/b/$f") >&2 ||
            fail "$name: $f differs"
    done
    if [ "$dirs_too" = 1 ]; then
        diff -u <(cd "$WORK/a" && find . -type d | sort) <(cd "$WORK/b" && find . -type d | sort) \
            >&2 || fail "$name: remaining directories differ"
    fi
    CHECKS=$((CHECKS + 1))
    echo "ok: $name ($(wc -l <"$WORK/a.files") files remain)"
}

# ---- trees -----------------------------------------------------------------------------

flat80() { mk "$1" "" $((HOUR - 80 * 3600)) 3600 80; age_dirs "$1"; }
# Every six hours for 40 days: the -S 1 tree spans two month boundaries at most.
months() { mk "$1" "%Y/%m/%d" $((HOUR - 40 * 86400)) 21600 160; age_dirs "$1"; }
# Every 30 s for two hours up to now, 15 s off: 14-digit names, ages never whole minutes.
seconds() { mk "$1" "" $((NOW - 7200 + 15)) 30 240; age_dirs "$1"; }
# 14-digit names 3700, 1801, 1800, 1799 and 100 s old at the start of the coming second:
# at -t 1H -w 50 the 1800 s one sits exactly on the limit (nfexpire keeps it).
boundary14() {
    local t a name
    t=$(date +%s)
    while [ "$(date +%s)" = "$t" ]; do sleep 0.01; done
    for a in 3700 1801 1800 1799 100; do
        printf -v name '%(%Y%m%d%H%M%S)T' $((t + 1 - a))
        printf 'x' >"$1/nfcapd.$name"
    done
}
layout() { mk "$1" "$LAYOUT" $((HOUR - 96 * 3600)) 3600 96; age_dirs "$1"; }

# Things that must survive any expiry: foreign files, a collector's current file, flow
# names in hidden and non-digit directories, a flow-named directory, a symlinked flow file.
# Some mtimes lie (old mtime on new names, new mtime on old names): names decide.
mixed() {
    local d=$1
    mk "$d" "%Y/%m/%d" $((HOUR - 10 * 86400)) 7200 120
    mkdir -p "$d/.hidden" "$d/abc" "$d/nfcapd.199901010000"
    mk "$d/.hidden" "" $((HOUR - 30 * 86400)) 3600 2
    mk "$d/abc" "" $((HOUR - 30 * 86400)) 3600 2
    echo foreign >"$d/README"
    local old_files month_dirs
    mapfile -t month_dirs < <(cd "$d" && find . -type d -name '[0-9][0-9]' | sort)
    printf 'x' >"$d/${month_dirs[0]}/notes.txt"
    printf 'x' >"$d/nfcapd.current.4242"
    printf 'x' >"$d/nfcapd.2019010100"
    ln -s /dev/null "$d/nfcapd.200001010000"
    # The newest names get the oldest mtimes; the oldest names keep today's.
    mapfile -t old_files < <(cd "$d" && find [0-9]* -name 'nfcapd.*' -type f | sort)
    (cd "$d" && touch -d 2001-01-01 "${old_files[@]: -20}")
    age_dirs "$d"
}

profile() {
    mk "$1/ch1" "%Y/%m/%d" $((HOUR - 100 * 3600)) 3600 100
    mk "$1/ch2" "%Y/%m/%d" $((HOUR - 100 * 3600 + 1800)) 3600 100
    mk "$1/.ch3" "" $((HOUR - 500 * 3600)) 3600 3
    echo foreign >"$1/notes"
    age_dirs "$1"
}

# ---- expiry ----------------------------------------------------------------------------

compare "size limit, flat" flat80 1 -e @D@ -s 100k
compare "size limit at 100%" flat80 1 -e @D@ -s 400k -w 100
compare "-w 0 means 100%" flat80 1 -e @D@ -s 400k -w 0
compare "age limit, -S 1 across months" months 1 -e @D@ -t 10d -w 90
compare "age limit, bare hours" months 1 -e @D@ -t 300
compare "size and age together" months 1 -e @D@ -s 300k -t 20d -w 80
compare "everything older than the limit" months 1 -e @D@ -t 2H
compare "14-digit names" seconds 1 -e @D@ -t 1H -w 50
compare "14-digit names, size" seconds 1 -e @D@ -s 200k
compare "14-digit name exactly at the age limit" boundary14 1 -e @D@ -t 1H -w 50
for LAYOUT in "%Y/%m/%d" "%Y/%m/%d/%H" "%Y/%W/%u" "%Y/%W/%u/%H" "%Y/%j" "%Y/%j/%H" \
    "%Y-%m-%d" "%Y-%m-%d/%H"; do
    compare "layout $LAYOUT" layout 1 -e @D@ -s 500k -t 3d -w 75
done
# nfexpire also removes an empty directory it skips ('.hidden' would go if it were empty);
# flowexpire leaves directories that are not its own, so only files are compared here.
compare "foreign files survive, size" mixed 0 -e @D@ -s 200k
compare "foreign files survive, age" mixed 0 -e @D@ -t 4d
for f in README nfcapd.current.4242 nfcapd.2019010100 nfcapd.200001010000 \
    nfcapd.199901010000; do
    [ -e "$WORK/b/$f" ] || [ -L "$WORK/b/$f" ] || fail "flowexpire removed $f"
done
[ "$(find "$WORK/b/.hidden" "$WORK/b/abc" -type f | wc -l)" = 4 ] ||
    fail "flowexpire removed files from a hidden or non-digit directory"
[ "$(find "$WORK/b" -name notes.txt | wc -l)" = 1 ] || fail "flowexpire removed notes.txt"

# ---- the other modes -------------------------------------------------------------------

compare "rescan" months 1 -r @D@
compare "rescan stores -w but not -s/-t" months 1 -r @D@ -s 1k -t 1H -w 70
compare "list" months 1 -l @D@
compare "list with -Y" months 1 -Y -l @D@
compare "update" months 1 -u @D@ -s 1.5M -t 2d12H -w 80

# Stored limits are used by a later -e.
stored_limits() { months "$1"; "${TOOL}" -u "$1" -s 300k -t 15d -w 85 >/dev/null; }
TOOL=nfexpire compare "-e with limits stored by nfexpire -u" stored_limits 1 -e @D@
TOOL=$FLOWEXPIRE compare "-e with limits stored by flowexpire -u" stored_limits 1 -e @D@

# ---- profile mode (NfSen) ----------------------------------------------------------------
# nfexpire handles channels in readdir order, flowexpire in name order: sort the lines.
SORT_OUTPUT=1 compare "profile, size" profile 1 -Y -p -e @D@ -s 600k -w 90
SORT_OUTPUT=1 compare "profile, default watermark 98" profile 1 -p -e @D@ -s 600k
SORT_OUTPUT=1 compare "profile, age in bare hours" profile 1 -Y -p -e @D@ -t 30
SORT_OUTPUT=1 compare "profile, rescan" profile 1 -Y -p -r @D@

# ---- each tool reads the other's .nfstat --------------------------------------------------

cross_read() {
    local writer=$1 name=$2 try
    for try in 1 2 3; do
        rm -rf "$WORK/a" "$WORK/b"
        months "$WORK/w"
        "$writer" -u "$WORK/w" -s 123M -t 3d12H -w 77 >/dev/null
        mv "$WORK/w" "$WORK/a"
        cp -a "$WORK/a" "$WORK/b"
        run_both "$WORK/a" "$WORK/b" -l @D@ && break
    done
    grep -q '^Max Size:  128974848 = 123.0 MB$' "$WORK/b.out" ||
        fail "$name: flowexpire did not read the size limit"
    grep -q '^Max Life:  302400 = 3.5 days$' "$WORK/b.out" ||
        fail "$name: flowexpire did not read the age limit"
    grep -q '^Watermark: 77%$' "$WORK/b.out" || fail "$name: flowexpire did not read -w"
    check_same "$name" 1
}
cross_read nfexpire "flowexpire -l reads nfexpire's .nfstat"
cross_read "$FLOWEXPIRE" "nfexpire -l reads flowexpire's .nfstat"

# Both write the same bytes.
months "$WORK/x1"
months "$WORK/x2"
nfexpire -u "$WORK/x1" -s 2G -t 1w -w 90 >/dev/null
"$FLOWEXPIRE" -u "$WORK/x2" -s 2G -t 1w -w 90 >/dev/null
cmp "$WORK/x1/.nfstat" "$WORK/x2/.nfstat" || fail "the two .nfstat files differ"
CHECKS=$((CHECKS + 1))
rm -rf "$WORK/x1" "$WORK/x2"

# ---- errors ------------------------------------------------------------------------------

same_error() {
    local name=$1
    shift
    mkdir -p "$WORK/a" "$WORK/b"
    run_both "$WORK/a" "$WORK/b" "$@" || true
    [ "$(cat "$WORK/a.rc")" = 250 ] || fail "$name: nfexpire exit $(cat "$WORK/a.rc")"
    [ "$(cat "$WORK/b.rc")" = 250 ] || fail "$name: flowexpire exit $(cat "$WORK/b.rc")"
    diff -u <(sed "s#$WORK/a#DIR#g" "$WORK/a.err") <(sed "s#$WORK/b#DIR#g" "$WORK/b.err") >&2 ||
        fail "$name: error text differs"
    CHECKS=$((CHECKS + 1))
    echo "ok: $name"
}
same_error "garbage size" -l @D@ -s 5q
same_error "size without number" -l @D@ -s k
same_error "fraction in age" -l @D@ -t 1.5d
same_error "lower-case hour" -l @D@ -t 2d1h
same_error "missing number in age" -l @D@ -t 2dd
same_error "watermark above 100" -l @D@ -w 101
same_error "runtime above an hour" -l @D@ -T 4000
same_error "two directories" -l @D@ -e @D@
touch "$WORK/a/plain" "$WORK/b/plain"
same_error "a file instead of a directory" -l @D@/plain

echo "$CHECKS passed, 0 failed"
