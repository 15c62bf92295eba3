"""An import's summary: its counts, then each rejected record with its file and line."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from reader.core.library import ImportReport


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
