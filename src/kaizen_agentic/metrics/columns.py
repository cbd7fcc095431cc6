"""A columnar view of an agent's records: the arrays, and the parse that fills them.

Analytics need a dozen numbers per record, not the JSON. :class:`Columns`
holds them as numpy arrays; :mod:`kaizen_agentic.metrics.column_cache`
keeps them beside executions.jsonl (``load_columns``), so a warm read
parses only what was appended since; a long cold read is split over two
cores by :mod:`kaizen_agentic.metrics.column_halves`.

Lines are decoded with msgspec into a typed struct of just the fields the
columns need (it skips every other key without building Python objects), a
chunk at a time, with the timestamps converted in numpy. benchmarks/
parse_choice.py has the figures behind that choice. Any line msgspec rejects
is decoded again with the standard library, so what is read, skipped or
warned about is exactly what ``json.loads`` plus :class:`ColumnBuilder` give.
"""

from __future__ import annotations

import json
import warnings
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kaizen_agentic._fs import open_read
from kaizen_agentic._time import parse_timestamp
from kaizen_agentic.errors import MalformedLineWarning

FloatArray = npt.NDArray[np.floating[Any]]
CHUNK_BYTES = 2 * 1024 * 1024
# name -> how to pull it out of a record (None when absent)
FIELDS: dict[str, tuple[str, ...]] = {
    "quality": ("quality_score",),
    "time_s": ("execution_time_s",),
    "usd": ("cost", "usd"),
    "input_tokens": ("cost", "input_tokens"),
    "output_tokens": ("cost", "output_tokens"),
    "tool_invocations": ("cost", "tool_invocations"),
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
IdArray = npt.NDArray[np.int64]


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
    # 64-bit hash of each record's record_id (0: none): where a later attachment lands
    ids: IdArray | None = field(default=None, repr=False)
    _sorted: bool | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def id_hashes(self) -> IdArray:
        if self.ids is None:
            return np.zeros(len(self), dtype=np.int64)
        return self.ids

    def select(self, mask: npt.NDArray[np.bool_]) -> Columns:
        return Columns(
            self.ts[mask],
            self.success[mask],
            {k: v[mask] for k, v in self.values.items()},
            {k: v[mask] for k, v in self.labels.items()},
            self.vocab,
            None if self.ids is None else self.ids[mask],
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
            return self.between_rows(low, high)
        mask = np.ones(len(self), dtype=bool)
        if start is not None:
            mask &= self.ts >= start
        if end is not None:
            mask &= self.ts <= end
        return self.select(mask)

    def between_rows(self, low: int, high: int) -> Columns:
        """Rows low to high (exclusive) as views, not copies."""
        return Columns(
            self.ts[low:high],
            self.success[low:high],
            {k: v[low:high] for k, v in self.values.items()},
            {k: v[low:high] for k, v in self.labels.items()},
            self.vocab,
            None if self.ids is None else self.ids[low:high],
        )

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

    def concat(self, *others: Columns) -> Columns:
        """These rows followed by each of *others*' (one copy, however many parts)."""
        if not others:
            return self
        parts = (self, *others)
        vocab: dict[str, list[str]] = {}
        labels: dict[str, IntArray] = {}
        for name in LABELS:
            words, codes = self.vocab.get(name, []), [self.labels[name]]
            for other in others:
                words, remap = merge_vocab(words, other.vocab.get(name, []))
                codes.append(remap[other.labels[name]])
            vocab[name], labels[name] = words, np.concatenate(codes)
        return Columns(
            np.concatenate([p.ts for p in parts]),
            np.concatenate([p.success for p in parts]),
            {k: np.concatenate([p.values[k] for p in parts]) for k in self.values},
            labels,
            vocab,
            np.concatenate([p.id_hashes for p in parts]),
        )


class ColumnBuilder:
    """Accumulates records into compact arrays (4 or 8 bytes a value, not a Python float)."""

    def __init__(self) -> None:
        self.ts = array("d")
        self.success = array("f")
        self.values = {name: array("f") for name in FIELDS}
        self.labels = {name: array("i") for name in LABELS}
        self.vocab: dict[str, dict[str, int]] = {name: {} for name in LABELS}
        self.ids = array("q")
        # (hash of the record id it names, the values it sets), in file order
        self.attachments: list[tuple[int, Mapping[str, Any]]] = []
        self._days: dict[str, float] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        from kaizen_agentic.metrics.attachments import ATTACH_KEY, SET_KEY, is_attachment

        if is_attachment(record):
            self.attachments.append((id_hash(record[ATTACH_KEY]), record[SET_KEY]))
            return
        moment = self._epoch(record.get("timestamp"))
        if moment is None or not isinstance(record.get("success"), bool):
            return
        self.ts.append(moment)
        self.ids.append(id_hash(record.get("record_id")))
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
            np.frombuffer(self.ids, dtype=np.int64),
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
            clock = value[11:13] + value[14:16] + value[17:19]
            if value[13] == value[16] == ":" and clock.isascii() and clock.isdigit():
                hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:])
                if hour < 24 and minute < 60 and second < 60:
                    return day + hour * 3600 + minute * 60 + second
        return _epoch(value)


