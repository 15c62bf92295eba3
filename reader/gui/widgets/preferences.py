"""Preferences: library location (used from the next start), theme, text size, background
embedding, and the library's automatic backup schedule (stored in the library, shared with
the CLI)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from reader.core.backup import BackupPolicy

THEMES = ("system", "light", "dark")


class PreferencesDialog(QDialog):
    def __init__(
        self,
        parent: QWidget,
        settings: QSettings,
        current_library: Path,
        backups: BackupPolicy | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.library = QLineEdit(settings.value("library_folder", str(current_library), str))
        self.library.setAccessibleName("Library folder")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(browse)
        self.theme = QComboBox()
        self.theme.addItems([t.title() for t in THEMES])
        self.theme.setCurrentIndex(THEMES.index(settings.value("theme", "system", str)))
        self.theme.setAccessibleName("Theme")
        self.font_size = QSpinBox()
        self.font_size.setRange(7, 24)
        self.font_size.setSuffix(" pt")
        self.font_size.setValue(settings.value("font_size", 0, int) or self.font().pointSize())
        self.font_size.setAccessibleName("Text size")
        policy = backups or BackupPolicy()
        self.backup_hours = QSpinBox()
        self.backup_hours.setRange(0, 24 * 30)
        self.backup_hours.setSuffix(" h")
        self.backup_hours.setSpecialValueText("off")
        self.backup_hours.setValue(round(policy.every_hours))
        self.backup_hours.setAccessibleName("Automatic backup every")
        self.backup_keep = QSpinBox()
        self.backup_keep.setRange(1, 100)
        self.backup_keep.setValue(policy.keep)
        self.backup_keep.setAccessibleName("Backups kept")
        self.auto_embed = QCheckBox("Compute meaning vectors in the background")
        self.auto_embed.setToolTip(
            "For related papers and meaning search; uses one core for a while after an import"
        )
        self.auto_embed.setChecked(settings.value("auto_embed", True, bool))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Library folder (used from the next start):", row)
        form.addRow("Theme:", self.theme)
        form.addRow("Text size:", self.font_size)
        form.addRow("Back up the library every:", self.backup_hours)
        form.addRow("Automatic backups kept:", self.backup_keep)
        form.addRow(self.auto_embed)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Library folder", self.library.text())
        if folder:
            self.library.setText(folder)

    def chosen_theme(self) -> str:
        return THEMES[self.theme.currentIndex()]

    def chosen_backups(self) -> BackupPolicy:
        return BackupPolicy(float(self.backup_hours.value()), self.backup_keep.value())

    def save(self) -> None:
        self.settings.setValue("library_folder", self.library.text().strip())
        self.settings.setValue("theme", self.chosen_theme())
        self.settings.setValue("font_size", self.font_size.value())
        self.settings.setValue("auto_embed", self.auto_embed.isChecked())
