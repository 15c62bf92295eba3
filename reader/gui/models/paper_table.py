"""The list pane's model: holds only paper ids and fetches the painted rows in windows."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from reader.core.views import Row, Views

WINDOW = 200  # rows fetched per query
CACHED_WINDOWS = 50  # at most 10k rows kept in memory

# (header, sort key in core.views.SORT_COLUMNS or None when not sortable)
COLUMNS: list[tuple[str, str | None]] = [
    ("★", None),
    ("Title", "title"),
    ("First author", "first_author"),
    ("Published", "published"),
    ("Upvotes", "upvotes"),
    ("Tags", None),
]
STAR, TITLE, AUTHOR, PUBLISHED, UPVOTES, TAGS = range(len(COLUMNS))

Index = QModelIndex | QPersistentModelIndex


class PaperTableModel(QAbstractTableModel):
    def __init__(self, views: Views) -> None:
        super().__init__()
        self.views = views
        self.ids: array = array("q")
        self._windows: OrderedDict[int, dict[int, Row]] = OrderedDict()
        self.scores: dict[int, float] = {}  # search scores, when showing search results
        self._bold = QFont()
        self._bold.setBold(True)

    # -- content ---------------------------------------------------------------------------

    def set_ids(self, ids: array | list[int], scores: dict[int, float] | None = None) -> None:
        self.beginResetModel()
        self.ids = ids if isinstance(ids, array) else array("q", ids)
        self.scores = scores or {}
        self._windows.clear()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Forget cached rows and repaint (after a bookmark, tag or read change)."""
        self._windows.clear()
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, TAGS))

    def id_at(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def row_of(self, paper_id: int) -> int | None:
        try:
            return self.ids.index(paper_id)
        except ValueError:
            return None

    def _row(self, row: int) -> Row | None:
        window = row // WINDOW
        cached = self._windows.get(window)
        if cached is None:
            start = window * WINDOW
            cached = self.views.rows(list(self.ids[start : start + WINDOW]))
            self._windows[window] = cached
            if len(self._windows) > CACHED_WINDOWS:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(window)
        return cached.get(self.ids[row])

    # -- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return "Bookmarked" if section == STAR else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._row(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.FontRole and not row.read and column == TITLE:
            return self._bold  # unread papers in bold, as in a mail client
        if role == Qt.ItemDataRole.ToolTipRole and column == TITLE:
            return row.title
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (STAR, UPVOTES):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(row, column) or ("bookmarked" if row.bookmarked else "")
        return None

    @staticmethod
    def _display(row: Row, column: int) -> str:
        if column == STAR:
            return "★" if row.bookmarked else ""
        if column == TITLE:
            return row.title
        if column == AUTHOR:
            more = " et al." if row.author_count > 1 else ""
            return f"{row.first_author}{more}" if row.first_author else ""
        if column == PUBLISHED:
            return row.published
        if column == UPVOTES:
            return "" if row.upvotes is None else str(row.upvotes)
        return row.tags
