"""Helper files beside executions.jsonl follow its content; rewrites keep it whole."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kaizen_agentic.metrics import MalformedLineWarning, MetricsStore, complete_record
from kaizen_agentic.metrics.column_cache import load_columns

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def record(key: str, *, days_ago: float = 0) -> dict[str, object]:
    return complete_record(
        {"success": True, "idempotency_key": key},
        agent="coach",
        agent_version="v1",
        project="p",
        domain=None,
        environ={},
        now=NOW - timedelta(days=days_ago),
    )


def other_history(tmp_path: Path, keys: list[str]) -> Path:
    """A different, larger executions file built in a second project."""
    other = MetricsStore(tmp_path / "other", "coach")
    for key in keys:
        other.append(record(key, days_ago=1))
    return other.executions_path


def test_an_in_place_rewrite_with_a_larger_file_rebuilds_the_key_index(
    project: Path, tmp_path: Path
) -> None:
    store = MetricsStore(project, "coach")
    for key in ("a", "b", "c", "d"):
        assert store.append(record(key))
    replacement = other_history(tmp_path, ["w", "x", "y", "z", "e"])
    inode = store.executions_path.stat().st_ino
    shutil.copyfile(replacement, store.executions_path)  # cp: same inode, new bytes
    assert store.executions_path.stat().st_ino == inode
    assert store.executions_path.stat().st_size > 0
    assert not store.append(record("e"))  # "e" is in the file now: not written twice
    assert store.append(record("a"))  # "a" is gone with the old content


def test_an_in_place_rewrite_with_a_larger_file_rebuilds_the_columns_cache(
    project: Path, tmp_path: Path
) -> None:
    store = MetricsStore(project, "coach")
    for key in ("a", "b", "c", "d"):
        store.append(record(key))
    assert len(load_columns(store.executions_path, store.cache_dir, project)) == 4
    replacement = other_history(tmp_path, ["v", "w", "x", "y", "z"])
    shutil.copyfile(replacement, store.executions_path)
    assert len(load_columns(store.executions_path, store.cache_dir, project)) == 5


def test_a_torn_line_is_reported_on_every_read_not_only_the_first(project: Path) -> None:
    store = MetricsStore(project, "coach")
    store.append(record("a"))
    with store.executions_path.open("a") as handle:
        handle.write('{"success": tru\n')
    store.append(record("b"))
    for _ in range(3):
        with pytest.warns(MalformedLineWarning, match=":2: skipped a malformed line"):
            assert len(load_columns(store.executions_path, store.cache_dir, project)) == 2


def test_prune_keeps_the_file_mode(project: Path) -> None:
    store = MetricsStore(project, "coach", retention_days=30)
    store.append(record("old", days_ago=40))
    store.append(record("new"))
    store.executions_path.chmod(0o640)
    assert store.prune(now=NOW) == 1
    assert stat.S_IMODE(store.executions_path.stat().st_mode) == 0o640


def test_a_new_atomic_file_gets_the_umask_mode_not_0600(project: Path) -> None:
    from kaizen_agentic._fs import atomic_write_text

    target = project / "summary.json"
    old = os.umask(0o022)
    try:
        atomic_write_text(target, "{}\n", root=project)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_prune_killed_mid_rewrite_leaves_no_temp_file_after_the_next_prune(
    project: Path,
) -> None:
    store = MetricsStore(project, "coach", retention_days=30)
    for i in range(200):
        store.append(record(f"k{i}", days_ago=40 if i % 2 else 1))
    # a prune killed between writing its temp file and the rename
    code = (
        "import os, sys\n"
        "from datetime import datetime, timezone\n"
        "from pathlib import Path\n"
        "import kaizen_agentic._fs as fs\n"
        "from kaizen_agentic.metrics import MetricsStore\n"
        "real = Path.replace\n"
        "def die(self, target):\n"
        "    os._exit(9)\n"
        "Path.replace = die\n"
        "MetricsStore(Path(sys.argv[1]), 'coach', retention_days=30).prune(\n"
        "    now=datetime(2026, 6, 1, 12, tzinfo=timezone.utc))\n"
    )
    child = subprocess.run([sys.executable, "-c", code, str(project)], check=False)
    assert child.returncode == 9
    leftovers = list(store.directory.glob(".executions.jsonl.*.tmp"))
    assert len(leftovers) == 1
    assert store.prune(now=NOW) == 100
    assert list(store.directory.glob(".executions.jsonl.*.tmp")) == []
