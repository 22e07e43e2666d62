#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test suite: installs dependencies, builds, and runs every test through ctest.
# Corpus and nfdump comparison tests skip cleanly when ../shared/corpus or nfdump is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export TZ=UTC
ctest --test-dir "${FLOWKIT_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
