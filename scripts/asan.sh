#!/usr/bin/env bash
# Runs the video pipeline tests under AddressSanitizer, in a separate build directory so the
# normal build is not disturbed: first the open/cancel leak test alone (so that the totals of
# /proc/self/task and /proc/self/fd are checked against their baseline), then the whole suite.
#
#   scripts/asan.sh [FILTER]      # default filter for the second run: VideoPipelineTests
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-VideoPipelineTests}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0}"
swift build --build-tests --sanitize=address --build-path .build-asan
EDGE_VIDEO_ISOLATED_LEAK_TEST=1 \
    swift test --skip-build --sanitize=address --build-path .build-asan --filter LeakTests
swift test --skip-build --sanitize=address --build-path .build-asan --filter "$filter"
