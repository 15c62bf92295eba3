"""Fetching and PDF downloads in child ``paper-reader`` processes, in the status bar with
Cancel: network waits and imports never touch the window's thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox

from reader.core.library import Library
from reader.gui.controllers.child_task import ChildTask, json_output

LIST_REFRESH_MS = 1500  # while fetching, the list shows newly stored papers this often


def failure_text(exit_code: int, stderr: list[str], what: str) -> str:
    """The child's own one-line reason (``paper-reader: error: …``), else its exit code."""
    for line in reversed(stderr):
        if line.startswith("paper-reader: error: "):
            return line.removeprefix("paper-reader: error: ")
    return " ".join(stderr[-2:]) or f"{what} exited with {exit_code}"


class FetchController(ChildTask):
    """``paper-reader fetch …``: new papers land in the list as each response is stored."""

    finished = Signal(object)  # the summary dict, or None when it failed outright
    progressed = Signal()  # new papers were stored

    WHAT = "Fetch"

    def __init__(self, window: QMainWindow, library: Library) -> None:
        super().__init__(window, library)
        self._refresh = QTimer(self, interval=LIST_REFRESH_MS)
        self._refresh.timeout.connect(self._maybe_refresh)
        self._added = self._added_seen = 0
        self.quiet = False  # a fetch at start-up: no dialog if the machine is offline
        self.last_summary: dict[str, Any] | None = None
        self.last_error = ""

    def start(self, arguments: list[str], quiet: bool = False) -> None:
        if self.running:
            self.window.statusBar().showMessage("A fetch is already running", 5000)
            return
        self.quiet = quiet
        self._added = self._added_seen = 0
        self.label.setText("Fetching…")
        self._refresh.start()
        self.run(*arguments, "--json", "--progress")

    def on_progress(self, progress: dict[str, Any]) -> None:
        self._added = progress["added"]
        done, total = progress["done"], progress["total"]
        if progress["stage"] == "indexing":
            self.bar.setRange(0, 0)
            self.label.setText(f"Indexing {self._added:,} new papers for search")
            return
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        of = f" {done:,} of {total:,}" if total else ""
        self.label.setText(f"{progress['service']}:{of} — {self._added:,} new papers")

    def _maybe_refresh(self) -> None:
        if self._added != self._added_seen:
            self._added_seen = self._added
            self.progressed.emit()

    def on_finished(self, exit_code: int, output: bytes) -> None:
        self._refresh.stop()
        summary = json_output(output)
        self.last_summary = summary
        if summary is None:
            self.last_error = failure_text(exit_code, self.other_stderr, "the fetch")
            self.window.statusBar().showMessage(f"Fetch failed: {self.last_error}", 20_000)
            if not self.quiet:
                QMessageBox.warning(self.window, "Fetch failed", self.last_error)
        else:
            self.last_error = self.problems(summary)
            self.window.statusBar().showMessage(self.status_text(summary), 20_000)
        self.finished.emit(summary)

    def status_text(self, summary: dict[str, Any]) -> str:
        return fetch_status(summary)

    def problems(self, summary: dict[str, Any]) -> str:
        return "; ".join(summary.get("failed", []))

    def on_failed_to_start(self) -> None:
        self._refresh.stop()
        self.last_error = "could not start the fetch"
        self.window.statusBar().showMessage(f"Fetch failed: {self.last_error}")
        self.finished.emit(None)


def fetch_status(summary: dict[str, Any]) -> str:
    text = (
        f"Fetched: {summary['added']:,} new, {summary['merged']:,} updated,"
        f" {summary['unchanged']:,} already here"
    )
    if summary.get("cancelled"):
        text += " (cancelled)"
    if summary.get("failed"):
        text += f" — {len(summary['failed'])} failed: {summary['failed'][0]}"
    return text


class EnrichController(FetchController):
    """``paper-reader enrich …``: papers without authors or an arXiv id looked up by title."""

    WHAT = "arXiv look-up"

    def status_text(self, summary: dict[str, Any]) -> str:
        text = (
            f"Looked up on arXiv: {summary['resolved']:,} completed,"
            f" {summary['ambiguous']:,} ambiguous (left alone), {summary['not_found']:,} not found"
        )
        if summary.get("merged"):
            text += f", {summary['merged']:,} merged with a paper already here"
        if summary.get("cancelled"):
            text += " (cancelled)"
        return text + (f" — {summary['unreachable']}" if summary.get("unreachable") else "")

    def problems(self, summary: dict[str, Any]) -> str:
        return summary.get("unreachable") or ""


class PdfDownloadController(ChildTask):
    """``paper-reader offline …`` (a tag, the bookmarks) or ``pdf ID --download``: PDFs for
    reading offline, one after another."""

    finished = Signal(object)  # the report dict, or None when it failed outright
    WHAT = "PDF download"

    def __init__(self, window: QMainWindow, library: Library) -> None:
        super().__init__(window, library)
        self.last_error = ""

    def start(self, arguments: list[str], title: str) -> None:
        if self.running:
            self.window.statusBar().showMessage("PDFs are already being downloaded", 5000)
            return
        self.label.setText(f"{title}…")
        self.run(*arguments, "--progress", "--json")

    def on_progress(self, progress: dict[str, Any]) -> None:
        self.bar.setRange(0, max(1, progress["total"]))
        self.bar.setValue(progress["done"])
        self.label.setText(
            f"PDFs: {progress['done']:,} of {progress['total']:,}, {progress['added']:,} downloaded"
        )

    def on_finished(self, exit_code: int, output: bytes) -> None:
        report = json_output(output)
        if report is None:
            self.last_error = failure_text(exit_code, self.other_stderr, "the download")
            self.window.statusBar().showMessage(f"Download failed: {self.last_error}", 20_000)
        else:
            failed = report["failed"]
            self.last_error = "; ".join(f"paper {f['id']}: {f['message']}" for f in failed)
            text = (
                f"Available offline: {report['downloaded']:,} downloaded,"
                f" {report['already']:,} already here"
            )
            if report["no_source"]:
                text += f", {report['no_source']:,} without a PDF link"
            if failed:
                text += f" — {len(failed)} failed: {self.last_error}"
            self.window.statusBar().showMessage(text, 20_000)
        self.finished.emit(report)

    def on_failed_to_start(self) -> None:
        self.last_error = "could not start the download"
        self.finished.emit(None)
