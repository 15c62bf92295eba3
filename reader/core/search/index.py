"""The Whoosh index: schema, catching up with the store, and top-N searching.

The index stores only ids; SQLite holds the text (a PDF's extracted text too, the body
field, read paper by paper as it is indexed so a chunk never holds thousands of them). A
marker document, written in the same atomic commit as each batch, records how far the index
has caught up (the store's change counter and the highest paper id ever added), so after a
crash the index is never believed to be further along than it is.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import Index, LockError
from whoosh.query import Query
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from reader.core.search import whoosh_compat as compat
from reader.core.search.analysis import name_analyzer, text_analyzer
from reader.core.search.codec import ArrayCodec, written_here
from reader.core.search.query import LESSER_FIELDS
from reader.core.search.storage import MappedStorage
from reader.core.search.vectorized import SegmentCache, top_documents

if TYPE_CHECKING:
    from reader.core.search.parallel import SegmentBuilders

MARKER_ID = "__marker__"
# Papers per index commit during catch-up. Each commit is a segment, and every query pays
# per segment (~0.5 ms a term at 100k), so fewer is faster: 10k-paper commits halved the
# segments of 5k ones. The writer's pool must hold a whole chunk or it spills sorted runs
# to disk and merges them: 100k papers indexed in 345 s with 256 MB, 272 s with 512 MB
# (peak RSS 592 MB, in the import's child process when the window imports).
CHUNK = 10_000
# Papers per segment a worker process builds (parallel.py) when the backlog is larger than
# a chunk: the worker holds its chunk's postings, ~60 bytes each, ~0.4 GB for 25k papers.
WORKER_CHUNK = 25_000
CANCEL_EVERY = 200  # rows indexed between two looks at a catch-up's cancel flag
WRITER_MB = 512
TAG_SEPARATOR = "\x1f"

ProgressCallback = Callable[[int, int], None]  # (done, total)
BodyOf = Callable[[int], str]  # a paper id -> its PDF's extracted text ("" if none)


class IndexBusy(Exception):
    """Another process holds the index's write lock; the index will catch up later."""


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        rev=STORED,
        max_id=STORED,
        title=TEXT(analyzer=text_analyzer(), field_boost=3.0),
        abstract=TEXT(analyzer=text_analyzer()),
        authors=TEXT(analyzer=name_analyzer(), field_boost=1.5),
        tags=KEYWORD(commas=True, lowercase=True, scorable=True),
        notes=TEXT(analyzer=text_analyzer()),
        body=TEXT(analyzer=text_analyzer()),  # a PDF's text (query.LESSER_FIELDS)
        cat=KEYWORD(lowercase=True),
        arxiv=ID(),
        year=NUMERIC(int),
        **{"is": KEYWORD(lowercase=True)},
    )


def schema_signature(schema: Schema) -> tuple[tuple[str, str, float], ...]:
    """What an index's schema must match for this version to search it: field names,
    types and boosts (an index with other fields is rebuilt, as for another codec)."""
    return tuple(
        (name, type(field).__name__, float(getattr(field, "field_boost", 1.0)))
        for name, field in sorted(schema.items())
    )


@dataclass
class Marker:
    rev: int = 0  # every store change up to this counter is in the index
    max_id: int = 0  # papers above this id were never added (add, not update)


def document(row: sqlite3.Row, body: str = "") -> dict[str, object]:
    """The index document for one ``papers`` row (with ``tag_names`` joined in)."""
    import json

    tags = row["tag_names"].split(TAG_SEPARATOR) if row["tag_names"] else []
    states = ["bookmarked" if row["bookmarked"] else "", "read" if row["is_read"] else "unread"]
    doc: dict[str, object] = {
        "id": str(row["id"]),
        "rev": row["rev"],
        "title": row["title"],
        "abstract": row["abstract"],
        "authors": " ; ".join(json.loads(row["authors"])),
        "tags": ",".join(tags),
        "notes": row["notes"],
        "cat": " ".join(json.loads(row["categories"])),
        "is": " ".join(s for s in states if s),
    }
    if row["arxiv_id"]:
        doc["arxiv"] = row["arxiv_id"]
    if row["year"] is not None:
        doc["year"] = row["year"]
    if body:
        doc["body"] = body
    return doc


