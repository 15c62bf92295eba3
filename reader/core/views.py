"""What the list pane and the sidebar show: id lists per view, and rows fetched by window.

Reads through read-only SQLite connections (WAL lets them read while imports write), one per
thread, so the GUI's background jobs can read side by side without sharing a connection.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core import list_orders
from reader.core.sqlite_open import connect

if TYPE_CHECKING:  # numpy is imported where it is used: the CLI's start-up does not need it
    import numpy as np

# Plain columns, so that ORDER BY walks the column's index instead of sorting every row (NULLs
# sort as the smallest value: missing dates and upvotes go last when descending).
SORT_COLUMNS = {
    "published": "p.published",
    "title": "p.title COLLATE NOCASE",
    "first_author": "p.first_author COLLATE NOCASE",
    "listed_on": "p.last_listed_on",  # the newest listing day (schema 2; '' if never listed)
    "upvotes": "p.upvotes",
    "added_at": "p.added_at",
}
RECENT_LIMIT = 500  # "Recently added" shows this many papers
# A view of more than 1/8 of the library is sorted by masking the library's order (see
# Views.ids): SQLite sorting table rows costs about 8 index-scanned rows per sorted row.
BIG_VIEW_SHARE = 8


UNDATED = "undated"  # View.listed_on for a source's listings without a day (never a day)


@dataclass(frozen=True)
class View:
    """A sidebar selection plus a sort order."""

    # all | unread | bookmarked | offline (PDF cached) | recent | source | tag | saved | for_you
    kind: str = "all"
    value: str = ""  # the source or tag name; a saved search's query
    listed_on: str = ""  # for a source: one day, or UNDATED ("" = all of its papers)
    sort: str = "published"
    descending: bool = True


@dataclass
class Row:
    id: int
    title: str
    first_author: str
    author_count: int
    published: str
    upvotes: int | None
    bookmarked: bool
    read: bool
    tags: str
    listed_on: str  # the latest day a source listed it ('' for never; '--08-08' if no year)
    offline: bool = False  # its PDF is in the offline cache


@dataclass
class SourceDay:
    source: str
    listed_on: str
    count: int


class Views:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._lock = threading.Lock()
        self._conns: dict[int, sqlite3.Connection] = {}  # by OS thread
        self._orders = list_orders.ListOrders(db_path.parent / list_orders.FOLDER)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's read-only connection.

        Kept by thread id, not in a ``threading.local``: on a Qt pool thread Python makes a
        new thread state for every job, and a thread-local connection was a new (leaked)
        connection per job."""
        conn = self._conns.get(threading.get_ident())
        if conn is None:
            conn = connect(self.db_path, readonly=True, any_thread=True)
            with self._lock:
                self._conns[threading.get_ident()] = conn
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()

    def rev(self) -> int:
        """The store's change counter (bumped by every write, from any process)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'rev'").fetchone()
        return int(row[0]) if row else 0

    def ids(self, view: View) -> array:
        """Paper ids of a view in display order (an int64 array: 8 MB at 1M papers).

        The library's order under each sort is a derived array (``list_orders``), read from
        its file when the store has not changed since: 3 ms at 1M papers, against 130-790 ms
        to read it from SQLite. Descending is that order reversed (the tie-break on id
        reverses with it). A view holding a big share of the library (unread, a big file's
        source) is that order masked by the view's papers; SQLite sorts a small view itself
        (the order's 1M ids cost more to mask than a few thousand rows cost to sort)."""

        where, params = _where(view)
        if view.kind == "recent":
            sql = (
                f"SELECT id FROM (SELECT p.* FROM papers p ORDER BY p.added_at DESC, p.id DESC"
                f" LIMIT {RECENT_LIMIT}) p {_order_by(view)}"
            )
            return _as_array(self._joined_ids(sql, params))
        self.conn.execute("BEGIN")  # one snapshot for the token, the view's ids and the order
        try:
            state = list_orders.token(self.conn)
            if not where:
                order = self._order(view.sort, state)
                return _as_array(order[::-1] if view.descending else order)
            shown = self._shown(view, state)
            if shown is None:  # a small view: SQLite sorts it (the order is not even read)
                sql = f"SELECT p.id FROM papers p {where} {_order_by(view)}"
                return _as_array(self._joined_ids(sql, params))
            order = self._order(view.sort, state)
        finally:
            self.conn.execute("COMMIT")
        if view.descending:
            order = order[::-1]
        return _as_array(order[shown[order]] if len(order) else order)

    def keep_orders(self) -> None:
        """Make sure every sort's order of the library's current state is kept, and every
        source's papers (its whole-source view; a day is small enough for SQLite to sort)."""
        self.conn.execute("BEGIN")
        try:
            state = list_orders.token(self.conn)
            for sort in SORT_COLUMNS:
                self._order(sort, state)
            for (name,) in self.conn.execute("SELECT name FROM sources").fetchall():
                self._source_members(View("source", name), state)
        finally:
            self.conn.execute("COMMIT")

    def _order(self, sort: str, state: str) -> np.ndarray:
        """All paper ids in ascending ``sort`` order (ties by id)."""
        sort = sort if sort in SORT_COLUMNS else "published"
        sql = f"SELECT p.id FROM papers p ORDER BY {SORT_COLUMNS[sort]}, p.id"
        return self._orders.get(f"sort-{sort}", state, lambda: self._joined_ids(sql, []))

    def _shown(self, view: View, state: str) -> np.ndarray | None:
        """A view's papers as a mask over paper ids, or None for a view too small to mask
        (the highest id stands for the library's size, as counting it would cost a scan)."""
        import numpy as np

        top = int(self.conn.execute("SELECT coalesce(max(id), 0) FROM papers").fetchone()[0])
        if view.kind == "unread":  # the library minus the read papers (an index of their own)
            read = self._joined_ids("SELECT id FROM papers WHERE is_read = 1", [])
            if (top - len(read)) * BIG_VIEW_SHARE < top:
                return None
            shown = np.ones(top + 1, dtype=bool)
            shown[read] = False
            return shown
        if view.kind == "source":
            members = self._source_members(view, state)
        else:
            where, params = _where(view)
            linked = _linked_ids(view)
            members = self._joined_ids(*(linked or (f"SELECT p.id FROM papers p {where}", params)))
        if len(members) * BIG_VIEW_SHARE < top:
            return None
        shown = np.zeros(top + 1, dtype=bool)
        shown[members] = True
        return shown

    def _source_members(self, view: View, state: str) -> np.ndarray:
        """The ids a source (or one of its days) lists, kept: listings change the token."""
        linked = _linked_ids(view)
        assert linked is not None
        key = hashlib.sha1(f"{view.value}\0{view.listed_on}".encode()).hexdigest()[:16]
        return self._orders.get(f"source-{key}", state, lambda: self._joined_ids(*linked))

    def _joined_ids(self, sql: str, params: list[object]) -> np.ndarray:
        import numpy as np

        (joined,) = self.conn.execute(f"SELECT group_concat(id) FROM ({sql})", params).fetchone()
        if not joined:
            return np.empty(0, dtype=np.int64)
        return np.fromstring(joined, dtype=np.int64, sep=",")

    def rows(self, ids: list[int]) -> dict[int, Row]:
        """The list rows of ``ids``, read as one JSON value (one SQLite step, not one per row:
        each step hands the GIL to SQLite and back, and the window's painting waits)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        (joined,) = self.conn.execute(
            "SELECT json_group_array(json_array(p.id, p.title, p.first_author,"
            " json_array_length(p.authors), p.published, p.upvotes, p.bookmarked, p.is_read,"
            " (SELECT group_concat(t.name, ', ') FROM paper_tags pt JOIN tags t"
            " ON t.id = pt.tag_id WHERE pt.paper_id = p.id), p.last_listed_on,"
            " EXISTS (SELECT 1 FROM pdfs WHERE pdfs.paper_id = p.id)))"
            f" FROM papers p WHERE p.id IN ({marks})",
            ids,
        ).fetchone()
        return {
            r[0]: Row(
                r[0],
                r[1],
                r[2],
                r[3] or 0,
                r[4] or "",
                r[5],
                bool(r[6]),
                bool(r[7]),
                r[8] or "",
                r[9] or "",
                bool(r[10]),
            )
            for r in json.loads(joined)
        }

    def counts(self) -> dict[str, int]:
        """The sidebar's counts. Unread is all minus read: the read papers have an index of
        their own, and counting 1M unread ones took 70 ms."""
        one = self.conn.execute
        papers, read = one(
            "SELECT count(*), (SELECT count(*) FROM papers WHERE is_read = 1) FROM papers"
        ).fetchone()
        return {
            "all": papers,
            "unread": papers - read,
            "bookmarked": one("SELECT count(*) FROM papers WHERE bookmarked = 1").fetchone()[0],
            "offline": one("SELECT count(*) FROM pdfs").fetchone()[0],
        }

    def source_days(self) -> list[SourceDay]:
        return [
            SourceDay(name, listed_on, n)
            for name, listed_on, n in self.conn.execute(
                "SELECT s.name, l.listed_on, count(DISTINCT l.paper_id) FROM listings l"
                " JOIN sources s ON s.id = l.source_id GROUP BY s.id, l.listed_on"
                " ORDER BY s.name, l.listed_on DESC"
            )
        ]

    def filled_columns(self) -> set[str]:
        """The optional list columns some paper has a value in (the list hides the others:
        a Daily Papers page has no authors, an arXiv file no listing days)."""
        checks = {
            "first_author": "SELECT 1 FROM papers WHERE first_author > ''",
            "published": "SELECT 1 FROM papers WHERE published > ''",
            "upvotes": "SELECT 1 FROM papers WHERE upvotes IS NOT NULL",
            "listed_on": "SELECT 1 FROM papers WHERE last_listed_on > ''",  # by its index
            "tags": "SELECT 1 FROM paper_tags",
        }
        return {
            name
            for name, sql in checks.items()
            if self.conn.execute(f"SELECT EXISTS({sql})").fetchone()[0]
        }

    def saved_searches(self) -> list[tuple[str, str]]:
        return list(self.conn.execute("SELECT name, query FROM saved_searches ORDER BY name"))

    def tag_counts(self) -> list[tuple[str, int]]:
        return list(
            self.conn.execute(
                "SELECT t.name, count(*) FROM tags t JOIN paper_tags pt ON pt.tag_id = t.id"
                " GROUP BY t.id ORDER BY t.name COLLATE NOCASE"
            )
        )


def _order_by(view: View) -> str:
    column = SORT_COLUMNS.get(view.sort, SORT_COLUMNS["published"])
    direction = "DESC" if view.descending else "ASC"
    return f"ORDER BY {column} {direction}, p.id {direction}"


def where_clause(view: View) -> tuple[str, list[object]]:
    """The SQL ``WHERE`` (on ``papers p``) selecting a view's papers, and its parameters."""
    return _where(view)


def _where(view: View) -> tuple[str, list[object]]:
    if view.kind == "unread":
        return "WHERE p.is_read = 0", []
    if view.kind == "bookmarked":
        return "WHERE p.bookmarked = 1", []
    if view.kind == "offline":
        return "WHERE p.id IN (SELECT paper_id FROM pdfs)", []
    linked = _linked_ids(view)
    if linked is not None:
        return f"WHERE p.id IN ({linked[0]})", linked[1]
    return "", []


def _linked_ids(view: View) -> tuple[str, list[object]] | None:
    """For a tag or source view: the query of its paper ids (maybe repeated) from the table
    linking papers to it, which needs no look at the papers themselves."""
    if view.kind == "tag":  # a tag and the tags below it in the hierarchy ("ml" has "ml/nlp")
        return (
            "SELECT pt.paper_id AS id FROM paper_tags pt JOIN tags t ON t.id = pt.tag_id"
            " WHERE t.name = ? OR t.name LIKE ? ESCAPE '\\'",
            [view.value, _like_prefix(view.value) + "/%"],
        )
    if view.kind == "source":
        day = " AND l.listed_on = ?" if view.listed_on else ""
        listed_on = "" if view.listed_on == UNDATED else view.listed_on
        return (
            "SELECT l.paper_id AS id FROM listings l JOIN sources s"
            f" ON s.id = l.source_id WHERE s.name = ?{day}",
            [view.value] + ([listed_on] if view.listed_on else []),
        )
    return None


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _as_array(ids: np.ndarray) -> array:
    import numpy as np

    shown = array("q")
    shown.frombytes(ids.astype(np.int64, copy=False).tobytes())
    return shown
