#!/usr/bin/env bash
# Installs the Debian packages edge-video needs, by group. Idempotent: apt is asked only for what
# is missing.
#
#   scripts/install-deps.sh [GROUP...]     GROUP: build, run, test, systemd, all (default: all)
#
#   build  what `swift build` links against (the Swift 6.2+ toolchain itself is not a Debian package)
#   run    what the binary needs at run time, plus a local broker (the .deb depends on the libraries only)
#   test   the extra peers of the suite and the benchmarks: ffmpeg, Erlang, pika, the GStreamer RTSP
#          server, dpkg-dev and lintian for the package test, promtool, chromium for the status page
#   systemd  what scripts/systemd-check.sh boots a Debian 12 container with: systemd-nspawn, mmdebstrap
set -euo pipefail

build=(pkg-config librabbitmq-dev libavcodec-dev libavformat-dev libavdevice-dev libswscale-dev libavutil-dev)
run=(librabbitmq4 libavformat59 libavcodec59 libavdevice59 libswscale6 libavutil57 rabbitmq-server)
test=(
    ffmpeg erlang-base python3-pika python3-jsonschema openssl
    gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 python3-gi
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-tools
    procps iproute2 dpkg-dev fakeroot lintian
    libturbojpeg0-dev libjpeg62-turbo-dev  # bench/jpeg: the libjpeg-turbo encoders measured against mjpeg
    prometheus  # promtool checks the /metrics exposition and deploy/prometheus-rules.yml
    chromium    # the headless browser that reads the status page (Tests/EdgeVideoTests/StatusPageTests.swift)
)
systemd=(systemd-container mmdebstrap)

packages=()
for group in "${@:-all}"; do
    case "$group" in
        build) packages+=("${build[@]}") ;;
        run) packages+=("${run[@]}") ;;
        test) packages+=("${test[@]}") ;;
        systemd) packages+=("${systemd[@]}") ;;
        all) packages+=("${build[@]}" "${run[@]}" "${test[@]}" "${systemd[@]}") ;;
        *) echo "install-deps: unknown group $group (build, run, test, systemd, all)" >&2; exit 64 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
