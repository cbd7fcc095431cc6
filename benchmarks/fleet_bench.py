"""Fleet figures: discovery over 1,000 repos, and one run cycle over 300 repos x 3 agents.

Discovery: N repos (each with a .kaizen/schedule.yml enabling 2-3 agents, a mix
of time zones and crons) and a roster in a temp dir; prints the median of R
timed discoveries (target <= 2 s for 1,000 repos).
Cycle: 300 repos with coach, optimization and tdd-workflow all due at one slot
and 60 recorded runs of tdd-workflow each; prints the wall time of one
run_cycle: optimize + prepare + task for every slot (target <= 30 s).
Run: .venv/bin/python benchmarks/fleet_bench.py [--repos 1000] [--cycle-repos 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from kaizen_agentic.fleet import discover_kaizen_scheduled_repos, load_roster

HOST = "bench-01"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
AGENTS = (
    ("coach", 'cadence: weekly, cron: "0 9 * * 1"'),
    ("optimization", 'cadence: weekly, cron: "0 10 * * 1"'),
    ("tdd-workflow", "cadence: daily"),
    ("code-reviewer", 'cadence: monthly, cron: "30 6 1 * *"'),
)


def generate(base: Path, count: int) -> Path:
    """*count* repos under *base*/repos and *base*/roster.yaml listing them all."""
    entries = []
    for i in range(count):
        slug = f"repo-{i:05d}"
        root = base / "repos" / slug
        (root / ".kaizen").mkdir(parents=True)
        picked = [AGENTS[(i + k) % len(AGENTS)] for k in range(2 + i % 2)]
        lines = ['version: "1"', f'timezone: "{ZONES[i % len(ZONES)]}"', "agents:"]
        lines += [f"  {name}: {{{settings}, enabled: true}}" for name, settings in picked]
        (root / ".kaizen" / "schedule.yml").write_text("\n".join(lines) + "\n")
        entries.append(
            {
                "slug": slug,
                "domain": ("custodian", "payments")[i % 2],
                "status": "active",
                "host_paths": {HOST: str(root)},
            }
        )
    roster = base / "roster.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": entries}))
    return roster


CYCLE_SCHEDULE = """version: "1"
agents:
  coach: {cadence: weekly, cron: "0 9 * * 1"}
  optimization: {cadence: weekly, cron: "0 9 * * 1"}
  tdd-workflow: {cadence: weekly, cron: "0 9 * * 1"}
"""


def cycle_seconds(base: Path, count: int) -> tuple[float, int, int]:
    """Wall time of one run cycle over *count* repos x 3 due agents; (seconds, done, failed)."""
    from datetime import timedelta

    from kaizen_agentic.fleet import discover_scheduled_runs
    from kaizen_agentic.fleet.runner import run_cycle
    from kaizen_agentic.metrics import MetricsStore, complete_record

    at = datetime(2026, 3, 30, 9, 5, tzinfo=timezone.utc)
    entries = []
    for i in range(count):
        root = base / "cycle" / f"repo-{i:04d}"
        (root / ".kaizen").mkdir(parents=True)
        (root / ".kaizen" / "schedule.yml").write_text(CYCLE_SCHEDULE)
        store = MetricsStore(root, "tdd-workflow")
        for k in range(60):
            store.append(
                complete_record(
                    {
                        "success": k % 4 != 0,
                        "quality_score": 0.5 + (k % 10) / 20,
                        "execution_time_s": 20.0 + k % 30,
                    },
                    agent="tdd-workflow",
                    agent_version="v1",
                    project=root.name,
                    domain=None,
                    environ={},
                    now=at - timedelta(hours=12 * (60 - k)),
                )
            )
        entries.append(
            {
                "slug": root.name,
                "domain": "bench",
                "status": "active",
                "host_paths": {HOST: str(root)},
            }
        )
    roster_file = base / "cycle-roster.yaml"
    roster_file.write_text(json.dumps({"version": "1", "repos": entries}))
    runs = discover_scheduled_runs(None, None, at, roster=load_roster(roster_file), host=HOST).runs
    started = time.perf_counter()
    report = run_cycle(runs, base / "state", at=at)
    elapsed = time.perf_counter() - started
    done = sum(o.status == "done" for o in report.outcomes)
    return elapsed, done, len(report.outcomes) - done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cycle-repos", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="Print the top functions too.")
    args = parser.parse_args()
    now = datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory(prefix="kaizen-fleet-bench-") as tmp:
        roster_file = generate(Path(tmp), args.repos)
        started = time.perf_counter()
        roster = load_roster(roster_file)
        load_seconds = time.perf_counter() - started
        samples = []
        runs = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            result = discover_kaizen_scheduled_repos(now=now, roster=roster, host=HOST)
            samples.append(time.perf_counter() - started)
            runs = len(result["scheduled_runs"])
            assert not result["skipped"], result["skipped"][:3]
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            discover_kaizen_scheduled_repos(now=now, roster=roster, host=HOST)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        cycle, done, failed = cycle_seconds(Path(tmp), args.cycle_repos)
    median = statistics.median(samples)
    print(f"repos:                    {args.repos}")
    print(f"scheduled runs found:     {runs}")
    print(f"roster load:              {load_seconds * 1000:.0f} ms")
    print(f"discover (median of {args.runs}):  {median:.3f} s  (target <= 2 s)")
    print(f"per repo:                 {median / args.repos * 1000:.2f} ms")
    print(
        f"run cycle, {args.cycle_repos} repos x 3 agents: {cycle:.1f} s  (target <= 30 s; "
        f"{done} slots done, {failed} failed)"
    )


if __name__ == "__main__":
    main()
