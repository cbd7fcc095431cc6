"""A host's Temporal worker whose runs wait half-way while a file exists.

``python -m tests.fleet.held_worker ADDRESS HOST STATE_DIR HOLD_FILE`` serves
like ``fleet temporal worker`` (same ready line on stderr, same stop on
SIGINT/SIGTERM) through the production entry point
:func:`~kaizen_agentic.fleet.temporal.worker.run_worker`, with a hold
installed between a run's bundle and its task, so a test can kill the worker
in the middle of a run.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kaizen_agentic.fleet.runner import DueRun
from kaizen_agentic.fleet.temporal import TemporalTarget, task_queue
from kaizen_agentic.fleet.temporal.worker import run_worker


def hold_while_exists(path: Path) -> Callable[[DueRun], None]:
    """Wait while *path* exists: the test removes it once the worker is dead."""

    def hold(due: DueRun) -> None:
        while path.exists():
            time.sleep(0.1)

    return hold


def main(argv: list[str]) -> int:
    address, host, state_dir, hold_file = argv
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def ready() -> None:
        print(
            f"held worker: task queue {task_queue(host)} at {address}; stop with Ctrl-C or SIGTERM",
            file=sys.stderr,
            flush=True,
        )

    run_worker(
        TemporalTarget(address),
        host,
        Path(state_dir),
        stop=stop,
        on_ready=ready,
        hold=hold_while_exists(Path(hold_file)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
