"""The arXiv JSON-lines importer: the Kaggle snapshot, the daily listings, broken lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from reader.core.importers import arxiv_snapshot, importer_for
from reader.core.importers.base import ImportOptions
from reader.core.importers.textio import read_head
from reader.core.model import PaperRecord, ParsedRecord, RecordError

KAGGLE = "arxiv-kaggle-snapshot-sample/arxiv-metadata-oai-snapshot.head200.json"
CS_LISTINGS = "arxiv-daily-listings/cs_ai_listings_sample.jsonl.gz"
GOOD = {"id": "2406.12345", "title": "A Title", "summary": "An abstract.", "authors": ["A B"]}


def run(path: Path, **kwargs: int) -> tuple[list[PaperRecord], list[RecordError]]:
    results = list(arxiv_snapshot.parse(path, ImportOptions(), **kwargs))
    records = [r.record for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def write_lines(tmp_path: Path, lines: list[object], name: str = "papers.jsonl") -> Path:
    """Dicts and lists become JSON; strings are written as they are."""
    path = tmp_path / name
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def by_id(records: list[PaperRecord]) -> dict[str, PaperRecord]:
    return {r.arxiv_id: r for r in records if r.arxiv_id}


def test_registered_under_its_format():
    assert importer_for("arxiv-snapshot") is arxiv_snapshot
    assert arxiv_snapshot.FORMAT == "arxiv-snapshot"


def test_sniff(shared):
    data = shared / "data"
    for name in (KAGGLE, CS_LISTINGS, "arxiv-daily-listings/astro_ph_listings.jsonl.gz"):
        assert arxiv_snapshot.sniff(Path(name).name, read_head(data / name)) >= 0.9, name
    atom = next((data / "arxiv-api-atom" / "new-2026").glob("*.json"))  # {"url", "body"}
    assert arxiv_snapshot.sniff(atom.name, read_head(atom)) == 0
    hf = next((data / "hf-daily-papers" / "samples").glob("*.json"))
    assert arxiv_snapshot.sniff(hf.name, read_head(hf)) == 0
    oai = data / "arxiv-oai-pmh" / "GetRecord_data.xml"
    assert arxiv_snapshot.sniff(oai.name, read_head(oai)) == 0
    # A first line longer than the head is judged by its keys.
    long_line = json.dumps({"id": "2406.1", "summary": "x", "authors": ["A B"] * 5000}).encode()
    assert 0.8 <= arxiv_snapshot.sniff("a.jsonl", long_line[:8192]) < 0.9
    assert arxiv_snapshot.sniff("a.jsonl", b'{"id": 1, "text": "abstract"}\n') == 0
    assert 0 < arxiv_snapshot.sniff("a.txt", b'{"id": "1", "abstract": "x"}\n') < 0.9


def test_kaggle_sample(shared):
    path = shared / "data" / KAGGLE
    records, errors = run(path)
    assert errors == []
    assert len(records) == 200
    assert [r.listing.position for r in records if r.listing] == list(range(1, 201))
    papers = by_id(records)
    first = papers["0704.0001"]
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.doi == "10.1103/physrevd.76.013009"
    assert first.categories == ["hep-ph"]
    assert (first.published, first.updated) == ("2007-04-02", "2007-07-24")
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.comments == "37 pages, 15 figures; published version"
    assert first.abstract.startswith("A fully differential calculation in perturbative")
    assert first.abstract.endswith("judicious selection of events.")
    assert "\n" not in first.abstract
    assert first.listing is not None
    assert (first.listing.source, first.listing.kind, first.listing.listed_on) == (
        path.name,
        "arxiv-snapshot",
        "",
    )
    second = papers["0704.0002"]
    assert second.categories == ["math.CO", "cs.CG"]  # primary first
    assert "$(k,\\ell)$-pebble game" in second.abstract  # LaTeX kept literally
    assert second.doi is None and second.journal_ref is None
    assert papers["0704.0062"].authors == ["Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař"]
    assert papers["0704.0009"].authors[-2:] == ["Neal J. Evans II", "Philip C. Myers"]


def test_kaggle_authors_string_without_authors_parsed(tmp_path):
    line = {
        "id": "0704.0001",
        "title": "T",
        "abstract": "A",
        "authors": "C. Bal\\'azs, Mikkel {\\O}bro (1 and 2), J. Smith, Jr. and X. Y\\\"u ((1)"
        " CREST, Japan\n  Science, (2) Tokyo), et al",
    }
    [paper], _ = run(write_lines(tmp_path, [line]))
    assert paper.authors == ["C. Balázs", "Mikkel Øbro", "J. Smith Jr.", "X. Yü"]


def test_kaggle_versions_and_update_date(tmp_path):
    base = {"id": "hep-th/9901001", "title": "T", "abstract": "A"}
    lines = [
        base | {"versions": [{"version": "v1", "created": "Sat, 31 Mar 2007 02:26:18 GMT"}]},
        base | {"versions": [], "update_date": "2008-12-13"},
        base | {"versions": [{"version": "v1", "created": "not a date"}]},
    ]
    records, errors = run(write_lines(tmp_path, lines))
    assert errors == []
    assert [(r.published, r.updated) for r in records] == [
        ("2007-03-31", "2007-03-31"),
        ("1999-01", "2008-12-13"),  # no versions: the month from the id
        ("1999-01", None),
    ]


def test_all_cs_daily_listings(shared):
    records, errors = run(shared / "data" / CS_LISTINGS)
    assert errors == []
    assert len(records) == 25_034
    assert all(r.title and r.abstract and r.authors and r.categories for r in records)
    assert all(r.published and r.abs_url and r.pdf_url for r in records)
    paper = by_id(records)["1907.00326"]
    assert paper.title == (
        "Observing Dialogue in Therapy: Categorizing and Forecasting Behavioral Codes"
    )
    assert paper.authors[:2] == ["Jie Cao", "Michael Tanana"] and len(paper.authors) == 6
    assert paper.categories == ["cs.CL", "cs.AI", "cs.HC", "cs.LG"]
    assert paper.comments == "Accepted to ACL 2019"
    assert paper.abstract.startswith("Automatically analyzing dialogue can help understand")
    assert "\n" not in paper.abstract
    assert (paper.published, paper.updated) == ("2019-07", None)  # from the id only
    assert paper.abs_url == "https://arxiv.org/abs/1907.00326"
    assert paper.pdf_url == "https://arxiv.org/pdf/1907.00326"
    assert paper.doi is None and paper.journal_ref is None


def test_bad_lines_are_reported_and_the_rest_import(tmp_path):
    lines: list[object] = [
        GOOD,
        '{"id": "2406.00002", "title": ',
        "",
        "[1, 2, 3]",
        GOOD | {"title": 42},
        {"title": "No id", "summary": "x"},
        GOOD | {"title": "  "},
        GOOD | {"id": "not-an-id"},
        GOOD | {"authors": {"name": "A"}},
        GOOD | {"categories": ["cs.AI", 3]},
        GOOD | {"versions": "v1"},
        GOOD | {"authors_parsed": [["Last", 1]]},
        "   ",
        GOOD | {"id": "2406.99999"},
    ]
    records, errors = run(write_lines(tmp_path, lines))
    assert [(r.arxiv_id, r.listing.position if r.listing else None) for r in records] == [
        ("2406.12345", 1),
        ("2406.99999", 14),
    ]
    assert [(e.position.line, e.message) for e in errors] == [
        (2, "invalid JSON: Expecting value at column 31"),
        (4, "expected a JSON object, found a list"),
        (5, '"title" should be a string, not a number'),
        (6, 'the record has no "id"'),
        (7, 'the record has no "title"'),
        (8, "\"id\" 'not-an-id' is not an arXiv id"),
        (9, '"authors" should be a string or a list of strings, not an object'),
        (10, '"categories" should be a string or a list of strings, not a list'),
        (11, '"versions" should be a list of {"version", "created"} objects'),
        (12, '"authors_parsed" should be a list of [last, first, suffix] lists'),
    ]
    assert all(not e.fatal and e.position.file == str(tmp_path / "papers.jsonl") for e in errors)


def test_over_long_line_is_skipped(tmp_path):
    lines = [GOOD, GOOD | {"summary": "x" * 500}, GOOD | {"id": "2406.00003"}]
    records, errors = run(write_lines(tmp_path, lines), max_line_bytes=300)
    assert [r.arxiv_id for r in records] == ["2406.12345", "2406.00003"]
    [error] = errors
    assert error.message == "line 2 is longer than 300 bytes; skipped"
    assert error.position.line == 2 and not error.fatal


def test_default_limit_is_16_mb(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:
        f.write(b'{"id": "2406.00001", "title": "T", "summary": "' + b"x" * 2**24 + b'"}\n')
        f.write(json.dumps(GOOD).encode() + b"\n")
    records, [error] = run(path)
    assert [r.arxiv_id for r in records] == ["2406.12345"]
    assert error.message == "line 1 is longer than 16 MB; skipped"


def test_crlf_bom_and_markup(tmp_path):
    line = GOOD | {
        "title": "A <b>bold</b>\r\n  title",
        "summary": "<script>alert('x')</script> &amp; one\r\ntwo",
    }
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(line) + "\r\n").encode() * 2)
    records, errors = run(path)
    assert errors == []
    assert len(records) == 2
    assert records[0].title == "A <b>bold</b> title"
    assert records[0].abstract == "<script>alert('x')</script> &amp; one two"


def test_legacy_encoding_is_read_with_one_warning(tmp_path):
    line = json.dumps(GOOD | {"title": "Café Naïve"}, ensure_ascii=False)
    path = tmp_path / "legacy.jsonl"
    path.write_bytes((line + "\n" + line + "\n").encode("cp1252"))
    records, errors = run(path)
    assert [r.title for r in records] == ["Café Naïve"] * 2
    [warning] = errors
    assert warning.warning and warning.position.line == 1


def test_gzip_and_truncated_gzip(tmp_path):
    lines = "".join(json.dumps(GOOD | {"id": f"2406.{i:05d}"}) + "\n" for i in range(2000))
    data = gzip.compress(lines.encode())
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(data)
    assert len(run(whole)[0]) == 2000
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    records, errors = run(cut)
    assert 0 < len(records) < 2000
    assert errors[-1].fatal and "cannot read the file" in errors[-1].message
    assert all(e.position.file == str(cut) for e in errors)


def test_empty_and_blank_files(tmp_path):
    for content in (b"", b"\n  \n\r\n"):
        path = tmp_path / "empty.jsonl"
        path.write_bytes(content)
        records, [error] = run(path)
        assert records == []
        assert error.fatal and error.message == "the file is empty"
        assert error.position.file == str(path)


def test_junk_bytes(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_bytes(bytes(range(256)) * 8)
    records, errors = run(path)
    assert records == []
    assert errors
    assert all(e.warning or e.message.startswith("invalid JSON") for e in errors)
