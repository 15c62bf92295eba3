"""Screenshots of the window in its main states, for looking at (and for the README).

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python -m tests.gui.screenshots \\
        --library LIB --out DIR --search "speculative decoding" \\
        --sentence "how can a small model speed up decoding" --import FILE

Writes DIR/start.png, search.png, related.png, sentence.png, dark.png, foryou.png (when the
library has vectors: the search's top three hits bookmarked), import.png and, with --embed on
a library lacking vectors, wanted.png (the paper the embedding would reach last, opened while
it runs, once its pane turns dense): the whole screen,
grabbed as the user would see it. Settings are private to the run. LIB is used
as it is (an import adds papers to it): point it at a copy. With --sync-remote: preferences.png
(Preferences ▸ Sync after Test connection) and synced.png (the status bar after the sync).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--search", default="speculative decoding")
    parser.add_argument("--sentence", default="how can a small model speed up decoding")
    parser.add_argument("--import", dest="import_file", type=Path)
    parser.add_argument("--embed", action="store_true", help="let missing vectors be computed")
    parser.add_argument(
        "--sync-remote", type=Path, help="set up sync with this (empty) folder, encrypted"
    )
    args = parser.parse_args()
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()  # no user settings read or written

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from reader.core.library import Library
    from reader.gui.jobs import JobRunner
    from reader.gui.main_window import MainWindow
    from reader.gui.models.sidebar import VIEW_ROLE
    from reader.gui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("paper-reader-screenshots")
    QSettings().setValue("auto_embed", args.embed)
    apply_theme("light", 0)
    library = Library.open(args.library)
    runner = JobRunner(app)
    window = MainWindow(library, runner, QSettings())
    window.setGeometry(app.primaryScreen().availableGeometry())
    window.show()
    window.start()
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(what: str, condition: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.6) -> None:
        """Let queued results and repaints land."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        wait("rows", lambda: window.model.is_loaded(max(0, window.table.rowAt(0))))
        settle()
        QGuiApplication.primaryScreen().grabWindow(0).save(str(args.out / f"{name}.png"))
        print(args.out / f"{name}.png")

    def related_shown() -> bool:
        status = window.related.status
        return window.related.list.count() > 0 or (
            status.isVisible() and "Computing" not in status.text()
        )

    def searched() -> bool:
        """The status shows a finished search: "N results", or "top 1,000 of about N" when
        there are more hits than the list holds (a big library)."""
        text = window.search_bar.status.text()
        return "result" in text or " of about " in text

    wait("the list", lambda: window.model.rowCount() > 0 and window.detail.paper is not None)
    wait("related papers", related_shown)
    shot("start")

    if args.embed and library.needs_embedding():
        # the paper the embedding would reach last, opened while it runs: embedded next
        wait("the embedding", lambda: window.embedder.running)
        window.go_to_paper(library.derived.related_papers.pending()[-1][0])
        wait("its vector", lambda: window.related.dense, timeout=300)
        shot("wanted")

    window.search_bar.edit.setText(args.search)
    wait(
        "results",
        lambda: window.query == args.search and searched(),
    )
    wait("related papers", related_shown)
    shot("search")
    top_hits = [window.model.id_at(row) for row in range(3)]

    window.move_selection(2)
    wait("the third paper", lambda: window.current_id == window.model.id_at(2))
    wait("related papers", related_shown)
    shot("related")

    window.search_bar.edit.setText(args.sentence)
    wait(
        "sentence results",
        lambda: window.query == args.sentence and searched(),
    )
    wait("related papers", related_shown)
    shot("sentence")

    window.set_theme("dark")
    shot("dark")
    window.set_theme("light")

    if library.vector_count():
        window.search_bar.edit.setText("")
        wait("the whole list", lambda: window.query == "")
        library.set_bookmarked(top_hits, True)
        for row in range(window.sidebar_model.rowCount(group := window.sidebar_model.index(0, 0))):
            index = window.sidebar_model.index(row, 0, group)
            if index.data(VIEW_ROLE).kind == "for_you":
                window.sidebar.setCurrentIndex(index)
        wait("for you", lambda: "like your bookmarks" in window.search_bar.status.text())
        wait("related papers", related_shown)
        shot("foryou")

    if args.sync_remote:
        window.search_bar.edit.setText("")
        wait("the whole list", lambda: window.query == "")

        def in_preferences() -> None:
            dialog = QApplication.activeModalWidget()
            tab = dialog.sync  # type: ignore[union-attr]
            tab.remote.setText(str(args.sync_remote))
            tab.passphrase.setText("a long shared passphrase")
            tab.test.click()
            wait("the connection test", tab.test.isEnabled)
            settle()
            QGuiApplication.primaryScreen().grabWindow(0).save(str(args.out / "preferences.png"))
            print(args.out / "preferences.png")
            dialog.accept()  # type: ignore[union-attr]

        QTimer.singleShot(300, in_preferences)
        window.preferences(tab="Sync")
        syncer = window.online.syncer
        wait("the first sync", lambda: syncer.summary.text().startswith("Synced"))
        shot("synced")

    if args.import_file:
        window.search_bar.edit.setText("")
        wait("the whole list", lambda: window.query == "")
        window.start_import([args.import_file])
        wait("import progress", lambda: "records" in window.importer.label.text())
        settle(4)
        shot("import")
    window.close()
    runner.wait()
    library.close()


if __name__ == "__main__":
    main()
