"""The one SQLite opener: its settings, read-only connections, the check before WAL, and
that nothing in the app opens SQLite another way."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import reader
from reader.core.schema import LibraryTooNew, refuse_if_too_new
from reader.core.sqlite_open import connect


def _pragma(conn: sqlite3.Connection, name: str) -> object:
    return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_every_connection_has_the_library_settings(tmp_path: Path):
    conn = connect(tmp_path / "x.sqlite")
    assert conn.isolation_level is None  # autocommit: the code says BEGIN itself
    assert _pragma(conn, "foreign_keys") == 1
    assert _pragma(conn, "busy_timeout") == 30_000
    assert _pragma(conn, "journal_mode") == "delete"  # WAL only when asked for
    assert conn.row_factory is None
    conn.execute("CREATE TABLE t (x)")
    assert not conn.in_transaction
    conn.close()


def test_a_writer_gets_wal_normal_sync_and_its_cache(tmp_path: Path):
    conn = connect(tmp_path / "x.sqlite", wal=True, cache_mb=64, rows=True, timeout=1.0)
    assert _pragma(conn, "journal_mode") == "wal"
    assert _pragma(conn, "synchronous") == 1  # NORMAL
    assert _pragma(conn, "cache_size") == -65536
    assert _pragma(conn, "busy_timeout") == 1000
    assert isinstance(conn.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)
    conn.close()


def test_read_only_refuses_writes_and_creates_nothing(tmp_path: Path):
    with pytest.raises(sqlite3.OperationalError):
        connect(tmp_path / "missing.sqlite", readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()
    writer = connect(tmp_path / "x.sqlite", wal=True)
    writer.execute("CREATE TABLE t (x)")
    reader_conn = connect(tmp_path / "x.sqlite", readonly=True, any_thread=True)
    assert _pragma(reader_conn, "query_only") == 1
    with pytest.raises(sqlite3.OperationalError) as caught:
        reader_conn.execute("INSERT INTO t VALUES (1)")
    assert caught.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY
    writer.execute("INSERT INTO t VALUES (2)")
    assert reader_conn.execute("SELECT x FROM t").fetchall() == [(2,)]
    reader_conn.close()
    writer.close()


def test_a_refused_file_stays_byte_identical(tmp_path: Path):
    path = tmp_path / "newer.sqlite"
    conn = connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(LibraryTooNew):
        connect(path, check=refuse_if_too_new, wal=True)
    assert path.read_bytes() == before  # the check ran before WAL rewrote the header
    assert not Path(f"{path}-wal").exists()


def test_only_the_opener_calls_sqlite3_connect():
    package = Path(reader.__file__).parent
    callers = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if re.search(r"\bsqlite3\.connect\(", p.read_text(encoding="utf-8"))
    ]
    assert callers == ["core/sqlite_open.py"]
