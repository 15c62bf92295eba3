"""The window never waits on pathological data: a word without a place to wrap, a tag nested
hundreds of levels deep, a pasted page as a query. (Timings are in benchmarks/bench_gui.py;
these tests check the bounds that make them fast.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from reader.core.display import BREAK_AFTER, ZERO_WIDTH_SPACE
from reader.core.search.query import MAX_QUERY_WORDS
from reader.core.vetting import MAX_ABSTRACT
from tests.core.conftest import record
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, sidebar_texts

LONG_WORD = "x" * 50_000


def test_a_paper_with_a_huge_word_is_shown_with_places_to_wrap(seeded, qtbot):
    window, library = seeded.window, seeded.library
    library.store.write_records(
        [
            record(
                "A" * 2_000, abstract=f"Starts normally. {LONG_WORD} ends.", arxiv_id="2601.00001"
            )
        ],
        None,
    )
    paper_id = library.resolve("2601.00001")
    window.show_paper(paper_id)
    browser = window.detail.browser
    qtbot.waitUntil(lambda: "Starts normally" in browser.toPlainText(), timeout=WAIT_MS)
    shown = browser.toPlainText()
    runs = shown.replace(ZERO_WIDTH_SPACE, " ").split()
    assert max(len(run) for run in runs) <= BREAK_AFTER
    assert LONG_WORD in shown.replace(ZERO_WIDTH_SPACE, "")

    browser.selectAll()
    browser.copy()  # what a user copies is the text as imported
    assert LONG_WORD in QGuiApplication.clipboard().text()
    assert ZERO_WIDTH_SPACE not in QGuiApplication.clipboard().text()


def test_an_abstract_longer_than_the_cap_shows_its_start(seeded, qtbot):
    """A library from before the caps may hold a 1 MB abstract: the pane shows the cap."""
    window, library = seeded.window, seeded.library
    abstract = "word " * (MAX_ABSTRACT // 5) + "y" * 1_000_000
    library.store.write_records([record("Huge", abstract=abstract, arxiv_id="2601.00002")], None)
    window.show_paper(library.resolve("2601.00002"))
    browser = window.detail.browser
    qtbot.waitUntil(lambda: "more characters not shown" in browser.toPlainText(), timeout=WAIT_MS)
    assert "1,000,000 more characters not shown" in browser.toPlainText()
    assert "yyyy" not in browser.toPlainText()  # the part past the cap


def test_a_tag_nested_past_the_recursion_limit_still_shows_the_sidebar(seeded, qtbot):
    """A tag the app no longer takes, already in a library (an older version, a sync)."""
    window, library = seeded.window, seeded.library
    deep = "/".join(f"t{i}" for i in range(1_500))
    library.store.add_tags([library.resolve(1)], [deep])
    window.refresh_sidebar()
    qtbot.waitUntil(lambda: "t1499 (1)" in sidebar_texts(window)["Tags"], timeout=WAIT_MS)
    window.refresh_sidebar()  # the same entries again: texts updated in place
    qtbot.waitUntil(lambda: not window.runner.busy("sidebar"), timeout=WAIT_MS)
    assert len(sidebar_texts(window)["Tags"]) == 1_500


def test_typing_a_tag_nested_too_deep_says_why_and_keeps_the_tags(seeded, qtbot, monkeypatch):
    window = seeded.window
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    paper = window.detail.paper
    assert paper is not None and not paper.tags
    window.detail.tags.setText("/".join(["deep"] * 500))
    qtbot.keyClick(window.detail.tags, Qt.Key.Key_Return)
    assert warnings and "nested 500 levels deep" in warnings[0]
    qtbot.waitUntil(lambda: window.detail.tags.text() == "", timeout=WAIT_MS)
    assert seeded.library.paper(paper.id).tags == []


def test_a_pasted_page_as_a_query_is_cut_and_the_status_says_so(seeded, qtbot):
    window = seeded.window
    window.search_bar.edit.setText(" ".join(f"language{i}" for i in range(10_000)))
    status = window.search_bar.status
    qtbot.waitUntil(lambda: "a long query" in status.text(), timeout=WAIT_MS)
    assert f"searched the first {MAX_QUERY_WORDS} of its" in status.text()


def test_export_refuses_the_library_folder_and_writes_elsewhere(
    seeded, seeded_folder, qtbot, monkeypatch, tmp_path
):
    from PySide6.QtWidgets import QFileDialog

    window = seeded.window
    database = seeded_folder / "library.sqlite"
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    chosen = [str(database)]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (chosen[0], ""))
    window.export("bibtex", whole_list=True)
    assert warnings and "inside the library folder" in warnings[0]
    assert database.read_bytes().startswith(b"SQLite format 3\x00")
    assert seeded.library.store.count() == SAMPLE_PAPERS

    chosen[0] = str(tmp_path / "papers.bib")
    window.export("bibtex", whole_list=True)
    qtbot.waitUntil(lambda: (tmp_path / "papers.bib").exists(), timeout=WAIT_MS)
    assert (tmp_path / "papers.bib").read_text(encoding="utf-8").count("@") >= 300
