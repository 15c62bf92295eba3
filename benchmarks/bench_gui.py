"""GUI responsiveness benchmarks: cold start to first paint, and event-loop stalls.

    python benchmarks/bench_gui.py startup --library LIB [--runs 5] [--app /usr/bin/paper-reader]
    python benchmarks/bench_gui.py stalls --library LIB --import FILE [--seconds 60]
        [--diagnose | --trace]
    python benchmarks/bench_gui.py paint --library LIB [--seconds 30]
    python benchmarks/bench_gui.py mark-all-read --library LIB [--seconds 600]
    python benchmarks/bench_gui.py pathological --library LIB
    python benchmarks/bench_gui.py memory --library LIB [--query TEXT]

Prints one JSON object per measurement. ``startup`` launches the app (this checkout, or an
installed binary with ``--app``) as a fresh process per run and reports the wall time from
launch to the main window's first paint (median of the runs). ``stalls`` opens the window on a
library and, once it has settled (its papers listed, the restored paper's related papers
shown, its start-up upkeep done: as when a user picks File > Import), starts importing FILE
through the window's own import controller; it scrolls the list every 40 ms and records the
gaps between ticks of a 10 ms timer: the longest gap is the longest time the GUI could not
respond; the gaps while the window opened (its first paint) are reported apart.
Beside the gaps it reports the GUI thread's own CPU time between ticks (``gui_cpu``: the work
done on the GUI thread, whatever the machine's load) and the gaps of the same probe in a bare
process run meanwhile (``floor_``: what the machine's load alone causes; on a busy shared
machine it is far from zero). ``--diagnose`` samples every thread's stack while a tick is late
and prints the most frequent ones to stderr (a poor man's py-spy). ``--trace`` times every
event the GUI thread handles and every job result it is handed, and prints, for each gap over
40 ms, what ran on the GUI thread during it (the tracing itself slows the GUI thread down a
little). ``paint`` times the list's paints beside Python-heavy jobs, the list's own view
against a plain QTableView in the same process (see ``paint``). ``mark-all-read`` selects
every paper of a copy of LIB and presses R, and reports the gaps until the write and the
index's catch-up are done. ``pathological`` times what used to freeze the window: a paper
whose abstract is one huge word (against the same paper without places to wrap), a pasted
10,000-word query, a sidebar with a tag nested 1,500 levels deep. ``memory`` reports the
window's resident memory (now and peak) once it has settled and after a search.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

STALL_SAMPLE_S = 0.02  # --diagnose: a tick this late counts as a stall and is sampled
TRACE_GAP_S = 0.04  # --trace: gaps this long are explained
TRACE_SPAN_S = 0.002  # --trace: GUI-thread work this long is recorded


def startup(library: Path, runs: int, app: list[str]) -> dict[str, object]:
    """Launch the app ``runs + 1`` times; the app reports its first paint (STARTUP_PROBE_ENV)."""
    from reader.gui.app import STARTUP_PROBE_ENV

    times = []
    with tempfile.TemporaryDirectory() as config:  # no user settings read or written
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "XDG_CONFIG_HOME": config,
            STARTUP_PROBE_ENV: "1",
        }
        for _ in range(runs + 1):  # the first run warms the page cache and is not counted
            started = time.time()
            out = subprocess.run(
                [*app, "--library", str(library), "gui"],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=True,
            ).stdout
            report = json.loads(out.strip().splitlines()[-1])
            times.append(report["first_paint_at"] - started)
    counted = times[1:]
    return {
        "bench": "gui_cold_start_first_paint",
        "app": " ".join(app),
        "library": str(library),
        "runs": runs,
        "median_s": round(statistics.median(counted), 3),
        "min_s": round(min(counted), 3),
        "max_s": round(max(counted), 3),
        "target_s": 1.0,
    }


class StallSampler(threading.Thread):
    """Samples the GUI thread's stack whenever the probe's last tick is more than a frame old."""

    def __init__(self, last_tick: list[float]) -> None:
        super().__init__(daemon=True)
        self.last_tick, self.gui = last_tick, threading.main_thread().ident
        self.stacks: Counter[str] = Counter()  # the GUI thread's
        self.others: Counter[str] = Counter()  # other threads' meanwhile (jobs)
        self.running = True

    def run(self) -> None:
        while self.running:
            time.sleep(0.005)
            if time.perf_counter() - self.last_tick[0] > STALL_SAMPLE_S:
                for ident, frame in sys._current_frames().items():
                    if ident == self.ident:
                        continue
                    lines = traceback.format_stack(frame, limit=40 if ident != self.gui else 12)
                    key = "".join(line.split("\n")[0] for line in lines)
                    (self.stacks if ident == self.gui else self.others)[key] += 1

    def report(self, top: int = 8) -> None:
        for title, stacks in (("GUI thread", self.stacks), ("other threads", self.others)):
            print(f"===== {title} while a tick was late", file=sys.stderr)
            for stack, count in stacks.most_common(top):
                lines = stack.replace("  File", "\n  File")
                print(f"--- {count} samples (x5 ms){lines}", file=sys.stderr)


def gui_thread_times() -> tuple[float, float]:
    """The calling thread's CPU time and its time spent runnable but not running (seconds)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            ran, waited, _ = f.read().split()
        return int(ran) / 1e9, int(waited) / 1e9
    except OSError:  # not Linux: no run-queue figure
        return time.thread_time(), 0.0


