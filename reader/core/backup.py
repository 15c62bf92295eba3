"""Backups of a library's SQLite file: online copies, the rolling schedule, and restore.

Every copy is made with SQLite's online backup API from its own connection, so it is a
consistent snapshot even while other connections write (WAL readers never block writers).
A copy is written to a temporary name, fsynced, switched to a single-file journal mode and
renamed into place, so a crash never leaves a half backup under a real name.

Backups live in ``<library>/backups/`` as ``library-YYYYMMDD-HHMMSS-<kind>.sqlite``; the
time in the name (UTC), not the file's mtime, says when it was taken, so copying a library
folder keeps its schedule. ``auto`` copies roll (keep the newest N); the safety copies taken
before a migration or a restore keep the newest ``SAFETY_KEEP`` of each kind; copies the user
asked for (``manual``) are never deleted.

The schedule lives in the library's ``meta`` table (``backup.every_hours``,
``backup.keep``): it belongs to the library (it travels with the folder, a restored library
brings its own), and the CLI and the app read it through the same ``Library``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reader.core import list_orders
from reader.core.schema import SCHEMA_VERSION
from reader.core.schema_check import InvalidLibraryFile, schema_problem
from reader.core.sqlite_open import connect

BACKUP_DIR = "backups"
DB_NAME = "library.sqlite"
DEFAULT_EVERY_HOURS = 24.0
DEFAULT_KEEP = 7
SAFETY_KEEP = 3  # pre-migration / pre-restore copies kept of each kind
SQLITE_MAGIC = b"SQLite format 3\x00"
_NAME = re.compile(r"^library-(\d{8}-\d{6})(?:-(\d+))?-([a-z0-9-]+)\.sqlite$")
_STAMP = "%Y%m%d-%H%M%S"


class LibraryInUse(Exception):
    """Another Paper Reader (the app or a command) has the library open."""


@dataclass(frozen=True)
class BackupPolicy:
    every_hours: float = DEFAULT_EVERY_HOURS  # 0 turns automatic backups off
    keep: int = DEFAULT_KEEP

    def describe(self) -> str:
        if self.every_hours <= 0:
            return "automatic backups off"
        return f"automatic backups every {self.every_hours:g} h, keeping {self.keep}"


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    kind: str  # auto | manual | pre-migration-vN | pre-restore


@dataclass(frozen=True)
class RestoreReport:
    restored_from: Path
    papers: int
    schema_version: int  # of the restored file (older ones are upgraded on the next open)
    previous_backup: Path | None  # the library as it was before the restore


# -- copies -------------------------------------------------------------------------------------


def copy_database(source: sqlite3.Connection, dest: Path) -> Path:
    """Copy ``source`` to ``dest`` atomically with the online backup API; return ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        target = connect(tmp)  # written once, then a single file: no WAL
        try:
            source.backup(target)
            # A backup is one self-contained file (readable without -wal / -shm beside it).
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def take_backup(
    db_path: Path,
    kind: str,
    source: sqlite3.Connection | None = None,
    now: datetime | None = None,
) -> Path:
    """A new backup of the library at ``db_path`` in its ``backups/`` folder; prunes old ones.

    ``source`` is an already open connection to copy from (else a fresh one is opened);
    ``now`` is the time the backup is filed under (tests).
    """
    dest = _new_backup_path(db_path.parent / BACKUP_DIR, kind, now)
    if source is None:
        with _connection(db_path) as conn:
            copy_database(conn, dest)
    else:
        copy_database(source, dest)
    if kind == "auto":
        prune(db_path.parent, "auto", _keep_from(source, db_path))
    elif kind != "manual":
        prune(db_path.parent, kind, SAFETY_KEEP)
    return dest


def copy_library(db_path: Path, dest: Path) -> Path:
    """A consistent copy of the library at ``db_path`` to ``dest`` (``backup --to``)."""
    with _connection(db_path) as conn:
        return copy_database(conn, dest)


def _keep_from(source: sqlite3.Connection | None, db_path: Path) -> int:
    if source is not None:
        return read_policy(source).keep
    with _connection(db_path) as conn:
        return read_policy(conn).keep


