"""Top-N search over Whoosh's postings with numpy, for the query shapes people type most.

Whoosh scores matches one posting at a time in Python (~5 µs each), so a query matching
half of a 100k library (``language model``) took 0.4 s and a phrase over common words
over 1 s (positions read for every candidate). Here each term's postings are read as
arrays (the index's codec stores them so, see ``codec.py``), BM25F is computed for all of
them at once, and boolean structure becomes array operations: the same scores Whoosh
computes, same matches. A segment where the query cannot match (a word it lacks, told by
term look-ups alone) gets no arrays at all; per query, the cost that remains is per segment
and term (a term-table lookup each), which is why the index is written in few, large
segments.

Some fields are lesser (a PDF's full text): a document that matches only with their help
ranks below every document that matches without them, whatever the scores, and is marked
so. Each sub-result carries a second mask, the documents it matches without the lesser
fields; it is None (the same as the match mask) wherever no lesser field took part, so an
index without full text pays nothing for it.

Phrases are candidate-then-verify: a phrase's Whoosh score is the sum of its words' scores
in the field, so the docs having all the words, ranked by that sum (an upper bound of the
final score), are checked against the positions in rank order until the top N is certain.

Shapes handled: everything the query language produces. Terms, prefixes, boosted or not;
``And`` / ``Or`` (boosted too), ``Not`` anywhere, ``AndNot`` / ``AndMaybe`` / ``Require``;
other leaf queries (year ranges, wildcards) through Whoosh's own matchers; phrases at the
top level or inside a top-level ``And`` (alone or as a per-field ``Or``) by candidates, and
anywhere else by verifying every candidate (in a field without positions, a phrase asks
for all its words). Anything else (a coordination-scaled ``Or``, ``DisjunctionMax``: shapes
the query language never makes) raises ``Unsupported``. There is no fallback to Whoosh's own
searcher: its top-N skips blocks by a quality bound, its array OR drops matches across
segments, its NOT returns deleted documents and its ANDMAYBE inside an AND drops the optional
part's score (tests/core/test_search_exactness.py holds the reference every shape matches).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from math import log
from typing import Any

import numpy as np
from whoosh.query import And, AndMaybe, AndNot, Not, Or, Phrase, Prefix, Query, Require, Term
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from reader.core.search import whoosh_compat as compat
from reader.core.search.codec import (
    DF_FIELDS,
    ArrayLeafMatcher,
    Block,
    FrequencyTables,
    document_frequencies,
    length_codes,
    term_hash,
)
from reader.core.search.keyterms import KeyTermTable, read_table

_LENGTHS = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)


class Unsupported(ValueError):
    """The query has a shape this module does not evaluate (a programming error: the query
    language makes none)."""


@dataclass
class _Postings:
    """One term's postings in one segment, decoded; positions stay encoded until needed."""

    ids: np.ndarray
    weights: np.ndarray
    block_ends: list[int]  # index into ids where each block ends
    blocks: list[Block]
    decode: Any

    def positions(self, docnum: int) -> list[int]:
        i = int(np.searchsorted(self.ids, docnum))
        block = bisect_right(self.block_ends, i)
        start = self.block_ends[block - 1] if block else 0
        return self.decode(self.blocks[block].value(i - start))


@dataclass
class _Segment:
    searcher: Searcher
    offset: int
    size: int
    live: np.ndarray  # False for deleted documents
    fields: frozenset[str]  # fields with at least one term here (notes are mostly empty)


