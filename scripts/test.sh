#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test suite: installs dependencies, builds, runs the unit tests once more in a
# build with AddressSanitizer and UndefinedBehaviorSanitizer (decoders, file reader damage
# sweeps, filter compiler), then every test through ctest. Corpus and nfdump comparison tests
# skip cleanly when ../shared/corpus or nfdump is absent. FLOWKIT_NO_SANITIZE=1 skips the
# sanitizer pass. scripts/fuzz.sh then runs every libFuzzer target for a few seconds
# (FLOWKIT_NO_FUZZ=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export TZ=UTC

if [ -z "${FLOWKIT_NO_SANITIZE:-}" ]; then
    asan=${FLOWKIT_ASAN_BUILD_DIR:-build-asan}
    if [ ! -f "$asan/CMakeCache.txt" ]; then
        cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWKIT_SANITIZE=ON \
            >/dev/null
    fi
    cmake --build "$asan" -j "$(nproc)" --target unit_tests
    echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$asan/tests/unit_tests"
fi

# A fuzz finding fails the run after ctest, so the rest of the suite still reports.
fuzz_failed=0
if [ -z "${FLOWKIT_NO_FUZZ:-}" ]; then
    echo "== fuzz targets, a few seconds each (scripts/fuzz.sh, docs/hardening.md)"
    FLOWKIT_NO_SETUP=1 scripts/fuzz.sh || fuzz_failed=1
fi

ctest --test-dir "${FLOWKIT_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
[ "$fuzz_failed" -eq 0 ] || { echo "test: a fuzz target failed, see above" >&2; exit 1; }
