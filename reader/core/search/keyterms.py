"""Each segment's key-term table: every paper's few most distinctive words, inverted.

The related pane of a paper without a vector (at 1M papers, most papers for days: see
``related.service._outdated``) needs the papers that share its distinctive words, scored by
tf-idf. Asking Whoosh for them cost ~0.2 ms a word, field and segment (318 ms p95 at 1M
papers, 46 segments), and scoring the candidates meant tokenising each of them again. But
the segment writer holds every posting of the titles and abstracts: it keeps, for each
paper, the ``PER_PAPER`` words of highest tf-idf (idf within the segment), with their counts
and the paper's vector length, inverted by word (``KEY_EXT``). A query then reads one short
slice per word and segment and scores with array work.

The vectors are those of ``related.lexical`` (sublinear tf, the title counted twice, no stop
or ``TOPICLESS`` words) over single words only: the query paper's whole vector against each
paper's kept words, divided by that paper's whole length.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

from reader.core.search.analysis import TOPICLESS
from reader.core.search.storage import MappedFile

KEY_EXT = ".kts"
PER_PAPER = 64  # words kept per paper (the table takes ~6 bytes a word: ~380 MB at 1M)
FIELD_COUNTS = {"title": 2, "abstract": 1}  # a word's count in the title counts twice
# postings a query reads per word and segment, the heaviest (they are stored heaviest first);
# None: all. Cutting each word at 1000 bought 7 % of the pane's time at 1M papers, for a
# recall@10 of 0.95 at 100k papers and 0.99 at 1M against all (``bench_related.py --lexical``)
READ_PER_WORD: int | None = None
_HEADER = struct.Struct("<QQQ")  # words, postings, documents (8 bytes each: keeps alignment)
_SUBLINEAR = 1.0 + np.log(np.maximum(np.arange(1 << 16), 1))  # 1 + log count, by count


class KeyTermCollector:
    """(In the segment writer.) Gathers the postings of ``FIELD_COUNTS``' fields as they are
    written, term by term, and makes the segment's table at the end."""

    def __init__(self, term_hash: Any) -> None:
        self._term_hash = term_hash
        self._skip = {term_hash(w.encode("utf-8")) for w in TOPICLESS}
        self._docs = {f: array("I") for f in FIELD_COUNTS}
        self._counts = {f: array("I") for f in FIELD_COUNTS}
        self._terms = {f: (array("Q"), array("I")) for f in FIELD_COUNTS}  # hash, postings
        # the schema's field boosts: Whoosh multiplies them into a posting's weight
        self.boosts: dict[str, float] = {}

    def posting(self, fieldname: str, docnum: int, weight: float) -> None:
        docs = self._docs.get(fieldname)
        if docs is not None:
            docs.append(docnum)
            self._counts[fieldname].append(round(weight / self.boosts.get(fieldname, 1.0)))

    def term(self, fieldname: str, digest: int, postings: int) -> None:
        """After a term's postings: its hash and how many there were."""
        terms = self._terms.get(fieldname)
        if terms is not None:
            terms[0].append(digest)
            terms[1].append(postings)

    def to_bytes(self) -> bytes:
        hashes, docs, counts = [], [], []
        for field, factor in FIELD_COUNTS.items():
            digests = np.frombuffer(self._terms[field][0], np.uint64)
            per_term = np.frombuffer(self._terms[field][1], np.uint32)
            hashes.append(np.repeat(digests, per_term))
            docs.append(np.frombuffer(self._docs[field], np.uint32))
            counts.append(np.frombuffer(self._counts[field], np.uint32) * factor)
        return table_bytes(
            np.concatenate(hashes), np.concatenate(docs), np.concatenate(counts), self._skip
        )


