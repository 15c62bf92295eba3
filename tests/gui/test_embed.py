"""Meaning vectors computed by a background ``paper-reader embed`` child, on small libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from reader.core.library import Library
from reader.core.related.embedder import Embedder
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, wait_for_list

EMBED_WAIT_MS = 120_000  # the real model in a child process, on a busy 2-core machine

needs_model = pytest.mark.skipif(not Embedder().available(), reason="embedding model not built")


def papers_file(seed_library: Path, path: Path, offset: int, count: int) -> Path:
    """Some of the sample's papers as arXiv-snapshot lines (real titles and abstracts)."""
    with Library.open(seed_library) as seed:
        ids = [r[0] for r in seed.store.query("SELECT id FROM papers ORDER BY id")]
        papers = seed.papers(ids[offset : offset + count])
    lines = [
        json.dumps(
            {
                "id": f"2501.{90000 + offset + n:05d}",
                "title": p.title,
                "authors": ", ".join(p.authors),
                "abstract": p.abstract,
                "categories": "cs.CL",
                "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
            }
        )
        for n, p in enumerate(papers)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_library(seed_library: Path, tmp_path: Path) -> Path:
    """A library of 20 sample papers, without vectors."""
    folder = tmp_path / "small"
    with Library.open(folder) as library:
        library.import_files([papers_file(seed_library, tmp_path / "first.jsonl", 0, 20)])
    return folder


@needs_model
def test_vectors_are_computed_at_start_and_after_an_import_and_related_papers_turn_dense(
    open_app, small_library, seed_library, tmp_path, qtbot
):
    QSettings().setValue("auto_embed", True)
    session = open_app(small_library)
    window = session.window
    wait_for_list(qtbot, window, 20)
    # vectors are missing: the child starts on its own, with progress in the status bar
    qtbot.waitUntil(lambda: window.embedder.running, timeout=WAIT_MS)
    assert window.embedder.widget.isVisible()
    qtbot.waitUntil(lambda: not window.embedder.running, timeout=EMBED_WAIT_MS)
    # the related pane of the paper shown is refreshed with the new vectors
    qtbot.waitUntil(lambda: window.related.dense, timeout=WAIT_MS)
    assert window.related.list.count() > 0
    assert "meaning" in window.related.heading.text()
    assert session.library.vector_count() == 20

    window.start_import([papers_file(seed_library, tmp_path / "second.jsonl", 20, 10)])
    wait_for_list(qtbot, window, 30)
    qtbot.waitUntil(lambda: session.library.vector_count() == 30, timeout=EMBED_WAIT_MS)
    newest = session.library.resolve("2501.90029")
    window.go_to_paper(newest)
    qtbot.waitUntil(
        lambda: window.related.dense and window.related.list.count() > 0, timeout=WAIT_MS
    )


@needs_model
def test_the_paper_on_screen_is_embedded_next_and_its_pane_turns_dense_meanwhile(
    open_app, seeded_folder, qtbot
):
    """At a million papers the embedding runs for days: the paper the researcher opens
    gets its vector from the running child within a batch, not in its turn, and the pane
    uses it once a quarter of the library has vectors (read while the child goes on)."""
    QSettings().setValue("auto_embed", True)
    session = open_app(seeded_folder)
    window = session.window
    wait_for_list(qtbot, window, SAMPLE_PAPERS)
    last = session.library.derived.related_papers.pending()[-1][0]  # the child's last paper
    qtbot.waitUntil(lambda: window.embedder.running, timeout=WAIT_MS)
    window.go_to_paper(last)
    assert not window.related.dense
    qtbot.waitUntil(lambda: window.related.dense, timeout=EMBED_WAIT_MS)
    assert window.current_id == last and window.related.list.count() > 0
    assert "meaning" in window.related.heading.text()
    assert window.embedder.running  # long before its turn came
    assert session.library.vector_count() < SAMPLE_PAPERS


@needs_model
def test_cancelled_embedding_stops_and_resumes_later(open_app, small_library, qtbot):
    QSettings().setValue("auto_embed", True)
    session = open_app(small_library)
    window = session.window
    qtbot.waitUntil(lambda: window.embedder.running, timeout=WAIT_MS)
    qtbot.mouseClick(window.embedder.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.embedder.running, timeout=WAIT_MS)
    assert not window.embedder.widget.isVisible()
    assert "failed" not in window.statusBar().currentMessage()

    window.derived.embed_missing()  # what the next start does
    qtbot.waitUntil(lambda: window.embedder.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: session.library.vector_count() == 20, timeout=EMBED_WAIT_MS)
