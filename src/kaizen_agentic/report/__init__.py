"""Report: one self-contained HTML page per repo or fleet (SPEC §13).

:func:`write_report` gathers the evidence (:mod:`~kaizen_agentic.report.model`),
draws the charts (:mod:`~kaizen_agentic.report.charts`, matplotlib from the
``[report]`` extra) and writes one HTML file (:mod:`~kaizen_agentic.report.page`)
that opens from disk and makes no request of any kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kaizen_agentic.report.model import ReportData

__all__ = ["ReportData", "WrittenReport", "write_report"]


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    bytes: int
    agents: int
    fleet: bool


def write_report(
    out: Path,
    *,
    target: Path | None = None,
    agents: Sequence[str] = (),
    roster: Path | None = None,
    host: str | None = None,
    state_dir: Path | None = None,
    now: datetime | None = None,
) -> WrittenReport:
    """Write the report of *target* (or, with *roster* and *host*, of the fleet) to *out*.

    The file is replaced atomically; when the charting extra is missing,
    nothing is read or written and the error names the extra to install.
    """
    from kaizen_agentic._fs import atomic_write_text
    from kaizen_agentic.report.charts import ChartMaker
    from kaizen_agentic.report.model import collect_fleet, collect_repo
    from kaizen_agentic.report.page import render_page

    charts = ChartMaker()
    if roster is not None:
        from kaizen_agentic.fleet import load_roster
        from kaizen_agentic.fleet.state import DEFAULT_STATE_DIR

        data = collect_fleet(
            load_roster(roster),
            host=host or "",
            state_dir=state_dir or DEFAULT_STATE_DIR,
            agents=agents,
            now=now,
        )
    else:
        data = collect_repo(target or Path(), agents=agents, now=now)
    html = render_page(data, charts)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, html)
    return WrittenReport(out, len(html.encode()), len(data.agents), data.fleet is not None)
