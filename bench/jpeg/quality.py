#!/usr/bin/env python3
"""JPEG quality against bytes: libavcodec's mjpeg (edge-video's encoder) and libjpeg-turbo.

    bench/jpeg/quality.py [--out DIR]      # measures; prints JSON lines, the mapping and the tables
    bench/jpeg/quality.py --report         # prints them again from the last bench/out/jpeg/quality.json

For each source picture (two synthetic contents) at 320x180, 1280x720 and 1920x1080, made full-range
yuv420p as FrameScaler makes it, it encodes:
- with `ffmpeg -c:v mjpeg -q:v Q -threads 1` (the settings of Sources/VideoPipeline/JPEGSession.swift:
  qscale Q, full range, optimal Huffman tables, one thread), every quantiser Q 2...31;
- with bench/jpeg/tjyuv.c (TurboJPEG's tjCompressFromYUVPlanes, 4:2:0), every quality 1...100, with
  default and (TJ_OPTIMIZE=1) optimal Huffman tables;
- with bench/jpeg/ljyuv.c (bench/jpeg/cjpeg/shim.c: libjpeg's API from the planes, mjpeg's table
  scaled by S/800, optimal Huffman tables), S = 200...3100 in steps of 25; S = 100 Q is mjpeg's own
  table for quantiser Q.
SSIM is ffmpeg's `ssim` filter ("All") of each decoded JPEG against the source planes. For each
quantiser it reports the lowest TurboJPEG quality, and the coarsest libjpeg table, whose SSIM is at
least mjpeg's on every picture, and their bytes against mjpeg's.
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
    parser.add_argument("--only-lj", action="store_true", help="measure ljyuv only, into the last quality.json")
    parser.add_argument("--report", action="store_true", help="only print the tables of the last quality.json")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tool = os.path.join(args.out, "tjyuv")
    run(["cc", "-O2", "-o", tool, os.path.join(here, "tjyuv.c"), "-lturbojpeg"])
    lj = os.path.join(args.out, "ljyuv")
    shim = os.path.join(here, "cjpeg")
    run(["cc", "-O2", "-I", shim, "-o", lj, os.path.join(here, "ljyuv.c"),
         os.path.join(shim, "shim.c"), "-ljpeg"])
    if args.only_lj or args.report:
        with open(os.path.join(args.out, "quality.json")) as f:
            pictures = json.load(f)
        for key, entry in pictures.items():
            for kind in list(entry):
                entry[kind] = {int(q): v for q, v in entry[kind].items()}
            if args.only_lj:
                w, h = (int(x) for x in key.rsplit("-", 1)[1].split("x"))
                measure_lj(lj, os.path.join(args.out, f"{key}.yuv"), w, h, os.path.join(args.out, key), entry)
        if args.only_lj:
            with open(os.path.join(args.out, "quality.json"), "w") as f:
                json.dump(pictures, f)
        report(pictures)
        markdown(pictures)
        return
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
            measure_lj(lj, src, w, h, d, entry)
            pictures[key] = entry
            print(json.dumps({"picture": key, "mjpeg": entry["mjpeg"]}), flush=True)
    with open(os.path.join(args.out, "quality.json"), "w") as f:
        json.dump(pictures, f)
    report(pictures)
    markdown(pictures)

LJ_SCALES = list(range(200, 3101, 25))

def measure_lj(tool, src, w, h, d, entry):
    """ljyuv at every S of LJ_SCALES into entry["lj"]: S -> (SSIM, bytes)."""
    run([tool, src, str(w), str(h), os.path.join(d, "lj-%d.jpg"), *map(str, LJ_SCALES)])
    # image2 numbers must be consecutive: link them as 0, 1, 2, ...
    for i, s in enumerate(LJ_SCALES):
        link = os.path.join(d, f"ljseq-{i}.jpg")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(f"lj-{s}.jpg", link)
    values = ssims(src, w, h, os.path.join(d, "ljseq-%d.jpg"), 0)
    entry["lj"] = {s: (v, os.path.getsize(os.path.join(d, f"lj-{s}.jpg"))) for s, v in zip(LJ_SCALES, values)}

def markdown(pictures):
    """The tables of docs/benchmarks.md, "JPEG quality and size"."""
    keys = list(pictures)
    print("| q | jpeg_quality | " + " | ".join(keys) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in keys) + " |")
    for q in (2, 3, 5, 8, 10, 15, 20, 25, 31):
        qualities = [j for j in range(1, 101) if round(31 - (j - 1) * 29 / 99) == q]
        span = f"{qualities[0]}–{qualities[-1]}" if len(qualities) > 1 else f"{qualities[0]}" if qualities else "–"
        cells = [f"{pictures[k]['mjpeg'][q][0]:.4f} / {pictures[k]['mjpeg'][q][1]:,}" for k in keys]
        print(f"| {q} | {span} | " + " | ".join(cells) + " |")
    print()
    print("| q | TurboJPEG quality | TurboJPEG bytes / mjpeg | + optimal Huffman | libjpeg, mjpeg's table, optimal Huffman: SSIM − mjpeg | its bytes / mjpeg | coarsest table still as good (S/100): bytes / mjpeg |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for q in (2, 3, 5, 8, 10, 15, 20, 25, 31):
        row = [str(q)]
        for kind in ("tj", "tjopt"):
            best = next((t for t in range(1, 101)
                         if all(pictures[k][kind][t][0] >= pictures[k]["mjpeg"][q][0] for k in keys)), None)
            ratios = [pictures[k][kind][best][1] / pictures[k]["mjpeg"][q][1] for k in keys]
            if kind == "tj":
                row.append(str(best))
            row.append(f"{min(ratios):.2f}–{max(ratios):.2f}×")
        same = [(pictures[k]["lj"][100 * q], pictures[k]["mjpeg"][q]) for k in keys]
        row.append(f"{min(a[0] - b[0] for a, b in same):+.4f} … {max(a[0] - b[0] for a, b in same):+.4f}")
        row.append(f"{min(a[1] / b[1] for a, b in same):.2f}–{max(a[1] / b[1] for a, b in same):.2f}×")
        fits = [s for s in LJ_SCALES if all(pictures[k]["lj"][s][0] >= pictures[k]["mjpeg"][q][0] for k in keys)]
        if fits:
            ratios = [pictures[k]["lj"][max(fits)][1] / pictures[k]["mjpeg"][q][1] for k in keys]
            row.append(f"{max(fits) / 100:g}: {min(ratios):.2f}–{max(ratios):.2f}×")
        else:
            row.append("none")
        print("| " + " | ".join(row) + " |")

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
    if not all("lj" in pictures[k] for k in keys):
        return
    print("## lj: mjpeg's own table (S = 100 q), and the largest S with SSIM >= mjpeg's on every picture")
    for q in range(2, 32):
        same = [pictures[k]["lj"][100 * q] for k in keys]
        mj = [pictures[k]["mjpeg"][q] for k in keys]
        line = (f"q {q:>2}: S {100 * q:>4} ssim-delta min {min(a[0] - b[0] for a, b in zip(same, mj)):+.5f} "
                f"bytes ratio max {max(a[1] / b[1] for a, b in zip(same, mj)):.3f}")
        fits = [s for s in LJ_SCALES if all(pictures[k]["lj"][s][0] >= pictures[k]["mjpeg"][q][0] for k in keys)]
        if fits:
            s = max(fits)
            ratios = [pictures[k]["lj"][s][1] / pictures[k]["mjpeg"][q][1] for k in keys]
            line += f" | largest S {s:>4} bytes ratio max {max(ratios):.3f} min {min(ratios):.3f}"
        print(line, flush=True)

if __name__ == "__main__":
    main()
