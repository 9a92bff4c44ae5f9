#!/usr/bin/env python3
"""bench/pipeline/run.sh's measurement with several edge-video-bench binaries, interleaved per round.

    bench/jpeg/pipeline.py RUNS CLIP NAME=BINARY...

For comparing encoders in one run: build `edge-video-bench` in release mode once as it is and once
with a patch of this folder applied (`git apply bench/jpeg/turbojpeg-session.patch`), copy each
binary aside, then pass both, e.g. `mjpeg=/tmp/a turbojpeg=/tmp/b`. CLIP is bench/pipeline/run.sh's
clip (bench/out/clip-720p15-gop15.mp4). For fps 5 and 1 (q 5, full size) each round runs every
binary (the order alternating), `ffmpeg -threads 1 ... -c:v mjpeg -q:v 5` and the decode floor; it
prints every round, then the medians, each binary's ratios to ffmpeg and to the floor, and its JPEG
bytes.
"""
import json, resource, statistics, subprocess, sys
runs, clip, benches = int(sys.argv[1]), sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])

def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out

for fps in (5, 1):
    cpu = {name: [] for name in [*benches, "ffmpeg", "floor"]}
    last = {}
    for r in range(runs):
        order = list(benches) if r % 2 == 0 else list(reversed(benches))
        for name in order:
            c, out = cpu_of([benches[name], "pipeline", "--input", clip, "--fps", str(fps), "--quality", "5", "--threads", "1"])
            last[name] = json.loads(out.strip().splitlines()[-1]); cpu[name].append(c)
        f, _ = cpu_of(["ffmpeg", "-v", "error", "-threads", "1", "-i", clip, "-vf", f"fps={fps}",
                       "-c:v", "mjpeg", "-q:v", "5", "-f", "null", "-"])
        skip = [] if last[order[0]]["decode_mode"] == "all" else ["-skip_frame", "nokey"]
        d, _ = cpu_of(["ffmpeg", "-v", "error", "-threads", "1", *skip, "-i", clip, "-map", "0:v", "-f", "null", "-"])
        cpu["ffmpeg"].append(f); cpu["floor"].append(d)
        print(json.dumps({"fps": fps, "round": r, **{k: round(v[-1], 3) for k, v in cpu.items()}}), flush=True)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    row = {"fps": fps, "runs": runs, **{f"{k}_cpu_s": round(v, 3) for k, v in med.items()}}
    for name in benches:
        row[f"{name}_over_ffmpeg"] = round(statistics.median([a / b for a, b in zip(cpu[name], cpu["ffmpeg"])]), 3)
        row[f"{name}_over_floor"] = round(statistics.median([a / b for a, b in zip(cpu[name], cpu["floor"])]), 3)
        row[f"{name}_frames_out"] = last[name]["frames_out"]
        row[f"{name}_bytes"] = {k: v for k, v in last[name].items() if "byte" in k}
    print(json.dumps(row), flush=True)
