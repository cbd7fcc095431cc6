"""Qualitative feedback on an agent: ``.kaizen/agents/<name>/feedback.jsonl`` (SPEC §5).

Ratings (1-5) feed the quality and collaboration strategies of the metrics
analytics; comments are shown in the coach brief.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import append_line, ensure_dir, exclusive_lock
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.paths import agent_state_dir

if TYPE_CHECKING:
    from kaizen_agentic.analysis.windows import Feedback


def feedback_path(root: Path, agent: str) -> Path:
    return agent_state_dir(root, agent) / "feedback.jsonl"


MAX_COMMENT_CHARS = 2000


def add_feedback(
    root: Path,
    agent: str,
    rating: int,
    comment: str,
    *,
    author: str | None = None,
    now: str | None = None,
    run: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one rating with its comment; return the entry written.

    *rating* must be a whole number from 1 to 5 and *comment* at most
    :data:`MAX_COMMENT_CHARS` characters; otherwise nothing is written.
    With *run* (an execution record), the rating is about that run: the
    entry names it, the analytics count it at the run's time, and the run
    carries it as ``feedback_rating`` (an attachment, SPEC §3).
    """
    from kaizen_agentic._time import format_timestamp, utc_now

    if run is None:  # a rating of a recorded run needs no registry entry: the run is the agent
        from kaizen_agentic.agents import AgentRegistry

        AgentRegistry(root).require(agent)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInputError(f"rating: must be a whole number from 1 to 5, got {rating!r}")
    if not isinstance(comment, str):
        raise InvalidInputError(f"comment: must be text, got {type(comment).__name__}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInputError(
            f"comment: {len(comment)} characters is over the {MAX_COMMENT_CHARS}-character "
            "limit; shorten it"
        )
    if author is not None:
        author = author.strip()
        if not author or len(author.splitlines()) > 1 or len(author) > 200:
            raise InvalidInputError(
                f"from: {author!r} is not a usable name; pass one short line such as a user name"
            )
    entry = {
        "agent": agent,
        "comment": comment,
        "from": author,
        "rating": rating,
        "timestamp": now or format_timestamp(utc_now()),
    }
    if run is not None:
        entry["run"] = run.get("record_id")
        entry["run_timestamp"] = run.get("timestamp")
    path = feedback_path(root, agent)
    ensure_dir(root, path.parent)
    with exclusive_lock(path.with_name(".feedback.lock"), root=root):
        append_line(path, json.dumps(entry, sort_keys=True, ensure_ascii=False), root=root)
    if run is not None:
        from kaizen_agentic.metrics.store import MetricsStore

        MetricsStore(root, agent).attach(str(run["record_id"]), {"feedback_rating": rating})
    return entry


def find_rated_run(root: Path, agent: str, record_id: str) -> dict[str, Any]:
    """The run a rating names; an id no run of *agent* has is refused."""
    from kaizen_agentic.metrics.store import MetricsStore

    run = MetricsStore(root, agent).find_run(record_id=record_id)
    if run is None:
        raise InvalidInputError(
            f"--run: no run {record_id!r} in {agent}'s records; see the ids with: "
            f"kaizen-agentic metrics export {agent}"
        )
    return run


def list_feedback(root: Path, agent: str) -> list[dict[str, Any]]:
    """Every well-formed entry, oldest first.

    A line that is not a JSON object with a whole-number rating from 1 to 5
    (e.g. one torn by a crash) is skipped with a ``MalformedLineWarning``.
    """
    from kaizen_agentic._jsonl import iter_jsonl
    from kaizen_agentic.errors import MalformedLineWarning

    path = feedback_path(root, agent)
    entries = []
    for number, entry in iter_jsonl(path, root=root):
        if _is_rating(entry.get("rating")):
            entries.append(entry)
        else:
            warnings.warn(
                f"{path}:{number}: skipped a malformed line", MalformedLineWarning, stacklevel=2
            )
    return entries


def _is_rating(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def read_feedback_ratings(root: Path, agent: str) -> Feedback:
    """Ratings with their times, as the analytics strategies take them."""
    from kaizen_agentic._time import parse_timestamp
    from kaizen_agentic.analysis.windows import Feedback

    times, ratings = [], []
    for entry in list_feedback(root, agent):
        # a rating of a run counts when the run happened, in the run's window
        moment = entry.get("run_timestamp") or entry.get("timestamp")
        try:
            times.append(parse_timestamp(str(moment)).timestamp())
        except ValueError:
            continue
        ratings.append(float(entry["rating"]))
    return Feedback(times, ratings)
