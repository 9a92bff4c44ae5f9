#!/usr/bin/env bash
# Runs deploy/INSTALL.md's steps as far as a container allows (no systemd as PID 1), as root:
#   1. the unit: `systemd-analyze verify`, and `systemd-analyze security` at 2.0 ("OK") or better;
#   2. the files installed with INSTALL.md's modes under a scratch root (binary, credentials,
#      configuration edited to name its passwords with password_file), and `check` as root;
#   3. the binary run the way the unit runs it: as an unprivileged user, CREDENTIALS_DIRECTORY
#      holding the service's copy of the credentials, umask 0077, a 0750 runtime directory, and no
#      writable-and-executable memory (prctl PR_SET_MDWE, as MemoryDenyWriteExecute=yes). A test
#      camera publishes to the local broker (scripts/start-rabbitmq.sh) with the password from
#      the credential; `edge-video status` answers; the status file is 0600; SIGTERM stops it
#      with exit 0 and removes the pid file.
#
#   scripts/install-check.sh [BINARY]      # default .build/debug/edge-video (the launcher; the real
#                                          # program, edge-video-main, is taken from beside it)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/edge-video}"
user=nobody
group=nogroup
fail() { echo "install-check: FAIL: $*" >&2; exit 1; }
step() { echo "install-check: $*"; }

root="$(mktemp -d /tmp/ev-install.XXXXXX)"
chmod 0755 "$root"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    rm -rf "$root"
}
trap cleanup EXIT

# 1. The unit, pointing at the scratch root's binary (verify checks ExecStart's file exists),
#    installed as INSTALL.md step 1 installs it: the launcher and the real program it execs.
install -D -m 0755 "$binary" "$root/usr/local/bin/edge-video"
install -D -m 0755 "$(dirname "$binary")/edge-video-main" "$root/usr/local/lib/edge-video/edge-video"
edge="$root/usr/local/bin/edge-video"
unit="$root/etc/systemd/system/edge-video.service"
install -D -m 0644 deploy/edge-video.service "$unit"
sed -i "s|/usr/local/bin/edge-video|$edge|" "$unit"
verify="$(systemd-analyze verify "$unit" 2>&1 | grep 'edge-video.service' || true)"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
exposure="$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for edge-video.service: \([0-9.]*\).*/\1/p')"
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure level"
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)" || fail "exposure $exposure > 2.0"
step "unit verified; systemd-analyze security exposure $exposure"

# 2. INSTALL.md steps 2 and 3 under the scratch root.
etc="$root/etc/edge-video"
install -d -m 0700 "$etc/credentials"
(umask 077; printf '%s\n' 'guest' > "$etc/credentials/broker.password")
(umask 077; printf '%s\n' 'camera secret with spaces # / ? @' > "$etc/credentials/camera.password")
install -d -m 0755 "$etc"
# The example with its passwords taken out of the URLs, as INSTALL.md says to edit it.
python3 - deploy/edge-video.json "$etc/supervision.json" <<'EOF'
import json, re, sys
config = json.load(open(sys.argv[1]))
strip = lambda url: re.sub(r"^([a-z]+://[^:/@]+):[^@]*@", r"\1@", url)
config["amqp"]["urls"] = [strip(u) for u in config["amqp"]["urls"]]
config["amqp"]["password_file"] = "broker.password"
for camera in config["cameras"]:
    if "@" in camera["url"]:
        camera["url"] = strip(camera["url"])
        camera["password_file"] = "camera.password"
json.dump(config, open(sys.argv[2], "w"), indent=2)
EOF
chmod 0644 "$etc/supervision.json"
if grep -q "CHANGE-ME" "$etc/supervision.json"; then fail "a password is left in the configuration"; fi
CREDENTIALS_DIRECTORY="$etc/credentials" "$edge" check --config "$etc/supervision.json" \
    || fail "edge-video check rejected the installed configuration"
step "installed: config 0644 without passwords, credentials 0600 in a 0700 directory; check OK"

