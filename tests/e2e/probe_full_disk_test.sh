#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowprobe writing files (-l) where a file cannot grow (a file size limit, as a full disk
# refuses writes): the error is reported once, writing goes on with the next files, and every
# flow is either in a file or counted as not stored: stored + not stored == flows, exit 1.
# Before, the first error silently dropped every later flow, uncounted.
source "$(dirname "$0")/lib.sh"
need_corpus
FLOWPROBE=$FLOWKIT_BIN/flowprobe
[ -x "$FLOWPROBE" ] || fail "no flowprobe in $FLOWKIT_BIN"
# Packets of several 5-minute slots: some files fit the limit, some do not.
pcap=$CORPUS/pcap-traffic/ndpi__1kxun.pcap
[ -f "$pcap" ] || skip "no $pcap in the corpus"

count() { "$FLOWDUMP" -R "$1" -q -o csv | grep -vc '^No matching' || true; }

mkdir -p "$WORK/all" "$WORK/limited"
"$FLOWPROBE" -r "$pcap" -l "$WORK/all" -t 300 2>"$WORK/all.log" ||
    fail "flowprobe without a limit failed: $(cat "$WORK/all.log")"
flows=$(sed -n 's/.*, flows \([0-9]*\),.*/\1/p' "$WORK/all.log")
[ -n "$flows" ] && [ "$flows" -gt 100 ] || fail "no flow count in: $(cat "$WORK/all.log")"
[ "$(count "$WORK/all")" -eq "$flows" ] || fail "without a limit the files hold $(count "$WORK/all") of $flows flows"
largest=$(stat -c %s "$WORK/all"/nfcapd.* | sort -n | tail -1)
smallest=$(stat -c %s "$WORK/all"/nfcapd.* | sort -n | head -1)
# A limit (in KiB) that the smallest file fits and the largest does not.
limit=$(((smallest + largest) / 2 / 1024))
[ $((limit * 1024)) -gt "$smallest" ] && [ $((limit * 1024)) -lt "$largest" ] ||
    skip "the capture's files are too alike in size ($smallest, $largest bytes)"

rc=0
(
    trap '' XFSZ  # writes past the limit fail with EFBIG instead of killing the process
    ulimit -f "$limit"
    exec "$FLOWPROBE" -r "$pcap" -l "$WORK/limited" -t 300
) 2>"$WORK/limited.log" || rc=$?
[ "$rc" -eq 1 ] || fail "exit $rc with files over the limit, expected 1: $(cat "$WORK/limited.log")"
[ "$(grep -c 'File too large' "$WORK/limited.log")" -eq 1 ] ||
    fail "the write error is not reported exactly once: $(cat "$WORK/limited.log")"
not_stored=$(sed -n 's/.*, flows not stored \([0-9]*\).*/\1/p' "$WORK/limited.log")
[ -n "$not_stored" ] && [ "$not_stored" -gt 0 ] ||
    fail "no count of flows not stored: $(cat "$WORK/limited.log")"
stored=$(count "$WORK/limited")
[ "$stored" -gt 0 ] || fail "no file under the limit was written"
[ $((stored + not_stored)) -eq "$flows" ] ||
    fail "$stored stored + $not_stored not stored != $flows flows"
# Every file left is a complete, closed nfdump file.
for f in "$WORK/limited"/nfcapd.*; do
    "$FLOWDUMP" -r "$f" -o null >/dev/null 2>"$WORK/read.err" ||
        fail "$(basename "$f") does not read: $(cat "$WORK/read.err")"
done
echo "ok: $stored stored + $not_stored not stored == $flows flows, limit $limit KiB"
