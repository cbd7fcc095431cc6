"""Evidence figures at scale: every goal of the metrics read and write paths, side by side.

Generates one history of realistic records (fixed seed) into a temporary
project and measures, in the same run so the noise of a shared machine hits
both sides of each ratio alike:

- a DuckDB ``read_json`` aggregate of the same numbers as a whole process (the peer);
- ``metrics show --json`` cold (no cache), warm, and right after one new record;
- ``metrics optimize --json`` cold and on unchanged data;
- ``metrics record`` at an empty history and at the full one;
- ``kaizen-agentic --version`` against ``python -c "import click"``.

Run: .venv/bin/python benchmarks/evidence_bench.py [--records 1000000] [--runs 15]
(``--records 100000`` for a quick check; the DuckDB peer needs the ``dev`` extra.)
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

AGENT = "coach"
DAYS = 180


def write_history(root: Path, count: int, *, seed: int = 7) -> Path:
    """*count* records spread over the last 180 days, newest last; the file's path.

    Lines are formatted directly (compact, sorted keys, as the store writes
    them) because json.dumps would make generation slower than the reads measured.
    """
    directory = root / ".kaizen" / "metrics" / AGENT
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "executions.jsonl"
    rng = random.Random(seed)
    end = datetime.now(timezone.utc).replace(microsecond=0)
    start = int((end - timedelta(days=DAYS)).timestamp())
    step = DAYS * 86400 / max(count, 1)
    versions = ("4f1c2a9be0d3", "a83b5e07c61f")
    with path.open("w", encoding="utf-8") as handle:
        lines = []
        for i in range(count):
            moment = datetime.fromtimestamp(start + int(i * step), tz=timezone.utc)
            later = i >= count // 2
            quality = min(1.0, max(0.0, rng.gauss(0.74 if later else 0.7, 0.1)))
            tokens_in = rng.randrange(2_000, 40_000)
            tokens_out = rng.randrange(200, 6_000)
            collaboration = (
                f'"collaboration":{{"handoffs":{rng.randrange(4)},'
                f'"helpfulness":{rng.random():.2f},"messages":{rng.randrange(30)}}},'
                if i % 10 == 0
                else ""
            )
            primary = (
                f'"primary_metric":{{"name":"tests_passed","target":0.95,'
                f'"value":{rng.random():.3f}}},'
                if i % 4 == 0
                else ""
            )
            # keys in sorted order, as the store writes them
            lines.append(
                f'{{"agent":"{AGENT}","agent_version":"{versions[later]}",{collaboration}'
                f'"cost":{{"input_tokens":{tokens_in},"output_tokens":{tokens_out},'
                f'"usd":{(tokens_in * 3 + tokens_out * 15) / 1e6:.5f}}},'
                f'"execution_time_s":{rng.uniform(5, 300):.1f},{primary}'
                f'"project":"bench","quality_score":{quality:.3f},'
                f'"record_id":"{rng.getrandbits(128):032x}",'
                f'"success":{"true" if rng.random() < 0.85 else "false"},'
                f'"timestamp":"{moment:%Y-%m-%dT%H:%M:%SZ}"}}\n'
            )
            if len(lines) == 10_000:
                handle.write("".join(lines))
                lines.clear()
        handle.write("".join(lines))
    return path
