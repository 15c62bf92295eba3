"""Pathological data costs bounded time: a pasted page as a query, a tag nested hundreds of
levels deep, notes the size of a book, a word without a place to wrap."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader.cli import main
from reader.core import text as clean
from reader.core.display import BREAK_AFTER, ZERO_WIDTH_SPACE, breakable
from reader.core.importers.pyrepr import repr_as_json
from reader.core.library import Library
from reader.core.search import typos
from reader.core.search.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS, shortened
from reader.core.tags import MAX_TAG_DEPTH, InvalidTag
from reader.core.vetting import MAX_NOTES
from tests.core.conftest import build_library, record

DEEP_TAG = "/".join(f"level{i}" for i in range(500))


@pytest.fixture
def library(tmp_path: Path):  # type: ignore[no-untyped-def]
    with build_library(
        tmp_path / "lib",
        [record("Speculative decoding with a draft model", arxiv_id="2401.00001")],
    ) as library:
        yield library


def test_a_pasted_page_is_searched_by_its_first_words(library: Library):
    page = " ".join(["speculative", "decoding"] + [f"word{i}" for i in range(10_000)])
    results = library.search(page)
    assert results.shortened == f"searched the first {MAX_QUERY_WORDS} of its 10,002 words"
    assert len(results.query.split()) == MAX_QUERY_WORDS
    assert library.search("speculative decoding").shortened == ""


@given(st.text(st.characters(codec="utf-8"), max_size=3000))
def test_a_shortened_query_is_within_the_caps_and_a_prefix_of_the_words(text: str):
    kept, note = shortened(text)
    assert len(kept) <= MAX_QUERY_CHARS and len(kept.split()) <= MAX_QUERY_WORDS
    if note:
        assert " ".join(text.split()).startswith(kept)
    else:
        assert kept == text


def test_typo_correction_is_for_short_queries_of_real_words(library: Library):
    searcher = library.derived.index.searcher()
    assert typos.correct_words("speculativ decodng", searcher, lambda i: "") is not None
    many = " ".join(["speculativ"] * (typos.MAX_WORDS + 1))
    assert typos.correct_words(many, searcher, lambda i: "") is None
    assert typos.correct_words("speculativ" * 50, searcher, lambda i: "") is None


def test_a_tag_nested_too_deep_is_refused_and_nothing_changes(library: Library):
    paper_id = library.resolve("2401.00001")
    library.add_tags([paper_id], ["ml/nlp"])
    ok = "/".join(["t"] * MAX_TAG_DEPTH)
    library.add_tags([paper_id], [ok])
    with pytest.raises(
        InvalidTag, match=f"nested 500 levels deep; tags nest at most {MAX_TAG_DEPTH}"
    ):
        library.add_tags([paper_id], ["fine", DEEP_TAG])
    with pytest.raises(InvalidTag, match="characters long"):
        library.add_tags([paper_id], ["x" * 1000])
    assert library.paper(paper_id).tags == ["ml/nlp", ok]


def test_a_deep_tag_already_in_a_library_can_be_removed(library: Library):
    """One from an older version or another machine: the store holds it; untag works."""
    paper_id = library.resolve("2401.00001")
    library.store.add_tags([paper_id], [DEEP_TAG])
    library.remove_tags([paper_id], [DEEP_TAG])
    assert library.paper(paper_id).tags == []


def test_the_cli_refuses_a_deep_tag_in_one_line(capsys, library: Library):
    code = main(["--library", str(library.folder), "tag", "2401.00001", DEEP_TAG])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "500 levels deep" in err


def test_notes_beyond_the_cap_are_refused(library: Library):
    paper_id = library.resolve("2401.00001")
    library.set_notes(paper_id, "fine")
    with pytest.raises(ValueError, match="too long to save"):
        library.set_notes(paper_id, "x" * (MAX_NOTES + 1))
    assert library.paper(paper_id).notes == "fine"


@given(st.text(st.characters(codec="utf-8", exclude_characters=ZERO_WIDTH_SPACE), max_size=500))
def test_breakable_text_reads_the_same_and_wraps_often(text: str):
    shown = breakable(text)
    assert shown.replace(ZERO_WIDTH_SPACE, "") == text
    assert all(len(run) <= BREAK_AFTER for run in shown.replace(ZERO_WIDTH_SPACE, " ").split())


@given(st.text(st.sampled_from("ab \t\n\r\x01") | st.characters(), max_size=300))
def test_whitespace_collapsed_a_slice_at_a_time_is_collapsed_as_a_whole(text: str):
    """The slices (tiny here) change nothing: the words and paragraph breaks come out as
    joining every word at once would give them."""
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    whole = control.sub("", text)
    paragraphs = re.split(r"\n[ \t]*\n\s*", whole.replace("\r\n", "\n").replace("\r", "\n").strip())
    expected_unfold = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.split())
    original = clean._SLICE
    clean._SLICE = 3
    try:
        assert clean.one_line(text) == " ".join(whole.split())
        assert clean.unfold(text) == expected_unfold
    finally:
        clean._SLICE = original


def test_a_repr_item_reads_as_literal_eval_reads_it():
    item = {
        "paper": {"id": "2412.01234", "title": 'It\'s "quoted"\n\tand ünïcode \\ \x00', "n": -3},
        "ok": True,
        "none": None,
        "x": [1.5, 2e-05, [], {}],
    }
    assert json.loads(repr_as_json(repr(item))) == ast.literal_eval(repr(item)) == item
    for bad in ("(1, 2)", "{'a': open('x')}", "{'a': b'bytes'}", "[1, 2", "{1, 2}"):
        with pytest.raises(ValueError):
            json.loads(repr_as_json(bad))
