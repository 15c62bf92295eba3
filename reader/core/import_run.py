"""An import of several files: each file's format found, its records stored in turn
(``importing.import_file``), under the shared imports lock, indexed as they are stored and
once more at the end."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reader.core.derived import IMPORTS_LOCK, DerivedData
from reader.core.importers import ImportOptions
from reader.core.importing import import_file
from reader.core.locks import file_lock
from reader.core.model import ParsedRecord, RecordError, SourcePosition
from reader.core.reports import Cancelled, ImportProgress, ImportReport
from reader.core.views import Views

IMPORTS_LOCK_TIMEOUT = 10.0  # only a library being opened takes it exclusively, briefly
# While a big import stores papers, the index follows once this many are waiting: two
# worker-sized chunks, so each round keeps the worker processes busy.
FOLLOW_BACKLOG = 50_000
FOLLOW_POLL_S = 2.0


def import_files(
    derived: DerivedData,
    paths: Sequence[Path],
    fmt: str | None,
    options: ImportOptions,
    progress: Callable[[ImportProgress], None] | None,
    cancelled: Cancelled,
    index: bool,
    names: Sequence[str] | None,
    report: ImportReport,
) -> ImportReport:
    """Import files into the store in batches; then bring the index up to date (``index``).

    ``names`` say where each file came from when its path is only a temporary copy (a
    fetched response: its URL). The lock is shared: imports may run side by side; a library
    opened meanwhile sees them running, indexing included, and leaves the indexing of its
    own writes to them."""
    run = _Run(derived, fmt, options, report, progress, cancelled, len(paths))
    with file_lock(derived.folder / IMPORTS_LOCK, IMPORTS_LOCK_TIMEOUT, shared=True):
        follower = IndexFollower(derived, cancelled, run.indexing) if index else None
        try:
            for number, path in enumerate(paths, 1):
                if cancelled():
                    report.cancelled = True
                    break
                run.import_path(number, path, names[number - 1] if names else None)
        finally:
            if follower is not None:
                follower.stop()
        if not report.cancelled:
            keep_list_orders(derived.store.path)
        if index and not report.cancelled:
            derived.index_changes(progress=run.indexing, cancelled=cancelled)
    return report


def keep_list_orders(db_path: Path) -> None:
    """Compute and keep the list's sort orders of the library as the import left it (1.5 s
    at 1M papers), so that the first look at each sort afterwards is not the one paying."""
    views = Views(db_path)
    try:
        views.keep_orders()
    except (sqlite3.Error, OSError, MemoryError) as e:  # the import is done; the list copes
        logging.getLogger(__name__).warning("could not keep the list's orders: %s", e)
    finally:
        views.close()


@dataclass
class _Run:
    derived: DerivedData
    fmt: str | None
    options: ImportOptions
    report: ImportReport
    progress: Callable[[ImportProgress], None] | None
    cancelled: Cancelled
    files: int

    def import_path(self, number: int, path: Path, name: str | None) -> None:
        """One file (the ``number``th), reported under ``name`` when it is a copy."""
        from reader.core.importers import UnknownFormat, detect_format, importer_for

        shown = name or str(path)
        report = self.report
        try:
            file_format = self.fmt or detect_format(path)
            importer = importer_for(file_format)
        except UnknownFormat as e:
            report.errors.append(RecordError(str(e), SourcePosition(shown), fatal=True))
            report.failed_files.append(shown)
            return

        def tick(records: int, added: int) -> None:
            if self.progress:
                at = ImportProgress(shown, number, self.files, records, report.added + added)
                self.progress(at)

        results: Iterable[ParsedRecord | RecordError] = importer.parse(path, self.options)
        if name:
            results = (_renamed(r, str(path), name) for r in results)
        store = self.derived.store
        outcome = import_file(store, shown, file_format, results, tick, self.cancelled)
        if outcome.cancelled:
            report.cancelled = True
        elif outcome.fatal and not outcome.read:
            report.failed_files.append(shown)
        report.count(outcome)

    def indexing(self, done: int, _total: int) -> None:
        if self.progress:
            at = ImportProgress("", self.files, self.files, done, self.report.added, "indexing")
            self.progress(at)


class IndexFollower(threading.Thread):
    """Indexes what an import has stored so far while it stores more, so a million-paper
    file is searchable long before it ends (what is indexed is searchable: each round is a
    commit). The text analysis runs in the index's worker processes; this thread reads the
    rows through a connection of its own, which sees only committed batches (the import's
    own connection would show it a batch that might yet roll back)."""

    def __init__(
        self, derived: DerivedData, cancelled: Cancelled, progress: Callable[[int, int], None]
    ) -> None:
        super().__init__(name="index-follower", daemon=True)
        self._folder = derived.folder
        self._store_path = derived.store.path
        self._cancelled = cancelled
        self._progress = progress
        self._stopping = threading.Event()
        self.start()

    def stop(self) -> None:
        """Let the catch-up under way finish, reporting its progress from now on (the import
        waits here, so only this thread reports), then end."""
        self._stopping.set()
        self.join()

    def _report(self, done: int, total: int) -> None:
        if self._stopping.is_set():
            self._progress(done, total)

    def run(self) -> None:
        from reader.core.store import Store

        try:
            store = Store(self._store_path, readonly=True)
        except Exception:  # the import's last catch-up meets the same problem and reports it
            return
        derived = DerivedData(self._folder, store)
        try:
            while not self._stopping.wait(FOLLOW_POLL_S):
                lag = derived.index_lag(FOLLOW_BACKLOG)
                if lag is None or lag >= FOLLOW_BACKLOG:
                    derived.catch_up_index(self._report, self._cancelled)
        except Exception:  # IndexBusy (another process indexes), a full disk: the import's
            pass  # last catch-up waits its turn, or meets the same problem and reports it
        finally:
            derived.close()
            store.close()


def _renamed(
    result: ParsedRecord | RecordError, path: str, name: str
) -> ParsedRecord | RecordError:
    """An error of a temporary copy, named for where the file came from."""
    if isinstance(result, RecordError) and result.position.file == path:
        return replace(result, position=replace(result.position, file=name))
    return result
