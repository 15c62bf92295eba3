"""Auto search: when meaning search joins a keyword search, and how the rankings merge."""

from __future__ import annotations

import pytest

from reader.core.search.blend import (
    KEYWORD,
    MEANING,
    WORDS,
    any_word_query,
    as_sentence,
    blend,
    wants_meaning,
)
from tests.core.test_related import FakeEmbedder, with_embedder


@pytest.mark.parametrize(
    ("text", "hits", "wanted"),
    [
        ("how do language models reason step by step", 40, True),  # a sentence
        ("speculative decoding", 40, False),  # a few words with plenty of hits
        ("speculative decoding", 2, True),  # few hits
        ('"language models" reason step by step', 0, False),  # quotes: exact keyword search
        ("author:hinton deep belief networks", 0, False),  # a field
        ("reasoning OR planning with language models", 0, False),  # an operator
        ("quant*", 0, False),  # a wildcard
        ("   ", 0, False),
    ],
)
def test_meaning_joins_for_a_sentence_or_few_hits_but_never_for_syntax(text, hits, wanted):
    sentence = as_sentence(text)
    assert (sentence is not None and wants_meaning(sentence, hits)) is wanted


def test_a_question_mark_ends_a_sentence_rather_than_being_a_wildcard():
    assert as_sentence("how do transformers handle long inputs?") == (
        "how do transformers handle long inputs"
    )
    assert as_sentence("quant?") is None  # one word: the wildcard
    assert as_sentence("IL-6: a review of (+)- alpha thalassemia") == (
        "IL 6 a review of alpha thalassemia"  # a colon and brackets are only punctuation
    )


def test_any_word_query_is_each_word_in_title_or_abstract_without_stop_words():
    query = any_word_query("the small draft models of a paper")
    terms = {(t.fieldname, t.text) for t in query.subqueries}
    assert terms == {
        (f, w) for f in ("title", "abstract") for w in ("small", "draft", "model", "paper")
    }


def test_blend_puts_exact_hits_first_then_fuses_and_says_where_each_came_from():
    merged = blend(exact=[7, 3], words=[3, 5, 9], meaning=[11, 5, 7], limit=10)
    ids = [i for i, _, _ in merged]
    assert ids[:2] == [7, 3]  # every word: first, in keyword order
    assert ids[2] == 5  # found by both rankings: the best of the rest
    assert set(ids) == {7, 3, 5, 9, 11} and len(ids) == len(set(ids))
    source = {i: s for i, _, s in merged}  # the ranking that placed it higher (ties: words)
    assert source == {7: KEYWORD, 3: KEYWORD, 5: WORDS, 9: WORDS, 11: MEANING}
    assert {i: s for i, _, s in blend([], [1, 2, 3], [3, 1], 10)}[3] == MEANING
    scores = [score for _, score, _ in merged]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert len(blend([1, 2], [3], [4], limit=3)) == 3


def test_auto_search_keeps_exact_keyword_results_for_syntax_and_for_specific_words(
    copy_seed_library,
):
    library, _ = copy_seed_library()
    with_embedder(library, FakeEmbedder())
    library.embed()
    for query in ('"speculative decoding"', "author:hinton", "title:diffusion", "diffusion"):
        auto = library.search(query, limit=20, mode="auto")
        keyword = library.search(query, limit=20, mode="keyword")
        assert [h.paper.id for h in auto.hits] == [h.paper.id for h in keyword.hits], query
        assert not auto.joined and not any(h.by_meaning for h in auto.hits)


def test_a_sentence_without_vectors_is_searched_by_any_of_its_words(copy_seed_library):
    library, _ = copy_seed_library()
    query = "making language model generation faster with a small draft model"
    assert not library.search(query, mode="keyword").hits  # no abstract has every word
    results = library.search(query, limit=10, mode="auto")
    assert results.joined and results.no_vectors
    assert len(results.hits) == 10 and not any(h.by_meaning for h in results.hits)
    words = set(query.split())
    for hit in results.hits:
        text = f"{hit.paper.title} {hit.paper.abstract}".lower()
        assert any(w in text for w in words), hit.paper.title


def test_auto_search_marks_the_hits_only_meaning_found(copy_seed_library):
    library, _ = copy_seed_library()
    with_embedder(library, FakeEmbedder())
    library.embed()
    query = "making language model generation faster with a small draft model"
    results = library.search(query, limit=40, mode="auto")
    assert results.joined and not results.no_vectors
    words = [h.paper_id for h in library.derived.index.search_hits(any_word_query(query), 50)[0]]
    flagged = {h.paper.id for h in results.hits if h.by_meaning}
    assert flagged  # random vectors rank papers the words did not find
    assert words[0] not in flagged  # the words' best is there for its words
    assert {h.paper.id for h in results.hits} - flagged <= set(words)
