"""Preferences ▸ Sync: where the library syncs, the WebDAV password, the encryption
passphrase, how often, and a Test connection that asks the remote without changing it.

The tab only collects values; testing runs through the ``tester`` it is given (a job off the
GUI thread: it goes online) and comes back through ``show_result``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

# remote, password, passphrase: the tester answers through SyncTab.show_result
Tester = Callable[[str, str, str], None]


@dataclass(frozen=True)
class SyncChoice:
    remote: str  # "" when sync is off
    password: str  # "" keeps the one already known
    passphrase: str  # "" keeps the one already known (or none)
    every_minutes: int  # 0: only on Sync now


class SyncTab(QWidget):
    def __init__(
        self,
        remote: str | None,
        every_minutes: int,
        tester: Tester,
        known: tuple[bool, bool] = (False, False),  # a password / passphrase is kept already
    ) -> None:
        super().__init__()
        self._tester = tester
        self.remote = QLineEdit(remote or "")
        self.remote.setPlaceholderText(
            "https://user@cloud.example.org/remote.php/dav/files/user/papers"
        )
        self.remote.setAccessibleName("Sync remote")
        self.remote.setMinimumWidth(self.remote.fontMetrics().averageCharWidth() * 60)
        self.remote.setToolTip(
            "A WebDAV address (Nextcloud, ownCloud, a NAS) or a folder that Syncthing, Dropbox"
            " or a network drive keeps in sync; empty: no sync"
        )
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.remote, 1)
        row.addWidget(browse)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("WebDAV password")
        self.password.setPlaceholderText("kept" if known[0] else "for an address with a user name")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Encryption passphrase")
        self.passphrase.setPlaceholderText("kept" if known[1] else "none: files are not encrypted")
        self.passphrase.setToolTip(
            "Encrypts a new remote end to end: the server sees only sealed files. Every machine"
            " needs the same passphrase; without it the papers cannot be read back."
        )
        self.every = QSpinBox()
        self.every.setRange(0, 24 * 60)
        self.every.setSingleStep(5)
        self.every.setSuffix(" min")
        self.every.setSpecialValueText("only on Sync now")
        self.every.setValue(every_minutes)
        self.every.setAccessibleName("Sync every")
        self.test = QPushButton("Test connection")
        self.test.clicked.connect(self._test)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Connection test result")
        form = QFormLayout(self)
        form.addRow("Sync with:", row)
        form.addRow("Password:", self.password)
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Sync every:", self.every)
        form.addRow(self.test, self.result)
        self.remote.textChanged.connect(self._update)
        self._update()

    def choice(self) -> SyncChoice:
        return SyncChoice(
            self.remote.text().strip(),
            self.password.text(),
            self.passphrase.text(),
            self.every.value(),
        )

    def show_result(self, text: str, ok: bool) -> None:
        self.test.setEnabled(True)
        self.result.setText(("✓ " if ok else "✗ ") + text[:1].upper() + text[1:])
        self.result.setProperty("error", not ok)

    def _update(self) -> None:
        remote = self.remote.text().strip()
        self.test.setEnabled(bool(remote))
        self.password.setEnabled(bool(urlsplit(remote).username))
        self.result.clear()

    def _test(self) -> None:
        choice = self.choice()
        self.test.setEnabled(False)
        self.result.setText("Testing…")
        self._tester(choice.remote, choice.password, choice.passphrase)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Sync folder", self.remote.text())
        if folder:
            self.remote.setText(folder)
