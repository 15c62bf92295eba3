"""Full-text search: the query language, ranking, typo rescue, snippets and index upkeep."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from reader.core.library import Library, SearchResults
from reader.core.search import highlight
from reader.core.views import View
from tests.core.conftest import SEED_PAPERS, build_library, record

XSS = "<script>alert(1)</script><img src=http://x>"

RECORDS = [
    record(  # 1
        "Speculative Decoding for Large Language Models",
        abstract="We accelerate inference of language models with a small draft network.",
        authors=["Ana Pérez", "John Smith"],
        arxiv_id="2301.00001",
        published="2023-01-05",
        categories=["cs.CL", "cs.LG"],
    ),
    record(  # 2
        "Quantum Error Correction Codes",
        abstract="Surface codes protect quantum information from noise.",
        authors=["Balázs Kovács"],
        arxiv_id="2002.00002",
        published="2020-02-10",
        categories=["quant-ph"],
    ),
    record(  # 3
        "Quantization of Neural Networks",
        abstract="Low-bit weights for the deployment of a model on phones.",
        authors=["Li Wei"],
        arxiv_id="2107.00003",
        published="2021-07-01",
        categories=["cs.LG"],
    ),
    record(  # 4
        "Protein Folding with Transformers",
        abstract="Transformers predict protein structure; graph features help a little.",
        authors=["Maria Garcia"],
        published="2019-03-03",
        categories=["q-bio.BM"],
        doi="10.1000/protein",
    ),
    record(  # 5
        "Graph Attention for Molecules",
        abstract="Message passing over molecules and their bonds.",
        authors=["Tom Brown"],
        published="2024-05-05",
        categories=["cs.LG", "physics.chem-ph"],
    ),
    record(  # 6
        "Diffusion Models for Video Generation",
        abstract="Video synthesis with a denoising diffusion process.",
        authors=["Sara Kim"],
        published="2023-11-11",
        categories=["cs.CV"],
    ),
    record(  # 7
        "Diffusion Models for Images",
        abstract="Image synthesis with a denoising diffusion process.",
        authors=["Sara Kim"],
        published="2022-06-06",
        categories=["cs.CV"],
    ),
    record(  # 8
        "Reward Shaping in Reinforcement Learning",
        abstract="Dense rewards speed up policy learning.",
        authors=["Omar Ali"],
        published="2023-03-03",
        categories=["cs.LG"],
    ),
    record(  # 9
        "Models of Language Acquisition",
        abstract="Language matters for children, and grammar models too.",
        authors=["Eve Adams"],
        published="2018-08-08",
        categories=["cs.CL"],
    ),
    record(  # 10
        "Markup in Abstracts",
        abstract=f"Some imported text {XSS} with payload words after it.",
        authors=["Mallory Hacker"],
        published="2024-01-01",
    ),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The hand-made library (read-only tests)."""
    with build_library(tmp_path_factory.mktemp("small"), RECORDS) as library:
        yield library


@pytest.fixture
def small_rw(tmp_path: Path) -> Library:
    """A private hand-made library for tests that change user state."""
    with build_library(tmp_path, RECORDS) as library:
        yield library


@pytest.fixture(scope="module")
def seed_library(seed_library_dir: Path) -> Library:
    with Library(seed_library_dir) as library:
        yield library


def ids(library: Library, query: str) -> list[int]:
    return [hit.paper.id for hit in library.search(query, limit=50).hits]


def id_set(library: Library, query: str) -> set[int]:
    return set(ids(library, query))


# -- the query language --------------------------------------------------------------------------


def test_words_are_anded(small: Library):
    assert id_set(small, "diffusion") == {6, 7}
    assert ids(small, "diffusion video") == [6]
    assert ids(small, "diffusion protein") == []


def test_a_title_match_ranks_above_an_abstract_only_match(small: Library):
    ranked = ids(small, "graph")
    assert set(ranked) == {4, 5}
    assert ranked[0] == 5  # "Graph Attention…" beats "…graph features help…"
    hits = small.search("graph").hits
    assert hits[0].score > hits[1].score


