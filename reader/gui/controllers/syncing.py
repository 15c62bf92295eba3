"""Sync in a child ``paper-reader sync`` process (network waits and the merge never touch the
window's thread): on demand (File ▸ Sync now), at start and every few minutes once a remote
is set (Preferences ▸ Sync). The status bar keeps the last sync's time and the notes with
conflicting edits. The WebDAV password and the encryption passphrase reach the child through
its environment, never its arguments; they are kept for the session, and in the system
keyring where there is one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox
from shiboken6 import isValid

from reader.cli_online import EXIT_NEEDS_PASSPHRASE
from reader.core.library import Library
from reader.core.sync import credentials
from reader.core.sync.credentials import Secret
from reader.core.sync.remote import RemoteError, check_spec
from reader.gui.controllers.child_task import ChildTask, json_output
from reader.gui.controllers.fetching import failure_text
from reader.gui.widgets.sync_preferences import SyncChoice, SyncTab

Writer = Callable[..., None]  # MainWindow._write(fn, refresh=..., then=...)
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
        self._secrets: dict[Secret, str] = {}  # asked once a session when no keyring keeps them
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
        minutes = self.every_minutes()
        if self.remote() and minutes > 0:
            self.first.start(SYNC_ON_START_DELAY_MS)
            self.timer.start(minutes * 60_000)
        self.show_summary()

    def stop_schedule(self) -> None:
        self.first.stop()
        self.timer.stop()

    def probe(self, tab: SyncTab, remote: str, password: str, passphrase: str) -> None:
        """Test connection: ask the remote what it is, off the GUI thread (it goes online)."""
        runner = self.window.runner  # type: ignore[attr-defined]
        password = password or self.secret(Secret.PASSWORD) or ""
        passphrase = passphrase or self.secret(Secret.PASSPHRASE) or ""

        def answer(text: str, ok: bool) -> None:
            if isValid(tab):  # the dialog may have closed meanwhile
                tab.show_result(text, ok)

        runner.submit(
            lambda: self.library.probe_sync_remote(remote, password or None, passphrase or None),
            lambda text: answer(text, True),
            lambda error: answer(str(error) or type(error).__name__, False),
            channel="sync-probe",
            title="Testing the sync connection",
        )

    def every_minutes(self) -> int:
        return int(self.settings.value(SYNC_EVERY_KEY, SYNC_EVERY_DEFAULT))

    def secret(self, kind: Secret) -> str | None:
        remote = self.remote()
        return self._secrets.get(kind) or (credentials.lookup(remote, kind) if remote else None)

    def apply(self, choice: SyncChoice, old_remote: str | None, write: Writer) -> None:
        """Preferences ▸ Sync was accepted: keep its secrets and schedule; a new remote is
        written through ``write`` (the window's write lane), then synced with at once."""
        self.configure(choice)
        if (choice.remote or None) == old_remote:
            self.start_schedule()
            return
        try:
            check_spec(choice.remote)
        except RemoteError as e:
            QMessageBox.warning(self.window, "Sync", str(e))
            return
        write(
            lambda: self.library.set_sync_remote(choice.remote or None),
            refresh=False,
            then=(lambda: self.sync()) if choice.remote else self.summary.clear,
        )

    def configure(self, choice: SyncChoice) -> None:
        """Keep the choice's secrets (session, keyring) and schedule."""
        secrets = ((Secret.PASSWORD, choice.password), (Secret.PASSPHRASE, choice.passphrase))
        for kind, value in secrets:
            if value:
                self._secrets[kind] = value
                if choice.remote:
                    credentials.remember(choice.remote, value, kind)
        self.settings.setValue(SYNC_EVERY_KEY, choice.every_minutes)
        self.stop_schedule()

    def sync(self, quiet: bool = False) -> None:
        """Sync now; without a remote yet (and not ``quiet``), Preferences ▸ Sync opens."""
        if self.running:
            return
        remote = self.remote()
        if remote is None:
            if not quiet:
                self.window.preferences(tab="Sync")  # type: ignore[attr-defined]
            return
        needs_password = urlsplit(remote).username and not self.secret(Secret.PASSWORD)
        if needs_password and (quiet or not self._ask(Secret.PASSWORD, f"Password for {remote}:")):
            return
        environment = {
            kind.environment: value
            for kind in (Secret.PASSWORD, Secret.PASSPHRASE)
            if (value := self._secrets.get(kind))
        }
        self._quiet = quiet
        self.label.setText("Syncing…")
        self.run("sync", "--json", "--progress", environment=environment)

    def _ask(self, kind: Secret, prompt: str) -> bool:
        value, ok = QInputDialog.getText(self.window, "Sync", prompt, QLineEdit.EchoMode.Password)
        if not ok or not value:
            return False
        self._secrets[kind] = value
        credentials.remember(str(self.remote()), value, kind)
        return True

    def on_progress(self, progress: dict[str, Any]) -> None:
        # Files, not bytes: the bar stays busy and the label says which file is on its way.
        self.label.setText(f"Sync: {progress['text']}")

    def on_finished(self, exit_code: int, output: bytes) -> None:
        report = json_output(output)
        if report is None and exit_code == EXIT_NEEDS_PASSPHRASE and not self._quiet:
            problem = failure_text(exit_code, self.other_stderr, "the sync")
            self._secrets.pop(Secret.PASSPHRASE, None)  # it was wrong, if there was one
            if self._ask(Secret.PASSPHRASE, f"{problem}.\nPassphrase:"):
                self.sync()
                return
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
        """The status bar's "Synced 14:05 · 1 note with conflicting edits", read off the GUI
        thread (the conflict count reads every note version)."""
        self.window.runner.submit(  # type: ignore[attr-defined]
            self.library.sync_status, self._paint_summary, channel="sync-status"
        )

    def _paint_summary(self, status: dict[str, Any]) -> None:
        last = status["last_sync"]
        if not last:
            self.summary.setText("")
            return
        when = time.strftime("%H:%M", time.localtime(_epoch(str(last))))
        conflicts = int(status["conflicts"])
        text = f"Synced {when}"
        if conflicts:
            text += f" · {conflicts} {'note' if conflicts == 1 else 'notes'} with conflicting edits"
        self.summary.setText(text)
        self.summary.setToolTip(f"Last sync with {status['remote']} at {last} (UTC)")


def _epoch(iso: str) -> float:
    import calendar

    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))
