"""GUI responsiveness benchmarks: cold start to first paint, and event-loop stalls.

    python benchmarks/bench_gui.py startup --library LIB [--runs 5] [--app /usr/bin/paper-reader]
    python benchmarks/bench_gui.py stalls --library LIB --import FILE [--seconds 60]

Prints one JSON object per measurement. ``startup`` launches the app (this checkout, or an
installed binary with ``--app``) as a fresh process per run and reports the wall time from
launch to the main window's first paint (median of the runs). ``stalls`` opens the window
on a library, starts importing FILE through the window's own import controller, scrolls the
list every 40 ms, and records the gaps between ticks of a 10 ms timer: the longest gap is the
longest time the GUI could not respond.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


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


def stalls(library: Path, import_file: Path, seconds: float) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import random

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from reader.core.library import Library
    from reader.gui.jobs import JobRunner
    from reader.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("paper-reader-bench")
    lib = Library.open(library)
    runner = JobRunner(app)
    window = MainWindow(lib, runner, QSettings())
    window.show()
    window.start()
    window.importer.show_summary = False
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    def scroll() -> None:
        bar = window.table.verticalScrollBar()
        bar.setValue(random.randint(0, max(0, bar.maximum())))

    probe = QTimer(interval=10)
    probe.timeout.connect(tick)
    scroller = QTimer(interval=40)
    scroller.timeout.connect(scroll)
    started = time.perf_counter()
    window.importer.start([import_file])
    probe.start()
    scroller.start()

    def stop_when_done() -> None:
        if not window.importer.running or time.perf_counter() > started + seconds:
            app.quit()

    watcher = QTimer(interval=100)
    watcher.timeout.connect(stop_when_done)
    watcher.start()
    app.exec()  # the real event loop, as in the app
    finished = not window.importer.running
    window.importer.cancel()
    runner.wait(120_000)
    probe.stop()
    gaps.sort()
    return {
        "bench": "gui_event_loop_stalls_during_import",
        "import_file": str(import_file),
        "seconds_observed": round(time.perf_counter() - started, 1),
        "import_finished": finished,
        "papers_after": lib.store.count(),
        "ticks": len(gaps),
        "max_gap_ms": round(gaps[-1] * 1000, 1),
        "p99_gap_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 1),
        "target_max_gap_ms": 50,
    }


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
    p = sub.add_parser("stalls")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--import", dest="import_file", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if args.what == "startup":
        print(json.dumps(startup(args.library, args.runs, shlex.split(args.app))))
    else:
        print(json.dumps(stalls(args.library, args.import_file, args.seconds)))


if __name__ == "__main__":
    main()
