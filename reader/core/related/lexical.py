"""The lexical half: tf-idf 1–2-gram vectors (sublinear tf), with document frequencies from Whoosh.

arxiv-sanity-lite's features (tf-idf over unigrams and bigrams, ``1 + log tf``, l2 norm),
computed for a handful of candidates at a time rather than as a full matrix: the library's
Whoosh index already knows how many papers contain each (stemmed) word. A bigram's document
frequency is not indexed; it is taken as that of its rarer word (its true idf is at least that).
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from reader.core.search.analysis import FoldingTokenizer
from reader.core.search.codec import DF_FIELDS, document_frequencies, term_hash

_tokenizer = FoldingTokenizer(stemming=True)

# Frequent words of abstracts that carry no topic (beyond Whoosh's stop list), as stems.
EXTRA_STOP = frozenset(
    _tokenizer.term(w)
    for w in [
        "our",
        "these",
        "which",
        "their",
        "such",
        "its",
        "also",
        "has",
        "been",
        "was",
        "were",
        "than",
        "more",
        "into",
        "over",
        "both",
        "using",
        "use",
        "used",
        "based",
        "propose",
        "proposed",
        "paper",
        "show",
        "shows",
        "present",
        "new",
        "approach",
        "method",
        "methods",
        "results",
        "existing",
        "work",
        "however",
        "while",
        "most",
        "other",
        "can",
        "each",
        "all",
        "through",
        "only",
        "well",
        "two",
        "one",
    ]
)


def words(text: str) -> list[str]:
    """Stemmed, folded words with stop words dropped (the index's analysis)."""
    return [t.text for t in _tokenizer(text) if t.text not in EXTRA_STOP]


def lexical_text(title: str, abstract: str) -> str:
    """What the lexical half compares: the title counts twice (it names the topic)."""
    return f"{title}. {title}. {abstract}"


def term_counts(text: str) -> Counter[str]:
    ws = words(text)
    counts = Counter(ws)
    counts.update(f"{a} {b}" for a, b in pairwise(ws))
    return counts


class TfIdf:
    """tf-idf vectors for texts, given the number of papers and words' document frequencies
    (``doc_frequencies`` answers a whole list of words at once)."""

    def __init__(self, n_docs: int, doc_frequencies: Callable[[list[str]], list[int]]) -> None:
        self.n_docs = max(n_docs, 1)
        self._df = doc_frequencies
        self._idf: dict[str, float] = {}
        self._vectors: dict[tuple[int, int], dict[str, float]] = {}

    def idf(self, term: str) -> float:
        cached = self._idf.get(term)
        if cached is None:
            if " " in term:
                cached = max(self.idf(w) for w in term.split(" "))
                self._idf[term] = cached
            else:
                self._learn([term])
                cached = self._idf[term]
        return cached

    def _learn(self, words: list[str]) -> None:
        for word, df in zip(words, self._df(words), strict=True):
            df = min(max(df, 1), self.n_docs)
            self._idf[word] = math.log((self.n_docs + 1) / (df + 1)) + 1.0

    def paper_vectors(
        self, papers: Sequence[tuple[int, str]], counts: CountsCache
    ) -> list[dict[str, float]]:
        """Papers' vectors, remembered (while these document frequencies hold); the words
        none of them had before are looked up in one batch."""
        keys = [(paper_id, hash(text)) for paper_id, text in papers]
        todo = {
            key: counts.get(paper_id, text)
            for key, (paper_id, text) in zip(keys, papers, strict=True)
            if key not in self._vectors
        }
        unknown = {w for c in todo.values() for w in c if " " not in w and w not in self._idf}
        if unknown:
            self._learn(sorted(unknown))
        if len(self._vectors) + len(todo) > 20_000:
            self._vectors = {k: self._vectors[k] for k in keys if k in self._vectors}
        for key, term_counts in todo.items():
            self._vectors[key] = self.vector(term_counts)
        return [self._vectors[key] for key in keys]

    def vector(self, counts: Counter[str]) -> dict[str, float]:
        unknown = [t for t in counts if " " not in t and t not in self._idf]
        if unknown:  # one batch of lookups for the text's new words
            self._learn(unknown)
        known = self._idf
        weights = {
            t: (1.0 + math.log(c)) * (known.get(t) or self.idf(t)) for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def blend(vectors: Sequence[dict[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """The unit-length weighted sum of sparse vectors."""
    out: dict[str, float] = {}
    for vector, weight in zip(vectors, weights, strict=True):
        for term, value in vector.items():
            out[term] = out.get(term, 0.0) + weight * value
    norm = math.sqrt(sum(w * w for w in out.values())) or 1.0
    return {t: w / norm for t, w in out.items()}


class CountsCache:
    """Term counts of recently seen papers, keyed by (paper id, text hash)."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, int], Counter[str]] = OrderedDict()

    def get(self, paper_id: int, text: str) -> Counter[str]:
        key = (paper_id, hash(text))
        counts = self._items.get(key)
        if counts is None:
            counts = term_counts(text)
            self._items[key] = counts
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return counts


def whoosh_tfidf(searcher) -> TfIdf:  # type: ignore[no-untyped-def]
    """A TfIdf whose document frequency of a word is the larger of its title and abstract
    frequencies in the index: summed over the segments' frequency tables (a sorted-array
    lookup for all of a paper's words at once), or asked of Whoosh word by word when a
    segment has no table."""
    tables = [document_frequencies(sub.reader()) for sub, _ in searcher.leaf_searchers()]

    def from_tables(words: list[str]) -> list[int]:
        keys = np.array([term_hash(w.encode("utf-8")) for w in words], dtype=np.uint64)
        totals = {field: np.zeros(len(words), dtype=np.int64) for field in DF_FIELDS}
        for table in tables:
            for field, (hashes, counts) in table.items():  # type: ignore[union-attr]
                if not len(hashes):
                    continue
                at = np.minimum(np.searchsorted(hashes, keys), len(hashes) - 1)
                totals[field] += np.where(hashes[at] == keys, counts[at], 0)
        return np.maximum(*totals.values()).tolist()

    def from_whoosh(words: list[str]) -> list[int]:
        return [max(searcher.doc_frequency(f, w) for f in DF_FIELDS) for w in words]

    complete = all(table is not None for table in tables)
    return TfIdf(searcher.doc_count(), from_tables if complete else from_whoosh)
