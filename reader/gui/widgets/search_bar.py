"""The search box: as-you-type (debounced), a search-mode switch, result count, syntax help."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

DEBOUNCE_MS = 180
MODES = {  # mode -> what the switch says about it
    "auto": "Automatic: keyword search, joined by meaning search for a sentence or when few"
    " papers match (search syntax stays exact keyword search)",
    "keyword": "Keyword: papers containing the words (search syntax allowed)",
    "meaning": "Meaning: papers about what the query means, even in other words",
    "hybrid": "Hybrid: keyword and meaning rankings combined",
}
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


class SearchEdit(QLineEdit):
    """The search box: Down goes on to the results; Escape clears the search, then leaves."""

    leave = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Down or (key == Qt.Key.Key_Escape and not self.text()):
            self.leave.emit()
        elif key == Qt.Key.Key_Escape:
            self.clear()
        else:
            super().keyPressEvent(event)


class SearchBar(QWidget):
    query_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.edit = SearchEdit()
        self.edit.setPlaceholderText("Search title, abstract, authors…   (Ctrl+F or /)")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("Search")
        self.edit.setToolTip(SYNTAX_HELP)
        self.mode = QComboBox()
        self.mode.setAccessibleName("Search mode")
        for mode, tip in MODES.items():
            self.mode.addItem(mode.title(), mode)
            self.mode.setItemData(self.mode.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setAccessibleName("Search status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.mode)
        layout.addWidget(self.status)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.text()))
        self.edit.textChanged.connect(self._timer.start)
        self.edit.returnPressed.connect(self._now)
        self.mode.currentIndexChanged.connect(self._mode_chosen)

    def text(self) -> str:
        return self.edit.text().strip()

    def chosen_mode(self) -> str:
        """The switch's setting: "auto", "keyword", "meaning" or "hybrid"."""
        return str(self.mode.currentData())

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))

    def _mode_chosen(self) -> None:
        self.mode.setToolTip(MODES[self.chosen_mode()])
        if self.text():
            self._now()

    def _now(self) -> None:
        self._timer.stop()
        self.query_changed.emit(self.text())

    def set_status(self, text: str) -> None:
        self.status.setText(text)
