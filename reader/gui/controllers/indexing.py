"""A search index repair in a child ``paper-reader check --repair`` process.

An unreadable index, or one far behind the store (a cancelled import, an index of an older
format), means re-indexing up to the whole library: Whoosh is CPU-bound Python that would
hold the GIL in the window's process for minutes. Searches fall back to simple matches
meanwhile, and the window says so; Cancel (or quitting) stops it after its current chunk,
and the next start finishes the job.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal

from reader.gui.controllers.child_task import ChildTask


class IndexController(ChildTask):
    finished = Signal(bool)  # True when the index agrees with the store

    WHAT = "Indexing"
    BAR_WIDTH = 120

    def start(self) -> None:
        if self.running:
            return
        self.label.setText("Search index: rebuilding…")
        self.run("check", "--repair", "--progress", "--json")

    def on_progress(self, progress: dict[str, Any]) -> None:
        self.label.setText(f"Search index: {int(progress['done']):,} papers indexed")

    def on_finished(self, exit_code: int, output: bytes) -> None:
        if exit_code not in (0, 1) and not self.cancelling:  # 1: repaired, not yet consistent
            why = " ".join(self.other_stderr[-2:]) or f"exit code {exit_code}"
            self.window.statusBar().showMessage(f"Rebuilding the search index failed: {why}")
        self.finished.emit(exit_code == 0 and not self.cancelling)

    def on_failed_to_start(self) -> None:
        self.window.statusBar().showMessage("Could not start rebuilding the search index")
        self.finished.emit(False)
