"""Sync in a child ``paper-reader sync`` process (network waits and the merge never touch the
window's thread): on demand (File ▸ Sync now), at start and every few minutes once a remote
is set. The status bar keeps the last sync's time and the notes with conflicting edits."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox

from reader.core.library import Library
from reader.core.sync import credentials
from reader.gui.controllers.child_task import ChildTask, json_output
from reader.gui.controllers.fetching import failure_text

SYNC_EVERY_KEY = "sync_every_minutes"  # 0: only on demand
SYNC_EVERY_DEFAULT = 15
SYNC_ON_START_DELAY_MS = 5000


class SyncController(ChildTask):
    finished = Signal(object)  # the report dict, or None when the sync failed

    WHAT = "Sync"

    def __init__(self, window: QMainWindow, library: Library, settings: QSettings) -> None:
        super().__init__(window, library)
        self.settings = settings
        self.summary = QLabel()  # "Synced 14:05 · 1 note with conflicting edits"
        self.summary.setAccessibleName("Last sync")
        self._password: str | None = None  # asked once a session when no keyring keeps it
        self._quiet = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(lambda: self.sync(quiet=True))
        # Owned by the controller (not a bare singleShot) so that closing the window stops it.
        self.first = QTimer(self)
        self.first.setSingleShot(True)
        self.first.timeout.connect(lambda: self.sync(quiet=True))
        self.last_error = ""

    def remote(self) -> str | None:
        return self.library.sync_remote()

    def start_schedule(self) -> None:
        """Sync shortly after start and every N minutes, when a remote is set."""
        minutes = int(self.settings.value(SYNC_EVERY_KEY, SYNC_EVERY_DEFAULT))
        if self.remote() and minutes > 0:
            self.first.start(SYNC_ON_START_DELAY_MS)
            self.timer.start(minutes * 60_000)
        self.show_summary()

    def stop_schedule(self) -> None:
        self.first.stop()
        self.timer.stop()

    def sync(self, quiet: bool = False) -> None:
        """Sync now; without a remote yet (and not ``quiet``), ask for one."""
        if self.running:
            return
        remote = self.remote()
        arguments = ["sync", "--json", "--progress"]
        if remote is None:
            if quiet:
                return
            remote, ok = QInputDialog.getText(
                self.window,
                "Sync",
                "Sync with a WebDAV address (https://user@server/folder) or a folder"
                " that Syncthing or Dropbox keeps in sync:",
            )
            if not ok or not remote.strip():
                return
            remote = remote.strip()
            arguments += ["--remote", remote]
        environment = {}
        if urlsplit(remote).username and not (self._password or credentials.password(remote)):
            if quiet:
                return
            password, ok = QInputDialog.getText(
                self.window, "Sync", f"Password for {remote}:", QLineEdit.EchoMode.Password
            )
            if not ok:
                return
            self._password = password
            credentials.remember(remote, password)
        if self._password:
            environment[credentials.ENVIRONMENT] = self._password
        self._quiet = quiet
        self.label.setText("Syncing…")
        self.run(*arguments, environment=environment)

    def on_progress(self, progress: dict[str, Any]) -> None:
        # Files, not bytes: the bar stays busy and the label says which file is on its way.
        self.label.setText(f"Sync: {progress['text']}")

    def on_finished(self, exit_code: int, output: bytes) -> None:
        report = json_output(output)
        if report is None:
            self.last_error = failure_text(exit_code, self.other_stderr, "the sync")
            self.summary.setText("Sync failed")
            self.summary.setToolTip(self.last_error)
            self.window.statusBar().showMessage(f"Sync failed: {self.last_error}", 20_000)
            if not self._quiet:
                QMessageBox.warning(self.window, "Sync failed", self.last_error)
        else:
            self.last_error = ""
            self.window.statusBar().showMessage(
                f"Synced: {report['received']:,} received, {report['sent']:,} sent", 10_000
            )
            self.show_summary()
            if not self.timer.isActive():
                self.start_schedule()
        self.finished.emit(report)

    def on_failed_to_start(self) -> None:
        self.last_error = "could not start the sync"
        self.finished.emit(None)

    def show_summary(self) -> None:
        status = self.library.sync_status()
        last = status["last_sync"]
        if not last:
            self.summary.setText("")
            return
        when = time.strftime("%H:%M", time.localtime(_epoch(str(last))))
        conflicts = int(status["conflicts"])  # type: ignore[call-overload]
        text = f"Synced {when}"
        if conflicts:
            text += f" · {conflicts} {'note' if conflicts == 1 else 'notes'} with conflicting edits"
        self.summary.setText(text)
        self.summary.setToolTip(f"Last sync with {status['remote']} at {last} (UTC)")


def _epoch(iso: str) -> float:
    import calendar

    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))
