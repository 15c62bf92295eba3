"""Starting the desktop app: QApplication, settings, theme, the window, and the self-test."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

SELF_TEST_TIMEOUT_S = 180
# The desktop entry's name (without .desktop) and the AppStream id; the installers use it too.
APP_ID = "io.github.paperreader.PaperReader"
# Set to 1 to print {"first_paint_at": <epoch seconds>} and quit at the window's first paint
# (benchmarks/bench_gui.py times cold starts of a checkout or an installed app with it).
STARTUP_PROBE_ENV = "PAPER_READER_STARTUP_PROBE"


def prepare_qt_environment() -> None:
    """Settings Qt reads once, when the application object is made."""
    # Qt's raster engine hands a big fill (a scroll bar's gradient) to its GUI thread pool
    # and waits for it. While an import keeps both cores busy those threads wait for a
    # core, and the window with them: that wait was the largest in the GUI thread's native
    # stacks during a 100k import, and the longest stalls fell from 115-187 to 97-113 ms
    # without the pool.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def run(library: Path | None = None, self_test: bool = False) -> int:
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    prepare_qt_environment()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMessageBox

    from reader.core.library import Library
    from reader.core.paths import default_library_dir
    from reader.gui.jobs import JobRunner
    from reader.gui.main_window import MainWindow, window_title
    from reader.gui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Paper Reader")
    app.setOrganizationName("paper-reader")
    app.setDesktopFileName(APP_ID)
    settings = QSettings()
    chosen = library or settings.value("library_folder", None, str) or None
    folder = Path(chosen) if chosen else default_library_dir()
    try:
        lib = Library.open(folder)
    except Exception as e:  # a library we cannot open is reported, not a traceback
        if not self_test:
            QMessageBox.critical(None, "Paper Reader", f"Cannot open the library {folder}:\n{e}")
        print(f"paper-reader: cannot open the library {folder}: {e}", file=sys.stderr)
        return 2
    apply_theme(settings.value("theme", "system", str), settings.value("font_size", 0, int))
    runner = JobRunner(app)
    window = MainWindow(lib, runner, settings)
    window.setWindowTitle(window_title(folder, default_library_dir()))
    runner.error.connect(
        lambda title, message: window.statusBar().showMessage(f"{title} failed: {message}", 15_000)
    )
    if os.environ.get(STARTUP_PROBE_ENV) == "1":
        _report_first_paint(window)
    window.show()
    window.start()
    # What start-up made (modules, Qt wrappers, the window) lives as long as the process:
    # keep the garbage collector from rescanning it. A full collection holds the GIL, so
    # every thread waits: during a 100k import its pauses reached 88 ms, 31 ms frozen.
    gc.freeze()
    if self_test:
        code = SelfTest(window).run()
        window.close()
    else:
        code = app.exec()
    runner.wait()
    lib.close()
    return code


def _report_first_paint(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                print(json.dumps({"first_paint_at": time.time()}), flush=True)
                obj.removeEventFilter(self)
                QApplication.quit()
            return False

    probe = FirstPaint(window)
    window.table.viewport().installEventFilter(probe)


class SelfTest:
    """Smoke test for installers: search, select the first hit, show its related papers."""

    def __init__(self, window) -> None:  # type: ignore[no-untyped-def]
        self.window = window

    def wait(self, what: str, condition: Callable[[], bool]) -> None:
        from PySide6.QtWidgets import QApplication

        deadline = time.monotonic() + SELF_TEST_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"self-test: timed out waiting for {what}")
            QApplication.processEvents()
            time.sleep(0.01)

    def run(self) -> int:
        w = self.window
        try:

            def top_row() -> int:  # the list opens on the paper last shown, maybe far down
                return max(w.table.rowAt(0), 0)

            self.wait(
                "papers in the list",
                lambda: (
                    w.model.rowCount() > 0
                    and not w.importer.running
                    and w.model.is_loaded(top_row())
                ),
            )
            title = w.model.data(w.model.index(top_row(), 1)) or ""
            word = max((t for t in title.split() if t.isalpha()), key=len, default="model")
            w.search_bar.edit.setText(word)
            # the search ran (after the box's debounce) and its results landed; the status
            # is "N results" or, past the list's limit, "top 1,000 of about N"
            self.wait("search results", lambda: w.query == word and not w.runner.busy("list"))
            self.wait(
                "the first hit shown",
                lambda: w.detail.paper is not None and w.detail.paper.id == w.model.id_at(0),
            )
            self.wait(
                "related papers",
                lambda: (
                    w.related.list.count() > 0
                    or (w.related.status.isVisible() and "Computing" not in w.related.status.text())
                ),
            )
            if w.related.error:
                raise RuntimeError(f"related papers failed: {w.related.error}")
            print(
                f"self-test ok: {w.model.rowCount()} results for {word!r}; "
                f"showing {w.detail.paper.title!r} with {w.related.list.count()} related papers"
            )
            return 0
        except Exception as e:
            print(f"self-test FAILED: {e}", file=sys.stderr)
            return 1
