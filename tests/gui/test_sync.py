"""Two windows on two libraries stay in step through File ▸ Sync now: through a folder and
through a real WebDAV server (the password asked once, handed to the sync child privately)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import QInputDialog

from tests.core.sync_servers import PASSWORD, webdav_server
from tests.gui.conftest import SAMPLE_PAPERS, WAIT_MS, sidebar_texts, wait_for_list


def answer_dialogs(monkeypatch, answers: list[str]) -> list[str]:
    """QInputDialog.getText answers in turn; returns the prompts it was asked."""
    asked: list[str] = []

    def get_text(_parent, _title, label, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(label)
        return answers.pop(0), True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    return asked


def sync_now(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    syncer = session.window.online.syncer
    syncer.sync()
    qtbot.waitUntil(lambda: not syncer.running, timeout=WAIT_MS)
    assert not syncer.last_error, syncer.last_error


def two_windows(seeded_folder: Path, tmp_path: Path, open_app, qtbot):  # type: ignore[no-untyped-def]
    other = tmp_path / "desktop-library"
    shutil.copytree(seeded_folder, other)
    laptop, desktop = open_app(seeded_folder), open_app(other)
    for session in (laptop, desktop):
        wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    return laptop, desktop


def test_a_tag_bookmark_and_note_made_in_one_window_appear_in_the_other(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    laptop, desktop = two_windows(seeded_folder, tmp_path, open_app, qtbot)
    remote = str(tmp_path / "Syncthing" / "papers")
    answer_dialogs(monkeypatch, [remote, remote])
    paper = laptop.window.detail.paper
    assert paper is not None
    laptop.library.add_tags([paper.id], ["to discuss"])
    laptop.library.set_bookmarked([paper.id], True)
    laptop.library.set_notes(paper.id, "ask about the ablation")
    sync_now(qtbot, laptop)
    sync_now(qtbot, desktop)
    qtbot.waitUntil(
        lambda: "to discuss (1)" in sidebar_texts(desktop.window)["Tags"], timeout=WAIT_MS
    )
    there = desktop.library.store.paper(desktop.library.store.resolve(paper.arxiv_id or paper.id))
    assert there.tags == ["to discuss"] and there.bookmarked
    assert there.notes == "ask about the ablation"
    assert desktop.window.online.syncer.summary.text().startswith("Synced ")
    assert "Synced: " in desktop.window.statusBar().currentMessage()


def test_through_webdav_the_password_is_asked_once_and_papers_travel(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    from reader.core.model import PaperRecord

    with webdav_server(tmp_path / "dav") as server:
        laptop, desktop = two_windows(seeded_folder, tmp_path, open_app, qtbot)
        asked = answer_dialogs(monkeypatch, [server.url, PASSWORD, server.url, PASSWORD])
        laptop.library.store.write_records([PaperRecord("A paper only the laptop has")], None)
        sync_now(qtbot, laptop)
        sync_now(qtbot, desktop)
        assert [a.startswith("Password for") for a in asked] == [False, True, False, True]
        wait_for_list(qtbot, desktop.window, SAMPLE_PAPERS + 1)
        sync_now(qtbot, desktop)  # the session keeps the password: no more questions
        assert len(asked) == 4


def test_a_window_closed_before_its_start_sync_never_syncs_after(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    from reader.core.library import Library
    from reader.gui.controllers import syncing

    monkeypatch.setattr(syncing, "SYNC_ON_START_DELAY_MS", 200)

    with Library.open(seeded_folder) as library:
        library.sync(str(tmp_path / "remote"))  # the remote is set: the window syncs at start
    session = open_app(seeded_folder)
    syncer = session.window.online.syncer
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    assert syncer.first.isActive() and syncer.timer.isActive()
    session.window.close()
    assert not syncer.first.isActive() and not syncer.timer.isActive()
    qtbot.wait(400)  # past the start delay: nothing may touch the closed library
    assert not syncer.running
