from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.events import (
    DeliveryError,
    FlushResult,
    MetricsRecorded,
    delivered_path,
    emit_event,
    flush_events,
    flush_events_async,
    list_events,
    outbox_path,
    pending_events,
    redact_url,
    resolve_nats_url,
)
from kaizen_agentic.events.testing import LocalNatsServer, free_port
from tests.events.nats_helpers import stream_messages


def emit_many(root: Path, count: int) -> list[str]:
    # Every call records new records: a record id is one record, and one event.
    return [
        emit_event(
            root,
            MetricsRecorded(repo="shop", agent="coach", record_id=uuid.uuid4().hex, success=True),
        )
        for _ in range(count)
    ]


def test_url_comes_from_the_flag_then_the_environment_then_config() -> None:
    env = {"KAIZEN_NATS_URL": "nats://env:4222"}
    assert resolve_nats_url("nats://flag:4222", env, "nats://cfg:4222") == "nats://flag:4222"
    assert resolve_nats_url(None, env, "nats://cfg:4222") == "nats://env:4222"
    assert resolve_nats_url("", {"KAIZEN_NATS_URL": " "}, "tls://cfg:4222") == "tls://cfg:4222"
    assert resolve_nats_url(None, {}) is None
    with pytest.raises(InvalidInputError, match=r"'http://x:4222' is not usable: write it as"):
        resolve_nats_url("http://x:4222", {})


def test_credentials_never_appear_in_messages() -> None:
    assert redact_url("nats://alice:s3cret@host:4222") == "nats://***@host:4222"
    assert redact_url("nats://host:4222") == "nats://host:4222"
    with pytest.raises(InvalidInputError) as caught:
        resolve_nats_url("http://alice:s3cret@host", {})
    assert "s3cret" not in caught.value.message


def test_nothing_pending_needs_no_server(project: Path) -> None:
    unused = f"nats://127.0.0.1:{free_port()}"
    assert flush_events(project, unused) == FlushResult(delivered=0, pending=0, url=unused)
    assert not (project / ".kaizen").exists()


def test_each_event_reaches_the_stream_exactly_once(
    project: Path, nats_server: LocalNatsServer
) -> None:
    ids = emit_many(project, 5)
    first = flush_events(project, nats_server.url)
    assert first == FlushResult(
        delivered=5, pending=0, duplicates=0, jetstream=True, stream="KAIZEN", url=nats_server.url
    )
    assert stream_messages(nats_server.url) == 5
    assert all(e["delivered"] for e in list_events(project))

    more = emit_many(project, 2)
    second = flush_events(project, nats_server.url)
    assert (second.delivered, second.pending) == (2, 0)
    assert stream_messages(nats_server.url) == 7

    # Forget every delivery (a crash after the acks, before the bookkeeping):
    # everything is sent again and JetStream stores none of it twice.
    delivered_path(project).unlink()
    again = flush_events(project, nats_server.url)
    assert (again.delivered, again.duplicates, again.pending) == (7, 7, 0)
    assert stream_messages(nats_server.url) == 7

    stored = asyncio.run(_stored_messages(nats_server.url, 7))
    lines = outbox_path(project).read_text().splitlines()
    assert [(s[0], s[1], s[2]) for s in stored] == [
        ("kaizen.metrics.recorded", event_id, line.encode())
        for event_id, line in zip(ids + more, lines, strict=True)
    ]


async def _stored_messages(url: str, count: int) -> list[tuple[str | None, str, bytes | None]]:
    import nats

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    try:
        js = client.jetstream()
        found = []
        for seq in range(1, count + 1):
            message = await js.get_msg("KAIZEN", seq)
            assert message.headers is not None
            found.append((message.subject, message.headers["Nats-Msg-Id"], message.data))
        return found
    finally:
        await client.close()


