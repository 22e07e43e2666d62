#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A `.nfstat` that is a symlink (or a hard link to another file) is never written through:
# flowexpire and flowcapd -e replace it with a regular file of their own and leave its
# target untouched (issue 4: `ln -s victim DIR/.nfstat; flowexpire -l DIR` overwrote victim;
# nfexpire does the same).
source "$(dirname "$0")/lib.sh"
FLOWEXPIRE=$FLOWKIT_BIN/flowexpire

# check NAME DIR VICTIM: the victim keeps its text and DIR/.nfstat is a regular file now.
check() {
    local name=$1 dir=$2 victim=$3
    [ "$(cat "$victim")" = "precious" ] || fail "$name: the link's target was written: $(head -c 200 "$victim")"
    [ -f "$dir/.nfstat" ] && [ ! -L "$dir/.nfstat" ] || fail "$name: .nfstat is not a regular file"
    [ "$(stat -c %h "$dir/.nfstat")" = 1 ] || fail "$name: .nfstat still has other links"
    grep -q "^numfiles=" "$dir/.nfstat" || fail "$name: .nfstat holds no statistics"
    if ls "$dir" | grep -q '^\.nfstat\.'; then fail "$name: temporary file left"; fi
    echo "ok: $name"
}

for kind in symlink hardlink; do
    dir=$WORK/$kind
    mkdir -p "$dir"
    echo precious >"$WORK/victim-$kind"
    if [ "$kind" = symlink ]; then
        ln -s "$WORK/victim-$kind" "$dir/.nfstat"
    else
        ln "$WORK/victim-$kind" "$dir/.nfstat"
    fi
    "$FLOWEXPIRE" -l "$dir" >"$WORK/$kind.out" 2>&1 || { cat "$WORK/$kind.out"; fail "$kind: flowexpire -l failed"; }
    check "flowexpire -l, $kind" "$dir" "$WORK/victim-$kind"
done

# flowcapd -e expires after each rotation through the same code.
dir=$WORK/capd
mkdir -p "$dir"
echo precious >"$WORK/victim-capd"
ln -s "$WORK/victim-capd" "$dir/.nfstat"
port=$(free_port)
start_collector capd "$dir" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$dir" -t 2 -e
for _ in $(seq 1 80); do [ -L "$dir/.nfstat" ] || break; sleep 0.1; done
stop_collector capd
check "flowcapd -e, symlink" "$dir" "$WORK/victim-capd"
