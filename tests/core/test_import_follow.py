"""A big import is searchable while it runs: the index follows the store, a round at a time,
through a connection of its own, and the import's last catch-up finishes the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.core import import_run, importing
from reader.core.library import Library
from reader.core.search import index as index_module
from reader.core.search.index import SearchIndex

PAPERS = 1200


def snapshot(path: Path) -> Path:
    lines = (
        json.dumps(
            {
                "id": f"2401.{n:05d}",
                "title": f"Paper {n} on followed indexing topic{n % 7}",
                "abstract": f"An abstract about retrieval number {n}.",
                "authors": "A. Author, B. Author",
                "categories": "cs.IR",
            }
        )
        for n in range(1, PAPERS + 1)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 50)
    monkeypatch.setattr(import_run, "FOLLOW_BACKLOG", 100)
    monkeypatch.setattr(import_run, "FOLLOW_POLL_S", 0.01)
    monkeypatch.setattr(index_module, "CHUNK", 60)
    monkeypatch.setattr(index_module, "WORKER_CHUNK", 60)


def test_papers_are_searchable_while_the_import_still_stores_more(tmp_path, small_rounds):
    folder = tmp_path / "lib"
    seen: list[tuple[int, int]] = []  # (papers stored, papers searchable) as it goes

    def progress(at) -> None:
        if at.stage != "indexing":
            searchable = SearchIndex(folder / "index")  # what another reader would see
            seen.append((at.added, searchable.doc_count()))
            searchable.close()

    with Library(folder) as library:
        report = library.import_files([snapshot(tmp_path / "s.jsonl")], progress=progress)
        assert report.added == PAPERS and not report.errors
        assert any(0 < indexed < stored for stored, indexed in seen), seen
        assert seen[-1][0] == PAPERS
        assert library.search("topic3", limit=500).total == len(range(3, PAPERS + 1, 7))
        check = library.check()
        assert check.consistent and check.indexed == PAPERS
