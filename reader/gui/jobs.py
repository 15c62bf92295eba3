"""The one background job runner: every library call that can take longer than a frame.

A job is a plain callable run on a Qt thread pool; its result or exception comes back as a
signal on the GUI thread. Jobs in a *channel* (e.g. "search") supersede each other: when a
newer job of the channel was submitted, an older job's result is dropped, so a keystroke's
search never paints over the next one. Interactive work gets a higher priority than bulk
work. Jobs run in *lanes*, each a thread pool: writes (a bookmark, a tag, notes) one at a
time in the order they were made (``_OrderedLane``); the list's row fetches one at a time
too, so a fast scroll's fetches queue and those of rows scrolled past are skipped, not run
side by side.
"""

from __future__ import annotations

import functools
import heapq
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

INTERACTIVE, BULK = 10, 0
LANES = {"any": 3, "write": 1, "rows": 1}  # a lane's name and its number of threads
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


class _Relay(QObject):
    """Carries every job's outcome to the GUI thread, tagged with the job's serial number.

    One relay for all jobs, not a QObject per job: per-job signal objects and the closures
    connected to them made reference cycles that only the cyclic GC freed. Its passes hold
    the GIL, and during an import they were the window's longest stalls (up to 183 ms)."""

    finished = Signal(int, object)
    failed = Signal(int, object, str)
    progress = Signal(int, object)


@dataclass
class _Callbacks:
    channel: str | None
    on_done: Callable[[Any], None] | None
    on_error: Callable[[Exception], None] | None
    on_progress: Callable[[Any], None] | None
    title: str


class _OrderedLane:
    """The jobs waiting for a one-thread lane, run by priority and then in the order they
    were submitted. QThreadPool does not keep that order: under load two writes submitted
    a millisecond apart ran reversed, and the reader's last page was saved as the first.
    Each job handed to the pool runs whichever waiting job is due, so the pool's own order
    does not matter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, Callable[[], None]]] = []  # a heap

    def add(self, job: Callable[[], None], priority: int, serial: int) -> Callable[[], None]:
        with self._lock:
            heapq.heappush(self._waiting, (-priority, serial, job))
        return self._run_next

    def _run_next(self) -> None:
        with self._lock:
            _, _, job = heapq.heappop(self._waiting)
        job()


def _run(fn: Callable[..., Any], relay: _Relay, serial: int, progress: bool) -> None:
    """A job's body on its pool thread (a plain callable: a Python QRunnable subclass per job
    was one more wrapper object for the cyclic GC to walk)."""
    try:
        result = fn(lambda p: relay.progress.emit(serial, p)) if progress else fn()
    except Exception as e:  # delivered to the GUI thread; shown there, in one place
        relay.failed.emit(serial, e, traceback.format_exc())
    else:
        relay.finished.emit(serial, result)


class JobRunner(QObject):
    """Runs callables off the GUI thread and calls back on it."""

    error = Signal(str, str)  # (title, message) for jobs without their own error handler

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pools: dict[str, QThreadPool] = {}
        for lane, threads in LANES.items():
            pool = self.pools[lane] = QThreadPool(self)
            pool.setMaxThreadCount(threads)
            pool.setExpiryTimeout(-1)  # threads live on: each keeps its own SQLite connection
        self._ordered = {lane: _OrderedLane() for lane, threads in LANES.items() if threads == 1}
        self._latest: dict[str, int] = {}
        self._in_flight: Counter[str] = Counter()
        sys.setswitchinterval(GIL_SWITCH_S)
        self._serial = 0
        self._jobs: dict[int, _Callbacks] = {}  # by serial: jobs whose outcome is due
        self._closed = False
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finished)
        self._relay.failed.connect(self._failed)
        self._relay.progress.connect(self._progressed)

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
        lane: str = "any",
    ) -> None:
        """Run ``fn()`` (or ``fn(report_progress)`` when ``on_progress`` is given)."""
        self._serial += 1
        serial = self._serial
        if channel:
            self._latest[channel] = serial
            self._in_flight[channel] += 1
        self._jobs[serial] = _Callbacks(channel, on_done, on_error, on_progress, title)
        job = functools.partial(_run, fn, self._relay, serial, on_progress is not None)
        if lane in self._ordered:
            job = self._ordered[lane].add(job, priority, serial)
        self.pools[lane].start(job, priority)

    def busy(self, channel: str) -> bool:
        """Whether a job of ``channel`` has not delivered its result yet."""
        return self._in_flight[channel] > 0

    def close(self, msecs: int = 30_000) -> bool:
        """Finish running jobs and drop every result still queued for the window."""
        finished = self.wait(msecs)
        self._closed = True
        return finished

    def wait(self, msecs: int = 30_000) -> bool:
        return all(pool.waitForDone(msecs) for pool in self.pools.values())

    # -- outcomes, on the GUI thread -----------------------------------------------------------

    def _current(self, serial: int, job: _Callbacks) -> bool:
        """Whether the job's outcome is still wanted (the window is open, not superseded)."""
        if self._closed:
            return False
        return job.channel is None or self._latest.get(job.channel) == serial

    def _ended(self, serial: int) -> _Callbacks | None:
        job = self._jobs.pop(serial, None)
        if job is not None and job.channel:
            self._in_flight[job.channel] -= 1
        return job

    @Slot(int, object)
    def _finished(self, serial: int, result: Any) -> None:
        job = self._ended(serial)
        if job is not None and job.on_done and self._current(serial, job):
            job.on_done(result)

    @Slot(int, object, str)
    def _failed(self, serial: int, error: Exception, _details: str) -> None:
        job = self._ended(serial)
        if job is None or not self._current(serial, job):
            return
        if job.on_error:
            job.on_error(error)
        else:
            self.error.emit(job.title, f"{error}")

    @Slot(int, object)
    def _progressed(self, serial: int, progress: Any) -> None:
        job = self._jobs.get(serial)
        if job is not None and job.on_progress and self._current(serial, job):
            job.on_progress(progress)
