"""A columnar view of an agent's records, cached beside executions.jsonl.

Analytics need a dozen numbers per record, not the JSON. The cache holds
them as numpy arrays plus the byte offset and inode of the file it has read,
so a warm read parses only what was appended since; a replaced (pruned)
file, a missing cache or a damaged one means a full rebuild.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
import zipfile
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kaizen_agentic._time import parse_timestamp
from kaizen_agentic.metrics.records import MalformedLineWarning

FloatArray = npt.NDArray[np.floating[Any]]
CHUNK_BYTES = 2 * 1024 * 1024
CACHE_VERSION = 2
# name -> how to pull it out of a record (None when absent)
FIELDS: dict[str, tuple[str, ...]] = {
    "quality": ("quality_score",),
    "time_s": ("execution_time_s",),
    "usd": ("cost", "usd"),
    "input_tokens": ("cost", "input_tokens"),
    "output_tokens": ("cost", "output_tokens"),
    "tool_invocations": ("cost", "tool_invocations"),
    "handoffs": ("collaboration", "handoffs"),
    "messages": ("collaboration", "messages"),
    "helpfulness": ("collaboration", "helpfulness"),
    "primary_value": ("primary_metric", "value"),
    "primary_target": ("primary_metric", "target"),
}
# name -> where a short string label sits; stored as codes into a per-column vocabulary
LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "version": (("agent_version",),),
    "failure_reason": (("metadata", "failure_reason"), ("metadata", "error")),
    "primary_name": (("primary_metric", "name"),),
    "source": (("source",),),
}
MAX_LABEL = 120
IntArray = npt.NDArray[np.int32]


@dataclass
class Columns:
    """Parallel arrays, one entry per record: ``ts`` (epoch seconds, float64),
    ``success`` (0/1) and one float32 array per :data:`FIELDS` key with NaN where
    the record has no value. float32 halves memory; means are taken in float64."""

    ts: FloatArray
    success: FloatArray
    values: dict[str, FloatArray]
    labels: dict[str, IntArray] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)
    _sorted: bool | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def select(self, mask: npt.NDArray[np.bool_]) -> Columns:
        return Columns(
            self.ts[mask],
            self.success[mask],
            {k: v[mask] for k, v in self.values.items()},
            {k: v[mask] for k, v in self.labels.items()},
            self.vocab,
        )

    def label(self, name: str) -> list[str | None]:
        """Column *name* decoded, one entry per record (None where absent)."""
        words = self.vocab.get(name, [])
        return [words[c] if c >= 0 else None for c in self.labels[name].tolist()]

    def label_codes(self, name: str, word: str) -> int:
        """The code of *word* in column *name*, -1 when no record carries it."""
        try:
            return self.vocab.get(name, []).index(word)
        except ValueError:
            return -1

    def between(self, start: float | None, end: float | None) -> Columns:
        """Records with start <= ts <= end; views, not copies, when ts is sorted."""
        if self.is_sorted():
            low = 0 if start is None else int(np.searchsorted(self.ts, start, side="left"))
            high = len(self) if end is None else int(np.searchsorted(self.ts, end, side="right"))
            return Columns(
                self.ts[low:high],
                self.success[low:high],
                {k: v[low:high] for k, v in self.values.items()},
                {k: v[low:high] for k, v in self.labels.items()},
                self.vocab,
            )
        mask = np.ones(len(self), dtype=bool)
        if start is not None:
            mask &= self.ts >= start
        if end is not None:
            mask &= self.ts <= end
        return self.select(mask)

    def is_sorted(self) -> bool:
        if self._sorted is None:
            self._sorted = bool(np.all(self.ts[1:] >= self.ts[:-1]))
        return self._sorted

    @staticmethod
    def from_records(records: Iterable[Mapping[str, Any]]) -> Columns:
        builder = ColumnBuilder()
        for record in records:
            builder.add(record)
        return builder.build()

    def concat(self, other: Columns) -> Columns:
        vocab: dict[str, list[str]] = {}
        labels: dict[str, IntArray] = {}
        for name in LABELS:
            words = list(self.vocab.get(name, []))
            position = {w: i for i, w in enumerate(words)}
            remap = np.asarray(
                [position.setdefault(w, len(position)) for w in other.vocab.get(name, [])] + [-1],
                dtype=np.int32,
            )
            words = sorted(position, key=position.__getitem__)
            # code -1 indexes the trailing -1 of the remap table: absent stays absent
            labels[name] = np.concatenate([self.labels[name], remap[other.labels[name]]])
            vocab[name] = words
        return Columns(
            np.concatenate([self.ts, other.ts]),
            np.concatenate([self.success, other.success]),
            {k: np.concatenate([v, other.values[k]]) for k, v in self.values.items()},
            labels,
            vocab,
        )


class ColumnBuilder:
    """Accumulates records into compact arrays (4 or 8 bytes a value, not a Python float)."""

    def __init__(self) -> None:
        self.ts = array("d")
        self.success = array("f")
        self.values = {name: array("f") for name in FIELDS}
        self.labels = {name: array("i") for name in LABELS}
        self.vocab: dict[str, dict[str, int]] = {name: {} for name in LABELS}
        self._days: dict[str, float] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        moment = self._epoch(record.get("timestamp"))
        if moment is None or not isinstance(record.get("success"), bool):
            return
        self.ts.append(moment)
        self.success.append(1.0 if record["success"] else 0.0)
        for name, path in FIELDS.items():
            self.values[name].append(_number(record, path))
        for name, paths in LABELS.items():
            word = _label(record, paths)
            codes = self.vocab[name]
            self.labels[name].append(-1 if word is None else codes.setdefault(word, len(codes)))

    def build(self) -> Columns:
        # frombuffer shares the arrays' memory: no copy of a million values
        return Columns(
            np.frombuffer(self.ts, dtype=np.float64),
            np.frombuffer(self.success, dtype=np.float32),
            {k: np.frombuffer(v, dtype=np.float32) for k, v in self.values.items()},
            {k: np.frombuffer(v, dtype=np.int32) for k, v in self.labels.items()},
            {k: sorted(v, key=v.__getitem__) for k, v in self.vocab.items()},
        )

    def _epoch(self, value: Any) -> float | None:
        if not isinstance(value, str):
            return None
        # Fast path for the canonical form the store writes: YYYY-MM-DDTHH:MM:SSZ.
        if len(value) == 20 and value[10] == "T" and value[19] == "Z":
            day = self._days.get(value[:10])
            if day is None:
                day = _epoch(value[:10] + "T00:00:00Z")
                if day is None:
                    return None
                self._days[value[:10]] = day
            try:
                return day + int(value[11:13]) * 3600 + int(value[14:16]) * 60 + int(value[17:19])
            except ValueError:
                return None
        return _epoch(value)


def load_columns(executions: Path, cache_dir: Path) -> Columns:
    """The file's records as columns, reading only what the cache has not seen."""
    try:
        stat = executions.stat()
    except FileNotFoundError:
        return Columns.from_records([])
    cache_file = cache_dir / "columns.npz"
    cached, (inode, offset, lines) = _read_cache(cache_file)
    if cached is None or inode != stat.st_ino or offset > stat.st_size:
        cached, offset, lines = Columns.from_records([]), 0, 0
    if offset == stat.st_size:
        return cached
    tail, consumed, tail_lines = _parse_tail(executions, offset, stat.st_size, lines)
    columns = cached.concat(tail) if len(cached) else tail
    _write_cache(cache_file, columns, (stat.st_ino, offset + consumed, lines + tail_lines))
    return columns


