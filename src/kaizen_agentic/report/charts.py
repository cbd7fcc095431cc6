"""The report's charts, drawn by matplotlib as inline SVG (SPEC §13).

matplotlib won on the measures in ``benchmarks/report_choice.py``: the
smallest page (static SVG, text kept as text), the fastest chart after the
first, and no JavaScript to run in the browser; plotly's inlined script alone
is over 4 MB, and Vega-Lite through vl-convert draws each chart four times
slower. Charts draw the per-day aggregates of the evidence, never one mark per
run, so a chart of 100,000 runs costs what a chart of 100 days costs.

Every data-bearing artist gets an SVG id starting ``data-``, which the
browser check uses to tell a drawn chart from an empty frame.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kaizen_agentic.errors import KaizenError

if TYPE_CHECKING:
    from kaizen_agentic.analysis.windows import TrendResult, WindowResult
    from kaizen_agentic.report.model import AgentView

EXTRA_HINT = (
    "the report draws its charts with matplotlib, which is not installed; "
    "install the report extra: pip install 'kaizen-agentic[report]'"
)
VERDICT_COLOURS = {
    "improving": "#2e7d32",
    "improved": "#2e7d32",
    "declining": "#c62828",
    "regressed": "#c62828",
    "stable": "#546e7a",
    "no_significant_difference": "#546e7a",
}
NEUTRAL = "#9e9e9e"
POINTS = "#3b6ea5"
SOURCE_COLOURS = {
    "manual": "#9e9e9e",
    "claude-hook": "#3b6ea5",
    "claude-transcript": "#72b7b2",
    "claude-headless": "#54a24b",
    "fleet": "#f58518",
}
EXTRA_SOURCE_COLOURS = ("#b279a2", "#eeca3b", "#9d755d", "#ff9da6")
DAY = 86400.0
WIDTH = 5.6  # inches: about 1:1 in a half-width column at 1280 px
ROLLING_DAYS = 7


def require_matplotlib() -> None:
    """Fail with the extra to install when the charting library is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise KaizenError(EXTRA_HINT) from None


