"""The main window: layout, menus and shortcuts, wired to the Library through the job runner."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QTreeView,
)

from reader.core.library import FALLBACK_NOTE, ImportReport, Library, SearchResults
from reader.core.model import Paper
from reader.core.views import View
from reader.gui.jobs import BULK, JobRunner
from reader.gui.models.paper_table import COLUMNS, TITLE, PaperTableModel
from reader.gui.models.sidebar import VIEW_ROLE, SidebarModel
from reader.gui.widgets.about import AboutDialog, app_icon
from reader.gui.widgets.detail import DetailPane
from reader.gui.widgets.import_progress import ImportController
from reader.gui.widgets.related import RelatedPane
from reader.gui.widgets.search_bar import SYNTAX_HELP, SearchBar

SEARCH_LIMIT = 1000  # ranked hits shown for a query
POLL_MS = 2000  # how often the window looks for changes made by another process
REBUILDING_MESSAGE = "Rebuilding the search index — searches show simple matches meanwhile"


class MainWindow(QMainWindow):
    def __init__(self, library: Library, runner: JobRunner, settings: QSettings) -> None:
        super().__init__()
        self.library, self.runner, self.settings = library, runner, settings
        self.view = View()
        self.query = ""
        self.terms: frozenset[str] = frozenset()
        self.current_id: int | None = None
        self.history: list[int] = []
        self.history_pos = -1
        self._seen_rev = library.store.rev()
        self._rebuilding = False  # a background index repair / catch-up is running
        self.worker_views = library.open_views()  # for jobs; the model has its own connection

        self.sidebar_model = SidebarModel()
        self.sidebar = QTreeView()
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setAccessibleName("Library sidebar")
        self.model = PaperTableModel(library.open_views())
        self.table = self._make_table()
        self.detail = DetailPane()
        self.related = RelatedPane()
        self.search_bar = SearchBar()
        self.importer = ImportController(self, library, runner)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.detail)
        right.addWidget(self.related)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([520, 300])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([220, 700, 460])
        self.right_splitter = right
        self.setCentralWidget(self.splitter)
        toolbar = QToolBar("Search")
        toolbar.setObjectName("searchToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search_bar)
        self.addToolBar(toolbar)
        self.statusBar().addPermanentWidget(self.importer.widget)
        self.setAcceptDrops(True)
        self.resize(1380, 860)
        self.setWindowIcon(app_icon())  # dialogs inherit it
        self._make_menus()
        self._connect()
        self._restore_settings()
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._check_external_changes)
        self._poll.start()

    # -- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setAccessibleName("Papers")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(False)  # sorting is done by SQL over the whole view
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(3, Qt.SortOrder.DescendingOrder)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 26), (2, 130), (3, 86), (4, 58), (5, 90)):
            table.setColumnWidth(column, width)
        return table

    def _action(self, text: str, shortcut: str | QKeySequence | None, slot, menu) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action("&Import…", "Ctrl+I", self.choose_import, file)
        file.addSeparator()
        self._action("Export selection as &BibTeX…", None, lambda: self.export("bibtex"), file)
        self._action("Export selection as &CSL-JSON…", None, lambda: self.export("csl-json"), file)
        self._action(
            "Export the list as BibTeX…", None, lambda: self.export("bibtex", whole_list=True), file
        )
        self._action(
            "Export the list as CSL-JSON…",
            None,
            lambda: self.export("csl-json", whole_list=True),
            file,
        )
        file.addSeparator()
        self._action("&Preferences…", QKeySequence.StandardKey.Preferences, self.preferences, file)
        file.addSeparator()
        self._action("&Quit", QKeySequence.StandardKey.Quit, self.close, file)
        edit = bar.addMenu("&Edit")
        self._action("&Find", "Ctrl+F", self.focus_search, edit)
        self._action("Find (/)", "/", self.focus_search, edit)
        self._action("Copy &BibTeX", "Ctrl+Shift+C", self.copy_bibtex, edit)
        edit.addSeparator()
        self._action("&Save search…", "Ctrl+S", self.save_search, edit)
        self._action("Delete saved search", None, self.delete_saved_search, edit)
        paper = bar.addMenu("&Paper")
        self._action("&Next", "J", lambda: self.move_selection(1), paper)
        self._action("&Previous", "K", lambda: self.move_selection(-1), paper)
        self._action("Toggle &bookmark", "B", self.toggle_bookmark, paper)
        self._action("Toggle &read", "R", self.toggle_read, paper)
        self._action("&Tag…", "T", self.detail.tags.setFocus, paper)
        paper.addSeparator()
        self._action("Back", "Alt+Left", lambda: self.navigate_history(-1), paper)
        self._action("Forward", "Alt+Right", lambda: self.navigate_history(1), paper)
        view = bar.addMenu("&View")
        for theme in ("system", "light", "dark"):
            self._action(
                f"{theme.title()} theme", None, lambda _=False, t=theme: self.set_theme(t), view
            )
        view.addSeparator()
        self._action("Larger text", "Ctrl++", lambda: self.change_font(1), view)
        self._action("Smaller text", "Ctrl+-", lambda: self.change_font(-1), view)
        help_menu = bar.addMenu("&Help")
        self._action("Search syntax", None, self.show_syntax, help_menu)
        self._action("&About Paper Reader", None, self.show_about, help_menu)

    def _connect(self) -> None:
        self.sidebar.selectionModel().currentChanged.connect(self._sidebar_changed)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.horizontalHeader().sectionClicked.connect(self._sort_clicked)
        self.search_bar.query_changed.connect(self.run_search)
        self.related.paper_chosen.connect(self.go_to_paper)
        self.detail.bookmark_toggled.connect(
            lambda i, v: self._write(lambda: self.library.set_bookmarked([i], v))
        )
        self.detail.read_toggled.connect(
            lambda i, v: self._write(lambda: self.library.set_read([i], v))
        )
        self.detail.tags_edited.connect(self._set_tags)
        self.detail.notes_edited.connect(
            lambda i, text: self._write(lambda: self.library.set_notes(i, text), refresh=False)
        )
        self.importer.finished.connect(self._import_finished)
        self.importer.progressed.connect(self._import_progressed)

    # -- start-up --------------------------------------------------------------------------

    def start(self) -> None:
        """Fill the panes; import the bundled sample into an empty library."""
        self.refresh_sidebar()
        self.refresh_list(select_id=self.settings.value("last_paper", None, int))
        if self.library.store.count() == 0:
            from reader.core.resources import sample_library_files

            self.importer.start(sample_library_files(), title="Importing the sample library")
        else:  # catch the index up with changes it missed, or rebuild damaged derived data
            self.rebuild_derived()
        # its own connection and the online backup API: no need to hold up the user's writes
        self.runner.submit(self.library.backup_if_due, priority=BULK, title="Backing up")

    def rebuild_derived(self) -> None:
        """Repair or catch up the index in the background; searches meanwhile fall back to
        simple matches (labelled), and the current search is re-run when it is done."""
        if self._rebuilding:
            return
        self._rebuilding = True
        library, bar = self.library, self.statusBar()

        def announce(status: str) -> None:
            if status != "ready" and self._rebuilding:
                bar.showMessage(REBUILDING_MESSAGE)

        self.runner.submit(library.index_status, announce, title="Checking the search index")

        def done(_result: object) -> None:
            self._rebuilding = False
            if bar.currentMessage() == REBUILDING_MESSAGE:
                bar.clearMessage()
            if self.query:
                self.run_search(self.query)

        def failed(error: Exception) -> None:
            self._rebuilding = False
            self.statusBar().showMessage(f"Rebuilding the search index failed: {error}", 15_000)

        self.runner.submit(
            self.library.rebuild_derived, done, failed, priority=BULK, title="Indexing", write=True
        )

    # -- list and sidebar --------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        views = self.worker_views

        def load() -> tuple:
            return views.counts(), views.source_days(), views.tag_counts(), views.saved_searches()

        def show(data: tuple) -> None:
            current = self.view
            self.sidebar_model.populate(*data)
            self.sidebar.expandToDepth(1)
            self._select_sidebar(current)
            self.detail.set_known_tags([name for name, _ in data[2]])

        self.runner.submit(load, show, channel="sidebar", title="Loading the sidebar")

    def _select_sidebar(self, view: View) -> None:
        model = self.sidebar_model
        stack = [model.index(r, 0) for r in range(model.rowCount())]
        while stack:
            index = stack.pop()
            item_view = index.data(VIEW_ROLE)
            if item_view is not None and (item_view.kind, item_view.value, item_view.listed_on) == (
                view.kind,
                view.value,
                view.listed_on,
            ):
                self.sidebar.selectionModel().blockSignals(True)
                self.sidebar.setCurrentIndex(index)
                self.sidebar.selectionModel().blockSignals(False)
                return
            stack.extend(model.index(r, 0, index) for r in range(model.rowCount(index)))

    def _sidebar_changed(self, index: QModelIndex) -> None:
        view = index.data(VIEW_ROLE)
        if view is None:
            return
        if view.kind == "saved":  # a saved search runs over the whole library
            self.view = View(sort=self.view.sort, descending=self.view.descending)
            self.search_bar.edit.setText(view.value)
            return
        self.view = View(
            view.kind, view.value, view.listed_on, self.view.sort, self.view.descending
        )
        if self.query:
            self.run_search(self.query)
        else:
            self.refresh_list()

    def _sort_clicked(self, column: int) -> None:
        key = COLUMNS[column][1]
        if key is None or self.query:  # search results stay in rank order
            header = self.table.horizontalHeader()
            header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
            return
        descending = not (self.view.sort == key and self.view.descending)
        self.view = View(self.view.kind, self.view.value, self.view.listed_on, key, descending)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(column, order)
        self.refresh_list(select_id=self.current_id)

    def refresh_list(self, select_id: int | None = None) -> None:
        view, views = self.view, self.worker_views

        def show(ids) -> None:  # type: ignore[no-untyped-def]
            self.model.set_ids(ids)
            self.search_bar.set_status(f"{len(ids):,} papers")
            self._reselect(select_id)

        self.runner.submit(lambda: views.ids(view), show, channel="list", title="Loading papers")

    def _reselect(self, paper_id: int | None) -> None:
        row = self.model.row_of(paper_id) if paper_id is not None else None
        if row is None:
            row = 0 if self.model.rowCount() else None
        if row is None:
            self.detail.show_paper(None)
            self.related.show_message("Select a paper to see the papers closest to it.")
            return
        index = self.model.index(row, TITLE)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    # -- search ------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_bar.edit.setFocus()
        self.search_bar.edit.selectAll()

    def run_search(self, text: str) -> None:
        self.query = text
        if not text:
            self.terms = frozenset()
            self.refresh_list(select_id=self.current_id)
            return
        view, library = self.view, self.library
        post_filter = view.kind in ("source", "recent")
        views = self.worker_views

        def search() -> tuple[SearchResults, set[int] | None]:
            results = library.search(text, limit=SEARCH_LIMIT, snippets=False, within=view)
            allowed = set(views.ids(view)) if post_filter else None
            return results, allowed

        def show(found: tuple[SearchResults, set[int] | None]) -> None:
            results, allowed = found
            hits = [h for h in results.hits if allowed is None or h.paper.id in allowed]
            self.terms = results.terms
            self.model.set_ids([h.paper.id for h in hits], {h.paper.id: h.score for h in hits})
            status = (
                f"{len(hits):,} results"
                if len(hits) < SEARCH_LIMIT
                else (f"top {len(hits):,} of about {results.total:,}")
            )
            if results.fallback:
                status = f"{FALLBACK_NOTE} — {status}"
                self.rebuild_derived()
            elif results.corrected:
                status = f"showing results for “{results.corrected}” — {status}"
            elif results.degraded:
                status = f"searched as plain words — {status}"
            self.search_bar.set_status(status)
            self._reselect(None)

        self.search_bar.set_status("searching…")
        self.runner.submit(search, show, channel="list", title="Search")

    # -- the current paper ---------------------------------------------------------------------

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        paper_id = self.model.id_at(current.row())
        if paper_id is not None and paper_id != self.current_id:
            self.show_paper(paper_id)

    def show_paper(self, paper_id: int, record_history: bool = True) -> None:
        self.current_id = paper_id
        if record_history:
            del self.history[self.history_pos + 1 :]
            self.history.append(paper_id)
            self.history_pos = len(self.history) - 1
        library, terms = self.library, self.terms
        self.runner.submit(
            lambda: library.store.paper(paper_id),
            lambda paper: self._paper_loaded(paper, terms),
            channel="paper",
            title="Loading a paper",
        )
        self.load_related(paper_id)

    def load_related(self, paper_id: int) -> None:
        library = self.library
        self.related.show_computing()
        self.runner.submit(
            lambda: library.related(paper_id, limit=10),
            self.related.show_related,
            self.related.show_error,
            channel="related",
        )

    def _paper_loaded(self, paper: Paper, terms: frozenset[str]) -> None:
        if paper.id == self.current_id:
            self.detail.show_paper(paper, terms)

    def go_to_paper(self, paper_id: int) -> None:
        """Navigate to a paper (from the related pane), selecting it if it is listed."""
        row = self.model.row_of(paper_id)
        if row is not None:
            self._reselect(paper_id)
        else:
            self.table.clearSelection()
            self.show_paper(paper_id)

    def navigate_history(self, step: int) -> None:
        target = self.history_pos + step
        if 0 <= target < len(self.history):
            self.history_pos = target
            paper_id = self.history[target]
            self.show_paper(paper_id, record_history=False)
            row = self.model.row_of(paper_id)
            if row is not None:
                self.table.selectionModel().blockSignals(True)
                self._reselect(paper_id)
                self.table.selectionModel().blockSignals(False)

    def move_selection(self, step: int) -> None:
        row = self.table.currentIndex().row() + step
        if 0 <= row < self.model.rowCount():
            self._reselect(self.model.id_at(row))

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.model.id_at(r) for r in rows]
        found = [i for i in ids if i is not None]
        return found or ([self.current_id] if self.current_id is not None else [])

    # -- user state --------------------------------------------------------------------------

    def toggle_bookmark(self) -> None:
        if self.detail.paper:
            self.detail.bookmark.toggle()

    def toggle_read(self) -> None:
        if self.detail.paper:
            self.detail.read.toggle()

    def _set_tags(self, paper_id: int, tags: list[str]) -> None:
        def apply() -> None:
            old = self.library.store.paper(paper_id).tags
            removed = [t for t in old if t.lower() not in {n.lower() for n in tags}]
            if removed:
                self.library.remove_tags([paper_id], removed)
            self.library.add_tags([paper_id], tags)

        self._write(apply)

    def _write(self, fn, refresh: bool = True) -> None:  # type: ignore[no-untyped-def]
        def done(_result: object) -> None:
            self._seen_rev = self.library.store.rev()
            if refresh:
                self.model.refresh_rows()
                self.refresh_sidebar()

        self.runner.submit(fn, done, title="Saving", write=True)

    def _check_external_changes(self) -> None:
        """Pick up papers and state changed by the CLI or another window."""
        rev = int(
            self.worker_views.conn.execute("SELECT value FROM meta WHERE key = 'rev'").fetchone()[0]
        )
        if rev != self._seen_rev and not self.importer.running:
            self._seen_rev = rev
            self.model.refresh_rows()
            self.refresh_sidebar()
            if not self.query:
                self.refresh_list(select_id=self.current_id)
            # The other process normally indexed its change itself; if it could not (the
            # index was busy), this window's index follows, then a running search is redone.
            self.rebuild_derived()

    # -- import and export ---------------------------------------------------------------------

    def choose_import(self) -> None:
        patterns = "Paper files (*.txt *.json *.jsonl *.gz *.xml *.atom *.bib);;All files (*)"
        files, _ = QFileDialog.getOpenFileNames(self, "Import papers", "", patterns)
        if files:
            self.importer.start([Path(f) for f in files])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.importer.start(files)
            event.acceptProposedAction()

    def _import_progressed(self) -> None:
        self.refresh_sidebar()
        if not self.query:
            self.refresh_list(select_id=self.current_id)

    def _import_finished(self, report: ImportReport) -> None:
        self._seen_rev = self.library.store.rev()
        self.refresh_sidebar()
        if self.query:
            self.run_search(self.query)
        else:
            self.refresh_list(select_id=self.current_id)
        if self.current_id is not None:  # shown mid-import: its neighbours have just arrived
            self.load_related(self.current_id)
        del report

    def export(self, fmt: str, whole_list: bool = False) -> None:
        ids = list(self.model.ids) if whole_list else self.selected_ids()
        if not ids:
            QMessageBox.information(self, "Export", "Select the papers to export first.")
            return
        suffix = "bib" if fmt == "bibtex" else "json"
        name, _ = QFileDialog.getSaveFileName(self, "Export", f"papers.{suffix}")
        if name:
            self._write(
                lambda: Path(name).write_text(self.library.export(fmt, ids=ids), encoding="utf-8"),
                refresh=False,
            )

    def copy_bibtex(self) -> None:
        ids, library = self.selected_ids(), self.library
        if ids:
            self.runner.submit(
                lambda: library.export("bibtex", ids=ids),
                QGuiApplication.clipboard().setText,
                title="Copy BibTeX",
            )

    # -- appearance and settings ----------------------------------------------------------------

    def set_theme(self, theme: str) -> None:
        from reader.gui.theme import apply_theme

        apply_theme(theme, self.settings.value("font_size", 0, int))
        self.settings.setValue("theme", theme)

    def change_font(self, step: int) -> None:
        from reader.gui.theme import apply_theme, current_font_size

        size = max(7, min(24, current_font_size() + step))
        self.settings.setValue("font_size", size)
        apply_theme(self.settings.value("theme", "system", str), size)

    def save_search(self) -> None:
        if not self.query:
            QMessageBox.information(self, "Save search", "Type a search first.")
            return
        name, ok = QInputDialog.getText(self, "Save search", "Name:", text=self.query)
        if ok and name.strip():
            query = self.query
            self._write(lambda: self.library.save_search(name, query))

    def delete_saved_search(self) -> None:
        view = self.sidebar.currentIndex().data(VIEW_ROLE)
        if view is not None and view.kind == "saved":
            name = self.sidebar.currentIndex().data()
            self._write(lambda: self.library.delete_saved_search(name))

    def preferences(self) -> None:
        from reader.gui.theme import apply_theme
        from reader.gui.widgets.preferences import PreferencesDialog

        old_backups = self.library.backup_policy()
        dialog = PreferencesDialog(self, self.settings, self.library.folder, old_backups)
        if dialog.exec():
            dialog.save()
            apply_theme(dialog.chosen_theme(), dialog.font_size.value())
            backups = dialog.chosen_backups()
            if backups != old_backups:
                self._write(lambda: self.library.set_backup_policy(backups), refresh=False)

    def show_syntax(self) -> None:
        QMessageBox.information(self, "Search syntax", SYNTAX_HELP)

    def show_about(self) -> None:
        AboutDialog(self).exec()

    def _restore_settings(self) -> None:
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("splitter", self.splitter.restoreState),
            ("right_splitter", self.right_splitter.restoreState),
            ("columns", self.table.horizontalHeader().restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.detail.show_paper(None)  # flushes unsaved notes
        self.importer.cancel()
        self.importer.wait()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("right_splitter", self.right_splitter.saveState())
        self.settings.setValue("columns", self.table.horizontalHeader().saveState())
        if self.current_id is not None:
            self.settings.setValue("last_paper", self.current_id)
        self._poll.stop()
        self.runner.close()
        super().closeEvent(event)


def window_title(library_folder: Path, default_folder: Path) -> str:
    if library_folder.resolve() == default_folder.resolve():
        return "Paper Reader"
    return f"Paper Reader — {library_folder.name}"
