"""The report in a real browser: headless Chromium over the DevTools protocol."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kaizen_agentic.demo import DemoReport
from kaizen_agentic.report import write_report
from kaizen_agentic.report.browser import PageCheck, check_page, find_chromium
from tests.report.conftest import NOW, write_runs

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
WIDTHS = (1280, 390)  # a laptop and a phone


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: make test installs chromium")
        pytest.skip("chromium is not installed (make test installs it as root)")


def keep(paths: dict[int, Path]) -> None:
    """Screenshots for the test log, in test-output/ (ignored by git)."""
    OUTPUT.mkdir(exist_ok=True)
    for path in paths.values():
        shutil.copy(path, OUTPUT / path.name)


def assert_clean(check: PageCheck, charts: int) -> None:
    assert check.requests == []
    assert check.errors == []
    drawn = check.charts
    assert len(drawn) == charts
    for chart in drawn:  # a frame with no data marks is not a chart
        assert chart["marks"] > 0 and chart["drawn"] == chart["marks"]
        assert chart["width"] > 200 and chart["height"] > 40
    assert check.overflow == dict.fromkeys(WIDTHS, False)


@pytest.mark.slow
def test_the_demo_fleet_report_renders_offline(demo_fleet: DemoReport, tmp_path: Path) -> None:
    assert demo_fleet.report is not None
    page = tmp_path / "fleet.html"
    shutil.copy(demo_fleet.report, page)
    check = check_page(page, widths=WIDTHS, screenshot_dir=tmp_path)
    # 3 small multiples + 3 agents x (quality, success, runs by source, cost per version)
    assert_clean(check, 3 + 3 * 4)
    assert sorted(check.screenshots) == sorted(WIDTHS)
    keep(check.screenshots)


@pytest.mark.slow
def test_one_agent_page_renders_offline(project: Path, tmp_path: Path) -> None:
    write_runs(project, "coach", 400, days=60)
    page = tmp_path / "agent.html"
    write_report(page, target=project, now=NOW)
    check = check_page(page, widths=WIDTHS, screenshot_dir=tmp_path)
    assert_clean(check, 4)
    keep(check.screenshots)


@pytest.mark.slow
def test_the_check_sees_requests_and_console_errors(tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text(
        "<!doctype html><html><body>"
        '<img src="http://127.0.0.1:9/pixel.png">'
        "<script>console.error('broken')</script>"
        "</body></html>"
    )
    check = check_page(page, widths=(1280,))
    assert check.requests == ["http://127.0.0.1:9/pixel.png"]
    assert "broken" in check.errors
