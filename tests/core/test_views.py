"""The list pane's id lists: every view and sort order, in the order SQL gives row by row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.views import SORT_COLUMNS, UNDATED, View, _where


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
