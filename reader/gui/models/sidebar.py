"""The sidebar's tree: library views, sources by day, tags (hierarchical), saved searches."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from reader.core.views import UNDATED, SourceDay, View

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


@dataclass
class Node:
    """One sidebar entry before it becomes an item (a group when ``view`` is None)."""

    text: str
    view: View | None = None
    tooltip: str = ""
    children: list[Node] = field(default_factory=list)


class SidebarModel(QStandardItemModel):
    def __init__(self) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(["Library"])
        self._shape: tuple = ()  # type: ignore[type-arg]

    def populate(
        self,
        counts: dict[str, int],
        days: list[SourceDay],
        tags: list[tuple[str, int]],
        saved: list[tuple[str, str]],
    ) -> None:
        """Show these counts; only texts change when the entries are the same as before.

        During an import the counts change every refresh but the entries rarely do: updating
        texts in place keeps the selection, the expanded nodes and the scroll position.
        """
        nodes = describe(counts, days, tags, saved)
        shape = _shape(nodes)
        if shape == self._shape:
            _update(self.invisibleRootItem(), nodes)
            return
        self._shape = shape
        self.clear()
        self.setHorizontalHeaderLabels(["Library"])
        _build(self.invisibleRootItem(), nodes)


def describe(
    counts: dict[str, int],
    days: list[SourceDay],
    tags: list[tuple[str, int]],
    saved: list[tuple[str, str]],
) -> list[Node]:
    """The sidebar's groups: library views, sources by day, tags (hierarchical), searches."""
    library = Node("Library")
    for label, kind in (
        ("All papers", "all"),
        ("Unread", "unread"),
        ("Bookmarked", "bookmarked"),
        ("Available offline", "offline"),
        ("Recently added", "recent"),
    ):
        count = counts.get(kind)
        text = f"{label} ({count:,})" if count is not None else label
        library.children.append(Node(text, View(kind)))
    library.children.append(
        Node("For you", View("for_you"), "Unread papers like your bookmarks, best first")
    )
    sources = Node("Sources")
    by_source: dict[str, Node] = {}
    for day in days:
        parent = by_source.get(day.source)
        if parent is None:
            parent = by_source[day.source] = Node(day.source, View("source", day.source))
            sources.children.append(parent)
        if day.listed_on:
            text = f"{day_label(day.listed_on)} ({day.count})"
            parent.children.append(Node(text, View("source", day.source, day.listed_on)))
        elif parent.children:  # a source of days that also lists papers without one
            text = f"{day_label('')} ({day.count})"
            parent.children.append(Node(text, View("source", day.source, UNDATED)))
    tag_group = Node("Tags")
    nodes: dict[str, Node] = {}
    for name, count in tags:
        parent = tag_group
        path = ""
        for part in name.split("/"):
            path = f"{path}/{part}" if path else part
            node = nodes.get(path.lower())
            if node is None:
                node = nodes[path.lower()] = Node(part, View("tag", path))
                parent.children.append(node)
            parent = node
        parent.text = f"{name.rsplit('/', 1)[-1]} ({count})"
    searches = Node("Saved searches")
    searches.children = [Node(name, View("saved", query), query) for name, query in saved]
    return [library, sources, tag_group, searches]


# The tree is walked with explicit stacks, not recursion: a tag nested deeper than Python's
# recursion limit (from an older library or another machine) must not stop the sidebar.


def _shape(nodes: list[Node]) -> tuple:  # type: ignore[type-arg]
    """The entries' views and nesting, in tree order: equal when only the texts differ."""
    shape = []
    stack = [(node, 0) for node in reversed(nodes)]
    while stack:
        node, depth = stack.pop()
        shape.append((depth, node.view))
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return tuple(shape)


def _build(root: QStandardItem, nodes: list[Node]) -> None:
    stack = [(root, node) for node in reversed(nodes)]
    while stack:
        parent, node = stack.pop()
        item = _item(node)
        parent.appendRow(item)
        stack.extend((item, child) for child in reversed(node.children))


def _item(node: Node) -> QStandardItem:
    item = QStandardItem(node.text)
    item.setEditable(False)
    if node.view is None:  # a group heading
        item.setSelectable(False)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    else:
        item.setData(node.view, VIEW_ROLE)
        item.setAccessibleText(node.text)
    if node.tooltip:
        item.setToolTip(node.tooltip)
    return item


def _update(root: QStandardItem, nodes: list[Node]) -> None:
    stack = [(root, nodes)]
    while stack:
        parent, children = stack.pop()
        for row, node in enumerate(children):
            item = parent.child(row)
            if item.text() != node.text:
                item.setText(node.text)
                item.setAccessibleText(node.text)
            stack.append((item, node.children))
