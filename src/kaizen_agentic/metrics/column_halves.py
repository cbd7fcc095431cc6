"""A long cold read in two halves at once: the second in a forked child.

:func:`kaizen_agentic.metrics.columns.read_range` hands a range
over :data:`~kaizen_agentic.metrics.columns.PARALLEL_BYTES` here. The range
is split at a line start; a forked child (:mod:`kaizen_agentic._forked`)
parses the second half and writes its columns — a pickled header, then
each column's raw bytes — which are read straight into full-length arrays,
while this process parses the first half and lets its own columns go one by
one as they are copied. The result is the same as one read of the whole, line
numbers and label codes included; without a child, or when it fails, the
range is read here.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from kaizen_agentic._fs import open_read
from kaizen_agentic.metrics.columns import (
    LABELS,
    Columns,
    ParsedRange,
    column_arrays,
    columns_from_arrays,
    merge_vocab,
    parse_range,
)


def parse_halves(path: Path, start: int, end: int, root: Path) -> ParsedRange:
    """[start, middle) read here while a child reads [middle, end), joined in file order."""
    from kaizen_agentic._forked import forked

    middle = _next_line_start(path, root, start + (end - start) // 2, end)
    if middle is None:
        return parse_range(path, start, end, root)

    def second_half(out: BinaryIO) -> None:
        _send(parse_range(path, middle, end, root), out)

    with forked(second_half) as child:
        first = parse_range(path, start, middle, root)
        if child is None:  # no child: read its half here
            second = parse_range(path, middle, end, root)
            return _join(first, second, first.columns.concat(second.columns))
        stream = child.result()
        received = None
        if stream is not None:
            with stream:
                received = _receive(stream, first)
    if received is None:  # the child failed, and the first half is spent: read it all
        return parse_range(path, start, end, root)
    second, columns = received
    return _join(first, second, columns)


def _join(first: ParsedRange, second: ParsedRange, columns: Columns) -> ParsedRange:
    """Two consecutive reads as one, their rows already together in *columns*."""
    return ParsedRange(
        columns,
        first.consumed + second.consumed,
        [*first.malformed, *second.malformed],
        [*first.attachments, *second.attachments],
    )


def _next_line_start(path: Path, root: Path, offset: int, end: int) -> int | None:
    """The offset just past the first newline at or after *offset*, if before *end*."""
    with open_read(root, path) as handle:
        handle.seek(offset)
        while offset < end:
            block = handle.read(min(64 * 1024, end - offset))
            if not block:
                return None
            found = block.find(b"\n")
            if found >= 0:
                after = offset + found + 1
                return after if after < end else None
            offset += len(block)
    return None


def _send(parsed: ParsedRange, out: BinaryIO) -> None:
    """The child's half: a pickled header, then each column's raw bytes."""
    import pickle

    columns = parsed.columns
    header = pickle.dumps(
        (parsed.consumed, parsed.malformed, parsed.attachments, len(columns)),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    vocab = pickle.dumps(columns.vocab, protocol=pickle.HIGHEST_PROTOCOL)
    for part in (header, vocab):
        out.write(len(part).to_bytes(8, "little") + part)
    for column in column_arrays(columns).values():
        out.write(np.ascontiguousarray(column).data.cast("B"))


def _receive(stream: io.BufferedReader, first: ParsedRange) -> tuple[ParsedRange, Columns] | None:
    """The child's read, and *first*'s rows followed by its own; None when its stream
    ends early.

    Each column is allocated once at its full length, the child's bytes are
    read straight into its second part, and *first*'s columns are let go one
    by one as they are copied (``first.columns`` is empty afterwards), so no
    row is held twice.
    """
    import pickle

    own, count, words = column_arrays(first.columns), len(first.columns), first.columns.vocab
    first.columns = Columns.from_records([])
    try:
        consumed, malformed, attachments, rows = pickle.loads(_read_part(stream))
        vocab: dict[str, list[str]] = pickle.loads(_read_part(stream))
        whole: dict[str, npt.NDArray[Any]] = {}
        for name in list(own):
            part = own.pop(name)
            column = np.empty(len(part) + rows, dtype=part.dtype)
            column[: len(part)] = part
            _read_into(stream, column[len(part) :].data.cast("B"))
            whole[name] = column
            del part
    except (EOFError, pickle.UnpicklingError, ValueError):
        return None
    merged_vocab: dict[str, list[str]] = {}
    for name in LABELS:
        merged_vocab[name], remap = merge_vocab(words.get(name, []), vocab.get(name, []))
        tail = whole[f"label_{name}"][count:]
        tail[:] = remap[tail]
    parsed = ParsedRange(Columns.from_records([]), consumed, malformed, attachments)
    return parsed, columns_from_arrays(whole, merged_vocab)


def _read_part(stream: io.BufferedReader) -> bytes:
    size = int.from_bytes(_read_exactly(stream, 8), "little")
    return _read_exactly(stream, size)


def _read_exactly(stream: io.BufferedReader, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the stream ended early")
    return data


def _read_into(stream: io.BufferedReader, target: memoryview) -> None:
    while target.nbytes:
        got = stream.readinto(target)
        if not got:
            raise EOFError("the stream ended early")
        target = target[got:]
