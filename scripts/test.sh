#!/usr/bin/env bash
# The README's test command: installs what is missing, starts RabbitMQ, builds with warnings as
# errors and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/start-rabbitmq.sh

export EDGE_VIDEO_WARNINGS_AS_ERRORS=1
swift build --build-tests
# The Debian package (release build, --static-swift-stdlib) for the package test; built here
# because `swift test` holds the build directory's lock. Its release objects also serve the benches.
scripts/package-deb.sh dist >/dev/null
# The DocC catalogs of the two public libraries, with warnings as errors (a broken symbol link
# fails the run); in a build folder of their own, so the test build above stays as it is.
scripts/docs.sh >/dev/null
# One test at a time: several integration tests check latency bounds the issues set (a stall
# surfaces within stall_timeout + 1 s, cancellation returns within 1 s) while others load both
# cores on purpose (4K encoding, 200 reconnects); side by side on a 2-core machine they measure the
# scheduler, not us. Every test still has its own queues, exchanges and ports, so
# `scripts/test.sh --parallel` works too, faster and noisier.
swift test --skip-build --no-parallel "$@"
