"""The one background job runner: every library call that can take longer than a frame.

A job is a plain callable run on a Qt thread pool; its result or exception comes back as a
signal on the GUI thread. Jobs in a *channel* (e.g. "search") supersede each other: when a
newer job of the channel was submitted, an older job's result is dropped, so a keystroke's
search never paints over the next one. Interactive work gets a higher priority than bulk
work. Writes (a bookmark, a tag, notes) run one at a time in the order they were made.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

INTERACTIVE, BULK = 10, 0
# How long a job thread running Python may keep the GIL while the GUI thread waits for it
# (CPython's default is 5 ms; painting a screenful of rows takes the GIL hundreds of times).
GIL_SWITCH_S = 0.001


class CancelToken:
    """Handed to long jobs; ``cancelled()`` is polled by the library between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def cancelled(self) -> bool:
        return self._event.is_set()


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object, str)
    progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[..., Any], signals: _Signals, with_progress: bool) -> None:
        super().__init__()
        self.fn, self.signals, self.with_progress = fn, signals, with_progress
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit) if self.with_progress else self.fn()
        except Exception as e:  # delivered to the GUI thread; shown there, in one place
            self.signals.failed.emit(e, traceback.format_exc())
        else:
            self.signals.finished.emit(result)


class JobRunner(QObject):
    """Runs callables off the GUI thread and calls back on it."""

    error = Signal(str, str)  # (title, message) for jobs without their own error handler

    def __init__(self, parent: QObject | None = None, max_threads: int = 3) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.write_pool = QThreadPool(self)  # writes run one at a time, in submission order
        self.write_pool.setMaxThreadCount(1)
        for pool in (self.pool, self.write_pool):  # threads live on: each keeps its own
            pool.setExpiryTimeout(-1)  # SQLite connection (Views), made once per thread
        self._latest: dict[str, int] = {}
        self._in_flight: Counter[str] = Counter()
        sys.setswitchinterval(GIL_SWITCH_S)
        self._serial = 0
        self._live: set[_Signals] = set()
        self._closed = False

    def submit(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        *,
        channel: str | None = None,
        on_progress: Callable[[Any], None] | None = None,
        priority: int = INTERACTIVE,
        title: str = "Background task",
        write: bool = False,
    ) -> None:
        """Run ``fn()`` (or ``fn(report_progress)`` when ``on_progress`` is given)."""
        self._serial += 1
        serial = self._serial
        if channel:
            self._latest[channel] = serial
            self._in_flight[channel] += 1
        signals = _Signals()
        self._live.add(signals)

        def current() -> bool:
            if self._closed:  # the window is gone: results have nowhere to go
                return False
            return channel is None or self._latest.get(channel) == serial

        def ended() -> None:
            self._live.discard(signals)
            if channel:
                self._in_flight[channel] -= 1

        @Slot(object)
        def done(result: Any) -> None:
            ended()
            if current() and on_done:
                on_done(result)

        @Slot(object, str)
        def failed(error: Exception, details: str) -> None:
            ended()
            if not current():
                return
            if on_error:
                on_error(error)
            else:
                self.error.emit(title, f"{error}")

        signals.finished.connect(done)
        signals.failed.connect(failed)
        if on_progress:
            signals.progress.connect(lambda p: current() and on_progress(p))
        pool = self.write_pool if write else self.pool
        pool.start(_Job(fn, signals, on_progress is not None), priority)

    def busy(self, channel: str) -> bool:
        """Whether a job of ``channel`` has not delivered its result yet."""
        return self._in_flight[channel] > 0

    def close(self, msecs: int = 30_000) -> bool:
        """Finish running jobs and drop every result still queued for the window."""
        finished = self.wait(msecs)
        self._closed = True
        return finished

    def wait(self, msecs: int = 30_000) -> bool:
        return self.write_pool.waitForDone(msecs) and self.pool.waitForDone(msecs)