class ChartMaker:
    """Draws the charts of one page; each gets ids of its own (charts share one page)."""

    def __init__(self) -> None:
        require_matplotlib()
        import matplotlib

        matplotlib.use("svg")
        self.count = 0
        self.style: Any = {
            "svg.fonttype": "none",  # text stays text: smaller, selectable, sharp
            "font.family": ["DejaVu Sans", "sans-serif"],
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#90a4ae",
            "axes.labelcolor": "#37474f",
            "xtick.color": "#546e7a",
            "ytick.color": "#546e7a",
            "axes.grid": True,
            "grid.color": "#eceff1",
            "legend.frameon": False,
            "legend.fontsize": 8,
        }

    @contextmanager
    def figure(self, width: float, height: float, **kw: Any) -> Iterator[tuple[Any, Any, str]]:
        """(figure, axes, chart id); on exit the figure is closed."""
        import matplotlib.pyplot as plt

        self.count += 1
        chart_id = f"c{self.count}"
        with plt.rc_context({**self.style, "svg.hashsalt": chart_id}):
            # constrained, not a tight bbox: every figure keeps its width, so all charts of a
            # page are drawn at one scale
            fig, axes = plt.subplots(figsize=(width, height), layout="constrained", **kw)
            try:
                yield fig, axes, chart_id
            finally:
                plt.close(fig)

    def svg(self, fig: Any) -> str:
        import matplotlib.pyplot as plt

        buffer = io.StringIO()
        with plt.rc_context({**self.style, "svg.hashsalt": f"c{self.count}"}):
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        text = buffer.getvalue()
        return text[text.index("<svg") :]  # the XML prolog and DOCTYPE do not belong in HTML

    # --- per agent ---------------------------------------------------------------------------

    def quality(self, view: AgentView) -> str | None:
        """Daily mean quality with the widest window's trend and its uncertainty."""
        daily = view.daily
        if daily is None or not any(q is not None for q in daily.quality):
            return None
        with self.figure(WIDTH, 2.5) as (fig, ax, cid):
            days = [d for d, q in zip(daily.day, daily.quality, strict=True) if q is not None]
            values = [q for q in daily.quality if q is not None]
            ax.plot(
                _dates(days),
                values,
                "o",
                ms=3,
                color=POINTS,
                label="daily mean quality",
                gid=f"data-{cid}-points",
            )
            window = view.trend_window()
            self._trend(ax, cid, window, window.trend if window else None, days, values)
            self._edits(ax, view)
            ax.set_ylim(-0.02, 1.05)
            ax.set_ylabel("quality score (0–1)")
            _date_axis(ax)
            _legend_below(ax)
            return self.svg(fig)

    def success(self, view: AgentView) -> str | None:
        """Daily success rate, its 7-day rolling rate, and the widest window's success trend."""
        daily = view.daily
        if daily is None or not daily.day:
            return None
        with self.figure(WIDTH, 2.5) as (fig, ax, cid):
            dates = _dates(daily.day)
            ax.plot(
                dates,
                daily.success_rate,
                "o",
                ms=2.5,
                color=POINTS,
                alpha=0.45,
                label="daily success rate",
                gid=f"data-{cid}-rate",
            )
            ax.plot(
                dates,
                rolling_rate(daily.day, daily.runs, daily.success_rate),
                "-",
                lw=1.5,
                color=POINTS,
                label=f"{ROLLING_DAYS}-day rolling rate",
                gid=f"data-{cid}-rolling",
            )
            window = view.trend_window()
            trend = window.success_trend if window else None
            self._trend(ax, cid, window, trend, list(daily.day), list(daily.success_rate))
            self._edits(ax, view)
            ax.set_ylim(-0.02, 1.05)
            ax.yaxis.set_major_formatter(_percent_formatter())
            ax.set_ylabel("success rate")
            _date_axis(ax)
            _legend_below(ax)
            return self.svg(fig)

    def runs_by_source(self, view: AgentView) -> str | None:
        """Runs per day, stacked by how they were recorded (captured or manual)."""
        daily = view.daily
        if daily is None or not daily.day:
            return None
        with self.figure(WIDTH, 2.1) as (fig, ax, cid):
            bottom = [0] * len(daily.day)
            dates = _dates(daily.day)
            for i, (source, counts) in enumerate(sorted(daily.runs_by_source.items())):
                bars = ax.bar(
                    dates,
                    counts,
                    width=0.85,
                    bottom=bottom,
                    color=_source_colour(source, i),
                    label=source,
                    lw=0,
                )
                for j, bar in enumerate(bars):
                    bar.set_gid(f"data-{cid}-{i}-{j}")
                bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
            ax.set_ylabel("runs per day")
            _date_axis(ax)
            _legend_below(ax)
            return self.svg(fig)

    def cost_by_version(self, view: AgentView) -> str | None:
        """Total spend and tokens per prompt version, oldest first."""
        steps = [s for s in view.versions if s.usage.runs]
        if not steps:
            return None
        height = 1.0 + 0.32 * len(steps)
        with self.figure(WIDTH, height, ncols=2) as (fig, (usd_ax, tok_ax), cid):
            labels = [_short(s.version) for s in steps]
            colours = [VERDICT_COLOURS.get(s.verdict or "", NEUTRAL) for s in steps]
            usd = [s.usage.usd for s in steps]
            bars = usd_ax.barh(labels, usd, color=colours, gid=f"data-{cid}-usd")
            usd_ax.bar_label(bars, labels=[f"${v:,.2f}" for v in usd], padding=3, fontsize=8)
            usd_ax.set_title("total cost (USD)", fontsize=9, loc="left")
            tokens = [s.usage.tokens / 1e6 for s in steps]
            bars = tok_ax.barh(labels, tokens, color=colours, gid=f"data-{cid}-tokens")
            tok_ax.bar_label(bars, labels=[f"{v:,.2f}M" for v in tokens], padding=3, fontsize=8)
            tok_ax.set_title("tokens (input + output)", fontsize=9, loc="left")
            tok_ax.set_yticklabels([])
            for ax in (usd_ax, tok_ax):
                ax.invert_yaxis()  # oldest at the top, as in the timeline table
                ax.margins(x=0.35)
                ax.grid(axis="y", visible=False)
                ax.tick_params(axis="x", labelsize=7.5)
            return self.svg(fig)

    # --- many agents -------------------------------------------------------------------------

    def small_multiples(self, views: Sequence[AgentView]) -> list[tuple[AgentView, str]]:
        """Daily quality of every agent, one small panel each, on the same axes.

        One figure per agent, laid out by the page's grid, so a phone shows one
        column and a wide screen four, each at a readable size.
        """
        drawn = [v for v in views if v.daily and any(q is not None for q in v.daily.quality)]
        if not drawn:
            return []
        first = min(v.daily.day[0] for v in drawn if v.daily)
        last = max(v.daily.day[-1] for v in drawn if v.daily)
        panels = []
        for view in drawn:
            with self.figure(3.0, 1.45) as (fig, ax, cid):
                self._panel(ax, cid, view)
                ax.set_xlim(*_dates([first - DAY, last + DAY]))
                panels.append((view, self.svg(fig)))
        return panels

    def _panel(self, ax: Any, gid: str, view: AgentView) -> None:
        assert view.daily is not None
        days = [d for d, q in zip(view.daily.day, view.daily.quality, strict=True) if q is not None]
        values = [q for q in view.daily.quality if q is not None]
        window = view.trend_window()
        verdict = window.trend.verdict if window and window.trend else "insufficient_data"
        colour = VERDICT_COLOURS.get(verdict, NEUTRAL)
        ax.plot(_dates(days), values, "-", lw=1.3, color=colour, gid=f"data-{gid}-quality")
        ax.set_ylim(-0.02, 1.05)
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=7)
        _date_axis(ax)

    # --- shared pieces -----------------------------------------------------------------------

    def _trend(
        self,
        ax: Any,
        cid: str,
        window: WindowResult | None,
        trend: TrendResult | None,
        days: Sequence[float],
        values: Sequence[float],
    ) -> None:
        """The trend's line through the window's median point, its slope interval as a band."""
        if window is None or trend is None or trend.slope_per_day is None:
            return
        start = _epoch(window.start)
        end = _epoch(window.end)
        inside = [(d, v) for d, v in zip(days, values, strict=True) if start <= d <= end]
        if len(inside) < 2:
            return
        x0 = _median([d for d, _ in inside])
        y0 = _median([v for _, v in inside])
        xs = [inside[0][0], x0, inside[-1][0]]  # drawn where the window has data

        def line(slope: float) -> list[float]:
            return [y0 + slope * (x - x0) / DAY for x in xs]

        colour = VERDICT_COLOURS.get(trend.verdict, NEUTRAL)
        label = f"{window.window} trend: {trend.verdict.replace('_', ' ')}"
        if trend.p_value is not None:
            label += f" ({format_p(trend.p_value)})"
        ax.plot(
            _dates(xs),
            line(trend.slope_per_day),
            "-",
            lw=2,
            color=colour,
            label=label,
            gid=f"data-{cid}-trend",
        )
        if trend.slope_low is not None and trend.slope_high is not None:
            low, high = line(trend.slope_low), line(trend.slope_high)
            ax.fill_between(
                _dates(xs),
                [min(a, b) for a, b in zip(low, high, strict=True)],
                [max(a, b) for a, b in zip(low, high, strict=True)],
                color=colour,
                alpha=0.15,
                lw=0,
                label="slope 95% interval",
                gid=f"data-{cid}-band",
            )

    def _edits(self, ax: Any, view: AgentView) -> None:
        """A dashed rule at each prompt edit, labelled above the plot with version and verdict."""
        for i, step in enumerate(view.versions[1:]):
            if not step.usage.first_seen or not view.charted(step.usage.first_seen):
                continue
            when = _dates([_epoch(step.usage.first_seen)])[0]
            colour = VERDICT_COLOURS.get(step.verdict or "", NEUTRAL)
            ax.axvline(when, color=colour, ls="--", lw=1.2)
            verdict = (step.verdict or "").replace("_", " ")
            ax.annotate(
                f"edit → {_short(step.version)}: {verdict}",
                xy=(when, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3 + 10 * (i % 2)),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7.5,
                color=colour,
            )


