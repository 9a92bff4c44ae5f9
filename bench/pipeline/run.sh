#!/usr/bin/env bash
# Pipeline benchmark: our capture+encode vs `ffmpeg -threads 1` on the same clip, in one go.
#
#   bench/pipeline/run.sh [RUNS]        # default 5 runs of each case
#
# Makes (once) a 60 s 1280x720 15 fps H.264 clip with GOP 15 and no B-frames under bench/out/,
# builds edge-video-bench in release mode, then for fps 5 and 1 (full size, q 5) alternates runs
# of `edge-video-bench pipeline`, `ffmpeg -threads 1 -i clip -vf fps=F -c:v mjpeg -q:v 5 -f null -`
# and the floor (ffmpeg decoding every frame, or keyframes only when we decode only those, nothing
# else; our decoder may decode fewer: frames_decoded), measuring each run's
# user+system CPU seconds, and prints medians, the ratio ours/ffmpeg and the ratio ours/floor.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
clip=bench/out/clip-720p15-gop15.mp4
mkdir -p bench/out
if [ ! -s "$clip" ]; then
    ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=15:duration=60 \
        -c:v libx264 -g 15 -bf 0 -pix_fmt yuv420p "$clip"
fi
swift build -c release --product edge-video-bench >&2
bench="$(swift build -c release --show-bin-path)/edge-video-bench"

exec python3 - "$runs" "$clip" "$bench" <<'PY'
import json, os, resource, statistics, subprocess, sys

runs, clip, bench = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def cpu_of(cmd):
    """Runs cmd; returns (user+sys CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out

results = []
for fps, target in ((5, 1.0), (1, 0.3)):
    ours, peer, floor, ratios, floor_ratios, last = [], [], [], [], [], {}
    for _ in range(runs):
        c, out = cpu_of([bench, "pipeline", "--input", clip, "--fps", str(fps), "--quality", "5", "--threads", "1"])
        last = json.loads(out.strip().splitlines()[-1])
        f, _ = cpu_of(["ffmpeg", "-v", "error", "-threads", "1", "-i", clip, "-vf", f"fps={fps}",
                       "-c:v", "mjpeg", "-q:v", "5", "-f", "null", "-"])
        # The floor: decoding every frame (or keyframes only in keyframe
        # mode) and nothing else, by the same libavcodec on one thread.
        skip = [] if last["decode_mode"] == "all" else ["-skip_frame", "nokey"]
        d, _ = cpu_of(["ffmpeg", "-v", "error", "-threads", "1", *skip, "-i", clip, "-map", "0:v", "-f", "null", "-"])
        ours.append(c); peer.append(f); floor.append(d); ratios.append(c / f); floor_ratios.append(c / d)
    row = {"fps": fps, "runs": runs, "ours_cpu_s": round(statistics.median(ours), 3),
           "ffmpeg_cpu_s": round(statistics.median(peer), 3), "floor_cpu_s": round(statistics.median(floor), 3),
           "ratio_median": round(statistics.median(ratios), 3), "target_ratio": target,
           "floor_ratio_median": round(statistics.median(floor_ratios), 3),
           "frames_in": last["frames_in"], "frames_decoded": last["frames_decoded"], "frames_out": last["frames_out"], "decode_mode": last["decode_mode"]}
    results.append(row)
    print(json.dumps(row), flush=True)

print()
print(f"{'fps':>4} {'ours cpu-s':>11} {'ffmpeg cpu-s':>13} {'ratio':>6} {'target':>7} {'floor cpu-s':>12} {'x floor':>8} {'mode':>9} {'frames':>7}")
for r in results:
    ok = "ok" if r["ratio_median"] <= r["target_ratio"] else "MISSED"
    print(f"{r['fps']:>4} {r['ours_cpu_s']:>11} {r['ffmpeg_cpu_s']:>13} {r['ratio_median']:>6} "
          f"{'<= ' + str(r['target_ratio']):>7} {r['floor_cpu_s']:>12} {r['floor_ratio_median']:>8} "
          f"{r['decode_mode']:>9} {r['frames_out']:>7}  {ok}")
PY
