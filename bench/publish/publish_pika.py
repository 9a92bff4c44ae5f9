#!/usr/bin/env python3
"""The pika peer of `edge-video-bench publish`: same message, same JSON line.

Mode `async` (default): a SelectConnection publisher with confirms keeping at most WINDOW messages
unconfirmed. Mode `blocking`: the usual pika BlockingConnection with confirm_delivery(), where each
basic_publish waits for its own confirm (a window of 1 whatever WINDOW says).
Usage: publish_pika.py URL EXCHANGE ROUTING_KEY COUNT SIZE WINDOW [async|blocking]
"""
import json
import sys
import time

import logging

import pika

logging.basicConfig(level=logging.WARNING)

url, exchange, key = sys.argv[1:4]
count, size, window = (int(x) for x in sys.argv[4:7])
mode = sys.argv[7] if len(sys.argv) > 7 else "async"
body = b"\x5a" * size
state = {"published": 0, "settled": 0, "confirmed": 0, "nacked": 0, "start": 0.0, "end": 0.0}
sent_at = {}
latencies = []
properties = [
    pika.BasicProperties(message_id=f"bench-{i}", delivery_mode=2, content_type="application/octet-stream")
    for i in range(count)
]


def fill(channel):
    while state["published"] < count and state["published"] - state["settled"] < window:
        i = state["published"]
        sent_at[i + 1] = time.monotonic()
        channel.basic_publish(exchange, key, body, properties[i])
        state["published"] += 1


def on_confirm(frame, channel):
    method = frame.method
    ack = isinstance(method, pika.spec.Basic.Ack)
    now = time.monotonic()
    tags = [t for t in sent_at if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
    for tag in tags:
        latencies.append(now - sent_at.pop(tag))
        state["settled"] += 1
        state["confirmed" if ack else "nacked"] += 1
    if state["settled"] == count:
        state["end"] = time.monotonic()
        channel.connection.close()
    else:
        fill(channel)


def on_exchange(_frame, channel):
    state["start"] = time.monotonic()
    fill(channel)


def on_select(_frame, channel):
    channel.exchange_declare(exchange, "topic", durable=True, callback=lambda f: on_exchange(f, channel))


def on_channel(channel):
    channel.confirm_delivery(lambda f: on_confirm(f, channel), callback=lambda f: on_select(f, channel))


def run_blocking():
    blocking = pika.BlockingConnection(pika.URLParameters(url))
    channel = blocking.channel()
    channel.confirm_delivery()
    channel.exchange_declare(exchange, "topic", durable=True)
    state["start"] = time.monotonic()
    for i in range(count):
        sent = time.monotonic()
        try:
            channel.basic_publish(exchange, key, body, properties[i])
            state["confirmed"] += 1
        except pika.exceptions.NackError:
            state["nacked"] += 1
        latencies.append(time.monotonic() - sent)
    state["end"] = time.monotonic()
    blocking.close()


if mode == "blocking":
    run_blocking()
else:
    connection = pika.SelectConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda c, e: (print(f"publish_pika: {e}", file=sys.stderr), c.ioloop.stop()),
        on_close_callback=lambda c, e: c.ioloop.stop(),
    )
    connection.ioloop.start()

seconds = state["end"] - state["start"]
latencies.sort()
rate = state["confirmed"] / seconds if seconds > 0 else 0.0


def pct(p):
    return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 3) if latencies else 0.0


print(json.dumps({
    "bench": "publish", "impl": f"pika-{mode}", "count": count, "size": size, "window": window,
    "seconds": round(seconds, 3), "msg_per_s": round(rate, 3), "mb_per_s": round(rate * size / 1e6, 3),
    "confirm_p50_ms": pct(0.5), "confirm_p99_ms": pct(0.99),
    "confirmed": state["confirmed"], "nacked": state["nacked"],
}, separators=(",", ":")))
