"""The list pane's id lists: every view and sort order, in the order SQL gives row by row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.views import SORT_COLUMNS, View, _where


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
    for view in (View(), View("bookmarked"), View("tag", "ml"), View("unread"), View("none")):
        view = View(view.kind, view.value, sort=sort, descending=descending)
        where, params = _where(view)
        order = f"ORDER BY {column} {direction}, p.id {direction}"
        rows = library.store.query(f"SELECT p.id FROM papers p {where} {order}", params)
        expected = [r[0] for r in rows]
        assert list(views.ids(view)) == expected, view
    assert list(views.ids(View("tag", "no-such-tag"))) == []
    views.close()