def warn_malformed(path: Path, numbers: Iterable[int]) -> None:
    for number in numbers:
        warnings.warn(
            f"{path}:{number}: skipped a malformed line", MalformedLineWarning, stacklevel=3
        )


@dataclass
class ParsedRange:
    """What one read of a byte range found."""

    columns: Columns
    consumed: int  # bytes up to the end of the last complete line
    malformed: list[int]  # line numbers, counted from the start of the file
    attachments: list[tuple[int, Mapping[str, Any]]]


# Below this a second process costs more than it saves (fork, the pipe, the merge).
PARALLEL_BYTES = 32 * 1024 * 1024


def read_range(path: Path, start: int, end: int, *, root: Path | None = None) -> ParsedRange:
    """Parse the complete lines in [start, end); a torn last line waits for its newline.

    Malformed lines are warned about by line number and returned, so the
    cache can report them again on later reads; attachment lines are
    returned for the caller to apply.

    A long range is read in two halves at once, the second in a forked
    child (:mod:`kaizen_agentic.metrics.column_halves`); the result is the
    same as one read of the whole, line numbers and label codes included.
    """
    from kaizen_agentic._forked import can_fork

    root = root if root is not None else path.parent
    if end - start >= PARALLEL_BYTES and can_fork():
        from kaizen_agentic.metrics.column_halves import parse_halves

        parsed = parse_halves(path, start, end, root)
    else:
        parsed = parse_range(path, start, end, root)
    warn_malformed(path, parsed.malformed)
    return parsed


def parse_range(path: Path, start: int, end: int, root: Path) -> ParsedRange:
    """Parse the complete lines in [start, end) in this process (see :func:`read_range`)."""
    from kaizen_agentic.metrics.attachments import ATTACH_MARK

    decoder = _decoder()
    builder = ColumnBuilder()
    lines = _LineNumbers(path, root)
    consumed = 0
    malformed: list[int] = []
    # One buffer for the whole range, not a new bytes object a chunk: a fresh
    # 2 MB allocation each time left ~16 MB of freed heap the process kept.
    buffer = bytearray(CHUNK_BYTES)
    carried = 0  # bytes of a line the last chunk tore, moved to the buffer's start
    with open_read(root, path) as handle:
        handle.seek(start)
        remaining = end - start
        while remaining > 0:
            if carried == len(buffer):  # one line longer than the buffer: room for more
                buffer.extend(bytes(len(buffer)))
            room = min(len(buffer) - carried, remaining)
            with memoryview(buffer) as view:
                got = handle.readinto(view[carried : carried + room])
            if not got:
                break
            remaining -= got
            size = carried + got
            cut = buffer.rfind(b"\n", 0, size) + 1
            with memoryview(buffer) as view:
                # a view, not a copy: the decoder takes any buffer
                rows = _decode_chunk(decoder, view[:cut])
            body: bytes | None = None
            if rows is None and buffer.find(ATTACH_MARK, 0, cut) >= 0:
                # attachments lack `success`, which the typed decoder requires:
                # they are set aside and read one by one, the rest stays fast
                body = _set_aside_attachments(builder, bytes(buffer[:cut]))
                rows = _decode_chunk(decoder, body)
            if rows is None:
                # one odd line rejects the whole chunk: redo it line by line, in order
                first = lines.at(start + consumed)
                body = bytes(buffer[:cut]) if body is None else body
                for index, raw in enumerate(body.split(b"\n")[:-1]):
                    if not _add_line(builder, decoder, raw):
                        malformed.append(first + index)
            else:
                _add_rows(builder, rows)
            del rows
            buffer[: size - cut] = buffer[cut:size]
            carried = size - cut
            consumed += cut
    return ParsedRange(builder.build(), consumed, malformed, builder.attachments)


