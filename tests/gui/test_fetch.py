"""Fetching from the window: the dialog's command lines, and the fetch child process against
the tests' local server, in the status bar, its papers in the list."""

from __future__ import annotations

import json

from PySide6.QtCore import QDate
from pytest_httpserver import HTTPServer

from reader.gui.widgets.fetch_dialog import FetchDialog, fetch_today_args
from tests.core.online import recorded
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, sidebar_texts, wait_for_list

TODAY = QDate(2026, 8, 21)


def test_the_dialog_builds_each_kind_of_fetch(qtbot):
    dialog = FetchDialog(today=TODAY)
    qtbot.addWidget(dialog)
    assert dialog.arguments() == ["fetch", "hf", "--from", "2026-08-15", "--to", "2026-08-21"]
    dialog.tabs.setCurrentIndex(1)
    dialog.query.setText("cs.CL")
    assert dialog.arguments() == ["fetch", "arxiv", "--category", "cs.CL", "--max", "200"]
    dialog.query.setText("ti:diffusion AND cat:cs.CV")
    assert dialog.arguments()[2:4] == ["--query", "ti:diffusion AND cat:cs.CV"]
    dialog.tabs.setCurrentIndex(2)
    assert dialog.arguments() == ["fetch", "oai", "--set", "cs", "--until", "2026-08-21"]
    dialog.continue_last.setChecked(False)
    assert dialog.arguments()[4:6] == ["--from", "2026-08-14"]
    assert fetch_today_args(TODAY) == ["fetch", "hf", "--date", "2026-08-21"]


def test_the_dialog_refuses_what_cannot_be_fetched(qtbot):
    dialog = FetchDialog(today=TODAY)
    qtbot.addWidget(dialog)
    dialog.first.setDate(QDate(2026, 8, 22))
    dialog.last.setDate(QDate(2026, 8, 20))
    dialog._accept_if_valid()
    assert "before the first" in dialog.problem.text() and not dialog.result()
    dialog.tabs.setCurrentIndex(1)
    assert "category" in dialog.problem_text()


def test_a_fetched_week_lands_in_the_list_with_progress_in_the_status_bar(
    seeded, server: HTTPServer, qtbot
):
    days = recorded.hf_days()
    server.expect_request("/api/daily_papers").respond_with_handler(recorded.hf_handler(days))
    window = seeded.window
    fetcher = window.online.fetcher
    fetcher.start(["fetch", "hf", "--from", "2026-08-15", "--to", "2026-08-21"])
    assert fetcher.running and fetcher.widget.isVisible()
    new = len({p["paper"]["id"] for body in days.values() for p in json.loads(body)})
    wait_for_list(qtbot, window, SAMPLE_PAPERS + new)
    qtbot.waitUntil(lambda: not fetcher.running, timeout=WAIT_MS)
    assert fetcher.last_summary is not None and fetcher.last_summary["added"] == new
    assert f"Fetched: {new:,} new" in window.statusBar().currentMessage()


def test_an_unreachable_service_is_named_in_the_status_bar(
    seeded, qtbot, monkeypatch, closed_port_url: str
):
    monkeypatch.setenv("PAPER_READER_HF_URL", closed_port_url)
    fetcher = seeded.window.online.fetcher
    fetcher.start(["fetch", "hf", "--date", "2026-08-21"], quiet=True)
    qtbot.waitUntil(lambda: not fetcher.running, timeout=WAIT_MS)
    assert fetcher.last_error.startswith("Hugging Face Daily Papers: cannot reach 127.0.0.1")
    assert "Fetch failed: Hugging Face" in seeded.window.statusBar().currentMessage()


