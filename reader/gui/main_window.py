"""The main window: its panes and what they show, wired to the Library through the job runner.

Its menus and shortcuts are built by ``menus.Menus``; the search index's and the vectors'
upkeep is ``controllers/derived.py``'s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
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

from reader.core.derived import FALLBACK_BEHIND
from reader.core.library import ImportReport, Library, SearchResults
from reader.core.model import Paper
from reader.core.output import RefusedOutput, check_output
from reader.core.pdfs import PdfInfo
from reader.core.related.explain import Reason
from reader.core.search.query import shortened
from reader.core.searching import FALLBACK_NOTE
from reader.core.tags import InvalidTag, new_tag
from reader.core.views import SORT_COLUMNS, View
from reader.gui.controllers.derived import DerivedDataController
from reader.gui.controllers.embedding import EmbedController
from reader.gui.controllers.imports import ImportController
from reader.gui.controllers.indexing import IndexController
from reader.gui.jobs import JobRunner
from reader.gui.menus import Menus
from reader.gui.models.paper_table import (
    AUTHOR,
    COLUMNS,
    LISTED,
    MEANING_MARK,
    OPTIONAL,
    PUBLISHED,
    STAR,
    TAGS,
    TITLE,
    UPVOTES,
    PaperRowDelegate,
    PaperTableModel,
    PaperTableView,
)
from reader.gui.models.sidebar import VIEW_ROLE, SidebarModel
from reader.gui.online_actions import OnlineActions
from reader.gui.widgets.about import AboutDialog, app_icon
from reader.gui.widgets.detail import DetailPane
from reader.gui.widgets.reader_tabs import ReaderTabs
from reader.gui.widgets.related import RelatedPane
from reader.gui.widgets.search_bar import SYNTAX_HELP, SearchBar

SEARCH_LIMIT = 1000  # ranked hits shown for a query
FOR_YOU_LIMIT = 200  # unread papers "For you" lists, best first
POLL_MS = 2000  # how often the window looks for changes made by another process
# Related papers are looked up once the selection rests this long: holding J down would
# otherwise start a Python-heavy lookup per paper passed, each slowing the window's paints.
RELATED_DELAY_MS = 120
# The list's column widths and order, per column layout: Qt can crash restoring a header
# state saved with another number of columns (e.g. by an older or newer version).
COLUMNS_KEY = f"columns/{len(COLUMNS)}"


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
        self._seen_rev = library.revision()
        self.fulltext_hits: set[int] = set()  # the search's hits found only in their PDF text
        self.body_terms: frozenset[str] = frozenset()  # what the search matched in PDF text
        self._when_listed: list[Callable[[], None]] = []  # see after_list_lands
        self.views = library.open_views()  # read by jobs only, one connection per thread
        library.follow_limit = FALLBACK_BEHIND  # bigger changes are indexed by a child

        self.sidebar_model = SidebarModel()
        self.sidebar = QTreeView()
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setAccessibleName("Library sidebar")
        self.model = PaperTableModel(self.views, runner)
        self.table = self._make_table()
        self.detail = DetailPane()
        self.related = RelatedPane()
        self.search_bar = SearchBar()
        self.importer = ImportController(self, library)
        self.embedder = EmbedController(self, library)
        self.indexer = IndexController(self, library)
        self.derived = DerivedDataController(
            self, library, runner, settings, (self.importer, self.indexer, self.embedder)
        )
        self.online = OnlineActions(self)

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
        self.reader_tabs = ReaderTabs(self.splitter)
        self.setCentralWidget(self.reader_tabs)
        toolbar = QToolBar("Search")
        toolbar.setObjectName("searchToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(self.search_bar)
        self.addToolBar(toolbar)
        self.statusBar().addPermanentWidget(self.importer.widget)
        self.statusBar().addPermanentWidget(self.embedder.widget)
        self.statusBar().addPermanentWidget(self.indexer.widget)
        self.setAcceptDrops(True)
        self.resize(1380, 860)
        self.setWindowIcon(app_icon())  # dialogs inherit it
        self.menus = Menus(self)
        self._connect()
        self._restore_settings()
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._check_external_changes)
        self._poll.start()
        self._related_timer = QTimer(self, singleShot=True, interval=RELATED_DELAY_MS)
        self._related_timer.timeout.connect(lambda: self._load_related(self.current_id))

    # -- construction ------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = PaperTableView()
        table.setModel(self.model)
        table.setItemDelegate(PaperRowDelegate(self.model, table))
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
        # The header shows which columns are wholly selected; to find out, Qt asks the model
        # about every row, in Python: after Ctrl+A on 100k papers each header paint froze the
        # window 1-2 s. Rows are selected, never columns: the header gets a selection of its
        # own, always empty.
        header.setSelectionModel(QItemSelectionModel(self.model, header))
        header.setSortIndicatorShown(True)
        header.setSortIndicator(PUBLISHED, Qt.SortOrder.DescendingOrder)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (STAR, 34),
            (AUTHOR, 130),
            (PUBLISHED, 86),
            (LISTED, 86),
            (UPVOTES, 64),
            (TAGS, 90),
        ):
            table.setColumnWidth(column, width)
        return table

    def _connect(self) -> None:
        self.sidebar.selectionModel().currentChanged.connect(self._sidebar_changed)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.horizontalHeader().sectionClicked.connect(self._sort_clicked)
        self.table.verticalScrollBar().valueChanged.connect(self._list_scrolled)
        self.search_bar.query_changed.connect(self.run_search)
        self.search_bar.edit.leave.connect(self.focus_list)
        self.related.paper_chosen.connect(self.go_to_paper)
        self.detail.bookmark_toggled.connect(
            lambda i, v: self._write(lambda: self.library.set_bookmarked([i], v))
        )
        self.detail.read_toggled.connect(
            lambda i, v: self._write(lambda: self.library.set_read([i], v))
        )
        self.detail.tags_edited.connect(self._set_tags)
        self.detail.read_pdf.connect(self.online.read_pdf)
        self.reader_tabs.page_left.connect(
            lambda i, page: self._write(lambda: self.library.remember_pdf_page(i, page), False)
        )
        self.detail.notes_edited.connect(
            lambda i, text: self._write(lambda: self.library.set_notes(i, text), refresh=False)
        )
        self.importer.finished.connect(self._import_finished)
        self.importer.progressed.connect(self._import_progressed)
        self.derived.index_ready.connect(self._index_ready)
        self.derived.vectors_loaded.connect(self._vectors_loaded)

    # -- start-up --------------------------------------------------------------------------

    def start(self) -> None:
        """Fill the panes; once the list shows, import the bundled sample into an empty
        library, or else, once the first screen is painted, do the upkeep."""
        self.refresh_sidebar()
        self.refresh_list(select_id=self.settings.value("last_paper", None, int))
        self.after_list_lands(self._first_run_or_upkeep)
        self.after_list_lands(self.online.schedule_fetch_on_start)

    def _first_run_or_upkeep(self) -> None:
        if self.library.is_empty():
            from reader.core.resources import sample_library_files

            self.start_import(sample_library_files(), title="Importing the sample library")
        else:
            self.derived.schedule_upkeep()

    def after_list_lands(self, *work: Callable[[], None]) -> None:
        """Run ``work`` when the list next shows its papers (whichever listing or search
        shows them). Work the first screen does not need waits for it: each Python job
        running beside the GUI thread lengthens its waits for the GIL, and a first paint
        beside five of them stalled the window for 99 ms."""
        self._when_listed.extend(work)

    def _list_landed(self) -> None:
        work, self._when_listed = self._when_listed, []
        for fn in work:
            fn()

    def _index_ready(self) -> None:
        """The index caught up or was repaired: the current search runs on it again."""
        if self.query:
            self.run_search(self.query)

    def _vectors_loaded(self) -> None:
        """New meaning vectors were read: refresh the related papers and a meaning search."""
        self._load_related(self.current_id)
        if self.query and self.search_bar.chosen_mode() != "keyword":
            self.run_search(self.query)

    # -- list and sidebar --------------------------------------------------------------------

    def refresh_sidebar(self) -> None:
        views = self.views

        def load() -> tuple:
            days, tags = views.source_days(), views.tag_counts()
            return (views.counts(), days, tags, views.saved_searches()), views.filled_columns()

        def show(data: tuple) -> None:
            sidebar, filled = data
            current = self.view
            self.sidebar_model.populate(*sidebar)
            self.sidebar.expandToDepth(1)
            self._select_sidebar(current)
            self.detail.set_known_tags([name for name, _ in sidebar[2]])
            for column, name in OPTIONAL.items():
                self.table.setColumnHidden(column, name not in filled)

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
        self.menus.delete_search_action.setEnabled(view is not None and view.kind == "saved")
        if view is None:
            return
        if view.kind == "saved":  # a saved search runs over the whole library
            self.view = View(sort=self.view.sort, descending=self.view.descending)
            self.search_bar.edit.setText(view.value)
            return
        self.view = View(
            view.kind, view.value, view.listed_on, self.view.sort, self.view.descending
        )
        self._show_sort()
        if self.query:
            self.run_search(self.query)
        else:
            self.refresh_list()

    def _list_scrolled(self) -> None:
        table = self.table
        last = table.rowAt(table.viewport().height() - 1)
        self.model.forget_offscreen(table.rowAt(0), last if last >= 0 else self.model.rowCount())

    def _sort_clicked(self, column: int) -> None:
        key = COLUMNS[column][1]
        if key is not None and not self._ranked():  # search results stay in rank order
            descending = not (self.view.sort == key and self.view.descending)
            self.view = View(self.view.kind, self.view.value, self.view.listed_on, key, descending)
            self.refresh_list(select_id=self.current_id)
        self._show_sort()

    def _ranked(self) -> bool:
        """The list is in rank order (search results, "For you"), not sorted by a column."""
        return bool(self.query) or self.view.kind == "for_you"

    def _show_sort(self) -> None:
        """The header's arrow: the list's sort column, none for search results (by rank)."""
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(not self._ranked())
        column = next((c for c, (_, key) in enumerate(COLUMNS) if key == self.view.sort), -1)
        descending = self.view.descending
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(column, order)

    def refresh_list(self, select_id: int | None = None, keep_scroll: bool = False) -> None:
        """Load the view's ids and select ``select_id``.

        ``keep_scroll`` (papers came or went while the user reads): keep the paper shown when
        the ids arrive selected, and the top row where it is.
        """
        view, views, library = self.view, self.views, self.library

        def load() -> tuple[object, str]:
            if view.kind != "for_you":
                ids = views.ids(view)
                return ids, f"{len(ids):,} papers"
            ids = [p.id for p, _ in library.for_you(limit=FOR_YOU_LIMIT)]
            return ids, for_you_status(len(ids), views.counts()["bookmarked"])

        def show(found) -> None:  # type: ignore[no-untyped-def]
            ids, status = found
            top = self.model.id_at(self.table.rowAt(0)) if keep_scroll else None
            self.model.set_ids(ids)
            self.search_bar.set_status(status)
            self._reselect(self.current_id if keep_scroll else select_id, scroll=top is None)
            row = self.model.row_of(top) if top is not None else None
            if row is not None:
                self.table.scrollTo(
                    self.model.index(row, TITLE), QAbstractItemView.ScrollHint.PositionAtTop
                )
            self._list_landed()

        self.runner.submit(load, show, channel="list", title="Loading papers")

    def _reselect(self, paper_id: int | None, scroll: bool = True) -> None:
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
        if scroll:
            self.table.scrollTo(index)

    # -- search ------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_bar.edit.setFocus()
        self.search_bar.edit.selectAll()

    def focus_list(self) -> None:
        """Down or Escape in the search box: on to the list, at its current paper."""
        if not self.table.currentIndex().isValid():
            self._reselect(None)
        self.table.setFocus()

    def run_search(self, text: str) -> None:
        self.query = text
        self._show_sort()
        if not text:
            self.fulltext_hits = set()
            self._highlight(frozenset())
            self.refresh_list(select_id=self.current_id)
            return
        view, library = self.view, self.library
        post_filter = view.kind in ("source", "recent", "for_you", "offline")
        views = self.views
        mode = self.search_bar.chosen_mode()

        def search() -> tuple[SearchResults, set[int] | None, int, int]:
            vectors = library.vector_count() if mode != "keyword" else 0
            papers = views.counts()["all"] if mode != "keyword" else 0
            query, cut = shortened(text)
            results = library.search(
                query, limit=SEARCH_LIMIT, snippets=False, within=view, mode=mode
            )
            results.shortened = cut
            if view.kind == "for_you":
                allowed = {p.id for p, _ in library.for_you(limit=FOR_YOU_LIMIT)}
            else:
                allowed = set(views.ids(view)) if post_filter else None
            return results, allowed, vectors, papers

        def show(found: tuple[SearchResults, set[int] | None, int, int]) -> None:
            results, allowed, vectors, papers = found
            hits = [h for h in results.hits if allowed is None or h.paper.id in allowed]
            self.fulltext_hits = {h.paper.id for h in hits if h.in_fulltext}
            self.body_terms = results.body_terms
            self._highlight(results.terms)
            self.model.set_ids(
                [h.paper.id for h in hits],
                {h.paper.id: h.score for h in hits},
                {h.paper.id for h in hits if h.by_meaning},
            )
            self.search_bar.set_status(
                self._search_status(results, len(hits), mode, vectors, papers)
            )
            if results.fallback:  # the index is damaged or behind: repair it
                self.derived.rebuild()
            self._reselect(None)
            if uses_meaning(mode, results) and vectors < papers:
                self.derived.embed_missing()
            self._list_landed()

        self.search_bar.set_status(f"{mode} search…")
        self.runner.submit(search, show, channel="list", title="Search")

    def _search_status(
        self, results: SearchResults, shown: int, mode: str, vectors: int, papers: int
    ) -> str:
        """'hybrid · 42 results', with what the mode could not do (no vectors yet) and what
        was cut from a long query."""
        status = self._mode_status(results, shown, mode, vectors, papers)
        return f"a long query: {results.shortened} — {status}" if results.shortened else status

    def _mode_status(
        self, results: SearchResults, shown: int, mode: str, vectors: int, papers: int
    ) -> str:
        meaning = uses_meaning(mode, results)
        count = (
            f"{shown:,} results"
            if shown < SEARCH_LIMIT or meaning
            else f"top {shown:,} of about {results.total:,}"
        )
        if results.no_vectors:
            computing = "computing…" if self.derived.auto_embed() else "turn them on in Preferences"
            return (
                f"meaning search needs related-paper vectors: {computing}"
                f" — papers sharing its words · {count}"
            )
        by_meaning = sum(h.by_meaning for h in results.hits)
        if results.joined:
            count += f", {by_meaning:,} by meaning {MEANING_MARK}" if by_meaning else ""
            status = f"keyword + meaning · {count}"
        else:
            status = f"{'keyword' if mode == 'auto' else mode} · {count}"
        if meaning and vectors < papers:
            status += f" (meaning covers {vectors:,} of {papers:,} papers so far)"
        if results.fallback:
            return f"{FALLBACK_NOTE} — {status}"
        if results.corrected:
            return f"showing results for “{results.corrected}” — {status}"
        if results.degraded:
            return f"searched as plain words — {status}"
        return status

    def _highlight(self, terms: frozenset[str]) -> None:
        self.terms = terms
        self.detail.highlight(terms)

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
        self.reload_paper()
        self.load_related()

    def reload_paper(self) -> None:
        """Show the current paper as stored (again, after a change made to several papers)."""
        if self.current_id is None:
            return
        library, paper_id, terms = self.library, self.current_id, self.terms

        in_body, body_terms = paper_id in self.fulltext_hits, self.body_terms

        def load() -> tuple[Paper, PdfInfo | None, str]:
            snippet = library.fulltext_snippet(paper_id, body_terms) if in_body else ""
            return library.paper(paper_id), library.pdf_info(paper_id), snippet

        self.runner.submit(
            load,
            lambda found: self._paper_loaded(*found, terms),
            channel="paper",
            title="Loading a paper",
        )

    def load_related(self) -> None:
        """Show the current paper's related papers once the selection rests."""
        self.related.show_computing()
        self._related_timer.start()

    def _load_related(self, paper_id: int | None) -> None:
        if paper_id is None:
            return
        library = self.library

        def related() -> tuple[list[tuple[Paper, float]], bool, bool, dict[int, Reason]]:
            found = library.related(paper_id, limit=10)
            reasons = library.related_reasons(paper_id, [p.id for p, _ in found])
            dense = library.related_method(paper_id) != "lexical"
            return found, dense, library.has_vector(paper_id), reasons

        def show(found: tuple[list[tuple[Paper, float]], bool, bool, dict[int, Reason]]) -> None:
            related, dense, has_vector, reasons = found
            if not has_vector and self.embedder.running:
                self.embedder.want(paper_id)  # its vector in seconds, not in its turn
            self.related.show_related(
                related, dense, embedding=self.embedder.running, reasons=reasons
            )

        self.runner.submit(
            related,
            show,
            self.related.show_error,
            channel="related",
            title="Finding related papers",
        )

    def _paper_loaded(
        self, paper: Paper, pdf: PdfInfo | None, body_snippet: str, terms: frozenset[str]
    ) -> None:
        if paper.id == self.current_id:
            self.detail.show_paper(paper, terms, body_snippet)
            downloadable = bool(paper.arxiv_id or (paper.pdf_url or "").startswith("http"))
            self.detail.show_offline(paper.id, pdf, downloadable)

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
        """The selected papers in list order, else the paper shown. Read from the selection's
        row ranges: a wrapper per selected row took 1 s after Ctrl+A on 100k papers."""
        spans = [(r.top(), r.bottom()) for r in self.table.selectionModel().selection()]
        found = self.model.ids_in(spans)
        return found or ([self.current_id] if self.current_id is not None else [])

    # -- user state --------------------------------------------------------------------------

    def toggle_bookmark(self) -> None:
        self._toggle_selection(self.detail.bookmark, self.library.set_bookmarked)

    def toggle_read(self) -> None:
        self._toggle_selection(self.detail.read, self.library.set_read)

    def _toggle_selection(
        self, button: QAbstractButton, mark: Callable[[list[int], bool], object]
    ) -> None:
        """B or R: the paper shown flips, and the other selected papers take its new state."""
        paper = self.detail.paper
        if paper is None:
            return
        others = [i for i in self.selected_ids() if i != paper.id]
        button.toggle()  # the paper shown: the detail pane's own signal saves it
        if others:
            value = button.isChecked()
            self._write(lambda: mark(others, value))

    def tag_selection(self) -> None:
        """T: the tag editor for one paper; for several selected, a dialog adding tags."""
        ids = self.selected_ids()
        if len(ids) <= 1:
            self.detail.tags.setFocus()
            return
        text, ok = QInputDialog.getText(
            self, "Tag papers", f"Tags for the {len(ids):,} selected papers (comma-separated):"
        )
        tags = [t.strip() for t in text.split(",") if t.strip()]
        if ok and tags:
            self._write(lambda: self.library.add_tags(ids, tags), then=self.reload_paper)

    def _set_tags(self, paper_id: int, tags: list[str]) -> None:
        try:
            for tag in tags:
                new_tag(tag)
        except InvalidTag as e:
            QMessageBox.warning(self, "Tags not saved", f"{str(e)[:1].upper()}{str(e)[1:]}.")
            self.reload_paper()  # the tags as they are
            return

        def apply() -> None:
            old = self.library.paper(paper_id).tags
            removed = [t for t in old if t.lower() not in {n.lower() for n in tags}]
            if removed:
                self.library.remove_tags([paper_id], removed)
            self.library.add_tags([paper_id], tags)

        self._write(apply)

    def _write(
        self,
        fn: Callable[[], object],
        refresh: bool = True,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Run a change on the write lane; repaint the list and sidebar, then ``then``."""
        views = self.views

        def write() -> int:
            fn()
            return views.rev()

        def done(rev: int) -> None:
            self._seen_rev = rev
            if refresh:
                self.model.refresh_rows()
                self.refresh_sidebar()
            if self.library.index_deferred:  # many papers changed: a child indexes them
                self.derived.rebuild()
            if then is not None:
                then()

        self.runner.submit(write, done, title="Saving", lane="write")

    def _check_external_changes(self) -> None:
        """Pick up papers and state changed by the CLI or another window."""
        if self.importer.running:  # the import's own refreshes show its papers
            return

        def changed(rev: int) -> None:
            if rev != self._seen_rev and not self.importer.running:
                self._seen_rev = rev
                self.model.refresh_rows()
                self.refresh_sidebar()
                if not self.query:
                    self.refresh_list(keep_scroll=True)
                # The other process normally indexed its change itself; if it could not (the
                # index was busy), this window's index follows.
                self.derived.rebuild()

        self.runner.submit(self.views.rev, changed, channel="rev", title="Looking for changes")

    # -- import and export ---------------------------------------------------------------------

    def choose_import(self) -> None:
        patterns = "Paper files (*.txt *.json *.jsonl *.gz *.xml *.atom *.bib);;All files (*)"
        files, _ = QFileDialog.getOpenFileNames(self, "Import papers", "", patterns)
        if files:
            self.start_import([Path(f) for f in files])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            self.start_import(files)
            event.acceptProposedAction()

    def start_import(self, files: list[Path], title: str = "Importing") -> None:
        """Import in a child process; embedding pauses meanwhile and resumes after it."""
        self.embedder.cancel()
        self.importer.start(files, title=title)

    def _import_progressed(self) -> None:
        """New papers were stored: show them, unless the last refresh has not landed yet."""
        if self.runner.busy("list") or self.runner.busy("sidebar"):
            return  # refreshes slow down as the library grows, instead of piling up
        self.refresh_sidebar()
        if not self.query:
            self.refresh_list(keep_scroll=True)

    def _import_finished(self, report: ImportReport) -> None:
        self.runner.submit(
            self.views.rev, self._set_seen_rev, channel="rev", title="Looking for changes"
        )
        self.model.refresh_rows()  # merged papers' rows (kept while the import ran) changed
        self.refresh_sidebar()
        if self.query:
            self.run_search(self.query)
        else:
            self.refresh_list(keep_scroll=True)
        if self.current_id is not None:  # shown mid-import: its neighbours have just arrived
            self.after_list_lands(self.load_related)
        self.after_list_lands(self.derived.rebuild)  # a cancelled import leaves papers to index
        if not report.cancelled:
            self.after_list_lands(self.derived.embed_missing)

    def _set_seen_rev(self, rev: int) -> None:
        self._seen_rev = rev

    def export(self, fmt: str, whole_list: bool = False) -> None:
        ids = list(self.model.ids) if whole_list else self.selected_ids()
        if not ids:
            QMessageBox.information(self, "Export", "Select the papers to export first.")
            return
        suffix = "bib" if fmt == "bibtex" else "json"
        # the dialog has asked before replacing a file; the library folder is refused here
        name, _ = QFileDialog.getSaveFileName(self, "Export", f"papers.{suffix}")
        if not name:
            return
        try:
            target = check_output(Path(name), self.library.folder, overwrite=True)
        except RefusedOutput as e:
            QMessageBox.warning(self, "Export", f"Not exported: {e}.")
            return
        self._write(
            lambda: self.library.export_to_file(target, fmt, ids=ids, overwrite=True),
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
        self.menus.check_theme()

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

    def preferences(self, tab: str = "General") -> None:
        from reader.core.sync.credentials import Secret
        from reader.gui.theme import apply_theme
        from reader.gui.widgets.preferences import PreferencesDialog
        from reader.gui.widgets.sync_preferences import SyncTab

        old_backups = self.library.backup_policy()
        cap = round(self.library.pdf_cap_bytes() / 1024 / 1024)
        syncer = self.online.syncer
        old_remote = syncer.remote()
        sync = SyncTab(
            old_remote,
            syncer.every_minutes(),
            lambda *args: syncer.probe(sync, *args),
            (bool(syncer.secret(Secret.PASSWORD)), bool(syncer.secret(Secret.PASSPHRASE))),
        )
        dialog = PreferencesDialog(
            self, self.settings, self.library.folder, old_backups, cap, sync, tab
        )
        if dialog.exec():
            dialog.save()
            syncer.apply(sync.choice(), old_remote, self._write)
            if dialog.pdf_cap.value() != cap:
                chosen = dialog.pdf_cap.value()
                self._write(lambda: self.library.set_pdf_cap_mb(chosen), refresh=False)
            apply_theme(dialog.chosen_theme(), dialog.font_size.value())
            self.menus.check_theme()
            backups = dialog.chosen_backups()
            if backups != old_backups:
                self._write(lambda: self.library.set_backup_policy(backups), refresh=False)
            if self.derived.auto_embed():
                self.derived.embed_missing()
            else:
                self.embedder.cancel()

    def show_syntax(self) -> None:
        QMessageBox.information(self, "Search syntax", SYNTAX_HELP)

    def show_about(self) -> None:
        AboutDialog(self).exec()

    def _restore_settings(self) -> None:
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("splitter", self.splitter.restoreState),
            ("right_splitter", self.right_splitter.restoreState),
            (COLUMNS_KEY, self.table.horizontalHeader().restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        sort = self.settings.value("sort", "published")
        if sort in SORT_COLUMNS:  # the list opens in the order it was left in
            self.view = View(sort=sort, descending=self.settings.value("descending", True, bool))
        self._show_sort()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.detail.show_paper(None)  # flushes unsaved notes
        self.reader_tabs.close_all()  # each reader's last page is saved as it turns
        self.online.close()
        for task in (self.importer, self.embedder, self.indexer):
            task.cancel()
        for task in (self.importer, self.embedder, self.indexer):
            task.wait()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("right_splitter", self.right_splitter.saveState())
        self.settings.setValue(COLUMNS_KEY, self.table.horizontalHeader().saveState())
        self.settings.setValue("sort", self.view.sort)
        self.settings.setValue("descending", self.view.descending)
        if self.current_id is not None:
            self.settings.setValue("last_paper", self.current_id)
        for timer in (self._poll, self._related_timer, self.derived.upkeep_timer):
            timer.stop()  # nothing starts on a closed library
        self.runner.close()
        self.views.close()
        super().closeEvent(event)


def window_title(library_folder: Path, default_folder: Path) -> str:
    if library_folder.resolve() == default_folder.resolve():
        return "Paper Reader"
    return f"Paper Reader — {library_folder.name}"


def uses_meaning(mode: str, results: SearchResults) -> bool:
    """Whether the search ran (or wanted to run) meaning search."""
    return mode in ("meaning", "hybrid") or results.joined


def for_you_status(found: int, bookmarked: int) -> str:
    if found:
        return f"{found:,} unread papers like your bookmarks, best first"
    if not bookmarked:
        return "Bookmark papers you like to see unread papers like them here"
    return "No unread papers like your bookmarks yet (related papers may still be computing)"
