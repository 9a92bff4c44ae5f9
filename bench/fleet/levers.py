#!/usr/bin/python3
"""Memory levers of edge-video alone: variants of the fleet bench's edge-video side, interleaved.

Usage: /usr/bin/python3 bench/fleet/levers.py [--cameras 8] [--rounds 3] [--seconds 15] [--warmup 10]
           VARIANT [VARIANT ...]

A VARIANT is NAME=BINARY[,ENV=VALUE...][,camera.KEY=JSON...][,spool.KEY=JSON...], for example
    base=/tmp/old/edge-video  arenas=.build/release/edge-video,MALLOC_ARENA_MAX=8
    queue2=.build/release/edge-video,camera.queue_capacity=2
    always=.build/release/edge-video,spool.mode="always"

The cameras, the broker side and a live (pika) consumer are those of bench/fleet/run.py (one RTSP
server, 640x360 H.264 at 10 fps; 320x180 JPEG at 5 fps, every frame published with confirms).
Each round runs every variant once, in turn, so that a change of load on the shared machine hits
all of them alike. Prints one JSON line per variant and round, then a table of medians over the
rounds: PSS, RSS, anonymous and file-backed PSS (MiB, from /proc/PID/smaps_rollup after the
measured window), CPU (user+sys over --seconds) and capture -> delivery p50/p99.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as fleet  # noqa: E402  (bench/fleet/run.py: the same measurement of PSS, RSS and CPU)


class Consumer(threading.Thread):
    """Consumes the bench exchange; records now - captured_at_us per frame while `recording`."""

    def __init__(self, url, exchange):
        super().__init__(daemon=True)
        import pika
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(queue, exchange, routing_key="camera.#")
        self.channel.basic_consume(queue, self.on_message, auto_ack=True)
        self.latencies_ms = []
        self.recording = False
        self.stopping = False

    def on_message(self, channel, method, properties, body):
        now = time.time_ns() // 1000
        captured = (properties.headers or {}).get("captured_at_us")
        if self.recording and captured is not None:
            self.latencies_ms.append((now - captured) / 1000)

    def run(self):
        while not self.stopping:
            self.connection.process_data_events(time_limit=0.2)
        self.connection.close()


def parse_variant(text):
    name, _, rest = text.partition("=")
    parts = rest.split(",")
    variant = {"name": name, "binary": parts[0], "env": {}, "camera": {}, "settings": []}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if key.startswith("camera."):
            variant["camera"][key[len("camera."):]] = json.loads(value)
        elif key.startswith("spool."):
            variant["settings"].append((key, json.loads(value)))
        else:
            variant["env"][key] = value
    return variant


def run_variant(args, variant, rtsp):
    exchange = f"bench.levers.{uuid.uuid4().hex[:8]}"
    consumer = Consumer(args.url, exchange)
    consumer.start()
    directory = tempfile.mkdtemp(prefix="ev-levers-")
    path = fleet.write_config(directory, args.url, exchange, rtsp, args.cameras, variant["camera"],
                              settings=variant["settings"])
    env = dict(os.environ, **variant["env"])
    app = subprocess.Popen([variant["binary"], "run", "--config", path], stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(args.warmup)
        consumer.recording = True
        result = fleet.measure([app.pid], args.seconds, 0)
        consumer.recording = False
        lat = consumer.latencies_ms
        result.update({"frames": len(lat), "latency_p50_ms": fleet.percentile(lat, 0.5),
                       "latency_p99_ms": fleet.percentile(lat, 0.99)})
        return result
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=60)
        consumer.stopping = True
        consumer.join(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f")
    parser.add_argument("variants", nargs="+", help="NAME=BINARY[,ENV=VALUE...][,camera.KEY=JSON...][,spool.KEY=JSON...]")
    args = parser.parse_args()
    variants = [parse_variant(v) for v in args.variants]

    server = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(fleet.ROOT, "scripts/rtsp-server.py"), "--port", "0", "--size", "640x360",
         "--rate", "10", "--gop", "10"] + [a for i in range(args.cameras) for a in ("--mount", f"/cam{i}")],
        stdout=subprocess.PIPE, text=True)
    results = {v["name"]: [] for v in variants}
    try:
        ready = server.stdout.readline().split()
        if not ready or ready[0] != "READY":
            sys.exit("rtsp-server did not start")
        for round_number in range(args.rounds):
            for variant in variants:
                result = run_variant(args, variant, ready[1])
                results[variant["name"]].append(result)
                print(json.dumps({"bench": "levers", "variant": variant["name"], "round": round_number,
                                  "cameras": args.cameras, **result}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    keys = ["pss_mib", "rss_mib", "pss_anon_mib", "pss_file_mib", "cpu_s", "latency_p50_ms", "latency_p99_ms"]
    print(f"\n{args.cameras} cameras, medians of {args.rounds} rounds:\n")
    print("| variant | PSS MiB | RSS MiB | anon PSS | file PSS | cpu-s | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for variant in variants:
        rows = results[variant["name"]]
        medians = [statistics.median(r[k] for r in rows if r[k] is not None) for k in keys]
        print(f"| {variant['name']} | " + " | ".join(f"{m:.2f}" if k == "cpu_s" else f"{m:.1f}" for k, m in zip(keys, medians)) + " |")


if __name__ == "__main__":
    main()
