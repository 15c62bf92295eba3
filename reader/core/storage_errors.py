"""Problems with the library's folder or disk (read-only, full, missing), told apart from
problems with its data, and put in words."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


class LibraryUnavailable(Exception):
    """The library folder cannot be opened: read-only, on a full disk, not a folder…"""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(reason)
        self.folder = folder


# How SQLite words a problem with the folder or the disk rather than with the database.
STORAGE_ERRORS = ("unable to open database", "disk is full", "readonly database", "disk I/O")


def storage_problem(folder: Path, error: BaseException) -> str:
    """Why writing to ``folder`` failed, in words: a read-only folder or a full disk are
    named as such (SQLite only says "unable to open database file" or "disk is full")."""
    detail = (getattr(error, "strerror", None) or str(error)) if error else ""
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    errno_code = getattr(error, "errno", None)
    if errno_code == errno.ENOSPC or "disk is full" in str(error):
        return f"the disk is full ({detail})"
    if existing is None:
        return detail
    if not existing.is_dir():
        return f"{existing} is not a folder ({detail})"
    if errno_code == errno.EROFS or not os.access(existing, os.W_OK):
        return f"the folder is read-only ({detail})"
    if shutil.disk_usage(existing).free < 256 * 1024:
        return f"the disk is full ({detail})"
    return detail
