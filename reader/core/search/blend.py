"""Auto search: when a keyword search is joined by meaning search, and how the two merge.

A query of plain words that reads as a sentence ("making generation faster with a small
draft model"), or that finds few papers, is also run as meaning search (its embedding
against the papers' vectors) and as an any-word search; the papers that have every word
come first, in keyword order, then the other two rankings fused by reciprocal rank, at
most ``MEANING_POOL`` of them (any-word matches most of a library: its tail says nothing).
Search syntax (fields, quotes, operators, wildcards) keeps exact keyword behaviour.

Measured on SciFact's 300 validation claims (benchmarks/bench_related.py --sets scifact),
nDCG@10: any-word 0.637, meaning 0.652, this 0.698 (BM25's published figure there is 0.665).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from whoosh.query import NullQuery, Or, Query, Term

from reader.core.search.analysis import WORD, text_analyzer
from reader.core.search.query import ALIASES, MAX_QUERY_WORDS, SEARCH_FIELDS

SENTENCE_WORDS = 4  # a query of this many plain words reads as a sentence
FEW_HITS = 5  # fewer keyword hits than this: meaning search joins in
MEANING_POOL = 50  # meaning (and any-word) candidates fused: at most this many join
RRF_K = 60
WORD_FIELDS = ("title", "abstract")

KEYWORD, WORDS, MEANING = "keyword", "words", "meaning"  # where a hit came from

_analyzer = text_analyzer()
_FIELDS = sorted(
    {*SEARCH_FIELDS, *ALIASES, *(a for names in ALIASES.values() for a in names), "year", "is"}
)
# What makes a query search syntax: quotes, a boolean operator, a wildcard (a "*" after a
# letter, a "?" inside a word or ending the query), a field. Brackets alone, a colon after
# anything else ("IL-6: a review") or a question's "?" are a sentence's punctuation: they
# change nothing in a search of all its words.
SYNTAX = re.compile(rf'"|\b(?:AND|OR|NOT)\b|\w\*|\w\?(?:\w|$)|\b(?:{"|".join(_FIELDS)}):\S')


def keyword_text(text: str) -> str:
    """The query for its keyword search: as typed, but a question's "?" is not a wildcard."""
    text = text.strip()
    return text.rstrip("?!. ") if len(text.split()) > 1 else text


def as_sentence(text: str) -> str | None:
    """The query as plain words, or None when it uses search syntax (``SYNTAX``)."""
    text = keyword_text(text)
    if not text or SYNTAX.search(text):
        return None
    return " ".join(WORD.findall(text))


def wants_meaning(sentence: str, keyword_hits: int) -> bool:
    """Whether auto search also runs meaning search for these plain words."""
    return len(sentence.split()) >= SENTENCE_WORDS or keyword_hits < FEW_HITS


def any_word_query(text: str) -> Query:
    """Papers sharing any of the words, ranked by BM25 over title and abstract alike.

    Not the query parser's fields: its title boost (x3, right for a few keywords) buries
    the abstracts a sentence describes (SciFact nDCG@10: 0.569 with it, 0.647 without)."""
    terms = list(dict.fromkeys(token.text for token in _analyzer(text)))[:MAX_QUERY_WORDS]
    if not terms:
        return NullQuery
    return Or([Term(field, term) for term in terms for field in WORD_FIELDS])


def blend(
    exact: Sequence[int], words: Sequence[int], meaning: Sequence[int], limit: int
) -> list[tuple[int, float, str]]:
    """(paper id, score 0..1, source) of the merged ranking: ``exact`` (keyword hits with
    every word) first, then ``words`` (any-word hits) and ``meaning`` fused by reciprocal
    rank. The source of a fused paper is the ranking that placed it higher: "meaning" when
    it is there more for what it is about than for sharing some of the query's words."""
    fused: dict[int, float] = {}
    best: dict[int, tuple[int, str]] = {}  # the paper's better rank, and in which ranking
    for source, ranking in ((WORDS, words), (MEANING, meaning)):
        for rank, paper_id in enumerate(ranking):
            fused[paper_id] = fused.get(paper_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            if paper_id not in best or rank < best[paper_id][0]:
                best[paper_id] = (rank, source)
    first = list(dict.fromkeys(exact))
    seen = set(first)
    rest = sorted((i for i in fused if i not in seen), key=lambda i: -fused[i])
    top = max(fused.values(), default=1.0)
    merged = [(i, 1.0, KEYWORD) for i in first]
    merged += [(i, fused[i] / top, best[i][1]) for i in rest]
    return merged[:limit]
