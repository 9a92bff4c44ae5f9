#!/usr/bin/env bash
# The differential test of Supervision against Erlang/OTP's supervisor, with more schedules than CI.
# Usage: scripts/otp-diff.sh [SCHEDULES=20000] [SEED=20261130]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v escript >/dev/null || { echo "escript not found: apt-get install erlang-base" >&2; exit 1; }
swift build --build-tests >&2
SUPERVISION_OTP_SCHEDULES="${1:-20000}" SUPERVISION_OTP_SEED="${2:-20261130}" \
    swift test --skip-build --filter OTPDifferentialTests
