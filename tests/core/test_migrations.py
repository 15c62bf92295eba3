"""Upgrades: libraries built at every earlier schema version migrate with their data intact."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path
from unittest import mock

import pytest

from reader.core import schema
from reader.core.backup import list_backups, validate_library_file
from reader.core.library import Library
from reader.core.schema import MIGRATIONS, SCHEMA_VERSION, LibraryTooNew
from reader.core.views import View, Views

FIXTURES = Path(__file__).parent / "fixtures"
# The DDL of every released version, frozen the day it shipped: add one file per new version.
FROZEN_DDL = {
    1: FIXTURES / "schema_v1.sql",
    2: FIXTURES / "schema_v2.sql",
    3: FIXTURES / "schema_v3.sql",
    4: FIXTURES / "schema_v4.sql",
    5: FIXTURES / "schema_v5.sql",
    6: FIXTURES / "schema_v6.sql",
    7: FIXTURES / "schema_v7.sql",
}


def _normalised(sql: str) -> str:
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"\s+", " ", sql).strip()


def build_v1_library(folder: Path) -> Path:
    """A version-1 library as Paper Reader 1 wrote it: two papers with every kind of user data."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "library.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(FROZEN_DDL[1].read_text())
    conn.executescript(
        """
        INSERT INTO meta VALUES ('rev', '7'), ('custom', 'kept');
        INSERT INTO papers (id, arxiv_id, doi, title, title_key, title_head, title_tail,
            abstract, authors, first_author, published, year, categories, added_at,
            bookmarked, is_read, notes, rev, upvotes)
        VALUES
            (1, '2305.10601', '10.48550/arxiv.2305.10601', 'Tree of Thoughts',
             'tree of thoughts', 'tree', 'thoughts', 'Deliberate problem solving with trees.',
             '["Shunyu Yao"]', 'Shunyu Yao', '2023-05-17', 2023, '["cs.CL"]',
             '2024-01-01T00:00:00Z', 1, 1, 'my notes', 5, 12),
            (2, NULL, NULL, 'Unlisted Paper', 'unlisted paper', 'unlisted', 'paper',
             'A paper with no listing at all.', '[]', '', NULL, NULL, '[]',
             '2024-01-02T00:00:00Z', 0, 0, '', 7, NULL);
        INSERT INTO tags (id, name) VALUES (1, 'reasoning'), (2, 'ml/llm');
        INSERT INTO paper_tags VALUES (1, 1), (1, 2);
        INSERT INTO sources (id, name, kind) VALUES (1, 'hf-daily', 'page');
        INSERT INTO batches (id, file, format, started_at, status, added)
            VALUES (1, 'page.txt', 'hf-page', '2024-01-01T00:00:00Z', 'done', 2);
        INSERT INTO listings (paper_id, source_id, listed_on, position, batch_id)
            VALUES (1, 1, '2023-05-18', 3, 1), (1, 1, '2023-06-01', 1, 1), (1, 1, '', 9, 1);
        INSERT INTO duplicate_candidates VALUES (1, 2, 93.5, 'open');
        INSERT INTO saved_searches (name, query) VALUES ('trees', 'tree*');
        PRAGMA user_version = 1;
        """
    )
    conn.commit()
    conn.close()
    return db


def build_v2_library(folder: Path) -> Path:
    """A version-2 library: version 1's, upgraded by the frozen step, with the sources the
    Daily Papers page importer of version 2 wrote: an undated page listed under its file."""
    db = build_v1_library(folder)
    conn = sqlite3.connect(db)
    conn.executescript(FROZEN_DDL[2].read_text())
    conn.executescript(
        """
        INSERT INTO sources (id, name, kind) VALUES (2, 'Daily Papers', 'hf-api'),
            (3, '000_b8207f4c8814c448.txt', 'hf-page'), (4, 'undated.txt', 'hf-page');
        INSERT INTO listings (paper_id, source_id, listed_on, position, batch_id)
            VALUES (1, 2, '2023-05-18', 0, 1), (1, 3, '', 0, 1), (2, 3, '', 1, 1),
                   (2, 4, '', 1, 1);
        PRAGMA user_version = 2;
        """
    )
    conn.commit()
    conn.close()
    return db


def build_v3_library(folder: Path) -> Path:
    """A version-3 library: version 2's, upgraded by the frozen step (no online tables yet)."""
    db = build_v2_library(folder)
    conn = _upgraded(db, 3)
    conn.commit()
    conn.close()
    return db


def _upgraded(db: Path, version: int) -> sqlite3.Connection:
    """``db`` taken to ``version`` by its frozen step, in a transaction left open."""
    conn = sqlite3.connect(db)
    conn.execute("BEGIN")
    for statement in FROZEN_DDL[version].read_text().split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def build_v4_library(folder: Path) -> Path:
    """A version-4 library: version 3's, upgraded by the frozen step, with a cached PDF."""
    db = build_v3_library(folder)
    conn = _upgraded(db, 4)
    conn.execute(
        "INSERT INTO pdfs (paper_id, file, size, pages, sha256, source_url, downloaded_at)"
        " VALUES (1, '1.pdf', 100, 1, 'ab', 'https://arxiv.org/pdf/2305.10601', '2024-02-01')"
    )
    conn.commit()
    conn.close()
    return db