def test_quoted_phrase_needs_adjacent_words(small: Library):
    assert id_set(small, "language models") == {1, 9}
    assert ids(small, '"language models"') == [1]


def test_author_field_and_its_aliases(small: Library):
    assert id_set(small, "author:kim") == {6, 7}
    assert ids(small, "by:garcia") == [4]
    assert ids(small, 'author:"Li Wei"') == [3]


def test_author_names_are_accent_folded(small: Library):
    assert ids(small, "author:balazs") == [2]
    assert ids(small, "author:Kovács") == [2]
    assert ids(small, "author:perez") == [1]
    assert ids(small, "balazs") == [2]  # bare words search author names too


def test_category_search_matches_primary_and_cross_lists(small: Library):
    assert id_set(small, "cat:cs.CV") == {6, 7}
    assert id_set(small, "cat:cs.LG") == {1, 3, 5, 8}
    assert ids(small, "cat:physics.chem-ph") == [5]


def test_year_and_year_ranges(small: Library):
    assert id_set(small, "year:2023") == {1, 6, 8}
    assert id_set(small, "year:2020..2023") == {1, 2, 3, 6, 7, 8}
    assert id_set(small, "year:2024..") == {5, 10}
    assert id_set(small, "year:..2019") == {4, 9}
    assert ids(small, "diffusion year:2022") == [7]


def test_or_not_and_parentheses(small: Library):
    assert id_set(small, "quantum OR protein") == {2, 4}
    assert ids(small, "diffusion NOT video") == [7]
    assert ids(small, "(quantum OR protein) NOT transformers") == [2]
    assert id_set(small, "(diffusion OR graph) AND molecules") == {5}


def test_prefix_wildcard_expands(small: Library):
    assert id_set(small, "quant*") == {2, 3}
    assert id_set(small, "diffus*") == {6, 7}


def test_stemming_matches_other_word_forms(small: Library):
    assert 3 in id_set(small, "models")  # 3 only says "model"
    assert 8 in id_set(small, "rewarding")  # "rewards", "Reward"
    assert id_set(small, "predicted") == {4}


def test_an_arxiv_id_as_the_whole_query_finds_the_paper(small: Library):
    assert ids(small, "2107.00003") == [3]
    assert ids(small, "arXiv:2107.00003v2") == [3]
    assert ids(small, "arxiv:2002.00002") == [2]


def test_title_and_abstract_fields(small: Library):
    assert ids(small, "title:protein") == [4]
    assert ids(small, "abstract:graph") == [4]
    assert ids(small, "ti:graph") == [5]


def test_stop_words_alone_do_not_match_everything(small: Library):
    assert ids(small, "the of and") == []


def test_tag_search_finds_papers_right_after_tagging(small_rw: Library):
    assert ids(small_rw, "tag:toread") == []
    small_rw.add_tags([3, 6], ["toread"])
    assert id_set(small_rw, "tag:toread") == {3, 6}
    assert ids(small_rw, "tag:toread diffusion") == [6]
    small_rw.remove_tags([3], ["toread"])
    assert ids(small_rw, "tag:toread") == [6]


def test_is_bookmarked_and_is_unread(small_rw: Library):
    assert ids(small_rw, "is:bookmarked") == []
    small_rw.set_bookmarked([2, 7], True)
    assert id_set(small_rw, "is:bookmarked") == {2, 7}
    assert len(ids(small_rw, "is:unread")) == len(RECORDS)
    small_rw.set_read([1, 2], True)
    assert id_set(small_rw, "is:unread") == set(range(3, len(RECORDS) + 1))
    assert id_set(small_rw, "is:read") == {1, 2}
    assert ids(small_rw, "is:bookmarked is:unread") == [7]
    small_rw.set_bookmarked([2], False)
    assert ids(small_rw, "is:bookmarked") == [7]


def test_notes_are_searchable(small_rw: Library):
    small_rw.set_notes(8, "revisit for the thesis chapter")
    assert ids(small_rw, "thesis") == [8]


