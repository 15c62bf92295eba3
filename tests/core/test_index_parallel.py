"""A backlog indexed by worker processes, a segment per chunk: the same index as one process
writes, updates replacing old versions, a cancel or a failing worker leaving it as it was."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from reader.core.library import Library
from reader.core.search import index as index_module
from reader.core.search import whoosh_compat as compat
from reader.core.search.parallel import SegmentBuilders

QUERIES = ["language model", "diffusion", "reinforcement learning agent", '"large language"']


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few dozen papers, so the 317 seed papers make several rounds."""
    monkeypatch.setattr(index_module, "CHUNK", 40)
    monkeypatch.setattr(index_module, "WORKER_CHUNK", 60)


def catch_up(library: Library, workers: int, cancelled: Callable[[], bool] = lambda: False) -> int:
    derived = library.derived
    return derived.index.catch_up(
        derived._changed_rows,
        library.revision(),
        cancelled=cancelled,
        body_of=derived.body_of,
        workers=workers,
    )


def results(library: Library) -> dict[str, list[tuple[int, float]]]:
    return {
        q: [(h.paper.id, round(h.score, 4)) for h in library.search(q, limit=30).hits]
        for q in QUERIES
    }


def segment_sizes(library: Library) -> list[int]:
    return [s.doc_count() for s in compat.segments(library.derived.index.ix)]


def test_workers_build_the_index_one_process_builds(copy_seed_library, small_chunks):
    serial, _ = copy_seed_library()
    parallel, _ = copy_seed_library()
    for library, workers in ((serial, 1), (parallel, 2)):
        library.derived.index.rebuild()
        assert catch_up(library, workers) == library.paper_count()
    # the first chunk, then worker-sized ones (the marker rides in the last of each round)
    assert segment_sizes(parallel)[:2] == [40, 60]
    assert len(segment_sizes(parallel)) < len(segment_sizes(serial))
    # The same hits in the same order; scores agree but for the collection statistics that
    # the serial index's deleted progress markers (one per chunk) still count in.
    found, expected = results(parallel), results(serial)
    assert all(found.values())
    for query, hits in found.items():
        assert [h[0] for h in hits] == [h[0] for h in expected[query]], query
        assert [h[1] for h in hits] == pytest.approx([h[1] for h in expected[query]], rel=0.02)
    report = parallel.check()
    assert report.consistent and report.indexed == parallel.paper_count()


def test_changed_papers_replace_their_old_versions(copy_seed_library, small_chunks):
    library, _ = copy_seed_library()
    ids = [row["id"] for row in library.store.query("SELECT id FROM papers LIMIT 200")]
    for paper_id in ids:  # in the store only: the catch-up below indexes them
        library.store.set_notes(paper_id, "zyxwuvnote")
    assert catch_up(library, 2) == len(ids)
    hits = library.search("zyxwuvnote", limit=500).hits
    assert sorted(h.paper.id for h in hits) == sorted(ids)  # each once, none lost
    assert library.derived.index.doc_count() == library.paper_count()
    assert library.check().consistent


def test_a_cancelled_round_commits_nothing_and_the_next_catch_up_finishes(
    copy_seed_library, small_chunks
):
    library, folder = copy_seed_library()
    library.derived.index.rebuild()
    started = time.monotonic()
    assert catch_up(library, 2, cancelled=lambda: time.monotonic() - started > 0.3) < 317
    assert library.derived.index.doc_count() < library.paper_count()
    assert catch_up(library, 2) > 0
    assert library.check().consistent
    # the cancelled workers' files were never listed, and the next commit cleared them away
    listed = {s.segment_id() for s in compat.segments(library.derived.index.ix)}
    on_disk = {
        n.split(".")[0] for n in os.listdir(folder / "index") if n.startswith("MAIN_") and "." in n
    }
    assert on_disk == listed


def test_a_failing_worker_raises_and_leaves_the_index_as_it_was(copy_seed_library):
    library, _ = copy_seed_library()
    before = segment_sizes(library)
    with (
        SegmentBuilders(str(library.derived.index.path), 2) as builders,
        pytest.raises(Exception) as e,
    ):
        builders.build([[{"id": "1", "no_such_field": "x"}], [{"id": "2"}]], lambda: False)
    assert "no_such_field" in str(e.value)
    assert segment_sizes(library) == before
    assert library.check().consistent
