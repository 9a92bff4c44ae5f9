#!/usr/bin/env python3
"""JPEG quality against bytes: libavcodec's mjpeg (the encoder before issue 20) and libjpeg-turbo.

    bench/jpeg/quality.py [--out DIR]      # prints JSON lines, then the table and the mapping

For each source picture (two synthetic contents) at 320x180, 1280x720 and 1920x1080, made full-range
yuv420p as FrameScaler makes it, encodes with `ffmpeg -c:v mjpeg -q:v Q -threads 1` (the settings
Sources/VideoPipeline/JPEGSession.swift used: qscale Q, full range, optimal Huffman tables, one
thread) for every quantiser 2...31, and with bench/jpeg/tjyuv.c (tjCompressFromYUVPlanes, 4:2:0)
for every libjpeg-turbo quality 1...100. SSIM is ffmpeg's `ssim` filter ("All") of each decoded JPEG
against the source planes. For each quantiser it picks the lowest turbojpeg quality whose SSIM is at
least mjpeg's on every picture, and reports its bytes against mjpeg's.
"""
import argparse, json, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
SIZES = [(320, 180), (1280, 720), (1920, 1080)]
SOURCES = {
    # The pipeline benchmark's content (bench/pipeline/run.sh), through H.264 as a camera sends it.
    "testsrc2": "testsrc2=size=1920x1080:rate=15:duration=1,format=yuv420p",
    # Texture and sensor-like noise: the hard case for JPEG.
    "noisy": "mandelbrot=size=1920x1080:rate=15,trim=duration=1,noise=alls=10:allf=t,format=yuv420p",
}

def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

def source_frame(out, name, graph, w, h):
    """One full-range yuv420p frame (the 8th) of `graph`, H.264-coded, area-scaled to w x h."""
    clip = os.path.join(out, f"{name}.mp4")
    if not os.path.exists(clip):
        run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-c:v", "libx264", "-crf", "18",
             "-g", "15", "-bf", "0", clip])
    path = os.path.join(out, f"{name}-{w}x{h}.yuv")
    run(["ffmpeg", "-v", "error", "-y", "-i", clip, "-vf",
         f"select=eq(n\\,7),scale={w}:{h}:flags=area:out_range=full,format=yuvj420p",
         "-frames:v", "1", "-f", "rawvideo", path])
    return path

def ssims(src, w, h, pattern, start):
    """SSIM (All) of the JPEG sequence `pattern` (from `start`) against the raw frame `src`."""
    out = run(["ffmpeg", "-v", "info", "-nostats", "-start_number", str(start), "-i", pattern,
               "-f", "rawvideo", "-pix_fmt", "yuvj420p", "-s", f"{w}x{h}", "-stream_loop", "-1", "-i", src,
               "-lavfi", "[0:v][1:v]ssim=shortest=1:stats_file=-", "-f", "null", "-"]).stdout
    return [float(m) for m in re.findall(r"All:([0-9.]+)", out)]

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(root, "bench", "out", "jpeg"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tool = os.path.join(args.out, "tjyuv")
    run(["cc", "-O2", "-o", tool, os.path.join(here, "tjyuv.c"), "-lturbojpeg"])
    pictures = {}
    for name, graph in SOURCES.items():
        for w, h in SIZES:
            key = f"{name}-{w}x{h}"
            src = source_frame(args.out, name, graph, w, h)
            d = os.path.join(args.out, key)
            os.makedirs(d, exist_ok=True)
            outputs = []
            for q in range(2, 32):
                outputs += ["-c:v", "mjpeg", "-q:v", str(q), "-threads", "1", "-color_range", "pc",
                            "-frames:v", "1", "-update", "1", os.path.join(d, f"mjpeg-{q}.jpg")]
            run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-color_range", "pc",
                 "-s", f"{w}x{h}", "-i", src, *outputs])
            qualities = [str(q) for q in range(1, 101)]
            run([tool, src, str(w), str(h), os.path.join(d, "tj-%d.jpg"), *qualities])
            run([tool, src, str(w), str(h), os.path.join(d, "tjopt-%d.jpg"), *qualities],
                env={**os.environ, "TJ_OPTIMIZE": "1"})
            entry = {}
            for kind, start, end in (("mjpeg", 2, 32), ("tj", 1, 101), ("tjopt", 1, 101)):
                values = ssims(src, w, h, os.path.join(d, f"{kind}-%d.jpg"), start)
                sizes = [os.path.getsize(os.path.join(d, f"{kind}-{q}.jpg")) for q in range(start, end)]
                entry[kind] = {q: (s, b) for q, s, b in zip(range(start, end), values, sizes)}
            pictures[key] = entry
            print(json.dumps({"picture": key, "mjpeg": entry["mjpeg"]}), flush=True)
    with open(os.path.join(args.out, "quality.json"), "w") as f:
        json.dump(pictures, f)
    report(pictures)

def report(pictures):
    """For each quantiser: the lowest turbojpeg quality at least as good on every picture, and bytes."""
    keys = list(pictures)
    print()
    for kind in ("tj", "tjopt"):
        print(f"## {kind}: lowest quality with SSIM >= mjpeg's on every picture; bytes {kind}/mjpeg (worst, best)")
        for q in range(2, 32):
            best = None
            for tq in range(1, 101):
                if all(pictures[k][kind][tq][0] >= pictures[k]["mjpeg"][q][0] for k in keys):
                    best = tq
                    break
            if best is None:
                print(f"q {q:>2}: none"); continue
            ratios = [pictures[k][kind][best][1] / pictures[k]["mjpeg"][q][1] for k in keys]
            print(f"q {q:>2}: tj {best:>3}  bytes ratio max {max(ratios):.3f} min {min(ratios):.3f}")

if __name__ == "__main__":
    main()