@dataclass
class IndexHit:
    paper_id: int
    score: float
    lesser_only: bool = False  # matched only with the help of a PDF's text


class OldFormat(Exception):
    """The index was written by an earlier version's codec or schema; it is rebuilt."""


def _chunks(
    changed_since: Callable[[int, int, int, int], list[sqlite3.Row]],
    since: int,
    store_rev: int,
    sizes: Iterator[int],
) -> Iterator[tuple[list[sqlite3.Row], int]]:
    """The rows changed after ``since`` up to ``store_rev``, in chunks of the next of
    ``sizes`` rows, each with the change counter the index has reached once it holds them:
    everything below the chunk's last rev (that rev may go on in the next chunk), or
    ``store_rev`` at the end."""
    cursor = (since, 0)
    for size in sizes:
        rows = [
            r for r in changed_since(since, cursor[0], cursor[1], size) if r["rev"] <= store_rev
        ]
        if not rows:
            return
        last = len(rows) < size
        cursor = (rows[-1]["rev"], rows[-1]["id"])
        yield rows, store_rev if last else cursor[0] - 1
        if last:
            return


def _documents(
    rows: list[sqlite3.Row], body_of: BodyOf | None
) -> Iterator[tuple[sqlite3.Row, dict[str, object]]]:
    """Each row with its index document, a PDF's text read as its row comes up."""
    # (``keys()``: a Row's ``in`` looks at its values)
    bodies = body_of is not None and bool(rows) and "has_body" in rows[0].keys()  # noqa: SIM118
    for row in rows:
        body = body_of(row["id"]) if bodies and row["has_body"] else ""  # type: ignore[misc]
        yield row, document(row, body)


