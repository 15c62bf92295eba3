"""Index segments built in worker processes, one chunk of documents each.

Analysing text and writing postings is pure Python and holds the GIL: one process indexed
~500 papers/s, so a million papers took over half an hour on one core while the others
idled. Here each chunk becomes a whole segment in a worker process (spawned, not forked: the
caller may run threads, and a frozen app can spawn itself); the process that holds the
index's lock adds the finished segments to the table of contents in one commit, so a reader
never sees a half-written chunk, and a worker killed mid-way leaves only unlisted files that
the next commit clears away.
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from whoosh.writing import PostingPool

from reader.core.search import whoosh_compat as compat
from reader.core.search.codec import ArrayCodec
from reader.core.search.storage import MappedStorage

MAX_WORKERS = 4  # each holds a chunk's postings in memory (see index.WORKER_CHUNK)
POLL_S = 0.2  # how often a wait for workers looks at the cancel flag

Document = dict[str, object]


def worker_count() -> int:
    """How many segments to build at once: one per core, within ``MAX_WORKERS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, cores or 1))


class TermPool(PostingPool):
    """A segment's postings gathered per term, in arrays, in memory.

    Whoosh's pool keeps a tuple per posting (about 200 bytes with its int, float and
    bytes) and sorts them all at the end, spilling sorted runs to disk past its memory
    limit. Documents arrive in number order, so each term's postings already are in order:
    here they are appended to the term's arrays (about 60 bytes a posting) and only the
    terms are sorted. Memory is bounded by the chunk a worker is given, not by a limit."""

    def __init__(self, pool: PostingPool) -> None:
        super().__init__(pool.tempstore, pool.segment)
        self._terms: dict[tuple[str, bytes], tuple[array[int], array[float], list[Any]]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, text, docnum, weight, value = item
        postings = self._terms.get((fieldname, text))
        if postings is None:
            postings = self._terms[fieldname, text] = (array("Q"), array("d"), [])
            self.fieldnames.add(fieldname)
        postings[0].append(docnum)
        postings[1].append(weight)
        postings[2].append(value)

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        terms = self._terms
        for key in sorted(terms):
            fieldname, text = key
            docnums, weights, values = terms.pop(key)
            for docnum, weight, value in zip(docnums, weights, values, strict=True):
                yield fieldname, text, docnum, weight, value


def build_segment(index_path: str, documents: Sequence[Document]) -> Any:
    """(In a worker.) One new, uncommitted segment of the index at ``index_path`` holding
    ``documents``."""
    ix = MappedStorage(index_path).open_index()
    writer = compat.lockless_writer(ix, codec=ArrayCodec())
    writer.pool = TermPool(writer.pool)
    try:
        for document in documents:
            writer.add_document(**document)
        return compat.finish_segment(writer)
    except BaseException:
        writer.cancel()
        raise


class SegmentBuilders:
    """A pool of worker processes building segments; ``close`` (or ``with``) ends them."""

    def __init__(self, index_path: str, workers: int) -> None:
        self.index_path = index_path
        self.workers = workers
        self._pool: Pool | None = None

    def __enter__(self) -> SegmentBuilders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(
        self, chunks: Sequence[Sequence[Document]], cancelled: Callable[[], bool]
    ) -> list[Any] | None:
        """A segment for each chunk, built side by side; None if cancelled meanwhile (the
        workers are stopped at once: their files are never listed)."""
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
        waiting: list[AsyncResult[Any]] = [
            self._pool.apply_async(build_segment, (self.index_path, chunk)) for chunk in chunks
        ]
        for result in waiting:
            while not result.ready():
                if cancelled():
                    self.close(terminate=True)
                    return None
                result.wait(POLL_S)
        return [result.get() for result in waiting]

    def close(self, terminate: bool = False) -> None:
        if self._pool is not None:
            if terminate:
                self._pool.terminate()
            else:
                self._pool.close()
            self._pool.join()
            self._pool = None