def build_v5_library(folder: Path) -> Path:
    """A version-5 library: version 4's, upgraded by the frozen step, synced once."""
    db = build_v4_library(folder)
    conn = _upgraded(db, 5)
    conn.executescript(
        """
        INSERT INTO meta VALUES ('sync_node', 'a1b2c3d4e5f60718'), ('sync_name', 'laptop');
        INSERT INTO sync_registers VALUES ('p1', 'bookmarked', '0001700000000000-0000-a1', '1');
        INSERT INTO sync_peers VALUES ('f0e1d2c3b4a59687', 'desktop', 3);
        """
    )
    conn.commit()
    conn.close()
    return db


def build_v6_library(folder: Path) -> Path:
    """A version-6 library: version 5's, upgraded by the frozen step, with a change file
    recorded and an import that was killed (a batch still "running")."""
    db = build_v5_library(folder)
    conn = _upgraded(db, 6)
    conn.executescript(
        """
        INSERT INTO sync_files VALUES (1, 3, 2, 0, 900, 0);
        INSERT INTO batches (file, format, started_at)
            VALUES ('k.jsonl', 'arxiv-snapshot', '2024-03-01');
        """
    )
    conn.commit()
    conn.close()
    return db


def build_v7_library(folder: Path) -> Path:
    """A version-7 library: version 6's, upgraded by the frozen step, with an import that
    recorded how much of its file it had consumed."""
    db = build_v6_library(folder)
    conn = _upgraded(db, 7)
    conn.execute("UPDATE batches SET file_key = 'k.jsonl|10|1', consumed = 1")
    conn.commit()
    conn.close()
    return db


def build_library_at(version: int, folder: Path) -> Path:
    """A library folder at an earlier schema ``version`` (0: a brand-new, empty file)."""
    if version == 0:
        folder.mkdir(parents=True)
        sqlite3.connect(folder / "library.sqlite").close()
        return folder / "library.sqlite"
    builders = {
        1: build_v1_library,
        2: build_v2_library,
        3: build_v3_library,
        4: build_v4_library,
        5: build_v5_library,
        6: build_v6_library,
        7: build_v7_library,
    }
    return builders[version](folder)


