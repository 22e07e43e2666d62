#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A compressed block whose bytes are damaged (the codec refuses it) costs only that block:
# flowdump names the file and block, reads every block after it and exits 1, for BZ2, LZ4,
# LZO and ZSTD files; -J leaves such a file untouched.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to damage a block"

generated_file 40000 21
src=$GENERATED
total=$("$FLOWDUMP" -r "$src" -q -N -o 'fmt:%pkt' | grep -c .)
[ "$total" -eq 40000 ] || fail "the generated file holds $total flows, not 40000"

# damage FILE N: overwrites 64 bytes in the middle of data block N's payload; prints the
# number of records that block declares.
damage() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
path, want = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, 'rb').read())
off, n = 40, 0
while True:
    records, size = struct.unpack_from('<II', data, off)
    n += 1
    if n == want:
        mid = off + 12 + size // 2
        data[mid:mid + 64] = bytes([0xA5]) * 64
        open(path, 'wb').write(data)
        print(records)
        break
    off += 12 + size
PY
}

for codec in bz2 lz4 lzo zstd; do
    "$FLOWDUMP" -r "$src" -z=$codec -w "$WORK/$codec" >/dev/null 2>&1 || fail "-w -z=$codec failed"
    blocks=$("$FLOWDUMP" -v "$WORK/$codec" | sed -n 's/^Data blks *: *//p')
    [ "${blocks:-0}" -ge 3 ] || fail "$codec: only ${blocks:-0} blocks, need 3"
    lost=$(damage "$WORK/$codec" 2)
    cp "$WORK/$codec" "$WORK/$codec.damaged"
    rc=0
    got=$("$FLOWDUMP" -r "$WORK/$codec" -q -N -o 'fmt:%pkt' 2>"$WORK/err" | grep -c .) || rc=$?
    rc=0
    "$FLOWDUMP" -r "$WORK/$codec" -o null >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || fail "$codec: exit $rc with a damaged block"
    echo "$codec: $got of $total flows read, $lost in block 2: $(head -1 "$WORK/err")"
    grep -q "block 2" "$WORK/err" || fail "$codec: the damaged block is not named: $(cat "$WORK/err")"
    # LZ4 and LZO may decode damaged bytes into wrong records instead of failing; then the
    # record checks report the block and what came before the damage in it is kept.
    if grep -q "decompression failed\|Decompress\|decompress" "$WORK/err"; then
        [ "$got" -eq $((total - lost)) ] ||
            fail "$codec: $got flows read, expected $((total - lost)) (all but block 2's $lost)"
    else
        [ "$got" -ge $((total - lost)) ] && [ "$got" -lt "$total" ] ||
            fail "$codec: $got flows read of $total with $lost in the damaged block"
    fi
    rc=0
    "$FLOWDUMP" -J none -r "$WORK/$codec" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || fail "$codec: -J on a damaged file: exit $rc"
    cmp -s "$WORK/$codec" "$WORK/$codec.damaged" || fail "$codec: -J changed the damaged file"
done
grep -q . "$WORK/err" && echo "PASS"
