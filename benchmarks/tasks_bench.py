"""Task hand-out figures: claims per second from the state database, beside a file-rename queue.

N task files under a temp state directory; P processes claim until none is
left, with fleet.tasks.claim_task (one SQLite BEGIN IMMEDIATE transaction per
claim). The peer is the classic lock-free file queue: each claimant renames a
task file into claimed/ (os.rename is atomic; the loser of a race gets
FileNotFoundError). Prints wall time and claims/s for each, and checks that
no task was handed out twice.
Run: .venv/bin/python benchmarks/tasks_bench.py [--tasks 1000] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLAIMERS = {
    "sqlite (fleet tasks claim)": """
import sys
from pathlib import Path
from kaizen_agentic.fleet.tasks import claim_task
while (task := claim_task(Path(sys.argv[1]), "bench")) is not None:
    print(task.id)
""",
    "file rename (peer)": """
import os, sys
from pathlib import Path
state = Path(sys.argv[1])
claimed = state / "claimed"
for path in sorted((state / "tasks").glob("*/*.json")):
    try:
        os.rename(path, claimed / f"{path.parent.name}--{path.name}")
    except FileNotFoundError:
        continue
    print(f"{path.parent.name}/{path.stem}")
""",
}


def prepare(base: Path, count: int) -> Path:
    from kaizen_agentic.fleet.state import FleetState

    state = base / "state"
    FleetState(state).close()
    (state / "claimed").mkdir()
    for i in range(count):
        path = state / "tasks" / f"repo-{i % 50:02d}" / f"coach-{i:06d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"agent": "coach", "slot": f"{i:06d}"}))
    return state


def measure(code: str, state: Path, processes: int) -> tuple[float, list[str]]:
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(state)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    ids = [line for w in workers for line in w.communicate()[0].split()]
    return time.perf_counter() - started, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    for name, code in CLAIMERS.items():
        with tempfile.TemporaryDirectory() as tmp:
            state = prepare(Path(tmp), args.tasks)
            seconds, ids = measure(code, state, args.processes)
        twice = len(ids) - len(set(ids))
        print(
            f"{name:<28} {args.tasks} tasks, {args.processes} processes: {seconds:6.2f} s "
            f"({len(ids) / seconds:7.0f} claims/s; handed out twice: {twice})"
        )


if __name__ == "__main__":
    main()
