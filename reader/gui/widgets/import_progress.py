"""Import in a child process: a status-bar progress bar with Cancel, then a summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal
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
from reader.core.model import RecordError, SourcePosition
from reader.gui.jobs import JobRunner

LIST_REFRESH_MS = 1500  # while importing, the list shows newly stored papers this often


def reader_command(*args: str) -> tuple[str, list[str]]:
    """How to run the ``paper-reader`` CLI as a child process, from a checkout or a bundle."""
    if getattr(sys, "frozen", False):  # PyInstaller: the app binary is the CLI too
        return sys.executable, list(args)
    return sys.executable, ["-m", "reader", *args]


class ImportController(QObject):
    """Runs imports in a child ``paper-reader import`` process.

    Parsing and Whoosh indexing are pure-Python work that would hold the GIL for long
    stretches; in another process they cannot stall the window. The child commits in
    batches, so the list shows new papers while it runs, and Cancel (SIGTERM) stops it
    between batches with the library consistent.
    """

    finished = Signal(object)  # ImportReport
    progressed = Signal()  # new papers were stored

    def __init__(self, window: QMainWindow, library: Library, runner: JobRunner) -> None:
        super().__init__(window)
        self.window, self.library = window, library
        del runner  # imports do not use the in-process job runner
        self.process: QProcess | None = None
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
        self._stderr_tail = b""
        self._other_stderr: list[str] = []
        self.last_report: ImportReport | None = None
        self.show_summary = True
        self.title = "Importing"

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, files: list[Path], title: str = "Importing") -> None:
        if self.running:
            self.label.setText("An import is already running")
            return
        self.title = title
        self.label.setText(f"{title}…")
        self.bar.setRange(0, 0)
        self.widget.setVisible(True)
        self._added_seen = self._added = 0
        self._stderr_tail = b""
        self._other_stderr = []
        process = self.process = QProcess(self)
        program, args = reader_command(
            "--library",
            str(self.library.folder),
            "import",
            "--json",
            "--progress",
            *[str(f) for f in files],
        )
        process.readyReadStandardError.connect(self._read_progress)
        process.finished.connect(self._done)
        process.errorOccurred.connect(self._failed)
        self._refresh.start()
        process.start(program, args)

    def cancel(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: the child stops after its current batch
            self.label.setText("Cancelling…")

    def wait(self, msecs: int = 60_000) -> None:
        if self.process is not None:
            self.process.waitForFinished(msecs)

    def _read_progress(self) -> None:
        assert self.process is not None
        self._stderr_tail += bytes(self.process.readAllStandardError().data())
        *lines, self._stderr_tail = self._stderr_tail.split(b"\n")
        for line in lines:
            try:
                data = json.loads(line)["progress"]
            except (ValueError, KeyError, TypeError):
                self._other_stderr.append(line.decode("utf-8", "replace"))
                continue
            self._progress(ImportProgress(**data))

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

    def _finish(self) -> bytes:
        process, self.process = self.process, None
        self._refresh.stop()
        self.widget.setVisible(False)
        out = bytes(process.readAllStandardOutput().data()) if process else b""
        if process:
            process.deleteLater()
        return out

    def _done(self, exit_code: int, _status: QProcess.ExitStatus) -> None:
        output = self._finish()
        try:
            report = report_from_json(json.loads(output))
        except ValueError:
            message = " ".join(self._other_stderr[-3:]) or f"the import exited with {exit_code}"
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

    def _failed(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._finish()
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
