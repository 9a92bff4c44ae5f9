#!/usr/bin/env bash
# A soak of the real binary (not in CI): 8 testsrc cameras on the local broker (a vhost of its own),
# every connection closed by the broker every 10 s, a live reload every 30 s, RSS every minute.
#   scripts/soak.sh [DURATION_S]        # default 1800 (30 min); EDGE_VIDEO_BIN overrides the binary
# Prints the RSS samples, the growth after warm-up (from minute WARMUP_MIN, default 5, to the end)
# and each camera's final frame ledger (after a SIGTERM: in_flight must be 0).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-1800}
warmup_min=${WARMUP_MIN:-5}
bin=${EDGE_VIDEO_BIN:-.build/debug/edge-video}
[ -x "$bin" ] || { echo "build first: swift build ($bin missing)" >&2; exit 1; }
scripts/start-rabbitmq.sh >/dev/null

id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
vhost="ev-soak-$id"
dir=$(mktemp -d -t edge-video-soak.XXXXXX)
rabbitmqctl -q add_vhost "$vhost"
rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*'
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

write_config() {  # $1: fps of camera s0 (the reloads flip it)
    /usr/bin/python3 - "$dir/supervision.json" "$vhost" "$1" <<'EOF'
import json, sys
path, vhost, fps = sys.argv[1], sys.argv[2], float(sys.argv[3])
cameras = [{"id": "s%d" % i, "url": "testsrc:?size=320x180&rate=10", "fps": fps if i == 0 else 5,
            "width": 320, "height": 180} for i in range(8)]
config = {"amqp": {"urls": ["amqp://guest:guest@127.0.0.1:5672/" + vhost], "exchange": "ev.soak",
                   "heartbeat_s": 5, "confirm_timeout_s": 20},
          "status": {"file": "run/status.json"}, "cameras": cameras}
tmp = path + ".tmp"
json.dump(config, open(tmp, "w"))
import os
os.replace(tmp, path)
EOF
}

write_config 5
"$bin" run --config "$dir/supervision.json" 2>"$dir/stderr.log" &
pid=$!
sleep 5

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
start=$(date +%s)
samples=()
next_close=$((start + 10)) next_reload=$((start + 30)) next_sample=$start
reloads=0 closes=0 flip=5
while :; do
    now=$(date +%s)
    [ $((now - start)) -ge "$duration" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "edge-video died; stderr:" >&2; tail -50 "$dir/stderr.log" >&2; exit 1; }
    if [ "$now" -ge "$next_sample" ]; then
        samples+=("$(rss)")
        echo "minute $(( (now - start) / 60 )): RSS $(rss) KiB  (closes $closes, reloads $reloads)" >&2
        next_sample=$((next_sample + 60))
    fi
    if [ "$now" -ge "$next_close" ]; then
        rabbitmqctl -q close_all_connections --vhost "$vhost" "soak" >/dev/null 2>&1 && closes=$((closes + 1))
        next_close=$((next_close + 10))
    fi
    if [ "$now" -ge "$next_reload" ]; then
        flip=$([ "$flip" = 5 ] && echo 4 || echo 5)
        write_config "$flip"
        reloads=$((reloads + 1))
        next_reload=$((next_reload + 30))
    fi
    sleep 1
done
samples+=("$(rss)")

"$bin" status --config "$dir/supervision.json" --json >"$dir/live.json" 2>/dev/null || true
kill -TERM "$pid"
wait "$pid" || { echo "edge-video exited $?" >&2; exit 1; }
pid=

/usr/bin/python3 - "$dir/run/status.json" "$warmup_min" "$closes" "$reloads" "$duration" "${samples[@]}" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))
warmup, closes, reloads, duration = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rss = [int(x) for x in sys.argv[6:]]
base = rss[min(warmup, len(rss) - 1)]
print("soak: %d s, 8 cameras, %d forced reconnects, %d live reloads" % (duration, closes, reloads))
print("RSS KiB by minute: " + " ".join(map(str, rss)))
print("RSS growth after warm-up (minute %d to the end): %+d KiB" % (warmup, rss[-1] - base))
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
