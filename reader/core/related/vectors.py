"""The vector store beside a library: memory-mapped float32 rows keyed to paper ids.

Layout of ``<library>/vectors/``:

- ``meta.json`` — ``{"model", "dim", "count", "rev", "gen"}``, replaced atomically; it is the
  commit record: only its ``count`` rows are valid.
- ``vectors.<gen>.f32`` (count x dim float32), ``ids.<gen>.i64`` (paper id of each row),
  ``hashes.<gen>.u64`` (hash of the text each row was made from) — append-only raw files.

Appending writes the rows to the three files, fsyncs them, then replaces ``meta.json``: a
kill at any point leaves ``meta.json`` describing a consistent prefix, and whatever was
written past it is cut off on the next open. A paper re-embedded after an edit gets a new
row; the newest row of an id wins and older ones are dead until ``compact`` (which writes
generation ``gen + 1`` and switches to it by replacing ``meta.json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from reader.core.related.rows import RowIndex

FORMAT = 1
SCAN_CHUNK = 65_536  # rows per block of a filtered exact scan
CENTRE_MIN = 200  # rows below which the mean vector is too noisy to centre on


def text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class VectorStore:
    def __init__(self, folder: Path, repair: bool = True) -> None:
        """``repair`` False only reads, as beside a running ``embed`` (which may have
        written rows past its last commit): nothing is cut or written back."""
        self.folder = folder
        self.repair = repair
        self._lock = threading.RLock()
        self._matrix: np.ndarray | None = None
        self._sum: tuple[int, int, np.ndarray] | None = None  # (gen, rows summed, their sum)
        self.damaged = False  # rows were missing at open and have been cut off (see _load)
        self._load()

    # -- state ----------------------------------------------------------------------------------

    def _load(self) -> None:
        meta_path = self.folder / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        if meta.get("format") != FORMAT:
            meta = {"format": FORMAT, "model": "", "dim": 0, "count": 0, "rev": 0, "gen": 0}
        self.meta = meta
        readable = self._readable_rows()
        if readable < meta["count"] and not self.repair:
            self.meta = {**meta, "count": readable}
        elif readable < meta["count"]:  # files cut short (a disk fault, a bad copy): keep the
            self.damaged = True  # consistent prefix; rev 0 makes `embed` redo the rest
            self._write_meta(count=readable, rev=0)
        if self.repair:
            self._truncate_to_count()
        meta = self.meta
        count = meta["count"]
        self._ids = (
            np.fromfile(self._path("ids"), dtype=np.int64, count=count)
            if count
            else (np.zeros(0, np.int64))
        )
        self._hashes = (
            np.fromfile(self._path("hashes"), dtype=np.uint64, count=count)
            if count
            else np.zeros(0, np.uint64)
        )
        self._row = RowIndex(self._ids)
        self._matrix = None
        self.ann = None
        if (self.folder / "ann.json").exists():
            from reader.core.related import ann

            if ann.available():
                index = ann.AnnIndex(self.folder)
                if index.open(int(self.meta["gen"]), self.dim):
                    self.ann = index

    def _readable_rows(self) -> int:
        """How many rows all three files hold in full."""
        count, dim = int(self.meta["count"]), int(self.meta["dim"])
        for kind, width in (("vectors", 4 * dim), ("ids", 8), ("hashes", 8)):
            path = self._path(kind)
            size = path.stat().st_size if path.exists() else 0
            if width:
                count = min(count, size // width)
        return count

    def _path(self, kind: str) -> Path:
        ext = {"vectors": "f32", "ids": "i64", "hashes": "u64"}[kind]
        return self.folder / f"{kind}.{self.meta['gen']}.{ext}"

    def _truncate_to_count(self) -> None:
        """Cut rows written after the last commit (a kill between append and meta)."""
        count, dim = self.meta["count"], self.meta["dim"]
        for kind, width in (("vectors", 4 * dim), ("ids", 8), ("hashes", 8)):
            path = self._path(kind)
            if path.exists() and path.stat().st_size > count * width:
                with open(path, "r+b") as f:
                    f.truncate(count * width)

    def _write_meta(self, **changes: object) -> None:
        meta = {**self.meta, **changes}
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "meta.json.tmp"
        with open(tmp, "w") as f:
            json.dump(meta, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.folder / "meta.json")
        self.meta = meta

    @property
    def model(self) -> str:
        return self.meta["model"]

    @property
    def rev(self) -> int:
        """Every paper changed up to this store revision has its current vector."""
        return int(self.meta["rev"])

    @property
    def dim(self) -> int:
        return int(self.meta["dim"])

    @property
    def rows(self) -> int:
        return int(self.meta["count"])

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, paper_id: int) -> bool:
        return paper_id in self._row

    def ids(self) -> list[int]:
        """Every paper with a vector, in the order their current vectors were written (a
        re-embedded paper where its newest vector is)."""
        with self._lock:  # the ids and the row index as one append or compaction left them
            ids, rows = self._ids, self._row
        return ids[rows.live_rows()].tolist()

    def hash_of(self, paper_id: int) -> int | None:
        row = self._row.get(paper_id)
        return None if row is None else int(self._hashes[row])

    # -- writing --------------------------------------------------------------------------------

    def reset(self, model: str, dim: int) -> None:
        """Forget every vector (a new model): start a fresh generation."""
        with self._lock:
            old = [self._path(k) for k in ("vectors", "ids", "hashes")]
            gen = int(self.meta["gen"]) + 1
            self._write_meta(model=model, dim=dim, count=0, rev=0, gen=gen)
            for path in old:
                path.unlink(missing_ok=True)
            self._load()

    def append(self, ids: Sequence[int], hashes: Sequence[int], vectors: np.ndarray) -> None:
        """Add rows and commit them (rows first, fsynced, then meta.json)."""
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        assert vectors.shape == (len(ids), self.dim), (vectors.shape, self.dim)
        id_arr = np.asarray(ids, dtype=np.int64)
        hash_arr = np.asarray(hashes, dtype=np.uint64)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            for kind, data in (("vectors", vectors), ("ids", id_arr), ("hashes", hash_arr)):
                with open(self._path(kind), "ab") as f:
                    f.write(data.tobytes())
                    f.flush()
                    os.fsync(f.fileno())
            self._write_meta(count=self.rows + len(id_arr))
            self._ids = np.concatenate([self._ids, id_arr])
            self._hashes = np.concatenate([self._hashes, hash_arr])
            self._row = self._row.extended(self._ids)
            self._matrix = None

    def set_rev(self, rev: int) -> None:
        with self._lock:
            self._write_meta(rev=rev)

    def compact(self, keep: Iterable[int] | None = None) -> None:
        """Rewrite only the live rows (optionally only those of ``keep``) as a new generation."""
        with self._lock:
            if keep is None:
                rows = self._row.live_rows()
            else:
                rows = self._row.rows(np.fromiter(keep, dtype=np.int64))
                rows = np.unique(rows[rows >= 0])
            matrix = self.matrix()[rows] if len(rows) else np.zeros((0, self.dim), np.float32)
            ids, hashes = self._ids[rows], self._hashes[rows]
            old = [self._path(k) for k in ("vectors", "ids", "hashes")]
            gen = int(self.meta["gen"]) + 1
            for kind, data in (("vectors", matrix), ("ids", ids), ("hashes", hashes)):
                path = self.folder / f"{kind}.{gen}.{self._path(kind).suffix[1:]}"
                with open(path, "wb") as f:
                    f.write(np.ascontiguousarray(data).tobytes())
                    f.flush()
                    os.fsync(f.fileno())
            self._write_meta(count=len(rows), gen=gen)
            for path in old:
                path.unlink(missing_ok=True)
            self._load()

    def build_ann(self, force: bool = False) -> int:
        """Bring the approximate index up to date (big libraries only); rows added."""
        from reader.core.related import ann

        if not ann.available() or (len(self) < ann.MIN_ROWS and not force):
            return 0
        with self._lock:
            matrix, gen = self.matrix(), int(self.meta["gen"])
            index = self.ann if self.ann is not None else ann.AnnIndex(self.folder)
        added = index.catch_up(matrix, gen)
        self.ann = index
        return added

    @property
    def dead_rows(self) -> int:
        return self.rows - len(self._row)

    # -- reading --------------------------------------------------------------------------------

    def matrix(self) -> np.ndarray:
        """All committed rows (count x dim), memory-mapped read-only."""
        with self._lock:
            if self._matrix is None or self._matrix.shape[0] != self.rows:
                if not self.rows:
                    self._matrix = np.zeros((0, self.dim), np.float32)
                else:
                    self._matrix = np.memmap(
                        self._path("vectors"), np.float32, "r", shape=(self.rows, self.dim)
                    )
            return self._matrix

    def centre(self) -> np.ndarray | None:
        """The mean of the stored rows (None below ``CENTRE_MIN``), kept as a running sum:
        rows are append-only within a generation, so only new rows are read. Dead rows
        (older vectors of re-embedded papers, until ``compact``) count too: they are close to
        their papers' current ones."""
        with self._lock:
            gen, rows = int(self.meta["gen"]), self.rows
            if rows < CENTRE_MIN:
                return None
            if self._sum is None or self._sum[0] != gen or self._sum[1] > rows:
                self._sum = (gen, 0, np.zeros(self.dim, np.float64))
            _, counted, total = self._sum
            matrix = self.matrix()
            for start in range(counted, rows, SCAN_CHUNK):
                total = total + matrix[start : start + SCAN_CHUNK].sum(axis=0, dtype=np.float64)
            self._sum = (gen, rows, total)
            return (total / rows).astype(np.float32)

    def vector(self, paper_id: int) -> np.ndarray | None:
        row = self._row.get(paper_id)
        return None if row is None else np.array(self.matrix()[row])

    def knn(
        self,
        query: np.ndarray,
        k: int,
        exclude: Iterable[int] = (),
        allowed: Collection[int] | None = None,
    ) -> list[tuple[int, float]]:
        """Cosine nearest neighbours (rows are unit vectors): [(paper id, cosine)].

        Exact (one matrix-vector product) unless an approximate index covers the rows; then
        its candidates plus the rows after it are re-scored exactly. ``allowed`` keeps only
        those papers: a small set (under a quarter of the rows) is scanned exactly, a big one
        filters a proportionally deeper search.
        """
        with self._lock:
            matrix, ids, live_rows = self.matrix(), self._ids, self._row
            dead, ann, gen = self.dead_rows, self.ann, int(self.meta["gen"])
        if not len(matrix):
            return []
        query = np.asarray(query, dtype=np.float32)
        excluded = set(exclude)
        depth = k + len(excluded)
        if allowed is not None:
            wanted = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
            if excluded:
                wanted = wanted[~np.isin(wanted, np.fromiter(excluded, dtype=np.int64))]
            rows = live_rows.rows(wanted)
            rows = rows[rows >= 0]
            if len(rows) * 4 <= len(matrix):
                return self._scan(matrix, ids, np.sort(rows), query, k)
            depth = depth * len(matrix) // max(len(rows), 1) + 1
        if ann is not None and ann.gen == gen and ann.rows:
            rows = np.concatenate(
                [ann.search(query, 4 * depth + 40), np.arange(ann.rows, len(matrix))]
            )
            rows = np.unique(rows[rows < len(matrix)])
            row_scores = np.asarray(matrix[rows]) @ query
            order = np.argsort(-row_scores)
            top, scores = rows[order], row_scores[order]
        else:
            all_scores = matrix @ query
            want = min(len(all_scores), depth + dead)
            top = (
                np.argpartition(-all_scores, want - 1)[:want]
                if want < len(all_scores)
                else np.arange(len(all_scores))
            )
            top = top[np.argsort(-all_scores[top])]
            scores = all_scores[top]
        current = live_rows.rows(ids[top]) == top  # not an older vector of an edited paper
        out: list[tuple[int, float]] = []
        for row, score in zip(top[current].tolist(), scores[current].tolist(), strict=True):
            paper_id = int(ids[row])
            if paper_id in excluded:
                continue
            if allowed is not None and paper_id not in allowed:
                continue
            out.append((paper_id, float(score)))
            if len(out) >= k:
                break
        return out

    @staticmethod
    def _scan(
        matrix: np.ndarray, ids: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int
    ) -> list[tuple[int, float]]:
        """Exact top ``k`` among the given (live) rows, read in chunks."""
        best_rows, best_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        for lo in range(0, len(rows), SCAN_CHUNK):
            chunk = rows[lo : lo + SCAN_CHUNK]
            best_rows = np.concatenate([best_rows, chunk])
            best_scores = np.concatenate([best_scores, np.asarray(matrix[chunk]) @ query])
            if len(best_rows) > k:
                keep = np.argpartition(-best_scores, k - 1)[:k]
                best_rows, best_scores = best_rows[keep], best_scores[keep]
        order = np.argsort(-best_scores)
        return [
            (int(ids[r]), float(s))
            for r, s in zip(best_rows[order].tolist(), best_scores[order].tolist(), strict=True)
        ]

    def rows_of(self, paper_ids: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """The given papers that have a vector, and their vectors (in that order)."""
        rows = self._row.rows(np.fromiter(paper_ids, dtype=np.int64, count=len(paper_ids)))
        found = rows >= 0
        have = [i for i, f in zip(paper_ids, found.tolist(), strict=True) if f]
        if not have:
            return [], np.zeros((0, self.dim), np.float32)
        return have, np.asarray(self.matrix()[rows[found]])

    def cosines(self, query: np.ndarray, paper_ids: Iterable[int]) -> dict[int, float]:
        """Cosine of ``query`` to each given paper that has a vector."""
        ids = np.fromiter(paper_ids, dtype=np.int64)
        rows = self._row.rows(ids)
        found = rows >= 0
        if not found.any():
            return {}
        scores = self.matrix()[rows[found]] @ np.asarray(query, dtype=np.float32)
        return dict(zip(ids[found].tolist(), scores.tolist(), strict=True))
