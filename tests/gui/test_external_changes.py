"""The open window follows the library: changes made by the CLI meanwhile, and an index that
is being rebuilt (searches fall back to simple matches, and say so)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reader.core.searching import FALLBACK_NOTE
from tests.gui.conftest import WAIT_MS, sidebar_texts
from tests.gui.test_search import type_query, wait_for_results


def cli(folder: Path, *args: str) -> None:
    command = [sys.executable, "-m", "reader", "--library", str(folder), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_the_open_window_picks_up_a_cli_tag_and_bookmark(seeded, qtbot):
    window, library = seeded.window, seeded.library
    paper_id = window.model.id_at(3)
    cli(library.folder, "tag", str(paper_id), "from-the-cli")
    cli(library.folder, "bookmark", str(paper_id))
    # the window polls the store's change counter and refreshes the sidebar and rows
    qtbot.waitUntil(
        lambda: any("from-the-cli" in t for t in sidebar_texts(window).get("Tags", [])),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: "Bookmarked (1)" in sidebar_texts(window)["Library"], timeout=WAIT_MS)
    # and its search index agrees with the store
    type_query(qtbot, window, "tag:from-the-cli")
    assert wait_for_results(qtbot, window, "tag:from-the-cli") == "keyword · 1 results"
    assert window.model.id_at(0) == paper_id


def test_a_search_while_the_index_rebuilds_shows_simple_matches_and_says_so(
    seeded, qtbot, monkeypatch
):
    window, library = seeded.window, seeded.library
    rebuilds = []
    monkeypatch.setattr(library.derived, "index_status", lambda: "rebuilding")
    monkeypatch.setattr(library, "catch_up_derived", lambda *cancel: rebuilds.append(1))
    type_query(qtbot, window, "speculative decoding")
    status = wait_for_results(qtbot, window, "speculative decoding")
    assert status.startswith(FALLBACK_NOTE)
    rows = window.model.rowCount()
    assert rows > 0
    for row in range(rows):
        paper = library.store.paper(window.model.id_at(row))
        text = f"{paper.title} {paper.abstract}".lower()
        assert "speculative" in text and "decoding" in text
    qtbot.waitUntil(lambda: bool(rebuilds), timeout=WAIT_MS)  # the repair was started


def test_a_deleted_index_is_rebuilt_in_the_background_at_start(open_app, seeded_folder, qtbot):
    import shutil

    shutil.rmtree(seeded_folder / "index")
    session = open_app(seeded_folder)
    window = session.window
    # re-indexing the whole library is a child process's work, not the window's
    qtbot.waitUntil(lambda: window.indexer.running, timeout=WAIT_MS)
    assert window.indexer.widget.isVisible()
    qtbot.waitUntil(lambda: session.library.index_status() == "ready", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.derived.rebuilding, timeout=WAIT_MS)
    assert session.library.check().consistent
    type_query(qtbot, window, "speculative decoding")  # the window's searches use it
    assert not wait_for_results(qtbot, window, "speculative decoding").startswith(FALLBACK_NOTE)
