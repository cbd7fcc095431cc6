"""Metrics store figures: record latency vs history size, append throughput, show on 1M records.

Run: .venv/bin/python benchmarks/metrics_bench.py [--records 1000000] [--runs 15]
Targets: record ratio (1M vs empty) <= 1.15; warm show <= 1 s; show peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kaizen_agentic.metrics import MetricsStore

CLI = str(Path(sys.executable).parent / "kaizen-agentic")


def write_history(root: Path, count: int) -> None:
    """*count* realistic records over the last 180 days, written straight to the file."""
    directory = root / ".kaizen" / "metrics" / "coach"
    directory.mkdir(parents=True, exist_ok=True)
    start = datetime.now(timezone.utc) - timedelta(days=180)
    step = timedelta(days=180) / max(count, 1)
    with (directory / "executions.jsonl").open("w") as handle:
        for i in range(count):
            stamp = (start + step * i).strftime("%Y-%m-%dT%H:%M:%SZ")
            handle.write(
                json.dumps(
                    {
                        "agent": "coach",
                        "agent_version": "0123456789ab",
                        "cost": {"usd": 0.02},
                        "execution_time_s": 20 + i % 17,
                        "project": "bench",
                        "quality_score": round(0.6 + (i % 40) / 100, 2),
                        "record_id": uuid.uuid4().hex,
                        "success": i % 5 != 0,
                        "timestamp": stamp,
                    },
                    sort_keys=True,
                    separators=(",", ":"),
                )
                + "\n"
            )


def timed(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of *command*, measured in a fresh parent."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True
    )
    wall, rss_kb = done.stdout.split()
    return float(wall), int(rss_kb) / 1024


def append_rate(root: Path, history: int, count: int = 2000) -> float:
    write_history(root, history)
    store = MetricsStore(root, "coach")
    record = {
        "success": True,
        "quality_score": 0.8,
        "agent": "coach",
        "record_id": "x",
        "timestamp": "2026-01-01T00:00:00Z",
    }
    start = time.perf_counter()
    for _ in range(count):
        store.append(record)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="kaizen-bench-"))
    try:
        empty, full = base / "empty", base / "full"
        empty.mkdir()
        full.mkdir()
        write_history(full, args.records)
        record = [CLI, "metrics", "record", "coach", "--success", "--quality", "0.8", "-t"]
        t_empty = timed([*record, str(empty)], args.runs)
        t_full = timed([*record, str(full)], args.runs)
        print(
            f"metrics record, empty history:       {t_empty * 1000:.1f} ms (median of {args.runs})"
        )
        print(f"metrics record, {args.records:,} records: {t_full * 1000:.1f} ms (median)")
        print(f"ratio:                               {t_full / t_empty:.3f} (target <= 1.15)")
        for history in (0, 100_000):
            root = base / f"append-{history}"
            root.mkdir()
            rate = append_rate(root, history)
            print(f"library append, {history:>7,} history:  {rate:,.0f} records/s")
        show = [CLI, "metrics", "show", "coach", "--json", "-t", str(full)]
        shutil.rmtree(full / ".kaizen" / "metrics" / "coach" / ".cache", ignore_errors=True)
        cold, cold_rss = peak_rss_mb(show)
        _, warm_rss = peak_rss_mb(show)
        warm_median = timed(show, 5)
        print(f"metrics show --json, cold (no cache): {cold:.2f} s")
        print(
            f"metrics show --json, warm:            {warm_median:.2f} s (median of 5; "
            "target <= 1 s)"
        )
        print(
            f"peak RSS of show (cold, warm):        {cold_rss:.0f} MB, {warm_rss:.0f} MB"
            " (target <= 150 MB)"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
