#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer (with LeakSanitizer), in its own build directory
# (.build-asan) so the normal build is not disturbed, one test at a time as scripts/test.sh does.
# The edge-video binary the tests start is the sanitized one too. First the open/cancel leak test
# alone (so that the totals of /proc/self/task and /proc/self/fd are checked against their
# baseline), then the suite. Fails on any ASan or LSan report, from any process.
#
#   scripts/asan.sh                            # the whole suite
#   scripts/asan.sh --filter VideoPipelineTests  # arguments go to `swift test`
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/sanitizer-reports.sh
source scripts/lib/sanitizer-reports.sh

scripts/start-rabbitmq.sh
swift build --build-tests --sanitize=address --build-path .build-asan

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
# log_path: each process writes its reports to $reports/asan.<pid>, so reports from the
# edge-video subprocesses count as well as the test runner's.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:log_path=$reports/asan}"
# exitcode=0: a leak must not change an edge-video subprocess's exit status (tests check it);
# the script counts the reports instead.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0:exitcode=0}"
# No Swift backtracer: when an edge-video subprocess crashed, the runtime's backtracer read the
# other threads' stacks (its memserver), which ASan reported as a stack-buffer-underflow and aborted
# on, so the crash's own message never reached the test. The runtime then prints the fatal error
# alone, which the failing test shows with the subprocess's stderr.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
export EDGE_VIDEO_BINARY="$PWD/.build-asan/debug/edge-video"
status=0
EDGE_VIDEO_ISOLATED_LEAK_TEST=1 \
    swift test --skip-build --sanitize=address --build-path .build-asan --filter LeakTests || status=$?
# --skip PackageTests: it installs the release .deb of scripts/package-deb.sh, which no sanitizer
# instruments (scripts/test.sh runs it).
swift test --skip-build --sanitize=address --build-path .build-asan --no-parallel --skip PackageTests "$@" || status=$?

verdict=0
sanitizer_verdict asan.sh AddressSanitizer/LeakSanitizer "$reports/asan" \
    '^==[0-9]*==ERROR: \(AddressSanitizer\|LeakSanitizer\)' "$status" || verdict=$?
exit "$verdict"
