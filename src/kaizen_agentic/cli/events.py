"""Event commands: list the outbox, flush it to NATS, compact it (SPEC §8)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import click

from kaizen_agentic.cli._output import emit, json_option, table, target_option
from kaizen_agentic.config import load_config
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.events import (
    NATS_URL_ENV,
    compact_events,
    flush_events,
    list_events,
    resolve_nats_url,
)
from kaizen_agentic.metrics.recorded_events import recover_recorded_events


@click.group("events")
def events_group() -> None:
    """Inspect the event outbox and deliver pending events to NATS.

    Every event is first written to .kaizen/events/outbox.jsonl; `flush`
    delivers the pending ones to NATS (JetStream stream KAIZEN when available);
    `compact` drops delivered events older than events.retention_days. Each
    first recovers the event of any record a crash separated from it.

    Example:

    \b
        kaizen-agentic events list --pending
        kaizen-agentic events flush --nats nats://127.0.0.1:4222
        kaizen-agentic events compact
    """


@events_group.command("list")
@click.option("--pending", "pending_only", is_flag=True, help="Only events not yet delivered.")
@target_option
@json_option
def list_command(pending_only: bool, target: Path, as_json: bool) -> None:
    """List the outbox's events, oldest first, with their delivery state.

    Example:

    \b
        kaizen-agentic events list --pending --json
    """
    recover_recorded_events(target)
    events = list_events(target, pending_only=pending_only)

    def human() -> None:
        if not events:
            click.echo("No pending events." if pending_only else "No events.")
            return
        rows = [
            [
                e["occurred_at"],
                e["event"],
                e.get("agent"),
                "delivered" if e["delivered"] else "pending",
                e["event_id"],
            ]
            for e in events
        ]
        click.echo(table(["OCCURRED_AT", "EVENT", "AGENT", "STATE", "EVENT_ID"], rows))
        waiting = sum(not e["delivered"] for e in events)
        click.echo(f"\n{len(events)} events, {waiting} pending")

    emit(events, as_json=as_json, human=human)


@events_group.command("flush")
@click.option(
    "--nats",
    "nats_url",
    metavar="URL",
    help=f"NATS server, e.g. nats://127.0.0.1:4222 (default: ${NATS_URL_ENV}).",
)
@target_option
@json_option
def flush_command(nats_url: str | None, target: Path, as_json: bool) -> None:
    """Deliver pending events to NATS, each at least once.

    Events go to the JetStream stream KAIZEN (subjects kaizen.>, created when
    missing) with the event id as the de-duplication id; the stream remembers
    ids for events.duplicate_window_hours (default 24), so an event re-sent
    within that time is stored once. Events NATS did not acknowledge stay
    pending for the next flush.

    Example:

    \b
        KAIZEN_NATS_URL=nats://127.0.0.1:4222 kaizen-agentic events flush
    """
    config = load_config(target)
    url = resolve_nats_url(nats_url, os.environ, config.get("events.nats_url"))
    if url is None:
        raise InvalidInputError(f"no NATS URL is configured: pass --nats URL or set {NATS_URL_ENV}")
    recover_recorded_events(target)
    window = timedelta(hours=config.get("events.duplicate_window_hours"))
    result = flush_events(target, url, duplicate_window=window)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)

    def human() -> None:
        if result.jetstream is None:
            click.echo("No pending events.")
            return
        where = f"stream {result.stream}" if result.jetstream else "core NATS, no JetStream"
        click.echo(
            f"Delivered {result.delivered} events to {result.url} ({where}); "
            f"{result.pending} pending."
        )
        if result.duplicates:
            click.echo(
                f"{result.duplicates} of them were already in the stream (not stored twice)."
            )

    emit(result, as_json=as_json, human=human)


@events_group.command("compact")
@target_option
@json_option
def compact_command(target: Path, as_json: bool) -> None:
    """Drop delivered events older than events.retention_days (default 30).

    Pending events stay, however old. The outbox and the delivery records
    are rewritten atomically.

    Example:

    \b
        kaizen-agentic events compact --json
    """
    retention = load_config(target).get("events.retention_days")
    recover_recorded_events(target)
    result = compact_events(target, retention_days=retention)

    def human() -> None:
        click.echo(
            f"Dropped {result.dropped} delivered events older than {result.retention_days} "
            f"days (before {result.cutoff}); {result.kept} events kept."
        )

    emit(result, as_json=as_json, human=human)
