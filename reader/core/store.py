"""The SQLite store of record: connection discipline, batched identity-resolving writes, reads.

The connection is in autocommit mode and every write runs inside an explicit
``BEGIN IMMEDIATE … COMMIT`` taken under a lock, so a crash leaves whole batches or
nothing. Every write bumps a change counter (``meta.rev``) and stamps the papers it
touched; derived data (the search index, vectors) catches up by that counter.

Writes and reads are raw sqlite3, not sqlite-utils: its ``insert_all`` / ``upsert_all`` took
1.6-2.2x as long on 20,000 real rows, and ``insert_all`` tells only the last row's id where
the identity resolution needs each new paper's (``benchmarks/bench_sqlite_utils.py`` has
the numbers, place by place). So sqlite-utils is no dependency of the app; the benchmark
keeps measuring it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from more_itertools import chunked

from reader.core.identity import Resolver, near_duplicates, normalise_arxiv_id, owner_of
from reader.core.merge import merged_changes, record_to_row
from reader.core.model import Listing, Paper, PaperRecord
from reader.core.schema import migrate, refuse_if_too_new
from reader.core.sqlite_open import connect
from reader.core.sync.journal import SAVED, paper_key, tag_field

if TYPE_CHECKING:
    from reader.core.sync.journal import Journal

# meta.rev, or a higher stamp found on a paper (an edit made outside the library)
_REV_SQL = "max(CAST(value AS INTEGER), (SELECT coalesce(max(rev), 0) FROM papers))"


class PaperNotFound(LookupError):
    """No paper with that id or arXiv id."""


class LibraryBusy(Exception):
    """Another process kept the library's write lock for longer than the busy timeout."""


@dataclass
class WriteOutcome:
    added: int = 0
    merged: int = 0
    unchanged: int = 0
    touched: list[int] = field(default_factory=list)  # ids added or changed


@dataclass(frozen=True)
class BatchProgress:
    """How far an import batch has got, written in the transaction of the records it
    stored: a killed import's next run resumes after them."""

    consumed: int  # the file's parse results handled so far (stored, merged or rejected)
    counts: dict[str, int]  # added, merged, unchanged, rejected
    errors: list[dict[str, Any]]  # the errors kept so far