def test_search_within_a_view(small_rw: Library):
    small_rw.add_tags([6], ["vision/video"])
    small_rw.set_bookmarked([7], True)
    within_tag = small_rw.search("diffusion", within=View("tag", "vision"))
    assert [h.paper.id for h in within_tag.hits] == [6]
    within_bookmarks = small_rw.search("diffusion", within=View("bookmarked"))
    assert [h.paper.id for h in within_bookmarks.hits] == [7]


# -- malformed queries and typo rescue -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ['author:( OR "', "(((", "*", "year:abc", ")", '"', "NOT", "OR OR", "tag:", "year:..", "a:b:c"],
)
def test_malformed_queries_never_raise(seed_library: Library, query: str):
    results = seed_library.search(query)
    assert isinstance(results, SearchResults)
    assert results.query == query


def test_a_bare_star_is_degraded_not_a_full_scan(seed_library: Library):
    results = seed_library.search("*")
    assert results.degraded
    assert results.hits == []


def test_typos_are_rescued_and_the_correction_is_reported(seed_library: Library):
    right = seed_library.search("speculative decoding")
    rescued = seed_library.search("speculatve decodng")
    assert rescued.corrected == "speculative decoding"
    assert len(rescued.hits) == len(right.hits) >= 3
    assert {h.paper.id for h in rescued.hits} == {h.paper.id for h in right.hits}
    assert any("speculative decoding" in h.paper.title.lower() for h in rescued.hits)


def test_a_word_being_typed_is_completed_before_it_is_corrected(seed_library: Library):
    """What the search box sends when typing pauses mid-word finds the words it begins."""
    typing = seed_library.search("speculative deco")
    assert typing.corrected == "speculative deco*"
    assert {h.paper.id for h in typing.hits} == {
        h.paper.id for h in seed_library.search("speculative deco*").hits
    }
    assert all("deco" in (h.paper.title + h.paper.abstract).lower() for h in typing.hits)
    assert seed_library.search("transfo").corrected == "transfo*"
    # past its stem ("decod"), a word being typed is no prefix of it: typo rescue finds it
    assert seed_library.search("speculative decodi").corrected == "speculative decoding"
    assert seed_library.search("speculatve decodng").corrected == "speculative decoding"
    assert seed_library.search("spe").corrected is None  # too short to complete


def test_correct_queries_are_not_corrected(seed_library: Library):
    results = seed_library.search("diffusion")
    assert results.hits and results.corrected is None


def test_typo_rescue_does_not_touch_field_queries(seed_library: Library):
    assert seed_library.search("title:speculatve").corrected is None


# -- snippets and markup -------------------------------------------------------------------------


def test_snippets_mark_the_matched_words(small: Library):
    hit = small.search("denoising video").hits[0]
    assert hit.paper.id == 6
    marked = {
        part.split(highlight.END)[0].lower() for part in hit.snippet.split(highlight.START)[1:]
    }
    assert marked == {"denoising", "video"}
    assert highlight.as_plain(hit.snippet) in hit.paper.abstract


def test_snippets_mark_stemmed_forms(small: Library):
    hit = small.search("predicted").hits[0]
    assert f"{highlight.START}predict{highlight.END}" in hit.snippet


def test_markup_is_stored_literally_and_escaped_in_html(small: Library):
    paper = small.paper(10)
    assert XSS in paper.abstract
    hit = small.search("alert payload").hits[0]
    html = highlight.as_html(hit.snippet)
    assert "&lt;script&gt;<b>alert</b>(1)&lt;/script&gt;&lt;img" in html
    assert "<script>" not in html and "<img" not in html
    assert "<b>payload</b>" in html
    whole = highlight.as_html(highlight.mark_all(paper.abstract, frozenset({"alert"})))
    assert "&lt;/script&gt;" in whole and "<b>alert</b>" in whole


def test_snippets_can_be_skipped(small: Library):
    assert all(h.snippet == "" for h in small.search("diffusion", snippets=False).hits)


# -- the index and the store ---------------------------------------------------------------------


def test_the_index_is_searchable_as_soon_as_import_returns(tmp_path: Path, seeds: list[Path]):
    with Library(tmp_path) as library:
        library.import_files(seeds)
        assert library.stats()["indexed"] == SEED_PAPERS
        assert library.search("speculative decoding").hits
        assert library.check().consistent


