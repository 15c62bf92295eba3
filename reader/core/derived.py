"""The data derived from the store (the search index, the vectors, the PDF cache's record) and
its upkeep: opened on first use, caught up after writes, checked against the store, repaired.

The store is never changed here: everything this module holds can be rebuilt from it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.locks import LockTimeout, file_lock
from reader.core.reports import Cancelled, CheckReport
from reader.core.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from reader.core.pdfs import PdfCache
    from reader.core.related.service import RelatedPapers
    from reader.core.search.index import SearchIndex
    from reader.core.search.query import QueryParser

INDEX_LOCK = "index.lock"  # beside the index: one process writes the index at a time
IMPORTS_LOCK = "imports.lock"  # held shared by every running import, in any process
INDEX_LOCK_TIMEOUT = 30.0  # a write waits this long for another process's index update
FALLBACK_BEHIND = 200  # more papers than this unindexed: search falls back to simple matches


class DerivedData:
    """One library's derived data, for the facade and the modules it delegates to."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        self._index: SearchIndex | None = None
        self._parser: QueryParser | None = None
        self._related: RelatedPapers | None = None
        self._index_lock = threading.RLock()
        self._index_lock_depth = 0
        self.index_deferred = False  # a write's catch-up waited too long; done later
        # Papers a write may index in this process; more are left behind (index_deferred) for
        # catch_up_derived's repair. The window sets it: marking 100k papers read indexed
        # them in its process for two minutes. None: always (the CLI has no window to keep).
        self.follow_limit: int | None = None
        self.index_error: str | None = None  # the index could not be read (being rebuilt)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._related is not None:
            self._related.terms.close()

    # -- the parts, opened on first use ----------------------------------------------------------

    @property
    def index(self) -> SearchIndex:
        """The Whoosh index, opened on first use (the CLI's ``show`` never loads Whoosh)."""
        if self._index is None:
            from reader.core.search.index import SearchIndex

            self._index = SearchIndex(self.folder / "index")
        return self._index

    @property
    def parser(self) -> QueryParser:
        if self._parser is None:
            from reader.core.search.query import QueryParser

            self._parser = QueryParser(self.index.ix.schema)
        return self._parser

    @property
    def related_papers(self) -> RelatedPapers:
        """The embedding model and the vector store (``vectors/``), opened on first use."""
        if self._related is None:
            from reader.core.related.service import RelatedPapers

            self._related = RelatedPapers(self.folder, self.store)
        return self._related

    @property
    def pdfs(self) -> PdfCache:
        """The offline PDF cache (``pdfs/``)."""
        from reader.core.pdfs import PdfCache

        return PdfCache(self.folder, self.store)

    def vector_count(self) -> int:
        """Papers with a vector of the current model: what meaning search and dense related
        papers can use (0 before the first ``embed`` or after a model change)."""
        related = self.related_papers
        return len(related.vectors) if related.vectors.model == related.model_name() else 0

    def reload_vectors(self, embedding: bool = False) -> None:
        """Re-read the vectors from disk after another process (``paper-reader embed``) added
        some; ``embedding``: while that process still runs (only its committed rows are
        read, and nothing is cut or repaired)."""
        if self._related is not None:
            from reader.core.related.vectors import VectorStore

            self._related.vectors = VectorStore(self.folder / "vectors", repair=not embedding)

    # -- keeping the index up with the store -----------------------------------------------------

    def import_running(self) -> bool:
        """Whether an import into this library runs in any process (it holds the imports
        lock; it will also index what it stores)."""
        try:
            with file_lock(self.folder / IMPORTS_LOCK, timeout=0):
                return False
        except LockTimeout:
            return True

    def close_interrupted_batches(self) -> None:
        """Mark the import batches of imports that died (killed, crashed) as interrupted:
        their rows still say "running", yet no import holds the imports lock."""
        if not self.store.query("SELECT 1 FROM batches WHERE status = 'running' LIMIT 1"):
            return  # the usual case: no lock to take (a command that only reads takes none)
        try:
            with file_lock(self.folder / IMPORTS_LOCK, timeout=0):
                self.store.mark_interrupted_batches()
        except (LockTimeout, OSError, sqlite3.OperationalError):
            pass  # an import is running somewhere, or the library is read-only

    @contextmanager
    def writing_index(self) -> Iterator[None]:
        """Index writes one at a time: across threads, and across processes through a lock
        file held for a whole catch-up. Whoosh's own lock covers one commit only: two
        processes catching up at once both added the same new paper (duplicate hits), and a
        progress marker read mid-way could look ahead of the store and get the index wiped."""
        with self._index_lock:
            if self._index_lock_depth:
                self._index_lock_depth += 1
                try:
                    yield
                finally:
                    self._index_lock_depth -= 1
                return
            from reader.core.search.index import IndexBusy

            try:
                with file_lock(self.folder / INDEX_LOCK, INDEX_LOCK_TIMEOUT):
                    self._index_lock_depth = 1
                    try:
                        yield
                    finally:
                        self._index_lock_depth = 0
            except LockTimeout:
                raise IndexBusy("the search index is being updated by another process") from None

    def catch_up_index(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> int:
        """Index every paper changed since the index last caught up; return how many.

        Raises ``IndexBusy`` when another process kept the index for longer than
        ``INDEX_LOCK_TIMEOUT``; the store is unaffected and a later catch-up finishes the job.
        """
        with self.writing_index():
            done = self.index.catch_up(
                self._changed_rows,
                self.store.rev(),
                progress=progress,
                cancelled=cancelled,
                body_of=self.body_of,
            )
        self.index_deferred = False
        return done

    def follow(self) -> None:
        """After a store write (a tag, a bookmark, notes): catch the index up, unless an import
        runs in another process: it indexes everything it stored, this write included, at its
        end (catching up here would index its papers in this process, the window's); or
        unless more papers changed than ``follow_limit``."""
        limit = self.follow_limit
        if self.import_running():
            self.index_deferred = True
        elif limit is not None and (self.index_lag(limit + 1) or 0) > limit:
            self.index_deferred = True  # many papers: the window repairs in a child process
        else:
            self.index_changes()

    def index_changes(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> None:
        """Catch the index up, or leave it for later if it is busy."""
        from reader.core.search.index import IndexBusy

        try:
            self.catch_up_index(progress, cancelled)
        except IndexBusy:
            self.index_deferred = True

    def forget(self, ids: Iterable[int]) -> None:
        """Papers merged into others (their rows are gone) leave the index, now or, if it is
        busy, at the next repair."""
        from reader.core.search.index import IndexBusy

        try:
            with self.writing_index():
                self.index.delete(list(ids))
        except IndexBusy:
            self.index_deferred = True  # `check --repair` drops them later

    def _changed_rows(self, since: int, after_rev: int, after_id: int, limit: int) -> list:
        # From an empty index (since 0), papers stamped 0 count too: rows written by hand or
        # by a tool that never bumped the counter would otherwise never be indexed.
        return self.store.query(
            "SELECT p.*, (SELECT group_concat(t.name, char(31)) FROM paper_tags pt"
            " JOIN tags t ON t.id = pt.tag_id WHERE pt.paper_id = p.id) AS tag_names,"
            " EXISTS (SELECT 1 FROM fulltext f WHERE f.paper_id = p.id) AS has_body"
            " FROM papers p WHERE p.rev > ? AND (p.rev, p.id) > (?, ?)"
            " ORDER BY p.rev, p.id LIMIT ?",
            (since if since else -1, after_rev, after_id, limit),
        )

    def body_of(self, paper_id: int) -> str:
        """A paper's PDF text for the index, read as it is indexed (a chunk of 10k rows
        holding their bodies could need gigabytes)."""
        return self.store.fulltext([paper_id]).get(paper_id, "")

    def reindex(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> int:
        """Rebuild the index from the store (a cancelled rebuild is finished by any later
        catch-up: the index then knows it is behind)."""
        with self.writing_index():
            self.index.rebuild()
            return self.catch_up_index(progress=progress, cancelled=cancelled)

    # -- drift: found and repaired ---------------------------------------------------------------

    def check(self) -> CheckReport:
        """Compare the index with the store, paper by paper (a damaged index is reported)."""
        store_revs = {r[0]: r[1] for r in self.store.query("SELECT id, rev FROM papers")}
        try:
            marker = self.index.marker()
            indexed = self.index.indexed_revs()
        except Exception as e:  # unreadable index files: derived data, to be rebuilt
            self.index_error = f"{type(e).__name__}: {e}"
            report = CheckReport(len(store_revs), 0, 0, sorted(store_revs), [], [])
            report.index_damaged = True
        else:
            behind = sum(1 for rev in store_revs.values() if rev > marker.rev)
            missing = [i for i, rev in store_revs.items() if i not in indexed and rev <= marker.rev]
            stale = [
                i
                for i, rev in store_revs.items()
                if i in indexed and indexed[i] < rev <= marker.rev
            ]
            extra = [i for i in indexed if i not in store_revs]
            report = CheckReport(len(store_revs), len(indexed), behind, missing, stale, extra)
        vectors = self.related_papers.check()
        report.vectors = vectors.vectors
        report.vectors_missing = vectors.missing
        report.vectors_stale = vectors.stale
        report.vectors_model = vectors.model
        report.vectors_damaged = vectors.damaged
        pdfs = self.pdfs.check()
        report.pdfs, report.pdfs_missing, report.pdf_strays = (
            pdfs.files,
            pdfs.missing,
            pdfs.strays,
        )
        return report

    def repair(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> CheckReport:
        """Make the derived data agree with the store (the store is never changed)."""
        report = self.check()
        # Cut-short vector files were trimmed to their whole rows when opened; the papers
        # that lost their vector show up as missing, for `embed` (slow: not done here).
        self.related_papers.vectors.damaged = False
        if report.pdfs_missing or report.pdf_strays:
            self.pdfs.repair()
        if report.index_damaged or self.index_error or report.missing or report.stale:
            self.reindex(progress, cancelled)
        else:
            with self.writing_index():
                if report.extra:
                    self.index.delete(report.extra)
                self.catch_up_index(progress, cancelled)
        self.index_error = None
        return self.check()

    def index_status(self) -> str:
        """ "ready", or "rebuilding" while the index is far behind the store or unreadable."""
        lag = self.index_lag(FALLBACK_BEHIND + 1)
        return "rebuilding" if lag is None or lag > FALLBACK_BEHIND else "ready"

    def index_lag(self, cap: int) -> int | None:
        """How many papers changed since the index last caught up, counted up to ``cap``; None
        when it needs a rebuild: unreadable, or it never caught up (new, deleted, or recreated
        after damage) while the store holds papers."""
        if self.index_error:
            return None
        try:
            marker = self.index.marker().rev
        except Exception as e:
            self.index_error = f"{type(e).__name__}: {e}"
            return None
        behind = self.store.query(
            "SELECT count(*) FROM (SELECT 1 FROM papers WHERE rev > ? LIMIT ?)",
            (marker if marker else -1, cap),
        )[0][0]
        return None if marker == 0 and behind else behind

    def catch_up_derived(self, cancelled: Cancelled = lambda: False) -> bool:
        """The window's background job at start, after changes made elsewhere and after a
        search fell back: catch the index up when it is a little behind. Returns True when it
        needs a repair instead (unreadable, or far behind: a cancelled import, a new index
        format), which the window runs in a child process (``check --repair``): thousands of
        papers of Whoosh indexing would hold the GIL in the window's process for minutes.

        Nothing while an import runs in any process: it indexes all it stores. ``cancelled``
        is asked as the index is written (the window's: has an import started since?). Cut-short
        vectors are the embedding job's: their lost rows count as missing vectors."""
        status = self.index_status()
        if self.import_running():  # after the status: an import's papers put it far behind
            return False
        if status == "rebuilding":
            return True
        self.catch_up_index(cancelled=cancelled)
        return False
