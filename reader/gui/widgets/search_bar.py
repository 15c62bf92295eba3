"""The search box: as-you-type (debounced), with result count and syntax help."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

DEBOUNCE_MS = 180
SYNTAX_HELP = (
    "<b>Search syntax</b><br>"
    "words — all must match (ranked)<br>"
    '"exact phrase"<br>'
    "author:hinton · tag:to-read · cat:cs.CL · title:attention<br>"
    "year:2023 · year:2020..2023<br>"
    "is:bookmarked · is:unread<br>"
    "a OR b · NOT survey · (a OR b) c · quant*<br>"
    "2406.12345 — an arXiv id"
)


class SearchBar(QWidget):
    query_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Search title, abstract, authors…   (Ctrl+F or /)")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("Search")
        self.edit.setToolTip(SYNTAX_HELP)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setAccessibleName("Search status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.text()))
        self.edit.textChanged.connect(self._timer.start)
        self.edit.returnPressed.connect(self._now)

    def text(self) -> str:
        return self.edit.text().strip()

    def _now(self) -> None:
        self._timer.stop()
        self.query_changed.emit(self.text())

    def set_status(self, text: str) -> None:
        self.status.setText(text)
