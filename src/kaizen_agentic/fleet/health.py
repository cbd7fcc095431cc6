"""Loop health: is the fleet ready to move to a slower cadence? (SPEC §7 ``fleet health``).

A cycle is one run of the loop over a repo's due slots; it succeeded when
every step of every slot completed. The bootstrap exit criterion holds when
each active repo has at least :data:`REQUIRED_CONSECUTIVE` consecutive
successful cycles, counting back from its latest — the evidence for moving
a cadence from hourly to daily to weekly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaizen_agentic.fleet.state import FleetState

REQUIRED_CONSECUTIVE = 3
RECENT_CYCLES = 5


@dataclass(frozen=True)
class RepoHealth:
    repo: str
    consecutive_successes: int
    recent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def meets_criterion(self) -> bool:
        return self.consecutive_successes >= REQUIRED_CONSECUTIVE

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "consecutive_successes": self.consecutive_successes,
            "meets_criterion": self.meets_criterion,
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


def fleet_health(state_dir: Path, active_repos: Sequence[str]) -> FleetHealth:
    """Health of every repo with cycles, judged against *active_repos*."""
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
    repos = [
        RepoHealth(repo, _trailing_successes(cycles), cycles[-RECENT_CYCLES:][::-1])
        for repo, cycles in sorted(by_repo.items())
    ]
    known = {r.repo: r for r in repos}
    reasons = []
    for repo in sorted(active_repos):
        health = known.get(repo)
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
    if not active_repos:
        reasons.append("no active repos with a schedule on this host")
    return FleetHealth(repos, not reasons, reasons)


def _trailing_successes(cycles: list[dict[str, Any]]) -> int:
    count = 0
    for cycle in reversed(cycles):
        if not cycle["ok"]:
            break
        count += 1
    return count
