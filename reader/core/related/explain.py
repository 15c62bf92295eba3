"""Why a paper is related: the key terms two papers share, and whether their meaning is close.

A researcher judges a neighbour faster with a reason beside it ("speculative decoding,
draft model · similar meaning"). Shared terms are the words and two-word phrases both texts
use, weighed like the lexical half (``1 + log tf`` on each side × idf), a phrase counting
the idf of both its words so it wins over its words alone; words in more than a fifth of
the library explain nothing and are left out. "Similar meaning" marks the neighbours the
dense half ranks higher than the lexical half does, among those shown: they are there more
for what they are about than for their vocabulary.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reader.core.related.lexical import MAX_TOKENS
from reader.core.search.analysis import TOPICLESS, FoldingTokenizer
from reader.core.search.codec import term_hash

SHOWN_TERMS = 4
MIN_IDF = 1 + math.log(5)  # ``TfIdf.idf`` of a word in a fifth of the papers
_tokenizer = FoldingTokenizer(stemming=True)
# Words too plain to explain a link (beyond the lexical half's stop words), as stems.
_PLAIN_WORDS = """
then any make makes made number many some very much further first given important different
various several often thus whereas without within across per via same since still yet up out
low high large small single final alternative leverage leverages well better best good key simple
"""
PLAIN = frozenset(_tokenizer.term(w) for w in _PLAIN_WORDS.split())

Idf = Callable[[np.ndarray], np.ndarray]  # term hashes -> their idf (``TfIdf.idf``)
Term = tuple[str, ...]  # one stem, or two for a phrase


@dataclass(frozen=True)
class Reason:
    terms: tuple[str, ...]  # shared key terms as the neighbour writes them, most telling first
    meaning: bool  # its meaning is at least as close as its words (see the module's doc)

    def describe(self) -> str:
        parts = [", ".join(self.terms)] if self.terms else []
        if self.meaning:
            parts.append("similar meaning")
        return " · ".join(parts)


@dataclass(frozen=True)
class _Text:
    counts: Counter[Term]
    original: dict[Term, tuple[str, ...]]  # how the text first writes each term


def analysed(text: str) -> _Text:
    """A text's stems and two-stem phrases, counted (``lexical_text``: the title twice)."""
    tokens = [
        (t.text, t.original)
        for t in _tokenizer(text, keeporiginal=True)
        if t.text not in TOPICLESS and t.text not in PLAIN and not t.text.isdigit()
    ][:MAX_TOKENS]
    counts: Counter[Term] = Counter()
    original: dict[Term, tuple[str, ...]] = {}
    for n, (stem, word) in enumerate(tokens):
        counts[(stem,)] += 1
        original.setdefault((stem,), (word,))
        if n and tokens[n - 1][0] != stem:
            phrase = (tokens[n - 1][0], stem)
            counts[phrase] += 1
            original.setdefault(phrase, (tokens[n - 1][1], word))
    return _Text(counts, original)


def _shown(words: tuple[str, ...]) -> str:
    """Lower case, except acronyms and names written with inner capitals (LLM, GPT, LoRA)."""
    return " ".join(w if any(c.isupper() for c in w[1:]) else w.lower() for w in words)


def meaning_led(dense: dict[int, float], words: dict[int, float]) -> set[int]:
    """The papers that ``dense`` ranks higher than ``words`` does (both: id -> score)."""

    def ranks(scores: dict[int, float]) -> dict[int, int]:
        return {i: n for n, i in enumerate(sorted(scores, key=lambda i: -scores[i]))}

    by_dense, by_words = ranks(dense), ranks(words)
    return {i for i in dense if i in by_words and by_dense[i] < by_words[i]}


def shared_terms(mine: _Text, theirs: _Text, idf: Idf, limit: int = SHOWN_TERMS) -> tuple[str, ...]:
    """The key terms ``theirs`` shares with ``mine`` (both ``analysed``), as ``theirs`` writes
    them. A single word must recur (or be in a title) in one of the texts: a word each
    abstract uses once in passing ("unfortunately") explains nothing."""
    common = [
        term
        for term in theirs.counts
        if term in mine.counts
        and (len(term) == 2 or max(mine.counts[term], theirs.counts[term]) > 1)
    ]
    if not common:
        return ()
    stems = sorted({stem for term in common for stem in term})
    weights = idf(np.array([term_hash(s.encode("utf-8")) for s in stems], np.uint64))
    stem_idf = dict(zip(stems, weights.tolist(), strict=True))
    common = [term for term in common if min(stem_idf[s] for s in term) >= MIN_IDF]

    def weight(term: Term) -> float:
        tf = (1 + math.log(mine.counts[term])) * (1 + math.log(theirs.counts[term]))
        return tf * sum(stem_idf[s] for s in term)

    chosen: list[Term] = []
    for term in sorted(common, key=lambda t: (-weight(t), t)):
        if set(term) & {s for c in chosen if len(c) == 2 for s in c}:
            continue  # a word of a phrase already shown ("language models" after "large
            # language")
        chosen = [c for c in chosen if not (len(c) == 1 and c[0] in term)] + [term]
        if len(chosen) == limit:
            break
    return tuple(_shown(theirs.original[t]) for t in chosen)
