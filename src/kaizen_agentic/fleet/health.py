"""Loop health: is the fleet ready to move to a slower cadence? (SPEC §7 ``fleet health``).

A cycle is one run of the loop over a repo's due slots; it succeeded when
every step of every slot completed. The bootstrap exit criterion holds when
each active repo has at least :data:`REQUIRED_CONSECUTIVE` consecutive
successful cycles, counting back from its latest — the evidence for moving
a cadence from hourly to daily to weekly — and none is ``stale``: skipped by
discovery (checkout missing, schedule invalid) or without a cycle since its
latest due slot (plus the grace a slot has to start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.fleet.state import FleetState

if TYPE_CHECKING:
    from kaizen_agentic.fleet.resolver import ScheduledRun, SkippedRepo

REQUIRED_CONSECUTIVE = 3
RECENT_CYCLES = 5


@dataclass(frozen=True)
class RepoHealth:
    repo: str
    consecutive_successes: int
    recent: list[dict[str, Any]] = field(default_factory=list)
    stale: str | None = None  # why the repo is stale, None when it is not

    @property
    def meets_criterion(self) -> bool:
        return self.stale is None and self.consecutive_successes >= REQUIRED_CONSECUTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "consecutive_successes": self.consecutive_successes,
            "meets_criterion": self.meets_criterion,
            "stale": self.stale is not None,
            "stale_reason": self.stale,
            "recent_cycles": self.recent,
        }


@dataclass(frozen=True)
class FleetHealth:
    repos: list[RepoHealth]
    criterion_met: bool
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "bootstrap_exit_criterion": {
                "met": self.criterion_met,
                "required_consecutive": REQUIRED_CONSECUTIVE,
                "reasons": self.reasons,
            },
            "repos": [r.to_dict() for r in self.repos],
        }


def fleet_health(
    state_dir: Path,
    active_repos: Sequence[str],
    *,
    skipped: Sequence[SkippedRepo] = (),
    runs: Sequence[ScheduledRun] = (),
    now: datetime | None = None,
    grace: timedelta = timedelta(hours=1),
) -> FleetHealth:
    """Health of every repo with cycles, judged against *active_repos*.

    *skipped* (repos discovery left out) are stale; so is a repo of *runs*
    whose last cycle is older than its latest slot due by *now* less *grace*.
    """
    state = FleetState(state_dir)
    try:
        by_repo: dict[str, list[dict[str, Any]]] = {}
        for row in state.cycles():
            by_repo.setdefault(row.repo, []).append(
                {"cycle": row.cycle, "at": row.at, "ok": row.ok}
            )
        for repo, cycles in by_repo.items():
            for cycle in cycles[-RECENT_CYCLES:]:  # step detail only where it is shown
                steps = state.steps(cycle["cycle"], repo)
                cycle["duration_s"] = round(sum(s["duration_s"] for s in steps), 3)
                cycle["steps"] = steps
                cycle["failures"] = [
                    f"{s['agent']}/{s['step']}: {s['error']}"
                    for s in steps
                    if s["status"] != "completed"
                ]
    finally:
        state.close()
    overdue = _overdue(runs, now or datetime.now(timezone.utc), grace)
    why_skipped = {
        s.repo: f"skipped by discovery ({s.reason}{': ' + '; '.join(s.errors) if s.errors else ''})"
        for s in skipped
    }
    repos = []
    for repo in sorted({*by_repo, *why_skipped}):
        cycles = by_repo.get(repo, [])
        last = cycles[-1]["at"] if cycles else None
        stale = why_skipped.get(repo) or _stale_since(overdue.get(repo), last)
        repos.append(
            RepoHealth(repo, _trailing_successes(cycles), cycles[-RECENT_CYCLES:][::-1], stale)
        )
    known = {r.repo: r for r in repos}
    reasons = [f"{r.repo}: stale — {r.stale}" for r in repos if r.stale]
    for repo in sorted(active_repos):
        health = known.get(repo)
        if health is not None and health.stale:
            continue
        if health is None:
            reasons.append(f"{repo}: no cycles recorded yet")
        elif not health.meets_criterion:
            last = health.recent[0] if health.recent else None
            why = (
                f"; last failure: {'; '.join(last['failures'])}" if last and not last["ok"] else ""
            )
            reasons.append(
                f"{repo}: {health.consecutive_successes} consecutive successful "
                f"cycles, needs {REQUIRED_CONSECUTIVE}{why}"
            )
    if not active_repos and not skipped:
        reasons.append("no active repos with a schedule on this host")
    return FleetHealth(repos, not reasons, reasons)


def _overdue(runs: Sequence[ScheduledRun], now: datetime, grace: timedelta) -> dict[str, datetime]:
    """Per repo, its latest slot that should have run by *now* (its start grace included)."""
    from kaizen_agentic.schedule import fire_times, resolve_timezone

    cutoff = now - grace
    latest: dict[str, datetime] = {}
    for run in runs:
        slots = fire_times(
            run.cron, resolve_timezone(run.timezone), cutoff - timedelta(days=32), cutoff
        )
        if slots and (run.repo not in latest or slots[-1] > latest[run.repo]):
            latest[run.repo] = slots[-1]
    return latest


def _stale_since(due: datetime | None, last_cycle: str | None) -> str | None:
    if due is None or last_cycle is None:
        return None
    try:
        last = parse_timestamp(last_cycle)
    except ValueError:
        return None
    if last >= due:
        return None
    return f"no cycle since the slot of {format_timestamp(due)} (last cycle {last_cycle})"


def _trailing_successes(cycles: list[dict[str, Any]]) -> int:
    count = 0
    for cycle in reversed(cycles):
        if not cycle["ok"]:
            break
        count += 1
    return count
