#!/usr/bin/env bash
# Runs the video pipeline tests (including the 500-cycle open/cancel leak test) under
# AddressSanitizer, in a separate build directory so the normal build is not disturbed.
#
#   scripts/asan.sh [FILTER]      # default filter: VideoPipelineTests
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-VideoPipelineTests}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
swift build --build-tests --sanitize=address --build-path .build-asan
swift test --skip-build --sanitize=address --build-path .build-asan --filter "$filter"
