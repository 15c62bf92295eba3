"""The one way Paper Reader opens an SQLite file, so every connection has the same settings.

Every connection is in autocommit mode (``isolation_level=None``): the code that writes
says ``BEGIN IMMEDIATE … COMMIT`` itself, so Python's sqlite3 never opens a transaction
behind its back. Foreign keys are enforced (SQLite's default is off, per connection), and
``timeout`` is SQLite's busy timeout (Python's ``timeout`` sets it: a connection waits that
long for another process's lock instead of failing at once).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from reader.core.storage_errors import primary_code

BUSY_TIMEOUT = 30.0  # seconds a connection waits for another process's lock
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def connect(
    path: Path | str,
    *,
    readonly: bool = False,
    timeout: float = BUSY_TIMEOUT,
    any_thread: bool = False,
    rows: bool = False,
    check: Callable[[sqlite3.Connection], object] | None = None,
    wal: bool = False,
    cache_mb: int = 0,
) -> sqlite3.Connection:
    """A connection to ``path`` (a file, or ``":memory:"``).

    ``readonly``: opened with ``mode=ro`` and ``query_only`` (a write is refused, never
    attempted); ``any_thread``: usable from any thread (the caller serialises access);
    ``rows``: rows are ``sqlite3.Row``. ``check(conn)`` runs before anything is written to
    the file (switching to WAL rewrites its header), so a file it refuses stays byte-identical.
    ``wal``: the settings of a file written while others read it (``use_wal``);
    ``cache_mb``: a bigger page cache than SQLite's 2 MB. The connection is closed if any
    step fails.
    """
    conn = sqlite3.connect(
        f"file:{path}?mode=ro" if readonly else path,
        uri=readonly,
        isolation_level=None,
        check_same_thread=not any_thread,
        timeout=timeout,
    )
    try:
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        if check is not None:
            check(conn)
        if wal:
            use_wal(conn)
        if cache_mb:
            conn.execute(f"PRAGMA cache_size = {-1024 * cache_mb}")  # negative: KiB
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    if rows:
        conn.row_factory = sqlite3.Row
    return conn


def use_wal(conn: sqlite3.Connection, attempts: int = 20) -> None:
    """WAL with ``synchronous = NORMAL``: readers never block the writer, and a commit
    waits for no fsync (a power cut may lose the last commits, never the file's integrity).

    Switching is a no-op once the file is WAL. Switching a rollback-journal file (a library
    from before WAL) needs every other connection out of it; when processes opening it at
    once deadlock, SQLite answers "locked" at once instead of waiting, so try again. (One CI
    run saw "database is locked" with three processes opening an old library; 40 stress runs
    did not reproduce it.)"""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as e:
            if primary_code(e) not in _BUSY or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    conn.execute("PRAGMA synchronous = NORMAL")
