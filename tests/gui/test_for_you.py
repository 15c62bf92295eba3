"""The sidebar's "For you": unread papers like the bookmarks, in rank order."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.model import PaperRecord
from reader.gui.models.sidebar import VIEW_ROLE
from tests.gui.conftest import WAIT_MS, wait_for_list
from tests.gui.test_embed import needs_model

TOPIC = ("speculative", "draft")


def on_topic(title: str) -> bool:
    return any(word in title.lower() for word in TOPIC)


@pytest.fixture
def embedded_library(seed_library: Path, tmp_path: Path) -> Path:
    """The sample's speculative-decoding papers and 40 others, embedded."""
    with Library.open(seed_library) as seed:
        papers = seed.papers([r[0] for r in seed.store.query("SELECT id FROM papers")])
    chosen = [p for p in papers if on_topic(p.title)] + [
        p for p in papers if not on_topic(p.title + p.abstract)
    ][:40]
    folder = tmp_path / "library"
    with Library.open(folder) as library:
        records = [PaperRecord(title=p.title, abstract=p.abstract) for p in chosen]
        library.store.write_records(records, None)
        library.catch_up_index()
        library.embed()
    return folder


def select_for_you(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    model = window.sidebar_model
    library = model.index(0, 0)
    for row in range(model.rowCount(library)):
        index = model.index(row, 0, library)
        if index.data(VIEW_ROLE).kind == "for_you":
            window.sidebar.setCurrentIndex(index)
            return
    raise AssertionError("no For you entry in the sidebar")


@needs_model
def test_for_you_lists_unread_papers_like_the_bookmarks_best_first(
    open_app, embedded_library, qtbot
):
    session = open_app(embedded_library)
    window, library = session.window, session.library
    papers = library.papers(list(library.store.all_ids()))
    wait_for_list(qtbot, window, len(papers))
    status = window.search_bar.status

    select_for_you(qtbot, window)
    qtbot.waitUntil(lambda: status.text().startswith("Bookmark papers"), timeout=WAIT_MS)
    assert window.model.rowCount() == 0

    topical = [p.id for p in papers if on_topic(p.title)]
    assert len(topical) >= 6
    liked, read = topical[:3], topical[3]
    library.set_bookmarked(liked, True)
    library.set_read([read], True)
    window.refresh_list()
    qtbot.waitUntil(lambda: "like your bookmarks" in status.text(), timeout=WAIT_MS)
    ids = list(window.model.ids)
    assert ids and not set(ids) & {*liked, read}  # neither the liked nor the read ones
    titles = {p.id: p.title for p in papers}
    assert sum(on_topic(titles[i]) for i in ids[:3]) >= 2, [titles[i] for i in ids[:5]]
    assert not window.table.horizontalHeader().isSortIndicatorShown()  # rank order
