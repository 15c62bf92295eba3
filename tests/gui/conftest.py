"""GUI fixtures: offscreen Qt, settings and library folders private to each test, windows
built the way ``reader.gui.app.run`` builds them and torn down cleanly."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QSettings
from PySide6.QtWidgets import QApplication

from reader.core.library import Library
from reader.core.resources import sample_library_files
from reader.gui.jobs import JobRunner
from reader.gui.main_window import MainWindow

SAMPLE_PAPERS = 317  # distinct papers on the five bundled Daily Papers pages
WAIT_MS = 20_000  # generous ceiling for background work; tests normally finish far sooner

_serial = itertools.count()


@pytest.fixture(autouse=True)
def private_settings(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """QSettings and the default library live in this test's tmp dir, never the user's."""
    folder = tmp_path / "settings"
    folder.mkdir()
    old_org, old_app = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QCoreApplication.setOrganizationName(f"paper-reader-test-{os.getpid()}")
    QCoreApplication.setApplicationName(f"gui-test-{next(_serial)}")
    monkeypatch.setenv("PAPER_READER_LIBRARY", str(tmp_path / "default-library"))
    assert QSettings().fileName().startswith(str(folder))
    QSettings().setValue("auto_embed", False)  # tests that want the embed child turn it on
    yield folder
    QCoreApplication.setOrganizationName(old_org)
    QCoreApplication.setApplicationName(old_app)


@pytest.fixture(scope="session")
def seed_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library with the bundled sample imported and indexed, built once per session."""
    folder = tmp_path_factory.mktemp("seed") / "library"
    with Library.open(folder) as library:
        report = library.import_files(sample_library_files())
        assert report.added == SAMPLE_PAPERS
    return folder


@pytest.fixture
def seeded_folder(seed_library: Path, tmp_path: Path) -> Path:
    """This test's own copy of the seed library."""
    folder = tmp_path / "library"
    shutil.copytree(seed_library, folder)
    return folder


@dataclass
class Session:
    """One run of the app: the window and what it was built from."""

    window: MainWindow
    library: Library
    runner: JobRunner
    closed: bool = False

    def close(self) -> None:
        """Quit the way the app does: close the window, finish jobs, close the library."""
        if self.closed:
            return
        self.closed = True
        self.window.close()
        drain(self.runner)  # deliver results still queued while the library is open
        self.window.deleteLater()
        self.runner.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.library.close()


def drain(runner: JobRunner) -> None:
    """Wait for background jobs and deliver their queued results (which may start more)."""
    for _ in range(20):
        runner.wait()
        QCoreApplication.processEvents()
        if runner.wait(0):  # the results just delivered started no new job
            return


@pytest.fixture
def open_app(qtbot) -> Iterator[Callable[[Path], Session]]:  # type: ignore[no-untyped-def]
    """``open_app(folder)`` builds a window on a library folder as ``app.run`` does."""
    sessions: list[Session] = []

    def open_(folder: Path) -> Session:
        library = Library.open(folder)
        runner = JobRunner()
        window = MainWindow(library, runner, QSettings())
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        window.start()
        session = Session(window, library, runner)
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.close()


def wait_for_list(qtbot, window: MainWindow, rows: int) -> None:  # type: ignore[no-untyped-def]
    """Until the list shows ``rows`` papers, a row is current and no import is running."""
    qtbot.waitUntil(
        lambda: (
            window.model.rowCount() == rows
            and not window.importer.running
            and window.detail.paper is not None
        ),
        timeout=WAIT_MS,
    )


@pytest.fixture
def seeded(open_app, seeded_folder: Path, qtbot) -> Session:  # type: ignore[no-untyped-def]
    """The app open on a copy of the seed library, its list filled and a paper shown."""
    session = open_app(seeded_folder)
    wait_for_list(qtbot, session.window, SAMPLE_PAPERS)
    return session


def cell(qtbot, window: MainWindow, row: int, column: int, role: int = 0) -> object:  # type: ignore[no-untyped-def]
    """A list cell's data once its row is fetched (rows load in the background)."""
    index = window.model.index(row, column)
    index.data(role)  # asks for the row's window
    qtbot.waitUntil(lambda: window.model.is_loaded(row), timeout=WAIT_MS)
    return index.data(role)


def click_row(qtbot, window: MainWindow, row: int) -> None:  # type: ignore[no-untyped-def]
    """Click a row of the paper list, as a user would."""
    from PySide6.QtCore import Qt

    from reader.gui.models.paper_table import TITLE

    index = window.model.index(row, TITLE)
    window.table.scrollTo(index)
    rect = window.table.visualRect(index)
    assert rect.isValid(), f"row {row} is not on screen"
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def sidebar_items(window: MainWindow) -> dict[str, list[QModelIndex]]:
    """Each top-level sidebar group's text -> every item below it, breadth first."""
    model = window.sidebar_model
    groups: dict[str, list[QModelIndex]] = {}
    for row in range(model.rowCount()):
        group = model.index(row, 0)
        items: list[QModelIndex] = []
        stack = [model.index(r, 0, group) for r in range(model.rowCount(group))]
        while stack:
            index = stack.pop(0)
            items.append(index)
            stack.extend(model.index(r, 0, index) for r in range(model.rowCount(index)))
        groups[group.data()] = items
    return groups


def sidebar_texts(window: MainWindow) -> dict[str, list[str]]:
    """Each top-level sidebar group's text -> the texts of every item below it."""
    return {group: [i.data() for i in items] for group, items in sidebar_items(window).items()}


def sidebar_index(window: MainWindow, group: str, text: str) -> QModelIndex:
    """The sidebar item of ``group`` showing ``text``."""
    return next(i for i in sidebar_items(window)[group] if i.data() == text)
