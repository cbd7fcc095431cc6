"""The column cache beside executions.jsonl: a base file and a small delta.

The base (``.cache/columns.npz``) holds every row read up to an offset; rows
appended since go to the delta (``columns.delta.npz``) alone, stamped with
the base they extend, so one new record rewrites a few kilobytes. The delta
is folded into a new base once it holds a sixteenth of the base's rows, or
when an attachment changes rows the base holds. Both are trusted only while
the history still starts with what they read (inode, size and a fingerprint
of the read prefix); anything else — missing, damaged, another version, a
delta built on another base — means the file itself is read again.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import numpy.typing as npt

from kaizen_agentic._fs import ensure_dir, inside_root, open_read, prefix_fingerprint
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.metrics.columns import (
    FIELDS,
    LABELS,
    Columns,
    apply_attachments,
    column_arrays,
    columns_from_arrays,
    merge_vocab,
    read_range,
    warn_malformed,
)

CACHE_VERSION = 7
BASE_FILE = "columns.npz"
DELTA_FILE = "columns.delta.npz"
# A new base of at least this many rows is written by a child process while
# the caller goes on to the analysis (see _write_base_soon).
BACKGROUND_ROWS = 100_000


def load_columns(executions: Path, cache_dir: Path, root: Path | None = None) -> Columns:
    """The file's records as columns, reading only what the cache has not seen.

    *root* is the project the files belong to (default: the file's folder);
    nothing outside it is read or written. The cache is trusted only while the
    file still starts with what it read (size, inode and a fingerprint of the
    read prefix agree), so an in-place rewrite means a rebuild.

    The cache is a base file and a small delta beside it: rows appended since
    the base was written go to the delta alone, so one new record rewrites a
    few kilobytes, not every row. The delta is folded into a new base once it
    holds a sixteenth of the base's rows, or when an attachment changes rows
    the base holds. The base is read straight into arrays with room for the
    rows after it, so base, delta and new rows are never copied together.
    """
    root = root if root is not None else executions.parent
    finish_cache_writes()  # a base still being written is read once it is whole
    try:
        return _load(executions, cache_dir, root, trust_cache=True)
    except _DamagedCache:  # found only once its rows were read: read the file itself
        return _load(executions, cache_dir, root, trust_cache=False)


def _load(executions: Path, cache_dir: Path, root: Path, *, trust_cache: bool) -> Columns:
    try:
        handle = open_read(root, executions)
    except FileNotFoundError:
        return Columns.from_records([])
    base_file, delta_file = cache_dir / BASE_FILE, cache_dir / DELTA_FILE
    with handle, _Stored.open(root, base_file if trust_cache else None) as base:
        size = os.fstat(handle.fileno()).st_size
        inode = os.fstat(handle.fileno()).st_ino
        delta, meta = None, base.meta if base is not None else _Meta()
        if base is not None:
            with _Stored.open(root, delta_file, extends=base.meta) as stored:
                if stored is not None:
                    delta, meta = stored.columns([], ids=True), stored.meta
        if base is None or not _still_valid(handle, meta, inode, size):
            base, delta, meta = None, None, _Meta()
        warn_malformed(executions, meta.malformed)
        deltas = [] if delta is None else [delta]
        if meta.offset == size:
            return base.columns(deltas, ids=False) if base is not None else Columns.from_records([])
        tail = read_range(executions, meta.offset, size, root=root)
        end = meta.offset + tail.consumed
        read = _Meta(
            inode, end, prefix_fingerprint(handle, end), (*meta.malformed, *tail.malformed)
        )
        grown = tail.columns if delta is None else delta.concat(tail.columns)
        if base is not None and not tail.attachments and len(grown) * 16 <= base.rows:
            _write_cache(root, delta_file, grown, dataclasses.replace(read, base=_stamp(base.meta)))
            return base.columns([grown], ids=False)
        # a new base: every row, ids and all
        columns = base.columns([grown], ids=True) if base is not None else tail.columns
    if tail.attachments:
        columns = apply_attachments(columns, tail.attachments)
    _write_base_soon(root, base_file, columns, read)
    return columns


def finish_cache_writes() -> None:
    """Wait for a base cache still being written by a child process, if any.

    Every :func:`load_columns` waits first, and so does the process at exit,
    so no read sees a base half written and no command ends before its
    cache is whole.
    """
    global _writer
    if _writer is not None:
        from kaizen_agentic._forked import reap

        pid, _writer = _writer, None
        reap(pid)


_writer: int | None = None  # the pid of the child writing a base
atexit.register(finish_cache_writes)


def _write_base_soon(root: Path, base_file: Path, columns: Columns, meta: _Meta) -> None:
    """Write the base here, or, when long, in a forked child while this process goes on.

    The child shares the arrays with this process (fork copies no page until
    one side writes it) and spends the other core on the checksum and the
    I/O, ~0.1 s at a million rows, while the analysis runs here.
    """
    global _writer
    from kaizen_agentic._forked import can_fork, start

    if len(columns) >= BACKGROUND_ROWS and can_fork():
        _writer = start(lambda: _write_base(root, base_file, columns, meta))
        if _writer is not None:
            return
    _write_base(root, base_file, columns, meta)


def _write_base(root: Path, base_file: Path, columns: Columns, meta: _Meta) -> None:
    _write_cache(root, base_file, columns, meta)
    delta_file = base_file.with_name(DELTA_FILE)
    with contextlib.suppress(OSError, KaizenError):
        inside_root(root, delta_file)  # never unlink through a link out of the project
        delta_file.unlink()  # a delta left behind no longer extends the base: ignored


def _still_valid(handle: BinaryIO, meta: _Meta, inode: int, size: int) -> bool:
    """Whether the file still starts with what the cache read."""
    return (
        meta.inode == inode
        and meta.offset <= size
        and prefix_fingerprint(handle, meta.offset) == meta.fingerprint
    )


def _stamp(meta: _Meta) -> str:
    """What names one base cache: a delta extends exactly the base with this stamp."""
    return f"{meta.inode}:{meta.offset}:{meta.fingerprint}"


@dataclass(frozen=True)
class _Meta:
    """Where the cache stands in the file it was built from."""

    inode: int = 0
    offset: int = 0  # bytes read up to
    fingerprint: str = ""  # prefix_fingerprint of [0, offset)
    malformed: tuple[int, ...] = ()  # line numbers of malformed lines, to warn again
    base: str = ""  # a delta: the _stamp of the base it extends


class _DamagedCache(Exception):
    """A cache file whose rows turned out unreadable once read."""


# dtype of each per-row array of a cache file, by name (see :func:`column_arrays`)
_DTYPES: dict[str, Any] = {
    "ts": np.float64,
    "success": np.float32,
    "ids": np.int64,
    **dict.fromkeys(FIELDS, np.float32),
    **{f"label_{k}": np.int32 for k in LABELS},
}


class _Stored:
    """One cache file, open: where it stands is read at once, its rows when asked."""

    def __init__(self, archive: zipfile.ZipFile, meta: _Meta, rows: int) -> None:
        self.archive, self.meta, self.rows = archive, meta, rows

    @staticmethod
    @contextlib.contextmanager
    def open(
        root: Path, path: Path | None, *, extends: _Meta | None = None
    ) -> Iterator[_Stored | None]:
        """The file at *path*; None when missing, damaged or of another version.

        With *extends*, the file is a delta and counts only when it was
        built on that base.
        """
        if path is None:
            yield None
            return
        try:
            inside_root(root, path)
            handle = open_read(root, path)
        except (OSError, KaizenError):
            yield None
            return
        with handle:
            stored = _Stored._read_head(handle, extends)
            try:
                yield stored
            finally:
                if stored is not None:
                    stored.archive.close()

    @staticmethod
    def _read_head(handle: BinaryIO, extends: _Meta | None) -> _Stored | None:
        try:
            archive = zipfile.ZipFile(handle)
            head = _small_array(archive, "meta")
            base = bytes(_small_array(archive, "base").tolist()).decode("ascii")
            if int(head[0]) != CACHE_VERSION:
                return None
            if extends is not None and (not extends.offset or base != _stamp(extends)):
                return None
            meta = _Meta(
                int(head[1]),
                int(head[2]),
                bytes(_small_array(archive, "fingerprint").tolist()).decode("ascii"),
                tuple(int(n) for n in _small_array(archive, "malformed").tolist()),
                base,
            )
            return _Stored(archive, meta, int(head[3]))
        except Exception:  # any damage to a cache only means a rebuild
            return None

    def columns(self, after: list[Columns], *, ids: bool) -> Columns:
        """The stored rows followed by *after*'s, each array allocated once at full length.

        Record-id hashes (8 bytes a row) are read only with *ids*: only a new
        base or an attachment needs them. Raises :class:`_DamagedCache`.
        """
        try:
            vocab = {
                k: [str(w) for w in _small_array(self.archive, f"vocab_{k}").tolist()]
                for k in LABELS
            }
            arrays: dict[str, npt.NDArray[Any]] = {}
            for name, dtype in _DTYPES.items():
                if name == "ids" and not ids:
                    continue
                column = np.empty(self.rows + sum(map(len, after)), dtype=dtype)
                _read_member(self.archive, name, column[: self.rows])
                arrays[name] = column
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise _DamagedCache(str(error)) from error
        stored = columns_from_arrays(arrays, vocab, ids=ids)
        if not _consistent(stored.between_rows(0, self.rows)):
            raise _DamagedCache("label codes outside their vocabulary")
        return _place_after(stored, self.rows, after)


def _small_array(archive: zipfile.ZipFile, name: str) -> npt.NDArray[Any]:
    with archive.open(f"{name}.npy") as member:
        array: npt.NDArray[Any] = np.lib.format.read_array(member, allow_pickle=False)
    return array


def _read_member(archive: zipfile.ZipFile, name: str, target: npt.NDArray[Any]) -> None:
    """Read the stored array *name* into *target*, which must match its shape and type."""
    with archive.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        if shape != target.shape or dtype != target.dtype:
            raise ValueError(f"{name}: {shape} {dtype}, not {target.shape} {target.dtype}")
        reader = cast("io.BufferedIOBase", member)  # a ZipExtFile
        view = target.data.cast("B")
        while view.nbytes:
            got = reader.readinto(view)
            if not got:
                raise EOFError(f"{name} ends early")
            view = view[got:]
        if member.read(1):  # reading to the end also checks the member's CRC
            raise ValueError(f"{name} runs on")


def _place_after(columns: Columns, rows: int, after: list[Columns]) -> Columns:
    """*columns*, whose arrays have room past *rows*, with *after*'s rows put there."""
    vocab = dict(columns.vocab)
    start = rows
    for part in after:
        stop = start + len(part)
        columns.ts[start:stop] = part.ts
        columns.success[start:stop] = part.success
        if columns.ids is not None:
            columns.ids[start:stop] = part.id_hashes
        for name, values in part.values.items():
            columns.values[name][start:stop] = values
        for name, codes in part.labels.items():
            vocab[name], remap = merge_vocab(vocab.get(name, []), part.vocab.get(name, []))
            columns.labels[name][start:stop] = remap[codes]
        start = stop
    return dataclasses.replace(columns, vocab=vocab)


def _consistent(columns: Columns) -> bool:
    """Every column as long as the timestamps, every label code inside its vocabulary."""
    n = len(columns)
    if any(v.shape != (n,) for v in (columns.success, *columns.values.values())):
        return False
    for name, codes in columns.labels.items():
        if codes.shape != (n,) or (n and int(codes.max(initial=-1)) >= len(columns.vocab[name])):
            return False
        if n and int(codes.min(initial=-1)) < -1:
            return False
    return True


def _write_cache(root: Path, cache_file: Path, columns: Columns, meta: _Meta) -> None:
    try:
        ensure_dir(root, cache_file.parent)
        inside_root(root, cache_file)
    except KaizenError:
        return  # no cache this time (a file named .cache, a link out): reads stay correct
    _remove_dead_temps(cache_file)
    tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
    head = np.asarray([CACHE_VERSION, meta.inode, meta.offset, len(columns)], dtype=np.int64)
    try:
        arrays: dict[str, Any] = {
            "meta": head,
            "fingerprint": np.frombuffer(meta.fingerprint.encode("ascii"), dtype=np.uint8),
            "base": np.frombuffer(meta.base.encode("ascii"), dtype=np.uint8),
            "malformed": np.asarray(meta.malformed, dtype=np.int64),
            **column_arrays(columns),
            # fixed-width unicode arrays load without pickle
            **{f"vocab_{k}": np.asarray(v, dtype=str) for k, v in columns.vocab.items()},
        }
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # left by an earlier process of this pid (a link is only unlinked)
        # a new file, never one a link at this name points to
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(tmp, flags, 0o644), "wb") as handle:
            _save(handle, arrays)
        tmp.replace(cache_file)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _remove_dead_temps(cache_file: Path) -> None:
    """Delete what writers of *cache_file* killed mid-write left (their pid is gone).

    ``.<name>.<pid>.tmp``, and ``.<name>.<pid>.tmp.npz`` as ``np.savez`` named them.
    """
    for leftover in cache_file.parent.glob(f".{cache_file.name}.*.tmp*"):
        pid, _, suffix = leftover.name[len(cache_file.name) + 2 :].partition(".")
        if suffix in ("tmp", "tmp.npz") and pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _save(handle: BinaryIO, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """What ``np.savez`` writes, each array's memory handed to the zip as it is
    (``np.savez`` copies each into a bytes object first: 72 MB at a million rows)."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            array = np.ascontiguousarray(array)
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                header = np.lib.format.header_data_from_array_1_0(array)
                np.lib.format.write_array_header_1_0(member, header)
                member.write(array.data.cast("B") if array.size else b"")
