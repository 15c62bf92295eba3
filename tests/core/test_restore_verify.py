"""Restore takes only a genuine library: the exact schema of its version, no object the app
did not create, SQLite's integrity and foreign-key checks; a refusal leaves the library in
place byte for byte. Opening a library refuses triggers and views the app did not create."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from reader.core.backup import InvalidLibraryFile, list_backups, validate_library_file
from reader.core.library import Library
from reader.core.related.vectors import VectorStore
from reader.core.schema import SCHEMA_VERSION
from reader.core.schema_check import reference_schema, schema_problem
from tests.core.conftest import build_library, record
from tests.core.test_backup import run, titles_in
from tests.core.test_migrations import build_library_at

WIPE = "CREATE TRIGGER wipe AFTER INSERT ON tags BEGIN DELETE FROM papers; END"


def make_library(folder: Path, papers: int = 3) -> Path:
    """A closed, indexed library with tags and vectors (the derived data a restore touches)."""
    records = [
        record(f"Paper Number {i} On Things", abstract="Words about things. " * 20)
        for i in range(papers)
    ]
    with build_library(folder, records) as library:
        library.add_tags([1], ["kept"])
    vectors = VectorStore(folder / "vectors")
    vectors.reset("test-model", 2)
    vectors.append([1], [123], np.ones((1, 2)))
    vectors.set_rev(7)
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (library, index, vectors, backups) by its hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def backup_of(tmp_path: Path, name: str = "backup.sqlite") -> Path:
    """A genuine backup of a fresh library, taken the way the app takes one."""
    source = make_library(tmp_path / f"src-{name}", papers=2)
    with Library(source) as library:
        return library.backup(tmp_path / name)


def edit(db: Path, *statements: str, writable_schema: bool = False) -> Path:
    conn = sqlite3.connect(db, isolation_level=None)
    if writable_schema:
        conn.execute("PRAGMA writable_schema = ON")
    for statement in statements:
        conn.execute(statement)
    conn.close()
    return db


def refused(capsys, lib: Path, candidate: Path, reason: str) -> None:
    """``restore candidate`` fails in one line naming ``reason`` and changes nothing."""
    before = snapshot(lib)
    code, _, err = run(capsys, lib, "restore", str(candidate))
    assert code == 2, err
    assert reason in err and err.count("\n") == 1, err
    assert str(candidate) in err
    assert snapshot(lib) == before
    assert list_backups(lib) == []  # not even a pre-restore copy was taken


# -- the schema ---------------------------------------------------------------------------------


def test_a_file_with_the_right_tables_but_other_columns_is_refused(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib")
    fake = tmp_path / "fake.sqlite"
    conn = sqlite3.connect(fake)
    for obj in reference_schema(SCHEMA_VERSION).values():
        if obj.type == "table" and not obj.name.startswith("sqlite_"):
            conn.execute(f'CREATE TABLE "{obj.name}" (id INTEGER PRIMARY KEY, x TEXT)')
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()
    conn.close()
    refused(capsys, lib, fake, "not a genuine Paper Reader library: table 'meta' has a column")


def test_a_genuine_backup_carrying_a_trigger_is_refused_and_the_library_untouched(
    capsys, tmp_path: Path
):
    lib = make_library(tmp_path / "lib")
    trojan = edit(backup_of(tmp_path), WIPE)
    refused(capsys, lib, trojan, "holds a trigger 'wipe' that Paper Reader did not create")
    assert titles_in(lib / "library.sqlite")[0] == "Paper Number 0 On Things"


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        (["CREATE VIEW everything AS SELECT * FROM papers"], "holds a view 'everything'"),
        (["CREATE INDEX papers_doi_year ON papers(doi, year)"], "an index 'papers_doi_year'"),
        (["CREATE TABLE stash (x)"], "holds a table 'stash' that Paper Reader did not create"),
        (["ALTER TABLE papers ADD COLUMN secret TEXT"], "has a column 'secret'"),
        (["DROP INDEX papers_rev"], "lacks the index 'papers_rev'"),
        (["DROP TABLE offline_pins"], "lacks the table 'offline_pins'"),
        (["CREATE TABLE sqlite_stat1x (x)"], "a table 'sqlite_stat1x'"),  # not ANALYZE's
        (
            [
                "ANALYZE",
                "UPDATE sqlite_master SET sql = 'CREATE TABLE sqlite_stat1(tbl,idx,stat,x)'"
                " WHERE name = 'sqlite_stat1'",
            ],
            "table 'sqlite_stat1' has a column 'x'",
        ),
        (
            [  # a foreign key that deletes papers with their tags
                "UPDATE sqlite_master SET sql = replace(sql, 'REFERENCES papers(id) ON DELETE"
                " CASCADE', 'REFERENCES tags(id) ON DELETE CASCADE') WHERE name = 'paper_tags'"
            ],
            "table 'paper_tags' has other foreign keys",
        ),
        (
            [  # only the SQL text knows: a CHECK constraint
                "UPDATE sqlite_master SET sql = replace(sql, 'kind TEXT NOT NULL',"
                " 'kind TEXT NOT NULL CHECK (kind <> ''x'')') WHERE name = 'sources'"
            ],
            "table 'sources' is defined differently",
        ),
        (
            [
                "UPDATE sqlite_master SET sql = replace(sql, 'WHERE bookmarked = 1',"
                " 'WHERE bookmarked = 0') WHERE name = 'papers_bookmarked'"
            ],
            "index 'papers_bookmarked' is defined differently",
        ),
        (
            [
                "UPDATE sqlite_master SET sql = replace(sql, 'notes TEXT NOT NULL DEFAULT ''''',"
                " 'notes TEXT') WHERE name = 'papers'"
            ],
            "column 'papers.notes' is TEXT, not TEXT NOT NULL DEFAULT ''",
        ),
    ],
    ids=[
        "view",
        "index",
        "table",
        "column",
        "missing-index",
        "missing-table",
        "stat-lookalike",
        "stat-other-shape",
        "foreign-key",
        "check",
        "partial-index",
        "column-definition",
    ],
)
def test_any_other_schema_is_refused(capsys, tmp_path: Path, statements: list[str], reason: str):
    lib = make_library(tmp_path / "lib")
    other = edit(backup_of(tmp_path), *statements, writable_schema=True)
    refused(capsys, lib, other, reason)


def test_a_schema_version_that_does_not_match_the_tables_is_refused(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib")
    relabelled = edit(backup_of(tmp_path), "PRAGMA user_version = 1")
    refused(capsys, lib, relabelled, "not a genuine Paper Reader library")


def test_sqlite_statistics_from_analyze_are_accepted(tmp_path: Path):
    analysed = edit(backup_of(tmp_path), "ANALYZE")
    assert validate_library_file(analysed) == (SCHEMA_VERSION, 2)


# -- the contents ---------------------------------------------------------------------------------


def test_a_copy_with_a_damaged_page_is_refused_by_the_integrity_check(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib")
    source = make_library(tmp_path / "big", papers=300) / "library.sqlite"
    damaged = tmp_path / "damaged.sqlite"
    shutil.copyfile(source, damaged)
    data = bytearray(damaged.read_bytes())
    page = 4096
    assert len(data) // page > 50
    middle = (len(data) // page // 2) * page  # a b-tree page: its header and cell pointers
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    damaged.write_bytes(data)
    refused(capsys, lib, damaged, "failed the integrity check")


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("INSERT INTO paper_tags VALUES (1, 999)", "a row of 'paper_tags' refers to a missing"),
        (
            "INSERT INTO listings (paper_id, source_id, position) VALUES (999, 1, 0)",
            "row 1 of 'listings' refers to a missing row of 'papers'",
        ),
    ],
    ids=["without-rowid", "rowid"],
)
def test_a_foreign_key_violation_is_refused(capsys, tmp_path: Path, statement: str, reason: str):
    lib = make_library(tmp_path / "lib")
    dangling = edit(backup_of(tmp_path), "INSERT INTO sources (name, kind) VALUES ('s', 'k')")
    edit(dangling, statement)  # sqlite3 leaves foreign keys off
    refused(capsys, lib, dangling, f"failed the foreign-key check ({reason}")


# -- genuine files ------------------------------------------------------------------------------


def test_a_genuine_current_backup_restores(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib")
    code, out, _ = run(capsys, lib, "restore", str(backup_of(tmp_path)))
    assert code == 0 and "restored 2 papers" in out
    with Library(lib) as library:
        assert library.check().consistent
        assert library.store.count() == 2


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_genuine_older_backup_restores_and_upgrades(capsys, tmp_path: Path, version: int):
    lib = make_library(tmp_path / "lib")
    old = build_library_at(version, tmp_path / f"v{version}")
    assert validate_library_file(old) == (version, 2)
    code, out, _ = run(capsys, lib, "restore", str(old))
    assert code == 0 and "restored 2 papers" in out
    with Library(lib) as library:
        assert library.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert library.paper(1).notes == "my notes"


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_library_upgraded_from_an_older_version_is_genuine(tmp_path: Path, version: int):
    """What the migrations make on disk is what the in-memory reference says."""
    db = build_library_at(version, tmp_path / "old")
    Library(db.parent).close()
    conn = sqlite3.connect(db)
    assert schema_problem(conn, SCHEMA_VERSION) is None
    conn.close()
    assert validate_library_file(db)[0] == SCHEMA_VERSION


# -- opening --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "what"),
    [(WIPE, "a trigger 'wipe'"), ("CREATE VIEW peek AS SELECT id FROM papers", "a view 'peek'")],
    ids=["trigger", "view"],
)
def test_opening_a_library_holding_a_foreign_trigger_or_view_is_refused(
    capsys, tmp_path: Path, statement: str, what: str
):
    lib = make_library(tmp_path / "lib")
    edit(lib / "library.sqlite", statement)
    with pytest.raises(InvalidLibraryFile, match=f"holds {what} that Paper Reader did not create"):
        Library(lib)
    code, _, err = run(capsys, lib, "tag", "2", "new-tag")
    assert code == 2 and what in err and err.count("\n") == 1
    assert len(titles_in(lib / "library.sqlite")) == 3  # the tag command deleted nothing


def test_opening_an_older_library_with_a_trigger_is_refused_before_it_is_upgraded(
    tmp_path: Path,
):
    db = build_library_at(1, tmp_path / "old")
    edit(db, "CREATE TRIGGER t AFTER UPDATE ON papers BEGIN DELETE FROM tags; END")
    with pytest.raises(InvalidLibraryFile, match="trigger 't'"):
        Library(db.parent)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 2
    conn.close()
    assert list_backups(db.parent) == []  # refused before the pre-migration backup
