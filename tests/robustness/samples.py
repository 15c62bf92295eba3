"""Excerpts of real files in each import format, small enough to mutate thousands of times."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import pytest

from reader.core.importers import ImportOptions, importer_for
from reader.core.model import ParsedRecord, RecordError
from tests.conftest import SEEDS, SHARED


def parse(fmt: str, path: Path) -> tuple[list[ParsedRecord], list[RecordError]]:
    """The records and the errors one importer reads from ``path``."""
    results = list(importer_for(fmt).parse(path, ImportOptions(year=2024)))
    records = [r for r in results if isinstance(r, ParsedRecord)]
    return records, [r for r in results if isinstance(r, RecordError)]


def _data(name: str) -> Path:
    if SHARED is None:
        pytest.skip("../shared data not found; set PAPER_READER_SHARED")
    return SHARED / "data" / name


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _head_lines(data: bytes, lines: int) -> bytes:
    return b"".join(data.splitlines(keepends=True)[:lines])


def _head_at(data: bytes, size: int, boundary: bytes) -> bytes:
    """The first ``size`` bytes, cut before the next ``boundary`` (a record start)."""
    cut = data.find(boundary, size)
    return data if cut < 0 else data[:cut]


def _oai_excerpt(data: bytes, records: int) -> bytes:
    """A real ListRecords page shortened to its first records, still well-formed."""
    end = 0
    for _ in range(records):
        end = data.index(b"</record>", end) + len(b"</record>")
    return data[:end] + b"\n\t</ListRecords>\n</OAI-PMH>\n"


@cache
def seeds(fmt: str) -> tuple[bytes, ...]:
    """Excerpts of real files of one format (small, so that thousands of examples run)."""
    if fmt == "hf-page":
        return tuple(_head_at(p.read_bytes(), 6000, b"\n\n") for p in sorted(SEEDS.glob("*.txt")))
    if fmt == "hf-api":
        samples = sorted(_data("hf-daily-papers/samples").glob("*.json"))
        heads = [_head_at(p.read_bytes(), 12000, b"\n    {") for p in samples]
        return (*heads, _data("hf-daily-papers/samples/2025-01-10.json").read_bytes())
    if fmt == "arxiv-atom":
        small = [
            p
            for folder in ("legacy-2016", "new-2026")
            for p in sorted(_data(f"arxiv-api-atom/{folder}").glob("*.xml"))
            if p.stat().st_size < 26000
        ]
        return tuple(p.read_bytes() for p in small[:8])
    if fmt == "arxiv-oai":
        listing = _read(_data("arxiv-oai-pmh/ListRecords_data_2.xml.gz"))
        return (
            _data("arxiv-oai-pmh/GetRecord_data.xml").read_bytes(),
            _oai_excerpt(listing, 4),
            _data("arxiv-oai-pmh/ListIdentifiers_data.xml.gz").read_bytes(),  # gzip, as saved
        )
    if fmt == "arxiv-snapshot":
        kaggle = _data("arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json")
        return (
            _head_lines(kaggle.read_bytes(), 12),
            _head_lines(_read(_data("arxiv-daily-listings/cs_ai_listings_sample.jsonl.gz")), 8),
            _head_lines(_read(_data("arxiv-daily-listings/astro_ph_listings.jsonl.gz")), 4),
        )
    if fmt == "bibtex":
        folder = _data("bibtex-zotero-bbt/bibtex")
        names = ("bbt-873_library_394.bib", "bbt-mendeley-export_465.bib", "d2l-en_d2l.bib")
        files = [folder / n for n in names] + [folder / "iridia-references" / "crossref.bib"]
        return tuple(_head_at(p.read_bytes(), 5000, b"\n@") for p in files)
    raise KeyError(fmt)
