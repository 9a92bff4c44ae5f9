#!/usr/bin/env bash
# The fault matrix (issue 8's faults, and the spool's long outage) at its repeat counts (outside CI: about an hour on a 2-core machine).
#   scripts/faults.sh            # every fault, the issue's counts
#   FAULTS_DIVISOR=4 scripts/faults.sh   # every count divided by 4 (at least 1): a quicker pass
#   scripts/faults.sh stopAppThenStartApp   # only the tests named (Swift Testing filters)
# Each fault is an integration test (Tests/EdgeVideoTests/BrokerFaultTests.swift,
# NetworkFaultTests.swift) run with EDGE_VIDEO_FAULT_RUNS=N against the real edge-video binary,
# a real broker (scratch nodes for faults that harm it) and a loopback fault proxy. Each test
# checks the frame ledger on every status it reads and prints one FAULTROW line; this script
# collects them into one table:
#   fault | runs | frames encoded | confirmed | lost (must be 0) | duplicates | recovery p50 / p99 | leaks
# Recovery: from the moment the broker (or the path to it) accepts connections again to the
# broker-side `connected_at` of each camera's new connection. Leaks: live_tasks, threads, fds
# and broker connections not back at their baseline after the faults.
set -uo pipefail
cd "$(dirname "$0")/.."

divisor=${FAULTS_DIVISOR:-1}
# test name, the issue's repeat count
matrix=(
    "brokerKilledWithConfirmsPending 20"
    "brokerKilledDuringTheHandshake 10"
    "stopAppThenStartApp 20"
    "forcedClosesOfEveryConnection 1000"
    "brokerFrozenLongerThanTheHeartbeat 10"
    "networkFault 10"
    "memoryAndDiskAlarmsWhilePublishing 5"
    "poisonMessageIsRejectedAndTheCameraGoesOn 1"
    "nacksFromAFullRejectPublishQueueAreCounted 1"
    "killedNodeFailsOver 10"
    "rtspServerKilledDuringABrokerFault 1"
    "hundredLiveReloadsDuringAReconnectStorm 1"
    "longOutageLosesNothing 1"
)
# The long outage lasts 10 minutes here (60 s in the suite): every frame of 4 cameras goes to the
# spool and comes back (Tests/EdgeVideoTests/SpoolFaultTests.swift).
export EDGE_VIDEO_OUTAGE_S=${EDGE_VIDEO_OUTAGE_S:-600}
if [ $# -gt 0 ]; then
    selected=()
    for entry in "${matrix[@]}"; do
        for name in "$@"; do [ "${entry%% *}" = "$name" ] && selected+=("$entry"); done
    done
    matrix=("${selected[@]}")
fi

scripts/start-rabbitmq.sh >/dev/null
EDGE_VIDEO_WARNINGS_AS_ERRORS=1 swift build --build-tests -j 1 >/dev/null || { echo "build failed" >&2; exit 1; }

log=$(mktemp -t edge-video-faults.XXXXXX)
status=0
for entry in "${matrix[@]}"; do
    name=${entry%% *} count=${entry##* }
    runs=$(( (count + divisor - 1) / divisor ))
    echo "== $name x $runs" >&2
    if ! EDGE_VIDEO_FAULT_RUNS=$runs swift test --skip-build --filter "${name}\\(" >>"$log" 2>&1; then
        echo "   FAILED (details in $log)" >&2
        status=1
    fi
done

echo >&2
/usr/bin/python3 - "$log" <<'EOF'
import json, sys
rows = []
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("FAULTROW "):
        rows.append(json.loads(line[len("FAULTROW "):]))

def pct(values, p):
    if not values:
        return "-"
    values = sorted(values)
    return "%.2f s" % values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

print("| fault | runs | frames encoded | confirmed | lost | duplicates | recovery p50 | recovery p99 | leaks |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
total_lost = 0
for r in rows:
    total_lost += r["lost"]
    print("| %s | %d | %d | %d | %d | %d | %s | %s | %s |" % (
        r["fault"], r["runs"], r["encoded"], r["confirmed"], r["lost"], r["duplicates"],
        pct(r["recoveries"], 50), pct(r["recoveries"], 99), r["leaks"]))
print()
print("lost frames in total: %d" % total_lost, flush=True)
EOF
exit $status
