#!/usr/bin/env bash
# The Debian package under a real systemd: boots Debian 12 with systemd as PID 1 in a container
# (systemd-nspawn on a cached mmdebstrap root, overlaid so every run starts clean), installs the
# .deb there with apt, follows README.Debian's "To start it" block line by line (the edit it asks
# for points the configuration at the host's RabbitMQ, shared through the host network, and a
# testsrc: camera), then checks, each against the real system:
#   start      frames reach a queue bound to a unique exchange; no credential file needed
#   warnings   none of libgcrypt's "insecure memory" nor libdispatch's thread priority at start
#   pages      the start-up page release hands back pages of the binary (StartupPages)
#   reload     `systemctl reload` (ExecReload) reaches the same process as SIGHUP
#   usr1       `systemctl kill -s USR1`: the status tree in the journal, the status file 0600
#   priority   an invalid edit is rejected at priority err; `-p warning` shows nothing below warning
#   credentials  a password_file from /etc/edge-video/credentials; a missing one: exit 1, no loop
#   watchdog   a SIGSTOPped main process is restarted by systemd (drop-in: WatchdogSec=3s)
#   stop       with a blackholed broker the graceful stop outlasts TimeoutStopSec=2s (drop-in) and
#              is not killed: EXTEND_TIMEOUT_USEC is honoured
#   security   `systemd-analyze security edge-video` <= 2.0
#   upgrade    apt install of a higher version while running restarts it on the new package and
#              frames keep coming; while stopped it stays stopped
#
#   scripts/systemd-check.sh [DEB]    (default dist/edge-video_<version>_<arch>.deb, from
#                                      scripts/package-deb.sh)
#
# Exit 0 all passed, 1 a check failed, 77 this machine cannot run the check (not root, or no
# kernel support for booting a container). Needs the "systemd" group of scripts/install-deps.sh
# (installed here) and a broker on 127.0.0.1:5672 (scripts/start-rabbitmq.sh, run here).
# The root file system is built once per (recipe, apt sources, package dependencies) and kept in
# $EDGE_VIDEO_ROOTFS_CACHE (default /var/cache/edge-video/systemd-check). EDGE_VIDEO_SYSTEMD_KEEP=1
# leaves the container running at the end and prints how to enter it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { printf 'systemd-check: %s\n' "$*"; }
fail() { printf 'systemd-check: FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'systemd-check: SKIP: %s\n' "$*" >&2; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (mounts, a container)"
version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/EdgeVideo/EdgeVideoVersion.swift)
deb=$(realpath "${1:-dist/edge-video_${version}_$(dpkg --print-architecture).deb}")
[ -f "$deb" ] || fail "$deb missing: run scripts/package-deb.sh first"
scripts/install-deps.sh systemd test
scripts/start-rabbitmq.sh

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
started=$(now_ms)
phase_start=$started
phase() {
    printf 'systemd-check: ok %-12s %5s s\n' "$1" "$(seconds_since "$phase_start")"
    phase_start=$(now_ms)
}

# Waits for a condition on an external system: runs "$@" until it succeeds, for at most $1 s.
until_true() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + seconds))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not within ${seconds} s"
        sleep 0.2
    done
}

# --- The root file system, cached --------------------------------------------------------------
sources=""
for candidate in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -s "$candidate" ] && { sources=$candidate; break; }
done
[ -n "$sources" ] || skip "no apt sources file on this machine"
# Everything the package depends on is in the image, so `apt install ./the.deb` needs no network.
depends=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -v '^$' | sort -u | paste -sd, -)
include="systemd,systemd-sysv,dbus,$depends"
recipe="mmdebstrap --variant=minbase --include=$include bookworm ROOT SOURCES; v1"
key=$( { echo "$recipe"; cat "$sources"; } | sha256sum | cut -c1-16)
cache=${EDGE_VIDEO_ROOTFS_CACHE:-/var/cache/edge-video/systemd-check}
image="$cache/rootfs-$key"
if [ ! -d "$image" ]; then
    mkdir -p "$cache"
    say "building the root file system ($include) into $image"
    rm -rf "$image.tmp"
    mmdebstrap --quiet --variant=minbase --include="$include" bookworm "$image.tmp" "$sources" >&2 \
        || fail "mmdebstrap failed"
    mv "$image.tmp" "$image"
    # Older images of other keys are left to the operator; there is one per dependency set.
