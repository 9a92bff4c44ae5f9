#!/usr/bin/env bash
# A soak of the real binary (not in CI): 8 testsrc cameras on the local broker (a vhost of its own),
# every connection closed by the broker every 10 s, a live reload every 30 s, /metrics scraped
# every 15 s, RSS sampled every 10 s and reported as one mean per minute.
#   scripts/soak.sh [DURATION_S]        # default 1800 (30 min)
# Environment:
#   EDGE_VIDEO_BIN   the binary (default .build/release/edge-video: what users run; build it with
#                    `swift build -c release`)
#   WARMUP_S         the warm-up, excluded from the growth figures (default 300)
#   CLOSE_EVERY_S, RELOAD_EVERY_S, SAMPLE_EVERY_S   the load and the sampling (defaults 10, 30, 10);
#                    CLOSE_EVERY_S=0 closes back to back (as fast as rabbitmqctl goes), to amplify
#   SOAK_SAMPLES     also write the samples here (TSV: seconds, RSS KiB, RssAnon KiB, threads,
#                    forced closes, reloads)
# Prints RSS by minute (the mean of the minute's samples), the growth after warm-up (the mean of the
# last minute minus the mean of the first minute after the warm-up), the least-squares slope of RSS
# over every sample after the warm-up (MiB per hour), and each camera's final frame ledger (after a
# SIGTERM: in_flight must be 0).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-1800}
warmup=${WARMUP_S:-300}
close_every=${CLOSE_EVERY_S:-10}
reload_every=${RELOAD_EVERY_S:-30}
sample_every=${SAMPLE_EVERY_S:-10}
bin=${EDGE_VIDEO_BIN:-.build/release/edge-video}
[ -x "$bin" ] || { echo "build first: swift build -c release ($bin missing)" >&2; exit 1; }
scripts/start-rabbitmq.sh >/dev/null

id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
vhost="ev-soak-$id"
dir=$(mktemp -d -t edge-video-soak.XXXXXX)
rabbitmqctl -q add_vhost "$vhost"
rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*'
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    [ -n "${closer:-}" ] && kill "$closer" 2>/dev/null || true
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

write_config() {  # $1: fps of camera s0 (the reloads flip it)
    /usr/bin/python3 - "$dir/supervision.json" "$vhost" "$1" "$port" <<'EOF'
import json, os, sys
path, vhost, fps, port = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
cameras = [{"id": "s%d" % i, "url": "testsrc:?size=320x180&rate=10", "fps": fps if i == 0 else 5,
            "width": 320, "height": 180} for i in range(8)]
config = {"amqp": {"urls": ["amqp://guest:guest@127.0.0.1:5672/" + vhost], "exchange": "ev.soak",
                   "heartbeat_s": 5, "confirm_timeout_s": 20},
          "status": {"file": "run/status.json"}, "http": {"port": port}, "cameras": cameras}
tmp = path + ".tmp"
json.dump(config, open(tmp, "w"))
os.replace(tmp, path)
EOF
}

write_config 5
# Frames are published mandatory: bind a queue (its newest 1000 frames) so that they are confirmed.
/usr/bin/python3 scripts/amqp-tap.py --url "amqp://guest:guest@127.0.0.1:5672/$vhost" --exchange ev.soak --key "camera.#" \
    --queue ev.soak.sink --queue-arg x-max-length=1000 --declare-only >/dev/null
"$bin" run --config "$dir/supervision.json" 2>"$dir/stderr.log" &
pid=$!
sleep 5

# The forced closes run in a loop of their own, on a schedule (every CLOSE_EVERY_S from now, however
# long rabbitmqctl takes), so a slow rabbitmqctl delays neither the samples nor the reloads; each
# successful close appends a line to closes.log.
: >"$dir/closes.log"
(
    next=$(($(date +%s) + close_every))
    while :; do
        wait_s=$((next - $(date +%s)))
        [ "$wait_s" -gt 0 ] && sleep "$wait_s"
        next=$((next + close_every))
        rabbitmqctl -q close_all_connections --vhost "$vhost" "soak" >/dev/null 2>&1 && echo >>"$dir/closes.log"
    done
) &
closer=$!

