#!/usr/bin/env bash
# The README's test command: installs what is missing, starts RabbitMQ, builds with warnings as
# errors and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/start-rabbitmq.sh

export EDGE_VIDEO_WARNINGS_AS_ERRORS=1
swift build --build-tests
swift test --skip-build "$@"
