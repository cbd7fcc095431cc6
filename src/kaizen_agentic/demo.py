"""The guided tour behind ``make demo``: a small generated fleet run through the whole loop.

Three repos with realistic histories — one agent that improves after a
prompt edit, one that declines, one that is stable — live through six weekly
cycles of the loop, their runs arriving as the weeks pass. So the output
tells the closed loop: a recommendation raised on the old prompt, addressed
by the edit and verified by the comparison; the coach of the declining agent's
repo targeting it, with its evidence in the bundle; loop health; and the
fleet's HTML report. The runs are captured as a user's would be (SPEC §11,
§12): Claude Code transcripts in the documented format are generated under
``<dir>/claude/projects/`` and imported, so every run carries tokens and cost.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic.agents import AgentRegistry, install_agents
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.store import MetricsStore

MARKER = ".kaizen-demo"
HOST = "demo-host"
HISTORY_DAYS = 60
WEEKS = 6  # weekly cycles, the first one before the prompt edit
SCHEDULE = """version: "1"
timezone: UTC
agents:
  optimization: {cadence: weekly, cron: "0 9 * * 1"}
  coach:        {cadence: weekly, cron: "15 9 * * 1"}
"""


@dataclass(frozen=True)
class DemoAgent:
    repo: str
    agent: str
    story: str  # "improving" | "declining" | "stable"


CAST = (
    DemoAgent("payments-api", "tdd-workflow", "improving"),
    DemoAgent("web-frontend", "code-reviewer", "declining"),
    DemoAgent("data-pipeline", "release-manager", "stable"),
)


@dataclass
class DemoReport:
    """What the demo did and found, for the CLI to narrate."""

    directory: Path
    roster: Path
    state: Path
    at: datetime
    scheduled_runs: int = 0
    cycles: list[str] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    recommendations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ledger: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comparison: dict[str, Any] = field(default_factory=dict)
    trends: dict[str, str] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)
    coach: dict[str, Any] = field(default_factory=dict)  # web-frontend's last coach task
    report: Path | None = None  # the fleet's HTML report; None without the report extra
    report_problem: str = ""


def run_demo(directory: Path, *, now: datetime | None = None, seed: int = 7) -> DemoReport:
    """Build the demo fleet under *directory* (replacing an earlier demo) and run the loop."""
    from kaizen_agentic.analysis.compare import compare_runs
    from kaizen_agentic.analysis.evidence import load_evidence
    from kaizen_agentic.analysis.ledger import open_recommendations, read_ledger
    from kaizen_agentic.fleet import discover_scheduled_runs, load_roster
    from kaizen_agentic.fleet.health import fleet_health
    from kaizen_agentic.fleet.runner import run_cycle

    now = now or datetime.now(timezone.utc)
    directory = _fresh(directory)
    rng = random.Random(seed)
    roster, histories = _build_fleet(directory, now, rng)
    state = directory / "state"
    at = _last_monday_slot(now)
    report = DemoReport(directory, roster, state, at)
    for weeks_ago in range(WEEKS - 1, -1, -1):  # runs arrive week by week, the loop runs weekly
        slot = at - timedelta(weeks=weeks_ago)
        for history in histories:
            history.write_until(slot)
        runs = discover_scheduled_runs(None, None, slot, roster=load_roster(roster), host=HOST).runs
        cycle = run_cycle(runs, state, at=slot)
        report.cycles.append(cycle.at)
    for history in histories:
        history.write_until(now)
    report.scheduled_runs = len(runs)
    report.outcomes = [o.to_dict() for o in cycle.outcomes]
    for cast in CAST:
        root = directory / "repos" / cast.repo
        name = f"{cast.repo}/{cast.agent}"
        report.recommendations[name] = open_recommendations(root, cast.agent)
        report.ledger[name] = [e.to_dict() for e in read_ledger(root, cast.agent)]
        summary = MetricsStore(root, cast.agent).summarise(now=at)
        report.trends[name] = summary["trend"]["quality_score"]
    improving = CAST[0]
    evidence = load_evidence(directory / "repos" / improving.repo, improving.agent, now=at)
    report.comparison = compare_runs(evidence.versions).to_dict()
    report.health = fleet_health(state, [c.repo for c in CAST]).to_dict()
    coach = next(o for o in cycle.outcomes if o.repo == CAST[1].repo and o.agent == "coach")
    report.coach = json.loads(Path(str(coach.task_path)).read_text())
    _write_fleet_report(report)
    return report


def _write_fleet_report(report: DemoReport) -> None:
    from kaizen_agentic.report import write_report

    try:
        written = write_report(
            report.directory / "report.html",
            roster=report.roster,
            host=HOST,
            state_dir=report.state,
            now=report.at,
        )
    except KaizenError as error:  # the charting extra is optional; the tour is not
        report.report_problem = error.message
        return
    report.report = written.path


def _fresh(directory: Path) -> Path:
    directory = directory.resolve()
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise KaizenError(
                f"{directory} is not empty and is not an earlier demo; choose another --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("generated by kaizen-agentic demo; safe to delete\n")
    return directory


def _build_fleet(directory: Path, now: datetime, rng: random.Random) -> tuple[Path, list[_History]]:
    entries, histories = [], []
    for cast in CAST:
        root = directory / "repos" / cast.repo
        root.mkdir(parents=True)
        (root / "SCOPE.md").write_text(
            f"# {cast.repo}\n\nWhat this repo is for and what is out of scope.\n"
        )
        registry = AgentRegistry(root)
        install_agents(registry, ["coach", "optimization"])
        # the measured agent runs as a Claude Code subagent, so capture versions its file
        install_agents(registry, [cast.agent], claude=True)
        (root / ".git").mkdir()
        schedule = root / ".kaizen" / "schedule.yml"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        schedule.write_text(SCHEDULE)
        histories.append(_History(root, cast, _history(cast, now, rng), rng))
        from kaizen_agentic.orient.memory import add_memory, init_memory

        init_memory(root, cast.agent, now=now)
        add_memory(
            root,
            cast.agent,
            f"{cast.repo} runs its tests with `make test`.",
            section="project-context",
            now=now,
        )
        entries.append(
            {
                "slug": cast.repo,
                "domain": "demo",
                "status": "active",
                "host_paths": {HOST: str(root)},
            }
        )
    roster = directory / "roster.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": entries}, indent=2) + "\n")
    return roster, histories


Run = tuple[datetime, dict[str, Any], bool]  # when, the record's fields, edited before it


def _history(cast: DemoAgent, now: datetime, rng: random.Random) -> list[Run]:
    """~3 runs a day for 60 days; the improving agent gets a prompt edit halfway."""
    runs = HISTORY_DAYS * 3
    found = []
    for i in range(runs):
        progress = i / runs
        moment = (
            now
            - timedelta(days=HISTORY_DAYS)
            + timedelta(days=HISTORY_DAYS * progress, minutes=rng.randint(0, 300))
        )
        success_p, quality, seconds = _story(cast.story, progress, i >= runs // 2)
        record: dict[str, Any] = {
            "success": rng.random() < success_p,
            "quality_score": round(min(max(rng.gauss(quality, 0.06), 0.0), 1.0), 3),
            "execution_time_s": round(max(rng.gauss(seconds, seconds * 0.15), 1.0), 1),
            "cost": {
                "usd": round(max(rng.gauss(seconds / 400, 0.01), 0.0), 4),
                "input_tokens": rng.randint(8000, 30000),
                "output_tokens": rng.randint(800, 4000),
            },
        }
        if not record["success"]:
            record["metadata"] = {"failure_reason": rng.choice(_FAILURES[cast.story])}
        found.append((moment, record, cast.story == "improving" and i == runs // 2))
    return found


@dataclass
class _History:
    """One agent's generated runs, appended as the demo's clock passes them."""

    root: Path
    cast: DemoAgent
    runs: list[Run]
    rng: random.Random
    written: int = 0

    def write_until(self, moment: datetime) -> None:
        """Capture every run up to *moment*: transcripts written, imported, outcomes attached."""
        prompt = self.root / ".claude" / "agents" / f"{self.cast.agent}.md"
        sessions = self.root.parent.parent / "claude" / "projects" / self.root.name
        outcomes: dict[str, dict[str, Any]] = {}
        while self.written < len(self.runs) and self.runs[self.written][0] <= moment:
            when, fields, edit = self.runs[self.written]
            if edit:  # the runs before the edit are imported against the file they ran with
                self._capture(sessions, outcomes)
                outcomes = {}
                prompt.write_text(prompt.read_text() + _PROMPT_EDIT)
            session = f"{self.cast.repo}-{self.written:04d}"
            _write_transcripts(
                sessions, session, self.cast.agent, when, fields["execution_time_s"], self.rng
            )
            outcomes[session] = {k: v for k, v in fields.items() if k in _OUTCOME_KEYS}
            self.written += 1
        self._capture(sessions, outcomes)

    def _capture(self, sessions: Path, outcomes: dict[str, dict[str, Any]]) -> None:
        from kaizen_agentic.capture.service import import_transcripts

        if not outcomes:
            return
        import_transcripts(self.root, [sessions])
        _attach_outcomes(self.root, self.cast.agent, outcomes)


_OUTCOME_KEYS = ("success", "quality_score", "metadata")


def _attach_outcomes(root: Path, agent: str, outcomes: dict[str, dict[str, Any]]) -> None:
    """The agent's reported outcome and quality, attached to each captured run (§3)."""
    store = MetricsStore(root, agent)
    by_session = {r.get("session_id"): r["record_id"] for r in store.iter_executions()}
    for session, outcome in outcomes.items():
        record_id = by_session.get(session)
        if record_id is not None:
            store.attach(str(record_id), outcome)


