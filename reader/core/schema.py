"""The SQLite schema, one forward migration per version (``PRAGMA user_version``).

Written as SQL, not made by sqlite-utils: the text is the reference a restored file is
checked against (``schema_check``), so it must never change, and sqlite-utils writes its own
(its quoting changed in 4.0) and has no partial, expression or COLLATE index nor WITHOUT
ROWID table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry:
# add a new one. Tests build libraries at every earlier version and migrate them.
MIGRATIONS: list[str] = [
    # 0 -> 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        arxiv_id TEXT UNIQUE,
        doi TEXT UNIQUE,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL,
        title_head TEXT NOT NULL,
        title_tail TEXT NOT NULL,
        abstract TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '[]',
        first_author TEXT NOT NULL DEFAULT '',
        published TEXT,
        updated TEXT,
        year INTEGER,
        categories TEXT NOT NULL DEFAULT '[]',
        primary_category TEXT,
        comments TEXT,
        journal_ref TEXT,
        abs_url TEXT,
        pdf_url TEXT,
        hf_url TEXT,
        upvotes INTEGER,
        added_at TEXT NOT NULL,
        bookmarked INTEGER NOT NULL DEFAULT 0,
        is_read INTEGER NOT NULL DEFAULT 0,
        notes TEXT NOT NULL DEFAULT '',
        rev INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX papers_title_key ON papers(title_key);
    CREATE INDEX papers_title_head ON papers(title_head);
    CREATE INDEX papers_title_tail ON papers(title_tail);
    CREATE INDEX papers_rev ON papers(rev);
    CREATE INDEX papers_published ON papers(published);
    CREATE INDEX papers_added_at ON papers(added_at);
    CREATE INDEX papers_title ON papers(title COLLATE NOCASE);
    CREATE INDEX papers_first_author ON papers(first_author COLLATE NOCASE);
    CREATE INDEX papers_upvotes ON papers(upvotes);
    CREATE INDEX papers_bookmarked ON papers(bookmarked) WHERE bookmarked = 1;
    CREATE INDEX papers_unread ON papers(is_read) WHERE is_read = 0;

    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
    );
    CREATE TABLE paper_tags (
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (paper_id, tag_id)
    ) WITHOUT ROWID;
    CREATE INDEX paper_tags_tag ON paper_tags(tag_id);

    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL
    );
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        format TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        added INTEGER NOT NULL DEFAULT 0,
        merged INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE listings (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        listed_on TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL,
        batch_id INTEGER REFERENCES batches(id),
        UNIQUE (source_id, listed_on, position, paper_id)
    );
    CREATE INDEX listings_paper ON listings(paper_id);
    CREATE TABLE duplicate_candidates (
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        other_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        score REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        PRIMARY KEY (paper_id, other_id)
    ) WITHOUT ROWID;
    CREATE TABLE saved_searches (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL
    );
    """,
    # 1 -> 2: the newest listing day of each paper, kept on the paper, so the list's "Listed"
    # sort is an index scan instead of a max() over listings per paper (200k papers / 350k
    # listings: 700 ms -> 100 ms per sort; the slowest sort before, now the fastest).
    """
    ALTER TABLE papers ADD COLUMN last_listed_on TEXT NOT NULL DEFAULT '';
    UPDATE papers SET last_listed_on = coalesce(
        (SELECT max(l.listed_on) FROM listings l WHERE l.paper_id = papers.id), '');
    CREATE INDEX papers_last_listed_on ON papers(last_listed_on);
    """,
    # 2 -> 3: a Daily Papers page without dates was listed under its file name (the sidebar
    # showed the sample's first page as a source "000_b8207f4c8814c448.txt"); its papers now
    # sit under the Daily Papers source without a day, as the importer lists them since.
    # Listings already there (the page imported again since) are not doubled.
    """
    INSERT OR IGNORE INTO sources (name, kind)
        SELECT 'Daily Papers', 'hf-page' FROM sources
        WHERE kind = 'hf-page' AND name <> 'Daily Papers' LIMIT 1;
    UPDATE OR IGNORE listings
        SET source_id = (SELECT id FROM sources WHERE name = 'Daily Papers')
        WHERE source_id IN
            (SELECT id FROM sources WHERE kind = 'hf-page' AND name <> 'Daily Papers');
    DELETE FROM listings WHERE source_id IN
        (SELECT id FROM sources WHERE kind = 'hf-page' AND name <> 'Daily Papers');
    DELETE FROM sources WHERE kind = 'hf-page' AND name <> 'Daily Papers';
    """,
    # 3 -> 4: online work. ``pdfs``: the offline PDF cache (files in the library's ``pdfs/``
    # folder; a row only once its file is whole and opens), with the reader's last page.
    # ``fulltext``: the text extracted from a paper's PDF, kept here so the index's body field
    # is rebuilt from SQLite like every other field. ``harvests``: where an OAI-PMH harvest
    # got to (its resumption token), so an interrupted harvest resumes. ``offline_pins``:
    # the tags (and the bookmarks, tag '') made available offline; their papers are never
    # evicted from the cache.
    """
    CREATE TABLE pdfs (
        paper_id INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
        file TEXT NOT NULL,
        size INTEGER NOT NULL,
        pages INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        source_url TEXT NOT NULL,
        downloaded_at TEXT NOT NULL,
        last_read_at TEXT,
        last_page INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX pdfs_last_read ON pdfs(coalesce(last_read_at, downloaded_at));
    CREATE TABLE fulltext (
        paper_id INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
        body TEXT NOT NULL,
        pages INTEGER NOT NULL,
        truncated INTEGER NOT NULL DEFAULT 0,
        extracted_at TEXT NOT NULL
    );
    CREATE TABLE harvests (
        name TEXT PRIMARY KEY,
        from_date TEXT,
        until_date TEXT,
        token TEXT,
        fetched INTEGER NOT NULL DEFAULT 0,
        complete_size INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE offline_pins (
        tag TEXT PRIMARY KEY COLLATE NOCASE
    );
    """,
    # 4 -> 5: sync (reader/core/sync). ``sync_outbox``: what changed here since the last
    # sync (a register or notes by key and field; a merge with its details as ``value``),
    # written in the same transaction as the change. ``sync_registers``: the
    # winning clock stamp of each last-writer-wins value (a paper's bookmark, read state, one
    # tag; a saved search), key "p<paper id>" or "s". ``sync_notes``: every version of a
    # paper's notes, with the versions it replaced, so concurrent edits are both kept.
    # ``sync_peers``: how far each other machine's change files are applied. ``sync_sent``:
    # the hash of each paper's record as last sent or received, so a record goes once.
    """
    CREATE TABLE sync_outbox (
        seq INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT
    );
    CREATE TABLE sync_registers (
        key TEXT NOT NULL,
        field TEXT NOT NULL,
        stamp TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (key, field)
    ) WITHOUT ROWID;
    CREATE TABLE sync_notes (
        paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        stamp TEXT NOT NULL,
        parents TEXT NOT NULL,
        node TEXT NOT NULL,
        body TEXT NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (paper_id, stamp)
    ) WITHOUT ROWID;
    CREATE TABLE sync_peers (
        node TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        applied INTEGER NOT NULL
    );
    CREATE TABLE sync_sent (
        paper_id INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
        hash TEXT NOT NULL
    );
    """,
    # 5 -> 6: ``sync_files``: this machine's own change files on the remote, the change
    # numbers each covers (a compacted file covers several) and what it holds, so compaction
    # picks the small ones without downloading any; ``gone`` marks a file compacted into
    # another whose deletion from the remote is still to do (a sync cut off mid-way).
    """
    CREATE TABLE sync_files (
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        papers INTEGER NOT NULL,
        merges INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        gone INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (start, end)
    );
    """,
    # 6 -> 7: bulk imports. ``batches.file_key``: the imported file's resolved path, size and
    # modification time; ``batches.consumed``: how many of its parse results the batch has
    # handled, written in the same transaction as the records they stored, so an import
    # killed mid-way resumes after them. The title blocks' indexes hold the title key too:
    # the near-duplicate check reads a block's keys from the index alone instead of one
    # table row per title (22 vs 38-60 us per block at 100k papers, more as the table grows).
    """
    ALTER TABLE batches ADD COLUMN file_key TEXT;
    ALTER TABLE batches ADD COLUMN consumed INTEGER NOT NULL DEFAULT 0;
    DROP INDEX papers_title_head;
    DROP INDEX papers_title_tail;
    CREATE INDEX papers_title_head ON papers(title_head, title_key);
    CREATE INDEX papers_title_tail ON papers(title_tail, title_key);
    """,
    # 7 -> 8: the list's sort orders kept as derived arrays (``list_orders``). Their token is
    # the highest paper and listing ids (the store's new rows only ever raise them) and
    # ``order_rev``, which these triggers set to a fresh random value whenever a sorted column,
    # a listing or a source's name changes or goes, from any writer (an edit outside the app
    # too): a row inserted below the highest id (or replacing one), a REPLACE, an UPDATE, a
    # DELETE. It starts random too, so a restored or another library never shares a token.
    # The read papers get an index of their own: the unread view is the library minus them,
    # and counting them was a full table scan (2.8 s at 1M papers).
    """
    INSERT OR IGNORE INTO meta VALUES ('order_rev', CAST(random() AS TEXT));
    CREATE TRIGGER papers_order_insert BEFORE INSERT ON papers
        WHEN NEW.id IS NULL OR NEW.id <= (SELECT coalesce(max(id), 0) FROM papers)
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER papers_order_update
        AFTER UPDATE OF id, published, title, first_author, last_listed_on, upvotes, added_at
        ON papers
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER papers_order_delete AFTER DELETE ON papers
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER listings_order_insert AFTER INSERT ON listings
        WHEN NEW.id < (SELECT max(id) FROM listings)
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER listings_order_update AFTER UPDATE ON listings
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER listings_order_delete AFTER DELETE ON listings
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE TRIGGER sources_order_rename AFTER UPDATE OF name ON sources
        BEGIN UPDATE meta SET value = random() WHERE key = 'order_rev'; END;
    CREATE INDEX papers_read ON papers(id) WHERE is_read = 1;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class LibraryTooNew(Exception):
    """The library was written by a newer Paper Reader than this one."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_if_too_new(conn: sqlite3.Connection) -> int:
    """The library's schema version; ``LibraryTooNew`` (nothing written) if above ours."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise LibraryTooNew(
            f"this library has schema version {current}; this Paper Reader understands up to "
            f"{SCHEMA_VERSION}. Please upgrade Paper Reader."
        )
    return current


def migrate(conn: sqlite3.Connection, before_migration: Callable[[int], None] | None = None) -> int:
    """Bring the schema to ``SCHEMA_VERSION``, one transaction per step; return the old version.

    ``before_migration(old_version)`` runs first when an existing library needs upgrading
    (the library takes a backup there). A library holding a trigger or view this app did not
    create is refused first (``InvalidLibraryFile``): it would run inside our own writes.
    """
    from reader.core.schema_check import refuse_foreign_objects  # it imports this module

    current = refuse_if_too_new(conn)
    refuse_foreign_objects(conn)
    if current < SCHEMA_VERSION and current > 0 and before_migration is not None:
        before_migration(current)
    for version in range(current, SCHEMA_VERSION):
        # One transaction per step (the connection is in autocommit mode, so we manage it):
        # a crash leaves the previous version intact.
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            if refuse_if_too_new(conn) > version:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return current


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit implicitly)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return [s for s in statements if s]
