"""Where libraries live: the platform's user data folder unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

ENV_LIBRARY = "PAPER_READER_LIBRARY"
APP_NAME = "paper-reader"


def default_library_dir() -> Path:
    """``$PAPER_READER_LIBRARY``, else ``<user data dir>/paper-reader/library``."""
    override = os.environ.get(ENV_LIBRARY)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "library"
