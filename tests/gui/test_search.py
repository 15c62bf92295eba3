"""Searching from the search box, as the user types."""

from __future__ import annotations

from PySide6.QtCore import Qt

from reader.gui.main_window import SEARCH_LIMIT
from tests.core.test_related import FakeEmbedder, with_embedder
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, drain, sidebar_index, sidebar_texts


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
    assert status == f"keyword · {rows} results"  # two words: keyword mode
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


def test_down_goes_from_the_search_box_to_the_results_and_escape_clears_then_leaves(seeded, qtbot):
    window = seeded.window
    edit, table = window.search_bar.edit, window.table
    type_query(qtbot, window, "speculative decoding")
    wait_for_results(qtbot, window, "speculative decoding")
    qtbot.waitUntil(lambda: window.table.currentIndex().row() == 0, timeout=WAIT_MS)

    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert table.hasFocus() and table.currentIndex().row() == 0
    qtbot.keyClick(table, Qt.Key.Key_J)  # the list's keys work at once
    assert table.currentIndex().row() == 1

    qtbot.keyClick(table, Qt.Key.Key_Slash)
    assert edit.hasFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Escape)  # clears the search: every paper again
    assert edit.text() == "" and edit.hasFocus()
    qtbot.waitUntil(lambda: window.model.rowCount() == SAMPLE_PAPERS, timeout=WAIT_MS)
    qtbot.keyClick(edit, Qt.Key.Key_Escape)  # empty: back to the list
    assert table.hasFocus()


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


def test_a_sentence_without_vectors_says_they_are_needed_and_shows_keyword_results(seeded, qtbot):
    window = seeded.window
    query = "how do language models reason step by step"
    assert window.search_bar.chosen_mode() == "auto"  # the default
    type_query(qtbot, window, query)
    status = wait_for_results(qtbot, window, query)

    assert status.startswith("meaning search needs related-paper vectors"), status
    assert "turn them on in Preferences" in status  # they are off (the tests' setting)
    assert window.model.rowCount() > 0  # the keyword results meanwhile, not an empty list


def test_the_meaning_switch_routes_the_query_to_meaning_search(seeded, qtbot):
    window, library = seeded.window, seeded.library
    drain(seeded.runner)
    with_embedder(library, FakeEmbedder())
    assert library.embed() == SAMPLE_PAPERS
    window.search_bar.set_mode("meaning")
    type_query(qtbot, window, "speculative decoding")
    status = wait_for_results(qtbot, window, "speculative decoding")

    assert status.startswith("meaning · "), status
    meaning = library.search("speculative decoding", SEARCH_LIMIT, snippets=False, mode="meaning")
    keyword = library.search("speculative decoding", SEARCH_LIMIT, snippets=False)
    assert list(window.model.ids) == [h.paper.id for h in meaning.hits]
    assert list(window.model.ids) != [h.paper.id for h in keyword.hits]


def test_auto_search_marks_the_papers_found_by_meaning(seeded, qtbot):
    from reader.gui.models.paper_table import MEANING_MARK, TITLE

    window, library = seeded.window, seeded.library
    drain(seeded.runner)
    with_embedder(library, FakeEmbedder())
    assert library.embed() == SAMPLE_PAPERS
    query = "making language model generation faster with a small draft model"
    type_query(qtbot, window, query)
    status = wait_for_results(qtbot, window, query)

    expected = library.search(query, SEARCH_LIMIT, snippets=False, mode="auto")
    assert list(window.model.ids) == [h.paper.id for h in expected.hits]
    by_meaning = [h.paper.id for h in expected.hits if h.by_meaning]
    assert by_meaning and status.startswith("keyword + meaning · "), status
    assert f"{len(by_meaning)} by meaning {MEANING_MARK}" in status
    model = window.model
    for row in range(model.rowCount()):
        model.data(model.index(row, TITLE))  # asks for the row's window
        qtbot.waitUntil(lambda row=row: model.is_loaded(row), timeout=WAIT_MS)
        title = model.data(model.index(row, TITLE))
        marked = model.id_at(row) in by_meaning
        assert title.startswith(f"{MEANING_MARK} ") is marked, title

    type_query(qtbot, window, "author:hinton")  # syntax: keyword search as it always was
    status = wait_for_results(qtbot, window, "author:hinton")
    assert status.startswith("keyword · "), status
    assert not window.model.by_meaning


def bold_fragments(html: str) -> int:
    from PySide6.QtGui import QFont, QTextDocument

    document = QTextDocument()
    document.setHtml(html)
    count, block = 0, document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            count += it.fragment().charFormat().fontWeight() >= QFont.Weight.Bold
            it += 1
        block = block.next()
    return count


def test_the_query_terms_are_highlighted_in_the_paper_until_the_search_is_cleared(seeded, qtbot):
    from reader.gui.widgets.detail import paper_html

    window = seeded.window
    type_query(qtbot, window, "speculative decoding")
    wait_for_results(qtbot, window, "speculative decoding")
    qtbot.waitUntil(  # the best hit is shown (not the paper shown before the search)
        lambda: window.detail.paper is not None and window.detail.paper.id == window.model.id_at(0),
        timeout=WAIT_MS,
    )
    paper = window.detail.paper
    plain = bold_fragments(paper_html(paper))
    shown = window.detail.browser
    assert bold_fragments(shown.toHtml()) > plain  # the query words are marked

    type_query(qtbot, window, "")  # the same paper stays selected, now without marks
    qtbot.waitUntil(lambda: window.search_bar.status.text().endswith("papers"), timeout=WAIT_MS)
    assert window.detail.paper.id == paper.id
    assert bold_fragments(shown.toHtml()) == plain


def saved_searches(library) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = library.store.conn.execute("SELECT name, query FROM saved_searches")
    return [tuple(row) for row in rows]


def test_a_saved_search_appears_in_the_sidebar_runs_when_chosen_and_can_be_deleted(
    seeded, qtbot, monkeypatch
):
    window, library = seeded.window, seeded.library
    type_query(qtbot, window, "speculative decoding")
    wait_for_results(qtbot, window, "speculative decoding")
    hits = window.model.rowCount()
    monkeypatch.setattr(
        "reader.gui.main_window.QInputDialog.getText", lambda *a, **k: ("Spec dec", True)
    )
    qtbot.keyClick(window.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Spec dec" in sidebar_texts(window)["Saved searches"], timeout=WAIT_MS)
    assert saved_searches(library) == [("Spec dec", "speculative decoding")]

    type_query(qtbot, window, "")
    qtbot.waitUntil(lambda: window.model.rowCount() == SAMPLE_PAPERS, timeout=WAIT_MS)
    assert not window.menus.delete_search_action.isEnabled()  # nothing to delete is selected
    saved = sidebar_index(window, "Saved searches", "Spec dec")
    window.sidebar.setCurrentIndex(saved)
    assert window.search_bar.edit.text() == "speculative decoding"
    wait_for_results(qtbot, window, "speculative decoding")
    assert window.model.rowCount() == hits
    assert window.menus.delete_search_action.isEnabled()

    window.menus.delete_search_action.trigger()
    qtbot.waitUntil(lambda: sidebar_texts(window)["Saved searches"] == [], timeout=WAIT_MS)
    assert saved_searches(library) == []
