"""File-system primitives: the project boundary, capped reads, appends, atomic writes.

**The project folder is a boundary** (SPEC §1). Every path under a repo is
checked with :func:`inside_root` before it is opened: each component that
exists is looked at with ``lstat``, and a symbolic link whose target leaves
the root is refused with a message naming the link. A link that stays inside
the root is followed. Files are then opened by their resolved path with
``O_NOFOLLOW`` (a link swapped in at the last moment fails instead of being
followed) and ``O_NONBLOCK`` (a FIFO is refused, never waited on), and only
regular files are read or appended to. Whole-file reads are capped.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from kaizen_agentic.errors import BoundaryError, FileSystemError, KaizenError

# The beginning and the end of the part of a file a helper has read: an
# in-place rewrite (``cp`` over the file) changes them, an append does not.
FINGERPRINT_BLOCK = 4096
# the outbox and its delivered log are read whole; far beyond this is no outbox
MAX_EVENTS_FILE_BYTES = 256 * 1024 * 1024


def inside_root(root: Path, path: Path) -> Path:
    """The resolved *path*, after checking nothing on the way leaves *root*.

    Raises :class:`BoundaryError` naming the first symbolic link whose target
    is outside the root (or *path* itself when it is not under the root).
    Components that do not exist yet are fine: they will be created inside.
    """
    real_root = Path(os.path.realpath(root))
    # abspath folds ".." without following links, which is what is to be checked
    base = Path(os.path.abspath(root))  # noqa: PTH100
    target = Path(os.path.abspath(path))  # noqa: PTH100
    try:
        parts = target.relative_to(base).parts
    except ValueError:
        if _within(Path(os.path.realpath(target)), real_root):
            return Path(os.path.realpath(target))
        raise BoundaryError(
            f"{path} is outside the project {root}; keep kaizen files inside the project"
        ) from None
    current = base
    for part in parts:
        current = current / part
        try:
            info = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            break  # the rest does not exist (yet): nothing further to follow
        except OSError as error:
            raise _os_error(current, error) from None
        if stat.S_ISLNK(info.st_mode):
            resolved = Path(os.path.realpath(current))
            if not _within(resolved, real_root):
                raise BoundaryError(
                    f"{current} is a symbolic link to {resolved}, outside the project; "
                    "remove the link or point it inside the project"
                )
    return Path(os.path.realpath(target))


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def open_regular(root: Path | None, path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of the regular file *path* under *root* (FileNotFoundError passes).

    With *root* None (a file of the operator's, such as a roster) links are
    followed, but still only a regular file is opened.
    """
    if root is None:
        real, nofollow = Path(path), 0
    else:
        real, nofollow = inside_root(root, path), os.O_NOFOLLOW
    try:
        fd = os.open(real, flags | nofollow | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except FileNotFoundError:
        raise
    except NotADirectoryError:
        # a file where a folder of the path should be: the file itself is absent
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path)) from None
    except OSError as error:
        raise _os_error(Path(path), error) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise BoundaryError(
            f"{path} is not a regular file; kaizen reads and writes only regular files"
        )
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd


def open_read(root: Path | None, path: Path) -> io.BufferedReader:
    """*path* opened for binary reading, checked as :func:`open_regular` does."""
    return os.fdopen(open_regular(root, path), "rb")


def read_bytes_capped(root: Path | None, path: Path, cap: int) -> bytes:
    """The bytes of *path*, refused when it holds more than *cap* bytes."""
    with open_read(root, path) as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise KaizenError(f"{path} is over the {cap}-byte limit; shorten it")
    return data


def read_text_capped(root: Path | None, path: Path, cap: int, *, errors: str = "replace") -> str:
    """:func:`read_bytes_capped` decoded as UTF-8 (bad bytes replaced by default)."""
    return read_bytes_capped(root, path, cap).decode("utf-8", errors=errors)