def _write_transcripts(
    folder: Path, session: str, agent: str, end: datetime, seconds: float, rng: random.Random
) -> None:
    """One session in Claude Code's layout: the parent's Task call and the subagent's file.

    Each API message is streamed as two lines sharing ``message.id`` and
    ``requestId``, the first with a placeholder ``output_tokens``, as Claude
    Code wrote them before 2.1.97; no prompt or reply text is needed.
    """
    agent_id = f"a{rng.getrandbits(48):012x}"
    subagents = folder / session / "subagents"
    subagents.mkdir(parents=True, exist_ok=True)
    start = end - timedelta(seconds=seconds)
    turns = rng.randint(3, 8)
    lines = [_line("user", session, agent_id, start, {"role": "user", "content": "task"})]
    for turn in range(turns):
        at = start + timedelta(seconds=seconds * (turn + 1) / turns)
        usage = {
            "input_tokens": rng.randint(4, 40),
            "cache_read_input_tokens": rng.randint(8000, 30000),
            "cache_creation_input_tokens": rng.randint(200, 2000),
            "output_tokens": int(seconds * rng.uniform(8, 12)),
        }
        message_id, request_id = f"msg_{agent_id}_{turn}", f"req_{agent_id}_{turn}"
        tool = {"type": "tool_use", "id": f"toolu_{agent_id}_{turn}", "name": "Bash", "input": {}}
        for output in (1, usage["output_tokens"]):
            message = {
                "id": message_id,
                "model": DEMO_MODEL,
                "role": "assistant",
                "content": [tool],
                "usage": {**usage, "output_tokens": output},
            }
            lines.append(_line("assistant", session, agent_id, at, message, requestId=request_id))
        result = {"type": "tool_result", "tool_use_id": tool["id"], "content": "ok"}
        lines.append(_line("user", session, agent_id, at, {"role": "user", "content": [result]}))
    (subagents / f"agent-{agent_id}.jsonl").write_text("\n".join(lines) + "\n")
    (subagents / f"agent-{agent_id}.meta.json").write_text(json.dumps({"agentType": agent}))
    call = {
        "type": "tool_use",
        "id": "toolu_task",
        "name": "Task",
        "input": {"subagent_type": agent},
    }
    parent = {"role": "assistant", "model": DEMO_MODEL, "content": [call]}
    (folder / f"{session}.jsonl").write_text(
        _line("assistant", session, None, start, parent) + "\n"
    )


