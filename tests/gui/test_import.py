"""Importing files from the window: progress while it runs, then a summary of rejects."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from reader.gui.widgets.import_summary import ImportSummary
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, sidebar_texts, wait_for_list

SNAPSHOT_RECORDS = 200  # real arXiv records in the Kaggle snapshot sample


def record(arxiv_id: str, title: str) -> str:
    return json.dumps(
        {
            "id": arxiv_id,
            "title": title,
            "authors": "Ada Lovelace and Alan Turing",
            "abstract": f"An abstract about {title.lower()}.",
            "categories": "cs.LG",
            "versions": [{"version": "v1", "created": "Mon, 3 Feb 2025 10:00:00 GMT"}],
        }
    )


def test_import_shows_progress_then_a_summary_naming_rejected_lines(
    seeded, shared, tmp_path, qtbot
):
    window = seeded.window
    snapshot = shared / "data/arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        "\n".join(
            [
                record("2502.00001", "Gradient descent for the impatient"),
                '{"id": "2502.00002", "title": "truncated',
                json.dumps({"id": "2502.00003", "abstract": "a record without a title"}),
                record("2502.00004", "Attention is most of what you need"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    importer = window.importer
    assert not importer.widget.isVisible()
    importer.start([snapshot, broken])
    assert importer.running
    assert importer.widget.isVisible() and importer.bar.isVisible()
    assert importer.label.text().startswith("Importing")

    wait_for_list(qtbot, window, SAMPLE_PAPERS + SNAPSHOT_RECORDS + 2)
    assert not importer.widget.isVisible()
    report = importer.last_report
    assert (report.added, report.rejected) == (SNAPSHOT_RECORDS + 2, 2)
    assert "Imported: 202 new" in window.statusBar().currentMessage()

    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in window.findChildren(ImportSummary)), timeout=WAIT_MS
    )
    dialog = next(d for d in window.findChildren(ImportSummary) if d.isVisible())
    details = dialog.details.toPlainText().splitlines()
    assert len(details) == 2, details
    assert details[0].startswith(f"error: {broken}, line 2: invalid JSON")
    assert details[1].startswith(f"error: {broken}, line 3: ") and "title" in details[1]
    assert str(snapshot) not in dialog.details.toPlainText()
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    total = SAMPLE_PAPERS + SNAPSHOT_RECORDS + 2
    qtbot.waitUntil(
        lambda: f"All papers ({total})" in sidebar_texts(window)["Library"], timeout=WAIT_MS
    )
    assert seeded.library.store.count() == total
    assert window.model.row_of(seeded.library.resolve("2502.00004")) is not None


def test_an_import_without_rejects_shows_no_summary(seeded, shared, qtbot):
    window = seeded.window
    snapshot = shared / "data/arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json"
    window.importer.start([snapshot])
    wait_for_list(qtbot, window, SAMPLE_PAPERS + SNAPSHOT_RECORDS)
    assert window.importer.last_report.added == SNAPSHOT_RECORDS
    assert not window.findChildren(ImportSummary)


def test_the_window_leaves_indexing_to_a_running_import_then_catches_up(
    seeded, tmp_path, qtbot, monkeypatch
):
    """Mid-import the store is far ahead of the index; the window must not rebuild the
    index in its own process meanwhile (that duplicated the child's work and stalled the
    window), and after the import the index must agree with the store."""
    window, library = seeded.window, seeded.library
    wait_for_list(qtbot, window, SAMPLE_PAPERS)
    rebuilds: list[bool] = []  # for each rebuild: whether an import was running
    real = library.catch_up_derived
    monkeypatch.setattr(
        library,
        "catch_up_derived",
        lambda *cancel: rebuilds.append(window.importer.running) or real(*cancel),
    )
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "\n".join(record(f"2503.{n:05d}", f"A paper numbered {n}") for n in range(3000))
    )
    window.importer.show_summary = False
    window.start_import([papers])
    qtbot.waitUntil(lambda: window.importer.running, timeout=WAIT_MS)
    window.derived.rebuild()  # as a search falling back mid-import asks
    qtbot.waitUntil(lambda: not window.importer.running, timeout=120_000)
    qtbot.waitUntil(lambda: bool(rebuilds) and not window.derived.rebuilding, timeout=WAIT_MS)
    assert rebuilds and not any(rebuilds)
    report = library.check()
    assert report.consistent and report.indexed == SAMPLE_PAPERS + 3000
