#!/usr/bin/env bash
# A throwaway RabbitMQ node for tests that change broker-wide state (alarms, stop_app), so the
# shared node on 5672 is never disturbed.
#   scripts/rabbitmq-scratch-node.sh start NODENAME AMQP_PORT DIST_PORT DIR   # returns once it accepts AMQP
#   scripts/rabbitmq-scratch-node.sh stop  NODENAME DIR                      # stops it and removes DIR
# NODENAME looks like evtest-xyz@localhost. DIR holds its mnesia, logs and an empty plugins file
# (no management listener).
set -euo pipefail

case "${1:-}" in
start)
    name=$2 port=$3 dist=$4 dir=$5
    mkdir -p "$dir/mnesia" "$dir/log"
    : > "$dir/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$dir" 2>/dev/null || chmod -R a+rwX "$dir"
    export RABBITMQ_NODENAME="$name" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/pid" \
        RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
    rabbitmq-server -detached >"$dir/log/detached.out" 2>&1
    for _ in $(seq 1 120); do
        rabbitmqctl -q -n "$name" await_startup --timeout 60 >/dev/null 2>&1 && break
        sleep 0.5
    done
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0
        sleep 0.2
    done
    echo "rabbitmq-scratch-node: $name did not open port $port" >&2
    exit 1
    ;;
stop)
    name=$2 dir=$3
    rabbitmqctl -q -n "$name" stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start NODENAME AMQP_PORT DIST_PORT DIR | stop NODENAME DIR" >&2
    exit 64
    ;;
esac
