"""Paper Reader: an offline desktop reader for research papers."""

from __future__ import annotations

from functools import cache


@cache
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paper-reader")
    except PackageNotFoundError:  # a bare checkout on sys.path, never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    """``reader.__version__``: the one version source is pyproject.toml, read from the
    installed metadata (which the PyInstaller bundle copies) only when asked: importing
    importlib.metadata costs ~50 ms, on every CLI command otherwise."""
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'reader' has no attribute {name!r}")
