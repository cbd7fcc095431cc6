"""Queries over records: by agent, project, domain and time, over one repo or many."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.store import MetricsStore

_RELATIVE = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
CSV_COLUMNS = (
    "timestamp",
    "agent",
    "record_id",
    "agent_version",
    "success",
    "execution_time_s",
    "quality_score",
    "session_id",
    "helix_session_uid",
    "project",
    "domain",
    "cost.usd",
    "cost.input_tokens",
    "cost.output_tokens",
    "cost.tool_invocations",
)


def parse_when(text: str, now: datetime, *, option: str = "--since") -> str:
    """A bound as a canonical timestamp, from ISO-8601 or a relative span (``7d``, ``12h``)."""
    match = _RELATIVE.fullmatch(text.strip())
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return format_timestamp(now - delta)
    try:
        return format_timestamp(parse_timestamp(text.strip()))
    except ValueError:
        raise InvalidInputError(
            f"{option}: {text!r} is not a time; use ISO-8601 (2026-01-31 or 2026-01-31T12:00:00Z)"
            " or a relative span such as 7d or 12h"
        ) from None


@dataclass(frozen=True)
class RecordFilter:
    """Which records a query keeps; None means "any"."""

    agent: str | None = None
    project: str | None = None
    domain: str | None = None
    since: str | None = None
    until: str | None = None
    helix_session_uid: str | None = None

    def keeps(self, record: dict[str, Any]) -> bool:
        stamp = str(record.get("timestamp", ""))
        return (
            (self.project is None or record.get("project") == self.project)
            and (self.domain is None or record.get("domain") == self.domain)
            and (self.since is None or stamp >= self.since)
            and (self.until is None or stamp <= self.until)
            and (
                self.helix_session_uid is None
                or record.get("helix_session_uid") == self.helix_session_uid
            )
        )


def iter_records(
    roots: Sequence[Path],
    record_filter: RecordFilter,
    *,
    repo_domains: Mapping[Path, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Matching records across *roots*, repo by repo, agent by agent, in file order.

    *repo_domains* gives a repo's domain (a roster's ``domain``): its records
    carry that domain, whatever they recorded, so a roster query by domain
    finds what ``fleet discover --domain`` finds.
    """
    domains = repo_domains or {}
    for root in roots:
        domain = domains.get(root)
        if domain is not None and record_filter.domain not in (None, domain):
            continue
        agents = MetricsStore.list_agents(root)
        if record_filter.agent is not None:
            agents = [a for a in agents if a == record_filter.agent]
        for agent in agents:
            for record in MetricsStore(root, agent).iter_executions():
                if domain is not None:
                    record = {**record, "domain": domain}
                if record_filter.keeps(record):
                    yield record


def aggregate(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (project, agent): n, success rate, averages of quality, time and cost."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (str(record.get("project", "")), str(record.get("agent", "")))
        groups.setdefault(key, []).append(record)
    rows = []
    for (project, agent), items in sorted(groups.items()):
        rows.append(
            {
                "project": project,
                "agent": agent,
                "domain": items[-1].get("domain"),
                "n": len(items),
                "success_rate": _avg([1.0 if r.get("success") else 0.0 for r in items]),
                "avg_quality_score": _avg([r.get("quality_score") for r in items]),
                "avg_execution_time_s": _avg([r.get("execution_time_s") for r in items]),
                "avg_cost_usd": _avg([(r.get("cost") or {}).get("usd") for r in items]),
                "first": min(str(r.get("timestamp")) for r in items),
                "last": max(str(r.get("timestamp")) for r in items),
            }
        )
    return rows


def records_to_csv(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text, header first, one chunk per record (nested fields as ``cost.usd``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for record in records:
        writer.writerow([_flat(record, column) for column in CSV_COLUMNS])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _flat(record: dict[str, Any], column: str) -> Any:
    node: Any = record
    for part in column.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return "" if node is None else node


def _avg(values: list[Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return round(sum(numbers) / len(numbers), 6) if numbers else None
