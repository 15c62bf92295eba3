"""Import in the background: a status-bar progress bar with Cancel, then a summary."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.library import ImportProgress, ImportReport, Library
from reader.gui.jobs import BULK, CancelToken, JobRunner

LIST_REFRESH_MS = 1500  # while importing, the list shows newly stored papers this often


class ImportController(QObject):
    finished = Signal(object)  # ImportReport
    progressed = Signal()  # new papers were stored

    def __init__(self, window: QMainWindow, library: Library, runner: JobRunner) -> None:
        super().__init__(window)
        self.window, self.library, self.runner = window, library, runner
        self.token: CancelToken | None = None
        self.widget = QWidget()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Import progress")
        self.bar.setFixedWidth(180)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel import")
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.widget.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self._refresh = QTimer(self, interval=LIST_REFRESH_MS)
        self._refresh.timeout.connect(self._maybe_refresh)
        self._added_seen = 0
        self._added = 0
        self.last_report: ImportReport | None = None
        self.show_summary = True

    @property
    def running(self) -> bool:
        return self.token is not None

    def start(self, files: list[Path], title: str = "Importing") -> None:
        if self.running:
            self.label.setText("An import is already running")
            return
        token = self.token = CancelToken()
        self.title = title
        self.label.setText(f"{title}…")
        self.bar.setRange(0, 0)
        self.widget.setVisible(True)
        self._added_seen = self._added = 0
        self._refresh.start()
        library = self.library

        def work(report_progress) -> ImportReport:  # type: ignore[no-untyped-def]
            return library.import_files(files, progress=report_progress, cancelled=token.cancelled)

        self.runner.submit(
            work,
            self._done,
            self._failed,
            on_progress=self._progress,
            priority=BULK,
            title="Import",
        )

    def cancel(self) -> None:
        if self.token:
            self.token.cancel()
            self.label.setText("Cancelling…")

    def _progress(self, p: ImportProgress) -> None:
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

    def _finish(self) -> None:
        self.token = None
        self._refresh.stop()
        self.widget.setVisible(False)

    def _done(self, report: ImportReport) -> None:
        self._finish()
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

    def _failed(self, error: Exception) -> None:
        self._finish()
        self.window.statusBar().showMessage(f"Import failed: {error}", 15_000)
        self.finished.emit(ImportReport(failed_files=[str(error)]))


class ImportSummary(QDialog):
    """Lists what was rejected, with file and line, so the user can fix the files."""

    def __init__(self, parent: QWidget, report: ImportReport) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import summary")
        self.resize(720, 400)
        counts = QLabel(
            f"<b>{report.added:,}</b> new papers, <b>{report.merged:,}</b> merged,"
            f" <b>{report.unchanged:,}</b> unchanged, <b>{report.rejected:,}</b> rejected."
        )
        details = QPlainTextEdit()
        details.setReadOnly(True)
        details.setAccessibleName("Rejected records")
        lines = [
            f"{'warning' if e.warning else 'error'}: {e.position.describe()}: {e.message}"
            for e in report.errors[:5000]
        ]
        if len(report.errors) > 5000:
            lines.append(f"… and {len(report.errors) - 5000:,} more")
        details.setPlainText("\n".join(lines))
        self.details = details
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(counts)
        layout.addWidget(details, 1)
        layout.addWidget(buttons)
