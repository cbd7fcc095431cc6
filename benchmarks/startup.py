"""Start-up cost: `kaizen-agentic --version` against `python -c "import click"`.

Prints the median wall time of each over N runs and their ratio (target <= 2.0).
Run: .venv/bin/python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm the page cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    script = Path(sys.executable).parent / "kaizen-agentic"
    cli = [str(script)] if script.exists() else [shutil.which("kaizen-agentic") or "kaizen-agentic"]
    ours = median_seconds([*cli, "--version"], args.runs)
    click = median_seconds([sys.executable, "-c", "import click"], args.runs)
    print(f"runs per command:              {args.runs}")
    print(f"kaizen-agentic --version:      {ours * 1000:.1f} ms (median)")
    print(f'python -c "import click":      {click * 1000:.1f} ms (median)')
    print(f"ratio:                         {ours / click:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
