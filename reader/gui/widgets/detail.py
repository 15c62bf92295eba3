"""The detail pane: one paper's metadata, abstract (query terms highlighted), user state.

Everything imported is untrusted: it is HTML-escaped before display, the text browser
never fetches a resource (no remote images, no files), and links open in the system
browser only when clicked and only for http(s) URLs.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QMimeData, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.display import ZERO_WIDTH_SPACE, breakable, readable
from reader.core.model import Paper
from reader.core.pdfs import PdfInfo
from reader.core.search.highlight import as_html, mark_all
from reader.core.vetting import MAX_ABSTRACT, MAX_TITLE
from reader.gui.models.sidebar import day_label

NOTES_SAVE_DELAY_MS = 800


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that loads nothing: no remote or local resources, no navigation."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(open_if_web_link)

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        return None

    def createMimeDataFromSelection(self) -> QMimeData:
        """Copied text without the places to wrap ``breakable`` put in long words."""
        data = QMimeData()
        data.setText(self.textCursor().selection().toPlainText().replace(ZERO_WIDTH_SPACE, ""))
        return data


def open_if_web_link(url: QUrl) -> bool:
    if url.scheme() in ("http", "https"):
        return QDesktopServices.openUrl(url)
    return False


class DetailPane(QWidget):
    bookmark_toggled = Signal(int, bool)
    read_toggled = Signal(int, bool)
    tags_edited = Signal(int, list)
    notes_edited = Signal(int, str)
    read_pdf = Signal()  # Read PDF (downloads it first when it is not offline)

    def __init__(self) -> None:
        super().__init__()
        self.paper: Paper | None = None
        self.terms: frozenset[str] = frozenset()  # the search terms highlighted
        self.body_snippet = ""  # where the search found the paper in its PDF's text
        self.browser = SafeTextBrowser()
        self.browser.setAccessibleName("Paper details")
        self.bookmark = _toggle("☆ Bookmark", "Bookmark this paper (B)")
        self.read = _toggle("Mark read", "Toggle read / unread (R)")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("Tags, separated by commas (T)")
        self.tags.setAccessibleName("Tags")
        self.completer = QCompleter([])
        self.completer.setCaseSensitivity(self.completer.caseSensitivity().CaseInsensitive)
        self.tags.setCompleter(self.completer)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes (saved automatically)")
        self.notes.setAccessibleName("Notes")
        self.notes.setMaximumHeight(84)
        self._notes_timer = QTimer(self, singleShot=True, interval=NOTES_SAVE_DELAY_MS)
        self.offline = QLabel()
        self.offline.setObjectName("offline")
        self.offline.setAccessibleName("PDF")
        self.pdf_button = QPushButton("Read PDF")
        self.pdf_button.setToolTip("Read the paper in a tab (O); downloads it if needed")
        self.pdf_button.clicked.connect(self.read_pdf)
        self.placeholder = QLabel("Select a paper to read its abstract.")
        self.placeholder.setObjectName("placeholder")

        actions = QHBoxLayout()
        actions.addWidget(self.bookmark)
        actions.addWidget(self.read)
        actions.addWidget(self.tags, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.placeholder)
        layout.addWidget(self.browser, 1)
        pdf_row = QHBoxLayout()
        pdf_row.addWidget(self.offline, 1)
        pdf_row.addWidget(self.pdf_button)
        layout.addLayout(pdf_row)
        layout.addLayout(actions)
        layout.addWidget(self.notes)

        self.bookmark.toggled.connect(self._on_bookmark)
        self.read.toggled.connect(self._on_read)
        self.tags.editingFinished.connect(self._on_tags)
        self.notes.textChanged.connect(self._notes_timer.start)
        self._notes_timer.timeout.connect(self._save_notes)
        self.show_paper(None)

    def changeEvent(self, event: QEvent) -> None:
        # Links take their colour from the palette when the HTML is parsed: after a theme
        # change they would stay in the old one (dark blue on the dark theme's background).
        if event.type() == QEvent.Type.PaletteChange and self.paper is not None:
            self.browser.setHtml(paper_html(self.paper, self.terms, self.body_snippet))
        super().changeEvent(event)

    def set_known_tags(self, tags: list[str]) -> None:
        self.completer.model().setStringList(tags)  # type: ignore[attr-defined]

    def show_paper(
        self, paper: Paper | None, terms: frozenset[str] = frozenset(), body_snippet: str = ""
    ) -> None:
        """Show a paper (None: the placeholder); ``body_snippet``: the search matched it only
        in its PDF's text, there (marked)."""
        if self._notes_timer.isActive():
            self._notes_timer.stop()
            self._save_notes()
        self.paper, self.terms = paper, terms
        for widget in (
            self.browser,
            self.bookmark,
            self.read,
            self.tags,
            self.notes,
            self.offline,
            self.pdf_button,
        ):
            widget.setVisible(paper is not None)
        self.placeholder.setVisible(paper is None)
        if paper is None:
            return
        self.body_snippet = body_snippet
        self.browser.setHtml(paper_html(paper, terms, body_snippet))
        for widget, value in ((self.bookmark, paper.bookmarked), (self.read, paper.read)):
            widget.blockSignals(True)
            widget.setChecked(value)
            widget.blockSignals(False)
        self._label_toggles()
        self.tags.setText(", ".join(paper.tags))
        self.notes.blockSignals(True)
        self.notes.setPlainText(paper.notes)
        self.notes.blockSignals(False)

    def show_offline(self, paper_id: int, info: PdfInfo | None, downloadable: bool) -> None:
        """Whether the shown paper's PDF is here (pages, size), or can be downloaded."""
        if self.paper is None or self.paper.id != paper_id:
            return
        if info is not None:
            size = (
                f"{info.size / 1024 / 1024:.1f} MB"
                if info.size >= 1024 * 1024
                else f"{max(1, round(info.size / 1024))} kB"
            )
            self.offline.setText(f"⤓ Available offline — {info.pages} pages, {size}")
            self.pdf_button.setText("Read PDF")
        elif downloadable:
            self.offline.setText("PDF not downloaded")
            self.pdf_button.setText("Download and read PDF")
        else:
            self.offline.setText("No PDF link for this paper")
        self.pdf_button.setEnabled(info is not None or downloadable)

    def highlight(self, terms: frozenset[str]) -> None:
        """Highlight other search terms (none: the search was cleared) in the paper shown."""
        if self.paper is not None and terms != self.terms:
            self.terms = terms
            if not terms:
                self.body_snippet = ""
            scroll = self.browser.verticalScrollBar().value()
            self.browser.setHtml(paper_html(self.paper, terms, self.body_snippet))
            self.browser.verticalScrollBar().setValue(scroll)

    def _label_toggles(self) -> None:
        self.bookmark.setText("★ Bookmarked" if self.bookmark.isChecked() else "☆ Bookmark")
        self.read.setText("✓ Read" if self.read.isChecked() else "Mark read")

    def _on_bookmark(self, checked: bool) -> None:
        self._label_toggles()
        if self.paper:
            self.paper.bookmarked = checked
            self.bookmark_toggled.emit(self.paper.id, checked)

    def _on_read(self, checked: bool) -> None:
        self._label_toggles()
        if self.paper:
            self.paper.read = checked
            self.read_toggled.emit(self.paper.id, checked)

    def _on_tags(self) -> None:
        if not self.paper:
            return
        tags = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        if sorted(t.lower() for t in tags) != sorted(t.lower() for t in self.paper.tags):
            self.paper.tags = tags
            self.tags_edited.emit(self.paper.id, tags)

    def _save_notes(self) -> None:
        if self.paper and self.notes.toPlainText() != self.paper.notes:
            self.paper.notes = self.notes.toPlainText()
            self.notes_edited.emit(self.paper.id, self.paper.notes)


