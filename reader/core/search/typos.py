"""Typo rescue: words the index has never seen become the closest frequent indexed word."""

from __future__ import annotations

from collections.abc import Callable

from whoosh.query import Term
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from reader.core.search.analysis import WORD, fold, text_analyzer

FIELDS = ("title", "abstract")
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
MAX_SUFFIX = 4  # letters a misspelt suffix may add to a stem ('specul' + 'atve')
# Each correction walks the term dictionary with an edit-distance automaton, whose cost grows
# with the word: a query of many words, or a word longer than any real one, is not a typo.
MAX_WORDS = 8
MAX_LENGTH = 30
_ANALYZER = text_analyzer()


def correct_words(text: str, searcher: Searcher, text_of: Callable[[int], str]) -> str | None:
    """``text`` with unknown words replaced, or None when nothing could be corrected."""
    if len(text.split()) > MAX_WORDS:
        return None
    reader = searcher.reader()
    changed = False
    words = []
    for word in text.split():
        replacement = None
        if WORD.fullmatch(word) and MIN_LENGTH <= len(word) <= MAX_LENGTH:
            term = _ANALYZER.term(word)
            if not any(reader.doc_frequency(f, term) for f in FIELDS):
                replacement = _closest(searcher, word, term, text_of)
        words.append(replacement or word)
        changed = changed or replacement is not None
    return " ".join(words) if changed else None


def _closest(searcher: Searcher, word: str, term: str, text_of: Callable[[int], str]) -> str | None:
    reader = searcher.reader()
    best: tuple[int, str, str] | None = None  # (document frequency, field, indexed term)
    for field in FIELDS:
        for maxdist in (1, 2):
            candidates = set(reader.terms_within(field, term, maxdist, prefix=1))
            candidates |= set(reader.terms_within(field, fold(word), maxdist, prefix=1))
            if maxdist == 1:
                candidates |= _stem_prefixes(reader, field, fold(word))
            for candidate in candidates:
                frequency = reader.doc_frequency(field, candidate)
                if best is None or frequency > best[0]:
                    best = (frequency, field, candidate)
            if candidates:
                break
    if best is None:
        return None
    return _surface_form(searcher, best[1], best[2], text_of) or best[2]


def _stem_prefixes(reader: IndexReader, field: str, folded: str) -> set[str]:
    """Indexed stems the word starts with: a typo in a suffix ('speculatve') stops the
    stemmer from reaching the stem ('specul'), which is then too far away to be found."""
    shortest = max(MIN_LENGTH, len(folded) - MAX_SUFFIX)
    prefixes = (folded[:k] for k in range(len(folded) - 1, shortest - 1, -1))
    return {p for p in prefixes if reader.doc_frequency(field, p)}


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
