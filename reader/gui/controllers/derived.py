"""The derived data's upkeep: the search index caught up or repaired, vectors computed, backups."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from reader.core.library import Library
from reader.gui.controllers.embedding import EmbedController
from reader.gui.controllers.imports import ImportController
from reader.gui.controllers.indexing import IndexController
from reader.gui.jobs import BULK, JobRunner

# The upkeep of an opened library starts this long after its list landed: its index checks
# hold the GIL for hundreds of ms, and beside the first screen's paints (rows, the paper, its
# related papers) they stalled the window 367 ms. Cold start to first paint is 0.5-0.6 s.
UPKEEP_DELAY_MS = 1000
REBUILDING_MESSAGE = "Rebuilding the search index — searches show simple matches meanwhile"


class DerivedDataController(QObject):
    """Brings the index and the vectors up to date with the store, one run of each at a time,
    never beside an import (whose child indexes what it stores; its end asks again).

    Asked while a run is under way, the index runs once more when it ends, and the vectors
    are asked for again once the last run's vectors have been read.
    """

    index_ready = Signal()  # the index caught up (or was repaired): searches use it again
    vectors_loaded = Signal()  # the embedding child's vectors were read

    def __init__(
        self,
        window: QMainWindow,
        library: Library,
        runner: JobRunner,
        settings: QSettings,
        tasks: tuple[ImportController, IndexController, EmbedController],
    ) -> None:
        super().__init__(window)
        self.window, self.library, self.runner, self.settings = window, library, runner, settings
        self.importer, self.indexer, self.embedder = tasks
        self.rebuilding = False  # a background index repair / catch-up is running
        self._rebuild_again = False  # asked for meanwhile: run once more when it ends
        self._reloading_vectors = False
        self._embed_after_reload = False  # embed_missing() was called during a reload
        self.upkeep_timer = QTimer(self, singleShot=True, interval=UPKEEP_DELAY_MS)
        self.upkeep_timer.timeout.connect(self._upkeep)
        self.indexer.finished.connect(self._rebuilt)
        self.embedder.finished.connect(self._vectors_landed)
        self.embedder.embedded.connect(self._read_committed_vectors)
        self.embedder.band_changed.connect(self._read_committed_vectors)

    def schedule_upkeep(self) -> None:
        """Do the upkeep of an opened library in a while (``UPKEEP_DELAY_MS``)."""
        self.upkeep_timer.start()

    def _upkeep(self) -> None:
        """Catch the index up with changes it missed (or rebuild damaged derived data),
        compute missing vectors, and take the scheduled backup."""
        self.rebuild()
        self.embed_missing()
        # its own connection and the online backup API: no need to hold up the user's writes
        self.runner.submit(self.library.backup_if_due, priority=BULK, title="Backing up")

    # -- the search index ----------------------------------------------------------------------

    def rebuild(self) -> None:
        """Bring the index up to date in the background; searches meanwhile fall back to
        simple matches (labelled), and ``index_ready`` is emitted when it is done.

        A small lag is caught up here; a repair (an unreadable index, one far behind) runs
        in a child process (``IndexController``). Not while an import runs: its child
        indexes what it stores, and its end calls this again. (Seeing the store far ahead of
        the index mid-import, the window used to re-index the import's papers itself.)"""
        if self.importer.running:
            return
        if self.rebuilding:  # one is under way; it may miss what changed since: go again
            self._rebuild_again = True
            return
        self.rebuilding, self._rebuild_again = True, False
        library, bar = self.library, self.window.statusBar()

        def announce(status: str) -> None:
            if status != "ready" and self.rebuilding:
                bar.showMessage(REBUILDING_MESSAGE)

        self.runner.submit(library.index_status, announce, title="Checking the search index")

        def import_started() -> bool:  # then leave indexing to the import (if not yet done)
            return self.importer.running or library.import_running()

        def catch_up() -> bool:
            return False if import_started() else library.catch_up_derived(import_started)

        def decided(repair: bool) -> None:
            if repair and not self.importer.running:
                self.indexer.start()  # its end calls _rebuilt
            else:
                self._rebuilt()

        def failed(error: Exception) -> None:
            self.rebuilding = False
            bar.showMessage(f"Rebuilding the search index failed: {error}", 15_000)

        self.runner.submit(catch_up, decided, failed, priority=BULK, title="Indexing", lane="write")

    def _rebuilt(self, _repaired: bool = True) -> None:
        self.rebuilding = False
        self.library.reread_index()  # a repair child rewrote the files
        bar = self.window.statusBar()
        if bar.currentMessage() == REBUILDING_MESSAGE:
            bar.clearMessage()
        self.index_ready.emit()
        if self._rebuild_again and not self.indexer.cancelling:
            self.rebuild()

    # -- meaning vectors -----------------------------------------------------------------------

    def auto_embed(self) -> bool:
        """Whether missing meaning vectors are computed in the background (Preferences)."""
        return bool(self.settings.value("auto_embed", True, bool))

    def embed_missing(self) -> None:
        """Compute missing meaning vectors in a child process, unless an import is running."""
        if self._reloading_vectors:  # asked again once the last run's vectors are read
            self._embed_after_reload = True
            return
        if not self.auto_embed() or self.embedder.running or self.importer.running:
            return
        library = self.library

        def needed() -> bool:
            # Opens the vector store here, before the child starts appending to it.
            return library.needs_embedding()

        def start(needed: bool) -> None:
            if needed and not self.importer.running:
                self.embedder.start()

        self.runner.submit(needed, start, channel="embed", priority=BULK, title="Checking vectors")

    def _read_committed_vectors(self, _ids: list[int] | None = None) -> None:
        """Papers asked for got their vectors, or enough vectors are committed to rank
        related papers otherwise, while the child goes on: read what it has committed so
        far (nothing is cut or repaired beside it), then say so."""
        if self._reloading_vectors:  # the child's end is being read: that has them
            return
        library = self.library

        def reload() -> None:
            library.reload_vectors(embedding=True)

        self.runner.submit(reload, lambda _: self.vectors_loaded.emit(), title="Loading vectors")

    def _vectors_landed(self, _complete: bool) -> None:
        """Read the vectors the child wrote, then say so (what they improve is refreshed)."""
        self._reloading_vectors = True

        def refresh(_: object) -> None:
            self._reloading_vectors = False
            if self._embed_after_reload:
                self._embed_after_reload = False
                self.embed_missing()
            self.vectors_loaded.emit()

        self.runner.submit(self.library.reload_vectors, refresh, title="Loading vectors")