DEMO_MODEL = "claude-sonnet-4-5-20250929"


def _line(
    kind: str,
    session: str,
    agent_id: str | None,
    at: datetime,
    message: dict[str, Any],
    **extra: Any,
) -> str:
    entry: dict[str, Any] = {
        "type": kind,
        "sessionId": session,
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        "version": "2.1.39",
        "message": message,
        **extra,
    }
    if agent_id is not None:
        entry.update(agentId=agent_id, isSidechain=True)
    return json.dumps(entry)


def _story(story: str, progress: float, after_edit: bool) -> tuple[float, float, float]:
    """(success probability, mean quality, mean seconds) at this point of the history."""
    if story == "improving":
        return (0.9, 0.82, 25.0) if after_edit else (0.62, 0.64, 28.0)
    if story == "declining":
        return 0.93 - 0.3 * progress, 0.86 - 0.32 * progress, 20.0 + 25.0 * progress
    return 0.95, 0.99, 18.0


_PROMPT_EDIT = """
## Before Writing Code

Run the existing test suite first and note which tests already fail, so a red
test after your change is known to be yours.
"""
_FAILURES = {
    "improving": ["pre-existing failing test", "fixture not found"],
    "declining": ["missed a breaking API change", "review timed out", "diff too large"],
    "stable": ["changelog conflict"],
}


def _last_monday_slot(now: datetime) -> datetime:
    """20 past 09:00 UTC on the most recent Monday: both demo agents are due then."""
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=9, minute=20, second=0, microsecond=0
    )
    return monday if monday <= now else monday - timedelta(weeks=1)
