"""Which charting library draws the report? Figures behind the ``[report]`` extra.

The same chart — 180 daily quality points, a trend line with its band and two
prompt-edit rules — is drawn by each candidate: matplotlib to inline SVG,
Vega-Lite (Altair) to SVG offline with vl-convert, and plotly with its
JavaScript inlined. Printed side by side: import cost (a fresh interpreter),
first and next chart times, bytes per chart and bytes of a page of 12 charts
(a 3-repo fleet with a few agents each).

Run: .venv/bin/python benchmarks/report_choice.py
"""

from __future__ import annotations

import io
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable

DAYS = 180
CHARTS_PER_PAGE = 12


def series() -> tuple[list[int], list[float]]:
    rng = random.Random(3)
    days = list(range(DAYS))
    values = [min(1.0, max(0.0, 0.85 - 0.002 * d + rng.gauss(0, 0.05))) for d in days]
    return days, values


def matplotlib_chart() -> str:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: small, selectable
    days, values = series()
    fig, ax = plt.subplots(figsize=(6, 2.4))
    ax.plot(days, values, "o", markersize=2.5, color="#4c78a8")
    ax.plot(days, [0.85 - 0.002 * d for d in days], color="#e45756")
    ax.fill_between(
        days,
        [0.83 - 0.0025 * d for d in days],
        [0.87 - 0.0015 * d for d in days],
        color="#e45756",
        alpha=0.2,
    )
    for edit in (60, 120):
        ax.axvline(edit, color="#888", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def vega_chart() -> str:
    import altair as alt
    import vl_convert as vlc

    days, values = series()
    rows = [
        {
            "day": d,
            "quality": v,
            "trend": 0.85 - 0.002 * d,
            "low": 0.83 - 0.0025 * d,
            "high": 0.87 - 0.0015 * d,
        }
        for d, v in zip(days, values, strict=True)
    ]
    base = alt.Chart(alt.Data(values=rows)).encode(x=alt.X("day:Q"))
    chart = alt.layer(
        base.mark_area(opacity=0.2, color="#e45756").encode(y="low:Q", y2="high:Q"),
        base.mark_line(color="#e45756").encode(y="trend:Q"),
        base.mark_circle(size=12).encode(y=alt.Y("quality:Q", scale=alt.Scale(domain=[0, 1]))),
        alt.Chart(alt.Data(values=[{"day": 60}, {"day": 120}]))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(x="day:Q"),
    ).properties(width=520, height=180)
    return str(vlc.vegalite_to_svg(chart.to_dict()))


def plotly_chart(first: bool) -> str:
    import plotly.graph_objects as go

    days, values = series()
    fig = go.Figure()
    fig.add_scatter(x=days, y=values, mode="markers")
    fig.add_scatter(x=days, y=[0.85 - 0.002 * d for d in days], mode="lines")
    for edit in (60, 120):
        fig.add_vline(x=edit, line_dash="dash")
    return str(fig.to_html(full_html=False, include_plotlyjs=first))


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    best = math.inf
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        best = min(best, float(out.stdout))
    return best


def timed(draw: Callable[[], str]) -> tuple[float, str]:
    started = time.perf_counter()
    text = draw()
    return time.perf_counter() - started, text


def main() -> None:
    candidates: list[tuple[str, str, Callable[[bool], str]]] = [
        ("matplotlib svg", "matplotlib.pyplot", lambda first: matplotlib_chart()),
        ("altair+vl-convert svg", "altair, vl_convert", lambda first: vega_chart()),
        ("plotly, js inlined", "plotly.graph_objects", plotly_chart),
    ]
    print(
        f"{'candidate':<24}{'import s':>10}{'1st chart s':>13}{'next s':>9}"
        f"{'chart KB':>10}{'page KB':>10}"
    )
    for name, module, draw in candidates:
        imported = import_seconds(module)
        first_s, first = timed(lambda draw=draw: draw(True))  # type: ignore[misc]
        next_s, later = timed(lambda draw=draw: draw(False))  # type: ignore[misc]
        page = len(first) + (CHARTS_PER_PAGE - 1) * len(later)
        print(
            f"{name:<24}{imported:>10.2f}{first_s:>13.2f}{next_s:>9.3f}"
            f"{len(later) / 1024:>10.1f}{page / 1024:>10.0f}"
        )


if __name__ == "__main__":
    main()
