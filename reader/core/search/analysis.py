"""Whoosh analyzers: one tokenizer that lower-cases, folds accents and stems, with a cache.

Whoosh's stock chain (tokenizer | lowercase | charset | stem filters) passes every token
through four generators; doing the same work in one pass with a per-word cache is what
makes bulk indexing affordable. Stop words are dropped without taking a position, on both
the index and the query side, so the phrase "mixture of experts" is the two-word phrase
"mixture experts" everywhere (a third fewer postings to write).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
_CACHE_LIMIT = 500_000

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "have",
        "if",
        "in",
        "is",
        "it",
        "may",
        "not",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "we",
        "will",
        "with",
        "without",
        "via",
    ]
)


def fold(word: str) -> str:
    """Lower-case and strip accents: 'Ünïcode' -> 'unicode'."""
    lowered = word.casefold()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class FoldingTokenizer(Tokenizer):
    """Words -> folded (and optionally stemmed) terms, positions and character offsets."""

    def __init__(self, stemming: bool) -> None:
        self.stemming = stemming
        self.is_morph = stemming
        self._cache: dict[str, str] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoldingTokenizer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("FoldingTokenizer", self.stemming))

    def __getstate__(self) -> dict[str, object]:  # the schema is pickled into the index
        return {"stemming": self.stemming}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.stemming = bool(state["stemming"])
        self.is_morph = self.stemming
        self._cache = {}

    def term(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            folded = fold(word)
            cached = stem(folded) if self.stemming and folded.isalpha() else folded
            self._cache[word] = cached
        return cached

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # whoosh asks for the value as one token (e.g. prefix queries)
            token.original = token.text = fold(value)  # a prefix or wildcard: never stem it
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        term = self.term
        pos = start_pos
        for match in WORD.finditer(value):
            word = match.group()
            if removestops and word.lower() in STOP_WORDS:
                continue  # no position either: "mixture of experts" stays a 2-word phrase
            token.text = term(word)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
            pos += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def text_analyzer() -> FoldingTokenizer:
    """Titles, abstracts, notes: folded and stemmed."""
    return FoldingTokenizer(stemming=True)


def name_analyzer() -> FoldingTokenizer:
    """Author names: folded, not stemmed ('Wang' must not become 'wang' -> 'wa…')."""
    return FoldingTokenizer(stemming=False)


# Frequent words of abstracts that carry no topic (beyond the stop list), as stems: left out
# of the related papers' tf-idf (``related.lexical``) and of the segments' key-term tables
# (``keyterms``); searches still find them.
TOPICLESS = frozenset(
    text_analyzer().term(w)
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
