"""First run: an empty library imports the bundled sample in the background."""

from __future__ import annotations

import re

from reader.gui.models.paper_table import TITLE
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, cell, sidebar_texts, wait_for_list

DAY = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}(, \d{4})? \(\d+\)$")


def test_empty_library_imports_the_sample_and_fills_list_and_sidebar(open_app, tmp_path, qtbot):
    session = open_app(tmp_path / "new-library")
    window = session.window
    assert session.library.store.count() == 0
    # the import starts in the background once the empty list shows: the window is usable
    # and shows progress meanwhile
    qtbot.waitUntil(lambda: window.importer.running, timeout=WAIT_MS)
    assert window.importer.widget.isVisible()

    wait_for_list(qtbot, window, SAMPLE_PAPERS)
    assert session.library.store.count() == SAMPLE_PAPERS
    assert not window.importer.widget.isVisible()
    qtbot.waitUntil(
        lambda: f"All papers ({SAMPLE_PAPERS})" in sidebar_texts(window).get("Library", []),
        timeout=WAIT_MS,
    )
    sources = sidebar_texts(window)["Sources"]
    assert "Daily Papers" in sources
    daily = window.sidebar_model.findItems("Sources")[0]
    daily = next(
        daily.child(r) for r in range(daily.rowCount()) if daily.child(r).text() == "Daily Papers"
    )
    days = [daily.child(r).text() for r in range(daily.rowCount())]
    assert days, "the Daily Papers source lists no days"
    *dated, undated = days  # the sample's first page has no day: its papers come last
    assert all(DAY.match(d) for d in dated), days
    assert re.fullmatch(r"undated \((\d+)\)", undated), days
    undated_count = int(undated.split("(")[1].rstrip(")"))
    # a paper is selected and shown (the one first shown stays while papers arrive), and the
    # list's rows are real titles
    assert window.detail.paper is not None
    row = window.table.currentIndex().row()
    assert cell(qtbot, window, row, TITLE) == window.detail.paper.title
    # the paper shown while the sample was still importing gets its related papers at the end
    qtbot.waitUntil(lambda: window.related.list.count() == 10, timeout=WAIT_MS)
    # the undated papers have their own entry: selecting it lists them
    window.sidebar.setCurrentIndex(daily.child(len(days) - 1).index())
    qtbot.waitUntil(lambda: window.model.rowCount() == undated_count, timeout=WAIT_MS)
