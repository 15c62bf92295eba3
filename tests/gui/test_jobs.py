"""The background job runner: results, errors and progress reach the GUI thread; superseded
results are dropped; jobs leave nothing behind."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from reader.core.library import Library
from reader.core.views import Views
from reader.gui.jobs import LANES, JobRunner
from tests.gui.conftest import WAIT_MS, drain


def test_outcomes_arrive_on_the_gui_thread_and_superseded_results_are_dropped(qtbot):
    runner = JobRunner()
    gui = threading.get_ident()
    got: list[tuple[str, object, bool]] = []
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "old"

    def reporting(report) -> str:  # type: ignore[no-untyped-def]
        report(0.5)
        return "reported"

    def note(what: str):  # type: ignore[no-untyped-def]
        return lambda value: got.append((what, value, threading.get_ident() == gui))

    runner.submit(slow, note("done"), channel="c")
    runner.submit(lambda: "new", note("done"), channel="c")
    runner.submit(lambda: 1 / 0, on_error=lambda e: note("error")(type(e)))
    runner.submit(reporting, note("done"), on_progress=note("progress"))
    qtbot.waitUntil(lambda: len(got) == 4, timeout=WAIT_MS)
    assert runner.busy("c")  # the superseded job still runs
    release.set()
    drain(runner)
    assert ("done", "new", True) in got and ("done", "old", True) not in got
    assert ("error", ZeroDivisionError, True) in got
    assert ("progress", 0.5, True) in got and ("done", "reported", True) in got
    assert not runner.busy("c") and not runner._jobs  # nothing is kept once delivered


def test_unhandled_errors_are_reported_with_the_job_title(qtbot):
    runner = JobRunner()
    with qtbot.waitSignal(runner.error, timeout=WAIT_MS) as signal:
        runner.submit(lambda: {}["missing"], title="Loading a paper")
    assert signal.args[0] == "Loading a paper" and "missing" in signal.args[1]


def test_views_keep_one_connection_per_pool_thread(qtbot, tmp_path: Path):
    """Python makes a new thread state for every job on a Qt pool thread: a connection kept
    in a threading.local was a new, never-closed connection per job."""
    Library.open(tmp_path).close()
    views = Views(tmp_path / "library.sqlite")
    runner = JobRunner()
    for _ in range(60):
        runner.submit(views.rev)
        runner.submit(views.rev, lane="rows")
    drain(runner)
    assert len(views._conns) <= LANES["any"] + LANES["rows"]
    views.close()


def test_writes_run_one_at_a_time_in_the_order_they_were_made(qtbot):
    """By priority, then in order, however busy the machine (the pool alone reordered two
    writes made a millisecond apart: the reader's last page was saved as its first)."""
    from reader.gui.jobs import BULK

    runner = JobRunner()
    ran: list[object] = []
    running = threading.Lock()
    release = threading.Event()

    def write(value: object) -> None:
        assert running.acquire(blocking=False), "two writes ran at once"
        ran.append(value)
        running.release()

    runner.submit(lambda: release.wait(10), lane="write")
    runner.submit(lambda: write("bulk"), priority=BULK, lane="write")
    for i in range(300):
        runner.submit(functools.partial(write, i), lane="write")
    release.set()
    qtbot.waitUntil(lambda: len(ran) == 301, timeout=WAIT_MS)
    assert ran == [*range(300), "bulk"]
    drain(runner)
