"""The NATS side of :func:`~kaizen_agentic.events.delivery.flush_events`.

Kept apart so that importing the events package (and the CLI) does not pay
for asyncio; nats-py itself is imported inside the methods that need it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic.events.delivery import (
    NATS_URL_ENV,
    STREAM_NAME,
    STREAM_SUBJECTS,
    BatchCallback,
    DeliveryError,
    FlushResult,
    redact_url,
)
from kaizen_agentic.events.outbox import StoredEvent, mark_delivered

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.api import PubAck, StreamConfig
    from nats.js.client import JetStreamContext


class Flush:
    """One delivery run: connection, stream check, batched publishing, bookkeeping."""

    def __init__(
        self,
        root: Path,
        url: str,
        pending: Sequence[StoredEvent],
        timeout: float,
        batch_size: int,
        on_batch: BatchCallback | None,
        duplicate_window: float,
    ) -> None:
        self.root = root
        self.duplicate_window = duplicate_window
        self.warnings: list[str] = []
        self.url = url
        self.shown = redact_url(url)
        self.pending = pending
        self.timeout = timeout
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.delivered = 0
        self.duplicates = 0
        self.errors: list[BaseException] = []
        self.lost = asyncio.Event()
        self.rejected = asyncio.Event()
        self.rejection: BaseException | None = None

    async def run(self) -> FlushResult:
        client = await self._connect()
        try:
            js = client.jetstream(timeout=self.timeout)
            stream = await self._ensure_stream(js)
            for start in range(0, len(self.pending), self.batch_size):
                batch = self.pending[start : start + self.batch_size]
                if stream is None:
                    await self._publish_core(client, batch)
                else:
                    await self._publish_jetstream(js, batch)
                if self.on_batch is not None:
                    self.on_batch(self.delivered, len(self.pending))
        finally:
            await self._close(client)
        return FlushResult(
            delivered=self.delivered,
            pending=len(self.pending) - self.delivered,
            duplicates=self.duplicates,
            jetstream=stream is not None,
            stream=stream,
            url=self.shown,
            warnings=tuple(self.warnings),
        )

    async def _connect(self) -> Client:
        import nats
        import nats.errors
        from nats.js.errors import APIError

        async def record_error(error: Exception) -> None:
            self.errors.append(error)
            if isinstance(error, APIError) and self.rejection is None:
                self.rejection = error
                self.rejected.set()

        async def connection_lost() -> None:
            self.lost.set()

        try:
            # Initial connect retries each server up to max_reconnect_attempts
            # times whatever allow_reconnect says (0 would mean forever), so keep
            # it at 1 and bound the whole attempt as well.
            return await asyncio.wait_for(
                nats.connect(
                    self.url,
                    name="kaizen-agentic",
                    connect_timeout=max(1, math.ceil(self.timeout)),
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0,
                    error_cb=record_error,
                    disconnected_cb=connection_lost,
                    closed_cb=connection_lost,
                ),
                timeout=3 * self.timeout,
            )
        except (OSError, asyncio.TimeoutError, nats.errors.Error) as error:
            cause: BaseException = error
            if isinstance(error, nats.errors.NoServersError) and self.errors:
                cause = self.errors[-1]
            raise DeliveryError(
                f"cannot reach NATS at {self.shown}: {_reason(cause, self.timeout)}; "
                f"{len(self.pending)} events stay pending — start the server or check "
                f"{NATS_URL_ENV}"
            ) from None

    async def _ensure_stream(self, js: JetStreamContext) -> str | None:
        """The stream that takes ``kaizen.>``, created when absent; None without JetStream.

        Our stream's de-duplication window is widened to the one asked for.
        """
        import nats.errors
        from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

        try:
            info = await js.stream_info(STREAM_NAME)
        except NotFoundError:
            info = None
        except ServiceUnavailableError as error:
            # No responders on the JetStream API: the server runs without JetStream.
            # A 503 *answer* (code set) is a JetStream that is there but busy.
            if error.code is None:
                return None
            raise self._failure(error) from None
        except APIError as error:
            if error.err_code == _JETSTREAM_NOT_ENABLED_FOR_ACCOUNT:
                return None
            raise self._failure(error) from None
        except (asyncio.TimeoutError, nats.errors.Error) as error:
            raise self._failure(error) from None
        if info is not None:
            await self._widen_window(js, info.config)
            return STREAM_NAME
        try:
            await js.add_stream(
                name=STREAM_NAME,
                subjects=list(STREAM_SUBJECTS),
                duplicate_window=self.duplicate_window,
            )
            return STREAM_NAME
        except APIError as error:
            # Another stream may already own kaizen.>; publishing then lands there.
            try:
                name: str = await js.find_stream_name_by_subject(STREAM_SUBJECTS[0])
                owner = await js.stream_info(name)
            except (asyncio.TimeoutError, nats.errors.Error):
                raise self._failure(error) from None
            self._check_window(name, owner.config.duplicate_window)
            return name
        except (asyncio.TimeoutError, nats.errors.Error) as error:
            raise self._failure(error) from None

    async def _widen_window(self, js: JetStreamContext, config: StreamConfig) -> None:
        """Give our stream the de-duplication window asked for, if it is shorter.

        A stream created by an older version (or by hand) keeps the server's
        2-minute default, so an event re-sent later would be stored twice.
        When the server refuses the change (e.g. ``max_age`` shorter than the
        window) the flush goes on and says so.
        """
        import nats.errors
        from nats.js.errors import APIError

        if (config.duplicate_window or 0) >= self.duplicate_window:
            return
        try:
            await js.update_stream(
                dataclasses.replace(config, duplicate_window=self.duplicate_window)
            )
        except (APIError, asyncio.TimeoutError, nats.errors.Error) as error:
            self._check_window(STREAM_NAME, config.duplicate_window, _reason(error, self.timeout))

    def _check_window(self, name: str, window: float | None, why: str | None = None) -> None:
        if (window or 0) >= self.duplicate_window:
            return
        cause = f" ({why})" if why else ""
        self.warnings.append(
            f"stream {name} de-duplicates re-sent events for {_span(window or 0)}, not "
            f"{_span(self.duplicate_window)}{cause}: an event re-sent later than that is "
            "stored twice — widen the stream's duplicate_window"
        )

    async def _publish_jetstream(self, js: JetStreamContext, batch: Sequence[StoredEvent]) -> None:
        import nats.errors

        futures: list[asyncio.Future[PubAck]] = []
        failure: BaseException | None = None
        try:
            for event in batch:
                future = await js.publish_async(
                    event.subject, event.data, headers={"Nats-Msg-Id": event.event_id}
                )
                futures.append(future)
        except (asyncio.TimeoutError, nats.errors.Error) as error:
            failure = error
        acks, ack_failure = await self._await_all(futures)
        acked = []
        for event, ack in zip(batch, acks, strict=False):  # acks stop at a failed publish
            if ack is not None:
                acked.append(event.event_id)
                self.duplicates += bool(ack.duplicate)
        self._record(acked)
        failure = failure or ack_failure
        if failure is not None:
            raise self._failure(failure)

    async def _publish_core(self, client: Client, batch: Sequence[StoredEvent]) -> None:
        import nats.errors

        try:
            for event in batch:
                await client.publish(
                    event.subject, event.data, headers={"Nats-Msg-Id": event.event_id}
                )
            # The flush's PONG means the server has processed every message before it.
            await client.flush(timeout=max(1, math.ceil(self.timeout)))
        except (asyncio.TimeoutError, nats.errors.Error) as error:
            raise self._failure(error) from None
        self._record([e.event_id for e in batch])

    async def _await_all(
        self, futures: Sequence[asyncio.Future[PubAck]]
    ) -> tuple[list[PubAck | None], BaseException | None]:
        """Each future's ack (None when it failed), and the first failure, if any.

        nats-py 2.16 resolves neither a pending ack when the connection drops nor
        an ack the server answered with an error (nats-io/nats.py#985: the error
        goes to ``error_cb`` instead). So waiting stops at the first of: every
        ack in, connection lost, a rejection reported, timeout. Acks left
        unresolved count as not delivered; re-sending them is de-duplicated.
        """
        if not futures:
            return [], None
        gathered: asyncio.Future[Any] = asyncio.gather(*futures, return_exceptions=True)
        lost: asyncio.Future[Any] = asyncio.ensure_future(self.lost.wait())
        rejected: asyncio.Future[Any] = asyncio.ensure_future(self.rejected.wait())
        done, _ = await asyncio.wait(
            {gathered, lost, rejected}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        lost.cancel()
        rejected.cancel()
        failure: BaseException | None = None
        if gathered not in done:
            gathered.add_done_callback(_consume)
            gathered.cancel()
            if self.rejection is not None:
                failure = self.rejection
            elif lost in done:
                failure = ConnectionError("the connection closed")
            else:
                failure = asyncio.TimeoutError()
        acks: list[PubAck | None] = []
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                acks.append(future.result())
            else:
                acks.append(None)
                if failure is None and future.done() and not future.cancelled():
                    failure = future.exception()
        return acks, failure

    def _record(self, event_ids: Sequence[str]) -> None:
        self.delivered += mark_delivered(self.root, event_ids)

    def _failure(self, error: BaseException) -> DeliveryError:
        left = len(self.pending) - self.delivered
        return DeliveryError(
            f"delivery to NATS at {self.shown} stopped after {self.delivered} of "
            f"{len(self.pending)} events: {_reason(error, self.timeout)}; the other {left} "
            "stay pending — run `kaizen-agentic events flush` again once NATS is back"
        )

    async def _close(self, client: Client) -> None:
        # The outcome is already decided; closing is best effort.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), timeout=self.timeout)


# JetStream API error code: the server runs JetStream but not for this account.
_JETSTREAM_NOT_ENABLED_FOR_ACCOUNT = 10039


def _consume(future: asyncio.Future[Any]) -> None:
    """Mark a cancelled gather's outcome as seen so asyncio does not log it."""
    if not future.cancelled():
        future.exception()


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _reason(error: BaseException, timeout: float) -> str:
    if isinstance(error, asyncio.TimeoutError):
        return f"no answer within {timeout:g}s"
    description = getattr(error, "description", None)
    if description:
        return str(description)
    return str(error) or type(error).__name__
