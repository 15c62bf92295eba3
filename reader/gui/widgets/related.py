"""The related-papers pane: the closest papers in the library, with a similarity cue."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from reader.core.display import readable
from reader.core.model import Paper
from reader.core.related.explain import Reason

ID_ROLE = Qt.ItemDataRole.UserRole + 1
WHY_MARK = "↳"  # before the line saying why a paper is related


def similarity_bar(score: float, width: int = 5) -> str:
    filled = max(1, round(score * width))
    return "●" * filled + "○" * (width - filled)


class RelatedPane(QWidget):
    paper_chosen = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.heading = QLabel("<b>Related papers</b>")
        self.status = QLabel()
        self.status.setObjectName("placeholder")
        self.status.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Related papers")
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setSpacing(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        self.error = ""  # why the last related query failed (the self-test checks it)
        self.dense = False  # whether the papers shown were ranked with meaning vectors
        self.show_message("Select a paper to see the papers closest to it.")

    def show_message(self, text: str) -> None:
        self.error = ""
        self.dense = False
        self.heading.setText("<b>Related papers</b>")
        self.list.clear()
        self.status.setText(text)
        self.status.setVisible(True)

    def show_computing(self) -> None:
        self.show_message("Computing related papers…")

    def show_error(self, error: Exception) -> None:
        self.show_message(f"Related papers unavailable: {error}")
        self.error = str(error) or type(error).__name__

    def show_related(
        self,
        related: list[tuple[Paper, float]],
        dense: bool = False,
        embedding: bool = False,
        reasons: dict[int, Reason] | None = None,
    ) -> None:
        """``dense``: ranked by meaning and words; else by shared words alone (no vector yet,
        ``embedding`` says one is being computed). ``reasons``: why each paper is related
        (shared key terms, similar meaning), shown under it."""
        reasons = reasons or {}
        self.error = ""
        self.dense = dense
        self.list.clear()
        if dense:
            how = "by meaning and shared words"
        else:
            how = "by shared words" + (" — meaning vectors: computing…" if embedding else "")
        self.heading.setText(f"<b>Related papers</b> <small>· {how}</small>")
        if not related:
            self.show_message("No related papers in your library yet.")
            return
        self.status.setVisible(False)
        for paper, score in related:
            lines = [f"{similarity_bar(score)}  {readable(paper.title)}"]
            if paper.authors:  # a line only when there is something to put on it
                more = " et al." if len(paper.authors) > 1 else ""
                lines.append(f"    {paper.authors[0]}{more}")
            why = reasons[paper.id].describe() if paper.id in reasons else ""
            if why:
                lines.append(f"    {WHY_MARK} {why}")
            item = QListWidgetItem("\n".join(lines))
            item.setData(ID_ROLE, paper.id)
            tip = f"similarity {score:.2f}"
            item.setToolTip(f"{tip}\nrelated by: {why}" if why else tip)
            self.list.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.paper_chosen.emit(int(item.data(ID_ROLE)))
