#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# flowprobe against Debian's softflowd on every capture of ../shared/corpus/pcap-traffic:
# both read the file (-r) and export IPFIX over 127.0.0.1 to their own flowcapd; the stored
# flows must agree once the known differences below are accounted for. flowprobe exports to
# Debian's nfcapd 1.7.1 at the same time, which must decode every datagram and store the
# same flows as flowcapd.
#
# Known, asserted differences (softflowd 1.1.0):
# - softflowd keeps one bidirectional flow and exports each direction with the flow's
#   common first/last times; flowprobe's flows are unidirectional. Compared: for each
#   5-tuple, first/last over both directions (within 1 ms).
# - flowprobe ends a TCP flow at FIN/RST and keys flows by ToS and VLAN as well; softflowd
#   in -r mode ends flows only at the end of the file and keys by the 5-tuple. Compared:
#   packets and bytes summed per 5-tuple.
# - Fragments after the first: flowprobe accounts them to their flow (ports from the first
#   fragment); softflowd to a port-less flow of the same addresses (IPv6: protocol 0).
#   The script reads the capture and moves those fragments to softflowd's key.
# - softflowd counts every byte after the link header (Ethernet padding of short frames,
#   trailing bytes); flowprobe, like NetFlow, the IP length field. The script adds the
#   difference, computed from the capture, per flow.
# - softflowd keys ICMP flows by addresses only and reports one packet's type/code;
#   ICMP flows are compared per address pair.
source "$(dirname "$0")/lib.sh"

FLOWPROBE=$FLOWKIT_BIN/flowprobe
[ -x "$FLOWPROBE" ] || fail "no flowprobe in $FLOWKIT_BIN"

# Bad command lines are refused before any work, with the offending value named.
refuse() {
    local want=$1
    shift
    local out
    if out=$("$FLOWPROBE" "$@" 2>&1); then fail "flowprobe $* was accepted"; fi
    echo "$out" | grep -qF -- "$want" || fail "flowprobe $*: '$out' does not say '$want'"
}
refuse "one capture source" -n 127.0.0.1:9995
refuse "one capture source" -i lo -r x.pcap -n 127.0.0.1:9995
refuse "give -r once" -r x.pcap -r y.pcap -n 127.0.0.1:9995
refuse "give -i once" -i lo -i eth0 -n 127.0.0.1:9995
refuse "nowhere to send flows" -r x.pcap
refuse "not both" -r x.pcap -n 127.0.0.1:9995 -l /tmp
refuse "invalid collector '127.0.0.1:70000'" -r x.pcap -n 127.0.0.1:70000
refuse "unsupported NetFlow version '7'" -r x.pcap -v 7 -n 127.0.0.1:9995
refuse "invalid active timeout '0'" -r x.pcap -a 0 -n 127.0.0.1:9995
refuse "invalid inactive timeout" -r x.pcap -e 10,x -n 127.0.0.1:9995
refuse "-t needs -l" -r x.pcap -t 60 -n 127.0.0.1:9995
refuse "up to 16383" -r x.pcap -s 20000 -n 127.0.0.1:9995
refuse "no valid directory: '$WORK/none' (-l needs an existing directory)" -r x.pcap -l "$WORK/none"
refuse "cannot read capture '$WORK/none.pcap'" -r "$WORK/none.pcap" -n 127.0.0.1:9995
refuse "filter once" -r x.pcap -f tcp -n 127.0.0.1:9995 udp
# An ident with a newline forged lines in flowdump -I of the files written.
refuse "may not hold control characters" -r x.pcap -l "$WORK" -I $'edge\nFlows: 999'
refuse "may not hold control characters" -r x.pcap -l "$WORK" -I $'edge\tx'

need_corpus
pcaps=$CORPUS/pcap-traffic
[ -d "$pcaps" ] || skip "no pcap-traffic captures in $CORPUS"
command -v softflowd >/dev/null || skip "Debian's softflowd is not installed (scripts/setup.sh)"
need_nfdump
command -v python3 >/dev/null || skip "python3 is not installed"
FMT='fmt:%ts|%te|%pr|%sa|%sp|%da|%dp|%pkt|%byt'
DUMP=(-q -6 -N -o "$FMT")
dump() { "$FLOWDUMP" -R "$1" "${DUMP[@]}" | sed '/^No matching flows/d'; }
# Same timeouts on both sides: softflowd -r expires nothing before the end of the file, so
# flowprobe gets timeouts longer than any capture and a cache that never fills.
TIMEOUTS=(-a 604800 -e 604800 -m 1000000)

