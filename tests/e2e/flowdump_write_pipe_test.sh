#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -w into a pipe or FIFO: what arrives is the closed file -w writes to a regular
# file (header with its block count and appendix), byte for byte past the creation time, and
# nfdump reads every flow of it. nfdump 1.7.1 itself sends a header that counts no blocks.
source "$(dirname "$0")/lib.sh"
need_corpus
G=$CORPUS/nffile/generated
in=$G/nf171-none
"$FLOWDUMP" -r "$in" -w "$WORK/file.nf" || fail "-w to a file"
for codec in "" -z=lz4; do
    rc=0
    "$FLOWDUMP" -r "$in" -w /dev/stdout $codec | cat >"$WORK/pipe.nf" || rc=$?
    [ "$rc" = 0 ] || fail "-w /dev/stdout $codec into a pipe: exit $rc"
    "$FLOWDUMP" -r "$in" -w "$WORK/file$codec.nf" $codec || fail "-w $codec to a file"
    # The 16 bytes of magic, layout, version and creation time may differ in the last.
    cmp -s <(tail -c +17 "$WORK/pipe.nf") <(tail -c +17 "$WORK/file$codec.nf") ||
        fail "-w $codec: the piped file differs from the one written to disk"
    [ "$("$FLOWDUMP" -r "$WORK/pipe.nf" -q -o csv | grep -c .)" = \
      "$("$FLOWDUMP" -r "$in" -q -o csv | grep -c .)" ] || fail "-w $codec: flows lost"
done
"$FLOWDUMP" -v "$WORK/pipe.nf" | grep -q 'Data blks  : [1-9]' || fail "piped file: no block count"
if command -v nfdump >/dev/null; then
    nfdump -r "$WORK/pipe.nf" -o null | grep -q 'Total flows processed: 654,' ||
        fail "nfdump does not read the 654 flows of the piped file"
fi
# A FIFO: the reader side takes the file whole.
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fifo.nf" &
reader=$!
"$FLOWDUMP" -r "$in" -w "$WORK/fifo" || fail "-w to a FIFO"
wait "$reader"
cmp -s <(tail -c +17 "$WORK/fifo.nf") <(tail -c +17 "$WORK/file.nf") ||
    fail "-w to a FIFO: the file differs from the one written to disk"
echo "ok: -w into a pipe and a FIFO delivers the closed file"
