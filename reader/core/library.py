"""The Library facade: the one door the CLI and the GUI use into a library folder."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.core.backup import DB_NAME, BackupPolicy, RestoreReport
from reader.core.identity import title_key
from reader.core.importing import ImportCounts, import_file
from reader.core.locks import LOCKS_WORK, LockTimeout, file_lock
from reader.core.model import Paper, ParsedRecord, RecordError, SourcePosition
from reader.core.storage_errors import STORAGE_ERRORS, LibraryUnavailable, storage_problem
from reader.core.store import PaperNotFound, Store
from reader.core.vetting import MAX_NOTES
from reader.core.views import View, Views

if TYPE_CHECKING:
    from reader.core.importers import ImportOptions
    from reader.core.online.enrich import EnrichReport
    from reader.core.online.fetch import FetchReport
    from reader.core.pdfs import OfflineReport, PdfCache, PdfInfo
    from reader.core.related.explain import Reason
    from reader.core.related.service import RelatedPapers
    from reader.core.search.index import SearchIndex
    from reader.core.search.query import ParsedQuery, QueryParser
    from reader.core.sync.credentials import Secret
    from reader.core.sync.engine import SyncReport

__all__ = [
    "CheckReport",
    "ImportReport",
    "Library",
    "LibraryUnavailable",
    "PaperNotFound",
    "SearchResults",
]

MAX_TAG_DEPTH = 10  # levels of a hierarchical tag ("ml/nlp/parsing" has 3)
MAX_TAG_LENGTH = 200
RESCUE_BELOW = 3  # a plain-word query with fewer hits than this gets typo correction
INDEX_LOCK = "index.lock"  # beside the index: one process writes the index at a time
IMPORTS_LOCK = "imports.lock"  # held shared by every running import, in any process
INDEX_LOCK_TIMEOUT = 30.0  # a write waits this long for another process's index update
IMPORTS_LOCK_TIMEOUT = 10.0  # only a library being opened takes it exclusively, briefly
SYNC_LOCK = "sync.lock"  # one sync of a library at a time (a window's timer and the CLI)
SYNC_LOCK_TIMEOUT = 120.0
SYNC_REMOTE = "sync_remote"  # meta: where this library syncs (no credentials in it)
FALLBACK_BEHIND = 200  # more papers than this unindexed: search falls back to simple matches
FALLBACK_NOTE = "index rebuilding — showing simple matches"
FALLBACK_SCAN_ABSTRACTS = 50_000  # up to this many papers, simple matches look in abstracts
_SYNTAX_WORDS = {"and", "or", "not"}


@dataclass
class ImportProgress:
    file: str
    file_number: int  # 1-based
    file_count: int
    records: int  # read from this file so far
    added: int  # over the whole import so far
    stage: str = "storing"  # "storing" or "indexing"


@dataclass
class ImportReport(ImportCounts):
    failed_files: list[str] = field(default_factory=list)  # files nothing could be read from
    cancelled: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [e.as_dict() for e in self.errors],
            "failed_files": self.failed_files,
            "cancelled": self.cancelled,
        }


@dataclass
class SearchHit:
    paper: Paper
    score: float
    snippet: str  # marked with highlight.START / END
    in_fulltext: bool = False  # matched only with the PDF's text (the snippet comes from it)
    by_meaning: bool = False  # auto search: found by meaning search, not by the query's words


@dataclass
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int  # estimated number of matches
    corrected: str | None = None  # "showing results for …" after a typo rescue
    degraded: bool = False  # the query's syntax was malformed; searched as words
    terms: frozenset[str] = frozenset()  # matched terms, for highlighting elsewhere
    fallback: bool = False  # the index is rebuilding: simple title matches (FALLBACK_NOTE)
    body_terms: frozenset[str] = frozenset()  # matched terms in PDF text (``in_fulltext`` hits)
    shortened: str = ""  # the query was too long: what was searched ("searched the first …")
    joined: bool = False  # auto search: any-word and meaning search joined the keyword search
    no_vectors: bool = False  # meaning search was wanted but no paper has a vector yet


@dataclass
class CheckReport:
    papers: int
    indexed: int
    behind: int  # changed papers the index has not caught up with yet
    missing: list[int]  # in the store, not in the index
    stale: list[int]  # indexed at an older change than the store's
    extra: list[int]  # in the index, not in the store
    # the vectors (derived like the index, but made by `embed`, so not part of `consistent`)
    vectors: int = 0  # papers with a current vector
    vectors_missing: list[int] = field(default_factory=list)  # no vector (or another model's)
    vectors_stale: list[int] = field(default_factory=list)  # made from an older title/abstract
    vectors_model: str = ""
    index_damaged: bool = False  # the index files could not be read
    vectors_damaged: bool = False  # the vector files are shorter than their record says
    # the offline PDF cache (``pdfs``): rows whose file is gone or changed, unrecorded files
    pdfs: int = 0
    pdfs_missing: list[int] = field(default_factory=list)
    pdf_strays: list[str] = field(default_factory=list)

    @property
    def related_ready(self) -> bool:
        return not (self.vectors_missing or self.vectors_stale)

    @property
    def consistent(self) -> bool:
        index_ok = not (
            self.behind or self.missing or self.stale or self.extra or self.index_damaged
        )
        return index_ok and not (self.pdfs_missing or self.pdf_strays)

    def as_dict(self) -> dict[str, object]:
        return {
            "consistent": self.consistent,
            "papers": self.papers,
            "indexed": self.indexed,
            "behind": self.behind,
            "missing": self.missing[:100],
            "stale": self.stale[:100],
            "extra": self.extra[:100],
            "vectors": self.vectors,
            "vectors_model": self.vectors_model,
            "vectors_missing": self.vectors_missing[:100],
            "vectors_stale": self.vectors_stale[:100],
            "related_ready": self.related_ready,
            "index_damaged": self.index_damaged,
            "vectors_damaged": self.vectors_damaged,
            "pdfs": self.pdfs,
            "pdfs_missing": self.pdfs_missing[:100],
            "pdf_strays": self.pdf_strays[:100],
        }


Cancelled = Callable[[], bool]


class Library:
    """A library folder: ``library.sqlite`` (the truth) plus the derived search index."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.store = Store(folder / DB_NAME, before_migration=self._backup_before_migration)
        except (OSError, sqlite3.DatabaseError) as e:
            if isinstance(e, sqlite3.DatabaseError) and not any(
                sign in str(e) for sign in STORAGE_ERRORS
            ):
                raise  # a damaged file or a failed migration, not the folder or the disk
            raise LibraryUnavailable(folder, storage_problem(folder, e)) from e
        self._sync_secrets: dict[Secret, str] = {}  # WebDAV password, passphrase
        self._index: SearchIndex | None = None
        self._parser: QueryParser | None = None
        self._index_lock = threading.RLock()
        self._index_lock_depth = 0
        self.index_deferred = False  # a write's catch-up waited too long; done later
        # Papers a write may index in this process; more are left behind (index_deferred) for
        # catch_up_derived's repair. The window sets it: marking 100k papers read indexed
        # them in its process for two minutes. None: always (the CLI has no window to keep).
        self.follow_limit: int | None = None
        self.index_error: str | None = None  # the index could not be read (being rebuilt)
        self._related: RelatedPapers | None = None
        self._close_interrupted_batches()

    def import_running(self) -> bool:
        """Whether an import into this library runs in any process (it holds the imports
        lock; it will also index what it stores)."""
        if not LOCKS_WORK:
            return False
        try:
            with file_lock(self.folder / IMPORTS_LOCK, timeout=0):
                return False
        except LockTimeout:
            return True

    def _close_interrupted_batches(self) -> None:
        """Mark the import batches of imports that died (killed, crashed) as interrupted:
        their rows still say "running", yet no import holds the imports lock."""
        if not LOCKS_WORK:  # no way to tell a dead import from one in another process
            return
        try:
            with file_lock(self.folder / IMPORTS_LOCK, timeout=0):
                self.store.mark_interrupted_batches()
        except (LockTimeout, OSError, sqlite3.OperationalError):
            pass  # an import is running somewhere, or the library is read-only

    @classmethod
    def open(cls, folder: Path | None = None) -> Library:
        from reader.core.paths import default_library_dir

        return cls(folder or default_library_dir())

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._related is not None:
            self._related.terms.close()
        self.store.close()

    def _backup_before_migration(self, conn: sqlite3.Connection, old_version: int) -> None:
        from reader.core.backup import take_backup

        take_backup(self.folder / DB_NAME, f"pre-migration-v{old_version}", source=conn)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # -- importing -------------------------------------------------------------------------------

    def import_files(
        self,
        paths: Sequence[Path],
        fmt: str | None = None,
        year: int | None = None,
        progress: Callable[[ImportProgress], None] | None = None,
        cancelled: Cancelled = lambda: False,
        index: bool = True,
        names: Sequence[str] | None = None,
        report: ImportReport | None = None,
    ) -> ImportReport:
        """Import files into the store in batches; then bring the index up to date.

        ``names`` say where each file came from when its path is only a temporary copy (a
        fetched response: its URL), for the import record and error messages; ``report``
        accumulates several calls (a fetch imports response after response)."""
        from reader.core.importers import ImportOptions

        report = report if report is not None else ImportReport()
        # Shared: imports may run side by side; a library opened meanwhile sees them running,
        # indexing included, and leaves the indexing of its own writes to them.
        with file_lock(self.folder / IMPORTS_LOCK, IMPORTS_LOCK_TIMEOUT, shared=True):
            self._import_paths(
                paths, fmt, ImportOptions(year=year), report, progress, cancelled, names
            )
            if index and not report.cancelled:
                self._index_changes(
                    progress=(
                        lambda done, _total: progress(
                            ImportProgress(
                                "", len(paths), len(paths), done, report.added, "indexing"
                            )
                        )
                    )
                    if progress
                    else None,
                    cancelled=cancelled,
                )
        return report

    def _import_paths(
        self,
        paths: Sequence[Path],
        fmt: str | None,
        options: ImportOptions,
        report: ImportReport,
        progress: Callable[[ImportProgress], None] | None,
        cancelled: Cancelled,
        names: Sequence[str] | None = None,
    ) -> None:
        from reader.core.importers import UnknownFormat, detect_format, importer_for

        for number, path in enumerate(paths, 1):
            if cancelled():
                report.cancelled = True
                break
            name = names[number - 1] if names else str(path)
            try:
                file_format = fmt or detect_format(path)
                importer = importer_for(file_format)
            except UnknownFormat as e:
                report.errors.append(RecordError(str(e), SourcePosition(name), fatal=True))
                report.failed_files.append(name)
                continue

            def tick(records: int, added: int, name: str = name, number: int = number) -> None:
                if progress:
                    progress(
                        ImportProgress(name, number, len(paths), records, report.added + added)
                    )

            results = importer.parse(path, options)
            if names:
                results = (_renamed(r, str(path), name) for r in results)
            self._import_one(name, file_format, results, report, tick, cancelled)

    def _import_one(
        self,
        name: str,
        file_format: str,
        results: Iterable[ParsedRecord | RecordError],
        report: ImportReport,
        tick: Callable[[int, int], None],
        cancelled: Cancelled,
    ) -> None:
        outcome = import_file(self.store, name, file_format, results, tick, cancelled)
        if outcome.cancelled:
            report.cancelled = True
        elif outcome.fatal and not outcome.read:
            report.failed_files.append(name)
        report.count(outcome)

    def finish_import(self, report: ImportReport, cancelled: Cancelled = lambda: False) -> None:
        """After ``import_files(..., index=False)`` calls (a fetch's responses): index what
        they stored, once."""
        if not report.cancelled:
            self._index_changes(cancelled=cancelled)

    # -- fetching (only when the user asks: nothing else here touches the network) -------------

    def fetch_hf(self, first: date, last: date, **run: Any) -> FetchReport:
        """The Daily Papers of each day from ``first`` to ``last``; ``run``: progress,
        cancelled (as for every fetch)."""
        from reader.core.online.fetch import day_range, fetch_hf_days

        return fetch_hf_days(self, day_range(first, last), **run)

    def fetch_arxiv(self, query: str, limit: int, **run: Any) -> FetchReport:
        """The newest ``limit`` papers of an arXiv API query (``cat:cs.CL`` for a category)."""
        from reader.core.online.fetch import fetch_arxiv_query

        return fetch_arxiv_query(self, query, limit, **run)

    def harvest_oai(
        self, set_spec: str, from_date: date | None, until_date: date | None, **run: Any
    ) -> FetchReport:
        """An OAI-PMH harvest of one arXiv set, resumable (``online.fetch.harvest_oai``)."""
        from reader.core.online.fetch import harvest_oai

        return harvest_oai(self, set_spec, from_date, until_date, **run)

    def enrich(
        self,
        ids: Sequence[int] | None = None,
        progress: Callable[[int, int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> EnrichReport:
        """Look papers up on arXiv by title and fill their arXiv id, authors, dates,
        categories and links (``online.enrich``); None: every paper without an arXiv id or
        authors. A paper that turns out to be another one merges into it."""
        from reader.core.online.enrich import enrich_papers, needing_enrichment

        todo = needing_enrichment(self) if ids is None else list(ids)
        report = enrich_papers(self, todo, progress, cancelled)
        if report.merged:
            from reader.core.search.index import IndexBusy

            try:
                with self._writing_index():
                    self.index.delete(report.merged)  # their rows are gone
            except IndexBusy:
                self.index_deferred = True  # `check --repair` drops them later
        self._follow_index()
        return report

    # -- sync -----------------------------------------------------------------------------------

    def sync(
        self,
        remote: str | None = None,
        password: str | None = None,
        progress: Callable[[str], None] | None = None,
        passphrase: str | None = None,
    ) -> SyncReport:
        """Sync with a WebDAV server or a folder (``sync.engine``); ``remote`` (kept for the
        next time) or the remote set before. The WebDAV password and the encryption
        passphrase: given, the ones this session used, or the system keyring's."""
        from reader.core.sync import credentials, engine
        from reader.core.sync.credentials import Secret
        from reader.core.sync.remote import open_remote

        spec = remote or self.sync_remote()
        if not spec:
            raise ValueError("no sync remote set: give a WebDAV address or a folder")
        with file_lock(self.folder / SYNC_LOCK, SYNC_LOCK_TIMEOUT):
            password = password or self._sync_secrets.get(Secret.PASSWORD)
            passphrase = passphrase or self._sync_secrets.get(Secret.PASSPHRASE)
            password = password or credentials.lookup(spec, Secret.PASSWORD)
            passphrase = passphrase or credentials.lookup(spec, Secret.PASSPHRASE)
            target = open_remote(spec, password)
            try:
                report = engine.sync(self.store, target, progress, passphrase)
            finally:
                target.close()
            if remote:
                self.store.set_meta(SYNC_REMOTE, remote)
            # For the session's next syncs; never written.
            for kind, value in ((Secret.PASSWORD, password), (Secret.PASSPHRASE, passphrase)):
                if value:
                    self._sync_secrets[kind] = value
        if report.merged:
            from reader.core.search.index import IndexBusy

            try:
                with self._writing_index():
                    self.index.delete(report.merged)
            except IndexBusy:
                self.index_deferred = True
        if report.received:
            self._follow_index()
        return report

    def probe_sync_remote(
        self, spec: str, password: str | None = None, passphrase: str | None = None
    ) -> str:
        """Whether and how ``spec`` can be synced with, in a sentence, changing nothing
        (raises ``RemoteError``/``SyncRefused`` as a sync would). Goes online: a job."""
        from reader.core.sync.engine import probe
        from reader.core.sync.remote import open_remote

        target = open_remote(spec, password)
        try:
            return probe(target, passphrase)
        finally:
            target.close()

    def set_sync_remote(self, spec: str | None) -> None:
        """Where to sync from now on (None: nowhere; the remote's files stay)."""
        from reader.core.sync.remote import check_spec

        if spec:
            check_spec(spec)  # a malformed address is refused here, not at the sync
        self.store.set_meta(SYNC_REMOTE, spec or "")

    def sync_remote(self) -> str | None:
        """Where this library syncs (None: not set up)."""
        return self.store.meta(SYNC_REMOTE) or None

    def sync_status(self) -> dict[str, object]:
        """The remote, the last sync, changes waiting to go, conflicts, the other machines."""
        from reader.core.sync.engine import LAST_SYNC
        from reader.core.sync.journal import conflicts

        store = self.store
        machines = store.query("SELECT name, applied FROM sync_peers ORDER BY name")
        return {
            "remote": self.sync_remote(),
            "last_sync": store.meta(LAST_SYNC),
            "waiting": store.count("sync_outbox"),
            "conflicts": conflicts(store.conn),
            "machines": [{"name": r[0], "files_applied": r[1]} for r in machines],
        }

    # -- the index ------------------------------------------------------------------------------

    @contextmanager
    def _writing_index(self) -> Iterator[None]:
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
        with self._writing_index():
            done = self.index.catch_up(
                self._changed_rows,
                self.store.rev(),
                progress=progress,
                cancelled=cancelled,
                body_of=self._body_of,
            )
        self.index_deferred = False
        return done

    def _follow_index(self) -> None:
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
            self._index_changes()

    def _index_changes(
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

    def _body_of(self, paper_id: int) -> str:
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
        with self._writing_index():
            self.index.rebuild()
            return self.catch_up_index(progress=progress, cancelled=cancelled)

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
            with self._writing_index():
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

    # -- searching ------------------------------------------------------------------------------

    def parse_query(self, text: str) -> ParsedQuery:
        return self.parser.parse(text)

    def search(
        self,
        text: str,
        limit: int = 20,
        snippets: bool = True,
        within: View | None = None,
        mode: str = "keyword",
    ) -> SearchResults:
        """Ranked full-text search; ``within`` restricts it to a bookmark/unread/tag view.

        ``mode``: "keyword" (Whoosh), "meaning" (the query's embedding against the vectors),
        "hybrid" (reciprocal rank fusion of both rankings) or "auto" (keyword, joined by
        meaning search for a sentence or when few papers match: ``search.blend``). A pasted
        page of text is cut to its first words (``results.shortened`` says so).
        """
        from reader.core.search.query import shortened

        text, note = shortened(text)
        results = self._search(text, limit, snippets, within, mode)
        results.shortened = note
        return results

    def _search(
        self, text: str, limit: int, snippets: bool, within: View | None, mode: str
    ) -> SearchResults:
        if mode == "auto":
            return self._search_auto(text, limit, snippets, within)
        if mode != "keyword":
            return self._search_meaning(text, limit, snippets, within, mode)
        if self.index_status() != "ready":
            return self._simple_search(text, limit, snippets, within)
        try:
            return self._keyword_search(text, limit, snippets, within)
        except Exception as e:  # unreadable index files: answer from SQLite, flag a rebuild
            self.index_error = f"{type(e).__name__}: {e}"
            return self._simple_search(text, limit, snippets, within)

    def _keyword_search(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        from reader.core.search import highlight
        from reader.core.search.query import is_simple, view_filter

        parsed = self.parse_query(text)
        if parsed.is_empty:
            return SearchResults(text, [], 0, degraded=parsed.degraded)
        restrict = view_filter(within) if within else None
        hits, total = self.index.search_hits(parsed.query, limit, restrict)
        corrected = None
        if len(hits) < RESCUE_BELOW and is_simple(text):
            rescue = self._rescue_typos(text)
            if rescue is not None:
                rescued_hits, rescued_total = self.index.search_hits(rescue.query, limit, restrict)
                if len(rescued_hits) > len(hits):
                    parsed, hits, total = rescue, rescued_hits, rescued_total
                    corrected = rescue.text
        papers = {p.id: p for p in self.store.papers([h.paper_id for h in hits])}
        searcher = self.index.searcher()
        terms = highlight.query_terms(parsed.query, searcher, ("title", "abstract"))
        in_body = [h.paper_id for h in hits if h.lesser_only]
        bodies = self.store.fulltext(in_body) if snippets and in_body else {}
        body_terms = (
            highlight.query_terms(parsed.query, searcher, ("body",)) if in_body else frozenset()
        )
        results = []
        for hit in hits:
            paper = papers.get(hit.paper_id)
            if paper is None:  # indexed but gone from the store: drift that check repairs
                continue
            snippet = ""
            if hit.paper_id in bodies:
                snippet = highlight.body_snippet(bodies[hit.paper_id], body_terms)
            elif snippets:
                snippet = highlight.marked_snippet(paper.abstract, terms)
            results.append(SearchHit(paper, hit.score, snippet, hit.lesser_only))
        return SearchResults(
            text, results, total, corrected, parsed.degraded, terms, body_terms=body_terms
        )

    def _simple_search(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        """While the index is rebuilding: papers whose title (or, in libraries small enough
        to scan, abstract) contains every word of the query, newest first."""
        from reader.core.search import highlight
        from reader.core.views import where_clause

        words = simple_words(text)
        if not words:
            return SearchResults(text, [], 0, fallback=True)
        where, params = where_clause(within or View())
        columns = ["p.title"]
        if self.store.count() <= FALLBACK_SCAN_ABSTRACTS:
            columns.append("p.title || ' ' || p.abstract")
        found: list[int] = []
        for column in columns:
            likes = " AND ".join(f"{column} LIKE ? ESCAPE '\\'" for _ in words)
            rows = self.store.query(
                f"SELECT p.id FROM papers p {where or 'WHERE 1'} AND {likes}"
                " ORDER BY coalesce(p.published, '') DESC, p.id DESC LIMIT ?",
                [*params, *(f"%{like_escape(w)}%" for w in words), limit],
            )
            found += [r[0] for r in rows if r[0] not in found]
            if len(found) >= limit:
                break
        terms = frozenset(w.lower() for w in words)
        hits = [
            SearchHit(p, 0.0, highlight.marked_snippet(p.abstract, terms) if snippets else "")
            for p in self.store.papers(found[:limit])
        ]
        return SearchResults(text, hits, len(hits), terms=terms, fallback=True)

    def related(
        self,
        paper_id: int,
        limit: int = 10,
        mode: str = "auto",
        bookmarked: bool = False,
        tag: str | None = None,
        since: int | None = None,
    ) -> list[tuple[Paper, float]]:
        """The papers closest to this one, scored 0..1, without itself or same-title copies.

        "auto": the hybrid (``fusion.hybrid_scores``) over the dense neighbours when the paper
        has a vector, else tf-idf over Whoosh's key-term hits; "lexical" and "dense" force one
        half. ``bookmarked``, ``tag`` (with its sub-tags) and ``since`` (a year) keep only the
        papers that match them all.
        """
        paper = self.store.paper(paper_id)
        allowed = self._related_allowed(bookmarked, tag, since)
        pool = limit + 10
        if mode == "dense":
            query = self.related_papers.vectors.vector(paper_id)
            ranked = (
                []
                if query is None
                else self.related_papers.vectors.knn(query, pool, {paper_id}, allowed)
            )
        else:
            # With a vector, the dense neighbours are the candidates (Whoosh's added nothing
            # measurable and cost ~30 ms); without one, Whoosh's key-term hits are.
            dense = mode != "lexical" and self.related_papers.has_vector(paper_id)
            lexical = [] if dense else [i for i, _ in self._key_term_hits(paper, 50, allowed)]
            ranked = self.related_papers.related_ids(
                paper_id,
                lexical,
                self.related_papers.tfidf(self.index.searcher()),
                pool,
                dense=dense,
                allowed=allowed,
            )
        own_title = title_key(paper.title)
        papers = {p.id: p for p in self.store.papers([i for i, _ in ranked])}
        related = [
            (papers[i], score)
            for i, score in ranked
            if i in papers and title_key(papers[i].title) != own_title
        ]
        return related[:limit]

    def related_reasons(self, paper_id: int, related_ids: list[int]) -> dict[int, Reason]:
        """Why each related paper is related (``related.explain``), for the pane to show."""
        if not related_ids:
            return {}
        service = self.related_papers
        return service.reasons(paper_id, related_ids, service.tfidf(self.index.searcher()))

    def for_you(self, tag: str | None = None, limit: int = 50) -> list[tuple[Paper, float]]:
        """Unread papers ranked by closeness (0..1) to a tag's papers, or to the bookmarks.

        Empty when the tag (or the bookmarks) has no embedded paper yet.
        """
        if tag:
            liked = self._related_allowed(False, tag, None) or set()
        else:
            liked = self._related_allowed(True, None, None) or set()
        if not liked:
            return []
        unread = {r[0] for r in self.store.query("SELECT id FROM papers WHERE is_read = 0")}
        ranked = self.related_papers.for_you_ids(
            liked, self.related_papers.tfidf(self.index.searcher()), limit, unread - liked
        )
        papers = {p.id: p for p in self.store.papers([i for i, _ in ranked])}
        return [(papers[i], score) for i, score in ranked if i in papers]

    def _related_allowed(
        self, bookmarked: bool, tag: str | None, since: int | None
    ) -> set[int] | None:
        """The ids the related filters let through (None: no filter)."""
        from reader.core.views import _where

        parts, params = [], []
        if bookmarked:
            parts.append("p.bookmarked = 1")
        if tag:
            where, tag_params = _where(View(kind="tag", value=clean_tag(tag)))
            parts.append(where.removeprefix("WHERE "))
            params += tag_params
        if since is not None:
            parts.append("CAST(substr(p.published, 1, 4) AS INTEGER) >= ?")
            params.append(since)
        if not parts:
            return None
        sql = f"SELECT p.id FROM papers p WHERE {' AND '.join(parts)}"
        return {r[0] for r in self.store.query(sql, params)}

    def _key_term_hits(
        self, paper: Paper, limit: int, allowed: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """Whoosh's lexical candidates: an OR of the paper's most distinctive words (Bo1)."""
        from whoosh.query import Or, Term

        searcher = self.index.searcher()
        text = f"{paper.title} {paper.title} {paper.abstract}"
        keys = searcher.key_terms_from_text("abstract", text, numterms=15)
        if not keys:
            return []
        query = Or(
            [Term("abstract", term, boost=weight) for term, weight in keys]
            + [Term("title", term, boost=weight) for term, weight in keys]
        )
        if allowed is not None:  # fetch deeper, then keep the allowed
            limit = min(limit * 20, 2000)
        hits, _ = self.index.search(query, limit + 1)
        return [
            (i, score) for i, score in hits if i != paper.id and (allowed is None or i in allowed)
        ]

    # -- vectors ----------------------------------------------------------------------------------

    @property
    def related_papers(self) -> RelatedPapers:
        """The embedding model and the vector store (``vectors/``), opened on first use."""
        if self._related is None:
            from reader.core.related.service import RelatedPapers

            self._related = RelatedPapers(self.folder, self.store)
        return self._related

    def embed(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> int:
        """Embed every paper without a current vector, in committed batches; return how many.

        Safe to stop at any point (``cancelled``, an exception or a kill): the next call resumes.
        """
        return self.related_papers.embed(progress=progress, cancelled=cancelled)

    def vector_count(self) -> int:
        """Papers with a vector of the current model: what meaning search and dense related
        papers can use (0 before the first ``embed`` or after a model change)."""
        related = self.related_papers
        return len(related.vectors) if related.vectors.model == related.model_name() else 0

    def reload_vectors(self) -> None:
        """Re-read the vectors from disk after another process (``paper-reader embed``) added
        some. Not while that process runs: opening cuts rows it has not committed yet."""
        if self._related is not None:
            from reader.core.related.vectors import VectorStore

            self._related.vectors = VectorStore(self.folder / "vectors")

    def _search_auto(
        self, text: str, limit: int, snippets: bool, within: View | None
    ) -> SearchResults:
        """Keyword search, joined by any-word and meaning search where it helps (a sentence,
        few hits: ``search.blend``); without vectors yet, by any-word search alone."""
        from reader.core.search import blend

        sentence = blend.as_sentence(text)
        keyword = self._search(blend.keyword_text(text), limit, snippets, within, "keyword")
        if sentence is None or keyword.fallback or not blend.wants_meaning(sentence, keyword.total):
            return keyword
        pool = blend.MEANING_POOL  # the keyword hits, then at most this many more
        words, word_terms = self._any_word(sentence, pool, within)
        meaning = [i for i, _ in self._meaning(sentence, pool, within)]
        exact = [h.paper.id for h in keyword.hits]
        ranked = blend.blend(exact, words, meaning, min(limit, len(exact) + pool))
        found = {h.paper.id: h for h in keyword.hits}
        terms = keyword.terms | word_terms
        fresh = [(i, s, source == blend.MEANING) for i, s, source in ranked if i not in found]
        made = {h.paper.id: h for h in self._hits(fresh, terms, snippets)}
        hits = [
            replace(found[i], score=score) if i in found else made[i]
            for i, score, _ in ranked
            if i in found or i in made
        ]
        return SearchResults(
            text,
            hits,
            max(keyword.total, len(hits)),
            keyword.corrected,
            keyword.degraded,
            terms,
            body_terms=keyword.body_terms,
            joined=True,
            no_vectors=not meaning and not self.vector_count(),
        )

    def _any_word(
        self, text: str, limit: int, within: View | None
    ) -> tuple[list[int], frozenset[str]]:
        """Papers sharing any of the words (``blend.any_word_query``), and the words."""
        from reader.core.search import highlight
        from reader.core.search.blend import WORD_FIELDS, any_word_query
        from reader.core.search.query import view_filter

        if self.index_status() != "ready":
            return [], frozenset()
        query = any_word_query(text)
        hits, _ = self.index.search_hits(query, limit, view_filter(within) if within else None)
        terms = highlight.query_terms(query, self.index.searcher(), WORD_FIELDS)
        return [h.paper_id for h in hits], terms

    def _meaning(self, text: str, limit: int, within: View | None) -> list[tuple[int, float]]:
        """Meaning search's ranking (empty without vectors), kept to ``within``."""
        dense = self.related_papers.meaning(text, limit) if text.strip() else []
        if within is not None and dense:
            allowed = self._ids_in_view([i for i, _ in dense], within)
            dense = [(i, s) for i, s in dense if i in allowed]
        return dense

    def _hits(
        self, ranked: list[tuple[int, float, bool]], terms: frozenset[str], snippets: bool
    ) -> list[SearchHit]:
        """Search hits of (paper id, score, found by meaning) rows, for papers that exist."""
        from reader.core.search import highlight

        papers = {p.id: p for p in self.store.papers([i for i, _, _ in ranked])}
        return [
            SearchHit(
                papers[i],
                score,
                highlight.marked_snippet(papers[i].abstract, terms) if snippets else "",
                by_meaning=by_meaning,
            )
            for i, score, by_meaning in ranked
            if i in papers
        ]

    def _search_meaning(
        self, text: str, limit: int, snippets: bool, within: View | None, mode: str
    ) -> SearchResults:
        """Meaning or hybrid search; without vectors yet, papers sharing the query's words
        stand in for meaning's ranking (``results.no_vectors`` says so)."""
        from reader.core.related.service import reciprocal_rank_fusion

        if mode not in ("meaning", "hybrid"):
            raise ValueError(
                f"unknown search mode {mode!r}; choose auto, keyword, meaning or hybrid"
            )
        pool = max(limit, 50)
        no_vectors = not self.vector_count()
        terms: frozenset[str] = frozenset()
        if no_vectors:
            words, terms = self._any_word(text, pool, within)
            scored = reciprocal_rank_fusion(words)
        else:
            scored = [(i, max(s, 0.0)) for i, s in self._meaning(text, pool, within)]
        dense = [i for i, _ in scored]
        keyword = SearchResults(text, [], 0)
        if mode == "hybrid":
            keyword = self.search(text, limit=pool, snippets=False, within=within)
            scored = reciprocal_rank_fusion([h.paper.id for h in keyword.hits], dense)
        terms |= keyword.terms
        hits = self._hits([(i, s, False) for i, s in scored[:limit]], terms, snippets)
        total = len({h.paper.id for h in keyword.hits} | set(dense))
        return SearchResults(
            text, hits, total, keyword.corrected, keyword.degraded, terms, no_vectors=no_vectors
        )

    def _ids_in_view(self, ids: list[int], view: View) -> set[int]:
        from whoosh.query import Or, Term

        from reader.core.search.query import view_filter

        query = Or([Term("id", str(i)) for i in ids])
        hits, _ = self.index.search(query, len(ids), view_filter(view))
        return {i for i, _ in hits}

    def _rescue_typos(self, text: str) -> ParsedQuery | None:
        """Replace words the index has never seen with the closest frequent indexed word."""
        from reader.core.search.typos import correct_words

        corrected = correct_words(text, self.index.searcher(), self._title_and_abstract)
        return self.parse_query(corrected) if corrected and corrected != text else None

    def _title_and_abstract(self, paper_id: int) -> str:
        rows = self.store.query(
            "SELECT title || ' ' || abstract FROM papers WHERE id = ?", (paper_id,)
        )
        return rows[0][0] if rows else ""

    # -- papers and user state --------------------------------------------------------------------

    def resolve(self, ref: str | int) -> int:
        return self.store.resolve(ref)

    def paper(self, ref: str | int) -> Paper:
        return self.store.paper(self.resolve(ref))

    def papers(self, ids: Sequence[int]) -> list[Paper]:
        return self.store.papers(ids)

    def open_views(self) -> Views:
        """A read-only connection for list panes (safe to use beside a running import)."""
        return Views(self.store.path)

    def stats(self) -> dict[str, int]:
        stats = self.store.stats()
        stats["indexed"] = self.index.doc_count()
        return stats

    def set_bookmarked(self, ids: Iterable[int], value: bool) -> None:
        self.store.set_flag(ids, "bookmarked", value)
        self._follow_index()

    def set_read(self, ids: Iterable[int], value: bool) -> None:
        self.store.set_flag(ids, "is_read", value)
        self._follow_index()

    def set_notes(self, paper_id: int, notes: str) -> None:
        """Save a paper's notes; ``ValueError`` (nothing saved) beyond ``MAX_NOTES``."""
        if len(notes) > MAX_NOTES:
            raise ValueError(
                f"notes of {len(notes):,} characters are too long to save; at most {MAX_NOTES:,}"
            )
        self.store.set_notes(paper_id, notes)
        self._follow_index()

    def extract_fulltext(self, paper_id: int, pdf_path: Path, index: bool = True) -> int:
        """Make a paper's PDF searchable: its text goes to the store (the index's body
        field follows, unless ``index`` is False: a batch indexes once at its end, as every
        catch-up commits a segment); the pages read. ``fulltext.NoText`` says why a file
        has none."""
        from reader.core.fulltext import extract_text

        extracted = extract_text(pdf_path)
        self.store.set_fulltext(paper_id, extracted.body, extracted.pages, extracted.truncated)
        if index:
            self._follow_index()
        return extracted.pages

    def fulltext_snippet(self, paper_id: int, terms: frozenset[str]) -> str:
        """Where a search's ``terms`` occur in a paper's PDF text (marked as snippets are)."""
        from reader.core.search.highlight import body_snippet

        return body_snippet(self._body_of(paper_id), terms)

    def delete_fulltext(self, ids: Iterable[int]) -> int:
        """Forget the papers' PDF text (their body words leave the index); how many had one."""
        deleted = self.store.delete_fulltext(ids)
        if deleted:
            self._follow_index()
        return deleted

    def add_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        """Tag the papers; ``InvalidTag`` (before any change) for a tag too deep or long."""
        self.store.add_tags(ids, [new_tag(t) for t in tags])
        self._follow_index()

    def remove_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        self.store.remove_tags(ids, [clean_tag(t) for t in tags])
        self._follow_index()

    def tag_counts(self) -> list[tuple[str, int]]:
        return self.store.tag_counts()

    def save_search(self, name: str, query: str) -> None:
        """Remember a query under a name (shown in the sidebar); the name is replaced."""
        if not name.strip() or not query.strip():
            raise ValueError("a saved search needs a name and a query")
        self.store.save_search(name.strip(), query.strip())

    def delete_saved_search(self, name: str) -> None:
        self.store.delete_saved_search(name)

    # -- backups ----------------------------------------------------------------------------------

    def backup(self, dest: Path | None = None) -> Path:
        """A consistent copy of the library: to ``dest``, or a kept one in ``backups/``."""
        from reader.core.backup import copy_library, take_backup

        db_path = self.folder / DB_NAME
        return take_backup(db_path, "manual") if dest is None else copy_library(db_path, dest)

    def backup_if_due(self, now: datetime | None = None) -> Path | None:
        """The scheduled backup, if one is due (a directory listing when it is not)."""
        from reader.core.backup import backup_due, take_backup

        if not backup_due(self.folder, self.backup_policy(), now) or self.store.is_empty():
            return None
        return take_backup(self.folder / DB_NAME, "auto", now=now)

    def backup_policy(self) -> BackupPolicy:
        from reader.core.backup import read_policy

        return read_policy(self.store.conn)

    def set_backup_policy(self, policy: BackupPolicy) -> None:
        from reader.core.backup import policy_rows

        with self.store.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", policy_rows(policy))

    @staticmethod
    def restore(folder: Path, source: Path) -> RestoreReport:
        """Replace the (closed) library in ``folder`` with a backup (``restore_library``)."""
        from reader.core.backup import restore_library

        return restore_library(folder, source)

    # -- PDFs offline -----------------------------------------------------------------------------

    @property
    def pdfs(self) -> PdfCache:
        """The offline PDF cache (``pdfs/``)."""
        from reader.core.pdfs import PdfCache

        return PdfCache(self.folder, self.store)

    def download_pdf(self, paper_id: int, cancelled: Cancelled = lambda: False) -> PdfInfo:
        """Download one paper's PDF (again, if it is there), index its text, keep the cap."""
        cache = self.pdfs
        info = cache.download(self.store.paper(paper_id), cancelled)
        self._after_pdf(paper_id, info.path)
        self._follow_index()
        cache.evict(keep={paper_id})
        return info

    def make_offline(
        self,
        tag: str | None = None,
        bookmarked: bool = False,
        ids: Sequence[int] | None = None,
        progress: Callable[[int, int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> OfflineReport:
        """Download the PDFs of a tag's papers (pinning the tag: never evicted), of the
        bookmarks (pinned likewise), or of the papers ``ids`` (not pinned)."""
        from reader.core.pdfs import BOOKMARKS_PIN, make_available

        cache = self.pdfs
        if ids is None:
            pin = clean_tag(tag) if tag else BOOKMARKS_PIN
            if not bookmarked and not pin:
                raise ValueError("make available offline: a tag, the bookmarks or papers")
            cache.pin(pin)
            ids = sorted(cache.pin_members(pin))
        papers = self.store.papers(list(ids))
        try:
            return make_available(cache, papers, self._after_pdf, progress, cancelled)
        finally:
            self._follow_index()

    def _after_pdf(self, paper_id: int, path: Path) -> None:
        """A new PDF's text goes to the store; the index's body field follows once the
        downloads are done (one catch-up, one segment, for a whole tag)."""
        from reader.core.fulltext import NoText

        # a scanned or odd PDF: readable in the reader, just not searchable
        with contextlib.suppress(NoText):
            self.extract_fulltext(paper_id, path, index=False)

    # -- export -----------------------------------------------------------------------------------

    def export(self, fmt: str, query: str | None = None, ids: Sequence[int] | None = None) -> str:
        """BibTeX or CSL-JSON for the given papers, a search's results, or the whole library."""
        if ids is None:
            if query:
                ids = [h.paper.id for h in self.search(query, limit=1_000_000, snippets=False).hits]
            else:
                ids = list(self.store.all_ids())
        papers = self.store.papers(ids)
        if fmt == "bibtex":
            from reader.core.exporters.bibtex import to_bibtex

            return to_bibtex(papers)
        if fmt == "csl-json":
            from reader.core.exporters.csl_json import to_csl_json

            return to_csl_json(papers)
        raise ValueError(f"unknown export format {fmt!r}; choose bibtex or csl-json")

    def export_to_file(
        self,
        path: Path,
        fmt: str,
        query: str | None = None,
        ids: Sequence[int] | None = None,
        overwrite: bool = False,
    ) -> int:
        """Write ``export(...)`` to ``path``, atomically; ``RefusedOutput`` (before anything
        is written) for a path inside the library folder, or an existing file unless
        ``overwrite``. Returns the characters written."""
        from reader.core.output import check_output, write_atomically

        target = check_output(path, self.folder, overwrite)
        text = self.export(fmt, query=query, ids=ids)
        write_atomically(target, text)
        return len(text)


def _renamed(
    result: ParsedRecord | RecordError, path: str, name: str
) -> ParsedRecord | RecordError:
    """An error of a temporary copy, named for where the file came from."""
    if isinstance(result, RecordError) and result.position.file == path:
        return replace(result, position=replace(result.position, file=name))
    return result


def simple_words(text: str) -> list[str]:
    """The plain words of a query for the fallback search (field names and operators dropped)."""
    import re

    text = re.sub(r"\b\w+:", " ", text)  # author:smith -> smith
    words = [w for w in re.findall(r"\w+", text) if len(w) > 1]
    return [w for w in words if w.lower() not in _SYNTAX_WORDS][:8]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_tag(tag: str) -> str:
    """Tags are trimmed, commas are separators, and hierarchy uses '/' without blanks."""
    return "/".join(part.strip() for part in tag.replace(",", " ").split("/") if part.strip())


class InvalidTag(ValueError):
    """A tag the library does not take; the message says why."""


def new_tag(tag: str) -> str:
    """``clean_tag(tag)``, refused (``InvalidTag``) beyond the depth and length a tag may
    have: a tag nested hundreds of levels is a paste gone wrong, not a hierarchy."""
    cleaned = clean_tag(tag)
    shown = cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"
    depth = cleaned.count("/") + 1
    if depth > MAX_TAG_DEPTH:
        raise InvalidTag(
            f"tag {shown!r} is nested {depth} levels deep; tags nest at most {MAX_TAG_DEPTH}"
        )
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidTag(
            f"tag {shown!r} is {len(cleaned):,} characters long; at most {MAX_TAG_LENGTH}"
        )
    return cleaned
