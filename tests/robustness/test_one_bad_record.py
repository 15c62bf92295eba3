"""One bad record costs only itself, and one file's fatal problem only that file.

A value the store cannot take (a lone surrogate, an integer beyond 64 bits, NaN, a control
character in an id) used to abort the whole batch or file with exit 2 and no line named; an
XML file in a multi-byte encoding stopped a multi-file import before its next file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader.core import importing
from reader.core.importers import ImportOptions
from reader.core.library import Library
from reader.core.model import Listing, PaperRecord, ParsedRecord, SourcePosition
from reader.core.store import Store
from reader.core.vetting import MAX_ABSTRACT, MAX_AUTHORS, MAX_TITLE, Unstorable, vet
from tests.robustness.fuzzing import fuzz_settings


def hf_items(bad: str) -> str:
    """Three Daily Papers API items; ``bad`` is spliced into the second item's paper."""
    items = []
    for i in (1, 2, 3):
        paper = f'"id": "2401.0000{i}", "title": "Paper number {i}", "upvotes": 3'
        if i == 2:
            paper = bad
        items.append(f'{{"paper": {{{paper}, "authors": [{{"name": "A B"}}]}}}}')
    return "[\n" + ",\n".join(items) + "\n]\n"


def snapshot_lines(bad: str) -> str:
    lines = []
    for i in (1, 2, 3):
        fields = f'"id": "2401.0001{i}", "title": "Snapshot paper {i}"'
        line = bad if i == 2 else fields
        if '"abstract"' not in line:
            line += ', "abstract": "A"'
        lines.append("{" + line + ', "authors": "A B"}')
    return "\n".join(lines) + "\n"


def bibtex_entries(bad: str) -> str:
    entries = []
    for i in (1, 2, 3):
        fields = f"title = {{BibTeX paper {i}}}, doi = {{10.1000/x{i}}}"
        entries.append(f"@article{{key{i},\n  {bad if i == 2 else fields}\n}}\n")
    return "\n".join(entries)


CASES = {
    "hf lone surrogate": ("daily.json", hf_items(r'"id": "2401.00002", "title": "Bad \ud800"')),
    "hf 97-bit upvotes": ("daily.json", hf_items('"title": "Big", "upvotes": ' + "9" * 29)),
    "hf 5000-digit upvotes": ("daily.json", hf_items('"title": "Huge", "upvotes": ' + "9" * 5000)),
    "hf NaN upvotes": ("daily.json", hf_items('"title": "NaN", "upvotes": NaN')),
    "hf Infinity upvotes": ("daily.json", hf_items('"title": "Inf", "upvotes": -Infinity')),
    "snapshot lone surrogate": (
        "snap.jsonl",
        snapshot_lines(r'"id": "2401.00012", "title": "Bad \udfff title"'),
    ),
    "snapshot surrogate in abstract": (
        "snap.jsonl",
        snapshot_lines(r'"id": "2401.00012", "title": "T", "abstract": "x \udc80"'),
    ),
    "bibtex control character in a DOI": (
        "refs.bib",
        bibtex_entries("title = {Bad DOI}, doi = {10.1000/a\x01b}"),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_record_the_store_cannot_take_is_rejected_alone(case: str, tmp_path: Path):
    name, text = CASES[case]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    after = tmp_path / "after.jsonl"  # a file after it in the same command still imports
    after.write_text(
        '{"id": "2402.00001", "title": "The file after", "abstract": "A", "authors": "C D"}\n'
    )
    with Library(tmp_path / "lib") as library:
        report = library.import_files([path, after])
        assert (report.added, report.rejected) == (3, 1), report.errors
        [error] = [e for e in report.errors if not e.warning]
        assert error.position.file == str(path)
        assert error.position.line == {"daily.json": 3, "snap.jsonl": 2, "refs.bib": 5}[name]
        assert not error.fatal
        titles = {p.title for p in library.papers(list(library.store.all_ids()))}
        assert "The file after" in titles


@pytest.mark.parametrize("encoding", ["Shift_JIS", "EUC-JP", "GB2312", "UTF-7", "Big5"])
def test_xml_in_a_multi_byte_encoding_imports(encoding: str, tmp_path: Path):
    feed = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<entry><id>http://arxiv.org/abs/2401.00001v1</id>\n"
        "<title>中文 title</title><summary>Abstract text</summary>\n"
        "<author><name>Zhang San</name></author></entry>\n</feed>\n"
    )
    path = tmp_path / "feed.xml"
    path.write_bytes(feed.encode(encoding))
    with Library(tmp_path / "lib") as library:
        report = library.import_files([path])
        assert report.added == 1 and not report.errors, report.errors
        assert library.paper("2401.00001").title == "中文 title"


def test_xml_that_is_not_in_its_declared_encoding_fails_alone(tmp_path: Path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        b'<?xml version="1.0" encoding="Shift_JIS"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>\x81\x7f\xfc\xfc</title></feed>"
    )
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "2402.00001", "title": "Good", "abstract": "A", "authors": "C D"}\n')
    with Library(tmp_path / "lib") as library:
        report = library.import_files([bad, good])
        assert report.added == 1 and report.failed_files == [str(bad)]
        [error] = report.errors
        assert error.fatal and "cannot read the file's text" in error.message