@dataclass
class EnrichOutcome:
    paper_id: int  # the paper that holds the record now
    changed: bool
    merged_into: int | None = None  # the enriched paper was this one's duplicate and is gone


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """One library's ``library.sqlite``."""

    def __init__(
        self,
        path: Path,
        *,
        readonly: bool = False,
        before_migration: Callable[[sqlite3.Connection, int], None] | None = None,
    ) -> None:
        """Open (creating or upgrading) a library file.

        A library newer than this app raises ``LibraryTooNew`` before anything is written;
        ``before_migration(conn, old_version)`` runs before an existing library is upgraded.
        """
        self.path = path
        self._lock = threading.RLock()
        self.conn = connect(
            path,
            readonly=readonly,
            any_thread=True,
            rows=True,
            check=refuse_if_too_new,  # before WAL: a refused library stays byte-identical
            wal=not readonly,
            # 64 MB of page cache (SQLite's default is 2 MB): inserts touch a dozen indexes
            # of a big table at random places; 100k papers stored 13 % faster.
            cache_mb=0 if readonly else 64,
        )
        if not readonly:
            hook = None if before_migration is None else partial(before_migration, self.conn)
            try:
                migrate(self.conn, hook)
            except BaseException:  # a refused or failed upgrade: let go of the file now
                self.conn.close()
                raise
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('rev', '0')")
        self.journal = self._open_journal()

    def _open_journal(self) -> Journal | None:
        """The sync journal, once this library has been synced (``start_journal``)."""
        from reader.core.sync.journal import NAME_KEY, NODE_KEY, Journal

        found = dict(
            self.conn.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", (NODE_KEY, NAME_KEY)
            ).fetchall()
        )
        return Journal(found[NODE_KEY], found.get(NAME_KEY, "")) if NODE_KEY in found else None

    def start_journal(self, node: str, name: str) -> Journal:
        """Start recording changes for sync, with the library's state as it is now."""
        from reader.core.sync.journal import NAME_KEY, NODE_KEY, Journal

        with self.transaction():
            if self.journal is None:
                journal = Journal(node, name)
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (NODE_KEY, node))
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (NAME_KEY, name))
                journal.baseline(self.conn)
                self.journal = journal
        return self.journal

    def next_rev(self) -> int:
        """Inside a transaction: the change number to stamp the papers it writes with."""
        return self._bump_rev()

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # -- transactions and the change counter -------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; waits up to the busy timeout for another writer."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
                raise LibraryBusy(
                    "another Paper Reader is writing to this library and did not finish within"
                    " 30 s; try again when it is done"
                ) from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk): a second
                # ROLLBACK would replace the real error with "no transaction is active".
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _bump_rev(self) -> int:
        """Inside a transaction: the next change number (above every paper's stamp, even
        one written behind the library's back)."""
        self.conn.execute(f"UPDATE meta SET value = {_REV_SQL} + 1 WHERE key = 'rev'")
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'rev'").fetchone()[0])

    def rev(self) -> int:
        """The change counter: never below any paper's stamp, so catch-up reaches them all."""
        row = self.conn.execute(f"SELECT {_REV_SQL} FROM meta WHERE key = 'rev'").fetchone()
        return int(row[0]) if row else 0

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- import batches ------------------------------------------------------------------

    def start_batch(
        self, file: str, fmt: str, file_key: str | None = None, consumed: int = 0
    ) -> int:
        """A new import batch of ``file``; ``file_key`` tells the same file again (its
        resolved path, size and modification time), ``consumed`` how much of it an
        interrupted import had stored (skipped by this one)."""
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO batches (file, format, started_at, file_key, consumed)"
                " VALUES (?, ?, ?, ?, ?)",
                (file, fmt, now_iso(), file_key, consumed),
            )
            return int(cur.lastrowid or 0)

    def resume_point(self, file_key: str) -> int:
        """How many parse results of the file ``file_key`` are stored, when its last import
        was interrupted (killed, crashed); 0 otherwise."""
        row = self.conn.execute(
            "SELECT status, consumed FROM batches WHERE file_key = ? ORDER BY id DESC LIMIT 1",
            (file_key,),
        ).fetchone()
        return int(row[1]) if row is not None and row[0] == "interrupted" else 0

    def mark_interrupted_batches(self) -> int:
        """Batches still "running" whose import died: mark them "interrupted"."""
        running = self.conn.execute("SELECT count(*) FROM batches WHERE status = 'running'")
        if not running.fetchone()[0]:
            return 0  # the usual case: no write at all
        with self.transaction():
            return self.conn.execute(
                "UPDATE batches SET status = 'interrupted', finished_at = ?"
                " WHERE status = 'running'",
                (now_iso(),),
            ).rowcount

    def record_progress(self, batch_id: int, progress: BatchProgress) -> None:
        with self.transaction():
            self._record_progress(batch_id, progress)

    def finish_batch(self, batch_id: int, status: str, progress: BatchProgress) -> None:
        with self.transaction():
            self._record_progress(batch_id, progress)
            self.conn.execute(
                "UPDATE batches SET finished_at = ?, status = ? WHERE id = ?",
                (now_iso(), status, batch_id),
            )

    def _record_progress(self, batch_id: int, progress: BatchProgress) -> None:
        counts = progress.counts
        self.conn.execute(
            "UPDATE batches SET consumed = ?, added = ?, merged = ?, unchanged = ?,"
            " rejected = ?, errors = ? WHERE id = ?",
            (
                progress.consumed,
                counts["added"],
                counts["merged"],
                counts["unchanged"],
                counts["rejected"],
                json.dumps(progress.errors, ensure_ascii=False),
                batch_id,
            ),
        )

    # -- writing records -------------------------------------------------------------------

    def write_records(
        self,
        records: Sequence[PaperRecord],
        batch_id: int | None,
        progress: BatchProgress | None = None,
    ) -> WriteOutcome:
        """Resolve identities and store one batch of records in one transaction (with
        ``progress``: how far the import batch ``batch_id`` has got, in the same one).

        New papers are held back until the batch is resolved and then inserted with one
        prepared ``executemany`` (ids assigned here, as SQLite would: the write lock is
        held), as are listings; a paper merged into several times gets one UPDATE."""
        rows = [record_to_row(r) for r in records]
        outcome = WriteOutcome()
        with self.transaction():
            rev = self._bump_rev()
            resolver = Resolver(self.conn, rows)
            next_id = self._max_paper_id() + 1
            touched: dict[int, None] = {}
            new: dict[int, dict[str, Any]] = {}  # paper id -> its row, in insertion order
            updates: dict[int, dict[str, Any]] = {}  # stored paper id -> its column changes
            listings: list[tuple[int, Listing]] = []
            for record, row in zip(records, rows, strict=True):
                existing, row = resolver.match(row)
                if existing is None:
                    paper_id, next_id = next_id, next_id + 1
                    resolver.remember(paper_id, row)
                    new[paper_id] = row
                    outcome.added += 1
                    touched[paper_id] = None
                else:
                    paper_id = existing["id"]
                    changes = merged_changes(existing, row)
                    if changes:
                        existing.update(changes)
                        resolver.remember(paper_id, existing)
                        if paper_id in new:
                            new[paper_id].update(changes)
                        else:
                            updates.setdefault(paper_id, {}).update(changes)
                            outcome.merged += 1
                        touched[paper_id] = None
                    elif paper_id not in new:
                        outcome.unchanged += 1
                if record.listing is not None:
                    listings.append((paper_id, record.listing))
            self._insert_papers(new, listings, now_iso(), rev)
            for paper_id, changes in updates.items():
                self._update_paper(paper_id, changes, rev)
            self._add_listings(listings, batch_id, new)
            self.conn.executemany(  # for review, never merged
                "INSERT OR IGNORE INTO duplicate_candidates (paper_id, other_id, score)"
                " VALUES (?, ?, ?)",
                near_duplicates(self.conn, new),
            )
            if progress is not None and batch_id is not None:
                self._record_progress(batch_id, progress)
            outcome.touched = list(touched)
        return outcome

    def _max_paper_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM papers").fetchone()[0])

    def _insert_papers(
        self,
        new: dict[int, dict[str, Any]],
        listings: list[tuple[int, Listing]],
        added_at: str,
        rev: int,
    ) -> None:
        """Insert the batch's new papers, each with its newest listing day already set."""
        if not new:
            return
        last_listed: dict[int, str] = {}
        for paper_id, listing in listings:
            if paper_id in new and listing.listed_on > last_listed.get(paper_id, ""):
                last_listed[paper_id] = listing.listed_on
        columns = [*next(iter(new.values())), "id", "added_at", "rev", "last_listed_on"]
        self.conn.executemany(
            f"INSERT INTO papers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (
                (*row.values(), paper_id, added_at, rev, last_listed.get(paper_id, ""))
                for paper_id, row in new.items()
            ),
        )

    def _update_paper(self, paper_id: int, changes: dict[str, Any], rev: int) -> None:
        assignments = ", ".join(f"{c} = ?" for c in changes)
        self.conn.execute(
            f"UPDATE papers SET {assignments}, rev = ? WHERE id = ?",
            [*changes.values(), rev, paper_id],
        )

    def _add_listings(
        self,
        listings: list[tuple[int, Listing]],
        batch_id: int | None,
        new: dict[int, dict[str, Any]],
    ) -> None:
        """The batch's listings (each source looked up once); the newest listing day of
        the stored papers listed again (``_insert_papers`` set the new papers')."""
        sources: dict[str, int] = {}
        for _, listing in listings:
            if listing.source not in sources:
                sources[listing.source] = self._source_id(listing.source, listing.kind)
        self.conn.executemany(
            "INSERT OR IGNORE INTO listings (paper_id, source_id, listed_on, position, batch_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (paper_id, sources[lst.source], lst.listed_on, lst.position, batch_id)
                for paper_id, lst in listings
            ),
        )
        self.conn.executemany(
            "UPDATE papers SET last_listed_on = ? WHERE id = ? AND last_listed_on < ?",
            (
                (lst.listed_on, paper_id, lst.listed_on)
                for paper_id, lst in listings
                if lst.listed_on and paper_id not in new
            ),
        )

    def _source_id(self, name: str, kind: str) -> int:
        row = self.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return int(row[0])
        cur = self.conn.execute("INSERT INTO sources (name, kind) VALUES (?, ?)", (name, kind))
        return int(cur.lastrowid or 0)

    # -- enrichment (a record looked up online for a stored paper) -------------------------

    def enrich(self, paper_id: int, record: PaperRecord) -> EnrichOutcome:
        """Fill a paper from the record found for it, in one transaction stamped for the
        index: empty or poorer imported fields only (``merged_changes``), never user fields,
        never its title. When another paper already holds the record's arXiv id (or its DOI)
        the two are one paper: that one survives and this one's fields, tags, notes (both
        kept), bookmark, read state, listings, PDF and text move to it; this row goes."""
        row = record_to_row(record)
        with self.transaction():
            me = self.conn.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()
            if me is None:
                raise PaperNotFound(f"no paper with id {paper_id}")
            mine = dict(me)
            owner, row = owner_of(self.conn, mine, row)
            rev = self._bump_rev()
            if owner is None:
                changes = merged_changes(mine, row)
                if changes:
                    self._update_paper(paper_id, changes, rev)
                return EnrichOutcome(paper_id, bool(changes))
            self._merge_paper(mine, owner, row, rev)
            return EnrichOutcome(owner["id"], True, merged_into=owner["id"])

    def _merge_paper(
        self, gone: dict[str, Any], survivor: dict[str, Any], row: dict[str, Any], rev: int
    ) -> None:
        """Inside a transaction: ``gone`` is ``survivor``'s duplicate; move it over, delete it."""
        keep, old = survivor["id"], gone["id"]
        for table in ("paper_tags", "listings", "pdfs", "fulltext"):
            self.conn.execute(
                f"UPDATE OR IGNORE {table} SET paper_id = ? WHERE paper_id = ?", (keep, old)
            )
        for column, other in (("paper_id", "other_id"), ("other_id", "paper_id")):
            self.conn.execute(
                f"UPDATE OR IGNORE duplicate_candidates SET {column} = ?"
                f" WHERE {column} = ? AND {other} != ?",
                (keep, old, keep),
            )
        if self.journal:
            self.journal.merged(self.conn, gone, keep, row)
        self.conn.execute("DELETE FROM papers WHERE id = ?", (old,))  # its leftovers cascade
        changes = merged_changes(survivor, gone)
        merged = {**survivor, **changes}
        changes |= merged_changes(merged, row)
        notes = [n for n in dict.fromkeys((survivor["notes"], gone["notes"])) if n.strip()]
        changes |= {
            "notes": "\n\n".join(notes),
            "bookmarked": max(survivor["bookmarked"], gone["bookmarked"]),
            "is_read": max(survivor["is_read"], gone["is_read"]),
            "last_listed_on": max(survivor["last_listed_on"], gone["last_listed_on"]),
        }
        self._update_paper(keep, changes, rev)

    # -- user state --------------------------------------------------------------------------

    def set_flag(self, paper_ids: Iterable[int], column: str, value: bool) -> None:
        if column not in ("bookmarked", "is_read"):
            raise ValueError(column)
        ids = list(paper_ids)
        with self.transaction():
            rev = self._bump_rev()
            self.conn.executemany(
                f"UPDATE papers SET {column} = ?, rev = ? WHERE id = ?",
                [(int(value), rev, i) for i in ids],
            )
            if self.journal:
                self.journal.set(self.conn, [(paper_key(i), column, int(value)) for i in ids])

    def set_notes(self, paper_id: int, notes: str) -> None:
        with self.transaction():
            rev = self._bump_rev()
            self.conn.execute(
                "UPDATE papers SET notes = ?, rev = ? WHERE id = ?", (notes, rev, paper_id)
            )
            if self.journal:
                self.journal.note(self.conn, paper_id, notes)

    # -- full text (a PDF's extracted text; the index's body field) -------------------------

    def set_fulltext(self, paper_id: int, body: str, pages: int, truncated: bool) -> None:
        """Store a paper's extracted text, stamping the paper so the index catches up."""
        with self.transaction():
            rev = self._bump_rev()
            stamped = self.conn.execute("UPDATE papers SET rev = ? WHERE id = ?", (rev, paper_id))
            if not stamped.rowcount:
                raise PaperNotFound(f"no paper with id {paper_id}")
            self.conn.execute(
                "INSERT OR REPLACE INTO fulltext VALUES (?, ?, ?, ?, ?)",
                (paper_id, body, pages, int(truncated), now_iso()),
            )

    def delete_fulltext(self, paper_ids: Iterable[int]) -> int:
        """Forget the papers' extracted text (the index drops it on catch-up); how many had one."""
        ids = list(paper_ids)
        with self.transaction():
            rev = self._bump_rev()
            deleted = 0
            for chunk in chunked(ids, 500):
                marks = ",".join("?" * len(chunk))
                gone = self.conn.execute(
                    f"DELETE FROM fulltext WHERE paper_id IN ({marks}) RETURNING paper_id", chunk
                ).fetchall()
                self.conn.executemany(
                    "UPDATE papers SET rev = ? WHERE id = ?", [(rev, r[0]) for r in gone]
                )
                deleted += len(gone)
        return deleted

    def fulltext(self, paper_ids: Sequence[int]) -> dict[int, str]:
        """The extracted text of those of the papers that have one."""
        found: dict[int, str] = {}
        for chunk in chunked(paper_ids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                f"SELECT paper_id, body FROM fulltext WHERE paper_id IN ({marks})", chunk
            )
            found.update((r[0], r[1]) for r in rows)
        return found

    def add_tags(self, paper_ids: Iterable[int], tags: Iterable[str]) -> None:
        ids, names = list(paper_ids), [t for t in tags if t]
        with self.transaction():
            rev = self._bump_rev()
            for name in names:
                self.conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
                tag_id = self.conn.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()
                self.conn.executemany(
                    "INSERT OR IGNORE INTO paper_tags VALUES (?, ?)", [(i, tag_id[0]) for i in ids]
                )
                if self.journal:
                    on = {"name": name, "on": True}
                    self.journal.set(self.conn, [(paper_key(i), tag_field(name), on) for i in ids])
            self.conn.executemany("UPDATE papers SET rev = ? WHERE id = ?", [(rev, i) for i in ids])

    def remove_tags(self, paper_ids: Iterable[int], tags: Iterable[str]) -> None:
        ids, names = list(paper_ids), list(tags)
        with self.transaction():
            rev = self._bump_rev()
            for name in names:
                self.conn.executemany(
                    "DELETE FROM paper_tags WHERE paper_id = ?"
                    " AND tag_id = (SELECT id FROM tags WHERE name = ?)",
                    [(i, name) for i in ids],
                )
                if self.journal:
                    off = {"name": name, "on": False}
                    self.journal.set(self.conn, [(paper_key(i), tag_field(name), off) for i in ids])
            self.conn.execute(
                "DELETE FROM tags WHERE id NOT IN (SELECT DISTINCT tag_id FROM paper_tags)"
            )
            self.conn.executemany("UPDATE papers SET rev = ? WHERE id = ?", [(rev, i) for i in ids])

    def save_search(self, name: str, query: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO saved_searches (name, query) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET query = excluded.query",
                (name, query),
            )
            if self.journal:
                self.journal.set(self.conn, [(SAVED, name, query)])

    def delete_saved_search(self, name: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM saved_searches WHERE name = ?", (name,))
            if self.journal:
                self.journal.set(self.conn, [(SAVED, name, None)])

    # -- reading -----------------------------------------------------------------------------

    def resolve(self, ref: str | int) -> int:
        """An integer id or an arXiv id (any form) -> the paper's id."""
        text = str(ref).strip()
        with self._lock:
            return self._resolve(text)

    def _resolve(self, text: str) -> int:
        if text.isdigit():
            row = self.conn.execute("SELECT id FROM papers WHERE id = ?", (int(text),)).fetchone()
            if row:
                return int(row[0])
        arxiv_id = normalise_arxiv_id(text)
        if arxiv_id:
            row = self.conn.execute(
                "SELECT id FROM papers WHERE arxiv_id = ?", (arxiv_id,)
            ).fetchone()
            if row:
                return int(row[0])
        raise PaperNotFound(f"no paper with id or arXiv id {text!r}")

    def paper(self, paper_id: int) -> Paper:
        papers = self.papers([paper_id], with_listings=True)
        if not papers:
            raise PaperNotFound(f"no paper with id {paper_id}")
        return papers[0]

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Run a read under the connection's lock (worker threads share the connection)."""
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def papers(self, ids: Sequence[int], *, with_listings: bool = False) -> list[Paper]:
        """Papers in the order of ``ids`` (missing ids are skipped)."""
        if not ids:
            return []
        with self._lock:
            return self._papers(ids, with_listings)

    def _papers(self, ids: Sequence[int], with_listings: bool) -> list[Paper]:
        found: dict[int, Paper] = {}
        for chunk in chunked(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
                found[row["id"]] = _paper_from_row(row)
            tag_rows = self.conn.execute(
                f"SELECT pt.paper_id, t.name FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id"
                f" WHERE pt.paper_id IN ({marks}) ORDER BY t.name COLLATE NOCASE",
                chunk,
            )
            for paper_id, name in tag_rows:
                found[paper_id].tags.append(name)
            if with_listings:
                listing_rows = self.conn.execute(
                    "SELECT l.paper_id, s.name, s.kind, l.position, l.listed_on FROM listings l"
                    f" JOIN sources s ON s.id = l.source_id WHERE l.paper_id IN ({marks})"
                    " ORDER BY l.listed_on, l.id",
                    chunk,
                )
                for paper_id, name, kind, position, listed_on in listing_rows:
                    found[paper_id].listings.append(Listing(name, kind, position, listed_on))
        return [found[i] for i in ids if i in found]

    def changed_since(self, rev: int) -> Iterator[sqlite3.Row]:
        """Papers changed after ``rev``, oldest change first, with their tags joined in."""
        return self.conn.execute(
            "SELECT p.*, (SELECT group_concat(t.name, char(31)) FROM paper_tags pt"
            " JOIN tags t ON t.id = pt.tag_id WHERE pt.paper_id = p.id) AS tag_names"
            " FROM papers p WHERE p.rev > ? ORDER BY p.rev, p.id",
            (rev,),
        )

    def count(self, table: str = "papers") -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def is_empty(self) -> bool:
        """No papers (at once at any size: a count reads an index of every paper)."""
        return self.conn.execute("SELECT 1 FROM papers LIMIT 1").fetchone() is None

    def stats(self) -> dict[str, int]:
        with self._lock:
            return self._stats()

    def _stats(self) -> dict[str, int]:
        one = self.conn.execute
        return {
            "papers": self.count("papers"),
            "listings": self.count("listings"),
            "sources": self.count("sources"),
            "tags": self.count("tags"),
            "bookmarked": one("SELECT count(*) FROM papers WHERE bookmarked = 1").fetchone()[0],
            "unread": one("SELECT count(*) FROM papers WHERE is_read = 0").fetchone()[0],
            "duplicate_candidates": one(
                "SELECT count(*) FROM duplicate_candidates WHERE status = 'open'"
            ).fetchone()[0],
            "imports": self.count("batches"),
        }

    def tag_counts(self) -> list[tuple[str, int]]:
        return [
            (name, n)
            for name, n in self.conn.execute(
                "SELECT t.name, count(*) FROM tags t JOIN paper_tags pt ON pt.tag_id = t.id"
                " GROUP BY t.id ORDER BY t.name COLLATE NOCASE"
            )
        ]

    def all_ids(self) -> Iterator[int]:
        return (row[0] for row in self.conn.execute("SELECT id FROM papers ORDER BY id"))


def _paper_from_row(row: sqlite3.Row) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        authors=json.loads(row["authors"]),
        arxiv_id=row["arxiv_id"],
        doi=row["doi"],
        published=row["published"],
        updated=row["updated"],
        categories=json.loads(row["categories"]),
        comments=row["comments"],
        journal_ref=row["journal_ref"],
        abs_url=row["abs_url"],
        pdf_url=row["pdf_url"],
        hf_url=row["hf_url"],
        upvotes=row["upvotes"],
        added_at=row["added_at"],
        bookmarked=bool(row["bookmarked"]),
        read=bool(row["is_read"]),
        notes=row["notes"],
    )
