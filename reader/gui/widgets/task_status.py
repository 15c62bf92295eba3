"""A child task's place in the status bar: what it is doing, how far it got, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)


class TaskStatus(QWidget):
    """A label, a progress bar and a Cancel button, hidden until the task runs."""

    def __init__(self, what: str, bar_width: int) -> None:
        super().__init__()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setAccessibleName(f"{what} progress")
        self.bar.setFixedWidth(bar_width)
        self.bar.setTextVisible(False)  # the label says how far it got, in words
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName(f"Cancel {what.lower()}")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.setVisible(False)
