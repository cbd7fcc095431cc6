"""Delivering pending outbox events to NATS (SPEC §8).

JetStream is used when the server offers it: events go to the stream
``KAIZEN`` (subjects ``kaizen.>``, created when absent) with the event id as
``Nats-Msg-Id``, so a re-sent event is stored once — as long as it is re-sent
within the stream's de-duplication window, which is set to
:data:`DEFAULT_DUPLICATE_WINDOW` (24 h, ``events.duplicate_window_hours``)
instead of the server's 2-minute default, and widened on an existing stream. An event is recorded as
delivered only after its acknowledgement; anything not acknowledged stays
pending for the next flush. Without JetStream the events are published on core
NATS and count as delivered once the server has processed them (a round trip).

asyncio and nats-py are imported only when a flush runs (see ``_nats``), so
importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kaizen_agentic._fs import exclusive_lock
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.events.outbox import FLUSH_LOCK, events_dir, outbox_path, pending_events

NATS_URL_ENV = "KAIZEN_NATS_URL"
STREAM_NAME = "KAIZEN"
STREAM_SUBJECTS = ("kaizen.>",)
DEFAULT_TIMEOUT = 5.0
DEFAULT_BATCH_SIZE = 1000
# How long JetStream remembers an event id: the longest gap between a publish
# whose ack was lost and its re-send by a later flush that stays de-duplicated.
DEFAULT_DUPLICATE_WINDOW = timedelta(hours=24)
_SCHEMES = ("nats", "tls", "ws", "wss")

# (delivered so far, total pending at the start) after each acknowledged batch.
BatchCallback = Callable[[int, int], None]


class DeliveryError(KaizenError):
    """NATS could not be reached or stopped acknowledging; undelivered events stay pending."""


@dataclass(frozen=True)
class FlushResult:
    """What one flush achieved.

    ``delivered`` counts events recorded as delivered by this flush, including
    ``duplicates``: events JetStream already held (sent before, never recorded).
    ``jetstream`` is None when nothing was pending and no connection was made.
    ``warnings`` say what the flush could not make safe (a stream whose
    de-duplication window is shorter than asked and could not be widened).
    """

    delivered: int
    pending: int
    duplicates: int = 0
    jetstream: bool | None = None
    stream: str | None = None
    url: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        document = asdict(self)
        # Only present when there is something to say, as in the human output.
        if self.warnings:
            document["warnings"] = list(self.warnings)
        else:
            del document["warnings"]
        return document


def resolve_nats_url(
    explicit: str | None,
    env: Mapping[str, str],
    config: str | None = None,
) -> str | None:
    """The NATS URL to use: *explicit* (``--nats``), else ``KAIZEN_NATS_URL`` in *env*,
    else *config* (``events.nats_url``); None when none is set. Empty values count as unset.

    Raises :class:`InvalidInputError` for a URL whose scheme NATS cannot use.
    """
    for value in (explicit, env.get(NATS_URL_ENV), config):
        if value and value.strip():
            return check_nats_url(value.strip())
    return None


def check_nats_url(url: str) -> str:
    """Return *url* if it names a NATS server (``nats://host:port`` and friends)."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise InvalidInputError(
            f"NATS URL {redact_url(url)!r} is not usable: "
            "write it as nats://HOST:PORT (tls://, ws:// and wss:// also work)"
        )
    return url


def redact_url(url: str) -> str:
    """*url* without credentials, fit for messages and results."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def flush_events(
    root: Path,
    nats_url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchCallback | None = None,
    duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
) -> FlushResult:
    """Deliver every pending event of *root* to *nats_url*, at least once.

    Blocking wrapper around :func:`flush_events_async`. Raises
    :class:`DeliveryError` when the server cannot be reached or stops
    acknowledging; every event acknowledged before that is already recorded.
    """
    import asyncio

    return asyncio.run(
        flush_events_async(
            root,
            nats_url,
            timeout=timeout,
            batch_size=batch_size,
            on_batch=on_batch,
            duplicate_window=duplicate_window,
        )
    )


async def flush_events_async(
    root: Path,
    nats_url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: BatchCallback | None = None,
    duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
) -> FlushResult:
    """:func:`flush_events` for callers already running an event loop.

    *timeout* bounds connecting and waiting for each batch's acknowledgements;
    flushes of one project run one at a time. *duplicate_window* is the
    de-duplication window the stream is created with (or widened to).
    """
    check_nats_url(nats_url)
    if timeout <= 0 or batch_size < 1 or duplicate_window.total_seconds() <= 0:
        raise InvalidInputError(
            "timeout and duplicate_window must be positive and batch_size at least 1"
        )
    if not outbox_path(root).exists():  # nothing was ever emitted: leave the project untouched
        return FlushResult(delivered=0, pending=0, url=redact_url(nats_url))
    with exclusive_lock(events_dir(root) / FLUSH_LOCK, root=root):
        pending = pending_events(root)
        if not pending:
            return FlushResult(delivered=0, pending=0, url=redact_url(nats_url))
        from kaizen_agentic.events._nats import Flush

        window = duplicate_window.total_seconds()
        return await Flush(root, nats_url, pending, timeout, batch_size, on_batch, window).run()