fi
phase rootfs

# --- Boot ---------------------------------------------------------------------------------------
work=$(mktemp -d /tmp/ev-systemd-check.XXXXXX)
root="$work/merged"
nspawn=""
init=""
exchange="ev.systemd-check.$$"
queue="$exchange.frames"
proxy_pid=""
cleanup() {
    local status=$?
    if [ "${EDGE_VIDEO_SYSTEMD_KEEP:-0}" = 1 ] && [ -n "$init" ]; then
        say "kept: nsenter -t $init -a bash   (stop: kill $nspawn; umount $root; rm -rf $work)"
        return
    fi
    [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
    if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
        kill -TERM "$nspawn"  # systemd-nspawn asks the container's systemd to power off
        for _ in $(seq 1 150); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$nspawn" 2>/dev/null && kill -KILL "$nspawn"
        wait "$nspawn" 2>/dev/null || true
    fi
    mountpoint -q "$root" && umount "$root"
    rm -rf "$work"
    /usr/bin/python3 - "$exchange" "$queue" <<'EOF' || true
import sys, pika
channel = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2f")).channel()
channel.queue_delete(sys.argv[2])
channel.exchange_delete(sys.argv[1])
EOF
    exit "$status"
}
trap cleanup EXIT
mkdir -p "$work/upper" "$work/work" "$root"
mount -t overlay overlay -o "lowerdir=$image,upperdir=$work/upper,workdir=$work/work" "$root" \
    || skip "cannot mount an overlay file system"
cp "$deb" "$root/root/edge-video.deb"
# Two capabilities a real machine's systemd has and systemd-nspawn withholds from the container's:
# without CAP_IPC_LOCK nspawn's own seccomp filter refuses mlock (EPERM) to every process in the
# container, and without CAP_SYS_RESOURCE systemd cannot raise a unit's limits (LimitNICE=) above
# its own. With them the unit's sandbox decides alone, as on a real machine (docs/operations.md).
systemd-nspawn --quiet -D "$root" -b --register=no --keep-unit --capability=CAP_IPC_LOCK,CAP_SYS_RESOURCE \
    -M "evcheck$$" \
    > "$work/console.log" 2>&1 &
nspawn=$!
container_init() {
    local child
    for child in $(pgrep -P "$nspawn"); do
        [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && { init=$child; return 0; }
    done
    return 1
}
until_true 30 "the container's systemd" container_init
ct() { nsenter -t "$init" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
booted() {
    local state
    state=$(ct systemctl is-system-running 2>/dev/null || true)
    [ "$state" = running ] || [ "$state" = degraded ]
}
until_true 60 "the container's boot (console: $work/console.log)" booted
phase boot

# --- Install ------------------------------------------------------------------------------------
ct sh -c 'cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./edge-video.deb' > "$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; fail "apt install ./edge-video.deb"; }
ct getent passwd edge-video > /dev/null || fail "no edge-video user"
[ "$(ct stat -c '%a %U' /etc/edge-video/credentials)" = "700 root" ] || fail "/etc/edge-video/credentials is not 0700 root"
for doc in $(ct systemctl show -p Documentation --value edge-video); do
    case "$doc" in file://*) ct test -e "${doc#file://}" || fail "Documentation=$doc is not installed" ;; esac
done
[ -z "$(ct systemd-analyze verify /lib/systemd/system/edge-video.service 2>&1 | grep edge-video.service)" ] \
    || fail "systemd-analyze verify: $(ct systemd-analyze verify /lib/systemd/system/edge-video.service 2>&1)"
phase install

# --- Helpers inside ----------------------------------------------------------------------------
config=/etc/edge-video/supervision.json
main_pid() { ct systemctl show -p MainPID --value edge-video; }
active() { [ "$(ct systemctl is-active edge-video)" = active ]; }
cursor() { ct journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p'; }
journal_since() { local c=$1; shift; ct journalctl -q --no-pager -u edge-video --after-cursor="$c" "$@"; }
journal_has() { journal_since "$1" | grep -qF -- "$2"; }
messages() { /usr/bin/python3 scripts/amqp-tap.py --messages-in "$queue"; }
more_messages_than() { [ "$(messages)" -gt "$1" ]; }
# Edits the installed configuration from outside (keeps its owner and mode): EDIT is Python
# changing `c`, the parsed configuration.
edit_config() {
    /usr/bin/python3 - "$root$config" "$1" <<'EOF'
import json, sys
path, edit = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(edit)
text = json.dumps(c, indent=2)
with open(path, "r+") as f:
    f.truncate(0)
    f.write(text)
EOF
}

# The queue the check counts frames in, bound to this run's exchange before anything publishes.
/usr/bin/python3 scripts/amqp-tap.py --exchange "$exchange" --queue "$queue" --declare-only > /dev/null

# --- README.Debian, "To start it", line by line ---------------------------------------------------
# The installed copy, continuation lines joined, comments after two spaces dropped. The edit it
# asks for ("then edit") is made after that line: the local broker, this run's exchange, a test
# camera, a short shutdown timeout and a free HTTP port (the host's network is shared).
readme="$root/usr/share/doc/edge-video/README.Debian"
mapfile -t steps < <(awk '
    /^To start it:/ { on = 1; next }
    on && /^[^ ]/ { exit }
    on && /^    / { sub(/^    /, ""); line = line $0; if (line ~ /\\$/) { sub(/\\$/, "", line); next } print line; line = "" }
' "$readme")
[ "${#steps[@]}" -ge 3 ] || fail "README.Debian: no 'To start it' commands found"
mark=$(cursor)
for step in "${steps[@]}"; do
    command=$(sed -E 's/[[:space:]]{2,}#.*$//' <<< "$step")
    say "README.Debian: $command"
    ct sh -c "$command" > "$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "README.Debian step failed: $command"; }
    if grep -q 'then edit' <<< "$step"; then
        edit_config "
c['amqp'] = {'urls': ['amqp://guest:guest@127.0.0.1:5672/%2f'], 'exchange': '$exchange'}
c['cameras'] = [{'id': 'sd', 'url': 'testsrc:?size=320x180&rate=10', 'fps': 5}]
c['supervision']['shutdown_timeout_s'] = 5
c['http'] = {'port': 0}
"
    fi
done
until_true 30 "edge-video active" active
until_true 60 "frames in $queue" more_messages_than 4
ct systemctl status edge-video --no-pager > "$work/status.log" 2>&1 || true
grep -q "Status: \".*camera" "$work/status.log" || { cat "$work/status.log" >&2; fail "systemctl status shows no STATUS= line"; }
[ -z "$(ct ls -A /etc/edge-video/credentials)" ] || fail "credentials appeared from nowhere"
journal_has "$mark" "Failed to set up credentials" && fail "credentials setup failed"
# The spool opens in the unit's state directory (StateDirectory=edge-video), owned by the service.
journal_has "$mark" "directory=/var/lib/edge-video/spool" || fail "the spool did not open under /var/lib/edge-video"
[ "$(ct stat -c "%U %a" /var/lib/edge-video/spool)" = "edge-video 700" ] || fail "spool directory: $(ct stat -c '%U %a' /var/lib/edge-video/spool)"
phase start

# --- The start's journal: no library warnings, pages released -------------------------------------
release_line() { journal_since "$mark" | grep -F 'released start-up pages' | tail -1; }
released() { [ -n "$(release_line)" ]; }
until_true 30 "the start-up page release in the journal" released
# libgcrypt's, from libssh-gcrypt's constructor (libavformat links it) when mlock is refused.
if journal_since "$mark" | grep -F 'insecure memory'; then fail "libgcrypt's warning in the journal at start"; fi
# libdispatch's, when the sandbox refuses the nice value of the main queue's worker (-4). The
# unit's LimitNICE=-4 allows it, if systemd can set that limit: a machine that withholds
# CAP_SYS_RESOURCE from the container's systemd (its hard limit stays 0) cannot show it.
nice_limit=$(ct sh -c "grep 'Max nice priority' /proc/$(main_pid)/limits" | awk '{print $5}')
if [ "$nice_limit" = 24 ]; then
    if journal_since "$mark" | grep -F 'Failed to set thread priority'; then fail "libdispatch's warning in the journal at start"; fi
else
    say "not checked: libdispatch's thread priority (LimitNICE=-4 not applied here: hard RLIMIT_NICE $nice_limit, systemd lacks CAP_SYS_RESOURCE)"
fi
phase warnings
line=$(release_line)
binary_kib=$(sed -n 's/.* binary_kib=\([0-9]*\).*/\1/p' <<< "$line")
binary_left=$(sed -n 's/.* binary_remaining_kib=\([0-9]*\).*/\1/p' <<< "$line")
[ -n "$binary_kib" ] && [ -n "$binary_left" ] || fail "start-up page release: $line"
[ "$binary_left" -lt "$binary_kib" ] || fail "start-up page release released nothing of the binary: $line"
phase pages

# --- Reload -----------------------------------------------------------------------------------------
pid=$(main_pid)
mark=$(cursor)
ct systemctl reload edge-video || fail "systemctl reload: $(journal_since "$mark" | tail -5)"
until_true 10 "SIGHUP in the journal after systemctl reload" journal_has "$mark" "SIGHUP: reloading the configuration"
[ "$(main_pid)" = "$pid" ] && active || fail "reload changed the process"
phase reload

# --- SIGUSR1 ----------------------------------------------------------------------------------------
mark=$(cursor)
ct rm -f /run/edge-video/status.json
ct systemctl kill -s USR1 edge-video
until_true 10 "the status tree in the journal after SIGUSR1" journal_has "$mark" "pid $pid "
[ "$(ct stat -c %a /run/edge-video/status.json)" = 600 ] || fail "status file not 0600"
phase usr1

# --- Journal priorities ---------------------------------------------------------------------------
# An edit that is not JSON: the file watcher reloads, the reload is refused at priority err and
# the running configuration stays. Then README.Debian's `journalctl -u edge-video -p warning` as
# it is written (journalctl 252 returns nothing for -u with -p after --after-cursor, so the
# priorities are checked over the unit's whole journal).
mark=$(cursor)
valid=$(cat "$root$config")
printf '{ not json' >> "$root$config"
rejected() { journal_has "$mark" 'configuration rejected'; }
until_true 15 "the rejected edit in the journal" rejected
ct journalctl -q --no-pager -u edge-video -p warning -o json > "$work/warning.json"
ct journalctl -q --no-pager -u edge-video -o json > "$work/all.json"
/usr/bin/python3 - "$work/warning.json" "$work/all.json" <<'PY' || fail "journalctl -u edge-video -p warning: $(ct journalctl -q --no-pager -u edge-video -p warning)"
import json, sys
warning = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
every = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert all(int(e["PRIORITY"]) <= 4 for e in warning), [e["MESSAGE"] for e in warning if int(e["PRIORITY"]) > 4]
assert any(int(e["PRIORITY"]) == 3 and "configuration rejected" in e["MESSAGE"] for e in warning), "no rejection at err"
assert any(int(e["PRIORITY"]) >= 6 for e in every), "no info line to filter out"
PY
printf '%s\n' "$valid" > "$root$config"
{ [ "$(main_pid)" = "$pid" ] && active; } || fail "a rejected edit changed the process"
phase priority

# --- Credentials ----------------------------------------------------------------------------------
# README.Debian's "Passwords": the broker's password in a file of /etc/edge-video/credentials,
# the configuration naming it, `check` as README.Debian says, then a restart.
ct sh -c "umask 077; printf '%s\n' guest > /etc/edge-video/credentials/broker.password"
edit_config "c['amqp']['urls'] = ['amqp://guest@127.0.0.1:5672/%2f']; c['amqp']['password_file'] = 'broker.password'"
ct sh -c "CREDENTIALS_DIRECTORY=/etc/edge-video/credentials edge-video check --config $config" > /dev/null \
    || fail "edge-video check with the credentials directory"
count=$(messages)
ct systemctl restart edge-video || fail "restart with a credential: $(ct journalctl -u edge-video -n 5)"
until_true 60 "frames published with the password from the credential" more_messages_than "$count"
[ "$(ct stat -c '%a %U' /run/credentials/edge-video.service/edge-video_broker.password)" = "400 edge-video" ] \
    || fail "the credential is not the service's alone"
# A password_file whose file is missing: exit 1 at start, said in the journal, no restart loop.
ct rm /etc/edge-video/credentials/broker.password
mark=$(cursor)
if ct systemctl restart edge-video 2> /dev/null; then fail "started without its password file"; fi
failed() { [ "$(ct systemctl is-active edge-video)" = failed ]; }
until_true 15 "edge-video failed" failed
[ "$(ct systemctl show -p ExecMainStatus --value edge-video)" = 1 ] || fail "exit status not 1 without the password file"
journal_has "$mark" "password_file: cannot read" || fail "the missing password file is not in the journal"
[ "$(ct systemctl show -p NRestarts --value edge-video)" = 0 ] || fail "restarted after exit 1"
edit_config "c['amqp']['urls'] = ['amqp://guest:guest@127.0.0.1:5672/%2f']; del c['amqp']['password_file']"
ct systemctl reset-failed edge-video
ct systemctl start edge-video || fail "start without credentials after a failure"
phase credentials

# --- Watchdog -------------------------------------------------------------------------------------
# Shortened for the check by a drop-in: WatchdogSec=3s, RestartSec=1s (the unit: 30 s and 5 s).
dropins=/etc/systemd/system/edge-video.service.d
ct mkdir -p "$dropins"
printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\n' > "$root$dropins/check-watchdog.conf"
ct systemctl daemon-reload
ct systemctl restart edge-video
pid=$(main_pid)
mark=$(cursor)
ct sh -c "kill -STOP $pid"  # the shell's kill: the container has no /bin/kill
restarted() { local now; now=$(main_pid); [ "$now" != 0 ] && [ "$now" != "$pid" ] && active; }
until_true 60 "a restart after the watchdog timeout" restarted
journal_has "$mark" "Watchdog timeout" || fail "no watchdog timeout in the journal"
rm "$root$dropins/check-watchdog.conf"
ct systemctl daemon-reload
phase watchdog

# --- Stop timeout extended ------------------------------------------------------------------------
# The broker behind a proxy that stops passing anything: at stop, confirms are outstanding, so
# the graceful stop takes shutdown_timeout_s (5 s) + 0.5 s, longer than TimeoutStopSec=2s (a
# drop-in). edge-video's EXTEND_TIMEOUT_USEC at the start of the stop must keep systemd from
# killing it.
coproc proxy { exec /usr/bin/python3 scripts/fault-proxy.py --target 5672; }
proxy_pid=$proxy_PID
read -r ready port <&"${proxy[0]}"
[ "$ready" = READY ] || fail "fault proxy: $ready $port"
edit_config "c['amqp']['urls'] = ['amqp://guest:guest@127.0.0.1:$port/%2f']"
printf '[Service]\nTimeoutStopSec=2s\n' > "$root$dropins/check-stop.conf"
ct systemctl daemon-reload
ct systemctl restart edge-video
count=$(messages)
until_true 60 "frames through the proxy" more_messages_than "$count"
echo blackhole >&"${proxy[1]}"
read -r answer <&"${proxy[0]}"
[ "$answer" = "OK blackhole" ] || fail "fault proxy: $answer"
# A frame published into the blackhole: its confirm is what the stop will wait for.
in_flight() {
    ct edge-video status --json --config "$config" 2> /dev/null \
        | /usr/bin/python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["cameras"]["sd"]["in_flight"] > 0 else 1)'
}
until_true 15 "a frame awaiting its confirm" in_flight
mark=$(cursor)
before=$(now_ms)
ct systemctl stop edge-video
took=$(seconds_since "$before")
if journal_has "$mark" "timed out. Killing"; then fail "systemd killed the stop after TimeoutStopSec (took $took s)"; fi
[ "$(ct systemctl show -p ExecMainCode --value edge-video)" = 1 ] || fail "the stop did not end in an exit (took $took s)"
[ $(($(now_ms) - before)) -gt 2500 ] || fail "the stop took $took s: the proxy did not hold it past TimeoutStopSec"
say "stop with confirms outstanding: $took s, exit status $(ct systemctl show -p ExecMainStatus --value edge-video), not killed"
exec {proxy[1]}>&-
wait "$proxy_pid" 2> /dev/null || true
proxy_pid=""
rm "$root$dropins/check-stop.conf"
ct systemctl daemon-reload
edit_config "c['amqp']['urls'] = ['amqp://guest:guest@127.0.0.1:5672/%2f']"
ct systemctl start edge-video
phase stop

# --- Sandbox --------------------------------------------------------------------------------------
exposure=$(ct systemd-analyze security edge-video 2> /dev/null | sed -n 's/.*Overall exposure level for edge-video.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure level"
/usr/bin/python3 -c "import sys; sys.exit(0 if $exposure <= 2.0 else 1)" || fail "exposure $exposure > 2.0"
say "systemd-analyze security edge-video: $exposure"
phase security

# --- Upgrade --------------------------------------------------------------------------------------
# The same package with a higher version (repacked): installed while running, the service
# restarts on it; installed while stopped, it stays stopped.
repack() {
    local version=$1 dir="$work/repack-$1"
    dpkg-deb -R "$deb" "$dir"
    sed -i "s/^Version: .*/Version: $version/" "$dir/DEBIAN/control"
    dpkg-deb --root-owner-group -Znone --build "$dir" "$root/root/edge-video-$version.deb" > /dev/null
    rm -rf "$dir"
}
apt_install() {
    ct sh -c "cd /root && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./$1" > "$work/apt.log" 2>&1 \
        || { cat "$work/apt.log" >&2; fail "apt-get install ./$1"; }
}
packaged=$(dpkg-deb -f "$deb" Version)
repack "$packaged+check1"
repack "$packaged+check2"
until_true 30 "edge-video active before the upgrade" active
pid=$(main_pid)
apt_install "edge-video-$packaged+check1.deb"
[ "$(ct dpkg-query -W -f '${Version}' edge-video)" = "$packaged+check1" ] || fail "upgrade: version not installed"
restarted || fail "the upgrade did not restart the running service (main pid $(main_pid), was $pid)"
count=$(messages)
until_true 60 "frames after the upgrade" more_messages_than "$count"
ct systemctl stop edge-video
apt_install "edge-video-$packaged+check2.deb"
[ "$(ct systemctl is-active edge-video)" = inactive ] || fail "the upgrade started a stopped service"
phase upgrade

say "OK: all checks passed in $(seconds_since "$started") s"
