"""The column cache: a base file, and a small delta for rows appended since.

Whatever state the two files are in — fresh, one record behind, many
behind, a delta built on another base, damaged, the history rewritten —
a read returns exactly what a read without any cache returns.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kaizen_agentic.metrics.column_cache import DELTA_FILE, load_columns
from kaizen_agentic.metrics.columns import Columns, read_range


def line(i: int, **extra: object) -> str:
    record = {
        "timestamp": f"2026-05-{1 + i % 28:02d}T10:00:{i % 60:02d}Z",
        "success": i % 4 != 0,
        "quality_score": (i % 10) / 10,
        "record_id": f"{i + 1:016x}" * 2,  # the first 16 hex digits name the row
        "agent_version": f"v{i // 100}",
        **extra,
    }
    return json.dumps(record) + "\n"


def append(path: Path, first: int, count: int) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(line(i) for i in range(first, first + count))


def fresh(path: Path) -> Columns:
    return read_range(path, 0, path.stat().st_size).columns


def same(a: Columns, b: Columns) -> bool:
    return (
        len(a) == len(b)
        and np.array_equal(a.ts, b.ts)
        and np.array_equal(a.success, b.success)
        and all(np.array_equal(a.values[k], b.values[k], equal_nan=True) for k in a.values)
        and all(a.label(k) == b.label(k) for k in a.labels)
    )


def setup(tmp_path: Path, count: int = 400) -> tuple[Path, Path]:
    path = tmp_path / "executions.jsonl"
    append(path, 0, count)
    cache = tmp_path / ".cache"
    load_columns(path, cache)  # the base
    return path, cache


def test_one_new_record_writes_the_delta_and_leaves_the_base(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    base = (cache / "columns.npz").read_bytes()
    append(path, 400, 1)
    assert same(load_columns(path, cache), fresh(path))
    assert (cache / "columns.npz").read_bytes() == base
    assert (cache / DELTA_FILE).stat().st_size < len(base)
    assert (cache / DELTA_FILE).stat().st_size < 16 * 1024  # one row: a few kilobytes
    append(path, 401, 3)  # the delta grows; the base still stays
    assert same(load_columns(path, cache), fresh(path))
    assert (cache / "columns.npz").read_bytes() == base
    assert same(load_columns(path, cache), fresh(path))  # warm, base + delta


def test_a_delta_past_a_sixteenth_of_the_base_is_folded_into_a_new_base(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    append(path, 400, 400 // 16 + 1)
    assert same(load_columns(path, cache), fresh(path))
    assert not (cache / DELTA_FILE).exists()
    append(path, 500, 1)  # and the next record starts a new delta on the new base
    assert same(load_columns(path, cache), fresh(path))
    assert (cache / DELTA_FILE).exists()


def test_an_attachment_to_a_base_row_rewrites_the_base(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    base = (cache / "columns.npz").read_bytes()
    attachment = {"attach_to": f"{8:016x}" * 2, "set": {"quality_score": 0.99}}
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(attachment) + "\n")
    columns = load_columns(path, cache)
    assert float(columns.values["quality"][7]) == np.float32(0.99)
    assert (cache / "columns.npz").read_bytes() != base
    assert not (cache / DELTA_FILE).exists()
    assert same(load_columns(path, cache), columns)


def test_a_delta_built_on_another_base_is_ignored(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    append(path, 400, 2)
    load_columns(path, cache)
    stale = (cache / DELTA_FILE).read_bytes()
    (cache / "columns.npz").unlink()  # another base is built...
    load_columns(path, cache)
    append(path, 402, 1)
    (cache / DELTA_FILE).write_bytes(stale)  # ...and an old delta is put back beside it
    assert same(load_columns(path, cache), fresh(path))


def test_a_damaged_delta_means_a_rebuild(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    append(path, 400, 2)
    load_columns(path, cache)
    (cache / DELTA_FILE).write_bytes(b"PK\x03\x04 not a zip")
    assert same(load_columns(path, cache), fresh(path))
    append(path, 402, 1)
    assert same(load_columns(path, cache), fresh(path))


def test_a_history_rewritten_under_base_and_delta_is_read_again(tmp_path: Path) -> None:
    path, cache = setup(tmp_path)
    append(path, 400, 2)
    load_columns(path, cache)
    replacement = tmp_path / "pruned.jsonl"
    append(replacement, 1000, 50)
    replacement.replace(path)  # what prune does: a new file, a new inode
    assert same(load_columns(path, cache), fresh(path))
    assert len(load_columns(path, cache)) == 50


def test_a_malformed_line_in_the_tail_is_named_by_its_line_in_the_file(tmp_path: Path) -> None:
    import warnings

    from kaizen_agentic.errors import MalformedLineWarning

    path, cache = setup(tmp_path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"success": true, "timestamp": \n')  # line 401
    append(path, 400, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(load_columns(path, cache)) == 402
        load_columns(path, cache)  # and again from the cache, by the same number
    named = [str(w.message) for w in caught if issubclass(w.category, MalformedLineWarning)]
    assert named == [f"{path}:401: skipped a malformed line"] * 2


def test_a_base_damaged_inside_its_rows_is_caught_when_they_are_read(tmp_path: Path) -> None:
    import zipfile

    path, cache = setup(tmp_path)
    base = cache / "columns.npz"
    with zipfile.ZipFile(base) as archive:
        member = archive.getinfo("quality.npy")
        # where the member's bytes start: its local header, name and extra field
        start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    data = bytearray(base.read_bytes())
    data[start + member.file_size - 3] ^= 0xFF  # one flipped byte among the values
    base.write_bytes(bytes(data))
    append(path, 400, 1)
    assert same(load_columns(path, cache), fresh(path))
    assert same(load_columns(path, cache), fresh(path))
