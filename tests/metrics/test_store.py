from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidNameError
from kaizen_agentic.metrics import MalformedLineWarning, MetricsStore, RecordError, complete_record

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def record(success: bool = True, *, days_ago: float = 0, **fields: object) -> dict[str, object]:
    return complete_record(
        {"success": success, **fields},
        agent="coach",
        agent_version="v1",
        project="p",
        domain=None,
        environ={},
        now=NOW - timedelta(days=days_ago),
    )


def lines(store: MetricsStore) -> list[str]:
    return store.executions_path.read_text().splitlines()


def test_append_writes_one_sorted_json_line_and_reads_back(project: Path) -> None:
    store = MetricsStore(project, "coach")
    assert store.append(record(quality_score=0.5, custom_field={"kept": True}))
    [line] = lines(store)
    data = json.loads(line)
    assert list(data) == sorted(data)
    assert data["custom_field"] == {"kept": True}
    assert store.read_executions() == [data]


def test_library_append_fills_automatic_fields_and_validates(project: Path) -> None:
    store = MetricsStore(project, "coach")
    assert store.append({"success": False})
    [data] = store.read_executions()
    assert data["agent"] == "coach" and len(data["record_id"]) == 32
    assert data["timestamp"].endswith("Z")
    with pytest.raises(RecordError, match="quality_score"):
        store.append({"success": True, "quality_score": 1.5})
    assert len(lines(store)) == 1


def test_idempotency_key_is_written_once_and_survives_a_lost_index(project: Path) -> None:
    store = MetricsStore(project, "coach")
    assert store.append(record(), idempotency_key="run-1")
    assert not store.append(record(), idempotency_key="run-1")
    store.index_path.unlink()
    assert not store.append(record(), idempotency_key="run-1")  # index rebuilt from the file
    store.index_path.write_bytes(b"not a database")
    assert not store.append(record(), idempotency_key="run-1")
    assert store.append(record(), idempotency_key="run-2")
    assert [json.loads(x)["idempotency_key"] for x in lines(store)] == ["run-1", "run-2"]


def test_index_catches_up_with_lines_appended_behind_its_back(project: Path) -> None:
    store = MetricsStore(project, "coach")
    store.append(record(), idempotency_key="a")
    with store.executions_path.open("a") as handle:
        handle.write(json.dumps({**record(), "idempotency_key": "b"}) + "\n")
    assert not store.append(record(), idempotency_key="b")


def _worker(root: str, worker: int, count: int) -> None:
    store = MetricsStore(Path(root), "coach")
    for i in range(count):
        key = f"shared-{i // 4}" if i % 4 == 0 else None
        store.append(record(quality_score=(worker + 1) / 10), idempotency_key=key)


def test_concurrent_appends_lose_nothing_and_keep_keys_unique(project: Path) -> None:
    processes, per_process = 8, 2000
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_worker, args=(str(project), w, per_process))
        for w in range(processes)
    ]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
        assert p.exitcode == 0
    store = MetricsStore(project, "coach")
    parsed = [json.loads(line) for line in lines(store)]
    keyed = [r["idempotency_key"] for r in parsed if "idempotency_key" in r]
    unkeyed = processes * per_process * 3 // 4
    assert len(keyed) == len(set(keyed)) == per_process // 4
    assert len(parsed) == unkeyed + per_process // 4
    assert len({r["record_id"] for r in parsed}) == len(parsed)


