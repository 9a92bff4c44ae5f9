#!/usr/bin/env bash
# The README's demo command: installs what is missing, starts RabbitMQ if none answers, builds and
# runs edge-video on the default supervision.json (testsrc: cameras, no camera needed).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/start-rabbitmq.sh

swift build -c release --product edge-video
mkdir -p .run
exec .build/release/edge-video run --config "${1:-supervision.json}"
