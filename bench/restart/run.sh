#!/usr/bin/env bash
# Restart latency, Swift Supervision vs Erlang/OTP, measured in one go on this machine.
# Each round runs both (alternating), each run restarts a 4-child one_for_all subtree ITERATIONS
# times; prints every run's JSON line, then the medians over the rounds and the ratios.
# Usage: bench/restart/run.sh [ROUNDS=5] [ITERATIONS=20000]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-5}"
ITERATIONS="${2:-20000}"
CHILDREN=4
WARMUP=2000

command -v erlc >/dev/null || { echo "erlc not found: apt-get install erlang-base" >&2; exit 1; }
swift build -c release --product edge-video-bench >&2
BIN="$(swift build -c release --show-bin-path)/edge-video-bench"
BEAM_DIR="$(mktemp -d)"
trap 'rm -rf "$BEAM_DIR"' EXIT
erlc -o "$BEAM_DIR" bench/restart/restart_bench.erl

RESULTS="$BEAM_DIR/results.jsonl"
for round in $(seq 1 "$ROUNDS"); do
    "$BIN" restart --children "$CHILDREN" --strategy one_for_all --iterations "$ITERATIONS" --warmup "$WARMUP" | tee -a "$RESULTS"
    erl -noshell -pa "$BEAM_DIR" -run restart_bench main "$CHILDREN" "$ITERATIONS" "$WARMUP" | tee -a "$RESULTS"
done

/usr/bin/env python3 - "$RESULTS" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def median(impl, key):
    return statistics.median(r[key] for r in runs if r["impl"] == impl)
out = {"bench": "restart_vs_otp", "rounds": len(runs) // 2, "iterations": runs[0]["iterations"], "children": runs[0]["children"]}
for key in ("restart_p50_us", "restart_p99_us"):
    swift, otp = median("swift", key), median("otp", key)
    out["swift_" + key] = swift
    out["otp_" + key] = otp
    out[key.replace("restart_", "ratio_").replace("_us", "")] = round(swift / otp, 3)
print(json.dumps(out))
print(f"median p50: swift {out['swift_restart_p50_us']} us, otp {out['otp_restart_p50_us']} us, ratio {out['ratio_p50']} (target <= 0.5)")
print(f"median p99: swift {out['swift_restart_p99_us']} us, otp {out['otp_restart_p99_us']} us, ratio {out['ratio_p99']} (target <= 1.0)")
PY
