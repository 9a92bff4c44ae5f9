#!/usr/bin/env bash
# Installs the Debian packages edge-video builds, runs and tests with. Idempotent: apt is asked only
# for what is missing.
set -euo pipefail

packages=(
    # build
    pkg-config librabbitmq-dev libavcodec-dev libavformat-dev libavdevice-dev libswscale-dev libavutil-dev
    # run
    rabbitmq-server
    # tests, benchmarks and their peers
    ffmpeg erlang-base python3-pika
    gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 python3-gi
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-tools
    procps iproute2
    prometheus  # promtool checks the /metrics exposition
)

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
