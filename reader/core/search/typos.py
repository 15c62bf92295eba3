"""Typo rescue: words the index has never seen become the closest frequent indexed word.

Candidates are the indexed words sharing the word's first letter within one or two edits,
an adjacent transposition counting as one (rapidfuzz's OSA distance: the measure of
Whoosh's ``terms_within`` over several segments; over a single segment Whoosh's automaton
counted a transposition as two). ``terms_within`` walked those words through every segment
at once and measured each in Python: 170 ms for a word typed halfway ("transfo", what the
search box sends when typing pauses) at 100k papers, growing with the segments. Here
``Vocabulary`` keeps each letter's words of the big segments, with their summed document
frequencies, and rapidfuzz measures them in C.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh.query import Term
from whoosh.searching import Searcher

from reader.core.search import whoosh_compat as compat
from reader.core.search.analysis import WORD, fold, text_analyzer
from reader.core.search.index import CHUNK

FIELDS = ("title", "abstract")
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
MAX_SUFFIX = 4  # letters a misspelt suffix may add to a stem ('specul' + 'atve')
# Each correction walks the term dictionary with an edit-distance automaton, whose cost grows
# with the word: a query of many words, or a word longer than any real one, is not a typo.
MAX_WORDS = 8
MAX_LENGTH = 30
_ANALYZER = text_analyzer()


@dataclass(frozen=True)
class _Words:
    """One letter's words of some segments, sorted, with their summed frequencies."""

    segments: frozenset[str]  # their ids
    words: list[str]
    counts: np.ndarray

    @classmethod
    def of(cls, readers: dict[str, Any], field: str, letter: str) -> _Words:
        totals: Counter[str] = Counter()
        for reader in readers.values():
            for btext, terminfo in compat.terms_with_prefix(reader, field, letter.encode()):
                totals[btext.decode("utf-8")] += terminfo.doc_frequency()
        words = sorted(totals)
        return cls(frozenset(readers), words, np.array([totals[w] for w in words], np.int64))

    def count(self, word: str) -> int:
        at = bisect_left(self.words, word)
        return int(self.counts[at]) if at < len(self.words) and self.words[at] == word else 0

    def within(self, word: str, edits: int) -> dict[str, int]:
        found = process.extract(
            word, self.words, scorer=OSA.distance, score_cutoff=edits, limit=None
        )
        return {candidate: int(self.counts[at]) for candidate, _, at in found}


class Vocabulary:
    """The indexed words of ``FIELDS`` and their document frequencies, one first letter at
    a time.

    A letter's words in the segments of at least ``KEPT_FROM`` papers (a catch-up's chunk:
    an import's, a rebuild's) are gathered when first asked for and kept until those
    segments change, for the ``KEPT_LETTERS`` (field, letter) pairs asked for last (a letter
    of both fields of a 1M-paper library is a few MB); the small segments an edit adds are
    gathered apart, again when they change, so an edit never has the big ones' words merged
    again."""

    KEPT_FROM = CHUNK
    KEPT_LETTERS = 8

    def __init__(self) -> None:
        # (field, letter) -> the big segments' words, and the small ones' as last asked for
        self._big: OrderedDict[tuple[str, str], _Words] = OrderedDict()
        self._small: dict[tuple[str, str], _Words] = {}

    def _parts(self, searcher: Searcher, field: str, letter: str) -> list[_Words]:
        big: dict[str, Any] = {}
        small: dict[str, Any] = {}
        for reader, _ in searcher.reader().leaf_readers():
            size = reader.doc_count_all()
            if size:
                (big if size >= self.KEPT_FROM else small)[reader.segment().segment_id()] = reader
        key = (field, letter)
        kept = self._big.get(key)
        if kept is None or kept.segments != big.keys():
            kept = _Words.of(big, field, letter)
        self._big[key] = kept
        self._big.move_to_end(key)
        while len(self._big) > self.KEPT_LETTERS:
            self._small.pop(self._big.popitem(last=False)[0], None)
        if not small:
            self._small.pop(key, None)
            return [kept]
        fresh = self._small.get(key)
        if fresh is None or fresh.segments != small.keys():
            fresh = self._small[key] = _Words.of(small, field, letter)
        return [kept, fresh]

    def frequency(self, searcher: Searcher, field: str, word: str) -> int:
        """How many documents hold ``word`` in the field."""
        return sum(part.count(word) for part in self._parts(searcher, field, word[:1]))

    def within(self, searcher: Searcher, field: str, word: str, edits: int) -> dict[str, int]:
        """The field's words (with their frequencies) sharing ``word``'s first letter and at
        most ``edits`` edits from it."""
        found: Counter[str] = Counter()
        for part in self._parts(searcher, field, word[:1]):
            found.update(part.within(word, edits))
        return dict(found)


def correct_words(
    text: str,
    searcher: Searcher,
    text_of: Callable[[int], str],
    vocabulary: Vocabulary | None = None,
) -> str | None:
    """``text`` with unknown words replaced, or None when nothing could be corrected
    (``vocabulary``: kept between calls, so that a letter's words are gathered once)."""
    if len(text.split()) > MAX_WORDS:
        return None
    vocabulary = vocabulary or Vocabulary()
    reader = searcher.reader()
    changed = False
    words = []
    for word in text.split():
        replacement = None
        if WORD.fullmatch(word) and MIN_LENGTH <= len(word) <= MAX_LENGTH:
            term = _ANALYZER.term(word)
            if not any(reader.doc_frequency(f, term) for f in FIELDS):
                replacement = _closest(searcher, vocabulary, word, term, text_of)
        words.append(replacement or word)
        changed = changed or replacement is not None
    return " ".join(words) if changed else None


def _closest(
    searcher: Searcher,
    vocabulary: Vocabulary,
    word: str,
    term: str,
    text_of: Callable[[int], str],
) -> str | None:
    best: tuple[int, str, str] | None = None  # (document frequency, field, indexed term)
    for field in FIELDS:
        for edits in (1, 2):
            candidates = vocabulary.within(searcher, field, term, edits)
            candidates |= vocabulary.within(searcher, field, fold(word), edits)
            if edits == 1:
                candidates |= _stem_prefixes(searcher, vocabulary, field, fold(word))
            for candidate in sorted(candidates):
                if best is None or candidates[candidate] > best[0]:
                    best = (candidates[candidate], field, candidate)
            if candidates:
                break
    if best is None:
        return None
    return _surface_form(searcher, best[1], best[2], text_of) or best[2]


def _stem_prefixes(
    searcher: Searcher, vocabulary: Vocabulary, field: str, folded: str
) -> dict[str, int]:
    """Indexed stems the word starts with: a typo in a suffix ('speculatve') stops the
    stemmer from reaching the stem ('specul'), which is then too far away to be found."""
    shortest = max(MIN_LENGTH, len(folded) - MAX_SUFFIX)
    prefixes = (folded[:k] for k in range(len(folded) - 1, shortest - 1, -1))
    found = {p: vocabulary.frequency(searcher, field, p) for p in prefixes}
    return {p: n for p, n in found.items() if n}


def _surface_form(
    searcher: Searcher, field: str, term: str, text_of: Callable[[int], str]
) -> str | None:
    """A readable word for a stemmed term ('languag' -> 'language'): the index stores no
    text, so take the first matching paper's text and find a word that stems to it."""
    hits = searcher.search(Term(field, term), limit=1)
    if not hits:
        return None
    for word in WORD.findall(text_of(int(hits[0]["id"]))):
        if _ANALYZER.term(word) == term:
            return word.lower()
    return None
