"""Work done in a forked child: its result streamed back through a pipe, or
left to finish on its own.

Used for the jobs big enough to pay for a second core: the cold parse of a
long history, and writing the column cache it produced. Fork, not spawn: the child starts with the
parent's imports already loaded, so it costs milliseconds instead of the
0.2 s of a fresh interpreter. A child is only forked from a process that
runs one thread: fork copies no other thread, so a lock another thread held
would never be released in the child.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO


def can_fork() -> bool:
    """Whether a second process would run on a second core, safely.

    Linux only: on macOS the system libraries numpy links against are not
    safe to use in a forked child (which is why Python spawns there).
    """
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores >= 2


@contextlib.contextmanager
def forked(work: Callable[[BinaryIO], None]) -> Iterator[io.BufferedReader | None]:
    """Run ``work(writer)`` in a child process; yield a reader of what it writes.

    Yields None when no child could be started. A child that fails stops
    writing: the reader then ends early, which the caller must treat as "do
    it yourself". Leaving the block closes the reader (a child still writing
    gets EPIPE and exits) and reaps the child; leaving it by an exception
    kills the child first, so nothing waits on work nobody will read.
    """
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        yield None
        return
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as writer:
                work(writer)
            status = 0
        except BaseException:  # any failure only means a short stream
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    reader = os.fdopen(read_end, "rb")
    try:
        yield reader
    except BaseException:  # the caller gave up (an error, Ctrl-C): so does the child
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        reader.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def start(work: Callable[[], None]) -> int | None:
    """Run ``work()`` in a child left to finish on its own; its pid for :func:`reap`.

    None when no child could be started: the caller then does the work
    itself. A failure in the child stays there (it only means the work is
    not done).
    """
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            work()
            status = 0
        except BaseException:
            pass
        finally:
            os._exit(status)
    return pid


def reap(pid: int) -> None:
    """Wait for the child *pid* started by :func:`start` to finish."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