# 3. Run as the unit does. systemd's part: the service's copy of the credentials (readable by
# the service user only) and the runtime directory.
credentials="$root/run/credentials/edge-video.service"
install -d -m 0500 -o "$user" -g "$group" "$credentials"
# LoadCredential=edge-video:/etc/edge-video/credentials loads the directory: each file as edge-video_FILE.
for file in "$etc/credentials"/*; do
    install -m 0400 -o "$user" -g "$group" "$file" "$credentials/edge-video_$(basename "$file")"
done
runtime="$root/run/edge-video"
install -d -m 0750 -o "$user" -g "$group" "$runtime"
# StateDirectory=edge-video: the spool goes to $STATE_DIRECTORY/spool.
state="$root/var/lib/edge-video"
install -d -m 0750 -o "$user" -g "$group" "$state"
# The appliance's configuration on this machine: the local broker, a test camera.
exchange="ev.install-check.$$"
cat > "$etc/local.json" <<EOF
{
  "amqp": { "urls": ["amqp://guest@127.0.0.1:5672/%2f"], "password_file": "broker.password", "exchange": "$exchange" },
  "status": { "file": "$runtime/status.json" },
  "supervision": { "shutdown_timeout_s": 10 },
  "cameras": [ { "id": "install-check", "url": "testsrc:?size=320x180&rate=10", "fps": 5 } ]
}
EOF
chmod 0644 "$etc/local.json"
# Frames are published mandatory: a consumer's queue must be bound for them to be confirmed (else
# they come back as returned). This one keeps the newest 100 and expires a minute after last use.
/usr/bin/python3 scripts/amqp-tap.py --url "amqp://guest:guest@127.0.0.1:5672/%2f" --exchange "$exchange" --key "camera.#" \
    --queue "$exchange.frames" --queue-arg x-max-length=100 --queue-arg x-expires=60000 --declare-only >/dev/null \
    || fail "cannot bind a queue to $exchange"
as_service() {
    setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs \
        env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$credentials" STATE_DIRECTORY="$state" sh -c 'umask 0077; exec "$@"' sh "$@"
}
mdwe="$root/mdwe.py"
cat > "$mdwe" <<'EOF'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_MDWE) failed (Linux 6.3 or later needed): errno %d" % ctypes.get_errno())
os.execv(sys.argv[1], sys.argv[1:])
EOF
chmod 0644 "$mdwe"
# setpriv, env, sh and python3 each exec the next: $! is edge-video's pid.
setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs \
    env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$credentials" STATE_DIRECTORY="$state" sh -c 'umask 0077; exec "$@"' sh \
    python3 "$mdwe" "$edge" run --config "$etc/local.json" > "$root/stderr.log" 2>&1 &
pid=$!
confirmed=0
for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { cat "$root/stderr.log" >&2; fail "edge-video exited"; }
    # The camera may not be in the tree yet when the endpoint first answers (a slow start, such
    # as a sanitizer build's): that reads as 0 confirmed, not as a failure.
    if json="$(as_service "$edge" status --json --timeout 5 --config "$etc/local.json" 2>/dev/null)"; then
        confirmed="$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cameras"].get("install-check", {}).get("confirmed", 0))')"
        [ "$confirmed" -gt 0 ] && break
    fi
    sleep 0.2
done
[ "$confirmed" -gt 0 ] || { cat "$root/stderr.log" >&2; fail "no frame confirmed by the broker"; }
# `status` read the HTTP endpoint, which writes no file: an operator's SIGUSR1 writes it.
kill -USR1 "$pid"
for _ in $(seq 1 100); do [ -e "$runtime/status.json" ] && break; sleep 0.1; done
[ "$(stat -c %a "$runtime/status.json")" = 600 ] || fail "status file mode $(stat -c %a "$runtime/status.json"), not 600"
[ "$(stat -c %a "$runtime")" = 750 ] || fail "runtime directory mode $(stat -c %a "$runtime"), not 750"
[ "$(stat -c %a "$state/spool")" = 700 ] || fail "spool directory $state/spool missing or not 700 (0750 under the unit's umask 0077)"
[ "$(stat -c %U "$runtime/status.json")" = "$user" ] || fail "status file not owned by $user"
step "ran as $user under PR_SET_MDWE: $confirmed frames confirmed, status answered, status file 0600 in a 0750 directory"
kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""
[ "$code" = 0 ] || { cat "$root/stderr.log" >&2; fail "exit status $code after SIGTERM"; }
[ ! -e "$runtime/edge-video.pid" ] || fail "the pid file outlived the process"
step "SIGTERM: exit 0, pid file removed"
echo "install-check: OK"