def _decode_chunk(decoder: Any, body: bytes | memoryview) -> list[Any] | None:
    """Every line of *body* decoded, or None when any line is not a typed record."""
    import msgspec

    try:
        rows: list[Any] = decoder.decode_lines(body)
    except (msgspec.MsgspecError, RecursionError):
        return None
    return rows


class _LineNumbers:
    """The number of the line starting at an offset, counted only when asked.

    Only a malformed line needs its number, so good chunks are never
    counted; offsets asked for only grow, so the file is counted once at most.
    """

    def __init__(self, path: Path, root: Path) -> None:
        self.path, self.root = path, root
        self.offset, self.newlines = 0, 0

    def at(self, offset: int) -> int:
        with open_read(self.root, self.path) as handle:
            handle.seek(self.offset)
            while self.offset < offset:
                block = handle.read(min(CHUNK_BYTES, offset - self.offset))
                if not block:
                    break
                self.newlines += block.count(b"\n")
                self.offset += len(block)
        return self.newlines + 1


def merge_vocab(words: list[str], more: list[str]) -> tuple[list[str], npt.NDArray[np.int32]]:
    """*words* extended by *more*, and the table from codes in *more* to codes in the result.

    The table has one extra entry, -1, at its end, so code -1 (no label)
    indexes it and stays -1.
    """
    position = {w: i for i, w in enumerate(words)}
    remap = [position.setdefault(w, len(position)) for w in more]
    return sorted(position, key=position.__getitem__), np.asarray([*remap, -1], dtype=np.int32)


def column_arrays(columns: Columns) -> dict[str, npt.NDArray[Any]]:
    """Every per-row array by its name in the cache file."""
    return {
        "ts": columns.ts,
        "success": columns.success,
        "ids": columns.id_hashes,
        **columns.values,
        **{f"label_{k}": v for k, v in columns.labels.items()},
    }


def columns_from_arrays(
    arrays: Mapping[str, npt.NDArray[Any]], vocab: dict[str, list[str]], *, ids: bool = True
) -> Columns:
    """:func:`column_arrays` the other way."""
    return Columns(
        arrays["ts"],
        arrays["success"],
        {k: arrays[k] for k in FIELDS},
        {k: arrays[f"label_{k}"] for k in LABELS},
        vocab,
        arrays["ids"] if ids else None,
    )


def _set_aside_attachments(builder: ColumnBuilder, body: bytes) -> bytes:
    """*body* without its attachment lines, which go to ``builder.attachments``.

    The line count of the chunk is unchanged (each is replaced by a blank
    line), so warnings still name the right line.
    """
    from kaizen_agentic._jsonl import parse_line
    from kaizen_agentic.metrics.attachments import ATTACH_MARK, is_attachment

    lines = body.split(b"\n")
    for index, raw in enumerate(lines):
        if ATTACH_MARK in raw:
            record = parse_line(raw)
            if record is not None and is_attachment(record):
                builder.add(record)
                lines[index] = b""
    return b"\n".join(lines)


