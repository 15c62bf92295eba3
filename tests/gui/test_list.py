"""The list pane: sorting by a column header, done in SQL over the whole view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from reader.gui.controllers.derived import UPKEEP_DELAY_MS
from reader.gui.jobs import JobRunner
from reader.gui.models.paper_table import AUTHOR, LISTED, PUBLISHED, TAGS, TITLE, UPVOTES
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, cell, click_row, drain, wait_for_list


def click_header(qtbot, window, column: int) -> None:  # type: ignore[no-untyped-def]
    """Click a column's header, as a user would, and wait for the re-sorted list."""
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    before = list(window.model.ids)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    qtbot.waitUntil(lambda: list(window.model.ids) != before, timeout=WAIT_MS)


def listing_days(library) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Each paper's latest dated listing day (papers only in undated sources are absent)."""
    rows = library.store.query(
        "SELECT paper_id, max(listed_on) FROM listings WHERE listed_on != '' GROUP BY paper_id"
    )
    return {paper_id: day for paper_id, day in rows}


def test_listed_column_sorts_by_listing_day_newest_first_then_oldest_first(seeded, qtbot):
    window, library = seeded.window, seeded.library
    days = listing_days(library)
    assert len(set(days.values())) >= 3, "the sample should span several listing days"
    assert len(days) < SAMPLE_PAPERS, "and have papers from an undated source"

    click_header(qtbot, window, LISTED)
    ids = list(window.model.ids)
    assert len(ids) == SAMPLE_PAPERS
    listed = [days[i] for i in ids if i in days]
    assert listed == sorted(listed, reverse=True)
    assert ids[: len(listed)] == [i for i in ids if i in days]  # never-listed papers last
    assert window.table.horizontalHeader().sortIndicatorSection() == LISTED
    # the column shows the day: the first row was listed on the newest day
    assert cell(qtbot, window, 0, LISTED)

    click_header(qtbot, window, LISTED)
    ids = list(window.model.ids)
    listed = [days[i] for i in ids if i in days]
    assert listed == sorted(listed)
    assert window.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.AscendingOrder


def test_title_column_sorts_by_title(seeded, qtbot):
    window, library = seeded.window, seeded.library
    click_header(qtbot, window, TITLE)
    titles = {p.id: p.title.lower() for p in library.papers(list(window.model.ids))}
    ascii_titles = [titles[i] for i in window.model.ids if titles[i].isascii()]
    assert ascii_titles == sorted(ascii_titles, reverse=True)  # first click: descending
    assert cell(qtbot, window, 0, TITLE).lower() == titles[window.model.id_at(0)]


def test_sorting_keeps_the_paper_shown_selected(seeded, qtbot):
    window = seeded.window
    shown = window.current_id
    click_header(qtbot, window, TITLE)
    qtbot.waitUntil(lambda: window.model.id_at(window.table.currentIndex().row()) == shown)
    assert window.detail.paper is not None and window.detail.paper.id == shown


def test_columns_no_paper_has_a_value_in_are_hidden_until_one_has(seeded, qtbot):
    window = seeded.window
    table = window.table
    # the sample's Daily Papers pages have listing days but no authors, dates or upvotes
    qtbot.waitUntil(lambda: table.isColumnHidden(AUTHOR), timeout=WAIT_MS)
    assert not table.isColumnHidden(TITLE) and not table.isColumnHidden(LISTED)
    assert table.isColumnHidden(PUBLISHED) and table.isColumnHidden(UPVOTES)
    assert table.isColumnHidden(TAGS)

    window.detail.tags.setText("to-read")
    qtbot.keyClick(window.detail.tags, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not table.isColumnHidden(TAGS), timeout=WAIT_MS)