cat >"$WORK/compare.py" <<'EOF'
import ipaddress
import struct
import sys

from capture_frames import frames  # tests/tools, on PYTHONPATH
from datetime import datetime, timezone

def norm_port(port):
    # flowdump prints ICMP type.code; the packets give type << 8 | code.
    if '.' in port:
        t, c = port.split('.')
        return int(t) * 256 + int(c)
    return int(port)

def load(path):
    rows = []
    for line in open(path):
        f = [x.strip() for x in line.split('|')]
        if len(f) != 9 or not f[0][:1].isdigit():
            continue
        t = lambda s: round(datetime.strptime(s, '%Y-%m-%d %H:%M:%S.%f')
                            .replace(tzinfo=timezone.utc).timestamp() * 1000)
        key = (int(f[2]), ipaddress.ip_address(f[3]).compressed, norm_port(f[4]),
               ipaddress.ip_address(f[5]).compressed, norm_port(f[6]))
        rows.append(dict(first=t(f[0]), last=t(f[1]), key=key, pkts=int(f[7]),
                         byts=int(f[8])))
    return rows

def l3(link, f):
    if link == 1:
        off, et = 14, struct.unpack('>H', f[12:14])[0]
        while et in (0x8100, 0x88a8, 0x9100):
            et, off = struct.unpack('>H', f[off + 2:off + 4])[0], off + 4
        return f[off:] if et in (0x0800, 0x86dd) else None
    if link == 113:
        return f[16:]
    if link == 276:
        return f[20:]
    if link in (0, 108):
        return f[4:]
    if link in (12, 14, 101, 228, 229):
        return f
    return None

def softflowd_view(path):
    # What softflowd does differently per packet, read from the capture itself:
    # - it counts every byte after the link header (Ethernet padding, trailing bytes) where
    #   NetFlow counts the IP length field: `extra` bytes per softflowd key;
    # - it puts fragments after the first into a port-less flow (IPv6: protocol 0) where
    #   flowprobe accounts them to the first fragment's flow: `moves` (packets, bytes) from
    #   flowprobe's key to softflowd's.
    extra, moves, frag_ports = {}, {}, {}
    for link, f, orig in frames(path):
        ip = l3(link, f)
        if not ip:
            continue
        wire = orig - (len(f) - len(ip))
        if ip[0] >> 4 == 4:
            total, ident, fo = struct.unpack('>HHH', ip[2:8])
            proto, hl = ip[9], (ip[0] & 15) * 4
            src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
            offset, more, body = fo & 0x1fff, fo & 0x2000, ip[hl:]
        elif ip[0] >> 4 == 6:
            total = 40 + struct.unpack('>H', ip[4:6])[0]
            proto, off = ip[6], 40
            src, dst = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40])
            offset = more = ident = 0
            while proto in (0, 43, 60, 44):
                if proto == 44:
                    fo, ident = struct.unpack('>HI', ip[off + 2:off + 8])
                    offset, more = fo >> 3, fo & 1
                    proto, off = ip[off], off + 8
                    if offset:
                        break
                else:
                    proto, off = ip[off], off + (ip[off + 1] + 1) * 8
            body = ip[off:]
        else:
            continue
        sp = dp = 0
        fk = (src, dst, proto, ident)
        if offset:
            sp, dp = frag_ports.get(fk, (0, 0))
        elif proto in (6, 17, 132, 136) and len(body) >= 4:
            sp, dp = struct.unpack('>HH', body[:4])
        if more and not offset:
            frag_ports[fk] = (sp, dp)
        key = normal((proto, src.compressed, sp, dst.compressed, dp))
        sfkey = key
        if offset:
            sfkey = (proto if ip[0] >> 4 == 4 else 0, key[1], 0, key[3], 0)
            if sfkey != key:
                n, b = moves.get((key, sfkey), (0, 0))
                moves[(key, sfkey)] = (n + 1, b + total)
        extra[sfkey] = extra.get(sfkey, 0) + wire - total
    return extra, moves

