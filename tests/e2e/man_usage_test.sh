#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every option a tool's man page describes (the first line of each .TP entry: -x, --long) is
# named in the tool's -h usage text too, and -h exits 0. An operator reading `flowdump -h`
# should not miss an option the manual has.
source "$(dirname "$0")/lib.sh"

man_dir=$FLOWKIT_SOURCE_DIR/man
checked=0
for page in flowcapd.8 flowdump.1 flowexpire.1 flowprobe.8; do
    tool=${page%.*}
    [ -x "$FLOWKIT_BIN/$tool" ] || skip "$tool not built in $FLOWKIT_BIN"
    [ -f "$man_dir/$page" ] || fail "no man page $man_dir/$page"
    rc=0
    "$FLOWKIT_BIN/$tool" -h >"$WORK/$tool.usage" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || fail "$tool -h exited $rc"
    # The option words of the usage text: -x and --long, wherever they stand.
    grep -oE '(^|[^A-Za-z0-9-])--?[A-Za-z0-9][A-Za-z0-9-]*' "$WORK/$tool.usage" |
        sed -E 's/^[^-]*//' | sort -u >"$WORK/$tool.words"
    # The man page's: roff writes a dash as \-, so "\-x" and "\-\-long" on a .TP line.
    awk 'prev == ".TP" { print } { prev = $0 }' "$man_dir/$page" |
        grep -oE '\\-(\\-[a-z][a-z\\-]*[a-z]|[A-Za-z0-9])' | sed 's/\\-/-/g' |
        sort -u >"$WORK/$tool.man"
    [ -s "$WORK/$tool.man" ] || fail "no options found in $page"
    missing=$(comm -23 "$WORK/$tool.man" "$WORK/$tool.words" | tr '\n' ' ')
    [ -z "$missing" ] || fail "$tool -h does not name what $page describes: $missing"
    checked=$((checked + $(grep -c . "$WORK/$tool.man")))
done
echo "ok: the $checked options of the four man pages are all in the tools' -h"
