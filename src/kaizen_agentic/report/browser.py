"""Open a report in headless Chromium and say what the browser saw (the report's own check).

Chromium is driven over the Chrome DevTools Protocol (a websocket, with the
``websockets`` package): every ``Network.requestWillBeSent`` other than the
page itself is a request the page made, every console error, uncaught
exception and log error is recorded, each chart is measured in the laid-out
page, and screenshots are taken at the widths asked for. The test suite and
``benchmarks/report_bench.py`` use it; it imports nothing until called.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaizen_agentic.errors import KaizenError

CHROMIUM_ENV = "KAIZEN_CHROMIUM"
# Flags for a closed network: no first-run, sync, component or background traffic.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
CHARTS_SCRIPT = """
Array.from(document.querySelectorAll('figure.chart svg')).map(svg => {
  const marks = Array.from(svg.querySelectorAll('[id^="data-"]'));
  const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  const r = svg.getBoundingClientRect();
  return {marks: marks.length, drawn: drawn.length, width: r.width, height: r.height};
})
"""
NEXT_FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


@dataclass
class PageCheck:
    """What Chromium saw of one page."""

    url: str
    requests: list[str] = field(default_factory=list)  # anything fetched but the page itself
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, log errors
    charts: list[dict[str, float]] = field(default_factory=list)
    render_s: float = 0.0  # navigation to the first frame after the load event
    overflow: dict[int, bool] = field(default_factory=dict)  # width -> page wider than it
    screenshots: dict[int, Path] = field(default_factory=dict)


def find_chromium() -> str | None:
    """$KAIZEN_CHROMIUM, else chromium on PATH (Debian's package installs /usr/bin/chromium)."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_page(
    page: Path,
    *,
    widths: tuple[int, ...] = (1280,),
    screenshot_dir: Path | None = None,
    timeout_s: float = 60.0,
) -> PageCheck:
    """Load *page* at each width; with *screenshot_dir*, save ``<stem>-<width>.png`` there."""
    url = page.resolve().as_uri()
    check = PageCheck(url)
    with _browser(timeout_s) as devtools:
        session = devtools.open_tab()
        for domain in ("Page", "Network", "Runtime", "Log"):
            devtools.call(f"{domain}.enable", session=session)
        for width in widths:
            devtools.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
                session=session,
            )
            started = time.perf_counter()
            devtools.call("Page.navigate", {"url": url}, session=session)
            devtools.wait_for("Page.loadEventFired", session)
            devtools.evaluate(NEXT_FRAME, session)
            check.render_s = check.render_s or time.perf_counter() - started
            check.charts = devtools.evaluate(CHARTS_SCRIPT, session)
            check.overflow[width] = bool(
                devtools.evaluate(
                    "document.documentElement.scrollWidth > window.innerWidth", session
                )
            )
            if screenshot_dir is not None:
                check.screenshots[width] = devtools.screenshot(
                    session, width, screenshot_dir / f"{page.stem}-{width}.png"
                )
        check.requests = [
            str(e["params"]["request"]["url"])
            for e in devtools.events
            if e["method"] == "Network.requestWillBeSent" and e["params"]["request"]["url"] != url
        ]
        check.errors = [_error_text(e) for e in devtools.events if _is_error(e)]
    return check


class DevTools:
    """A CDP connection to the browser, with flattened sessions for its tabs."""

    def __init__(self, socket: Any, timeout_s: float) -> None:
        self.socket, self.timeout_s = socket, timeout_s
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def call(
        self, method: str, params: Mapping[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise KaizenError(f"chromium refused {method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        seen = len(self.events)
        for event in self.events[seen:]:
            if event["method"] == method and event.get("sessionId") == session:
                return event
        while True:
            event = self._receive()
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def open_tab(self) -> str:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        return str(attached["sessionId"])

    def evaluate(self, expression: str, session: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise KaizenError(f"the page check script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, width: int, path: Path) -> Path:
        import base64

        metrics = self.call("Page.getLayoutMetrics", session=session)
        height = int(metrics["cssContentSize"]["height"])
        shot = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
            session=session,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=self.timeout_s))
        if "method" in message:
            self.events.append(message)
        return message


@contextmanager
def _browser(timeout_s: float) -> Iterator[DevTools]:
    from websockets.sync.client import connect

    executable = find_chromium()
    if executable is None:
        raise KaizenError(
            "no Chromium found; install it (apt-get install -y chromium) or set "
            f"{CHROMIUM_ENV} to its path"
        )
    # Chromium's helper processes may still be writing the profile as it closes:
    # a leftover file in a scratch folder is no failure of the check
    with tempfile.TemporaryDirectory(
        prefix="kaizen-chromium-", ignore_cleanup_errors=True
    ) as scratch:
        profile = Path(scratch) / "profile"
        # Chromium writes caches under HOME too: keep them in the scratch folder
        env = {**os.environ, "HOME": scratch, "XDG_CONFIG_HOME": scratch, "XDG_CACHE_HOME": scratch}
        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: stopped with all its helpers
        )
        try:
            address = _devtools_address(profile, process, timeout_s)
            with connect(address, max_size=None, open_timeout=timeout_s) as socket:
                yield DevTools(socket, timeout_s)
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop Chromium and every helper it started (they share its process group)."""
    import signal

    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _devtools_address(profile: Path, process: subprocess.Popen[bytes], timeout_s: float) -> str:
    """ws://… of the browser, from the DevToolsActivePort file Chromium writes at start."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise KaizenError(f"chromium exited at start with status {process.returncode}")
        lines = marker.read_text().split("\n") if marker.is_file() else []
        if len(lines) >= 2 and lines[1]:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise KaizenError(f"chromium did not open its DevTools port within {timeout_s:.0f}s")


def _is_error(event: Mapping[str, Any]) -> bool:
    method, params = event["method"], event["params"]
    if method == "Runtime.exceptionThrown":
        return True
    if method == "Runtime.consoleAPICalled":
        return bool(params.get("type") in ("error", "assert"))
    if method == "Log.entryAdded":
        return bool(params["entry"].get("level") == "error")
    return bool(method == "Network.loadingFailed")


def _error_text(event: Mapping[str, Any]) -> str:
    params = event["params"]
    if event["method"] == "Log.entryAdded":
        return str(params["entry"].get("text"))
    if event["method"] == "Runtime.consoleAPICalled":
        return " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
    return json.dumps(params)[:500]