def test_an_unreachable_server_leaves_everything_pending(project: Path) -> None:
    emit_many(project, 3)
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(DeliveryError) as caught:
        flush_events(project, url, timeout=2)
    assert caught.value.message.startswith(f"cannot reach NATS at {url}: ")
    assert caught.value.message.endswith(
        "; 3 events stay pending — start the server or check KAIZEN_NATS_URL"
    )
    assert "\n" not in caught.value.message
    assert len(pending_events(project)) == 3
    assert not delivered_path(project).exists()


def test_a_server_restart_mid_flush_loses_nothing_and_stores_nothing_twice(
    project: Path, nats_server: LocalNatsServer
) -> None:
    ids = emit_many(project, 1000)
    progress: list[int] = []

    def kill_after_three_batches(done: int, total: int) -> None:
        progress.append(done)
        if len(progress) == 3:
            nats_server.stop()

    with pytest.raises(DeliveryError, match=r"stopped after 300 of 1000 events: .*other 700 stay"):
        flush_events(
            project, nats_server.url, batch_size=100, timeout=2, on_batch=kill_after_three_batches
        )
    assert progress == [100, 200, 300]
    assert len(pending_events(project)) == 700

    nats_server.start()  # same port, same store directory
    # Forget the last 50 recorded deliveries too: those are re-sent and de-duplicated.
    kept = delivered_path(project).read_text().splitlines()[:250]
    delivered_path(project).write_text("\n".join(kept) + "\n")

    result = flush_events(project, nats_server.url, batch_size=100)
    assert (result.delivered, result.duplicates, result.pending) == (750, 50, 0)
    assert stream_messages(nats_server.url) == 1000
    assert pending_events(project) == []
    recorded = [json.loads(x)["event_id"] for x in delivered_path(project).read_text().split()]
    assert sorted(recorded) == sorted(ids)


def test_a_server_dying_with_acks_outstanding_leaves_that_batch_pending(
    project: Path, nats_server: LocalNatsServer
) -> None:
    emit_many(project, 1000)

    def freeze_then_kill(done: int, total: int) -> None:
        # Batch two is published into a frozen server and is killed before any ack.
        nats_server.pause()
        threading.Timer(0.3, nats_server.stop).start()

    with pytest.raises(DeliveryError, match=r"stopped after 100 of 1000 events: "):
        flush_events(
            project, nats_server.url, batch_size=100, timeout=10, on_batch=freeze_then_kill
        )
    assert len(pending_events(project)) == 900

    nats_server.start()
    result = flush_events(project, nats_server.url)
    assert (result.delivered, result.duplicates, result.pending) == (900, 0, 0)
    assert stream_messages(nats_server.url) == 1000


def test_acks_that_never_come_time_out_and_the_resend_is_deduplicated(
    project: Path, nats_server: LocalNatsServer
) -> None:
    emit_many(project, 300)

    def freeze(done: int, total: int) -> None:
        nats_server.pause()

    with pytest.raises(DeliveryError, match=r"after 100 of 300 events: no answer within 1s; "):
        flush_events(project, nats_server.url, batch_size=100, timeout=1, on_batch=freeze)
    assert len(pending_events(project)) == 200

    # Thawed, the server may still store what it had buffered from the dead connection.
    nats_server.resume()
    result = flush_events(project, nats_server.url)
    assert (result.delivered, result.pending) == (200, 0)
    assert stream_messages(nats_server.url) == 300


def test_events_the_stream_rejects_stay_pending(
    project: Path, nats_server: LocalNatsServer
) -> None:
    asyncio.run(_create_stream(nats_server.url, max_msgs=10))
    emit_many(project, 25)
    with pytest.raises(DeliveryError, match=r"stopped after 10 of 25 events: maximum messages"):
        flush_events(project, nats_server.url)
    assert len(pending_events(project)) == 15

    asyncio.run(_create_stream(nats_server.url, max_msgs=-1, update=True))
    assert flush_events(project, nats_server.url).delivered == 15
    assert stream_messages(nats_server.url) == 25


