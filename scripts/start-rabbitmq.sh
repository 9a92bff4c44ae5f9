#!/usr/bin/env bash
# Starts the local RabbitMQ node unless one already answers on 127.0.0.1:5672. Idempotent.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if answers; then
    exit 0
fi
echo "start-rabbitmq: starting rabbitmq-server" >&2
rabbitmq-server -detached >&2
# await_startup needs the node to be reachable already; -detached returns before it is.
for _ in $(seq 1 60); do
    rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 && break
    sleep 1
done
for _ in $(seq 1 100); do
    answers && exit 0
    sleep 0.2
done
echo "start-rabbitmq: RabbitMQ did not open port 5672" >&2
exit 1
