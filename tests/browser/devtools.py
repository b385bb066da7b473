"""A headless Chromium driven over the Chrome DevTools Protocol, for the browser tests.

Chromium speaks the protocol over a pipe (`--remote-debugging-pipe`: it reads commands from
file descriptor 3 and writes answers and events to 4, each a JSON text ended by a NUL byte),
as Playwright and Puppeteer drive it: no port is opened, so nothing listens at all, and no
websocket client is needed. https://chromedevtools.github.io/devtools-protocol/
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

TIMEOUT = 30.0
"""Seconds one command may take (a first start on a busy machine takes a few)."""


def chromium() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserError(Exception):
    """Chromium answered with an error, stopped, or did not answer in time."""


class Page:
    """One tab, attached over the browser's pipe; collects the errors the page reports."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session
        self.errors: list[str] = []
        """Uncaught exceptions, console errors and browser-logged errors (a CSP violation)."""

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def navigate(self, url: str) -> None:
        """Open `url` and wait for its load event."""
        self.browser.events.clear()
        self.send("Page.navigate", url=url)
        self.browser.wait_for("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (an exception is an error)."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) in the middle of the element."""
        where = self.evaluate(
            f"(function () {{ var e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); var r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        x, y = where
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(data["data"]))


class Browser:
    """A Chromium process and its end of the pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        # High descriptors, so that placing them at 3 and 4 in the child overwrites neither.
        commands_r, commands_w = os.pipe()
        answers_r, answers_w = os.pipe()
        child_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10)
        child_w = fcntl.fcntl(answers_w, fcntl.F_DUPFD, 10)
        os.close(commands_r)
        os.close(answers_w)

        def place() -> None:  # in the child, before exec
            os.dup2(child_r, 3)
            os.dup2(child_w, 4)

        args = [
            executable,
            "--headless",
            "--remote-debugging-pipe",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        self.stderr_path = profile.parent / "chromium.log"
        with self.stderr_path.open("wb") as log:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(3, 4),
                preexec_fn=place,  # safe: the tests start no threads
            )
        os.close(child_r)
        os.close(child_w)
        self._out = commands_w
        self._in = answers_r
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.pages: dict[str, Page] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._in, selectors.EVENT_READ)

    def _log(self) -> str:
        with suppress(OSError):
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        return ""

    def _read(self, deadline: float) -> dict[str, Any]:
        """The next message from Chromium."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise BrowserError(f"no answer from Chromium in {TIMEOUT:g} s\n{self._log()}")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium closed its pipe\n{self._log()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str = ""
    ) -> dict[str, Any]:
        """Send one command and return its result (events seen meanwhile are kept)."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            data = data[os.write(self._out, data) :]
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._event(answer)

    def _event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        page = self.pages.get(event.get("sessionId", ""))
        if page is None:
            return
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            page.errors.append(f"uncaught: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            page.errors.append(f"console: {[a.get('value') for a in params.get('args', [])]}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            page.errors.append(f"{entry.get('source')}: {entry.get('text')}")

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """Wait for an event of this session (or return it, if it came already)."""
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        deadline = time.monotonic() + TIMEOUT
        while True:
            event = self._read(deadline)
            self._event(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def new_page(self, width: int = 1280, height: int = 900) -> Page:
        """A new tab, attached, with errors reported and a fixed viewport."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page

    def close(self) -> None:
        with suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._selector.close()
        os.close(self._out)
        os.close(self._in)


@contextmanager
def launched(executable: str, folder: Path) -> Iterator[Browser]:
    """A Chromium with a profile of its own in `folder`, closed afterwards."""
    browser = Browser(executable, folder / "profile")
    try:
        yield browser
    finally:
        browser.close()
