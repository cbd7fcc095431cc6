# ruff: noqa: E501 - the candidates are program text run in child processes; kept one statement a line
"""Which parser turns executions.jsonl into analytics columns fastest, within 150 MB?

Each candidate runs in its own process on the same generated file and
extracts the same columns (timestamp, success and the numeric fields); the
table gives wall time and peak RSS side by side. This is the measurement the
choice of parser in metrics/columns.py rests on.

Run: .venv/bin/python benchmarks/parse_choice.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evidence_bench import write_history

CHUNK = 2 * 1024 * 1024

# Each body gets `path`; it must leave the number of records read in `n`.
_LINES = f"""
from kaizen_agentic.metrics.columns import ColumnBuilder
builder = ColumnBuilder()
with open(path, "rb") as handle:
    pending = b""
    while block := handle.read({CHUNK}):
        data = pending + block
        cut = data.rfind(b"\\n") + 1
        pending = data[cut:]
        for raw in data[:cut].split(b"\\n")[:-1]:
            record = loads(raw)
            if isinstance(record, dict):
                builder.add(record)
n = len(builder.build())
"""

CANDIDATES = {
    "reading the bytes only": "n = Path(path).read_bytes().count(b'\\n')\n",
    "stdlib json.loads per line": "from json import loads\n" + _LINES,
    "orjson.loads per line": "from orjson import loads\n" + _LINES,
    "msgspec, as in metrics/columns.py": """
import os
from kaizen_agentic.metrics.columns import parse_range
# one process, as the other candidates: the two-core split is measured in evidence_bench.py
n = len(parse_range(Path(path), 0, os.path.getsize(path), Path(path).parent).columns)
""",
    "pyarrow.json.read_json, schema": """
import pyarrow as pa, pyarrow.json as pj, pyarrow.compute as pc
f = pa.float64()
schema = pa.schema([
    ("timestamp", pa.string()), ("success", pa.bool_()), ("quality_score", f),
    ("execution_time_s", f),
    ("cost", pa.struct([("usd", f), ("input_tokens", f), ("output_tokens", f), ("tool_invocations", f)])),
    ("collaboration", pa.struct([("handoffs", f), ("messages", f), ("helpfulness", f)])),
    ("primary_metric", pa.struct([("value", f), ("target", f)])),
])
table = pj.read_json(path, parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"))
ts = pc.strptime(table["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", unit="s").cast(pa.int64()).to_numpy()
cols = [table[c].to_numpy(zero_copy_only=False) for c in ("success", "quality_score", "execution_time_s")]
cols += [pc.struct_field(table[s], [i]).to_numpy(zero_copy_only=False) for s, k in (("cost", 4), ("collaboration", 3), ("primary_metric", 2)) for i in range(k)]
n = len(ts)
""",
    "duckdb read_json, columns": """
import duckdb
d = "DOUBLE"
columns = {"timestamp": "VARCHAR", "success": "BOOLEAN", "quality_score": d, "execution_time_s": d,
    "cost": "STRUCT(usd DOUBLE, input_tokens DOUBLE, output_tokens DOUBLE, tool_invocations DOUBLE)",
    "collaboration": "STRUCT(handoffs DOUBLE, messages DOUBLE, helpfulness DOUBLE)",
    "primary_metric": "STRUCT(value DOUBLE, target DOUBLE)"}
con = duckdb.connect()
con.execute("SET threads = 1")
out = con.execute(
    "SELECT epoch(strptime(timestamp, '%Y-%m-%dT%H:%M:%SZ')) AS ts, success::FLOAT AS success, "
    "quality_score, execution_time_s, cost.usd, cost.input_tokens, cost.output_tokens, "
    "cost.tool_invocations, collaboration.handoffs, collaboration.messages, "
    "collaboration.helpfulness, primary_metric.value, primary_metric.target "
    "FROM read_json(?, format='newline_delimited', columns=?)",
    [path, columns],
).fetchnumpy()
n = len(out["ts"])
""",
}

_RUN = """
import resource, sys, time
from pathlib import Path
path = sys.argv[1]
start = time.perf_counter()
exec(sys.argv[2])
print(n, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(path: Path, body: str) -> tuple[int, float, float, float]:
    """(records, parse seconds, whole-process seconds, peak RSS MB) of one candidate."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), body], capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    count, seconds, rss_kb = done.stdout.split()
    return int(count), float(seconds), wall, int(rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="kaizen-parse-"))
    try:
        path = write_history(base, args.records)
        size = path.stat().st_size / 1e6
        # candidates run in fresh processes: a parent that had read the file
        # would pass its resident memory on to their peak RSS
        print(f"{args.records:,} records, {size:.0f} MB")
        print(f"{'candidate':32} {'records':>9} {'parse s':>8} {'process s':>9} {'peak MB':>8}")
        for name, body in CANDIDATES.items():
            try:
                count, seconds, wall, rss = measure(path, body)
            except (RuntimeError, OSError) as error:
                print(f"{name:32} failed: {error}")
                continue
            print(f"{name:32} {count:>9,} {seconds:>8.2f} {wall:>9.2f} {rss:>8.0f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
