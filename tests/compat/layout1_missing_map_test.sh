#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A layout 1 (nfdump 1.6) file whose extension map record is damaged: the flow records that
# name the missing map cannot be decoded. flowdump skips them as nfdump 1.7.1 does (the same
# records are printed), but says so on stderr, naming the file and the count, and exits 1
# instead of passing the loss off as a clean run.
source "$(dirname "$0")/../e2e/lib.sh"
need_nfdump
src=$CORPUS/nffile/generated/nf1625-none
[ -f "$src" ] || skip "no reference file $src"
command -v python3 >/dev/null || skip "python3 is needed to damage the map"

cp "$src" "$WORK/f"
# Layout 1: 140-byte file header, 136-byte stat record, 12-byte block header; the block's
# first record is the extension map (type 2), turned into an unknown record type.
python3 - "$WORK/f" <<'PY' || fail "the first record of $src is not an extension map"
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
off = 140 + 136 + 12
typ, = struct.unpack_from('<H', data, off)
if typ != 2:
    sys.exit(1)
struct.pack_into('<H', data, off, 99)
open(path, 'wb').write(data)
PY

# (no %dp: 1.7.1 takes the ICMP type of layout 1 NSEL records from another field)
fmt='fmt:%ts %te %pr %sap %da %pkt %byt'
nfdump -r "$WORK/f" -q -o "$fmt" 2>/dev/null >"$WORK/want"
rc=0
"$FLOWDUMP" -r "$WORK/f" -q -o "$fmt" >"$WORK/got" 2>"$WORK/err" || rc=$?
total=$("$FLOWDUMP" -r "$src" -q -o "$fmt" | grep -c .)
got=$(grep -c . "$WORK/got" || true)
[ "$got" -lt "$total" ] || fail "no record was lost ($got of $total): the test damaged nothing"
cmp -s "$WORK/want" "$WORK/got" || { diff "$WORK/want" "$WORK/got" | head; fail "records differ from nfdump's"; }
[ "$rc" -eq 1 ] || fail "exit $rc with $((total - got)) records lost (stderr: $(cat "$WORK/err"))"
grep -q "$WORK/f" "$WORK/err" || fail "the file is not named: $(cat "$WORK/err")"
grep -q "$((total - got)) records" "$WORK/err" && grep -q "extension map" "$WORK/err" ||
    fail "the loss is not counted: $(cat "$WORK/err")"
echo "$got of $total records read: $(cat "$WORK/err")"

# -s and -A read the same records and fail the same way
for args in "-s srcip" "-A srcip -o csv"; do
    rc=0
    "$FLOWDUMP" -r "$WORK/f" $args >/dev/null 2>"$WORK/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$args: exit $rc"
    grep -q "extension map" "$WORK/err" || fail "$args: no message: $(cat "$WORK/err")"
done
# The undamaged file reads cleanly.
"$FLOWDUMP" -r "$src" -q -o null 2>"$WORK/err" || fail "the corpus file itself fails"
[ ! -s "$WORK/err" ] || fail "message on the undamaged file: $(cat "$WORK/err")"
echo "PASS"
