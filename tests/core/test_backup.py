"""Backups and restore: consistent online copies, the rolling schedule, and a restore that
refuses bad files and replaces a library atomically."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reader.cli import main
from reader.core import backup as backup_module
from reader.core.backup import (
    BackupPolicy,
    LibraryInUse,
    list_backups,
    restore_library,
    validate_library_file,
)
from reader.core.library import Library
from reader.core.schema import SCHEMA_VERSION
from tests.core.conftest import build_library, record
from tests.core.test_migrations import build_v1_library

DAY0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--library", str(library), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def make_library(folder: Path, *titles: str) -> Path:
    build_library(folder, [record(t, abstract=f"About {t.lower()}.") for t in titles]).close()
    return folder


def titles_in(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    found = [r[0] for r in conn.execute("SELECT title FROM papers ORDER BY id")]
    conn.close()
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- taking backups -------------------------------------------------------------------------------


def test_backup_to_a_file_is_a_valid_library_with_the_same_papers(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper", "Beta Paper")
    code, out, _ = run(capsys, lib, "backup", "-o", str(tmp_path / "copy.sqlite"))
    assert code == 0 and "backed up 2 papers" in out
    assert validate_library_file(tmp_path / "copy.sqlite") == (SCHEMA_VERSION, 2)
    assert titles_in(tmp_path / "copy.sqlite") == ["Alpha Paper", "Beta Paper"]


def test_backup_refuses_to_overwrite_a_file(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    (tmp_path / "taken.sqlite").write_text("precious")
    code, _, err = run(capsys, lib, "backup", "-o", str(tmp_path / "taken.sqlite"))
    assert code == 2 and "already exists" in err and err.count("\n") == 1
    assert (tmp_path / "taken.sqlite").read_text() == "precious"


def test_backup_without_a_file_goes_to_the_backups_folder(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    code, out, _ = run(capsys, lib, "backup")
    assert code == 0
    [manual] = [b for b in list_backups(lib) if b.kind == "manual"]
    assert str(manual.path) in out


def test_a_backup_is_consistent_while_another_process_writes(tmp_path: Path):
    """Each writer transaction adds a paper and sets meta 'count' to the number of papers:
    a copy taken mid-stream must hold a state where the two agree."""
    lib = make_library(tmp_path / "lib", "Seed Paper")
    writer = textwrap.dedent(
        f"""
        import sqlite3
        conn = sqlite3.connect({str(lib / "library.sqlite")!r}, isolation_level=None, timeout=30)
        for i in range(400):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO papers (title, title_key, title_head, title_tail, added_at)"
                " VALUES (?, ?, 'w', 'w', 'now')", (f"Written {{i}}", f"written {{i}}"))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('count',"
                         " (SELECT count(*) FROM papers))")
            conn.execute("COMMIT")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", writer])
    copies = []
    with Library(lib) as library:
        while proc.poll() is None or len(copies) < 3:
            copies.append(library.backup(tmp_path / f"copy{len(copies)}.sqlite"))
        assert proc.wait(timeout=60) == 0
        copies.append(library.backup(tmp_path / "final.sqlite"))
    counts = set()
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        stamped = conn.execute("SELECT value FROM meta WHERE key = 'count'").fetchone()
        assert stamped is None or int(stamped[0]) == papers
        counts.add(papers)
        conn.close()
    assert max(counts) == 401  # the last copy, after the writer finished, has everything


# -- the schedule --------------------------------------------------------------------------------


