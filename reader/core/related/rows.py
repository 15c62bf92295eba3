"""Which row of the vector store holds each paper's current vector.

A dict of a million ids took 102 MB and 2.7 s of CPU to build, under the GIL: the window
rebuilt it on every reload of the vectors (at each coverage band of a running embedding,
and at its end), a stall of seconds at 1M papers. Here the ids are a sorted array with
their rows (16 bytes a paper, one numpy sort to build). Rows appended later are kept in a
second, small sorted pair, which is folded into the first once it grows past an eighth of
it, so an append never re-sorts the whole store.
"""

from __future__ import annotations

import copy

import numpy as np

FOLD_MIN = 4096  # appended rows kept apart at least up to this many


def _newest(ids: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct id of ``ids`` (rows ``first_row``…), sorted, with its last row."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    last = np.ones(len(ordered), dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    return ordered[last], order[last].astype(np.int64) + first_row


def _find(keys: np.ndarray, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The row of each of ``ids`` in the sorted pair, -1 where it is not."""
    if not len(keys):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, ids), len(keys) - 1)
    return np.where(keys[at] == ids, rows[at], -1)


class RowIndex:
    """Paper id -> the newest row holding it, over the ids of every row of the store.

    Never changed once made (``extended`` makes another), so a reader in another thread
    always sees one consistent state."""

    def __init__(self, ids: np.ndarray) -> None:
        """The index of a store whose rows hold ``ids``."""
        ids = np.asarray(ids, dtype=np.int64)
        self._keys, self._rows = _newest(ids, 0)
        self._base_rows = len(ids)
        self._new_keys = self._new_rows = np.zeros(0, dtype=np.int64)
        self._count = len(self._keys)

    def extended(self, ids: np.ndarray) -> RowIndex:
        """The index once the store's rows hold ``ids`` (the rows indexed here a prefix)."""
        ids = np.asarray(ids, dtype=np.int64)
        appended = ids[self._base_rows :]
        if len(appended) > max(FOLD_MIN, self._base_rows // 8):
            return RowIndex(ids)
        index = copy.copy(self)
        index._new_keys, index._new_rows = _newest(appended, self._base_rows)
        known = _find(self._keys, self._rows, index._new_keys) >= 0
        index._count = len(self._keys) + int(np.count_nonzero(~known))
        return index

    def __len__(self) -> int:
        """How many distinct papers have a row."""
        return self._count

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The current row of each of ``ids``, -1 for a paper without one."""
        ids = np.asarray(ids, dtype=np.int64)
        found = _find(self._keys, self._rows, ids)
        if len(self._new_keys):
            newer = _find(self._new_keys, self._new_rows, ids)
            found = np.where(newer >= 0, newer, found)
        return found

    def get(self, paper_id: int) -> int | None:
        """One paper's row (None: it has none). Scalar binary searches: ~1.5 µs against a
        dict's 0.2, where ``rows`` of a one-element array took 5-10 µs (``pending`` asks
        once per paper)."""
        for keys, rows in ((self._new_keys, self._new_rows), (self._keys, self._rows)):
            if not len(keys):
                continue
            at = int(keys.searchsorted(paper_id))
            if at < len(keys) and keys[at] == paper_id:
                return int(rows[at])
        return None

    def __contains__(self, paper_id: int) -> bool:
        return self.get(paper_id) is not None

    def live_rows(self) -> np.ndarray:
        """The current row of every paper, in ascending row order."""
        older = self._rows[_find(self._new_keys, self._new_rows, self._keys) < 0]
        return np.sort(np.concatenate([older, self._new_rows]))
