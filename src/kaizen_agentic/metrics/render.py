"""Plain-text renderings of metrics results shared by show, brief and prepare."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPARK_BARS = "▁▂▃▄▅▆▇█"


def performance_summary_markdown(summary: dict[str, Any] | None) -> str:
    """``## Performance Summary`` with the headline numbers and one line per window."""
    if not summary or not summary.get("execution_count"):
        return ""
    lines = [
        "## Performance Summary",
        "",
        f"- Executions: {summary['execution_count']}",
        f"- Success rate: {percent(summary.get('success_rate'))}",
        f"- Average quality: {number(summary.get('avg_quality_score'))}",
        f"- Average execution time: {number(summary.get('avg_execution_time_s'), 's')}",
        f"- Last execution: {summary.get('last_execution') or '-'}",
        f"- Trend: success {summary['trend']['success_rate']}, "
        f"quality {summary['trend']['quality_score']}",
    ]
    windows = summary.get("windows") or {}
    if windows:
        lines += ["", "| window | n | success | quality | trend |", "|---|---|---|---|---|"]
        for label, w in windows.items():
            trend = (w.get("trend") or {}).get("verdict", w.get("status"))
            lines.append(
                f"| {label} | {w['n']} | {percent(w.get('success_rate'))} | "
                f"{number(w.get('avg_quality_score'))} | {trend} |"
            )
    return "\n".join(lines) + "\n"


def sparkline(values: Sequence[float]) -> str:
    """One bar per value in 0-1."""
    return "".join(
        SPARK_BARS[min(int(max(v, 0.0) * len(SPARK_BARS)), len(SPARK_BARS) - 1)] for v in values
    )


def sparkline_scale(values: Sequence[float]) -> str:
    """How to read :func:`sparkline`: the bars' scale, the range and the order."""
    return (
        f"{SPARK_BARS[0]}=0 {SPARK_BARS[-1]}=1; last {len(values)} runs, oldest first; "
        f"min {number(min(values))}, max {number(max(values))}"
    )


def p_value(value: float | None) -> str:
    """A p-value as people read it: ``<0.001`` rather than ``0``; ``-`` when unknown."""
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def tokens(value: float | None) -> str:
    """A token count at a glance: ``3.34M``, ``20.9k``, ``812``."""
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def percent(value: Any) -> str:
    """A 0-1 rate as ``83.3%``; ``-`` when unknown."""
    return "-" if value is None else f"{value * 100:.1f}%"


def number(value: Any, unit: str = "") -> str:
    """Three significant digits for floats, as-is otherwise; ``-`` when unknown."""
    if value is None:
        return "-"
    return f"{value:.3g}{unit}" if isinstance(value, float) else f"{value}{unit}"
