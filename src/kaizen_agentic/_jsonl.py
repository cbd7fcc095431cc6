"""One reader for JSON-lines files, with the store's policy for bad lines.

A line is decoded with msgspec; one it rejects (NaN literals, lone
surrogates, nesting too deep) is decoded again with the standard library,
so what reads as a record is exactly what ``json.loads`` accepts as an
object. A line that is not an object is skipped with a
:class:`~kaizen_agentic.metrics.records.MalformedLineWarning` naming
``file:line``; blank lines are skipped silently.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from kaizen_agentic.errors import MalformedLineWarning

# msgspec reads integers of any length, json.loads refuses those over 4,300
# digits (and json.dumps could not write them back); a line that long goes
# straight to json.loads so both readers agree.
_LONGEST_FAST_LINE = 4300


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on *raw*, or None when the line is not one."""
    import msgspec

    value: Any = None
    if len(raw) <= _LONGEST_FAST_LINE:
        try:
            value = _decoder().decode(raw)
        except (msgspec.MsgspecError, RecursionError):
            value = None
        else:
            return value if isinstance(value, dict) else None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def iter_jsonl(
    path: Path, *, warn: bool = True, root: Path | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each object line of *path*; nothing when it is missing.

    A torn last line (a crash mid-append) is malformed like any other. With
    *root*, the file is opened inside that project's boundary (SPEC §1): a link
    out of it, a FIFO or a device raises :class:`~kaizen_agentic.errors.BoundaryError`.
    """
    from kaizen_agentic._fs import open_read

    try:
        handle = open_read(root, path) if root is not None else _open_plain(path)
    except FileNotFoundError:
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            record = parse_line(raw)
            if record is None:
                if warn:
                    warnings.warn(
                        f"{path}:{number}: skipped a malformed line",
                        MalformedLineWarning,
                        stacklevel=3,
                    )
                continue
            yield number, record


def _open_plain(path: Path) -> Any:
    from kaizen_agentic._fs import open_read

    return open_read(None, path)


def finite(value: Any) -> Any:
    """*value* with every NaN or infinite float replaced by None (JSON null).

    Standard JSON has no NaN or Infinity; a document the tool writes or
    prints must be readable by any JSON parser, so a number that is not one
    is written as null.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps_line(value: Any) -> str:
    """*value* as one line of standard JSON that any stdout can print.

    Non-finite numbers become null (:func:`finite`); text is kept as is
    unless it holds a lone surrogate (which no UTF-8 stream can carry), in
    which case the line is written ASCII-escaped instead.
    """
    clean = finite(value)
    line = json.dumps(clean, sort_keys=True, ensure_ascii=False, allow_nan=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(clean, sort_keys=True, allow_nan=False)
    return line


@lru_cache(maxsize=1)
def _decoder() -> Any:
    import msgspec

    return msgspec.json.Decoder()
