"""Event delivery throughput: emit N events, then time one `flush_events` to a local nats-server.

Starts nats-server (JetStream on, loopback, free port, temporary store), prints
the emit and flush times and events per second, and stops the server.
Run: .venv/bin/python benchmarks/events_bench.py [--events N] [--batch-size B]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kaizen_agentic.events import MetricsRecorded, emit_event, flush_events, pending_events
from kaizen_agentic.events.testing import LocalNatsServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kaizen-events-bench-") as scratch:
        root = Path(scratch) / "project"
        root.mkdir()
        start = time.perf_counter()
        for n in range(args.events):
            emit_event(
                root,
                MetricsRecorded(
                    repo="bench",
                    agent="tdd-workflow",
                    record_id=f"r-{n}",
                    success=n % 5 != 0,
                    quality_score=0.8,
                    agent_version="0123456789abcdef",
                ),
            )
        emitted = time.perf_counter() - start

        with LocalNatsServer(Path(scratch) / "nats") as server:
            start = time.perf_counter()
            result = flush_events(root, server.url, batch_size=args.batch_size)
            flushed = time.perf_counter() - start
        left = len(pending_events(root))

    print(f"events:                {args.events}")
    print(f"emit (outbox append):  {emitted:.2f} s  ({args.events / emitted:,.0f} events/s)")
    print(f"flush to JetStream:    {flushed:.2f} s  ({result.delivered / flushed:,.0f} events/s)")
    print(f"delivered / pending:   {result.delivered} / {left}")


if __name__ == "__main__":
    main()
