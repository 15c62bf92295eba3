"""Problems with the library's folder or disk (read-only, full, missing), told apart from
problems with its data, and put in words.

An error is classified by what it is, never by its message: SQLite's error code
(``sqlite_errorcode``, whose low byte is the primary code: SQLITE_FULL, SQLITE_READONLY …)
or the OS's ``errno``. A message can quote anything (a trigger's ``RAISE``, a file name).
"""

from __future__ import annotations

import enum
import errno
import os
import shutil
import sqlite3
from pathlib import Path


class LibraryUnavailable(Exception):
    """The library folder cannot be opened: read-only, on a full disk, not a folder…"""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(reason)
        self.folder = folder


class StorageKind(enum.Enum):
    """What is wrong with the place the data lives (not with the data)."""

    FULL = "full"
    READ_ONLY = "read-only"
    CANNOT_OPEN = "cannot open"
    IO = "I/O"


_SQLITE_KINDS = {
    sqlite3.SQLITE_FULL: StorageKind.FULL,
    sqlite3.SQLITE_READONLY: StorageKind.READ_ONLY,
    sqlite3.SQLITE_CANTOPEN: StorageKind.CANNOT_OPEN,
    sqlite3.SQLITE_IOERR: StorageKind.IO,
}
_ERRNO_KINDS = {
    errno.ENOSPC: StorageKind.FULL,
    errno.EDQUOT: StorageKind.FULL,
    errno.EROFS: StorageKind.READ_ONLY,
    errno.EIO: StorageKind.IO,
}


def primary_code(error: BaseException) -> int | None:
    """SQLite's primary result code of an error SQLite raised (None for any other error)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(error, sqlite3.Error) and code is not None else None


def storage_kind(error: BaseException) -> StorageKind | None:
    """What the error says about the disk or folder, or None if it is about something else
    (damaged data, a constraint, a bug)."""
    if isinstance(error, sqlite3.Error):
        code = primary_code(error)
        return None if code is None else _SQLITE_KINDS.get(code)
    if isinstance(error, OSError) and error.errno is not None:
        return _ERRNO_KINDS.get(error.errno)
    return None


def is_storage_error(error: BaseException) -> bool:
    """Whether opening or writing failed because of the folder or the disk: any OSError
    (the folder itself) or an SQLite error about the file's storage, not its contents."""
    return isinstance(error, OSError) or storage_kind(error) is not None


def storage_problem(folder: Path, error: BaseException) -> str:
    """Why writing to ``folder`` failed, in words: a read-only folder or a full disk are
    named as such (SQLite only says "unable to open database file" or "disk is full")."""
    detail = (getattr(error, "strerror", None) or str(error)) if error else ""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    kind = storage_kind(error)
    if kind is StorageKind.FULL:
        return f"the disk is full ({detail})"
    if existing is None:
        return detail
    if not existing.is_dir():
        return f"{existing} is not a folder ({detail})"
    read_only_disk = kind is StorageKind.READ_ONLY and isinstance(error, OSError)  # EROFS
    if read_only_disk or not os.access(existing, os.W_OK):
        return f"the folder is read-only ({detail})"
    if shutil.disk_usage(existing).free < 256 * 1024:
        return f"the disk is full ({detail})"
    return detail