def normal(k):
    # softflowd keys ICMP by addresses only and reports one packet's type/code.
    return (k[0], k[1], 0, k[3], 0) if k[0] in (1, 58) else k

def per_key(rows):
    agg = {}
    for r in rows:
        a = agg.setdefault(normal(r['key']),
                           dict(pkts=0, byts=0, first=r['first'], last=r['last']))
        a['pkts'] += r['pkts']
        a['byts'] += r['byts']
        a['first'] = min(a['first'], r['first'])
        a['last'] = max(a['last'], r['last'])
    return agg

def span(agg, k):
    # first/last over both directions, as softflowd reports them.
    a, b = agg[k], agg.get((k[0], k[3], k[4], k[1], k[2]))
    if b is None:
        return a['first'], a['last']
    return min(a['first'], b['first']), max(a['last'], b['last'])

probe, soft, name, pcap = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3], sys.argv[4]
expect_moves = int(sys.argv[5])
extra, moves = softflowd_view(pcap)
p, s = per_key(probe), per_key(soft)
touched = set()
for (key, sfkey), (n, b) in moves.items():
    a = p.get(key)
    if a is None:
        continue
    a['pkts'] -= n
    a['byts'] -= b
    t = p.setdefault(sfkey, dict(pkts=0, byts=0, first=a['first'], last=a['last']))
    t['pkts'] += n
    t['byts'] += b
    if a['pkts'] == 0:
        del p[key]
    touched |= {key, sfkey}
errors = []
if (len(moves) > 0) != (expect_moves > 0):
    errors.append(f'{len(moves)} fragment moves, expected {"some" if expect_moves else "none"}')
linked = 0
for k in sorted(set(p) | set(s), key=str):
    if k not in p or k not in s:
        side = 'flowprobe' if k in p else 'softflowd'
        errors.append(f'{k} only in {side}: {p.get(k) or s.get(k)}')
        continue
    linked += extra.get(k, 0) != 0
    if (p[k]['pkts'], p[k]['byts'] + extra.get(k, 0)) != (s[k]['pkts'], s[k]['byts']):
        errors.append(f'{k} counters: flowprobe {p[k]["pkts"]}/{p[k]["byts"]} + '
                      f'{extra.get(k, 0)} link bytes, softflowd {s[k]["pkts"]}/{s[k]["byts"]}')
    if k in touched:
        continue  # the moved fragments' own times are not known per flow
    pf, pl = span(p, k)
    sf, sl = span(s, k)
    if abs(pf - sf) > 1 or abs(pl - sl) > 1:
        errors.append(f'{k} times: flowprobe {pf}..{pl}, softflowd {sf}..{sl}')
for e in errors[:20]:
    print(f'{name}: {e}')
print(f'{name}: {len(probe)} flowprobe flows, {len(soft)} softflowd flows, {len(p)} keys, '
      f'{len(moves)} fragment moves, {linked} keys with link bytes, {len(errors)} differences')
sys.exit(1 if errors else 0)
EOF

