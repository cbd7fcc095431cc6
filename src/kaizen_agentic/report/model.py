"""What the report shows, gathered once as typed values (SPEC §13).

Every number comes from the one evidence reader (:func:`load_evidence` with
``series=True``, then :func:`summarise`); the version timeline adds one
comparison per prompt edit, the ledger comes from the optimizer's files, and
the fleet page from the roster plus the loop's state. Nothing here draws or
writes HTML, so the renderers can be swapped and the data tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic.config import Config, load_config
from kaizen_agentic.report.recommendations import LedgerEntry, ledger_entries

if TYPE_CHECKING:
    from kaizen_agentic.analysis.evidence import AgentEvidence, DailySeries, Usage
    from kaizen_agentic.analysis.windows import WindowResult
    from kaizen_agentic.fleet.roster import Roster

ATTENTION_VERDICTS = ("declining", "regressed")
CHART_DAYS = 365  # charts show the last year up to the report's moment


@dataclass(frozen=True)
class VersionStep:
    """One agent version on the timeline, with the verdict of the edit that made it."""

    version: str
    usage: Usage
    success_rate: float
    quality_mean: float | None
    verdict: str | None  # None for the first version: no edit to judge
    summary: str = ""
    baseline: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentView:
    """One agent of one repo: everything its section of the page shows."""

    repo: str
    agent: str
    agent_version: str | None
    evidence: AgentEvidence
    windows: tuple[WindowResult, ...]
    versions: tuple[VersionStep, ...]
    ledger: tuple[LedgerEntry, ...]

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.agent}"

    @property
    def daily(self) -> DailySeries | None:
        """The per-day series of the last :data:`CHART_DAYS` days up to the evidence's now.

        A run stamped in year 1 or 9999 stays in the tables but off the charts.
        """
        daily = self.evidence.daily
        if daily is None:
            return None
        return recent_days(
            daily,
            self.evidence.now.timestamp() - CHART_DAYS * 86400.0,
            self.evidence.now.timestamp(),
        )

    def charted(self, moment: str | None) -> bool:
        """Whether an ISO time falls in the span the charts draw."""
        if not moment:
            return False
        from kaizen_agentic._time import parse_timestamp

        now = self.evidence.now.timestamp()
        try:
            return now - CHART_DAYS * 86400.0 <= parse_timestamp(moment).timestamp() <= now
        except ValueError:  # not a time the charts could place
            return False

    @property
    def has_runs(self) -> bool:
        return self.evidence.has_records

    def trend_window(self) -> WindowResult | None:
        """The widest window with a quality trend: the one the charts draw."""
        usable = [w for w in self.windows if w.trend is not None]
        return usable[-1] if usable else None

    def attention(self) -> list[str]:
        """Why a person should look at this agent now (empty: nothing to see)."""
        reasons = []
        for window in self.windows:
            for what, trend in (("quality", window.trend), ("success", window.success_trend)):
                if trend is not None and trend.verdict in ATTENTION_VERDICTS:
                    reasons.append(f"{what} {trend.verdict} over {window.window}")
        latest = self.versions[-1] if self.versions else None
        if latest is not None and latest.verdict == "regressed":
            reasons.append(f"version {latest.version} regressed against {latest.baseline}")
        high = [e for e in self.ledger if e.state == "open" and e.severity == "high"]
        if high:
            reasons.append(f"{len(high)} open high-severity recommendation(s)")
        return reasons


@dataclass(frozen=True)
class CycleCell:
    """One repo in one loop cycle: done, failed, skipped or stale."""

    cycle: str
    at: str
    state: str
    detail: str = ""


@dataclass(frozen=True)
class RepoRow:
    """One roster repo on the fleet page."""

    repo: str
    status: str
    cells: tuple[CycleCell, ...]
    consecutive_successes: int
    meets_criterion: bool
    note: str = ""  # why a repo is skipped
    attention: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetView:
    host: str
    cycles: tuple[tuple[str, str], ...]  # (cycle id, time), oldest first
    repos: tuple[RepoRow, ...]
    criterion_met: bool
    required_consecutive: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReportData:
    title: str
    generated_at: datetime
    agents: tuple[AgentView, ...]
    fleet: FleetView | None = None
    notes: tuple[str, ...] = field(default=())


def recent_days(daily: DailySeries, start: float, end: float) -> DailySeries:
    """The days of *daily* from *start* to *end* (epoch seconds)."""
    from kaizen_agentic.analysis.evidence import DailySeries

    keep = [i for i, day in enumerate(daily.day) if start - 86400.0 < day <= end]

    def pick(values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(values[i] for i in keep)

    return DailySeries(
        day=pick(daily.day),
        runs=pick(daily.runs),
        success_rate=pick(daily.success_rate),
        quality=pick(daily.quality),
        usd=pick(daily.usd),
        tokens=pick(daily.tokens),
        runs_by_source={
            source: counts
            for source, all_counts in daily.runs_by_source.items()
            if any(counts := pick(all_counts))
        },
    )


def agent_view(root: Path, agent: str, *, repo: str, config: Config, now: datetime) -> AgentView:
    """Read one agent's evidence once and shape it for the page."""
    from kaizen_agentic.analysis.evidence import load_evidence, summarise

    evidence = load_evidence(root, agent, config, now=now, series=True)
    summary = summarise(evidence)
    return AgentView(
        repo=repo,
        agent=agent,
        agent_version=evidence.agent_version,
        evidence=evidence,
        windows=summary.windows,
        versions=tuple(version_steps(evidence)),
        ledger=tuple(ledger_entries(root, agent)),
    )


