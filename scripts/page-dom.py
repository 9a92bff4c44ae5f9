#!/usr/bin/env python3
"""Load a page in headless chromium with JavaScript off; print its DOM (one HTML document).

  page-dom.py URL

Chromium's own --dump-dom prints nothing once scripts are disabled (--blink-settings=
scriptEnabled=false): it reads the DOM with a script. This drives the same browser over the
DevTools protocol on a pipe (--remote-debugging-pipe: it reads fd 3, writes fd 4, NUL-separated
JSON), turns script execution off for the page (Emulation.setScriptExecutionDisabled), loads
URL, and reads the DOM without running any script (DOM.getDocument, DOM.getOuterHTML).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    url = sys.argv[1]
    profile = tempfile.mkdtemp(prefix="evtest-chromium-")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():
        # Through fresh descriptors: one of the pipe's own may already be 3 or 4.
        reading, writing = os.dup(to_chrome_r), os.dup(from_chrome_w)
        os.dup2(reading, 3)
        os.dup2(writing, 4)

    browser = subprocess.Popen(
        ["/usr/bin/chromium", "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
         "--disable-dev-shm-usage", "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    incoming = os.fdopen(from_chrome_r, "rb")
    buffered = b""
    next_id = [0]

    def read_message():
        nonlocal buffered
        while b"\0" not in buffered:
            chunk = incoming.read1(65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            buffered += chunk
        message, buffered = buffered.split(b"\0", 1)
        return json.loads(message)

    def call(method, params=None, session=None, until_event=None):
        """Sends a command; returns its result (after the event `until_event`, if given, arrived)."""
        next_id[0] += 1
        request = {"id": next_id[0], "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(to_chrome_w, json.dumps(request).encode() + b"\0")
        result, seen = None, until_event is None
        while result is None or not seen:
            message = read_message()
            if message.get("id") == next_id[0]:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result = message.get("result", {})
            elif until_event and message.get("method") == until_event:
                seen = True
        return result

    try:
        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        call("Page.enable", session=session)
        call("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        call("Page.navigate", {"url": url}, session=session, until_event="Page.loadEventFired")
        root = call("DOM.getDocument", {"depth": -1}, session=session)["root"]["nodeId"]
        print(call("DOM.getOuterHTML", {"nodeId": root}, session=session)["outerHTML"])
        try:
            call("Browser.close")
        except RuntimeError:
            pass
    finally:
        if browser.poll() is None:
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