total=0
failed=()
for pcap in "$pcaps"/*; do
    name=$(basename "$pcap")
    d=$WORK/$name
    p1=$(free_port)
    start_collector fk "$d/fk" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d/fk" -t 300
    p2=$(free_port)
    start_collector nf "$d/nf" "$p2" nfcapd -b 127.0.0.1 -p "$p2" -w "$d/nf" -t 300
    p3=$(free_port)
    start_collector sf "$d/sf" "$p3" "$FLOWCAPD" -b 127.0.0.1 -p "$p3" -w "$d/sf" -t 300

    # Two collectors: one with -n, one in fprobe's positional form.
    "$FLOWPROBE" -r "$pcap" -v 10 "${TIMEOUTS[@]}" -n "127.0.0.1:$p1" "127.0.0.1:$p2" \
        2>"$d/probe.log" || fail "$name: flowprobe failed: $(cat "$d/probe.log")"
    ! grep -E "unmatched|send errors|malformed [1-9]" "$d/probe.log" ||
        fail "$name: flowprobe reported problems"
    softflowd -r "$pcap" -v 10 -A milli -a -d -m 1000000 -n "127.0.0.1:$p3" \
        >"$d/softflowd.log" 2>&1 || fail "$name: softflowd failed: $(tail "$d/softflowd.log")"
    stop_collector fk
    stop_collector nf
    stop_collector sf

    dump "$d/fk" >"$d/fk.txt"
    dump "$d/sf" >"$d/sf.txt"
    folds=0
    # UDP fragments after the first: the one capture where softflowd's keys differ for them
    # (ICMP fragments, as in loghub__ipv4frags, land on the same address-only key).
    [ "$name" != ndpi__dns_fragmented.pcap ] || folds=1
    PYTHONPATH="$(dirname "$0")/../tools" python3 "$WORK/compare.py" "$d/fk.txt" "$d/sf.txt" "$name" "$pcap" "$folds" ||
        failed+=("$name")

    # nfcapd 1.7.1 decodes flowprobe's IPFIX without complaint and stores the same flows.
    grep -q "Sequence Errors: 0, Bad Packets: 0" "$WORK/nf.log" ||
        fail "$name: nfcapd counted errors: $(cat "$WORK/nf.log")"
    ! grep -v "Sequence Errors" "$WORK/nf.log" | grep -iE "error|unknown|corrupt|skip" ||
        fail "$name: nfcapd complained"
    dump "$d/nf" | sort >"$d/nf.sorted"
    sort "$d/fk.txt" >"$d/fk.sorted"
    diff "$d/nf.sorted" "$d/fk.sorted" >"$d/nf.diff" ||
        fail "$name: nfcapd and flowcapd store different flows: $(head "$d/nf.diff")"
    n=$(wc -l <"$d/fk.txt")
    [ "$n" -gt 0 ] || fail "$name: no flows stored"

    # Written straight into nfdump files (-l), the same flows as exported and collected.
    mkdir -p "$d/files"
    "$FLOWPROBE" -r "$pcap" "${TIMEOUTS[@]}" -l "$d/files" -t 300 2>"$d/files.log" ||
        fail "$name: flowprobe -l failed: $(cat "$d/files.log")"
    dump "$d/files" | sort >"$d/files.sorted"
    diff "$d/files.sorted" "$d/fk.sorted" >"$d/files.diff" ||
        fail "$name: -l files differ from the exported flows: $(head "$d/files.diff")"
    total=$((total + n))
done
[ ${#failed[@]} -eq 0 ] || fail "flowprobe and softflowd differ on: ${failed[*]}"
# NetFlow v5 and v9 export: nfcapd 1.7.1 and flowcapd store the same flows, and their
# uptime-relative times come back as exactly the IPFIX run's; v5 has no IPv6, so those flows
# are left out and counted. With 1:4 sampling the options data announces the rate: flowcapd
# multiplies the counters, nfcapd 1.7.1 ignores sampling options (docs/compatibility.md), so
# its counters are a quarter of flowcapd's. Captures spanning more than 49 days (merged
# files) overflow the 32-bit uptime of v5/v9: flowprobe must say so, and they are skipped.
for pcap in "$pcaps"/*; do
name=$(basename "$pcap")
v6=0
for mode in 5 9 9s; do
    d=$WORK/$name/v$mode
    p1=$(free_port)
    start_collector fk "$d/fk" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d/fk" -t 300
    p2=$(free_port)
    start_collector nf "$d/nf" "$p2" nfcapd -b 127.0.0.1 -p "$p2" -w "$d/nf" -t 300
    extra=()
    [ "$mode" != 9s ] || extra=(-s 4)
    "$FLOWPROBE" -r "$pcap" -v "${mode%s}" "${TIMEOUTS[@]}" "${extra[@]}" \
        -n "127.0.0.1:$p1,127.0.0.1:$p2" \
        2>"$d/probe.log" || fail "$name v$mode: flowprobe failed: $(cat "$d/probe.log")"
    stop_collector fk
    stop_collector nf
    if grep -q "past the 32-bit uptime" "$d/probe.log"; then
        echo "$name: spans more than 49 days, no v5/v9 comparison"
        continue 2
    fi
    grep -q "Sequence Errors: 0, Bad Packets: 0" "$WORK/nf.log" ||
        fail "$name v$mode: nfcapd counted errors: $(cat "$WORK/nf.log")"
    dump "$d/fk" | sort >"$d/fk.sorted"
    dump "$d/nf" | sort >"$d/nf.sorted"
    stored=$(wc -l <"$d/fk.sorted")
    case $mode in
    5)
        diff "$d/nf.sorted" "$d/fk.sorted" >/dev/null || fail "$name v5: nfcapd and flowcapd differ"
        awk -F"|" '$4 ~ /:/ {exit 1}' "$d/fk.sorted" || fail "$name v5: an IPv6 flow was exported"
        # The IPFIX run's IPv4 flows, to the millisecond.
        awk -F"|" '$4 !~ /:/' "$WORK/$name/fk.sorted" >"$d/ipfix.v4"
        diff "$d/ipfix.v4" "$d/fk.sorted" >"$d/ipfix.diff" ||
            fail "$name v5 and IPFIX flows differ: $(head -4 "$d/ipfix.diff")"
        v6=$(sed -n 's/.*NetFlow v5 has no IPv6) \([0-9]*\).*/\1/p' "$d/probe.log")
        v6=${v6:-0}
        [ $((stored + v6)) -gt 0 ] || fail "$name v5: nothing stored"
        v5=$stored
        ;;
    9)
        # nfcapd 1.7.1's v9 decoder drops the ICMPv6 type/code, whether it comes in the
        # destination port or in icmpTypeCodeIPv6 (#139); its IPFIX decoder and flowcapd keep
        # it. Only those lines may differ.
        tr -d ' ' <"$d/nf.sorted" | sort >"$d/nf.plain"
        tr -d ' ' <"$d/fk.sorted" |
            awk -F'|' -v OFS='|' '$3 == 58 { $7 = "0.0" } 1' | sort >"$d/fk.plain"
        diff "$d/nf.plain" "$d/fk.plain" >/dev/null || fail "$name v9: nfcapd and flowcapd differ"
        # Uptime-relative v9 times come back to the millisecond: the same flows as IPFIX.
        ipfix=$WORK/$name/fk.sorted
        diff "$ipfix" "$d/fk.sorted" >/dev/null || fail "$name v9 and IPFIX flows differ"
        [ "$stored" -eq $((v5 + v6)) ] || fail "$name v9 stores $stored flows, v5 $v5 + $v6 IPv6"
        ;;
    9s)
        read -r fp fb <<<"$(awk -F'|' '{p += $8; b += $9} END {print p, b}' "$d/fk.sorted")"
        read -r np nb <<<"$(awk -F'|' '{p += $8; b += $9} END {print p, b}' "$d/nf.sorted")"
        if [ "$fp" -ne $((np * 4)) ] || [ "$fb" -ne $((nb * 4)) ]; then
            fail "$name sampling: flowcapd $fp/$fb, nfcapd $np/$nb (expected 4x)"
        fi
        # Deterministic 1:4: packets 1, 5, 9, ... are counted.
        packets=$(sed -n 's/.*, packets \([0-9]*\),.*/\1/p' "$d/probe.log")
        out=$(sed -n 's/.*, sampled out \([0-9]*\).*/\1/p' "$d/probe.log")
        [ "${out:-0}" -eq $((packets - (packets + 3) / 4)) ] ||
            fail "$name sampling: $packets packets, ${out:-0} sampled out"
        echo "$name: v5 $v5 flows + $v6 IPv6 not exported, v9 as IPFIX, 1:4 sampled" \
            "$np packets scaled to $fp"
        ;;
    esac
