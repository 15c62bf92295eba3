"""Searching from the search box, as the user types."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS


def type_query(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    """Select the search box's text and type over it (debounced as-you-type search)."""
    edit = window.search_bar.edit
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)


def wait_for_results(qtbot, window, query: str) -> str:  # type: ignore[no-untyped-def]
    """Until the results of ``query`` (not an earlier keystroke's) are shown; the status."""
    status = window.search_bar.status
    qtbot.waitUntil(lambda: window.query == query and "result" in status.text(), timeout=WAIT_MS)
    return status.text()


def test_typing_a_query_filters_the_list_and_clearing_restores_it(seeded, qtbot):
    window, library = seeded.window, seeded.library
    type_query(qtbot, window, "speculative decoding")
    status = wait_for_results(qtbot, window, "speculative decoding")

    rows = window.model.rowCount()
    assert 0 < rows < SAMPLE_PAPERS
    assert status == f"{rows} results"
    for row in range(rows):
        paper = library.store.paper(window.model.id_at(row))
        text = f"{paper.title} {paper.abstract}".lower()
        assert "speculat" in text and "decod" in text, paper.title
    # the best hit is selected and shown
    qtbot.waitUntil(lambda: window.detail.paper is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.detail.paper.id == window.model.id_at(0), timeout=WAIT_MS)

    type_query(qtbot, window, "")
    qtbot.waitUntil(
        lambda: (
            window.model.rowCount() == SAMPLE_PAPERS
            and window.search_bar.status.text() == f"{SAMPLE_PAPERS} papers"
        ),
        timeout=WAIT_MS,
    )


def test_a_misspelt_query_shows_results_for_the_correction(seeded, qtbot):
    window, library = seeded.window, seeded.library
    type_query(qtbot, window, "transfromer")
    status = wait_for_results(qtbot, window, "transfromer")

    assert status.startswith("showing results for “transformer”"), status
    rows = window.model.rowCount()
    assert status.endswith(f"{rows} results")
    assert 0 < rows < SAMPLE_PAPERS
    for row in range(rows):
        paper = library.store.paper(window.model.id_at(row))
        assert "transform" in f"{paper.title} {paper.abstract}".lower(), paper.title
