"""Optimizer rules: evidence in, concrete prompt edits out (SPEC §4).

Each rule reads one agent's window results (and, for the evidence a person
needs, its raw records) and either stays silent or returns one
:class:`Recommendation` whose ``evidence`` holds the numbers and window that
fired it and whose ``action`` names the edit to make.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kaizen_agentic.agents.template import AgentTemplate, MetricSpec
from kaizen_agentic.config import check_setting, default

if TYPE_CHECKING:
    from kaizen_agentic.analysis.windows import WindowResult

TIME_SUFFIX = "_time_s"

DECLINING = "declining"

SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Recommendation:
    """One evidence-backed change to make to an agent's prompt or memory."""

    id: str
    agent: str
    rule: str
    severity: str
    evidence: Mapping[str, Any]
    action: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recommendation_id(agent: str, rule: str, window: str) -> str:
    """Stable across re-runs: the same agent, rule and evidence window give the same id."""
    return hashlib.sha256(f"{agent}\x00{rule}\x00{window}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Thresholds:
    """The ``optimizer`` section of the config."""

    slow_execution_s: float = default("optimizer.slow_execution_s")
    min_success_rate: float = default("optimizer.min_success_rate")
    cost_increase_pct: float = default("optimizer.cost_increase_pct")
    min_samples: int = default("optimizer.min_samples")

    def __post_init__(self) -> None:
        # the rules divide by these: refuse what config validate refuses
        for name in ("slow_execution_s", "min_success_rate", "cost_increase_pct", "min_samples"):
            check_setting(f"optimizer.{name}", getattr(self, name))


@dataclass(frozen=True)
class AgentTargets:
    """The targets an agent's frontmatter declares, each compared with its own kind of number.

    ``time``: the first lower-is-better metric named ``*_time_s`` (``cycle_time_s``,
    ``review_time_s`` …), against the average execution time; it replaces the
    config's ``optimizer.slow_execution_s`` for this agent. ``quality``: the first
    higher-is-better metric of the self-reported score (its name contains
    ``quality``, target in (0, 1]), against ``quality_score``. The primary metric
    is compared only with the records' ``primary_metric.value`` of its name.
    """

    primary: MetricSpec | None = None
    time: MetricSpec | None = None
    quality: MetricSpec | None = None

    @staticmethod
    def of(template: AgentTemplate | None) -> AgentTargets:
        if template is None:
            return AgentTargets()
        declared = [m for m in (template.primary_metric, *template.secondary_metrics) if m]
        time = next(
            (m for m in declared if m.direction == "lower" and m.name.endswith(TIME_SUFFIX)), None
        )
        quality = next(
            (
                m
                for m in declared
                if m.direction == "higher" and "quality" in m.name and 0 < m.target <= 1
            ),
            None,
        )
        return AgentTargets(template.primary_metric, time, quality)


@dataclass(frozen=True)
class RuleInput:
    """Everything a rule may look at for one agent."""

    agent: str
    prompt_file: str
    windows: Sequence[WindowResult]
    thresholds: Thresholds
    primary_metric: MetricSpec | None
    failure_reasons: Counter[str] = field(default_factory=Counter)
    primary_values: tuple[float, int] | None = None  # (mean, n) of the primary metric's values
    cost_by_period: tuple[float | None, float | None, int, int] = (None, None, 0, 0)
    targets: AgentTargets | None = None  # None: only the primary metric is known

    @property
    def own_targets(self) -> AgentTargets:
        if self.targets is not None:
            return self.targets
        metric = self.primary_metric
        quality = (
            metric if metric and metric.direction == "higher" and 0 < metric.target <= 1 else None
        )
        return AgentTargets(metric, None, quality)

    def reference_window(self) -> WindowResult | None:
        """The 30d window when it has data, else the widest window that does."""
        usable = [w for w in self.windows if w.status == "ok"]
        by_label = {w.window: w for w in usable}
        return by_label.get("30d") or (usable[-1] if usable else None)


Rule = Callable[[RuleInput], "Recommendation | None"]


def slow_execution(data: RuleInput) -> Recommendation | None:
    window = data.reference_window()
    declared = data.own_targets.time
    limit = declared.target if declared else data.thresholds.slow_execution_s
    source = f"frontmatter {declared.name}" if declared else "config optimizer.slow_execution_s"
    if window is None or window.avg_completion_time_s is None or limit <= 0:
        return None
    average = window.avg_completion_time_s
    if average <= limit:
        return None
    ratio = average / limit
    tools = window.avg_tool_invocations
    tool_note = f" (it averages {tools:.0f} tool calls a run)" if tools is not None else ""
    return _make(
        data,
        "slow_execution",
        window.window,
        "high" if ratio > 2 else "medium" if ratio > 1.5 else "low",
        {
            "window": window.window,
            "avg_completion_time_s": average,
            "threshold_s": limit,
            "threshold_source": source,
            "n": window.n,
            "avg_tool_invocations": tools,
        },
        f"In {data.prompt_file}, add a time budget to the procedure: runs average "
        f"{average:.0f}s against a {limit:.0f}s target{tool_note}. State which files "
        "to read first, cap exploratory searches, and tell the agent to stop and "
        "report once the budget is spent.",
    )


def low_success_rate(data: RuleInput) -> Recommendation | None:
    window = data.reference_window()
    floor = data.thresholds.min_success_rate
    if window is None or window.success_rate is None or window.success_rate >= floor:
        return None
    rate = window.success_rate
    reasons = data.failure_reasons
    if reasons:
        top, count = reasons.most_common(1)[0]
        cause = (
            f"The most common recorded failure is '{top}' ({count} of "
            f"{sum(reasons.values())} failures with a reason): add a step to the procedure "
            "that checks for it before starting, and a 'when this happens' rule saying "
            "what to do instead."
        )
    else:
        cause = (
            "No failure reasons are recorded: first add to the Session Close section a "
            "--json record with metadata.failure_reason on failure, so the next analysis "
            "can name the cause."
        )
    return _make(
        data,
        "low_success_rate",
        window.window,
        "high" if rate < 0.5 else "medium" if rate < 0.65 else "low",
        {
            "window": window.window,
            "success_rate": rate,
            "threshold": floor,
            "n": window.n,
            "tasks_failed": window.tasks_failed,
            "failure_reasons": dict(reasons.most_common(5)),
        },
        f"In {data.prompt_file}, success is {rate:.0%} against {floor:.0%}. {cause}",
    )


def quality_below_target(data: RuleInput) -> Recommendation | None:
    """Like with like: primary values against the primary target, quality_score against a
    quality target; a self-reported score is never held against, say, a test pass rate."""
    targets = data.own_targets
    window = data.reference_window()
    if window is None:
        return None
    measured = 0
    if targets.primary is not None and data.primary_values is not None:
        metric = targets.primary
        observed, measured = data.primary_values
        source = f"primary_metric {metric.name}"
    elif targets.quality is not None and window.avg_quality_score:
        metric = targets.quality
        observed, source = window.avg_quality_score, "quality_score"
    else:
        return None
    short = observed < metric.target if metric.direction == "higher" else observed > metric.target
    if not short:
        return None
    gap = abs(metric.target - observed) / abs(metric.target) if metric.target else 1.0
    return _make(
        data,
        "quality_below_target",
        window.window,
        "high" if gap > 0.25 else "medium" if gap > 0.1 else "low",
        {
            "window": window.window,
            "metric": metric.name,
            "observed": round(observed, 4),
            "target": metric.target,
            "direction": metric.direction,
            "source": source,
            "n": measured or window.n,
        },
        f"In {data.prompt_file}, {source} averages {observed:.3g} against the target "
        f"{metric.target:g} ({metric.direction} is better). Tighten the 'done' "
        "checklist with the criterion runs miss most, and record one learning per "
        f'miss with: kaizen-agentic memory add {data.agent} "…" --section learnings',
    )


def declining_trend(data: RuleInput) -> Recommendation | None:
    hits = [
        (w, name, trend)
        for w in data.windows
        for name, trend in (("quality", w.trend), ("success_rate", w.success_trend))
        if trend is not None and trend.verdict == DECLINING
    ]
    if not hits:
        return None
    window, metric, trend = hits[0]
    labels = sorted({w.window for w, _, _ in hits})
    return _make(
        data,
        "declining_trend",
        window.window,
        "high" if len(labels) > 1 else "medium",
        {
            "window": window.window,
            "metric": metric,
            "windows": labels,
            "slope_per_day": trend.slope_per_day,
            "p_value": trend.p_value,
            "change_over_window": trend.change_over_window,
            "n": trend.n,
            "method": trend.method,
        },
        f"{metric.replace('_', ' ').capitalize()} is declining in the {window.window} "
        f"window (change {trend.change_over_window:+.3f}, p={trend.p_value:.3g}"
        f"{', ' + trend.method if trend.method else ''}). Run kaizen-agentic metrics "
        f"compare {data.agent} to see "
        f"whether a prompt edit caused it; if so, revert that edit in "
        f"{data.prompt_file}, otherwise add the recent failure pattern to memory "
        "as an open question.",
    )


def cost_increase(data: RuleInput) -> Recommendation | None:
    previous, current, n_previous, n_current = data.cost_by_period
    if previous is None or current is None or previous <= 0:
        return None
    change = (current - previous) / previous * 100
    if change <= data.thresholds.cost_increase_pct:
        return None
    return _make(
        data,
        "cost_increase",
        "30d",
        "high" if change > 100 else "medium" if change > 50 else "low",
        {
            "window": "30d",
            "previous_window": "30d before that",
            "avg_cost_usd": round(current, 6),
            "previous_avg_cost_usd": round(previous, 6),
            "increase_pct": round(change, 1),
            "threshold_pct": data.thresholds.cost_increase_pct,
            "n": n_current,
            "previous_n": n_previous,
        },
        f"Cost per task rose {change:.0f}% (${previous:.3f} → ${current:.3f}). In "
        f"{data.prompt_file}, name the files and commands the agent needs up front "
        "and forbid re-reading files already in context; check whether a recent prompt "
        f"edit added steps with: kaizen-agentic metrics compare {data.agent}",
    )


RULES: dict[str, Rule] = {
    "slow_execution": slow_execution,
    "low_success_rate": low_success_rate,
    "quality_below_target": quality_below_target,
    "declining_trend": declining_trend,
    "cost_increase": cost_increase,
}


def _make(
    data: RuleInput, rule: str, window: str, severity: str, evidence: dict[str, Any], action: str
) -> Recommendation:
    return Recommendation(
        recommendation_id(data.agent, rule, window), data.agent, rule, severity, evidence, action
    )
