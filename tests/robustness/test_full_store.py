"""SQLite's own "disk is full" (SQLITE_FULL) inside a write: the real error comes out, the
batch is gone whole, and the store stays usable. ``PRAGMA max_page_count`` makes SQLite
hit SQLITE_FULL exactly as on a full disk, without root or a mount."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reader.core.model import PaperRecord
from reader.core.store import Store


def records(start: int, count: int) -> list[PaperRecord]:
    return [
        PaperRecord(title=f"Paper {i} on a full disk", abstract="words " * 400, arxiv_id=None)
        for i in range(start, start + count)
    ]


def test_a_full_database_reports_itself_and_the_store_keeps_working(tmp_path: Path):
    store = Store(tmp_path / "library.sqlite")
    store.write_records(records(0, 10), None)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 5}")
    with pytest.raises(sqlite3.OperationalError, match="full"):  # not "cannot rollback"
        store.write_records(records(10, 500), None)
    assert not store.conn.in_transaction
    assert store.count() == 10  # the whole batch is gone, nothing of it kept
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    store.write_records(records(10, 500), None)  # the next transaction starts cleanly
    assert store.count() == 510
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
