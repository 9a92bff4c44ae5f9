#!/usr/bin/env python3
"""Probe edge-video's HTTP endpoint the way real and hostile clients do; prints one JSON line.

  http-probe.py HOST PORT get PATH [METHOD [NAME: VALUE]...]
                                               http.client request (with those headers): status, headers, body
  http-probe.py HOST PORT bigheader BYTES      one header of BYTES bytes: status (431 expected)
  http-probe.py HOST PORT slow                 sends half a request head, then nothing: status, seconds
  http-probe.py HOST PORT trickle              sends a header one byte every 0.2 s, forever: status, seconds
  http-probe.py HOST PORT flood N              holds N idle connections, then GET /healthz on one more
  http-probe.py HOST PORT raw TEXT             sends TEXT (\\r\\n escapes allowed) as-is: status line
"""
import http.client
import json
import socket
import sys
import time


def status_of(sock, timeout=15):
    """Reads until the peer closes; returns the status code of the response (or None)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def main():
    host, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    if case == "get":
        method = args[1] if len(args) > 1 else "GET"
        conn = http.client.HTTPConnection(host, port, timeout=15)
        headers = dict(h.split(": ", 1) for h in args[2:])
        conn.request(method, args[0], headers=headers)
        response = conn.getresponse()
        body = response.read()
        result = {"status": response.status, "headers": {k.lower(): v for k, v in response.getheaders()},
                  "length": len(body), "head": body[:4].hex()}
        if not response.getheader("Content-Type", "").startswith("image/"):
            result["body"] = body.decode("utf-8", "replace")
        print(json.dumps(result))
    elif case == "bigheader":
        sock = socket.create_connection((host, port), timeout=15)
        head = "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * int(args[0]) + "\r\n\r\n"
        try:
            sock.sendall(head.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass
        print(json.dumps({"status": status_of(sock)}))
    elif case == "slow":
        sock = socket.create_connection((host, port), timeout=30)
        started = time.monotonic()
        sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        status = status_of(sock, timeout=30)
        print(json.dumps({"status": status, "seconds": round(time.monotonic() - started, 3)}))
    elif case == "trickle":
        sock = socket.create_connection((host, port), timeout=30)
        started = time.monotonic()
        sock.sendall(b"GET /status HTTP/1.1\r\nX-Slow: ")
        sock.setblocking(False)
        status = None
        while time.monotonic() - started < 30:
            try:
                sock.send(b"a")
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except BlockingIOError:
                pass
            except ConnectionResetError:
                break
            time.sleep(0.2)
        status = status_of(sock)
        print(json.dumps({"status": status, "seconds": round(time.monotonic() - started, 3)}))
    elif case == "flood":
        idle = [socket.create_connection((host, port), timeout=15) for _ in range(int(args[0]))]
        # The kernel's accept queue is FIFO: the idle connections are accepted before this one.
        extra = socket.create_connection((host, port), timeout=15)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status = status_of(extra)
        for sock in idle:
            sock.close()
        print(json.dumps({"status": status}))
    elif case == "raw":
        sock = socket.create_connection((host, port), timeout=15)
        sock.sendall(args[0].encode("latin-1").decode("unicode_escape").encode("latin-1"))
        print(json.dumps({"status": status_of(sock)}))
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
