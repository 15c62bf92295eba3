"""The in-app PDF reader on PDFs generated here: pages, search hits, selection copy, zoom,
broken files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QApplication

from reader.gui.widgets.pdf_reader import PdfReader
from tests.gui.conftest import WAIT_MS

WORDS = ["alpha", "bravo", "zyzzyva", "delta", "echo"]  # page i says WORDS[i]


def make_pdf(path: Path, pages: int = 5) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for i in range(pages):
        pdf.add_page()
        pdf.set_xy(20, 30)
        pdf.cell(0, 10, f"Page {i + 1} says {WORDS[i % len(WORDS)]} today")
        pdf.set_xy(20, 60)
        pdf.multi_cell(0, 8, "Filler sentence for the page. " * 30)
    pdf.output(str(path))
    return path


@pytest.fixture
def reader(qtbot, tmp_path: Path) -> PdfReader:
    widget = PdfReader()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    widget.open(make_pdf(tmp_path / "paper.pdf"), page=1)
    qtbot.waitUntil(
        lambda: widget.page_total == 5 and not widget.canvas.image.isNull(), timeout=WAIT_MS
    )
    return widget


def test_opens_at_the_page_asked_for(reader: PdfReader):
    assert reader.page == 1 and reader.page_box.value() == 2
    assert reader.page_count.text() == "/ 5"


def test_keys_turn_pages_and_announce_them(reader: PdfReader, qtbot):
    pages: list[int] = []
    reader.page_changed.connect(pages.append)
    reader.setFocus()
    qtbot.keyClick(reader, Qt.Key.Key_PageDown)
    qtbot.keyClick(reader, Qt.Key.Key_End)
    qtbot.keyClick(reader, Qt.Key.Key_End)  # already there: no second announcement
    qtbot.keyClick(reader, Qt.Key.Key_Home)
    assert pages == [2, 4, 0]


def test_fit_width_fills_the_view_and_zoom_changes_the_rendered_size(reader: PdfReader, qtbot):
    viewport = reader.scroll.viewport().width()
    assert abs(reader.canvas.width() - viewport) <= 6
    before = reader.canvas.width()
    reader.zoom_by(0.5)
    qtbot.waitUntil(lambda: abs(reader.canvas.width() - before / 2) <= 3, timeout=WAIT_MS)
    assert reader.fit == ""
    reader.set_fit("page")
    qtbot.waitUntil(
        lambda: reader.canvas.height() <= reader.scroll.viewport().height(), timeout=WAIT_MS
    )


def test_search_goes_to_the_page_and_highlights_the_word(reader: PdfReader, qtbot):
    reader.find.setText("ZYZZYVA")
    qtbot.keyClick(reader.find, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reader.hit_label.text() == "1 of 1", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: reader.page == 2 and bool(reader.canvas.current_hit), timeout=WAIT_MS)
    hit = reader.canvas.current_hit[0]
    # the word sits on the first line, 30 mm from the top of an A4 page
    top_share = hit.top() / reader.canvas.height()
    assert 0.08 < top_share < 0.16 and hit.width() > 20
    reader.search("no such word")
    qtbot.waitUntil(lambda: reader.hit_label.text() == "no match", timeout=WAIT_MS)
    assert reader.canvas.hits == []


def test_a_dragged_selection_is_copied(reader: PdfReader, qtbot):
    canvas = reader.canvas
    scale = reader.rendered_scale
    mm = 72 / 25.4 * scale  # pixels per millimetre at this zoom
    rect = QRectF(QPointF(15 * mm, 28 * mm), QPointF(canvas.width() - 5, 42 * mm))  # line one
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=rect.topLeft().toPoint())
    qtbot.mouseMove(canvas, rect.bottomRight().toPoint())
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=rect.bottomRight().toPoint())
    qtbot.waitUntil(lambda: "bravo" in reader.selected_text, timeout=WAIT_MS)
    reader.setFocus()
    qtbot.keyClick(reader, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "Page 2 says bravo today"


@pytest.mark.parametrize(
    "content",
    [b"<!DOCTYPE html><html>Please log in</html>", None],
    ids=["html-named-pdf", "truncated"],
)
def test_a_broken_file_shows_a_message_not_a_crash(qtbot, tmp_path: Path, content: bytes | None):
    path = tmp_path / "bad.pdf"
    if content is None:
        whole = make_pdf(tmp_path / "whole.pdf").read_bytes()
        content = whole[: len(whole) // 3]
    path.write_bytes(content)
    widget = PdfReader()
    qtbot.addWidget(widget)
    widget.open(path)
    qtbot.waitUntil(lambda: bool(widget.error), timeout=WAIT_MS)
    assert widget.message.text().startswith("This PDF cannot be shown")
    widget.go_to(3)  # nothing to turn: no error
    assert widget.page_total == 0