done
done

# With the default timeouts flows end during the capture, so a v5 datagram fills over
# minutes of packet time and must carry the time it is sent: stamped when it was begun, its
# sysUptime was below later records' Last, which collectors take for a wrapped uptime (the
# flows were stored 2^32 ms early). v5 must store the IPv4 flows of an IPFIX run, to the ms.
for pcap in "$pcaps"/*; do
    name=$(basename "$pcap")
    [ -f "$WORK/$name/v5/fk.sorted" ] || continue # spans more than 49 days, see above
    d=$WORK/$name/expiry
    for v in 10 5; do
        p1=$(free_port)
        start_collector fk "$d/v$v" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d/v$v" -t 300
        "$FLOWPROBE" -r "$pcap" -v "$v" -n "127.0.0.1:$p1" 2>"$d/v$v.log" ||
            fail "$name v$v, default timeouts: flowprobe failed: $(cat "$d/v$v.log")"
        stop_collector fk
        dump "$d/v$v" | sort >"$d/v$v.sorted"
    done
    awk -F"|" '$4 !~ /:/' "$d/v10.sorted" >"$d/v10.v4"
    diff "$d/v10.v4" "$d/v5.sorted" >"$d/v5.diff" ||
        fail "$name v5, default timeouts: not the IPFIX flows: $(head -4 "$d/v5.diff")"
done
# One flow of that kind, by its capture's packet times.
mixed=$WORK/ipfixprobe__mixed.pcap/expiry/v5.sorted
if [ -f "$mixed" ]; then
    sed 's/ *| */|/g' "$mixed" |
        grep -q '^2016-10-28 17:01:54.088|2016-10-28 17:02:23.087|1|10.5.5.1|0|8.8.4.4|8.0|' ||
        fail "v5: ICMP 10.5.5.1 -> 8.8.4.4 not stored as it was captured: $(grep 8.8.4.4 "$mixed")"
