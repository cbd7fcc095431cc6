"""Helpers for tests that talk to a real nats-server."""

from __future__ import annotations

import asyncio


async def _stream_messages(url: str, stream: str) -> int:
    import nats

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    try:
        info = await client.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await client.close()


def stream_messages(url: str, stream: str = "KAIZEN") -> int:
    """How many messages the JetStream stream holds right now."""
    return asyncio.run(_stream_messages(url, stream))
