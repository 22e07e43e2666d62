#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerates the golden outputs of golden_test.cc with Debian's nfdump 1.7.1 from the
# shared corpus: the first 3 records of each listed exporter, printed with -q.
# Usage: tests/unit/output/data/regen.sh [corpus dir]
set -eu
corpus=${1:-$(dirname "$0")/../../../../../shared/corpus}
gen=$corpus/nffile/generated
out=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC

# Exporters whose records need no name tables (flowkit's reader exposes none yet).
json_routers="1 8 9 10 11 17 21 22 24 33 44 45 55"
raw_routers="1 8 9 10 11 17 22 33 36"
tokens='%ts|%te|%tr|%tsr|%trr|%td|%tds|%pr|%sa|%da|%sap|%dap|%sn|%dn|%sp|%dp|%it|%ic|%nh|%nhb|%ra|%sas|%das|%nas|%pas|%in|%out|%pkt|%ipkt|%opkt|%byt|%ibyt|%obyt|%fl|%flg|%tos|%stos|%dtos|%dir|%smk|%dmk|%fwd|%bfd|%end|%svln|%dvln|%ismc|%odmc|%idmc|%osmc|%mpls1|%mpls2|%mpls|%bps|%pps|%bpp|%eng|%exp|%nfv|%cnt|%lbl|%sc|%dc|%nbid|%ja3|%sni|%odid|%opid|%vrf|%ivrf|%evrf|%cl|%sl|%al|%nfc|%tevt|%evt|%xevt|%sgt|%msec|%iacl|%eacl|%xsa|%xda|%xsp|%xdp|%xsap|%xdap|%uname|%nevt|%nsa|%nda|%nsp|%ndp|%nsap|%ndap|%pbstart|%pbend|%pbstep|%pbsize'

: > "$out/nf171.json.txt"
: > "$out/nf171.pipe.txt"
for r in $json_routers; do
    nfdump -r "$gen/nf171-none" -q -c 3 -o json "router ip 127.0.1.$r" >> "$out/nf171.json.txt"
    nfdump -r "$gen/nf171-none" -q -c 3 -o pipe "router ip 127.0.1.$r" >> "$out/nf171.pipe.txt"
done
: > "$out/nf171.raw.txt"
: > "$out/nf171.tokens.txt"
: > "$out/nf171.tokens6.txt"
for r in $raw_routers; do
    nfdump -r "$gen/nf171-none" -q -c 3 -o raw "router ip 127.0.1.$r" >> "$out/nf171.raw.txt"
    nfdump -r "$gen/nf171-none" -q -c 3 -o "fmt:$tokens" "router ip 127.0.1.$r" \
        >> "$out/nf171.tokens.txt"
    nfdump -r "$gen/nf171-none" -q -c 3 -6 -T -o "fmt:%sa|%dap|%sn|%nh|%nhb|%ra|%xsap" \
        "router ip 127.0.1.$r" >> "$out/nf171.tokens6.txt"
done
nfdump -r "$gen/sf171-none" -q -o json > "$out/sf171.json.txt"
nfdump -r "$gen/sf171-none" -q -o raw > "$out/sf171.raw.txt"
nfdump -r "$gen/sf171-v6agent" -q -o raw > "$out/sf171-v6agent.raw.txt"
nfdump -r "$gen/sf171-none" -q -o "fmt:$tokens" > "$out/sf171.tokens.txt"
