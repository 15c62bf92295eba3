"""The list pane's id lists: every view and sort order, in the order SQL gives row by row."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core import list_orders
from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.core.views import SORT_COLUMNS, UNDATED, View, Views, _where


@pytest.mark.parametrize("sort", sorted(SORT_COLUMNS))
@pytest.mark.parametrize("descending", [True, False])
def test_ids_come_in_the_sort_order_for_every_view(
    copy_seed_library: Callable[[], tuple[Library, Path]], sort: str, descending: bool
):
    library, _ = copy_seed_library()
    library.add_tags([3, 5, 8], ["ml/nlp"])
    library.set_bookmarked([5, 9], True)
    views = library.open_views()
    direction = "DESC" if descending else "ASC"
    column = SORT_COLUMNS[sort]
    # big views (unread, a source) mask the library's order; small ones SQLite sorts
    daily = [View("source", "Daily Papers", day) for day in ("", "--09-10", UNDATED)]
    small = [View("bookmarked"), View("tag", "ml"), View("none")]
    for view in (View(), View("unread"), *daily, *small):
        view = View(view.kind, view.value, view.listed_on, sort, descending)
        where, params = _where(view)
        order = f"ORDER BY {column} {direction}, p.id {direction}"
        rows = library.store.query(f"SELECT p.id FROM papers p {where} {order}", params)
        expected = [r[0] for r in rows]
        assert list(views.ids(view)) == expected, view
    assert list(views.ids(View("tag", "no-such-tag"))) == []
    views.close()


def test_a_source_lists_its_papers_of_one_day_or_those_without_a_day(
    copy_seed_library: Callable[[], tuple[Library, Path]],
):
    library, _ = copy_seed_library()
    views = library.open_views()

    def listed(listed_on: str) -> set[int]:
        rows = library.store.query(
            "SELECT l.paper_id FROM listings l JOIN sources s ON s.id = l.source_id"
            " WHERE s.name = 'Daily Papers' AND l.listed_on = ?",
            [listed_on],
        )
        return {r[0] for r in rows}

    undated, day = listed(""), listed("--09-10")
    assert undated and day, "the sample has an undated page and a page of Sep 10"
    assert set(views.ids(View("source", "Daily Papers", UNDATED))) == undated
    assert set(views.ids(View("source", "Daily Papers", "--09-10"))) == day
    everything = set(views.ids(View("source", "Daily Papers")))
    assert undated | day <= everything and len(everything) > len(undated | day)
    views.close()


def _sql_order(library: Library, view: View) -> list[int]:
    where, params = _where(view)
    direction = "DESC" if view.descending else "ASC"
    order = f"ORDER BY {SORT_COLUMNS[view.sort]} {direction}, p.id {direction}"
    rows = library.store.query(f"SELECT p.id FROM papers p {where} {order}", params)
    return [r[0] for r in rows]


def _order_files(folder: Path) -> set[str]:
    return {p.name for p in (folder / list_orders.FOLDER).glob("*.npy")}


def test_the_kept_orders_follow_every_change_to_what_they_sort(
    copy_seed_library: Callable[[], tuple[Library, Path]], tmp_path: Path
):
    """Each change that can move a paper in a sort or in a source, by the app or by any other
    writer of the file, gives the kept orders a new token; a read mark does not."""
    library, folder = copy_seed_library()
    views = library.open_views()
    shown = [
        View(sort=sort, descending=descending)
        for sort in ("published", "title", "upvotes")
        for descending in (True, False)
    ] + [View("unread", sort="title"), View("source", "Daily Papers", sort="upvotes")]

    def check() -> set[str]:
        for view in shown:
            assert list(views.ids(view)) == _sql_order(library, view), view
        return _order_files(folder)

    kept = check()
    assert kept, "the orders were written for next time"
    assert check() == kept  # and read back, unchanged

    library.set_read(list(views.ids(View()))[:3], True)  # not an order change
    assert check() == kept

    outside = sqlite3.connect(folder / "library.sqlite")  # another writer of the file
    for change in (
        "UPDATE papers SET title = 'AAA first now' WHERE id = 7",
        "UPDATE papers SET published = '1999-01-01', upvotes = 999 WHERE id = 11",
        "DELETE FROM listings WHERE paper_id = 12",
        "DELETE FROM papers WHERE id = 13",
    ):
        with outside:
            outside.execute(change)
        now = check()
        assert now != kept, change
        kept = now
    outside.close()

    snapshot = tmp_path / "new.jsonl"
    snapshot.write_text(
        json.dumps(
            {
                "id": "2401.00001",
                "title": "A brand new paper",
                "abstract": "It sorts somewhere in the middle.",
                "authors_parsed": [["Zed", "Ann", ""]],
                "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 00:00:00 GMT"}],
            }
        )
        + "\n"
    )
    library.import_files([snapshot], index=False)
    state = list_orders.token(views.conn)
    kept_now = _order_files(folder)
    assert {f"sort-{sort}.{state}.npy" for sort in SORT_COLUMNS} <= kept_now, (
        "the import kept every sort's new order"
    )
    sources = library.store.query("SELECT count(*) FROM sources")[0][0]
    assert len(kept_now) == len(SORT_COLUMNS) + sources, "and every source's papers"
    assert all(name.endswith(f".{state}.npy") for name in kept_now), "nothing stale is left"
    assert check() != kept
    views.close()


def test_a_broken_or_unwritable_order_file_only_costs_time(
    copy_seed_library: Callable[[], tuple[Library, Path]],
):
    library, folder = copy_seed_library()
    views = library.open_views()
    expected = _sql_order(library, View())
    assert list(views.ids(View())) == expected
    (kept,) = (folder / list_orders.FOLDER).glob("sort-published.*.npy")
    kept.write_bytes(kept.read_bytes()[:100])  # cut short (a full disk, a crash)
    assert list(views.ids(View())) == expected
    assert kept.stat().st_size > 100, "made again"

    shutil.rmtree(folder / list_orders.FOLDER)
    (folder / list_orders.FOLDER).write_text("not a folder")  # nowhere to keep them
    assert list(views.ids(View(sort="title", descending=False))) == _sql_order(
        library, View(sort="title", descending=False)
    )
    views.close()


def test_any_writer_moving_a_paper_or_renaming_a_source_changes_the_order_token(
    copy_seed_library: Callable[[], tuple[Library, Path]],
):
    """What the triggers must catch beyond updates and deletes: a row replaced in place or
    slipped in below the highest id, and a source's new name (its kept papers are keyed by
    name); a paper added at the top changes the token through the highest id."""
    library, folder = copy_seed_library()
    views = library.open_views()
    outside = sqlite3.connect(folder / "library.sqlite", isolation_level=None)
    row = "title, title_key, title_head, title_tail, added_at"
    seen = {list_orders.token(views.conn)}
    for change in (
        f"INSERT OR REPLACE INTO papers (id, {row}) SELECT id, 'Z', 'z', 'z', 'z', added_at"
        " FROM papers WHERE id = (SELECT max(id) FROM papers)",
        "DELETE FROM papers WHERE id = 20",  # makes room below the highest id ...
        f"INSERT INTO papers (id, {row}) VALUES (20, 'Y', 'y', 'y', 'y', '2024')",  # ... taken
        f"INSERT INTO papers ({row}) VALUES ('X', 'x', 'x', 'x', '2024')",  # at the top
        "UPDATE sources SET name = 'Renamed' WHERE name = 'Daily Papers'",
    ):
        outside.execute(change)
        state = list_orders.token(views.conn)
        assert state not in seen, change
        seen.add(state)
    outside.close()
    view = View("source", "Renamed", sort="title")
    assert list(views.ids(view)) == _sql_order(library, view)
    views.close()


def test_a_restored_library_never_meets_the_orders_of_another_state(
    copy_seed_library: Callable[[], tuple[Library, Path]], tmp_path: Path
):
    library, folder = copy_seed_library()
    backup = library.backup(tmp_path / "before.sqlite")
    views = library.open_views()
    library.store.write_records([PaperRecord(title="Only after the backup")], None)
    assert list(views.ids(View(sort="title"))) == _sql_order(library, View(sort="title"))
    views.close()
    library.close()
    assert _order_files(folder)
    Library.restore(folder, backup)
    assert not _order_files(folder), "the restore dropped the orders of the state it replaced"
    restored = Library(folder)
    views = restored.open_views()
    assert list(views.ids(View(sort="title"))) == _sql_order(restored, View(sort="title"))
    views.close()
    restored.close()


def test_the_kept_order_is_what_is_read_back(
    copy_seed_library: Callable[[], tuple[Library, Path]], monkeypatch: pytest.MonkeyPatch
):
    library, _ = copy_seed_library()
    views = library.open_views()
    first = list(views.ids(View(sort="first_author")))

    def no_sql(*_: object) -> None:
        raise AssertionError("computed again instead of read from its file")

    monkeypatch.setattr(Views, "_joined_ids", no_sql)
    assert list(views.ids(View(sort="first_author"))) == first
    assert list(views.ids(View(sort="first_author", descending=False))) == first[::-1]
    views.close()
