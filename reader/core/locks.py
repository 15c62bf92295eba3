"""An inter-process lock on a file, waited for with a timeout (flock where available)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: Whoosh's own lock still guards its files
    fcntl = None  # type: ignore[assignment]


LOCKS_WORK = fcntl is not None  # elsewhere file_lock() does not exclude other processes


class LockTimeout(Exception):
    """Another process held the lock for longer than the timeout."""


@contextlib.contextmanager
def file_lock(
    path: Path, timeout: float, poll: float = 0.05, shared: bool = False
) -> Iterator[None]:
    """Hold an exclusive (or ``shared``) lock on ``path`` (created if missing) for the
    ``with`` block."""
    if fcntl is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{path} is held by another process") from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
