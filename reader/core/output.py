"""Files the app writes at a user's request (exports): never over the library, never over a
file unless asked, never half-written.

``export -o LIBRARY/library.sqlite`` once replaced the live database with BibTeX text.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class RefusedOutput(ValueError):
    """An output path the app will not write; the message says why."""


def check_output(path: Path, library_folder: Path, overwrite: bool = False) -> Path:
    """``path``, or ``RefusedOutput`` when it lies inside the library folder (through any
    symlink) or names an existing file and ``overwrite`` is False."""
    target = path.expanduser().resolve()
    folder = library_folder.resolve()
    if target == folder or target.is_relative_to(folder):
        raise RefusedOutput(
            f"{path}: inside the library folder ({folder}); choose a file elsewhere"
        )
    if target.is_dir():
        raise RefusedOutput(f"{path}: is a folder; give a file name")
    if target.exists() and not overwrite:
        raise RefusedOutput(f"{path}: already exists (use --force to replace it)")
    return target


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it into place:
    a crash or a full disk leaves the old file, never half of the new one."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
