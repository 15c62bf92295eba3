"""Meaning vectors computed in the background by a child ``paper-reader embed`` process.

The dense model embeds ~15-20 abstracts/s, so a big import takes a while to get its vectors:
the window stays usable (related papers fall back to shared words meanwhile), the status
bar shows how far it got, and Cancel or quitting stops it with every finished batch kept —
the next start resumes where it stopped. The paper on screen is sent to the child, which
embeds it next (``core.related.wanted``) and says when its vector is committed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal

from reader.gui.controllers.child_task import ChildTask


class EmbedController(ChildTask):
    finished = Signal(bool)  # True when every paper got its vector (not cancelled, no error)
    embedded = Signal(list)  # papers asked for with ``want`` whose vectors are committed
    band_changed = Signal()  # enough vectors are committed to rank related papers otherwise

    WHAT = "Embedding"
    BAR_WIDTH = 120

    def start(self) -> None:
        if self.running:
            return
        self.label.setText("Meaning vectors: starting…")
        self._band: str | None = None  # the last progress line's band
        self.label.setToolTip("Related papers and meaning search improve as papers are embedded")
        self.run("embed", "--progress", "--wanted-stdin")

    def want(self, paper_id: int) -> None:
        """Have the running child embed this paper next (the one on screen)."""
        if self.process is not None and not self.cancelling:
            self.process.write(f"{paper_id}\n".encode())

    def on_progress(self, progress: dict[str, Any]) -> None:
        if "embedded" in progress:
            self.embedded.emit([int(i) for i in progress["embedded"]])
            return
        done, total = int(progress["done"]), int(progress["total"])
        band = progress.get("band")  # how related papers can be ranked (``coverage_band``)
        if self._band is not None and band != self._band:
            self.band_changed.emit()
        self._band = band
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.label.setText(f"Meaning vectors: {done:,} of {total:,} papers")

    def on_finished(self, exit_code: int, output: bytes) -> None:
        if exit_code != 0 and not self.cancelling:
            why = " ".join(self.other_stderr[-2:]) or f"exit code {exit_code}"
            self.window.statusBar().showMessage(f"Computing meaning vectors failed: {why}", 15_000)
        elif not self.cancelling:
            self.window.statusBar().showMessage(
                output.decode("utf-8", "replace").strip().capitalize(), 10_000
            )
        self.finished.emit(exit_code == 0 and not self.cancelling)

    def on_failed_to_start(self) -> None:
        self.window.statusBar().showMessage("Could not start computing meaning vectors", 15_000)
        self.finished.emit(False)