def schema_of(db: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    conn.close()
    return [(t, n, _normalised(s or "")) for t, n, s in rows]


def test_every_released_version_has_frozen_ddl_and_its_migration_is_unchanged():
    assert set(FROZEN_DDL) == set(range(1, SCHEMA_VERSION))
    for version, ddl in FROZEN_DDL.items():
        assert _normalised(ddl.read_text()) == _normalised(MIGRATIONS[version - 1])


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_a_library_at_every_earlier_version_upgrades_to_the_schema_of_a_new_one(
    tmp_path: Path, version: int
):
    build_library_at(version, tmp_path / "old")
    Library(tmp_path / "old").close()
    Library(tmp_path / "new").close()
    assert schema_of(tmp_path / "old" / "library.sqlite") == schema_of(
        tmp_path / "new" / "library.sqlite"
    )
    conn = sqlite3.connect(tmp_path / "old" / "library.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_version_1_data_survives_the_upgrade_to_the_current_version(tmp_path: Path):
    build_v1_library(tmp_path)
    with Library(tmp_path) as library:
        tree = library.paper("2305.10601")
        assert (tree.title, tree.doi, tree.authors) == (
            "Tree of Thoughts",
            "10.48550/arxiv.2305.10601",
            ["Shunyu Yao"],
        )
        assert (tree.bookmarked, tree.read, tree.notes, tree.upvotes) == (
            True,
            True,
            "my notes",
            12,
        )
        assert tree.tags == ["ml/llm", "reasoning"]
        assert [(li.source, li.listed_on, li.position) for li in tree.listings] == [
            ("hf-daily", "", 9),
            ("hf-daily", "2023-05-18", 3),
            ("hf-daily", "2023-06-01", 1),
        ]
        assert library.paper(2).title == "Unlisted Paper"
        assert library.store.rev() == 7
        assert library.store.meta("custom") == "kept"
        assert library.store.stats() | {"imports": 1} == {
            "papers": 2,
            "listings": 3,
            "sources": 1,
            "tags": 2,
            "bookmarked": 1,
            "unread": 1,
            "duplicate_candidates": 1,
            "imports": 1,
        }
        rows = library.store.query("SELECT id, last_listed_on FROM papers ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "2023-06-01"), (2, "")]
        # the upgraded library is fully usable: it indexes, searches and takes writes
        library.catch_up_index()
        assert [h.paper.id for h in library.search("trees").hits] == [1]
        assert [h.paper.id for h in library.search("tag:reasoning").hits] == [1]
        library.add_tags([2], ["new"])
        assert library.check().consistent


def test_an_undated_daily_papers_page_listed_under_its_file_name_moves_to_daily_papers(
    tmp_path: Path,
):
    build_v2_library(tmp_path)
    with Library(tmp_path) as library:
        sources = library.store.query("SELECT name, kind FROM sources ORDER BY name")
        assert [tuple(r) for r in sources] == [("Daily Papers", "hf-api"), ("hf-daily", "page")]
        daily = library.store.query(
            "SELECT l.paper_id, l.listed_on, l.position FROM listings l"
            " JOIN sources s ON s.id = l.source_id WHERE s.name = 'Daily Papers'"
            " ORDER BY l.paper_id, l.listed_on"
        )
        # both files listed paper 2 at position 1: one listing now, not two
        assert [tuple(r) for r in daily] == [(1, "", 0), (1, "2023-05-18", 0), (2, "", 1)]
        days = library.open_views().source_days()
        assert [(d.source, d.listed_on, d.count) for d in days if d.source == "Daily Papers"] == [
            ("Daily Papers", "2023-05-18", 1),
            ("Daily Papers", "", 2),
        ]
        library.catch_up_index()
        assert library.check().consistent


def test_the_listed_sort_uses_the_migrated_listing_day(tmp_path: Path):
    build_v1_library(tmp_path)
    Library(tmp_path).close()
    views = Views(tmp_path / "library.sqlite")
    assert list(views.ids(View(sort="listed_on", descending=True))) == [1, 2]
    assert list(views.ids(View(sort="listed_on", descending=False))) == [2, 1]
    views.close()


def test_new_listings_keep_the_newest_listing_day(tmp_path: Path):
    from tests.core.conftest import record

    with Library(tmp_path) as library:
        library.store.write_records([record("Listed Twice", listing=("s", 1, "2024-02-02"))], None)
        library.store.write_records([record("Listed Twice", listing=("s", 4, "2024-01-05"))], None)
        library.store.write_records([record("Listed Twice", listing=("t", 2, ""))], None)
        assert library.store.query("SELECT last_listed_on FROM papers")[0][0] == "2024-02-02"


def test_an_upgrade_first_backs_up_the_old_version(tmp_path: Path):
    db = build_v1_library(tmp_path)
    before = db.read_bytes()
    Library(tmp_path).close()
    backups = list_backups(tmp_path)
    assert [b.kind for b in backups] == ["pre-migration-v1"]
    assert validate_library_file(backups[0].path) == (1, 2)  # a complete version-1 library
    conn = sqlite3.connect(backups[0].path)
    assert conn.execute("SELECT notes FROM papers WHERE id = 1").fetchone()[0] == "my notes"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()
    assert db.read_bytes() != before
    Library(tmp_path).close()  # opening a current library takes no more upgrade backups
    assert len(list_backups(tmp_path)) == 1


def test_a_new_library_takes_no_upgrade_backup(tmp_path: Path):
    Library(tmp_path).close()
    assert list_backups(tmp_path) == []


def test_a_failing_migration_leaves_the_old_version_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    build_v1_library(tmp_path)
    broken = MIGRATIONS[1] + "\nCREATE TABLE papers (id INTEGER);\n"  # fails after the rest ran
    monkeypatch.setattr(schema, "MIGRATIONS", [MIGRATIONS[0], broken])
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        Library(tmp_path)
    conn = sqlite3.connect(tmp_path / "library.sqlite")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(papers)")]
    assert "last_listed_on" not in columns
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 2
    conn.close()
    monkeypatch.undo()
    with Library(tmp_path) as library:  # the next start (fixed) upgrades normally
        assert library.paper(1).notes == "my notes"


def test_a_library_from_a_newer_app_is_refused_and_left_byte_for_byte_untouched(tmp_path: Path):
    db = build_v1_library(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    digest, mtime = hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns
    with pytest.raises(LibraryTooNew, match=r"schema version \d+.*Please upgrade"):
        Library(tmp_path)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert db.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.sqlite"]  # no backups, no WAL


def test_a_second_opener_does_not_run_a_migration_twice(tmp_path: Path):
    """Two processes may both read version 1; the one that waited for the write lock must
    find the upgrade done instead of running step 1→2 again."""
    build_v1_library(tmp_path)
    Library(tmp_path).close()  # the other process won the race
    conn = sqlite3.connect(tmp_path / "library.sqlite", isolation_level=None)
    reads = iter([1])  # this process's first read, taken before the other one committed

    def stale_then_real(c: sqlite3.Connection, real=schema.refuse_if_too_new) -> int:
        return next(reads, None) or real(c)

    with mock.patch.object(schema, "refuse_if_too_new", stale_then_real):
        assert schema.migrate(conn) == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