def apply_attachments(
    columns: Columns, attachments: Iterable[tuple[int, Mapping[str, Any]]]
) -> Columns:
    """*columns* with each attachment's values written over the row of the run it names.

    The latest attachment wins; one whose run is not among the rows is
    ignored, as the record readers ignore it.
    """
    ids = columns.id_hashes
    values = {k: np.array(v) for k, v in columns.values.items()}
    labels = {k: np.array(v) for k, v in columns.labels.items()}
    success = np.array(columns.success)
    vocab = {k: list(v) for k, v in columns.vocab.items()}
    for target, fields in attachments:
        rows = np.flatnonzero(ids == target)
        if not target or not rows.size:
            continue
        row = int(rows[-1])
        for name, path in FIELDS.items():
            number = _number(fields, path)
            if not np.isnan(number):
                values[name][row] = number
        if isinstance(fields.get("success"), bool):
            success[row] = 1.0 if fields["success"] else 0.0
        for name, paths in LABELS.items():
            word = _label(fields, paths)
            if word is not None:
                words = vocab.setdefault(name, [])
                if word not in words:
                    words.append(word)
                labels[name][row] = words.index(word)
    return Columns(columns.ts, success, values, labels, vocab, ids)


def id_hash(record_id: Any) -> int:
    """A record id as a signed 64-bit number; 0 when there is none.

    A uuid4 hex id (what the store writes) is its first 16 hex digits, so the
    vectorised path and this one agree; any other string is hashed.
    """
    if not isinstance(record_id, str) or not record_id:
        return 0
    if len(record_id) == 32:
        try:
            value = int(record_id[:16], 16)
        except ValueError:
            value = -1
        if value >= 0 and record_id.isascii():
            return value - (1 << 64) if value >= 1 << 63 else value
    import hashlib

    digest = hashlib.blake2b(record_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True) or 1


def _add_rows(builder: ColumnBuilder, rows: list[Any]) -> None:
    """Append decoded rows, dropping those whose timestamp does not parse.

    Each column is pulled out with one C-level ``map`` into ``np.fromiter``
    (None, JSON null, becomes NaN there): no per-row Python code runs. A
    field no row of the chunk carries costs one ``list.count``, not a
    conversion (see :meth:`_Fields.of`).
    """
    if not rows:
        return
    ts = _epochs(list(map(_TIMESTAMP, rows)))
    keep = ~np.isnan(ts)
    every = bool(keep.all())

    def put(target: array[Any], column: npt.NDArray[Any]) -> None:
        target.frombytes(np.ascontiguousarray(column if every else column[keep]).data.cast("B"))

    count = len(rows)
    put(builder.ts, ts)
    put(builder.success, np.fromiter(map(_SUCCESS, rows), dtype=np.float32, count=count))
    put(builder.ids, _id_hashes(list(map(_RECORD_ID, rows))))
    fields = _Fields(rows)
    for name, path in FIELDS.items():
        found = fields.of(path, _NAN)
        if found is None:
            column = np.full(count, np.nan, dtype=np.float32)
        else:  # beyond float32 becomes inf, as array("f") does
            with np.errstate(over="ignore"):
                column = np.fromiter(found, dtype=np.float32, count=count)
        put(builder.values[name], column)
    for name, options in LABELS.items():
        put(builder.labels[name], _label_codes(fields, options, builder.vocab[name], count))


_TIMESTAMP = attrgetter("timestamp")
_SUCCESS = attrgetter("success")
_RECORD_ID = attrgetter("record_id")
_NAN = float("nan")  # the default of every number the decoder reads: one object
_SECTION_DEFAULTS: dict[str, Any] = {}  # the one empty value of each section, by name