def _parse_tail(path: Path, start: int, end: int, lines_before: int) -> tuple[Columns, int, int]:
    """Parse the complete lines in [start, end); a torn last line waits for its newline.

    Malformed lines are reported with their line number, once: the cache
    moves past them.
    """
    builder = ColumnBuilder()
    consumed = 0
    number = lines_before
    pending = b""
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = end - start
        while remaining > 0:
            block = handle.read(min(CHUNK_BYTES, remaining))
            if not block:
                break
            remaining -= len(block)
            data = pending + block
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            for raw in data[:cut].split(b"\n")[:-1]:
                number += 1
                _add_line(builder, raw, path, number)
            consumed += cut
    return builder.build(), consumed, number - lines_before


def _add_line(builder: ColumnBuilder, raw: bytes, path: Path, number: int) -> None:
    if not raw.strip():
        return
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if isinstance(record, dict):
        builder.add(record)
    else:
        warnings.warn(
            f"{path}:{number}: skipped a malformed line", MalformedLineWarning, stacklevel=4
        )


Position = tuple[int, int, int]  # inode, byte offset read up to, lines read


def _read_cache(cache_file: Path) -> tuple[Columns | None, Position]:
    try:
        with np.load(cache_file) as data:
            meta = data["meta"]
            if int(meta[0]) != CACHE_VERSION:
                return None, (0, 0, 0)
            columns = Columns(
                data["ts"],
                data["success"],
                {k: data[k] for k in FIELDS},
                {k: data[f"label_{k}"] for k in LABELS},
                {k: [str(w) for w in data[f"vocab_{k}"].tolist()] for k in LABELS},
            )
            return columns, (int(meta[1]), int(meta[2]), int(meta[3]))
    except (OSError, KeyError, ValueError, EOFError, IndexError, zipfile.BadZipFile):
        return None, (0, 0, 0)


def _write_cache(cache_file: Path, columns: Columns, position: Position) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp.npz")
    meta = np.asarray([CACHE_VERSION, *position], dtype=np.int64)
    try:
        arrays: dict[str, Any] = {
            "meta": meta,
            "ts": columns.ts,
            "success": columns.success,
            **columns.values,
            **{f"label_{k}": v for k, v in columns.labels.items()},
            # fixed-width unicode arrays load without pickle
            **{f"vocab_{k}": np.asarray(v, dtype=str) for k, v in columns.vocab.items()},
        }
        np.savez(tmp, **arrays)
        tmp.replace(cache_file)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value).timestamp()
    except ValueError:
        return None


def _number(record: Mapping[str, Any], path: tuple[str, ...]) -> float:
    node: Any = record
    for part in path:
        if not isinstance(node, Mapping):
            return float("nan")
        node = node.get(part)
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return float("nan")
    return float(node)


def _label(record: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> str | None:
    for path in paths:
        node: Any = record
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, str) and node.strip():
            return node.strip()[:MAX_LABEL]
    return None
