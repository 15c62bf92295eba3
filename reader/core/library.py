"""The Library facade: the one door the CLI and the GUI use into a library folder.

It holds the parts (``store``: the truth; ``derived``: the index, vectors and PDF cache) and
hands each job to the module named for it: ``import_run`` (imports), ``derived`` (upkeep of
derived data), ``searching``, ``ranking`` (related papers, "For you"), ``sync.session``,
``backup``, ``exporters``. The GUI and the CLI use only the methods here, never the parts
(``tests/test_architecture.py`` keeps it so); core modules and tests may use the parts. The
list panes read ``views.Views`` (``open_views``): a read-only view of the store of its own,
kept beside the facade so that scrolling never waits for a write.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.core.backup import DB_NAME, BackupPolicy, RestoreReport
from reader.core.derived import DerivedData
from reader.core.model import Paper
from reader.core.ranking import Ranking
from reader.core.reports import (
    Cancelled,
    CheckReport,
    ImportProgress,
    ImportReport,
    SearchResults,
)
from reader.core.searching import LibrarySearch
from reader.core.storage_errors import LibraryUnavailable, is_storage_error, storage_problem
from reader.core.store import PaperNotFound, Store
from reader.core.sync.session import SyncSession
from reader.core.tags import clean_tag, new_tag
from reader.core.vetting import MAX_NOTES
from reader.core.views import View, Views

if TYPE_CHECKING:
    from reader.core.online.enrich import EnrichReport
    from reader.core.online.fetch import FetchReport
    from reader.core.pdfs import OfflineReport, PdfInfo
    from reader.core.related.explain import Reason
    from reader.core.related.wanted import WantedFirst
    from reader.core.search.query import ParsedQuery
    from reader.core.sync.engine import SyncReport

__all__ = [
    "CheckReport",
    "ImportProgress",
    "ImportReport",
    "Library",
    "LibraryUnavailable",
    "PaperNotFound",
    "SearchResults",
]


class Library:
    """A library folder: ``library.sqlite`` (the truth) plus the data derived from it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.store = Store(folder / DB_NAME, before_migration=self._backup_before_migration)
        except (OSError, sqlite3.DatabaseError) as e:
            if not is_storage_error(e):
                raise  # a damaged file or a failed migration, not the folder or the disk
            raise LibraryUnavailable(folder, storage_problem(folder, e)) from e
        self.derived = DerivedData(folder, self.store)
        self._search = LibrarySearch(self.store, self.derived)
        self._ranking = Ranking(self.store, self.derived)
        self._sync = SyncSession(folder, self.store)
        self.derived.close_interrupted_batches()

    @classmethod
    def open(cls, folder: Path | None = None) -> Library:
        from reader.core.paths import default_library_dir

        return cls(folder or default_library_dir())

    def close(self) -> None:
        self.derived.close()
        self.store.close()

    def _backup_before_migration(self, conn: sqlite3.Connection, old_version: int) -> None:
        from reader.core.backup import take_backup

        take_backup(self.folder / DB_NAME, f"pre-migration-v{old_version}", source=conn)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        from reader.core.import_run import import_files
        from reader.core.importers import ImportOptions

        report = report if report is not None else ImportReport()
        options = ImportOptions(year=year)
        return import_files(
            self.derived, paths, fmt, options, progress, cancelled, index, names, report
        )

    def import_running(self) -> bool:
        """Whether an import into this library runs in any process."""
        return self.derived.import_running()

    def finish_import(self, report: ImportReport, cancelled: Cancelled = lambda: False) -> None:
        """After ``import_files(..., index=False)`` calls (a fetch's responses): index what
        they stored, once."""
        if not report.cancelled:
            self.derived.index_changes(cancelled=cancelled)

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
            self.derived.forget(report.merged)
        self.derived.follow()
        return report

    # -- sync -----------------------------------------------------------------------------------

    def sync(
        self,
        remote: str | None = None,
        password: str | None = None,
        progress: Callable[[str], None] | None = None,
        passphrase: str | None = None,
    ) -> SyncReport:
        """Sync with a WebDAV server or a folder (``sync.session``); ``remote`` (kept for the
        next time) or the remote set before. The WebDAV password and the encryption
        passphrase: given, the ones this session used, or the system keyring's."""
        report = self._sync.sync(remote, password, progress, passphrase)
        if report.merged:
            self.derived.forget(report.merged)
        if report.received:
            self.derived.follow()
        return report

    def probe_sync_remote(
        self, spec: str, password: str | None = None, passphrase: str | None = None
    ) -> str:
        """Whether and how ``spec`` can be synced with, in a sentence, changing nothing
        (raises ``RemoteError``/``SyncRefused`` as a sync would). Goes online: a job."""
        return self._sync.probe(spec, password, passphrase)

    def set_sync_remote(self, spec: str | None) -> None:
        """Where to sync from now on (None: nowhere; the remote's files stay)."""
        self._sync.set_remote(spec)

    def sync_remote(self) -> str | None:
        """Where this library syncs (None: not set up)."""
        return self._sync.remote()

    def sync_status(self) -> dict[str, object]:
        """The remote, the last sync, changes waiting to go, conflicts, the other machines."""
        return self._sync.status()

    # -- the derived data -----------------------------------------------------------------------

    @property
    def index_deferred(self) -> bool:
        """A write left the index behind (busy, or too many papers): a repair catches up."""
        return self.derived.index_deferred

    @property
    def follow_limit(self) -> int | None:
        """Papers a write may index in this process (``DerivedData.follow_limit``)."""
        return self.derived.follow_limit

    @follow_limit.setter
    def follow_limit(self, limit: int | None) -> None:
        self.derived.follow_limit = limit

    def catch_up_index(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> int:
        """Index every paper changed since the index last caught up (``IndexBusy`` when
        another process holds the index too long; a later catch-up finishes the job)."""
        return self.derived.catch_up_index(progress, cancelled)

    def reindex(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> int:
        """Rebuild the index from the store."""
        return self.derived.reindex(progress, cancelled)

    def check(self) -> CheckReport:
        """Compare the derived data with the store, paper by paper."""
        return self.derived.check()

    def repair(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
    ) -> CheckReport:
        """Make the derived data agree with the store (the store is never changed)."""
        return self.derived.repair(progress, cancelled)

    def index_status(self) -> str:
        """ "ready", or "rebuilding" while the index is far behind the store or unreadable."""
        return self.derived.index_status()

    def index_lag(self, cap: int) -> int | None:
        """Papers changed since the index caught up, up to ``cap``; None: needs a rebuild."""
        return self.derived.index_lag(cap)

    def catch_up_derived(self, cancelled: Cancelled = lambda: False) -> bool:
        """The window's background catch-up; True when a repair is needed instead
        (``DerivedData.catch_up_derived``)."""
        return self.derived.catch_up_derived(cancelled)

    def reread_index(self) -> None:
        """Read the index files again (another process repaired them)."""
        self.derived.index_error = None

    def embed(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Cancelled = lambda: False,
        wanted: WantedFirst | None = None,
    ) -> int:
        """Embed every paper without a current vector, in committed batches; return how many.
        ``wanted``: papers asked for meanwhile (the one on screen) go into the next batch.

        Safe to stop at any point (``cancelled``, an exception or a kill): the next call resumes.
        """
        return self.derived.related_papers.embed(progress, cancelled, wanted)

    def needs_embedding(self) -> bool:
        """Whether a model ships and some paper lacks a current vector (opens the vectors)."""
        related = self.derived.related_papers
        return related.model_name() is not None and not related.up_to_date()

    def vector_count(self) -> int:
        """Papers with a vector of the current model (0 before the first ``embed``)."""
        return self.derived.vector_count()

    def has_vector(self, paper_id: int) -> bool:
        return self.derived.related_papers.has_vector(paper_id)

    def reload_vectors(self, embedding: bool = False) -> None:
        """Re-read the vectors from disk after another process (``paper-reader embed``) added
        some (``embedding``: it still runs; see ``DerivedData.reload_vectors``)."""
        self.derived.reload_vectors(embedding)

    # -- searching and ranking ------------------------------------------------------------------

    def parse_query(self, text: str) -> ParsedQuery:
        return self._search.parse_query(text)

    def search(
        self,
        text: str,
        limit: int = 20,
        snippets: bool = True,
        within: View | None = None,
        mode: str = "keyword",
    ) -> SearchResults:
        """Ranked search (``searching.LibrarySearch.search``); ``within`` restricts it to a
        bookmark/unread/tag view; ``mode``: "keyword", "meaning", "hybrid" or "auto"."""
        return self._search.search(text, limit, snippets, within, mode)

    def related(
        self,
        paper_id: int,
        limit: int = 10,
        mode: str = "auto",
        bookmarked: bool = False,
        tag: str | None = None,
        since: int | None = None,
    ) -> list[tuple[Paper, float]]:
        """The papers closest to this one, scored 0..1 (``ranking.Ranking.related``)."""
        return self._ranking.related(paper_id, limit, mode, bookmarked, tag, since)

    def related_method(self, paper_id: int) -> str:
        """How ``related`` ranks this paper's related papers ("lexical", "fused" or
        "hybrid"; ``ranking.Ranking.method``)."""
        return self._ranking.method(paper_id)

    def related_reasons(self, paper_id: int, related_ids: list[int]) -> dict[int, Reason]:
        """Why each related paper is related (``related.explain``), for the pane to show."""
        return self._ranking.related_reasons(paper_id, related_ids)

    def for_you(self, tag: str | None = None, limit: int = 50) -> list[tuple[Paper, float]]:
        """Unread papers ranked by closeness (0..1) to a tag's papers, or to the bookmarks."""
        return self._ranking.for_you(tag, limit)

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
        stats["indexed"] = self.derived.index.doc_count()
        return stats

    def set_bookmarked(self, ids: Iterable[int], value: bool) -> None:
        self.store.set_flag(ids, "bookmarked", value)
        self.derived.follow()

    def set_read(self, ids: Iterable[int], value: bool) -> None:
        self.store.set_flag(ids, "is_read", value)
        self.derived.follow()

    def set_notes(self, paper_id: int, notes: str) -> None:
        """Save a paper's notes; ``ValueError`` (nothing saved) beyond ``MAX_NOTES``."""
        if len(notes) > MAX_NOTES:
            raise ValueError(
                f"notes of {len(notes):,} characters are too long to save; at most {MAX_NOTES:,}"
            )
        self.store.set_notes(paper_id, notes)
        self.derived.follow()

    def revision(self) -> int:
        """The store's change counter: it moves with every write, in any process."""
        return self.store.rev()

    def is_empty(self) -> bool:
        return self.store.is_empty()

    def paper_count(self) -> int:
        return self.store.count()

    def extract_fulltext(self, paper_id: int, pdf_path: Path, index: bool = True) -> int:
        """Make a paper's PDF searchable: its text goes to the store (the index's body
        field follows, unless ``index`` is False: a batch indexes once at its end, as every
        catch-up commits a segment); the pages read. ``fulltext.NoText`` says why a file
        has none."""
        from reader.core.fulltext import extract_text

        extracted = extract_text(pdf_path)
        self.store.set_fulltext(paper_id, extracted.body, extracted.pages, extracted.truncated)
        if index:
            self.derived.follow()
        return extracted.pages

    def fulltext_snippet(self, paper_id: int, terms: frozenset[str]) -> str:
        """Where a search's ``terms`` occur in a paper's PDF text (marked as snippets are)."""
        from reader.core.search.highlight import body_snippet

        return body_snippet(self.derived.body_of(paper_id), terms)

    def delete_fulltext(self, ids: Iterable[int]) -> int:
        """Forget the papers' PDF text (their body words leave the index); how many had one."""
        deleted = self.store.delete_fulltext(ids)
        if deleted:
            self.derived.follow()
        return deleted

    def add_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        """Tag the papers; ``InvalidTag`` (before any change) for a tag too deep or long."""
        self.store.add_tags(ids, [new_tag(t) for t in tags])
        self.derived.follow()

    def remove_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        self.store.remove_tags(ids, [clean_tag(t) for t in tags])
        self.derived.follow()

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

    def pdf_info(self, paper_id: int) -> PdfInfo | None:
        """The paper's cached PDF (None: not downloaded)."""
        return self.derived.pdfs.info(paper_id)

    def remember_pdf_page(self, paper_id: int, page: int) -> None:
        self.derived.pdfs.remember_page(paper_id, page)

    def pdf_cap_bytes(self) -> int:
        """How much the PDF cache keeps before evicting unpinned files."""
        return self.derived.pdfs.cap_bytes()

    def set_pdf_cap_mb(self, mb: float) -> None:
        self.derived.pdfs.set_cap_mb(mb)

    def download_pdf(self, paper_id: int, cancelled: Cancelled = lambda: False) -> PdfInfo:
        """Download one paper's PDF (again, if it is there), index its text, keep the cap."""
        cache = self.derived.pdfs
        info = cache.download(self.store.paper(paper_id), cancelled)
        self._after_pdf(paper_id, info.path)
        self.derived.follow()
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

        cache = self.derived.pdfs
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
            self.derived.follow()

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
        from reader.core.exporters import export_papers

        if ids is None:
            if query:
                ids = [h.paper.id for h in self.search(query, limit=1_000_000, snippets=False).hits]
            else:
                ids = list(self.store.all_ids())
        return export_papers(self.store.papers(ids), fmt)

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
