"""Long library work in a child ``paper-reader`` process, shown in the status bar with Cancel.

Parsing, Whoosh indexing and embedding are CPU-bound Python that would hold the GIL for long
stretches; in another process they cannot stall the window. The child prints JSON progress
lines (``{"progress": {...}}``) on stderr and its result on stdout; Cancel sends SIGTERM, on
which the CLI stops after its current batch with the library consistent.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment
from PySide6.QtWidgets import QMainWindow

from reader.core.library import Library
from reader.gui.widgets.task_status import TaskStatus


def reader_command(*args: str) -> tuple[str, list[str]]:
    """How to run the ``paper-reader`` CLI as a background child process, from a checkout
    or a bundle (at a low CPU priority: on a two-core laptop the window must not wait for a
    core while an import or the embedding runs)."""
    if getattr(sys, "frozen", False):  # PyInstaller: the app binary is the CLI too
        return sys.executable, ["--background", *args]
    return sys.executable, ["-m", "reader", "--background", *args]


def json_output(output: bytes) -> dict[str, Any] | None:
    """The child's JSON result on stdout, or None when it printed none (it failed)."""
    try:
        value = json.loads(output)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ChildTask(QObject):
    """One ``paper-reader`` command at a time, with a status-bar widget: label, bar, Cancel.

    Subclasses name the work (``WHAT``), start it with ``run`` and override ``on_progress``,
    ``on_finished`` and ``on_failed_to_start``; the window lists each one in its ``tasks``,
    which puts its ``widget`` in the status bar and stops it when the window closes.
    """

    WHAT = "Task"  # for the bar's and the Cancel button's accessible names
    BAR_WIDTH = 180

    def __init__(self, window: QMainWindow, library: Library) -> None:
        super().__init__(window)
        self.window, self.library = window, library
        self.process: QProcess | None = None
        self.widget = TaskStatus(self.WHAT, self.BAR_WIDTH)  # the window puts it in its status bar
        status = self.widget  # its parts, which subclasses write their progress to:
        self.label, self.bar, self.cancel_button = status.label, status.bar, status.cancel_button
        self.cancel_button.clicked.connect(self.cancel)
        self.cancelling = False  # progress no longer updates the label once Cancel was asked
        self._stderr_tail = b""
        self.other_stderr: list[str] = []  # stderr lines that were not progress (errors)

    @property
    def running(self) -> bool:
        return self.process is not None

    def run(self, *args: str, environment: dict[str, str] | None = None) -> None:
        """Start ``paper-reader --library <this library> *args`` (``environment``: added to
        the child's, e.g. a password that must not show in its arguments)."""
        self.cancelling = False
        self.bar.setRange(0, 0)
        self.widget.setVisible(True)
        self._stderr_tail = b""
        self.other_stderr = []
        process = self.process = QProcess(self)
        process.readyReadStandardError.connect(self._read_progress)
        process.finished.connect(self._done)
        process.errorOccurred.connect(self._error)
        if environment:
            env = QProcessEnvironment.systemEnvironment()
            for name, value in environment.items():
                env.insert(name, value)
            process.setProcessEnvironment(env)
        program, arguments = reader_command("--library", str(self.library.folder), *args)
        process.start(program, arguments)

    def cancel(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: the child stops after its current batch
            self.cancelling = True
            self.label.setText("Cancelling…")

    def wait(self, msecs: int = 60_000) -> None:
        if self.process is not None:
            self.process.waitForFinished(msecs)

    # -- for subclasses ----------------------------------------------------------------------

    def on_progress(self, progress: dict[str, Any]) -> None:
        raise NotImplementedError

    def on_finished(self, exit_code: int, output: bytes) -> None:
        raise NotImplementedError

    def on_failed_to_start(self) -> None:
        raise NotImplementedError

    # -- the process ---------------------------------------------------------------------------

    def _read_progress(self) -> None:
        assert self.process is not None
        self._stderr_tail += bytes(self.process.readAllStandardError().data())
        *lines, self._stderr_tail = self._stderr_tail.split(b"\n")
        for line in lines:
            try:
                data = json.loads(line)["progress"]
            except (ValueError, KeyError, TypeError):
                self.other_stderr.append(line.decode("utf-8", "replace"))
                continue
            if not self.cancelling:
                self.on_progress(data)

    def _finish(self) -> bytes:
        process, self.process = self.process, None
        self.widget.setVisible(False)
        out = bytes(process.readAllStandardOutput().data()) if process else b""
        if process:
            process.deleteLater()
        return out

    def _done(self, exit_code: int, _status: QProcess.ExitStatus) -> None:
        output = self._finish()
        self.on_finished(exit_code, output)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._finish()
            self.on_failed_to_start()