def ensure_dir(root: Path | None, directory: Path) -> Path:
    """Create *directory* (and parents) inside *root*; refuse links out and files in the way."""
    if root is not None:
        inside_root(root, directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = _first_non_directory(directory)
        raise KaizenError(
            f"{blocker} is a file where a folder is needed; move it away and retry"
        ) from None
    except OSError as error:
        raise _os_error(directory, error) from None
    if root is not None:
        inside_root(root, directory)  # a link raced in while we created it
    return directory


def _first_non_directory(directory: Path) -> Path:
    for candidate in [*reversed(directory.parents), directory]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return directory


def _os_error(path: Path, error: OSError) -> KaizenError:
    if error.errno == errno.ELOOP:
        return BoundaryError(f"{path} is a symbolic link; kaizen does not follow it here")
    if error.errno == errno.ENXIO:
        return BoundaryError(f"{path} is not a regular file; kaizen writes only regular files")
    reason = error.strerror or type(error).__name__
    return FileSystemError(
        f"{path}: {reason.lower()}; check the path and its permissions", error.errno
    )


def atomic_write_text(path: Path, text: str, *, root: Path | None = None) -> None:
    """Replace *path* with *text* so readers see the old or the new file, never half.

    The temporary file lives in the same directory so the final rename stays on
    one file system, which is what makes it atomic. The new file keeps the old
    one's permission bits (a new file gets the umask's). With *root*, the
    path is checked against the project boundary first.
    """
    atomic_write_bytes(path, text.encode("utf-8"), root=root)


def atomic_write_bytes(path: Path, data: bytes, *, root: Path | None = None) -> None:
    """Byte-level :func:`atomic_write_text`."""
    ensure_dir(root, path.parent)
    if root is not None:
        inside_root(root, path)
    import tempfile  # the capture hook's appends never need it

    mode = _mode_of(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _os_error(path.parent, error) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        Path(tmp_name).replace(path)  # rename never follows a link at *path*
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def remove_stale_temps(path: Path) -> int:
    """Delete temporary files an interrupted :func:`atomic_write_text` of *path* left.

    Call it while holding the lock that serialises writers of *path*: then no
    live writer owns one. Returns how many were removed.
    """
    removed = 0
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(leftover).st_mode):
                leftover.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, *, root: Path | None = None) -> Iterator[None]:
    """Hold an inter-process lock on *lock_path* (created if absent) for the block.

    ``flock`` locks die with their process, so a writer killed mid-append never
    leaves the store locked.
    """
    ensure_dir(root, lock_path.parent)
    if root is not None:
        fd = open_regular(root, lock_path, os.O_RDWR | os.O_CREAT)
    else:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise _os_error(lock_path, error) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # unlocked, not only closed: a child forked inside the block shares the
        # descriptor's lock, and would otherwise hold it until it exits
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def open_for_append(root: Path | None, path: Path) -> int:
    """A descriptor appending to the regular file *path* (created if absent).

    Opened read-write so the caller can look at the last byte with ``pread``.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
    if root is not None:
        return open_regular(root, path, flags)
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise _os_error(path, error) from None


def append_line(path: Path, line: str, *, root: Path | None = None) -> None:
    """Append one line with a single ``write``; call it while holding the file's lock.

    When the file's last byte is not a newline (a writer crashed mid-line) the
    new record starts on a fresh line instead of being glued onto the torn one.
    """
    data = line.rstrip("\n").encode("utf-8") + b"\n"
    fd = open_for_append(root, path)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
    finally:
        os.close(fd)


def prefix_fingerprint(handle: BinaryIO, size: int) -> str:
    """A digest of the first and last :data:`FINGERPRINT_BLOCK` bytes of ``[0, size)``.

    Two reads whatever the file's size, so checking it costs the same at ten
    records or ten million.
    """
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    handle.seek(0)
    digest.update(handle.read(min(size, FINGERPRINT_BLOCK)))
    start = max(0, size - FINGERPRINT_BLOCK)
    handle.seek(start)
    digest.update(handle.read(size - start))
    return digest.hexdigest()