class _Fields:
    """One field's values across a chunk's rows, each section's pulled out once."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows
        self.sections: dict[str, list[Any] | None] = {}

    def of(self, path: tuple[str, ...], default: Any) -> Iterable[Any] | None:
        """The values at *path*; None when every row has the *default* there.

        A field whose first row has a value is taken lazily (one pass). One
        whose first row lacks it is usually absent from every row: it is
        listed and counted (``list.count`` checks identity first, in C),
        which settles absence faster than a scan. A section equal to its
        empty default has no field set, so counting it as absent is exact.
        """
        outer, *inner = path
        parts: list[Any] | None = self.rows
        if inner:
            if outer not in self.sections:
                section = list(map(attrgetter(outer), self.rows))
                empty = _SECTION_DEFAULTS[outer]
                absent = section[0] is empty and section.count(empty) == len(section)
                self.sections[outer] = None if absent else section
            parts = self.sections[outer]
        if parts is None:
            return None
        getter = attrgetter(inner[0] if inner else outer)
        if getter(parts[0]) is not default:
            return map(getter, parts)
        values = list(map(getter, parts))
        return None if values.count(default) == len(values) else values


def _label_codes(
    fields: _Fields, options: tuple[tuple[str, ...], ...], vocab: dict[str, int], count: int
) -> npt.NDArray[np.int32]:
    """Codes into *vocab* of each row's label (the first option that is one), -1 for none."""
    words: Iterable[Any] | None = None
    for path in options:
        found = fields.of(path, None)
        if found is None:
            continue
        if words is None:
            words = found
        else:  # a blank first option gives way to the next, as in the reference path
            words = [w if w and not w.isspace() else f for w, f in zip(words, found, strict=True)]
    if words is None:
        return np.full(count, -1, dtype=np.int32)
    # one pass: a dict lookup a row, each distinct word normalised once
    return np.fromiter(map(_Codes(vocab).__getitem__, words), dtype=np.int32, count=count)