def test_the_sort_order_survives_a_restart(seeded, seeded_folder, open_app, qtbot):
    from tests.gui.conftest import wait_for_list

    click_header(qtbot, seeded.window, TITLE)
    click_header(qtbot, seeded.window, TITLE)  # ascending
    order = list(seeded.window.model.ids)
    seeded.close()

    window = open_app(seeded_folder).window
    wait_for_list(qtbot, window, SAMPLE_PAPERS)
    assert list(window.model.ids) == order
    header = window.table.horizontalHeader()
    assert header.sortIndicatorSection() == TITLE
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder


def test_reordered_rows_paint_at_once_and_a_change_fetches_them_again(seeded, qtbot):
    """Rows are cached by paper: a re-sort (or papers arriving mid-import) shows the rows
    already fetched without a round trip; a change to the papers' state fetches them again."""
    model = seeded.window.model
    first = [model.id_at(r) for r in range(20)]
    titles = [cell(qtbot, seeded.window, r, TITLE) for r in range(20)]
    fetches: list[list[int]] = []
    rows = model.views.rows
    model.views.rows = lambda ids: fetches.append(ids) or rows(ids)  # type: ignore[method-assign]

    model.set_ids(first[::-1] + list(model.ids[20:]))
    assert all(model.is_loaded(r) for r in range(20))
    assert [model.index(r, TITLE).data() for r in range(20)] == titles[::-1]
    assert model.row_of(first[0]) == 19 and model.row_of(-1) is None

    model.refresh_rows()
    assert not model.is_loaded(0)
    assert cell(qtbot, seeded.window, 0, TITLE) == titles[-1]
    assert any(first[-1] in ids for ids in fetches)


def test_work_waiting_for_the_list_runs_once_when_a_search_replaced_the_listing(seeded, qtbot):
    window = seeded.window
    ran: list[int] = []
    window.refresh_list()
    window.after_list_lands(lambda: ran.append(window.model.rowCount()))
    window.run_search("diffusion")  # the listing's result is dropped: the search's shows
    assert ran == []
    qtbot.waitUntil(lambda: bool(ran), timeout=WAIT_MS)
    assert 0 < ran[0] < SAMPLE_PAPERS  # it ran when the search results were listed
    drain(seeded.runner)
    window.refresh_list()
    qtbot.waitUntil(lambda: window.model.rowCount() == SAMPLE_PAPERS, timeout=WAIT_MS)
    assert len(ran) == 1


@pytest.fixture
def submitted(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles of the jobs every JobRunner is given, in order."""
    titles: list[str] = []
    submit = JobRunner.submit

    def spy(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        titles.append(kwargs.get("title", ""))
        return submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(JobRunner, "submit", spy)
    return titles


def test_start_up_upkeep_waits_until_the_list_has_landed(seeded_folder, open_app, qtbot, submitted):
    session = open_app(seeded_folder)  # builds the window and calls start()
    assert "Loading papers" in submitted
    assert "Backing up" not in submitted and "Indexing" not in submitted
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    qtbot.waitUntil(lambda: {"Backing up", "Indexing"} <= set(submitted), timeout=WAIT_MS)


def test_a_window_closed_before_its_upkeep_starts_none(seeded_folder, open_app, qtbot, submitted):
    session = open_app(seeded_folder)
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    session.window.close()  # the window object lives on, its events still delivered
    qtbot.wait(UPKEEP_DELAY_MS + 300)
    assert "Backing up" not in submitted and "Indexing" not in submitted


def test_the_selection_is_read_in_list_order_from_its_row_ranges(seeded, qtbot):
    window = seeded.window
    table, model = window.table, window.model
    click_row(qtbot, window, 2)
    for row in (5, 3):  # Ctrl+click: separate ranges, out of order
        qtbot.mouseClick(
            table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            table.visualRect(model.index(row, TITLE)).center(),
        )
    assert window.selected_ids() == [model.id_at(r) for r in (2, 3, 5)]

    table.selectAll()
    assert window.selected_ids() == list(model.ids)
    table.clearSelection()  # nothing selected: the paper shown
    assert window.selected_ids() == [window.current_id]
