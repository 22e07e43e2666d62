# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the statistics comparison tests: runs nfdump 1.7.1 and flowdump with the same
# arguments on a corpus file and compares their output (timing line stripped), either line
# for line or as sorted sets. Counts differences in $failures.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
need_corpus
need_nfdump
[ -x "$FLOWDUMP" ] || skip "flowdump not built"

DIR=$CORPUS/nffile/generated
failures=0

run_both() {  # run_both FILE ARGS... -> $WORK/n.txt $WORK/f.txt
    local file=$1; shift
    nfdump -r "$DIR/$file" "$@" 2>/dev/null | grep -av '^Sys:' >"$WORK/n.txt" || true
    "$FLOWDUMP" -r "$DIR/$file" "$@" 2>/dev/null | grep -av '^Sys:' >"$WORK/f.txt" || true
}

exact() {
    run_both "$@"
    if ! diff "$WORK/n.txt" "$WORK/f.txt" >"$WORK/d.txt"; then
        echo "DIFF (exact): $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}

as_set() {
    run_both "$@"
    if ! diff <(sort "$WORK/n.txt") <(sort "$WORK/f.txt") >"$WORK/d.txt"; then
        echo "DIFF (sorted): $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}

# Pipe statistics rows: nfdump 1.7.1 keeps bps in 32 bits there (a value above 4294967295
# wraps); flowdump prints the whole number (docs/compatibility.md). The comparison takes
# flowdump's bps modulo 2^32, so every other column and the wrapped value must agree.
as_set_pipe() {
    run_both "$@"
    awk -F'|' -v OFS='|' 'NF > 1 { $(NF - 1) = sprintf("%.0f", $(NF - 1) % 4294967296) } 1' \
        "$WORK/f.txt" >"$WORK/f32.txt"
    if ! diff <(sort "$WORK/n.txt") <(sort "$WORK/f32.txt") >"$WORK/d.txt"; then
        echo "DIFF (pipe, sorted): $*"; head -20 "$WORK/d.txt"; failures=$((failures + 1))
    fi
}
