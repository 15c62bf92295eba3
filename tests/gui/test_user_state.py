"""Bookmarks, read state and tags: set through the detail pane or the keyboard, kept on disk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from reader.gui.models.paper_table import STAR, TAGS, TITLE
from tests.gui.conftest import (
    SAMPLE_PAPERS,
    WAIT_MS,
    cell,
    click_row,
    sidebar_texts,
    wait_for_list,
)


def shown_id(window) -> int | None:  # type: ignore[no-untyped-def]
    return window.detail.paper.id if window.detail.paper else None


def test_tags_bookmark_and_read_set_in_the_detail_pane_survive_a_restart(
    seeded, seeded_folder, open_app, qtbot
):
    window, library = seeded.window, seeded.library
    click_row(qtbot, window, 3)
    paper_id = window.model.id_at(3)
    qtbot.waitUntil(lambda: shown_id(window) == paper_id, timeout=WAIT_MS)
    detail = window.detail
    assert not detail.bookmark.isChecked() and not detail.read.isChecked()

    qtbot.mouseClick(detail.bookmark, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(detail.read, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(detail.tags, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(detail.tags, "ml/nlp, to-read")
    qtbot.keyClick(detail.tags, Qt.Key.Key_Return)
    assert detail.bookmark.text() == "★ Bookmarked" and detail.read.text() == "✓ Read"

    def saved() -> bool:
        paper = library.store.paper(paper_id)
        return paper.bookmarked and paper.read and sorted(paper.tags) == ["ml/nlp", "to-read"]

    qtbot.waitUntil(saved, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.index(3, STAR).data() == "★", timeout=WAIT_MS)
    seeded.close()

    again = open_app(seeded_folder)
    window = again.window
    wait_for_list(qtbot, window, SAMPLE_PAPERS)
    paper = again.library.paper(paper_id)
    assert paper.bookmarked and paper.read
    assert sorted(paper.tags) == ["ml/nlp", "to-read"]
    row = window.model.row_of(paper_id)
    assert cell(qtbot, window, row, STAR) == "★"
    assert set(cell(qtbot, window, row, TAGS).split(", ")) == {"ml/nlp", "to-read"}
    assert cell(qtbot, window, row, TITLE, Qt.ItemDataRole.FontRole) is None  # not bold
    others = [r for r in range(SAMPLE_PAPERS) if r != row]
    assert all(cell(qtbot, window, r, STAR) == "" for r in others[:20])
    # the window reopens on the paper last shown, with its state
    qtbot.waitUntil(lambda: shown_id(window) == paper_id, timeout=WAIT_MS)
    assert window.detail.bookmark.isChecked() and window.detail.read.isChecked()
    qtbot.waitUntil(lambda: "Bookmarked (1)" in sidebar_texts(window)["Library"], timeout=WAIT_MS)
    tags = sidebar_texts(window)["Tags"]
    assert "nlp (1)" in tags and "to-read (1)" in tags


def test_keyboard_moves_the_selection_toggles_state_and_finds(seeded, qtbot):
    window, library = seeded.window, seeded.library
    click_row(qtbot, window, 0)
    first, second = window.model.id_at(0), window.model.id_at(1)
    qtbot.waitUntil(lambda: shown_id(window) == first, timeout=WAIT_MS)
    table = window.table
    assert QApplication.focusWidget() is table

    qtbot.keyClick(table, Qt.Key.Key_J)
    assert table.currentIndex().row() == 1
    qtbot.waitUntil(lambda: shown_id(window) == second, timeout=WAIT_MS)
    qtbot.keyClick(table, Qt.Key.Key_K)
    assert table.currentIndex().row() == 0
    qtbot.waitUntil(lambda: shown_id(window) == first, timeout=WAIT_MS)
    qtbot.keyClick(table, Qt.Key.Key_K)  # already at the top: stays
    assert table.currentIndex().row() == 0

    qtbot.keyClick(table, Qt.Key.Key_B)
    assert window.detail.bookmark.isChecked()
    qtbot.waitUntil(lambda: library.store.paper(first).bookmarked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.index(0, STAR).data() == "★", timeout=WAIT_MS)
    qtbot.keyClick(table, Qt.Key.Key_R)
    assert window.detail.read.isChecked()
    qtbot.waitUntil(lambda: library.store.paper(first).read, timeout=WAIT_MS)
    qtbot.keyClick(table, Qt.Key.Key_B)
    qtbot.keyClick(table, Qt.Key.Key_R)
    assert not window.detail.bookmark.isChecked() and not window.detail.read.isChecked()

    def cleared() -> bool:
        paper = library.store.paper(first)
        return not paper.bookmarked and not paper.read

    qtbot.waitUntil(cleared, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.index(0, STAR).data() == "", timeout=WAIT_MS)

    qtbot.keyClick(table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    edit = window.search_bar.edit
    assert edit.hasFocus()
    # letters typed into the search box are text, not the single-key shortcuts
    qtbot.keyClicks(edit, "jkbr")
    assert edit.text() == "jkbr"
    assert table.currentIndex().row() == 0
    assert not window.detail.bookmark.isChecked() and not window.detail.read.isChecked()


def test_b_r_and_t_act_on_every_selected_paper(seeded, qtbot, monkeypatch):
    window, library = seeded.window, seeded.library
    click_row(qtbot, window, 0)
    index = window.model.index(2, TITLE)
    qtbot.mouseClick(
        window.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        window.table.visualRect(index).center(),
    )
    chosen = [window.model.id_at(r) for r in range(3)]
    qtbot.waitUntil(lambda: shown_id(window) == chosen[2], timeout=WAIT_MS)
    assert set(window.selected_ids()) == set(chosen)

    qtbot.keyClick(window.table, Qt.Key.Key_B)
    qtbot.keyClick(window.table, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: (
            all(library.store.paper(i).bookmarked for i in chosen)
            and all(library.store.paper(i).read for i in chosen)
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(
        lambda: [window.model.index(r, STAR).data() for r in range(4)] == ["★", "★", "★", ""],
        timeout=WAIT_MS,
    )
    unchosen = window.model.id_at(3)
    assert not library.store.paper(unchosen).bookmarked and not library.store.paper(unchosen).read

    monkeypatch.setattr(
        "reader.gui.main_window.QInputDialog.getText",
        lambda *a, **k: ("reading-group, llm/decoding", True),
    )
    qtbot.keyClick(window.table, Qt.Key.Key_T)
    qtbot.waitUntil(
        lambda: all(
            sorted(library.store.paper(i).tags) == ["llm/decoding", "reading-group"] for i in chosen
        ),
        timeout=WAIT_MS,
    )
    # the paper shown shows its new tags; the sidebar counts them
    qtbot.waitUntil(
        lambda: set(window.detail.tags.text().split(", ")) == {"llm/decoding", "reading-group"},
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: "reading-group (3)" in sidebar_texts(window)["Tags"], timeout=WAIT_MS)
    assert library.store.paper(unchosen).tags == []


def test_right_clicking_the_list_offers_what_applies_to_the_selection(seeded):
    texts = [a.text() for a in seeded.window.table.actions() if not a.isSeparator()]
    assert texts == [
        "Toggle &bookmark",
        "Toggle &read",
        "&Tag…",
        "Read &PDF",
        "Make available &offline",
        "Copy &BibTeX",
        "Export selection as &BibTeX…",
        "Export selection as &CSL-JSON…",
    ]
    assert seeded.window.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu


def test_marking_every_paper_read_leaves_their_indexing_to_a_child_process(
    seeded, qtbot, monkeypatch
):
    window, library = seeded.window, seeded.library
    click_row(qtbot, window, 0)
    qtbot.waitUntil(lambda: shown_id(window) is not None, timeout=WAIT_MS)
    started: list[bool] = []
    original = window.indexer.start
    monkeypatch.setattr(
        window.indexer, "start", lambda *a, **k: started.append(True) or original(*a, **k)
    )
    window.table.selectAll()
    qtbot.keyClick(window.table, Qt.Key.Key_R)

    def all_read_and_indexed() -> bool:
        unread = library.store.query("SELECT count(*) FROM papers WHERE NOT is_read")[0][0]
        return unread == 0 and not window.indexer.running and library.index_lag(1000) == 0

    qtbot.waitUntil(all_read_and_indexed, timeout=60_000)
    assert started  # 317 papers: more than the window indexes in its own process
    qtbot.waitUntil(lambda: "Unread (0)" in sidebar_texts(window)["Library"], timeout=WAIT_MS)
    assert library.search("is:unread").hits == []
