#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer, in its own build directory (.build-tsan) so the normal
# build is not disturbed, one test at a time as scripts/test.sh does. The edge-video binary the
# tests start is the sanitized one too. Fails if any process (test runner or edge-video) wrote a
# TSan report; prints every report.
#
#   scripts/tsan.sh                          # the whole suite
#   scripts/tsan.sh --filter SupervisionTests  # arguments go to `swift test`
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/sanitizer-reports.sh
source scripts/lib/sanitizer-reports.sh

scripts/start-rabbitmq.sh

# Locked (Sources/Locking/Locked.swift) locks with pthread_mutex_t in this build: TSan does not
# see the FUTEX_LOCK_PI wait of the standard library's Mutex, and would report false races.
export EDGE_VIDEO_TSAN=1
swift build --build-tests --sanitize=thread --build-path .build-tsan

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
# log_path: each process writes its reports to $reports/tsan.<pid>, so reports from the
# edge-video subprocesses count as well as the test runner's.
export TSAN_OPTIONS="${TSAN_OPTIONS:-suppressions=$PWD/scripts/tsan-suppressions.txt:log_path=$reports/tsan:history_size=4}"
export EDGE_VIDEO_BINARY="$PWD/.build-tsan/debug/edge-video"
status=0
# --skip PackageTests: it installs the release .deb of scripts/package-deb.sh, which no sanitizer
# instruments (scripts/test.sh runs it).
swift test --skip-build --sanitize=thread --build-path .build-tsan --no-parallel --skip PackageTests "$@" || status=$?

verdict=0
sanitizer_verdict tsan.sh ThreadSanitizer "$reports/tsan" '^WARNING: ThreadSanitizer' "$status" || verdict=$?
exit "$verdict"
