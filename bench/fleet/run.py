#!/usr/bin/python3
"""Memory and CPU of one edge-video process against one `ffmpeg -threads 1` per camera, same run.

Usage: /usr/bin/python3 bench/fleet/run.py [--counts 1,4,8,16] [--seconds 30] [--warmup 10]
                                           [--binary .build/release/edge-video] [--url AMQP_URL]

One live RTSP server (scripts/rtsp-server.py, 640x360 H.264 at 10 fps, GOP 10) serves 16 mounts.
For each camera count N, in turn:
  * edge-video runs N cameras (320x180 JPEG at 5 fps, every frame published with confirms to the
    local broker), with a live consumer measuring capture -> delivery (now - captured_at_us);
  * N `ffmpeg -threads 1` processes do the same sampling, scaling and JPEG encoding
    (-vf fps=5,scale=320:180 -c:v mjpeg -q:v 5 -f null).
After a warm-up, CPU (utime+stime from /proc/PID/stat) is taken over --seconds, and PSS/RSS from
/proc/PID/smaps_rollup at the end (summed over the ffmpeg processes: PSS splits their shared
libraries, RSS counts them once per process). Prints one JSON line per side and count, then a
table with ratios and the fixed base and marginal MiB per camera (least squares over the counts).
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def memory_kib(pid):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1])
    return values


def fit(points):
    """Least squares y = base + slope * n."""
    n = [p[0] for p in points]
    y = [p[1] for p in points]
    mn, my = statistics.mean(n), statistics.mean(y)
    sxx = sum((a - mn) ** 2 for a in n)
    slope = sum((a - mn) * (b - my) for a, b in zip(n, y)) / sxx if sxx else 0.0
    return my - slope * mn, slope


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


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


def measure(pids, seconds, warmup):
    time.sleep(warmup)
    before = sum(cpu_seconds(p) for p in pids)
    start = time.monotonic()
    time.sleep(seconds)
    cpu = sum(cpu_seconds(p) for p in pids) - before
    elapsed = time.monotonic() - start
    mem = [memory_kib(p) for p in pids]
    return {
        "cpu_s": round(cpu * seconds / elapsed, 3),
        "pss_mib": round(sum(m.get("Pss", 0) for m in mem) / 1024, 1),
        "rss_mib": round(sum(m.get("Rss", 0) for m in mem) / 1024, 1),
        "pss_anon_mib": round(sum(m.get("Pss_Anon", 0) for m in mem) / 1024, 1),
        "pss_file_mib": round(sum(m.get("Pss_File", 0) for m in mem) / 1024, 1),
    }


def run_edge_video(args, rtsp, count):
    exchange = f"bench.fleet.{uuid.uuid4().hex[:8]}"
    consumer = Consumer(args.url, exchange)
    consumer.start()
    directory = tempfile.mkdtemp(prefix="ev-fleet-")
    config = {
        "amqp": {"urls": [args.url], "exchange": exchange},
        "status": {"file": "status.json"},
        "logging": {"level": "warning"},
        "http": {"port": 0},  # a free port: runs on the same machine do not collide
        "cameras": [
            {"id": f"cam{i}", "url": f"{rtsp}/cam{i}", "fps": 5, "width": 320, "height": 180}
            for i in range(count)
        ],
    }
    path = os.path.join(directory, "supervision.json")
    with open(path, "w") as f:
        json.dump(config, f)
    env = dict(os.environ, **args.env)
    app = subprocess.Popen([args.binary, "run", "--config", path], stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(args.warmup)
        consumer.recording = True
        result = measure([app.pid], args.seconds, 0)
        consumer.recording = False
        lat = consumer.latencies_ms
        result.update({
            "frames": len(lat), "latency_p50_ms": percentile(lat, 0.5), "latency_p99_ms": percentile(lat, 0.99),
            "latency_max_ms": round(max(lat), 2) if lat else None,
        })
        return result
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=60)
        consumer.stopping = True
        consumer.join(timeout=10)


def run_ffmpeg(args, rtsp, count):
    procs = [
        subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-threads", "1", "-rtsp_transport", "tcp",
             "-i", f"{rtsp}/cam{i}", "-vf", "fps=5,scale=320:180", "-threads", "1",
             "-c:v", "mjpeg", "-q:v", "5", "-f", "null", "-"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(count)
    ]
    try:
        return measure([p.pid for p in procs], args.seconds, args.warmup)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,4,8,16")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/edge-video"))
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for edge-video (a lever)")
    args = parser.parse_args()
    args.env = dict(e.split("=", 1) for e in args.env)
    counts = [int(c) for c in args.counts.split(",")]

    server = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "scripts/rtsp-server.py"), "--port", "0", "--size", "640x360",
         "--rate", "10", "--gop", "10"] + [a for i in range(max(counts)) for a in ("--mount", f"/cam{i}")],
        stdout=subprocess.PIPE, text=True)
    try:
        ready = server.stdout.readline().split()
        if not ready or ready[0] != "READY":
            sys.exit("rtsp-server did not start")
        rtsp = ready[1]
        rows = []
        for count in counts:
            ours = run_edge_video(args, rtsp, count)
            print(json.dumps({"bench": "fleet", "impl": "edge-video", "cameras": count, **ours}), flush=True)
            peer = run_ffmpeg(args, rtsp, count)
            print(json.dumps({"bench": "fleet", "impl": "ffmpeg", "cameras": count, **peer}), flush=True)
            rows.append((count, ours, peer))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"\n| cameras | edge-video PSS / RSS MiB | ffmpeg PSS / RSS MiB | PSS ratio | edge-video cpu-s | ffmpeg cpu-s | CPU ratio | latency p50 / p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for count, ours, peer in rows:
        print(f"| {count} | {ours['pss_mib']} / {ours['rss_mib']} | {peer['pss_mib']} / {peer['rss_mib']} | "
              f"{ours['pss_mib'] / peer['pss_mib']:.2f}x | {ours['cpu_s']} | {peer['cpu_s']} | "
              f"{ours['cpu_s'] / peer['cpu_s']:.2f}x | {ours['latency_p50_ms']} / {ours['latency_p99_ms']} |")
    if len(rows) > 1:
        for name, key in (("edge-video", 1), ("ffmpeg", 2)):
            base, slope = fit([(r[0], r[key]["pss_mib"]) for r in rows])
            print(f"{name}: PSS = {base:.1f} MiB fixed + {slope:.2f} MiB per camera (CPU over {args.seconds:.0f} s)")


if __name__ == "__main__":
    main()
