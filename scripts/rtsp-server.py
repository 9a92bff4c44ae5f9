#!/usr/bin/python3
"""A small live RTSP server for tests and demos (gst-rtsp-server through PyGObject).

Usage:
    /usr/bin/python3 scripts/rtsp-server.py [--port 8554] [--mount /cam0 ...]
                                           [--size 640x360] [--rate 15] [--gop 15]

Serves every --mount (default /cam0) on rtsp://127.0.0.1:PORT/MOUNT: a live moving test pattern
(videotestsrc is-live=true) encoded with x264enc tune=zerolatency key-int-max=GOP and sent with
rtph264pay. Port 0 picks a free port. Once listening it prints one line to stdout and flushes:

    READY rtsp://127.0.0.1:PORT

then serves until SIGTERM/SIGINT. Needs Debian's gir1.2-gst-rtsp-server-1.0, python3-gst-1.0,
gstreamer1.0-plugins-ugly (x264enc), gstreamer1.0-plugins-good/base.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="Live H.264 test-pattern RTSP server")
    parser.add_argument("--port", type=int, default=8554, help="TCP port, 0 = any free port (default 8554)")
    parser.add_argument("--mount", action="append", default=[], help="mount point, repeatable (default /cam0)")
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--rate", type=int, default=15, help="frames per second (default 15)")
    parser.add_argument("--gop", type=int, default=15, help="keyframe interval in frames (default 15)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    mounts = args.mount or ["/cam0"]

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    for i, mount in enumerate(mounts):
        if not mount.startswith("/"):
            mount = "/" + mount
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f"( videotestsrc is-live=true pattern={i % 20} "
            f"! video/x-raw,width={width},height={height},framerate={args.rate}/1,format=I420 "
            f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bframes=0 "
            f"! rtph264pay name=pay0 pt=96 config-interval=1 )")
        factory.set_shared(True)
        server.get_mount_points().add_factory(mount, factory)

    source_id = server.attach(None)
    if source_id == 0:
        print(f"rtsp-server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    port = server.get_bound_port()
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"READY rtsp://127.0.0.1:{port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