def test_automatic_backups_are_daily_and_roll(tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    with Library(lib) as library:
        library.set_backup_policy(BackupPolicy(every_hours=24, keep=3))
        taken = []
        for day in range(6):
            now = DAY0 + timedelta(days=day)
            taken.append(library.backup_if_due(now=now))
            assert library.backup_if_due(now=now + timedelta(hours=23)) is None  # not due yet
        assert all(taken)
        library.backup(None)  # a manual copy is never rolled away
    autos = [b for b in list_backups(lib) if b.kind == "auto"]
    assert [b.path for b in autos] == taken[-3:]
    assert [b.taken_at for b in autos] == [DAY0 + timedelta(days=d) for d in (3, 4, 5)]
    assert [b.kind for b in list_backups(lib)].count("manual") == 1


def test_backup_schedule_is_stored_in_the_library_and_can_be_turned_off(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    code, out, _ = run(capsys, lib, "backup", "--every", "0")
    assert code == 0 and "off" in out
    run(capsys, lib, "stats")
    assert list_backups(lib) == []
    code, out, _ = run(capsys, lib, "backup", "--every", "12", "--keep", "4")
    assert code == 0 and out.strip() == "automatic backups every 12 h, keeping 4"
    with Library(lib) as library:
        assert library.backup_policy() == BackupPolicy(12, 4)
        assert library.store.meta("backup.keep") == "4"
    code, _, err = run(capsys, lib, "backup", "--keep", "0")
    assert code == 2 and "keep at least 1" in err


def test_a_command_takes_the_scheduled_backup_once_when_due(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    assert run(capsys, lib, "stats")[0] == 0
    assert [b.kind for b in list_backups(lib)] == ["auto"]
    assert run(capsys, lib, "stats")[0] == 0
    assert len(list_backups(lib)) == 1


def test_an_empty_library_is_not_backed_up(tmp_path: Path):
    with Library(tmp_path / "lib") as library:
        assert library.backup_if_due() is None


def test_a_failing_automatic_backup_does_not_fail_the_command(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    lib = make_library(tmp_path / "lib", "Alpha Paper")

    def disk_full(*_args: object, **_kw: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_module, "copy_database", disk_full)
    code, out, err = run(capsys, lib, "show", "1")
    assert code == 0 and "Alpha Paper" in out
    assert "warning: automatic backup failed" in err and "No space left" in err


# -- restore -------------------------------------------------------------------------------------


def test_restore_brings_back_the_backup_and_keeps_the_replaced_library(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper", "Beta Paper")
    assert run(capsys, lib, "backup", "-o", str(tmp_path / "then.sqlite"))[0] == 0
    with Library(lib) as library:
        library.store.write_records([record("Gamma Added Later")], None)
        library.catch_up_index()
        library.add_tags([1], ["after-backup"])
    code, out, _ = run(capsys, lib, "restore", str(tmp_path / "then.sqlite"))
    assert code == 0 and "restored 2 papers" in out
    assert titles_in(lib / "library.sqlite") == ["Alpha Paper", "Beta Paper"]
    [previous] = [b for b in list_backups(lib) if b.kind == "pre-restore"]
    assert str(previous.path) in out
    assert titles_in(previous.path) == ["Alpha Paper", "Beta Paper", "Gamma Added Later"]
    with Library(lib) as library:  # the index was rebuilt from the restored library
        assert library.check().consistent
        assert library.search("gamma").hits == []
        assert library.search("tag:after-backup").hits == []
        assert [h.paper.title for h in library.search("beta").hits] == ["Beta Paper"]


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda p: p.write_text("title,abstract\nnot,a database\n"), "not an SQLite database"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit(), "not a"),
        (lambda p: None, "no such file"),
    ],
    ids=["text", "other-sqlite", "missing"],
)
def test_restore_refuses_what_is_not_a_library_and_changes_nothing(
    capsys, tmp_path: Path, make_bad, message: str
):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    before = digest(lib / "library.sqlite")
    make_bad(tmp_path / "bad.sqlite")
    code, _, err = run(capsys, lib, "restore", str(tmp_path / "bad.sqlite"))
    assert code == 2 and message in err and err.count("\n") == 1
    assert digest(lib / "library.sqlite") == before
    assert list_backups(lib) == []
    assert sorted(p.name for p in lib.iterdir() if p.name.startswith(".")) == []


def test_restore_refuses_a_library_from_a_newer_app(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    newer = make_library(tmp_path / "newer", "From The Future") / "library.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    code, _, err = run(capsys, lib, "restore", str(newer))
    assert code == 2 and "newer Paper Reader" in err and err.count("\n") == 1
    assert titles_in(lib / "library.sqlite") == ["Alpha Paper"]


def test_restore_refuses_a_file_that_fails_the_integrity_check(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    damaged = make_library(tmp_path / "damaged", "Some Paper", "Other Paper") / "library.sqlite"
    conn = sqlite3.connect(damaged)
    conn.execute("PRAGMA journal_mode = DELETE")
    roots = dict(conn.execute("SELECT name, rootpage FROM sqlite_master WHERE type = 'index'"))
    conn.execute("PRAGMA writable_schema = ON")  # two indexes swap their b-trees
    name, other = "papers_title_key", "papers_rev"
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (roots[other], name))
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (roots[name], other))
    conn.commit()
    conn.close()
    code, _, err = run(capsys, lib, "restore", str(damaged))
    assert code == 2 and "integrity check" in err and err.count("\n") == 1
    assert titles_in(lib / "library.sqlite") == ["Alpha Paper"]


def test_restore_of_an_older_version_upgrades_it(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    old = build_v1_library(tmp_path / "v1")
    code, out, _ = run(capsys, lib, "restore", str(old))
    assert code == 0 and "restored 2 papers" in out
    with Library(lib) as library:
        assert library.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert library.paper(1).notes == "my notes"
        assert library.check().consistent


def test_restore_refuses_while_the_library_is_open_elsewhere(capsys, tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    other = make_library(tmp_path / "other", "Other Paper") / "library.sqlite"
    with Library(lib) as open_elsewhere:
        before = digest(lib / "library.sqlite")
        code, _, err = run(capsys, lib, "restore", str(other))
        assert code == 2 and "open in another Paper Reader" in err and err.count("\n") == 1
        assert digest(lib / "library.sqlite") == before
        assert open_elsewhere.paper(1).title == "Alpha Paper"  # its connection still works
        open_elsewhere.set_read([1], True)
    assert titles_in(lib / "library.sqlite") == ["Alpha Paper"]


def test_a_restore_that_fails_at_the_switch_leaves_the_library_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    other = make_library(tmp_path / "other", "Other Paper") / "library.sqlite"
    real_replace = backup_module.os.replace

    def failing_replace(src: object, dst: object) -> None:
        if str(dst).endswith("library.sqlite"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(backup_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        restore_library(lib, other)
    monkeypatch.undo()
    assert not [p for p in lib.iterdir() if p.name.startswith(".restore")]
    with Library(lib) as library:  # unlocked, intact, and its index catches up again
        assert [p.title for p in library.papers([1])] == ["Alpha Paper"]
        assert library.repair().consistent


def test_restore_into_a_new_folder_needs_no_previous_backup(tmp_path: Path):
    source = make_library(tmp_path / "src", "Alpha Paper") / "library.sqlite"
    report = Library.restore(tmp_path / "fresh", source)
    assert report.previous_backup is None and report.papers == 1
    assert titles_in(tmp_path / "fresh" / "library.sqlite") == ["Alpha Paper"]


def test_restore_marks_vectors_for_a_recheck(tmp_path: Path):
    from reader.core.related.vectors import VectorStore

    lib = make_library(tmp_path / "lib", "Alpha Paper")
    vectors = VectorStore(lib / "vectors")
    vectors.reset("test-model", 2)
    vectors.append([1], [123], __import__("numpy").ones((1, 2)))
    vectors.set_rev(99)
    source = make_library(tmp_path / "src", "Other Paper") / "library.sqlite"
    restore_library(lib, source)
    assert VectorStore(lib / "vectors").rev == 0
    assert not (lib / "index").exists()


def test_library_in_use_is_its_own_error_type(tmp_path: Path):
    lib = make_library(tmp_path / "lib", "Alpha Paper")
    source = make_library(tmp_path / "src", "Other Paper") / "library.sqlite"
    with Library(lib), pytest.raises(LibraryInUse):
        restore_library(lib, source)
