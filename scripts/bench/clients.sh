#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The real-client command lines of ../shared/spec/real-clients.md §9 (1-36) as one workload
# for scripts/bench/run.sh, run with TOOL (flowdump or nfdump) against a client tree that
# run.sh builds from the benchmark files. Lines 37 and 38 start collectors and expire
# directories; they are no query workload and are left out. Output goes to /dev/null;
# prints the number of commands and of non-zero exits on stderr.
#
# usage: clients.sh TOOL TREE FIRST LAST
#   TREE holds netflow/ and sflow/ (flat), live/{upstream1,peer1,peer2}/ (-S 1 layout),
#   nna/var/{A,B}/flows/; FIRST and LAST are the first and last file names (nfcapd.STAMP).
set -uo pipefail

NFDUMP=$1
C=$2
FIRST=$3
LAST=$4
day() { local s=${1#nfcapd.}; echo "${s:0:4}/${s:4:2}/${s:6:2}"; }
R1="$(day "$FIRST")/$FIRST"
R2="$(day "$LAST")/$LAST"
DATA=$C
PROF=$C
T0=2026/12/01.10:00:00
T1=2026/12/01.11:00:00
TW="$T0-$T1"
FMT_SOF="fmt:10.3.58.1 %das %dmk %eng %ts %fl 0 %byt %pkt %in %da %nh %sa %dp %sp %te %out %pr 0 0 %sas %smk %stos %flg 0"

commands=0
failures=0
run() {
    commands=$((commands + 1))
    "$NFDUMP" "$@" >/dev/null 2>&1 </dev/null || failures=$((failures + 1))
}

cd "$C" || exit 1
# Pandora FMS
run -V
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s srcip/bytes -t $TW
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s dstport/bytes -t $TW \
    ' (dst ip 192.168.1.10 or dst net 10.0.0.0/8) and (src port 80 or src port 443) and (proto tcp)'
run -N -R $FIRST:$LAST -M $DATA/netflow -o csv -q -n 10 -s srcip/bytes \
    -t 2026/12/01.10:15:00-2026/12/01.10:30:00 ' (src ip 10.0.0.1 or src ip 10.1.2.3)'
run -N -R . -M $DATA/netflow -o csv -n 1 -s srcip/bytes -t $TW
run -N -R . -M $DATA/netflow -o csv -n 1 -s srcip/bytes -t $TW 'proto 132'
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s srcip/bytes -t 2020/01/01.00:00:00-2020/01/01.01:00:00
run -N -R . -M $DATA/netflow -o "fmt:%sap,%dap,%ibyt,%ipkt,%bps" -q -n 10 -s record/bytes -t $TW
run -N -R . -M $DATA/netflow -o "fmt:%sap,%dap,%ibyt,%obyt,%ipkt,%opkt,%bps" -q -n 10 \
    -s record/bytes -t $TW
run -N -R . -M $DATA/netflow -q -o csv -n 10000 -s record/bytes -t $TW \
    ' (dst ip 10.0.0.1 or dst ip 10.1.2.3) and (src ip 10.0.0.1 or src ip 10.1.2.3)'
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s ip/flows -t $TW \
    '((dst port 443) or (src port 443)) and (proto tcp)'
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s port/packets -t $TW ' (proto tcp)'
run -N -R . -M $DATA/netflow -q -o csv -n 10 -s dstip/flows -t $TW ' (src ip 10.0.0.5)'
run -N -R. -M $DATA/netflow:sflow -o csv -q -n 10 -s srcip/bytes -t $TW
run -N -R $DATA/sflow/$FIRST:$LAST -R $DATA/netflow/$FIRST:$LAST -o csv -q -n 10 \
    -s srcip/bytes -t $TW
run -N -R . -M $DATA/netflow ' (router ip 10.0.0.254) and (dst ip 10.1.1.1)' -o csv -q -n 10 \
    -s srcip/bytes -t $TW
# NfSen / LibreNMS
run -M $PROF/live/upstream1:peer1 -T -R $R1:$R2 -n 10 -s srcip/bytes 'any'
run -M $PROF/live/upstream1:peer1 -T -R $R1:$R2 -a -A proto,srcip4/24,dstport -o extended -6 \
    -Otstart -c 20 'proto tcp'
run -M $PROF/live/upstream1 -T -r $R1 -a -B -o bilong -c 100 'any'
run -M $PROF/live/upstream1 -T -r $R1 -o 'fmt:%ts %td %pr %sap -> %dap %pkt %byt %fl' -c 50 'any'
run -M $PROF/live/upstream1 -T -R $R1:$R2 -n 20 -s record/bytes -A srcip,dstip -o long \
    'src net 10.0.0.0/8'
run -M $PROF/live/upstream1:peer1 -T -R $R1:$R2 -n 10 -s dstport/flows $'(port 80\nor port 443)'
run -M $PROF/live/upstream1:peer1:peer2 -T -R $R1:$R2 -n 10 -s srcip/bytes \
    $'(( ident upstream1 or ident peer1) and (\nproto udp\n)\nor\n( ident peer2) and (\nany\n)) and ( port 53 )'
run -Z 'src net 10.0.0.0/8 and port 53'
run -Z 'port not 53'
run -I -G none -R $PROF/live/upstream1/$R1:$LAST
run -r $PROF/live/upstream1/$R1 -o pipe -q -n 1 -s srcip/bytes -s dstport/flows
run -M $PROF/live/upstream1 -T -R $R1:$R2 -n 20 -s srcip/pps
# nfsen-ng
run -M "$PROF/live/upstream1:peer1" -R "$R1:$R2" -c '500' -o 'json' -O 'tstart' 'proto tcp'
run -M "$PROF/live/upstream1:peer1" -R "$R1:$R2" -n '20' -o 'json' -s 'srcip/bytes' 'any'
run -M "$PROF/live/upstream1:peer1" -R "$R1:$R2" -a '-Adstport,srcip,dstip' -O 'bytes' \
    -o 'fmt:%sa %da %dp %ibyt %ipkt %fl' -n '20' -N
run -M "$PROF/live/upstream1" -R "$R1:$R2" -B '' -c '100' -o 'json'
run -I -o 'csv' -M "$PROF/live/upstream1" -r "$R1"
run -M "$PROF/live/upstream1:peer1" -s 'dstport:p' -o 'csv' -r "$R1" 'dst port 443'
# Others: pynfdump, SOF-ELK, Nagios Network Analyzer, Spot
run -q -o pipe -M $PROF/live/upstream1:peer1 -R $R1:$R2 -s srcip/bytes -n 10 'proto udp'
run -R $DATA/netflow -q -c 1
run -R $DATA/netflow -q -N -O tstart -o "$FMT_SOF"
run -M "$C/nna/var/A/flows/:../../B/flows/" -R '.' -t "$TW" -s 'srcip/bytes' -n '5' -o 'csv' -N
run -o csv -r $DATA/netflow/$FIRST

echo "clients: $commands commands, $failures non-zero exits" >&2