def test_import_without_indexing_leaves_the_index_behind_until_caught_up(
    tmp_path: Path, seeds: list[Path]
):
    with Library(tmp_path) as library:
        library.import_files(seeds[:1], index=False)
        report = library.check()
        assert not report.consistent and report.behind == library.stats()["papers"]
        library.catch_up_index()
        assert library.check().consistent


def store_snapshot(folder: Path) -> list[tuple]:
    conn = sqlite3.connect(folder / "library.sqlite")
    try:
        rows = conn.execute("SELECT * FROM papers ORDER BY id").fetchall()
        rows += conn.execute("SELECT * FROM meta ORDER BY key").fetchall()
        rows += conn.execute("SELECT * FROM listings ORDER BY id").fetchall()
        return rows
    finally:
        conn.close()


def test_a_deleted_index_is_detected_and_repaired(copy_seed_library):
    library, folder = copy_seed_library()
    assert library.check().consistent
    library.close()
    shutil.rmtree(folder / "index")
    before = store_snapshot(folder)
    with Library(folder) as reopened:
        report = reopened.check()
        assert not report.consistent
        assert report.behind == SEED_PAPERS
        repaired = reopened.repair()
        assert repaired.consistent and repaired.indexed == SEED_PAPERS
        assert reopened.search("speculative decoding").hits
    assert store_snapshot(folder) == before


def test_a_store_change_behind_the_index_is_detected_and_repaired(copy_seed_library):
    library, folder = copy_seed_library()
    assert ids(library, "zyzzyva") == []
    outside = sqlite3.connect(folder / "library.sqlite")
    outside.execute("UPDATE papers SET rev = rev + 1000, title = 'zyzzyva' WHERE id = 5")
    outside.commit()
    outside.close()
    before = store_snapshot(folder)
    assert not library.check().consistent
    assert library.repair().consistent
    assert store_snapshot(folder) == before
    assert ids(library, "zyzzyva") == [5]
    library.add_tags([6], ["later"])  # later changes are still indexed as they happen
    assert ids(library, "tag:later") == [6]
    assert library.check().consistent


def test_a_paper_deleted_behind_the_index_is_detected_and_repaired(copy_seed_library):
    library, folder = copy_seed_library()
    title_word = library.paper(7).title.split()[0]
    outside = sqlite3.connect(folder / "library.sqlite")
    outside.execute("PRAGMA foreign_keys = ON")
    outside.execute("DELETE FROM papers WHERE id = 7")
    outside.commit()
    outside.close()
    before = store_snapshot(folder)
    report = library.check()
    assert not report.consistent and report.extra == [7]
    assert 7 not in {h.paper.id for h in library.search(title_word, limit=500).hits}
    repaired = library.repair()
    assert repaired.consistent and repaired.indexed == SEED_PAPERS - 1
    assert store_snapshot(folder) == before


def test_an_index_behind_a_stale_paper_is_repaired(copy_seed_library):
    library, folder = copy_seed_library()
    library.close()
    # Paper 9 changes and is stamped at the marker's rev: within what the index claims to
    # cover, but newer than the rev its document was indexed at (a lost index commit).
    with Library(folder) as reopened:
        marker = reopened.derived.index.marker()
        outside = sqlite3.connect(folder / "library.sqlite")
        outside.execute("UPDATE papers SET title = 'quokka', rev = ? WHERE id = 9", (marker.rev,))
        outside.commit()
        outside.close()
        report = reopened.check()
        assert not report.consistent
        assert 9 in report.stale
        assert reopened.repair().consistent
        assert ids(reopened, "quokka") == [9]


def test_reindex_rebuilds_to_the_same_doc_count(copy_seed_library):
    library, _ = copy_seed_library()
    before = {h.paper.id for h in library.search("language model", limit=500).hits}
    assert library.reindex() == SEED_PAPERS
    assert library.stats()["indexed"] == SEED_PAPERS
    assert library.check().consistent
    assert {h.paper.id for h in library.search("language model", limit=500).hits} == before


