"""Import in a child process: a status-bar progress bar with Cancel, then a summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from reader.core.library import ImportProgress, ImportReport, Library
from reader.core.model import RecordError, SourcePosition
from reader.gui.controllers.child_task import ChildTask
from reader.gui.widgets.import_summary import ImportSummary

LIST_REFRESH_MS = 1500  # while importing, the list shows newly stored papers this often


class ImportController(ChildTask):
    """Runs imports in a child ``paper-reader import`` process.

    The child commits in batches, so the list shows new papers while it runs, and Cancel
    stops it between batches with the library consistent.
    """

    finished = Signal(object)  # ImportReport
    progressed = Signal()  # new papers were stored

    WHAT = "Import"

    def __init__(self, window: QMainWindow, library: Library) -> None:
        super().__init__(window, library)
        self._refresh = QTimer(self, interval=LIST_REFRESH_MS)
        self._refresh.timeout.connect(self._maybe_refresh)
        self._added_seen = 0
        self._added = 0
        self.last_report: ImportReport | None = None
        self.show_summary = True
        self.title = "Importing"

    def start(self, files: list[Path], title: str = "Importing") -> None:
        if self.running:
            self.label.setText("An import is already running")
            return
        self.title = title
        self.label.setText(f"{title}…")
        self._added_seen = self._added = 0
        self._refresh.start()
        self.run(
            "import",
            "--json",
            "--progress",
            *[str(f) for f in files],
        )

    def on_progress(self, progress: dict[str, Any]) -> None:
        p = ImportProgress(**progress)
        self._added = p.added
        if p.stage == "indexing":
            self.bar.setRange(0, 0)
            self.label.setText(f"Indexing for search: {p.records:,} papers")
            return
        self.bar.setRange(0, p.file_count * 100)
        self.bar.setValue((p.file_number - 1) * 100 + 50)
        self.label.setText(
            f"{self.title}: file {p.file_number} of {p.file_count} — {p.records:,} records,"
            f" {p.added:,} new papers"
        )

    def _maybe_refresh(self) -> None:
        if self._added != self._added_seen:
            self._added_seen = self._added
            self.progressed.emit()

    def on_finished(self, exit_code: int, output: bytes) -> None:
        self._refresh.stop()
        try:
            report = report_from_json(json.loads(output))
        except ValueError:
            message = " ".join(self.other_stderr[-3:]) or f"the import exited with {exit_code}"
            report = ImportReport(failed_files=[message])
            report.errors.append(RecordError(message, SourcePosition("import"), fatal=True))
        self.last_report = report
        self.window.statusBar().showMessage(
            f"Imported: {report.added:,} new, {report.merged:,} merged, "
            f"{report.unchanged:,} unchanged, {report.rejected:,} rejected"
            + (" (cancelled)" if report.cancelled else ""),
            15_000,
        )
        if report.errors and self.show_summary:
            ImportSummary(self.window, report).open()
        self.finished.emit(report)

    def on_failed_to_start(self) -> None:
        self._refresh.stop()
        self.window.statusBar().showMessage("Import failed: could not start the importer")
        self.finished.emit(ImportReport(failed_files=["could not start the importer"]))


def report_from_json(data: dict) -> ImportReport:  # type: ignore[type-arg]
    errors = [
        RecordError(
            e["message"],
            SourcePosition(e["file"], e.get("line"), e.get("record")),
            warning=bool(e.get("warning")),
        )
        for e in data.get("errors", [])
    ]
    return ImportReport(
        added=data["added"],
        merged=data["merged"],
        unchanged=data["unchanged"],
        rejected=data["rejected"],
        errors=errors,
        failed_files=data.get("failed_files", []),
        cancelled=bool(data.get("cancelled")),
    )
