"""Storage problems are told by the error's type and code, from real failures: a database
that reaches its size limit, a real full disk (a small tmpfs, as root), a read-only folder
(a read-only bind mount as root, else no write permission), a missing folder; and errors
about the data, or with storage words in their message, are not storage problems."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli import _describe
from reader.core.library import Library
from reader.core.storage_errors import (
    LibraryUnavailable,
    StorageKind,
    is_storage_error,
    storage_kind,
    storage_problem,
)
from tests.mounts import read_only, small_disk


def connect(path: Path | str, wal: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    return conn


def _error(action: Callable[[], object]) -> Exception:
    with pytest.raises((sqlite3.Error, OSError)) as caught:
        action()
    return caught.value


def test_a_database_at_its_size_limit_is_full(tmp_path: Path):
    conn = connect(tmp_path / "x.sqlite")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count = 3")  # SQLite's own SQLITE_FULL, as on a full disk
    error = _error(lambda: conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 9))
    assert storage_kind(error) is StorageKind.FULL and is_storage_error(error)
    assert "the disk holding the library is full" in _describe(error)


def test_a_full_disk_is_full_for_sqlite_and_the_os(tmp_path: Path):
    with small_disk(tmp_path / "disk", "128k") as disk:
        conn = connect(disk / "x.sqlite", wal=True)
        conn.execute("CREATE TABLE t (x)")
        error = _error(lambda: conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 100))
        conn.close()
        assert storage_kind(error) is StorageKind.FULL
        assert storage_problem(disk, error).startswith("the disk is full")

        def fill() -> None:
            with open(disk / "filler", "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()

        error = _error(fill)
        assert storage_kind(error) is StorageKind.FULL
        assert "full" in _describe(error)


def test_a_read_only_folder_is_read_only(tmp_path: Path):
    folder = tmp_path / "library"
    Library(folder).close()
    plain = folder / "plain.sqlite"  # a rollback-journal file: SQLite opens it read-only
    with contextlib.closing(connect(plain)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with read_only(folder):
        with contextlib.closing(connect(plain)) as conn:
            error = _error(lambda: conn.execute("INSERT INTO t VALUES (1)"))
        assert storage_kind(error) is StorageKind.READ_ONLY
        assert "the disk holding the library is read-only" in _describe(error)
        assert is_storage_error(_error(lambda: connect(folder / "library.sqlite", wal=True)))
        with pytest.raises(LibraryUnavailable, match="read-only"):
            Library(folder)


def test_a_missing_folder_cannot_be_opened(tmp_path: Path):
    error = _error(lambda: connect(tmp_path / "no" / "such" / "library.sqlite"))
    assert storage_kind(error) is StorageKind.CANNOT_OPEN and is_storage_error(error)
    assert storage_problem(tmp_path / "no" / "such", error) == str(error)


def test_problems_with_the_data_are_not_storage_problems(tmp_path: Path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is no database, " * 100)
    error = _error(lambda: connect(garbage).execute("SELECT * FROM sqlite_master").fetchall())
    assert error.sqlite_errorcode == sqlite3.SQLITE_NOTADB
    assert storage_kind(error) is None and not is_storage_error(error)

    # A message is not a classification: a trigger can say anything.
    conn = connect(":memory:")
    conn.executescript(
        "CREATE TABLE t (x);"
        " CREATE TRIGGER t_full BEFORE INSERT ON t"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full; readonly database'); END;"
    )
    error = _error(lambda: conn.execute("INSERT INTO t VALUES (1)"))
    assert "disk is full" in str(error)
    assert storage_kind(error) is None and not is_storage_error(error)
    assert _describe(error) == str(error)


def test_errors_that_are_not_sqlite_or_os_errors_are_not_storage_problems():
    assert storage_kind(ValueError("disk is full")) is None
    assert not is_storage_error(ValueError("disk is full"))
    assert storage_kind(sqlite3.OperationalError("disk is full")) is None  # no SQLite code
