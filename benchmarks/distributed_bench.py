"""The distributed backends: time to sync 1,000 Temporal schedules, time to flush 10,000 events.

Temporal half: starts a dev server (``temporal server start-dev``, loopback,
free ports, temporary store), generates R repos x A agents with schedule files
and a roster, then times ``sync_schedules`` creating every schedule and two
no-op syncs after it; then a small second host (4 schedules) beside them:
its no-op sync and its ``fleet temporal status``, side by side with status
for the big host and for every schedule; stops the server. NATS half: runs events_bench.py (its own
nats-server) and reports its flush time.
Run: .venv/bin/python benchmarks/distributed_bench.py [--repos 500] [--agents 2]
     [--concurrency 50] [--events 10000] [--skip-events]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kaizen_agentic.fleet import discover_scheduled_runs, load_roster
from kaizen_agentic.fleet.temporal import TemporalTarget, schedule_statuses, sync_schedules
from kaizen_agentic.fleet.temporal.testing import LocalTemporalServer

HOST = "bench-01"
SMALL_HOST = "bench-02"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
AGENTS = (
    ("coach", 'cadence: weekly, cron: "0 9 * * 1"'),
    ("optimization", 'cadence: weekly, cron: "0 10 * * 1"'),
    ("tdd-workflow", "cadence: daily"),
    ("code-reviewer", 'cadence: monthly, cron: "30 6 1 * *"'),
)


def generate(base: Path, repos: int, agents: int, host: str = HOST, prefix: str = "repo") -> Path:
    """*repos* repos under *base*/repos with *agents* enabled agents each, and the roster."""
    entries = []
    for i in range(repos):
        slug = f"{prefix}-{i:05d}"
        root = base / "repos" / slug
        (root / ".kaizen").mkdir(parents=True)
        picked = [AGENTS[(i + k) % len(AGENTS)] for k in range(agents)]
        lines = ['version: "1"', f'timezone: "{ZONES[i % len(ZONES)]}"', "agents:"]
        lines += [f"  {name}: {{{settings}}}" for name, settings in picked]
        (root / ".kaizen" / "schedule.yml").write_text("\n".join(lines) + "\n")
        entries.append(
            {"slug": slug, "domain": "bench", "status": "active", "host_paths": {host: str(root)}}
        )
    roster = base / f"roster-{host}.yaml"
    roster.write_text(json.dumps({"version": "1", "repos": entries}))
    return roster


def temporal_half(args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory(prefix="kaizen-temporal-bench-") as scratch:
        base = Path(scratch)
        roster = load_roster(generate(base, args.repos, args.agents))
        runs = discover_scheduled_runs(roster=roster, host=HOST).runs
        with LocalTemporalServer(base / "server") as server:
            target = TemporalTarget(server.address)
            start = time.perf_counter()
            first = sync_schedules(runs, host=HOST, target=target, concurrency=args.concurrency)
            created = time.perf_counter() - start
            resyncs = []
            for _ in range(2):
                start = time.perf_counter()
                again = sync_schedules(runs, host=HOST, target=target, concurrency=args.concurrency)
                resyncs.append((time.perf_counter() - start, again.summary()))
            small = small_host(base, target, args.concurrency)
    print("== Temporal (dev server on 127.0.0.1)")
    print(f"schedules:              {len(runs)} ({args.repos} repos x {args.agents} agents)")
    print(
        f"sync, creating all:     {created:.2f} s  ({len(runs) / created:,.0f} schedules/s; "
        f"{first.summary()})"
    )
    # Right after the creates the server is still running each new schedule's
    # first tasks, and a describe waits for them: the first re-sync shows that.
    for label, (seconds, summary) in zip(("at once", "again"), resyncs, strict=True):
        print(f"re-sync {label + ',':<15} {seconds:.2f} s  ({summary})")
    print(f"host {SMALL_HOST} (4 schedules beside the {len(runs):,} of {HOST}):")
    for label, seconds in small:
        print(f"  {label:<34} {seconds:.2f} s")
    return created


def small_host(base: Path, target: TemporalTarget, concurrency: int) -> list[tuple[str, float]]:
    """Times for a 4-schedule host next to the big one: its sync and status, and the peers."""
    roster = load_roster(generate(base, 2, 2, host=SMALL_HOST, prefix="small"))
    runs = discover_scheduled_runs(roster=roster, host=SMALL_HOST).runs
    sync_schedules(runs, host=SMALL_HOST, target=target, concurrency=concurrency)
    time.sleep(2)  # let the new schedules settle, as the big host's did

    def timed(work: Callable[[], object]) -> float:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    return [
        (
            "no-op sync",
            timed(lambda: sync_schedules(runs, host=SMALL_HOST, target=target)),
        ),
        (
            f"status --host {SMALL_HOST}",
            timed(lambda: schedule_statuses(target, host=SMALL_HOST)),
        ),
        (f"status --host {HOST} (peer)", timed(lambda: schedule_statuses(target, host=HOST))),
        ("status, every schedule (peer)", timed(lambda: schedule_statuses(target))),
    ]


def events_half(args: argparse.Namespace) -> float | None:
    script = Path(__file__).with_name("events_bench.py")
    done = subprocess.run(
        [sys.executable, str(script), "--events", str(args.events)],
        capture_output=True,
        text=True,
        check=False,
    )
    print("== NATS JetStream (events_bench.py)")
    print(done.stdout.rstrip() or done.stderr.rstrip())
    found = re.search(r"flush to JetStream:\s+([0-9.]+) s", done.stdout)
    return float(found.group(1)) if found and done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=500)
    parser.add_argument("--agents", type=int, default=2, choices=range(1, len(AGENTS) + 1))
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skip-events", action="store_true", help="Only the Temporal half.")
    args = parser.parse_args()

    synced = temporal_half(args)
    flushed = None if args.skip_events else events_half(args)
    print("== Summary")
    print(f"time to sync {args.repos * args.agents:,} schedules: {synced:.2f} s")
    if not args.skip_events:
        shown = f"{flushed:.2f} s" if flushed is not None else "failed (see above)"
        print(f"time to flush {args.events:,} events: {shown}")


if __name__ == "__main__":
    main()
