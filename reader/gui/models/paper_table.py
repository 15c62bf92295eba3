"""The list pane: a model that holds only paper ids and fetches the painted rows in windows,
and the view and delegate that paint them.

Windows are read by background jobs, never on the GUI thread: a row not fetched yet paints
as its last known values (or blank) and is repainted when its window arrives.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QFontMetrics, QPaintEvent
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from reader.core.views import Row, Views
from reader.gui.jobs import JobRunner
from reader.gui.models.sidebar import day_label

WINDOW = 100  # rows fetched per query (a screenful or three)
CACHED_ROWS = 10_000  # rows kept in memory (by paper id, so they survive a re-sort)

# (header, sort key in core.views.SORT_COLUMNS or None when not sortable)
COLUMNS: list[tuple[str, str | None]] = [
    ("★", None),
    ("Title", "title"),
    ("First author", "first_author"),
    ("Published", "published"),
    ("Listed", "listed_on"),
    ("Upvotes", "upvotes"),
    ("Tags", None),
]
STAR, TITLE, AUTHOR, PUBLISHED, LISTED, UPVOTES, TAGS = range(len(COLUMNS))
# Columns hidden while no paper has a value in them (keys of Views.filled_columns).
OPTIONAL = {
    AUTHOR: "first_author",
    PUBLISHED: "published",
    LISTED: "listed_on",
    UPVOTES: "upvotes",
    TAGS: "tags",
}

R = Qt.ItemDataRole
DISPLAY, FONT, ALIGNMENT, TOOLTIP = R.DisplayRole, R.FontRole, R.TextAlignmentRole, R.ToolTipRole
ROLES = frozenset({DISPLAY, FONT, ALIGNMENT, TOOLTIP, R.AccessibleTextRole})
CENTER = int(Qt.AlignmentFlag.AlignCenter)
CENTERED = frozenset({STAR, UPVOTES})  # columns of one short value
OFFLINE_MARK = "⤓"  # in the ★ column: the paper's PDF is in the offline cache
MEANING_MARK = "≈"  # before a title: a search hit found by meaning, not by the query's words
MEANING_TIP = "Found by meaning search: it does not contain the search words"
HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay

Index = QModelIndex | QPersistentModelIndex
Fetched = tuple[Row, tuple[str, ...]]  # a row and its cells' text


class PaperTableModel(QAbstractTableModel):
    def __init__(self, views: Views, runner: JobRunner) -> None:
        super().__init__()
        self.views, self.runner = views, runner
        self.ids: array = array("q")
        self._rows: OrderedDict[int, Fetched] = OrderedDict()  # by paper id, least recent first
        # Ids whose row was fetched since rows last changed. Kept when only the ids change
        # (a re-sort, papers arriving during an import): those rows paint at once, unfetched.
        self._fresh: set[int] = set()
        # One fetch at a time, of every window painting asked for since the last one: a fast
        # scroll never queues a fetch per window it passed, and the screen is served first.
        self._wanted: set[int] = set()  # windows (of the current ids) to fetch next
        self._fetching: set[int] = set()  # windows (of the current ids) being fetched
        self._in_flight = False
        self._scheduled = False
        self._rows_generation = 0  # bumped when fetched rows may no longer be current
        self._ids_generation = 0  # bumped when the ids change (windows hold other ids)
        self.scores: dict[int, float] = {}  # search scores, when showing search results
        self.by_meaning: set[int] = set()  # search hits found by meaning (MEANING_MARK)
        self._bold = QFont()
        self._bold.setBold(True)

    # -- content ---------------------------------------------------------------------------

    def set_ids(
        self,
        ids: array | list[int],
        scores: dict[int, float] | None = None,
        by_meaning: set[int] | None = None,
    ) -> None:
        ids = ids if isinstance(ids, array) else array("q", ids)
        scores, by_meaning = scores or {}, by_meaning or set()
        if ids == self.ids and scores == self.scores and by_meaning == self.by_meaning:
            return  # nothing moved: no reset, so no repaint and the scroll position stays
        self.beginResetModel()
        self.ids, self.scores, self.by_meaning = ids, scores, by_meaning
        self._ids_generation += 1
        self._wanted.clear()
        self._fetching.clear()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Fetch the rows again and repaint (after a bookmark, tag or read change)."""
        self._rows_generation += 1
        self._fresh.clear()
        self._wanted.clear()
        self._fetching.clear()
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, TAGS))

    def is_loaded(self, row: int) -> bool:
        """Whether the row shows its current values (tests wait for this)."""
        return self.ids[row] in self._fresh

    def id_at(self, row: int) -> int | None:
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def row_of(self, paper_id: int) -> int | None:
        if not self.ids:
            return None
        rows = np.flatnonzero(np.frombuffer(self.ids, dtype=np.int64) == paper_id)
        return int(rows[0]) if len(rows) else None  # (array.index: 23 ms at 1M papers)

    def ids_in(self, spans: list[tuple[int, int]]) -> list[int]:
        """The ids of the rows in the ``(first, last)`` spans (inclusive), in list order."""
        if not self.ids:
            return []
        ids = np.frombuffer(self.ids, dtype=np.int64)
        chosen = np.zeros(len(ids), dtype=bool)
        for first, last in spans:
            chosen[first : last + 1] = True
        return ids[chosen].tolist()

    def forget_offscreen(self, first_row: int, last_row: int) -> None:
        """The list scrolled: windows no longer on screen are not fetched."""
        first, last = first_row // WINDOW, last_row // WINDOW
        self._wanted = {w for w in self._wanted if first <= w <= last}

    def fetched(self, row: int) -> Fetched | None:
        """The row's last fetched values (None: never fetched); asks for it if not current."""
        paper_id = self.ids[row]
        if paper_id not in self._fresh:
            window = row // WINDOW
            if window not in self._fetching:
                self._wanted.add(window)
                if not self._in_flight and not self._scheduled:
                    self._scheduled = True  # after this paint: it may want more windows
                    QTimer.singleShot(0, self._fetch_wanted)
        return self._rows.get(paper_id)

    def _fetch_wanted(self) -> None:
        self._scheduled = False
        if self._in_flight or not self._wanted:
            return
        windows, self._wanted = sorted(self._wanted), set()
        self._fetching, self._in_flight = set(windows), True
        rows_generation, ids_generation = self._rows_generation, self._ids_generation
        ids = [i for w in windows for i in self.ids[w * WINDOW : (w + 1) * WINDOW]]
        views = self.views

        def fetch() -> dict[int, Fetched]:  # cells are formatted here, off the GUI thread
            return {i: (row, cells(row)) for i, row in views.rows(ids).items()}

        def arrived(rows: dict[int, Fetched]) -> None:
            self._in_flight = False
            if rows_generation == self._rows_generation:  # else: painting asks again
                self._keep(ids, rows)
                if ids_generation == self._ids_generation:
                    self._fetching.clear()
                    first, last = windows[0] * WINDOW, (windows[-1] + 1) * WINDOW - 1
                else:  # the rows moved: repaint whatever is on screen
                    first, last = 0, len(self.ids) - 1
                last = min(last, len(self.ids) - 1)
                if last >= first:
                    self.dataChanged.emit(self.index(first, 0), self.index(last, TAGS))
            self._fetch_wanted()

        def failed(error: Exception) -> None:
            self._in_flight = False
            self._fetching.clear()
            self.runner.error.emit("Loading papers", str(error))

        self.runner.submit(fetch, arrived, failed, title="Loading rows", lane="rows")

    def _keep(self, ids: list[int], rows: dict[int, Fetched]) -> None:
        self._rows.update(rows)
        self._fresh.update(ids)  # a paper deleted meanwhile paints blank, not asked again
        for paper_id in rows:
            self._rows.move_to_end(paper_id)
        while len(self._rows) > CACHED_ROWS:
            self._fresh.discard(self._rows.popitem(last=False)[0])

    # -- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {
                STAR: f"★ bookmarked, {OFFLINE_MARK} PDF available offline",
                LISTED: "The latest day a source listed it",
            }.get(section)
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        # Called for every role of every painted cell: unanswered roles return first.
        if role not in ROLES:
            return None
        fetched = self.fetched(index.row())
        if fetched is None:
            return None
        row, texts = fetched
        column = index.column()
        meaning = column == TITLE and row.id in self.by_meaning
        if role == DISPLAY:
            return f"{MEANING_MARK} {texts[column]}" if meaning else texts[column]
        if role == FONT:
            return self._bold if is_bold(row, column) else None
        if role == ALIGNMENT:
            return CENTER if column in CENTERED else None
        if role == TOOLTIP:
            if column != TITLE:
                return None
            return f"{row.title}\n{MEANING_TIP}" if meaning else row.title
        if column == STAR:  # accessible text
            return ", ".join(
                s for s, on in (("bookmarked", row.bookmarked), ("offline", row.offline)) if on
            )
        return f"{texts[column]}. {MEANING_TIP}" if meaning else texts[column]


