#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs everything flowkit needs to build and test from Debian 12's packages.
# Idempotent: packages already present are left alone. Runs as root or through sudo.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libpcap-dev zlib1g-dev liblz4-dev libzstd-dev libbz2-dev liblzo2-dev
    libcli11-dev libfmt-dev libspdlog-dev libboost-dev catch2 libcpptoml-dev
    nfdump nfdump-sflow softflowd python3
    fprobe pmacct  # tests/e2e/exporters_test.sh: more real NetFlow exporters
    time  # scripts/bench/run.sh: /usr/bin/time for peak RSS and CPU time
    clang libclang-rt-14-dev  # scripts/fuzz.sh: clang 14 and its libFuzzer runtime
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# nfdump's package enables a collector service; policy-rc.d in containers may refuse to start
# it, which is fine: the tests start their own nfcapd on loopback.
# fprobe's package starts a probe on eth0 exporting to localhost:2055 and pmacct's enables
# its daemons at boot; the tests run their own on files. Without a policy-rc.d of the
# machine's own, a temporary one keeps those from starting; they are disabled afterwards.
declare -A daemons=([fprobe]="fprobe" [pmacct]="pmacctd nfacctd sfacctd uacctd")
quiet=()
for p in "${missing[@]}"; do
    read -r -a ds <<<"${daemons[$p]:-}"
    quiet+=("${ds[@]}")
done
if [ ${#quiet[@]} -gt 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# scripts/setup.sh, while installing\ncase "$1" in %s) exit 101 ;; esac\nexit 0\n' \
        "$(IFS='|'; echo "${quiet[*]}")" | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
for d in "${quiet[@]}"; do
    $sudo update-rc.d "$d" disable >/dev/null 2>&1 || true
    $sudo service "$d" stop >/dev/null 2>&1 || true
done
