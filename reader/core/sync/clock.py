"""A hybrid logical clock: stamps that order changes across machines whose clocks differ.

A stamp is ``<ms since 1970, 13 digits>.<counter, 6 digits>.<node id>``; stamps compare as
strings. A machine's clock never goes back: it keeps the highest stamp it has made or seen,
so a change made after receiving another one is stamped after it even when this machine's
wall clock is a day behind (Kulkarni et al., "Logical Physical Clocks", 2014).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

CLOCK_KEY = "sync_clock"  # meta: the last stamp's "ms.counter"


def _parts(stamp: str) -> tuple[int, int]:
    ms, counter, _ = stamp.split(".", 2)
    return int(ms), int(counter)


def _stamp(ms: int, counter: int, node: str) -> str:
    return f"{ms:013d}.{counter:06d}.{node}"


class Clock:
    """The clock of one library, kept in its ``meta`` table (inside the caller's transaction)."""

    def __init__(self, node: str, wall_ms: Callable[[], int] | None = None) -> None:
        self.node = node
        self.wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)

    def _last(self, conn: sqlite3.Connection) -> tuple[int, int]:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (CLOCK_KEY,)).fetchone()
        return _parts(f"{row[0]}.x") if row else (0, 0)

    def _keep(self, conn: sqlite3.Connection, ms: int, counter: int) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (CLOCK_KEY, f"{ms}.{counter}")
        )

    def tick(self, conn: sqlite3.Connection) -> str:
        """A new stamp, after every stamp this library has made or seen."""
        last_ms, counter = self._last(conn)
        wall = self.wall_ms()
        ms, counter = (wall, 0) if wall > last_ms else (last_ms, counter + 1)
        self._keep(conn, ms, counter)
        return _stamp(ms, counter, self.node)

    def seen(self, conn: sqlite3.Connection, stamp: str) -> None:
        """Move the clock past a stamp received from another machine."""
        if (theirs := _parts(stamp)) > self._last(conn):
            self._keep(conn, *theirs)