field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
start=$(date +%s)
next_reload=$((start + reload_every)) next_sample=$start next_scrape=$start
reloads=0 flip=5
: >"$dir/samples.tsv"
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    kill -0 "$pid" 2>/dev/null || { echo "edge-video died; stderr:" >&2; tail -50 "$dir/stderr.log" >&2; exit 1; }
    if [ "$now" -ge "$next_sample" ] || [ "$elapsed" -ge "$duration" ]; then
        closes=$(wc -l <"$dir/closes.log")
        printf '%d\t%d\t%d\t%d\t%d\t%d\n' "$elapsed" "$(field VmRSS)" "$(field RssAnon)" "$(field Threads)" \
            "$closes" "$reloads" >>"$dir/samples.tsv"
        echo "${elapsed} s: RSS $(field VmRSS) KiB  (closes $closes, reloads $reloads)" >&2
        next_sample=$((next_sample + sample_every))
    fi
    [ "$elapsed" -ge "$duration" ] && break
    if [ "$now" -ge "$next_scrape" ]; then
        curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null || echo "scrape of /metrics failed" >&2
        next_scrape=$((next_scrape + 15))
    fi
    if [ "$now" -ge "$next_reload" ]; then
        flip=$([ "$flip" = 5 ] && echo 4 || echo 5)
        write_config "$flip"
        reloads=$((reloads + 1))
        next_reload=$((next_reload + reload_every))
    fi
    sleep 1
done
kill "$closer" 2>/dev/null || true
wait "$closer" 2>/dev/null || true
closer=
[ -n "${SOAK_SAMPLES:-}" ] && cp "$dir/samples.tsv" "$SOAK_SAMPLES"

kill -TERM "$pid"
wait "$pid" || { echo "edge-video exited $?" >&2; exit 1; }
pid=

/usr/bin/python3 - "$dir/run/status.json" "$dir/samples.tsv" "$warmup" "$duration" "$bin" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))
rows = [[int(x) for x in line.split()] for line in open(sys.argv[2]) if line.strip()]
warmup, duration, binary = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
closes, reloads = rows[-1][4], rows[-1][5]
print("soak: %d s, %s, 8 cameras, %d forced closes of every connection, %d live reloads"
      % (duration, binary, closes, reloads))
mean = lambda xs: sum(xs) / len(xs)
minutes = {}
for r in rows:
    minutes.setdefault(min(r[0], duration - 1) // 60, []).append(r[1])
print("RSS MiB by minute (mean of its samples): "
      + " ".join("%d:%.1f" % (m, mean(v) / 1024) for m, v in sorted(minutes.items())))
post = [r for r in rows if r[0] >= warmup]
first = [r[1] for r in post if r[0] < warmup + 60]
last = [r[1] for r in post if r[0] >= duration - 60]
if len(post) >= 2 and first and last and warmup + 60 <= duration - 60:
    mt, mr = mean([r[0] for r in post]), mean([r[1] for r in post])
    sxx = sum((r[0] - mt) ** 2 for r in post)
    slope = sum((r[0] - mt) * (r[1] - mr) for r in post) / sxx  # KiB/s
    # Its standard error, as if the samples were independent (they are not quite: an estimate).
    error = (sum((r[1] - mr - slope * (r[0] - mt)) ** 2 for r in post) / max(1, len(post) - 2) / sxx) ** 0.5
    print("warm-up: the first %d s. After it (%d samples): first minute %.2f MiB, last minute %.2f MiB,"
          " min %.1f, max %.1f" % (warmup, len(post), mean(first) / 1024, mean(last) / 1024,
                                  min(r[1] for r in post) / 1024, max(r[1] for r in post) / 1024))
    print("RSS growth after warm-up: %+.2f MiB (goal <= 1 MiB); least-squares slope: %+.2f MiB/h (standard error %.2f)"
          % ((mean(last) - mean(first)) / 1024, slope * 3600 / 1024, error * 3600 / 1024))
else:
    print("too short for a growth figure: the run must last the %d s warm-up plus two minutes" % warmup)
print()
print("| camera | captured | encoded | confirmed | in flight | queued (enc/pub) | dropped (before/after) | nacked | rejected | reconnects | restarts | identities |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for cid, c in sorted(status["cameras"].items()):
    ok = (c["frames_captured"] == c["frames_encoded"] + c["dropped_before_encode"] + c["queued_for_encode"]
          and c["frames_encoded"] == c["confirmed"] + c["in_flight"] + c["queued_for_publish"]
          + c["dropped_after_encode"] + c["nacked"] + c["returned"] + c["rejected"])
    print("| %s | %d | %d | %d | %d | %d/%d | %d/%d | %d | %d | %d | %d | %s |" % (
        cid, c["frames_captured"], c["frames_encoded"], c["confirmed"], c["in_flight"], c["queued_for_encode"],
        c["queued_for_publish"], c["dropped_before_encode"], c["dropped_after_encode"], c["nacked"], c["rejected"],
        c["reconnects"], c["restarts"], "hold" if ok else "BROKEN"))
EOF
