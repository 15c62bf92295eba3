"""GUI responsiveness benchmarks: cold start to first paint, and event-loop stalls.

    python benchmarks/bench_gui.py startup --library LIB [--runs 5] [--app /usr/bin/paper-reader]
    python benchmarks/bench_gui.py stalls --library LIB --import FILE [--seconds 60] [--diagnose]

Prints one JSON object per measurement. ``startup`` launches the app (this checkout, or an
installed binary with ``--app``) as a fresh process per run and reports the wall time from
launch to the main window's first paint (median of the runs). ``stalls`` opens the window
on a library, starts importing FILE through the window's own import controller, scrolls the
list every 40 ms, and records the gaps between ticks of a 10 ms timer: the longest gap is the
longest time the GUI could not respond. Beside the gaps it reports the GUI thread's own CPU
time between ticks (``gui_cpu``: the work done on the GUI thread, whatever the machine's
load) and the gaps of the same probe in a bare process run meanwhile (``floor_``: what the
machine's load alone causes; on a busy shared machine it is far from zero). ``--diagnose``
samples every thread's stack while a tick is late and prints the most frequent ones to
stderr (a poor man's py-spy).
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
from pathlib import Path

STALL_SAMPLE_S = 0.02  # --diagnose: a tick this late counts as a stall and is sampled


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


def stalls(
    library: Path, import_file: Path, seconds: float, diagnose: bool = False
) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # no user settings read or written
    import random

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from reader.core.library import Library
    from reader.gui.app import prepare_qt_environment
    from reader.gui.jobs import JobRunner
    from reader.gui.main_window import MainWindow

    prepare_qt_environment()  # as the app does
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("paper-reader-bench")
    QSettings().setValue("auto_embed", False)  # measure the import alone
    lib = Library.open(library)
    runner = JobRunner(app)
    window = MainWindow(lib, runner, QSettings())
    window.show()
    window.start()
    gc.freeze()  # as reader.gui.app does after start-up
    window.importer.show_summary = False
    gaps: list[float] = []  # wall time between ticks
    busy: list[float] = []  # the GUI thread's CPU time between ticks: its own work
    last = [time.perf_counter()]
    last_cpu = [time.thread_time()]

    def tick() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append(now - last[0])
        busy.append(cpu - last_cpu[0])
        last[0], last_cpu[0] = now, cpu

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
    started = time.perf_counter()
    window.importer.start([import_file])
    probe.start()
    scroller.start()
    sampler = StallSampler(last) if diagnose else None
    if sampler:
        sampler.start()

    finished = [False]

    def stop_when_done() -> None:
        if not window.importer.running or time.perf_counter() > started + seconds:
            finished[0] = not window.importer.running
            probe.stop()  # the measurement ends here: quitting closes the window and waits
            scroller.stop()
            app.quit()

    watcher = QTimer(interval=100)
    watcher.timeout.connect(stop_when_done)
    watcher.start()
    app.exec()  # the real event loop, as in the app
    window.importer.cancel()
    runner.wait(120_000)
    if sampler:
        sampler.running = False
        sampler.report()
    observed = round(time.perf_counter() - started, 1)
    floor.terminate()
    bare = json.loads(floor.communicate()[0] or "{}")
    return {
        "bench": "gui_event_loop_stalls_during_import",
        "import_file": str(import_file),
        "seconds_observed": observed,
        "import_finished": finished[0],
        "papers_after": lib.store.count(),
        "load_average": os.getloadavg()[0],
        "ticks": len(gaps),
        **summary(gaps, "gap"),
        **summary(busy, "gui_cpu"),
        **{f"floor_{k}": v for k, v in bare.items()},
        "target_max_gap_ms": 50,
    }


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
    p = sub.add_parser("stalls")
    p.add_argument("--library", type=Path, required=True)
    p.add_argument("--import", dest="import_file", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--diagnose", action="store_true", help="print the stacks of stalls")
    args = parser.parse_args()
    if args.what == "startup":
        print(json.dumps(startup(args.library, args.runs, shlex.split(args.app))))
    elif args.what == "floor":
        print(json.dumps(floor(args.seconds)))
    else:
        print(json.dumps(stalls(args.library, args.import_file, args.seconds, args.diagnose)))


if __name__ == "__main__":
    main()
