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

from reader.core.search.analysis import FoldingTokenizer

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
    """tf-idf vectors for texts, given the number of papers and a word's document frequency."""

    def __init__(self, n_docs: int, doc_frequency: Callable[[str], int]) -> None:
        self.n_docs = max(n_docs, 1)
        self._df = doc_frequency
        self._idf: dict[str, float] = {}
        self._vectors: dict[tuple[int, int], dict[str, float]] = {}

    def idf(self, term: str) -> float:
        cached = self._idf.get(term)
        if cached is None:
            if " " in term:
                cached = max(self.idf(w) for w in term.split(" "))
            else:
                df = min(max(self._df(term), 1), self.n_docs)
                cached = math.log((self.n_docs + 1) / (df + 1)) + 1.0
            self._idf[term] = cached
        return cached

    def paper_vector(self, paper_id: int, text: str, counts: CountsCache) -> dict[str, float]:
        """A paper's vector, remembered (while these document frequencies hold)."""
        key = (paper_id, hash(text))
        cached = self._vectors.get(key)
        if cached is None:
            if len(self._vectors) > 20_000:
                self._vectors.clear()
            cached = self._vectors[key] = self.vector(counts.get(paper_id, text))
        return cached

    def vector(self, counts: Counter[str]) -> dict[str, float]:
        weights = {t: (1.0 + math.log(c)) * self.idf(t) for t, c in counts.items()}
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
    """A TfIdf whose document frequencies come from the index (title or abstract)."""

    def df(term: str) -> int:
        return max(searcher.doc_frequency("abstract", term), searcher.doc_frequency("title", term))

    return TfIdf(searcher.doc_count(), df)
