#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A data block whose header carries a type no nfdump version writes (a damaged header) is
# not skipped silently: flowdump names the file, the block and the type on stderr, reads the
# blocks after it and exits 1. The block types nfdump does write (1-4) are still read or
# skipped as before.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to patch a block header"

generated_file 40000 22
src=$GENERATED
"$FLOWDUMP" -r "$src" -z=lz4 -w "$WORK/f" >/dev/null 2>&1 || fail "-w -z=lz4 failed"
total=$("$FLOWDUMP" -r "$WORK/f" -q -N -o 'fmt:%pkt' | grep -c .)
blocks=$("$FLOWDUMP" -v "$WORK/f" | sed -n 's/^Data blks *: *//p')
[ "${blocks:-0}" -ge 3 ] || fail "only ${blocks:-0} blocks, need 3"

# settype FILE N TYPE: sets data block N's type field; prints the records it declares.
settype() {
    python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
path, want, typ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open(path, 'rb').read())
off, n = 40, 0
while True:
    records, size = struct.unpack_from('<II', data, off)
    n += 1
    if n == want:
        struct.pack_into('<H', data, off + 8, typ)
        open(path, 'wb').write(data)
        print(records)
        break
    off += 12 + size
PY
}

for typ in 0 5 99 65535; do
    cp "$WORK/f" "$WORK/t$typ"
    lost=$(settype "$WORK/t$typ" 2 $typ)
    rc=0
    "$FLOWDUMP" -r "$WORK/t$typ" -q -N -o 'fmt:%pkt' >"$WORK/out" 2>"$WORK/err" || rc=$?
    got=$(grep -c . "$WORK/out" || true)
    [ "$rc" -eq 1 ] || fail "type $typ: exit $rc, expected 1 (stderr: $(cat "$WORK/err"))"
    grep -q "block 2" "$WORK/err" || fail "type $typ: block not named: $(cat "$WORK/err")"
    grep -q "unknown block type $typ" "$WORK/err" ||
        fail "type $typ: the type is not named: $(cat "$WORK/err")"
    [ "$got" -eq $((total - lost)) ] ||
        fail "type $typ: $got flows read, expected $((total - lost)) (all but block 2's $lost)"
    # the parallel scan of -o null reports it once and fails the same way
    rc=0
    "$FLOWDUMP" -r "$WORK/t$typ" -o null >/dev/null 2>"$WORK/err2" || rc=$?
    [ "$rc" -eq 1 ] || fail "type $typ: -o null exit $rc"
    [ "$(grep -c "unknown block type" "$WORK/err2")" -eq 1 ] ||
        fail "type $typ: -o null reported it $(grep -c "unknown block type" "$WORK/err2") times"
    echo "type $typ: $got of $total flows read, $lost in block 2: $(head -1 "$WORK/err")"
done

# Type 4 (nfdump's array block, never filled) is skipped without a message, as nfdump does.
cp "$WORK/f" "$WORK/t4"
lost=$(settype "$WORK/t4" 2 4)
rc=0
"$FLOWDUMP" -r "$WORK/t4" -q -N -o 'fmt:%pkt' >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 0 ] || fail "type 4: exit $rc: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "type 4: message on stderr: $(cat "$WORK/err")"
echo "PASS"
