"""Preferences, in tabs: General (library location, used from the next start; theme, text
size, background embedding, the library's automatic backups, stored in the library and shared
with the CLI), Online (fetching at start, the offline PDFs' space) and Sync (its own module)."""

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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reader.core.backup import BackupPolicy
from reader.core.pdfs import DEFAULT_CAP_MB
from reader.gui.widgets.sync_preferences import SyncTab

THEMES = ("system", "light", "dark")
FETCH_ON_START_KEY = "fetch_on_start"  # off by default: nothing goes online unasked
FETCH_SOURCES_KEY = "fetch_on_start_categories"  # arXiv categories fetched too, "cs.CL cs.LG"


class PreferencesDialog(QDialog):
    def __init__(
        self,
        parent: QWidget,
        settings: QSettings,
        current_library: Path,
        backups: BackupPolicy | None = None,
        pdf_cap_mb: int = DEFAULT_CAP_MB,
        sync: SyncTab | None = None,
        tab: str = "General",
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
        self.fetch_on_start = QCheckBox("Fetch new Daily Papers when the app starts (goes online)")
        self.fetch_on_start.setChecked(settings.value(FETCH_ON_START_KEY, False, bool))
        self.fetch_categories = QLineEdit(settings.value(FETCH_SOURCES_KEY, "", str))
        self.fetch_categories.setPlaceholderText("and these arXiv categories, e.g. cs.CL cs.LG")
        self.fetch_categories.setAccessibleName("arXiv categories fetched at start")
        self.pdf_cap = QSpinBox()
        self.pdf_cap.setRange(100, 1_000_000)
        self.pdf_cap.setSingleStep(500)
        self.pdf_cap.setSuffix(" MB")
        self.pdf_cap.setValue(pdf_cap_mb)
        self.pdf_cap.setAccessibleName("Offline PDFs take at most")
        self.pdf_cap.setToolTip(
            "Beyond this, the least recently read PDFs go first; a tag or the bookmarks made"
            " available offline are never evicted"
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        general, online = QFormLayout(), QFormLayout()
        general.addRow("Library folder (used from the next start):", row)
        general.addRow("Theme:", self.theme)
        general.addRow("Text size:", self.font_size)
        general.addRow("Back up the library every:", self.backup_hours)
        general.addRow("Automatic backups kept:", self.backup_keep)
        general.addRow(self.auto_embed)
        online.addRow(self.fetch_on_start)
        online.addRow("", self.fetch_categories)
        online.addRow("Offline PDFs take at most:", self.pdf_cap)
        self.tabs = QTabWidget()
        for name, form in (("General", general), ("Online", online)):
            page = QWidget()
            page.setLayout(form)
            self.tabs.addTab(page, name)
        self.sync = sync
        if sync is not None:
            self.tabs.addTab(sync, "Sync")
        names = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        self.tabs.setCurrentIndex(names.index(tab) if tab in names else 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

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
        self.settings.setValue(FETCH_ON_START_KEY, self.fetch_on_start.isChecked())
        self.settings.setValue(FETCH_SOURCES_KEY, " ".join(self.fetch_categories.text().split()))