def test_a_writer_killed_mid_append_leaves_a_readable_store(project: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from kaizen_agentic.metrics import MetricsStore\n"
        "store = MetricsStore(Path(sys.argv[1]), 'coach')\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    store.append({'success': True, 'metadata': {'pad': 'x' * 3000}})\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(project)], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    store = MetricsStore(project, "coach")
    deadline = time.monotonic() + 30
    while (
        not store.executions_path.exists() or store.executions_path.stat().st_size < 500_000
    ) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # simulate the worst case too: a crash that tore the last line
    with store.executions_path.open("ab") as handle:
        handle.write(b'{"success": true, "agent": "co')
    written = len(store.executions_path.read_bytes().split(b"\n")) - 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = store.read_executions()
    torn = [w for w in caught if issubclass(w.category, MalformedLineWarning)]
    assert len(torn) == 1 and f":{written + 1}: skipped a malformed line" in str(torn[0].message)
    assert len(records) == written
    assert store.append(record(quality_score=0.9))
    assert json.loads(lines(store)[-1])["quality_score"] == 0.9
    with pytest.warns(MalformedLineWarning, match=f":{written + 1}: skipped a malformed line"):
        summary = store.summarise(now=NOW)  # the analytics cache reports it too
    assert summary["execution_count"] == written + 1
    # and again on the next read, though the cache has moved past the line
    with pytest.warns(MalformedLineWarning, match=f":{written + 1}: skipped a malformed line"):
        assert store.summarise(now=NOW)["execution_count"] == written + 1


def test_summary_has_the_seed_keys_and_is_written_atomically(project: Path) -> None:
    store = MetricsStore(project, "coach")
    for i in range(6):
        store.append(record(i % 3 != 0, days_ago=i, quality_score=0.5, execution_time_s=10.0))
    summary = store.write_summary(now=NOW)
    assert list(summary) == [
        "agent",
        "execution_count",
        "success_rate",
        "avg_quality_score",
        "avg_execution_time_s",
        "last_execution",
        "trend",
        "windows",
    ]
    assert summary["execution_count"] == 6
    assert summary["success_rate"] == pytest.approx(4 / 6, abs=1e-6)
    assert summary["last_execution"] == "2026-06-01T12:00:00Z"
    assert set(summary["trend"]) == {"success_rate", "quality_score"}
    assert set(summary["windows"]) == {"7d", "30d", "90d"}
    assert store.read_summary() == summary
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")] == []


def test_prune_drops_old_records_atomically(project: Path) -> None:
    store = MetricsStore(project, "coach", retention_days=30)
    store.append(record(days_ago=40), idempotency_key="old")
    store.append(record(days_ago=10))
    inode = store.executions_path.stat().st_ino
    assert store.prune(now=NOW) == 1
    assert store.executions_path.stat().st_ino != inode  # replaced, not rewritten in place
    assert len(store.read_executions()) == 1
    assert store.prune(now=NOW) == 0
    assert store.append(record(), idempotency_key="old")  # index rebuilt after the prune


def test_warm_cache_reads_only_the_tail_and_rebuilds_when_stale(project: Path) -> None:
    from kaizen_agentic.metrics.column_cache import load_columns

    store = MetricsStore(project, "coach")
    for i in range(5):
        store.append(record(days_ago=i))
    assert len(load_columns(store.executions_path, store.cache_dir)) == 5
    store.append(record())
    assert len(load_columns(store.executions_path, store.cache_dir)) == 6
    store.executions_path.write_text(lines(store)[0] + "\n")  # shrunk behind our back
    assert len(load_columns(store.executions_path, store.cache_dir)) == 1
    (store.cache_dir / "columns.npz").write_bytes(b"garbage")
    assert len(load_columns(store.executions_path, store.cache_dir)) == 1


def test_tail_returns_the_newest_records(project: Path) -> None:
    store = MetricsStore(project, "coach")
    for i in range(50):
        store.append(record(quality_score=i / 100))
    assert [r["quality_score"] for r in store.tail(3)] == [0.47, 0.48, 0.49]
    assert MetricsStore(project, "nobody").tail(3) == []


def test_list_agents_and_name_safety(project: Path) -> None:
    MetricsStore(project, "coach").scaffold()
    MetricsStore(project, "tdd-workflow").append(record())
    assert MetricsStore.list_agents(project) == ["coach", "tdd-workflow"]
    for bad in ("../x", "Bad", "a/b", ""):
        with pytest.raises(InvalidNameError):
            MetricsStore(project, bad)
    assert sorted(p.name for p in (project / ".kaizen" / "metrics").iterdir()) == [
        "coach",
        "tdd-workflow",
    ]
