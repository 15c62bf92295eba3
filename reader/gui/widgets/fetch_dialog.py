"""File ▸ Fetch papers…: a range of Daily Papers days, an arXiv category or query, or an OAI-PMH
harvest of an arXiv set; the dialog only builds the ``paper-reader fetch`` arguments."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

MAX_DAYS = 366  # as reader.core.online.fetch.MAX_DAYS (the CLI refuses more)
ARXIV_SETS = ("cs", "math", "physics", "stat", "eess", "econ", "q-bio", "q-fin")


def fetch_today_args(today: QDate | None = None) -> list[str]:
    """File ▸ Fetch today's papers: today's Daily Papers."""
    day = (today or QDate.currentDate()).toString("yyyy-MM-dd")
    return ["fetch", "hf", "--date", day]


class FetchDialog(QDialog):
    """Asks what to fetch; ``arguments()`` is the command line for the fetch child process."""

    def __init__(self, parent: QWidget | None = None, today: QDate | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Fetch papers")
        self.setMinimumWidth(560)
        today = today or QDate.currentDate()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("What to fetch")

        self.first = _date_edit(today.addDays(-6), "First day")
        self.last = _date_edit(today, "Last day")
        hf = QWidget()
        form = QFormLayout(hf)
        form.addRow(QLabel("Hugging Face Daily Papers, one request a day."))
        form.addRow("From:", self.first)
        form.addRow("To:", self.last)
        self.tabs.addTab(hf, "Daily Papers")

        self.query = QLineEdit()
        self.query.setPlaceholderText("cs.CL, or a query such as ti:diffusion AND cat:cs.CV")
        self.query.setAccessibleName("arXiv category or query")
        self.limit = QSpinBox(minimum=1, maximum=30_000, value=200)
        self.limit.setAccessibleName("At most this many papers")
        arxiv = QWidget()
        form = QFormLayout(arxiv)
        form.addRow(QLabel("The newest papers of an arXiv category or search."))
        form.addRow("Category or query:", self.query)
        form.addRow("At most:", self.limit)
        self.tabs.addTab(arxiv, "arXiv")

        self.set_spec = QComboBox(editable=True)
        self.set_spec.addItems(ARXIV_SETS)
        self.set_spec.setAccessibleName("arXiv set")
        self.since = _date_edit(today.addDays(-7), "Records changed since")
        self.until = _date_edit(today, "Records changed until")
        self.continue_last = QCheckBox("Continue from the last harvest (first time: a week back)")
        self.continue_last.setChecked(True)
        self.continue_last.toggled.connect(lambda on: self.since.setEnabled(not on))
        self.since.setEnabled(False)
        oai = QWidget()
        form = QFormLayout(oai)
        form.addRow(QLabel("A whole arXiv set, day by day (OAI-PMH); resumes if interrupted."))
        form.addRow("Set:", self.set_spec)
        form.addRow(self.continue_last)
        form.addRow("Since:", self.since)
        form.addRow("Until:", self.until)
        self.tabs.addTab(oai, "arXiv harvest")

        self.problem = QLabel()
        self.problem.setAccessibleName("Problem")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Fetch")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def arguments(self) -> list[str]:
        """The ``paper-reader`` arguments for what the dialog says (see ``problem_text``)."""
        tab = self.tabs.currentIndex()
        if tab == 0:
            return ["fetch", "hf", "--from", _iso(self.first), "--to", _iso(self.last)]
        if tab == 1:
            text = self.query.text().strip()
            looks_like_category = " " not in text and ":" not in text and "." in text
            what = ["--category", text] if looks_like_category else ["--query", text]
            return ["fetch", "arxiv", *what, "--max", str(self.limit.value())]
        args = ["fetch", "oai", "--set", self.set_spec.currentText().strip()]
        if not self.continue_last.isChecked():
            args += ["--from", _iso(self.since)]
        return [*args, "--until", _iso(self.until)]

    def problem_text(self) -> str:
        """Why the dialog's values cannot be fetched ('' when they can)."""
        tab = self.tabs.currentIndex()
        if tab == 0:
            days = self.first.date().daysTo(self.last.date()) + 1
            if days < 1:
                return "The last day is before the first."
            if days > MAX_DAYS:
                return f"{days} days is more than the {MAX_DAYS} one fetch takes."
        elif tab == 1 and not self.query.text().strip():
            return "Name an arXiv category (cs.CL) or write a query."
        elif tab == 2:
            if not self.set_spec.currentText().strip():
                return "Name an arXiv set (cs, math, physics:hep-th…)."
            if not self.continue_last.isChecked() and self.since.date() > self.until.date():
                return "'Until' is before 'Since'."
        return ""

    def _accept_if_valid(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        if not problem:
            self.accept()


def _date_edit(day: QDate, name: str) -> QDateEdit:
    edit = QDateEdit(day)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMaximumDate(QDate.currentDate().addDays(1))
    edit.setAccessibleName(name)
    return edit


def _iso(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")