def list_backups(folder: Path) -> list[BackupFile]:
    """The library's backups, oldest first."""
    found = []
    backup_dir = folder / BACKUP_DIR
    if not backup_dir.is_dir():
        return []
    for path in backup_dir.iterdir():
        match = _NAME.match(path.name)
        if match:
            taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append((taken, int(match.group(2) or 0), BackupFile(path, taken, match.group(3))))
    return [b for *_, b in sorted(found, key=lambda t: (t[0], t[1]))]


def prune(folder: Path, kind: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of one kind; return what was deleted."""
    mine = [b for b in list_backups(folder) if b.kind == kind]
    doomed = mine[: max(0, len(mine) - max(keep, 1))]
    for backup in doomed:
        backup.path.unlink(missing_ok=True)
    return [b.path for b in doomed]


def backup_due(folder: Path, policy: BackupPolicy, now: datetime | None = None) -> bool:
    """True when automatic backups are on and the newest backup is older than the period."""
    if policy.every_hours <= 0:
        return False
    backups = list_backups(folder)
    if not backups:
        return True
    now = now or datetime.now(UTC)
    return now - backups[-1].taken_at >= timedelta(hours=policy.every_hours)


def _new_backup_path(backup_dir: Path, kind: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime(_STAMP)
    path = backup_dir / f"library-{stamp}-{kind}.sqlite"
    serial = 1
    while path.exists():  # two backups in one second keep their order
        path = backup_dir / f"library-{stamp}-{serial}-{kind}.sqlite"
        serial += 1
    return path


# -- the schedule ---------------------------------------------------------------------------------


def read_policy(conn: sqlite3.Connection) -> BackupPolicy:
    values = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('backup.every_hours', 'backup.keep')"
        ).fetchall()
    )
    try:
        return BackupPolicy(
            float(values.get("backup.every_hours", DEFAULT_EVERY_HOURS)),
            int(values.get("backup.keep", DEFAULT_KEEP)),
        )
    except ValueError:  # a hand-edited value: fall back to the defaults
        return BackupPolicy()


def policy_rows(policy: BackupPolicy) -> list[tuple[str, str]]:
    if policy.every_hours < 0 or policy.keep < 1:
        raise ValueError("backups: the period must be 0 (off) or more hours, and keep at least 1")
    return [("backup.every_hours", f"{policy.every_hours:g}"), ("backup.keep", str(policy.keep))]


# -- restore ----------------------------------------------------------------------------------


def validate_library_file(
    path: Path, *, full: bool = True, shown_as: Path | None = None
) -> tuple[int, int]:
    """(schema version, papers) of a genuine library file, else ``InvalidLibraryFile`` saying why.

    Genuine: an SQLite file at a schema version this app knows whose schema is exactly the one
    the app makes at that version (no object it did not create: a foreign trigger would run
    inside its writes), and, when ``full``, that passes SQLite's integrity and foreign-key
    checks (they read every page: 1.4 s for 100k papers, 260 MB). Messages name ``shown_as``
    (the file the user offered, when a copy of it is checked) or ``path``.
    """
    name = shown_as or path
    if not path.is_file():
        raise InvalidLibraryFile(f"{name}: no such file")
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise InvalidLibraryFile(f"{name}: not an SQLite database")
    try:
        with _connection(path, readonly=True) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InvalidLibraryFile(
                    f"{name}: written by a newer Paper Reader (schema {version}; this one"
                    f" understands up to {SCHEMA_VERSION})"
                )
            if version < 1:
                raise InvalidLibraryFile(f"{name}: not a Paper Reader library")
            problem = schema_problem(conn, version)
            if problem:
                raise InvalidLibraryFile(f"{name}: not a genuine Paper Reader library: {problem}")
            if full:
                _check_contents(name, conn)
            papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise InvalidLibraryFile(f"{name}: damaged SQLite database ({e})") from None
    return version, papers


def _check_contents(path: Path, conn: sqlite3.Connection) -> None:
    """SQLite's own checks: every page and index (integrity), every reference (foreign keys:
    the app writes with them on, so a dangling one means the file was edited or damaged)."""
    try:
        report = "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check(5)"))
    except sqlite3.DatabaseError as e:  # a page SQLite cannot even parse is raised, not listed
        report = str(e)
    if report != "ok":
        # One line: the report starts "*** in database main ***" and lists a problem a line.
        first = next((ln for ln in report.splitlines() if not ln.startswith("***")), report)
        raise InvalidLibraryFile(f"{path}: failed the integrity check ({first.strip()})")
    dangling = conn.execute("PRAGMA foreign_key_check").fetchone()
    if dangling is not None:
        table, rowid, parent, _ = dangling
        row = f"row {rowid} of '{table}'" if rowid is not None else f"a row of '{table}'"
        raise InvalidLibraryFile(
            f"{path}: failed the foreign-key check ({row} refers to a missing row of '{parent}')"
        )


def restore_library(folder: Path, source: Path) -> RestoreReport:
    """Replace the library in ``folder`` with the library file ``source``.

    Refuses an invalid file (``InvalidLibraryFile``) or a library open elsewhere
    (``LibraryInUse``) without changing anything. Otherwise: copies ``source`` beside the
    library and checks the copy, takes the library over exclusively, backs it up, marks the
    derived data (search index, vectors) for rebuild, and renames the copy into place.
    """
    validate_library_file(source, full=False)  # the quick part, before any copy
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / DB_NAME
    staged = folder / f".restore-{os.getpid()}.sqlite"
    try:
        try:
            with _connection(source, readonly=True) as conn:
                copy_database(conn, staged)
        except sqlite3.DatabaseError as e:
            raise InvalidLibraryFile(f"{source}: damaged SQLite database ({e})") from None
        # What we install is what we check, in full, before the library is touched.
        version, papers = validate_library_file(staged, shown_as=source)
        previous = None
        with _exclusive(db_path) as current:
            if current is not None:
                previous = _copy_locked_file(db_path, "pre-restore")
            _mark_derived_for_rebuild(folder)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            os.replace(staged, db_path)
            _fsync_dir(folder)
    finally:
        staged.unlink(missing_ok=True)
    return RestoreReport(source, papers, version, previous)


@contextlib.contextmanager
def _exclusive(db_path: Path) -> Iterator[sqlite3.Connection | None]:
    """The current library, locked against every other connection (None if there is none).

    Leaving WAL mode needs every other connection closed, so it doubles as the check that
    nobody else has the library open; ``BEGIN EXCLUSIVE`` then keeps newcomers waiting.
    """
    if not db_path.exists():
        yield None
        return
    conn = connect(db_path, timeout=1.0)  # someone holding it: say so, do not wait 30 s
    try:
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            if mode != "delete":
                raise sqlite3.OperationalError(mode)
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise LibraryInUse(
                f"{db_path.parent}: the library is open in another Paper Reader (the app or a"
                " command); close it and try again"
            ) from None
        except sqlite3.DatabaseError:  # the current file is damaged: nothing to keep
            yield None
            return
        yield conn
    finally:
        conn.close()


def _copy_locked_file(db_path: Path, kind: str) -> Path:
    """Back up a library we hold exclusively in rollback-journal mode: the file is the whole
    database then, so a plain copy is exact (the backup API cannot read through our lock)."""
    dest = _new_backup_path(db_path.parent / BACKUP_DIR, kind)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(db_path, tmp)
        _fsync(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    prune(db_path.parent, kind, SAFETY_KEEP)
    return dest


def _mark_derived_for_rebuild(folder: Path) -> None:
    """The index and vectors were made from the old library: rebuild / re-check them. The
    list's kept orders go (their tokens are random, but a library restored from before they
    began, at a fixed token, could meet files of its own future)."""
    shutil.rmtree(folder / list_orders.FOLDER, ignore_errors=True)
    index = folder / "index"
    if index.exists():
        doomed = folder / f".index-discarded-{os.getpid()}"
        os.replace(index, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    if (folder / "vectors" / "meta.json").exists():
        from reader.core.related.vectors import VectorStore

        # Rows are keyed by paper id and a hash of the text they were made from, so a
        # vector that still matches its paper is kept; rev 0 makes `embed` compare them all.
        VectorStore(folder / "vectors").set_rev(0)


# -- helpers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _connection(path: Path, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    conn = connect(path, readonly=readonly)
    try:
        yield conn
    finally:
        conn.close()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