def _toggle(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(tip.split(" (")[0])
    button.setCheckable(True)
    return button


def paper_html(paper: Paper, terms: frozenset[str] = frozenset(), body_snippet: str = "") -> str:
    """The detail pane's HTML; every piece of imported text is escaped."""

    def esc(text: str) -> str:
        return html.escape(breakable(text))

    def marked(text: str) -> str:
        return as_html(breakable(mark_all(text, terms)))

    title = marked(readable(paper.title[:MAX_TITLE]))
    authors = esc(", ".join(paper.authors)) or "<i>no authors listed</i>"
    facts = []
    if paper.published:
        facts.append(f"Published {esc(paper.published)}")
    if paper.updated and paper.updated != paper.published:
        facts.append(f"updated {esc(paper.updated)}")
    if paper.categories:
        facts.append(" · ".join(esc(c) for c in paper.categories[:6]))
    if paper.upvotes is not None:
        facts.append(f"▲ {paper.upvotes}")
    links = []
    for label, url in (
        (f"arXiv:{paper.arxiv_id}" if paper.arxiv_id else "abstract page", paper.arxiv_abs_url),
        ("PDF", paper.pdf_url),
        ("Hugging Face", paper.hf_url),
        (
            f"doi:{paper.doi}" if paper.doi else "",
            f"https://doi.org/{paper.doi}" if paper.doi else None,
        ),
    ):
        if url and url.startswith(("http://", "https://")):
            links.append(f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>')
    listed = sorted({f"{li.source}, {day_label(li.listed_on)}" for li in paper.listings})
    shown_abstract = paper.abstract[:MAX_ABSTRACT]  # longer only in a library from before the cap
    abstract_paragraphs = readable(shown_abstract).split("\n\n") if shown_abstract else []
    abstract = "".join(f"<p>{marked(p)}</p>" for p in abstract_paragraphs)
    if len(paper.abstract) > MAX_ABSTRACT:
        hidden = len(paper.abstract) - MAX_ABSTRACT
        abstract += f"<p class='meta'>… {hidden:,} more characters not shown</p>"
    marked_snippet = as_html(breakable(body_snippet))
    extra = []
    if paper.comments:
        extra.append(f"<p class='meta'>Comments: {esc(paper.comments)}</p>")
    if paper.journal_ref:
        extra.append(f"<p class='meta'>Journal: {esc(paper.journal_ref)}</p>")
    return (
        f"<h2>{title}</h2>"
        f"<p><b>{authors}</b></p>"
        f"<p class='meta'>{' — '.join(facts)}</p>"
        f"<p>{' · '.join(links)}</p>"
        + (f"<p class='meta'>Listed in {esc('; '.join(listed))}</p>" if listed else "")
        + (
            f"<p class='meta'>Found in the full text (PDF): …{marked_snippet}…</p>"
            if body_snippet
            else ""
        )
        + (abstract or "<p><i>No abstract.</i></p>")
        + "".join(extra)
    )
