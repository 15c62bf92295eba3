"""An inter-process lock on a file, waited for with a timeout (portalocker: ``flock`` on
POSIX, ``LockFileEx`` on Windows, where shared locks need pywin32)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


class LockTimeout(Exception):
    """Another process held the lock for longer than the timeout."""


@contextlib.contextmanager
def file_lock(
    path: Path, timeout: float, poll: float = 0.05, shared: bool = False
) -> Iterator[None]:
    """Hold an exclusive (or ``shared``) lock on ``path`` (created if missing) for the
    ``with`` block. Another handle on the same file conflicts even in this process.

    portalocker is imported here, at the first lock: reading its version at import costs
    50 ms (importlib.metadata), which a command that only reads never needs to pay."""
    import portalocker
    from portalocker import LockFlags

    kind = LockFlags.SHARED if shared else LockFlags.EXCLUSIVE
    lock = portalocker.Lock(
        path, "a", timeout=timeout, check_interval=poll, flags=kind | LockFlags.NON_BLOCKING
    )
    try:
        lock.acquire()
    except portalocker.exceptions.LockException:
        raise LockTimeout(f"{path} is held by another process") from None
    try:
        yield
    finally:
        lock.release()
