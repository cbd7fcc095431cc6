"""A long new base is written by a forked child while the read goes on.

What must hold: the process never ends before the base is whole, the next
read in the same process waits for it instead of racing it, a writer killed
mid-write loses only the cache (and its leftover is removed later), and a
lock held around the read is not kept by the writer. Each case runs in a
fresh single-threaded interpreter: a test runner's worker has threads of its
own, and fork is only used without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from kaizen_agentic.metrics.column_cache import BASE_FILE, DELTA_FILE, load_columns
from tests.metrics.test_column_cache import append, fresh, same

# Loads the columns with a writer child for any length; the writer is slowed
# (or killed) so a read that did not wait for it would see no base.
SCRIPT = textwrap.dedent(
    """
    import atexit, json, os, signal, sys, time
    from pathlib import Path

    path, cache, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    report = {}

    def at_exit():
        report["base_at_exit"] = (cache / K.BASE_FILE).exists()
        print(json.dumps(report))

    # registered before the cache module's own exit hook, so it runs after it
    atexit.register(at_exit)
    import kaizen_agentic.metrics.column_cache as K

    K.BACKGROUND_ROWS = 1
    real_save, parent = K._save, os.getpid()

    def slow(handle, arrays):
        time.sleep(0.5)
        real_save(handle, arrays)

    def killed(handle, arrays):
        handle.write(b"PK half a base")
        handle.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    K._save = killed if mode == "killed" else slow
    report["rows"] = len(K.load_columns(path, cache))
    report["writer"], report["parent"] = K._writer, parent
    report["base_on_return"] = (cache / K.BASE_FILE).exists()
    if mode == "read-again":
        with path.open("a") as handle:
            handle.write(sys.argv[4])
        report["again"] = len(K.load_columns(path, cache))
        report["delta"] = (cache / K.DELTA_FILE).exists()
    """
)


def run(path: Path, cache: Path, mode: str, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), str(cache), mode, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report: dict[str, object] = json.loads(done.stdout)
    return report


def history(tmp_path: Path, count: int = 300) -> tuple[Path, Path]:
    path = tmp_path / "executions.jsonl"
    append(path, 0, count)
    return path, tmp_path / ".cache"


def test_the_base_is_whole_when_the_command_ends(tmp_path: Path) -> None:
    path, cache = history(tmp_path)
    report = run(path, cache, "slow")
    assert report["rows"] == 300
    assert isinstance(report["writer"], int) and report["writer"] != report["parent"]
    # written elsewhere, after the read returned; whole before the process ended
    assert report["base_on_return"] is False
    assert report["base_at_exit"] is True
    assert (cache / BASE_FILE).exists()
    assert not list(cache.glob(".*.tmp"))
    stored = load_columns(path, cache)
    assert same(stored, fresh(path))


def test_the_next_read_waits_for_the_base_being_written(tmp_path: Path) -> None:
    path, cache = history(tmp_path)
    one_more = json.dumps({"timestamp": "2026-06-01T10:00:00Z", "success": True}) + "\n"
    report = run(path, cache, "read-again", one_more)
    assert report["again"] == 301
    # the second read found the finished base and wrote only a delta
    assert report["delta"] is True
    assert same(load_columns(path, cache), fresh(path))


def test_a_writer_killed_mid_write_loses_only_the_cache(tmp_path: Path) -> None:
    path, cache = history(tmp_path)
    report = run(path, cache, "killed")
    assert report["rows"] == 300
    assert not (cache / BASE_FILE).exists()
    leftovers = list(cache.glob(f".{BASE_FILE}.*.tmp"))
    assert len(leftovers) == 1  # what the killed writer had written
    assert same(load_columns(path, cache), fresh(path))
    # the next base write removed it: its writer is gone
    assert (cache / BASE_FILE).exists()
    assert not leftovers[0].exists()


def test_a_leftover_under_the_older_name_is_removed_too(tmp_path: Path) -> None:
    path, cache = history(tmp_path)
    cache.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    old = cache / f".{BASE_FILE}.{dead}.tmp.npz"  # as np.savez named a temp
    kept = cache / f".{BASE_FILE}.{dead}.tmp.keep"  # not a name a writer gives
    old.write_bytes(b"half a base")
    kept.write_bytes(b"someone's file")
    load_columns(path, cache)
    assert not old.exists()
    assert kept.exists()


def test_a_leftover_of_a_live_writer_is_kept(tmp_path: Path) -> None:
    path, cache = history(tmp_path)
    cache.mkdir()
    live = cache / f".{BASE_FILE}.{os.getppid()}.tmp"
    live.write_bytes(b"being written")
    load_columns(path, cache)
    assert live.read_bytes() == b"being written"
    assert (cache / BASE_FILE).exists()


def test_a_short_history_is_written_before_the_read_returns(tmp_path: Path) -> None:
    path, cache = history(tmp_path, count=50)
    load_columns(path, cache)
    assert (cache / BASE_FILE).exists() and not (cache / DELTA_FILE).exists()
    assert np.array_equal(load_columns(path, cache).ts, fresh(path).ts)


def test_a_child_forked_under_the_lock_does_not_keep_it(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    script = textwrap.dedent(
        f"""
        import fcntl, os, time
        from pathlib import Path
        from kaizen_agentic._fs import exclusive_lock
        with exclusive_lock(Path({str(lock)!r})):
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
        # the block is left while the child still has the descriptor
        fd = os.open({str(lock)!r}, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            print("free")
        except BlockingIOError:
            print("held")
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["free"]
