"""The sidebar's tree: library views, sources by day, tags (hierarchical), saved searches."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from reader.core.views import SourceDay, View

VIEW_ROLE = Qt.ItemDataRole.UserRole + 1
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def day_label(listed_on: str) -> str:
    """'--08-08' -> 'Aug 8'; '2024-08-08' -> 'Aug 8, 2024'; '' -> 'undated'."""
    if not listed_on:
        return "undated"
    year = "" if listed_on.startswith("--") else listed_on[:4]
    month, day = int(listed_on[-5:-3]), int(listed_on[-2:])
    label = f"{MONTHS[month - 1]} {day}"
    return f"{label}, {year}" if year else label


class SidebarModel(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(["Library"])

    def populate(
        self,
        counts: dict[str, int],
        days: list[SourceDay],
        tags: list[tuple[str, int]],
        saved: list[tuple[str, str]],
    ) -> None:
        self.clear()
        self.setHorizontalHeaderLabels(["Library"])
        library = self._group("Library")
        for label, kind in (
            ("All papers", "all"),
            ("Unread", "unread"),
            ("Bookmarked", "bookmarked"),
            ("Recently added", "recent"),
        ):
            count = counts.get(kind)
            text = f"{label} ({count:,})" if count is not None else label
            library.appendRow(_item(text, View(kind)))
        sources = self._group("Sources")
        by_source: dict[str, QStandardItem] = {}
        for day in days:
            parent = by_source.get(day.source)
            if parent is None:
                parent = _item(day.source, View("source", day.source))
                by_source[day.source] = parent
                sources.appendRow(parent)
            if day.listed_on:
                text = f"{day_label(day.listed_on)} ({day.count})"
                parent.appendRow(_item(text, View("source", day.source, day.listed_on)))
        tag_group = self._group("Tags")
        nodes: dict[str, QStandardItem] = {}
        for name, count in tags:
            parent = tag_group
            path = ""
            for part in name.split("/"):
                path = f"{path}/{part}" if path else part
                node = nodes.get(path.lower())
                if node is None:
                    node = _item(part, View("tag", path))
                    nodes[path.lower()] = node
                    parent.appendRow(node)
                parent = node
            parent.setText(f"{name.rsplit('/', 1)[-1]} ({count})")
        searches = self._group("Saved searches")
        for name, query in saved:
            item = _item(name, View("saved", query))
            item.setToolTip(query)
            searches.appendRow(item)

    def _group(self, title: str) -> QStandardItem:
        group = QStandardItem(title)
        group.setSelectable(False)
        group.setEditable(False)
        font = group.font()
        font.setBold(True)
        group.setFont(font)
        self.appendRow(group)
        return group


def _item(text: str, view: View) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(view, VIEW_ROLE)
    item.setAccessibleText(text)
    return item