def is_bold(row: Row, column: int) -> bool:
    """Unread papers' titles are bold."""
    return column == TITLE and not row.read


def cells(row: Row) -> tuple[str, ...]:
    """The row's text in each column."""
    more = " et al." if row.author_count > 1 else ""
    return (
        ("★" if row.bookmarked else "") + (OFFLINE_MARK if row.offline else ""),
        row.title,
        f"{row.first_author}{more}" if row.first_author else "",
        row.published,
        day_label(row.listed_on) if row.listed_on else "",
        "" if row.upvotes is None else str(row.upvotes),
        row.tags,
    )


class PaperRowDelegate(QStyledItemDelegate):
    """Paints the list's cells from the model's fetched rows with one Python call per cell.

    The stock delegate asks ``data()`` for seven roles per cell: ~1,500 calls into Python
    per screenful, each taking the GIL. While a job ran Python (a search, related papers)
    each call waited for the job's turn to end, and a paint took 100 ms instead of 10;
    with one call per cell it takes 25. Tooltips and accessibility still ask ``data()``.
    """

    def __init__(self, model: PaperTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._bold: dict[str, tuple[QFont, QFontMetrics]] = {}  # by the view font's key

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        option.index = index
        fetched = self.model.fetched(index.row())
        if fetched is None:
            return  # not fetched yet: blank until its rows arrive
        row, texts = fetched
        column = index.column()
        if texts[column]:
            option.text = texts[column]
            if column == TITLE and row.id in self.model.by_meaning:
                option.text = f"{MEANING_MARK} {option.text}"
            option.features |= HAS_DISPLAY
        if is_bold(row, column):
            option.font, option.fontMetrics = self._bold_of(option.font)
        elif column in CENTERED:
            option.displayAlignment = Qt.AlignmentFlag.AlignCenter

    def _bold_of(self, font: QFont) -> tuple[QFont, QFontMetrics]:
        key = font.key()
        if key not in self._bold:
            bold = QFont(font)
            bold.setBold(True)
            self._bold[key] = bold, QFontMetrics(bold)
        return self._bold[key]


class PaperTableView(QTableView):
    """The list's view: it paints a screenful of cells holding the GIL once.

    Each cell's paint calls the delegate, in Python. Entered from C++, every such call takes
    the GIL; while a job runs Python beside it (a search, related papers, a list refresh),
    each take waits for the job to let go. Entered from this Python ``paintEvent``, the
    calls find the GIL already held (PySide keeps it across the call into C++), and the job
    waits for the paint instead. Beside searches and related papers on a 100k library, a
    screenful's ~90 cells paint in 3.1 ms instead of 10.6 (median; p99 7.2 ms instead of
    22.5, longest 9.9 instead of 43.9: ``benchmarks/bench_gui.py paint``).
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
