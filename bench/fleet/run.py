#!/usr/bin/python3
"""Memory and CPU of one edge-video process against one `ffmpeg -threads 1` per camera and the decode floor, same run.

Usage: /usr/bin/python3 bench/fleet/run.py [--counts 1,4,8,16] [--rounds 3] [--seconds 20] [--warmup 8]
                                           [--binary .build/release/edge-video] [--url AMQP_URL]
                                           [--env NAME=VALUE]

One live RTSP server (scripts/rtsp-server.py, 640x360 H.264 at 10 fps, GOP 10) serves 16 mounts.
For each camera count N, --rounds rounds (the order of the three sides rotating from round to
round, so that a change of load on the machine hits them alike) of:
  * edge-video runs N cameras (320x180 JPEG at 5 fps, every frame published with confirms to the
    local broker), with a live consumer (bench/fleet/consume_c.c, built here, run under SCHED_FIFO
    when allowed) measuring capture -> delivery (receipt time - captured_at_us);
  * N `ffmpeg -threads 1` processes do the same sampling, scaling and JPEG encoding
    (-vf fps=5,scale=320:180 -c:v mjpeg -q:v 5 -f null);
  * the floor: N `ffmpeg -threads 1` processes that only decode the same streams (-map 0:v -f null),
    every frame, as edge-video's decoder does here (5 fps from GOP 10 at 10 fps is below the
    keyframe rate, so it never switches to keyframe-only decoding).
After a warm-up, CPU (utime+stime from /proc/PID/stat) is taken over --seconds, and PSS/RSS from
/proc/PID/smaps_rollup at the end (summed over the ffmpeg processes: PSS splits their shared
libraries, RSS counts them once per process). Prints one JSON line per side, count and round, then
a table of medians (ratios, edge-video over ffmpeg and over the floor, are medians of the per-round
ratios) and the fixed base and marginal MiB
per camera (least squares over the counts). Messages carrying 64-bit `trace_*` headers (a tracing
build: `git apply bench/fleet/trace-stages.patch`, never merged) also get per-stage latencies.
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


class Consumer:
    """The live consumer (bench/fleet/consume_c.c, under SCHED_FIFO when allowed, so that its own
    scheduling is not part of the figure): one line per delivered message, with the receipt time
    and the message's 64-bit integer headers (captured_at_us, and per-stage stamps in a tracing
    build), read by a thread here."""

    def __init__(self, consumer_binary, url, exchange):
        host, port = url.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
        command = [consumer_binary, host, port, exchange]
        try:
            subprocess.run(["chrt", "-f", "10", "true"], check=True, stderr=subprocess.DEVNULL)
            command = ["chrt", "-f", "10"] + command
            self.realtime = True
        except (OSError, subprocess.CalledProcessError):
            self.realtime = False
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "READY":
            sys.exit("consume_c did not start")
        self.records = []
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in self.process.stdout:
            parts = line.split()
            if not parts:
                continue
            stamps = dict(p.split("=", 1) for p in parts[1:])
            self.records.append((int(parts[0]), {k: int(v) for k, v in stamps.items()}))

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.thread.join(timeout=10)

    def latencies(self, start_us, end_us):
        """Capture -> delivery in ms, and per-stage ms (consecutive stamps in header order)."""
        total, stages = [], {}
        for received, stamps in self.records:
            captured = stamps.get("captured_at_us")
            if captured is None or not start_us <= captured <= end_us:
                continue
            total.append((received - captured) / 1000)
            chain = [("captured", captured)] + [(k, v) for k, v in stamps.items() if k.startswith("trace_")]
            chain.append(("delivered", received))
            for (a, ta), (b, tb) in zip(chain, chain[1:]):
                stages.setdefault(f"{a}->{b}", []).append((tb - ta) / 1000)
        return total, stages


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


def write_config(directory, url, exchange, rtsp, count, camera_extra=None, settings=()):
    """Writes the edge-video configuration of a fleet run (N cameras of the RTSP server, 320x180
    JPEG at 5 fps) into directory; returns its path. settings: (dotted key, value) pairs set on top
    (--set). bench/fleet/levers.py uses it too."""
    config = {
        "amqp": {"urls": [url], "exchange": exchange},
        "status": {"file": "status.json"},
        "logging": {"level": "warning"},
        "http": {"port": 0},  # a free port: runs on the same machine do not collide
        "cameras": [
            dict({"id": f"cam{i}", "url": f"{rtsp}/cam{i}", "fps": 5, "width": 320, "height": 180}, **(camera_extra or {}))
            for i in range(count)
        ],
    }
    for key, value in settings:
        *parents, last = key.split(".")
        section = config
        for name in parents:
            section = section.setdefault(name, {})
        section[last] = value
    path = os.path.join(directory, "supervision.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def run_edge_video(args, rtsp, count):
    exchange = f"bench.fleet.{uuid.uuid4().hex[:8]}"
    consumer = Consumer(args.consumer, args.url, exchange)
    directory = tempfile.mkdtemp(prefix="ev-fleet-")
    path = write_config(directory, args.url, exchange, rtsp, count, settings=args.set)
    env = dict(os.environ, **args.env)
    app = subprocess.Popen([args.binary, "run", "--config", path], stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(args.warmup)
        start_us = time.time_ns() // 1000
        result = measure([app.pid], args.seconds, 0)
        end_us = time.time_ns() // 1000
        time.sleep(0.5)  # frames captured near the end are delivered
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=60)
        consumer.stop()  # flushes the consumer's buffered lines: every delivered frame is counted
    lat, stages = consumer.latencies(start_us, end_us)
    if args.dump:
        with open(args.dump, "a") as f:
            for received, stamps in consumer.records:
                f.write(json.dumps({"cameras": count, "received_us": received, **stamps}) + "\n")
    result.update({
        "frames": len(lat), "latency_p50_ms": percentile(lat, 0.5), "latency_p99_ms": percentile(lat, 0.99),
        "latency_max_ms": round(max(lat), 2) if lat else None,
        "over_30ms": sum(1 for v in lat if v > 30), "consumer_realtime": consumer.realtime,
    })
    if len(stages) > 1:
        result["stages_p50_p99_max_ms"] = {
            k: [percentile(v, 0.5), percentile(v, 0.99), round(max(v), 2)] for k, v in stages.items()}
    return result


def run_ffmpeg(args, rtsp, count, output=("-vf", "fps=5,scale=320:180", "-threads", "1", "-c:v", "mjpeg", "-q:v", "5")):
    """count `ffmpeg -threads 1` processes, one per camera, writing `output` to -f null."""
    procs = [
        subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-threads", "1", "-rtsp_transport", "tcp",
             "-i", f"{rtsp}/cam{i}", *output, "-f", "null", "-"],
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


def run_floor(args, rtsp, count):
    """The decode floor: what edge-video's decoders decode (every frame of the video stream), nothing else."""
    return run_ffmpeg(args, rtsp, count, output=("-map", "0:v"))


