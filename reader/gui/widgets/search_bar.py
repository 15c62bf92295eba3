"""The search box: as-you-type (debounced), a search-mode switch, result count, syntax help."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from reader.core.search.query import MAX_QUERY_WORDS, is_simple

DEBOUNCE_MS = 180
AUTO = "auto"
MODES = {  # mode -> what the switch says about it
    AUTO: "Automatic: hybrid for a sentence, keyword for words and search syntax",
    "keyword": "Keyword: papers containing the words (search syntax allowed)",
    "meaning": "Meaning: papers about what the query means, even in other words",
    "hybrid": "Hybrid: keyword and meaning rankings combined",
}
SENTENCE_WORDS = 4  # a query of this many plain words reads as a sentence
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


def auto_mode(text: str) -> str:
    """Hybrid for a sentence ("how do transformers handle long inputs"), keyword for a few
    words or anything with search syntax (fields, quotes, operators, wildcards)."""
    if len(text.split()) >= SENTENCE_WORDS and is_simple(text):
        return "hybrid"
    return "keyword"


def any_word_query(text: str) -> str:
    """Papers sharing any of the words, best first: a sentence's stand-in for meaning search
    while there are no vectors (all of a sentence's words rarely occur in one abstract)."""
    words = text.split()[: MAX_QUERY_WORDS // 2]  # with the ORs, within a query's words
    return " OR ".join(words) if is_simple(text) else text


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
        self.edit.textChanged.connect(self._show_auto_choice)
        self.edit.returnPressed.connect(self._now)
        self.mode.currentIndexChanged.connect(self._mode_chosen)
        self._show_auto_choice()

    def text(self) -> str:
        return self.edit.text().strip()

    def chosen_mode(self) -> str:
        """The switch's setting: "auto", "keyword", "meaning" or "hybrid"."""
        return str(self.mode.currentData())

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))

    def mode_for(self, text: str) -> str:
        """The mode a search for ``text`` runs in: the chosen one, or auto's pick."""
        chosen = self.chosen_mode()
        return auto_mode(text) if chosen == AUTO else chosen

    def _show_auto_choice(self) -> None:
        """The switch says which mode "auto" picks for what is typed ("Auto: hybrid")."""
        text = self.text()
        label = f"Auto: {auto_mode(text)}" if text else "Auto"
        self.mode.setItemText(self.mode.findData(AUTO), label)

    def _mode_chosen(self) -> None:
        self.mode.setToolTip(MODES[self.chosen_mode()])
        if self.text():
            self._now()

    def _now(self) -> None:
        self._timer.stop()
        self.query_changed.emit(self.text())

    def set_status(self, text: str) -> None:
        self.status.setText(text)
