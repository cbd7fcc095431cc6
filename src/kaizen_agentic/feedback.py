"""Qualitative feedback on an agent: ``.kaizen/agents/<name>/feedback.jsonl`` (SPEC §5).

Ratings (1-5) feed the quality and collaboration strategies of the metrics
analytics; comments are shown in the coach brief.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import append_line, exclusive_lock
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.names import validate_name

if TYPE_CHECKING:
    from kaizen_agentic.metrics.analytics import Feedback


def agent_state_dir(root: Path, agent: str) -> Path:
    """``<root>/.kaizen/agents/<agent>``: memory, feedback and protocols live here."""
    return root / ".kaizen" / "agents" / validate_name(agent)


def feedback_path(root: Path, agent: str) -> Path:
    return agent_state_dir(root, agent) / "feedback.jsonl"


def add_feedback(
    root: Path,
    agent: str,
    rating: int,
    comment: str,
    *,
    author: str | None = None,
    now: str | None = None,
) -> dict[str, Any]:
    """Append one rating with its comment; return the entry written."""
    from kaizen_agentic.metrics.records import format_timestamp, utc_now

    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInputError(f"rating: must be a whole number from 1 to 5, got {rating!r}")
    entry = {
        "agent": agent,
        "comment": comment,
        "from": author,
        "rating": rating,
        "timestamp": now or format_timestamp(utc_now()),
    }
    path = feedback_path(root, agent)
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(path.with_name(".feedback.lock")):
        append_line(path, json.dumps(entry, sort_keys=True, ensure_ascii=False))
    return entry


def list_feedback(root: Path, agent: str) -> list[dict[str, Any]]:
    """Every well-formed entry, oldest first; malformed lines are skipped."""
    path = feedback_path(root, agent)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("rating"), int):
            entries.append(entry)
    return entries


def read_feedback_ratings(root: Path, agent: str) -> Feedback:
    """Ratings with their times, as the analytics strategies take them."""
    from kaizen_agentic.metrics.analytics import Feedback
    from kaizen_agentic.metrics.records import parse_timestamp

    times, ratings = [], []
    for entry in list_feedback(root, agent):
        try:
            times.append(parse_timestamp(str(entry.get("timestamp"))).timestamp())
        except ValueError:
            continue
        ratings.append(float(entry["rating"]))
    return Feedback(times, ratings)
