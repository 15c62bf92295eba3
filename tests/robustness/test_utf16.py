"""UTF-16 files read like UTF-8: with a BOM (Notepad's "Unicode", Windows PowerShell's ``>``)
or without one (some exporters write plain UTF-16-LE/BE)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.core.importers import ImportOptions, detect_format, importer_for
from tests.robustness.conftest import real_lines
from tests.robustness.samples import parse, seeds


def utf16(text: bytes, codec: str = "utf-16") -> bytes:
    return text.decode("utf-8").encode(codec)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("fmt", ["hf-page", "hf-api", "arxiv-snapshot", "bibtex"])
def test_utf16_files_import_like_utf8(fmt: str, codec: str, tmp_path: Path):
    """Such files used to be read as Windows-1252 and rejected line by line."""
    seed = seeds(fmt)[-1]
    plain, wide = tmp_path / "plain", tmp_path / "wide"
    for folder, data in ((plain, seed), (wide, utf16(seed, codec))):
        folder.mkdir()
        (folder / "2025-01-10.json").write_bytes(data)
    expected, expected_errors = parse(fmt, plain / "2025-01-10.json")
    records, errors = parse(fmt, wide / "2025-01-10.json")
    assert expected and [r.record for r in records] == [r.record for r in expected]
    assert [e.message for e in errors] == [e.message for e in expected_errors]
    assert detect_format(wide / "2025-01-10.json") == detect_format(plain / "2025-01-10.json")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_json_lines_with_an_over_long_line(tmp_path: Path, codec: str):
    lines = real_lines(3)
    path = tmp_path / "snapshot.jsonl"
    huge = json.dumps({"id": "2401.00001", "title": "x" * 5000}).encode() + b"\n"
    path.write_bytes(utf16(lines[0] + huge + lines[1] + lines[2], codec))
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


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Attention is all you need".encode("utf-16-le"), "utf-16-le"),
        ("Attention is all you need".encode("utf-16-be"), "utf-16-be"),
        ("Ünïcödé — 注意力".encode("utf-16"), "utf-16"),
        ("Ünïcödé — 注意力 is all you need".encode(), None),
        ("café au lait".encode("cp1252"), None),
        (bytes(range(256)) * 8, None),  # binary junk: zero bytes at both parities
        (b"\x00" * 64, None),
        (b"a\x00", None),  # too short to tell
    ],
)
def test_utf16_is_recognised_only_when_it_is_utf16(data: bytes, expected: str | None):
    from reader.core.importers.textio import utf16_codec

    assert utf16_codec(data) == expected