class GcTimes:
    """The longest cyclic-GC pass of each generation (it holds the GIL: every thread waits)."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self.started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            generation = info["generation"]
            took = time.perf_counter() - self.started
            self.longest[generation] = max(self.longest[generation], took)

    def report(self) -> dict[str, float]:
        gc.callbacks.remove(self)
        return {f"longest_gc_gen{g}_ms": round(t * 1000, 1) for g, t in enumerate(self.longest)}


class Tracer:
    """Records the GUI thread's work that took over TRACE_SPAN_S: events and job results."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, str]] = []
        self.depth = 0  # of the GUI thread's nested events

    def time(self, label: str, call, *args):  # type: ignore[no-untyped-def]
        gui = threading.current_thread() is threading.main_thread()
        self.depth += gui
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            self.depth -= gui
            ended = time.perf_counter()
            if ended - started > TRACE_SPAN_S:
                self.spans.append((started, ended, f"{'  ' * self.depth}{label}"))

    def application(self):  # type: ignore[no-untyped-def]
        """A QApplication that times each top-level event it delivers."""
        from PySide6.QtWidgets import QApplication

        tracer = self

        class TracedApplication(QApplication):
            def notify(self, receiver, event):  # type: ignore[no-untyped-def]
                label = f"{event.type().name} -> {type(receiver).__name__}"
                return tracer.time(label, super().notify, receiver, event)

        return TracedApplication(sys.argv[:1])

    def wrap_runner(self, runner) -> None:  # type: ignore[no-untyped-def]
        """Label each job result's handler with the job's title."""
        submit = runner.submit

        def traced_submit(fn, on_done=None, *args, title="Background task", **kwargs):  # type: ignore[no-untyped-def]
            if on_done is not None:
                handler = on_done
                on_done = lambda result: self.time(f"result of {title!r}", handler, result)  # noqa: E731
            job = fn
            if kwargs.get("on_progress") is None:  # a job's own time, on its worker thread
                fn = lambda: self.time(f"[job] {title!r}", job)  # noqa: E731
            return submit(fn, on_done, *args, title=title, **kwargs)

        runner.submit = traced_submit

    def report(self, ticks: list[tuple[float, float]]) -> None:
        for start, end in ticks:
            if end - start < TRACE_GAP_S:
                continue
            print(f"===== gap of {(end - start) * 1000:.0f} ms", file=sys.stderr)
            for s0, s1, label in self.spans:
                if s1 > start and s0 < end:
                    print(f"  {(s1 - s0) * 1000:6.1f} ms  {label}", file=sys.stderr)


def open_window(app, library: Path, tracer: Tracer | None = None):  # type: ignore[no-untyped-def]
    """The app's window on ``library``, shown and started as ``reader.gui.app`` does, without
    background vectors (the benchmarks measure the window, not the embedder): (library,
    job runner, window)."""
    from PySide6.QtCore import QSettings

    from reader.core.library import Library
    from reader.gui.jobs import JobRunner
    from reader.gui.main_window import MainWindow

    app.setOrganizationName("paper-reader-bench")
    QSettings().setValue("auto_embed", False)
    lib = Library.open(library)
    runner = JobRunner(app)
    if tracer:
        tracer.wrap_runner(runner)
    window = MainWindow(lib, runner, QSettings())
    window.show()
    window.start()
    gc.freeze()  # as reader.gui.app does after start-up
    return lib, runner, window


