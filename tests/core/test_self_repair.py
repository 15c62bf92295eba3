"""Derived data repairs itself: a deleted, truncated or garbled index, cut-short vector files
and store/index drift are detected at open and by ``check``, searches fall back to simple
matches meanwhile, and ``check --repair`` rebuilds them without touching SQLite."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli import main
from reader.core.library import Library
from reader.core.searching import FALLBACK_NOTE
from tests.core.conftest import build_library, record
from tests.core.test_related import FakeEmbedder, with_embedder

PAPERS = 40


def make(folder: Path) -> Path:
    records = [
        record(f"Paper {i} on {'graph networks' if i % 4 == 0 else 'protein folding'}")
        for i in range(PAPERS)
    ]
    build_library(folder, records).close()
    return folder


def store_dump(folder: Path) -> list[str]:
    conn = sqlite3.connect(folder / "library.sqlite")
    dump = list(conn.iterdump())
    conn.close()
    return dump


def delete_index(folder: Path) -> None:
    shutil.rmtree(folder / "index")


def truncate_index(folder: Path) -> None:
    for path in (folder / "index").iterdir():
        if not path.name.endswith("LOCK"):
            os.truncate(path, path.stat().st_size // 2)


def garble_segments(folder: Path) -> None:
    """Only the segment data is garbled: the index opens, reading it fails."""
    for path in (folder / "index").glob("*.seg"):
        data = bytearray(path.read_bytes())
        for i in range(64, len(data), 5):
            data[i] ^= 0x5A
        path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "deleted": delete_index,
    "truncated": truncate_index,
    "garbled": garble_segments,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_falls_back_then_check_repair_rebuilds_it(
    capsys, tmp_path: Path, damage: str
):
    folder = make(tmp_path / "lib")
    DAMAGE[damage](folder)
    before = store_dump(folder)
    with Library(folder) as library:
        results = library.search("graph networks")
        assert results.fallback, "a damaged index must not answer as if it were complete"
        assert library.index_status() == "rebuilding"
        assert len(results.hits) == PAPERS // 4
        assert all("graph networks" in h.paper.title for h in results.hits)
        assert not library.check().consistent
    capsys.readouterr()
    assert main(["--library", str(folder), "check"]) == 1
    assert "NOT consistent" in capsys.readouterr().out
    assert main(["--library", str(folder), "check", "--repair"]) == 0
    assert capsys.readouterr().out.strip().endswith("consistent")
    with Library(folder) as library:
        assert library.index_status() == "ready"
        results = library.search("graph networks")
        assert not results.fallback and len(results.hits) == PAPERS // 4
        assert library.check().consistent
    assert store_dump(folder)[: len(before)] == before  # SQLite untouched by the repair


def test_the_cli_search_labels_simple_matches(capsys, tmp_path: Path):
    folder = make(tmp_path / "lib")
    delete_index(folder)
    capsys.readouterr()
    assert main(["--library", str(folder), "search", "protein folding"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"({FALLBACK_NOTE}; run: paper-reader check --repair)")
    assert "Paper 39 on protein folding" in out  # newest first


def test_simple_matches_respect_the_view_and_ignore_query_syntax(tmp_path: Path):
    from reader.core.views import View

    folder = make(tmp_path / "lib")
    with Library(folder) as library:
        library.set_bookmarked([1, 2], True)  # papers 0 and 1: graph, protein
        delete_index(folder)
    with Library(folder) as library:
        hits = library.search('title:"protein" AND folding', within=View("bookmarked")).hits
        assert [h.paper.id for h in hits] == [2]
        assert library.search("100% _").hits == []  # LIKE wildcards are escaped


def test_papers_added_behind_the_index_are_detected_and_indexed(tmp_path: Path):
    """An older version (or another tool) wrote papers without stamping them: rev 0."""
    folder = make(tmp_path / "lib")
    conn = sqlite3.connect(folder / "library.sqlite")
    conn.execute(
        "INSERT INTO papers (title, title_key, title_head, title_tail, added_at, rev)"
        " VALUES ('Unstamped quantum paper', 'unstamped quantum paper', 'u', 'p', 'x', 0)"
    )
    conn.commit()
    conn.close()
    with Library(folder) as library:
        report = library.check()
        assert not report.consistent and len(report.missing) == 1
        assert library.repair().consistent
        assert [h.paper.title for h in library.search("quantum").hits] == [
            "Unstamped quantum paper"
        ]


def test_a_rebuilt_index_from_scratch_includes_unstamped_papers(tmp_path: Path):
    folder = make(tmp_path / "lib")
    conn = sqlite3.connect(folder / "library.sqlite")
    conn.execute("UPDATE papers SET rev = 0 WHERE id <= 3")
    conn.commit()
    conn.close()
    with Library(folder) as library:
        assert library.reindex() == PAPERS
        assert library.check().consistent


def test_papers_added_by_another_process_without_indexing_are_caught_up(tmp_path: Path):
    folder = make(tmp_path / "lib")
    with Library(folder) as writer:
        writer.store.write_records([record("Written without indexing")], None)
    with Library(folder) as library:
        assert library.check().behind == 1
        assert library.index_status() == "ready"  # a little behind: the index still answers
        assert not library.catch_up_derived()  # caught up, no repair needed
        assert library.check().consistent
        assert len(library.search("without indexing").hits) == 1


def test_cut_short_vector_files_are_detected_and_the_lost_rows_re_embedded(tmp_path: Path):
    folder = make(tmp_path / "lib")
    embedder = FakeEmbedder()
    with with_embedder(Library(folder), embedder) as library:
        assert library.embed() == PAPERS
    (vectors,) = (folder / "vectors").glob("vectors.*.f32")
    os.truncate(vectors, vectors.stat().st_size - 10 * 16 * 4 - 3)  # 10 rows and a bit
    with with_embedder(Library(folder), embedder) as library:
        report = library.check()
        assert report.vectors_damaged and not report.related_ready
        assert len(report.vectors_missing) == 11 and report.vectors == PAPERS - 11
        assert library.related(1, limit=5)  # still answers (dense or lexical) without crashing
        embedder.calls = 0
        assert not library.catch_up_derived()  # the index is fine: nothing for a repair
        library.embed()  # the app's embedding job: only the lost rows again
        assert embedder.calls == 11
        report = library.check()
        assert report.related_ready and not report.vectors_damaged and report.consistent


def test_a_garbled_vector_record_starts_the_vectors_again(tmp_path: Path):
    folder = make(tmp_path / "lib")
    embedder = FakeEmbedder()
    with with_embedder(Library(folder), embedder) as library:
        library.embed()
    (folder / "vectors" / "meta.json").write_text("{not json")
    with with_embedder(Library(folder), embedder) as library:
        assert len(library.check().vectors_missing) == PAPERS
        assert library.embed() == PAPERS
        assert library.check().related_ready


def test_the_cli_indexes_papers_the_index_missed_before_searching(capsys, tmp_path: Path):
    """An import killed between its store commit and its index commit leaves papers stored
    but not searchable; the next CLI search indexes them first."""
    folder = make(tmp_path / "lib")
    with Library(folder) as writer:
        writer.store.write_records([record("Interrupted import of quasar spectra")], None)
    capsys.readouterr()
    assert main(["--library", str(folder), "search", "quasar"]) == 0
    captured = capsys.readouterr()
    assert "first indexing 1 paper the search index missed" in captured.err
    assert "quasar spectra" in captured.out
    with Library(folder) as library:
        assert library.check().consistent


def test_check_repair_reports_progress_for_the_window(capsys, tmp_path: Path):
    """The window runs its repairs as ``check --repair --progress --json`` in a child."""
    folder = make(tmp_path / "lib")
    delete_index(folder)
    capsys.readouterr()
    assert main(["--library", str(folder), "check", "--repair", "--progress", "--json"]) == 0
    captured = capsys.readouterr()
    progress = [json.loads(line)["progress"] for line in captured.err.splitlines()]
    assert progress and progress[-1]["done"] == PAPERS
    assert json.loads(captured.out)["consistent"]