class SearchIndex:
    """One library's Whoosh index directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._search_lock = threading.RLock()
        self._searcher: Searcher | None = None
        self._segments: SegmentCache | None = None  # the array view of ``_searcher``
        self._marker: tuple[Searcher, Marker] | None = None  # ``marker()`` of a searcher
        path.mkdir(parents=True, exist_ok=True)
        self._storage = MappedStorage(str(path))
        try:
            if self._storage.index_exists():
                self.ix = self._storage.open_index()
                if not all(written_here(s.codec()) for s in compat.segments(self.ix)):
                    raise OldFormat(path)
                if schema_signature(self.ix.schema) != schema_signature(make_schema()):
                    raise OldFormat(path)
            else:
                self.ix = self._storage.create_index(make_schema())
        except Exception:  # a damaged or outdated index is derived data: start it again
            self.ix = self._recreate()

    def _recreate(self) -> Index:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        return self._storage.create_index(make_schema())

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
            self._segments = None

    def searcher(self) -> Searcher:
        """A searcher reused between queries, refreshed when the index has changed."""
        with self._lock:
            if self._searcher is None:
                self._searcher = self.ix.searcher()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it fails when the old reader had one segment.
                self._searcher.close()
                self._searcher = self.ix.searcher()
                self._segments = None
            return self._searcher

    def segment_cache(self) -> SegmentCache:
        """The array view of the current searcher (``vectorized.SegmentCache``)."""
        searcher = self.searcher()
        with self._lock:
            if self._segments is None or self._segments.searcher is not searcher:
                self._segments = SegmentCache(searcher, searcher.document_number(id=MARKER_ID))
            return self._segments

    # -- progress ------------------------------------------------------------------------------

    def marker(self) -> Marker:
        """How far the index has caught up, read once per searcher (every search asks, and
        the lookup walks every segment: a quarter of a rare word's query at 100k papers)."""
        searcher = self.searcher()
        cached = self._marker
        if cached is not None and cached[0] is searcher:
            return cached[1]
        fields = searcher.document(id=MARKER_ID)
        marker = Marker(fields["rev"], fields["max_id"]) if fields else Marker()
        self._marker = (searcher, marker)
        return marker

    def doc_count(self) -> int:
        return max(0, self.searcher().doc_count() - (1 if self.marker().rev else 0))

    # -- writing -------------------------------------------------------------------------------

    def catch_up(
        self,
        changed_since: Callable[[int, int, int, int], list[sqlite3.Row]],
        store_rev: int,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        timeout: float = 30.0,
        body_of: BodyOf | None = None,
        workers: int | None = None,
    ) -> int:
        """Index every paper changed after the marker, in committed chunks; return how many.

        ``changed_since(rev, after_rev, after_id, limit)`` pages through the store's
        changed rows in (rev, id) order, up to ``store_rev`` (a snapshot of the counter);
        a row whose ``has_body`` is set gets its body from ``body_of`` as it is indexed.
        A backlog of more than one chunk is indexed ``workers`` chunks at a time in worker
        processes (default: one per core), each round one commit.
        """
        # here, not at the top: multiprocessing's pool is ~4 ms of every CLI search's start
        from reader.core.search.parallel import SegmentBuilders, worker_count

        marker = self.marker()
        if marker.rev > store_rev:  # the index is ahead of the truth (a restored library)
            self.ix = self._recreate()
            marker = Marker()
        round_size = worker_count() if workers is None else workers
        done = 0
        with SegmentBuilders(str(self.path), round_size) as builders:
            # A first chunk that comes back full means a backlog: the rest go to workers.
            later = WORKER_CHUNK if round_size > 1 else CHUNK
            sizes = itertools.chain([CHUNK], itertools.repeat(later))
            chunks = _chunks(changed_since, marker.rev, store_rev, sizes)
            while not cancelled():
                round_ = list(itertools.islice(chunks, round_size))
                if not round_:
                    break
                rows = [row for chunk, _ in round_ for row in chunk]
                reached = max(round_[-1][1], marker.rev)
                # One short chunk (a few edits) is written here: no worker is started.
                if len(round_) == 1 and (round_size == 1 or (not done and len(rows) < CHUNK)):
                    written = self._write(rows, marker, reached, timeout, cancelled, body_of)
                else:
                    written = self._write_round(
                        [chunk for chunk, _ in round_],
                        marker,
                        reached,
                        timeout,
                        cancelled,
                        body_of,
                        builders,
                    )
                if written is None:
                    return done
                marker = written
                done += len(rows)
                if progress:
                    progress(done, -1)
            else:
                return done
        if marker.rev < store_rev:  # nothing (more) changed: record that we are current
            self._write([], marker, store_rev, timeout)
        return done

    def _write(
        self,
        rows: list[sqlite3.Row],
        marker: Marker,
        rev: int,
        timeout: float,
        cancelled: Callable[[], bool] = lambda: False,
        body_of: BodyOf | None = None,
    ) -> Marker | None:
        """Index rows and move the marker in one commit; None (nothing written) if cancelled,
        which is asked every ``CANCEL_EVERY`` rows, before the costly commit."""
        writer = self._locked_writer(timeout)
        try:
            max_id = marker.max_id
            for n, (row, doc) in enumerate(_documents(rows, body_of)):
                if n % CANCEL_EVERY == 0 and n and cancelled():
                    writer.cancel()
                    return None
                if row["id"] > marker.max_id:
                    writer.add_document(**doc)
                else:
                    writer.update_document(**doc)
                max_id = max(max_id, row["id"])
            new_marker = Marker(rev, max_id)
            writer.update_document(id=MARKER_ID, rev=new_marker.rev, max_id=new_marker.max_id)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(merge=False)
        return new_marker

    def _write_round(
        self,
        chunks: list[list[sqlite3.Row]],
        marker: Marker,
        rev: int,
        timeout: float,
        cancelled: Callable[[], bool],
        body_of: BodyOf | None,
        builders: SegmentBuilders,
    ) -> Marker | None:
        """Index several chunks at once, a segment each built by a worker, and move the
        marker, in one commit (None, nothing written, if cancelled). This process deletes
        the older versions of changed papers and the old marker; the new marker goes into
        the last chunk's segment."""
        writer = self._locked_writer(timeout)
        try:
            max_id = marker.max_id
            documents: list[list[dict[str, object]]] = []
            for chunk in chunks:
                documents.append([])
                for row, doc in _documents(chunk, body_of):
                    if row["id"] <= marker.max_id:
                        writer.delete_by_term("id", str(row["id"]))
                    documents[-1].append(doc)
                    max_id = max(max_id, row["id"])
            new_marker = Marker(rev, max_id)
            writer.delete_by_term("id", MARKER_ID)
            documents[-1].append({"id": MARKER_ID, "rev": rev, "max_id": max_id})
            segments = builders.build(documents, cancelled)
            if segments is None:
                writer.cancel()
                return None
            compat.commit_with(writer, segments)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        return new_marker

    def _locked_writer(self, timeout: float) -> IndexWriter:
        try:
            return self._writer(limitmb=WRITER_MB, timeout=timeout)
        except LockError:
            raise IndexBusy("the search index is being written by another process") from None

    def _writer(self, **options: object) -> IndexWriter:
        return self.ix.writer(codec=ArrayCodec(), delay=0.25, **options)

    def delete(self, ids: Iterable[int]) -> None:
        writer = self._writer(timeout=30.0)
        for paper_id in ids:
            writer.delete_by_term("id", str(paper_id))
        writer.commit(merge=False)

    def rebuild(self) -> None:
        """Forget everything; the next catch-up indexes the whole store."""
        with self._lock:
            self.ix = self._recreate()

    def indexed_revs(self) -> dict[int, int]:
        """Every indexed paper id -> the change counter it was indexed at (for ``check``)."""
        revs: dict[int, int] = {}
        for fields in self.searcher().all_stored_fields():
            if fields["id"] != MARKER_ID:
                revs[int(fields["id"])] = fields["rev"]
        return revs

    # -- searching -----------------------------------------------------------------------------

    def search(
        self, query: Query, limit: int, filter_query: Query | None = None
    ) -> tuple[list[tuple[int, float]], int]:
        """Top ``limit`` (paper id, score) pairs and an estimate of all matches."""
        hits, total = self.search_hits(query, limit, filter_query)
        return [(h.paper_id, h.score) for h in hits], total

    def search_hits(
        self, query: Query, limit: int, filter_query: Query | None = None
    ) -> tuple[list[IndexHit], int]:
        """Top ``limit`` hits, those matching only with a PDF's text after all the others,
        and an estimate of all matches."""
        with self._search_lock:  # a Whoosh searcher is not safe to share between threads
            return self._search(query, limit, filter_query)

    def key_term_neighbours(
        self,
        hashes: np.ndarray,
        weights: np.ndarray,
        limit: int,
        per_word: int | None,
    ) -> list[tuple[int, float]]:
        """(paper id, score) of the ``limit`` papers that score highest on the segments'
        key-term tables (``SegmentCache.key_term_neighbours``), best first."""
        with self._search_lock:
            cache = self.segment_cache()
            found = cache.key_term_neighbours(hashes, weights, limit, per_word)
            stored = cache.searcher.stored_fields
            return [(int(stored(docnum)["id"]), score) for docnum, score in found]

    def _search(
        self, query: Query, limit: int, filter_query: Query | None
    ) -> tuple[list[IndexHit], int]:
        searcher = self.searcher()
        # Only a NOT could match the marker (it has no text): both paths leave it out.
        scored, total = top_documents(
            self.segment_cache(), query, limit, filter_query, LESSER_FIELDS
        )
        stored = searcher.stored_fields
        hits = [IndexHit(int(stored(d)["id"]), score, lesser) for d, score, lesser in scored]
        return hits, max(len(hits), total)
