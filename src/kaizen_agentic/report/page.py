"""The report as one HTML document: inline style, inline SVG, no script, no request.

A Content-Security-Policy of ``default-src 'none'`` is part of the page, so a
browser refuses (and reports) any request the page would make, should a chart
or a value ever carry a link. Every value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.metrics.render import number, percent
from kaizen_agentic.metrics.render import tokens as tokens_text
from kaizen_agentic.report.charts import ChartMaker, format_p
from kaizen_agentic.report.model import AgentView, FleetView, ReportData

if TYPE_CHECKING:
    from kaizen_agentic.analysis.windows import TrendResult

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CELL_STATES = {
    "done": "every step of every slot completed",
    "failed": "a step failed",
    "skipped": "left out on purpose (not active, no checkout, no schedule)",
    "stale": "should have run but has no result in this cycle",
}

STYLE = """
:root { --ink:#263238; --muted:#607d8b; --line:#e0e6ea; --bad:#c62828; --good:#2e7d32;
  --warn:#ef6c00; --calm:#546e7a; --bg:#fafbfc; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--ink); background:var(--bg); }
header, main { max-width:1200px; margin:0 auto; padding:0 16px; }
header { padding-top:20px; }
h1 { font-size:1.5rem; margin:0 0 4px; }
h2 { font-size:1.25rem; margin:0 0 8px; }
h3 { font-size:1rem; margin:20px 0 6px; color:var(--calm); }
.sub { color:var(--muted); margin:0 0 12px; }
nav { display:flex; flex-wrap:wrap; gap:6px; margin:8px 0 16px; }
nav a { color:var(--ink); background:#fff; border:1px solid var(--line); border-radius:14px;
  padding:2px 10px; text-decoration:none; font-size:.85rem; }
section.card { background:#fff; border:1px solid var(--line); border-radius:8px;
  padding:16px; margin:0 0 20px; }
.kpis { display:flex; flex-wrap:wrap; gap:8px 20px; margin:6px 0 10px; }
.kpi b { display:block; font-size:1.15rem; }
.kpi span { color:var(--muted); font-size:.8rem; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; font-size:.85rem; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { color:var(--muted); font-weight:600; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.badge { display:inline-block; border-radius:10px; padding:0 8px; font-size:.78rem;
  font-weight:600; white-space:nowrap; background:#eceff1; color:var(--calm); }
.badge.bad { background:#ffebee; color:var(--bad); }
.badge.good { background:#e8f5e9; color:var(--good); }
.badge.warn { background:#fff3e0; color:var(--warn); }
.attention { border-left:4px solid var(--bad); background:#fff5f5; padding:6px 10px;
  margin:8px 0; }
.calm { border-left:4px solid var(--good); background:#f4fbf4; padding:6px 10px; margin:8px 0; }
.charts { display:grid; grid-template-columns:repeat(auto-fit, minmax(min(100%, 520px), 1fr));
  gap:12px; }
figure.chart { margin:0; }
figure.chart svg { width:100%; height:auto; display:block; }
figcaption { color:var(--muted); font-size:.8rem; margin-top:2px; }
.multiples { display:grid; grid-template-columns:repeat(auto-fill, minmax(260px, 1fr));
  gap:10px 16px; }
figcaption.title { color:var(--ink); font-size:.85rem; margin:0 0 2px; }
figcaption.title a { color:inherit; }
td.wide { min-width:220px; overflow-wrap:anywhere; }
td.nowrap { white-space:nowrap; }
td.cell { text-align:center; font-weight:600; font-size:.78rem; min-width:64px; }
td.done { background:#e8f5e9; color:var(--good); }
td.failed { background:#ffebee; color:var(--bad); }
td.skipped { background:#f5f5f5; color:#9e9e9e; }
td.stale { background:#fff3e0; color:var(--warn); }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; font-size:.8rem; color:var(--muted);
  margin-top:6px; }
.legend span.sw { display:inline-block; width:12px; height:12px; border-radius:2px;
  vertical-align:-2px; margin-right:4px; }
.action { color:var(--muted); font-size:.8rem; }
footer { color:var(--muted); font-size:.8rem; max-width:1200px; margin:0 auto 24px;
  padding:0 16px; }
@media (max-width: 600px) { body { font-size:14px; } section.card { padding:10px; }
  th, td { padding:4px 5px; } }
"""


def render_page(data: ReportData, charts: ChartMaker) -> str:
    """The whole page for *data*; *charts* draws its figures."""
    body: list[str] = [_header(data)]
    body += [f'<p class="calm">{escape(note)}</p>' for note in data.notes]
    if data.fleet is not None:
        body.append(_fleet(data.fleet))
    if len(data.agents) > 1:
        body.append(_overview(data.agents, charts))
    body += [_agent(view, charts) for view in data.agents]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{escape(data.title)}</title><style>{STYLE}</style></head>\n<body>"
        + "\n".join(body)
        + "</main><footer>Written by kaizen-agentic report. One file: no script, no "
        "request; charts drawn with matplotlib.</footer></body></html>\n"
    )


def _header(data: ReportData) -> str:
    links = "".join(f'<a href="#{_anchor(v.key)}">{escape(v.key)}</a>' for v in data.agents)
    if data.fleet is not None:
        links = '<a href="#fleet">fleet health</a>' + links
    when = format_timestamp(data.generated_at)
    count = len(data.agents)
    return (
        f"<header><h1>{escape(data.title)}</h1>"
        f'<p class="sub">Generated {escape(when)} · {count} agent{"s" if count != 1 else ""}'
        " · quality is the layered score (self-reported, primary metric, feedback)</p>"
        f"<nav>{links}</nav></header><main>"
    )


# --- fleet ---------------------------------------------------------------------------------


def _fleet(fleet: FleetView) -> str:
    met = fleet.criterion_met
    criterion = (
        f'<p class="{"calm" if met else "attention"}"><b>Bootstrap exit criterion '
        f"{'met' if met else 'not met yet'}</b>: every active repo needs "
        f"{fleet.required_consecutive} consecutive successful cycles."
        + "".join(f"<br>{escape(r)}" for r in fleet.reasons)
        + "</p>"
    )
    heads = "".join(
        f'<th title="cycle {escape(c)}">{escape(at[:10])}<br>{escape(at[11:16])}</th>'
        for c, at in fleet.cycles
    )
    rows = []
    for repo in fleet.repos:
        cells = "".join(
            f'<td class="cell {c.state}" title="{escape(c.detail or CELL_STATES[c.state])}">'
            f"{c.state}</td>"
            for c in repo.cells
        )
        criterion_cell = _badge(
            f"{repo.consecutive_successes}/{fleet.required_consecutive}",
            "good" if repo.meets_criterion else ("" if repo.note else "bad"),
        )
        attention = "<br>".join(escape(a) for a in repo.attention) or (
            escape(repo.note) if repo.note else "—"
        )
        rows.append(
            f"<tr><th>{escape(repo.repo)}</th><td>{escape(repo.status)}</td>{cells}"
            f'<td>{criterion_cell}</td><td class="wide">{attention}</td></tr>'
        )
    legend = "".join(
        f'<span><span class="sw" style="background:{colour}"></span>{state}: {escape(why)}</span>'
        for (state, why), colour in zip(
            CELL_STATES.items(), ("#a5d6a7", "#ef9a9a", "#e0e0e0", "#ffcc80"), strict=True
        )
    )
    empty = "" if fleet.cycles else '<p class="sub">No loop cycle has run on this host yet.</p>'
    return (
        f'<section class="card" id="fleet"><h2>Fleet health on {escape(fleet.host)}</h2>'
        f'{criterion}{empty}<div class="scroll"><table class="grid"><thead><tr><th>REPO</th>'
        f"<th>STATUS</th>{heads}<th>CONSECUTIVE OK</th><th>NEEDS ATTENTION</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<div class="legend">{legend}</div></section>'
    )


# --- overview ------------------------------------------------------------------------------


def _overview(views: Sequence[AgentView], charts: ChartMaker) -> str:
    panels = charts.small_multiples(views)
    if not panels:
        return ""
    drawn = "".join(
        f'<figure class="chart panel"><figcaption class="title"><a href="#{_anchor(v.key)}">'
        f"{escape(v.key)}</a> {_verdict(_quality_verdict(v))}</figcaption>{svg}</figure>"
        for v, svg in panels
    )
    return (
        '<section class="card" id="overview"><h2>All agents at a glance</h2>'
        '<p class="sub">Daily mean quality of each agent, on the same axes; the colour is the '
        "quality trend of its widest window (red declining, green improving).</p>"
        f'<div class="multiples">{drawn}</div></section>'
    )


def _quality_verdict(view: AgentView) -> str:
    window = view.trend_window()
    return window.trend.verdict if window and window.trend else "insufficient_data"


# --- one agent -----------------------------------------------------------------------------


def _agent(view: AgentView, charts: ChartMaker) -> str:
    parts = [
        f'<section class="card agent" id="{_anchor(view.key)}">'
        f"<h2>{escape(view.repo)} / {escape(view.agent)} "
        f"{_badge(view.agent_version or 'no version', '')}</h2>"
    ]
    if not view.has_runs:
        parts.append('<p class="sub">No runs recorded yet.</p></section>')
        return "".join(parts)
    parts.append(_kpis(view))
    reasons = view.attention()
    if reasons:
        parts.append(
            '<p class="attention"><b>Needs attention:</b> '
            + "; ".join(escape(r) for r in reasons)
            + "</p>"
        )
    parts.append("<h3>Windows</h3>" + _windows_table(view))
    figures = [
        (
            charts.quality(view),
            "Quality per day (mean layered score); the line is the widest window's "
            "trend, the band its slope's interval at the trend's alpha; dashed rules "
            "are prompt edits with their comparison verdict.",
        ),
        (charts.success(view), "Success rate per day with the success trend."),
        (
            charts.runs_by_source(view),
            "Runs per day by source: captured (claude-*) or recorded by hand (manual).",
        ),
        (
            charts.cost_by_version(view),
            "Total spend and tokens of each prompt version, "
            "coloured by the verdict of the edit that made it.",
        ),
    ]
    parts.append(
        '<div class="charts">'
        + "".join(_figure(svg, caption) for svg, caption in figures if svg)
        + "</div>"
    )
    parts.append("<h3>Version timeline</h3>" + _versions_table(view))
    parts.append("<h3>Recommendations</h3>" + _ledger_table(view))
    parts.append("</section>")
    return "".join(parts)


def _kpis(view: AgentView) -> str:
    totals = view.evidence.totals
    usage = list(view.evidence.usage_by_source.values())
    usd = sum(u.usd for u in usage)
    tokens = sum(u.tokens for u in usage)
    window = view.trend_window()
    score = window.quality_score if window else None
    captured = sum(u.runs for s, u in view.evidence.usage_by_source.items() if s != "manual")
    items = [
        (f"{totals.count:,}", "runs"),
        (percent(totals.success_rate), "success (all time)"),
        (number(score), f"quality score ({window.window})" if window else "quality score"),
        (f"${usd:,.2f}", "total cost"),
        (tokens_text(tokens), "tokens"),
        (f"{captured:,} / {totals.count - captured:,}", "captured / manual runs"),
        (escape(totals.last_execution or "-"), "last run"),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><b>{value}</b><span>{label}</span></div>' for value, label in items
        )
        + "</div>"
    )


def _windows_table(view: AgentView) -> str:
    heads = [
        "WINDOW",
        "N",
        "SUCCESS",
        "QUALITY SCORE",
        "SELF-REPORTED",
        "COST/RUN",
        "TOKENS/RUN",
        "TIME/RUN",
        "QUALITY TREND (P)",
        "SUCCESS TREND (P)",
    ]
    rows = []
    for w in view.windows:
        rows.append(
            [
                escape(w.window),
                _num(w.n),
                _num(percent(w.success_rate)),
                _num(number(w.quality_score)),
                _num(number(w.avg_quality_score)),
                _num(f"${w.avg_cost_usd:.3f}" if w.avg_cost_usd is not None else "-"),
                _num(tokens_text(w.avg_tokens)),
                _num(f"{number(w.avg_completion_time_s)}s"),
                _trend_cell(w.trend, w.status),
                _trend_cell(w.success_trend, w.status),
            ]
        )
    return _table(heads, rows)


def _trend_cell(trend: TrendResult | None, status: str) -> str:
    if trend is None:
        return f'<td class="nowrap">{_verdict(status)}</td>'
    p = f" {escape(_p(trend.p_value))}" if trend.p_value is not None else ""
    return f'<td class="nowrap">{_verdict(trend.verdict)}{p}</td>'


def _versions_table(view: AgentView) -> str:
    heads = [
        "VERSION",
        "PERIOD",
        "RUNS",
        "SUCCESS",
        "QUALITY",
        "COST",
        "TOKENS",
        "EDIT VERDICT",
        "COMPARED",
    ]
    rows = []
    for step in view.versions:
        u = step.usage
        period = f"{_day(u.first_seen)} → {_day(u.last_seen)}"
        current = " " + _badge("current", "") if step.version == view.agent_version else ""
        compared = escape(step.summary) if step.baseline else "first version"
        if step.warnings:
            compared += " " + " ".join(_badge(w, "warn") for w in step.warnings)
        rows.append(
            [
                f"<code>{escape(step.version)}</code>{current}",
                f'<td class="nowrap">{escape(period)}</td>',
                _num(f"{u.runs:,}"),
                _num(percent(step.success_rate)),
                _num(number(step.quality_mean)),
                _num(f"${u.usd:,.2f}"),
                _num(tokens_text(u.tokens)),
                _verdict(step.verdict) if step.verdict else "—",
                f'<td class="wide">{compared}</td>',
            ]
        )
    return _table(heads, rows)


def _ledger_table(view: AgentView) -> str:
    if not view.ledger:
        return (
            '<p class="sub">No recommendation raised (the optimizer needs '
            "10 runs, then fires a rule only on evidence).</p>"
        )
    heads = ["STATE", "SEVERITY", "RULE", "DATES", "EVIDENCE AND ACTION"]
    rows = []
    for entry in view.ledger:
        tone = {"high": "bad", "medium": "warn"}.get(entry.severity, "")
        dates = "<br>".join(f"{escape(s)} {escape(_day(d))}" for s, d in entry.history) or "-"
        rows.append(
            [
                _verdict(entry.state),
                _badge(entry.severity, tone),
                escape(entry.rule),
                dates,
                f'<td class="wide">{escape(_evidence(entry.evidence))}'
                f'<div class="action">{escape(entry.action)}</div></td>',
            ]
        )
    return _table(heads, rows)


# --- small pieces --------------------------------------------------------------------------


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="chart">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


def _table(heads: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>"
        for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _num(value: Any) -> str:
    return f'<td class="num">{escape(str(value))}</td>'


def _badge(text: str, tone: str) -> str:
    return f'<span class="badge {tone}">{escape(text)}</span>'


def verdict_tone(verdict: str) -> str:
    if verdict in ("declining", "regressed"):
        return "bad"
    if verdict in ("improving", "improved", "verified"):
        return "good"
    if verdict in ("open", "not_verified", "inconclusive"):
        return "warn"
    return ""


def _verdict(verdict: str) -> str:
    return _badge(verdict.replace("_", " "), verdict_tone(verdict))


def _p(value: float | None) -> str:
    return "-" if value is None else format_p(value).removeprefix("p=").replace("p<", "<")


def _evidence(evidence: Mapping[str, Any]) -> str:
    shown = []
    for key, value in evidence.items():
        if value is None or isinstance(value, (dict, list)):
            continue
        if key.startswith("p_value") and isinstance(value, float):
            shown.append(f"{key} {format_p(value).removeprefix('p')}")
        else:
            shown.append(f"{key}={number(value)}")
    return ", ".join(shown)


def _day(moment: str | None) -> str:
    """The date of an ISO time, four-digit year always (year 1 reads 0001-01-01)."""
    from kaizen_agentic._time import parse_timestamp

    if not moment:
        return "-"
    try:
        return parse_timestamp(moment).date().isoformat()
    except ValueError:
        head = moment.split("T")[0]
        year, _, rest = head.partition("-")
        return f"{year.zfill(4)}-{rest}" if year.isdigit() else head


def _anchor(key: str) -> str:
    return "agent-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)
