#!/usr/bin/env bash
# Runs edge-video-bench publish, the raw rabbitmq-c peer and the pika peers (async with the same
# window, and the usual blocking style) in interleaved rounds against the same broker and queue,
# then prints medians and ratios per message size.
# Usage: bench/publish/run.sh [ROUNDS (6)] [COUNT SIZE] [WINDOW]
# Without COUNT SIZE: the three standard cases, 10,000 x 5 KB, 10,000 x 20 KB and 2,000 x 100 KB.
# BENCH_BIN=path runs that edge-video-bench instead of building this tree's (an older build, to
# compare before and after in one session).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-6}
if [ $# -ge 3 ]; then cases=("$2:$3"); else cases=(10000:5000 10000:20000 2000:100000); fi
window=${4:-64}
url=${BENCH_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
host=${BENCH_HOST:-127.0.0.1}
port=${BENCH_PORT:-5672}
# Names of this run's own, so two runs against one broker never purge each other's queue.
exchange=bench.publish.$$
key=bench
queue=bench.publish.q.$$
py=/usr/bin/python3

mkdir -p bench/out
bench=${BENCH_BIN:-.build/release/edge-video-bench}
if [ -z "${BENCH_BIN:-}" ]; then swift build -c release --product edge-video-bench >&2; fi
cc -O2 -Wall -o bench/out/publish_c bench/publish/publish_c.c -lrabbitmq
out=bench/out/publish-$(date -u +%Y%m%dT%H%M%S).jsonl
: > "$out"

setup() { "$py" bench/publish/setup_queue.py "$url" "$exchange" "$queue" "$key"; }
trap '"$py" bench/publish/setup_queue.py "$url" "$exchange" "$queue" "$key" --delete || true' EXIT
run_swift() {
    setup; "$bench" publish --url "$url" --exchange "$exchange" --routing-key "$key" \
        --count "$count" --size "$size" --window "$window" | sed "s/^{/{\"round\":$round,/" >> "$out"
}
run_c() {
    setup; bench/out/publish_c "$host" "$port" "$exchange" "$key" "$count" "$size" "$window" \
        | sed "s/^{/{\"round\":$round,/" >> "$out"
}

for case in "${cases[@]}"; do
count=${case%%:*}
size=${case##*:}
for round in $(seq 1 "$rounds"); do
    echo "$count x $size B: round $round/$rounds" >&2
    # Swift first in odd rounds, C first in even ones: whichever runs first in a round measured up
    # to 1.6x slower here (the broker still busy after the previous round), so the order alternates
    # and the default is an even number of rounds.
    if [ $((round % 2)) = 1 ]; then run_swift; run_c; else run_c; run_swift; fi
    setup; "$py" bench/publish/publish_pika.py "$url" "$exchange" "$key" "$count" "$size" "$window" async \
        | sed "s/^{/{\"round\":$round,/" >> "$out"
    setup; "$py" bench/publish/publish_pika.py "$url" "$exchange" "$key" "$count" "$size" "$window" blocking \
        | sed "s/^{/{\"round\":$round,/" >> "$out"
done
done

"$py" bench/publish/summarize.py "$out"