class _Codes(dict[Any, int]):
    """Word -> code in *vocab*; a word met for the first time is normalised and added.

    Codes are handed out in order of first appearance, as the reference
    builder does.
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        super().__init__()
        self.vocab = vocab

    def __missing__(self, word: Any) -> int:
        code = (
            self.vocab.setdefault(word.strip()[:MAX_LABEL], len(self.vocab))
            if _is_label(word)
            else -1
        )
        self[word] = code
        return code


def _add_line(builder: ColumnBuilder, decoder: Any, raw: bytes) -> bool:
    """Add the record on *raw*; False when the line is malformed."""
    if not raw.strip():
        return True
    import msgspec

    try:
        _add_rows(builder, [decoder.decode(raw)])
        return True
    except (msgspec.MsgspecError, RecursionError):
        pass  # rejected: the reference parser decides what the line is
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        record = None
    if isinstance(record, dict):
        builder.add(record)
        return True
    return False


@lru_cache(maxsize=1)
def _decoder() -> Any:
    """A msgspec decoder of just the fields in :data:`FIELDS`, built on first use.

    Numbers are ``float | None`` (ints are accepted as floats; a bool, string
    or out-of-range number fails the line, which then takes the reference
    path and reads as NaN or inf exactly as before). Sections are frozen so
    one empty default can stand for every record that lacks them. No struct
    is tracked by the cyclic garbage collector (``gc=False``; decoded JSON
    cannot form a cycle): a million tracked objects made the collector run
    hundreds of times a read, which tripled the decode time.
    """
    import msgspec

    nan = _NAN
    # (field, type, default) per section; a label that is not a string fails the
    # line, which the reference path then reads as having no label
    sections: dict[str, list[tuple[str, Any, Any]]] = {}
    top: list[tuple[str, Any, Any]] = []
    paths: list[tuple[tuple[str, ...], Any, Any]] = [
        (p, float | None, nan) for p in FIELDS.values()
    ]
    paths += [(path, str | None, None) for options in LABELS.values() for path in options]
    for (outer, *inner), kind, empty in paths:
        if inner:
            sections.setdefault(outer, []).append((inner[0], kind, empty))
        else:
            top.append((outer, kind, empty))
    fields: list[tuple[str, Any, Any]] = [("timestamp", str, msgspec.NODEFAULT)]
    fields.append(("success", bool, msgspec.NODEFAULT))
    fields.append(("record_id", Any, None))
    fields += top
    for outer, names in sections.items():
        section = msgspec.defstruct(f"_{outer}", names, frozen=True, gc=False)
        _SECTION_DEFAULTS[outer] = section()
        fields.append((outer, section, _SECTION_DEFAULTS[outer]))
    row = msgspec.defstruct("_Row", fields, gc=False)
    return msgspec.json.Decoder(row)


def _id_hashes(ids: list[Any]) -> IdArray:
    """:func:`id_hash` of each id, vectorised for the usual 32-hex-digit ids."""
    import binascii

    count = len(ids)
    try:  # map/join run in C; a None or a number among the ids raises TypeError
        uniform = set(map(len, ids)) == {32}
        joined = "".join(ids) if uniform else ""
    except TypeError:
        uniform, joined = False, ""
    if uniform and joined.isascii():
        chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(count, 32)
        try:  # the first 16 hex digits of each id, as a big-endian 64-bit number
            digits = binascii.unhexlify(chars[:, :16].tobytes())
        except binascii.Error:  # a character that is not a hex digit
            digits = b""
        if digits:
            return np.frombuffer(digits, dtype=">i8").astype(np.int64)
    return np.fromiter((id_hash(i) for i in ids), dtype=np.int64, count=count)


_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_SEPARATOR_AT = np.array([4, 7, 10, 13, 16, 19])
_SEPARATORS = np.frombuffer(b"--T::Z", dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _epochs(stamps: list[str]) -> FloatArray:
    """Epoch seconds of each timestamp, NaN where it does not parse.

    The canonical ``YYYY-MM-DDTHH:MM:SSZ`` form is converted in numpy (checked
    digit by digit and range by range); anything else goes through
    :func:`parse_timestamp` one at a time, so the result is the same either way.
    """
    count = len(stamps)
    joined = "".join(stamps)
    if set(map(len, stamps)) == {20} and joined.isascii():
        # the usual case: one bytes object, twenty a row, no per-string work
        chars: npt.NDArray[np.unsignedinteger[Any]] = np.frombuffer(
            joined.encode("ascii"), dtype=np.uint8
        ).reshape(count, 20)
        ok = np.ones(count, dtype=bool)
    else:
        chars = np.array(stamps, dtype="U20").view(np.uint32).reshape(count, 20)
        ok = np.fromiter(map(len, stamps), dtype=np.int64, count=count) == 20
    digits = chars[:, _DIGITS].astype(np.int32) - ord("0")
    ok &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    ok &= (chars[:, _SEPARATOR_AT] == _SEPARATORS).all(axis=1)
    # two-digit numbers: century, year, month, day, hour, minute, second
    pairs = digits[:, 0::2] * 10 + digits[:, 1::2]
    year = pairs[:, 0] * 100 + pairs[:, 1]
    month, day, hour, minute, second = (pairs[:, i] for i in range(2, 7))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (hour < 24) & (minute < 60)
    ok &= second < 60
    ok &= (day >= 1) & (day <= _MONTH_DAYS[np.where(ok, month, 0)] + (leap & (month == 2)))
    # numpy's calendar turns months since 1970 into days since 1970 (proleptic Gregorian)
    months = (year.astype(np.int64) - 1970) * 12 + np.where(ok, month, 1) - 1
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1
    result: FloatArray = (days * 86400 + (hour * 3600 + minute * 60 + second)).astype(np.float64)
    for index in np.flatnonzero(~ok):
        moment = _epoch(stamps[index])
        result[index] = np.nan if moment is None else moment
    return result


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
    try:
        return float(node)
    except OverflowError:  # an int too large for a float: not a usable measurement
        return float("nan")


def _label(record: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> str | None:
    for path in paths:
        node: Any = record
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if _is_label(node):
            return str(node).strip()[:MAX_LABEL]
    return None


def _is_label(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
