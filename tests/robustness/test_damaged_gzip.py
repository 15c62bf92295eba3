"""A damaged gzip file is reported as that file's error; it never stops an import."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reader.core.importers import FORMATS, UnknownFormat, detect_format
from reader.core.library import Library
from tests.robustness.conftest import real_lines
from tests.robustness.samples import parse, seeds


def test_a_damaged_gzip_fails_alone_and_the_other_files_import(tmp_path: Path):
    """Format detection used to let zlib.error out, which stopped the whole import."""
    data = bytearray(gzip.compress(b"".join(real_lines(50))))
    data[100] ^= 0xFF  # one flipped byte in the deflate stream
    damaged = tmp_path / "listings.jsonl.gz"
    damaged.write_bytes(bytes(data))
    good = tmp_path / "more.jsonl"
    good.write_bytes(b"".join(real_lines(60)[50:]))
    with Library(tmp_path / "lib") as library:
        report = library.import_files([damaged, good])
    assert report.failed_files == [str(damaged)]
    assert report.added == 10
    [error] = report.errors
    assert error.fatal and "gzip" in error.message and "damaged" in error.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_damaged_gzip_of_any_format_is_reported_not_raised(fmt: str, tmp_path: Path):
    data = bytearray(gzip.compress(seeds(fmt)[0]))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "damaged.gz"
    path.write_bytes(bytes(data))
    _, errors = parse(fmt, path)
    assert errors and errors[-1].fatal and "cannot read" in errors[-1].message
    try:
        assert detect_format(path) in FORMATS  # from the data before the damage
    except UnknownFormat as e:  # the damage is in the first block
        assert "damaged" in str(e)
