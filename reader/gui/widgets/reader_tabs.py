"""The window's tabs: the library (sidebar, list, paper) first, then one tab per PDF being read,
each opened at the page where its reader was left."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabBar, QTabWidget, QWidget

from reader.gui.widgets.pdf_reader import PdfReader

if TYPE_CHECKING:
    from reader.core.pdfs import PdfInfo

TAB_TITLE_CHARS = 32


class ReaderTabs(QTabWidget):
    """Tab 0 is the library and cannot be closed; ``open_pdf`` adds (or shows) a reader."""

    page_left = Signal(int, int)  # paper id, page (0-based): where to reopen it

    def __init__(self, library_view: QWidget) -> None:
        super().__init__()
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(False)
        self.setAccessibleName("Library and open papers")
        self.addTab(library_view, "Library")
        bar = self.tabBar()
        for side in (QTabBar.ButtonPosition.RightSide, QTabBar.ButtonPosition.LeftSide):
            if bar.tabButton(0, side) is not None:
                bar.tabButton(0, side).resize(0, 0)  # the library tab has no close button
        self.tabCloseRequested.connect(self.close_tab)
        self.readers: dict[int, PdfReader] = {}  # by paper id

    def open_pdf(self, paper_id: int, title: str, info: PdfInfo) -> PdfReader:
        reader = self.readers.get(paper_id)
        if reader is None:
            reader = PdfReader()
            reader.page_changed.connect(_remember(self.page_left.emit, paper_id))
            self.readers[paper_id] = reader
            short = title if len(title) <= TAB_TITLE_CHARS else title[: TAB_TITLE_CHARS - 1] + "…"
            index = self.addTab(reader, short)
            self.setTabToolTip(index, title)
            reader.open(info.path, info.last_page)
        self.setCurrentWidget(reader)
        reader.setFocus()
        return reader

    def close_tab(self, index: int) -> None:
        widget = self.widget(index)
        if index == 0 or not isinstance(widget, PdfReader):
            return
        for paper_id, reader in list(self.readers.items()):
            if reader is widget:
                del self.readers[paper_id]
        self.removeTab(index)
        widget.close_document()
        widget.deleteLater()

    def close_current(self) -> None:
        self.close_tab(self.currentIndex())

    def close_all(self) -> None:
        while self.count() > 1:
            self.close_tab(self.count() - 1)


def _remember(emit: Callable[[int, int], None], paper_id: int) -> Callable[[int], None]:
    return lambda page: emit(paper_id, page)
