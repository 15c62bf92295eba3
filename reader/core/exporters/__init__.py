"""Exporters: the library written out in formats other tools read."""

from __future__ import annotations

from collections.abc import Sequence

from reader.core.model import Paper

FORMATS = ("bibtex", "csl-json")


def export_papers(papers: Sequence[Paper], fmt: str) -> str:
    """The papers in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "bibtex":
        from reader.core.exporters.bibtex import to_bibtex

        return to_bibtex(papers)
    if fmt == "csl-json":
        from reader.core.exporters.csl_json import to_csl_json

        return to_csl_json(papers)
    raise ValueError(f"unknown export format {fmt!r}; choose bibtex or csl-json")
