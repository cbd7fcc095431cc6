"""The report's budgets: the 3-repo demo fleet's page size and render time, and a big agent.

Prints, beside each target: the fleet report's bytes (< 2 MB), its render
time in headless Chromium from navigation to the first frame after the load
event (median of 3 loads, < 2 s), the time to write it, and the time to
write the report of one agent with 100,000 runs from a cold cache (< 10 s).

Run: .venv/bin/python benchmarks/report_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.report.conftest import NOW, write_runs

from kaizen_agentic.demo import HOST, run_demo
from kaizen_agentic.report import write_report
from kaizen_agentic.report.browser import check_page, find_chromium


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        demo = run_demo(base / "demo")
        started = time.perf_counter()
        fleet = write_report(
            base / "fleet.html",
            roster=demo.roster,
            host=HOST,
            state_dir=demo.state,
            now=demo.at + timedelta(minutes=1),
        )
        written_s = time.perf_counter() - started
        print(f"demo fleet report (3 repos, {fleet.agents} agents)")
        print(f"  size:            {fleet.bytes / 1e6:6.2f} MB   (target < 2 MB)")
        print(f"  write:           {written_s:6.2f} s")
        if find_chromium() is None:
            print("  render:          chromium not installed; skipped")
        else:
            loads = [check_page(fleet.path).render_s for _ in range(3)]
            print(f"  render:          {statistics.median(loads):6.2f} s    (< 2 s, median of 3)")
        big = base / "big"
        write_runs(big, "coach", 100_000, days=90)
        started = time.perf_counter()
        report = write_report(base / "big.html", target=big, now=NOW)
        print("one agent with 100,000 runs, cold cache")
        print(f"  write:           {time.perf_counter() - started:6.2f} s    (target < 10 s)")
        print(f"  size:            {report.bytes / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
