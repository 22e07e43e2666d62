#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job on its embedded default: build flowkit, start flowcapd on 127.0.0.1, send it
# real export datagrams (the shared corpus when ../shared/corpus exists, else flowkit's own
# sample traffic), let it rotate a file, and query the stored flows with flowdump.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== building flowkit in ${FLOWKIT_BUILD_DIR:-build}/ (the first build takes several minutes)"
scripts/build.sh >/dev/null
build=${FLOWKIT_BUILD_DIR:-build}
export TZ=${TZ:-UTC}

work=$(mktemp -d /tmp/flowkit-demo.XXXXXX)
flows=$work/flows
mkdir -p "$flows"
# FLOWKIT_DEMO_PORT picks the port; by default the first free one from 29995 up.
port=${FLOWKIT_DEMO_PORT:-}
if [ -z "$port" ]; then
    port=29995
    while ss -Hlun "sport = :$port" | grep -q .; do port=$((port + 1)); done
fi

"$build/flowcapd" -b 127.0.0.1 -p "$port" -w "$flows" -t 2 -I demo 2>"$work/flowcapd.log" &
capd=$!
trap 'kill $capd 2>/dev/null || true; rm -rf "$work"' EXIT
# Wait until this collector (not some other program on the port) is up, or say why not.
for _ in $(seq 1 100); do
    if ! kill -0 "$capd" 2>/dev/null; then
        echo "demo: flowcapd did not start on 127.0.0.1:$port:" >&2
        cat "$work/flowcapd.log" >&2
        exit 1
    fi
    ss -Hlunp "sport = :$port" 2>/dev/null | grep -q "pid=$capd," && break
    sleep 0.05
done
echo "== flowcapd listening on 127.0.0.1:$port, writing to $flows (rotation every 2 s)"

corpus=../shared/corpus
if [ -d "$corpus" ]; then
    inputs=("$corpus/netflow5/graylog__netflow5.pcap" "$corpus/netflow9/graylog__nprobe-netflow9.pcap"
            "$corpus/ipfix/pmacct__100-IPFIXv10-CISCO__traffic-00.pcap")
    echo "== sending real exporters' datagrams: ${inputs[*]##*/}"
    "$build/tests/flowsend" --to "127.0.0.1:$port" "${inputs[@]}"
else
    echo "== no corpus at $corpus: sending flowkit's sample NetFlow v5, v9 and IPFIX traffic"
    for v in 5 9 10; do "$build/tests/flowsend" --to "127.0.0.1:$port" --sample "$v" --seed "$v"; done
fi

sleep 3  # at least one rotation
kill -TERM "$capd"
wait "$capd" || true
echo "== collector log"
cat "$work/flowcapd.log"
echo "== files"
ls -l "$flows"
echo "== flowdump -R $flows -o line -c 20"
"$build/flowdump" -R "$flows" -o line -c 20
echo "== flowdump -R $flows -I"
"$build/flowdump" -R "$flows" -I
