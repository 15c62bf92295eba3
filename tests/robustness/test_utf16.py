"""UTF-16 files with a BOM (Notepad's "Unicode", Windows PowerShell's ``>``) read like UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.core.importers import ImportOptions, detect_format, importer_for
from tests.robustness.conftest import real_lines
from tests.robustness.samples import parse, seeds


def utf16(text: bytes, codec: str = "utf-16") -> bytes:
    return text.decode("utf-8").encode(codec)


@pytest.mark.parametrize("fmt", ["hf-page", "hf-api", "arxiv-snapshot", "bibtex"])
def test_utf16_files_import_like_utf8(fmt: str, tmp_path: Path):
    """Notepad's "Unicode" and PowerShell's ``>`` write UTF-16 with a BOM; those files
    used to be read as Windows-1252 and rejected line by line."""
    seed = seeds(fmt)[-1]
    plain, wide = tmp_path / "plain", tmp_path / "wide"
    for folder, data in ((plain, seed), (wide, utf16(seed))):
        folder.mkdir()
        (folder / "2025-01-10.json").write_bytes(data)
    expected, expected_errors = parse(fmt, plain / "2025-01-10.json")
    records, errors = parse(fmt, wide / "2025-01-10.json")
    assert expected and [r.record for r in records] == [r.record for r in expected]
    assert [e.message for e in errors] == [e.message for e in expected_errors]
    assert detect_format(wide / "2025-01-10.json") == detect_format(plain / "2025-01-10.json")


def test_utf16_json_lines_with_an_over_long_line(tmp_path: Path):
    lines = real_lines(3)
    path = tmp_path / "snapshot.jsonl"
    huge = json.dumps({"id": "2401.00001", "title": "x" * 5000}).encode() + b"\n"
    path.write_bytes(utf16(lines[0] + huge + lines[1] + lines[2], "utf-16"))
    fmt = importer_for("arxiv-snapshot")
    results = list(fmt.parse(path, ImportOptions(), max_line_bytes=2000))  # type: ignore[call-arg]
    assert [type(r).__name__ for r in results] == [
        "ParsedRecord",
        "RecordError",
        "ParsedRecord",
        "ParsedRecord",
    ]
    assert results[1].position.line == 2 and "longer than" in results[1].message  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["arxiv-atom", "arxiv-oai"])
def test_utf16_xml_that_says_so_imports(fmt: str, tmp_path: Path):
    seed = seeds(fmt)[0]
    (tmp_path / "wide").mkdir()
    path = tmp_path / "wide" / "feed.xml"
    path.write_bytes(utf16(seed.replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1)))
    plain = tmp_path / "feed.xml"
    plain.write_bytes(seed)
    assert [r.record for r in parse(fmt, path)[0]] == [r.record for r in parse(fmt, plain)[0]]
    assert detect_format(path) == fmt