def rolling_rate(days: Sequence[float], runs: Sequence[int], rates: Sequence[float]) -> list[float]:
    """Success rate over the trailing ``ROLLING_DAYS`` days, weighted by each day's runs."""
    out = []
    start = 0
    wins = total = 0.0
    for i, day in enumerate(days):
        wins += rates[i] * runs[i]
        total += runs[i]
        while days[start] <= day - ROLLING_DAYS * DAY:
            wins -= rates[start] * runs[start]
            total -= runs[start]
            start += 1
        out.append(wins / total if total else math.nan)
    return out


def _legend_below(ax: Any) -> None:
    """The legend under the plot: it can never cover a data point."""
    handles, labels = ax.get_legend_handles_labels()
    ax.figure.legend(
        handles, labels, loc="outside lower left", ncols=min(3, len(handles)), fontsize=7.5
    )


def format_p(p: float) -> str:
    """A p-value as people read it: ``p<0.001`` rather than ``p=0``."""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _source_colour(source: str, index: int) -> str:
    return SOURCE_COLOURS.get(source, EXTRA_SOURCE_COLOURS[index % len(EXTRA_SOURCE_COLOURS)])


def _dates(epochs: Sequence[float]) -> list[datetime]:
    return [datetime.fromtimestamp(e, tz=timezone.utc) for e in epochs]


def _date_axis(ax: Any) -> None:
    import matplotlib.dates

    mdates: Any = matplotlib.dates  # its locators are untyped
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _epoch(text: str) -> float:
    from kaizen_agentic._time import parse_timestamp

    return parse_timestamp(text).timestamp()


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _short(version: str) -> str:
    return version[:8]