def test_a_parser_failing_unexpectedly_ends_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Whatever a parser raises (a problem no importer foresaw) ends that file alone."""
    from reader.core.importers import arxiv_snapshot

    real_parse = arxiv_snapshot.parse

    def parse_then_fail(path: Path, options: ImportOptions) -> Iterator[object]:
        results = real_parse(path, options)
        yield next(results)
        if path.name == "first.jsonl":
            raise ValueError("something no importer foresaw")
        yield from results

    monkeypatch.setattr(arxiv_snapshot, "parse", parse_then_fail)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(snapshot_lines('"id": "2401.00012", "title": "Two"'))
    second.write_text(
        '{"id": "2402.00001", "title": "Second", "abstract": "A", "authors": "C D"}\n'
    )
    with Library(tmp_path / "lib") as library:
        report = library.import_files([first, second], fmt="arxiv-snapshot")
        assert report.added == 2  # the first file's record before the failure, and the second
        [error] = report.errors
        assert error.fatal and error.position.file == str(first)
        assert "something no importer foresaw" in error.message


def test_a_batch_the_store_refuses_is_written_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A value vetting misses still costs only its record (the batch is retried one by one)."""
    monkeypatch.setattr(importing, "vet", lambda record: [])  # as if vetting missed it
    path = tmp_path / "snap.jsonl"
    path.write_text(
        snapshot_lines(r'"id": "2401.00012", "title": "Bad \udfff"'), errors="surrogatepass"
    )
    with Library(tmp_path / "lib") as library:
        report = library.import_files([path])
        assert (report.added, report.rejected) == (2, 1)
        [error] = report.errors
        assert error.position.line == 2 and "cannot store" in error.message


def test_over_long_fields_are_cut_and_the_report_says_so(tmp_path: Path):
    line = {
        "id": "2401.00001",
        "title": "T" * (MAX_TITLE + 5),
        "abstract": "word " * (MAX_ABSTRACT // 2),
        "authors": ", ".join(f"Author {i}" for i in range(MAX_AUTHORS + 20)),
    }
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with Library(tmp_path / "lib") as library:
        report = library.import_files([path])
        assert report.added == 1 and report.rejected == 0
        cuts = sorted(e.message.split(" cut to")[0] for e in report.errors)
        assert cuts == ["abstract", "authors", "title"]
        assert all(e.warning and e.position.line == 1 for e in report.errors)
        paper = library.paper("2401.00001")
        assert len(paper.title) == MAX_TITLE and len(paper.abstract) == MAX_ABSTRACT
        assert len(paper.authors) == MAX_AUTHORS


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
IDS = st.none() | TEXT
NUMBERS = st.none() | st.integers() | st.floats()


@fuzz_settings()
@given(
    title=TEXT.filter(str.strip),
    abstract=TEXT,
    authors=st.lists(TEXT, max_size=3),
    arxiv_id=IDS,
    doi=IDS,
    categories=st.lists(TEXT, max_size=3),
    comments=IDS,
    upvotes=NUMBERS,
    source=TEXT,
)
def test_whatever_vetting_passes_the_store_stores(tmp_path_factory, **fields: object):
    """The property behind the checkpoint: vet rejects a record or the store takes it."""
    source = fields.pop("source")
    record = PaperRecord(**fields)  # type: ignore[arg-type]
    record.listing = Listing(str(source) or "s", "test", 1)
    try:
        vet(record)
    except Unstorable as e:
        assert str(e)
        return
    store = Store(tmp_path_factory.mktemp("store") / "s.sqlite")
    try:
        outcome = store.write_records([record], None)
        assert outcome.added + outcome.merged + outcome.unchanged == 1
    finally:
        store.close()


def test_vetting_names_the_field():
    record = PaperRecord(title="t", upvotes=2**70)
    with pytest.raises(Unstorable, match="upvotes: a 71-bit number"):
        vet(record)
    parsed = ParsedRecord(PaperRecord(title="x", doi="10.1/\x00"), SourcePosition("f"))
    with pytest.raises(Unstorable, match="DOI: a control character"):
        vet(parsed.record)