def settled(window, runner) -> bool:  # type: ignore[no-untyped-def]
    """The restored paper's related papers shown, the start-up upkeep done, no job running:
    when a user would start doing something."""
    pending = (window._related_timer, window.derived.upkeep_timer)
    return not any(t.isActive() for t in pending) and runner.wait(0)


def run_ticking(app, tick, every_ms: int, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Run the event loop, calling ``tick`` every ``every_ms``, for at most ``seconds``."""
    from PySide6.QtCore import QTimer

    timer = QTimer(interval=every_ms)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()


def stalls(
    library: Path, import_file: Path, seconds: float, diagnose: bool = False, trace: bool = False
) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # no user settings read or written
    import random

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from reader.gui.app import prepare_qt_environment

    prepare_qt_environment()  # as the app does
    tracer = Tracer() if trace else None
    app = tracer.application() if tracer else QApplication(sys.argv[:1])
    lib, runner, window = open_window(app, library, tracer)
    window.importer.show_summary = False
    gaps: list[float] = []  # wall time between ticks
    busy: list[float] = []  # the GUI thread's CPU time between ticks: its own work
    queued: list[float] = []  # its time runnable but waiting for a CPU (Linux schedstat)
    spans: list[tuple[float, float]] = []  # each gap's start and end (for --trace)
    last = [time.perf_counter(), *gui_thread_times()]

    def tick() -> None:
        now, cpu, wait = time.perf_counter(), *gui_thread_times()
        gaps.append(now - last[0])
        busy.append(cpu - last[1])
        queued.append(wait - last[2])
        spans.append((last[0], now))
        last[:] = now, cpu, wait

    def scroll() -> None:
        bar = window.table.verticalScrollBar()
        bar.setValue(random.randint(0, max(0, bar.maximum())))

    probe = QTimer(interval=10)
    probe.timeout.connect(tick)
    scroller = QTimer(interval=40)
    scroller.timeout.connect(scroll)
    floor = subprocess.Popen(  # the same probe in a bare process: the machine's own noise
        [sys.executable, __file__, "floor", "--seconds", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    opened = time.perf_counter()
    begun: list[float] = []  # when the import began
    listed: list[bool] = []
    window.after_list_lands(lambda: listed.append(True))
    probe.start()
    scroller.start()
    sampler = StallSampler(last) if diagnose else None
    if sampler:
        sampler.start()
    gc_times = GcTimes()
    gc_figures: dict[str, float] = {}

    finished = [False]

    def begin_or_stop() -> None:
        if not begun and listed and settled(window, runner):  # as a user picks File > Import
            begun.append(time.perf_counter())
            window.importer.start([import_file])
        done = bool(begun) and not window.importer.running
        if done or time.perf_counter() > opened + seconds:
            finished[0] = done
            probe.stop()  # the measurement ends here: quitting closes the window and waits
            scroller.stop()
            gc_figures.update(gc_times.report())
            app.quit()

    watcher = QTimer(interval=100)
    watcher.timeout.connect(begin_or_stop)
    watcher.start()
    app.exec()  # the real event loop, as in the app
    window.importer.cancel()
    runner.wait(120_000)
    if sampler:
        sampler.running = False
        sampler.report()
    if tracer:
        tracer.report(spans)
    started = begun[0] if begun else time.perf_counter()
    observed = round(time.perf_counter() - started, 1)
    opening = [i for i, (_, end) in enumerate(spans) if end <= started]
    during = [i for i, (_, end) in enumerate(spans) if end > started]
    floor.terminate()
    bare = json.loads(floor.communicate()[0] or "{}")
    return {
        "bench": "gui_event_loop_stalls_during_import",
        "import_file": str(import_file),
        "seconds_observed": observed,
        "import_finished": finished[0],
        "papers_after": lib.store.count(),
        "load_average": os.getloadavg()[0],
        # the window's opening (first paint, first rows) before the import began
        "opening_s": round(started - opened, 2),
        "opening_max_gap_ms": round(max((gaps[i] for i in opening), default=0.0) * 1000, 1),
        # from here on: the import
        "ticks": len(during),
        **summary([gaps[i] for i in during], "gap"),
        **summary([busy[i] for i in during], "gui_cpu"),
        **summary([queued[i] for i in during], "gui_queued"),
        # the longest gaps split into the GUI thread's CPU, its wait for a CPU, and the rest
        # (blocked: the GIL, a lock, I/O), and when each ended (seconds after the import began)
        "worst_gaps_ms_cpu_queued_blocked_at_s": [
            [
                *(round(x * 1000, 1) for x in (gaps[i], busy[i], queued[i])),
                round((gaps[i] - busy[i] - queued[i]) * 1000, 1),
                round(spans[i][1] - started, 1),
            ]
            for i in sorted(during, key=gaps.__getitem__)[-8:]
        ],
        **{f"floor_{k}": v for k, v in bare.items()},
        **gc_figures,
        "target_max_gap_ms": 50,
    }


def paint(library: Path, seconds: float) -> dict[str, object]:
    """The list's paints beside Python-heavy jobs: PaperTableView against a plain QTableView.

    Both views show the same model through the same delegate in one process and are
    repainted in turn every 40 ms while a thread runs the shared search query mix and the
    related papers of the hits (the window's jobs). A paint's time runs from its first cell
    to its last (the delegate's calls); the first paints, before the rows arrived, are left
    out.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QTableView

    from reader.core.library import Library
    from reader.core.views import View
    from reader.gui.app import prepare_qt_environment
    from reader.gui.jobs import JobRunner
    from reader.gui.models.paper_table import PaperRowDelegate, PaperTableModel, PaperTableView

    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    lib = Library.open(library)
    views = lib.open_views()
    model = PaperTableModel(views, JobRunner(app))
    model.set_ids(views.ids(View()))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import SHARED

    mix = SHARED / "bench" / "search_queries.json"  # the query mix of design.md's figures
    queries = [q["query"] for q in json.loads(mix.read_text())]
    cells: dict[str, list[float]] = {"plain": [], "paper_table_view": []}

    class TimedDelegate(PaperRowDelegate):
        def __init__(self, name: str) -> None:
            super().__init__(model)
            self.name = name

        def initStyleOption(self, option, index) -> None:  # type: ignore[no-untyped-def]
            cells[self.name].append(time.perf_counter())
            super().initStyleOption(option, index)

    tables = {"plain": QTableView(), "paper_table_view": PaperTableView()}
    for name, table in tables.items():
        table.setModel(model)
        table.setItemDelegate(TimedDelegate(name))
        table.resize(900, 420)  # ~13 rows of 7 columns: the window's list on a laptop
        table.show()
    stop = threading.Event()

    def jobs() -> None:  # as the window's runner would, one after another
        while not stop.is_set():
            for query in queries:
                hits = lib.search(query, limit=20, snippets=False).hits
                if hits and not stop.is_set():
                    lib.related(hits[0].paper.id, limit=10)

    paints: dict[str, list[float]] = {name: [] for name in tables}
    turn = [0]

    def tick() -> None:
        for name, times in cells.items():  # the last paint of each view
            if len(times) > 1 and all(model.is_loaded(r) for r in range(5)):
                paints[name].append(times[-1] - times[0])
            times.clear()
        names = list(tables)
        tables[names[turn[0] % 2]].viewport().update()
        turn[0] += 1

    gc.freeze()  # as reader.gui.app does after start-up
    worker = threading.Thread(target=jobs, daemon=True)
    worker.start()
    run_ticking(app, tick, 40, seconds)
    stop.set()
    worker.join()
    figures: dict[str, object] = {"bench": "gui_list_paint_beside_jobs", "library": str(library)}
    for name, spans in paints.items():
        figures.update({f"{name}_paints": len(spans), **summary(spans, f"{name}_paint")})
    figures["median_ratio_plain_to_paper_table_view"] = round(
        statistics.median(paints["plain"]) / statistics.median(paints["paper_table_view"]), 2
    )
    return figures


def mark_all_read(library: Path, seconds: float) -> dict[str, object]:
    """Select every paper of a copy of LIB and press R, as a user marking a feed read; the
    gaps of a 10 ms timer until the write and the index's catch-up are done."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # no user settings read or written
    import shutil

    from PySide6.QtWidgets import QApplication

    from reader.gui.app import prepare_qt_environment

    copy = Path(tempfile.mkdtemp()) / "library"
    shutil.copytree(library, copy)
    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    lib, runner, window = open_window(app, copy)
    gaps: list[float] = []
    last, began, ended, child = [time.perf_counter()], [0.0], [0.0], [False]

    def tick() -> None:
        now = time.perf_counter()
        if began[0]:
            gaps.append(now - last[0])
            child[0] = child[0] or window.indexer.running
            if runner.wait(0) and not window.indexer.running and not ended[0]:
                ended[0] = now
                app.quit()
        last[0] = now
        if not began[0] and window.detail.paper is not None and settled(window, runner):
            window.table.selectAll()
            began[0] = time.perf_counter()
            window.toggle_read()

    run_ticking(app, tick, 10, seconds)
    window.close()
    unread = lib.store.query("SELECT count(*) FROM papers WHERE NOT is_read")[0][0]
    papers = lib.store.query("SELECT count(*) FROM papers")[0][0]
    lag = lib.index_lag(papers + 1)
    lib.close()
    shutil.rmtree(copy.parent)
    return {
        "bench": "gui_mark_all_read",
        "library": str(library),
        "papers": papers,
        "unread_after": unread,
        "index_behind_after": lag,
        "indexed_by_child": child[0],
        "seconds": round((ended[0] or time.perf_counter()) - began[0], 1) if began[0] else None,
        **summary(gaps, "gap"),
        "target_max_gap_ms": 50,
    }


def wait_until(app, done: Callable[[], bool], seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Run the event loop until ``done()`` (asked every ms; one quit, or the next loop would
    start with a pending one)."""
    deadline = time.perf_counter() + seconds
    while not done() and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)


def resident_mb() -> dict[str, float]:
    """This process's resident memory now and at its peak, and now split into its own (anonymous)
    pages and the pages of files it maps (the index's segments: the kernel can drop them)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        k: round(int(fields[k].split()[0]) / 1024, 1)
        for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    }


def memory(library: Path, query: str) -> dict[str, object]:
    """The window's resident memory on LIB: once it has settled (its list painted, the
    restored paper's related papers shown, its upkeep done), and after a search through the
    search bar has listed its results (the first search opens the index)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    from PySide6.QtWidgets import QApplication

    from reader.gui.app import prepare_qt_environment

    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    lib, runner, window = open_window(app, library)
    wait_until(app, lambda: settled(window, runner), 120)
    result: dict[str, object] = {"bench": "gui_memory", "papers": lib.store.count()}
    result["settled"] = resident_mb()
    status = window.search_bar.status
    window.search_bar.edit.setText(query)
    window.search_bar._now()
    wait_until(app, lambda: "result" in status.text() or "top " in status.text(), 120)
    wait_until(app, lambda: runner.wait(0), 60)
    result |= {"query": query, "status": status.text(), "searched": resident_mb()}
    result["target_mb"] = 600
    window.close()
    lib.close()
    return result


def pathological(library: Path) -> dict[str, object]:
    """On a copy of LIB: the GUI thread's time to show a paper whose abstract is one word
    (100k characters, the import cap, and 1 MB, as a library from before the caps may hold),
    against the same paper shown without places to wrap (100k only: 1 MB takes minutes);
    the time from a pasted 10,000-word query to its results in the list; the sidebar's
    refresh with a tag nested 1,500 levels deep."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    import shutil

    from PySide6.QtWidgets import QApplication

    from reader.core.model import PaperRecord
    from reader.gui.app import prepare_qt_environment
    from reader.gui.widgets import detail

    copy = Path(tempfile.mkdtemp()) / "library"
    shutil.copytree(library, copy)
    prepare_qt_environment()
    app = QApplication(sys.argv[:1])
    lib, runner, window = open_window(app, copy)
    words = {100_000: "x" * 100_000, 1_000_000: "y" * 1_000_000}
    records = {
        n: PaperRecord(
            title=f"One long word of {n:,}",
            abstract=f"Starts. {w} ends.",
            arxiv_id=f"2699.{len(str(n)):05}",
        )
        for n, w in words.items()
    }
    lib.store.write_records(list(records.values()), None)
    papers = {n: lib.store.paper(lib.resolve(f"2699.{len(str(n)):05}")) for n in words}

    def show_ms(paper: object) -> float:
        start = time.perf_counter()
        window.detail.show_paper(paper)
        window.detail.browser.document().size()  # the layout a paint needs
        app.processEvents()
        return round((time.perf_counter() - start) * 1000, 1)

    result: dict[str, object] = {"bench": "gui_pathological", "library": str(library)}
    wait_until(app, lambda: settled(window, runner), 120)
    result["show_100k_word_ms"] = min(show_ms(papers[100_000]) for _ in range(3))
    result["show_1m_word_ms"] = min(show_ms(papers[1_000_000]) for _ in range(3))
    breakable = detail.breakable
    detail.breakable = lambda text: text  # as before the fix, in the same process
    result["baseline_show_100k_word_ms"] = show_ms(papers[100_000])
    detail.breakable = breakable
    result["show_ratio_vs_baseline"] = round(
        result["show_100k_word_ms"] / result["baseline_show_100k_word_ms"], 3
    )

    status = window.search_bar.status
    start = [time.perf_counter()]
    window.search_bar.edit.setText("language model")  # the first search opens the index
    window.search_bar._now()
    wait_until(app, lambda: "results" in status.text(), 60)
    result["first_query_ms"] = round((time.perf_counter() - start[0]) * 1000, 1)
    start[0] = time.perf_counter()
    window.search_bar.edit.setText(" ".join(f"language{i}" for i in range(10_000)))
    result["query_paste_ms"] = round((time.perf_counter() - start[0]) * 1000, 1)
    window.search_bar._now()  # as Enter does: no typing delay in the figure

    wait_until(app, lambda: "a long query" in status.text(), 60)
    result["query_10k_words_ms"] = round((time.perf_counter() - start[0]) * 1000, 1)
    result["query_status"] = status.text()
    deep = "/".join(f"t{i}" for i in range(1_500))
    lib.store.add_tags([papers[100_000].id], [deep])
    start[0] = time.perf_counter()
    window.refresh_sidebar()
    wait_until(app, lambda: not runner.busy("sidebar"), 60)
    result["sidebar_deep_tag_ms"] = round((time.perf_counter() - start[0]) * 1000, 1)
    result.update(target_show_ms=50, target_query_ms=200)
    window.close()
    lib.close()
    shutil.rmtree(copy.parent)
    return result


def summary(samples: list[float], name: str) -> dict[str, float]:
    ordered = sorted(samples) or [0.0]
    return {
        f"median_{name}_ms": round(statistics.median(ordered) * 1000, 1),
        f"p99_{name}_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
        f"max_{name}_ms": round(ordered[-1] * 1000, 1),
    }


def floor(seconds: float) -> dict[str, float]:
    """A 10 ms timer in a process doing nothing else, until SIGTERM or ``seconds``."""
    import signal

    from PySide6.QtCore import QCoreApplication, QTimer

    app = QCoreApplication(sys.argv[:1])
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    probe = QTimer(interval=10)
    probe.timeout.connect(tick)
    probe.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    wake = QTimer(interval=100)  # lets Python see the signal
    wake.timeout.connect(lambda: None)
    wake.start()
    app.exec()
    return summary(gaps, "gap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("startup")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument(
        "--app",
        default=f"{sys.executable} -m reader",
        help="the command that starts Paper Reader, e.g. /usr/bin/paper-reader (installed)",
    )
    p = sub.add_parser("floor", help="(internal) the bare-process probe for stalls")
    p.add_argument("--seconds", type=float, default=60)
    p = sub.add_parser("paint")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=30)
    p = sub.add_parser("mark-all-read")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=600)
    p = sub.add_parser("memory")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--query", default="large language models")
    p = sub.add_parser("pathological")
    p.add_argument("--library", type=Path, required=True)
    p = sub.add_parser("stalls")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--import", dest="import_file", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--diagnose", action="store_true", help="print the stacks of stalls")
    p.add_argument("--trace", action="store_true", help="print the GUI work during stalls")
    args = parser.parse_args()
    if args.what == "startup":
        print(json.dumps(startup(args.library, args.runs, shlex.split(args.app))))
    elif args.what == "floor":
        print(json.dumps(floor(args.seconds)))
    elif args.what == "paint":
        print(json.dumps(paint(args.library, args.seconds)))
    elif args.what == "memory":
        print(json.dumps(memory(args.library, args.query)))
    elif args.what == "pathological":
        print(json.dumps(pathological(args.library)))
    elif args.what == "mark-all-read":
        print(json.dumps(mark_all_read(args.library, args.seconds)))
    else:
        print(
            json.dumps(
                stalls(args.library, args.import_file, args.seconds, args.diagnose, args.trace)
            )
        )


if __name__ == "__main__":
    main()