class SegmentCache:
    """Per-searcher data that does not depend on the query: segments, deletions and
    field lengths (one byte per document and field, as Whoosh stores them)."""

    def __init__(self, searcher: Searcher, hidden: int | None = None) -> None:
        """``hidden``: a document no query matches (the index's progress marker)."""
        self.searcher = searcher
        self.segments = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            size = reader.doc_count_all()
            if not size:  # an empty index's reader (it has no term table)
                continue
            live = np.ones(size, dtype=bool)
            deleted = list(reader.deleted_docs_set) if reader.has_deletions() else []
            live[np.array(deleted, dtype=np.int64)] = False
            if hidden is not None and offset <= hidden < offset + size:
                live[hidden - offset] = False
            fields = frozenset(compat.term_table(reader).indexed_field_names())
            self.segments.append(_Segment(sub, offset, size, live, fields))
        self._lengths: dict[tuple[int, str], np.ndarray] = {}
        self._frequencies: dict[int, FrequencyTables | None] = {}
        self._key_terms: dict[int, tuple[KeyTermTable, np.ndarray] | None] = {}

    def frequencies(self, index: int) -> FrequencyTables | None:
        """A segment's document-frequency tables (``codec.document_frequencies``), read once."""
        if index not in self._frequencies:
            reader = self.segments[index].searcher.reader()
            self._frequencies[index] = document_frequencies(reader)
        return self._frequencies[index]

    def key_terms(self, index: int) -> tuple[KeyTermTable, np.ndarray] | None:
        """A segment's key-term table (``keyterms``), mapped once, with its documents'
        factors (``KeyTermTable.scale``)."""
        if index not in self._key_terms:
            table = read_table(self.segments[index].searcher.reader())
            self._key_terms[index] = (
                None if table is None else (table, table.scale(self.segments[index].live))
            )
        return self._key_terms[index]

    def key_term_neighbours(
        self, hashes: np.ndarray, weights: np.ndarray, limit: int, per_word: int | None
    ) -> list[tuple[int, float]]:
        """The ``limit`` live documents (index document numbers) scoring highest on the
        key-term tables (``KeyTermTable.scores``), with their scores, best first."""
        best: list[tuple[float, int]] = []
        floor = 0.0  # the limit-th best score so far: a segment's papers below it are left
        for index, segment in enumerate(self.segments):
            found = self.key_terms(index)
            if found is None:
                continue
            scores = found[0].scores(hashes, weights, found[1], per_word)
            hit = np.flatnonzero(scores >= floor) if floor else np.flatnonzero(scores > 0)
            top = hit[_best(hit, scores[hit], limit)]
            best += [(float(scores[d]), segment.offset + int(d)) for d in top.tolist()]
            best.sort(key=lambda sd: (-sd[0], sd[1]))
            del best[limit:]
            if len(best) == limit:
                floor = best[-1][0]
        return [(docnum, score) for score, docnum in best]

    def lacks(self, index: int, fieldname: str, text: bytes) -> bool:
        """Whether the segment's frequency table proves it has no such term. Asking Whoosh's
        term table costs ~100 µs a segment and field; at 1M papers (46 segments) most
        segments lack a rare word, and a query's cost grew with the segments, not with
        its matches. A hash in the table (even by collision) still asks the term table."""
        tables = self.frequencies(index) if fieldname in DF_FIELDS else None
        if tables is None:
            return False
        hashes = tables[fieldname][0]
        key = np.uint64(term_hash(text))
        at = int(np.searchsorted(hashes, key))
        return at == len(hashes) or hashes[at] != key

    def lengths(self, index: int, fieldname: str) -> np.ndarray:
        key = (index, fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = self._lengths[key] = _field_lengths(self.segments[index], fieldname)
        return found


def _field_lengths(segment: _Segment, fieldname: str) -> np.ndarray:
    codes = length_codes(compat.per_document(segment.searcher.reader()), fieldname)
    return _LENGTHS[np.zeros(segment.size, dtype=np.uint8) if codes is None else codes]


def _term_info(segment: _Segment, fieldname: str, text: bytes) -> Any | None:
    """A term's info in the segment's term table (None: the segment lacks the term)."""
    if fieldname not in segment.fields:
        return None
    try:
        return compat.term_table(segment.searcher.reader()).term_info(fieldname, text)
    except TermNotFound:
        return None


def _prefix_postings(
    segment: _Segment, fieldname: str, prefix: bytes
) -> list[tuple[bytes, _Postings]]:
    """Every term of the field starting with ``prefix``, with its postings: one walk of the
    sorted term table (Whoosh's expansion, then a lookup per term, read each term twice)."""
    if fieldname not in segment.fields:
        return []
    terms = compat.terms_with_prefix(segment.searcher.reader(), fieldname, prefix)
    return [(btext, _read_postings(segment, fieldname, info)) for btext, info in terms if btext]


def _read_postings(segment: _Segment, fieldname: str, terminfo: Any) -> _Postings:
    fmt = segment.searcher.schema[fieldname].format
    matcher = compat.raw_postings(segment.searcher.reader(), terminfo, fmt)  # even deleted
    blocks: list[Block] = []
    if isinstance(matcher, ArrayLeafMatcher):
        while matcher.is_active():
            blocks.append(matcher.block())
            compat.next_block(matcher)
    else:  # postings inlined in the term info (rare terms)
        found_ids, found_weights, found_values = [], [], []
        while matcher.is_active():
            found_ids.append(matcher.id())
            found_weights.append(matcher.weight())
            found_values.append(matcher.value())
            matcher.next()
        weights = np.array(found_weights, dtype=np.float64)
        ids = np.array(found_ids, dtype=np.int64)
        blocks.append(Block(ids, weights, None, tuple(found_values)))
    decode = fmt.decode_positions if fmt.supports("positions") else None
    if len(blocks) == 1:  # most terms: no copies
        ids, weights = blocks[0].ids, blocks[0].weights
    else:
        ids = np.concatenate([b.ids for b in blocks])
        weights = np.concatenate([b.weights for b in blocks])
    return _Postings(ids, weights, list(accumulate(len(b.ids) for b in blocks)), blocks, decode)


# -- evaluation -------------------------------------------------------------------------------


@dataclass
class _Dense:
    """A sub-query's result in one segment: which documents match, with what score, and
    which of them match without the lesser fields (None: all of them)."""

    mask: np.ndarray
    score: np.ndarray
    primary: np.ndarray | None = None

    def primary_mask(self) -> np.ndarray:
        return self.mask if self.primary is None else self.primary


class _Evaluator:
    def __init__(self, cache: SegmentCache, lesser: frozenset[str] = frozenset()) -> None:
        self.cache = cache
        self.lesser = lesser
        self.searcher = cache.searcher
        weighting = self.searcher.weighting
        if type(weighting) is not BM25F:
            raise Unsupported("only BM25F is evaluated here")
        self.weighting: BM25F = weighting
        # Term infos and decoded postings, kept for this query only (a phrase reads its
        # words twice; ``possible`` looks terms up before their postings are read).
        self._term_infos: dict[tuple[int, str, bytes], Any | None] = {}
        self._postings: dict[tuple[int, str, bytes], _Postings | None] = {}
        # Whole-index statistics, each a sum over every segment: computed once per query.
        self._idf: dict[tuple[str, bytes], float] = {}
        self._avgfl: dict[str, float] = {}
        self._expansions: dict[tuple[str, str], list[list[tuple[bytes, _Postings]]]] = {}

    def term_info(self, index: int, fieldname: str, text: bytes) -> Any | None:
        key = (index, fieldname, text)
        if key not in self._term_infos:
            self._term_infos[key] = (
                None
                if self.cache.lacks(index, fieldname, text)
                else _term_info(self.cache.segments[index], fieldname, text)
            )
        return self._term_infos[key]

    def postings(self, index: int, fieldname: str, text: bytes) -> _Postings | None:
        key = (index, fieldname, text)
        if key not in self._postings:
            info = self.term_info(index, fieldname, text)
            self._postings[key] = (
                None
                if info is None
                else _read_postings(self.cache.segments[index], fieldname, info)
            )
        return self._postings[key]

    def possible(self, query: Query, index: int) -> bool:
        """Whether ``query`` can match anything in the segment, from term lookups alone:
        where it cannot (most segments, for a rare word), no array of the segment's size is
        made. False only when sure; a shape not looked into counts as possible."""
        if isinstance(query, Term):
            btext = self.term_bytes(query.fieldname, query.text)
            return btext is not None and self.term_info(index, query.fieldname, btext) is not None
        if isinstance(query, Prefix):
            return bool(self.expansion(query.fieldname, query.text)[index])
        if type(query) is Phrase:
            words = [self.term_bytes(query.fieldname, w) for w in query.words]
            return bool(words) and all(
                w is not None and self.term_info(index, query.fieldname, w) is not None
                for w in words
            )
        if type(query) is And or type(query) is Or:
            children = list(query.children())
            test = all if type(query) is And else any
            return bool(children) and test(self.possible(c, index) for c in children)
        if type(query) in (AndNot, AndMaybe, Require):
            a, b = query.a, query.b  # type: ignore[attr-defined]
            return self.possible(a, index) and (
                type(query) is not Require or self.possible(b, index)
            )
        return True  # NOT, and leaves matched through Whoosh (year ranges, wildcards)

    def term_bytes(self, fieldname: str, text: str | bytes) -> bytes | None:
        """A term's text as its field indexes it (None: not a term the field can hold)."""
        if fieldname not in self.searcher.schema:
            return None
        if isinstance(text, bytes):
            return text
        try:
            return self.searcher.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def dense(self, query: Query, index: int) -> _Dense:
        if isinstance(query, Term):
            return self.term(query.fieldname, query.text, query.boost, index)
        if isinstance(query, Prefix):
            return self.prefix(query, index)
        if type(query) is And or type(query) is Or:
            return self.compound(query, index)
        if type(query) is Not:
            return self.inverse(query.query, index)
        if type(query) in (AndNot, AndMaybe, Require):
            return self.binary(query, index)  # type: ignore[arg-type]
        if type(query) is Phrase:
            return self.phrase(query, index)
        return self.leaf(query, index)

    def empty(self, index: int) -> _Dense:
        size = self.cache.segments[index].size
        return _Dense(np.zeros(size, dtype=bool), np.zeros(size))

    def term(self, fieldname: str, text: str | bytes, boost: float, index: int) -> _Dense:
        result = self.empty(index)
        btext = self.term_bytes(fieldname, text)
        if btext is None:
            return result
        postings = self.postings(index, fieldname, btext)
        if postings is not None:
            idf = self.idf(fieldname, btext)
            result.mask[postings.ids] = True
            result.score[postings.ids] = (
                self._bm25(fieldname, postings.ids, postings.weights, idf, index) * boost
            )
            if fieldname in self.lesser:
                result.primary = np.zeros_like(result.mask)
        return result

    def idf(self, fieldname: str, btext: bytes) -> float:
        found = self._idf.get((fieldname, btext))
        if found is None:
            found = self._idf[fieldname, btext] = self.searcher.idf(fieldname, btext)
        return found

    def _bm25(
        self, fieldname: str, ids: np.ndarray, tf: np.ndarray, idf: Any, index: int
    ) -> np.ndarray:
        """Whoosh's BM25F score of each posting (``idf``: one value, or one per posting)."""
        if not self.searcher.schema[fieldname].scorable:
            return tf  # Whoosh's WeightScorer
        avgfl = self._avgfl.get(fieldname)
        if avgfl is None:
            avgfl = self._avgfl[fieldname] = self.searcher.avg_field_length(fieldname) or 1
        b = compat.field_b(self.weighting, fieldname)
        k1 = self.weighting.K1
        fl = self.cache.lengths(index, fieldname)[ids]
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    def prefix(self, query: Prefix, index: int) -> _Dense:
        """The OR of a prefix's terms, scored all at once (a prefix can expand to hundreds
        of rare terms, where per-term array operations cost more than the postings)."""
        result = self.empty(index)
        terms = self.expansion(query.fieldname, query.text)[index]
        if terms:
            ids = np.concatenate([p.ids for _, p in terms])
            tf = np.concatenate([p.weights for _, p in terms])
            counts = [len(p.ids) for _, p in terms]
            idf = np.repeat([self.idf(query.fieldname, btext) for btext, _ in terms], counts)
            scores = self._bm25(query.fieldname, ids, tf, idf, index) * query.boost
            result.mask[ids] = True
            result.score += np.bincount(ids, weights=scores, minlength=len(result.score))
            if query.fieldname in self.lesser:
                result.primary = np.zeros_like(result.mask)
        return result

    def expansion(self, fieldname: str, text: str) -> list[list[tuple[bytes, _Postings]]]:
        """A prefix's terms and postings in every segment. Their idf comes from the same
        postings (Whoosh's formula over the document frequency summed over segments), so
        no term is looked up again."""
        key = (fieldname, text)
        found = self._expansions.get(key)
        if found is None:
            if fieldname not in self.searcher.schema:
                return [[] for _ in self.cache.segments]
            prefix = self.searcher.schema[fieldname].to_bytes(text)
            found = [_prefix_postings(s, fieldname, prefix) for s in self.cache.segments]
            frequency: Counter[bytes] = Counter()
            for terms in found:
                for btext, postings in terms:
                    frequency[btext] += len(postings.ids)
            documents = self.searcher.doc_count_all()
            for btext, count in frequency.items():
                self._idf.setdefault((fieldname, btext), log(documents / (count + 1)) + 1)
            self._expansions[key] = found
        return found

    def compound(self, query: And | Or, index: int) -> _Dense:
        children = list(query.children())
        if not children:
            return self.empty(index)
        is_and = type(query) is And
        if is_and and not self.possible(query, index):
            return self.empty(index)
        if not is_and:  # a word's OR over the fields: skip the fields that cannot match
            children = [c for c in children if self.possible(c, index)] or children[:1]
        parts = [self.dense(c, index) for c in children]
        primary = None
        if any(p.primary is not None for p in parts):
            primary = parts[0].primary_mask().copy()
            for part in parts[1:]:
                if is_and:
                    primary &= part.primary_mask()
                else:
                    primary |= part.primary_mask()
        result = parts[0]
        for part in parts[1:]:
            if is_and:
                result.mask &= part.mask
            else:
                result.mask |= part.mask
            result.score += part.score
        result.score[~result.mask] = 0.0
        if query.boost != 1.0:  # Whoosh wraps the compound's matcher: every score times it
            result.score *= query.boost
        if primary is not None:
            primary &= result.mask
        result.primary = primary
        return result

    def inverse(self, excluded: Query, index: int) -> _Dense:
        """``NOT q``: every live document ``q`` does not match, scoring 1 (Whoosh's
        InverseMatcher). An excluded word excludes wherever it is, the lesser fields too."""
        mask = self.cache.segments[index].live & ~self.dense(excluded, index).mask
        return _Dense(mask, mask.astype(np.float64))

    def binary(self, query: AndNot | AndMaybe | Require, index: int) -> _Dense:
        """``a ANDNOT b``, ``a ANDMAYBE b`` (b's score added where it matches), ``a REQUIRE
        b`` (only where b matches, with a's score)."""
        a, b = self.dense(query.a, index), self.dense(query.b, index)
        result = _Dense(a.mask.copy(), a.score.copy(), a.primary)
        if type(query) is AndNot:
            result.mask &= ~b.mask
        elif type(query) is Require:
            result.mask &= b.mask
            if a.primary is not None or b.primary is not None:
                result.primary = a.primary_mask() & b.primary_mask()
        else:
            result.score += np.where(b.mask, b.score, 0.0)
        result.score[~result.mask] = 0.0
        if result.primary is not None:
            result.primary = result.primary & result.mask
        return result

    def phrase(self, query: Phrase, index: int) -> _Dense:
        """A phrase nested where no candidate ranking applies: every document with all its
        words is checked against the positions."""
        result = self.empty(index)
        found = _phrase_field(self, query, index)
        if found is None:
            return result
        for local in np.flatnonzero(found.mask):
            if found.verify(int(local)):
                result.mask[local] = True
        result.score[result.mask] = found.score[result.mask]
        if found.lesser:
            result.primary = np.zeros_like(result.mask)
        return result

    def leaf(self, query: Query, index: int) -> _Dense:
        """Any other leaf query (a year range, a wildcard) through its Whoosh matcher."""
        result = self.empty(index)
        searcher = self.cache.segments[index].searcher
        matcher = query.matcher(searcher, searcher.context())
        while matcher.is_active():
            docnum = matcher.id()
            result.mask[docnum] = True
            result.score[docnum] = matcher.score()
            matcher.next()
        if getattr(query, "fieldname", None) in self.lesser:
            result.primary = np.zeros_like(result.mask)
        return result


@dataclass
class _PhraseField:
    """One field's phrase in one segment: candidates have every word in the field."""

    fieldname: str
    postings: list[_Postings]
    slop: int
    mask: np.ndarray
    score: np.ndarray
    lesser: bool = False  # the field is one of the lesser fields

    def verify(self, docnum: int) -> bool:
        if not self.mask[docnum]:
            return False
        if self.postings[0].decode is None:  # a field without positions: all the words
            return True
        starts = set(self.postings[0].positions(docnum))
        for postings in self.postings[1:]:
            following = postings.positions(docnum)
            starts = {p for p in following if any(0 < p - s <= self.slop for s in starts)}
            if not starts:
                return False
        return True


def _phrase_groups(query: Query) -> tuple[list[list[Phrase]], list[Query]]:
    """Split a query into phrase groups (each an OR of one phrase over fields) and the
    other clauses of a top-level AND (phrases inside those are evaluated densely)."""

    def group(q: Query) -> list[Phrase] | None:
        if isinstance(q, Phrase):
            return [q]
        if type(q) is Or and q.boost == 1.0 and not getattr(q, "scale", None):
            children = list(q.children())
            if children and all(isinstance(c, Phrase) for c in children):
                return children
        return None

    top = group(query)
    if top is not None:
        return [top], []
    clauses = list(query.children()) if type(query) is And and query.boost == 1.0 else [query]
    groups, others = [], []
    for clause in clauses:
        found = group(clause)
        if found is not None:
            groups.append(found)
        else:
            others.append(clause)
    if not groups:
        return [], [query]
    return groups, others


Hit = tuple[int, float, bool]  # (docnum, score, matched only with the lesser fields' help)


def top_documents(
    cache: SegmentCache,
    query: Query,
    limit: int,
    filter_query: Query | None = None,
    lesser: frozenset[str] = frozenset(),
) -> tuple[list[Hit], int]:
    """The top ``limit`` hits and the number of matches (estimated for phrases). Documents
    matching only with the help of the ``lesser`` fields rank after all the others (see the
    module doc)."""
    _check_shape(query)
    if filter_query is not None:
        _check_shape(filter_query)
    evaluator = _Evaluator(cache, lesser)
    groups, others = _phrase_groups(query)
    found: list[_Candidates] = []
    for index, segment in enumerate(cache.segments):
        if not _possible_here(evaluator, others, groups, filter_query, index):
            continue
        mask = segment.live.copy()
        score = np.zeros(segment.size)
        primary = None
        for clause in others:
            part = evaluator.dense(clause, index)
            mask &= part.mask
            score += part.score
            if part.primary is not None:
                primary = part.primary if primary is None else primary & part.primary
        if filter_query is not None:  # restricts, never scores
            mask &= evaluator.dense(filter_query, index).mask
        bound = score.copy()
        fields = []
        for phrases in groups:
            group = [f for p in phrases if (f := _phrase_field(evaluator, p, index))]
            any_field = np.zeros(segment.size, dtype=bool)
            for f in group:
                any_field |= f.mask
                bound += f.score
            mask &= any_field
            fields.append(group)
        docs = np.flatnonzero(mask)
        if len(docs):
            first = np.ones(len(docs), dtype=bool) if primary is None else primary[docs]
            found.append(_Candidates(index, docs, score[docs], bound[docs], fields, first))
    if not groups:
        return _top_exact(cache, found, limit)
    return _top_verified(cache, found, limit)


def _check_shape(query: Query) -> None:
    """Raise ``Unsupported`` for a query tree with a shape not evaluated here (before any
    segment is looked at, so that it does not depend on which words a segment holds)."""
    if type(query) in (And, Or) and getattr(query, "scale", None):
        raise Unsupported("a coordination-scaled OR")
    if type(query) in (And, Or, Not, AndNot, AndMaybe, Require):
        for child in query.children():
            _check_shape(child)
    elif not isinstance(query, Term | Prefix | Phrase) and list(query.children()):
        raise Unsupported(type(query).__name__)


def _possible_here(
    evaluator: _Evaluator,
    others: list[Query],
    groups: list[list[Phrase]],
    filter_query: Query | None,
    index: int,
) -> bool:
    """Whether the segment can hold a match: every clause, one phrase of each group and
    the filter possible in it (``_Evaluator.possible``)."""
    return (
        all(evaluator.possible(clause, index) for clause in others)
        and all(any(evaluator.possible(p, index) for p in group) for group in groups)
        and (filter_query is None or evaluator.possible(filter_query, index))
    )


@dataclass
class _Candidates:
    """One segment's matching documents (for phrases: documents with all the words)."""

    index: int
    docs: np.ndarray
    fixed: np.ndarray  # the score of everything but the phrases
    bound: np.ndarray  # the score if every phrase field verifies
    phrases: list[list[_PhraseField]]
    primary: np.ndarray  # everything but the phrases matches without the lesser fields


def _phrase_field(evaluator: _Evaluator, phrase: Phrase, index: int) -> _PhraseField | None:
    schema = evaluator.searcher.schema
    if phrase.fieldname not in schema or not phrase.words:
        return None
    fieldtype = schema[phrase.fieldname]
    segment = evaluator.cache.segments[index]
    mask = np.ones(segment.size, dtype=bool)
    score = np.zeros(segment.size)
    postings = []
    for word in phrase.words:
        btext = fieldtype.to_bytes(word)
        found = evaluator.postings(index, phrase.fieldname, btext)
        if found is None:
            return None
        part = evaluator.term(phrase.fieldname, btext, phrase.boost, index)
        mask &= part.mask
        score += part.score
        postings.append(found)
    score[~mask] = 0.0
    lesser = phrase.fieldname in evaluator.lesser
    return _PhraseField(phrase.fieldname, postings, phrase.slop, mask, score, lesser)


def _flat(
    cache: SegmentCache, found: list[_Candidates]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All candidates as (segment index, global docnum, fixed score, bound, primary) arrays."""
    if not found:
        none = np.zeros(0, dtype=np.int64)
        return none, none, np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    segs = np.concatenate([np.full(len(c.docs), c.index, dtype=np.int64) for c in found])
    docs = np.concatenate([c.docs + cache.segments[c.index].offset for c in found])
    fixed = np.concatenate([c.fixed for c in found])
    bound = np.concatenate([c.bound for c in found])
    primary = np.concatenate([c.primary for c in found])
    return segs, docs, fixed, bound, primary


def _best(docs: np.ndarray, scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the ``limit`` best, in Whoosh's order: score, then docnum."""
    if 0 < limit < len(docs):  # sort only the best (and everything tied with the last)
        threshold = scores[np.argpartition(-scores, limit - 1)[:limit]].min()
        keep = np.flatnonzero(scores >= threshold)
        return keep[np.lexsort((docs[keep], -scores[keep]))[:limit]]
    return np.lexsort((docs, -scores))[:limit]


def _top_exact(cache: SegmentCache, found: list[_Candidates], limit: int) -> tuple[list[Hit], int]:
    _, docs, scores, _, primary = _flat(cache, found)
    total = len(docs)
    if primary.all():
        order = _best(docs, scores, limit)
        return [(int(docs[i]), float(scores[i]), False) for i in order], total
    hits: list[Hit] = []
    for tier, lesser_only in ((np.flatnonzero(primary), False), (np.flatnonzero(~primary), True)):
        chosen = tier[_best(docs[tier], scores[tier], limit - len(hits))]
        hits += [(int(docs[i]), float(scores[i]), lesser_only) for i in chosen]
        if len(hits) >= limit:
            break
    return hits, total


def _top_verified(
    cache: SegmentCache, found: list[_Candidates], limit: int
) -> tuple[list[Hit], int]:
    """Check candidates in order of their upper-bound score until no unchecked one can
    beat the ``limit``-th verified score (of those matching without the lesser fields,
    which rank first; so with fewer of them than ``limit``, every candidate is checked)."""
    phrases = {c.index: c.phrases for c in found}
    segs, docs, fixed, bounds, primaries = _flat(cache, found)
    best: list[tuple[float, int]] = []  # min-heaps of (score, -docnum): primary matches
    lesser: list[tuple[float, int]] = []  # and those that needed the lesser fields
    checked = matched = 0
    for i in _by_bound(docs, bounds, 4 * max(limit, 1)):
        if len(best) >= limit and (bounds[i], -docs[i]) < best[0]:
            break
        checked += 1
        index = int(segs[i])
        local = int(docs[i]) - cache.segments[index].offset
        score = float(fixed[i])
        primary = bool(primaries[i])
        for group in phrases[index]:
            verified = [f for f in group if f.verify(local)]
            if not verified:
                break
            score += sum(float(f.score[local]) for f in verified)
            primary = primary and not all(f.lesser for f in verified)
        else:
            matched += 1
            _keep(best if primary else lesser, (score, -int(docs[i])), limit)
    total = len(docs)
    estimate = matched if checked == total else round(total * matched / max(checked, 1))
    ranked = [(-negdoc, score, False) for score, negdoc in sorted(best, reverse=True)]
    ranked += [(-negdoc, score, True) for score, negdoc in sorted(lesser, reverse=True)]
    return ranked[:limit], max(estimate, len(ranked[:limit]))


def _by_bound(docs: np.ndarray, bounds: np.ndarray, first: int) -> Iterator[int]:
    """Positions of the candidates by decreasing bound, then docnum, sorted ``first`` at a
    time (then four times as many, and so on): the check usually stops within the first
    few dozen, and sorting all of them (277k for ``"large language models"`` at 1M papers)
    took ~20 ms. Each chunk holds every candidate whose bound reaches its smallest one, so
    ties are never split between chunks."""
    remaining = np.arange(len(docs))
    size = first
    while len(remaining):
        if len(remaining) > size:
            rest = bounds[remaining]
            lowest = rest[np.argpartition(-rest, size - 1)[:size]].min()
            chunk, remaining = remaining[rest >= lowest], remaining[rest < lowest]
        else:
            chunk, remaining = remaining, remaining[:0]
        yield from chunk[np.lexsort((docs[chunk], -bounds[chunk]))].tolist()
        size *= 4


def _keep(heap: list[tuple[float, int]], item: tuple[float, int], limit: int) -> None:
    if len(heap) < limit:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)
