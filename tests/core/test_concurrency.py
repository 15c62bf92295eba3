"""Two writers on one library (two app instances, or the CLI while the app is open): both
writers' changes reach the store, the index agrees with it afterwards, and nobody crashes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.search.index import IndexBusy
from reader.core.store import LibraryBusy
from tests.core.conftest import build_library, record
from tests.core.test_migrations import build_v1_library

PAPERS = 30
ROUNDS = 12


def _tagger(folder: str, name: str, rounds: int, start: multiprocessing.synchronize.Event) -> None:
    """One app instance: tags, bookmarks and adds papers, each write followed by catch-up."""
    start.wait(30)
    with Library(Path(folder)) as library:
        for i in range(rounds):
            library.add_tags([1 + (i % PAPERS)], [f"{name}-{i}"])
            library.set_read([1 + ((i * 7) % PAPERS)], True)
            library.store.write_records([record(f"{name} wrote paper number {i}")], None)
            library.catch_up_index()


def _spawn(target, *args):  # type: ignore[no-untyped-def]
    ctx = multiprocessing.get_context("spawn")  # no inherited SQLite / Whoosh handles
    return ctx.Process(target=target, args=args)


@pytest.fixture
def library_folder(tmp_path: Path) -> Path:
    titles = [f"Shared paper about topic {i}" for i in range(PAPERS)]
    build_library(tmp_path / "lib", [record(t) for t in titles]).close()
    return tmp_path / "lib"


def test_two_processes_writing_at_once_lose_nothing_and_the_index_agrees(library_folder: Path):
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    workers = [
        ctx.Process(target=_tagger, args=(str(library_folder), name, ROUNDS, start))
        for name in ("alpha", "beta")
    ]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0, "a writer crashed"
    with Library(library_folder) as library:
        tags = {name for name, _ in library.tag_counts()}
        assert tags == {f"{n}-{i}" for n in ("alpha", "beta") for i in range(ROUNDS)}
        assert library.store.count() == PAPERS + 2 * ROUNDS
        report = library.check()
        assert report.consistent, report.as_dict()
        assert report.indexed == PAPERS + 2 * ROUNDS
        assert len(library.search("tag:alpha-11").hits) == 1
        assert len(library.search("beta wrote paper").hits) == ROUNDS
        integrity = library.store.conn.execute("PRAGMA integrity_check").fetchone()[0]
        assert integrity == "ok"


def test_cli_commands_while_a_library_is_open_reach_it(library_folder: Path):
    """The app holds a Library open; CLI tag and import processes run concurrently."""
    snapshot = library_folder.parent / "more.jsonl"
    snapshot.write_text(
        '{"id": "2106.09685", "title": "LoRA: Low-Rank Adaptation of Large Language Models",'
        ' "abstract": "Freezes the weights.", "authors": "Edward J. Hu",'
        ' "categories": "cs.CL", "versions": [{"version": "v1",'
        ' "created": "Thu, 17 Jun 2021 17:37:18 GMT"}]}\n'
    )
    with Library(library_folder) as app:
        seen = app.store.rev()
        cli = [sys.executable, "-m", "reader", "--library", str(library_folder)]
        procs = [subprocess.Popen([*cli, "tag", str(i), f"cli-{i}"]) for i in range(1, 6)]
        procs.append(subprocess.Popen([*cli, "import", str(snapshot)]))
        app.set_bookmarked([1, 2, 3], True)  # the app writes at the same time
        app.add_tags([4], ["from-app"])
        assert [p.wait(120) for p in procs] == [0] * 6
        # the open library sees the CLI's changes: its change counter moved and reads agree
        assert app.store.rev() > seen
        assert app.paper(2).tags == ["cli-2"]
        assert app.paper("2106.09685").title.startswith("LoRA")
        app.catch_up_index()
        assert [h.paper.id for h in app.search("tag:cli-3").hits] == [3]
        assert len(app.search("lora").hits) == 1
        assert app.check().consistent
        assert app.paper(1).bookmarked and app.paper(4).tags == ["cli-4", "from-app"]


def test_two_processes_opening_an_old_library_both_upgrade_it_safely(tmp_path: Path):
    build_v1_library(tmp_path / "lib")
    cli = [sys.executable, "-m", "reader", "--library", str(tmp_path / "lib")]
    procs = [subprocess.Popen([*cli, "show", "1"], stdout=subprocess.DEVNULL) for _ in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    with Library(tmp_path / "lib") as library:
        assert library.paper(1).notes == "my notes"
        assert library.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_blocked_too_long_gets_a_clear_error_not_a_crash(library_folder: Path):
    with Library(library_folder) as library:
        library.store.conn.execute("PRAGMA busy_timeout = 200")
        holder = sqlite3.connect(library_folder / "library.sqlite", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
        try:
            with pytest.raises(LibraryBusy, match="another Paper Reader is writing"):
                library.set_read([1], True)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        library.set_read([1], True)  # and works once the other writer is done
        assert library.paper(1).read


def test_a_busy_index_defers_catch_up_instead_of_failing_the_write(
    library_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    with Library(library_folder) as library:

        def busy(*_a: object, **_k: object) -> int:
            raise IndexBusy("the search index is being written by another process")

        monkeypatch.setattr(library.derived.index, "catch_up", busy)
        library.add_tags([1], ["kept"])  # stored even though the index could not follow
        assert library.paper(1).tags == ["kept"]
        assert library.index_deferred
        monkeypatch.undo()
        library.catch_up_index()
        assert not library.index_deferred
        assert [h.paper.id for h in library.search("tag:kept").hits] == [1]


def test_a_write_to_more_papers_than_the_follow_limit_leaves_them_to_a_catch_up(
    library_folder: Path,
):
    with Library(library_folder) as library:
        count = library.store.query("SELECT count(*) FROM papers")[0][0]
        library.follow_limit = 3  # the window's: bigger changes are indexed by a child
        library.set_read([1, 2], True)  # small: indexed at once
        assert not library.index_deferred and library.index_lag(count) == 0
        library.set_read(range(1, count + 1), True)
        assert library.index_deferred and library.index_lag(count) == count
        assert library.store.query("SELECT count(*) FROM papers WHERE is_read")[0][0] == count
        library.add_tags([4], ["kept"])  # the index is behind: small writes wait for it too
        assert library.index_deferred
        library.catch_up_index()
        assert not library.index_deferred and library.search("is:unread").hits == []
        assert [h.paper.id for h in library.search("tag:kept").hits] == [4]

        library.follow_limit = None  # the CLI's: every write is indexed at once
        library.set_read(range(1, count + 1), False)
        assert not library.index_deferred and library.index_lag(count) == 0


def test_a_write_while_another_process_updates_the_index_is_stored_and_indexed_later(
    library_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    from reader.core import derived as library_module
    from reader.core.locks import file_lock

    monkeypatch.setattr(library_module, "INDEX_LOCK_TIMEOUT", 0.3)
    with Library(library_folder) as library:
        with file_lock(library_folder / library_module.INDEX_LOCK, timeout=1):  # "another app"
            library.set_bookmarked([5], True)
            assert library.index_deferred
            with pytest.raises(IndexBusy):
                library.catch_up_index()
        assert library.paper(5).bookmarked  # the store has it
        assert library.check().behind == 1
        library.catch_up_index()
        assert [h.paper.id for h in library.search("is:bookmarked").hits] == [5]


def batch_statuses(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "library.sqlite") as conn:
        return [r[0] for r in conn.execute("SELECT status FROM batches ORDER BY id")]


def test_an_import_that_died_is_marked_interrupted_but_a_running_one_is_not(
    tmp_path: Path, seeds: list[Path]
):
    from reader.core.derived import IMPORTS_LOCK
    from reader.core.locks import file_lock

    folder = tmp_path / "lib"
    with Library(folder) as library:
        library.store.start_batch("killed.jsonl", "arxiv-snapshot")  # never finished
    with file_lock(folder / IMPORTS_LOCK, 1.0, shared=True):  # an import still running
        Library(folder).close()
        assert batch_statuses(folder) == ["running"]
    with Library(folder) as library:
        library.import_files(seeds[:1])
    assert batch_statuses(folder) == ["interrupted", "done"]


def test_a_running_import_is_seen_from_another_library_object(tmp_path: Path):
    from reader.core.derived import IMPORTS_LOCK
    from reader.core.locks import file_lock

    with Library(tmp_path / "lib") as library:
        assert not library.import_running()
        with file_lock(tmp_path / "lib" / IMPORTS_LOCK, 1.0, shared=True):  # as an import
            assert library.import_running()
        assert not library.import_running()


def test_a_tag_set_during_an_import_leaves_indexing_to_the_import(
    tmp_path: Path, seeds: list[Path]
):
    """Catching the index up after a tag would index the import's papers in this process
    (the window's); the import indexes everything it stored, the tag included, at its end."""
    from reader.core.derived import IMPORTS_LOCK
    from reader.core.locks import file_lock

    folder = tmp_path / "lib"
    with Library(folder) as library:
        library.import_files(seeds[:1])
        with file_lock(folder / IMPORTS_LOCK, 1.0, shared=True):  # an import in another process
            library.store.write_records([record("Stored by the running import")], None)
            library.add_tags([1], ["read-later"])
            assert library.index_deferred
            assert library.check().behind == 2  # neither indexed here
        library.import_files(seeds[1:2])  # as that import's end: one catch-up for all
        assert library.check().consistent
        assert [h.paper.id for h in library.search("tag:read-later").hits] == [1]


def test_the_windows_index_catch_up_stands_aside_for_an_import_and_a_repair_stops_for_one(
    tmp_path: Path, seeds: list[Path]
):
    from reader.core.derived import IMPORTS_LOCK
    from reader.core.locks import file_lock

    folder = tmp_path / "lib"
    with Library(folder) as library:
        library.import_files(seeds[:1])
        with file_lock(folder / IMPORTS_LOCK, 1.0, shared=True):  # an import has stored papers
            library.store.write_records([record(f"Imported paper {n}") for n in range(500)], None)
            assert library.index_status() == "rebuilding"  # far behind, because of it
            assert library.catch_up_derived() is False  # no repair asked for either
            assert library.check().behind == 500  # left to the import
        asked: list[int] = []

        def import_starts() -> bool:  # an import starts once the window's catch-up is under way
            asked.append(1)
            return len(asked) > 1

        assert library.catch_up_derived()  # far behind: a repair, which the window runs apart
        library.repair(cancelled=import_starts)
        assert len(asked) == 2  # asked mid-chunk, after 200 papers: the chunk was dropped
        assert library.check().behind == 500
        library.repair()
        assert library.check().consistent