def version_steps(evidence: AgentEvidence) -> list[VersionStep]:
    """Each version in order, the edit that made it compared with the version before."""
    from kaizen_agentic.analysis.compare import compare_runs

    steps: list[VersionStep] = []
    previous: str | None = None
    min_samples = int(evidence.config.get("optimizer.min_samples"))
    for version, runs in evidence.versions.items():
        usage = evidence.usage_by_version.get(version)
        if usage is None:
            continue
        scores = [float(q) for q in runs.quality]
        quality = sum(scores) / len(scores) if scores else None
        step = VersionStep(version, usage, runs.successes / runs.runs, quality, None)
        if previous is not None:
            result = compare_runs(
                evidence.versions, previous, version, min_samples=min_samples
            ).to_dict()
            step = VersionStep(
                version,
                usage,
                step.success_rate,
                quality,
                str(result["verdict"]),
                str(result.get("summary") or ""),
                previous,
                tuple(_warnings(result)),
            )
        steps.append(step)
        previous = version
    return steps


def _warnings(result: dict[str, Any]) -> list[str]:
    """The comparison's warnings (``confounded_by_time`` among them), as short lines."""
    found = result.get("warnings") or []
    return [w if isinstance(w, str) else str(w.get("code") or w) for w in found]


def repo_agents(root: Path, agents: Sequence[str] = ()) -> list[str]:
    """The agents with metrics in *root*, or those of *agents* that have them."""
    from kaizen_agentic.metrics.store import MetricsStore

    known = MetricsStore.list_agents(root)
    return [a for a in known if a in agents] if agents else known


def repo_views(
    root: Path, *, repo: str, agents: Sequence[str] = (), now: datetime
) -> list[AgentView]:
    config = load_config(root)
    return [
        agent_view(root, name, repo=repo, config=config, now=now)
        for name in repo_agents(root, agents)
    ]


def collect_repo(
    root: Path, *, agents: Sequence[str] = (), now: datetime | None = None
) -> ReportData:
    """The report of one repo: every agent with metrics (or the ones named)."""
    now = now or datetime.now(timezone.utc)
    repo = root.resolve().name
    views = repo_views(root, repo=repo, agents=agents, now=now)
    notes = () if views else (_no_data_note(root, agents),)
    return ReportData(f"kaizen report — {repo}", now, tuple(views), None, notes)


def collect_fleet(
    roster: Roster,
    *,
    host: str,
    state_dir: Path,
    agents: Sequence[str] = (),
    now: datetime | None = None,
) -> ReportData:
    """The report of a fleet: each active repo's agents plus the health grid."""
    now = now or datetime.now(timezone.utc)
    views: list[AgentView] = []
    for repo in roster.repos:
        path = repo.path_on(host)
        if repo.active and path is not None and path.is_dir():
            views += repo_views(path, repo=repo.slug, agents=agents, now=now)
    fleet = fleet_view(roster, host, state_dir, views)
    notes = () if views else ("No agent of this fleet has recorded runs yet.",)
    return ReportData(f"kaizen fleet report — {host}", now, tuple(views), fleet, notes)


def fleet_view(roster: Roster, host: str, state_dir: Path, views: Sequence[AgentView]) -> FleetView:
    """Repos × the fleet's recent cycles, the exit criterion and who needs attention."""
    from kaizen_agentic.fleet.health import RECENT_CYCLES, REQUIRED_CONSECUTIVE, fleet_health

    active = [r.slug for r in roster.repos if r.active and _skip_note(r, host) == ""]
    health = fleet_health(state_dir, active)
    by_repo = {h.repo: h for h in health.repos}
    seen = {(c["cycle"], c["at"]) for h in health.repos for c in h.recent}
    cycles = tuple(sorted(seen, key=lambda c: c[1])[-RECENT_CYCLES:])
    rows = []
    for repo in roster.repos:
        note = _skip_note(repo, host)
        record = by_repo.get(repo.slug)
        ran = {c["cycle"]: c for c in record.recent} if record else {}
        cells = tuple(_cell(cycle, at, ran.get(cycle), note) for cycle, at in cycles)
        attention = [f"{v.agent}: {r}" for v in views if v.repo == repo.slug for r in v.attention()]
        rows.append(
            RepoRow(
                repo.slug,
                repo.status,
                cells,
                record.consecutive_successes if record else 0,
                bool(record and record.meets_criterion),
                note,
                tuple(attention),
            )
        )
    return FleetView(
        host,
        cycles,
        tuple(rows),
        health.criterion_met,
        REQUIRED_CONSECUTIVE,
        tuple(health.reasons),
    )


def _cell(cycle: str, at: str, ran: dict[str, Any] | None, note: str) -> CycleCell:
    if ran is not None:
        failures = "; ".join(ran.get("failures") or [])
        return CycleCell(cycle, at, "done" if ran["ok"] else "failed", failures)
    if note:
        return CycleCell(cycle, at, "skipped", note)
    return CycleCell(cycle, at, "stale", "not run in this cycle")


def _skip_note(repo: Any, host: str) -> str:
    """Why the loop leaves *repo* out on *host*; empty when it should run."""
    from kaizen_agentic.schedule import schedule_path

    if not repo.active:
        return f"status {repo.status}"
    path = repo.path_on(host)
    if path is None:
        return f"no checkout on {host}"
    if not path.is_dir():
        return "checkout missing"
    if not schedule_path(path).is_file():
        return "no .kaizen/schedule.yml"
    return ""


def _no_data_note(root: Path, agents: Sequence[str]) -> str:
    if agents:
        return f"No runs recorded for {', '.join(agents)} in {root.resolve().name}."
    return (
        f"No runs recorded in {root.resolve().name} yet; record one with "
        "kaizen-agentic metrics record AGENT --success, or capture them with "
        "kaizen-agentic capture claude."
    )
