"""The library's order under each sort, and a big source's papers, kept as files beside the store.

Reading a million ids in a sort's order out of SQLite takes 130-790 ms (an index walk, and
the ids joined into one string); the same array read back from a file takes about 3 ms. So
``Views`` asks here first. Everything here is derived: a missing, stale or unreadable file is
computed again from the store and rewritten.

A file is named by the store's order token (``token``), which changes whenever an order or a
source's papers could: new papers and listings raise those tables' highest ids (the store
hands out ids upward), and triggers (schema 8) give ``meta.order_rev`` a new random value when
a sorted column, a listing or a source's name changes by any other means (an insert below
the highest id or replacing a row, an update, a delete). A file with another token is stale
and is deleted when a newer one is written (by any process: a reader of an older snapshot
may delete a newer file, which costs only its recomputation).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FOLDER = "orders"  # in the library folder, beside the index and the vectors
LEFT_TMP_AGE = 3600.0  # seconds: a temporary file this old has no writer left


def token(conn: sqlite3.Connection) -> str:
    """The store's order token, read in ``conn``'s current snapshot."""
    (value,) = conn.execute(
        "SELECT (SELECT coalesce(max(value), '') FROM meta WHERE key = 'order_rev')"
        " || '_' || (SELECT coalesce(max(id), 0) FROM papers)"
        " || '_' || (SELECT coalesce(max(id), 0) FROM listings)"
    ).fetchone()
    return str(value)


class ListOrders:
    """Named id arrays of one store state, computed on first use and kept until it changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, name: str, token: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The array ``name`` of the store state ``token``: from its file, else ``compute()``
        (which must read that same state) and written for next time."""
        import numpy as np

        path = self.folder / f"{name}.{token}.npy"
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):  # not made yet, or cut short: made again
            pass
        ids = compute()
        self._write(path, ids, token)
        return ids

    def _write(self, path: Path, ids: np.ndarray, token: str) -> None:
        import numpy as np

        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                np.save(f, ids, allow_pickle=False)
            os.replace(tmp, path)  # a reader sees the whole file or none
            for old in self.folder.glob("*.npy"):
                if not old.name.endswith(f".{token}.npy"):
                    old.unlink(missing_ok=True)
            for left in self.folder.glob(".*.tmp"):  # a writer killed mid-way
                if left.stat().st_mtime < time.time() - LEFT_TMP_AGE:
                    left.unlink(missing_ok=True)
        except OSError:  # a read-only or full disk: the list still works, computed each time
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