SIDES = {"edge-video": run_edge_video, "ffmpeg": run_ffmpeg, "floor": run_floor}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,4,8,16")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per count, the sides' order rotating (medians reported)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=8)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/edge-video"))
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2f")
    parser.add_argument("--dump", help="append every delivered message's stamps to this file (JSON lines)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for edge-video (a lever)")
    parser.add_argument("--set", action="append", default=[],
                        help="KEY=JSON set in edge-video's configuration, e.g. memory.release_startup_pages=false")
    args = parser.parse_args()
    args.env = dict(e.split("=", 1) for e in args.env)
    args.set = [(k, json.loads(v)) for k, v in (s.split("=", 1) for s in args.set)]
    counts = [int(c) for c in args.counts.split(",")]
    out = os.path.join(ROOT, "bench/out")
    os.makedirs(out, exist_ok=True)
    args.consumer = os.path.join(out, "consume_c")
    subprocess.run(["cc", "-O2", "-Wall", "-o", args.consumer, os.path.join(ROOT, "bench/fleet/consume_c.c"),
                    "-lrabbitmq"], check=True)

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
            rounds = []
            for r in range(args.rounds):
                # Rotate which side goes first, so a load change on the machine hits all three alike.
                names = list(SIDES)
                order = names[r % 3:] + names[:r % 3]
                got = {}
                for impl in order:
                    got[impl] = SIDES[impl](args, rtsp, count)
                    print(json.dumps({"bench": "fleet", "impl": impl, "cameras": count, "round": r, **got[impl]}), flush=True)
                rounds.append((got["edge-video"], got["ffmpeg"], got["floor"]))
            rows.append((count, rounds))
    finally:
        server.terminate()
        server.wait(timeout=30)

    def med(rounds, side, key):
        return round(statistics.median(r[side][key] for r in rounds), 2)

    def med_ratio(rounds, key, peer=1):
        return statistics.median(r[0][key] / r[peer][key] for r in rounds)

    print(f"\nmedians over {args.rounds} rotating rounds per count; ratios are medians of per-round ratios")
    print("| cameras | edge-video PSS / RSS MiB | ffmpeg PSS / RSS MiB | PSS ratio | edge-video cpu-s | ffmpeg cpu-s "
          "| CPU ratio (per round) | floor cpu-s | CPU / floor (per round) | latency p50 / p99 ms (per round) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for count, rounds in rows:
        cpu = ", ".join(f"{r[0]['cpu_s'] / r[1]['cpu_s']:.2f}" for r in rounds)
        floor = ", ".join(f"{r[0]['cpu_s'] / r[2]['cpu_s']:.2f}" for r in rounds)
        p99 = ", ".join(str(r[0]["latency_p99_ms"]) for r in rounds)
        print(f"| {count} | {med(rounds, 0, 'pss_mib')} / {med(rounds, 0, 'rss_mib')} | "
              f"{med(rounds, 1, 'pss_mib')} / {med(rounds, 1, 'rss_mib')} | {med_ratio(rounds, 'pss_mib'):.2f}x | "
              f"{med(rounds, 0, 'cpu_s')} | {med(rounds, 1, 'cpu_s')} | {med_ratio(rounds, 'cpu_s'):.2f}x ({cpu}) | "
              f"{med(rounds, 2, 'cpu_s')} | {med_ratio(rounds, 'cpu_s', peer=2):.2f}x ({floor}) | "
              f"{med(rounds, 0, 'latency_p50_ms')} / {med(rounds, 0, 'latency_p99_ms')} ({p99}) |")
    if len(rows) > 1:
        for name, side in (("edge-video", 0), ("ffmpeg", 1)):
            base, slope = fit([(count, med(rounds, side, "pss_mib")) for count, rounds in rows])
            print(f"{name}: PSS = {base:.1f} MiB fixed + {slope:.2f} MiB per camera (CPU over {args.seconds:.0f} s)")


if __name__ == "__main__":
    main()
