"""The term store: each paper's ``PaperTerms``, kept beside the vectors (``vectors/terms.sqlite``).

Derived data, like the vectors: rows are keyed by paper id and carry the hash of the text
they were made from, so a row whose paper changed is simply not used (the caller tokenises
that paper itself), and a lost or damaged file only costs speed until ``embed`` refills it.
``rev`` says up to which store revision every paper's row is current.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from reader.core.related.lexical import PaperTerms
from reader.core.sqlite_open import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS terms (
    id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_SIGN = 1 << 63


def _signed(digest: int) -> int:
    """SQLite integers are signed 64-bit; text hashes are unsigned."""
    return digest - (1 << 64) if digest >= _SIGN else digest


class TermStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = self._open()
            except sqlite3.OperationalError:  # locked, read-only: callers do without it
                raise
            except sqlite3.DatabaseError:  # not a database (a damaged copy): start afresh
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        conn = connect(self.path, any_thread=True, wal=True)
        try:
            conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    @property
    def rev(self) -> int:
        with self._lock:
            try:
                row = self._connection().execute("SELECT value FROM meta WHERE key = 'rev'")
                found = row.fetchone()
            except sqlite3.DatabaseError:
                return 0
        return int(found[0]) if found else 0

    def get(self, ids: Sequence[int], digests: Sequence[int]) -> dict[int, PaperTerms]:
        """The stored terms of those papers whose row was made from the text with that hash."""
        wanted = {i: _signed(d) for i, d in zip(ids, digests, strict=True)}
        if not wanted:
            return {}
        sql = f"SELECT id, hash, data FROM terms WHERE id IN ({','.join('?' * len(wanted))})"
        with self._lock:
            try:
                rows = self._connection().execute(sql, list(wanted)).fetchall()
            except sqlite3.DatabaseError:
                return {}
        return {i: PaperTerms.from_bytes(data) for i, h, data in rows if wanted[i] == h}

    def hashes(self) -> dict[int, int]:
        with self._lock:
            try:
                rows = self._connection().execute("SELECT id, hash FROM terms").fetchall()
            except sqlite3.DatabaseError:
                return {}
        return {i: h % (1 << 64) for i, h in rows}

    def put(self, rows: Iterable[tuple[int, int, PaperTerms]], rev: int | None = None) -> None:
        """Store rows (id, text hash, terms) in one transaction, and the new ``rev`` if given."""
        with self._lock:
            conn = self._connection()
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT OR REPLACE INTO terms (id, hash, data) VALUES (?, ?, ?)",
                    ((i, _signed(d), terms.to_bytes()) for i, d, terms in rows),
                )
                if rev is not None:
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('rev', ?)", (rev,))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
