#!/usr/bin/env python3
"""Opens a silo's dashboard the way a person does, in headless Debian chromium, and takes a screenshot.

  tools/dashboard_screenshot.py URL TOKEN OUT.png [--expect TEXT ...] [--fragment '#/silos']

Goes to URL/dashboard (a browser without the cookie is sent to the login form), types the token into
the form and submits it, waits for the dashboard to show every --expect text (e.g. each silo's address),
then saves a screenshot. Exit 1, naming what is missing, if the page never shows it. Drives chromium
over the DevTools protocol (apt-get install chromium python3-websocket); a fresh profile each run.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket


class Page:
    def __init__(self, ws_url):
        self._ws = websocket.create_connection(ws_url, timeout=30)
        self._id = 0

    def call(self, method, **params):
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.5)
        return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("out")
    parser.add_argument("--expect", action="append", default=[], help="text the dashboard must show (repeatable)")
    parser.add_argument("--fragment", default="", help="dashboard page to open after logging in, e.g. '#/silos'")
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--size", default="1400,900")
    args = parser.parse_args()

    profile = tempfile.mkdtemp(prefix="orleansflow-chromium-")
    browser = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", f"--window-size={args.size}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or browser.poll() is not None:
                sys.exit("dashboard_screenshot: chromium did not start (apt-get install chromium)")
            time.sleep(0.2)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")

        base = args.url.rstrip("/")
        page.call("Page.navigate", url=f"{base}/dashboard")
        if not page.wait_for("!!document.querySelector('input[name=token]')", 30):
            sys.exit(f"dashboard_screenshot: {base}/dashboard showed no login form: {page.evaluate('location.href')}")
        print(f"dashboard_screenshot: {page.evaluate('location.href')} asks for the token; logging in", file=sys.stderr)
        page.evaluate(f"document.querySelector('input[name=token]').value = {json.dumps(args.token)};"
                      "document.querySelector('form').submit(); true")
        if not page.wait_for("location.pathname === '/dashboard/' && !document.querySelector('input[name=token]')", 30):
            sys.exit(f"dashboard_screenshot: login did not reach the dashboard: {page.evaluate('location.href')}: "
                     f"{(page.evaluate('document.body && document.body.innerText') or '')[:200]}")
        if args.fragment:
            page.evaluate(f"location.hash = {json.dumps(args.fragment)}; true")
        expect = json.dumps(args.expect)
        if not page.wait_for(f"{expect}.every(t => document.body.innerText.includes(t))", args.timeout):
            text = page.evaluate("document.body.innerText") or ""
            missing = [t for t in args.expect if t not in text]
            sys.exit(f"dashboard_screenshot: the dashboard never showed {missing}; it shows: {' '.join(text.split())[:400]}")
        time.sleep(2)  # let the charts draw their first points
        shot = page.call("Page.captureScreenshot", format="png")
        with open(args.out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"dashboard_screenshot: {page.evaluate('location.href')} shows {args.expect}; screenshot {args.out}")
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
