"""The Daily Papers page importer, on the real seed pages and on damaged copies of them."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from reader.core.identity import title_key
from reader.core.importers import hf_page
from reader.core.importers.base import ImportOptions
from reader.core.model import ParsedRecord, RecordError

GLUED_TITLE = "Scaling Offline Model-Based RL via Jointly-Optimized World-Action Model Pretraining"
SEED_COUNTS = {"000": 119, "001": 76, "002": 70, "003": 83, "004": 72}
SEED_DATES = {"000": "", "001": "--08-08", "002": "--08-18", "003": "--08-20", "004": "--09-10"}
ABSTRACT = "We study things. " * 30  # a realistic abstract is far longer than any title
LEGACY_TITLE = "Caf\u00e9 \u2013 Na\u00efve Models"  # its cp1252 bytes are not UTF-8


def run(path: Path, options: ImportOptions | None = None):
    results = list(hf_page.parse(path, options or ImportOptions()))
    records = [r for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def seed(seeds: list[Path], prefix: str) -> Path:
    return next(p for p in seeds if p.name.startswith(prefix))


def write_page(tmp_path: Path, lines: list[str], name: str = "page.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_seeds_give_420_records_and_317_distinct_papers(seeds):
    assert [p.name[:3] for p in seeds] == list(SEED_COUNTS)
    records = []
    for path in seeds:
        got, errors = run(path)
        assert errors == []
        assert len(got) == SEED_COUNTS[path.name[:3]], path.name
        records += got
    assert len(records) == 420
    assert len({title_key(r.record.title) for r in records}) == 317


def test_seed_pairs_are_titles_then_abstracts(seeds):
    for path in seeds:
        lines = path.read_text(encoding="utf-8").split("\n")
        records, _ = run(path)
        assert [r.position.record for r in records] == list(range(1, len(records) + 1))
        assert [r.record.listing.position for r in records] == list(range(1, len(records) + 1))
        for r in records:
            assert lines[r.position.line - 1].endswith(r.record.title)
            following = [line for line in lines[r.position.line :] if line.strip()]
            assert following[0] == r.record.abstract
            assert len(r.record.title) < 150 < 500 < len(r.record.abstract)
            assert r.position.file == str(path)


def test_glued_subscribe_title_and_undated_page(seeds):
    records, _ = run(seed(seeds, "000"))
    first = records[0]
    assert first.record.title == GLUED_TITLE
    assert first.record.abstract.startswith("A significant aspiration of offline reinforcement")
    assert first.position.line == 3
    # an undated page is still a Daily Papers page: its papers sit under the source, no day
    assert first.record.listing.source == "Daily Papers"
    assert first.record.listing.kind == "hf-page"
    assert first.record.listing.listed_on == ""
    # no header line becomes a paper, and the page's last line is the last abstract
    assert not any("trending" in r.record.title.lower() for r in records)
    assert records[-1].record.abstract.endswith("https://github.com/coldchair/CPRet")


def test_dates_have_no_invented_year(seeds):
    for path in seeds:
        prefix = path.name[:3]
        records, _ = run(path)
        assert {r.record.listing.listed_on for r in records} == {SEED_DATES[prefix]}
        if SEED_DATES[prefix]:
            assert {r.record.listing.source for r in records} == {"Daily Papers"}
        with_year, _ = run(path, ImportOptions(year=2024))
        expected = "2024" + SEED_DATES[prefix][1:] if SEED_DATES[prefix] else ""
        assert {r.record.listing.listed_on for r in with_year} == {expected}


def test_second_pair_of_a_dated_page(seeds):
    records, _ = run(seed(seeds, "001"))
    assert records[0].record.title == "CUDA-LLM: LLMs Can Write Efficient CUDA Kernels"
    assert records[0].position.line == 13
    second = records[1].record
    assert second.title.startswith("Parameter-Efficient Fine-Tuning for Large Models: A Compre")
    assert second.abstract.startswith("Large models represent a groundbreaking advancement")
    assert second.listing.position == 2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Aug 8", (8, 8, None)),
        ("Sep 10", (9, 10, None)),
        ("sept 3", (9, 3, None)),
        ("August 8, 2024", (8, 8, 2024)),
        ("Feb 29", (2, 29, None)),
        ("Aug 45", None),
        ("Feb 30", None),
        ("Mayo 3", None),
        ("May 2024", None),
        ("Augustus 8", None),
        ("Feb 29, 2023", None),
    ],
)
def test_parse_date(line, expected):
    got = hf_page.parse_date(line)
    assert (None if got is None else (got.month, got.day, got.year)) == expected


def test_full_date_on_the_page_wins_over_the_option(tmp_path):
    path = write_page(tmp_path, ["Daily Papers", "August 8, 2024", "A Title", ABSTRACT])
    for options in (ImportOptions(), ImportOptions(year=2023)):
        records, errors = run(path, options)
        assert errors == []
        assert [r.record.listing.listed_on for r in records] == ["2024-08-08"]
        assert records[0].record.listing.source == "Daily Papers"


def test_feb_29_in_a_common_year_keeps_the_year_out(tmp_path):
    path = write_page(tmp_path, ["Daily Papers", "Feb 29", "A Title", ABSTRACT])
    records, errors = run(path, ImportOptions(year=2023))
    assert [r.record.listing.listed_on for r in records] == ["--02-29"]
    assert [(e.warning, e.position.line) for e in errors] == [(True, 3)]
    records, errors = run(path, ImportOptions(year=2024))
    assert [r.record.listing.listed_on for r in records] == ["2024-02-29"]
    assert errors == []


def test_two_days_on_one_page_restart_positions(tmp_path):
    page = ["Aug 8", "One", ABSTRACT, "Two", ABSTRACT, "Aug 9", "Three", ABSTRACT]
    records, errors = run(write_page(tmp_path, page))
    assert errors == []
    got = [(r.record.title, r.record.listing.listed_on, r.record.listing.position) for r in records]
    assert got == [("One", "--08-08", 1), ("Two", "--08-08", 2), ("Three", "--08-09", 1)]
    assert [r.position.record for r in records] == [1, 2, 3]


def test_missing_abstract_and_stray_lines_are_reported_and_skipped(seeds, tmp_path):
    original, _ = run(seed(seeds, "001"))
    lines = seed(seeds, "001").read_text(encoding="utf-8").split("\n")
    third = original[2].position.line
    damaged = lines.copy()
    damaged[third + 1] = ""  # the third paper loses its abstract
    tenth = original[9].position.line
    damaged.insert(tenth + 2, "\n" + original[0].record.abstract)  # an orphan abstract
    damaged.append("A Trailing Title Without Abstract")
    path = tmp_path / "damaged.txt"
    path.write_text("\n".join(damaged), encoding="utf-8")

    records, errors = run(path)
    expected = [r.record.title for r in original]
    del expected[2]
    assert [r.record.title for r in records] == expected
    assert all(len(r.record.abstract) > 300 for r in records)
    assert [(e.fatal, e.warning) for e in errors] == [(False, False)] * 3
    assert errors[0].position.line == third
    assert "no abstract" in errors[0].message
    assert errors[1].position.line == tenth + 4
    assert "no title" in errors[1].message
    assert errors[2].position.line == len(damaged) + 1
    assert "Trailing Title" in errors[2].message


def test_short_abstract_is_still_paired(tmp_path):
    page = ["Aug 8", "A Long Enough Title For A Paper", "Short.", "Next Title", ABSTRACT]
    records, errors = run(write_page(tmp_path, page))
    assert errors == []
    assert [(r.record.title, r.record.abstract[:6]) for r in records] == [
        ("A Long Enough Title For A Paper", "Short."),
        ("Next Title", "We stu"),
    ]


def test_crlf_and_bom_copy_reads_the_same(seeds, tmp_path):
    source = seed(seeds, "001")
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n"))
    original, _ = run(source)
    records, errors = run(path)
    assert errors == []
    assert [(r.record.title, r.record.abstract, r.position.line) for r in records] == [
        (r.record.title, r.record.abstract, r.position.line) for r in original
    ]
    assert records[0].record.listing.listed_on == "--08-08"


def test_gzipped_page(seeds, tmp_path):
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress(seed(seeds, "004").read_bytes()))
    records, errors = run(path)
    assert errors == []
    assert len(records) == SEED_COUNTS["004"]
    assert hf_page.sniff(path.name, seed(seeds, "004").read_bytes()[:8192]) >= 0.9


def test_windows_1252_page_warns_and_imports(tmp_path):
    path = tmp_path / "legacy.txt"
    text = "\n\n".join(["Daily Papers", "Aug 8", LEGACY_TITLE, ABSTRACT]) + "\n"
    path.write_bytes(text.encode("cp1252"))
    records, errors = run(path)
    assert len(errors) == 1
    assert errors[0].warning and not errors[0].fatal
    assert "Windows-1252" in errors[0].message
    assert [r.record.title for r in records] == [LEGACY_TITLE]


def test_html_in_an_abstract_stays_literal(tmp_path):
    abstract = ABSTRACT + "<script>alert('x')</script> and <b>bold</b> &amp; a < b."
    records, errors = run(write_page(tmp_path, ["Aug 8", "<i>Markup</i> Title", abstract]))
    assert errors == []
    assert records[0].record.title == "<i>Markup</i> Title"
    assert records[0].record.abstract == abstract.strip()


@pytest.mark.parametrize("content", [b"", b"  \n\n \r\n"])
def test_empty_file_is_one_fatal_error(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    records, errors = run(path)
    assert records == []
    assert [(e.fatal, "empty" in e.message, e.position.file) for e in errors] == [
        (True, True, str(path))
    ]


def test_binary_junk_is_one_fatal_error(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_bytes(random.Random(7).randbytes(20000))
    records, errors = run(path)
    assert records == []
    assert len(errors) == 1 and errors[0].fatal
    assert hf_page.sniff(path.name, path.read_bytes()[:8192]) == 0.0


def test_json_given_as_a_page_is_refused(tmp_path):
    path = tmp_path / "day.txt"
    path.write_text('[{"paper": {"id": "2401.00001"}}]', encoding="utf-8")
    records, errors = run(path)
    assert records == []
    assert len(errors) == 1 and errors[0].fatal


def test_missing_file_is_one_fatal_error(tmp_path):
    records, errors = run(tmp_path / "nope.txt")
    assert records == [] and len(errors) == 1 and errors[0].fatal


def test_sniff(seeds):
    for path in seeds:
        assert hf_page.sniff(path.name, path.read_bytes()[:8192]) >= 0.9
    head = seed(seeds, "001").read_bytes()[:8192]
    assert 0.5 <= hf_page.sniff("page.html.txt.copy", head) < 0.9
    assert hf_page.sniff("notes.txt", b"Some notes\nabout things\n") < 0.5
    for name, head in [
        ("day.json", b'[\n  {"paper": {"id": "2401.00001"}}]'),
        ("feed.xml", b'<?xml version="1.0"?>\n<feed>Daily Papers</feed>'),
        ("refs.bib", b"@article{key,\n  title = {Daily Papers},\n}"),
        ("page.txt", b""),
    ]:
        assert hf_page.sniff(name, head) == 0.0, name
