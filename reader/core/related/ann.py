"""An approximate nearest-neighbour index (usearch HNSW) over the vector rows of big libraries.

Optional: used only when ``usearch`` is installed and the library has at least ``MIN_ROWS``
vectors; below that, exact numpy kNN is fast enough (~16 ms at 100k x 384 on 2 cores).
Keys are row numbers of the vector store's current generation; the index covers rows
``[0, rows)`` and the store scans the rows after that exactly, so a partly built index is
still correct. Candidates are re-scored exactly from the memory-mapped rows. The file is
written beside the vectors (``ann.usearch`` + ``ann.json``), saved to a temporary name and
renamed, and thrown away when the store's generation changes (model change, compaction).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

MIN_ROWS = 200_000
ADD_BATCH = 50_000


def available() -> bool:
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


class AnnIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index = None
        self.rows = 0
        self.gen = -1

    @property
    def _path(self) -> Path:
        return self.folder / "ann.usearch"

    def open(self, gen: int, dim: int) -> bool:
        """Load the saved index if it belongs to this generation of the store."""
        try:
            meta = json.loads((self.folder / "ann.json").read_text())
        except (FileNotFoundError, ValueError):
            return False
        if meta.get("gen") != gen or meta.get("dim") != dim or not self._path.exists():
            return False
        from usearch.index import Index

        self.index = Index.restore(str(self._path))
        self.rows, self.gen = int(meta["rows"]), gen
        return self.index is not None

    def catch_up(self, matrix: np.ndarray, gen: int, threads: int = 0) -> int:
        """Add rows ``[rows, len(matrix))``; save. Returns how many rows were added."""
        from usearch.index import Index

        if self.index is None or self.gen != gen:
            self.index = Index(
                ndim=matrix.shape[1],
                metric="ip",
                dtype="f16",
                connectivity=16,
                expansion_add=128,
                expansion_search=64,
            )
            self.rows, self.gen = 0, gen
        start = self.rows
        for lo in range(start, len(matrix), ADD_BATCH):
            hi = min(lo + ADD_BATCH, len(matrix))
            self.index.add(np.arange(lo, hi), np.asarray(matrix[lo:hi]), threads=threads)
            self.rows = hi
        if self.rows > start:
            tmp = self.folder / "ann.usearch.tmp"
            self.index.save(str(tmp))
            os.replace(tmp, self._path)
            meta_tmp = self.folder / "ann.json.tmp"
            meta_tmp.write_text(
                json.dumps({"gen": gen, "rows": self.rows, "dim": int(matrix.shape[1])})
            )
            os.replace(meta_tmp, self.folder / "ann.json")
        return self.rows - start

    def search(self, query: np.ndarray, count: int) -> np.ndarray:
        """Row numbers of about the ``count`` nearest rows."""
        if self.index is None or not self.rows:
            return np.zeros(0, np.int64)
        matches = self.index.search(np.asarray(query, dtype=np.float32), min(count, self.rows))
        return np.asarray(matches.keys, dtype=np.int64)
