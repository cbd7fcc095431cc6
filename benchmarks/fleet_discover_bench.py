"""Fleet discovery over 1,000 repos: ``discover_kaizen_scheduled_repos`` wall time.

Generates N repos (each with a .kaizen/schedule.yml enabling 2-3 agents, a mix
of time zones and crons) and a roster in a temp dir, then prints the median of
R timed discoveries.
Run: .venv/bin/python benchmarks/fleet_discover_bench.py [--repos 1000] [--runs 5] [--profile]
Target: median <= 2 s for 1,000 repos.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
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
    median = statistics.median(samples)
    print(f"repos:                    {args.repos}")
    print(f"scheduled runs found:     {runs}")
    print(f"roster load:              {load_seconds * 1000:.0f} ms")
    print(f"discover (median of {args.runs}):  {median:.3f} s  (target <= 2 s)")
    print(f"per repo:                 {median / args.repos * 1000:.2f} ms")


if __name__ == "__main__":
    main()
