"""Two windows on two libraries stay in step through File ▸ Sync now: through a folder and
through a real WebDAV server (set up in Preferences ▸ Sync, tested there; the password and
the passphrase asked once, handed to the sync child privately)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from reader.gui.widgets.preferences import PreferencesDialog
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
    with qtbot.waitSignal(syncer.finished, timeout=WAIT_MS):
        syncer.sync()
    assert not syncer.last_error, syncer.last_error


def in_preferences(window, act) -> None:  # type: ignore[no-untyped-def]
    """Open Preferences ▸ Sync as the user would and run ``act(dialog)`` while it is up."""
    done: list[bool] = []

    def inside() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PreferencesDialog), dialog
        assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Sync"
        act(dialog)
        done.append(True)

    QTimer.singleShot(0, inside)
    window.preferences(tab="Sync")
    assert done, "the dialog did not open"


def set_up_sync(qtbot, session, remote: str, password: str = "", passphrase: str = ""):  # type: ignore[no-untyped-def]
    """Preferences ▸ Sync filled in and accepted: the first sync runs at once."""

    def fill(dialog: PreferencesDialog) -> None:
        assert dialog.sync is not None
        dialog.sync.remote.setText(remote)
        dialog.sync.password.setText(password)
        dialog.sync.passphrase.setText(passphrase)
        dialog.accept()

    syncer = session.window.online.syncer
    with qtbot.waitSignal(syncer.finished, timeout=WAIT_MS):
        in_preferences(session.window, fill)
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
    paper = laptop.window.detail.paper
    assert paper is not None
    laptop.library.add_tags([paper.id], ["to discuss"])
    laptop.library.set_bookmarked([paper.id], True)
    laptop.library.set_notes(paper.id, "ask about the ablation")
    set_up_sync(qtbot, laptop, remote)
    set_up_sync(qtbot, desktop, remote)
    qtbot.waitUntil(
        lambda: "to discuss (1)" in sidebar_texts(desktop.window)["Tags"], timeout=WAIT_MS
    )
    there = desktop.library.store.paper(desktop.library.store.resolve(paper.arxiv_id or paper.id))
    assert there.tags == ["to discuss"] and there.bookmarked
    assert there.notes == "ask about the ablation"
    summary = desktop.window.online.syncer.summary
    qtbot.waitUntil(lambda: summary.text().startswith("Synced "), timeout=WAIT_MS)
    assert "Synced: " in desktop.window.statusBar().currentMessage()


def test_through_webdav_the_password_is_asked_once_and_papers_travel(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    from reader.core.model import PaperRecord

    with webdav_server(tmp_path / "dav") as server:
        laptop, desktop = two_windows(seeded_folder, tmp_path, open_app, qtbot)
        laptop.library.store.write_records([PaperRecord("A paper only the laptop has")], None)
        set_up_sync(qtbot, laptop, server.url, PASSWORD)  # typed in Preferences: not asked
        asked = answer_dialogs(monkeypatch, [PASSWORD])
        desktop.library.set_sync_remote(server.url)  # set up by the CLI, say
        sync_now(qtbot, desktop)
        assert [a.startswith("Password for") for a in asked] == [True]
        wait_for_list(qtbot, desktop.window, SAMPLE_PAPERS + 1)
        sync_now(qtbot, desktop)  # the session keeps the password: no more questions
        assert len(asked) == 1


def test_a_window_closed_before_its_start_sync_never_syncs_after(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    from reader.core.library import Library
    from reader.gui.controllers import syncing

    monkeypatch.setattr(syncing, "SYNC_ON_START_DELAY_MS", 200)

    with Library.open(seeded_folder) as library:
        library.set_sync_remote(str(tmp_path / "remote"))  # the window syncs at start
    session = open_app(seeded_folder)
    syncer = session.window.online.syncer
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    assert syncer.first.isActive() and syncer.timer.isActive()
    session.window.close()
    assert not syncer.first.isActive() and not syncer.timer.isActive()
    qtbot.wait(400)  # past the start delay: nothing may touch the closed library
    assert not syncer.running


def test_test_connection_says_what_the_remote_is_without_changing_it(
    seeded_folder, tmp_path, open_app, qtbot
):
    session = open_app(seeded_folder)
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    results: list[str] = []

    def test(dialog: PreferencesDialog, remote: str, password: str, passphrase: str = "") -> None:
        tab = dialog.sync
        assert tab is not None
        tab.remote.setText(remote)
        tab.password.setText(password)
        tab.passphrase.setText(passphrase)
        tab.test.click()
        qtbot.waitUntil(lambda: tab.test.isEnabled(), timeout=WAIT_MS)
        results.append(tab.result.text())

    with webdav_server(tmp_path / "dav") as server:
        user_url = server.url  # http://user@127.0.0.1:port/
        photos = tmp_path / "photos"
        photos.mkdir()
        (photos / "holiday.jpg").write_bytes(b"\xff\xd8")

        def tests(dialog: PreferencesDialog) -> None:
            test(dialog, user_url, "not the password")
            test(dialog, user_url, PASSWORD)
            test(dialog, str(photos), "")
            dialog.reject()  # Cancel: nothing is kept

        in_preferences(session.window, tests)
    assert "✗" in results[0] and "wrong user name or password" in results[0]
    assert results[1] == "✓ Connected: an empty folder, set up unencrypted at the first sync"
    assert "✗" in results[2] and "holds other files" in results[2]
    assert not list((tmp_path / "dav").iterdir())  # testing wrote nothing
    assert session.library.sync_remote() is None


def test_an_encrypted_remote_asks_the_other_window_for_its_passphrase_once(
    seeded_folder, tmp_path, open_app, qtbot, monkeypatch
):
    from reader.core.model import PaperRecord

    laptop, desktop = two_windows(seeded_folder, tmp_path, open_app, qtbot)
    remote = str(tmp_path / "Dropbox" / "papers")
    laptop.library.store.write_records([PaperRecord("An unpublished draft")], None)
    set_up_sync(qtbot, laptop, remote, passphrase="a long shared passphrase")
    asked = answer_dialogs(monkeypatch, ["a wrong passphrase", "a long shared passphrase"])
    desktop.library.set_sync_remote(remote)
    sync_now(qtbot, desktop)
    assert len(asked) == 2
    assert "is encrypted: its passphrase is needed" in asked[0]
    assert "wrong passphrase" in asked[1]
    wait_for_list(qtbot, desktop.window, SAMPLE_PAPERS + 1)
    for sealed in (tmp_path / "Dropbox" / "papers" / "nodes").rglob("*.prsync"):
        assert b"unpublished draft" not in sealed.read_bytes()
