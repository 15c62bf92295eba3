"""The list model's row fetching: one fetch at a time, of the windows still on screen."""

from __future__ import annotations

import threading

from reader.core.views import Row
from reader.gui.jobs import JobRunner
from reader.gui.models.paper_table import TITLE, WINDOW, PaperTableModel
from tests.gui.conftest import WAIT_MS, drain


class SlowViews:
    """Rows made up from ids; the first fetch waits until the test lets it go."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []
        self.release = threading.Event()

    def rows(self, ids: list[int]) -> dict[int, Row]:
        self.asked.append(ids)
        self.release.wait(10)
        return {i: Row(i, f"paper {i}", "", 0, "", None, False, False, "", "") for i in ids}


def test_a_fast_scroll_fetches_one_batch_at_a_time_and_skips_rows_scrolled_past(qtbot):
    views, runner = SlowViews(), JobRunner()
    model = PaperTableModel(views, runner)  # type: ignore[arg-type]
    model.set_ids(list(range(100_000)))

    def paint(first: int, last: int) -> None:  # what a paint of those rows asks for
        for row in range(first, last + 1):
            model.index(row, TITLE).data()

    paint(0, 30)
    qtbot.waitUntil(lambda: len(views.asked) == 1, timeout=WAIT_MS)  # window 0, in flight
    paint(50_000, 50_030)  # scrolled on while it was fetched...
    paint(90_000, 90_030)
    paint(99_990, 99_999)  # ...and stopped at the end
    assert len(runner._jobs) == 1  # nothing queued behind the fetch in flight
    model.forget_offscreen(99_970, 99_999)
    views.release.set()
    qtbot.waitUntil(lambda: model.is_loaded(99_999), timeout=WAIT_MS)
    drain(runner)

    windows = [sorted({i // WINDOW for i in ids}) for ids in views.asked]
    assert windows == [[0], [999]]  # the middle of the scroll was never fetched
    assert model.index(99_999, TITLE).data() == "paper 99999"
    assert not model.is_loaded(50_000)
