#!/usr/bin/python3
"""Consume edge-video frames from RabbitMQ and print one JSON line per message.

Usage:
    python3 scripts/amqp-tap.py [--url URL] [--exchange edge.video] [--key 'camera.#']
                                [--queue NAME [--queue-arg KEY=VALUE]...] [--count N] [--declare-only]
    python3 scripts/amqp-tap.py [--url URL] --messages-in QUEUE | --drain QUEUE
    python3 scripts/amqp-tap.py [--url URL] --delete-exchange NAME

Declares the exchange (durable topic, as edge-video does), binds a queue to it (an exclusive
auto-delete one, or --queue NAME: durable, kept), prints `READY <queue>` once bound, then for each
message: routing key, message_id, content_type, delivery_mode, timestamp, headers, body size and
the JPEG's own width/height (parsed from its SOF marker; null when the body is not a JPEG).
--messages-in QUEUE just prints that queue's message count and exits; --drain QUEUE consumes it
until the count it had at the start is consumed and prints {"count": N, "distinct": distinct
message_ids, "seqs": {camera_id: [[first, last], ...] runs of the distinct seq headers},
"ids": {message_id prefix (<camera>-<instance>): runs of the numbers after its last "-"}}.
--delete-exchange NAME deletes that exchange (and with it its bindings), prints DELETED, exits.
"""
import argparse
import json
import sys

import pika


def jpeg_size(body):
    """(width, height) from the first SOF marker, or None when body is not a complete JPEG."""
    if len(body) < 4 or body[:2] != b"\xff\xd8" or body[-2:] != b"\xff\xd9":
        return None
    i = 2
    while i + 9 < len(body):
        if body[i] != 0xFF:
            return None
        marker = body[i + 1]
        length = int.from_bytes(body[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(body[i + 7:i + 9], "big"), int.from_bytes(body[i + 5:i + 7], "big")
        i += 2 + length
    return None


def runs(values):
    """Sorted distinct integers as [[first, last], ...] runs of consecutive values."""
    result = []
    for value in sorted(values):
        if result and value == result[-1][1] + 1:
            result[-1][1] = value
        else:
            result.append([value, value])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f")
    parser.add_argument("--exchange", default="edge.video")
    parser.add_argument("--exchange-type", default="topic")
    parser.add_argument("--key", default="camera.#")
    parser.add_argument("--queue", default="")
    parser.add_argument("--count", type=int, default=0, help="exit after N messages (0: run until killed)")
    parser.add_argument("--messages-in", default="", help="print this queue's message count and exit")
    parser.add_argument("--declare-only", action="store_true", help="declare and bind, print READY, exit")
    parser.add_argument("--queue-arg", action="append", default=[],
                        help="KEY=VALUE argument of the --queue declaration (integer when it parses)")
    parser.add_argument("--drain", default="", help="consume this queue until empty, print {count, distinct}")
    parser.add_argument("--delete-exchange", default="", help="delete this exchange, print DELETED and exit")
    args = parser.parse_args()

    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    if args.drain:
        count, ids, seqs, prefixes = 0, set(), {}, {}
        # The queue's count when the drain starts (its publishers are stopped by then): the drain
        # ends when it has them all, not after a pause, so a broker slow to page a long queue in
        # from disk does not cut it short; the inactivity timeout only guards against a count
        # that never comes.
        expected = channel.queue_declare(queue=args.drain, passive=True).method.message_count
        channel.basic_qos(prefetch_count=2000)
        # A consumer, not one basic.get per message: a long fault run leaves tens of thousands.
        for method, props, _ in channel.consume(args.drain, auto_ack=True, inactivity_timeout=30):
            if method is None:
                break
            count += 1
            ids.add(props.message_id)
            prefix, _, number = (props.message_id or "").rpartition("-")
            if prefix and number.isdigit():
                prefixes.setdefault(prefix, set()).add(int(number))
            headers = props.headers or {}
            if "camera_id" in headers and "seq" in headers:
                seqs.setdefault(str(headers["camera_id"]), set()).add(int(headers["seq"]))
            if count >= expected:
                break
        channel.cancel()
        # Runs of consecutive seqs, not every seq: a 1000-round fault run holds about 55,000
        # frames, and a 330 KB line of them stalled the test harness's pipe reader.
        print(json.dumps({"count": count, "distinct": len(ids),
                          "seqs": {camera: runs(found) for camera, found in seqs.items()},
                          "ids": {prefix: runs(found) for prefix, found in prefixes.items()}}), flush=True)
        return 0
    if args.delete_exchange:
        channel.exchange_delete(exchange=args.delete_exchange)
        print("DELETED", args.delete_exchange, flush=True)
        connection.close()
        return 0
    if args.messages_in:
        result = channel.queue_declare(queue=args.messages_in, passive=True)
        print(result.method.message_count, flush=True)
        return 0
    channel.exchange_declare(exchange=args.exchange, exchange_type=args.exchange_type, durable=True)
    if args.queue:
        arguments = {}
        for item in args.queue_arg:
            key, value = item.split("=", 1)
            arguments[key] = int(value) if value.lstrip("-").isdigit() else value
        queue = channel.queue_declare(queue=args.queue, durable=True, arguments=arguments or None).method.queue
    else:
        queue = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue=queue, exchange=args.exchange, routing_key=args.key)
    print("READY", queue, flush=True)
    if args.declare_only:
        connection.close()
        return 0

    seen = 0
    for method, props, body in channel.consume(queue, auto_ack=True):
        size = jpeg_size(body)
        print(json.dumps({
            "routing_key": method.routing_key,
            "message_id": props.message_id,
            "content_type": props.content_type,
            "delivery_mode": props.delivery_mode,
            "timestamp": props.timestamp,
            "headers": props.headers or {},
            "size": len(body),
            "jpeg_width": size[0] if size else None,
            "jpeg_height": size[1] if size else None,
        }), flush=True)
        seen += 1
        if args.count and seen >= args.count:
            break
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
