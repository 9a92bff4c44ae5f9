#!/usr/bin/env bash
# Builds dist/edge-video_<version>_<arch>.deb: the edge-video binary built with the Swift runtime
# linked in (--static-swift-stdlib), so the appliance needs no Swift toolchain, only the runtime
# libraries dpkg-shlibdeps finds (librabbitmq4, libavformat59, ...), installed as
# /usr/lib/edge-video/edge-video; the `edge-video` command, /usr/bin/edge-video, is the static
# launcher that blocks SIGUSR1/SIGHUP and execs it (docs/operations.md, "Signals in the first
# moments of a start"). Also: the unit, sysusers.d and tmpfiles.d entries, the schema, an example
# configuration and the install notes.
#
#   scripts/package-deb.sh [OUTPUT_DIR]       (default dist/; prints the .deb's path last)
#
# Needs the build dependencies and dpkg-dev (scripts/install-deps.sh build test).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
mkdir -p "$out"
maintainer=${DEB_MAINTAINER:-edge-video maintainers <edge-video@example.org>}

version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/EdgeVideo/EdgeVideoVersion.swift)
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "package-deb: no version in Sources/EdgeVideo/EdgeVideoVersion.swift" >&2; exit 1; }

for product in edge-video-main edge-video; do
    swift build -c release -j "${EDGE_VIDEO_BUILD_JOBS:-1}" --static-swift-stdlib --product "$product" >&2
done
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/edge-video_${version}_${arch}"
doc="$root/usr/share/doc/edge-video"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/edge-video" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
    "$root/usr/lib/tmpfiles.d" "$root/usr/share/edge-video" "$doc/examples" "$root/usr/share/man/man1"
real="$root/usr/lib/edge-video/edge-video"
install -m 0755 "$bin/edge-video-main" "$real"
install -m 0755 "$bin/edge-video" "$root/usr/bin/edge-video"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$real" "$root/usr/bin/edge-video"
# The launcher is static on purpose (no dynamic loader before it blocks the signals).
install -D -m 0644 /dev/stdin "$root/usr/share/lintian/overrides/edge-video" <<'OVERRIDES'
# The launcher blocks SIGUSR1/SIGHUP before the real binary's dynamic loader runs: static on purpose.
edge-video: statically-linked-binary [usr/bin/edge-video]
OVERRIDES

# The manual-install unit (deploy/INSTALL.md), adapted: the packaged binary's path, documentation
# this package installs, and the static user of the sysusers.d entry instead of DynamicUser=, so
# that /etc/edge-video can be 0750.
sed -e 's|/usr/local/bin/edge-video|/usr/bin/edge-video|' \
    -e 's|^Documentation=.*|Documentation=file:///usr/share/doc/edge-video/README.Debian file:///usr/share/doc/edge-video/operations.md|' \
    -e 's|^DynamicUser=yes|User=edge-video\nGroup=edge-video|' \
    -e 's|^# Sandbox. DynamicUser gets.*|# Sandbox. The user comes from /usr/lib/sysusers.d/edge-video.conf, in the "video" group for V4L2.|' \
    deploy/edge-video.service > "$root/lib/systemd/system/edge-video.service"
chmod 0644 "$root/lib/systemd/system/edge-video.service"
install -m 0644 deploy/edge-video.sysusers "$root/usr/lib/sysusers.d/edge-video.conf"
install -m 0644 deploy/edge-video.tmpfiles "$root/usr/lib/tmpfiles.d/edge-video.conf"
install -m 0644 supervision.schema.json "$root/usr/share/edge-video/supervision.schema.json"
install -m 0644 deploy/edge-video.json "$doc/examples/supervision.json"
install -m 0644 deploy/README.Debian "$doc/README.Debian"
install -m 0644 deploy/INSTALL.md "$doc/manual-install.md"
install -m 0644 docs/operations.md "$doc/operations.md"
install -m 0644 README.md "$doc/README.md"

# A manual page made from the binary's own help, so it cannot drift from it.
{
    printf '.TH EDGE-VIDEO 1 "" "edge-video %s" "User Commands"\n.SH NAME\nedge-video \\- camera frames to RabbitMQ, supervised\n' "$version"
    printf '.SH SYNOPSIS\n.B edge-video\n\\fIrun\\fR|\\fIcheck\\fR|\\fIstatus\\fR [\\fB--config\\fR \\fIPATH\\fR]\n.SH DESCRIPTION\n'
    for command in "" run check status; do
        [ -n "$command" ] && printf '.SS %s\n' "$command"
        printf '.nf\n'
        # shellcheck disable=SC2086
        "$root/usr/bin/edge-video" $command --help | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
        printf '.fi\n'
    done
    printf '.SH FILES\n/etc/edge-video/supervision.json, /usr/share/edge-video/supervision.schema.json, /run/edge-video/status.json\n'
    printf '.SH SEE ALSO\n/usr/share/doc/edge-video/README.Debian, /usr/share/doc/edge-video/README.md\n'
} | gzip -9n > "$root/usr/share/man/man1/edge-video.1.gz"
cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: edge-video
Source: the edge-video repository

Files: *
Copyright: $(date -u +%Y) the edge-video authors
License: proprietary
 No license has been granted yet; see the edge-video repository.
COPYRIGHT
printf 'edge-video (%s) unstable; urgency=medium\n\n  * Built by scripts/package-deb.sh.\n\n -- %s  %s\n' \
    "$version" "$maintainer" "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
    | gzip -9n > "$doc/changelog.gz"

# Runtime dependencies: the shared libraries the real binary links, as Debian packages (the
# launcher links none).
shlib=$(mktemp -d)
mkdir -p "$shlib/debian"
printf 'Source: edge-video\n\nPackage: edge-video\nArchitecture: any\n' > "$shlib/debian/control"
depends=$(cd "$shlib" && dpkg-shlibdeps -O "$real" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlib"
[ -n "$depends" ] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
if grep -q 'swift' <<< "$depends"; then echo "package-deb: depends on a Swift package: $depends" >&2; exit 1; fi
# Packed relative relocations (Package.swift links edge-video with -z pack-relative-relocs) need
# glibc 2.36; dpkg-shlibdeps sees only symbols, not that version need.
if readelf -V "$real" | grep -q GLIBC_ABI_DT_RELR; then
    depends=$(sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/' <<< "$depends")
fi

cat > "$root/DEBIAN/control" <<CONTROL
Package: edge-video
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: systemd, libavdevice59
Section: video
Priority: optional
Description: camera frames to RabbitMQ, supervised
 edge-video captures frames from IP cameras (RTSP, HTTP, V4L2), samples and
 JPEG-encodes them with FFmpeg and publishes them to RabbitMQ with publisher
 confirms, under an Erlang-style supervision tree. Runs as a systemd service
 (Type=notify, watchdog, journald priorities).
CONTROL

# The unit is not enabled by the package (README.Debian: the operator enables it once the
# configuration exists). An upgrade ("configure" with the replaced version in $2) restarts it on the
# new binary if it is running, and leaves a stopped one stopped: try-restart, through
# deb-systemd-invoke (init-system-helpers, Essential; it honours policy-rc.d), as
# dh_installsystemd's --restart-after-upgrade.
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemd-sysusers edge-video.conf || true
    systemd-tmpfiles --create edge-video.conf || true
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        if [ -n "$2" ]; then
            deb-systemd-invoke try-restart edge-video.service >/dev/null || true
        fi
    fi
fi
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
    deb-systemd-invoke stop edge-video.service >/dev/null || true
fi
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

deb="$out/edge-video_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -z3 --build "$root" "$deb" >&2
echo "$deb"
