"""Real repos, rosters and a real State Hub on 127.0.0.1 for fleet tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kaizen_agentic.schedule import schedule_path

HOST = "build-01"
# Monday 2026-03-30 08:00 UTC (10:00 in Berlin, which is on summer time since the 29th).
NOW = datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)


def schedule_yaml(agents: dict[str, str], timezone_name: str = "UTC") -> str:
    """A schedule.yml with one ``name: {settings}`` line per agent."""
    lines = ['version: "1"', f'timezone: "{timezone_name}"', "agents:"]
    lines += [f"  {name}: {{{settings}}}" for name, settings in agents.items()]
    return "\n".join(lines) + "\n"


def make_repo(base: Path, slug: str, schedule: str | None = None) -> Path:
    """A checkout directory under *base*, with ``.kaizen/schedule.yml`` when *schedule* is given."""
    root = base / "repos" / slug
    root.mkdir(parents=True)
    if schedule is not None:
        path = schedule_path(root)
        path.parent.mkdir(parents=True)
        path.write_text(schedule)
    return root


def roster_entry(
    slug: str,
    root: Path | str,
    *,
    domain: str = "custodian",
    status: str = "active",
    host: str = HOST,
) -> dict[str, Any]:
    return {"slug": slug, "domain": domain, "status": status, "host_paths": {host: str(root)}}


def write_roster(path: Path, repos: list[dict[str, Any]]) -> Path:
    """A roster.yaml (JSON is YAML) holding *repos*."""
    path.write_text(json.dumps({"version": "1", "repos": repos}, indent=2))
    return path


@dataclass
class Answer:
    """What the hub answers to one request."""

    status: int = 200
    body: bytes | str | Any = b"[]"
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Hub:
    """A State Hub answering with *answers* in turn (the last one repeats)."""

    answers: list[Answer]
    url: str = ""
    requests: list[str] = field(default_factory=list)

    def next_answer(self, path: str) -> Answer:
        self.requests.append(path)
        return self.answers[min(len(self.requests), len(self.answers)) - 1]


@contextmanager
def running_hub(*answers: Answer) -> Iterator[Hub]:
    """A real ThreadingHTTPServer on 127.0.0.1 (port 0) serving *answers* to GET requests."""
    hub = Hub(list(answers))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = hub.next_answer(self.path)
            if answer.delay:
                time.sleep(answer.delay)
            data = answer.payload()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting: that is the point of a delay

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
