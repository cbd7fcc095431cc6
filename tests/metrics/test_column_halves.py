"""A long history is read in two halves at once, the second in a forked child.

The read must be the same as one read of the whole range — rows, label
codes, line numbers of malformed lines, attachments — and a child that
cannot start, fails or is killed mid-stream must cost only time. Each case
runs in a fresh single-threaded interpreter: a test runner's worker has
threads of its own, and fork is only used without them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

# Prints {"whole": ..., "halves": ...}: what each read found, as plain values.
SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    import numpy as np
    import kaizen_agentic._forked as forked_module
    from kaizen_agentic.metrics import column_halves as H, columns as C

    path, mode = Path(sys.argv[1]), sys.argv[2]

    def plain(parsed):
        cols = parsed.columns
        return {
            "rows": len(cols),
            "ts": cols.ts.tolist(),
            "success": cols.success.tolist(),
            "ids": cols.id_hashes.tolist(),
            "values": {k: [None if v != v else v for v in a.tolist()]
                       for k, a in cols.values.items()},
            "labels": {k: cols.label(k) for k in C.LABELS},
            # the codes themselves, not only the words: the cache stores codes
            "codes": {k: cols.labels[k].tolist() for k in C.LABELS},
            "vocab": {k: cols.vocab.get(k, []) for k in C.LABELS},
            "consumed": parsed.consumed,
            "malformed": parsed.malformed,
            "attachments": [[t, dict(f)] for t, f in parsed.attachments],
        }

    if mode == "no-fork":
        import contextlib
        @contextlib.contextmanager
        def no_child(work):
            yield None
        forked_module.forked = no_child
    elif mode == "child-fails":
        def broken(parsed, out):
            raise RuntimeError("the child's half is lost")
        H._send = broken
    elif mode == "child-killed":
        real = H._send
        def killed(parsed, out):
            out.write((10**6).to_bytes(8, "little"))  # a header promised, never sent
            out.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        H._send = killed
    size = path.stat().st_size
    whole = plain(C.parse_range(path, 0, size, path.parent))
    ranges = []  # what this process read itself; the child's reads happen elsewhere
    read_range = H.parse_range
    def counted(path, start, end, *rest):
        ranges.append([start, end])
        return read_range(path, start, end, *rest)
    H.parse_range = counted
    halves = plain(H.parse_halves(path, 0, size, path.parent))
    print(json.dumps({"whole": whole, "halves": halves, "ranges": ranges}))
    """
)


def run_id(i: int) -> str:
    return f"{i + 1:016x}" * 2  # the first 16 hex digits are what names the row


def history(path: Path, count: int = 4000) -> Path:
    """Records with labels that differ between the halves, malformed and blank
    lines, attachments naming runs in the other half, and a torn last line."""
    lines = []
    for i in range(count):
        record: dict[str, object] = {
            "timestamp": f"2026-05-{1 + i * 28 // count:02d}T10:{i % 60:02d}:00Z",
            "success": i % 3 != 0,
            "quality_score": (i % 100) / 100,
            "record_id": run_id(i),
            # versions and reasons first met in the second half
            "agent_version": f"v{i * 4 // count}",
            "cost": {"usd": i / 1000, "input_tokens": i},
        }
        if i % 7 == 0:
            record["metadata"] = {"failure_reason": f"reason {i % 5 if i < count // 2 else i % 9}"}
        if i % 11 == 0:
            record["source"] = "claude-hook" if i > count // 3 else "manual"
        lines.append(json.dumps(record))
        if i % 500 == 3:
            lines.append('{"success": true, "timestamp": ')  # malformed
        if i % 600 == 5:
            lines.append("")
        if i % 450 == 9 and i > 10:
            attached = {"attach_to": run_id(i - count // 2 if i > count // 2 else i + 5)}
            lines.append(json.dumps({**attached, "set": {"quality_score": 0.99}}))
    path.write_text("\n".join(lines) + '\n{"success": tr', encoding="utf-8")
    return path


def read_both(path: Path, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("mode", ["fork", "no-fork", "child-fails", "child-killed"])
def test_halves_read_what_one_read_of_the_whole_reads(tmp_path: Path, mode: str) -> None:
    path = history(tmp_path / "executions.jsonl")
    found = read_both(path, mode)
    whole, halves = found["whole"], found["halves"]
    assert whole["rows"] == 4000
    assert whole["malformed"], "the history has malformed lines to number"
    assert whole["attachments"], "the history has attachments to carry"
    assert len(set(whole["ids"])) == 4000
    assert len(set(whole["labels"]["version"])) == 4
    for key in whole:
        assert halves[key] == whole[key], key
    # who read what: the child's half is read here only when the child is absent
    # (the second half) or lost (then everything again)
    (start, middle), *again = found["ranges"]
    assert start == 0 and 0 < middle < path.stat().st_size
    expected = {
        "fork": [],
        "no-fork": [[middle, path.stat().st_size]],
        "child-fails": [[0, path.stat().st_size]],
        "child-killed": [[0, path.stat().st_size]],
    }
    assert again == expected[mode]


def test_a_torn_last_line_is_left_for_later(tmp_path: Path) -> None:
    path = history(tmp_path / "executions.jsonl")
    found = read_both(path, "fork")["halves"]
    torn = len('{"success": tr')
    assert found["consumed"] == path.stat().st_size - torn


def test_no_child_is_forked_beside_other_threads() -> None:
    script = (
        "import threading, kaizen_agentic._forked as f\n"
        "alone = f.can_fork()\n"
        "stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start()\n"
        "print(alone, f.can_fork()); stop.set(); t.join()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "False"]


def test_a_caller_that_gives_up_takes_its_child_down_with_it() -> None:
    script = (
        "import os, time, kaizen_agentic._forked as f\n"
        "def work(out):\n"
        "    time.sleep(600)\n"
        "pid = None\n"
        "try:\n"
        "    with f.forked(work) as child:\n"
        "        pid = child.pid\n"
        "        os.kill(pid, 0)  # alive while the reader waits\n"
        "        raise RuntimeError('the reader gives up')\n"
        "except RuntimeError:\n"
        "    pass\n"
        "try:\n"
        "    os.kill(pid, 0)\n"
        "    print('alive')\n"
        "except ProcessLookupError:\n"
        "    print('gone')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["gone"]
