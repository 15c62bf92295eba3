"""The lexical half: tf-idf 1–2-gram vectors (sublinear tf), with document frequencies from Whoosh.

arxiv-sanity-lite's features (tf-idf over unigrams and bigrams, ``1 + log tf``, l2 norm),
computed for a handful of candidates at a time rather than as a full matrix: the library's
Whoosh index already knows how many papers contain each (stemmed) word. A bigram's document
frequency is not indexed; it is taken as that of its rarer word (its true idf is at least that).

A paper's text is reduced once to ``PaperTerms`` (its words' 64-bit hashes and its word
sequence; ``terms.TermStore`` keeps them), so weighting and comparing a batch of papers is
array work: tokenising 50 abstracts in Python took most of a related query at 100k papers.
"""

from __future__ import annotations

import struct
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reader.core.search.analysis import TOPICLESS, FoldingTokenizer
from reader.core.search.codec import DF_FIELDS, FrequencyTables, term_hash
from reader.core.search.index import CHUNK

if TYPE_CHECKING:
    from reader.core.search.vectorized import SegmentCache

_tokenizer = FoldingTokenizer(stemming=True)

MAX_TOKENS = 20_000  # of one text (an abstract has ~200): keeps word indices in uint16
_HEADER = struct.Struct("<II")


def words(text: str) -> list[str]:
    """Stemmed, folded words with stop words dropped (the index's analysis)."""
    return [t.text for t in _tokenizer(text) if t.text not in TOPICLESS]


def lexical_text(title: str, abstract: str) -> str:
    """What the lexical half compares: the title counts twice (it names the topic)."""
    return f"{title}. {title}. {abstract}"


@dataclass(frozen=True)
class PaperTerms:
    """A text's distinct words (as ``codec.term_hash`` keys, the index's df tables' keys) and
    its word sequence as indices into them; its bigrams are the sequence's neighbours."""

    words: np.ndarray  # uint64
    sequence: np.ndarray  # uint16

    @classmethod
    def of(cls, text: str) -> PaperTerms:
        index: dict[str, int] = {}
        sequence = [index.setdefault(w, len(index)) for w in words(text)[:MAX_TOKENS]]
        hashes = [term_hash(w.encode("utf-8")) for w in index]
        return cls(np.array(hashes, np.uint64), np.array(sequence, np.uint16))

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(len(self.words), len(self.sequence))
        return header + self.words.tobytes() + self.sequence.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> PaperTerms:
        n_words, n_sequence = _HEADER.unpack_from(data)
        at = _HEADER.size
        hashes = np.frombuffer(data, np.uint64, n_words, at)
        sequence = np.frombuffer(data, np.uint16, n_sequence, at + 8 * n_words)
        return cls(hashes, sequence)


