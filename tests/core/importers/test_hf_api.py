"""The /api/daily_papers importer, on all 580 real day files and on broken input."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from reader.core.importers import hf_api
from reader.core.importers.base import ImportOptions
from reader.core.model import ParsedRecord, RecordError

ARCHIVE = "daily_papers_2024-05-27_to_2026-08-21.tar.gz"
SAMPLE_COUNTS = {"2024-05-27": 13, "2024-12-11": 26, "2025-01-10": 9, "2026-08-21": 17}
ABSTRACT = "We study things.\n  Over two lines."
LEGACY_TITLE = "Caf\u00e9 \u2013 Na\u00efve"  # its cp1252 bytes are not UTF-8


def run(path: Path):
    results = list(hf_api.parse(path, ImportOptions()))
    records = [r for r in results if isinstance(r, ParsedRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(records) + len(errors) == len(results)
    return records, errors


def sample(shared: Path, day: str) -> Path:
    return shared / "data" / "hf-daily-papers" / "samples" / f"{day}.json"


def item(title: str = "A Paper", arxiv_id: str = "2401.00001", **paper: object) -> dict:
    fields = {
        "id": arxiv_id,
        "title": title,
        "summary": ABSTRACT,
        "authors": [{"_id": "x", "name": "Ada Lovelace", "hidden": False}],
        "publishedAt": "2024-01-02T17:00:00.000Z",
        "upvotes": 3,
    }
    return {"paper": fields | paper, "publishedAt": "2024-01-03T08:00:00.000Z"}


def write_items(tmp_path: Path, items: list[object], name: str = "list.json") -> Path:
    """One item per line: item k (1-based) is on line k + 1."""
    path = tmp_path / name
    path.write_text("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n", encoding="utf-8")
    return path


def test_all_580_days(shared, tmp_path):
    with tarfile.open(shared / "data" / "hf-daily-papers" / ARCHIVE) as tar:
        tar.extractall(tmp_path, filter="data")
    days = sorted((tmp_path / "daily_papers").glob("*.json"))
    assert len(days) == 580
    records = []
    for day in days:
        got, errors = run(day)
        assert errors == [], day.name
        assert {r.record.listing.listed_on for r in got} == {day.stem}
        assert [r.record.listing.position for r in got] == list(range(1, len(got) + 1))
        records += got
    assert len(records) == 9881
    ids = Counter(r.record.arxiv_id for r in records)
    assert len(ids) == 9877
    assert sorted(i for i, n in ids.items() if n > 1) == [
        "2604.07429",
        "2606.11176",
        "2608.12313",
        "2608.13558",
    ]
    assert all(r.record.title and "\n" not in r.record.title for r in records)
    assert all(r.record.authors and r.record.abstract for r in records)
    assert all(r.record.published and len(r.record.published) == 10 for r in records)


@pytest.mark.parametrize("day", sorted(SAMPLE_COUNTS))
def test_each_shape_reads_every_item(shared, day):
    path = sample(shared, day)
    records, errors = run(path)
    assert errors == []
    assert len(records) == SAMPLE_COUNTS[day]
    assert [r.position.record for r in records] == list(range(1, len(records) + 1))
    lines = path.read_text(encoding="utf-8").split("\n")
    for r in records:
        assert r.record.listing.listed_on == day
        assert r.record.arxiv_id
        assert r.record.arxiv_id in "\n".join(lines[r.position.line - 1 : r.position.line + 3])
        assert "\n" not in r.record.abstract


def test_array_of_objects_fields(shared):
    records, _ = run(sample(shared, "2024-05-27"))
    first, position = records[0].record, records[0].position
    assert position.line == 2 and position.record == 1
    assert first.arxiv_id == "2405.15738"
    assert first.title == (
        "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    )
    assert first.authors[:2] == ["Chunjiang Ge", "Sijie Cheng"]
    assert len(first.authors) == 9
    assert first.abstract.startswith("High-resolution Large Multimodal Models (LMMs) encounter")
    assert first.published == "2024-05-24"
    assert first.upvotes == 32
    assert first.hf_url == "https://huggingface.co/papers/2405.15738"
    assert first.abs_url == "https://arxiv.org/abs/2405.15738"
    assert first.pdf_url == "https://arxiv.org/pdf/2405.15738"
    assert (first.listing.source, first.listing.kind) == ("Daily Papers", "hf-api")
    # the top-level title is preferred to paper.title, which lost the \textsc markup
    assert records[9].record.title == (
        "AutoCoder: Enhancing Code Large Language Model with \\textsc{AIEV-Instruct}"
    )


def test_array_of_python_reprs(shared):
    path = sample(shared, "2024-12-11")
    assert json.loads(path.read_text(encoding="utf-8"))[0].startswith("{'paper'")
    records, _ = run(path)
    assert records[0].record.arxiv_id == "2412.07730"
    assert records[0].record.authors[:4] == ["Zongyu Lin", "Wei Liu", "Chen Chen", "Jiasen Lu"]
    assert records[1].position.line == 3


def test_wrapper_date_is_used_when_the_name_has_none(shared, tmp_path):
    path = tmp_path / "wrapped.json"
    shutil.copy(sample(shared, "2025-01-10"), path)
    records, errors = run(path)
    assert errors == []
    assert len(records) == 9
    assert {r.record.listing.listed_on for r in records} == {"2025-01-10"}
    assert records[0].record.arxiv_id == "2501.05441"
    assert records[0].position.line == 6


def test_item_date_is_the_last_resort_and_paper_title_the_fallback(tmp_path):
    untitled = item("Large Multimodal\n  Models")
    records, errors = run(write_items(tmp_path, [untitled, item() | {"title": "  Top\n Title "}]))
    assert errors == []
    assert [r.record.title for r in records] == ["Large Multimodal Models", "Top Title"]
    assert {r.record.listing.listed_on for r in records} == {"2024-01-03"}
    assert records[0].record.abstract == "We study things. Over two lines."
    assert records[0].record.published == "2024-01-02"


def test_gzipped_day_file(shared, tmp_path):
    path = tmp_path / "2024-05-27.json.gz"
    path.write_bytes(gzip.compress(sample(shared, "2024-05-27").read_bytes()))
    records, errors = run(path)
    assert errors == []
    assert len(records) == 13
    assert {r.record.listing.listed_on for r in records} == {"2024-05-27"}


def test_bad_items_are_reported_with_record_and_line(tmp_path):
    bad = [
        item("Good One"),
        42,
        "not a python repr",
        {"paper": "2401.00002"},
        {"paper": {"id": "2401.00003"}, "publishedAt": "2024-01-01"},
        item() | {"title": 5},
        item(authors="Ada, Bob"),
        item(authors=[{"_id": "y"}]),
        item(upvotes="many"),
        item(upvotes=True),
        item(id=2401.00004),
        ["a", "list"],
        item("Good Two", "2401.00005"),
    ]
    records, errors = run(write_items(tmp_path, bad))
    assert [r.record.title for r in records] == ["Good One", "Good Two"]
    assert [r.position.record for r in records] == [1, 13]
    assert records[1].record.listing.position == 13
    assert [e.position.record for e in errors] == list(range(2, 13))
    assert [e.position.line for e in errors] == list(range(3, 14))
    assert not any(e.fatal or e.warning for e in errors)
    assert all(e.position.file == str(tmp_path / "list.json") for e in errors)
    messages = [e.message for e in errors]
    assert messages[0] == "expected an object, got a number"
    assert "repr" in messages[1]
    assert "no title" in messages[3]
    assert messages[2] == '"paper" is text, not an object'
    assert messages[7] == '"upvotes" is text, not a whole number'
    assert messages[8] == '"upvotes" is true/false, not a whole number'
    assert messages[9] == '"id" is a float, not text'


def test_repr_items_are_never_executed(tmp_path):
    canary = tmp_path / "canary"
    canary.write_text("alive")
    attack = f"__import__('os').remove({str(canary)!r})"
    records, errors = run(write_items(tmp_path, [attack, repr(item())]))
    assert canary.exists()
    assert len(records) == 1 and records[0].record.arxiv_id == "2401.00001"
    assert [e.position.record for e in errors] == [1]


def test_html_in_an_abstract_stays_literal(tmp_path):
    summary = "<script>alert('x')</script> with <b>bold</b> &amp; a < b"
    records, _ = run(write_items(tmp_path, [item("<i>T</i>", summary=summary)]))
    assert records[0].record.abstract == summary
    assert records[0].record.title == "<i>T</i>"


def test_bom_crlf_and_windows_1252(tmp_path):
    text = json.dumps([item(LEGACY_TITLE)], ensure_ascii=False, indent=2)
    path = tmp_path / "2024-01-05.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    records, errors = run(path)
    assert errors == [] and records[0].record.title == LEGACY_TITLE
    path.write_bytes(text.encode("cp1252"))
    records, errors = run(path)
    assert [(e.warning, e.fatal) for e in errors] == [(True, False)]
    assert records[0].record.title == LEGACY_TITLE
    assert records[0].record.listing.listed_on == "2024-01-05"


def test_truncated_file_keeps_the_complete_items(shared, tmp_path):
    text = sample(shared, "2024-05-27").read_text(encoding="utf-8")
    path = tmp_path / "2024-05-27.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    full, _ = run(sample(shared, "2024-05-27"))
    records, errors = run(path)
    assert 0 < len(records) < len(full)
    assert [r.record for r in records] == [r.record for r in full[: len(records)]]
    assert len(errors) == 1 and errors[0].fatal
    assert "truncated" in errors[0].message
    assert errors[0].position.line is not None


def test_truncated_wrapper_keeps_its_date(shared, tmp_path):
    text = sample(shared, "2025-01-10").read_text(encoding="utf-8")
    path = tmp_path / "wrapped.json"
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    records, errors = run(path)
    assert 0 < len(records) < 9
    assert {r.record.listing.listed_on for r in records} == {"2025-01-10"}
    assert len(errors) == 1 and errors[0].fatal


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"hello world", "does not start"),
        (b"42", "does not start"),
        (b'{"error": "rate limited"}', '"data"'),
        (b'{"status": "ok", "data": 7}', '"data"'),
        (b"[1, 2", "truncated"),
        (b'[{"paper": {}}] trailing', "Extra data"),
        (b"[" * 100_000, ""),
    ],
)
def test_unreadable_file_is_one_fatal_error(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    results = list(hf_api.parse(path, ImportOptions()))
    fatal = [r for r in results if isinstance(r, RecordError) and r.fatal]
    assert len(fatal) == 1 and results[-1] is fatal[0]
    assert words in fatal[0].message
    assert not any(isinstance(r, ParsedRecord) for r in results)


def test_binary_junk_is_one_fatal_error(tmp_path):
    path = tmp_path / "junk.json"
    path.write_bytes(random.Random(7).randbytes(20000))
    results = list(hf_api.parse(path, ImportOptions()))
    assert [r.fatal for r in results if isinstance(r, RecordError)][-1:] == [True]
    assert not any(isinstance(r, ParsedRecord) for r in results)
    assert hf_api.sniff(path.name, path.read_bytes()[:8192]) == 0.0


def test_sniff(shared, seeds):
    for day in SAMPLE_COUNTS:
        path = sample(shared, day)
        assert hf_api.sniff(path.name, path.read_bytes()[:8192]) >= 0.8
    wrapper = b'{\n  "status": "success",\n  "date": "2025-01-10",\n  "count": 0,\n  "data": []\n}'
    assert hf_api.sniff("x.json", wrapper) >= 0.8
    assert hf_api.sniff(seeds[1].name, seeds[1].read_bytes()[:8192]) == 0.0
    snapshot = b'{"id": "0704.0001", "submitter": "P. Nadolsky", "title": "Calculation"}\n'
    assert hf_api.sniff("arxiv-metadata.json", snapshot) == 0.0
    assert hf_api.sniff("feed.xml", b'<?xml version="1.0"?><feed/>') == 0.0