async def _create_stream(url: str, *, max_msgs: int, update: bool = False) -> None:
    import nats
    from nats.js.api import DiscardPolicy

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    js = client.jetstream()
    create = js.update_stream if update else js.add_stream
    await create(name="KAIZEN", subjects=["kaizen.>"], max_msgs=max_msgs, discard=DiscardPolicy.NEW)
    await client.close()


def test_without_jetstream_events_go_out_on_core_nats(project: Path, tmp_path: Path) -> None:
    ids = emit_many(project, 3)
    with LocalNatsServer(tmp_path / "core", jetstream=False) as server:
        received = asyncio.run(_flush_while_subscribed(project, server.url))
    assert [(m[0], json.loads(m[1])["event_id"]) for m in received] == [
        ("kaizen.metrics.recorded", i) for i in ids
    ]
    assert pending_events(project) == []


async def _flush_while_subscribed(root: Path, url: str) -> list[tuple[str, bytes]]:
    import nats

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    subscription = await client.subscribe("kaizen.>")
    await client.flush()
    result = await flush_events_async(root, url)
    assert (result.delivered, result.jetstream, result.stream) == (3, False, None)
    received = [await subscription.next_msg(timeout=5) for _ in range(3)]
    await client.close()
    return [(m.subject, m.data) for m in received]


async def _stream_config(url: str) -> tuple[float | None, float | None]:
    import nats

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    try:
        info = await client.jetstream().stream_info("KAIZEN")
        return info.config.duplicate_window, info.config.max_age
    finally:
        await client.close()


def test_the_stream_remembers_event_ids_for_a_day_not_two_minutes(
    project: Path, nats_server: LocalNatsServer
) -> None:
    emit_many(project, 1)
    flush_events(project, nats_server.url)
    assert asyncio.run(_stream_config(nats_server.url))[0] == 24 * 3600

    # A stream created with the server's default (by hand, or by an older version) is widened.
    asyncio.run(_recreate_stream(nats_server.url))
    assert asyncio.run(_stream_config(nats_server.url))[0] == 120
    emit_many(project, 1)
    result = flush_events(project, nats_server.url, duplicate_window=timedelta(hours=36))
    assert (result.delivered, result.warnings) == (1, ())
    assert asyncio.run(_stream_config(nats_server.url))[0] == 36 * 3600


def test_a_window_the_stream_cannot_take_is_a_warning_and_delivery_goes_on(
    project: Path, nats_server: LocalNatsServer
) -> None:
    asyncio.run(_recreate_stream(nats_server.url, max_age=600))
    emit_many(project, 2)

    result = flush_events(project, nats_server.url)

    assert result.delivered == 2
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(
        "stream KAIZEN de-duplicates re-sent events for 2 min, not 24 h ("
    )
    assert result.warnings[0].endswith(
        "): an event re-sent later than that is stored twice — widen the stream's duplicate_window"
    )
    assert result.to_dict()["warnings"] == list(result.warnings)


async def _recreate_stream(url: str, *, max_age: float | None = None) -> None:
    import nats
    from nats.js.errors import NotFoundError

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    js = client.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_stream("KAIZEN")
    await js.add_stream(name="KAIZEN", subjects=["kaizen.>"], max_age=max_age)
    await client.close()


def test_a_stream_someone_else_made_for_kaizen_subjects_is_used_and_its_window_named(
    project: Path, nats_server: LocalNatsServer
) -> None:
    asyncio.run(_other_stream(nats_server.url))
    emit_many(project, 2)

    result = flush_events(project, nats_server.url)

    assert (result.delivered, result.stream) == (2, "OTHER")
    assert result.warnings == (
        "stream OTHER de-duplicates re-sent events for 2 min, not 24 h: an event re-sent "
        "later than that is stored twice — widen the stream's duplicate_window",
    )
    assert stream_messages(nats_server.url, "OTHER") == 2


async def _other_stream(url: str) -> None:
    import nats

    client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
    await client.jetstream().add_stream(name="OTHER", subjects=["kaizen.>"])
    await client.close()