@dataclass(frozen=True)
class TermBatch:
    """Unit-length tf-idf vectors of several papers over one shared term space, as
    (row, term, weight) entries sorted by row."""

    row: np.ndarray
    term: np.ndarray
    weight: np.ndarray
    rows: int
    terms: int

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Each row's dot product with a dense vector over the term space."""
        return np.bincount(self.row, self.weight * vector[self.term], minlength=self.rows)

    def total(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The sum of some rows, as a dense vector over the term space."""
        keep = np.isin(self.row, np.asarray(rows))
        return np.bincount(self.term[keep], self.weight[keep], minlength=self.terms)

    def split(self, first: int) -> tuple[TermBatch, TermBatch]:
        """Rows ``[0, first)`` and the rest (renumbered from 0), in the same term space."""
        cut = int(np.searchsorted(self.row, first))
        row, term, weight = self.row, self.term, self.weight
        return (
            TermBatch(row[:cut], term[:cut], weight[:cut], first, self.terms),
            TermBatch(row[cut:] - first, term[cut:], weight[cut:], self.rows - first, self.terms),
        )


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


class TfIdf:
    """tf-idf vectors of papers, given the number of papers and a lookup of words' document
    frequencies (an array of word hashes in, their frequencies out)."""

    def __init__(self, n_docs: int, doc_frequencies: Callable[[np.ndarray], np.ndarray]) -> None:
        self.n_docs = max(n_docs, 1)
        self._df = doc_frequencies

    def idf(self, hashes: np.ndarray) -> np.ndarray:
        return self._idf_of(self._df(hashes))

    def _idf_of(self, df: np.ndarray) -> np.ndarray:
        df = np.clip(df, 1, self.n_docs)
        return np.log((self.n_docs + 1) / (df + 1.0)) + 1.0

    def key_term_query(self, text: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The text's ``count`` most distinctive words (hashes) and their weights for
        ``KeyTermTable.scores``: the text's unit-length vector (single words, sublinear
        tf-idf) times idf. Words no other paper has are left out (they find nothing)."""
        counts = Counter(words(text)[:MAX_TOKENS])
        if not counts:
            return np.zeros(0, np.uint64), np.zeros(0)
        hashes = np.array([term_hash(w.encode("utf-8")) for w in counts], np.uint64)
        df = self._df(hashes)
        idf = self._idf_of(df)
        weight = unit((1.0 + np.log(np.fromiter(counts.values(), np.float64))) * idf)
        top = np.argsort(-np.where(df > 1, weight, 0.0), kind="stable")[:count]
        top = top[df[top] > 1]
        return hashes[top], weight[top] * idf[top]

    def batch(self, papers: Sequence[PaperTerms]) -> TermBatch:
        """The papers' vectors, one row each, in the order given."""
        n = len(papers)
        word_counts = np.array([len(p.words) for p in papers], np.int64)
        seq_counts = np.array([len(p.sequence) for p in papers], np.int64)
        if not seq_counts.sum():
            empty = np.zeros(0, np.int64)
            return TermBatch(empty, empty, np.zeros(0), n, 0)
        hashes = np.concatenate([p.words for p in papers])
        vocabulary, word_id = np.unique(hashes, return_inverse=True)
        offsets = np.repeat(np.cumsum(word_counts) - word_counts, seq_counts)
        sequence = word_id[np.concatenate([p.sequence for p in papers]) + offsets]
        owner = np.repeat(np.arange(n), seq_counts)
        n_words = len(vocabulary)
        idf = self.idf(vocabulary)
        # bigrams: neighbours within a paper, numbered after the words
        same = owner[1:] == owner[:-1]
        left, right = sequence[:-1][same], sequence[1:][same]
        pairs, pair_id = np.unique(left * n_words + right, return_inverse=True)
        term_idf = np.concatenate([idf, np.maximum(idf[pairs // n_words], idf[pairs % n_words])])
        n_terms = len(term_idf)
        keys = np.concatenate(
            [owner * n_terms + sequence, owner[1:][same] * n_terms + n_words + pair_id]
        )
        entries, counts = np.unique(keys, return_counts=True)
        row, term = entries // n_terms, entries % n_terms
        weight = (1.0 + np.log(counts)) * term_idf[term]
        norms = np.sqrt(np.bincount(row, weight * weight, minlength=n))
        return TermBatch(row, term, weight / np.maximum(norms, 1e-12)[row], n, n_terms)


class TermsCache:
    """Terms of recently seen texts that the term store did not have, keyed by text hash."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._items: OrderedDict[int, PaperTerms] = OrderedDict()

    def get(self, digest: int, text: str) -> PaperTerms:
        terms = self._items.get(digest)
        if terms is None:
            terms = PaperTerms.of(text)
            self._items[digest] = terms
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(digest)
        return terms


class MergedFrequencies:
    """The big segments' document-frequency tables added up into one, kept across index
    states.

    At 1M papers, looking a paper's words up in each of 45 segments' two tables took ~8 ms
    (90 binary searches over tables mostly not in the CPU's caches). The segments of at
    least ``SUMMED_FROM`` papers (a catch-up's chunk: an import's, a rebuild's) are summed
    once; the small ones an edit adds are looked up apart. When the big segments
    change (an import, a rebuild) they are summed again (0.55 s at 1M papers); otherwise
    their tables are not even read.
    """

    SUMMED_FROM = CHUNK

    def __init__(self) -> None:
        self._summed: tuple[frozenset[str], FrequencyTables] | None = None

    def tables(self, cache: SegmentCache) -> list[FrequencyTables]:
        """Tables whose frequencies add up to the index's (a segment without one, which
        only an index mid-rebuild has, counts as not having the word)."""
        big: dict[str, int] = {}  # segment id: index in the cache
        small: list[FrequencyTables | None] = []
        for i, segment in enumerate(cache.segments):
            if segment.size >= self.SUMMED_FROM:
                big[segment.searcher.reader().segment().segment_id()] = i
            else:
                small.append(cache.frequencies(i))
        if self._summed is None or self._summed[0] != big.keys():
            tables = [cache.frequencies(i) for i in big.values()]
            self._summed = (frozenset(big), _summed(tables))
        return [self._summed[1], *(t for t in small if t is not None)]


def _summed(tables: list[FrequencyTables | None]) -> FrequencyTables:
    found = {}
    for field in DF_FIELDS:
        parts = [t[field] for t in tables if t is not None]
        hashes = np.concatenate([h for h, _ in parts]) if parts else np.zeros(0, np.uint64)
        counts = np.concatenate([c for _, c in parts]) if parts else np.zeros(0, np.uint32)
        unique, at = np.unique(hashes, return_inverse=True)
        found[field] = (unique, np.bincount(at, counts, len(unique)).astype(np.int64))
    return found


def whoosh_tfidf(cache: SegmentCache, merged: MergedFrequencies) -> TfIdf:
    """A TfIdf whose document frequency of a word is the larger of its title and abstract
    frequencies in the index, summed over the segments' frequency tables (``merged``)."""
    tables = merged.tables(cache)

    def lookup(keys: np.ndarray) -> np.ndarray:
        totals = {field: np.zeros(len(keys), dtype=np.int64) for field in DF_FIELDS}
        for table in tables:
            for field, (hashes, counts) in table.items():
                if not len(hashes):
                    continue
                at = np.minimum(np.searchsorted(hashes, keys), len(hashes) - 1)
                totals[field] += np.where(hashes[at] == keys, counts[at], 0)
        return np.maximum(*totals.values())

    return TfIdf(cache.searcher.doc_count(), lookup)
