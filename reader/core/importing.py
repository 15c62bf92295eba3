"""One file's records into the store: in batches, each record vetted, one bad record costing
only itself and a parser's unexpected failure ending only its own file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.model import ParsedRecord, RecordError, SourcePosition
from reader.core.store import BatchProgress, Store, WriteOutcome
from reader.core.vetting import Unstorable, vet

BATCH_SIZE = 2000  # records per store transaction
MAX_ERRORS_KEPT = 1000  # per file, in the import record; the count is always exact

# What a value SQLite cannot bind raises. A batch failing so is written again one record at
# a time, so that only the record that holds it is rejected. (Anything else, such as a full
# disk, ends the import: the batches before it are whole.)
UNSTORABLE_ERRORS = (
    UnicodeError,
    OverflowError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)


@dataclass
class ImportCounts:
    """What an import did to the library: of one file, or of a whole command."""

    added: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # file -> parse results an interrupted import of it had stored, skipped by this one
    resumed: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: WriteOutcome | ImportCounts) -> None:
        self.added += outcome.added
        self.merged += outcome.merged
        self.unchanged += outcome.unchanged
        if isinstance(outcome, ImportCounts):
            self.rejected += outcome.rejected
            self.errors.extend(outcome.errors)
            self.resumed.update(outcome.resumed)


@dataclass
class FileOutcome(ImportCounts):
    """What importing one file did."""

    read: int = 0
    fatal: bool = False  # reading stopped early (or never started)
    cancelled: bool = False


def import_file(
    store: Store,
    name: str,
    file_format: str,
    results: Iterable[ParsedRecord | RecordError],
    tick: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> FileOutcome:
    """Store the records ``results`` holds (an importer's parse of the file ``name``) in
    batches of ``BATCH_SIZE``, recorded as one import batch of the store.

    Each batch's transaction also records how many results it has consumed, so when the
    last import of the same file (``file_key``) was interrupted, the results it stored are
    skipped here, neither vetted nor resolved again (``ImportCounts.resumed``)."""
    key = file_key(name)
    skip = store.resume_point(key) if key else 0
    batch_id = store.start_batch(name, file_format, key, skip)
    outcome = FileOutcome()
    if skip:
        outcome.resumed[name] = skip
    pending: list[ParsedRecord] = []
    consumed = 0

    def progress() -> BatchProgress:
        # never below ``skip``: a cancel while skipping leaves the stored results stored
        return BatchProgress(max(consumed, skip), _counts(outcome), _kept(outcome))

    def flush() -> None:
        _write(store, pending, batch_id, outcome, progress())
        pending.clear()
        tick(skip + outcome.read, outcome.added)

    for result in _guarded(results, name):
        consumed += 1
        if consumed <= skip and not (isinstance(result, RecordError) and result.fatal):
            if consumed % BATCH_SIZE == 0:
                tick(consumed, 0)
                if cancelled():
                    outcome.cancelled = True
                    break
            continue
        if isinstance(result, RecordError):
            outcome.errors.append(result)
            if result.fatal:
                outcome.fatal = True
            elif not result.warning:
                outcome.rejected += 1
            continue
        outcome.read += 1
        try:
            cuts = vet(result.record)
        except Unstorable as e:
            outcome.errors.append(RecordError(str(e), result.position))
            outcome.rejected += 1
            continue
        outcome.errors.extend(
            RecordError(cut.describe(), result.position, warning=True) for cut in cuts
        )
        pending.append(result)
        if len(pending) >= BATCH_SIZE:
            flush()
            if cancelled():
                outcome.cancelled = True
                break
    if pending:
        flush()
    if outcome.cancelled:
        status = "cancelled"
    else:
        status = "failed" if outcome.fatal and not outcome.read else "done"
    store.finish_batch(batch_id, status, progress())
    return outcome


def file_key(name: str) -> str | None:
    """What tells the file ``name`` again: its resolved path, size and modification time
    (None when ``name`` is no file here, such as the URL of a fetched response)."""
    path = Path(name)
    try:
        if not path.is_file():
            return None
        stat = path.stat()
        return json.dumps([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None


def _counts(outcome: FileOutcome) -> dict[str, int]:
    return {
        "added": outcome.added,
        "merged": outcome.merged,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }


def _kept(outcome: FileOutcome) -> list[dict[str, object]]:
    return [e.as_dict() for e in outcome.errors[:MAX_ERRORS_KEPT]]


def _write(
    store: Store,
    pending: list[ParsedRecord],
    batch_id: int,
    outcome: FileOutcome,
    progress: BatchProgress,
) -> None:
    """Write a batch in one transaction, with how far the import has got; if one of its
    values cannot be stored, write its records one at a time and reject the ones that fail."""
    try:
        outcome.count(store.write_records([p.record for p in pending], batch_id, progress))
        return
    except UNSTORABLE_ERRORS:
        pass  # the transaction rolled back: nothing of this batch is stored
    for parsed in pending:
        try:
            outcome.count(store.write_records([parsed.record], batch_id))
        except UNSTORABLE_ERRORS as e:
            outcome.errors.append(RecordError(f"the library cannot store it: {e}", parsed.position))
            outcome.rejected += 1
    # a kill before this resumes at the batch's start: its stored records merge unchanged
    store.record_progress(
        batch_id, BatchProgress(progress.consumed, _counts(outcome), _kept(outcome))
    )


def _guarded(
    results: Iterable[ParsedRecord | RecordError], name: str
) -> Iterator[ParsedRecord | RecordError]:
    """The importer's results; if reading raises anyway (a problem no importer foresaw),
    one fatal error for this file instead, so the files after it still import."""
    iterator = iter(results)
    while True:
        try:
            result = next(iterator)
        except StopIteration:
            return
        except Exception as e:  # any parser failure ends this file only
            message = f"stopped reading the file: {e}" if str(e) else type(e).__name__
            yield RecordError(message, SourcePosition(name), fatal=True)
            return
        yield result
