#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Writes seed inputs for every fuzz target into OUTDIR/<target>/:
#   fuzz/make_seeds.sh OUTDIR [BUILD_DIR]
# BUILD_DIR (default build-fuzz) must hold fuzz/fuzz_seedgen. Sources: flowkit's sample
# exporter and hand-built messages, ../shared/corpus when present (override with
# FLOWKIT_CORPUS; captures, raw payloads and nfdump files cut to a few blocks), the filter
# texts of the unit tests and docs/filter.md, and the small committed seeds in fuzz/seeds/
# (including every reproducer of a fixed crash). Without the corpus there are fewer seeds.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out=${1:?usage: fuzz/make_seeds.sh OUTDIR [BUILD_DIR]}
build=${2:-$repo/build-fuzz}
corpus=${FLOWKIT_CORPUS:-$repo/../shared/corpus}

rm -rf "$out"
mkdir -p "$out"
if [ -d "$corpus" ]; then
    "$build/fuzz/fuzz_seedgen" "$out" "$corpus" >/dev/null
else
    echo "make_seeds: no corpus at $corpus, generated seeds only" >&2
    "$build/fuzz/fuzz_seedgen" "$out" >/dev/null
fi

# Filter texts: string literals of the filter unit tests and code spans of docs/filter.md.
n=0
while IFS= read -r text; do
    [ -n "$text" ] || continue
    printf '%s' "$text" >"$out/fuzz_filter/text-$n"
    n=$((n + 1))
done < <({
    grep -ohE '"([^"\\]|\\.){2,200}"' "$repo"/tests/unit/filter/*_test.cc | sed 's/^"//; s/"$//'
    grep -ohE '`[^`]{2,200}`' "$repo/docs/filter.md" | sed 's/^`//; s/`$//'
} | sort -u)

for dir in "$repo"/fuzz/seeds/*/; do
    [ -d "$dir" ] || continue
    target=$(basename "$dir")
    mkdir -p "$out/$target"
    cp "$dir"* "$out/$target/" 2>/dev/null || true
done

for dir in "$out"/*/; do
    echo "seeds: $(basename "$dir") $(find "$dir" -type f | wc -l)"
done
