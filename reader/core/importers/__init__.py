"""Importers, one module per format, and format detection."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from reader.core.importers.base import Importer, ImportOptions
from reader.core.importers.textio import read_head_checked

# Format name (as given to ``--format``) -> module implementing the Importer protocol.
FORMAT_MODULES: dict[str, str] = {
    "hf-page": "reader.core.importers.hf_page",
    "hf-api": "reader.core.importers.hf_api",
    "arxiv-atom": "reader.core.importers.arxiv_atom",
    "arxiv-oai": "reader.core.importers.arxiv_oai",
    "arxiv-snapshot": "reader.core.importers.arxiv_snapshot",
    "bibtex": "reader.core.importers.bibtex",
}
FORMATS = tuple(FORMAT_MODULES)

__all__ = ["FORMATS", "ImportOptions", "Importer", "UnknownFormat", "detect_format", "importer_for"]


class UnknownFormat(Exception):
    """The file's format could not be recognised; the user should pass ``--format``."""


def importer_for(fmt: str) -> Importer:
    try:
        return import_module(FORMAT_MODULES[fmt])  # type: ignore[return-value]
    except KeyError:
        raise UnknownFormat(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def detect_format(path: Path) -> str:
    """Pick the format whose importer is most confident about this file."""
    try:
        head, damaged = read_head_checked(path)
    except OSError as e:
        raise UnknownFormat(f"{path}: cannot read: {e.strerror or e}") from None
    if not head.strip():
        if damaged:
            raise UnknownFormat(f"{path}: the compressed (gzip) data is damaged or cut short")
        raise UnknownFormat(f"{path}: the file is empty")
    scores = {fmt: importer_for(fmt).sniff(path.name, head) for fmt in FORMATS}
    best = max(scores, key=lambda f: scores[f])
    if scores[best] <= 0:
        raise UnknownFormat(
            f"{path}: cannot tell the format; pass --format (one of {', '.join(FORMATS)})"
        )
    return best
