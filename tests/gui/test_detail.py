"""The detail and related panes: selecting, navigating, and showing untrusted text safely."""

from __future__ import annotations

import json
import re

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocument

from reader.core.model import Paper
from reader.gui.models.paper_table import TITLE
from reader.gui.widgets.detail import SafeTextBrowser
from reader.gui.widgets.related import ID_ROLE, RelatedPane
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, cell, click_row, drain, wait_for_list

PLAIN_TITLE = re.compile(r"^[A-Za-z0-9 ,:-]+$")  # appears verbatim in the browser's HTML


def test_selecting_a_row_shows_the_paper_and_related_papers_navigate_with_history(seeded, qtbot):
    window = seeded.window
    row = next(r for r in range(1, 50) if PLAIN_TITLE.match(cell(qtbot, window, r, TITLE)))
    chosen = window.model.id_at(row)
    title = cell(qtbot, window, row, TITLE)
    click_row(qtbot, window, row)

    qtbot.waitUntil(
        lambda: window.detail.paper and window.detail.paper.id == chosen, timeout=WAIT_MS
    )
    assert window.table.currentIndex().row() == row
    assert title in window.detail.browser.toHtml()
    related = window.related.list
    qtbot.waitUntil(lambda: related.count() > 0, timeout=WAIT_MS)
    assert not window.related.status.isVisible()

    item = related.item(0)
    target = int(item.data(ID_ROLE))
    assert target != chosen
    rect = related.visualItemRect(item)
    qtbot.mouseClick(related.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.detail.paper.id == target, timeout=WAIT_MS)
    target_title = seeded.library.store.paper(target).title
    assert target_title in window.detail.browser.toPlainText()
    assert window.model.id_at(window.table.currentIndex().row()) == target

    qtbot.keyClick(window.table, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.detail.paper.id == chosen, timeout=WAIT_MS)
    assert window.table.currentIndex().row() == row
    qtbot.keyClick(window.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.detail.paper.id == target, timeout=WAIT_MS)


def test_paging_through_papers_with_j_looks_up_related_papers_once_it_stops(
    seeded, qtbot, monkeypatch
):
    window, library = seeded.window, seeded.library
    drain(seeded.runner)
    asked: list[int] = []
    lookup = library.related
    monkeypatch.setattr(
        library, "related", lambda pid, **kw: asked.append(pid) or lookup(pid, **kw)
    )
    window.table.setFocus()
    for _ in range(12):  # faster than the delay: a key held down
        qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert asked == []
    assert window.related.status.isVisible()  # "computing…" meanwhile, not stale neighbours
    qtbot.waitUntil(lambda: window.related.list.count() > 0, timeout=WAIT_MS)
    assert asked == [window.current_id]


HOSTILE_ABSTRACT = '<script>alert(1)</script><img src="http://example.com/x.png"> <b>bold</b>'
HOSTILE_TITLE = "Hostile <i>markup</i> paper"


def test_markup_in_imported_text_is_shown_literally_and_fetches_nothing(
    seeded, tmp_path, qtbot, monkeypatch
):
    window = seeded.window
    record = {
        "id": "2501.00001",
        "title": HOSTILE_TITLE,
        "authors": "Mallory <b>Evil</b>",
        "abstract": HOSTILE_ABSTRACT,
        "categories": "cs.CR",
        "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
    }
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text(json.dumps(record) + "\n", encoding="utf-8")
    window.importer.start([hostile])
    wait_for_list(qtbot, window, SAMPLE_PAPERS + 1)
    paper_id = seeded.library.resolve("2501.00001")

    given: list[str] = []
    original = window.detail.browser.setHtml
    monkeypatch.setattr(window.detail.browser, "setHtml", lambda h: (given.append(h), original(h)))
    row = window.model.row_of(paper_id)
    assert row is not None
    click_row(qtbot, window, row)
    qtbot.waitUntil(lambda: window.detail.paper.id == paper_id, timeout=WAIT_MS)

    shown = window.detail.browser.toPlainText()
    assert HOSTILE_TITLE in shown
    assert "<script>alert(1)</script>" in shown and '<img src="http://example.com/x.png">' in shown
    assert "<b>bold</b>" in shown
    assert given, "the detail pane did not give the browser any HTML"
    html = given[-1]
    assert "&lt;script&gt;" in html and "&lt;img" in html and "&lt;i&gt;markup" in html
    assert "<script" not in html and "<img" not in html and "<i>markup" not in html
    rendered = window.detail.browser.toHtml()
    assert "<img" not in rendered and "<script" not in rendered


def test_the_browser_never_loads_a_resource(qtbot):
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    for url in (
        "http://example.com/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "qrc:/icon.svg",
        "x.png",
    ):
        for kind in (
            QTextDocument.ResourceType.ImageResource,
            QTextDocument.ResourceType.StyleSheetResource,
            QTextDocument.ResourceType.HtmlResource,
        ):
            assert browser.loadResource(int(kind.value), QUrl(url)) is None, url


def test_related_papers_show_an_author_line_only_when_there_are_authors(qtbot):
    pane = RelatedPane()
    qtbot.addWidget(pane)
    papers = [
        (Paper(id=1, title="Alone", authors=["Ada Lovelace", "Charles Babbage"]), 0.9),
        (Paper(id=2, title="Anonymous $\\alpha$-paper"), 0.6),
    ]
    pane.show_related(papers, dense=True)

    texts = [pane.list.item(i).text() for i in range(pane.list.count())]
    assert texts == ["●●●●○  Alone\n    Ada Lovelace et al.", "●●●○○  Anonymous α-paper"]
    assert [pane.list.item(i).data(ID_ROLE) for i in range(2)] == [1, 2]


def test_related_papers_say_why_each_is_related(qtbot):
    from reader.core.related.explain import Reason

    pane = RelatedPane()
    qtbot.addWidget(pane)
    papers = [
        (Paper(id=1, title="Medusa", authors=["Tianle Cai"]), 0.8),
        (Paper(id=2, title="PaSS"), 0.5),
        (Paper(id=3, title="Unexplained"), 0.4),
    ]
    reasons = {
        1: Reason(("speculative decoding", "draft"), meaning=False),
        2: Reason((), meaning=True),
        3: Reason((), meaning=False),
    }
    pane.show_related(papers, dense=True, reasons=reasons)

    texts = [pane.list.item(i).text() for i in range(pane.list.count())]
    assert texts == [
        "●●●●○  Medusa\n    Tianle Cai\n    ↳ speculative decoding, draft",
        "●●○○○  PaSS\n    ↳ similar meaning",
        "●●○○○  Unexplained",
    ]
    assert pane.list.item(0).toolTip() == (
        "similarity 0.80\nrelated by: speculative decoding, draft"
    )
