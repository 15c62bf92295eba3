"""The window's online and offline-reading actions: fetch papers, make PDFs available offline,
read them in a tab, sync with the user's other machines. Every network wait runs in a child
process (``controllers/fetching.py``, ``syncing.py``); this module only wires menus, the
sidebar and the detail pane to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from reader.core.library import ImportReport
from reader.gui.controllers.fetching import (
    EnrichController,
    FetchController,
    PdfDownloadController,
)
from reader.gui.controllers.imports import report_from_json
from reader.gui.controllers.syncing import SyncController
from reader.gui.widgets.fetch_dialog import FetchDialog, fetch_today_args
from reader.gui.widgets.preferences import FETCH_ON_START_KEY, FETCH_SOURCES_KEY

if TYPE_CHECKING:
    from reader.core.pdfs import PdfInfo
    from reader.core.views import View
    from reader.gui.main_window import MainWindow
    from reader.gui.menus import Menus

LAST_FETCH_KEY = "last_fetch_day"  # the Daily Papers are fetched from this day on at start
FETCH_ON_START_DELAY_MS = 3000  # after the list and the start-up upkeep
CATCH_UP_DAYS = 14  # a fetch at start goes back at most this far


class OnlineActions(QObject):
    """Fetching and PDFs for one window: its menus' actions and the two child tasks."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.fetcher = FetchController(window, window.library)
        self.downloader = PdfDownloadController(window, window.library)
        self.enricher = EnrichController(window, window.library)
        self.syncer = SyncController(window, window.library, window.settings)
        status = window.statusBar()
        for task in (self.fetcher, self.downloader, self.enricher, self.syncer):
            status.addPermanentWidget(task.widget)
        status.addPermanentWidget(self.syncer.summary)
        self.syncer.finished.connect(self._synced)
        self.enricher.progressed.connect(window._import_progressed)
        self.enricher.finished.connect(lambda _: window._import_finished(ImportReport()))
        self.fetcher.progressed.connect(window._import_progressed)
        self.fetcher.finished.connect(self._fetched)
        self.downloader.finished.connect(self._downloaded)
        self._pending: list[list[str]] = []  # fetches queued behind the running one
        self._running: list[str] = []  # the running fetch's arguments
        self._start_timer = QTimer(self, singleShot=True, interval=FETCH_ON_START_DELAY_MS)
        self._start_timer.timeout.connect(self._fetch_on_start)

    # -- menus -----------------------------------------------------------------------------

    def add_file_actions(self, menus: Menus, menu: QMenu) -> None:
        """Fetch and complete papers, in the File menu's last group."""
        actions = menus.add(
            menu,
            ("Fetch &today's papers", self.fetch_today, "Ctrl+Shift+F"),
            ("Fetch &papers…", self.choose_fetch, None),
            ("Complete missing details from arXiv", lambda: self.enrich([]), None),
            ("S&ync now", self.syncer.sync, "Ctrl+Shift+Y"),
        )
        actions[-1].setToolTip(
            "Bookmarks, tags, read state, notes and papers, with your other machines"
        )
        actions[0].setToolTip("Today's Hugging Face Daily Papers (goes online)")
        self.window.addActions(actions)  # their shortcuts work wherever the focus is

    def add_paper_actions(self, menus: Menus, menu: QMenu) -> list[QAction]:
        """A group of the Paper menu (they act on the selection); the list's right-click
        menu offers the first two too."""
        actions = menus.group(
            menu,
            ("Read &PDF", self.read_pdf, "O"),
            ("Make available &offline", self.offline_selection, "Ctrl+Shift+O"),
            ("Open PDF in system viewer", self.open_in_system_viewer, None),
            ("Look up on arXiv", lambda: self.enrich(self.window.selected_ids()), None),
        )
        self.read_action, self.offline_action, self.system_viewer_action, self.lookup_action = (
            actions
        )
        self.window.addActions(actions)  # their shortcuts work wherever the focus is
        return actions

    def sidebar_actions(self, view: View, parent: QObject) -> list[QAction]:
        """What the sidebar's right-click menu offers for a tag or the bookmarks (owned by
        ``parent``: the menu, which goes when it closes)."""
        if view.kind == "tag":
            label, args = f"Make “{view.value}” available offline", ["--tag", view.value]
        elif view.kind == "bookmarked":
            label, args = "Make bookmarks available offline", ["--bookmarked"]
        else:
            return []
        action = QAction(label, parent)
        action.triggered.connect(lambda: self.make_offline(args, label.removeprefix("Make ")))
        return [action]

    # -- fetching ----------------------------------------------------------------------------

    def fetch_today(self) -> None:
        self.fetch(fetch_today_args())

    def choose_fetch(self) -> None:
        dialog = FetchDialog(self.window)
        if dialog.exec():
            self.fetch(dialog.arguments())

    def fetch(self, arguments: list[str], quiet: bool = False) -> None:
        """Fetch in a child process; embedding pauses meanwhile (as for an import)."""
        if self.fetcher.running or self.window.importer.running:
            self._pending.append(arguments)
            return
        self.window.embedder.cancel()
        self._running = arguments
        self.fetcher.start(arguments, quiet=quiet)

    def schedule_fetch_on_start(self) -> None:
        if self.window.settings.value(FETCH_ON_START_KEY, False, bool):
            self._start_timer.start()
        self.syncer.start_schedule()

    def _synced(self, report: dict | None) -> None:
        if report is not None and report["received"]:
            self.window._import_finished(ImportReport())  # show what arrived

    def _fetch_on_start(self) -> None:
        """The Daily Papers since the last fetch (up to two weeks), then the chosen arXiv
        categories; quietly: an offline machine only gets a line in the status bar."""
        settings = self.window.settings
        today = QDate.currentDate()
        last = QDate.fromString(settings.value(LAST_FETCH_KEY, "", str), "yyyy-MM-dd")
        first = last.addDays(1) if last.isValid() else today
        first = max(first, today.addDays(-CATCH_UP_DAYS))
        if first <= today:
            day = "yyyy-MM-dd"
            self.fetch(
                ["fetch", "hf", "--from", first.toString(day), "--to", today.toString(day)],
                quiet=True,
            )
        for category in settings.value(FETCH_SOURCES_KEY, "", str).split():
            self._pending.append(["fetch", "arxiv", "--category", category, "--max", "100"])

    def _fetched(self, summary: dict | None) -> None:  # type: ignore[type-arg]
        arguments, self._running = self._running, []
        if summary is not None and not summary.get("failed") and arguments[1:2] == ["hf"]:
            settings, last_day = self.window.settings, arguments[-1]  # --date D or --to D
            if last_day > settings.value(LAST_FETCH_KEY, "", str):
                settings.setValue(LAST_FETCH_KEY, last_day)
        report = report_from_json(summary) if summary is not None else ImportReport()
        self.window._import_finished(report)
        if self._pending:
            self.fetch(self._pending.pop(0), quiet=self.fetcher.quiet)

    def enrich(self, ids: list[int]) -> None:
        """Look papers up on arXiv by title (``ids``; none: every paper missing details)."""
        if self.enricher.running:
            self.window.statusBar().showMessage("A look-up on arXiv is already running", 5000)
            return
        self.enricher.start(["enrich", *(map(str, ids) if ids else ["--all"])])

    # -- PDFs ------------------------------------------------------------------------------

    def offline_selection(self) -> None:
        ids = self.window.selected_ids()
        if ids:
            self.make_offline(["--ids", *map(str, ids)], f"{len(ids)} papers offline")

    def make_offline(self, selector: list[str], title: str) -> None:
        self.downloader.start(["offline", *selector], title=f"Making {title}")

    def read_pdf(self) -> None:
        """Open the current paper's PDF in a reader tab; download it first if need be."""
        paper_id = self.window.current_id
        if paper_id is None:
            return
        library = self.window.library

        def opened(info: PdfInfo | None) -> None:
            if info is not None:
                self.window.reader_tabs.open_pdf(paper_id, self._title(paper_id), info)
            else:
                self._read_after_download = paper_id
                self.make_offline(["--ids", str(paper_id)], "this paper available offline")

        self.window.runner.submit(lambda: library.pdf_info(paper_id), opened, title="PDF")

    def open_in_system_viewer(self) -> None:
        from reader.core.pdfs import open_in_system_viewer

        paper_id = self.window.current_id
        if paper_id is None:
            return
        library = self.window.library

        def opened(info: PdfInfo | None) -> None:
            if info is None:
                QMessageBox.information(
                    self.window,
                    "Not available offline",
                    "This paper's PDF is not downloaded yet: use Paper ▸ Make available offline.",
                )
            else:
                open_in_system_viewer(info.path)

        self.window.runner.submit(lambda: library.pdf_info(paper_id), opened, title="PDF")

    _read_after_download: int | None = None

    def _downloaded(self, report: dict | None) -> None:  # type: ignore[type-arg]
        self.window.model.refresh_rows()  # the offline marks
        self.window.refresh_sidebar()
        self.window.reload_paper()
        # (the child indexed the PDFs' text itself)
        waiting, self._read_after_download = self._read_after_download, None
        if waiting is not None and waiting == self.window.current_id and report:
            if report["downloaded"]:
                self.read_pdf()
            elif self.downloader.last_error or report["no_source"]:
                QMessageBox.warning(
                    self.window,
                    "PDF not available",
                    self.downloader.last_error or "This paper has no arXiv id or PDF link.",
                )

    def _title(self, paper_id: int) -> str:
        paper = self.window.detail.paper
        return paper.title if paper is not None and paper.id == paper_id else f"Paper {paper_id}"

    def close(self) -> None:
        self._start_timer.stop()
        self.syncer.stop_schedule()
        self._pending.clear()
        for task in (self.fetcher, self.downloader, self.enricher):
            task.cancel()
        for task in (self.fetcher, self.downloader, self.enricher, self.syncer):
            task.wait()  # a sync is let finish: it is short, and cut off it sends again