fi

# Live capture on the loopback interface (needs root or CAP_NET_RAW, otherwise this part is
# skipped): flowprobe drops to nobody after opening the capture, exports idle flows while
# running and the rest on SIGTERM.
p1=$(free_port)
p2=$(free_port)
d=$WORK/live
start_collector fk "$d/fk" "$p1" "$FLOWCAPD" -b 127.0.0.1 -p "$p1" -w "$d/fk" -t 300
user=()
[ "$(id -u)" -ne 0 ] || user=(-u nobody)
"$FLOWPROBE" -i lo -v 9 -e 2 "${user[@]}" -n "127.0.0.1:$p1" udp and dst port "$p2" \
    2>"$d/probe.log" &
probe=$!
STARTED_PIDS+=("$probe")
# flowprobe gives up root only once its capture is open and filtered: as root, wait for that;
# otherwise there is no sign to wait for, and a second has to do.
if [ ${#user[@]} -gt 0 ]; then
    for _ in $(seq 1 200); do
        kill -0 "$probe" 2>/dev/null || break
        [ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$probe/status" 2>/dev/null)" = "$(id -u nobody)" ] &&
            break
        sleep 0.05
    done
else
    sleep 1
fi
if kill -0 "$probe" 2>/dev/null; then
    if [ ${#user[@]} -gt 0 ]; then
        [ "$(ps -o user= -p "$probe")" = nobody ] || fail "live: flowprobe did not drop to nobody"
    fi
    for i in 1 2 3; do echo "probe $i" >"/dev/udp/127.0.0.1/$p2"; done
    # The three one-packet flows go idle after 2 s and are exported live, within about 1.5 s
    # more (expiry and export run at most every 0.5 s and 1 s): wait until the collector has
    # decoded them (its SIGUSR1 counters), at most 20 s.
    for _ in $(seq 1 40); do
        sleep 0.5
        kill -USR1 "$PID_fk"
        grep -q "counters: .* version 9 .*, flows 3, " "$WORK/fk.log" && break
    done
    # Captured on lo before the send returns; flowprobe reads it at SIGTERM at the latest.
    echo last >"/dev/udp/127.0.0.1/$p2"
    kill -TERM "$probe"
    wait "$probe" || fail "live: flowprobe exited with $? on SIGTERM: $(cat "$d/probe.log")"
    stop_collector fk
    got=$(dump "$d/fk" | awk -F'|' -v port="$p2" '$7 + 0 == port' | wc -l)
    [ "$got" -eq 4 ] || fail "live: $got flows to port $p2 stored, expected 4: $(dump "$d/fk")"
    grep -q "datagrams 2" "$d/probe.log" ||
        fail "live: idle flows were not exported before shutdown: $(cat "$d/probe.log")"
    echo "live: 4 flows captured on lo ${user[*]}, idle ones exported while running"
else
    stop_collector fk
    echo "live capture skipped: $(cat "$d/probe.log")"
fi

captures=("$pcaps"/*)
echo "ok: $total flows from ${#captures[@]} captures agree with softflowd and nfcapd"
