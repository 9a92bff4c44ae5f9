#!/usr/bin/env python3
"""Prints medians per message size and implementation, and Swift's ratios to each peer, from a
publish-bench JSONL file.

Ratios are medians of the per-round ratios (each measured in the same round), next to the ratio of
the medians.
"""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by_size = defaultdict(list)
for row in rows:
    by_size[row["size"]].append(row)

summary = {"bench": "publish-summary", "sizes": {}}
for size in sorted(by_size):
    by_impl = defaultdict(list)
    by_round = defaultdict(dict)
    for row in by_size[size]:
        by_impl[row["impl"]].append(row)
        by_round[row["round"]][row["impl"]] = row
    count = by_size[size][0]["count"]
    print(f"\n{count} messages of {size} bytes")
    print(f"{'impl':<15}{'runs':>5}{'msg/s':>11}{'MB/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    medians = {}
    for impl, runs in by_impl.items():
        m = {k: statistics.median(r[k] for r in runs) for k in ("msg_per_s", "mb_per_s", "confirm_p50_ms", "confirm_p99_ms")}
        medians[impl] = m
        print(f"{impl:<15}{len(runs):>5}{m['msg_per_s']:>11.1f}{m['mb_per_s']:>9.1f}{m['confirm_p50_ms']:>9.1f}{m['confirm_p99_ms']:>9.1f}")
    ratios = {}
    for peer in ("c", "pika-async", "pika-blocking"):
        if peer not in medians or "swift" not in medians:
            continue
        per_round = [r["swift"]["msg_per_s"] / r[peer]["msg_per_s"] for r in by_round.values() if "swift" in r and peer in r]
        ratios[peer] = round(statistics.median(per_round), 3)
        print(f"swift/{peer}: median of per-round ratios {statistics.median(per_round):.2f}x, "
              f"ratio of medians {medians['swift']['msg_per_s'] / medians[peer]['msg_per_s']:.2f}x")
    summary["sizes"][size] = {"count": count, "medians": medians, "ratios": ratios}
print(json.dumps(summary, separators=(",", ":")))
