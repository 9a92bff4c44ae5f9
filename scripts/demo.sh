#!/usr/bin/env bash
# The README's demo command: installs what is missing, starts RabbitMQ if none answers, builds and
# runs edge-video on the default supervision.json (testsrc: cameras, no camera needed).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/start-rabbitmq.sh

# The command (the launcher) and the real program it execs (Package.swift).
swift build -c release --product edge-video-main
swift build -c release --product edge-video
mkdir -p .run
# Frames are published with `mandatory`: a frame no queue takes comes back and is counted as
# `returned`, not `confirmed`. The demo's queue keeps the newest 1,000 frames for a consumer to read
# (scripts/amqp-tap.py --queue edge-video-demo), so the demo's frames are confirmed.
/usr/bin/python3 scripts/amqp-tap.py --exchange edge.video --key 'camera.#' --queue edge-video-demo \
    --queue-arg x-max-length=1000 --declare-only > /dev/null
# Through the launcher, as the package's `edge-video` command is: a SIGUSR1 or SIGHUP sent in the
# first moments of the start is answered instead of killing it (docs/operations.md).
exec .build/release/edge-video run --config "${1:-supervision.json}"
