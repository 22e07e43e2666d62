#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowdump -J: recompressing files in place keeps every record (the listing and -v's record
# counts are unchanged, and Debian's nfdump reads the result), keeps the file's permissions,
# works on -R ranges, and leaves a damaged file, or one in a directory that cannot be
# written, exactly as it was. Layout 1 (nfdump 1.6) files stay layout 1 and refuse ZSTD.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_collector fk "$WORK/col" "$port" "$FLOWCAPD" -b 127.0.0.1 -p "$port" -w "$WORK/col" -t 300
"$FLOWKIT_SEND" --to "127.0.0.1:$port" --sample 9 --seed 7 --flows 6000 --rate 30000 2>/dev/null
stop_collector fk
# The largest file: a run that crosses a 300-s boundary leaves two, one of them perhaps
# holding only the last few flows.
src=$(ls -S "$WORK/col"/nfcapd.2* 2>/dev/null | head -1 || true)
[ -n "$src" ] || fail "the collector wrote no file"

listing() { "$FLOWDUMP" -r "$1" -q -o extended; }
records() { "$FLOWDUMP" -v "$1" | grep -E '^(Records|Type [0-9] blocks)'; }
codec_of() { "$FLOWDUMP" -v "$1" | sed -n 's/^Version *: *//p' | sed 's/ *$//'; }
listing "$src" >"$WORK/want"
flows=$(grep -c . "$WORK/want")
[ "$flows" -gt 1000 ] || fail "the sample file holds only $flows flows"
records "$src" >"$WORK/want.v"

cp "$src" "$WORK/f"
chmod 640 "$WORK/f"
for c in 1 2 3 4 0 lzo bz2 lz4 zstd none; do
    out=$("$FLOWDUMP" -J "$c" -r "$WORK/f") || fail "-J $c: exit $?"
    [ "$out" = "File $WORK/f compression changed" ] || fail "-J $c said: $out"
    listing "$WORK/f" | cmp -s - "$WORK/want" || fail "-J $c changed the records"
    records "$WORK/f" | cmp -s - "$WORK/want.v" || fail "-J $c changed the record counts"
    case $c in
        1|lzo) want="2 - lzo compressed" ;;
        2|bz2) want="2 - bz2 compressed" ;;
        3|lz4) want="2 - lz4 compressed" ;;
        4|zstd) want="2 - zstd compressed" ;;
        *) want="2 - not compressed" ;;
    esac
    [ "$(codec_of "$WORK/f")" = "$want" ] || fail "-J $c: the file says '$(codec_of "$WORK/f")'"
    if command -v nfdump >/dev/null && [ "$c" != 4 ] && [ "$c" != zstd ]; then
        # nfdump 1.7.1 reads what -J wrote (it has no ZSTD).
        n=$(nfdump -r "$WORK/f" -q -o csv | grep -c .)
        [ "$n" -eq "$flows" ] || fail "-J $c: nfdump reads $n of $flows flows"
    fi
done
[ "$(stat -c %a "$WORK/f")" = 640 ] || fail "permissions not kept: $(stat -c %a "$WORK/f")"
[ -z "$(find "$WORK" -maxdepth 1 -name 'f.codec-*')" ] || fail "temporary file left behind"

# A bad -J value is refused before anything is read.
rc=0
"$FLOWDUMP" -J 7 -r "$WORK/f" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "Expected -J <num>" "$WORK/err" || fail "-J 7: exit $rc, $(cat "$WORK/err")"

# -R over a directory: every file is done; a damaged one is reported and left unchanged,
# and the run ends with exit 1.
mkdir -p "$WORK/range"
for t in 0000 0005 0010; do cp "$src" "$WORK/range/nfcapd.20240101$t"; done
size=$(stat -c %s "$WORK/range/nfcapd.202401010005")
truncate -s $((size / 2)) "$WORK/range/nfcapd.202401010005"
cp "$WORK/range/nfcapd.202401010005" "$WORK/cut.before"
rc=0
"$FLOWDUMP" -J lz4 -R "$WORK/range" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "damaged file in the range: exit $rc"
grep -q "nfcapd.202401010005" "$WORK/err" || fail "the damaged file is not named: $(cat "$WORK/err")"
cmp -s "$WORK/range/nfcapd.202401010005" "$WORK/cut.before" || fail "the damaged file was changed"
[ "$(grep -c 'compression changed' "$WORK/out")" -eq 2 ] || fail "range: $(cat "$WORK/out")"
for t in 0000 0010; do
    [ "$(codec_of "$WORK/range/nfcapd.20240101$t")" = "2 - lz4 compressed" ] ||
        fail "nfcapd.20240101$t not recompressed"
    listing "$WORK/range/nfcapd.20240101$t" | cmp -s - "$WORK/want" ||
        fail "nfcapd.20240101$t: records changed"
done

# A directory that cannot be written: the file stays as it was (not for root, who may).
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$WORK/ro" && cp "$src" "$WORK/ro/f" && chmod 555 "$WORK/ro"
    rc=0
    "$FLOWDUMP" -J lz4 -r "$WORK/ro/f" >/dev/null 2>"$WORK/err" || rc=$?
    chmod 755 "$WORK/ro"
    [ "$rc" -eq 1 ] || fail "read-only directory: exit $rc"
    cmp -s "$WORK/ro/f" "$src" || fail "read-only directory: the file changed"
fi

# Layout 1 files from the corpus stay layout 1 with the new codec bit; ZSTD is refused.
if [ -d "$CORPUS/nffile/generated" ]; then
    for name in nf1625-lzo nfcapd.current.nf1625; do
        orig=$CORPUS/nffile/generated/$name
        cp "$orig" "$WORK/v1"
        chmod u+w "$WORK/v1"
        "$FLOWDUMP" -J bz2 -r "$WORK/v1" >/dev/null || fail "$name: -J bz2 failed"
        [ "$(codec_of "$WORK/v1")" = "1 - bz2 compressed" ] ||
            fail "$name: the file says '$(codec_of "$WORK/v1")'"
        cmp -s <(listing "$orig") <(listing "$WORK/v1") || fail "$name: records changed"
        rc=0
        "$FLOWDUMP" -J zstd -r "$WORK/v1" >/dev/null 2>"$WORK/err" || rc=$?
        [ "$rc" -eq 1 ] && grep -q "cannot hold ZSTD" "$WORK/err" ||
            fail "$name: -J zstd on layout 1: exit $rc, $(cat "$WORK/err")"
    done
fi
echo "PASS"