def table_bytes(hashes: np.ndarray, docs: np.ndarray, counts: np.ndarray, skip: set[int]) -> bytes:
    """The table of postings given as parallel arrays (a word's hash, a document, a count;
    a word may come once per field), leaving out the words hashed in ``skip``."""
    keep = ~np.isin(hashes, np.fromiter(skip, np.uint64, len(skip)))
    hashes, docs, counts = hashes[keep], docs[keep].astype(np.int64), counts[keep]
    vocabulary, word = np.unique(hashes, return_inverse=True)
    n_docs = int(docs.max()) + 1 if len(docs) else 0
    # one entry per (document, word), the fields' counts added up
    entry, at = np.unique(docs * len(vocabulary) + word, return_inverse=True)
    tf = np.bincount(at, counts, minlength=len(entry))
    doc, word = entry // max(len(vocabulary), 1), entry % max(len(vocabulary), 1)
    df = np.bincount(word, minlength=len(vocabulary))
    idf = np.log((n_docs + 1) / (df + 1.0)) + 1.0
    weight = (1.0 + np.log(tf)) * idf[word]
    norms = np.sqrt(np.bincount(doc, weight * weight, minlength=n_docs)).astype(np.float32)
    # each document's PER_PAPER heaviest words: entries by document, heaviest first
    order = np.lexsort((-weight, doc))
    first = np.searchsorted(doc[order], doc[order])
    kept = order[np.arange(len(order)) - first < PER_PAPER]
    # inverted: by word (hash order, as ``vocabulary`` is), the heaviest documents first
    impact = (1.0 + np.log(tf[kept])) / np.maximum(norms[doc[kept]], 1e-12)
    kept = kept[np.lexsort((doc[kept], -impact, word[kept]))]
    words, per_word = np.unique(word[kept], return_counts=True)
    header = _HEADER.pack(len(words), len(kept), n_docs)
    parts = [
        vocabulary[words].tobytes(),
        np.cumsum(per_word, dtype=np.uint64).tobytes(),
        doc[kept].astype(np.uint32).tobytes(),
        norms.tobytes(),
        np.minimum(tf[kept], 65535).astype(np.uint16).tobytes(),
    ]
    return header + b"".join(parts)


@dataclass(frozen=True)
class KeyTermTable:
    """One segment's table: its postings as views of the (memory-mapped) file."""

    hashes: np.ndarray  # uint64, sorted: the words kept by at least one document
    ends: np.ndarray  # uint64: where each word's postings end
    docs: np.ndarray  # uint32: segment document numbers, heaviest first within a word
    norms: np.ndarray  # float32: each document's whole vector length
    counts: np.ndarray  # uint16: the word's count in the document

    @classmethod
    def of(cls, data: bytes | memoryview) -> KeyTermTable:
        n_words, n_postings, n_docs = _HEADER.unpack_from(data)
        at = _HEADER.size
        sections = []
        for dtype, count, copied in (
            (np.uint64, n_words, True),
            (np.uint64, n_words, True),
            (np.uint32, n_postings, False),
            (np.float32, n_docs, True),
            (np.uint16, n_postings, False),
        ):
            section = np.frombuffer(data, dtype, count, at)
            # the small sections are copied: in a compound segment they may sit unaligned,
            # and numpy then copies them on every search; the postings stay mapped
            sections.append(section.copy() if copied else section)
            at += np.dtype(dtype).itemsize * count
        return cls(*sections)

    def scale(self, live: np.ndarray) -> np.ndarray:
        """The factor of each of a segment's documents (``live``: False if deleted) to its
        score: one over its vector length, 0 for a deleted document or one without text."""
        factor = np.zeros(len(live))
        norms = self.norms[: len(live)]
        np.divide(1.0, norms, out=factor[: len(norms)], where=norms > 0)
        return factor * live

    def scores(
        self, hashes: np.ndarray, weights: np.ndarray, scale: np.ndarray, per_word: int | None
    ) -> np.ndarray:
        """Each document's score (one per factor in ``scale``, from ``scale()``): the factor
        times the sum, over the query's words
        (``hashes``, their query weight times idf in ``weights``), of weight x
        (1 + log count), from each word's ``per_word`` heaviest postings (all for None)."""
        if not len(self.hashes):
            return np.zeros(len(scale))
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        found = np.flatnonzero(self.hashes[at] == hashes)
        ends = self.ends[at[found]].astype(np.int64)
        starts = np.where(at[found] > 0, self.ends[np.maximum(at[found] - 1, 0)], 0)
        starts = starts.astype(np.int64)
        if per_word is not None:
            ends = np.minimum(ends, starts + per_word)
        if not len(found) or not (ends - starts).sum():
            return np.zeros(len(scale))
        # each word's postings are one run: slices, not a gather (2-5x the cost)
        spans = list(zip(starts.tolist(), ends.tolist(), strict=True))
        docs = np.concatenate([self.docs[a:b] for a, b in spans])
        counts = np.concatenate([self.counts[a:b] for a, b in spans])
        contributions = np.repeat(weights[found], ends - starts) * _SUBLINEAR[counts]
        return np.bincount(docs, contributions, minlength=len(scale))[: len(scale)] * scale


def read_table(reader: Any) -> KeyTermTable | None:
    """A segment's table (None for a segment without one)."""
    segment = reader.segment()
    if segment is None:  # an empty index
        return None
    try:
        file = segment.open_file(reader.storage(), KEY_EXT)
    except (OSError, NameError, KeyError):
        return None
    return KeyTermTable.of(file.whole() if isinstance(file, MappedFile) else file.read())