def test_read_pdf_downloads_opens_a_tab_and_reopens_at_the_last_page(
    seeded, server: HTTPServer, qtbot, tmp_path
):
    from tests.core.conftest import record
    from tests.gui.test_pdf_reader import make_pdf

    body = make_pdf(tmp_path / "paper.pdf").read_bytes()
    server.expect_request("/pdf/2608.00042").respond_with_data(body, content_type="application/pdf")
    window, library = seeded.window, seeded.library
    library.store.write_records(
        [record("A Paper To Read On The Train", arxiv_id="2608.00042")], None
    )
    paper_id = library.resolve("2608.00042")
    window.show_paper(paper_id)
    qtbot.waitUntil(
        lambda: window.detail.pdf_button.text() == "Download and read PDF", timeout=WAIT_MS
    )
    window.detail.pdf_button.click()  # downloads in a child process, then opens the tab
    qtbot.waitUntil(lambda: window.reader_tabs.count() == 2, timeout=WAIT_MS)
    reader = window.reader_tabs.currentWidget()
    qtbot.waitUntil(lambda: reader.page_total == 5, timeout=WAIT_MS)
    assert window.reader_tabs.tabText(1) == "A Paper To Read On The Train"
    assert "Available offline — 5 pages" in window.detail.offline.text()
    qtbot.waitUntil(
        lambda: "Available offline (1)" in sidebar_texts(window)["Library"], timeout=WAIT_MS
    )
    reader.go_to(3)
    qtbot.waitUntil(lambda: library.derived.pdfs.info(paper_id).last_page == 3, timeout=WAIT_MS)
    window.reader_tabs.close_current()
    assert window.reader_tabs.count() == 1
    window.online.read_pdf()
    qtbot.waitUntil(lambda: window.reader_tabs.count() == 2, timeout=WAIT_MS)
    reopened = window.reader_tabs.currentWidget()
    qtbot.waitUntil(lambda: reopened.page == 3, timeout=WAIT_MS)
    assert len(server.log) == 1  # read from the cache the second time
    # a word only in the PDF's body: found, and said to be found there
    window.reader_tabs.setCurrentIndex(0)
    window.search_bar.edit.setText("zyzzyva")
    qtbot.waitUntil(
        lambda: window.model.rowCount() == 1 and window.model.id_at(0) == paper_id,
        timeout=WAIT_MS,
    )
    window.show_paper(paper_id)
    qtbot.waitUntil(
        lambda: "Found in the full text" in window.detail.browser.toPlainText(), timeout=WAIT_MS
    )
    assert "zyzzyva" in window.detail.browser.toPlainText().split("Found in the full text")[1]


def test_completing_details_from_arxiv_fills_the_sample_librarys_authors(
    seeded, server: HTTPServer, qtbot
):
    from tests.core.online import arxiv_search

    server.expect_request("/api/query").respond_with_handler(
        arxiv_search.handler(arxiv_search.corpus_search())
    )
    window, library = seeded.window, seeded.library
    assert library.store.query("SELECT count(*) FROM papers WHERE authors = '[]'")[0][0] > 300
    window.online.enrich([])  # File ▸ Complete missing details from arXiv
    assert window.online.enricher.running
    qtbot.waitUntil(lambda: not window.online.enricher.running, timeout=120_000)
    summary = window.online.enricher.last_summary
    assert summary is not None and summary["resolved"] >= 50  # 56 are in the recorded data
    assert f"Looked up on arXiv: {summary['resolved']:,} completed" in (
        window.statusBar().currentMessage()
    )
    with_authors = library.store.query("SELECT count(*) FROM papers WHERE authors <> '[]'")[0][0]
    assert with_authors >= summary["resolved"]
    qtbot.waitUntil(lambda: window.detail.paper is not None, timeout=WAIT_MS)


def test_right_click_menus_on_the_sidebar_do_not_pile_up(seeded, qtbot):
    """Each right-click made a menu and an action that lived as long as the window."""
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication, QMenu

    from tests.gui.conftest import sidebar_index

    window = seeded.window
    shown: list[list[str]] = []

    def right_click() -> None:
        def close_popup() -> None:
            popup = QApplication.activePopupWidget()
            shown.append([action.text() for action in popup.actions()])
            popup.close()

        QTimer.singleShot(0, close_popup)
        window.menus._sidebar_menu(position)

    def count() -> tuple[int, int]:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return len(window.findChildren(QMenu)), len(window.findChildren(QAction))

    index = sidebar_index(window, "Library", "Bookmarked (0)")
    position = window.sidebar.visualRect(index).center()
    right_click()
    before = count()
    for _ in range(5):
        right_click()
    assert count() == before
    assert shown == [["Make bookmarks available offline"]] * 6
