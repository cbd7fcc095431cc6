from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.demo import DemoReport
from kaizen_agentic.report import write_report
from kaizen_agentic.report.model import collect_repo
from tests.report.conftest import NOW, write_runs


class Page(HTMLParser):
    """Checks the page parses and collects what the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.svgs = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.svgs += tag == "svg"
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.links.append(value)


def report(root: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["report", "-t", str(root), "--out", str(out), *args])
    return result.exit_code, result.stdout, result.stderr


def test_no_data_gives_a_valid_page_that_says_how_to_start(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, stdout, _ = report(project, out)
    assert code == 0
    assert stdout.startswith(f"Wrote the report of 0 agent(s) to {out}")
    text = out.read_text()
    page = Page(text)
    assert page.tags[0] == "html" and page.svgs == 0 and page.links == []
    assert "No runs recorded in project yet" in text
    assert "default-src &#x27;none&#x27;" in text or "default-src 'none'" in text


def test_one_agent_with_three_runs(project: Path, tmp_path: Path) -> None:
    write_runs(project, "coach", 3, days=2)
    out = tmp_path / "r.html"
    written = write_report(out, target=project, now=NOW)
    text = out.read_text()
    page = Page(text)
    assert written.agents == 1 and page.links == []
    assert 'id="agent-project-coach"' in text
    assert "insufficient data" in text  # every window is under 5 runs
    assert page.svgs >= 3  # quality, success, runs by source (and cost per version)
    assert "captured / manual runs" in text and "2 / 1" in text


@pytest.mark.slow
def test_an_agent_with_100000_runs_is_drawn_from_daily_aggregates(
    project: Path, tmp_path: Path
) -> None:
    write_runs(project, "coach", 100_000, days=90)
    data = collect_repo(project, now=NOW)
    (view,) = data.agents
    assert view.daily is not None and len(view.daily.day) == 91  # noon to noon: 91 days
    assert sum(view.daily.runs) == 100_000
    assert sum(view.daily.runs_by_source["claude-hook"]) == 66_666
    assert [s.usage.runs for s in view.versions] == [50_000, 50_000]
    out = tmp_path / "r.html"
    written = write_report(out, target=project, now=NOW)
    assert written.bytes < 400_000  # aggregated: as large as 90 days of points, not 100,000
    assert Page(out.read_text()).svgs == 4


def test_only_the_named_agents(project: Path, tmp_path: Path) -> None:
    write_runs(project, "coach", 6)
    write_runs(project, "tdd-workflow", 6)
    out = tmp_path / "r.html"
    assert report(project, out, "--agent", "tdd-workflow")[0] == 0
    text = out.read_text()
    assert 'id="agent-project-tdd-workflow"' in text and "agent-project-coach" not in text


def test_values_from_files_are_escaped(project: Path, tmp_path: Path) -> None:
    write_runs(project, "coach", 12)
    history = project / ".kaizen" / "metrics" / "optimizer" / "recommendations.jsonl"
    history.parent.mkdir(parents=True)
    line = {
        "id": "x1",
        "agent": "coach",
        "rule": "slow_execution",
        "severity": "high",
        "action": "<script>alert(1)</script>",
        "evidence": {"window": "<img src=x>"},
        "generated_at": "2026-05-01T00:00:00Z",
    }
    history.write_text(json.dumps(line) + "\n")
    out = tmp_path / "r.html"
    write_report(out, target=project, now=NOW)
    text = out.read_text()
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "no longer raised" in text  # in the history, not in the last analysis


def test_without_the_report_extra_it_names_the_extra_and_writes_nothing(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from kaizen_agentic.cli import main\n"
        f"sys.argv = ['kaizen-agentic', 'report', '-t', {str(project)!r}, '--out', {str(out)!r}]\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: the report draws its charts with matplotlib, which is not installed; "
        "install the report extra: pip install 'kaizen-agentic[report]'"
    ]
    assert not out.exists()


def test_the_demo_writes_the_fleet_report(demo_fleet: DemoReport) -> None:
    assert demo_fleet.report == demo_fleet.directory / "report.html"
    text = demo_fleet.report.read_text()
    assert 'id="fleet"' in text and "Bootstrap exit criterion met" in text
    for key in ("payments-api-tdd-workflow", "web-frontend-code-reviewer"):
        assert f'id="agent-{key}"' in text
    from kaizen_agentic.fleet.health import RECENT_CYCLES

    # 3 repos x the recent weekly cycles (the demo runs 6, the grid shows the last ones)
    assert text.count('class="cell done"') == 3 * min(6, RECENT_CYCLES)
    assert "code-reviewer: quality declining over 30d" in text
    assert Page(text).links == []


def test_runs_stamped_in_year_1_or_9999_stay_off_the_charts(project: Path, tmp_path: Path) -> None:
    write_runs(project, "coach", 20, days=10)
    path = project / ".kaizen" / "metrics" / "coach" / "executions.jsonl"
    with path.open("a") as out:
        for stamp, version in (("0001-01-01T00:00:00Z", "old"), ("9999-12-31T23:59:59Z", "new")):
            line = {"success": True, "quality_score": 0.5, "timestamp": stamp}
            out.write(json.dumps({**line, "agent_version": version}) + "\n")
    out_file = tmp_path / "r.html"
    code, _, stderr = report(project, out_file)
    assert (code, stderr) == (0, "")
    text = out_file.read_text()
    assert "22 runs" not in text and ">22<" in text  # counted in the headline
    assert "0001-01-01" in text and "9999-12-31" in text  # in the version timeline
