"""Every importer, fed broken versions of real files, keeps its protocol and never raises.

The protocol (``reader.core.importers.base.Importer``): ``parse`` yields records and errors
and never raises; an error names the file and, unless it is about the whole file, the line
or record; after a fatal error nothing more comes; every record it yields that passes
``reader.core.vetting.vet`` (as each record does on its way to the store) can be stored.
``sniff`` answers 0..1 and format detection raises nothing but ``UnknownFormat``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given

from reader.core.importers import FORMATS, ImportOptions, UnknownFormat, detect_format, importer_for
from reader.core.importers.textio import read_head
from reader.core.model import ParsedRecord, RecordError
from reader.core.store import Store
from reader.core.vetting import Unstorable, vet
from tests.conftest import SHARED
from tests.robustness.fuzzing import broken_files, fuzz_settings

pytestmark = pytest.mark.skipif(SHARED is None, reason="../shared data not found")

FILE_NAMES = {
    "hf-page": "daily-papers.txt",
    "hf-api": "2025-01-10.json",
    "arxiv-atom": "feed.xml",
    "arxiv-oai": "ListRecords.xml",
    "arxiv-snapshot": "snapshot.jsonl",
    "bibtex": "refs.bib",
}


def assert_protocol(results: list[object], path: Path) -> list[ParsedRecord]:
    """The importer protocol holds for one parse; returns the records."""
    fatal_seen = False
    records = []
    for item in results:
        assert isinstance(item, ParsedRecord | RecordError), type(item)
        assert not fatal_seen, f"{item!r} came after a fatal error"
        if isinstance(item, RecordError):
            assert isinstance(item.message, str) and item.message.strip()
            assert item.position.file == str(path)
            fatal_seen = item.fatal
            if not (item.fatal or item.warning):  # a rejected record says where it was
                assert item.position.line or item.position.record, item
            continue
        assert item.position.file == str(path)
        assert item.position.line or item.position.record
        record = item.record
        assert isinstance(record.title, str) and record.title.strip()
        assert "\n" not in record.title and record.title == record.title.strip()
        assert isinstance(record.abstract, str)
        assert all(isinstance(a, str) and a.strip() for a in record.authors), record.authors
        assert all(isinstance(c, str) for c in record.categories)
        for name in ("arxiv_id", "doi", "published", "updated", "comments", "journal_ref"):
            assert getattr(record, name) is None or isinstance(getattr(record, name), str)
        assert record.upvotes is None or type(record.upvotes) is int
        assert record.listing is not None and record.listing.position >= 1
        records.append(item)
    return records


def storable(parsed: ParsedRecord) -> bool:
    try:
        vet(parsed.record)
    except Unstorable:
        return False
    return True


@pytest.mark.parametrize("fmt", FORMATS)
def test_broken_files_never_break_the_importer_protocol(fmt: str, tmp_path: Path):
    importer = importer_for(fmt)
    store = Store(tmp_path / "fuzz.sqlite")  # records of every example go to one store
    stats = {"examples": 0, "records": 0, "errors": 0, "fatal": 0}

    @fuzz_settings()
    @given(data=broken_files(fmt))
    def parse_broken(data: bytes) -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
            path = Path(folder) / FILE_NAMES[fmt]
            path.write_bytes(data)
            results = list(importer.parse(path, ImportOptions(year=2024)))
            records = assert_protocol(results, path)
            store.write_records([r.record for r in records if storable(r)], None)
            head = read_head(path)
            for other in FORMATS:
                assert 0.0 <= importer_for(other).sniff(path.name, head) <= 1.0
            try:
                assert detect_format(path) in FORMATS
            except UnknownFormat as e:
                assert str(e)
        stats["examples"] += 1
        stats["records"] += len(records)
        stats["errors"] += sum(isinstance(r, RecordError) for r in results)
        stats["fatal"] += sum(isinstance(r, RecordError) and r.fatal for r in results)

    parse_broken()
    store.close()
    print(f"fuzz {fmt}: {stats}")
    assert stats["examples"] >= 10
