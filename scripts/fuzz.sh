#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a bounded time over
# fresh seeds (fuzz/make_seeds.sh) plus the corpus it grew in earlier runs. Fails when any
# target reports a crash, leak, timeout, out-of-memory or sanitizer error; the input that
# caused it stays in build-fuzz/fuzz-crashes/ and the log in build-fuzz/fuzz-logs/.
#   scripts/fuzz.sh [TARGET...]          all targets when none is named
# Environment: FLOWKIT_FUZZ_SECONDS per target (default 12; 0 = only replay the seeds),
# FLOWKIT_FUZZ_BUILD_DIR (default build-fuzz), FLOWKIT_JOBS (default nproc),
# FLOWKIT_NO_SETUP=1 skips scripts/setup.sh. See docs/hardening.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FLOWKIT_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FLOWKIT_FUZZ_SECONDS:-12}
jobs=${FLOWKIT_JOBS:-$(nproc)}
targets=(fuzz_wire_v5 fuzz_wire_v9 fuzz_wire_ipfix fuzz_wire_sflow fuzz_wire_decoder
         fuzz_template_cache fuzz_nffile fuzz_nffile_block fuzz_filter fuzz_nfconf)
[ $# -gt 0 ] && targets=("$@")

[ -n "${FLOWKIT_NO_SETUP:-}" ] || scripts/setup.sh
if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFLOWKIT_FUZZ=ON -DFLOWKIT_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzzers fuzz_seedgen
fuzz/make_seeds.sh "$build/fuzz-seeds" "$build" >/dev/null
mkdir -p "$build/fuzz-crashes" "$build/fuzz-logs"

# Longest input per target: datagrams fit in a UDP payload; files and sequences are larger.
max_len() {
    case $1 in
        fuzz_nffile | fuzz_nffile_block | fuzz_template_cache) echo 65536 ;;
        fuzz_filter) echo 2048 ;;
        fuzz_nfconf) echo 4096 ;;
        *) echo 8192 ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
echo "== fuzzing ${#targets[@]} targets, ${seconds}s each"
for t in "${targets[@]}"; do
    corpus="$build/fuzz-corpus/$t"
    log="$build/fuzz-logs/$t.log"
    mkdir -p "$corpus"
    opts=(-max_len="$(max_len "$t")" -timeout=25 -rss_limit_mb=2048 -malloc_limit_mb=64
          -artifact_prefix="$build/fuzz-crashes/$t-" -print_final_stats=1)
    if [ "$seconds" -eq 0 ]; then
        opts+=(-runs=0)
    else
        opts+=(-max_total_time="$seconds")
    fi
    [ "$t" = fuzz_filter ] && opts+=(-dict=fuzz/filter.dict)
    if "$build/fuzz/$t" "${opts[@]}" "$corpus" "$build/fuzz-seeds/$t" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
        echo "fuzz: $t ok (${runs:-0} runs, ${cov:-cov: ?})"
    else
        failed+=("$t")
        echo "fuzz: $t FAILED, log $log:" >&2
        pattern='ERROR|SUMMARY|runtime error|contract broken|Test unit written'
        if grep -qE "$pattern" "$log"; then
            grep -E "$pattern" "$log" | head -20 >&2
        else
            tail -30 "$log" >&2
        fi
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; inputs in $build/fuzz-crashes/" >&2
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
