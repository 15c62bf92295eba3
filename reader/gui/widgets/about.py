"""Help ▸ About: the version, what the app is, and the licences of everything it carries."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
)

from reader.core.resources import resource

ICON = ("icons", "paper-reader.svg")


def app_icon() -> QIcon:
    return QIcon(str(resource(*ICON)))


class AboutDialog(QDialog):
    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        from reader import __version__  # read from the package metadata only when shown

        self.setWindowTitle("About Paper Reader")
        self.resize(640, 560)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(72, 72))
        heading = QLabel(
            f"<h2>Paper Reader {__version__}</h2>"
            "<p>An offline desktop reader for research papers.</p>"
        )
        heading.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addWidget(heading, 1)
        self.licences = QTextBrowser()
        self.licences.setAccessibleName("Licences")
        self.licences.setOpenExternalLinks(True)  # only the notice's own links, all https
        self.licences.setMarkdown(resource("licenses", "NOTICE.md").read_text(encoding="utf-8"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.licences, 1)
        layout.addWidget(buttons)