def test_reopening_a_library_catches_up_missed_changes(copy_seed_library):
    library, folder = copy_seed_library()
    library.store.add_tags([3], ["offline"])  # the store changes without the index
    assert not library.check().consistent
    library.close()
    with Library(folder) as reopened:
        reopened.catch_up_index()
        assert ids(reopened, "tag:offline") == [3]
        assert reopened.check().consistent


# -- the array evaluator against Whoosh's own matchers ---------------------------------------------

EVALUATOR_QUERIES = [
    "language models",
    "transformer",
    '"language models"',
    '"large language models" reasoning',
    "title:diffusion",
    "author:wang",
    "quant*",
    "multimod* video",
    "reasoning NOT math",
    "(diffusion OR video) generation",
    "reasoning year:2024..2026",
    "cat:cs.CL agents",
    "is:bookmarked",
    "body:reasoning",
    "fulltext:diffusion models",
    '"diffusion models"',
    '"chain of thought"',
    "vision NOT language",
]


def test_the_array_evaluator_ranks_like_an_exhaustive_whoosh_search(copy_seed_library):
    from whoosh.query import NullQuery, Or, Prefix, Query, Term

    from reader.core.search.query import LESSER_FIELDS, without_fields
    from reader.core.search.vectorized import SegmentCache, top_documents

    def plain_prefixes(q: Query) -> Query:
        # Whoosh's array OR (our fast prefix) drops matches in some multi-segment cases:
        # the reference is the plain OR of the scored terms the prefix expands to.
        if not isinstance(q, Prefix):
            return q
        expanded = searcher.reader().expand_prefix(q.fieldname, q.text)
        terms = [Term(q.fieldname, t, boost=q.boost) for t in expanded]
        return Or(terms) if terms else NullQuery

    library, _ = copy_seed_library()
    # Edits commit small segments and delete the papers' old versions: several segments.
    library.set_bookmarked([1, 2, 3], True)
    library.add_tags([4, 5], ["nlp"])
    # Some papers get a PDF's text: other papers' abstracts, so common words are in bodies.
    abstracts = [p.abstract for p in library.papers(list(range(100, 200)))]
    for n, paper_id in enumerate(range(20, 60)):
        library.store.set_fulltext(paper_id, " ".join(abstracts[n : n + 6]), 6, False)
    library.catch_up_index()
    searcher = library.derived.index.searcher()
    assert len(searcher.reader().leaf_readers()) > 1
    cache = SegmentCache(searcher)
    for text in EVALUATOR_QUERIES:
        query = library.parse_query(text).query
        for restrict in (None, Term("is", "unread")):
            found = top_documents(cache, query, 10, restrict, LESSER_FIELDS)
            reference = query.accept(plain_prefixes)
            every = searcher.search(reference, limit=None, filter=restrict, optimize=False)
            # Documents matching without the PDF's text first, each tier by score and docnum.
            primary_query = without_fields(reference, LESSER_FIELDS)
            primary = set()
            if primary_query is not NullQuery:
                primary = set(searcher.search(primary_query, limit=None, filter=restrict).docs())
            expected = sorted(
                ((h.score, h.docnum, h.docnum not in primary) for h in every),
                key=lambda s: (s[2], -s[0], s[1]),
            )
            assert [(d, b) for d, _, b in found[0]] == [(d, b) for _, d, b in expected[:10]], text
            assert [s for _, s, _ in found[0]] == pytest.approx([s for s, _, _ in expected[:10]])
            if '"' not in text:
                assert found[1] == len(every), text
    assert any(
        b
        for text in EVALUATOR_QUERIES
        for _, _, b in top_documents(
            cache, library.parse_query(text).query, 10, None, LESSER_FIELDS
        )[0]
    )


def test_every_phrase_hit_contains_the_phrase(seed_library: Library):
    import re

    results = seed_library.search('"language models"', limit=50)
    assert results.hits
    phrase = re.compile(r"\blanguage\W+models?\b", re.IGNORECASE)
    for hit in results.hits:
        paper = hit.paper
        assert phrase.search(f"{paper.title} | {paper.abstract} | {paper.notes}"), paper.title
