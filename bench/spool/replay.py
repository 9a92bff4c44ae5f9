#!/usr/bin/python3
"""Replay after a long outage: how long the backlog takes to drain, live frames' capture ->
delivery while it drains, and edge-video's RSS while the backlog builds.

Usage: /usr/bin/python3 bench/spool/replay.py [--cameras 8] [--frames 24000] [--fill-fps 50]
                                              [--replay capture_order,live_first] [--rounds 3]
                                              [--binary .build/release/edge-video] [--url AMQP_URL]

Per round and replay order:
  1. Outage: N testsrc: cameras capture at --fill-fps with no broker (their URL names a closed
     port), so every frame beyond the publish queue goes to the spool, until --frames are spooled
     in all (24,000 = 8 cameras x 5 fps x 10 minutes, built at 10x the rate); RSS is sampled every
     second (the spool lives on disk: RSS must stay flat). SIGTERM: what is in memory is spooled.
  2. Replay: the same cameras at 5 fps, the broker up, a durable queue bound, the live consumer of
     bench/fleet (consume_c, C) measuring capture -> delivery. Drain time: from start until the
     status shows nothing spooled. Live latency: frames captured after the replay started.
Prints one JSON line per phase and round, then medians.
"""
import argparse
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("fleet", os.path.join(ROOT, "bench/fleet/run.py"))
fleet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fleet)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write_config(directory, url, exchange, cameras, fps, replay):
    config = {
        "amqp": {"urls": [url], "exchange": exchange, "connect_timeout_s": 1},
        "status": {"file": "status.json"},
        "logging": {"level": "warning"},
        "http": {"enabled": False},
        "spool": {"directory": os.path.join(directory, "spool"), "replay": replay},
        "cameras": [{"id": f"cam{i}", "url": f"testsrc:?size=320x180&rate={max(10, int(fps))}", "fps": fps,
                     "width": 320, "height": 180} for i in range(cameras)],
    }
    path = os.path.join(directory, "supervision.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def status(binary, path):
    out = subprocess.run([binary, "status", "--json", "--config", path], stdout=subprocess.PIPE, text=True, timeout=30)
    return json.loads(out.stdout) if out.returncode == 0 else None


def fill(args, directory, replay):
    path = write_config(directory, "amqp://guest:guest@127.0.0.1:1/%2f", "unused", args.cameras, args.fill_fps, replay)
    app = subprocess.Popen([args.binary, "run", "--config", path], stderr=subprocess.DEVNULL)
    rss, start = [], time.monotonic()
    try:
        while True:
            time.sleep(1)
            rss.append(rss_kib(app.pid))
            s = status(args.binary, path)
            spooled = sum(c["spooled"] for c in s["cameras"].values()) if s else 0
            if spooled >= args.frames:
                break
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=60)
    settled = rss[min(len(rss) - 1, 5):]  # after start-up
    row = {"phase": "outage", "replay": replay, "spooled": spooled, "seconds": round(time.monotonic() - start, 1),
           "rss_first_mib": round(settled[0] / 1024, 1), "rss_last_mib": round(settled[-1] / 1024, 1),
           "rss_max_mib": round(max(settled) / 1024, 1), "rss_growth_mib": round((max(settled) - settled[0]) / 1024, 1)}
    print(json.dumps(row), flush=True)
    return row


def drain(args, directory, replay):
    exchange = f"bench.replay.{uuid.uuid4().hex[:8]}"
    consumer = fleet.Consumer(args.consumer, args.url, exchange)
    path = write_config(directory, args.url, exchange, args.cameras, 5, replay)
    start_us = int(time.time() * 1e6)
    start = time.monotonic()
    app = subprocess.Popen([args.binary, "run", "--config", path], stderr=subprocess.DEVNULL)
    drained = None
    try:
        while time.monotonic() - start < 600:
            time.sleep(0.2)
            s = status(args.binary, path)
            if s and s["cameras"] and all(c["spooled"] == 0 and c["recovered"] > 0 for c in s["cameras"].values()):
                drained = time.monotonic() - start
                recovered = sum(c["recovered"] for c in s["cameras"].values())
                break
        end_us = int(time.time() * 1e6)
        time.sleep(2)  # the last live frames of the drain window reach the consumer
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=60)
        consumer.stop()
    live, _ = consumer.latencies(start_us, end_us)
    row = {"phase": "replay", "replay": replay, "recovered": recovered if drained else None,
           "drain_s": round(drained, 2) if drained else None,
           "frames_per_s": round(recovered / drained, 1) if drained else None,
           "live_frames": len(live), "live_p50_ms": fleet.percentile(live, 0.5), "live_p99_ms": fleet.percentile(live, 0.99)}
    print(json.dumps(row), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--frames", type=int, default=24000)
    parser.add_argument("--fill-fps", type=float, default=50)
    parser.add_argument("--replay", default="capture_order,live_first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/edge-video"))
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f")
    args = parser.parse_args()
    out = os.path.join(ROOT, "bench/out")
    os.makedirs(out, exist_ok=True)
    args.consumer = os.path.join(out, "consume_c")
    subprocess.run(["cc", "-O2", "-Wall", "-o", args.consumer, os.path.join(ROOT, "bench/fleet/consume_c.c"), "-lrabbitmq"],
                   check=True)
    rows = {}
    for r in range(args.rounds):
        for replay in args.replay.split(","):
            directory = tempfile.mkdtemp(prefix="ev-replay-", dir=out)
            try:
                rows.setdefault(replay, []).append((fill(args, directory, replay), drain(args, directory, replay)))
            finally:
                shutil.rmtree(directory, ignore_errors=True)
    print(f"\nmedians over {args.rounds} rounds; {args.cameras} cameras, {args.frames} frames spooled")
    print("| replay | drain s | frames/s | live p50 ms | live p99 ms | RSS growth while spooling MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for replay, pairs in rows.items():
        def med(phase, key):
            values = [p[phase][key] for p in pairs if p[phase][key] is not None]
            return round(statistics.median(values), 2) if values else None
        print(f"| {replay} | {med(1, 'drain_s')} | {med(1, 'frames_per_s')} | {med(1, 'live_p50_ms')} | "
              f"{med(1, 'live_p99_ms')} | {med(0, 'rss_growth_mib')} |")


if __name__ == "__main__":
    main()
