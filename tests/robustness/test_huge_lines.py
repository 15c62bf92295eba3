"""A multi-MB line costs at most the record it is in, quickly, with a short message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reader.core.model import ParsedRecord, RecordError
from tests.robustness.samples import parse, seeds

MB = 2**20


@pytest.mark.parametrize("fmt", ["hf-page", "hf-api", "bibtex", "arxiv-snapshot"])
def test_a_multi_mb_line_costs_at_most_its_record_with_a_short_message(fmt: str, tmp_path: Path):
    seed = seeds(fmt)[-1]
    good, _ = parse_bytes(fmt, seed, tmp_path / "good")
    huge = b"word " * (MB * 3 // 5)  # 3 MB on one line
    if fmt == "hf-api":  # JSON: in a string (anywhere else it is a syntax error)
        data = seed.replace(b'"summary": "', b'"summary": "' + huge, 1)
    else:  # text and BibTeX: a line of its own between two records
        lines = seed.split(b"\n")
        lines.insert(len(lines) // 2, huge)
        data = b"\n".join(lines)
    start = time.process_time()
    records, errors = parse_bytes(fmt, data, tmp_path / "big")
    assert time.process_time() - start < 10.0
    assert len(records) >= len(good) - 1
    for error in errors:
        assert len(error.message) < 300 and error.position.file.endswith("big")


def parse_bytes(fmt: str, data: bytes, path: Path) -> tuple[list[ParsedRecord], list[RecordError]]:
    path.write_bytes(data)
    return parse(fmt, path)
